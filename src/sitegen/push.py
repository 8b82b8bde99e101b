"""`sitegen push`: tell Baidu's 普通收录 API and IndexNow (Bing, Yandex…) about the pages added or
changed since the last push.

What changed is read from the built sitemap (every listed URL and its lastmod) against a ledger
per service in `.sitegen-cache/` of what was already sent, so a URL is never sent twice to one
service for the same version, whichever build or machine made the output, and one that reached
only one service still goes to the other. Baidu takes plain text, one URL a line, at most 2,000
a request, at `?site=<scheme://host>&token=<token>`, and answers JSON: `success` and `remain`
(today's quota left), `not_same_site` and `not_valid` (URLs it refused), or an `error` code with
a `message` (400 over quota, 401 a wrong token…). IndexNow takes JSON `{host, key, keyLocation,
urlList}`, at most 10,000 URLs a request, and answers with the status alone (200 and 202 taken,
403 a key it could not find at keyLocation, 422 URLs of another host, 429 too many). Every
outcome becomes one Chinese line.
"""

from __future__ import annotations

import http.client
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

from .config import INDEXNOW_VARIABLE, SiteConfig
from .errors import Problem, SiteError

BAIDU_ENDPOINT = "http://data.zz.baidu.com/urls"
TOKEN_VARIABLE = "BAIDU_PUSH_TOKEN"
LEDGER_FILE = "baidu-push.json"
BATCH = 2000  # Baidu's limit per request
INDEXNOW_ENDPOINT = "https://api.indexnow.org/indexnow"  # shares each URL with every IndexNow engine
INDEXNOW_LEDGER_FILE = "indexnow-push.json"
INDEXNOW_BATCH = 10_000  # IndexNow's limit per request
BAIDU = "百度"
INDEXNOW = "IndexNow"
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
    service: str = BAIDU
    problems: list[Problem] = field(default_factory=list)  # why this service's push stopped (push_site)


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


def read_ledger(cache_dir: Path, name: str = LEDGER_FILE) -> dict[str, str]:
    """The URLs already sent to one service, with the lastmod they were sent at."""
    try:
        data = json.loads((cache_dir / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError):
        # A broken ledger must not resend the whole site into a small quota: say so, stop.
        raise SiteError(Problem(str(cache_dir / name), None, "推送记录已损坏\uff1b确认要重新推送全部网址时请删除这个文件")) from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise SiteError(Problem(str(cache_dir / name), None, "推送记录的格式不对\uff1b确认要重新推送全部网址时请删除这个文件"))
    return data


def _write_ledger(cache_dir: Path, ledger: dict[str, str], name: str = LEDGER_FILE) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = cache_dir / f"{name}.tmp"
    temporary.write_text(json.dumps(ledger, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
    os.replace(temporary, cache_dir / name)  # never half a ledger: that would resend


def pending_urls(current: dict[str, str], ledger: dict[str, str]) -> list[str]:
    """URLs new since the last push, or whose lastmod changed, in sitemap order."""
    return [url for url, lastmod in current.items() if ledger.get(url) != lastmod]


def push_site(
    out_dir: Path,
    cache_dir: Path,
    config: SiteConfig,
    *,
    token: str | None,
    baidu_endpoint: str = BAIDU_ENDPOINT,
    indexnow_endpoint: str = INDEXNOW_ENDPOINT,
    dry_run: bool = False,
) -> list[PushResult]:
    """Push to every service the site is set up for: Baidu with a token, IndexNow with a key.

    One service failing (Baidu over quota) leaves the other's push done: its result carries the
    problems instead. A mistake that stops both (no sitemap, neither set up) raises SiteError.
    """
    key = config.indexnow.key
    if not token and not key:
        raise SiteError(Problem(TOKEN_VARIABLE, None, (
            f"没有设置环境变量 {TOKEN_VARIABLE}\uff0c也没有设置 IndexNow 的 key\uff0c无处可推送\uff1b"
            f"推送百度请设置 {TOKEN_VARIABLE}\uff08百度搜索资源平台\u201c普通收录\u201d页面上的 token\uff09\uff0c"
            f"推送 Bing\u3001Yandex 请在 site.toml 中写 [indexnow] key = \"\u2026\"\uff08或设置环境变量 {INDEXNOW_VARIABLE}\uff09"
        )))  # fmt: skip
    if token:
        _check_endpoint(baidu_endpoint, "--endpoint")
    if key:
        _check_endpoint(indexnow_endpoint, "--indexnow-endpoint")
    current = sitemap_urls(out_dir)  # read once, so that a missing sitemap is said once
    results = []
    if token:
        results.append(_guarded(BAIDU, lambda: _push_baidu(current, cache_dir, config.base_url, token, baidu_endpoint, dry_run, _post)))
    if key:
        results.append(_guarded(INDEXNOW, lambda: _push_indexnow(current, out_dir, cache_dir, config.base_url, key, indexnow_endpoint, dry_run, _post_json)))
    return results


def _guarded(service: str, run: Callable[[], PushResult]) -> PushResult:
    try:
        return run()
    except SiteError as error:
        return PushResult([], service=service, problems=error.problems)


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
    """Send the pending URLs of the output in `out_dir` to Baidu; raise SiteError when nothing could be sent."""
    _check_endpoint(endpoint, "--endpoint")
    return _push_baidu(sitemap_urls(out_dir), cache_dir, base_url, token, endpoint, dry_run, post or _post)


def push_indexnow(
    out_dir: Path,
    cache_dir: Path,
    base_url: str,
    *,
    key: str,
    endpoint: str = INDEXNOW_ENDPOINT,
    dry_run: bool = False,
    post: Post | None = None,
) -> PushResult:
    """Send the pending URLs of the output in `out_dir` to IndexNow; raise SiteError when nothing could be sent."""
    _check_endpoint(endpoint, "--indexnow-endpoint")
    return _push_indexnow(sitemap_urls(out_dir), out_dir, cache_dir, base_url, key, endpoint, dry_run, post or _post_json)


def _check_endpoint(endpoint: str, option: str) -> None:
    if not endpoint.startswith(("http://", "https://")):
        raise SiteError(Problem(option, None, f"推送接口 {endpoint} 应为 http:// 或 https:// 开头的网址"))


def _push_baidu(
    current: dict[str, str], cache_dir: Path, base_url: str, token: str | None, endpoint: str, dry_run: bool, send: Post
) -> PushResult:
    ledger = read_ledger(cache_dir)
    result = PushResult(pending_urls(current, ledger))
    if dry_run or not result.pending:
        result.messages.append(_nothing_or_dry_run(result, BAIDU, dry_run))
        return result
    if not token:
        raise SiteError(Problem(TOKEN_VARIABLE, None, f"没有设置环境变量 {TOKEN_VARIABLE}\uff1b请填入百度搜索资源平台\u201c普通收录\u201d页面上的 token"))
    parts = urlsplit(base_url)
    site = f"{parts.scheme}://{parts.netloc}"
    address = f"{endpoint}?{urlencode({'site': site, 'token': token})}"
    for start in range(0, len(result.pending), BATCH):
        batch = result.pending[start : start + BATCH]
        try:
            status, body = send(address, "\n".join(batch).encode("utf-8"))
        except (OSError, http.client.HTTPException) as exc:
            problem = Problem(endpoint, None, f"无法连接百度推送接口 {endpoint}\uff1a{_reason(exc)}")
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


def _push_indexnow(
    current: dict[str, str], out_dir: Path, cache_dir: Path, base_url: str, key: str, endpoint: str, dry_run: bool, send: Post
) -> PushResult:
    ledger = read_ledger(cache_dir, INDEXNOW_LEDGER_FILE)
    result = PushResult(pending_urls(current, ledger), service=INDEXNOW)
    key_file = out_dir / f"{key}.txt"
    # IndexNow fetches the key from the live site: without the file every request is a 403.
    missing = _key_file_missing(key_file, key)
    if dry_run or not result.pending:
        result.messages.append(_nothing_or_dry_run(result, INDEXNOW, dry_run))
        if dry_run and missing:
            result.messages.append(missing)
        return result
    if missing:
        raise SiteError(Problem(str(key_file), None, missing))
    host = urlsplit(base_url).netloc
    key_location = f"{base_url}{key}.txt"  # base_url ends with /: the file is at the output's root
    accepted_later = False
    for start in range(0, len(result.pending), INDEXNOW_BATCH):
        batch = result.pending[start : start + INDEXNOW_BATCH]
        body = json.dumps({"host": host, "key": key, "keyLocation": key_location, "urlList": batch}, ensure_ascii=False)
        try:
            status, answer = send(endpoint, body.encode("utf-8"))
        except (OSError, http.client.HTTPException) as exc:
            problem = Problem(endpoint, None, f"无法连接 IndexNow 接口 {endpoint}\uff1a{_reason(exc)}")
            return _stopped(result, cache_dir, ledger, problem, INDEXNOW_LEDGER_FILE)
        if status not in (200, 202):
            message = _indexnow_error(status, _json(answer), host, key_location)
            return _stopped(result, cache_dir, ledger, Problem(endpoint, None, message), INDEXNOW_LEDGER_FILE)
        accepted_later = accepted_later or status == 202
        for url in batch:
            ledger[url] = current[url]
        _write_ledger(cache_dir, ledger, INDEXNOW_LEDGER_FILE)  # after each batch: a later failure keeps what was sent
        result.sent.extend(batch)
    later = "\uff08202\uff1a已收到\uff0c密钥稍后验证\uff09" if accepted_later else ""
    result.messages.insert(0, f"已向 IndexNow\uff08Bing\u3001Yandex 等\uff09提交 {len(result.sent)} 个网址{later}")
    return result


def _key_file_missing(key_file: Path, key: str) -> str | None:
    """Why the output cannot prove the key (a build without it, or with another key), or None."""
    try:
        if key_file.read_text(encoding="utf-8").strip() == key:
            return None
    except (OSError, UnicodeDecodeError):
        pass
    return f"输出中没有内容为这个 key 的 IndexNow 密钥文件 {key_file.name}\uff1b请设置同一个 key 后运行 sitegen build 并发布\uff0c再推送"


def _nothing_or_dry_run(result: PushResult, service: str, dry_run: bool) -> str:
    if dry_run:
        return f"{service}\uff1a将推送 {len(result.pending)} 个新增或更新的网址\uff08--dry-run\uff1a未发送\uff09"
    return f"{service}\uff1a没有新增或更新的网址\uff0c无需推送"


def _stopped(result: PushResult, cache_dir: Path, ledger: dict[str, str], problem: Problem, name: str = LEDGER_FILE) -> PushResult:
    """A request failed: what was sent before it stays sent; the error stops the command."""
    if result.sent:
        _write_ledger(cache_dir, ledger, name)
        left = len(result.pending) - len(result.sent) - len(result.refused)
        message = f"{problem.message}\uff08此前已推送 {len(result.sent)} 个\uff0c其余 {left} 个留到下次\uff09"
        problem = Problem(problem.path, problem.line, message)
    raise SiteError(problem)


def _indexnow_error(status: int, answer: dict[str, Any], host: str, key_location: str) -> str:
    """IndexNow's status codes (its documentation's meanings), each as what to do about it."""
    if status == 403:
        return f"IndexNow 认为 key 无效\uff08403\uff09\uff1a找不到密钥文件 {key_location}\uff0c或其中的内容不是这个 key\uff1b请确认构建后的网站已发布\u3001这个网址能打开"
    if status == 422:
        return f"IndexNow 拒绝了这些网址\uff08422\uff09\uff1a网址不属于 {host}\uff0c或 key 与密钥文件不一致\uff1b请检查 site.toml 的 base_url 和 [indexnow] key"
    if status == 429:
        return "IndexNow 认为请求过于频繁\uff08429\uff09\uff1b未提交的网址会留到下次\uff0c请稍后再运行 sitegen push"
    said = f"\uff1a{answer['message']}" if isinstance(answer.get("message"), str) and answer["message"].strip() else ""
    if status == 400:
        return f"IndexNow 认为请求的格式不对\uff08400\uff09{said}\uff1b请检查 site.toml 的 base_url 和 [indexnow] key"
    if status == 404:
        return "IndexNow 接口地址不对\uff08404\uff09\uff1b请检查 --indexnow-endpoint"
    return f"IndexNow 返回错误 {status}{said}"


def _reason(exc: Exception) -> str:
    # urllib wraps the socket's error (refused, timed out, name unknown) in URLError.reason.
    return str(getattr(exc, "reason", None) or exc) or type(exc).__name__


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


def _post(address: str, body: bytes, content_type: str = "text/plain") -> tuple[int, bytes]:
    request = urllib.request.Request(address, data=body, method="POST", headers={"Content-Type": content_type, "User-Agent": "sitegen"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # the endpoint is http(s): _check_endpoint saw to it
            return response.status, response.read()
    except urllib.error.HTTPError as error:  # 400 and 401 carry Baidu's JSON answer
        return error.code, error.read()


def _post_json(address: str, body: bytes) -> tuple[int, bytes]:
    return _post(address, body, "application/json; charset=utf-8")
