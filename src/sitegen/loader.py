"""The one loader: config → content → Markdown → site model, for `build`, `check` and `serve` alike.

`load_site()` runs the first four stages of the pipeline and returns plain data: the settings,
the sources, their rendered bodies and the site model, with every problem found on the way.
A build stops at the first stage with errors (`raise_problems()`); `sitegen check` goes on as far
as it can and reports everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cache import BuildCache
from .config import RelatedSettings, SiteConfig, load_config
from .content import ArticleSource, ContentScan, FieldLines, LoadedContent, PageSource, load_content
from .errors import Problem, SiteError
from .images import attach_images
from .markdown import RenderedBody, render_bodies
from .model import Person
from .people import load_people
from .related import RelatedInput, rank_related
from .site import SiteModelResult, build_site
from .workers import default_jobs

Ranker = Callable[[Sequence[RelatedInput], RelatedSettings], list[list[int]]]
Timer = Callable[[str], AbstractContextManager]


@dataclass
class LoadedSite:
    """What the loader read and made: settings, sources, bodies, the model, and the problems found."""

    config: SiteConfig | None
    content: LoadedContent
    bodies: list[RenderedBody]  # of content.articles, in order
    page_bodies: list[RenderedBody]  # of content.pages, in order
    model: SiteModelResult | None
    search: bool
    problems: list[Problem] = field(default_factory=list)  # errors: the site cannot be built
    warnings: list[Problem] = field(default_factory=list)
    missing_images: list[Problem] = field(default_factory=list)  # in `warnings` too; check makes them errors

    def raise_problems(self) -> LoadedSite:
        """Stop the build with every error found, or return the loaded site."""
        if self.problems:
            raise SiteError(self.problems)
        return self


def load_site(
    site_dir: Path,
    cache: BuildCache,
    *,
    today: dt.date,
    drafts: bool = False,
    future: bool = False,
    expired: bool = False,
    base_url: str | None = None,
    search: bool | None = None,
    jobs: int | None = None,
    scan: ContentScan | None = None,
    rank: Ranker | None = None,
    collect: bool = False,
    store=None,
    timer: Timer | None = None,
    after_stage: Callable[[str], None] | None = None,
) -> LoadedSite:
    """Load the site in `site_dir`, reusing what `cache` holds; see the module docstring.

    `collect`: go on past a stage with errors (check); otherwise stop after it (build).
    `store` keeps rendered HTML (default: the cache's body store; check passes one that keeps none).
    `rank` ranks 相关推荐 (default: the cache's remembered ranking); `after_stage(name)` is
    called after each stage (the build's kill hook for recovery tests).
    """
    jobs = jobs or default_jobs()
    stage: Timer = timer or (lambda name: nullcontext())
    problems: list[Problem] = []

    def finished(name: str) -> bool:
        if after_stage is not None:
            after_stage(name)
        return bool(problems) and not collect

    config: SiteConfig | None = None
    people: tuple[Person, ...] = ()
    with stage("config"):
        try:
            config = load_config(site_dir, base_url)
        except SiteError as error:
            problems.extend(error.problems)
        try:
            people = load_people(site_dir)  # data/people.toml: authors and reviewers
        except SiteError as error:
            problems.extend(error.problems)
    excerpt_length = config.excerpt_length if config is not None else SiteConfig.model_fields["excerpt_length"].default
    use_search = bool(config.search if search is None and config is not None else search)
    callouts = dict(config.callouts) if config is not None else {}
    if cache.excerpt_length != excerpt_length or cache.callouts != callouts:
        cache.forget_articles()  # the facts hold excerpts of another length (or bodies other titles), and sources no body
    cache.callouts = callouts
    if problems and not collect:
        return LoadedSite(config, LoadedContent([], []), [], [], None, use_search, problems)

    with stage("content"):
        zone = config.zone if config is not None else None
        content = load_content(site_dir, drafts=drafts, future=future, today=today, known=cache.sources, jobs=jobs, scan=scan, zone=zone, expired=expired)
    problems.extend(content.problems)
    warnings = list(content.warnings)
    if finished("content"):
        return LoadedSite(config, content, [], [], None, use_search, problems, warnings)

    with stage("markdown"):
        sources: tuple[ArticleSource | PageSource, ...] = (*content.articles, *content.pages)
        keyed = [(source.content_hash, source.body) for source in sources]
        rendered = render_bodies(keyed, cache.bodies if store is None else store, cache.facts, jobs, excerpt_length, callouts)
    bodies, page_bodies = rendered[: len(content.articles)], rendered[len(content.articles) :]
    if finished("markdown") or config is None:
        return LoadedSite(config, content, bodies, page_bodies, None, use_search, problems, warnings)

    with stage("model"):
        model = build_site(
            config, content.articles, bodies, build_date=today, search=use_search, rank=rank or _remembered_ranking(cache, jobs),
            pages=list(zip(content.pages, page_bodies)), slugs=cache.slugs, people=people, lines=FieldLines(site_dir),
        )  # fmt: skip
    problems.extend(model.problems)
    warnings.extend(model.warnings)
    if finished("model") and not model.site.articles:
        return LoadedSite(config, content, bodies, page_bodies, model, use_search, problems, warnings)

    with stage("images"):
        by_path = {source.path: source for source in content.articles}
        field_lines = FieldLines(site_dir)
        images = attach_images(
            model.site, site_dir, {a.path: b.images for a, b in zip(content.articles, bodies)}, content.files, cache.images,
            lambda path, key: field_lines(by_path[path], key), jobs,
        )  # fmt: skip
    cache.images = images.measured
    model = replace(model, site=images.site, warnings=[*model.warnings, *images.warnings])
    problems.extend(images.problems)
    warnings.extend([*images.warnings, *images.missing])
    finished("images")
    return LoadedSite(config, content, bodies, page_bodies, model, use_search, problems, warnings, images.missing)


def _remembered_ranking(cache: BuildCache, jobs: int) -> Ranker:
    """related_articles(), redoing only what changed since the ranking kept in the cache."""

    def rank(articles: Sequence[RelatedInput], settings: RelatedSettings) -> list[list[int]]:
        cache.related = rank_related(articles, settings, jobs, previous=cache.related)
        return cache.related.lists

    return rank
