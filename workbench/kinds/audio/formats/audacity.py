"""Audacity label tracks: the text files Audacity's *Export Labels* writes and
*Import Labels* reads.

One file per clip, one line per region: ``start<TAB>end<TAB>label``, times in
seconds with six decimals (what Audacity writes; the task keeps microseconds,
so times round-trip exactly). A point label has ``start == end``; Audacity's
spectral selections add a line ``\\<TAB>low<TAB>high`` (Hz) after their label.

The label is the region's class; in a task with ``transcripts=True`` a region
with a transcription is labeled ``class: text``, split at the first ``": "``
after a class name on import (a label that names no class is an error, so a
transcription never becomes a class by accident). Attributes, scores and ids
have no place in the file: an export names what it left out in one warning
(:class:`AudacityFormatError` with ``strict=True``). On import, point labels
and frequency ranges, which a region cannot hold, are counted in a warning,
and nothing else is dropped: a malformed line, an unknown class or a region past
the end of its clip is an :class:`AudacityFormatError` naming the file and the
line, and nothing is stored.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

from ....files import read_bytes
from ..schema import AudioRegions
from ._common import (
    AudioFormatError,
    Incoming,
    Losses,
    audio_task,
    clip_file,
    labeled_clips,
    plural,
    store_clips,
)

__all__ = ["to_audacity", "from_audacity", "AudacityFormatError"]

#: Bytes of one label file (a label track of a day of speech turns is well under this).
MAX_LABEL_FILE_BYTES = 64 << 20
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


class AudacityFormatError(AudioFormatError):
    """An Audacity label file is malformed or does not fit the project; the message
    names the file and the line."""


def _label(t: AudioRegions, r: dict[str, Any]) -> str:
    text = r.get("text") or ""
    return f"{r['class']}: {text}" if text else r["class"]


def to_audacity(
    project: Any,
    folder: str | os.PathLike,
    *,
    task: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> dict[str, Path]:
    """Write one Audacity label file per labeled clip into ``folder`` (made if
    missing): ``<file name without extension>.txt`` for a clip added by URI (the
    item id where two clips share a name), ``<item id>.txt`` for a signal. Returns
    ``{item_id: path}``."""
    t = audio_task(project, task, "Audacity labels")
    out_dir = Path(folder)
    losses = Losses()
    clips = list(labeled_clips(project, t, "Audacity export", progress))
    stems = Counter(PurePosixPath(clip_file(r)).stem for _, r, _ in clips)
    written: dict[str, Path] = {}
    bodies = []
    for item_id, record, value in clips:
        stem = PurePosixPath(clip_file(record)).stem
        name = stem if stems[stem] == 1 and stem else item_id
        losses.regions(t, value, keep=("text",))
        lines = []
        for r in value["regions"]:
            label = _label(t, r)
            if "\n" in label or "\r" in label or "\t" in label:
                losses.change("transcription", "line breaks and tabs written as spaces")
                label = re.sub(r"[\t\r\n]", " ", label)
            lines.append(f"{r['start']:.6f}\t{r['end']:.6f}\t{label}\n")
        bodies.append((item_id, out_dir / f"{_safe(name)}.txt", "".join(lines)))
    losses.report(t, "an Audacity label file", strict, AudacityFormatError)
    out_dir.mkdir(parents=True, exist_ok=True)
    for item_id, path, body in bodies:
        path.write_text(body, encoding="utf-8")
        written[item_id] = path
    return written


def _safe(name: str) -> str:
    """A file name with no path separator or control character in it."""
    return re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", name) or "_"


def from_audacity(
    project: Any,
    source: str | os.PathLike,
    *,
    item: str | None = None,
    task: str | None = None,
    annotator: str | None = None,
    progress: bool | None = None,
) -> int:
    """Import Audacity label files as labels of an audio-regions task; returns how
    many labels were written (one per file).

    ``source`` is one label file, or a folder whose ``.txt`` files are read. Each
    file's clip: ``item`` (an item id, or an audio file's path or URI) for a single
    file; otherwise the audio item whose file name without extension is the label
    file's (``speech.txt`` labels ``speech.wav``), or whose id it is. All or
    nothing.
    """
    t = audio_task(project, task, "Audacity labels")
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
        if item is not None:
            raise TypeError("item= names the clip of a single label file, not of a folder")
        if not files:
            raise AudacityFormatError(f"{path}: no .txt label files in this folder")
    else:
        files = [path]
    ids = set(project.item_ids())
    by_stem = _audio_stems(project)
    clips = []
    dropped: Counter = Counter()
    for f in files:
        where = os.fspath(f)
        regions = _parse(
            t, read_bytes(f, AudacityFormatError, MAX_LABEL_FILE_BYTES), where, dropped
        )
        if item is not None:
            clip = Incoming(where, item_id=item) if item in ids else Incoming(where, file=item)
        elif f.stem in ids:
            clip = Incoming(where, item_id=f.stem)
        else:
            found = by_stem.get(f.stem, [])
            if len(found) != 1:
                why = "no audio item" if not found else f"{len(found)} audio items ({found[:3]})"
                raise AudacityFormatError(
                    f"{where}: {why} of file name {f.stem!r}; pass item= (an item id or the "
                    "audio file) for this label file"
                )
            clip = Incoming(where, item_id=found[0])
        clip.regions = regions
        clips.append(clip)
    written = store_clips(project, t, clips, AudacityFormatError, annotator=annotator,
                          base=os.fspath(path if path.is_dir() else path.parent),
                          progress=progress, desc="Audacity import")  # fmt: skip
    if dropped:
        shown = ", ".join(f"{plural(n, what)}" for what, n in sorted(dropped.items()))
        warnings.warn(f"{os.fspath(source)}: not imported: {shown}", UserWarning, stacklevel=2)
    return written


def _audio_stems(project: Any) -> dict[str, list[str]]:
    """Audio items by their file name without extension."""
    out: dict[str, list[str]] = {}
    ids = project.item_ids()
    for r in project.store.get_items(ids) if ids else []:
        if r.kind == "audio" and r.uri and not r.uri.startswith("items://"):
            out.setdefault(PurePosixPath(r.uri).stem, []).append(r.item_id)
    return out


def _parse(t: AudioRegions, raw: bytes, where: str, dropped: Counter) -> list[dict[str, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AudacityFormatError(f"{where}: not UTF-8 text: {exc}") from None
    classes = sorted(t.class_names, key=len, reverse=True)  # "car horn" before "car"
    regions = []
    for n, line in enumerate(text.splitlines(), start=1):
        at = f"{where}: line {n}"
        if not line.strip():
            continue
        parts = line.split("\t")
        if parts[0] == "\\":  # a spectral selection: the frequency range of the label above
            dropped["frequency range"] += 1
            continue
        if len(parts) < 2 or not _NUMBER.fullmatch(parts[0].strip()) or not _NUMBER.fullmatch(
            parts[1].strip()
        ):  # fmt: skip
            raise AudacityFormatError(
                f"{at}: a label line is start<TAB>end<TAB>label (seconds), got {line[:80]!r}"
            )
        start, end = float(parts[0]), float(parts[1])
        label = "\t".join(parts[2:])
        if start == end:
            dropped["point label"] += 1
            continue
        region: dict[str, Any] = {"start": start, "end": end}
        if label in t.class_names:
            region["class"] = label
        else:
            cls = next((c for c in classes if label.startswith(f"{c}: ")), None)
            if cls is None or not t.transcripts:
                raise AudacityFormatError(
                    f"{at}: label {label[:80]!r} is no class of task {t.name!r}"
                    + ("" if cls is None else " (and the task has no transcripts)")
                    + f"; classes: {t.class_names}"
                )
            region["class"], region["text"] = cls, label[len(cls) + 2 :]
        regions.append(region)
    return regions
