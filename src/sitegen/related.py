"""相关推荐: rank each article's most related articles through an inverted index.

score(a, b) = w_tags · (rarity-weighted share of a's tags that b also has)
            + w_topic · [same topic] + w_city · [same city, 全国 excepted]
            + w_date · ½^(|days apart| / half-life)

Only articles that share a tag, the topic or the city are related. Candidates come from the tag
postings and from walks outward in date order through the article's topic and city groups, so the
cost follows the postings an article touches, never the number of article pairs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .config import RelatedSettings
from .text import sketch_similarity, title_key

NATIONWIDE = "全国"
NEAR_COPY_SIMILARITY = 0.6


@dataclass(frozen=True)
class RelatedInput:
    """What ranking needs to know of one article, and nothing more."""

    title: str
    topic: str
    city: str
    tags: tuple[str, ...]
    day: int  # date as a proleptic ordinal
    sketch: tuple[int, ...]  # bottom-k shingle sketch of the body, see text_sketch()


def related_articles(articles: Sequence[RelatedInput], settings: RelatedSettings) -> list[list[int]]:
    """For every article, the indices of its `settings.count` most related articles, best first."""
    if settings.count == 0 or not articles:
        return [[] for _ in articles]
    return _Ranker(articles, settings).rank_all()


class _Ranker:
    def __init__(self, articles: Sequence[RelatedInput], settings: RelatedSettings):
        self.articles = articles
        self.count = settings.count
        self.weights = settings.weights
        n = len(articles)
        tag_ids: dict[str, int] = {}
        postings: list[list[int]] = []
        self.article_tags: list[tuple[int, ...]] = []
        for index, article in enumerate(articles):
            ids = []
            for tag in article.tags:
                tag_id = tag_ids.setdefault(tag, len(tag_ids))
                if tag_id == len(postings):
                    postings.append([])
                postings[tag_id].append(index)
                ids.append(tag_id)
            self.article_tags.append(tuple(ids))
        self.postings = [np.asarray(p, dtype=np.int64) for p in postings]
        # A rare tag says more about two articles than one on every page (inverse document frequency).
        self.idf = np.array([math.log(1 + n / len(p)) for p in postings], dtype=np.float64)
        self.topic = _codes([a.topic for a in articles])
        self.city = _codes([a.city if a.city != NATIONWIDE else f"\0{i}" for i, a in enumerate(articles)])
        self.day = np.array([a.day for a in articles], dtype=np.int64)
        self.title_key = [title_key(a.title) for a in articles]
        self.groups = {
            "topic_city": _date_ordered_groups(zip(self.topic.tolist(), self.city.tolist()), self.day),
            "topic": _date_ordered_groups(self.topic.tolist(), self.day),
            "city": _date_ordered_groups(self.city.tolist(), self.day),
        }

    def rank_all(self) -> list[list[int]]:
        return [self.rank(index) for index in range(len(self.articles))]

    def rank(self, a: int) -> list[int]:
        w = self.weights
        tags = self.article_tags[a]
        tag_total = float(self.idf[list(tags)].sum()) if tags else 0.0
        tagged: dict[int, float] = {}
        if tags:
            lists = [self.postings[t] for t in tags]
            members = np.concatenate(lists)
            shares = np.repeat(self.idf[list(tags)] / tag_total, [len(p) for p in lists])
            unique, inverse = np.unique(members, return_inverse=True)
            tagged = dict(zip(unique.tolist(), np.bincount(inverse, weights=shares).tolist()))
        candidates = set(tagged)
        topic, city = int(self.topic[a]), int(self.city[a])
        candidates.update(self._nearest(a, "topic_city", (topic, city), tagged, lambda b: True))
        candidates.update(self._nearest(a, "topic", topic, tagged, lambda b: self.city[b] != city))
        candidates.update(self._nearest(a, "city", city, tagged, lambda b: self.topic[b] != topic))
        candidates.discard(a)
        if not candidates:
            return []
        ids = np.fromiter(sorted(candidates), dtype=np.int64)
        share = np.fromiter((tagged.get(b, 0.0) for b in ids.tolist()), dtype=np.float64, count=len(ids))
        score = (
            w.tags * share
            + w.topic * (self.topic[ids] == topic)
            + w.city * (self.city[ids] == city)
            + w.date * np.exp2(-np.abs(self.day[ids] - self.day[a]) / w.half_life_days)
        )
        # Deterministic order: score, then newer first, then input order.
        order = np.lexsort((ids, -self.day[ids], -np.round(score, 9)))
        chosen: list[int] = []
        seen_titles = {self.title_key[a]}
        for b in ids[order].tolist():
            if self.title_key[b] in seen_titles or self._near_copy(a, b):
                continue
            seen_titles.add(self.title_key[b])
            chosen.append(b)
            if len(chosen) == self.count:
                break
        return chosen

    def _nearest(self, a: int, kind: str, key, tagged: dict[int, float], in_class) -> list[int]:
        """The articles of a's group nearest in date that share no tag with a and are in the class.

        Those are the best candidates among their class with no tag in common, since their score
        differs only by date; articles sharing a tag are candidates through the postings already.
        """
        members, positions = self.groups[kind][key]
        start = positions[a]
        found: list[int] = []
        left, right = start - 1, start + 1
        wanted = self.count + 2  # a little slack for duplicates and near-copies dropped later
        day = self.day[a]
        while len(found) < wanted and (left >= 0 or right < len(members)):
            take_left = right >= len(members) or (
                left >= 0 and day - self.day[members[left]] <= self.day[members[right]] - day
            )
            b = members[left] if take_left else members[right]
            if take_left:
                left -= 1
            else:
                right += 1
            if b not in tagged and in_class(b):
                found.append(b)
        return found

    def _near_copy(self, a: int, b: int) -> bool:
        return sketch_similarity(self.articles[a].sketch, self.articles[b].sketch) >= NEAR_COPY_SIMILARITY


def _codes(values: list) -> np.ndarray:
    table: dict = {}
    return np.array([table.setdefault(v, len(table)) for v in values], dtype=np.int64)


def _date_ordered_groups(keys, day: np.ndarray) -> dict:
    grouped: dict = defaultdict(list)
    for index, key in enumerate(keys):
        grouped[key].append(index)
    result = {}
    for key, members in grouped.items():
        members.sort(key=lambda i: (int(day[i]), i))
        result[key] = (members, {m: p for p, m in enumerate(members)})
    return result
