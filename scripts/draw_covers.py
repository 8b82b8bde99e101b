"""Draw the sample site's cover images and the default theme's share image, with Pillow.

Everything here is drawn from simple shapes: no photos, no downloads, no text in the pictures
(fonts are not guaranteed). One colour scheme per topic folder of content/. The drawings are
deterministic (fixed seeds, no clock) and the script is idempotent: a file whose bytes would not
change is not rewritten, and an article that already has an `image:` field is left alone.

    .venv/bin/python scripts/draw_covers.py [--site DIR] [--no-front-matter] [--share PATH]

What it writes:

* a cover beside each article in COVERS (`content/<topic>/<slug>.jpg`, 1600x1000, JPEG q85),
  and, unless --no-front-matter, `image:`, `image_alt:` (and sometimes `image_caption:`) inserted
  after the article's `tags:` line;
* in the page bundle content/jiuyi/sanjia-yiyuan-kanbing-liucheng/: cover.jpg; photo.jpg, a
  photo-like 2400x1600 picture stored rotated (1600x2400 pixels) with EXIF Orientation 6 and
  made-up EXIF GPS data, so that publishing must both rotate it and strip the GPS block; and
  diagram.png, a 1200x800 flow diagram on a transparent background;
* the default theme's share image, src/sitegen/theme/static/images/share-default.jpg (1200x630).
"""

from __future__ import annotations

import argparse
import io
import itertools
import math
import random
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

REPO = Path(__file__).resolve().parents[1]
SHARE_DEFAULT = REPO / "src/sitegen/theme/static/images/share-default.jpg"

W, H = 1600, 1000  # covers
SS = 2  # supersampling: drawn at twice the size, then scaled down, for smooth edges
MAX_COVER_BYTES = 400_000
MAX_SHARE_BYTES = 120_000

Colour = tuple[int, int, int]
RGBA = tuple[int, int, int, int]
Point = tuple[float, float]


def rgb(hex_colour: str) -> Colour:
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def alpha(c: Colour, a: int) -> RGBA:
    return (c[0], c[1], c[2], a)


def blur(im: Image.Image, radius: float) -> Image.Image:
    """Gaussian blur of an RGBA image with premultiplied alpha: no dark fringes where it fades out."""
    return im.convert("RGBa").filter(ImageFilter.GaussianBlur(radius)).convert("RGBA")


WHITE: Colour = (255, 255, 255)
METAL: Colour = rgb("#C9D4DB")
GLASS: Colour = rgb("#EEF4F7")
RED: Colour = rgb("#E0605E")


@dataclass(frozen=True)
class Palette:
    top: Colour  # background, top left
    bottom: Colour  # background, bottom right
    main: Colour
    second: Colour
    third: Colour
    ink: Colour  # dark details, never black
    paper: Colour = WHITE

    @property
    def shadow(self) -> Colour:
        return mix(self.bottom, self.ink, 0.55)

    @property
    def soft(self) -> Colour:  # light tint of the main colour, for placeholder bars and cells
        return mix(self.main, WHITE, 0.78)


def palette(top: str, bottom: str, main: str, second: str, third: str, ink: str) -> Palette:
    return Palette(rgb(top), rgb(bottom), rgb(main), rgb(second), rgb(third), rgb(ink))


PALETTES: dict[str, Palette] = {
    "ertong": palette("#FFF2E8", "#F7C9B6", "#E5775F", "#5FA6D3", "#F2BC4E", "#5B4752"),  # peach
    "jiuyi": palette("#E8F7F4", "#A9DBD2", "#1F857C", "#E5736B", "#F1C463", "#22505A"),  # teal
    "manxingbing": palette("#F1EFFB", "#C6BEE9", "#6759B5", "#DF6479", "#6FC0B0", "#3C365F"),  # lavender
    "shebao": palette("#F8F2E7", "#DFCCA7", "#386B9C", "#E0A03E", "#78AE9D", "#37435A"),  # sand
    "shengyubaoxian": palette("#FDEFF3", "#F1C0CF", "#C45A7E", "#6FB8A5", "#F0C066", "#5A3B4B"),  # rose
    "shuqianjiancha": palette("#EAF2FB", "#B0CCE9", "#2C6BA5", "#E1615F", "#66BDA9", "#213D5C"),  # ice blue
    "tijian": palette("#EEF8EA", "#BBDDAE", "#468A48", "#EFAE3A", "#56A1C6", "#2C4733"),  # green
    "yibao": palette("#E6F5FB", "#A5D4EC", "#1A7AAE", "#EE845A", "#F2C656", "#1D3D55"),  # sky
    "yongyao": palette("#FFF7E6", "#F4D293", "#CF7A25", "#489B97", "#E26A6A", "#5A4026"),  # apricot
    "zhengzhuang": palette("#F9EFEA", "#E4BFAC", "#B1553A", "#4A89B0", "#EEB648", "#4C342E"),  # clay
}


# --- drawing --------------------------------------------------------------------------------------


class Layer:
    """A transparent RGBA sheet drawn in logical units (multiplied by `ss`)."""

    def __init__(self, w: float, h: float, ss: int = SS) -> None:
        self.w, self.h, self.ss = w, h, ss
        self.im = Image.new("RGBA", (round(w * ss), round(h * ss)), (0, 0, 0, 0))
        self.d = ImageDraw.Draw(self.im)

    def _xy(self, pts: Sequence[Point]) -> list[tuple[int, int]]:
        return [(round(x * self.ss), round(y * self.ss)) for x, y in pts]

    def _box(self, x0: float, y0: float, x1: float, y1: float) -> list[int]:
        s = self.ss
        return [round(x0 * s), round(y0 * s), round(x1 * s), round(y1 * s)]

    def _fill(self, c: Colour | RGBA | None) -> RGBA | None:
        if c is None:
            return None
        return c if len(c) == 4 else alpha(c, 255)  # type: ignore[arg-type,return-value]

    def circle(self, cx: float, cy: float, r: float, fill=None, outline=None, width: float = 0) -> None:
        self.ellipse(cx - r, cy - r, cx + r, cy + r, fill, outline, width)

    def ellipse(self, x0, y0, x1, y1, fill=None, outline=None, width: float = 0) -> None:
        self.d.ellipse(self._box(x0, y0, x1, y1), fill=self._fill(fill), outline=self._fill(outline), width=round(width * self.ss))

    def rrect(self, x0, y0, x1, y1, r, fill=None, outline=None, width: float = 0, corners=None) -> None:
        box = self._box(x0, y0, x1, y1)
        # Pillow needs 2r + 2 <= the box's sides (in pixels) when only some corners are round
        radius = max(0, min(round(r * self.ss), (box[2] - box[0] - 2) // 2, (box[3] - box[1] - 2) // 2))
        self.d.rounded_rectangle(box, radius=radius, fill=self._fill(fill), outline=self._fill(outline), width=round(width * self.ss), corners=corners)

    def poly(self, pts: Sequence[Point], fill) -> None:
        self.d.polygon(self._xy(pts), fill=self._fill(fill))

    def line(self, pts: Sequence[Point], width: float, fill, caps: bool = True) -> None:
        self.d.line(self._xy(pts), fill=self._fill(fill), width=max(1, round(width * self.ss)), joint="curve")
        if caps:
            for x, y in (pts[0], pts[-1]):
                self.circle(x, y, width / 2, fill)

    def arc(self, cx, cy, r, start, end, width, fill, caps: bool = True) -> None:
        """An arc of a circle of radius r (to the stroke's middle); angles in degrees, clockwise from 3 o'clock."""
        ro = r + width / 2
        self.d.arc(self._box(cx - ro, cy - ro, cx + ro, cy + ro), start, end, fill=self._fill(fill), width=max(1, round(width * self.ss)))
        if caps:
            for a in (start, end):
                t = math.radians(a)
                self.circle(cx + r * math.cos(t), cy + r * math.sin(t), width / 2, fill)

    def pieslice(self, cx, cy, r, start, end, fill) -> None:
        self.d.pieslice(self._box(cx - r, cy - r, cx + r, cy + r), start, end, fill=self._fill(fill))

    def chord(self, x0, y0, x1, y1, start, end, fill) -> None:
        self.d.chord(self._box(x0, y0, x1, y1), start, end, fill=self._fill(fill))

    def paste(self, sprite: Layer, cx: float, cy: float, angle: float = 0.0) -> None:
        """Put `sprite`'s centre at (cx, cy), turned `angle` degrees anticlockwise."""
        im = sprite.im
        if angle:
            im = im.convert("RGBa").rotate(angle, resample=Image.Resampling.BICUBIC, expand=True).convert("RGBA")
        x = round(cx * self.ss - im.width / 2)
        y = round(cy * self.ss - im.height / 2)
        self.im.alpha_composite(im, dest=(max(0, x), max(0, y)), source=(max(0, -x), max(0, -y)))


def bezier(p0: Point, p1: Point, p2: Point, p3: Point | None = None, n: int = 48) -> list[Point]:
    pts = []
    for i in range(n + 1):
        t = i / n
        if p3 is None:
            x = (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t * t * p2[0]
            y = (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t * t * p2[1]
        else:
            x = (1 - t) ** 3 * p0[0] + 3 * (1 - t) ** 2 * t * p1[0] + 3 * (1 - t) * t * t * p2[0] + t**3 * p3[0]
            y = (1 - t) ** 3 * p0[1] + 3 * (1 - t) ** 2 * t * p1[1] + 3 * (1 - t) * t * t * p2[1] + t**3 * p3[1]
        pts.append((x, y))
    return pts


def dashed(L: Layer, pts: Sequence[Point], width: float, fill, dash: float = 26, gap: float = 20) -> None:
    """A dashed line along a polyline, dashes `dash` long with round ends."""
    run, on, current = 0.0, True, [pts[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        seg = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while seg - pos > 1e-6:
            limit = (dash if on else gap) - run
            step = min(limit, seg - pos)
            pos += step
            run += step
            p = (x0 + (x1 - x0) * pos / seg, y0 + (y1 - y0) * pos / seg)
            if on:
                current.append(p)
            if run >= (dash if on else gap) - 1e-6:
                if on and len(current) > 1:
                    L.line(current, width, fill)
                on, run, current = not on, 0.0, [p]
    if on and len(current) > 1:
        L.line(current, width, fill)


class Canvas:
    """Background (gradient, soft light, confetti) plus layers composited with soft shadows."""

    def __init__(
        self, w: int, h: int, pal: Palette, seed: str, ss: int = SS, confetti: int = 14, keep_clear: tuple[float, float, float, float] | None = None
    ) -> None:
        self.w, self.h, self.ss, self.pal = w, h, ss, pal
        self.rng = random.Random(zlib.crc32(seed.encode("utf-8")))
        self.img = gradient(w * ss, h * ss, pal.top, pal.bottom)
        self._glow()
        self._confetti(confetti, keep_clear or (w * 0.19, h * 0.17, w * 0.81, h * 0.83))

    def layer(self) -> Layer:
        return Layer(self.w, self.h, self.ss)

    def add(self, layer: Layer, shadow: float = 0.20, offset: Point = (0, 14), spread: float = 16) -> None:
        if shadow:
            a = layer.im.getchannel("A")
            q = 4
            small = a.resize((a.width // q, a.height // q), Image.Resampling.BILINEAR)
            small = small.filter(ImageFilter.GaussianBlur(spread * self.ss / q))
            soft = small.resize(a.size, Image.Resampling.BILINEAR).point(lambda v: round(v * shadow))
            sh = Image.new("RGBA", a.size, alpha(self.pal.shadow, 0))
            sh.putalpha(soft)
            ox, oy = round(offset[0] * self.ss), round(offset[1] * self.ss)
            self.img.alpha_composite(sh.crop((0, 0, a.width - ox, a.height - oy)), dest=(ox, oy))
        self.img.alpha_composite(layer.im)

    def disc(self, cx: float, cy: float, r: float, a: int = 120, colour: Colour = WHITE, blur_radius: float = 0) -> None:
        """A soft round backdrop behind the main motif."""
        L = self.layer()
        L.circle(cx, cy, r, alpha(colour, a))
        if blur_radius:
            L.im = blur(L.im, blur_radius * self.ss)
        self.img.alpha_composite(L.im)

    def _glow(self) -> None:
        q = 8
        lw, lh = self.w * self.ss // q, self.h * self.ss // q
        glow = Image.new("RGBA", (lw, lh), (0, 0, 0, 0))
        d = ImageDraw.Draw(glow)
        rng = self.rng
        for i in range(4):
            colour = WHITE if i < 3 else self.pal.main
            a = rng.randint(45, 70) if i < 3 else rng.randint(10, 16)
            r = rng.uniform(0.22, 0.38) * lw
            cx, cy = rng.uniform(0.0, 1.0) * lw, rng.uniform(-0.1, 1.1) * lh
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=alpha(colour, a))
        glow = blur(glow, lw * 0.09)
        self.img.alpha_composite(glow.resize(self.img.size, Image.Resampling.BICUBIC))

    def _confetti(self, n: int, clear: tuple[float, float, float, float]) -> None:
        L = self.layer()
        rng = self.rng
        colours = [WHITE, WHITE, self.pal.main, self.pal.second, self.pal.third]
        placed = 0
        tries = 0
        while placed < n and tries < 500:
            tries += 1
            x, y = rng.uniform(40, self.w - 40), rng.uniform(40, self.h - 40)
            if clear[0] < x < clear[2] and clear[1] < y < clear[3]:
                continue
            colour = colours[rng.randrange(len(colours))]
            a = rng.randint(120, 190)
            kind = rng.randrange(3)
            s = rng.uniform(7, 15) * self.w / 1600
            if kind == 0:
                L.circle(x, y, s, alpha(colour, a))
            elif kind == 1:
                L.circle(x, y, s * 1.2, None, alpha(colour, a), width=s * 0.45)
            else:
                t = s * 0.5
                L.rrect(x - s * 1.3, y - t, x + s * 1.3, y + t, t, alpha(colour, a))
                L.rrect(x - t, y - s * 1.3, x + t, y + s * 1.3, t, alpha(colour, a))
            placed += 1
        self.img.alpha_composite(L.im)

    def finish(self) -> Image.Image:
        return self.img.convert("RGB").resize((self.w, self.h), Image.Resampling.LANCZOS)


def gradient(w: int, h: int, top: Colour, bottom: Colour) -> Image.Image:
    """Top-left `top` to bottom-right `bottom`, mostly vertical."""
    ramp = Image.linear_gradient("L")  # 256x256, black at the top
    vertical = ramp.resize((w, h), Image.Resampling.BICUBIC)
    horizontal = ramp.rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((w, h), Image.Resampling.BICUBIC)
    mask = Image.blend(vertical, horizontal, 0.35)
    return Image.composite(Image.new("RGBA", (w, h), alpha(bottom, 255)), Image.new("RGBA", (w, h), alpha(top, 255)), mask)


# --- motifs (all sizes in logical pixels) ----------------------------------------------------------


def cross(L: Layer, cx, cy, s, fill, round_: float = 0.18) -> None:
    """A medical cross `s` across, arms s/3 wide."""
    t = s / 3
    L.rrect(cx - s / 2, cy - t / 2, cx + s / 2, cy + t / 2, t * round_ * 2, fill)
    L.rrect(cx - t / 2, cy - s / 2, cx + t / 2, cy + s / 2, t * round_ * 2, fill)


def cross_badge(L: Layer, cx, cy, r, fill, cross_fill=WHITE, square: bool = False) -> None:
    if square:
        L.rrect(cx - r, cy - r, cx + r, cy + r, r * 0.32, fill)
    else:
        L.circle(cx, cy, r, fill)
    cross(L, cx, cy, r * 1.1, cross_fill)


def check_badge(L: Layer, cx, cy, r, fill, mark=WHITE) -> None:
    L.circle(cx, cy, r, fill)
    L.line([(cx - r * 0.45, cy + r * 0.02), (cx - r * 0.12, cy + r * 0.34), (cx + r * 0.48, cy - r * 0.32)], r * 0.2, mark)


def capsule(cx, cy, length, thick, c1, c2, angle: float = 0.0, L: Layer | None = None) -> Layer:
    """A two-coloured capsule; pasted onto L when given."""
    pad = 4
    S = Layer(length + 2 * pad, thick + 2 * pad, L.ss if L else SS)
    x0, y0, x1, y1 = pad, pad, pad + length, pad + thick
    mid = (x0 + x1) / 2
    S.rrect(x0, y0, x1, y1, thick / 2, c1)
    S.rrect(mid, y0, x1, y1, thick / 2, c2, corners=(False, True, True, False))
    S.rrect(x0 + thick * 0.3, y0 + thick * 0.16, x1 - thick * 0.3, y0 + thick * 0.3, thick * 0.07, alpha(WHITE, 110))
    S.line([(mid, y0 + 1), (mid, y1 - 1)], max(2.0, thick * 0.04), alpha(mix(c2, (0, 0, 0), 0.15), 120), caps=False)
    if L is not None:
        L.paste(S, cx, cy, angle)
    return S


def tablet(L: Layer, cx, cy, r, fill, line_colour) -> None:
    L.circle(cx, cy, r, fill)
    L.circle(cx, cy, r * 0.82, None, alpha(line_colour, 60), width=r * 0.05)
    L.line([(cx - r * 0.55, cy), (cx + r * 0.55, cy)], r * 0.1, alpha(line_colour, 150))


def heart_points(cx, cy, s, n: int = 120) -> list[Point]:
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((cx + x * s / 34, cy - y * s / 34 - s * 0.04))
    return pts


def heart(L: Layer, cx, cy, s, fill, shine: bool = True) -> None:
    L.poly(heart_points(cx, cy, s), fill)
    if shine:
        L.arc(cx - s * 0.22, cy - s * 0.12, s * 0.13, 200, 250, s * 0.05, alpha(WHITE, 150))


def ecg_points(x0, x1, y, amp, beats: int = 3) -> list[Point]:
    """A heart-rate trace: flat, small P bump, sharp QRS, T bump, repeated."""
    pts: list[Point] = [(x0, y)]
    span = (x1 - x0) / beats
    for b in range(beats):
        s = x0 + b * span
        for fx, fy in (
            (0.18, 0),
            (0.24, -0.12),
            (0.30, 0),
            (0.40, 0),
            (0.44, 0.22),
            (0.50, -1.0),
            (0.56, 0.45),
            (0.61, 0),
            (0.70, 0),
            (0.77, -0.22),
            (0.85, 0),
            (1.0, 0),
        ):
            pts.append((s + fx * span, y + fy * amp))
    return pts


def calendar(L: Layer, x, y, w, h, pal: Palette, marks: Sequence[int] = (), mark_colour=None, rows: int = 5, check: int | None = None) -> None:
    r = w * 0.06
    L.rrect(x, y, x + w, y + h, r, pal.paper)
    head = h * 0.22
    L.rrect(x, y, x + w, y + head, r, pal.main, corners=(True, True, False, False))
    for fx in (0.28, 0.72):
        rx = x + w * fx
        L.rrect(rx - w * 0.025, y - h * 0.06, rx + w * 0.025, y + head * 0.42, w * 0.025, pal.ink)
        L.circle(rx, y + head * 0.55, w * 0.022, alpha(WHITE, 200))
    cols = 7
    gx0, gx1 = x + w * 0.08, x + w * 0.92
    gy0, gy1 = y + head + h * 0.07, y + h - h * 0.07
    cw, ch = (gx1 - gx0) / cols, (gy1 - gy0) / rows
    cell = min(cw, ch) * 0.72
    for i in range(rows * cols):
        cx = gx0 + cw * (i % cols + 0.5)
        cy = gy0 + ch * (i // cols + 0.5)
        colour = (mark_colour or pal.second) if i in marks else pal.soft
        L.rrect(cx - cell / 2, cy - cell / 2, cx + cell / 2, cy + cell / 2, cell * 0.25, colour)
        if check is not None and i == check:
            L.line([(cx - cell * 0.25, cy), (cx - cell * 0.05, cy + cell * 0.2), (cx + cell * 0.28, cy - cell * 0.2)], cell * 0.13, WHITE)


def hospital(L: Layer, x, y, w, h, pal: Palette, cross_colour=None, windows=None) -> None:
    """A hospital front: a taller middle block with a cross sign, two wings, a door."""
    wall, win = pal.paper, windows or mix(pal.main, WHITE, 0.55)
    tw = w * 0.36
    tx0, tx1 = x + (w - tw) / 2, x + (w + tw) / 2
    wing_top = y + h * 0.34
    L.rrect(x, wing_top, x + w, y + h, w * 0.02, wall, corners=(True, True, False, False))
    L.rrect(tx0, y, tx1, y + h, w * 0.025, wall, corners=(True, True, False, False))
    # roof trims
    L.rrect(x - w * 0.01, wing_top - h * 0.02, x + w * 0.01 + w, wing_top + h * 0.025, h * 0.012, mix(pal.main, WHITE, 0.2))
    L.rrect(tx0 - w * 0.012, y - h * 0.02, tx1 + w * 0.012, y + h * 0.025, h * 0.012, mix(pal.main, WHITE, 0.2))
    # wing windows
    for side in (0, 1):
        wx0 = x + w * 0.05 if side == 0 else tx1 + w * 0.04
        wx1 = tx0 - w * 0.04 if side == 0 else x + w * 0.95
        cols, rows = 3, 3
        gw = (wx1 - wx0) / cols
        gh = (y + h * 0.93 - (wing_top + h * 0.1)) / rows
        for r_ in range(rows):
            for c_ in range(cols):
                cx = wx0 + gw * (c_ + 0.5)
                cy = wing_top + h * 0.1 + gh * (r_ + 0.4)
                L.rrect(cx - gw * 0.3, cy - gh * 0.28, cx + gw * 0.3, cy + gh * 0.28, gw * 0.06, win)
    # tower windows
    for r_ in range(3):
        for c_ in range(2):
            cx = tx0 + tw * (0.3 + 0.4 * c_)
            cy = y + h * (0.38 + 0.15 * r_)
            L.rrect(cx - tw * 0.12, cy - h * 0.045, cx + tw * 0.12, cy + h * 0.045, tw * 0.03, win)
    # cross sign
    cross_badge(L, x + w / 2, y + h * 0.16, min(tw, h) * 0.16, cross_colour or pal.second, WHITE, square=True)
    # door
    dx0, dx1 = x + w / 2 - tw * 0.26, x + w / 2 + tw * 0.26
    L.rrect(dx0, y + h * 0.8, dx1, y + h, tw * 0.06, pal.main, corners=(True, True, False, False))
    L.rrect(dx0 + tw * 0.04, y + h * 0.83, dx1 - tw * 0.04, y + h, tw * 0.04, mix(pal.main, WHITE, 0.6), corners=(True, True, False, False))
    L.line([(x + w / 2, y + h * 0.83), (x + w / 2, y + h)], tw * 0.02, pal.main, caps=False)
    L.rrect(tx0 - tw * 0.08, y + h * 0.76, tx1 + tw * 0.08, y + h * 0.8, h * 0.01, pal.main)  # canopy


def balloon(L: Layer, cx, cy, r, fill, string_colour, sway: float = 1.0, string: float = 2.2) -> None:
    L.ellipse(cx - r * 0.86, cy - r, cx + r * 0.86, cy + r, fill)
    L.poly([(cx, cy + r * 0.96), (cx - r * 0.12, cy + r * 1.14), (cx + r * 0.12, cy + r * 1.14)], fill)
    L.ellipse(cx - r * 0.55, cy - r * 0.7, cx - r * 0.2, cy - r * 0.15, alpha(WHITE, 90))
    pts = [(cx + math.sin(i / 10 * math.pi) * r * 0.12 * sway, cy + r * 1.14 + i * r * string / 20) for i in range(21)]
    L.line(pts, max(2.0, r * 0.03), string_colour)


def stethoscope(L: Layer, cx, cy, s, tube, metal=METAL, chest=None) -> None:
    """Ear tips at the top, a U of two tubes meeting at (cx, cy + 0.2s), a tube to the chest piece lower right."""
    wdt = s * 0.065
    lx, rx_ = cx - s * 0.3, cx + s * 0.3
    top = cy - s * 0.75
    # ear tubes (metal), slightly angled inwards at the top
    L.line([(lx - s * 0.06, top - s * 0.05), (lx, top + s * 0.12), (lx, cy - s * 0.1)], wdt * 0.8, metal)
    L.line([(rx_ + s * 0.06, top - s * 0.05), (rx_, top + s * 0.12), (rx_, cy - s * 0.1)], wdt * 0.8, metal)
    for ex in (lx - s * 0.06, rx_ + s * 0.06):
        L.circle(ex, top - s * 0.05, wdt * 0.85, tube)
    # the U
    L.line([(lx, cy - s * 0.1), (lx, cy - s * 0.1)], wdt, tube)
    L.arc(cx, cy - s * 0.1, s * 0.3, 0, 180, wdt, tube, caps=False)
    L.line([(lx, cy - s * 0.25), (lx, cy - s * 0.1)], wdt, tube, caps=False)
    L.line([(rx_, cy - s * 0.25), (rx_, cy - s * 0.1)], wdt, tube, caps=False)
    # tube to the chest piece
    start = (cx, cy + s * 0.2)
    end = (cx + s * 0.62, cy + s * 0.42)
    L.line(bezier(start, (cx, cy + s * 0.75), (cx + s * 0.55, cy + s * 0.85), end), wdt, tube)
    L.circle(end[0], end[1] - s * 0.02, s * 0.17, metal)
    L.circle(end[0], end[1] - s * 0.02, s * 0.12, chest or mix(metal, WHITE, 0.5))
    L.circle(end[0], end[1] - s * 0.02, s * 0.05, metal)


def thermometer(cx, cy, h, fill_colour, level: float = 0.5, angle: float = 0.0, L: Layer | None = None, ss: int = SS) -> Layer:
    tw = h * 0.16
    bulb = h * 0.15
    pad = 4
    S = Layer(bulb * 2 + 2 * pad, h + 2 * pad, L.ss if L else ss)
    mx = S.w / 2
    S.rrect(mx - tw / 2, pad, mx + tw / 2, pad + h - bulb, tw / 2, WHITE)
    S.circle(mx, pad + h - bulb, bulb, WHITE)
    inner = tw * 0.42
    top_y = pad + tw * 0.5 + (1 - level) * (h - 2 * bulb - tw * 0.5)
    S.rrect(mx - inner / 2, top_y, mx + inner / 2, pad + h - bulb, inner / 2, fill_colour)
    S.circle(mx, pad + h - bulb, bulb * 0.72, fill_colour)
    for i in range(6):
        ty = pad + tw * 0.8 + i * (h - 2 * bulb - tw) / 5.5
        S.line([(mx + tw * 0.62, ty), (mx + tw * (0.95 if i % 2 == 0 else 0.8), ty)], h * 0.012, alpha(WHITE, 220))
    if L is not None:
        L.paste(S, cx, cy, angle)
    return S


def drop(L: Layer, cx, cy, s, fill, shine: bool = True, flip: bool = False) -> None:
    """A teardrop `s` tall, point at the top (at the bottom when flip)."""
    r = s * 0.32
    ccy = cy + s * 0.5 - r if not flip else cy - s * 0.5 + r
    apex_d = s - r
    phi = math.acos(r / apex_d)
    pts: list[Point] = [(cx, cy - s * 0.5) if not flip else (cx, cy + s * 0.5)]
    n = 60
    for i in range(n + 1):
        a = phi + (2 * math.pi - 2 * phi) * i / n
        dx, dy = r * math.sin(a), -r * math.cos(a)
        pts.append((cx + dx, ccy + (dy if not flip else -dy)))
    L.poly(pts, fill)
    if shine:
        L.arc(cx, ccy, r * 0.62, 130 if not flip else 200, 175 if not flip else 245, r * 0.16, alpha(WHITE, 150))


def coins(L: Layer, cx, base, r, n, fill, edge) -> None:
    e = r * 0.36
    t = r * 0.2
    line = mix(edge, (0, 0, 0), 0.22)
    for i in range(n):
        y = base - i * t
        side = edge if i % 2 == 0 else mix(edge, fill, 0.25)
        L.ellipse(cx - r, y - e / 2, cx + r, y + e / 2, side)
        L.rrect(cx - r, y - t, cx + r, y, 0, side)
        if i:  # the seam with the coin below
            L.d.arc(L._box(cx - r, y - e / 2, cx + r, y + e / 2), 0, 180, fill=alpha(line, 150), width=max(1, round(r * 0.025 * L.ss)))
        L.ellipse(cx - r, y - t - e / 2, cx + r, y - t + e / 2, fill)
    top = base - (n - 1) * t - t
    L.ellipse(cx - r * 0.74, top - e * 0.37, cx + r * 0.74, top + e * 0.37, None, alpha(edge, 220), width=r * 0.05)


def bars(L: Layer, x, base, w, values: Sequence[float], colours: Sequence, height: float, gap: float = 0.35) -> None:
    n = len(values)
    bw = w / (n + (n - 1) * gap)
    for i, v in enumerate(values):
        bx = x + i * bw * (1 + gap)
        L.rrect(bx, base - v * height, bx + bw, base, bw * 0.22, colours[i % len(colours)], corners=(True, True, False, False))


def magnifier(L: Layer, cx, cy, r, ring, handle, angle_deg: float = 45) -> None:
    L.circle(cx, cy, r, alpha(WHITE, 110))
    t = math.radians(angle_deg)
    hx0, hy0 = cx + math.cos(t) * r * 1.05, cy + math.sin(t) * r * 1.05
    hx1, hy1 = cx + math.cos(t) * r * 1.9, cy + math.sin(t) * r * 1.9
    L.line([(hx0, hy0), (hx1, hy1)], r * 0.32, handle)
    L.circle(cx, cy, r, None, ring, width=r * 0.18)
    L.arc(cx, cy, r * 0.7, 200, 250, r * 0.08, alpha(WHITE, 200))


def document(L: Layer, x, y, w, h, pal: Palette, lines: int = 5, zigzag: bool = False, accent=None) -> None:
    if zigzag:
        pts = [(x, y), (x + w, y), (x + w, y + h)]
        teeth = 8
        for i in range(teeth * 2 + 1):
            pts.append((x + w - i * w / (teeth * 2), y + h - (w * 0.035 if i % 2 else 0)))
        pts.append((x, y))
        L.poly(pts, pal.paper)
    else:
        fold = w * 0.2
        L.poly([(x, y), (x + w - fold, y), (x + w, y + fold), (x + w, y + h), (x, y + h)], pal.paper)
        L.poly([(x + w - fold, y), (x + w - fold, y + fold), (x + w, y + fold)], mix(pal.soft, pal.main, 0.15))
    ly = y + h * 0.2
    for i in range(lines):
        lw = w * (0.62 if i % 3 == 2 else 0.76)
        colour = accent if (accent is not None and i == 0) else pal.soft
        L.rrect(x + w * 0.12, ly, x + w * 0.12 + lw, ly + h * 0.045, h * 0.022, colour)
        ly += h * 0.13


def clipboard(L: Layer, x, y, w, h, pal: Palette, checks: int = 3, rows: int = 4) -> None:
    L.rrect(x, y, x + w, y + h, w * 0.07, pal.main)
    L.rrect(x + w * 0.08, y + h * 0.08, x + w * 0.92, y + h * 0.95, w * 0.04, pal.paper)
    L.rrect(x + w * 0.3, y - h * 0.04, x + w * 0.7, y + h * 0.09, w * 0.05, pal.ink)
    L.circle(x + w * 0.5, y - h * 0.01, w * 0.04, mix(pal.ink, WHITE, 0.5))
    gy = y + h * 0.2
    step = (h * 0.7) / rows
    for i in range(rows):
        cy = gy + step * (i + 0.5)
        bx = x + w * 0.2
        box = w * 0.085
        L.rrect(bx - box, cy - box, bx + box, cy + box, box * 0.35, pal.soft)
        if i < checks:
            L.line([(bx - box * 0.55, cy), (bx - box * 0.1, cy + box * 0.45), (bx + box * 0.65, cy - box * 0.5)], box * 0.32, pal.second)
        L.rrect(x + w * 0.36, cy - h * 0.022, x + w * (0.8 if i % 2 else 0.72), cy + h * 0.022, h * 0.022, pal.soft)


def test_tube(L: Layer, cx, top, w, h, liquid, level: float = 0.55, cap=None) -> None:
    L.rrect(cx - w / 2, top, cx + w / 2, top + h, w / 2, alpha(GLASS, 235), corners=(False, False, True, True))
    inset = w * 0.12
    ly = top + h * (1 - level)
    L.rrect(cx - w / 2 + inset, ly, cx + w / 2 - inset, top + h - inset, w / 2 - inset, liquid, corners=(False, False, True, True))
    L.rrect(cx - w / 2 - w * 0.1, top - h * 0.06, cx + w / 2 + w * 0.1, top + h * 0.05, w * 0.12, cap or METAL)
    L.rrect(cx + w * 0.12, top + h * 0.12, cx + w * 0.24, top + h * 0.75, w * 0.06, alpha(WHITE, 170))


def pin(L: Layer, cx, cy, s, fill, hole=WHITE) -> None:
    """A map pin `s` tall with its point at (cx, cy + s/2)."""
    drop(L, cx, cy, s, fill, shine=False, flip=True)
    L.circle(cx, cy - s * 0.5 + s * 0.32, s * 0.13, hole)


def sun(L: Layer, cx, cy, r, fill, rays=None) -> None:
    L.circle(cx, cy, r * 1.6, alpha(fill, 45))
    for i in range(12):
        t = 2 * math.pi * i / 12
        L.line([(cx + math.cos(t) * r * 1.3, cy + math.sin(t) * r * 1.3), (cx + math.cos(t) * r * 1.6, cy + math.sin(t) * r * 1.6)], r * 0.12, rays or fill)
    L.circle(cx, cy, r, fill)
    L.arc(cx, cy, r * 0.72, 200, 250, r * 0.1, alpha(WHITE, 130))


def phone(L: Layer, x, y, w, h, pal: Palette) -> tuple[float, float, float, float]:
    """A phone; returns its screen's box."""
    L.rrect(x, y, x + w, y + h, w * 0.14, pal.ink)
    sx0, sy0, sx1, sy1 = x + w * 0.06, y + w * 0.12, x + w * 0.94, y + h - w * 0.12
    L.rrect(sx0, sy0, sx1, sy1, w * 0.08, pal.paper)
    L.rrect(x + w * 0.38, y + w * 0.045, x + w * 0.62, y + w * 0.075, w * 0.015, mix(pal.ink, WHITE, 0.35))
    return sx0, sy0, sx1, sy1


def shield(L: Layer, cx, cy, s, fill, cross_fill=WHITE) -> None:
    top = cy - s * 0.5
    pts = [(cx - s * 0.42, top + s * 0.08)]
    pts += bezier((cx - s * 0.42, top + s * 0.08), (cx - s * 0.2, top + s * 0.06), (cx - s * 0.05, top), (cx, top - s * 0.02), 16)
    pts += bezier((cx, top - s * 0.02), (cx + s * 0.05, top), (cx + s * 0.2, top + s * 0.06), (cx + s * 0.42, top + s * 0.08), 16)
    pts += bezier((cx + s * 0.42, top + s * 0.08), (cx + s * 0.44, top + s * 0.6), (cx + s * 0.25, top + s * 0.85), (cx, top + s * 1.0), 24)
    pts += bezier((cx, top + s * 1.0), (cx - s * 0.25, top + s * 0.85), (cx - s * 0.44, top + s * 0.6), (cx - s * 0.42, top + s * 0.08), 24)
    L.poly(pts, fill)
    cross(L, cx, cy - s * 0.02, s * 0.42, cross_fill)


def star(L: Layer, cx, cy, r, fill) -> None:
    pts = []
    for i in range(8):
        t = math.pi * i / 4 - math.pi / 2
        rr = r if i % 2 == 0 else r * 0.32
        pts.append((cx + math.cos(t) * rr, cy + math.sin(t) * rr))
    L.poly(pts, fill)


def moon(L: Layer, cx, cy, r, fill) -> None:
    S = Layer(r * 2 + 8, r * 2 + 8, L.ss)
    S.circle(r + 4, r + 4, r, fill)
    S.circle(r + 4 + r * 0.55, r + 4 - r * 0.25, r * 0.88, (0, 0, 0, 0))
    L.paste(S, cx, cy)


def card(L: Layer, x, y, w, h, pal: Palette, colour=None) -> None:
    colour = colour or pal.main
    L.rrect(x, y, x + w, y + h, h * 0.1, colour)
    L.rrect(x, y + h * 0.62, x + w, y + h * 0.76, 0, alpha(WHITE, 55))
    L.rrect(x + w * 0.08, y + h * 0.2, x + w * 0.24, y + h * 0.44, h * 0.04, rgb("#F2D27A"))
    for f in (0.28, 0.36):
        L.line([(x + w * 0.08, y + h * f), (x + w * 0.24, y + h * f)], h * 0.012, rgb("#C9A64E"), caps=False)
    L.line([(x + w * 0.16, y + h * 0.2), (x + w * 0.16, y + h * 0.44)], h * 0.012, rgb("#C9A64E"), caps=False)
    cross_badge(L, x + w * 0.82, y + h * 0.28, h * 0.13, WHITE, colour)
    L.rrect(x + w * 0.08, y + h * 0.84, x + w * 0.46, y + h * 0.9, h * 0.03, alpha(WHITE, 170))
    L.rrect(x + w * 0.54, y + h * 0.84, x + w * 0.7, y + h * 0.9, h * 0.03, alpha(WHITE, 170))


# --- covers ---------------------------------------------------------------------------------------


def scene_xian_ertong_yejian_jizhen(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 520, 360, 90)
    L = c.layer()
    moon(L, 1040, 300, 120, WHITE)
    for x, y, r in ((880, 200, 26), (1220, 460, 20), (1180, 190, 16), (930, 420, 14)):
        star(L, x, y, r, alpha(WHITE, 235))
    c.add(L, shadow=0.12)
    L = c.layer()
    balloon(L, 640, 400, 150, p.main, p.ink)
    balloon(L, 470, 480, 100, p.second, p.ink, sway=-1)
    thermometer(960, 700, 300, p.main, level=0.7, angle=-30, L=L)
    c.add(L)


def scene_baobao_shiwu_guomin_panduan(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 560, 380, 95)
    L = c.layer()
    # fruits behind the rim
    for x, y, r, colour in ((650, 520, 78, p.main), (780, 490, 86, p.third), (910, 525, 74, rgb("#E0605E")), (720, 570, 60, p.third)):
        L.circle(x, y, r, colour)
        L.arc(x - r * 0.25, y - r * 0.25, r * 0.45, 200, 250, r * 0.1, alpha(WHITE, 140))
    L.line([(785, 410), (800, 380)], 10, p.ink)
    L.ellipse(800, 360, 860, 390, rgb("#7DB86A"))
    # bowl
    L.chord(500, 430, 1060, 800, 0, 180, p.second)
    L.ellipse(500, 590, 1060, 640, mix(p.second, WHITE, 0.35))
    L.rrect(700, 785, 860, 810, 12, mix(p.second, (0, 0, 0), 0.1))
    c.add(L)
    L = c.layer()
    # egg and baby bottle
    L.ellipse(1110, 600, 1230, 770, rgb("#FFF4DF"))
    L.arc(1145, 650, 26, 200, 250, 8, alpha(WHITE, 220))
    bx, by = 380, 470
    L.ellipse(bx - 26, by - 60, bx + 26, by + 10, rgb("#F3C9A3"))
    L.rrect(bx - 50, by - 12, bx + 50, by + 22, 10, p.main)
    L.rrect(bx - 56, by + 18, bx + 56, by + 300, 34, WHITE)
    L.rrect(bx - 46, by + 150, bx + 46, by + 292, 26, rgb("#FFF6E4"))
    for i in range(4):
        L.line([(bx + 18, by + 70 + i * 42), (bx + 42, by + 70 + i * 42)], 6, alpha(p.second, 200))
    c.add(L)


def scene_beijing_sanjia_yiyuan_guahao(c: Canvas) -> None:
    p = c.pal
    c.disc(760, 520, 380, 90)
    L = c.layer()
    hospital(L, 860, 330, 440, 400, p)
    c.add(L, shadow=0.14)
    L = c.layer()
    calendar(L, 340, 290, 520, 460, p, marks=(17,), check=17)
    check_badge(L, 900, 300, 58, p.second)
    c.add(L)


def scene_wuhan_wangshang_yuyue_guahao(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 500, 380, 90)
    L = c.layer()
    sx0, sy0, sx1, sy1 = phone(L, 640, 140, 330, 680, p)
    L.rrect(sx0, sy0, sx1, sy0 + 90, 26, p.main, corners=(True, True, False, False))
    cross_badge(L, sx0 + 60, sy0 + 45, 26, WHITE, p.main)
    L.rrect(sx0 + 110, sy0 + 36, sx0 + 230, sy0 + 54, 9, alpha(WHITE, 180))
    cols, rows = 4, 4
    gw = (sx1 - sx0 - 40) / cols
    for i in range(cols * rows):
        cx = sx0 + 20 + gw * (i % cols + 0.5)
        cy = sy0 + 150 + (i // cols) * 70
        colour = p.second if i == 6 else p.soft
        L.circle(cx, cy, 22, colour)
    L.rrect(sx0 + 40, sy1 - 110, sx1 - 40, sy1 - 50, 30, p.main)
    c.add(L)
    L = c.layer()
    check_badge(L, 1020, 260, 70, p.second)
    calendar(L, 360, 470, 250, 230, p, marks=(9,), rows=4)
    cross_badge(L, 1120, 640, 60, p.main, WHITE, square=True)
    c.add(L)


def scene_sanjia_yiyuan_kanbing_liucheng(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 560, 420, 90)
    L = c.layer()
    hospital(L, 480, 220, 640, 520, p)
    c.add(L, shadow=0.16)
    L = c.layer()
    path = bezier((260, 905), (560, 880), (620, 800), (800, 792))
    dashed(L, path, 10, alpha(WHITE, 235), dash=22, gap=18)
    for i, t in enumerate((0.0, 0.28, 0.55, 0.8, 1.0)):
        x, y = path[round(t * (len(path) - 1))]
        L.circle(x, y, 22, p.main if i < 4 else p.second)
        L.circle(x, y, 9, WHITE)
    c.add(L, shadow=0.1)


def scene_gaoxueya_zhongshen_chiyao(c: Canvas) -> None:
    p = c.pal
    c.disc(780, 480, 360, 90)
    L = c.layer()
    cx, cy, r = 700, 440, 210
    # bulb and tube first
    L.line(bezier((cx, cy + r), (cx - 40, cy + r + 160), (cx - 260, cy + 220), (cx - 300, cy + 330)), 16, p.ink)
    L.ellipse(cx - 380, cy + 300, cx - 230, cy + 470, p.ink)
    L.ellipse(cx - 350, cy + 330, cx - 300, cy + 380, alpha(WHITE, 60))
    L.circle(cx, cy, r, WHITE)
    L.circle(cx, cy, r * 0.9, None, p.main, width=r * 0.07)
    for i in range(13):
        a = math.radians(150 + i * 20)
        r0 = r * (0.68 if i % 3 == 0 else 0.74)
        L.line(
            [(cx + math.cos(a) * r0, cy + math.sin(a) * r0), (cx + math.cos(a) * r * 0.8, cy + math.sin(a) * r * 0.8)],
            r * (0.035 if i % 3 == 0 else 0.022),
            p.ink,
        )
    a = math.radians(300)
    L.line([(cx, cy), (cx + math.cos(a) * r * 0.62, cy + math.sin(a) * r * 0.62)], r * 0.05, p.second)
    L.circle(cx, cy, r * 0.09, p.ink)
    c.add(L)
    L = c.layer()
    heart(L, 1080, 300, 190, p.second)
    # pill organiser: seven compartments
    x0, y0 = 880, 620
    L.rrect(x0, y0, x0 + 460, y0 + 130, 26, p.main)
    for i in range(7):
        bx = x0 + 18 + i * 62
        L.rrect(bx, y0 + 18, bx + 50, y0 + 112, 14, mix(p.main, WHITE, 0.85))
        if i < 5:
            L.circle(bx + 25, y0 + 82, 12, p.third if i % 2 else WHITE)
    c.add(L)


def scene_tangniaobing_kongfu_xuetang(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 500, 370, 90)
    L = c.layer()
    x0, y0, w, h = 640, 240, 330, 520
    L.rrect(x0 + 120, y0 - 110, x0 + 210, y0 + 20, 10, WHITE)  # test strip
    L.circle(x0 + 165, y0 - 70, 18, RED)
    L.rrect(x0, y0, x0 + w, y0 + h, 60, p.main)
    L.rrect(x0 + 40, y0 + 50, x0 + w - 40, y0 + 280, 24, rgb("#E9F4EE"))
    L.line([(x0 + 70, y0 + 200), (x0 + 120, y0 + 170), (x0 + 160, y0 + 185), (x0 + 200, y0 + 150), (x0 + 250, y0 + 160)], 10, p.third)
    L.rrect(x0 + 70, y0 + 230, x0 + 170, y0 + 250, 10, alpha(p.main, 120))
    L.circle(x0 + 105, y0 + 390, 44, mix(p.main, WHITE, 0.3))
    L.circle(x0 + w - 105, y0 + 390, 44, mix(p.main, WHITE, 0.3))
    c.add(L)
    L = c.layer()
    drop(L, 460, 470, 250, RED)
    # a small steady line chart
    bx, by = 1030, 560
    L.rrect(bx, by - 200, bx + 300, by + 40, 24, WHITE)
    pts = [(bx + 30 + i * 48, by - 60 - v) for i, v in enumerate((60, 75, 50, 62, 55, 58))]
    L.line(pts, 9, p.main)
    for x, y in pts:
        L.circle(x, y, 11, p.second)
    L.line([(bx + 30, by), (bx + 270, by)], 6, p.soft)
    c.add(L)


def scene_beijing_shebao_jiaofei_jishu(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 520, 370, 90)
    L = c.layer()
    L.rrect(560, 330, 1000, 780, 40, WHITE)
    bars(L, 610, 730, 340, (0.35, 0.55, 0.75, 1.0), (p.soft, mix(p.main, WHITE, 0.5), mix(p.main, WHITE, 0.25), p.main), 330)
    L.line([(600, 740), (960, 740)], 8, p.soft)
    c.add(L)
    L = c.layer()
    coins(L, 420, 760, 110, 6, p.second, mix(p.second, (0, 0, 0), 0.18))
    coins(L, 1120, 780, 96, 4, p.second, mix(p.second, (0, 0, 0), 0.18))
    shield(L, 1110, 420, 240, p.main)
    c.add(L)


def scene_shanghai_shebao_jilu_duandang(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 500, 370, 90)
    L = c.layer()
    document(L, 600, 200, 380, 480, p, lines=6, accent=p.main)
    c.add(L)
    L = c.layer()
    y = 780
    xs = [300 + i * 200 for i in range(6)]
    for i in range(5):
        if i == 2:
            dashed(L, [(xs[i] + 40, y), (xs[i + 1] - 40, y)], 10, alpha(p.ink, 90), dash=18, gap=16)
        else:
            L.line([(xs[i], y), (xs[i + 1], y)], 14, p.main)
    for i, x in enumerate(xs):
        L.circle(x, y, 30, WHITE)
        L.circle(x, y, 30, None, p.second if i in (2, 3) else p.main, width=10)
    magnifier(L, 1090, 420, 110, p.second, p.ink, 50)
    c.add(L)


def scene_shenzhen_shengyu_jintie_suanfa(c: Canvas) -> None:
    p = c.pal
    c.disc(760, 520, 380, 90)
    L = c.layer()
    cx, cy = 700, 560
    L.line([(cx + 170, cy - 10), (cx + 250, cy - 200), (cx + 310, cy - 200)], 18, p.ink)  # handle
    L.chord(cx - 260, cy - 210, cx + 260, cy + 210, 0, 180, p.main)  # basket
    L.pieslice(cx - 6, cy + 4, 254, 180, 270, mix(p.main, WHITE, 0.35))  # hood
    L.line([(cx - 260, cy + 4), (cx + 260, cy + 4)], 12, mix(p.main, (0, 0, 0), 0.1))
    for wx in (cx - 150, cx + 150):
        L.circle(wx, cy + 250, 62, p.ink)
        L.circle(wx, cy + 250, 28, mix(p.ink, WHITE, 0.6))
    c.add(L)
    L = c.layer()
    heart(L, 1100, 330, 150, p.second)
    coins(L, 1130, 770, 100, 5, p.third, mix(p.third, (0, 0, 0), 0.18))
    c.add(L)


def scene_guangzhou_chanjian_feiyong_baoxiao(c: Canvas) -> None:
    p = c.pal
    c.disc(740, 500, 370, 90)
    L = c.layer()
    heart(L, 690, 490, 480, p.main)
    heart(L, 720, 540, 170, WHITE, shine=False)
    c.add(L)
    L = c.layer()
    document(L, 1010, 300, 300, 420, p, lines=5, zigzag=True, accent=p.second)
    check_badge(L, 1290, 690, 62, p.second)
    c.add(L)


def scene_shuqian_xindiantu_yichang(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 500, 380, 90)
    L = c.layer()
    x0, y0, x1, y1 = 380, 260, 1080, 700
    L.rrect(x0, y0, x1, y1, 44, p.ink)
    L.rrect(x0 + 30, y0 + 30, x1 - 30, y1 - 80, 24, mix(p.ink, (0, 0, 0), 0.25))
    for gx in range(x0 + 80, x1 - 30, 70):
        L.line([(gx, y0 + 40), (gx, y1 - 90)], 2, alpha(WHITE, 26), caps=False)
    for gy in range(y0 + 70, y1 - 80, 70):
        L.line([(x0 + 40, gy), (x1 - 40, gy)], 2, alpha(WHITE, 26), caps=False)
    trace = ecg_points(x0 + 40, x1 - 40, y0 + 230, 150, beats=3)
    L.line(trace, 22, alpha(p.third, 70))
    L.line(trace, 9, rgb("#8BF0CF"))
    for i, colour in enumerate((p.third, p.third, p.second)):
        L.circle(x0 + 80 + i * 60, y1 - 40, 14, colour)
    L.rrect(x1 - 260, y1 - 50, x1 - 60, y1 - 30, 10, alpha(WHITE, 60))
    L.poly([(640, y1), (820, y1), (860, y1 + 70), (600, y1 + 70)], mix(p.ink, WHITE, 0.2))
    c.add(L)
    L = c.layer()
    heart(L, 1180, 330, 190, p.second)
    c.add(L)


def scene_shuqian_ningxue_gongneng(c: Canvas) -> None:
    p = c.pal
    c.disc(780, 500, 370, 90)
    L = c.layer()
    for i, level in enumerate((0.55, 0.7, 0.45)):
        test_tube(L, 580 + i * 150, 240, 92, 460, RED, level, cap=(p.main, p.third, p.second)[i])
    L.rrect(480, 520, 1000, 580, 18, p.main)
    L.rrect(500, 580, 540, 780, 12, mix(p.main, (0, 0, 0), 0.1))
    L.rrect(940, 580, 980, 780, 12, mix(p.main, (0, 0, 0), 0.1))
    L.rrect(460, 770, 1020, 800, 14, p.main)
    c.add(L)
    L = c.layer()
    drop(L, 1170, 470, 230, RED)
    cross_badge(L, 1160, 740, 58, p.third, WHITE, square=True)
    c.add(L)


def scene_ruzhi_tijian_xiangmu(c: Canvas) -> None:
    p = c.pal
    c.disc(760, 500, 380, 90)
    L = c.layer()
    clipboard(L, 520, 200, 440, 600, p, checks=3, rows=4)
    c.add(L)
    L = c.layer()
    stethoscope(L, 1130, 420, 330, p.third)
    c.add(L)


def scene_zhongliu_biaozhiwu_piangao(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 520, 380, 90)
    L = c.layer()
    L.rrect(560, 300, 1100, 780, 40, WHITE)
    values = (0.45, 0.55, 0.5, 0.78, 0.52)
    colours = [p.soft, p.soft, p.soft, p.second, p.soft]
    bars(L, 620, 720, 420, values, colours, 340)
    L.line([(600, 730), (1060, 730)], 8, p.soft)
    dashed(L, [(610, 720 - 0.62 * 340), (1050, 720 - 0.62 * 340)], 6, alpha(p.main, 190), dash=16, gap=14)
    c.add(L)
    L = c.layer()
    test_tube(L, 430, 300, 100, 440, p.third, 0.5, cap=p.main)
    magnifier(L, 930, 420, 105, p.main, p.ink, 40)
    c.add(L)


def scene_shenzhen_yibao_duanjiao_geren_zhanghu(c: Canvas) -> None:
    p = c.pal
    c.disc(780, 500, 380, 90)
    L = c.layer()
    S = Layer(640, 400)
    card(S, 0, 0, 640, 400, p)
    L.paste(S, 740, 470, 8)
    c.add(L)
    L = c.layer()
    coins(L, 1170, 760, 100, 4, p.third, mix(p.third, (0, 0, 0), 0.18))
    L.circle(400, 760, 62, p.third)
    L.circle(400, 760, 46, None, mix(p.third, (0, 0, 0), 0.18), width=7)
    c.add(L)


def scene_guangzhou_yibao_baoxiao_bili(c: Canvas) -> None:
    p = c.pal
    c.disc(760, 500, 380, 90)
    L = c.layer()
    cx, cy, r = 690, 480, 250
    L.circle(cx, cy, r, WHITE)
    L.pieslice(cx, cy, r - 20, -90, 160, p.main)
    L.pieslice(cx + 16, cy + 8, r - 20, 160, 270, p.second)
    L.circle(cx, cy, r * 0.38, WHITE)
    c.add(L)
    L = c.layer()
    document(L, 1020, 330, 280, 400, p, lines=5, zigzag=True, accent=p.main)
    cross_badge(L, 1010, 290, 60, p.third, WHITE, square=True)
    c.add(L)


def scene_shenzhen_yidi_jiuyi_beian(c: Canvas) -> None:
    p = c.pal
    c.disc(800, 520, 390, 90)
    L = c.layer()
    panels = [
        ((330, 300), (600, 240), (600, 780), (330, 840)),
        ((600, 240), (900, 300), (900, 840), (600, 780)),
        ((900, 300), (1200, 240), (1200, 780), (900, 840)),
    ]
    for i, quad in enumerate(panels):
        L.poly(quad, WHITE if i != 1 else mix(WHITE, p.soft, 0.6))
    for quad in panels:  # faint blocks
        (ax, ay), (bx, by) = quad[0], quad[1]
        for j in range(3):
            fx = 0.2 + 0.25 * j
            x = ax + (bx - ax) * fx
            y = ay + (by - ay) * fx + 120 + 110 * j
            L.rrect(x - 40, y - 26, x + 40, y + 26, 10, alpha(p.soft, 180))
    route = bezier((430, 700), (620, 420), (820, 820), (1080, 460))
    dashed(L, route, 12, p.main, dash=26, gap=20)
    c.add(L)
    L = c.layer()
    pin(L, 430, 610, 170, p.second)
    pin(L, 1080, 370, 190, p.main)
    c.add(L)
    L = c.layer()
    hospital(L, 1150, 530, 200, 180, p)
    c.add(L, shadow=0.12)


def scene_buluofen_duiyixiananjifen(c: Canvas) -> None:
    p = c.pal
    c.disc(780, 500, 380, 90)
    L = c.layer()
    capsule(640, 430, 380, 150, p.main, WHITE, angle=25, L=L)
    tablet(L, 930, 610, 120, WHITE, p.ink)
    c.add(L)
    L = c.layer()
    thermometer(1160, 430, 420, p.third, level=0.55, angle=-25, L=L)
    tablet(L, 470, 700, 70, p.second, WHITE)
    c.add(L)


def scene_ganmao_kangshengsu(c: Canvas) -> None:
    p = c.pal
    c.disc(780, 500, 380, 90)
    S = Layer(520, 340)
    S.rrect(0, 0, 520, 340, 40, rgb("#E3E9EE"))
    S.rrect(14, 14, 506, 326, 30, None, alpha(WHITE, 200), width=6)
    for i in range(8):
        x = 90 + (i % 4) * 113
        y = 100 + (i // 4) * 140
        S.ellipse(x - 48, y - 48, x + 48, y + 48, rgb("#F6F8FA"))
        if i != 5:
            S.circle(x, y, 34, p.second if i % 3 else WHITE)
            S.line([(x - 18, y), (x + 18, y)], 5, alpha(p.ink, 110))
    L = c.layer()
    L.paste(S, 720, 480, -8)
    c.add(L)
    L = c.layer()
    capsule(1130, 360, 250, 100, p.main, WHITE, angle=-35, L=L)
    capsule(1150, 640, 250, 100, p.third, WHITE, angle=20, L=L)
    c.add(L)


def scene_toutong_gua_shenme_ke(c: Canvas) -> None:
    p = c.pal
    c.disc(720, 520, 380, 90)
    L = c.layer()
    cx, cy = 620, 560
    L.pieslice(cx, cy + 260, 260, 180, 360, p.main)
    L.circle(cx, cy - 120, 140, p.main)
    c.add(L)
    L = c.layer()
    for x, y, a in ((800, 330, -20), (830, 420, 5), (790, 250, -50)):
        t = math.radians(a)
        ux, uy = math.cos(t), math.sin(t)
        vx, vy = -uy, ux
        pts = [(x + ux * k * 22 + vx * (14 if k % 2 else -14), y + uy * k * 22 + vy * (14 if k % 2 else -14)) for k in range(5)]
        L.line(pts, 11, p.third)
    # signpost
    px = 1120
    L.rrect(px - 14, 300, px + 14, 840, 10, p.ink)
    L.poly([(px - 150, 330), (px + 150, 330), (px + 200, 385), (px + 150, 440), (px - 150, 440)], p.second)
    L.poly([(px + 150, 480), (px - 150, 480), (px - 200, 535), (px - 150, 590), (px + 150, 590)], WHITE)
    cross(L, px - 60, 385, 60, WHITE)
    L.rrect(px + 10, 374, px + 120, 396, 11, alpha(WHITE, 170))
    cross(L, px + 70, 535, 60, p.second)
    L.rrect(px - 140, 524, px - 20, 546, 11, p.soft)
    c.add(L)


def scene_chongqing_xiatian_zhongshu(c: Canvas) -> None:
    p = c.pal
    c.disc(780, 520, 380, 90)
    L = c.layer()
    sun(L, 640, 380, 150, p.third, rays=mix(p.third, p.main, 0.3))
    c.add(L, shadow=0.1)
    L = c.layer()
    thermometer(1040, 520, 480, RED, level=0.92, angle=-12, L=L)
    water = rgb("#7FC4E8")
    for x, y, s in ((520, 700, 150), (700, 760, 110), (1240, 360, 120)):
        drop(L, x, y, s, water)
    c.add(L)


def scene_kesou_liangzhou_bu_hao(c: Canvas) -> None:
    p = c.pal
    c.disc(780, 500, 380, 90)
    L = c.layer()
    calendar(L, 330, 280, 560, 480, p, marks=tuple(range(7, 21)), mark_colour=mix(p.second, WHITE, 0.15))
    c.add(L)
    L = c.layer()
    stethoscope(L, 1070, 400, 380, p.main)
    c.add(L)


@dataclass(frozen=True)
class Cover:
    topic: str
    slug: str
    draw: Callable[[Canvas], None]
    alt: str
    caption: str | None = None
    bundle: bool = False  # the article is content/<topic>/<slug>/index.md and its cover is cover.jpg

    @property
    def article(self) -> str:
        return f"content/{self.topic}/{self.slug}/index.md" if self.bundle else f"content/{self.topic}/{self.slug}.md"

    @property
    def image(self) -> str:
        return "cover.jpg" if self.bundle else f"{self.slug}.jpg"


COVERS: tuple[Cover, ...] = (
    Cover("ertong", "xian-ertong-yejian-jizhen", scene_xian_ertong_yejian_jizhen, "浅橘色背景上有两只气球和一支体温计，右上方是一弯白色月亮和几颗星星"),
    Cover("ertong", "baobao-shiwu-guomin-panduan", scene_baobao_shiwu_guomin_panduan, "一只盛着几个圆形水果的蓝色小碗，左边是一只奶瓶，右边是一个鸡蛋"),
    Cover(
        "jiuyi",
        "beijing-sanjia-yiyuan-guahao",
        scene_beijing_sanjia_yiyuan_guahao,
        "青绿色背景上的一本日历，其中一格打了对勾，右后方是一座带十字标志的医院大楼",
    ),
    Cover(
        "jiuyi",
        "wuhan-wangshang-yuyue-guahao",
        scene_wuhan_wangshang_yuyue_guahao,
        "一部手机屏幕上显示着预约日期格子，旁边有一个对勾标记、一本小日历和一个十字标志",
    ),
    Cover(
        "jiuyi",
        "sanjia-yiyuan-kanbing-liucheng",
        scene_sanjia_yiyuan_kanbing_liucheng,
        "青绿色背景上一座带十字标志的医院大楼，门前一条虚线小路上排着五个圆点",
        caption="插图仅作示意，画中的医院不是任何一家真实的医院。",
        bundle=True,
    ),
    Cover("manxingbing", "gaoxueya-zhongshen-chiyao", scene_gaoxueya_zhongshen_chiyao, "淡紫色背景上的血压计表盘和充气球囊，旁边是一颗红色爱心和一个七格药盒"),
    Cover(
        "manxingbing",
        "tangniaobing-kongfu-xuetang",
        scene_tangniaobing_kongfu_xuetang,
        "一滴红色血滴、一台插着试纸的血糖仪和一张走势平稳的折线图",
        caption="插图仅作示意，图中的血糖仪和曲线不代表任何测量结果。",
    ),
    Cover(
        "shebao", "beijing-shebao-jiaofei-jishu", scene_beijing_shebao_jiaofei_jishu, "米色背景上两摞金色硬币、一组逐渐升高的蓝色柱状图和一枚带十字的蓝色盾牌"
    ),
    Cover("shebao", "shanghai-shebao-jilu-duandang", scene_shanghai_shebao_jilu_duandang, "一张文件和一把放大镜，下方一条由圆点连成的时间线中间断开了一段"),
    Cover("shengyubaoxian", "shenzhen-shengyu-jintie-suanfa", scene_shenzhen_shengyu_jintie_suanfa, "粉色背景上一辆婴儿车，右边是一颗爱心和一摞金色硬币"),
    Cover(
        "shengyubaoxian",
        "guangzhou-chanjian-feiyong-baoxiao",
        scene_guangzhou_chanjian_feiyong_baoxiao,
        "一颗大爱心里包着一颗白色小爱心，旁边是一张打了对勾的收费单据",
    ),
    Cover("shuqianjiancha", "shuqian-xindiantu-yichang", scene_shuqian_xindiantu_yichang, "浅蓝色背景上一台显示心电波形的监护仪，右上方有一颗红色爱心"),
    Cover("shuqianjiancha", "shuqian-ningxue-gongneng", scene_shuqian_ningxue_gongneng, "试管架上插着三支装有红色血样的试管，旁边是一滴血滴和一个十字标志"),
    Cover("tijian", "ruzhi-tijian-xiangmu", scene_ruzhi_tijian_xiangmu, "浅绿色背景上一块写字板，表格前三项打了对勾，右边是一副听诊器"),
    Cover("tijian", "zhongliu-biaozhiwu-piangao", scene_zhongliu_biaozhiwu_piangao, "一组柱状图中有一根橙色柱子高出虚线，放大镜正对着它，左边是一支试管"),
    Cover(
        "yibao",
        "shenzhen-yibao-duanjiao-geren-zhanghu",
        scene_shenzhen_yibao_duanjiao_geren_zhanghu,
        "浅蓝色背景上一张带芯片和十字标志的蓝色卡片，旁边是几枚金色硬币",
        caption="插图：卡片仅作示意，并非真实的医保卡卡面。",
    ),
    Cover("yibao", "guangzhou-yibao-baoxiao-bili", scene_guangzhou_yibao_baoxiao_bili, "一个分成蓝、橙两部分的环形图，旁边是一张收费单据和一个十字标志"),
    Cover("yibao", "shenzhen-yidi-jiuyi-beian", scene_shenzhen_yidi_jiuyi_beian, "一张折叠地图上两个定位标之间连着一条虚线路线，终点旁边是一座小医院"),
    Cover("yongyao", "buluofen-duiyixiananjifen", scene_buluofen_duiyixiananjifen, "杏黄色背景上一粒橙白两色的胶囊、两片圆形药片和一支体温计"),
    Cover("yongyao", "ganmao-kangshengsu", scene_ganmao_kangshengsu, "一板铝塑包装的药片，旁边放着两粒双色胶囊"),
    Cover("zhengzhuang", "toutong-gua-shenme-ke", scene_toutong_gua_shenme_ke, "一个人形剪影的头部旁边有几道表示疼痛的折线，右边是一块指向不同方向的路牌"),
    Cover("zhengzhuang", "chongqing-xiatian-zhongshu", scene_chongqing_xiatian_zhongshu, "一轮橙黄色的太阳，旁边是一支读数很高的体温计和几颗蓝色水滴"),
    Cover("zhengzhuang", "kesou-liangzhou-bu-hao", scene_kesou_liangzhou_bu_hao, "一本日历上连续两周的格子被标成蓝色，右边是一副听诊器"),
)

BUNDLE = "content/jiuyi/sanjia-yiyuan-kanbing-liucheng"


def draw_cover(cover: Cover) -> Image.Image:
    c = Canvas(W, H, PALETTES[cover.topic], seed=cover.slug)
    cover.draw(c)
    return c.finish()


# --- the bundle's body images ---------------------------------------------------------------------


def draw_photo_upright() -> Image.Image:
    """A photo-like picture of a hospital's outpatient building on a clear morning, 2400x1600 upright."""
    w, h = 2400, 1600
    rng = random.Random(20260302)
    sky_top, sky_low = rgb("#7FB6E0"), rgb("#E3EFF5")
    img = Image.composite(
        Image.new("RGBA", (w, h), alpha(sky_low, 255)), Image.new("RGBA", (w, h), alpha(sky_top, 255)), Image.linear_gradient("L").resize((w, h))
    )
    # clouds
    clouds = Image.new("RGBA", (w // 4, h // 4), (0, 0, 0, 0))
    d = ImageDraw.Draw(clouds)
    for _ in range(7):
        cx, cy = rng.uniform(0, w / 4), rng.uniform(20, 150)
        for _ in range(6):
            r = rng.uniform(18, 42)
            ox, oy = rng.uniform(-70, 70), rng.uniform(-12, 12)
            d.ellipse([cx + ox - r * 1.6, cy + oy - r, cx + ox + r * 1.6, cy + oy + r], fill=(255, 255, 255, 120))
    clouds = blur(clouds, 4).resize((w, h), Image.Resampling.BICUBIC)
    img.alpha_composite(clouds)
    # distant buildings, hazy
    far = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(far)
    x = 0.0
    while x < w:
        bw = rng.uniform(120, 260)
        bh = rng.uniform(250, 520)
        shade = mix(rgb("#B8CBD8"), rgb("#D5E2EA"), rng.random())
        d.rectangle([x, 1100 - bh, x + bw, 1150], fill=alpha(shade, 255))
        x += bw + rng.uniform(-20, 30)
    far = blur(far, 6)
    img.alpha_composite(far)
    # the building
    b = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(b)
    fx0, fx1, ftop, fbot = 520, 1700, 380, 1230
    side = 260
    d.polygon([(fx1, ftop), (fx1 + side, ftop + 70), (fx1 + side, fbot - 10), (fx1, fbot)], fill=(196, 206, 214, 255))
    facade = Image.linear_gradient("L").resize((fx1 - fx0, fbot - ftop)).point(lambda v: 255 - v // 6)
    facade_rgb = Image.merge("RGBA", (facade.point(lambda v: v - 12), facade.point(lambda v: v - 6), facade, Image.new("L", facade.size, 255)))
    b.alpha_composite(facade_rgb, dest=(fx0, ftop))
    floors, cols = 7, 10
    fh = (fbot - ftop - 260) / floors
    cw = (fx1 - fx0 - 80) / cols
    for f in range(floors):
        y0 = ftop + 60 + f * fh
        d.rectangle([fx0, y0 + fh - 10, fx1, y0 + fh - 4], fill=(226, 230, 234, 255))  # floor band
        for k in range(cols):
            x0 = fx0 + 40 + k * cw
            tone = mix(rgb("#5E88A8"), rgb("#A9C8DE"), min(1.0, max(0.0, 0.25 + 0.5 * (k / cols) + rng.uniform(-0.15, 0.15))))
            d.rectangle([x0 + 8, y0 + 12, x0 + cw - 8, y0 + fh - 22], fill=alpha(tone, 255))
            d.line([(x0 + cw / 2, y0 + 12), (x0 + cw / 2, y0 + fh - 22)], fill=(214, 222, 228, 255), width=4)
        for k in range(3):  # side windows, in perspective
            sx0 = fx1 + 30 + k * 75
            slope = 70 / side
            sy = y0 + 12 + (sx0 - fx1) * slope * 0.6
            d.polygon([(sx0, sy), (sx0 + 50, sy + 12), (sx0 + 50, sy + fh - 30), (sx0, sy + fh - 40)], fill=(120, 150, 172, 255))
    # entrance: glass doors and a canopy
    ex0, ex1 = 920, 1300
    d.rectangle([ex0, fbot - 200, ex1, fbot], fill=(92, 128, 152, 255))
    for k in range(5):
        xk = ex0 + k * (ex1 - ex0) / 4
        d.line([(xk, fbot - 200), (xk, fbot)], fill=(200, 210, 218, 255), width=6)
    d.rectangle([ex0 - 90, fbot - 240, ex1 + 90, fbot - 205], fill=(236, 240, 243, 255))
    d.rectangle([ex0 - 90, fbot - 205, ex1 + 90, fbot - 196], fill=(160, 172, 182, 255))
    # roof sign: a red cross on a white panel
    d.rectangle([1020, ftop - 150, 1200, ftop - 10], fill=(244, 246, 248, 255))
    d.rectangle([1095, ftop - 135, 1125, ftop - 25], fill=alpha(RED, 255))
    d.rectangle([1055, ftop - 95, 1165, ftop - 65], fill=alpha(RED, 255))
    d.rectangle([1060, ftop - 10, 1070, ftop], fill=(150, 160, 168, 255))
    d.rectangle([1150, ftop - 10, 1160, ftop], fill=(150, 160, 168, 255))
    img.alpha_composite(blur(b, 1.2))
    # plaza
    g = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(g)
    for i in range(h - 1230):
        t = i / (h - 1230)
        d.line([(0, 1230 + i), (w, 1230 + i)], fill=alpha(mix(rgb("#C9CCCB"), rgb("#9FA5A6"), t), 255))
    for k in range(-6, 14):  # paving lines converging to the entrance
        d.line([(1110 + k * 40, 1230), (1110 + k * 260, h)], fill=(186, 190, 190, 255), width=3)
    img.alpha_composite(g)
    # trees left and right, in front
    t_layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(t_layer)
    greens = [rgb("#4F7F4A"), rgb("#5E9254"), rgb("#3F6B3E"), rgb("#78A868")]
    for base_x in (170, 380, 2050, 2290):
        d.rectangle([base_x - 14, 1000, base_x + 14, 1300], fill=(92, 74, 60, 255))
        for _ in range(40):
            r = rng.uniform(50, 110)
            x_ = base_x + rng.gauss(0, 95)
            y_ = 880 + rng.gauss(0, 90)
            d.ellipse([x_ - r, y_ - r, x_ + r, y_ + r], fill=alpha(greens[rng.randrange(4)], 255))
    img.alpha_composite(blur(t_layer, 2.5))
    # hedge along the front
    hedge = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(hedge)
    for x_ in range(-40, w + 40, 38):
        if 840 < x_ < 1380:
            continue
        r = rng.uniform(40, 60)
        d.ellipse([x_ - r, 1240 - r, x_ + r, 1240 + r * 0.8], fill=alpha(greens[rng.randrange(4)], 255))
    img.alpha_composite(blur(hedge, 2))
    photo = img.convert("RGB")
    # a little vignette and grain, as a camera would give
    vignette = Image.radial_gradient("L").resize((w, h), Image.Resampling.BICUBIC).point(lambda v: max(0, v - 90) * 55 // 165)
    photo = Image.composite(Image.new("RGB", (w, h), (40, 48, 56)), photo, vignette)
    noise = Image.frombytes("L", (w, h), random.Random(7).randbytes(w * h)).point(lambda v: 128 + (v - 128) // 32)
    return ImageChops.add(photo, Image.merge("RGB", (noise, noise, noise)), scale=1.0, offset=-128)


def photo_exif() -> Image.Exif:
    """Orientation 6 (turn 90 degrees clockwise to show) and a made-up GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "sitegen sample"  # Make
    exif[0x0110] = "drawn, not photographed"  # Model
    exif[0x0112] = 6  # Orientation: the stored rows are the picture's right-hand column, top to bottom
    exif[0x0131] = "scripts/draw_covers.py"  # Software
    exif[0x0132] = "2026:03:02 09:30:00"  # DateTime
    exif.get_ifd(0x8769)[0x9003] = "2026:03:02 09:30:00"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[0x0000] = b"\x02\x03\x00\x00"  # GPSVersionID 2.3
    gps[0x0001] = "N"
    gps[0x0002] = (31.0, 12.0, 34.56)  # made up
    gps[0x0003] = "E"
    gps[0x0004] = (121.0, 28.0, 56.78)  # made up
    gps[0x0005] = 0  # above sea level
    gps[0x0006] = 12.0  # metres
    return exif


def draw_photo() -> bytes:
    upright = draw_photo_upright()
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # anticlockwise; Orientation 6 turns it back clockwise
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=85, optimize=True, exif=photo_exif())
    return out.getvalue()


def draw_diagram() -> bytes:
    """The five steps of a first visit, as five round icons joined by arrows, on a transparent background."""
    w, h = 1200, 800
    pal = PALETTES["jiuyi"]
    L = Layer(w, h)
    nodes = [(150, 300), (375, 520), (600, 300), (825, 520), (1050, 300)]
    r = 100
    for (x0, y0), (x1, y1) in itertools.pairwise(nodes):
        dx, dy = x1 - x0, y1 - y0
        dist = math.hypot(dx, dy)
        ux, uy = dx / dist, dy / dist
        a = (x0 + ux * (r + 22), y0 + uy * (r + 22))
        b = (x1 - ux * (r + 40), y1 - uy * (r + 40))
        L.line([a, b], 12, pal.main)
        tip = (x1 - ux * (r + 16), y1 - uy * (r + 16))
        back = (tip[0] - ux * 40, tip[1] - uy * 40)
        L.poly([tip, (back[0] - uy * 26, back[1] + ux * 26), (back[0] + uy * 26, back[1] - ux * 26)], pal.main)
    # soft, half-transparent shadows under the nodes
    sh = Layer(w, h)
    for x, y in nodes:
        sh.circle(x + 6, y + 14, r + 6, alpha(pal.ink, 70))
    sh.im = blur(sh.im, 12 * SS)
    base = Layer(w, h)
    base.im.alpha_composite(sh.im)
    base.im.alpha_composite(L.im)
    L = base
    for i, (x, y) in enumerate(nodes):
        L.circle(x, y, r, WHITE)
        L.circle(x, y, r - 6, None, pal.main if i < 4 else pal.second, width=12)
        for k in range(i + 1):  # the step's number, as dots
            L.circle(x - (i * 26) / 2 + k * 26, y + r + 44, 9, pal.main if i < 4 else pal.second)
    # icons
    x, y = nodes[0]
    calendar(L, x - 52, y - 42, 104, 92, pal, marks=(10,), rows=3)
    x, y = nodes[1]  # waiting: an hourglass
    L.rrect(x - 44, y - 62, x + 44, y - 50, 6, pal.ink)
    L.rrect(x - 44, y + 50, x + 44, y + 62, 6, pal.ink)
    L.poly([(x - 36, y - 50), (x + 36, y - 50), (x + 6, y), (x + 36, y + 50), (x - 36, y + 50), (x - 6, y)], pal.soft)
    L.poly([(x - 26, y + 48), (x + 26, y + 48), (x, y + 18)], pal.third)
    L.poly([(x - 18, y - 36), (x + 18, y - 36), (x, y - 12)], pal.third)
    x, y = nodes[2]
    stethoscope(L, x - 14, y + 4, 92, pal.main)
    x, y = nodes[3]  # paying and tests: a test tube and a card
    L.rrect(x - 60, y - 20, x + 30, y + 40, 10, pal.main)
    L.rrect(x - 50, y - 8, x - 26, y + 8, 3, rgb("#F2D27A"))
    test_tube(L, x + 32, y - 50, 30, 100, RED, 0.5, cap=pal.ink)
    x, y = nodes[4]
    capsule(x - 8, y + 10, 112, 46, pal.second, pal.main, angle=35, L=L)
    tablet(L, x + 38, y - 30, 20, pal.third, WHITE)
    im = L.im.resize((w, h), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, "PNG", optimize=True)
    return out.getvalue()


# --- the theme's share image ----------------------------------------------------------------------


def draw_share() -> bytes:
    w, h = 1200, 630
    pal = Palette(rgb("#1C9A92"), rgb("#0C6E6D"), rgb("#0F7C79"), WHITE, rgb("#8FD8CF"), rgb("#0A4F52"))
    c = Canvas(w, h, pal, seed="share-default", confetti=0)
    L = c.layer()
    # a calm heart-rate line passing behind the badge
    L.line(ecg_points(60, 1140, 330, 120, beats=3), 8, alpha(WHITE, 110))
    c.add(L, shadow=0)
    c.disc(600, 315, 200, 40)
    L = c.layer()
    L.rrect(600 - 130, 315 - 130, 600 + 130, 315 + 130, 60, WHITE)
    cross(L, 600, 315, 170, pal.main)
    c.add(L, shadow=0.35, offset=(0, 10), spread=14)
    L = c.layer()
    for x, y, r in ((180, 130, 36), (1040, 500, 48), (1010, 110, 20), (210, 520, 18)):
        L.circle(x, y, r, None, alpha(WHITE, 70), width=6)
    c.add(L, shadow=0)
    out = io.BytesIO()
    c.finish().save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


# --- files and front matter -----------------------------------------------------------------------


def jpeg(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def write(path: Path, data: bytes, limit: int | None = None) -> bool:
    if limit is not None and len(data) > limit:
        raise SystemExit(f"{path}: {len(data)} bytes, over the limit of {limit}")
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def add_image_fields(path: Path, fields: Sequence[tuple[str, str]]) -> bool:
    """Insert `key: value` lines after the front matter's `tags:` line (or at its end); no other byte changes."""
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    if not text.startswith("---\n"):
        raise SystemExit(f"{path}: front matter does not start with ---")
    end = text.find("\n---\n", 3)
    if end < 0:
        raise SystemExit(f"{path}: front matter has no closing ---")
    lines = text[4:end].split("\n")
    if any(line.startswith("image:") for line in lines):
        return False
    for value in (v for _, v in fields):
        if any(ch in value for ch in ":#\"'[]{}") or value != value.strip():
            raise SystemExit(f"{path}: {value!r} would need quoting in YAML")
    at = len(lines)
    for i, line in enumerate(lines):
        if line.startswith("tags:") and line.rstrip().endswith("]"):
            at = i + 1
            break
    lines[at:at] = [f"{k}: {v}" for k, v in fields]
    new = "---\n" + "\n".join(lines) + text[end:]
    try:
        import yaml
    except ImportError:
        pass
    else:
        meta = yaml.safe_load("\n".join(lines))
        assert all(meta[k] == v for k, v in fields), path
    path.write_bytes(new.encode("utf-8"))
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=Path("."), help="the site's folder (default: .)")
    parser.add_argument("--no-front-matter", action="store_true", help="draw the pictures only")
    parser.add_argument("--share", type=Path, default=SHARE_DEFAULT, help="where to write the theme's share image (default: %(default)s); '' to skip")
    parser.add_argument("--only", action="append", default=[], help="draw only this slug (repeatable)")
    args = parser.parse_args(argv)
    site: Path = args.site
    changed = 0
    for cover in COVERS:
        if args.only and cover.slug not in args.only:
            continue
        article = site / cover.article
        if not article.is_file():
            hint = " (move it into a bundle first: git mv ... index.md)" if cover.bundle else ""
            print(f"skipped {cover.article}: no such article{hint}", file=sys.stderr)
            continue
        image_path = article.parent / cover.image
        changed += write(image_path, jpeg(draw_cover(cover)), MAX_COVER_BYTES)
        if not args.no_front_matter:
            fields = [("image", cover.image), ("image_alt", cover.alt)]
            if cover.caption:
                fields.append(("image_caption", cover.caption))
            changed += add_image_fields(article, fields)
    bundle = site / BUNDLE
    if (bundle / "index.md").is_file() and (not args.only or "photo" in args.only):
        changed += write(bundle / "photo.jpg", draw_photo())
        changed += write(bundle / "diagram.png", draw_diagram())
    if str(args.share) not in ("", ".") and (not args.only or "share" in args.only):
        changed += write(args.share, draw_share(), MAX_SHARE_BYTES)
    print(f"{changed} file(s) written or changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
