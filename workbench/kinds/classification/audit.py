"""Auditing a classification task: its labeled items ranked for review, likeliest
label errors first, from model probabilities (see :mod:`workbench.ml.confident`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...errors import WorkbenchError
from ...ml.annotations import annotator_labels
from ...ml.confident import as_probs, default_estimator, find_label_issues, label_quality
from ...ml.features import item_features, item_positions
from ...ml.predictions import Predictions
from ...ml.train import out_of_fold

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["issues", "out_of_fold_predictions", "find_issues_out_of_fold", "ISSUE_COLUMNS"]

ISSUE_COLUMNS = ["item_id", "label", "suggested", "quality", "is_issue", "annotators"]


def _aligned_probs(
    project: Project, predictions: Any, ids: list[str], task: str, classes: list[str]
) -> np.ndarray:
    """Probabilities of ``ids`` (N × K) with columns in the schema's class order."""
    if isinstance(predictions, Predictions):
        if predictions.task != task:
            raise ValueError(f"predictions are for task {predictions.task!r}, not {task!r}")
        where = {c: i for i, c in enumerate(predictions.classes)}
        absent = [c for c in classes if c not in where]
        extra = [c for c in predictions.classes if c not in set(classes)]
        if absent or extra:
            raise ValueError(
                f"predictions' classes {list(predictions.classes)} do not match task "
                f"{task!r} classes {classes}"
            )
        try:
            rows = predictions.index(ids)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        probs = np.asarray(predictions.probs[rows])
        cols = [where[c] for c in classes]
        return probs if cols == list(range(len(cols))) else probs[:, cols]
    probs = as_probs(predictions)
    if probs.shape[1] != len(classes):
        raise ValueError(
            f"predictions has {probs.shape[1]} columns but task {task!r} has {len(classes)} classes"
        )
    if len(probs) == len(ids):
        return np.asarray(probs)
    if len(probs) == len(project):
        return np.asarray(probs[item_positions(project, ids)])
    raise ValueError(
        f"predictions has {len(probs)} rows: give one per labeled item ({len(ids)}, in "
        f"project.labels() order) or one per item ({len(project)}, in item_ids() order)"
    )


def issues(
    project: Project,
    predictions: Predictions | np.ndarray,
    *,
    task: str | None = None,
    filter_by: str = "prune_by_noise_rate",
    method: str = "self_confidence",
) -> pd.DataFrame:
    """The labeled items of ``project`` ranked for review, likeliest label errors first.

    Parameters
    ----------
    project : Project
    predictions : Predictions or ndarray
        Model probabilities, ideally out-of-fold (see :func:`find_issues_out_of_fold`):
        a :class:`~workbench.ml.predictions.Predictions` (rows found by item id,
        columns by class name), or an array with one row per labeled item (in
        ``project.labels()`` order) or per item (``project.item_ids()`` order).
    task : str, optional
        The task to audit; the first by default.
    filter_by, method
        How :func:`find_label_issues` flags and :func:`label_quality` scores.

    Returns
    -------
    DataFrame
        One row per item with a current label: ``item_id``, ``label`` (the
        current label), ``suggested`` (the model's top class; for multi-label
        the classes with probability ≥ 0.5), ``quality`` (label quality, lower
        = worse), ``is_issue`` and ``annotators`` (``{annotator: label}`` of
        everyone who labeled the item). Flagged items come first, each group
        by ascending quality.
    """
    spec = project.schema.classification_task(task, purpose="an audit")
    classes = list(spec.class_names)
    current = project.labels(spec.name)
    if current.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    ids = current["item_id"].tolist()
    given = current["label"].tolist()
    probs = _aligned_probs(project, predictions, ids, spec.name, classes)
    multi = bool(getattr(spec, "multi_label", False))
    quality = label_quality(given, probs, method=method, multi_label=multi, classes=classes)
    flagged = find_label_issues(
        given, probs, filter_by=filter_by, multi_label=multi, classes=classes
    )
    if multi:
        suggested: list[Any] = [[classes[j] for j in np.flatnonzero(row >= 0.5)] for row in probs]
    else:
        names = np.asarray(classes, dtype=object)
        suggested = list(names[np.argmax(probs, axis=1)]) if len(probs) else []
    wide = annotator_labels(project, spec.name)
    by_item = {
        iid: {a: v for a, v in row.items() if not _missing(v)}
        for iid, row in zip(wide.index, wide.to_dict("records"), strict=True)
    }
    out = pd.DataFrame(
        {
            "item_id": ids,
            "label": given,
            "suggested": suggested,
            "quality": np.asarray(quality, dtype=np.float64),
            "is_issue": flagged,
            "annotators": [by_item.get(iid, {}) for iid in ids],
        }
    )
    order = np.lexsort((out["quality"].to_numpy(), ~out["is_issue"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def out_of_fold_predictions(
    project: Project,
    estimator: Any = None,
    *,
    features: Any = None,
    folds: int = 5,
    task: str | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Predictions:
    """Out-of-fold probabilities for every labeled item, trained on the current labels.

    ``features`` is anything :func:`workbench.ml.features.item_features` takes
    (the items' pixels by default); ``estimator`` defaults to
    :func:`default_estimator` and is cloned for each fold; ``progress`` shows a
    progress bar with one step per fold. Returns
    :class:`~workbench.ml.predictions.Predictions` (not saved) whose rows are the
    labeled items in ``project.labels()`` order.
    """
    spec = project.schema.classification_task(task, purpose="an audit")
    classes = list(spec.class_names)
    if getattr(spec, "multi_label", False):
        raise WorkbenchError(
            f"task {spec.name!r} is multi-label: out-of-fold training here is single-label; "
            "pass your model's probabilities to audit.issues() instead"
        )
    current = project.labels(spec.name)
    ids = current["item_id"].tolist()
    y = np.asarray(current["label"].tolist(), dtype=object)
    X = item_features(project, ids, features)
    model = default_estimator() if estimator is None else estimator
    probs = out_of_fold(model, X, y, folds=folds, seed=seed, classes=classes, progress=progress)
    name = "default" if estimator is None else type(estimator).__name__
    return Predictions(ids, probs, classes, model=f"oof-{name}@{seed}", task=spec.name)


def find_issues_out_of_fold(
    project: Project,
    estimator: Any = None,
    *,
    features: Any = None,
    folds: int = 5,
    task: str | None = None,
    seed: int = 0,
    filter_by: str = "prune_by_noise_rate",
    progress: bool = True,
) -> pd.DataFrame:
    """Train ``estimator`` out of fold on the current labels and audit them: :func:`issues`
    of :func:`out_of_fold_predictions` (see both). ``progress`` shows a progress bar,
    one step per fold (``progress=False`` hides it)."""
    preds = out_of_fold_predictions(
        project, estimator, features=features, folds=folds, task=task, seed=seed,
        progress=progress,
    )  # fmt: skip
    return issues(project, preds, task=task, filter_by=filter_by)
