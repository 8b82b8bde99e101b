"""The complete output of the golden fixture sites is exactly the one committed under tests/golden/."""

from __future__ import annotations

from pathlib import Path

import pytest

from golden_sites import GOLDEN, GOLDEN_FIXTURES, build_golden_site
from site_trees import describe_differences, tree

REGENERATE = "If this change of the output is intended, run `.venv/bin/python scripts/regenerate_golden.py` and commit the diff of tests/golden/."


@pytest.mark.parametrize("fixture", GOLDEN_FIXTURES)
def test_output_equals_golden_site(tmp_path: Path, fixture: str) -> None:
    golden = GOLDEN / fixture
    assert golden.is_dir(), f"tests/golden/{fixture}/ is missing. {REGENERATE}"
    built, expected = tree(build_golden_site(fixture, tmp_path)), tree(golden)
    if built != expected:
        pytest.fail(describe_differences(built, expected, "built", f"golden/{fixture}") + "\n\n" + REGENERATE, pytrace=False)


def test_golden_sites_are_whole_sites() -> None:
    for fixture in GOLDEN_FIXTURES:
        files = tree(GOLDEN / fixture)
        assert {"index.html", "404.html", "sitemap.xml", "feed.xml", "robots.txt"} <= files.keys(), fixture
        assert not any(path.startswith(".sitegen") for path in files), fixture  # no cache or staging left in
