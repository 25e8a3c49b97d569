"""Pre-labeling shapes tasks: detection modules, semantic segmentation and plain callables
over a real project on disk, with the stored pre-labels checked shape by shape."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import workbench as wb  # noqa: E402
from workbench import geometry, masks  # noqa: E402
from workbench.kinds.shapes.prelabel import ModelOutputError, ShapePrelabels  # noqa: E402

CLASSES = ["red", "green", "blue"]
H, W = 64, 96
#: Per item: (channel, brightness, row0, row1, col0, col1) of each bright rectangle.
SCENES = {
    "a": [(0, 0.9, 10, 20, 20, 40), (1, 0.6, 30, 50, 60, 90), (2, 0.3, 40, 60, 4, 16)],
    "b": [(2, 0.8, 2, 12, 2, 12)],
    "c": [],
}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def scene(item: str) -> np.ndarray:
    img = np.zeros((H, W, 3), np.float32)
    for ch, v, r0, r1, c0, c1 in SCENES[item]:
        img[r0:r1, c0:c1, ch] = v
    return img


def rect(r0: int, r1: int, c0: int, c1: int, shape=(H, W)) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    m[r0:r1, c0:c1] = 1
    return m


def make_project(tmp_path, **task_options):
    task = wb.Shapes("objects", classes=CLASSES, **task_options)
    p = wb.Project(tmp_path / "p.db", schema=wb.Schema((task,)), annotator="me")
    p.add_arrays(np.stack([scene(i) for i in SCENES]), ids=list(SCENES))
    return p


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path)
    yield p
    p.close()


class Blobs(torch.nn.Module):
    """A detector in torchvision's format: one detection per colour channel holding a
    bright region, with its box, label (channel + 1), mean brightness as its score and
    its mask."""

    def __init__(self) -> None:
        super().__init__()
        self.gain = torch.nn.Parameter(torch.ones(()))
        self.seen: list[tuple[int, ...]] = []
        self.returned: list[dict] = []

    def forward(self, images):
        out = self.returned
        for x in images:
            self.seen.append(tuple(x.shape))
            boxes, labels, scores, found = [], [], [], []
            for c in range(3):
                m = x[c] > 0.1
                if not m.any():
                    continue
                rows = torch.nonzero(m.any(1)).flatten()
                cols = torch.nonzero(m.any(0)).flatten()
                boxes.append(torch.stack([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]).float())
                labels.append(c + 1)
                scores.append(x[c][m].mean() * self.gain)
                found.append(m.float()[None])
            n = len(boxes)
            out.append({
                "boxes": torch.stack(boxes) if n else torch.zeros(0, 4),
                "labels": torch.tensor(labels, dtype=torch.int64),
                "scores": torch.stack(scores) if n else torch.zeros(0),
                "masks": torch.stack(found) if n else torch.zeros(0, 1, *x.shape[1:]),
            })  # fmt: skip
        return out[-len(images) :]


def stored(project, ids=None):
    return project.store.prelabels("objects", ids or list(SCENES))


def test_detections_become_masks_with_scores_and_the_module_is_given_back(project):
    model = Blobs()
    model.train()
    run = project.prelabel(model, progress=False)
    assert isinstance(run, ShapePrelabels) and run.model == "blobs@1" and run.written
    assert model.training and model.gain.device.type == "cpu"  # as it came
    assert model.seen == [(3, H, W)] * 3  # C × H × W float tensors, as torchvision takes

    got = stored(project)
    value, score = got["a"]
    # Blue (0.3) is under the 0.5 threshold; the rest come highest score first.
    assert [(s["type"], s["class"], s["id"]) for s in value] == [
        ("mask", "red", "s1"),
        ("mask", "green", "s2"),
    ]
    assert masks.decode(value[0]["rle"]).tolist() == rect(10, 20, 20, 40).tolist()
    assert masks.decode(value[1]["rle"]).tolist() == rect(30, 50, 60, 90).tolist()
    assert value[0]["score"] == pytest.approx(0.9, abs=1e-6)
    assert value[1]["score"] == pytest.approx(0.6, abs=1e-6)
    assert score == pytest.approx(0.75, abs=1e-6)  # the event: the mean of its shapes
    assert got["b"][0][0]["class"] == "blue" and got["b"][1] == pytest.approx(0.8, abs=1e-6)
    assert got["c"] == ([], None)  # found nothing: an empty suggestion, no score

    events = project.events()
    assert set(events["kind"]) == {"prelabel"} and set(events["annotator"]) == {"model:blobs@1"}
    assert project.labels().empty  # suggestions are not labels
    assert run.frame[["item_id", "shapes", "mask", "box"]].values.tolist() == [
        ["a", 2, 2, 0], ["b", 1, 1, 0], ["c", 0, 0, 0],
    ]  # fmt: skip
    assert np.isnan(run.frame["score"].iloc[2])
    assert run.n_shapes == 3 and run.mean_score == pytest.approx((0.9 + 0.6 + 0.8) / 3, abs=1e-6)
    assert run.values["a"] == value
    assert "blobs@1" in repr(run) and "shapes=3" in repr(run)


def test_boxes_and_masks_come_back_in_full_image_coordinates(tmp_path):
    with make_project(tmp_path) as project:
        model = Blobs()
        half = project.prelabel(model, types=("box", "mask"), transform=lambda x: x[:, ::2, ::2],
                                progress=False)  # fmt: skip
        assert model.seen == [(3, H // 2, W // 2)] * 3
        value, _ = stored(project)["a"]
        assert [(s["type"], s["class"]) for s in value] == [
            ("box", "red"), ("mask", "red"), ("box", "green"), ("mask", "green"),
        ]  # fmt: skip
        assert value[0]["bbox"] == [20.0, 10.0, 20.0, 10.0]
        assert value[2]["bbox"] == [60.0, 30.0, 30.0, 20.0]
        # Half-size masks, resized bilinearly to the image and thresholded: the rectangles.
        assert masks.decode(value[1]["rle"]).tolist() == rect(10, 20, 20, 40).tolist()
        assert masks.decode(value[3]["rle"]).tolist() == rect(30, 50, 60, 90).tolist()
        assert value[1]["rle"]["size"] == [H, W]
        assert half.model == "blobs@1"

        # max_size shrinks the image (antialiased) before the model; its boxes scale back.
        model = Blobs()
        project.prelabel(model, types=("box",), max_size=48, progress=False)
        assert model.seen == [(3, 32, 48)] * 3
        value, _ = stored(project)["a"]
        x1, y1, x2, y2 = (2 * model.returned[0]["boxes"][0]).tolist()
        assert value[0]["bbox"] == [x1, y1, x2 - x1, y2 - y1]
        assert np.allclose(value[0]["bbox"], [20, 10, 20, 10], atol=4)  # blurred a little
        assert set(project.events()["annotator"]) == {"model:blobs@1", "model:blobs@2"}


def test_box_only_task_and_class_mapping(tmp_path):
    with make_project(tmp_path, types=("box",)) as project:
        # Model label 1 (the red blob) is our "blue", label 2 is dropped, 3 is "red".
        project.prelabel(Blobs(), label_map={1: "blue", 2: None, 3: "red"},
                         score_threshold=0.2, progress=False)  # fmt: skip
        value, _ = stored(project)["a"]
        assert [(s["type"], s["class"], s["bbox"]) for s in value] == [
            ("box", "blue", [20.0, 10.0, 20.0, 10.0]),
            ("box", "red", [4.0, 40.0, 12.0, 20.0]),
        ]
        # A model's own class list by label id (torchvision's weights.meta["categories"]):
        # names the task lacks are dropped.
        project.prelabel(Blobs(), label_map=["__background__", "red", "N/A", "blue"],
                         score_threshold=0.0, progress=False)  # fmt: skip
        value, _ = stored(project)["a"]
        assert [s["class"] for s in value] == ["red", "blue"]
        with pytest.raises(wb.SchemaError, match="not a class of task 'objects'"):
            project.prelabel(Blobs(), label_map={1: "purple"}, progress=False)
        with pytest.raises(wb.SchemaError, match="names none of"):
            project.prelabel(Blobs(), label_map=["cat", "dog"], progress=False)
        with pytest.raises(ModelOutputError, match=r"item 'a'.*'labels\[1\]'.*not in label_map"):
            project.prelabel(Blobs(), label_map={1: "red"}, progress=False)


def fixed(per_item):
    """A plain callable returning the given output for each item (by its position)."""
    order = list(SCENES)

    def model(images):
        model.calls += 1
        start = model.done
        model.done += len(images)
        return [per_item.get(order[i], []) for i in range(start, start + len(images))]

    model.calls = 0
    model.done = 0
    return model


def det(boxes, labels, scores=None, **extra):
    out = {"boxes": np.asarray(boxes, np.float32).reshape(-1, 4), "labels": np.asarray(labels)}
    if scores is not None:
        out["scores"] = np.asarray(scores, np.float32)
    out.update(extra)
    return out


def test_thresholds_max_shapes_and_background(project):
    probs = np.zeros((3, H, W), np.float32)
    probs[0, 0:10, 0:10] = 0.9
    probs[1, 20:30, 20:30] = 0.6  # under a mask_threshold of 0.7: empty, so its box stands
    probs[2, 40:50, 40:50] = 0.9
    boxes = [[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]]
    outputs = {
        "a": det(boxes, [1, 2, 3], [0.55, 0.95, 0.7], masks=probs[:, None]),
        "b": det([[1, 1, 5, 5], [2, 2, 6, 6]], [0, 2], [0.9, 0.9]),  # label 0: background
        "c": det(np.zeros((0, 4)), [], []),
    }
    model = fixed(outputs)
    project.prelabel(model, batch_size=2, mask_threshold=0.7, max_shapes=2, progress=False)
    assert model.calls == 2
    got = stored(project)
    value, score = got["a"]
    assert [(s["type"], s["class"], s["score"]) for s in value] == [
        ("box", "green", pytest.approx(0.95)), ("mask", "blue", pytest.approx(0.7)),
    ]  # fmt: skip
    assert value[0]["bbox"] == [20.0, 20.0, 10.0, 10.0]
    assert masks.decode(value[1]["rle"]).tolist() == rect(40, 50, 40, 50).tolist()
    assert score == pytest.approx((0.95 + 0.7) / 2)
    assert [s["class"] for s in got["b"][0]] == ["green"]
    assert got["c"] == ([], None)

    # Boxes reaching outside the image are clipped to it; no scores: every detection kept.
    project.prelabel(fixed({"a": det([[-5, -5, 200, 10]], [1])}), progress=False)
    (shape,), score = stored(project)["a"]
    assert shape["bbox"] == [0.0, 0.0, float(W), 10.0] and "score" not in shape and score is None


def test_masks_as_polygons(project):
    pytest.importorskip("skimage")
    m = np.zeros((2, 1, H, W), np.float32)
    m[0, 0, 10:20, 20:40] = 1.0
    m[1, 0, 30:40, 5:10] = 1.0  # two parts of one object: two polygons
    m[1, 0, 50:60, 70:90] = 1.0
    outputs = {"a": det([[20, 10, 40, 20], [5, 30, 90, 60]], [1, 2], [0.9, 0.8], masks=m)}
    project.prelabel(fixed(outputs), ids=["a"], as_polygons=True, progress=False)
    value, _ = stored(project, ["a"])["a"]
    assert [(s["type"], s["class"]) for s in value] == [
        ("polygon", "red"), ("polygon", "green"), ("polygon", "green"),
    ]  # fmt: skip
    boxes = sorted(geometry.bbox_of(s["points"]) for s in value)
    assert boxes == [[5.0, 30.0, 5.0, 10.0], [20.0, 10.0, 20.0, 10.0], [70.0, 50.0, 20.0, 10.0]]
    # The traced outline runs along the pixel edges, cutting each corner by half a pixel.
    assert geometry.polygon_area(value[0]["points"]) == pytest.approx(200 - 4 * 0.125)
    assert all(len(s["points"]) == 8 for s in value)


def test_keypoints_scaled_back_with_coco_visibility(tmp_path):
    skeleton = wb.Skeleton(("head", "tail"), (("head", "tail"),))
    task = wb.Shapes("objects", classes=CLASSES, skeletons={"red": skeleton})
    with wb.Project(tmp_path / "k.db", schema=wb.Schema((task,))) as project:
        project.add_arrays(np.stack([scene(i) for i in SCENES]), ids=list(SCENES))
        kp = np.array([[[10, 5, 1], [20, 8, 0]]], np.float32)  # torchvision: 1 = visible
        outputs = {"a": det([[10, 5, 20, 10]], [1], [0.9], keypoints=kp),
                   "b": det([[0, 0, 4, 4]], [2], [0.9], keypoints=kp)}  # fmt: skip
        project.prelabel(fixed(outputs), transform=lambda x: x[:, ::2, ::2], progress=False)
        got = stored(project)
        (shape,) = got["a"][0]
        assert shape["type"] == "keypoints" and shape["points"] == [[20, 10, 2], [40, 16, 0]]
        # Green has no skeleton: its detection falls back to a box.
        assert [(s["type"], s["bbox"]) for s in got["b"][0]] == [("box", [0.0, 0.0, 8.0, 8.0])]
        bad = {"a": det([[10, 5, 20, 10]], [1], [0.9], keypoints=np.zeros((1, 3, 3)))}
        with pytest.raises(ModelOutputError, match=r"item 'a'.*'keypoints\[0\]'.*2 points"):
            project.prelabel(fixed(bad), progress=False)


class Segmenter(torch.nn.Module):
    """Semantic segmentation: ``B × 4 × h × w`` logits, channel 0 the background. Its
    confidence (a background logit of 2 against 20 × brightness) keeps the class regions
    of a half-size map the same rectangles once resized."""

    def __init__(self, stride: int = 1, probs: bool = False) -> None:
        super().__init__()
        self.stride, self.probs = stride, probs
        self.seen: list[tuple[int, ...]] = []

    def forward(self, x):
        self.seen.append(tuple(x.shape))
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        logits = torch.cat([torch.full_like(x[:, :1], 2.0), 20 * x], dim=1)
        out = torch.softmax(logits, dim=1) if self.probs else logits
        return {"out": out, "aux": out}  # torchvision's segmentation models


def reference_segmentation(img):
    logits = np.concatenate([np.full((1, H, W), 2.0, np.float32), 20 * img.transpose(2, 0, 1)])
    p = np.exp(logits - logits.max(0))
    p /= p.sum(0)
    best, top = p.argmax(0), p.max(0)
    return {CLASSES[k - 1]: (best == k, float(top[best == k].mean())) for k in range(1, 4)
            if (best == k).any()}  # fmt: skip


@pytest.mark.parametrize("probs", [False, True], ids=["logits", "probabilities"])
def test_semantic_segmentation_one_mask_per_class(tmp_path, probs):
    with make_project(tmp_path, masks="semantic") as project:
        model = Segmenter(probs=probs)
        project.prelabel(model, outputs="segmentation", batch_size=2, progress=False)
        assert model.seen == [(2, 3, H, W), (1, 3, H, W)]  # stacked batches
        for item in SCENES:
            value, score = stored(project)[item]
            want = reference_segmentation(scene(item))
            want = {c: v for c, v in want.items() if v[1] >= 0.5}
            assert [s["class"] for s in value] == sorted(want, key=lambda c: -want[c][1])
            for s in value:
                assert s["type"] == "mask"
                assert masks.decode(s["rle"]).astype(bool).tolist() == want[s["class"]][0].tolist()
                assert s["score"] == pytest.approx(want[s["class"]][1], abs=1e-5)
            if value:
                assert score == pytest.approx(np.mean([s["score"] for s in value]), abs=1e-6)
            else:
                assert score is None


def test_semantic_maps_at_lower_resolution_are_resized(tmp_path):
    with make_project(tmp_path, masks="semantic") as project:
        project.prelabel(Segmenter(stride=2), outputs="segmentation", progress=False)
        value, _ = stored(project)["a"]
        assert sorted(s["class"] for s in value) == sorted(CLASSES)
        assert [s["score"] for s in value] == sorted((s["score"] for s in value), reverse=True)
        for s in value:
            _, _, r0, r1, c0, c1 = SCENES["a"][CLASSES.index(s["class"])]
            assert masks.decode(s["rle"]).tolist() == rect(r0, r1, c0, c1).tolist()
            assert 0.5 <= s["score"] <= 1.0
        five = lambda x: np.zeros((len(x), 5, H, W))  # noqa: E731
        with pytest.raises(ModelOutputError, match=r"item 'a'.*'out'.*5 class channels"):
            project.prelabel(five, outputs="segmentation", progress=False)


def test_plain_callable_returning_shape_dicts(tmp_path):
    with make_project(tmp_path) as project:
        small = rect(5, 10, 10, 20, shape=(H // 2, W // 2))
        shapes = [
            {"type": "box", "class": "red", "bbox": [10, 5, 10, 5], "score": 0.9},
            {"type": "polygon", "class": "green", "points": [[0, 0], [4, 0], [4, 4]],
             "score": 0.3},  # under the threshold
            {"type": "mask", "class": "blue", "rle": masks.encode(small)},  # no score: kept
            {"type": "polyline", "class": "red", "points": [[1, 1], [3, 2.5]], "score": 0.6,
             "id": "lane"},
        ]  # fmt: skip
        seen = []

        def model(images):
            seen.append([x.shape for x in images])
            return [shapes if i == 0 else [] for i in range(len(images))]

        project.prelabel(model, ids=["a", "b"], transform=lambda x: x[:, ::2, ::2],
                         progress=False)  # fmt: skip
        assert seen == [[(3, H // 2, W // 2)] * 2]
        value, score = stored(project, ["a", "b"])["a"]
        task = project.schema.task("objects")
        assert value == task.validate([
            {"type": "box", "class": "red", "bbox": [20, 10, 20, 10], "score": 0.9},
            {"type": "mask", "class": "blue", "rle": masks.encode(rect(10, 20, 20, 40))},
            {"type": "polyline", "class": "red", "points": [[2, 2], [6, 5]], "score": 0.6,
             "id": "lane"},
        ])  # fmt: skip
        assert score == pytest.approx(0.75)
        assert stored(project, ["a", "b"])["b"] == ([], None)


def bad_outputs():
    ok = det([[0, 0, 4, 4]], [1], [0.9])
    return [
        ("label", det([[0, 0, 4, 4]], [7], [0.9]), ModelOutputError, r"'labels\[0\]'.*label 7"),
        ("boxes", det(np.zeros((1, 4)), [1], [0.9]) | {"boxes": np.zeros((1, 3))},
         ModelOutputError, r"'boxes'.*N × 4"),
        ("flipped", det([[5, 0, 1, 4]], [1], [0.9]), ModelOutputError, r"'boxes\[0\]'.*x2 < x1"),
        ("nan", det([[0, np.nan, 4, 4]], [1], [0.9]), ModelOutputError, r"'boxes\[0\]'.*finite"),
        ("score", det([[0, 0, 4, 4]], [1], [1.5]), ModelOutputError, r"'scores\[0\]'"),
        ("labels", det([[0, 0, 4, 4]], [1, 2], [0.9]), ModelOutputError, r"'labels'.*N = 1"),
        ("masks", ok | {"masks": np.zeros((2, 1, H, W))}, ModelOutputError, r"'masks'.*N × 1"),
        ("logits", ok | {"masks": np.full((1, 1, H, W), 3.0)}, ModelOutputError,
         r"'masks'.*sigmoid"),
        ("no labels", {"boxes": np.zeros((1, 4))}, ModelOutputError, r"'labels'.*missing"),
        ("class", [{"type": "box", "class": "purple", "bbox": [0, 0, 1, 1]}], wb.SchemaError,
         r"no class 'purple'"),
        ("shape", [{"type": "box", "class": "red", "bbox": [0, 0, 1]}], wb.SchemaError,
         r"shape 0.*bbox"),
        ("mask size", [{"type": "mask", "class": "red", "rle": masks.encode(np.ones((3, 3)))}],
         ModelOutputError, r"'\[0\].rle'.*size \[3, 3\]"),
        ("type", "boxes!", ModelOutputError, r"result is str"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("output", "error", "message"),
    [b[1:] for b in bad_outputs()],
    ids=[b[0] for b in bad_outputs()],
)
def test_invalid_outputs_name_item_and_field_and_write_nothing(project, output, error, message):
    good = det([[0, 0, 4, 4]], [1], [0.9])
    # The first batch is fine; the bad output comes in the second: still nothing written.
    model = fixed({"a": good, "b": output, "c": good})
    with pytest.raises(error, match=r"item 'b'.*" + message):
        project.prelabel(model, batch_size=1, progress=False)
    assert model.calls == 2
    assert project.events().empty


def test_batch_level_errors(project):
    with pytest.raises(ModelOutputError, match=r"starting at item 'a'.*returned 1 results for 3"):
        project.prelabel(lambda x: [[]], progress=False)
    with pytest.raises(ModelOutputError, match="returned dict"):
        project.prelabel(lambda x: {"boxes": 1}, progress=False)
    with pytest.raises(wb.SchemaError, match="class probabilities.*classification task"):
        project.prelabel(lambda x: np.full((len(x), 3), 1 / 3), progress=False)
    with pytest.raises(ModelOutputError, match="B × K × H × W"):
        project.prelabel(lambda x: np.zeros((len(x), 3)), outputs="segmentation", progress=False)
    with pytest.raises(ModelOutputError, match=r"item 'a'.*expected a list of shape dicts"):
        project.prelabel(lambda x: [{}] * len(x), outputs="shapes", progress=False)
    assert project.events().empty


def test_options_are_checked_before_running(project, tmp_path):
    calls = []

    def model(images):
        calls.append(1)
        return [[] for _ in images]

    for options, error, message in [
        ({"score_threshold": 2}, ValueError, "score_threshold"),
        ({"max_shapes": 0}, ValueError, "max_shapes"),
        ({"outputs": "logits"}, ValueError, "outputs must be one of"),
        ({"types": ("box", "circle")}, ValueError, "types must be some of"),
        ({"features": np.zeros((3, 2))}, TypeError, "features= is for classification"),
        ({"nonsense": 1}, TypeError, "nonsense"),
        ({"device": "cuda:7"}, wb.WorkbenchError, "cuda:7"),
    ]:
        with pytest.raises(error, match=message):
            project.prelabel(model, progress=False, **options)
    assert not calls
    classification = wb.Project(tmp_path / "c.db", schema=wb.Schema.classification("d", ["x"]))
    with classification, pytest.raises(TypeError, match="label_map.*shapes tasks only"):
        classification.prelabel(lambda x: x, label_map={1: "x"}, progress=False)


def test_types_the_task_lacks_are_refused(tmp_path):
    with make_project(tmp_path, types=("box",)) as project:
        with pytest.raises(wb.SchemaError, match="no 'mask' tool"):
            project.prelabel(Blobs(), types=("mask",), progress=False)
        with pytest.raises(wb.SchemaError, match="no 'polygon' tool"):
            project.prelabel(Blobs(), as_polygons=True, progress=False)
        # Masks from the model, but the task only draws boxes: boxes it is.
        project.prelabel(Blobs(), progress=False)
        assert {s["type"] for v, _ in stored(project).values() for s in v} == {"box"}


def test_versions_and_the_run_record(project):
    first = project.prelabel(Blobs(), progress=False)
    second = project.prelabel(Blobs(), progress=False, write_events=False)
    named = project.prelabel(Blobs(), name="detector@7", progress=False)
    assert (first.model, second.model, named.model) == ("blobs@1", "blobs@2", "detector@7")
    assert not second.written and second.values == first.values
    assert set(project.events()["annotator"]) == {"model:blobs@1", "model:detector@7"}
    record = json.loads((project.models_dir / "objects" / "blobs@2" / "shapes.json").read_text())
    assert record["model"] == "blobs@2" and record["items"] == 3 and record["shapes"] == 3
    # No probability array: nothing for the classification predictions to load.
    assert wb.predictions.versions(project.models_dir, "objects") == []


def test_image_files_are_scaled_to_unit_rgb_and_workers_agree(tmp_path):
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    grey = np.zeros((20, 30), np.uint8)
    grey[5:10, 10:20] = 255
    Image.fromarray(grey).save(folder / "grey.png")
    Image.fromarray(np.dstack([grey, grey // 2, grey, np.full_like(grey, 255)])).save(
        folder / "rgba.png"
    )
    task = wb.Shapes("objects", classes=CLASSES)
    with wb.Project(tmp_path / "f.db", schema=wb.Schema((task,))) as project:
        project.add_folder(folder)
        seen = []

        def bright(images):
            out = []
            for x in images:
                seen.append((x.shape, x.dtype, float(x.max())))
                m = x[0] > 0.5
                rows, cols = np.nonzero(m)
                box = [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
                mask = m[None, None].astype(np.float32)
                out.append(det([box], [1], [float(x[1][m].mean())], masks=mask))
            return out

        run = project.prelabel(bright, score_threshold=0.0, progress=False)
        assert seen == [((3, 20, 30), np.float32, 1.0)] * 2
        scores = sorted(run.frame["score"])
        assert scores == pytest.approx([127 / 255, 1.0])
        values = dict(run.values)
        again = project.prelabel(bright, num_workers=1, score_threshold=0.0, progress=False)
        assert again.values == values
        for v in values.values():
            assert masks.decode(v[0]["rle"]).tolist() == rect(5, 10, 10, 20, (20, 30)).tolist()
