"""What task kinds whose labels are made of parts (spans of a text, regions of a
clip) share: counts of parts matched one to one, per class, Krippendorff's
nominal alpha summed unit by unit, and keeping parts that do not overlap.

- :class:`MatchCounts`: parts matched, and parts of each side, per class; F1
  per class or over all (micro). Sums over items with ``+``.
- :func:`match_one_to_one`: the pairs of a greedy one-to-one matching, best
  score first (a long part cannot count for two short ones).
- :class:`AlphaSums`: nominal alpha from running sums over items, each a table
  of annotators × units of codes, units optionally weighted (by their length).
- :func:`take_disjoint`: of parts ranked best first, those that overlap none
  kept before them (for a task whose parts may not overlap).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

__all__ = ["MatchCounts", "match_one_to_one", "AlphaSums", "take_disjoint"]

T = TypeVar("T")


@dataclass(frozen=True)
class MatchCounts:
    """Parts matched, and parts of each side, per class (``None``: all classes)."""

    matched: Counter
    left: Counter
    right: Counter

    def f1(self, cls: str | None = None) -> float:
        """F1 of one class, or of all (micro); 1.0 when neither side has a part."""
        pick = (lambda c: sum(c.values())) if cls is None else (lambda c: c.get(cls, 0))
        total = pick(self.left) + pick(self.right)
        return 1.0 if total == 0 else 2.0 * pick(self.matched) / total

    def __add__(self, other: MatchCounts) -> MatchCounts:
        return MatchCounts(self.matched + other.matched, self.left + other.left,
                           self.right + other.right)  # fmt: skip

    @classmethod
    def empty(cls) -> MatchCounts:
        return cls(Counter(), Counter(), Counter())


def match_one_to_one(scored: Iterable[tuple[float, int, int]]) -> list[tuple[int, int]]:
    """``(i, j)`` pairs from ``(score, i, j)`` candidates, best score first (ties by
    ``i``, then ``j``), each ``i`` and each ``j`` used once."""
    used_l: set[int] = set()
    used_r: set[int] = set()
    out = []
    for _, i, j in sorted(scored, key=lambda p: (-p[0], p[1], p[2])):
        if i not in used_l and j not in used_r:
            used_l.add(i)
            used_r.add(j)
            out.append((i, j))
    return out


class AlphaSums:
    """Nominal alpha from running sums: ``n`` pairable values, ``Σ_u w_u (m_u² − Σ_c
    n_uc²) / (m_u − 1)`` (the off-diagonal coincidences) and the totals ``n_c`` per
    code, each unit ``u`` counted ``w_u`` times (1 by default; a length for units of
    unequal size, so that alpha equals the one over that many unit-sized units)."""

    def __init__(self) -> None:
        self.n = 0.0
        self.off = 0.0
        self.totals: Counter = Counter()

    def add(self, codes: np.ndarray, weights: np.ndarray | None = None) -> None:
        """``codes``: annotators × units of one item, every cell coded (m_u = rows);
        ``weights``: one per unit."""
        m, units = codes.shape
        if m < 2 or units == 0:
            return
        w = np.ones(units) if weights is None else np.asarray(weights, dtype=np.float64)
        same = np.zeros(units, dtype=np.float64)
        for c in np.unique(codes).tolist():
            k = (codes == c).sum(axis=0)
            same += k.astype(np.float64) ** 2
            self.totals[c] += float((k * w).sum())
        self.off += float((w * (m * m - same) / (m - 1)).sum())
        self.n += m * float(w.sum())

    def alpha(self) -> float:
        n = self.n
        expected = n * n - sum(float(v) ** 2 for v in self.totals.values())
        if n < 2 or expected <= 0:
            return float("nan")
        return float(1.0 - (n - 1) * self.off / expected)


def take_disjoint(
    ranked: Sequence[T], bounds: Callable[[T], tuple[float, float]]
) -> tuple[list[T], list[T]]:
    """``(kept, dropped)``: each of ``ranked`` (best first) kept unless its ``bounds``
    ``(start, end)`` overlap one kept before it; a sorted index of the kept ones
    makes each check a binary search, so a long document's many parts stay cheap."""
    starts: list[float] = []  # kept parts' starts, sorted; kept parts never overlap
    ends: list[float] = []
    kept: list[T] = []
    dropped: list[T] = []
    for x in ranked:
        s, e = bounds(x)
        i = bisect.bisect_left(starts, s)
        if (i > 0 and ends[i - 1] > s) or (i < len(starts) and starts[i] < e):
            dropped.append(x)
            continue
        starts.insert(i, s)
        ends.insert(i, e)
        kept.append(x)
    return kept, dropped
