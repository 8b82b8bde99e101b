"""Front matter: what is accepted, and the one-line error for each mistake."""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata

import pytest
import yaml

from sitegen import content
from sitegen.content import ArticleSource, parse_article

GOOD = "---\ntitle: 深圳医保断缴\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\ntags: [个人账户, 断缴]\n---\n正文。\n"


def parse(text: str | bytes) -> ArticleSource | list:
    return parse_article("content/yibao/a.md", text if isinstance(text, bytes) else text.encode("utf-8"))


def test_good_article() -> None:
    article = parse(GOOD)
    assert isinstance(article, ArticleSource)
    assert article.front_matter.title == "深圳医保断缴"
    assert article.front_matter.date == dt.date(2026, 3, 18)
    assert article.front_matter.tags == ["个人账户", "断缴"]
    assert article.slug == "a"
    assert article.body == "正文。\n"
    assert article.body_line == 8


def test_unknown_keys_are_kept_as_params() -> None:
    article = parse(GOOD.replace("tags:", "reviewer: 王医生\ntags:"))
    assert article.params == {"reviewer": "王医生"}


def test_bom_and_crlf_are_accepted() -> None:
    article = parse(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode("utf-8"))
    assert isinstance(article, ArticleSource)
    assert article.front_matter.city == "深圳"


def test_tags_written_as_text_are_split() -> None:
    article = parse(GOOD.replace("tags: [个人账户, 断缴]", "tags: 个人账户\uff0c断缴、 个人账户"))
    assert article.front_matter.tags == ["个人账户", "断缴"]


# (change to GOOD, line expected in the error, words the message must contain)
BAD = [
    (("title: 深圳医保断缴\n", ""), None, "title"),
    (("title: 深圳医保断缴", "title: ''"), 2, "title"),
    (("date: 2026-03-18", "date: 2025-02-30"), 3, "2025-02-30"),
    (("date: 2026-03-18", "date: 18/03/2026"), 3, "YYYY-MM-DD"),
    (("tags: [个人账户, 断缴]", "tags: 5"), 6, "tags"),
    (("tags: [个人账户, 断缴]", "tags: [[a]]"), 6, "tags"),
    (("city: 深圳", "city: [深圳]"), 4, "city"),
    (("topic: 医保\n", ""), None, "topic"),
    (("tags: [个人账户, 断缴]", "tags: [个人账户, 断缴"), None, "YAML"),
    (("title: 深圳医保断缴", "title: " + "长" * 10000), 2, "太长"),
    (("title: 深圳医保断缴", "title: 深圳医保断缴\nslug: ../../etc"), 3, "slug"),
    (("title: 深圳医保断缴", "title: 深圳医保断缴\ndraft: maybe"), 3, "draft"),
]


@pytest.mark.parametrize("change, line, words", BAD)
def test_bad_front_matter_gives_one_line_errors(change, line, words) -> None:
    problems = parse(GOOD.replace(*change))
    assert isinstance(problems, list) and problems
    problem = problems[0]
    assert problem.path == "content/yibao/a.md"
    assert words in problem.message
    assert "\n" not in str(problem)
    if line is not None:
        assert problem.line == line


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "空"),
        (b"   \n\n", "空"),
        ("---\n- a\n- b\n---\n正文".encode(), "字段"),
        ("---\njust text\n---\n正文".encode(), "字段"),
        ("没有头部信息的正文".encode(), "---"),
        ("---\ntitle: 未结束\n".encode(), "---"),
        (GOOD.encode("gbk"), "UTF-8"),
        (b"---\ntitle: a\x00b\n---\n", "NUL"),
    ],
)
def test_files_that_are_not_articles(data: bytes, words: str) -> None:
    problems = parse(data)
    assert isinstance(problems, list)
    assert words in problems[0].message


def test_every_problem_is_reported_not_only_the_first() -> None:
    problems = parse("---\ntitle: ''\ndate: 2025-02-30\ncity: 深圳\ntopic: 医保\ntags: 5\n---\n")
    fields = sorted(p.message.split(":")[0] for p in problems)
    assert fields == ["date", "tags", "title"]
    assert [p.line for p in sorted(problems, key=lambda p: p.line)] == [2, 3, 6]


def test_tags_typed_with_a_chinese_input_method_are_split() -> None:
    article = parse(GOOD.replace("tags: [个人账户, 断缴]", "tags: [个人账户\uff0c断缴\u3001职工医保]"))
    assert article.front_matter.tags == ["个人账户", "断缴", "职工医保"]


# --- YAML mistakes: our own words, whichever library reads the header -----------------------

# (change to GOOD, line of the file to fix, words the message must contain)
YAML_MISTAKES = [
    (("tags: [", "tags\uff1a["), 6, "半角\u201c:\u201d"),
    (("title: 深圳医保断缴", "title\uff1a深圳医保断缴"), 2, "例如 title: 深圳医保断缴"),
    (("title: 深圳医保断缴", "title: 注意: 医保卡要激活"), 2, "title: \"注意: 医保卡要激活\""),
    (("tags: [个人账户, 断缴]", "tags:\n\t- 个人账户"), 7, "制表符"),
    (("city: 深圳", "\tcity: 深圳"), 4, "制表符"),
    (("title: 深圳医保断缴", "title: \"深圳医保断缴"), 2, "引号没有闭合"),
    (("title: 深圳医保断缴", "title: '深圳医保断缴"), 2, "引号没有闭合"),
    (("tags: [个人账户, 断缴]", "tags: [个人账户, 断缴"), 6, "方括号 [ 没有闭合"),
    (("tags: [个人账户, 断缴]", "tags: {个人账户: 1"), 6, "花括号 { 没有闭合"),
    (("city: 深圳", "  city: 深圳"), 4, "多了缩进"),
    (("city: 深圳", "city 深圳"), 4, "缺少冒号"),
    (("title: 深圳医保断缴", "title: *深圳"), 2, "别名"),
    (("title: 深圳医保断缴", "title: \"深圳\\q\""), 2, "反斜杠"),
    (("title: 深圳医保断缴", "title: !!python/object:os.system 深圳"), 2, "标签"),
    (("title: 深圳医保断缴", "title: !!int 深圳"), 2, "!! 标签"),
    (("title: 深圳医保断缴", "title: @深圳"), 2, "不能以 @ 开头"),
    (("title: 深圳医保断缴", "title: \"深圳\" 医保"), 2, "引号之后还有文字"),
    (("tags: [个人账户, 断缴]", "- 个人账户"), 6, "列表项"),
    (("city: 深圳", "city: 深\x01圳"), 4, "U+0001"),
    (("tags: [个人账户, 断缴]", "tags: [" * 2000 + "]" * 2000), None, "嵌套过深"),
]
_LIBRARY_WORDS = re.compile(r"\b(found|expected|while|could|allowed|scanning|parsing|token|character|stream)\b")


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_library(request, monkeypatch):
    """Run a test with libyaml's parser and with PyYAML's own: they word their errors differently."""
    if request.param == "libyaml" and not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML built without libyaml")
    base = yaml.CSafeLoader if request.param == "libyaml" else yaml.SafeLoader
    monkeypatch.setattr(content, "_FrontMatterLoader", content.front_matter_loader(base))


@pytest.mark.parametrize("change, line, words", YAML_MISTAKES)
def test_yaml_mistakes_get_our_own_message_on_the_line_to_fix(yaml_library, change, line, words) -> None:
    assert change[0] in GOOD
    problems = parse(GOOD.replace(*change, 1))
    assert isinstance(problems, list) and len(problems) == 1, problems
    problem = problems[0]
    assert words in problem.message
    assert problem.line == line
    assert not _LIBRARY_WORDS.search(problem.message), problem.message
    assert "\n" not in problem.message


def _alias_bomb(levels: int = 19, width: int = 4) -> str:
    """Under 800 bytes, 76 aliases, depth 2: written out, 4**19 values."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]" for n in range(1, levels + 1)]
    return "\n".join(lines)


def test_an_alias_bomb_within_the_alias_and_depth_limits_is_refused(yaml_library) -> None:
    bomb = _alias_bomb()
    assert bomb.count("*") <= content.MAX_YAML_ALIASES and len(bomb) < 800
    problems = parse(GOOD.replace("topic: 医保\n", "topic: 医保\n" + bomb + "\n"))
    assert [p.message for p in problems] == [f"头部信息中的 YAML 别名展开后超过 {content.MAX_YAML_VALUES} 个值；请直接写出各字段的值"]


def test_aliases_that_expand_within_the_limit_are_read(yaml_library) -> None:
    shared = "common: &common [个人账户, 断缴]\nreviewed: *common\n"
    article = parse(GOOD.replace("topic: 医保\n", "topic: 医保\n" + shared))
    assert article.params["reviewed"] == ["个人账户", "断缴"]


def test_an_alias_inside_its_own_value_is_refused(yaml_library) -> None:
    problems = parse(GOOD.replace("topic: 医保\n", "topic: 医保\nloop: &loop [*loop]\n"))
    assert problems[0].line == 6 and "包含它自己" in problems[0].message


def test_errors_show_a_bounded_part_of_a_big_value() -> None:
    shown = []

    class Item:
        def __repr__(self) -> str:
            shown.append(self)
            return "item"

    assert len(content._show([Item() for _ in range(1000)])) <= 41
    assert len(shown) <= 10  # repr() of the whole list would show all 1,000


def test_ten_thousand_wrong_tags_are_one_short_list_of_errors() -> None:
    problems = parse(GOOD.replace("tags: [个人账户, 断缴]", "tags: [" + ", ".join(["[1]"] * 5000) + "]"))
    assert 1 <= len(problems) <= content.MAX_FIELD_ERRORS


# --- invisible format characters (Unicode Cf) ------------------------------------------------


def test_the_format_character_class_is_unicode_category_cf() -> None:
    cf = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert {c for c in cf if content._FORMAT_CHAR.fullmatch(c)} == cf
    assert all(unicodedata.category(chr(c)) == "Cf" for c in range(sys.maxunicode + 1) if content._FORMAT_CHAR.fullmatch(chr(c)))


# (change to GOOD, line, field value after reading, words of the warning)
FORMAT_CHARS = [
    (("title: 深圳医保断缴", "title: 深圳\u200b医保断缴"), 2, ("title", "深圳医保断缴"), "标题中含有不可见字符 U+200B\uff0c已删除"),
    (("city: 深圳", "city: 深\u200b圳"), 4, ("city", "深圳"), "城市中含有不可见字符 U+200B"),
    (("topic: 医保", "topic: \u202e医保"), 5, ("topic", "医保"), "栏目中含有不可见字符 U+202E"),
    (("[个人账户, 断缴]", "[个人账户\u2066, 断缴\ufeff]"), 6, ("tags", ["个人账户", "断缴"]), "标签中含有不可见字符 U+2066\u3001U+FEFF"),
    (("topic: 医保\n", "topic: 医保\nsummary: 可以\u00ad用\n"), 6, ("summary", "可以用"), "摘要中含有不可见字符 U+00AD"),
    (("date: 2026-03-18", "date: 2026-03-18\u200e"), 3, ("date", dt.date(2026, 3, 18)), "字段 date 中含有不可见字符 U+200E"),
    (("city: 深圳", "ci\u200bty: 深圳"), 4, ("city", "深圳"), "字段名 city 中含有不可见字符 U+200B"),
]


@pytest.mark.parametrize("change, line, value, words", FORMAT_CHARS)
def test_format_characters_are_removed_with_a_warning(change, line, value, words) -> None:
    article = parse(GOOD.replace(*change))
    assert isinstance(article, ArticleSource), article
    assert getattr(article.front_matter, value[0]) == value[1]
    assert [(w.line, w.severity) for w in article.warnings] == [(line, "warning")]
    assert words in article.warnings[0].message


def test_format_characters_in_params_are_removed_too() -> None:
    article = parse(GOOD.replace("topic: 医保\n", "topic: 医保\nreviewer: 王\u200b医生\n"))
    assert article.params == {"reviewer": "王医生"}
    assert "字段 reviewer 中含有不可见字符 U+200B" in article.warnings[0].message


@pytest.mark.parametrize("extra", ["slug: shenzhen\u200b-yibao", "aliases: [/old/\u202eurl/]"])
def test_format_characters_in_addresses_are_refused(extra: str) -> None:
    problems = parse(GOOD.replace("topic: 医保\n", f"topic: 医保\n{extra}\n"))
    assert isinstance(problems, list) and problems[0].line == 6
    assert "不可见字符" in problems[0].message and "网址" in problems[0].message


def test_emoji_joiners_stay() -> None:
    article = parse(GOOD.replace("title: 深圳医保断缴", "title: 👩\u200d⚕️ 深圳医保断缴"))
    assert article.front_matter.title == "👩\u200d⚕️ 深圳医保断缴" and article.warnings == ()


def test_an_article_without_format_characters_has_no_warnings() -> None:
    assert parse(GOOD).warnings == ()


def test_warnings_come_back_from_load_content_on_every_load(tmp_path) -> None:
    from conftest import make_site
    from sitegen.content import load_content

    site = make_site(tmp_path)
    (site / "content/yibao/zw.md").write_text(GOOD.replace("city: 深圳", "city: 深\u200b圳"), encoding="utf-8")
    first = load_content(site)
    assert [(w.path, w.line) for w in first.warnings] == [("content/yibao/zw.md", 4)]
    assert "content/yibao/zw.md" not in first.records  # so the next load reads it, and warns, again
    again = load_content(site, known=first.records)
    assert again.warnings == first.warnings
    assert {a.front_matter.city for a in again.articles if a.path == "content/yibao/zw.md"} == {"深圳"}


# --- the content scan ----------------------------------------------------------------------------


def test_the_scan_resolves_only_links(tmp_path, monkeypatch) -> None:
    """resolve() looks at every folder above a path: once per folder made 1,000 nested folders take 10 s."""
    import os
    from pathlib import Path

    from sitegen.content import scan_content

    site = tmp_path / "site"
    folder = site / "content"
    for level in range(50):
        folder = folder / "n"
        folder.mkdir(parents=True)
        (folder / f"a{level}.md").write_text(GOOD, encoding="utf-8")
    os.symlink(site / "content/n/n", site / "content/n/shortcut")  # inside the site: followed once
    resolved = []
    real_resolve = Path.resolve
    monkeypatch.setattr(Path, "resolve", lambda self, *a, **k: resolved.append(self) or real_resolve(self, *a, **k))
    scan = scan_content(site)
    assert scan.problems == []
    assert len(scan.stats) == 50  # the linked folder's articles are not listed a second time
    assert sorted(scan.stats)[:2] == ["content/n/a0.md", "content/n/n/a1.md"]
    assert len(resolved) <= 4  # the site, content/ and the link: not one per folder


def test_an_article_over_the_size_limit_is_refused_before_it_is_read() -> None:
    problems = parse(GOOD.encode("utf-8") + b"x" * content.MAX_ARTICLE_BYTES)
    assert [(p.line, p.message) for p in problems] == [(None, "文件有 1.0 MB\uff0c超过每篇文章 1 MB 的上限\uff1b请把它拆成几篇较短的文章")]


def test_an_article_whose_tables_pass_the_cell_limit_is_refused_on_the_table_line() -> None:
    from sitegen.markdown import MAX_TABLE_CELLS

    columns = 100
    rows = MAX_TABLE_CELLS // columns + 1
    table = "|" + "|".join(["列"] * columns) + "|\n|" + "|".join(["-"] * columns) + "|\n"
    table += ("|" + "|".join(["1"] * columns) + "|\n") * rows
    problems = parse(GOOD.replace("正文。\n", "正文。\n\n" + table))
    assert [p.line for p in problems] == [10]
    assert "表格" in problems[0].message and str(MAX_TABLE_CELLS) in problems[0].message
