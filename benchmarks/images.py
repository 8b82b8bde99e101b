"""Measure image builds on a site of 3000x2000 photos beside what Pillow alone needs for the same variants.

    python benchmarks/images.py [--photos-count 1000] [--jobs 2] [--photos /tmp/sitegen-bench/photos] [--keep DIR]

It makes (once, then reuses from `--photos`) deterministic photo-like JPEGs of 3000x2000 px,
0.8-2 MB each: a smooth colour field, shapes, film-grain noise and camera EXIF. The site has
`--photos-count` photos in all: four fifths are covers (`image: photo.jpg` in a page bundle
`content/<topic>/<slug>/index.md`), the rest one body image each (`body.jpg`, every 4th article).

Each row runs in a fresh process, timed inside it (interpreter start-up left out):

- the floor, on one core and on `--jobs` cores (through sitegen.workers.run_chunks, as
  make_variants spreads its work): for every photo, Pillow opens it, drafts it, applies EXIF
  orientation, resizes to each of [images] widths (largest first, each from the last) and saves
  WebP and JPEG with the settings of images._save, plus the 1200x630 share card for covers;
- `sitegen build` cold (no .sitegen-cache/, no output), with no change, and after one bundle's
  photo.jpg is replaced by other pixels: build(BuildOptions(...)) and its BuildResult.

For each row it prints seconds, the ratio to the all-cores floor, CPU seconds and their
multiple of the one-core floor's (the figure a busy machine moves least), peak RSS (getrusage
of the process plus its largest worker), pages rendered, files written and removed, how many
variant files were encoded into .sitegen-cache/images/ (told from their mtimes), and how many
cores other processes kept busy meanwhile (/proc/stat's busy time less the row's own CPU): on a
shared machine that moves every figure. Then each build's stages, and what the one-photo
rebuild changed in public/.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import TOPICS, body  # noqa: E402

PHOTO_SIZE = (3000, 2000)
# Bump when make_photo draws other pixels: cached photos of another version are not reused.
PHOTO_VERSION = 1
PHOTO_QUALITY = 90  # what a camera or phone writes, roughly
BUNDLE_TOPICS = ["医保", "社保", "儿童健康", "就医指南", "体检"]
ALTS = ["医保窗口前排队办理业务的市民", "社区医院的候诊大厅", "医生在诊室里查看检查报告", "药店货架上的常用药品", "体检中心的抽血窗口"]
SITE_TOML = """title = "图片基准测试站"
base_url = "https://img-bench.example.cn/"
search = false

[source_notice]
text = "本文根据公开资料整理\uff0c仅供基准测试\u3002"
contact = "bench@img-bench.example.cn"
"""


# --- the photos --------------------------------------------------------------------------------

_GRAIN: dict[str, object] = {}  # per process: one noise field, cut at a different place for each photo


def _grain():
    import numpy as np

    if "field" not in _GRAIN:
        width, height = PHOTO_SIZE
        _GRAIN["field"] = np.random.default_rng(0).standard_normal((height + 256, width + 256, 3), dtype=np.float32)
    return _GRAIN["field"]


def make_photo(index: int) -> bytes:
    """A deterministic photo-like JPEG: a JPEG encoder finds as much detail in it as in a real photo."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    width, height = PHOTO_SIZE
    rng = np.random.default_rng(index + 1)
    pick = random.Random(index)
    base = Image.fromarray(rng.integers(30, 226, size=(5, 7, 3), dtype=np.uint8), "RGB")
    base = base.resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(base)
    for _ in range(pick.randint(25, 40)):
        x, y = pick.randrange(width), pick.randrange(height)
        box = (x, y, x + pick.randint(60, 900), y + pick.randint(60, 700))
        colour = tuple(pick.randrange(256) for _ in range(3))
        shape = pick.random()
        if shape < 0.4:
            draw.ellipse(box, fill=colour)
        elif shape < 0.8:
            draw.rectangle(box, fill=colour)
        else:
            draw.line(box, fill=colour, width=pick.randint(4, 40))
    base = base.filter(ImageFilter.BoxBlur(2))  # edges as soft as a lens draws them
    # Mid-frequency texture (a quarter-size field, upscaled) plus grain of a strength that varies
    # from photo to photo: that spreads the file sizes over 0.8-2 MB as phone photos spread.
    texture = Image.fromarray(rng.standard_normal((height // 4, width // 4), dtype=np.float32) * 12, "F")
    dx, dy = pick.randrange(256), pick.randrange(256)
    pixels = _grain()[dy : dy + height, dx : dx + width] * (2.5 + 7 * pick.random())
    pixels += np.asarray(texture.resize(PHOTO_SIZE, Image.Resampling.BILINEAR))[:, :, None]
    pixels += np.asarray(base, dtype=np.float32)
    np.clip(pixels, 0, 255, out=pixels)
    photo = Image.fromarray(pixels.astype(np.uint8), "RGB")
    exif = Image.Exif()
    exif.update({0x010F: "BenchCam", 0x0110: "Model 3000", 0x0112: 1, 0x0132: f"2025:0{1 + index % 9}:1{index % 10} 09:30:00"})
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=PHOTO_QUALITY, exif=exif)
    return out.getvalue()


def _write_photo(job: tuple[int, str]) -> None:
    index, path = job
    temporary = f"{path}.{os.getpid()}.part"  # an interrupted run leaves no truncated photo
    with open(temporary, "wb") as file:
        file.write(make_photo(index))
    os.replace(temporary, path)


def ensure_photos(folder: Path, count: int, jobs: int) -> list[Path]:
    """Photos 0..count-1 in `folder`, making the missing ones on `jobs` processes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo-{index:05d}.jpg" for index in range(count)]
    missing = [(index, str(path)) for index, path in enumerate(paths) if not path.exists()]
    if missing:
        started = time.perf_counter()
        print(f"making {len(missing)} photos of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} in {folder} ...", flush=True)
        with get_context("fork").Pool(jobs) as pool:
            for _ in pool.imap_unordered(_write_photo, missing, chunksize=4):
                pass
        print(f"  made in {time.perf_counter() - started:.1f} s", flush=True)
    return paths


def _link_or_copy(source: Path, target: Path) -> None:
    # A hard link saves a gigabyte of copying; the replaced photo is unlinked before it is
    # written, so the cached photo behind the link never changes.
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# --- the site ----------------------------------------------------------------------------------


def make_site(site: Path, photos: list[Path]) -> list[Path]:
    """A site using every photo once; returns each cover's path in the site, in article order."""
    from sitegen.theme import THEME_DIR

    if site.exists():
        shutil.rmtree(site)
    articles = math.ceil(len(photos) * 4 / 5)
    with_body = set([n for n in range(articles) if n % 4 == 3][: len(photos) - articles])
    rng = random.Random(1)
    used = iter(photos)
    covers = []
    for number in range(articles):
        topic = BUNDLE_TOPICS[number % len(BUNDLE_TOPICS)]
        slug, tags, _ = TOPICS[topic]
        chosen = rng.sample(tags, 3)
        folder = site / "content" / slug / f"a{number:05d}"
        folder.mkdir(parents=True)
        title = f"{topic}办理指南第{number + 1}期"
        text = body(rng, title, chosen, target=900)
        if number in with_body:
            text = text.replace("\n\n## ", f"\n\n![{rng.choice(ALTS)}](body.jpg)\n\n## ", 1)
            _link_or_copy(next(used), folder / "body.jpg")
        front = (
            f'---\ntitle: "{title}"\ndate: 2025-{1 + number % 12:02d}-{1 + number % 28:02d}\ncity: 北京\ntopic: {topic}\n'
            f"tags: [{', '.join(chosen)}]\nimage: photo.jpg\nimage_alt: {ALTS[number % len(ALTS)]}\n---\n"
        )
        (folder / "index.md").write_text(front + text, encoding="utf-8")
        _link_or_copy(next(used), folder / "photo.jpg")
        covers.append(folder / "photo.jpg")
    (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    for part in ("layouts", "static"):
        shutil.copytree(THEME_DIR / part, site / part)
    return covers


# --- the rows, each in its own process ---------------------------------------------------------


def _floor_chunk(shared: tuple, photos) -> list[None]:
    """What make_picture asks of Pillow for each photo, with the encoder settings of images._save."""
    from PIL import Image, ImageOps

    out, widths, quality, share_size = shared
    for number, path in photos:
        share = Path(path).name == "photo.jpg"  # covers get a share card, body images do not
        with Image.open(path) as opened:
            width, height = opened.size
            sizes = [(w, max(1, round(height * w / width))) for w in sorted({w for w in widths if w < width} | {min(width, max(widths))})]
            largest = max(sizes[-1][0], share_size[0] if share else 0)
            opened.draft("RGB", (largest, round(largest * height / width)))
            image = ImageOps.exif_transpose(opened)
            image.load()
        current = image
        for size in reversed(sizes):  # largest first, each from the last, as make_picture does
            current = current if current.size == size else current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            current.save(out / f"{number}-{size[0]}.jpg", "JPEG", quality=quality, optimize=True, progressive=True)
            current.save(out / f"{number}-{size[0]}.webp", "WEBP", quality=quality, method=4)
        if share:
            card = ImageOps.fit(image, share_size, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
            card.save(out / f"{number}-share.jpg", "JPEG", quality=quality, optimize=True, progressive=True)
    return []


def child_floor(site: Path, jobs: int, out: Path) -> dict:
    from sitegen.config import ImageSettings
    from sitegen.images import SHARE_SIZE
    from sitegen.workers import run_chunks

    settings = ImageSettings()  # the defaults the benchmark site keeps: widths 480, 960, 1440; quality 80
    paths = list(enumerate(sorted(str(p) for p in (site / "content").rglob("*.jpg"))))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # The same chunks on the same processes as make_variants: only the work inside differs.
    run_chunks(_floor_chunk, paths, shared=(out, settings.widths, settings.quality, SHARE_SIZE), jobs=jobs, minimum=2, smallest=1)
    return {"seconds": time.perf_counter() - started, "photos": len(paths)}


def child_build(site: Path, jobs: int) -> dict:
    from sitegen.build import BuildOptions, build

    started = time.perf_counter()
    result = build(BuildOptions(site_dir=site, jobs=jobs))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds, "pages": result.pages, "images": result.images, "written": result.written,
        "unchanged": result.unchanged, "rendered": result.rendered, "removed": result.removed,
        "timings": result.timings, "warnings": [f"{w.path}: {w.message}" for w in result.warnings],
    }  # fmt: skip


def run_child(kind: str, site: Path, jobs: int, out: Path | None = None) -> dict:
    """One row in a fresh process: its own time, CPU and peak memory, not the earlier rows'."""
    command = [sys.executable, __file__, "--child", kind, "--site", str(site), "--jobs", str(jobs)]
    if out is not None:
        command += ["--floor-out", str(out)]
    busy, started = busy_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    others, wall = busy_cpu() - busy, time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    # The row's own CPU time includes its start-up, so the rest is other processes' work.
    row["others"] = max(0.0, others - row["cpu"]) / wall
    return row


def busy_cpu() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat), all processes together."""
    try:
        with open("/proc/stat") as file:
            fields = [int(x) for x in file.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def child_main(kind: str, site: Path, jobs: int, out: Path | None) -> None:
    row = child_floor(site, jobs, out) if kind == "floor" else child_build(site, jobs)
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    row["cpu"] = own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
    # ru_maxrss is in KiB on Linux; RUSAGE_CHILDREN's is the largest single worker's, not a sum.
    row["peak_rss_mb"] = (own.ru_maxrss + workers.ru_maxrss) / 1024
    print(json.dumps(row, ensure_ascii=False))


# --- the report --------------------------------------------------------------------------------


def store_files(site: Path) -> dict[str, int]:
    """Each variant file in the image store, with its mtime: a re-encoded one gets a new mtime."""
    found = {}
    for root, _, names in os.walk(site / ".sitegen-cache" / "images"):
        for name in names:
            path = os.path.join(root, name)
            found[path] = os.stat(path).st_mtime_ns
    return found


def encoded(before: dict[str, int], after: dict[str, int]) -> int:
    return sum(1 for path, mtime in after.items() if before.get(path) != mtime)


def output_files(public: Path) -> dict[str, object]:
    """Each output file with what tells a rewrite: a variant's size (its name is its content), else a digest."""
    import hashlib

    from sitegen.images import IMAGES_DIR

    found: dict[str, object] = {}
    for root, _, names in os.walk(public):
        for name in names:
            path = os.path.join(root, name)
            relative = os.path.relpath(path, public)
            if relative.startswith(IMAGES_DIR + "/"):
                found[relative] = os.stat(path).st_size
            else:
                with open(path, "rb") as file:
                    found[relative] = hashlib.blake2b(file.read(), digest_size=16).digest()
    return found


def changed_files(before: dict[str, object], after: dict[str, object]) -> str:
    """The output files a build added, changed or removed, counted by kind."""
    from sitegen.images import IMAGES_DIR

    kinds: dict[str, int] = {}
    for path in sorted(before.keys() | after.keys()):
        if before.get(path) == after.get(path):
            continue
        sign = "+" if path not in before else "-" if path not in after else ""
        parts = path.split("/")
        if parts[0] == IMAGES_DIR:
            kind = f"{sign}variant"
        elif len(parts) == 3 and parts[2] == "index.html" and parts[1].startswith("a"):
            kind = f"{sign}article page"
        elif len(parts) == 3 and parts[2].endswith(".jpg"):
            kind = f"{sign}bundle file"
        else:
            kind = f"{sign}{parts[0] if len(parts) > 1 else path}"
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{kind} {count}" for kind, count in kinds.items())


def measure(args: argparse.Namespace, work: Path) -> None:
    import PIL
    from PIL import features

    import sitegen

    photos = ensure_photos(args.photos / f"v{PHOTO_VERSION}-{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}", args.photos_count + 1, args.jobs)
    replacement = photos.pop()  # one more than the site uses: the replaced photo's new pixels
    sizes = sorted(p.stat().st_size / 2**20 for p in photos)
    site = work / "site"
    started = time.perf_counter()
    covers = make_site(site, photos)
    articles = len(covers)
    print(
        f"site of {articles} articles, {len(photos)} photos ({articles} covers, {len(photos) - articles} body images) made in {time.perf_counter() - started:.1f} s at {site}"
    )
    print(f"photos: {sizes[0]:.2f} / {statistics.median(sizes):.2f} / {sizes[-1]:.2f} MB (min / median / max), {sum(sizes) / 1024:.2f} GB in all")
    print(f"sitegen from {Path(sitegen.__file__).parent}, Pillow {PIL.__version__}, libjpeg {features.version('jpg')}, libwebp {features.version('webp')}")

    floor_out = work / "floor"
    rows: dict[str, dict] = {}
    rows["Pillow floor, 1 core"] = run_child("floor", site, 1, floor_out)
    shutil.rmtree(floor_out)
    rows[f"Pillow floor, {args.jobs} cores"] = run_child("floor", site, args.jobs, floor_out)
    shutil.rmtree(floor_out)
    before: dict[str, int] = {}
    for name in ("cold build", "no change"):
        rows[name] = run_child("build", site, args.jobs)
        after = store_files(site)
        rows[name]["encoded"] = encoded(before, after)
        before = after
    target = covers[len(covers) // 2]
    published = output_files(site / "public")
    target.unlink()  # never write through the hard link into the cached photo
    shutil.copyfile(replacement, target)
    rows["one replaced photo"] = run_child("build", site, args.jobs)
    rows["one replaced photo"]["encoded"] = encoded(before, store_files(site))
    republished = output_files(site / "public")
    difference = changed_files(published, republished)
    page = str(target.parent.relative_to(site / "content") / "index.html")
    rebuilt = published.get(page) != republished.get(page)

    floor = rows[f"Pillow floor, {args.jobs} cores"]["seconds"]
    one_core = rows["Pillow floor, 1 core"]["seconds"]
    floor_cpu = rows["Pillow floor, 1 core"]["cpu"]
    print(f"\nfloor: {one_core / len(photos) * 1000:.0f} ms of one core per photo; replaced {target.relative_to(site)}")
    print(
        f"{'row':<22}{'seconds':>9}{'x floor':>9}{'CPU s':>9}{'CPU x':>7}{'peak RSS MB':>13}{'rendered':>10}{'written':>9}{'removed':>9}{'encoded':>9}{'others':>8}"
    )
    for name, row in rows.items():
        numbers = "".join(
            f"{row[key]:>{width}}" if key in row else f"{'-':>{width}}" for key, width in (("rendered", 10), ("written", 9), ("removed", 9), ("encoded", 9))
        )
        print(
            f"{name:<22}{row['seconds']:>9.3f}{row['seconds'] / floor:>9.3f}{row['cpu']:>9.1f}{row['cpu'] / floor_cpu:>7.2f}{row['peak_rss_mb']:>13.0f}{numbers}{row['others']:>8.2f}"
        )
    print("CPU x: CPU seconds as a multiple of the one-core floor's, which other processes on the cores barely move")
    print("encoded: variant files written into .sitegen-cache/images/ by that build (new or newer mtime)")
    print("others: cores kept busy by other processes during the row, on average (/proc/stat less the row's CPU)")
    for name in ("cold build", "no change", "one replaced photo"):
        row = rows[name]
        stages = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in row["timings"].items())
        print(f"{name} stages (s): {stages}")
        print(f"  {row['pages']} pages, {row['images']} images, {row['unchanged']} files unchanged, {len(row['warnings'])} warnings")
    print(f"one replaced photo changed in public/ (+ added, - removed): {difference or 'nothing'}")
    if not rebuilt:
        print(f"  WRONG: {page} still shows the old photo: the replaced photo was not published")
    for warning in rows["cold build"]["warnings"][:5]:
        print(f"  warning: {warning}")
    print(f"load average now: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    from sitegen.workers import default_jobs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos-count", type=int, default=1000, help="photos in the site: 4/5 covers, 1/5 body images")
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--photos", type=Path, default=Path("/tmp/sitegen-bench/photos"), help="where generated photos are kept between runs")
    parser.add_argument("--keep", type=Path, help="build the site in DIR and leave it there (else a temporary folder)")
    parser.add_argument("--child", choices=["floor", "build"], help=argparse.SUPPRESS)
    parser.add_argument("--site", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.site, args.jobs, args.floor_out)
        return
    print(
        f"machine: {os.cpu_count()} CPUs, jobs {args.jobs}, Python {platform.python_version()}, {platform.platform()}, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GB, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"load {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        measure(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="sitegen-images-") as work:
            measure(args, Path(work))


if __name__ == "__main__":
    main()
