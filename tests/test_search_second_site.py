"""Search on a second site (fixtures/search_second): other articles and other words than the
sample site's, Latin mixed with Chinese (HPV疫苗, PET-CT, B超, EV71), medicines that jieba's
dictionary lacks, one article written in traditional characters, judged by an oracle instead of
by hand.

The oracle: an article is relevant to a query when every word of it (split at spaces) occurs in
the article's title, tags, topic or body as written, compared in simplified characters, letter
case and full-width forms folded, spaces between Chinese and Latin or digits dropped (an editor's
"14 天" is 14天), and a query word of Latin letters and digits only matching whole Latin words
(CT is not in TCT, Hp not in HPV). The queries were written down from the articles before any search ran.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import frontmatter
import pytest

from conftest import build_site, make_site
from search_site import SearchPage, compared, holds, precision_and_recall, serving
from sitegen.search import STAGING_DIR

QUERIES = [
    # Latin and Chinese mixed, and letter case
    "HPV疫苗", "hpv", "CT", "ct检查", "CT检查", "PET-CT", "MRI", "B超", "b超", "Hp", "EV71", "TCT", "C13",
    # jieba keeps B超, X光 and O型 as one word and cuts X线或 as X|线或: the index cuts where the
    # script changes, as the query is cut
    "X光", "x光", "X线", "X光片", "O型血", "Rh阴性", "骨折",
    # words jieba may or may not keep whole
    "核磁共振", "幽门螺杆菌", "胃镜", "无痛胃镜", "肠镜", "清肠", "惠民保", "百万医疗险", "商业保险", "理赔",
    "长护险", "长期护理保险", "失能评估", "失能", "居家护理", "安宁疗护", "疫苗", "流感疫苗", "狂犬病",
    "带状疱疹", "水痘", "手足口病", "预约", "住院", "急诊", "辐射", "肺结节", "空腹", "憋尿", "老年人",
    "老人", "香港", "澳门", "大湾区", "烧心", "反流", "社区卫生服务中心", "卫生", "心电图", "身份证",
    "宫颈癌", "境外医疗", "14天", "30分钟",
    # medicines jieba's dictionary lacks, which it guesses at by their neighbours (孟鲁司|特钠,
    # 开孟鲁司|特, 对甲流 beside 甲流, 加用布地奈德 as 用布|地|奈德, 沙丁胺|醇和, 加氯|雷|他定)
    "甲流", "奥司他韦", "孟鲁司特", "孟鲁司特钠", "白三烯", "抗生素", "布洛芬",
    "布地奈德", "沙丁胺醇", "异丙托溴铵", "甲泼尼龙", "氯雷他定", "雾化", "哮喘",
    # two words typed as one, the second the start of a longer word in some article (医疗|保险 and
    # 医疗保险, 接种|流感疫苗): the articles that hold them as one word are found too
    "百万医疗", "补充医疗", "跨境医疗", "接种流感", "注射狂犬",
    # simplified words the traditional article holds (醫保, 報銷, 醫院, 費用)
    "医保", "报销", "医院", "费用",
    # several words
    "预约 接种", "医保 报销",
    # a word of one character typed apart, which the articles hold at the end of longer words
    # (退烧药, 护理费, 宫颈癌): Pagefind matches a word by its start only
    "孩子 药", "哮喘 药", "过敏 药", "儿童 药", "甲流 药", "护理 费", "住院 费", "保险 费", "检查 费", "宫颈 癌", "疫苗 针",
    # traditional queries
    "醫院", "預約", "費用", "醫保",
]
TRADITIONAL = {"醫院": "医院", "預約": "预约", "費用": "费用", "醫保": "医保"}
IN_TRADITIONAL_ONLY = ["医保", "报销", "医院", "费用"]  # each also in /gangao/xianggang-jiuyi-yuyue/, as 醫保…

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = make_site(tmp_path_factory.mktemp("second"), "search_second")
    build_site(site)
    return site


@pytest.fixture(scope="module")
def judged(site) -> dict[str, set[str]]:
    """Each query's relevant articles, by the oracle, from the sources."""
    texts = {}
    for path in sorted((site / "content").rglob("*.md")):
        post = frontmatter.load(path)
        name = path.relative_to(site / "content").with_suffix("").as_posix()
        texts[f"/{name}/"] = compared(" ".join([post["title"], *post["tags"], post["topic"], post.content]))
    return {q: {url for url, text in texts.items() if all(holds(text, compared(w)) for w in q.split())} for q in QUERIES}


@pytest.fixture(scope="module")
def answers(browser, site) -> Iterator[dict[str, list[str]]]:
    with serving(site / "public") as base:
        tab = SearchPage(browser, base)
        tab.open()
        found = {}
        for query in QUERIES:
            tab.search(query)
            found[query] = tab.all_results()
        assert not tab.errors
        tab.close()
        yield found


def test_every_query_has_relevant_articles(judged) -> None:
    assert [q for q, relevant in judged.items() if not relevant] == []


def test_mean_precision_and_recall(judged, answers) -> None:
    mean_precision, mean_recall, misses = precision_and_recall((query, judged[query], answers[query]) for query in QUERIES)
    assert mean_precision >= 0.95 and mean_recall >= 0.95, misses
    assert misses == []


def test_simplified_queries_find_the_article_in_traditional_characters(answers) -> None:
    for query in IN_TRADITIONAL_ONLY:
        assert "/gangao/xianggang-jiuyi-yuyue/" in answers[query], query


def test_a_traditional_query_finds_what_its_simplified_form_finds(answers) -> None:
    for traditional, simple in TRADITIONAL.items():
        assert answers[traditional] == answers[simple], traditional


def test_the_traditional_article_is_shown_as_written_and_its_hit_marked(browser, site) -> None:
    with serving(site / "public") as base:
        tab = SearchPage(browser, base)
        tab.open("医保")
        card = tab.page.locator("#search-results li", has=tab.page.locator('a[href$="/gangao/xianggang-jiuyi-yuyue/"]'))
        assert "內地醫保一般不能在香港直接結算" in card.locator(".card-excerpt").inner_text()
        assert card.locator(".card-excerpt mark").all_inner_texts() == ["醫保"]
        assert not tab.errors
        tab.close()


def test_the_slim_page_holds_the_simplified_words_after_the_text_as_written(site) -> None:
    page = (site / ".sitegen-cache" / STAGING_DIR / "gangao/xianggang-jiuyi-yuyue/index.html").read_text(encoding="utf-8")
    shown, title, _tags, extra = re.search(r"<div>(.*?)</div><h1[^>]*>(.*?)</h1><p[^>]*>(.*?)</p><div>(.*?)</div>", page, re.S).groups()
    assert " 醫保 " in shown and "医保" not in shown
    assert set("医保 报销 医院 费用 内地".split()) <= set(extra.split())
    assert "预约" in title.split() and "預約" in title.split()
    assert " 医疗保险 " in f" {extra} "  # in order, as a phrase would find it
