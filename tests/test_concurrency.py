"""One build of a site at a time: a second waits, leftovers of live builds stay, and no build
ever publishes an empty or partial tree."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, build_site, make_site
from sitegen.cache import CACHE_DIR, LOCK_FILE
from sitegen.errors import SiteError
from sitegen.output import OWNER_MARK, RETIRED_MARK, STAGING_MARK, PatchedOutput, StagedOutput

_spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def start(site: Path, *arguments: str) -> subprocess.Popen:
    command = [sys.executable, "-c", "from sitegen.cli import main; main()", "build", "--site", str(site), "--jobs", "1", *arguments]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class OutputWatcher(threading.Thread):
    """Looks at public/ all the time: whenever it exists, it must be a whole site."""

    def __init__(self, public: Path, search: bool):
        super().__init__(daemon=True)
        self.public, self.search = public, search
        self.seen: list[str] = []
        self.looks = 0
        self.done = threading.Event()

    def run(self) -> None:
        needed = ["index.html", "sitemap.xml", "404.html", "robots.txt", "feed.xml"] + (["pagefind/pagefind.js"] if self.search else [])
        while not self.done.is_set():
            try:
                folder = os.open(self.public, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue  # between the two renames of a swap
            try:  # one tree, even if it is swapped out meanwhile
                missing = [name for name in needed if not _exists_in(folder, name)]
                if missing:
                    self.seen.append(f"public/ without {missing}: {sorted(os.listdir(folder))}")
                self.looks += 1
            finally:
                os.close(folder)
            time.sleep(0.002)


def _exists_in(folder: int, relative: str) -> bool:
    try:
        os.stat(relative, dir_fd=folder)
        return True
    except OSError:
        return False


@pytest.mark.parametrize("builds", [2, 3])
@pytest.mark.parametrize("search", [False, True], ids=["search-off", "search-on"])
def test_concurrent_builds_all_succeed_and_equal_a_clean_build(tmp_path: Path, builds: int, search: bool) -> None:
    site = make_site(tmp_path)
    flag = "--search" if search else "--no-search"
    first = start(site, flag)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    watcher = OutputWatcher(site / "public", search)
    watcher.start()
    running = [start(site, flag, "--no-cache")]  # the repro: a cold build, then an edit
    article = site / "content/yibao/shenzhen-menzhen.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n补充\uff1a周末也可以办理。\n", encoding="utf-8")
    running += [start(site, flag) for _ in range(builds - 1)]
    results = [(process.wait(timeout=600), process.stderr.read()) for process in running]
    watcher.done.set()
    watcher.join()
    for code, errors in results:
        assert code == 0, errors
        assert "Traceback" not in errors
    assert watcher.looks > 0 and watcher.seen == []
    cold = tmp_path / "cold"
    build_site(site, out_dir=cold, cache=False, search=search, today=None)
    # Pagefind names its filter and meta files differently on every run over the same pages, so
    # its index is compared by what it holds: the pages it indexed, and a whole set of files.
    assert without_index(tree(site / "public")) == without_index(tree(cold))
    if search:
        assert index_is_whole(site / "public") and index_is_whole(cold)
    assert [p.name for p in site.iterdir() if p.name.startswith((STAGING_MARK, RETIRED_MARK, OWNER_MARK))] == []


def without_index(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if not path.startswith("pagefind/")}


def index_is_whole(public: Path) -> bool:
    """Pagefind's entry file names the meta file of each language; every one must be there."""
    entry = json.loads((public / "pagefind/pagefind-entry.json").read_text(encoding="utf-8"))
    return bool(entry["languages"]) and all(
        (public / f"pagefind/pagefind.{language['hash']}.pf_meta").is_file() for language in entry["languages"].values()
    )


def hold(path: Path) -> int:
    path.parent.mkdir(exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def test_a_second_build_waits_for_the_first(built_basic: Path) -> None:
    site = built_basic.parent
    before = tree(built_basic)
    lock = hold(site / CACHE_DIR / LOCK_FILE)  # a build running in another process
    waiting = threading.Event()
    outcome: list[object] = []

    def second() -> None:
        try:
            outcome.append(build_site(site, base_url="https://wait.example.cn/", on_wait=waiting.set))
        except BaseException as exc:  # reported by the assertions below
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    assert waiting.wait(timeout=30)
    time.sleep(0.3)
    assert outcome == [] and tree(built_basic) == before  # it waits without touching anything
    os.close(lock)
    thread.join(timeout=60)
    assert len(outcome) == 1 and not isinstance(outcome[0], BaseException), outcome
    assert "https://wait.example.cn/" in (built_basic / "index.html").read_text(encoding="utf-8")


def test_a_build_that_waits_too_long_says_so_in_one_line(built_basic: Path) -> None:
    site = built_basic.parent
    before = tree(built_basic)
    lock = hold(site / CACHE_DIR / LOCK_FILE)
    try:
        with pytest.raises(SiteError) as raised:
            build_site(site, cache=False, lock_wait=0.3)
    finally:
        os.close(lock)
    (problem,) = raised.value.problems
    assert problem.message.startswith("另一个构建正在进行") and "\n" not in problem.message
    assert tree(built_basic) == before


def test_only_leftovers_no_live_build_owns_are_removed(built_basic: Path) -> None:
    site = built_basic.parent
    folders = {}
    for tag in ("dead0001", "live0001"):
        for mark in (STAGING_MARK, RETIRED_MARK):
            folder = site / f"{mark}public-{tag}"
            (folder / "yibao").mkdir(parents=True)
            (folder / "yibao/index.html").write_text("半成品", encoding="utf-8")
            folders[mark, tag] = folder
    (site / f"{OWNER_MARK}public-dead0001").touch()  # its build was killed: nobody holds it
    live = hold(site / f"{OWNER_MARK}public-live0001")  # a build still filling its folder
    other = site / f"{STAGING_MARK}public-preview-dead0002"  # another output's
    other.mkdir()
    try:
        build_site(site, base_url="https://next.example.cn/")
        assert not folders[STAGING_MARK, "dead0001"].exists() and not folders[RETIRED_MARK, "dead0001"].exists()
        assert not (site / f"{OWNER_MARK}public-dead0001").exists()
        assert (folders[STAGING_MARK, "live0001"] / "yibao/index.html").read_text(encoding="utf-8") == "半成品"
        assert folders[RETIRED_MARK, "live0001"].is_dir()
        assert other.is_dir()
    finally:
        os.close(live)
    build_site(site, base_url="https://later.example.cn/")  # its owner is gone now
    assert not folders[STAGING_MARK, "live0001"].exists() and not folders[RETIRED_MARK, "live0001"].exists()


def test_a_staged_tree_emptied_by_someone_else_is_never_published(built_basic: Path, monkeypatch) -> None:
    """The issue's worst case: the staging folder deleted under a build, and pagefind/ made again."""
    site = built_basic.parent
    before = tree(built_basic)
    real = StagedOutput.remove_others

    def remove_others(self, keep, protected_dirs=()):
        real(self, keep, protected_dirs)
        shutil.rmtree(self.folder)
        (self.folder / "pagefind").mkdir(parents=True)

    monkeypatch.setattr(StagedOutput, "remove_others", remove_others)
    with pytest.raises(SiteError) as raised:
        build_site(site, base_url="https://changed.example.cn/")
    (problem,) = raised.value.problems
    assert "不完整" in problem.message and "index.html" in problem.message
    assert tree(built_basic) == before


def test_a_patch_whose_staging_folder_was_deleted_is_never_applied(tmp_path: Path, monkeypatch) -> None:
    site = make_corpus.make_corpus(40, tmp_path / "site", seed=3)
    build_site(site, jobs=1)
    before = tree(site / "public")
    first = min((site / "content").rglob("*.md"))
    first.write_text(first.read_text(encoding="utf-8") + "\n补充\uff1a周末也可以办理。\n", encoding="utf-8")
    patched: list[bool] = []
    real = PatchedOutput.remove_others

    def remove_others(self, keep, protected_dirs=()):
        real(self, keep, protected_dirs)
        patched.append(True)
        shutil.rmtree(self.folder)

    monkeypatch.setattr(PatchedOutput, "remove_others", remove_others)
    with pytest.raises(SiteError) as raised:
        build_site(site, jobs=1)
    assert patched  # the small edit took the in-place path
    assert "不完整" in raised.value.problems[0].message
    assert tree(site / "public") == before
