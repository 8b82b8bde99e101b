"""What a page depends on is what its templates read through the views: a tag linked by name and
URL does not depend on how many articles carry it, a list of tags with their counts does."""

from __future__ import annotations

from pathlib import Path

from conftest import build_site, make_site
from sitegen.cache import CACHE_DIR, BuildCache


def test_a_page_that_links_a_tag_does_not_read_its_count(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")  # the default theme: article pages link their tags, without counts
    build_site(site)
    reads = {path: record.reads for path, record in BuildCache.load(site / CACHE_DIR).outputs.items()}
    articles = [p for p, keys in reads.items() if any(k.startswith("t:tag:") for k in keys) and any(k.startswith("r:") for k in keys)]
    assert articles
    for page in articles:
        assert not [k for k in reads[page] if k.startswith("tc:tag:")], page
    assert any(k.startswith("tc:tag:") for k in reads["tags/index.html"])  # it shows each tag's count
