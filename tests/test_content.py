"""Front matter: what is accepted, and the one-line error for each mistake."""

from __future__ import annotations

import datetime as dt

import pytest

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
