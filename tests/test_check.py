"""`sitegen check`: every error a build rejects and every warning an editor should see, at once."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import sitegen.check as check
from conftest import REPO, TODAY, build_site, make_site
from sitegen.check import check_site, name_key, near_copy_pairs, nearest_name
from sitegen.cli import main
from sitegen.errors import Problem
from sitegen.text import sketch_similarity, text_sketch


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """tests/fixtures/check_site: one of each problem, with the repository's layouts."""
    return make_site(tmp_path, "check_site")


@pytest.fixture
def problems(site: Path) -> list[Problem]:
    return check_site(site, today=TODAY)


def found(problems: list[Problem], path: str, severity: str, fragment: str) -> Problem:
    """The one problem of `path` with `severity` whose message contains `fragment`."""
    matches = [p for p in problems if p.path == path and p.severity == severity and fragment in p.message]
    assert len(matches) == 1, f"{path} {severity} {fragment!r} in:\n" + "\n".join(f"{p.severity} {p}" for p in problems)
    return matches[0]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(site: Path, relative: str, text: str) -> None:
    path = site / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


ARTICLE = """---
title: {title}
date: 2026-10-01
city: 深圳
topic: 医保
---

{body}
"""
LONG_BODY = "深圳职工医保的个人账户可以通过家庭共济给配偶、父母和子女使用，需要先在医保服务平台上完成绑定。"


# --- errors: what the build rejects, plus links and images --------------------------------------


def test_front_matter_errors_come_from_the_content_stage(problems: list[Problem]) -> None:
    assert found(problems, "content/yibao/no-date.md", "error", "date: 缺少必填字段").line is None
    assert found(problems, "content/yibao/no-date.md", "error", "tags: 应为标签列表").line == 5


def test_url_collision_names_both_files(problems: list[Problem]) -> None:
    problem = found(problems, "content/yibao/same-slug-a.md", "error", "/yibao/duanjiao/")
    assert "content/yibao/same-slug-b.md" in problem.message


def test_links_are_shown_as_written(site: Path) -> None:
    write(site, "content/yibao/encoded.md", ARTICLE.format(title="中文网址", body=LONG_BODY + "\n\n[标签](/tags/不存在/)"))
    problem = found(check_site(site, today=TODAY), "content/yibao/encoded.md", "error", "/tags/不存在/")
    assert problem.line == 10  # markdown-it percent-encodes the link; the line is still found


def test_link_to_a_page_the_site_does_not_have(problems: list[Problem]) -> None:
    problem = found(problems, "content/yibao/links.md", "error", "/topics/nosuch/")
    assert problem.line == 15  # the Markdown line the link is written on
    assert "不存在" in problem.message


def test_links_to_real_pages_and_files_pass(problems: list[Problem]) -> None:
    messages = " ".join(p.message for p in problems if p.path == "content/yibao/links.md")
    for fine in ("/topics/yibao/", "/articles/", "/feed.xml", "/search/", "/img/flow.svg", "ok-article.md", "example.com", "#一"):
        assert fine not in messages


def test_link_to_a_missing_article_file(problems: list[Problem]) -> None:
    problem = found(problems, "content/yibao/links.md", "error", "missing-article.md")
    assert problem.line == 17
    assert "content/yibao/missing-article.md" in problem.message
    # site.py's own warning for the same link (without a line) is not shown a second time.
    assert not [p for p in problems if p.severity == "warning" and "missing-article.md" in p.message]


def test_missing_image_names_the_static_file(problems: list[Problem]) -> None:
    problem = found(problems, "content/yibao/links.md", "error", "/img/missing.png")
    assert problem.line == 23
    assert "static/img/missing.png" in problem.message
    assert not [p for p in problems if "flow.svg" in p.message or "example.com/x.png" in p.message]


def test_config_error_still_reports_the_articles(site: Path) -> None:
    toml = (site / "site.toml").read_text(encoding="utf-8")
    (site / "site.toml").write_text(toml.replace('contact = "fix@check.example.cn"', 'contact = ""'), encoding="utf-8")
    problems = check_site(site, today=TODAY)
    assert found(problems, "site.toml", "error", "source_notice.contact")
    assert found(problems, "content/yibao/no-date.md", "error", "date: 缺少必填字段")
    assert found(problems, "content/ertong/too-short.md", "warning", "不够生成摘要")


def test_layout_syntax_error_names_the_template_line(site: Path) -> None:
    (site / "layouts/404.html").write_text("<p>\n{% if %}\n</p>\n", encoding="utf-8")
    problem = found(check_site(site, today=TODAY), "layouts/404.html", "error", "模板语法错误")
    assert problem.line == 2


def test_static_file_in_the_place_of_a_page(site: Path) -> None:
    write(site, "static/feed.xml", "<feed/>")
    assert found(check_site(site, today=TODAY), "static/feed.xml", "error", "同名")


def test_relative_links_resolve_against_the_article_url(site: Path) -> None:
    body = "[好的](../duanjiao-x/) [坏的](../nosuch/) [旧网址](/old/zhanghu/) ![图](../../img/flow.svg) ![放错](static/img/flow.svg)"
    write(site, "content/yibao/relative.md", ARTICLE.format(title="相对链接", body=LONG_BODY + "\n\n" + body))
    write(site, "content/yibao/duanjiao-x.md", ARTICLE.format(title="目标文章", body=LONG_BODY + "\n\naliases 测试").replace("topic: 医保", "topic: 医保\naliases: [/old/zhanghu/]"))
    problems = [p for p in check_site(site, today=TODAY) if p.path == "content/yibao/relative.md"]
    messages = [(p.severity, p.message) for p in problems]
    assert not any("../duanjiao-x/" in m for _, m in messages)
    assert any(s == "error" and "../nosuch/" in m for s, m in messages)
    assert any(s == "warning" and "/old/zhanghu/" in m and "/yibao/duanjiao-x/" in m for s, m in messages)
    assert not any("../../img/flow.svg" in m for _, m in messages)
    assert any(s == "error" and "请写成 /img/flow.svg" in m for s, m in messages)


# --- warnings -------------------------------------------------------------------------------------


def test_unknown_topic_and_city_suggest_the_nearest_name(problems: list[Problem]) -> None:
    city = found(problems, "content/ertong/unknown-names.md", "warning", "城市“深川”")
    assert "是否想写 深圳？" in city.message and city.line == 4
    topic = found(problems, "content/ertong/unknown-names.md", "warning", "栏目“儿童保健”")
    assert "是否想写 儿童健康？" in topic.message and topic.line == 5


@pytest.mark.parametrize(
    "written, known, expected",
    [("医疗保险", ["医保", "就医指南"], "医保"), ("深川", ["深圳", "广州"], "深圳"), ("火星", ["深圳"], None)],
)
def test_nearest_name(written: str, known: list[str], expected: str | None) -> None:
    assert nearest_name(written, known) == expected


def test_tag_spelled_two_ways_names_both_spellings_and_files(problems: list[Problem]) -> None:
    case = found(problems, "content/ertong/tag-spellings.md", "warning", "标签“covid”")
    assert "“COVID”\uff08content/ertong/unknown-names.md\uff09" in case.message and "大小写" in case.message
    assert case.line == 6
    width = found(problems, "content/ertong/tag-spellings.md", "warning", "标签“ＨＰＶ”")
    assert "“HPV”\uff08content/ertong/hpv.md\uff09" in width.message and "全角/半角" in width.message


def test_tag_in_traditional_characters(problems: list[Problem]) -> None:
    pytest.importorskip("opencc")  # traditional and simplified are folded only with OpenCC installed
    traditional = found(problems, "content/ertong/unknown-names.md", "warning", "标签“醫保”")
    assert "与“医保”\uff08content/ertong/hpv.md 等 2 篇\uff09" in traditional.message and "请统一写成“医保”" in traditional.message
    assert "繁体/简体" in traditional.message
    assert name_key("醫保") == name_key("医保")


def test_tag_key_folds_width_case_and_spaces() -> None:
    assert name_key("ＨＰＶ 疫苗") == name_key("hpv疫苗")


def test_same_title_twice(problems: list[Problem]) -> None:
    problem = found(problems, "content/ertong/same-title-2.md", "warning", "标题与 content/ertong/same-title-1.md 相同")
    assert problem.line == 2


def test_near_copy_names_the_other_file(problems: list[Problem]) -> None:
    problem = found(problems, "content/ertong/copy-original.md", "warning", "正文与 content/ertong/copy-duplicate.md 几乎相同")
    assert problem.line == 9  # where the body starts
    assert not [p for p in problems if "几乎相同" in p.message and p.path != "content/ertong/copy-original.md"]


def test_stale_policy_article(problems: list[Problem]) -> None:
    problem = found(problems, "content/yibao/stale-policy.md", "warning", "最后核实于 2024-01-10")
    assert problem.line == 3 and "12 个月" in problem.message
    assert not [p for p in problems if "最后核实" in p.message and p.path != "content/yibao/stale-policy.md"]


def test_policy_age_comes_from_site_toml(site: Path) -> None:
    toml = (site / "site.toml").read_text(encoding="utf-8")
    (site / "site.toml").write_text(toml.replace('search = false', 'search = false\npolicy_max_age_months = 36'), encoding="utf-8")
    assert not [p for p in check_site(site, today=TODAY) if "最后核实" in p.message]


def test_too_short_for_an_excerpt(problems: list[Problem]) -> None:
    assert found(problems, "content/ertong/too-short.md", "warning", "正文只有 6 个字").line == 9


def test_short_summary(site: Path) -> None:
    write(site, "content/yibao/summary.md", ARTICLE.format(title="摘要太短", body=LONG_BODY).replace("topic: 医保", "topic: 医保\nsummary: 太短了"))
    problem = found(check_site(site, today=TODAY), "content/yibao/summary.md", "warning", "summary: 摘要只有 3 个字")
    assert problem.line == 6


def test_future_date_without_draft(problems: list[Problem]) -> None:
    assert found(problems, "content/yibao/future.md", "warning", "date: 2099-01-01 是未来的日期").line == 3


def test_link_to_a_draft_warns(problems: list[Problem]) -> None:
    assert found(problems, "content/yibao/links.md", "warning", "指向草稿 content/yibao/draft-article.md").line == 19


def test_every_problem_is_reported_once(problems: list[Problem]) -> None:
    keys = [(p.path, p.line, p.message) for p in problems]
    assert len(keys) == len(set(keys))
    assert problems == check.sort_problems(problems)


def test_sample_site_has_no_errors() -> None:
    problems = check_site(REPO, today=TODAY)
    assert [p for p in problems if p.severity == "error"] == []


def test_clean_site_has_no_problems(tmp_path: Path) -> None:
    site = make_site(tmp_path, "check_site")
    for path in (site / "content").rglob("*.md"):
        path.unlink()
    write(site, "content/yibao/one.md", ARTICLE.format(title="深圳医保个人账户", body=LONG_BODY))
    assert check_site(site, today=TODAY) == []


# --- near-copies: banding finds what comparing every pair finds, without comparing every pair ----


def _corpus(count: int, copies: int, seed: int = 7) -> list[tuple[int, ...]]:
    rng = random.Random(seed)
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]

    def sentence() -> str:
        return "".join(rng.choice(han) for _ in range(rng.randint(10, 25)))

    texts = ["。".join(sentence() for _ in range(rng.randint(15, 40))) for _ in range(count)]
    for _ in range(copies):
        sentences = texts[rng.randrange(count)].split("。")
        for _ in range(rng.randint(0, len(sentences) // 5)):
            sentences[rng.randrange(len(sentences))] = sentence()
        texts.append("。".join(sentences))
    return [text_sketch(t) for t in texts]


def test_near_copy_banding_agrees_with_all_pairs() -> None:
    sketches = _corpus(250, 40)
    expected = {}
    for later in range(len(sketches)):
        for earlier in range(later):
            if sketch_similarity(sketches[earlier], sketches[later]) >= check.NEAR_COPY_SIMILARITY:
                expected.setdefault(later, earlier)
                break
    found_pairs = {later: earlier for later, (earlier, _) in near_copy_pairs(sketches).items()}
    assert len(expected) >= 30
    assert found_pairs == expected


def test_near_copy_banding_compares_few_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    sketches = _corpus(1500, 0, seed=11)
    copy = sketches[0]
    sketches += [copy] * 300  # a mass of copies of one text lands in one big bucket
    compared = 0

    def counting(first, second):
        nonlocal compared
        compared += 1
        return sketch_similarity(first, second)

    monkeypatch.setattr(check, "sketch_similarity", counting)
    copies = near_copy_pairs(sketches)
    assert set(copies) == set(range(1500, 1800))
    assert compared < 10 * len(sketches)  # all pairs would be 1.6 million


# --- the command --------------------------------------------------------------------------------


def test_cli_text_format_and_exit_code(site: Path) -> None:
    result = run("check", "--site", str(site))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    shown = site.as_posix()
    assert f"{shown}/content/yibao/links.md:15: 错误: 链接 /topics/nosuch/ 指向的页面在本站不存在；请检查拼写，或改为链接到文章的 .md 文件" in lines
    assert any(re.fullmatch(rf"{re.escape(shown)}/content/yibao/future\.md:3: 警告: date: .+", line) for line in lines)
    assert re.fullmatch(r"检查完成：\d+ 个错误，\d+ 个警告\uff08用时 [\d.]+ 秒\uff09", lines[-1])


def test_cli_json_format(site: Path) -> None:
    result = run("check", "--site", str(site), "--format", "json")
    assert result.exit_code == 1
    records = json.loads(result.output)
    assert {"file": f"{site.as_posix()}/content/yibao/links.md", "line": 23, "severity": "error",
            "message": "图片 /img/missing.png 不存在；请把图片放到 static/img/missing.png"} in records  # fmt: skip
    assert all(set(r) == {"file", "line", "severity", "message"} for r in records)
    assert {r["severity"] for r in records} == {"error", "warning"}


def test_cli_github_annotations(site: Path) -> None:
    result = run("check", "--site", str(site), "--format", "github")
    assert result.exit_code == 1
    annotation = re.compile(r"::(error|warning) file=[^,:]+(,line=\d+)?::.+")
    lines = result.output.splitlines()
    assert lines and all(annotation.fullmatch(line) for line in lines)
    assert f"::error file={site.as_posix()}/content/yibao/links.md,line=17::" in result.output
    assert f"::warning file={site.as_posix()}/content/yibao/future.md,line=3::" in result.output


def test_cli_warnings_pass_unless_strict(tmp_path: Path) -> None:
    site = make_site(tmp_path, "check_site")
    for path in (site / "content").rglob("*.md"):
        path.unlink()
    write(site, "content/yibao/short.md", ARTICLE.format(title="太短", body="很短。"))
    result = run("check", "--site", str(site))
    assert result.exit_code == 0
    assert "0 个错误，1 个警告" in result.output
    assert run("check", "--site", str(site), "--strict").exit_code == 1


def test_cli_clean_site(tmp_path: Path) -> None:
    site = make_site(tmp_path, "check_site")
    for path in (site / "content").rglob("*.md"):
        path.unlink()
    write(site, "content/yibao/one.md", ARTICLE.format(title="深圳医保个人账户", body=LONG_BODY))
    result = run("check", "--site", str(site), "--strict")
    assert result.exit_code == 0
    assert result.output.startswith("检查通过")
    assert json.loads(run("check", "--site", str(site), "--format", "json").output) == []


def test_cli_annotation_escaping() -> None:
    from sitegen.cli import _annotation_data, _annotation_property

    assert _annotation_data("50%\n第二行") == "50%25%0A第二行"
    assert _annotation_property("a,b:c") == "a%2Cb%3Ac"


def test_check_after_a_build_with_another_excerpt_length_still_reads_every_body(basic_site: Path) -> None:
    build_site(basic_site)  # the cache keeps front matter without bodies, and excerpts of 120
    settings = basic_site / "site.toml"
    settings.write_text("excerpt_length = 60\n" + settings.read_text(encoding="utf-8"), encoding="utf-8")
    short = [p for p in check_site(basic_site, today=TODAY) if "不够生成摘要" in p.message]
    fresh = [p for p in check_site(basic_site, today=TODAY) if "不够生成摘要" in p.message]
    shutil.rmtree(basic_site / ".sitegen-cache")
    assert short == fresh == [p for p in check_site(basic_site, today=TODAY) if "不够生成摘要" in p.message]
