"""Who wrote and reviewed an article, from which sources, how it was corrected, and when it is due.

The front-matter keys `author`, `reviewed_by`, `last_reviewed`, `sources`, `corrections`,
`reprint` and `ai_assisted` reach the model as `ArticleSource.params` (the schema does not know
them); `article_trust()` validates them against data/people.toml and site.toml while the site
model is built, and gives the values the `Article` carries. Every mistake names the file and,
where it is cheap to find, the line of the key.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config import SiteConfig
from .content import ArticleSource
from .errors import Problem
from .model import Article, Correction, Person, Reprint, Site, Source
from .people import PEOPLE_FILE

TRUST_FIELDS = ("author", "reviewed_by", "last_reviewed", "sources", "corrections", "reprint", "ai_assisted")
DUE_SOON_DAYS = 30  # the review queue lists articles due within this many days
LineOf = Callable[[ArticleSource, str], "int | None"]
_URL = re.compile(r"^https?://[^/\s]+")


def no_lines(source: ArticleSource, key: str) -> int | None:
    return None


@dataclass(frozen=True)
class Trust:
    """The validated trust fields of one article, as `Article` keeps them."""

    authors: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    last_reviewed: dt.date | None = None
    sources: tuple[Source, ...] = ()
    corrections: tuple[Correction, ...] = ()
    reprint: Reprint | None = None
    ai_assisted: bool = False
    review_due: dt.date | None = None
    overdue: bool = False

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus `months` calendar months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_months(config: SiteConfig, topic: str) -> int:
    """The topic's review interval, else the site's (24 months unless site.toml says)."""
    settings = config.topic(topic)
    return settings.review_months if settings is not None and settings.review_months else config.review_months


def article_trust(
    source: ArticleSource,
    topic: str,
    published: dt.date,
    updated: dt.date | None,
    people: Mapping[str, Person],
    config: SiteConfig,
    build_date: dt.date,
    lines: LineOf = no_lines,
) -> tuple[Trust, list[Problem]]:
    """The trust fields of one article, and the problems (errors) found in them.

    `published` and `updated` are the article's calendar dates in the site's time zone.
    """
    params = source.params
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        problems.append(Problem(source.path, lines(source, key), f"{key}: {message}"))

    authors = _people_ids(params.get("author"), "author", people, problem)
    reviewers = _people_ids(params.get("reviewed_by"), "reviewed_by", people, problem)
    for person_id in reviewers:
        person = people[person_id]
        missing = [label for label, value in (("title\uff08职称\uff09", person.title), ("organization\uff08机构\uff09", person.organization)) if not value]
        if missing:
            listed = "\u3001".join(missing)
            problem(
                "reviewed_by",
                f"审核人\u201c{person.name}\u201d\uff08{person_id}\uff09在 {PEOPLE_FILE} 中缺少 {listed}\uff1b审核人必须写明职称和所在机构",
            )
    settings = config.topic(topic)
    if settings is not None and settings.require_review and not reviewers and "reviewed_by" not in params:
        problems.append(
            Problem(source.path, None, f"reviewed_by 缺失\uff1a栏目\u201c{topic}\u201d要求每篇文章经过审核\uff08require_review = true\uff09\uff1b请写明审核人，例如 reviewed_by: zhang-san")
        )

    last_reviewed = None
    if "last_reviewed" in params:
        last_reviewed = _date(params["last_reviewed"])
        if last_reviewed is None:
            problem("last_reviewed", "日期格式应为 YYYY-MM-DD\uff0c例如 2026-03-18")
        elif last_reviewed > build_date:
            problem("last_reviewed", f"{last_reviewed} 晚于今天\uff08{build_date}\uff09\uff1b请填写实际审核的日期")
            last_reviewed = None
        elif last_reviewed < published:
            problem("last_reviewed", f"{last_reviewed} 早于发布日期 {published}\uff1b审核日期不能早于发布")
            last_reviewed = None

    sources = _sources(params.get("sources"), problem) if "sources" in params else ()
    corrections = _corrections(params.get("corrections"), problem) if "corrections" in params else ()
    reprint = _reprint(params["reprint"], problem) if "reprint" in params else None
    ai_assisted = params.get("ai_assisted", False)
    if not isinstance(ai_assisted, bool):
        problem("ai_assisted", "应为 true 或 false")
        ai_assisted = False

    checked = last_reviewed or updated or published
    due = add_months(checked, review_months(config, topic))
    trust = Trust(authors, reviewers, last_reviewed, sources, corrections, reprint, ai_assisted, due, due < build_date)
    return trust, problems


def _people_ids(value: Any, key: str, people: Mapping[str, Person], problem: Callable[[str, str], None]) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        problem(key, f"应为 {PEOPLE_FILE} 中的人员 id 或 id 列表\uff0c例如 {key}: [zhang-san, li-si]")
        return ()
    found: list[str] = []
    for person_id in (v.strip() for v in values):
        if person_id not in people:
            problem(key, f"找不到人员\u201c{person_id}\u201d\uff1b请在 {PEOPLE_FILE} 中添加 [[people]] id = \"{person_id}\"，或检查拼写")
        elif person_id not in found:
            found.append(person_id)
    return tuple(found)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key, "")
    return value.strip() if isinstance(value, str) else None


def _sources(value: Any, problem: Callable[[str, str], None]) -> tuple[Source, ...]:
    example = "sources: [{title: 关于做好2026年医保工作的通知, publisher: 国家医保局, url: https://www.nhsa.gov.cn/…, date: 2026-01-05}]"
    if not isinstance(value, list):
        problem("sources", f"应为参考资料列表\uff0c例如 {example}")
        return ()
    found = []
    for number, entry in enumerate(value, 1):
        if not isinstance(entry, dict):
            problem("sources", f"第 {number} 条应写成 {{title: …, publisher: …, url: …, date: …}}")
            continue
        unknown = sorted(set(entry) - {"title", "publisher", "url", "date"})
        title, publisher, url = _text(entry, "title"), _text(entry, "publisher"), _text(entry, "url")
        day = _date(entry["date"]) if entry.get("date") not in (None, "") else None
        if unknown:
            problem("sources", f"第 {number} 条有未知字段 {', '.join(unknown)}\uff1b可用 title、publisher、url、date")
        elif not title:
            problem("sources", f"第 {number} 条缺少 title\uff08资料名称\uff09")
        elif publisher is None or url is None:
            problem("sources", f"第 {number} 条的 publisher 和 url 应为文字")
        elif url and not _URL.match(url):
            problem("sources", f"第 {number} 条的 url \u201c{url}\u201d应为完整网址\uff0c以 https:// 开头")
        elif entry.get("date") not in (None, "") and day is None:
            problem("sources", f"第 {number} 条的 date 格式应为 YYYY-MM-DD")
        else:
            found.append(Source(title, publisher, url, day))
    return tuple(found)


def _corrections(value: Any, problem: Callable[[str, str], None]) -> tuple[Correction, ...]:
    if not isinstance(value, list):
        problem("corrections", "应为更正列表\uff0c例如 corrections: [{date: 2026-03-20, text: 更正了报销比例}]")
        return ()
    found = []
    for number, entry in enumerate(value, 1):
        day = _date(entry.get("date")) if isinstance(entry, dict) else None
        text = _text(entry, "text") if isinstance(entry, dict) else None
        if day is None or not text:
            problem("corrections", f"第 {number} 条应写明 date\uff08YYYY-MM-DD\uff09和 text\uff08更正了什么\uff09")
            continue
        found.append(Correction(day, text))
    return tuple(sorted(found, key=lambda c: c.date, reverse=True))


def _reprint(value: Any, problem: Callable[[str, str], None]) -> Reprint | None:
    if not isinstance(value, dict):
        problem("reprint", "应写成 {source: 来源, author: 原作者, title: 原标题, url: 原文网址}")
        return None
    source, author, title, url = (_text(value, key) for key in ("source", "author", "title", "url"))
    if not source or not author or not title:
        problem("reprint", "转载须同时写明 source\uff08来源\uff09、author\uff08原作者\uff09和 title\uff08原标题\uff09")
        return None
    if url is None or (url and not _URL.match(url)):
        problem("reprint", "url 应为完整网址\uff0c以 https:// 开头")
        return None
    return Reprint(source, author, title, url)


def person_articles(people: Sequence[Person], articles: Sequence[Article]) -> dict[str, tuple[int, ...]]:
    """Every person's articles, written or reviewed, newest first (articles are)."""
    found: dict[str, list[int]] = {p.id: [] for p in people}
    for article in articles:
        for person_id in dict.fromkeys((*article.authors, *article.reviewers)):
            found[person_id].append(article.id)
    return {person_id: tuple(ids) for person_id, ids in found.items()}


# --- the review queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    """One article overdue for review or due soon."""

    path: str
    title: str
    url: str
    topic: str
    due: dt.date
    overdue: bool
    reviewers: tuple[str, ...]  # names

    def record(self) -> dict[str, Any]:
        return {
            "file": self.path, "title": self.title, "url": self.url, "topic": self.topic,
            "due": self.due.isoformat(), "overdue": self.overdue, "reviewers": list(self.reviewers),
        }  # fmt: skip


def review_queue(site: Site, within_days: int = DUE_SOON_DAYS) -> list[QueueEntry]:
    """Articles overdue for review, then due within `within_days` days, the earliest due first."""
    horizon = site.build_date + dt.timedelta(days=within_days)
    entries = [
        QueueEntry(a.source_path, a.title, a.url, a.topic, a.review_due, a.overdue, tuple(site.person(p).name for p in a.reviewers))
        for a in site.articles
        if a.review_due is not None and a.review_due <= horizon
    ]
    return sorted(entries, key=lambda e: (e.due, e.path))


def overdue_warnings(site: Site, lines: LineOf, sources: Mapping[str, ArticleSource]) -> list[Problem]:
    """One warning per article whose review is overdue, on the line of the date it was last checked."""
    problems = []
    for article in site.articles:
        # A policy article check.py already warns of as stale needs no second warning on that date.
        if not article.overdue or article.review_due is None or article.stale:
            continue
        key = "last_reviewed" if article.last_reviewed else "updated" if article.updated else "date"
        source = sources.get(article.source_path)
        line = lines(source, key) if source is not None else None
        checked = article.last_reviewed or article.last_modified
        problems.append(
            Problem(
                article.source_path, line,
                f"{key}: 文章最后审核于 {checked}\uff0c应在 {article.review_due} 前复核\uff0c已逾期\uff1b"
                f"请审核人核对内容后把 last_reviewed 改为复核当天的日期\uff08例如 last_reviewed: {site.build_date}\uff09",
                "warning",
            )
        )  # fmt: skip
    return problems
