"""Measure sitegen's builds on synthetic corpora against the speed issue's table (issue 12).

    python benchmarks/run.py 1000 10000 30000 [--jobs 2] [--shape skewed|even] [--work /tmp/sitegen-bench]

For each size it generates the corpus (benchmarks/make_corpus.py; by default the skewed shape:
big topics, common tags on a third of the site, skewed cities), measures the floor (front matter
plus plain markdown-it-py, CommonMark and tables, for every article, on one core, in a fresh
process), then runs `sitegen build --profile` as a separate process for each row: with search off
a cold build, no change, one body edit, one tag edit; then, from no cache and no output, with
search on (the default a new site gets) a cold build, no change and one body edit. Each row prints
wall time, CPU time of the process tree, peak RSS of the tree (sampled from /proc every 20 ms) and
pages per second, and its wall time as a multiple of the floor beside the target. It also times
the related-article ranking alone, in this process, and how often 相关推荐 keeps its promise: the
share of same-topic-and-city cards among the first min(count, cluster - 1), where the cluster is
the article's topic and city (全国 excepted) counted by distinct title, since repeated titles are
never shown twice. Sizes of 10,000 and more are compared with 10,000 for growth.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import Shape, make_corpus  # noqa: E402

# Targets as multiples of the floor measured in the same run (None: reported, no target).
FLOOR_TARGETS = {
    "cold build, search off": 1.0,
    "no change": 0.1,
    "one body edit": 0.15,
    "one tag edit": None,
    "cold build, search on": 3.0,
    "no change, search on": 0.1,
    "one body edit, search on": None,  # the index step plus 0.15 x the floor: see body_edit_target()
}
FLOOR_TARGET_SIZES = {10000, 30000}  # where the table holds; other sizes are reported
RELATED_TARGETS = {10000: 0.5, 100000: 8}  # seconds, every article's list
GROWTH_TARGETS = {30000: 3.3, 100000: 11}  # cold build (search off) as a multiple of the 10,000 one
MEMORY_TARGETS = {10000: 600, 30000: 1500, 100000: 3000}  # MB, peak RSS of the process tree
QUALITY_TARGET = 0.9  # share of the cards that could be same topic and city that are
EDIT_MARGIN = 0.15  # an edit with search on may take the index step plus this much of the floor

# The floor: what any generator must do with the same input, on one core.
FLOOR = """
import sys, pathlib, yaml, frontmatter
from markdown_it import MarkdownIt
md, handler = MarkdownIt("commonmark").enable("table"), frontmatter.YAMLHandler()
for path in pathlib.Path(sys.argv[1], "content").rglob("*.md"):
    header, body = handler.split(path.read_text(encoding="utf-8"))
    yaml.load(header, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    md.render(body)
"""


def run_floor(site: Path) -> float:
    """Wall seconds of the floor on this corpus, in a fresh process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR, str(site)], check=True)
    return round(time.perf_counter() - started, 3)


def tree_rss(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    pending.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_build(site: Path, jobs: int, search: bool = False) -> dict:
    """Run one `sitegen build` and measure it."""
    command = [sys.executable, "-m", "sitegen", "build", "--site", str(site), "--jobs", str(jobs), "--profile"]
    command.append("--search" if search else "--no-search")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(process.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, errors = process.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"build failed:\n{errors}")
    pages = int(re.search(r"(\d+) 个页面", output).group(1))
    stages, stages_cpu = {}, {}
    for m in re.finditer(r"^\s+(.+?)\s+([\d.]+) ms(?:\s+CPU\s+([\d.]+) ms)?$", output, re.M):
        stages[m.group(1).strip()] = float(m.group(2)) / 1000
        if m.group(3):
            stages_cpu[m.group(1).strip()] = float(m.group(3)) / 1000
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 3),
        "peak_rss_mb": round(peak / 2**20, 1),
        "pages": pages,
        "pages_per_s": round(pages / wall, 1),
        "stages_s": stages,
        "stages_cpu_s": stages_cpu,
    }


def related_inputs(site: Path) -> tuple[list, object]:
    """What the ranking reads of every article, from the cache a build left, and the site's settings."""
    from sitegen.cache import CACHE_DIR, BuildCache
    from sitegen.config import load_config
    from sitegen.related import RelatedInput

    config = load_config(site)
    cache = BuildCache.load(site / CACHE_DIR)
    inputs = []
    for _, source in cache.sources.values():
        fm = source.front_matter
        sketch = cache.facts[source.content_hash].sketch
        inputs.append(
            RelatedInput(fm.title, fm.topic, fm.city, tuple(fm.tags), fm.date.toordinal(), sketch, source.content_hash)
        )
    return inputs, config.related


def time_related(site: Path, jobs: int) -> tuple[float, float]:
    """Seconds to rank the related lists of every article, from the cache a build left, and their quality."""
    import numpy  # noqa: F401  (a build has it loaded by then: the Markdown stage uses it)

    from sitegen.related import related_articles

    inputs, settings = related_inputs(site)
    started = time.perf_counter()
    lists = related_articles(inputs, settings, jobs=jobs)
    return round(time.perf_counter() - started, 3), related_quality(inputs, lists, settings.count)


def related_quality(inputs, lists: list[list[int]], count: int) -> float:
    """Share of same-topic-and-city cards among the first min(count, cluster - 1) of each list."""
    from sitegen.related import NATIONWIDE
    from sitegen.text import title_key

    titles: dict[tuple[str, str], set[str]] = {}
    for a in inputs:
        if a.city != NATIONWIDE:
            titles.setdefault((a.topic, a.city), set()).add(title_key(a.title))
    kept = possible = 0
    for a, chosen in zip(inputs, lists):
        if a.city == NATIONWIDE:
            continue
        first = min(count, len(titles[(a.topic, a.city)] - {title_key(a.title)}))
        possible += first
        kept += sum(1 for b in chosen[:first] if inputs[b].topic == a.topic and inputs[b].city == a.city)
    return round(kept / possible, 3) if possible else 1.0


def edit_body(site: Path, sentence: str = "编辑补充了一句说明。") -> None:
    path = sorted((site / "content").rglob("*.md"))[len(list((site / "content").rglob("*.md"))) // 2]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("## 一、", f"{sentence}\n\n## 一、", 1), encoding="utf-8")


def edit_tags(site: Path) -> None:
    path = sorted((site / "content").rglob("*.md"))[len(list((site / "content").rglob("*.md"))) // 3]
    text = path.read_text(encoding="utf-8")
    line = next(row for row in text.splitlines() if row.startswith("tags:"))
    path.write_text(text.replace(line, "tags: [异地就医, 备案, 新增标签]", 1), encoding="utf-8")


def measure(count: int, work: Path, jobs: int, shape: str = "skewed", search_rows: bool = True) -> dict:
    site = work / f"corpus-{count}"
    set_aside(site, work)  # make_corpus would delete it (see set_aside)
    started = time.perf_counter()
    make_corpus(count, site, shape=Shape.named(shape))
    print(f"\n{count} articles ({shape}): corpus generated in {time.perf_counter() - started:.1f} s at {site}", flush=True)
    floor = run_floor(site)
    rows = {}
    rows["cold build, search off"] = run_build(site, jobs)
    rows["no change"] = run_build(site, jobs)
    edit_body(site)
    rows["one body edit"] = run_build(site, jobs)
    edit_tags(site)
    rows["one tag edit"] = run_build(site, jobs)
    related, quality = time_related(site, jobs)
    if search_rows:
        search_on_rows(site, jobs, rows)
    # The memory targets are the search-off builds': with search on, Pagefind alone holds about
    # 200 KB a page (it has no streaming mode), reported beside them.
    peak = max(row["peak_rss_mb"] for name, row in rows.items() if "search on" not in name)
    result = {
        "articles": count, "shape": shape, "floor_s": floor, "rows": rows, "related_s": related,
        "related_quality": quality, "peak_rss_mb": peak,
        "peak_rss_search_mb": max((row["peak_rss_mb"] for name, row in rows.items() if "search on" in name), default=None),
    }
    report(result)
    return result


TRASH = "trash"  # under the work folder: what set_aside() moved there, deleted after the last row


def set_aside(path: Path, work: Path) -> None:
    """Move `path` out of the way, into `work`'s trash, which main() empties after the last row.

    Deleted, its files would slow the next build's: with no journal (as on these machines) ext4
    skips inodes freed in the last minute, or six while their table is not yet written back,
    reading the table for each (`recently_deleted`); a cold build with search on right after
    deleting the search-off rows' output and cache took 47.5 s instead of 44.9 s, all of it in
    the index step. A fresh clone has no such inodes.
    """
    if path.exists():
        trash = work / TRASH
        trash.mkdir(exist_ok=True)
        path.rename(trash / f"{path.name}-{time.monotonic_ns()}")


def search_on_rows(site: Path, jobs: int, rows: dict) -> None:
    """The rows with search on: from no cache and no output, a cold build, no change, a body edit."""
    # With search on, as a new site gets it: from no cache and no output, like a fresh clone.
    set_aside(site / ".sitegen-cache", site.parent)
    set_aside(site / "public", site.parent)
    rows["cold build, search on"] = run_build(site, jobs, search=True)
    rows["no change, search on"] = run_build(site, jobs, search=True)
    edit_body(site, "又补充了一句说明。")
    rows["one body edit, search on"] = run_build(site, jobs, search=True)


def body_edit_target(row: dict, floor: float) -> float:
    """An edit with search on: the index step (which Pagefind redoes whole) plus 0.15 x the floor."""
    return index_step(row) / floor + EDIT_MARGIN


def index_step(row: dict) -> float:
    """A build's search index time as --profile reports it: the slim pages, then Pagefind's run
    (its "search step"; before Pagefind overlapped the pages, the "search index" stage). With
    pages to render beside it, Pagefind shares the cores and this is longer than its cost."""
    stages = row.get("stages_s", {})
    return stages.get("search step", stages.get("search index", 0.0))


def verdict(value: float, target: float | None) -> str:
    return "" if target is None else ("  ok" if value <= target else "  MISSED")


def report(result: dict) -> None:
    """Print one size's rows beside the floor and the targets."""
    count, floor, rows = result["articles"], result["floor_s"], result["rows"]
    held = count in FLOOR_TARGET_SIZES
    print(f"floor (front matter + plain markdown-it-py, one core): {floor:.2f} s")
    print(f"{'row':<28}{'wall s':>9}{'x floor':>9}{'target':>9}{'CPU s':>9}{'peak RSS MB':>13}{'pages/s':>9}")
    for name, row in rows.items():
        ratio = row["wall_s"] / floor
        target = body_edit_target(row, floor) if name == "one body edit, search on" else FLOOR_TARGETS.get(name)
        shown = "-" if target is None else f"{target:.2f}"
        print(
            f"{name:<28}{row['wall_s']:>9.2f}{ratio:>9.2f}{shown:>9}{row['cpu_s']:>9.2f}"
            f"{row['peak_rss_mb']:>13.0f}{row['pages_per_s']:>9.0f}{verdict(ratio, target) if held else ''}"
        )
    if "cold build, search on" in rows:
        # What turning search on costs a cold build: the index step, whatever overlaps it.
        index = rows["cold build, search on"]["wall_s"] - rows["cold build, search off"]["wall_s"]
        print(f"{'  of it, the search index':<28}{index:>9.2f}{index / floor:>9.2f}{2.0:>9.2f}{'':>9}{'':>13}{'':>9}{verdict(index / floor, 2.0) if held else ''}"
              f"   (on - off; its own time beside the pages: {index_step(rows['cold build, search on']):.2f} s)")
    target = RELATED_TARGETS.get(count)
    print(f"{'related lists, in process':<28}{result['related_s']:>9.2f}{result['related_s'] / floor:>9.2f}{('-' if target is None else f'{target:g} s'):>9}"
          + verdict(result["related_s"], target))
    print(f"related quality: {result['related_quality']:.3f} of the cards that could be same topic and city are "
          f"(target {QUALITY_TARGET}){'  ok' if result['related_quality'] >= QUALITY_TARGET else '  MISSED'}")
    memory = MEMORY_TARGETS.get(count)
    print(f"peak RSS of all processes, search off: {result['peak_rss_mb']:.0f} MB" + ("" if memory is None else f" (target {memory} MB){verdict(result['peak_rss_mb'], memory)}"))
    if result.get("peak_rss_search_mb") is not None:
        print(f"peak RSS of all processes, search on (Pagefind included): {result['peak_rss_search_mb']:.0f} MB")
    cold = rows["cold build, search off"]
    print("cold build stages, wall s: " + ", ".join(f"{k} {v:.2f}" for k, v in cold["stages_s"].items()))
    print("cold build stages, CPU s: " + ", ".join(f"{k} {v:.2f}" for k, v in cold.get("stages_cpu_s", {}).items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--work", type=Path, default=Path("/tmp/sitegen-bench"))
    parser.add_argument("--json", type=Path, default=HERE / "out" / "results.json")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora")
    parser.add_argument("--no-search-rows", dest="search_rows", action="store_false", help="skip the rows with search on (for 100,000)")
    parser.add_argument("--shape", choices=["even", "skewed"], default="skewed", help="corpus shape, see make_corpus.py")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    # Bytecode as an installed package has it. Where PYTHONDONTWRITEBYTECODE is set (it is on
    # these machines), an editable install's modules are compiled from source by every build:
    # 0.09 s each time, half a body edit's margin, which measures the environment, not sitegen.
    spec = importlib.util.find_spec("sitegen")
    for folder in spec.submodule_search_locations if spec and spec.submodule_search_locations else ():
        compileall.compile_dir(folder, quiet=1)
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "jobs": args.jobs,
        "dont_write_bytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }
    print(f"machine: {machine}")
    results = {"machine": machine, "runs": []}
    cold_10000 = None
    for size in sorted(args.sizes):
        run = measure(size, args.work, args.jobs, args.shape, args.search_rows)
        results["runs"].append(run)
        if size == 10000:
            cold_10000 = run["rows"]["cold build, search off"]["wall_s"]
        elif cold_10000 and size in GROWTH_TARGETS:
            run["growth"] = round(run["rows"]["cold build, search off"]["wall_s"] / cold_10000, 2)
            print(f"growth: the cold build (search off) is {run['growth']:.2f} x the 10,000 one "
                  f"(target {GROWTH_TARGETS[size]}){verdict(run['growth'], GROWTH_TARGETS[size])}")
        if not args.keep:
            set_aside(args.work / f"corpus-{size}", args.work)
    shutil.rmtree(args.work / TRASH, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwritten {args.json}")


if __name__ == "__main__":
    main()
