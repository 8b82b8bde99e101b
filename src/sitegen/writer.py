"""Stage 7: write what changed, and only that, leaving the previous output whole until the end.

`write_site()` owns the incremental machinery: it carries over every page whose facts did not
change (views.py), decides between patching the output in place and staging a whole tree
(output.py), writes pages, sitemap, robots.txt, static files and the search index, and commits.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from .cache import CACHE_DIR, LOCK_FILE, BuildCache, OutputRecord, mark_output_changing, output_pending
from .feeds import NETLIFY_HEADERS, NETLIFY_REDIRECTS, noindex_headers_page, redirect_rules, robots_page, sitemap_pages
from .markdown import BodyPage
from .model import Site
from .output import PatchedOutput, StagedOutput, build_lock, move_folder, stop_if_asked
from .render import PageRenderer
from .routes import Route
from .search import NEW_INDEX_DIR, PAGEFIND_DIR, RETIRED_DIR, IndexRun, SearchDoc, body_reader, prepare_index, refresh_index, search_docs, write_index
from .theme import STATIC_DIR, static_files
from .views import SiteFacts
from .workers import default_jobs, run_chunks

__all__ = ["PAGEFIND_DIR", "OutputPlan", "Written", "index_search", "refresh_search_index", "write_site"]


@dataclass(frozen=True)
class OutputPlan:
    """Everything the writer needs: the model, every route, the facts that fingerprint them."""

    site: Site
    routes: list[Route]
    facts: SiteFacts
    renderer: PageRenderer
    search: bool
    noindex: bool
    body_page: Callable[[str], BodyPage | None] | None = None  # bodies by key, for the search index
    body_salt: str = ""  # what bodies' HTML depends on besides their source (search.SearchDoc.body_key)


@dataclass(frozen=True)
class Written:
    """What writing the output did, for the build's summary and the cache."""

    records: dict[str, OutputRecord]  # every file of the new output, as written
    written: int  # files whose bytes changed
    rendered: int
    removed: int
    search_pending: bool  # pages were patched in and the search index has yet to catch up
    search_docs: tuple[SearchDoc, ...] = ()  # when pending: what refresh_search_index indexes
    search_words: tuple[str, ...] = ()  # and the site's own search words (site.toml)
    # The index step's own wall time, the slim pages and then Pagefind's run, which overlaps the
    # pages stage: what the index would cost on its own, for --profile.
    index_seconds: float = 0.0


def write_site(
    plan: OutputPlan,
    cache: BuildCache,
    *,
    site_dir: Path,
    out_dir: Path,
    jobs: int,
    search_index_now: bool,
    on_progress: Callable[[int, int], None] | None,
    timer: Callable[[str], AbstractContextManager],
    swapped: list[bool],
) -> Written:
    """Write the planned output into `out_dir`; `swapped` gets True once it is in place."""
    site, routes, facts, search = plan.site, plan.routes, plan.facts, plan.search
    cache_dir = site_dir / CACHE_DIR
    same_output = cache.output_dir == str(out_dir.absolute())
    previous = cache.outputs if same_output else {}  # what the current output folder holds
    if not same_output and cache.spare is not None and cache.spare.exists():
        shutil.rmtree(cache.spare, ignore_errors=True)  # it belongs to another output folder
    if not search:
        shutil.rmtree(cache_dir / RETIRED_DIR, ignore_errors=True)  # left by a build with search on
    index: _SearchIndex | None = None
    pending: tuple[SearchDoc, ...] = ()
    try:
        if search and search_index_now:
            # First of all, so that Pagefind (mostly one core's work) runs while the rest is done.
            with timer("search pages"):
                index = _start_search_index(plan, previous, cache_dir, jobs, reuse=cache.folder is not None)
        with timer("fingerprints"):  # every page's facts, digested: most of a small edit's time
            changed, carried = _split_by_fingerprint(routes, previous, facts)
        # At most one page in ten to render again: patch the output in place. A bigger change (a
        # template, site.toml) stages a whole new tree and swaps it in at once, and so does an
        # output that is a link (to another disk, renames from beside it would fail). With search
        # on, the output must already have an index: a patched build swaps a whole new one in at
        # commit (or leaves it for the caller to refresh, serve).
        # An output changed since the cache was saved (a killed build, --no-cache) may hold files
        # the cache does not know of: only a whole staged tree is sure to drop them.
        patch = (
            bool(previous)
            and not output_pending(cache_dir, out_dir)
            and len(changed) <= len(routes) // 10
            and out_dir.is_dir()
            and not out_dir.is_symlink()
            and (not search or (out_dir / PAGEFIND_DIR).is_dir())
        )
        index_later = patch and search and not search_index_now
        # With patching, the index folder is left as it is: until refreshed (serve), or until this
        # build swaps a new one in as a whole (PatchedOutput.replace_folder).
        kept_index = (f"{PAGEFIND_DIR}/",) if patch and search else ()
        output: StagedOutput | PatchedOutput = PatchedOutput(out_dir, set(previous)) if patch else StagedOutput(out_dir, cache.spare)
        with output as staged:
            if search and index is None:  # serve's rebuilds: the index now only if not patched
                with timer("search pages"):
                    if index_later:  # cut after the reload, with the index: seconds on a big site
                        assert plan.body_page is not None
                        pending = tuple(search_docs(plan.site, plan.body_page, plan.renderer.prefix, plan.body_salt))
                    else:
                        index = _start_search_index(plan, previous, cache_dir, jobs, reuse=cache.folder is not None)
            # Pagefind is mostly one core's work: while it runs, the pages stage leaves it one
            # (on 2 cores, 10,000 articles: 61.6 s cold against 69.1 s with both workers on
            # the cores it needs, whose pages took 33 CPU-s instead of 23 as they fought for them).
            indexing = index.run.running if index is not None and index.run is not None else None
            with timer("pages"):
                records, written, rendered = _write_pages(staged, changed, carried, plan.renderer, facts, jobs, on_progress, indexing)
            stop_if_asked("pages")
            with timer("sitemap"):
                written += _write_sitemaps(staged, site, routes, previous, records)
                robots = robots_page(site, plan.noindex)
                written += staged.write(robots.path, robots.content)
                records[robots.path] = _record(staged, robots.path, "")
            with timer("static"):
                written += _write_static(staged, site_dir, site, plan.noindex, records)
                # A new index replaces the folder whole (replace_folder): its old files are not
                # removed one by one.
                new_index = (f"{PAGEFIND_DIR}/",) if index is not None and not index.kept else ()
                staged.remove_others(set(records) | (index.kept.keys() if index else set()), kept_index or new_index)
            if index is not None:
                with timer("search index"):
                    written += index.finish(staged, records, cache_dir / RETIRED_DIR)
            with timer("commit"):
                removed = len({path for path in previous if not path.startswith(kept_index)} - set(records))
                mark_output_changing(cache_dir, out_dir)
                staged.commit(records)
                swapped.append(True)
    finally:
        if index is not None:
            index.stop()
    words = tuple(site.config.search_words) if pending else ()
    return Written(records, written, rendered, removed, index_later, pending, words, index.seconds if index else 0.0)


def _write_static(staged: StagedOutput | PatchedOutput, site_dir: Path, site: Site, noindex: bool, records: dict[str, OutputRecord]) -> int:
    """Copy static/ (the site's, then the theme's) around the pages; how many files got new bytes."""
    taken = set(records)
    files = static_files(site_dir)
    # static/_redirects joins the rules the aliases make instead of colliding with them
    own_rules = files.pop(NETLIFY_REDIRECTS) if NETLIFY_REDIRECTS in taken and NETLIFY_REDIRECTS in files else None
    written = staged.copy_static(files, taken).written
    for relative in taken - set(records):
        records[relative] = _record(staged, relative, "")
    if own_rules is not None:
        staged.write(NETLIFY_REDIRECTS, redirect_rules(site, _read_or_empty(own_rules)))  # counted as the route's
        records[NETLIFY_REDIRECTS] = _record(staged, NETLIFY_REDIRECTS, "")  # rendered again next time
    if noindex:  # written after static/, whose own _headers it extends
        headers = noindex_headers_page(_read_or_empty(site_dir / STATIC_DIR / NETLIFY_HEADERS))
        written += staged.write(headers.path, headers.content)
        records[headers.path] = _record(staged, headers.path, "")
    return written


class _SearchIndex:
    """The output's index: the last one, to carry over if the output still holds it (`kept`), or
    a new one that Pagefind is making into the cache (`run`), or is to make once the pages are
    done (memory was short); finish() puts it in place and records its files."""

    def __init__(self, digest: str, kept: dict[str, OutputRecord], run: IndexRun | None, start: Callable[[], IndexRun]):
        self.digest, self.kept, self.run, self.start = digest, kept, run, start
        self.seconds = 0.0  # the index step's own time: the slim pages, then Pagefind's run

    def finish(self, staged: StagedOutput | PatchedOutput, records: dict[str, OutputRecord], retire_to: Path) -> int:
        """Record the index's files in `records`; how many got new bytes."""
        if self.run is None and self.kept and all(staged.keep(path, record) for path, record in self.kept.items()):
            records.update(self.kept)
            return 0
        if self.run is None:  # after the pages, or the output lost a file of the last index
            self.run = self.start()
        self.run.wait()
        self.seconds += self.run.seconds
        target = staged.replace_folder(PAGEFIND_DIR, retire_to)
        move_folder(self.run.index_dir, target)
        found = _files_below(str(target), f"{PAGEFIND_DIR}/", self.digest)
        records.update(found)
        return len(found)  # Pagefind writes its whole index anew

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()


def _files_below(folder: str, prefix: str, fingerprint: str) -> dict[str, OutputRecord]:
    """A record of every file under `folder`, named `prefix` + its path there. Walked with
    scandir: Path.rglob and a stat each took 0.3 s for the 10,000 files of a 10,000-page index."""
    found: dict[str, OutputRecord] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                found.update(_files_below(entry.path, f"{prefix}{entry.name}/", fingerprint))
            elif entry.is_file():
                stat = entry.stat()
                found[prefix + entry.name] = OutputRecord(fingerprint, stat.st_size, stat.st_mtime_ns, stat.st_ino, ())
    return found


# What Pagefind holds per slim page at its peak (1.96 GB for 10,000 measured; kept above it), and
# what the page workers may need beside it: with less memory free, it waits for the pages.
_PAGEFIND_BYTES_PER_PAGE = 256 * 1024
_PAGES_HEADROOM = 1024**3


def _memory_available() -> int | None:
    """Bytes of memory free for new work (Linux's MemAvailable), None where it cannot be told."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def pagefind_beside_pages(pages: int) -> bool:
    """Whether Pagefind may index `pages` slim pages while the pages render, memory allowing."""
    available = _memory_available()
    return available is None or available >= pages * _PAGEFIND_BYTES_PER_PAGE + _PAGES_HEADROOM


def _start_search_index(plan: OutputPlan, previous: dict[str, OutputRecord], cache_dir: Path, jobs: int, *, reuse: bool) -> _SearchIndex:
    """Bring the slim pages up to date, then keep the last index if it was made of the same, or
    start Pagefind on them, into the cache (after the pages instead, when memory is short).

    Every file of the index is recorded with the slim pages' digest as its fingerprint, so the
    next build knows what the index it carries over holds.
    """
    started = time.perf_counter()
    assert plan.body_page is not None
    # Bodies are read only to be cut: the cut cache knows the rest by their keys.
    docs = search_docs(plan.site, plan.body_page, plan.renderer.prefix, plan.body_salt, read_bodies=False)
    digest = prepare_index(  # --no-cache: cut every article
        docs, cache_dir, jobs=jobs, reuse=reuse, bodies=body_reader(plan.body_page), site_words=plan.site.config.search_words
    )

    def start() -> IndexRun:
        return IndexRun(cache_dir, cache_dir / NEW_INDEX_DIR)

    old = {path: record for path, record in previous.items() if path.startswith(f"{PAGEFIND_DIR}/")}
    if old and all(record.fingerprint == digest for record in old.values()):
        index = _SearchIndex(digest, old, None, start)  # no slim page changed: the index is the same
    else:
        index = _SearchIndex(digest, {}, start() if pagefind_beside_pages(len(docs)) else None, start)
    index.seconds = time.perf_counter() - started
    return index


def _split_by_fingerprint(
    routes: list[Route], previous: dict[str, OutputRecord], facts: SiteFacts
) -> tuple[list[Route], list[tuple[Route, OutputRecord]]]:
    """The routes to render again, and the others with what the last build recorded of them.

    A page is carried over when every fact it read last time (its record's `reads`) still has
    the digest it had: whatever its templates looked at, nothing of it changed.
    """
    changed: list[Route] = []
    carried: list[tuple[Route, OutputRecord]] = []
    for route in routes:
        old = previous.get(route.path)
        if old is not None and old.reads and facts.fingerprint(old.reads) == old.fingerprint:
            carried.append((route, old))
        else:
            changed.append(route)
    return changed, carried


def _write_pages(
    staged: StagedOutput | PatchedOutput,
    changed: list[Route],
    carried: list[tuple[Route, OutputRecord]],
    renderer: PageRenderer,
    facts: SiteFacts,
    jobs: int,
    on_progress: Callable[[int, int], None] | None,
    hold_back: Callable[[], bool] | None = None,
) -> tuple[dict[str, OutputRecord], int, int]:
    """Render the changed routes; carry the others over from the last output, or render them too
    when the output no longer holds them as recorded. While `hold_back()` is true, one core is
    left to something else (run_chunks).

    Returns each file's record for the cache, how many files got new bytes, how many were rendered.
    """
    records: dict[str, OutputRecord] = {}
    to_render = list(changed)
    for route, old in carried:
        if staged.keep(route.path, old):
            records[route.path] = old
        else:
            to_render.append(route)
    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done += count
        if on_progress is not None:
            on_progress(done, len(to_render))

    written = 0
    for chunk_records, chunk_written in run_chunks(
        _render_chunk, to_render, shared=(renderer, staged, facts), jobs=jobs, minimum=50, on_chunk=progress, hold_back=hold_back
    ):
        records.update(chunk_records)
        written += chunk_written
    return records, written, len(to_render)


def _write_sitemaps(
    staged: StagedOutput | PatchedOutput, site, routes: list[Route], previous: dict[str, OutputRecord], records: dict
) -> int:
    """Write sitemap.xml (and its parts past 50,000 URLs) unless the URLs and dates are unchanged."""
    listed = [route for route in routes if route.url is not None]
    text = site.config.base_url + "\n" + "\n".join(f"{spec.url} {spec.lastmod} {spec.images}" for spec in listed)
    fingerprint = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
    kept = {path: record for path, record in previous.items() if path.startswith("sitemap") and record.fingerprint == fingerprint}
    if "sitemap.xml" in kept and all(staged.keep(path, r) for path, r in kept.items()):
        records.update(kept)
        return 0
    written = 0
    for page in sitemap_pages(site, listed):
        written += staged.write(page.path, page.content)
        records[page.path] = _record(staged, page.path, fingerprint)
    return written


def _render_chunk(shared: tuple, routes: Sequence[Route]) -> tuple[dict[str, OutputRecord], int]:
    renderer, staged, facts = shared
    records: dict[str, OutputRecord] = {}
    written = 0
    for route in routes:
        content, reads = renderer.render(route)
        written += staged.write(route.path, content)
        records[route.path] = _record(staged, route.path, facts.fingerprint(reads), reads)
    return records, written


def _record(staged: StagedOutput | PatchedOutput, relative: str, fingerprint: str, reads: tuple[str, ...] = ()) -> OutputRecord:
    stat = staged.staged_path(relative).stat()
    return OutputRecord(fingerprint, stat.st_size, stat.st_mtime_ns, stat.st_ino, reads)


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # none, or unreadable: copying static/ has reported that already
        return b""


def refresh_search_index(out_dir: Path, site_dir: Path, docs: Sequence[SearchDoc] = (), words: Sequence[str] = ()) -> None:
    """Cut `docs` (a pending build's `search_docs`, with its `search_words`) into slim pages,
    index them and swap the new index in: for builds with search_index_now off.

    It holds the site's build lock, so no build changes the slim pages while they are indexed.
    """
    with build_lock(site_dir / CACHE_DIR / LOCK_FILE, 1800.0):
        if docs:
            prepare_index(docs, site_dir / CACHE_DIR, jobs=default_jobs(), site_words=words)
        refresh_index(out_dir.absolute(), site_dir / CACHE_DIR)


def index_search(folder: Path, site_dir: Path) -> None:
    """Index the slim pages a build prepared under `site_dir`'s cache into `folder`/pagefind."""
    write_index(site_dir / CACHE_DIR, folder / PAGEFIND_DIR)
