"""Builds with drafts, future articles or --noindex keep search engines out; ordinary builds do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import build_site, make_site, soup_of
from sitegen.cli import main

NOINDEX_RULE = "/*\n  X-Robots-Tag: noindex\n"


def robots_meta(page: Path) -> list[str]:
    return [tag.get("content") for tag in soup_of(page).find_all("meta", attrs={"name": "robots"})]


def assert_hidden(public: Path) -> None:
    pages = sorted(public.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        assert robots_meta(page) == ["noindex"], page
    assert (public / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nDisallow: /\n"
    assert (public / "_headers").read_text(encoding="utf-8").endswith(NOINDEX_RULE)


def assert_listed(public: Path) -> None:
    for page in public.rglob("*.html"):
        listed = page.relative_to(public).parts[0] not in ("search", "404.html")
        assert robots_meta(page) == ([] if listed else ["noindex"]), page
    robots = (public / "robots.txt").read_text(encoding="utf-8")
    assert "Allow: /" in robots and "Disallow" not in robots and "Sitemap:" in robots
    assert not (public / "_headers").exists()


@pytest.mark.parametrize("option", ["drafts", "future", "noindex"])
def test_a_build_with_unpublished_articles_or_noindex_keeps_search_engines_out(tmp_path: Path, option: str) -> None:
    site = make_site(tmp_path, "basic")
    build_site(site, **{option: True})
    assert_hidden(site / "public")


def test_an_ordinary_build_is_listed(built_basic: Path) -> None:
    assert_listed(built_basic)


def test_cached_pages_follow_the_switch_both_ways(tmp_path: Path) -> None:
    # Page fingerprints must cover noindex, or a rebuild would carry the other kind of page over.
    site = make_site(tmp_path, "basic")
    build_site(site)
    build_site(site, drafts=True)
    assert_hidden(site / "public")
    build_site(site)
    assert_listed(site / "public")


def test_the_sites_own_headers_file_is_kept_and_extended(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    (site / "static" / "_headers").write_text("/downloads/*\n  Content-Disposition: attachment", encoding="utf-8")
    build_site(site, noindex=True)
    assert (site / "public" / "_headers").read_text(encoding="utf-8") == "/downloads/*\n  Content-Disposition: attachment\n" + NOINDEX_RULE
    build_site(site)
    assert (site / "public" / "_headers").read_text(encoding="utf-8") == "/downloads/*\n  Content-Disposition: attachment"


def test_cli_build_noindex(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    result = CliRunner().invoke(main, ["build", "--site", str(site), "--noindex", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert_hidden(site / "public")
