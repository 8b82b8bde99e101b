"""The search index follows every edit, and only edits: a build that changes no slim page leaves
the index as it is; after edits it is the index a cold build makes; a word added or removed is
found or no longer found in Chromium."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import zlib
from pathlib import Path

import cbor2
import pytest

from conftest import build_site
from search_site import SearchPage, sample_site, serving
from sitegen import search
from sitegen.search import NEW_INDEX_DIR, PAGEFIND_DIR, RETIRED_DIR, STAGING_DIR, WORD_SHARDS_DIR, WORD_SHARDS_HEAD, WORDS_FILE, index_chunks, index_pages

ARTICLE = "content/zhengzhuang/toutong-gua-shenme-ke.md"  # the only article with 磁共振


def files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its inode and mtime: what a rewrite would change."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(site: Path, relative: str, old: str, new: str) -> None:
    path = site / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    built = sample_site(tmp_path)
    build_site(built, search=True)
    return built


def test_a_build_that_changes_no_slim_page_keeps_the_index(site: Path) -> None:
    index = site / "public" / PAGEFIND_DIR
    before = files(index)
    assert WORDS_FILE in before and "pagefind-entry.json" in before
    # The article's file is touched (its stat changes, so the build runs) and the home page's
    # template changes (pages render again): no slim page changes.
    path = site / ARTICLE
    path.write_bytes(path.read_bytes())
    edit(site, "layouts/home.html", "{% block main %}", "{% block main %}<!-- 改版 -->")
    result = build_site(site, search=True)
    assert result.rendered > 0
    assert files(index) == before  # the very same files: not even rewritten


def test_after_edits_the_index_is_the_cold_one(site: Path, tmp_path: Path) -> None:
    edit(site, ARTICLE, "磁共振", "核磁")
    build_site(site, search=True)
    (site / "content/zhengzhuang/fanfu-dishao-yuanyin.md").unlink()
    build_site(site, search=True)
    cold = sample_site(tmp_path / "cold")
    shutil.copy(site / ARTICLE, cold / ARTICLE)
    (cold / "content/zhengzhuang/fanfu-dishao-yuanyin.md").unlink()
    build_site(cold, search=True, cache=False)
    # What Pagefind indexes, and the word list, are the cold build's byte for byte.
    assert contents(site / ".sitegen-cache" / STAGING_DIR) == contents(cold / ".sitegen-cache" / STAGING_DIR)
    ours, theirs = contents(site / "public" / PAGEFIND_DIR), contents(cold / "public" / PAGEFIND_DIR)
    assert ours[WORDS_FILE] == theirs[WORDS_FILE]
    # Pagefind itself is not deterministic (two runs over one folder name their filter files
    # differently), but each page's fragment is named by its content.
    assert {p for p in ours if p.startswith("fragment/")} == {p for p in theirs if p.startswith("fragment/")}
    assert len(ours) == len(theirs)


def _chunk_words(index: Path, name: str) -> set[str]:
    """The words a Pagefind index chunk holds (its file unzipped: a mark, then CBOR)."""
    data = zlib.decompress((index / "index" / f"{name}.pf_index").read_bytes(), wbits=31)
    return {entry[0] for entry in cbor2.loads(data[len(b"pagefind_dcd") :])[0]}


def _assert_head_names_the_index(index: Path) -> None:
    head = json.loads((index / WORD_SHARDS_DIR / WORD_SHARDS_HEAD).read_text(encoding="utf-8"))
    entry = json.loads((index / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert head["meta"] == f"pagefind.{entry['languages']['zz']['hash']}.pf_meta"
    chunks = head["chunks"]
    assert len(chunks) > 1  # else any rule would find the chunk
    assert sorted(name for _, _, name in chunks) == sorted(p.stem for p in (index / "index").iterdir())
    words = {name: _chunk_words(index, name) for _, _, name in chunks}
    for name, held in words.items():
        for word in held:
            assert _chunks_of(word, chunks) == [name], word


def _chunks_of(word: str, chunks: list[list[str]]) -> list[str]:
    """search.js's chunksOf, Pagefind 1.5's rule: the chunks whose bounds enclose the word, or
    else those that do when both are cut to the shorter length (the bounds are cut short)."""
    strict = [name for first, last, name in chunks if first <= word <= last]
    if strict:
        return strict
    return [name for first, last, name in chunks if word[: len(first)] >= first[: len(word)] and word[: len(last)] <= last[: len(word)]]


def test_the_word_lists_head_names_the_chunk_of_every_word_of_the_index(site: Path) -> None:
    """search.js fetches the chunks a query needs by the head's table before Pagefind asks: the
    table must give each word's own chunk, after an edit as after a cold build."""
    index = site / "public" / PAGEFIND_DIR
    _assert_head_names_the_index(index)
    edit(site, ARTICLE, "\n## ", "\n鱼腥草泡水不能代替看病。\n\n## ")
    build_site(site, search=True)
    _assert_head_names_the_index(index)
    assert any("鱼腥草" in held for held in (_chunk_words(index, name) for _, _, name in index_chunks(index)))


def test_an_index_in_another_shape_gives_no_chunk_table(tmp_path: Path) -> None:
    """A metadata file search.py cannot read (another Pagefind's) leaves the chunks to Pagefind."""
    (tmp_path / "pagefind-entry.json").write_text('{"languages": {"zz": {"hash": "zz_1"}}}', encoding="utf-8")
    assert index_chunks(tmp_path) == []  # no metadata at all
    for data in (b"not gzip", gzip.compress(b"other"), gzip.compress(b"pagefind_dcd" + cbor2.dumps({"chunks": 1})), gzip.compress(b"pagefind_dcd" + cbor2.dumps(["1.5", [], [["a", 1]]]))):
        (tmp_path / "pagefind.zz_1.pf_meta").write_bytes(data)
        assert index_chunks(tmp_path) == []


def _head(index: Path) -> dict:
    return json.loads((index / WORD_SHARDS_DIR / WORD_SHARDS_HEAD).read_text(encoding="utf-8"))


def _fragment(index: Path, page_id: str) -> dict:
    data = zlib.decompress((index / "fragment" / f"{page_id}.pf_fragment").read_bytes(), wbits=31)
    return json.loads(data[len(b"pagefind_dcd") :])


def test_the_word_lists_head_holds_a_small_sites_page_table_that_follows_edits(site: Path) -> None:
    """search.js shows a card from the head's row before its fragment: each row must be the
    page's fragment (address, title, date, topic, city), one for every page, after an edit too."""
    index = site / "public" / PAGEFIND_DIR
    for _ in range(2):
        rows = _head(index)["pages"]
        fragments = sorted(p.stem for p in (index / "fragment").iterdir())
        assert [row[0] for row in rows] == fragments and len(rows) == 47
        for page_id, url, title, date, topic, city in rows:
            fragment = _fragment(index, page_id)
            assert (url, title, date, topic, city) == (fragment["url"], fragment["meta"]["title"], fragment["meta"]["date"], fragment["meta"]["topic"], fragment["meta"]["city"])
        edit(site, ARTICLE, "title: ", "title: 改过的标题：")
        build_site(site, search=True)
    assert any(title.startswith("改过的标题：") for _, _, title, *_ in _head(index)["pages"])


def test_a_page_table_or_whole_index_over_its_budget_is_left_out(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its budget the table would cost a phone more than the round trip it saves: cards
    then wait for their fragments, as on a big site. Past its own, the index is not fetched
    whole after the first results."""
    index = site / "public" / PAGEFIND_DIR
    table = json.dumps(_head(index)["pages"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    monkeypatch.setattr(search, "_PAGE_TABLE_BYTES", len(gzip.compress(table)) - 1)
    search._add_chunk_table(index)
    head = _head(index)
    assert "pages" not in head and head["chunks"]  # the chunk table stays
    assert head["index_whole"]  # the sample's chunks, 70 KB in all
    chunks = sum(path.stat().st_size for path in (index / "index").iterdir())
    monkeypatch.setattr(search, "_WHOLE_INDEX_BYTES", chunks - 1)
    search._add_chunk_table(index)
    assert not _head(index)["index_whole"]
    # Nor is a fragment read at all when the page count alone rules the table out.
    monkeypatch.setattr(search, "_PAGE_TABLE_BYTES", search._SMALLEST_ROW * 47 - 1)
    monkeypatch.setattr(search, "index_pages", lambda folder: pytest.fail("fragments read"))
    search._add_chunk_table(index)
    assert "pages" not in _head(index)


def test_fragments_in_another_shape_give_no_page_table(tmp_path: Path) -> None:
    (tmp_path / "fragment").mkdir()
    good = gzip.compress(b"pagefind_dcd" + json.dumps({"url": "/a/", "meta": {"title": "甲", "date": "2026-01-02"}}).encode())
    (tmp_path / "fragment" / "zz_1.pf_fragment").write_bytes(good)
    assert index_pages(tmp_path) == [["zz_1", "/a/", "甲", "2026-01-02", "", ""]]
    for data in (b"not gzip", gzip.compress(b"other"), gzip.compress(b"pagefind_dcd[1]"), gzip.compress(b'pagefind_dcd{"url": "/b/"}')):
        (tmp_path / "fragment" / "zz_2.pf_fragment").write_bytes(data)
        assert index_pages(tmp_path) == []


@pytest.mark.browser
def test_an_added_word_is_found_and_a_removed_one_is_not(site: Path, browser) -> None:
    edit(site, ARTICLE, "磁共振", "核磁")
    edit(site, ARTICLE, "\n## ", "\n鱼腥草泡水不能代替看病，HPV疫苗也与头痛无关。\n\n## ")
    build_site(site, search=True)
    with serving(site / "public") as base:
        tab = SearchPage(browser, base)
        tab.open()
        for query, found in (("鱼腥草", True), ("HPV疫苗", True), ("hpv 疫苗", True), ("磁共振", False), ("核磁", True)):
            tab.search(query)
            assert (tab.all_results() == ["/zhengzhuang/toutong-gua-shenme-ke/"]) is found, query
            if not found:
                assert tab.shown() == []
        assert not tab.errors
        tab.close()


def test_a_one_article_edit_patches_the_output_and_swaps_in_a_whole_new_index(site: Path) -> None:
    out = site / "public"
    folder_before = out.stat().st_ino
    untouched = out / "zhengzhuang/fanfu-dishao-yuanyin/index.html"
    page_before = untouched.stat().st_ino
    index_before = (out / PAGEFIND_DIR).stat().st_ino
    edit(site, ARTICLE, "磁共振", "核磁")
    result = build_site(site, search=True)
    # Patched in place (the output folder and an untouched page are the same files), not staged
    # as a whole tree; the index is a new folder, swapped in as one.
    assert out.stat().st_ino == folder_before
    assert untouched.stat().st_ino == page_before
    assert (out / PAGEFIND_DIR).stat().st_ino != index_before
    assert "核磁" in (out / PAGEFIND_DIR / WORDS_FILE).read_text(encoding="utf-8")
    assert result.written < 200  # the article, the pages that list it, and the index
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".sitegen-")) == [".sitegen-cache"]
    # The next build finds what this one wrote: nothing to do.
    assert build_site(site, search=True).written == 0


def test_a_failed_index_leaves_the_patched_output_as_it_was(site: Path, monkeypatch) -> None:
    from sitegen import search
    from sitegen.errors import Problem, SiteError

    out = site / "public"
    before = contents(out)

    class Broken:
        def __init__(self, arguments: list[str]) -> None:
            Path(arguments[arguments.index("--output-path") + 1], "half-written").mkdir(parents=True)

        def wait(self) -> None:
            raise SiteError(Problem("pagefind", None, "Pagefind 没能建立搜索索引"))

        def stop(self) -> None:
            pass

    monkeypatch.setattr(search, "start_pagefind", Broken)
    edit(site, ARTICLE, "磁共振", "核磁")
    with pytest.raises(SiteError):
        build_site(site, search=True)
    assert contents(out) == before
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".sitegen-")) == [".sitegen-cache"]
    monkeypatch.undo()
    build_site(site, search=True)
    assert "核磁" in (out / PAGEFIND_DIR / WORDS_FILE).read_text(encoding="utf-8")


def test_whole_rebuilds_make_a_complete_index_while_the_pages_render(site: Path, tmp_path: Path) -> None:
    # Pagefind runs beside the pages stage, into the staged tree. A template change stages a
    # whole tree, from the second time on in the spare tree the last one left, whose stale files
    # are removed while Pagefind may still be writing: its folder must come out whole. The third
    # build changes no slim page and carries the index over into a spare holding an older one.
    cold = sample_site(tmp_path / "cold")
    build_site(cold, search=True, cache=False)
    expected = len({p for p in contents(cold / "public" / PAGEFIND_DIR) if p.startswith("fragment/")})
    for mark, word in (("<!-- 改版一 -->", "核磁"), ("<!-- 改版二 -->", "放射科"), ("<!-- 改版三 -->", "放射科")):
        text = (site / ARTICLE).read_text(encoding="utf-8")
        (site / ARTICLE).write_text(re.sub("磁共振|核磁|放射科", word, text, count=1), encoding="utf-8")
        edit(site, "layouts/base.html", "<body", f"{mark}<body")
        result = build_site(site, search=True)
        assert result.rendered > 100  # the whole site, staged
        index = site / "public" / PAGEFIND_DIR
        names = {p.relative_to(index).as_posix() for p in index.rglob("*") if p.is_file()}
        assert "pagefind-entry.json" in names and WORDS_FILE in names
        assert len({p for p in names if p.startswith("fragment/")}) == expected, mark
        assert word in (index / WORDS_FILE).read_text(encoding="utf-8")


def test_a_failure_while_the_pages_render_stops_pagefind(site: Path, monkeypatch) -> None:
    from sitegen import search, writer
    from sitegen.errors import Problem, SiteError

    out = site / "public"
    before = contents(out)
    runs: list[str] = []
    start = search.start_pagefind

    def started(arguments: list[str]):
        run = start(arguments)
        runs.append("started")
        stop = run.stop

        def stopped() -> None:
            runs.append("stopped")
            stop()

        run.stop = stopped
        return run

    def failing(*args, **kwargs):
        raise SiteError(Problem("layouts/article.html", 3, "模板出错"))

    monkeypatch.setattr(search, "start_pagefind", started)
    monkeypatch.setattr(writer, "_write_pages", failing)
    edit(site, "layouts/base.html", "<body", "<!-- 改版 --><body")
    edit(site, ARTICLE, "磁共振", "核磁")
    with pytest.raises(SiteError):
        build_site(site, search=True)
    assert runs == ["started", "stopped"]
    assert contents(out) == before
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".sitegen-")) == [".sitegen-cache"]


def test_the_replaced_index_is_deleted_by_the_next_build_while_pagefind_runs(site: Path) -> None:
    out, retired = site / "public", site / ".sitegen-cache" / RETIRED_DIR
    first = (out / PAGEFIND_DIR / "pagefind-entry.json").read_bytes()
    edit(site, ARTICLE, "磁共振", "核磁")
    build_site(site, search=True)
    # Moved into the cache, not deleted on the way to the swap: the same bytes.
    assert (retired / "pagefind-entry.json").read_bytes() == first
    second = (out / PAGEFIND_DIR / "pagefind-entry.json").read_bytes()
    edit(site, ARTICLE, "核磁", "放射科")
    build_site(site, search=True)
    assert (retired / "pagefind-entry.json").read_bytes() == second  # only the last one is kept
    assert "放射科" in (out / PAGEFIND_DIR / WORDS_FILE).read_text(encoding="utf-8")
    build_site(site, search=False)
    assert not retired.exists()  # a build without search has no use for it


@pytest.mark.parametrize("free_gb", [0.5, 64])
def test_pagefind_waits_for_the_pages_when_memory_is_short(site: Path, tmp_path: Path, monkeypatch, free_gb: float) -> None:
    from sitegen import search, writer

    order: list[str] = []
    start, write_pages, split = search.start_pagefind, writer._write_pages, writer._split_by_fingerprint

    def started(arguments: list[str]):
        order.append("pagefind")
        return start(arguments)

    def pages(*args, **kwargs):
        order.append("pages")
        return write_pages(*args, **kwargs)

    def fingerprints(*args, **kwargs):
        order.append("fingerprints")
        return split(*args, **kwargs)

    monkeypatch.setattr(search, "start_pagefind", started)
    monkeypatch.setattr(writer, "_write_pages", pages)
    monkeypatch.setattr(writer, "_split_by_fingerprint", fingerprints)
    monkeypatch.setattr(writer, "_memory_available", lambda: int(free_gb * 1024**3))
    edit(site, "layouts/base.html", "<body", "<!-- 改版 --><body")
    edit(site, ARTICLE, "磁共振", "核磁")
    build_site(site, search=True)
    # Beside everything after the slim pages, the fingerprints included; else after the pages.
    assert order == (["fingerprints", "pages", "pagefind"] if free_gb < 1 else ["pagefind", "fingerprints", "pages"])
    cold = sample_site(tmp_path / "cold")
    build_site(cold, search=True, cache=False)
    ours, theirs = contents(site / "public" / PAGEFIND_DIR), contents(cold / "public" / PAGEFIND_DIR)
    assert len([p for p in ours if p.startswith("fragment/")]) == len([p for p in theirs if p.startswith("fragment/")])
    assert "核磁" in ours[WORDS_FILE].decode("utf-8")


def test_pagefind_runs_beside_the_pages_only_with_memory_to_spare(monkeypatch) -> None:
    from sitegen import writer

    for free, pages, beside in ((None, 10**6, True), (8 * 1024**3, 10_000, True), (4 * 1024**3, 10_000, True), (3 * 1024**3, 10_000, False), (8 * 1024**3, 30_000, False)):
        monkeypatch.setattr(writer, "_memory_available", lambda free=free: free)
        assert writer.pagefind_beside_pages(pages) is beside, (free, pages)
    assert writer._memory_available() is None or writer._memory_available() > 0


def test_an_index_file_lost_from_the_output_makes_the_index_again(site: Path) -> None:
    index = site / "public" / PAGEFIND_DIR
    lost = sorted((index / "fragment").iterdir())[0]
    fragments = {p.name for p in (index / "fragment").iterdir()}
    entry = (index / "pagefind-entry.json").read_bytes()
    lost.unlink()
    # No slim page changes, so the last index would be carried over: but it is no longer whole.
    edit(site, "layouts/base.html", "<body", "<!-- 改版 --><body")
    build_site(site, search=True)
    # Made again (Pagefind names its other files anew on every run), every fragment there.
    assert (index / "pagefind-entry.json").read_bytes() != entry
    assert {p.name for p in (index / "fragment").iterdir()} == fragments
    assert (index / WORDS_FILE).exists()
    assert not (site / ".sitegen-cache" / NEW_INDEX_DIR).exists()  # moved into the output


def test_the_index_records_have_a_shard_of_their_own(site: Path) -> None:
    # Pagefind names most of its files anew on every run: with their records spread over every
    # shard of output records, each edit with search on rewrote all of them.
    from sitegen.cache import _OUTPUTS, _read_signed, signing_key

    def shard_paths() -> list[set[str]]:
        folder = site / ".sitegen-cache" / _OUTPUTS
        return [set(_read_signed(signing_key(), "outputs", path)["outputs"]) for path in sorted(folder.glob("*.pickle"))]

    edit(site, ARTICLE, "磁共振", "核磁")
    build_site(site, search=True)
    first, *others = shard_paths()
    assert first and all(path.startswith(f"{PAGEFIND_DIR}/") for path in first)
    assert "pagefind/pagefind-entry.json" in first
    assert not any(path.startswith(f"{PAGEFIND_DIR}/") for shard in others for path in shard)
    before = [sorted(shard) for shard in others]
    # And from build to build the pages' records stay in the shards they were in.
    edit(site, ARTICLE, "核磁", "磁共振")
    build_site(site, search=True)
    assert [sorted(shard) for shard in shard_paths()[1:]] == before
