"""The build pipeline, top to bottom in one function: `build()`.

config → content → Markdown → site model → pages → output. Each stage lives in its own module,
takes plain data and gives plain data; none reaches back into an earlier one. All problems of a
stage are collected before the build stops, so an author sees every mistake at once.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .config import load_config
from .content import load_content
from .errors import Problem, SiteError
from .feeds import feed_pages, robots_page, sitemap_pages
from .markdown import render_markdown
from .output import check_output_folder, write_site
from .render import LAYOUTS_DIR, PageRenderer
from .site import build_site

STATIC_DIR = "static"


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path = Path(".")
    out_dir: Path | None = None  # default: <site_dir>/public
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    search: bool | None = None  # None: as site.toml says
    today: dt.date | None = None

    @property
    def output(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.site_dir / "public"


@dataclass
class BuildResult:
    out_dir: Path
    articles: int
    pages: int
    written: int
    unchanged: int
    removed: int
    skipped_drafts: int
    skipped_future: int
    warnings: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)


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
    """Build the site in `options.site_dir` into its output folder; raise SiteError on bad input."""
    site_dir = options.site_dir
    out_dir = options.output
    today = options.today or dt.date.today()
    timer = StageTimer()
    check_output_folder(out_dir, site_dir)

    with timer("config"):
        config = load_config(site_dir, options.base_url)
    search = config.search if options.search is None else options.search

    with timer("content"):
        content = load_content(site_dir, drafts=options.drafts, future=options.future, today=today)
    if content.problems:
        raise SiteError(content.problems)

    with timer("markdown"):
        bodies = [render_markdown(article.body) for article in content.articles]

    with timer("model"):
        model = build_site(config, content.articles, bodies, build_date=today, search=search)
    if model.problems:
        raise SiteError(model.problems)
    site = model.site

    with timer("pages"):
        renderer = PageRenderer(site, site_dir / LAYOUTS_DIR)
        pages = [renderer.article_page(article) for article in site.articles]
        pages.extend(renderer.site_pages())
        pages.extend(feed_pages(site))
        pages.extend(sitemap_pages(site, pages))
        pages.append(robots_page(site))

    with timer("write"):
        stats = write_site(
            out_dir,
            pages,
            site_dir / STATIC_DIR,
            before_swap=(lambda staging: timer_search(timer, staging)) if search else None,
        )

    return BuildResult(
        out_dir=out_dir,
        articles=len(site.articles),
        pages=len(pages),
        written=stats.written,
        unchanged=stats.unchanged,
        removed=stats.removed,
        skipped_drafts=content.skipped_drafts,
        skipped_future=content.skipped_future,
        warnings=model.warnings,
        timings=timer.timings,
    )


def timer_search(timer: StageTimer, staging: Path) -> None:
    with timer("search index"):
        index_search(staging)


def index_search(folder: Path) -> None:
    """Build the Pagefind index (with Chinese word segmentation) of the pages in `folder`."""
    command = [sys.executable, "-m", "pagefind", "--site", str(folder), "--quiet"]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteError(Problem("search", None, f"无法运行 Pagefind 生成搜索索引:{exc}"))
    if finished.returncode != 0:
        detail = (finished.stderr or finished.stdout).strip().splitlines()
        raise SiteError(
            Problem("search", None, f"Pagefind 生成搜索索引失败:{detail[-1] if detail else finished.returncode}")
        )
