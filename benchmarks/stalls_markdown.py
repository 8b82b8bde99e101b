"""Time and peak memory of the Markdown inputs that once stalled a build, beside plain markdown-it-py.

    python benchmarks/stalls_markdown.py [--skip-plain-table] [--timeout 600]

Each case runs in a fresh process, so its peak RSS is its own; the table shows the peak above
that process's baseline after imports (for a `sitegen build` case, the build process's whole peak). Cases: 40,000 identical `## 重复标题` headings (103 s in
mdit-py-plugins' anchors plugin, quadratic); a 2,000 × 1,000 table (3.7 GB), which sitegen
refuses from a line scan before parsing (`table_too_big`), and, through `sitegen build`, the
error an editor sees (the article size limit refuses that one first, so a 300 × 100 table
shows the table error); the largest table sitegen accepts (MAX_TABLE_CELLS cells); 10,000 unclosed
raw blocks (`<pre>`, one look-ahead per body). "plain" is markdown-it-py alone (CommonMark plus
tables, parse and render) on the same input.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sitegen.theme import THEME_DIR

REPO = Path(__file__).resolve().parents[1]

# Seconds: no stall may hold a CI runner; the scan must cost little beside reading the file.
TARGETS = {"headings: sitegen": 10.0, "table 2000x1000: scan": 1.0, "table 2000x1000: build": 10.0, "table 300x100: build": 10.0, "table at the limit: sitegen": 5.0}


SITE_TOML = (
    'title = "测试站"\nbase_url = "https://test.example.cn/"\nsearch = false\n'
    '[source_notice]\ntext = "来源"\ncontact = "fix@test.example.cn"\n'
)


def headings() -> str:
    return "## 重复标题\n\n" * 40_000


def big_table() -> str:
    row = "| " + " | ".join(["格"] * 1_000) + " |\n"
    return row + "|" + "---|" * 1_000 + "\n" + row * 2_000


def over_limit_table() -> str:
    # Under the article size limit, so the table limit is what refuses it.
    row = "| " + " | ".join(["1"] * 100) + " |\n"
    return "前言。\n\n" + row + "|" + "---|" * 100 + "\n" + row * 300


def limit_table() -> str:
    from sitegen.markdown import MAX_TABLE_CELLS

    columns = 100
    row = "| " + " | ".join(["格"] * columns) + " |\n"
    return row + "|" + "---|" * columns + "\n" + row * (MAX_TABLE_CELLS // columns - 1)


def unclosed_blocks() -> str:
    return "<pre>\n段落\n\n" * 10_000


def plain(text: str) -> None:
    from markdown_it import MarkdownIt

    MarkdownIt("commonmark").enable("table").render(text)


def sitegen(text: str) -> None:
    from sitegen.markdown import render_markdown

    render_markdown(text)


def scan(text: str) -> None:
    from sitegen.markdown import table_too_big

    assert table_too_big(text) is not None


def refused_by_build(text: str) -> str:
    site = Path(tempfile.mkdtemp(prefix="sitegen-stall-"))
    try:
        for part in ("layouts", "static"):
            shutil.copytree(THEME_DIR / part, site / part)
        (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
        (site / "content/yibao").mkdir(parents=True)
        header = "---\ntitle: 大表格\ndate: 2026-06-01\ncity: 深圳\ntopic: 医保\n---\n\n"
        (site / "content/yibao/big-table.md").write_text(header + text, encoding="utf-8")
        sitegen_cli = Path(sys.executable).with_name("sitegen")
        command = [str(sitegen_cli), "build", "--site", str(site), "--no-cache"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # refusing is the point
        said = [line for line in (result.stdout + result.stderr).splitlines() if "big-table.md" in line]
        return (said or ["(no line names the file)"])[0].strip() if result.returncode else "BUILT (not refused)"
    finally:
        shutil.rmtree(site, ignore_errors=True)


CASES = {
    "headings: sitegen": (headings, sitegen),
    "headings: plain": (headings, plain),
    "table 2000x1000: scan": (big_table, scan),
    "table 2000x1000: build": (big_table, refused_by_build),
    "table 2000x1000: plain": (big_table, plain),
    "table 300x100: build": (over_limit_table, refused_by_build),
    "table 300x100: plain": (over_limit_table, plain),
    "table at the limit: sitegen": (limit_table, sitegen),
    "table at the limit: plain": (limit_table, plain),
    "unclosed <pre> x10000: sitegen": (unclosed_blocks, sitegen),
    "unclosed <pre> x10000: plain": (unclosed_blocks, plain),
}


def run_case(name: str) -> None:
    make, work = CASES[name]
    text = make()
    import markdown_it  # noqa: F401  imports are part of the baseline, not of the case

    import sitegen.markdown  # noqa: F401

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    outcome = work(text)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline
    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # a build: its whole process
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "input_kb": len(text.encode()) / 1024, "outcome": outcome}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--skip-plain-table", action="store_true", help="skip markdown-it-py on the 2,000 × 1,000 table (3.7 GB)")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if args.case:
        run_case(args.case)
        return
    print(f"{'case':34} {'input':>9} {'seconds':>9} {'peak MB':>9}  outcome")
    for name in CASES:
        if args.skip_plain_table and name == "table 2000x1000: plain":
            continue
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--case", name], capture_output=True, text=True, timeout=args.timeout, check=True
            )
        except subprocess.TimeoutExpired:
            print(f"{name:34} {'':>9} {'>' + str(int(args.timeout)):>9}")
            continue
        except subprocess.CalledProcessError as failed:
            print(f"{name:34} failed: {failed.stderr.strip().splitlines()[-1:]}")
            continue
        row = json.loads(done.stdout)
        target = TARGETS.get(name)
        outcome = row["outcome"] or ""
        flag = "" if target is None or row["seconds"] <= target else f"  over the {target} s target"
        print(f"{name:34} {row['input_kb']:>7.0f}KB {row['seconds']:>9.2f} {row['peak_mb']:>9.0f}  {outcome}{flag}")


if __name__ == "__main__":
    main()
