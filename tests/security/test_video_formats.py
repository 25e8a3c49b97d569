"""Attacks on the video-track readers: MOT text, CVAT XML and COCO video JSON an
attacker wrote (malformed lines, entity bombs, wrong types, frames past the end),
files that are not regular files or are too large, and files named as videos
that are not.

Each import is refused with the format's own error (a WorkbenchError, never a
bare KeyError, TypeError, ParseError or OverflowError), naming the file and the
line, element or record; the event log and the items are unchanged.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

import workbench as wb
import workbench.files
from workbench.kinds.video.formats import (
    CocoVideoFormatError,
    CvatFormatError,
    MotFormatError,
    VideoFormatError,
    from_coco_video,
    from_cvat_video,
    from_mot,
)
from workbench.media import write_video

FRAMES = 30


def schema() -> wb.Schema:
    return wb.Schema((
        wb.VideoTracks("objects", classes=["car", "person"], attributes=[
            wb.Attribute("parked"), wb.Attribute("speed", kind="number"),
            wb.Attribute("color", kind="choice", choices=["red", "blue"])]),
        wb.VideoTracks("lanes", classes=["lane"], shape="polygon"),
    ))  # fmt: skip


@pytest.fixture(scope="module")
def video_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "cam.mkv"
    write_video(path, np.zeros((FRAMES, 32, 48, 3), np.uint8), 10)
    return path


@pytest.fixture
def project(tmp_path, video_file):
    with wb.Project(tmp_path / "p.db", schema=schema(), annotator="ann") as p:
        p.add_video([str(video_file)], ids=["cam"])
        p.label("cam", [{"class": "car", "keyframes": [{"frame": 0, "bbox": [1, 1, 5, 5]}]}])
        yield p


def refused(project, call, error, match):
    log, items = project.events(), project.item_ids()
    with pytest.raises(error, match=match) as info:
        call()
    assert isinstance(info.value, wb.WorkbenchError)
    pd.testing.assert_frame_equal(project.events(), log)
    assert project.item_ids() == items


def test_every_video_format_error_is_a_workbench_error():
    for error in (MotFormatError, CvatFormatError, CocoVideoFormatError):
        assert issubclass(error, VideoFormatError) and issubclass(error, wb.WorkbenchError)
        assert issubclass(error, ValueError)


# -- MOT -------------------------------------------------------------------------------
GOOD = "1,1,10,10,5,5,1,-1,-1,-1\n"


@pytest.mark.parametrize(
    "line, match",
    [
        ("2,1,10,10,5,5", "line 2: 6 columns, and line 1 has 10"),
        ("2,1,10,10,5", "line 2: a MOT line is frame,id,.*got 5 columns"),
        ("2,1,10,10,5,5,1,-1", "line 2: a MOT line .*got 8 columns"),
        ("2,1,10,10,5,5,1,-1,-1,-1,7", "got 11 columns"),
        ("2,1,ten,10,5,5,1,-1,-1,-1", "line 2: column 3: a number, got 'ten'"),
        ("2,1,0x10,10,5,5,1,-1,-1,-1", "column 3: a number, got '0x10'"),
        ("2,1,1_000,10,5,5,1,-1,-1,-1", "column 3: a number, got '1_000'"),
        ("2,1,nan,10,5,5,1,-1,-1,-1", "column 3: a number, got 'nan'"),
        ("2,1,10,inf,5,5,1,-1,-1,-1", "column 4: a number, got 'inf'"),
        ("2,1,10,1e999,5,5,1,-1,-1,-1", "column 4: a finite number, got '1e999'"),
        ("-3,1,10,10,5,5,1,-1,-1,-1", "line 2: frame must be a whole number from 1"),
        ("0,1,10,10,5,5,1,-1,-1,-1", "line 2: frame must be a whole number from 1"),
        ("1.5,1,10,10,5,5,1,-1,-1,-1", "frame must be a whole number"),
        ("1e30,1,10,10,5,5,1,-1,-1,-1", "frame must be a whole number from 1 to 100000001"),
        ("31,1,10,10,5,5,1,-1,-1,-1", r"line 2: frame 31 is past the video's last frame \(30"),
        ("2,-1,10,10,5,5,1,-1,-1,-1", "line 2: id must be a whole number >= 0.*det.txt"),
        ("2,1e20,10,10,5,5,1,-1,-1,-1", "id must be a whole number >= 0"),
        ("1,1,11,11,5,5,1,-1,-1,-1", r"line 2: id 1 at frame 1 again \(line 1 has it\)"),
        ("2,1,10,10,0,5,1,-1,-1,-1", "line 2: bb_width and bb_height must be positive"),
        ("2,1,10,10,5,-2,1,-1,-1,-1", "bb_width and bb_height must be positive"),
        ("2,1,1e30,10,5,5,1,-1,-1,-1", "box coordinates must be at most 16777216"),
    ],
)
def test_mot_lines_that_do_not_fit_are_refused(project, tmp_path, line, match):
    path = tmp_path / "gt.txt"
    path.write_text(GOOD + line + "\n")
    refused(project, lambda: from_mot(project, path, item="cam", cls="car"), MotFormatError,
            rf"gt\.txt: .*{match}")  # fmt: skip


def test_mot_classes_that_do_not_fit_are_refused(project, tmp_path):
    path = tmp_path / "cam.txt"
    path.write_text("1,1,10,10,5,5,1,1,1.0\n2,1,10,10,5,5,1,2,1.0\n")
    refused(project, lambda: from_mot(project, path), MotFormatError,
            r"cam\.txt: line 1: class '1': pass class_ids= .* or cls=")  # fmt: skip
    plain = tmp_path / "plain.txt"
    plain.write_text(GOOD)
    no_class = r"plain\.txt: MOT tracks have no class, and task 'objects' has 2: pass cls="
    refused(project, lambda: from_mot(project, plain, item="cam"), MotFormatError, no_class)
    refused(project, lambda: from_mot(project, path, class_ids={"car": 1}), MotFormatError,
            r"cam\.txt: line 2: class '2' is not in class_ids")  # fmt: skip
    refused(project, lambda: from_mot(project, path, class_ids={"car": 1, "person": 2}),
            MotFormatError, r"line 2: id 1 is class 'person' here and 'car' on line 1")  # fmt: skip
    refused(project, lambda: from_mot(project, path, class_ids={"truck": 1}), MotFormatError,
            "task 'objects' has no class 'truck'")  # fmt: skip
    refused(project, lambda: from_mot(project, path, cls="truck"), MotFormatError,
            "has no class 'truck'")  # fmt: skip


def test_mot_files_that_are_not_text_files_are_refused(project, tmp_path, monkeypatch):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe1,1,1,1,1,1\n")
    refused(project, lambda: from_mot(project, bad, item="cam"), MotFormatError, "not UTF-8")
    refused(project, lambda: from_mot(project, tmp_path / "missing.txt", item="cam"),
            MotFormatError, "missing.txt: no such file")  # fmt: skip
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    refused(project, lambda: from_mot(project, fifo, item="cam"), MotFormatError,
            r"fifo\.txt: not a regular file")  # fmt: skip
    big = tmp_path / "big.txt"
    big.write_text(GOOD * 50)
    monkeypatch.setattr(workbench.files, "MAX_DATASET_BYTES", 100)
    refused(project, lambda: from_mot(project, big, item="cam"), MotFormatError,
            r"big\.txt: \d+ bytes, more than the 100 this importer reads")  # fmt: skip


def test_mot_files_must_name_a_video(project, tmp_path):
    folder = tmp_path / "mot"
    folder.mkdir()
    (folder / "cam.txt").write_text(GOOD)
    (folder / "unknown.txt").write_text(GOOD)
    refused(project, lambda: from_mot(project, folder, cls="car"), MotFormatError,
            r"unknown\.txt: no video item of file name 'unknown'; pass item=")  # fmt: skip
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(project, lambda: from_mot(project, empty), MotFormatError, "no .txt MOT files")
    secret = tmp_path / "secret.txt"
    secret.write_text("not a video")
    for item, match in [
        (str(secret), "cannot decode the video"),
        (str(tmp_path / "missing.mp4"), "no file at|cannot be added"),
        ("../../../../etc/passwd", "cannot decode the video|cannot be added"),
    ]:
        refused(project, lambda item=item: from_mot(project, folder / "cam.txt", item=item,
                                                    cls="car"), MotFormatError, match)  # fmt: skip
    # A track in view past the end of the video the file names.
    (folder / "unknown.txt").unlink()
    (folder / "cam.txt").write_text(GOOD + "30,1,10,10,5,5,1,-1,-1,-1\n31,2,1,1,1,1,1,-1,-1,-1\n")
    refused(project, lambda: from_mot(project, folder, cls="car"), MotFormatError,
            r"cam\.txt: line 3: frame 31 is past the video's last frame \(30; the video has "
            "30 frames\\)")  # fmt: skip


# -- CVAT ------------------------------------------------------------------------------
def cvat(*tracks: str, meta: str = "") -> str:
    head = '<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version>'
    return f"{head}<meta><task><size>30</size>{meta}</task></meta>{''.join(tracks)}</annotations>"


def box(frame=0, keyframe=1, outside=0, attrs="", **xy):
    c = {"xtl": 1, "ytl": 1, "xbr": 5, "ybr": 5, **xy}
    place = " ".join(f'{k}="{v}"' for k, v in c.items())
    return (f'<box frame="{frame}" keyframe="{keyframe}" outside="{outside}" occluded="0" '
            f"{place}>{attrs}</box>")  # fmt: skip


def track(*shapes, id="0", label="car"):  # noqa: A002 - the XML attribute
    return f'<track id="{id}" label="{label}" source="manual">{"".join(shapes)}</track>'


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<annotations><track id="0" label="&lol9;"/></annotations>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<annotations><track id="0" label="&xxe;"/></annotations>
"""


@pytest.mark.parametrize(
    "body, match",
    [
        (BILLION_LAUGHS, r"line 2: a <!DOCTYPE> declaration.*refused"),
        (EXTERNAL, r"line 2: a <!DOCTYPE> declaration"),
        ('<annotations><!ENTITY x "y"></annotations>', r"line 1: a <!ENTITY> declaration"),
        ("<annotations><track id='0' label='car'>", "malformed XML: no element found"),
        ("<annotations><box></annotations>", "malformed XML: mismatched tag"),
        ("not xml at all", "malformed XML"),
        ("<dataset/>", "the root element is <annotations>, got <dataset>"),
        ("<annotations><image id='0' name='a.jpg'/></annotations>", "a CVAT for images file"),
        (cvat(track(box()), meta="<frame_filter>step=2</frame_filter>"), "frame_filter 'step=2'"),
        (cvat(track(box()), meta="<start_frame>5</start_frame>"), "start_frame '5'"),
        (cvat(track(box(), label="truck")), r"track 1 \(id 0\): label 'truck' is no class"),
        (cvat(track(box(), id="-1")), "track 1: id must be a whole number >= 0, got '-1'"),
        (cvat(track(box(), id="9" * 30)), "id must be a whole number"),
        (cvat(track(box()), track(box(), id="0")), r"track 2: id 0 again \(track 1 has it\)"),
        (cvat(track()), r"track 1 \(id 0\): no box with keyframe=\"1\""),
        (cvat(track(box(frame=45))),
         r"track 1 \(id 0\), <box frame=\"45\">: frame 45 is past the video's last frame"),
        (cvat(track(box(frame=-1))), r"<box> 1: frame must be a whole number from 0"),
        (cvat(track(box(frame="1e9"))), "frame must be a whole number"),
        (cvat(track(box(), box())), r"<box frame=\"0\">: a second keyframe at frame 0"),
        (cvat(track(box(keyframe=2))), "keyframe must be 0 or 1, got '2'"),
        (cvat(track(box(xtl="nan"))), "xtl must be a finite number, got 'nan'"),
        (cvat(track(box(xbr="1e999"))), "xbr must be a finite number"),
        (cvat(track(box(ybr="1e300"))), "ybr must be at most 16777216"),
        (cvat(track(box(xbr=1))), "xbr and ybr must be greater than xtl and ytl"),
        (cvat(track('<box frame="0" keyframe="1" xtl="1" ytl="1" xbr="2"/>')), "no 'ybr'"),
        (cvat(track('<polygon frame="0" keyframe="1" points="1,1;2,2;3,1"/>')),
         r"<polygon> 1: a polygon shape, and task 'objects' draws boxes"),
        (cvat(track('<ellipse frame="0" keyframe="1" cx="1" cy="1" rx="1" ry="1"/>')),
         "an ellipse shape|a ellipse shape"),
        (cvat(track(box(attrs='<attribute name="parked">maybe</attribute>'))),
         r"attribute 'parked': true or false, got 'maybe'"),
        (cvat(track(box(attrs='<attribute name="speed">fast</attribute>'))),
         "attribute 'speed': a finite number, got 'fast'"),
        (cvat(track(box(attrs='<attribute name="speed">inf</attribute>'))),
         "attribute 'speed': a finite number"),
        (cvat(track(box(attrs='<attribute name="color">green</attribute>'))),
         r"attribute 'color': one of \['red', 'blue'\], got 'green'"),
        (cvat(track(box(attrs='<attribute name="size">3</attribute>'))),
         "attribute 'size' is no attribute of task 'objects'"),
    ],
)  # fmt: skip
def test_cvat_files_that_do_not_fit_are_refused(project, tmp_path, body, match):
    path = tmp_path / "annotations.xml"
    path.write_text(body, encoding="utf-8")
    refused(project, lambda: from_cvat_video(project, path, item="cam"), CvatFormatError,
            rf"annotations\.xml: .*{match}")  # fmt: skip


def test_cvat_polygons_that_do_not_fit_are_refused(project, tmp_path):
    path = tmp_path / "lanes.xml"
    for points, match in [
        ("1,1;2,2", "a polygon has three points or more, got 2"),
        ("1,1;2,2;x,3", "points are 'x1,y1;x2,y2;...', got 'x,3'"),
        ("1,1;2,2;3", "points are 'x1,y1;x2,y2;...'"),
        ("1,1;2,2;1e999,3", "points must be finite"),
    ]:
        path.write_text(cvat(track(f'<polygon frame="0" keyframe="1" points="{points}"/>',
                                   label="lane")))  # fmt: skip
        where = r'lanes\.xml: track 1 \(id 0\), <polygon frame="0">: '
        refused(project, lambda: from_cvat_video(project, path, item="cam", task="lanes"),
                CvatFormatError, where + match)  # fmt: skip
    path.write_text(cvat(track('<polygon frame="0" keyframe="1" points="1,1;2,2;3,1"/>',
                               '<polygon frame="5" keyframe="1" points="1,1;2,2;3,1;4,4"/>',
                               label="lane")))  # fmt: skip
    refused(project, lambda: from_cvat_video(project, path, item="cam", task="lanes"),
            CvatFormatError, "a polygon of 4 points, and the track's first has 3")  # fmt: skip


def test_cvat_files_that_are_not_utf8_xml_files_are_refused(project, tmp_path, monkeypatch):
    wide = tmp_path / "wide.xml"
    wide.write_bytes(BILLION_LAUGHS.replace('<?xml version="1.0"?>', "").encode("utf-16"))
    refused(project, lambda: from_cvat_video(project, wide, item="cam"), CvatFormatError,
            r"wide\.xml: not UTF-8 text")  # fmt: skip
    nul = tmp_path / "nul.xml"
    nul.write_bytes(b"<\x00!\x00DOCTYPE a>")
    refused(project, lambda: from_cvat_video(project, nul, item="cam"), CvatFormatError,
            r"nul\.xml: not UTF-8 text \(a NUL")  # fmt: skip
    fifo = tmp_path / "fifo.xml"
    os.mkfifo(fifo)
    refused(project, lambda: from_cvat_video(project, fifo, item="cam"), CvatFormatError,
            r"fifo\.xml: not a regular file")  # fmt: skip
    big = tmp_path / "big.xml"
    big.write_text(cvat(track(box())))
    monkeypatch.setattr(workbench.files, "MAX_DATASET_BYTES", 100)
    refused(project, lambda: from_cvat_video(project, big, item="cam"), CvatFormatError,
            r"big\.xml: \d+ bytes, more than the 100 this importer reads")  # fmt: skip


def test_cvat_files_must_name_a_video(project, tmp_path):
    folder = tmp_path / "cvat"
    folder.mkdir()
    (folder / "other.xml").write_text(cvat(track(box())))
    unnamed = r"other\.xml: no video item of file name 'other', and the file names no source"
    refused(project, lambda: from_cvat_video(project, folder), CvatFormatError, unnamed)
    named = cvat(track(box())).replace("</task>", "</task><source>/etc/passwd</source>")
    (folder / "other.xml").write_text(named)
    refused(project, lambda: from_cvat_video(project, folder), CvatFormatError,
            "cannot decode the video|cannot be added")  # fmt: skip


# -- COCO ------------------------------------------------------------------------------
def coco(**changes):
    data = {
        "videos": [{"id": 1, "item_id": "cam", "name": "cam"}],
        "images": [{"id": 1, "video_id": 1, "frame_index": 0},
                   {"id": 2, "video_id": 1, "frame_index": 1}],
        "categories": [{"id": 3, "name": "car"}, {"id": 4, "name": "truck"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "track_id": 5,
                         "bbox": [1, 1, 4, 4], "attributes": {"occluded": False}}],
    }  # fmt: skip
    for key, value in changes.items():
        if key.startswith("ann_"):
            data["annotations"][0][key[4:]] = value
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    "data, match",
    [
        ([1, 2], "a COCO file is an object"),
        ({"images": []}, "no 'videos' list: a COCO file of images"),
        (coco(videos={"id": 1}), "field 'videos': a list"),
        (coco(videos=[1]), r"videos\[0\]: an object"),
        (coco(videos=[{"id": "1"}]), r"videos\[0\]: field 'id': a whole number"),
        (coco(videos=[{"id": 1, "item_id": 7}]), r"videos\[0\]: field 'item_id': a string"),
        (coco(videos=[{"id": 1}, {"id": 1}]), r"videos\[1\]: video id 1 again"),
        (coco(images=[{"id": 1, "video_id": 9, "frame_index": 0}]),
         r"images\[0\]: field 'video_id': no video 9"),
        (coco(images=[{"id": 1, "video_id": 1, "frame_index": "0"}]),
         r"images\[0\]: field 'frame_index': a whole number"),
        (coco(images=[{"id": 1, "video_id": 1, "frame_index": -1}]), "frame_index"),
        (coco(images=[{"id": 1, "video_id": 1, "frame_index": True}]), "frame_index"),
        (coco(images=[{"id": 1, "video_id": 1}]), "field 'frame_id': a whole number"),
        (coco(images=[{"id": 1, "video_id": 1, "frame_index": 0},
                      {"id": 2, "video_id": 1, "frame_index": 0}]),
         r"images\[1\]: frame 0 of video 1 again \(image id 1\)"),
        (coco(ann_image_id=9), r"annotations\[0\] \(id 1\): field 'image_id': no image 9"),
        (coco(ann_category_id=7), "field 'category_id': no category 7"),
        (coco(ann_category_id=4), "category 'truck' is no class of task 'objects'"),
        (coco(ann_track_id="5"), "field 'track_id': a whole number"),
        (coco(ann_track_id=5.5), "field 'track_id': a whole number"),
        (coco(ann_bbox=[1, 1, 4]), "field 'bbox': a list of 4 finite numbers"),
        (coco(ann_bbox="1,1,4,4"), "field 'bbox': a list of 4"),
        (coco(ann_bbox=[1, float("nan"), 4, 4]), "field 'bbox': a list of 4 finite numbers"),
        (coco(ann_bbox=[1, 1, 0, 4]), "width and height must be positive"),
        (coco(ann_iscrowd=1), "a crowd region"),
        (coco(ann_attributes=[1]), "field 'attributes': an object"),
        (coco(ann_attributes={"occluded": "yes"}), "'attributes.occluded': true or false"),
        (coco(ann_attributes={"parked": 1}), "'attributes.parked': true or false, got 1"),
        (coco(ann_attributes={"speed": "3"}), "'attributes.speed': a finite number"),
        (coco(ann_attributes={"color": "green"}), "'attributes.color': one of"),
        (coco(ann_score=2), "field 'score': a number from 0 to 1"),
        (coco(ann_score=True), "field 'score': a number from 0 to 1"),
        (coco(ann_video_id=2), "field 'video_id' is 2, and its image is of video 1"),
        (coco(images=[{"id": 1, "video_id": 1, "frame_index": 45}]),
         r"videos\[0\] \(id 1\): annotations\[0\] \(id 1\): frame 45 is past the video's last"),
        (coco(videos=[{"id": 1, "item_id": "nope"}]),
         "item 'nope' is not in the project and no file names it"),
        (coco(videos=[{"id": 1, "file_name": "/etc/passwd"}]), "cannot decode the video"),
    ],
)  # fmt: skip
def test_coco_video_records_that_do_not_fit_are_refused(project, data, match):
    refused(project, lambda: from_coco_video(project, data), CocoVideoFormatError,
            rf"<COCO video>: .*{match}")  # fmt: skip


def test_coco_tracks_across_videos_frames_and_classes_are_refused(project, tmp_path, video_file):
    two = coco()
    two["videos"].append({"id": 2, "file_name": str(video_file)})
    two["images"].append({"id": 3, "video_id": 2, "frame_index": 0})
    two["annotations"].append({**two["annotations"][0], "id": 2, "image_id": 3})
    refused(project, lambda: from_coco_video(project, two), CocoVideoFormatError,
            r"annotations\[1\] \(id 2\): track 5 is in video 2 here and in video 1 at "
            r"annotations\[0\]")  # fmt: skip
    again = coco()
    again["annotations"].append({**again["annotations"][0], "id": 2})
    refused(project, lambda: from_coco_video(project, again), CocoVideoFormatError,
            r"annotations\[1\] \(id 2\): track 5 at frame 0 again \(annotations\[0\]")  # fmt: skip
    classes = coco()
    classes["categories"].append({"id": 6, "name": "person"})
    classes["annotations"].append({**classes["annotations"][0], "id": 2, "image_id": 2,
                                   "category_id": 6})  # fmt: skip
    refused(project, lambda: from_coco_video(project, classes), CocoVideoFormatError,
            "track 5 is 'person' here and 'car' at annotations")  # fmt: skip
    seg = coco(ann_segmentation={"counts": "abc", "size": [1, 1]}, ann_category_id=7,
               categories=[{"id": 7, "name": "lane"}])  # fmt: skip
    refused(project, lambda: from_coco_video(project, seg, task="lanes"), CocoVideoFormatError,
            "field 'segmentation': one polygon")  # fmt: skip
    odd = coco(ann_segmentation=[[1, 1, 2, 2, 3]], ann_category_id=7,
               categories=[{"id": 7, "name": "lane"}])  # fmt: skip
    refused(project, lambda: from_coco_video(project, odd, task="lanes"), CocoVideoFormatError,
            "a polygon of three points or more")  # fmt: skip


def test_coco_video_files_are_read_safely(project, tmp_path, monkeypatch):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    refused(project, lambda: from_coco_video(project, deep), CocoVideoFormatError,
            "JSON nested too deeply|not JSON")  # fmt: skip
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe{}")
    refused(project, lambda: from_coco_video(project, bad), CocoVideoFormatError, "not UTF-8")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    refused(project, lambda: from_coco_video(project, fifo), CocoVideoFormatError,
            r"fifo\.json: not a regular file")  # fmt: skip
    big = tmp_path / "big.json"
    big.write_text(json.dumps(coco()))
    monkeypatch.setattr(workbench.files, "MAX_DATASET_BYTES", 100)
    refused(project, lambda: from_coco_video(project, big), CocoVideoFormatError,
            r"big\.json: \d+ bytes, more than the 100 this importer reads")  # fmt: skip


def test_a_good_import_after_refusals_still_works(project, tmp_path):
    """The refusals above leave nothing behind: the same project takes a good file."""
    path = tmp_path / "cam.txt"
    path.write_text(GOOD + "2,1,12,10,5,5,1,-1,-1,-1\n")
    refused(project, lambda: from_mot(project, path, item="cam"), MotFormatError, "pass cls=")
    assert from_mot(project, path, cls="person") == 1
    value = project.labels("objects").set_index("item_id").loc["cam", "label"]
    assert value["tracks"][0]["class"] == "person"
    assert [k["frame"] for k in value["tracks"][0]["keyframes"]] == [0, 1, 2]
