"""Span-level agreement: how far two annotators' spans of one text match.

Two spans *match exactly* when they have the same class and the same offsets;
they *match by overlap* when they have the same class and share at least one
character. Spans are paired one to one (by overlap, the pairs sharing the most
characters first), so a long span cannot count for two short ones. With ``a``
taken as the reference, precision is matched / spans of ``b``, recall matched /
spans of ``a``, and F1 their harmonic mean, which is symmetric: the F1 of two
annotators does not depend on which one is the reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SpanCounts", "span_counts", "span_f1", "pairwise_f1", "total_counts", "MODES"]

#: How two spans match: ``"exact"`` offsets, or ``"overlap"`` of one character or more.
MODES = ("exact", "overlap")


@dataclass(frozen=True)
class SpanCounts:
    """Spans matched, and spans of each side, per class (``None``: all classes)."""

    matched: Counter
    left: Counter
    right: Counter

    def f1(self, cls: str | None = None) -> float:
        """F1 of one class, or of all (micro); 1.0 when neither side has a span."""
        pick = (lambda c: sum(c.values())) if cls is None else (lambda c: c.get(cls, 0))
        total = pick(self.left) + pick(self.right)
        return 1.0 if total == 0 else 2.0 * pick(self.matched) / total

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(self.matched + other.matched, self.left + other.left,
                          self.right + other.right)  # fmt: skip


def _spans(value: Any) -> list[tuple[int, int, str]]:
    """``(start, end, class)`` of a stored value, a list of spans, or ``None``."""
    if value is None:
        return []
    rows = value.get("spans", ()) if isinstance(value, Mapping) else value
    return [(int(s["start"]), int(s["end"]), str(s["class"])) for s in rows]


def span_counts(a: Any, b: Any, mode: str = "exact") -> SpanCounts:
    """Matched spans of two values of one item (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    left, right = _spans(a), _spans(b)
    matched: Counter = Counter()
    if mode == "exact":
        common = Counter(left) & Counter(right)
        for (_, _, cls), k in common.items():
            matched[cls] += k
    else:
        pairs = sorted(
            (
                (min(e1, e2) - max(s1, s2), i, j)
                for i, (s1, e1, c1) in enumerate(left)
                for j, (s2, e2, c2) in enumerate(right)
                if c1 == c2 and s1 < e2 and s2 < e1
            ),
            key=lambda p: (-p[0], p[1], p[2]),
        )
        used_l: set[int] = set()
        used_r: set[int] = set()
        for _, i, j in pairs:
            if i not in used_l and j not in used_r:
                used_l.add(i)
                used_r.add(j)
                matched[left[i][2]] += 1
    return SpanCounts(matched, Counter(c for _, _, c in left), Counter(c for _, _, c in right))


def span_f1(a: Any, b: Any, mode: str = "exact") -> float:
    """Micro F1 of two values' spans (1.0 when both have none)."""
    return span_counts(a, b, mode).f1()


def pairwise_f1(values: Sequence[Any], mode: str = "exact") -> float:
    """Mean F1 over every pair of ``values`` (one item's labels by several people);
    1.0 for fewer than two."""
    scores = [
        span_f1(values[i], values[j], mode)
        for i in range(len(values))
        for j in range(i + 1, len(values))
    ]
    return 1.0 if not scores else sum(scores) / len(scores)


def total_counts(pairs: Iterable[tuple[Any, Any]], mode: str = "exact") -> SpanCounts:
    """:func:`span_counts` summed over ``(a, b)`` pairs (two annotators' labels of
    many items): the corpus-level F1, per class and micro."""
    out = SpanCounts(Counter(), Counter(), Counter())
    for a, b in pairs:
        out = out + span_counts(a, b, mode)
    return out
