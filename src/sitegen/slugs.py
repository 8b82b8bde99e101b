"""URL slugs for Chinese names: 医保 → yibao, 深圳 → shenzhen, HPV疫苗 → hpv-yimiao."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SAFE_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def is_safe_slug(slug: str) -> bool:
    """A slug that is one URL path segment: lowercase ASCII letters and digits joined by hyphens."""
    return bool(_SAFE_SLUG.fullmatch(slug))


SLUG_VERSION = 2  # bump when the rules change: build caches keep slugs computed by these rules


def slugify(text: str) -> str:
    """Turn a name into a URL segment: Chinese runs become toneless pinyin, other words lowercase ASCII.

    The syllables of one Chinese run are joined without a hyphen (医保 → yibao), so the slug reads
    like the word a Chinese reader would type; runs of different scripts are joined by hyphens.
    A build keeps the slugs of names it has seen in its cache and passes them back in (site.py),
    so this module holds no state of its own.
    """
    return _slugify(text)


def _slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    parts: list[str] = []
    position = 0
    for han in _HAN.finditer(text):
        parts.extend(_ascii_words(text[position : han.start()]))
        # Imported here: loading pypinyin's phrase dictionary takes 0.15 s, which a build that
        # finds nothing changed should not pay.
        from pypinyin import Style, lazy_pinyin

        syllables = lazy_pinyin(han.group(), style=Style.NORMAL, v_to_u=False)
        # pypinyin returns a character it has no reading for (933 rare ones) as is: leave those out.
        parts.append(re.sub(r"[^a-z0-9]", "", "".join(s.replace("\u00fc", "v") for s in syllables if s.isalnum()).lower()))
        position = han.end()
    parts.extend(_ascii_words(text[position:]))
    return "-".join(p for p in parts if p)


def _ascii_words(text: str) -> list[str]:
    # Accents are folded (é → e); anything that is still not [a-z0-9] separates words.
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", folded)


def term_slug(name: str) -> str:
    """The slug of a topic, city or tag name; one that has no pinyin or Latin letters gets a hash."""
    slug = slugify(name)
    if slug:
        return slug
    # `!!!`, `〇` and emoji have no readable slug; a hash keeps them apart and inside one segment.
    return "x-" + hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=5).hexdigest()
