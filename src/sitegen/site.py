"""Stage 4: build the site model from validated articles and their rendered bodies.

Assigns URLs, groups articles into topics, cities and tags (one pass, one function for all three),
ranks 相关推荐, picks 大家都在搜, and rewrites links to other articles' Markdown files.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass, replace
from html import unescape
from typing import Iterable, Sequence
from urllib.parse import quote, unquote, urlsplit

from .config import SiteConfig, TermSettings
from .content import ArticleSource
from .errors import Problem
from .markdown import RenderedBody
from .model import Article, Link, Params, Site, Term
from .related import RelatedInput, related_articles
from .slugs import slugify
from .text import make_excerpt


@dataclass(frozen=True)
class SiteModelResult:
    site: Site
    problems: list[Problem]  # errors: the build must stop
    warnings: list[Problem]


def base_path(config: SiteConfig) -> str:
    """The path part of base_url without its trailing slash: '' or '/health'."""
    return urlsplit(config.base_url).path.rstrip("/")


def build_site(
    config: SiteConfig,
    sources: Sequence[ArticleSource],
    bodies: Sequence[RenderedBody],
    *,
    build_date: dt.date,
    search: bool = True,
) -> SiteModelResult:
    """Assemble the site model; report URL collisions as errors naming both files."""
    prefix = base_path(config)
    problems: list[Problem] = []
    warnings: list[Problem] = []

    # Newest first, ties by file path, so every listing and every id is deterministic.
    order = sorted(range(len(sources)), key=lambda i: (-sources[i].front_matter.date.toordinal(), sources[i].path))
    term_slugs: dict[str, dict[str, str]] = {"topic": {}, "city": {}, "tag": {}}
    for kind, settings in (("topic", config.topics), ("city", config.cities)):
        for term in settings:
            term_slugs[kind][term.name] = term.slug or slugify(term.name)

    def term_slug(kind: str, name: str) -> str:
        if name not in term_slugs[kind]:
            term_slugs[kind][name] = slugify(name) or "x-" + quote(name.encode("utf-8").hex()[:16])
        return term_slugs[kind][name]

    url_owner: dict[str, str] = {}
    articles: list[Article] = []
    for new_id, index in enumerate(order):
        source, body = sources[index], bodies[index]
        fm = source.front_matter
        url = prefix + config.permalink.format(
            slug=source.slug,
            topic=term_slug("topic", fm.topic),
            city=term_slug("city", fm.city),
            year=f"{fm.date.year:04d}",
            month=f"{fm.date.month:02d}",
            day=f"{fm.date.day:02d}",
        )
        if url in url_owner:
            problems.append(Problem(source.path, None, f"网址 {url} 与 {url_owner[url]} 重复;请在其中一篇的头部信息中设置不同的 slug"))
            continue
        url_owner[url] = source.path
        articles.append(
            Article(
                id=len(articles),
                source_path=source.path,
                slug=source.slug,
                url=url,
                title=fm.title,
                date=fm.date,
                updated=fm.updated,
                city=fm.city,
                topic=fm.topic,
                tags=tuple(fm.tags),
                excerpt=fm.summary or make_excerpt(body.text, config.excerpt_length),
                body_html=body.html,
                headings=body.headings,
                characters=body.characters,
                disclaimer=_disclaimer(config, fm.topic, fm.city),
                draft=fm.draft,
                aliases=tuple(fm.aliases),
                params=Params(source.params),
            )
        )
    kept_bodies = [bodies[order[i]] for i in range(len(order))]
    by_path = {a.source_path: a for a in articles}
    body_of = {sources[order[i]].path: kept_bodies[i] for i in range(len(order))}

    articles = [_with_resolved_links(a, body_of[a.source_path], by_path, warnings) for a in articles]

    topics = _terms("topic", config.taxonomies.topics, articles, lambda a: [a.topic], config.topics, term_slug, prefix)
    cities = _terms("city", config.taxonomies.cities, articles, lambda a: [a.city], config.cities, term_slug, prefix)
    tags = _terms("tag", config.taxonomies.tags, articles, lambda a: a.tags, [], term_slug, prefix)
    for kind, terms in (("栏目", topics), ("城市", cities), ("标签", tags)):
        problems.extend(_term_slug_collisions(kind, terms, articles))

    related = related_articles(
        [
            RelatedInput(a.title, a.topic, a.city, a.tags, a.date.toordinal(), body_of[a.source_path].sketch)
            for a in articles
        ],
        config.related,
    )
    site = Site(
        config=config,
        articles=tuple(articles),
        topics=topics,
        cities=cities,
        tags=tags,
        related=tuple(tuple(r) for r in related),
        hot_searches=(),
        build_date=build_date,
        search=search,
    )
    site = _with_hot_searches(site, prefix)
    return SiteModelResult(site, problems, warnings)


def _disclaimer(config: SiteConfig, topic: str, city: str) -> str:
    for term in (config.topic(topic), config.city(city)):
        if term is not None and term.disclaimer:
            return config.disclaimer.variants[term.disclaimer]
    return config.disclaimer.default


def _terms(
    kind: str,
    url_prefix: str,
    articles: Sequence[Article],
    names_of,
    settings: Sequence[TermSettings],
    term_slug,
    prefix: str,
) -> tuple[Term, ...]:
    """Group articles by one taxonomy in one pass; known terms keep their configured order of ties."""
    members: dict[str, list[int]] = {}
    for article in articles:  # articles are newest first, so every list is too
        for name in names_of(article):
            members.setdefault(name, []).append(article.id)
    known = {t.name: t for t in settings}
    terms = []
    for name, ids in members.items():
        setting = known.get(name)
        slug = term_slug(kind, name)
        terms.append(
            Term(
                kind=kind,
                name=name,
                title=(setting.title if setting and setting.title else name),
                slug=slug,
                url=f"{prefix}/{url_prefix}/{slug}/",
                description=setting.description if setting else "",
                article_ids=tuple(ids),
                policy=bool(setting and setting.policy),
            )
        )
    rank = {t.name: i for i, t in enumerate(settings)}
    terms.sort(key=lambda t: (-t.count, rank.get(t.name, len(rank)), t.slug))
    return tuple(terms)


def _term_slug_collisions(kind: str, terms: Iterable[Term], articles: Sequence[Article]) -> list[Problem]:
    owner: dict[str, Term] = {}
    problems = []
    for term in terms:
        if term.slug in owner:
            other = owner[term.slug]
            first = articles[term.article_ids[0]].source_path
            second = articles[other.article_ids[0]].source_path
            problems.append(
                Problem(first, None, f"{kind}“{term.name}”与{kind}“{other.name}”({second})的网址都是 {term.url};请在 site.toml 中为其一设置 slug")
            )
        else:
            owner[term.slug] = term
    return problems


_HREF = re.compile(r'href="([^"]*)"')


def _with_resolved_links(
    article: Article, body: RenderedBody, by_path: dict[str, Article], warnings: list[Problem]
) -> Article:
    """Point links to other articles' `.md` files at those articles' URLs, as Hugo's ref does."""
    if not any(".md" in link for link in body.links):
        return article
    folder = posixpath.dirname(article.source_path)

    def resolve(match: re.Match) -> str:
        href = unescape(match.group(1))
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
            return match.group(0)
        target = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
        if parts.path.startswith("/"):
            target = posixpath.normpath("content" + unquote(parts.path))
        linked = by_path.get(target)
        if linked is None:
            warnings.append(Problem(article.source_path, None, f"链接 {href} 指向的文章不存在或未发布"))
            return match.group(0)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return f'href="{linked.url}{fragment}"'

    return replace(article, body_html=_HREF.sub(resolve, article.body_html))


def _with_hot_searches(site: Site, prefix: str) -> Site:
    """大家都在搜 from site.toml, else the most used tags; never an empty list while articles exist."""
    config = site.config
    links: list[Link] = []
    by_name = {}
    for term in (*site.tags, *site.cities, *site.topics):
        by_name[term.name] = term
    for text in config.hot_searches:
        term = by_name.get(text)
        if term is not None:
            links.append(Link(text, term.url))
        else:
            links.append(Link(text, f"{prefix}/search/?q={quote(text)}"))
    if not links:
        terms = list(site.tags) or list(site.topics)
        links = [Link(t.name, t.url) for t in terms[: config.hot_searches_count]]
    return replace(site, hot_searches=tuple(links))
