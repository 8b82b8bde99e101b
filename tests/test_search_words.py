"""site.toml's `search_words`: words of the site's own that the search index keeps whole wherever
a text holds them, whatever jieba cuts there (胃肠镜检查 is cut 胃肠|镜检查, so 肠镜 found nothing)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import build_site
from search_site import SearchPage, sample_site, serving
from sitegen import search
from sitegen.config import load_config
from sitegen.errors import SiteError
from test_config import MINIMAL, write

ARTICLE = "tijian/zhongliu-biaozhiwu-piangao/index.html"  # says 胃肠镜, never 肠镜 alone


def _with_words(site: Path, words: str) -> None:
    config = site / "site.toml"
    text = config.read_text(encoding="utf-8")
    kept = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("search_words"))
    config.write_text(kept.replace("hot_searches =", f"{words}hot_searches =", 1), encoding="utf-8")


def _slim(site: Path) -> str:
    return (site / ".sitegen-cache" / search.STAGING_DIR / ARTICLE).read_text(encoding="utf-8")


def _listed(site: Path) -> set[str]:
    return set(json.loads((site / "public" / search.PAGEFIND_DIR / search.WORDS_FILE).read_text(encoding="utf-8"))["words"].split(" "))


@pytest.mark.parametrize("value", ['["A超"]', '["医"]', '["肠 镜"]', '"肠镜"'])
def test_a_search_word_must_be_two_chinese_characters_or_more(tmp_path: Path, value: str) -> None:
    with pytest.raises(SiteError) as raised:
        load_config(write(tmp_path, MINIMAL.replace('title = "站点"', f'title = "站点"\nsearch_words = {value}')))
    message = str(raised.value)
    assert message.startswith("site.toml") and "search_words" in message
    assert "\n" not in message.strip() and "Traceback" not in message


def test_search_words_are_stripped_and_kept_once(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'search_words = ["肠镜", " 华西医院 ", "肠镜"]\n' + MINIMAL))
    assert config.search_words == ["肠镜", "华西医院"]
    assert "search_words" not in config.model_dump_json()  # no page shows them: no page's fingerprint holds them


@pytest.fixture(scope="module")
def with_word(tmp_path_factory) -> Path:
    site = sample_site(tmp_path_factory.mktemp("words"))
    _with_words(site, 'search_words = ["肠镜", "華西醫院"]\n')
    build_site(site, search=True)
    return site


def test_a_search_word_is_a_word_wherever_a_text_holds_it(with_word: Path) -> None:
    assert " 肠镜 " in _slim(with_word)
    assert "肠镜" in _listed(with_word)
    assert "华西医院" not in _listed(with_word)  # in no article: not in the list


def test_taking_a_word_out_again_leaves_what_a_cold_build_makes(with_word: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(with_word, site)
    _with_words(site, "")
    build_site(site, search=True)
    assert " 肠镜 " not in _slim(site) and "肠镜" not in _listed(site)
    cold = tmp_path / "cold"
    shutil.copytree(site, cold, ignore=shutil.ignore_patterns(".sitegen-cache", "public"))
    build_site(cold, search=True)
    pages = sorted(path.relative_to(site / ".sitegen-cache").as_posix() for path in (site / ".sitegen-cache" / search.STAGING_DIR).rglob("*.html"))
    assert pages
    for page in pages:
        assert (site / ".sitegen-cache" / page).read_bytes() == (cold / ".sitegen-cache" / page).read_bytes(), page
    assert _listed(site) == _listed(cold)
    # And back in: the article is found by it again without cutting anything else.
    _with_words(site, 'search_words = ["肠镜"]\n')
    build_site(site, search=True)
    assert " 肠镜 " in _slim(site) and "肠镜" in _listed(site)


@pytest.mark.browser
def test_a_reader_finds_the_article_by_a_search_word(browser, with_word: Path) -> None:
    with serving(with_word / "public") as base:
        page = SearchPage(browser, base)
        page.open("肠镜")
        assert page.shown() == ["/" + ARTICLE.removesuffix("index.html")]
        assert "找到 1 篇" in page.page.locator("#search-status").inner_text()
        page.close()
