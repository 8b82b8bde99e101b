"""netlify.toml's build commands, run here with the variables Netlify sets, and the links they give."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO, soup_of
from sitegen.theme import THEME_DIR

PRODUCTION = "https://health.example.org"
PREVIEW = "https://deploy-preview-7--health-example.netlify.app"
DRAFT = "tijian/xian-tijian-taocan/index.html"  # the sample site's one draft


def netlify_command(context: str | None) -> str:
    config = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    command = config["context"][context]["command"] if context else config["build"]["command"]
    # Netlify installs the project first; here it is installed already.
    prefix = "pip install -c constraints.txt . && "
    assert command.startswith(prefix)
    return command[len(prefix) :]


def run_netlify_build(tmp_path: Path, context: str | None, variables: dict[str, str]) -> Path:
    site = tmp_path / "site"
    # The sample site uses the packaged theme, copied in as a site's own files would override it.
    for part in ("layouts", "static"):
        shutil.copytree(THEME_DIR / part, site / part)
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "static", site / "static", dirs_exist_ok=True)
    shutil.copy(REPO / "site.toml", site / "site.toml")
    environment = {**os.environ, **variables, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    finished = subprocess.run(
        ["bash", "-c", netlify_command(context)], cwd=site, env=environment, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    return site / "public"


def absolute_links(public: Path) -> list[str]:
    links = []
    for page in public.rglob("*.html"):
        soup = soup_of(page)
        for tag in soup.find_all(True):
            for attribute in ("href", "src", "content"):
                value = tag.get(attribute)
                if isinstance(value, str) and value.startswith("http"):
                    links.append(value)
    return links


def test_production_uses_the_real_url_and_hides_drafts(tmp_path: Path) -> None:
    public = run_netlify_build(tmp_path, None, {"URL": PRODUCTION, "CONTEXT": "production"})
    assert not (public / DRAFT).exists()
    home = soup_of(public / "index.html")
    assert home.find("link", rel="canonical")["href"] == f"{PRODUCTION}/"
    assert f"Sitemap: {PRODUCTION}/sitemap.xml" in (public / "robots.txt").read_text(encoding="utf-8")
    links = absolute_links(public)
    assert any(link.startswith(PRODUCTION + "/") for link in links)
    assert not [link for link in links if "netlify.app" in link]


@pytest.mark.parametrize("context", ["deploy-preview", "branch-deploy"])
def test_previews_link_to_themselves_and_show_drafts_with_a_banner(tmp_path: Path, context: str) -> None:
    public = run_netlify_build(tmp_path, context, {"URL": PRODUCTION, "DEPLOY_PRIME_URL": PREVIEW, "CONTEXT": context})
    draft = soup_of(public / DRAFT)
    assert "草稿" in draft.select_one(".draft-banner").get_text()
    links = absolute_links(public)
    assert any(link.startswith(PREVIEW + "/") for link in links)
    assert not [link for link in links if link.startswith(PRODUCTION)]
    sitemap = (public / "sitemap.xml").read_text(encoding="utf-8")
    assert PREVIEW in sitemap and PRODUCTION not in sitemap
