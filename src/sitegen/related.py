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
through a common tag, by walking the class outward in date order. The result is the same as
scoring every pair.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
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
_PARALLEL_THRESHOLD = 30000  # below this a process pool costs more than it saves (10k: 0.45 s alone, 0.70 s on two)


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
    topics = list(ranker.by_topic)
    if jobs <= 1 or len(articles) < _PARALLEL_THRESHOLD or not hasattr(os, "fork"):
        lists = ranker.rank_topics(topics)
        candidates = [ranker.candidates.get(a, ([], True)) for a in range(len(articles))]
    else:
        lists, candidates = _rank_in_processes(ranker, topics, jobs)
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


def _filtered(a: int, ranked: list[int], count: int, inputs, sketch_sets: dict, far=()) -> list[int]:
    """Drop repeated titles and near-copies of `a` from `ranked`, keeping the order; stop at count.

    `far` holds candidates already known to be no near-copy of `a`."""
    chosen: list[int] = []
    seen_titles = {inputs[a][0]}
    for b in ranked:
        if inputs[b][0] in seen_titles or (b not in far and _is_near_copy(a, b, inputs, sketch_sets)):
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


def _rank_in_processes(ranker: _Ranker, topics: list[int], jobs: int) -> tuple[list[list[int]], list]:
    # Workers are forked, so they share the index with this process instead of receiving a copy.
    by_size = sorted(topics, key=lambda t: -len(ranker.by_topic[t].members))
    shares: list[list[int]] = [[] for _ in range(jobs * 4)]
    for number, topic in enumerate(by_size):  # deal topics out largest first, like cards
        shares[number % len(shares)].append(topic)
    result: list[list[int]] = [[] for _ in ranker.articles]
    candidates: list = [([], True) for _ in ranker.articles]
    for part in run_chunks(_rank_shares, [s for s in shares if s], shared=ranker, jobs=jobs, minimum=1, smallest=1):
        for index, (lists, ranked) in part.items():
            result[index] = lists
            candidates[index] = ranked
    return result, candidates


def _rank_shares(ranker: _Ranker, shares: Sequence[list[int]]) -> dict[int, tuple[list[int], tuple[list[int], bool]]]:
    topics = [topic for share in shares for topic in share]
    lists = ranker.rank_topics(topics)
    members = [index for topic in topics for index in ranker.by_topic[topic].members.tolist()]
    return {index: (lists[index], ranker.candidates.get(index, ([], True))) for index in members}


class _Group:
    """Members of one topic, city or (topic, city), in date order, with each member's position."""

    __slots__ = ("days", "members")

    def __init__(self, members: list[int], day: np.ndarray):
        members.sort(key=lambda i: (int(day[i]), i))
        self.members = np.asarray(members, dtype=np.int64)
        self.days = day[self.members]


class _Ranker:
    def __init__(self, articles: Sequence[RelatedInput], settings: RelatedSettings):
        self.articles = articles
        self.count = settings.count
        self.w = settings.weights
        n = len(articles)
        tag_ids: dict[str, int] = {}
        rows = [[tag_ids.setdefault(t, len(tag_ids)) for t in a.tags] for a in articles]
        width = max((len(r) for r in rows), default=0) or 1
        self.tag_matrix = np.full((n, width), -1, dtype=np.int64)
        for index, row in enumerate(rows):
            self.tag_matrix[index, : len(row)] = row
        frequency = np.bincount(self.tag_matrix[self.tag_matrix >= 0], minlength=len(tag_ids))
        # A rare tag says more about two articles than one on every page (inverse document frequency).
        self.idf = np.log1p(n / np.maximum(frequency, 1)) if len(tag_ids) else np.zeros(1)
        self.idf_matrix = np.where(self.tag_matrix >= 0, self.idf[np.maximum(self.tag_matrix, 0)], 0.0)
        self.tag_total = self.idf_matrix.sum(axis=1)
        postings: list[list[int]] = [[] for _ in tag_ids]
        for index, row in enumerate(rows):
            for tag in row:
                postings[tag].append(index)
        self.postings = [np.asarray(p, dtype=np.int64) for p in postings]
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
        self.filter_inputs = [(key, a.sketch) for key, a in zip(self.title_key, articles)]
        self._sketch_sets: dict[int, frozenset] = {}
        self.candidates: dict[int, tuple[list[int], bool]] = {}  # what each list was filtered from
        self.by_topic_city = self._groups(zip(self.topic.tolist(), self.city.tolist()))
        self.by_topic = self._groups(self.topic.tolist())
        self.by_city = self._groups(self.city.tolist())

    def _groups(self, keys) -> dict:
        grouped: dict = defaultdict(list)
        for index, key in enumerate(keys):
            grouped[key].append(index)
        return {key: _Group(members, self.day) for key, members in grouped.items()}

    # --- ranking many articles at once -----------------------------------------------------

    def rank_topics(self, topics: list[int]) -> list[list[int]]:
        """Lists for every article of the given topics (others are left empty)."""
        rows = [index for topic in topics for index in self.by_topic[topic].members.tolist()]
        lists = self.rank_rows(rows)
        return [lists.get(a, []) for a in range(len(self.articles))]

    def rank_rows(self, rows: list[int]) -> dict[int, list[int]]:
        """Lists for the given articles.

        Most articles are settled in bulk: scored against their own (topic, city) group, then
        against their whole topic, as one matrix each; a row is final when its k-th best score
        beats anything outside the candidates. The few rows left are ranked one by one.
        """
        w = self.w
        results: list[list[int] | None] = [None] * len(self.articles)
        outside_group = max(w.topic, w.city) + w.tags + w.date  # the best any other class can score
        outside_topic = w.city + w.tags + w.date
        wanted = set(rows)
        by_group: dict = defaultdict(list)
        for a in rows:
            by_group[(int(self.topic[a]), int(self.city[a]))].append(a)
        for key, members in by_group.items():
            group = self.by_topic_city[key]
            chosen = group.members if len(members) == len(group.members) else np.asarray(members, dtype=np.int64)
            self._settle_rows(chosen, group.members, outside_group, results)
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

    def _settle_rows(self, rows: np.ndarray, candidates: np.ndarray, outside: float, results: list) -> None:
        """Rank `rows` among `candidates` in one matrix; keep the rows no outside article can join."""
        wanted = self.count + 2
        extra = 6  # columns kept beyond `wanted`, to see ties at the cut
        if len(rows) == 0 or len(candidates) - 1 < wanted:
            return
        scores = self._score_matrix(rows, candidates)
        columns = min(wanted + extra, len(candidates))
        top = np.argpartition(-scores, columns - 1, axis=1)[:, :columns]
        # Rounded, so that equal scores reached by different sums compare equal (as in _scores()).
        top_scores = np.round(np.take_along_axis(scores, top, axis=1), 9)
        top_ids = candidates[top]
        order = np.lexsort((top_ids, -self.day[top_ids], -top_scores), axis=1)
        top_ids = np.take_along_axis(top_ids, order, axis=1)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        kth = top_scores[:, wanted - 1]
        at_least_kth = (scores >= (kth - 2e-9)[:, None]).sum(axis=1)
        settled = (kth > outside + _EPSILON) & (at_least_kth <= columns) & np.isfinite(kth)
        settled_rows = np.flatnonzero(settled)
        far = self._far_pairs(rows[settled_rows], top_ids[settled_rows, :wanted])
        for number, row in enumerate(settled_rows.tolist()):
            a = int(rows[row])
            ranked = top_ids[row, :wanted].tolist()
            chosen = self._filter(a, ranked, {b for b, clear in zip(ranked, far[number].tolist()) if clear})
            if len(chosen) == self.count:
                results[a] = chosen
                self.candidates[a] = (ranked, False)

    def _score_matrix(self, rows: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Scores of every (row, candidate) pair, -inf where unrelated or the same article.

        Written with in-place operations: this matrix is the bulk of the ranking's work.
        """
        w = self.w
        row_tags = self.tag_matrix[rows]
        used = np.unique(row_tags[row_tags >= 0])
        totals = self.tag_total[rows]
        same_topic = self.topic[rows][:, None] == self.topic[candidates][None, :]
        same_city = self.city[rows][:, None] == self.city[candidates][None, :]
        related = same_topic | same_city
        if used.size and w.tags > 0:
            row_weights = self.idf_matrix[rows] * (w.tags / np.where(totals > 0, totals, 1.0))[:, None]
            scores = self._incidence(rows, used, row_weights) @ self._incidence(candidates, used, None).T
            related |= scores > 0
        else:
            scores = np.zeros((len(rows), len(candidates)))
        scores += w.topic * same_topic
        scores += w.city * same_city
        if self.lift:
            scores += self.lift * (same_topic & same_city)
        gap = self.day[rows][:, None] - self.day[candidates][None, :]
        np.abs(gap, out=gap)
        scores += self.closeness[gap]
        scores[~related | (rows[:, None] == candidates[None, :])] = -np.inf
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

    def _filter(self, a: int, ranked: list[int], far=()) -> list[int]:
        return _filtered(a, ranked, self.count, self.filter_inputs, self._sketch_sets, far)

    def _far_pairs(self, rows: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """For each row's candidates, True where the two sketches share too few values to be near-copies.

        The same test as _is_near_copy's first one, for a whole matrix at once: sorting the two
        sketches together puts each shared value next to itself (a sketch holds distinct values).
        Sketches shorter than SKETCH_SIZE are left to the exact test.
        """
        if self._sketch_matrix is None:
            matrix = np.zeros((len(self.articles), SKETCH_SIZE), dtype=np.uint64)
            self._sketch_full = np.zeros(len(self.articles), dtype=bool)
            for index, a in enumerate(self.articles):
                if len(a.sketch) == SKETCH_SIZE:
                    matrix[index] = a.sketch
                    self._sketch_full[index] = True
            self._sketch_matrix = matrix
        if rows.size == 0:
            return np.zeros(candidates.shape, dtype=bool)
        pairs = np.concatenate(
            [np.broadcast_to(self._sketch_matrix[rows][:, None, :], (*candidates.shape, SKETCH_SIZE)), self._sketch_matrix[candidates]],
            axis=2,
        )
        pairs.sort(axis=2)
        shared = (pairs[..., 1:] == pairs[..., :-1]).sum(axis=2)
        full = self._sketch_full[rows][:, None] & self._sketch_full[candidates]
        return full & (shared < NEAR_COPY_SIMILARITY * SKETCH_SIZE - 1)

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
            group = self._common_groups[tag] = _Group(self.postings[tag].tolist(), self.day)
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
