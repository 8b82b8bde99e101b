"""Plain-text helpers that treat Chinese as a first-class language: width, joining and excerpts."""

from __future__ import annotations

import heapq
import re
import sys
import unicodedata
from collections.abc import Callable
from functools import lru_cache

SENTENCE_ENDS = "\u3002\uff01\uff1f\uff1b!?;"  # 。！？； and their ASCII forms
_CLOSING = "\u201d\u2019\u300d\u300f\uff09\u3011\u300b\"')"  # closing quotes and brackets
ELLIPSIS = "…"
_PAUSES = "\uff0c\u3001\uff1a,:."  # ，、： and ASCII forms: where a sentence may pause


@lru_cache(maxsize=4096)
def is_wide(char: str) -> bool:
    """True for CJK characters and full-width punctuation, false for emoji and Latin text."""
    if ord(char) < 0x1100:
        return False
    if unicodedata.east_asian_width(char) in ("F", "H"):
        return True
    if unicodedata.east_asian_width(char) == "W":
        return not _is_emoji(char)
    return "HANGUL" in unicodedata.name(char, "")


def joins_without_space(before: str, after: str) -> bool:
    """Whether a line break between these two characters should vanish rather than become a space.

    True between wide characters, and between a wide character and ASCII punctuation, which
    Chinese authors often type (`不会清零,` + newline + `仍然`).
    """
    if is_wide(before) and is_wide(after):
        return True
    return (is_wide(before) and after in _ASCII_PUNCTUATION) or (is_wide(after) and before in _ASCII_PUNCTUATION)


_ASCII_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF


def join_cjk_aware(blocks: list[str], sentence_end: bool = False) -> str:
    """Join text blocks into one run: no space beside Chinese, one space between Latin words.

    With `sentence_end`, a block that does not end a sentence (a list item, say) gets a 。 so
    that excerpts do not run two items together.
    """
    result = ""
    for block in blocks:
        block = block.strip()
        if not block:
            continue
        if result:
            last = result[-1]
            if sentence_end and last not in SENTENCE_ENDS + _CLOSING + _PAUSES:
                result += "。" if any(is_wide(c) for c in result[-20:]) else "."
                last = result[-1]
            if not is_wide(last) and not is_wide(block[0]):
                result += " "
        result += block
    return result


def make_excerpt(text: str, limit: int) -> str:
    """Cut plain text at the last sentence end within `limit` characters, marking a cut with "…".

    Falls back to the last comma, then to a hard cut, when no sentence ends early enough.
    """
    # Only the beginning can end up in the excerpt; folding spaces in all of a long body is waste.
    shortened = len(text) > limit * 3
    text = re.sub(r"\s+", " ", text[: limit * 3]).strip()
    if len(text) <= limit and not shortened:
        return text
    window = text[:limit]
    cut = _last_boundary(window, SENTENCE_ENDS)
    if cut >= limit // 3:
        return text[:cut].rstrip() + ELLIPSIS
    cut = _last_boundary(window, _PAUSES + " ")
    if cut >= limit // 2 and (before := text[:cut].rstrip(_PAUSES + " ")):  # never an excerpt of "…" alone
        return before + ELLIPSIS
    return text[:limit].rstrip() + ELLIPSIS


def _last_boundary(window: str, marks: str) -> int:
    """Index just past the last mark (and any closing quote after it) in `window`, or -1."""
    last = max(window.rfind(mark) for mark in marks)
    if last < 0:
        return -1
    end = last + 1
    while end < len(window) and window[end] in _CLOSING:
        end += 1
    return end


def title_key(title: str) -> str:
    """A title with width, case, spaces and punctuation folded, to spot the same title twice."""
    folded = unicodedata.normalize("NFKC", title).lower()
    return re.sub(r"[\W_]+", "", folded)


SKETCH_SIZE = 32
_SHINGLE = 4


def text_sketch(text: str) -> tuple[int, ...]:
    """A bottom-k MinHash sketch of the text's 4-character shingles, for near-copy detection.

    Vectorised with numpy once numpy is loaded (render_bodies loads it for big batches); in plain
    Python otherwise, so that a rebuild of one article does not pay 45 ms to import numpy. Both
    give the same values (tests/test_text.py).
    """
    folded = re.sub(r"\W+", "", unicodedata.normalize("NFKC", text).lower())
    if len(folded) < _SHINGLE:
        return ()
    if "numpy" in sys.modules:
        return _sketch_numpy(folded)
    return _sketch_python(folded)


_MASK = (1 << 64) - 1
_PRIME = 0x100000001B3
_MIX = 0xFF51AFD7ED558CCD


def _sketch_numpy(folded: str) -> tuple[int, ...]:
    import numpy as np

    codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    mixed = np.zeros(len(codes) - _SHINGLE + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(_SHINGLE):
            mixed = mixed * np.uint64(_PRIME) + codes[offset : offset + len(mixed)]
        mixed ^= mixed >> np.uint64(33)
        mixed *= np.uint64(_MIX)
        mixed ^= mixed >> np.uint64(33)
    # Sorted and deduplicated by hand: np.unique hashes (numpy 2), 75 µs of an article's 150.
    mixed.sort()
    first = np.empty(len(mixed), dtype=bool)
    first[0] = True
    np.not_equal(mixed[1:], mixed[:-1], out=first[1:])
    return tuple(mixed[first][:SKETCH_SIZE].tolist())


def _sketch_python(folded: str) -> tuple[int, ...]:
    codes = [ord(c) for c in folded]
    values = set()
    for start in range(len(codes) - _SHINGLE + 1):
        mixed = 0
        for code in codes[start : start + _SHINGLE]:
            mixed = (mixed * _PRIME + code) & _MASK
        mixed ^= mixed >> 33
        mixed = (mixed * _MIX) & _MASK
        values.add(mixed ^ (mixed >> 33))
    return tuple(heapq.nsmallest(SKETCH_SIZE, values))


def sketch_similarity(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two texts from their bottom-k sketches."""
    if not first or not second:
        return 0.0
    k = min(SKETCH_SIZE, len(first), len(second))
    union = sorted(set(first) | set(second))[:k]
    shared = set(first) & set(second)
    return sum(1 for value in union if value in shared) / k


@lru_cache(maxsize=1)
def _traditional() -> tuple[re.Pattern[str], Callable[[str], str]]:
    import opencc

    convert = opencc.OpenCC("t2s").convert
    # The characters OpenCC changes on their own: a text without any is left as it is, unread by
    # OpenCC (a search of this class is a sixth of the cost of converting).
    chars = [chr(code) for code in (*range(0x3400, 0xA000), *range(0xF900, 0xFB00))]
    changed = "".join(char for char, simple in zip(chars, convert("\n".join(chars)).split("\n")) if char != simple)
    return re.compile(f"[{changed}]"), convert


def simplified(text: str) -> str:
    """`text` in simplified characters, converted by phrase (OpenCC's t2s): 醫保 → 医保, 乾燥 → 干燥, 乾隆 stays."""
    pattern, convert = _traditional()
    return convert(text) if pattern.search(text) else text
