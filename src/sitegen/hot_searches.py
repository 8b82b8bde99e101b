"""大家都在搜 made ready in advance: each term's first results are in the HTML of its own page.

A reader who taps a 大家都在搜 term on a phone waited for Pagefind's chain of requests (script,
worker, entry, metadata and WebAssembly, index chunk, fragments: six round trips, several
seconds under Slow 4G) before seeing anything. The build knows those terms, so it ranks their
results itself and writes them into `/search/<slug>/`: the results arrive with the page. The
search box there is the ordinary one; 加载更多 and every other query go through the index.

An article is a result when its title, one of its tags, its topic or its body text holds the term (letter
case, full-width forms and traditional characters folded), as the search page's phrase search
finds it. Results are
ranked by BM25 over weighted occurrences: title ×10, tags and topic ×5, the weights the index gives
them (search.TITLE_WEIGHT, search.TAGS_WEIGHT), saturation 1.4 and length normalisation 0.75,
Pagefind's own defaults; ties go to the newer article. Only the body's hits need the body, and
they are kept by content hash in the build cache, so a rebuild reads only the bodies it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial

from .model import Article, Site
from .search import TAGS_WEIGHT, TITLE_WEIGHT, body_text, labels
from .slugs import term_slug
from .text import simplified

HOT_VERSION = 2  # bump when what a body's hits hold, or how they are found, changes
RESULTS_SHOWN = 10  # as many as search.js shows before 加载更多 (its PAGE_SIZE)
PASSAGE_LENGTH = 110  # characters of an excerpt, as search.js cuts them
_SATURATION = 1.4  # Pagefind's termSaturation
_LENGTH_WEIGHT = 0.75  # Pagefind's pageLength

# A body's hits: for each term it holds, (term, occurrences, the passage shown on its card).
BodyHits = tuple[tuple[str, int, str], ...]


# Full-width letters, digits and signs to their ASCII forms (ＣＴ → CT): the part of NFKC that a
# reader's query needs, one character for one, so a position in folded text is one in the text.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold(text: str) -> str:
    """Text as it is compared: traditional characters, full-width forms and letter case folded
    (醫保 = 医保, ＣＴ检查 = ct检查), length kept."""
    simple = simplified(text)
    return (simple if len(simple) == len(text) else text).translate(_WIDTH).lower()


def result_urls(texts: Sequence[str], prefix: str) -> dict[str, str]:
    """The page of each term, `/search/<slug>/`; a second term with the same slug gets `-2`."""
    urls: dict[str, str] = {}
    taken: set[str] = set()
    for text in texts:
        if text in urls:
            continue
        base = term_slug(text)
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        taken.add(slug)
        urls[text] = f"{prefix}/search/{slug}/"
    return urls


def body_hits(body_html: str, texts: Sequence[str]) -> BodyHits:
    """Which of `texts` a rendered body holds, how often, and the passage around the first hit."""
    plain = body_text(body_html).replace("\n", " ")  # a block's end, as the card shows it
    folded = fold(plain)
    if len(folded) != len(plain):  # lower() changed the length (İ): passages cut from the folded text
        plain = folded
    hits = []
    for text in texts:
        needle = fold(text)
        first = folded.find(needle) if needle else -1
        if first < 0:
            continue
        hits.append((text, folded.count(needle), passage(plain, first)))
    return tuple(hits)


def passage(text: str, first: int) -> str:
    """A short passage around the hit at `first`: from its sentence's start when that is near, else a
    little before it, with … where the text goes on. The same cut as search.js's excerpts."""
    start = 0
    if first > 24:
        stop = max(text.rfind("\u3002", 0, first + 1), text.rfind("\uff1b", 0, first + 1), text.rfind("\uff01", 0, first + 1))
        start = stop + 1 if stop >= 0 and first - stop <= 40 else first - 16
    end = min(len(text), start + PASSAGE_LENGTH)
    return ("\u2026" if start > 0 else "") + text[start:end].strip() + ("\u2026" if end < len(text) else "")


class HitCache:
    """Each body's hits by its content hash, for one list of terms; what a build keeps for the next.

    `rules` is whatever else a body's text depends on besides its file (the callout titles)."""

    def __init__(self, texts: Sequence[str], rules: object, saved: object = None):
        self.texts = tuple(texts)
        self.salt = (HOT_VERSION, self.texts, repr(rules))
        fits = isinstance(saved, tuple) and len(saved) == 2 and saved[0] == self.salt
        self._saved = saved if fits else None
        self.hits: dict[str, BodyHits] = dict(saved[1]) if fits else {}  # type: ignore[index]
        self.changed = not fits

    def get(self, content_hash: str, body_html: Callable[[], str]) -> BodyHits:
        found = self.hits.get(content_hash)
        if found is None:
            found = self.hits[content_hash] = body_hits(body_html(), self.texts)
            self.changed = True
        return found

    def saved(self, used: set[str]) -> object:
        """What to keep: the hits of the bodies the site still has; the very object it was given
        when nothing changed, so the cache is not written again."""
        if len(used) != len(self.hits):
            self.hits = {key: value for key, value in self.hits.items() if key in used}
            self.changed = True
        if not self.changed and self._saved is not None:
            return self._saved
        self._saved, self.changed = (self.salt, self.hits), False
        return self._saved


def with_hot_results(site: Site, body_html: Callable[[Article], str], cache: HitCache) -> Site:
    """The site with the results of each 大家都在搜 term that has a page of its own (site.py planned them)."""
    if not site.hot_results:
        return site
    hits_of = [cache.get(a.content_hash, partial(body_html, a)) for a in site.articles]
    lengths = [max(1, a.characters) for a in site.articles]
    average = sum(lengths) / len(lengths) if lengths else 1.0
    pages = []
    for page in site.hot_results:
        needle = fold(page.text)
        scored = []
        for article, hits, length in zip(site.articles, hits_of, lengths, strict=True):
            count, shown = next(((count, shown) for hit, count, shown in hits if hit == page.text), (0, ""))
            tagged = sum(fold(label).count(needle) for label in labels(article.tags, article.topic))
            weighted = TITLE_WEIGHT * fold(article.title).count(needle) + TAGS_WEIGHT * tagged + count
            if not weighted:
                continue
            norm = 1 - _LENGTH_WEIGHT + _LENGTH_WEIGHT * length / average
            score = weighted * (_SATURATION + 1) / (weighted + _SATURATION * norm)
            # site.articles is newest first: the position breaks ties in favour of the newer.
            scored.append((-score, article.id, shown))
        scored.sort()
        pages.append(replace(page, total=len(scored), results=tuple((id_, shown) for _, id_, shown in scored[:RESULTS_SHOWN])))
    return replace(site, hot_results=tuple(pages))


def marked(passage: str, term: str) -> tuple[tuple[str, bool], ...]:
    """`passage` cut into pieces, each occurrence of `term` (case and width folded) a hit of its own."""
    folded, needle = fold(passage), fold(term)  # pieces are cut from `passage` by positions in `folded`
    if not needle or len(folded) != len(passage):
        return ((passage, False),)
    pieces: list[tuple[str, bool]] = []
    position = 0
    for at in _occurrences(folded, needle):
        if at > position:
            pieces.append((passage[position:at], False))
        pieces.append((passage[at : at + len(needle)], True))
        position = at + len(needle)
    if position < len(passage):
        pieces.append((passage[position:], False))
    return tuple(pieces)


def _occurrences(text: str, needle: str) -> Iterator[int]:
    at = text.find(needle)
    while at >= 0:
        yield at
        at = text.find(needle, at + len(needle))
