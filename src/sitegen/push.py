"""`sitegen push`: tell Baidu's 普通收录 API about the pages added or changed since the last push.

What changed is read from the built sitemap (every listed URL and its lastmod) against a ledger
in `.sitegen-cache/` of what was already sent, so a URL is never sent twice for the same
version, whichever build or machine made the output. Baidu takes plain text, one URL a line, at
most 2,000 a request, at `?site=<scheme://host>&token=<token>`, and answers JSON: `success` and
`remain` (today's quota left), `not_same_site` and `not_valid` (URLs it refused), or an `error`
code with a `message` (400 over quota, 401 a wrong token…). Every outcome becomes one Chinese line.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from .errors import Problem, SiteError

BAIDU_ENDPOINT = "http://data.zz.baidu.com/urls"
TOKEN_VARIABLE = "BAIDU_PUSH_TOKEN"
LEDGER_FILE = "baidu-push.json"
BATCH = 2000  # Baidu's limit per request
_SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

Post = Callable[[str, bytes], tuple[int, bytes]]  # (URL, body) → (HTTP status, response body)


@dataclass
class PushResult:
    """What one push did: URLs sent and accepted, refused, left for later, and Baidu's quota."""

    pending: list[str]  # added or changed since the last push
    sent: list[str] = field(default_factory=list)  # accepted by Baidu (and now in the ledger)
    refused: list[str] = field(default_factory=list)  # not_same_site or not_valid
    remain: int | None = None
    messages: list[str] = field(default_factory=list)  # one line each, in Chinese


def sitemap_urls(out_dir: Path) -> dict[str, str]:
    """Every URL the built sitemap lists, with its lastmod's calendar day ('' if none).

    Only the day: a change of the date format (a date, then a date-time) must not send every URL
    again, and Baidu's quota is small.
    """
    found: dict[str, str] = {}
    _read_sitemap(out_dir, "sitemap.xml", found, depth=0)
    return found


def _read_sitemap(out_dir: Path, name: str, found: dict[str, str], depth: int) -> None:
    path = out_dir / name
    try:
        root = ElementTree.parse(path).getroot()
    except FileNotFoundError:
        raise SiteError(Problem(str(path), None, "找不到 sitemap.xml\uff1b请先运行 sitegen build 再推送")) from None
    except (OSError, ElementTree.ParseError) as exc:
        raise SiteError(Problem(str(path), None, f"无法读取站点地图\uff1a{exc}")) from None
    if root.tag == f"{_SITEMAP}sitemapindex" and depth == 0:
        # Past 50,000 URLs the sitemap is an index of parts written beside it.
        for part in root.iter(f"{_SITEMAP}loc"):
            _read_sitemap(out_dir, urlsplit((part.text or "").strip()).path.rsplit("/", 1)[-1], found, depth + 1)
        return
    for entry in root.iter(f"{_SITEMAP}url"):
        loc = (entry.findtext(f"{_SITEMAP}loc") or "").strip()
        if loc:
            found[loc] = (entry.findtext(f"{_SITEMAP}lastmod") or "").strip()[:10]


def read_ledger(cache_dir: Path) -> dict[str, str]:
    """The URLs already sent, with the lastmod they were sent at."""
    try:
        data = json.loads((cache_dir / LEDGER_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError):
        # A broken ledger must not resend the whole site into a small quota: say so, stop.
        raise SiteError(Problem(str(cache_dir / LEDGER_FILE), None, "推送记录已损坏\uff1b确认要重新推送全部网址时请删除这个文件")) from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise SiteError(Problem(str(cache_dir / LEDGER_FILE), None, "推送记录的格式不对\uff1b确认要重新推送全部网址时请删除这个文件"))
    return data


def _write_ledger(cache_dir: Path, ledger: dict[str, str]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = cache_dir / f"{LEDGER_FILE}.tmp"
    temporary.write_text(json.dumps(ledger, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
    os.replace(temporary, cache_dir / LEDGER_FILE)  # never half a ledger: that would resend


def pending_urls(current: dict[str, str], ledger: dict[str, str]) -> list[str]:
    """URLs new since the last push, or whose lastmod changed, in sitemap order."""
    return [url for url, lastmod in current.items() if ledger.get(url) != lastmod]


def push(
    out_dir: Path,
    cache_dir: Path,
    base_url: str,
    *,
    token: str | None,
    endpoint: str = BAIDU_ENDPOINT,
    dry_run: bool = False,
    post: Post | None = None,
) -> PushResult:
    """Send the pending URLs of the output in `out_dir`; raise SiteError when nothing could be sent."""
    if not endpoint.startswith(("http://", "https://")):
        raise SiteError(Problem("--endpoint", None, f"推送接口 {endpoint} 应为 http:// 或 https:// 开头的网址"))
    current = sitemap_urls(out_dir)
    ledger = read_ledger(cache_dir)
    result = PushResult(pending_urls(current, ledger))
    if dry_run or not result.pending:
        return result
    if not token:
        raise SiteError(Problem(TOKEN_VARIABLE, None, f"没有设置环境变量 {TOKEN_VARIABLE}\uff1b请填入百度搜索资源平台\u201c普通收录\u201d页面上的 token"))
    parts = urlsplit(base_url)
    site = f"{parts.scheme}://{parts.netloc}"
    address = f"{endpoint}?{urlencode({'site': site, 'token': token})}"
    send = post or _post
    for start in range(0, len(result.pending), BATCH):
        batch = result.pending[start : start + BATCH]
        try:
            status, body = send(address, "\n".join(batch).encode("utf-8"))
        except OSError as exc:
            problem = Problem(endpoint, None, f"无法连接百度推送接口 {endpoint}\uff1a{getattr(exc, 'reason', None) or exc}")
            return _stopped(result, cache_dir, ledger, problem)
        answer = _json(body)
        if status != 200 or "error" in answer:
            return _stopped(result, cache_dir, ledger, Problem(endpoint, None, _error_message(status, answer, site)))
        refused = {*_urls(answer.get("not_same_site")), *_urls(answer.get("not_valid"))}
        accepted = [url for url in batch if url not in refused]
        for url in accepted:
            ledger[url] = current[url]
        _write_ledger(cache_dir, ledger)  # after each batch: a later failure keeps what was sent
        result.sent.extend(accepted)
        result.refused.extend(url for url in batch if url in refused)
        if isinstance(answer.get("remain"), int):
            result.remain = answer["remain"]
        if not_same_site := _urls(answer.get("not_same_site")):
            result.messages.append(f"{len(not_same_site)} 个网址不属于站点 {site}\uff0c百度未收录\uff1a{not_same_site[0]} 等")
        if not_valid := _urls(answer.get("not_valid")):
            result.messages.append(f"{len(not_valid)} 个网址百度认为不合法\uff1a{not_valid[0]} 等")
    remain = f"\uff0c今日还可推送 {result.remain} 条" if result.remain is not None else ""
    result.messages.insert(0, f"已向百度推送 {len(result.sent)} 个网址{remain}")
    return result


def _stopped(result: PushResult, cache_dir: Path, ledger: dict[str, str], problem: Problem) -> PushResult:
    """A request failed: what was sent before it stays sent; the error stops the command."""
    if result.sent:
        _write_ledger(cache_dir, ledger)
        left = len(result.pending) - len(result.sent) - len(result.refused)
        message = f"{problem.message}\uff08此前已推送 {len(result.sent)} 个\uff0c其余 {left} 个留到下次\uff09"
        problem = Problem(problem.path, problem.line, message)
    raise SiteError(problem)


def _error_message(status: int, answer: dict[str, Any], site: str) -> str:
    """Baidu's error answers, each as what to do about it."""
    code = answer.get("error", status)
    message = str(answer.get("message", "")).strip().lower()
    if message == "over quota":
        return "百度今日的推送配额已用完\uff1b未推送的网址会留到下次\uff0c请明天再运行 sitegen push"
    if code == 401 or "token" in message:
        return f"百度拒绝了推送的 token\uff1b请检查环境变量 {TOKEN_VARIABLE} 是否与百度搜索资源平台中 {site} 的 token 一致"
    if message == "site error" or "site" in message:
        return f"百度不认识站点 {site}\uff1b请先在百度搜索资源平台验证这个站点\uff0c或检查 site.toml 的 base_url"
    if message == "empty content":
        return "推送的内容为空\uff1b没有可推送的网址"
    if message == "only 2000 urls are allowed once":
        return "一次推送超过了 2000 个网址"
    if status == 404 or code == 404:
        return "推送接口地址不对\uff08404\uff09\uff1b请检查 --endpoint"
    shown = answer.get("message") or "无说明"
    return f"百度推送返回错误 {code}\uff1a{shown}"


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _urls(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _post(address: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(address, data=body, method="POST", headers={"Content-Type": "text/plain", "User-Agent": "sitegen"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # the endpoint is http(s): push() checked
            return response.status, response.read()
    except urllib.error.HTTPError as error:  # 400 and 401 carry Baidu's JSON answer
        return error.code, error.read()
