"""`sitegen serve` without a browser: HTTP answers, the event stream, watching, rebuilding, Ctrl-C."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import sitegen.serve as serve_module
from conftest import TODAY, build_site, make_site
from sitegen.build import BuildOptions
from sitegen.serve import (
    DevServer,
    ServeEvent,
    ServeOptions,
    content_type,
    describe_changes,
    inject_reload_script,
    is_css_only,
    is_watched_change,
    resolve_request_path,
)

SECRET = "TOP-SECRET-do-not-serve"
ARTICLE = Path("content/yibao/shenzhen-menzhen.md")
ARTICLE_URL = "/yibao/shenzhen-menzhen/"


class Running:
    """A DevServer on a free port, rebuilding in a background thread; its events are recorded."""

    def __init__(self, site: Path, serve_options: dict | None = None, **build_options):
        self.site = site
        self.events: list[ServeEvent] = []
        self._changed = threading.Condition()
        options = ServeOptions(build=BuildOptions(site_dir=site, today=TODAY, **build_options), port=0, **(serve_options or {}))
        self.server = DevServer(options, self._record)

    def _record(self, event: ServeEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    @property
    def port(self) -> int:
        return int(self.server.url.rsplit(":", 1)[1])

    def of_kind(self, *kinds: str) -> list[ServeEvent]:
        with self._changed:
            return [e for e in self.events if e.kind in kinds]

    def wait_for(self, predicate: Callable[[list[ServeEvent]], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            # Woken by each event, and every 50 ms for conditions that are not events.
            while not predicate(self.events):
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out; events so far: {[e.message for e in self.events]}")
                self._changed.wait(0.05)

    def wait_for_builds(self, count: int, timeout: float = 10.0) -> None:
        """Until `count` builds (good or failed) have finished, the first one included."""
        self.wait_for(lambda events: sum(e.kind in ("built", "failed") for e in events) >= count, timeout)


@contextmanager
def running(site: Path, serve_options: dict | None = None, **build_options) -> Iterator[Running]:
    run = Running(site, serve_options, **build_options)
    run.server.start()
    thread = threading.Thread(target=run.server.run_forever, daemon=True)
    thread.start()
    try:
        yield run
    finally:
        run.server.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


def request(port: int, target: str, method: str = "GET", host: str | None = "localhost") -> tuple[int, dict[str, str], bytes]:
    """Send `target` exactly as given (no client-side normalising) and read the answer."""
    host_line = b"" if host is None else b"Host: " + host.encode("latin-1") + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{method} ".encode() + target.encode("latin-1") + b" HTTP/1.0\r\n" + host_line + b"\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


class EventStream:
    """A minimal Server-Sent Events reader over http.client."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.conn.request("GET", "/__sitegen__/events")
        self.response = self.conn.getresponse()

    def next(self) -> tuple[str, dict] | None:
        event, data = "message", []
        while True:
            line = self.response.fp.readline()
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\n")
            if not line:
                if data:
                    return event, json.loads("\n".join(data))
                continue
            name, _, value = line.partition(":")
            if name == "event":
                event = value.strip()
            elif name == "data":
                data.append(value.strip())

    def next_named(self, name: str) -> dict:
        while (item := self.next()) is not None:
            if item[0] == name:
                return item[1]
        raise AssertionError(f"stream ended before a {name!r} event")

    def close(self) -> None:
        self.conn.close()


def edit(site: Path, relative: Path | str, old: str, new: str) -> None:
    path = site / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# A read-only server shared by the HTTP tests


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("serve-http")
    site = make_site(root, "basic")
    (root / "secret.txt").write_text(SECRET, encoding="utf-8")
    (site / "secret.txt").write_text(SECRET, encoding="utf-8")
    (site / "static" / "资料").mkdir()
    (site / "static" / "资料" / "说明.txt").write_text("中文路径的文件\n", encoding="utf-8")
    (site / "static" / "data.json").write_text('{"ok": true}\n', encoding="utf-8")
    with running(site) as run:
        yield run


@pytest.mark.parametrize(
    "target, expected_type",
    [
        ("/", "text/html; charset=utf-8"),
        ("/css/site.css", "text/css; charset=utf-8"),
        ("/js/search.js", "text/javascript; charset=utf-8"),
        ("/feed.xml", "application/xml; charset=utf-8"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/data.json", "application/json; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml; charset=utf-8"),
        ("/__sitegen__/reload.js", "text/javascript; charset=utf-8"),
    ],
)
def test_content_types_and_no_store(shared: Running, target: str, expected_type: str) -> None:
    status, headers, body = request(shared.port, target)
    assert status == 200
    assert headers["content-type"] == expected_type
    assert headers["cache-control"] == "no-store"
    assert int(headers["content-length"]) == len(body)


def test_pretty_urls(shared: Running) -> None:
    on_disk = (shared.server.out_dir / "topics" / "yibao" / "index.html").read_bytes()
    status, _, body = request(shared.port, "/topics/yibao/")
    assert status == 200
    assert body.replace(re.search(rb'<script src="/__sitegen__/reload.js"[^>]*></script>\n', body).group(0), b"") == on_disk
    status, headers, _ = request(shared.port, "/topics/yibao")
    assert status == 301 and headers["location"] == "/topics/yibao/"
    status, headers, _ = request(shared.port, "/topics/yibao?page=2")
    assert status == 301 and headers["location"] == "/topics/yibao/?page=2"
    status, _, _ = request(shared.port, "/css/site.css?v=123")
    assert status == 200


def test_percent_encoded_chinese_path(shared: Running) -> None:
    status, headers, body = request(shared.port, "/%E8%B5%84%E6%96%99/%E8%AF%B4%E6%98%8E.txt")
    assert status == 200
    assert body.decode("utf-8") == "中文路径的文件\n"
    assert headers["content-type"] == "text/plain; charset=utf-8"


def test_missing_page_is_404_with_the_sites_404_page(shared: Running) -> None:
    for target in ("/no/such/page/", "/no-such.css", "/css/site.css/"):
        status, headers, body = request(shared.port, target)
        assert status == 404, target
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert "页面不存在".encode() in body
        assert b"/__sitegen__/reload.js" in body  # so a 404 tab also reloads when the page appears
    status, headers, body = request(shared.port, "/no/such/page/", method="HEAD")
    assert status == 404 and body == b"" and int(headers["content-length"]) > 0


TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/css/../../secret.txt",
    "/./../secret.txt",
    "//../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%2f..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/css%2f..%2f..%2fsecret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "/%5c..%5c..%5csecret.txt",
    "/..%255csecret.txt",
    "/%252e%252e/secret.txt",
    "/secret.txt%00.html",
    "/%00../secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/" + os.sep.join(["..", "secret.txt"]),
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_path_traversal_is_refused(shared: Running, target: str) -> None:
    status, _, body = request(shared.port, target)
    assert status in (403, 404)
    assert SECRET.encode() not in body


def test_raw_nul_and_absolute_targets_are_refused(shared: Running) -> None:
    with socket.create_connection(("127.0.0.1", shared.port), timeout=10) as sock:
        sock.sendall(b"GET /..\x00/secret.txt HTTP/1.0\r\n\r\n")
        answer = sock.recv(65536)
    assert answer.split()[1] in (b"400", b"403", b"404")
    assert SECRET.encode() not in answer
    status, _, body = request(shared.port, str(shared.site / "secret.txt"))
    assert status in (403, 404) and SECRET.encode() not in body


# ---------------------------------------------------------------------------------------------
# Host names, long paths, clients that stop reading


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "localhost.evil.example", "127.0.0.1.nip.io", "", None])
def test_a_foreign_host_name_is_refused(shared: Running, host: str | None) -> None:
    # DNS rebinding: a page on evil.example resolves its name to 127.0.0.1 and reads the preview.
    for target in ("/", ARTICLE_URL, "/__sitegen__/events", "/css/site.css"):
        status, headers, body = request(shared.port, target, host=host)
        assert status == 403, (host, target)
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert "禁止访问" in body.decode("utf-8") and "--allowed-host" in body.decode("utf-8")
        assert len(body) < 300 and "需要先绑定社康中心".encode() not in body


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8000", "127.0.0.1", "127.0.0.1:8000", "[::1]:8000", "192.168.1.20:8000", "app.localhost"])
def test_local_names_and_addresses_are_served(shared: Running, host: str) -> None:
    status, _, body = request(shared.port, ARTICLE_URL, host=host)
    assert status == 200 and "需要先绑定社康中心".encode() in body


def test_allowed_hosts_and_the_bound_name(tmp_path: Path) -> None:
    options = ServeOptions(build=BuildOptions(site_dir=tmp_path), host="preview.lan", allowed_hosts=("Tunnel.Example.", "box"))
    server = DevServer(options)
    assert server.allows_host("preview.lan:8000") and server.allows_host("tunnel.example") and server.allows_host("BOX:80")
    assert not server.allows_host("other.example") and not server.allows_host("box.evil.example")
    assert not DevServer(ServeOptions(build=BuildOptions(site_dir=tmp_path), host="0.0.0.0")).allows_host("0.0.0.0.evil.example")


def test_a_refused_host_is_named_once_in_the_terminal(shared: Running) -> None:
    for _ in range(3):
        request(shared.port, "/", host="rebind.example")
    warnings = [e.message for e in shared.of_kind("warning") if "rebind.example" in e.message]
    assert len(warnings) == 1 and "--allowed-host rebind.example" in warnings[0]


@pytest.mark.parametrize("target", ["/" + "a" * 256, "/css/" + "%E5%8C%BB" * 86, "/x" * 3000, "/" + "a" * 60000 + "/"])
def test_a_path_too_long_for_any_file_is_404_and_not_echoed(shared: Running, target: str) -> None:
    before = len(shared.events)
    status, _, body = request(shared.port, target)
    assert status == 404 and "页面不存在".encode() in body
    assert len(shared.events) == before  # nothing for the terminal, least of all the path


def test_the_longest_possible_name_is_still_looked_up(shared: Running) -> None:
    name = "b" * 251 + ".txt"  # 255 bytes
    (shared.server.out_dir / name).write_text("long name\n", encoding="utf-8")
    try:
        status, _, body = request(shared.port, "/" + name)
    finally:
        (shared.server.out_dir / name).unlink()
    assert status == 200 and body == b"long name\n"


def _request_threads() -> int:
    return sum(1 for thread in threading.enumerate() if "process_request_thread" in thread.name)


def test_clients_that_stop_reading_are_dropped_and_others_are_served_meanwhile(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    size = 32 * 1024 * 1024  # far more than the socket buffers hold
    (site / "static" / "big.bin").write_bytes(b"\0" * size)
    with running(site, serve_options={"idle_timeout": 1.0}) as run:
        baseline = _request_threads()
        stalled = []
        tracemalloc.start()
        try:
            for _ in range(4):
                sock = socket.create_connection(("127.0.0.1", run.port), timeout=10)
                sock.sendall(b"GET /big.bin HTTP/1.0\r\nHost: localhost\r\n\r\n")
                stalled.append(sock)
                assert sock.recv(16).startswith(b"HTTP/1.0 200")  # the answer has begun
            # Each stalled answer costs the server its socket buffers, not a copy of the file.
            assert tracemalloc.get_traced_memory()[0] < size
        finally:
            tracemalloc.stop()
        idle = socket.create_connection(("127.0.0.1", run.port), timeout=10)  # sends nothing at all
        try:
            run.wait_for(lambda events: _request_threads() >= baseline + 5)
            # While they hang, other requests are answered.
            status, headers, body = request(run.port, ARTICLE_URL)
            assert status == 200 and "需要先绑定社康中心".encode() in body
            status, headers, _ = request(run.port, "/big.bin", method="HEAD")
            assert status == 200 and int(headers["content-length"]) == size
            # Past the timeout the server gives up on all five; a reader then gets less than the
            # file and the end of the stream.
            run.wait_for(lambda events: _request_threads() <= baseline)
            assert idle.recv(1024) == b""
            for sock in stalled:
                received = 0
                try:
                    while chunk := sock.recv(1 << 20):
                        received += len(chunk)
                except ConnectionResetError:
                    pass
                assert received < size
        finally:
            for sock in [*stalled, idle]:
                sock.close()
        assert not run.of_kind("warning")


def test_a_big_file_is_sent_whole_to_a_client_that_reads(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    data = os.urandom(3 * 1024 * 1024 + 17)
    (site / "static" / "big.bin").write_bytes(data)
    with running(site) as run:
        status, headers, body = request(run.port, "/big.bin")
    assert status == 200 and body == data and headers["content-type"] == "application/octet-stream"


def test_resolve_request_path_never_leaves_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "public"
    (out / "a").mkdir(parents=True)
    (out / "a" / "index.html").write_text("a")
    (tmp_path / "secret.txt").write_text(SECRET)
    (out / "link").symlink_to(tmp_path / "secret.txt")
    (out / "dirlink").symlink_to(tmp_path)
    for target in [*TRAVERSALS, "/link", "/dirlink/secret.txt"]:
        assert resolve_request_path(out, target).status in (403, 404), target
    assert resolve_request_path(out, "/a/").file == out.resolve() / "a" / "index.html"
    assert resolve_request_path(out, "/a").location == "/a/"
    assert resolve_request_path(out, "//a").location == "/a/"  # never //host: no open redirect


def test_base_url_path_is_served_under_its_prefix(tmp_path: Path) -> None:
    out = tmp_path / "public"
    (out / "x").mkdir(parents=True)
    (out / "index.html").write_text("home")
    (out / "x" / "index.html").write_text("x")
    assert resolve_request_path(out, "/", "/health").location == "/health/"
    assert resolve_request_path(out, "/health", "/health").location == "/health/"
    assert resolve_request_path(out, "/health/", "/health").file == out.resolve() / "index.html"
    assert resolve_request_path(out, "/health/x/", "/health").file == out.resolve() / "x" / "index.html"
    assert resolve_request_path(out, "/x/", "/health").status == 404


def test_helpers() -> None:
    assert content_type(Path("a.HTML")) == "text/html; charset=utf-8"
    assert content_type(Path("a.png")) == "image/png"
    page = b"<html><body><p>x</p></BODY>\n</html>"
    assert inject_reload_script(page, "t-1") == b'<html><body><p>x</p><script src="/__sitegen__/reload.js" data-build="t-1"></script>\n</BODY>\n</html>'
    assert inject_reload_script(b"<p>no body", "t").endswith(b"</script>\n")
    assert is_css_only(["static/css/site.css", "static/print.CSS"])
    assert not is_css_only(["static/css/site.css", "layouts/base.html"])
    assert not is_css_only(["static/js/search.js"]) and not is_css_only([])


def test_watch_filter(tmp_path: Path) -> None:
    site, out = tmp_path / "site", tmp_path / "site" / "public"
    watched = ["site.toml", "content/yibao/a.md", "layouts/base.html", "static/css/site.css", "content", "static/img/新图.png"]
    ignored = [
        "public/index.html",
        ".sitegen-cache/x.json",
        ".sitegen-staging-public-1234/index.html",
        "content/yibao/.a.md.swp",
        "content/yibao/a.md.swp",
        "content/yibao/a.md~",
        "content/yibao/.#a.md",
        "content/yibao/#a.md#",
        "content/yibao/4913",
        "layouts/.git/HEAD",
        "README.md",
        "scripts/x.py",
        "site.toml.bak~",
    ]
    for relative in watched:
        assert is_watched_change(str(site / relative), site, out), relative
    for relative in ignored:
        assert not is_watched_change(str(site / relative), site, out), relative
    assert not is_watched_change(str(tmp_path / "elsewhere" / "site.toml"), site, out)
    elsewhere = tmp_path / "out"
    assert not is_watched_change(str(elsewhere / "x.html"), site, elsewhere)


def test_describe_changes_drops_files_that_came_and_went(tmp_path: Path) -> None:
    import watchfiles

    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("a")
    changes = {
        (watchfiles.Change.added, str(tmp_path / "static" / "sedX1234")),
        (watchfiles.Change.deleted, str(tmp_path / "static" / "sedX1234")),
        (watchfiles.Change.added, str(tmp_path / "static" / "site.css")),
    }
    assert describe_changes(changes, tmp_path) == ("static/site.css",)


# ---------------------------------------------------------------------------------------------
# Rebuilding


def test_built_files_never_hold_the_reload_script(shared: Running) -> None:
    pages = list(shared.server.out_dir.rglob("*.html"))
    assert pages
    for page in pages:
        assert "__sitegen__" not in page.read_text(encoding="utf-8"), page
    _, _, body = request(shared.port, ARTICLE_URL)
    assert body.count(b"/__sitegen__/reload.js") == 1


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_preview_with_drafts_never_touches_public(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    with running(site, drafts=True) as run:
        preview = run.server.out_dir
        drafts = [p for p in preview.rglob("index.html") if "<title>儿童过敏性鼻炎怎么办" in p.read_text(encoding="utf-8")]
        assert len(drafts) == 1
        _, _, body = request(run.port, "/" + drafts[0].parent.relative_to(preview).as_posix() + "/")
        assert b'<meta name="robots" content="noindex">' in body and "这是一篇草稿".encode() in body
        assert request(run.port, "/robots.txt")[2] == b"User-agent: *\nDisallow: /\n"
    assert not (site / "public").exists()
    assert preview.is_relative_to(site / ".sitegen-cache")  # git-ignored with the cache

    build_site(site)  # the site as it would be deployed
    deployed = _files(site / "public")
    with running(site, drafts=True, future=True) as run:
        edit(site, ARTICLE, "需要先绑定社康中心", "需要先绑定家庭医生")
        run.wait_for_builds(2)
    assert _files(site / "public") == deployed
    assert not [p for p in site.glob(".sitegen-*") if p.name != ".sitegen-cache"]


def test_out_still_chooses_the_folder(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    with running(site, out_dir=tmp_path / "elsewhere") as run:
        assert run.server.out_dir == (tmp_path / "elsewhere").absolute()
        assert (tmp_path / "elsewhere" / "index.html").is_file()
    assert not (site / "public").exists()


def test_event_stream_reload_errors_and_recovery(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    with running(site) as run:
        stream = EventStream(run.port)
        assert stream.response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        hello = stream.next_named("hello")
        assert hello["problems"] == []

        edit(site, ARTICLE, "需要先绑定社康中心", "需要先绑定家庭医生")
        reload = stream.next_named("reload")
        assert reload["build"] != hello["build"]
        _, _, body = request(run.port, ARTICLE_URL)
        assert "需要先绑定家庭医生" in body.decode()
        assert f'data-build="{reload["build"]}"'.encode() in body

        edit(site, ARTICLE, "title: 深圳门诊统筹怎么报销", "title: [深圳门诊统筹")
        problems = stream.next_named("problems")["problems"]
        assert [p["path"] for p in problems] == [ARTICLE.as_posix()]
        assert problems[0]["line"] == 2 and problems[0]["message"]
        # The last good site is still served, and a tab connecting now learns of the problem.
        status, _, body = request(run.port, ARTICLE_URL)
        assert status == 200 and "需要先绑定家庭医生" in body.decode()
        late = EventStream(run.port)
        assert late.next_named("hello")["problems"] == problems
        late.close()
        run.wait_for_builds(3)
        failed = run.of_kind("failed")
        assert len(failed) == 1 and failed[0].problems[0].path == ARTICLE.as_posix()

        edit(site, ARTICLE, "title: [深圳门诊统筹", "title: 深圳门诊统筹已修正")
        stream.next_named("reload")
        _, _, body = request(run.port, ARTICLE_URL)
        assert "深圳门诊统筹已修正" in body.decode()
        stream.close()
        run.wait_for_builds(4)
        built = run.of_kind("built")
        assert built[-1].changes == (ARTICLE.as_posix(),)
        assert "用时" in built[-1].message and ARTICLE.as_posix() in built[-1].message


def test_css_only_change_swaps_stylesheets_and_others_reload(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    with running(site) as run:
        stream = EventStream(run.port)
        stream.next_named("hello")
        edit(site, "static/css/site.css", ".article-body { font-size: 17px; }", ".article-body { font-size: 19px; }")
        assert stream.next()[0] == "css"
        # The tabs hear of a build before the terminal does: wait for the terminal's line.
        run.wait_for_builds(2)
        assert run.of_kind("built")[-1].css_only
        _, _, body = request(run.port, "/css/site.css")
        assert b"font-size: 19px" in body
        edit(site, "layouts/base.html", "跳到正文", "跳到正文内容")
        assert stream.next()[0] == "reload"
        stream.close()


def test_a_burst_of_changes_gives_one_rebuild_and_temp_files_are_ignored(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    with running(site) as run:
        run.wait_for_builds(1)
        touched = sorted((site / "content").rglob("*.md")) + sorted((site / "layouts").rglob("*.html"))
        assert len(touched) >= 20
        # Like `git checkout`: many files rewritten at once, plus an editor's swap and backup files.
        for path in touched:
            path.write_bytes(path.read_bytes() + b"\n")
        for junk in ("content/yibao/4913", "content/yibao/.shenzhen-menzhen.md.swp", "content/yibao/shenzhen-menzhen.md~", "content/yibao/.#x.md"):
            (site / junk).write_text("junk")
        run.wait_for_builds(2)
        edit(site, ARTICLE, "需要先绑定社康中心", "需要先绑定家庭医生")  # a later, separate save
        run.wait_for_builds(3)
        builds = run.of_kind("built", "failed")
        assert len(builds) == 3, [b.message for b in builds]
        assert set(builds[1].changes) == {p.relative_to(site).as_posix() for p in touched}
        assert builds[2].changes == (ARTICLE.as_posix(),)


def test_changes_to_site_toml_are_seen_even_when_saved_by_rename(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    with running(site) as run:
        run.wait_for_builds(1)
        for title in ("改名一", "改名二"):  # the second save proves the watch survived the first
            text = (site / "site.toml").read_text(encoding="utf-8")
            new = re.sub(r'^title = ".*"$', f'title = "{title}"', text, count=1, flags=re.M)
            temporary = site / "site.toml.tmp-save"
            temporary.write_text(new, encoding="utf-8")
            os.replace(temporary, site / "site.toml")
            run.wait_for(lambda events, title=title: any(title in e.message for e in events) or f"<title>{title}</title>" in (run.server.out_dir / "index.html").read_text(encoding="utf-8"))
        assert "site.toml" in run.of_kind("built")[-1].changes


def test_unexpected_exception_in_build_is_reported_not_fatal(tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path, "basic")
    with running(site) as run:
        real_build = serve_module.build

        def broken(options):
            raise RuntimeError("boom in a stage")

        monkeypatch.setattr(serve_module, "build", broken)
        stream = EventStream(run.port)
        stream.next_named("hello")
        edit(site, ARTICLE, "需要先绑定社康中心", "需要先绑定家庭医生")
        problems = stream.next_named("problems")["problems"]
        assert "RuntimeError" in problems[0]["message"] and "boom in a stage" in problems[0]["message"]
        # The tabs may hear of the failure before the terminal does: wait for the terminal's line.
        run.wait_for(lambda events: any(e.kind == "failed" for e in events))
        assert "RuntimeError" in run.of_kind("failed")[-1].problems[0].message
        assert request(run.port, ARTICLE_URL)[0] == 200
        monkeypatch.setattr(serve_module, "build", real_build)
        edit(site, ARTICLE, "需要先绑定家庭医生", "需要先绑定社区医生")
        stream.next_named("reload")
        stream.close()


def test_interrupted_rebuild_leaves_no_staging_folder(tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path, "basic")
    run = Running(site)
    run.server.start()
    out = run.server.out_dir
    try:
        def interrupted(options):
            (out.parent / f".sitegen-staging-{out.name}-deadbeef").mkdir()
            out.rename(out.parent / f".sitegen-retired-{out.name}-deadbeef")
            raise KeyboardInterrupt

        monkeypatch.setattr(serve_module, "build", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run.server.rebuild([])
    finally:
        run.server.stop()
    assert not [p for p in site.glob(".sitegen-*") if p.name != ".sitegen-cache"]
    assert not list(out.parent.glob(".sitegen-*"))
    assert (out / "index.html").is_file()  # the output moved aside is put back


def test_event_streams_end_when_the_server_stops(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    run = Running(site)
    run.server.start()
    streams = [EventStream(run.port) for _ in range(3)]
    for stream in streams:
        stream.next_named("hello")
    run.wait_for(lambda events: run.server.hub.clients == 3)
    started = time.monotonic()
    run.server.stop()
    for stream in streams:
        assert stream.next() is None  # the stream closed
        stream.close()
    assert time.monotonic() - started < 5
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", run.port), timeout=2)


def test_first_build_broken_still_serves_with_problems(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    edit(site, ARTICLE, "title: 深圳门诊统筹怎么报销", "title: [坏了")
    with running(site) as run:
        assert run.of_kind("failed") and run.of_kind("ready")
        status, _, body = request(run.port, "/")
        assert status == 404 and b"/__sitegen__/reload.js" in body  # so the overlay can show
        stream = EventStream(run.port)
        assert stream.next_named("hello")["problems"][0]["path"] == ARTICLE.as_posix()
        edit(site, ARTICLE, "title: [坏了", "title: 好了")
        stream.next_named("reload")
        stream.close()
        assert request(run.port, "/")[0] == 200


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = DevServer(ServeOptions(build=BuildOptions(site_dir=site), port=port))
        with pytest.raises(serve_module.ServeError, match=str(port)):
            server.start()


# ---------------------------------------------------------------------------------------------
# The command


def test_cli_serve_rebuilds_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen.cli", "serve", "--port", "0"],
        cwd=site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        # A shell's background jobs start with SIGINT ignored; a terminal's Ctrl-C does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 (runs before any thread)
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()

    def line_with(text: str) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if text in line:
                return line
        process.kill()
        raise AssertionError(f"no line with {text!r}; stderr: {process.stderr.read()}")

    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", line_with("预览地址")).group(0)
        port = int(url.rsplit(":", 1)[1].strip("/"))
        status, _, body = request(port, ARTICLE_URL)
        assert status == 200 and b"/__sitegen__/reload.js" in body
        edit(site, ARTICLE, "需要先绑定社康中心", "需要先绑定家庭医生")
        rebuilt = line_with("已重新生成")
        assert ARTICLE.as_posix() in rebuilt and "秒" in rebuilt
        assert "需要先绑定家庭医生" in request(port, ARTICLE_URL)[2].decode()
        stream = EventStream(port)  # an open event stream must not hold up the exit
        stream.next_named("hello")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        finally:
            process.kill()
    stderr = process.stderr.read()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert not [p for p in site.glob(".sitegen-*") if p.name != ".sitegen-cache"]
    assert not list(tmp_path.glob(".sitegen-*"))


def test_with_search_on_an_edit_reloads_first_and_the_index_catches_up_after(tmp_path: Path) -> None:
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    site = corpus.make_corpus(120, tmp_path / "site", seed=4)
    edit(site, "site.toml", "search = false", "search = true")
    source = sorted((site / "content").rglob("*.md"))[9]
    with running(site) as run:
        run.wait_for_builds(1)
        public = run.server.out_dir
        folder, entry = public.stat().st_ino, public / "pagefind" / "pagefind-entry.json"
        assert entry.is_file() and not run.of_kind("indexed")  # the first build indexes as it goes

        edit(site, source.relative_to(site), "## 一、", "编辑补充的一句。\n\n## 一、")
        run.wait_for(lambda events: any(e.kind == "indexed" for e in events), timeout=60)

        kinds = [e.kind for e in run.events]
        assert kinds.count("built") == 2 and kinds.index("indexed") > max(i for i, k in enumerate(kinds) if k == "built")
        assert public.stat().st_ino == folder  # patched in place, not swapped
        page = next(public.rglob(f"{source.stem}/index.html"))
        assert "编辑补充的一句" in page.read_text(encoding="utf-8")
        assert entry.is_file() and (public / "pagefind" / "pagefind.js").is_file()
        # The slim page the index was made from holds the edit: cut after the reload, not before.
        slim = next((site / ".sitegen-cache" / "search-pages").rglob(f"{source.stem}/index.html"))
        assert "补充" in slim.read_text(encoding="utf-8")
        assert not [p.name for p in tmp_path.joinpath("site").iterdir() if p.name.startswith(".sitegen-pagefind")]
        # Pagefind wrote where a build's does, and the index it replaced waits in the cache for
        # the next indexing to delete, off the refresh's way.
        cache = site / ".sitegen-cache"
        assert not (cache / "new-index").exists()
        assert (cache / "retired-index" / "pagefind-entry.json").is_file()
        status, _, _ = request(run.port, "/pagefind/pagefind-entry.json")
        assert status == 200


class ServeProcess:
    """`sitegen serve --port 0` in a process of its own, its output read line by line."""

    def __init__(self, site: Path, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen.cli", "serve", "--port", "0", *args],
            cwd=site,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, kept: list[str]) -> None:
        for line in stream:
            kept.append(line)
            self.lines.put(line)

    def line_with(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if text in line:
                return line
        self.process.kill()
        raise AssertionError(f"no line with {text!r}; output: {self.stdout + self.stderr}")

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=20)
        finally:
            self.process.kill()
        for reader in self._readers:
            reader.join(timeout=5)
        return self.process.returncode


def test_cli_serve_template_error_and_sigterm_with_workers_print_no_traceback(tmp_path: Path) -> None:
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    site = corpus.make_corpus(120, tmp_path / "site", seed=4)  # enough pages to fork workers
    serving = ServeProcess(site)
    try:
        serving.line_with("预览地址")
        # A template that fails while rendering, in the workers: one line, not their tracebacks.
        layout = site / "layouts" / "article.html"
        good = layout.read_bytes() if layout.exists() else None  # the site's own, or the theme's
        layout.parent.mkdir(exist_ok=True)
        layout.write_text("<h1>{{ article.title.no_such_method() }}</h1>\n", encoding="utf-8")
        serving.line_with("生成失败")
        problem = serving.line_with("layouts/article.html")
        assert "模板出错" in problem
        if good is None:
            layout.unlink()
        else:
            layout.write_bytes(good)
        serving.line_with("已重新生成")
        # A file name that would retitle the terminal (an OSC sequence) is printed escaped.
        evil = site / "content" / "yibao" / "evil\x1b]0;pwned\x07.md"
        evil.write_text("---\ntitle: [坏了\n---\n正文\n", encoding="utf-8")
        serving.line_with("生成失败")
    finally:
        returncode = serving.stop(signal.SIGTERM)
    output = "".join(serving.stdout + serving.stderr)
    assert returncode == 0, output
    assert "Traceback" not in output and "\x1b]" not in output and "\x07" not in output
    assert "evil\\x1b]0;pwned\\x07.md" in output
    assert "预览已停止" in output
    assert len(serving.stderr) < 12, serving.stderr  # one line a problem, no stack dumps


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_any_moment_stops_serve_without_a_traceback(tmp_path: Path, signum: int) -> None:
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    site = corpus.make_corpus(120, tmp_path / "site", seed=4)
    # While loading, during the first build (workers forked), and while serving. Not in the first
    # few ms: there Python itself runs, before any line of sitegen could catch the signal.
    for delay in (0.3, 0.8, 1.5, None):
        process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "serve", "--port", "0"],
            cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", start_new_session=True,
        )  # fmt: skip
        if delay is None:
            while "预览地址" not in (line := process.stdout.readline()):
                assert line, "serve ended before it was ready"
        else:
            time.sleep(delay)
        os.killpg(process.pid, signum)  # the whole group, as a terminal's Ctrl-C does
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"serve hung after the signal at {delay} s")
        assert "Traceback" not in stderr, (delay, stderr)
        assert process.returncode in (0, 130) or (process.returncode == -signal.SIGTERM and not stderr), (delay, process.returncode, stderr)
        assert not [p for p in site.glob(".sitegen-*") if p.name != ".sitegen-cache"]


def test_the_sigterm_handler_is_harmless_in_a_forked_build_worker() -> None:
    # A build forks workers while serve's handler is installed; one that gets SIGTERM before it
    # resets its handlers must end quietly, not raise KeyboardInterrupt (a traceback) or live on.
    handler = serve_module._interrupter()
    pid = os.fork()
    if pid == 0:
        try:
            handler(signal.SIGTERM, None)
        finally:
            os._exit(0)  # reached only if the handler let the worker live
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
    with pytest.raises(KeyboardInterrupt):  # in serve's own process it stops serve
        handler(signal.SIGTERM, None)
