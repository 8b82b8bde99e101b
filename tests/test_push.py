"""`sitegen push` against stubs of Baidu's 普通收录 API and of IndexNow on 127.0.0.1, and the IndexNow key file."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from conftest import build_site, make_site
from sitegen.cli import main
from sitegen.push import BATCH, INDEXNOW_BATCH, INDEXNOW_LEDGER_FILE, LEDGER_FILE

KEY = "3f2a9c1d-4b5e-6f70"


class StubBaidu:
    """Answers like Baidu: success and remain, or the error it is told to give; keeps every request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answer: tuple[int, dict] | None = None  # (status, JSON) instead of success
        self.refuse: list[str] = []  # answered as not_valid
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server calls it by this name
                body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
                query = parse_qs(urlsplit(self.path).query)
                urls = body.split("\n")
                stub.requests.append({"type": self.headers["Content-Type"], "site": query["site"][0], "token": query["token"][0], "urls": urls})
                status, answer = stub.answer or (200, {"remain": 2990, "success": len(urls) - len(stub.refuse), "not_valid": stub.refuse})
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/urls"

    @property
    def sent(self) -> list[str]:
        return [url for request in self.requests for url in request["urls"]]


class StubIndexNow:
    """Answers like IndexNow: a bare status (202 unless told otherwise); keeps every request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 202
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server calls it by this name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                stub.requests.append({"type": self.headers["Content-Type"], "path": self.path, **body})
                self.send_response(stub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/indexnow"

    @property
    def sent(self) -> list[str]:
        return [url for request in self.requests for url in request["urlList"]]


def _serving(stub: StubBaidu | StubIndexNow) -> Iterator:
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


@pytest.fixture
def baidu() -> Iterator[StubBaidu]:
    yield from _serving(StubBaidu())


@pytest.fixture
def indexnow() -> Iterator[StubIndexNow]:
    yield from _serving(StubIndexNow())


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BAIDU_PUSH_TOKEN", "secret-token")
    monkeypatch.delenv("INDEXNOW_KEY", raising=False)
    site = make_site(tmp_path, "trust")
    build_site(site)
    return site


@pytest.fixture
def keyed(site: Path) -> Path:
    """The trust site with an IndexNow key in site.toml, built."""
    set_key(site, KEY)
    build_site(site)
    return site


def set_key(site: Path, key: str | None) -> None:
    config = site / "site.toml"
    text = config.read_text(encoding="utf-8").split("\n[indexnow]\n")[0]
    config.write_text(text if key is None else f'{text}\n[indexnow]\nkey = "{key}"\n', encoding="utf-8")


def push(site: Path, baidu: StubBaidu, *extra: str, indexnow: StubIndexNow | None = None):
    to_indexnow = ["--indexnow-endpoint", indexnow.endpoint] if indexnow else []
    return CliRunner().invoke(main, ["push", "--site", str(site), "--endpoint", baidu.endpoint, *to_indexnow, *extra])


def test_first_push_sends_every_url_second_none_an_edit_one(site: Path, baidu: StubBaidu) -> None:
    first = push(site, baidu)
    assert first.exit_code == 0, first.output
    request = baidu.requests[0]
    assert (request["type"], request["site"], request["token"]) == ("text/plain", "https://trust.example.cn", "secret-token")
    listed = baidu.sent
    assert "https://trust.example.cn/ertong/shizhen/" in listed and "https://trust.example.cn/people/wang-yisheng/" in listed
    assert len(listed) == len(set(listed))
    assert f"已向百度推送 {len(listed)} 个网址，今日还可推送 2990 条" in first.output

    second = push(site, baidu)
    assert second.exit_code == 0 and len(baidu.requests) == 1
    assert "没有新增或更新的网址" in second.output

    article = site / "content/ertong/fashao.md"
    article.write_text(article.read_text(encoding="utf-8").replace("date: 2026-09-01", "date: 2026-09-01\nupdated: 2026-11-20"), encoding="utf-8")
    build_site(site)
    third = push(site, baidu)
    assert third.exit_code == 0, third.output
    # The article and the pages whose newest entry it now is (home, lists) changed their lastmod.
    assert "https://trust.example.cn/ertong/fashao/" in baidu.requests[1]["urls"]
    assert "https://trust.example.cn/ertong/shizhen/" not in baidu.requests[1]["urls"]


def test_an_edit_sends_that_article_and_only_the_lists_it_heads(site: Path, baidu: StubBaidu) -> None:
    push(site, baidu)
    article = site / "content/yibao/menzhen.md"
    article.write_text(article.read_text(encoding="utf-8").replace("date: 2025-11-03", "date: 2025-11-03\nupdated: 2026-01-05"), encoding="utf-8")
    build_site(site)
    assert push(site, baidu).exit_code == 0
    # The oldest article: its own page, and the two lists whose newest entry it is.
    assert sorted(baidu.requests[1]["urls"]) == [
        "https://trust.example.cn/people/li-bianji/page/2/",
        "https://trust.example.cn/tags/menzhentongchou/",
        "https://trust.example.cn/yibao/menzhen/",
    ]


def test_dry_run_lists_and_sends_nothing(site: Path, baidu: StubBaidu) -> None:
    result = push(site, baidu, "--dry-run")
    assert result.exit_code == 0
    assert "https://trust.example.cn/ertong/shizhen/" in result.output.splitlines()
    assert "未发送" in result.output
    assert baidu.requests == [] and not (site / ".sitegen-cache" / LEDGER_FILE).exists()


def test_over_quota_and_bad_token_give_their_messages_and_send_again_later(site: Path, baidu: StubBaidu) -> None:
    baidu.answer = (400, {"error": 400, "message": "over quota"})
    quota = push(site, baidu)
    assert quota.exit_code == 1
    assert "百度今日的推送配额已用完" in quota.output
    baidu.answer = (401, {"error": 401, "message": "token is not valid"})
    token = push(site, baidu)
    assert token.exit_code == 1
    assert "BAIDU_PUSH_TOKEN" in token.output and "token" in token.output
    baidu.answer = None
    assert push(site, baidu).exit_code == 0
    assert baidu.requests[2]["urls"] == baidu.requests[0]["urls"]  # nothing was lost


def test_refused_urls_are_reported_and_kept_out_of_the_ledger(site: Path, baidu: StubBaidu) -> None:
    baidu.refuse = ["https://trust.example.cn/yibao/menzhen/"]
    result = push(site, baidu)
    assert result.exit_code == 0
    assert "1 个网址百度认为不合法" in result.output
    ledger = json.loads((site / ".sitegen-cache" / LEDGER_FILE).read_text(encoding="utf-8"))
    assert "https://trust.example.cn/yibao/menzhen/" not in ledger
    assert "https://trust.example.cn/ertong/shizhen/" in ledger


def test_without_a_token_nothing_is_sent(site: Path, baidu: StubBaidu, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAIDU_PUSH_TOKEN")
    result = push(site, baidu)
    assert result.exit_code == 1 and "没有设置环境变量 BAIDU_PUSH_TOKEN" in result.output
    # Neither service is set up: the one line says what to set for each.
    assert "[indexnow] key" in result.output and "INDEXNOW_KEY" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert baidu.requests == []


def test_batches_of_at_most_2000(tmp_path: Path, baidu: StubBaidu) -> None:
    from sitegen.push import push as push_urls

    out = tmp_path / "public"
    out.mkdir()
    entries = "".join(f"<url><loc>https://x.cn/a/{n}/</loc><lastmod>2026-01-01</lastmod></url>" for n in range(BATCH + 5))
    (out / "sitemap.xml").write_text(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>', encoding="utf-8")
    result = push_urls(out, tmp_path / ".sitegen-cache", "https://x.cn/", token="t", endpoint=baidu.endpoint)
    assert [len(r["urls"]) for r in baidu.requests] == [BATCH, 5]
    assert len(result.sent) == BATCH + 5


# --- IndexNow ------------------------------------------------------------------------------------


def test_the_key_file_holds_the_key_follows_it_and_goes_with_it(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = site / "public"
    set_key(site, KEY)
    first = build_site(site)
    assert (out / f"{KEY}.txt").read_bytes() == KEY.encode()
    assert first.rendered == 1  # the key is left out of the settings every page depends on
    assert f"{KEY}.txt" not in (out / "sitemap.xml").read_text(encoding="utf-8")

    # $INDEXNOW_KEY wins over site.toml; with site.toml unchanged, the build still sees it.
    monkeypatch.setenv("INDEXNOW_KEY", "from-the-environment")
    assert build_site(site).rendered == 1
    assert (out / "from-the-environment.txt").read_text(encoding="utf-8") == "from-the-environment"
    assert not (out / f"{KEY}.txt").exists()

    monkeypatch.delenv("INDEXNOW_KEY")
    set_key(site, None)
    build_site(site)
    assert sorted(p.name for p in out.glob("*.txt")) == ["robots.txt"]


def test_first_push_sends_every_url_to_both_second_none_an_edit_one(keyed: Path, baidu: StubBaidu, indexnow: StubIndexNow) -> None:
    first = push(keyed, baidu, indexnow=indexnow)
    assert first.exit_code == 0, first.output
    [request] = indexnow.requests
    assert request["type"] == "application/json; charset=utf-8" and request["path"] == "/indexnow"
    assert (request["host"], request["key"], request["keyLocation"]) == ("trust.example.cn", KEY, f"https://trust.example.cn/{KEY}.txt")
    assert request["urlList"] == baidu.sent and "https://trust.example.cn/ertong/shizhen/" in request["urlList"]
    assert f"已向 IndexNow（Bing、Yandex 等）提交 {len(indexnow.sent)} 个网址（202：已收到，密钥稍后验证）" in first.output
    assert "已向百度推送" in first.output

    second = push(keyed, baidu, indexnow=indexnow)
    assert second.exit_code == 0 and len(indexnow.requests) == 1 and len(baidu.requests) == 1
    assert "IndexNow：没有新增或更新的网址" in second.output and "百度：没有新增或更新的网址" in second.output

    article = keyed / "content/ertong/fashao.md"
    article.write_text(article.read_text(encoding="utf-8").replace("date: 2026-09-01", "date: 2026-09-01\nupdated: 2026-11-20"), encoding="utf-8")
    build_site(keyed)
    indexnow.status = 200
    third = push(keyed, baidu, indexnow=indexnow)
    assert third.exit_code == 0, third.output
    assert indexnow.requests[1]["urlList"] == baidu.requests[1]["urls"]
    assert "https://trust.example.cn/ertong/fashao/" in indexnow.requests[1]["urlList"]
    assert "https://trust.example.cn/ertong/shizhen/" not in indexnow.requests[1]["urlList"]
    assert "密钥稍后验证" not in third.output  # a 200: the key was already checked


def test_a_url_sent_to_one_service_still_goes_to_the_other(site: Path, baidu: StubBaidu, indexnow: StubIndexNow) -> None:
    assert push(site, baidu, indexnow=indexnow).exit_code == 0  # no key yet: Baidu alone
    assert indexnow.requests == [] and "IndexNow" not in push(site, baidu, indexnow=indexnow).output
    set_key(site, KEY)
    build_site(site)
    later = push(site, baidu, indexnow=indexnow)
    assert later.exit_code == 0, later.output
    assert len(baidu.requests) == 1 and indexnow.sent == baidu.sent  # everything, to IndexNow only


def test_indexnow_alone_without_a_baidu_token(keyed: Path, baidu: StubBaidu, indexnow: StubIndexNow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAIDU_PUSH_TOKEN")
    result = push(keyed, baidu, indexnow=indexnow)
    assert result.exit_code == 0, result.output
    assert baidu.requests == [] and indexnow.requests and "百度" not in result.output
    assert not (keyed / ".sitegen-cache" / LEDGER_FILE).exists()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "IndexNow 认为请求的格式不对（400）；请检查 site.toml 的 base_url 和 [indexnow] key"),
        (403, f"IndexNow 认为 key 无效（403）：找不到密钥文件 https://trust.example.cn/{KEY}.txt，或其中的内容不是这个 key；请确认构建后的网站已发布、这个网址能打开"),
        (422, "IndexNow 拒绝了这些网址（422）：网址不属于 trust.example.cn，或 key 与密钥文件不一致；请检查 site.toml 的 base_url 和 [indexnow] key"),
        (429, "IndexNow 认为请求过于频繁（429）；未提交的网址会留到下次，请稍后再运行 sitegen push"),
    ],
)
def test_indexnow_refusals_give_their_messages_and_send_again_later(
    keyed: Path, baidu: StubBaidu, indexnow: StubIndexNow, status: int, message: str
) -> None:
    indexnow.status = status
    refused = push(keyed, baidu, indexnow=indexnow)
    assert refused.exit_code == 1
    assert f"错误 {indexnow.endpoint}: {message}" in refused.output.splitlines()
    assert "已向百度推送" in refused.output  # Baidu's push went ahead
    assert not (keyed / ".sitegen-cache" / INDEXNOW_LEDGER_FILE).exists()
    indexnow.status = 200
    again = push(keyed, baidu, indexnow=indexnow)
    assert again.exit_code == 0, again.output
    assert indexnow.requests[1]["urlList"] == indexnow.requests[0]["urlList"] and len(baidu.requests) == 1


def test_an_unreachable_endpoint_is_one_line_and_the_ledger_stays(keyed: Path, baidu: StubBaidu) -> None:
    with socket.socket() as unused:  # a port nothing listens on once it is closed
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = CliRunner().invoke(main, ["push", "--site", str(keyed), "--endpoint", baidu.endpoint, "--indexnow-endpoint", f"http://127.0.0.1:{port}/indexnow"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if "IndexNow" in line]
    assert line.startswith(f"错误 http://127.0.0.1:{port}/indexnow: 无法连接 IndexNow 接口")
    assert not (keyed / ".sitegen-cache" / INDEXNOW_LEDGER_FILE).exists()


def test_a_build_without_the_key_file_sends_nothing_to_indexnow(site: Path, baidu: StubBaidu, indexnow: StubIndexNow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXNOW_KEY", KEY)  # set for the push, not for the build before it
    result = push(site, baidu, indexnow=indexnow)
    assert result.exit_code == 1 and indexnow.requests == []
    assert f"输出中没有内容为这个 key 的 IndexNow 密钥文件 {KEY}.txt" in result.output
    dry_run = push(site, baidu, "--dry-run", indexnow=indexnow)  # says so too, and lists
    assert dry_run.exit_code == 0 and f"IndexNow 密钥文件 {KEY}.txt" in dry_run.output and indexnow.requests == []


@pytest.mark.parametrize("key", ["short", "has space in it", "有中文的密钥12345", "x" * 129])
def test_a_bad_key_in_site_toml_names_the_file_and_line(site: Path, baidu: StubBaidu, key: str) -> None:
    set_key(site, key)
    line = site.joinpath("site.toml").read_text(encoding="utf-8").splitlines().index(f'key = "{key}"') + 1
    for command in (["build", "--site", str(site)], ["push", "--site", str(site), "--endpoint", baidu.endpoint]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"site.toml:{line}: indexnow.key: 不是有效的 IndexNow key：应为 8 到 128 个字母、数字或连字符 -" in result.output
    assert baidu.requests == []


def test_a_bad_key_in_the_environment_names_the_variable(site: Path, baidu: StubBaidu, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXNOW_KEY", "bad/key")
    result = push(site, baidu)
    assert result.exit_code == 1 and baidu.requests == []
    assert "错误 INDEXNOW_KEY: 环境变量 INDEXNOW_KEY 不是有效的 IndexNow key" in result.output


def test_dry_run_lists_what_each_would_get_and_sends_nothing(keyed: Path, baidu: StubBaidu, indexnow: StubIndexNow) -> None:
    indexnow.status = 429
    push(keyed, baidu, indexnow=indexnow)  # all sent to Baidu, none to IndexNow
    result = push(keyed, baidu, "--dry-run", indexnow=indexnow)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "百度：将推送 0 个新增或更新的网址（--dry-run：未发送）"
    assert lines[1] == f"IndexNow：将推送 {len(baidu.sent)} 个新增或更新的网址（--dry-run：未发送）"
    assert lines[2:] == baidu.sent
    assert len(baidu.requests) == 1 and len(indexnow.requests) == 1  # the dry run sent nothing
    assert not (keyed / ".sitegen-cache" / INDEXNOW_LEDGER_FILE).exists()


def test_indexnow_batches_of_at_most_10000(tmp_path: Path, indexnow: StubIndexNow) -> None:
    from sitegen.push import push_indexnow

    out = tmp_path / "public"
    out.mkdir()
    entries = "".join(f"<url><loc>https://x.cn/a/{n}/</loc><lastmod>2026-01-01</lastmod></url>" for n in range(INDEXNOW_BATCH + 5))
    (out / "sitemap.xml").write_text(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>', encoding="utf-8")
    (out / f"{KEY}.txt").write_text(KEY, encoding="utf-8")
    result = push_indexnow(out, tmp_path / ".sitegen-cache", "https://x.cn/", key=KEY, endpoint=indexnow.endpoint)
    assert [len(r["urlList"]) for r in indexnow.requests] == [INDEXNOW_BATCH, 5]
    assert len(result.sent) == INDEXNOW_BATCH + 5
