"""How soon /search/ shows its first results on a throttled phone, and what a later query downloads.

    python benchmarks/search_phone.py SITE [SITE ...] [--runs 3] [--network slow4g,rtt150]

Each SITE is a built site (its public/ is served) or an output folder itself. Build them first,
with search on, e.g. the sample site and the 10,000-article corpus:

    python benchmarks/make_corpus.py 10000 --out /tmp/corpus-10k
    sed -i 's/^search = false$/search = true/' /tmp/corpus-10k/site.toml
    sitegen build --site /tmp/corpus-10k

The output is served on 127.0.0.1 as Netlify serves it: netlify.toml's headers (CSP, caching),
Netlify's default `Cache-Control: public, max-age=0, must-revalidate` with ETags and 304s, and
text (HTML, CSS, JS, JSON, SVG, XML) gzip-compressed (Netlify sends brotli to browsers that take
it, a little smaller: these figures are slightly pessimistic). Pagefind's .pf_* and .pagefind
files are already gzipped binaries and go as they are. HTTP/1.1 with keep-alive (Netlify speaks
HTTP/2; Chromium opens up to 6 connections here, enough for what the page fetches at once).

Chromium (Debian's) runs a phone (412x823 at 1.75x, touch) with Lighthouse's mobile profile:
CPU 4x slower (Emulation.setCPUThrottlingRate) and one of these networks, through
Network.emulateNetworkConditions, which delays every request by its latency:

- slow4g: Lighthouse's own devtools throttling of Slow 4G: 150 ms RTT x 3.75 = 562.5 ms a
  request, 1.6 Mbit/s x 0.9 down, 750 kbit/s x 0.9 up (the multipliers stand in for connection
  set-up and TCP slow start that a per-request delay does not model);
- rtt150: the same link at its nominal figures (150 ms, 1.6 Mbit/s, 750 kbit/s), what
  Lighthouse's default (simulated) throttling assumes of a warm HTTP/2 connection;
- none: CPU throttling alone (the network of a local server).

Figures: from navigation to /search/?q=医保 (a 大家都在搜 link) until the first result card has
been painted (the frame after it entered the list: with a small site's page table, its title,
topic, city and date) and until the first excerpt has (the card's text from its fragment; on a
site without the table the two are the same), each run in a fresh browser context (cold
cache); then, on that loaded page, from a query typed in (as an input method commits it: one
input event) until its first card is painted, and the bytes that query fetched from /pagefind/
(Playwright's request sizes: headers and bodies as sent) once everything it started has finished.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.server
import mimetypes
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # netlify.toml's rules matched as Netlify matches them

from netlify_headers import headers_for  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

KBIT = 1024 / 8  # bytes a second in one kbit/s, as Lighthouse counts
NETWORKS = {
    "slow4g": {"latency": 150 * 3.75, "downloadThroughput": 1.6 * 1024 * 0.9 * KBIT, "uploadThroughput": 750 * 0.9 * KBIT},
    "rtt150": {"latency": 150, "downloadThroughput": 1.6 * 1024 * KBIT, "uploadThroughput": 750 * KBIT},
    "none": None,
}
PHONE = {"viewport": {"width": 412, "height": 823}, "device_scale_factor": 1.75, "is_mobile": True, "has_touch": True}

# Netlify compresses these; everything else (images, fonts, Pagefind's gzipped files) goes as is.
COMPRESSED = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml", "application/manifest+json")

# Marks, in the page's own clock (0 = navigation start), when a result card was first painted
# and when one was painted after the last input event. Injected before any page script runs (an
# init script is not subject to the CSP, which forbids eval and so wait_for_function).
MARKS = """
(() => {
  const marks = (window.__search = { firstCard: null, firstExcerpt: null, input: null, afterInput: null });
  new MutationObserver((records) => {
    for (const record of records) {
      const excerpt = record.target && record.target.classList && record.target.classList.contains("card-excerpt");
      if (excerpt && !record.target.classList.contains("is-waiting") && marks.firstExcerpt === null) {
        requestAnimationFrame(() => setTimeout(() => { marks.firstExcerpt ??= performance.now(); }, 0));
      }
      if (!record.target || record.target.id !== "search-results") continue;
      if (![...record.addedNodes].some((node) => node.classList && node.classList.contains("card"))) continue;
      const typed = marks.input;
      requestAnimationFrame(() => setTimeout(() => {
        const now = performance.now();
        if (marks.firstCard === null) marks.firstCard = now;
        if (typed !== null && typed === marks.input && marks.afterInput === null) marks.afterInput = now;
      }, 0));
    }
  }).observe(document, { childList: true, subtree: true });
  document.addEventListener("input", () => { marks.input = performance.now(); marks.afterInput = null; }, true);
})();
"""


def _content_type(path: Path) -> str:
    if path.suffix in (".js", ".mjs"):
        return "text/javascript; charset=utf-8"
    if path.suffix == ".json":
        return "application/json"
    if path.suffix in (".pagefind",) or path.suffix.startswith(".pf_"):
        return "application/octet-stream"
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return kind + ("; charset=utf-8" if kind.startswith("text/") else "")


class NetlifyHandler(http.server.BaseHTTPRequestHandler):
    """GET and HEAD of a static folder with Netlify's headers, ETags and compression."""

    protocol_version = "HTTP/1.1"
    root: Path
    cache: dict[tuple[Path, bool], tuple[float, bytes, str]]

    def log_message(self, format: str, *args) -> None:
        pass

    def _file(self, url_path: str) -> Path | None:
        path = (self.root / unquote(url_path).lstrip("/")).resolve()
        if self.root not in path.parents and path != self.root:
            return None
        if path.is_dir():
            path = path / "index.html"
        return path if path.is_file() else None

    def do_HEAD(self) -> None:
        self.do_GET(body=False)

    def do_GET(self, body: bool = True) -> None:
        url_path = urlsplit(self.path).path
        path = self._file(url_path)
        status = 200
        if path is None:
            status, path = 404, self._file("/404.html")
        kind = _content_type(path) if path else "text/plain"
        squeeze = bool(path) and kind.startswith(COMPRESSED) and "gzip" in self.headers.get("Accept-Encoding", "")
        data, tag = self._read(path, squeeze) if path else (b"not found", '"404"')
        headers: dict[str, str] = {"Content-Type": kind}
        headers.update(headers_for(url_path))
        headers.setdefault("Cache-Control", "public, max-age=0, must-revalidate")  # Netlify's default
        headers["ETag"] = tag
        if squeeze:
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        if status == 200 and self.headers.get("If-None-Match") == tag:
            status, data = 304, b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _read(self, path: Path, squeeze: bool) -> tuple[bytes, str]:
        mtime = path.stat().st_mtime
        known = self.cache.get((path, squeeze))
        if known and known[0] == mtime:
            return known[1], known[2]
        data = path.read_bytes()
        tag = '"' + hashlib.sha1(data).hexdigest()[:16] + ("-gz" if squeeze else "") + '"'
        if squeeze:
            data = gzip.compress(data, compresslevel=6, mtime=0)
        self.cache[(path, squeeze)] = (mtime, data, tag)
        return data, tag


def _serve_forever(folder: Path, port) -> None:
    handler = type("Handler", (NetlifyHandler,), {"root": folder.resolve(), "cache": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    port.send(server.server_address[1])
    server.serve_forever()


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` as Netlify would on 127.0.0.1; yields the base URL. The server is a process
    of its own: in this one it would wait for the GIL while Playwright's client polls."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    server = context.Process(target=_serve_forever, args=(folder, theirs), daemon=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{ours.recv()}"
    finally:
        server.terminate()
        server.join()


class Phone:
    """One throttled tab in a fresh context, counting what it fetches from /pagefind/."""

    def __init__(self, browser, network: str, cpu: float = 4, **context):
        self.context = browser.new_context(**{**PHONE, **context})
        self.context.add_init_script(MARKS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: message.type in ("error", "warning") and self.errors.append(message.text))
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        if NETWORKS[network]:
            self.cdp.send("Network.emulateNetworkConditions", {"offline": False, **NETWORKS[network]})
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
        # Playwright's events, not the page's CDP session: they include the requests of Pagefind's
        # worker, which is a target of its own.
        self.pending: set = set()
        self.received: list = []
        self.page.on("request", self._started)
        self.page.on("requestfinished", self._finished)
        self.page.on("requestfailed", self._failed)

    def _started(self, request) -> None:  # Playwright wants Python functions, not a set's methods
        self.pending.add(request)

    def _failed(self, request) -> None:
        self.pending.discard(request)

    def _finished(self, request) -> None:
        self.pending.discard(request)
        self.received.append(request)

    def mark(self, name: str):
        return self.page.evaluate(f"window.__search && window.__search.{name}")

    def until(self, name: str, timeout: float = 30.0) -> float:
        """Polls (from Python: the CSP blocks wait_for_function) until mark `name` is set."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.mark(name)
            if value is not None:
                return float(value)
            self.page.wait_for_timeout(25)
        raise TimeoutError(f"no result card ({name}) within {timeout} s")

    def settle(self, quiet: float = 1.0, timeout: float = 30.0) -> None:
        """Until nothing has been in flight for `quiet` seconds."""
        end = time.monotonic() + timeout
        calm = time.monotonic()
        while time.monotonic() < end:
            if self.pending:
                calm = time.monotonic()
            elif time.monotonic() - calm >= quiet:
                return
            self.page.wait_for_timeout(50)

    def pagefind_bytes(self, since: int = 0) -> tuple[int, int]:
        """(bytes, requests) from /pagefind/ since the `since`-th finished request."""
        rows = [request for request in self.received[since:] if "/pagefind/" in request.url]
        return sum(_size(request) for request in rows), len(rows)

    def type_query(self, query: str) -> tuple[float, int, int]:
        """(ms until the first card of `query` is painted, bytes and requests from /pagefind/)."""
        self.page.fill("#search-input", "")  # as a reader clears the box: the list empties
        self.settle(0.5)
        since = len(self.received)
        self.page.focus("#search-input")
        self.page.keyboard.insert_text(query)
        shown = self.until("afterInput") - float(self.mark("input"))
        self.settle()
        return (shown, *self.pagefind_bytes(since))

    def close(self) -> None:
        self.context.close()


def _size(request) -> int:
    """Bytes a response took on the wire: headers and the body as sent (compressed)."""
    sizes = request.sizes()
    return sizes["responseHeadersSize"] + sizes["responseBodySize"]


def _site_output(site: Path) -> Path:
    out = site / "public" if (site / "public" / "search").is_dir() else site
    if not (out / "search" / "index.html").is_file() or not (out / "pagefind").is_dir():
        sys.exit(f"{site}: no built search page with an index (build it with search on)")
    return out


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def _spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.0f} ms"
    return f"median {statistics.median(values):.0f} ms ({min(values):.0f}-{max(values):.0f})"


def measure(browser, base: str, network: str, runs: int, query: str, later: list[str], cpu: float) -> None:
    landing = f"{base}/search/?q={quote(query)}"
    firsts, excerpts, kib = [], [], []
    typed: dict[str, list[tuple[float, int, int]]] = {word: [] for word in later}
    for run in range(runs):
        phone = Phone(browser, network, cpu)
        phone.page.goto(landing, wait_until="commit")
        firsts.append(phone.until("firstCard"))
        phone.settle()
        excerpt = phone.mark("firstExcerpt")
        excerpts.append(float(excerpt) if excerpt is not None else firsts[-1])
        kib.append(phone.pagefind_bytes()[0] / 1024)
        total = sum(_size(request) for request in phone.received) / 1024
        for word in later:
            typed[word].append(phone.type_query(word))
        if phone.errors:
            print(f"    errors on the page: {phone.errors}")
        phone.close()
        print(f"    run {run + 1}: first results {firsts[-1]:.0f} ms, excerpt {excerpts[-1]:.0f} ms; {total:.0f} KiB in all, {kib[-1]:.0f} KiB from /pagefind/; {_load()}", flush=True)
    network = f"{network}, CPU {cpu:g}x"
    print(f"  {network}: navigation to /search/?q={query} until the first card: {_spread(firsts)}")
    print(f"  {network}: navigation to /search/?q={query} until the first excerpt: {_spread(excerpts)}")
    for word, rows in typed.items():
        shown = [row[0] for row in rows]
        sizes = sorted({f"{row[1] / 1024:.0f}" for row in rows})
        print(f"  {network}: typed {word} until its first card: {_spread(shown)}; from /pagefind/ {'/'.join(sizes)} KiB in {rows[0][2]} requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sites", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--network", default="slow4g,rtt150", help="comma-separated: " + ", ".join(NETWORKS))
    parser.add_argument("--cpu", type=float, default=4, help="CPU slowdown (default 4, as Lighthouse's mobile profile)")
    parser.add_argument("--query", default="医保", help="the query in the address (default 医保)")
    parser.add_argument(
        "--later",
        default="异地就医,过敏性鼻炎,医保 报销 异地,社保 断缴 补缴,儿童 过敏 湿疹",
        help="queries typed one after another into the loaded page (comma-separated)",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    later = [word for word in args.later.split(",") if word.strip()]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for site in args.sites:
            out = _site_output(site)
            articles = len(list(out.glob("*/*/index.html")))
            print(f"{site} ({articles} pages under a topic), Chromium {browser.version}, {_load()}", flush=True)
            with serve(out) as base:
                for network in args.network.split(","):
                    measure(browser, base, network, args.runs, args.query, later, args.cpu)
        browser.close()


if __name__ == "__main__":
    main()
