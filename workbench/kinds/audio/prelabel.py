"""Pre-labeling an audio-regions task: regions from a model, stored as suggestions.

:func:`prelabel_audio` (reached through :func:`workbench.prelabel.prelabel` and
:meth:`Project.prelabel` when the task is an :class:`~workbench.AudioRegions`
task) stores, per clip, one ``prelabel`` event whose value is the task's value
(``{"regions": [...]}``) with each region's ``score``. The audio widget shows
them dashed, with their score, to accept, edit or reject.

The models it takes
-------------------
over windows (``per="window"``, the default)
    a ``torch.nn.Module`` or a callable, given a batch of windows of the clip
    (mono, float32 in [-1, 1]): a ``B × W`` array (a float tensor for a torch
    module, on ``device``), ``W`` the frames of ``window`` seconds; it returns
    ``B × C`` logits or probabilities, ``classes=`` naming the ``C`` columns (the
    task's classes, in order, by default). Windows start every ``hop`` seconds
    (``window`` by default); the last one is padded with silence. Each window
    stands for the ``hop`` seconds at its centre (the first from 0, the last to
    its end), and runs of windows that take one class become one region, scored
    by the mean probability of that class over the run. A window takes its most
    probable class when that scores ``min_score`` or more (0.5 by default);
    ``multi_label=True`` reads the columns as independent probabilities (a
    sigmoid of logits) and takes every class at or above ``min_score``, so
    regions of different classes may overlap (the task must allow it).
    ``sample_rate=`` names the rate the model expects: a clip at another rate is
    refused (nothing is resampled here).
over a whole clip (``per="clip"``)
    a callable ``fn(audio) -> regions``, given the :class:`~workbench.media.Audio`:
    a list of dicts ``{"start", "end", "class", "score"?}`` or tuples ``(start,
    end, class[, score])``, times in seconds, or a value dict ``{"regions": [...]}``.

What is stored
--------------
``label_map`` renames the model's classes (``{"speech": "voice", "noise":
None}``, None dropping one). A region is **not stored**, and counted in the
warning the run ends with and in the result's ``skipped``, when it is
malformed, has a class the task does not have, starts after the clip ends, or
overlaps a region already kept in a task whose regions do not overlap (kept:
the highest score, then the longest). A region that runs past the end is cut
at the end. Regions scoring below ``min_score`` are dropped silently, as a
threshold does. Every clip gets one event (no regions: ``{"regions": []}``),
whose score is the mean of its regions' scores; annotator ``model:name@version``.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...errors import SchemaError, WorkbenchError
from ...ml.parts import take_disjoint
from ...ml.predictions import save_run, saved_runs
from ...ml.runner import (
    EVENT_CHUNK,
    check_block,
    checked_item_ids,
    make_runner,
    new_model_id,
    resolve_device,
)  # fmt: skip
from ...store.base import Event
from .schema import TIME_DECIMALS

if TYPE_CHECKING:
    from ...media import Audio
    from ...project import Project
    from .schema import AudioRegions

__all__ = ["prelabel_audio", "AudioPrelabels", "SKIP_REASONS", "window_regions"]

logger = logging.getLogger("workbench.prelabel")
logger.addHandler(logging.NullHandler())

#: Why a model's region was not stored (keys of :attr:`AudioPrelabels.skipped`).
SKIP_REASONS = ("malformed", "unknown class", "after the clip", "overlapping")
_RUN_FILE = "audio.json"
_DEFAULT_BATCH = 64


@dataclass(frozen=True, repr=False, eq=False)
class AudioPrelabels:
    """What an audio pre-labeling run produced.

    Attributes
    ----------
    model : str
        ``"name@version"``; the events' annotator is ``model:name@version``.
    task : str
    frame : pandas.DataFrame
        One row per clip, in run order: ``item_id``, ``regions`` (stored),
        ``score`` (the event's: mean region score, NaN when none) and ``skipped``.
    values : dict
        ``{item_id: value}`` as stored.
    skipped : collections.Counter
        Regions not stored, by reason (:data:`SKIP_REASONS`).
    written : bool
        Whether the ``prelabel`` events were appended.
    """

    model: str
    task: str
    frame: pd.DataFrame
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    written: bool = True

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def items(self) -> int:
        return len(self.frame)

    @property
    def regions(self) -> int:
        return int(self.frame["regions"].sum())

    @property
    def n_skipped(self) -> int:
        return int(sum(self.skipped.values()))

    def __repr__(self) -> str:
        return (f"AudioPrelabels({self.model!r}, task={self.task!r}, items={self.items}, "
                f"regions={self.regions}, skipped={self.n_skipped})")  # fmt: skip


def _positive(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
        raise ValueError(f"{what} must be a positive number of seconds, got {v!r}")
    return float(v)


def prelabel_audio(
    project: Project,
    model: Any,
    *,
    task: str | None = None,
    per: str = "window",
    window: float = 1.0,
    hop: float | None = None,
    classes: Sequence[str] | None = None,
    multi_label: bool = False,
    outputs: str = "auto",
    sample_rate: int | None = None,
    batch_size: int | None = None,
    device: str = "auto",
    amp: bool = True,
    label_map: Mapping[str, str | None] | None = None,
    min_score: float = 0.5,
    name: str | None = None,
    version: int | str | None = None,
    ids: Sequence[str] | None = None,
    write_events: bool = True,
    progress: bool = True,
) -> AudioPrelabels:
    """Run a model over audio clips; store its regions as pre-labels.

    Parameters
    ----------
    project : Project
    model : torch.nn.Module or callable
        See the module docstring.
    task : str, optional
        An audio-regions task; the schema's first one by default.
    per : {"window", "clip"}
        What the model is called on (module docstring).
    window, hop : float
        Seconds of one window, and between the starts of two (``window`` by default).
    classes : sequence of str, optional
        The model's output columns (before ``label_map``); the task's classes by default.
    multi_label : bool
        Columns are independent probabilities (module docstring).
    outputs : {"auto", "logits", "probs"}
        What the model returns (as for classification pre-labels).
    sample_rate : int, optional
        The rate the model expects; clips at another rate are refused.
    batch_size : int, optional
        Windows per model call (64 by default).
    device, amp
        For a torch module, as for the other kinds.
    label_map : mapping, optional
        Model class → task class (None drops it).
    min_score : float
        A class is taken where it scores at least this (windows), and regions
        scoring below it are dropped (clips).
    name, version, ids, write_events, progress
        As for the other kinds.
    """
    started = time.perf_counter()
    task_obj: AudioRegions = project.schema.task_of_kind(
        task, "audio", purpose="audio pre-labeling"
    )  # type: ignore[assignment]
    if per not in ("window", "clip"):
        raise ValueError(f"per must be 'window' or 'clip', got {per!r}")
    window = _positive(window, "window")
    hop = window if hop is None else _positive(hop, "hop")
    if hop > window:
        raise ValueError(f"hop ({hop} s) must not be longer than window ({window} s)")
    batch_size = _DEFAULT_BATCH if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if outputs not in ("auto", "logits", "probs"):
        raise ValueError(f"outputs must be one of ['auto', 'logits', 'probs'], got {outputs!r}")
    if isinstance(min_score, bool) or not isinstance(min_score, int | float) or not (
        0.0 <= min_score <= 1.0
    ):  # fmt: skip
        raise ValueError(f"min_score must be a number from 0 to 1, got {min_score!r}")
    if label_map is not None and not isinstance(label_map, Mapping):
        raise TypeError(f"label_map must be a dict {{model class: task class}}, got {label_map!r}")
    if multi_label and not task_obj.overlapping:
        raise SchemaError(
            f"task {task_obj.name!r}: multi_label=True makes regions that overlap, and this "
            "task's regions do not (AudioRegions(..., overlapping=True) allows it)"
        )
    columns = list(task_obj.class_names if classes is None else [str(c) for c in classes])
    if not columns:
        raise ValueError("classes must name at least one model output")
    torch = _torch_of(model)
    kind = "torch" if torch is not None else "callable"
    if not callable(model):
        raise TypeError(
            f"model must be a torch.nn.Module or a callable, got {type(model).__name__}"
        )
    if per == "clip" and kind == "torch":
        raise TypeError("per='clip' takes a callable fn(audio) -> regions, not a torch module")
    item_ids = checked_item_ids(project, ids)
    saved = saved_runs(project.models_dir, task_obj.name, _RUN_FILE)
    model_id = new_model_id(model, name, version, project, task_obj.name, saved=saved)
    annotator = f"model:{model_id}"
    cleaner = _Cleaner(task_obj, label_map, min_score)
    from tqdm.auto import tqdm

    runner: Any = None
    if per == "window":
        dev = resolve_device(device, model=model) if torch is not None else None
        runner = make_runner(kind, model, columns, dev, amp, outputs, multi_label, torch)
    events: list[Event] = []
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(item_ids), desc=f"prelabel {model_id}", unit="clip", disable=not progress)
    try:
        for start in range(0, len(item_ids), 256):
            part = item_ids[start : start + 256]
            records = {r.item_id: r for r in project.store.get_items(part)}
            for iid in part:
                rec = records[iid]
                if rec.kind != "audio":
                    raise SchemaError(f"item {iid!r} is not audio: regions are labeled in audio")
                audio = project.reader.audio(rec)
                if per == "clip":
                    raw = model(audio)
                else:
                    if sample_rate is not None and audio.sample_rate != sample_rate:
                        raise WorkbenchError(
                            f"item {iid!r} is at {audio.sample_rate} Hz; the model expects "
                            f"{sample_rate} Hz (resample the clips, or leave sample_rate= out)"
                        )
                    with runner:
                        probs = _window_probs(runner, audio, window, hop, batch_size, columns,
                                              iid, task_obj.name)  # fmt: skip
                    raw = window_regions(probs, columns, window=window, hop=hop,
                                         duration=audio.duration, min_score=min_score,
                                         multi_label=multi_label)  # fmt: skip
                value, dropped = cleaner(iid, audio.duration, raw)
                scores = [r["score"] for r in value["regions"] if "score" in r]
                score = float(np.mean(scores)) if scores else None
                events.append(Event(iid, task_obj.name, value, kind="prelabel",
                                    annotator=annotator, score=score,
                                    schema_version=project.schema.version))  # fmt: skip
                rows.append({"item_id": iid, "regions": len(value["regions"]),
                             "score": math.nan if score is None else score,
                             "skipped": dropped})  # fmt: skip
                bar.update(1)
    finally:
        bar.close()
    if write_events:
        for s in range(0, len(events), EVENT_CHUNK):
            project.store.append(events[s : s + EVENT_CHUNK])
    frame = pd.DataFrame(rows, columns=["item_id", "regions", "score", "skipped"])
    frame["score"] = frame["score"].astype(float)
    result = AudioPrelabels(model_id, task_obj.name, frame, {e.item_id: e.value for e in events},
                            Counter(cleaner.skipped), write_events)  # fmt: skip
    if result.n_skipped:
        shown = ", ".join(f"{n} {why}" for why, n in result.skipped.most_common())
        warnings.warn(
            f"prelabel {model_id}: {result.n_skipped} of the model's regions were not stored "
            f"({shown}); first: {cleaner.first}",
            UserWarning,
            stacklevel=3,
        )
    body = {"model": result.model, "task": result.task, "kind": "audio", "created_at": started,
            "items": result.items, "regions": result.regions, "skipped": dict(result.skipped),
            "written": result.written}  # fmt: skip
    save_run(project.models_dir, result.task, result.model, _RUN_FILE, body)
    logger.info("workbench prelabel: %d clips, %d regions (%d skipped) with %s in %.2f s",
                result.items, result.regions, result.n_skipped, model_id,
                time.perf_counter() - started)  # fmt: skip
    return result


def _torch_of(model: Any) -> Any:
    """The torch module when ``model`` is a ``torch.nn.Module``, else None."""
    import sys

    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(model, torch.nn.Module) else None


def _window_probs(
    runner: Any, audio: Audio, window: float, hop: float, batch_size: int, columns: list[str],
    item_id: str, task: str,
) -> np.ndarray:  # fmt: skip
    """``windows × C`` probabilities of one clip, its windows read ``batch_size`` at a time."""
    sr = audio.sample_rate
    frames, total = max(1, round(window * sr)), audio.info.frames
    step = max(1, round(hop * sr))
    starts = np.arange(0, max(total - frames, 0) + 1, step)
    if len(starts) and starts[-1] + frames < total:  # the rest of the clip: one more window
        starts = np.append(starts, starts[-1] + step)
    out = []
    for b in range(0, len(starts), batch_size):
        first = starts[b : b + batch_size]
        lo, hi = int(first[0]), int(first[-1]) + frames
        signal = audio.read(lo / sr, min(hi, total) / sr, mono=True)
        signal = np.pad(signal, (0, hi - lo - len(signal)))
        batch = np.stack([signal[s - lo : s - lo + frames] for s in first])
        probs = runner(batch)
        check_block(probs, len(batch), columns, item_id, task)
        out.append(probs)
    return np.concatenate(out) if out else np.zeros((0, len(columns)), np.float32)


def window_regions(
    probs: np.ndarray, classes: Sequence[str], *, window: float, hop: float, duration: float,
    min_score: float = 0.5, multi_label: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """Regions from ``windows × C`` probabilities of windows starting every ``hop``
    seconds (module docstring): each window stands for the ``hop`` seconds at its
    centre, and runs of windows taking one class become one region, scored by the
    class's mean probability over the run."""
    n = len(probs)
    if n == 0:
        return []
    pad = (window - hop) / 2
    edges = np.arange(n + 1) * hop + pad
    edges[0] = 0.0
    edges[-1] = min(duration, (n - 1) * hop + window)
    edges = np.minimum(edges, duration)
    if multi_label:
        taken = probs >= min_score
    else:
        best = probs.argmax(axis=1)
        taken = np.zeros_like(probs, dtype=bool)
        taken[np.arange(n), best] = probs[np.arange(n), best] >= min_score
    out = []
    for j, cls in enumerate(classes):
        col = np.concatenate([[False], taken[:, j], [False]])
        change = np.flatnonzero(col[1:] != col[:-1])
        for a, b in zip(change[::2], change[1::2], strict=True):
            start, end = float(edges[a]), float(edges[b])
            if end > start:
                out.append({"start": start, "end": end, "class": cls,
                            "score": float(probs[a:b, j].mean())})  # fmt: skip
    out.sort(key=lambda r: (r["start"], r["class"]))
    return out


class _Cleaner:
    """A model's regions → the task's value: classes mapped, malformed and unknown
    ones counted, overlaps resolved for a task whose regions do not overlap."""

    def __init__(self, task: AudioRegions, label_map: Mapping[str, Any] | None,
                 min_score: float) -> None:  # fmt: skip
        self.task = task
        self.label_map = dict(label_map or {})
        self.min_score = float(min_score)
        self.skipped: Counter = Counter()
        self.first = ""

    def _skip(self, why: str, item_id: str, shown: Any) -> None:
        self.skipped[why] += 1
        if not self.first:
            self.first = f"{why}: item {item_id!r}, {shown!r}"

    def __call__(self, item_id: str, duration: float, raw: Any) -> tuple[dict[str, Any], int]:
        before = sum(self.skipped.values())
        if isinstance(raw, Mapping):
            raw = raw.get("regions", ())
        if raw is None or isinstance(raw, str | bytes) or not hasattr(raw, "__iter__"):
            raise WorkbenchError(
                f"the model returned {type(raw).__name__} for item {item_id!r}; it must return "
                "a list of regions"
            )
        limit = math.ceil(duration * 10**TIME_DECIMALS) / 10**TIME_DECIMALS
        kept = []
        for r in raw:
            parsed = _parse(r)
            if parsed is None:
                self._skip("malformed", item_id, r)
                continue
            start, end, cls, score = parsed
            if cls in self.label_map:
                cls = self.label_map[cls]
                if cls is None:
                    continue
            if score is not None and score < self.min_score:
                continue
            if cls not in self.task._class_set:  # type: ignore[attr-defined]
                self._skip("unknown class", item_id, r)
                continue
            start, end = round(start, TIME_DECIMALS), round(min(end, limit), TIME_DECIMALS)
            if start >= limit or start >= end:
                self._skip("after the clip" if start >= limit else "malformed", item_id, r)
                continue
            region: dict[str, Any] = {"start": start, "end": end, "class": cls}
            if score is not None:
                region["score"] = score
            kept.append(region)
        unique = list({(r["start"], r["end"], r["class"]): r for r in kept}.values())
        if not self.task.overlapping:

            def rank(r: dict[str, Any]) -> tuple[float, float, float]:
                return (-r.get("score", 1.0), -(r["end"] - r["start"]), r["start"])

            unique, dropped = take_disjoint(
                sorted(unique, key=rank), lambda r: (r["start"], r["end"])
            )
            for r in dropped:
                self._skip("overlapping", item_id, r)
        value = self.task.validate({"regions": unique})
        return value, sum(self.skipped.values()) - before


def _parse(r: Any) -> tuple[float, float, str, float | None] | None:
    """``(start, end, class, score)`` of a region dict or tuple, or None if malformed."""
    try:
        if isinstance(r, Mapping):
            start, end, cls, score = r["start"], r["end"], r["class"], r.get("score")
        else:
            start, end, cls, *rest = r
            score = rest[0] if rest else None
        start, end = float(start), float(end)
        score = None if score is None else float(score)
    except (TypeError, ValueError, KeyError):
        return None
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
        return None
    if score is not None and not 0.0 <= score <= 1.0:
        return None
    if not isinstance(cls, str):
        return None
    return start, end, cls, score
