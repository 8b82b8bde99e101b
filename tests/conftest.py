"""Shared test helpers: fixture sites copied into tmp_path and built there."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitegen.build import BuildOptions, BuildResult, build
from sitegen.theme import THEME_DIR

# One signing key for the build cache for the whole run, outside the user's home.
os.environ.setdefault("SITEGEN_CACHE_KEY", os.path.join(tempfile.mkdtemp(prefix="sitegen-key-"), "cache-key"))

# A suite started in the background by a non-interactive shell (`pytest &` in a script, some CI
# runners) inherits Ctrl-C (SIGINT) ignored, and so would every sitegen it starts: the tests of
# what Ctrl-C does would then fail (serve never stops) or pass without testing anything (a build
# that ignores it just finishes). They are about a terminal's Ctrl-C, so this process takes the
# default back, and through exec every process it starts does too.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TODAY = dt.date(2026, 11, 24)


def make_site(tmp_path: Path, name: str = "basic") -> Path:
    """Copy fixture site `name` into tmp_path; it gets the default theme unless it has its own."""
    site = tmp_path / name
    shutil.copytree(FIXTURES / name, site)
    for part in ("layouts", "static"):
        if not (site / part).exists():
            shutil.copytree(THEME_DIR / part, site / part)
    return site


def build_site(site: Path, **options) -> BuildResult:
    options.setdefault("today", TODAY)
    return build(BuildOptions(site_dir=site, **options))


def show_reviewer_in_article_layout(site: Path) -> None:
    """Make the site's article layout print the unknown front-matter key `reviewer`."""
    layout = site / "layouts/article.html"
    include = '{% include "partials/source_notice.html" %}'
    text = layout.read_text(encoding="utf-8")
    layout.write_text(text.replace(include, include + '<p class="reviewer">{{ article.params.reviewer }}</p>'), encoding="utf-8")


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture
def basic_site(tmp_path: Path) -> Path:
    return make_site(tmp_path, "basic")


@pytest.fixture
def built_basic(basic_site: Path) -> Path:
    """The basic fixture site, built; returns its output folder."""
    build_site(basic_site)
    return basic_site / "public"


# --- a real browser: Debian's Chromium driven by Playwright, never a downloaded one ---------------

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _browser_unavailable(reason: str) -> None:
    # Outside CI a machine without Chromium skips the browser tests, saying why; CI must run them.
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; on CI the browser tests must run")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    executable = "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else shutil.which("chromium")
    if executable is None:
        _browser_unavailable("Chromium not found (/usr/bin/chromium or `chromium` on PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
