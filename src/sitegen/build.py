"""The build pipeline, top to bottom in one function: `_build()`, which `build()` calls.

config → content → Markdown → site model → page plan → pages → output. Each stage lives in its
own module, takes plain data and gives plain data; none reaches back into an earlier one. All
problems of a stage are collected before the build stops, so an author sees every mistake at once.

The build cache (cache.py) lets every stage skip work whose inputs did not change, and the
expensive stages run on every core (workers.py); the output is byte for byte the same either way.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__
from .cache import (
    CACHE_DIR,
    LOCK_FILE,
    BuildCache,
    CacheMismatch,
    OutputRecord,
    discard_cache,
    forget_build,
    last_build,
    mark_output_changing,
    output_pending,
    remember_build,
)
from .config import CONFIG_FILE, RelatedSettings, load_config
from .content import ContentScan, load_content, parse_article, scan_content, stat_key
from .errors import BuildInterrupted, Problem, SiteError
from .feeds import NETLIFY_HEADERS, noindex_headers_page, robots_page, sitemap_pages
from .markdown import BodyPage, render_bodies, render_markdown
from .output import PatchedOutput, StagedOutput, build_lock, check_output_folder, stop_if_asked
from .related import RelatedInput, rank_related
from .render import PageRenderer
from .routes import Route, plan_routes, shared_paths
from .site import base_path, build_site
from .theme import layout_folders, layouts_digest, static_files
from .views import SiteFacts
from .workers import default_jobs, run_chunks, state

STATIC_DIR = "static"
PAGEFIND_DIR = "pagefind"  # the search index, in the output folder


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path = Path(".")
    out_dir: Path | None = None  # default: <site_dir>/public
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    search: bool | None = None  # None: as site.toml says
    # False: when only a few pages change, patch them in and leave the Pagefind index as it is;
    # the caller refreshes it with refresh_search_index() (serve does, after the reload).
    search_index_now: bool = True
    today: dt.date | None = None
    jobs: int | None = None  # None: every core
    cache: bool = True  # keep .sitegen-cache/ for fast rebuilds
    # Keep search engines out (meta robots, robots.txt, Netlify's _headers); drafts and future imply it.
    noindex: bool = False
    on_progress: Callable[[int, int], None] | None = None  # (pages done, pages to render)
    on_wait: Callable[[], None] | None = None  # called once if another build holds the site's lock
    lock_wait: float = 1800.0  # seconds to wait for another build before giving up

    @property
    def output(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.site_dir / "public"


@dataclass
class BuildResult:
    out_dir: Path
    articles: int
    pages: int
    written: int  # files whose bytes changed
    unchanged: int
    rendered: int  # pages rendered this time (the rest were carried over by fingerprint)
    removed: int
    skipped_drafts: int
    skipped_future: int
    warnings: list[Problem]
    url_prefix: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    search_pending: bool = False  # the pages changed and the search index has not caught up yet


class StageTimer:
    """Wall time spent in each stage, for `sitegen build --profile`."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def build(options: BuildOptions) -> BuildResult:
    """Build the site in `options.site_dir` into its output folder; raise SiteError on bad input.

    One build of a site runs at a time (`sitegen serve`'s too): a second waits for the first.
    Ctrl-C raises BuildInterrupted, which says whether the new output was already swapped in.
    """
    cache_dir = options.site_dir / CACHE_DIR
    with build_lock(cache_dir / LOCK_FILE, options.lock_wait, options.on_wait), _cycle_collection_paused():
        swapped: list[bool] = []  # set once the new output is in place
        try:
            return _build(options, swapped)
        except CacheMismatch as mismatch:
            # A signed body found under another article's name: nothing in the cache is trusted.
            discard_cache(cache_dir)
            result = _build(options, swapped)
            result.warnings.insert(0, Problem(CACHE_DIR, None, mismatch.message, "warning"))
            return result
        except BuildInterrupted:
            raise
        except KeyboardInterrupt:
            raise BuildInterrupted(committed=bool(swapped)) from None


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    # A build makes hundreds of thousands of long-lived objects (the cache, the site model) and
    # next to no reference cycles, so the cycle collector would only walk the heap again and again:
    # a fifth of a rebuild's time at 10,000 articles. Plain reference counting still frees memory.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(options: BuildOptions, swapped: list[bool]) -> BuildResult:
    site_dir, out_dir = options.site_dir, options.output
    today = options.today or dt.date.today()
    jobs = options.jobs or default_jobs()
    timer = StageTimer()
    check_output_folder(out_dir, site_dir)
    cache_dir = site_dir / CACHE_DIR
    signature = ""
    scan = None
    layouts = layouts_digest(site_dir)  # read once: the change check and the plan use it
    if options.cache:
        # Nothing changed since the last build (sources, settings, layouts, output): nothing to do.
        with timer("unchanged?"):
            scan = scan_content(site_dir)
            signature = _inputs_signature(site_dir, options, out_dir, today, scan, layouts)
            last = last_build(cache_dir)
            if last is not None and last[0] == signature and not output_pending(cache_dir, out_dir) and _output_intact(out_dir, last[1][1]):
                done = last[1][0]
                files = done.written + done.unchanged
                return replace(done, written=0, unchanged=files, rendered=0, removed=0, timings=timer.timings)
            forget_build(cache_dir)
    cache = BuildCache.load(cache_dir) if options.cache else BuildCache.disabled()
    warnings = [Problem(CACHE_DIR, None, message, "warning") for message in cache.warnings]

    with timer("config"):
        config = load_config(site_dir, options.base_url)
    search = config.search if options.search is None else options.search
    noindex = options.noindex or options.drafts or options.future  # unreviewed pages stay unlisted
    if cache.excerpt_length != config.excerpt_length:
        cache.forget_articles()  # the facts hold excerpts of another length, and sources no body

    with timer("content"):
        content = load_content(
            site_dir, drafts=options.drafts, future=options.future, today=today, known=cache.sources, jobs=jobs, scan=scan
        )
    if content.problems:
        raise SiteError(content.problems)
    stop_if_asked("content")

    with timer("markdown"):
        keyed = [(source.content_hash, source.body) for source in (*content.articles, *content.pages)]
        rendered_bodies = render_bodies(keyed, cache.bodies, cache.facts, jobs, config.excerpt_length)
        bodies, page_bodies = rendered_bodies[: len(content.articles)], rendered_bodies[len(content.articles) :]
    stop_if_asked("markdown")

    with timer("model"):
        ranking = _remembered_ranking(cache, jobs)
        model = build_site(
            config, content.articles, bodies, build_date=today, search=search, rank=ranking,
            pages=list(zip(content.pages, page_bodies)), slugs=cache.slugs
        )
    if model.problems:
        raise SiteError(model.problems)
    stop_if_asked("model")
    site = model.site

    with timer("plan"):
        routes = plan_routes(site)
        if clashes := shared_paths(site, routes):
            raise SiteError(clashes)
        # What every page depends on, whatever its templates read: a change here renders them all.
        shared = repr((__version__, layouts, noindex, config.model_dump_json(), base_path(config), search))
        facts = SiteFacts(site, shared)
    if site.redirects:
        _check_redirects(site, routes)

    same_output = cache.output_dir == str(out_dir.absolute())
    previous = cache.outputs if same_output else {}  # what the current output folder holds
    if not same_output and cache.spare is not None and cache.spare.exists():
        shutil.rmtree(cache.spare, ignore_errors=True)  # it belongs to another output folder
    changed, carried = _split_by_fingerprint(routes, previous, facts)
    # At most one page in ten to render again: patch the output in place. A bigger change (a
    # template, site.toml) stages a whole new tree and swaps it in at once, and so does an output
    # that is a link (to another disk, renames from beside it would fail). Pagefind indexes a
    # whole tree: with search on, only a caller that refreshes the index later (serve) patches.
    # An output changed since the cache was saved (a killed build, --no-cache) may hold files
    # the cache does not know of: only a whole staged tree is sure to drop them.
    patch = (
        bool(previous)
        and not output_pending(cache_dir, out_dir)
        and len(changed) <= len(routes) // 10
        and out_dir.is_dir()
        and not out_dir.is_symlink()
        and (not search or (not options.search_index_now and (out_dir / PAGEFIND_DIR).is_dir()))
    )
    index_later = patch and search
    kept_index = (f"{PAGEFIND_DIR}/",) if index_later else ()  # left as it is until refreshed
    if patch:
        output: StagedOutput | PatchedOutput = PatchedOutput(out_dir, set(previous))
    else:
        output = StagedOutput(out_dir, cache.spare)
    with output as staged:
        with timer("pages"):
            renderer = PageRenderer(
                site, layout_folders(site_dir), _BodyReader(site_dir, cache.bodies, (*content.articles, *content.pages)), cache.templates,
                noindex=noindex,
            )
            records, written, rendered = _write_pages(staged, changed, carried, renderer, facts, jobs, options.on_progress)
        stop_if_asked("pages")
        with timer("sitemap"):
            written += _write_sitemaps(staged, site, routes, previous, records)
            robots = robots_page(site, noindex)
            written += staged.write(robots.path, robots.content)
            records[robots.path] = _record(staged, robots.path, "")
        with timer("static"):
            taken = set(records)
            static = staged.copy_static(static_files(site_dir), taken)
            for relative in taken - set(records):
                records[relative] = _record(staged, relative, "")
            if noindex:  # written after static/, whose own _headers it extends
                headers = noindex_headers_page(_read_or_empty(site_dir / STATIC_DIR / NETLIFY_HEADERS))
                written += staged.write(headers.path, headers.content)
                records[headers.path] = _record(staged, headers.path, "")
            staged.remove_others(set(records), kept_index)
        if search and not index_later:
            with timer("search index"):
                index_search(staged.folder)
                for path in (staged.folder / PAGEFIND_DIR).rglob("*"):
                    if path.is_file():
                        relative = path.relative_to(staged.folder).as_posix()
                        records[relative] = _record(staged, relative, "")
                        written += 1  # Pagefind writes its whole index anew
        with timer("commit"):
            removed = len({path for path in previous if not path.startswith(kept_index)} - set(records))
            mark_output_changing(cache_dir, out_dir)
            staged.commit(records)
            swapped.append(True)
    stop_if_asked("commit")

    cache.sources = content.records
    for article, body in zip(content.articles, bodies):
        cache.facts[article.content_hash] = body
    cache.excerpt_length = config.excerpt_length
    cache.outputs = records
    cache.output_dir = str(out_dir.absolute())
    saved = True
    try:
        cache.save()
    except OSError as exc:  # the site is built; only the next build will be slower
        saved = False
        warnings.append(Problem(CACHE_DIR, None, f"无法保存构建缓存\uff08{exc.strerror or exc}\uff09\uff0c下次构建会慢一些", "warning"))
    files = len(records)
    result = BuildResult(
        out_dir=out_dir,
        articles=len(site.articles),
        pages=len(routes),
        written=written + static.written,
        unchanged=files - written - static.written,
        rendered=rendered,
        removed=removed,
        skipped_drafts=content.skipped_drafts,
        skipped_future=content.skipped_future,
        warnings=warnings + content.warnings + model.warnings,
        url_prefix=renderer.prefix,
        timings=timer.timings,
        search_pending=index_later,
    )
    if options.cache and saved and not index_later:  # an index still to refresh: not done yet
        outputs = [(path, record.size, record.mtime_ns, record.inode) for path, record in records.items()]
        try:
            # A no-change build repeats the content's warnings, not this build's words on the cache.
            kept = [w for w in result.warnings if w.path != CACHE_DIR]
            remember_build(cache_dir, signature, (replace(result, timings={}, warnings=kept), outputs))
        except OSError:
            pass  # without the record the next build simply does the work
    return result


def _inputs_signature(
    site_dir: Path, options: BuildOptions, out_dir: Path, today: dt.date, scan: ContentScan, layouts: str
) -> str:
    """A digest of everything a build reads: options, settings, layouts, and every source file's stat."""
    digest = hashlib.blake2b(digest_size=16)
    choices = (options.drafts, options.future, options.noindex, options.base_url, options.search, today, str(out_dir.absolute()))
    digest.update(repr(choices).encode("utf-8"))
    try:
        digest.update((site_dir / CONFIG_FILE).read_bytes())
    except OSError:
        digest.update(b"\0no site.toml")
    digest.update(layouts.encode("ascii"))
    for relative, stat in scan.stats.items():
        digest.update(f"{relative}\0{stat}\n".encode("utf-8", "surrogateescape"))
    digest.update(repr(scan.problems).encode("utf-8", "surrogateescape"))
    try:
        published = static_files(site_dir)  # the theme's and the site's: what copy_static will copy
    except SiteError as error:
        published = {}
        digest.update(repr(error.problems).encode("utf-8", "surrogateescape"))
    for relative, path in published.items():
        digest.update(f"{relative}\0{path}\0{_stat_or_missing(path)}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # none, or unreadable: copying static/ has reported that already
        return b""


def _stat_or_missing(path: Path) -> object:
    # A dangling or looping link is the later stages' error to report; here it is just "changed".
    try:
        return stat_key(path.stat())
    except OSError:
        return "missing"


def _output_intact(out_dir: Path, outputs: list[tuple[str, int, int, int]]) -> bool:
    """Whether every file the last build wrote is still there as it was written."""
    for relative, size, mtime_ns, inode in outputs:
        try:
            stat = os.stat(os.path.join(out_dir, relative))
        except OSError:
            return False
        if stat.st_size != size or stat.st_mtime_ns != mtime_ns or stat.st_ino != inode:
            return False
    return True


def _check_redirects(site, routes: list[Route]) -> None:
    """An alias may not take the URL of a page the site has: the redirect would hide that page."""
    pages = {route.url for route in routes if route.url} | {f"{base_path(site.config)}/search/"}
    owners = {article.url: article.source_path for article in site.articles}
    problems = []
    for old, new in site.redirects:
        if old in pages:
            source = owners.get(new, "content")
            clash = f"\uff08文章 {owners[old]}\uff09" if old in owners else ""
            problems.append(Problem(source, None, f"aliases: {old} 是站内已有的页面{clash}，不能再作为旧网址"))
    if problems:
        raise SiteError(problems)


class _BodyReader:
    """A body's HTML from the store; rendered again from its file if the store lost it or it fails
    its signature (see cache.py)."""

    def __init__(self, site_dir: Path, store, articles):
        self.site_dir = site_dir
        self.store = store
        self.paths = {article.content_hash: article.path for article in articles}

    def __call__(self, key: str) -> BodyPage | None:
        page = self.store.get(key)
        if page is None and key in self.paths:
            result = parse_article(self.paths[key], (self.site_dir / self.paths[key]).read_bytes())
            if not isinstance(result, list) and result.content_hash == key:
                body = render_markdown(result.body)
                page = BodyPage(body.html, body.headings)
                self.store.put(key, page)
        return page


def _remembered_ranking(cache: BuildCache, jobs: int):
    """related_articles(), redoing only what changed since the ranking kept in the cache."""

    def rank(articles: Sequence[RelatedInput], settings: RelatedSettings) -> list[list[int]]:
        cache.related = rank_related(articles, settings, jobs, previous=cache.related)
        return cache.related.lists

    return rank


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
) -> tuple[dict[str, OutputRecord], int, int]:
    """Render the changed routes; carry the others over from the last output, or render them too
    when the output no longer holds them as recorded.

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
        _render_chunk, to_render, shared=(renderer, staged, facts), jobs=jobs, minimum=50, on_chunk=progress
    ):
        records.update(chunk_records)
        written += chunk_written
    return records, written, len(to_render)


def _write_sitemaps(
    staged: StagedOutput | PatchedOutput, site, routes: list[Route], previous: dict[str, OutputRecord], records: dict
) -> int:
    """Write sitemap.xml (and its parts past 50,000 URLs) unless the URLs and dates are unchanged."""
    listed = [route for route in routes if route.url is not None]
    text = site.config.base_url + "\n" + "\n".join(f"{spec.url} {spec.lastmod}" for spec in listed)
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


def _render_chunk(routes: Sequence[Route]) -> tuple[dict[str, OutputRecord], int]:
    renderer, staged, facts = state()
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


def refresh_search_index(out_dir: Path, site_dir: Path) -> None:
    """Index the output folder again and swap the new index in: for builds with search_index_now off.

    Pagefind writes beside the output, so the served index is whole until one rename replaces it.
    It holds the site's build lock, so no build changes the pages while they are indexed.
    """
    with build_lock(site_dir / CACHE_DIR / LOCK_FILE, 1800.0):
        _refresh_search_index(out_dir.absolute())


def _refresh_search_index(out_dir: Path) -> None:
    fresh = out_dir.parent / f".sitegen-pagefind-{out_dir.name}"
    retired = fresh.with_name(fresh.name + "-old")
    for leftover in (fresh, retired):  # from a refresh that was stopped
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        _run_pagefind(["--site", str(out_dir), "--output-path", str(fresh)])
        current = out_dir / PAGEFIND_DIR
        if current.exists():
            os.rename(current, retired)
        os.rename(fresh, current)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def index_search(folder: Path) -> None:
    """Build the Pagefind index (with Chinese word segmentation) of the pages in `folder`."""
    shutil.rmtree(folder / PAGEFIND_DIR, ignore_errors=True)  # a reused tree holds the last index
    _run_pagefind(["--site", str(folder)])


def _run_pagefind(arguments: list[str]) -> None:
    command = [sys.executable, "-m", "pagefind", *arguments, "--quiet"]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteError(Problem("search", None, f"无法运行 Pagefind 生成搜索索引：{exc}")) from None
    if finished.returncode != 0:
        detail = (finished.stderr or finished.stdout).strip().splitlines()
        raise SiteError(
            Problem("search", None, f"Pagefind 生成搜索索引失败：{detail[-1] if detail else finished.returncode}")
        )
