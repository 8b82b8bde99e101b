"""Relevance of the sample site's search in Chromium, on the judged queries of search_queries.toml.

Each query is typed into /search/ as a reader would; every result is collected (加载更多 to the
last). precision@10 is the share of the first ten results shown that are relevant (a query with
fewer results is judged on those it shows); recall is the share of the relevant articles found
at all. Queries with no relevant article must show nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import pytest

from conftest import REPO
from search_site import SearchPage, build_sample, precision_and_recall, serving

QUERIES = tomllib.loads((REPO / "tests/search_queries.toml").read_text(encoding="utf-8"))["query"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    site = build_sample(tmp_path_factory.mktemp("relevance"))
    with serving(site / "public") as base:
        yield base


@pytest.fixture(scope="module")
def answers(browser, served) -> dict[str, list[str]]:
    """Every judged query's results, in order, from one tab."""
    tab = SearchPage(browser, served)
    tab.open()
    found = {}
    for query in QUERIES:
        tab.search(query["q"])
        found[query["q"]] = tab.all_results()
    assert not tab.errors
    tab.close()
    return found


def figures(answers: dict[str, list[str]]) -> tuple[float, float, list[str]]:
    return precision_and_recall((query["q"], set(query["relevant"]), answers[query["q"]]) for query in QUERIES if query["relevant"])


def test_mean_precision_and_recall(answers) -> None:
    precision, recall, misses = figures(answers)
    print(f"\n{len(QUERIES)} queries: mean precision@10 {precision:.3f}, mean recall {recall:.3f}", *misses, sep="\n")
    assert len(QUERIES) >= 40
    assert precision >= 0.95 and recall >= 0.95, misses


def test_a_term_no_article_holds_finds_nothing(answers) -> None:
    for query in QUERIES:
        if not query["relevant"]:
            assert answers[query["q"]] == [], query["q"]


def test_traditional_characters_find_the_simplified_articles(answers) -> None:
    for traditional, simplified in (("醫保", "医保"), ("過敏", "过敏"), ("門診", "门诊"), ("異地就醫", "异地就医")):
        assert answers[traditional] == answers[simplified] != []


def test_a_title_or_tag_ranks_above_a_passing_mention(answers) -> None:
    """For every one-word query: no article with the word in its title or tags ranks below one
    whose text has it once only (and not in title or tags)."""
    import frontmatter

    articles = {}
    for path in (REPO / "content").rglob("*.md"):
        post = frontmatter.load(path)
        slug = path.parent.name if path.name == "index.md" else path.stem  # a page bundle is named by its folder
        articles[slug] = (post["title"], post.get("tags", []), post.content)
    checked = 0
    for query in QUERIES:
        term = query["q"]
        if not query["relevant"] or not all("\u4e00" <= c <= "\u9fff" for c in term):
            continue
        ranked = [articles[url.rstrip("/").rsplit("/", 1)[-1]] for url in answers[term]]
        strong = [i for i, (title, tags, _) in enumerate(ranked) if term in title or any(term in tag for tag in tags)]
        once = [i for i, (_, _, body) in enumerate(ranked) if i not in strong and body.count(term) == 1]
        if strong and once:
            checked += 1
            assert max(strong) < min(once), (term, strong, once)
    assert checked >= 10
    assert answers["胃镜"][:1] == ["/shuqianjiancha/hangzhou-weijing-qian-jiancha/"]
