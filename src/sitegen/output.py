"""Stage 6: write the site into a fresh folder beside the output and swap it in when complete.

A failed or interrupted build leaves the previous output as it was. Files whose bytes did not
change are hard-linked from the previous output, so their modification times stay and a deploy
uploads only what changed.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .errors import Problem, SiteError
from .render import Page

STAGING_MARK = ".sitegen-staging-"
RETIRED_MARK = ".sitegen-retired-"


@dataclass
class WriteStats:
    written: int = 0  # files whose bytes are new or changed
    unchanged: int = 0
    removed: int = 0  # files of the previous output that the new one no longer has


def check_output_folder(out_dir: Path, site_dir: Path) -> None:
    """Refuse an output folder that would overwrite the site's own sources."""
    out, site = out_dir.resolve(), site_dir.resolve()
    protected = [site / name for name in ("content", "layouts", "static")]
    if out == site or out in site.parents or any(out == p or p in out.parents for p in protected):
        raise SiteError(Problem(str(out_dir), None, "输出目录不能是站点目录本身、它的上级,或 content/、layouts/、static/ 之内"))


def write_site(
    out_dir: Path,
    pages: Iterable[Page],
    static_dir: Path | None,
    *,
    before_swap: Callable[[Path], None] | None = None,
) -> WriteStats:
    """Write `pages` and the static files into a staging folder, then replace `out_dir` with it."""
    out_dir = out_dir.absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_dir)
    staging = out_dir.parent / f"{STAGING_MARK}{out_dir.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    stats = WriteStats()
    try:
        written_paths: dict[str, str] = {}
        for page in pages:
            _write_file(staging, out_dir, page.path, page.content, stats)
            written_paths[page.path] = "page"
        if static_dir is not None and static_dir.is_dir():
            for source in sorted(static_dir.rglob("*")):
                if not source.is_file() or source.name.startswith("."):
                    continue
                relative = source.relative_to(static_dir).as_posix()
                if relative in written_paths:
                    raise SiteError(Problem(f"static/{relative}", None, f"与生成的页面 {relative} 同名;请改名或删除其一"))
                _write_file(staging, out_dir, relative, source.read_bytes(), stats)
                written_paths[relative] = "static"
        if before_swap is not None:
            before_swap(staging)
        stats.removed = _count_removed(out_dir, staging)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return stats


def remove_leftovers(out_dir: Path) -> None:
    """Delete staging and retired folders that an interrupted earlier build left beside `out_dir`."""
    for mark in (STAGING_MARK, RETIRED_MARK):
        for leftover in out_dir.parent.glob(f"{mark}{out_dir.name}-*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _write_file(staging: Path, previous: Path, relative: str, content: bytes, stats: WriteStats) -> None:
    target = safe_join(staging, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    old = previous / relative
    try:
        same = old.is_file() and not old.is_symlink() and old.stat().st_size == len(content) and old.read_bytes() == content
    except OSError:
        same = False
    if same:
        try:
            os.link(old, target)
            stats.unchanged += 1
            return
        except OSError:
            pass  # another file system, or links not allowed: write a copy instead
    target.write_bytes(content)
    if same:
        shutil.copystat(old, target)
        stats.unchanged += 1
    else:
        stats.written += 1


def safe_join(root: Path, relative: str) -> Path:
    """`root / relative`, refusing any path that would land outside `root`."""
    parts = relative.split("/")
    if (
        not relative
        or relative.startswith(("/", "\\"))
        or "\\" in relative
        or "\x00" in relative
        or ":" in parts[0]
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise SiteError(Problem(relative, None, "输出路径不安全(含 ..、绝对路径或非法字符),已拒绝写入"))
    target = root / relative
    if root.resolve() not in target.resolve().parents:
        raise SiteError(Problem(relative, None, "输出路径落在输出目录之外,已拒绝写入"))
    return target


def _count_removed(out_dir: Path, staging: Path) -> int:
    if not out_dir.is_dir():
        return 0
    return sum(1 for p in out_dir.rglob("*") if p.is_file() and not (staging / p.relative_to(out_dir)).exists())


def _swap(staging: Path, out_dir: Path) -> None:
    retired = out_dir.parent / f"{RETIRED_MARK}{out_dir.name}-{uuid.uuid4().hex[:8]}"
    if out_dir.exists():
        os.rename(out_dir, retired)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        if retired.exists() and not out_dir.exists():
            os.rename(retired, out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)
