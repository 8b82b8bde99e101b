"""`sitegen check`: every problem of a site at once, without writing any output.

Runs the build's own stages (config, content with drafts and future articles, Markdown, site model)
for the errors a build would stop on, then looks across the whole site for what a build lets
through but an editor should fix: broken links and images, names site.toml does not know, a tag
spelled two ways, the same title twice, near-copies, stale policy articles, bodies too short for an
excerpt. Every cross-article check goes through an index, never over all pairs of articles.
"""

from __future__ import annotations

import datetime as dt
import difflib
import posixpath
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

from .build import STATIC_DIR
from .cache import CACHE_DIR, BuildCache
from .config import CONFIG_FILE, RelatedSettings, SiteConfig, site_today
from .content import CONTENT_DIR, DEFAULT_TIMEZONE, KNOWN_KEYS, ArticleSource, FieldLines, site_time
from .errors import Problem, SiteError
from .feeds import NETLIFY_REDIRECTS
from .loader import load_site
from .markdown import BodyPage, RenderedBody, Sanitised, render_markdown
from .model import Article, Site, output_path
from .related import NEAR_COPY_SIMILARITY, RelatedInput
from .render import LAYOUTS_DIR, PageRenderer, layouts_environment
from .routes import plan_routes
from .site import base_path, build_site
from .text import SKETCH_SIZE, sketch_similarity, title_key
from .theme import layout_folders, layout_templates, static_files
from .trust import QueueEntry, overdue_warnings, review_queue
from .workers import default_jobs

ERROR = "error"
WARNING = "warning"
MIN_EXCERPT_CHARACTERS = 30
# Near-copy candidates: articles that share a band of this many consecutive sketch values.
SKETCH_BAND = 4
MIN_SKETCH_VALUES = 8  # fewer shingles than this is a stub, already reported as too short
BUCKET_LIMIT = 32  # a bucket larger than this holds boilerplate; see near_copy_pairs()
BUCKET_REPRESENTATIVES = 2
LAYOUT_SAMPLE = 20  # articles beyond one per topic and city that the layouts are tried on
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")


@dataclass(frozen=True)
class CheckedArticle:
    """One article as the checks see it: its source, rendered body and published URL (if any)."""

    source: ArticleSource
    body: RenderedBody  # without its HTML: the check renders no pages but a sample
    article: Article | None  # in the site model; None without a model or when the URL collided

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def url(self) -> str | None:
        return self.article.url if self.article else None

    @property
    def published(self) -> bool:
        return not self.source.front_matter.draft


def check_site(site_dir: Path, today: dt.date | None = None, base_url: str | None = None) -> list[Problem]:
    """Check the site in `site_dir` as a build would, plus site-wide checks; errors and warnings, sorted.

    `base_url` checks against a deploy address (its base path), as `build --base-url` builds.
    """
    today = today or site_today(site_dir)
    jobs = default_jobs()
    # The last build's cache, only read: unchanged files are not parsed or rendered again.
    cache = BuildCache.load(site_dir / CACHE_DIR, discard=False)
    # 相关推荐 is most of the model's cost and no check reads it; the layouts check ranks its sample.
    loaded = load_site(
        site_dir, cache, today=today, drafts=True, future=True, expired=True, base_url=base_url, jobs=jobs, rank=_unranked, collect=True,
        store=_NoHtml(),
    )  # fmt: skip
    config, content, bodies = loaded.config, loaded.content, loaded.bodies
    problems: list[Problem] = list(loaded.problems)
    problems.extend(loaded.content.warnings)
    site: Site | None = loaded.model.site if loaded.model is not None else None
    model_warnings = [replace(w, severity=WARNING) for w in loaded.model.warnings] if loaded.model is not None else []
    if config is not None and site is not None:
        problems.extend(check_layouts(site_dir, config, content.articles, bodies, site, today))

    in_model = {a.source_path: a for a in site.articles} if site else {}
    articles = [CheckedArticle(s, b, in_model.get(s.path)) for s, b in zip(content.articles, bodies)]
    lines = FieldLines(site_dir)
    static_files = find_static_files(site_dir)
    pages = page_paths(site) if site else set()

    links = LinkChecker(site_dir, site, articles, pages, static_files, today)
    for article in articles:
        problems.extend(links.check(article))
        problems.extend(sanitised_markup(article))
    # site.py warns of a missing .md target without a line; the link check reports it with one.
    problems.extend(w for w in model_warnings if not links.reported(w))
    problems.extend(replace(p, severity="error") for p in loaded.missing_images)  # a broken image is the editor's to fix now
    if site is not None:
        problems.extend(static_collisions(pages, static_files))
        problems.extend(menu_links(site, pages, static_files))

    if config is not None:
        problems.extend(unknown_terms(config, articles, lines))
        problems.extend(stale_policy_articles(config, articles, lines, today))
    if site is not None:
        problems.extend(overdue_warnings(site, lines, {s.path: s for s in content.articles}))
    problems.extend(tag_spellings(articles, lines))
    problems.extend(duplicate_titles(articles, lines))
    problems.extend(near_copies(articles))
    problems.extend(short_excerpts(articles, lines))
    problems.extend(future_dates(articles, lines, today, config.zone if config is not None else None))
    problems.extend(unknown_keys(config, content.articles, lines))
    return sort_problems(problems)


def check_reviews(site_dir: Path, today: dt.date | None = None) -> tuple[list[QueueEntry], list[Problem]]:
    """The review queue (`sitegen check --reviews`): overdue and soon due articles, or the errors in the way."""
    today = today or site_today(site_dir)
    cache = BuildCache.load(site_dir / CACHE_DIR, discard=False)
    loaded = load_site(site_dir, cache, today=today, jobs=default_jobs(), rank=_unranked, store=_NoHtml())
    if loaded.model is None or loaded.problems:
        return [], loaded.problems
    return review_queue(loaded.model.site), []


class _NoHtml:
    """A body store that keeps nothing: workers drop the HTML instead of sending it back."""

    persistent = True

    def put(self, key: str, page: BodyPage) -> None:
        pass

    def get(self, key: str) -> BodyPage | None:
        return None


def _unranked(articles: Sequence[RelatedInput], settings: RelatedSettings) -> list[list[int]]:
    return [[] for _ in articles]


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """By file, then line (unknown lines first), errors before warnings."""
    return sorted(problems, key=lambda p: (p.path, p.line or 0, p.severity != ERROR, p.message))


def warning(path: str, line: int | None, message: str) -> Problem:
    return Problem(path, line, message, WARNING)


def body_line(source: ArticleSource, target: str, start: int = 0) -> tuple[int | None, int]:
    """The file line on which `target` is written in the body at or after `start`, and where it ends."""
    for written in dict.fromkeys((target, unquote(target), target.replace("&", "&amp;"))):
        index = source.body.find(written, start) if written else -1
        if index >= 0:
            return source.body_line + source.body.count("\n", 0, index), index + len(written)
    return None, start


# --- raw HTML the page does not show as written ------------------------------------------------


def sanitised_markup(article: CheckedArticle) -> list[Problem]:
    """Raw HTML in the body that the page shows as text, or that the sanitiser removes."""
    return [warning(article.path, article.source.body_line + s.line - 1, sanitised_message(s)) for s in article.body.sanitised]


def sanitised_message(sanitised: Sanitised) -> str:
    """One line for the editor: what was written, what the page does with it, what to change."""
    markup = " ".join(sanitised.markup.split())
    if sanitised.kind == "shown":
        return f"{markup} 不能用在正文里，页面上按原样显示为文字\uff1b要写这个标签名请放进反引号\uff08`{markup}`\uff09，否则请删去"
    if sanitised.kind == "unclosed":
        return f"HTML “{markup}” 没有写完\uff08缺少 >、引号或 -->\uff09，页面上按原样显示为文字\uff1b请补全或删去"
    if sanitised.kind == "tag":
        return f"{markup} 标签不在允许的范围内，已被删除\uff08其中的文字保留\uff09\uff1b请删去它，或换成 README“文章可以包含什么”中允许的标签"
    if sanitised.kind == "url":
        return (
            f"地址 {markup} 已被删除\uff1a链接只能用 http:、https:、mailto:、tel: 或站内地址，"
            "图片只能用 http:、https: 或站内地址\uff1b请改正地址"
        )
    if re.match(r"<\S+ on", markup):
        return f"{markup}\uff1a正文里不能有脚本，这个事件属性已被删除\uff1b请删去它"
    return f"{markup}\uff1a这个属性已被删除\uff08正文只保留 README 列出的属性和样式类\uff09\uff1b请删去它"


# --- layouts ---------------------------------------------------------------------------------


def check_layouts(
    site_dir: Path,
    config: SiteConfig,
    sources: Sequence[ArticleSource],
    bodies: Sequence[RenderedBody],
    site: Site,
    today: dt.date,
) -> list[Problem]:
    """Compile every layout, then render every page of a small site made of sample articles.

    Rendering all of a large site is the build's work; the newest articles plus one of each topic
    and city meet every template with real data, in a fraction of the time.
    """
    folders = layout_folders(site_dir)
    env = layouts_environment(folders)
    problems: list[Problem] = []
    for name in layout_templates(site_dir):
        try:
            env.get_template(name)
        except Exception as exc:  # a syntax error: Jinja names the line
            line = getattr(exc, "lineno", None)
            problems.append(Problem(f"{LAYOUTS_DIR}/{name}", line, f"模板语法错误：{getattr(exc, 'message', exc)}"))
    if problems:
        return problems
    index_of = {source.path: i for i, source in enumerate(sources)}
    chosen: set[int] = set()
    met: set[tuple[str, str]] = set()
    for article in site.articles:  # newest first
        terms = {("topic", article.topic), ("city", article.city)}
        if len(chosen) < LAYOUT_SAMPLE or not terms <= met:
            chosen.add(index_of[article.source_path])
            met |= terms
    sample = [sources[i] for i in sorted(chosen)]
    mini = build_site(config, sample, [bodies[i] for i in sorted(chosen)], build_date=today, search=config.search)
    pages = {}
    for source in sample:
        body = render_markdown(source.body)
        pages[source.content_hash] = BodyPage(body.html, body.headings)
    renderer = PageRenderer(mini.site, folders, pages.get)
    try:
        for route in plan_routes(mini.site):
            renderer.render(route)
    except SiteError as error:
        problems.extend(error.problems)
    return problems


# --- links and images --------------------------------------------------------------------------


def find_static_files(site_dir: Path) -> set[str]:
    """Every file the build copies from static/, as a path relative to static/."""
    try:
        return set(static_files(site_dir))
    except SiteError:
        return set()  # a symlink out of the site: the build reports it


def page_paths(site: Site) -> set[str]:
    """The output path of every page the build writes, from the build's own page plan."""
    return {route.path for route in plan_routes(site)} | {"sitemap.xml", "robots.txt"}


def served_at(path: str, prefix: str) -> str:
    """The URL a file of the output is served at: yibao/x/index.html → /yibao/x/."""
    return f"{prefix}/{path.removesuffix('index.html') if path.endswith('index.html') else path}"


class LinkChecker:
    """Links to pages and articles of the site that do not exist, and images missing from static/."""

    def __init__(
        self,
        site_dir: Path,
        site: Site | None,
        articles: Sequence[CheckedArticle],
        pages: set[str],
        static_files: set[str],
        today: dt.date,
    ):
        self.site_dir = site_dir
        self.site = site
        self.prefix = base_path(site.config) if site else ""
        self.static_files = static_files
        self.today = today
        self.zone = site.config.zone if site else ZoneInfo(DEFAULT_TIMEZONE)
        self.by_path = {a.path: a for a in articles}
        self.by_url = {a.url: a for a in articles if a.url}
        self.urls = {served_at(path, self.prefix) for path in pages | static_files}
        self.aliases: dict[str, CheckedArticle] = {}
        for article in articles:
            for alias in article.source.front_matter.aliases if article.url else ():
                self.aliases[site_path(self.prefix + "/" + alias.strip("/") + "/")] = article
        self._md_links: dict[str, set[str]] = defaultdict(set)

    def reported(self, problem: Problem) -> bool:
        """True for site.py's warning about a .md link that this checker has already looked at."""
        return any(href in problem.message for href in self._md_links.get(problem.path, ()))

    def check(self, article: CheckedArticle) -> list[Problem]:
        problems: list[Problem] = []
        cursor: dict[str, int] = {}
        for href in article.body.links:
            line, cursor[href] = body_line(article.source, href, cursor.get(href, 0))
            problems.extend(self._link(article, href, line))
        for src in article.body.images:
            line, cursor[src] = body_line(article.source, src, cursor.get(src, 0))
            problems.extend(self._image(article, src, line))
        return problems

    def _link(self, article: CheckedArticle, href: str, line: int | None) -> list[Problem]:
        parts = urlsplit(href)
        if not href.strip() or parts.scheme or parts.netloc or href.startswith("#"):
            return []  # external, mailto:, tel: and in-page anchors are not this site's pages
        path = unquote(parts.path)
        if path.endswith(".md"):
            return self._markdown_link(article, href, path, line)
        if self.site is None or (not path.startswith("/") and article.url is None):
            return []  # without a site model there is no set of URLs to check against
        url = site_path(urljoin(article.url or "/", path))
        if path.startswith("/") and self.prefix and url != self.prefix and not url.startswith(self.prefix + "/"):
            url = self.prefix + url  # the page gets the base path (render.body_links), as editors are told
        if url in self.aliases or url + "/" in self.aliases:
            target = self.aliases.get(url) or self.aliases[url + "/"]
            return [warning(article.path, line, f"链接 {unquote(href)} 是 {target.path} 的旧网址；请改为新网址 {target.url}")]
        for candidate in (url, url + "/"):
            if candidate in self.urls:
                linked = self.by_url.get(candidate)
                return self._unpublished(article, href, linked, line) if linked else []
        hint = ""
        if self.prefix and not url.startswith(self.prefix + "/") and (self.prefix + url) in self.urls:
            hint = f"；本站网址都以 {self.prefix}/ 开头，请写成 {self.prefix}{url}"
        elif not path.startswith("/"):
            hint = f"\uff08按相对网址解析为 {url}\uff09；站内链接请写成以 / 开头的网址，或写成文章的 .md 文件路径"
        else:
            hint = "；请检查拼写，或改为链接到文章的 .md 文件"
        return [Problem(article.path, line, f"链接 {unquote(href)} 指向的页面在本站不存在{hint}")]

    def _markdown_link(self, article: CheckedArticle, href: str, path: str, line: int | None) -> list[Problem]:
        self._md_links[article.path].add(href)
        # Resolved as site.py resolves it: from the article's folder, or from content/ for "/x.md".
        if path.startswith("/"):
            target_path = posixpath.normpath(CONTENT_DIR + path)
        else:
            target_path = posixpath.normpath(posixpath.join(posixpath.dirname(article.path), path))
        target = self.by_path.get(target_path)
        if target is not None:
            return self._unpublished(article, href, target, line)
        if (self.site_dir / target_path).is_file():
            return []  # the file exists but cannot be read; its own error says why
        return [Problem(article.path, line, f"链接 {unquote(href)} 指向的文章 {target_path} 不存在；请检查文件名和相对路径\uff08../ 表示上一级文件夹\uff09")]

    def _unpublished(self, article: CheckedArticle, href: str, target: CheckedArticle, line: int | None) -> list[Problem]:
        if not article.published or target is article:
            return []
        fm = target.source.front_matter
        if fm.draft:
            return [warning(article.path, line, f"链接 {unquote(href)} 指向草稿 {target.path}；草稿发布前，这个链接在网站上是坏的")]
        held = fm.held_back(self.today, self.zone)
        if held == "future":
            day = max(fm.local_date(self.zone), site_time(fm.publish_date, self.zone).date() if fm.publish_date else fm.date)
            return [warning(article.path, line, f"链接 {unquote(href)} 指向的 {target.path} 要到 {day} 才发布；在那之前这个链接是坏的")]
        if held == "expired":
            return [warning(article.path, line, (
                f"链接 {unquote(href)} 指向的 {target.path} 已过下线日期\uff08expiryDate\uff09\uff0c网站上已没有这篇文章\uff1b"
                "请删去这个链接\uff0c或改链到替代它的文章"
            ))]  # fmt: skip
        return []

    def _image(self, article: CheckedArticle, src: str, line: int | None) -> list[Problem]:
        parts = urlsplit(src)
        if parts.scheme in ("http", "https") or (not parts.scheme and parts.netloc):
            return []
        if _SCHEME.match(src) or not src.strip():
            return [Problem(article.path, line, f"图片地址 {src or '(空)'} 无效；图片只能用 https 网址、相对于本文的路径，或放进 static/ 后写成 /img/文件名")]
        return []  # whether a local image exists, images.attach_images tells (build and check alike)


def site_path(url: str) -> str:
    """A URL path with `.`, `..` and `index.html` resolved, keeping a trailing slash."""
    path = posixpath.normpath(url)
    if path.endswith("/index.html"):
        return path.removesuffix("index.html")
    return path if path.endswith("/") or not url.endswith("/") else path + "/"


def static_collisions(pages: set[str], static_files: set[str]) -> list[Problem]:
    """A file in static/ with the same output path as a generated page stops the build."""
    return [
        Problem(f"{STATIC_DIR}/{name}", None, f"与生成的页面 {name} 同名；请改名或删除其一")
        for name in sorted(static_files & pages)
        if name != NETLIFY_REDIRECTS  # merged with the aliases' rules (writer.py)
    ]


# --- names ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> Callable[[str], str]:
    try:
        import opencc
    except ImportError:  # without OpenCC, 醫保 and 医保 are simply not recognised as one
        return lambda text: text
    return opencc.OpenCC("t2s").convert


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """A name with width, traditional characters, spaces and case folded: 醫保 and 医保 match."""
    folded = _traditional_to_simplified()(unicodedata.normalize("NFKC", name))
    return re.sub(r"\s+", "", folded).casefold()


def nearest_name(name: str, known: Sequence[str]) -> str | None:
    """The known name an editor most likely meant: same name folded, else the most similar."""
    for candidate in known:
        if name_key(candidate) == name_key(name):
            return candidate
    matches = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    return matches[0] if matches else None


def unknown_terms(config: SiteConfig, articles: Sequence[CheckedArticle], lines: FieldLines) -> list[Problem]:
    """A term that site.toml does not list (topics, cities, a custom taxonomy's terms), with the nearest it does."""
    problems = []
    # Tags are free to invent (their spellings are checked apart); every other taxonomy lists its terms.
    tables = [(t.field, t.name, t.terms_setting, config.term_settings(t.key)) for t in config.taxonomy_table("") if t.key != "tag"]
    for field, label, table, terms in tables:
        known = [t.name for t in terms]
        spellings = set(known) | {alias for t in terms for alias in t.aliases}  # an alias is told apart (site.py)
        if not known:
            continue  # a site that lists none takes every name as it comes
        for article in articles:
            for name in _names_in(article.source, field):
                if name in spellings:
                    continue
                nearest = nearest_name(name, known)
                advice = f"是否想写 {nearest}\uff1f" if nearest else f"已有\uff1a{'、'.join(known[:12])}\u3002"
                problems.append(
                    warning(
                        article.path,
                        lines(article.source, field),
                        f"{field}: {label}\u201c{name}\u201d没有在 site.toml 的 {table} 中列出\uff1b{advice}若是新{label}\uff0c请在 site.toml 中添加",
                    )
                )
    return problems


def _names_in(source: ArticleSource, field: str) -> list[str]:
    meta = source.front_matter
    value = getattr(meta, field) if hasattr(meta, field) else source.params.get(field, [])
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def menu_links(site: Site, pages: set[str], static: set[str]) -> list[Problem]:
    """Every site path in `[[menus.*]]` must be a page the build writes or a static file."""
    prefix = base_path(site.config)
    problems = []
    for menu, entries in site.menus.items():
        for entry in entries:
            if not entry.url.startswith("/"):
                continue  # an outside address is the reader's to follow
            path = output_path(site_path(urlsplit(entry.url).path), prefix)
            if path not in pages and path not in static:
                problems.append(
                    Problem(CONFIG_FILE, None, f"menus.{menu}: \u201c{entry.name}\u201d链接的 {entry.url} 不是站内的页面\uff1b请改成已有页面的网址\uff0c例如 /about/")
                )
    return problems


def tag_spellings(articles: Sequence[CheckedArticle], lines: FieldLines) -> list[Problem]:
    """One tag written two ways (全角/半角, 繁/简, case, spaces) makes two tag pages; name both."""
    files: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for article in articles:
        for tag in article.source.front_matter.tags:
            files[name_key(tag)][tag].append(article.path)
    problems = []
    by_path = {a.path: a for a in articles}
    for spellings in files.values():
        if len(spellings) < 2:
            continue
        # The most used spelling wins; on a tie, the one already in its folded form (simplified, half-width).
        preferred = min(spellings, key=lambda t: (-len(spellings[t]), name_key(t) != t.casefold(), t))
        example = spellings[preferred][0]
        others = len(spellings[preferred]) - 1
        where = f"{example}" + (f" 等 {others + 1} 篇" if others else "")
        for tag, paths in spellings.items():
            if tag == preferred:
                continue
            for path in paths:
                problems.append(
                    warning(
                        path,
                        lines(by_path[path].source, "tags"),
                        f"tags: 标签“{tag}”与“{preferred}”\uff08{where}\uff09是同一个标签的不同写法\uff08{_difference(tag, preferred)}\uff09\uff0c"
                        f"会生成两个标签页；请统一写成“{preferred}”",
                    )
                )
    return problems


def _difference(first: str, second: str) -> str:
    kinds = []
    if unicodedata.normalize("NFKC", first) != first or unicodedata.normalize("NFKC", second) != second:
        kinds.append("全角/半角")
    convert = _traditional_to_simplified()
    if convert(first) != first or convert(second) != second:
        kinds.append("繁体/简体")
    if re.sub(r"\s+", "", first) != first or re.sub(r"\s+", "", second) != second:
        kinds.append("空格")
    if first.casefold() != first or second.casefold() != second:
        kinds.append("大小写")
    return "、".join(kinds) or "写法"


# --- duplicates -------------------------------------------------------------------------------


def duplicate_titles(articles: Sequence[CheckedArticle], lines: FieldLines) -> list[Problem]:
    """Two articles whose titles are the same once width, case and punctuation are folded."""
    first_with: dict[str, CheckedArticle] = {}
    problems = []
    for article in articles:  # in file order, so the earlier file is the one named
        key = title_key(article.source.front_matter.title)
        if not key:
            continue
        first = first_with.setdefault(key, article)
        if first is not article:
            problems.append(
                warning(
                    article.path,
                    lines(article.source, "title"),
                    f"title: 标题与 {first.path} 相同\uff08“{first.source.front_matter.title}”\uff09\uff1b"
                    "读者和搜索引擎无法区分同题文章，请改写标题，或把两篇合并",
                )
            )
    return problems


def near_copy_pairs(sketches: Sequence[tuple[int, ...]]) -> dict[int, tuple[int, float]]:
    """For each text that nearly copies an earlier one, the earliest such text found and their similarity.

    LSH banding, adapted to a bottom-k sketch: its values are sorted, so one value that a text lacks
    shifts every later position, and fixed bands miss most near-copies. Instead every run of
    SKETCH_BAND consecutive values is a band; texts sharing a band share a bucket, and only texts in
    one bucket are compared. A bucket of more than BUCKET_LIMIT texts is boilerplate that many
    articles share; its members are compared only with its first BUCKET_REPRESENTATIVES, which keeps
    the work linear and still catches a mass of copies of one text.
    """
    buckets: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for index, sketch in enumerate(sketches):
        if len(sketch) < MIN_SKETCH_VALUES:
            continue
        for start in range(len(sketch) - SKETCH_BAND + 1):
            buckets[sketch[start : start + SKETCH_BAND]].append(index)
    values = [frozenset(sketch) for sketch in sketches]
    # Similarity s over k values needs at least s·k shared values: a cheap test before the estimate.
    needed = [NEAR_COPY_SIMILARITY * min(len(sketch), SKETCH_SIZE) for sketch in sketches]
    count = len(sketches)
    compared: set[int] = set()
    copies: dict[int, tuple[int, float]] = {}
    for members in buckets.values():
        if len(members) < 2:
            continue
        reach = len(members) if len(members) <= BUCKET_LIMIT else BUCKET_REPRESENTATIVES
        for position in range(1, len(members)):
            later = members[position]
            for earlier in members[: min(position, reach)]:
                pair = earlier * count + later
                if pair in compared:
                    continue
                compared.add(pair)
                if len(values[earlier] & values[later]) < min(needed[earlier], needed[later]):
                    continue
                similarity = sketch_similarity(sketches[earlier], sketches[later])
                if similarity >= NEAR_COPY_SIMILARITY and (later not in copies or earlier < copies[later][0]):
                    copies[later] = (earlier, similarity)
    return copies


def near_copies(articles: Sequence[CheckedArticle]) -> list[Problem]:
    """Articles whose bodies are near-copies of an earlier file's body."""
    copies = near_copy_pairs([a.body.sketch for a in articles])
    return [
        warning(
            articles[later].path,
            articles[later].source.body_line,
            f"正文与 {articles[earlier].path} 几乎相同\uff08估计相似度 {similarity:.0%}\uff09\uff1b"
            "重复内容会被搜索引擎降权，请改写、合并，或删去其中一篇",
        )
        for later, (earlier, similarity) in sorted(copies.items())
    ]


# --- dates and lengths -----------------------------------------------------------------------


def stale_policy_articles(config: SiteConfig, articles: Sequence[CheckedArticle], lines: FieldLines, today: dt.date) -> list[Problem]:
    """Policy articles the site model marks stale: not checked for `policy_max_age_months` months."""
    months = config.policy_max_age_months
    problems = []
    for article in articles:
        if article.article is None or not article.article.stale:
            continue
        fm = article.source.front_matter
        field = "updated" if fm.updated else "date"
        problems.append(
            warning(
                article.path,
                lines(article.source, field),
                f"{field}: 政策类栏目“{fm.topic}”的文章最后核实于 {fm.updated or fm.date}，已超过 {months} 个月；"
                f"请对照官方最新政策核对内容，核实后把 updated 改为核实当天的日期\uff08例如 updated: {today}\uff09",
            )
        )
    return problems


def short_excerpts(articles: Sequence[CheckedArticle], lines: FieldLines) -> list[Problem]:
    """Articles whose summary, or body text when there is none, is too short for a useful excerpt."""
    problems = []
    for article in articles:
        summary = article.source.front_matter.summary
        text = re.sub(r"\s+", "", summary if summary is not None else article.body.excerpt)
        if len(text) >= MIN_EXCERPT_CHARACTERS:
            continue
        if summary is not None:
            message = f"summary: 摘要只有 {len(text)} 个字，在列表和搜索结果里太短；请写到 {MIN_EXCERPT_CHARACTERS} 字以上"
            problems.append(warning(article.path, lines(article.source, "summary"), message))
        else:
            message = f"正文只有 {len(text)} 个字，不够生成摘要；请补充正文，或在头部信息中写 summary\uff08至少 {MIN_EXCERPT_CHARACTERS} 字\uff09"
            problems.append(warning(article.path, article.source.body_line, message))
    return problems


def future_dates(articles: Sequence[CheckedArticle], lines: FieldLines, today: dt.date, zone: dt.tzinfo | None = None) -> list[Problem]:
    """A future date without `draft: true`: the article silently stays off the site until that day."""
    problems = []
    zone = zone or ZoneInfo(DEFAULT_TIMEZONE)
    for article in articles:
        fm = article.source.front_matter
        if fm.local_date(zone) > today and not fm.draft:
            problems.append(
                warning(
                    article.path,
                    lines(article.source, "date"),
                    f"date: {fm.date} 是未来的日期，这篇文章到那天之前不会发布；"
                    "日期写错了请改正，还没写完请加上 draft: true",
                )
            )
    return problems


# --- front-matter keys -----------------------------------------------------------------------

# The keys of issue 14 (people and review), read by their own modules from `params`.
REVIEW_KEYS = ("author", "reviewed_by", "last_reviewed", "sources", "corrections", "reprint", "ai_assisted")


def unknown_keys(config: SiteConfig | None, sources: Sequence[ArticleSource], lines: FieldLines) -> list[Problem]:
    """A front-matter key sitegen does not read (`descripton`), with the known key it most looks like.

    Custom taxonomy fields, the review keys and site.toml's `params_keys` are known; any other key
    only reaches templates as `article.params`, so a typo would lose its value without a word.
    """
    known = {*KNOWN_KEYS, *REVIEW_KEYS}
    if config is not None:
        known.update(custom.field for custom in config.taxonomy)
        known.update(config.params_keys)
    problems = []
    for source in sources:
        for key in source.params:
            if key in known:
                continue
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.7)
            hint = f"是不是 {close[0]}\uff1f" if close else ""
            problems.append(warning(source.path, lines(source, key), (
                f"{key}: sitegen 不认识这个字段\uff0c它只会作为 params 留给模板\uff1b{hint}"
                "若是站点自己的字段\uff0c请把它写进 site.toml 的 params_keys"
            )))  # fmt: skip
    return problems


# --- baseline: known warnings a pre-commit hook does not repeat --------------------------------


def baseline_key(problem: Problem) -> tuple[str, str]:
    # Without the line: editing above a known warning moves it, and it is still the same warning.
    return (problem.path, problem.message)


def read_baseline(path: Path) -> set[tuple[str, str]]:
    """The (file, message) pairs of a baseline written by write_baseline()."""
    import json

    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SiteError(Problem(str(path), None, f"无法读取基线文件\uff1a{getattr(exc, 'strerror', None) or exc}\uff1b请用 --write-baseline 重新生成")) from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SiteError(Problem(str(path), None, "基线文件应为 sitegen check --write-baseline 写出的 JSON 列表"))
    return {(str(r.get("file", "")), str(r.get("message", ""))) for r in records}


def write_baseline(path: Path, problems: Iterable[Problem]) -> int:
    """Write the warnings among `problems` as a baseline (errors never go in one); return how many."""
    import json

    keys = sorted({baseline_key(p) for p in problems if p.severity == WARNING})
    records = [{"file": file, "message": message} for file, message in keys]
    try:
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SiteError(Problem(str(path), None, f"无法写入基线文件\uff1a{exc.strerror or exc}")) from None
    return len(records)


def only_files(site_dir: Path, files: Sequence[Path], problems: list[Problem]) -> list[Problem]:
    """The problems of the given files (pre-commit passes the files of a commit).

    A changed site.toml, layout or static file can break any page, so with one of them among the
    files every problem is kept. Paths may be relative to the current folder or absolute.
    """
    root = site_dir.resolve()
    wanted = set()
    for file in files:
        try:
            relative = file.resolve().relative_to(root).as_posix()
        except ValueError:
            continue  # outside the site: not ours to check
        if not relative.startswith(f"{CONTENT_DIR}/"):
            return problems
        wanted.add(relative)
    return [p for p in problems if p.path in wanted]
