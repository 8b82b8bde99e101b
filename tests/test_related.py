"""相关推荐 ranking: the order a health-site reader expects, and the rules it never breaks."""

from __future__ import annotations

import datetime as dt
import random

from sitegen.config import RelatedSettings
from sitegen.related import RelatedInput, related_articles
from sitegen.text import text_sketch

DAY = dt.date(2026, 6, 1).toordinal()


def article(title, topic, city, tags, days_ago=0, body=None) -> RelatedInput:
    return RelatedInput(title, topic, city, tuple(tags), DAY - days_ago, text_sketch(body or title * 4))


def rank(articles, count=10):
    return related_articles(articles, RelatedSettings(count=count))


def test_same_city_and_topic_first_then_topic_with_tags_then_city() -> None:
    articles = [
        article("深圳医保断缴后个人账户还能用吗", "医保", "深圳", ["个人账户", "断缴"]),
        article("深圳门诊统筹怎么报销", "医保", "深圳", ["门诊统筹"], days_ago=300),
        article("广州医保个人账户可以给家人用吗", "医保", "广州", ["个人账户", "家庭共济"], days_ago=10),
        article("深圳哪家医院看儿科好", "就医指南", "深圳", ["儿童医院"], days_ago=5),
        article("孩子湿疹怎么护理", "儿童健康", "全国", ["湿疹"], days_ago=1),
        article("上海社保缴费基数", "社保", "上海", ["社保缴费基数"], days_ago=2),
    ]
    titles = [articles[i].title for i in rank(articles)[0]]
    assert titles == ["深圳门诊统筹怎么报销", "广州医保个人账户可以给家人用吗", "深圳哪家医院看儿科好"]


def test_a_site_where_no_article_has_a_tag() -> None:
    articles = [article(f"深圳医保问题{n}", "医保", "深圳", [], days_ago=n, body=f"不同的正文内容第{n}篇" * 8) for n in range(4)]
    lists = rank(articles)
    assert [len(found) for found in lists] == [3, 3, 3, 3]  # same topic and city still relate them
    assert lists[0][0] == 1  # the nearest in date first


def test_rare_shared_tag_weighs_more_than_common_one() -> None:
    common = [article(f"医保文章{i}", "医保", f"城市{i}", ["报销", f"独有{i}"], days_ago=i) for i in range(20)]
    base = article("目标文章", "医保", "成都", ["报销", "罕见标签"])
    rare = article("共享罕见标签", "医保", "重庆", ["罕见标签"], days_ago=400)
    articles = [base, rare, *common]
    assert rank(articles, count=1)[0] == [1]


def test_never_itself_never_same_title_never_near_copy() -> None:
    body = "医保账户上的余额用完以后,门诊费用需要自己支付,住院费用仍然可以按规定由统筹基金报销。" * 3
    articles = [
        article("医保账户上余额用完了怎么办", "医保", "深圳", ["医保卡"], body=body),
        article("医保卡余额用完了以后怎么办", "医保", "深圳", ["医保卡"], body=body.replace("以后", "之后")),
        article("医保账户上余额用完了怎么办?", "医保", "深圳", ["医保卡"], days_ago=3, body="完全不同的内容" * 10),
        article("深圳医保卡丢了怎么补办", "医保", "深圳", ["医保卡"], days_ago=4, body="补办医保卡可以在线办理" * 5),
        article("深圳医保卡丢了怎么补办", "医保", "深圳", ["医保卡"], days_ago=5, body="线下网点也能补办医保卡" * 5),
    ]
    related = rank(articles)
    assert 0 not in related[0]
    assert 1 not in related[0]  # near-copy of the article's body
    assert 2 not in related[0]  # same title, punctuation aside
    assert related[0] == [3]  # the two 补办 articles share a title: only the better one is shown
    for index, chosen in enumerate(related):
        assert index not in chosen
        titles = [articles[i].title for i in chosen]
        assert len(titles) == len(set(titles))


def test_fewer_than_count_only_when_fewer_are_related() -> None:
    articles = [article(f"医保文章{i}", "医保", "深圳", [], days_ago=i) for i in range(15)]
    articles.append(article("无关文章", "体检", "西安", ["入职体检"]))
    related = rank(articles, count=10)
    assert all(len(r) == 10 for r in related[:15])
    assert related[15] == []  # shares no tag, topic or city with anything


def test_date_breaks_ties_towards_the_nearest_article() -> None:
    articles = [article("基准", "医保", "深圳", [], days_ago=100)]
    articles += [article(f"第{i}篇", "医保", "深圳", [], days_ago=100 + d) for i, d in enumerate([50, -3, 7, -200])]
    assert rank(articles, count=2)[0] == [2, 3]


def test_deterministic_whatever_the_input_order() -> None:
    rng = random.Random(7)
    topics, cities, tags = ["医保", "社保", "体检"], ["深圳", "广州", "全国"], [f"标签{i}" for i in range(12)]
    articles = [
        article(f"文章{i}", rng.choice(topics), rng.choice(cities), rng.sample(tags, 3), days_ago=rng.randrange(500))
        for i in range(200)
    ]
    first = rank(articles)
    assert first == rank(list(articles))
    order = list(range(len(articles)))
    rng.shuffle(order)
    shuffled = rank([articles[i] for i in order])
    by_title = {articles[i].title: [articles[j].title for j in first[i]] for i in range(len(articles))}
    for position, original in enumerate(order):
        titles = [articles[order[j]].title for j in shuffled[position]]
        scores_equal = titles == by_title[articles[original].title]
        assert scores_equal or sorted(titles) == sorted(by_title[articles[original].title])


def test_a_large_topic_gets_full_lists() -> None:
    # Speed is measured in benchmarks/, not here; this checks a big topic ranks completely.
    articles = [
        article(f"文章{i}", "医保", f"城市{i % 40}", [f"标签{i % 50}", f"标签{(i * 7) % 50}"], days_ago=i % 700)
        for i in range(3000)
    ]
    related = rank(articles, count=6)
    assert all(len(r) == 6 and i not in r for i, r in enumerate(related))


def brute_force(articles, settings: RelatedSettings) -> list[list[int]]:
    """Score every pair: the reference the indexed ranking must match exactly."""
    import math

    from sitegen.related import NATIONWIDE
    from sitegen.text import sketch_similarity, title_key

    w, n = settings.weights, len(articles)
    frequency = {}
    for a in articles:
        for tag in a.tags:
            frequency[tag] = frequency.get(tag, 0) + 1
    idf = {tag: math.log1p(n / f) for tag, f in frequency.items()}
    # README: same topic and city gain tags + date more when both count and outweigh tags and date.
    lift = w.tags + w.date if w.topic > 0 and w.city > 0 and w.topic + w.city >= w.tags + w.date else 0.0
    result = []
    for i, a in enumerate(articles):
        total = sum(idf[t] for t in a.tags)
        scored = []
        for j, b in enumerate(articles):
            if i == j:
                continue
            shared = set(a.tags) & set(b.tags)
            same_topic = a.topic == b.topic
            same_city = a.city == b.city and a.city != NATIONWIDE
            if not (shared or same_topic or same_city):
                continue
            share = sum(idf[t] for t in shared) / total if total else 0.0
            score = round(
                w.topic * same_topic + w.city * same_city + lift * (same_topic and same_city) + w.tags * share
                + w.date * 2 ** (-abs(a.day - b.day) / w.half_life_days),
                9,
            )
            scored.append((-score, -b.day, j))
        scored.sort()
        chosen, seen = [], {title_key(a.title)}
        for _, _, j in scored:
            b = articles[j]
            if title_key(b.title) in seen or sketch_similarity(a.sketch, b.sketch) >= 0.6:
                continue
            seen.add(title_key(b.title))
            chosen.append(j)
            if len(chosen) == settings.count:
                break
        result.append(chosen)
    return result


import pytest  # noqa: E402


@pytest.mark.parametrize(
    "seed, weights",
    [
        (1, {}),
        (2, {"tags": 5.0, "topic": 0.5, "city": 0.5}),
        (3, {"tags": 0.0}),
        (4, {"date": 4.0, "half_life_days": 30}),
        (5, {"city": 6.0}),
        (6, {"topic": 0.0, "city": 0.0}),
    ],
)
def test_indexed_ranking_equals_scoring_every_pair(seed: int, weights: dict, monkeypatch) -> None:
    from sitegen import related
    from sitegen.config import RelatedWeights

    monkeypatch.setattr(related, "_PARALLEL_THRESHOLD", 100)  # exercise the process pool too
    rng = random.Random(seed)
    topics = ["医保", "社保", "体检", "用药"]
    cities = ["深圳", "广州", "上海", "全国", "成都"]
    pools = {t: [f"{t}{i}" for i in range(8)] + ["共享标签"] for t in topics}
    articles = []
    for i in range(400):
        topic = rng.choice(topics)
        tags = rng.sample(pools[topic], rng.randint(0, 4))
        title = f"标题{rng.randrange(380)}"  # some titles repeat
        articles.append(article(title, topic, rng.choice(cities), tags, days_ago=rng.randrange(900), body=f"正文{i}" * 5))
    settings = RelatedSettings(count=rng.choice([3, 6, 10]), weights=RelatedWeights(**weights))
    assert related_articles(articles, settings) == brute_force(articles, settings)
    assert related_articles(articles, settings, jobs=2) == related_articles(articles, settings)


def big_topic_site(seed: int) -> list[RelatedInput]:
    """The shape that once made ranking slow: one big topic, skewed cities, 全国, and generic
    tags on a third of all articles, which ranking meets only through date-ordered walks."""
    rng = random.Random(seed)
    topics = ["医保"] * 6 + ["社保", "体检", "用药"]
    cities = ["北京"] * 6 + ["上海"] * 4 + ["兰州", "全国", "全国", "西宁"]
    articles = []
    for i in range(500):
        topic = rng.choice(topics)
        generic = [tag for tag in ("2025新规", "费用", "攻略") if rng.random() < 1 / 3]
        tags = generic + rng.sample([f"{topic}{j}" for j in range(12)], rng.randint(0 if generic else 1, 3))
        title = f"标题{rng.randrange(450)}"
        articles.append(article(title, topic, rng.choice(cities), tags, days_ago=rng.randrange(1400), body=f"正文{i}" * 5))
    # A small topic of 全国 articles, filled up only through the generic tags.
    for i in range(6):
        articles.append(article(f"冷门{i}", "冷门", "全国", [*["费用", "攻略"][: i % 2 + 1], f"冷门{i}"], days_ago=rng.randrange(1400)))
    return articles


@pytest.mark.parametrize("seed, weights", [(21, {}), (22, {"tags": 4.0}), (23, {"date": 3.0, "half_life_days": 20}), (24, {"city": 0.5})])
def test_exact_on_big_topics_with_site_wide_common_tags(seed: int, weights: dict) -> None:
    from sitegen.config import RelatedWeights

    articles = big_topic_site(seed)
    settings = RelatedSettings(count=10, weights=RelatedWeights(**weights))
    assert related_articles(articles, settings) == brute_force(articles, settings)


@pytest.mark.parametrize("matrix_call", [-(10**9), 10**9])
@pytest.mark.parametrize("seed, weights", [(31, {}), (32, {"tags": 4.0}), (33, {"topic": 1.0, "city": 0.5})])
def test_exact_whichever_way_rows_are_put_in_matrices(seed: int, weights: dict, matrix_call: int, monkeypatch) -> None:
    # What a matrix call is reckoned to cost decides how rows are batched: small groups of a
    # topic together or apart, the articles sharing a row's rarest tags or its whole topic as
    # candidates. A site of 500 articles takes its whole topics; these take every other way.
    from sitegen import related
    from sitegen.config import RelatedWeights

    monkeypatch.setattr(related, "_MATRIX_CALL", matrix_call)
    articles = big_topic_site(seed)
    settings = RelatedSettings(count=10, weights=RelatedWeights(**weights))
    assert related_articles(articles, settings) == brute_force(articles, settings)


def test_repeated_titles_give_their_places_to_the_next_articles() -> None:
    # Four articles to a title, next to each other in date: a list of 6 is drawn from 20 or more.
    articles = [article(f"深圳医保问答{i // 4}", "医保", "深圳", ["医保卡"], days_ago=i) for i in range(60)]
    articles += [article(f"广州医保问答{i}", "医保", "广州", ["医保卡"], days_ago=i) for i in range(20)]
    settings = RelatedSettings(count=6)
    related = related_articles(articles, settings)
    assert related == brute_force(articles, settings)
    assert all(len({articles[b].title for b in chosen}) == 6 for chosen in related[:60])


def test_same_topic_and_city_come_first_even_when_others_share_more_tags() -> None:
    # The case: an article of another city sharing both tags used to outscore one of
    # the same city sharing one.
    base = article("深圳医保断缴后个人账户可以用吗", "医保", "深圳", ["断缴", "个人账户"])
    same_place = [article(f"深圳医保问题{i}", "医保", "深圳", ["断缴"] if i else [], days_ago=200 + i) for i in range(3)]
    elsewhere = [article(f"{city}医保断缴个人账户", "医保", city, ["断缴", "个人账户"]) for city in ("贵阳", "南昌", "杭州")]
    articles = [base, *elsewhere, *same_place]
    assert rank(articles, count=5)[0][:3] == [5, 6, 4]  # then by shared tags and date
    # Weights that put tags first are left as they are.
    from sitegen.config import RelatedWeights

    tags_first = RelatedSettings(count=5, weights=RelatedWeights(tags=6.0))
    assert related_articles(articles, tags_first)[0][:3] == [1, 2, 3]


def test_updating_a_ranking_after_edits_equals_ranking_from_scratch() -> None:
    from sitegen.related import rank_related

    rng = random.Random(11)
    topics, cities = ["医保", "社保", "体检"], ["深圳", "广州", "全国", "上海"]
    pools = {t: [f"{t}{i}" for i in range(6)] for t in topics}
    articles = [
        article(f"标题{i}", t := rng.choice(topics), rng.choice(cities), rng.sample(pools[t], rng.randint(1, 3)),
                days_ago=rng.randrange(600), body=f"正文{i}" * 6)
        for i in range(300)
    ]  # fmt: skip
    settings = RelatedSettings(count=5)
    ranking = rank_related(articles, settings)
    for round_number in range(6):
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(articles))
            kind = rng.choice(["tags", "title", "body"])
            if kind == "tags":
                pool = pools[articles[i].topic] + ["共同标签"]
                articles[i] = articles[i]._replace(tags=tuple(rng.sample(pool, rng.randint(0, 3))))
            elif kind == "title":
                articles[i] = articles[i]._replace(title=articles[rng.randrange(len(articles))].title)
            else:
                articles[i] = articles[i]._replace(sketch=articles[rng.randrange(len(articles))].sketch)
        ranking = rank_related(articles, settings, previous=ranking)
        assert ranking.lists == related_articles(articles, settings), f"round {round_number}"
