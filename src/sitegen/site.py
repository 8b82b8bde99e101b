"""Stage 4: build the site model from validated articles and their rendered bodies.

Assigns URLs, groups articles into topics, cities and tags (one pass, one function for all three),
ranks 相关推荐， picks 大家都在搜， and resolves links to other articles' Markdown files. It needs
the facts of each rendered body (text, links, sketch), never the body's HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from .config import SiteConfig, Taxonomy, TermSettings
from .content import ArticleSource, PageSource
from .errors import Problem
from .hot_searches import result_urls
from .markdown import RenderedBody
from .model import Article, ArticleImage, ContentPage, HotResults, Link, MenuEntry, Params, Person, Site, Term
from .related import RelatedInput, related_articles
from .slugs import is_safe_slug
from .slugs import term_slug as name_slug
from .trust import LineOf, article_trust, no_lines, person_articles


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
    pages: Sequence[tuple[PageSource, RenderedBody | None]] = (),
    slugs: dict[str, str] | None = None,
    people: Sequence[Person] = (),
    lines: LineOf = no_lines,
) -> SiteModelResult:
    """Assemble the site model; report URL collisions as errors naming both files.

    `slugs` is the pinyin slug of every name seen before (name → slug), read and extended here:
    the build cache keeps it, so a known name needs no pinyin dictionary.
    `people` come from data/people.toml; `lines(source, key)` finds a front-matter key's line.
    """
    prefix = base_path(config)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    slugs = {} if slugs is None else slugs
    taxonomies = config.taxonomy_table(prefix)
    spelling = {t.key: _preferred_spellings(config.term_settings(t.key)) for t in taxonomies}

    # Newest first by date-time (same-day news by its time), ties by file path, so every listing
    # and every id is deterministic.
    zone = config.zone
    published = [source.front_matter.published_at(zone) for source in sources]
    order = sorted(range(len(sources)), key=lambda i: (-published[i].timestamp(), sources[i].path))
    term_slugs: dict[str, dict[str, str]] = {t.key: {} for t in taxonomies}
    for taxonomy in taxonomies:
        for term in config.term_settings(taxonomy.key):
            term_slugs[taxonomy.key][term.name] = term.slug or _slug_of(term.name, slugs)

    def term_slug(kind: str, name: str) -> str:
        if name not in term_slugs[kind]:
            term_slugs[kind][name] = _slug_of(name, slugs)
        return term_slugs[kind][name]

    # The disclaimer depends on a handful of (topic, city) pairs, staleness only on policy topics.
    disclaimer = functools.lru_cache(maxsize=None)(lambda topic, city: _disclaimer(config, topic, city))
    policy_topics = {term.name for term in config.topics if term.policy}

    def is_stale(topic: str, checked: dt.date) -> bool:
        return topic in policy_topics and _is_stale(config, topic, checked, build_date)

    people = tuple(replace(p, page_url=f"{prefix}/people/{p.id}/") for p in people)
    people_by_id = {p.id: p for p in people}
    url_owner: dict[str, str] = {}
    articles: list[Article] = []
    for index in order:
        source, body = sources[index], bodies[index]
        fm = source.front_matter
        day, updated_at = published[index].date(), fm.updated_at(zone)
        updated = updated_at.date() if updated_at is not None else None
        terms = _article_terms(source, taxonomies, spelling, problems, warnings)
        if terms is None:
            continue
        names = dict(terms)
        topic, city = names["topic"][0], names["city"][0]
        url = prefix + config.permalink.format(
            slug=source.slug,
            topic=term_slug("topic", topic),
            city=term_slug("city", city),
            year=f"{day.year:04d}",
            month=f"{day.month:02d}",
            day=f"{day.day:02d}",
        )
        if url in url_owner:
            problems.append(Problem(source.path, None, f"网址 {url} 与 {url_owner[url]} 重复；请在其中一篇的头部信息中设置不同的 slug"))
            continue
        url_owner[url] = source.path
        trust, trust_problems = article_trust(source, topic, day, updated, people_by_id, config, build_date, lines)
        problems.extend(trust_problems)
        articles.append(
            Article(
                id=len(articles),
                source_path=source.path,
                slug=source.slug,
                url=url,
                title=fm.title,
                date=day,
                updated=updated,
                city=city,
                topic=topic,
                tags=names["tag"],
                excerpt=fm.summary or body.excerpt,
                content_hash=source.content_hash,
                characters=body.characters,
                disclaimer=disclaimer(topic, city),
                draft=fm.draft,
                aliases=tuple(fm.aliases),
                stale=is_stale(topic, updated or day),
                params=Params(source.params),
                terms=terms,
                published=published[index],
                updated_at=updated_at,
                keywords=fm.keywords,
                cover=ArticleImage(fm.image, fm.image_alt or "", fm.image_caption or "") if fm.image else None,
                unlabelled_images=body.unlabelled_images,
                **trust.fields(),
            )
        )
    by_path = {a.source_path: a for a in articles}
    body_of = {sources[i].path: bodies[i] for i in order}

    articles = [_with_resolved_links(a, body_of[a.source_path], by_path, warnings) for a in articles]

    term_table: dict[str, tuple[Term, ...]] = {}
    for taxonomy in taxonomies:
        terms_of_kind = _terms(taxonomy, articles, config.term_settings(taxonomy.key), term_slug)
        term_table[taxonomy.key] = terms_of_kind
        problems.extend(_term_slug_collisions(taxonomy, terms_of_kind, articles))
    problems.extend(_taxonomy_prefix_problems(taxonomies))
    content_pages = _content_pages(pages, prefix, problems)
    problems.extend(_article_url_collisions(config, articles, taxonomies, term_table, content_pages, prefix, search))

    weighted = [t for t in taxonomies if t.weight > 0]
    related = rank(
        [
            RelatedInput(
                a.title, a.topic, a.city,
                # Custom taxonomies with a weight count as tags (named apart, so 骨科 the 科室
                # is not 骨科 the tag).
                a.tags + tuple(f"{t.key}\0{name}" for t in weighted for name in dict(a.terms).get(t.key, ())),
                a.date.toordinal(), body_of[a.source_path].sketch, a.content_hash,
            )
            for a in articles
        ],
        config.related,
    )  # fmt: skip
    site = Site(
        config=config,
        articles=tuple(articles),
        taxonomies=taxonomies,
        terms=term_table,
        related=tuple(tuple(r) for r in related),
        hot_searches=(),
        build_date=build_date,
        search=search,
        pages=content_pages,
        menus=_menus(config, prefix),
        people=people,
        person_articles=person_articles(people, articles),
    )
    site = _with_hot_searches(site, prefix)
    redirects, alias_problems = _redirects(articles, prefix)
    problems.extend(alias_problems)
    site = replace(site, redirects=redirects)
    return SiteModelResult(site, problems, warnings)


def _slug_of(name: str, known: dict[str, str]) -> str:
    slug = known.get(name)
    if slug is None:
        slug = known[name] = name_slug(name)
    return slug


def _preferred_spellings(settings: Sequence[TermSettings]) -> dict[str, str]:
    """Every alias of a configured term, mapped to the term's name."""
    return {alias: term.name for term in settings for alias in term.aliases if alias != term.name}


def _article_terms(
    source: ArticleSource,
    taxonomies: Sequence[Taxonomy],
    spelling: dict[str, dict[str, str]],
    problems: list[Problem],
    warnings: list[Problem],
) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """The article's terms in every taxonomy, aliases folded into their names; None if malformed."""
    fm = source.front_matter
    found = []
    for taxonomy in taxonomies:
        # The built-in fields are validated by the front-matter schema; a custom one is read here.
        values: Any = getattr(fm, taxonomy.field) if hasattr(fm, taxonomy.field) else source.params.get(taxonomy.field, [])
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(
                Problem(source.path, None, f"{taxonomy.field}: 应为一个{taxonomy.name}名称或名称列表\uff0c例如 {taxonomy.field}: [骨科]")
            )
            return None
        names: list[str] = []
        for value in (v.strip() for v in values):
            name = spelling[taxonomy.key].get(value, value)
            if name != value:
                warnings.append(
                    Problem(source.path, None, f"{taxonomy.field}: \u201c{value}\u201d是{taxonomy.name}\u201c{name}\u201d的另一种写法\uff0c已按\u201c{name}\u201d归类\uff1b建议直接写\u201c{name}\u201d", "warning")
                )
            if value and name not in names:
                names.append(name)
        found.append((taxonomy.key, tuple(names)))
    return tuple(found)


def _content_pages(
    pages: Sequence[tuple[PageSource, RenderedBody | None]], prefix: str, problems: list[Problem]
) -> tuple[ContentPage, ...]:
    """The pages under content/pages/ at /<slug>/, in file order; two at one URL are an error."""
    made: dict[str, ContentPage] = {}
    for page, body in sorted(pages, key=lambda pair: pair[0].path):
        url = f"{prefix}/{page.slug}/"
        if url in made:
            problems.append(Problem(page.path, None, f"网址 {url} 与页面 {made[url].source_path} 重复\uff1b请在其中一个的头部信息中设置不同的 slug"))
            continue
        made[url] = ContentPage(
            source_path=page.path, slug=page.slug, url=url, title=page.title, summary=page.summary or "",
            updated=page.updated, layout=page.layout, draft=page.draft, content_hash=page.content_hash,
            excerpt=body.excerpt if body is not None else "", params=Params(page.params),
        )  # fmt: skip
    return tuple(made.values())


def _menus(config: SiteConfig, prefix: str) -> dict[str, tuple[MenuEntry, ...]]:
    """Each menu of site.toml, lightest weight first, site paths carrying the base path."""
    menus = {}
    for name in ("main", "footer"):
        items = sorted(getattr(config.menus, name), key=lambda item: item.weight)  # stable: file order on ties
        menus[name] = tuple(MenuEntry(i.name, prefix + i.url if i.url.startswith("/") else i.url, i.weight) for i in items)
    return menus


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


def _terms(taxonomy: Taxonomy, articles: Sequence[Article], settings: Sequence[TermSettings], term_slug) -> tuple[Term, ...]:
    """Group articles by one taxonomy in one pass; known terms keep their configured order of ties."""
    members: dict[str, list[int]] = {}
    for article in articles:  # articles are newest first, so every list is too
        for name in dict(article.terms).get(taxonomy.key, ()):
            members.setdefault(name, []).append(article.id)
    known = {t.name: t for t in settings}
    terms = []
    for name, ids in members.items():
        setting = known.get(name)
        slug = term_slug(taxonomy.key, name)
        url = f"{taxonomy.url}{slug}/"
        terms.append(
            Term(
                kind=taxonomy.key,
                name=name,
                title=(setting.title if setting and setting.title else name),
                slug=slug,
                url=url,
                description=setting.description if setting else "",
                article_ids=tuple(ids),
                policy=bool(getattr(setting, "policy", False)),
                feed_url=f"{url}feed.xml" if taxonomy.feeds else None,
            )
        )
    rank = {t.name: i for i, t in enumerate(settings)}
    terms.sort(key=lambda t: (-t.count, rank.get(t.name, len(rank)), t.slug))
    return tuple(terms)


def _term_slug_collisions(taxonomy: Taxonomy, terms: Iterable[Term], articles: Sequence[Article]) -> list[Problem]:
    owner: dict[str, Term] = {}
    problems = []
    where, kind = taxonomy.terms_setting, taxonomy.name
    for term in terms:
        if term.slug in owner:
            other = owner[term.slug]
            first = articles[term.article_ids[0]].source_path
            second = articles[other.article_ids[0]].source_path
            problems.append(
                Problem(
                    first,
                    None,
                    f"{kind}\u201c{term.name}\u201d与{kind}\u201c{other.name}\u201d\uff08{second}\uff09的网址都是 {term.url}\uff1b"
                    f"若两者是同一个词的不同写法\uff0c请在 site.toml 中加上 {where} name = \"{other.name}\" aliases = [\"{term.name}\"]\uff1b"
                    f"若是两个词\uff0c请为其一设置 slug\uff1a{where} name = \"{term.name}\" slug = \"{term.slug}-2\"",
                )
            )
        else:
            owner[term.slug] = term
    return problems


_FIXED_FOLDERS = ("articles", "search", "pagefind", "page")  # /articles/, /search/, Pagefind's index


def _taxonomy_prefix_problems(taxonomies: Sequence[Taxonomy]) -> list[Problem]:
    """Each taxonomy's index folder must be one safe path segment, distinct from the others."""
    problems = []
    seen: dict[str, str] = {}
    for taxonomy in taxonomies:
        value, name = taxonomy.prefix, taxonomy.prefix_setting
        if not is_safe_slug(value):
            problems.append(Problem("site.toml", None, f"{name} = {value!r} 不是安全的目录名；只能用小写字母\u3001数字和连字符"))
        elif value in seen:
            problems.append(Problem("site.toml", None, f"{name} 与 {seen[value]} 都是 {value!r}，两类索引页会互相覆盖；请改用不同的名字"))
        elif value in _FIXED_FOLDERS:
            problems.append(Problem("site.toml", None, f"{name} = {value!r} 与站点自带的 /{value}/ 重名；请换一个名字"))
        seen.setdefault(value, name)
    return problems


def _article_url_collisions(
    config: SiteConfig,
    articles: Sequence[Article],
    taxonomies: Sequence[Taxonomy],
    term_table: dict[str, tuple[Term, ...]],
    pages: Sequence[ContentPage],
    prefix: str,
    search: bool,
) -> list[Problem]:
    """An article or page whose URL is also a listing, index or search page would overwrite it: an error."""
    taken: dict[str, str] = {f"{prefix}/": "首页", f"{prefix}/search/": "搜索页"}

    def listing(url: str, count: int, owner: str) -> None:
        taken[url] = owner
        for number in range(2, -(-count // config.paginate) + 1):
            taken[f"{url}page/{number}/"] = f"{owner}第 {number} 页"

    listing(f"{prefix}/articles/", len(articles), "全部文章列表")
    for taxonomy in taxonomies:
        taken.setdefault(taxonomy.url, f"全部{taxonomy.name}页")
        for term in term_table[taxonomy.key]:
            first = articles[term.article_ids[0]].source_path
            listing(term.url, term.count, f"{taxonomy.name}\u201c{term.name}\u201d的列表页\uff08来自 {first}\uff09")
    problems = []
    owners = [(a.source_path, a.url, "slug 或 topic") for a in articles] + [(p.source_path, p.url, "slug") for p in pages]
    for source_path, url, change in owners:
        owner = taken.get(url)
        if owner is None and search and url.startswith(f"{prefix}/pagefind/"):
            owner = "搜索索引目录 /pagefind/"
        if owner is not None:
            problems.append(Problem(source_path, None, f"网址 {url} 与{owner}重复；请在头部信息中设置不同的 {change}"))
        taken.setdefault(url, f"\u300c{source_path}\u300d")
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
    for taxonomy in reversed(site.taxonomies):  # a topic wins over a city or tag of the same name
        for term in site.terms[taxonomy.key]:
            by_name[term.name] = term
    # A term that is no topic, city or tag gets a results page of its own, ranked by the build
    # (hot_searches.py): its first results come with the page, not after the index loads.
    pages = result_urls([text for text in config.hot_searches if text not in by_name], prefix)
    for text in config.hot_searches:
        found = by_name.get(text)
        links.append(Link(text, found.url if found is not None else pages[text]))
    if not links:
        terms = list(site.tags) or list(site.topics)
        links = [Link(t.name, t.url) for t in terms[: config.hot_searches_count]]
    results = tuple(HotResults(text, url) for text, url in pages.items())
    return replace(site, hot_searches=tuple(links), hot_results=results)
