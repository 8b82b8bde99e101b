"""`sitegen init`: a new site that builds at once with the packaged theme, and never a write into a used folder."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, soup_of
from sitegen import __version__
from sitegen.cli import main
from sitegen.config import load_config
from sitegen.content import parse_article, parse_page
from sitegen.errors import SiteError
from sitegen.init import init_site

TODAY = dt.date(2026, 11, 24)
FILES = {"site.toml", "content/yibao/shili-wenzhang.md", "content/pages/about.md", ".gitignore", "netlify.toml"}
PRODUCTION = "https://new-site.example.org"
PREVIEW = "https://deploy-preview-3--new-site.netlify.app"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def new_site(tmp_path: Path) -> Path:
    site = tmp_path / "新站点"
    written = init_site(site, today=TODAY)
    assert {p.relative_to(site).as_posix() for p in written} == FILES
    return site


# --- what it writes -----------------------------------------------------------------------------


def test_writes_the_files_of_a_site_and_nothing_else(new_site: Path) -> None:
    assert files_under(new_site) == FILES
    assert not (new_site / "layouts").exists() and not (new_site / "static").exists()  # the packaged theme serves


def test_site_toml_has_every_required_key_each_explained(new_site: Path) -> None:
    config = load_config(new_site)
    assert config.title and config.base_url.startswith("https://")
    assert config.source_notice.text and config.source_notice.contact
    lines = (new_site / "site.toml").read_text(encoding="utf-8").splitlines()
    for key in ("title = ", "base_url = ", "[source_notice]", "contact = "):
        index = next(i for i, line in enumerate(lines) if line.startswith(key))
        assert lines[index - 1].startswith("# "), f"{key} has no comment above it"


def test_every_commented_example_in_site_toml_is_a_valid_setting(new_site: Path) -> None:
    path = new_site / "site.toml"
    text = path.read_text(encoding="utf-8")
    examples = re.compile(r"^# (?=\[|[a-z_.]+ = )", re.MULTILINE)
    assert len(examples.findall(text)) >= 10
    path.write_text(examples.sub("", text), encoding="utf-8")
    config = load_config(new_site)
    assert config.paginate == 20 and config.topic("医保").slug == "yibao"
    assert [(item.name, item.url) for item in config.menus.footer] == [("关于我们", "/about/")]


def test_the_example_article_is_a_valid_article_dated_today(new_site: Path) -> None:
    relative = "content/yibao/shili-wenzhang.md"
    article = parse_article(relative, (new_site / relative).read_bytes())
    assert not isinstance(article, list), article
    front = article.front_matter
    assert (front.date, front.city, front.topic) == (TODAY, "全国", "医保")
    assert not front.draft and front.tags


def test_the_example_page_is_a_page_with_only_a_title(new_site: Path) -> None:
    relative = "content/pages/about.md"
    text = (new_site / relative).read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 关于我们\n---\n")
    page = parse_page(relative, text.encode("utf-8"))
    assert not isinstance(page, list), page
    assert (page.title, page.slug) == ("关于我们", "about")


def test_gitignore_keeps_the_output_and_the_cache_out(new_site: Path) -> None:
    lines = (new_site / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/public/" in lines and ".sitegen-cache/" in lines


def test_netlify_toml_installs_sitegen_and_builds_each_context(new_site: Path) -> None:
    config = tomllib.loads((new_site / "netlify.toml").read_text(encoding="utf-8"))
    assert config["build"]["publish"] == "public"
    assert config["build"]["environment"]["SITEGEN_PACKAGE"] == f"sitegen=={__version__}"
    install = 'pip install "$SITEGEN_PACKAGE" && '
    assert config["build"]["command"] == install + 'sitegen build --base-url "$URL"'
    for context in ("deploy-preview", "branch-deploy"):
        assert config["context"][context]["command"] == install + 'sitegen build --drafts --noindex --base-url "$DEPLOY_PRIME_URL"'


def test_netlify_toml_sends_the_headers_the_theme_is_tested_with(new_site: Path) -> None:
    # tests/test_csp.py proves the theme within the repository's policy; a new site must send the same.
    ours = tomllib.loads((new_site / "netlify.toml").read_text(encoding="utf-8"))["headers"]
    assert ours == tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))["headers"]


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("present", ["notes.txt", ".git/HEAD", "content/"])
def test_refuses_a_folder_that_holds_anything(tmp_path: Path, present: str) -> None:
    site = tmp_path / "site"
    if present.endswith("/"):
        (site / present).mkdir(parents=True)
    else:
        (site / present).parent.mkdir(parents=True)
        (site / present).write_text("mine\n", encoding="utf-8")
    before = files_under(site)
    with pytest.raises(SiteError) as raised:
        init_site(site)
    (problem,) = raised.value.problems
    assert problem.path == site.as_posix() and "不是空的" in problem.message
    assert files_under(site) == before


def test_refuses_a_file(tmp_path: Path) -> None:
    path = tmp_path / "site"
    path.write_text("mine\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        init_site(path)
    assert "不是文件夹" in raised.value.problems[0].message
    assert path.read_text(encoding="utf-8") == "mine\n"


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    init_site(tmp_path / "site")
    assert files_under(tmp_path / "site") == FILES


# --- the command --------------------------------------------------------------------------------


def test_command_lists_the_files_and_the_next_step(tmp_path: Path) -> None:
    site = tmp_path / "my site"
    result = run("init", str(site))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert set(lines[:-1]) == {(site / name).as_posix() for name in FILES}
    assert lines[-1].startswith("已创建新站点") and f"sitegen serve --site '{site.as_posix()}'" in lines[-1]


def test_command_refuses_a_used_folder_in_one_chinese_line(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site/site.toml").write_text('title = "旧站"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "Error" not in result.output
    assert "文件夹不是空的" in result.output and "未能创建站点" in result.output
    assert (tmp_path / "site/site.toml").read_text(encoding="utf-8") == 'title = "旧站"\n'


# --- it builds at once (needs the build to use the packaged theme and pages) ---------------------


def test_a_new_site_builds_at_once_and_checks_clean(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert run("init", str(site)).exit_code == 0
    built = run("build", "--site", str(site))
    assert built.exit_code == 0, built.output
    assert "1 篇文章" in built.output
    public = site / "public"
    article = soup_of(public / "yibao/shili-wenzhang/index.html")
    assert article.find("h1").get_text(strip=True) == "示例文章：把这篇换成你的第一篇文章"
    assert len(article.select(".disclaimer")) == 1 and "jiucuo@health.example.cn" in article.select_one(".source-notice").get_text()
    assert article.find("link", rel="stylesheet")["href"] == "/css/site.css" and (public / "css/site.css").is_file()
    about = soup_of(public / "about/index.html")
    assert about.find("h1").get_text(strip=True) == "关于我们"
    assert "/about/" not in (public / "feed.xml").read_text(encoding="utf-8")
    assert "/about/" in (public / "sitemap.xml").read_text(encoding="utf-8")
    assert (public / "pagefind").is_dir() and (public / "search/index.html").is_file()
    checked = run("check", "--site", str(site), "--strict")
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize(
    ("context", "variables", "url"),
    [
        (None, {"URL": PRODUCTION, "CONTEXT": "production"}, PRODUCTION),
        ("deploy-preview", {"URL": PRODUCTION, "DEPLOY_PRIME_URL": PREVIEW, "CONTEXT": "deploy-preview"}, PREVIEW),
    ],
)
def test_netlify_commands_build_the_new_site(new_site: Path, context: str | None, variables: dict[str, str], url: str) -> None:
    config = tomllib.loads((new_site / "netlify.toml").read_text(encoding="utf-8"))
    command = config["context"][context]["command"] if context else config["build"]["command"]
    # The install step would fetch sitegen from the index; the test runs this checkout's instead.
    command = command.removeprefix('pip install "$SITEGEN_PACKAGE" && ')
    environment = {**os.environ, **variables, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    finished = subprocess.run(["bash", "-c", command], cwd=new_site, env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr
    home = soup_of(new_site / "public/index.html")
    assert home.find("link", rel="canonical")["href"] == f"{url}/"
    assert (home.find("meta", attrs={"name": "robots"}) is not None) == (context is not None)
