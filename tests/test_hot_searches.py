"""大家都在搜 pages built in advance (hot_searches.py): who is a result, in which order, what the
card shows, what an edit rewrites, and the page in Chromium with and without its script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import build_site, make_site, soup_of
from search_site import serving
from sitegen import hot_searches
from sitegen.hot_searches import fold, marked, passage, result_urls

# --- the pieces, table-driven -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＣＴ检查", "ct检查"),
        ("HPV疫苗", "hpv疫苗"),
        ("医保\u3000报销", "医保 报销"),
        ("…怀疑鼻炎", "…怀疑鼻炎"),  # the ellipsis keeps its one character (NFKC would make three)
        ("內地醫保難報銷", "内地医保难报销"),  # traditional characters as simplified
        ("乾隆年間的乾燥", "乾隆年间的干燥"),  # by phrase, as OpenCC converts
    ],
)
def test_fold_keeps_every_position(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(
    ("text", "first", "expected"),
    [
        ("异地就医要先备案。", 0, "异地就医要先备案。"),
        # the hit is far in, its sentence starts near it: the passage starts there
        ("一" * 30 + "。然后办理异地就医备案", 36, "…然后办理异地就医备案"),
        # no stop near the hit: a little before it
        ("字" * 60 + "异地就医", 60, "…" + "字" * 16 + "异地就医"),
        # text goes on past the passage
        ("异地" + "字" * 200, 0, "异地" + "字" * 108 + "…"),
    ],
)
def test_passage_starts_near_the_hit(text: str, first: int, expected: str) -> None:
    assert passage(text, first) == expected


@pytest.mark.parametrize(
    ("text", "term", "pieces"),
    [
        ("先做CT检查再看ct检查结果", "CT检查", (("先做", False), ("CT检查", True), ("再看", False), ("ct检查", True), ("结果", False))),
        ("没有这个词", "医保", (("没有这个词", False),)),
        ("…医保医保", "医保", (("…", False), ("医保", True), ("医保", True))),
        ("內地醫保一般不能結算", "医保", (("內地", False), ("醫保", True), ("一般不能結算", False))),  # shown as written
    ],
)
def test_marked_cuts_at_every_hit(text: str, term: str, pieces: tuple) -> None:
    assert marked(text, term) == pieces


def test_result_urls_are_pinyin_and_never_shared() -> None:
    urls = result_urls(["医保报销", "HPV疫苗", "一包", "医保", "!!!"], "/site")
    assert urls["医保报销"] == "/site/search/yibaobaoxiao/"
    assert urls["HPV疫苗"] == "/site/search/hpv-yimiao/"
    assert urls["一包"] == "/site/search/yibao/"
    assert urls["医保"] == "/site/search/yibao-2/"  # the same pinyin as 一包: a page of its own
    assert re.fullmatch(r"/site/search/x-[0-9a-f]{10}/", urls["!!!"])


# --- built sites ---------------------------------------------------------------------------------

TERM = "术前检查项目"


def _article(site: Path, name: str, title: str, body: str, *, tags: str = "[手术]", date: str = "2026-05-01") -> Path:
    path = site / "content" / "yibao" / f"{name}.md"
    front = f"---\ntitle: {title}\ndate: {date}\ncity: 深圳\ntopic: 医保\ntags: {tags}\n---\n"
    path.write_text(front + body + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hot_site(tmp_path: Path) -> Path:
    site = make_site(tmp_path)
    toml = site / "site.toml"
    text = toml.read_text(encoding="utf-8").replace('hot_searches = ["异地就医", "湿疹护理"]', f'hot_searches = ["异地就医", "{TERM}", "无人提到的词"]')
    toml.write_text(text, encoding="utf-8")
    filler = "住院前要准备好证件和材料，按医生的安排来。" * 6
    _article(site, "in-title", f"{TERM}有哪些", filler)
    _article(site, "in-tag", "手术前要做什么", filler, tags=f"[{TERM}清单]")  # no tag is the term itself: no tag page
    _article(site, "thrice", "手术前的准备", f"{filler}{TERM}一。{TERM}二。{TERM}三。")
    _article(site, "once", "麻醉前的准备", f"{filler}医生会开{TERM}清单。", date="2026-06-01")
    _article(site, "once-older", "麻醉前的准备（旧）", f"{filler}医生会开{TERM}清单。", date="2026-01-01")
    # every character of the term, never the term
    _article(site, "apart", "检查前准备", "术前要空腹。检查项目由医生定。" + filler)
    return site


def _cards(page: Path) -> list[str]:
    return [a["href"] for a in soup_of(page).select("#search-results a.card-link")]


def test_a_results_page_lists_every_article_that_holds_the_term_best_first(hot_site: Path) -> None:
    build_site(hot_site)
    out = hot_site / "public"
    hot = {a.get_text(): a["href"] for a in soup_of(out / "index.html").select("section.hot-searches a")}
    assert hot["异地就医"] == "/tags/yidijiuyi/"  # a tag: its own page is the results
    assert hot[TERM] == "/search/shuqianjianchaxiangmu/"
    page = out / "search/shuqianjianchaxiangmu/index.html"
    # title (×10) above tag (×5) above three mentions above one; the newer of two equals first
    assert _cards(page) == ["/yibao/in-title/", "/yibao/in-tag/", "/yibao/thrice/", "/yibao/once/", "/yibao/once-older/"]
    soup = soup_of(page)
    assert soup.select_one("#search-status").get_text() == f"找到 5 篇与\u201c{TERM}\u201d相关的文章"
    assert soup.select_one("#search-input")["value"] == TERM
    assert soup.select_one("#search-more").has_attr("hidden")
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert "/search/shuqianjianchaxiangmu/" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    # the card: the passage with the term marked, else the article's excerpt; topic, city, date
    once = soup.select("#search-results li.card")[3]
    assert [m.get_text() for m in once.select(".card-excerpt mark")] == [TERM]
    assert once.select_one(".card-excerpt").get_text().startswith("\u2026")
    assert [once.select_one(s).get_text() for s in (".label", ".card-city", "time")] == ["医保", "深圳", "2026年6月1日"]
    titled = soup.select("#search-results li.card")[0]
    assert titled.select_one(".card-excerpt").get_text().startswith("住院前要准备好证件")
    empty = soup_of(out / "search/wurentidaodeci/index.html")
    assert _cards(out / "search/wurentidaodeci/index.html") == []
    assert "没有找到" in empty.select_one("#search-status").get_text()


def test_ten_cards_then_load_more_with_the_count_left(hot_site: Path) -> None:
    for number in range(13):
        _article(hot_site, f"more-{number:02d}", f"第{number}篇", f"关于{TERM}的说明。", date=f"2025-01-{number + 1:02d}")
    build_site(hot_site)
    page = hot_site / "public/search/shuqianjianchaxiangmu/index.html"
    assert len(_cards(page)) == 10
    more = soup_of(page).select_one("#search-more")
    assert not more.has_attr("hidden")
    assert more.get_text() == "加载更多\uff08还有 8 篇\uff09"


def test_an_edit_moves_the_page_and_only_the_edited_body_is_read_again(hot_site: Path, monkeypatch) -> None:
    build_site(hot_site)
    page = hot_site / "public/search/shuqianjianchaxiangmu/index.html"
    before = page.read_bytes()
    read: list[str] = []
    real = hot_searches.body_hits
    monkeypatch.setattr(hot_searches, "body_hits", lambda html, texts: read.append(html) or real(html, texts))

    # An edit that does not touch the term: the body is read again, the page stays as it was.
    unrelated = hot_site / "content/yibao/apart.md"
    unrelated.write_text(unrelated.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    result = build_site(hot_site)
    assert len(read) == 1 and "补充一句" in read[0]
    assert page.read_bytes() == before
    assert result.written < 10

    # The term added to an article: it becomes a result.
    read.clear()
    unrelated.write_text(unrelated.read_text(encoding="utf-8") + f"\n别忘了{TERM}。\n", encoding="utf-8")
    build_site(hot_site)
    assert len(read) == 1
    assert "/yibao/apart/" in _cards(page)
    assert "找到 6 篇" in soup_of(page).select_one("#search-status").get_text()

    # The term gone from site.toml: its page goes too.
    toml = hot_site / "site.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(f', "{TERM}"', ""), encoding="utf-8")
    build_site(hot_site)
    assert not page.exists()


def test_the_same_as_a_cold_build_after_edits(hot_site: Path, tmp_path: Path) -> None:
    build_site(hot_site)
    edited = hot_site / "content/yibao/once.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("清单", f"清单，{TERM}"), encoding="utf-8")
    (hot_site / "content/yibao/in-title.md").unlink()
    build_site(hot_site)
    incremental = (hot_site / "public/search/shuqianjianchaxiangmu/index.html").read_bytes()
    build_site(hot_site, cache=False, out_dir=tmp_path / "cold")
    assert (tmp_path / "cold/search/shuqianjianchaxiangmu/index.html").read_bytes() == incremental


# --- in Chromium ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_results_are_there_without_the_script_and_load_more_goes_on_to_the_last(hot_site: Path, browser) -> None:
    for number in range(23):
        _article(hot_site, f"more-{number:02d}", f"第{number}篇", f"关于{TERM}的说明。", date=f"2025-02-{number + 1:02d}")
    config = hot_site / "site.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("search = false", "search = true"), encoding="utf-8")
    build_site(hot_site)
    with serving(hot_site / "public") as base:
        bare = browser.new_context(java_script_enabled=False)
        page = bare.new_page()
        page.goto(base + "/search/shuqianjianchaxiangmu/")
        assert page.locator("#search-results li.card").count() == 10
        bare.close()

        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(base + "/search/shuqianjianchaxiangmu/")
        built_in = _cards(hot_site / "public/search/shuqianjianchaxiangmu/index.html")
        more = page.locator("#search-more")
        while more.is_visible():
            count = page.locator("#search-results a.card-link").count()
            more.click()
            page.locator("#search-results a.card-link").nth(count).wait_for()
            page.wait_for_function("() => { const b = document.getElementById('search-more'); return b.hidden || !b.disabled; }")
        shown = page.eval_on_selector_all("#search-results a.card-link", "links => links.map(a => new URL(a.href).pathname)")
        # The built-in ten stay first; the index's own results follow, none twice. (The index may
        # find a few more: its phrase search matches words, this page's ranking the exact text.)
        assert shown[:10] == built_in
        assert len(shown) == len(set(shown)) >= 28
        assert {f"/yibao/more-{number:02d}/" for number in range(23)} <= set(shown)
        # the filters were filled from the index
        assert page.locator("#search-city option", has_text="深圳").count() == 1
        # a new query is the search page's: /search/?q=…
        page.fill("#search-input", "异地就医")
        page.locator("#search-status", has_text="\u201c异地就医\u201d").wait_for()
        assert page.url.startswith(base + "/search/?q=")
        assert errors == []
        context.close()
