"""Stage 6: render each route of the plan through the Jinja layouts, and note what it read.

`PageRenderer.render()` is a pure function of the site model, the layouts and the stored bodies,
so pages can be rendered in any order and in other processes. Templates get views (views.py),
never the model: each render returns the facts its page read, which fingerprint the page.
"""

from __future__ import annotations

import re
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .errors import Problem, SiteError
from .feeds import atom_feed, redirect_rules
from .hot_searches import marked
from .images import ImageStore, picture_html, resource_variant
from .markdown import BodyPage, Heading
from .model import Article, Site, Term
from .routes import Route, page_count
from .site import base_path
from .theme import THEME_DIR
from .views import ArticleList, ArticleView, PageView, PersonView, Reads, SearchResult, SiteView, TaxonomyView, TermView, ViewFactory, image_key

LAYOUTS_DIR = "layouts"
_BODY_LINK = re.compile(r'\b(href|src)="([^"]*)"')


def body_links(html: str, targets: tuple[tuple[str, str], ...], prefix: str) -> str:
    """A body's links to other articles' .md files pointed at their pages, and its site-absolute
    links and images (`/img/x.png`, as editors write them) given the base path: `/health/img/x.png`.

    A link that already starts with the base path is left alone. The base path is one of the
    shared inputs of every page's fingerprint, so a new one renders every body again.
    """
    if not targets and not prefix:
        return html
    mapped = {escape(href): escape(url) for href, url in targets}

    def rewrite(match: re.Match) -> str:
        attribute, value = match.groups()
        if attribute == "href" and value in mapped:
            return f'href="{mapped[value]}"'
        if prefix and value.startswith("/") and not value.startswith("//") and value != prefix and not value.startswith(prefix + "/"):
            return f'{attribute}="{escape(prefix)}{value}"'
        return match.group()

    return _BODY_LINK.sub(rewrite, html)


_DISCLAIMER = re.compile(r"""class\s*=\s*["'](?:[^"']*\s)?disclaimer(?:\s[^"']*)?["']""")


@dataclass(frozen=True)
class Pagination:
    """One page of a paginated listing; page 1 lives at the listing's own URL."""

    number: int
    total: int
    base_url: str
    items: Any  # the page's articles, as views

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


# --- rendering ---------------------------------------------------------------------------------


_BOUND_METHODS = (types.MethodType, types.BuiltinMethodType)


class LayoutSandbox(SandboxedEnvironment):
    """Jinja's sandbox with its safety test of each attribute read remembered by type and name.

    The test depends on nothing else (a leading underscore, and the names that are internal to
    functions, methods, classes, frames, generators and coroutines), yet Jinja makes it on every
    `a.b` of every page: a sixth of the pages stage on the sample theme.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._safe: dict[tuple[type, str], bool] = {}
        self.fragments: MacroFragments | None = None  # set by the renderer, which knows its views

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        fragments = __self.fragments
        if fragments is not None and type(__obj) is jinja2.runtime.Macro:
            return fragments.call(__self, __context, __obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        safe = self._safe.get(key)
        if safe is None:
            safe = self._safe[key] = super().is_safe_attribute(obj, attr, value)
        return safe

    def getattr(self, obj: Any, attribute: str) -> Any:
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            return super().getattr(obj, attribute)  # then obj[attribute], as Jinja does
        if type(value) in _BOUND_METHODS:
            return super().getattr(obj, attribute)  # str.format is wrapped there
        if self.is_safe_attribute(obj, attribute, value):
            return value
        return self.unsafe_undefined(obj, attribute)


# Arguments a macro call is told apart by: plain values, by value; views, by identity, for the
# views the renderer's ViewFactory makes once and keeps (others are made per page, and a freed
# view's id can be the next one's).
_PLAIN_ARGUMENTS = (str, int, float, type(None))  # and their subclasses: Markup, bool
_VIEW_ARGUMENTS = (ArticleView, TermView, SiteView)
_CONTEXT_ARGUMENTS = ("_loop_vars", "_block_vars")  # Jinja's, for callables that take the context


class MacroFragments:
    """The HTML of macro calls that pages repeat, made once per renderer: an article's card is
    on every list and 相关推荐 that shows it, the same bytes each time.

    Only calls that cannot tell their pages apart are kept: a macro of a template imported without
    context (Jinja makes that module once and keeps it) whose other top-level names are macros
    or plain values (a `cycler` or `namespace` there would give each call its own output), called
    with plain values and views only (no `caller`, no eval context, no list). The facts a call
    read are kept with its HTML and added to every page that uses it, so fingerprints stay exact.
    """

    LIMIT = 20000  # calls kept per renderer: a card is about 1 KB

    def __init__(self, reads: Reads):
        self.reads = reads
        self._macros: dict[int, jinja2.runtime.Macro] = {}  # macros found pure; kept, so ids stay theirs
        self._made: dict[tuple, tuple[Any, frozenset[str]]] = {}

    def call(self, env: LayoutSandbox, context: Any, macro: jinja2.runtime.Macro, args: tuple, kwargs: dict) -> Any:
        key = self._key(env, macro, args, kwargs)
        if key is None:
            return super(LayoutSandbox, env).call(context, macro, *args, **kwargs)
        made = self._made.get(key)
        if made is not None:
            self.reads.keys |= made[1]
            return made[0]
        reads = self.reads
        outer, reads.keys = reads.keys, set()  # the call's own reads, nested calls' included
        try:
            html = super(LayoutSandbox, env).call(context, macro, *args, **kwargs)
            inner = reads.keys
        finally:
            outer |= reads.keys
            reads.keys = outer
        if len(self._made) < self.LIMIT:
            self._made[key] = (html, frozenset(inner))
        return html

    def _key(self, env: LayoutSandbox, macro: jinja2.runtime.Macro, args: tuple, kwargs: dict) -> tuple | None:
        values: list[Any] = [id(macro)]
        for value in (*args, *(v for k, v in sorted(kwargs.items()) if k not in _CONTEXT_ARGUMENTS)):
            if isinstance(value, _VIEW_ARGUMENTS):
                values.append(id(value))
            elif isinstance(value, _PLAIN_ARGUMENTS):
                values.append((type(value), value))
            else:
                return None
        values.extend(k for k in sorted(kwargs) if k not in _CONTEXT_ARGUMENTS)
        if self._macros.get(id(macro)) is not macro and not self._pure(env, macro):
            return None
        return tuple(values)

    def _pure(self, env: LayoutSandbox, macro: jinja2.runtime.Macro) -> bool:
        for template in list(env.cache.values()) if env.cache is not None else ():
            module = template._module
            if module is None:
                continue
            names = {name: value for name, value in vars(module).items() if not name.startswith("_")}
            if not any(value is macro for value in names.values()):
                continue
            if all(type(value) is jinja2.runtime.Macro or isinstance(value, _PLAIN_ARGUMENTS) for value in names.values()):
                self._macros[id(macro)] = macro
                return True
            return False
        return False  # a macro of the page's own template, or of a module imported with context


def layouts_environment(folders: list[Path], bytecode_cache: jinja2.BytecodeCache | None = None) -> LayoutSandbox:
    """The Jinja environment of a site's layouts: sandboxed, autoescaped, strict about undefined names."""
    # Layouts come from whoever edits the site, and `build` and `check` (the pre-commit hook) run
    # them: a pull request touching layouts/ must not run code on the machine that checks it. The
    # sandbox refuses Python internals (`__globals__`, `__subclasses__`, `mro`, unsafe calls) and
    # leaves templates what they need: the views they are given, filters, tests, loops.
    env = LayoutSandbox(
        bytecode_cache=bytecode_cache,
        # Layouts do not change during a build (serve makes a new environment for each one);
        # with auto_reload every {% include %} would stat its file: 20,000 stats per 2,000 pages.
        auto_reload=False,
        # The site's own layouts/ first, then the packaged theme: one partial can be overridden.
        loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
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
    """Renders the routes of one site model; holds the Jinja environment and reads bodies from a store."""

    def __init__(
        self,
        site: Site,
        layout_folders: list[Path],
        body_page: Callable[[str], BodyPage | None],
        bytecode_cache: jinja2.BytecodeCache | None = None,
        noindex: bool = False,
        images: ImageStore | None = None,
    ):
        self.site = site
        self.noindex = noindex  # every page asks search engines to stay out (drafts, previews)
        self.layout_folders = layout_folders
        self.env = layouts_environment(layout_folders, bytecode_cache)
        self.prefix = base_path(site.config)
        self._body_page = body_page
        self.images = images or ImageStore(None, Path("."))
        self.reads = Reads()
        self.views = ViewFactory(site, self.reads, self._body_of)
        self.env.fragments = MacroFragments(self.reads)
        self._bodies: dict[str, tuple[str, tuple[Heading, ...], tuple[str, ...]]] = {}
        # One renderer per kind of route: with routes.PLANNERS, the only place a page kind is named.
        self._renderers: dict[str, Callable[[Route], bytes]] = {
            "article": self._article,
            "page": self._page,
            "home": self._home,
            "listing": self._listing,
            "terms": self._terms,
            "people": self._people,
            "person": self._person,
            "search": self._search,
            "404": self._not_found,
            "feed": self._feed,
            "redirects": self._redirects,
            "alias": self._alias,
            "image": self._image,
            "resource": self._resource,
            "indexnow key": lambda route: route.key[0].encode("ascii"),  # the key alone, as IndexNow's own example file
        }

    def render(self, route: Route) -> tuple[bytes, tuple[str, ...]]:
        """The bytes of one route, and the keys of every fact it was made from (route.needs included)."""
        self.reads.take()  # a page that failed half-way left its reads behind
        try:
            content = self._renderers[route.kind](route)
        finally:
            reads = self.reads.take()
        return content, tuple(sorted(set(reads) | set(route.needs)))

    def with_body(self, article: Article) -> Article:
        """The article with its body HTML and headings, links to other articles' files pointed at their pages."""
        html, headings = self._body_of(article)
        return replace(article, body_html=html, headings=headings)

    def _body_of(self, article: Article) -> tuple[str, tuple[Heading, ...]]:
        found = self._bodies.get(article.source_path)
        if found is None:
            page = self._body_page(article.content_hash)
            if page is None:
                raise SiteError(Problem(article.source_path, None, "找不到这篇文章渲染后的正文\uff08构建缓存不完整\uff09；请删除 .sitegen-cache/ 后重试"))
            used: list[str] = []
            html = picture_html(page.html, dict(article.images), self.site.images, self.site.config.images.sizes, used.append)
            found = (body_links(html, article.link_targets, self.prefix), page.headings, tuple(used))
            if len(self._bodies) < 64:  # an article's body is read by its page, and by the feeds
                self._bodies[article.source_path] = found
        for key in found[2]:
            self.reads.add(image_key(key))
        return found[0], found[1]

    def _article(self, route: Route) -> bytes:
        article = self.site.articles[route.key[0]]
        view = self.views.article(article)
        html = self._render(
            "article.html",
            route.path,
            article=view,
            page=self._meta(article.title, article.excerpt, article.url, kind="article", image=view.share_image),
            topic=view.topic_term,
            city=view.city_term,
            tags=view.tag_terms,
            related=view.related,
        )
        found = len(_DISCLAIMER.findall(html.decode("utf-8")))
        if found != 1:
            raise SiteError(
                Problem(
                    f"{LAYOUTS_DIR}/article.html",
                    None,
                    f"文章页必须恰好有一个免责声明框\uff08class=\"disclaimer\"\uff09\uff0c{route.path} 中有 {found} 个；请在模板中保留 {{% include \"partials/disclaimer.html\" %}}",
                )
            )
        return html

    def _page(self, route: Route) -> bytes:
        page = self.site.pages[route.key[0]]
        store = self._body_page(page.content_hash)
        if store is None:
            raise SiteError(Problem(page.source_path, None, "找不到这个页面渲染后的正文\uff1b请删除 .sitegen-cache/ 后重试"))
        view = PageView(self.views, page, body_links(store.html, page.link_targets, self.prefix), store.headings)
        meta = self._meta(page.title, page.summary or page.excerpt, page.url, kind="page")
        return self._render(page.layout, route.path, page=meta, content=view)

    def _home(self, route: Route) -> bytes:
        site = self.site
        latest = ArticleList(self.views, range(min(site.config.home_articles, len(site.articles))))
        meta = self._meta(site.config.title, site.config.description, route.url, kind="home")
        return self._render("home.html", route.path, page=meta, latest=latest)

    def _listing(self, route: Route) -> bytes:
        site = self.site
        kind, name, number = route.key
        term = site.term(kind, name) if kind else None
        # Only this page's slice: a topic of 8,000 articles has 400 pages.
        ids = term.article_ids if term else range(len(site.articles))
        per_page = site.config.paginate
        shown = ArticleList(self.views, ids[(number - 1) * per_page : number * per_page])
        title = term.title if term else "全部文章"
        description = term.description if term else "按发布时间排列的全部文章"
        base = term.url if term else f"{self.prefix}/articles/"
        pagination = Pagination(number, page_count(len(ids), per_page), base, shown)
        heading = title if number == 1 else f"{title}\uff08第 {number} 页\uff09"
        summary = description or f"{title}相关文章 {len(ids)} 篇，按发布时间排列。"
        return self._render(
            "list.html", route.path,
            page=self._meta(heading, summary, route.url, kind="list"),
            term=self.views.term(term) if term else None,
            taxonomy=TaxonomyView(self.views, term.kind) if term else None,
            title=title, description=description, pagination=pagination, total=len(ids),
        )  # fmt: skip

    def _terms(self, route: Route) -> bytes:
        taxonomy = self.site.taxonomy(route.key[0])
        meta = self._meta(f"全部{taxonomy.name}", "", route.url, kind="terms")
        terms = self.views.site_view.terms(taxonomy.key)
        view = TaxonomyView(self.views, taxonomy.key)
        return self._render("terms.html", route.path, page=meta, kind=taxonomy.key, terms=terms, taxonomy=view)

    def _people(self, route: Route) -> bytes:
        meta = self._meta("作者与审核专家", "本站文章的作者和审核专家", route.url, kind="people")
        return self._render("people.html", route.path, page=meta, people=self.views.site_view.people)

    def _person(self, route: Route) -> bytes:
        person_id, number = route.key
        person = self.site.person(person_id)
        view = PersonView(self.views, person)
        ids = self.site.person_articles.get(person_id, ())
        per_page = self.site.config.paginate
        shown = ArticleList(self.views, ids[(number - 1) * per_page : number * per_page])
        pagination = Pagination(number, page_count(len(ids), per_page), person.page_url, shown)
        credentials = " ".join(part for part in (person.title, person.organization, person.department) if part)
        heading = person.name if number == 1 else f"{person.name}\uff08第 {number} 页\uff09"
        who = f"{person.name} \u00b7 {credentials}" if credentials else person.name
        summary = person.bio or f"{who}\uff1a撰写和审核的文章 {len(ids)} 篇。"
        meta = self._meta(heading, summary, route.url, kind="person")
        return self._render("person.html", route.path, page=meta, person=view, pagination=pagination, total=len(ids))

    def _search(self, route: Route) -> bytes:
        """/search/, or a 大家都在搜 term's page: the same layout with the term's first results in it."""
        if not route.key:
            meta = self._meta("搜索", "", f"{self.prefix}/search/", kind="search", index=False)
            return self._render("search.html", route.path, page=meta, query="", results=None, total=0)
        found = self.site.hot_results[route.key[0]]
        cards = []
        for index, shown in found.results:
            article = self.site.articles[index]
            cards.append(SearchResult(self.views.article(article), marked(shown or article.excerpt, found.text)))
        summary = f"与\u201c{found.text}\u201d相关的文章 {found.total} 篇。"
        meta = self._meta(f"{found.text}\uff1a搜索结果", summary, found.url, kind="search", index=False)
        return self._render("search.html", route.path, page=meta, query=found.text, results=cards, total=found.total)

    def _not_found(self, route: Route) -> bytes:
        meta = self._meta("页面不存在", "", f"{self.prefix}/404.html", kind="404", index=False)
        return self._render("404.html", route.path, page=meta)

    def _feed(self, route: Route) -> bytes:
        site, count = self.site, self.site.config.feed_articles
        kind, name = route.key
        if not kind:
            articles = [self.with_body(a) for a in site.articles[:count]]
            return atom_feed(site, site.config.title, f"{self.prefix}/feed.xml", f"{self.prefix}/", articles)
        term: Term = site.term(kind, name)
        articles = [self.with_body(a) for a in site.articles_of(term)[:count]]
        return atom_feed(site, f"{term.title} - {site.config.title}", term.feed_url or "", term.url, articles)

    def _image(self, route: Route) -> bytes:
        """A variant of an image, made by images.make_variants before any page renders."""
        key, name = route.key
        picture = self.site.images[key]
        variant = next(v for v in picture.variants if v.name == name)
        return self._read_image(picture, variant)

    def _resource(self, route: Route) -> bytes:
        """A file of a page bundle, published beside its page: an image without its metadata, else as it is."""
        key = route.key[1]
        picture = self.site.images.get(key)
        if picture is not None:
            return self._read_image(picture, resource_variant(picture))
        try:
            return self.images.source(key).read_bytes()
        except OSError as exc:
            raise SiteError(Problem(key, None, f"无法读取文件\uff1a{exc.strerror or exc}")) from None

    def _read_image(self, picture, variant) -> bytes:
        try:
            return self.images.read(picture, variant)
        except OSError as exc:
            raise SiteError(Problem(picture.key, None, f"无法读取图片\uff08{exc.strerror or exc}\uff09\uff1b请删除 .sitegen-cache/images/ 后重试")) from None

    def _redirects(self, route: Route) -> bytes:
        return redirect_rules(self.site)

    def _alias(self, route: Route) -> bytes:
        # No template and no script (the CSP allows none): a refresh, a canonical link for search
        # engines and a link for the reader whose browser ignores the refresh.
        target = escape(self.site.absolute_url(route.key[1]))  # key: (old URL, new URL)
        return (
            f'<!DOCTYPE html>\n<html lang="{escape(self.site.config.language)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>\u9875\u9762\u5df2\u8fc1\u79fb</title>\n"  # 页面已迁移
            f'<link rel="canonical" href="{target}">\n<meta name="robots" content="noindex">\n'
            f'<meta http-equiv="refresh" content="0; url={target}">\n</head>\n<body>\n'
            f'<p>\u672c\u6587\u5df2\u8fc1\u79fb\u5230 <a href="{target}">{target}</a>\u3002</p>\n</body>\n</html>\n'  # 本文已迁移到 …。
        ).encode()

    def _render(self, template: str, path: str, **context: Any) -> bytes:
        try:
            context = {"site": self.views.site_view, "url_prefix": self.prefix, **context}
            html = self.env.get_template(template).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise SiteError(Problem(f"{LAYOUTS_DIR}/{exc.name or template}", exc.lineno, f"模板语法错误：{exc.message}")) from None
        except jinja2.TemplateNotFound as exc:
            raise SiteError(Problem(f"{LAYOUTS_DIR}/{template}", None, f"找不到模板 {exc.name}")) from None
        except SiteError:
            raise
        except SecurityError as exc:
            where, line = _template_frame(exc, self.layout_folders, template)
            unsafe = re.search(r"attribute '([^']+)'", str(exc))
            what = f"属性 {unsafe.group(1)}" if unsafe else "Python 内部的对象"
            raise SiteError(
                Problem(where, line, f"模板访问了不允许的{what}\uff1b模板只能使用传给它的数据、过滤器和测试，不能调用 Python 内部属性")
            ) from None
        except Exception as exc:  # an error raised while a template runs: name the template line
            where, line = _template_frame(exc, self.layout_folders, template)
            raise SiteError(Problem(where, line, f"渲染 {path} 时模板出错：{type(exc).__name__}: {exc}")) from None
        return html.encode("utf-8")

    def _meta(self, title: str, description: str, url: str | None, *, kind: str, index: bool = True, image: Any = False) -> dict:
        url = url or self.prefix + "/"
        return {
            "title": title,
            "description": description,
            "url": url,
            "canonical": self.site.absolute_url(url),
            "kind": kind,
            "index": index and not self.noindex,
            # og:image: the article's cover card, else the site's default image (None: no image)
            "image": self.views.site_view.share_image if image is False else image,
        }


def _template_frame(exc: BaseException, folders: list[Path], fallback: str) -> tuple[str, int | None]:
    # Jinja rewrites tracebacks so that template frames carry the template's file name and line.
    # A template of the packaged theme is named by its full path: the site has no such file.
    roots = [(folder.resolve(), i == 0 and folder.parent != THEME_DIR) for i, folder in enumerate(folders)]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename:
            path = Path(frame.filename).resolve()
            for root, own in roots:
                if root in path.parents:
                    name = path.relative_to(root).as_posix()
                    return (f"{LAYOUTS_DIR}/{name}" if own else str(path)), frame.lineno
    return f"{LAYOUTS_DIR}/{fallback}", None
