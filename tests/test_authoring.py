"""Issue 16, authoring and migration: date-times and the site's time zone, Hugo/Jekyll front
matter (TOML, JSON, their keys), shortcodes, editor messages, base paths in bodies, `check FILE…`
with a baseline, and a small Hugo site that builds as it is.

Table-driven, the markdown-it-py way: many small cases in one table, one line each.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import FIXTURES, build_site, make_site, soup_of
from sitegen.check import check_site
from sitegen.cli import main
from sitegen.config import site_today
from sitegen.content import ArticleSource, load_content, parse_article, parse_date_time, site_time
from sitegen.render import body_links

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

# --- date-times ------------------------------------------------------------------------------

# (written, expected as parsed: a date, a naive or aware datetime, or the start of the error)
DATE_CASES = [
    ("2026-03-18", dt.date(2026, 3, 18)),
    (" 2026-03-18 ", dt.date(2026, 3, 18)),
    ("2026-03-18 09:30", dt.datetime(2026, 3, 18, 9, 30)),
    ("2026-03-18 09:30:15", dt.datetime(2026, 3, 18, 9, 30, 15)),
    ("2026-03-18T09:30", dt.datetime(2026, 3, 18, 9, 30)),
    ("2026-03-18T09:30:00+08:00", dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))),
    ("2026-03-18T01:30:00Z", dt.datetime(2026, 3, 18, 1, 30, tzinfo=UTC)),
    ("2026-03-18t01:30:00z", dt.datetime(2026, 3, 18, 1, 30, tzinfo=UTC)),
    ("2026-03-18T01:30:00.250-05:00", dt.datetime(2026, 3, 18, 1, 30, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=-5)))),
    (dt.date(2026, 3, 18), dt.date(2026, 3, 18)),  # TOML gives dates and datetimes as values
    (dt.datetime(2026, 3, 18, 9, 30), dt.datetime(2026, 3, 18, 9, 30)),
    ("2026/03/18", "日期格式应为"),
    ("2026-3-18", "日期格式应为"),
    ("18.03.2026", "日期格式应为"),
    ("2026-03-18 9:30", "日期格式应为"),
    ("2026-03-18T09:30+0800", "日期格式应为"),
    ("2026-02-30", "2026-02-30 不是存在的日期"),
    ("2026-03-18 25:00", "2026-03-18 25:00 不是存在的日期或时间"),
    (20260318, "日期格式应为"),
]


@pytest.mark.parametrize(("written", "expected"), DATE_CASES, ids=[str(c[0]) for c in DATE_CASES])
def test_date_formats(written, expected) -> None:
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            parse_date_time(written)
    else:
        value = parse_date_time(written)
        assert value == expected and type(value) is type(expected)
        assert getattr(value, "tzinfo", None) == getattr(expected, "tzinfo", None)


# (value as parsed, site zone, the moment in the site's zone as RFC 3339)
ZONE_CASES = [
    (dt.date(2026, 3, 18), "Asia/Shanghai", "2026-03-18T00:00:00+08:00"),
    (dt.datetime(2026, 3, 18, 9, 30), "Asia/Shanghai", "2026-03-18T09:30:00+08:00"),
    (dt.datetime(2026, 3, 18, 20, 0, tzinfo=UTC), "Asia/Shanghai", "2026-03-19T04:00:00+08:00"),
    (dt.datetime(2026, 3, 18, 9, 30), "UTC", "2026-03-18T09:30:00+00:00"),
    (dt.date(2026, 7, 1), "Europe/Berlin", "2026-07-01T00:00:00+02:00"),  # summer time
    (dt.date(2026, 1, 1), "Europe/Berlin", "2026-01-01T00:00:00+01:00"),
    (dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))), "America/New_York", "2026-03-17T21:30:00-04:00"),
]


@pytest.mark.parametrize(("value", "zone", "expected"), ZONE_CASES)
def test_values_are_placed_in_the_site_zone(value, zone: str, expected: str) -> None:
    assert site_time(value, ZoneInfo(zone)).isoformat() == expected


# (UTC time of the build, site zone, today there)
TODAY_CASES = [
    (dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "Asia/Shanghai", dt.date(2026, 12, 2)),
    (dt.datetime(2026, 12, 1, 15, 59, tzinfo=UTC), "Asia/Shanghai", dt.date(2026, 12, 1)),
    (dt.datetime(2026, 12, 1, 16, 0, tzinfo=UTC), "Asia/Shanghai", dt.date(2026, 12, 2)),
    (dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "UTC", dt.date(2026, 12, 1)),
    (dt.datetime(2026, 12, 2, 3, 0, tzinfo=UTC), "America/Los_Angeles", dt.date(2026, 12, 1)),
]


@pytest.mark.parametrize(("now", "zone", "today"), TODAY_CASES)
def test_today_is_the_date_in_the_site_zone(tmp_path: Path, now: dt.datetime, zone: str, today: dt.date) -> None:
    (tmp_path / "site.toml").write_text(f'title = "x"\ntimezone = "{zone}"\n', encoding="utf-8")
    assert site_today(tmp_path, now) == today


def _article(front: str, body: str = "正文。") -> str:
    return f"---\ntitle: 标题\ncity: 深圳\ntopic: 医保\n{front}\n---\n\n{body}\n"


def test_a_build_at_2330_utc_publishes_an_article_dated_the_next_day_in_beijing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content/yibao").mkdir(parents=True)
    (site / "site.toml").write_text('title = "x"\n', encoding="utf-8")
    (site / "content/yibao/a.md").write_text(_article("date: 2026-12-02"), encoding="utf-8")
    today = site_today(site, dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    loaded = load_content(site, today=today, zone=SHANGHAI)
    assert [a.path for a in loaded.articles] == ["content/yibao/a.md"] and loaded.skipped_future == 0
    in_utc = load_content(site, today=dt.date(2026, 12, 1), zone=ZoneInfo("UTC"))
    assert in_utc.articles == [] and in_utc.skipped_future == 1


# (front matter lines, build date, published?) — publishDate holds back, expiryDate withdraws
WINDOW_CASES = [
    ("date: 2026-11-01", dt.date(2026, 11, 24), "published"),
    ("date: 2026-11-25", dt.date(2026, 11, 24), "future"),
    ("date: 2026-11-24T23:59:00+08:00", dt.date(2026, 11, 24), "published"),  # by the day, in the site's zone
    ("date: 2026-11-24T16:30:00Z", dt.date(2026, 11, 24), "future"),  # 00:30 on the 25th in Beijing
    ("date: 2026-11-01\npublishDate: 2026-12-01", dt.date(2026, 11, 24), "future"),
    ("date: 2026-11-01\npublishdate: 2026-11-24", dt.date(2026, 11, 24), "published"),
    ("date: 2026-11-01\nexpiryDate: 2026-11-24", dt.date(2026, 11, 24), "expired"),
    ("date: 2026-11-01\nexpiryDate: 2026-11-25 08:00", dt.date(2026, 11, 24), "published"),
    ("date: 2026-11-01\nexpirydate: 2026-01-01", dt.date(2026, 11, 24), "expired"),
]


@pytest.mark.parametrize(("front", "today", "state"), WINDOW_CASES)
def test_publication_window(tmp_path: Path, front: str, today: dt.date, state: str) -> None:
    (tmp_path / "content/yibao").mkdir(parents=True)
    (tmp_path / "content/yibao/a.md").write_text(_article(front), encoding="utf-8")
    loaded = load_content(tmp_path, today=today, zone=SHANGHAI)
    assert not loaded.problems
    found = "published" if loaded.articles else "future" if loaded.skipped_future else "expired" if loaded.skipped_expired else "?"
    assert found == state


def test_same_day_news_sorts_by_time_and_feeds_carry_the_offset(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    for name, date in [("a-morning", "2026-11-20 08:00"), ("b-evening", "2026-11-20T20:00:00+08:00"), ("c-noon", "2026-11-20T04:00:00Z")]:
        (site / f"content/yibao/{name}.md").write_text(_article(f"date: {date}", "今天的新闻正文，写得足够长，可以生成一段摘要用于列表和订阅。"), encoding="utf-8")
    build_site(site)
    feed = (site / "public/feed.xml").read_text(encoding="utf-8")
    order = sorted(("b-evening", "c-noon", "a-morning"), key=lambda name: feed.index(f"/yibao/{name}/"))
    assert order == ["b-evening", "c-noon", "a-morning"]  # the feed lists newest first, as every list does
    assert "<published>2026-11-20T20:00:00+08:00</published>" in feed
    assert "<published>2026-11-20T12:00:00+08:00</published>" in feed  # 04:00Z shown in the site's zone
    page = soup_of(site / "public/yibao/b-evening/index.html")
    assert page.find("meta", property="article:published_time")["content"] == "2026-11-20T20:00:00+08:00"
    assert "2026\u5e7411\u670820\u65e5" in page.select_one(".article-meta").get_text()  # date_cn still prints the date


# --- front matter: formats and keys ---------------------------------------------------------

# (file text, {field: expected value} of the article, or the start of the one error and its line)
FRONT_MATTER_CASES = [
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\n---\n正文\n", {"title": "T", "date": dt.date(2026, 3, 18)}),
    (
        "+++\ntitle = \"T\"\ndate = 2026-03-18T09:30:00+08:00\ncity = \"深圳\"\ntopic = \"医保\"\n+++\n正文\n",
        {"date": dt.date(2026, 3, 18), "written": dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))},
    ),
    ("+++\ntitle = \"T\"\ndate = 2026-03-18\ncity = \"深圳\"\ntopic = \"医保\"\ntags = [\"a\", \"b\"]\n+++\n正文\n", {"tags": ["a", "b"]}),
    ('{\n  "title": "T",\n  "date": "2026-03-18 09:30",\n  "city": "深圳",\n  "topic": "医保"\n}\n正文\n', {"written": dt.datetime(2026, 3, 18, 9, 30)}),
    ('{"title": "T", "date": "2026-03-18", "city": "深圳", "topic": "医保"}\n\n正文\n', {"title": "T"}),
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\ndescription: 摘要文字\n---\n正文\n", {"summary": "摘要文字"}),
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\nlastmod: 2026-04-01\n---\n正文\n", {"updated": dt.date(2026, 4, 1)}),
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\naliases: /old/\n---\n正文\n", {"aliases": ["/old/"]}),
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\naliases: [/a/, /b/]\n---\n正文\n", {"aliases": ["/a/", "/b/"]}),
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\nkeywords: [医保, 门诊]\n---\n正文\n", {"keywords": ("医保", "门诊")}),
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\npublishDate: 2026-04-01\n---\n正文\n", {"publish_date": dt.date(2026, 4, 1)}),
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\ntags: [\u201c医保卡\u201d]\n---\n正文\n", {"tags": ["医保卡"]}),
    ("---\ntitle: T\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\ntags: [\u201c医保卡\u201d\uff0c\u201c报销\u201d]\n---\n正文\n", {"tags": ["医保卡", "报销"]}),
    ("+++\ntitle = T\n+++\n正文\n", ("头部信息不是有效的 TOML", 2)),
    ("+++\ntitle = \"T\"\n正文\n", ("头部信息没有结束", 1)),
    ('{\n  "title": "T",\n  "date": "2026-03-18"\n  "city": "深圳"\n}\n正文\n', ("头部信息不是有效的 JSON", 4)),
    ("+++\ntitle = \"T\"\ndate = 2026-03-18\ncity = \"深圳\"\n+++\n正文\n", ("topic: 缺少必填字段", None)),
    ("+++\ntitle = \"T\"\ndate = \"2026/03/18\"\ncity = \"深圳\"\ntopic = \"医保\"\n+++\n正文\n", ("date: 日期格式应为", 3)),
    ('{\n  "title": "T",\n  "date": "18.03.2026",\n  "city": "深圳",\n  "topic": "医保"\n}\n', ("date: 日期格式应为", 3)),
    ("---\ntitle: T\nlastmod: 2026/04/01\ndate: 2026-03-18\ncity: 深圳\ntopic: 医保\n---\n正文\n", ("updated: 日期格式应为", 3)),
]


@pytest.mark.parametrize(("text", "expected"), FRONT_MATTER_CASES)
def test_front_matter_formats_and_keys(text: str, expected) -> None:
    parsed = parse_article("content/yibao/a.md", text.encode("utf-8"))
    if isinstance(expected, tuple):
        message, line = expected
        assert isinstance(parsed, list)
        errors = [p for p in parsed if p.severity == "error"]
        assert len(errors) == 1 and errors[0].message.startswith(message), errors
        assert errors[0].line == line
        return
    assert isinstance(parsed, ArticleSource), parsed
    for name, value in expected.items():
        assert getattr(parsed.front_matter, name) == value
    assert parsed.body.startswith("正文")


# (front matter lines or body, fragment of the one warning, its line)
WARNING_CASES = [
    ("title: 标题 #1", "\u201c #\u201d及之后的文字被 YAML 当作注释删掉了\uff08只剩\u201c标题\u201d\uff09", 2),
    ("summary: 摘要写完了 # 待审", "summary: \u201c #\u201d", 2),
    ("tags: [\u201c医保卡\u201d]", "tags: \u201c医保卡\u201d 带着全角引号\uff0c已去掉", 2),
    ("city: \u300c深圳\u300d", "city: \u300c深圳\u300d 带着全角引号", 2),
]


@pytest.mark.parametrize(("line", "fragment", "at"), WARNING_CASES)
def test_editor_mistakes_in_front_matter_are_warned_of_on_their_line(line: str, fragment: str, at: int) -> None:
    key = line.partition(":")[0]
    base = {"title": "title: 标题", "date": "date: 2026-03-18", "city": "city: 深圳", "topic": "topic: 医保"}
    base[key] = line
    text = "---\n" + line + "\n" + "\n".join(v for k, v in base.items() if k != key) + "\n---\n正文\n"
    parsed = parse_article("content/yibao/a.md", text.encode("utf-8"))
    assert isinstance(parsed, ArticleSource), parsed
    assert [(w.line, w.severity) for w in parsed.warnings if fragment in w.message] == [(at, "warning")], parsed.warnings


def test_a_comment_after_a_value_that_is_not_text_is_no_mistake() -> None:
    parsed = parse_article("content/yibao/a.md", _article("date: 2026-03-18\ndraft: false  # 审核后发布\ntitle_note: x").encode("utf-8"))
    assert isinstance(parsed, ArticleSource) and parsed.warnings == ()


# (body, fragment of the warning or None, its line in a file whose body starts on line 8)
BODY_CASES = [
    ('{{< figure src="/img/x.png" >}}', "Hugo 短代码 {{< figure >}}", 8),
    ("前文\n\n{{% ref \"x.md\" %}}", "Hugo 短代码 {{% ref %}}", 10),
    ("```\n{{< figure >}}\n```", None, None),  # code shows a shortcode on purpose
    ("\uff08导语\uff0c待写\uff09开头先回答", "sitegen new 生成的占位文字", 8),
    ("正文\n\n## 一\u3001\u2026\n", "sitegen new 生成的占位文字", 10),
    ("正文写完了。", None, None),
]


@pytest.mark.parametrize(("body", "fragment", "line"), BODY_CASES)
def test_body_leftovers_are_warned_of(body: str, fragment: str | None, line: int | None) -> None:
    parsed = parse_article("content/yibao/a.md", _article("date: 2026-03-18", body).encode("utf-8"))
    assert isinstance(parsed, ArticleSource)
    assert [(w.line, w.severity) for w in parsed.warnings if fragment and fragment in w.message] == ([(line, "warning")] if fragment else [])
    if fragment is None:
        assert parsed.warnings == ()


def test_the_skeleton_of_a_draft_is_no_mistake() -> None:
    parsed = parse_article("content/yibao/a.md", _article("date: 2026-03-18\ndraft: true", "\uff08导语\uff0c待写\uff09").encode("utf-8"))
    assert isinstance(parsed, ArticleSource) and parsed.warnings == ()


def test_a_front_matter_error_does_not_hide_the_body_problems() -> None:
    text = "---\ntitle: 标题\ndate: 2026-02-30\ncity: 深圳\ntopic: 医保\n---\n\n{{< figure >}}\n"
    parsed = parse_article("content/yibao/a.md", text.encode("utf-8"))
    assert isinstance(parsed, list)
    assert [(p.line, p.severity) for p in parsed] == [(3, "error"), (8, "warning")]


# --- base paths ------------------------------------------------------------------------------

# (body HTML, link targets, base path, expected)
BASE_PATH_CASES = [
    ('<img src="/img/x.png">', (), "/health", '<img src="/health/img/x.png">'),
    ('<a href="/topics/yibao/">医保</a>', (), "/health", '<a href="/health/topics/yibao/">医保</a>'),
    ('<a href="/health/topics/yibao/">医保</a>', (), "/health", '<a href="/health/topics/yibao/">医保</a>'),
    ('<a href="/healthy/">x</a>', (), "/health", '<a href="/health/healthy/">x</a>'),
    ('<a href="//cdn.example.cn/x.js">x</a>', (), "/health", '<a href="//cdn.example.cn/x.js">x</a>'),
    ('<a href="https://example.cn/">x</a>', (), "/health", '<a href="https://example.cn/">x</a>'),
    ('<a href="#fn1">1</a>', (), "/health", '<a href="#fn1">1</a>'),
    ('<a href="../x/">x</a>', (), "/health", '<a href="../x/">x</a>'),
    ('<img src="/img/x.png">', (), "", '<img src="/img/x.png">'),
    ('<a href="x.md">x</a>', (("x.md", "/health/yibao/x/"),), "/health", '<a href="/health/yibao/x/">x</a>'),
    ('<a href="/yibao/x.md">x</a>', (("/yibao/x.md", "/health/yibao/x/"),), "/health", '<a href="/health/yibao/x/">x</a>'),
    ('<a href="a.md?x=1&amp;y=2">x</a>', (("a.md?x=1&y=2", "/a/"),), "", '<a href="/a/">x</a>'),
]


@pytest.mark.parametrize(("html", "targets", "prefix", "expected"), BASE_PATH_CASES)
def test_body_links_get_the_base_path(html: str, targets, prefix: str, expected: str) -> None:
    assert body_links(html, targets, prefix) == expected


def test_a_site_under_a_subpath_prefixes_body_links_and_check_accepts_them(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    (site / "static/img").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (200, 100), (10, 120, 90)).save(site / "static/img/x.png")
    path = site / "content/yibao/shenzhen-duanjiao.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n![图](/img/x.png) 见[医保栏目](/topics/yibao/)。\n", encoding="utf-8")
    build_site(site, base_url="https://x.cn/health/")
    page = soup_of(site / "public/yibao/shenzhen-duanjiao/index.html")
    assert page.select_one(".article-body img")["src"].startswith("/health/_images/x-")  # /img/x.png, made into variants
    assert page.select_one(".article-body a[href='/health/topics/yibao/']") is not None
    problems = check_site(site, base_url="https://x.cn/health/")
    assert not [p for p in problems if "/topics/yibao/" in p.message or "/img/x.png" in p.message], problems


# --- check FILE…, baseline, unknown keys ---------------------------------------------------------


def test_check_warns_of_unknown_keys_with_the_closest_known_one(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    (site / "site.toml").write_text((site / "site.toml").read_text(encoding="utf-8").replace(
        "paginate = 2", 'paginate = 2\nparams_keys = ["weight"]'), encoding="utf-8")  # fmt: skip
    (site / "content/yibao/x.md").write_text(
        _article("date: 2026-03-18\ndescripton: 摘要\nweight: 3\nreviewed_by: 王医生\ncategories: [x]"), encoding="utf-8"
    )
    problems = [p for p in check_site(site) if p.path == "content/yibao/x.md" and "不认识这个字段" in p.message]
    assert [(p.line, p.message.split(":")[0], "description" in p.message) for p in problems] == [(6, "descripton", True), (9, "categories", False)]


def test_check_files_prints_only_their_problems_and_a_baseline_hides_known_warnings(tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path, "check_site")
    monkeypatch.chdir(site)
    everything = CliRunner().invoke(main, ["check", "--format", "json"])
    records = json.loads(everything.output)
    files = sorted({r["file"] for r in records if r["file"].startswith("content/")})
    one = files[0]
    only = json.loads(CliRunner().invoke(main, ["check", "--format", "json", one]).output)
    assert only and {r["file"] for r in only} == {one}
    with_config = json.loads(CliRunner().invoke(main, ["check", "--format", "json", one, "site.toml"]).output)
    assert len(with_config) == len(records)  # a setting can break any page
    written = CliRunner().invoke(main, ["check", "--write-baseline", "baseline.json"])
    assert "基线文件" in written.output
    quiet = json.loads(CliRunner().invoke(main, ["check", "--format", "json", "--baseline", "baseline.json"]).output)
    assert quiet == [r for r in records if r["severity"] == "error"]
    broken = CliRunner().invoke(main, ["check", "--baseline", "missing.json"])
    assert broken.exit_code == 1 and "无法读取基线文件" in broken.output


# --- a site moved from Hugo ------------------------------------------------------------------------


def test_the_hugo_site_builds_with_the_expected_warnings_and_no_errors(tmp_path: Path) -> None:
    site = make_site(tmp_path, "hugo_site")
    result = build_site(site, today=dt.date(2026, 12, 1))
    assert [(w.path, w.line) for w in result.warnings if "短代码" in w.message] == [("content/yibao/menzhen-baoxiao.md", 21)]
    public = site / "public"
    page = soup_of(public / "yibao/menzhen-baoxiao/index.html")
    assert page.find("meta", attrs={"name": "description"})["content"].startswith("深圳职工医保门诊报销的比例")  # description
    assert page.find("meta", property="article:modified_time")["content"] == "2026-11-22T18:00:00+08:00"  # lastmod
    assert page.select_one(".callout-warning .callout-title").get_text() == "特别提醒"  # [callouts] in site.toml
    assert page.select_one(".article-body img")["src"].startswith("/health/_images/menzhen-")  # /img/menzhen.png, from static/
    assert "/health/posts/menzhen/ /health/yibao/menzhen-baoxiao/" in " ".join((public / "_redirects").read_text().split())
    card = soup_of(public / "topics/yibao/index.html").select_one(".card:has(a[href='/health/yibao/yidi-beian/'])")
    assert card is not None and "需要的材料" not in card.get_text() and "几分钟就能完成" in card.get_text()  # <!--more-->
    assert "figure" not in soup_of(public / "index.html").get_text()  # no shortcode in an excerpt
    for left_out in ("fashao", "yimiao"):  # expired, and published in 2027
        assert not any(left_out in p.read_text(encoding="utf-8", errors="replace") for p in public.rglob("*") if p.is_file())
    problems = check_site(site, today=dt.date(2026, 12, 1))
    assert [p for p in problems if p.severity == "error"] == []
    assert sorted(p.message.split("\uff0c")[0] for p in problems) == sorted([
        "categories: sitegen 不认识这个字段",
        "正文中有 Hugo 短代码 {{< figure >}}",
    ])  # fmt: skip
    assert (FIXTURES / "hugo_site/content/yibao/menzhen-baoxiao.md").read_text(encoding="utf-8").startswith("+++\n")


# --- redirects -----------------------------------------------------------------------------------


def test_static_redirects_join_the_alias_rules_and_html_redirect_pages_are_written_on_request(tmp_path: Path) -> None:
    site = make_site(tmp_path, "hugo_site")
    (site / "static/_redirects").write_text("/api/*  https://api.example.cn/:splat  200", encoding="utf-8")
    (site / "site.toml").write_text((site / "site.toml").read_text(encoding="utf-8") + "\n[redirects]\nhtml = true\n", encoding="utf-8")
    build_site(site, today=dt.date(2026, 12, 1))
    rules = (site / "public/_redirects").read_text(encoding="utf-8").splitlines()
    assert [r.split() for r in rules] == [
        ["/health/posts/menzhen/", "/health/yibao/menzhen-baoxiao/", "301"],  # the aliases' first: Netlify takes the first match
        ["/api/*", "https://api.example.cn/:splat", "200"],
    ]
    page = soup_of(site / "public/posts/menzhen/index.html")
    target = "https://hugo.example.cn/health/yibao/menzhen-baoxiao/"
    assert page.find("meta", attrs={"http-equiv": "refresh"})["content"] == f"0; url={target}"
    assert page.find("link", rel="canonical")["href"] == target and page.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert page.find("script") is None
    assert "posts/menzhen" not in (site / "public/sitemap.xml").read_text(encoding="utf-8")
    assert not [p for p in check_site(site, today=dt.date(2026, 12, 1)) if "_redirects" in p.path]


def test_a_url_that_changed_since_the_last_build_suggests_the_alias(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    build_site(site)
    path = site / "content/ertong/shizhen.md"
    path.write_text(path.read_text(encoding="utf-8").replace("topic: 儿童健康", "topic: 医保"), encoding="utf-8")
    moved = [w for w in build_site(site).warnings if "网址从" in w.message]
    assert [(w.path, w.message.split("\uff1b")[1]) for w in moved] == [
        ("content/ertong/shizhen.md", "请在头部信息中加上 aliases: [ertong/shizhen/]\uff08已有 aliases 的\uff0c把它加进列表\uff09")
    ]
    path.write_text(path.read_text(encoding="utf-8").replace("topic: 医保", "topic: 医保\naliases: [ertong/shizhen/]"), encoding="utf-8")
    assert not [w for w in build_site(site).warnings if "网址从" in w.message]


def test_check_warns_of_links_to_expired_and_not_yet_published_articles_and_of_doubled_hugo_keys(tmp_path: Path) -> None:
    site = make_site(tmp_path, "hugo_site")
    (site / "content/yibao/lianjie.md").write_text(_article(
        "date: 2026-11-01\ndescription: 链接到已下线和未发布文章的测试文章摘要写得足够长。\nsummary: 两个都写时只用这一个摘要，这一行写得也足够长，超过三十个字的下限了。",
        "见[发烧](../ertong/fashao.md)和[疫苗](../ertong/yimiao.md)。",
    ), encoding="utf-8")  # fmt: skip
    problems = [p for p in check_site(site, today=dt.date(2026, 12, 1)) if p.path == "content/yibao/lianjie.md"]
    messages = sorted(p.message.split("\uff1b")[0] for p in problems)
    assert messages == [
        "description: 与 summary 意思相同\uff0c两个都写时只用 summary",
        "链接 ../ertong/fashao.md 指向的 content/ertong/fashao.md 已过下线日期\uff08expiryDate\uff09\uff0c网站上已没有这篇文章",
        "链接 ../ertong/yimiao.md 指向的 content/ertong/yimiao.md 要到 2027-01-01 才发布",
    ], problems


def test_a_hugo_page_bundle_takes_its_folder_name(tmp_path: Path) -> None:
    site = make_site(tmp_path, "hugo_site")
    build_site(site, today=dt.date(2026, 12, 1))
    assert (site / "public/yibao/shengyu-jintie/index.html").is_file()
    assert not (site / "public/yibao/index").exists()
