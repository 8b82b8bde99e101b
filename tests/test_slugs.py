from __future__ import annotations

import pytest

from sitegen.slugs import is_safe_slug, slugify

SLUGS = [
    ("医保", "yibao"),
    ("深圳", "shenzhen"),
    ("重庆", "chongqing"),
    ("个人账户", "gerenzhanghu"),
    ("HPV疫苗", "hpv-yimiao"),
    ("儿童 过敏", "ertong-guomin"),
    ("绿色通道", "lvsetongdao"),
    ("../etc/passwd", "etc-passwd"),
    ("C:\\Windows", "c-windows"),
    ("%2e%2e", "2e-2e"),
    ("Café", "cafe"),
]


@pytest.mark.parametrize("name, slug", SLUGS)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert is_safe_slug(slug)


@pytest.mark.parametrize("slug", ["../x", "a/b", "A", "a--b", "-a", "", "a b", "\x00"])
def test_unsafe_slugs(slug: str) -> None:
    assert not is_safe_slug(slug)
