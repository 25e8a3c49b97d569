"""COCO JSON per frame, with the videos and tracks of COCO-VID and TAO: one image
per frame that shows a shape, one annotation per shape shown, tied to its track.

::

    {"videos": [{"id", "name", "file_name", "item_id", "width", "height", "length", "fps"}],
     "images": [{"id", "file_name": "<video name>/<frame:06d>.jpg", "video_id",
                 "frame_index", "frame_id", "width", "height"}],
     "categories": [{"id", "name", "supercategory"}],
     "annotations": [{"id", "image_id", "video_id", "category_id", "track_id",
                      "instance_id", "bbox": [x, y, w, h], "area", "iscrowd": 0,
                      "segmentation": [[x1, y1, x2, y2, ...]] (polygons; [] for boxes),
                      "attributes": {"occluded", <the track's attributes>},
                      "score" (a keyframe's)}]}

``frame_index`` (TAO) and ``frame_id`` (COCO-VID, mmtracking) are the 0-based
frame; ``track_id`` and ``instance_id`` the track, numbered across the file
(``t1`` … ``tN`` of each video in their order; other ids in track order, named
in the warning). Categories are numbered 1…K in the task's class order.

**Export** (:func:`to_coco_video`): every frame a track shows, interpolated
between keyframes and held after the last to the video's end or an ``outside``
keyframe. What it cannot hold is named in one warning
(:class:`CocoVideoFormatError` with ``strict=True``): ids other than ``t1`` …
``tN``, and an attribute named ``occluded`` (COCO's own flag). Which frames were
keyframes is not kept: an import gives back the same shapes at every frame.

**Import** (:func:`from_coco_video`): annotations grouped by video and track
like :func:`~workbench.kinds.video.formats.mot.from_mot` (a frame missing from a
track after a listed one is an ``outside`` keyframe, as is the frame after its
last unless that is the video's end; ``keyframes="changes"`` keeps only the
frames where the shape changes course: exactly, or for shapes in whole pixels to
within ``tolerance`` px; a frame with a score is kept). Categories are matched
to classes by name. A video is found by ``item_id`` when the project has it,
else by its ``file_name`` (or ``name``):
the video item of that URI or file name, or a new one when the file exists. A
wrong type, an unknown category or image, a track in several videos or of
several categories, a crowd region, a box of no size or a frame past the
video's end is a :class:`CocoVideoFormatError` naming the file and the record,
and nothing is stored.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ....files import load_json, read_bytes
from ....schema import Attribute, describe, finite_number
from ..schema import MAX_COORDINATE, MAX_FRAME, VideoTracks
from ._common import (
    KEYFRAME_MODES,
    TOLERANCE,
    Incoming,
    Losses,
    VideoFormatError,
    dense_keyframes,
    labeled_videos,
    not_imported,
    store_videos,
    track_frames,
    track_numbers,
    video_file,
    video_info,
    video_names,
    video_task,
)

__all__ = ["to_coco_video", "from_coco_video", "CocoVideoFormatError"]

#: Keys of an annotation's ``attributes`` other tools write that a track has no
#: place for (CVAT's COCO export): skipped without a word.
_OTHER_TOOLS = frozenset({"keyframe", "rotation", "track_id", "z_order"})


class CocoVideoFormatError(VideoFormatError):
    """A COCO video file is malformed or does not fit the project; the message
    names the file and the record (video, image, annotation)."""


def _area(points: list[list[float]]) -> float:
    """A polygon's area (the shoelace formula)."""
    s = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2


def to_coco_video(
    project: Any,
    path: str | os.PathLike | None = None,
    *,
    task: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> dict[str, Any]:
    """The current labels of a video-tracks task as COCO per frame (module
    docstring); also written to ``path`` as JSON when given."""
    t = video_task(project, task, "COCO video")
    losses = Losses()
    videos = list(labeled_videos(project, t, "COCO video export", progress))
    names = video_names([r for _, r, _ in videos])
    category = {c: k for k, c in enumerate(t.class_names, start=1)}
    attrs = [a for a in t.attributes if a.name != "occluded"]
    if len(attrs) < len(t.attributes):
        losses.drop("attribute", "'occluded' is COCO's own flag")
    out: dict[str, Any] = {
        "info": {"description": f"workbench task {t.name!r}", "version": "1.0"},
        "licenses": [], "videos": [], "images": [], "annotations": [],
        "categories": [{"id": k, "name": c, "supercategory": ""} for c, k in category.items()],
    }  # fmt: skip
    offset = 0
    for vid, (item_id, record, value) in enumerate(videos, start=1):
        info = video_info(project, record, CocoVideoFormatError)
        out["videos"].append({"id": vid, "name": names[item_id], "file_name": video_file(record),
                              "item_id": item_id, "width": info.width, "height": info.height,
                              "length": info.frames, "fps": info.fps})  # fmt: skip
        numbers, ids_kept = track_numbers(value)
        losses.tracks(t, value, keep=("class", "attributes", "occluded", "score",
                                      "outside geometry"), ids_kept=ids_kept)  # fmt: skip
        shapes: dict[int, list[dict[str, Any]]] = {}
        for number, track in zip(numbers, value["tracks"], strict=True):
            given = {a.name: track["attributes"].get(a.name, a.default) for a in attrs}
            for frame, geo, occluded, score, _ in track_frames(track, info.frames):
                ann: dict[str, Any] = {
                    "video_id": vid, "category_id": category[track["class"]],
                    "track_id": offset + number, "instance_id": offset + number,
                }  # fmt: skip
                if t.shape == "box":
                    ann["bbox"], ann["area"], ann["segmentation"] = list(geo), geo[2] * geo[3], []
                else:
                    xs, ys = [p[0] for p in geo], [p[1] for p in geo]
                    ann["bbox"] = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
                    ann["area"] = _area(geo)
                    ann["segmentation"] = [[c for p in geo for c in p]]
                ann["iscrowd"] = 0
                ann["attributes"] = {"occluded": occluded, **given}
                if score is not None:
                    ann["score"] = score
                shapes.setdefault(frame, []).append(ann)
        offset += len(numbers)
        name = names[item_id]
        for frame in sorted(shapes):
            image_id = len(out["images"]) + 1
            out["images"].append({"id": image_id, "file_name": f"{name}/{frame:06d}.jpg",
                                  "video_id": vid, "frame_index": frame, "frame_id": frame,
                                  "width": info.width, "height": info.height})  # fmt: skip
            for ann in sorted(shapes[frame], key=lambda a: a["track_id"]):
                out["annotations"].append(
                    {"id": len(out["annotations"]) + 1, "image_id": image_id, **ann}
                )
    losses.report(t, "COCO video", strict, CocoVideoFormatError)
    if path is not None:
        Path(path).write_text(json.dumps(out, ensure_ascii=False, allow_nan=False),
                              encoding="utf-8")  # fmt: skip
    return out


def from_coco_video(
    project: Any,
    source: str | os.PathLike | Mapping[str, Any],
    *,
    task: str | None = None,
    keyframes: str = "changes",
    tolerance: float = TOLERANCE,
    annotator: str | None = None,
    progress: bool | None = None,
) -> int:
    """Import a COCO video file (or its dict) as labels of a video-tracks task;
    returns how many labels were written (one per listed video). All or nothing
    (module docstring)."""
    t = video_task(project, task, "COCO video")
    if keyframes not in KEYFRAME_MODES:
        raise ValueError(f"keyframes must be one of {list(KEYFRAME_MODES)}, got {keyframes!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not (
        0 <= tolerance < math.inf
    ):  # fmt: skip
        raise ValueError(f"tolerance is a number of pixels >= 0, got {tolerance!r}")
    base = None
    if isinstance(source, str | os.PathLike):
        where = os.fspath(source)
        data = load_json(read_bytes(where, CocoVideoFormatError), where, CocoVideoFormatError)
        base = os.path.dirname(os.path.abspath(where))
    else:  # the data itself (what json.load gave: checked as a file's would be)
        where, data = "<COCO video>", source
    dropped: Counter = Counter()
    videos = _read(t, data, where, keyframes, tolerance, dropped)
    written = store_videos(project, t, videos, CocoVideoFormatError, annotator=annotator,
                           base=base, progress=progress, desc="COCO video import")  # fmt: skip
    not_imported(where, dropped)
    return written


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    v = data.get(key, [] if key != "videos" else None)
    if not isinstance(v, list):
        raise CocoVideoFormatError(f"{where}: field {key!r}: a list, got {describe(v)}")
    for i, x in enumerate(v):
        if not isinstance(x, Mapping):
            raise CocoVideoFormatError(f"{where}: {key}[{i}]: an object, got {describe(x)}")
    return v


def _int(v: Any, at: str, what: str, lo: int = 0, hi: int = 2**63 - 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise CocoVideoFormatError(
            f"{at}: field {what!r}: a whole number from {lo} to {hi}, got {describe(v)}"
        )
    return v


def _numbers(v: Any, at: str, what: str, n: int | None = None) -> list[float]:
    ok = isinstance(v, list) and (n is None or len(v) == n)
    out = [finite_number(x) for x in v] if ok else []
    if not ok or any(x is None or abs(x) > MAX_COORDINATE for x in out):
        size = f"{n} " if n else ""
        raise CocoVideoFormatError(
            f"{at}: field {what!r}: a list of {size}finite numbers of at most {MAX_COORDINATE} "
            f"in magnitude, got {describe(v)}"
        )
    return out  # type: ignore[return-value]


def _read(
    t: VideoTracks, data: Any, where: str, keyframes: str, tolerance: float, dropped: Counter
) -> list[Incoming]:
    if not isinstance(data, Mapping):
        raise CocoVideoFormatError(f"{where}: a COCO file is an object, got {describe(data)}")
    if "videos" not in data:
        raise CocoVideoFormatError(
            f"{where}: no 'videos' list: a COCO file of images, not of videos (COCO-VID, TAO)"
        )
    videos, images = _list(data, "videos", where), _list(data, "images", where)
    categories, annotations = _list(data, "categories", where), _list(data, "annotations", where)
    incoming: dict[int, Incoming] = {}
    for i, v in enumerate(videos):
        at = f"{where}: videos[{i}]"
        vid = _int(v.get("id"), at, "id", -(2**63))
        if vid in incoming:
            raise CocoVideoFormatError(f"{at}: video id {vid} again")
        fields = {}
        for key in ("item_id", "file_name", "name"):
            x = v.get(key)
            if x is not None and not isinstance(x, str):
                raise CocoVideoFormatError(f"{at}: field {key!r}: a string, got {describe(x)}")
            fields[key] = x
        incoming[vid] = Incoming(f"{where}: videos[{i}] (id {vid})", item_id=fields["item_id"],
                                 file=fields["file_name"] or fields["name"],
                                 implied_end=True)  # fmt: skip
    classes = {}
    for i, c in enumerate(categories):
        at = f"{where}: categories[{i}]"
        cid = _int(c.get("id"), at, "id", -(2**63))
        if cid in classes:
            raise CocoVideoFormatError(f"{at}: category id {cid} again")
        name = c.get("name")
        if not isinstance(name, str):
            raise CocoVideoFormatError(f"{at}: field 'name': a string, got {describe(name)}")
        classes[cid] = name
    frame_of: dict[int, tuple[int, int]] = {}
    taken: dict[tuple[int, int], int] = {}
    for i, im in enumerate(images):
        at = f"{where}: images[{i}]"
        iid = _int(im.get("id"), at, "id", -(2**63))
        if iid in frame_of:
            raise CocoVideoFormatError(f"{at}: image id {iid} again")
        vid = im.get("video_id")
        if isinstance(vid, bool) or vid not in incoming:
            raise CocoVideoFormatError(f"{at}: field 'video_id': no video {describe(vid)}")
        key = "frame_index" if "frame_index" in im else "frame_id"
        frame = _int(im.get(key), at, key, 0, MAX_FRAME)
        if (vid, frame) in taken:
            raise CocoVideoFormatError(
                f"{at}: frame {frame} of video {vid} again (image id {taken[vid, frame]})"
            )
        taken[vid, frame] = iid
        frame_of[iid] = (vid, frame)
    attrs = {a.name: a for a in t.attributes}
    # track id -> its video, class, attributes, {frame: observation}, {frame: where}
    tracks: dict[int, dict[str, Any]] = {}
    for i, ann in enumerate(annotations):
        at = f"annotations[{i}]" + (f" (id {describe(ann['id'])})" if "id" in ann else "")
        full = f"{where}: {at}"
        iid = ann.get("image_id")
        if isinstance(iid, bool) or iid not in frame_of:
            raise CocoVideoFormatError(f"{full}: field 'image_id': no image {describe(iid)}")
        vid, frame = frame_of[iid]
        if ann.get("video_id") is not None and ann.get("video_id") != vid:
            raise CocoVideoFormatError(
                f"{full}: field 'video_id' is {describe(ann.get('video_id'))}, and its image "
                f"is of video {vid}"
            )
        cid = ann.get("category_id")
        if isinstance(cid, bool) or cid not in classes:
            raise CocoVideoFormatError(f"{full}: field 'category_id': no category {describe(cid)}")
        cls = classes[cid]
        if cls not in t.class_names:
            raise CocoVideoFormatError(
                f"{full}: category {cls!r} is no class of task {t.name!r}; classes: {t.class_names}"
            )
        key = "track_id" if "track_id" in ann else "instance_id"
        if key not in ann:
            raise CocoVideoFormatError(f"{full}: no 'track_id' (or 'instance_id'): no track")
        tid = _int(ann[key], full, key, -(2**63))
        if ann.get("iscrowd", 0) not in (0, False):
            raise CocoVideoFormatError(f"{full}: a crowd region (iscrowd), which a track cannot be")
        obs: dict[str, Any] = {"frame": frame}
        if t.shape == "box":
            box = _numbers(ann.get("bbox"), full, "bbox", 4)
            if box[2] <= 0 or box[3] <= 0:
                raise CocoVideoFormatError(
                    f"{full}: field 'bbox': width and height must be positive, got {box}"
                )
            obs["bbox"] = box
            if ann.get("segmentation"):
                dropped["segmentation{s} of a box"] += 1
        else:
            seg = ann.get("segmentation")
            if not isinstance(seg, list) or len(seg) != 1:
                raise CocoVideoFormatError(
                    f"{full}: field 'segmentation': one polygon [[x1, y1, x2, y2, ...]], "
                    f"got {describe(seg)}"
                )
            flat = _numbers(seg[0], full, "segmentation")
            if len(flat) % 2 or len(flat) < 6:
                raise CocoVideoFormatError(
                    f"{full}: field 'segmentation': a polygon of three points or more (an even "
                    f"count of numbers), got {len(flat)} numbers"
                )
            obs["points"] = [[flat[j], flat[j + 1]] for j in range(0, len(flat), 2)]
        score = ann.get("score")
        if score is not None:
            s = finite_number(score)
            if isinstance(score, bool) or s is None or not 0 <= s <= 1:
                raise CocoVideoFormatError(
                    f"{full}: field 'score': a number from 0 to 1, got {describe(score)}"
                )
            obs["score"] = s
        given = ann.get("attributes", {})
        if not isinstance(given, Mapping):
            raise CocoVideoFormatError(
                f"{full}: field 'attributes': an object, got {describe(given)}"
            )
        occluded = given.get("occluded", False)
        if not isinstance(occluded, bool):
            raise CocoVideoFormatError(
                f"{full}: field 'attributes.occluded': true or false, got {describe(occluded)}"
            )
        obs["occluded"] = occluded
        values = {}
        for name, v in given.items():
            if name == "occluded" or name in _OTHER_TOOLS:
                continue
            if name not in attrs:
                dropped[f"value{{s}} of attribute {name!r} (no attribute of the task)"] += 1
                continue
            values[name] = _attribute(attrs[name], v, f"{full}: field 'attributes.{name}'")
        track = tracks.setdefault(tid, {"video": vid, "class": cls, "attributes": values,
                                        "frames": {}, "at": {}, "first": at})  # fmt: skip
        if track["video"] != vid:
            raise CocoVideoFormatError(
                f"{full}: track {tid} is in video {vid} here and in video {track['video']} "
                f"at {track['first']}"
            )
        if track["class"] != cls:
            raise CocoVideoFormatError(
                f"{full}: track {tid} is {cls!r} here and {track['class']!r} at {track['first']}"
            )
        if frame in track["frames"]:
            raise CocoVideoFormatError(
                f"{full}: track {tid} at frame {frame} again ({track['at'][frame]} has it)"
            )
        if "points" in obs:
            first = next(iter(track["frames"].values()), None)
            if first is not None and len(first["points"]) != len(obs["points"]):
                raise CocoVideoFormatError(
                    f"{full}: a polygon of {len(obs['points'])} points, and track {tid} has "
                    f"{len(first['points'])} at {track['first']} (a track's polygons have the "
                    "same number of points)"
                )
        if values != track["attributes"]:
            dropped["attribute value{s} changing along a track (its first kept)"] += 1
        track["frames"][frame] = obs
        track["at"][frame] = at
    by_video: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for tid, track in tracks.items():
        by_video.setdefault(track["video"], []).append((tid, track))
    for vid, video in incoming.items():
        for index, (_, track) in enumerate(sorted(by_video.get(vid, []), key=lambda x: x[0])):
            observed = [track["frames"][f] for f in sorted(track["frames"])]
            keys = dense_keyframes(observed, keyframes, tolerance)
            video.tracks.append({"id": f"t{index + 1}", "class": track["class"],
                                 "attributes": track["attributes"], "keyframes": keys})  # fmt: skip
            video.at.update({(index, f): a for f, a in track["at"].items()})
    return list(incoming.values())


def _attribute(a: Attribute, v: Any, at: str) -> Any:
    """A JSON value as the task's attribute takes it (JSON keeps types)."""
    ok = {
        "bool": isinstance(v, bool),
        "choice": isinstance(v, str) and v in a.choices,
        "text": isinstance(v, str),
        "number": v is None or (not isinstance(v, bool) and finite_number(v) is not None),
    }[a.kind]
    if not ok:
        expected = {"bool": "true or false", "choice": f"one of {list(a.choices)}",
                    "text": "a string", "number": "a finite number"}[a.kind]  # fmt: skip
        raise CocoVideoFormatError(f"{at}: {expected}, got {describe(v)}")
    return float(v) if a.kind == "number" and v is not None else v
