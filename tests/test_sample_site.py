"""The sample site at the repository root: built once, checked as a reader and a crawler would."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import REPO, soup_of
from sitegen.build import BuildOptions, build
from sitegen.config import load_config
from sitegen.content import load_content

CJK_SPACE_CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef] +[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "public"
    build(BuildOptions(site_dir=REPO, out_dir=out, cache=False))  # the checkout's own cache is the user's
    return out


def article_paths(public: Path) -> list[Path]:
    config = load_config(REPO)
    topics = {t.slug for t in config.topics if t.slug} | {"yibao", "shebao", "shengyubaoxian", "zhengzhuang", "shuqianjiancha", "manxingbing", "yongyao", "tijian"}
    return sorted(p for p in public.glob("*/*/index.html") if p.parts[-3] in topics)


def test_sample_content_is_broad_enough() -> None:
    loaded = load_content(REPO, drafts=True)
    assert not loaded.problems
    articles = loaded.articles
    assert len(articles) >= 40
    assert len({a.front_matter.city for a in articles}) >= 8
    assert len({a.front_matter.topic for a in articles}) >= 8


def relatable_counts() -> dict[str, int]:
    """For each title, how many other published articles share its topic, its city or a tag."""
    articles = [a.front_matter for a in load_content(REPO).articles]
    counts = {}
    for a in articles:
        counts[a.title] = sum(
            1
            for b in articles
            if b is not a
            and (b.topic == a.topic or (b.city == a.city and a.city != "全国") or set(a.tags) & set(b.tags))
        )
    return counts


def test_every_article_page_is_complete(sample: Path) -> None:
    pages = article_paths(sample)
    assert len(pages) >= 40
    relatable = relatable_counts()
    for path in pages:
        page = soup_of(path)
        url = "/" + path.parent.relative_to(sample).as_posix() + "/"
        assert len(page.select(".disclaimer")) == 1, path
        assert len(page.select(".source-notice")) == 1, path
        assert page.select("section.hot-searches li a"), path
        related = page.select("section.related li")
        assert len(related) == min(10, relatable[page.find("h1").get_text()]), path
        hrefs = [card.find_all("a") for card in related]
        assert all(len(links) == 1 for links in hrefs), path
        targets = [links[0]["href"] for links in hrefs]
        assert url not in targets and len(set(targets)) == len(targets), path
        titles = [card.select_one(".card-title").get_text() for card in related]
        assert page.find("h1").get_text() not in titles and len(set(titles)) == len(titles)
        assert "*" not in page.select_one(".article-body").get_text(), path


def test_excerpts_are_clean(sample: Path) -> None:
    excerpts = []
    for path in [sample / "index.html", *article_paths(sample)]:
        page = soup_of(path)
        excerpts += [p.get_text() for p in page.select(".card-excerpt")]
        excerpts.append(page.find("meta", attrs={"name": "description"})["content"])
    assert len(excerpts) > 400
    for excerpt in excerpts:
        assert not re.search(r"[*_`#<>\[\]]|\]\(|&[a-z]+;", excerpt), excerpt
        assert not CJK_SPACE_CJK.search(excerpt), excerpt
        assert len(excerpt) <= 121
        if excerpt.endswith("…"):
            assert excerpt[-2] in "。！？；，、：!?;,:" or len(excerpt) == 121, excerpt


def test_sample_related_lists_stay_on_subject(sample: Path) -> None:
    page = soup_of(sample / "yibao/shenzhen-yibao-duanjiao-geren-zhanghu/index.html")
    cards = page.select("section.related li")
    labels = [(c.select_one(".label").get_text(), (c.select_one(".card-city") or c).get_text()) for c in cards[:3]]
    assert all(label == "医保" for label, _ in labels)
    assert all("深圳" in city for _, city in labels)


def test_sitemap_and_feed_parse(sample: Path) -> None:
    urls = ET.parse(sample / "sitemap.xml").getroot()
    assert len(urls) > 100
    ET.parse(sample / "feed.xml")
    for feed in sample.glob("topics/*/feed.xml"):
        ET.parse(feed)


def test_search_index_is_built(sample: Path) -> None:
    assert (sample / "pagefind/pagefind.js").exists()
    assert (sample / "search/index.html").exists()
    assert list((sample / "pagefind").glob("pagefind-entry.json"))
