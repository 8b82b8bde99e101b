"""A word on much of the site gets an index chunk of its own (pagefind_chunks): every word is
still found in the chunk Pagefind's worker loads for it, with the same postings, and a reader's
results are those of the index as Pagefind wrote it, while a word beside a split one no longer
downloads its postings."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import shutil
import zlib
from pathlib import Path

import cbor2
import pytest

from conftest import REPO, build_site
from search_site import SearchPage, serving
from sitegen import search
from sitegen.pagefind_chunks import MARK, split_chunk, split_heavy_chunks

_spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)


@pytest.fixture(scope="module")
def two_indexes(tmp_path_factory) -> tuple[Path, Path]:
    """A skewed 800-article corpus built with search on and its index as Pagefind wrote it,
    and a copy of its output whose index had every chunk looked into (smallest 0)."""
    folder = tmp_path_factory.mktemp("chunks")
    site = make_corpus.make_corpus(800, folder / "site", seed=5, shape=make_corpus.Shape.named("skewed"), varied_words=True)
    config = site / "site.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("search = false", "search = true"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "_split_heavy_chunks", lambda index_dir: None)
        build_site(site)
    whole, split = site / "public", folder / "split"
    shutil.copytree(whole, split)
    assert split_heavy_chunks(split / "pagefind", search.LANGUAGE, smallest=0) >= 2
    search._add_chunk_table(split / "pagefind")
    return whole / "pagefind", split / "pagefind"


def _load(path: Path):
    data = zlib.decompress(path.read_bytes(), wbits=31)
    assert data.startswith(MARK)
    return cbor2.loads(data[len(MARK) :])


def _postings(index_dir: Path) -> dict[str, dict[str, list]]:
    """Each chunk file's words and their postings, by file name."""
    return {path.stem: {word: pages for word, pages, _ in _load(path)[0]} for path in (index_dir / "index").glob("*.pf_index")}


def _worker_chunk(word: str, chunks: list[tuple[str, str, str]]) -> str | None:
    # Pagefind 1.5's request_indexes for a query of one word: the first chunk whose bounds
    # enclose it, else the first whose bounds do when both are cut to the shorter length.
    strict = next((name for first, last, name in chunks if first <= word <= last), None)
    if strict:
        return strict
    return next((name for first, last, name in chunks if word[: len(first)] >= first[: len(word)] and word[: len(last)] <= last[: len(word)]), None)


def test_every_word_is_found_with_its_postings(two_indexes: tuple[Path, Path]) -> None:
    whole, split = two_indexes
    before, after = _postings(whole), _postings(split)
    old_chunks, new_chunks = search.index_chunks(whole), search.index_chunks(split)
    assert len(new_chunks) > len(old_chunks)
    assert sorted(name for _, _, name in new_chunks) == sorted(after)  # every file listed, none left over
    assert [first for first, _, _ in new_chunks] == sorted(first for first, _, _ in new_chunks)
    for name, words in before.items():
        for word, pages in words.items():
            assert _worker_chunk(word, old_chunks) == name
            assert after[_worker_chunk(word, new_chunks)][word] == pages, word
    # The metadata's old name is gone and the entry names the new one.
    metas = [path.name for path in split.glob("*.pf_meta")]
    assert metas == [search.index_meta(split)]
    assert search.index_meta(whole) not in metas


def _split_words(whole: Path, split: Path) -> list[tuple[str, str]]:
    """(a word kept in the new chunk, the word split off after it) for each split."""
    old = {name: words for name, words in _postings(whole).items()}
    new_names = {name for _, _, name in search.index_chunks(split)} - set(old)
    pairs = []
    for name in new_names:
        kept = list(_load(split / "index" / f"{name}.pf_index")[0])
        for words in old.values():
            listed = list(words)
            if listed[: len(kept)] == [word for word, _, _ in kept]:
                pairs.append((kept[-1][0], listed[-1]))
    return pairs


def test_a_chunk_splits_only_where_its_last_word_outweighs_the_rest() -> None:
    def chunk(*words: tuple[str, int]) -> bytes:
        return cbor2.dumps([[[word, [[0, [-25, *range(count)], []]], []] for word, count in words]])

    assert split_chunk(chunk(("保险", 3), ("社保", 400))) == (cbor2.dumps([[["保险", [[0, [-25, 0, 1, 2], []]], []]]]), "保险", "社保")
    assert split_chunk(chunk(("保险", 300), ("社保", 40))) is None
    assert split_chunk(chunk(("社保", 400))) is None
    many = [(f"保{number:03}", 1) for number in range(30)]  # a longer array header
    head, kept, word = split_chunk(chunk(*many, ("社保", 900)))
    assert cbor2.loads(head) == cbor2.loads(chunk(*many)) and (kept, word) == ("保029", "社保")
    with pytest.raises(ValueError):
        split_chunk(cbor2.dumps({"words": []}))


def _spanning(split: Path) -> list[str]:
    """Characters whose longer words run over three chunks or more (search.js loads them all)."""
    chunks = search.index_chunks(split)
    words = sorted(json.loads((split / search.WORDS_FILE).read_text(encoding="utf-8"))["words"].split(" "))
    spans = []
    for char in sorted({word[0] for word in words} & set(words)):  # a character that is no word finds nothing
        longer = [word for word in words if word.startswith(char) and word != char]
        places = [_worker_chunk(word, chunks) for word in (longer[:1] + longer[-1:])]
        if len(longer) > 1 and None not in places and abs([name for _, _, name in chunks].index(places[0]) - [name for _, _, name in chunks].index(places[1])) >= 2:
            spans.append(char)
    assert spans
    return spans


@pytest.mark.browser
def test_results_are_those_of_the_index_as_pagefind_wrote_it(browser, two_indexes: tuple[Path, Path]) -> None:
    whole, split = two_indexes
    pairs = _split_words(whole, split)
    assert len(pairs) >= 2, pairs
    words = sorted({word for pair in pairs for word in pair if re.fullmatch(r"[\u4e00-\u9fff]+", word)})
    # Their first characters too: a character's longer words run across the split.
    listed = set(json.loads((split / search.WORDS_FILE).read_text(encoding="utf-8"))["words"].split(" "))
    queries = words + sorted({word[0] for word in words} & listed) + _spanning(split) + ["医保 报销", "社保 断缴"]
    answers = []
    for index_dir in (whole, split):
        seen = {}
        with serving(index_dir.parent) as base:
            for query in queries:  # each in a page of its own: an earlier query's chunks stay loaded
                page = SearchPage(browser, base)
                page.open(query)
                seen[query] = (page.page.locator("#search-status").inner_text(), page.shown())
                assert not page.errors
                page.close()
        answers.append(seen)
    assert answers[0] == answers[1]
    # Every page holding a word the query begins is found, wherever in the chunks those words are.
    pages: dict[str, set[int]] = {}
    for words in _postings(split).values():
        for word, postings in words.items():
            pages[word] = set(itertools.accumulate(page for page, _, _ in postings))
    for query in queries:
        if " " not in query:
            count = len(set().union(*(found for word, found in pages.items() if word.startswith(query))))
            assert f"找到 {count} 篇" in answers[1][query][0], query


@pytest.mark.browser
def test_a_word_beside_a_split_word_no_longer_downloads_it(browser, two_indexes: tuple[Path, Path]) -> None:
    whole, split = two_indexes
    chunks = search.index_chunks(split)
    pairs = [(kept, word) for kept, word in _split_words(whole, split) if not word.startswith(kept) and re.fullmatch(r"[\u4e00-\u9fff]{2,}", kept)]
    assert pairs
    kept, word = pairs[0]
    heavy = _worker_chunk(word, chunks)
    assert heavy and heavy != _worker_chunk(kept, chunks)
    with serving(split.parent) as base:
        page = SearchPage(browser, base)
        fetched: list[str] = []
        page.page.on("request", lambda request: fetched.append(request.url))
        page.open(kept)
        assert page.shown()
        assert not any(f"/{heavy}.pf_index" in url for url in fetched), (kept, word)
        page.search(word)
        assert any(f"/{heavy}.pf_index" in url for url in fetched)
        page.close()
