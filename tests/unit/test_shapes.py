"""The shapes task: schema round trips, value validation, storage, and refusals elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench import masks

PERSON = wb.Skeleton(("head", "left_hand", "right_hand"),
                     (("head", "left_hand"), ("head", "right_hand")))  # fmt: skip


def task(**kw):
    base = dict(
        classes=["car", "person", "road"],
        attributes=[wb.Attribute("occluded"), wb.Attribute("view", "choice", ("front", "side"))],
        skeletons={"person": PERSON},
    )
    base.update(kw)
    return wb.Shapes("objects", **base)


def mask_rle(h=6, w=5):
    m = np.zeros((h, w), dtype=np.uint8)
    m[1:4, 2:5] = 1
    return masks.encode(m)


def every_type():
    return [
        {"type": "box", "class": "car", "bbox": (np.float32(1.5), 2, 10, 4), "score": 0.9},
        {"type": "polygon", "class": "road", "points": [[0, 0], [5, 0], [5, 5]], "z": 2},
        {"type": "polyline", "class": "road", "points": [(0, 1), (2, 3)], "id": "lane"},
        {"type": "keypoints", "class": "person",
         "points": [[1, 1, 2], [2, 2, 1], [0, 0, 0]], "attributes": {"occluded": True}},
        {"type": "mask", "class": "car", "rle": mask_rle(), "attributes": {"view": "side"}},
        {"type": "cuboid", "class": "car", "front": [[0, 0], [4, 0], [4, 4], [0, 4]],
         "back": [[1, 1], [5, 1], [5, 5], [1, 5]]},
    ]  # fmt: skip


def test_every_shape_type_validates_and_normalises():
    out = task().validate(every_type())
    assert [s["type"] for s in out] == list(wb.shapes.SHAPE_TYPES)
    assert [s["id"] for s in out] == ["s1", "s2", "lane", "s3", "s4", "s5"]
    box = out[0]
    assert box["bbox"] == [1.5, 2.0, 10.0, 4.0] and type(box["bbox"][0]) is float
    assert box["score"] == 0.9 and box["z"] == 0
    assert box["attributes"] == {"occluded": False, "view": "front"}  # defaults filled in
    assert out[1]["z"] == 2
    assert out[3]["points"][0] == [1.0, 1.0, 2] and out[3]["attributes"]["occluded"] is True
    assert out[4]["rle"] == mask_rle() and out[4]["attributes"]["view"] == "side"
    assert task().validate([]) == []


@pytest.mark.parametrize(
    "shape, message",
    [
        ({"type": "star", "class": "car"}, "type must be one of"),
        ({"type": "box", "class": "bike", "bbox": [0, 0, 1, 1]}, "no class 'bike'"),
        ({"type": "box", "class": "car"}, "needs 'bbox'"),
        ({"type": "box", "class": "car", "bbox": [0, 0, -1, 1]}, "width and height"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1]}, "4 numbers"),
        ({"type": "box", "class": "car", "bbox": [0, float("nan"), 1, 1]}, "finite"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "points": []}, "unknown field"),
        ({"type": "polygon", "class": "road", "points": [[0, 0], [1, 1]]}, "at least 3"),
        ({"type": "polyline", "class": "road", "points": [[0, 0]]}, "at least 2"),
        ({"type": "polygon", "class": "road", "points": [[0, 0], [1], [2, 2]]}, r"points\[1\]"),
        ({"type": "keypoints", "class": "car", "points": []}, "no skeleton"),
        ({"type": "keypoints", "class": "person", "points": [[0, 0, 2]]}, "3 points, got 1"),
        ({"type": "keypoints", "class": "person",
          "points": [[0, 0, 2], [0, 0, 3], [0, 0, 0]]}, "visibility of 'left_hand'"),
        ({"type": "mask", "class": "car", "rle": {"size": [2, 2], "counts": [1, 1]}}, "rle"),
        ({"type": "cuboid", "class": "car", "front": [[0, 0]] * 3, "back": [[0, 0]] * 4},
         "4 corners"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1],
          "attributes": {"shiny": True}}, "no attribute 'shiny'"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1],
          "attributes": {"view": "top"}}, "attribute 'view' must be one of"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "z": 1.5}, "z must be an int"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "score": 2}, "score"),
    ],
)  # fmt: skip
def test_bad_shapes_are_refused_naming_shape_and_field(shape, message):
    with pytest.raises(wb.SchemaError, match=message) as info:
        task().validate([every_type()[0], shape])
    assert "shape 1" in str(info.value)


BIG = 2**24  # shapes.MAX_COORDINATE


@pytest.mark.parametrize(
    "shape, message",
    [
        # Finite, but a box this wide has an infinite area: what JSON cannot hold.
        ({"type": "box", "class": "car", "bbox": [0, 0, 1e308, 1e308]},
         r"shape 1: bbox must hold numbers of at most 16777216 \(2\*\*24\) in magnitude, "
         r"got 1e\+308"),
        ({"type": "box", "class": "car", "bbox": [0, 0, float("inf"), 1]}, "bbox must hold finite"),
        ({"type": "box", "class": "car", "bbox": [-BIG - 1, 0, 1, 1]}, "at most 16777216"),
        ({"type": "box", "class": "car", "bbox": [10**400, 0, 1, 1]}, "bbox must hold finite"),
        ({"type": "polygon", "class": "road", "points": [[0, 0], [1, 1], [2, -1e300]]},
         r"points\[2\] must hold numbers of at most"),
        ({"type": "polyline", "class": "road", "points": [[0, 0], [float("nan"), 1]]},
         r"points\[1\] must hold finite"),
        ({"type": "keypoints", "class": "person", "points": [[0, 0, 2], [0, 0, 0], [1e9, 0, 1]]},
         r"points\[2\] must hold numbers of at most"),
        ({"type": "cuboid", "class": "car", "front": [[0, 0]] * 4,
          "back": [[0, 0]] * 3 + [[0, float("-inf")]]}, r"back\[3\] must hold finite"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "z": float("inf")},
         "z must be an int, got inf"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "z": float("nan")},
         "z must be an int, got nan"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "z": 2**31},
         "z must be an int of at most 2147483647"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "z": 1e300}, "at most 2147483647"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "score": 10**400},
         "score must be a number from 0 to 1"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "score": float("nan")},
         "score must be a number from 0 to 1"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "id": True}, "id must be a string"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "id": 10**30},
         "id must be a string"),
        ({"type": ["box"], "class": "car", "bbox": [0, 0, 1, 1]}, "type must be one of"),
        ({"type": "box", "class": ["car"], "bbox": [0, 0, 1, 1]}, "no class"),
        ({"type": "mask", "class": "car",
          "rle": {"size": [200000, 200000], "counts": [40_000_000_000]}},
         "rle: RLE 'size' .* more than a mask may have"),
        ({"type": "mask", "class": "car", "rle": {"size": [2, 2], "counts": [2**62, 4]}},
         "rle: RLE counts: run 0 .* longer than size"),
    ],
)  # fmt: skip
def test_absurd_and_non_finite_values_are_refused(shape, message):
    with pytest.raises(wb.SchemaError, match=message) as info:
        task().validate([every_type()[0], shape])
    assert "shape 1" in str(info.value)


def test_number_attributes_refuse_what_no_float_holds():
    t = task(attributes=[wb.Attribute("depth", "number")])
    box = {"type": "box", "class": "car", "bbox": [0, 0, 1, 1]}
    for bad in (float("inf"), float("nan"), 10**400):
        with pytest.raises(wb.SchemaError, match="attribute 'depth' must be a finite number"):
            t.validate([{**box, "attributes": {"depth": bad}}])
    assert t.validate([{**box, "attributes": {"depth": 1e300}}])[0]["attributes"] == {
        "depth": 1e300}  # fmt: skip


def test_largest_coordinates_and_messages_stay_bounded():
    box = {"type": "box", "class": "car", "bbox": [-BIG, -BIG, BIG, BIG], "z": -(2**31 - 1)}
    assert task().validate([box])[0]["bbox"] == [-BIG, -BIG, BIG, BIG]
    # A value from a file can be huge or deeply nested: the message shows a bounded part.
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    for value in (deep, list(range(10**6)), "x" * 10**6):
        for field in ("bbox", "type", "class", "id", "z"):
            if field == "id" and isinstance(value, str):
                continue  # a long id is still an id
            shape = {"type": "box", "class": "car", "bbox": [0, 0, 1, 1], field: value}
            with pytest.raises(wb.SchemaError) as info:
                task().validate([shape])
            assert len(str(info.value)) < 400


def test_uncompressed_and_bytes_masks_are_stored_compressed():
    m = np.zeros((6, 5), np.uint8)
    m[1:4, 2:5] = 1
    rle = masks.encode(m)
    as_list = masks.encode(m, compressed=False)
    # Empty runs in the middle: the same mask.
    padded = {"size": as_list["size"], "counts": [0, 0, *as_list["counts"]]}
    as_bytes = {"size": rle["size"], "counts": rle["counts"].encode()}
    for given in (as_list, padded, as_bytes):
        (out,) = task().validate([{"type": "mask", "class": "car", "rle": given}])
        assert out["rle"] == rle


def test_value_level_errors():
    t = task()
    with pytest.raises(wb.SchemaError, match="list of shapes"):
        t.validate({"type": "box"})
    with pytest.raises(wb.SchemaError, match="used twice"):
        t.validate([{**every_type()[0], "id": "a"}, {**every_type()[1], "id": "a"}])
    with pytest.raises(wb.SchemaError, match="no 'mask' tool"):
        task(types=("box",)).validate([every_type()[4]])
    semantic = task(masks="semantic")
    two = [every_type()[4], every_type()[4]]
    with pytest.raises(wb.SchemaError, match="one mask per class"):
        semantic.validate(two)
    assert len(task().validate(two)) == 2  # instance masks: as many as there are objects


def test_schema_definition_errors():
    with pytest.raises(wb.SchemaError, match="shape types"):
        task(types=("box", "sphere"))
    with pytest.raises(wb.UnknownClassError, match="skeleton for 'dog'"):
        task(skeletons={"dog": PERSON})
    with pytest.raises(wb.SchemaError, match="names a point"):
        wb.Skeleton(("a", "b"), (("a", "c"),))
    with pytest.raises(wb.SchemaError, match="give choices"):
        wb.Attribute("view", "choice")
    with pytest.raises(wb.SchemaError, match="masks must be"):
        task(masks="panoptic")
    with pytest.raises(wb.SchemaError, match="duplicate class"):
        task(classes=["car", "car"])


def test_schema_round_trips_through_the_store(tmp_path):
    schema = wb.Schema((task(),), guidelines="Draw tight boxes.")
    with wb.Project(tmp_path / "s.db", schema=schema, annotator="ann") as p:
        p.add_arrays(np.zeros((2, 8, 8), dtype=np.uint8), ids=["a", "b"])
        p.label("a", every_type())
        with pytest.raises(wb.UnknownClassError):
            p.label("b", [{"type": "box", "class": "bike", "bbox": [0, 0, 1, 1]}])
    with wb.Project(tmp_path / "s.db") as p:
        again = p.schema.task("objects")
        assert isinstance(again, wb.Shapes) and again == task()
        assert again.skeleton("person") == PERSON
        assert [c.key for c in again.classes] == ["1", "2", "3"]
        stored = p.labels().set_index("item_id").loc["a", "label"]
        assert stored == task().validate(every_type())
        assert set(p.labels()["item_id"]) == {"a"}  # the refused label wrote nothing


def test_classification_tools_refuse_a_shapes_task(tmp_path):
    schema = wb.Schema((task(),))
    with wb.Project(tmp_path / "s.db", schema=schema) as p:
        p.add_arrays(np.zeros((3, 8, 8), dtype=np.uint8))
        for make in (p.classify, p.gallery):
            with pytest.raises(wb.SchemaError, match="needs a classification task"):
                make()
        with pytest.raises(wb.SchemaError, match="classification task"):
            p.prelabel(lambda x: np.full((len(x), 3), 1 / 3), progress=False)
        pytest.importorskip("sklearn")
        from sklearn.linear_model import LogisticRegression

        with pytest.raises(wb.SchemaError, match="training needs a classification"):
            wb.train.fit(LogisticRegression(), p)
        with pytest.raises(wb.SchemaError, match="an audit needs a classification"):
            wb.audit.find_issues_out_of_fold(p)

        with pytest.raises(wb.SchemaError, match="ActiveLearningLoop needs"):
            wb.ActiveLearningLoop(p, LogisticRegression())
