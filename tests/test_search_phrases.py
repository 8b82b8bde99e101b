"""What the slim pages hold so that a query cut by the site's words finds every article whose
text holds it, whatever jieba cut there (search.py): the joins of two words side by side, the
site's long words across a cut, and the topic weighed as the tags are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import sitegen
from sitegen.search import JOIN_MARK, STAGING_DIR, WORDS_FILE, SearchDoc, _joins, cut, medical_words, prepare_index


def doc(slug: str, title: str, body: str, tags: tuple[str, ...] = (), topic: str = "医保") -> SearchDoc:
    return SearchDoc(f"{slug}/index.html", title, tags, topic, "北京", "2026-01-05", "".join(f"<p>{line}</p>" for line in body.split("\n")))


def sections(folder: Path, slug: str) -> dict[str, list[str]]:
    """The words of each part of a slim page: body, title, tags, extra, joins (as "a b")."""
    page = (folder / STAGING_DIR / slug / "index.html").read_text(encoding="utf-8")
    body, title = re.search(r"</span><div>(.*?)</div><h1[^>]*>(.*?)</h1>", page).groups()
    tags = re.search(r"<p data-pagefind-weight=\"\d+\">(.*?)</p>", page)
    divs = re.findall(r"</(?:h1|p)>(?:<div>(.*?)</div>)?(?:<div>(.*?)</div>)?</main>", page)[0]
    extra = next((d for d in divs if d and not d.startswith(JOIN_MARK)), "")
    joins = next((d for d in divs if d.startswith(JOIN_MARK)), "")
    return {
        "body": body.split(), "title": title.split(), "tags": tags.group(1).split() if tags else [], "extra": extra.split(),
        "joins": [join.strip() for join in joins.split(JOIN_MARK) if join.strip()],
    }


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        # the start of the second word: 接触过敏 typed finds 接触过敏性
        (["接触", "过敏性", "皮炎"], ["接触 过敏", "敏性 皮炎"]),
        # 孟鲁司特 typed is cut 孟鲁司|特 and must find the article where jieba guessed 孟鲁司|特钠;
        # 皮炎 is a word of jieba's dictionary, not a guess: no 过敏性 皮
        (["孟鲁司", "特钠"], ["孟鲁司 特", "鲁司 特钠"]),
        # the end of the first and the start of the second: 保险报销, 医疗保险报销, 保险报销比例…
        (["医疗保险", "报销比例"], ["医疗保险 报销", "医疗保险 报销比", "保险 报销比例", "保险 报销", "保险 报销比", "疗保险 报销比例", "疗保险 报销", "疗保险 报销比"]),
        # no word of three characters or more: nothing to add
        (["要", "先", "控制", "血糖"], []),
        # punctuation and Latin words have no starts or ends; a Latin word beside one still joins
        (["。", "偏高时"], []),
        # after a letter or a number every start counts, one character too (X线, 14天 typed),
        # after a letter with the word before too (胸部X线), and after jieba's mixed X光 (X光片)
        (["做", "CT", "检查费"], ["CT 检", "CT 检查", "做 CT 检", "做 CT 检查"]),
        (["胸部", "X", "线或", "CT"], ["X 线", "胸部 X 线"]),
        (["拍", "X", "光", "片要"], ["X 光 片"]),
        (["复位", "后", "14", "天内"], ["14 天"]),
        (["14", "天", "后"], []),
    ],
)
def test_joins(words: list[str], expected: list[str]) -> None:
    assert sorted(_joins(words)) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # words of jieba's dictionary that mix the scripts are cut where search.js cuts a query
        ("做B超前空腹", ["做", "B", "超", "前", "空腹"]),
        ("拍X光片", ["拍", "X", "光", "片"]),
        ("O型血", ["O", "型", "血"]),
        ("4S店", ["4S", "店"]),
        # Latin words alone, and Latin with punctuation, stay as they were
        ("查HbA1c和PM2.5", ["查", "HbA1c", "和", "PM2", "PM2.5"]),
        ("ST-T改变", ["ST", "ST-T", "改变"]),
    ],
)
def test_cut_splits_where_the_script_changes(text: str, expected: list[str]) -> None:
    assert cut(text) == expected


def test_a_body_with_a_mixed_word_is_cut_where_the_script_changes(tmp_path: Path) -> None:
    # A body is looked at for a letter beside a Chinese character before its cut is: most have none.
    prepare_index([doc("b", "腹部检查", "做B超前要空腹，14天内复查。"), doc("c", "胸片", "拍X光时")], tmp_path, jobs=1)
    body = sections(tmp_path, "b")["body"]
    assert body[:3] == ["做", "B", "超"] and "14" in body
    assert sections(tmp_path, "c")["body"][:3] == ["拍", "X", "光"]


def test_a_phrase_whose_last_word_starts_a_longer_one_is_in_the_joins(tmp_path: Path) -> None:
    docs = [doc("jingwai", "出国看病", "出国前买境外医疗保险。"), doc("xuetang", "血糖", "空腹血糖偏高时不要急。")]
    prepare_index(docs, tmp_path, jobs=1)
    assert "境外 医疗" in sections(tmp_path, "jingwai")["joins"]  # 医疗: search mode's word in 医疗保险
    # Only joins of the site's words are written: no article has 偏高 (jieba keeps 偏高时) or 疗保险.
    assert "血糖 偏高" not in sections(tmp_path, "xuetang")["joins"]
    assert not any("疗保险" in join for join in sections(tmp_path, "jingwai")["joins"])
    # An article that has 偏高 as a word: the page not edited gains the join, and loses it after.
    prepare_index([*docs, doc("pianggao", "血糖偏高怎么办", "空腹血糖偏高。")], tmp_path, jobs=1)
    assert "血糖 偏高" in sections(tmp_path, "xuetang")["joins"]
    prepare_index(docs, tmp_path, jobs=1)
    assert "血糖 偏高" not in sections(tmp_path, "xuetang")["joins"]


def test_a_long_word_of_the_site_is_a_word_wherever_a_text_holds_it(tmp_path: Path) -> None:
    # jieba keeps 病患者 whole after 慢 and cuts 糖尿病|患者: a reader's 病患者 is one word of
    # the word list, so the second article must hold it as a word too.
    docs = [doc("manbing", "慢病患者每月复诊", "慢病患者每月复诊。"), doc("tangniao", "糖尿病患者怎么吃", "糖尿病患者要先控制血糖。")]
    prepare_index(docs, tmp_path, jobs=1)
    page = sections(tmp_path, "tangniao")
    assert "病患者" not in page["body"]
    assert "病患者" in page["extra"] and "病患者" in page["title"]  # the title's, weighed as the title
    # Without the first article the site has no such word, and the page does not have it.
    prepare_index(docs[1:], tmp_path, jobs=1)
    page = sections(tmp_path, "tangniao")
    assert "病患者" not in page["extra"] + page["title"]


def test_the_topic_is_weighed_as_the_tags_are(tmp_path: Path) -> None:
    docs = [doc("jintie", "深圳生育津贴怎么算", "产假期间按月发放。", ("生育津贴",), "生育保险")]
    prepare_index(docs, tmp_path, jobs=1)
    tags = sections(tmp_path, "jintie")["tags"]
    assert {"生育津贴", "生育保险", "保险"} <= set(tags)


def test_a_word_of_two_inside_a_longer_one_is_a_word_where_the_site_has_it(tmp_path: Path) -> None:
    # jieba guesses 对甲流 as one word in 抗生素对甲流无效: Pagefind matches a word by its start,
    # so the site's 甲流 is added, and only while some article has it as a word.
    antibiotics = doc("kangshengsu", "抗生素能治感冒吗", "抗生素对甲流无效。")
    prepare_index([antibiotics], tmp_path, jobs=1)
    assert "对甲流" in sections(tmp_path, "kangshengsu")["body"]
    assert "甲流" not in sections(tmp_path, "kangshengsu")["extra"]
    flu = doc("jialiu", "孩子确诊甲流后怎么办", "孩子确诊甲流后要多喝水。")
    prepare_index([antibiotics, flu], tmp_path, jobs=1)
    assert "甲流" in sections(tmp_path, "kangshengsu")["extra"]  # a page not edited gains it
    prepare_index([antibiotics], tmp_path, jobs=1)
    assert "甲流" not in sections(tmp_path, "kangshengsu")["extra"]


def test_a_one_character_word_ending_a_longer_one_is_a_word_of_the_page(tmp_path: Path) -> None:
    # 降压药 holds 药, which a reader types apart (高血压 药): Pagefind matches a word by its start.
    pills = doc("jiangya", "高血压怎么吃降压药", "高血压患者按时吃降压药，挂号费另算。")
    advice = doc("yongyao", "这种药怎么吃", "这种药饭后吃。")
    prepare_index([pills, advice], tmp_path, jobs=1)
    extra = sections(tmp_path, "jiangya")["extra"]
    assert "降压药" in sections(tmp_path, "jiangya")["body"]
    assert extra.count("药") == 1 and extra.count("费") == 1  # once each, whatever other articles say
    assert "压" not in extra  # only ONE_CHARACTER_WORDS
    assert "药" not in sections(tmp_path, "yongyao")["extra"]  # a page that has it as a word already
    words = json.loads((tmp_path / WORDS_FILE).read_text(encoding="utf-8"))["words"].split(" ")
    assert "费" in words  # so a query cuts 费 as a word


def test_a_drug_name_jieba_cuts_by_its_context_is_one_word_of_the_index(tmp_path: Path) -> None:
    # jieba cuts 加用布地奈德 as 加|用布|地|奈德: no cut of a reader's 布地奈德 was in that article.
    # The medical words (medical_words.txt) are words wherever a text holds them, and in the
    # word list, so search.js cuts the query as that one word.
    asthma = doc("xiaochuan", "孩子哮喘发作加用布地奈德雾化", "医生让加用布地奈德雾化。\n孟鲁司特钠睡前吃。")
    prepare_index([asthma], tmp_path, jobs=1)
    page = sections(tmp_path, "xiaochuan")
    assert "布地奈德" not in page["body"]  # jieba's own cut is kept for the excerpt
    assert "布地奈德" in page["extra"] and "布地奈德" in page["title"]  # the title's, weighed as the title
    assert "孟鲁司特钠" in page["extra"]
    words = json.loads((tmp_path / WORDS_FILE).read_text(encoding="utf-8"))["words"].split(" ")
    assert {"布地奈德", "孟鲁司特钠"} <= set(words)
    # Only where a text holds them: the word list has no medical word the site does not use.
    assert "阿奇霉素" not in words and "阿奇霉素" in medical_words()


def test_the_medical_words_are_words_jieba_splits() -> None:
    """Each is three Chinese characters or more, once, and cut by jieba (else it is no use)."""
    import rjieba

    text = (Path(sitegen.__file__).parent / "medical_words.txt").read_text(encoding="utf-8")
    listed = [word for line in text.splitlines() if not line.startswith("#") for word in line.split()]
    assert len(listed) == len(set(listed)) == len(medical_words()) > 200
    assert [word for word in listed if len(word) < 3 or not all("\u4e00" <= c <= "\u9fff" for c in word)] == []
    assert [word for word in listed if len(rjieba.cut(word)) == 1] == []
