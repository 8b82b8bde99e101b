"""`sitegen serve` in a real browser: edits show up in open tabs by themselves.

Playwright drives Debian's Chromium. Without Chromium these tests skip, except on CI (CI=true),
where a missing browser is a broken test setup and must fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import make_site
from test_serve_http import ARTICLE, ARTICLE_URL, Running, edit, request, running

pytestmark = pytest.mark.browser

CHANGE_TIMEOUT_MS = 3000  # an edit must show within 3 seconds


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path, "basic")


@pytest.fixture
def server(site: Path) -> Iterator[Running]:
    with running(site) as run:
        yield run


@pytest.fixture
def page(browser, server: Running):
    context = browser.new_context(viewport={"width": 390, "height": 600})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def open_live(page, server: Running, path: str) -> None:
    """Open `path` and wait until its live-reload connection is up, so no change is missed."""
    clients = server.server.hub.clients
    page.goto(server.server.url + path)
    server.wait_for(lambda events: server.server.hub.clients > clients)


def test_edited_sentence_shows_in_the_open_tab_keeping_the_scroll(page, site: Path, server: Running) -> None:
    from playwright.sync_api import expect

    open_live(page, server, ARTICLE_URL)
    body = page.locator(".article-body")
    expect(body).to_contain_text("需要先绑定社康中心")
    page.evaluate("window.scrollTo(0, 300)")
    page.wait_for_function("window.scrollY === 300")

    edit(site, ARTICLE, "需要先绑定社康中心", "需要先在网上绑定家庭医生")

    expect(body).to_contain_text("需要先在网上绑定家庭医生", timeout=CHANGE_TIMEOUT_MS)
    page.wait_for_function("Math.abs(window.scrollY - 300) < 5")


def test_tag_change_updates_related_list(page, site: Path, server: Running) -> None:
    from playwright.sync_api import expect

    open_live(page, server, "/ertong/shiwu-guomin/")
    related = page.locator("section.related li a")
    expect(related).to_have_count(1)
    expect(related.first).to_have_attribute("href", "/ertong/shizhen/")

    edit(site, "content/ertong/shiwu-guomin.md", "tags: [过敏, 食物过敏]", "tags: [过敏, 食物过敏, 个人账户]")

    expect(related).to_have_count(3, timeout=CHANGE_TIMEOUT_MS)
    hrefs = sorted(related.evaluate_all("links => links.map(a => a.getAttribute('href'))"))
    assert hrefs == ["/ertong/shizhen/", "/yibao/guangzhou-zhanghu/", "/yibao/shenzhen-duanjiao/"]


def test_broken_front_matter_shows_overlay_until_fixed(browser, page, site: Path, server: Running) -> None:
    from playwright.sync_api import expect

    open_live(page, server, ARTICLE_URL)
    overlay = page.locator("#sitegen-error-overlay")
    expect(overlay).to_have_count(0)

    edit(site, ARTICLE, "title: 深圳门诊统筹怎么报销", "title: [深圳门诊统筹怎么报销")

    expect(overlay).to_be_visible(timeout=CHANGE_TIMEOUT_MS)
    expect(overlay.locator(".sitegen-problem-file")).to_have_text([ARTICLE.as_posix()])
    expect(overlay.locator(".sitegen-problem-line")).to_contain_text(["2"])  # the title line, where the bracket opens
    expect(overlay.locator(".sitegen-problem-message")).not_to_be_empty()
    assert overlay.evaluate("box => getComputedStyle(box).position") == "fixed"
    expect(page.locator("h1")).to_have_text("深圳门诊统筹怎么报销")  # the last good page stays

    # A tab opened while the site is broken shows the overlay too.
    second = page.context.new_page()
    second.goto(server.server.url + "/")
    expect(second.locator("#sitegen-error-overlay")).to_contain_text(ARTICLE.as_posix())

    edit(site, ARTICLE, "title: [深圳门诊统筹怎么报销", "title: 深圳门诊统筹报销指南")

    expect(page.locator("h1")).to_have_text("深圳门诊统筹报销指南", timeout=CHANGE_TIMEOUT_MS)
    expect(overlay).to_have_count(0)
    expect(second.locator("#sitegen-error-overlay")).to_have_count(0, timeout=CHANGE_TIMEOUT_MS)
    assert len(server.of_kind("failed")) == 1


def test_css_change_applies_without_reload(page, site: Path, server: Running) -> None:
    open_live(page, server, ARTICLE_URL)
    assert page.evaluate("getComputedStyle(document.querySelector('.article-body')).fontSize") == "17px"
    page.evaluate("window.__marker = 1")

    edit(site, "static/css/site.css", ".article-body { font-size: 17px; }", ".article-body { font-size: 23px; }")

    page.wait_for_function(
        "getComputedStyle(document.querySelector('.article-body')).fontSize === '23px'", timeout=CHANGE_TIMEOUT_MS
    )
    assert page.evaluate("window.__marker") == 1  # same document: no reload happened
    hrefs = page.locator('link[rel="stylesheet"]').evaluate_all("links => links.map(l => l.getAttribute('href'))")
    assert len(hrefs) == 1 and re.fullmatch(r"http://127\.0\.0\.1:\d+/css/site\.css\?sitegen=\w+", hrefs[0])


def test_served_pages_have_the_script_and_built_files_do_not(page, site: Path, server: Running) -> None:
    open_live(page, server, ARTICLE_URL)
    assert page.locator('script[src="/__sitegen__/reload.js"]').count() == 1
    on_disk = (server.server.out_dir / "yibao" / "shenzhen-menzhen" / "index.html").read_text(encoding="utf-8")
    assert "__sitegen__" not in on_disk
    status, _, _ = request(server.port, "/%2e%2e/site.toml")
    assert status in (403, 404)
