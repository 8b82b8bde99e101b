"""Rebuild the golden sites under tests/golden/ on purpose, after an intended output change.

    .venv/bin/python scripts/regenerate_golden.py            # every golden site
    .venv/bin/python scripts/regenerate_golden.py basic      # only tests/golden/basic/

Each fixture in tests/golden_sites.GOLDEN_FIXTURES is built as tests/test_golden.py builds it
(a fixed today, search off, no cache) and its output replaces tests/golden/<fixture>/. Review
`git diff tests/golden/` before committing: that diff is the change every reader will see.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from golden_sites import GOLDEN, GOLDEN_FIXTURES, build_golden_site
from site_trees import differing_files, tree


def regenerate(fixture: str) -> list[str]:
    """Replace tests/golden/<fixture>/ with a fresh build; returns the paths that changed."""
    golden = GOLDEN / fixture
    with tempfile.TemporaryDirectory(prefix="sitegen-golden-") as scratch:
        out = build_golden_site(fixture, Path(scratch))
        changed = differing_files(tree(out), tree(golden) if golden.is_dir() else {})
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(out, golden)
    return changed


def main(argv: list[str]) -> int:
    fixtures = argv or list(GOLDEN_FIXTURES)
    unknown = [name for name in fixtures if name not in GOLDEN_FIXTURES]
    if unknown:
        print(f"unknown golden site(s): {', '.join(unknown)}; known: {', '.join(GOLDEN_FIXTURES)}", file=sys.stderr)
        return 2
    for fixture in fixtures:
        changed = regenerate(fixture)
        print(f"tests/golden/{fixture}/: {len(changed)} file(s) changed")
        for path in changed:
            print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
