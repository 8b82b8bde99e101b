"""The sample site built with its search index and served on 127.0.0.1, for the search tests.

The server sends the headers netlify.toml gives each path (the CSP above all), as Netlify would.
`SearchPage` drives /search/ in Chromium the way a reader does: type, press Enter, load more.
"""

from __future__ import annotations

import http.server
import re
import shutil
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from conftest import REPO, build_site
from netlify_headers import headers_for
from sitegen.text import simplified
from sitegen.theme import THEME_DIR


def sample_site(folder: Path) -> Path:
    """A copy of the sample site (content/, site.toml) with the packaged theme, not yet built."""
    site = folder / "sample"
    for part in ("layouts", "static"):
        shutil.copytree(THEME_DIR / part, site / part)
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "static", site / "static", dirs_exist_ok=True)
    shutil.copy(REPO / "site.toml", site / "site.toml")
    return site


def build_sample(folder: Path) -> Path:
    site = sample_site(folder)
    build_site(site, search=True)
    return site


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # keep pytest's output clean
        pass

    def end_headers(self) -> None:
        for name, value in headers_for(self.path).items():
            self.send_header(name, value)
        super().end_headers()


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class SearchPage:
    """/search/ in a browser tab."""

    def __init__(self, browser, base: str, **context):
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.base = base

    def open(self, query: str = "") -> None:
        from urllib.parse import quote

        self.page.goto(self.base + "/search/" + (f"?q={quote(query)}" if query else ""))
        if query:
            self.wait_for(query)

    def wait_for(self, query: str) -> None:
        """Until the status names `query` (the search has answered) and every card shown has
        its excerpt (a card from the head's page table goes in before its fragment is here)."""
        self.page.locator("#search-status", has_text=f"\u201c{query}\u201d").wait_for()
        self.excerpts()

    def excerpts(self) -> None:
        """Until no card waits for its excerpt."""
        self.page.locator("#search-results .card-excerpt.is-waiting").first.wait_for(state="detached")

    def search(self, query: str) -> None:
        self.page.fill("#search-input", query)
        self.page.press("#search-input", "Enter")
        self.wait_for(query)

    def shown(self) -> list[str]:
        return self.page.eval_on_selector_all("#search-results a.card-link", "links => links.map(a => new URL(a.href).pathname)")

    def all_results(self) -> list[str]:
        """Every result, pressing 加载更多 until it is gone."""
        more = self.page.locator("#search-more")
        while more.is_visible():
            count = len(self.shown())
            more.click()
            self.page.locator("#search-results a.card-link").nth(count).wait_for()
            # The button stays disabled until the whole batch is in, and is hidden after the last.
            self.page.wait_for_function("() => { const b = document.getElementById('search-more'); return b.hidden || !b.disabled; }")
            self.excerpts()
        return self.shown()

    def close(self) -> None:
        self.context.close()


def precision_and_recall(judged: Iterable[tuple[str, set[str], list[str]]]) -> tuple[float, float, list[str]]:
    """Mean precision@10 and mean recall over (query, relevant URLs, results in order), and a
    line for each query short of 1.0 on either."""
    precisions, recalls, misses = [], [], []
    for query, relevant, results in judged:
        top = results[:10]
        precision = sum(url in relevant for url in top) / len(top) if top else 0.0
        recall = len(relevant & set(results)) / len(relevant)
        precisions.append(precision)
        recalls.append(recall)
        if precision < 1 or recall < 1:
            misses.append(f"{query}: P@10 {precision:.2f} recall {recall:.2f}")
    return sum(precisions) / len(precisions), sum(recalls) / len(recalls), misses


_LATIN_WORD = re.compile(r"[0-9a-z]+")
_HAN = "\u3400-\u9fff\uf900-\ufaff"
_SPACE_BY_HAN = re.compile(f"(?<=[{_HAN}]) +| +(?=[{_HAN}])")


def compared(text: str) -> str:
    """`text` as the substring oracle compares it: NFKC, simplified, lower case, no space beside Chinese."""
    return _SPACE_BY_HAN.sub("", simplified(unicodedata.normalize("NFKC", text)).lower())


def holds(text: str, word: str) -> bool:
    """Whether `text` holds `word`, a word that starts or ends with Latin letters or digits there
    only where the text's Latin word does (CT检查 is not in TCT检查)."""
    before = "(?<![0-9a-z])" if _LATIN_WORD.match(word[0]) else ""
    after = "(?![0-9a-z])" if _LATIN_WORD.match(word[-1]) else ""
    return re.search(f"{before}{re.escape(word)}{after}", text) is not None
