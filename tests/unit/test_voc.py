"""Pascal VOC import and export of a Shapes task: files written by hand to the VOC
devkit's layout, the 1-based pixel convention, round trips, refusals."""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import workbench as wb
from workbench import masks
from workbench.formats import VocFormatError, from_voc, to_voc

W, H = 64, 48
POSES = ("Unspecified", "Left", "Right", "Frontal", "Rear")


def schema(attributes=True):
    attrs = [
        wb.Attribute("truncated"),
        wb.Attribute("difficult"),
        wb.Attribute("occluded"),
        wb.Attribute("pose", "choice", POSES),
        wb.Attribute("view", "choice", ("front", "side")),
        wb.Attribute("speed", "number"),
    ]
    return wb.Schema(
        (
            wb.Shapes(
                "objects",
                classes=["car", "person", "road"],
                attributes=attrs if attributes else [],
                skeletons={"person": wb.Skeleton(("head", "hand"))},
            ),
        )
    )


def make_project(root: Path, name: str = "p", attributes: bool = True) -> wb.Project:
    """Three real PNG files (img0.png … img2.png, 64 × 48) added by path."""
    folder = root / f"{name}-images"
    folder.mkdir()
    uris = []
    for k in range(3):
        path = folder / f"img{k}.png"
        Image.fromarray(np.full((H, W, 3), 40 * k, np.uint8)).save(path)
        uris.append(str(path))
    project = wb.Project(root / f"{name}.db", schema=schema(attributes), annotator="ann")
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


# Written by hand after VOC2007's Annotations/000001.xml (tabs, <source>, <owner>).
VOC2007 = """\
<annotation>
\t<folder>VOC2007</folder>
\t<filename>img0.png</filename>
\t<source>
\t\t<database>The VOC2007 Database</database>
\t\t<annotation>PASCAL VOC2007</annotation>
\t\t<image>flickr</image>
\t</source>
\t<owner>
\t\t<flickrid>Fried Camels</flickrid>
\t\t<name>Jinky the Fruit Bat</name>
\t</owner>
\t<size>
\t\t<width>64</width>
\t\t<height>48</height>
\t\t<depth>3</depth>
\t</size>
\t<segmented>0</segmented>
\t<object>
\t\t<name>car</name>
\t\t<pose>Left</pose>
\t\t<truncated>1</truncated>
\t\t<difficult>0</difficult>
\t\t<bndbox>
\t\t\t<xmin>8</xmin>
\t\t\t<ymin>12</ymin>
\t\t\t<xmax>35</xmax>
\t\t\t<ymax>48</ymax>
\t\t</bndbox>
\t</object>
\t<object>
\t\t<name>person</name>
\t\t<pose>Unspecified</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>1</difficult>
\t\t<occluded>1</occluded>
\t\t<bndbox>
\t\t\t<xmin>1</xmin>
\t\t\t<ymin>1</ymin>
\t\t\t<xmax>64</xmax>
\t\t\t<ymax>48</ymax>
\t\t</bndbox>
\t</object>
</annotation>
"""

# As CVAT writes it: fractional coordinates, extra attributes; the XML file's own
# name differs from the image's.
CVAT = """<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <folder></folder>
  <filename>img1.png</filename>
  <size><width>64</width><height>48</height><depth>3</depth></size>
  <object>
    <name>road</name>
    <pose>Unspecified</pose>
    <truncated>0</truncated>
    <difficult>0</difficult>
    <occluded>0</occluded>
    <bndbox>
      <xmin>10.5</xmin>
      <ymin>2.25</ymin>
      <xmax>20.125</xmax>
      <ymax>47.875</ymax>
    </bndbox>
    <attributes>
      <attribute><name>view</name><value>side</value></attribute>
      <attribute><name>speed</name><value>12.5</value></attribute>
    </attributes>
  </object>
</annotation>
"""


def hand_written(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "img0.xml").write_text(VOC2007)
    (folder / "from-cvat.xml").write_text(CVAT)
    return folder


def objects(path: Path) -> list[dict[str, str]]:
    """Each object's fields as text: name, pose, flags and bndbox/..."""
    out = []
    for obj in ET.parse(path).getroot().findall("object"):
        fields = {c.tag: (c.text or "").strip() for c in obj if len(c) == 0}
        fields.update({f"bndbox/{c.tag}": c.text for c in obj.find("bndbox")})
        out.append(fields)
    return out


def test_hand_written_files_import_and_export_the_same_values(project, tmp_path):
    src = hand_written(tmp_path / "Annotations")
    assert from_voc(project, src) == 2
    labels = current(project)
    ids = project.item_ids()
    car, person = labels[ids[0]]
    assert car["bbox"] == [7.0, 11.0, 28.0, 37.0]  # x = xmin - 1, w = xmax - xmin + 1
    assert car["attributes"] == {"truncated": True, "difficult": False, "occluded": False,
                                 "pose": "Left", "view": "front", "speed": None}  # fmt: skip
    assert person["bbox"] == [0.0, 0.0, 64.0, 48.0]  # the whole image
    assert person["attributes"]["difficult"] and person["attributes"]["occluded"]
    (road,) = labels[ids[1]]
    assert road["bbox"] == [9.5, 1.25, 10.625, 46.625]
    assert road["attributes"]["view"] == "side" and road["attributes"]["speed"] == 12.5

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        written = to_voc(project, tmp_path / "out")
    assert [p.name for p in written] == ["img0.xml", "img1.xml"]
    for given_file, out in ((src / "img0.xml", written[0]), (src / "from-cvat.xml", written[1])):
        for want, got in zip(objects(given_file), objects(out), strict=True):
            assert {k: got[k] for k in want} == want  # every value given comes back as given
    root = ET.parse(written[0]).getroot()
    assert root.findtext("filename") == "img0.png" and root.findtext("size/width") == "64"
    assert root.findtext("size/depth") == "3" and root.findtext("workbench_id") == ids[0]
    cvat = ET.parse(written[1]).getroot().find("object/attributes")
    assert [(a.findtext("name"), a.findtext("value")) for a in cvat] == [
        ("view", "side"), ("speed", "12.5")]  # fmt: skip

    # Into a fresh project by file name, and back to the same files.
    fresh = make_project(tmp_path, "fresh")
    with fresh:
        assert from_voc(fresh, written) == 2
        again = to_voc(fresh, tmp_path / "again")
        assert [objects(p) for p in again] == [objects(p) for p in written]
        assert [s["id"] for s in current(fresh)[fresh.item_ids()[0]]] == ["s1", "s2"]


def test_same_project_by_workbench_id(project, tmp_path):
    from_voc(project, hand_written(tmp_path / "a"))
    before = current(project)
    written = to_voc(project, tmp_path / "out")
    for p in written:  # names that match nothing: only <workbench_id> can
        p.write_text(p.read_text().replace("img", "elsewhere"))
        p.rename(p.with_name("x" + p.name))
    assert from_voc(project, tmp_path / "out", match="workbench_id") == 2
    assert current(project) == before
    first = tmp_path / "out" / ("x" + written[0].name)
    first.write_text(re.sub(r"<workbench_id>\w+</workbench_id>", "", first.read_text()))
    with pytest.raises(VocFormatError, match=r"1 annotation file\(s\) match no item of the "
                       r"project: \S*ximg0.xml \(filename 'elsewhere0.png'\)$"):  # fmt: skip
        from_voc(project, tmp_path / "out", match="workbench_id")


@st.composite
def voc_boxes(draw):
    x0, x1 = sorted(draw(st.lists(st.floats(0, W), min_size=2, max_size=2)))
    y0, y1 = sorted(draw(st.lists(st.floats(0, H), min_size=2, max_size=2)))
    shape = {
        "type": "box",
        "class": draw(st.sampled_from(["car", "person", "road"])),
        "bbox": [x0, y0, x1 - x0, y1 - y0],
        "attributes": {
            "truncated": draw(st.booleans()),
            "difficult": draw(st.booleans()),
            "occluded": draw(st.booleans()),
            "pose": draw(st.sampled_from(POSES)),
            "view": draw(st.sampled_from(["front", "side"])),
            "speed": draw(st.none() | st.floats(-1e9, 1e9, allow_nan=False)),
        },
        "z": draw(st.integers(-5, 5)),
    }
    if draw(st.booleans()):
        shape["score"] = draw(st.floats(0, 1))
    return shape


def test_random_boxes_round_trip(tmp_path):
    project = make_project(tmp_path)
    ids = project.item_ids()
    out = tmp_path / "out"

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(st.lists(st.lists(voc_boxes(), max_size=5), min_size=1, max_size=3))
    def round_trip(values):
        stored = {}
        for item_id, value in zip(ids, values, strict=False):
            project.label(item_id, value)
            stored[item_id] = current(project)[item_id]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing VOC cannot hold
            to_voc(project, out)
        from_voc(project, out)
        back = current(project)
        for item_id, shapes in stored.items():
            assert len(back[item_id]) == len(shapes)
            for got, want in zip(back[item_id], shapes, strict=True):
                np.testing.assert_allclose(got.pop("bbox"), want["bbox"], rtol=0, atol=1e-6)
                assert got == {k: v for k, v in want.items() if k != "bbox"}

    with project:
        round_trip()


def test_zero_size_boxes_on_the_far_edges_round_trip(tmp_path):
    # xmin counts from 1, so a zero-width box at x = width is written xmin = width + 1.
    project = make_project(tmp_path)
    item_id = project.item_ids()[0]
    boxes = [[0.0, H, 0.0, 0.0], [W, 0.0, 0.0, 10.0], [W, H, 0.0, 0.0]]
    project.label(item_id, [{"type": "box", "class": "car", "bbox": b} for b in boxes])
    to_voc(project, tmp_path / "out")
    from_voc(project, tmp_path / "out")
    assert [s["bbox"] for s in current(project)[item_id]] == boxes


def _dec(n: int) -> str:
    """``n / 1000`` as written by hand: ``48``, ``10.5``, ``0.125``."""
    return f"{n // 1000}.{n % 1000:03d}".rstrip("0").rstrip(".")


@st.composite
def bndbox_texts(draw):
    out = {}
    for lo, hi, size in (("xmin", "xmax", W), ("ymin", "ymax", H)):
        a = draw(st.integers(1000, size * 1000))  # 1-based: at least 1
        b = draw(st.integers(max(a - 1000, 0), size * 1000))  # a box of size >= 0
        out[lo], out[hi] = _dec(a), _dec(b)
    return out


def test_bndbox_values_written_by_hand_come_back_exactly(tmp_path):
    project = make_project(tmp_path)
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(st.lists(bndbox_texts(), max_size=5))
    def round_trip(boxes):
        objs = "".join(
            "<object><name>car</name><bndbox>"
            + "".join(f"<{k}>{v}</{k}>" for k, v in b.items())
            + "</bndbox></object>"
            for b in boxes
        )
        (src / "img0.xml").write_text(
            f"<annotation><filename>img0.png</filename><size><width>{W}</width>"
            f"<height>{H}</height></size>{objs}</annotation>"
        )
        from_voc(project, src)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            (path,) = to_voc(project, out)
        got = [{k[len("bndbox/") :]: v for k, v in o.items() if "/" in k} for o in objects(path)]
        assert got == boxes

    with project:
        round_trip()


def test_what_voc_cannot_hold_is_named_or_refused(project, tmp_path):
    corners = [[1, 2], [5, 2], [5, 9], [1, 9]]
    mask = np.zeros((H, W), np.uint8)
    mask[3:7, 10:12] = 1
    project.label(project.item_ids()[0], [
        {"type": "box", "class": "car", "bbox": [60, 40, 10, 10]},
        {"type": "polygon", "class": "road", "points": corners},
        {"type": "mask", "class": "road", "rle": masks.encode(mask)},
        {"type": "polyline", "class": "road", "points": [[0, 1], [2, 3]]},
        {"type": "cuboid", "class": "car", "front": corners, "back": corners},
        {"type": "keypoints", "class": "person", "points": [[1, 1, 2], [2, 2, 1]]},
    ])  # fmt: skip
    with pytest.raises(VocFormatError) as info:
        to_voc(project, tmp_path / "strict", strict=True)
    assert str(info.value) == (
        "task 'objects': VOC cannot hold everything: dropped 1 cuboid (no 3-D boxes), "
        "1 keypoints shape (no keypoints), 1 polyline (no open paths); changed: 1 mask "
        "written as its bounding box, 1 shape clipped to the image (strict=True: nothing "
        "was written)"
    )
    assert not (tmp_path / "strict").exists()
    with pytest.warns(UserWarning, match=r"dropped 1 cuboid"):
        (path,) = to_voc(project, tmp_path / "out")
    boxes = [{k: v for k, v in o.items() if "/" in k} for o in objects(path)]
    assert boxes == [
        {"bndbox/xmin": "61", "bndbox/ymin": "41", "bndbox/xmax": "64", "bndbox/ymax": "48"},
        {"bndbox/xmin": "2", "bndbox/ymin": "3", "bndbox/xmax": "5", "bndbox/ymax": "9"},
        {"bndbox/xmin": "11", "bndbox/ymin": "4", "bndbox/xmax": "12", "bndbox/ymax": "7"},
    ]  # fmt: skip
    # The polygon also keeps its vertices, each shifted by 1 as a point is.
    polygon = ET.parse(path).getroot().findall("object")[1].find("polygon")
    assert [c.text for c in polygon] == ["2", "3", "6", "3", "6", "10", "2", "10"]
    project.label(project.item_ids()[0], [])
    from_voc(project, tmp_path / "out")
    assert current(project)[project.item_ids()[0]][1]["points"] == [
        [float(x), float(y)] for x, y in corners
    ]


def test_flags_a_task_cannot_hold_are_named_on_import(tmp_path):
    with make_project(tmp_path, attributes=False) as project:
        src = tmp_path / "src"
        src.mkdir()
        (src / "img0.xml").write_text(VOC2007)
        with pytest.warns(UserWarning) as record:
            assert from_voc(project, src) == 1
        assert str(record[0].message) == (
            "task 'objects' has no attribute for them, dropped: difficult on 1 object, "
            "occluded on 1 object, pose on 1 object, truncated on 1 object"
        )
        (car, _) = current(project)[project.item_ids()[0]]
        assert car["attributes"] == {} and car["bbox"] == [7.0, 11.0, 28.0, 37.0]


def test_zero_based_xmin_is_the_image_edge_with_a_warning_naming_the_file(project, tmp_path):
    """VOC counts from 1; a 0 is a 0-based writer's edge: read as 0, once named per file."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "img0.xml").write_text(VOC2007.replace("<xmin>8</xmin>", "<xmin>0</xmin>")
                                  .replace("<ymin>1</ymin>", "<ymin>0</ymin>"))  # fmt: skip
    with pytest.warns(
        UserWarning,
        match=r"xmin or ymin of 0 \(written 0-based\); such an "
        r"edge was read as 0, the image's edge: \S*img0.xml \(2 boxes\)$",
    ):
        from_voc(project, src)
    car, person = current(project)[project.item_ids()[0]]
    assert car["bbox"] == [0.0, 11.0, 35.0, 37.0]  # xmax 35 stays the far edge
    assert person["bbox"] == [0.0, 0.0, 64.0, 48.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to clip any more
        (path,) = to_voc(project, tmp_path / "out")
    assert objects(path)[0]["bndbox/xmin"] == "1"


def test_size_falls_back_to_the_image_header(project, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    text = re.sub(r"<size>.*?</size>", "", VOC2007, flags=re.S)
    (src / "img0.xml").write_text(text)
    assert from_voc(project, src) == 1
    assert current(project)[project.item_ids()[0]][1]["bbox"] == [0.0, 0.0, 64.0, 48.0]
    (src / "img0.xml").write_text(text.replace("<xmax>64</xmax>", "<xmax>65</xmax>"))
    with pytest.raises(VocFormatError, match=r"field 'bndbox/xmax': 65 is outside the image "
                       r"\(0 to 64, its width 64\)$"):  # fmt: skip
        from_voc(project, src)


POLYGON = "<polygon><x1>2</x1><y1>3</y1><x2>11</x2><y2>3</y2><x3>11</x3><y3>9.5</y3></polygon>"


def test_polygons_are_read_or_named_when_the_task_has_no_polygon_tool(project, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    two = POLYGON + POLYGON.replace("<x1>2</x1>", "<x1>1</x1>")
    (src / "img0.xml").write_text(VOC2007.replace("</bndbox>", "</bndbox>" + two, 1))
    assert from_voc(project, src) == 1
    car, car2, person = current(project)[project.item_ids()[0]]
    assert (car["type"], car2["type"], person["type"]) == ("polygon", "polygon", "box")
    assert car["points"] == [[1.0, 2.0], [10.0, 2.0], [10.0, 8.5]]  # vertices less 1
    assert car2["points"][0] == [0.0, 2.0]
    assert car["attributes"]["truncated"] is True  # the object's fields on each part
    (src / "img0.xml").write_text(VOC2007.replace("</bndbox>", "</bndbox><polygon><x1>1</x1>"
                                                  "</polygon>", 1))  # fmt: skip
    with pytest.raises(VocFormatError, match=r"object\[0\] \(line 19\): field 'polygon': "
                       r"vertices must be"):  # fmt: skip
        from_voc(project, src)
    with wb.Project(tmp_path / "b.db", schema=wb.Schema((wb.Shapes(
            "boxes", classes=["car", "person"], types=("box",)),))) as boxes:  # fmt: skip
        Image.new("RGB", (W, H)).save(tmp_path / "img0.png")
        boxes.add_uris([str(tmp_path / "img0.png")])
        (src / "img0.xml").write_text(VOC2007.replace("</bndbox>", "</bndbox>" + POLYGON, 1))
        with pytest.warns(UserWarning) as record:
            from_voc(boxes, src)
        assert [str(w.message) for w in record] == [
            "task 'boxes' has no attribute for them, dropped: difficult on 1 object, occluded "
            "on 1 object, pose on 1 object, truncated on 1 object",
            "task 'boxes' has no polygon tool: 1 object with <polygon> elements read as their "
            "<bndbox>",
        ]
        assert [s["type"] for s in current(boxes)[boxes.item_ids()[0]]] == ["box", "box"]


def _object(line_fields: str) -> str:
    return VOC2007.replace("<name>person</name>", line_fields, 1)


# Line 31 is the second <object>'s start tag in VOC2007.
MALFORMED = {
    "size not the image's": (VOC2007.replace("<width>64</width>", "<width>65</width>"),
                             r"img0.xml: annotation \(line 1\): field 'size/width': 65, but "
                             r"the image file is 64 × 48 pixels"),
    "size not a number": (VOC2007.replace("<width>64</width>", "<width>wide</width>"),
                          r"annotation \(line 1\): field 'size/width': must be a positive "
                          r"whole number, got 'wide'$"),
    "non-numeric": (VOC2007.replace("<xmin>1</xmin>", "<xmin>one</xmin>"),
                    r"img0.xml: object\[1\] \(line 31\): field 'bndbox/xmin': must be a "
                    r"number, got 'one'$"),
    "missing coordinate": (VOC2007.replace("<ymax>48</ymax>", ""),
                           r"object\[0\] \(line 19\): field 'bndbox/ymax': missing$"),
    "out of range": (VOC2007.replace("<xmax>64</xmax>", "<xmax>65</xmax>"),
                     r"object\[1\] \(line 31\): field 'bndbox/xmax': 65 is outside the image "
                     r"\(0 to 64, its width 64\)$"),
    "negative size": (VOC2007.replace("<ymax>48</ymax>", "<ymax>10</ymax>", 1),
                      r"object\[0\] \(line 19\): field 'bndbox/ymax': 10 is less than ymin - 1 "
                      r"\(11\): a negative size$"),
    "missing name": (_object(""), r"object\[1\] \(line 31\): field 'name': missing$"),
    "unknown class": (_object("<name>bicycle</name>"),
                      r"object\[1\] \(line 31\): field 'name': 'bicycle' is not a class of task "
                      r"'objects'; classes: \['car', 'person', 'road'\]$"),
    "flag not 0 or 1": (VOC2007.replace("<truncated>1</truncated>", "<truncated>yes</truncated>"),
                        r"object\[0\] \(line 19\): field 'truncated': must be 0 or 1, got 'yes'"),
    "unknown attribute": (_object("<name>person</name><attributes><attribute><name>colour"
                                  "</name><value>red</value></attribute></attributes>"),
                          r"object\[1\] \(line 31\): field 'attributes/attribute\[0\]': no "
                          r"attribute 'colour' in task"),
    "unknown image": (VOC2007.replace("img0.png", "zebra.png"),
                      r"1 annotation file\(s\) match no item of the project: \S*zebra.xml "
                      r"\(filename 'zebra.png'\)$"),
    "not well-formed": (VOC2007.replace("</owner>", "</own>"),
                        r"img0.xml: line 12: not well-formed XML: mismatched tag$"),
    "entities": ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                 ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
                 "<annotation><filename>&lol2;</filename></annotation>\n",
                 r"img0.xml: line 2: DTDs and entity declarations are refused"),
    "external entity": ('<?xml version="1.0"?>\n<!DOCTYPE a SYSTEM "file:///etc/passwd">\n'
                        "<annotation/>\n",
                        r"img0.xml: line 2: DTDs and entity declarations are refused"),
    "wrong root": ("<voc><filename>img0.png</filename></voc>",
                   r"img0.xml: line 1: the root element is <voc>, not <annotation>$"),
}  # fmt: skip


@pytest.mark.parametrize("what", list(MALFORMED))
def test_malformed_files_name_file_object_and_field(project, tmp_path, what):
    project.label(project.item_ids()[2], [{"type": "box", "class": "car", "bbox": [0, 0, 1, 1]}])
    before = project.labels()["event_id"].tolist()
    text, message = MALFORMED[what]
    src = tmp_path / "src"
    src.mkdir()
    (src / "from-cvat.xml").write_text(CVAT)  # a good file first: still nothing written
    (src / ("zebra.xml" if what == "unknown image" else "img0.xml")).write_text(text)
    with pytest.raises(VocFormatError) as info:
        from_voc(project, src)
    assert re.search(message, str(info.value)), str(info.value)
    assert str(info.value).startswith(str(src))
    assert isinstance(info.value, wb.WorkbenchError) and isinstance(info.value, ValueError)
    assert project.labels()["event_id"].tolist() == before


def test_line_numbers_in_messages_are_the_objects_lines():
    lines = VOC2007.splitlines()
    starts = [n for n, line in enumerate(lines, start=1) if line.strip() == "<object>"]
    assert starts == [19, 31]
    assert lines[11].strip() == "</owner>"  # line 12


def test_export_refuses_clashing_stems_and_stale_files(project, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    Image.new("RGB", (W, H)).save(other / "img0.png")
    project.add_uris([str(other / "img0.png")])
    for item_id in project.item_ids():
        project.label(item_id, [])
    with pytest.raises(VocFormatError, match=r"both have the file stem 'img0'"):
        to_voc(project, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    project.store.append([project.make_event(project.item_ids()[-1], None, kind="skip")])
    (tmp_path / "old").mkdir()
    (tmp_path / "old/zebra.xml").write_text("<annotation/>")
    with pytest.raises(VocFormatError, match=r"holds 1 .xml file\(s\) this export would not "
                       r"write \(zebra.xml\)"):  # fmt: skip
        to_voc(project, tmp_path / "old")


def test_array_items_are_named_by_id(tmp_path):
    with wb.Project(tmp_path / "a.db", schema=schema()) as project:
        project.add_arrays(np.zeros((1, 30, 40), np.uint8), ids=["a"])
        project.label("a", [{"type": "box", "class": "car", "bbox": [10, 6, 20, 12]}])
        (path,) = to_voc(project, tmp_path / "out")
        assert path.name == "a.xml"
        root = ET.parse(path).getroot()
        assert root.findtext("filename") == "a" and root.findtext("size/depth") == "1"
        assert root.find("path") is None
        project.label("a", [])
        assert from_voc(project, path) == 1
        assert current(project)["a"][0]["bbox"] == [10.0, 6.0, 20.0, 12.0]
