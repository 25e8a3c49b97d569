"""Attacks on the format readers and writers: crafted COCO, YOLO and VOC files.

Each test hands an importer a file an attacker wrote (or an exporter a value that
would not survive the trip) and asserts the refusal: the format's own error (not
a bare MemoryError, RecursionError, ValueError or OverflowError), naming the file,
the record and the field; and that the project's event log is unchanged and
nothing was partly written.
"""

from __future__ import annotations

import json
import os
import re
import tracemalloc
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import workbench as wb
from workbench import masks
from workbench.formats import (
    CocoFormatError,
    VocFormatError,
    YoloFormatError,
    from_coco,
    from_voc,
    from_yolo,
    to_coco,
    to_voc,
    to_yolo,
)
from workbench.kinds.shapes.formats import _project as shared
from workbench.store import Event

W, H = 16, 12  # every image of the project: the real size the files are checked against


def schema() -> wb.Schema:
    return wb.Schema((wb.Shapes(
        "objects", classes=["car", "person", "road"], attributes=[wb.Attribute("occluded")],
        skeletons={"person": wb.Skeleton(("head", "left_hand", "right_hand"))},
    ),))  # fmt: skip


@pytest.fixture
def project(tmp_path):
    """Three real 16 × 12 PNG files added by path, one of them already labeled."""
    folder = tmp_path / "images"
    folder.mkdir()
    uris = []
    for k in range(3):
        Image.fromarray(np.full((H, W, 3), 60 * k, np.uint8)).save(folder / f"img{k}.png")
        uris.append(str(folder / f"img{k}.png"))
    with wb.Project(tmp_path / "p.db", schema=schema(), annotator="ann") as p:
        p.add_uris(uris)
        p.label(p.item_ids()[2], [{"type": "box", "class": "car", "bbox": [1, 1, 4, 4]}])
        yield p


def refused(project, error, call, *patterns):
    """Run ``call``; assert it raised exactly ``error`` with a message matching every
    pattern, and that the event log is what it was."""
    before = project.events()
    with pytest.raises(Exception) as info:  # noqa: PT011 - the type is checked exactly below
        call()
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), message
    assert len(message) < 1000  # names what is wrong, never echoes the attack
    pd.testing.assert_frame_equal(project.events(), before)
    return message


# ---------------------------------------------------------------------------
# COCO


def coco(project, *annotations, image=None):
    """A COCO dict of img0 (file name only) with these annotations."""
    im = {"id": 1, "file_name": "img0.png", **(image or {})}
    anns = [{"id": i, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], **a}
            for i, a in enumerate(annotations, start=1)]  # fmt: skip
    cats = [{"id": k, "name": n} for k, n in enumerate(["car", "person", "road"], start=1)]
    return {"images": [im], "annotations": anns, "categories": cats}


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data))  # allow_nan: NaN and Infinity as an attacker writes them
    return path


@pytest.mark.parametrize("counts", [[40_000_000_000], "compressed"])
@pytest.mark.parametrize("declared", [None, {"width": 200000, "height": 200000}])
def test_coco_rle_of_200000_squared_is_refused_before_anything_is_allocated(
    project, tmp_path, counts, declared
):
    if counts == "compressed":  # the same runs as COCO's compressed string
        counts = masks._counts_to_string(np.array([40_000_000_000], np.int64))
    seg = {"size": [200000, 200000], "counts": counts}
    path = write_json(tmp_path / "rle.json", coco(project, {"segmentation": seg}, image=declared))
    tracemalloc.start()
    try:
        field = "width" if declared else "segmentation"
        refused(project, CocoFormatError, lambda: from_coco(project, path),
                rf"^{re.escape(str(path))}: ", r"(annotations|images)\[0\] \(id 1\)",
                rf"field '{field}'", "16 × 12|\\[12, 16\\]")  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # a 40-gigapixel mask was never decoded


def test_coco_rle_larger_than_the_real_image_is_refused(project, tmp_path):
    # The image record claims 64 × 48 (so the 48 × 64 RLE "fits"); the file is 16 × 12.
    big = masks.encode(np.ones((48, 64), np.uint8))
    lying = coco(project, {"segmentation": big}, image={"width": 64, "height": 48})
    path = write_json(tmp_path / "lying.json", lying)
    refused(project, CocoFormatError, lambda: from_coco(project, path),
            r"images\[0\] \(id 1\): field 'width': 64, but the image file .*img0.png' is "
            r"16 × 12 pixels")  # fmt: skip
    # No size on the image record: the RLE is checked against the file's header.
    silent = write_json(tmp_path / "silent.json", coco(project, {"segmentation": big}))
    refused(project, CocoFormatError, lambda: from_coco(project, silent),
            r"annotations\[0\] \(id 1\): field 'segmentation': RLE size \[48, 64\] is not "
            r"its image's \[height, width\] \[12, 16\] \(read from the image file\)")  # fmt: skip
    # An uncompressed RLE of the wrong size too (it used to be decoded to be compressed).
    as_list = masks.encode(np.ones((48, 64), np.uint8), compressed=False)
    path = write_json(tmp_path / "list.json", coco(project, {"segmentation": as_list}))
    refused(project, CocoFormatError, lambda: from_coco(project, path),
            r"field 'segmentation': RLE size \[48, 64\] is not its image's")  # fmt: skip
    # The right size imports (the control).
    good = masks.encode(np.eye(H, W, dtype=np.uint8))
    assert from_coco(project, coco(project, {"segmentation": good})) == 1


@pytest.mark.parametrize(
    "annotation, field",
    [
        ({"bbox": [0, 0, 1e308, 1e308]}, "bbox"),  # finite; its area is not
        ({"bbox": [0, 0, float("inf"), 1]}, "bbox"),
        ({"bbox": [float("nan"), 0, 1, 1]}, "bbox"),
        ({"bbox": [10**400, 0, 1, 1]}, "bbox"),  # an int no float holds
        ({"segmentation": [[0, 0, 1e308, 0, 0, 1]]}, "segmentation"),
        ({"segmentation": [[0, 0, 5, 0, float("-inf"), 5]]}, r"segmentation\[0\]"),
        ({"category_id": 2, "keypoints": [1, 1, 2, 1e300, 1, 2, 0, 0, 0]}, "keypoints"),
        ({"workbench_z": float("inf")}, "workbench_z"),
        ({"workbench_z": 1e300}, "workbench_z"),
        ({"score": float("nan")}, "score"),
        ({"attributes": {"occluded": float("nan")}}, "attributes"),
    ],
)  # fmt: skip
def test_coco_non_finite_and_overflowing_numbers_are_refused(project, tmp_path, annotation, field):
    path = write_json(tmp_path / "numbers.json", coco(project, annotation))
    refused(project, CocoFormatError, lambda: from_coco(project, path),
            rf"^{re.escape(str(path))}: annotations\[0\] \(id 1\): field '{field}'")  # fmt: skip


def test_coco_export_never_writes_infinity(project, tmp_path):
    # The 1e308 box got in before validation refused it (an older release, a value
    # written straight into the store); its area is inf. With the image at hand it
    # is clipped to the image (and named); without, the export refuses.
    item = project.item_ids()[0]
    value = [{"type": "box", "class": "car", "id": "s1", "z": 0,
              "attributes": {"occluded": False}, "bbox": [0.0, 0.0, 1e308, 1e308]}]  # fmt: skip
    project.store.append([Event(item, "objects", value, annotator="old-release",
                                schema_version=project.schema.version)])  # fmt: skip
    out = tmp_path / "out.json"
    with pytest.warns(UserWarning, match="1 shape clipped to the image"):
        to_coco(project, path=out)
    text = out.read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)["annotations"][0]["bbox"] == [0.0, 0.0, 16.0, 12.0]
    out.unlink()
    Path(project.store.get_items([item])[0].uri).unlink()  # the size is no longer known
    message = refused(project, CocoFormatError, lambda: to_coco(project, path=out),
                      rf"^item '{item}': shape 's1': a number COCO's JSON cannot hold")  # fmt: skip
    assert "nothing was written" in message
    assert not out.exists()
    # Through the API the same value is refused before it is stored.
    refused(project, wb.SchemaError, lambda: project.label(item, [{**value[0], "id": "s2"}]),
            r"shape 0 \(id 's2'\): bbox must hold numbers of at most 16777216")  # fmt: skip


def test_coco_export_clips_what_the_import_would_refuse(project, tmp_path):
    # The Python API does not know the image: a box far outside it is stored. The
    # export names and clips it, so the file it writes imports again.
    item = project.item_ids()[0]
    project.label(item, [{"type": "box", "class": "car", "bbox": [-50, 2, 100, 3]},
                         {"type": "polygon", "class": "road", "points": [[1, 1], [2, 1], [2, 2]]},
                         {"type": "mask", "class": "car",
                          "rle": masks.encode(np.ones((4, 4), np.uint8))}])  # fmt: skip
    with pytest.warns(UserWarning, match=r"dropped 1 mask \(its size is not its image's\); "
                      r"changed: 1 shape clipped to the image"):  # fmt: skip
        out = to_coco(project, path=tmp_path / "out.json")
    assert out["annotations"][0]["bbox"] == [0.0, 2.0, 16.0, 3.0]
    with pytest.raises(CocoFormatError, match="strict=True: nothing was written"):
        to_coco(project, path=tmp_path / "strict.json", strict=True)
    assert not (tmp_path / "strict.json").exists()
    assert from_coco(project, tmp_path / "out.json") == 2


def test_coco_deep_json_is_the_formats_error(project, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"images": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(project, CocoFormatError, lambda: from_coco(project, path),
            rf"^{re.escape(str(path))}: not a COCO file: JSON nested too deeply$")  # fmt: skip
    # As deep as the parser goes, inside a field: the message shows a bounded part of it.
    deep = "[" * 900 + "]" * 900
    for field in ("bbox", "segmentation", "workbench_shape_id", "attributes", "score"):
        text = json.dumps(coco(project, {field: "DEEP"})).replace('"DEEP"', deep)
        path.write_text(text)
        refused(project, CocoFormatError, lambda: from_coco(project, path),
                rf"annotations\[0\] \(id 1\): field '{field}(\[0\])?'")  # fmt: skip


def test_coco_huge_files_are_refused_before_they_are_read(project, tmp_path, monkeypatch):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:  # sparse: no disk, and never read
        f.truncate(shared.MAX_DATASET_BYTES + 1)
    refused(project, CocoFormatError, lambda: from_coco(project, path),
            rf"^{re.escape(str(path))}: 2147483649 bytes, more than the 2147483648 this "
            "importer reads$")  # fmt: skip
    # An int of 5000 digits: json.loads raises a bare ValueError for it.
    path.write_text('{"images": [{"id": ' + "7" * 5000 + "}]}")
    refused(project, CocoFormatError, lambda: from_coco(project, path), r": not JSON: ")
    # Not UTF-8.
    path.write_bytes(b'{"images": "\xff\xfe"}')
    refused(project, CocoFormatError, lambda: from_coco(project, path), r": not UTF-8 text")


@pytest.mark.parametrize(
    "annotation, field, what",
    [
        ({"bbox": [10, 2, 8, 3]}, "bbox", r"x \+ w is 18, more than 1 px outside the 16 × 12"),
        ({"bbox": [-1.5, 2, 3, 3]}, "bbox", r"x is -1.5, more than 1 px outside"),
        ({"segmentation": [[0, 0, 5, 0, 5, 14]]}, "segmentation", "the largest y is 14"),
        ({"category_id": 2, "keypoints": [1, 1, 2, 1, 40, 1, 0, 0, 0]}, "keypoints",
         "the largest y is 40"),
    ],
)  # fmt: skip
def test_coco_shapes_outside_the_real_image_are_refused(project, tmp_path, annotation, field,
                                                        what):  # fmt: skip
    path = write_json(tmp_path / "outside.json", coco(project, annotation))
    refused(project, CocoFormatError, lambda: from_coco(project, path),
            rf"annotations\[0\] \(id 1\): field '{field}': {what}")  # fmt: skip


def test_coco_shapes_within_the_margin_are_kept_as_they_are(project):
    # Rounding past the border (1 px on a 16 × 12 image) is real data: kept exactly.
    anns = [{"bbox": [-1.0, -0.5, 18.0, 13.0]},
            {"category_id": 3, "segmentation": [[-1, -1, 17, -1, 17, 13]]},
            {"category_id": 2, "keypoints": [0, 0, 0, 17, 13, 2, -1, 5, 1]}]  # fmt: skip
    assert from_coco(project, coco(project, *anns)) == 1
    shapes = project.labels().set_index("item_id").loc[project.item_ids()[0], "label"]
    assert shapes[0]["bbox"] == [-1.0, -0.5, 18.0, 13.0]
    assert shapes[1]["points"] == [[-1.0, -1.0], [17.0, -1.0], [17.0, 13.0]]
    assert shapes[2]["points"][1] == [17.0, 13.0, 2]


def test_coco_size_and_an_unreadable_image_are_checked_too(project, tmp_path):
    wrong = coco(project, {"bbox": [0, 0, 1, 1]}, image={"width": 16, "height": "12"})
    refused(project, CocoFormatError, lambda: from_coco(project, wrong),
            r"images\[0\] \(id 1\): field 'height': '12', but the image file")  # fmt: skip
    Path(project.store.get_items([project.item_ids()[0]])[0].uri).unlink()
    refused(project, CocoFormatError, lambda: from_coco(project, coco(project, {})),
            r"<COCO dict>: images\[0\] \(id 1\): coordinates are checked against the image, "
            r"and the size of item '\w+' cannot be read")  # fmt: skip


# ---------------------------------------------------------------------------
# YOLO


def yolo_dataset(root: Path, label: str, yaml: str = "names: [car, person, road]\n") -> Path:
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(yaml, encoding="utf-8")
    (root / "labels/img0.txt").write_text(label, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "line, field, shown",
    [
        ("\u0660 0.5 0.5 0.2 0.2", "class", "\u0660"),  # Arabic-Indic zero: int() takes it
        ("\uff11 0.5 0.5 0.2 0.2", "class", "\uff11"),  # full-width one
        ("\u09e7 0.5 0.5 0.2 0.2", "class", "\u09e7"),  # Bengali one
        ("0 \u0660.\u0665 0.5 0.2 0.2", "x_center", "\u0660.\u0665"),  # float() takes it too
        ("0 0.5 0.5 \uff10.\uff12 0.2", "width", "\uff10.\uff12"),
    ],
)
def test_yolo_non_ascii_digits_are_refused(project, tmp_path, line, field, shown):
    root = yolo_dataset(tmp_path / "ds", line + "\n")
    refused(project, YoloFormatError, lambda: from_yolo(project, root),
            rf"img0.txt: line 1: field '{field}': must be a (class index \(an int\)|number), "
            rf"got '{shown}'$")  # fmt: skip


@pytest.mark.parametrize(
    "yaml, message",
    [
        ("names:\n  \u0660: car\n", r"field 'names': keys are class indices, got '\u0660'"),
        ("nc: \uff13\nnames: [car, person, road]\n", r"field 'nc': '\uff13', but 'names'"),
        # YAML refuses an implicit key longer than 1024 characters; an explicit one
        # ("? key") has no such limit and reaches the index check.
        ("names:\n  " + "1" * 5000 + ": car\n", r"line 2: not YAML: mapping values are not"),
        ("names:\n  ? " + "1" * 5000 + "\n  : car\n", r"keys are class indices, got '1111"),
    ],
)
def test_yolo_data_yaml_indices_are_ascii_and_bounded(project, tmp_path, yaml, message):
    root = yolo_dataset(tmp_path / "ds", "0 0.5 0.5 0.2 0.2\n", yaml)
    refused(project, YoloFormatError, lambda: from_yolo(project, root), message)


@pytest.mark.parametrize(
    "line, message",
    [
        ("7" * 5000 + " 0.5 0.5 0.2 0.2",  # int() of it raises a bare ValueError
         r"field 'class': no class 7{20}\.\.\.7{10} \(5000 characters\) in "
         r"data.yaml's names"),
        ("0 1e999 0.5 0.2 0.2", r"field 'x_center': 1e999 is outside \[0, 1\]"),
        ("0 0.5 0.5 " + "9" * 400 + " 0.2", r"field 'width': 9999.* is outside \[0, 1\]"),
        ("0 nan 0.5 0.2 0.2", r"field 'x_center': must be a number, got 'nan'"),
        ("0 inf 0.5 0.2 0.2", r"field 'x_center': must be a number, got 'inf'"),
        # Centre and size in [0, 1], but the box is half outside the image.
        ("0 0 0 1 1", r"line 2: field 'coordinates': x is -8, more than 1 px outside the "
                      r"16 × 12 image"),
    ],
)  # fmt: skip
def test_yolo_numbers_that_are_no_coordinates_are_refused(project, tmp_path, line, message):
    root = yolo_dataset(tmp_path / "ds", "0 0.5 0.5 0.2 0.2\n" + line + "\n")
    refused(project, YoloFormatError, lambda: from_yolo(project, root), message)


def test_yolo_huge_and_binary_files_are_refused(project, tmp_path):
    root = yolo_dataset(tmp_path / "ds", "")
    with open(root / "labels/img0.txt", "wb") as f:  # sparse: never read
        f.truncate(shared.MAX_FILE_BYTES + 1)
    refused(project, YoloFormatError, lambda: from_yolo(project, root),
            rf"img0.txt: {shared.MAX_FILE_BYTES + 1} bytes, more than the "
            rf"{shared.MAX_FILE_BYTES} this importer reads$")  # fmt: skip
    (root / "labels/img0.txt").write_bytes(b"0 0.5 \xff\xfe 0.2 0.2\n")
    refused(project, YoloFormatError, lambda: from_yolo(project, root), r"img0.txt: not a text")
    with open(root / "data.yaml", "wb") as f:
        f.truncate(shared.MAX_FILE_BYTES + 1)
    refused(project, YoloFormatError, lambda: from_yolo(project, root),
            r"data.yaml: \d+ bytes, more than")  # fmt: skip
    # A device or a pipe in a label file's place: never opened (a pipe would block).
    (root / "data.yaml").write_text("names: [car, person, road]\n")
    (root / "labels/img0.txt").unlink()
    # A link out of the dataset folder is refused before it is opened.
    for target, message in (
        (
            Path("/dev/zero"),
            r"img0.txt leads to /dev/zero, outside the "
            r"dataset folder",
        ),
        (None, r"img0.txt: not a regular file$"),
    ):
        if target is None:
            os.mkfifo(root / "labels/img0.txt")
        else:
            (root / "labels/img0.txt").symlink_to(target)
        refused(project, YoloFormatError, lambda: from_yolo(project, root), message)
        (root / "labels/img0.txt").unlink()


BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
              for p, c in zip("abcdefgh", "bcdefghi", strict=True))  # 10**9 strings as a tree
    + "names: *i\n"
)  # fmt: skip


@pytest.mark.parametrize(
    "yaml, message",
    [
        (BOMB, r"data.yaml: line 2: aliases \(\*name\) are refused"),
        ("names: &n [car]\nval: *n\n", r"line 2: aliases \(\*name\) are refused"),
        ("names: !!python/object/apply:os.system [echo]\n",
         r"line 1: field 'names': line 1: the tag 'tag:yaml.org,2002:python/object/apply:"
         r"os.system' is not read here"),
        ("names: [!!python/name:os.system car]\n", r"field 'names': line 1: the tag"),
        ("names: " + "[" * 10000 + "]" * 10000 + "\n", r"data.yaml: (line \d+: )?not "),
        ("names: [[[car]]]\n", r"field 'names': nested too deeply"),
    ],
)  # fmt: skip
def test_yolo_data_yaml_aliases_tags_and_nesting_are_refused(project, tmp_path, yaml, message):
    root = yolo_dataset(tmp_path / "ds", "0 0.5 0.5 0.2 0.2\n", yaml)
    refused(project, YoloFormatError, lambda: from_yolo(project, root), message)


def test_yolo_data_yaml_tags_on_keys_it_skips_are_never_acted_on(project, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    root = yolo_dataset(tmp_path / "ds", "0 0.5 0.5 0.2 0.2\n",
                        "download: !!python/object/apply:os.system [echo]\n"
                        "names: [car, person, road]\n")  # fmt: skip
    assert from_yolo(project, root) == 1
    assert calls == []


def test_yolo_files_outside_the_dataset_folder_are_refused(project, tmp_path):
    """``path:``, ``train:`` entries, listed images and links may not lead out of the
    folder holding data.yaml, unless the caller names a wider ``root=``."""
    outside = tmp_path / "elsewhere"
    (outside / "labels").mkdir(parents=True)
    (outside / "labels/img0.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    names = "names: [car, person, road]\n"
    root = yolo_dataset(tmp_path / "ds", "")
    for yaml, message in [
        (f"path: {outside}\n", rf"line 1: field 'path': '{outside}' leads to {outside}, "
                               rf"outside the dataset folder {root} \(pass root="),
        ("path: ../elsewhere\n", r"line 1: field 'path': '../elsewhere' leads to"),
        ("train: ../../elsewhere/images\n", r"line 1: field 'train': '../../elsewhere/images' "
                                            r"leads to .*elsewhere/images, outside"),
        ("train: [images, /etc]\n", r"field 'train': '/etc' leads to /etc, outside"),
        ("train: list.txt\n", r"field 'train': 'list.txt': .*list.txt: the image "
                              r"'../elsewhere/images/img0.png' leads to .*elsewhere/labels/"
                              r"img0.txt, outside"),
    ]:  # fmt: skip
        (root / "list.txt").write_text("../elsewhere/images/img0.png\n")
        (root / "data.yaml").write_text(yaml + names)
        refused(project, YoloFormatError, lambda: from_yolo(project, root), message)
    # A link in labels/ to a label file elsewhere.
    (root / "data.yaml").write_text(names)
    (root / "labels/img0.txt").unlink()
    (root / "labels/img0.txt").symlink_to(outside / "labels/img0.txt")
    refused(project, YoloFormatError, lambda: from_yolo(project, root),
            r"label file .*img0.txt leads to .*elsewhere/labels/img0.txt, outside")  # fmt: skip
    # Named explicitly, the wider folder is read.
    (root / "data.yaml").write_text("path: ../elsewhere\n" + names)
    assert from_yolo(project, root, root=tmp_path) == 1
    (label,) = [v for v in project.labels()["label"] if v and v[0]["bbox"][2] == 3.2]
    assert label[0]["bbox"] == pytest.approx([6.4, 4.8, 3.2, 2.4])
    # Ultralytics' "../" fallback stays inside: ../labels/ is read as labels/.
    (root / "data.yaml").write_text("train: ../images\n" + names)
    (root / "labels/img0.txt").unlink()
    (root / "labels/img0.txt").write_text("")
    assert from_yolo(project, root) == 1


def test_yolo_export_writes_no_inf_or_nan(project, tmp_path):
    item = project.item_ids()[0]
    value = [{"type": "box", "class": "car", "id": "s1", "z": 0, "attributes": {},
              "bbox": [0.0, 0.0, 1e308, 1e308]}]  # fmt: skip
    project.store.append([Event(item, "objects", value, annotator="old-release",
                                schema_version=project.schema.version)])  # fmt: skip
    with pytest.warns(UserWarning, match="clipped to the image"):
        to_yolo(project, tmp_path / "out")
    text = (tmp_path / "out/labels/img0.txt").read_text()
    assert text == "0 0.5 0.5 1 1\n"  # x + w overflows to inf; clipped to the image


# ---------------------------------------------------------------------------
# Pascal VOC

VOC = """<annotation>
  <filename>img0.png</filename>
  <size><width>{w}</width><height>{h}</height><depth>3</depth></size>
  <object>
    <name>car</name>
    <bndbox><xmin>{xmin}</xmin><ymin>1</ymin><xmax>{xmax}</xmax><ymax>5</ymax></bndbox>
    {extra}
  </object>
</annotation>
"""


def voc(folder: Path, text: str | bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "img0.xml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def voc_text(w="16", h="12", xmin="1", xmax="4", extra=""):
    return VOC.format(w=w, h=h, xmin=xmin, xmax=xmax, extra=extra)


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{k} "{f"&lol{k - 1};" * 10 if k > 1 else "&lol;" * 10}">\n'
              for k in range(1, 10))
    + "]>\n<annotation><filename>&lol9;</filename></annotation>\n"
)  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        BILLION_LAUGHS,
        '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<annotation><filename>&x;</filename></annotation>\n",
        '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]>\n'
        "<annotation/>\n",
        '<?xml version="1.0"?>\n<!DOCTYPE annotation SYSTEM "file:///etc/passwd">\n<annotation/>\n',
    ],
    ids=["billion laughs", "external entity", "parameter entity", "external DTD"],
)
def test_voc_entities_and_dtds_are_refused(project, tmp_path, text):
    path = voc(tmp_path / "src", text)
    refused(project, VocFormatError, lambda: from_voc(project, path),
            rf"^{re.escape(str(path))}: line 2: DTDs and entity declarations are "
            "refused")  # fmt: skip


def test_voc_huge_and_deep_files(project, tmp_path):
    folder = tmp_path / "src"
    path = voc(folder, b"")
    with open(path, "wb") as f:  # sparse: never read
        f.truncate(shared.MAX_FILE_BYTES + 1)
    refused(project, VocFormatError, lambda: from_voc(project, path),
            rf"img0.xml: {shared.MAX_FILE_BYTES + 1} bytes, more than")  # fmt: skip
    # 100,000 nested elements inside an object: expat and the tree builder do not
    # recurse; the nesting is ignored like any unknown element, and the box imports.
    deep = "<x>" * 100_000 + "</x>" * 100_000
    voc(folder, voc_text(extra=deep))
    assert from_voc(project, path) == 1
    shapes = project.labels().set_index("item_id").loc[project.item_ids()[0], "label"]
    assert [s["bbox"] for s in shapes] == [[0.0, 0.0, 4.0, 5.0]]
    # Unclosed at that depth: not well-formed, named by line.
    voc(folder, voc_text(extra="<x>" * 100_000))
    refused(project, VocFormatError, lambda: from_voc(project, path), r"not well-formed XML")


@pytest.mark.parametrize(
    "fields, field, message",
    [
        # The file's <size> lies (so its box "fits"): the image file is 16 × 12.
        ({"w": "6400", "h": "4800", "xmax": "5000"}, "size/width",
         r"6400, but the image file is 16 × 12 pixels"),
        ({"w": "1e400"}, "size/width", r"must be a positive whole number, got '1e400'"),
        ({"w": "\u0661\u0666"}, "size/width", "must be a positive whole number"),
        ({"xmin": "\u0661"}, "bndbox/xmin", r"must be a number, got '\u0661'"),
        ({"xmax": "1e999"}, "bndbox/xmax", r"must be a number, got '1e999'"),
        ({"xmax": "17"}, "bndbox/xmax", r"17 is outside the image \(0 to 16"),
        ({"extra": "<workbench_z>" + "9" * 5000 + "</workbench_z>"}, "workbench_z",
         "must be an int, got '9999"),
        ({"extra": "<workbench_z>\u0661</workbench_z>"}, "workbench_z", "must be an int"),
        ({"extra": "<score>1e999</score>"}, "score", "must be a number"),
    ],
)  # fmt: skip
def test_voc_sizes_and_numbers_are_checked(project, tmp_path, fields, field, message):
    path = voc(tmp_path / "src", voc_text(**fields))
    refused(project, VocFormatError, lambda: from_voc(project, path),
            rf"^{re.escape(str(path))}: (annotation|object\[0\]) \(line \d+\): field "
            rf"'{field}': {message}")  # fmt: skip


def test_voc_export_writes_no_inf_or_nan(project, tmp_path):
    item = project.item_ids()[0]
    value = [{"type": "box", "class": "car", "id": "s1", "z": 0, "attributes": {},
              "bbox": [1e308, 0.0, 1e308, 1.0]}]  # fmt: skip
    project.store.append([Event(item, "objects", value, annotator="old-release",
                                schema_version=project.schema.version)])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # clipped to the image
        (path,) = [p for p in to_voc(project, tmp_path / "out") if p.stem == "img0"]
    box = ET.parse(path).getroot().find("object/bndbox")
    # x = 1e308 lies past the right edge: a zero-width box on it, in finite numbers.
    assert {el.tag: el.text for el in box} == {"xmin": "17", "ymin": "1", "xmax": "16",
                                               "ymax": "1"}  # fmt: skip


# ---------------------------------------------------------------------------
# the one check every value passes: Shapes.validate, from the Python API


@pytest.mark.parametrize(
    "shape, message",
    [
        ({"type": "box", "class": "car", "bbox": [0, 0, 1e308, 1e308]}, "at most 16777216"),
        ({"type": "mask", "class": "car",
          "rle": {"size": [200000, 200000], "counts": [40_000_000_000]}},
         "more than a mask may have"),
        ({"type": "box", "class": "car", "bbox": [0, 0, 1, 1], "z": float("inf")}, "z must be"),
    ],
)  # fmt: skip
def test_api_refuses_what_an_export_could_not_write(project, shape, message):
    item = project.item_ids()[0]
    refused(project, wb.SchemaError, lambda: project.label(item, [shape]), "shape 0", message)
