"""The build pipeline, top to bottom in one short function: `_build()`, which `build()` calls.

load (config → content → Markdown → site model, loader.py) → plan every output (routes.py, with
the facts that fingerprint each page, views.py) → write what changed (writer.py). Each stage
lives in its own module, takes plain data and gives plain data; none reaches back into an
earlier one. All problems of a stage are collected before the build stops, so an author sees
every mistake at once.

The build cache (cache.py) lets every stage skip work whose inputs did not change, and the
expensive stages run on every core (workers.py); the output is byte for byte the same either way.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__
from .cache import CACHE_DIR, LOCK_FILE, BuildCache, CacheMismatch, OutputRecord, discard_cache, forget_build, last_build, output_pending, remember_build
from .config import CONFIG_FILE, INDEXNOW_VARIABLE, site_today
from .content import PAGES_DIR, ContentScan, parse_article, parse_page, scan_content, stat_key
from .errors import BuildInterrupted, Problem, SiteError
from .hot_searches import HitCache, with_hot_results
from .images import STORE_DIR as IMAGE_STORE
from .images import ImageStore, is_image, make_variants
from .loader import LoadedSite, load_site
from .markdown import RENDERER_VERSION, BodyPage, render_markdown
from .model import Article, Site
from .output import build_lock, check_output_folder, stop_if_asked
from .people import PEOPLE_FILE
from .render import PageRenderer
from .routes import Route, plan_routes, shared_paths
from .site import base_path
from .theme import layout_folders, layouts_digest, static_files
from .views import SiteFacts
from .workers import default_jobs
from .writer import PAGEFIND_DIR, OutputPlan, Written, index_search, refresh_search_index, write_site

__all__ = ["PAGEFIND_DIR", "BuildOptions", "BuildResult", "build", "index_search", "refresh_search_index"]

STATIC_DIR = "static"


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
    cpu_timings: dict[str, float] = field(default_factory=dict)  # CPU seconds of each stage, workers included
    images: int = 0  # local images the pages show, each published in its variants
    search_pending: bool = False  # the pages changed and the search index has not caught up yet
    search_docs: tuple = ()  # then: what to pass to refresh_search_index (search.SearchDoc)
    search_words: tuple[str, ...] = ()  # and its words


SEARCH_STEP = "search step"  # --profile's line for the search index's own time, stages overlapping


class StageTimer:
    """Wall and CPU time spent in each stage, for `sitegen build --profile`."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        # On a shared machine wall time says more about the neighbours than about the stage; CPU
        # time, this process's and its finished workers', is what a change to the code changes.
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start
            self.cpu[stage] = self.cpu.get(stage, 0.0) + _cpu_seconds() - cpu


def _cpu_seconds() -> float:
    times = os.times()  # children: the forked workers, each waited for by the end of its stage
    return times.user + times.system + times.children_user + times.children_system


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
    today = options.today or site_today(site_dir)
    jobs = options.jobs or default_jobs()
    timer = StageTimer()
    check_output_folder(out_dir, site_dir)
    layouts = layouts_digest(site_dir)  # read once: the change check and the plan use it
    unchanged = _unchanged(options, out_dir, today, layouts, timer)
    if isinstance(unchanged, BuildResult):
        return unchanged
    scan, signature = unchanged
    cache = BuildCache.load(site_dir / CACHE_DIR) if options.cache else BuildCache.disabled()

    loaded = load_site(
        site_dir, cache, today=today, drafts=options.drafts, future=options.future, base_url=options.base_url,
        search=options.search, jobs=jobs, scan=scan, timer=timer, after_stage=stop_if_asked,
    ).raise_problems()  # fmt: skip
    plan = _plan_output(loaded, cache, options, layouts, timer)
    with timer("image variants"):
        make_variants(plan.site.images.values(), plan.renderer.images, plan.site.config.images, jobs)
    written = write_site(
        plan, cache, site_dir=site_dir, out_dir=out_dir, jobs=jobs, search_index_now=options.search_index_now,
        on_progress=options.on_progress, timer=timer, swapped=swapped,
    )  # fmt: skip
    if written.index_seconds:
        # Not a stage: Pagefind runs beside the pages stage. What the search index costs on its own.
        timer.timings[SEARCH_STEP] = written.index_seconds
    stop_if_asked("commit")
    return _finish(loaded, plan, written, cache, options, signature, timer)


def _unchanged(
    options: BuildOptions, out_dir: Path, today: dt.date, layouts: str, timer: StageTimer
) -> BuildResult | tuple[ContentScan | None, str]:
    """The last build's result when nothing it read has changed since; else the scan and signature."""
    if not options.cache:
        return None, ""
    cache_dir = options.site_dir / CACHE_DIR
    with timer("unchanged?"):
        scan = scan_content(options.site_dir)
        signature = _inputs_signature(options.site_dir, options, out_dir, today, scan, layouts)
        last = last_build(cache_dir)
        if last is not None and last[0] == signature and not output_pending(cache_dir, out_dir) and _output_intact(out_dir, last[1][1]):
            done = last[1][0]
            files = done.written + done.unchanged
            return replace(done, written=0, unchanged=files, rendered=0, removed=0, timings=timer.timings, cpu_timings=timer.cpu)
        forget_build(cache_dir)
    return scan, signature


def _plan_output(loaded: LoadedSite, cache: BuildCache, options: BuildOptions, layouts: str, timer: StageTimer) -> OutputPlan:
    """Every route of the site, the facts that fingerprint them, and the renderer that makes them."""
    assert loaded.config is not None and loaded.model is not None  # raise_problems() saw to it
    config, site, content = loaded.config, loaded.model.site, loaded.content
    noindex = options.noindex or options.drafts or options.future  # unreviewed pages stay unlisted
    with timer("plan"):
        bodies = _BodyReader(options.site_dir, cache.bodies, (*content.articles, *content.pages), config.callouts)
        site = _with_hot_results(site, bodies, cache)
        routes = plan_routes(site)
        if clashes := shared_paths(site, routes):
            raise SiteError(clashes)
        if site.redirects:
            _check_redirects(site, routes)
        # What every page depends on, whatever its templates read: a change here renders them all.
        shared = repr((__version__, layouts, noindex, config.model_dump_json(), base_path(config), loaded.search))
        facts = SiteFacts(site, shared)
        images = ImageStore(_image_store(options.site_dir, cache), options.site_dir)
        renderer = PageRenderer(site, layout_folders(options.site_dir), bodies, cache.templates, noindex=noindex, images=images)
    # A body's HTML is its source's, rendered by this renderer with these callout titles.
    body_salt = hashlib.blake2b(repr((RENDERER_VERSION, sorted(config.callouts.items()))).encode(), digest_size=8).hexdigest()
    return OutputPlan(site, routes, facts, renderer, loaded.search, noindex, bodies, body_salt)


def _with_hot_results(site: Site, bodies: _BodyReader, cache: BuildCache) -> Site:
    """The site with the results of its 大家都在搜 pages, each body read only if the cache lacks its hits."""
    if not site.hot_results:
        return site
    hits = HitCache([page.text for page in site.hot_results], site.config.callouts, cache.hot_hits)

    def body_html(article: Article) -> str:
        page = bodies(article.content_hash)
        return page.html if page is not None else ""

    site = with_hot_results(site, body_html, hits)
    cache.hot_hits = hits.saved({article.content_hash for article in site.articles})
    return site


def _image_store(site_dir: Path, cache: BuildCache) -> Path:
    # --no-cache too: a variant is named by its original's bytes, the settings and
    # images.IMAGES_VERSION, so one kept from before is the very file this build would make.
    return (cache.folder or site_dir / CACHE_DIR) / IMAGE_STORE


def _finish(
    loaded: LoadedSite, plan: OutputPlan, written: Written, cache: BuildCache, options: BuildOptions, signature: str, timer: StageTimer
) -> BuildResult:
    """Save what the next build can reuse, and sum up this one."""
    assert loaded.config is not None
    content, records = loaded.content, written.records
    warnings = [Problem(CACHE_DIR, None, message, "warning") for message in cache.warnings]
    warnings += moved_articles(plan.site, cache.outputs, records)  # before the last build's records are replaced
    cache.sources = content.records
    for article, body in zip(content.articles, loaded.bodies):
        cache.facts[article.content_hash] = body
    cache.excerpt_length = loaded.config.excerpt_length
    cache.outputs = records
    cache.output_dir = str(options.output.absolute())
    saved = True
    try:
        cache.save()
    except OSError as exc:  # the site is built; only the next build will be slower
        saved = False
        warnings.append(Problem(CACHE_DIR, None, f"无法保存构建缓存\uff08{exc.strerror or exc}\uff09\uff0c下次构建会慢一些", "warning"))
    result = BuildResult(
        out_dir=options.output,
        articles=len(plan.site.articles),
        pages=sum(1 for route in plan.routes if route.kind not in ("image", "resource")),
        images=sum(1 for key in plan.site.images if is_image(key)),
        written=written.written,
        unchanged=len(records) - written.written,
        rendered=written.rendered,
        removed=written.removed,
        skipped_drafts=content.skipped_drafts,
        skipped_future=content.skipped_future,
        warnings=warnings + loaded.warnings,
        url_prefix=plan.renderer.prefix,
        timings=timer.timings,
        cpu_timings=timer.cpu,
        search_pending=written.search_pending,
        search_docs=written.search_docs,
        search_words=written.search_words,
    )
    if options.cache and saved and not written.search_pending:  # an index still to refresh: not done yet
        outputs = [(path, record.size, record.mtime_ns, record.inode) for path, record in records.items()]
        try:
            # A no-change build repeats the content's warnings, not this build's words on the cache.
            kept = [w for w in result.warnings if w.path != CACHE_DIR]
            remember_build(options.site_dir / CACHE_DIR, signature, (replace(result, timings={}, warnings=kept), outputs))
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
    digest.update(repr(os.environ.get(INDEXNOW_VARIABLE)).encode("utf-8"))  # a setting of site.toml's, read from outside it
    try:
        digest.update((site_dir / CONFIG_FILE).read_bytes())
    except OSError:
        digest.update(b"\0no site.toml")
    try:
        digest.update((site_dir / PEOPLE_FILE).read_bytes())  # authors and reviewers: pages show them
    except OSError:
        digest.update(b"\0no people")
    digest.update(layouts.encode("ascii"))
    for relative, stat in (*scan.stats.items(), *scan.files.items()):  # articles, and their images and bundles' files
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


def moved_articles(site: Site, previous: dict[str, OutputRecord], records: dict[str, OutputRecord]) -> list[Problem]:
    """A warning for each article whose URL changed since the last build (its topic, slug or the
    permalink changed), with the `aliases` entry that keeps the old URL alive.

    The last build's page of an article is the one gone now that read both the article and its
    相关推荐 list (`a:` and `r:` facts): no other page reads an article's related list.
    """
    prefix = base_path(site.config)
    by_source = {article.source_path: article for article in site.articles}
    kept = {old for old, _ in site.redirects}
    found = []
    for path in sorted(set(previous) - set(records)):
        reads = previous[path].reads
        for key in reads:
            article = by_source.get(key[2:]) if key.startswith("a:") else None
            if article is None or f"r:{article.source_path}" not in reads:
                continue
            old = f"{prefix}/{path.removesuffix('index.html')}"
            if old != article.url and old not in kept:
                alias = old[len(prefix) :].strip("/")
                found.append(Problem(article.source_path, None, (
                    f"网址从 {old} 改成了 {article.url}\uff0c旧网址的链接和搜索收录会失效\uff1b"
                    f"请在头部信息中加上 aliases: [{alias}/]\uff08已有 aliases 的\uff0c把它加进列表\uff09"
                ), "warning"))  # fmt: skip
            break
    return found


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

    def __init__(self, site_dir: Path, store, articles, callout_titles: dict[str, str] | None = None):
        self.site_dir = site_dir
        self.callout_titles = callout_titles
        self.store = store
        self.paths = {article.content_hash: article.path for article in articles}

    def __call__(self, key: str) -> BodyPage | None:
        page = self.store.get(key)
        if page is None and key in self.paths:
            path = self.paths[key]
            parse = parse_page if path.startswith(PAGES_DIR) else parse_article
            result = parse(path, (self.site_dir / path).read_bytes())
            if not isinstance(result, list) and result.content_hash == key:
                body = render_markdown(result.body, self.callout_titles)
                page = BodyPage(body.html, body.headings)
                self.store.put(key, page)
        return page
