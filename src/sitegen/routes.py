"""Stage 5: the route table, every output file the site model asks for, planned in one place.

Each kind of output (article, page, listing, term index, feed…) has one planner here; adding a
kind of page means adding a row to `PLANNERS` and a renderer for it (render.py), nothing else.
A route names the facts it is made from before any template runs (`needs`, see views.py); the
facts its templates read are added when it is rendered, and the two together fingerprint it.
URL collisions between any two routes are found here, once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from typing import NamedTuple

from .errors import Problem
from .images import is_image, resource_path
from .model import Article, Site, Term, output_path
from .site import base_path
from .views import (
    ALL_ARTICLES,
    ALL_PEOPLE,
    REDIRECTS,
    article_key,
    hot_results_key,
    image_key,
    page_key,
    person_articles_key,
    person_key,
    term_articles_key,
    term_key,
    terms_key,
)  # fmt: skip


class Route(NamedTuple):
    """One output file: where it goes, what renders it, what it is made of, what the sitemap says.

    A named tuple, not a dataclass: a big site plans 130,000 of them on every build.
    """

    path: str  # relative to the output folder
    kind: str  # a key of PLANNERS and of PageRenderer's renderers
    key: tuple = ()  # which one: (article id,), (taxonomy, term name, page number)…
    needs: tuple[str, ...] = ()  # facts the route is made from before its templates read any
    url: str | None = None  # set for pages the sitemap lists
    lastmod: dt.date | None = None
    images: tuple[str, ...] = ()  # the sitemap's <image:loc> of the page: its cover


def page_count(items: int, per_page: int) -> int:
    return max(1, math.ceil(items / per_page))


def _articles(site: Site, prefix: str) -> Iterator[Route]:
    for article in site.articles:
        cover = _cover_url(site, article)
        yield Route(output_path(article.url, prefix), "article", (article.id,), (article_key(article),), article.url, article.modified, cover)


def _cover_url(site: Site, article: Article) -> tuple[str, ...]:
    cover = article.cover
    if cover is None:
        return ()
    picture = site.images.get(cover.key)
    if picture is None:
        return (cover.url,) if not cover.key else ()
    return (site.absolute_url(picture.fallback[-1].url),)


def _images(site: Site, prefix: str) -> Iterator[Route]:
    """Every variant of every image a page shows, and each page bundle's files beside its page."""
    shown = {a.cover.key for a in site.articles if a.cover is not None and a.cover.key}
    shown |= {key for a in site.articles for _, key in a.images} | ({site.share_image} if site.share_image else set())
    shown |= {key for a in site.articles for _, key in a.resources if is_image(key)}
    planned: set[str] = set()
    for key in sorted(shown & site.images.keys()):
        picture = site.images[key]
        for variant in picture.variants:
            if variant.path not in planned:  # the same bytes in two bundles: one file
                planned.add(variant.path)
                yield Route(variant.path, "image", (key, variant.name), (image_key(key),))
    for article in site.articles:
        for name, key in article.resources:
            needs = (image_key(key),) if key in site.images else ()
            yield Route(resource_path(article, name, prefix), "resource", (article.id, key), needs or (f"missing:{key}",))


def _pages(site: Site, prefix: str) -> Iterator[Route]:
    for number, page in enumerate(site.pages):
        yield Route(output_path(page.url, prefix), "page", (number,), (page_key(page),), page.url, page.updated)


def _newest(site: Site) -> dt.date:
    return site.articles[0].modified if site.articles else site.build_date


def _home(site: Site, prefix: str) -> Iterator[Route]:
    yield Route("index.html", "home", (), (ALL_ARTICLES,), f"{prefix}/", _newest(site))


def _listing(site: Site, prefix: str, term: Term | None, url: str, ids) -> Iterator[Route]:
    per_page = site.config.paginate
    needs = (term_key(term), term_articles_key(term)) if term else (ALL_ARTICLES,)
    for number in range(1, page_count(len(ids), per_page) + 1):
        first = ids[(number - 1) * per_page] if ids else None
        page_url = url if number == 1 else f"{url}page/{number}/"
        lastmod = site.articles[first].modified if first is not None else site.build_date
        key = (term.kind, term.name, number) if term else ("", "", number)
        yield Route(output_path(page_url, prefix), "listing", key, needs, page_url, lastmod)


def _all_articles(site: Site, prefix: str) -> Iterator[Route]:
    yield from _listing(site, prefix, None, f"{prefix}/articles/", range(len(site.articles)))


def _taxonomies(site: Site, prefix: str) -> Iterator[Route]:
    newest = _newest(site)
    for taxonomy in site.taxonomies:
        yield Route(output_path(taxonomy.url, prefix), "terms", (taxonomy.key,), (terms_key(taxonomy.key),), taxonomy.url, newest)
        for term in site.terms[taxonomy.key]:
            yield from _listing(site, prefix, term, term.url, term.article_ids)


def _people(site: Site, prefix: str) -> Iterator[Route]:
    """/people/ lists everyone; /people/<id>/ one person and what they wrote or reviewed, paginated."""
    if not site.people:
        return
    newest = _newest(site)
    yield Route(output_path(f"{prefix}/people/", prefix), "people", (), (ALL_PEOPLE,), f"{prefix}/people/", newest)
    per_page = site.config.paginate
    for person in site.people:
        ids = site.person_articles.get(person.id, ())
        needs = (person_key(person.id), person_articles_key(person.id))
        for number in range(1, page_count(len(ids), per_page) + 1):
            url = person.page_url if number == 1 else f"{person.page_url}page/{number}/"
            first = ids[(number - 1) * per_page] if ids else None
            lastmod = site.articles[first].last_modified if first is not None else site.build_date
            yield Route(output_path(url, prefix), "person", (person.id, number), needs, url, lastmod)


def _fixed(site: Site, prefix: str) -> Iterator[Route]:
    yield Route("search/index.html", "search")
    # A results page for each 大家都在搜 term that is no topic, city or tag (hot_searches.py);
    # kept out of the sitemap like the search page itself.
    for number, results in enumerate(site.hot_results):
        yield Route(output_path(results.url, prefix), "search", (number,), (hot_results_key(results.text),))
    yield Route("404.html", "404")
    if site.redirects:
        yield Route("_redirects", "redirects", (), (REDIRECTS,))


def _indexnow_key(site: Site, prefix: str) -> Iterator[Route]:
    """`<key>.txt` at the output root, holding the `[indexnow]` key: how IndexNow checks a push is the site's."""
    if key := site.config.indexnow.key:
        # The fact is named after the key: SiteFacts has no fact for it, and the settings leave
        # it out (config.SiteConfig.indexnow), so the name is what changes the fingerprint.
        yield Route(f"{key}.txt", "indexnow key", (key,), (f"indexnow:{key}",))


def _alias_pages(site: Site, prefix: str) -> Iterator[Route]:
    """With `[redirects] html = true`, a page at each old URL that sends the reader on (for hosts without _redirects)."""
    if not site.config.redirects.html:
        return
    for old, new in site.redirects:
        yield Route(output_path(old, prefix), "alias", (old, new), (REDIRECTS,))


def _feeds(site: Site, prefix: str) -> Iterator[Route]:
    count = site.config.feed_articles
    entries = tuple(article_key(a) for a in site.articles[:count])
    yield Route("feed.xml", "feed", ("", ""), (ALL_ARTICLES, *entries))
    for taxonomy in site.taxonomies:
        if not taxonomy.feeds:
            continue
        for term in site.terms[taxonomy.key]:
            if term.feed_url is None:
                continue
            entries = tuple(article_key(site.articles[i]) for i in term.article_ids[:count])
            needs = (term_key(term), term_articles_key(term), *entries)
            yield Route(output_path(term.feed_url, prefix), "feed", (term.kind, term.name), needs)


# The route table: every kind of output and the planner that lists its files, in output order.
PLANNERS: tuple[tuple[str, Callable[[Site, str], Iterator[Route]]], ...] = (
    ("articles", _articles),
    ("pages", _pages),
    ("home", _home),
    ("all articles", _all_articles),
    ("taxonomies", _taxonomies),
    ("people", _people),
    ("fixed pages", _fixed),
    ("IndexNow key file", _indexnow_key),
    ("alias pages", _alias_pages),
    ("feeds", _feeds),
    ("images", _images),
)


def plan_routes(site: Site) -> list[Route]:
    """Every output file of the site but the sitemap, robots.txt and static files, in output order."""
    prefix = base_path(site.config)
    return [route for _, planner in PLANNERS for route in planner(site, prefix)]


def shared_paths(site: Site, routes: list[Route]) -> list[Problem]:
    """Two routes may never write one file (Pelican's writer refuses the same): one problem per clash."""
    owner: dict[str, Route] = {}
    problems = []
    for route in routes:
        other = owner.setdefault(route.path, route)
        if other is not route:
            names = [_source_of(site, r) for r in (other, route)]
            problems.append(Problem(names[1], None, f"与 {names[0]} 会写到同一个文件 {route.path}\uff1b请修改其中一个的网址"))
    return problems


def _source_of(site: Site, route: Route) -> str:
    if route.kind == "article":
        return site.articles[route.key[0]].source_path
    if route.kind == "page":
        return site.pages[route.key[0]].source_path
    if route.kind in ("image", "resource"):
        return route.key[0] if route.kind == "image" else route.key[1]
    return route.url or route.path
