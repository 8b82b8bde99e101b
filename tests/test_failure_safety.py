"""A build that fails, however it fails, leaves the previous public/ complete and unchanged.

Failures are simulated where they happen: bad content, an exception inside a template, Ctrl-C
(KeyboardInterrupt) in the middle of writing or of the swap, a full disk (OSError ENOSPC). After
each, public/ must hold exactly the files, bytes and mtimes it held before, and the next good
build must leave no `.sitegen-staging-*` or `.sitegen-retired-*` folder behind.
"""

from __future__ import annotations

import errno
import os
import pathlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import build_site
from sitegen import output
from sitegen.cli import main
from sitegen.errors import SiteError
from sitegen.output import RETIRED_MARK, STAGING_MARK, remove_leftovers


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.iterdir() if p.name.startswith((STAGING_MARK, RETIRED_MARK)))


@pytest.fixture
def built(basic_site: Path) -> tuple[Path, dict[str, tuple[bytes, int]]]:
    """The basic site built once; its output folder's files as they are now."""
    build_site(basic_site)
    return basic_site, tree(basic_site / "public")


def assert_previous_output_kept(site: Path, before: dict[str, tuple[bytes, int]]) -> None:
    assert tree(site / "public") == before
    build_site(site, base_url="https://next.example.cn/")  # the next good build
    assert leftovers(site) == []
    assert (site / "public/index.html").is_file()
    assert "https://next.example.cn/" in (site / "public/index.html").read_text(encoding="utf-8")


def fail_on_write(monkeypatch, error: BaseException, after: int = 3) -> list[Path]:
    """Make the (after+1)-th Path.write_bytes raise `error`, as Ctrl-C or a full disk would."""
    calls: list[Path] = []
    real = pathlib.Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) > after:
            raise error
        return real(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_bytes)
    return calls


def test_bad_content(built) -> None:
    site, before = built
    (site / "content/yibao/bad.md").write_text("---\ntitle: 坏\ndate: 2025-02-30\ncity: 深圳\ntopic: 医保\n---\n", encoding="utf-8")
    with pytest.raises(SiteError):
        build_site(site)
    (site / "content/yibao/bad.md").unlink()
    assert_previous_output_kept(site, before)


def test_an_exception_inside_a_template(built) -> None:
    site, before = built
    partial = site / "layouts/partials/footer.html"
    good = partial.read_text(encoding="utf-8")
    partial.write_text(good + "{{ (1 / 0) if site.articles else '' }}\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(site)
    problem = raised.value.problems[0]
    assert problem.path == "layouts/partials/footer.html" and problem.line == good.count("\n") + 1
    assert "ZeroDivisionError" in problem.message
    partial.write_text(good, encoding="utf-8")
    assert_previous_output_kept(site, before)


def test_ctrl_c_in_the_middle_of_writing(built, monkeypatch) -> None:
    site, before = built
    calls = fail_on_write(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        build_site(site, base_url="https://changed.example.cn/")  # every page changes
    assert len(calls) > 3  # it was interrupted mid-write, not before
    monkeypatch.undo()
    assert leftovers(site) == []  # the interrupted staging folder is gone already
    assert_previous_output_kept(site, before)


def test_ctrl_c_between_the_two_renames_of_the_swap(built, monkeypatch) -> None:
    site, before = built
    real = os.rename
    public = str((site / "public").absolute())

    def rename(source, target):
        if str(target) == public and STAGING_MARK in str(source):
            raise KeyboardInterrupt  # the old output is already moved aside
        return real(source, target)

    monkeypatch.setattr(output.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        build_site(site, base_url="https://changed.example.cn/")
    monkeypatch.undo()
    assert_previous_output_kept(site, before)


def test_a_build_killed_between_the_renames_is_repaired_by_the_next(built) -> None:
    """A process killed outright runs no cleanup: the output sits in a retired folder."""
    site, before = built
    (site / "public").rename(site / f"{RETIRED_MARK}public-killed0")
    (site / f"{STAGING_MARK}public-killed1").mkdir()
    remove_leftovers(site / "public")
    assert tree(site / "public") == before
    assert leftovers(site) == []


def test_leftovers_of_a_crash_are_removed_by_the_next_build(built) -> None:
    site, before = built
    for name in (f"{STAGING_MARK}public-dead0001", f"{RETIRED_MARK}public-dead0002"):
        (site / name / "yibao").mkdir(parents=True)
        (site / name / "yibao/index.html").write_text("old", encoding="utf-8")
    assert_previous_output_kept(site, before)


def test_a_full_disk_is_a_one_line_error(built, monkeypatch) -> None:
    site, before = built
    fail_on_write(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(SiteError) as raised:
        build_site(site, base_url="https://changed.example.cn/")
    (problem,) = raised.value.problems
    assert "磁盘已满" in problem.message and problem.path.startswith("public/")
    assert "\n" not in str(problem)
    monkeypatch.undo()
    assert_previous_output_kept(site, before)


def test_a_full_disk_for_the_staging_folder(built, monkeypatch) -> None:
    site, before = built
    real = pathlib.Path.mkdir

    def mkdir(self: Path, *args, **kwargs) -> None:
        if self.name.startswith(STAGING_MARK):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    with pytest.raises(SiteError) as raised:
        build_site(site, base_url="https://changed.example.cn/")
    assert "磁盘已满" in str(raised.value)
    monkeypatch.undo()
    assert_previous_output_kept(site, before)


def test_other_write_errors_name_the_file(built, monkeypatch) -> None:
    site, before = built
    fail_on_write(monkeypatch, PermissionError(errno.EACCES, "Permission denied"), after=0)
    with pytest.raises(SiteError) as raised:
        build_site(site, base_url="https://changed.example.cn/")
    assert "无法写入" in str(raised.value) and "Permission denied" in str(raised.value)
    monkeypatch.undo()
    assert_previous_output_kept(site, before)


# --- as an author sees it ---------------------------------------------------------------------


def cli_build(site: Path, *extra: str):
    result = CliRunner().invoke(main, ["build", "--site", str(site), "--no-search", *extra], catch_exceptions=False)
    assert "Traceback" not in result.output, result.output
    return result


def test_cli_full_disk(built, monkeypatch) -> None:
    site, before = built
    fail_on_write(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    result = cli_build(site, "--base-url", "https://changed.example.cn/")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("错误 ")]
    assert len(errors) == 1 and "磁盘已满" in errors[0] and "public/" in errors[0]
    assert "上一次的输出保持不变" in result.output
    monkeypatch.undo()
    assert tree(site / "public") == before


def test_cli_ctrl_c(built, monkeypatch) -> None:
    site, before = built
    fail_on_write(monkeypatch, KeyboardInterrupt())
    result = cli_build(site, "--base-url", "https://changed.example.cn/")
    assert result.exit_code == 130
    assert "已中断" in result.output
    monkeypatch.undo()
    assert tree(site / "public") == before
    assert leftovers(site) == []


def test_refuses_to_replace_a_folder_that_is_not_a_site(basic_site: Path, tmp_path: Path) -> None:
    """`--out ~/Documents` would delete the documents: a non-empty folder that no build wrote is refused."""
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.docx").write_bytes(b"precious")
    result = cli_build(basic_site, "--out", str(documents))
    assert result.exit_code == 1 and "输出目录不是空的" in result.output
    assert (documents / "thesis.docx").read_bytes() == b"precious"
    assert cli_build(basic_site, "--out", str(tmp_path / "fresh")).exit_code == 0
    assert cli_build(basic_site, "--out", str(tmp_path / "fresh")).exit_code == 0  # its own output: fine
