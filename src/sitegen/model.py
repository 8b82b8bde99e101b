"""The site model: plain, frozen data that templates read. No file I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .config import SiteConfig, Taxonomy
from .markdown import Heading


class Params(dict):
    """Front-matter keys the schema does not know; a missing key reads as empty, as in Hugo."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Person:
    """An author or reviewer from data/people.toml, with the URL of their page on the site."""

    id: str  # ASCII slug: /people/<id>/
    name: str
    title: str = ""  # 职称: 主任医师
    organization: str = ""  # 医院或机构
    department: str = ""  # 科室
    role: str = ""  # 医生, 药师, 编辑…
    bio: str = ""
    url: str = ""  # an outside profile
    page_url: str = ""  # /people/<id>/ with the base path


@dataclass(frozen=True)
class Source:
    """One entry of an article's 参考资料."""

    title: str
    publisher: str = ""
    url: str = ""
    date: dt.date | None = None


@dataclass(frozen=True)
class Correction:
    """One 更正说明 of an article."""

    date: dt.date
    text: str


@dataclass(frozen=True)
class Reprint:
    """Where a reprinted article first appeared: 来源, 原作者, 原标题."""

    source: str
    author: str
    title: str
    url: str = ""


@dataclass(frozen=True)
class ArticleImage:
    """An article's cover as its front matter gives it; `key` names the local file once found."""

    url: str  # as written: cover.jpg, /img/x.jpg, or an https: URL linked as it is
    alt: str
    caption: str = ""
    key: str = ""  # the site-relative file (content/…, static/…); empty for a remote image


@dataclass(frozen=True)
class Variant:
    """One file made from an image: a width in one format, or the share card."""

    name: str  # file name, in the image store and in the output
    path: str  # relative to the output folder
    url: str  # with the base path
    width: int
    height: int
    mime: str  # image/webp, image/jpeg, image/png; empty for a file published as it is


@dataclass(frozen=True)
class Picture:
    """A local image some article uses, measured, with the variants the build makes of it."""

    key: str  # content/yibao/menzhen/photo.jpg, static/img/x.png
    digest: str  # of its bytes and the image settings: a new photo gets new file names
    width: int  # as shown, EXIF orientation applied; 0 when unknown
    height: int
    processed: bool  # re-encoded by Pillow (JPEG, PNG, WebP); else published as it is (GIF, SVG)
    webp: tuple[Variant, ...]  # by width, narrowest first
    fallback: tuple[Variant, ...]  # the same widths in the original's format (PNG keeps transparency)
    share: Variant | None  # 1200×630 JPEG for og:image, made for covers and the default image
    size: int = 0  # bytes of the original

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Every file made of it: the WebP and fallback widths, and the share card."""
        return (*self.webp, *self.fallback, *((self.share,) if self.share else ()))


@dataclass(frozen=True)
class Article:
    """One published article with everything its page and its cards show."""

    id: int
    source_path: str
    slug: str
    url: str  # site-relative, e.g. /yibao/shenzhen-yibao-duanjiao/
    title: str
    date: dt.date
    updated: dt.date | None
    city: str
    topic: str
    tags: tuple[str, ...]
    excerpt: str
    content_hash: str  # of the source file; the key of the rendered body in the body store
    characters: int
    disclaimer: str
    draft: bool
    aliases: tuple[str, ...]
    stale: bool = False  # policy content not checked for longer than site.toml allows
    link_targets: tuple[tuple[str, str], ...] = ()  # links to other articles' .md files → their URLs
    params: Params = field(default_factory=Params)
    # (taxonomy key, term names) for every taxonomy, built-in ones included, in table order
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Who wrote and reviewed it, from what, and how it was corrected (trust.py validates them).
    authors: tuple[str, ...] = ()  # person ids
    reviewers: tuple[str, ...] = ()
    last_reviewed: dt.date | None = None
    sources: tuple[Source, ...] = ()
    corrections: tuple[Correction, ...] = ()  # newest first
    reprint: Reprint | None = None
    ai_assisted: bool = False
    review_due: dt.date | None = None  # 下次复核: the last review plus the topic's interval
    overdue: bool = False  # review_due is before the build date
    # Filled in by the renderer for the page being rendered (from the body store), never kept here.
    body_html: str = ""
    headings: tuple[Heading, ...] = ()
    # `date` and `updated` are calendar dates in the site's time zone; these are the moments,
    # aware, in that zone (a date alone is its midnight), for feeds, sitemap and structured data.
    published: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    keywords: tuple[str, ...] = ()  # front matter `keywords`, for templates (meta keywords)
    # Images (images.attach_images): the cover, each body image's src (as in the HTML) → its
    # file's key, a page bundle's other files (name in the bundle, key), images without alt text.
    cover: ArticleImage | None = None
    images: tuple[tuple[str, str], ...] = ()
    resources: tuple[tuple[str, str], ...] = ()
    unlabelled_images: tuple[str, ...] = ()

    @property
    def last_modified(self) -> dt.date:
        return self.updated or self.date

    # site.py always sets `published`; an Article made by hand (tests) falls back to UTC midnight.
    @property
    def modified(self) -> dt.datetime:
        """When it last changed, with the offset: `updated`, else the publication time."""
        moment = self.updated_at or self.published
        return moment if moment is not None else dt.datetime.combine(self.last_modified, dt.time(), dt.UTC)

    @property
    def published_at(self) -> dt.datetime:
        return self.published if self.published is not None else dt.datetime.combine(self.date, dt.time(), dt.UTC)

    @property
    def reading_minutes(self) -> int:
        # Chinese readers manage roughly 400 characters a minute.
        return max(1, round(self.characters / 400))


@dataclass(frozen=True)
class Term:
    """A term of a taxonomy (a topic, city, tag, 科室…), with its articles newest first."""

    kind: str  # the taxonomy's key
    name: str
    title: str
    slug: str
    url: str
    description: str
    article_ids: tuple[int, ...]
    policy: bool = False
    feed_url: str | None = None

    @property
    def count(self) -> int:
        return len(self.article_ids)


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class HotResults:
    """A 大家都在搜 term's own results page (hot_searches.py): its best results, best first."""

    text: str  # as site.toml writes it
    url: str  # /search/<slug>/, with the base path
    total: int = 0  # every article that holds it
    results: tuple[tuple[int, str], ...] = ()  # (Article.id, the passage its card shows: "" for its excerpt)


@dataclass(frozen=True)
class MenuEntry:
    """One link of a menu from site.toml, its URL already carrying the base path."""

    name: str
    url: str
    weight: float = 0.0


@dataclass(frozen=True)
class ContentPage:
    """A Markdown page under content/pages/ (关于我们, 隐私政策): not an article, never in feeds or lists."""

    source_path: str
    slug: str
    url: str
    title: str
    summary: str
    updated: dt.date | None
    layout: str
    draft: bool
    content_hash: str
    excerpt: str = ""
    link_targets: tuple[tuple[str, str], ...] = ()
    params: Params = field(default_factory=Params)


@dataclass(frozen=True)
class Site:
    """Everything the pages are rendered from."""

    config: SiteConfig
    articles: tuple[Article, ...]  # newest first; Article.id is the position here
    taxonomies: tuple[Taxonomy, ...]  # the taxonomy table, built-in rows first
    terms: dict[str, tuple[Term, ...]]  # by taxonomy key, most articles first
    related: tuple[tuple[int, ...], ...]  # by Article.id, best first
    hot_searches: tuple[Link, ...]
    build_date: dt.date
    search: bool = True
    hot_results: tuple[HotResults, ...] = ()  # 大家都在搜 terms that have a results page of their own
    redirects: tuple[tuple[str, str], ...] = ()  # (old URL from an article's aliases, its URL now)
    pages: tuple[ContentPage, ...] = ()
    menus: dict[str, tuple[MenuEntry, ...]] = field(default_factory=dict)  # main, footer
    people: tuple[Person, ...] = ()  # data/people.toml, in file order
    person_articles: dict[str, tuple[int, ...]] = field(default_factory=dict)  # by person id, newest first
    images: dict[str, Picture] = field(default_factory=dict)  # by key: every local image a page shows
    share_image: str = ""  # key of the share image of pages without a cover ([images] default)

    def __post_init__(self) -> None:
        lookup = {(t.kind, t.name): t for terms in self.terms.values() for t in terms}
        object.__setattr__(self, "_terms", lookup)
        object.__setattr__(self, "_taxonomies", {t.key: t for t in self.taxonomies})
        object.__setattr__(self, "_people", {p.id: p for p in self.people})

    def person(self, person_id: str) -> Person:
        return self._people[person_id]  # type: ignore[attr-defined]

    @property
    def topics(self) -> tuple[Term, ...]:
        return self.terms.get("topic", ())

    @property
    def cities(self) -> tuple[Term, ...]:
        return self.terms.get("city", ())

    @property
    def tags(self) -> tuple[Term, ...]:
        return self.terms.get("tag", ())

    def taxonomy(self, key: str) -> Taxonomy:
        return self._taxonomies[key]  # type: ignore[attr-defined]

    def term(self, kind: str, name: str) -> Term:
        return self._terms[(kind, name)]  # type: ignore[attr-defined]

    def find_term(self, kind: str, name: str) -> Term | None:
        return self._terms.get((kind, name))  # type: ignore[attr-defined]

    def terms_of(self, article: Article) -> list[Term]:
        """Every term the article belongs to, taxonomy by taxonomy in table order."""
        return [self.term(kind, name) for kind, names in article.terms for name in names]

    def topic_of(self, article: Article) -> Term:
        return self.term("topic", article.topic)

    def city_of(self, article: Article) -> Term:
        return self.term("city", article.city)

    def tags_of(self, article: Article) -> list[Term]:
        return [self.term("tag", tag) for tag in article.tags]

    def related_to(self, article: Article) -> list[Article]:
        return [self.articles[i] for i in self.related[article.id]]

    def articles_of(self, term: Term) -> list[Article]:
        return [self.articles[i] for i in term.article_ids]

    def absolute_url(self, url: str) -> str:
        """`url` is already site-absolute (it carries the base path); prefix scheme and host."""
        parts = urlsplit(self.config.base_url)
        return f"{parts.scheme}://{parts.netloc}{url}"


@dataclass(frozen=True)
class Page:
    """One file of the output: where it goes, what it holds, and what the sitemap says of it."""

    path: str  # relative to the output folder, e.g. yibao/x/index.html
    content: bytes
    url: str | None = None  # set for pages the sitemap lists
    lastmod: dt.date | None = None


def output_path(url: str, prefix: str) -> str:
    """The file a pretty URL is served from: /yibao/x/ → yibao/x/index.html."""
    path = url[len(prefix) :] if prefix and url.startswith(prefix) else url
    path = path.lstrip("/")
    return f"{path}index.html" if path.endswith("/") or not path else path
