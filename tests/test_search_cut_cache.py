"""The cut cache (search.py): after any edit the slim pages, the word list and their digest are
a cold build's byte for byte, a build that changes nothing cuts nothing, and a cache that is
tampered with, foreign or from another version is never used."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import rjieba

from conftest import build_site
from search_site import sample_site
from sitegen import search
from sitegen.cache import CACHE_DIR
from sitegen.search import CUTS_DIR, STAGING_DIR, WORD_SHARDS_DIR, WORD_SHARDS_HEAD, WORDS_FILE, SearchDoc, medical_words, prepare_index, word_shards


def doc(slug: str, title: str, body: str, tags: tuple[str, ...] = (), topic: str = "医保", city: str = "北京") -> SearchDoc:
    html = "".join(f"<p>{line}</p>" for line in body.split("\n"))
    return SearchDoc(f"{slug}/index.html", title, tags, topic, city, "2026-01-05", html)


def site_docs() -> list[SearchDoc]:
    return [
        doc("duanjiao", "医保中断以后怎么办", "中间有断缴的月份要补上。\n灵活就业人员按月缴费。", ("个人账户",)),
        doc("shuqian", "术前检查要做哪些", "术前检查要空腹。\n<strong>心电图</strong>和血常规都要做。", ("心电图",), "术前检查", "上海"),
        doc("zhigong", "职工医保报销比例", "职工医保的住院费用报销比例更高。\n门诊慢特病也能报销。", ("职工医保", "报销比例")),
        doc("guomin", "孩子过敏怎么办", "过敏性鼻炎反复发作，要去医院看看。\nHPV疫苗与过敏无关。", ("过敏",), "儿童健康", "广州"),
        # 职工大病保险 three ways that only the body's text shows whole: a name made a tag later
        # must still be found in them.
        doc("dabing", "大病怎么报", "职工<strong>大病</strong>保险按年结算。\n&#32844;工大病保险又叫大额补充。\n职工<sup>1</sup>大病保险", ("大病",), "医保", "成都"),
    ]


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cold(docs: list[SearchDoc], folder: Path) -> tuple[str, dict[str, bytes], bytes]:
    """What a build with no cache at all makes of `docs`."""
    shutil.rmtree(folder, ignore_errors=True)
    digest = prepare_index(docs, folder, jobs=1)
    return digest, contents(folder / STAGING_DIR), (folder / WORDS_FILE).read_bytes()


def warm(docs: list[SearchDoc], folder: Path) -> tuple[str, dict[str, bytes], bytes]:
    digest = prepare_index(docs, folder, jobs=1)
    return digest, contents(folder / STAGING_DIR), (folder / WORDS_FILE).read_bytes()


@pytest.fixture
def cuts(monkeypatch) -> list[str]:
    """Every text jieba is asked to cut."""
    called: list[str] = []
    real_cut, real_search = rjieba.cut, rjieba.cut_for_search

    def counted_cut(text: str, *args):
        called.append(text)
        return real_cut(text, *args)

    def counted_search(text: str, *args):
        called.append(text)
        return real_search(text, *args)

    monkeypatch.setattr(rjieba, "cut", counted_cut)
    monkeypatch.setattr(rjieba, "cut_for_search", counted_search)
    return called


def edited(docs: list[SearchDoc], slug: str, **changes) -> list[SearchDoc]:
    return [d._replace(**changes) if d.path == f"{slug}/index.html" else d for d in docs]


def test_after_each_edit_the_output_is_the_cold_one(tmp_path: Path) -> None:
    folder = tmp_path / "warm"
    docs = site_docs()
    assert warm(docs, folder) == cold(docs, tmp_path / "cold")
    body = docs[3].body_html
    steps = [
        edited(docs, "guomin", body_html=body.replace("要去医院", "鱼腥草泡水不能代替看病，要去医院")),  # a word new to the site
        edited(docs, "guomin", body_html=body.replace("HPV疫苗与过敏无关。", "")),  # words the site no longer has
        # 断缴 becomes a word of the site only here: 有断|缴 in duanjiao's body now writes its pair.
        edited(docs, "guomin", body_html=body.replace("</p>", "断缴也要看。</p>", 1), title="孩子过敏断缴怎么办"),
        edited(docs, "shuqian", tags=("心电图", "职工大病保险")),  # a new name that jieba cuts: every article's names
        edited(docs, "zhigong", city="深圳"),  # only what the slim page shows besides the words
        [d for d in docs if d.path != "shuqian/index.html"],  # an article deleted
        [*docs, doc("xinwen", "新的文章讲断缴", "断缴三个月以后，个人账户还能用吗？", ("个人账户", "断缴"))],  # a new one
        # one in traditional characters, whose simplified words hold a name (職工醫保 → 职工医保)
        [*docs, doc("xianggang", "內地居民在香港看病", "職工醫保一般不能在香港結算。\n回來後也很難報銷。", ("香港",))],
        # 偏高|时间, and then 偏高时 becomes a long word of the site (体温|偏高时): zhigong, not
        # edited since, holds it across the cut and must now have it as a word
        higher := edited(docs, "zhigong", body_html=docs[2].body_html + "<p>血压偏高时间长了要复查。</p>"),
        [*higher, doc("tiwen", "体温偏高时", "体温偏高时要复查。")],
        higher,  # and the word goes again
        # 血糖|偏高时, and then 偏高 becomes a word of the site: the join 血糖 偏高 is written in
        # xuetang, not edited since, and goes with the word
        sugar := [*docs, doc("xuetang", "血糖", "空腹血糖偏高时不要急。")],
        [*sugar, doc("pianggao", "偏高怎么办", "偏高不用慌。")],
        sugar,
    ]
    for number, step in enumerate(steps):
        assert warm(step, folder) == cold(step, tmp_path / "cold"), number
    # Edits applied one after another, not each on the original.
    docs = site_docs()
    for step in steps:
        changed = {d.path: d for d in step}
        docs = [changed[d.path] for d in docs if d.path in changed] + [d for d in step if d.path not in {x.path for x in docs}]
        assert warm(docs, folder) == cold(docs, tmp_path / "cold")


def test_a_pair_written_when_another_article_gains_the_word(tmp_path: Path) -> None:
    docs = site_docs()
    prepare_index(docs, tmp_path, jobs=1)
    page = tmp_path / STAGING_DIR / "duanjiao/index.html"
    assert "断缴" not in page.read_text(encoding="utf-8").split("</h1>")[-1]  # no article has the word 断缴 yet
    docs = [*docs, doc("xinwen", "新文章", "断缴以后怎么办？")]
    prepare_index(docs, tmp_path, jobs=1)
    assert " 断缴" in page.read_text(encoding="utf-8").split("</p>")[-1]


def test_a_build_that_changes_nothing_cuts_nothing(tmp_path: Path, cuts: list[str]) -> None:
    docs = site_docs()
    first = prepare_index(docs, tmp_path, jobs=1)
    assert cuts
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    cuts.clear()
    assert prepare_index(docs, tmp_path, jobs=1) == first
    assert cuts == []
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == before  # nothing written


def test_an_edit_cuts_only_the_article_edited(tmp_path: Path, cuts: list[str]) -> None:
    docs = site_docs()
    prepare_index(docs, tmp_path, jobs=1)
    cuts.clear()
    docs = edited(docs, "guomin", body_html=docs[3].body_html.replace("要去医院", "要去儿童医院"))
    prepare_index(docs, tmp_path, jobs=1)
    assert cuts and all(_of(docs[3], text) for text in cuts)
    # A new tag: the site's names are cut again to find those jieba cuts (职工大病保险), every
    # article is searched for them, and only the article tagged is cut again.
    cuts.clear()
    docs = edited(docs, "duanjiao", tags=("个人账户", "职工大病保险"))
    prepare_index(docs, tmp_path, jobs=1)
    assert "职工大病保险" in cuts
    names = {name for d in docs for name in (*d.tags, d.topic)} | medical_words()  # the candidates of _names_source
    assert all(text in names or _of(docs[0], text) for text in cuts)
    staged = (tmp_path / STAGING_DIR / "zhigong/index.html").read_text(encoding="utf-8")
    assert warm(docs, tmp_path) == cold(docs, tmp_path / "cold") and "职工大病保险" not in staged


def _of(document: SearchDoc, text: str) -> bool:
    return text in document.title or text in search.body_text(document.body_html) or text in document.labels


def test_the_cache_is_kept_only_for_current_documents(tmp_path: Path) -> None:
    docs = site_docs()
    prepare_index(docs, tmp_path, jobs=1)
    prepare_index(docs[:2], tmp_path, jobs=1)
    cache = search._CutCache.load(tmp_path / CUTS_DIR, search._cut_salt())
    assert set(cache.entries) == {d.path for d in docs[:2]}
    assert cache.counts == dict(search.Counter(w for d in docs[:2] for w in search._words(search._cut_doc(d, search._names_pattern(docs[:2])))))


def _tamper(folder: Path) -> None:
    shard = next(p for p in sorted((folder / CUTS_DIR).glob("*.pickle")) if p.name != "head.pickle" and p.stat().st_size > 200)
    data = bytearray(shard.read_bytes())
    data[-5] ^= 1
    shard.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["tampered", "foreign key", "another version", "no head", "stopped save"])
def test_a_cache_not_ours_is_discarded(tmp_path: Path, cuts: list[str], monkeypatch, damage: str) -> None:
    docs = site_docs()
    prepare_index(docs, tmp_path, jobs=1)
    # The staged pages are changed too, so a cache that was wrongly trusted would keep them.
    page = tmp_path / STAGING_DIR / "zhigong/index.html"
    if damage == "tampered":
        _tamper(tmp_path)
    elif damage == "foreign key":  # a cache that came with the site, signed by someone else
        other = tmp_path / "other-key"
        other.write_bytes(os.urandom(32))
        monkeypatch.setenv("SITEGEN_CACHE_KEY", str(other))
    elif damage == "another version":
        monkeypatch.setattr(search, "SEARCH_VERSION", search.SEARCH_VERSION + 1)
    elif damage == "no head":
        (tmp_path / CUTS_DIR / "head.pickle").unlink()
    else:  # a shard from a later save than the head
        head = tmp_path / CUTS_DIR / "head.pickle"
        kept = head.read_bytes()
        prepare_index(edited(docs, "zhigong", title="职工医保报销比例是多少"), tmp_path, jobs=1)
        head.write_bytes(kept)
    page.write_bytes(page.read_bytes().replace("报销".encode(), "保险".encode()))
    cuts.clear()
    assert warm(docs, tmp_path) == cold(docs, tmp_path / "cold")
    assert len({text for text in cuts if text in {d.title for d in docs}}) == len(docs)  # every article cut again


def test_reuse_false_reads_no_cache(tmp_path: Path, cuts: list[str]) -> None:
    docs = site_docs()
    prepare_index(docs, tmp_path, jobs=1)
    cuts.clear()
    prepare_index(docs, tmp_path, jobs=1, reuse=False)
    assert {d.title for d in docs} <= set(cuts)
    cuts.clear()
    prepare_index(docs, tmp_path, jobs=1)  # what reuse=False wrote is a cache like any other
    assert cuts == []


def test_staged_files_changed_behind_its_back_are_made_again(tmp_path: Path) -> None:
    docs = site_docs()
    prepare_index(docs, tmp_path, jobs=1)
    staging = tmp_path / STAGING_DIR
    (staging / "guomin/index.html").unlink()
    (staging / "zhigong/index.html").write_text("<html>changed</html>", encoding="utf-8")
    assert warm(docs, tmp_path) == cold(docs, tmp_path / "cold")
    # A build stopped while it changed the staging folder: a file it left is found and removed.
    (tmp_path / CUTS_DIR / search._CHANGING).touch()
    (staging / "stray/index.html").parent.mkdir()
    (staging / "stray/index.html").write_text("<html>stray</html>", encoding="utf-8")
    assert warm(docs, tmp_path) == cold(docs, tmp_path / "cold")
    assert not (tmp_path / CUTS_DIR / search._CHANGING).exists()


def test_the_sample_site_after_a_tag_edit_is_the_cold_one(tmp_path: Path) -> None:
    site = sample_site(tmp_path)
    build_site(site, search=True)
    assert (site / CACHE_DIR / CUTS_DIR / "head.pickle").exists()
    article = site / "content/zhengzhuang/toutong-gua-shenme-ke.md"
    text = article.read_text(encoding="utf-8")
    line = next(row for row in text.splitlines() if row.startswith("tags:"))
    article.write_text(text.replace(line, "tags: [头痛, 职工大病保险]", 1).replace("磁共振", "核磁", 1), encoding="utf-8")
    build_site(site, search=True)
    fresh = sample_site(tmp_path / "cold")
    shutil.copy(article, fresh / "content/zhengzhuang/toutong-gua-shenme-ke.md")
    build_site(fresh, search=True, cache=False)
    assert contents(site / CACHE_DIR / STAGING_DIR) == contents(fresh / CACHE_DIR / STAGING_DIR)
    assert (site / CACHE_DIR / WORDS_FILE).read_bytes() == (fresh / CACHE_DIR / WORDS_FILE).read_bytes()


def test_a_no_cache_build_cuts_every_article(tmp_path: Path, cuts: list[str]) -> None:
    from conftest import make_site

    site = make_site(tmp_path, "basic")
    build_site(site, search=True, jobs=1)
    cuts.clear()
    build_site(site, search=True, jobs=1, cache=False, out_dir=tmp_path / "plain")
    titles = [p.read_text(encoding="utf-8").split("title:", 1)[1].split("\n", 1)[0].strip().strip('"') for p in (site / "content").rglob("*.md") if "title:" in p.read_text(encoding="utf-8")]
    assert titles and any(title in cuts for title in titles)


def test_bodies_are_read_only_to_be_cut(tmp_path: Path) -> None:
    # A build gives the documents without their bodies, by key: the slim pages are the same as
    # from the bodies themselves, and only a document that must be cut has its body read.
    docs = site_docs()
    by_key = {f"salt:{d.path}": d.body_html for d in docs}
    lazy = [d._replace(body_html="", body_key=f"salt:{d.path}") for d in docs]
    read: list[str] = []

    def bodies(d: SearchDoc) -> str:
        read.append(d.body_key)
        return by_key[d.body_key]

    eager_digest, eager_pages, eager_words = cold([d._replace(body_key=f"salt:{d.path}") for d in docs], tmp_path / "eager")
    digest = prepare_index(lazy, tmp_path / "lazy", jobs=1, bodies=bodies)
    assert (digest, contents(tmp_path / "lazy" / STAGING_DIR), (tmp_path / "lazy" / WORDS_FILE).read_bytes()) == (eager_digest, eager_pages, eager_words)
    assert sorted(read) == sorted(by_key)
    read.clear()
    assert prepare_index(lazy, tmp_path / "lazy", jobs=1, bodies=bodies) == digest
    assert read == []  # nothing changed: no body read
    # One body changes (its key with it): only it is read.
    by_key["salt:v2"] = by_key[lazy[0].body_key].replace("补上", "补缴")
    lazy[0] = lazy[0]._replace(body_key="salt:v2")
    prepare_index(lazy, tmp_path / "lazy", jobs=1, bodies=bodies)
    assert read == ["salt:v2"]
    assert "补缴" in (tmp_path / "lazy" / STAGING_DIR / lazy[0].path).read_text(encoding="utf-8")


def test_an_article_in_traditional_characters_is_indexed_in_simplified_words_too(tmp_path: Path) -> None:
    docs = [*site_docs(), doc("xianggang", "內地居民在香港看病", "職工醫保一般不能在香港結算。", ("香港",))]
    prepare_index(docs, tmp_path, jobs=1)
    page = (tmp_path / STAGING_DIR / "xianggang/index.html").read_text(encoding="utf-8")
    shown, rest = page.split("<div>", 1)[1].split("</div>", 1)
    assert shown.split()[:2] == ["職工", "醫保"] and "医保" not in shown  # the body as written, for the card's excerpt
    words = set(rest.replace("<", " <").replace(">", "> ").split())
    assert {"内地", "医保", "结算", "职工医保"} <= words  # 职工医保: the site's tag name, found in simplified text
    assert "医保" in (tmp_path / WORDS_FILE).read_text(encoding="utf-8")


def test_the_word_shards_hold_the_word_list_by_first_character(tmp_path: Path) -> None:
    docs = [*site_docs(), doc("xianggang", "內地居民在香港看病", "職工醫保一般不能在香港結算。", ("香港",))]
    prepare_index(docs, tmp_path, jobs=1)
    listed = json.loads((tmp_path / WORDS_FILE).read_text(encoding="utf-8"))
    folder = tmp_path / WORD_SHARDS_DIR
    head = json.loads((folder / WORD_SHARDS_HEAD).read_text(encoding="utf-8"))
    assert head["t2s"] == listed["t2s"] and "醫医" in head["t2s"]
    assert head["whole"] is True  # a small list: search.js fetches it all once a search is done
    words = listed["words"].split()
    assert head["longest"] == max(map(len, words))
    shards = {int(path.stem): path.read_text(encoding="utf-8").split() for path in folder.glob("*.txt")}
    assert sorted(shards) == list(range(head["shards"]))
    assert sorted(word for shard in shards.values() for word in shard) == words  # each word once
    for number, shard in shards.items():
        assert shard == sorted(shard) and all(ord(word[0]) % head["shards"] == number for word in shard)


def test_a_big_word_list_is_cut_into_shards_of_a_few_kilobytes() -> None:
    words = sorted({chr(0x4E00 + a) + chr(0x4E00 + b) for a in range(300) for b in range(0, 300, 7)})
    files = word_shards(json.dumps({"v": 2, "words": " ".join(words), "t2s": ""}, ensure_ascii=False))
    count = json.loads(files[WORD_SHARDS_HEAD])["shards"]
    assert count == len(files) - 1 >= 10  # 90 KB of words
    assert max(len(text.encode("utf-8")) for name, text in files.items() if name != WORD_SHARDS_HEAD) < 3 * 8192
