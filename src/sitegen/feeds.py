"""Machine-readable pages: Atom feeds, the sitemap (or sitemap index), robots.txt and Netlify's _headers.

Built with ElementTree rather than templates, so every value is escaped by construction.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Protocol

from .model import Article, Page, Site
from .site import base_path

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_IMAGE = "http://www.google.com/schemas/sitemap-image/1.1"
SITEMAP_LIMIT = 50_000  # URLs per sitemap file, the protocol's limit


class SitemapEntry(Protocol):
    """What the sitemap reads of a page: a Page, or a routes.Route."""

    @property
    def url(self) -> str | None: ...

    @property
    def lastmod(self) -> dt.date | None: ...


def _timestamp(moment: dt.date, zone: dt.tzinfo) -> str:
    """RFC 3339 with the offset: a date alone is its midnight in the site's zone."""
    return _aware(moment, zone).isoformat()


def _aware(moment: dt.date, zone: dt.tzinfo) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    return dt.datetime.combine(moment, dt.time(), zone)


def atom_feed(site: Site, title: str, feed_url: str, page_url: str, articles: Sequence[Article]) -> bytes:
    """An Atom feed of the given articles (newest first) with their excerpts and full text."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": site.config.language})
    ET.SubElement(feed, f"{{{ATOM}}}id").text = site.absolute_url(page_url)
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    zone = site.config.zone
    updated = max((a.modified for a in articles), default=_aware(site.build_date, zone))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _timestamp(updated, zone)
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": site.absolute_url(feed_url)})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": site.absolute_url(page_url)})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = site.config.title
    for article in articles:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = site.absolute_url(article.url)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = article.title
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": site.absolute_url(article.url)})
        ET.SubElement(entry, f"{{{ATOM}}}published").text = _timestamp(article.published_at, zone)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _timestamp(article.modified, zone)
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": article.topic})
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = article.excerpt
        # xml:base: a reader resolves the body's /images/… and a bundle's photo.jpg against the page
        base = {"type": "html", "{http://www.w3.org/XML/1998/namespace}base": site.absolute_url(article.url)}
        ET.SubElement(entry, f"{{{ATOM}}}content", base).text = article.body_html
    return _xml(feed)


def sitemap_pages(site: Site, pages: Sequence[SitemapEntry]) -> list[Page]:
    """sitemap.xml listing every page with a URL; a sitemap index past 50,000 URLs."""
    prefix = base_path(site.config)
    listed = [p for p in pages if p.url is not None]
    chunks = [listed[i : i + SITEMAP_LIMIT] for i in range(0, len(listed), SITEMAP_LIMIT)] or [[]]
    if len(chunks) == 1:
        return [Page("sitemap.xml", _urlset(site, chunks[0]))]
    ET.register_namespace("", SITEMAP)
    index = ET.Element(f"{{{SITEMAP}}}sitemapindex")
    result = []
    for number, chunk in enumerate(chunks, start=1):
        name = f"sitemap-{number}.xml"
        result.append(Page(name, _urlset(site, chunk)))
        entry = ET.SubElement(index, f"{{{SITEMAP}}}sitemap")
        ET.SubElement(entry, f"{{{SITEMAP}}}loc").text = site.absolute_url(f"{prefix}/{name}")
        newest = max(_aware(p.lastmod or site.build_date, site.config.zone) for p in chunk)
        ET.SubElement(entry, f"{{{SITEMAP}}}lastmod").text = newest.isoformat()
    return [Page("sitemap.xml", _xml(index)), *result]


def _urlset(site: Site, pages: Sequence[SitemapEntry]) -> bytes:
    # Written as text, not through ElementTree: a sitemap of 50,000 URLs took a second that way,
    # and a tag edit on a big site rewrites it. Each value is escaped here; the bytes are those
    # ElementTree wrote (tests/test_feeds.py parses them).
    with_images = any(getattr(page, "images", ()) for page in pages)
    namespaces = f' xmlns:image="{SITEMAP_IMAGE}"' if with_images else ""
    parts = ["<?xml version='1.0' encoding='utf-8'?>\n", f'<urlset xmlns="{SITEMAP}"{namespaces}>\n']
    for page in pages:
        loc = _escaped(site.absolute_url(page.url or "/"))
        lastmod = _timestamp(page.lastmod or site.build_date, site.config.zone)
        images = "".join(f"    <image:image>\n      <image:loc>{_escaped(url)}</image:loc>\n    </image:image>\n" for url in getattr(page, "images", ()))
        parts.append(f"  <url>\n    <loc>{loc}</loc>\n    <lastmod>{lastmod}</lastmod>\n{images}  </url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def _escaped(text: str) -> str:
    return _NOT_XML.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def robots_page(site: Site, noindex: bool = False) -> Page:
    """robots.txt: crawl everything and read the sitemap, or with `noindex` crawl nothing."""
    if noindex:
        return Page("robots.txt", b"User-agent: *\nDisallow: /\n")
    prefix = base_path(site.config)
    text = f"User-agent: *\nAllow: /\n\nSitemap: {site.absolute_url(prefix + '/sitemap.xml')}\n"
    return Page("robots.txt", text.encode("utf-8"))


NETLIFY_REDIRECTS = "_redirects"


def redirect_rules(site: Site, existing: bytes = b"") -> bytes:
    """Netlify's _redirects: one rule a line (old path, new path, status), then the site's own
    static/_redirects. Netlify takes the first rule that matches, so a catch-all of the site's
    (`/*  /index.html  200`) cannot hide an article's old URL."""
    rules = "".join(f"{old}  {new}  301\n" for old, new in site.redirects).encode("utf-8")
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    return rules + existing


NETLIFY_HEADERS = "_headers"
# robots.txt stops the crawlers that honour it; the meta tag and this header tell any crawler that
# fetches a file anyway not to list it, the header also for feeds, images and PDFs. Netlify adds
# these rules to netlify.toml's headers.
_NOINDEX_RULE = b"/*\n  X-Robots-Tag: noindex\n"


def noindex_headers_page(existing: bytes = b"") -> Page:
    """Netlify's _headers telling search engines to list no file: the site's own rules, then ours."""
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    return Page(NETLIFY_HEADERS, existing + _NOINDEX_RULE)


# Characters XML 1.0 forbids even as references; ElementTree would write them and make the feed
# unreadable. Articles are checked for them already; this covers settings such as the site title.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(root: ET.Element) -> bytes:
    for element in root.iter():
        if element.text:
            element.text = _NOT_XML.sub("", element.text)
        element.attrib.update({name: _NOT_XML.sub("", value) for name, value in element.attrib.items()})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
