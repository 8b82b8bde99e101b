"""The headers in netlify.toml, and proof in Chromium that the theme lives within its CSP.

A built site (with the Pagefind index) is served over a local http.server that sends the headers
netlify.toml gives each path, with a `report-uri` added so violations inside Pagefind's worker
are seen too. Without Chromium the browser tests skip, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import REPO, build_site
from netlify_headers import for_pattern, headers_for, matching_rules
from sitegen.theme import THEME_DIR

# Pagefind names these by content hash (zh-cn_a37bc85.pf_fragment); nothing else it writes is.
# Pagefind's index files, and image variants (images.py: <name>-<digest>-<width or share>.<ext>)
HASHED = re.compile(r"_[0-9a-f]{7,}\.pf_(fragment|index|filter|meta)$|-[0-9a-f]{10}-(\d+|share)\.(jpg|png|webp)$")


def csp_directives() -> dict[str, list[str]]:
    policy = headers_for("/")["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of the sample site (48 articles) built with its Pagefind index; the output folder."""
    site = tmp_path_factory.mktemp("csp") / "sample"
    # The sample site uses the packaged theme, copied in as a site's own files would override it.
    for part in ("layouts", "static"):
        shutil.copytree(THEME_DIR / part, site / part)
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "static", site / "static", dirs_exist_ok=True)
    shutil.copy(REPO / "site.toml", site / "site.toml")
    build_site(site, search=True)
    return site / "public"


# --- the headers themselves ------------------------------------------------------------------


def test_every_file_gets_the_security_headers() -> None:
    headers = headers_for("/any/page/")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    csp = csp_directives()
    assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"] and csp["worker-src"] == ["'self'"]


def test_long_cache_only_for_content_hashed_files(built: Path) -> None:
    files = [p for p in built.rglob("*") if p.is_file()]
    assert any(HASHED.search(p.name) for p in files), "the build wrote no Pagefind index"
    assert any(p.name.endswith(".pf_meta") for p in files)
    for file in files:
        url = "/" + file.relative_to(built).as_posix()
        cache_values = [v["Cache-Control"] for v in matching_rules(url) if "Cache-Control" in v]
        assert len(cache_values) <= 1, f"{url}: Cache-Control set by two rules, Netlify would merge them"
        immutable = bool(cache_values) and "immutable" in cache_values[0]
        if immutable:
            assert HASHED.search(file.name), f"{url} is cached for a year but its name has no content hash"
            assert "max-age=31536000" in cache_values[0]
        elif HASHED.search(file.name):
            pytest.fail(f"{url} is content-hashed but not cached long")
    # Named alike from build to build: kept a few minutes at most (Pagefind's worker fetches
    # them again after the page did). The entry too: search.js asks for it at an address of each
    # page load's own (tests/test_search_page.py), so a kept copy is only that load's.
    for url in ("/css/site.css", "/js/search.js", "/pagefind/pagefind.js", "/pagefind/pagefind-worker.js", "/pagefind/pagefind-ui.js", "/pagefind/wasm.unknown.pagefind", "/pagefind/pagefind-entry.json"):
        cache = headers_for(url)["Cache-Control"]
        assert "immutable" not in cache, url
        assert 0 < int(re.search(r"max-age=(\d+)", cache).group(1)) <= 3600, url
    for url in ("/pagefind/sitegen-words/head.json", "/pagefind/sitegen-words/0.txt", "/search/"):
        assert "Cache-Control" not in headers_for(url), url  # Netlify's default: revalidate on every use


@pytest.mark.parametrize(
    ("for_path", "path", "matches"),
    [
        ("/*", "/", True),
        ("/*", "/yibao/x/", True),
        ("/pagefind/index/*", "/pagefind/index/zz_1a2b3c4.pf_index", True),
        ("/pagefind/index/*", "/pagefind/index", True),  # a lone * may be empty
        ("/pagefind/index/*", "/pagefind/indexes/x", True),  # Netlify's own regex: the slash before * is optional
        ("/pagefind/index/*", "/pagefind/fragment/x", False),
        ("/pagefind/*.pf_meta", "/pagefind/pagefind.zz_64138ddd5f.pf_meta", True),
        ("/pagefind/*.pf_meta", "/pagefind/pagefind.js", False),
        ("/pagefind/wasm.*", "/pagefind/wasm.unknown.pagefind", True),
        ("/pagefind/wasm.*", "/pagefind/wasmXunknown", True),  # Netlify escapes nothing beside a *
        ("/pagefind/*.js", "/pagefind/pagefind-worker.js", True),
        ("/pagefind/*.js", "/pagefind/pagefind-entry.json", False),
        ("/pagefind/pagefind.js", "/pagefind/pagefind.js", True),
        ("/pagefind/pagefind.js", "/pagefind/pagefind.json", False),
        ("/pagefind/pagefind.js", "/PAGEFIND/pagefind.js/", True),  # case and a trailing slash, as Netlify
        ("/tags/:tag/", "/tags/yibao/", True),
        ("/tags/:tag/", "/tags/yibao/page/2/", False),
    ],
)
def test_rules_match_as_netlify_matches_them(for_path: str, path: str, matches: bool) -> None:
    assert bool(for_pattern(for_path).match(path)) is matches


def test_theme_pages_have_no_inline_script_or_style(built: Path) -> None:
    """What the CSP forbids, checked in the HTML itself: a violation here would also be one in a browser."""
    for page in built.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert not soup.find_all("style"), page
        for tag in soup.find_all(True):
            assert "style" not in tag.attrs, f"{page}: <{tag.name} style=\u2026>"
            assert not [a for a in tag.attrs if a.lower().startswith("on")], f"{page}: <{tag.name}> event handler"
        for script in soup.find_all("script"):
            assert script.get("src") or script.get("type") == "application/ld+json", f"{page}: inline script"


# --- in Chromium ------------------------------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site with netlify.toml's headers; collects CSP reports POSTed to it."""

    reports: list[bytes]

    def log_message(self, format: str, *args) -> None:  # keep pytest's output clean
        pass

    def end_headers(self) -> None:
        for name, value in headers_for(self.path).items():
            if name == "Content-Security-Policy":
                value += "; report-uri /__csp-report"
            self.send_header(name, value)
        super().end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.reports.append(self.rfile.read(length))
        self.send_response(204)
        self.end_headers()


@pytest.fixture(scope="module")
def served(built: Path) -> Iterator[tuple[str, list[bytes]]]:
    (built / "csp-canary.html").write_text(
        '<!DOCTYPE html><title>canary</title><p style="color:red">x</p><script>document.title = "ran"</script>\n',
        encoding="utf-8",
    )
    reports: list[bytes] = []
    handler = type("Handler", (_Handler,), {"reports": reports})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(built)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", reports
    server.shutdown()
    server.server_close()


class Watched:
    """A browser page with every CSP complaint it produces: events, console lines and reports."""

    def __init__(self, browser, base: str, reports: list[bytes]):
        self.base, self.reports = base, reports
        self.context = browser.new_context()
        # Runs before any page script (Playwright injects it past the CSP), so no event is missed.
        self.context.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, path
        assert response.headers.get("content-security-policy"), "the server sent no CSP"

    def violations(self) -> list[str]:
        self.page.wait_for_timeout(300)  # report-uri POSTs are sent asynchronously
        events = self.page.evaluate("window.__violations")
        console = [line for line in self.console if "Content Security Policy" in line or "Content-Security-Policy" in line]
        return [*events, *console, *(r.decode("utf-8", "replace") for r in self.reports)]


@pytest.fixture
def watched(browser, served) -> Iterator[Watched]:
    base, reports = served
    reports.clear()
    watcher = Watched(browser, base, reports)
    yield watcher
    watcher.context.close()


@pytest.mark.browser
def test_the_harness_sees_a_violation(watched: Watched) -> None:
    """An inline script and an inline style on a test page are reported: a silent pass proves nothing."""
    watched.open("/csp-canary.html")
    assert watched.page.title() == "canary"  # the inline script was blocked
    found = watched.violations()
    assert any("script-src" in v for v in found), found
    assert any("style-src" in v for v in found), found


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/", "/yibao/guangzhou-yibao-baoxiao-bili/", "/topics/yibao/", "/404.html"])
def test_pages_run_without_csp_violations(watched: Watched, path: str) -> None:
    watched.open(path)
    watched.page.wait_for_load_state("networkidle")
    assert watched.violations() == []
    assert not [line for line in watched.console if line.startswith("page error")]


@pytest.mark.browser
def test_search_finds_articles_within_the_policy(watched: Watched) -> None:
    watched.open("/search/?q=%E5%8C%BB%E4%BF%9D")  # ?q=医保
    results = watched.page.locator("#search-results li")
    results.first.wait_for()
    assert results.count() >= 1
    # The status follows the first card, once the first batch is in: waited for, not read at once
    # (a fresh-clone CI run read "正在搜索…" between the two).
    watched.page.locator("#search-status", has_text="医保").wait_for()
    # A second query typed into the form: the worker and WebAssembly are already running.
    watched.page.fill("#search-input", "湿疹")
    watched.page.press("#search-input", "Enter")
    # A locator, not wait_for_function: that evaluates a string in the page, which the CSP forbids.
    watched.page.locator("#search-status", has_text="湿疹").wait_for()
    assert watched.page.locator("#search-results li").count() >= 1
    assert watched.violations() == []
    assert not [line for line in watched.console if line.startswith("page error")]
