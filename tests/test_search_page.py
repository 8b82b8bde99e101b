"""/search/ in Chromium as a reader uses it: labels, filters, paging, the keyboard, layout shift,
and what a result card shows. The sample site is built once and served with netlify.toml's CSP."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import build_site
from search_site import SearchPage, build_sample, serving
from sitegen.search import STAGING_DIR

pytestmark = pytest.mark.browser

# Sums every layout shift not caused by input, from before the page's first script runs.
SHIFTS = """
window.__shift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return build_sample(tmp_path_factory.mktemp("search-page"))


@pytest.fixture(scope="module")
def served(sample: Path) -> Iterator[str]:
    with serving(sample / "public") as base:
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


@pytest.mark.parametrize(
    ("query", "left", "expected"),
    [
        # no article says 发烧 and 怎么办 both: the fever articles, and the status names what went
        ("孩子发烧怎么办", "“怎么办”", {"/ertong/xian-ertong-yejian-jizhen/", "/jiuyi/chengdu-erke-kanbing-yiyuan/"}),
        ("胃镜前要空腹吗", "“吗”", {"/shuqianjiancha/hangzhou-weijing-qian-jiancha/"}),
        ("体检要空腹吗", "“要”“吗”", {"/tijian/wuhan-ruzhi-tijian/", "/tijian/ruzhi-tijian-xiangmu/"}),
        # 够 is in no article: left out with 不, the rest of its word, not searched as 不 alone
        ("医保卡余额不够怎么办", "“不够”“怎么办”", {"/yibao/shenzhen-yibaoka-yue-yongwan/"}),
        # 骨科 is in no article: 科 alone would find every 皮肤科 and 儿科 article
        ("骨科怎么挂号", "“骨科”“怎么”", {"/jiuyi/beijing-sanjia-yiyuan-guahao/", "/jiuyi/wuhan-wangshang-yuyue-guahao/"}),
    ],
)
def test_a_question_no_article_answers_word_for_word_is_searched_without_its_question_words(
    tab: SearchPage, query: str, left: str, expected: set[str]
) -> None:
    tab.open(query)
    assert expected <= set(tab.all_results())
    assert f"搜索时略去了{left}" in tab.page.inner_text("#search-status")


def test_a_query_that_finds_articles_keeps_its_question_words(tab: SearchPage) -> None:
    tab.open("怎么办")  # a question word alone is searched as itself
    assert tab.shown() and "略去" not in tab.page.inner_text("#search-status")
    tab.search("医保怎么报销")  # articles say all three: nothing is left out
    assert tab.shown() and "略去" not in tab.page.inner_text("#search-status")


@pytest.mark.parametrize("query", ["医疗美容", "骨科", "孩子骨科"])
def test_a_query_that_is_no_question_finds_nothing_rather_than_some_of_its_words(tab: SearchPage, query: str) -> None:
    tab.open(query)
    assert not tab.shown() and "没有找到" in tab.page.inner_text("#search-status")


def test_a_character_typed_alone_finds_the_words_it_begins(tab: SearchPage, sample: Path) -> None:
    # 住 is no word of the sample site's index but starts 住院 and 住宿: searched by the words it
    # begins, as Pagefind searches a word still being typed. 们 starts none, and finds nothing.
    words = set(json.loads((sample / "public/pagefind/sitegen-words.json").read_text(encoding="utf-8"))["words"].split(" "))
    assert "住" not in words and any(word.startswith("住") for word in words)
    assert "们" not in words and not any(word.startswith("们") for word in words)
    holding = set()
    for page in (sample / ".sitegen-cache" / STAGING_DIR).rglob("index.html"):
        text = page.read_text(encoding="utf-8")
        tokens = re.sub(r"<[^>]+>", " ", text).split() + re.findall(r'data-pagefind-meta="[a-z]+:([^"]*)"', text)
        if any(token.startswith("住") for token in tokens):
            holding.add(page.parent.relative_to(sample / ".sitegen-cache" / STAGING_DIR).as_posix())
    tab.open()
    tab.search("住")
    assert tab.page.inner_text("#search-status").startswith(f"找到 {len(holding)} 篇")
    assert {url.strip("/") for url in tab.all_results()} == holding
    tab.search("们")
    assert not tab.shown() and "没有找到" in tab.page.inner_text("#search-status")


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
    # A status of two lines on a phone (a long query, words left out) moves no card either: it is
    # written before the cards are painted.
    tab = SearchPage(browser, served, viewport=viewport)
    tab.context.add_init_script(SHIFTS)
    tab.open("医保卡余额不够怎么办")
    tab.page.wait_for_timeout(300)
    assert tab.page.evaluate("window.__shift") < 0.05
    tab.close()


CARD_FACTS = """() => [...document.querySelectorAll("#search-results .card")].map((card) => [
  new URL(card.querySelector("a").href).pathname, card.querySelector(".card-title").textContent,
  card.querySelector(".card-meta").textContent, card.getBoundingClientRect().top, card.getBoundingClientRect().height])"""


def _hold_fragments(tab: SearchPage) -> list:
    held: list = []
    tab.page.route("**/pagefind/fragment/*", lambda route: held.append(route))  # noqa: PLW0108 (Playwright wants a Python function)
    return held


def test_cards_go_in_before_their_fragments_and_their_excerpts_move_nothing(browser, served) -> None:
    """With the head's page table, the first ten cards (title, topic, city, date) are on the page
    as soon as Pagefind has ranked them, each excerpt in a box of its final size until its
    fragment is here: then the text goes in and no card moves."""
    for viewport in ({"width": 375, "height": 667}, {"width": 1280, "height": 800}):
        tab = SearchPage(browser, served, viewport=viewport)
        held = _hold_fragments(tab)
        tab.page.goto(served + "/search/?q=%E5%8C%BB%E4%BF%9D")
        tab.page.locator("#search-status", has_text="\u201c医保\u201d").wait_for()
        tab.page.wait_for_timeout(300)
        before = tab.page.evaluate(CARD_FACTS)
        assert len(before) == 10 and held  # every card, while the fragments are held
        assert tab.page.locator("#search-results .card-excerpt.is-waiting").count() == 10
        assert tab.page.locator("#search-results .card-excerpt mark").count() == 0
        for route in held:
            route.continue_()
        tab.page.unroute("**/pagefind/fragment/*")
        tab.excerpts()
        after = tab.page.evaluate(CARD_FACTS)
        assert after == before  # the same cards, in the same places, of the same height
        assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", after[0][2])
        for card in tab.page.locator("#search-results .card").all():
            assert card.locator(".card-excerpt mark").count() > 0
            assert card.locator(".excerpt-placeholder").count() == 0
        assert not tab.errors
        tab.close()


@pytest.fixture(scope="module")
def served_without_table(sample: Path, tmp_path_factory) -> Iterator[str]:
    """The sample's output with no page table in the head, as a site too big for one."""
    out = tmp_path_factory.mktemp("no-table") / "public"
    shutil.copytree(sample / "public", out)
    head = out / "pagefind" / "sitegen-words" / "head.json"
    data = json.loads(head.read_text(encoding="utf-8"))
    data.pop("pages")
    head.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with serving(out) as base:
        yield base


def test_without_a_page_table_each_card_waits_for_its_fragment(browser, served, served_without_table) -> None:
    """A big site's cards come with their fragments, whole, in rank order: the same cards as
    with the table."""
    tab = SearchPage(browser, served_without_table)
    held = _hold_fragments(tab)
    tab.page.goto(served_without_table + "/search/?q=%E5%8C%BB%E4%BF%9D")
    tab.page.wait_for_timeout(1500)
    assert held and tab.page.locator("#search-results .card").count() == 0
    for route in held:
        route.continue_()
    tab.page.unroute("**/pagefind/fragment/*")
    tab.wait_for("医保")
    assert tab.page.locator("#search-results .card-excerpt.is-waiting").count() == 0
    without = tab.all_results()
    tab.close()
    tab = SearchPage(browser, served)
    tab.open("医保")
    assert tab.all_results() == without
    tab.close()


def test_a_small_index_is_fetched_whole_after_the_first_results_and_later_queries_download_no_chunk(tab: SearchPage, sample: Path) -> None:
    """On a small site the page fetches every index chunk once the first cards have their
    excerpts, so a later query's chunks come from the HTTP cache, not over the phone's link."""
    finished: list = []
    tab.page.on("requestfinished", lambda request: "/pagefind/index/" in request.url and finished.append(request))
    tab.open("医保")
    every = {path.name for path in (sample / "public" / "pagefind" / "index").iterdir()}
    fetched = "performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.includes('/pagefind/index/')).map((n) => n.split('/').pop())"
    for _ in range(100):
        if set(tab.page.evaluate(fetched)) == every:
            break
        tab.page.wait_for_timeout(50)
    assert set(tab.page.evaluate(fetched)) == every and len(every) > 1
    tab.page.wait_for_timeout(300)
    count = len(finished)
    for query in ("异地就医", "过敏性鼻炎", "心电图", "儿童", "胃镜", "社保"):
        tab.search(query)
    later = finished[count:]
    assert later  # the worker asked for chunks it had not loaded for 医保 ...
    assert all(request.sizes()["responseBodySize"] <= 0 for request in later), [r.url for r in later]  # ... from the cache


def test_the_page_preloads_what_the_first_results_wait_for(tab: SearchPage) -> None:
    """search.js, Pagefind's script, the word list's head, and the WebAssembly and script that
    Pagefind's worker asks for first come from the page's head, at the very addresses then
    fetched; the entry, the metadata and the chunks the query needs are fetched by the page
    before the worker asks, and the worker gets each of them from the HTTP cache."""
    finished = []
    tab.page.on("requestfinished", lambda request: finished.append(request))  # noqa: PLW0108 (Playwright wants a Python function)
    tab.open("医保")
    preloads = tab.page.eval_on_selector_all(
        "link[rel=preload], link[rel=modulepreload]", "links => links.map(l => [l.rel, new URL(l.href).pathname + new URL(l.href).search, l.as, l.crossOrigin])"
    )
    assert ["modulepreload", "/js/search.js", "", None] in preloads
    assert ["modulepreload", "/pagefind/pagefind.js", "", None] in preloads
    for path in ("/pagefind/sitegen-words/head.json", "/pagefind/wasm.unknown.pagefind", "/pagefind/pagefind-worker.js"):
        assert ["preload", path, "fetch", "anonymous"] in preloads  # as fetch() asks: CORS, same-origin credentials
    assert not [link for link in preloads if "pagefind-entry" in link[1]]  # its address is the page load's own
    tab.page.wait_for_timeout(500)  # the filters, which come after the results
    urls = [request.url for request in finished]
    # Pagefind asks for its entry at this load's own ?ts=, which the page asked for first.
    entries = {url for url in urls if "pagefind-entry.json" in url}
    assert len(entries) == 1 and re.search(r"pagefind-entry\.json\?ts=[0-9a-z]+$", entries.pop())
    # What the page fetched itself (the worker's requests are not in its timeline).
    by_page = {re.sub(r"^.*/pagefind/", "", url) for url in tab.page.evaluate("performance.getEntriesByType('resource').map((r) => r.name)") if "/pagefind/" in url}
    chunks = {re.sub(r"^.*/pagefind/", "", url) for url in urls if "/pagefind/index/" in url}
    assert chunks and chunks <= by_page  # every chunk the worker needed, the page had asked for
    assert any(name.endswith(".pf_meta") for name in by_page)
    # Each file is downloaded once: the worker gets it from the cache.
    for name in ("wasm.unknown.pagefind", "pagefind.js", "pagefind-worker.js", "sitegen-words/head.json", "pagefind-entry.json?ts=", ".pf_meta", *chunks):
        bodies = [request.sizes()["responseBodySize"] for request in finished if name in request.url]
        assert len([size for size in bodies if size > 0]) == 1, (name, bodies)


def _assert_the_page_fetched_the_chunks_pagefind_asked_for(tab: SearchPage, query: str) -> None:
    started: list[str] = []
    tab.page.on("request", lambda request: started.append(request.url))
    tab.open(query)
    tab.page.wait_for_timeout(300)
    # Up to the first results' fragments: after them the page fetches a small index whole (a
    # query with no results is only asked here of an index too big for that).
    first = next((index for index, url in enumerate(started) if "/pagefind/fragment/" in url), len(started))
    chunks = [url.rpartition("/")[2] for url in started[:first] if "/pagefind/index/" in url]
    # Each, the page's fetch and then the worker's from the cache: a chunk the page took that
    # the worker did not want, or one it wanted that the page had not taken, comes once.
    assert chunks and all(chunks.count(name) == 2 for name in chunks), chunks
    assert not tab.errors


@pytest.mark.parametrize("query", ["医保", "建议", "过敏原检测", "鼻窦炎", "CT检查", "異地就醫 报销", "布洛芬"])
def test_the_page_fetches_the_index_chunks_pagefind_asks_for_and_no_other(tab: SearchPage, query: str) -> None:
    """search.js picks the chunks for the query in the address as Pagefind does (the word list's
    head names them): each chunk is fetched by the page and then asked for by the worker, which
    gets it from the cache; the page fetches none the worker does not want."""
    _assert_the_page_fetched_the_chunks_pagefind_asked_for(tab, query)


@pytest.fixture(scope="module")
def served_corpus(tmp_path_factory) -> Iterator[str]:
    """300 articles of make_corpus.py's varied words, built with search on: an index of many chunks."""
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    site = corpus.make_corpus(300, tmp_path_factory.mktemp("search-corpus") / "site", varied_words=True)
    build_site(site, search=True)
    with serving(site / "public") as base:
        yield base


def _first_cut(query: str, words: set[str], longest: int) -> list[str]:
    """search.js's runCuts, its first way: the longest word at each place that lets the rest be cut."""
    reaches = [False] * len(query) + [True]
    for at in range(len(query) - 1, -1, -1):
        reaches[at] = any(reaches[at + size] and query[at : at + size] in words for size in range(1, min(longest, len(query) - at) + 1))
    cut, at = [], 0
    while at < len(query):
        size = next(size for size in range(min(longest, len(query) - at), 0, -1) if reaches[at + size] and query[at : at + size] in words)
        cut.append(query[at : at + size])
        at += size
    return cut


def test_a_word_past_the_cut_bound_of_its_chunk_is_fetched_from_that_chunk(browser, served_corpus) -> None:
    """Pagefind cuts a chunk's bounds short (a chunk that holds 建议 may end at 建) and finds such
    a word by the bounds cut to its length: so does search.js. The word comes second in the
    query, so that the first character's chunk (fetched at once) is another one."""
    tab = SearchPage(browser, served_corpus)
    tab.open()
    head = tab.page.evaluate("fetch('/pagefind/sitegen-words/head.json').then((r) => r.json())")
    chunks, longest = head["chunks"], head["longest"]
    words = tab.page.evaluate("fetch('/pagefind/sitegen-words.json').then((r) => r.json())")["words"].split(" ")
    vocabulary = set(words)

    def chunk_of(word: str) -> str:
        return next(name for first, last, name in chunks if first <= word[: len(last)] <= last and word >= first[: len(word)])

    past = [word for word in words if len(word) >= 2 and not any(first <= word <= last for first, last, _ in chunks)]
    query = next(
        (first + second for second in past for first in words[::97] if len(first) >= 2 and chunk_of(first) != chunk_of(second) and _first_cut(first + second, vocabulary, longest) == [first, second]),
        None,
    )
    assert query, "the corpus's index has no word past a cut bound to search for"
    assert not head["index_whole"]  # its chunks are all the page fetches for the query
    tab.close()
    tab = SearchPage(browser, served_corpus)  # a cold cache again
    _assert_the_page_fetched_the_chunks_pagefind_asked_for(tab, query)
    tab.close()


def test_each_page_load_asks_for_the_entry_at_an_address_of_its_own(tab: SearchPage) -> None:
    """The entry, which browsers may keep for a while, is never a copy from an earlier load:
    a deploy in between would have left it naming an index that is gone."""
    asked = []
    tab.page.on("request", lambda request: "pagefind-entry.json" in request.url and asked.append(request.url))
    tab.open("医保")
    tab.page.wait_for_timeout(50)  # a different millisecond, at least
    tab.page.reload()
    tab.wait_for("医保")
    assert len(set(asked)) == 2, asked


def test_every_preload_is_used(browser, served) -> None:
    """Chromium warns about a preload nothing used within a few seconds of the load event."""
    tab = SearchPage(browser, served)
    warnings: list[str] = []
    tab.page.on("console", lambda message: message.type in ("warning", "error") and warnings.append(message.text))
    tab.open("医保")
    tab.page.wait_for_timeout(4000)
    assert [text for text in warnings if "preload" in text] == []
    assert not tab.errors
    tab.close()


@pytest.fixture(scope="module")
def served_big_list(tmp_path_factory) -> Iterator[str]:
    """The sample site built as if its word list were a big site's: fetched shard by shard."""
    from search_site import sample_site
    from sitegen import search

    site = sample_site(tmp_path_factory.mktemp("search-shards"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "_WHOLE_BYTES", 0)
        build_site(site, search=True)
    with serving(site / "public") as base:
        yield base


def _word_shards_fetched(tab: SearchPage) -> list[str]:
    fetched: list[str] = []
    tab.page.on("requestfinished", lambda request: "/sitegen-words/" in request.url and fetched.append(request.url.rpartition("/")[2]))
    return fetched


def test_a_query_fetches_only_the_word_shards_of_its_characters(browser, served_big_list) -> None:
    """A big site's word list: a query cuts with the shards its characters start (word_shards),
    a later one fetches only those it lacks, none twice."""
    tab = SearchPage(browser, served_big_list)
    fetched = _word_shards_fetched(tab)
    tab.open("医保")
    head = tab.page.evaluate("fetch('/pagefind/sitegen-words/head.json').then((r) => r.json())")
    count = head["shards"]
    assert count > 1 and head["whole"] is False
    first = {f"{ord(c) % count}.txt" for c in "医保"}
    tab.page.wait_for_timeout(500)
    assert sorted(set(fetched) - {"head.json"}) == sorted(first)
    assert tab.shown()
    tab.search("過敏")  # traditional: its shards are those of the simplified 过敏
    later = {f"{ord(c) % count}.txt" for c in "过敏"}
    assert sorted(set(fetched) - {"head.json"}) == sorted(first | later)
    assert tab.shown() and "过敏" in tab.page.inner_text("#search-results .card-excerpt mark >> nth=0")
    assert len([name for name in fetched if name != "head.json"]) == len(first | later)  # each once
    assert not tab.errors
    tab.close()


def test_a_small_word_list_is_fetched_whole_after_the_first_results(tab: SearchPage) -> None:
    fetched = _word_shards_fetched(tab)
    tab.open("医保")
    count = tab.page.evaluate("fetch('/pagefind/sitegen-words/head.json').then((r) => r.json())")["shards"]
    every = {f"{number}.txt" for number in range(count)}
    for _ in range(40):
        if every <= set(fetched):
            break
        tab.page.wait_for_timeout(100)
    assert sorted(set(fetched) - {"head.json"}) == sorted(every)
    before = len(fetched)
    tab.search("過敏")
    assert tab.shown() and len(fetched) == before  # its words were there already


def test_pagefind_loads_before_the_first_keystroke(tab: SearchPage) -> None:
    """On /search/ without a query Pagefind's index metadata is fetched at once, not on typing."""
    with tab.page.expect_response(lambda response: response.url.endswith(".pf_meta")):
        tab.open()
    assert tab.page.locator("#search-results .card").count() == 0
    assert tab.page.inner_text("#search-status") == ""


def test_typing_alone_searches_and_keeps_the_address(tab: SearchPage) -> None:
    """A word committed by an input method (one input event, no Enter) is searched at once."""
    tab.open()
    tab.page.focus("#search-input")
    tab.page.keyboard.insert_text("过敏")
    tab.wait_for("过敏")
    assert tab.shown() and "过敏" in tab.page.inner_text("#search-results .card-excerpt mark >> nth=0")
    assert "q=%E8%BF%87%E6%95%8F" in tab.page.url
    tab.page.fill("#search-input", "")
    tab.page.locator("#search-status").filter(has_text=re.compile(r"^$")).wait_for()
    assert tab.shown() == []


def test_characters_being_composed_are_not_searched(tab: SearchPage) -> None:
    """Pinyin letters still in an input method's composition are no query: its commit is."""
    tab.open()
    tab.page.focus("#search-input")
    tab.page.evaluate(
        """() => {
          const input = document.getElementById("search-input");
          input.dispatchEvent(new CompositionEvent("compositionstart"));
          input.value = "yibao";
          input.dispatchEvent(new InputEvent("input", { isComposing: true, data: "yibao" }));
        }"""
    )
    tab.page.wait_for_timeout(500)
    assert tab.page.inner_text("#search-status") == "" and tab.shown() == []
    tab.page.evaluate(
        """() => {
          const input = document.getElementById("search-input");
          input.value = "医保";
          input.dispatchEvent(new CompositionEvent("compositionend", { data: "医保" }));
        }"""
    )
    tab.wait_for("医保")
    assert len(tab.shown()) == 10
