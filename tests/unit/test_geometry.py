"""Boxes, polygons and points: IoU against pixel counts, known shapes, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import geometry

SQUARE = [[0, 0], [2, 0], [2, 2], [0, 2]]
L_SHAPE = [[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]]  # area 7, non-convex


# ---------------------------------------------------------------------------
# boxes

_int_box = st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 8), st.integers(0, 8))


def _box_pixels(box, size=24):
    x, y, w, h = box
    m = np.zeros((size, size), bool)
    m[y : y + h, x : x + w] = True
    return m


@settings(max_examples=200, deadline=None)
@given(_int_box, _int_box)
def test_box_iou_against_pixel_count(a, b):
    ma, mb = _box_pixels(a), _box_pixels(b)
    union = (ma | mb).sum()
    expected = (ma & mb).sum() / union if union else 0.0
    assert geometry.box_iou(a, b) == pytest.approx(expected)
    assert geometry.box_iou(b, a) == pytest.approx(expected)


def test_box_iou_matrix_matches_pairs():
    rng = np.random.default_rng(0)
    A = np.c_[rng.random((7, 2)) * 10, rng.random((7, 2)) * 5]
    B = np.c_[rng.random((5, 2)) * 10, rng.random((5, 2)) * 5]
    M = geometry.box_iou_matrix(A, B)
    assert M.shape == (7, 5)
    for i in range(7):
        for j in range(5):
            assert M[i, j] == pytest.approx(geometry.box_iou(A[i], B[j]))
    assert geometry.box_iou_matrix(np.zeros((0, 4)), B).shape == (0, 5)


def test_box_iou_known():
    assert geometry.box_iou([0, 0, 2, 2], [1, 1, 2, 2]) == pytest.approx(1 / 7)
    assert geometry.box_iou([0, 0, 2, 2], [0, 0, 2, 2]) == 1.0
    assert geometry.box_iou([0, 0, 1, 1], [1, 0, 1, 1]) == 0.0  # touching edges
    assert geometry.box_iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0


@pytest.mark.parametrize(
    "a, match",
    [
        ([0, 0, -1, 2], "negative size"),
        ([0, 0, 1, -2], "negative size"),
        ([0, 0, 1], "one box"),
        ([0, np.nan, 1, 1], "non-finite"),
    ],
)
def test_box_errors(a, match):
    with pytest.raises(ValueError, match=match):
        geometry.box_iou(a, [0, 0, 1, 1])


def test_box_matrix_shape_error():
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        geometry.box_iou_matrix(np.zeros((3, 3)), np.zeros((1, 4)))


# ---------------------------------------------------------------------------
# polygon area and bbox


def test_polygon_area_known():
    assert geometry.polygon_area(SQUARE) == 4.0
    assert geometry.polygon_area(SQUARE[::-1]) == 4.0
    assert geometry.polygon_area(SQUARE, signed=True) == 4.0
    assert geometry.polygon_area(SQUARE[::-1], signed=True) == -4.0
    assert geometry.polygon_area([[0, 0], [4, 0], [0, 3]]) == 6.0
    assert geometry.polygon_area(L_SHAPE) == 7.0
    assert geometry.polygon_area([0, 0, 4, 0, 0, 3]) == 6.0  # flat COCO form
    assert geometry.polygon_area([[0, 0], [1, 1], [2, 2]]) == 0.0  # collinear
    t = np.linspace(0, 2 * np.pi, 4000, endpoint=False)
    circle = np.c_[np.cos(t), np.sin(t)] * 3
    assert geometry.polygon_area(circle) == pytest.approx(9 * np.pi, rel=1e-5)


def _roll_area(points, signed=False):
    """The shoelace sum as polygon_area first wrote it, with np.roll: its answers
    (down to the last bit, which depends on how BLAS orders np.dot's sum) are
    what COCO files already exported hold."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x, y = p[:, 0], p[:, 1]
    a = 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return a if signed else abs(a)


def test_polygon_area_is_bit_identical_to_the_roll_formula():
    rng = np.random.default_rng(7)
    for n in [3, 4, 5, 7, 8, 15, 16, 17, 24, 33, 100, 250]:
        for _ in range(20):
            pts = rng.uniform(-1e3, 1e3, (n, 2)) * rng.choice([1e-3, 1.0, 1e4])
            forms = [
                pts.tolist(),
                [tuple(p) for p in pts.tolist()],
                pts.ravel().tolist(),  # flat COCO form
                np.asfortranarray(pts),
                np.repeat(pts, 2, axis=1)[:, ::2],  # a strided view
                np.round(pts).astype(np.int64).tolist(),
                pts.astype(np.float32),
            ]
            for form in forms:
                assert geometry.polygon_area(form) == _roll_area(form)
                assert geometry.polygon_area(form, signed=True) == _roll_area(form, signed=True)


def _numpy_bbox(points):
    """bbox_of as numpy computes it (an array input never takes the Python path)."""
    return geometry.bbox_of(np.asarray(points, dtype=np.float64))


def test_bbox_of_short_lists_match_numpy_bit_for_bit():
    rng = np.random.default_rng(3)
    cases = [
        [[0.0, -0.0], [-0.0, 0.0]],  # which zero is the minimum: numpy's answer
        [[-0.0, 1.5], [0.0, 2.5], [3.0, -0.0]],
        [[0.0, 0.0], [-0.0, -0.0]],
        [[True, 2], [False, 3]],
        [(1, 2), (3, 4), (5, 6)],
        [[np.float32(0.1), np.int64(2)], [1e308, -1e308]],  # sums overflow, values finite
        [[2**60 + 1, 3], [5, 7]],
    ]
    for n in [1, 2, 3, 8, 24, 99, 100, 101]:
        for _ in range(10):
            pts = rng.uniform(-500, 500, (n, 2))
            cases.append(pts.tolist())
            cases.append(np.round(pts).tolist())
            cases.append(np.round(pts).astype(int).tolist())
    for points in cases:
        got, want = geometry.bbox_of(points), _numpy_bbox(points)
        assert got == want
        assert [np.copysign(1.0, v) for v in got] == [np.copysign(1.0, v) for v in want]


@pytest.mark.parametrize(
    "points, match",
    [
        ([[0.0, float("nan")], [1.0, 2.0]], "non-finite"),
        ([[0.0, float("inf")], [1.0, 2.0]], "non-finite"),
        ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], r"\(N, 2\)"),
        ([[0.0, 1.0], [1.0]], None),  # ragged: numpy's own error
        ([], "at least 1"),
    ],
)
def test_bbox_of_short_list_errors(points, match):
    with pytest.raises(ValueError, match=match):
        geometry.bbox_of(points)


def test_bbox_of_inputs_that_are_not_pairs_of_numbers():
    # A list of two-character strings is a flat list of two numbers to numpy.
    assert geometry.bbox_of(["12", "34"]) == [12.0, 34.0, 0.0, 0.0]
    assert geometry.bbox_of([[0, "1.5"], ["2", 3]]) == [0.0, 1.5, 2.0, 1.5]


@pytest.mark.parametrize(
    "points, match",
    [
        ([[0, 0], [1, 1]], "at least 3 points"),
        ([], "at least 3 points"),
        ([0, 0, 1, 1, 2], "even length"),
        (np.zeros((3, 3)), r"\(N, 2\)"),
        ([[0, 0], [1, np.inf], [1, 0]], "non-finite"),
    ],
)
def test_polygon_errors(points, match):
    with pytest.raises(ValueError, match=match):
        geometry.polygon_area(points)
    with pytest.raises(ValueError, match=match):
        geometry.polygon_iou(points, SQUARE)


def test_bbox_of():
    assert geometry.bbox_of(L_SHAPE) == [0.0, 0.0, 4.0, 4.0]
    assert geometry.bbox_of([[2, 3]]) == [2.0, 3.0, 0.0, 0.0]
    assert geometry.bbox_of([5, 1, 2, 7, 3, 4]) == [2.0, 1.0, 3.0, 6.0]
    with pytest.raises(ValueError, match="at least 1"):
        geometry.bbox_of(np.zeros((0, 2)))


# ---------------------------------------------------------------------------
# polygon IoU


def test_polygon_iou_known():
    shifted = np.asarray(SQUARE) + 1
    assert geometry.polygon_iou(SQUARE, shifted) == pytest.approx(1 / 7)
    assert geometry.polygon_iou(SQUARE, SQUARE) == pytest.approx(1.0)
    assert geometry.polygon_iou(SQUARE, np.asarray(SQUARE) + [2, 0]) == pytest.approx(0.0)
    assert geometry.polygon_iou(SQUARE, np.asarray(SQUARE) + 10) == 0.0
    # Triangle (0,0),(2,0),(0,2) against the square: half of it.
    assert geometry.polygon_iou([[0, 0], [2, 0], [0, 2]], SQUARE) == pytest.approx(0.5)
    # Two right triangles splitting the square: they only share the diagonal.
    t1, t2 = [[0, 0], [2, 0], [0, 2]], [[2, 0], [2, 2], [0, 2]]
    assert geometry.polygon_iou(t1, t2) == pytest.approx(0.0, abs=1e-12)
    # Non-convex: the L inside its 4x4 bounding square, and a square in its notch.
    big = [[0, 0], [4, 0], [4, 4], [0, 4]]
    assert geometry.polygon_iou(L_SHAPE, big) == pytest.approx(7 / 16)
    assert geometry.polygon_iou(L_SHAPE, [[2, 2], [3, 2], [3, 3], [2, 3]]) == pytest.approx(0.0)


def test_polygon_iou_invariances():
    p = np.asarray(L_SHAPE, float)
    q = np.asarray([[0.5, 0.5], [3.5, 0.2], [2.0, 3.7]])
    base = geometry.polygon_iou(p, q)
    assert 0 < base < 1
    assert geometry.polygon_iou(q, p) == pytest.approx(base)
    assert geometry.polygon_iou(p[::-1], q) == pytest.approx(base)  # orientation
    assert geometry.polygon_iou(np.roll(p, 2, axis=0), q) == pytest.approx(base)  # start vertex
    assert geometry.polygon_iou(p + 1e4, q + 1e4) == pytest.approx(base, rel=1e-9)


def test_circles_match_closed_form():
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    c = np.c_[np.cos(t), np.sin(t)]
    d = 0.5
    lens = 2 * np.arccos(d / 2) - (d / 2) * np.sqrt(4 - d * d)
    expected = lens / (2 * np.pi - lens)
    assert geometry.polygon_iou(c, c + [d, 0]) == pytest.approx(expected, rel=2e-3)


def _raster_iou(p, q, n=300):
    """IoU by point sampling at pixel centres of an n × n grid over both polygons."""
    pts = np.vstack([p, q])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    xs = lo[0] + (np.arange(n) + 0.5) * (hi[0] - lo[0]) / n
    ys = lo[1] + (np.arange(n) + 0.5) * (hi[1] - lo[1]) / n
    X, Y = np.meshgrid(xs, ys)
    a = geometry.point_in_polygon(X, Y, p)
    b = geometry.point_in_polygon(X, Y, q)
    return (a & b).sum() / max((a | b).sum(), 1)


def _random_convex(rng, k):
    pts = rng.random((40, 2)) * 10
    # Points on a circle around a random centre, sorted by angle: always convex.
    ang = np.sort(rng.random(k) * 2 * np.pi)
    r = rng.uniform(1, 5)
    return np.c_[np.cos(ang), np.sin(ang)] * r + pts[0]


def _random_star(rng, k):
    ang = np.sort(rng.random(k) * 2 * np.pi)
    r = rng.uniform(0.5, 4, k)  # star-shaped around the centre: simple, often non-convex
    return np.c_[np.cos(ang), np.sin(ang)] * r[:, None] + rng.random(2) * 4


@pytest.mark.parametrize("shape", [_random_convex, _random_star])
def test_polygon_iou_against_rasterisation(shape):
    rng = np.random.default_rng(7)
    for _ in range(15):
        p, q = shape(rng, int(rng.integers(3, 12))), shape(rng, int(rng.integers(3, 12)))
        if geometry.polygon_area(p) < 1 or geometry.polygon_area(q) < 1:
            continue
        # 300 × 300 samples over a box of side <= ~20: a few 1e-3 of error.
        assert geometry.polygon_iou(p, q) == pytest.approx(_raster_iou(p, q), abs=0.02)


def test_polygon_iou_degenerate_is_zero():
    line = [[0, 0], [1, 1], [2, 2]]
    assert geometry.polygon_iou(line, line) == 0.0
    assert geometry.polygon_iou(line, SQUARE) == 0.0


# ---------------------------------------------------------------------------
# point in polygon


def test_point_in_polygon_edge_cases():
    pip = geometry.point_in_polygon
    assert pip(1, 1, SQUARE) is True
    assert pip(3, 1, SQUARE) is False
    assert pip(0, 0, SQUARE) is True  # vertex
    assert pip(2, 1, SQUARE) is True  # on the right edge
    assert pip(1, 2, SQUARE) is True  # on the top edge
    assert pip(2.0000001, 1, SQUARE) is False
    # Ray through a vertex: counted once, not twice.
    diamond = [[0, -1], [1, 0], [0, 1], [-1, 0]]
    assert pip(-0.5, 0, diamond) is True
    assert pip(-2, 0, diamond) is False
    assert pip(2, 0, diamond) is False
    # The notch of the L is outside, its arms inside.
    assert pip(2, 2, L_SHAPE) is False
    assert pip(0.5, 3, L_SHAPE) is True
    assert pip(3, 0.5, L_SHAPE) is True
    # Ray along a horizontal edge of the L (y = 1).
    assert pip(0.5, 1, L_SHAPE) is True
    assert pip(-1, 1, L_SHAPE) is False
    assert pip(5, 1, L_SHAPE) is False


def test_point_in_polygon_vectorised():
    xs = np.array([[1, 3], [0, 2.5]])
    ys = np.array([[1, 1], [0, 0.5]])
    out = geometry.point_in_polygon(xs, ys, SQUARE)
    assert out.shape == (2, 2)
    assert out.tolist() == [[True, False], [True, False]]
    assert geometry.point_in_polygon([0.5, 1.5], 1, SQUARE).tolist() == [True, True]
