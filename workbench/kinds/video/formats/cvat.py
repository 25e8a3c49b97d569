"""CVAT for video 1.1 XML: the tracks of one video as CVAT exports and imports them.

::

    <annotations>
      <version>1.1</version>
      <meta><task><name/><size>frames</size><mode>interpolation</mode>
        <labels>...</labels>
        <original_size><width/><height/></original_size></task>
        <source>file name</source></meta>
      <track id="0" label="car" source="manual">
        <box frame="0" keyframe="1" outside="0" occluded="0"
             xtl="10" ytl="20" xbr="50" ybr="60" z_order="0">
          <attribute name="parked">false</attribute>
        </box>
        <polygon frame="5" keyframe="1" ... points="x1,y1;x2,y2;x3,y3"/>
      </track>
    </annotations>

**Export** (:func:`to_cvat_video`): one XML file per labeled video, every
keyframe a shape with ``keyframe="1"`` (CVAT interpolates between them, as
workbench does, and its importer takes them), ``outside`` keyframes too (with
the shape the track had just before, as CVAT writes them); the track's
attributes as ``<attribute>`` children of each shape; the task's classes and
attributes as the ``<labels>`` of ``<meta>``. Track ids are 0-based (``t1`` is
0 … ``tN`` is N-1; other ids are numbered in track order and named in the
warning). Keyframe scores (CVAT has none) and the geometry of ``outside``
keyframes (read back as nothing) are named in one warning
(:class:`CvatFormatError` with ``strict=True``). Everything else comes back
exactly: an export then an import gives the same value. Coordinates are written
to the last bit; CVAT writes a box's corners, and a width is read back as the
shortest decimal that gives the same corner (two-decimal boxes exactly, others
to within a unit in the last place).

**Import** (:func:`from_cvat_video`): shapes with ``keyframe="1"`` are keyframes;
``keyframe="0"`` shapes are CVAT's interpolated positions, implied by the
keyframes, and skipped. ``outside`` and ``occluded`` flags are read; an outside
shape's geometry is not kept (it shows nothing). Attributes are typed by the
task's attribute kinds (``true``/``false``, numbers, one of the choices); a
track whose attribute changes along it (CVAT's mutable attributes) keeps its
first keyframe's value, and the changes are named in a warning, as are frame
``<tag>``\\ s. Track ids become ``t1`` … ``tN`` in the order of the file's ids.
The file is parsed without a DTD: a ``<!DOCTYPE`` or ``<!ENTITY`` (billion
laughs, external entities) is refused, as are malformed XML, an unknown label or
attribute, a bad attribute value, a shape the task does not draw, a frame past
the video's end and a file with a frame filter or start frame (its frames are
not the video's): a :class:`CvatFormatError` naming the file, the track and the
shape, and nothing is stored.
"""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ....files import read_bytes
from ....schema import Attribute
from ..schema import MAX_COORDINATE, MAX_FRAME, VideoTracks
from ..tracks import shape_at
from ._common import (
    NUMBER,
    Incoming,
    Losses,
    VideoFormatError,
    labeled_videos,
    not_imported,
    number_text,
    plural,
    store_videos,
    track_numbers,
    video_file,
    video_info,
    video_names,
    video_stems,
    video_task,
)

__all__ = ["to_cvat_video", "from_cvat_video", "CvatFormatError"]

_SHAPES = ("box", "polygon", "polyline", "points", "ellipse", "mask", "cuboid", "skeleton")
_TAG = {"box": "box", "polygon": "polygon"}
_INPUT = {"bool": "checkbox", "choice": "select", "number": "number", "text": "text"}
# Characters XML 1.0 cannot hold, even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class CvatFormatError(VideoFormatError):
    """A CVAT XML file is malformed or does not fit the project; the message names
    the file, the track and the shape."""


class _Writer:
    """XML text, escaped so that a parser gives back every character (``\\r`` and,
    in attributes, tabs and line breaks as character references)."""

    def __init__(self, losses: Losses) -> None:
        self.losses = losses

    def _clean(self, text: str, what: str) -> str:
        if _NOT_XML.search(text):
            self.losses.change(what, "characters XML cannot hold written as U+FFFD")
            text = _NOT_XML.sub("\ufffd", text)
        return text

    def text(self, text: str, what: str = "text") -> str:
        text = self._clean(text, what).replace("&", "&amp;").replace("<", "&lt;")
        return text.replace(">", "&gt;").replace("\r", "&#13;")

    def attr(self, text: str, what: str = "text") -> str:
        text = self.text(text, what).replace('"', "&quot;")
        return text.replace("\n", "&#10;").replace("\t", "&#9;")


def _attribute_text(a: Attribute, v: Any) -> str:
    if a.kind == "bool":
        return "true" if v else "false"
    if a.kind == "number":
        return "" if v is None else number_text(v)
    return str(v)


def _labels(t: VideoTracks, w: _Writer) -> list[str]:
    kind = "rectangle" if t.shape == "box" else "polygon"
    out = ["    <labels>"]
    for c in t.classes:
        out += ["      <label>", f"        <name>{w.text(c.name, 'class name')}</name>",
                f"        <color>{w.text(c.color or '')}</color>", f"        <type>{kind}</type>",
                "        <attributes>"]  # fmt: skip
        for a in t.attributes:
            if a.kind == "choice":
                values = "\n".join(a.choices)
            elif a.kind == "bool":
                values = "false\ntrue"
            elif a.kind == "number":
                values = f"{-MAX_COORDINATE}\n{MAX_COORDINATE}\n0.01"
            else:
                values = _attribute_text(a, a.default)
            out += ["          <attribute>",
                    f"            <name>{w.text(a.name, 'attribute name')}</name>",
                    "            <mutable>False</mutable>",
                    f"            <input_type>{_INPUT[a.kind]}</input_type>",
                    f"            <default_value>{w.text(_attribute_text(a, a.default))}"
                    "</default_value>",
                    f"            <values>{w.text(values)}</values>",
                    "          </attribute>"]  # fmt: skip
        out += ["        </attributes>", "      </label>"]
    out.append("    </labels>")
    return out


def _geometry(track: Mapping[str, Any], k: Mapping[str, Any], shape: str) -> Any:
    """A keyframe's geometry, or for an outside one without any the shape the track
    had just before it (the nearest keyframe's, or a unit shape)."""
    geo = "bbox" if shape == "box" else "points"
    if geo in k:
        return k[geo]
    before = shape_at(track, k["frame"] - 1) if k["frame"] > 0 else None
    if before is not None:
        return before[geo]
    near = sorted((abs(o["frame"] - k["frame"]), o["frame"]) for o in track["keyframes"]
                  if geo in o)  # fmt: skip
    if near:
        return next(o[geo] for o in track["keyframes"] if o["frame"] == near[0][1])
    return [0.0, 0.0, 1.0, 1.0] if shape == "box" else [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]


def to_cvat_video(
    project: Any,
    path_or_folder: str | os.PathLike,
    *,
    task: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> dict[str, Path]:
    """Write one CVAT for video 1.1 XML file per labeled video into a folder (made
    if missing): ``<file name without extension>.xml`` for a video added by URI
    (the item id where two share a name, and for a clip added as an array); or to
    an ``.xml`` path when one video is labeled. Returns ``{item_id: path}``."""
    t = video_task(project, task, "CVAT for video")
    target = Path(path_or_folder)
    losses = Losses()
    w = _Writer(losses)
    videos = list(labeled_videos(project, t, "CVAT export", progress))
    if target.suffix.lower() == ".xml" and len(videos) != 1:
        raise CvatFormatError(
            f"{target}: one file holds one video, and {plural(len(videos), 'video')} are labeled; "
            "give a folder"
        )
    names = video_names([r for _, r, _ in videos])
    labels = _labels(t, w)
    tag = _TAG[t.shape]
    bodies = []
    for item_id, record, value in videos:
        info = video_info(project, record, CvatFormatError)
        numbers, ids_kept = track_numbers(value, first=0)
        losses.tracks(t, value, keep=("class", "attributes", "occluded"), ids_kept=ids_kept)
        lines = ['<?xml version="1.0" encoding="utf-8"?>', "<annotations>",
                 "  <version>1.1</version>", "  <meta>", "  <task>",
                 f"    <name>{w.text(item_id, 'item id')}</name>",
                 f"    <size>{info.frames}</size>", "    <mode>interpolation</mode>",
                 "    <overlap>0</overlap>", "    <start_frame>0</start_frame>",
                 f"    <stop_frame>{max(info.frames - 1, 0)}</stop_frame>",
                 "    <frame_filter></frame_filter>", *labels,
                 "    <original_size>", f"      <width>{info.width}</width>",
                 f"      <height>{info.height}</height>", "    </original_size>", "  </task>",
                 f"  <source>{w.text(Path(video_file(record)).name, 'file name')}</source>",
                 "  </meta>"]  # fmt: skip
        for number, track in zip(numbers, value["tracks"], strict=True):
            lines.append(f'  <track id="{number}" label="{w.attr(track["class"], "class name")}" '
                         'source="manual">')  # fmt: skip
            given = track["attributes"]
            children = [
                f'      <attribute name="{w.attr(a.name, "attribute name")}">'
                f"{w.text(_attribute_text(a, given.get(a.name, a.default)), 'attribute')}"
                "</attribute>"
                for a in t.attributes
            ]
            for k in track["keyframes"]:
                geo = _geometry(track, k, t.shape)
                if t.shape == "box":
                    x, y, bw, bh = geo
                    place = (
                        f'xtl="{number_text(x)}" ytl="{number_text(y)}" '
                        f'xbr="{number_text(x + bw)}" ybr="{number_text(y + bh)}"'
                    )
                else:
                    shown = ";".join(f"{number_text(px)},{number_text(py)}" for px, py in geo)
                    place = f'points="{shown}"'
                flags = f'outside="{int(bool(k.get("outside")))}" ' + (
                    f'occluded="{int(bool(k.get("occluded")))}"'
                )
                head = f'    <{tag} frame="{k["frame"]}" keyframe="1" {flags} {place} z_order="0"'
                lines += [head + ">", *children, f"    </{tag}>"] if children else [head + "/>"]
            lines.append("  </track>")
        lines.append("</annotations>")
        path = target if target.suffix.lower() == ".xml" else target / f"{names[item_id]}.xml"
        bodies.append((item_id, path, "\n".join(lines) + "\n"))
    losses.report(t, "a CVAT for video file", strict, CvatFormatError)
    written: dict[str, Path] = {}
    for item_id, path, body in bodies:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        written[item_id] = path
    return written


def from_cvat_video(
    project: Any,
    source: str | os.PathLike,
    *,
    item: str | None = None,
    task: str | None = None,
    annotator: str | None = None,
    progress: bool | None = None,
) -> int:
    """Import CVAT for video 1.1 XML files as labels of a video-tracks task; returns
    how many labels were written (one per file).

    ``source`` is one XML file, or a folder whose ``.xml`` files are read. Each
    file's video: ``item`` (an item id, or a video file's path or URI) for a
    single file; otherwise the item whose id is the file's name without
    extension or the file's ``<meta><task><name>``; else the video item whose file
    name without extension is the XML file's; else the file ``<meta><source>``
    names (a relative path read from the XML file's folder; added as a video item
    when the project lacks it). All or nothing (module docstring).
    """
    t = video_task(project, task, "CVAT for video")
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml" and p.is_file())
        if item is not None:
            raise TypeError("item= names the video of a single CVAT file, not of a folder")
        if not files:
            raise CvatFormatError(f"{path}: no .xml CVAT files in this folder")
    else:
        files = [path]
    ids = set(project.item_ids())
    stems = video_stems(project)
    videos = []
    dropped: Counter = Counter()
    for f in files:
        where = os.fspath(f)
        root = _parse_xml(read_bytes(f, CvatFormatError), where)
        video, name, src = _read(t, root, where, dropped)
        found = stems.get(f.stem, [])
        if item is not None:
            video.item_id, video.file = (item, None) if item in ids else (None, item)
        elif f.stem in ids:
            video.item_id = f.stem
        elif name in ids:
            video.item_id = name
        elif len(found) == 1:
            video.item_id = found[0]
        elif src:
            video.file = src
        else:
            why = "no video item" if not found else f"{len(found)} video items ({found[:3]})"
            raise CvatFormatError(
                f"{where}: {why} of file name {f.stem!r}, and the file names no source video; "
                "pass item= (an item id or the video file) for this CVAT file"
            )
        videos.append(video)
    written = store_videos(project, t, videos, CvatFormatError, annotator=annotator,
                           base=os.fspath(path if path.is_dir() else path.parent),
                           progress=progress, desc="CVAT import")  # fmt: skip
    not_imported(os.fspath(source), dropped)
    return written


def _parse_xml(raw: bytes, where: str) -> ET.Element:
    """The XML's root, parsed as UTF-8 whatever it declares, with no DTD: a
    ``<!DOCTYPE`` or ``<!ENTITY`` is refused before parsing (entity expansion,
    external entities)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CvatFormatError(f"{where}: not UTF-8 text: {exc}") from None
    if "\x00" in text:
        raise CvatFormatError(f"{where}: not UTF-8 text (a NUL character: UTF-16?)")
    dtd = _DTD.search(text)
    if dtd:
        line = text.count("\n", 0, dtd.start()) + 1
        raise CvatFormatError(
            f"{where}: line {line}: a <!{dtd.group(1).upper()}> declaration; CVAT files have "
            "none, and entities are not expanded (refused: entity expansion, external entities)"
        )
    parser = ET.XMLParser(encoding="utf-8")  # the declared encoding is not trusted
    try:
        parser.feed(text.encode("utf-8"))
        return parser.close()
    except ET.ParseError as exc:
        raise CvatFormatError(f"{where}: malformed XML: {exc}") from None
    except RecursionError:
        raise CvatFormatError(f"{where}: XML nested too deeply") from None


def _read(
    t: VideoTracks, root: ET.Element, where: str, dropped: Counter
) -> tuple[Incoming, str | None, str | None]:
    """The tracks of a CVAT file, its task's name and its source file."""
    if root.tag != "annotations":
        raise CvatFormatError(f"{where}: the root element is <annotations>, got <{root.tag[:40]}>")
    name = src = None
    meta = root.find("meta")
    if meta is not None:
        job = meta.find("task")
        if job is None:
            job = meta.find("job")
        if job is None and meta.find("project") is not None:
            raise CvatFormatError(
                f"{where}: a CVAT project export (<meta><project>); export each task (one video)"
            )
        if job is not None:
            start = (job.findtext("start_frame") or "0").strip()
            filt = (job.findtext("frame_filter") or "").strip()
            if start not in ("", "0") or filt:
                raise CvatFormatError(
                    f"{where}: <meta>: start_frame {start!r}, frame_filter {filt!r}: the file's "
                    "frames are not the video's; export the CVAT task without a frame filter or "
                    "start frame"
                )
            name = (job.findtext("name") or "").strip() or None
            src = (job.findtext("source") or "").strip() or None
        src = (meta.findtext("source") or "").strip() or src
    video = Incoming(where)
    tracks: list[tuple[int, dict[str, Any], dict[int, str]]] = []
    ids: dict[int, int] = {}
    for el in root:
        if el.tag in ("version", "meta"):
            continue
        if el.tag == "image":
            raise CvatFormatError(
                f"{where}: <image> elements: a CVAT for images file; export the task as "
                "'CVAT for video 1.1'"
            )
        if el.tag == "tag":
            dropped["frame tag{s}"] += 1
            continue
        if el.tag != "track":
            dropped[f"<{el.tag[:40]}> element{{s}}"] += 1
            continue
        tid, track, at = _track(t, el, where, f"track {len(tracks) + 1}", dropped)
        if tid in ids:
            raise CvatFormatError(
                f"{where}: track {len(tracks) + 1}: id {tid} again (track {ids[tid]} has it)"
            )
        ids[tid] = len(tracks) + 1
        tracks.append((tid, track, at))
    tracks.sort(key=lambda x: x[0])
    for index, (_, track, at) in enumerate(tracks):
        video.tracks.append({"id": f"t{index + 1}", **track})
        video.at.update({(index, f): a for f, a in at.items()})
    return video, name, src


def _number(el: ET.Element, key: str, at: str) -> float:
    v = el.get(key)
    if v is None:
        raise CvatFormatError(f"{at}: no {key!r}")
    v = v.strip()
    if not NUMBER.fullmatch(v) or not math.isfinite(float(v)):
        raise CvatFormatError(f"{at}: {key} must be a finite number, got {v[:40]!r}")
    f = float(v)
    if abs(f) > MAX_COORDINATE:
        raise CvatFormatError(f"{at}: {key} must be at most {MAX_COORDINATE} in magnitude, got {v}")
    return f


def _flag(el: ET.Element, key: str, at: str, default: bool) -> bool:
    v = el.get(key)
    if v is None:
        return default
    low = v.strip().lower()
    if low in ("1", "true"):
        return True
    if low in ("0", "false"):
        return False
    raise CvatFormatError(f"{at}: {key} must be 0 or 1, got {v[:40]!r}")


def _span(lo: float, hi: float) -> float:
    """``hi - lo``, as the shortest decimal that gives ``hi`` back from ``lo`` (a
    width written as a corner)."""
    d = hi - lo
    for digits in range(18):
        c = round(d, digits)
        if c > 0 and lo + c == hi:
            return c
    return d


def _track(
    t: VideoTracks, el: ET.Element, where: str, at: str, dropped: Counter
) -> tuple[int, dict[str, Any], dict[int, str]]:
    """A ``<track>``: its id, the track (no id yet) and where each keyframe was read
    (``track 2 (id 1), <box frame="5">``); errors name the file too."""
    raw_id = (el.get("id") or "").strip()
    if not raw_id.isdigit() or len(raw_id) > 15:
        raise CvatFormatError(f"{where}: {at}: id must be a whole number >= 0, got {raw_id[:40]!r}")
    at += f" (id {raw_id})"
    label = el.get("label")
    if label not in t.class_names:
        raise CvatFormatError(
            f"{where}: {at}: label {label!r} is no class of task {t.name!r}; "
            f"classes: {t.class_names}"
        )
    want = _TAG[t.shape]
    attrs = {a.name: a for a in t.attributes}
    keys: list[dict[str, Any]] = []
    where_of: dict[int, str] = {}
    values: dict[str, Any] = {}
    for j, shape in enumerate(el, start=1):
        if shape.tag not in _SHAPES:
            continue
        here = f"{where}: {at}, <{shape.tag}> {j}"
        if shape.tag != want:
            raise CvatFormatError(
                f"{here}: a {shape.tag} shape, and task {t.name!r} draws {t.shape}es"
                if t.shape == "box" else
                f"{here}: a {shape.tag} shape, and task {t.name!r} draws polygons"
            )  # fmt: skip
        raw_frame = (shape.get("frame") or "").strip()
        if not raw_frame.isdigit() or int(raw_frame) > MAX_FRAME:
            raise CvatFormatError(
                f"{here}: frame must be a whole number from 0 to {MAX_FRAME}, "
                f"got {raw_frame[:40]!r}"
            )
        frame = int(raw_frame)
        place = f'{at}, <{shape.tag} frame="{frame}">'
        here = f"{where}: {place}"
        if not _flag(shape, "keyframe", here, True):
            continue  # an interpolated position, implied by the keyframes
        if frame in where_of:
            raise CvatFormatError(f"{here}: a second keyframe at frame {frame}")
        outside = _flag(shape, "outside", here, False)
        key: dict[str, Any] = {"frame": frame, "outside": outside,
                               "occluded": _flag(shape, "occluded", here, False)}  # fmt: skip
        if t.shape == "box":
            x0, y0 = _number(shape, "xtl", here), _number(shape, "ytl", here)
            x1, y1 = _number(shape, "xbr", here), _number(shape, "ybr", here)
            if not (x1 > x0 and y1 > y0) and not outside:
                raise CvatFormatError(
                    f"{here}: xbr and ybr must be greater than xtl and ytl, got {[x0, y0, x1, y1]}"
                )
            if not outside:
                key["bbox"] = [x0, y0, _span(x0, x1), _span(y0, y1)]
        elif not outside:
            key["points"] = _points(shape.get("points"), here)
            first = next((k["points"] for k in keys if "points" in k), None)
            if first is not None and len(first) != len(key["points"]):
                raise CvatFormatError(
                    f"{here}: a polygon of {len(key['points'])} points, and the track's first has "
                    f"{len(first)} (a track's polygons have the same number of points)"
                )
        for a_el in shape.findall("attribute"):
            aname = a_el.get("name")
            if aname not in attrs:
                raise CvatFormatError(
                    f"{here}: attribute {aname!r} is no attribute of task {t.name!r}; "
                    f"attributes: {sorted(attrs)}"
                )
            v = _attribute(attrs[aname], a_el.text or "", f"{here}, attribute {aname!r}")
            if aname in values and values[aname] != v:
                dropped["attribute value{s} changing along a track (its first kept)"] += 1
            values.setdefault(aname, v)
        keys.append(key)
        where_of[frame] = place
    if not keys:
        raise CvatFormatError(f'{where}: {at}: no {want} with keyframe="1"')
    return int(raw_id), {"class": label, "attributes": values, "keyframes": keys}, where_of


def _points(raw: str | None, at: str) -> list[list[float]]:
    if raw is None:
        raise CvatFormatError(f"{at}: no 'points'")
    out = []
    for p in raw.strip().split(";"):
        xy = p.split(",")
        if len(xy) != 2 or not all(NUMBER.fullmatch(c.strip()) for c in xy):
            raise CvatFormatError(f"{at}: points are 'x1,y1;x2,y2;...', got {p[:40]!r}")
        point = [float(xy[0]), float(xy[1])]
        if not all(math.isfinite(c) and abs(c) <= MAX_COORDINATE for c in point):
            raise CvatFormatError(
                f"{at}: points must be finite, at most {MAX_COORDINATE} in magnitude, "
                f"got {p[:40]!r}"
            )
        out.append(point)
    if len(out) < 3:
        raise CvatFormatError(f"{at}: a polygon has three points or more, got {len(out)}")
    return out


def _attribute(a: Attribute, text: str, at: str) -> Any:
    """An ``<attribute>``'s text as the task's attribute takes it."""
    if a.kind == "bool":
        low = text.strip().lower()
        if low not in ("true", "false"):
            raise CvatFormatError(f"{at}: true or false, got {text[:40]!r}")
        return low == "true"
    if a.kind == "number":
        v = text.strip()
        if not v:
            return None
        if not NUMBER.fullmatch(v) or not math.isfinite(float(v)):
            raise CvatFormatError(f"{at}: a finite number, got {text[:40]!r}")
        return float(v)
    if a.kind == "choice" and text not in a.choices:
        raise CvatFormatError(f"{at}: one of {list(a.choices)}, got {text[:40]!r}")
    return text
