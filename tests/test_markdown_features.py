"""Markdown an editor of 办事指南 needs: task lists, callouts, links in Chinese text, heading ids,
definition lists, code languages, and markdown-cjk-friendly's emphasis cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markdown_it.utils import read_fixture_file

from sitegen.markdown import CALLOUT_TITLES, RenderedBody, render_bodies, render_markdown

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"


def soup(markdown: str) -> BeautifulSoup:
    return BeautifulSoup(render_markdown(markdown).html, "html.parser")


def same_html(a: str) -> str:
    """HTML as a parser reads it: nh3 writes `"` where markdown-it writes `&quot;`."""
    return str(BeautifulSoup(a, "html.parser")).strip()


# --- markdown-cjk-friendly --------------------------------------------------------------------

CJK_FRIENDLY = read_fixture_file(FIXTURES / "cjk_friendly.txt")


def test_every_cjk_friendly_case_is_there() -> None:
    assert len(CJK_FRIENDLY) == 157  # 151 of markdown-it-cjk-friendly 3.0.0, 6 of 2.0.2


@pytest.mark.parametrize("line, title, markdown, expected", CJK_FRIENDLY, ids=[case[1] for case in CJK_FRIENDLY])
def test_cjk_friendly_emphasis(line: int, title: str, markdown: str, expected: str) -> None:
    assert same_html(render_markdown(markdown).html) == same_html(expected)


# Characters the code-point ranges got wrong: 🈂 🈷 are CJK unless U+FE0F makes them emoji;
# ⌚ ⏳ are emoji unless U+FE0E makes them text; selectors belong to the character before them.
EMOJI_CASES = [
    ("a**🈂a**a", True),
    ("a**a🈷**a", True),
    ("a**🈂\ufe0fa**a", False),
    ("a**⌚a**a", False),
    ("a**a⏳**a", False),
    ("a**⌚\ufe0ea**a", True),
    ("a**😀a**a", False),
    ("葛\U000e0100**(正式)**城市", True),
    ("大塚\ufe00**(异体)**", True),
    ("结论是**可以用。**广州", True),
]


@pytest.mark.parametrize("markdown, strong", EMOJI_CASES)
def test_emoji_and_variation_selectors(markdown: str, strong: bool) -> None:
    assert (soup(markdown).find("strong") is not None) is strong


# --- task lists -------------------------------------------------------------------------------

TASKS = [
    ("- [ ] 带身份证", [False], "带身份证"),
    ("- [x] 已预约\n- [X] 已缴费", [True, True], "已预约"),
    ("* [ ] **原件**和复印件", [False], "原件和复印件"),
    ("1. [ ] 挂号\n2. [x] 就诊", [False, True], "挂号"),
    ("- [ ]\t社保卡", [False], "社保卡"),
]


@pytest.mark.parametrize("markdown, checked, first", TASKS)
def test_task_lists_render_disabled_checkboxes(markdown: str, checked: list[bool], first: str) -> None:
    page = soup(markdown)
    boxes = page.find_all("input")
    assert [box.get("type") for box in boxes] == ["checkbox"] * len(checked)
    assert all(box.has_attr("disabled") for box in boxes)
    assert [box.has_attr("checked") for box in boxes] == checked
    assert page.find("li")["class"] == ["task-list-item"]
    assert page.find("li").get_text() == first


NOT_TASKS = ["- [ ]", "- [y] 其他", "- [ ]带身份证", "[ ] 不在列表里", "- 普通 [ ] 项", "> - [ ] 引用里\n\n```\n- [ ] 代码\n```"]


@pytest.mark.parametrize("markdown", NOT_TASKS[:-1])
def test_what_is_not_a_task_keeps_its_brackets(markdown: str) -> None:
    assert soup(markdown).find("input") is None
    assert "[" in soup(markdown).get_text()


def test_a_task_list_in_a_quote_works_but_not_in_code() -> None:
    page = soup(NOT_TASKS[-1])
    assert len(page.find_all("input")) == 1
    assert "- [ ] 代码" in page.find("code").get_text()


def test_only_task_lists_get_a_list_class() -> None:
    page = soup("- [ ] 一\n- 二\n\n另一段\n\n- 三")
    assert [ul.get("class") for ul in page.find_all("ul")] == [["contains-task-list"], None]
    assert [li.get("class") for li in page.find_all("li")] == [["task-list-item"], None, None]


def test_raw_input_is_removed_and_noted() -> None:
    body = render_markdown('<input type="text" name="q" value="x"> 与 <input type="checkbox" checked>')
    assert "<input" not in body.html
    assert [s.markup for s in body.sanitised] == ["<input>"]


def test_excerpt_text_has_no_brackets() -> None:
    assert render_markdown("材料：\n\n- [ ] 带身份证\n- [x] 医保卡").text == "材料：带身份证。医保卡"


# --- callouts ---------------------------------------------------------------------------------

CALLOUTS = [(f"> [!{kind.upper()}]\n> 正文", kind, title) for kind, title in CALLOUT_TITLES.items()] + [
    ("> [!warning]\n> 小写也行", "warning", "\u8b66\u544a"),
    ("> [!CAUTION]  \n> 行尾空格", "caution", "\u5f53\u5fc3"),
    ("- 列表里\n\n  > [!TIP]\n  > 嵌套", "tip", "\u63d0\u793a"),
]


@pytest.mark.parametrize("markdown, kind, title", CALLOUTS)
def test_callouts(markdown: str, kind: str, title: str) -> None:
    page = soup(markdown)
    callout = page.find("div")
    assert callout["class"] == ["callout", f"callout-{kind}"]
    assert callout.find("p", class_="callout-title").get_text() == title
    assert page.find("blockquote") is None
    assert "[!" not in page.get_text()


def test_the_titles_are_chinese_by_default() -> None:
    assert dict(CALLOUT_TITLES) == {
        "note": "\u6ce8\u610f",
        "tip": "\u63d0\u793a",
        "important": "\u91cd\u8981",
        "warning": "\u8b66\u544a",
        "caution": "\u5f53\u5fc3",
    }


def test_a_site_can_reword_titles() -> None:
    titles = {"warning": "\u4f55\u65f6\u7acb\u5373\u5c31\u533b", "note": "<b>\u6ce8</b>"}
    body = render_markdown("> [!WARNING]\n> 高烧\n\n> [!NOTE]\n> 说明\n\n> [!TIP]\n> 建议", titles)
    page = BeautifulSoup(body.html, "html.parser")
    assert [p.get_text() for p in page.find_all("p", class_="callout-title")] == ["何时立即就医", "<b>注</b>", "提示"]
    assert page.find("b") is None  # a title is text, never markup


def test_render_bodies_passes_the_titles_on() -> None:
    class Store:
        persistent = False

        def __init__(self) -> None:
            self.pages: dict = {}

        def put(self, key, page) -> None:
            self.pages[key] = page

    store = Store()
    known: dict[str, RenderedBody] = {}
    render_bodies([("a", "> [!TIP]\n> 多喝水")], store, known, callout_titles={"tip": "\u5c0f\u8d34\u58eb"})
    assert '<p class="callout-title">小贴士</p>' in store.pages["a"].html


NOT_CALLOUTS = [
    "> [!NOTE] 同一行的文字",
    "> [!TODO]\n> 未知类型",
    "> 第一行\n> [!NOTE]",
    "[!NOTE]",
    "    > [!NOTE]",
]


@pytest.mark.parametrize("markdown", NOT_CALLOUTS)
def test_what_is_not_a_callout(markdown: str) -> None:
    assert soup(markdown).find("div") is None


def test_a_callout_holds_any_block_and_ends_with_its_quote() -> None:
    page = soup("> [!IMPORTANT]\n> 第一段\n>\n> - [ ] 带身份证\n> - 带医保卡\n\n之后的正文")
    callout = page.find("div", class_="callout")
    assert [child.name for child in callout.find_all(recursive=False)] == ["p", "p", "ul"]
    assert callout.find("input") is not None
    assert page.find_all("p")[-1].get_text() == "之后的正文"
    assert page.find_all("p")[-1].parent.name != "div"


def test_a_callout_with_only_its_marker_shows_its_title() -> None:
    callout = soup("> [!NOTE]").find("div")
    assert [p.get_text() for p in callout.find_all("p")] == ["\u6ce8\u610f"]


def test_callouts_need_no_inline_style_and_keep_lines() -> None:
    body = render_markdown("> [!WARNING]\n> 第二行<font>x</font>")
    assert "style" not in body.html and "<script" not in body.html
    assert [(s.line, s.markup) for s in body.sanitised] == [(2, "<font>")]
    assert body.text == "第二行x"  # the title is not part of the excerpt


# --- bare URLs and e-mail addresses -----------------------------------------------------------

# (Markdown, [(href, link text)…])
LINKS = [
    ("访问https://example.com查询", [("https://example.com", "https://example.com")]),
    ("详见https://example.com/a/b?x=1。", [("https://example.com/a/b?x=1", "https://example.com/a/b?x=1")]),
    ("（官网：https://www.nhsa.gov.cn）", [("https://www.nhsa.gov.cn", "https://www.nhsa.gov.cn")]),
    ("官网https://example.com，电话", [("https://example.com", "https://example.com")]),
    ("见 https://example.com.", [("https://example.com", "https://example.com")]),
    ("(see https://example.com/a_(b))", [("https://example.com/a_(b)", "https://example.com/a_(b)")]),
    ("(see https://example.com/a)", [("https://example.com/a", "https://example.com/a")]),
    ("HTTPS://EXAMPLE.COM/X 大写", [("HTTPS://EXAMPLE.COM/X", "HTTPS://EXAMPLE.COM/X")]),
    ("http://10.0.0.1:8080/x查询", [("http://10.0.0.1:8080/x", "http://10.0.0.1:8080/x")]),
    ("登录www.gjzwfw.gov.cn办理", [("http://www.gjzwfw.gov.cn", "www.gjzwfw.gov.cn")]),
    ("https://de.wikipedia.org/wiki/Müller", [("https://de.wikipedia.org/wiki/M%C3%BCller", "https://de.wikipedia.org/wiki/Müller")]),
    ("来信请寄fix@example.cn。", [("mailto:fix@example.cn", "fix@example.cn")]),
    ("邮箱：a.b+c@mail.example.com，", [("mailto:a.b+c@mail.example.com", "a.b+c@mail.example.com")]),
    ("写信到x@example.cn.", [("mailto:x@example.cn", "x@example.cn")]),
    ("两个https://a.example和https://b.example", [("https://a.example", "https://a.example"), ("https://b.example", "https://b.example")]),
    ("**https://example.com**加粗", [("https://example.com", "https://example.com")]),
]


@pytest.mark.parametrize("markdown, links", LINKS)
def test_bare_addresses_become_links_that_stop_at_chinese_text(markdown: str, links: list[tuple[str, str]]) -> None:
    assert [(a["href"], a.get_text()) for a in soup(markdown).find_all("a")] == links


NO_LINKS = [
    "https://localhost 不是公网",
    "https:// 空地址",
    "例子.中国 不链接",
    "版本 v1.2 与 a.b",
    "@张三 请看",
    "x@张三",
    "ftp://files.example/x",
    "`https://example.com` 代码",
    "xhttps://example.com",
    "name@host",
]


@pytest.mark.parametrize("markdown", NO_LINKS)
def test_what_is_no_address_stays_text(markdown: str) -> None:
    assert soup(markdown).find("a") is None


def test_existing_links_are_not_linked_again() -> None:
    markdown = "[https://a.example](https://a.example) <https://b.example> <a href=\"https://c.example\">https://c.example</a>"
    assert [a["href"] for a in soup(markdown).find_all("a")] == ["https://a.example", "https://b.example", "https://c.example"]


def test_bare_links_are_listed_for_link_checks() -> None:
    assert render_markdown("访问https://example.com查询，或写信fix@example.cn").links == ("https://example.com", "mailto:fix@example.cn")


def test_no_address_in_image_text_or_code_blocks() -> None:
    page = soup("![见https://a.example](https://img.example/a.png)\n\n```\nhttps://b.example\n```")
    assert page.find("a") is None


# --- heading ids ----------------------------------------------------------------------------

# (Markdown, [(id, heading text)…])
HEADING_IDS = [
    ("## 门诊 {#menzhen}", [("menzhen", "门诊")]),
    ("## 门诊{#menzhen}", [("menzhen", "门诊")]),
    ("## 门诊 {#menzhen}  ", [("menzhen", "门诊")]),
    ("### **住院** 费用 {#zhuyuan-fei_yong}", [("zhuyuan-fei_yong", "住院 费用")]),
    ("## 一 {#x}\n\n## 二 {#x}", [("x", "一"), ("x-1", "二")]),
    ("## x\n\n## 二 {#x}", [("x-1", "x"), ("x", "二")]),
    ("## 门诊 {#门诊}", [("门诊", "门诊")]),
    ("## 门诊 {#a b}", [("门诊-a-b", "门诊 {#a b}")]),
    ("## 门诊 {.class}", [("门诊-class", "门诊 {.class}")]),
    ("## `代码` {#code}", [("code", "代码")]),
]


@pytest.mark.parametrize("markdown, expected", HEADING_IDS)
def test_heading_ids_as_written(markdown: str, expected: list[tuple[str, str]]) -> None:
    body = render_markdown(markdown)
    assert [(h.anchor, h.text) for h in body.headings] == expected
    page = BeautifulSoup(body.html, "html.parser")
    assert [h["id"] for h in page.find_all(["h2", "h3"])] == [anchor for anchor, _ in expected]


def test_an_id_as_written_works_at_every_level() -> None:
    page = soup("# 标题 {#top}\n\n##### 小节 {#small}")
    assert [(h.name, h["id"], h.get_text()) for h in page.find_all(["h1", "h5"])] == [("h1", "top", "标题"), ("h5", "small", "小节")]


@pytest.mark.parametrize(
    "markdown",
    [
        "## fn1\n\n## fnref1\n\n正文[^1]\n\n[^1]: 注",
        "## 甲 {#fn1}\n\n## 乙 {#fnref1}\n\n正文[^a]\n\n[^a]: 注",
        "正文[^1][^2]\n\n## fn2\n\n[^1]: 一\n[^2]: 二",
    ],
)
def test_footnote_and_heading_ids_never_clash(markdown: str) -> None:
    ids = [tag["id"] for tag in soup(markdown).find_all(id=True)]
    assert len(ids) == len(set(ids)), ids
    assert "fn1" in ids and "fnref1" in ids


# --- definition lists and code ----------------------------------------------------------------


def test_definition_lists() -> None:
    page = soup("起付线\n: 医保开始支付前个人先付的金额。\n\n封顶线\n: 一年内最多支付的金额。")
    assert [(t.name, t.get_text()) for t in page.find("dl").find_all(["dt", "dd"])] == [
        ("dt", "起付线"),
        ("dd", "医保开始支付前个人先付的金额。"),
        ("dt", "封顶线"),
        ("dd", "一年内最多支付的金额。"),
    ]


# (info string, the class <code> keeps)
FENCES = [
    ("python", ["language-python"]),
    ("rust", ["language-rust"]),
    ("c++", ["language-c++"]),
    ("objective-c", ["language-objective-c"]),
    ("shell {.numbered}", ["language-shell"]),
    ("", None),
    ("{r}", None),
    ('x"onclick=alert(1)', None),
    ("a" * 40, None),
]


@pytest.mark.parametrize("info, classes", FENCES)
def test_a_fence_gets_a_safe_language_class_or_none(info: str, classes: list[str] | None) -> None:
    html = render_markdown(f"```{info}\ncode\n```").html
    assert 'class=""' not in html
    assert BeautifulSoup(html, "html.parser").find("code").get("class") == classes


def test_raw_code_classes_follow_the_same_rule() -> None:
    body = render_markdown('<code class="language-go">x</code> <code class="evil">y</code>')
    assert '<code class="language-go">' in body.html and "evil" not in body.html
    assert [s.markup for s in body.sanitised] == ['<code class="evil">']
