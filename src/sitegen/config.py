"""Stage 1: read and validate `site.toml`, the site's settings."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Problem, SiteError
from .slugs import is_safe_slug

CONFIG_FILE = "site.toml"
DEFAULT_DISCLAIMER = "\u63d0\u793a\uff1a\u672c\u5185\u5bb9\u4e0d\u80fd\u4ee3\u66ff\u9762\u8bca\uff0c\u5982\u6709\u4e0d\u9002\u8bf7\u5c3d\u5feb\u5c31\u533b\u3002"  # 提示：本内容不能代替面诊，如有不适请尽快就医。
PERMALINK_FIELDS = {"slug", "topic", "city", "year", "month", "day"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SourceNotice(_Strict):
    """The box at the top of every article: where the text comes from and where to report mistakes."""

    text: str = Field(min_length=1)
    contact: str = Field(min_length=1, description="e-mail, phone or URL for corrections; never empty")
    contact_label: str = "纠错反馈"


class TermSettings(_Strict):
    """A topic or city that the site knows by name: its URL slug, description and disclaimer."""

    name: str = Field(min_length=1)
    slug: str | None = None
    title: str | None = Field(default=None, description="display name, defaults to name")
    description: str = ""
    disclaimer: str | None = Field(default=None, description="key into [disclaimer.variants]")
    policy: bool = Field(default=False, description="policy content ages fast (医保, 社保)")

    @field_validator("slug")
    @classmethod
    def _slug_is_safe(cls, slug: str | None) -> str | None:
        if slug is not None and not is_safe_slug(slug):
            raise ValueError("slug 只能包含小写字母、数字和连字符，例如 yibao")
        return slug


class Disclaimer(_Strict):
    default: str = DEFAULT_DISCLAIMER
    variants: dict[str, str] = {}


class RelatedWeights(_Strict):
    """Weights of the related-articles score, like the indices of Hugo's `related` config."""

    tags: float = Field(default=2.0, ge=0, description="times the rarity-weighted share of tags in common")
    topic: float = Field(default=3.0, ge=0)
    city: float = Field(default=2.0, ge=0)
    date: float = Field(default=0.5, ge=0, description="full weight the same day, halved every half_life_days")
    half_life_days: float = Field(default=180.0, gt=0)


class RelatedSettings(_Strict):
    count: int = Field(default=10, ge=0, le=100)
    weights: RelatedWeights = RelatedWeights()


class Taxonomies(_Strict):
    """URL prefixes of the index pages."""

    topics: str = "topics"
    cities: str = "cities"
    tags: str = "tags"


class SiteConfig(_Strict):
    """Everything `site.toml` can say; defaults suit a Chinese health-news site."""

    title: str = Field(min_length=1)
    base_url: str = "http://localhost:8000/"
    description: str = ""
    language: str = "zh-CN"
    permalink: str = "/{topic}/{slug}/"
    paginate: int = Field(default=20, ge=1, le=1000)
    home_articles: int = Field(default=20, ge=1)
    feed_articles: int = Field(default=20, ge=1)
    excerpt_length: int = Field(default=120, ge=20, le=1000)
    policy_max_age_months: int = Field(default=12, ge=1, description="policy articles older than this are marked")
    search: bool = Field(default=True, description="build a Pagefind search index and /search/ page")
    hot_searches: list[str] = []
    hot_searches_count: int = Field(default=12, ge=1)
    source_notice: SourceNotice
    disclaimer: Disclaimer = Disclaimer()
    related: RelatedSettings = RelatedSettings()
    taxonomies: Taxonomies = Taxonomies()
    topics: list[TermSettings] = []
    cities: list[TermSettings] = []
    params: dict = Field(default={}, description="free values handed to templates as site.params")

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValueError("base_url 应为完整网址，例如 https://health.example.cn/")
        return url if url.endswith("/") else url + "/"

    @field_validator("permalink")
    @classmethod
    def _permalink_pattern(cls, pattern: str) -> str:
        fields = set(re.findall(r"\{(\w+)\}", pattern))
        if not pattern.startswith("/") or not pattern.endswith("/"):
            raise ValueError("permalink 应以 / 开头并以 / 结尾，例如 /{topic}/{slug}/")
        if unknown := fields - PERMALINK_FIELDS:
            raise ValueError(f"permalink 中有未知字段 {sorted(unknown)}，可用 {sorted(PERMALINK_FIELDS)}")
        if "slug" not in fields:
            raise ValueError("permalink 必须包含 {slug}")
        literal = re.sub(r"\{\w+\}", "x", pattern)
        if ".." in literal or "\\" in literal or not re.fullmatch(r"[A-Za-z0-9_/\-]+", literal):
            raise ValueError("permalink 只能包含字母、数字、- 和 /")
        return pattern

    @model_validator(mode="after")
    def _disclaimer_variants_exist(self) -> "SiteConfig":
        for term in [*self.topics, *self.cities]:
            if term.disclaimer and term.disclaimer not in self.disclaimer.variants:
                raise ValueError(
                    f"{term.name} 的 disclaimer = {term.disclaimer!r} 未在 [disclaimer.variants] 中定义"
                )
        return self

    def topic(self, name: str) -> TermSettings | None:
        return _find(self.topics, name)

    def city(self, name: str) -> TermSettings | None:
        return _find(self.cities, name)


def _find(terms: list[TermSettings], name: str) -> TermSettings | None:
    return next((t for t in terms if t.name == name), None)


def load_config(site_dir: Path, base_url: str | None = None) -> SiteConfig:
    """Read `site.toml` from `site_dir`; raise SiteError naming the file and field when it is wrong."""
    path = site_dir / CONFIG_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteError(Problem(CONFIG_FILE, None, f"找不到站点配置 {path}；请在站点根目录放置 site.toml"))
    except OSError as exc:
        raise SiteError(Problem(CONFIG_FILE, None, f"无法读取 site.toml:{exc.strerror or exc}"))
    except UnicodeDecodeError:
        raise SiteError(Problem(CONFIG_FILE, None, "不是 UTF-8 编码的文本"))
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise SiteError(Problem(CONFIG_FILE, int(line.group(1)) if line else None, f"TOML 语法错误：{exc}"))
    if base_url:
        raw["base_url"] = base_url
    try:
        return SiteConfig.model_validate(raw)
    except ValidationError as exc:
        raise SiteError([Problem(CONFIG_FILE, None, describe_config_error(e)) for e in exc.errors()])


def describe_config_error(error: dict) -> str:
    """One line for one pydantic error, with the dotted field name an author can find in the file."""
    field = ".".join(str(p) for p in error["loc"]) or "\uff08整个文件\uff09"
    kind = error["type"]
    if kind == "missing":
        if field == "source_notice.contact":
            return "source_notice.contact 缺失：请填写纠错反馈的联系方式\uff08邮箱、电话或网址\uff09"
        return f"{field} 缺失，这是必填项"
    if kind == "string_too_short":
        return f"{field} 不能为空"
    if kind == "extra_forbidden":
        return f"{field} 是未知设置项，请检查拼写"
    message = error["msg"].removeprefix("Value error, ")
    return f"{field}: {message}"
