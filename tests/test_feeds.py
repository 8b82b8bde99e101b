"""Atom feeds, sitemap and robots.txt: well-formed XML listing the right URLs."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from sitegen.feeds import SITEMAP_LIMIT, sitemap_pages
from sitegen.model import Page

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://test.example.cn"


def test_sitemap_lists_every_page_with_lastmod(built_basic: Path) -> None:
    root = ET.parse(built_basic / "sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    entries = {u.find(f"{SM}loc").text: u.find(f"{SM}lastmod").text for u in root}
    html_pages = {
        p.relative_to(built_basic).as_posix()
        for p in built_basic.rglob("index.html")
        if not p.relative_to(built_basic).as_posix().startswith("search/")
    }
    expected = {BASE + "/" + (path[: -len("index.html")]) for path in html_pages}
    assert set(entries) == expected
    assert entries[f"{BASE}/yibao/shenzhen-duanjiao/"] == "2026-05-02T00:00:00+08:00"  # a date alone is its midnight in the site's zone
    assert all(dt.datetime.fromisoformat(v).utcoffset() is not None for v in entries.values())


def test_robots_names_the_sitemap(built_basic: Path) -> None:
    assert f"Sitemap: {BASE}/sitemap.xml" in (built_basic / "robots.txt").read_text(encoding="utf-8")


def test_site_feed_and_topic_feeds(built_basic: Path) -> None:
    feed = ET.parse(built_basic / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert len(links) == 6 and links[0] == f"{BASE}/ertong/shiwu-guomin/"
    assert feed.find(f"{ATOM}updated").text.startswith("2026-05-02")
    topic = ET.parse(built_basic / "topics/ertong/feed.xml").getroot()
    titles = [e.find(f"{ATOM}title").text for e in topic.findall(f"{ATOM}entry")]
    assert titles == ["孩子食物过敏有哪些表现", "宝宝湿疹反复怎么护理"]
    self_link = next(link for link in topic.findall(f"{ATOM}link") if link.get("rel") == "self")
    assert self_link.get("href") == f"{BASE}/topics/ertong/feed.xml"


def test_sitemap_index_past_the_protocol_limit(built_basic: Path) -> None:
    from sitegen.config import load_config
    from sitegen.model import Site

    config = load_config(built_basic.parent)
    site = Site(config, (), (), {}, (), (), dt.date(2026, 1, 1))
    pages = [Page(f"a/{i}/index.html", b"", f"/a/{i}/", dt.date(2026, 1, 1)) for i in range(SITEMAP_LIMIT + 5)]
    result = sitemap_pages(site, pages)
    assert [p.path for p in result] == ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml"]
    index = ET.fromstring(result[0].content)
    assert index.tag == f"{SM}sitemapindex"
    assert [s.find(f"{SM}loc").text for s in index] == [f"{BASE}/sitemap-1.xml", f"{BASE}/sitemap-2.xml"]
    assert len(ET.fromstring(result[1].content)) == SITEMAP_LIMIT
    assert len(ET.fromstring(result[2].content)) == 5
