"""The search index: slim copies of the articles, cut into words by jieba, indexed by Pagefind.

Pagefind's own Chinese support splits text one way when indexing (charabia with jieba's
dictionary) and the query another way in the browser (`Intl.Segmenter`), so 医保 in the box
finds 医 and 保 (issue 13). Here the build does all the cutting: every text is cut by jieba's
search mode (rjieba) and written with a space between words under a language code Pagefind does
not segment (`zz`), so Pagefind only splits on spaces. The build also writes the index's word
list (`sitegen-words.json`, with a traditional → simplified table for the characters it uses),
and the theme's search.js cuts the query by longest match against that list: both sides cut the
same way.

Only what is searched goes to Pagefind: a slim page per article and page (title, tags, topic,
city, date, body text) in a staging folder under .sitegen-cache/, never the full output. The slim
pages' digest is the index's fingerprint, so a build that changes no slim page keeps the index.
jieba (and its dictionary, 0.2 s) is imported only by builds that index.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import html
import importlib.metadata
import json
import os
import pickle
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Container, Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

from .cache import _read_signed, _write_signed, signing_key
from .content import stat_key
from .errors import Problem, SiteError
from .markdown import BodyPage
from .model import Site, output_path
from .output import move_folder, swap_folder
from .pagefind_chunks import split_heavy_chunks, unpacked
from .text import simplified
from .workers import run_chunks

PAGEFIND_DIR = "pagefind"  # the search index, in the output folder
STAGING_DIR = "search-pages"  # the slim pages Pagefind indexes, under .sitegen-cache/
NEW_INDEX_DIR = "new-index"  # where Pagefind writes a build's index, under .sitegen-cache/, until it is put in place
RETIRED_DIR = "retired-index"  # the index a build replaced, under .sitegen-cache/: the next one deletes it
WORDS_FILE = "sitegen-words.json"  # the whole word list, for tools and tests: in the index folder, and the cache's copy
# The same list as search.js fetches it (word_shards): a head and the words by first character.
WORD_SHARDS_DIR = "sitegen-words"
WORD_SHARDS_HEAD = "head.json"
_SHARD_BYTES = 8192  # about this much of the list in a shard (256 shards at most)
_WHOLE_BYTES = 65536  # a list this small is fetched whole once a first search is done (search.js)
# The head carries the index's page table while it is at most this big gzipped: at a phone's
# 1.6 Mbit/s, 16 KiB take 80 ms, less than the round trip for the first fragments it saves.
_PAGE_TABLE_BYTES = 16384
_SMALLEST_ROW = 24  # bytes a page's row takes in it gzipped, at the least (25-60 seen)
# An index whose chunks are this small in all is fetched whole once the first results are shown
# (search.js): a later query then waits on no chunk (70 KiB on the sample site).
_WHOLE_INDEX_BYTES = 131072
LANGUAGE = "zz"  # a code Pagefind has no segmenter for: it splits on whitespace only
# Bump when the slim pages or the files beside the index would come out differently from the
# same site (cutting, layout, the word list's head): a new version indexes again.
SEARCH_VERSION = 8
# Words of one character that health writing uses at the end of longer ones (降压药, 护理费,
# 宫颈癌, 医保卡) and readers type apart (高血压 药): a slim page holds each once where a word of
# its text ends with it (_cut_jieba). A fixed set, so that whether a page holds one never
# depends on other articles: "where the site has it as a word" re-wrote 9,983 of 10,000 slim
# pages (22.7 s) when one article first said 员 alone.
ONE_CHARACTER_WORDS = frozenset("药费病科针癌炎痛疹险卡证院苗镜检保金贴")
# Pagefind weighs words by the element they are in; the title and tags are what a reader names.
TITLE_WEIGHT = 10
TAGS_WEIGHT = 5

JOIN_MARK = "\u00b7"  # · between the joins of a slim page (slim_page)
_STOPS = frozenset("\u3002\uff01\uff1f\uff1b\uff1a\u2026.!?;:")  # 。！？；：… and ASCII: a block that ends with one
_HAN_CLASS = "\u3400-\u9fff\uf900-\ufaff"
# Two Chinese characters either side of a space in cut text: a boundary of jieba's words.
_PAIR = re.compile(f"([{_HAN_CLASS}]) (?=([{_HAN_CLASS}]))")
# The same where both words are one character long (术 前).
_LONE_PAIR = re.compile(f"(?<!\\S)([{_HAN_CLASS}]) (?=([{_HAN_CLASS}])(?!\\S))")
# A word of three Chinese characters or more in cut text.
_LONG_HAN_WORD = re.compile(f"(?<!\\S)[{_HAN_CLASS}]{{3,}}(?!\\S)")
_LETTER_RUN = re.compile("[A-Za-z\u00c0-\u024f]+")
# Where a Chinese character meets a letter or digit: search.js cuts a query there (its RUNS).
_SCRIPT_CHANGE = re.compile(f"(?<=[{_HAN_CLASS}])(?=[0-9A-Za-z\u00c0-\u024f])|(?<=[0-9A-Za-z\u00c0-\u024f])(?=[{_HAN_CLASS}])")


class SearchDoc(NamedTuple):
    """What the index holds of one article or page."""

    path: str  # its file in the output, e.g. yibao/x/index.html (Pagefind derives the URL)
    title: str
    tags: tuple[str, ...]
    topic: str
    city: str
    date: str  # ISO, or "" for a page without one
    body_html: str  # the rendered body: made plain text (body_text) where it is cut, in the workers
    # What the body is made of, when it is read only if it must be cut (prepare_index's `bodies`):
    # its source's content hash and what else its HTML depends on. The cut cache keys it by this.
    body_key: str = ""
    body_hash: str = ""  # its source's content hash: where the body store keeps its HTML

    @property
    def labels(self) -> tuple[str, ...]:
        return labels(self.tags, self.topic)


def labels(tags: Iterable[str], topic: str) -> tuple[str, ...]:
    """What the index weighs as tags: the tags and the topic, which the article page shows as
    its tags are (a 生育保险 article is found by 保险 though its text never says it)."""
    return tuple(dict.fromkeys(label for label in (*tags, topic) if label))


def search_docs(
    site: Site, body_page: Callable[[str], BodyPage | None], prefix: str, body_salt: str = "", *, read_bodies: bool = True
) -> list[SearchDoc]:
    """The documents of the index: every article, then every page, with their body's key and,
    with `read_bodies`, their body (else prepare_index reads the few it cuts, see body_reader)."""
    docs: list[SearchDoc] = []

    def body_html(key: str) -> str:
        page = body_page(key) if read_bodies else None
        return page.html if page else ""

    for article in site.articles:
        docs.append(
            SearchDoc(
                output_path(article.url, prefix), article.title, tuple(article.tags), article.topic, article.city,
                article.date.isoformat(), body_html(article.content_hash), f"{body_salt}:{article.content_hash}", article.content_hash,
            )
        )  # fmt: skip
    for content in site.pages:
        updated = content.updated.isoformat() if content.updated else ""
        key = f"{body_salt}:{content.content_hash}"
        docs.append(
            SearchDoc(output_path(content.url, prefix), content.title, (), "", "", updated, body_html(content.content_hash), key, content.content_hash)
        )
    return docs


def body_reader(body_page: Callable[[str], BodyPage | None]) -> Callable[[SearchDoc], str]:
    """prepare_index's `bodies` for documents of search_docs(read_bodies=False)."""

    def body_html(doc: SearchDoc) -> str:
        page = body_page(doc.body_hash)
        return page.html if page else ""

    return body_html


def _with_body(doc: SearchDoc, bodies: Callable[[SearchDoc], str] | None) -> SearchDoc:
    return doc._replace(body_html=bodies(doc)) if bodies is not None and not doc.body_html and doc.body_key else doc


# The body's HTML is the sanitiser's output (markdown.py): well formed, no comments, no scripts.
# Patterns read it ten times faster than html.parser, whose 2 s per 1,000 articles were half
# of the cutting.
_SKIPPED_ELEMENTS = re.compile(r"<(sup|script|style|template)\b[^>]*>.*?</\1>", re.S)  # footnote marks [1] are no words
_BLOCK_TAGS = re.compile(r"</?(?:p|li|h[1-6]|td|th|dt|dd|pre|blockquote|tr|figcaption|br|div|table|ul|ol|dl)\b[^>]*>")
_TAGS = re.compile(r"<[^>]*>")


def body_text(body_html: str) -> str:
    """The text of a rendered body, one block (paragraph, heading, list item, cell) a line."""
    text = html.unescape(_TAGS.sub("", _BLOCK_TAGS.sub("\n", _SKIPPED_ELEMENTS.sub("", body_html))))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


class _Cut(NamedTuple):
    """A document cut into words, before the pairs across boundaries are added."""

    body: list[str]  # precise mode's words of the body, blocks ended by a stop: search.js shows them
    title: list[str]  # every word of the title (precise and search mode)
    tags: list[str]
    extra: list[str]  # the body's words besides precise mode's
    pairs: list[str]  # the two characters across each boundary of precise mode, and inside its guessed longer words but their start; Chinese only
    lone: list[str]  # those of them that were two words of one character each (术|前)
    joins: list[str]  # two words side by side, "a b", one of them the end or start of precise mode's word there (_joins)
    parts: list[str]  # those ends and starts: a join is written when the vocabulary has them


def _han(char: str) -> bool:
    # Compared, not matched with a pattern: called for every word of the site.
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def cut(text: str) -> list[str]:
    """The words of `text` as the index holds them: jieba's search mode, whose words are precise
    mode's and the shorter ones inside them (过敏性 gives 过敏 too, 住院费用 gives 住院 and 费用);
    spaces and punctuation dropped."""
    import rjieba  # imported here: it loads jieba's dictionary, which builds without search never need

    return [word for word in _by_script(rjieba.cut_for_search(text)) if word[0].isalnum()]


def _by_script(words: list[str]) -> list[str]:
    """jieba's `words`, those of its dictionary that mix Chinese with letters or digits (B超, X光,
    O型, 4S店) cut where the script changes, as search.js cuts a query: a reader's B超 is
    searched as b and 超, which found no article that had B超 as one word."""
    text = "\0".join(words)  # one pattern over the whole cut, in C: no word holds a NUL
    return _SCRIPT_CHANGE.sub("\0", text).split("\0") if _SCRIPT_CHANGE.search(text) else words


def _letters_beside_han(text: str) -> bool:
    """Whether `text` has a letter beside a Chinese character, without which jieba makes no word
    that _by_script would cut (its mixed words all hold a letter). Most bodies have none: looking
    for runs of letters took 16 µs a body, _by_script on its cut 140 µs."""
    for run in _LETTER_RUN.finditer(text):
        start, end = run.span()
        if (start and _han(text[start - 1])) or (end < len(text) and _han(text[end])):
            return True
    return False


def _cut_doc(doc: SearchDoc, names: re.Pattern[str] | None = None) -> _Cut:
    """`doc` cut into words. jieba is called once for each text and the pairs are found by
    patterns over the cut text: a loop over the words in Python took 3 s per 1,000 articles.

    `names` finds the site's tag and topic names wherever they occur, each then one more word
    (see _names_pattern)."""
    text = _blocks(doc)
    return _with_names(_cut_jieba(doc, text), _names_found(doc, text, names))


def _blocks(doc: SearchDoc) -> str:
    # A heading or list item would run into the next block: each block ends with a stop.
    return "\n".join(line if line[-1] in _STOPS else line + "\u3002" for line in body_text(doc.body_html).split("\n"))


def _cut_jieba(doc: SearchDoc, text: str) -> _Cut:
    """What jieba makes of `doc` (its blocks are `text`): all of its cut but the names, which
    depend on the whole site, so the cut cache keeps this part by the document alone.

    Text in traditional characters is cut again in simplified ones, added to `extra` (the title's
    to `title`, a tag's to `tags`): search.js turns every query into simplified characters, so
    医保 finds an article that says 醫保. jieba's dictionary is simplified and cuts it better too.
    Words the two scripts write alike are then counted twice, in the few articles this concerns."""
    import rjieba

    by_script = _by_script if _letters_beside_han(text) else list
    body = [word for word in by_script(rjieba.cut(text)) if not word.isspace()]
    joins = _joins(body)
    shown = set(body)
    extra = [word for word in by_script(rjieba.cut_for_search(text)) if word not in shown and not word.isspace()]  # only Chinese words differ
    title = cut(doc.title)
    tags = [word for tag in doc.labels for word in cut(tag)]
    cut_texts = [" ".join(body), *(" ".join(_by_script(rjieba.cut(t))) for t in (doc.title, *doc.labels))]
    simple_text, simple_title, *simple_tags = (simplified(t) for t in (text, doc.title, *doc.labels))
    if simple_text != text:
        simple_body = [word for word in by_script(rjieba.cut(simple_text)) if not word.isspace()]
        had = shown | set(extra) | set(simple_body)
        # The whole text again, in order (a phrase typed must find its words side by side), and
        # the shorter words of search mode that neither cut has yet.
        extra += [*simple_body, *(word for word in by_script(rjieba.cut_for_search(simple_text)) if word not in had and not word.isspace())]
        had_joins = set(joins)  # a list's `in` made this quadratic in the body's length
        joins += (join for join in _joins(simple_body) if join not in had_joins)
        cut_texts.append(" ".join(simple_body))
    if simple_title != doc.title:
        title += cut(simple_title)
        cut_texts.append(" ".join(_by_script(rjieba.cut(simple_title))))
    for tag, simple_tag in zip(doc.labels, simple_tags):
        if simple_tag != tag:
            tags += cut(simple_tag)
            cut_texts.append(" ".join(_by_script(rjieba.cut(simple_tag))))
    pairs: set[str] = set()  # once for each article: they only make a word findable
    lone: set[str] = set()
    for cut_text in cut_texts:
        # Joined by map in C: a generator of a + b for each match cost as much as the matching.
        pairs.update(map("".join, _PAIR.findall(cut_text)))
        lone.update(map("".join, _LONE_PAIR.findall(cut_text)))
        # And each two inside a longer word that jieba guessed, but its first two: Pagefind
        # finds a word by its start, so the site's 甲流 missed the article where jieba's guess
        # made 对甲流 one word (search mode gives the words inside a word of its dictionary).
        for word in _LONG_HAN_WORD.findall(cut_text):
            if _guessed(word):
                pairs.update(word[i : i + 2] for i in range(1, len(word) - 1))
    # And, once, each of ONE_CHARACTER_WORDS that ends a longer word of the text but is never a
    # word of it alone: 降压药 holds 药, which a reader types apart (高血压 药), and Pagefind
    # matches a word by its start only.
    said = shown.union(*(cut_text.split(" ") for cut_text in cut_texts[1:]))
    extra += sorted({word[-1] for word in said if len(word) > 1 and word[-1] in ONE_CHARACTER_WORDS and word[-1] not in said})
    parts = sorted({part for join in joins for part in join.split(" ") if part not in shown})
    return _Cut(body, title, tags, extra, sorted(pairs), sorted(lone), joins, parts)


def _joins(body: list[str]) -> list[str]:
    """Each two words side by side in `body` with the end of the first or the start of the
    second in their place, once each: for 接触|过敏性 also "接触 过敏", for 医疗保险|报销比例
    also "保险 报销", "医疗保险 报销" and "保险 报销比例".

    A word typed that the index holds as two (接触过敏) is searched as a phrase, which Pagefind
    matches word for word: without these, the articles that say 接触过敏性 were not found by it.
    The starts and ends are any of two characters or more (_word_parts), not only search mode's:
    the query is cut by the site's words, and jieba's dictionary lacks many of them. After a
    word of three or more, a word of two that jieba guessed (not in its dictionary) gives its
    first character as its start: jieba guesses at a medicine it does not know by its
    neighbours, 孟鲁司|特钠 in one article and 开孟鲁司|特 in another, and a reader's 孟鲁司特 is
    cut 孟鲁司|特. They are
    not words of the vocabulary (most are no word at all): only a query made of the site's words
    can ask for them."""
    found: dict[str, None] = {}
    for at, (first, second) in enumerate(pairwise(body)):
        # Only words of three characters or more have starts and ends (_word_parts), and only
        # after one does a guessed word of two give its first character.
        if (len(first) > 2 or len(second) > 2) and first[0].isalnum() and second[0].isalnum():
            for end in (first, *_word_parts(first)[1]):
                for start in (second, *_word_parts(second)[0]):
                    if end is not first or start is not second:
                        found[f"{end} {start}"] = None
            if len(second) == 2 and len(first) > 2 and _guessed(second):
                found[f"{first} {second[0]}"] = None  # a query that ends inside jieba's guess: 孟鲁司|特钠 holds 孟鲁司特
        if first.isascii() and first[0].isalnum() and _han(second[0]):
            # After a letter or a number every start counts, one character too: 胸部X线或CT is
            # cut X|线或 and 14天内 14|天内, where a reader types X线 and 14天; with the word
            # before too (胸部X线), and after a mixed word of jieba's (X光|片要: X光片).
            # (Letters only: a number follows most words somewhere.)
            lettered = first[0].isalpha()
            before = body[at - 1] if lettered and at and _han(body[at - 1][-1]) else ""
            for size in range(1, len(second)):
                found.setdefault(f"{first} {second[:size]}")
                if before:
                    found.setdefault(f"{before} {first} {second[:size]}")
            after = body[at + 2] if lettered and len(second) == 1 and at + 2 < len(body) else ""
            if len(after) > 1 and _han(after[0]):
                for size in range(1, len(after)):
                    found.setdefault(f"{first} {second} {after[:size]}")
    return list(found)


@lru_cache(maxsize=1 << 16)
def _guessed(word: str) -> bool:
    """Whether jieba made the Chinese `word` by guessing (its HMM), not from its dictionary."""
    import rjieba

    return all(map(_han, word)) and len(rjieba.cut(word, False)) > 1


@lru_cache(maxsize=1 << 16)
def _word_parts(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The starts and the ends of `word` of two characters or more, if it is Chinese: 偏高时
    starts with 偏高, which jieba's dictionary lacks but other articles have as a word."""
    if len(word) <= 2 or not all(map(_han, word)):
        return (), ()
    return tuple(word[:size] for size in range(2, len(word))), tuple(word[-size:] for size in range(2, len(word)))


class _Names(NamedTuple):
    """The site's names found in one document: in its body, its title and its tags."""

    body: list[str]
    title: list[str]
    tags: list[str]


def _names_found(doc: SearchDoc, text: str, names: re.Pattern[str] | None) -> _Names:
    if names is None:
        return _Names([], [], [])
    # In simplified characters, as the names are (a site's names in traditional ones are cut alike).
    return _Names(
        names.findall(simplified(text)), names.findall(simplified(doc.title)), [name for tag in doc.labels for name in names.findall(simplified(tag))]
    )


def _with_names(done: _Cut, found: _Names) -> _Cut:
    return done._replace(extra=done.extra + found.body, title=done.title + found.title, tags=done.tags + found.tags)


def _words(done: _Cut) -> set[str]:
    # Latin words and punctuation too: word_list() keeps only the Chinese ones.
    return {*done.title, *done.tags, *done.extra, *done.lone, *done.body}


def _names_pattern(docs: Sequence[SearchDoc]) -> re.Pattern[str] | None:
    """The tag and topic names of the site, and the medical words, that jieba does not keep
    whole, longest first.

    Readers type them as one word (职工医保), and jieba cuts them (职工|医保): searched as two
    words, an article saying 医保 often and 职工医保 once ranked above one tagged 职工医保. As a
    word of their own, found wherever they occur, they rank by their own count and weight. A
    drug's name is cut by its context too (加用布地奈德 as 加|用布|地|奈德), so no query found it there.
    The site's own search words (site.toml's `search_words`) are names whatever jieba makes of them.
    """
    source = _names_source(_name_candidates(docs))
    return re.compile(source) if source else None


def _name_candidates(docs: Sequence[SearchDoc], words: Sequence[str] = ()) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names to test with jieba, and the site's search words, which are names untested."""
    named = {tag for doc in docs for tag in doc.tags} | {doc.topic for doc in docs}  # each name tested once, not once an article
    named |= medical_words()
    own = {simplified(word) for word in words if len(word) > 1 and all(_han(c) for c in word)}
    return tuple(sorted({simplified(name) for name in named if len(name) > 1 and all(_han(c) for c in name)} - own)), tuple(sorted(own))


@lru_cache(maxsize=1)
def medical_words() -> frozenset[str]:
    """Words of Chinese health writing that jieba cuts into pieces (drug names, tests,
    conditions: medical_words.txt), kept whole in the index like the site's own names."""
    text = (Path(__file__).parent / "medical_words.txt").read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() if not line.startswith("#") for word in line.split())


def _names_source(candidates: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    """The pattern of _names_pattern, as text: "" when jieba keeps every name whole and the site
    has no search words of its own."""
    import rjieba

    tested, own = candidates
    # A word of the site's is one wherever a text holds it: jieba keeps 肠镜 whole alone, but
    # cuts 胃肠镜检查 as 胃肠|镜检查.
    names = sorted({*(name for name in tested if len(rjieba.cut(name)) > 1), *own}, key=lambda name: (-len(name), name))
    return "|".join(map(re.escape, names))


def _cut_chunk(shared: tuple, items: Sequence[tuple[SearchDoc, _Entry | None]]) -> list[tuple[tuple[bytes, bytes] | None, _Names | None, str | list[str] | None]]:
    """Each document's names and words (packed), and its jieba cut packed for the cut cache
    unless the cache had it (None then). Names and words are None when the cache had it and its
    names are the same.

    Packed, because all of it goes back to the parent: a cut as lists of words took longer to
    pickle and load (1.6 s per 2,000 articles, the loading in the parent alone) than jieba took."""
    names, changed_names, bodies = shared
    results: list[tuple[tuple[bytes, bytes] | None, _Names | None, str | list[str] | None]] = []
    for doc, cached in items:
        if cached is not None and not changed_names:
            results.append((None, None, None))
            continue
        doc = _with_body(doc, bodies)
        if cached is not None and not _holds_any(doc, changed_names):
            results.append((None, None, None))  # a name that is in no text changes nothing found
            continue
        text = _blocks(doc) if cached is None or names is not None else ""
        found = _names_found(doc, text, names)
        if cached is None:
            made = _cut_jieba(doc, text)
            results.append((_pack_cut(made), found, _pack(list(_words(_with_names(made, found))))))
        elif _pack_names(found) == cached.found:
            results.append((None, None, None))
        else:
            words = _words(_with_names(_unpack_cut(cached.cut, cached.pairs), found))
            results.append((None, found, _pack(list(words))))
    return results


def _holds_any(doc: SearchDoc, names: Iterable[str]) -> bool:
    """Whether a name may be in `doc`'s title, tags or body text: the body's tags are dropped but
    not its blocks (quicker than body_text; a block boundary joins text, never parts it)."""
    names = list(names)
    if not names:
        return False
    plain = simplified(html.unescape(_TAGS.sub("", _SKIPPED_ELEMENTS.sub("", doc.body_html))))
    title, tags = simplified(doc.title), [simplified(tag) for tag in doc.labels]
    return any(name in plain or name in title or any(name in tag for tag in tags) for name in names)


class _LongWords:
    """The site's words of three Chinese characters or more, found wherever a text holds them,
    whatever jieba cut there: 糖尿病|患者 holds 病患者, 境外|医疗保险 holds 境外医疗.

    A reader's query is cut by the longest words of the word list (search.js), so a word that
    jieba kept whole in one article must be a word in every article that holds it; the pairs
    do the same for two characters across a boundary. An Aho-Corasick automaton (pyahocorasick)
    finds them all in one pass over the text: about 0.1 ms an article."""

    def __init__(self, vocabulary: Iterable[str]):
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for word in vocabulary:
            if is_long_word(word):
                self._automaton.add_word(word, len(word))
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def found(self, text: str, known: Container[str]) -> list[str]:
        """The long words `text` holds that are not in `known`, once each, in text order."""
        if self._empty:
            return []
        text = simplified(text)  # as the vocabulary is, and search.js makes every query
        seen: dict[str, None] = {}
        for end, size in self._automaton.iter(text):
            word = text[end - size + 1 : end + 1]
            if word not in known:
                seen[word] = None
        return list(seen)


def is_long_word(word: str) -> bool:
    """Whether _LongWords looks for `word`: three Chinese characters or more."""
    return len(word) >= 3 and all(map(_han, word))


def slim_page(doc: SearchDoc, done: _Cut, vocabulary: Container[str], long_words: _LongWords) -> str:
    """The page Pagefind indexes for `doc`, cut into `done`'s words.

    Pagefind splits on spaces only, so every word is written with a space around it. The body
    comes first, in precise-mode words (search.js puts them back together for excerpts: `n` says
    how many there are); then the title and tags, weighted, and the other words: search mode's
    shorter ones, and a pair of characters across a boundary of precise mode when the site has
    that pair as a word elsewhere, or as two lone characters somewhere; the same for two
    characters inside a longer word that jieba guessed, but its first two (甲流 in 对甲流:
    Pagefind matches a word by its start only). jieba cuts 中间有断缴的
    as 有断|缴 but 断缴 in most articles, and 术前检查 as 术|前|检查: the pair makes a reader's
    断缴 or 术前 find them all. (On the sample site every pair across every boundary doubled the
    index and tripled the word list; these pairs add 8 % and 11 %.) Longer words of the site
    that the text holds across jieba's cut (`long_words`) are added the same way, to the title
    and tags where those hold them. Last come the joins (_joins), apart from each other.
    """
    title = [*done.title, *long_words.found(doc.title, set(done.title))]
    tag_words = set(done.tags)
    tags = [*done.tags, *dict.fromkeys(word for label in doc.labels for word in long_words.found(label, tag_words))]
    spans = long_words.found("".join(done.body), {*done.body, *done.extra})
    done = done._replace(title=title, tags=tags, extra=[*done.extra, *spans])
    extra = [*done.extra, *(pair for pair in done.pairs if pair in vocabulary)]
    joins = [join for join in done.joins if all(word in vocabulary for word in join.split(" "))]
    meta = [("title", doc.title), ("date", doc.date), ("topic", doc.topic), ("city", doc.city), ("n", str(len(done.body)))]
    # Metadata is indexed too, split on spaces: only short values go there, never the body.
    metas = "".join(f'<span data-pagefind-meta="{key}:{html.escape(value)}"></span>' for key, value in meta if value)
    filters = "".join(
        f'<span data-pagefind-filter="{key}:{html.escape(value)}"></span>' for key, value in (("topic", doc.topic), ("city", doc.city)) if value
    )
    return (
        f'<!DOCTYPE html><html lang="{LANGUAGE}"><head><meta charset="utf-8"><title>{html.escape(doc.title)}</title></head>'
        f"<body><main data-pagefind-body>{metas}{filters}"
        f"<div>{html.escape(' '.join(done.body))}</div>"
        f'<h1 data-pagefind-weight="{TITLE_WEIGHT}">{html.escape(" ".join(done.title))}</h1>'
        + (f'<p data-pagefind-weight="{TAGS_WEIGHT}">{html.escape(" ".join(done.tags))}</p>' if done.tags else "")
        + (f"<div>{html.escape(' '.join(extra))}</div>" if extra else "")
        # A mark between the joins, which Pagefind counts as a word and does not index: a
        # phrase never runs from one join into the next.
        + (f"<div>{JOIN_MARK} {html.escape(f' {JOIN_MARK} '.join(joins))}</div>" if joins else "")
        + "</main></body></html>\n"
    )


def _page_chunk(shared: tuple, items: Sequence[int]) -> list[tuple[int, bytes, tuple | None]]:
    # Made and written here, in the workers: writing 10,000 slim pages (a folder each, as
    # Pagefind derives the URL from the path) took 8 s in one process. The cuts come packed.
    docs, cuts, vocabulary, long_words, staging, fresh = shared
    pages = []
    for i in items:
        data = slim_page(docs[i], _unpack_cut(*cuts[i]), vocabulary, long_words).encode("utf-8")
        target = f"{staging}/{docs[i].path}"
        if i in fresh:  # no page there that could already be right: no need to read it first
            _write_new(target, data)
        else:
            _write_if_changed(Path(target), data)
        pages.append((i, _digest(data), _stat(target)))
    return pages


def _write_new(target: str, data: bytes) -> None:
    try:
        handle = open(target, "wb")  # noqa: SIM115  (opened again below when its folder is missing)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        handle = open(target, "wb")  # noqa: SIM115
    with handle:
        handle.write(data)


def prepare_index(
    docs: Sequence[SearchDoc],
    cache_dir: Path,
    *,
    jobs: int,
    reuse: bool = True,
    bodies: Callable[[SearchDoc], str] | None = None,
    site_words: Sequence[str] = (),
) -> str:
    """Write the slim pages and the word list under `cache_dir`; return their digest, the index's
    fingerprint (the same digest: the index Pagefind makes of them is the same).

    What jieba made of each document is kept in the cut cache, so only changed documents are cut
    again; `reuse=False` (a build with --no-cache) starts it anew. Paths are unique (routes).
    A document without its body_html is given it by `bodies` when it must be cut. `site_words` are
    the site's own search words (site.toml), found wherever a text holds them."""
    docs = list(docs)
    salt = _cut_salt()
    cache = _CutCache.load(cache_dir / CUTS_DIR, salt) if reuse else _CutCache(cache_dir / CUTS_DIR, salt)
    candidates = _name_candidates(docs, site_words)
    last_names = cache.names
    if cache.names is None or cache.names[0] != candidates:
        cache.names = (candidates, _names_source(candidates))
    names = re.compile(cache.names[1]) if cache.names[1] else None
    # Names are Chinese characters only, which re.escape leaves as they are.
    changed_names = set(last_names[1].split("|")) ^ set(cache.names[1].split("|")) if last_names is not None else set()
    changed_names.discard("")
    names_key = _digest(cache.names[1].encode("utf-8"))

    # Cut what changed: by jieba when the document did, only its names when the site's did.
    keys = [_doc_key(doc) for doc in docs]
    todo: list[int] = []
    known: list[_Entry | None] = []  # the entry whose jieba cut is still right, when only the names are not
    for i, doc in enumerate(docs):
        entry = cache.entries.get(doc.path)
        if entry is None or entry.key != keys[i]:
            todo.append(i)
            known.append(None)
        elif entry.names != names_key:
            todo.append(i)
            known.append(entry)
    items = [(docs[i], cached) for i, cached in zip(todo, known)]
    done = (result for chunk in run_chunks(_cut_chunk, items, shared=(names, changed_names, bodies), jobs=jobs, minimum=200) for result in chunk)
    # The documents whose slim page is made again: their cut and pairs, packed, and names found.
    cuts: dict[int, tuple[bytes, bytes, tuple[str, str, str]]] = {}
    # The vocabulary, as a count of the documents holding each word: a changed document moves
    # only its own words, and the words that come or go tell which other slim pages change.
    current = {doc.path for doc in docs}
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for i, (cut_now, found_now, words) in zip(todo, done):
        old = cache.entries.get(docs[i].path)
        if found_now is None or words is None:  # none of the names the site gained or lost is in it
            assert old is not None
            cache.put(docs[i].path, old._replace(names=names_key))
            continue
        if cut_now is None:
            assert old is not None
            cut_now = (old.cut, old.pairs)
        cuts[i] = (*cut_now, _pack_names(found_now))
        gained.update(_unpack(words))
        if old is not None:
            lost.update(_words(_unpack_cut(old.cut, old.pairs, old.found)))
    for path, entry in cache.entries.items():
        if path not in current:
            lost.update(_words(_unpack_cut(entry.cut, entry.pairs, entry.found)))
    counts = cache.counts
    moved: set[str] = set()  # words the vocabulary gained or lost
    for word in gained.keys() | lost.keys():
        before = counts.get(word, 0)
        after = before + gained[word] - lost[word]
        if after:
            counts[word] = after
        else:
            counts.pop(word, None)
        if (before > 0) != (after > 0):
            moved.add(word)
    if moved or cache.listed is None:
        cache.listed = word_list(counts)
    listed = cache.listed
    # A pair across a boundary, or a join, is written when the vocabulary has its words
    # (slim_page): pages whose pairs or joins' parts hold a word that came or went change too
    # (the parts are Chinese, two characters or more; found within a longer one, a page is
    # only made again as it was). And pages whose text holds a long word that came or went.
    flipped = [re.escape(word.encode("utf-8")) for word in sorted(moved) if len(word) >= 2 and all(map(_han, word))]
    flips = re.compile(b"|".join(flipped)).search if flipped else None
    long_moved = [word for word in moved if is_long_word(word)]

    staging = cache_dir / STAGING_DIR
    pending: list[int] = []  # documents whose slim page is made again
    for i, doc in enumerate(docs):
        entry = cache.entries.get(doc.path)
        if (
            i in cuts or entry is None or not cache.trusted or entry.meta != (doc.date, doc.topic, doc.city)
            or (flips is not None and flips(entry.pairs)) or (long_moved and _holds_long(doc, entry, long_moved))
            or _stat(f"{staging}/{doc.path}") != entry.staged
        ):  # fmt: skip
            pending.append(i)
            if i not in cuts:
                assert entry is not None
                cuts[i] = (entry.cut, entry.pairs, entry.found)
    if pending or cache.entries.keys() - current:
        cache.mark_changing()
    # Pages with no file there yet are written without reading one first (a cold build's all).
    if not cache.trusted:
        staging.mkdir(parents=True, exist_ok=True)
        there = set()
        for existing in [p for p in staging.rglob("*") if p.is_file()]:
            name = existing.relative_to(staging).as_posix()
            if name not in current:
                existing.unlink()
            else:
                there.add(name)
        fresh = {i for i in pending if docs[i].path not in there}
    else:
        for path in cache.entries.keys() - current:
            (staging / path).unlink(missing_ok=True)
        fresh = {i for i in pending if (entry := cache.entries.get(docs[i].path)) is None or entry.staged is None}
    long_words = _LongWords(counts) if pending else None
    made_pages = run_chunks(_page_chunk, pending, shared=(docs, cuts, counts, long_words, str(staging), fresh), jobs=jobs, minimum=200)
    cache.keep_only(current)
    for i, page_digest, staged in (page for chunk in made_pages for page in chunk):
        doc = docs[i]
        cut, pairs, names_found = cuts[i]
        cache.put(doc.path, _Entry(keys[i], cut, pairs, names_key, names_found, (doc.date, doc.topic, doc.city), page_digest, staged))
    digest = hashlib.blake2b(digest_size=16)
    shards = word_shards(listed)
    digest.update(f"{SEARCH_VERSION}\n{listed}\n".encode())
    for name, text in sorted(shards.items()):  # what the index folder gets beside Pagefind's files
        digest.update(f"{name}\0{text}\n".encode())
    for path in sorted(current):
        digest.update(f"{path}\0{cache.entries[path].page.hex()}\0".encode())
    _write_if_changed(cache_dir / WORDS_FILE, listed.encode("utf-8"))
    _write_word_shards(cache_dir / WORD_SHARDS_DIR, shards)
    with contextlib.suppress(OSError):  # the slim pages are right; the next build only cuts more
        cache.write()
    return digest.hexdigest()


CUTS_DIR = "search-cuts"  # the cut cache, under .sitegen-cache/
_CUT_SHARDS = 16  # a one-article edit rewrites one shard (1/16 of the cache) and the head
_HEAD = "head.pickle"
_CHANGING = "staging-changing"  # present while the slim pages may differ from what the cache records
_PARTS = "\x1e"  # between the pairs and the joins' parts in _Entry.pairs
_SEP = "\x1f"  # between the words of a packed list: no word jieba makes holds it (checked when packing)


class _Entry(NamedTuple):
    """What the cut cache keeps of one document, by its path."""

    key: bytes  # the digest of what jieba cut: its title, labels (tags and topic) and body
    cut: bytes  # its jieba cut without the pairs, packed (_pack_cut)
    pairs: bytes  # the pairs, then _PARTS and the joins' parts, joined by _SEP, UTF-8: words looked for with `in`
    names: bytes  # the digest of the names pattern `found` was found with
    found: tuple[str, str, str]  # _Names, each joined by _SEP
    meta: tuple[str, str, str]  # date, topic, city: what the slim page shows besides the cut
    page: bytes  # the slim page's digest
    staged: tuple[int, int, int, int] | None  # its file's content.stat_key, as written


class _CutCache:
    """The cut cache: an _Entry per document in _CUT_SHARDS signed files by path, and a head
    with the vocabulary's counts, the names pattern and the word list made of them.

    Read whole or not at all: a file missing, unsigned, foreign (another sitegen, SEARCH_VERSION,
    rjieba or search.py) or out of step with the head leaves an empty cache, and everything is
    cut again. Its files are signed like the build cache's, so a cache that arrived with the site
    is never unpickled.
    """

    def __init__(self, folder: Path, salt: str):
        self.folder, self.salt = folder, salt
        self.entries: dict[str, _Entry] = {}
        self.counts: dict[str, int] = {}  # word → how many entries hold it
        self.names: tuple[tuple[tuple[str, ...], tuple[str, ...]], str] | None = None  # the candidate names → _names_source's pattern
        self.listed: str | None = None  # the word list of `counts`
        self.trusted = False  # every staged file is as its entry records, and no other is there
        self._shards: list[dict[str, _Entry]] = [{} for _ in range(_CUT_SHARDS)]
        self._tokens: list[bytes] = [b""] * _CUT_SHARDS
        self._dirty = set(range(_CUT_SHARDS))
        self._saved: tuple = ()  # the head as read or last written

    @classmethod
    def load(cls, folder: Path, salt: str) -> _CutCache:
        try:
            key = signing_key()
            head = _read_signed(key, "search-head", folder / _HEAD)
            if head["salt"] != salt:
                return cls(folder, salt)
            cache = cls(folder, salt)
            for number in range(_CUT_SHARDS):
                shard = _read_signed(key, "search-cuts", folder / f"{number:02d}.pickle")
                if shard["token"] != head["tokens"][number]:  # a save stopped between the files
                    return cls(folder, salt)
                cache._shards[number] = shard["entries"]
                cache.entries.update(shard["entries"])
            cache.counts, cache.names, cache.listed, cache._tokens = head["counts"], head["names"], head["listed"], head["tokens"]
        except Exception:  # missing, unsigned, foreign or damaged: all of it is made again
            return cls(folder, salt)
        cache.trusted = not (folder / _CHANGING).exists()
        cache._dirty = set()
        cache._saved = cache._head()
        return cache

    def put(self, path: str, entry: _Entry) -> None:
        if self.entries.get(path) != entry:
            number = _cut_shard(path)
            self._shards[number][path] = self.entries[path] = entry
            self._dirty.add(number)

    def keep_only(self, paths: set[str]) -> None:
        for path in self.entries.keys() - paths:
            number = _cut_shard(path)
            del self._shards[number][path], self.entries[path]
            self._dirty.add(number)

    def mark_changing(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / _CHANGING).touch()

    def write(self) -> None:
        """Write the shards that changed and then the head, if anything changed; then the staged
        files are as recorded again."""
        if self._dirty or self._head() != self._saved:
            key = signing_key()
            self.folder.mkdir(parents=True, exist_ok=True)
            for number in sorted(self._dirty):
                self._tokens[number] = secrets.token_bytes(16)
                _write_signed(key, "search-cuts", self.folder / f"{number:02d}.pickle", {"token": self._tokens[number], "entries": self._shards[number]})
            head = self._head()
            _write_signed(key, "search-head", self.folder / _HEAD, dict(zip(("salt", "counts", "names", "listed", "tokens"), head)))
            self._dirty, self._saved = set(), head
        (self.folder / _CHANGING).unlink(missing_ok=True)

    def _head(self) -> tuple:
        return (self.salt, dict(self.counts), self.names, self.listed, list(self._tokens))


def _cut_shard(path: str) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % _CUT_SHARDS


def _cut_salt() -> str:
    """What every cut depends on besides the document: sitegen (the signed files' version),
    SEARCH_VERSION, rjieba, and this file, so a checkout whose cutting was edited cuts again."""
    try:
        jieba = importlib.metadata.version("rjieba")
    except importlib.metadata.PackageNotFoundError:
        jieba = "?"
    try:
        code = _digest(Path(__file__).read_bytes()).hex()
    except OSError:
        code = "?"
    return f"{SEARCH_VERSION}/rjieba-{jieba}/{code}"


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _doc_key(doc: SearchDoc) -> bytes:
    digest = hashlib.blake2b(repr((doc.title, doc.labels)).encode("utf-8", "surrogatepass"), digest_size=16)
    # By what the body is made of when known: its HTML need not be read to see it is the same.
    digest.update(doc.body_key.encode("utf-8", "surrogatepass") if doc.body_key else b"\0" + doc.body_html.encode("utf-8", "surrogatepass"))
    return digest.digest()


def _pack(words: list[str]) -> str | list[str]:
    """`words` as one string, which pickles and loads as one object instead of hundreds."""
    if not words:
        return ""
    joined = _SEP.join(words)
    return joined if all(words) and joined.count(_SEP) == len(words) - 1 else list(words)


def _pack_names(found: _Names) -> tuple[str, str, str]:
    return (_SEP.join(found.body), _SEP.join(found.title), _SEP.join(found.tags))  # names are Chinese characters only


def _unpack(packed: str | list[str]) -> list[str]:
    if isinstance(packed, str):
        return packed.split(_SEP) if packed else []
    return list(packed)


def _pack_cut(done: _Cut) -> tuple[bytes, bytes]:
    # Compressed: three quarters of the bytes are the body's words, which only a slim page made
    # again unpacks. The pairs and the joins' parts stay plain, looked into whenever the
    # vocabulary changes.
    fields = (_pack(done.body), _pack(done.title), _pack(done.tags), _pack(done.extra), _pack(done.lone), _pack(done.joins))
    return zlib.compress(pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL), 1), (_SEP.join(done.pairs) + _PARTS + _SEP.join(done.parts)).encode("utf-8")


def _unpack_cut(cut: bytes, pairs: bytes, found: tuple[str, str, str] | None = None) -> _Cut:
    """A cut packed by _pack_cut, with the names `found` (packed by _pack_names) when given."""
    body, title, tags, extra, lone, joins = (_unpack(packed) for packed in pickle.loads(zlib.decompress(cut)))
    pair_words, part_words = pairs.decode("utf-8").split(_PARTS)
    done = _Cut(body, title, tags, extra, pair_words.split(_SEP) if pair_words else [], lone, joins, part_words.split(_SEP) if part_words else [])
    if found is None:
        return done
    return _with_names(done, _Names(*(names.split(_SEP) if names else [] for names in found)))


def _holds_long(doc: SearchDoc, entry: _Entry, words: list[str]) -> bool:
    """Whether `doc`'s title, labels or body text (as `entry` cut it) holds one of `words`."""
    texts = [doc.title, *doc.labels, "".join(_unpack(pickle.loads(zlib.decompress(entry.cut))[0]))]
    return any(word in text for text in map(simplified, texts) for word in words)


def _stat(path: Path | str) -> tuple[int, int, int, int] | None:
    try:
        return stat_key(os.stat(path))
    except OSError:
        return None


def write_index(cache_dir: Path, index_dir: Path) -> None:
    """Index the slim pages `prepare_index` wrote into `index_dir`, with the word list beside."""
    IndexRun(cache_dir, index_dir).wait()


class IndexRun:
    """Pagefind indexing the slim pages into `index_dir`, started at once and left to run (it is
    mostly one core's work) while the build renders its pages; wait() for it to finish."""

    def __init__(self, cache_dir: Path, index_dir: Path):
        shutil.rmtree(index_dir, ignore_errors=True)  # a reused tree holds the last index
        self.cache_dir, self.index_dir = cache_dir, index_dir
        self.seconds = 0.0  # how long Pagefind ran, once waited for
        self._started = time.perf_counter()
        self._pagefind = start_pagefind(["--site", str(cache_dir / STAGING_DIR), "--output-path", str(index_dir), "--force-language", LANGUAGE])

    def wait(self) -> None:
        """Wait for Pagefind and put the word list beside its index; SiteError if it failed."""
        # This process has nothing else to do until Pagefind is done: the index the last build
        # replaced goes now, not on the way to the swap (10,000 files: a second).
        shutil.rmtree(self.cache_dir / RETIRED_DIR, ignore_errors=True)
        try:
            self._pagefind.wait()
        finally:
            self.seconds = time.perf_counter() - self._started
        shutil.copyfile(self.cache_dir / WORDS_FILE, self.index_dir / WORDS_FILE)
        shutil.copytree(self.cache_dir / WORD_SHARDS_DIR, self.index_dir / WORD_SHARDS_DIR)
        _split_heavy_chunks(self.index_dir)
        _add_chunk_table(self.index_dir)

    def running(self) -> bool:
        """Whether Pagefind is still at work."""
        return self._pagefind.running()

    def stop(self) -> None:
        """End Pagefind if it is still running (the build failed or was stopped meanwhile), and
        delete what it wrote unless that was moved away."""
        self._pagefind.stop()
        shutil.rmtree(self.index_dir, ignore_errors=True)


def _index_language(index_dir: Path) -> dict:
    """What the entry of the Pagefind index in `index_dir` says of its one language (hash, page
    count); empty if the entry is not in the shape Pagefind 1.5 writes."""
    try:
        entry = json.loads((index_dir / "pagefind-entry.json").read_text(encoding="utf-8"))
        language = entry["languages"][LANGUAGE]
        return language if isinstance(language, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _meta_name(language: dict) -> str | None:
    return f"pagefind.{language['hash']}.pf_meta" if isinstance(language.get("hash"), str) else None


def index_meta(index_dir: Path) -> str | None:
    """The file name of the metadata of the Pagefind index in `index_dir`, as its entry names it."""
    return _meta_name(_index_language(index_dir))


def index_chunks(index_dir: Path, name: str | None = None) -> list[tuple[str, str, str]]:
    """The chunks of the Pagefind index in `index_dir`: (first word, last word, file hash) each,
    in order, from its metadata (`name`, else the one its entry names); none if the metadata is
    not in the shape Pagefind 1.5 writes."""
    import cbor2

    name = name or index_meta(index_dir)
    try:
        if not name:
            return []
        chunks = cbor2.loads(unpacked((index_dir / name).read_bytes()))[2]
        return [(first, last, file) for first, last, file in chunks if isinstance(first, str) and isinstance(last, str) and isinstance(file, str)]
    except (OSError, ValueError, LookupError, TypeError, zlib.error, cbor2.CBORDecodeError):
        return []


def index_pages(index_dir: Path) -> list[list[str]]:
    """The pages of the Pagefind index in `index_dir` as search.js shows them before their
    fragments arrive: [page id, URL, title, date, topic, city] each, by page id; none if any
    fragment is not in the shape Pagefind 1.5 writes."""
    rows = []
    for path in sorted((index_dir / "fragment").glob("*.pf_fragment")):
        try:
            fragment = json.loads(unpacked(path.read_bytes()))
            meta = fragment["meta"]
            rows.append([path.stem, fragment["url"], *(str(meta.get(key, "")) for key in ("title", "date", "topic", "city"))])
        except (OSError, ValueError, LookupError, TypeError, AttributeError, zlib.error):
            return []
    return rows


def _split_heavy_chunks(index_dir: Path) -> None:
    # A word on much of the site gets an index chunk of its own (pagefind_chunks): looking up a
    # word beside it in Pagefind's order no longer downloads its postings. An index in a shape
    # this does not know is left as Pagefind wrote it.
    import cbor2

    try:
        split_heavy_chunks(index_dir, LANGUAGE)
    except (OSError, ValueError, LookupError, TypeError, zlib.error, cbor2.CBORError):
        pass


def _add_chunk_table(index_dir: Path) -> None:
    # search.js fetches the metadata and the chunks a query in the address needs as soon as the
    # head is here, while Pagefind's script and WebAssembly are still on their way, choosing the
    # chunks as Pagefind does (the chunk whose first and last word enclose a word): its worker
    # then finds them in the HTTP cache. On a phone at 150 ms a round trip, the chunk came after
    # the WebAssembly, its start-up and a round trip of its own. Without a table (an index
    # Pagefind wrote in another shape), search.js leaves them to Pagefind.
    head_path = index_dir / WORD_SHARDS_DIR / WORD_SHARDS_HEAD
    head = json.loads(head_path.read_text(encoding="utf-8"))
    language = _index_language(index_dir)  # the entry, read once
    head["meta"] = _meta_name(language)
    head["chunks"] = [list(chunk) for chunk in index_chunks(index_dir, head["meta"])]
    # A small site's page table: search.js puts each result's card (title, topic, city, date)
    # on the page as soon as Pagefind has ranked it, and its excerpt in when its fragment is
    # here, a round trip later. An index of more pages than could fit is not read for one
    # (10,000 fragments take seconds).
    count = language.get("page_count")
    pages = index_pages(index_dir) if isinstance(count, int) and count * _SMALLEST_ROW <= _PAGE_TABLE_BYTES else []
    table = json.dumps(pages, ensure_ascii=False, separators=(",", ":"))
    sizes = [path.stat().st_size for path in (index_dir / "index").glob("*.pf_index")]
    head["index_whole"] = bool(head["chunks"]) and len(sizes) == len(head["chunks"]) and sum(sizes) <= _WHOLE_INDEX_BYTES
    head.pop("pages", None)
    if pages and len(pages) == count and len(gzip.compress(table.encode("utf-8"))) <= _PAGE_TABLE_BYTES:
        head["pages"] = pages
    head_path.write_text(json.dumps(head, ensure_ascii=False), encoding="utf-8")


def _write_if_changed(target: Path, data: bytes) -> None:
    try:
        if target.read_bytes() == data:
            return
    except OSError:
        target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def word_list(vocabulary: Iterable[str]) -> str:
    """The JSON search.js reads: the Chinese words of the index, and traditional → simplified
    for the characters they use (醫 → 医), from OpenCC, so a query in either script cuts alike."""
    import opencc

    words = sorted({word for word in vocabulary if _han(word[0])})
    converter = opencc.OpenCC("s2t")
    table: dict[str, str] = {}
    back = opencc.OpenCC("t2s")
    # Whole words first: OpenCC picks the right traditional form by phrase (头发 → 頭髮, 发票 → 發票).
    for word, traditional in zip(words, converter.convert("\n".join(words)).split("\n")):
        if len(word) == len(traditional):
            for s, t in zip(word, traditional):
                if s != t:
                    table.setdefault(t, s)
    for t in list(table):  # keep only what converts back: a table entry must be a plain variant
        if back.convert(t) != table[t]:
            del table[t]
    return json.dumps({"v": SEARCH_VERSION, "words": " ".join(words), "t2s": "".join(f"{t}{s}" for t, s in sorted(table.items()))}, ensure_ascii=False)


def word_shards(listed: str) -> dict[str, str]:
    """The word list (word_list's JSON) as search.js fetches it: a head with the traditional →
    simplified table, the number of shards and the longest word, then the words by their first
    character, its code point modulo that number, each shard in code point order.

    Cutting a query needs only the words that start with one of its characters, and the words
    a word begins (search.js `extensions`) start with its first: so a first query fetches a few
    shards, not the whole list, which grows with the site's vocabulary (50,000 words, 209 KiB
    gzipped, on a 10,000-article corpus of varied text: a third of its first query's bytes)."""
    data = json.loads(listed)
    words = data["words"].split(" ") if data["words"] else []
    size = len(data["words"].encode("utf-8"))
    count = max(1, min(256, -(-size // _SHARD_BYTES)))
    shards: list[list[str]] = [[] for _ in range(count)]
    for word in words:
        shards[ord(word[0]) % count].append(word)
    # A small site's later queries then cost no round trip for their words (14 KiB gzipped on
    # the sample site); a big site's list stays where it is until a query needs a shard of it.
    head = {"v": data["v"], "shards": count, "longest": max(map(len, words), default=1), "whole": size <= _WHOLE_BYTES, "t2s": data["t2s"]}
    return {WORD_SHARDS_HEAD: json.dumps(head, ensure_ascii=False), **{f"{number}.txt": " ".join(shard) for number, shard in enumerate(shards)}}


def _write_word_shards(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.name not in files:  # fewer shards than last time
            old.unlink()
    for name, text in files.items():
        _write_if_changed(folder / name, text.encode("utf-8"))


def refresh_index(out_dir: Path, cache_dir: Path) -> None:
    """Index the slim pages again and swap the new index in with renames: for serve, after a
    build that patched pages in (the served index stays whole meanwhile).

    Pagefind writes where a build's does (NEW_INDEX_DIR, guarded by the build lock the caller
    holds); the index it replaces is left in RETIRED_DIR for the next indexing to delete."""
    run = IndexRun(cache_dir, cache_dir / NEW_INDEX_DIR)
    fresh = out_dir.parent / f".sitegen-pagefind-{out_dir.name}"  # beside the output: one rename in
    try:
        run.wait()
        shutil.rmtree(fresh, ignore_errors=True)  # from a refresh that was stopped
        move_folder(run.index_dir, fresh)
        swap_folder(fresh, out_dir / PAGEFIND_DIR, retire_to=cache_dir / RETIRED_DIR)
    finally:
        run.stop()
        shutil.rmtree(fresh, ignore_errors=True)


def _pagefind_command() -> list[str]:
    # The binary itself: `python -m pagefind` only finds and runs it, and its start costs more
    # than a second on a slow machine (1.2 s of 4.0 at 1,000 pages here).
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:
        return [sys.executable, "-m", "pagefind"]
    return [str(get_executable())]


class PagefindRun:
    """A running Pagefind command; its output goes to a file, so it never waits on a full pipe
    while the build is busy elsewhere."""

    def __init__(self, arguments: list[str], timeout: float = 600.0):
        self._deadline = time.monotonic() + timeout
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by wait() or stop())
        try:
            self._process = subprocess.Popen([*_pagefind_command(), *arguments, "--quiet"], stdout=self._log, stderr=subprocess.STDOUT)
        except OSError as exc:
            self._log.close()
            raise SiteError(Problem("search", None, f"无法运行 Pagefind 生成搜索索引\uff1a{exc}")) from None

    def wait(self) -> None:
        try:
            code = self._process.wait(timeout=max(0.0, self._deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.stop()
            raise SiteError(Problem("search", None, "Pagefind 生成搜索索引超时\uff08600 秒\uff09")) from None
        self._log.seek(0)
        detail = self._log.read().decode("utf-8", "replace").strip().splitlines()
        self._log.close()
        if code != 0:
            raise SiteError(Problem("search", None, f"Pagefind 生成搜索索引失败\uff1a{detail[-1] if detail else code}"))

    def running(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        if self.running():
            self._process.kill()
            self._process.wait()
        self._log.close()


def start_pagefind(arguments: list[str]) -> PagefindRun:
    """Start Pagefind with `arguments` (--quiet added); wait() on the result ends with it."""
    return PagefindRun(arguments)
