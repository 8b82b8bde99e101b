"""The benchmark scripts are run by hand, so nothing else notices when a change breaks one.

Each must at least start (its imports from run.py and the library still exist), and the related
ranking's script must measure a small built site end to end.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_benchmark_script_starts(script: Path) -> None:
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_the_related_benchmark_measures_a_built_site(tmp_path: Path) -> None:
    site = tmp_path / "corpus"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), "120", "--out", str(site), "--shape", "skewed"], check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "related.py"), str(site), "--jobs", "1", "--repeat", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "120 articles" in done.stdout and "related lists" in done.stdout
    assert "quality 1.000" in done.stdout or "quality 0." in done.stdout
