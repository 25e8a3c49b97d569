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
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import WorkbenchError

__all__ = ["Predictions", "save", "load", "versions", "model_name"]

_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")


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
    """

    ids: list[str]
    probs: np.ndarray
    classes: list[str]
    model: str
    task: str
    path: Path | None = None
    created_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        probs = self.probs
        if probs.ndim != 2:
            raise WorkbenchError(f"probs must be 2-D (items × classes), got shape {probs.shape}")
        if probs.shape != (len(self.ids), len(self.classes)):
            raise WorkbenchError(
                f"probs has shape {probs.shape} but there are {len(self.ids)} ids and "
                f"{len(self.classes)} classes"
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


def _folder(models_dir: Path, task: str, model: str) -> Path:
    return Path(models_dir) / _SAFE.sub("_", task) / _SAFE.sub("_", model)


def save(preds: Predictions, models_dir: str | Path) -> Predictions:
    """Write ``preds`` under ``models_dir`` and return them memory-mapped from disk.

    Writing goes to a temporary folder that is renamed into place, so a
    half-written version is never loaded.
    """
    final = _folder(Path(models_dir), preds.task, preds.model)
    tmp = final.with_name(final.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    out = np.lib.format.open_memmap(
        tmp / "probs.npy", mode="w+", dtype=np.float32, shape=preds.probs.shape
    )
    step = 1 << 16
    for s in range(0, len(preds.ids), step):
        out[s : s + step] = preds.probs[s : s + step]
    out.flush()
    del out
    (tmp / "ids.json").write_text(json.dumps(list(preds.ids)))
    meta = {"classes": list(preds.classes), "model": preds.model, "task": preds.task,
            "created_at": preds.created_at}  # fmt: skip
    (tmp / "meta.json").write_text(json.dumps(meta))
    if final.exists():
        old = final.with_name(final.name + f".old{os.getpid()}")
        final.rename(old)
        tmp.rename(final)
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    else:
        tmp.rename(final)
    return load(models_dir, preds.task, preds.model)


def load(models_dir: str | Path, task: str, model: str | None = None) -> Predictions:
    """Open saved predictions (memory-mapped); the latest model version when ``model`` is None."""
    if model is None:
        found = versions(models_dir, task)
        if not found:
            raise WorkbenchError(f"no saved predictions for task {task!r} under {models_dir}")
        model = found[-1]
    folder = _folder(Path(models_dir), task, model_name(model))
    if not (folder / "meta.json").is_file():
        raise WorkbenchError(f"no saved predictions of {model!r} for task {task!r} in {folder}")
    meta = json.loads((folder / "meta.json").read_text())
    ids = json.loads((folder / "ids.json").read_text())
    probs = np.load(folder / "probs.npy", mmap_mode="r")
    return Predictions(ids, probs, meta["classes"], meta["model"], meta["task"], folder,
                       meta.get("created_at", 0.0))  # fmt: skip


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
