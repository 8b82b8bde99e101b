"""Hostile input: no script injection, no write outside the output folder, no source file touched.

The first half builds a site whose front matter and Markdown try every injection we know of and
checks each page as a browser would read it. The second half tries to make the build write or
read outside the site: path tricks in slugs and names, URL collisions, symlinks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
from bs4 import BeautifulSoup

from conftest import build_site, show_reviewer_in_article_layout
from sitegen.errors import SiteError
from sitegen.markdown import render_markdown
from sitegen.output import safe_join

# --- what a page may contain ------------------------------------------------------------------

# The HTML an article body may hold, as README.md ("What an article may contain") lists it.
ARTICLE_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code",
    "ul", "ol", "li", "dl", "dt", "dd", "em", "strong", "b", "i", "u", "del", "s", "ins",
    "sup", "sub", "mark", "small", "kbd", "abbr", "q", "cite", "span", "div",
    "a", "img", "figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot",
    "tr", "th", "td", "details", "summary", "section",
    "input",  # only the disabled checkbox of a task list, which the sanitiser keeps
}  # fmt: skip
NEVER_SCHEMES = {"javascript", "vbscript", "data", "file"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def scheme_of(url: str) -> str | None:
    """The scheme a browser reads from an attribute value (URL standard: controls and tabs dropped)."""
    cleaned = re.sub("[\t\n\r]", "", url).lstrip("".join(map(chr, range(0x21))))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def unsafe_urls(html: str) -> list[str]:
    """Every href/src whose scheme, as written or percent-decoded, could run code or embed data."""
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        for name in ("href", "src", "srcset", "action", "formaction", "xlink:href", "background", "poster"):
            value = tag.get(name)
            if value is None:
                continue
            if {scheme_of(value), scheme_of(unquote(value))} & NEVER_SCHEMES:
                found.append(f"<{tag.name} {name}={value!r}>")
            if tag.name == "img" and name == "src" and scheme_of(value) not in (None, "http", "https"):
                found.append(f"<img src={value!r}>")
    return found


def yaml_value(value) -> str:
    """`value` as YAML flow text; strings double-quoted, with every unprintable character escaped."""
    if isinstance(value, str):
        escaped = []
        for char in value:
            if char in '"\\':
                escaped.append("\\" + char)
            elif char.isprintable():
                escaped.append(char)
            else:  # YAML folds line separators and refuses raw control characters: escape them
                escaped.append(f"\\U{ord(char):08x}" if ord(char) > 0xFFFF else f"\\u{ord(char):04x}")
        return '"' + "".join(escaped) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_value(str(k))}: {yaml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def theme_scripts(soup: BeautifulSoup) -> list[str]:
    """The scripts the theme itself puts on a page of this kind: the only ones allowed."""
    kind = " ".join(soup.body.get("class", []))
    if "page-article" in kind or "page-home" in kind:  # structured data: the article's graph, the site's
        return ["application/ld+json"]
    if "page-search" in kind:
        return ["/js/search.js"]
    return []


def check_page(path: Path) -> BeautifulSoup:
    """Parse one written page the ways a browser and our tools do, and check it holds no injection."""
    text = path.read_text(encoding="utf-8")
    lxml.html.document_fromstring(text)  # parses, or raises
    soup = BeautifulSoup(text, "html.parser")
    scripts = [s.get("src") or s.get("type") for s in soup.find_all("script")]
    assert scripts == theme_scripts(soup), f"{path}: scripts {scripts}"
    for tag in soup.find_all(True):
        handlers = [a for a in tag.attrs if a.lower().startswith("on")]
        assert not handlers, f"{path}: <{tag.name} {handlers}>"
    for tag in soup.body.find_all(["iframe", "object", "embed", "style", "svg", "math", "base", "meta", "link", "form"]):
        assert tag.name == "form" and tag.get("class") in (["header-search"], ["search-form"]), f"{path}: <{tag.name}>"
    assert unsafe_urls(text) == [], path
    body = soup.select_one(".article-body")
    if body is not None:
        extra = {t.name for t in body.find_all(True)} - ARTICLE_TAGS
        assert not extra, f"{path}: the article body holds {extra}"
    return soup


# --- front matter in every place it appears ---------------------------------------------------

TITLE = "</script><script>alert('t')</script><!-- \"><img src=x onerror=alert(1)> & ' \u2028 end"
CITY = '<b onmouseover="alert(2)">深圳</b>'
TOPIC = "医保\"><svg onload=alert(3)>"
TAGS = ["</script>", "<!--", "' autofocus onfocus='alert(4)", "javascript:alert(5)", "!!!", "???"]
SUMMARY = "<script>alert(6)</script> &amp; &lt;"
REVIEWER = "<script>alert(7)</script>{{ 7 * 7 }}"

HOSTILE_BODY = """
正文开始\u3002<script>alert('body')</script>

<img src="x" onerror="alert(1)"> <svg><script>alert(1)</script></svg>

[链接一](javascript:alert(1)) [链接二](JaVaScRiPt:alert(1)) [链接三](java&#x09;script:alert(1))
[链接四](&#106;avascript:alert(1)) [链接五](vbscript:msgbox(1)) [链接六](data:text/html;base64,PHNjcmlwdD4=)

<a href="java&Tab;script:alert(1)">a</a> <a href="jav&#x0A;ascript:alert(1)">b</a>
<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">c</a>
<a href=" &#14; javascript:alert(1)">d</a> <a href="javascript&colon;alert(1)">e</a>

<javascript:alert(1)> <JAVASCRIPT:alert(1)> <vbscript:msgbox(1)> <data:text/html,x>

<iframe src="https://evil.example/"></iframe><object data="x"></object><embed src="x">
<style>body{display:none}</style><div style="background:url(javascript:alert(1))">样式</div>
<form action="https://evil.example/"><input name="q"><button formaction="javascript:alert(1)">提交</button></form>
<details open ontoggle="alert(1)"><summary>展开</summary>折叠的内容</details>
<math><mi xlink:href="javascript:alert(1)">x</mi></math> <base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>

![图一](javascript:alert(1)) ![图二](data:image/svg+xml;base64,PHN2Zz4=) ![图三](https://img.example/a.png) ![图四](/img/b.png)

| 表头 | 数据 |
|:--|--:|
| <b onclick="alert(1)">粗</b> | 90% |
"""


@pytest.fixture
def hostile_site(basic_site: Path) -> Path:
    show_reviewer_in_article_layout(basic_site)
    front = {"title": TITLE, "date": "2026-06-01", "city": CITY, "topic": TOPIC, "tags": TAGS, "summary": SUMMARY, "reviewer": REVIEWER}
    header = "".join(f"{key}: {yaml_value(value)}\n" for key, value in front.items())
    (basic_site / "content/yibao/hostile.md").write_text(f"---\n{header}---\n{HOSTILE_BODY}", encoding="utf-8")
    build_site(basic_site)
    return basic_site / "public"


def test_every_page_holds_only_the_theme_scripts(hostile_site: Path) -> None:
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) > 30
    for page in pages:
        check_page(page)


def test_front_matter_reads_back_as_written(hostile_site: Path) -> None:
    article = next(p for p in hostile_site.rglob("index.html") if "hostile" in p.as_posix())
    soup = check_page(article)
    assert soup.find("h1").get_text() == TITLE
    assert soup.find("title").get_text().startswith(TITLE)
    assert soup.find("meta", property="og:title")["content"] == TITLE
    assert soup.find("meta", attrs={"name": "description"})["content"] == SUMMARY
    assert soup.select_one(".reviewer").get_text() == REVIEWER  # not run as a template either
    assert [a.get_text() for a in soup.select(".article-tags a")] == [f"#{t}" for t in TAGS]
    meta = [a.get_text() for a in soup.select(".article-meta a")]
    assert CITY in meta and TOPIC in meta


def test_json_ld_is_valid_json_that_cannot_end_its_script(hostile_site: Path) -> None:
    article = next(p for p in hostile_site.rglob("index.html") if "hostile" in p.as_posix())
    raw = article.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S).group(1)
    assert "<" not in block and ">" not in block  # no </script>, no <!--: the HTML parser sees one text run
    graph = {node["@type"]: node for node in json.loads(block)["@graph"]}
    article = graph["NewsArticle"]
    assert article["headline"] == TITLE and article["description"] == SUMMARY
    assert article["keywords"] == ",".join(TAGS)
    crumbs = [item["name"] for item in graph["BreadcrumbList"]["itemListElement"]]
    assert TOPIC in crumbs


def test_feeds_and_sitemap_are_well_formed_and_escape_everything(hostile_site: Path) -> None:
    atom = "{http://www.w3.org/2005/Atom}"
    feeds = [hostile_site / "feed.xml", *hostile_site.glob("topics/*/feed.xml")]
    assert len(feeds) >= 3
    for feed in feeds:
        ET.parse(feed)
    entry = next(e for e in ET.parse(hostile_site / "feed.xml").getroot().iter(f"{atom}entry") if e.find(f"{atom}title").text == TITLE)
    assert entry.find(f"{atom}summary").text == SUMMARY
    assert entry.find(f"{atom}category").get("term") == TOPIC
    body = entry.find(f"{atom}content").text
    assert "<script" not in body.lower() and unsafe_urls(body) == []
    assert not [a for t in BeautifulSoup(body, "html.parser").find_all(True) for a in t.attrs if a.startswith("on")]
    sitemap = ET.parse(hostile_site / "sitemap.xml").getroot()
    for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
        assert re.fullmatch(r"https://test\.example\.cn/[a-z0-9/\-]*", loc.text), loc.text


def test_control_characters_in_a_body_never_reach_a_feed(basic_site: Path) -> None:
    article = basic_site / "content/yibao/controls.md"
    article.write_text("---\ntitle: 控制字符\ndate: 2026-06-01\ncity: 深圳\ntopic: 医保\n---\n正文\x01\x0b\x1b\x7f\ufffe内容\u3002\n", encoding="utf-8")
    build_site(basic_site)
    public = basic_site / "public"
    ET.parse(public / "feed.xml")
    page = (public / "yibao/controls/index.html").read_text(encoding="utf-8")
    assert "正文内容\u3002" in page


# --- Markdown and raw HTML, one attack at a time ----------------------------------------------

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java&Tab;script:alert(1)">x</a>',
    '<a href="java&NewLine;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](jav\tascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,AAAA)",
    "![x](DATA:image/svg+xml,<svg onload=alert(1)>)",
    "![x](vbscript:msgbox(1))",
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    '<img src="mailto:a@b.example">',
    "<javascript:alert(1)>",
    "<JaVaScRiPt:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,x>",
    "<iframe src='https://evil.example'></iframe>",
    "<object data='x.swf'></object><embed src='x.swf'>",
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<details open ontoggle="alert(1)"><summary>s</summary>x</details>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<base href='https://evil.example/'>",
    "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
    "<link rel=stylesheet href='https://evil.example/x.css'>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<!--<script>alert(1)</script>-->",
    "<xmp><script>alert(1)</script></xmp>",
    "<textarea><script>alert(1)</script></textarea>",
    "<template><script>alert(1)</script></template>",
    '<a href="https://ok.example" target="_blank" onclick="alert(1)">x</a>',
    '<div id="x" class="evil" data-x="1" onmouseover="alert(1)">x</div>',
]


@pytest.mark.parametrize("markdown", ATTACKS)
def test_unsafe_markup_never_survives(markdown: str) -> None:
    html = render_markdown(markdown).html
    soup = BeautifulSoup(html, "html.parser")
    assert {t.name for t in soup.find_all(True)} <= ARTICLE_TAGS, html
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], html
        assert "style" not in tag.attrs, html
    assert unsafe_urls(html) == [], html
    lowered = html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered and "<style" not in lowered


ALLOWED = [
    ("## 小标题", "h2"),
    ("- 一\n- 二", "ul"),
    ("1. 一\n2. 二", "ol"),
    ("| a | b |\n|---|---|\n| 1 | 2 |", "table"),
    ("*强调* **加粗** ~~删除~~", "em"),
    ("[官网](https://www.nhsa.gov.cn/)", 'a href="https://www.nhsa.gov.cn/"'),
    ("[其他文章](/yibao/x/)", 'a href="/yibao/x/"'),
    ("<mailto:fix@example.cn>", 'href="mailto:fix@example.cn"'),
    ("![图](https://img.example/a.png)", 'img src="https://img.example/a.png"'),
    ("![图](/img/a.png)", 'img src="/img/a.png"'),
    ("![图](images/a.png)", 'img src="images/a.png"'),
    ("<details><summary>展开</summary>内容</details>", "<details><summary>展开</summary>内容</details>"),
    ("<kbd>Ctrl</kbd> <sup>1</sup> <abbr title='医疗保险'>医保</abbr>", '<abbr title="医疗保险">'),
]


@pytest.mark.parametrize("markdown, expected", ALLOWED)
def test_the_allow_list_keeps_ordinary_markup(markdown: str, expected: str) -> None:
    assert expected in render_markdown(markdown).html


# --- no escape from the output folder ---------------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    ["../x", "a/../../x", "/etc/passwd", "\\\\server\\share", "C:/Windows/x", "c:x", "a\\..\\b", "a/\x00/b", "", "a//b", "./x", "a/./b"],
)
def test_safe_join_refuses_paths_that_leave_the_folder(tmp_path: Path, relative: str) -> None:
    with pytest.raises(SiteError):
        safe_join(tmp_path, relative)


def test_safe_join_refuses_a_symlinked_folder_out(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path, tmp_path / "out" / "up")
    with pytest.raises(SiteError):
        safe_join(tmp_path / "out", "up/x.html")


# Names that pypinyin and the ASCII folding turn into nothing, or into path tricks, if unchecked.
# A name made only of an invisible character ("\u200b") is now empty once the character is
# removed, and refused as such (tests/test_content.py).
TRICKY_NAMES = ["../..", "..\\..\\", "/etc", "C:", "%2e%2e", "..%2f..%2f", "!!!", "\uff1f\uff1f", "\u3007", "😀", "㐂", "a/b", "CON", "."]


def test_tricky_topic_city_and_tag_names_get_safe_unique_slugs(basic_site: Path, tmp_path: Path) -> None:
    for number, name in enumerate(TRICKY_NAMES):
        front = {"title": f"文章{number}", "date": "2026-06-01", "city": name, "topic": name, "tags": [name, f"{name}{name}"]}
        header = "".join(f"{key}: {yaml_value(value)}\n" for key, value in front.items())
        (basic_site / f"content/yibao/tricky-{number}.md").write_text(f"---\n{header}---\n正文\u3002\n", encoding="utf-8")
    before = {p for p in tmp_path.rglob("*")}
    build_site(basic_site)
    public = (basic_site / "public").resolve()
    created = {p for p in tmp_path.rglob("*")} - before
    for path in created:
        resolved = path.resolve()
        assert resolved == public or public in resolved.parents or ".sitegen-cache" in path.parts, path
    for path in public.rglob("*"):
        assert re.fullmatch(r"[a-z0-9./_\-]+", path.relative_to(public).as_posix()), path
    topic_pages = {p.parent.name for p in (public / "topics").glob("*/index.html")}
    assert len(topic_pages) == len({*TRICKY_NAMES, "医保", "儿童健康"})  # one page per name: no two share a slug


def test_file_names_become_safe_slugs(basic_site: Path) -> None:
    names = ["%2e%2e.md", "..%5c..%5cevil.md", "C:evil.md", "a\\b.md", "CON.md", "医保 报销.md", " .md"]
    for number, name in enumerate(names):
        (basic_site / "content/yibao" / name).write_text(f"---\ntitle: 文件{number}\ndate: 2026-06-01\ncity: 深圳\ntopic: 医保\n---\n正文\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    assert [p.path for p in raised.value.problems] == ["content/yibao/ .md"]  # no letters: asks for a slug
    assert "slug" in raised.value.problems[0].message
    (basic_site / "content/yibao/ .md").unlink()
    build_site(basic_site)
    slugs = sorted(p.name for p in (basic_site / "public/yibao").iterdir())
    assert {"2e-2e", "c-evil", "a-b", "con", "yibao-baoxiao"} <= set(slugs)  # `..%5c..` starts with a dot: hidden
    assert all(re.fullmatch(r"[a-z0-9\-]+", s) for s in slugs)


def test_a_configured_term_without_a_readable_slug(basic_site: Path) -> None:
    config = basic_site / "site.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[[cities]]\nname = "!!!"\n', encoding="utf-8")
    (basic_site / "content/yibao/bang.md").write_text('---\ntitle: 感叹号城市\ndate: 2026-06-01\ncity: "!!!"\ntopic: 医保\n---\n正文\u3002\n', encoding="utf-8")
    build_site(basic_site)
    slugs = [p.parent.name for p in (basic_site / "public/cities").glob("*/index.html")]
    assert all(re.fullmatch(r"[a-z0-9\-]+", s) for s in slugs) and len(slugs) == len(set(slugs))


def add_article(site: Path, name: str, front: str) -> None:
    (site / "content/yibao" / name).write_text(f"---\ntitle: {name}\ndate: 2026-06-01\ncity: 深圳\n{front}---\n正文\u3002\n", encoding="utf-8")


def expect_error(site: Path, *words: str) -> str:
    with pytest.raises(SiteError) as raised:
        build_site(site)
    message = str(raised.value)
    for word in words:
        assert word in message, message
    assert not (site / "public").exists()
    return message


def test_an_article_may_not_take_a_listing_pages_url(basic_site: Path) -> None:
    # Topic "tags" + slug "gerenzhanghu" is /tags/gerenzhanghu/, the page of the tag 个人账户.
    add_article(basic_site, "clash.md", "topic: tags\nslug: gerenzhanghu\n")
    expect_error(basic_site, "content/yibao/clash.md", "/tags/gerenzhanghu/", "个人账户", "content/yibao/")


def test_an_article_may_not_take_a_topic_page_or_its_second_page(basic_site: Path) -> None:
    add_article(basic_site, "clash.md", "topic: topics\nslug: yibao\n")
    expect_error(basic_site, "content/yibao/clash.md", "/topics/yibao/", "医保")


def test_an_article_may_not_take_the_search_page(basic_site: Path) -> None:
    config = basic_site / "site.toml"
    config.write_text('permalink = "/{slug}/"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    add_article(basic_site, "search.md", "topic: 医保\n")
    expect_error(basic_site, "content/yibao/search.md", "/search/", "搜索页")


@pytest.mark.parametrize(
    "setting, words",
    [('tags = "topics"', "taxonomies.tags"), ('tags = "../../evil"', "taxonomies.tags"), ('cities = "search"', "taxonomies.cities")],
)
def test_taxonomy_folders_must_be_safe_and_distinct(basic_site: Path, setting: str, words: str) -> None:
    config = basic_site / "site.toml"
    config.write_text(config.read_text(encoding="utf-8") + f"\n[taxonomies]\n{setting}\n", encoding="utf-8")
    message = expect_error(basic_site, "site.toml", words)
    assert not (basic_site.parent / "evil").exists()
    assert "\n" not in message


# --- symlinks: followed inside the site, an error when they lead out ---------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text("---\ntitle: 站外文章\ndate: 2026-06-01\ncity: 深圳\ntopic: 医保\n---\n机密\u3002\n", encoding="utf-8")
    (folder / "passwd").write_text("root:x:0:0\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "link, target",
    [
        ("content/yibao/secret.md", "secret.md"),
        ("content/linked", "."),
        ("static/passwd.txt", "passwd"),
        ("static/assets", "."),
    ],
)
def test_a_symlink_out_of_the_site_is_an_error(basic_site: Path, outside: Path, link: str, target: str) -> None:
    os.symlink(outside / target, basic_site / link)
    message = expect_error(basic_site, link, "站点目录之外")
    assert "机密" not in message


def test_a_dangling_symlink_is_an_error(basic_site: Path) -> None:
    os.symlink(basic_site / "nowhere.css", basic_site / "static/gone.css")
    expect_error(basic_site, "static/gone.css", "不存在")


def test_a_loop_of_symlinks_is_an_error(basic_site: Path) -> None:
    os.symlink("b.md", basic_site / "content/yibao/a.md")
    os.symlink("a.md", basic_site / "content/yibao/b.md")
    expect_error(basic_site, "content/yibao/a.md", "循环")


def test_symlinks_inside_the_site_are_followed(basic_site: Path) -> None:
    (basic_site / "shared").mkdir()
    (basic_site / "shared/logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    os.symlink(basic_site / "shared", basic_site / "static/shared")
    os.symlink(basic_site / "content/yibao/yidi-beian.md", basic_site / "content/ertong/_hidden.md")  # hidden: skipped
    os.symlink(basic_site / "static", basic_site / "static/shared/loop")  # a loop is listed once
    build_site(basic_site)
    assert (basic_site / "public/shared/logo.svg").read_text(encoding="utf-8").startswith("<svg")
    assert not (basic_site / "public/shared/loop").exists()


def test_a_symlink_someone_put_in_the_output_is_not_written_through(basic_site: Path) -> None:
    """public/yibao -> content/yibao, made between builds: later builds replace it, never write into it."""
    sources = snapshot(basic_site)
    build_site(basic_site)
    public = basic_site / "public"
    shutil.rmtree(public / "yibao")
    os.symlink(basic_site / "content/yibao", public / "yibao")
    for number in range(3):  # the retired tree is reused as a later build's staging folder
        build_site(basic_site, base_url=f"https://test{number}.example.cn/")  # a change: no build is skipped
    assert snapshot(basic_site) == sources
    assert (public / "yibao").is_dir() and not (public / "yibao").is_symlink()
    assert (public / "yibao/yidi-beian/index.html").is_file()


# --- the sources are never written -----------------------------------------------------------


def snapshot(site: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and modification time of every file under content/, layouts/ and static/."""
    return {
        p.relative_to(site).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for part in ("content", "layouts", "static")
        for p in sorted((site / part).rglob("*"))
        if p.is_file()
    }


def test_builds_good_and_bad_never_touch_the_sources(basic_site: Path, tmp_path: Path) -> None:
    build_site(basic_site)  # a first build, so later ones reuse and retire output trees
    extra = basic_site / "content/yibao/extra.md"
    extra.write_text("---\ntitle: 额外\ndate: 2026-06-01\ncity: 深圳\ntopic: 医保\n---\n正文\u3002\n", encoding="utf-8")
    sources = snapshot(basic_site)
    around = sorted(p.name for p in tmp_path.iterdir())
    build_site(basic_site)
    build_site(basic_site, drafts=True, future=True)
    extra.write_bytes(b"---\ntitle: [\n---\n")  # bad content
    with pytest.raises(SiteError):
        build_site(basic_site)
    extra.write_text("---\ntitle: 额外\ndate: 2026-06-01\ncity: 深圳\ntopic: 医保\n---\n正文\u3002\n", encoding="utf-8")
    os.utime(extra, ns=(sources["content/yibao/extra.md"][1], sources["content/yibao/extra.md"][1]))
    layout = basic_site / "layouts/404.html"
    good_layout = layout.read_bytes()
    layout.write_text("{% extends 'base.html' %}{% block main %}{{ 1 / 0 }}{% endblock %}", encoding="utf-8")
    with pytest.raises(SiteError):
        build_site(basic_site)
    layout.write_bytes(good_layout)
    os.utime(layout, ns=(sources["layouts/404.html"][1], sources["layouts/404.html"][1]))
    with pytest.raises(SiteError):
        build_site(basic_site, out_dir=basic_site / "static")
    build_site(basic_site, base_url="https://example.org/health/")
    assert snapshot(basic_site) == sources
    assert sorted(p.name for p in tmp_path.iterdir()) == around  # nothing new beside the site
    assert {p.name for p in basic_site.iterdir()} <= {"site.toml", "content", "layouts", "static", "public", ".sitegen-cache"}
