"""Whatever moment a build is killed at, the next builds give exactly a `--no-cache` build's output.

Builds run as subprocesses of `sitegen build`; SITEGEN_STOP_AT makes one end with os._exit(137),
as kill -9 would, at a stage boundary. Cache files moved or swapped by hand are discarded with a
warning, never trusted as another file.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, make_site
from sitegen.cache import CACHE_DIR
from sitegen.output import OWNER_MARK, RETIRED_MARK, STAGING_MARK, STOP_ENVIRONMENT

_spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)

STOPS = ["content", "markdown", "model", "pages", "swap", "commit", "save"]

NEW_ARTICLE = """---
title: 新冠疫苗接种点查询
date: 2025-03-01
city: 深圳
topic: 医保
tags: [疫苗]
---

## 接种点

社区健康服务中心可以接种，请带好身份证。
"""


def run(site: Path, *arguments: str, stop: str | None = None) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name != STOP_ENVIRONMENT}
    if stop is not None:
        env[STOP_ENVIRONMENT] = stop
    command = [sys.executable, "-c", "from sitegen.cli import main; main()", "build", "--site", str(site), "--jobs", "1", *arguments]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file and link under `folder` with its bytes; every folder, as a name ending in /."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[relative] = b"link:" + os.readlink(path).encode()
        elif path.is_dir():
            found[relative + "/"] = b""
        else:
            found[relative] = path.read_bytes()
    return found


def cold(site: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "cold"
    shutil.rmtree(out, ignore_errors=True)
    finished = run(site, "--no-cache", "--out", str(out))
    assert finished.returncode == 0, finished.stderr
    return tree(out)


def built(site: Path, *arguments: str) -> subprocess.CompletedProcess:
    finished = run(site, *arguments)
    assert finished.returncode == 0, finished.stderr
    return finished


def retitle(site: Path, number: int) -> None:
    """A new site title: every page changes, so the build stages a whole tree (from the spare)."""
    site_toml = site / "site.toml"
    text = site_toml.read_text(encoding="utf-8")
    site_toml.write_text(text.replace(f"测试健康站{number - 1 if number else ''}\"", f"测试健康站{number}\"", 1), encoding="utf-8")


def shows(folder: Path, text: str) -> bool:
    return any(text.encode("utf-8") in data for data in tree(folder).values())


def assert_no_leftovers(site: Path) -> None:
    assert [p.name for p in site.iterdir() if p.name.startswith((STAGING_MARK, RETIRED_MARK, OWNER_MARK))] == []


@pytest.mark.parametrize("stop", STOPS)
def test_a_killed_build_then_a_deleted_article(tmp_path: Path, stop: str) -> None:
    """An article added by the killed build and deleted before the next stays deleted, build after build."""
    site = make_site(tmp_path)
    built(site)
    added = site / "content/yibao/yimiao.md"
    added.write_text(NEW_ARTICLE, encoding="utf-8")
    menzhen = site / "content/yibao/shenzhen-menzhen.md"
    menzhen.write_text(menzhen.read_text(encoding="utf-8") + "\n补充：周末也可以办理。\n", encoding="utf-8")
    killed = run(site, stop=stop)
    assert killed.returncode == 137, killed.stderr
    if stop in ("commit", "save"):
        assert shows(site / "public", "新冠疫苗接种点查询")  # the swap happened before the kill
    added.unlink()
    for number in range(2):  # the retired tree comes back as staging on every second build
        retitle(site, number)
        built(site)
        assert tree(site / "public") == cold(site, tmp_path)
        assert not shows(site / "public", "新冠疫苗接种点查询")
    assert_no_leftovers(site)


@pytest.mark.parametrize("stop", ["swap", "commit", "save"])
def test_a_build_killed_while_patching_in_place(tmp_path: Path, stop: str) -> None:
    """A small edit is patched into public/; killed there, the next builds still equal a cold build.

    The file the killed build may have added is stood for by one put there by hand: the cache
    does not know it, so only a whole staged tree drops it.
    """
    site = make_corpus.make_corpus(40, tmp_path / "site", seed=3)
    built(site)
    first = sorted((site / "content").rglob("*.md"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n补充\uff1a周末也可以办理。\n", encoding="utf-8")
    (site / "public/stray").mkdir()
    (site / "public/stray/index.html").write_text("不是本次生成的", encoding="utf-8")
    killed = run(site, stop=stop)
    assert killed.returncode == 137, killed.stderr
    for _ in range(2):
        built(site)
        assert tree(site / "public") == cold(site, tmp_path)


def test_a_file_put_into_public_by_hand_does_not_come_back(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    built(site)
    (site / "public/hand.html").write_text("手工放入", encoding="utf-8")
    (site / "public/yibao/hand").mkdir()
    (site / "public/yibao/hand/index.html").write_text("手工放入", encoding="utf-8")
    os.symlink("../content", site / "public/linked")
    for number in range(3):
        retitle(site, number)
        built(site)
        public = tree(site / "public")
        assert "hand.html" not in public and "yibao/hand/" not in public and "linked" not in public, number
        assert public == cold(site, tmp_path)
    assert (site / "content").is_dir()  # the link was removed, not what it pointed to


def test_a_build_killed_between_the_renames_leaves_the_site_restorable(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    built(site)
    before = tree(site / "public")
    retitle(site, 0)
    assert run(site, stop="swap").returncode == 137
    assert not (site / "public").exists()  # killed with the old output moved aside
    assert run(site, "--no-cache", "--out", str(tmp_path / "elsewhere")).returncode == 0  # another output: not touched
    assert not (site / "public").exists()
    built(site)
    assert tree(site / "public").keys() == before.keys()
    assert tree(site / "public") == cold(site, tmp_path)
    assert_no_leftovers(site)


def body_files(site: Path) -> list[Path]:
    return sorted((site / CACHE_DIR).glob("bodies-*/*/*.html"))


def touch_a_layout(site: Path) -> None:
    """Every page renders again (and reads its body from the store): a comment in the footer."""
    footer = site / "layouts/partials/footer.html"
    footer.write_text(footer.read_text(encoding="utf-8") + "{# changed #}\n", encoding="utf-8")


def test_two_swapped_body_files_are_never_shown_as_each_other(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    built(site)
    first, second = body_files(site)[:2]
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)
    second.write_bytes(first_bytes)
    touch_a_layout(site)
    finished = built(site)
    assert "构建缓存" in finished.stderr and "已丢弃并完整重建" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert tree(site / "public") == cold(site, tmp_path)
    finished = built(site)  # the cache written by the full rebuild is whole again
    assert "警告" not in finished.stderr


@pytest.mark.parametrize("kind", ["articles", "outputs"])
def test_two_swapped_shard_files_then_a_deleted_article(tmp_path: Path, kind: str) -> None:
    site = make_site(tmp_path)
    built(site)
    shards = sorted((site / CACHE_DIR / kind).glob("*.pickle"))
    first, second = shards[3], shards[7]
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)
    second.write_bytes(first_bytes)
    (site / "content/yibao/yidi-beian.md").unlink()
    finished = built(site)
    assert "签名不符" in finished.stderr and "已丢弃并完整重建" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert tree(site / "public") == cold(site, tmp_path)
    assert not shows(site / "public", "深圳医保异地就医备案怎么办")
