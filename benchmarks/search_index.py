"""Measure the search index step beside the one-core Markdown floor of the same run.

    python benchmarks/search_index.py 1000 10000 [--jobs 2] [--work /tmp/sitegen-search-bench]

For each size it generates the corpus (make_corpus.py), turns search on, and runs `sitegen build
--profile` as a separate process: a cold build, a build after one body edit, one after a tag edit
that adds a tag name jieba cuts (新增标签: every article is searched for it), and one after a touch
that changes no slim page. It prints the index step of each (`--profile`'s "search step":
cutting with jieba, writing the slim pages, Pagefind, which overlaps the pages stage) as seconds and as a multiple of the floor (front matter plus
plain markdown-it-py, one core; run.py's), the whole build's wall time, the index's size and the
word list's size gzipped (what a reader's first query downloads besides Pagefind's own files),
the load average when each build ended, and the cut cache's size on disk and load time.
It also times jieba's dictionary load in a fresh process, and checks that a build with search off
never imports it.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import make_corpus  # noqa: E402
from run import edit_body, edit_tags, run_floor  # noqa: E402

TARGET = 2.0  # the index step at 10,000 articles, as a multiple of the floor (issue 13)

JIEBA_LOAD = """
import time
started = time.perf_counter()
import rjieba
rjieba.cut("医保")
print(time.perf_counter() - started)
"""

NO_SEARCH = """
import sys
from pathlib import Path
from sitegen.build import BuildOptions, build
build(BuildOptions(site_dir=Path(sys.argv[1]), out_dir=Path(sys.argv[2]), search=False, cache=False))
print("rjieba" in sys.modules)
"""


CUT_CACHE_LOAD = """
import sys, time
from pathlib import Path
from sitegen import search
started = time.perf_counter()
cache = search._CutCache.load(Path(sys.argv[1]) / search.CUTS_DIR, search._cut_salt())
print(time.perf_counter() - started, len(cache.entries))
"""


def build(site: Path, jobs: int) -> tuple[float, float, float]:
    """(wall seconds of the build, seconds of its search index stage, the load average after)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--site", str(site), "--search", "--profile", "--jobs", str(jobs)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    # The index's own time (slim pages, then Pagefind beside the pages); older builds had a stage.
    match = re.search(r"search step\s+([\d.]+) (ms|s)\b", done.stdout) or re.search(r"search index\s+([\d.]+) (ms|s)\b", done.stdout)
    seconds = 0.0 if match is None else float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
    return wall, seconds, os.getloadavg()[0]


def measure(count: int, work: Path, jobs: int) -> None:
    site = work / f"corpus-{count}"
    make_corpus(count, site)
    config = site / "site.toml"
    config.write_text(re.sub(r"(?m)^search = false$", "search = true", config.read_text(encoding="utf-8")), encoding="utf-8")
    floor = run_floor(site)
    rows = {"cold build": build(site, jobs)}
    edit_body(site)
    rows["one body edit"] = build(site, jobs)
    edit_tags(site)
    rows["new tag name"] = build(site, jobs)
    touched = sorted((site / "content").rglob("*.md"))[0]
    touched.write_bytes(touched.read_bytes())  # the build runs, no slim page changes
    rows["no slim change"] = build(site, jobs)
    index = site / "public" / "pagefind"
    size = sum(p.stat().st_size for p in index.rglob("*") if p.is_file())
    words = (index / "sitegen-words.json").read_bytes()
    shards = [len(gzip.compress(p.read_bytes())) for p in (index / "sitegen-words").glob("*.txt")]
    print(f"\n{count} articles, {jobs} jobs; floor (front matter + plain markdown-it-py, one core): {floor:.2f} s")
    print(f"{'build':<16}{'wall s':>9}{'index s':>9}{'x floor':>9}{'load':>7}")
    for name, (wall, seconds, load) in rows.items():
        mark = "  ok" if seconds / floor <= TARGET else "  over target"
        print(f"{name:<16}{wall:>9.2f}{seconds:>9.2f}{seconds / floor:>9.2f}{load:>7.2f}{mark if count >= 10000 else ''}")
    print(f"index: {size / 1024:.0f} KiB in {sum(1 for p in index.rglob('*') if p.is_file())} files; "
          f"word list {len(words) / 1024:.0f} KiB, {len(gzip.compress(words)) / 1024:.0f} KiB gzipped, "
          f"in {len(shards)} shards of at most {max(shards, default=0) / 1024:.1f} KiB gzipped (a query fetches those of its characters)")
    cuts = site / ".sitegen-cache" / "search-cuts"
    if cuts.is_dir():
        loads = [subprocess.run([sys.executable, "-c", CUT_CACHE_LOAD, str(site / ".sitegen-cache")], capture_output=True, text=True, check=True).stdout.split() for _ in range(3)]
        on_disk = sum(p.stat().st_size for p in cuts.iterdir() if p.is_file())
        print(f"cut cache: {on_disk / 2**20:.1f} MiB in {sum(1 for _ in cuts.iterdir())} files, "
              f"{int(loads[0][1])} entries, loaded in {min(float(t) for t, _ in loads) * 1000:.0f} ms (best of 3, fresh process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--work", type=Path, default=Path("/tmp/sitegen-search-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    loads = [float(subprocess.run([sys.executable, "-c", JIEBA_LOAD], capture_output=True, text=True, check=True).stdout) for _ in range(3)]
    print(f"jieba (rjieba) import and dictionary load, fresh process: {min(loads) * 1000:.0f} ms (best of 3)")
    for size in args.sizes:
        measure(size, args.work, args.jobs)
        if size == args.sizes[0]:
            site = args.work / f"corpus-{size}"
            out = args.work / "no-search-out"
            loaded = subprocess.run([sys.executable, "-c", NO_SEARCH, str(site), str(out)], capture_output=True, text=True, check=True).stdout.strip()
            print(f"a build with search off imports jieba: {loaded}")
            shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(args.work / f"corpus-{size}", ignore_errors=True)


if __name__ == "__main__":
    main()
