"""Time and peak memory of `sitegen build` on inputs that once stalled it, beside the Markdown floor.

    python benchmarks/stalls.py [--work /tmp/sitegen-stalls] [--jobs 1] [--timeout 120]

Each row is the basic fixture site plus one bad or big input, built by `sitegen build` in a child
process. Peak RSS is the largest process of that child's tree (resource.getrusage of children),
and every child runs under a 4 GB address-space limit, so a regression fails instead of swapping.
The floor is what any generator must do with the same input: read each article, load its front
matter with PyYAML and render its body with plain markdown-it-py, in one process.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sitegen.theme import THEME_DIR

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests/fixtures/basic"
HEADER = "---\ntitle: {title}\ndate: 2026-03-01\ncity: 深圳\ntopic: 医保\n{extra}---\n"
MEMORY_LIMIT = 4 * 1024**3
PEAK_MB = 300  # no row may need more

# The floor: front matter and plain Markdown for every article, nothing else.
FLOOR = """
import sys, pathlib, yaml, frontmatter
from markdown_it import MarkdownIt
md, handler = MarkdownIt("commonmark"), frontmatter.YAMLHandler()
for path in pathlib.Path(sys.argv[1], "content").rglob("*.md"):
    header, body = handler.split(path.read_text(encoding="utf-8"))
    try:
        yaml.load(header, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        pass
    md.render(body)
"""


def _site(work: Path, name: str) -> Path:
    site = work / name
    subprocess.run(["rm", "-rf", str(site)], check=True)  # shutil.rmtree recurses: 1,000 levels overflow it
    shutil.copytree(FIXTURE, site)
    for part in ("layouts", "static"):
        if not (site / part).exists():
            shutil.copytree(THEME_DIR / part, site / part)
    return site


def _article(title: str, extra: str = "", body: str = "正文\u3002\n") -> str:
    return HEADER.format(title=title, extra=extra) + body


def alias_bomb(work: Path) -> Path:
    """700 bytes, 76 aliases, depth 2: 4**19 values written out (once 90 s, 3 GB, a traceback)."""
    lines = ["a0: &a0 [x, x, x, x]\n"] + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 4)}]\n" for n in range(1, 20)]
    site = _site(work, "alias-bomb")
    (site / "content/yibao/alias-bomb.md").write_text(_article("别名炸弹", "".join(lines)), encoding="utf-8")
    return site


def deep_yaml(work: Path) -> Path:
    site = _site(work, "deep-yaml")
    extra = "x: " + "[" * 100_000 + "]" * 100_000 + "\n"
    (site / "content/yibao/deep-yaml.md").write_text(_article("嵌套", extra), encoding="utf-8")
    return site


def nested_folders(work: Path, levels: int = 1000, nested: bool = True) -> Path:
    """One article in each of 1,000 folders nested inside each other (once 12 s; 14.7 s unchanged),
    or the same 1,000 articles in one folder, to tell the nesting's cost from the articles'."""
    site = _site(work, "nested-folders" if nested else "flat-folder")
    folder = site / "content/yibao"
    for level in range(levels):
        if nested:
            folder = folder / "n"
            folder.mkdir()
        (folder / f"a{level}.md").write_text(_article(f"第 {level} 层的文章"), encoding="utf-8")
    return site


def long_article(work: Path, size: int = 1024 * 1024 - 2000, name: str = "long-article") -> Path:
    paragraph = "深圳职工医保断缴后,个人账户里的钱不会清零,仍然可以在定点药店和门诊使用\u3002" * 4
    sections, written = [], 0
    while written < size - 200:
        sections.append(f"## 第 {len(sections)} 节\n\n{paragraph}\n{paragraph}\n\n- 要点一\n- 要点二\n")
        written += len(sections[-1].encode("utf-8")) + 1
    site = _site(work, name)
    (site / "content/yibao/long.md").write_text(_article("一篇很长的文章", body="\n".join(sections)), encoding="utf-8")
    return site


def measure(command: list[str], timeout: float) -> dict:
    """Run `command` through a fresh child of this script, so the peak RSS is this command's alone."""
    wrapper = [sys.executable, __file__, "--measure", str(timeout), "--", *command]
    done = subprocess.run(wrapper, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def _measure_here(command: list[str], timeout: float) -> None:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=limit, check=False)
        status: object = done.returncode
        lines = (done.stdout + done.stderr).strip().splitlines()
        said = next((line for line in lines if line.startswith("错误 ")), lines[-1] if lines else "")
    except subprocess.TimeoutExpired:
        status, said = "timeout", ""
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(json.dumps({"status": status, "seconds": wall, "MB": peak_kib / 1024, "said": said[:120]}, ensure_ascii=False))


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        _measure_here(sys.argv[4:], float(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/sitegen-stalls"))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    def build(site: Path) -> list[str]:
        return [sys.executable, "-m", "sitegen.cli", "build", "--site", str(site), "--no-search", "--jobs", str(args.jobs)]

    floor = [sys.executable, "-c", FLOOR]
    basic = measure(build(_site(args.work, "basic")), args.timeout)["seconds"]
    flat = nested_folders(args.work, nested=False)
    flat_cold = measure(build(flat), args.timeout)["seconds"]
    nested = nested_folders(args.work)
    # (input, build, floor, seconds allowed): a bad file costs about what the basic site does;
    # nesting the same 1,000 articles costs about what keeping them in one folder does.
    rows: list[tuple[str, list[str], list[str], float]] = [
        ("alias bomb (700 B)", build(site := alias_bomb(args.work)), [*floor, str(site)], basic + 2),
        ("YAML nested 100,000 deep", build(site := deep_yaml(args.work)), [*floor, str(site)], basic + 2),
        ("1,000 nested folders, cold", build(nested), [*floor, str(nested)], flat_cold * 1.5),
        ("1,000 nested folders, no change", build(nested), [*floor, str(nested)], 1.0),
        ("1 MB article, cold", build(site := long_article(args.work)), [*floor, str(site)], basic + 5),
        ("5 MB article (refused)", build(site := long_article(args.work, 5_000_000, "huge")), [*floor, str(site)], basic + 2),
    ]
    print(f"basic site alone: {basic:.2f} s; the same 1,000 articles in one folder, cold: {flat_cold:.2f} s")
    print(f"{'input':34} {'status':>7} {'seconds':>8} {'target':>7} {'peak MB':>8}   {'floor s':>8} {'floor MB':>8}   said")
    for name, command, floor_command, target in rows:
        got, base = measure(command, args.timeout), measure(floor_command, args.timeout)
        over = got["seconds"] > target or got["MB"] > PEAK_MB or got["status"] == "timeout"
        print(
            f"{name:34} {got['status']!s:>7} {got['seconds']:8.2f} {target:7.2f} {got['MB']:8.0f}"
            f"   {base['seconds']:8.2f} {base['MB']:8.0f}   {'OVER TARGET ' if over else ''}{got['said']}"
        )
    print(f"peak memory target: {PEAK_MB} MB for every row")


if __name__ == "__main__":
    main()
