"""YOLO import and export of a Shapes task: files written by hand to Ultralytics' spec,
round trips, mask outlines, data.yaml parsing, refusals; and image sizes from headers."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

import workbench as wb
from workbench import geometry, masks
from workbench.formats import YoloFormatError, from_yolo, to_coco, to_yolo
from workbench.kinds.shapes.formats._images import image_header
from workbench.kinds.shapes.formats.yolo import mask_outlines, read_data_yaml

W, H = 64, 48
PERSON = wb.Skeleton(("head", "hand"), (("head", "hand"),))


def schema():
    return wb.Schema(
        (
            wb.Shapes(
                "objects",
                classes=["car", "person", "road"],
                attributes=[wb.Attribute("occluded")],
                skeletons={"person": PERSON},
            ),
        )
    )


def make_project(root: Path, name: str = "p") -> wb.Project:
    """Three real PNG files (img0.png … img2.png, 64 × 48) added by path."""
    folder = root / f"{name}-images"
    folder.mkdir()
    uris = []
    for k in range(3):
        path = folder / f"img{k}.png"
        Image.fromarray(np.full((H, W, 3), 40 * k, np.uint8)).save(path)
        uris.append(str(path))
    project = wb.Project(root / f"{name}.db", schema=schema(), annotator="ann")
    project.add_uris(uris)
    return project


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path)
    yield p
    p.close()


def current(project):
    df = project.labels()
    return dict(zip(df["item_id"], df["label"], strict=True))


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# Written by hand from https://docs.ultralytics.com/datasets/detect/: a names list,
# train and val image folders whose labels sit in the matching labels/ folders.
DETECT_YAML = """\
# hand-written, as in the Ultralytics docs
path: .   # dataset root
train: images/train
val: images/val
test:   # none

nc: 3
names: ['car', "person", road]
download: |
  from ultralytics.utils.downloads import download
  download(['https://example.com/x.zip'])  # never run here
"""
IMG0 = "0 0.5 0.5 0.25 0.125\n2 0.125 0.25 0.25 0.5\n"
IMG1 = "1 0.75 0.5 0.5 1\n"


def test_hand_written_detect_dataset_imports_and_exports_the_same_lines(project, tmp_path):
    src = tmp_path / "coco8"
    write(src, {"data.yaml": DETECT_YAML, "labels/train/img0.txt": IMG0,
                "labels/val/img1.txt": IMG1})  # fmt: skip
    assert from_yolo(project, src / "data.yaml") == 2
    labels = current(project)
    ids = project.item_ids()
    assert set(labels) == {ids[0], ids[1]}
    first = labels[ids[0]]
    assert [(s["type"], s["class"], s["id"]) for s in first] == [
        ("box", "car", "s1"), ("box", "road", "s2")]  # fmt: skip
    assert first[0]["bbox"] == [24.0, 21.0, 16.0, 6.0]  # 0.5 * 64 - 16 / 2 ...
    assert first[1]["bbox"] == [0.0, 0.0, 16.0, 24.0]
    assert labels[ids[1]][0]["bbox"] == [32.0, 0.0, 32.0, 48.0]

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # boxes only: nothing to warn about
        data = to_yolo(project, tmp_path / "out")
    assert data == tmp_path / "out" / "data.yaml"
    assert (tmp_path / "out/labels/img0.txt").read_text() == IMG0
    assert (tmp_path / "out/labels/img1.txt").read_text() == IMG1
    assert not (tmp_path / "out/labels/img2.txt").exists()  # not labeled
    parsed = read_data_yaml(data)
    assert parsed["names"][0] == {"0": "car", "1": "person", "2": "road"}
    assert parsed["train"][0] == "images" and parsed["nc"][0] == "3"


SEGMENT_YAML = """\
train: ../seg/images   # Roboflow style: resolved from the dataset root
val: ../seg/images
names:
  0: car
  1: 'person'
  2: "road"
"""
SEG0 = "2 0.1 0.2 0.9 0.2 0.5 0.875\n0 0.5 0.5 0.25 0.125\n"


def test_hand_written_segment_dataset(project, tmp_path):
    src = tmp_path / "seg"
    write(src, {"data.yaml": SEGMENT_YAML, "labels/img0.txt": SEG0})
    assert from_yolo(project, src) == 1  # the folder holding data.yaml
    (road, car) = current(project)[project.item_ids()[0]]
    assert road["type"] == "polygon" and road["class"] == "road"
    np.testing.assert_allclose(road["points"], [[6.4, 9.6], [57.6, 9.6], [32.0, 42.0]], atol=1e-9)
    assert car["type"] == "box" and car["bbox"] == [24.0, 21.0, 16.0, 6.0]

    with pytest.warns(UserWarning, match=r"changed: 1 box written as a 4-point polygon$"):
        to_yolo(project, tmp_path / "out", mode="segment")
    lines = (tmp_path / "out/labels/img0.txt").read_text().splitlines()
    assert lines[0] == "2 0.1 0.2 0.9 0.2 0.5 0.875"
    assert lines[1] == "0 0.375 0.4375 0.625 0.4375 0.625 0.5625 0.375 0.5625"


in_image = st.floats(0, 1, allow_nan=False)


@st.composite
def boxes(draw):
    x0, x1 = sorted(draw(st.lists(st.floats(0, W), min_size=2, max_size=2)))
    y0, y1 = sorted(draw(st.lists(st.floats(0, H), min_size=2, max_size=2)))
    cls = draw(st.sampled_from(["car", "road"]))
    return {"type": "box", "class": cls, "bbox": [x0, y0, x1 - x0, y1 - y0]}


point = st.tuples(st.floats(0, W), st.floats(0, H)).map(list)
polygons = st.builds(
    lambda pts, cls: {"type": "polygon", "class": cls, "points": pts},
    st.lists(point, min_size=3, max_size=10), st.sampled_from(["car", "road"]),
)  # fmt: skip


def close(a, b):
    assert len(a) == len(b)
    for s, t in zip(a, b, strict=True):
        assert {k: v for k, v in s.items() if k not in ("bbox", "points")} == {
            k: v for k, v in t.items() if k not in ("bbox", "points")}  # fmt: skip
        key = "bbox" if s["type"] == "box" else "points"
        np.testing.assert_allclose(s[key], t[key], rtol=0, atol=1e-6)


@pytest.mark.parametrize("mode, shapes", [("detect", boxes()), ("segment", polygons)])
def test_random_shapes_round_trip_within_1e6_px(tmp_path, mode, shapes):
    project = make_project(tmp_path)
    ids = project.item_ids()
    out = tmp_path / "out"

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(st.lists(st.lists(shapes, max_size=6), min_size=1, max_size=3))
    def round_trip(values):
        stored = {}
        for item_id, value in zip(ids, values, strict=False):
            project.label(item_id, value)
            stored[item_id] = current(project)[item_id]
        for f in out.glob("labels/*.txt"):
            f.unlink()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing lost: no warning
            to_yolo(project, out, mode=mode)
        first = {f.name: f.read_text() for f in out.glob("labels/*.txt")}
        from_yolo(project, out)
        back = current(project)
        for item_id, value in stored.items():
            close(back[item_id], value)
        # ... and the file reads back to the same numbers.
        to_yolo(project, out, mode=mode)
        assert {f.name: f.read_text() for f in out.glob("labels/*.txt")} == first

    with project:
        round_trip()


def _dec(n: int, places: int = 6) -> str:
    """``n / 10**places`` as a decimal written by hand (``0.25``, ``1``, ``0``)."""
    text = f"{n // 10**places}.{n % 10**places:0{places}d}".rstrip("0").rstrip(".")
    return text


def _box_line(k, x0, x1, y0, y1):
    # Corners on a 1e-6 grid inside the image: centre and size are exact decimals.
    return f"{k} {_dec((x0 + x1) * 5, 7)} {_dec((y0 + y1) * 5, 7)} {_dec(x1 - x0)} {_dec(y1 - y0)}"


grid = st.integers(0, 10**6)
box_line = st.builds(
    lambda k, xs, ys: _box_line(k, *sorted(xs), *sorted(ys)),
    st.integers(0, 2), st.lists(grid, min_size=2, max_size=2),
    st.lists(grid, min_size=2, max_size=2),
)  # fmt: skip
polygon_line = st.builds(
    lambda k, vs: f"{k} " + " ".join(_dec(v) for v in vs),
    st.integers(0, 2), st.lists(grid, min_size=6, max_size=16).filter(lambda v: len(v) % 2 == 0),
)  # fmt: skip


@pytest.mark.parametrize("mode, line", [("detect", box_line), ("segment", polygon_line)])
def test_label_files_written_by_hand_export_back_to_the_same_numbers(tmp_path, mode, line):
    project = make_project(tmp_path)
    write(tmp_path / "ds", {"data.yaml": GOOD_YAML, "labels/img0.txt": ""})
    label = tmp_path / "ds/labels/img0.txt"

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(st.lists(line, max_size=8))
    def round_trip(lines):
        text = "".join(f"{x}\n" for x in lines)
        label.write_text(text)
        from_yolo(project, tmp_path / "ds")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            to_yolo(project, tmp_path / "out", mode=mode)
        got = (tmp_path / "out/labels/img0.txt").read_text()
        assert got == text  # written by hand with up to 7 decimals: the same text

    with project:
        round_trip()


def test_mask_export_traces_the_pixels_of_each_part(project, tmp_path):
    mask = np.zeros((H, W), np.uint8)
    mask[5:20, 5:30] = 1
    mask[10, 10] = 0  # a hole
    mask[30:40, 40:50] = 1  # a second part
    mask[40, 50] = 1  # touching it at a corner: the same (8-connected) part
    project.label(project.item_ids()[0], [
        {"type": "mask", "class": "person", "rle": masks.encode(mask)}])  # fmt: skip
    with pytest.warns(UserWarning) as record:
        to_yolo(project, tmp_path / "out", mode="segment")
    message = str(record[0].message)
    assert message == (
        "task 'objects': YOLO (segment) cannot hold everything: changed: 1 mask split into "
        "one polygon per part, 1 mask with its holes filled, 1 mask written as pixel-outline "
        "polygons"
    )
    from_yolo(project, tmp_path / "out")
    polys = current(project)[project.item_ids()[0]]
    assert [p["type"] for p in polys] == ["polygon", "polygon"]
    filled = mask.astype(bool)
    filled[10, 10] = True
    assert np.array_equal(rasterize(polys), filled)


def rasterize(polygons, shape=(H, W)):
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    out = np.zeros(shape, bool)
    for p in polygons:
        out |= geometry.point_in_polygon(xs + 0.5, ys + 0.5, p["points"] if "points" in p else p)
    return out


def fill_holes(mask):
    """The mask with every background region that cannot reach the border (moving
    up, down, left, right) filled: holes of 8-connected parts."""
    outside = np.zeros_like(mask, bool)
    outside[0, :] = outside[-1, :] = outside[:, 0] = outside[:, -1] = True
    outside &= ~mask
    while True:
        grown = outside.copy()
        grown[1:] |= outside[:-1]
        grown[:-1] |= outside[1:]
        grown[:, 1:] |= outside[:, :-1]
        grown[:, :-1] |= outside[:, 1:]
        grown &= ~mask
        if np.array_equal(grown, outside):
            return ~outside
        outside = grown


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.data())
def test_mask_outlines_enclose_exactly_the_pixels(h, w, data):
    bits = data.draw(st.lists(st.booleans(), min_size=h * w, max_size=h * w))
    mask = np.array(bits, bool).reshape(h, w)
    outlines, holes = mask_outlines(mask)
    filled = fill_holes(mask)
    assert np.array_equal(rasterize(outlines, (h, w)), filled)
    assert (holes > 0) == (not np.array_equal(filled, mask))
    for o in outlines:
        assert geometry.polygon_area(o, signed=True) > 0  # clockwise on screen


def test_what_yolo_cannot_hold_is_named_or_refused(project, tmp_path):
    corners = [[0, 0], [4, 0], [4, 4], [0, 4]]
    project.label(project.item_ids()[0], [
        {"type": "box", "class": "car", "bbox": [0, 0, 4, 4], "id": "s1"},
        {"type": "box", "class": "car", "bbox": [1, 1, 4, 4], "score": 0.5, "z": 3},
        {"type": "box", "class": "car", "bbox": [-2, 1, 4, 4], "attributes": {"occluded": True},
         "id": "x"},  # ids x and y come back as s3 and s4
        {"type": "polygon", "class": "road", "points": corners, "id": "y"},
        {"type": "polyline", "class": "road", "points": [[0, 1], [2, 3]]},
        {"type": "polyline", "class": "road", "points": [[0, 1], [2, 5]]},
        {"type": "cuboid", "class": "car", "front": corners, "back": corners},
        {"type": "keypoints", "class": "person", "points": [[1, 1, 2], [2, 2, 1]]},
    ])  # fmt: skip
    with pytest.raises(YoloFormatError) as info:
        to_yolo(project, tmp_path / "strict", strict=True)
    assert str(info.value) == (
        "task 'objects': YOLO (detect) cannot hold everything: dropped 1 cuboid (no 3-D "
        "boxes), 1 keypoints shape (no named skeletons), 2 polylines (no open paths); dropped "
        "fields: attributes of 1 shape, id of 2 shapes, score of 1 shape, z of 1 shape; "
        "changed: 1 polygon written as its bounding box, 1 shape clipped to the image "
        "(strict=True: nothing was written)"
    )
    assert not (tmp_path / "strict").exists()
    with pytest.warns(UserWarning, match=r"dropped 1 cuboid .* 2 polylines") as record:
        to_yolo(project, tmp_path / "out")
    assert "clipped to the image" in str(record[0].message)
    lines = (tmp_path / "out/labels/img0.txt").read_text().splitlines()
    assert lines[2] == "0 0.015625 0.0625 0.03125 0.083333333333"  # clipped to x >= 0
    assert len(lines) == 4


def test_export_refuses_clashing_stems_and_stale_files(project, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    Image.new("RGB", (W, H)).save(other / "img0.png")
    project.add_uris([str(other / "img0.png")])
    for item_id in project.item_ids():
        project.label(item_id, [])
    with pytest.raises(YoloFormatError, match=r"both have the file stem 'img0'"):
        to_yolo(project, tmp_path / "out")
    assert not (tmp_path / "out").exists()

    write(tmp_path / "old", {"labels/zebra.txt": "0 0.5 0.5 0.1 0.1\n"})
    project.store.append([project.make_event(project.item_ids()[-1], [], kind="skip")])
    with pytest.raises(YoloFormatError, match=r"holds 1 label file\(s\) this export would not "
                       r"write \(zebra.txt\)"):  # fmt: skip
        to_yolo(project, tmp_path / "old")


GOOD_YAML = "names:\n  0: car\n  1: person\n  2: road\n"


def _case(what):
    """(files, message regex) for one malformed dataset; img0/img1 are project items."""
    files = {"data.yaml": GOOD_YAML, "labels/img0.txt": "0 0.5 0.5 0.2 0.2\n"}
    label = "labels/img1.txt"
    cases = {
        "bad class index": (
            "0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n",
            r"img1.txt: line 2: field 'class': no class 7 in data.yaml's "
            r"names \(indices 0 to 2\)$",
        ),
        "class not an int": (
            "1.0 0.5 0.5 0.2 0.2\n",
            r"img1.txt: line 1: field 'class': must be a class index \(an "
            r"int\), got '1.0'$",
        ),
        "wrong number of fields": (
            "\n\n1 0.5 0.5 0.2 0.2 0.3\n",
            r"img1.txt: line 3: field 'coordinates': 5 numbers after "
            r"the class; a box has 4 \(x_center y_center width "
            r"height\), a polygon an even number, at least 6",
        ),
        "non-numeric": (
            "1 0.5 0.5 abc 0.2\n",
            r"img1.txt: line 1: field 'width': must be a number, got 'abc'$",
        ),
        "nan": (
            "1 0.1 0.2 0.3 0.4 0.5 nan\n",
            r"img1.txt: line 1: field 'y3': must be a number, got 'nan'$",
        ),
        "out of range": (
            "1 0.5 1.5 0.2 0.2\n",
            r"img1.txt: line 1: field 'y_center': 1.5 is outside \[0, 1\]",
        ),
        "negative": (
            "2 0.1 0.2 0.3 -0.4 0.5 0.6\n",
            r"img1.txt: line 1: field 'y2': -0.4 is outside \[0, 1\]",
        ),
        "unknown image": None,
        "not a class of the task": None,
        "missing size": None,
    }
    if what == "unknown image":
        files["labels/zebra.txt"] = "0 0.5 0.5 0.2 0.2\n"
        return files, r"data.yaml: 1 label file\(s\) match no item of the project: \S*" \
                      r"labels/zebra.txt \(stem 'zebra'\)$"  # fmt: skip
    if what == "not a class of the task":
        files["data.yaml"] = "names: [car, person, bicycle]\n"
        files[label] = "2 0.5 0.5 0.2 0.2\n"
        return files, (
            r"img1.txt: line 1: field 'class': class 2 is 'bicycle' in data.yaml, "
            r"not a class of task 'objects'; classes: \['car', 'person', 'road'\]$"
        )
    if what == "missing size":
        files[label] = "1 0.5 0.5 0.2 0.2\n"
        return files, (
            r"img1.txt: YOLO coordinates are normalised by the image size, and "
            r"the size of item '\w+' cannot be read: item '\w+': no file at "
        )
    text, message = cases[what]
    files[label] = text
    return files, message


MALFORMED = ["bad class index", "class not an int", "wrong number of fields", "non-numeric",
             "nan", "out of range", "negative", "unknown image", "not a class of the task",
             "missing size"]  # fmt: skip


@pytest.mark.parametrize("what", MALFORMED)
def test_malformed_label_files_name_file_line_and_field(project, tmp_path, what):
    project.label(project.item_ids()[2], [{"type": "box", "class": "car", "bbox": [0, 0, 1, 1]}])
    before = project.labels()["event_id"].tolist()
    files, message = _case(what)
    write(tmp_path / "ds", files)
    if what == "missing size":
        Path(project.store.get_items([project.item_ids()[1]])[0].uri).unlink()
    with pytest.raises(YoloFormatError) as info:
        from_yolo(project, tmp_path / "ds")
    assert re.search(message, str(info.value)), str(info.value)
    assert str(info.value).startswith(str(tmp_path / "ds"))  # names the file
    assert isinstance(info.value, wb.WorkbenchError) and isinstance(info.value, ValueError)
    assert project.labels()["event_id"].tolist() == before  # nothing written


@pytest.mark.parametrize(
    "yaml, message",
    [
        ("train: images\n", r"data.yaml: field 'names': missing$"),
        ("nc: 4\nnames: [car, person, road]\n",
         r"data.yaml: line 1: field 'nc': '4', but 'names' has 3 names$"),
        ("names:\n  zero: car\n", r"data.yaml: line 1: field 'names': keys are class indices, "
                                  r"got 'zero'$"),
        ("names: [car, person\n", r"data.yaml: line 2: not YAML: while parsing a flow sequence: "
                                 r"(did not find )?expected ',' or ']'"),
        ("- names\n- car\n", r"data.yaml: line 1: a data.yaml holds a mapping \(key: value "
                             r"lines\), got a list$"),
        ("names: [car]\nnames: [road]\n", r"line 2: field 'names': given twice \(first on "
                                        r"line 1\)$"),
        ("names: [[car], road]\n", r"line 1: field 'names': class 0: a name is a string, got "
                                 r"a list$"),
        ("names: {0: car, 00: road}\n", r"field 'names': class 0 is named twice$"),
        ("names: [car]\n---\nnames: [road]\n", r"line 2: not YAML: expected a single "
                                              r"document"),
        ("names: [car]\nkpt_shape: [17, 3]\n", r"line 2: field 'kpt_shape': YOLO pose"),
    ],
)  # fmt: skip
def test_malformed_data_yaml(project, tmp_path, yaml, message):
    write(tmp_path / "ds", {"data.yaml": yaml, "labels/img0.txt": ""})
    with pytest.raises(YoloFormatError, match=message):
        from_yolo(project, tmp_path / "ds")
    assert project.labels().empty


def test_two_label_files_for_one_item_are_refused(project, tmp_path):
    write(tmp_path / "ds", {"data.yaml": "train: images/train\nval: images/val\n" + GOOD_YAML,
                            "labels/train/img0.txt": "", "labels/val/img0.txt": ""})  # fmt: skip
    with pytest.raises(YoloFormatError, match=r"val/img0.txt: item '\w+' is also labeled by "):
        from_yolo(project, tmp_path / "ds")
    assert project.labels().empty


def test_empty_label_file_is_a_background_image_and_match_by_item_id(project, tmp_path):
    ids = project.item_ids()
    write(tmp_path / "ds", {"data.yaml": GOOD_YAML, f"labels/{ids[1]}.txt": "",
                            "labels/img0.txt": ""})  # fmt: skip
    with pytest.raises(YoloFormatError, match=r"img0.txt \(stem 'img0'\)"):
        from_yolo(project, tmp_path / "ds", match="item_id")
    (tmp_path / "ds/labels/img0.txt").unlink()
    assert from_yolo(project, tmp_path / "ds", match="item_id") == 1
    assert current(project) == {ids[1]: []}


def test_array_items_are_named_by_id_and_sized_by_shape(tmp_path):
    with wb.Project(tmp_path / "a.db", schema=schema()) as project:
        project.add_arrays(np.zeros((2, 30, 40), np.uint8), ids=["a", "b"])
        project.label("a", [{"type": "box", "class": "car", "bbox": [10, 6, 20, 12]}])
        to_yolo(project, tmp_path / "out")
        assert (tmp_path / "out/labels/a.txt").read_text() == "0 0.5 0.4 0.5 0.4\n"
        project.label("a", [])
        from_yolo(project, tmp_path / "out")
        assert current(project)["a"][0]["bbox"] == [10.0, 6.0, 20.0, 12.0]


# -- data.yaml ----------------------------------------------------------------------------

YAML_FORMS = [
    "names: [car, 'per son', \"ro#ad\"]  # a comment\n",
    "names:\n- car\n- 'it''s'\n-   \"tab\\there\"\n",
    "names:\n  0: car   # first\n  1: \"a: b\"\n  2: 'x # y'\n",
    "names: {0: car, 1: person,\n  2: road}\n",
    "path: ../datasets/coco8\ntrain: [images/a, images/b]\nval: images/val\nnames: [a]\n",
    "roboflow:\n  workspace: w\n  version: 2\nnames: ['a', 'b']\ndownload: |\n  x: [\n",
    # What a hand-written parser got wrong: escapes, indented top level, block scalars.
    'names: ["caf\\xE9 cr\\xE8me", "\\U0001F415", "tab\\there"]\n',
    "  names:\n    - car\n  nc: 1\n",
    "names:\n  0: >-\n    folded\n    name\n  1: |-\n    literal\n",
]


@pytest.mark.parametrize("text", YAML_FORMS)
def test_data_yaml_reads_as_pyyaml_does(tmp_path, text):
    import yaml

    (tmp_path / "data.yaml").write_text(text)
    ours = {k: v for k, (v, _) in read_data_yaml(tmp_path / "data.yaml").items()}
    theirs = yaml.safe_load(text)

    def plain(v):  # PyYAML types numbers; ours keeps every scalar a string
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v if v is None else str(v)

    assert ours == {k: plain(v) for k, v in theirs.items() if k in ours}
    assert "names" in ours


names = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn")),
            min_size=1, max_size=12).filter(lambda s: s.strip()),
    min_size=1, max_size=5, unique=True,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(names)
def test_written_class_names_read_back_by_both_parsers(class_names):
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        s = wb.Schema((wb.Shapes("t", classes=class_names),))
        with wb.Project(root / "n.db", schema=s) as project:
            project.add_arrays(np.zeros((1, 4, 4), np.uint8), ids=["a"])
            project.label("a", [])
            data = to_yolo(project, root / "out")
            want = {str(k): n for k, n in enumerate(class_names)}
            assert read_data_yaml(data)["names"][0] == want
            theirs = yaml.safe_load(data.read_text())["names"]
            assert {str(k): v for k, v in theirs.items()} == want
            assert from_yolo(project, data) == 1


# -- image sizes from headers -------------------------------------------------------------


def _no_decoding(monkeypatch):
    def refuse(self, *a, **k):
        raise AssertionError("decoded the pixels")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_sizes_come_from_headers_with_exif_orientation(tmp_path, monkeypatch):
    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: the image shows 30 wide, 50 high
    Image.new("RGB", (50, 30)).save(rotated, exif=exif)
    Image.new("L", (20, 10)).save(tmp_path / "grey.png")
    with wb.Project(tmp_path / "h.db", schema=schema()) as project:
        project.add_uris([str(rotated), str(tmp_path / "grey.png")])
        project.add_arrays(np.zeros((1, 7, 9, 3), np.uint8), ids=["arr"])
        df = pd_frame({"image": [Image.new("RGB", (11, 5))]})
        project.add_dataframe(df, image="image", id=None)
        records = project.store.get_items(project.item_ids())
        decoded = [project.reader.load(r).size for r in records]
        _no_decoding(monkeypatch)
        headers = [image_header(project, r) for r in records]
        assert [h[:2] for h in headers] == decoded == [(30, 50), (20, 10), (9, 7), (11, 5)]
        assert [h[2] for h in headers] == [3, 1, 3, 3]
        # COCO export reads sizes the same way: no pixel decoded.
        for item_id in project.item_ids():
            project.label(item_id, [])
        coco = to_coco(project)
        assert [(im["width"], im["height"]) for im in coco["images"]] == decoded


def pd_frame(data):
    import pandas as pd

    return pd.DataFrame(data)


def test_unreadable_image_header_names_the_item(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with wb.Project(tmp_path / "u.db", schema=schema()) as project:
        project.add_uris([str(bad)])
        (record,) = project.store.get_items(project.item_ids())
        with pytest.raises(wb.ItemReadError, match=r"bad.png\): cannot read the image header"):
            image_header(project, record)


def test_list_file_splits_and_shape_types_the_task_lacks(tmp_path):
    with wb.Project(tmp_path / "b.db", schema=wb.Schema((wb.Shapes(
        "boxes", classes=["car"], types=("box",)),))) as project:  # fmt: skip
        project.add_arrays(np.zeros((2, 10, 20), np.uint8), ids=["a", "b"])
        write(tmp_path / "ds", {
            "data.yaml": "train: lists/train.txt\nnames: [car]\n",
            "lists/train.txt": "../images/a.jpg\n\n../images/b.jpg\n",
            "labels/a.txt": "0 0.5 0.5 1 1\n",
            "labels/b.txt": "0 0.1 0.1 0.2 0.1 0.2 0.2\n",
        })  # fmt: skip
        with pytest.raises(YoloFormatError, match=r"b.txt: line 1: field 'coordinates': .*"
                           r"this task has no 'polygon' tool"):  # fmt: skip
            from_yolo(project, tmp_path / "ds")
        assert project.labels().empty
        (tmp_path / "ds/labels/b.txt").write_text("")
        assert from_yolo(project, tmp_path / "ds") == 2
        assert current(project) == {
            "a": [{"type": "box", "class": "car", "id": "s1", "z": 0, "attributes": {},
                   "bbox": [0.0, 0.0, 20.0, 10.0]}],
            "b": [],
        }  # fmt: skip
