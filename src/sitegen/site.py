"""Stage 4: build the site model from validated articles and their rendered bodies.

Assigns URLs, groups articles into topics, cities and tags (one pass, one function for all three),
ranks 相关推荐， picks 大家都在搜， and resolves links to other articles' Markdown files. It needs
the facts of each rendered body (text, links, sketch), never the body's HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
from dataclasses import dataclass, replace
from typing import Iterable, Sequence
from urllib.parse import quote, unquote, urlsplit

from .config import SiteConfig, TermSettings
from .content import ArticleSource
from .errors import Problem
from .markdown import RenderedBody
from .model import Article, Link, Params, Site, Term
from .related import RelatedInput, related_articles
from .slugs import is_safe_slug, term_slug as name_slug


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
    rank=related_articles,
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
            term_slugs[kind][term.name] = term.slug or name_slug(term.name)

    def term_slug(kind: str, name: str) -> str:
        if name not in term_slugs[kind]:
            term_slugs[kind][name] = name_slug(name)
        return term_slugs[kind][name]

    # The disclaimer depends on a handful of (topic, city) pairs, staleness only on policy topics.
    disclaimer = functools.lru_cache(maxsize=None)(lambda topic, city: _disclaimer(config, topic, city))
    policy_topics = {term.name for term in config.topics if term.policy}

    def is_stale(topic: str, checked: dt.date) -> bool:
        return topic in policy_topics and _is_stale(config, topic, checked, build_date)

    url_owner: dict[str, str] = {}
    articles: list[Article] = []
    for index in order:
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
            problems.append(Problem(source.path, None, f"网址 {url} 与 {url_owner[url]} 重复；请在其中一篇的头部信息中设置不同的 slug"))
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
                excerpt=fm.summary or body.excerpt,
                content_hash=source.content_hash,
                characters=body.characters,
                disclaimer=disclaimer(fm.topic, fm.city),
                draft=fm.draft,
                aliases=tuple(fm.aliases),
                stale=is_stale(fm.topic, fm.updated or fm.date),
                params=Params(source.params),
            )
        )
    by_path = {a.source_path: a for a in articles}
    body_of = {sources[i].path: bodies[i] for i in order}

    articles = [_with_resolved_links(a, body_of[a.source_path], by_path, warnings) for a in articles]

    topics = _terms("topic", config.taxonomies.topics, articles, lambda a: [a.topic], config.topics, term_slug, prefix)
    cities = _terms("city", config.taxonomies.cities, articles, lambda a: [a.city], config.cities, term_slug, prefix)
    tags = _terms("tag", config.taxonomies.tags, articles, lambda a: a.tags, [], term_slug, prefix)
    for kind, terms in (("栏目", topics), ("城市", cities), ("标签", tags)):
        problems.extend(_term_slug_collisions(kind, terms, articles))
    problems.extend(_taxonomy_prefix_problems(config))
    problems.extend(_article_url_collisions(config, articles, (topics, cities, tags), prefix, search))

    related = rank(
        [
            RelatedInput(a.title, a.topic, a.city, a.tags, a.date.toordinal(), body_of[a.source_path].sketch, a.content_hash)
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
    redirects, alias_problems = _redirects(articles, prefix)
    problems.extend(alias_problems)
    site = replace(site, redirects=redirects)
    return SiteModelResult(site, problems, warnings)


def _redirects(articles: Sequence[Article], prefix: str) -> tuple[tuple[tuple[str, str], ...], list[Problem]]:
    """The old URLs that `aliases` keep alive, each pointing at its article; two claims are an error."""
    claimed: dict[str, Article] = {}
    problems: list[Problem] = []
    for article in articles:
        for alias in article.aliases:
            path = alias.strip().strip("/")
            parts = path.split("/")
            if (
                not path
                or "://" in alias
                # * : ! mean splat, placeholder and force in Netlify's _redirects
                or any(c.isspace() or c in "\\\0?#%*:!" for c in path)
                or any(part in ("", ".", "..") for part in parts)
            ):
                problems.append(Problem(article.source_path, None, f"aliases: {alias!r} 不是有效的旧网址；请写成站内路径，例如 aliases: [yibao/old-name/]"))
                continue
            url = f"{prefix}/{path}/"
            if url == article.url:
                continue
            if url in claimed and claimed[url] is not article:
                problems.append(
                    Problem(article.source_path, None, f"aliases: {url} 已被 {claimed[url].source_path} 使用；一个旧网址只能指向一篇文章")
                )
                continue
            claimed[url] = article
    return tuple(sorted((url, article.url) for url, article in claimed.items())), problems


def _is_stale(config: SiteConfig, topic: str, checked: dt.date, today: dt.date) -> bool:
    settings = config.topic(topic)
    if settings is None or not settings.policy:
        return False
    months = (today.year - checked.year) * 12 + today.month - checked.month - (today.day < checked.day)
    return months >= config.policy_max_age_months


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
                Problem(first, None, f"{kind}“{term.name}”与{kind}“{other.name}”\uff08{second}\uff09的网址都是 {term.url}；请在 site.toml 中为其一设置 slug")
            )
        else:
            owner[term.slug] = term
    return problems


_KIND_NAMES = {"topic": "栏目", "city": "城市", "tag": "标签"}
_TAXONOMY_KEYS = {"topic": "topics", "city": "cities", "tag": "tags"}
_FIXED_FOLDERS = ("articles", "search", "pagefind")  # /articles/, /search/ and Pagefind's index


def _taxonomy_prefix_problems(config: SiteConfig) -> list[Problem]:
    """Each index folder in [taxonomies] must be one safe path segment, distinct from the others."""
    problems = []
    seen: dict[str, str] = {}
    for key in ("topics", "cities", "tags"):
        value = getattr(config.taxonomies, key)
        if not is_safe_slug(value):
            problems.append(Problem("site.toml", None, f"taxonomies.{key} = {value!r} 不是安全的目录名；只能用小写字母\u3001数字和连字符，例如 {key}"))
        elif value in seen:
            problems.append(Problem("site.toml", None, f"taxonomies.{key} 与 taxonomies.{seen[value]} 都是 {value!r}，两类索引页会互相覆盖；请改用不同的名字"))
        elif value in _FIXED_FOLDERS:
            problems.append(Problem("site.toml", None, f"taxonomies.{key} = {value!r} 与站点自带的 /{value}/ 重名；请换一个名字"))
        seen.setdefault(value, key)
    return problems


def _article_url_collisions(
    config: SiteConfig,
    articles: Sequence[Article],
    term_groups: Iterable[Sequence[Term]],
    prefix: str,
    search: bool,
) -> list[Problem]:
    """An article whose URL is also a listing, index or search page would overwrite it: an error."""
    pages: dict[str, str] = {f"{prefix}/": "首页", f"{prefix}/search/": "搜索页"}

    def listing(url: str, count: int, owner: str) -> None:
        pages[url] = owner
        for number in range(2, -(-count // config.paginate) + 1):
            pages[f"{url}page/{number}/"] = f"{owner}第 {number} 页"

    listing(f"{prefix}/articles/", len(articles), "全部文章列表")
    for terms in term_groups:
        for term in terms:
            pages.setdefault(f"{prefix}/{getattr(config.taxonomies, _TAXONOMY_KEYS[term.kind])}/", f"全部{_KIND_NAMES[term.kind]}页")
            first = articles[term.article_ids[0]].source_path
            listing(term.url, term.count, f"{_KIND_NAMES[term.kind]}\u201c{term.name}\u201d的列表页\uff08来自 {first}\uff09")
    problems = []
    for article in articles:
        owner = pages.get(article.url)
        if owner is None and search and article.url.startswith(f"{prefix}/pagefind/"):
            owner = "搜索索引目录 /pagefind/"
        if owner is not None:
            problems.append(
                Problem(article.source_path, None, f"网址 {article.url} 与{owner}重复；请在头部信息中设置不同的 slug 或 topic")
            )
    return problems


def _with_resolved_links(
    article: Article, body: RenderedBody, by_path: dict[str, Article], warnings: list[Problem]
) -> Article:
    """Find the pages that links to other articles' `.md` files point at, as Hugo's ref does."""
    if not any(".md" in link for link in body.links):
        return article
    folder = posixpath.dirname(article.source_path)
    targets: dict[str, str] = {}
    for href in body.links:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
            continue
        if parts.path.startswith("/"):
            target = posixpath.normpath("content" + unquote(parts.path))
        else:
            target = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
        linked = by_path.get(target)
        if linked is None:
            warnings.append(Problem(article.source_path, None, f"链接 {href} 指向的文章不存在或未发布"))
            continue
        targets[href] = linked.url + (f"#{parts.fragment}" if parts.fragment else "")
    return replace(article, link_targets=tuple(sorted(targets.items())))


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
