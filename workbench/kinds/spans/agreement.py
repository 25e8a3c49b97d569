"""Span-level agreement: how far two annotators' spans of one text match.

Two spans *match exactly* when they have the same class and the same offsets;
they *match by overlap* when they have the same class and share at least one
character. Spans are paired one to one (by overlap, the pairs sharing the most
characters first), so a long span cannot count for two short ones. With ``a``
taken as the reference, precision is matched / spans of ``b``, recall matched /
spans of ``a``, and F1 their harmonic mean, which is symmetric: the F1 of two
annotators does not depend on which one is the reference.

At project level, :func:`project_agreement` (the kind's registered agreement:
``wb.agreement.agreement(project, task)``) gives every pair of annotators' exact
and overlap F1 per class over the items both labeled, and Krippendorff's alpha
over per-character (or per-token) codes, a nominal reading of unitizing alpha
(its docstring says why), as a :class:`SpanAgreement`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...ml.parts import AlphaSums, MatchCounts, match_one_to_one
from .schema import tokenize

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["SpanCounts", "span_counts", "span_f1", "pairwise_f1", "total_counts", "MODES",
           "SpanAgreement", "project_agreement", "ALL", "UNITS"]  # fmt: skip

#: How two spans match: ``"exact"`` offsets, or ``"overlap"`` of one character or more.
MODES = ("exact", "overlap")


#: Spans matched, and spans of each side, per class (``None``: all classes).
SpanCounts = MatchCounts


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
        overlaps = (
            (min(e1, e2) - max(s1, s2), i, j)
            for i, (s1, e1, c1) in enumerate(left)
            for j, (s2, e2, c2) in enumerate(right)
            if c1 == c2 and s1 < e2 and s2 < e1
        )
        for i, _ in match_one_to_one(overlaps):
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
    out = SpanCounts.empty()
    for a, b in pairs:
        out = out + span_counts(a, b, mode)
    return out


# -- project level -------------------------------------------------------------------------
#: The class name of the rows over all classes (micro F1; alpha over every class).
ALL = "(all)"
#: Units of the unitizing alpha: characters, or tokens of the task's tokenizer.
UNITS = ("char", "token")


@dataclass(frozen=True, repr=False, eq=False)
class SpanAgreement:
    """Agreement between a project's annotators on a spans task.

    Attributes
    ----------
    task : str
    pairs : pandas.DataFrame
        One row per pair of annotators (names in order) and class, :data:`ALL`
        first: ``annotator_a``, ``annotator_b``, ``class``, ``items`` (labeled by
        both), ``spans_a``, ``spans_b``, ``exact_f1``, ``overlap_f1``; NaN F1
        where neither has a span of the class.
    classes : pandas.DataFrame
        Index ``class`` (:data:`ALL` first): ``spans`` (over every annotator's
        labels of the items two or more labeled), ``exact_f1`` and
        ``overlap_f1`` pooled over every pair (the counts summed, then F1) and
        ``alpha`` (one class against the rest, same units).
    alpha : float
        Krippendorff's alpha over units (see :func:`project_agreement`); NaN when
        nothing varies or no item has two annotators.
    unit : str
        ``"char"`` or ``"token"``.
    items : int
        Items labeled by two annotators or more.
    """

    task: str
    pairs: pd.DataFrame
    classes: pd.DataFrame
    alpha: float
    unit: str
    items: int

    def __repr__(self) -> str:
        f1 = self.classes.loc[ALL, ["exact_f1", "overlap_f1"]].tolist() if len(self.classes) else []
        shown = ", ".join(f"{k}={v:.3f}" for k, v in zip(("exact_f1", "overlap_f1"), f1,
                                                          strict=False))  # fmt: skip
        return (
            f"SpanAgreement(task={self.task!r}, items={self.items}, alpha={self.alpha:.3f} "
            f"per {self.unit}, {shown})"
        )

    def figure(self, mode: str = "exact") -> Any:
        """A plotly heatmap of every pair's F1 over all classes (``mode``: ``"exact"``
        or ``"overlap"``); needs plotly (the ``ml`` extra)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
        from ...errors import require

        go = require("plotly.graph_objects", "ml")
        rows = self.pairs[self.pairs["class"] == ALL]
        names = sorted(set(rows["annotator_a"]) | set(rows["annotator_b"]))
        at = {n: i for i, n in enumerate(names)}
        grid = np.full((len(names), len(names)), np.nan)
        np.fill_diagonal(grid, 1.0)
        for a, b, f in zip(rows["annotator_a"], rows["annotator_b"], rows[f"{mode}_f1"],
                           strict=True):  # fmt: skip
            grid[at[a], at[b]] = grid[at[b], at[a]] = f
        fig = go.Figure(go.Heatmap(z=grid, x=names, y=names, zmin=0, zmax=1,
                                   colorscale="Viridis", colorbar={"title": "F1"}))  # fmt: skip
        fig.update_layout(title=f"{self.task}: {mode} span F1 per pair (alpha {self.alpha:.3f} "
                                f"per {self.unit})")  # fmt: skip
        return fig


def project_agreement(
    project: Project, task: str | None = None, *, unit: str = "char"
) -> SpanAgreement:
    """Agreement between a project's annotators on a spans task.

    Reads each annotator's latest label of each item (``store.annotator_labels``:
    ``label`` and ``review-correct`` events, retractions honoured, model
    pre-labels left out). Each pair of annotators is compared over the items
    both labeled: exact and overlap F1 (:func:`span_counts`), per class and over
    all classes.

    **Alpha.** Krippendorff's alpha (nominal) over *units*, the characters of
    the items two annotators or more labeled (``unit="token"``: the tokens of
    the task's tokenizer, ``"words"`` when it has none): each annotator codes
    each unit with the class of the span covering it, or *outside*. (With
    overlapping spans the code is the set of classes covering it; a token takes
    every span it shares a character with.) This is the nominal reading of
    Krippendorff's unitizing alpha (uα, 1995; 2004): every stretch of text is a
    unit weighted by its length, a stretch coded alike by two annotators adds no
    disagreement, and outside text counts, so that where spans begin and end
    matters as much as their classes. It differs from uα where two annotators
    mark one stretch with the same class but as one span against two abutting
    ones (uα counts that, per-unit codes do not); such splits are what exact
    F1 shows. Alpha per class is the same with the codes "this class" and
    "not". The figure equals ``krippendorff.alpha`` over the same units (the
    tests check it) but is computed per item, never holding a units ×
    annotators table of all items at once.
    """
    from ...ml.annotations import annotator_labels
    from .prelabel import item_texts

    if unit not in UNITS:
        raise ValueError(f"unit must be one of {list(UNITS)}, got {unit!r}")
    spec = project.schema.task_of_kind(task, "spans", purpose="span agreement")
    classes = list(spec.class_names)  # type: ignore[attr-defined]
    overlapping = bool(spec.overlapping)  # type: ignore[attr-defined]
    tokenizer = spec.tokens or "words"  # type: ignore[attr-defined]
    if overlapping and len(classes) > 62:
        raise ValueError("alpha over overlapping spans handles up to 62 classes")
    wide = annotator_labels(project, spec.name)
    names = [str(c) for c in wide.columns]
    cells = {
        iid: {a: v for a, v in zip(names, row, strict=True) if isinstance(v, Mapping)}
        for iid, row in zip(wide.index, wide.itertuples(index=False, name=None), strict=True)
    }
    shared = [iid for iid, by in cells.items() if len(by) >= 2]

    # Pairs: F1 over the items both labeled.
    rows = []
    pooled = {m: SpanCounts.empty() for m in MODES}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = [(by[a], by[b]) for by in cells.values() if a in by and b in by]
            if not both:
                continue
            counts = {m: total_counts(both, m) for m in MODES}
            for m in MODES:
                pooled[m] = pooled[m] + counts[m]
            for cls in (None, *classes):
                ex, ov = counts["exact"], counts["overlap"]
                empty = _pick(ex.left, cls) + _pick(ex.right, cls) == 0
                rows.append({
                    "annotator_a": a, "annotator_b": b, "class": ALL if cls is None else cls,
                    "items": len(both), "spans_a": _pick(ex.left, cls),
                    "spans_b": _pick(ex.right, cls),
                    "exact_f1": np.nan if empty else ex.f1(cls),
                    "overlap_f1": np.nan if empty else ov.f1(cls),
                })  # fmt: skip
    columns = ["annotator_a", "annotator_b", "class", "items", "spans_a", "spans_b",
               "exact_f1", "overlap_f1"]  # fmt: skip
    pairs = pd.DataFrame(rows, columns=columns)

    # Alpha: per-unit codes, summed item by item.
    overall = AlphaSums()
    per_class = {c: AlphaSums() for c in classes}
    spans_seen: Counter = Counter()
    for iid, text in item_texts(project, shared):
        values = list(cells[iid].values())
        for v in values:
            spans_seen.update(s["class"] for s in v["spans"])
        if unit == "char":
            starts = ends = None
            n = len(text)
        else:
            toks = tokenize(text, tokenizer)
            starts = np.fromiter((s for s, _ in toks), dtype=np.int64, count=len(toks))
            ends = np.fromiter((e for _, e in toks), dtype=np.int64, count=len(toks))
            n = len(toks)
        if n == 0:
            continue
        codes = np.stack([_unit_codes(v, n, starts, ends, classes, overlapping) for v in values])
        overall.add(codes)
        for j, c in enumerate(classes):
            has = (codes & (1 << j)) != 0 if overlapping else codes == j + 1
            per_class[c].add(has.astype(np.int64))
    table = []
    for cls in (None, *classes):
        ex, ov = pooled["exact"], pooled["overlap"]
        empty = _pick(ex.left, cls) + _pick(ex.right, cls) == 0
        table.append({
            "class": ALL if cls is None else cls,
            "spans": sum(spans_seen.values()) if cls is None else spans_seen.get(cls, 0),
            "exact_f1": np.nan if empty else ex.f1(cls),
            "overlap_f1": np.nan if empty else ov.f1(cls),
            "alpha": (overall if cls is None else per_class[cls]).alpha(),
        })  # fmt: skip
    frame = pd.DataFrame(table).set_index("class")
    return SpanAgreement(spec.name, pairs, frame, overall.alpha(), unit, len(shared))


def _pick(counts: Counter, cls: str | None) -> int:
    """Spans of one class in ``counts`` (``None``: all classes)."""
    return sum(counts.values()) if cls is None else counts.get(cls, 0)


def _unit_codes(
    value: Mapping[str, Any], n: int, starts: np.ndarray | None, ends: np.ndarray | None,
    classes: list[str], overlapping: bool,
) -> np.ndarray:  # fmt: skip
    """Each unit's code: 0 outside, ``j + 1`` for class ``j`` (overlapping: a bit mask,
    bit ``j`` for class ``j``). Units are characters (``starts is None``) or tokens."""
    index = {c: j for j, c in enumerate(classes)}
    codes = np.zeros(n, dtype=np.int64)
    for s in value["spans"]:
        lo, hi = int(s["start"]), int(s["end"])
        if starts is not None and ends is not None:
            lo = int(np.searchsorted(ends, lo, side="right"))
            hi = int(np.searchsorted(starts, hi, side="left"))
        j = index[s["class"]]
        if overlapping:
            codes[lo:hi] |= 1 << j
        else:
            codes[lo:hi] = j + 1
    return codes
