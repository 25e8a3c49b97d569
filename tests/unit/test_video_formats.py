"""Video-track formats: MOT Challenge text, CVAT for video 1.1 XML and COCO per
frame give back the shapes of every frame (CVAT the value itself), find their
videos by item id, file stem or file, and name what they cannot hold."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import workbench as wb
from tests.quick import examples
from workbench.kinds.video.formats import (
    from_coco_video,
    from_cvat_video,
    from_mot,
    to_coco_video,
    to_cvat_video,
    to_mot,
)
from workbench.kinds.video.formats._common import dense_keyframes
from workbench.kinds.video.tracks import shapes_at
from workbench.media import write_video

FRAMES, H, W, FPS = 40, 64, 96, 10
ATTRIBUTES = [wb.Attribute("parked"), wb.Attribute("color", kind="choice", choices=["red", "blue"]),
              wb.Attribute("speed", kind="number"), wb.Attribute("note", kind="text")]  # fmt: skip


def schema():
    return wb.Schema((
        wb.VideoTracks("objects", classes=["car", "person"], attributes=ATTRIBUTES),
        wb.VideoTracks("lanes", classes=["lane"], shape="polygon",
                       attributes=[wb.Attribute("solid")]),
    ))  # fmt: skip


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Two video files (40 and 30 frames) and a clip as an array (20 frames)."""
    folder = tmp_path_factory.mktemp("videos")
    out = []
    for name, n in [("cam1", FRAMES), ("cam2", 30)]:
        frames = np.zeros((n, H, W, 3), np.uint8)
        frames[:, :, :, 0] = np.arange(n, dtype=np.uint8)[:, None, None]
        write_video(folder / f"{name}.mkv", frames, FPS)
        out.append(folder / f"{name}.mkv")
    return out


CLIP = np.zeros((20, H, W, 3), np.uint8)


def make_project(path, files=(), clip=True, annotator="ann"):
    p = wb.Project(path, schema=schema(), annotator=annotator)
    if files:
        p.add_video([str(f) for f in files])
    if clip:
        p.add_video([CLIP], fps=FPS, ids=["clip"])
    return p


BOXES = [
    {"class": "car", "attributes": {"parked": True, "color": "blue", "speed": 2.5,
                                    "note": 'a\r\nb <&> "q"\tz'},
     "keyframes": [{"frame": 0, "bbox": [1, 2, 10, 8]},
                   {"frame": 5, "bbox": [11, 12, 10.5, 8], "occluded": True},
                   {"frame": 9, "bbox": [20.25, 12, 10.5, 8]},
                   {"frame": 12, "outside": True},
                   {"frame": 20, "bbox": [5, 5, 5, 5]}]},  # held to the video's end
    {"class": "person",
     "keyframes": [{"frame": 3, "bbox": [30.25, 20, 4, 9]}, {"frame": 30, "bbox": [40, 21, 4, 9]},
                   {"frame": 35, "outside": True}]},
    {"class": "car", "keyframes": [{"frame": 39, "bbox": [0.5, 0.5, 3, 3], "occluded": True}]},
]  # fmt: skip
CAM2 = [{"class": "person", "keyframes": [{"frame": 0, "bbox": [1, 1, 2, 2]},
                                          {"frame": 29, "bbox": [60, 40, 20, 20]}]}]  # fmt: skip
POLYGONS = [
    {"class": "lane", "attributes": {"solid": True},
     "keyframes": [{"frame": 2, "points": [[0, 0], [10, 0], [5, 8.5]]},
                   {"frame": 10, "points": [[20, 0], [30, 0.25], [25, 8]], "occluded": True},
                   {"frame": 15, "outside": True},
                   {"frame": 18, "points": [[1, 1], [2, 1], [2, 2]]}]},
    {"class": "lane", "keyframes": [{"frame": 0, "points": [[5, 5], [6, 5], [6, 6], [5, 6]]},
                                    {"frame": 39, "outside": True}]},
]  # fmt: skip


@pytest.fixture
def labeled(tmp_path, videos):
    p = make_project(tmp_path / "p.db", videos)
    cam1, cam2 = p.item_ids()[:2]
    p.label(cam1, BOXES, task="objects")
    p.label(cam2, CAM2, task="objects")
    p.label("clip", [], task="objects")  # labeled: nothing here
    p.label(cam1, POLYGONS, task="lanes")
    return p


def labels_of(project, task="objects"):
    return {r.item_id: r.label for r in project.labels(task).itertuples()}


def frames_of(value, frames, flags=True):
    """Every frame's shapes, coordinates to 1e-6 px (``flags``: class and occluded)."""
    out = []
    for f in range(frames):
        shown = []
        for s in shapes_at(value, f):
            geo = s.get("bbox") or [c for p in s["points"] for c in p]
            shown.append((s["track"], *((s["class"], s["occluded"]) if flags else ()),
                          *(round(c, 6) for c in geo)))  # fmt: skip
        out.append(shown)
    return out


def close(a, b, tol=1 + 1e-6):
    """Two lists of frames' shapes alike, coordinates to within ``tol``."""
    assert len(a) == len(b)
    for f, (x, y) in enumerate(zip(a, b, strict=True)):
        assert [s[:3] for s in x] == [s[:3] for s in y], f
        for s, t in zip(x, y, strict=True):
            assert np.allclose(s[3:], t[3:], rtol=0, atol=tol), (f, s, t)


def quiet():
    """A context in which any warning fails the test."""
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error")
    return ctx


# -- MOT -------------------------------------------------------------------------------
def test_mot_dense_export_compact_import_gives_every_frame_back(labeled, tmp_path, videos):
    lost = "dropped fields: attributes of 1 track, class of 4 tracks, occluded of 2 keyframes"
    with pytest.warns(UserWarning, match=lost):
        written = to_mot(labeled, tmp_path / "mot")
    cam1, cam2 = labeled.item_ids()[:2]
    assert sorted(p.name for p in written.values()) == ["cam1.txt", "cam2.txt", "clip.txt"]
    lines = written[cam1].read_text().splitlines()
    assert lines[0] == "1,1,1,2,10,8,1,-1,-1,-1"  # frame 0 is 1 in the file
    # Frame 2 of track 1: interpolated, 2/5 of the way to frame 5.
    assert "3,1,5,6,10.2,8,1,-1,-1,-1" in lines
    value = labels_of(labeled)[cam1]
    shown = sum(len(s) for s in frames_of(value, FRAMES))
    assert len(lines) == shown  # one line per frame a box is shown, every frame
    assert lines[-1].startswith("40,")  # track 1 held to the video's end, and track 3
    assert written["clip"].read_text() == ""
    other = make_project(tmp_path / "q.db", videos, annotator="imp")
    assert from_mot(other, tmp_path / "mot", cls="car") == 3
    got = labels_of(other)
    want = labels_of(labeled)
    for item, frames in [(cam1, FRAMES), (cam2, 30)]:
        assert frames_of(got[item], frames, flags=False) == frames_of(want[item], frames, False)
        # The compact import gives back the keyframes themselves.
        assert [[k["frame"] for k in t["keyframes"]] for t in got[item]["tracks"]] == [
            [k["frame"] for k in t["keyframes"]] for t in want[item]["tracks"]]  # fmt: skip
    assert value["tracks"][0]["keyframes"][1]["occluded"]  # what the file dropped
    assert not got[cam1]["tracks"][0]["keyframes"][1]["occluded"]
    assert got["clip"] == {"tracks": []}


def test_mot17_layout_keeps_classes_and_occlusion(labeled, tmp_path, videos):
    with pytest.warns(UserWarning, match="dropped fields: attributes of 1 track$"):
        written = to_mot(labeled, tmp_path / "mot", class_ids={"car": 3, "person": 1})
    cam1 = labeled.item_ids()[0]
    lines = written[cam1].read_text().splitlines()
    assert lines[0] == "1,1,1,2,10,8,1,3,1.0"  # 9 columns: conf, class, visibility
    assert "6,1,11,12,10.5,8,1,3,0.0" in lines  # occluded at frame 5
    other = make_project(tmp_path / "q.db", videos)
    assert from_mot(other, tmp_path / "mot", class_ids={"car": 3, "person": 1}) == 3
    got, want = labels_of(other), labels_of(labeled)
    assert frames_of(got[cam1], FRAMES) == frames_of(want[cam1], FRAMES)
    with pytest.raises(wb.WorkbenchError, match="class 'car' has no number"):
        to_mot(labeled, tmp_path / "none", class_ids={"person": 1})
    assert not (tmp_path / "none").exists()


def test_mot_scores_keyframes_only_and_every_frame(labeled, tmp_path, videos):
    cam1 = labeled.item_ids()[0]
    value = labels_of(labeled)[cam1]
    value["tracks"][1]["keyframes"][0]["score"] = 0.25
    labeled.label(cam1, value, task="objects")
    with pytest.warns(UserWarning):
        written = to_mot(labeled, tmp_path / "sparse", interpolate=False)
    lines = written[cam1].read_text().splitlines()
    shown = sum(not k["outside"] for t in value["tracks"] for k in t["keyframes"])
    assert len(lines) == shown
    assert "4,2,30.25,20,4,9,0.25,-1,-1,-1" in lines  # conf is the keyframe's score
    with pytest.warns(UserWarning):
        to_mot(labeled, tmp_path / "dense")
    other = make_project(tmp_path / "q.db", videos)
    assert from_mot(other, tmp_path / "dense" / "cam1.txt", cls="car", keyframes="all") == 1
    (got,) = labels_of(other).values()
    keys = [k for t in got["tracks"] for k in t["keyframes"]]
    dense = (tmp_path / "dense" / "cam1.txt").read_text().splitlines()
    assert sum(not k["outside"] for k in keys) == len(dense)  # every listed frame
    assert frames_of(got, FRAMES, flags=False) == frames_of(value, FRAMES, flags=False)
    assert got["tracks"][1]["keyframes"][0]["score"] == 0.25
    assert "score" not in got["tracks"][1]["keyframes"][1]  # conf 1: no score


def test_mot_ground_truth_in_whole_pixels_imports_compactly(tmp_path, videos):
    """A MOT ground truth rounds interpolated boxes to whole pixels: the import keeps
    a few keyframes and gives every frame back to within a pixel; a
    ``<sequence>/gt/gt.txt`` is matched by its sequence's name."""
    gt = tmp_path / "cam1" / "gt" / "gt.txt"
    gt.parent.mkdir(parents=True)
    rows = []
    for f in range(0, 30):
        x = 2 + 1.37 * f if f < 20 else 2 + 1.37 * 20 - 0.8 * (f - 20)
        rows.append(f"{f + 1},7,{round(x)},{round(10 + 0.5 * f)},20,30,1,1,0.9")
    rows.append("35,7,5,5,20,30,1,1,0.2")  # back after a gap, occluded
    gt.write_text("\n".join(rows) + "\n")
    p = make_project(tmp_path / "p.db", videos)
    assert from_mot(p, gt, class_ids={"car": 1}) == 1
    (value,) = labels_of(p).values()
    (track,) = value["tracks"]
    assert track["id"] == "t1" and track["class"] == "car"
    assert len(track["keyframes"]) <= 8  # not 31
    assert track["keyframes"][-3:] == [
        {"frame": 30, "outside": True, "occluded": False},
        {"frame": 34, "outside": False, "occluded": True, "bbox": [5.0, 5.0, 20.0, 30.0]},
        {"frame": 35, "outside": True, "occluded": False}]  # fmt: skip
    for row in rows[:-1]:  # every frame to within a pixel of the file
        f, _, x, y, *_ = (float(c) for c in row.split(","))
        (shape,) = shapes_at(value, int(f) - 1)
        assert abs(shape["bbox"][0] - x) <= 1 and abs(shape["bbox"][1] - y) <= 1
    assert shapes_at(value, 31) == []


def test_mot_matches_files_by_item_id_and_item(labeled, tmp_path, videos):
    with pytest.warns(UserWarning):
        to_mot(labeled, tmp_path / "mot")
    cam1 = labeled.item_ids()[0]
    renamed = tmp_path / "byid"
    renamed.mkdir()
    (renamed / f"{cam1}.txt").write_text((tmp_path / "mot" / "cam1.txt").read_text())
    other = make_project(tmp_path / "q.db", videos)
    assert from_mot(other, renamed, cls="person") == 1
    assert {t["class"] for t in labels_of(other)[cam1]["tracks"]} == {"person"}
    # item= names the video of one file: an item id, or a file the project lacks.
    third = make_project(tmp_path / "r.db", clip=False)
    assert from_mot(third, tmp_path / "mot" / "cam2.txt", item=str(videos[1]), cls="car") == 1
    assert len(third.item_ids()) == 1
    (value,) = labels_of(third).values()
    assert frames_of(value, 30, flags=False) == frames_of(
        labels_of(labeled)[labeled.item_ids()[1]], 30, flags=False)  # fmt: skip
    # One labeled video may be written to a single .txt path.
    single = make_project(tmp_path / "s.db", clip=True)
    single.label("clip", [{"class": "car", "keyframes": [{"frame": 0, "bbox": [1, 1, 1, 1]}]}])
    with pytest.warns(UserWarning, match="class of 1 track"):
        assert to_mot(single, tmp_path / "one.txt") == {"clip": tmp_path / "one.txt"}
    assert len((tmp_path / "one.txt").read_text().splitlines()) == 20


def test_mot_holds_boxes_only(labeled, tmp_path):
    with pytest.raises(wb.WorkbenchError, match="MOT holds boxes only"):
        to_mot(labeled, tmp_path / "mot", task="lanes")
    with pytest.raises(wb.WorkbenchError, match="MOT holds boxes only"):
        from_mot(labeled, tmp_path, task="lanes")


# -- CVAT ------------------------------------------------------------------------------
def test_cvat_round_trips_boxes_exactly(labeled, tmp_path, videos):
    ctx = quiet()  # nothing is lost, so nothing is named
    try:
        written = to_cvat_video(labeled, tmp_path / "cvat")
    finally:
        ctx.__exit__(None, None, None)
    cam1 = labeled.item_ids()[0]
    text = written[cam1].read_text()
    assert "<version>1.1</version>" in text and "<size>40</size>" in text
    assert "<width>96</width>" in text and "<source>cam1.mkv</source>" in text
    assert ('<box frame="0" keyframe="1" outside="0" occluded="0" xtl="1" ytl="2" xbr="11" '
            'ybr="10" z_order="0">') in text  # fmt: skip
    assert '<attribute name="note">a&#13;\nb &lt;&amp;&gt; "q"\tz</attribute>' in text
    # CVAT writes an outside shape with the shape the track had.
    assert '<box frame="12" keyframe="1" outside="1" occluded="0" xtl="20.25"' in text
    other = make_project(tmp_path / "q.db", videos, annotator="imp")
    assert from_cvat_video(other, tmp_path / "cvat") == 3
    assert labels_of(other) == labels_of(labeled)
    with pytest.raises(wb.WorkbenchError, match="one file holds one video, and 3 videos"):
        to_cvat_video(labeled, tmp_path / "all.xml")


def test_cvat_round_trips_polygons_exactly(labeled, tmp_path, videos):
    written = to_cvat_video(labeled, tmp_path / "lanes.xml", task="lanes")
    cam1 = labeled.item_ids()[0]
    assert '<polygon frame="2" keyframe="1" outside="0" occluded="0" points="0,0;10,0;5,8.5"' in (
        written[cam1].read_text()
    )  # fmt: skip
    other = make_project(tmp_path / "q.db", videos)
    assert from_cvat_video(other, written[cam1], item=cam1, task="lanes") == 1
    assert labels_of(other, "lanes") == labels_of(labeled, "lanes")


def test_cvat_names_scores_ids_and_outside_geometry(tmp_path, videos):
    p = make_project(tmp_path / "p.db", videos[:1], clip=False)
    (cam1,) = p.item_ids()
    p.label(cam1, [{"id": "a", "class": "car", "attributes": {"note": "bell\x07"}, "keyframes": [
        {"frame": 0, "bbox": [1, 1, 2, 2], "score": 0.5},
        {"frame": 3, "bbox": [1, 1, 2, 2], "outside": True}]}])  # fmt: skip
    lost = ("dropped fields: geometry of 1 outside keyframe, id of 1 track, score of 1 keyframe; "
            r"changed 1 attribute \(characters XML cannot hold written as U\+FFFD\)")  # fmt: skip
    with pytest.warns(UserWarning, match=lost):
        to_cvat_video(p, tmp_path / "cvat")
    with pytest.raises(wb.WorkbenchError, match="strict=True: nothing was written"):
        to_cvat_video(p, tmp_path / "strict", strict=True)
    assert not (tmp_path / "strict").exists()
    q = make_project(tmp_path / "q.db", videos[:1], clip=False)
    assert from_cvat_video(q, tmp_path / "cvat") == 1
    (value,) = labels_of(q).values()
    assert value["tracks"][0]["id"] == "t1"
    assert value["tracks"][0]["attributes"]["note"] == "bell\ufffd"
    assert value["tracks"][0]["keyframes"] == [
        {"frame": 0, "outside": False, "occluded": False, "bbox": [1.0, 1.0, 2.0, 2.0]},
        {"frame": 3, "outside": True, "occluded": False}]  # fmt: skip


CVAT_WRITTEN = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><id>7</id><name>street</name><size>30</size><mode>interpolation</mode>
    <start_frame>0</start_frame><stop_frame>29</stop_frame><frame_filter></frame_filter>
  </task><source>cam2.mkv</source></meta>
  <track id="4" label="person" source="manual">
    <box frame="0" keyframe="1" outside="0" occluded="0" xtl="10.00" ytl="10.00" xbr="20.50"
         ybr="30.00" z_order="0"><attribute name="parked">false</attribute>
      <attribute name="color">blue</attribute><attribute name="speed">1.5</attribute></box>
    <box frame="1" keyframe="0" outside="0" occluded="0" xtl="11.00" ytl="10.00" xbr="21.50"
         ybr="30.00" z_order="0"><attribute name="parked">true</attribute></box>
    <box frame="2" keyframe="1" outside="0" occluded="1" xtl="12.00" ytl="10.00" xbr="22.50"
         ybr="30.00" z_order="0"><attribute name="parked">true</attribute></box>
    <box frame="3" keyframe="1" outside="1" occluded="0" xtl="12.00" ytl="10.00" xbr="22.50"
         ybr="30.00" z_order="0"/>
  </track>
  <track id="2" label="car" source="auto">
    <box frame="5" keyframe="1" outside="0" occluded="0" xtl="0" ytl="0" xbr="0.3" ybr="0.7"
         z_order="1"/>
  </track>
  <tag frame="3" label="car" source="manual"/>
</annotations>
"""


def test_cvat_reads_what_cvat_writes(tmp_path, videos):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "annotations.xml").write_text(CVAT_WRITTEN)
    p = make_project(tmp_path / "p.db", clip=False)  # the video is added from <source>
    (folder / "cam2.mkv").write_bytes(videos[1].read_bytes())
    match = "not imported: 1 attribute value changing along a track .its first kept., 1 frame tag"
    with pytest.warns(UserWarning, match=match):
        assert from_cvat_video(p, folder / "annotations.xml") == 1
    ((item, value),) = labels_of(p).items()
    assert p.store.get_items([item])[0].uri == str(folder / "cam2.mkv")
    car, person = value["tracks"][1], value["tracks"][0]
    assert (person["id"], car["id"]) == ("t2", "t1")  # ids in the order of the file's ids
    assert person["attributes"] == {"parked": False, "color": "blue", "speed": 1.5, "note": ""}
    assert person["keyframes"] == [  # frame 1 (keyframe="0") is implied, not read
        {"frame": 0, "outside": False, "occluded": False, "bbox": [10.0, 10.0, 10.5, 20.0]},
        {"frame": 2, "outside": False, "occluded": True, "bbox": [12.0, 10.0, 10.5, 20.0]},
        {"frame": 3, "outside": True, "occluded": False}]  # fmt: skip
    assert car["keyframes"][0]["bbox"] == [0.0, 0.0, 0.3, 0.7]  # the width as written


def test_cvat_finds_videos_by_item_id_and_file_stem(labeled, tmp_path, videos):
    written = to_cvat_video(labeled, tmp_path / "cvat")
    assert written["clip"].name == "clip.xml"
    cam2 = labeled.item_ids()[1]
    by_id = tmp_path / "byid"
    by_id.mkdir()
    (by_id / f"{cam2}.xml").write_text(written[cam2].read_text().replace("cam2.mkv", "x.mkv"))
    other = make_project(tmp_path / "q.db", videos)
    assert from_cvat_video(other, by_id) == 1
    assert labels_of(other) == {cam2: labels_of(labeled)[cam2]}


# -- COCO ------------------------------------------------------------------------------
def test_coco_round_trips_the_shapes_of_every_frame(labeled, tmp_path, videos):
    path = tmp_path / "coco.json"
    ctx = quiet()
    try:
        data = to_coco_video(labeled, path)
    finally:
        ctx.__exit__(None, None, None)
    cam1, cam2 = labeled.item_ids()[:2]
    assert [v["name"] for v in data["videos"]] == ["cam1", "cam2", "clip"]
    assert data["videos"][0]["length"] == FRAMES and data["videos"][0]["item_id"] == cam1
    first = data["images"][0]
    assert first == {"id": 1, "file_name": "cam1/000000.jpg", "video_id": 1, "frame_index": 0,
                     "frame_id": 0, "width": W, "height": H}  # fmt: skip
    ann = data["annotations"][0]
    assert ann["track_id"] == ann["instance_id"] == 1 and ann["iscrowd"] == 0
    assert ann["bbox"] == [1, 2, 10, 8] and ann["area"] == 80
    assert ann["attributes"] == {"occluded": False, **BOXES[0]["attributes"]}
    assert {a["track_id"] for a in data["annotations"] if a["video_id"] == 2} == {4}
    assert len({im["id"] for im in data["images"]}) == len(data["images"])
    assert data["categories"] == [{"id": 1, "name": "car", "supercategory": ""},
                                  {"id": 2, "name": "person", "supercategory": ""}]  # fmt: skip
    other = make_project(tmp_path / "q.db", videos, annotator="imp")
    assert from_coco_video(other, path) == 3
    got, want = labels_of(other), labels_of(labeled)
    assert frames_of(got[cam1], FRAMES) == frames_of(want[cam1], FRAMES)
    assert frames_of(got[cam2], 30) == frames_of(want[cam2], 30)
    assert got == want  # keyframes recovered exactly from the frames


def test_coco_round_trips_polygons(labeled, tmp_path, videos):
    data = to_coco_video(labeled, task="lanes")
    ann = data["annotations"][0]
    assert ann["segmentation"] == [[5, 5, 6, 5, 6, 6, 5, 6]] and ann["area"] == 1.0
    assert ann["bbox"] == [5, 5, 1, 1]
    data = json.loads(json.dumps(data))
    for v in data["videos"]:  # found by file name, not item id
        v["item_id"] = None
        v["file_name"] = v["file_name"].rsplit("/", 1)[-1]
    other = make_project(tmp_path / "q.db", videos)
    assert from_coco_video(other, data, task="lanes") == 1
    cam1 = labeled.item_ids()[0]
    got, want = labels_of(other, "lanes")[cam1], labels_of(labeled, "lanes")[cam1]
    assert frames_of(got, FRAMES) == frames_of(want, FRAMES)
    assert got == want


def test_coco_keyframes_all_keeps_every_frame(labeled, tmp_path, videos):
    data = to_coco_video(labeled)
    other = make_project(tmp_path / "q.db", videos)
    assert from_coco_video(other, data, keyframes="all") == 3
    cam2 = labeled.item_ids()[1]
    (track,) = labels_of(other)[cam2]["tracks"]
    assert [k["frame"] for k in track["keyframes"]] == list(range(30))
    assert frames_of(labels_of(other)[cam2], 30) == frames_of(labels_of(labeled)[cam2], 30)


def test_dense_keyframes_prefers_exact_and_falls_back_to_a_pixel():
    line = [{"frame": f, "bbox": [f * 0.3, 0, 1, 1], "occluded": False} for f in range(20)]
    assert [k["frame"] for k in dense_keyframes(line)] == [0, 19, 20]
    rounded = [{**o, "bbox": [round(o["bbox"][0]), 0, 1, 1]} for o in line]
    exact = dense_keyframes(rounded, tolerance=0)
    loose = dense_keyframes(rounded)
    assert len(loose) <= 4 < len(exact)
    value = {"tracks": [{"id": "t1", "class": "car", "keyframes": loose}]}
    for o in rounded:  # within a pixel of the file, half a pixel of the line it rounds
        (shape,) = shapes_at(value, o["frame"])
        assert abs(shape["bbox"][0] - o["bbox"][0]) <= 1
        assert abs(shape["bbox"][0] - 0.3 * o["frame"]) <= 0.5
    gap = line[:3] + line[6:8]
    keys = dense_keyframes(gap, "all")
    assert [(k["frame"], k.get("outside", False)) for k in keys] == [
        (0, False), (1, False), (2, False), (3, True), (6, False), (7, False), (8, True)
    ]  # fmt: skip
    occluded = [{**o, "occluded": o["frame"] == 4} for o in line[:8]]
    assert [k["frame"] for k in dense_keyframes(occluded)] == [0, 4, 5, 7, 8]


# -- property --------------------------------------------------------------------------
coords = st.integers(0, 400).map(lambda k: k / 4)  # quarter pixels: exact in binary


@st.composite
def box_tracks(draw):
    tracks = []
    for _ in range(draw(st.integers(0, 4))):
        frames = sorted(draw(st.sets(st.integers(0, FRAMES - 1), min_size=1, max_size=6)))
        keys = []
        for f in frames:
            if keys and draw(st.integers(0, 4)) == 0:
                keys.append({"frame": f, "outside": True, "occluded": draw(st.booleans())})
            else:
                keys.append({"frame": f, "occluded": draw(st.booleans()),
                             "bbox": [draw(coords), draw(coords), 0.25 + draw(coords),
                                      0.25 + draw(coords)]})  # fmt: skip
        tracks.append({"class": draw(st.sampled_from(["car", "person"])), "keyframes": keys,
                       "attributes": {"parked": draw(st.booleans()),
                                      "speed": draw(st.one_of(st.none(), coords))}})  # fmt: skip
    return tracks


@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(tracks=box_tracks())
@example(tracks=[{"class": "car", "keyframes": [{"frame": 0, "bbox": [0, 0, 1, 1]},
                                                {"frame": 1, "outside": True}]}])  # fmt: skip
def test_any_box_tracks_survive_mot_cvat_and_coco(tmp_path_factory, videos, tracks):
    folder = tmp_path_factory.mktemp("formats")
    p = make_project(folder / "p.db", videos[:1], clip=False)
    (cam1,) = p.item_ids()
    p.label(cam1, tracks, task="objects")
    want = labels_of(p)[cam1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # attributes are named
        to_mot(p, folder / "mot", class_ids={"car": 1, "person": 2})
    q = make_project(folder / "q.db", videos[:1], clip=False)
    assert from_mot(q, folder / "mot", class_ids={"car": 1, "person": 2}) == 1
    got = labels_of(q)[cam1]
    close(frames_of(got, FRAMES), frames_of(want, FRAMES))  # exact unless rounding-sized
    to_cvat_video(p, folder / "cvat")  # outside keyframes without geometry: nothing is lost
    r = make_project(folder / "r.db", videos[:1], clip=False)
    assert from_cvat_video(r, folder / "cvat") == 1
    assert labels_of(r)[cam1] == want
    to_coco_video(p, folder / "coco.json")
    s = make_project(folder / "s.db", videos[:1], clip=False)
    assert from_coco_video(s, folder / "coco.json") == 1
    got = labels_of(s)[cam1]
    close(frames_of(got, FRAMES), frames_of(want, FRAMES))
    assert [t["attributes"] for t in got["tracks"]] == [t["attributes"] for t in want["tracks"]]
