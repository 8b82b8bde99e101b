"""The site's shape as configuration: pages, menus, custom taxonomies, term spellings, prefixes.

tests/fixtures/shaped is a site of only site.toml and content/ (the packaged theme), with
renamed taxonomy prefixes, two custom taxonomies, tag and term aliases, menus and pages.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import FIXTURES, TODAY, build_site, soup_of
from sitegen.check import check_site
from sitegen.errors import SiteError


@pytest.fixture
def shaped(tmp_path: Path) -> Path:
    site = tmp_path / "shaped"
    shutil.copytree(FIXTURES / "shaped", site)  # no layouts/, no static/: the packaged theme only
    return site


@pytest.fixture
def built(shaped: Path) -> Path:
    build_site(shaped, cache=False)
    return shaped / "public"


def links_of(soup: BeautifulSoup, selector: str) -> list[tuple[str, str]]:
    return [(a.get_text(strip=True), a["href"]) for a in soup.select(selector)]


def all_hrefs(public: Path) -> set[str]:
    return {a["href"] for page in public.rglob("*.html") for a in soup_of(page).find_all("a", href=True)}


# --- a site of site.toml and content/ only -----------------------------------------------------


def test_a_site_of_only_settings_and_content_builds_a_complete_site(built: Path) -> None:
    for path in ("index.html", "articles/index.html", "lanmu/index.html", "lanmu/guke/index.html", "chengshi/chengdu/index.html",
                 "biaoqian/yidi-jiuyi/index.html", "keshi/index.html", "keshi/guke/index.html", "renqun/laonianren/index.html",
                 "guke/guzhe-fuxue/index.html", "about/index.html", "help/privacy/index.html", "404.html", "feed.xml",
                 "lanmu/guke/feed.xml", "sitemap.xml", "robots.txt", "css/site.css", "favicon.svg"):  # fmt: skip
        assert (built / path).is_file(), path
    article = soup_of(built / "guke/guzhe-fuxue/index.html")
    assert len(article.select(".disclaimer")) == 1
    assert article.find("link", rel="stylesheet")["href"] == "/css/site.css"


# --- pages --------------------------------------------------------------------------------------


def test_pages_are_not_articles(built: Path) -> None:
    about = soup_of(built / "about/index.html")
    assert about.find("h1").get_text(strip=True) == "关于我们"
    assert about.find("meta", attrs={"name": "description"})["content"] == "我们是谁，内容怎样写作与审核。"
    assert about.select(".disclaimer") == [] and about.select(".related") == []
    assert "联系我们" in about.get_text()
    # Nowhere an article goes: feeds, the home page, lists, related cards.
    everywhere_but_itself = [p for p in built.rglob("*") if p.is_file() and p.parent.name not in ("about", "privacy")]
    for path in everywhere_but_itself:
        if path.suffix in (".html", ".xml") and path.name != "sitemap.xml":
            text = path.read_text(encoding="utf-8")
            assert "/about/" not in text.replace('href="/about/"', "") or path.suffix == ".html", path
    for feed in ("feed.xml", "lanmu/guke/feed.xml"):
        assert "关于我们" not in (built / feed).read_text(encoding="utf-8")
    for listing in ("index.html", "articles/index.html", "articles/page/2/index.html", "articles/page/3/index.html"):
        cards = [a["href"] for a in soup_of(built / listing).select(".card-link")]
        assert "/about/" not in cards and "/help/privacy/" not in cards
    sitemap = (built / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://kangfu.example.cn/about/" in sitemap and "https://kangfu.example.cn/help/privacy/" in sitemap


def test_a_draft_page_is_left_out_unless_drafts_are_asked_for(shaped: Path) -> None:
    build_site(shaped, cache=False)
    assert not (shaped / "public/tougao/index.html").exists()
    build_site(shaped, cache=False, drafts=True)
    assert "草稿" in (shaped / "public/tougao/index.html").read_text(encoding="utf-8")


def test_a_page_at_an_articles_url_is_an_error_naming_both(shaped: Path) -> None:
    (shaped / "content/pages/clash.md").write_text("---\ntitle: 冲突\nslug: lanmu\n---\n正文\u3002\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(shaped, cache=False)
    message = str(raised.value)
    assert "content/pages/clash.md" in message and "/lanmu/" in message


def test_a_page_needs_a_title(shaped: Path) -> None:
    (shaped / "content/pages/notitle.md").write_text("---\nsummary: 没有标题\n---\n正文\u3002\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(shaped, cache=False)
    assert "content/pages/notitle.md" in str(raised.value) and "title" in str(raised.value)


# --- menus --------------------------------------------------------------------------------------


def test_menus_replace_the_header_and_footer_links_in_weight_order(built: Path) -> None:
    home = soup_of(built / "index.html")
    assert links_of(home, ".topic-nav a") == [("骨科康复", "/lanmu/guke/"), ("儿童健康", "/lanmu/ertong/"), ("关于我们", "/about/")]
    assert links_of(home, ".footer-links a") == [("关于我们", "/about/"), ("隐私政策", "/help/privacy/"), ("全部科室", "/keshi/")]


def test_menu_links_carry_the_base_path(shaped: Path) -> None:
    build_site(shaped, cache=False, base_url="https://x.example.cn/health/")
    home = soup_of(shaped / "public/index.html")
    assert [href for _, href in links_of(home, ".topic-nav a")] == ["/health/lanmu/guke/", "/health/lanmu/ertong/", "/health/about/"]


def test_check_reports_a_menu_link_to_nowhere(shaped: Path) -> None:
    config = shaped / "site.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[[menus.footer]]\nname = "投稿"\nurl = "/tougao-xuzhi/"\n', encoding="utf-8")
    problems = [p for p in check_site(shaped, today=TODAY) if p.path == "site.toml"]
    assert any("/tougao-xuzhi/" in p.message and "menus.footer" in p.message for p in problems), problems
    assert len([p for p in problems if "menus." in p.message]) == 1, problems  # /about/ and the others exist


# --- taxonomies and prefixes --------------------------------------------------------------------


def test_renamed_prefixes_reach_every_theme_link(built: Path) -> None:
    hrefs = all_hrefs(built)
    for old in ("/topics/", "/cities/", "/tags/"):
        assert not [h for h in hrefs if h.startswith(old)], old
    listing = soup_of(built / "lanmu/guke/index.html")
    assert links_of(listing, ".breadcrumb a")[-1] == ("栏目", "/lanmu/")


def test_a_custom_taxonomy_gets_index_and_term_pages_and_article_links(built: Path) -> None:
    index = soup_of(built / "keshi/index.html")
    assert index.find("h1").get_text(strip=True) == "全部科室"
    names = [a.select_one(".term-name").get_text(strip=True) for a in index.select(".term-grid a")]
    assert names[0] == "骨科" and set(names) == {"骨科", "儿科", "风湿免疫科"}
    guke = soup_of(built / "keshi/guke/index.html")
    assert "骨折、关节与脊柱。" in guke.get_text()
    assert len(guke.select(".card")) == 2 and (built / "keshi/guke/page/2/index.html").is_file()  # paginate = 2
    article = soup_of(built / "guke/xigai-tengtong/index.html")
    term_links = links_of(article, ".article-terms a")
    assert ("骨科", "/keshi/guke/") in term_links and ("风湿免疫科", "/keshi/fengshimianyike/") in term_links
    assert ("老年人", "/renqun/laonianren/") in term_links  # a single name, not a list
    sitemap = (built / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://kangfu.example.cn/keshi/" in sitemap and "https://kangfu.example.cn/keshi/guke/" in sitemap


def test_a_custom_taxonomy_value_of_the_wrong_type_names_the_file(shaped: Path) -> None:
    article = shaped / "content/guke/xigai-tengtong.md"
    article.write_text(article.read_text(encoding="utf-8").replace("audience: 老年人", "audience: {a: 1}"), encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(shaped, cache=False)
    message = str(raised.value)
    assert "content/guke/xigai-tengtong.md" in message and "audience" in message and "人群" in message


@pytest.mark.parametrize(
    "addition, words",
    [
        ('[[taxonomy]]\nfield = "tags"\nname = "x"\nprefix = "x"\n', "已有的字段"),
        ('[[taxonomy]]\nfield = "disease"\nname = "疾病"\nprefix = "keshi"\n', "已被另一个分类使用"),
        ('[[taxonomy]]\nfield = "disease"\nname = "疾病"\nprefix = "Ji Bing"\n', "prefix"),
    ],
)
def test_a_bad_taxonomy_is_a_settings_error(shaped: Path, addition: str, words: str) -> None:
    config = shaped / "site.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + addition, encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(shaped, cache=False)
    assert words in str(raised.value) and "site.toml" in str(raised.value)


def test_check_suggests_a_listed_term_for_a_misspelt_custom_term(shaped: Path) -> None:
    article = shaped / "content/guke/guzhe-fuxue.md"
    article.write_text(article.read_text(encoding="utf-8").replace("department: 骨科", "department: 骨 科"), encoding="utf-8")
    problems = [p for p in check_site(shaped, today=TODAY) if p.path == "content/guke/guzhe-fuxue.md"]
    assert any("department" in p.message and "骨科" in p.message and p.line == 6 for p in problems), problems


# --- term spellings -----------------------------------------------------------------------------


def test_aliases_fold_into_one_term_with_a_warning(shaped: Path, built: Path) -> None:
    tag = soup_of(built / "biaoqian/yidi-jiuyi/index.html")
    assert tag.find("h1").get_text(strip=True) == "#异地就医"
    assert len(tag.select(".card")) == 2  # 異地就醫 and 异地就诊, both folded in
    assert not list(built.glob("biaoqian/yidijiuyi*"))
    article = soup_of(built / "guke/yidi-shoushu/index.html")
    assert ("#异地就医", "/biaoqian/yidi-jiuyi/") in links_of(article, ".article-tags a")
    assert len(list((built / "keshi").iterdir())) == 4  # index.html, guke, erke, fengshimianyike: 小儿科 is 儿科
    result = build_site(shaped, cache=False)
    spelled = [w.message for w in result.warnings if w.path == "content/guke/yidi-shoushu.md"]
    assert any("異地就醫" in m and "异地就医" in m for m in spelled), result.warnings
    checked = [p.message for p in check_site(shaped, today=TODAY) if p.path == "content/ertong/shiwu-guomin.md"]
    assert any("小儿科" in m and "儿科" in m for m in checked), checked


def test_a_slug_collision_gives_advice_that_works(shaped: Path) -> None:
    config = shaped / "site.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('aliases = ["異地就醫", "异地就诊"]', "").replace('slug = "yidi-jiuyi"\n', ""), encoding="utf-8")
    article = shaped / "content/ertong/fare-jiuzhen.md"
    article.write_text(article.read_text(encoding="utf-8").replace("异地就诊", "异地就医"), encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(shaped, cache=False)
    message = str(raised.value)
    assert "aliases" in message and "slug" in message and "[[tags]]" in message, message
    # Following the first piece of advice builds the site.
    match = re.search(r'\[\[tags\]\] name = "([^"]+)" aliases = \["([^"]+)"\]', message)
    assert match, message
    config.write_text(
        config.read_text(encoding="utf-8") + f'\n[[tags]]\nname = "{match.group(1)}"\naliases = ["{match.group(2)}"]\n', encoding="utf-8"
    )
    build_site(shaped, cache=False)


# --- incremental builds of the new kinds of page -----------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "edit",
    [
        lambda site: (site / "content/pages/tougao.md").write_text("---\ntitle: 投稿须知\n---\n欢迎投稿\u3002\n", encoding="utf-8"),
        lambda site: (site / "site.toml").write_text(
            (site / "site.toml").read_text(encoding="utf-8").replace('name = "隐私政策"', 'name = "隐私说明"'), encoding="utf-8"
        ),
        lambda site: (site / "content/guke/guzhe-fuxue.md").write_text(
            (site / "content/guke/guzhe-fuxue.md").read_text(encoding="utf-8").replace("department: 骨科", "department: 康复科"),
            encoding="utf-8",
        ),
        lambda site: (site / "content/pages/about.md").unlink(),
    ],
    ids=["new page", "menu entry renamed", "custom term changed", "page deleted"],
)
def test_incremental_builds_of_pages_menus_and_taxonomies_equal_cold_ones(shaped: Path, tmp_path: Path, edit) -> None:
    build_site(shaped)
    edit(shaped)
    build_site(shaped)
    build_site(shaped, cache=False, out_dir=tmp_path / "cold")
    assert tree(shaped / "public") == tree(tmp_path / "cold")
