"""What templates see: views of the site model that note every fact a page reads.

A template never gets the model itself. It gets `SiteView`, `ArticleView`, `TermView` and
`PageView` objects; each property a template reads adds the key of the fact behind it to the
page's `Reads`. After rendering, the page's fingerprint is the digest of exactly those facts
(`SiteFacts.fingerprint`), so a theme that prints `site.cities|length` in its footer depends on
the list of cities, and one that does not, does not: incremental output is exact for any theme,
by construction, without a list of what the default theme happens to read.

Fact keys are stable across builds (articles are named by their source file, terms by taxonomy
and name), so the next build can ask whether the facts a page read last time still hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .images import display_src, srcset
from .markdown import Heading
from .model import Article, ArticleImage, ContentPage, Correction, Link, Person, Picture, Reprint, Site, Source, Term

MISSING = "-"  # the digest of a fact the site no longer has (a deleted article)


class Reads:
    """The keys of the facts one page has read so far; reset for every page."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def add(self, key: str) -> None:
        self.keys.add(key)

    def take(self) -> tuple[str, ...]:
        """The keys read since the last take, sorted, and a fresh start for the next page."""
        keys, self.keys = self.keys, set()
        return tuple(sorted(sys.intern(k) for k in keys))  # interned: one copy per cache shard


# --- the facts and their digests ----------------------------------------------------------------


def article_key(article: Article) -> str:
    return f"a:{article.source_path}"


def related_key(article: Article) -> str:
    return f"r:{article.source_path}"


def term_key(term: Term) -> str:
    return f"t:{term.kind}:{term.name}"


def term_count_key(term: Term) -> str:
    # Apart from the term's other fields: an article page links its tags by name and URL, and
    # must not be rendered again each time another article takes or drops one of them.
    return f"tc:{term.kind}:{term.name}"


def term_articles_key(term: Term) -> str:
    return f"ta:{term.kind}:{term.name}"


def terms_key(kind: str) -> str:
    return f"T:{kind}"


def page_key(page: ContentPage) -> str:
    return f"p:{page.source_path}"


def person_key(person_id: str) -> str:
    return f"pe:{person_id}"


def person_articles_key(person_id: str) -> str:
    return f"pa:{person_id}"


def image_key(key: str) -> str:
    return f"i:{key}"


def hot_results_key(text: str) -> str:
    return f"hs:{text}"


ALL_ARTICLES = "A"
ALL_PEOPLE = "PE"
ALL_PAGES = "P"
HOT_SEARCHES = "h"
BUILD_DATE = "d"
REDIRECTS = "R"


class _Digests(dict):
    """Fact key → the fact's digest (16 bytes), computed when first asked for."""

    def __init__(self, facts: SiteFacts):
        super().__init__()
        self.facts = facts

    def __missing__(self, key: str) -> bytes:
        return self.facts._compute(key)


class SiteFacts:
    """The digest of each fact of one site model, computed when first asked for."""

    def __init__(self, site: Site, shared: str):
        self.site = site
        self.shared = shared  # what every page depends on: version, layouts, settings, options
        self._digests = _Digests(self)
        self._articles = {a.source_path: a for a in site.articles}
        self._pages = {p.source_path: p for p in site.pages}
        self._people = {p.id: p for p in site.people}
        self._source_paths = [a.source_path for a in site.articles]  # by article id, for lists of articles
        self._shared = shared.encode("utf-8")
        self._articles_digested = False

    def fingerprint(self, keys: Sequence[str]) -> str:
        """The digest of the shared inputs and of every fact in `keys`.

        Only ever compared with a fingerprint of the same keys (a page's record keeps the keys it
        read), so the keys themselves need not be hashed: just the facts' digests, joined in C
        (every page of a site is fingerprinted by each build that is not a no-op)."""
        return hashlib.blake2b(self._shared + b"".join(map(self._digests.__getitem__, keys)), digest_size=16).hexdigest()

    def _compute(self, key: str) -> bytes:
        if not self._articles_digested and key[:2] in ("a:", "r:"):
            self._digest_articles()
            if key in self._digests:
                return self._digests[key]
        found = self._digests[key] = _digest(self._value(key))
        return found

    def _digest_articles(self) -> None:
        # Whenever one article's fact is asked for, nearly all are (every page of a build is
        # fingerprinted): one loop over the articles saves the dispatch of each key.
        self._articles_digested = True
        digests = self._digests
        for article in self.site.articles:
            digests[f"a:{article.source_path}"] = _digest(self._article_value(article))
            digests[f"r:{article.source_path}"] = _digest(self._related_value(article))

    @staticmethod
    def _article_value(article: Article) -> tuple:
        # The file's hash covers front matter and body; the rest is derived from settings
        # (shared), the build date (stale, review_due, overdue) or other articles (link targets,
        # URL). review_due and overdue come from the front matter, the settings and the build date.
        return (
            article.content_hash, article.url, article.stale, article.link_targets, article.disclaimer, article.terms,
            article.review_due, article.overdue, article.cover, article.images,
        )  # fmt: skip

    def _related_value(self, article: Article) -> tuple[str, ...]:
        return tuple(map(self._source_paths.__getitem__, self.site.related[article.id]))

    def _value(self, key: str) -> Any:
        site = self.site
        kind, _, name = key.partition(":")
        if kind == "a":
            article = self._articles.get(name)
            return MISSING if article is None else self._article_value(article)
        if kind == "i":  # an image: its digest covers its bytes and the settings, the rest its URLs
            picture = site.images.get(name)
            return MISSING if picture is None else picture
        if kind == "r":
            article = self._articles.get(name)
            return MISSING if article is None else self._related_value(article)
        if kind in ("t", "tc", "ta"):
            taxonomy, _, term_name = name.partition(":")
            term = site.find_term(taxonomy, term_name)
            if term is None:
                return MISSING
            if kind == "t":
                return (term.title, term.slug, term.url, term.description, term.policy, term.feed_url)
            if kind == "tc":
                return term.count
            return tuple(map(self._source_paths.__getitem__, term.article_ids))
        if kind == "T":
            return tuple(t.name for t in site.terms.get(name, ()))
        if kind == "pe":
            person = self._people.get(name)
            return MISSING if person is None else person
        if kind == "pa":
            return tuple(map(self._source_paths.__getitem__, site.person_articles.get(name, ())))
        if kind == "hs":  # a 大家都在搜 page's results: which articles, in which order, with which passage
            found = next((p for p in site.hot_results if p.text == name), None)
            return MISSING if found is None else (found.url, found.total, tuple((site.articles[i].source_path, shown) for i, shown in found.results))
        if kind == "p":
            page = self._pages.get(name)
            return MISSING if page is None else (page.content_hash, page.url, page.link_targets)
        if key == ALL_ARTICLES:
            return tuple(self._source_paths)
        if key == ALL_PEOPLE:
            return tuple(p.id for p in site.people)
        if key == ALL_PAGES:
            return tuple(p.source_path for p in site.pages)
        if key == HOT_SEARCHES:
            return site.hot_searches
        if key == BUILD_DATE:
            return site.build_date
        if key == REDIRECTS:
            return site.redirects
        return MISSING


def _digest(value: Any) -> bytes:
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogateescape"), digest_size=16).digest()


# --- the views ---------------------------------------------------------------------------------


class ViewFactory:
    """Makes the views of one site for one renderer, each made once and shared by every page."""

    def __init__(self, site: Site, reads: Reads, body: Callable[[Article], tuple[str, tuple[Heading, ...]]]):
        self.site = site
        self.reads = reads
        self.body = body  # the article's body HTML and headings, from the body store
        self._articles: dict[int, ArticleView] = {}
        self._terms: dict[tuple[str, str], TermView] = {}
        self.site_view = SiteView(self)

    def article(self, article: Article) -> ArticleView:
        view = self._articles.get(article.id)
        if view is None:
            view = self._articles[article.id] = ArticleView(self, article)
        return view

    def article_at(self, index: int) -> ArticleView:
        return self.article(self.site.articles[index])

    def term(self, term: Term) -> TermView:
        view = self._terms.get((term.kind, term.name))
        if view is None:
            view = self._terms[(term.kind, term.name)] = TermView(self, term)
        return view


class ArticleList(Sequence):
    """Articles by position in the model, made into views only when a template reaches them.

    A footer reading `site.articles|length` on 100,000 pages must not build 100,000 views each time.
    """

    __slots__ = ("_ids", "_views")

    def __init__(self, views: ViewFactory, ids: Sequence[int]):
        self._views = views
        self._ids = ids

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return ArticleList(self._views, self._ids[index])
        return self._views.article_at(self._ids[index])

    def __iter__(self) -> Iterator[ArticleView]:
        for i in self._ids:
            yield self._views.article_at(i)

    def __bool__(self) -> bool:
        return bool(self._ids)


class SiteView:
    """`site` in every template: settings, the article list, taxonomies, pages, menus."""

    __slots__ = ("_views",)

    def __init__(self, views: ViewFactory):
        self._views = views

    @property
    def config(self):
        return self._views.site.config  # settings are part of every page's shared inputs

    @property
    def params(self) -> dict:
        return self._views.site.config.params

    @property
    def menus(self):
        return self._views.site.menus

    @property
    def search(self) -> bool:
        return self._views.site.search

    @property
    def build_date(self) -> dt.date:
        self._views.reads.add(BUILD_DATE)
        return self._views.site.build_date

    @property
    def articles(self) -> ArticleList:
        self._views.reads.add(ALL_ARTICLES)
        return ArticleList(self._views, range(len(self._views.site.articles)))

    @property
    def people(self) -> list[PersonView]:
        """Everyone in data/people.toml, in file order."""
        self._views.reads.add(ALL_PEOPLE)
        return [PersonView(self._views, p) for p in self._views.site.people]

    def person(self, person_id: str) -> PersonView:
        return PersonView(self._views, self._views.site.person(person_id))

    @property
    def pages(self) -> list[PageView]:
        self._views.reads.add(ALL_PAGES)
        return [PageView(self._views, page) for page in self._views.site.pages]

    @property
    def share_image(self) -> ShareImage | None:
        """The share image of pages without a cover (`[images] default`, else the theme's), or None."""
        site = self._views.site
        if not site.share_image:
            return None
        return ImageView(self._views, ArticleImage("", site.config.title, key=site.share_image)).share

    @property
    def hot_searches(self) -> tuple[Link, ...]:
        self._views.reads.add(HOT_SEARCHES)
        return self._views.site.hot_searches

    @property
    def taxonomies(self) -> list[TaxonomyView]:
        return [TaxonomyView(self._views, taxonomy.key) for taxonomy in self._views.site.taxonomies]

    def taxonomy(self, key: str) -> TaxonomyView:
        """One taxonomy by its key: topic, city, tag, or a custom field such as department."""
        self._views.site.taxonomy(key)  # an unknown key is a template error naming it
        return TaxonomyView(self._views, key)

    def terms(self, key: str) -> list[TermView]:
        """The terms of a taxonomy, most articles first."""
        self._views.reads.add(terms_key(key))
        return [self._views.term(t) for t in self._views.site.terms.get(key, ())]

    @property
    def topics(self) -> list[TermView]:
        return self.terms("topic")

    @property
    def cities(self) -> list[TermView]:
        return self.terms("city")

    @property
    def tags(self) -> list[TermView]:
        return self.terms("tag")

    def term(self, kind: str, name: str) -> TermView:
        return self._views.term(self._views.site.term(kind, name))

    def topic_of(self, article: ArticleView) -> TermView:
        return article.topic_term

    def city_of(self, article: ArticleView) -> TermView:
        return article.city_term

    def tags_of(self, article: ArticleView) -> list[TermView]:
        return article.tag_terms

    def related_to(self, article: ArticleView) -> ArticleList:
        return article.related

    def articles_of(self, term: TermView) -> ArticleList:
        return term.articles

    def absolute_url(self, url: str) -> str:
        return self._views.site.absolute_url(url)


class TaxonomyView:
    """One row of the taxonomy table, as templates see it."""

    __slots__ = ("_views", "key")

    def __init__(self, views: ViewFactory, key: str):
        self._views = views
        self.key = key

    @property
    def _taxonomy(self):
        return self._views.site.taxonomy(self.key)

    @property
    def name(self) -> str:
        return self._taxonomy.name

    @property
    def field(self) -> str:
        return self._taxonomy.field

    @property
    def prefix(self) -> str:
        return self._taxonomy.prefix

    @property
    def url(self) -> str:
        return self._taxonomy.url

    @property
    def terms(self) -> list[TermView]:
        return self._views.site_view.terms(self.key)


class TermView:
    """A topic, city, tag or custom term: its names, URL, description and articles."""

    __slots__ = ("_term", "_views")

    def __init__(self, views: ViewFactory, term: Term):
        self._views = views
        self._term = term

    def _fact(self) -> Term:
        self._views.reads.add(term_key(self._term))
        return self._term

    @property
    def kind(self) -> str:
        return self._term.kind  # part of the term's identity: no fact read

    @property
    def name(self) -> str:
        return self._term.name

    @property
    def title(self) -> str:
        return self._fact().title

    @property
    def slug(self) -> str:
        return self._fact().slug

    @property
    def url(self) -> str:
        return self._fact().url

    @property
    def feed_url(self) -> str | None:
        return self._fact().feed_url

    @property
    def description(self) -> str:
        return self._fact().description

    @property
    def count(self) -> int:
        self._views.reads.add(term_count_key(self._term))
        return self._term.count

    @property
    def policy(self) -> bool:
        return self._fact().policy

    @property
    def taxonomy(self) -> TaxonomyView:
        return TaxonomyView(self._views, self._term.kind)

    @property
    def articles(self) -> ArticleList:
        self._views.reads.add(term_articles_key(self._term))
        return ArticleList(self._views, self._term.article_ids)

    def __str__(self) -> str:
        return self._term.name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TermView):
            return (other._term.kind, other._term.name) == (self._term.kind, self._term.name)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._term.kind, self._term.name))


class ArticleView:
    """One article: every field its page and its cards show."""

    __slots__ = ("_article", "_views")

    def __init__(self, views: ViewFactory, article: Article):
        self._views = views
        self._article = article

    def _fact(self) -> Article:
        self._views.reads.add(article_key(self._article))
        return self._article

    def __getattr__(self, name: str) -> Any:
        # Fields of the model not named below (source_path, slug, aliases, characters…).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._fact(), name)

    @property
    def title(self) -> str:
        return self._fact().title

    @property
    def url(self) -> str:
        return self._fact().url

    @property
    def date(self) -> dt.date:
        return self._fact().date

    @property
    def updated(self) -> dt.date | None:
        return self._fact().updated

    @property
    def last_modified(self) -> dt.date:
        return self._fact().last_modified

    @property
    def excerpt(self) -> str:
        return self._fact().excerpt

    @property
    def topic(self) -> str:
        return self._fact().topic

    @property
    def city(self) -> str:
        return self._fact().city

    @property
    def tags(self) -> tuple[str, ...]:
        return self._fact().tags

    @property
    def params(self):
        return self._fact().params

    @property
    def reading_minutes(self) -> int:
        return self._fact().reading_minutes

    @property
    def body_html(self) -> str:
        return self._views.body(self._fact())[0]

    @property
    def headings(self) -> tuple[Heading, ...]:
        return self._views.body(self._fact())[1]

    @property
    def topic_term(self) -> TermView:
        return self._views.term(self._views.site.term("topic", self._fact().topic))

    @property
    def city_term(self) -> TermView:
        return self._views.term(self._views.site.term("city", self._fact().city))

    @property
    def tag_terms(self) -> list[TermView]:
        return [self._views.term(self._views.site.term("tag", tag)) for tag in self._fact().tags]

    @property
    def terms(self) -> dict[str, list[TermView]]:
        """Every taxonomy's terms of this article, by taxonomy key."""
        found: dict[str, list[TermView]] = {}
        for term in self._views.site.terms_of(self._fact()):
            found.setdefault(term.kind, []).append(self._views.term(term))
        return found

    @property
    def authors(self) -> list[PersonView]:
        return [PersonView(self._views, self._views.site.person(p)) for p in self._fact().authors]

    @property
    def reviewers(self) -> list[PersonView]:
        return [PersonView(self._views, self._views.site.person(p)) for p in self._fact().reviewers]

    @property
    def last_reviewed(self) -> dt.date | None:
        return self._fact().last_reviewed

    @property
    def review_due(self) -> dt.date | None:
        return self._fact().review_due

    @property
    def overdue(self) -> bool:
        return self._fact().overdue

    @property
    def sources(self) -> tuple[Source, ...]:
        return self._fact().sources

    @property
    def corrections(self) -> tuple[Correction, ...]:
        return self._fact().corrections  # newest first

    @property
    def reprint(self) -> Reprint | None:
        return self._fact().reprint

    @property
    def ai_assisted(self) -> bool:
        return self._fact().ai_assisted

    @property
    def cover(self) -> ImageView | None:
        """The cover with its variants, or None; a remote cover has no variants."""
        cover = self._fact().cover
        return None if cover is None else ImageView(self._views, cover)

    @property
    def share_image(self) -> ShareImage | None:
        """What a share card shows: the cover's 1200×630 crop, else the site's default image."""
        cover = self.cover
        return cover.share if cover is not None else self._views.site_view.share_image

    @property
    def related(self) -> ArticleList:
        self._views.reads.add(related_key(self._article))
        return ArticleList(self._views, self._views.site.related[self._article.id])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArticleView):
            return other._article.source_path == self._article.source_path
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._article.source_path)


@dataclass(frozen=True)
class ShareImage:
    """og:image and JSON-LD image: an absolute URL, its size when known, and what it shows."""

    url: str
    alt: str
    width: int | None = None
    height: int | None = None
    type: str = ""  # image/jpeg


@dataclass(frozen=True)
class Thumbnail:
    """The smallest variant of a cover, for cards: src and WebP with their size (no layout shift)."""

    src: str
    webp: str
    width: int
    height: int


class ImageView:
    """A cover as templates show it: alt, caption and its variants (reading the picture's fact)."""

    __slots__ = ("_image", "_views")

    def __init__(self, views: ViewFactory, image: ArticleImage):
        self._views = views
        self._image = image

    def _picture(self) -> Picture | None:
        if not self._image.key:
            return None
        self._views.reads.add(image_key(self._image.key))
        return self._views.site.images.get(self._image.key)

    @property
    def alt(self) -> str:
        return self._image.alt

    @property
    def caption(self) -> str:
        return self._image.caption

    @property
    def remote(self) -> bool:
        """An https: image linked as written: no variants, no size."""
        return self._picture() is None

    @property
    def src(self) -> str:
        picture = self._picture()
        return self._image.url if picture is None else display_src(picture).url

    @property
    def srcset(self) -> str:
        picture = self._picture()
        return "" if picture is None or not picture.processed else srcset(picture.fallback)

    @property
    def webp_srcset(self) -> str:
        picture = self._picture()
        return "" if picture is None or not picture.processed else srcset(picture.webp)

    @property
    def sizes(self) -> str:
        return self._views.site.config.images.sizes

    @property
    def width(self) -> int | None:
        picture = self._picture()
        return picture.fallback[-1].width if picture is not None and picture.fallback[-1].width else None

    @property
    def height(self) -> int | None:
        picture = self._picture()
        return picture.fallback[-1].height if picture is not None and picture.fallback[-1].height else None

    @property
    def thumbnail(self) -> Thumbnail | None:
        picture = self._picture()
        if picture is None or not picture.processed:
            return None
        small, webp = picture.fallback[0], picture.webp[0]
        return Thumbnail(small.url, webp.url, small.width, small.height)

    @property
    def share(self) -> ShareImage:
        picture = self._picture()
        site = self._views.site
        if picture is None:
            return ShareImage(self._image.url, self._image.alt)
        if picture.share is None:  # published as it is (a GIF): shared at its own size
            shown = picture.fallback[-1]
            return ShareImage(site.absolute_url(shown.url), self._image.alt, shown.width or None, shown.height or None, shown.mime)
        card = picture.share
        return ShareImage(site.absolute_url(card.url), self._image.alt, card.width, card.height, card.mime)


class PageView:
    """A Markdown page under content/pages/ (关于我们, 隐私政策…)."""

    __slots__ = ("_page", "_views", "body_html", "headings")

    def __init__(self, views: ViewFactory, page: ContentPage, body_html: str = "", headings: tuple = ()):
        self._views = views
        self._page = page
        self.body_html = body_html
        self.headings = headings

    def _fact(self) -> ContentPage:
        self._views.reads.add(page_key(self._page))
        return self._page

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._fact(), name)


class PersonView:
    """An author or reviewer: their fields from data/people.toml, their page and their articles."""

    __slots__ = ("_person", "_views")

    def __init__(self, views: ViewFactory, person: Person):
        self._views = views
        self._person = person

    def _fact(self) -> Person:
        self._views.reads.add(person_key(self._person.id))
        return self._person

    @property
    def id(self) -> str:
        return self._person.id  # the person's identity: no fact read

    def __getattr__(self, name: str) -> Any:
        # name, title, organization, department, role, bio, url, page_url
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._fact(), name)

    @property
    def articles(self) -> ArticleList:
        """Every article they wrote or reviewed, newest first."""
        self._views.reads.add(person_articles_key(self._person.id))
        return ArticleList(self._views, self._views.site.person_articles.get(self._person.id, ()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PersonView):
            return other._person.id == self._person.id
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._person.id)


class SearchResult:
    """One card of a 大家都在搜 page: the article, and its passage with the term's places marked."""

    __slots__ = ("article", "excerpt")

    def __init__(self, article: ArticleView, excerpt: tuple[tuple[str, bool], ...]):
        self.article = article
        self.excerpt = excerpt  # (text, is a hit) pieces, in order
