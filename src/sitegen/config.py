"""Stage 1: read and validate `site.toml`, the site's settings."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Problem, SiteError
from .slugs import is_safe_slug

CONFIG_FILE = "site.toml"
DEFAULT_DISCLAIMER = "\u63d0\u793a\uff1a\u672c\u5185\u5bb9\u4e0d\u80fd\u4ee3\u66ff\u9762\u8bca\uff0c\u5982\u6709\u4e0d\u9002\u8bf7\u5c3d\u5feb\u5c31\u533b\u3002"  # 提示：本内容不能代替面诊，如有不适请尽快就医。
PERMALINK_FIELDS = {"slug", "topic", "city", "year", "month", "day"}
# Front-matter fields with a meaning of their own: a custom taxonomy cannot take one.
RESERVED_FIELDS = {
    "title", "date", "updated", "summary", "slug", "draft", "aliases", "tags", "layout", "params",
    "keywords", "description", "lastmod", "publishdate", "expirydate", "image", "image_alt", "image_caption",  # Hugo's, read as ours (content._HUGO_KEYS)
}  # fmt: skip


@dataclass(frozen=True)
class Taxonomy:
    """One row of the taxonomy table: topic, city and tag are built in, site.toml adds others."""

    key: str  # topic, city, tag, or a custom front-matter field such as department
    field: str  # the front-matter field holding an article's terms
    name: str  # shown on pages: 栏目, 城市, 标签, 科室
    prefix: str  # /<prefix>/ lists every term, /<prefix>/<slug>/ one term's articles
    url: str  # /<base path>/<prefix>/
    multiple: bool  # a list of terms (tags) or one name (topic)
    weight: float = 0.0  # in 相关推荐 scoring, for custom taxonomies
    feeds: bool = False  # an Atom feed per term (topics)
    terms_setting: str = ""  # where site.toml describes its terms, for messages: [[tags]]
    prefix_setting: str = ""  # where site.toml sets its prefix, for messages: taxonomies.tags


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SourceNotice(_Strict):
    """The box at the top of every article: where the text comes from and where to report mistakes."""

    text: str = Field(min_length=1)
    contact: str = Field(min_length=1, description="e-mail, phone or URL for corrections; never empty")
    contact_label: str = "纠错反馈"


class TermSettings(_Strict):
    """A term the site knows by name (topic, city, tag, custom): its URL slug, description, spellings."""

    name: str = Field(min_length=1)
    slug: str | None = None
    title: str | None = Field(default=None, description="display name, defaults to name")
    description: str = ""
    aliases: list[str] = Field(default=[], description="other spellings folded into this name: 異地就醫")
    disclaimer: str | None = Field(default=None, description="key into [disclaimer.variants]")
    policy: bool = Field(default=False, description="policy content ages fast (医保, 社保)")
    review_months: int | None = Field(default=None, ge=1, description="months between medical reviews; default: the site's")
    require_review: bool = Field(default=False, description="an article without reviewed_by is an error")

    @field_validator("slug")
    @classmethod
    def _slug_is_safe(cls, slug: str | None) -> str | None:
        if slug is not None and not is_safe_slug(slug):
            raise ValueError("slug 只能包含小写字母、数字和连字符，例如 yibao")
        return slug


class Legal(_Strict):
    """备案: the numbers a site hosted in mainland China shows in its footer."""

    icp: str = Field(default="", description="ICP 备案号, e.g. 粤ICP备12345678号-1")
    police: str = Field(default="", description="公安备案号, e.g. 粤公网安备44030502000001号")

    @property
    def police_code(self) -> str:
        """The digits of the 公安备案号: the recordcode of its page on www.beian.gov.cn."""
        return "".join(c for c in self.police if c.isascii() and c.isdigit())


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
    """URL prefixes of the built-in taxonomies' index pages."""

    topics: str = "topics"
    cities: str = "cities"
    tags: str = "tags"


class CustomTaxonomy(_Strict):
    """A `[[taxonomy]]` of site.toml: 科室, 人群, 疾病… read from one front-matter field."""

    field: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="front-matter field: one name or a list")
    name: str = Field(min_length=1, description="shown on pages, e.g. 科室")
    prefix: str = Field(min_length=1, description="URL prefix, e.g. keshi")
    weight: float = Field(default=0.0, ge=0, description="weight in 相关推荐 scoring")
    feeds: bool = False
    terms: list[TermSettings] = []

    @field_validator("prefix")
    @classmethod
    def _prefix_is_safe(cls, prefix: str) -> str:
        if not is_safe_slug(prefix):
            raise ValueError("prefix 只能包含小写字母、数字和连字符，例如 keshi")
        return prefix


class MenuItem(_Strict):
    """One link of `[[menus.main]]` or `[[menus.footer]]`."""

    name: str = Field(min_length=1)
    url: str = Field(min_length=1, description="a site path such as /about/, or a full https: address")
    weight: float = 0.0

    @field_validator("url")
    @classmethod
    def _site_path_or_address(cls, url: str) -> str:
        if not (url.startswith("/") and not url.startswith("//")) and not re.match(r"^https?://[^/\s]+", url):
            raise ValueError("url 应为站内路径\uff08以 / 开头，例如 /about/\uff09或完整网址")
        return url


class Menus(_Strict):
    main: list[MenuItem] = []
    footer: list[MenuItem] = []


class Redirects(_Strict):
    """How an article's `aliases` reach readers: Netlify's _redirects always, HTML pages on request."""

    html: bool = Field(default=False, description="also an HTML page at each old URL, for hosts without _redirects")


INDEXNOW_VARIABLE = "INDEXNOW_KEY"
_INDEXNOW_KEY = re.compile(r"[A-Za-z0-9-]{8,128}")  # what the IndexNow protocol accepts
_INDEXNOW_RULE = "应为 8 到 128 个字母\u3001数字或连字符 -"


class IndexNow(_Strict):
    """`[indexnow]`: the key Bing and Yandex check against `<key>.txt` at the output root."""

    key: str | None = Field(default=None, description="8-128 of a-z A-Z 0-9 -; $INDEXNOW_KEY wins over it")

    @field_validator("key")
    @classmethod
    def _key_is_valid(cls, key: str | None) -> str | None:
        if key is not None and not _INDEXNOW_KEY.fullmatch(key):
            raise ValueError(f"不是有效的 IndexNow key\uff1a{_INDEXNOW_RULE}\uff0c例如 3f2a9c1d4b5e6f70")
        return key


CALLOUT_KINDS = ("note", "tip", "important", "warning", "caution")


class ImageSettings(_Strict):
    """`[images]`: the widths every local image is published at, and the share image of pages without a cover."""

    widths: list[int] = Field(default=[480, 960, 1440], min_length=1, max_length=8, description="px; never upscaled")
    quality: int = Field(default=80, ge=30, le=95, description="JPEG and WebP quality")
    sizes: str = Field(default="(max-width: 900px) 100vw, 800px", description="the sizes attribute of body images and covers")
    default: str | None = Field(default=None, description="a static/ image for og:image of pages without a cover; \"\" for none")

    @field_validator("widths")
    @classmethod
    def _sane_widths(cls, widths: list[int]) -> list[int]:
        if any(w < 16 or w > 4096 for w in widths):
            raise ValueError("[images] widths \u4e2d\u6bcf\u4e2a\u5bbd\u5ea6\u5e94\u5728 16 \u5230 4096 \u50cf\u7d20\u4e4b\u95f4\uff0c\u4f8b\u5982 widths = [480, 960, 1440]")
        return sorted(set(widths))


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
    review_months: int = Field(default=24, ge=1, description="months between reviews unless [[topics]] review_months says")
    logo: str = Field(default="", description="the publisher's logo for structured data: a site path or full URL")
    legal: Legal = Legal()
    search: bool = Field(default=True, description="build a Pagefind search index and /search/ page")
    hot_searches: list[str] = []
    hot_searches_count: int = Field(default=12, ge=1)
    # Out of model_dump_json(), like indexnow: no page shows them, only the search index holds
    # them (search.prepare_index), so a word added re-renders no page.
    search_words: list[str] = Field(
        default=[], exclude=True, description="words the search index keeps whole wherever a text holds them (肠镜 in 胃肠镜, a hospital's name)"
    )
    source_notice: SourceNotice
    disclaimer: Disclaimer = Disclaimer()
    related: RelatedSettings = RelatedSettings()
    taxonomies: Taxonomies = Taxonomies()
    taxonomy: list[CustomTaxonomy] = Field(default=[], description="custom taxonomies beyond topic, city, tag")
    topics: list[TermSettings] = []
    cities: list[TermSettings] = []
    tags: list[TermSettings] = []
    menus: Menus = Menus()
    params: dict = Field(default={}, description="free values handed to templates as site.params")
    timezone: str = Field(default="Asia/Shanghai", description="IANA zone of dates without an offset, of today, of every date shown")
    callouts: dict[str, str] = Field(default={}, description="titles of > [!NOTE] and the other callouts: note = \"\u8bf7\u6ce8\u610f\"")
    params_keys: list[str] = Field(default=[], description="front-matter keys of the site's own, never warned about by check")
    redirects: Redirects = Redirects()
    images: ImageSettings = ImageSettings()
    # Out of model_dump_json(), the settings every page's fingerprint holds: only the key file
    # reads the key, and names it among its needs (routes._indexnow_key).
    indexnow: IndexNow = Field(default=IndexNow(), exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone = \"{name}\" 不是已知的时区\uff1b请写 IANA 时区名\uff0c例如 Asia/Shanghai") from None
        return name

    @field_validator("search_words")
    @classmethod
    def _chinese_words(cls, words: list[str]) -> list[str]:
        for word in words:
            if len(word.strip()) < 2 or not all("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in word.strip()):
                raise ValueError(f"\u201c{word}\u201d不是两个或以上汉字的词\uff1b请只写汉字\uff0c例如 search_words = [\"肠镜\", \"华西医院\"]")
        return list(dict.fromkeys(word.strip() for word in words))

    @field_validator("callouts")
    @classmethod
    def _callout_kinds(cls, titles: dict[str, str]) -> dict[str, str]:
        if unknown := sorted(set(titles) - set(CALLOUT_KINDS)):
            raise ValueError(f"[callouts] 中有未知的种类 {unknown}\uff0c可用 {list(CALLOUT_KINDS)}")
        if empty := [kind for kind, title in titles.items() if not title.strip()]:
            raise ValueError(f"[callouts] 中 {empty[0]} 的标题不能为空")
        return titles

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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
    def _disclaimer_variants_exist(self) -> SiteConfig:
        for term in [*self.topics, *self.cities]:
            if term.disclaimer and term.disclaimer not in self.disclaimer.variants:
                raise ValueError(
                    f"{term.name} 的 disclaimer = {term.disclaimer!r} 未在 [disclaimer.variants] 中定义"
                )
        return self

    @model_validator(mode="after")
    def _taxonomies_distinct(self) -> SiteConfig:
        prefixes = [self.taxonomies.topics, self.taxonomies.cities, self.taxonomies.tags]
        for custom in self.taxonomy:
            if custom.field in RESERVED_FIELDS:
                raise ValueError(f"[[taxonomy]] field = {custom.field!r} 是文章已有的字段，请换一个名字，例如 department")
            if custom.field in ("topic", "city", "tag"):
                raise ValueError(f"[[taxonomy]] field = {custom.field!r} 与内置分类重名")
            if custom.prefix in prefixes:
                raise ValueError(f"[[taxonomy]] prefix = {custom.prefix!r} 已被另一个分类使用，请换一个")
            prefixes.append(custom.prefix)
        fields = [custom.field for custom in self.taxonomy]
        if len(set(fields)) != len(fields):
            raise ValueError("两个 [[taxonomy]] 使用了同一个 field")
        return self

    def topic(self, name: str) -> TermSettings | None:
        return _find(self.topics, name)

    def city(self, name: str) -> TermSettings | None:
        return _find(self.cities, name)

    def term_settings(self, kind: str) -> list[TermSettings]:
        """The `[[topics]]`, `[[cities]]`, `[[tags]]` or a custom taxonomy's `terms` entries."""
        builtin = {"topic": self.topics, "city": self.cities, "tag": self.tags}
        if kind in builtin:
            return builtin[kind]
        return next((custom.terms for custom in self.taxonomy if custom.field == kind), [])

    def taxonomy_table(self, base_path: str) -> tuple[Taxonomy, ...]:
        """Every taxonomy of the site, the built-in rows first: the one place that knows them all."""
        built_in = (
            # key, front-matter field, name shown (栏目, 城市, 标签), settings table, [taxonomies] key
            ("topic", "topic", "\u680f\u76ee", "topics", "topics"),
            ("city", "city", "\u57ce\u5e02", "cities", "cities"),
            ("tag", "tags", "\u6807\u7b7e", "tags", "tags"),
        )
        rows = []
        for key, field, name, table, setting in built_in:
            prefix = getattr(self.taxonomies, setting)
            rows.append(
                Taxonomy(key, field, name, prefix, f"{base_path}/{prefix}/", key == "tag", feeds=key == "topic",
                         terms_setting=f"[[{table}]]", prefix_setting=f"taxonomies.{setting}")
            )  # fmt: skip
        for custom in self.taxonomy:
            rows.append(
                Taxonomy(
                    custom.field, custom.field, custom.name, custom.prefix, f"{base_path}/{custom.prefix}/", True, custom.weight,
                    custom.feeds, f"[[taxonomy]] field = \"{custom.field}\" 的 terms", f"[[taxonomy]] field = \"{custom.field}\" 的 prefix",
                )
            )  # fmt: skip
        return tuple(rows)


def site_today(site_dir: Path, now: dt.datetime | None = None) -> dt.date:
    """Today in the site's time zone (site.toml `timezone`): a build at 23:30 UTC is the next day in Beijing.

    Read before the settings are validated (the no-change check needs it); an unreadable
    site.toml or zone gives the default zone's date, and load_config() reports the mistake.
    """
    try:
        name = tomllib.loads((site_dir / CONFIG_FILE).read_text(encoding="utf-8")).get("timezone", "Asia/Shanghai")
        zone = ZoneInfo(name if isinstance(name, str) else "Asia/Shanghai")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone).date()


def _find(terms: list[TermSettings], name: str) -> TermSettings | None:
    return next((t for t in terms if t.name == name), None)


def load_config(site_dir: Path, base_url: str | None = None) -> SiteConfig:
    """Read `site.toml` from `site_dir`; raise SiteError naming the file and field when it is wrong."""
    path = site_dir / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except FileNotFoundError:
        raise SiteError(Problem(CONFIG_FILE, None, f"找不到站点配置 {path}；请在站点根目录放置 site.toml")) from None
    except OSError as exc:
        raise SiteError(Problem(CONFIG_FILE, None, f"无法读取 site.toml:{exc.strerror or exc}")) from None
    except UnicodeDecodeError:
        raise SiteError(Problem(CONFIG_FILE, None, "不是 UTF-8 编码的文本")) from None
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        # tomllib words its errors in English: the line is what an editor needs, with what to check.
        message = "TOML 语法错误\uff1a请检查这一行的等号、引号和方括号\uff08文字要放在半角引号里，例如 title = \"健康百事通\"\uff09"
        raise SiteError(Problem(CONFIG_FILE, int(line.group(1)) if line else None, message)) from None
    if base_url:
        raw["base_url"] = base_url
    try:
        config = SiteConfig.model_validate(raw)
    except ValidationError as exc:
        raise SiteError([Problem(CONFIG_FILE, _setting_line(text, e["loc"]), describe_config_error(e)) for e in exc.errors()]) from None
    return _indexnow_from_environment(config)


def _indexnow_from_environment(config: SiteConfig) -> SiteConfig:
    # $INDEXNOW_KEY wins, as Hugo's HUGO_* variables win over hugo.toml: a deploy can use its own
    # key without editing the file. An empty one counts as unset (CI gives an absent secret so).
    key = os.environ.get(INDEXNOW_VARIABLE, "").strip()
    if not key:
        return config
    if not _INDEXNOW_KEY.fullmatch(key):
        raise SiteError(Problem(INDEXNOW_VARIABLE, None, f"环境变量 {INDEXNOW_VARIABLE} 不是有效的 IndexNow key\uff1a{_INDEXNOW_RULE}"))
    return config.model_copy(update={"indexnow": IndexNow(key=key)})


def _setting_line(text: str, loc: tuple) -> int | None:
    """The line of the setting an error is about (pydantic knows only its name): one outside any
    table, or one of a [table] (`[legal]` then `key =`, or `legal.key =`)."""
    if not loc or not isinstance(loc[0], str):
        return None
    table = re.escape(loc[0])
    name = re.escape(loc[1]) if len(loc) > 1 and isinstance(loc[1], str) else None
    inside = rf"\s*{name}\s*=" if name else None  # a line of the table
    top = rf"\s*{table}\s*(\.\s*{name}\s*)?=" if name else rf"\s*{table}\s*="  # table.key = or table = { ... }
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        if header := re.match(r"\s*\[\[?\s*([^\[\]]+?)\s*\]", line):
            current = header.group(1)
            found = current == loc[0] and name is None
        else:
            found = bool(re.match(inside, line)) if current == loc[0] and inside else current is None and bool(re.match(top, line))
        if found:
            return number
    return None


def describe_config_error(error: Mapping[str, Any]) -> str:
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
    # pydantic's own messages are English: the kinds a hand-written site.toml runs into.
    context = error.get("ctx") or {}
    worded = {
        "greater_than_equal": f"{field} 不能小于 {context.get('ge')}",
        "greater_than": f"{field} 必须大于 {context.get('gt')}",
        "less_than_equal": f"{field} 不能大于 {context.get('le')}",
        "less_than": f"{field} 必须小于 {context.get('lt')}",
        "int_parsing": f"{field} 应是整数\uff0c例如 {field.split('.')[-1]} = 20\uff08不加引号\uff09",
        "int_type": f"{field} 应是整数\uff0c例如 {field.split('.')[-1]} = 20\uff08不加引号\uff09",
        "int_from_float": f"{field} 应是整数\uff0c不能有小数",
        "bool_parsing": f"{field} 应是 true 或 false\uff08不加引号\uff09",
        "bool_type": f"{field} 应是 true 或 false\uff08不加引号\uff09",
        "string_type": f"{field} 应是文字\uff0c请放在半角引号里",
        "list_type": f"{field} 应是列表\uff0c例如 {field.split('.')[-1]} = [\"甲\", \"乙\"]",
        "dict_type": f"{field} 应是一个表\uff08[{field}] 之下的键值\uff09",
        "model_type": f"{field} 应是一个表\uff08[{field}] 之下的键值\uff09",
    }.get(kind)
    if worded:
        return worded
    message = error["msg"].removeprefix("Value error, ")
    return f"{field}: {message}"
