"""相关推荐: rank each article's most related articles through an inverted index.

score(a, b) = w_tags · (rarity-weighted share of a's tags that b also has)
            + w_topic · [same topic] + w_city · [same city, 全国 excepted]
            + lift · [same topic and same city]
            + w_date · ½^(|days apart| / half-life)

where lift = w_tags + w_date when w_topic > 0, w_city > 0 and w_topic + w_city ≥ w_tags + w_date
(as by default), else 0: then an article of the same topic and city ranks above every other.

Only articles that share a tag, the topic or the city are related. The ranking is exact, and it
never compares all pairs: candidates are taken class by class (same topic and city, same topic,
same city, tags only), best class first, and a class is searched only as far as it can still beat
the current k-th best score. Within a class, articles sharing many tags are found through the
postings of the article's rarest tags (prefix filtering), the rest, and every article met only
through a common tag, by walking the class outward in date order. Most articles never get
there: they are settled in bulk, a matrix of rows against candidates that provably hold their
best (see _Ranker.rank_rows). The result is the same as scoring every pair.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, NamedTuple, TypeGuard, cast

from .config import RelatedSettings
from .text import SKETCH_SIZE, sketch_similarity, title_key
from .workers import run_chunks


class _Numpy:
    """numpy, imported when ranking first needs it: updating a list after a body edit never does,
    and the import costs 45 ms of a rebuild that should take a few hundred."""

    def __getattr__(self, name: str):
        import numpy

        globals()["np"] = numpy
        return getattr(numpy, name)


if TYPE_CHECKING:
    import numpy as np
else:
    np = _Numpy()

NATIONWIDE = "全国"
NEAR_COPY_SIMILARITY = 0.6
_EPSILON = 1e-9
_SCORING = 2  # bump when the score or its order changes (2: same topic and city lifted above all others)
_MATRIX_CALL = 20000  # what one more score matrix costs beyond its cells, in cells (0.2 ms here)
_PARALLEL_THRESHOLD = 30000  # below this a process pool costs more than it saves (10k: 0.29 s alone, 0.33 s on two)


class RelatedInput(NamedTuple):
    """What ranking needs to know of one article, and nothing more."""

    title: str
    topic: str
    city: str
    tags: tuple[str, ...]
    day: int  # date as a proleptic ordinal
    sketch: tuple[int, ...]  # bottom-k shingle sketch of the body, see text.text_sketch()
    # Changes whenever title or sketch do (the source file's hash, say); "" to have it computed.
    # With it, an update need not fold every title and hash every sketch to find what changed.
    identity: str = ""


@dataclass(frozen=True)
class RelatedRanking:
    """Related lists, with what a later ranking needs to redo only the lists an edit touches."""

    lists: list[list[int]]
    settings: str  # the scoring version and the settings as JSON
    scoring: list[tuple[str, str, tuple[str, ...], int]]  # topic, city, tags, day: what scores read
    filter_digests: list[bytes]  # a digest of each article's title key and sketch: what the filter reads
    candidates: list[tuple[list[int], bool]]  # best-first candidates before the filter; exhausted?


def related_articles(articles: Sequence[RelatedInput], settings: RelatedSettings, jobs: int = 1) -> list[list[int]]:
    """For every article, the indices of its `settings.count` most related articles, best first."""
    return rank_related(articles, settings, jobs).lists


def rank_related(
    articles: Sequence[RelatedInput], settings: RelatedSettings, jobs: int = 1, previous: RelatedRanking | None = None
) -> RelatedRanking:
    """Rank every article's related list, redoing only what an edit since `previous` can change.

    - Titles and bodies only decide which candidates the filter drops (repeated titles,
      near-copies): lists whose candidates include an edited article are filtered again.
    - A changed tag list changes the rarity of the tags that came or went, so the lists of the
      articles having one of those tags, of the edited article, and of those that had it as a
      candidate are ranked again. No other score changes.
    - Anything else (an article added, removed or moved, another date, topic or city, other
      settings) ranks everything again.
    """
    # The scoring version goes with the settings, so a ranking cached under another formula is redone.
    json_settings = f"{_SCORING}:{settings.model_dump_json()}"
    scoring = [(a.topic, a.city, a.tags, a.day) for a in articles]
    filter_inputs = _FilterInputs(articles)
    digests = [
        a.identity.encode("utf-8")[:16] if a.identity else hashlib.blake2b(repr(filter_inputs[i]).encode("utf-8"), digest_size=8).digest()
        for i, a in enumerate(articles)
    ]
    if settings.count == 0 or not articles:
        return RelatedRanking([[] for _ in articles], json_settings, scoring, digests, [([], True) for _ in articles])
    if _comparable(previous, json_settings, scoring):
        ranking = _updated(articles, settings, previous, scoring, filter_inputs, digests)
        if ranking is not None:
            return ranking
    ranker = _Ranker(articles, settings)
    if jobs <= 1 or len(articles) < _PARALLEL_THRESHOLD or not hasattr(os, "fork"):
        lists = ranker.rank_topics(list(ranker.by_topic))
        candidates = [ranker.candidates.get(a, ([], True)) for a in range(len(articles))]
    else:
        lists, candidates = _rank_in_processes(ranker, jobs)
    return RelatedRanking(lists, json_settings, scoring, digests, candidates)


def _comparable(previous, json_settings: str, scoring: list) -> TypeGuard[RelatedRanking]:
    return (
        isinstance(previous, RelatedRanking)
        and previous.settings == json_settings
        and len(previous.scoring) == len(scoring)
        and all(old[0] == new[0] and old[1] == new[1] and old[3] == new[3] for old, new in zip(previous.scoring, scoring))
    )


def _updated(articles, settings, previous: RelatedRanking, scoring, filter_inputs, digests) -> RelatedRanking | None:
    """The previous ranking brought up to date, or None when too much changed to be worth it."""
    retagged = [i for i, (old, new) in enumerate(zip(previous.scoring, scoring)) if old[2] != new[2]]
    refiltered = {i for i, (now, before) in enumerate(zip(digests, previous.filter_digests)) if now != before}
    if not retagged and not refiltered:
        return previous
    if len(retagged) > max(10, len(articles) // 50):
        return None
    changed_tags: set[str] = set()
    for i in retagged:
        changed_tags ^= set(previous.scoring[i][2]) ^ set(scoring[i][2])
    rerank = set(retagged)
    if changed_tags:
        rerank.update(i for i, row in enumerate(scoring) if not changed_tags.isdisjoint(row[2]))
    moved = set(retagged)
    rerank.update(a for a, (ranked, _) in enumerate(previous.candidates) if not moved.isdisjoint(ranked))
    lists = list(previous.lists)
    candidates = list(previous.candidates)
    ranker = _Ranker(articles, settings) if rerank else None
    if ranker is not None:
        for a, chosen in ranker.rank_rows(sorted(rerank)).items():
            lists[a] = chosen
            candidates[a] = ranker.candidates.get(a, ([], True))
    sketch_sets: dict = {}
    for a, (ranked, exhausted) in enumerate(candidates):
        if a in rerank or (a not in refiltered and refiltered.isdisjoint(ranked)):
            continue
        chosen = _filtered(a, ranked, settings.count, filter_inputs, sketch_sets)
        if len(chosen) < settings.count and not exhausted:
            ranker = ranker or _Ranker(articles, settings)  # the stored candidates ran out
            chosen = ranker.rank(a)
            candidates[a] = ranker.candidates[a]
        lists[a] = chosen
    return RelatedRanking(lists, previous.settings, scoring, digests, candidates)


class _FilterInputs:
    """(title key, sketch) of each article, as the filter reads them; titles folded when first read."""

    def __init__(self, articles: Sequence[RelatedInput]):
        self.articles = articles
        self.keys: dict[int, str] = {}

    def __getitem__(self, index: int) -> tuple[str, tuple[int, ...]]:
        key = self.keys.get(index)
        if key is None:
            key = self.keys[index] = title_key(self.articles[index].title)
        return key, self.articles[index].sketch


def _filtered(a: int, ranked: list[int], count: int, inputs, sketch_sets: dict) -> list[int]:
    """Drop repeated titles and near-copies of `a` from `ranked`, keeping the order; stop at count."""
    chosen: list[int] = []
    seen_titles = {inputs[a][0]}
    for b in ranked:
        if inputs[b][0] in seen_titles or _is_near_copy(a, b, inputs, sketch_sets):
            continue
        seen_titles.add(inputs[b][0])
        chosen.append(b)
        if len(chosen) == count:
            break
    return chosen


def _is_near_copy(a: int, b: int, inputs, sketch_sets: dict) -> bool:
    first = sketch_sets.get(a) or sketch_sets.setdefault(a, frozenset(inputs[a][1]))
    second = sketch_sets.get(b) or sketch_sets.setdefault(b, frozenset(inputs[b][1]))
    # Near-copies share most sketch values; the set test rules out nearly every pair cheaply.
    if len(first & second) < NEAR_COPY_SIMILARITY * min(len(first), len(second)) - 1:
        return False
    return sketch_similarity(inputs[a][1], inputs[b][1]) >= NEAR_COPY_SIMILARITY


def _rank_in_processes(ranker: _Ranker, jobs: int) -> tuple[list[list[int]], list]:
    # Workers are forked, so they share the index with this process instead of receiving a copy.
    # Each process takes every jobs-th article of each (topic, city) group: the same part of
    # every group and topic, so they finish together however unequal the topics. One share
    # each, as chunk n runs on process n % jobs.
    ordered = np.concatenate([ranker.by_topic_city[key].members for key in sorted(ranker.by_topic_city)])
    shares = [ordered[number::jobs].tolist() for number in range(jobs)]
    ranker.sketches()  # made before the fork, so that every worker shares it
    result: list[list[int]] = [[] for _ in ranker.articles]
    candidates: list = [([], True) for _ in ranker.articles]
    for part in run_chunks(_rank_shares, [s for s in shares if s], shared=ranker, jobs=jobs, minimum=1, smallest=1):
        for index, (lists, ranked) in part.items():
            result[index] = lists
            candidates[index] = ranked
    return result, candidates


def _rank_shares(ranker: _Ranker, shares: Sequence[list[int]]) -> dict[int, tuple[list[int], tuple[list[int], bool]]]:
    rows = [index for share in shares for index in share]
    lists = ranker.rank_rows(rows)
    return {index: (lists[index], ranker.candidates.get(index, ([], True))) for index in rows}


class _Group:
    """Members of one topic, city or (topic, city), in date order, with each member's position."""

    __slots__ = ("days", "members")

    def __init__(self, members: np.ndarray, day: np.ndarray, in_date_order: bool = False):
        if not in_date_order:
            members = members[np.lexsort((members, day[members]))]
        self.members = members
        self.days = day[members]


class _Ranker:
    def __init__(self, articles: Sequence[RelatedInput], settings: RelatedSettings):
        self.articles = articles
        self.count = settings.count
        self.w = settings.weights
        n = len(articles)
        tag_ids: dict[str, int] = {}
        flat = np.fromiter((tag_ids.setdefault(t, len(tag_ids)) for a in articles for t in a.tags), dtype=np.int64)
        lengths = np.fromiter((len(a.tags) for a in articles), dtype=np.int64, count=n)
        owner = np.repeat(np.arange(n), lengths)
        self.tag_matrix = np.full((n, int(lengths.max(initial=0)) or 1), -1, dtype=np.int64)
        self.tag_matrix[owner, np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)] = flat
        frequency = np.bincount(flat, minlength=len(tag_ids))
        # A rare tag says more about two articles than one on every page (inverse document frequency).
        self.idf = np.log1p(n / np.maximum(frequency, 1)) if len(tag_ids) else np.zeros(1)
        self.idf_matrix = np.where(self.tag_matrix >= 0, self.idf[np.maximum(self.tag_matrix, 0)], 0.0)
        self.tag_total = self.idf_matrix.sum(axis=1)
        # Each tag's articles in input order: the owners of all tags, sorted by tag, cut at each.
        self.postings = np.split(owner[np.argsort(flat, kind="stable")], np.cumsum(frequency)[:-1]) if len(tag_ids) else []
        self.frequency = frequency
        self.topic = _codes([a.topic for a in articles])
        self.city = _codes([a.city if a.city != NATIONWIDE else f"\0{i}" for i, a in enumerate(articles)])
        self.day = np.array([a.day for a in articles], dtype=np.int64)
        span = int(self.day.max() - self.day.min()) + 1 if n else 1
        # w_date · ½^(days / half-life) for every possible gap, looked up instead of computed per pair.
        self.closeness = self.w.date * np.exp2(-np.arange(span) / self.w.half_life_days)
        self.lift = same_place_lift(self.w)
        # A tag on more than this many articles is walked in date order, never concatenated whole.
        self.common_at = max(4 * self.count + 16, n // 20)
        self._common_groups: dict[int, _Group] = {}
        self._sketch_matrix: np.ndarray | None = None
        self.title_key = [title_key(a.title) for a in articles]
        self.title_code = _codes(self.title_key)
        self.filter_inputs = [(key, a.sketch) for key, a in zip(self.title_key, articles)]
        self._sketch_sets: dict[int, frozenset] = {}
        self.candidates: dict[int, tuple[list[int], bool]] = {}  # what each list was filtered from
        cities = int(self.city.max()) + 1 if n else 1
        pairs = self._groups(self.topic * cities + self.city)
        self.by_topic_city = {(key // cities, key % cities): group for key, group in pairs.items()}
        self.by_topic = self._groups(self.topic)
        self.by_city = self._groups(self.city)

    def _groups(self, keys: np.ndarray) -> dict[int, _Group]:
        """Articles by key, each group in date order: one sort for all (15,000 groups of one 全国 article at 100,000)."""
        order = np.lexsort((np.arange(len(keys)), self.day, keys))
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)
        ends = np.r_[starts[1:], len(keys)]
        return {
            key: _Group(order[start:end], self.day, in_date_order=True)
            for key, start, end in zip(ordered[starts].tolist(), starts.tolist(), ends.tolist())
        }

    # --- ranking many articles at once -----------------------------------------------------

    def rank_topics(self, topics: list[int]) -> list[list[int]]:
        """Lists for every article of the given topics (others are left empty)."""
        rows = [index for topic in topics for index in self.by_topic[topic].members.tolist()]
        lists = self.rank_rows(rows)
        return [lists.get(a, []) for a in range(len(self.articles))]

    def rank_rows(self, rows: list[int]) -> dict[int, list[int]]:
        """Lists for the given articles.

        Most articles are settled in bulk: scored against their own (topic, city) group, then
        against the articles sharing their rarest tags, then against their whole topic, as one
        matrix each; a row is final when its k-th best score beats anything outside the
        candidates. The few rows left are ranked one by one.
        """
        w = self.w
        results: list[list[int] | None] = [None] * len(self.articles)
        outside_group = max(w.topic, w.city) + w.tags + w.date  # the best any other class can score
        outside_topic = w.city + w.tags + w.date
        wanted = set(rows)
        by_group: dict = defaultdict(list)
        for a in rows:
            by_group[(int(self.topic[a]), int(self.city[a]))].append(a)
        for batch in self._group_batches(by_group):
            chosen = np.concatenate([np.asarray(by_group[key], dtype=np.int64) for key in batch])
            self._settle_rows(chosen, np.concatenate([self.by_topic_city[key].members for key in batch]), outside_group, results)
        self._settle_by_rare_tags([a for a in rows if results[a] is None], results)
        by_topic: dict = defaultdict(list)
        for a in rows:
            if results[a] is None:
                by_topic[int(self.topic[a])].append(a)
        for topic, members in by_topic.items():
            pending = np.asarray(members, dtype=np.int64)
            for start in range(0, len(pending), 512):
                self._settle_rows(pending[start : start + 512], self.by_topic[topic].members, outside_topic, results)
        for a in rows:
            if results[a] is None:
                results[a] = self.rank(a)
        return {a: cast("list[int]", results[a]) for a in wanted}  # every row is settled above

    def _group_batches(self, keys) -> list[list[tuple[int, int]]]:
        """The (topic, city) groups that can settle rows, smallest first, the small ones of a topic together.

        A group settles a row only with more than `count + 2` other members. Groups of one topic
        share a matrix while that costs less than a call each: a row's k-th best, from its own
        group, beats every article of another city in it anyway.
        """
        batches: list[list[tuple[int, int]]] = []
        size = 0
        sized = sorted((key[0], len(self.by_topic_city[key].members), key) for key in keys)
        for topic, members, key in sized:
            if members <= self.count + 2:
                continue
            if batches and batches[-1][0][0] == topic and 2 * size * members < _MATRIX_CALL:
                batches[-1].append(key)
                size += members
            else:
                batches.append([key])
                size = members
        return batches

    def _settle_by_rare_tags(self, rows: list[int], results: list) -> None:
        """Settle rows against the articles that share their rarest tags, and their own group.

        These are the rows their (topic, city) group cannot fill: every 全国 article (its city is
        its own) and those of small cities. Their whole topic, the next candidates, is 17,000
        articles at 100,000. Two tries, the second for the rows the first left open: the
        articles having both of the row's two rarest tags, then those having one of its two
        rarest that are not common (or the one). An article outside them lacks those tags, so
        its share is at most 1 - their rarity / the row's total (the smaller of the two
        rarities, for the first), which nearly always leaves it below the k-th best of those
        inside. (At 100,000 the first settles five rows in six.)
        """
        w = self.w
        if w.tags <= 0 or not rows:
            return
        pending = np.asarray(rows, dtype=np.int64)
        city_sizes = np.bincount(self.city)
        topic_sizes = np.bincount(self.topic)
        # The best an article outside the candidates can do is another class's bonus, the same
        # day, and the tags but the rarest ones. The row's own group is among the candidates.
        bonus = np.maximum(w.topic, np.where(city_sizes[self.city[pending]] > 1, w.city, 0.0))
        groups = self.topic[pending] * len(city_sizes) + self.city[pending]
        rarest, rare = self._rarest_tags(pending, common=True), self._rarest_tags(pending, common=False)
        for ranked_tags, every in ((rarest[:, :2], True), (rare[:, :2], False)):
            is_open = np.array([results[a] is None for a in pending.tolist()], dtype=bool)
            open_rows = np.flatnonzero(is_open & (ranked_tags[:, -1 if every else 0] >= 0))
            keys = ranked_tags[open_rows]
            order = np.lexsort(keys.T[::-1])
            open_rows, keys = open_rows[order], keys[order]
            starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)]) if len(keys) else np.zeros(0, dtype=np.int64)
            for start, end in zip(starts.tolist(), np.r_[starts[1:], len(keys)].tolist()):
                batch = open_rows[start:end]
                tags = [t for t in keys[start].tolist() if t >= 0]
                own = [self.by_topic_city[(g // len(city_sizes), g % len(city_sizes))].members for g in np.unique(groups[batch]).tolist()]
                most = int(self.frequency[tags].min() if every else self.frequency[tags].sum()) + sum(len(m) for m in own)
                if len(batch) * most + _MATRIX_CALL >= topic_sizes[self.topic[pending[batch]]].sum():
                    continue  # their topics are about as cheap: small topics, or a small site
                if every:
                    having = self.postings[tags[0]]
                    for tag in tags[1:]:
                        having = having[(self.tag_matrix[having] == tag).any(axis=1)]
                    parts = [having]
                else:
                    parts = [self.postings[t] for t in tags]
                candidates = np.unique(np.concatenate(parts + own))
                rarity = float(self.idf[tags].min() if every else self.idf[tags].sum())
                left_out = 1.0 - rarity / self.tag_total[pending[batch]]
                outside = bonus[batch] + w.tags * np.maximum(left_out, 0.0) + w.date
                for first in range(0, len(batch), 512):
                    chunk = slice(first, first + 512)
                    self._settle_rows(pending[batch[chunk]], candidates, outside[chunk], results)

    def _rarest_tags(self, rows: np.ndarray, common: bool) -> np.ndarray:
        """Each row's tags, rarest first (ties by tag), common ones only if asked, -1 after them."""
        tags = self.tag_matrix[rows]
        if not len(self.frequency):  # no article has a tag: nothing to rank by
            return np.full(tags.shape, -1, dtype=tags.dtype)
        valid = tags >= 0
        frequency = np.where(valid, self.frequency[np.maximum(tags, 0)], 0)
        kept = valid & (common | (frequency <= self.common_at))
        # Rarest first is fewest articles first, as idf falls with frequency.
        key = np.where(kept, frequency * (len(self.frequency) + 1) + tags, np.iinfo(np.int64).max)
        order = np.argsort(key, axis=1, kind="stable")
        ranked = np.where(np.take_along_axis(kept, order, axis=1), np.take_along_axis(tags, order, axis=1), -1)
        # A tag given twice is one tag (RelatedInput may come from elsewhere than the loader).
        repeated = np.zeros(ranked.shape, dtype=bool)
        repeated[:, 1:] = (ranked[:, 1:] == ranked[:, :-1]) & (ranked[:, 1:] >= 0)
        ranked[repeated] = -1
        return np.take_along_axis(ranked, np.argsort(ranked < 0, axis=1, kind="stable"), axis=1)

    def _settle_rows(
        self, rows: np.ndarray, candidates: np.ndarray, outside: float | np.ndarray, results: list, wanted: int = 0
    ) -> None:
        """Rank `rows` among `candidates` in one matrix; keep the rows no outside article can join."""
        wanted = wanted or self.count + 2
        extra = 6  # columns kept beyond `wanted`, to see ties at the cut
        if len(rows) == 0 or len(candidates) - 1 < wanted:
            return
        scores = self._score_matrix(rows, candidates)
        columns = min(wanted + extra, len(candidates))
        top = np.argpartition(scores, len(candidates) - columns, axis=1)[:, -columns:]
        raw = np.take_along_axis(scores, top, axis=1)
        # Rounded, so that equal scores reached by different sums compare equal (as in _scores()).
        top_scores = np.round(raw, 9)
        top_ids = candidates[top]
        order = np.lexsort((top_ids, -self.day[top_ids], -top_scores), axis=1)
        top_ids = np.take_along_axis(top_ids, order, axis=1)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        kth = top_scores[:, wanted - 1]
        # Every candidate left out scores at most the lowest taken: when that is below the k-th
        # best, no tie at the cut was left out.
        ties_seen = raw.min(axis=1) < kth - 2e-9 if columns < len(candidates) else True
        settled = (kth > outside + _EPSILON) & ties_seen & np.isfinite(kth)
        ranked = top_ids[settled, :wanted]
        shown = self._shown(rows[settled], ranked)
        enough = shown.sum(axis=1) >= self.count
        # Each row's first `count` shown candidates, in rank order (a stable sort keeps it).
        chosen = np.take_along_axis(ranked, np.argsort(~shown, axis=1, kind="stable")[:, : self.count], axis=1)
        for a, row_ranked, row_chosen in zip(rows[settled][enough].tolist(), ranked[enough].tolist(), chosen[enough].tolist()):
            results[a] = row_chosen
            self.candidates[a] = (row_ranked, False)
        # Rows whose repeated titles or near-copies used up the spare places try again with more.
        short = rows[settled][~enough]
        if short.size:
            outside = np.asarray(outside)[settled][~enough] if np.ndim(outside) else outside
            self._settle_rows(short, candidates, outside, results, wanted * 2)

    def _shown(self, rows: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        """Which of each row's ranked candidates the filter keeps, as _filtered() would.

        A candidate is dropped when it is a near-copy of the row, has the row's title, or has
        the title of an earlier candidate that is no near-copy (that one, or one before it with
        the same title, was kept: a near-copy never takes a title from a later candidate).
        """
        near = self._near_copies(rows, ranked)
        titles = self.title_code[ranked]
        earlier = np.tri(ranked.shape[1], k=-1, dtype=bool)  # [j, i]: i comes before j
        taken = ((titles[:, :, None] == titles[:, None, :]) & ~near[:, None, :] & earlier).any(axis=2)
        return ~near & (titles != self.title_code[rows][:, None]) & ~taken

    def _score_matrix(self, rows: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Scores of every (row, candidate) pair, -inf for the row itself.

        An unrelated pair (no tag, topic or city in common) scores its closeness in date alone,
        at most w_date, which is below any bar a row is settled by (see _settle_rows): so it is
        left unmarked. Written with in-place operations: this matrix is the bulk of the ranking's
        work.
        """
        w = self.w
        scores = self._tag_scores(rows, candidates)
        same_topic = self._same(self.topic, rows, candidates)
        same_city = self._same(self.city, rows, candidates)
        for weight, where in ((w.topic, same_topic), (w.city, same_city), (self.lift, same_topic & same_city)):
            if weight and where is True:
                scores += weight
            elif weight and where is not False:
                np.add(scores, weight, out=scores, where=where)
        gap = self.day[rows][:, None] - self.day[candidates][None, :]
        np.abs(gap, out=gap)
        scores += self.closeness.take(gap)
        order = np.argsort(candidates, kind="stable")
        at = np.minimum(np.searchsorted(candidates[order], rows), len(candidates) - 1)
        itself = candidates[order[at]] == rows
        scores[np.flatnonzero(itself), order[at[itself]]] = -np.inf
        return scores

    @staticmethod
    def _same(codes: np.ndarray, rows: np.ndarray, candidates: np.ndarray):
        """Where row and candidate have the same code, as a matrix, or True or False for all pairs."""
        mine, theirs = codes[rows], codes[candidates]
        if mine.min() == mine.max() == theirs.min() == theirs.max():
            return True
        if mine.min() > theirs.max() or mine.max() < theirs.min():
            return False
        return mine[:, None] == theirs[None, :]

    def _tag_scores(self, rows: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """w_tags times the rarity-weighted share of the row's tags that the candidate has, for every pair."""
        row_tags = self.tag_matrix[rows]
        used = np.unique(row_tags[row_tags >= 0])
        scores = np.zeros((len(rows), len(candidates)))
        if not used.size or self.w.tags <= 0:
            return scores
        totals = self.tag_total[rows]
        row_weights = self._incidence(rows, used, self.idf_matrix[rows] * (self.w.tags / np.where(totals > 0, totals, 1.0))[:, None])
        held = self._incidence(candidates, used, None).T
        # A few rows at a time: OpenBLAS runs a bigger product on threads of its own, which made
        # it five times slower on two cores, and slower still in forked workers, whose threads
        # spin against each other. It keeps one of fewer than about 2^18 multiplications to the
        # calling thread.
        step = max(1, 2**18 // (len(used) * len(candidates)))
        for start in range(0, len(rows), step):
            np.matmul(row_weights[start : start + step], held, out=scores[start : start + step])
        return scores

    def _incidence(self, ids: np.ndarray, used: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """Matrix of which of the `used` tags each article has (or the given weights there)."""
        tags = self.tag_matrix[ids]
        column = np.minimum(np.searchsorted(used, np.maximum(tags, 0)), len(used) - 1)
        valid = (tags >= 0) & (used[column] == tags)
        matrix = np.zeros((len(ids), len(used)))
        row = np.broadcast_to(np.arange(len(ids))[:, None], tags.shape)
        matrix[row[valid], column[valid]] = 1.0 if weights is None else weights[valid]
        return matrix

    def _filter(self, a: int, ranked: list[int]) -> list[int]:
        return _filtered(a, ranked, self.count, self.filter_inputs, self._sketch_sets)

    def sketches(self) -> np.ndarray:
        """Every article's sketch as one row of a matrix (zeros where shorter than SKETCH_SIZE).

        Made on first use: updating a few lists after an edit never needs it.
        """
        if self._sketch_matrix is None:
            full = [index for index, a in enumerate(self.articles) if len(a.sketch) == SKETCH_SIZE]
            self._sketch_full = np.zeros(len(self.articles), dtype=bool)
            self._sketch_full[full] = True
            matrix = np.zeros((len(self.articles), SKETCH_SIZE), dtype=np.uint64)
            values = chain.from_iterable(self.articles[index].sketch for index in full)
            matrix[full] = np.fromiter(values, dtype=np.uint64, count=len(full) * SKETCH_SIZE).reshape(-1, SKETCH_SIZE)
            self._sketch_matrix = matrix
        return self._sketch_matrix

    def _near_copies(self, rows: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """For each row's candidates, True where the two are near-copies (see _is_near_copy).

        sketch_similarity() for a whole matrix at once: sorting two sketches together puts each
        shared value next to itself (a sketch holds distinct values). Pairs sharing enough values
        to be near-copies at all (a few in a hundred) are measured exactly: the union's first
        SKETCH_SIZE values are those before its SKETCH_SIZE-th distinct one. Pairs with a short
        sketch go to _is_near_copy, one by one.
        """
        sketches = self.sketches()
        near = np.zeros(candidates.shape, dtype=bool)
        if rows.size == 0:
            return near
        # Both sketches of each pair side by side, gathered in one go.
        ids = np.stack([np.broadcast_to(rows[:, None], candidates.shape), candidates], axis=2)
        pairs = sketches[ids].reshape(*candidates.shape, 2 * SKETCH_SIZE)
        pairs.sort(axis=2)
        shared = pairs[..., 1:] == pairs[..., :-1]  # at the first of the two copies of a shared value
        full = self._sketch_full[rows][:, None] & self._sketch_full[candidates]
        maybe = full & (shared.sum(axis=2) >= NEAR_COPY_SIMILARITY * SKETCH_SIZE - 1)
        if maybe.any():
            close = shared[maybe]
            distinct = np.cumsum(~close, axis=1)  # distinct values up to the next one
            in_union = np.concatenate([np.ones((len(close), 1), dtype=bool), distinct[:, :-1] < SKETCH_SIZE], axis=1)
            near[maybe] = (close & in_union).sum(axis=1) / SKETCH_SIZE >= NEAR_COPY_SIMILARITY
        for row, column in np.argwhere(~full).tolist():
            near[row, column] = _is_near_copy(int(rows[row]), int(candidates[row, column]), self.filter_inputs, self._sketch_sets)
        return near

    # --- ranking one article ---------------------------------------------------------------

    def rank(self, a: int) -> list[int]:
        """The best `count` articles for `a`, skipping itself, repeated titles and near-copies."""
        wanted = self.count + 4
        while True:
            ranked, exhausted = self._top(a, wanted)
            chosen = self._filter(a, ranked)
            if len(chosen) == self.count or exhausted:
                self.candidates[a] = (ranked, exhausted)
                return chosen
            wanted *= 2

    def _top(self, a: int, k: int) -> tuple[list[int], bool]:
        """The k highest-scoring related articles of `a`, and whether fewer than k exist."""
        w = self.w
        topic, city = int(self.topic[a]), int(self.city[a])
        found = _Found(k)
        tags = self.tag_matrix[a][self.tag_matrix[a] >= 0]
        tag_idf = self.idf[tags]
        order = np.argsort(-tag_idf, kind="stable")
        tags, tag_idf = tags[order], tag_idf[order]
        total = float(self.tag_total[a])
        # Rarest first, so the rare tags are a prefix. A common tag's postings (a third of the site,
        # say) are never gathered whole: its articles are met by the date-ordered walks below.
        rare = int((self.frequency[tags] <= self.common_at).sum())

        same_topic = lambda c: self.topic[c] == topic  # noqa: E731
        same_city = lambda c: self.city[c] == city  # noqa: E731
        classes = [
            (w.topic + w.city + self.lift, self.by_topic_city.get((topic, city)), lambda c: same_topic(c) & same_city(c)),
            (w.topic, self.by_topic.get(topic), lambda c: same_topic(c) & ~same_city(c)),
            (w.city, self.by_city.get(city), lambda c: ~same_topic(c) & same_city(c)),
            (0.0, None, lambda c: ~same_topic(c) & ~same_city(c)),
        ]
        # Search the class with the larger bonus first: it sets the bar the others must clear.
        classes.sort(key=lambda item: -item[0])
        for bonus, group, in_class in classes:
            if found.threshold() > bonus + w.tags + w.date + _EPSILON:
                continue
            # Articles whose tag share could still lift them over the bar, via the rarest tags.
            share_needed = (found.threshold() - bonus - w.date) / w.tags if w.tags > 0 else math.inf
            scored = np.empty(0, dtype=np.int64)
            prefix = 0
            if tags.size and total > 0 and share_needed < 1:
                prefix = min(_prefix_length(tag_idf, total, share_needed), rare)
                if prefix:
                    scored = np.unique(np.concatenate([self.postings[t] for t in tags[:prefix]]))
                    scored = scored[(scored != a) & in_class(scored)]
                    found.add(scored, self._scores(a, scored, tags, total, bonus))
            # Every article not scored yet shares none of the first `prefix` tags.
            share_cap = max(1.0 - float(tag_idf[:prefix].sum()) / total, 0.0) if prefix else 1.0
            if group is not None:
                self._walk_by_date(a, group, in_class, bonus, tags, total, share_cap, scored, found)
            elif prefix < len(tags) and total > 0 and found.threshold() <= bonus + w.tags * share_cap + w.date + _EPSILON:
                # No date-ordered group holds the tags-only class: walk the postings of the tags
                # left out of the prefix (common ones only: a rare tag left out cannot lift anyone
                # over the bar), each in date order.
                for tag in tags[max(prefix, rare) :].tolist():
                    scored = self._walk_by_date(a, self._common_group(tag), in_class, bonus, tags, total, share_cap, scored, found)
        return found.ranked(self.day), found.size < k

    def _common_group(self, tag: int) -> _Group:
        group = self._common_groups.get(tag)
        if group is None:
            group = self._common_groups[tag] = _Group(self.postings[tag], self.day)
        return group

    def _walk_by_date(self, a, group: _Group, in_class, bonus, tags, total, share_cap, scored, found: _Found) -> np.ndarray:
        """Score the group's articles nearest in date until none left could beat the k-th best.

        Articles not in `scored` share at most `share_cap` of the tags, so each scores at most
        bonus + w_tags·share_cap + w_date·decay(days apart). Returns `scored` with the ones added.
        """
        w = self.w
        position = int(np.searchsorted(group.days, self.day[a], side="left"))
        left, right = position - 1, position
        day = int(self.day[a])
        batch = 32
        added = [scored]
        while left >= 0 or right < len(group.members):
            taken_left = group.members[max(0, left - batch + 1) : left + 1][::-1] if left >= 0 else group.members[:0]
            taken_right = group.members[right : right + batch]
            left -= len(taken_left)
            right += len(taken_right)
            batch_ids = np.concatenate([taken_left, taken_right])
            batch_ids = batch_ids[(batch_ids != a) & in_class(batch_ids)]
            if batch_ids.size and scored.size:
                batch_ids = batch_ids[~np.isin(batch_ids, scored, assume_unique=True)]
            if batch_ids.size:
                found.add(batch_ids, self._scores(a, batch_ids, tags, total, bonus))
                added.append(batch_ids)
            nearest_left = day - int(group.days[left]) if left >= 0 else math.inf
            nearest_right = int(group.days[right]) - day if right < len(group.members) else math.inf
            gap = min(nearest_left, nearest_right)
            if gap == math.inf:
                break
            best_left = bonus + w.tags * share_cap + float(self.closeness[min(int(gap), len(self.closeness) - 1)])
            if found.full() and best_left < found.threshold() - _EPSILON:
                break
            batch = min(batch * 2, 4096)
        return np.concatenate(added) if len(added) > 1 else scored

    def _scores(self, a: int, candidates: np.ndarray, tags: np.ndarray, total: float, bonus: float) -> np.ndarray:
        w = self.w
        if tags.size and total > 0:
            shared = np.isin(self.tag_matrix[candidates], tags) & (self.tag_matrix[candidates] >= 0)
            share = (self.idf_matrix[candidates] * shared).sum(axis=1) / total
        else:
            share = np.zeros(len(candidates))
        closeness = self.closeness[np.abs(self.day[candidates] - self.day[a])]
        # Scores are rounded so that equal scores compare equal whatever the order of additions.
        return np.round(bonus + w.tags * share + closeness, 9)


class _Found:
    """The candidates scored so far for one article (each once), with the k-th best score."""

    def __init__(self, k: int):
        self.k = k
        self.ids: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []
        self.size = 0
        self._threshold = -math.inf

    def full(self) -> bool:
        return self.size >= self.k

    def threshold(self) -> float:
        return self._threshold

    def add(self, candidates: np.ndarray, scores: np.ndarray) -> None:
        if not len(candidates):
            return
        self.ids.append(candidates)
        self.scores.append(scores)
        self.size += len(candidates)
        if self.size >= self.k:
            values = np.concatenate(self.scores)
            self._threshold = float(np.partition(values, self.size - self.k)[self.size - self.k])

    def ranked(self, day: np.ndarray) -> list[int]:
        """Best first; ties go to the newer article, then to the earlier one in input order."""
        if not self.ids:
            return []
        ids, scores = np.concatenate(self.ids), np.concatenate(self.scores)
        if self.size > self.k:
            keep = scores >= self._threshold
            ids, scores = ids[keep], scores[keep]
        order = np.lexsort((ids, -day[ids], -scores))
        return ids[order][: self.k].tolist()


def _prefix_length(tag_idf: np.ndarray, total: float, share_needed: float) -> int:
    """How many of the rarest tags an article must share one of, to have a share above share_needed.

    An article sharing none of the first p tags has a share of at most 1 - mass(p)/total.
    """
    if share_needed <= 0:
        return len(tag_idf)
    mass = np.cumsum(tag_idf) / total
    return min(len(tag_idf), int(np.searchsorted(mass, 1 - share_needed - _EPSILON, side="left")) + 1)


def same_place_lift(weights) -> float:
    """What an article of the same topic and city gains beyond both weights, to rank above all others.

    Given when topic and city both count and together outweigh tags and date, as by default."""
    if weights.topic > 0 and weights.city > 0 and weights.topic + weights.city >= weights.tags + weights.date:
        return weights.tags + weights.date
    return 0.0


def _codes(values: list) -> np.ndarray:
    table: dict = {}
    return np.array([table.setdefault(v, len(table)) for v in values], dtype=np.int64)
