"""Authors, reviewers, sources, corrections, review intervals, structured data and 备案 on the page."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from conftest import TODAY, build_site, make_site, soup_of
from sitegen.check import check_site
from sitegen.cli import main
from sitegen.errors import SiteError
from sitegen.trust import add_months


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path, "trust")


@pytest.fixture
def public(site: Path) -> Path:
    build_site(site)
    return site / "public"


def graph_of(path: Path) -> dict[str, dict]:
    """The page's one JSON-LD @graph, by @type."""
    scripts = soup_of(path).select('script[type="application/ld+json"]')
    assert len(scripts) == 1
    data = json.loads(scripts[0].string)
    assert data["@context"] == "https://schema.org"
    return {node["@type"]: node for node in data["@graph"]}


def edit(site: Path, relative: str, old: str, new: str) -> None:
    path = site / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def first_problem(site: Path) -> tuple[str, int | None, str]:
    with pytest.raises(SiteError) as raised:
        build_site(site)
    problem = raised.value.problems[0]
    return problem.path, problem.line, problem.message


def test_add_months_keeps_the_day_or_the_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 11, 3), 6) == dt.date(2026, 5, 3)
    assert add_months(dt.date(2026, 6, 15), 24) == dt.date(2028, 6, 15)


def test_the_article_page_says_who_wrote_and_reviewed_it_and_when(public: Path) -> None:
    page = soup_of(public / "ertong/shizhen/index.html")
    byline = page.select_one(".byline")
    assert byline.get_text().startswith("作者")
    assert byline.a["href"] == "/people/li-bianji/"
    review = page.select_one(".review")
    reviewers = [p.get_text(" ", strip=True) for p in review.select(".reviewer")]
    assert reviewers[0].split() == ["审核：", "王医生", "·", "主任医师", "·", "深圳市儿童医院", "儿科"]
    dates = {t.parent.get_text(strip=True)[:4]: t["datetime"] for t in review.select("time")}
    assert dates == {"最近审核": "2026-06-15", "下次复核": "2027-06-15"}  # 儿童健康: review_months = 12
    meta = {t.parent.get_text(strip=True)[-2:]: t["datetime"][:10] for t in page.select(".article-meta time")}
    assert meta == {"发布": "2026-02-10", "更新": "2026-06-01", "审核": "2026-06-15"}


def test_sources_and_corrections(public: Path) -> None:
    page = soup_of(public / "ertong/shizhen/index.html")
    sources = page.select(".sources ol > li")
    assert [li.get_text(strip=True)[:11] for li in sources] == ["儿童特应性皮炎诊疗指南", "婴幼儿湿疹家庭护理手册"]
    link = sources[0].a
    assert link["href"] == "https://guide.example.org/atopic" and link["rel"] == ["nofollow", "noopener"]
    assert sources[1].a is None  # url is optional
    corrections = [t["datetime"] for t in page.select(".corrections time")]
    assert corrections == ["2026-06-15", "2026-03-01"]  # newest first
    assert page.select_one(".corrections h2").get_text() == "更正说明"


def test_reprint_ai_label_and_overdue_banner(public: Path) -> None:
    reprint = soup_of(public / "yibao/menzhen/index.html")
    text = reprint.select_one(".reprint").get_text()
    assert "来源：深圳市医疗保障局" in text and "原作者：市医保局办公室" in text and "原标题：深圳市门诊统筹政策问答" in text
    # 医保: review_months = 6 and the article dates from 2025-11-03: overdue on 2026-11-24.
    assert reprint.select_one(".stale-banner").get_text() == "本文信息可能已过时，请以官方最新发布为准。"
    assert soup_of(public / "ertong/shizhen/index.html").select_one(".stale-banner") is None
    # older than policy_max_age_months too, but warned once: the banner, and a plain checked date
    note = reprint.select_one(".checked-note")
    assert "is-stale" not in note["class"] and "距今已较久" not in note.get_text() and note.time["datetime"] == "2025-11-03"
    ai = soup_of(public / "ertong/fashao/index.html")
    assert ai.select_one(".ai-label").get_text() == "本文由AI辅助生成，经人工审核"


def test_structured_data_graph(public: Path) -> None:
    graph = graph_of(public / "ertong/shizhen/index.html")
    assert set(graph) == {"NewsArticle", "MedicalWebPage", "BreadcrumbList", "Organization"}
    news = graph["NewsArticle"]
    assert news["headline"] == "宝宝湿疹怎么护理" and news["description"]
    assert news["author"] == [{"@type": "Person", "name": "李编辑", "url": "https://trust.example.cn/people/li-bianji/"}]
    assert news["publisher"] == {"@id": "https://trust.example.cn/#organization"}
    assert graph["Organization"]["logo"] == {"@type": "ImageObject", "url": "https://trust.example.cn/logo.png"}
    medical = graph["MedicalWebPage"]
    assert medical["lastReviewed"] == "2026-06-15"
    assert medical["about"] == [{"@type": "Thing", "name": "儿童健康"}]
    doctor = medical["reviewedBy"][0]
    assert doctor["jobTitle"] == "主任医师" and doctor["worksFor"] == {"@type": "Organization", "name": "深圳市儿童医院"}
    crumbs = [(i["position"], i["name"], i["item"]) for i in graph["BreadcrumbList"]["itemListElement"]]
    visible = soup_of(public / "ertong/shizhen/index.html").select(".breadcrumb a")
    assert crumbs == [(n, a.get_text(), "https://trust.example.cn" + a["href"]) for n, a in enumerate(visible, 1)]


def test_no_medical_page_for_policy_topics_or_ai_text(public: Path) -> None:
    assert "MedicalWebPage" not in graph_of(public / "yibao/menzhen/index.html")
    assert "MedicalWebPage" not in graph_of(public / "ertong/fashao/index.html")


def test_home_page_carries_website_and_organization(public: Path) -> None:
    graph = graph_of(public / "index.html")
    assert graph["WebSite"]["url"] == "https://trust.example.cn/"
    assert graph["Organization"]["name"] == "可信健康站"


def test_dates_agree_on_page_json_ld_open_graph_sitemap_and_feed(public: Path) -> None:
    page = soup_of(public / "ertong/shizhen/index.html")
    news = graph_of(public / "ertong/shizhen/index.html")["NewsArticle"]
    published = page.select_one('meta[property="article:published_time"]')["content"]
    modified = page.select_one('meta[property="article:modified_time"]')["content"]
    assert (news["datePublished"], news["dateModified"]) == (published, modified)
    assert (published[:10], modified[:10]) == ("2026-02-10", "2026-06-01")
    # The visible dates are calendar days in the site's time zone: the same days as the moments.
    assert page.select_one(".article-meta .published time")["datetime"] == published[:10]
    assert page.select_one(".article-meta .updated time")["datetime"] == modified[:10]
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    sitemap = ElementTree.parse(public / "sitemap.xml")
    lastmod = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns) for u in sitemap.findall("s:url", ns)}
    assert lastmod["https://trust.example.cn/ertong/shizhen/"] in (modified, modified[:10])
    atom = (public / "feed.xml").read_text(encoding="utf-8")
    entry = atom[atom.index("<entry>", atom.index("宝宝湿疹怎么护理") - 400) :]
    assert re.search(rf"<published>{re.escape(published)}", entry) and re.search(rf"<updated>{re.escape(modified)}", entry)


def test_every_page_asks_for_no_transcoding(public: Path) -> None:
    for path in (public / "index.html", public / "ertong/shizhen/index.html", public / "people/index.html"):
        page = soup_of(path)
        assert page.select_one('meta[name="applicable-device"]')["content"] == "pc,mobile"
        assert page.select_one('meta[http-equiv="Cache-Control"]')["content"] == "no-transform"


def test_footer_shows_the_beian_numbers(public: Path) -> None:
    links = soup_of(public / "index.html").select(".beian a")
    assert [(a.get_text(), a["href"]) for a in links] == [
        ("粤ICP备12345678号-1", "https://beian.miit.gov.cn/"),
        ("粤公网安备44030502000001号", "http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=44030502000001"),
    ]


@pytest.mark.parametrize(
    ("relative", "old", "new", "line", "fragment"),
    [
        ("content/ertong/shizhen.md", "author: li-bianji", "author: li-bian", 8, "找不到人员\u201cli-bian\u201d"),
        ("content/ertong/shizhen.md", "reviewed_by: [wang-yisheng, zhao-yaoshi]", "reviewed_by: [li-bianji]", 9, "缺少 title\uff08职称\uff09"),
        ("content/ertong/shizhen.md", "last_reviewed: 2026-06-15", "last_reviewed: 2026-12-15", 10, "晚于今天"),
        ("content/ertong/shizhen.md", "last_reviewed: 2026-06-15", "last_reviewed: 2026-01-15", 10, "早于发布日期 2026-02-10"),
        ("content/ertong/shizhen.md", "  - title: 婴幼儿湿疹家庭护理手册\n", "  - titel: 婴幼儿湿疹家庭护理手册\n", 11, "第 2 条有未知字段 titel"),
        ("content/ertong/shizhen.md", "url: https://guide.example.org/atopic", "url: guide.example.org/atopic", 11, "应为完整网址"),
        ("content/ertong/shizhen.md", "    text: 更正了保湿霜的用量。\n", "", 18, "第 1 条应写明 date"),
        ("content/yibao/menzhen.md", "  author: 市医保局办公室\n", "", 8, "同时写明 source"),
        ("content/ertong/fashao.md", "ai_assisted: true", "ai_assisted: 是", 9, "应为 true 或 false"),
        ("content/ertong/fashao.md", "reviewed_by: wang-yisheng\n", "", None, "require_review = true"),
    ],
)
def test_mistakes_stop_the_build_naming_file_and_line(site: Path, relative: str, old: str, new: str, line: int | None, fragment: str) -> None:
    edit(site, relative, old, new)
    path, found_line, message = first_problem(site)
    assert (path, found_line) == (relative, line)
    assert fragment in message


def test_check_warns_of_overdue_reviews(site: Path) -> None:
    edit(site, "content/ertong/shizhen.md", "last_reviewed: 2026-06-15", "last_reviewed: 2026-06-01")
    edit(site, "site.toml", "review_months = 12", "review_months = 3")
    problems = [p for p in check_site(site, today=TODAY) if "已逾期" in p.message]
    assert [(p.path, p.line, p.severity) for p in problems] == [("content/ertong/shizhen.md", 10, "warning")]
    assert "应在 2026-09-01 前复核" in problems[0].message


def test_review_queue_in_text_and_json(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.check

    real = sitegen.check.check_reviews
    monkeypatch.setattr(sitegen.check, "check_reviews", lambda site_dir: real(site_dir, today=TODAY))
    runner = CliRunner()
    text = runner.invoke(main, ["check", "--site", str(site), "--reviews"])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith("2026-05-03  已逾期  content/yibao/menzhen.md")
    assert lines[1].startswith("2026-12-10  即将到期  content/yibao/jiating.md")
    assert lines[-1] == "待复核：1 篇已逾期，1 篇将在 30 天内到期"
    records = json.loads(runner.invoke(main, ["check", "--site", str(site), "--reviews", "--format", "json"]).output)
    assert [(r["file"], r["due"], r["overdue"]) for r in records] == [
        ("content/yibao/menzhen.md", "2026-05-03", True),
        ("content/yibao/jiating.md", "2026-12-10", False),
    ]


def test_an_edited_review_date_renders_only_that_article(site: Path) -> None:
    build_site(site)
    edit(site, "content/ertong/shizhen.md", "last_reviewed: 2026-06-15", "last_reviewed: 2026-07-01")
    result = build_site(site)
    page = soup_of(site / "public/ertong/shizhen/index.html")
    assert page.select_one(".review time")["datetime"] == "2026-07-01"
    assert result.rendered >= 1


# schema.org properties each type may carry (from schema.org's definitions of the types and
# their parents), and Google's documented Article properties: a typo or an invented property
# would be ignored by every search engine without a word.
SCHEMA_PROPERTIES = {
    "NewsArticle": {"@id", "@type", "headline", "description", "url", "mainEntityOfPage", "datePublished", "dateModified",
                    "inLanguage", "articleSection", "keywords", "author", "publisher", "isPartOf", "image"},
    "MedicalWebPage": {"@id", "@type", "url", "name", "inLanguage", "about", "mainEntity", "reviewedBy", "lastReviewed"},
    "BreadcrumbList": {"@type", "itemListElement"},
    "ListItem": {"@type", "position", "name", "item"},
    "Organization": {"@id", "@type", "name", "url", "logo"},
    "ImageObject": {"@type", "url", "width", "height"},
    "Person": {"@type", "name", "url", "jobTitle", "worksFor"},
    "Thing": {"@type", "name"},
    "Place": {"@type", "name"},
    "WebSite": {"@id", "@type", "name", "url", "inLanguage", "publisher"},
}  # fmt: skip
GOOGLE_ARTICLE = {"headline", "datePublished", "dateModified", "author", "publisher", "image"}


def _nodes(value):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nodes(item)


@pytest.mark.parametrize("page", ["ertong/shizhen/index.html", "yibao/menzhen/index.html", "ertong/fashao/index.html", "index.html"])
def test_json_ld_uses_only_schema_org_properties(public: Path, page: str) -> None:
    data = json.loads(soup_of(public / page).select_one('script[type="application/ld+json"]').string)
    for node in _nodes(data["@graph"]):
        if "@type" not in node:
            assert set(node) == {"@id"}, node  # a reference to a node of the graph
            continue
        assert set(node) <= SCHEMA_PROPERTIES[node["@type"]], node
        if node["@type"] == "NewsArticle":
            assert set(node) & GOOGLE_ARTICLE >= GOOGLE_ARTICLE - {"image"}  # image waits for the images issue
    ids = {node["@id"] for node in _nodes(data["@graph"]) if "@type" in node and "@id" in node}
    assert all(node["@id"] in ids for node in _nodes(data["@graph"]) if set(node) == {"@id"})  # no dangling reference
