"""Every file of tests/bad_input/ through `sitegen build`: a clear message or a good build, never a traceback.

The table below says what each case is and what the build must do; tests/bad_input/README.md
says the same for readers of the folder. A file without a row here fails the test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitegen.cli import main
from sitegen.content import MAX_ARTICLE_BYTES

CORPUS = Path(__file__).resolve().parent / "bad_input"

# file: (exit status, words the output must contain)
CASES: dict[str, tuple[int, tuple[str, ...]]] = {
    "invalid-yaml.md": (1, ("YAML",)),
    "not-a-mapping.md": (1, ("字段: 值",)),
    "missing-title.md": (1, ("title", "缺少必填字段", "title: ")),
    "empty-title.md": (1, ("title", "不能为空")),
    "title-not-text.md": (1, ("title", "应为文字")),
    "missing-topic.md": (1, ("topic", "缺少必填字段")),
    "tags-not-a-list.md": (1, ("tags", "应为标签列表", "tags: [医保, 报销]")),
    "draft-not-boolean.md": (1, ("draft", "true 或 false")),
    "impossible-date.md": (1, ("date", "2025-02-30 不是存在的日期")),
    "duplicate-key.md": (1, ("city", "出现了两次")),
    "control-character-in-tag.md": (1, ("tags", "U+001B", "请删除")),
    "slug-path-traversal.md": (1, ("slug", "小写字母")),
    "not-utf8.md": (1, ("UTF-8",)),
    "nul-byte.md": (1, ("NUL",)),
    "empty.md": (1, ("文件是空的", "title")),
    "no-front-matter.md": (1, ("缺少头部信息", "---")),
    "unclosed-front-matter.md": (1, ("---",)),
    "title-10000-characters.md": (1, ("title", "太长")),
    "duplicate-slug.md": (1, ("content/yibao/shenzhen-duanjiao.md", "slug")),
    "utf8-bom.md": (0, ()),
    "crlf-line-ends.md": (0, ()),
}


def build(site: Path):
    result = CliRunner().invoke(main, ["build", "--site", str(site), "--no-search"], catch_exceptions=False)
    assert "Traceback" not in result.output, result.output
    return result


def test_every_corpus_file_has_a_case() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.suffix == ".md" and p.name != "README.md"}
    assert files == set(CASES)
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_file(basic_site: Path, name: str) -> None:
    status, words = CASES[name]
    shutil.copy(CORPUS / name, basic_site / "content/yibao" / name)
    result = build(basic_site)
    assert result.exit_code == status, result.output
    if status == 0:
        assert "错误" not in result.output
        return
    errors = [line for line in result.output.splitlines() if line.startswith("错误 ")]
    assert errors, result.output
    ours = [line for line in errors if f"content/yibao/{name}" in line]
    assert ours, f"no error names the file: {result.output}"
    for word in words:
        assert word in result.output, f"{word!r} missing from: {result.output}"
    assert all(len(line) < 400 for line in errors), "an error should be one short line"
    assert "上一次的输出保持不变" in result.output
    assert not (basic_site / "public").exists()  # a failed first build writes nothing


def test_bom_and_crlf_articles_read_as_written(basic_site: Path) -> None:
    for name in ("utf8-bom.md", "crlf-line-ends.md"):
        shutil.copy(CORPUS / name, basic_site / "content/yibao" / name)
    assert build(basic_site).exit_code == 0
    public = basic_site / "public/yibao"
    bom = (public / "utf8-bom/index.html").read_text(encoding="utf-8")
    assert "<h1>带 BOM 的文章</h1>" in bom and "\ufeff" not in bom
    crlf = (public / "crlf-line-ends/index.html").read_text(encoding="utf-8")
    assert "<p>第一段\u3002</p>" in crlf and "<p>第二段\u3002</p>" in crlf and "\r" not in crlf


# --- cases generated here, too big or too odd to keep as files ------------------------------

HEADER = "---\ntitle: {title}\ndate: 2026-03-01\ncity: 深圳\ntopic: 医保\n---\n"


def _long_article(size: int) -> str:
    """An article of `size` bytes or a little more, with headings, paragraphs and lists."""
    paragraph = "深圳职工医保断缴后,个人账户里的钱不会清零,仍然可以在定点药店和门诊使用\u3002" * 4
    text = HEADER.format(title="一篇很长的文章")
    lines, written = [], len(text.encode("utf-8"))
    while written < size:
        lines.append(f"## 第 {len(lines)} 节\n\n{paragraph}\n{paragraph}\n\n- 要点一\n- 要点二\n")
        written += len(lines[-1].encode("utf-8")) + 1
    return text + "\n".join(lines)


def test_an_article_up_to_the_size_limit_builds(basic_site: Path) -> None:
    """How long it takes is measured by benchmarks/stalls.py."""
    text = _long_article(MAX_ARTICLE_BYTES - 2000)
    assert MAX_ARTICLE_BYTES - 2000 <= len(text.encode("utf-8")) <= MAX_ARTICLE_BYTES
    (basic_site / "content/yibao/long.md").write_text(text, encoding="utf-8")
    result = build(basic_site)
    assert result.exit_code == 0, result.output
    assert (basic_site / "public/yibao/long/index.html").stat().st_size > MAX_ARTICLE_BYTES


def test_an_article_over_the_size_limit_is_refused(basic_site: Path) -> None:
    (basic_site / "content/yibao/huge.md").write_text(_long_article(5_000_000), encoding="utf-8")
    result = build(basic_site)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("错误 ")]
    assert errors == ["错误 content/yibao/huge.md: 文件有 4.8 MB\uff0c超过每篇文章 1 MB 的上限\uff1b请把它拆成几篇较短的文章"]


def test_one_paragraph_of_20000_short_lines(basic_site: Path) -> None:
    """Soft line breaks between Chinese characters are dropped in one pass, not one scan per break."""
    text = HEADER.format(title="很多短行") + "深圳医保断缴后个人账户还能用吗\u3002\n" * 20_000
    assert len(text.encode("utf-8")) <= MAX_ARTICLE_BYTES
    (basic_site / "content/yibao/lines.md").write_text(text, encoding="utf-8")
    assert build(basic_site).exit_code == 0
    page = (basic_site / "public/yibao/lines/index.html").read_text(encoding="utf-8")
    assert "还能用吗\u3002深圳医保" in page


def test_200_levels_of_nested_lists_keep_their_text(basic_site: Path) -> None:
    body = "".join("  " * level + f"- 第{level}层\n" for level in range(200)) + "\n列表之后的段落\u3002\n"
    (basic_site / "content/yibao/nested.md").write_text(HEADER.format(title="嵌套列表") + body, encoding="utf-8")
    result = build(basic_site)
    assert result.exit_code == 0, result.output
    page = (basic_site / "public/yibao/nested/index.html").read_text(encoding="utf-8")
    assert "第199层" in page and "列表之后的段落\u3002" in page  # past the nesting limit the text stays


@pytest.mark.parametrize(
    "name, header_extra, body, words",
    [
        ("deep-yaml.md", "x: " + "[" * 100_000 + "]" * 100_000 + "\n", "正文\u3002\n", "嵌套过深"),
        ("deep-mapping.md", "x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "正文\u3002\n", "嵌套过深"),
        ("aliases.md", "a: &a [x, x]\n" + "".join(f"b{n}: *a\n" for n in range(200)), "正文\u3002\n", "别名"),
        # 76 aliases, depth 2, 700 bytes: 4**19 values written out (it once ran past 90 s and 3 GB)
        ("alias-bomb.md", "a0: &a0 [x, x, x, x]\n" + "".join(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 4)}]\n" for n in range(1, 20)), "正文\u3002\n", "展开后超过"),
        ("full-width-colon.md", "tags\uff1a[医保卡]\n", "正文\u3002\n", "半角"),
        ("deep-html.md", "", "<div>" * 1000 + "正文" + "</div>" * 1000 + "\n", "嵌套超过"),
    ],
)
def test_generated_bad_files(basic_site: Path, name: str, header_extra: str, body: str, words: str) -> None:
    text = HEADER.format(title="生成的坏文件").replace("---\n", "", 1)
    text = "---\n" + text.replace("topic: 医保\n", "topic: 医保\n" + header_extra) + body
    (basic_site / "content/yibao" / name).write_text(text, encoding="utf-8")
    result = build(basic_site)
    assert result.exit_code == 1, result.output
    assert f"content/yibao/{name}" in result.output and words in result.output, result.output


def test_a_zero_width_space_in_the_city_makes_no_second_city(basic_site: Path) -> None:
    text = HEADER.format(title="深圳医保卡激活").replace("city: 深圳", "city: 深\u200b圳") + "正文\u3002\n"
    (basic_site / "content/yibao/zero-width.md").write_text(text, encoding="utf-8")
    result = build(basic_site)
    assert result.exit_code == 0, result.output
    cities = sorted(p.name for p in (basic_site / "public/cities").iterdir() if p.is_dir())
    assert len([c for c in cities if c.startswith("shenzhen")]) == 1, cities
    page = (basic_site / "public/cities/shenzhen/index.html").read_text(encoding="utf-8")
    assert "深圳医保卡激活" in page and "\u200b" not in page
