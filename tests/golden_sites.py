"""Golden sites: fixture sites whose complete output is committed under tests/golden/<fixture>/.

`tests/test_golden.py` builds each one and compares it with its golden copy file by file;
`scripts/regenerate_golden.py` rewrites the copies when an output change is intended.
"""

from __future__ import annotations

from pathlib import Path

from conftest import TODAY, build_site, make_site

GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_FIXTURES = ("basic", "custom_theme")


def build_golden_site(fixture: str, scratch: Path) -> Path:
    """Build fixture site `fixture` as its golden copy is built; returns the output folder."""
    site = make_site(scratch, fixture)
    out = scratch / f"{fixture}-out"
    # A fixed day (stale marks, future articles), no Pagefind and no cache: the output is a
    # function of the fixture and sitegen alone.
    build_site(site, out_dir=out, today=TODAY, search=False, cache=False)
    return out
