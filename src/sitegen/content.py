"""Stage 2: find the Markdown files under `content/`, read their front matter and validate it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import Problem
from .slugs import is_safe_slug, slugify

CONTENT_DIR = "content"
MAX_TITLE_LENGTH = 200
_TAG_SEPARATORS = re.compile("[,\uff0c\u3001;\uff1b]")  # , ， 、 ; ；


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available: 10x faster
    """SafeLoader that leaves dates as text, so the schema (not PyYAML) judges `2025-02-30`."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_HANDLER = frontmatter.YAMLHandler()


class FrontMatter(BaseModel):
    """The front matter of an article. Keys the schema does not know are kept as `params`."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, frozen=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH, description="the question a reader types")
    date: dt.date = Field(description="publication date, YYYY-MM-DD")
    city: str = Field(min_length=1, description="a city name, or 全国 for nation-wide articles")
    topic: str = Field(min_length=1, description="the section, e.g. 医保")
    tags: list[str] = Field(default=[], description="keywords that drive 相关推荐 and tag pages")
    summary: str | None = Field(default=None, description="overrides the excerpt taken from the body")
    slug: str | None = Field(default=None, description="URL segment; defaults to the file name")
    updated: dt.date | None = Field(default=None, description="when the content was last checked")
    draft: bool = Field(default=False, description="left out unless the build is asked for drafts")
    aliases: list[str] = Field(default=[], description="old URLs that redirect here")

    @field_validator("date", "updated", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError("日期格式应为 YYYY-MM-DD,例如 2026-03-18")
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value.strip()} 不是存在的日期") from None
        if isinstance(value, dt.date):
            return value
        raise ValueError("日期格式应为 YYYY-MM-DD,例如 2026-03-18")

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_list(cls, value: Any) -> Any:
        # An editor who writes `tags: 医保, 报销` means two tags, as Pelican reads it.
        if isinstance(value, str):
            return [t for t in _TAG_SEPARATORS.split(value)]
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("应为标签列表,例如 tags: [医保, 报销]")
        return value

    @field_validator("tags", mode="after")
    @classmethod
    def _clean_tags(cls, tags: list[str]) -> list[str]:
        cleaned: list[str] = []
        for tag in (t.strip() for t in tags):
            if tag and tag not in cleaned:
                cleaned.append(tag)
        return cleaned

    @field_validator("slug")
    @classmethod
    def _safe_slug(cls, slug: str | None) -> str | None:
        if slug is not None and not is_safe_slug(slug):
            raise ValueError("只能包含小写字母、数字和连字符,例如 shenzhen-yibao-duanjiao")
        return slug

    @field_validator("title", "city", "topic", "summary")
    @classmethod
    def _one_line(cls, text: str | None) -> str | None:
        if text is not None and any(ord(c) < 32 and c not in "\t" for c in text):
            raise ValueError("不能包含换行或控制字符")
        return text


@dataclass(frozen=True)
class ArticleSource:
    """An article as read from disk: validated front matter and the Markdown body, not yet rendered."""

    path: str  # relative to the site directory, with forward slashes
    slug: str
    front_matter: FrontMatter
    body: str
    body_line: int  # line of the file on which the body starts
    params: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""


@dataclass(frozen=True)
class LoadedContent:
    articles: list[ArticleSource]
    problems: list[Problem]
    skipped_drafts: int = 0
    skipped_future: int = 0


def find_article_files(site_dir: Path) -> list[Path]:
    """Every Markdown file under `content/`, in a stable order; hidden files and folders are skipped."""
    root = site_dir / CONTENT_DIR
    if not root.is_dir():
        return []
    files = [
        p
        for p in root.rglob("*.md")
        if not any(part.startswith((".", "_")) for part in p.relative_to(root).parts) and p.is_file()
    ]
    return sorted(files)


def load_content(
    site_dir: Path, *, drafts: bool = False, future: bool = False, today: dt.date | None = None
) -> LoadedContent:
    """Read and validate every article; collect all problems instead of stopping at the first."""
    today = today or dt.date.today()
    articles: list[ArticleSource] = []
    problems: list[Problem] = []
    skipped_drafts = skipped_future = 0
    for path in find_article_files(site_dir):
        relative = path.relative_to(site_dir).as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(relative, None, f"无法读取文件:{exc.strerror}"))
            continue
        result = parse_article(relative, data)
        if isinstance(result, list):
            problems.extend(result)
            continue
        if result.front_matter.draft and not drafts:
            skipped_drafts += 1
            continue
        if result.front_matter.date > today and not future:
            skipped_future += 1
            continue
        articles.append(result)
    return LoadedContent(articles, problems, skipped_drafts, skipped_future)


def parse_article(relative: str, data: bytes) -> ArticleSource | list[Problem]:
    """Parse one article file; return the article, or the problems that stop it from being read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [Problem(relative, line, "不是 UTF-8 编码的文本;请用 UTF-8 保存此文件")]
    # A BOM and Windows line ends are what editors on Windows save; accept them silently.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        return [Problem(relative, text[: text.index("\x00")].count("\n") + 1, "文件中含有 NUL 字符")]
    if not text.strip():
        return [Problem(relative, None, "文件是空的;文章需要以 --- 开头的头部信息(title、date、city、topic)")]
    if not text.startswith("---\n"):
        return [Problem(relative, 1, "缺少头部信息:文件应以一行 --- 开头,接着写 title、date、city、topic,再以 --- 结束")]
    try:
        header, body = _HANDLER.split(text)
    except ValueError:
        return [Problem(relative, 1, "头部信息没有结束:请在字段之后加一行 ---")]
    try:
        metadata = _HANDLER.load(header, Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None  # header text starts on the --- line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return [Problem(relative, line, f"头部信息不是有效的 YAML:{problem}")]
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return [Problem(relative, 2, "头部信息应为“字段: 值”的列表,例如 title: 深圳医保怎么报销")]
    metadata = {str(k): v for k, v in metadata.items()}
    try:
        front_matter = FrontMatter.model_validate(metadata)
    except ValidationError as exc:
        return [
            Problem(relative, _line_of_key(header, str(e["loc"][0]) if e["loc"] else ""), describe_field_error(e))
            for e in exc.errors()
        ]
    stem = Path(relative).stem
    slug = front_matter.slug or slugify(stem)
    if not slug:
        return [Problem(relative, None, "无法从文件名生成网址;请在头部信息中加上 slug,例如 slug: shenzhen-yibao")]
    stripped_body = body.lstrip("\n")
    body_line = text[: len(text) - len(stripped_body)].count("\n") + 1
    params = dict(front_matter.model_extra or {})
    content_hash = hashlib.blake2b(data, digest_size=16).hexdigest()
    return ArticleSource(relative, slug, front_matter, stripped_body, body_line, params, content_hash)


_FIELD_HINTS = {
    "title": "标题,例如 title: 深圳医保断缴后个人账户还能用吗",
    "date": "发布日期,例如 date: 2026-03-18",
    "city": "城市,例如 city: 深圳(全国性内容写 全国)",
    "topic": "栏目,例如 topic: 医保",
}


def describe_field_error(error: dict) -> str:
    """A one-line Chinese message for one schema error, starting with the field name."""
    loc = [str(p) for p in error["loc"]]
    field_name = loc[0] if loc else "头部信息"
    where = field_name + (f"[{loc[1]}]" if len(loc) > 1 else "")
    kind = error["type"]
    if kind == "missing":
        return f"{field_name}: 缺少必填字段,请补上{_FIELD_HINTS.get(field_name, '')}"
    if kind == "string_too_short":
        return f"{field_name}: 不能为空"
    if kind == "string_too_long":
        return f"{field_name}: 太长(上限 {error['ctx']['max_length']} 字),请缩短"
    if kind in ("string_type",):
        return f"{where}: 应为文字,当前为 {_show(error['input'])}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{where}: 应为 true 或 false,当前为 {_show(error['input'])}"
    if kind in ("list_type",):
        return f"{where}: 应为列表,例如 {field_name}: [甲, 乙];当前为 {_show(error['input'])}"
    message = error["msg"].removeprefix("Value error, ")
    shown = _show(error["input"])
    return f"{where}: {message}" if shown in message else f"{where}: {message}(当前为 {shown})"


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:40] + "…"


def _line_of_key(header: str, key: str) -> int | None:
    for number, line in enumerate(header.split("\n"), start=1):
        if re.match(rf"{re.escape(key)}\s*:", line):
            return number  # header line 1 is the opening ---, which is file line 1
    return None
