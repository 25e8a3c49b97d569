"""Each format convention (docs/formats.md) against files other libraries wrote and read.

Files under tests/fixtures/third_party/ were written by supervision and
pycocotools (tools/make_third_party_fixtures.py); workbench reads them and the
tests assert exact boxes, masks and classes. Then workbench writes, and
supervision and pycocotools read back what it wrote.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
from workbench import masks
from workbench.formats import (
    CocoFormatError,
    from_coco,
    from_voc,
    from_yolo,
    to_coco,
    to_voc,
    to_yolo,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "third_party"
IMAGES = FIXTURES / "images"
W, H = 32, 24
CLASSES = ["café crème", "\U0001f415", "car"]
DOG = "\U0001f415"

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # its note that OpenCV is absent
    import supervision as sv  # in the test extras: never skipped
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402


def schema(crowd: bool = True) -> wb.Schema:
    attributes = [wb.Attribute("iscrowd")] if crowd else []
    return wb.Schema((wb.Shapes("objects", classes=CLASSES, attributes=attributes),))


def make_project(root: Path, crowd: bool = True, images: Path = IMAGES) -> wb.Project:
    p = wb.Project(root / "p.db", schema=schema(crowd))
    p.add_uris([str(images / "a.png"), str(images / "b.png")])
    return p


def shapes_of(project: wb.Project) -> dict[str, list[dict]]:
    """Current shapes by image file name."""
    by_id = {r.item_id: Path(r.uri).name for r in project.store.get_items(project.item_ids())}
    labels = project.labels()
    return {by_id[i]: v for i, v in zip(labels["item_id"], labels["label"], strict=True)}


def boxes(shapes: list[dict]) -> list[tuple[str, list[float]]]:
    return [(s["class"], s["bbox"]) for s in shapes]


#: The boxes the fixtures were made from: [x, y, w, h], pixel edges (as workbench's).
A_BOXES = [("car", [2.0, 3.0, 10.0, 7.0]), ("café crème", [20.0, 5.0, 11.0, 15.0])]
B_BOXES = [(DOG, [0.0, 0.0, 32.0, 24.0])]


def rectangle_mask() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[4:10, 5:15] = 1
    return m


def ring_mask() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[12:20, 18:28] = 1
    m[15:17, 21:25] = 0
    return m


def crowd_mask() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[2:6, 1:4] = 1
    m[18:23, 25:31] = 1
    return m


# ---------------------------------------------------------------------------
# files supervision and pycocotools wrote, read by workbench


def test_coco_boxes_written_by_supervision(tmp_path):
    """Box-only annotations (supervision writes ``segmentation: []``) are boxes; bbox
    is [x, y, w, h] in pixel edges, as workbench's; file_name is matched by name."""
    with make_project(tmp_path) as project:
        assert from_coco(project, FIXTURES / "sv_boxes/coco.json") == 2
        got = shapes_of(project)
        assert boxes(got["a.png"]) == A_BOXES and boxes(got["b.png"]) == B_BOXES
        assert all(s["type"] == "box" for v in got.values() for s in v)


def test_yolo_written_by_supervision_with_escaped_names(tmp_path):
    """data.yaml names as supervision (PyYAML) escapes them: "caf\\xE9 cr\\xE8me",
    "\\U0001F415"; coordinates normalised centre and size, 5 decimals as written."""
    assert (
        '"caf\\xE9 cr\\xE8me", "\\U0001F415"' in (FIXTURES / "sv_boxes/yolo/data.yaml").read_text()
    )
    with make_project(tmp_path) as project:
        assert from_yolo(project, FIXTURES / "sv_boxes/yolo") == 2
        got = shapes_of(project)
        for name, want in (("a.png", A_BOXES), ("b.png", B_BOXES)):
            lines = (FIXTURES / f"sv_boxes/yolo/labels/{Path(name).stem}.txt").read_text()
            for shape, line, (cls, bbox) in zip(got[name], lines.splitlines(), want, strict=True):
                cx, cy, w, h = (float(t) for t in line.split()[1:])
                said = [(cx - w / 2) * W, (cy - h / 2) * H, w * W, h * H]
                assert shape["class"] == cls
                np.testing.assert_allclose(shape["bbox"], said, rtol=0, atol=1e-9)
                # The file's 5 decimals hold the box to half a unit of the fifth.
                np.testing.assert_allclose(shape["bbox"], bbox, rtol=0, atol=H * 1e-5)


def test_voc_written_by_supervision_is_1_based(tmp_path):
    """xmin 3, xmax 12 (1-based, inclusive pixels) is x 2, w 10."""
    with make_project(tmp_path) as project:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no 0-based edge, nothing dropped
            assert from_voc(project, FIXTURES / "sv_boxes/voc") == 2
        got = shapes_of(project)
        assert boxes(got["a.png"]) == A_BOXES and boxes(got["b.png"]) == B_BOXES


def test_coco_masks_written_by_supervision(tmp_path):
    """A hole-free mask comes as a polygon through its outermost pixels' centres (as
    OpenCV traces it), read as written; a mask with a hole as a crowd RLE, read
    pixel-exact, its crowd flag kept in the ``iscrowd`` attribute."""
    with make_project(tmp_path) as project:
        from_coco(project, FIXTURES / "sv_masks/coco.json")
        polygon, ring = shapes_of(project)["a.png"]
        assert polygon["type"] == "polygon" and polygon["class"] == "car"
        assert polygon["points"] == [[5.0, 4.0], [5.0, 9.0], [14.0, 9.0], [14.0, 4.0]]
        assert polygon["attributes"] == {"iscrowd": False}
        assert ring["type"] == "mask" and ring["class"] == "café crème"
        assert np.array_equal(masks.decode(ring["rle"]), ring_mask())
        assert ring["attributes"] == {"iscrowd": True}
        # Exported again: the crowd flag and the pixels come back, bbox as pycocotools'.
        out = to_coco(project)
        ann = next(a for a in out["annotations"] if a["iscrowd"] == 1)
        assert np.array_equal(masks.decode(ann["segmentation"]), ring_mask())
        assert ann["bbox"] == [18.0, 12.0, 10.0, 8.0] and ann["area"] == 72.0


def test_voc_polygon_written_by_supervision(tmp_path):
    """<polygon> vertices are points counted from 1, as xmin is: each less 1."""
    with make_project(tmp_path) as project:
        from_voc(project, FIXTURES / "sv_masks/voc")
        (shape,) = shapes_of(project)["a.png"]
        assert shape["type"] == "polygon" and shape["class"] == "car"
        assert shape["points"] == [[5.0, 4.0], [5.0, 9.0], [14.0, 9.0], [14.0, 4.0]]


def test_pycocotools_crowd_rle_category_gaps_and_polygon_parts(tmp_path):
    """Category ids 3 and 7 are matched by name and written back as 1..K in the task's
    class order; a crowd RLE from pycocotools' encoder is read pixel-exact; each part
    of a multi-part polygon becomes one polygon shape."""
    with make_project(tmp_path) as project:
        assert from_coco(project, FIXTURES / "pycocotools/crowd.json") == 1
        crowd, part1, part2 = shapes_of(project)["a.png"]
        assert crowd["class"] == "café crème" and crowd["attributes"] == {"iscrowd": True}
        assert np.array_equal(masks.decode(crowd["rle"]), crowd_mask())
        assert [part1["type"], part2["type"], part1["class"], part2["class"]] == [
            "polygon", "polygon", "car", "car"]  # fmt: skip
        assert part1["points"] == [[2.0, 3.0], [12.0, 3.0], [12.0, 10.0]]
        assert part2["points"] == [[20.0, 5.0], [31.0, 5.0], [31.0, 20.0]]
        out = to_coco(project)
        assert [(c["id"], c["name"]) for c in out["categories"]] == list(
            enumerate(CLASSES, start=1))  # fmt: skip
        assert [(a["category_id"], a["iscrowd"]) for a in out["annotations"]] == [
            (1, 1), (3, 0), (3, 0)]  # fmt: skip
        given = json.loads((FIXTURES / "pycocotools/crowd.json").read_text())
        assert out["annotations"][0]["segmentation"] == given["annotations"][0]["segmentation"]


def test_crowd_flag_without_an_attribute_to_keep_it_is_named(tmp_path):
    with make_project(tmp_path, crowd=False) as project:
        with pytest.warns(UserWarning, match=r"crowd.json: 1 crowd annotation\(s\) \(iscrowd 1\) "
                          r"imported without their crowd flag: task 'objects' has no bool "
                          r"attribute 'iscrowd'"):  # fmt: skip
            from_coco(project, FIXTURES / "pycocotools/crowd.json")
        assert to_coco(project)["annotations"][0]["iscrowd"] == 0


# ---------------------------------------------------------------------------
# written by workbench, read by supervision and pycocotools


def labeled_project(root: Path, images: Path = IMAGES) -> wb.Project:
    """a.png: two boxes and a mask; b.png: a polygon; one more image, unlabeled."""
    extra = root / "unlabeled.png"
    shutil.copy(images / "b.png", extra)
    project = make_project(root, images=images)
    project.add_uris([str(extra)])
    a, b, _ = project.item_ids()
    project.label(a, [
        {"type": "box", "class": "car", "bbox": [2, 3, 10, 7]},
        {"type": "box", "class": "café crème", "bbox": [20, 5, 11, 15]},
        {"type": "mask", "class": DOG, "rle": masks.encode(rectangle_mask())},
    ])  # fmt: skip
    project.label(b, [{"type": "polygon", "class": "car",
                       "points": [[1, 1], [30, 1], [30, 20], [1, 20]]}])  # fmt: skip
    return project


def sv_boxes_by_name(dataset) -> dict[str, list[tuple[str, list[float]]]]:
    out = {}
    for path, _, det in dataset:
        pairs = zip(det.xyxy, det.class_id, strict=True)
        out[Path(path).name] = [(dataset.classes[c], [float(v) for v in box]) for box, c in pairs]
    return out


def xyxy(bbox):
    return [bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]]


def test_coco_export_read_by_supervision_after_the_images_move(tmp_path):
    """file_name is relative to the images folder, so the export still reads once
    images and JSON move together; unlabeled items are not exported."""
    images = tmp_path / "data" / "images"
    shutil.copytree(IMAGES, images)
    with labeled_project(tmp_path, images) as project:
        out = to_coco(project, path=tmp_path / "data" / "coco.json")
    assert [im["file_name"] for im in out["images"]] == ["a.png", "b.png"]
    shutil.move(tmp_path / "data", tmp_path / "moved")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = sv.DetectionDataset.from_coco(str(tmp_path / "moved/images"),
                                           str(tmp_path / "moved/coco.json"))  # fmt: skip
    got = sv_boxes_by_name(ds)
    assert got["a.png"][:2] == [("car", xyxy([2, 3, 10, 7])),
                                ("café crème", xyxy([20, 5, 11, 15]))]  # fmt: skip
    assert got["a.png"][2] == (DOG, [5.0, 4.0, 15.0, 10.0])  # the mask's pixel edges
    assert got["b.png"] == [("car", [1.0, 1.0, 30.0, 20.0])]
    assert "unlabeled.png" not in got


def test_coco_file_names_relative_to_the_common_folder_and_image_root(tmp_path):
    for sub, name in (("x", "a.png"), ("y/z", "b.png")):
        (tmp_path / "imgs" / sub).mkdir(parents=True)
        shutil.copy(IMAGES / name, tmp_path / "imgs" / sub / name)
    with wb.Project(tmp_path / "p.db", schema=schema()) as project:
        project.add_uris([str(tmp_path / "imgs/x/a.png"), str(tmp_path / "imgs/y/z/b.png")])
        project.add_arrays(np.zeros((1, H, W), np.uint8), ids=["row"])
        for item in project.item_ids():
            project.label(item, [{"type": "box", "class": "car", "bbox": [1, 1, 2, 2]}])
        out = to_coco(project)
        assert [im["file_name"] for im in out["images"]] == ["x/a.png", "y/z/b.png", "row"]
        wider = to_coco(project, image_root=tmp_path)
        assert [im["file_name"] for im in wider["images"]][:2] == ["imgs/x/a.png",
                                                                  "imgs/y/z/b.png"]  # fmt: skip
        with pytest.raises(CocoFormatError, match=r"item '\w+': its file \S+a.png is not under "
                           r"image_root \S+/y \(nothing was written\)"):  # fmt: skip
            to_coco(project, image_root=tmp_path / "imgs/y")
        # Read back by relative path alone (no workbench_id).
        for im in out["images"]:
            del im["workbench_id"]
        before = project.labels()["label"].tolist()
        for item in project.item_ids():
            project.label(item, [])
        assert from_coco(project, out) == 3
        assert project.labels()["label"].tolist() == before


def test_yolo_export_read_by_supervision(tmp_path):
    with labeled_project(tmp_path) as project:
        with pytest.warns(UserWarning, match="1 polygon written as its bounding box"):
            data = to_yolo(project, tmp_path / "yolo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = sv.DetectionDataset.from_yolo(str(IMAGES), str(tmp_path / "yolo/labels"), str(data))
    assert ds.classes == CLASSES
    got = sv_boxes_by_name(ds)
    want_a = [("car", xyxy([2, 3, 10, 7])), ("café crème", xyxy([20, 5, 11, 15])),
              (DOG, [5.0, 4.0, 15.0, 10.0])]  # fmt: skip
    for (cls, box), (want_cls, want_box) in zip(got["a.png"], want_a, strict=True):
        assert cls == want_cls
        np.testing.assert_allclose(box, want_box, rtol=0, atol=1e-3)  # supervision's float32
    assert got["b.png"][0][0] == "car"


def test_voc_export_read_by_supervision(tmp_path):
    with labeled_project(tmp_path) as project:
        with pytest.warns(UserWarning, match="1 mask written as its bounding box"):
            to_voc(project, tmp_path / "voc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = sv.DetectionDataset.from_pascal_voc(str(IMAGES), str(tmp_path / "voc"))
    got = sv_boxes_by_name(ds)
    assert got["a.png"] == [("car", xyxy([2, 3, 10, 7])), ("café crème", xyxy([20, 5, 11, 15])),
                            (DOG, [5.0, 4.0, 15.0, 10.0])]  # fmt: skip
    # The polygon went as <polygon> too: supervision fills it into a mask.
    (mask,) = [m for m in ds.annotations[str(IMAGES / "b.png")].mask]
    assert mask[1:21, 1:31].all() and mask.sum() >= 29 * 19


# pycocotools' own numpy 2 deprecation, inside its mask decoder.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning:pycocotools")
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_cocoeval_on_a_workbench_export_gives_ap_1_for_its_own_annotations(tmp_path, iou_type):
    """Box-only annotations carry their box as pycocotools' loadRes polygon, so segm
    evaluation rasterises them instead of crashing on ``segmentation: []``."""
    with labeled_project(tmp_path) as project:
        to_coco(project, path=tmp_path / "gt.json")
    gt = COCO(str(tmp_path / "gt.json"))
    results = [{k: a[k] for k in ("image_id", "category_id", "bbox", "segmentation")}
               | {"score": 1.0} for a in gt.loadAnns(gt.getAnnIds())]  # fmt: skip
    dt = gt.loadRes(results)
    ev = COCOeval(gt, dt, iouType=iou_type)
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0) and ev.stats[1] == pytest.approx(1.0)
    # Box-only annotations rasterise to their box's pixels.
    box = next(a for a in gt.loadAnns(gt.getAnnIds()) if a.get("workbench_type") == "box")
    assert gt.annToMask(box).sum() == box["area"]


def test_workbench_coco_boxes_come_back_as_boxes(tmp_path):
    """``workbench_type`` tells a box's loadRes polygon from a drawn polygon; without
    it (a third-party file: supervision writes a rectangular mask with the same
    corners in the same order) the polygon stays a polygon."""
    with labeled_project(tmp_path) as project:
        out = to_coco(project)
        before = project.labels()["label"].tolist()
        for item in project.item_ids():
            project.label(item, [])
        from_coco(project, out)
        assert project.labels()["label"].tolist()[:2] == before[:2]
        assert [[s["type"] for s in v] for v in before[:2]] == [["box", "box", "mask"],
                                                                ["polygon"]]  # fmt: skip
        for ann in out["annotations"]:
            ann.pop("workbench_type", None)
        from_coco(project, out)
        assert [s["type"] for s in project.labels()["label"].tolist()[0]] == [
            "polygon", "polygon", "mask"]  # fmt: skip


# ---------------------------------------------------------------------------
# progress bars


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc"])
def test_progress_bar_total_is_the_item_count(tmp_path, monkeypatch, fmt):
    import tqdm.auto

    bars = []

    class Recorder:
        def __init__(self, total, desc, unit, disable):
            self.total, self.desc, self.disable, self.n = total, desc, disable, 0
            bars.append(self)

        def update(self, n=1):
            self.n += n

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    with labeled_project(tmp_path) as project, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bars.clear()  # adding the items has a bar of its own
        if fmt == "coco":
            out = to_coco(project, progress=True)
            from_coco(project, out, progress=True)
            units = [2, len(out["annotations"])]  # items out, annotations in
        elif fmt == "yolo":
            to_yolo(project, tmp_path / "y", progress=True)
            from_yolo(project, tmp_path / "y", progress=True)
            units = [2, 2]
        else:
            to_voc(project, tmp_path / "v", progress=True)
            from_voc(project, tmp_path / "v", progress=True)
            units = [2, 2]
        assert [(b.total, b.n, b.disable) for b in bars] == [(n, n, False) for n in units]
        bars.clear()
        to_coco(project)  # unset: hidden below PROGRESS_MIN items
        to_coco(project, progress=False)
        assert [b.disable for b in bars] == [True, True]
