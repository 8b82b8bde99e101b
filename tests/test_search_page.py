"""/search/ in Chromium as a reader uses it: labels, filters, paging, the keyboard, layout shift,
and what a result card shows. The sample site is built once and served with netlify.toml's CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from search_site import SearchPage, build_sample, serving

pytestmark = pytest.mark.browser

# Sums every layout shift not caused by input, from before the page's first script runs.
SHIFTS = """
window.__shift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    site = build_sample(tmp_path_factory.mktemp("search-page"))
    with serving(site / "public") as base:
        yield base


@pytest.fixture
def tab(browser, served) -> Iterator[SearchPage]:
    page = SearchPage(browser, served)
    yield page
    assert not page.errors
    page.close()


def test_every_form_and_field_has_a_label(tab: SearchPage) -> None:
    tab.open()
    unnamed = tab.page.evaluate(
        """() => [...document.querySelectorAll("form, input, select, button")].filter((el) => {
          if (el.tagName === "BUTTON") return !el.textContent.trim();
          if (el.getAttribute("aria-label")) return false;
          return el.tagName === "FORM" || !(el.labels && el.labels.length);
        }).map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []


def test_results_come_ten_at_a_time_to_the_last(tab: SearchPage) -> None:
    tab.open("医院")
    assert len(tab.shown()) == 10
    total = int(re.search(r"找到 (\d+) 篇", tab.page.inner_text("#search-status")).group(1))
    assert total > 30  # more than the old page's 30
    every = tab.all_results()
    assert len(every) == len(set(every)) == total
    assert tab.page.locator("#search-more").is_hidden()


def test_filters_narrow_the_results_and_keep_the_query(tab: SearchPage) -> None:
    tab.open("医保")
    options = tab.page.eval_on_selector_all("#search-city option", "os => os.map(o => o.value)")
    assert "深圳" in options and options[0] == ""
    tab.page.select_option("#search-city", "深圳")
    tab.page.locator("#search-status", has_text="深圳").wait_for()
    cities = tab.page.eval_on_selector_all("#search-results .card-city", "cs => cs.map(c => c.textContent)")
    assert cities and set(cities) == {"深圳"}
    assert "city=%E6%B7%B1%E5%9C%B3" in tab.page.url and "q=" in tab.page.url
    # The other cities stay on offer, counted as if no city were chosen.
    assert "广州" in tab.page.eval_on_selector_all("#search-city option", "os => os.map(o => o.value)")
    tab.page.select_option("#search-topic", "生育保险")
    tab.page.locator("#search-status", has_text="生育保险").wait_for()
    assert tab.shown() == ["/shengyubaoxian/shenzhen-shengyu-jintie-suanfa/"]
    tab.page.reload()  # the filters come back from the address
    tab.wait_for("医保")
    assert tab.shown() == ["/shengyubaoxian/shenzhen-shengyu-jintie-suanfa/"]


def test_the_keyboard_alone_searches_and_loads_more(tab: SearchPage) -> None:
    tab.open()
    assert tab.page.evaluate("document.activeElement.id") == "search-input"  # autofocus
    tab.page.keyboard.type("医院")
    tab.page.keyboard.press("Enter")
    tab.wait_for("医院")
    tab.page.focus("#search-more")
    tab.page.keyboard.press("Enter")
    tab.page.locator("#search-results a.card-link").nth(10).wait_for()
    # Focus goes to the first new result, so the reader goes on reading where they were.
    assert tab.page.evaluate("document.activeElement === document.querySelectorAll('#search-results a.card-link')[10]")


def test_cards_show_date_topic_city_and_a_clean_excerpt(tab: SearchPage) -> None:
    tab.open("异地就医")
    first = tab.page.locator("#search-results .card").first
    assert first.locator(".card-title").inner_text() == "深圳异地就医备案怎么办"
    assert first.locator("time").inner_text() == "2025年6月10日" or re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", first.locator("time").inner_text())
    assert first.locator(".label").inner_text() == "医保" and first.locator(".card-city").inner_text() == "深圳"
    for card in tab.page.locator("#search-results .card").all():
        title, excerpt = card.locator(".card-title").inner_text(), card.locator(".card-excerpt").inner_text()
        assert not excerpt.startswith(title[:6]), excerpt  # no copy of the title
        assert ". " not in excerpt and not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", excerpt), excerpt
        assert card.locator(".card-excerpt mark").first.inner_text() in ("异地就医", "异地", "就医")


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 667}, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_results_arriving_do_not_shift_the_page(browser, served, viewport) -> None:
    tab = SearchPage(browser, served, viewport=viewport)
    tab.context.add_init_script(SHIFTS)
    tab.open("医保")
    tab.page.wait_for_timeout(300)  # let the last cards lay out
    assert tab.page.evaluate("window.__shift") < 0.05
    tab.search("過敏")
    tab.page.wait_for_timeout(300)
    assert tab.page.evaluate("window.__shift") < 0.05
    tab.close()
