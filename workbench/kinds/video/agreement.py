"""Track-level agreement: how far two annotators' tracks of one video match.

Both labels are expanded to the shapes of every frame (:func:`.tracks.shapes_at`,
through :class:`.tracks.TrackIndex`). On each frame the two sets of shapes of
one class are matched one to one, the pairs with the highest IoU first, when
their IoU is at least ``threshold`` (0.5). From the matches:

- **frame F1**: matched shapes × 2 / (shapes of ``a`` + shapes of ``b``), over
  every frame (symmetric);
- **mean IoU** of the matched pairs;
- **MOTA** with ``a`` as the reference: ``1 − (misses + false positives +
  identity switches) / shapes of a`` (CLEAR MOT, Bernardin and Stiefelhagen
  2008); an identity switch is a track of ``a`` matched to a different track of
  ``b`` than at its last match;
- **IDF1** (Ristani et al. 2016): the tracks of ``a`` and ``b`` paired one to
  one, the pairs sharing the most matched frames first, and ``2 × frames of the
  pairs / (shapes of a + shapes of b)``: how well the identities agree over
  the whole video (symmetric).

Polygon tracks are compared by polygon IoU (:func:`workbench.geometry.polygon_iou`),
boxes by box IoU. :func:`project_agreement` (the kind's registered agreement,
``wb.agreement.agreement(project, task)``) gives every pair of annotators these
figures over the videos both labeled, as a :class:`TrackAgreement`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...geometry import box_iou_matrix, polygon_iou
from ...ml.parts import match_one_to_one
from .tracks import TrackIndex

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["TrackCounts", "track_counts", "TrackAgreement", "project_agreement", "THRESHOLD"]

#: The IoU at or above which two shapes of one class match on a frame.
THRESHOLD = 0.5


@dataclass
class TrackCounts:
    """What two labels of the same videos share, summed over frames and videos."""

    shapes_a: int = 0
    shapes_b: int = 0
    matched: int = 0
    iou_sum: float = 0.0
    switches: int = 0
    id_frames: int = 0  # frames of the IDF1 pairs

    def __add__(self, o: TrackCounts) -> TrackCounts:
        return TrackCounts(
            self.shapes_a + o.shapes_a,
            self.shapes_b + o.shapes_b,
            self.matched + o.matched,
            self.iou_sum + o.iou_sum,
            self.switches + o.switches,
            self.id_frames + o.id_frames,
        )

    @property
    def frame_f1(self) -> float:
        total = self.shapes_a + self.shapes_b
        return 1.0 if total == 0 else 2.0 * self.matched / total

    @property
    def mean_iou(self) -> float:
        return float("nan") if self.matched == 0 else self.iou_sum / self.matched

    @property
    def mota(self) -> float:
        if self.shapes_a == 0:
            return float("nan")
        misses = self.shapes_a - self.matched
        false = self.shapes_b - self.matched
        return 1.0 - (misses + false + self.switches) / self.shapes_a

    @property
    def idf1(self) -> float:
        total = self.shapes_a + self.shapes_b
        return 1.0 if total == 0 else 2.0 * self.id_frames / total


def _frames(value: Mapping[str, Any] | None) -> int:
    if not value or not value.get("tracks"):
        return 0
    return 1 + max(k["frame"] for t in value["tracks"] for k in t["keyframes"])


def _shapes(index: TrackIndex, frame: int) -> list[dict[str, Any]]:
    return index.shapes_at(frame)


def _iou(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> np.ndarray:
    """IoU of every shape of ``a`` with every shape of ``b`` (0 across classes)."""
    out = np.zeros((len(a), len(b)))
    if not a or not b:
        return out
    if all("bbox" in s for s in a + b):
        out = box_iou_matrix([s["bbox"] for s in a], [s["bbox"] for s in b])
    else:
        for i, s in enumerate(a):
            for j, t in enumerate(b):
                if "points" in s and "points" in t:
                    out[i, j] = polygon_iou(s["points"], t["points"])
    same = np.array([[s["class"] == t["class"] for t in b] for s in a])
    return np.where(same, out, 0.0)


def track_counts(
    a: Any, b: Any, threshold: float = THRESHOLD, frames: int | None = None
) -> TrackCounts:
    """The counts of two values of one video (module docstring), over frames 0 to
    ``frames`` (by default to the last keyframe of either)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    n = max(_frames(a), _frames(b)) if frames is None else int(frames)
    ia = TrackIndex(a or {"tracks": []})
    ib = TrackIndex(b or {"tracks": []})
    out = TrackCounts()
    last_match: dict[str, str] = {}
    pair_frames: Counter = Counter()
    for f in range(n):
        sa, sb = _shapes(ia, f), _shapes(ib, f)
        out.shapes_a += len(sa)
        out.shapes_b += len(sb)
        if not sa or not sb:
            continue
        iou = _iou(sa, sb)
        scored = [
            (float(iou[i, j]), i, j)
            for i, j in zip(*np.nonzero(iou >= threshold - 1e-12), strict=True)
        ]
        for i, j in match_one_to_one(scored):
            ta, tb = sa[i]["track"], sb[j]["track"]
            out.matched += 1
            out.iou_sum += float(iou[i, j])
            if ta in last_match and last_match[ta] != tb:
                out.switches += 1
            last_match[ta] = tb
            pair_frames[ta, tb] += 1
    ranked = [(float(k), ta, tb) for (ta, tb), k in pair_frames.items()]
    used_a: set[str] = set()
    used_b: set[str] = set()
    for k, ta, tb in sorted(ranked, key=lambda r: (-r[0], r[1], r[2])):
        if ta not in used_a and tb not in used_b:
            used_a.add(ta)
            used_b.add(tb)
            out.id_frames += int(k)
    return out


@dataclass(frozen=True, repr=False, eq=False)
class TrackAgreement:
    """Agreement between a project's annotators on a video-tracks task.

    ``pairs``: one row per pair of annotators (``annotator_a``, ``annotator_b``,
    ``items``, ``shapes_a``, ``shapes_b``, ``frame_f1``, ``mean_iou``, ``mota``
    with ``a`` as the reference, ``id_switches``, ``idf1``); ``summary``: the same
    pooled over every pair; ``items``: videos labeled by two annotators or more.
    """

    task: str
    pairs: pd.DataFrame
    summary: dict[str, float]
    threshold: float
    items: int

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={self.summary.get(k, float('nan')):.3f}" for k in ("frame_f1", "idf1", "mota")
        )
        return f"TrackAgreement(task={self.task!r}, items={self.items}, {shown})"


def project_agreement(
    project: Project, task: str | None = None, *, threshold: float = THRESHOLD
) -> TrackAgreement:
    """Agreement between a project's annotators on a video-tracks task: each pair
    over the videos both labeled, every frame of each video (its frame count from
    the file; the last keyframe where it cannot be read)."""
    from ...errors import ItemReadError
    from ...ml.annotations import annotator_labels

    spec = project.schema.task_of_kind(task, "video", purpose="track agreement")
    wide = annotator_labels(project, spec.name)
    names = [str(c) for c in wide.columns]
    cells = {
        iid: {a: v for a, v in zip(names, row, strict=True) if isinstance(v, Mapping)}
        for iid, row in zip(wide.index, wide.itertuples(index=False, name=None), strict=True)
    }
    shared = [iid for iid, by in cells.items() if len(by) >= 2]
    lengths: dict[str, int | None] = {}
    for rec in project.store.get_items(shared) if shared else []:
        try:
            lengths[rec.item_id] = project.reader.video(rec).frame_count
        except (ItemReadError, ImportError):
            lengths[rec.item_id] = None
    rows = []
    pooled = TrackCounts()
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = [iid for iid, by in cells.items() if a in by and b in by]
            if not both:
                continue
            c = TrackCounts()
            for iid in both:
                c = c + track_counts(cells[iid][a], cells[iid][b], threshold, lengths.get(iid))
            pooled = pooled + c
            rows.append(
                {
                    "annotator_a": a,
                    "annotator_b": b,
                    "items": len(both),
                    "shapes_a": c.shapes_a,
                    "shapes_b": c.shapes_b,
                    "frame_f1": c.frame_f1,
                    "mean_iou": c.mean_iou,
                    "mota": c.mota,
                    "id_switches": c.switches,
                    "idf1": c.idf1,
                }
            )
    columns = [
        "annotator_a",
        "annotator_b",
        "items",
        "shapes_a",
        "shapes_b",
        "frame_f1",
        "mean_iou",
        "mota",
        "id_switches",
        "idf1",
    ]
    summary = (
        {
            "frame_f1": pooled.frame_f1,
            "mean_iou": pooled.mean_iou,
            "mota": pooled.mota,
            "idf1": pooled.idf1,
            "id_switches": float(pooled.switches),
        }
        if rows
        else {}
    )
    return TrackAgreement(
        spec.name, pd.DataFrame(rows, columns=columns), summary, threshold, len(shared)
    )
