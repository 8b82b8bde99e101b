"""Property-based tests: generated front matter and Markdown never crash the build or inject script.

Hypothesis writes articles full of CJK text, emoji, control characters and HTML fragments, then
builds them (without Pagefind). The build may refuse them, but only with a SiteError; when it
succeeds, every page parses as HTML, holds only the theme's scripts, and lies in the output folder.
Runs are bounded (max_examples, no deadline) so the file takes well under a minute.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import TODAY
from sitegen.build import BuildOptions, build
from sitegen.errors import SiteError
from sitegen.markdown import SHOWN_AS_TEXT, render_markdown
from sitegen.output import safe_join
from sitegen.slugs import is_safe_slug, term_slug
from sitegen.theme import THEME_DIR
from test_security import ARTICLE_TAGS, check_page, unsafe_urls, yaml_value

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    "<script>alert(1)</script>", "</script>", "<!--", "-->", "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>', "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))", "[x](&#106;avascript:alert(1))", "<javascript:alert(1)>",
    "![x](data:image/png;base64,AAAA)", "<iframe src=//evil.example>", "<style>*{}</style>",
    '<div style="x" onclick="alert(1)">', "</div>", "<details open ontoggle=alert(1)>", "<svg onload=alert(1)>",
    "&lt;", "&amp;", "&#0;", "&#x110000;", "&Tab;", "<", ">", '"', "'", "`", "{{ 7 * 7 }}", "{% raw %}",
    "\n", "\n\n", "\r\n", "\t", "- ", "1. ", "> ", "## ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "```\n", "**", "*", "~~",
    "[^1]", "\n[^1]: 注", "[链接](other.md)", "[锚点](#x)", "<https://ok.example>", "![图](https://img.example/a.png)",
    "深圳医保", "个人账户", "\u3002", "\uff0c", "\u3001", "😀", "👨‍👩‍👧", "\u200b", "\u202e", "\ufeff", "\x01", "\x0b", "\x1b", "\x7f", "\x85",
    "\u2028", "\ufffe", "\uffff", "𠀀", "㐂", "\uff21", "e\u0301",
]  # fmt: skip

def mostly(good, bad):
    """`good` about nine times in ten, `bad` otherwise (one_of would pick each about as often)."""
    return st.sampled_from(range(10)).flatmap(lambda n: bad if n == 9 else good)


# Text as editors (and attackers) write it: any character but lone surrogates, plus the fragments.
characters = st.characters(blacklist_categories=("Cs",))
text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(characters, max_size=8)), max_size=12).map("".join)
# A body may hold controls (they are dropped) but rarely NUL, which refuses the whole file.
body = mostly(text.map(lambda t: t.replace("\x00", "")), text)
short_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(characters, max_size=4)), min_size=1, max_size=4).map("".join)
# Front matter the schema accepts most of the time, so most builds get as far as writing pages:
# no control characters, but every HTML and JSON trick, CJK, emoji and quotes.
printable = st.characters(blacklist_categories=("Cs", "Cc", "Cn"))
visible = [f for f in FRAGMENTS if not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "\ufffe\uffff" for c in f)]
name_text = (
    st.lists(st.one_of(st.sampled_from(visible), st.text(printable, min_size=1, max_size=4)), min_size=1, max_size=4)
    .map("".join)
    .filter(lambda name: name.strip())
)


front_matter = st.fixed_dictionaries(
    {
        "title": mostly(name_text, short_text),
        "date": mostly(st.dates(dt.date(2000, 1, 1), dt.date(2026, 11, 24)).map(str), st.sampled_from(["2025-02-30", "x", "2026-13-01"])),
        "city": mostly(st.one_of(st.sampled_from(["深圳", "全国", "广州"]), name_text), short_text),
        "topic": mostly(st.one_of(st.sampled_from(["医保", "儿童健康", "topics", "search"]), name_text), short_text),
    },
    optional={
        "tags": mostly(st.lists(name_text, max_size=4), st.one_of(short_text, st.integers())),
        "summary": mostly(name_text, short_text),
        "slug": mostly(st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True), st.sampled_from(["../x", "%2e%2e", "C:", "a/b", "A"])),
        "reviewer": mostly(st.one_of(name_text, st.lists(name_text, max_size=2), st.dictionaries(name_text, name_text, max_size=2)), text),
        "draft": st.booleans(),
    },
)


def article_file(meta: dict, body: str) -> str:
    header = "".join(f"{key}: {yaml_value(value)}\n" for key, value in meta.items())
    return f"---\n{header}---\n{body}"


# A few articles per site; now and then one more whose header is raw generated text.
articles = st.tuples(
    st.lists(st.tuples(front_matter, body).map(lambda pair: article_file(*pair)), min_size=1, max_size=4),
    mostly(st.none(), st.tuples(text, text).map(lambda pair: f"---\n{pair[0]}\n---\n{pair[1]}")),
).map(lambda pair: pair[0] + ([pair[1]] if pair[1] is not None else []))


def new_site(folder: Path) -> Path:
    site = folder / "site"
    (site / "content/yibao").mkdir(parents=True)
    for part in ("layouts", "static"):
        shutil.copytree(THEME_DIR / part, site / part)
    (site / "site.toml").write_text(
        'title = "测试站"\nbase_url = "https://test.example.cn/"\nsearch = false\npaginate = 2\n'
        '[source_notice]\ntext = "来源"\ncontact = "fix@test.example.cn"\n',
        encoding="utf-8",
    )
    return site


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


@SETTINGS
@given(articles)
def test_the_build_never_crashes_and_never_injects(generated) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        site = new_site(folder)
        for number, article in enumerate(generated):
            (site / f"content/yibao/a{number}.md").write_bytes(article.encode("utf-8"))
        before = files_under(folder)
        try:
            build(BuildOptions(site_dir=site, today=TODAY, search=False, drafts=True))
        except SiteError as error:
            event("refused: " + error.problems[0].message[:12])
            message = str(error)
            message.encode("utf-8")  # printable: no lone surrogate reaches the terminal
            assert all(p.path and "\n" not in p.message for p in error.problems), message
            assert not (site / "public").exists()
            return
        event("built")
        public = (site / "public").resolve()
        for path in files_under(folder) - before:
            resolved = path.resolve()
            assert resolved == public or public in resolved.parents or ".sitegen-cache" in path.parts, path
        for page in public.rglob("*.html"):
            soup = check_page(page)
            ld = soup.find("script", type="application/ld+json")
            if ld is not None:
                json.loads(ld.string)
        for feed in public.rglob("*.xml"):
            ET.parse(feed)


@settings(max_examples=300, deadline=None)
@given(text)
def test_markdown_output_is_always_safe(markdown: str) -> None:
    html = render_markdown(markdown).html
    soup = BeautifulSoup(html, "html.parser")
    assert {t.name for t in soup.find_all(True)} <= ARTICLE_TAGS
    assert not [a for t in soup.find_all(True) for a in t.attrs if a.lower().startswith("on") or a == "style"]
    assert unsafe_urls(html) == []


# Every element name HTML knows (obsolete ones too) but headings, which raw HTML may add to the
# page on purpose and the table of contents lists only from Markdown; and made-up names.
HTML_NAMES = sorted(SHOWN_AS_TEXT | set(  # a list literal of 130 names would read worse
    "a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink blockquote body br "
    "button canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt em embed "
    "fieldset figcaption figure font footer form frame frameset head header hgroup hr html i image img input ins isindex "
    "kbd keygen label legend li link listing main map mark marquee menu menuitem meta meter nav nobr ol optgroup option "
    "output p param picture pre progress q rb rp rt rtc ruby s samp search section select slot small source spacer span "
    "strike strong sub summary sup table tbody td tfoot th thead time tr track tt u ul var video wbr mi mo mtext desc "
    "foreignobject annotation-xml".split()
))  # fmt: skip
tag_name = st.one_of(
    st.sampled_from(HTML_NAMES),
    st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True).filter(lambda name: not (len(name) == 2 and name[0] == "h" and name[1] in "123456")),
).flatmap(lambda name: st.sampled_from([name, name.upper(), name.capitalize()]))
raw_markup = st.one_of(
    tag_name.map(lambda name: f"<{name}>"),
    tag_name.map(lambda name: f"</{name}>"),
    tag_name.map(lambda name: f"<{name}/>"),
    tag_name.map(lambda name: f'<{name} id="x" onclick="alert(1)">'),
    tag_name.map(lambda name: f'<{name} title="没有结束的引号'),
    tag_name.map(lambda name: f"<{name} title='没有结束的引号"),
    st.sampled_from(["<!--", "<!-- 备注", "<?php", "<![CDATA[", "<!DOCTYPE", "</", "<!", "<?"]),
)
# Where an editor might leave it: inside a sentence, alone on a line, in a list item or a quote.
raw_block = st.tuples(raw_markup, st.sampled_from(["在医保App的{}里可以查询。", "{}", "{}\n紧接着的一行", "- {}", "> {}", "1. 项目{}"])).map(
    lambda pair: pair[1].format(pair[0])
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(raw_block, st.just("paragraph"), st.just("heading")), min_size=1, max_size=8))
def test_any_raw_tag_keeps_every_later_paragraph(blocks: list[str]) -> None:
    written: list[str] = []
    paragraphs: list[str] = []
    for number, block in enumerate(blocks):
        if block == "paragraph":
            paragraphs.append(f"第{number}段的文字。")
            written.append(paragraphs[-1])
        elif block == "heading":
            written.append(f"## 第{number}个标题")
        else:
            written.append(block)
    body = render_markdown("\n\n".join(written))
    soup = BeautifulSoup(body.html, "html.parser")
    shown = soup.get_text()
    assert [p for p in paragraphs if p not in shown] == [], body.html
    assert "<p>" not in shown and "<h2" not in shown, body.html  # not swallowed as source either
    page_headings = [(h["id"], h.get_text()) for h in soup.find_all(["h2", "h3", "h4"]) if h.get("id")]
    assert [(h.anchor, h.text) for h in body.headings] == page_headings, body.html


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "a-1", "a-2", "a-1-1", "A", "a 1", "", "section", "重复", "重复-1"]), max_size=30))
def test_heading_ids_match_the_anchors_plugin(titles: list[str]) -> None:
    from test_markdown import reference_ids

    body = render_markdown("\n\n".join(f"## {title}" for title in titles))
    assert [h.anchor for h in body.headings] == reference_ids(titles)


@settings(max_examples=300, deadline=None)
@given(st.text(characters))
def test_every_name_gets_a_safe_slug(name: str) -> None:
    assert is_safe_slug(term_slug(name))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["..", ".", "", "/", "\\", "C:", "%2e%2e", "\x00", "a", "页"]), st.text(characters, max_size=3)), max_size=6).map("/".join))
def test_safe_join_stays_inside(relative: str) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary) / "out"
        root.mkdir()
        try:
            target = safe_join(root, relative)
        except SiteError:
            return
        assert root.resolve() in target.resolve().parents
