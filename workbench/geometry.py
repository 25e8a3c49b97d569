"""Shape maths for spatial labels: boxes, polygons, points.

Conventions (those of COCO):

* a box is ``[x, y, w, h]``: top-left corner and size, in pixels, ``w, h >= 0``;
* a polygon is an ``N × 2`` array of ``(x, y)`` vertices, ``N >= 3``, closed
  implicitly (the last vertex joins the first). A flat COCO-style list
  ``[x0, y0, x1, y1, …]`` is accepted wherever a polygon is.

:func:`polygon_iou` is exact (up to floating-point rounding) for any two
simple polygons, convex or not, without rasterising: each polygon is fanned
into signed triangles from one of its vertices, so that its indicator
function is the signed sum of the triangles' indicators, and the overlap area
is the signed sum of the pairwise triangle overlaps. Two triangles are
convex, so each pairwise overlap is an exact Sutherland–Hodgman clip; all
pairs are clipped at once in numpy, after dropping pairs whose bounding
boxes are disjoint. Cost is ``O(N·M)`` for ``N``- and ``M``-gons.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "box_iou",
    "box_iou_matrix",
    "polygon_area",
    "polygon_iou",
    "point_in_polygon",
    "bbox_of",
]

# bbox_of reads a list of up to this many points in plain Python: numpy's
# per-call cost is most of the time for lists this short.
_SMALL = 100

# Pairs of triangles clipped per numpy batch: bounds peak memory (~1 KB a pair).
_PAIR_CHUNK = 65536


# ---------------------------------------------------------------------------
# validation


def _as_boxes(boxes: Any, name: str) -> np.ndarray:
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must be an (N, 4) array of [x, y, w, h]; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has non-finite coordinates")
    neg = (arr[:, 2] < 0) | (arr[:, 3] < 0)
    if neg.any():
        i = int(np.argmax(neg))
        raise ValueError(f"{name} box {i} has a negative size: [x, y, w, h] = {arr[i].tolist()}")
    return arr


def _as_box(box: Any, name: str) -> np.ndarray:
    arr = np.asarray(box, dtype=np.float64)
    if arr.shape != (4,):
        raise ValueError(f"{name} must be one box [x, y, w, h]; got shape {arr.shape}")
    return _as_boxes(arr[None, :], name)[0]


def _as_points(points: Any, name: str, *, min_points: int) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1:
        if arr.size % 2:
            raise ValueError(
                f"{name} as a flat list [x0, y0, x1, y1, ...] needs an even length; got {arr.size}"
            )
        arr = arr.reshape(-1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be an (N, 2) array of (x, y); got shape {arr.shape}")
    if arr.shape[0] < min_points:
        raise ValueError(f"{name} needs at least {min_points} points; got {arr.shape[0]}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has non-finite coordinates")
    return arr


# ---------------------------------------------------------------------------
# boxes


def box_iou_matrix(a: Any, b: Any) -> np.ndarray:
    """Pairwise IoU of two sets of boxes.

    Parameters
    ----------
    a : array-like, shape (N, 4)
        Boxes ``[x, y, w, h]``.
    b : array-like, shape (M, 4)
        Boxes ``[x, y, w, h]``.

    Returns
    -------
    numpy.ndarray, shape (N, M), float64
        ``iou[i, j]`` for ``a[i]`` and ``b[j]``; 0.0 where both boxes have zero
        area.

    Raises
    ------
    ValueError
        On a wrong shape, non-finite values, or a negative width or height.
    """
    A = _as_boxes(a, "a")
    B = _as_boxes(b, "b")
    ax0, ay0 = A[:, 0:1], A[:, 1:2]
    ax1, ay1 = ax0 + A[:, 2:3], ay0 + A[:, 3:4]
    bx0, by0 = B[:, 0], B[:, 1]
    bx1, by1 = bx0 + B[:, 2], by0 + B[:, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = iw * ih
    union = (A[:, 2] * A[:, 3])[:, None] + (B[:, 2] * B[:, 3])[None, :] - inter
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def box_iou(a: Any, b: Any) -> float:
    """IoU of two boxes ``[x, y, w, h]``.

    Parameters
    ----------
    a, b : array-like, shape (4,)

    Returns
    -------
    float
        In [0, 1]; 0.0 when both boxes have zero area.

    Raises
    ------
    ValueError
        On a wrong shape, non-finite values, or a negative width or height.
    """
    return float(box_iou_matrix(_as_box(a, "a")[None], _as_box(b, "b")[None])[0, 0])


# ---------------------------------------------------------------------------
# polygons


def _signed_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    # y and x shifted by one vertex, as np.roll gives them (contiguous copies) at a
    # fraction of its cost. np.dot sums in BLAS's own order, which depends on the
    # operands' strides: a plain Python sum would change the last bits of areas.
    y1 = np.concatenate((y[1:], y[:1]))
    x1 = np.concatenate((x[1:], x[:1]))
    return 0.5 * float(np.dot(x, y1) - np.dot(y, x1))


def polygon_area(points: Any, *, signed: bool = False) -> float:
    """Area of a polygon by the shoelace formula.

    Parameters
    ----------
    points : array-like, shape (N, 2), or flat (2N,)
        Vertices in order, ``N >= 3``.
    signed : bool, default False
        If True, positive for counter-clockwise vertices in a y-up frame
        (clockwise on screen, where y points down), negative otherwise.

    Returns
    -------
    float
        Area in square pixels. For a self-intersecting polygon this is the
        winding-number-weighted area (lobes of opposite orientation cancel).

    Raises
    ------
    ValueError
        On fewer than 3 points, a wrong shape, or non-finite values.
    """
    a = _signed_area(_as_points(points, "points", min_points=3))
    return a if signed else abs(a)


def bbox_of(points: Any) -> list[float]:
    """Bounding box ``[x, y, w, h]`` of a set of points.

    Parameters
    ----------
    points : array-like, shape (N, 2), or flat (2N,)
        ``N >= 1``.

    Returns
    -------
    list of float
        ``[min x, min y, max x - min x, max y - min y]``.
    """
    if type(points) is list and 0 < len(points) <= _SMALL:
        box = _small_bbox(points)
        if box is not None:
            return box
    p = _as_points(points, "points", min_points=1)
    lo, hi = p.min(axis=0), p.max(axis=0)
    return [float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])]


def _small_bbox(points: list) -> list[float] | None:
    """:func:`bbox_of` of a short list of ``[x, y]`` pairs in plain Python (three
    times faster than through numpy), or None where the numpy path must decide:
    a flat list, points that are not pairs, values that are not finite."""
    if any(type(p) is not list and type(p) is not tuple for p in points):
        return None
    try:
        xs = [float(x) for x, _ in points]
        ys = [float(y) for _, y in points]
    except (TypeError, ValueError, OverflowError):
        return None
    # A finite sum means no NaN or infinity (min and max would skip a NaN).
    if not math.isfinite(sum(xs) + sum(ys)):
        return None
    x0, y0 = min(xs), min(ys)
    if (x0 == 0.0 and _negative_zero(xs)) or (y0 == 0.0 and _negative_zero(ys)):
        return None  # which zero is the minimum is numpy's to say
    return [x0, y0, max(xs) - x0, max(ys) - y0]


def _negative_zero(values: list[float]) -> bool:
    return any(v == 0.0 and math.copysign(1.0, v) < 0 for v in values)


def point_in_polygon(x: Any, y: Any, points: Any) -> Any:
    """Whether points lie inside a polygon (even-odd rule); the boundary is inside.

    Parameters
    ----------
    x, y : float or array-like
        Query coordinates; broadcast against each other.
    points : array-like, shape (N, 2), or flat (2N,)
        Polygon vertices, ``N >= 3``.

    Returns
    -------
    bool or numpy.ndarray of bool
        A bool for scalar ``x, y``, else an array of their broadcast shape.
        A point exactly on an edge or vertex counts as inside.
    """
    p = _as_points(points, "points", min_points=3)
    qx, qy = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    shape = qx.shape
    qx, qy = qx.reshape(-1, 1), qy.reshape(-1, 1)
    x0, y0 = p[:, 0], p[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    # Crossing number: edges straddling the horizontal line through the point
    # (half-open in y, so a vertex on the line is counted once), crossed to
    # the right of it.
    straddle = (y0 > qy) != (y1 > qy)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x0 + (qy - y0) * (x1 - x0) / (y1 - y0)
    inside = (np.count_nonzero(straddle & (qx < xc), axis=1) % 2) == 1
    cross = (x1 - x0) * (qy - y0) - (y1 - y0) * (qx - x0)
    on_edge = (
        (cross == 0)
        & (qx >= np.minimum(x0, x1))
        & (qx <= np.maximum(x0, x1))
        & (qy >= np.minimum(y0, y1))
        & (qy <= np.maximum(y0, y1))
    ).any(axis=1)
    out = inside | on_edge
    return bool(out[0]) if shape == () else out.reshape(shape)


def _fan(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Triangles ``(p0, p_i, p_i+1)``, each made counter-clockwise, and their signs."""
    t = np.stack([np.broadcast_to(p[0], (len(p) - 2, 2)), p[1:-1], p[2:]], axis=1)  # (N-2, 3, 2)
    d1, d2 = t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]
    cr = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    keep = cr != 0
    t, cr = t[keep], cr[keep]
    cw = cr < 0
    t[cw] = t[cw][:, ::-1]
    return t, np.where(cw, -1.0, 1.0)


def _clip_half_plane(
    poly: np.ndarray, n: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Clip K polygons to the left of the directed lines a→b (one Sutherland–Hodgman step).

    ``poly`` is (K, V, 2) with ``n`` (K,) valid vertices each; returns the same form.
    """
    K, V, _ = poly.shape
    idx = np.arange(V)
    valid = idx[None, :] < n[:, None]
    prev_idx = (idx[None, :] - 1) % np.maximum(n, 1)[:, None]
    prev = np.take_along_axis(poly, prev_idx[..., None], axis=1)
    e = (b - a)[:, None, :]
    a_ = a[:, None, :]

    def side(q: np.ndarray) -> np.ndarray:
        return e[..., 0] * (q[..., 1] - a_[..., 1]) - e[..., 1] * (q[..., 0] - a_[..., 0])

    dc, dp = side(poly), side(prev)
    cin, pin = dc >= 0, dp >= 0
    emit_i = valid & (cin != pin)
    emit_c = valid & cin
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(emit_i, dp / (dp - dc), 0.0)
    inter = prev + t[..., None] * (poly - prev)
    pts = np.stack([inter, poly], axis=2).reshape(K, 2 * V, 2)
    emit = np.stack([emit_i, emit_c], axis=2).reshape(K, 2 * V)
    new_n = emit.sum(axis=1)
    order = np.argsort(~emit, axis=1, kind="stable")
    width = max(int(new_n.max()) if K else 0, 1)
    out = np.take_along_axis(pts, order[:, :width, None], axis=1)
    return out, new_n


def _triangle_overlaps(s: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Overlap areas of K pairs of counter-clockwise triangles, (K, 3, 2) each."""
    poly, n = s, np.full(len(s), 3)
    for k in range(3):
        poly, n = _clip_half_plane(poly, n, c[:, k], c[:, (k + 1) % 3])
    V = poly.shape[1]
    idx = np.arange(V)
    nxt = np.take_along_axis(poly, ((idx[None, :] + 1) % np.maximum(n, 1)[:, None])[..., None], 1)
    cr = poly[..., 0] * nxt[..., 1] - poly[..., 1] * nxt[..., 0]
    cr = np.where(idx[None, :] < n[:, None], cr, 0.0)
    return 0.5 * np.abs(cr.sum(axis=1))


def _overlap_area(p: np.ndarray, q: np.ndarray) -> float:
    tp, sp = _fan(p)
    tq, sq = _fan(q)
    if not len(tp) or not len(tq):
        return 0.0
    plo, phi = tp.min(axis=1), tp.max(axis=1)
    qlo, qhi = tq.min(axis=1), tq.max(axis=1)
    touch = (
        (plo[:, None, 0] < qhi[None, :, 0])
        & (qlo[None, :, 0] < phi[:, None, 0])
        & (plo[:, None, 1] < qhi[None, :, 1])
        & (qlo[None, :, 1] < phi[:, None, 1])
    )
    i, j = np.nonzero(touch)
    total = 0.0
    for lo in range(0, len(i), _PAIR_CHUNK):
        ii, jj = i[lo : lo + _PAIR_CHUNK], j[lo : lo + _PAIR_CHUNK]
        total += float(np.dot(_triangle_overlaps(tp[ii], tq[jj]), sp[ii] * sq[jj]))
    return abs(total)


def polygon_iou(p: Any, q: Any) -> float:
    """Exact intersection over union of two simple polygons.

    Parameters
    ----------
    p : array-like, shape (N, 2), or flat (2N,)
        Vertices of the first polygon, ``N >= 3``, either orientation.
    q : array-like, shape (M, 2), or flat (2M,)
        Vertices of the second polygon, ``M >= 3``.

    Returns
    -------
    float
        In [0, 1], exact up to floating-point rounding for simple polygons,
        convex or not (see the module docstring for the method); 0.0 when both
        have zero area. For self-intersecting polygons the result weights each
        region by its winding numbers and is not an even-odd IoU.

    Raises
    ------
    ValueError
        On fewer than 3 points, a wrong shape, or non-finite values.
    """
    P = _as_points(p, "p", min_points=3)
    Q = _as_points(q, "q", min_points=3)
    # Shift both near the origin: fewer cancellation errors in the cross products.
    shift = np.minimum(P.min(axis=0), Q.min(axis=0))
    P, Q = P - shift, Q - shift
    inter = _overlap_area(P, Q)
    union = abs(_signed_area(P)) + abs(_signed_area(Q)) - inter
    if union <= 0:
        return 0.0
    return float(min(max(inter / union, 0.0), 1.0))
