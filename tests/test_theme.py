"""The packaged default theme: what a site's own layouts/ and static/ override, and what ships in the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, build_site, soup_of
from sitegen import theme
from sitegen.errors import SiteError
from sitegen.theme import THEME_DIR, layout_folders, layout_templates, layouts_digest, static_files

# Every template the theme ships, read from the package; CORE_TEMPLATES must always be among them.
THEME_TEMPLATES = {p.relative_to(THEME_DIR / "layouts").as_posix() for p in (THEME_DIR / "layouts").rglob("*.html")}
CORE_TEMPLATES = {
    "404.html", "article.html", "base.html", "home.html", "list.html", "search.html", "terms.html",
    "partials/cards.html", "partials/disclaimer.html", "partials/footer.html", "partials/header.html",
    "partials/hot_searches.html", "partials/pagination.html", "partials/source_notice.html",
}  # fmt: skip
THEME_STATIC = {"css/site.css", "js/search.js", "favicon.svg", "images/share-default.jpg"}


def bare_site(tmp_path: Path) -> Path:
    """The basic fixture site as an author would start it: site.toml and content/, no theme files."""
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "basic", site)
    assert sorted(p.name for p in site.iterdir()) == ["content", "site.toml"]
    return site


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- which files win ----------------------------------------------------------------------------


def test_the_theme_holds_every_default_template_and_asset() -> None:
    assert CORE_TEMPLATES <= THEME_TEMPLATES
    assert set(layout_templates(Path("/nonexistent-site"))) == THEME_TEMPLATES
    assert set(static_files(Path("/nonexistent-site"))) == THEME_STATIC


def test_layouts_are_looked_up_in_the_site_first_then_the_theme(tmp_path: Path) -> None:
    site = bare_site(tmp_path)
    assert layout_folders(site) == [THEME_DIR / "layouts"]
    (site / "layouts").mkdir()
    assert layout_folders(site) == [site / "layouts", THEME_DIR / "layouts"]


def test_a_site_template_overrides_the_theme_file_of_that_name_only(tmp_path: Path) -> None:
    site = bare_site(tmp_path)
    footer = write(site / "layouts/partials/footer.html", "<footer>本站页脚</footer>\n")
    extra = write(site / "layouts/partials/banner.html", "<p>横幅</p>\n")
    write(site / "layouts/README.md", "notes for the site's developers\n")
    write(site / "layouts/.article.html.swp", "an editor's swap file\n")
    templates = layout_templates(site)
    assert set(templates) == THEME_TEMPLATES | {"partials/banner.html"}
    assert templates["partials/footer.html"] == footer
    assert templates["partials/banner.html"] == extra
    assert templates["partials/header.html"] == THEME_DIR / "layouts/partials/header.html"


def test_site_static_files_override_the_theme_and_dotfiles_stay_out(tmp_path: Path) -> None:
    site = bare_site(tmp_path)
    css = write(site / "static/css/site.css", "body { color: red }\n")
    write(site / "static/img/logo.svg", "<svg/>")
    write(site / "static/.DS_Store", "")
    write(site / "static/.well-known/security.txt", "Contact: mailto:fix@test.example.cn\n")
    files = static_files(site)
    assert set(files) == THEME_STATIC | {"img/logo.svg", ".well-known/security.txt"}
    assert files["css/site.css"] == css
    assert files["js/search.js"] == THEME_DIR / "static/js/search.js"


def test_a_static_symlink_out_of_the_site_is_refused(tmp_path: Path) -> None:
    site = bare_site(tmp_path)
    (site / "static").mkdir()
    secret = write(tmp_path / "secret.txt", "not for the web\n")
    os.symlink(secret, site / "static/secret.txt")
    with pytest.raises(SiteError) as raised:
        static_files(site)
    assert [p.path for p in raised.value.problems] == ["static/secret.txt"]
    assert "站点目录之外" in raised.value.problems[0].message


def test_the_sample_site_uses_the_theme_with_its_own_favicon() -> None:
    assert layout_templates(REPO) == {name: THEME_DIR / "layouts" / name for name in sorted(THEME_TEMPLATES)}
    files = static_files(REPO)
    assert files["favicon.svg"] == REPO / "static/favicon.svg"
    assert files["css/site.css"] == THEME_DIR / "static/css/site.css"


# --- the layouts digest -------------------------------------------------------------------------


def test_layouts_digest_follows_the_templates_the_loader_can_use(tmp_path: Path) -> None:
    site = bare_site(tmp_path)
    digests = [layouts_digest(site)]
    write(site / "layouts/README.md", "notes\n")  # not a template: same digest
    write(site / "layouts/.footer.html.swp", "swap\n")
    assert layouts_digest(site) == digests[0]
    footer = THEME_DIR / "layouts/partials/footer.html"
    copy = write(site / "layouts/partials/footer.html", footer.read_text(encoding="utf-8"))
    digests.append(layouts_digest(site))  # the same bytes, but now the site's file wins
    copy.write_text(footer.read_text(encoding="utf-8") + "<!-- 改过 -->\n", encoding="utf-8")
    digests.append(layouts_digest(site))
    write(site / "layouts/feed.xml", "<feed/>\n")
    digests.append(layouts_digest(site))
    assert len(set(digests)) == len(digests)


def test_layouts_digest_changes_with_the_theme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = bare_site(tmp_path)
    before = layouts_digest(site)
    shutil.copytree(THEME_DIR, tmp_path / "theme")
    monkeypatch.setattr(theme, "THEME_DIR", tmp_path / "theme")
    assert layouts_digest(site) == before  # where the theme is installed does not matter
    header = tmp_path / "theme/layouts/partials/header.html"
    header.write_text(header.read_text(encoding="utf-8") + "<!-- 新版主题 -->\n", encoding="utf-8")
    assert layouts_digest(site) != before


# --- building with the theme (needs the build to use layout_folders and static_files) -----------


def test_a_site_with_only_site_toml_and_content_builds_a_complete_site(tmp_path: Path) -> None:
    site = bare_site(tmp_path)
    build_site(site)
    public = site / "public"
    for name in THEME_STATIC:
        assert (public / name).read_bytes() == (THEME_DIR / "static" / name).read_bytes()
    for page in ("index.html", "yibao/shenzhen-duanjiao/index.html", "topics/index.html", "404.html"):
        html = soup_of(public / page)
        assert html.select_one("header") is not None and html.select_one("footer.site-footer") is not None
        assert html.find("link", rel="stylesheet")["href"] == "/css/site.css"
        assert html.find("link", rel="icon")["href"] == "/favicon.svg"
    article = soup_of(public / "yibao/shenzhen-duanjiao/index.html")
    assert len(article.select(".disclaimer")) == 1 and len(article.select(".source-notice")) == 1
    assert not (site / "layouts").exists() and not (site / "static").exists()  # nothing written into the site


def test_overriding_one_partial_keeps_the_rest_of_the_theme(tmp_path: Path) -> None:
    site = bare_site(tmp_path)
    write(site / "layouts/partials/footer.html", '<footer class="site-footer"><p class="own-footer">{{ site.config.title }} 编辑部</p></footer>\n')
    write(site / "static/css/site.css", "body { color: #222 }\n")
    build_site(site)
    public = site / "public"
    for page in ("index.html", "yibao/shenzhen-duanjiao/index.html", "tags/index.html"):
        html = soup_of(public / page)
        assert html.select_one(".own-footer").get_text() == "测试健康站 编辑部"
        assert html.select_one("a.skip-link") is not None  # base.html is still the theme's
        assert html.select(".footer-links") == []
    assert (public / "css/site.css").read_text(encoding="utf-8") == "body { color: #222 }\n"
    assert (public / "js/search.js").read_bytes() == (THEME_DIR / "static/js/search.js").read_bytes()


def test_editing_an_override_rebuilds_the_pages_that_use_it(tmp_path: Path) -> None:
    site = bare_site(tmp_path)
    build_site(site)
    footer = write(site / "layouts/partials/footer.html", '<footer class="site-footer"><p class="own-footer">一</p></footer>\n')
    build_site(site)
    assert soup_of(site / "public/index.html").select_one(".own-footer").get_text() == "一"
    footer.write_text('<footer class="site-footer"><p class="own-footer">二</p></footer>\n', encoding="utf-8")
    build_site(site)
    assert soup_of(site / "public/index.html").select_one(".own-footer").get_text() == "二"
    footer.unlink()  # back to the theme's footer
    build_site(site)
    assert soup_of(site / "public/index.html").select_one(".footer-links") is not None


# --- packaging ----------------------------------------------------------------------------------


def test_the_wheel_ships_the_theme_and_the_starter_site(tmp_path: Path) -> None:
    # Built from a copy, so no build/ or egg-info lands in the checkout; pip fetches setuptools.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    finished = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "wheel"), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    (wheel,) = (tmp_path / "wheel").glob("sitegen-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    theme_files = {f"sitegen/theme/{p.relative_to(THEME_DIR).as_posix()}" for p in THEME_DIR.rglob("*") if p.is_file()}
    starter = REPO / "src/sitegen/starter"
    starter_files = {f"sitegen/starter/{p.relative_to(starter).as_posix()}" for p in starter.rglob("*") if p.is_file()}
    assert theme_files <= shipped and starter_files <= shipped
    assert {f"sitegen/theme/layouts/{name}" for name in CORE_TEMPLATES} <= shipped
    assert {"sitegen/theme.py", "sitegen/init.py", "sitegen/py.typed"} <= shipped
