"""Predictions: a model's class probabilities over items, saved as a memory-mapped array.

A :class:`Predictions` ties together the item ids (rows), the classes
(columns, in the schema's order), the probabilities (``N × K`` float32) and the
model that made them (``name@version``). :func:`save` writes them under the
project's models folder, one folder per model version::

    <models_dir>/<task>/<name>@<version>/probs.npy      N × K float32
                                        /ids.json       the N item ids
                                        /meta.json      classes, model, task, time

and :func:`load` opens ``probs.npy`` memory-mapped, so a pool of millions of
items costs no memory until rows are read. Sampling and audit functions take
``predictions.probs`` (or any ``N × K`` array) directly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WorkbenchError

__all__ = ["Predictions", "PredictionsWriter", "save", "load", "versions", "model_name"]

_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")
#: The class-major (K × N) copy of ``probs.npy`` saved beside it.
BY_CLASS = "probs_by_class.npy"


@dataclass
class Predictions:
    """Class probabilities of one model version over a set of items.

    Attributes
    ----------
    ids : list of str
        Item ids, one per row of ``probs``.
    probs : ndarray, shape (N, K)
        Probabilities (float32), rows summing to 1; columns follow ``classes``.
    classes : list of str
        Class names of the task, in the schema's order.
    model : str
        ``"name@version"`` of the model that made them.
    task : str
        The task they are for.
    path : Path or None
        The folder they are saved in, once saved.
    by_class : ndarray, shape (K, N), or None
        The same probabilities laid out class-major (one row per class), saved
        beside ``probs``: the acquisition functions of :mod:`workbench.ml.sampling`
        read it when given a ``Predictions``, several times faster than
        ``probs`` for a large pool.
    """

    ids: list[str]
    probs: np.ndarray
    classes: list[str]
    model: str
    task: str
    path: Path | None = None
    created_at: float = field(default_factory=time.time)
    by_class: np.ndarray | None = None

    def __post_init__(self) -> None:
        probs = self.probs
        if probs.ndim != 2:
            raise WorkbenchError(f"probs must be 2-D (items × classes), got shape {probs.shape}")
        if probs.shape != (len(self.ids), len(self.classes)):
            raise WorkbenchError(
                f"probs has shape {probs.shape} but there are {len(self.ids)} ids and "
                f"{len(self.classes)} classes"
            )
        if self.by_class is not None and self.by_class.shape != probs.shape[::-1]:
            raise WorkbenchError(
                f"by_class has shape {self.by_class.shape}, not {probs.shape[::-1]} (K × N)"
            )
        self._index: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, item_ids: Sequence[str]) -> np.ndarray:
        """Row numbers of ``item_ids``; a KeyError names the first id with no row."""
        if self._index is None:
            self._index = {iid: i for i, iid in enumerate(self.ids)}
        try:
            return np.fromiter((self._index[i] for i in item_ids), dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"no prediction for item {exc.args[0]!r} from {self.model}") from None

    def rows(self, item_ids: Sequence[str]) -> np.ndarray:
        """The ``len(item_ids) × K`` probabilities of those items."""
        return np.asarray(self.probs[self.index(item_ids)])

    def suggested(self) -> list[str]:
        """The most probable class of every row."""
        best = np.argmax(self.probs, axis=1)
        return [self.classes[i] for i in best]

    def frame(self) -> pd.DataFrame:
        """``item_id, suggested, confidence`` and one column per class."""
        probs = np.asarray(self.probs)
        best = probs.argmax(axis=1)
        df = pd.DataFrame(probs, columns=self.classes)
        df.insert(0, "confidence", probs[np.arange(len(probs)), best])
        df.insert(0, "suggested", [self.classes[i] for i in best])
        df.insert(0, "item_id", self.ids)
        return df

    def __repr__(self) -> str:
        return (
            f"Predictions(model={self.model!r}, task={self.task!r}, items={len(self.ids)}, "
            f"classes={len(self.classes)})"
        )


def model_name(name: str, version: str | int | None = None) -> str:
    """``name@version``; a ``name`` that already holds ``@`` is kept as it is."""
    if "@" in name:
        return name[len("model:") :] if name.startswith("model:") else name
    return f"{name}@{version if version is not None else 1}"


def model_folder(models_dir: Path, task: str, model: str) -> Path:
    """Where a model's saved output for ``task`` lives under ``models_dir``."""
    return Path(models_dir) / _SAFE.sub("_", task) / _SAFE.sub("_", model)


def saved_runs(models_dir: Path, task: str, record: str) -> list[str]:
    """The models of ``task`` whose run record (a JSON file named ``record``, as a
    kind's pre-labeler writes it with :func:`save_run`) is under ``models_dir``."""
    base = model_folder(models_dir, task, "x").parent
    if not base.is_dir():
        return []
    out = []
    for path in base.glob(f"*/{record}"):
        try:
            out.append(str(json.loads(path.read_text())["model"]))
        except (OSError, ValueError, KeyError):
            continue
    return out


def save_run(models_dir: Path, task: str, model: str, record: str, body: dict[str, Any]) -> None:
    """Write a pre-labeling run's record ``body`` (JSON) as ``record`` in the model's
    folder, through a temporary file renamed into place (never half written)."""
    folder = model_folder(models_dir, task, model)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{record}.tmp"
    tmp.write_text(json.dumps(body, indent=1))
    tmp.replace(folder / record)


def save(preds: Predictions, models_dir: str | Path) -> Predictions:
    """Write ``preds`` under ``models_dir`` and return them memory-mapped from disk.

    Writing goes to a temporary folder that is renamed into place, so a
    half-written version is never loaded.
    """
    with PredictionsWriter(
        models_dir, ids=preds.ids, classes=preds.classes, model=preds.model, task=preds.task,
        created_at=preds.created_at,
    ) as writer:  # fmt: skip
        step = 1 << 16
        for s in range(0, len(preds.ids), step):
            writer.write(s, preds.probs[s : s + step])
        return writer.commit()


class PredictionsWriter:
    """Stream probabilities into a new saved model version, block by block.

    For pools too large to hold twice: rows go straight into a memory-mapped
    ``probs.npy`` in a temporary folder; :meth:`commit` renames it into place
    (replacing an earlier save of the same version) and :meth:`abort`, or
    leaving a ``with`` block by an exception, deletes it, so a half-written
    version is never loaded.

    Parameters
    ----------
    models_dir : str or Path
        The project's models folder.
    ids : sequence of str
        The N item ids, one per row.
    classes : sequence of str
        The K class names, one per column.
    model : str
        ``"name@version"``.
    task : str
        The task the probabilities are for.

    Attributes
    ----------
    probs : numpy.memmap, shape (N, K), float32
        The array being written (zeros until rows are written).
    by_class : numpy.memmap, shape (K, N), float32
        Its class-major copy, written alongside.
    """

    def __init__(
        self,
        models_dir: str | Path,
        *,
        ids: Sequence[str],
        classes: Sequence[str],
        model: str,
        task: str,
        created_at: float | None = None,
    ) -> None:
        self.models_dir = Path(models_dir)
        self.ids = [str(i) for i in ids]
        self.classes = [str(c) for c in classes]
        self.model = model_name(model)
        self.task = task
        self.created_at = time.time() if created_at is None else created_at
        self._final = model_folder(self.models_dir, task, self.model)
        self._tmp = self._final.with_name(self._final.name + f".tmp{os.getpid()}")
        self._tmp.mkdir(parents=True, exist_ok=True)
        self.probs = np.lib.format.open_memmap(
            self._tmp / "probs.npy", mode="w+", dtype=np.float32,
            shape=(len(self.ids), len(self.classes)),
        )  # fmt: skip
        self.by_class = np.lib.format.open_memmap(
            self._tmp / BY_CLASS, mode="w+", dtype=np.float32,
            shape=(len(self.classes), len(self.ids)),
        )  # fmt: skip
        self._open = True

    def write(self, start: int, block: np.ndarray) -> None:
        """Write ``block`` (``n × K``) as rows ``start … start + n - 1``."""
        if not self._open:
            raise WorkbenchError("this PredictionsWriter is closed")
        self.probs[start : start + len(block)] = block
        self.by_class[:, start : start + len(block)] = np.asarray(block).T

    def commit(self) -> Predictions:
        """Finish the version and return it, memory-mapped from its final place."""
        if not self._open:
            raise WorkbenchError("this PredictionsWriter is closed")
        self.probs.flush()
        self.by_class.flush()
        del self.probs, self.by_class
        self._open = False
        (self._tmp / "ids.json").write_text(json.dumps(self.ids))
        meta = {"classes": self.classes, "model": self.model, "task": self.task,
                "created_at": self.created_at}  # fmt: skip
        (self._tmp / "meta.json").write_text(json.dumps(meta))
        if self._final.exists():
            old = self._final.with_name(self._final.name + f".old{os.getpid()}")
            self._final.rename(old)
            self._tmp.rename(self._final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self._tmp.rename(self._final)
        return load(self.models_dir, self.task, self.model)

    def abort(self) -> None:
        """Throw away what was written; nothing is saved."""
        if self._open:
            del self.probs, self.by_class
            self._open = False
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> PredictionsWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None or self._open:
            self.abort()


def load(models_dir: str | Path, task: str, model: str | None = None) -> Predictions:
    """Open saved predictions (memory-mapped); the latest model version when ``model`` is None."""
    if model is None:
        found = versions(models_dir, task)
        if not found:
            raise WorkbenchError(f"no saved predictions for task {task!r} under {models_dir}")
        model = found[-1]
    folder = model_folder(Path(models_dir), task, model_name(model))
    if not (folder / "meta.json").is_file():
        raise WorkbenchError(f"no saved predictions of {model!r} for task {task!r} in {folder}")
    meta = json.loads((folder / "meta.json").read_text())
    ids = json.loads((folder / "ids.json").read_text())
    probs = np.load(folder / "probs.npy", mmap_mode="r")
    by_class = None
    if (folder / BY_CLASS).is_file():  # versions saved before it existed have none
        by_class = np.load(folder / BY_CLASS, mmap_mode="r")
    return Predictions(ids, probs, meta["classes"], meta["model"], meta["task"], folder,
                       meta.get("created_at", 0.0), by_class)  # fmt: skip


def versions(models_dir: str | Path, task: str) -> list[str]:
    """Saved model versions for ``task``, oldest first."""
    base = Path(models_dir) / _SAFE.sub("_", task)
    if not base.is_dir():
        return []
    found: list[tuple[float, str]] = []
    for meta in base.glob("*/meta.json"):
        body: dict[str, Any] = json.loads(meta.read_text())
        found.append((body.get("created_at", 0.0), body["model"]))
    return [m for _, m in sorted(found)]
