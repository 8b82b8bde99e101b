"""Stage 2: find the Markdown files under `content/`, read their front matter and validate it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import reprlib
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import frontmatter
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import Problem
from .markdown import MAX_TABLE_CELLS, table_too_big
from .slugs import is_safe_slug, slugify
from .workers import run_chunks

CONTENT_DIR = "content"
MAX_TITLE_LENGTH = 200
MAX_ARTICLE_BYTES = 1024 * 1024  # 1 MB: a long article is 50 KB; 5 MB took 20 s to render
MAX_HTML_DEPTH = 100  # nh3's parser slows down with the square of nesting; real articles nest < 10
_TAG_SEPARATORS = re.compile("[,\uff0c\u3001;\uff1b]")  # , ， 、 ; ；
# Characters no editor means to type: C0/C1 controls (tab and newline excepted), DEL, lone
# surrogates (from YAML "\ud800" escapes; they cannot be written as UTF-8) and the noncharacters
# U+FFFE/U+FFFF. They would make feeds invalid XML or stop a page from being written at all.
_INVALID_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


DEFAULT_TIMEZONE = "Asia/Shanghai"
_DATE_FORMAT = "日期格式应为 YYYY-MM-DD、YYYY-MM-DD HH:MM 或带时区的 2026-03-18T09:30:00+08:00"
# YYYY-MM-DD, then optionally HH:MM[:SS[.fraction]] after T or a space, then Z or ±HH:MM (RFC 3339).
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?", re.I)


def parse_date_time(value: Any) -> dt.date | dt.datetime:
    """A front-matter date as written: a date, a naive date-time or one with its offset.

    Text comes from YAML (which leaves dates as text here); TOML gives date and datetime values.
    """
    if isinstance(value, dt.date):  # a datetime is a date too
        return value
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value.strip()):
        raise ValueError(_DATE_FORMAT + "\uff0c例如 2026-03-18")
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "zZ" else text)
    except ValueError:
        raise ValueError(f"{text} 不是存在的{'日期' if len(text) == 10 else '日期或时间'}") from None


def site_time(value: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """`value` as an aware date-time in the site's zone: a date is its midnight there, a naive
    date-time is read as the site's local time, one with an offset keeps its instant."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), zone)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)


class _KeyTwice(yaml.constructor.ConstructorError):
    """A key written twice: the one YAML error worded by us, in Chinese."""


def front_matter_loader(base: type) -> type:
    """A YAML loader on `base` that leaves dates as text and refuses a key written twice."""

    class Loader(base):

        def construct_mapping(self, node, deep=False):
            # PyYAML keeps the last of two equal keys without a word; an author who wrote `city:`
            # twice meant one of them, so say which key and where.
            seen = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen:
                        raise _KeyTwice(
                            None, None, f"字段 {key_node.value} 出现了两次，请删去其中一个", key_node.start_mark
                        )
                    seen.add(key_node.value)
            return super().construct_mapping(node, deep=deep)

    # The schema, not PyYAML, judges `2025-02-30`.
    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


_FrontMatterLoader = front_matter_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 10x faster


_HANDLER = frontmatter.YAMLHandler()


class FrontMatter(BaseModel):
    """The front matter of an article. Keys the schema does not know are kept as `params`."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, frozen=True, populate_by_name=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH, description="the question a reader types")
    # A date-time is kept as written (naive, or with its offset): site.toml's timezone, which
    # a value without an offset is in, is applied when the site is built (ArticleMeta.published_at).
    date: dt.datetime | dt.date = Field(description="publication date, YYYY-MM-DD or a date-time")
    city: str = Field(min_length=1, description="a city name, or 全国 for nation-wide articles")
    topic: str = Field(min_length=1, description="the section, e.g. 医保")
    tags: list[str] = Field(default=[], description="keywords that drive 相关推荐 and tag pages")
    summary: str | None = Field(default=None, description="overrides the excerpt taken from the body")
    slug: str | None = Field(default=None, description="URL segment; defaults to the file name")
    updated: dt.datetime | dt.date | None = Field(default=None, description="when the content was last checked")
    draft: bool = Field(default=False, description="left out unless the build is asked for drafts")
    aliases: list[str] = Field(default=[], description="old URLs that redirect here")
    publish_date: dt.datetime | dt.date | None = Field(default=None, alias="publishDate", description="not published before")
    expiry_date: dt.datetime | dt.date | None = Field(default=None, alias="expiryDate", description="not published from")
    keywords: list[str] = Field(default=[], description="for templates (meta keywords); no pages of their own")
    image: str | None = Field(default=None, min_length=1, description="cover: a path beside the article, /static path or https URL")
    image_alt: str | None = Field(default=None, description="what the cover shows, for readers who cannot see it")
    image_caption: str | None = Field(default=None, description="shown under the cover")

    @field_validator("date", "updated", "publish_date", "expiry_date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        return parse_date_time(value)

    @field_validator("aliases", "keywords", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        # Hugo and Jekyll take `aliases: /old/` for a list of one.
        return [value] if isinstance(value, str) else [] if value is None else value

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_list(cls, value: Any) -> Any:
        # An editor who writes `tags: 医保, 报销` means two tags, as Pelican reads it.
        if isinstance(value, str):
            return [t for t in _TAG_SEPARATORS.split(value)]
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("应为标签列表，例如 tags: [医保, 报销]")
        # A Chinese input method types ， and 、: `[个人账户，断缴]` is two tags, not one.
        return [part for item in value for part in (_TAG_SEPARATORS.split(item) if isinstance(item, str) else [item])]

    @field_validator("tags", mode="after")
    @classmethod
    def _clean_tags(cls, tags: list[str]) -> list[str]:
        cleaned: list[str] = []
        for tag in (t.strip() for t in tags):
            if any(ord(c) < 32 for c in tag):
                raise ValueError("标签不能包含换行或控制字符")
            if tag and tag not in cleaned:
                cleaned.append(tag)
        return cleaned

    @field_validator("slug")
    @classmethod
    def _safe_slug(cls, slug: str | None) -> str | None:
        if slug is not None and not is_safe_slug(slug):
            raise ValueError("只能包含小写字母、数字和连字符，例如 shenzhen-yibao-duanjiao")
        return slug

    @field_validator("title", "city", "topic", "summary", "image", "image_alt", "image_caption")
    @classmethod
    def _one_line(cls, text: str | None) -> str | None:
        if text is not None and any(ord(c) < 32 and c not in "\t" for c in text):
            raise ValueError("不能包含换行或控制字符")
        return text


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """The validated values of an article's front matter, as plain data (see FrontMatter).

    `date` and `updated` are the calendar dates as written; `written`/`updated_written` keep a
    date-time when one was given, as written (site_time() places it in the site's zone).
    """

    title: str
    date: dt.date
    city: str
    topic: str
    tags: list[str]
    summary: str | None
    slug: str | None
    updated: dt.date | None
    draft: bool
    aliases: list[str]
    written: dt.datetime | None = None
    updated_written: dt.datetime | None = None
    publish_date: dt.date | None = None  # a date or datetime as written
    expiry_date: dt.date | None = None
    keywords: tuple[str, ...] = ()
    image: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None

    @classmethod
    def of(cls, fm: FrontMatter) -> ArticleMeta:
        def day(value: dt.date | None) -> dt.date | None:
            return value.date() if isinstance(value, dt.datetime) else value

        def moment(value: dt.date | None) -> dt.datetime | None:
            return value if isinstance(value, dt.datetime) else None

        date = fm.date.date() if isinstance(fm.date, dt.datetime) else fm.date
        return cls(
            fm.title, date, fm.city, fm.topic, fm.tags, fm.summary, fm.slug, day(fm.updated), fm.draft, fm.aliases,
            moment(fm.date), moment(fm.updated), fm.publish_date, fm.expiry_date, tuple(fm.keywords),
            fm.image, fm.image_alt, fm.image_caption,
        )

    def published_at(self, zone: dt.tzinfo) -> dt.datetime:
        return site_time(self.written or self.date, zone)

    def updated_at(self, zone: dt.tzinfo) -> dt.datetime | None:
        value = self.updated_written or self.updated
        return None if value is None else site_time(value, zone)

    def local_date(self, zone: dt.tzinfo) -> dt.date:
        """The publication date in the site's zone (12:42Z on the 22nd is the 22nd at 20:42 in Beijing)."""
        return self.published_at(zone).date()

    def local_updated(self, zone: dt.tzinfo) -> dt.date | None:
        updated = self.updated_at(zone)
        return None if updated is None else updated.date()

    def held_back(self, today: dt.date, zone: dt.tzinfo) -> str | None:
        """"future" before its date or publishDate (in the zone), "expired" from its expiryDate, else None."""
        if self.local_date(zone) > today or (self.publish_date is not None and site_time(self.publish_date, zone).date() > today):
            return "future"
        if self.expiry_date is not None and site_time(self.expiry_date, zone).date() <= today:
            return "expired"
        return None


@dataclass(frozen=True)
class ArticleSource:
    """An article as read from disk: validated front matter and the Markdown body, not yet rendered."""

    path: str  # relative to the site directory, with forward slashes
    slug: str
    front_matter: ArticleMeta
    body: str
    body_line: int  # line of the file on which the body starts
    params: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    warnings: tuple[Problem, ...] = ()  # what reading it changed (invisible characters removed)


@dataclass(frozen=True)
class LoadedContent:
    articles: list[ArticleSource]
    problems: list[Problem]
    skipped_drafts: int = 0
    skipped_future: int = 0
    # every readable article with its file's stat, drafts included: what the build cache keeps
    records: dict[str, tuple[tuple[int, int, int, int], ArticleSource]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)  # of every article read, drafts included
    pages: list[PageSource] = field(default_factory=list)  # content/pages/, drafts left out unless asked
    skipped_expired: int = 0  # past their expiryDate: left out of every page, list, feed and sitemap
    files: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # ContentScan.files


def find_source_files(
    root: Path, site_dir: Path, skip: Callable[[str, bool], bool]
) -> tuple[list[Path], list[Problem]]:
    """Files under `root` in a stable order, and a problem for each symlink that leaves `site_dir`.

    A symlink to a file or folder inside the site is followed; one that points outside would
    publish a file the author never put in the site (`static/x -> /etc/passwd`), so it is an error.
    """
    entries, problems = _walk_sources(root, site_dir, skip)
    return sorted(Path(entry.path) for entry in entries), problems


def _walk_sources(root: Path, site_dir: Path, skip: Callable[[str, bool], bool]) -> tuple[list[os.DirEntry], list[Problem]]:
    # Works on os.DirEntry, which knows from the folder listing whether it is a link or a folder:
    # at 100,000 articles, a Path object and an lstat per file cost a second. Only a link is
    # resolved; any other folder's real path is its parent's plus its name, because resolve()
    # looks at every folder above it: 1,000 nested folders took 10 s.
    boundary = site_dir.resolve()
    files: list[os.DirEntry] = []
    problems: list[Problem] = []
    if (problem := _symlink_problem(root, site_dir, boundary)) is not None:
        return files, [problem]
    if not root.is_dir():
        return files, problems
    visited: set[str] = set()
    pending = [(str(root), str(root.resolve()))]  # (folder, its real path)
    while pending:
        folder, real = pending.pop()
        if real in visited:
            continue  # a link back to a folder already listed
        visited.add(real)
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            problems.append(Problem(_shown(Path(folder), site_dir), None, f"无法读取文件夹\uff1a{exc.strerror or exc}"))
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows a symlink, which _symlink_problem checks below
            except OSError:
                is_dir = False  # a loop of links: reported below
            if skip(entry.name, is_dir):
                continue
            link = entry.is_symlink()
            if link and (problem := _symlink_problem(Path(entry.path), site_dir, boundary)) is not None:
                problems.append(problem)
            elif is_dir:
                pending.append((entry.path, os.path.realpath(entry.path) if link else os.path.join(real, entry.name)))
            elif entry.is_file():
                files.append(entry)
    return files, problems


def _symlink_problem(path: Path, site_dir: Path, boundary: Path) -> Problem | None:
    if not path.is_symlink():
        return None
    try:
        target = path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop of links
        return Problem(_shown(path, site_dir), None, "符号链接指向它自己\uff08循环链接\uff09；请删除此链接")
    if not target.exists():
        return Problem(_shown(path, site_dir), None, f"符号链接指向的 {target} 不存在；请修正或删除此链接")
    if target != boundary and boundary not in target.parents:
        return Problem(
            _shown(path, site_dir), None, f"符号链接指向站点目录之外的 {target}；为免发布站点外的文件，请把文件复制进站点或删除此链接"
        )
    return None


def _shown(path: Path, site_dir: Path) -> str:
    try:
        return path.relative_to(site_dir).as_posix()
    except ValueError:
        return str(path)


def stat_key(stat: os.stat_result) -> tuple[int, int, int, int]:
    """What tells that a file changed without reading it: size, modification and change times, inode."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


@dataclass(frozen=True)
class ContentScan:
    """The article files under content/ with their stats, and the problems met finding them."""

    stats: dict[str, tuple[int, int, int, int]]  # relative path → stat_key()
    problems: list[Problem]
    # Every other file under content/ (images, a bundle's resources), with its stat.
    files: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)


def scan_content(site_dir: Path) -> ContentScan:
    """Find every article file and stat it, once per build (the build's change check uses it too)."""
    root = site_dir / CONTENT_DIR
    entries, problems = _walk_sources(root, site_dir, _hidden_in_content)
    problems = list(problems)
    base = len(str(root))
    found: list[tuple[str, os.DirEntry]] = []
    for entry in entries:
        found.append((CONTENT_DIR + entry.path[base:].replace(os.sep, "/"), entry))
    found.sort(key=lambda item: item[0].split("/"))  # the order of sorted Paths
    stats: dict[str, tuple[int, int, int, int]] = {}
    files: dict[str, tuple[int, int, int, int]] = {}
    for relative, entry in found:
        article = relative.endswith(".md")
        try:
            (stats if article else files)[relative] = stat_key(entry.stat())
        except OSError as exc:
            if article:
                problems.append(Problem(relative, None, f"无法读取文件\uff1a{exc.strerror}"))
    return ContentScan(stats, problems, files)


def _hidden_in_content(name: str, is_dir: bool) -> bool:
    return name.startswith((".", "_")) or name.endswith("~")  # editors' backup files too


def load_content(
    site_dir: Path,
    *,
    drafts: bool = False,
    future: bool = False,
    today: dt.date | None = None,
    known: Mapping[str, tuple[tuple[int, int, int, int], ArticleSource]] | None = None,
    jobs: int = 1,
    scan: ContentScan | None = None,
    zone: dt.tzinfo | None = None,
    expired: bool = False,
) -> LoadedContent:
    """Read and validate every article; collect all problems instead of stopping at the first.

    Articles in `known` whose file has not changed since (same stat) are reused without reading;
    the others are read on up to `jobs` processes. `zone` is the site's time zone (site.toml's
    `timezone`): dates without an offset are read in it, and `today` defaults to its date.
    Articles past their expiryDate are left out unless `expired` (check, which reports links to them).
    """
    zone = zone or ZoneInfo(DEFAULT_TIMEZONE)
    today = today or dt.datetime.now(zone).date()
    known = known or {}
    scan = scan or scan_content(site_dir)
    parsed: dict[str, ArticleSource | list[Problem]] = {}
    for problem in scan.problems:
        parsed[problem.path] = [problem]
    stats = scan.stats
    unread: list[str] = []
    pages: list[PageSource] = []
    page_problems: list[Problem] = []
    page_files = [r for r in stats if r.startswith(PAGES_DIR)]
    stats = {r: s for r, s in stats.items() if not r.startswith(PAGES_DIR)}
    for relative in page_files:
        # A handful of pages: read every time, never cached (the no-change check covers them).
        page = _read_page(site_dir, relative)
        if isinstance(page, list):
            page_problems.extend(page)
        elif drafts or not page.draft:
            pages.append(page)
    for relative, stat in stats.items():
        previous = known.get(relative)
        if previous is not None and previous[0] == stat:
            parsed[relative] = previous[1]
        else:
            unread.append(relative)
    for results in run_chunks(_read_articles, unread, shared=site_dir, jobs=jobs):
        parsed.update(results)

    articles: list[ArticleSource] = []
    problems: list[Problem] = list(page_problems)
    skipped_drafts = skipped_future = skipped_expired = 0
    for relative in sorted(parsed):
        result = parsed[relative]
        if isinstance(result, list):
            problems.extend(result)
            continue
        if result.front_matter.draft and not drafts:
            skipped_drafts += 1
            continue
        held = result.front_matter.held_back(today, zone)
        if held == "future" and not future:
            skipped_future += 1
            continue
        if held == "expired" and not expired:
            skipped_expired += 1  # even with --future: an expired article is withdrawn, not early
            continue
        articles.append(result)
    read = {r: a for r, a in parsed.items() if not isinstance(a, list)}
    warnings = [warning for r in sorted(read) for warning in read[r].warnings]
    warnings += [warning for page in pages for warning in page.warnings]
    # The cache keeps no warnings: an article with some is read again next time, and says them again.
    records = {r: (stats[r], a) for r, a in read.items() if r in stats and not a.warnings}
    return LoadedContent(articles, problems, skipped_drafts, skipped_future, records, warnings, pages, skipped_expired, scan.files)


def _read_page(site_dir: Path, relative: str) -> PageSource | list[Problem]:
    try:
        with open(site_dir / relative, "rb") as handle:
            data = handle.read(MAX_ARTICLE_BYTES + 1)
    except OSError as exc:
        return [Problem(relative, None, f"无法读取文件：{exc.strerror}")]
    return parse_page(relative, data)


def _read_articles(site_dir: Path, relatives: Sequence[str]) -> list[tuple[str, ArticleSource | list[Problem]]]:
    results: list[tuple[str, ArticleSource | list[Problem]]] = []
    for relative in relatives:
        try:
            with open(site_dir / relative, "rb") as handle:
                data = handle.read(MAX_ARTICLE_BYTES + 1)  # a 2 GB file is not read to be refused
                if len(data) > MAX_ARTICLE_BYTES:
                    results.append((relative, [_too_big(relative, os.fstat(handle.fileno()).st_size)]))
                    continue
        except OSError as exc:
            results.append((relative, [Problem(relative, None, f"无法读取文件：{exc.strerror}")]))
            continue
        results.append((relative, parse_article(relative, data)))
    return results


def _read_source(relative: str, data: bytes):
    """Decode a Markdown file and read its front matter: (text, header, body, fields, warnings) or problems."""
    if len(data) > MAX_ARTICLE_BYTES:
        return [_too_big(relative, len(data))]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [Problem(relative, line, "不是 UTF-8 编码的文本；请用 UTF-8 保存此文件")]
    # A BOM and Windows line ends are what editors on Windows save; accept them silently.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        return [Problem(relative, text[: text.index("\x00")].count("\n") + 1, "文件中含有 NUL 字符；请删除它，或把文件另存为 UTF-8 文本")]
    if not text.strip():
        return [Problem(relative, None, "文件是空的；文章需要以 --- 开头的头部信息\uff08title、date、city、topic\uff09")]
    warnings: list[Problem] = []
    if text.startswith("+++\n"):  # Hugo's TOML front matter
        end = re.search(r"^\+\+\+[ \t]*$", text[4:], re.M)
        if end is None:
            return [Problem(relative, 1, "头部信息没有结束\uff1a以 +++ 开头的 TOML 头部信息之后要有一行 +++")]
        header, body = text[3 : 4 + end.start()], text[4 + end.end() :]
        metadata, trouble = _read_toml(header)
    elif text.startswith("{"):  # Hugo's JSON front matter: one object, then the body
        header, body, metadata, trouble = _read_json(text)
    elif not text.startswith("---\n"):
        return [Problem(relative, 1, "缺少头部信息：文件应以一行 --- 开头，接着写 title、date、city、topic，再以 --- 结束")]
    else:
        try:
            header, body = _HANDLER.split(text)
        except ValueError:
            return [Problem(relative, 1, "头部信息没有结束：请在字段之后加一行 ---")]
        metadata, trouble = read_header(header)
        warnings.extend(yaml_comment_warnings(relative, header))
    if trouble is not None:
        return [Problem(relative, *trouble), *_body_problems(relative, text, body)]
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return [Problem(relative, 2, "头部信息应为“字段: 值”的列表，例如 title: 深圳医保怎么报销")]
    metadata = {str(k): v for k, v in metadata.items()}
    metadata, cleaned, refused = _remove_format_chars(relative, header, metadata)
    warnings.extend(cleaned)
    if refused:
        return refused
    text_problems = [
        Problem(relative, _line_of_key(header, key), f"{ascii(key)[1:-1]}: 含有不可见的控制字符或无效字符 U+{ord(bad):04X}；请删除它")
        for key, value in metadata.items()
        if (bad := _first_invalid_char(key) or _first_invalid_char(value)) is not None
    ]
    if text_problems:
        return text_problems
    return text, header, body, metadata, warnings


def _read_toml(header: str) -> tuple[Any, Trouble | None]:
    try:
        return tomllib.loads(header), None
    except tomllib.TOMLDecodeError as exc:
        # tomllib words its errors in English; its line counts from the opening +++, as the file does.
        line = re.search(r"line (\d+)", str(exc))
        message = "头部信息不是有效的 TOML\uff1a请检查这一行的等号\u3001引号和方括号\uff08文字要放在半角引号里\uff0c例如 title = \"深圳医保怎么报销\"\uff09"
        return None, (int(line.group(1)) if line else None, message)
    except RecursionError:
        return None, (None, _TOO_NESTED)


def _read_json(text: str) -> tuple[str, str, Any, Trouble | None]:
    """(header, body, value, trouble) of a file that starts with a JSON object."""
    try:
        value, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        message = "头部信息不是有效的 JSON\uff1a请检查这一行的逗号\u3001引号和花括号\uff08字段名和文字都要用半角双引号\uff09"
        return text, "", None, (exc.lineno, message)
    except RecursionError:
        return text, "", None, (None, _TOO_NESTED)
    rest = text[end:]
    line_end = rest.find("\n")
    return text[:end], rest[line_end + 1 :] if line_end >= 0 else "", value, None


# Values YAML cuts at " #" that are text an editor reads back: a comment after `draft: true` is fine.
_TEXT_FIELDS = ("title", "summary", "description", "city", "topic", "tags", "keywords", "slug")
_YAML_COMMENT = re.compile(rf"({'|'.join(_TEXT_FIELDS)}):[ \t]+([^\s\"'\[{{|>&*!#][^#\n]*?)[ \t]+#.*$")


def yaml_comment_warnings(relative: str, header: str) -> list[Problem]:
    """`title: 标题 #1` reads as 标题: YAML takes ` #` as the start of a comment."""
    found = []
    for number, line in enumerate(header.split("\n"), start=1):  # header line 1 is file line 1
        if (match := _YAML_COMMENT.match(line)) is not None:
            key, kept = match.groups()
            message = (
                f"{key}: \u201c #\u201d及之后的文字被 YAML 当作注释删掉了\uff08只剩\u201c{_show(kept.strip())}\u201d\uff09\uff1b"
                f"如果 # 是内容的一部分\uff0c{_QUOTE_IT}\uff0c例如 {key}: \"{_show(line.partition(':')[2].strip())}\""
            )
            found.append(Problem(relative, number, message, "warning"))
    return found


_SHORTCODE = re.compile(r"\{\{[<%]\s*/?\s*([\w./-]*)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# What `sitegen new` writes as a body (new.article_template): left in, it would be published.
_SKELETON = ("\uff08导语\uff0c待写\uff09", "## 一\u3001\u2026", "## 二\u3001\u2026", "## 三\u3001\u2026")


def body_warnings(relative: str, body: str, body_line: int, published: bool) -> list[Problem]:
    """Hugo shortcodes left in the body (shown as text), and `sitegen new`'s skeleton in a published article."""
    found: list[Problem] = []
    if "{{" not in body and not (published and any(mark in body for mark in _SKELETON)):
        return found  # nearly every article
    fence = ""
    skeleton = False
    for number, line in enumerate(body.split("\n"), start=body_line):
        if opening := _FENCE.match(line):
            mark = opening.group(1)
            fence = "" if fence and mark.startswith(fence) else fence or mark[:3]
            continue
        if fence:
            continue  # code may show a shortcode on purpose
        for match in _SHORTCODE.finditer(line):
            start = match.group()[:3]
            end = ">}}" if start == "{{<" else "%}}"
            shown = f"{start} {match.group(1)} {end}" if match.group(1) else start
            found.append(Problem(relative, number, (
                f"正文中有 Hugo 短代码 {shown}\uff0csitegen 不认识它\uff0c页面上会原样显示为文字\uff1b"
                "请改写成 Markdown\uff08图片写成 ![说明](/img/x.png)\uff0c站内链接写成 [文字](../yibao/x.md)\uff09"
            ), "warning"))  # fmt: skip
        if published and not skeleton and any(mark in line for mark in _SKELETON):
            skeleton = True  # one warning is enough: the editor rewrites the whole body
            found.append(Problem(relative, number, (
                "正文中还有 sitegen new 生成的占位文字\uff08\u201c\uff08导语\uff0c待写\uff09\u201d或\u201c## 一\u3001\u2026\u201d\uff09\uff1b"
                "请写完正文\uff0c或在头部信息中加回 draft: true"
            ), "warning"))  # fmt: skip
    return found


def _body_problems(relative: str, text: str, body: str) -> list[Problem]:
    """The body's own problems, for a file whose front matter cannot be read: the editor fixes all at once."""
    checked = _checked_body(relative, text, body)
    if isinstance(checked, list):
        return checked
    return body_warnings(relative, *checked, published=False)


# Hugo's and Jekyll's names for our fields (Hugo reads keys in any case: publishdate).
_HUGO_KEYS = {
    "description": "summary", "lastmod": "updated", "publishdate": "publishDate", "expirydate": "expiryDate",
    "featured_image": "image", "featuredimage": "image", "cover": "image",  # themes' names for the cover
}  # fmt: skip
_CURLY_QUOTES = "\u201c\u201d\u2018\u2019\u300c\u300d\u300e\u300f\uff02\uff07"  # “” ‘’ 「」 『』 ＂ ＇


def _hugo_keys(relative: str, header: str, metadata: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Hugo/Jekyll keys renamed to ours; one written beside ours (`description` and `summary`) is
    left out, with a warning."""
    if not any(key.lower() in _HUGO_KEYS for key in metadata):
        return metadata, []
    renamed: dict[str, Any] = {}
    warnings = []
    for key, value in metadata.items():
        if key.lower() == "cover" and isinstance(value, dict):  # PaperMod: cover: {image, alt, caption}
            for part, ours in (("image", "image"), ("alt", "image_alt"), ("caption", "image_caption")):
                if part in value and ours not in metadata:
                    renamed[ours] = value[part]
            continue
        ours = _HUGO_KEYS.get(key.lower(), key)
        if ours != key and ours in metadata:
            message = f"{key}: 与 {ours} 意思相同\uff0c两个都写时只用 {ours}\uff1b请删去其中一个"
            warnings.append(Problem(relative, _line_of_key(header, key), message, "warning"))
            continue
        renamed[ours] = value
    return renamed, warnings


def _unquoted_terms(relative: str, header: str, metadata: dict[str, Any]) -> list[Problem]:
    """Full-width quotes around a tag, topic or city (`tags: [“医保卡”]`) taken off, with a warning each."""
    warnings = []
    for key in ("tags", "topic", "city"):
        value = metadata.get(key)
        items = value if isinstance(value, list) else [value]
        if key == "tags":  # `[“医保卡”，“报销”]` is one YAML item holding two quoted tags
            items = [part for item in items for part in (_TAG_SEPARATORS.split(item) if isinstance(item, str) else [item])]
        fixed = [_strip_curly(item) for item in items]
        if any(new is not old for new, old in zip(fixed, items)):
            metadata[key] = fixed if isinstance(value, list) else fixed[0]
            shown = "\u3001".join(str(item) for item, new in zip(items, fixed) if item != new)
            warnings.append(Problem(relative, _line_of_key(header, key), (
                f"{key}: {_show(shown)} 带着全角引号\uff0c已去掉\uff1b请删去引号\uff0c"
                "或改用半角引号\uff0c例如 tags: [\"医保卡\"]"
            ), "warning"))  # fmt: skip
    return warnings


def _strip_curly(item: Any) -> Any:
    if isinstance(item, str) and len(item.strip()) > 2 and item.strip()[0] in _CURLY_QUOTES and item.strip()[-1] in _CURLY_QUOTES:
        return item.strip()[1:-1].strip()
    return item


def _field_problems(relative: str, header: str, error: ValidationError) -> list[Problem]:
    """One problem per invalid front-matter field (at most MAX_FIELD_ERRORS), each on its key's line."""
    return [
        Problem(relative, _line_of_key(header, str(e["loc"][0]) if e["loc"] else ""), describe_field_error(e))
        for e in error.errors()[:MAX_FIELD_ERRORS]
    ]


def parse_article(relative: str, data: bytes) -> ArticleSource | list[Problem]:
    """Parse one article file; return the article, or the problems that stop it from being read."""
    read = _read_source(relative, data)
    if isinstance(read, list):
        return read
    text, header, body, metadata, warnings = read
    metadata, renamed = _hugo_keys(relative, header, metadata)
    warnings = [*warnings, *renamed, *_unquoted_terms(relative, header, metadata)]
    try:
        front_matter = FrontMatter.model_validate(metadata)
    except ValidationError as exc:
        return [*_field_problems(relative, header, exc), *_body_problems(relative, text, body)]
    except RecursionError:
        return [Problem(relative, None, _TOO_NESTED)]
    stem = Path(relative).stem
    if stem == "index" and relative.count("/") > 1:
        stem = Path(relative).parent.name  # a Hugo page bundle: yibao/menzhen/index.md is menzhen
    slug = front_matter.slug or slugify(stem)
    if not slug:
        return [Problem(relative, None, "无法从文件名生成网址；请在头部信息中加上 slug，例如 slug: shenzhen-yibao")]
    checked = _checked_body(relative, text, body)
    if isinstance(checked, list):
        return checked
    stripped_body, body_line = checked
    warnings.extend(body_warnings(relative, stripped_body, body_line, published=not front_matter.draft))
    params = dict(front_matter.model_extra or {})
    content_hash = hashlib.blake2b(data, digest_size=16).hexdigest()
    meta = ArticleMeta.of(front_matter)
    return ArticleSource(relative, slug, meta, stripped_body, body_line, params, content_hash, tuple(warnings))


def _checked_body(relative: str, text: str, body: str) -> tuple[str, int] | list[Problem]:
    """The body without its leading blank lines and the file line it starts on, or why it is refused."""
    stripped_body = body.lstrip("\n")
    body_line = text[: len(text) - len(stripped_body)].count("\n") + 1
    if (deep := html_too_deep(stripped_body)) is not None:
        line, tag = deep
        message = f"正文中的 HTML 标签嵌套超过 {MAX_HTML_DEPTH} 层\uff08在 <{tag}> 处\uff09；请补上结束标签 </{tag}> 或删去多余的标签"
        return [Problem(relative, body_line + line - 1, message)]
    if (big := table_too_big(stripped_body)) is not None:
        line, cells = big
        message = f"正文中的表格共有 {cells} 个单元格\uff0c超过每篇文章 {MAX_TABLE_CELLS} 个的上限\uff1b请把表格拆小\uff0c或改成列表"
        return [Problem(relative, body_line + line - 1, message)]
    return stripped_body, body_line


class PageFrontMatter(BaseModel):
    """The front matter of a page under content/pages/: a title, and none of an article's fields."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    slug: str | None = Field(default=None, description="URL /<slug>/; defaults to the file name")
    summary: str | None = None
    updated: dt.datetime | dt.date | None = None  # a page shows the date only (PageSource.updated)
    layout: str = Field(default="page.html", pattern=r"^[A-Za-z0-9_\-/]+\.html$")
    draft: bool = False

    _iso_date = field_validator("updated", mode="before")(FrontMatter._iso_date.__func__)  # type: ignore[attr-defined]

    @field_validator("slug")
    @classmethod
    def _safe_slug(cls, slug: str | None) -> str | None:
        if slug is not None and not all(is_safe_slug(part) for part in slug.split("/")):
            raise ValueError("只能包含小写字母、数字、连字符和 /\uff0c例如 about 或 help/privacy")
        return slug


@dataclass(frozen=True)
class PageSource:
    """A page as read from disk: validated front matter and the Markdown body."""

    path: str
    slug: str
    title: str
    summary: str | None
    updated: dt.date | None
    layout: str
    draft: bool
    body: str
    body_line: int
    content_hash: str
    params: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()


PAGES_DIR = f"{CONTENT_DIR}/pages/"  # Markdown files here are pages, not articles


def parse_page(relative: str, data: bytes) -> PageSource | list[Problem]:
    """Parse one page file under content/pages/; return the page or its problems."""
    read = _read_source(relative, data)
    if isinstance(read, list):
        return read
    text, header, body, metadata, warnings = read
    try:
        front_matter = PageFrontMatter.model_validate(metadata)
    except ValidationError as exc:
        return [*_field_problems(relative, header, exc), *_body_problems(relative, text, body)]
    # Nested folders keep their path: content/pages/help/privacy.md is /help/privacy/.
    inside = relative[len(PAGES_DIR) : -len(".md")]
    slug = front_matter.slug or "/".join(slugify(part) for part in inside.split("/"))
    if not slug or not all(slug.split("/")):
        return [Problem(relative, None, "无法从文件名生成网址\uff1b请在头部信息中加上 slug\uff0c例如 slug: about")]
    checked = _checked_body(relative, text, body)
    if isinstance(checked, list):
        return checked
    stripped_body, body_line = checked
    content_hash = hashlib.blake2b(data, digest_size=16).hexdigest()
    updated = front_matter.updated.date() if isinstance(front_matter.updated, dt.datetime) else front_matter.updated
    return PageSource(
        relative, slug, front_matter.title, front_matter.summary, updated, front_matter.layout,
        front_matter.draft, stripped_body, body_line, content_hash, dict(front_matter.model_extra or {}), tuple(warnings),
    )  # fmt: skip


def _too_big(relative: str, size: int) -> Problem:
    megabytes = f"{size / 1024 / 1024:.1f}"
    limit = MAX_ARTICLE_BYTES // 1024 // 1024
    return Problem(relative, None, f"文件有 {megabytes} MB\uff0c超过每篇文章 {limit} MB 的上限\uff1b请把它拆成几篇较短的文章")


_FIELD_HINTS = {
    "title": "标题，例如 title: 深圳医保断缴后个人账户还能用吗",
    "date": "发布日期，例如 date: 2026-03-18",
    "city": "城市，例如 city: 深圳\uff08全国性内容写 全国\uff09",
    "topic": "栏目，例如 topic: 医保",
}


def describe_field_error(error: Mapping[str, Any]) -> str:
    """A one-line Chinese message for one schema error, starting with the field name."""
    loc = [str(p) for p in error["loc"]]
    field_name = loc[0] if loc else "头部信息"
    where = field_name + (f"[{loc[1]}]" if len(loc) > 1 else "")
    kind = error["type"]
    if kind == "missing":
        return f"{field_name}: 缺少必填字段，请补上{_FIELD_HINTS.get(field_name, '')}"
    if kind == "string_too_short":
        return f"{field_name}: 不能为空"
    if kind == "string_too_long":
        return f"{field_name}: 太长\uff08上限 {error['ctx']['max_length']} 字\uff09，请缩短"
    if kind in ("string_type",):
        return f"{where}: 应为文字，当前为 {_show(error['input'])}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{where}: 应为 true 或 false，当前为 {_show(error['input'])}"
    if kind in ("list_type",):
        return f"{where}: 应为列表，例如 {field_name}: [甲, 乙]；当前为 {_show(error['input'])}"
    message = error["msg"].removeprefix("Value error, ")
    shown = _show(error["input"])
    return f"{where}: {message}" if shown in message else f"{where}: {message}\uff08当前为 {shown}\uff09"


_TOO_NESTED = "头部信息中的列表或字典嵌套过深；请改成简单的\u201c字段: 值\u201d"
MAX_YAML_DEPTH = 20
MAX_YAML_ALIASES = 100
# Values the front matter may hold once every alias is written out: a real header has about 30,
# and 77 aliases to lists of aliases would otherwise make 2**77 for validation to walk.
MAX_YAML_VALUES = 10_000
MAX_FIELD_ERRORS = 10  # 10,000 wrong tags are one mistake, not 10,000 lines
_YAML = "头部信息不是有效的 YAML\uff1a"
_QUOTE_IT = "请把整个值放进引号"

Trouble = tuple[int | None, str]  # (line of the file, message)


def read_header(header: str) -> tuple[Any, Trouble | None]:
    """The front matter's value, or (line, one-line Chinese message) saying why it cannot be read.

    Depth, alias and size limits are checked on the YAML events before any value is built.
    """
    try:
        if (trouble := _header_too_big(header)) is not None:
            return None, trouble
        return yaml.load(header, Loader=_FrontMatterLoader), None
    except yaml.YAMLError as exc:
        line, message = _yaml_trouble(exc, header)
        # The header's first line is the rest of the opening `---` line: header line 0 is file line 1.
        return None, (None if line is None else line + 1, message)
    except RecursionError:  # the pure-Python composer recurses; the event check stops libyaml's
        return None, (None, _TOO_NESTED)
    except (ValueError, KeyError, TypeError, OverflowError):
        # `!!int abc`, `!!bool maybe`, `!!timestamp 2025-02-30`: PyYAML's constructors raise plain errors
        line = next((n for n, text in enumerate(header.split("\n"), 1) if "!!" in text), None)
        return None, (line, _YAML + "这个值与它的 !! 标签不符；请删去以 !! 开头的标签")


def _header_too_big(header: str) -> Trouble | None:
    # Every collection needs one of these marks and every alias a `*`, so a header with few of
    # them cannot nest deeper than the limit or expand at all: real headers skip the event scan.
    if "*" not in header and sum(header.count(mark) for mark in "[{-:?") <= MAX_YAML_DEPTH:
        return None
    # libyaml builds nested values recursively in C (100,000 `[` crash the process) but parses
    # events with an explicit stack, so the events are counted before anything is built.
    open_collections: list[list] = []  # [anchor, values inside so far]
    sizes: dict[str, int] = {}  # anchor → values it stands for, written out
    total = aliases = 0
    for event in yaml.parse(header, Loader=_FrontMatterLoader):
        size = 0
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(open_collections) > MAX_YAML_DEPTH:  # the header itself is one mapping
                return None, _TOO_NESTED
            open_collections.append([event.anchor, 1])
            continue
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, size = open_collections.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                return None, f"头部信息中的 YAML 别名\uff08*名字\uff09超过 {MAX_YAML_ALIASES} 个；请直接写出各字段的值"
            if any(event.anchor == anchor for anchor, _ in open_collections):
                # PyYAML builds a list that holds itself, which nothing after it can walk
                line = event.start_mark.line + 1 if event.start_mark is not None else None
                return line, f"头部信息中的别名 *{event.anchor} 指向包含它自己的值；请直接写出各字段的值"
            anchor, size = None, sizes.get(event.anchor or "", 1)  # an unknown one is the loader's to report
        else:
            continue
        if anchor is not None:
            sizes[anchor] = size
        if open_collections:
            open_collections[-1][1] += size
            size = open_collections[-1][1]
        else:
            total += size
            size = total
        if size > MAX_YAML_VALUES:  # a part is never bigger than the whole: stop as soon as one is
            return None, f"头部信息中的 YAML 别名展开后超过 {MAX_YAML_VALUES} 个值；请直接写出各字段的值"
    return None


def _yaml_trouble(exc: yaml.YAMLError, header: str) -> Trouble:
    """Our words for a YAML error, and the header line (from 0) to change: never PyYAML's or libyaml's English.

    The two libraries word their errors differently and change them between versions, so the
    message is chosen by what is on the line, and the library's words only pick among our own.
    """
    lines = header.split("\n")
    problem = str(getattr(exc, "problem", None) or "")
    context = str(getattr(exc, "context", None) or "")
    mark, context_mark = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    at = mark.line if mark is not None else None
    opened = context_mark.line if context_mark is not None else at

    def text(line: int | None) -> str:
        return lines[line] if line is not None and 0 <= line < len(lines) else ""

    if "nesting depth" in problem:  # libyaml 0.2.5 stops at 1,000 levels on its own
        return None, _TOO_NESTED
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml gives a byte offset and PyYAML a character one: find the character instead
        char = chr(exc.character) if isinstance(exc.character, int) else ""
        line = header.count("\n", 0, header.index(char)) if char and char in header else None
        return line, f"头部信息中含有 YAML 不允许的字符 U+{ord(char or '?'):04X}；请删除它"
    if isinstance(exc, _KeyTwice):
        return at, problem
    for line in dict.fromkeys(n for n in (opened, at) if n is not None):
        if "\t" in text(line):
            return line, _YAML + "这一行有制表符\uff08Tab\uff09；缩进和冒号后请用空格"
    for line in dict.fromkeys(n for n in (opened, at, _previous_line(lines, at)) if n is not None):
        if (fixed := _full_width_colon(text(line))) is not None:
            return line, _YAML + f"字段名后的冒号应为半角\u201c:\u201d\uff0c后面加一个空格\uff0c例如 {fixed}"
    if "escape" in problem:
        return at, _YAML + "双引号中的反斜杠 \\ 后面不是有效的转义；请改用单引号，或把 \\ 写成 \\\\"
    if "quoted scalar" in context:
        return opened, _YAML + "引号没有闭合；请在值的末尾补上同样的引号"
    if "flow sequence" in context:
        return opened, _YAML + "方括号 [ 没有闭合；请补上 ]\uff0c例如 tags: [医保, 报销]"
    if "flow mapping" in context:
        return opened, _YAML + "花括号 { 没有闭合；请补上 }"
    if "alias" in problem or "anchor" in context or "alias" in context:
        return at, _YAML + f"以 * 或 & 开头的值会被当作 YAML 别名；{_QUOTE_IT}"
    if "constructor for the tag" in problem:
        return at, _YAML + "不支持以 ! 开头的 YAML 标签；请删去它，或把整个值放进引号"
    if "unhashable" in problem:
        return at, _YAML + "字段名不能是列表或字典"
    if "merg" in problem:
        return at, _YAML + "\u201c<<\u201d只能合并字典；请直接写出各字段"
    if "document" in problem or "directive" in context:
        return at, _YAML + "不能有以 ... 或 % 开头的行，也只能有一组\u201c字段: 值\u201d；请删去这一行"
    if "cannot start any token" in problem:
        char = text(at)[mark.column : mark.column + 1] if mark is not None else ""
        return at, _YAML + f"值不能以 {char or '这个字符'} 开头；{_QUOTE_IT}"
    if "mapping values" in problem:
        written = text(at)
        key, _, value = written.partition(": ")
        if ": " in value or value.endswith(":"):
            return at, _YAML + f"值中含有\u201c: \u201d\uff08冒号加空格\uff09；{_QUOTE_IT}\uff0c例如 {key.strip()}: \"{_show(value.strip())}\""
        previous = _previous_line(lines, at)
        if written[:1] == " ":
            return at, _YAML + "这一行多了缩进；顶层字段应从行首写起"
        if previous is not None and ":" not in text(previous):
            return previous, _YAML + "这一行缺少冒号；应写成\u201c字段: 值\u201d\uff0c例如 title: 深圳医保怎么报销"
    if "expected ':'" in problem or "simple key" in context:
        return opened, _YAML + "这一行缺少冒号；应写成\u201c字段: 值\u201d\uff0c例如 title: 深圳医保怎么报销"
    if text(at).lstrip().startswith("-"):
        return at, _YAML + "列表项\u201c- \u201d应写在字段的下一行并缩进两个空格，例如 tags: 之后另起一行写\u201c  - 医保\u201d"
    if re.search(r":\s*[\"'].*[\"']\s*\S", text(at)):
        return at, _YAML + f"引号之后还有文字；{_QUOTE_IT}"
    return at if at is not None else opened, _YAML + "请检查这一行的冒号\u3001引号\u3001括号和缩进"


def _previous_line(lines: list[str], line: int | None) -> int | None:
    """The nearest line above `line` with text on it."""
    if line is None:
        return None
    return next((n for n in range(min(line, len(lines)) - 1, -1, -1) if lines[n].strip()), None)


def _full_width_colon(line: str) -> str | None:
    """`tags: [医保卡]` for `tags：[医保卡]`, or None when the line's key is not followed by a full-width colon."""
    key, colon, value = line.partition("\uff1a")
    if not colon or ":" in key or not key.strip() or " " in key.strip():
        return None
    return f"{key.strip()}: {_show(value.strip())}"


# Unicode's format characters (category Cf, Unicode 14, as tests/test_content.py checks): zero-width
# spaces and joiners, bidi controls, the BOM. Nobody sees them, yet `深\u200b圳` is another city
# than 深圳 and U+202E turns a title around on the page.
_FORMAT_CHAR = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_FIELD_NAMES = {"title": "标题", "city": "城市", "topic": "栏目", "tags": "标签", "summary": "摘要"}
_ADDRESS_FIELDS = ("slug", "aliases")  # a URL with the character removed is another URL


def _remove_format_chars(
    relative: str, header: str, metadata: dict[str, Any]
) -> tuple[dict[str, Any], list[Problem], list[Problem]]:
    """The front matter without format characters, a warning per field they were removed from,
    and an error per address field that holds one."""
    if not any(_FORMAT_CHAR.search(key) or _has_format_char(value) for key, value in metadata.items()):
        return metadata, [], []  # every article but a few
    cleaned: dict[str, Any] = {}
    warnings: list[Problem] = []
    refused: list[Problem] = []
    for key, value in metadata.items():
        line = _line_of_key(header, key)
        removed: list[str] = []
        name = _without_format_chars(key, removed)
        if removed:
            warnings.append(Problem(relative, line, f"字段名 {name} 中含有不可见字符 {_codes(removed)}\uff0c已删除", "warning"))
            removed = []
        value = _without_format_chars(value, removed)
        if removed and name in _ADDRESS_FIELDS:
            refused.append(Problem(relative, line, f"{name}: 含有不可见字符 {_codes(removed)}\uff1b网址中不能有它\uff0c请删除"))
        elif removed:
            label = _FIELD_NAMES.get(name, f"字段 {name} ")
            warnings.append(Problem(relative, line, f"{label}中含有不可见字符 {_codes(removed)}\uff0c已删除", "warning"))
        cleaned[name] = value
    return cleaned, warnings, refused


def _has_format_char(value: Any) -> bool:
    if isinstance(value, str):
        return _FORMAT_CHAR.search(value) is not None
    if isinstance(value, list):
        return any(_has_format_char(item) for item in value)
    if isinstance(value, dict):
        return any(_has_format_char(k) or _has_format_char(v) for k, v in value.items())
    return False


def _without_format_chars(value: Any, removed: list[str]) -> Any:
    """`value` with format characters taken out of every string in it; appends each to `removed`."""
    if isinstance(value, list):
        return [_without_format_chars(item, removed) for item in value]
    if isinstance(value, dict):
        return {_without_format_chars(k, removed): _without_format_chars(v, removed) for k, v in value.items()}
    if not isinstance(value, str):
        return value

    def drop(match: re.Match) -> str:
        char, start = match.group(), match.start()
        before, after = value[start - 1 : start], value[start + 1 : start + 2]
        # Emoji are built with them: 👩‍⚕️ is 👩 U+200D ⚕ and 🏴 plus tag characters is a flag.
        if char == "\u200d" and _is_emoji(before) and _is_emoji(after):
            return char
        if "\U000e0020" <= char <= "\U000e007f" and before and (before == "\U0001f3f4" or "\U000e0020" <= before <= "\U000e007e"):
            return char
        removed.append(char)
        return ""

    return _FORMAT_CHAR.sub(drop, value)


def _is_emoji(char: str) -> bool:
    return char != "" and ("\u2600" <= char <= "\u27bf" or "\U0001f000" <= char <= "\U0001faff" or char == "\ufe0f")


def _codes(chars: list[str]) -> str:
    return "\u3001".join(f"U+{ord(c):04X}" for c in dict.fromkeys(chars))


def _first_invalid_char(value: Any) -> str | None:
    """The first character of `_INVALID_TEXT` in a string, or in any string inside lists and dicts."""
    pending, seen = [value], set()
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if match := _INVALID_TEXT.search(item):
                return match.group()
        elif isinstance(item, (list, dict)) and id(item) not in seen:
            seen.add(id(item))  # YAML aliases share one object many times over (a "billion laughs")
            pending.extend([*item.keys(), *item.values()] if isinstance(item, dict) else item)
    return None


# Tags whose end tag HTML lets an author leave out, and void tags: neither nests when left open.
_NOT_NESTING = frozenset(
    "p li dt dd tr td th thead tbody tfoot caption colgroup option optgroup rb rt rtc rp html head body "
    "area base br col embed hr img input link meta source track wbr param keygen".split()
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")


def html_too_deep(body: str) -> tuple[int, str] | None:
    """(line, tag) where raw HTML in `body` first nests deeper than MAX_HTML_DEPTH, else None."""
    depth = 0
    open_tags: dict[str, int] = {}
    for match in _TAG.finditer(body):
        name = match.group(2).lower()
        if name in _NOT_NESTING:
            continue
        if match.group(1):  # an end tag closes only a tag of its name that is open
            if open_tags.get(name):
                open_tags[name] -= 1
                depth -= 1
            continue
        open_tags[name] = open_tags.get(name, 0) + 1
        depth += 1
        if depth > MAX_HTML_DEPTH:
            return body.count("\n", 0, match.start()) + 1, name
    return None


def _bounded_repr() -> reprlib.Repr:
    # repr() of a value that YAML aliases share 2**77 times over never ends; this stops early.
    shown = reprlib.Repr()
    shown.maxlevel, shown.maxlist, shown.maxdict, shown.maxstring, shown.maxother = 3, 6, 4, 40, 40
    return shown


_SHORT = _bounded_repr()


def _show(value: Any) -> str:
    text = _SHORT.repr(value) if not isinstance(value, str) else value[:41]
    text = text if len(text) <= 40 else text[:40] + "\u2026"
    # A message is one line: a newline or control character in the value is shown as its escape.
    return re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: ascii(m.group())[1:-1], text)


def key_names(key: str) -> tuple[str, ...]:
    """The ways a field may be written: `summary` or Hugo's `description`."""
    return (key, *(hugo for hugo, ours in _HUGO_KEYS.items() if ours == key))


def _line_of_key(header: str, key: str) -> int | None:
    names = "|".join(re.escape(name) for name in key_names(key))
    # `key:` in YAML, `key =` in TOML, `"key":` in JSON (indented)
    pattern = re.compile(rf"(?:{names})\s*[:=]|\s*\"(?:{names})\"\s*:", re.I)
    for number, line in enumerate(header.split("\n"), start=1):
        if pattern.match(line):
            return number  # header line 1 is the opening --- (or +++, or the JSON's first line), which is file line 1
    return None


# Every key an article's front matter may hold with a meaning: `check` warns of any other.
KNOWN_KEYS = frozenset(
    {*FrontMatter.model_fields, *(f.alias for f in FrontMatter.model_fields.values() if f.alias), *_HUGO_KEYS}
)


class FieldLines:
    """The line of a front-matter field in an article file, read only for articles with a problem."""

    def __init__(self, site_dir: Path):
        self.site_dir = site_dir
        self._headers: dict[str, list[str]] = {}

    def __call__(self, source: ArticleSource, key: str) -> int | None:
        if source.path not in self._headers:
            try:
                text = (self.site_dir / source.path).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._headers[source.path] = text.splitlines()[: max(source.body_line - 1, 0)]
        names = "|".join(re.escape(name) for name in key_names(key))  # summary may be written description
        pattern = re.compile(rf"(?:{names})\s*[:=]|\s*\"(?:{names})\"\s*:", re.I)  # YAML, TOML, JSON
        return next((n for n, line in enumerate(self._headers[source.path], 1) if pattern.match(line)), None)
