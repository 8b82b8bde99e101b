"""Stage 5: render every page of the site model through the Jinja layouts.

Each page is rendered by a pure function of the site model and the layouts, so the article pages,
which are most of the work, can be rendered in any order and in other processes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import jinja2

from .errors import Problem, SiteError
from .model import Article, Site, Term
from .site import base_path

LAYOUTS_DIR = "layouts"
_DISCLAIMER = re.compile(r"""class\s*=\s*["'](?:[^"']*\s)?disclaimer(?:\s[^"']*)?["']""")


@dataclass(frozen=True)
class Page:
    """One file of the output: where it goes, what it holds, and what the sitemap says of it."""

    path: str  # relative to the output folder, e.g. yibao/x/index.html
    content: bytes
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
        keep = {1, self.total, *range(self.number - 2, self.number + 3)}
        shown: list[int | None] = []
        for n in range(1, self.total + 1):
            if n in keep:
                shown.append(n)
            elif shown and shown[-1] is not None:
                shown.append(None)
        return shown


def paginate(items: list[Any], per_page: int, base_url: str) -> list[Pagination]:
    total = max(1, math.ceil(len(items) / per_page))
    return [Pagination(n, total, base_url, items[(n - 1) * per_page : n * per_page]) for n in range(1, total + 1)]


def layouts_environment(layouts_dir: Path) -> jinja2.Environment:
    """The Jinja environment of a site's layouts: autoescaped, strict about undefined names."""
    env = jinja2.Environment(
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
    """Renders the pages of one site model; holds the Jinja environment and the common context."""

    def __init__(self, site: Site, layouts_dir: Path):
        self.site = site
        self.layouts_dir = layouts_dir
        self.env = layouts_environment(layouts_dir)
        self.prefix = base_path(site.config)

    def render(self, template: str, path: str, **context: Any) -> bytes:
        try:
            html = self.env.get_template(template).render(site=self.site, url_prefix=self.prefix, **context)
        except jinja2.TemplateSyntaxError as exc:
            raise SiteError(Problem(f"{LAYOUTS_DIR}/{exc.name or template}", exc.lineno, f"模板语法错误:{exc.message}"))
        except jinja2.TemplateNotFound as exc:
            raise SiteError(Problem(f"{LAYOUTS_DIR}/{template}", None, f"找不到模板 {exc.name}"))
        except Exception as exc:  # an error raised while a template runs: name the template line
            where, line = _template_frame(exc, self.layouts_dir, template)
            raise SiteError(Problem(where, line, f"渲染 {path} 时模板出错:{type(exc).__name__}: {exc}"))
        return html.encode("utf-8")

    # --- the pages -------------------------------------------------------------------------

    def article_page(self, article: Article) -> Page:
        path = output_path(article.url, self.prefix)
        html = self.render(
            "article.html",
            path,
            article=article,
            page=self._meta(article.title, article.excerpt, article.url, kind="article"),
            topic=self.site.topic_of(article),
            city=self.site.city_of(article),
            tags=self.site.tags_of(article),
            related=self.site.related_to(article),
        )
        found = len(_DISCLAIMER.findall(html.decode("utf-8")))
        if found != 1:
            raise SiteError(
                Problem(
                    f"{LAYOUTS_DIR}/article.html",
                    None,
                    f"文章页必须恰好有一个免责声明框(class=\"disclaimer\"),{path} 中有 {found} 个;请在模板中保留 {{% include \"partials/disclaimer.html\" %}}",
                )
            )
        return Page(path, html, article.url, article.last_modified)

    def site_pages(self) -> Iterator[Page]:
        """Every page except the article pages: home, listings, taxonomy indexes, search, 404."""
        site, prefix = self.site, self.prefix
        newest = site.articles[0].last_modified if site.articles else site.build_date
        home = prefix + "/"
        yield Page(
            "index.html",
            self.render(
                "home.html", "index.html",
                page=self._meta(site.config.title, site.config.description, home, kind="home"),
                latest=list(site.articles[: site.config.home_articles]),
            ),
            home, newest,
        )  # fmt: skip
        yield from self._listing(
            "全部文章", "按发布时间排列的全部文章", f"{prefix}/articles/", list(site.articles), term=None
        )
        for kind, terms, heading in (
            ("topic", site.topics, "全部栏目"),
            ("city", site.cities, "全部城市"),
            ("tag", site.tags, "全部标签"),
        ):
            url = f"{prefix}/{_taxonomy_prefix(site, kind)}/"
            yield Page(
                output_path(url, prefix),
                self.render("terms.html", url, page=self._meta(heading, "", url, kind="terms"), kind=kind, terms=terms),
                url, newest,
            )  # fmt: skip
            for term in terms:
                yield from self._listing(term.title, term.description, term.url, site.articles_of(term), term=term)
        search_url = f"{prefix}/search/"
        yield Page(
            "search/index.html",
            self.render("search.html", search_url, page=self._meta("搜索", "", search_url, kind="search", index=False)),
        )
        yield Page(
            "404.html",
            self.render("404.html", "404.html", page=self._meta("页面不存在", "", f"{prefix}/404.html", kind="404", index=False)),
        )

    def _listing(self, title: str, description: str, url: str, articles: list[Article], term: Term | None):
        pages = paginate(articles, self.site.config.paginate, url)
        for pagination in pages:
            page_url = pagination.url_for(pagination.number)
            heading = title if pagination.number == 1 else f"{title}(第 {pagination.number} 页)"
            summary = description or f"{title}相关文章 {len(articles)} 篇,按发布时间排列。"
            html = self.render(
                "list.html", page_url,
                page=self._meta(heading, summary, page_url, kind="list"),
                term=term, title=title, description=description, pagination=pagination, total=len(articles),
            )  # fmt: skip
            lastmod = pagination.items[0].last_modified if pagination.items else self.site.build_date
            yield Page(output_path(page_url, self.prefix), html, page_url, lastmod)

    def _meta(self, title: str, description: str, url: str, *, kind: str, index: bool = True) -> dict:
        return {
            "title": title,
            "description": description,
            "url": url,
            "canonical": self.site.absolute_url(url),
            "kind": kind,
            "index": index,
        }


def _taxonomy_prefix(site: Site, kind: str) -> str:
    taxonomies = site.config.taxonomies
    return {"topic": taxonomies.topics, "city": taxonomies.cities, "tag": taxonomies.tags}[kind]


def output_path(url: str, prefix: str) -> str:
    """The file a pretty URL is served from: /yibao/x/ → yibao/x/index.html."""
    path = url[len(prefix) :] if prefix and url.startswith(prefix) else url
    path = path.lstrip("/")
    return f"{path}index.html" if path.endswith("/") or not path else path


def _template_frame(exc: BaseException, layouts_dir: Path, fallback: str) -> tuple[str, int | None]:
    # Jinja rewrites tracebacks so that template frames carry the template's file name and line.
    layouts = str(layouts_dir.resolve())
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and str(Path(frame.filename).resolve()).startswith(layouts):
            relative = Path(frame.filename).resolve().relative_to(layouts_dir.resolve()).as_posix()
            return f"{LAYOUTS_DIR}/{relative}", frame.lineno
    return f"{LAYOUTS_DIR}/{fallback}", None
