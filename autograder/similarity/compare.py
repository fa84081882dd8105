"""Pair scores: how much of two authors' code for each TODO is the same.

For one TODO and two regions, copydetect's measure counts the
normalised characters of each region covered by fingerprints the other region
shares. A region's *share* is that count over the region's fingerprinted
characters. The pair's score on the TODO is the larger of the two shares: the
part of one author's code found in the other's. Taking the larger share keeps a
copy that was padded with unused lines high (the padding lowers only the
copy's own share, not the original's).

A pair's *overall* score pools the TODOs both authors wrote: the overlapping
characters of all those TODOs over their fingerprinted characters, again the
larger of the two sides. TODOs named in ``weak_todos`` are shown but left out
of the overall score: their hints spell out every step (the training and
evaluation loops), and independent solutions overlap there as much as copies.
Regions whose normalised code is shorter than ``min_region_chars`` are left
out: there is one obvious way to write them (``self.embedding =
nn.Embedding(...)``), and agreement there says nothing.

:func:`match_regions` computes the shares as copydetect does, without numpy's
per-call cost (a class of 300 has about 45,000 pairs of 10 TODOs);
:func:`highlighted_slices` uses :func:`copydetect.compare_files` itself.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from copydetect import compare_files
from copydetect.utils import find_fingerprint_overlap, get_copied_slices
from tqdm.auto import tqdm

from autograder.similarity.fingerprints import RegionFingerprint, raw_spans

#: Smaller classes are compared in this process: starting worker processes costs more.
POOL_MIN_STUDENTS = 60


@dataclass
class Author:
    """A student (their latest final submission) or a known solution.

    Attributes:
        key: a unique, stable key (sorting and the CSV).
        label: the name shown in the report.
        known: True for a known solution.
        regions: TODO -> fingerprint of the student region (absent: none found).
        problems: what could not be read, for the report.
        source: where it came from (a submission's file name, a known file's path).
    """

    key: str
    label: str
    known: bool
    regions: dict[str, RegionFingerprint] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    source: str = ""


@dataclass(frozen=True)
class TodoMatch:
    """One TODO of one pair: the shares of each side and the overlapping characters."""

    share_a: float
    share_b: float
    overlap_a: int
    overlap_b: int
    covered_a: int
    covered_b: int

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)


@dataclass(frozen=True)
class PairResult:
    """Two authors, their TODO matches and the overall score."""

    a: Author
    b: Author
    todos: dict[str, TodoMatch]
    #: TODOs left out of the overall score (``similarity.weak_todos``).
    weak: frozenset[str] = frozenset()

    @property
    def overall(self) -> float:
        pooled = [match for todo, match in self.todos.items() if todo not in self.weak]
        if not pooled:
            return 0.0
        over_a = sum(m.overlap_a for m in pooled)
        over_b = sum(m.overlap_b for m in pooled)
        cover_a = sum(m.covered_a for m in pooled)
        cover_b = sum(m.covered_b for m in pooled)
        return max(over_a / cover_a if cover_a else 0.0, over_b / cover_b if cover_b else 0.0)

    @property
    def best_todo(self) -> float:
        return max((m.score for m in self.todos.values()), default=0.0)


def comparable(fingerprint: RegionFingerprint | None, min_chars: int) -> bool:
    """Whether a region is long enough, after normalisation and boilerplate, to score."""
    return (fingerprint is not None and len(fingerprint.filtered_code) >= min_chars
            and fingerprint.token_coverage > 0)


def covered_length(positions: list[int], k: int) -> int:
    """Characters covered by the k-grams starting at ``positions`` (the union of
    ``[p, p + k)``): what copydetect's ``get_copied_slices`` sums, without numpy's
    per-call cost on a handful of positions."""
    total, end = 0, -1
    for start in sorted(positions):
        if start > end:
            total += k
        else:
            total += start + k - end
        end = start + k
    return total


def match_regions(first: RegionFingerprint, second: RegionFingerprint) -> TodoMatch:
    """The shares of two regions: the characters of each covered by fingerprints both
    have, over its fingerprinted characters (copydetect's ``compare_files`` measure;
    tests/test_similarity.py checks that the two agree)."""
    shared = first.hashes & second.hashes
    if not shared:
        return TodoMatch(0.0, 0.0, 0, 0, first.token_coverage, second.token_coverage)
    over_a = covered_length([p for h in shared for p in first.hash_idx[h]], first.k)
    over_b = covered_length([p for h in shared for p in second.hash_idx[h]], second.k)
    share_a = min(1.0, over_a / first.token_coverage) if first.token_coverage else 0.0
    share_b = min(1.0, over_b / second.token_coverage) if second.token_coverage else 0.0
    return TodoMatch(share_a, share_b, min(over_a, first.token_coverage),
                     min(over_b, second.token_coverage), first.token_coverage,
                     second.token_coverage)


def copydetect_shares(first: RegionFingerprint,
                      second: RegionFingerprint) -> tuple[float, float]:
    """The two shares as :func:`copydetect.compare_files` computes them."""
    _, shares, _ = compare_files(first, second)
    return float(shares[0]), float(shares[1])


def _to_raw(region: RegionFingerprint, slices: np.ndarray) -> np.ndarray | None:
    if "spans" not in region.extra:  # tokenizing again is the slow part: once per region
        region.extra["spans"] = raw_spans(region.raw_code, region.filtered_code)
    spans = region.extra["spans"]
    if spans is None or not len(spans):
        return None
    starts = spans[np.clip(slices[0], 0, len(spans) - 1), 0]
    ends = spans[np.clip(slices[1] - 1, 0, len(spans) - 1), 1]
    return np.stack([starts, ends]).astype(np.int64)


def highlighted_slices(first: RegionFingerprint,
                       second: RegionFingerprint) -> tuple[np.ndarray, np.ndarray]:
    """Where the shared code is in each region's raw text: two int[2, S] arrays of slice
    starts and ends. The shared normalised slices are copydetect's
    (``find_fingerprint_overlap``, ``get_copied_slices``); they are mapped back to whole
    tokens of the raw text (:func:`raw_spans`), or with copydetect's offsets where
    that fails."""
    empty = np.zeros((2, 0), dtype=np.int64)
    if not first.hashes & second.hashes:
        return empty, empty
    idx_a, idx_b = find_fingerprint_overlap(first.hashes, second.hashes, first.hash_idx,
                                            second.hash_idx)
    mapped = (_to_raw(first, get_copied_slices(idx_a, first.k).astype(np.int64)),
              _to_raw(second, get_copied_slices(idx_b, second.k).astype(np.int64)))
    if mapped[0] is None or mapped[1] is None:
        _, _, (slices_a, slices_b) = compare_files(first, second)
        return (np.asarray(slices_a, dtype=np.int64).reshape(2, -1),
                np.asarray(slices_b, dtype=np.int64).reshape(2, -1))
    return mapped[0], mapped[1]


#: The comparable regions of every author, set in each comparing process.
_REGIONS: list[dict[str, RegionFingerprint]] = []


def _set_regions(regions: list[dict[str, RegionFingerprint]]) -> None:
    _REGIONS[:] = regions


def _compare_rows(rows: list[int], students: int) -> list[tuple[int, int, dict[str, TodoMatch]]]:
    """Every pair ``(i, j)`` for ``i`` in ``rows``: ``j`` a later student or a known
    solution (the authors after the ``students`` first)."""
    found = []
    for i in rows:
        first = _REGIONS[i]
        for j in range(i + 1, len(_REGIONS)):
            if j < students or i < students:
                second = _REGIONS[j]
                found.append((i, j, {todo: match_regions(first[todo], second[todo])
                                     for todo in first if todo in second}))
    return found


def compare_authors(students: list[Author], known: list[Author], todos: Iterable[str],
                    min_chars: int, weak: Iterable[str] = (),
                    progress: bool = True, workers: int = 1) -> list[PairResult]:
    """Every pair of students and every student against every known solution, with the
    TODOs both sides wrote long enough to score; sorted by overall score (highest first),
    then by the keys. With ``workers`` above 1 and a class of at least
    ``POOL_MIN_STUDENTS``, the pairs are split between that many processes."""
    todos = list(todos)
    weak = frozenset(weak)
    authors = students + known
    regions = [{todo: author.regions[todo] for todo in todos
                if comparable(author.regions.get(todo), min_chars)} for author in authors]
    rows = list(range(len(students)))
    bar = tqdm(total=len(rows), desc="comparing", unit="student", disable=not progress,
               dynamic_ncols=True, mininterval=0.5)
    found: list[tuple[int, int, dict[str, TodoMatch]]] = []
    if workers <= 1 or len(students) < POOL_MIN_STUDENTS:
        _set_regions(regions)
        try:
            for i in rows:
                found += _compare_rows([i], len(students))
                bar.update()
        finally:
            _set_regions([])
    else:
        # interleaved rows balance the work: row i compares with every later author
        chunks = [rows[start::4 * workers] for start in range(4 * workers)]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                 initializer=_set_regions, initargs=(regions,)) as pool:
            for chunk, part in zip(chunks, pool.map(_compare_rows, chunks,
                                                    [len(students)] * len(chunks))):
                found += part
                bar.update(len(chunk))
    bar.close()
    results = [PairResult(authors[i], authors[j], matches, weak) for i, j, matches in found]
    results.sort(key=lambda r: (-round(r.overall, 9), -round(r.best_todo, 9), r.a.key, r.b.key))
    return results
