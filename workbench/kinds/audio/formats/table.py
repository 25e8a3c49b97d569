"""Region tables: one row per region, as CSV, TSV, Parquet or a DataFrame.

Columns, in order (the ones a task does not use left out):

=====================  =========================================================
``item_id``            the clip's item id
``file``               its file's URI (the item id for a signal added as an array)
``start``, ``end``     seconds (floats; a CSV writes them exactly, as Python's repr)
``class``              the region's class
``id``                 the region's id
``text``               its transcription (tasks with ``transcripts=True``)
``score``              a model's score, empty when none
``attributes.<name>``  one column per attribute of the task
=====================  =========================================================

A clip labeled with no regions is one row whose ``start``, ``end`` and ``class``
are empty, so a round trip keeps "labeled: nothing here" apart from "not
labeled". On import a clip is found by ``item_id`` when given and known, else
by ``file`` (the project's audio item with that URI, or that file name, or a new
audio item when the file exists; a relative path is read from the table's
folder); rows of one clip need not be adjacent. Only ``start``, ``end``,
``class`` and one of ``item_id``/``file`` are required. A CSV is read with
every cell as text (so a transcription "NA" stays "NA"); empty cells are
missing values. A malformed row, an unknown class or attribute value, or a
region past the end of its clip is a :class:`RegionTableError` naming the file
and the row, and nothing is stored.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ....files import read_bytes
from ..schema import AudioRegions
from ._common import AudioFormatError, Incoming, audio_task, clip_file, labeled_clips, store_clips

__all__ = ["to_region_table", "from_region_table", "RegionTableError"]

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}


class RegionTableError(AudioFormatError):
    """A region table is malformed or does not fit the project; the message names
    the file and the row."""


def _format_of(path: str | os.PathLike) -> str:
    fmt = _FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise RegionTableError(
            f"{os.fspath(path)}: a region table is a .csv, .tsv or .parquet file"
        )
    return fmt


def columns(task: AudioRegions) -> list[str]:
    """The table's columns for ``task``, in order."""
    out = ["item_id", "file", "start", "end", "class", "id"]
    if task.transcripts:
        out.append("text")
    out.append("score")
    out += [f"attributes.{a.name}" for a in task.attributes]
    return out


def to_region_table(
    project: Any,
    *,
    task: str | None = None,
    path: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """The current labels of an audio-regions task, one row per region (module
    docstring); also written to ``path`` (``.csv``, ``.tsv`` or ``.parquet``) when
    given. Nothing is lost: every field of a region has its column."""
    t = audio_task(project, task, "a region table")
    fmt = _format_of(path) if path is not None else None
    cols = columns(t)
    rows = []
    for item_id, record, value in labeled_clips(project, t, "region table export", progress):
        clip = {"item_id": item_id, "file": clip_file(record)}
        if not value["regions"]:
            rows.append({**clip, "start": None, "end": None, "class": None, "id": None})
        for r in value["regions"]:
            row = {**clip, "start": r["start"], "end": r["end"], "class": r["class"],
                   "id": r["id"], "score": r.get("score")}  # fmt: skip
            if t.transcripts:
                row["text"] = r.get("text", "")
            for a in t.attributes:
                row[f"attributes.{a.name}"] = r["attributes"].get(a.name, a.default)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=cols)
    for c in ("start", "end", "score"):
        frame[c] = frame[c].astype("float64")
    if path is not None:
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            # Every string quoted: a lone carriage return in a transcription would
            # otherwise end the row for a reader (Python's csv quotes only "\n").
            frame.to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",",
                         quoting=csv.QUOTE_NONNUMERIC)  # fmt: skip
    return frame


def from_region_table(
    project: Any,
    source: str | os.PathLike | pd.DataFrame,
    *,
    task: str | None = None,
    annotator: str | None = None,
    progress: bool | None = None,
) -> int:
    """Import a region table (a ``.csv``/``.tsv``/``.parquet`` file or a DataFrame)
    as labels of an audio-regions task; returns how many labels were written (one
    per clip). All or nothing (module docstring)."""
    t = audio_task(project, task, "a region table")
    base = None
    if isinstance(source, pd.DataFrame):
        where, frame = "<region table>", source
    elif isinstance(source, str | os.PathLike):
        where = os.fspath(source)
        fmt = _format_of(where)
        raw = read_bytes(where, RegionTableError)
        base = os.path.dirname(os.path.abspath(where))
        try:
            if fmt == "parquet":
                frame = pd.read_parquet(io.BytesIO(raw))
            else:
                frame = pd.read_csv(io.BytesIO(raw), sep="\t" if fmt == "tsv" else ",",
                                    dtype=str, keep_default_na=False, na_values=[""])  # fmt: skip
        except Exception as exc:
            raise RegionTableError(f"{where}: cannot be read as a table: {exc}") from None
    else:
        raise TypeError(f"source must be a path or a DataFrame, got {type(source).__name__}")
    clips = _clips(t, frame, where)
    return store_clips(project, t, clips, RegionTableError, annotator=annotator, base=base,
                       progress=progress, desc="region table import")  # fmt: skip


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _clips(t: AudioRegions, frame: pd.DataFrame, where: str) -> list[Incoming]:
    names = [str(c) for c in frame.columns]
    for need in ("start", "end", "class"):
        if need not in names:
            raise RegionTableError(f"{where}: no column {need!r}; columns: {names}")
    if "item_id" not in names and "file" not in names:
        raise RegionTableError(f"{where}: no column 'item_id' or 'file' to say which clip")
    attrs = {a.name: a for a in t.attributes}
    for c in names:
        if c.startswith("attributes.") and c[len("attributes.") :] not in attrs:
            raise RegionTableError(
                f"{where}: column {c!r}: task {t.name!r} has no attribute "
                f"{c[len('attributes.') :]!r}; attributes: {sorted(attrs)}"
            )
    if "text" in names and not t.transcripts:
        texts = [v for v in frame["text"] if not _missing(v) and v != ""]
        if texts:
            raise RegionTableError(
                f"{where}: column 'text' holds transcriptions, and task {t.name!r} has none "
                "(AudioRegions(..., transcripts=True))"
            )
    clips: dict[tuple[str, str], Incoming] = {}
    rows_of: dict[tuple[str, str], list[int]] = {}
    for n, row in enumerate(frame.to_dict("records"), start=1):
        at = f"{where}: row {n}"
        item_id, file = row.get("item_id"), row.get("file")
        item_id = None if _missing(item_id) else str(item_id)
        file = None if _missing(file) else str(file)
        if item_id is None and file is None:
            raise RegionTableError(f"{at}: neither an item id nor a file")
        key = ("id", item_id) if item_id is not None else ("file", file)  # type: ignore[assignment]
        clip = clips.get(key)
        if clip is None:
            clip = clips[key] = Incoming(at, item_id=item_id, file=file)
            rows_of[key] = []
        elif file is not None and clip.file is not None and file != clip.file:
            raise RegionTableError(
                f"{at}: item {item_id!r} has file {clip.file!r} in an earlier row"
            )
        elif file is not None:
            clip.file = file
        rows_of[key].append(n)
        empty = [_missing(row.get(c)) for c in ("start", "end", "class")]
        if all(empty):
            continue  # a clip labeled with no regions
        if any(empty):
            gone = [c for c, e in zip(("start", "end", "class"), empty, strict=True) if e]
            raise RegionTableError(
                f"{at}: no {gone[0]!r} (a row with a region gives start, end and class)"
            )
        region: dict[str, Any] = {}
        for c in ("start", "end", "score"):
            v = row.get(c)
            if _missing(v):
                continue
            try:
                region[c] = float(v)
            except (TypeError, ValueError):
                raise RegionTableError(f"{at}: column {c!r}: a number, got {v!r}") from None
        region["class"] = str(row["class"])
        if not _missing(row.get("id")):
            region["id"] = str(row["id"])
        if t.transcripts:
            text = row.get("text")
            region["text"] = "" if _missing(text) else str(text)
        values = {}
        for name, a in attrs.items():
            v = row.get(f"attributes.{name}")
            if _missing(v):
                continue
            values[name] = _attribute(a, v, f"{at}: column 'attributes.{name}'")
        if values:
            region["attributes"] = values
        clip.regions.append(region)
    out = []
    for key, clip in clips.items():
        rows = rows_of[key]
        if len(rows) > 1:
            clip.where = f"{where}: rows {_ranges(rows)}"
        out.append(clip)
    return out


def _attribute(a: Any, v: Any, where: str) -> Any:
    """A cell as the attribute's value: CSV cells are text, Parquet cells typed."""
    if a.kind == "bool" and isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise RegionTableError(f"{where}: true or false, got {v!r}")
    if a.kind == "number" and isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            raise RegionTableError(f"{where}: a number, got {v!r}") from None
    if hasattr(v, "item"):  # numpy scalars from a typed column
        v = v.item()
    return v


def _ranges(rows: list[int]) -> str:
    """``1-3, 7`` for ``[1, 2, 3, 7]`` (the first five runs)."""
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:5]]
    return ", ".join(shown) + (" …" if len(runs) > 5 else "")
