"""Images in Chromium as a reader on a phone sees them: no layout shift, lazy below the fold, WebP chosen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import build_site, make_site
from search_site import serving

pytestmark = pytest.mark.browser

# Sums every layout shift not caused by input, from before the page's first script runs.
SHIFTS = """
window.__shift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""
LONG = "\n\n".join(f"第 {n} 段：看病前先在网上预约挂号，带好身份证和医保卡，按预约时间到分诊台签到，候诊时留意叫号。" for n in range(80))


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    site = make_site(tmp_path_factory.mktemp("images-browser"), "images")
    long = site / "content/yibao/changpian.md"
    long.write_text(
        "---\ntitle: 一篇很长的就医指南\ndate: 2026-09-01\ncity: 深圳\ntopic: 医保\nimage: pics/queue.jpg\nimage_alt: 取号机\n---\n\n"
        f"{LONG}\n\n![文末的取号机照片](menzhen-baoxiao/photo.jpg)\n",
        encoding="utf-8",
    )
    build_site(site)
    with serving(site / "public") as base:
        yield base


@pytest.fixture
def phone(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    context.add_init_script(SHIFTS)
    page = context.new_page()
    yield page
    context.close()


def _settled(page) -> None:
    """Wait until every image has loaded or failed; polled from Python, since the CSP forbids eval."""
    for _ in range(100):
        if page.evaluate("() => [...document.images].every((img) => img.complete)"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("images still loading after 10 s")


def _fetched(page) -> list[str]:
    return page.evaluate("() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)")


def test_an_article_with_images_does_not_shift_while_they_load(phone, served: str) -> None:
    phone.goto(f"{served}/yibao/menzhen-baoxiao/", wait_until="load")
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    _settled(phone)
    phone.wait_for_timeout(300)
    assert phone.evaluate("window.__shift") == 0
    shown = phone.evaluate("[...document.querySelectorAll('picture img')].map((img) => [img.currentSrc, img.naturalWidth])")
    assert shown and all(src.endswith(".webp") and width > 0 for src, width in shown)  # Chromium takes the WebP source
    # at 390 px and 2x, the browser picks the 960 px variant for a full-width image, not the 1440 one
    cover = phone.evaluate("document.querySelector('.article-cover img').currentSrc")
    assert cover.endswith("-960.webp")


def test_images_below_the_fold_wait_for_the_reader(phone, served: str) -> None:
    phone.goto(f"{served}/yibao/changpian/", wait_until="load")
    phone.wait_for_timeout(500)
    before = _fetched(phone)
    assert any("/_images/queue-" in url for url in before)  # the cover: the largest paint, fetched at once
    assert not any("/_images/photo-" in url for url in before)  # far below the fold: not yet
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    _settled(phone)
    assert any("/_images/photo-" in url for url in _fetched(phone))
    assert phone.evaluate("window.__shift") == 0


def test_a_listing_with_thumbnails_does_not_shift(phone, served: str) -> None:
    phone.goto(f"{served}/topics/yibao/", wait_until="load")
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    _settled(phone)
    phone.wait_for_timeout(300)
    assert phone.evaluate("window.__shift") == 0
    boxes = phone.evaluate("[...document.querySelectorAll('.card-thumb img')].map((img) => [img.clientWidth, img.clientHeight])")
    assert boxes and all(w == 112 and h == 75 for w, h in boxes)

