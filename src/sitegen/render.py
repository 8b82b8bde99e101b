"""Stage 5: plan every page of the site and render pages through the Jinja layouts.

`plan_pages()` lists the pages with a fingerprint each: a digest of everything the page shows.
A rebuild renders only pages whose fingerprint changed. `PageRenderer.render()` is a pure
function of the site model, the layouts and the stored bodies, so pages can be rendered in any
order and in other processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import traceback
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from . import __version__
from .errors import Problem, SiteError
from .feeds import atom_feed
from .markdown import BodyPage
from .model import Article, Site, Term, output_path
from .site import base_path

LAYOUTS_DIR = "layouts"
_DISCLAIMER = re.compile(r"""class\s*=\s*["'](?:[^"']*\s)?disclaimer(?:\s[^"']*)?["']""")


class PageSpec(NamedTuple):
    """A page to be written: what to render (kind and key), and the digest of what it shows.

    A named tuple, not a dataclass: a big site plans 130,000 of them on every build.
    """

    path: str
    kind: str  # article, home, listing, terms, search, 404, feed
    key: tuple = ()
    fingerprint: str = ""
    url: str | None = None  # set for pages the sitemap lists
    lastmod: dt.date | None = None


@dataclass(frozen=True)
class Pagination:
    """One page of a paginated listing; page 1 lives at the listing's own URL."""

    number: int
    total: int
    base_url: str
    items: list[Any]

    def url_for(self, number: int) -> str:
        return self.base_url if number == 1 else f"{self.base_url}page/{number}/"

    @property
    def previous_url(self) -> str | None:
        return self.url_for(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url_for(self.number + 1) if self.number < self.total else None

    @property
    def window(self) -> list[int | None]:
        """Page numbers to show, with None for a gap: 1 … 4 5 6 … 12."""
        keep = sorted(n for n in {1, self.total, *range(self.number - 2, self.number + 3)} if 1 <= n <= self.total)
        shown: list[int | None] = []
        for n in keep:
            if shown and n != shown[-1] + 1:  # type: ignore[operator]
                shown.append(None)
            shown.append(n)
        return shown


def page_count(items: int, per_page: int) -> int:
    return max(1, math.ceil(items / per_page))


def layouts_digest(layouts_dir: Path) -> str:
    """A digest of every file under layouts/: any template change re-renders every page."""
    digest = hashlib.blake2b(digest_size=16)
    if layouts_dir.is_dir():
        for path in sorted(p for p in layouts_dir.rglob("*") if p.is_file()):
            digest.update(path.relative_to(layouts_dir).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# --- planning ---------------------------------------------------------------------------------


def _digest(*parts: Any) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def _card(article: Article) -> str:
    """What decides a card of the article: its file (all it shows comes from it) and its URL.

    Everything else a card shows (topic title, excerpt length…) comes from site.toml, which
    is part of every page's fingerprint.
    """
    return f"{article.content_hash}@{article.url}"


def _term_facts(term: Term) -> tuple:
    return (term.kind, term.name, term.title, term.slug, term.url, term.description, term.count, term.policy)


def plan_pages(site: Site, layouts: str, noindex: bool = False) -> list[PageSpec]:
    """Every page of the site (without the sitemap), each with the fingerprint of its content."""
    prefix = base_path(site.config)
    shared = _digest(
        __version__,
        layouts,
        noindex,
        site.config.model_dump_json(),
        prefix,
        site.search,
        site.hot_searches,
        [(t.name, t.title, t.url) for t in site.topics],  # the navigation on every page
    )
    cards = [_card(a) for a in site.articles]
    specs: list[PageSpec] = []
    for article in site.articles:
        # The file's hash covers the front matter and body; the rest is derived from site.toml,
        # from the build date (stale) or from other articles (links, related cards).
        related = ",".join(cards[i] for i in site.related[article.id])
        signature = f"{shared}|{cards[article.id]}|{article.stale}|{article.link_targets}|{related}"
        specs.append(
            PageSpec(
                output_path(article.url, prefix),
                "article",
                (article.id,),
                hashlib.blake2b(signature.encode("utf-8"), digest_size=16).hexdigest(),
                article.url,
                article.last_modified,
            )
        )
    newest = site.articles[0].last_modified if site.articles else site.build_date
    home = prefix + "/"
    latest = [cards[a.id] for a in site.articles[: site.config.home_articles]]
    counts = [[_term_facts(t) for t in terms] for terms in (site.topics, site.cities)]
    specs.append(PageSpec("index.html", "home", (), _digest(shared, latest, counts, len(site.articles)), home, newest))
    specs.extend(_listing_specs(site, shared, cards, None, f"{prefix}/articles/", list(site.articles)))
    for kind, terms in (("topic", site.topics), ("city", site.cities), ("tag", site.tags)):
        url = f"{prefix}/{_taxonomy_prefix(site, kind)}/"
        facts = [_term_facts(t) for t in terms]
        specs.append(PageSpec(output_path(url, prefix), "terms", (kind,), _digest(shared, kind, facts), url, newest))
        for term in terms:
            specs.extend(_listing_specs(site, shared, cards, term, term.url, site.articles_of(term)))
    specs.append(PageSpec("search/index.html", "search", (), _digest(shared, "search")))
    if site.redirects:
        specs.append(PageSpec("_redirects", "redirects", (), _digest("redirects", site.redirects)))
    specs.append(PageSpec("404.html", "404", (), _digest(shared, "404")))
    count = site.config.feed_articles
    feeds = [("", f"{prefix}/feed.xml", list(site.articles[:count]))]
    feeds += [(t.name, f"{t.url}feed.xml", site.articles_of(t)[:count]) for t in site.topics]
    for topic, url, articles in feeds:
        entries = [(cards[a.id], a.link_targets) for a in articles]
        specs.append(PageSpec(output_path(url, prefix), "feed", (topic,), _digest(shared, "feed", topic, entries)))
    return specs


def refuse_shared_paths(site: Site, specs: list[PageSpec]) -> None:
    """Two pages may never be written to one file; the site model's checks should make this moot."""
    owner: dict[str, PageSpec] = {}
    problems = []
    for spec in specs:
        other = owner.setdefault(spec.path, spec)
        if other is not spec:
            names = [site.articles[s.key[0]].source_path if s.kind == "article" else s.url or s.path for s in (other, spec)]
            problems.append(Problem(names[1], None, f"与 {names[0]} 会写到同一个文件 {spec.path}；请修改其中一个的网址"))
    if problems:
        raise SiteError(problems)


def _listing_specs(site: Site, shared: str, cards: list, term: Term | None, url: str, articles: list[Article]):
    per_page = site.config.paginate
    total = page_count(len(articles), per_page)
    facts = _term_facts(term) if term else None
    prefix = base_path(site.config)
    for number in range(1, total + 1):
        items = articles[(number - 1) * per_page : number * per_page]
        page_url = url if number == 1 else f"{url}page/{number}/"
        lastmod = items[0].last_modified if items else site.build_date
        yield PageSpec(
            output_path(page_url, prefix),
            "listing",
            (term.kind if term else "", term.name if term else "", number),
            _digest(shared, facts, number, total, len(articles), [cards[a.id] for a in items]),
            page_url,
            lastmod,
        )


# --- rendering --------------------------------------------------------------------------------


def layouts_environment(layouts_dir: Path, bytecode_cache: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """The Jinja environment of a site's layouts: sandboxed, autoescaped, strict about undefined names."""
    # Layouts come from whoever edits the site, and `build` and `check` (the pre-commit hook) run
    # them: a pull request touching layouts/ must not run code on the machine that checks it. The
    # sandbox refuses Python internals (`__globals__`, `__subclasses__`, `mro`, unsafe calls) and
    # leaves templates what they need: the views they are given, filters, tests, loops.
    env = SandboxedEnvironment(
        bytecode_cache=bytecode_cache,
        # Layouts do not change during a build (serve makes a new environment for each one);
        # with auto_reload every {% include %} would stat its file: 20,000 stats per 2,000 pages.
        auto_reload=False,
        loader=jinja2.FileSystemLoader(str(layouts_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date_cn"] = lambda d: f"{d.year}年{d.month}月{d.day}日"
    env.filters["iso"] = lambda d: d.isoformat()
    return env


class PageRenderer:
    """Renders pages of one site model; holds the Jinja environment and reads bodies from a store."""

    def __init__(
        self,
        site: Site,
        layouts_dir: Path,
        body_page: Callable[[str], BodyPage | None],
        bytecode_cache: jinja2.BytecodeCache | None = None,
        noindex: bool = False,
    ):
        self.site = site
        self.noindex = noindex  # every page asks search engines to stay out (drafts, previews)
        self.layouts_dir = layouts_dir
        self.env = layouts_environment(layouts_dir, bytecode_cache)
        self.prefix = base_path(site.config)
        self._body_page = body_page

    def render(self, spec: PageSpec) -> bytes:
        """The bytes of one planned page."""
        kind, key, site = spec.kind, spec.key, self.site
        if kind == "article":
            return self._article(site.articles[key[0]], spec.path)
        if kind == "home":
            latest = list(site.articles[: site.config.home_articles])
            meta = self._meta(site.config.title, site.config.description, spec.url, kind="home")
            return self._render("home.html", spec.path, page=meta, latest=latest)
        if kind == "listing":
            term_kind, name, number = key
            term = site.term(term_kind, name) if term_kind else None
            return self._listing(term, number, spec)
        if kind == "terms":
            terms = {"topic": site.topics, "city": site.cities, "tag": site.tags}[key[0]]
            heading = {"topic": "全部栏目", "city": "全部城市", "tag": "全部标签"}[key[0]]
            meta = self._meta(heading, "", spec.url, kind="terms")
            return self._render("terms.html", spec.path, page=meta, kind=key[0], terms=terms)
        if kind == "search":
            meta = self._meta("搜索", "", f"{self.prefix}/search/", kind="search", index=False)
            return self._render("search.html", spec.path, page=meta)
        if kind == "404":
            meta = self._meta("页面不存在", "", f"{self.prefix}/404.html", kind="404", index=False)
            return self._render("404.html", spec.path, page=meta)
        if kind == "feed":
            return self._feed(key[0])
        if kind == "redirects":
            # Netlify's _redirects: one rule a line, old path, new path, status.
            return "".join(f"{old}  {new}  301\n" for old, new in site.redirects).encode("utf-8")
        raise ValueError(f"unknown page kind {kind!r}")

    def with_body(self, article: Article) -> Article:
        """The article with its body HTML and headings, links to other articles' files pointed at their pages."""
        page = self._body_page(article.content_hash)
        if page is None:
            raise SiteError(Problem(article.source_path, None, "找不到这篇文章渲染后的正文\uff08构建缓存不完整\uff09；请删除 .sitegen-cache/ 后重试"))
        html = page.html
        for href, url in article.link_targets:
            html = html.replace(f'href="{escape(href)}"', f'href="{escape(url)}"')
        return replace(article, body_html=html, headings=page.headings)

    def _article(self, article: Article, path: str) -> bytes:
        site = self.site
        html = self._render(
            "article.html",
            path,
            article=self.with_body(article),
            page=self._meta(article.title, article.excerpt, article.url, kind="article"),
            topic=site.topic_of(article),
            city=site.city_of(article),
            tags=site.tags_of(article),
            related=site.related_to(article),
        )
        found = len(_DISCLAIMER.findall(html.decode("utf-8")))
        if found != 1:
            raise SiteError(
                Problem(
                    f"{LAYOUTS_DIR}/article.html",
                    None,
                    f"文章页必须恰好有一个免责声明框\uff08class=\"disclaimer\"\uff09\uff0c{path} 中有 {found} 个；请在模板中保留 {{% include \"partials/disclaimer.html\" %}}",
                )
            )
        return html

    def _listing(self, term: Term | None, number: int, spec: PageSpec) -> bytes:
        site = self.site
        # Only this page's slice: a topic of 8,000 articles has 400 pages, and listing all of it
        # for each page made page rendering grow with the square of the topic's size.
        ids = term.article_ids if term else range(len(site.articles))
        per_page = site.config.paginate
        shown = [site.articles[i] for i in ids[(number - 1) * per_page : number * per_page]]
        title = term.title if term else "全部文章"
        description = term.description if term else "按发布时间排列的全部文章"
        base = term.url if term else f"{self.prefix}/articles/"
        pagination = Pagination(number, page_count(len(ids), per_page), base, shown)
        heading = title if number == 1 else f"{title}\uff08第 {number} 页\uff09"
        summary = description or f"{title}相关文章 {len(ids)} 篇，按发布时间排列。"
        return self._render(
            "list.html", spec.path,
            page=self._meta(heading, summary, spec.url, kind="list"),
            term=term, title=title, description=description, pagination=pagination, total=len(ids),
        )  # fmt: skip

    def _feed(self, topic: str) -> bytes:
        site, count = self.site, self.site.config.feed_articles
        if not topic:
            articles = [self.with_body(a) for a in site.articles[:count]]
            return atom_feed(site, site.config.title, f"{self.prefix}/feed.xml", f"{self.prefix}/", articles)
        term = site.term("topic", topic)
        articles = [self.with_body(a) for a in site.articles_of(term)[:count]]
        return atom_feed(site, f"{term.title} - {site.config.title}", f"{term.url}feed.xml", term.url, articles)

    def _render(self, template: str, path: str, **context: Any) -> bytes:
        try:
            html = self.env.get_template(template).render(site=self.site, url_prefix=self.prefix, **context)
        except jinja2.TemplateSyntaxError as exc:
            raise SiteError(Problem(f"{LAYOUTS_DIR}/{exc.name or template}", exc.lineno, f"模板语法错误：{exc.message}"))
        except jinja2.TemplateNotFound as exc:
            raise SiteError(Problem(f"{LAYOUTS_DIR}/{template}", None, f"找不到模板 {exc.name}"))
        except SiteError:
            raise
        except SecurityError as exc:
            where, line = _template_frame(exc, self.layouts_dir, template)
            unsafe = re.search(r"attribute '([^']+)'", str(exc))
            what = f"属性 {unsafe.group(1)}" if unsafe else "Python 内部的对象"
            raise SiteError(
                Problem(where, line, f"模板访问了不允许的{what}\uff1b模板只能使用传给它的数据、过滤器和测试，不能调用 Python 内部属性")
            ) from None
        except Exception as exc:  # an error raised while a template runs: name the template line
            where, line = _template_frame(exc, self.layouts_dir, template)
            raise SiteError(Problem(where, line, f"渲染 {path} 时模板出错：{type(exc).__name__}: {exc}"))
        return html.encode("utf-8")

    def _meta(self, title: str, description: str, url: str | None, *, kind: str, index: bool = True) -> dict:
        url = url or self.prefix + "/"
        return {
            "title": title,
            "description": description,
            "url": url,
            "canonical": self.site.absolute_url(url),
            "kind": kind,
            "index": index and not self.noindex,
        }


def _taxonomy_prefix(site: Site, kind: str) -> str:
    taxonomies = site.config.taxonomies
    return {"topic": taxonomies.topics, "city": taxonomies.cities, "tag": taxonomies.tags}[kind]


def _template_frame(exc: BaseException, layouts_dir: Path, fallback: str) -> tuple[str, int | None]:
    # Jinja rewrites tracebacks so that template frames carry the template's file name and line.
    layouts = layouts_dir.resolve()
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename:
            path = Path(frame.filename).resolve()
            if layouts in path.parents:
                return f"{LAYOUTS_DIR}/{path.relative_to(layouts).as_posix()}", frame.lineno
    return f"{LAYOUTS_DIR}/{fallback}", None
