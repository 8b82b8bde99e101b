"""Search relevance on random queries, judged by a substring oracle, in Chromium.

    python benchmarks/search_oracle.py SITE [--queries 100] [--seed 1] [--kinds words,joined,fragments]
    python benchmarks/search_oracle.py SITE --query 甲流 --query "孩子 甲流" …

SITE is a site folder built with search on (its public/ is served as Netlify would serve it).
Queries are drawn at random from the site itself, so they are not the ones our tests judge:

- words: Chinese words of the index's word list (sitegen-words.json), what the 大家都在搜 terms
  and most typed queries are;
- joined: two words a body has side by side typed as one, the second the start of a longer word
  there (医疗|保险 typed 医疗保险 where an article says 医疗|保险费): jieba cuts them differently
  in the query and in the article;
- fragments: 2-5 characters cut at random out of a run of Chinese text, most of them no word at
  all (关于医, 险报): shown for comparison, not a reader's query.

- given: `--query Q` (repeatable), queries of your own instead of drawn ones: a medicine or a
  term you expect readers to type; each is printed with its figures, not only when short.

An article is relevant when its title, tags, topic or body holds every word of the query (split
at spaces; NFKC, simplified, lower case, as tests/test_search_second_site.py judges). Prints mean precision@10 and mean
recall for each kind, with the queries short of 1.0 on either.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the test suite's server, search page driver and oracle

import frontmatter  # noqa: E402
import rjieba  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from conftest import CHROMIUM_ARGS  # noqa: E402
from search_site import SearchPage, compared, holds, precision_and_recall, serving  # noqa: E402
from sitegen.cache import CACHE_DIR, BuildCache  # noqa: E402
from sitegen.config import site_today  # noqa: E402
from sitegen.loader import load_site  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--queries", type=int, default=100, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default="words,joined,fragments")
    parser.add_argument("--query", action="append", default=[], help="a query of your own (repeatable); replaces --kinds")
    args = parser.parse_args()
    site = args.site.resolve()
    texts, bodies = _articles(site)
    words = json.loads((site / "public/pagefind/sitegen-words.json").read_text(encoding="utf-8"))["words"].split()
    rng = random.Random(args.seed)
    makers = {"words": _words_queries, "joined": _joined_queries, "fragments": _fragment_queries}
    if args.query:
        kinds = {"given": args.query}
    else:
        kinds = {kind: makers[kind](rng, args.queries, words, texts, bodies) for kind in args.kinds.split(",")}
    with sync_playwright() as playwright, serving(site / "public") as base:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = SearchPage(browser, base)
        page.open()
        for kind, queries in kinds.items():
            rows = []
            for query in queries:
                relevant = {url for url, text in texts.items() if all(holds(text, compared(word)) for word in query.split())}
                if not relevant:
                    if kind == "given":
                        print(f"  {query}: no article holds it")
                    continue
                page.search(query)
                rows.append((query, relevant, [url for url in page.all_results() if url in texts]))
                if kind == "given":
                    print(f"  {query}: {_figures(*rows[-1])}")
            if not rows:
                continue
            precision, recall, misses = precision_and_recall(rows)
            print(f"{kind}: {len(rows)} queries, mean P@10 {precision:.3f}, mean recall {recall:.3f}")
            for miss in misses:
                print(f"  {miss}")
        if page.errors:
            print("page errors:", *page.errors, sep="\n  ")
        browser.close()


def _figures(query: str, relevant: set[str], results: list[str]) -> str:
    """One query's figures, and the relevant articles it missed."""
    top = results[:10]
    precision = sum(url in relevant for url in top) / len(top) if top else 0.0
    missed = sorted(relevant - set(results))
    return f"{len(relevant)} relevant, {len(results)} found, P@10 {precision:.2f}, recall {1 - len(missed) / len(relevant):.2f}" + (
        f", missed {' '.join(missed)}" if missed else ""
    )


def _articles(site: Path) -> tuple[dict[str, str], list[str]]:
    """Each published article's URL with its searchable text as the oracle compares it, and its bodies."""
    # The site's own loader, reading the last build's cache: the URLs exactly as the build made them.
    loaded = load_site(site, BuildCache.load(site / CACHE_DIR, discard=False), today=site_today(site), jobs=1)
    texts, bodies = {}, []
    for article in loaded.raise_problems().model.site.articles:
        # Read again: sources that come from the build cache hold no body.
        body = frontmatter.load(site / article.source_path).content
        texts[article.url] = compared(" ".join([article.title, *article.tags, article.topic, body]))
        bodies.append(body)
    return texts, bodies


def _words_queries(rng, count, words, texts, bodies) -> list[str]:
    han = sorted(word for word in words if _HAN_RUN.fullmatch(word))
    return sorted(rng.sample(han, min(count, len(han))))


def _joined_queries(rng, count, words, texts, bodies) -> list[str]:
    vocabulary = set(words)
    joined = set()
    for body in bodies:
        cut = rjieba.cut(body)
        for first, second in pairwise(cut):
            if len(first) >= 2 and len(second) >= 3 and _HAN_RUN.fullmatch(first) and _HAN_RUN.fullmatch(second):
                for size in range(2, len(second)):
                    if second[:size] in vocabulary and first + second[:size] not in vocabulary:
                        joined.add(first + second[:size])
    return sorted(rng.sample(sorted(joined), min(count, len(joined))))


def _fragment_queries(rng, count, words, texts, bodies) -> list[str]:
    runs = [match.group() for text in texts.values() for match in _HAN_RUN.finditer(text)]
    fragments: set[str] = set()
    while len(fragments) < count:
        run = rng.choice(runs)
        size = rng.randint(2, min(5, len(run)))
        at = rng.randint(0, len(run) - size)
        fragments.add(run[at : at + size])
    return sorted(fragments)


if __name__ == "__main__":
    main()
