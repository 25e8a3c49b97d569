"""Region-level agreement: how far two annotators' regions of one clip match.

Two regions *match* when they have the same class and their temporal IoU
(the time both cover over the time either covers) is at least a threshold
(0.5 by default, as in sound-event detection's segment-based evaluation).
Regions are paired one to one, the pairs with the highest IoU first, so a long
region cannot count for two short ones. Precision is matched / regions of
``b``, recall matched / regions of ``a``, and their F1 (*segment F1*) is
symmetric. The *temporal IoU* of two labels, per class or over all classes,
compares the time each annotator covers with a class (overlapping regions of
one annotator counted once): the time both cover over the time either covers.

At project level, :func:`project_agreement` (the kind's registered agreement:
``wb.agreement.agreement(project, task)``) gives every pair of annotators'
segment F1 and temporal IoU per class over the clips both labeled, and
Krippendorff's alpha over time (see its docstring), as a :class:`RegionAgreement`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...ml.parts import AlphaSums, MatchCounts, match_one_to_one

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["region_iou", "region_counts", "segment_f1", "pairwise_f1", "temporal_iou",
           "RegionAgreement", "project_agreement", "ALL", "THRESHOLD"]  # fmt: skip

#: The class name of the rows over all classes.
ALL = "(all)"
#: The temporal IoU at or above which two regions of one class match.
THRESHOLD = 0.5
#: Alpha's unit of time, in seconds: a millisecond (times are kept to the microsecond).
ALPHA_UNIT_S = 1e-3


def _regions(value: Any) -> list[tuple[float, float, str]]:
    """``(start, end, class)`` of a stored value, a list of regions, or ``None``."""
    if value is None:
        return []
    rows = value.get("regions", ()) if isinstance(value, Mapping) else value
    return [(float(r["start"]), float(r["end"]), str(r["class"])) for r in rows]


def region_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Temporal IoU of two ``(start, end)`` intervals."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def _check_threshold(threshold: float) -> float:
    if isinstance(threshold, bool) or not 0.0 < float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a number in (0, 1], got {threshold!r}")
    return float(threshold)


def region_counts(a: Any, b: Any, threshold: float = THRESHOLD) -> MatchCounts:
    """Matched regions of two values of one clip (see the module docstring)."""
    threshold = _check_threshold(threshold)
    left, right = _regions(a), _regions(b)
    scored = []
    for i, (s1, e1, c1) in enumerate(left):
        for j, (s2, e2, c2) in enumerate(right):
            if c1 == c2:
                score = region_iou((s1, e1), (s2, e2))
                if score >= threshold - 1e-12:  # an IoU on the threshold, whatever the rounding
                    scored.append((score, i, j))
    matched: Counter = Counter(left[i][2] for i, _ in match_one_to_one(scored))
    return MatchCounts(matched, Counter(c for _, _, c in left), Counter(c for _, _, c in right))


def segment_f1(a: Any, b: Any, threshold: float = THRESHOLD) -> float:
    """Micro segment F1 of two values' regions (1.0 when both have none)."""
    return region_counts(a, b, threshold).f1()


def pairwise_f1(values: Sequence[Any], threshold: float = THRESHOLD) -> float:
    """Mean segment F1 over every pair of ``values`` (one clip's labels by several
    people); 1.0 for fewer than two."""
    scores = [
        segment_f1(values[i], values[j], threshold)
        for i in range(len(values))
        for j in range(i + 1, len(values))
    ]
    return 1.0 if not scores else sum(scores) / len(scores)


def _union(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, disjoint intervals covering the same time as ``intervals``."""
    out: list[list[float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _overlap(u: list[tuple[float, float]], v: list[tuple[float, float]]) -> float:
    """Time two disjoint, sorted interval lists share."""
    i = j = 0
    total = 0.0
    while i < len(u) and j < len(v):
        total += max(0.0, min(u[i][1], v[j][1]) - max(u[i][0], v[j][0]))
        if u[i][1] < v[j][1]:
            i += 1
        else:
            j += 1
    return total


def _covered(a: Any, b: Any, cls: str | None) -> tuple[float, float]:
    """``(time both cover, time either covers)`` with ``cls`` (``None``: any class)."""
    ua = _union((s, e) for s, e, c in _regions(a) if cls is None or c == cls)
    ub = _union((s, e) for s, e, c in _regions(b) if cls is None or c == cls)
    both = _overlap(ua, ub)
    either = sum(e - s for s, e in ua) + sum(e - s for s, e in ub) - both
    return both, either


def temporal_iou(a: Any, b: Any, cls: str | None = None) -> float:
    """The time both values cover with ``cls`` (``None``: with any class) over the
    time either covers; 1.0 when neither covers any."""
    both, either = _covered(a, b, cls)
    return 1.0 if either <= 0 else both / either


# -- project level -------------------------------------------------------------------------
@dataclass(frozen=True, repr=False, eq=False)
class RegionAgreement:
    """Agreement between a project's annotators on an audio-regions task.

    Attributes
    ----------
    task : str
    pairs : pandas.DataFrame
        One row per pair of annotators (names in order) and class, :data:`ALL`
        first: ``annotator_a``, ``annotator_b``, ``class``, ``items`` (labeled by
        both), ``regions_a``, ``regions_b``, ``segment_f1`` and ``temporal_iou``
        (over those clips: the time shared summed, over the time either covers
        summed); NaN where neither has a region of the class.
    classes : pandas.DataFrame
        Index ``class`` (:data:`ALL` first): ``regions`` (every annotator's, on
        the clips two or more labeled), ``segment_f1`` and ``temporal_iou``
        pooled over every pair, and ``alpha`` (one class against the rest).
    alpha : float
        Krippendorff's alpha over time (:func:`project_agreement`); NaN when
        nothing varies or no clip has two annotators.
    threshold : float
        The IoU at which two regions match.
    items : int
        Clips labeled by two annotators or more.
    """

    task: str
    pairs: pd.DataFrame
    classes: pd.DataFrame
    alpha: float
    threshold: float
    items: int

    def __repr__(self) -> str:
        shown = ""
        if len(self.classes):
            row = self.classes.loc[ALL]
            shown = f", segment_f1={row['segment_f1']:.3f}, temporal_iou={row['temporal_iou']:.3f}"
        return (f"RegionAgreement(task={self.task!r}, items={self.items}, "
                f"alpha={self.alpha:.3f}{shown})")  # fmt: skip

    def figure(self, measure: str = "segment_f1") -> Any:
        """A plotly heatmap of every pair's ``measure`` (``"segment_f1"`` or
        ``"temporal_iou"``) over all classes; needs plotly (the ``ml`` extra)."""
        if measure not in ("segment_f1", "temporal_iou"):
            raise ValueError(f"measure must be 'segment_f1' or 'temporal_iou', got {measure!r}")
        from ...errors import require

        go = require("plotly.graph_objects", "ml")
        rows = self.pairs[self.pairs["class"] == ALL]
        names = sorted(set(rows["annotator_a"]) | set(rows["annotator_b"]))
        at = {n: i for i, n in enumerate(names)}
        grid = np.full((len(names), len(names)), np.nan)
        np.fill_diagonal(grid, 1.0)
        for a, b, f in zip(rows["annotator_a"], rows["annotator_b"], rows[measure], strict=True):
            grid[at[a], at[b]] = grid[at[b], at[a]] = f
        fig = go.Figure(go.Heatmap(z=grid, x=names, y=names, zmin=0, zmax=1,
                                   colorscale="Viridis", colorbar={"title": measure}))  # fmt: skip
        fig.update_layout(title=f"{self.task}: {measure} per pair (alpha {self.alpha:.3f})")
        return fig


class _Pooled:
    """Counts and covered time summed over clips, per class (``None``: all)."""

    def __init__(self) -> None:
        self.counts = MatchCounts.empty()
        self.both: Counter = Counter()
        self.either: Counter = Counter()

    def add(self, a: Any, b: Any, classes: Sequence[str], threshold: float) -> None:
        self.counts = self.counts + region_counts(a, b, threshold)
        for cls in (None, *classes):
            both, either = _covered(a, b, cls)
            self.both[cls] += both
            self.either[cls] += either

    def merge(self, other: _Pooled) -> None:
        self.counts = self.counts + other.counts
        self.both.update(other.both)
        self.either.update(other.either)

    def row(self, cls: str | None) -> dict[str, float]:
        c = self.counts
        n = sum(c.left.values()) + sum(c.right.values()) if cls is None else (
            c.left.get(cls, 0) + c.right.get(cls, 0))  # fmt: skip
        either = self.either[cls]
        return {
            "segment_f1": np.nan if n == 0 else c.f1(cls),
            "temporal_iou": np.nan if n == 0 else (1.0 if either <= 0 else self.both[cls] / either),
        }


def project_agreement(
    project: Project, task: str | None = None, *, threshold: float = THRESHOLD
) -> RegionAgreement:
    """Agreement between a project's annotators on an audio-regions task.

    Reads each annotator's latest label of each clip (``label`` and
    ``review-correct`` events, retractions honoured, model pre-labels left out).
    Each pair of annotators is compared over the clips both labeled: segment F1
    at ``threshold`` and temporal IoU, per class and over all classes.

    **Alpha.** Krippendorff's alpha (nominal) over time: the clip is cut at
    every region boundary of every annotator, and each piece is a unit weighted
    by its length in milliseconds, coded by each annotator with the class of
    the region covering it, or *outside* (the set of classes when regions
    overlap). That equals alpha over one-millisecond units (the tests check it
    against ``krippendorff.alpha``): the nominal reading of Krippendorff's
    unitizing alpha, in which silence counts and so do boundaries. Per class,
    the codes are "this class" and "not".
    """
    from ...ml.annotations import annotator_labels

    threshold = _check_threshold(threshold)
    spec = project.schema.task_of_kind(task, "audio", purpose="region agreement")
    classes = list(spec.class_names)  # type: ignore[attr-defined]
    overlapping = bool(spec.overlapping)  # type: ignore[attr-defined]
    if overlapping and len(classes) > 62:
        raise ValueError("alpha over overlapping regions handles up to 62 classes")
    wide = annotator_labels(project, spec.name)
    names = [str(c) for c in wide.columns]
    cells = {
        iid: {a: v for a, v in zip(names, row, strict=True) if isinstance(v, Mapping)}
        for iid, row in zip(wide.index, wide.itertuples(index=False, name=None), strict=True)
    }
    shared = [iid for iid, by in cells.items() if len(by) >= 2]

    rows = []
    pooled = _Pooled()
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = [(by[a], by[b]) for by in cells.values() if a in by and b in by]
            if not both:
                continue
            pair = _Pooled()
            for va, vb in both:
                pair.add(va, vb, classes, threshold)
            pooled.merge(pair)
            for cls in (None, *classes):
                rows.append({
                    "annotator_a": a, "annotator_b": b, "class": ALL if cls is None else cls,
                    "items": len(both), "regions_a": _pick(pair.counts.left, cls),
                    "regions_b": _pick(pair.counts.right, cls), **pair.row(cls),
                })  # fmt: skip
    columns = ["annotator_a", "annotator_b", "class", "items", "regions_a", "regions_b",
               "segment_f1", "temporal_iou"]  # fmt: skip
    pairs = pd.DataFrame(rows, columns=columns)

    overall = AlphaSums()
    per_class = {c: AlphaSums() for c in classes}
    seen: Counter = Counter()
    durations = _durations(project, shared)
    for iid in shared:
        values = list(cells[iid].values())
        for v in values:
            seen.update(r["class"] for r in v["regions"])
        codes, weights = _time_codes(values, durations[iid], classes, overlapping)
        if not len(weights):
            continue
        overall.add(codes, weights)
        for j, c in enumerate(classes):
            has = (codes & (1 << j)) != 0 if overlapping else codes == j + 1
            per_class[c].add(has.astype(np.int64), weights)
    table = [
        {"class": ALL if cls is None else cls,
         "regions": sum(seen.values()) if cls is None else seen.get(cls, 0),
         **pooled.row(cls), "alpha": (overall if cls is None else per_class[cls]).alpha()}
        for cls in (None, *classes)
    ]  # fmt: skip
    frame = pd.DataFrame(table).set_index("class")
    return RegionAgreement(spec.name, pairs, frame, overall.alpha(), threshold, len(shared))


def _pick(counts: Counter, cls: str | None) -> int:
    return sum(counts.values()) if cls is None else counts.get(cls, 0)


def _durations(project: Project, ids: Sequence[str]) -> dict[str, float]:
    """Each clip's length from its header (0 where it cannot be read: the regions'
    own extent then bounds the time compared)."""
    from ...errors import ItemReadError

    out: dict[str, float] = {}
    for rec in project.store.get_items(list(ids)) if ids else []:
        try:
            out[rec.item_id] = project.reader.audio(rec).duration
        except (ItemReadError, ImportError):
            out[rec.item_id] = 0.0
    return out


def _time_codes(
    values: Sequence[Mapping[str, Any]], duration: float, classes: list[str], overlapping: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Annotators × pieces codes and each piece's length in :data:`ALPHA_UNIT_S` units.
    Pieces cut the clip (``0`` to its duration, or the last region's end) at every
    region boundary; a code is 0 outside, ``j + 1`` for class ``j`` (overlapping:
    a bit mask, bit ``j`` for class ``j``)."""
    index = {c: j for j, c in enumerate(classes)}
    regions = [_regions(v) for v in values]
    end = max([duration, *(e for rs in regions for _, e, _ in rs)])
    cuts = np.unique(np.array([0.0, end, *(t for rs in regions for s, e, _ in rs for t in (s, e))]))
    cuts = cuts[(cuts >= 0) & (cuts <= end)]
    if len(cuts) < 2:
        return np.zeros((len(values), 0), np.int64), np.zeros(0)
    codes = np.zeros((len(values), len(cuts) - 1), dtype=np.int64)
    for k, rs in enumerate(regions):
        for s, e, c in rs:
            lo, hi = np.searchsorted(cuts, s), np.searchsorted(cuts, e)
            if overlapping:
                codes[k, lo:hi] |= 1 << index[c]
            else:
                codes[k, lo:hi] = index[c] + 1
    return codes, np.diff(cuts) / ALPHA_UNIT_S
