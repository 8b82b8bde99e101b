"""After any ordinary edit, an incremental build equals a cold build, whatever the theme reads.

Two sites: `basic` with the default theme, and `custom_theme`, whose own layouts show site-wide
facts on every page (article, city and tag totals, each topic's count, the five newest titles,
大家都在搜) and, on article pages, every tag's count and the city's. Each edit is followed by a
build with the cache and a `--no-cache` build into another folder; the two trees must be equal
byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from conftest import TODAY, build_site, make_site, soup_of
from site_trees import describe_differences, tree

SITES = ["basic", "custom_theme"]
NEW_CITIES = ["成都", "武汉", "西安", "南京", "重庆", "天津", "苏州", "长沙"]


# --- ordinary edits, each choosing its article by `pick` --------------------------------------


def _front(path: Path, key: str) -> str | None:
    found = re.search(rf"^{key}:\s*(.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return found.group(1).strip() if found else None


def published(site: Path) -> list[Path]:
    """The articles a build publishes: no drafts, nothing dated after TODAY."""
    articles = []
    for path in sorted((site / "content").rglob("*.md")):
        if _front(path, "draft") != "true" and dt.date.fromisoformat(_front(path, "date") or "") <= TODAY:
            articles.append(path)
    return articles


def _tags(path: Path) -> list[str]:
    return [t.strip() for t in (_front(path, "tags") or "[]").strip("[]").split(",") if t.strip()]


def newest_first(site: Path) -> list[Path]:
    return sorted(published(site), key=lambda p: (_front(p, "date") or "", p.name), reverse=True)


def _replace_line(path: Path, key: str, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    text, found = re.subn(rf"^{key}:.*$", line, text, count=1, flags=re.MULTILINE)
    if not found:  # no such key yet: it goes before the closing ---
        head, rest = text[4:].split("\n---", 1)
        text = f"---\n{head}\n{line}\n---{rest}"
    path.write_text(text, encoding="utf-8")


def add_article_in_new_city(site: Path, pick: int) -> None:
    used = {_front(p, "city") for p in (site / "content").rglob("*.md")}
    city = next(c for c in NEW_CITIES[pick % len(NEW_CITIES) :] + NEW_CITIES if c not in used)
    model = published(site)[pick % len(published(site))]
    n = 1 + len(list((site / "content").rglob("*.md")))
    while (model.parent / f"xinzeng-{n}.md").exists():
        n += 1
    (model.parent / f"xinzeng-{n}.md").write_text(
        f"---\ntitle: {city}新增的第{n}篇健康资讯\ndate: 2026-0{1 + pick % 9}-1{pick % 10}\ncity: {city}\n"
        f"topic: {_front(model, 'topic')}\ntags: [{city}新闻, 异地就医]\n---\n{city}的参保人可以在当地医保服务中心咨询办理\u3002\n",
        encoding="utf-8",
    )


def edit_tags(site: Path, pick: int) -> None:
    """Drop the article's first tag and add one: another article's tag (its count grows), or a new one."""
    articles = published(site)
    article, other = articles[pick % len(articles)], articles[(pick + 1) % len(articles)]
    tags = _tags(article)
    added = next((t for t in _tags(other) if t not in tags), None) if pick % 2 == 0 else None
    _replace_line(article, "tags", f"tags: [{', '.join([*tags[1:], added or f'标签{pick % 5}'])}]")


def delete_article(site: Path, pick: int) -> None:
    articles = published(site)
    if len(articles) > 3:  # a site keeps something to list
        articles[pick % len(articles)].unlink()


def retitle_article(site: Path, pick: int) -> None:
    """Retitle one of the newest articles: pages that list the newest show its title."""
    article = newest_first(site)[pick % 3]
    _replace_line(article, "title", f"title: {_front(article, 'title')}\uff08修订{pick % 7}\uff09")


def move_date(site: Path, pick: int) -> None:
    """Date the article as the oldest or the newest, so it moves in every list it is in."""
    article = published(site)[pick % len(published(site))]
    date = dt.date(2025, 1 + pick % 9, 3) if pick % 2 else dt.date(2026, 6, 1 + pick % 20)
    _replace_line(article, "date", f"date: {date.isoformat()}")
    updated = _front(article, "updated")
    if updated and dt.date.fromisoformat(updated) < date:
        _replace_line(article, "updated", f"updated: {date.isoformat()}")


def edit_body(site: Path, pick: int) -> None:
    article = published(site)[pick % len(published(site))]
    with article.open("a", encoding="utf-8") as body:
        body.write(f"\n补充说明{pick}\uff1a以当地最新公布为准\u3002\n")


def retitle_site(site: Path, pick: int) -> None:
    toml = site / "site.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(re.sub(r'^title = "(.*)"$', lambda m: f'title = "{m.group(1)}{pick % 10}"', text, count=1, flags=re.MULTILINE), encoding="utf-8")


def add_hot_search(site: Path, pick: int) -> None:
    """A hot search naming a city (a link to its page) or no term at all (a link to search)."""
    toml = site / "site.toml"
    text = toml.read_text(encoding="utf-8")
    term = NEW_CITIES[pick % len(NEW_CITIES)] if pick % 2 else f"体检{pick}"
    text, found = re.subn(r"^hot_searches = \[(.*)\]$", lambda m: f'hot_searches = [{m.group(1)}, "{term}"]', text, count=1, flags=re.MULTILINE)
    assert found, "the fixture's site.toml lists hot_searches on one line"
    toml.write_text(text, encoding="utf-8")


class Edit(NamedTuple):
    name: str
    apply: Callable[[Path, int], None]


EDITS = [
    Edit("new article in a new city", add_article_in_new_city),
    Edit("tag edit", edit_tags),
    Edit("deleted article", delete_article),
    Edit("retitled article", retitle_article),
    Edit("date moves the article", move_date),
    Edit("body only", edit_body),
    Edit("site.toml title", retitle_site),
    Edit("new hot search", add_hot_search),
]


# Every edit, alone and all in a row, on both themes: a page's fingerprint comes from the facts
# its templates read (views.py), so no theme can read something its fingerprint does not cover.


def _edit_cases():
    for fixture in SITES:
        for name, edits in [*((e.name, [e]) for e in EDITS), ("all in a row", EDITS)]:
            yield pytest.param(fixture, edits, id=f"{name}-{fixture}")


# --- the comparison -----------------------------------------------------------------------------


def assert_incremental_equals_cold(site: Path, scratch: Path, step: str) -> None:
    """Rebuild with the cache, build cold into another folder, and compare the two trees."""
    build_site(site, search=False)
    cold = scratch / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    build_site(site, out_dir=cold, cache=False, search=False)
    incremental, expected = tree(site / "public"), tree(cold)
    if incremental != expected:
        pytest.fail(f"after {step}:\n" + describe_differences(incremental, expected, "incremental", "cold"), pytrace=False)


def test_custom_theme_shows_site_wide_facts_on_every_page(tmp_path: Path) -> None:
    site = make_site(tmp_path, "custom_theme")
    build_site(site, search=False)
    public = site / "public"
    pages = sorted(public.rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        soup = soup_of(page)
        assert soup.select_one(".colophon .totals").get_text() == "共 12 篇文章\uff0c覆盖 4 个城市\uff0c17 个标签", page
        assert [dd.get_text() for dd in soup.select(".topic-counts dd")] == ["5 篇", "4 篇", "3 篇"], page
        assert len(soup.select(".newest li")) == 5, page
        assert [a.get_text() for a in soup.select(".hot a")] == ["1. 异地就医", "2. 疫苗接种", "3. 血压"], page
    article = soup_of(public / "yibao/shenzhen-yidi-beian/index.html")
    assert len(article.select(".disclaimer")) == 1
    assert "\uff08本城市共 4 篇\uff09" in article.select_one(".kicker").get_text()
    assert [a.get_text() for a in article.select(".story-tags a")] == ["异地就医\uff082\uff09", "备案\uff081\uff09"]
    assert len(article.select(".see-also .entry")) == 4
    assert (public / "css/theme.css").is_file()


@pytest.mark.parametrize(("fixture", "edits"), list(_edit_cases()))
def test_incremental_build_equals_cold_build_after_edit(tmp_path: Path, fixture: str, edits: list[Edit]) -> None:
    site = make_site(tmp_path, fixture)
    build_site(site, search=False)
    for number, edit in enumerate(edits):
        edit.apply(site, number)
        assert_incremental_equals_cold(site, tmp_path, edit.name)


@pytest.mark.parametrize("fixture", ["basic", "custom_theme"])
# Each example runs a dozen builds: a few examples, no shrinking (a failure names its edits).
@settings(max_examples=4, deadline=None, database=None, phases=[Phase.explicit, Phase.generate])
@given(steps=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 1000)), min_size=5, max_size=8))
def test_incremental_build_equals_cold_build_after_random_edits(fixture: str, steps: list[tuple[Edit, int]]) -> None:
    with tempfile.TemporaryDirectory(prefix="sitegen-edits-") as scratch:
        site = make_site(Path(scratch), fixture)
        build_site(site, search=False)
        done = []
        for edit, pick in steps:
            edit.apply(site, pick)
            done.append(f"{edit.name} ({pick})")
            assert_incremental_equals_cold(site, Path(scratch), " \u2192 ".join(done))
