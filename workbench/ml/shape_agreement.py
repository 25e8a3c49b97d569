"""Agreement between annotators on spatial labels: shape matching, IoU, OKS, masks.

Shapes are the dicts of a :class:`~workbench.Shapes` task (see
:mod:`workbench.kinds.shapes.schema`). Two lists of shapes — two annotators' labels of one
item, or a label and a model's prediction — are compared in three steps:

1. :func:`iou_matrix`: a similarity in [0, 1] for every pair of shapes, by type:

   ==========================  ================================================
   box – box                   box IoU (:func:`workbench.geometry.box_iou_matrix`,
                               one vectorised pass)
   polygon – polygon, box      exact polygon IoU (:func:`workbench.geometry.polygon_iou`;
                               a box is its 4-gon, so box – polygon is exact too)
   mask – mask                 IoU on the RLE runs (:func:`workbench.masks.iou`),
                               never decoded
   mask – polygon or box       the polygon (or box) is rasterised at the mask's
                               size — a pixel is inside when its centre is
                               (even-odd rule), see :func:`rasterize` — then
                               the mask IoU: approximate to the pixel grid
   keypoints – keypoints       object keypoint similarity (:func:`oks`), the
                               symmetric form; same class and skeleton only
   polyline – polyline         :func:`polyline_similarity`: a Gaussian of the
                               symmetric mean distance between the two lines
   cuboid – cuboid             mean of the exact IoUs of the front faces and
                               of the back faces (each a quadrilateral)
   anything else               0 (keypoints never match a box, etc.)
   ==========================  ================================================

   With ``by_class=True`` shapes of different classes get 0.

2. :func:`match_shapes`: the one-to-one matching that maximises the summed
   similarity over pairs whose similarity reaches ``iou_threshold``
   (``scipy.optimize.linear_sum_assignment`` when scipy is installed — it comes
   with scikit-learn — else greedy, best pair first).

3. :func:`shape_agreement`: one score per item in [0, 1],

   .. math:: \\frac{\\sum_{\\text{matched}} \\mathrm{IoU}}{m + u_a + u_b}

   with ``m`` matched pairs and ``u_a``, ``u_b`` shapes left unmatched on each
   side: 1 for identical labels, 0 when nothing matches; it is the F1 score of
   the matching (``2m / (n_a + n_b)``) weighted by how well matched shapes
   overlap (the "panoptic quality" of Kirillov et al.). Two empty labels agree
   (1.0). It is symmetric by construction.

Masks of whole classes (semantic segmentation) are compared with
:func:`mask_agreement` (IoU and Dice) and :func:`semantic_agreement` (per class).
:func:`table_pairwise` scores every pair of annotators on every item they both
labeled (``pairwise`` in :mod:`workbench.agreement` does it for a project's
shapes task) and :func:`by_annotator` sums that up per annotator.

Nominal labels (classification) are compared in :mod:`workbench.ml.stats`;
:mod:`workbench.agreement` re-exports both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .. import geometry, masks

__all__ = [
    "Match",
    "MaskAgreement",
    "iou_matrix",
    "shape_iou",
    "match_shapes",
    "shape_agreement",
    "oks",
    "polyline_similarity",
    "mask_agreement",
    "semantic_agreement",
    "rasterize",
    "shape_bbox",
    "table_pairwise",
    "by_annotator",
    "DEFAULT_SIGMA",
    "DEFAULT_LINE_TOLERANCE",
]

#: Per-keypoint OKS sigma when none is given: the smallest of COCO's person
#: sigmas (eyes, nose), so COCO's ``k = 2σ`` is 0.05. Strict for limbs; pass
#: ``sigmas=`` (COCO's person values run from 0.025 to 0.107).
DEFAULT_SIGMA = 0.025
#: Pixels of symmetric mean distance at which two polylines score exp(-1/2) ≈ 0.61.
DEFAULT_LINE_TOLERANCE = 10.0

# Types compared by area (IoU): any two of them can be matched.
_AREA_TYPES = ("box", "polygon", "mask")
# Points sampled along each polyline for the distance between two lines.
_LINE_SAMPLES = 64


# ---------------------------------------------------------------------------
# per-shape helpers


def shape_bbox(shape: Mapping[str, Any]) -> list[float]:
    """Bounding box ``[x, y, w, h]`` of any shape.

    Boxes are themselves; polygons, polylines and cuboids (all eight corners)
    the box of their points; keypoints the box of their labeled points
    (visibility > 0; ``[0, 0, 0, 0]`` when none is); masks the box of their
    foreground pixels (:func:`workbench.masks.to_bbox`).
    """
    kind = shape.get("type")
    if kind == "box":
        return [float(v) for v in shape["bbox"]]
    if kind in ("polygon", "polyline"):
        return geometry.bbox_of(np.asarray(shape["points"], np.float64)[:, :2])
    if kind == "keypoints":
        pts = np.asarray(shape["points"], np.float64).reshape(-1, 3)
        pts = pts[pts[:, 2] > 0]
        return geometry.bbox_of(pts[:, :2]) if len(pts) else [0.0, 0.0, 0.0, 0.0]
    if kind == "mask":
        return masks.to_bbox(shape["rle"])
    if kind == "cuboid":
        return geometry.bbox_of(np.concatenate([shape["front"], shape["back"]]))
    raise ValueError(f"unknown shape type {kind!r}")


def _box_points(bbox: Sequence[float]) -> np.ndarray:
    x, y, w, h = (float(v) for v in bbox)
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def _area_points(shape: Mapping[str, Any]) -> np.ndarray:
    """Vertices of a box or polygon."""
    if shape["type"] == "box":
        return _box_points(shape["bbox"])
    return np.asarray(shape["points"], np.float64)


def rasterize(shape: Mapping[str, Any], size: Sequence[int]) -> np.ndarray:
    """A shape as an ``h × w`` 0/1 mask.

    Parameters
    ----------
    shape : dict
        A box, polygon or mask (a mask is decoded; its size must be ``size``).
        A cuboid is rasterised as the union of its two faces.
    size : (h, w)
        Size of the mask in pixels.

    Returns
    -------
    numpy.ndarray, shape (h, w), dtype uint8
        Pixel ``(row, col)`` is 1 when its centre ``(col + 0.5, row + 0.5)``
        lies inside the shape (even-odd rule; a centre exactly on the right or
        bottom edge is outside). Computed by scanlines: memory grows with
        ``h × vertices``, not ``h × w × vertices``.

    Raises
    ------
    ValueError
        For polylines and keypoints (they have no area), or a mask of another size.
    """
    h, w = int(size[0]), int(size[1])
    kind = shape.get("type")
    if kind == "mask":
        rle = shape["rle"]
        if [int(v) for v in rle["size"]] != [h, w]:
            raise ValueError(f"mask of size {list(rle['size'])} rasterised at size {[h, w]}")
        return masks.decode(rle)
    if kind in ("box", "polygon"):
        return _fill_polygon(_area_points(shape), h, w)
    if kind == "cuboid":
        front = _fill_polygon(np.asarray(shape["front"], np.float64), h, w)
        return front | _fill_polygon(np.asarray(shape["back"], np.float64), h, w)
    raise ValueError(f"a {kind} has no area to rasterise")


def _fill_polygon(points: np.ndarray, h: int, w: int) -> np.ndarray:
    out = np.zeros((h, w), np.uint8)
    if h == 0 or w == 0 or len(points) < 3:
        return out
    x0, y0 = points[:, 0], points[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    lo, hi = int(max(np.floor(y0.min() - 0.5), 0)), int(min(np.ceil(y0.max() + 0.5), h))
    if hi <= lo:
        return out
    yc = np.arange(lo, hi, dtype=np.float64)[:, None] + 0.5  # (R, 1) row centres
    # An edge crosses a row when exactly one end lies above its centre (half-open,
    # as geometry.point_in_polygon counts), at x = xc.
    crosses = (y0 > yc) != (y1 > yc)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x0 + (yc - y0) * (x1 - x0) / (y1 - y0)
    xc = np.where(crosses, xc, np.inf)
    xc.sort(axis=1)
    n = crosses.sum(axis=1)
    width = int(n.max()) if n.size else 0
    if width == 0:
        return out
    xc = xc[:, :width]
    # Centre c + 0.5 is inside when it lies in [x_2k, x_2k+1): columns from
    # ceil(x_2k - 0.5) up to (not including) ceil(x_2k+1 - 0.5).
    start = np.ceil(xc[:, 0::2] - 0.5)
    stop = np.ceil(xc[:, 1::2] - 0.5)
    pairs = np.arange(start.shape[1])[None, :] < (n // 2)[:, None]
    start = np.clip(np.where(pairs, start, 0), 0, w).astype(np.intp)
    stop = np.clip(np.where(pairs, stop, 0), 0, w).astype(np.intp)
    diff = np.zeros((hi - lo, w + 1), np.int32)
    rows = np.broadcast_to(np.arange(hi - lo)[:, None], start.shape)
    keep = pairs & (stop > start)
    np.add.at(diff, (rows[keep], start[keep]), 1)
    np.add.at(diff, (rows[keep], stop[keep]), -1)
    out[lo:hi] = (np.cumsum(diff[:, :w], axis=1) > 0).astype(np.uint8)
    return out


# ---------------------------------------------------------------------------
# similarities of one pair


def oks(
    a: Any,
    b: Any,
    *,
    sigmas: float | Sequence[float] | None = None,
    area: float | None = None,
    symmetric: bool = True,
) -> float:
    """Object keypoint similarity of two sets of keypoints (COCO's OKS).

    .. math:: \\mathrm{OKS} = \\frac{1}{|P|} \\sum_{i \\in P}
              \\exp\\left(-\\frac{d_i^2}{2 s^2 k_i^2}\\right), \\quad k_i = 2 \\sigma_i

    Parameters
    ----------
    a, b : keypoints shape dict or array-like, shape (n, 3)
        Points ``[x, y, v]`` in the same order (one skeleton); ``v`` is COCO
        visibility, 0 = not labeled.
    sigmas : float or sequence of n floats, optional
        Per-point falloff, as COCO's ``sigmas`` (:data:`DEFAULT_SIGMA` for every
        point by default).
    area : float, optional
        The object scale ``s²`` in square pixels. By default the area of the
        bounding box of the labeled points: the mean of ``a``'s and ``b``'s when
        ``symmetric``, else ``a``'s (COCO uses the ground truth's segment area).
    symmetric : bool, default True
        True: ``P`` = points labeled in ``a`` or ``b``; a point labeled on one
        side only scores 0; no point labeled on either side gives 1.0 (both say
        nothing). False: COCO's directed form with ``a`` as ground truth: ``P``
        = points labeled in ``a``; unlabeled in ``b`` scores 0; none labeled in
        ``a`` gives 0.0.

    Returns
    -------
    float
        In [0, 1].
    """
    pa, pb = _keypoints(a, "a"), _keypoints(b, "b")
    if pa.shape != pb.shape:
        raise ValueError(f"oks needs the same number of keypoints; got {len(pa)} and {len(pb)}")
    la, lb = pa[:, 2] > 0, pb[:, 2] > 0
    counted = (la | lb) if symmetric else la
    if not counted.any():
        return 1.0 if symmetric else 0.0
    sig = _sigmas(sigmas, len(pa))
    if area is None:
        area_a = _bbox_area(pa[la, :2])
        area = 0.5 * (area_a + _bbox_area(pb[lb, :2])) if symmetric else area_a
    if area < 0:
        raise ValueError(f"area must be >= 0, got {area}")
    d2 = ((pa[:, :2] - pb[:, :2]) ** 2).sum(axis=1)
    k2 = (2 * sig) ** 2
    # COCO adds machine epsilon to the area so that a one-point object is defined.
    e = d2 / k2 / (float(area) + np.spacing(1)) / 2
    score = np.where(la & lb, np.exp(-e), 0.0)
    return float(score[counted].sum() / counted.sum())


def _keypoints(x: Any, name: str) -> np.ndarray:
    if isinstance(x, Mapping):
        x = x["points"]
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"{name} must be keypoints [[x, y, v], ...]; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has non-finite keypoint coordinates")
    return arr


def _sigmas(sigmas: float | Sequence[float] | None, n: int) -> np.ndarray:
    if sigmas is None:
        return np.full(n, DEFAULT_SIGMA)
    arr = np.asarray(sigmas, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,) or not (arr > 0).all():
        raise ValueError(f"sigmas must be one positive number or {n} of them; got {sigmas!r}")
    return arr


def _bbox_area(points: np.ndarray) -> float:
    if len(points) == 0:
        return 0.0
    span = points.max(axis=0) - points.min(axis=0)
    return float(span[0] * span[1])


def polyline_similarity(
    a: Any, b: Any, *, tolerance: float = DEFAULT_LINE_TOLERANCE, samples: int = _LINE_SAMPLES
) -> float:
    """Similarity of two open polylines (lanes, edges) in [0, 1].

    ``exp(-d² / (2 · tolerance²))`` where ``d`` is the symmetric mean distance:
    the mean, over ``samples`` points spaced evenly along each line (by arc
    length, ends included), of the distance to the other line, averaged over
    both directions. Identical lines score 1; lines ``tolerance`` pixels apart
    on average score 0.61; a line that stops halfway along the other is
    penalised by the distances of the other's uncovered half. Direction does
    not matter.

    Parameters
    ----------
    a, b : polyline shape dict or array-like, shape (n, 2)
    tolerance : float
        Pixels; the distance scale.
    samples : int
        Points sampled along each line.
    """
    if tolerance <= 0:
        raise ValueError(f"tolerance must be > 0 pixels, got {tolerance}")
    pa = _points2d(a, "a")
    pb = _points2d(b, "b")
    d = 0.5 * (_mean_distance(_sample_line(pa, samples), pb)
               + _mean_distance(_sample_line(pb, samples), pa))  # fmt: skip
    return float(np.exp(-(d**2) / (2 * tolerance**2)))


def _points2d(x: Any, name: str) -> np.ndarray:
    if isinstance(x, Mapping):
        x = x["points"]
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 1 or not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite points [[x, y], ...]; got {x!r}")
    return arr


def _sample_line(p: np.ndarray, n: int) -> np.ndarray:
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    if cum[-1] == 0:
        return p[:1]
    t = np.linspace(0.0, cum[-1], max(int(n), 2))
    return np.stack([np.interp(t, cum, p[:, 0]), np.interp(t, cum, p[:, 1])], axis=1)


def _mean_distance(q: np.ndarray, line: np.ndarray) -> float:
    """Mean distance from points ``q`` (Q, 2) to the polyline ``line`` (n, 2)."""
    if len(line) == 1:
        return float(np.linalg.norm(q - line[0], axis=1).mean())
    s0, s1 = line[:-1], line[1:]
    d = s1 - s0  # (S, 2)
    len2 = (d**2).sum(axis=1)
    rel = q[:, None, :] - s0[None, :, :]  # (Q, S, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(len2 > 0, (rel * d[None]).sum(axis=2) / len2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    nearest = s0[None] + t[..., None] * d[None]
    dist = np.linalg.norm(q[:, None, :] - nearest, axis=2).min(axis=1)
    return float(dist.mean())


def _cuboid_iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    return 0.5 * (geometry.polygon_iou(a["front"], b["front"])
                  + geometry.polygon_iou(a["back"], b["back"]))  # fmt: skip


def _area_iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """IoU of two shapes among box, polygon and mask."""
    ta, tb = a["type"], b["type"]
    if ta == "box" and tb == "box":
        return geometry.box_iou(a["bbox"], b["bbox"])
    if ta == "mask" and tb == "mask":
        sa, sb = list(a["rle"]["size"]), list(b["rle"]["size"])
        if sa != sb:
            raise ValueError(f"two masks of different sizes: {sa} and {sb}")
        return masks.iou(a["rle"], b["rle"])
    if ta == "mask" or tb == "mask":
        m, other = (a, b) if ta == "mask" else (b, a)
        return masks.iou(m["rle"], rasterize(other, m["rle"]["size"]))
    return geometry.polygon_iou(_area_points(a), _area_points(b))


def shape_iou(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    sigmas: float | Sequence[float] | Mapping[str, Any] | None = None,
    line_tolerance: float = DEFAULT_LINE_TOLERANCE,
) -> float:
    """Similarity in [0, 1] of two shapes, by type (table in the module docstring).

    Classes are not compared here (see ``by_class`` of :func:`iou_matrix`).
    ``sigmas`` for keypoints: one number, one per point, or ``{class: sigmas}``.
    """
    ta, tb = a.get("type"), b.get("type")
    if ta in _AREA_TYPES and tb in _AREA_TYPES:
        return _area_iou(a, b)
    if ta != tb:
        return 0.0
    if ta == "keypoints":
        if len(a["points"]) != len(b["points"]):
            return 0.0
        return oks(a, b, sigmas=_class_sigmas(sigmas, a.get("class")))
    if ta == "polyline":
        return polyline_similarity(a, b, tolerance=line_tolerance)
    if ta == "cuboid":
        return _cuboid_iou(a, b)
    raise ValueError(f"unknown shape type {ta!r}")


def _class_sigmas(sigmas: Any, cls: Any) -> Any:
    if isinstance(sigmas, Mapping):
        return sigmas.get(cls)
    return sigmas


# ---------------------------------------------------------------------------
# matrices and matching


def iou_matrix(
    a: Sequence[Mapping[str, Any]],
    b: Sequence[Mapping[str, Any]],
    *,
    by_class: bool = True,
    sigmas: float | Sequence[float] | Mapping[str, Any] | None = None,
    line_tolerance: float = DEFAULT_LINE_TOLERANCE,
) -> np.ndarray:
    """Similarity of every pair of shapes of two lists.

    Parameters
    ----------
    a, b : list of shape dicts
        Two labels of the same item (lengths N and M).
    by_class : bool, default True
        Shapes of different classes get 0.
    sigmas, line_tolerance
        For keypoints (:func:`oks`) and polylines (:func:`polyline_similarity`).

    Returns
    -------
    numpy.ndarray, shape (N, M), float64
        In [0, 1]; see the module docstring for each pair of types. All box
        pairs are one :func:`~workbench.geometry.box_iou_matrix` call; other
        pairs are computed only where their bounding boxes overlap.
    """
    n, m = len(a), len(b)
    out = np.zeros((n, m))
    if n == 0 or m == 0:
        return out
    ta = np.array([s.get("type") for s in a], dtype=object)
    tb = np.array([s.get("type") for s in b], dtype=object)
    allowed = np.ones((n, m), bool)
    if by_class:
        ca = np.array([s.get("class") for s in a], dtype=object)
        cb = np.array([s.get("class") for s in b], dtype=object)
        allowed &= ca[:, None] == cb[None, :]
    box_a, box_b = ta == "box", tb == "box"
    both_boxes = allowed & box_a[:, None] & box_b[None, :]
    if both_boxes.any():
        ia, ib = np.flatnonzero(box_a), np.flatnonzero(box_b)
        block = geometry.box_iou_matrix([a[i]["bbox"] for i in ia], [b[j]["bbox"] for j in ib])
        out[np.ix_(ia, ib)] = block
        out[~both_boxes] = 0.0
    rest = allowed & ~both_boxes
    if not rest.any():
        return out
    area_a, area_b = np.isin(ta, _AREA_TYPES), np.isin(tb, _AREA_TYPES)
    same_kind = (area_a[:, None] & area_b[None, :]) | (ta[:, None] == tb[None, :])
    rest &= same_kind
    if not rest.any():
        return out
    # Bounding boxes decide which pairs can overlap at all; a one-pixel margin
    # covers rasterised polygons, whose pixels reach half a pixel past them.
    bb_a = np.array([shape_bbox(s) for s in a])
    bb_b = np.array([shape_bbox(s) for s in b])
    overlap = _bbox_overlap(bb_a, bb_b, margin=1.0)
    # Keypoints and polylines score by distance, so they are never pruned.
    by_distance = np.isin(ta, ("keypoints", "polyline"))[:, None]
    for i, j in zip(*np.nonzero(rest & (overlap | by_distance)), strict=True):
        out[i, j] = shape_iou(a[i], b[j], sigmas=sigmas, line_tolerance=line_tolerance)
    return out


def _bbox_overlap(a: np.ndarray, b: np.ndarray, *, margin: float) -> np.ndarray:
    ax0, ay0 = a[:, 0:1] - margin, a[:, 1:2] - margin
    ax1, ay1 = a[:, 0:1] + a[:, 2:3] + margin, a[:, 1:2] + a[:, 3:4] + margin
    bx0, by0 = b[:, 0], b[:, 1]
    bx1, by1 = bx0 + b[:, 2], by0 + b[:, 3]
    return (np.minimum(ax1, bx1) > np.maximum(ax0, bx0)) & (
        np.minimum(ay1, by1) > np.maximum(ay0, by0)
    )


@dataclass(frozen=True)
class Match:
    """A one-to-one matching of shapes ``a`` to shapes ``b``.

    Attributes
    ----------
    pairs : list of (i, j, iou)
        ``a[i]`` matched with ``b[j]``, by descending IoU.
    unmatched_a, unmatched_b : list of int
        Indices left without a partner, ascending.
    iou : numpy.ndarray, shape (len(a), len(b))
        The similarity matrix the matching was made from.
    """

    pairs: list[tuple[int, int, float]]
    unmatched_a: list[int]
    unmatched_b: list[int]
    iou: np.ndarray = field(repr=False)

    @property
    def score(self) -> float:
        """Sum of matched IoUs / (matched + unmatched on both sides); 1.0 for two empty lists."""
        total = len(self.pairs) + len(self.unmatched_a) + len(self.unmatched_b)
        if total == 0:
            return 1.0
        return float(sum(p[2] for p in self.pairs) / total)

    @property
    def mean_iou(self) -> float:
        """Mean IoU of the matched pairs (NaN when none)."""
        return float(np.mean([p[2] for p in self.pairs])) if self.pairs else float("nan")


def match_shapes(
    a: Sequence[Mapping[str, Any]],
    b: Sequence[Mapping[str, Any]],
    *,
    iou_threshold: float = 0.5,
    by_class: bool = True,
    sigmas: float | Sequence[float] | Mapping[str, Any] | None = None,
    line_tolerance: float = DEFAULT_LINE_TOLERANCE,
) -> Match:
    """Match two lists of shapes one to one by IoU.

    Among pairs with similarity ``>= iou_threshold`` (and > 0), the matching
    that maximises the summed similarity: the Hungarian algorithm
    (``scipy.optimize.linear_sum_assignment``) when scipy is installed, else
    greedily, the most similar free pair first (which can miss the optimum
    when one shape overlaps two).

    Parameters
    ----------
    a, b : list of shape dicts
    iou_threshold : float, default 0.5
        The least similarity of a matched pair (IoU, OKS or line similarity).
    by_class : bool, default True
        Only shapes of the same class match.
    sigmas, line_tolerance
        See :func:`iou_matrix`.

    Returns
    -------
    Match
    """
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must lie in [0, 1], got {iou_threshold}")
    sim = iou_matrix(a, b, by_class=by_class, sigmas=sigmas, line_tolerance=line_tolerance)
    return _match(sim, iou_threshold)


def _match(sim: np.ndarray, iou_threshold: float) -> Match:
    n, m = sim.shape
    valid = (sim >= iou_threshold) & (sim > 0)
    pairs: list[tuple[int, int, float]] = []
    if valid.any():
        weights = np.where(valid, sim, 0.0)
        try:
            from scipy.optimize import linear_sum_assignment
        except ImportError:  # pragma: no cover - scipy comes with scikit-learn
            rows, cols = _greedy(weights)
        else:
            rows, cols = linear_sum_assignment(weights, maximize=True)
        pairs = [(int(i), int(j), float(sim[i, j])) for i, j in zip(rows, cols, strict=True)
                 if valid[i, j]]  # fmt: skip
        pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    used_a = {p[0] for p in pairs}
    used_b = {p[1] for p in pairs}
    return Match(
        pairs,
        [i for i in range(n) if i not in used_a],
        [j for j in range(m) if j not in used_b],
        sim,
    )


def _greedy(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.nonzero(weights > 0)
    order = np.lexsort((cols, rows, -weights[rows, cols]))
    used_r: set[int] = set()
    used_c: set[int] = set()
    out_r, out_c = [], []
    for k in order:
        i, j = int(rows[k]), int(cols[k])
        if i not in used_r and j not in used_c:
            used_r.add(i)
            used_c.add(j)
            out_r.append(i)
            out_c.append(j)
    return np.asarray(out_r, np.intp), np.asarray(out_c, np.intp)


def shape_agreement(
    a: Sequence[Mapping[str, Any]],
    b: Sequence[Mapping[str, Any]],
    *,
    iou_threshold: float = 0.5,
    by_class: bool = True,
    sigmas: float | Sequence[float] | Mapping[str, Any] | None = None,
    line_tolerance: float = DEFAULT_LINE_TOLERANCE,
) -> float:
    """Agreement of two labels of one item, in [0, 1].

    ``sum of matched IoUs / (matched + unmatched in a + unmatched in b)`` over
    :func:`match_shapes`: 1.0 for identical labels (of shapes with an area)
    and for two empty ones, 0.0 when no pair matches. Symmetric: the matching
    is always made with the two lists in one canonical order, so ties between
    equally good matchings break the same way both ways round.
    """
    return _symmetric_match(
        a, b, iou_threshold=iou_threshold, by_class=by_class, sigmas=sigmas,
        line_tolerance=line_tolerance,
    ).score  # fmt: skip


def _symmetric_match(
    a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]], **options: Any
) -> Match:
    """:func:`match_shapes` made with ``a`` and ``b`` in canonical order, reported as
    ``a`` to ``b``: the same pairs whichever way round they are given."""
    if _canonical(a) <= _canonical(b):
        return match_shapes(a, b, **options)
    found = match_shapes(b, a, **options)
    pairs = sorted(((i, j, v) for j, i, v in found.pairs), key=lambda p: (-p[2], p[0], p[1]))
    return Match(pairs, found.unmatched_b, found.unmatched_a, found.iou.T)


def _canonical(shapes: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(list(shapes), sort_keys=True, default=_plain)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


# ---------------------------------------------------------------------------
# masks


class MaskAgreement(NamedTuple):
    """IoU and Dice of two binary masks, with the pixel counts they come from."""

    iou: float
    dice: float
    intersection: int
    area_a: int
    area_b: int


def mask_agreement(a: Any, b: Any) -> MaskAgreement:
    """IoU and Dice of two masks, each an RLE (either form) or an ``h × w`` 0/1 array.

    Computed on the runs (:func:`workbench.masks.iou`) without decoding an
    RLE. ``dice = 2|A∩B| / (|A| + |B|) = 2·IoU / (1 + IoU)``. Two empty masks
    agree fully: IoU and Dice 1.0 (unlike :func:`workbench.masks.iou`, which
    follows pycocotools and gives 0.0).

    Raises
    ------
    ValueError
        If the sizes differ or an input is malformed.
    """
    iou = masks.iou(a, b)
    area_a, area_b = masks.area(a), masks.area(b)
    if area_a == 0 and area_b == 0:
        return MaskAgreement(1.0, 1.0, 0, 0, 0)
    # |A∩B| = IoU (|A| + |B|) / (1 + IoU); exact after rounding for any real mask size.
    inter = int(round(iou * (area_a + area_b) / (1.0 + iou)))
    dice = 2.0 * inter / (area_a + area_b)
    return MaskAgreement(float(iou), float(dice), inter, int(area_a), int(area_b))


def semantic_agreement(
    a: Any,
    b: Any,
    *,
    classes: Sequence[str] | None = None,
    size: Sequence[int] | None = None,
    ignore_index: int | None = None,
) -> pd.DataFrame:
    """Per-class agreement of two semantic segmentations of one item.

    Parameters
    ----------
    a, b : list of shape dicts, or 2-D int arrays (label maps)
        Lists of shapes: each class's region is the union of its masks, and of
        its boxes and polygons rasterised (:func:`rasterize`); other types are
        ignored. Label maps: ``h × w`` arrays of class numbers.
    classes : sequence of str, optional
        Classes to report. For label maps, names of class numbers 0..K-1 (the
        numbers themselves by default); for shapes, every class either side
        uses by default.
    size : (h, w), optional
        Image size for shapes; by default that of their first mask.
    ignore_index : int, optional
        For label maps: pixels with this value on either side are left out.

    Returns
    -------
    DataFrame
        Index ``class``; columns ``iou``, ``dice``, ``area_a``, ``area_b``,
        ``intersection``. A class absent from both sides has NaN IoU and Dice
        (leave it out of means: ``df.iou.mean()`` skips NaN).
    """
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _label_map_agreement(np.asarray(a), np.asarray(b), classes, ignore_index)
    a, b = list(a), list(b)
    if size is None:
        sizes = [s["rle"]["size"] for s in a + b if s.get("type") == "mask"]
        if not sizes:
            raise ValueError("give size=(h, w): neither label has a mask to take it from")
        size = sizes[0]
    h, w = int(size[0]), int(size[1])
    if classes is None:
        classes = list(dict.fromkeys(s.get("class") for s in a + b if s.get("type") in _AREA_TYPES))
    rows = []
    for cls in classes:
        ma, mb = _class_mask(a, cls, h, w), _class_mask(b, cls, h, w)
        rows.append(_row(cls, mask_agreement(ma, mb)))
    return _agreement_frame(rows)


def _class_mask(shapes: list[Mapping[str, Any]], cls: Any, h: int, w: int) -> np.ndarray:
    out = np.zeros((h, w), np.uint8)
    for s in shapes:
        if s.get("class") == cls and s.get("type") in _AREA_TYPES:
            out |= rasterize(s, (h, w))
    return out


def _row(cls: Any, m: MaskAgreement) -> dict[str, Any]:
    empty = m.area_a == 0 and m.area_b == 0
    return {"class": cls, "iou": np.nan if empty else m.iou, "dice": np.nan if empty else m.dice,
            "area_a": m.area_a, "area_b": m.area_b, "intersection": m.intersection}  # fmt: skip


def _agreement_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["class", "iou", "dice", "area_a", "area_b", "intersection"]
    return pd.DataFrame(rows, columns=cols).set_index("class")


def _label_map_agreement(
    a: np.ndarray, b: np.ndarray, classes: Sequence[Any] | None, ignore_index: int | None
) -> pd.DataFrame:
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(
            f"label maps must be two 2-D arrays of one shape; got {a.shape}, {b.shape}"
        )
    if a.dtype.kind not in "iub" or b.dtype.kind not in "iub":
        raise ValueError(f"label maps must hold class numbers; got {a.dtype} and {b.dtype}")
    keep = np.ones(a.shape, bool)
    if ignore_index is not None:
        keep = (a != ignore_index) & (b != ignore_index)
    va, vb = a[keep].astype(np.int64), b[keep].astype(np.int64)
    if va.size and min(va.min(), vb.min()) < 0:
        raise ValueError("label maps hold negative class numbers; pass ignore_index= for them")
    k = (
        len(classes)
        if classes is not None
        else int(max(va.max(initial=-1), vb.max(initial=-1))) + 1
    )
    if va.size and max(va.max(), vb.max()) >= k:
        raise ValueError(f"a label map holds class {max(va.max(), vb.max())}, past {k} classes")
    conf = np.bincount(va * k + vb, minlength=k * k).reshape(k, k)
    inter = np.diag(conf)
    area_a, area_b = conf.sum(axis=1), conf.sum(axis=0)
    names = list(classes) if classes is not None else list(range(k))
    rows = []
    for c in range(k):
        union = area_a[c] + area_b[c] - inter[c]
        empty = union == 0
        rows.append({"class": names[c],
                     "iou": np.nan if empty else inter[c] / union,
                     "dice": np.nan if empty else 2 * inter[c] / (area_a[c] + area_b[c]),
                     "area_a": int(area_a[c]), "area_b": int(area_b[c]),
                     "intersection": int(inter[c])})  # fmt: skip
    return _agreement_frame(rows)


# ---------------------------------------------------------------------------
# project level

PAIRWISE_COLUMNS = ["item_id", "annotator_a", "annotator_b", "score", "matched",
                    "unmatched_a", "unmatched_b", "mean_iou"]  # fmt: skip


def table_pairwise(
    wide: pd.DataFrame,
    *,
    iou_threshold: float = 0.5,
    by_class: bool = True,
    sigmas: float | Sequence[float] | Mapping[str, Any] | None = None,
    line_tolerance: float = DEFAULT_LINE_TOLERANCE,
) -> pd.DataFrame:
    """:func:`pairwise` of an items × annotators table of shape lists (None where an
    annotator gave none), e.g. :meth:`workbench.team.Team.annotator_labels`."""
    rows = []
    for item_id, row in zip(wide.index, wide.to_dict("records"), strict=True):
        given = {k: v for k, v in row.items() if isinstance(v, list)}
        for x, y in combinations(sorted(given), 2):
            found = _symmetric_match(
                given[x], given[y], iou_threshold=iou_threshold, by_class=by_class,
                sigmas=sigmas, line_tolerance=line_tolerance,
            )  # fmt: skip
            rows.append({"item_id": item_id, "annotator_a": x, "annotator_b": y,
                         "score": found.score, "matched": len(found.pairs),
                         "unmatched_a": len(found.unmatched_a),
                         "unmatched_b": len(found.unmatched_b),
                         "mean_iou": found.mean_iou})  # fmt: skip
    return pd.DataFrame(rows, columns=PAIRWISE_COLUMNS)


def by_annotator(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per-annotator summary of :func:`pairwise`.

    Returns
    -------
    DataFrame
        Index ``annotator``; columns ``mean_score`` (mean agreement with
        everyone else over the pairs they are in), ``median_score``, ``pairs``
        (rows of ``pairs`` they are in), ``items`` (distinct items) and
        ``worst_partner`` (the annotator they agree with least on average).
        Lowest ``mean_score`` first.
    """
    missing = {"item_id", "annotator_a", "annotator_b", "score"} - set(pairs.columns)
    if missing:
        raise ValueError(f"pairs needs the columns of pairwise(); missing {sorted(missing)}")
    cols = ["mean_score", "median_score", "pairs", "items", "worst_partner"]
    if pairs.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="annotator"))
    long = pd.concat(
        [
            pairs[["item_id", "annotator_a", "annotator_b", "score"]].set_axis(
                ["item_id", "annotator", "partner", "score"], axis=1
            ),
            pairs[["item_id", "annotator_b", "annotator_a", "score"]].set_axis(
                ["item_id", "annotator", "partner", "score"], axis=1
            ),
        ],
        ignore_index=True,
    )
    grouped = long.groupby("annotator")
    partner_mean = long.groupby(["annotator", "partner"])["score"].mean()
    worst = partner_mean.groupby(level=0).idxmin().map(lambda t: t[1])
    out = pd.DataFrame(
        {
            "mean_score": grouped["score"].mean(),
            "median_score": grouped["score"].median(),
            "pairs": grouped.size(),
            "items": grouped["item_id"].nunique(),
            "worst_partner": worst,
        }
    )
    out.index.name = "annotator"
    return out.sort_values(["mean_score", "pairs"], kind="stable")
