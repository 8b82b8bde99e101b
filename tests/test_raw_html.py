"""Stray raw HTML: a tag that would swallow the rest of an article is shown as text, the rest renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from conftest import TODAY, build_site, make_site
from sitegen.check import check_site
from sitegen.cli import main
from sitegen.markdown import SHOWN_AS_TEXT, Sanitised, render_markdown

LATER = "\n\n后面的段落仍然显示。\n\n## 报销比例\n\n最后一段也在。\n"


def page_text(html: str) -> str:
    return BeautifulSoup(html, "html.parser").get_text()


def page_headings(html: str) -> list[tuple[str, str]]:
    return [(h["id"], h.get_text()) for h in BeautifulSoup(html, "html.parser").find_all(["h2", "h3", "h4"])]


@pytest.mark.parametrize("tag", sorted(SHOWN_AS_TEXT))
@pytest.mark.parametrize("where", ["inline", "block"])
def test_an_unclosed_raw_tag_is_shown_as_text_and_the_rest_renders(tag: str, where: str) -> None:
    markdown = (f"在医保App的<{tag}>里可以查询。" if where == "inline" else f"<{tag}>\n里可以查询。") + LATER
    body = render_markdown(markdown)
    text = page_text(body.html)
    assert f"<{tag}>" in text  # as written, so the editor sees it
    assert "后面的段落仍然显示。" in text and "最后一段也在。" in text
    assert page_headings(body.html) == [("报销比例", "报销比例")]
    assert [(h.anchor, h.text) for h in body.headings] == page_headings(body.html)
    assert Sanitised(1, "shown", f"<{tag}>") in body.sanitised


def test_the_issue_example_keeps_the_sentence_and_everything_after_it() -> None:
    html = render_markdown("在医保App的<textarea>里可以查询。" + LATER).html
    assert "<p>在医保App的&lt;textarea&gt;里可以查询。</p>" in html
    assert "<p>后面的段落仍然显示。</p>" in html


def test_a_closed_script_is_shown_as_text_never_run() -> None:
    html = render_markdown("提示<script>alert(1)</script>结束" + LATER).html
    assert not BeautifulSoup(html, "html.parser").find_all("script")
    assert "提示<script>alert(1)</script>结束" in page_text(html)


def test_a_heading_with_a_raw_tag_lists_what_the_page_shows() -> None:
    body = render_markdown("## 使用<textarea>填写\n\n正文。")
    assert page_headings(body.html) == [(body.headings[0].anchor, "使用<textarea>填写")]
    assert body.headings[0].text == "使用<textarea>填写"


@pytest.mark.parametrize(
    "opening",
    ["<!-- 编辑备注", "<pre>", "<div title=\"未写完", "<div title='未写完", "<?php echo 1;", "<![CDATA[ x", "<!DOCTYPE html"],
)
def test_raw_html_never_closed_ends_at_its_block(opening: str) -> None:
    body = render_markdown(f"开头一段。\n\n{opening}\n还是这一块" + LATER)
    text = page_text(body.html)
    assert "开头一段。" in text and "后面的段落仍然显示。" in text and "最后一段也在。" in text
    assert [(h.anchor, h.text) for h in body.headings] == page_headings(body.html) == [("报销比例", "报销比例")]


def test_an_unclosed_comment_is_shown_and_reported() -> None:
    body = render_markdown("开头。\n\n<!-- 待核实" + LATER)
    assert "<!-- 待核实" in page_text(body.html)
    assert Sanitised(3, "unclosed", "<!-- 待核实") in body.sanitised


def test_closed_raw_html_is_unchanged() -> None:
    markdown = "<details>\n<summary>更多</summary>\n\n展开的内容。\n\n</details>\n\n<!-- 备注 -->\n\n<pre>\n代码\n\n第二行\n</pre>\n\n后文。"
    body = render_markdown(markdown)
    assert "<details>\n<summary>更多</summary>\n<p>展开的内容。</p>\n</details>" in body.html
    assert "<pre>代码\n\n第二行\n</pre>" in body.html
    assert "备注" not in body.html and body.sanitised == ()


def test_what_the_sanitiser_removes_is_reported_with_its_line() -> None:
    markdown = (
        "第一行<font color=red>红字</font>。\n"
        '<span onclick="x()" style="color:red">点击</span>\n\n'
        '<a href="javascript:alert(1)">链接</a> [文件](ftp://files.example/a.pdf)\n\n'
        '<div class="note" title="说明">\n<img src="data:image/png;base64,AAAA" alt="图">\n</div>\n'
    )
    assert render_markdown(markdown).sanitised == (
        Sanitised(1, "tag", "<font>"),
        Sanitised(2, "attribute", "<span onclick>"),
        Sanitised(2, "attribute", "<span style>"),
        Sanitised(4, "url", "javascript:alert(1)"),
        Sanitised(4, "url", "ftp://files.example/a.pdf"),
        Sanitised(6, "attribute", '<div class="note">'),
        Sanitised(7, "url", "data:image/png;base64,AAAA"),
    )


def test_allowed_markup_reports_nothing() -> None:
    markdown = '<abbr title="医疗保险">医保</abbr> <a href="/yibao/x/">站内</a> [官网](https://www.nhsa.gov.cn/)\n\n| a |\n|:-:|\n| 1 |'
    assert render_markdown(markdown).sanitised == ()


def test_many_unclosed_blocks_stay_linear() -> None:
    # Each unclosed <pre> looks ahead for a closing tag; the body is searched once, not once per block.
    body = render_markdown("<pre>\n段落\n\n" * 5000)
    assert body.html.count("<pre>") == 5000


@pytest.mark.parametrize("markup", ["<math><mi>x</mi>", "<mi>", "<svg><text>", "<g>", "<font color=red>", "<select><option>"])
def test_a_tag_outside_the_allow_list_is_removed_and_its_text_kept(markup: str) -> None:
    body = render_markdown(f"公式{markup}内容。" + LATER)
    text = page_text(body.html)
    assert "公式" in text and "内容。" in text and "后面的段落仍然显示。" in text and "最后一段也在。" in text
    assert markup.split()[0].split(">")[0] + ">" not in text
    assert body.sanitised and {s.kind for s in body.sanitised} == {"tag"}


# --- `sitegen check` names each change, with its file line ---------------------------------------

STRAY = """---
title: 深圳医保个人账户怎么查
date: 2026-10-01
city: 深圳
topic: 医保
---

深圳职工医保的个人账户余额可以在医保服务平台上查询，也可以到线下窗口打印明细。

在医保App的<textarea>里可以查询。

<span onclick="alert(1)">点这里</span>和<a href="javascript:alert(1)">这里</a>，<font color=red>红字</font>。
"""


def stray_site(tmp_path: Path) -> Path:
    site = make_site(tmp_path)
    (site / "content/yibao/stray.md").write_text(STRAY, encoding="utf-8")
    return site


def stray_warnings(site: Path) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in check_site(site, today=TODAY) if p.path == "content/yibao/stray.md"]


def test_check_warns_of_each_change_with_its_line(tmp_path: Path) -> None:
    warnings = stray_warnings(stray_site(tmp_path))
    assert sorted(warnings) == sorted([
        (10, "<textarea> 不能用在正文里，页面上按原样显示为文字\uff1b要写这个标签名请放进反引号\uff08`<textarea>`\uff09，否则请删去"),
        (12, "<span onclick>\uff1a正文里不能有脚本，这个事件属性已被删除\uff1b请删去它"),
        (12, "地址 javascript:alert(1) 已被删除\uff1a链接只能用 http:、https:、mailto:、tel: 或站内地址，图片只能用 http:、https: 或站内地址\uff1b请改正地址"),
        (12, "<font> 标签不在允许的范围内，已被删除\uff08其中的文字保留\uff09\uff1b请删去它，或换成 README“文章可以包含什么”中允许的标签"),
    ])
    assert all("\n" not in message for _, message in warnings)


def test_check_after_a_build_still_warns(tmp_path: Path) -> None:
    # The check reads the bodies the build rendered from the cache: the findings must be kept there.
    site = stray_site(tmp_path)
    build_site(site)
    assert len(stray_warnings(site)) == 4


def test_the_cli_prints_the_warning_with_file_and_line(tmp_path: Path) -> None:
    site = stray_site(tmp_path)
    result = CliRunner().invoke(main, ["check", "--site", str(site)], catch_exceptions=False)
    assert "content/yibao/stray.md:10" in result.output and "<textarea> 不能用在正文里" in result.output
    assert "Traceback" not in result.output
