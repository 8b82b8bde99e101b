"""Lighthouse on a built site served as Netlify serves it (search_phone.serve: netlify.toml's
headers, compressed text), mobile (Lighthouse's default: simulated Slow 4G, 4x CPU) and desktop.

    npm install --prefix /tmp/lh lighthouse
    python benchmarks/lighthouse.py public [--lighthouse /tmp/lh/node_modules/.bin/lighthouse]
        [--page /search/?q=医保 --page / --page /yibao/<slug>/] [--runs 1] [--json-dir DIR]

Prints, for each page and preset, the four category scores, CLS, LCP, TBT and Lighthouse's
benchmark index of this machine (a loaded machine scores lower: read that column too), and the
audits that failed. Chromium is Debian's (CHROME_PATH, /usr/bin/chromium unless set).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_phone import serve

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync"


def _default_pages(out: Path) -> list[str]:
    articles = sorted(path for path in out.glob("*/*/index.html") if 'og:type" content="article"' in path.read_text(encoding="utf-8"))
    article = "/" + articles[0].parent.relative_to(out).as_posix() + "/" if articles else None
    return ["/search/?q=医保", "/"] + ([article] if article else [])


def run_once(lighthouse: str, url: str, preset: str, json_path: Path) -> dict:
    command = [
        lighthouse,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={json_path}",
        f"--chrome-flags={FLAGS}",
        "--only-categories=" + ",".join(CATEGORIES),
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return json.loads(json_path.read_text(encoding="utf-8"))


def summary(report: dict) -> dict:
    audits = report["audits"]
    row = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    row["cls"] = audits["cumulative-layout-shift"]["numericValue"]
    row["lcp"] = audits["largest-contentful-paint"]["numericValue"]
    row["tbt"] = audits["total-blocking-time"]["numericValue"]
    row["benchmark"] = report.get("environment", {}).get("benchmarkIndex", 0)
    row["failed"] = sorted(
        audit["id"]
        for audit in audits.values()
        if audit.get("score") is not None and audit["score"] < 0.9 and audit.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="a built site's output folder (public/)")
    parser.add_argument("--lighthouse", default=shutil.which("lighthouse") or "/tmp/lh/node_modules/.bin/lighthouse")
    parser.add_argument("--page", action="append", help="a path to test (repeatable; default: search, home, one article)")
    parser.add_argument("--preset", action="append", choices=("mobile", "desktop"), help="default: both")
    parser.add_argument("--runs", type=int, default=1, help="runs per page and preset; the median run's scores are shown")
    parser.add_argument("--json-dir", type=Path, help="keep Lighthouse's reports here")
    args = parser.parse_args()
    pages = args.page or _default_pages(args.out)
    presets = args.preset or ["mobile", "desktop"]
    keep = args.json_dir or Path(tempfile.mkdtemp(prefix="lighthouse-"))
    keep.mkdir(parents=True, exist_ok=True)
    print(f"{'page':<40} {'preset':<8} perf a11y bp  seo  CLS    LCP ms  TBT ms bench  failed audits")
    with serve(args.out) as base:
        for page in pages:
            for preset in presets:
                rows = []
                for run in range(args.runs):
                    name = f"{quote(page, safe='').replace('%', '')[:60] or 'root'}-{preset}-{run}.json"
                    rows.append(summary(run_once(args.lighthouse, base + quote(page, safe="/?=&"), preset, keep / name)))
                rows.sort(key=lambda row: row["performance"])
                row = rows[len(rows) // 2]
                spread = ""
                if len(rows) > 1:
                    spread = f" (perf {min(r['performance'] for r in rows)}-{max(r['performance'] for r in rows)}, median LCP {statistics.median(r['lcp'] for r in rows):.0f})"
                print(
                    f"{page:<40} {preset:<8} {row['performance']:>4} {row['accessibility']:>4} {row['best-practices']:>3} {row['seo']:>4}"
                    f"  {row['cls']:.3f} {row['lcp']:>7.0f} {row['tbt']:>7.0f} {row['benchmark']:>5.0f}  {' '.join(row['failed']) or '-'}{spread}",
                    flush=True,
                )
    print(f"reports in {keep}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
