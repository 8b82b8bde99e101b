"""Time the related-article ranking alone, on sites already built, and report its quality.

    python benchmarks/related.py SITE [SITE ...] [--jobs 2] [--repeat 3] [--profile] [--save F] [--compare F]

A SITE is a corpus folder (benchmarks/make_corpus.py, say `--shape skewed`) that `sitegen build`
has built once: the ranking's inputs are read from its cache, as benchmarks/run.py's related row
does, and a site without a cache is built first (untimed). Each SITE is ranked `--repeat` times in
this process and the fastest run is printed with the target, the quality (see run.py) and the
load average. `--save` writes the lists, `--compare` reads lists saved before and says how many
differ and how much of the old lists the new ones keep, so that a faster ranking can be shown to
choose the same articles. `--profile` prints the functions that took the most time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import QUALITY_TARGET, RELATED_TARGETS, related_inputs, related_quality  # noqa: E402


def ensure_built(site: Path, jobs: int) -> None:
    from sitegen.cache import CACHE_DIR

    if not (site / CACHE_DIR).exists():
        print(f"{site}: no cache yet, building once (untimed)", flush=True)
        subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--site", str(site), "--jobs", str(jobs)], check=True)


def overlap(old: list[list[int]], new: list[list[int]]) -> tuple[int, float]:
    """How many lists differ, and the share of the old lists' cards the new lists still show."""
    differ = sum(1 for a, b in zip(old, new) if a != b)
    kept = sum(len(set(a) & set(b)) for a, b in zip(old, new))
    total = sum(len(a) for a in old)
    return differ, (kept / total if total else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", type=Path, nargs="+")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="one run under cProfile instead of timing")
    parser.add_argument("--save", type=Path, help="write the lists as JSON (one file per site: SITE's name is appended)")
    parser.add_argument("--compare", type=Path, help="lists saved by --save before (same naming)")
    args = parser.parse_args()

    import numpy  # noqa: F401  (a build has it loaded before ranking: the Markdown stage uses it)

    from sitegen.related import related_articles

    for site in args.sites:
        ensure_built(site, args.jobs)
        inputs, settings = related_inputs(site)
        size = len(inputs)
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            lists = related_articles(inputs, settings, jobs=args.jobs)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
            times = []
        else:
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                lists = related_articles(inputs, settings, jobs=args.jobs)
                times.append(time.perf_counter() - started)
        load = os.getloadavg()
        target = RELATED_TARGETS.get(size)
        quality = related_quality(inputs, lists, settings.count)
        if times:
            mark = "" if target is None else ("  ok" if min(times) <= target else "  MISSED")
            print(
                f"{site.name}: {size} articles, --jobs {args.jobs}: related lists {min(times):.3f} s "
                f"(runs {', '.join(f'{t:.3f}' for t in times)}; target {target if target is not None else '-'}){mark}"
            )
        print(f"{site.name}: quality {quality:.3f} (target {QUALITY_TARGET}); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        if args.compare:
            old = json.loads(args.compare.with_name(f"{args.compare.name}.{site.name}").read_text())
            differ, kept = overlap(old, lists)
            print(f"{site.name}: {differ} of {size} lists differ from {args.compare}; {kept:.4f} of the old cards kept")
        if args.save:
            args.save.with_name(f"{args.save.name}.{site.name}").write_text(json.dumps(lists))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
