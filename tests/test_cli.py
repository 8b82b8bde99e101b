"""The `sitegen build` command as an author runs it: exit status and messages, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sitegen.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_build_succeeds_and_summarises(basic_site: Path) -> None:
    result = run("build", "--site", str(basic_site), "--profile")
    assert result.exit_code == 0, result.output
    assert "6 篇文章" in result.output
    assert "页/秒" in result.output
    assert "markdown" in result.output  # --profile prints the stages
    assert (basic_site / "public/index.html").exists()


def test_build_to_another_folder(basic_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    result = run("build", "--site", str(basic_site), "--out", str(out), "--base-url", "https://preview.example.net")
    assert result.exit_code == 0, result.output
    assert "https://preview.example.net/" in (out / "index.html").read_text(encoding="utf-8")


def test_bad_input_prints_one_line_per_problem(basic_site: Path) -> None:
    (basic_site / "content/yibao/x.md").write_text("---\ntitle: ''\ndate: 2025-02-30\ncity: 深圳\ntopic: 医保\ntags: 5\n---\n", encoding="utf-8")
    (basic_site / "content/yibao/y.md").write_bytes("---\ntitle: 编码\n---\n".encode("gbk"))
    result = CliRunner().invoke(main, ["build", "--site", str(basic_site)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("错误 ")]
    assert lines == [
        "错误 content/yibao/x.md:2: title: 不能为空",
        "错误 content/yibao/x.md:3: date: 2025-02-30 不是存在的日期",
        "错误 content/yibao/x.md:6: tags: 应为标签列表，例如 tags: [医保, 报销]\uff08当前为 5\uff09",
        "错误 content/yibao/y.md:2: 不是 UTF-8 编码的文本；请用 UTF-8 保存此文件",
    ]
    assert "上一次的输出保持不变" in result.output


def test_missing_site_toml(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--site", str(tmp_path)])
    assert result.exit_code == 1
    assert "site.toml" in result.output and "Traceback" not in result.output


def test_serve_runs_with_the_cycle_collector_that_one_shot_commands_turn_off(basic_site: Path, monkeypatch) -> None:
    # `sitegen` turns the collector off for its one-shot commands (__main__); a preview runs for
    # hours of rebuilds, whose reference cycles must still be freed.
    import gc

    import sitegen.serve

    seen: list[bool] = []
    monkeypatch.setattr(sitegen.serve, "serve", lambda options, on_event: seen.append(gc.isenabled()))
    was = gc.isenabled()
    gc.disable()
    try:
        result = CliRunner().invoke(main, ["serve", "--site", str(basic_site), "--port", "0"])
    finally:
        gc.enable() if was else gc.disable()
    assert result.exit_code == 0, result.output
    assert seen == [True]


def test_a_one_shot_command_exits_with_its_status_and_all_its_output(basic_site: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "sitegen", "build", "--site", str(basic_site), "--no-search"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("已生成") and done.stdout.endswith("\n")
    bad = subprocess.run([sys.executable, "-m", "sitegen", "build", "--site", str(basic_site / "nowhere")], capture_output=True, text=True)
    assert bad.returncode == 1 and "site.toml" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["build", "--bogus"], "没有 --bogus 这个选项"),
        (["build", "--jobs", "x"], "--jobs/-j 的值不对\uff1a应为不小于 1 的整数"),
        (["build", "--out"], "选项 --out 后面应写一个值"),
        (["build", "extra"], "多余的参数\uff1aextra"),
        (["new"], "缺少参数 TITLE"),
        (["new", "标题"], "缺少选项 --city"),
        (["buil"], "没有 buil 这个命令\uff1b可用的命令\uff1abuild、check"),
        (["--bogus"], "没有 --bogus 这个选项"),
    ],
)
def test_a_mistyped_command_line_gets_one_chinese_line(args: list[str], said: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and said in lines[0] and "--help 查看用法" in lines[0], result.output
    assert "Error" not in result.output and "Usage" not in result.output


@pytest.mark.parametrize("command", [[], ["build"], ["serve"], ["new"], ["init"], ["check"], ["push"]])
def test_help_is_in_chinese_and_fits_the_terminal(command: list[str]) -> None:
    from sitegen.text import is_wide

    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("用法：") and "选项：" in text
    for english in ("Usage", "Options", "Commands", "Show this", "default:", "[required]", "DIRECTORY", "TEXT", "INTEGER"):
        assert english not in text, english
    rows = [line for line in text.splitlines() if line.startswith("  -")]
    assert rows and all(any(is_wide(c) for c in row) for row in rows)  # every option says what it does in Chinese
    assert all(sum(2 if is_wide(c) else 1 for c in line) <= 80 for line in text.splitlines())
    if not command:
        assert "命令：" in text and "build  构建网站" in text


def test_sitegen_alone_shows_the_help() -> None:
    result = CliRunner().invoke(main, [])
    assert result.output.startswith("用法：") and "命令：" in result.output


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("构建网站，输出到 public/。", 80, ["构建网站，输出到 public/。"]),
        ("一二三四五六", 6, ["一二三", "四五六"]),  # two columns a character
        ("一二三，四五", 6, ["一二", "三，四", "五"]),  # a stop never starts a line: 三 goes down with it
        ("站点目录 site.toml、content/", 20, ["站点目录 site.toml、", "content/"]),
        ("站点目录 site.toml content/", 18, ["站点目录 site.toml", "content/"]),  # a Latin run kept whole
        ("端口（0<=x<=65535）。", 12, ["端口（", "0<=x<=65535）。"]),
        ("https://api.indexnow.org/indexnow", 10, ["https://api.indexnow.org/indexnow"]),  # nowhere to break
    ],
)
def test_help_lines_are_cut_by_columns(text: str, width: int, lines: list[str]) -> None:
    from sitegen.cli import _wrapped

    assert _wrapped(text, width) == lines
