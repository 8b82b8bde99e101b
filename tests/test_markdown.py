"""Markdown rendering: CJK emphasis and line breaks, tables, footnotes, anchors, sanitising."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from sitegen.markdown import render_markdown

# (Markdown, substring the HTML must contain)
CASES = [
    ("结论是**可以用。**广州的情况不同。", "结论是<strong>可以用。</strong>广州"),
    ("**个人账户余额可以继续用\uff01**断缴期间", "<strong>个人账户余额可以继续用\uff01</strong>断缴期间"),
    ("费用由**“统筹基金”**支付", "由<strong>“统筹基金”</strong>支付"),
    ("*强调*文字", "<em>强调</em>文字"),
    ("English **bold**text stays CommonMark", "<strong>bold</strong>text"),
    ("snake_case_name 不会变成斜体", "snake_case_name"),
    ("不会清零\n仍然可以用", "不会清零仍然可以用"),
    ("不会清零\uff0c\n仍然可以用", "不会清零\uff0c仍然可以用"),
    ("不会清零,\n仍然可以用", "不会清零,仍然可以用"),
    ("English line\nnext line", "English line\nnext line"),
    ("| 项目 | 比例 |\n|:--|--:|\n| 一级 | 90% |", '<td class="align-right">90%</td>'),
    ("正文[^1]\n\n[^1]: 以当地医保局公布为准。", 'class="footnote-ref"'),
    ("## 一、门诊费用", '<h2 id="一门诊费用">一、门诊费用</h2>'),
    ("~~旧政策~~", "<s>旧政策</s>"),
    ("<details><summary>更多</summary>内容</details>", "<details><summary>更多</summary>内容</details>"),
]


@pytest.mark.parametrize("markdown, expected", CASES)
def test_renders(markdown: str, expected: str) -> None:
    assert expected in render_markdown(markdown).html


def test_no_literal_asterisks_left_next_to_chinese_punctuation() -> None:
    html = render_markdown("**可以用。**广州、**不能用\uff1f**深圳、结论是**可以用**,但要注意。").html
    assert "*" not in BeautifulSoup(html, "html.parser").get_text()


UNSAFE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "[x](JaVaScRiPt:alert(1))",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<iframe src='https://evil.example'></iframe>",
    "<style>body{display:none}</style>",
    "![x](data:image/png;base64,AAAA)",
    '<a href="vbscript:msgbox(1)">x</a>',
    "<javascript:alert(1)>",
]


@pytest.mark.parametrize("markdown", UNSAFE)
def test_unsafe_html_never_survives(markdown: str) -> None:
    html = render_markdown(markdown).html.lower()
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "iframe", "style"])
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.startswith("on")
            text = " ".join(value) if isinstance(value, list) else value
            assert not text.strip().startswith(("javascript:", "vbscript:", "data:"))


def test_plain_text_for_excerpts_has_no_syntax() -> None:
    body = render_markdown("**加粗**和`代码`,[链接](https://a.example)。\n\n- 列表一\n- 列表二\n\n| a | b |\n|--|--|\n| 表 | 格 |")
    assert body.text == "加粗和代码,链接。列表一。列表二"
    assert body.links == ("https://a.example",)


def test_headings_and_character_count() -> None:
    body = render_markdown("## 一、概述\n\n共五个字。\n\n### 细节\n\nHPV 疫苗")
    assert [(h.level, h.text) for h in body.headings] == [(2, "一、概述"), (3, "细节")]
    assert body.characters == 4 + 2 + 1  # 共五个字 + 疫苗 + HPV


# --- heading ids ---------------------------------------------------------------------------


def reference_ids(titles: list[str]) -> list[str]:
    """The ids mdit-py-plugins' anchors plugin gives, one unique_slug() call per heading."""
    from mdit_py_plugins.anchors.index import unique_slug

    from sitegen.markdown import heading_anchor

    taken: set[str] = set()
    return [unique_slug(heading_anchor(title), taken) for title in titles]


@pytest.mark.parametrize(
    "titles",
    [
        ["重复标题"] * 5,
        ["a", "a", "a-1", "a", "a-2", "a", "a-1", "a-1"],
        ["一、概述", "一 概述", "一概述", "概述", "一、概述"],
        ["x-1", "x", "x", "x-2", "x", "x-3-1", "x-3", "x-3"],
        ["", "!!", "section", "section-1", "", "？"],
    ],
)
def test_heading_ids_are_those_of_the_anchors_plugin(titles: list[str]) -> None:
    body = render_markdown("\n\n".join(f"## {title}" for title in titles))
    assert [h.anchor for h in body.headings] == reference_ids(titles)


def test_many_equal_headings_get_numbered_ids() -> None:
    body = render_markdown("## 重复标题\n\n" * 3000)
    assert [h.anchor for h in body.headings] == ["重复标题"] + [f"重复标题-{n}" for n in range(1, 3000)]


# --- table size ----------------------------------------------------------------------------


def table(rows: int, columns: int) -> str:
    return f"| {' | '.join(['项'] * columns)} |\n|{'---|' * columns}\n" + f"| {' | '.join(['1'] * columns)} |\n" * rows


def test_tables_within_the_limit_pass() -> None:
    from sitegen.markdown import MAX_TABLE_CELLS, table_too_big

    assert MAX_TABLE_CELLS == 20_000
    assert table_too_big("前言\n\n" + table(199, 100) + "\n后记") is None  # 200 rows of 100 cells, header included
    assert table_too_big("没有表格 | 只有竖线\n\n正文") is None


def test_a_table_past_the_limit_is_named_by_its_line() -> None:
    from sitegen.markdown import table_too_big

    assert table_too_big("前言\n\n" + table(200, 100)) == (3, 20_100)
    assert table_too_big("> 引用里的表格\n>\n" + "".join("> " + line + "\n" for line in table(200, 100).splitlines())) == (3, 20_100)


def test_the_limit_counts_every_table_of_the_article() -> None:
    from sitegen.markdown import table_too_big

    body = table(99, 100) + "\n正文\n\n" + table(99, 100) + "\n" + table(0, 2)  # 10,000 + 10,000 + 2 cells
    assert table_too_big(body) == (body.split("\n").index("| 项 | 项 |") + 1, 20_002)


def test_a_table_inside_a_code_block_is_not_counted() -> None:
    from sitegen.markdown import table_too_big

    assert table_too_big("```markdown\n" + table(300, 100) + "```\n\n~~~\n" + table(300, 100) + "~~~\n") is None


def test_the_count_agrees_with_markdown_it() -> None:
    from sitegen.markdown import table_too_big

    # Short rows are padded to the delimiter row's width, and long ones cut, as markdown-it does.
    body = (table(40, 25).replace("| 1 | 1 | 1 |", "| 1 |", 5) + "| 1 |" * 30 + "\n\n") * 20
    html = render_markdown(body).html
    assert table_too_big(body) == (1 + 44 * 19, html.count("<td>") + html.count("<th>")) == (837, 20 * 42 * 25)
