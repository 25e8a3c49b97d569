"""Shape agreement: IoU per type, OKS, matching, per-item scores, masks, project pairs."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench import agreement as ag
from workbench import geometry, masks
from workbench.ml import shape_agreement


def box(x, y, w, h, cls="car", **kw):
    return {"type": "box", "class": cls, "bbox": [x, y, w, h], **kw}


def polygon(points, cls="car"):
    return {"type": "polygon", "class": cls, "points": [list(map(float, p)) for p in points]}


def mask(arr, cls="car"):
    return {"type": "mask", "class": cls, "rle": masks.encode(np.asarray(arr, np.uint8))}


# -- IoU per type ---------------------------------------------------------------------------
def test_box_matching_known_ious():
    a = [box(0, 0, 10, 10), box(100, 100, 10, 10), box(50, 50, 10, 10)]
    b = [box(0, 0, 10, 5), box(55, 50, 10, 10), box(200, 200, 5, 5)]
    found = ag.match_shapes(a, b)
    # IoU([0,0,10,10], [0,0,10,5]) = 50/100; ([50,50,..], [55,50,..]) = 50/150 < 0.5.
    assert found.pairs == [(0, 0, 0.5)]
    assert found.unmatched_a == [1, 2] and found.unmatched_b == [1, 2]
    assert found.iou[2, 1] == pytest.approx(1 / 3)
    loose = ag.match_shapes(a, b, iou_threshold=0.3)
    assert [(i, j) for i, j, _ in loose.pairs] == [(0, 0), (2, 1)]
    assert loose.score == pytest.approx((0.5 + 1 / 3) / 4)
    assert loose.mean_iou == pytest.approx((0.5 + 1 / 3) / 2)


def test_by_class_keeps_classes_apart():
    a = [box(0, 0, 10, 10, "car")]
    b = [box(0, 0, 10, 10, "person")]
    assert ag.match_shapes(a, b).pairs == []
    assert ag.match_shapes(a, b, by_class=False).pairs == [(0, 0, 1.0)]
    assert ag.shape_agreement(a, b) == 0.0
    assert ag.shape_agreement(a, b, by_class=False) == 1.0


def test_box_iou_matrix_is_the_vectorised_one():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (7, 2))
    wh = rng.uniform(1, 30, (7, 2))
    boxes = np.hstack([xy, wh])
    a = [box(*r) for r in boxes[:4]]
    b = [box(*r) for r in boxes[4:]]
    np.testing.assert_array_equal(
        ag.iou_matrix(a, b), geometry.box_iou_matrix(boxes[:4], boxes[4:])
    )


def test_box_and_polygon_are_compared_exactly():
    tri = polygon([(0, 0), (10, 0), (0, 10)])
    assert ag.shape_iou(box(0, 0, 10, 10), tri) == pytest.approx(0.5)
    square = polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    assert ag.shape_iou(square, box(5, 0, 10, 10)) == pytest.approx(1 / 3)


def test_mask_iou_on_runs_and_against_rasterised_polygons():
    m1 = np.zeros((20, 30), np.uint8)
    m1[2:8, 3:13] = 1  # 60 px
    m2 = np.zeros_like(m1)
    m2[5:8, 3:13] = 1  # 30 px inside m1
    assert ag.shape_iou(mask(m1), mask(m2)) == pytest.approx(0.5)
    # A polygon whose corners are on pixel borders covers exactly those pixels.
    same = polygon([(3, 2), (13, 2), (13, 8), (3, 8)])
    assert ag.shape_iou(mask(m1), same) == 1.0
    assert ag.shape_iou(box(3, 5, 10, 3), mask(m1)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="different sizes"):
        ag.shape_iou(mask(m1), mask(np.zeros((4, 4))))


def test_rasterize_pixel_centres():
    sq = polygon([(1, 1), (3, 1), (3, 4), (1, 4)])
    expected = np.zeros((5, 5), np.uint8)
    expected[1:4, 1:3] = 1
    np.testing.assert_array_equal(ag.rasterize(sq, (5, 5)), expected)
    # A box half a pixel off covers the pixels whose centres it holds.
    np.testing.assert_array_equal(ag.rasterize(box(0.6, 0.6, 2, 2), (4, 4))[:, :].sum(), 4)
    assert ag.rasterize(polygon([(-5, -5), (50, -5), (50, 50)]), (3, 3)).sum() >= 6
    with pytest.raises(ValueError, match="no area"):
        ag.rasterize({"type": "polyline", "points": [[0, 0], [1, 1]]}, (3, 3))


def _star(center, radii, angles):
    cx, cy = center
    return [
        (cx + r * math.cos(t), cy + r * math.sin(t)) for r, t in zip(radii, angles, strict=True)
    ]


@st.composite
def star_polygons(draw, *, size=40.0):
    """Simple polygons: vertices around a centre, consecutive angles less than pi apart."""
    n = draw(st.integers(4, 9))
    jitter = draw(st.lists(st.floats(0, 0.9), min_size=n, max_size=n))
    angles = [2 * math.pi * (k + j) / n for k, j in enumerate(jitter)]
    radii = draw(st.lists(st.floats(1.0, size / 3), min_size=n, max_size=n))
    cx = draw(st.floats(0, size))
    cy = draw(st.floats(0, size))
    return _star((cx, cy), radii, angles)


@settings(max_examples=60, deadline=None)
@given(star_polygons())
def test_rasterize_agrees_with_point_in_polygon_off_the_boundary(pts):
    h, w = 45, 50
    got = ag.rasterize(polygon(pts), (h, w)).astype(bool)
    yy, xx = np.mgrid[0:h, 0:w]
    ref = geometry.point_in_polygon(xx + 0.5, yy + 0.5, pts)
    diff = np.argwhere(got != ref)
    p = np.asarray(pts)
    q = np.roll(p, -1, axis=0)
    for r, c in diff:  # only centres on an edge may differ (the two rules differ there)
        c_ = np.array([c + 0.5, r + 0.5])
        d = q - p
        t = np.clip(((c_ - p) * d).sum(1) / (d * d).sum(1), 0, 1)
        dist = np.linalg.norm(p + t[:, None] * d - c_, axis=1).min()
        assert dist < 1e-6


def test_keypoints_oks_by_hand():
    a = {"type": "keypoints", "class": "person", "points": [[0, 0, 2], [10, 10, 2], [5, 5, 0]]}
    b = {"type": "keypoints", "class": "person", "points": [[1, 0, 2], [10, 12, 1], [9, 9, 2]]}
    # Symmetric: points labeled either side: 0, 1 (both) and 2 (b only: scores 0).
    area = 0.5 * (10 * 10 + 9 * 12)  # mean bbox area of the labeled points
    k2 = (2 * 0.025) ** 2
    e0 = 1 / k2 / (area + np.spacing(1)) / 2
    e1 = 4 / k2 / (area + np.spacing(1)) / 2
    expected = (math.exp(-e0) + math.exp(-e1) + 0) / 3
    assert ag.oks(a, b) == pytest.approx(expected, rel=1e-12)
    assert ag.oks(a, b) == pytest.approx(ag.oks(b, a), rel=1e-12)
    # COCO's directed form: a is the ground truth (its area, its labeled points).
    e0, e1 = 1 / k2 / 100 / 2, 4 / k2 / 100 / 2
    assert ag.oks(a, b, symmetric=False) == pytest.approx((math.exp(-e0) + math.exp(-e1)) / 2)
    # Per-point sigmas and an explicit area.
    s = [0.1, 0.05, 0.07]
    got = ag.oks(a, b, sigmas=s, area=400.0, symmetric=False)
    want = (math.exp(-1 / (0.2**2) / 400 / 2) + math.exp(-4 / (0.1**2) / 400 / 2)) / 2
    assert got == pytest.approx(want)
    assert ag.oks(a, a) == 1.0
    assert ag.shape_iou(a, b, sigmas={"person": s}) == ag.oks(a, b, sigmas=s)
    with pytest.raises(ValueError, match="same number"):
        ag.oks(a, {"points": [[0, 0, 2]]})


def test_keypoints_match_only_keypoints():
    kp = {"type": "keypoints", "class": "car", "points": [[1, 1, 2], [5, 5, 2]]}
    assert ag.shape_iou(kp, box(0, 0, 10, 10)) == 0.0
    assert ag.iou_matrix([kp], [box(0, 0, 10, 10)])[0, 0] == 0.0


def test_polyline_similarity_parallel_lines():
    a = {"type": "polyline", "class": "lane", "points": [[0, 0], [50, 0], [100, 0]]}
    b = {"type": "polyline", "class": "lane", "points": [[100, 4], [0, 4]]}  # reversed
    assert ag.polyline_similarity(a, b) == pytest.approx(math.exp(-16 / 200))
    assert ag.polyline_similarity(a, b, tolerance=4) == pytest.approx(math.exp(-0.5))
    assert ag.shape_iou(a, a) == 1.0
    # Matched even with disjoint boxes (flat lines): distance, not overlap.
    assert ag.match_shapes([a], [b]).pairs[0][:2] == (0, 0)


def test_cuboids_compare_both_faces():
    front = [[0, 0], [10, 0], [10, 10], [0, 10]]
    back = [[4, -4], [14, -4], [14, 6], [4, 6]]
    c1 = {"type": "cuboid", "class": "car", "front": front, "back": back}
    c2 = {"type": "cuboid", "class": "car", "front": front,
          "back": [[100, 100], [110, 100], [110, 110], [100, 110]]}  # fmt: skip
    assert ag.shape_iou(c1, c1) == pytest.approx(1.0)
    assert ag.shape_iou(c1, c2) == pytest.approx(0.5)
    assert ag.shape_iou(c1, box(0, 0, 10, 10)) == 0.0


def test_optimal_matching_beats_greedy(monkeypatch):
    sim = np.array([[0.9, 0.8], [0.7, 0.0]])
    best = shape_agreement._match(sim, 0.5)
    assert sorted((i, j) for i, j, _ in best.pairs) == [(0, 1), (1, 0)]
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # import fails: greedy
    greedy = shape_agreement._match(sim, 0.5)
    assert greedy.pairs == [(0, 0, 0.9)] and greedy.unmatched_a == [1]


def test_empty_labels():
    assert ag.shape_agreement([], []) == 1.0
    assert ag.shape_agreement([box(0, 0, 1, 1)], []) == 0.0
    found = ag.match_shapes([], [box(0, 0, 1, 1)])
    assert found.pairs == [] and found.unmatched_b == [0]
    assert math.isnan(found.mean_iou)
    with pytest.raises(ValueError, match="iou_threshold"):
        ag.match_shapes([], [], iou_threshold=1.5)


# -- shape_agreement: bounds, symmetry, identity ---------------------------------------------
@st.composite
def shape_lists(draw):
    out = []
    for _ in range(draw(st.integers(0, 5))):
        cls = draw(st.sampled_from(["car", "person"]))
        if draw(st.booleans()):
            x, y = draw(st.integers(0, 40)), draw(st.integers(0, 40))
            w, h = draw(st.integers(1, 20)), draw(st.integers(1, 20))
            out.append(box(x, y, w, h, cls))
        else:
            out.append(polygon(draw(star_polygons()), cls))
    return out


@settings(max_examples=80, deadline=None)
@given(shape_lists(), shape_lists(), st.sampled_from([0.0, 0.3, 0.5]), st.booleans())
def test_shape_agreement_bounds_and_symmetry(a, b, threshold, by_class):
    s = ag.shape_agreement(a, b, iou_threshold=threshold, by_class=by_class)
    assert 0.0 <= s <= 1.0
    assert s == ag.shape_agreement(b, a, iou_threshold=threshold, by_class=by_class)
    assert ag.shape_agreement(a, a) == pytest.approx(1.0, abs=1e-9)


# -- masks ------------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1),
       st.floats(0, 1), st.floats(0, 1))  # fmt: skip
def test_mask_agreement_matches_numpy(h, w, seed, pa, pb):
    rng = np.random.default_rng(seed)
    a = (rng.random((h, w)) < pa).astype(np.uint8)
    b = (rng.random((h, w)) < pb).astype(np.uint8)
    got = ag.mask_agreement(masks.encode(a), masks.encode(b))
    inter = int((a & b).sum())
    union = int((a | b).sum())
    assert got.intersection == inter
    assert (got.area_a, got.area_b) == (int(a.sum()), int(b.sum()))
    if union == 0:
        assert got.iou == 1.0 and got.dice == 1.0
    else:
        assert got.iou == pytest.approx(inter / union, abs=1e-12)
        assert got.dice == pytest.approx(2 * inter / (a.sum() + b.sum()), abs=1e-12)
    assert ag.mask_agreement(a, b) == got  # arrays work the same


def test_semantic_agreement_on_label_maps():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, (20, 25))
    b = np.where(rng.random((20, 25)) < 0.8, a, rng.integers(0, 4, (20, 25)))
    b[0, 0] = 255
    df = ag.semantic_agreement(a, b, classes=["bg", "road", "car", "tree"], ignore_index=255)
    keep = b != 255
    for c, name in enumerate(["bg", "road", "car", "tree"]):
        A, B = (a == c) & keep, (b == c) & keep
        assert df.loc[name, "iou"] == pytest.approx((A & B).sum() / (A | B).sum())
        assert df.loc[name, "dice"] == pytest.approx(2 * (A & B).sum() / (A.sum() + B.sum()))
    assert list(df.columns) == ["iou", "dice", "area_a", "area_b", "intersection"]


def test_semantic_agreement_on_shapes():
    road = np.zeros((10, 12), np.uint8)
    road[5:, :] = 1
    a = [mask(road, "road"), polygon([(0, 0), (4, 0), (4, 4), (0, 4)], "car")]
    road_b = road.copy()
    road_b[5, :] = 0
    b = [mask(road_b, "road"), mask(np.zeros_like(road), "tree")]
    df = ag.semantic_agreement(a, b)
    assert df.loc["road", "iou"] == pytest.approx(48 / 60)
    assert df.loc["car", "iou"] == 0.0 and df.loc["car", "area_a"] == 16
    assert math.isnan(df.loc["tree", "iou"])  # absent on both sides
    with pytest.raises(ValueError, match="size"):
        ag.semantic_agreement([polygon([(0, 0), (1, 0), (1, 1)])], [])


# -- project level ----------------------------------------------------------------------------
@pytest.fixture
def team(tmp_path):
    schema = wb.Schema((wb.Shapes("objects", classes=["car", "person"]),
                        wb.Classification("kind", classes=["a", "b"])))  # fmt: skip
    project = wb.Project(tmp_path / "p.db", schema=schema, annotator="lead")
    project.add_texts(["i1", "i2", "i3"], ids=["i1", "i2", "i3"])
    yield project
    project.close()


def test_pairwise_and_by_annotator(team):
    car = box(0, 0, 10, 10)
    near = box(0, 0, 10, 8)  # IoU 0.8
    person = box(50, 50, 5, 5, "person")
    team.label("i1", [car, person], annotator="ann")
    team.label("i1", [near, person], annotator="bob")
    team.label("i1", [car], annotator="cy")
    team.label("i2", [car], annotator="ann")
    first = team.label("i2", [person], annotator="bob")
    team.retract(first)  # bob's label withdrawn: i2 has ann only
    team.label("i3", [], annotator="bob")
    team.label("i3", [], annotator="cy")
    team.label("i1", "a", task="kind", annotator="zed")  # another task: not counted
    df = ag.pairwise(team)
    assert list(df.columns) == ag.PAIRWISE_COLUMNS
    got = {(r.item_id, r.annotator_a, r.annotator_b): r for r in df.itertuples()}
    assert set(got) == {("i1", "ann", "bob"), ("i1", "ann", "cy"), ("i1", "bob", "cy"),
                        ("i3", "bob", "cy")}  # fmt: skip
    assert got["i1", "ann", "bob"].score == pytest.approx((0.8 + 1.0) / 2)
    assert got["i1", "ann", "cy"].score == pytest.approx(1 / 2)
    r = got["i1", "bob", "cy"]
    assert (r.matched, r.unmatched_a, r.unmatched_b) == (1, 1, 0)
    assert r.score == pytest.approx(0.8 / 2)
    assert got["i3", "bob", "cy"].score == 1.0
    assert math.isnan(got["i3", "bob", "cy"].mean_iou)
    for row in df.itertuples():
        assert row.score == ag.shape_agreement(
            team.history(row.item_id).query("annotator == @row.annotator_a and task == 'objects'")
            ["value"].iloc[-1],
            team.history(row.item_id).query("annotator == @row.annotator_b and task == 'objects'")
            ["value"].iloc[-1],
        )  # fmt: skip

    summary = ag.by_annotator(df)
    assert summary.loc["ann", "pairs"] == 2 and summary.loc["ann", "items"] == 1
    assert summary.loc["ann", "mean_score"] == pytest.approx((0.9 + 0.5) / 2)
    assert summary.loc["cy", "mean_score"] == pytest.approx((0.5 + 0.4 + 1.0) / 3)
    assert summary.loc["ann", "worst_partner"] == "cy"
    assert summary["mean_score"].is_monotonic_increasing
    assert ag.by_annotator(df.iloc[:0]).empty
    with pytest.raises(ValueError, match="columns"):
        ag.by_annotator(pd.DataFrame({"x": [1]}))


def test_pairwise_needs_a_shapes_task(team):
    with pytest.raises(wb.SchemaError, match="shapes"):
        ag.pairwise(team, "kind")
