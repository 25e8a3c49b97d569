"""Shapes audit: cleanlab's object-detection and segmentation scores wired to a project."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import agreement as ag
from workbench import audit_shapes as A
from workbench import masks

pytest.importorskip("cleanlab")
from cleanlab.object_detection import filter as od_filter  # noqa: E402
from cleanlab.object_detection import rank as od_rank  # noqa: E402
from cleanlab.segmentation import filter as seg_filter  # noqa: E402
from cleanlab.segmentation import rank as seg_rank  # noqa: E402

CLASSES = ["car", "person", "bike"]
OBJECTLAB_EXTRA = ["agreement", "overlooked", "swap", "badloc"]


def box(x, y, w, h, cls="car", **kw):
    return {"type": "box", "class": cls, "bbox": [float(x), float(y), float(w), float(h)], **kw}


def make_project(tmp_path, n, *, name="p", masks_mode="instance"):
    schema = wb.Schema(
        (wb.Shapes("objects", classes=CLASSES, masks=masks_mode,
                   skeletons={"person": wb.Skeleton(("a", "b"))}),
         wb.Classification("kind", classes=["x", "y"]))
    )  # fmt: skip
    project = wb.Project(tmp_path / f"{name}.db", schema=schema, annotator="ann")
    ids = [f"img{i:03d}" for i in range(n)]
    project.add_texts(ids, ids=ids)
    return project, ids


# -- conversion ------------------------------------------------------------------------------
def test_objectlab_inputs_by_hand():
    m = np.zeros((20, 30), np.uint8)
    m[4:9, 10:13] = 1
    labels = [[
        box(1, 2, 3, 4, "person", id="s1"),
        {"type": "polygon", "class": "car", "points": [[5, 5], [15, 6], [9, 20]], "id": "s2"},
        {"type": "mask", "class": "bike", "rle": masks.encode(m), "id": "s3"},
        {"type": "polyline", "class": "car", "points": [[0, 0], [1, 1]], "id": "s4"},
        {"type": "keypoints", "class": "person", "points": [[1, 1, 2], [2, 2, 2]], "id": "s5"},
    ], []]  # fmt: skip
    preds = [[box(1, 2, 3, 4, "person", score=0.9), box(0, 0, 1, 1, "person")],
             [box(7, 7, 2, 2, "bike", score=0.3)]]  # fmt: skip
    lab, pred = A.objectlab_inputs(labels, preds, CLASSES)
    np.testing.assert_array_equal(lab[0]["bboxes"], [[1, 2, 4, 6], [5, 5, 15, 20], [10, 4, 13, 9]])
    np.testing.assert_array_equal(lab[0]["labels"], [1, 0, 2])
    assert lab[1]["bboxes"].shape == (0, 4) and lab[1]["labels"].shape == (0,)
    assert [p.shape for p in pred[0]] == [(0, 5), (2, 5), (0, 5)]
    np.testing.assert_array_equal(pred[0][1], [[1, 2, 4, 6, 0.9], [0, 0, 1, 1, 1.0]])
    np.testing.assert_array_equal(pred[1][2], [[7, 7, 9, 9, 0.3]])
    with pytest.raises(ValueError, match="not one of"):
        A.objectlab_inputs([[box(0, 0, 1, 1, "truck")]], [[]], CLASSES)


# -- a synthetic detection set -----------------------------------------------------------------
def synthetic_detection(n=200, frac=0.1, seed=0):
    """Random boxes of 3 classes on 256×256 images; a detector that finds each object
    (jittered, score 0.96–0.999) and sometimes adds a low-score box of another class.
    A share ``frac`` of the images is perturbed: a box dropped, its class swapped, or
    shifted by 60% of its size (in turn)."""
    rng = np.random.default_rng(seed)
    truth, preds = [], []
    for _ in range(n):
        shapes, predicted = [], []
        for j in range(int(rng.integers(1, 6))):
            w, h = rng.uniform(20, 80, 2)
            x, y = rng.uniform(0, 256 - w), rng.uniform(0, 256 - h)
            c = CLASSES[rng.integers(3)]
            shapes.append(box(x, y, w, h, c, id=f"s{j + 1}"))
            dx, dy, dw, dh = rng.normal(0, 1.5, 4)
            score = float(rng.uniform(0.96, 0.999))
            moved = (x + dx, y + dy, max(w + dw, 1), max(h + dh, 1))
            predicted.append(box(*moved, c, score=score, id=f"p{j + 1}"))
            if rng.random() < 0.3:
                other = CLASSES[(CLASSES.index(c) + 1) % 3]
                predicted.append(box(x, y, w, h, other, score=float(rng.uniform(0.01, 0.2)),
                                     id=f"q{j + 1}"))  # fmt: skip
        truth.append(shapes)
        preds.append(predicted)
    labels = [[dict(s) for s in t] for t in truth]
    perturbed = {}
    for k, i in enumerate(rng.choice(n, int(n * frac), replace=False)):
        kind = ("drop", "swap", "shift")[k % 3]
        perturbed[int(i)] = kind
        lab = labels[i]
        j = int(rng.integers(len(lab)))
        if kind == "drop":
            lab.pop(j)
        elif kind == "swap":
            lab[j]["class"] = CLASSES[(CLASSES.index(lab[j]["class"]) + 1) % 3]
        else:
            x, y, w, h = lab[j]["bbox"]
            lab[j]["bbox"] = [x + 0.6 * w, y + 0.6 * h, w, h]
    return labels, preds, perturbed


@pytest.fixture(scope="module")
def detection(tmp_path_factory):
    labels, preds, perturbed = synthetic_detection()
    project, ids = make_project(tmp_path_factory.mktemp("det"), len(labels))
    for iid, lab in zip(ids, labels, strict=True):
        project.label(iid, lab)
    project.add_prelabels(dict(zip(ids, preds, strict=True)), model="det@1", task="objects")
    df = A.shape_issues(project)
    yield project, ids, labels, preds, perturbed, df
    project.close()


def test_scores_are_cleanlabs_on_the_converted_inputs(detection):
    project, ids, labels, preds, _, df = detection
    stored = project.labels("objects")
    given = dict(zip(stored["item_id"], stored["label"], strict=True))
    pre = project.store.prelabels("objects", ids)
    lab, pred = A.objectlab_inputs([given[i] for i in ids], [pre[i][0] for i in ids], CLASSES)
    quality = od_rank.get_label_quality_scores(lab, pred, verbose=False)
    flagged = od_filter.find_label_issues(lab, pred)
    np.testing.assert_array_equal(df.loc[ids, "quality"].to_numpy(), quality)
    pooled = od_rank.pool_box_scores_per_image(
        od_rank.compute_swap_box_scores(labels=lab, predictions=pred)
    )
    np.testing.assert_array_equal(df.loc[ids, "swap"].to_numpy(), pooled)
    # agreement: the label against the predictions scored 0.5 or more, class-aware.
    agreement = [ag.shape_agreement(given[i], [s for s in pre[i][0] if s["score"] >= 0.5])
                 for i in ids]  # fmt: skip
    np.testing.assert_array_equal(df.loc[ids, "agreement"].to_numpy(), agreement)
    want = flagged | (np.asarray(agreement) < A.AGREEMENT_THRESHOLD)
    np.testing.assert_array_equal(df.loc[ids, "is_issue"].to_numpy(), want)
    # Without it, cleanlab's flags and order exactly.
    pure = A.shape_issues(project, use_agreement=False)
    np.testing.assert_array_equal(pure.loc[ids, "quality"].to_numpy(), quality)
    np.testing.assert_array_equal(pure.loc[ids, "is_issue"].to_numpy(), flagged)
    order = np.lexsort((quality, ~flagged))
    assert list(pure.index) == [ids[i] for i in order]
    assert not any(s["issue"] in ("model disagrees", "missed by label")
                   for row in pure["suspects"] for s in row)  # fmt: skip


def test_frame_layout_and_order(detection):
    project, ids, labels, preds, _, df = detection
    assert df.index.name == "item_id" and sorted(df.index) == ids
    assert list(df.columns) == A.SHAPE_ISSUE_COLUMNS + OBJECTLAB_EXTRA
    flags = df["is_issue"].to_numpy()
    assert not (np.diff(flags.astype(int)) > 0).any()  # flagged first
    for part in (df[df.is_issue], df[~df.is_issue]):  # each by min(quality, agreement)
        assert np.minimum(part["quality"], part["agreement"]).is_monotonic_increasing
    row = df.loc[ids[0]]
    assert row["annotators"] == {"ann": row["label"]}
    assert df.attrs["unscored"] == []
    # Consumable as an order of item ids, and by the review list reader.
    from workbench.stream import read_issues

    assert [i.item_id for i in read_issues(df[["quality"]], project, "objects")] == list(df.index)


def test_perturbed_images_rank_worst(detection):
    project, ids, labels, preds, perturbed, df = detection
    bad = {ids[i] for i in perturbed}
    k = len(bad)
    pure = A.shape_issues(project, use_agreement=False)
    precision = len(bad & set(df.index[:k])) / k
    before = len(bad & set(pure.index[:k])) / k
    by_quality = len(bad & set(df.sort_values("quality").index[:k])) / k
    print(f"\nobjectlab precision@{k}: {precision:.2f} (cleanlab alone {before:.2f}, "
          f"by quality alone {by_quality:.2f}); flagged {int(df.is_issue.sum())} "
          f"(cleanlab alone {int(pure.is_issue.sum())}), of them perturbed "
          f"{int(df[df.is_issue].index.isin(list(bad)).sum())}")  # fmt: skip
    # Seed 0: 0.85 and 12 flagged by cleanlab alone; 0.95 and 16 with agreement.
    assert precision >= before and precision >= 0.9
    # Every flagged image is a perturbed one here, and its suspects name the change.
    want = {"drop": {"overlooked", "missed by label"}, "swap": {"swap", "model disagrees"},
            "shift": {"badloc"}}  # fmt: skip
    flagged = df[df.is_issue]
    assert set(pure[pure.is_issue].index) <= set(flagged.index)
    assert len(flagged) >= 0.75 * k
    for i, kind in perturbed.items():
        if ids[i] in flagged.index:
            suspects = flagged.loc[ids[i], "suspects"]
            assert want[kind] & {s["issue"] for s in suspects}
    assert set(flagged.index) <= bad


def single_object_swaps(n=40, every=7, seed=1):
    """One box per image, predicted exactly with score 0.9; in every ``every``-th image
    the label has another class. Cleanlab 2.9 scores these 1.0 and flags none."""
    rng = np.random.default_rng(seed)
    labels, preds, swapped = [], [], []
    for i in range(n):
        c = CLASSES[i % 2]
        x, y = rng.uniform(0, 150, 2)
        w, h = rng.uniform(30, 90, 2)
        given = CLASSES[1 - i % 2] if i % every == 0 else c
        if given != c:
            swapped.append(i)
        labels.append([box(x, y, w, h, given, id="s1")])
        preds.append([box(x, y, w, h, c, score=0.9, id="p1")])
    return labels, preds, swapped


def test_single_object_class_swaps_are_flagged(tmp_path):
    labels, preds, swapped = single_object_swaps()
    project, ids = make_project(tmp_path, len(labels))
    for iid, lab in zip(ids, labels, strict=True):
        project.label(iid, lab)
    project.add_prelabels(dict(zip(ids, preds, strict=True)), model="det@1", task="objects")
    bad = {ids[i] for i in swapped}
    k = len(bad)
    # What cleanlab alone makes of them: all clean.
    lab, pred = A.objectlab_inputs(labels, preds, CLASSES)
    quality = od_rank.get_label_quality_scores(lab, pred, verbose=False)
    flagged = od_filter.find_label_issues(lab, pred)
    assert (quality == 1.0).all() and not flagged.any()
    pure = A.shape_issues(project, use_agreement=False)
    np.testing.assert_array_equal(pure.loc[ids, "quality"].to_numpy(), quality)
    assert not pure["is_issue"].any() and list(pure.index) == ids
    assert all(s == [] for s in pure["suspects"])

    df = A.shape_issues(project)
    np.testing.assert_array_equal(df.loc[ids, "quality"].to_numpy(), quality)
    precision = len(bad & set(df.index[:k])) / k
    recall = len(bad & set(df[df.is_issue].index)) / k
    print(f"\nsingle-object swaps: precision@{k} {precision:.2f} (cleanlab alone "
          f"{len(bad & set(pure.index[:k])) / k:.2f}), recall of flags {recall:.2f}, "
          f"flagged {int(df.is_issue.sum())}")  # fmt: skip
    assert set(df.index[:k]) == bad and set(df[df.is_issue].index) == bad
    assert (df.loc[list(bad), "agreement"] == 0.0).all()
    assert np.allclose(df.drop(index=list(bad))["agreement"], 1.0)
    i = swapped[1]
    assert df.loc[ids[i], "suspects"] == [{
        "issue": "model disagrees", "shape": "s1", "class": labels[i][0]["class"],
        "model_class": preds[i][0]["class"], "iou": pytest.approx(1.0),
        "bbox": labels[i][0]["bbox"], "score": 0.9,
    }]  # fmt: skip
    # Predictions below min_score are not the model's answer: every label is then one
    # the model does not see (agreement 0.0, flagged), and none is a class disagreement.
    shy = A.shape_issues(project, min_score=0.95)
    assert shy["is_issue"].all() and (shy["agreement"] == 0.0).all()
    assert all(s == [] for s in shy["suspects"])
    # The threshold decides the flags; the order by min(quality, agreement) stays.
    loose = A.shape_issues(project, agreement_threshold=0.0)
    assert not loose["is_issue"].any() and set(loose.index[:k]) == bad


def test_suspects_name_shapes(tmp_path):
    project, ids = make_project(tmp_path, 6)
    project.label(ids[0], [box(0, 0, 40, 40, "car", id="mine"),
                           box(100, 100, 30, 30, "person", id="who")])  # fmt: skip
    preds = {ids[0]: [box(0, 0, 40, 40, "car", score=0.99, id="p1"),
                      box(100, 100, 30, 30, "bike", score=0.99, id="p2"),
                      box(200, 10, 30, 30, "car", score=0.99, id="p3")]}  # fmt: skip
    for k, iid in enumerate(ids[1:], start=1):  # clean images around it
        project.label(iid, [box(10 * k, 10, 30, 30, "car")])
        preds[iid] = [box(10 * k, 10, 30, 30, "car", score=0.99)]
    project.add_prelabels(preds, model="det@1", task="objects")
    df = A.shape_issues(project)
    assert df.index[0] == ids[0] and df.iloc[0]["is_issue"]
    found = {(s["issue"], s["shape"]) for s in df.iloc[0]["suspects"]}
    assert {("swap", "who"), ("overlooked", "p3")} <= found
    assert ("swap", "mine") not in found
    # What cleanlab already lists is not listed again from the agreement.
    assert not {("model disagrees", "who"), ("missed by label", "p3")} & found
    assert df.iloc[0]["label"] == "car, person" and df.iloc[0]["suggested"] == "car×2, bike"
    assert not df.iloc[1:]["is_issue"].any()
    assert all(s == [] for s in df.iloc[1:]["suspects"])


def test_disagreement_suspects(tmp_path):
    project, ids = make_project(tmp_path, 6)
    # A person the model sees overlapping the labeled car (IoU 0.03): cleanlab never
    # calls an object that overlaps a labeled box overlooked. A labeled bike the model
    # sees as a person, while it also sees a bike elsewhere (cleanlab's own swap case).
    project.label(ids[0], [box(0, 0, 40, 40, "car", id="c"),
                           box(150, 150, 40, 40, "bike", id="b")])  # fmt: skip
    preds = {ids[0]: [box(0, 0, 40, 40, "car", score=0.99, id="p1"),
                      box(30, 30, 40, 40, "person", score=0.95, id="p2"),
                      box(150, 150, 40, 40, "person", score=0.8, id="p3"),
                      box(90, 10, 30, 30, "bike", score=0.3, id="p4")]}  # fmt: skip
    for k, iid in enumerate(ids[1:], start=1):
        project.label(iid, [box(10 * k, 10, 30, 30, "car")])
        preds[iid] = [box(10 * k, 10, 30, 30, "car", score=0.99)]
    project.add_prelabels(preds, model="det@1", task="objects")
    df = A.shape_issues(project)
    row = df.loc[ids[0]]
    # car matched at 1.0; bike and the two persons unmatched: 1 / (1 + 1 + 2).
    assert row["agreement"] == pytest.approx(0.25) and row["is_issue"]
    by = {(s["issue"], s["shape"]): s for s in row["suspects"]}
    missed = by[("missed by label", "p2")]
    assert missed["class"] == missed["model_class"] == "person"
    assert missed["iou"] == pytest.approx(100 / 3100) and missed["score"] == 0.95
    assert missed["bbox"] == [30.0, 30.0, 40.0, 40.0]
    # Named once: by cleanlab as a swap if it sees one (cleanlab 2.9 does not here), else
    # as a disagreement with the model's class.
    assert (("swap", "b") in by) != (("model disagrees", "b") in by)
    if ("model disagrees", "b") in by:
        d = by[("model disagrees", "b")]
        assert (d["class"], d["model_class"], d["iou"], d["score"]) == ("bike", "person", 1.0, 0.8)
    assert not any(s["shape"] == "p4" for s in row["suspects"])  # below min_score
    keys = [1 - s["score"] if s["issue"] in ("model disagrees", "missed by label")
            else s["score"] for s in row["suspects"]]  # fmt: skip
    assert keys == sorted(keys)
    assert df.index[0] == ids[0] and not df.iloc[1:]["is_issue"].any()
    assert all(s == [] for s in df.iloc[1:]["suspects"])


def test_agreement_options_are_checked(tmp_path):
    project, ids = make_project(tmp_path, 2)
    with pytest.raises(ValueError, match="agreement_threshold"):
        A.shape_issues(project, agreement_threshold=1.5)
    with pytest.raises(ValueError, match="min_score"):
        A.shape_issues(project, min_score=-0.1)
    with pytest.raises(TypeError, match="use_agreement"):
        A.shape_issues(project, use_agreement="no")


def test_items_without_predictions_are_left_out(tmp_path):
    project, ids = make_project(tmp_path, 4)
    for iid in ids:
        project.label(iid, [box(0, 0, 30, 30, "car")])
    project.add_prelabels({ids[0]: [box(0, 0, 30, 30, "car", score=0.99)],
                           ids[1]: [box(1, 0, 30, 30, "car", score=0.98),
                                    box(100, 100, 30, 30, "person", score=0.99, id="p9")],
                           ids[2]: []}, model="det@1", task="objects")  # fmt: skip
    df = A.shape_issues(project)
    assert sorted(df.index) == ids[:3]  # an empty prediction counts, a missing one does not
    assert df.attrs["unscored"] == [ids[3]]
    # The car the model does not see (agreement 0.0; cleanlab: quality 1.0), then the
    # person nobody labeled (cleanlab ranks it first; the car matched: agreement 0.47).
    assert list(df.index[:2]) == [ids[2], ids[1]] and df.iloc[:2]["is_issue"].all()
    assert df.loc[ids[2], "agreement"] == 0.0 and df.loc[ids[2], "quality"] == 1.0
    assert A.shape_issues(project, use_agreement=False).index[0] == ids[1]
    over = [s for s in df.loc[ids[1], "suspects"] if s["issue"] == "overlooked"]
    assert over[0]["shape"] == "p9" and over[0]["bbox"] == [100.0, 100.0, 30.0, 30.0]
    assert [s["issue"] for s in df.loc[ids[1], "suspects"]] == ["overlooked"]  # not twice
    assert df.loc[ids[1], "suggested"] == "car, person"
    # predictions= given directly instead of the stored pre-labels.
    direct = A.shape_issues(project, {ids[3]: [box(0, 0, 30, 30, "car", score=0.97)]})
    assert list(direct.index) == [ids[3]]
    assert direct.attrs["unscored"] == ids[:3]


def test_empty_and_wrong_inputs(tmp_path):
    project, ids = make_project(tmp_path, 2)
    empty = A.shape_issues(project)
    assert empty.empty and empty.index.name == "item_id"
    assert list(empty.columns) == A.SHAPE_ISSUE_COLUMNS + OBJECTLAB_EXTRA
    with pytest.raises(ValueError, match="method"):
        A.shape_issues(project, method="boxes")
    with pytest.raises(wb.SchemaError, match="shapes"):
        A.shape_issues(project, task="kind")
    with pytest.raises(TypeError, match="predictions"):
        A.shape_issues(project, [box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="needs predictions"):
        A.shape_issues(project, method="segmentation")


# -- segmentation --------------------------------------------------------------------------------
def test_label_map_paints_in_z_order():
    m = np.zeros((6, 8), np.uint8)
    m[:, :4] = 1
    shapes = [
        {"type": "polygon", "class": "person", "z": 1, "points": [[2, 0], [6, 0], [6, 3], [2, 3]]},
        {"type": "mask", "class": "car", "rle": masks.encode(m)},
        {"type": "polyline", "class": "bike", "points": [[0, 0], [7, 5]]},
    ]
    got = A.label_map(shapes, CLASSES, (6, 8))
    want = np.zeros((6, 8), int)
    want[:, :4] = 1  # car
    want[0:3, 2:6] = 2  # person on top (z=1)
    np.testing.assert_array_equal(got, want)
    no_bg = A.label_map(shapes, CLASSES, (6, 8), background=False)
    assert (no_bg[:, 6:] == -1).all() and no_bg[0, 0] == 0
    with pytest.raises(ValueError, match="resolution"):
        A.label_map(shapes, CLASSES, (5, 8))


def test_segmentation_inputs_downsample():
    probs = np.zeros((4, 4, 6), np.float32)
    probs[0] = 1.0
    probs[:, :2, :2] = [[[0.1]], [[0.7]], [[0.1]], [[0.1]]]
    m = np.zeros((4, 6), np.uint8)
    m[:2, :3] = 1
    lab, small = A.segmentation_inputs([{"type": "mask", "class": "car", "rle": masks.encode(m)}],
                                       probs, CLASSES, downsample=2)  # fmt: skip
    assert lab.shape == (2, 3) and small.shape == (4, 2, 3)
    np.testing.assert_array_equal(lab, [[1, 0, 0], [0, 0, 0]])  # block (0, 1) ties: the lower class
    np.testing.assert_allclose(small[:, 0, 0], [0.1, 0.7, 0.1, 0.1])
    np.testing.assert_allclose(small.sum(axis=0), 1.0)
    with pytest.raises(ValueError, match=r"\(4, H, W\)"):
        A.segmentation_inputs([], probs[:3], CLASSES)
    with pytest.raises(ValueError, match="no shape"):
        A.segmentation_inputs([], probs[:3], CLASSES, background=False)


def synthetic_segmentation(n=30, h=32, w=48, seed=0, n_bad=3):
    """Road below, a car box and a tree; the model is right with noise. In ``n_bad``
    images the car's pixels are labeled tree."""
    rng = np.random.default_rng(seed)
    bad = set(rng.choice(n, n_bad, replace=False).tolist())
    labels, probs = [], []
    classes = ["road", "car", "tree"]
    for i in range(n):
        truth = np.zeros((h, w), np.int64)
        truth[h // 2 :, :] = 1
        x, y = int(rng.integers(0, w - 12)), int(rng.integers(h // 2 - 6, h - 10))
        truth[y : y + 8, x : x + 12] = 2
        tx = int(rng.integers(0, w - 8))
        truth[2:12, tx : tx + 8] = 3
        logits = rng.normal(0, 1.0, (4, h, w))
        logits[truth, np.arange(h)[:, None], np.arange(w)] += 4.0
        p = np.exp(logits)
        p /= p.sum(axis=0, keepdims=True)
        given = truth.copy()
        if i in bad:
            given[given == 2] = 3
        shapes = [{"type": "mask", "class": classes[c - 1], "rle": masks.encode(given == c)}
                  for c in (1, 2, 3) if (given == c).any()]  # fmt: skip
        # The tree drawn as a polygon where it is a clean rectangle: rasterised the same.
        labels.append(shapes)
        probs.append(p.astype(np.float32))
    return classes, labels, np.stack(probs), bad


@pytest.fixture(scope="module")
def segmentation(tmp_path_factory):
    classes, labels, probs, bad = synthetic_segmentation()
    schema = wb.Schema((wb.Shapes("seg", classes=classes, masks="semantic"),))
    project = wb.Project(tmp_path_factory.mktemp("seg") / "s.db", schema=schema, annotator="ann")
    ids = [f"im{i:02d}" for i in range(len(labels))]
    project.add_texts(ids, ids=ids)
    for iid, lab in zip(ids, labels, strict=True):
        project.label(iid, lab)
    yield project, ids, classes, labels, probs, bad
    project.close()


def test_segmentation_scores_are_cleanlabs(segmentation):
    project, ids, classes, labels, probs, bad = segmentation
    df = A.shape_issues(project, probs, method="segmentation")
    pairs = zip(labels, probs, strict=True)
    lab = np.stack([A.segmentation_inputs(v, p, classes)[0] for v, p in pairs])
    quality, _ = seg_rank.get_label_quality_scores(lab, probs, verbose=False)
    flagged = seg_filter.find_label_issues(lab, probs, n_jobs=1, verbose=False)
    np.testing.assert_array_equal(df.loc[ids, "quality"].to_numpy(), quality)
    np.testing.assert_array_equal(df.loc[ids, "issue_pixels"].to_numpy(), flagged.sum(axis=(1, 2)))
    assert list(df.columns) == A.SHAPE_ISSUE_COLUMNS + ["issue_pixels", "issue_fraction"]


@pytest.mark.parametrize("downsample", [1, 4])
def test_corrupted_masks_rank_worst(segmentation, downsample):
    project, ids, classes, labels, probs, bad = segmentation
    by_id = dict(zip(ids, probs, strict=True))
    df = A.shape_issues(project, by_id.get, method="segmentation", downsample=downsample)
    worst = set(df.index[: len(bad)])
    assert worst == {ids[i] for i in bad}
    # Confident learning flags all three at full resolution; at 1/4 (2,880 pixels in all)
    # it flags fewer, but the ranking holds.
    assert df.iloc[: len(bad) if downsample == 1 else 1]["is_issue"].all()
    assert not df.iloc[len(bad) :]["is_issue"].any()
    top = df.iloc[0]["suspects"][0]
    assert (top["class"], top["suggested"]) == ("tree", "car")
    assert top["pixels"] % (downsample * downsample) == 0
    assert df.iloc[0]["suggested"].startswith("road")


def test_segmentation_sources(segmentation, tmp_path):
    project, ids, classes, labels, probs, bad = segmentation
    mapping = {ids[0]: probs[0], ids[1]: probs[1]}
    df = A.shape_issues(project, mapping, method="segmentation")
    assert sorted(df.index) == ids[:2] and len(df.attrs["unscored"]) == len(ids) - 2
    with pytest.raises(ValueError, match="rows"):
        A.shape_issues(project, probs[:5], method="segmentation")
    with pytest.raises(ValueError, match="im00"):
        A.shape_issues(project, {ids[0]: probs[0][:2]}, method="segmentation")


def test_shape_issues_is_reachable_from_audit():
    from workbench import audit

    assert audit.shape_issues is A.shape_issues
    assert isinstance(A.shape_issues.__doc__, str)
    assert pd.api.types.is_list_like(A.DETECTION_TYPES)
