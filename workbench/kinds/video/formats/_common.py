"""What every video-track format reads from and writes to a project.

- :func:`video_task`: the :class:`~workbench.VideoTracks` task a format works on;
- :func:`labeled_videos`: ``(item_id, record, value)`` of every labeled video item;
- :func:`video_file`, :func:`video_names`: what a format calls a video and its file;
- :func:`video_info`: a video's frame count, rate and size (its packets listed);
- :func:`track_numbers`: the integers a format writes as track ids;
- :class:`Losses`: what an exporter could not write, counted and named in one
  warning (or one error with ``strict=True``);
- :func:`dense_keyframes`: the keyframes of a track listed frame by frame (MOT,
  COCO): every frame, or only where the shape changes course;
- :class:`Incoming` and :func:`store_videos`: an importer's videos, matched to the
  project's video items (by id, else by file), added as video items when the
  project lacks a file that exists, validated through the schema against each
  video's frame count, and written in one transaction: all or nothing.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ....errors import ItemReadError, SchemaError, StoreError, WorkbenchError
from ....imports import MediaItems, labeled_items, media_file
from ....items import progress_bar
from ....media import VideoInfo
from ....store.base import Event, ItemRecord
from ..schema import VideoTracks

__all__ = ["VideoFormatError", "video_task", "labeled_videos", "video_file", "video_names",
           "video_info", "video_stems", "track_numbers", "Losses", "Incoming", "store_videos",
           "dense_keyframes", "track_frames", "number_text", "plural", "not_imported",
           "safe_name", "NUMBER", "KEYFRAME_MODES", "EXACT", "TOLERANCE"]  # fmt: skip

#: A number as a text format writes it (no ``nan``, ``inf``, ``0x10`` or ``1_000``).
NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
#: What ``keyframes=`` of an importer of frame-by-frame shapes takes.
KEYFRAME_MODES = ("all", "changes")


class VideoFormatError(WorkbenchError, ValueError):
    """A video-track file is malformed or does not fit the project; the message
    names the file, the record (line, element, annotation) and the field. Each
    format has its own subclass."""


def video_task(project: Any, task: str | None, fmt: str) -> VideoTracks:
    """The task (the schema's first video task by default), a VideoTracks task."""
    t = project.schema.task_of_kind(task, "video", purpose=fmt)
    assert isinstance(t, VideoTracks)
    return t


def labeled_videos(
    project: Any, task: VideoTracks, desc: str = "export", progress: bool | None = None
) -> Iterator[tuple[str, ItemRecord, dict[str, Any]]]:
    """``(item_id, record, value)`` of every labeled video item
    (:func:`~workbench.imports.labeled_items`)."""
    return labeled_items(project, task.name, desc, progress, unit="video")


#: What a format names a video's file by (:func:`~workbench.imports.media_file`).
video_file = media_file


def video_names(records: Sequence[ItemRecord]) -> dict[str, str]:
    """``{item_id: name}``: the file name without extension of each video, or its
    item id where two videos share a name (and for a clip added as an array); made
    safe as a file name."""
    stems = {}
    for r in records:
        file = video_file(r)
        stems[r.item_id] = "" if file == r.item_id else PurePosixPath(file.replace("\\", "/")).stem
    count = Counter(stems.values())
    ids = set(stems)
    names = {i: safe_name(s if s and count[s] == 1 and s not in ids - {i} else i)
             for i, s in stems.items()}  # fmt: skip
    used: Counter[str] = Counter()
    for i, name in names.items():  # names made safe may meet: number the later ones
        used[name] += 1
        if used[name] > 1:
            names[i] = f"{name}-{used[name]}"
    return names


def safe_name(name: str) -> str:
    """A file name with no path separator or control character in it."""
    out = re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", name)
    return "_" if out in ("", ".", "..") else out


def video_info(
    project: Any, record: ItemRecord, error: Callable[[str], Exception], where: str = ""
) -> VideoInfo:
    """The video's frame count, rate and size, or ``error`` naming the item."""
    try:
        return project.reader.video(record).info
    except (ItemReadError, ImportError) as exc:
        at = f"{where}: " if where else ""
        raise error(f"{at}item {record.item_id!r}: {exc}") from None


def video_stems(project: Any) -> dict[str, list[str]]:
    """Video items by their file name without extension."""
    out: dict[str, list[str]] = {}
    ids = project.item_ids()
    for r in project.store.get_items(ids) if ids else []:
        if r.kind == "video" and r.uri and not r.uri.startswith("items://"):
            out.setdefault(PurePosixPath(r.uri.replace("\\", "/")).stem, []).append(r.item_id)
    return out


def track_numbers(value: Mapping[str, Any], first: int = 1) -> tuple[list[int], bool]:
    """The integer each track of ``value`` is written as, and whether that keeps
    its id: tracks ``t1`` … ``tN`` (what an import gives back) keep their number
    (``first`` for ``t1``); otherwise tracks are numbered in order."""
    ids = [t["id"] for t in value["tracks"]]
    n = len(ids)
    if set(ids) == {f"t{k}" for k in range(1, n + 1)}:
        return [int(i[1:]) - 1 + first for i in ids], True
    return list(range(first, first + n)), False


def number_text(x: float) -> str:
    """A number as short as it reads back exactly: whole numbers without ``.0``."""
    f = float(x)
    return str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def not_imported(source: str, dropped: Counter[str]) -> None:
    """One warning naming what an import read and could not keep: ``dropped``
    counts phrases whose plural ending is ``{s}`` (``frame tag{s}``)."""
    if dropped:
        shown = ", ".join(
            f"{n} {what.replace('{s}', '' if n == 1 else 's')}"
            for what, n in sorted(dropped.items())
        )
        warnings.warn(f"{source}: not imported: {shown}", UserWarning, stacklevel=3)


class Losses:
    """What an export could not write as it was: ``field(name, unit)`` counts a
    field of a track (``unit="track"``) or keyframe left out, ``drop(what, why)``
    a thing left out, ``change(what, how)`` one written otherwise.
    :meth:`report` names them all in one warning, or raises with ``strict=True``."""

    def __init__(self) -> None:
        self.fields: Counter[tuple[str, str]] = Counter()
        self.dropped: Counter[tuple[str, str]] = Counter()
        self.changed: Counter[tuple[str, str]] = Counter()

    def change(self, what: str, how: str, n: int = 1) -> None:
        if n:
            self.changed[what, how] += n

    def field(self, name: str, unit: str = "track", n: int = 1) -> None:
        if n:
            self.fields[name, unit] += n

    def drop(self, what: str, why: str, n: int = 1) -> None:
        if n:
            self.dropped[what, why] += n

    def tracks(
        self, task: VideoTracks, value: Mapping[str, Any], keep: Sequence[str], ids_kept: bool
    ) -> None:
        """Count the fields of ``value``'s tracks that carry something and are not
        in ``keep`` (``class``, ``attributes``, ``occluded``, ``score``,
        ``outside geometry``), and the ids when ``ids_kept`` is false."""
        defaults = {a.name: a.default for a in task.attributes}
        for t in value["tracks"]:
            if "class" not in keep:
                self.field("class")
            if "attributes" not in keep and t.get("attributes", defaults) != defaults:
                self.field("attributes")
            keys = t["keyframes"]
            if "occluded" not in keep:
                self.field("occluded", "keyframe", sum(bool(k.get("occluded")) for k in keys))
            if "score" not in keep:
                self.field("score", "keyframe", sum(k.get("score") is not None for k in keys))
            if "outside geometry" not in keep:
                n = sum(bool(k.get("outside")) and ("bbox" in k or "points" in k) for k in keys)
                self.field("geometry", "outside keyframe", n)
        if not ids_kept:
            self.field("id", "track", len(value["tracks"]))

    def report(
        self, task: VideoTracks, fmt: str, strict: bool, error: Callable[[str], Exception]
    ) -> None:
        parts = []
        if self.fields:
            shown = (
                f"{name} of {plural(n, unit)}" for (name, unit), n in sorted(self.fields.items())
            )
            parts.append("dropped fields: " + ", ".join(shown))
        if self.dropped:
            gone = sorted(self.dropped.items())
            parts.append("dropped " + ", ".join(f"{plural(n, w)} ({why})" for (w, why), n in gone))
        if self.changed:
            done = sorted(self.changed.items())
            parts.append("changed " + ", ".join(f"{plural(n, w)} ({how})" for (w, how), n in done))
        if not parts:
            return
        message = f"task {task.name!r}: {fmt} cannot hold everything: " + "; ".join(parts)
        if strict:
            raise error(message + " (strict=True: nothing was written)")
        warnings.warn(message, UserWarning, stacklevel=3)


# -- frame-by-frame shapes as keyframes ----------------------------------------------
def track_frames(
    track: Mapping[str, Any], frames: int | None, interpolate: bool = True
) -> Iterator[tuple[int, Any, bool, float | None, bool]]:
    """``(frame, geometry, occluded, score, keyframe)`` of every frame the track
    shows, in order: interpolated between keyframes and held after the last until
    frame ``frames`` (the video's frame count) or an ``outside`` keyframe, as
    :func:`~workbench.kinds.video.tracks.shape_at` gives them (the same bits);
    keyframes only without ``interpolate``. ``geometry`` is a bbox or points."""
    keys = track["keyframes"]
    for n, k in enumerate(keys):
        geo = "bbox" if "bbox" in k else "points"
        if k.get("outside") or geo not in k:
            continue
        occluded = bool(k.get("occluded"))
        yield k["frame"], k[geo], occluded, k.get("score"), True
        if not interpolate:
            continue
        b = keys[n + 1] if n + 1 < len(keys) else None
        stop = b["frame"] if b is not None else frames
        if stop is None:
            raise ValueError("the video's frame count is needed to hold a track to its end")
        moving = b is not None and not b.get("outside") and geo in b
        for f in range(k["frame"] + 1, stop):
            if not moving:
                yield f, k[geo], occluded, None, False
                continue
            assert b is not None
            w = (f - k["frame"]) / (b["frame"] - k["frame"])
            if geo == "bbox":
                shape: Any = [x + (y - x) * w for x, y in zip(k["bbox"], b["bbox"], strict=True)]
            else:
                shape = [[p[0] + (q[0] - p[0]) * w, p[1] + (q[1] - p[1]) * w]
                         for p, q in zip(k["points"], b["points"], strict=True)]  # fmt: skip
            yield f, shape, occluded, None, False


def _coords(obs: Mapping[str, Any]) -> list[float]:
    if "bbox" in obs:
        return list(obs["bbox"])
    return [c for p in obs["points"] for c in p]


#: How far from a straight line a frame may be and still count as on it (rounding).
EXACT = 1e-6
#: How far (px) from the interpolation of the kept frames a frame given frame by
#: frame may be and not be kept, by default: whole-pixel rounding of both ends.
TOLERANCE = 1.0


def dense_keyframes(
    observations: Sequence[Mapping[str, Any]],
    keyframes: str = "changes",
    tolerance: float = TOLERANCE,
) -> list[dict[str, Any]]:
    """The keyframes of a track given frame by frame: ``observations`` are
    ``{"frame", "bbox" | "points", "occluded", "score"?}`` sorted by frame, each
    frame once. A frame missing after a listed one is an ``outside`` keyframe (the
    object left the view); after the last listed frame too (the store drops that
    one when it is just past the video's end).

    ``keyframes="all"`` keeps every listed frame. ``"changes"`` keeps only the
    frames a linear interpolation of the kept ones does not give, in every
    coordinate: exactly (to :data:`EXACT` px), so a file written from keyframes
    gives them back; unless that keeps more than twice as many frames (and two) as
    a fit to within ``tolerance`` px does, which is then used: a file of whole
    pixels, as MOT's ground truth is, rounds each frame of a straight line by up
    to half a pixel, so a line through two rounded frames passes up to 1 px
    (:data:`TOLERANCE`) from the frames between. A frame with a score, or whose
    occluded flag differs from the keyframe before, is always kept."""
    out: list[dict[str, Any]] = []
    run: list[Mapping[str, Any]] = []

    def flush() -> None:
        if keyframes == "changes":
            keys = _compact(run, EXACT)
            if tolerance > EXACT:
                loose = _compact(run, tolerance)
                keys = keys if len(keys) <= 2 * len(loose) + 2 else loose
            out.extend(keys)
        else:
            out.extend(dict(r) for r in run)
        out.append({"frame": run[-1]["frame"] + 1, "outside": True, "occluded": False})

    for o in observations:
        if run and o["frame"] != run[-1]["frame"] + 1:
            flush()
            run = []
        run.append(o)
    if run:
        flush()
    return out


def _compact(run: Sequence[Mapping[str, Any]], tolerance: float) -> list[dict[str, Any]]:
    """The fewest keyframes a greedy pass finds for consecutive frames: from each
    keyframe, the span goes on while one straight line (per coordinate) from it to
    the span's end passes within ``tolerance`` of every frame between (the slopes
    that do are an interval, narrowed frame by frame: linear time)."""
    coords = [_coords(o) for o in run]
    n = len(run)
    kept = [0]
    a = 0
    lo = [-math.inf] * len(coords[0])
    hi = [math.inf] * len(coords[0])
    e = 1
    while e < n:
        if e + 1 < n and run[e].get("score") is None and bool(run[e].get("occluded")) == bool(
            run[a].get("occluded")
        ):  # fmt: skip
            va, ve, vn = coords[a], coords[e], coords[e + 1]
            de, dn = e - a, e + 1 - a
            lo2, hi2, ok = list(lo), list(hi), True
            for c, (x0, x1, x2) in enumerate(zip(va, ve, vn, strict=True)):
                tol = tolerance + 1e-12 * max(1.0, abs(x1))
                lo2[c] = max(lo2[c], (x1 - tol - x0) / de)
                hi2[c] = min(hi2[c], (x1 + tol - x0) / de)
                slope = (x2 - x0) / dn
                if not lo2[c] <= slope <= hi2[c]:
                    ok = False
                    break
            if ok:
                lo, hi = lo2, hi2
                e += 1
                continue
        kept.append(e)
        a = e
        lo = [-math.inf] * len(coords[0])
        hi = [math.inf] * len(coords[0])
        e = a + 1
    if len(kept) > 1:
        # The last keyframe goes when the one before it holds to it (a track keeps
        # its shape after its last keyframe): every frame since is that shape.
        p, last = kept[-2], run[kept[-1]]
        held = all(abs(x - y) <= tolerance + 1e-12 * max(1.0, abs(y))
                   for v in coords[p + 1 :] for x, y in zip(v, coords[p], strict=True))  # fmt: skip
        if held and last.get("score") is None and bool(last.get("occluded")) == bool(
            run[p].get("occluded")
        ):  # fmt: skip
            kept.pop()
    return [dict(run[k]) for k in kept]


# -- importing -----------------------------------------------------------------------
@dataclass
class Incoming:
    """One video an importer read: ``where`` names it in errors (``gt.txt``,
    ``file.json: videos[2]``); ``item_id`` and/or ``file`` say which video;
    ``tracks`` as the task's value takes them. ``at`` maps ``(track index, frame)``
    to where the keyframe was read (``line 12``), for errors found once the video
    is known (a frame past its end); ``frame_base`` is the file's first frame
    number (1 for MOT), for those errors; ``implied_end``: an ``outside`` keyframe
    just past the video's last frame ends a track given frame by frame, and is
    dropped."""

    where: str
    item_id: str | None = None
    file: str | None = None
    tracks: list[dict[str, Any]] = field(default_factory=list)
    at: dict[tuple[int, int], str] = field(default_factory=dict)
    frame_base: int = 0
    implied_end: bool = False


def store_videos(
    project: Any,
    task: VideoTracks,
    incoming: Sequence[Incoming],
    error: Callable[[str], Exception],
    *,
    annotator: str | None = None,
    base: str | None = None,
    progress: bool | None = None,
    desc: str = "import",
) -> int:
    """Match, validate and store the videos of one import; returns how many labels
    were written (one per video).

    Each video's item: its ``item_id`` when the project has it; else the video
    item whose URI is its ``file`` (a relative path is taken from ``base``, the
    folder of the file imported), or whose file name is ``file`` when that is a
    bare name matching one item; else a new video item for ``file`` when that
    file exists (its id as :meth:`~workbench.Project.add_video` gives it, or
    ``item_id``). Every value is validated by the task and checked against the
    video's frame count (its packets listed, nothing decoded) before anything is
    written; new items and then the labels (in one transaction) are written once
    all passed. The same video twice in one import is refused.
    """
    items = MediaItems(project, "video", error, base=base, noun="a video", kind_name="a video")
    items.prefetch(v.item_id for v in incoming)
    events: list[Event] = []
    version = project.schema.version
    who = annotator or project.annotator
    with progress_bar(len(incoming), desc, progress, unit="video") as bar:
        for video in incoming:
            bar.update(1)
            where = video.where
            record = items.record(video.item_id, video.file, where)
            tracks, frames = video.tracks, 0
            if tracks:
                frames = video_info(project, record, error, where).frames
                tracks = _fit(video, frames, error)
            try:
                valid = task.validate({"tracks": tracks})
                if valid["tracks"]:
                    task.check_frames(valid, frames)
            except SchemaError as exc:
                raise error(f"{where}: {exc}") from None
            try:
                events.append(Event(item_id=record.item_id, task=task.name, value=valid,
                                    annotator=who, schema_version=version))  # fmt: skip
            except StoreError as exc:
                raise error(f"{where}: {exc}") from None
    if items.new:
        project.add_video([r.uri for r in items.new.values()], ids=list(items.new), progress=False)
    project.store.append(events)  # one transaction: all or nothing
    return len(events)


def _fit(video: Incoming, frames: int, error: Callable[[str], Exception]) -> list[dict[str, Any]]:
    """The tracks, an implied ``outside`` keyframe just past the end dropped, or
    ``error`` naming where a keyframe past the video's last frame was read."""
    out = []
    for n, t in enumerate(video.tracks):
        keys = list(t.get("keyframes", ()))
        if (video.implied_end and len(keys) > 1 and isinstance(keys[-1], Mapping)
                and keys[-1].get("outside") and keys[-1].get("frame") == frames):  # fmt: skip
            keys = keys[:-1]
        for k in keys:
            f = k.get("frame") if isinstance(k, Mapping) else None
            if isinstance(f, int) and not isinstance(f, bool) and f >= frames:
                at = video.at.get((n, f), f"track {n + 1}")
                base = video.frame_base
                raise error(
                    f"{video.where}: {at}: frame {f + base} is past the video's last frame "
                    f"({frames - 1 + base}; the video has {plural(frames, 'frame')})"
                )
        out.append({**t, "keyframes": keys})
    return out
