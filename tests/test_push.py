"""`sitegen push` against a stub of Baidu's 普通收录 API on 127.0.0.1, and the IndexNow key file."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from conftest import build_site, make_site
from sitegen.cli import main
from sitegen.push import BATCH, LEDGER_FILE

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


@pytest.fixture
def baidu() -> Iterator[StubBaidu]:
    stub = StubBaidu()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BAIDU_PUSH_TOKEN", "secret-token")
    monkeypatch.delenv("INDEXNOW_KEY", raising=False)
    site = make_site(tmp_path, "trust")
    build_site(site)
    return site


def set_key(site: Path, key: str | None) -> None:
    config = site / "site.toml"
    text = config.read_text(encoding="utf-8").split("\n[indexnow]\n")[0]
    config.write_text(text if key is None else f'{text}\n[indexnow]\nkey = "{key}"\n', encoding="utf-8")


def push(site: Path, baidu: StubBaidu, *extra: str):
    return CliRunner().invoke(main, ["push", "--site", str(site), "--endpoint", baidu.endpoint, *extra])


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


# --- the IndexNow key file ------------------------------------------------------------------------


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
