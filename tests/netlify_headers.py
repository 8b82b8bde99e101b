"""netlify.toml's [[headers]] rules, matched against a URL path as Netlify matches them.

The test servers (tests/search_site.py, tests/test_csp.py) and benchmarks/search_phone.py send
a built site with these headers. Netlify's headers parser (packages/headers-parser in
netlify/build, for_regexp.ts) turns each `for` into a pattern segment by segment: `:name` is one
segment, a lone `*` is anything (the segment optional), a `*` inside a segment is any characters
(`/pagefind/*.pf_meta`), and the rest of that segment a regular expression as written (Netlify
escapes nothing there: its dot is any character); any other segment literal; a trailing slash is optional and letter case
is ignored. Every rule that matches applies.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def for_pattern(for_path: str) -> re.Pattern[str]:
    """The pattern Netlify makes of a rule's `for`."""
    parts = []
    for part in (segment.rstrip() for segment in for_path.split("/")):
        if not part:
            continue
        if part.startswith(":"):
            parts.append("([^/]+)")
        elif part == "*":
            parts.append("?(.*)")
        else:
            parts.append(part.replace("*", "(.*)") if "*" in part else re.escape(part))
    return re.compile(f"^/{'/'.join(parts)}/?$", re.IGNORECASE)


@cache
def rules(config: Path = REPO / "netlify.toml") -> tuple[tuple[re.Pattern[str], str, dict[str, str]], ...]:
    """Each [[headers]] rule: its pattern, its `for`, its values."""
    tables = tomllib.loads(config.read_text(encoding="utf-8"))["headers"]
    return tuple((for_pattern(table["for"]), table["for"], table["values"]) for table in tables)


def matching_rules(path: str) -> list[dict[str, str]]:
    """The header tables of every rule whose `for` matches a URL path (no query), in order."""
    return [values for pattern, _, values in rules() if pattern.match(path)]


def headers_for(path: str) -> dict[str, str]:
    """The headers Netlify sends for a URL path (a query string is ignored)."""
    headers: dict[str, str] = {}
    for values in matching_rules(path.split("?")[0]):
        headers.update(values)
    return headers
