"""Pre-labeling a classification task: the model's class probabilities saved as one
model version, and one ``prelabel`` event per item (the most probable class, or for a
multi-label task the classes with probability ≥ 0.5) with ``model:<name>@<version>``
as annotator. The batching, device and model handling are shared
(:mod:`workbench.ml.runner`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import require
from ...ml.features import Features
from ...ml.predictions import Predictions, PredictionsWriter
from ...ml.runner import (
    EVENT_CHUNK,
    check_block,
    check_options,
    checked_item_ids,
    item_loader,
    make_runner,
    model_kind,
    new_model_id,
    resolve_device,
)

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["prelabel"]

logger = logging.getLogger("workbench.prelabel")
logger.addHandler(logging.NullHandler())


def prelabel(
    project: Project,
    model: Any,
    *,
    batch_size: int | None = None,
    device: str = "auto",
    task: str | None = None,
    name: str | None = None,
    version: int | str | None = None,
    ids: Sequence[str] | None = None,
    features: Features = None,
    transform: Callable[[np.ndarray], Any] | None = None,
    outputs: str = "auto",
    amp: bool = True,
    num_workers: int = 0,
    write_events: bool = True,
    progress: bool = True,
    **shape_options: Any,
) -> Predictions:
    """:func:`workbench.prelabel.prelabel` for a classification task (see there)."""
    if shape_options:
        raise TypeError(
            f"prelabel() got unexpected keyword argument(s) {sorted(shape_options)}; "
            "label_map, score_threshold and the other shape options apply to shapes tasks only"
        )
    batch_size = 256 if batch_size is None else batch_size
    torch = require("torch", "ml")
    started = time.perf_counter()
    check_options(batch_size, outputs, num_workers)
    # Pre-labels are class probabilities: only a classification task has columns for them.
    task_obj = project.schema.classification_task(task, purpose="pre-labeling")
    classes = list(task_obj.class_names)
    multi_label = bool(getattr(task_obj, "multi_label", False))
    item_ids = checked_item_ids(project, ids)

    kind = model_kind(model, torch)
    dev = resolve_device(device, model=model if kind == "torch" else None)
    run = make_runner(kind, model, classes, dev, amp, outputs, multi_label, torch)
    model_id = new_model_id(model, name, version, project, task_obj.name)

    batches = item_loader(
        project, item_ids, features, transform, batch_size, num_workers,
        flatten=(kind == "sklearn"), pixels=(features is None and kind == "torch"),
        as_tensor=(kind == "torch"), pin=(dev.type == "cuda"), torch=torch,
    )  # fmt: skip
    from tqdm.auto import tqdm

    writer = PredictionsWriter(
        project.models_dir, ids=item_ids, classes=classes, model=model_id, task=task_obj.name
    )
    bar = tqdm(total=len(item_ids), desc=f"prelabel {model_id}", unit="item", disable=not progress)
    try:
        with run:
            for positions, batch in batches:
                probs = run(batch)
                start = int(positions[0])
                check_block(probs, len(positions), classes, item_ids[start], task_obj.name)
                writer.write(start, probs)
                bar.update(len(positions))
        preds = writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        bar.close()
    infer_s = time.perf_counter() - started
    if write_events:
        _write_events(project, preds, task_obj.name, multi_label, progress=progress)
    logger.info(
        "workbench prelabel: %d items with %s on %s in %.2f s (%.2f s inference)",
        len(item_ids), model_id, dev, time.perf_counter() - started, infer_s,
    )  # fmt: skip
    return preds


def _write_events(project: Project, preds: Predictions, task: str, multi_label: bool, *,
                  progress: bool) -> None:  # fmt: skip
    from tqdm.auto import tqdm

    annotator = f"model:{preds.model}"
    classes = preds.classes
    n = len(preds.ids)
    bar = tqdm(
        total=n, desc="prelabel events", unit="item", disable=not progress or n < EVENT_CHUNK
    )
    try:
        for s in range(0, n, EVENT_CHUNK):
            block = np.asarray(preds.probs[s : s + EVENT_CHUNK], dtype=np.float32)
            ids = preds.ids[s : s + len(block)]
            if multi_label:
                chosen = block >= 0.5
                scores = np.where(chosen, block, 1.0 - block).min(axis=1, initial=1.0)
                values: list[Any] = [[classes[j] for j in np.flatnonzero(row)] for row in chosen]
            else:
                best = block.argmax(axis=1)
                scores = block[np.arange(len(block)), best]
                values = [classes[j] for j in best]
            events = [
                project.make_event(iid, v, task=task, kind="prelabel", annotator=annotator,
                                   score=float(sc))
                for iid, v, sc in zip(ids, values, scores.tolist(), strict=True)
            ]  # fmt: skip
            project.store.append(events)
            bar.update(len(events))
    finally:
        bar.close()
