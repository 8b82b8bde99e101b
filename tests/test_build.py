"""End to end: the basic fixture site built into tmp_path, checked by parsing its HTML."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import build_site, show_reviewer_in_article_layout, soup_of
from sitegen.config import DEFAULT_DISCLAIMER
from sitegen.errors import SiteError

ARTICLES = {
    "yibao/shenzhen-duanjiao": "深圳医保断缴后个人账户还能用吗",
    "yibao/yidi-beian": "深圳医保异地就医备案怎么办",
    "yibao/shenzhen-menzhen": "深圳门诊统筹怎么报销",
    "yibao/guangzhou-zhanghu": "广州医保个人账户可以给家人用吗",
    "ertong/shizhen": "宝宝湿疹反复怎么护理",
    "ertong/shiwu-guomin": "孩子食物过敏有哪些表现",
}


def article_pages(public: Path) -> dict[str, Path]:
    return {slug: public / slug / "index.html" for slug in ARTICLES}


def test_every_article_page_has_its_parts(built_basic: Path) -> None:
    for slug, path in article_pages(built_basic).items():
        page = soup_of(path)
        assert page.find("h1").get_text(strip=True) == ARTICLES[slug]
        assert len(page.select(".disclaimer")) == 1
        assert len(page.select(".source-notice")) == 1
        notice = page.select_one(".source-notice").get_text()
        assert "fix@test.example.cn" in notice
        hot = page.select_one("section.hot-searches")
        assert hot is not None and hot.select("li a")
        footer = [a.get_text() for a in page.select("footer a")]
        assert "首页" in footer and "顶部" in footer
        canonical = page.find("link", rel="canonical")["href"]
        assert canonical == f"https://test.example.cn/{slug}/"
        assert page.find("meta", property="og:url")["content"] == canonical
        assert page.find("meta", property="og:title")["content"] == ARTICLES[slug]


def test_article_header_links_city_topic_and_tags(built_basic: Path) -> None:
    page = soup_of(built_basic / "yibao/shenzhen-duanjiao/index.html")
    meta_links = {a.get_text(): a["href"] for a in page.select(".article-meta a")}
    assert meta_links == {"深圳": "/cities/shenzhen/", "医保": "/topics/yibao/"}
    tags = {a.get_text(): a["href"] for a in page.select(".article-tags a")}
    assert tags == {"#个人账户": "/tags/gerenzhanghu/", "#断缴": "/tags/duanjiao/"}
    assert "2026年5月2日更新" in page.select_one(".article-meta").get_text()


def test_disclaimer_varies_by_topic(built_basic: Path) -> None:
    policy = soup_of(built_basic / "yibao/yidi-beian/index.html").select_one(".disclaimer").get_text(strip=True)
    medical = soup_of(built_basic / "ertong/shizhen/index.html").select_one(".disclaimer").get_text(strip=True)
    assert policy == "提示:政策以当地医保局公布为准。"
    assert medical == DEFAULT_DISCLAIMER


def test_related_list_is_well_formed(built_basic: Path) -> None:
    for slug, path in article_pages(built_basic).items():
        related = soup_of(path).select_one("section.related")
        if related is None:
            continue
        cards = related.select("li")
        assert 0 < len(cards) <= 3
        hrefs = []
        for card in cards:
            links = card.find_all("a")
            assert len(links) == 1
            hrefs.append(links[0]["href"])
            assert card.select_one(".card-title").get_text(strip=True)
            assert card.select_one(".card-excerpt").get_text(strip=True)
            assert card.select_one(".label").get_text(strip=True)
            assert card.find("time")["datetime"]
        assert f"/{slug}/" not in hrefs
        assert len(hrefs) == len(set(hrefs))


def test_related_prefers_same_city_and_topic(built_basic: Path) -> None:
    cards = soup_of(built_basic / "yibao/shenzhen-duanjiao/index.html").select("section.related li a")
    assert [a["href"] for a in cards] == ["/yibao/yidi-beian/", "/yibao/shenzhen-menzhen/", "/yibao/guangzhou-zhanghu/"]


def test_markdown_links_to_articles_point_at_their_pages(built_basic: Path) -> None:
    body = soup_of(built_basic / "yibao/shenzhen-duanjiao/index.html").select_one(".article-body")
    assert body.find("a", string="异地就医备案")["href"] == "/yibao/yidi-beian/"
    assert "可以用。" in body.find("strong").get_text()
    assert "*" not in body.get_text()
    assert "清零,仍然" in body.get_text()


def test_every_article_is_on_its_topic_city_and_tag_pages(built_basic: Path) -> None:
    def listed(index_url: str) -> set[str]:
        hrefs, folder = set(), built_basic / index_url.strip("/")
        pages = [folder / "index.html", *sorted((folder / "page").glob("*/index.html"))]
        for page in pages:
            hrefs.update(a["href"] for a in soup_of(page).select("ul.cards li a"))
        return hrefs

    assert listed("/topics/yibao/") == {f"/{s}/" for s in ARTICLES if s.startswith("yibao")}
    assert listed("/topics/ertong/") == {f"/{s}/" for s in ARTICLES if s.startswith("ertong")}
    assert listed("/cities/shenzhen/") == {"/yibao/shenzhen-duanjiao/", "/yibao/yidi-beian/", "/yibao/shenzhen-menzhen/"}
    assert listed("/tags/gerenzhanghu/") == {"/yibao/shenzhen-duanjiao/", "/yibao/guangzhou-zhanghu/"}
    assert listed("/articles/") == {f"/{s}/" for s in ARTICLES}


def test_pagination_newest_first_with_page_one_at_the_index_url(built_basic: Path) -> None:
    first = soup_of(built_basic / "topics/yibao/index.html")
    second = soup_of(built_basic / "topics/yibao/page/2/index.html")
    assert [a["href"] for a in first.select("ul.cards li a")] == ["/yibao/shenzhen-duanjiao/", "/yibao/yidi-beian/"]
    assert first.select_one("a[rel=next]")["href"] == "/topics/yibao/page/2/"
    assert first.select_one("a[rel=prev]") is None
    assert second.select_one("a[rel=prev]")["href"] == "/topics/yibao/"
    numbers = [a["href"] for a in second.select(".page-numbers a")]
    assert numbers == ["/topics/yibao/"]
    assert not (built_basic / "topics/yibao/page/1").exists()
    assert not (built_basic / "topics/yibao/page/3").exists()


def test_home_and_index_pages(built_basic: Path) -> None:
    home = soup_of(built_basic / "index.html")
    assert home.select("section.latest li a")[0]["href"] == "/ertong/shiwu-guomin/"
    topics = {a["href"]: a.select_one(".count").get_text() for a in home.select(".topic-list a")}
    assert topics == {"/topics/yibao/": "4", "/topics/ertong/": "2"}
    assert home.select("section.hot-searches li")
    all_topics = soup_of(built_basic / "topics/index.html")
    assert [a["href"] for a in all_topics.select(".term-grid a")] == ["/topics/yibao/", "/topics/ertong/"]
    assert (built_basic / "404.html").exists()
    assert soup_of(built_basic / "404.html").find("meta", attrs={"name": "robots"})["content"] == "noindex"


def test_hot_searches_link_to_terms_or_search(built_basic: Path) -> None:
    hot = {a.get_text(): a["href"] for a in soup_of(built_basic / "index.html").select("section.hot-searches a")}
    assert hot["异地就医"] == "/tags/yidijiuyi/"
    assert hot["湿疹护理"] == "/search/shizhenhuli/"  # no term of that name: a results page of its own


def test_hot_searches_fall_back_to_popular_tags(basic_site: Path) -> None:
    config = basic_site / "site.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('hot_searches = ["异地就医", "湿疹护理"]', ""), encoding="utf-8")
    build_site(basic_site)
    hot = [a.get_text() for a in soup_of(basic_site / "public/index.html").select("section.hot-searches a")]
    assert hot[:2] == ["个人账户", "过敏"]  # used twice each; the rest once


def test_json_ld_describes_a_medical_web_page(built_basic: Path) -> None:
    # A policy topic (医保) is news, never a MedicalWebPage; a health topic is both.
    page = soup_of(built_basic / "yibao/shenzhen-duanjiao/index.html")
    graph = {n["@type"]: n for n in json.loads(page.find("script", type="application/ld+json").string)["@graph"]}
    assert set(graph) == {"NewsArticle", "BreadcrumbList", "Organization"}
    assert graph["NewsArticle"]["datePublished"].startswith("2026-03-18")
    assert graph["NewsArticle"]["dateModified"].startswith("2026-05-02")
    assert graph["NewsArticle"]["inLanguage"] == "zh-CN"
    page = soup_of(built_basic / "ertong/shizhen/index.html")
    graph = {n["@type"]: n for n in json.loads(page.find("script", type="application/ld+json").string)["@graph"]}
    assert {"@type": "Thing", "name": "儿童健康"} in graph["MedicalWebPage"]["about"]


def test_drafts_and_future_articles_only_on_request(basic_site: Path) -> None:
    result = build_site(basic_site)
    public = basic_site / "public"
    assert (result.skipped_drafts, result.skipped_future) == (1, 1)
    assert not (public / "ertong/draft-article").exists()
    assert not (public / "ertong/future-article").exists()
    build_site(basic_site, drafts=True, future=True)
    draft = soup_of(public / "ertong/draft-article/index.html")
    assert "草稿" in draft.select_one(".draft-banner").get_text()
    assert (public / "ertong/future-article/index.html").exists()


def test_unknown_front_matter_reaches_templates(basic_site: Path) -> None:
    show_reviewer_in_article_layout(basic_site)
    build_site(basic_site)
    assert soup_of(basic_site / "public/yibao/shenzhen-duanjiao/index.html").select_one(".reviewer").get_text() == "王医生"


def test_base_url_with_a_path(basic_site: Path) -> None:
    build_site(basic_site, base_url="https://example.org/health/")
    public = basic_site / "public"
    page = soup_of(public / "yibao/shenzhen-duanjiao/index.html")
    assert page.find("link", rel="canonical")["href"] == "https://example.org/health/yibao/shenzhen-duanjiao/"
    assert page.select_one(".article-meta a")["href"] == "/health/cities/shenzhen/"
    assert page.find("link", rel="stylesheet")["href"] == "/health/css/site.css"


def test_bad_content_reports_every_file_and_keeps_the_old_output(built_basic: Path, basic_site: Path) -> None:
    before = {p: p.read_bytes() for p in built_basic.rglob("*") if p.is_file()}
    (basic_site / "content/yibao/bad.md").write_text("---\ntitle: 坏文章\ndate: 2025-02-30\ncity: 深圳\ntopic: 医保\n---\n", encoding="utf-8")
    (basic_site / "content/yibao/bad2.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    paths = sorted(p.path for p in raised.value.problems)
    assert paths == ["content/yibao/bad.md", "content/yibao/bad2.md"]
    assert "2025-02-30" in str(raised.value)
    after = {p: p.read_bytes() for p in built_basic.rglob("*") if p.is_file()}
    assert after == before
    assert not list(basic_site.glob(".sitegen-staging-*")) and not list(basic_site.glob(".sitegen-retired-*"))


def test_two_articles_with_one_url_is_an_error_naming_both(basic_site: Path) -> None:
    shutil.copy(basic_site / "content/yibao/yidi-beian.md", basic_site / "content/ertong/yidi-beian.md")
    other = basic_site / "content/ertong/yidi-beian.md"
    other.write_text(other.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    message = str(raised.value)
    assert "content/ertong/yidi-beian.md" in message and "content/yibao/yidi-beian.md" in message


def test_layout_without_disclaimer_fails_the_build(basic_site: Path) -> None:
    layout = basic_site / "layouts/article.html"
    layout.write_text(layout.read_text(encoding="utf-8").replace('{% include "partials/disclaimer.html" %}', ""), encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    assert "layouts/article.html" in str(raised.value)
    assert "disclaimer" in str(raised.value)


def test_template_error_names_template_and_line(basic_site: Path) -> None:
    partial = basic_site / "layouts/partials/hot_searches.html"
    partial.write_text("{% if site.hot_searches %}\n<p>{{ site.no_such_thing.x }}</p>\n{% endif %}\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    problem = raised.value.problems[0]
    assert (problem.path, problem.line) == ("layouts/partials/hot_searches.html", 2)


def test_template_syntax_error_names_template_and_line(basic_site: Path) -> None:
    (basic_site / "layouts/404.html").write_text("{% extends \"base.html\" %}\n{% block main %}\n{% if %}\n{% endblock %}\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    problem = raised.value.problems[0]
    assert (problem.path, problem.line) == ("layouts/404.html", 3)


def test_unchanged_files_keep_their_mtime(basic_site: Path) -> None:
    build_site(basic_site)
    page = basic_site / "public/ertong/shizhen/index.html"
    first = page.stat().st_mtime_ns
    changed = basic_site / "content/yibao/shenzhen-menzhen.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("一部分", "一部分费用"), encoding="utf-8")
    result = build_site(basic_site)
    assert page.stat().st_mtime_ns == first
    assert result.unchanged > 0 and result.written > 0


def test_output_folder_may_not_hold_the_sources(basic_site: Path) -> None:
    for out in (basic_site, basic_site / "content", basic_site.parent):
        with pytest.raises(SiteError):
            build_site(basic_site, out_dir=out)
    assert (basic_site / "content/yibao/yidi-beian.md").exists()


def test_aliases_become_netlify_redirects(basic_site: Path) -> None:
    article = basic_site / "content/yibao/yidi-beian.md"
    article.write_text(article.read_text(encoding="utf-8").replace("tags: [异地就医, 备案]", "tags: [异地就医, 备案]\naliases: [old/beian/, /yibao/beian-2025]"), encoding="utf-8")
    build_site(basic_site)
    rules = (basic_site / "public/_redirects").read_text(encoding="utf-8").splitlines()
    assert rules == ["/old/beian/  /yibao/yidi-beian/  301", "/yibao/beian-2025/  /yibao/yidi-beian/  301"]


@pytest.mark.parametrize(
    "aliases, words",
    [
        ("[yibao/shenzhen-menzhen/]", "content/yibao/shenzhen-menzhen.md"),  # an existing article
        ("[topics/yibao/]", "已有的页面"),  # an index page
        ("[../../etc/]", "不是有效的旧网址"),
        ("[https://evil.example/x]", "不是有效的旧网址"),
    ],
)
def test_alias_that_takes_a_page_or_leaves_the_site_is_an_error(basic_site: Path, aliases: str, words: str) -> None:
    article = basic_site / "content/yibao/yidi-beian.md"
    article.write_text(article.read_text(encoding="utf-8").replace("tags: [异地就医, 备案]", f"tags: [异地就医, 备案]\naliases: {aliases}"), encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    assert words in str(raised.value)
    assert "content/yibao/yidi-beian.md" in str(raised.value)


def test_one_alias_claimed_by_two_articles(basic_site: Path) -> None:
    for name in ("yidi-beian", "shenzhen-menzhen"):
        article = basic_site / f"content/yibao/{name}.md"
        text = article.read_text(encoding="utf-8")
        article.write_text(text.replace("\ntopic: 医保\n", "\ntopic: 医保\naliases: [old/same/]\n"), encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    message = str(raised.value)
    assert "content/yibao/yidi-beian.md" in message and "content/yibao/shenzhen-menzhen.md" in message
