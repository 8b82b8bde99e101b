"""Small edits patch the output in place (output.PatchedOutput), as safely as a full swap.

When at most one page in ten changes and search is off, changed files are staged beside public/
and renamed into it once every page has rendered. The output must equal a cold build, a failure
before the renames must leave public/ as it was, and no write may pass through a link.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from conftest import build_site
from sitegen import output
from sitegen.errors import Problem, SiteError
from sitegen.render import PageRenderer
from test_failure_safety import leftovers, tree
from test_incremental import cold, edit, make_corpus
from test_incremental import tree as contents


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A 120-article site (search off), built once."""
    site = make_corpus.make_corpus(120, tmp_path / "site", seed=11)
    build_site(site, jobs=1)
    return site


def articles(site: Path) -> list[Path]:
    return sorted((site / "content").rglob("*.md"))


def page_of(site: Path, source: Path) -> Path:
    """The output page of an article of the corpus (its slug is the file name)."""
    return next((site / "public").rglob(f"{source.stem}/index.html"))


def test_one_body_edit_renames_the_changed_files_into_the_same_folder(site: Path, tmp_path: Path) -> None:
    public = site / "public"
    folder_inode = public.stat().st_ino
    before = tree(public)
    source = articles(site)[7]
    edit(source, "## 一、", "编辑补充了一句说明。\n\n## 一、")

    result = build_site(site, jobs=1)

    assert public.stat().st_ino == folder_inode  # patched, not swapped
    assert 0 < result.rendered <= len(before) // 10
    assert "编辑补充了一句说明" in page_of(site, source).read_text(encoding="utf-8")
    after = tree(public)
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed and len(changed) <= result.rendered + 2  # the pages rendered, the sitemap
    assert contents(public) == cold(site, tmp_path, "edit", jobs=1)
    assert leftovers(site) == []


def test_a_deleted_article_is_removed_in_place(site: Path, tmp_path: Path) -> None:
    source = articles(site)[3]
    page = page_of(site, source)
    source.unlink()
    build_site(site, jobs=1)
    assert not page.exists() and not page.parent.exists()
    assert contents(site / "public") == cold(site, tmp_path, "deleted", jobs=1)


def test_a_failure_while_rendering_leaves_the_output_untouched(site: Path, monkeypatch) -> None:
    public = site / "public"
    before = tree(public)
    source = articles(site)[10]
    edit(source, "## 一、", "第一处修改。\n\n## 一、")
    real = PageRenderer.render
    calls = []

    def render(self, spec):
        calls.append(spec)
        if len(calls) == 3:  # after two pages were staged
            raise SiteError(Problem(str(source), None, "模拟的模板错误"))
        return real(self, spec)

    patched = []
    real_init = output.PatchedOutput.__init__

    def init(self, *args):
        patched.append(self)
        real_init(self, *args)

    monkeypatch.setattr(PageRenderer, "render", render)
    monkeypatch.setattr(output.PatchedOutput, "__init__", init)
    with pytest.raises(SiteError):
        build_site(site, jobs=1)
    assert patched  # the output was being patched, not staged whole
    assert tree(public) == before
    assert leftovers(site) == []


def test_ctrl_c_during_the_renames_waits_until_they_are_done(site: Path, tmp_path: Path, monkeypatch) -> None:
    edit(articles(site)[5], "## 一、", "修改。\n\n## 一、")
    moved: list[str] = []
    real = output._real_folders

    def real_folders(root, parent, checked):
        if not moved:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the first staged file moves in
        moved.append(parent)
        return real(root, parent, checked)

    monkeypatch.setattr(output, "_real_folders", real_folders)
    with pytest.raises(KeyboardInterrupt):
        build_site(site, jobs=1)
    monkeypatch.undo()
    assert len(moved) > 3  # every staged file moved in before the interrupt was let through
    assert "修改。" in page_of(site, articles(site)[5]).read_text(encoding="utf-8")
    assert leftovers(site) == []
    build_site(site, jobs=1)  # the cache was not saved: the next build checks everything
    assert contents(site / "public") == cold(site, tmp_path, "after-interrupt", jobs=1)


def test_a_linked_folder_in_the_output_is_replaced_not_written_through(site: Path, tmp_path: Path) -> None:
    source = articles(site)[30]
    folder = page_of(site, source).parent.parent  # the topic's folder in public/
    outside = tmp_path / "outside"
    shutil.copytree(folder, outside, copy_function=shutil.copy2)
    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)
    outside_before = tree(outside)
    edit(source, "## 一、", "修改。\n\n## 一、")

    build_site(site, jobs=1)

    assert tree(outside) == outside_before
    assert folder.is_dir() and not folder.is_symlink()
    assert contents(site / "public") == cold(site, tmp_path, "linked", jobs=1)


def test_a_template_edit_swaps_a_whole_new_tree_in(site: Path) -> None:
    public = site / "public"
    folder_inode = public.stat().st_ino
    layout = site / "layouts/base.html"
    layout.write_text(layout.read_text(encoding="utf-8").replace("</body>", "<!-- 新 --></body>"), encoding="utf-8")
    build_site(site, jobs=1)
    assert public.stat().st_ino != folder_inode
    assert "<!-- 新 -->" in (public / "index.html").read_text(encoding="utf-8")
