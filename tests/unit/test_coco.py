"""COCO import and export of a Shapes task: round trips, pycocotools parity, refusals."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import workbench as wb
from workbench import masks
from workbench.formats import CocoFormatError, from_coco, to_coco

PERSON = wb.Skeleton(("head", "left_hand", "right_hand"),
                     (("head", "left_hand"), ("head", "right_hand")))  # fmt: skip
H, W = 12, 16


def schema():
    return wb.Schema(
        (
            wb.Shapes(
                "objects",
                classes=["car", "person", "road"],
                attributes=[
                    wb.Attribute("occluded"),
                    wb.Attribute("view", "choice", ("front", "side")),
                ],  # fmt: skip
                skeletons={"person": PERSON},
            ),
        )
    )


def make_project(root: Path, name: str = "p") -> tuple[wb.Project, list[str]]:
    """A project of three real PNG files added by URI."""
    folder = root / f"{name}-images"
    folder.mkdir()
    uris = []
    for k in range(3):
        path = folder / f"img{k}.png"
        Image.fromarray(np.full((H, W, 3), 40 * k, np.uint8)).save(path)
        uris.append(str(path))
    project = wb.Project(root / f"{name}.db", schema=schema(), annotator="ann")
    project.add_uris(uris)
    return project, uris


@pytest.fixture
def project(tmp_path):
    p, _ = make_project(tmp_path)
    yield p
    p.close()


def mask_array(r0, r1, c0, c1):
    m = np.zeros((H, W), np.uint8)
    m[r0:r1, c0:c1] = 1
    return m


def hand_written(uris):
    """A COCO file written by hand from the spec: one item found by workbench_id-free
    basename, one by full path; boxes, a polygon, RLE masks in both forms, keypoints."""
    compressed = masks.encode(mask_array(2, 6, 3, 9))
    uncompressed = masks.encode(mask_array(5, 11, 0, 4), compressed=False)
    return {
        "info": {"description": "by hand"},
        "images": [
            {"id": 10, "file_name": "img0.png", "width": W, "height": H},
            {"id": 20, "file_name": uris[1], "width": W, "height": H},
        ],
        "categories": [
            {"id": 1, "name": "car", "supercategory": "vehicle"},
            {
                "id": 2,
                "name": "person",
                "supercategory": "person",
                "keypoints": ["head", "left_hand", "right_hand"],
                "skeleton": [[1, 2], [1, 3]],
            },
            {"id": 7, "name": "road", "supercategory": ""},
        ],  # fmt: skip
        "annotations": [
            {
                "id": 1,
                "image_id": 10,
                "category_id": 1,
                "bbox": [1.25, 2.5, 4.125, 3.0],
                "area": 12.375,
                "iscrowd": 0,
                "score": 0.75,
                "attributes": {"occluded": True, "view": "side"},
            },
            {
                "id": 2,
                "image_id": 10,
                "category_id": 7,
                "iscrowd": 0,
                "segmentation": [[0.5, 0.5, 10.1, 0.5, 10.1, 7.3, 0.5, 7.3]],
                "bbox": [0.5, 0.5, 9.6, 6.8],
                "area": 65.28,
            },
            {
                "id": 3,
                "image_id": 20,
                "category_id": 1,
                "iscrowd": 0,
                "segmentation": compressed,
                "bbox": [3, 2, 6, 4],
                "area": 24,
            },
            {
                "id": 4,
                "image_id": 20,
                "category_id": 7,
                "iscrowd": 1,
                "segmentation": uncompressed,
                "bbox": [0, 5, 4, 6],
                "area": 24,
            },
            {
                "id": 5,
                "image_id": 20,
                "category_id": 2,
                "iscrowd": 0,
                "keypoints": [3.5, 1.25, 2, 2.0, 6.0, 1, 0, 0, 0],
                "num_keypoints": 2,
                "bbox": [2.0, 1.25, 1.5, 4.75],
                "area": 7.125,
            },
        ],  # fmt: skip
    }


def current(project):
    df = project.labels()
    return dict(zip(df["item_id"], df["label"], strict=True))


def strip(ann):
    return {k: v for k, v in ann.items() if k not in ("id", "image_id")}


def test_hand_written_file_imports_and_exports_every_shape(project, tmp_path):
    uris = [r.uri for r in project.store.get_items(project.item_ids())]
    source = hand_written(uris)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(source))
    with pytest.warns(UserWarning, match=r"1 crowd annotation\(s\) \(iscrowd 1\) imported "
                      r"without their crowd flag"):  # fmt: skip
        assert from_coco(project, path) == 2
    labels = current(project)
    ids = project.item_ids()
    assert set(labels) == {ids[0], ids[1]}
    first, second = labels[ids[0]], labels[ids[1]]
    assert [s["type"] for s in first] == ["box", "polygon"]
    box = first[0]
    assert box["bbox"] == [1.25, 2.5, 4.125, 3.0] and box["score"] == 0.75
    assert box["attributes"] == {"occluded": True, "view": "side"}
    assert first[1]["points"][1] == [10.1, 0.5]
    assert [s["type"] for s in second] == ["mask", "mask", "keypoints"]
    assert second[0]["rle"] == source["annotations"][2]["segmentation"]
    assert isinstance(second[1]["rle"]["counts"], str)  # stored compressed
    assert np.array_equal(masks.decode(second[1]["rle"]), mask_array(5, 11, 0, 4))
    assert second[2]["points"] == [[3.5, 1.25, 2], [2.0, 6.0, 1], [0.0, 0.0, 0]]

    out = to_coco(project, path=tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text()) == out
    assert [im["workbench_id"] for im in out["images"]] == ids[:2]
    # Relative to the folder holding the images, as COCO readers join it.
    assert [im["file_name"] for im in out["images"]] == [u.rsplit("/", 1)[-1] for u in uris[:2]]
    assert all((im["width"], im["height"]) == (W, H) for im in out["images"])
    cats = {c["name"]: c for c in out["categories"]}
    assert cats["person"]["keypoints"] == list(PERSON.points)
    assert cats["person"]["skeleton"] == [[1, 2], [1, 3]]
    anns = out["annotations"]
    given_anns = source["annotations"]
    for got, want in zip(anns, given_anns, strict=True):
        for key in ("bbox", "area"):
            np.testing.assert_allclose(got[key], want[key], atol=1e-6)
    assert anns[0]["score"] == 0.75 and anns[0]["attributes"] == {"occluded": True, "view": "side"}
    assert anns[1]["segmentation"] == given_anns[1]["segmentation"]
    assert anns[2]["segmentation"] == given_anns[2]["segmentation"]
    assert masks.decode(anns[3]["segmentation"]).sum() == 24
    assert anns[4]["keypoints"] == given_anns[4]["keypoints"] and anns[4]["num_keypoints"] == 2


def test_export_import_export_gives_the_same_annotations(project, tmp_path):
    uris = [r.uri for r in project.store.get_items(project.item_ids())]
    with pytest.warns(UserWarning, match=r"1 crowd annotation\(s\)"):
        from_coco(project, hand_written(uris))
    project.label(project.item_ids()[2], [])  # a labeled item with no shapes
    first = to_coco(project)
    fresh, _ = make_project(tmp_path, "fresh")
    with fresh:
        # The fresh project's items have other ids and paths, same basenames.
        for im in first["images"]:
            del im["workbench_id"]
        assert from_coco(fresh, first) == 3
        again = to_coco(fresh)
    assert [strip(a) for a in again["annotations"]] == [strip(a) for a in first["annotations"]]
    assert again["categories"] == first["categories"]
    assert [im["file_name"].rsplit("/", 1)[-1] for im in again["images"]] == [
        "img0.png", "img1.png", "img2.png"]  # fmt: skip
    # Into the same project by workbench_id: labels unchanged.
    before = current(project)
    assert from_coco(project, to_coco(project), match="workbench_id") == 3
    assert current(project) == before


# Coordinates anywhere in the image or up to the margin outside it (1 px on a 16 × 12
# image): what an import accepts, so what must come back exactly.
xs, ys = st.floats(-1, W + 1), st.floats(-1, H + 1)
point = st.tuples(xs, ys).map(list)
box = st.builds(
    lambda x, y, cls: {"type": "box", "class": cls,
                       "bbox": [min(x), min(y), max(x) - min(x), max(y) - min(y)]},
    st.tuples(xs, xs), st.tuples(ys, ys), st.sampled_from(["car", "road"]),
)  # fmt: skip
polygon = st.builds(
    lambda pts, cls: {"type": "polygon", "class": cls, "points": pts},
    st.lists(point, min_size=3, max_size=8), st.sampled_from(["car", "road"]),
)  # fmt: skip


def test_random_boxes_and_polygons_round_trip(tmp_path):
    project, _ = make_project(tmp_path)
    ids = project.item_ids()

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.lists(st.one_of(box, polygon), max_size=5), min_size=1, max_size=3))
    def round_trip(values):
        stored = {}
        for item_id, value in zip(ids, values, strict=False):
            project.label(item_id, value)
            stored[item_id] = current(project)[item_id]
        coco = json.loads(json.dumps(to_coco(project)))
        from_coco(project, coco)
        back = current(project)
        for item_id, shapes in stored.items():
            assert back[item_id] == shapes

    with project:
        round_trip()


def test_mask_area_and_bbox_match_pycocotools(project):
    mask_utils = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(0)
    ids = project.item_ids()
    for k, item_id in enumerate(ids):
        shapes = [
            {"type": "mask", "class": "car", "rle": masks.encode(rng.random((H, W)) < p)}
            for p in (0.1, 0.5, 0.9)
        ]
        shapes.append(
            {"type": "mask", "class": "road", "rle": masks.encode(mask_array(0, k, 0, k))}
        )
        project.label(item_id, shapes)
    anns = to_coco(project)["annotations"]
    assert len(anns) == 12
    for ann in anns:
        rle = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode())
        assert ann["area"] == float(mask_utils.area(rle))
        assert ann["bbox"] == mask_utils.toBbox(rle).tolist()
        assert ann["iscrowd"] == 0


#: What to_coco writes for every shape type, byte for byte: key order, floats, the
#: mask's area and bbox (one run crossing into the next column), keypoints with
#: hidden points, a polyline left out; boxes and keypoints carry their box as
#: pycocotools' loadRes polygon, so COCOeval(iouType="segm") can rasterise them.
EXPORTED = (
    '[{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "bbox": [1.25, 2.5, 4.125, 3.0], '
    '"area": 12.375, "segmentation": [[1.25, 2.5, 1.25, 5.5, 5.375, 5.5, 5.375, 2.5]], '
    '"attributes": {"occluded": true, "view": "side"}, "workbench_type": "box", '
    '"score": 0.75, "workbench_shape_id": "s1", "workbench_z": 2}, '
    '{"id": 2, "image_id": 1, "category_id": 3, "iscrowd": 0, '
    '"segmentation": [[0.5, 0.5, 10.25, 0.5, 10.25, 7.75, 0.5, 7.75]], '
    '"bbox": [0.5, 0.5, 9.75, 7.25], "area": 70.6875, '
    '"attributes": {"occluded": false, "view": "front"}, "workbench_shape_id": "s2", '
    '"workbench_z": 0}, '
    '{"id": 3, "image_id": 1, "category_id": 1, "iscrowd": 0, '
    '"segmentation": [[0.0, 0.0, 4.0, 0.0, 0.0, 3.0]], "bbox": [0.0, 0.0, 4.0, 3.0], '
    '"area": 6.0, "attributes": {"occluded": false, "view": "front"}, '
    '"workbench_shape_id": "s4", "workbench_z": 0}, '
    '{"id": 4, "image_id": 1, "category_id": 1, "iscrowd": 0, '
    '"segmentation": {"size": [12, 16], "counts": "V148000000000b2"}, '
    '"bbox": [3.0, 2.0, 6.0, 4.0], "area": 24.0, '
    '"attributes": {"occluded": false, "view": "front"}, "workbench_shape_id": "s5", '
    '"workbench_z": 0}, '
    '{"id": 5, "image_id": 1, "category_id": 2, "iscrowd": 0, '
    '"keypoints": [3.5, 1.25, 2, 2.0, 6.0, 1, 0.0, 0.0, 0], "num_keypoints": 2, '
    '"bbox": [2.0, 1.25, 1.5, 4.75], "area": 7.125, '
    '"segmentation": [[2.0, 1.25, 2.0, 6.0, 3.5, 6.0, 3.5, 1.25]], '
    '"attributes": {"occluded": false, "view": "front"}, "workbench_type": "keypoints", '
    '"workbench_shape_id": "s6", '
    '"workbench_z": 0}, '
    '{"id": 6, "image_id": 2, "category_id": 3, "iscrowd": 0, '
    '"segmentation": {"size": [12, 16], "counts": "n09i4"}, "bbox": [2.0, 0.0, 2.0, 12.0], '
    '"area": 9.0, "attributes": {"occluded": false, "view": "front"}, '
    '"workbench_shape_id": "s1", "workbench_z": 0}, '
    '{"id": 7, "image_id": 2, "category_id": 3, "iscrowd": 0, "bbox": [0.0, 0.0, 1.0, 1.0], '
    '"area": 1.0, "segmentation": [[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]], '
    '"attributes": {"occluded": false, "view": "front"}, "workbench_type": "box", '
    '"workbench_shape_id": "s2", "workbench_z": 0}, '
    '{"id": 8, "image_id": 2, "category_id": 2, "iscrowd": 0, '
    '"keypoints": [0.0, 0.0, 0, 0.0, 0.0, 0, 0.0, 0.0, 0], "num_keypoints": 0, '
    '"bbox": [0.0, 0.0, 0.0, 0.0], "area": 0.0, '
    '"segmentation": [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]], '
    '"attributes": {"occluded": false, "view": "front"}, "workbench_type": "keypoints", '
    '"workbench_shape_id": "s3", '
    '"workbench_z": 0}]'
)


def test_export_is_byte_for_byte_what_it_was(project, tmp_path):
    ids = project.item_ids()
    crossing = np.zeros((H, W), np.uint8)
    crossing[6:, 2] = 1
    crossing[:3, 3] = 1  # continues the run above into the next column
    project.label(ids[0], [
        {"type": "box", "class": "car", "bbox": [1.25, 2.5, 4.125, 3.0], "score": 0.75,
         "attributes": {"occluded": True, "view": "side"}, "z": 2},
        {"type": "polygon", "class": "road",
         "points": [[0.5, 0.5], [10.25, 0.5], [10.25, 7.75], [0.5, 7.75]]},
        {"type": "polyline", "class": "road", "points": [[0, 1], [2, 3]]},
        {"type": "polygon", "class": "car", "points": [[0, 0], [4, 0], [0, 3]]},
        {"type": "mask", "class": "car", "rle": masks.encode(mask_array(2, 6, 3, 9))},
        {"type": "keypoints", "class": "person",
         "points": [[3.5, 1.25, 2], [2.0, 6.0, 1], [0, 0, 0]]},
    ])  # fmt: skip
    project.label(ids[2], [
        {"type": "mask", "class": "road", "rle": masks.encode(crossing)},
        {"type": "box", "class": "road", "bbox": [0, 0, 1, 1]},
        {"type": "keypoints", "class": "person", "points": [[0, 0, 0]] * 3},
    ])  # fmt: skip
    with pytest.warns(UserWarning, match="1 polyline"):
        out = to_coco(project, path=tmp_path / "out.json")
    assert json.dumps(out["annotations"]) == EXPORTED
    text = (tmp_path / "out.json").read_text(encoding="utf-8")
    assert text == json.dumps(out)
    assert f'"annotations": {EXPORTED}, "categories": ' in text


def test_polylines_and_cuboids_are_dropped_with_a_warning(project):
    corners = [[0, 0], [4, 0], [4, 4], [0, 4]]
    project.label(project.item_ids()[0], [
        {"type": "box", "class": "car", "bbox": [0, 0, 1, 1]},
        {"type": "polyline", "class": "road", "points": [[0, 1], [2, 3]]},
        {"type": "polyline", "class": "road", "points": [[0, 1], [2, 5]]},
        {"type": "cuboid", "class": "car", "front": corners, "back": corners},
    ])  # fmt: skip
    with pytest.warns(UserWarning, match=r"1 cuboid .*2 polylines") as record:
        out = to_coco(project)
    assert "no 3-D boxes" in str(record[0].message) and "no open paths" in str(record[0].message)
    assert [a["bbox"] for a in out["annotations"]] == [[0.0, 0.0, 1.0, 1.0]]
    with pytest.raises(CocoFormatError, match="2 polylines"):
        to_coco(project, strict=True)


def test_export_without_drops_does_not_warn(project):
    project.label(project.item_ids()[0], [{"type": "box", "class": "car", "bbox": [0, 0, 1, 1]}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_coco(project)


def _break(coco, what):
    anns, images = coco["annotations"], coco["images"]
    if what == "bbox":
        del anns[3]["bbox"]
    elif what == "category":
        anns[3]["category_id"] = 99
    elif what == "image_id":
        anns[3]["image_id"] = 77
    elif what == "not in project":
        images[1]["file_name"] = "elsewhere/missing.png"
    elif what == "odd polygon":
        anns[1]["segmentation"] = [[0.5, 0.5, 10.1, 0.5, 10.1, 7.3, 0.5]]
    elif what == "unknown class":
        coco["categories"][2]["name"] = "bicycle"
    return coco


@pytest.mark.parametrize(
    "what, message",
    [
        ("bbox", r"annotations\[3\] \(id 4\): field 'bbox': missing"),
        ("category", r"annotations\[3\] \(id 4\): field 'category_id': no category with id 99"),
        ("image_id", r"annotations\[3\] \(id 4\): field 'image_id': no image with id 77"),
        ("not in project", r"images\[1\] \(id 20\): file_name 'elsewhere/missing.png'"),
        ("odd polygon", r"annotations\[1\] \(id 2\): field 'segmentation\[0\]': .*odd"),
        ("unknown class", r"categories \(id 7\): field 'name': category 'bicycle'"),
    ],
)
def test_malformed_files_name_file_record_and_field(project, tmp_path, what, message):
    uris = [r.uri for r in project.store.get_items(project.item_ids())]
    first = project.item_ids()[2]
    project.label(first, [{"type": "box", "class": "car", "bbox": [0, 0, 1, 1]}])
    before = project.labels()
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(_break(hand_written(uris), what)))
    with pytest.raises(CocoFormatError, match=message) as info:
        from_coco(project, path)
    assert str(info.value).startswith(str(path))
    assert isinstance(info.value, wb.WorkbenchError) and isinstance(info.value, ValueError)
    after = project.labels()
    assert after["event_id"].tolist() == before["event_id"].tolist()  # nothing written


def test_shape_errors_are_named_by_record(project):
    uris = [r.uri for r in project.store.get_items(project.item_ids())]
    coco = hand_written(uris)
    coco["annotations"][0]["attributes"] = {"colour": "red"}
    with pytest.raises(CocoFormatError, match=r"annotations\[0\] \(id 1\): field 'attributes'"):
        from_coco(project, coco)
    coco = hand_written(uris)
    coco["annotations"][4]["keypoints"] = [1, 2, 2]
    with pytest.raises(CocoFormatError, match=r"field 'keypoints': 1 points.*3 points"):
        from_coco(project, coco)
    assert project.labels().empty


def test_a_shapes_task_is_needed(tmp_path):
    with tempfile.TemporaryDirectory() as d, wb.Project(
        Path(d) / "c.db", schema=wb.Schema.classification("digit", ["0", "1"])
    ) as p:  # fmt: skip
        with pytest.raises(wb.SchemaError, match="shapes task"):
            to_coco(p)
