"""Images: covers, body images and page-bundle resources, found, measured and made into variants.

`attach_images()` is the loader's last stage: it resolves every image an article uses (its
`image` cover and each `![说明](pic.jpg)` of its body) to a file of the site, lists the other
files of each page bundle, measures each image once (stat-cached) and puts the table of
`Picture`s in the site model. It reads, never writes, so `sitegen check` runs it too.
`make_variants()` is the build's: it encodes, on every core, the variants no earlier build left
in `.sitegen-cache/images/<digest>/`, keyed by the file's bytes and the settings, so a variant is
never encoded twice. Variants are routes like pages (routes._images), fingerprinted by their
picture's digest; `picture_html()` turns a body's `<img>` into a `<picture>` when a page renders.

Every variant is re-encoded from pixels only: EXIF (GPS, camera, time), XMP, comments and
embedded thumbnails never reach the output. A patient's photo may carry where it was taken.
"""

from __future__ import annotations

import hashlib
import html
import os
import posixpath
import re
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .config import ImageSettings
from .content import stat_key as file_stat_key
from .errors import Problem
from .model import Article, ArticleImage, Picture, Site, Variant, output_path
from .site import base_path
from .theme import static_files
from .workers import run_chunks

CONTENT_DIR = "content"
STATIC_PREFIX = "static/"
IMAGES_DIR = "_images"  # the output folder of every variant: /_images/<name>-<digest>-<width>.webp; immutable
STORE_DIR = "images"  # under .sitegen-cache/
MAX_ORIGINAL_BYTES = 5 * 1024 * 1024
SHARE_SIZE = (1200, 630)  # what WeChat, Weibo, X and Google Discover show as a large card
# Bump when the same original and settings would give other variant bytes (a new resampling,
# another encoder option): every variant gets a new name, so browsers and CDNs fetch it again.
IMAGES_VERSION = 1

# Formats Pillow decodes and we re-encode; anything else (GIF, SVG, AVIF) is published as it is.
_RASTER = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
_IMAGE_SUFFIXES = {*_RASTER, ".gif", ".svg", ".avif"}
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
_GPS_IFD = 0x8825
_ORIENTATION = 0x0112
_NOT_IN_NAME = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Measured:
    """What reading an image's header and hashing its bytes told us, cached by the file's stat."""

    digest: str  # of the bytes, the settings and IMAGES_VERSION
    width: int  # as shown: EXIF orientation applied
    height: int
    format: str  # JPEG, PNG, WEBP, or the suffix of a file published as it is
    size: int
    alpha: bool
    gps: bool
    error: str = ""  # why Pillow could not read it


@dataclass(frozen=True)
class ImagesLoaded:
    site: Site
    problems: list[Problem]
    warnings: list[Problem]
    measured: dict[str, tuple[tuple[int, int, int, int], Measured]]  # for the cache, by key
    missing: list[Problem] = field(default_factory=list)  # body images whose file is not there (warnings)


def attribute_escape(value: str) -> str:
    """A value as the sanitiser writes it inside an attribute's double quotes (html5ever's rule)."""
    return value.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace('"', "&quot;")


def is_image(name: str) -> bool:
    return posixpath.splitext(name)[1].lower() in _IMAGE_SUFFIXES


def attach_images(
    site: Site,
    site_dir: Path,
    bodies: Mapping[str, Sequence[str]],
    content_files: Mapping[str, tuple[int, int, int, int]],
    known: Mapping[str, tuple[tuple[int, int, int, int], Measured]],
    lines,
    jobs: int = 1,
) -> ImagesLoaded:
    """The site with each article's cover, body images and bundle resources, and the picture table.

    `bodies` holds each article's image sources as the body renders them (RenderedBody.images),
    by source path; `content_files` every file under content/ that is not an article, with its
    stat; `known` what an earlier build measured; `lines(article_path, key)` finds a front-matter
    key's line.
    """
    settings = site.config.images
    prefix = base_path(site.config)
    statics = static_files(site_dir)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    missing: list[Problem] = []  # body images not found: a warning when building, an error in check
    files = _SiteFiles(site_dir, statics, content_files, known, settings)
    bundles = _bundles(site.articles, content_files)
    resource_urls = {
        f"{_folder_url(article.url)}{name}": key
        for article in site.articles
        for name, key in bundles.get(article.source_path, ())
    }
    covers: set[str] = set()
    articles: list[Article] = []
    for article in site.articles:
        where = _Where(site_dir, article.source_path, lines)
        cover = _cover(article, files, prefix, resource_urls, where, problems, warnings)
        if cover is not None and cover.key:
            covers.add(cover.key)
        body_images: dict[str, str] = {}
        for src in dict.fromkeys(bodies.get(article.source_path, ())):
            key = _resolve(src, article, files, prefix, resource_urls)
            if key is None:
                continue
            if key == "" or not files.exists(key):
                shown = unquote(html.unescape(src))
                expected = _expected_file(src, article.source_path, prefix)
                hint = f"\uff1bstatic/ 中的文件在网站上没有 static/ 这一级\uff0c请写成 /{shown.split('static/', 1)[1]}" if "static/" in shown else ""
                missing.append(where.body(src, f"图片 {shown} 不存在\uff1b请把图片放到 {expected}{hint}", "warning"))
                continue
            body_images[attribute_escape(src)] = key
        resources = bundles.get(article.source_path, ())
        if cover is article.cover and not body_images and not resources:
            articles.append(article)  # most articles of a big site: no image, no copy (replace() costs 10 µs)
            continue
        articles.append(replace(article, cover=cover, images=tuple(sorted(body_images.items())), resources=resources))
    default_key = _default_image(settings, files, problems)
    if default_key:
        covers.add(default_key)
    used = {key for a in articles for key in (*dict(a.images).values(), *(k for _, k in a.resources))} | covers
    pictures: dict[str, Picture] = {}
    files.measure_all(sorted(used), jobs)
    for key in sorted(used):
        measured = files.measure(key)
        if measured is None:
            continue
        if measured.error:
            # A cover must be an image; a body image Pillow cannot read is published as it is.
            message = f"无法读取图片\uff08{measured.error}\uff09\uff1b请用看图软件重新导出为 JPEG 或 PNG"
            if key in covers:
                problems.append(Problem(key, None, message))
                continue
            warnings.append(Problem(key, None, message + "\uff08现按原文件发布\uff0c没有缩放图\uff09", "warning"))
            measured = replace(measured, format=posixpath.splitext(key)[1].lstrip(".").lower(), width=0, height=0)
        pictures[key] = _picture(key, measured, settings, prefix, share=key in covers)
    warnings.extend(_image_warnings(articles, pictures, files, site_dir, lines, default_key))
    images_site = replace(site, articles=tuple(articles), images=pictures, share_image=default_key)
    return ImagesLoaded(images_site, problems, warnings, files.measured, missing)


# --- finding the files ------------------------------------------------------------------------


class _SiteFiles:
    """The files an image may come from: content/ (stats from the scan) and static/ (theme's and site's)."""

    def __init__(self, site_dir: Path, statics: Mapping[str, Path], content_files, known, settings: ImageSettings):
        self.site_dir = site_dir
        self.statics = statics
        self.content_files = content_files
        self.known = known
        self.settings = settings
        self.measured: dict[str, tuple[tuple[int, int, int, int], Measured]] = {}

    def path(self, key: str) -> Path:
        if key.startswith(STATIC_PREFIX):
            return self.statics[key[len(STATIC_PREFIX) :]]
        return self.site_dir / key

    def exists(self, key: str) -> bool:
        if key.startswith(STATIC_PREFIX):
            return key[len(STATIC_PREFIX) :] in self.statics
        return key in self.content_files

    def measure_all(self, keys: Sequence[str], jobs: int) -> None:
        """Measure every image in `keys` an earlier build has not, on up to `jobs` processes (reading and hashing 1,000 photos is seconds)."""
        unknown: list[tuple[str, Path, tuple[int, int, int, int]]] = []
        mark = _settings_mark(self.settings)
        for key in keys:
            if key in self.measured:
                continue
            path = self.path(key)
            try:
                stat = path.stat()
            except OSError:
                continue
            stat_key = file_stat_key(stat)
            previous = self.known.get(key)
            if previous is not None and previous[0] == stat_key and previous[1].digest.endswith(mark):
                self.measured[key] = (stat_key, previous[1])
            else:
                unknown.append((key, path, stat_key))
        for chunk in run_chunks(_measure_chunk, unknown, shared=self.settings, jobs=jobs, minimum=16, smallest=4):
            for key, stat_key, found in chunk:
                self.measured[key] = (stat_key, found)

    def measure(self, key: str) -> Measured | None:
        """What `key` is, measured by measure_all(); None when the file is gone."""
        if key not in self.measured:
            self.measure_all([key], jobs=1)
        found = self.measured.get(key)
        return None if found is None else found[1]


def _measure_chunk(settings: ImageSettings, items: Sequence[tuple[str, Path, tuple[int, int, int, int]]]) -> list[tuple[str, tuple[int, int, int, int], Measured]]:
    return [(key, stat_key, _measure(path, settings)) for key, path, stat_key in items]


def _settings_mark(settings: ImageSettings) -> str:
    text = repr((IMAGES_VERSION, tuple(settings.widths), settings.quality))
    return hashlib.blake2b(text.encode(), digest_size=3).hexdigest()


def _measure(path: Path, settings: ImageSettings) -> Measured:
    from PIL import Image, UnidentifiedImageError

    try:
        data = path.read_bytes()
    except OSError as exc:
        return Measured("", 0, 0, "", 0, False, False, exc.strerror or str(exc))
    digest = hashlib.blake2b(data, digest_size=8).hexdigest() + _settings_mark(settings)
    suffix = path.suffix.lower()
    if suffix not in _RASTER and suffix != ".gif":
        width, height = _svg_size(data) if suffix == ".svg" else (0, 0)
        return Measured(digest, width, height, suffix.lstrip("."), len(data), True, False)
    import io

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            exif = image.getexif()
            if exif.get(_ORIENTATION) in (5, 6, 7, 8):
                width, height = height, width
            alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            gps = bool(exif.get_ifd(_GPS_IFD)) or _GPS_IFD in exif
            fmt = image.format or ""
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return Measured(digest, 0, 0, "", len(data), False, False, _pillow_message(exc))
    if suffix == ".gif" or fmt not in _MIME:
        fmt = suffix.lstrip(".")  # an animated GIF keeps its frames: published as it is
    return Measured(digest, width, height, fmt, len(data), alpha, gps)


def _pillow_message(exc: Exception) -> str:
    if exc.__class__.__name__ == "UnidentifiedImageError":
        return "文件不是图片或已损坏"
    return "文件已损坏或被截断"


_SVG_SIZE = re.compile(rb"<svg\b[^>]*?\bviewBox\s*=\s*[\"']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)", re.S)


def _svg_size(data: bytes) -> tuple[int, int]:
    match = _SVG_SIZE.search(data[:4096])
    return (round(float(match.group(1))), round(float(match.group(2)))) if match else (0, 0)


def _bundles(articles: Sequence[Article], content_files: Mapping[str, Any]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each page bundle's resources: (name inside the bundle, key) for every file beside its index.md."""
    folders = {posixpath.dirname(a.source_path): a.source_path for a in articles if posixpath.basename(a.source_path) == "index.md" and a.source_path.count("/") > 1}
    found: dict[str, list[tuple[str, str]]] = {}
    for key in content_files:
        folder = posixpath.dirname(key)
        while folder and folder not in folders:  # a file in a subfolder of the bundle (img/pic.jpg)
            folder = posixpath.dirname(folder)
        if folder:
            found.setdefault(folders[folder], []).append((key[len(folder) + 1 :], key))
    return {path: tuple(sorted(resources)) for path, resources in found.items()}


def _folder_url(url: str) -> str:
    return url if url.endswith("/") else url.rpartition("/")[0] + "/"


def _resolve(src: str, article: Article, files: _SiteFiles, prefix: str, resource_urls: Mapping[str, str]) -> str | None:
    """The key of the local file `src` names ("" when it names none), or None for a remote or odd URL.

    A relative path is read from the article's file's folder, as Hugo and an editor's Markdown
    preview read it; failing that, from the page's URL (`../../img/x.png` written for the site).
    """
    parts = urlsplit(html.unescape(src))
    if parts.scheme or parts.netloc or not parts.path or not is_image(parts.path):
        return None
    path = unquote(parts.path)
    if not path.startswith("/"):
        key = posixpath.normpath(posixpath.join(posixpath.dirname(article.source_path), path))
        if key.startswith(CONTENT_DIR + "/") and files.exists(key):
            return key
        path = posixpath.normpath(posixpath.join(_folder_url(article.url), path))
        if path.startswith("/") and (found := _resolve_site_path(path, files, prefix, resource_urls)):
            return found
        return key if key.startswith(CONTENT_DIR + "/") else ""
    return _resolve_site_path(path, files, prefix, resource_urls)


def _resolve_site_path(path: str, files: _SiteFiles, prefix: str, resource_urls: Mapping[str, str]) -> str:
    """The key of a site path (`/img/x.png`, `/health/yibao/a/pic.jpg`): a static file or a bundle's resource."""
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :]
    if prefix + path in resource_urls:
        return resource_urls[prefix + path]
    relative = posixpath.normpath(path.lstrip("/"))
    return STATIC_PREFIX + relative if relative in files.statics else ""


def _expected_file(src: str, article_path: str, prefix: str) -> str:
    """Where the file a missing image names would have to be, for the editor's message."""
    path = unquote(urlsplit(html.unescape(src)).path)
    if path.startswith("/"):
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        return STATIC_PREFIX + posixpath.normpath(path.lstrip("/"))
    found = posixpath.normpath(posixpath.join(posixpath.dirname(article_path), path))
    return found if found.startswith(CONTENT_DIR + "/") else f"{CONTENT_DIR}/ 之内"


class _Where:
    """Finds the line of a front-matter key or of an image in an article, only when a problem needs it."""

    def __init__(self, site_dir: Path, path: str, lines):
        self.site_dir, self.path, self.lines = site_dir, path, lines

    def field(self, key: str, message: str, severity: str = "error") -> Problem:
        return Problem(self.path, self.lines(self.path, key), message, severity)

    def body(self, src: str, message: str, severity: str = "warning") -> Problem:
        line = None
        try:
            text = (self.site_dir / self.path).read_text("utf-8", errors="replace")
        except OSError:
            text = ""
        for shown in (html.unescape(src), unquote(html.unescape(src))):
            at = text.find(shown)
            if at >= 0:
                line = text.count("\n", 0, at) + 1
                break
        return Problem(self.path, line, message, severity)


def _cover(article: Article, files: _SiteFiles, prefix: str, resource_urls, where: _Where, problems: list[Problem], warnings: list[Problem]) -> ArticleImage | None:
    written = article.cover
    if written is None:
        return None
    src = written.url
    scheme = urlsplit(src).scheme.lower()
    if scheme == "https":
        return written  # linked as written, never fetched
    if scheme or src.startswith("//"):
        problems.append(where.field("image", f"image: {src} 不是本站图片或 https 地址\uff1b请写相对于本文的路径\uff08cover.jpg\uff09\u3001以 / 开头的 static/ 路径\uff0c或 https:// 地址"))
        return None
    if not is_image(urlsplit(src).path):
        problems.append(where.field("image", f"image: {src} 不是图片文件\uff1b请用 .jpg\u3001.png \u6216 .webp 图片"))
        return None
    key = _resolve(src, article, files, prefix, resource_urls)
    if not key or not files.exists(key):
        problems.append(where.field("image", f"image: 找不到图片 {src}\uff1b请检查文件名\uff0c路径相对于本文所在的文件夹\uff0c或以 / 开头\u3001相对于 static/"))
        return None
    if not written.alt:
        problems.append(where.field("image", "image: 封面图缺少说明文字\uff1b请加上 image_alt: 描述图片内容\uff0c例如 image_alt: 医保窗口前排队的市民"))
        return None
    return replace(written, key=key)


def _default_image(settings: ImageSettings, files: _SiteFiles, problems: list[Problem]) -> str:
    """The key of the share image of pages without a cover: `[images] default`, else the theme's."""
    written = settings.default
    if written is None:
        return STATIC_PREFIX + DEFAULT_SHARE if DEFAULT_SHARE in files.statics else ""
    if not written:
        return ""
    relative = posixpath.normpath(written.lstrip("/"))
    if not written.startswith("/") or relative not in files.statics or not is_image(relative):
        problems.append(Problem("site.toml", None, f"[images] default = \"{written}\" 不是 static/ 中的图片\uff1b请写以 / 开头\u3001相对于 static/ 的路径\uff0c例如 default = \"/img/share.jpg\""))
        return ""
    return STATIC_PREFIX + relative


DEFAULT_SHARE = "images/share-default.jpg"  # shipped in the default theme's static/


# --- the table of pictures ---------------------------------------------------------------------


def _picture(key: str, measured: Measured, settings: ImageSettings, prefix: str, share: bool) -> Picture:
    stem = _NOT_IN_NAME.sub("-", posixpath.splitext(posixpath.basename(key))[0].lower()).strip("-")[:40] or "image"
    # The name carries the bytes and the settings (and IMAGES_VERSION): a new photo, quality or
    # encoder gives new names, so a browser's year-long cache never serves old pixels.
    base = f"{stem}-{hashlib.blake2b(measured.digest.encode(), digest_size=5).hexdigest()}"

    def variant(name: str, width: int, height: int, fmt: str) -> Variant:
        path = f"{IMAGES_DIR}/{name}"
        return Variant(name, path, f"{prefix}/{path}", width, height, _MIME.get(fmt, ""))

    if measured.format not in _MIME:  # published as it is: GIF, SVG, AVIF
        suffix = posixpath.splitext(key)[1].lower()
        original = variant(f"{base}{suffix}", measured.width, measured.height, "")
        return Picture(key, measured.digest, measured.width, measured.height, False, (), (original,), None, measured.size)
    fallback_format = "PNG" if measured.alpha and measured.format != "JPEG" else "JPEG" if measured.format == "WEBP" else measured.format
    widths = sorted({w for w in settings.widths if w < measured.width} | {min(measured.width, max(settings.widths))})
    sizes = [(w, max(1, round(measured.height * w / measured.width))) for w in widths]
    webp = tuple(variant(f"{base}-{w}.webp", w, h, "WEBP") for w, h in sizes)
    fallback = tuple(variant(f"{base}-{w}.{_EXTENSION[fallback_format]}", w, h, fallback_format) for w, h in sizes)
    share_variant = variant(f"{base}-share.jpg", *SHARE_SIZE, "JPEG") if share else None
    return Picture(key, measured.digest, measured.width, measured.height, True, webp, fallback, share_variant, measured.size)


def _image_warnings(articles: Sequence[Article], pictures: Mapping[str, Picture], files: _SiteFiles, site_dir: Path, lines, default_key: str) -> list[Problem]:
    """What `sitegen check` tells an editor about the images: too big, too narrow, GPS, no alt."""
    found: list[Problem] = []
    big: set[tuple[str, str]] = set()
    for article in articles:
        where = _Where(site_dir, article.source_path, lines)
        cover = article.cover
        if cover is not None and cover.key in pictures:
            picture = pictures[cover.key]
            if picture.processed and picture.width < SHARE_SIZE[0]:
                found.append(where.field("image", f"封面图 {cover.url} 只有 {picture.width} 像素宽\uff0c分享卡片和大图推荐需要至少 {SHARE_SIZE[0]} 像素\uff1b请换一张更大的图", "warning"))
        for src in article.unlabelled_images:
            found.append(where.body(src, f"图片 {html.unescape(src)} 缺少说明文字\uff1b请在方括号里写上图片内容\uff0c例如 ![医保卡正反面](card.jpg)\uff0c读屏软件和图片加载失败时都靠它", "warning"))
        uses = [(src, key, False) for src, key in article.images]
        if cover is not None and cover.key:
            uses.append((cover.url, cover.key, True))
        for src, key, is_cover in uses:
            used = pictures.get(key)
            if used is None or used.size <= MAX_ORIGINAL_BYTES or (article.source_path, key) in big:
                continue
            big.add((article.source_path, key))
            message = (
                f"图片 {key} 有 {used.size / 1024 / 1024:.1f} MB\uff0c超过 5 MB\uff1b网站只发布缩小后的图片\uff0c"
                "但请先把原图压缩或缩小到 5 MB 以内\uff08长边 3000 像素足够\uff09\uff0c免得仓库越来越大"
            )
            found.append(where.field("image", message, "warning") if is_cover else where.body(src, message, "warning"))
    for key, (_, measured) in sorted(files.measured.items()):
        if measured.gps and key.startswith(STATIC_PREFIX):
            found.append(Problem(key, None, "图片含有 GPS 位置信息\uff0cstatic/ 中的文件会原样发布\uff1b请用去除位置信息后的图片替换它\uff08文章中用到的缩放图已去掉这些信息\uff09", "warning"))
    return found


# --- making the variants -----------------------------------------------------------------------


class ImageStore:
    """`.sitegen-cache/images/<digest>/<variant name>`: every variant made, kept while it is used."""

    def __init__(self, folder: Path | None, site_dir: Path, statics: Mapping[str, Path] | None = None):
        self.folder = folder
        self.site_dir = site_dir
        self._statics = statics

    def source(self, key: str) -> Path:
        if key.startswith(STATIC_PREFIX):
            if self._statics is None:
                self._statics = static_files(self.site_dir)
            return self._statics[key[len(STATIC_PREFIX) :]]
        return self.site_dir / key

    def path(self, picture: Picture, variant: Variant) -> Path:
        if not picture.processed:
            return self.source(picture.key)
        assert self.folder is not None
        return self.folder / picture.digest / variant.name

    def read(self, picture: Picture, variant: Variant) -> bytes:
        return self.path(picture, variant).read_bytes()

    def missing(self, picture: Picture) -> bool:
        if not picture.processed:
            return False
        return any(not self.path(picture, v).exists() for v in picture.variants)


def make_variants(pictures: Iterable[Picture], store: ImageStore, settings: ImageSettings, jobs: int) -> int:
    """Encode every variant the store does not hold yet, on up to `jobs` processes; returns how many pictures were made.

    Folders of pictures no longer used are removed a week after their last use, so a preview
    with drafts and a build without them do not encode each other's images again and again.
    """
    assert store.folder is not None
    wanted = [p for p in pictures if p.processed]
    todo = [p for p in wanted if store.missing(p)]
    for _ in run_chunks(_make_chunk, todo, shared=(store, settings), jobs=jobs, minimum=2, smallest=1):
        pass
    _prune(store.folder, {p.digest for p in wanted})
    return len(todo)


def _make_chunk(shared: tuple, pictures: Sequence[Picture]) -> list[None]:
    store, settings = shared
    for picture in pictures:
        make_picture(store.source(picture.key), store.folder / picture.digest, picture, settings)
    return []


def make_picture(source: Path, folder: Path, picture: Picture, settings: ImageSettings) -> None:
    """Decode `source` once, upright and without metadata, and write each variant of `picture` into `folder`."""
    from PIL import Image, ImageOps

    largest = max(picture.fallback[-1].width, SHARE_SIZE[0] if picture.share else 0)
    with Image.open(source) as opened:
        if opened.format == "JPEG":
            # Decode at the smallest 1/2, 1/4 or 1/8 scale still larger than needed: a 3000 px
            # photo made into 1440 px variants decodes four times fewer pixels.
            turned = opened.getexif().get(_ORIENTATION) in (5, 6, 7, 8)
            stored_width = opened.height if turned else opened.width
            stored_height = opened.width if turned else opened.height
            box = (largest, round(largest * stored_height / stored_width))
            opened.draft("RGB", box[::-1] if turned else box)
        upright = ImageOps.exif_transpose(opened)
        upright.load()
    image = _plain_pixels(upright)
    folder.mkdir(parents=True, exist_ok=True)
    made: list[tuple[Variant, Image.Image]] = []
    current = image
    for fallback in reversed(picture.fallback):  # largest first: each smaller one from the last
        size = (fallback.width, fallback.height)
        current = current if current.size == size else current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        made.append((fallback, current))
    by_width = {v.width: v for v in picture.webp}
    for fallback, pixels in made:
        _save(pixels, folder / fallback.name, fallback.mime, settings.quality)
        _save(pixels, folder / by_width[fallback.width].name, "image/webp", settings.quality)
    if picture.share is not None:
        card = ImageOps.fit(image, SHARE_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
        _save(card, folder / picture.share.name, "image/jpeg", settings.quality)


def _plain_pixels(image):
    """RGB or RGBA pixels in sRGB, with no metadata left to copy: the encoders see pixels only."""
    from PIL import Image, ImageCms

    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA"):
        has_alpha = image.mode in ("LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        image = image.convert("RGBA" if has_alpha else "RGB")
    if icc:
        try:  # a phone's Display P3 photo would look dull with its profile dropped: convert it
            profile = ImageCms.ImageCmsProfile(__import__("io").BytesIO(icc))
            image = ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode=image.mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    plain = Image.new(image.mode, image.size)
    plain.paste(image)
    return plain


def _save(image, target: Path, mime: str, quality: int) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    if mime == "image/jpeg":
        if image.mode == "RGBA":
            from PIL import Image

            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(temporary, "JPEG", quality=quality, optimize=True, progressive=True)
    elif mime == "image/webp":
        image.save(temporary, "WEBP", quality=quality, method=4)
    else:
        image.save(temporary, "PNG", optimize=False, compress_level=7)
    os.replace(temporary, target)


def _prune(folder: Path, used: set[str], week: float = 7 * 86400) -> None:
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name in used:
            try:
                os.utime(entry.path)  # last used now
            except OSError:
                pass
        elif entry.is_dir(follow_symlinks=False):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > week:
                    shutil.rmtree(entry.path, ignore_errors=True)
            except OSError:
                pass


# --- rendering ---------------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)(picture|img)\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([A-Za-z][\w:-]*)(?:="([^"]*)")?')


def srcset(variants: Sequence[Variant]) -> str:
    return ", ".join(f"{v.url} {v.width}w" for v in variants)


def display_src(picture: Picture) -> Variant:
    """The fallback `src` of a picture: the largest variant no wider than 960 px, else the smallest."""
    fitting = [v for v in picture.fallback if v.width <= 960]
    return fitting[-1] if fitting else picture.fallback[0]


def picture_html(
    body: str, images: Mapping[str, str], pictures: Mapping[str, Picture], sizes: str, on_use=None
) -> str:
    """The body with each of its local images as a responsive `<picture>`, and every image lazy.

    `images` maps a body's `src` (as in the HTML) to its key; `on_use(key)` is told of each
    picture used, so the page records the fact. An `<img>` inside an editor's own `<picture>`, or
    one with its own `srcset`, keeps its markup: only its `src` is pointed at the published file.
    """
    if "<img" not in body:
        return body
    depth = 0
    parts: list[str] = []
    last = 0
    for match in _TAG.finditer(body):
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if name == "picture":
            depth += -1 if closing else 1
            continue
        parts.append(body[last : match.start()])
        last = match.end()
        attrs = dict((k.lower(), v if v is not None else "") for k, v in _ATTRIBUTE.findall(attributes.rstrip("/")))
        key = images.get(attrs.get("src", ""))
        picture = pictures.get(key) if key else None
        if picture is not None and on_use is not None:
            on_use(key)
        parts.append(_img(attrs, picture, sizes, inside_picture=depth > 0))
    parts.append(body[last:])
    return "".join(parts)


def _img(attrs: dict[str, str], picture: Picture | None, sizes: str, inside_picture: bool) -> str:
    attrs.setdefault("loading", "lazy")
    attrs.setdefault("decoding", "async")
    if picture is None:
        return _tag("img", attrs)
    if not picture.processed:
        attrs["src"] = picture.fallback[0].url
        if picture.width and "width" not in attrs and "height" not in attrs:
            attrs.update(width=str(picture.width), height=str(picture.height))
        return _tag("img", attrs)
    shown = display_src(picture)
    attrs["src"] = shown.url
    if inside_picture or "srcset" in attrs:
        return _tag("img", attrs)
    largest = picture.fallback[-1]
    if "width" in attrs and attrs["width"].isdigit() and "height" not in attrs:
        attrs["height"] = str(max(1, round(int(attrs["width"]) * largest.height / largest.width)))
    elif "width" not in attrs and "height" not in attrs:
        attrs.update(width=str(largest.width), height=str(largest.height))
    ordered = {"src": attrs.pop("src"), "srcset": srcset(picture.fallback), "sizes": sizes, **attrs}
    source = f'<source type="image/webp" srcset="{html.escape(srcset(picture.webp))}" sizes="{html.escape(sizes)}">'
    return f"<picture>{source}{_tag('img', ordered)}</picture>"


def _tag(name: str, attrs: Mapping[str, str]) -> str:
    # Values come from the sanitised body (already escaped) or from us (URLs of our own files).
    shown = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    return f"<{name} {shown}>"


def resource_variant(picture: Picture) -> Variant:
    """What a bundle publishes under an image's own name: its largest variant in the original format."""
    if not picture.processed:
        return picture.fallback[0]
    if posixpath.splitext(picture.key)[1].lower() == ".webp":
        return picture.webp[-1]
    return picture.fallback[-1]


def resource_path(article: Article, name: str, prefix: str) -> str:
    """The output path of a bundle's resource: beside the article's page."""
    page = output_path(article.url, prefix)
    folder = posixpath.dirname(page)
    return f"{folder}/{name}" if folder else name
