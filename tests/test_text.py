"""Excerpts, CJK-aware joining and near-copy sketches."""

from __future__ import annotations

import pytest

from sitegen.text import join_cjk_aware, make_excerpt, simplified, sketch_similarity, text_sketch, title_key

LONG = "深圳医保断缴后,个人账户余额可以继续使用。统筹基金待遇从断缴次月起暂停。补缴后待遇可以恢复,但等待期内的费用不能报销。"

EXCERPTS = [
    ("短句。", 50, "短句。"),
    (LONG, 40, "深圳医保断缴后,个人账户余额可以继续使用。统筹基金待遇从断缴次月起暂停。…"),
    (LONG, 25, "深圳医保断缴后,个人账户余额可以继续使用。…"),
    ("这一句非常长没有任何句号也没有逗号一直写下去直到超过长度限制为止还在写", 20, "这一句非常长没有任何句号也没有逗号一直写…"),
    ("第一部分很长很长很长很长,第二部分也很长很长很长很长很长很长", 20, "第一部分很长很长很长很长…"),
    ("他说:“可以用。”然后离开了这里再也没有回来过了,一直都没有", 16, "他说:“可以用。”…"),
]


@pytest.mark.parametrize("text, limit, expected", EXCERPTS)
def test_excerpt(text: str, limit: int, expected: str) -> None:
    excerpt = make_excerpt(text, limit)
    assert excerpt == expected
    assert len(excerpt) <= limit + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("內地醫保一般不能在香港結算", "内地医保一般不能在香港结算"),
        ("醫保 = 医保", "医保 = 医保"),  # simplified text is left as it is
        ("乾燥的天氣", "干燥的天气"),
        ("乾隆", "乾隆"),  # by phrase: a name keeps its character
        ("HPV疫苗，ＣＴ", "HPV疫苗，ＣＴ"),  # nothing but the script changes
        ("", ""),
    ],
)
def test_simplified(text: str, expected: str) -> None:
    assert simplified(text) == expected


def test_join_without_spaces_between_chinese() -> None:
    assert join_cjk_aware(["第一段", "第二段"], sentence_end=True) == "第一段。第二段"
    assert join_cjk_aware(["English", "words"]) == "English words"
    assert join_cjk_aware(["已结束。", "下一段"]) == "已结束。下一段"


def test_title_key_folds_width_and_punctuation() -> None:
    assert title_key("医保卡余额用完了怎么办?") == title_key("医保卡余额用完了怎么办\uff1f")
    assert title_key("ＨＰＶ疫苗") == title_key("hpv疫苗")


def test_sketch_finds_near_copies_only() -> None:
    original = LONG * 3
    edited = original.replace("可以继续使用", "仍可继续使用")
    other = "孩子湿疹反复发作,应先找出诱因,保持皮肤湿润,必要时在医生指导下使用外用药物。" * 3
    assert sketch_similarity(text_sketch(original), text_sketch(edited)) >= 0.6
    assert sketch_similarity(text_sketch(original), text_sketch(other)) < 0.2
    assert text_sketch(original) == text_sketch(original)  # deterministic across runs


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="深圳医保断缴后个人账户。,!?;:“”A b", min_size=0, max_size=400), st.integers(20, 150))
def test_excerpt_needs_only_the_first_limit_plus_one_characters(text: str, limit: int) -> None:
    # Excerpts never read past the window; `sitegen check` relies on it for short bodies.
    text = " ".join(text.split())  # rendered plain text never holds runs of spaces
    # A window that ends on a space cannot tell whether more text follows: one character more can.
    window = text[: limit + 2] if text[limit : limit + 1] == " " else text[: limit + 1]
    assert make_excerpt(window, limit) == make_excerpt(text, limit)
    assert make_excerpt(text, limit) != "\u2026"  # never an excerpt of "…" alone


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=600))
def test_sketch_is_the_same_with_and_without_numpy(text: str) -> None:
    # One rebuilt article is sketched in plain Python, a batch with numpy: related lists and
    # near-copy checks compare sketches made both ways.
    import re
    import unicodedata

    from sitegen.text import _sketch_numpy, _sketch_python

    folded = re.sub(r"\W+", "", unicodedata.normalize("NFKC", text).lower())
    if len(folded) >= 4:
        assert _sketch_python(folded) == _sketch_numpy(folded)


def test_sketch_of_a_real_article_is_the_same_both_ways() -> None:
    from sitegen.text import _sketch_numpy, _sketch_python

    folded = "".join(chr(0x4E00 + (i * 7919) % 5000) for i in range(800)) + "abc123"
    assert len(_sketch_python(folded)) == 32
    assert _sketch_python(folded) == _sketch_numpy(folded)
