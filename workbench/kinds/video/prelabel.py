"""Pre-labeling a video-tracks task: a detector on frames, linked into tracks.

:func:`prelabel_video` (reached through :meth:`Project.prelabel` when the task is
a :class:`~workbench.VideoTracks` task) runs a detector on the frames of each
video (every ``step``-th), links its boxes into tracks with a tracker, and
stores one ``prelabel`` event per video whose value is the task's value, each
keyframe with the detector's ``score``. The annotator corrects keyframes.

The detector
------------
A ``torch.nn.Module`` or any callable, given a batch of frames: a callable
gets a list of ``H × W × 3`` uint8 RGB arrays, a torch module a list of
``3 × H × W`` float tensors in ``[0, 1]`` on ``device`` (torchvision's
detection models' calling convention). Per frame it returns either
torchvision's dict (``boxes`` ``N × 4`` as ``x1, y1, x2, y2``, ``labels`` ``N``
ints, ``scores`` ``N``; label ``k`` is the task's class ``k - 1``, 0 the
background, unless ``label_map`` maps ids to class names), or a list of
detections, each a dict ``{"bbox": [x, y, w, h], "class", "score"?}`` or a
tuple ``(x, y, w, h, class[, score])``. Detections below ``min_score`` are
dropped.

The tracker
-----------
:class:`IoUTracker` (the default): each frame's detections are matched to the
live tracks of their class, the pairs with the highest IoU between the
detection and the track's last box first, one to one, when that IoU is at least
``iou`` (0.3); a detection left over starts a track; a track not matched for
``max_gap`` frames (2 steps by default) ends, with an ``outside`` keyframe
after its last box. Any object with ``update(frame, detections) -> ids`` (one
track id per detection, new ids for new tracks) can replace it (``tracker=``),
e.g. a wrapper of a ByteTrack or a re-identification model.

Keyframes
---------
With ``keyframes="changes"`` (the default) a track keeps only the frames where
its box is not the linear interpolation of its neighbours within ``tolerance``
pixels (1), so the annotator sees few keyframes, each one a real change;
``"all"`` keeps every frame detected.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...errors import SchemaError, WorkbenchError
from ...geometry import box_iou_matrix
from ...ml.parts import match_one_to_one
from ...ml.predictions import save_run, saved_runs
from ...ml.runner import EVENT_CHUNK, checked_item_ids, new_model_id, resolve_device
from ...store.base import Event

if TYPE_CHECKING:
    from ...project import Project
    from .schema import VideoTracks

__all__ = ["prelabel_video", "VideoPrelabels", "IoUTracker", "simplify"]

logger = logging.getLogger("workbench.prelabel")
logger.addHandler(logging.NullHandler())

_RUN_FILE = "video.json"
SKIP_REASONS = ("malformed", "unknown class")


@dataclass(frozen=True, repr=False, eq=False)
class VideoPrelabels:
    """What a video pre-labeling run produced: ``frame`` has one row per video
    (``item_id``, ``tracks``, ``keyframes``, ``detections``, ``score``);
    ``values`` the stored values; ``skipped`` detections not used, by reason."""

    model: str
    task: str
    frame: pd.DataFrame
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    written: bool = True

    @property
    def items(self) -> int:
        return len(self.frame)

    @property
    def tracks(self) -> int:
        return int(self.frame["tracks"].sum())

    def __repr__(self) -> str:
        return (
            f"VideoPrelabels({self.model!r}, task={self.task!r}, items={self.items}, "
            f"tracks={self.tracks}, skipped={sum(self.skipped.values())})"
        )


class IoUTracker:
    """Links detections frame to frame by IoU (module docstring).

    Parameters
    ----------
    iou : float
        The least IoU between a detection and a track's last box to continue it.
    max_gap : int
        Frames a track may go unmatched before it ends.
    """

    def __init__(self, iou: float = 0.3, max_gap: int = 2) -> None:
        if not 0 < iou <= 1:
            raise ValueError(f"iou must be in (0, 1], got {iou!r}")
        self.iou, self.max_gap = float(iou), int(max_gap)
        self._live: dict[int, tuple[str, np.ndarray, int]] = {}  # id -> class, box, last frame
        self._next = 1

    def update(self, frame: int, detections: Sequence[Mapping[str, Any]]) -> list[int]:
        """One track id per detection of ``frame``."""
        self._live = {k: v for k, v in self._live.items() if frame - v[2] <= self.max_gap}
        ids = list(self._live)
        out: list[int | None] = [None] * len(detections)
        if ids and detections:
            boxes = np.array([d["bbox"] for d in detections], dtype=np.float64)
            last = np.array([self._live[k][1] for k in ids], dtype=np.float64)
            iou = box_iou_matrix(boxes, last)
            scored = [
                (float(iou[i, j]), i, j)
                for i in range(len(detections))
                for j in range(len(ids))
                if iou[i, j] >= self.iou and detections[i]["class"] == self._live[ids[j]][0]
            ]
            for i, j in match_one_to_one(scored):
                out[i] = ids[j]
        for i, d in enumerate(detections):
            if out[i] is None:
                out[i] = self._next
                self._next += 1
            self._live[out[i]] = (d["class"], np.asarray(d["bbox"], dtype=np.float64), frame)  # type: ignore[index]
        return [int(x) for x in out]  # type: ignore[arg-type]


def simplify(keyframes: list[dict[str, Any]], tolerance: float) -> list[dict[str, Any]]:
    """The keyframes that linear interpolation of those kept cannot give back within
    ``tolerance`` pixels (every coordinate of every frame dropped); ``outside``
    keyframes, changes of ``occluded`` and the ends stay."""
    if len(keyframes) <= 2:
        return keyframes
    keep, dropped = [keyframes[0]], []
    for n in range(1, len(keyframes) - 1):
        a, k, b = keep[-1], keyframes[n], keyframes[n + 1]
        if (
            any(x.get("outside") for x in (a, k, b))
            or not a["occluded"] == k["occluded"] == b["occluded"]
        ):
            keep.append(k)
            dropped = []
        elif all(_close(_lerp(a, b, x["frame"]), x["bbox"], tolerance) for x in (*dropped, k)):
            dropped.append(k)
        else:
            keep.append(k)
            dropped = []
    keep.append(keyframes[-1])
    return keep


def _lerp(a: Mapping[str, Any], b: Mapping[str, Any], frame: int) -> list[float]:
    t = (frame - a["frame"]) / (b["frame"] - a["frame"])
    return [x + (y - x) * t for x, y in zip(a["bbox"], b["bbox"], strict=True)]


def _close(p: Sequence[float], q: Sequence[float], tolerance: float) -> bool:
    return max(abs(x - y) for x, y in zip(p, q, strict=True)) <= tolerance


def _detections(
    raw: Any,
    classes: list[str],
    label_map: Mapping[Any, Any] | None,
    min_score: float,
    skipped: Counter,
) -> list[dict[str, Any]]:
    """One frame's detections as ``{"bbox", "class", "score"}`` (module docstring)."""
    out = []
    if isinstance(raw, Mapping):
        boxes = np.asarray(_numpy(raw.get("boxes", [])), dtype=np.float64).reshape(-1, 4)
        labels = np.asarray(_numpy(raw.get("labels", [1] * len(boxes)))).reshape(-1)
        scores = np.asarray(
            _numpy(raw.get("scores", [1.0] * len(boxes))), dtype=np.float64
        ).reshape(-1)
        if not len(labels) == len(scores) == len(boxes):
            raise WorkbenchError("a detection dict's boxes, labels and scores differ in length")
        for (x1, y1, x2, y2), lab, sc in zip(boxes, labels, scores, strict=True):
            key = lab.item() if hasattr(lab, "item") else lab
            if label_map is not None:
                cls = label_map.get(key, label_map.get(str(key)))
            else:
                cls = (
                    classes[int(key) - 1]
                    if isinstance(key, int | np.integer) and 1 <= key <= len(classes)
                    else None
                )
            raw_det = {"bbox": [x1, y1, x2 - x1, y2 - y1], "class": cls, "score": sc}
            out.append(raw_det)
    elif raw is not None:
        for d in raw:
            if isinstance(d, Mapping):
                out.append(
                    {"bbox": d.get("bbox"), "class": d.get("class"), "score": d.get("score", 1.0)}
                )
            else:
                try:
                    x, y, w, h, cls, *rest = d
                except (TypeError, ValueError):
                    skipped["malformed"] += 1
                    continue
                out.append({"bbox": [x, y, w, h], "class": cls, "score": rest[0] if rest else 1.0})
    kept = []
    for d in out:
        try:
            box = [float(v) for v in d["bbox"]]
            score = float(d["score"])
        except (TypeError, ValueError):
            skipped["malformed"] += 1
            continue
        if (
            len(box) != 4
            or not all(math.isfinite(v) for v in box)
            or box[2] <= 0
            or box[3] <= 0
            or not 0 <= score <= 1
        ):
            skipped["malformed"] += 1
            continue
        if score < min_score or d["class"] is None and label_map is not None:
            continue
        if d["class"] not in classes:
            skipped["unknown class"] += 1
            continue
        kept.append({"bbox": box, "class": d["class"], "score": score})
    return kept


def _track_video(
    video: Any, call: Callable[[list[np.ndarray]], list[Any]], tracker: Any, step: int,
    batch_size: int, parse: Callable[[Any], list[dict[str, Any]]],
) -> tuple[dict[Any, dict[str, Any]], dict[Any, int], int]:  # fmt: skip
    """Detect on every ``step``-th frame, in batches, and link the detections:
    ``(tracks by id, each track's last frame, detections used)``. A track that
    skips frames gets an ``outside`` keyframe after the last frame it was seen."""
    by_track: dict[Any, dict[str, Any]] = {}
    last_frame: dict[Any, int] = {}
    used = 0
    batch: list[tuple[int, np.ndarray]] = []

    def feed() -> None:
        nonlocal used
        for (k, _), raw in zip(batch, call([f for _, f in batch]), strict=True):
            dets = parse(raw)
            used += len(dets)
            for d, tid in zip(dets, tracker.update(k, dets), strict=True):
                t = by_track.setdefault(tid, {"class": d["class"], "keyframes": []})
                if t["keyframes"] and last_frame[tid] < k - step:
                    gone = {"frame": last_frame[tid] + step, "outside": True, "occluded": False}
                    t["keyframes"].append(gone)
                t["keyframes"].append({"frame": k, "bbox": d["bbox"], "outside": False,
                                       "occluded": False, "score": d["score"]})  # fmt: skip
                last_frame[tid] = k
        batch.clear()

    for k, rgb in video.frames(0, None, step):
        batch.append((k, rgb))
        if len(batch) == batch_size:
            feed()
    if batch:
        feed()
    return by_track, last_frame, used


def _numpy(x: Any) -> Any:
    return x.detach().float().cpu().numpy() if hasattr(x, "detach") else x


def prelabel_video(
    project: Project,
    model: Any,
    *,
    task: str | None = None,
    step: int = 1,
    batch_size: int | None = None,
    label_map: Mapping[Any, Any] | None = None,
    min_score: float = 0.5,
    tracker: Callable[[], Any] | Any | None = None,
    keyframes: str = "changes",
    tolerance: float = 1.0,
    device: str = "auto",
    amp: bool = True,
    outputs: str = "auto",
    name: str | None = None,
    version: int | str | None = None,
    ids: Sequence[str] | None = None,
    write_events: bool = True,
    progress: bool = True,
) -> VideoPrelabels:
    """Detect on the frames of each video, link the boxes into tracks, store them as
    pre-labels (module docstring). ``tracker``: an object with ``update(frame,
    detections)``, or a function making one per video; :class:`IoUTracker` by
    default."""
    started = time.perf_counter()
    task_obj: VideoTracks = project.schema.task_of_kind(task, "video", purpose="video pre-labeling")  # type: ignore[assignment]
    if task_obj.shape != "box":
        raise SchemaError(
            f"task {task_obj.name!r} tracks polygons; a detector pre-labels box tracks"
        )
    if outputs != "auto":
        raise ValueError(
            "outputs= is for class probabilities; a detector returns boxes (leave it out)"
        )
    batch_size = 8 if batch_size is None else batch_size
    for what, v in (("step", step), ("batch_size", batch_size)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{what} must be a positive int, got {v!r}")
    if keyframes not in ("changes", "all"):
        raise ValueError(f"keyframes must be 'changes' or 'all', got {keyframes!r}")
    if (
        isinstance(min_score, bool)
        or not isinstance(min_score, int | float)
        or not 0 <= min_score <= 1
    ):
        raise ValueError(f"min_score must be a number from 0 to 1, got {min_score!r}")
    if not callable(model):
        raise TypeError(
            f"model must be a torch.nn.Module or a callable, got {type(model).__name__}"
        )
    import sys

    torch = sys.modules.get("torch")
    is_torch = torch is not None and isinstance(model, torch.nn.Module)
    dev = resolve_device(device, model=model) if is_torch else None
    item_ids = checked_item_ids(project, ids)
    saved = saved_runs(project.models_dir, task_obj.name, _RUN_FILE)
    model_id = new_model_id(model, name, version, project, task_obj.name, saved=saved)
    classes = task_obj.class_names
    skipped: Counter = Counter()
    events, rows = [], []
    from tqdm.auto import tqdm

    def call(batch: list[np.ndarray]) -> list[Any]:
        if not is_torch:
            return list(model(batch))
        with torch.inference_mode():
            tensors = [torch.from_numpy(f).permute(2, 0, 1).float().div(255).to(dev) for f in batch]
            if amp and dev is not None and dev.type == "cuda":
                with torch.autocast(device_type="cuda"):
                    return list(model(tensors))
            return list(model(tensors))

    bar = tqdm(total=len(item_ids), desc=f"prelabel {model_id}", unit="video", disable=not progress)
    was_training = bool(getattr(model, "training", False)) if is_torch else False
    if is_torch:
        model.eval()
    try:
        for iid in item_ids:
            (rec,) = project.store.get_items([iid])
            if rec.kind != "video":
                raise SchemaError(f"item {iid!r} is not a video: tracks are labeled in video")
            video = project.reader.video(rec)
            track_of = (
                tracker() if callable(tracker) and not hasattr(tracker, "update") else tracker
            )
            track_of = track_of if track_of is not None else IoUTracker(max_gap=2 * step)
            by_track, last_frame, n_det = _track_video(
                video, call, track_of, step, batch_size,
                lambda raw: _detections(raw, classes, label_map, float(min_score), skipped),
            )  # fmt: skip
            total = video.frame_count
            tracks = []
            for tid, t in by_track.items():
                end = last_frame[tid] + step
                if end < total:
                    t["keyframes"].append({"frame": end, "outside": True, "occluded": False})
                if keyframes == "changes":
                    t["keyframes"] = simplify(t["keyframes"], tolerance)
                tracks.append(t)
            value = task_obj.validate({"tracks": tracks})
            scores = [k["score"] for t in value["tracks"] for k in t["keyframes"] if "score" in k]
            score = float(np.mean(scores)) if scores else None
            events.append(
                Event(
                    iid,
                    task_obj.name,
                    value,
                    kind="prelabel",
                    annotator=f"model:{model_id}",
                    score=score,
                    schema_version=project.schema.version,
                )
            )
            rows.append(
                {
                    "item_id": iid,
                    "tracks": len(value["tracks"]),
                    "keyframes": sum(len(t["keyframes"]) for t in value["tracks"]),
                    "detections": n_det,
                    "score": math.nan if score is None else score,
                }
            )
            bar.update(1)
    finally:
        bar.close()
        if is_torch:
            model.train(was_training)
    if write_events:
        for s in range(0, len(events), EVENT_CHUNK):
            project.store.append(events[s : s + EVENT_CHUNK])
    frame = pd.DataFrame(rows, columns=["item_id", "tracks", "keyframes", "detections", "score"])
    result = VideoPrelabels(
        model_id, task_obj.name, frame, {e.item_id: e.value for e in events}, skipped, write_events
    )
    if skipped:
        shown = ", ".join(f"{n} {why}" for why, n in skipped.most_common())
        warnings.warn(
            f"prelabel {model_id}: detections not used ({shown})", UserWarning, stacklevel=3
        )
    save_run(
        project.models_dir,
        task_obj.name,
        model_id,
        _RUN_FILE,
        {
            "model": model_id,
            "task": task_obj.name,
            "kind": "video",
            "created_at": started,
            "items": result.items,
            "tracks": result.tracks,
            "skipped": dict(skipped),
            "written": write_events,
        },
    )
    logger.info(
        "workbench prelabel: %d videos, %d tracks with %s in %.2f s",
        result.items,
        result.tracks,
        model_id,
        time.perf_counter() - started,
    )
    return result
