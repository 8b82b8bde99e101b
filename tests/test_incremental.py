"""Incremental and parallel builds give exactly the output of a cold build of the same content."""

from __future__ import annotations

import importlib.util
import os
import pickle
import shutil
from pathlib import Path

import pytest

from conftest import REPO, TODAY, build_site
from sitegen.errors import SiteError

_spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cold(site: Path, tmp_path: Path, name: str, **options) -> dict[str, bytes]:
    out = tmp_path / f"cold-{name}"
    shutil.rmtree(out, ignore_errors=True)
    build_site(site, out_dir=out, cache=False, **options)
    return tree(out)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400-article synthetic site: large enough for the process pools to be used."""
    return make_corpus.make_corpus(400, tmp_path_factory.mktemp("corpus") / "site", seed=3)


def test_jobs_do_not_change_the_output(corpus: Path, tmp_path: Path) -> None:
    one = cold(corpus, tmp_path, "one", jobs=1)
    two = cold(corpus, tmp_path, "two", jobs=2)
    assert len(one) > 500
    assert one == two


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_rebuilds_after_each_edit_equal_a_cold_build(tmp_path: Path) -> None:
    site = make_corpus.make_corpus(120, tmp_path / "site", seed=5)
    public = site / "public"
    first = sorted((site / "content").rglob("*.md"))
    build_site(site, jobs=2)

    def check(step: str) -> None:
        result = build_site(site, jobs=2)
        assert tree(public) == cold(site, tmp_path, step, jobs=1), step
        return result

    body = first[0]
    edit(body, "## 一、", "补充一句新的说明。\n\n## 一、")
    result = check("body")
    assert 0 < result.rendered < 20

    tagged = first[1]
    text = tagged.read_text(encoding="utf-8")
    tags_line = next(line for line in text.splitlines() if line.startswith("tags:"))
    edit(tagged, tags_line, "tags: [全新标签, 另一个标签]")
    check("tags")

    new = site / "content" / "yibao" / "new-article.md"
    new.write_text(first[2].read_text(encoding="utf-8").replace("title: \"", "title: \"新增:", 1), encoding="utf-8")
    check("new article")

    removed_url = None
    first[3].unlink()
    check("deleted article")
    assert not any(first[3].stem in path for path in tree(public))
    del removed_url

    edit(site / "layouts" / "partials" / "footer.html", "订阅", "订阅本站")
    result = check("template")
    assert result.rendered > 100

    edit(site / "site.toml", 'title = "基准测试站"', 'title = "基准测试站(改)"')
    check("site.toml")

    edit(site / "site.toml", "paginate = 20", "paginate = 20\nexcerpt_length = 40")  # every cached excerpt is wrong now
    check("excerpt length")
    assert build_site(site, jobs=2).rendered == 0
    edit(site / "site.toml", "excerpt_length = 40", "excerpt_length = 80")
    check("excerpt length again")

    assert build_site(site, jobs=2).rendered == 0  # and nothing left to do


def test_unchanged_pages_keep_their_bytes_and_mtime(basic_site: Path) -> None:
    build_site(basic_site)
    public = basic_site / "public"
    untouched = public / "ertong/shizhen/index.html"
    before = untouched.stat()
    edit(basic_site / "content/yibao/shenzhen-menzhen.md", "一部分", "一部分费用")
    result = build_site(basic_site)
    assert untouched.stat().st_mtime_ns == before.st_mtime_ns
    assert untouched.stat().st_ino == before.st_ino
    assert result.written >= 1 and result.unchanged > 20
    assert "一部分费用" in (public / "yibao/shenzhen-menzhen/index.html").read_text(encoding="utf-8")


def test_tag_change_updates_other_pages_related_lists(basic_site: Path) -> None:
    build_site(basic_site)
    page = basic_site / "public/ertong/shizhen/index.html"
    assert "/yibao/guangzhou-zhanghu/" not in page.read_text(encoding="utf-8")
    edit(basic_site / "content/yibao/guangzhou-zhanghu.md", "tags: [个人账户, 家庭共济]", "tags: [个人账户, 湿疹]")
    build_site(basic_site)
    assert "/yibao/guangzhou-zhanghu/" in page.read_text(encoding="utf-8")


def test_nothing_changed_is_a_no_op(basic_site: Path) -> None:
    first = build_site(basic_site)
    result = build_site(basic_site)
    assert (result.written, result.rendered) == (0, 0)
    assert result.pages > 30
    files = sum(1 for p in (basic_site / "public").rglob("*") if p.is_file())
    assert first.written + first.unchanged == result.unchanged == files  # the closing line's counts


def test_edited_output_file_is_rendered_again(basic_site: Path) -> None:
    build_site(basic_site)
    page = basic_site / "public/ertong/shizhen/index.html"
    original = page.read_bytes()
    page.write_bytes(b"tampered")
    build_site(basic_site)
    assert page.read_bytes() == original


def test_deleted_output_is_rebuilt(basic_site: Path) -> None:
    build_site(basic_site)
    shutil.rmtree(basic_site / "public")
    build_site(basic_site)
    assert (basic_site / "public/index.html").exists()


@pytest.mark.parametrize("damage", ["truncate", "foreign", "garbage", "unsigned", "shard"])
def test_damaged_cache_gives_a_full_correct_build(basic_site: Path, tmp_path: Path, damage: str) -> None:
    build_site(basic_site)
    manifest = basic_site / ".sitegen-cache" / "manifest.pickle"
    last = basic_site / ".sitegen-cache" / "last-build.pickle"
    last.unlink()
    if damage == "truncate":
        manifest.write_bytes(manifest.read_bytes()[:100])
    elif damage == "foreign":
        from sitegen.cache import _signed, _verified, signing_key

        data = pickle.loads(_verified(signing_key(), "manifest", manifest.name, manifest.read_bytes()))
        data["version"] = "0.0.0/0"
        manifest.write_bytes(_signed(signing_key(), "manifest", manifest.name, pickle.dumps(data)))
    elif damage == "unsigned":  # a cache from another machine, say committed to the repository
        manifest.write_bytes(b"\0" * 32 + manifest.read_bytes()[32:])
    elif damage == "shard":  # one of the 64 files of per-article entries
        shard = sorted((basic_site / ".sitegen-cache" / "articles").glob("*.pickle"))[5]
        shard.write_bytes(shard.read_bytes()[:-10])
    else:
        manifest.write_bytes(os.urandom(2000))
    edit(basic_site / "content/yibao/shenzhen-menzhen.md", "一部分", "一部分费用")
    result = build_site(basic_site)
    assert any(w.path == ".sitegen-cache" and "重建" in w.message for w in result.warnings)
    assert tree(basic_site / "public") == cold(basic_site, tmp_path, "after-damage")


def test_drafts_flag_and_date_are_part_of_what_changed(basic_site: Path) -> None:
    import datetime as dt

    build_site(basic_site)
    with_drafts = build_site(basic_site, drafts=True)
    assert with_drafts.rendered > 0 and (basic_site / "public/ertong/draft-article/index.html").exists()
    later = build_site(basic_site, drafts=True, today=dt.date(2099, 6, 1), future=False)
    assert (basic_site / "public/ertong/future-article/index.html").exists()
    assert later.articles == 8
    assert dt.date(2099, 1, 1) > TODAY


def test_a_tampered_rendered_body_is_never_published(basic_site: Path) -> None:
    build_site(basic_site)
    bodies = next((basic_site / ".sitegen-cache").glob("bodies-*"))
    for stored in bodies.rglob("*.html"):
        stored.write_bytes(stored.read_bytes()[:32] + b"<script>alert(1)</script>")
    (basic_site / "layouts/partials/footer.html").write_text(
        (basic_site / "layouts/partials/footer.html").read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8"
    )
    build_site(basic_site)  # every page renders again, reading every body from the store
    for page in (basic_site / "public").rglob("*.html"):
        assert "alert(1)" not in page.read_text(encoding="utf-8")
    assert "深圳的个人账户余额" in (basic_site / "public/yibao/shenzhen-duanjiao/index.html").read_text(encoding="utf-8")


def test_a_cache_that_cannot_be_saved_is_a_warning_not_a_failure(basic_site: Path, monkeypatch) -> None:
    import errno

    from sitegen.cache import BuildCache

    def full_disk(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(BuildCache, "save", full_disk)
    result = build_site(basic_site)
    assert (basic_site / "public/index.html").exists()
    assert any(w.path == ".sitegen-cache" and "缓存" in w.message for w in result.warnings)
    assert build_site(basic_site).rendered > 0  # nothing was remembered, so the next build works again


def test_bodies_of_a_build_that_failed_are_swept_by_the_next(basic_site: Path) -> None:
    build_site(basic_site)
    store = next((basic_site / ".sitegen-cache").glob("bodies-*"))
    before = {p.name for p in store.rglob("*.html")}
    article = basic_site / "content/yibao/shenzhen-menzhen.md"
    edit(article, "一部分", "一部分内容(第一次修改)")
    layout = basic_site / "layouts/article.html"
    good_layout = layout.read_text(encoding="utf-8")
    layout.write_text(good_layout + "{% if %}", encoding="utf-8")  # the build fails after rendering bodies
    with pytest.raises(SiteError):
        build_site(basic_site)
    orphans = {p.name for p in store.rglob("*.html")} - before
    assert len(orphans) == 1  # the body of the failed build, which no manifest lists

    layout.write_text(good_layout, encoding="utf-8")
    edit(article, "一部分内容(第一次修改)", "一部分内容(第二次修改)")
    build_site(basic_site)
    after = {p.name for p in store.rglob("*.html")}
    assert not orphans & after
    assert len(after) == len(before)


def test_a_body_edit_rewrites_one_shard_of_article_entries(tmp_path: Path) -> None:
    site = make_corpus.make_corpus(150, tmp_path / "site", seed=8)
    build_site(site, jobs=1)
    shards = site / ".sitegen-cache" / "articles"

    def stamps() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in shards.glob("*.pickle")}

    before = stamps()
    assert len(before) >= 16
    source = sorted((site / "content").rglob("*.md"))[40]
    edit(source, "## 一、", "补充一句。\n\n## 一、")
    build_site(site, jobs=1)
    after = stamps()
    assert after.keys() == before.keys()
    assert sum(after[name] != before[name] for name in after) == 1

    source.unlink()  # removing an entry rewrites its shard too, and the next cold build agrees
    build_site(site, jobs=1)
    assert sum(stamps()[n] != after[n] for n in after) == 1
    assert tree(site / "public") == cold(site, tmp_path, "after-removal", jobs=1)


def test_a_no_change_build_does_not_repeat_the_last_builds_words_on_the_cache(basic_site: Path) -> None:
    build_site(basic_site)
    manifest = basic_site / ".sitegen-cache" / "manifest.pickle"
    manifest.write_bytes(b"\0" * 32 + manifest.read_bytes()[32:])  # unsigned: discarded with a warning
    (basic_site / ".sitegen-cache" / "last-build.pickle").unlink()
    warned = build_site(basic_site)
    assert any(w.path == ".sitegen-cache" for w in warned.warnings)
    again = build_site(basic_site)
    assert again.rendered == 0 and not any(w.path == ".sitegen-cache" for w in again.warnings)
