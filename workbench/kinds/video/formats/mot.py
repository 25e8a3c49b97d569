"""MOT Challenge text files (``gt.txt``, a tracker's results): one line per frame
an object is shown, ``frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z``.

Frames count from 1 in the file and from 0 in workbench; ids are integers. Two
layouts are read and written:

- MOT15/16 (10 columns): ``conf`` then the world coordinates ``x,y,z`` (written
  ``-1``; read and, when not ``-1``, named in a warning as not imported);
- MOT17/20 ground truth (9 columns, written with ``class_ids=``): ``conf``, the
  ``class`` number (``class_ids`` maps class names to it, both ways) and the
  ``visibility`` ratio (written 0.0 for an occluded frame, 1.0 otherwise; read as
  occluded below :data:`OCCLUDED_BELOW`).

Lines of 6 or 7 columns (no ``conf``, or no world coordinates) are read too.

**Export** (:func:`to_mot`): one ``<video name>.txt`` per labeled video, lines
sorted by frame then id. ``interpolate=True`` (the default, as MOT ground truth
lists every frame) writes every frame a track shows, interpolated between its
keyframes and held after its last one to the video's end or its ``outside``
keyframe; ``interpolate=False`` writes keyframes only (for a tool that
interpolates itself; read back, the frames between are gaps). Tracks are
numbered 1…N (``t1`` … ``tN`` keep their number); ``conf`` is a keyframe's score,
1 elsewhere. MOT holds boxes only: a polygon task is refused. What it cannot
hold is named in one warning (:class:`MotFormatError` with ``strict=True``): the
class (without ``class_ids``), attributes, occluded flags (without the MOT17
layout) and ids other than ``t1`` … ``tN``.

**Import** (:func:`from_mot`): lines grouped by id into tracks; a frame missing
from a track after a listed one is an ``outside`` keyframe (the object left the
view), as is the frame after its last line unless that is the video's end.
``keyframes="all"`` makes every listed frame a keyframe; ``"changes"`` (the
default) only the frames where the box is not the linear interpolation of the
kept ones: exactly, so a file :func:`to_mot` wrote gives back the shapes of
every frame and its keyframes (but those on a straight line between two others,
which change nothing); or, where that keeps most frames (a ground truth in
whole pixels), to within ``tolerance`` px (1 by default: a straight line
rounded to whole pixels is up to half a pixel off at each end), so a dense file
imports compactly and every frame comes back to within that. ``conf`` from 0 to
below 1 is the keyframe's score (such a frame is always kept); other values are
no score. Track ids become ``t1`` … ``tN`` in the order of the file's ids. A
malformed line (a wrong column count, a non-number, NaN or infinity, a frame
before 1 or past the video's end, a negative id, a box of no width or height,
the same (frame, id) twice) is a :class:`MotFormatError` naming the file and the
line, and nothing is stored.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ....files import read_bytes
from ..schema import MAX_COORDINATE, MAX_FRAME, VideoTracks
from ._common import (
    KEYFRAME_MODES,
    NUMBER,
    TOLERANCE,
    Incoming,
    Losses,
    VideoFormatError,
    dense_keyframes,
    labeled_videos,
    not_imported,
    number_text,
    plural,
    store_videos,
    track_frames,
    track_numbers,
    video_info,
    video_names,
    video_stems,
    video_task,
)

__all__ = ["to_mot", "from_mot", "MotFormatError", "OCCLUDED_BELOW"]

#: A MOT17 visibility ratio below this (and not negative) reads as occluded.
OCCLUDED_BELOW = 0.5
_MAX_ID = 2**53


class MotFormatError(VideoFormatError):
    """A MOT file is malformed or does not fit the project; the message names the
    file and the line."""


def _class_ids(t: VideoTracks, class_ids: Mapping[str, int] | None) -> dict[str, int] | None:
    if class_ids is None:
        return None
    if not isinstance(class_ids, Mapping):
        raise TypeError(f"class_ids maps class names to numbers, got {type(class_ids).__name__}")
    out = {}
    for name, n in class_ids.items():
        if name not in t.class_names:
            raise MotFormatError(
                f"class_ids: task {t.name!r} has no class {name!r}; classes: {t.class_names}"
            )
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < _MAX_ID:
            raise MotFormatError(f"class_ids[{name!r}]: a whole number >= 0, got {n!r}")
        out[name] = n
    if len(set(out.values())) < len(out):
        raise MotFormatError(f"class_ids: two classes share a number: {out}")
    return out


def to_mot(
    project: Any,
    folder_or_path: str | os.PathLike,
    *,
    task: str | None = None,
    interpolate: bool = True,
    class_ids: Mapping[str, int] | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> dict[str, Path]:
    """Write one MOT text file per labeled video into a folder (made if missing):
    ``<file name without extension>.txt`` for a video added by URI (the item id
    where two share a name, and for a clip added as an array); or to a ``.txt``
    path when one video is labeled. ``class_ids`` (``{class: number}`` for every
    class the tracks use) writes the MOT17 layout (module docstring). Returns
    ``{item_id: path}``."""
    t = video_task(project, task, "MOT")
    if t.shape != "box":
        raise MotFormatError(f"task {t.name!r} draws {t.shape}s; MOT holds boxes only")
    classes = _class_ids(t, class_ids)
    target = Path(folder_or_path)
    losses = Losses()
    videos = list(labeled_videos(project, t, "MOT export", progress))
    if target.suffix.lower() == ".txt" and len(videos) != 1:
        raise MotFormatError(
            f"{target}: one file holds one video, and {plural(len(videos), 'video')} are labeled; "
            "give a folder"
        )
    names = video_names([r for _, r, _ in videos])
    bodies = []
    for item_id, record, value in videos:
        numbers, ids_kept = track_numbers(value)
        keep = ["outside geometry", "score"] + (["class", "occluded"] if classes else [])
        losses.tracks(t, value, keep, ids_kept)
        ends = [k for tr in value["tracks"] for k in tr["keyframes"][-1:]]
        frames = None
        if interpolate and any(not k.get("outside") for k in ends):
            frames = video_info(project, record, MotFormatError).frames
        rows: list[tuple[int, int, str]] = []
        for number, track in zip(numbers, value["tracks"], strict=True):
            if classes is not None and track["class"] not in classes:
                raise MotFormatError(
                    f"item {item_id!r}, track {track['id']!r}: class {track['class']!r} has no "
                    f"number in class_ids {classes}"
                )
            tail = f"{classes[track['class']]}," if classes is not None else ""
            for frame, box, occluded, score, _ in track_frames(track, frames, interpolate):
                conf = 1.0 if score is None else score
                cols = [
                    str(frame + 1),
                    str(number),
                    *(number_text(v) for v in box),
                    number_text(conf),
                ]
                if classes is not None:
                    line = ",".join(cols) + f",{tail}{'0.0' if occluded else '1.0'}"
                else:
                    line = ",".join(cols) + ",-1,-1,-1"
                rows.append((frame, number, line))
        rows.sort(key=lambda r: (r[0], r[1]))
        path = target if target.suffix.lower() == ".txt" else target / f"{names[item_id]}.txt"
        bodies.append((item_id, path, "".join(r[2] + "\n" for r in rows)))
    losses.report(t, "a MOT file", strict, MotFormatError)
    written: dict[str, Path] = {}
    for item_id, path, body in bodies:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        written[item_id] = path
    return written


def from_mot(
    project: Any,
    source: str | os.PathLike,
    *,
    item: str | None = None,
    task: str | None = None,
    cls: str | None = None,
    class_ids: Mapping[str, int] | None = None,
    keyframes: str = "changes",
    tolerance: float = TOLERANCE,
    annotator: str | None = None,
    progress: bool | None = None,
) -> int:
    """Import MOT files as labels of a box-tracks task; returns how many labels
    were written (one per file).

    ``source`` is one file, or a folder whose ``.txt`` files are read. Each file's
    video: ``item`` (an item id, or a video file's path or URI) for a single
    file; otherwise the video item whose id is the file's name without extension,
    or whose file name without extension it is (``MOT17-02.txt`` labels
    ``MOT17-02.mp4``; a ``<sequence>/gt/gt.txt`` is matched by ``<sequence>``).
    Every track gets class ``cls``, or the class ``class_ids`` maps a MOT17
    file's class number to, or the task's only class. ``keyframes`` and
    ``tolerance``: module docstring. All or nothing.
    """
    t = video_task(project, task, "MOT")
    if t.shape != "box":
        raise MotFormatError(f"task {t.name!r} draws {t.shape}s; MOT holds boxes only")
    if keyframes not in KEYFRAME_MODES:
        raise ValueError(f"keyframes must be one of {list(KEYFRAME_MODES)}, got {keyframes!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not (
        0 <= tolerance < math.inf
    ):  # fmt: skip
        raise ValueError(f"tolerance is a number of pixels >= 0, got {tolerance!r}")
    if cls is not None and cls not in t.class_names:
        raise MotFormatError(f"cls: task {t.name!r} has no class {cls!r}; classes: {t.class_names}")
    by_number = {n: c for c, n in (_class_ids(t, class_ids) or {}).items()}
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
        if item is not None:
            raise TypeError("item= names the video of a single MOT file, not of a folder")
        if not files:
            raise MotFormatError(f"{path}: no .txt MOT files in this folder")
    else:
        files = [path]
    ids = set(project.item_ids())
    stems = video_stems(project)
    videos = []
    dropped: Counter = Counter()
    for f in files:
        where = os.fspath(f)
        video = _parse(t, read_bytes(f, MotFormatError), where, cls, by_number, keyframes,
                       tolerance, dropped)  # fmt: skip
        name = f.parent.parent.name if f.stem == "gt" and f.parent.name == "gt" else f.stem
        if item is not None:
            video.item_id, video.file = (item, None) if item in ids else (None, item)
        elif name in ids:
            video.item_id = name
        else:
            found = stems.get(name, [])
            if len(found) != 1:
                why = "no video item" if not found else f"{len(found)} video items ({found[:3]})"
                raise MotFormatError(
                    f"{where}: {why} of file name {name!r}; pass item= (an item id or the video "
                    "file) for this MOT file"
                )
            video.item_id = found[0]
        videos.append(video)
    written = store_videos(project, t, videos, MotFormatError, annotator=annotator,
                           base=os.fspath(path if path.is_dir() else path.parent),
                           progress=progress, desc="MOT import")  # fmt: skip
    not_imported(os.fspath(source), dropped)
    return written


def _parse(
    t: VideoTracks,
    raw: bytes,
    where: str,
    cls: str | None,
    by_number: dict[int, str],
    keyframes: str,
    tolerance: float,
    dropped: Counter,
) -> Incoming:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MotFormatError(f"{where}: not UTF-8 text: {exc}") from None
    tracks: dict[int, dict[int, dict[str, Any]]] = {}
    lines: dict[tuple[int, int], int] = {}
    class_of: dict[int, tuple[str, int]] = {}
    width = None
    for n, line in enumerate(text.splitlines(), start=1):
        at = f"{where}: line {n}"
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) not in (6, 7, 9, 10):
            raise MotFormatError(
                f"{at}: a MOT line is frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z "
                f"(10 columns; 9 for MOT17's class and visibility; 6 or 7), got "
                f"{plural(len(cells), 'column')}: {line[:80]!r}"
            )
        if width is not None and len(cells) != width[0]:
            raise MotFormatError(
                f"{at}: {plural(len(cells), 'column')}, and line {width[1]} has {width[0]}"
            )
        width = width or (len(cells), n)
        for k, c in enumerate(cells):
            if not NUMBER.fullmatch(c):
                raise MotFormatError(f"{at}: column {k + 1}: a number, got {c[:40]!r}")
        values = [float(c) for c in cells]
        for k, v in enumerate(values):
            if not math.isfinite(v):
                raise MotFormatError(f"{at}: column {k + 1}: a finite number, got {cells[k]!r}")
        frame, tid = values[0], values[1]
        if not frame.is_integer() or not 1 <= frame <= MAX_FRAME + 1:
            raise MotFormatError(
                f"{at}: frame must be a whole number from 1 to {MAX_FRAME + 1}, got {cells[0]!r}"
            )
        if not tid.is_integer() or not 0 <= tid < _MAX_ID:
            hint = " (a detection file, det.txt, has no tracks)" if tid == -1 else ""
            raise MotFormatError(f"{at}: id must be a whole number >= 0, got {cells[1]!r}{hint}")
        box = values[2:6]
        if any(abs(v) > MAX_COORDINATE for v in box):
            raise MotFormatError(
                f"{at}: box coordinates must be at most {MAX_COORDINATE} in magnitude, got {box}"
            )
        if box[2] <= 0 or box[3] <= 0:
            raise MotFormatError(f"{at}: bb_width and bb_height must be positive, got {box[2:]}")
        f0, i = int(frame) - 1, int(tid)
        if (f0, i) in lines:
            raise MotFormatError(
                f"{at}: id {i} at frame {f0 + 1} again (line {lines[f0, i]} has it)"
            )
        lines[f0, i] = n
        obs: dict[str, Any] = {"frame": f0, "bbox": box, "occluded": False}
        if len(values) >= 7:
            conf = values[6]
            if 0 <= conf < 1:
                obs["score"] = conf
            elif conf != 1:
                dropped["confidence{s} outside 0 to 1"] += 1
        if len(values) == 9:
            number, visibility = values[7], values[8]
            obs["occluded"] = 0 <= visibility < OCCLUDED_BELOW
            name = _class_of(t, number, cells[7], cls, by_number, at)
            seen = class_of.setdefault(i, (name, n))
            if seen[0] != name:
                raise MotFormatError(
                    f"{at}: id {i} is class {name!r} here and {seen[0]!r} on line {seen[1]}"
                )
        elif len(values) == 10 and values[7:] != [-1.0, -1.0, -1.0]:
            dropped["line{s} with x,y,z world coordinates"] += 1
        tracks.setdefault(i, {})[f0] = obs
    video = Incoming(where, frame_base=1, implied_end=True)
    for index, (i, obs_of) in enumerate(sorted(tracks.items())):
        name = class_of[i][0] if i in class_of else _default_class(t, cls, where)
        observed = [obs_of[f] for f in sorted(obs_of)]
        keys = dense_keyframes(observed, keyframes, tolerance)
        video.tracks.append({"id": f"t{index + 1}", "class": name, "keyframes": keys})
        for f in obs_of:
            video.at[index, f] = f"line {lines[f, i]}"
    return video


def _default_class(t: VideoTracks, cls: str | None, where: str) -> str:
    if cls is not None:
        return cls
    if len(t.class_names) == 1:
        return t.class_names[0]
    raise MotFormatError(
        f"{where}: MOT tracks have no class, and task {t.name!r} has {len(t.class_names)}: "
        f"pass cls= (one of {t.class_names})"
    )


def _class_of(
    t: VideoTracks, number: float, cell: str, cls: str | None, by_number: dict[int, str], at: str
) -> str:
    """A MOT17 line's class: ``cls`` when given, else ``class_ids``' name for its
    number, else the task's only class."""
    if cls is not None:
        return cls
    if by_number:
        name = by_number.get(int(number)) if number.is_integer() else None
        if name is None:
            raise MotFormatError(
                f"{at}: class {cell!r} is not in class_ids "
                f"{ {c: k for k, c in sorted(by_number.items())} }"
            )
        return name
    if len(t.class_names) == 1:
        return t.class_names[0]
    raise MotFormatError(
        f"{at}: class {cell!r}: pass class_ids= (the file's class numbers for the task's "
        f"classes, {t.class_names}) or cls= (one class for every track)"
    )
