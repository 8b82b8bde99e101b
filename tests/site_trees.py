"""Built sites as trees of files, and readable reports of how two trees differ."""

from __future__ import annotations

import difflib
from pathlib import Path


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative POSIX path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def differing_files(actual: dict[str, bytes], expected: dict[str, bytes]) -> list[str]:
    """Paths present in only one tree or with other bytes, sorted."""
    return sorted(path for path in actual.keys() | expected.keys() if actual.get(path) != expected.get(path))


def describe_differences(actual: dict[str, bytes], expected: dict[str, bytes], actual_name: str, expected_name: str, diffs: int = 3) -> str:
    """Which files differ, then a unified diff of the first `diffs` of them."""
    paths = differing_files(actual, expected)
    lines = [f"{len(paths)} of {len(actual.keys() | expected.keys())} files differ ({actual_name} vs {expected_name}):"]
    for path in paths:
        where = "only in " + expected_name if path not in actual else "only in " + actual_name if path not in expected else "bytes differ"
        lines.append(f"  {path}: {where}")
    for path in [p for p in paths if p in actual and p in expected][:diffs]:
        lines.append("")
        lines.extend(_unified(path, expected[path], actual[path], expected_name, actual_name))
    return "\n".join(lines)


def _unified(path: str, expected: bytes, actual: bytes, expected_name: str, actual_name: str) -> list[str]:
    try:
        old, new = expected.decode("utf-8").splitlines(), actual.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return [f"{path}: binary files differ ({len(expected)} and {len(actual)} bytes)"]
    diff = list(difflib.unified_diff(old, new, f"{expected_name}/{path}", f"{actual_name}/{path}", lineterm="", n=2))
    return diff[:80] + ([f"... {len(diff) - 80} more diff lines"] if len(diff) > 80 else [])
