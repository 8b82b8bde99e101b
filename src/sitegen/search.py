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

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from .errors import Problem, SiteError
from .markdown import BodyPage
from .model import Site, output_path
from .workers import run_chunks

PAGEFIND_DIR = "pagefind"  # the search index, in the output folder
STAGING_DIR = "search-pages"  # the slim pages Pagefind indexes, under .sitegen-cache/
WORDS_FILE = "sitegen-words.json"  # the index's word list: in the index folder, and the cache's copy
LANGUAGE = "zz"  # a code Pagefind has no segmenter for: it splits on whitespace only
# Bump when the slim pages would come out differently from the same site (cutting, layout).
SEARCH_VERSION = 1
# Pagefind weighs words by the element they are in; the title and tags are what a reader names.
TITLE_WEIGHT = 10
TAGS_WEIGHT = 5

_STOPS = frozenset("\u3002\uff01\uff1f\uff1b\uff1a\u2026.!?;:")  # 。！？；：… and ASCII: a block that ends with one
_HAN_CLASS = "\u3400-\u9fff\uf900-\ufaff"
# Two Chinese characters either side of a space in cut text: a boundary of jieba's words.
_PAIR = re.compile(f"([{_HAN_CLASS}]) (?=([{_HAN_CLASS}]))")
# The same where both words are one character long (术 前).
_LONE_PAIR = re.compile(f"(?<!\\S)([{_HAN_CLASS}]) (?=([{_HAN_CLASS}])(?!\\S))")


class SearchDoc(NamedTuple):
    """What the index holds of one article or page."""

    path: str  # its file in the output, e.g. yibao/x/index.html (Pagefind derives the URL)
    title: str
    tags: tuple[str, ...]
    topic: str
    city: str
    date: str  # ISO, or "" for a page without one
    body_html: str  # the rendered body: made plain text (body_text) where it is cut, in the workers


def search_docs(site: Site, body_page: Callable[[str], BodyPage | None], prefix: str) -> list[SearchDoc]:
    """The documents of the index: every article, then every page, with their body text."""
    docs: list[SearchDoc] = []
    for article in site.articles:
        page = body_page(article.content_hash)
        docs.append(
            SearchDoc(
                output_path(article.url, prefix), article.title, tuple(article.tags), article.topic, article.city,
                article.date.isoformat(), page.html if page else "",
            )
        )  # fmt: skip
    for content in site.pages:
        page = body_page(content.content_hash)
        updated = content.updated.isoformat() if content.updated else ""
        docs.append(SearchDoc(output_path(content.url, prefix), content.title, (), "", "", updated, page.html if page else ""))
    return docs


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
    pairs: list[str]  # the two characters across each boundary of precise mode, Chinese only
    lone: list[str]  # those of them that were two words of one character each (术|前)


def _han(char: str) -> bool:
    # Compared, not matched with a pattern: called for every word of the site.
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def cut(text: str) -> list[str]:
    """The words of `text` as the index holds them: jieba's search mode, whose words are precise
    mode's and the shorter ones inside them (过敏性 gives 过敏 too, 住院费用 gives 住院 and 费用);
    spaces and punctuation dropped."""
    import rjieba  # imported here: it loads jieba's dictionary, which builds without search never need

    return [word for word in rjieba.cut_for_search(text) if word[0].isalnum()]


def _cut_doc(doc: SearchDoc, names: re.Pattern[str] | None = None) -> _Cut:
    """`doc` cut into words. jieba is called once for each text and the pairs are found by
    patterns over the cut text: a loop over the words in Python took 3 s per 1,000 articles.

    `names` finds the site's tag and topic names wherever they occur, each then one more word
    (see _names_pattern)."""
    import rjieba

    # A heading or list item would run into the next block: each block ends with a stop.
    text = "\n".join(line if line[-1] in _STOPS else line + "\u3002" for line in body_text(doc.body_html).split("\n"))
    body = [word for word in rjieba.cut(text) if not word.isspace()]
    shown = set(body)
    extra = [word for word in rjieba.cut_for_search(text) if word not in shown]  # only Chinese words differ
    title = cut(doc.title)
    tags = [word for tag in doc.tags for word in cut(tag)]
    if names is not None:
        extra.extend(names.findall(text))
        title.extend(names.findall(doc.title))
        tags.extend(name for tag in doc.tags for name in names.findall(tag))
    pairs: set[str] = set()  # once for each article: they only make a word findable
    lone: set[str] = set()
    for cut_text in (" ".join(body), *(" ".join(rjieba.cut(t)) for t in (doc.title, *doc.tags))):
        pairs.update(a + b for a, b in _PAIR.findall(cut_text))
        lone.update(a + b for a, b in _LONE_PAIR.findall(cut_text))
    return _Cut(body, title, tags, extra, sorted(pairs), sorted(lone))


def _names_pattern(docs: Sequence[SearchDoc]) -> re.Pattern[str] | None:
    """The tag and topic names of the site that jieba does not keep whole, longest first.

    Readers type them as one word (职工医保), and jieba cuts them (职工|医保): searched as two
    words, an article saying 医保 often and 职工医保 once ranked above one tagged 职工医保. As a
    word of their own, found wherever they occur, they rank by their own count and weight.
    """
    import rjieba

    found = {name for doc in docs for name in (*doc.tags, doc.topic) if len(name) > 1 and all(_han(c) for c in name)}
    names = sorted((name for name in found if len(rjieba.cut(name)) > 1), key=lambda name: (-len(name), name))
    return re.compile("|".join(map(re.escape, names))) if names else None


def _cut_chunk(shared: re.Pattern[str] | None, docs: Sequence[SearchDoc]) -> list[tuple[_Cut, set[str]]]:
    results = []
    for doc in docs:
        done = _cut_doc(doc, shared)
        # Latin words and punctuation too: word_list() keeps only the Chinese ones.
        results.append((done, {*done.title, *done.tags, *done.extra, *done.lone, *done.body}))
    return results


def slim_page(doc: SearchDoc, done: _Cut, vocabulary: set[str] | frozenset[str]) -> str:
    """The page Pagefind indexes for `doc`, cut into `done`'s words.

    Pagefind splits on spaces only, so every word is written with a space around it. The body
    comes first, in precise-mode words (search.js puts them back together for excerpts: `n` says
    how many there are); then the title and tags, weighted, and the other words: search mode's
    shorter ones, and a pair of characters across a boundary of precise mode when the site has
    that pair as a word elsewhere, or as two lone characters somewhere. jieba cuts 中间有断缴的
    as 有断|缴 but 断缴 in most articles, and 术前检查 as 术|前|检查: the pair makes a reader's
    断缴 or 术前 find them all. (On the sample site every pair across every boundary doubled the
    index and tripled the word list; these pairs add 8 % and 11 %.)
    """
    extra = [*done.extra, *(pair for pair in done.pairs if pair in vocabulary)]
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
        + "</main></body></html>\n"
    )


def _page_chunk(shared: tuple, items: Sequence[int]) -> list[tuple[str, str]]:
    docs, cuts, vocabulary = shared
    return [(docs[i].path, slim_page(docs[i], cuts[i], vocabulary)) for i in items]


def prepare_index(docs: Sequence[SearchDoc], cache_dir: Path, *, jobs: int) -> str:
    """Write the slim pages and the word list under `cache_dir`; return their digest, the index's
    fingerprint (the same digest: the index Pagefind makes of them is the same)."""
    docs = list(docs)
    cuts: list[_Cut] = []
    vocabulary: set[str] = set()
    for chunk in run_chunks(_cut_chunk, docs, shared=_names_pattern(docs), jobs=jobs, minimum=200):
        for done, words in chunk:
            cuts.append(done)
            vocabulary.update(words)
    pages: dict[str, str] = {}
    # Forked workers inherit the cuts and the vocabulary: only the document numbers are sent.
    for chunk_pages in run_chunks(_page_chunk, range(len(docs)), shared=(docs, cuts, vocabulary), jobs=jobs, minimum=200):
        pages.update(chunk_pages)
    listed = word_list(vocabulary)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{SEARCH_VERSION}\n{listed}\n".encode())
    for path in sorted(pages):
        digest.update(f"{path}\0{pages[path]}\0".encode())
    _sync_staging(cache_dir / STAGING_DIR, pages)
    _write_if_changed(cache_dir / WORDS_FILE, listed.encode("utf-8"))
    return digest.hexdigest()


def write_index(cache_dir: Path, index_dir: Path) -> None:
    """Index the slim pages `prepare_index` wrote into `index_dir`, with the word list beside."""
    shutil.rmtree(index_dir, ignore_errors=True)  # a reused tree holds the last index
    run_pagefind(["--site", str(cache_dir / STAGING_DIR), "--output-path", str(index_dir), "--force-language", LANGUAGE])
    shutil.copyfile(cache_dir / WORDS_FILE, index_dir / WORDS_FILE)


def _sync_staging(staging: Path, pages: dict[str, str]) -> None:
    """Make `staging` hold exactly `pages`, rewriting only the files whose text changed."""
    staging.mkdir(parents=True, exist_ok=True)
    for existing in [p for p in staging.rglob("*") if p.is_file()]:
        relative = existing.relative_to(staging).as_posix()
        if relative not in pages:
            existing.unlink()
    for relative, text in pages.items():
        _write_if_changed(staging / relative, text.encode("utf-8"))


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
    for simplified, traditional in zip(words, converter.convert("\n".join(words)).split("\n")):
        if len(simplified) == len(traditional):
            for s, t in zip(simplified, traditional):
                if s != t:
                    table.setdefault(t, s)
    for t in list(table):  # keep only what converts back: a table entry must be a plain variant
        if back.convert(t) != table[t]:
            del table[t]
    return json.dumps({"v": SEARCH_VERSION, "words": " ".join(words), "t2s": "".join(f"{t}{s}" for t, s in sorted(table.items()))}, ensure_ascii=False)


def refresh_index(out_dir: Path, cache_dir: Path) -> None:
    """Index the slim pages again into a folder beside the output and swap it in with one rename:
    for serve, after a build that patched pages in (the served index stays whole meanwhile)."""
    fresh = out_dir.parent / f".sitegen-pagefind-{out_dir.name}"
    retired = fresh.with_name(fresh.name + "-old")
    for leftover in (fresh, retired):  # from a refresh that was stopped
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        write_index(cache_dir, fresh)
        current = out_dir / PAGEFIND_DIR
        if current.exists():
            os.rename(current, retired)
        os.rename(fresh, current)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def _pagefind_command() -> list[str]:
    # The binary itself: `python -m pagefind` only finds and runs it, and its start costs more
    # than a second on a slow machine (1.2 s of 4.0 at 1,000 pages here).
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:
        return [sys.executable, "-m", "pagefind"]
    return [str(get_executable())]


def run_pagefind(arguments: list[str]) -> None:
    command = [*_pagefind_command(), *arguments, "--quiet"]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteError(Problem("search", None, f"无法运行 Pagefind 生成搜索索引\uff1a{exc}")) from None
    if finished.returncode != 0:
        detail = (finished.stderr or finished.stdout).strip().splitlines()
        raise SiteError(Problem("search", None, f"Pagefind 生成搜索索引失败\uff1a{detail[-1] if detail else finished.returncode}"))
