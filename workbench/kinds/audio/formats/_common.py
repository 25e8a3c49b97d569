"""What every audio-region format reads from and writes to a project.

- :func:`audio_task`: the :class:`~workbench.AudioRegions` task a format works on;
- :func:`labeled_clips`: ``(item_id, record, value)`` of every labeled audio item;
- :func:`clip_file`: the file name a format writes for a clip;
- :class:`Losses`: what an exporter could not write, counted and named in one
  warning (or one error with ``strict=True``);
- :class:`Incoming` and :func:`store_clips`: an importer's clips, matched to the
  project's audio items (by id, else by file), added as audio items when the
  project lacks a file that exists, validated through the schema against each
  clip's length, and written in one transaction: all or nothing.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ....errors import ItemReadError, SchemaError, StoreError, WorkbenchError
from ....imports import MediaItems, labeled_items, media_file
from ....items import progress_bar
from ....store.base import Event, ItemRecord
from ..schema import AudioRegions

__all__ = ["AudioFormatError", "audio_task", "labeled_clips", "clip_file", "Losses", "Incoming",
           "store_clips", "plural"]  # fmt: skip


class AudioFormatError(WorkbenchError, ValueError):
    """An audio-region file is malformed or does not fit the project; the message
    names the file, the clip and the field. Each format has its own subclass."""


def audio_task(project: Any, task: str | None, fmt: str) -> AudioRegions:
    """The task (the schema's first audio task by default), an AudioRegions task."""
    t = project.schema.task_of_kind(task, "audio", purpose=fmt)
    assert isinstance(t, AudioRegions)
    return t


def labeled_clips(
    project: Any, task: AudioRegions, desc: str = "export", progress: bool | None = None
) -> Iterator[tuple[str, ItemRecord, dict[str, Any]]]:
    """``(item_id, record, value)`` of every labeled audio item
    (:func:`~workbench.imports.labeled_items`)."""
    return labeled_items(project, task.name, desc, progress, unit="clip")


#: What a format names a clip's file by (:func:`~workbench.imports.media_file`).
clip_file = media_file


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Losses:
    """What an export could not write as it was: ``field(name)`` counts a region
    field left out, ``drop(what, why)`` a thing left out, ``change(what, how)`` one
    written otherwise. :meth:`report` names them all in one warning, or raises
    with ``strict=True``."""

    def __init__(self) -> None:
        self.fields: Counter[str] = Counter()
        self.dropped: Counter[tuple[str, str]] = Counter()
        self.changed: Counter[tuple[str, str]] = Counter()

    def change(self, what: str, how: str, n: int = 1) -> None:
        if n:
            self.changed[what, how] += n

    def field(self, name: str, n: int = 1) -> None:
        if n:
            self.fields[name] += n

    def drop(self, what: str, why: str, n: int = 1) -> None:
        if n:
            self.dropped[what, why] += n

    def regions(self, task: AudioRegions, value: Mapping[str, Any], keep: Sequence[str]) -> None:
        """Count the fields of ``value``'s regions that carry something and are not
        in ``keep``: attributes other than their defaults, scores, texts, ids other
        than the ``r1``, ``r2`` … an import gives back."""
        defaults = {a.name: a.default for a in task.attributes}
        for k, r in enumerate(value["regions"], start=1):
            if "attributes" not in keep and r.get("attributes", defaults) != defaults:
                self.field("attributes")
            if "score" not in keep and r.get("score") is not None:
                self.field("score")
            if "text" not in keep and r.get("text"):
                self.field("text")
            if "id" not in keep and r["id"] != f"r{k}":
                self.field("id")

    def report(
        self, task: AudioRegions, fmt: str, strict: bool, error: Callable[[str], Exception]
    ) -> None:
        parts = []
        if self.fields:
            shown = (f"{name} of {plural(n, 'region')}" for name, n in sorted(self.fields.items()))
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


@dataclass
class Incoming:
    """One clip an importer read: ``where`` names it in errors (``file.csv: rows
    3-7``); ``item_id`` and/or ``file`` say which clip; ``regions`` as the task's
    value takes them (dicts with ``start``, ``end``, ``class`` …)."""

    where: str
    item_id: str | None = None
    file: str | None = None
    regions: list[dict[str, Any]] = field(default_factory=list)


def store_clips(
    project: Any,
    task: AudioRegions,
    clips: Sequence[Incoming],
    error: Callable[[str], Exception],
    *,
    annotator: str | None = None,
    base: str | None = None,
    progress: bool | None = None,
    desc: str = "import",
) -> int:
    """Match, validate and store the clips of one import; returns how many labels
    were written (one per clip).

    Each clip's item: its ``item_id`` when the project has it; else the audio
    item whose URI is its ``file`` (a relative path is taken from ``base``, the
    folder of the file imported), or whose file name is ``file`` when that is a
    bare name matching one item; else a new audio item for ``file`` when that
    file exists (its id as :meth:`~workbench.Project.add_audio` gives it, or
    ``item_id``). Every value is validated by the task and checked against the
    clip's length (its header) before anything is written; new items and then the
    labels (in one transaction) are written once all passed. The same clip twice
    in one import is refused.
    """
    items = MediaItems(project, "audio", error, base=base, noun="a clip")
    items.prefetch(c.item_id for c in clips)
    events: list[Event] = []
    version = project.schema.version
    who = annotator or project.annotator
    with progress_bar(len(clips), desc, progress, unit="clip") as bar:
        for clip in clips:
            bar.update(1)
            where = clip.where
            record = items.record(clip.item_id, clip.file, where)
            try:
                valid = task.validate({"regions": clip.regions})
                if valid["regions"]:
                    task.check_duration(valid, project.reader.audio(record).duration)
            except SchemaError as exc:
                raise error(f"{where}: {exc}") from None
            except (ItemReadError, ImportError) as exc:
                raise error(f"{where}: {exc}") from None
            try:
                events.append(Event(item_id=record.item_id, task=task.name, value=valid,
                                    annotator=who, schema_version=version))  # fmt: skip
            except StoreError as exc:
                raise error(f"{where}: {exc}") from None
    if items.new:
        project.add_audio([r.uri for r in items.new.values()], ids=list(items.new), progress=False)
    project.store.append(events)  # one transaction: all or nothing
    return len(events)
