"""Agreement between a project's annotators on a shapes task (shape matching itself is
in :mod:`workbench.ml.shape_agreement`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ...ml.annotations import annotator_labels
from ...ml.shape_agreement import DEFAULT_LINE_TOLERANCE, table_pairwise

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["pairwise"]


def pairwise(
    project: Project,
    task: str | None = None,
    *,
    iou_threshold: float = 0.5,
    by_class: bool = True,
    sigmas: float | Sequence[float] | Mapping[str, Any] | None = None,
    line_tolerance: float = DEFAULT_LINE_TOLERANCE,
) -> pd.DataFrame:
    """Agreement of every pair of annotators on every item both labeled.

    Each annotator's latest label of each item (:func:`workbench.audit.annotator_labels`:
    ``label`` and ``review-correct`` events, retractions honoured, model
    pre-labels left out) of a shapes task.

    Returns
    -------
    DataFrame
        One row per (item, pair of annotators), annotators in name order:
        ``item_id``, ``annotator_a``, ``annotator_b``, ``score``
        (:func:`shape_agreement`), ``matched``, ``unmatched_a``,
        ``unmatched_b`` and ``mean_iou`` (of the matched pairs, NaN when none).
        Items in project order.
    """
    spec = project.schema.task_of_kind(task, "shapes", purpose="shape agreement")
    return table_pairwise(
        annotator_labels(project, spec.name), iou_threshold=iou_threshold, by_class=by_class,
        sigmas=sigmas, line_tolerance=line_tolerance,
    )  # fmt: skip
