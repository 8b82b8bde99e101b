"""Measure sitegen's builds on synthetic corpora: cold, no-op, one body edit, one tag edit.

    python benchmarks/run.py 1000 10000 [--jobs 2] [--shape skewed] [--work /tmp/sitegen-bench] [--json results.json]

For each size it generates the corpus (benchmarks/make_corpus.py, `--shape` as there), runs
`sitegen build` as a separate process for each row, and prints wall time, CPU time, peak RSS of
the whole process tree (sampled from /proc every 20 ms) and pages per second, next to the targets
of the issue on speed, and each time as a multiple of the floor measured in the same run: front
matter plus plain markdown-it-py (CommonMark and tables) for every article, on one core. It also
times the related-article ranking alone, in this process, and how often 相关推荐 keeps its promise:
the share of same-topic-and-city cards among the first min(count, cluster - 1), where the cluster
is the article's topic and city (全国 excepted) counted by distinct title, since repeated titles
are never shown twice.
"""

from __future__ import annotations

import argparse
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

TARGETS = {  # seconds, or MB for memory; None: no target at that size
    "cold build": {1000: 1.5, 10000: 6, 100000: 75},
    "no change": {1000: 0.3, 10000: 1, 100000: 8},
    "one body edit": {1000: 0.3, 10000: 1, 100000: 8},
    "one tag edit": {1000: 0.5, 10000: 1.5, 100000: 10},
    "related lists": {10000: 0.5, 100000: 8},
}
MEMORY_TARGETS = {10000: 600, 100000: 3000}
QUALITY_TARGET = 0.9  # share of the cards that could be same topic and city that are

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


def run_build(site: Path, jobs: int) -> dict:
    """Run one `sitegen build` and measure it."""
    command = [sys.executable, "-m", "sitegen.cli", "build", "--site", str(site), "--jobs", str(jobs), "--profile"]
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


def edit_body(site: Path) -> None:
    path = sorted((site / "content").rglob("*.md"))[len(list((site / "content").rglob("*.md"))) // 2]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("## 一、", "编辑补充了一句说明。\n\n## 一、", 1), encoding="utf-8")


def edit_tags(site: Path) -> None:
    path = sorted((site / "content").rglob("*.md"))[len(list((site / "content").rglob("*.md"))) // 3]
    text = path.read_text(encoding="utf-8")
    line = next(row for row in text.splitlines() if row.startswith("tags:"))
    path.write_text(text.replace(line, "tags: [异地就医, 备案, 新增标签]", 1), encoding="utf-8")


def measure(count: int, work: Path, jobs: int, shape: str = "even") -> dict:
    site = work / f"corpus-{count}"
    started = time.perf_counter()
    make_corpus(count, site, shape=Shape.named(shape))
    print(f"\n{count} articles ({shape}): corpus generated in {time.perf_counter() - started:.1f} s at {site}", flush=True)
    floor = run_floor(site)
    rows = {}
    rows["cold build"] = run_build(site, jobs)
    rows["no change"] = run_build(site, jobs)
    edit_body(site)
    rows["one body edit"] = run_build(site, jobs)
    edit_tags(site)
    rows["one tag edit"] = run_build(site, jobs)
    related, quality = time_related(site, jobs)
    print(f"floor (front matter + plain markdown-it-py, one core): {floor:.2f} s")
    print(f"{'row':<16}{'wall s':>9}{'target':>9}{'x floor':>9}{'CPU s':>9}{'peak RSS MB':>13}{'pages/s':>11}")
    for name, row in rows.items():
        target = TARGETS[name].get(count)
        mark = "" if target is None else ("  ok" if row["wall_s"] <= target else "  MISSED")
        target_text = "-" if target is None else f"{target:g}"
        print(
            f"{name:<16}{row['wall_s']:>9.2f}{target_text:>9}{row['wall_s'] / floor:>9.2f}{row['cpu_s']:>9.2f}"
            f"{row['peak_rss_mb']:>13.0f}{row['pages_per_s']:>11.0f}{mark}"
        )
    target = TARGETS["related lists"].get(count)
    print(
        f"{'related lists':<16}{related:>9.2f}{('-' if target is None else f'{target:g}'):>9}{related / floor:>9.2f}"
        + ("" if target is None else ("  ok" if related <= target else "  MISSED"))
    )
    print(f"related quality: {quality:.3f} of the cards that could be same topic and city are (target {QUALITY_TARGET})"
          + ("  ok" if quality >= QUALITY_TARGET else "  MISSED"))
    peak = max(row["peak_rss_mb"] for row in rows.values())
    memory = MEMORY_TARGETS.get(count)
    if memory:
        print(f"peak RSS of all processes: {peak:.0f} MB (target {memory} MB){'  ok' if peak <= memory else '  MISSED'}")
    slowest = max(rows["cold build"]["stages_s"].items(), key=lambda item: item[1], default=("-", 0))
    print("cold build stages: " + ", ".join(f"{k} {v:.2f}" for k, v in rows["cold build"]["stages_s"].items()))
    print(f"slowest cold stage: {slowest[0]} ({slowest[1]:.2f} s)")
    return {
        "articles": count, "shape": shape, "floor_s": floor, "rows": rows, "related_s": related,
        "related_quality": quality, "peak_rss_mb": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--work", type=Path, default=Path("/tmp/sitegen-bench"))
    parser.add_argument("--json", type=Path, default=HERE / "out" / "results.json")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora")
    parser.add_argument("--shape", choices=["even", "skewed"], default="even", help="corpus shape, see make_corpus.py")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "jobs": args.jobs,
    }
    print(f"machine: {machine}")
    results = {"machine": machine, "runs": []}
    for size in args.sizes:
        results["runs"].append(measure(size, args.work, args.jobs, args.shape))
        if not args.keep:
            shutil.rmtree(args.work / f"corpus-{size}", ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwritten {args.json}")


if __name__ == "__main__":
    main()
