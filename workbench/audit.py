"""Label-error detection: label quality scores, label issues, multi-annotator consensus.

Array level, in cleanlab's form (:mod:`workbench.ml.confident`, shared by every task
kind): :func:`label_quality`, :func:`find_label_issues`, :func:`consensus`.

Project level, per task kind: :func:`issues` ranks a classification task's labeled
items worst first for the review widget, :func:`find_issues_out_of_fold` trains a
model with out-of-fold predictions and audits in one call, :func:`shape_issues`
audits a shapes task, and :func:`audit` runs whichever audit the task's kind has
(found through :mod:`workbench.kinds.registry`). :func:`annotator_labels` gathers
every annotator's label from the event log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .kinds.classification.audit import (
    ISSUE_COLUMNS,
    find_issues_out_of_fold,
    issues,
    out_of_fold_predictions,
)
from .kinds.registry import for_task
from .kinds.shapes.audit import shape_issues
from .ml.annotations import ANNOTATOR_KINDS, annotator_labels
from .ml.confident import (
    FILTERS,
    METHODS,
    Consensus,
    consensus,
    default_estimator,
    find_label_issues,
    label_quality,
)

if TYPE_CHECKING:
    import pandas as pd

    from .project import Project

__all__ = [
    "label_quality",
    "find_label_issues",
    "consensus",
    "Consensus",
    "issues",
    "annotator_labels",
    "out_of_fold_predictions",
    "find_issues_out_of_fold",
    "default_estimator",
    "METHODS",
    "FILTERS",
    "shape_issues",
    "audit",
    "ISSUE_COLUMNS",
    "ANNOTATOR_KINDS",
]


def audit(
    project: Project, predictions: Any = None, *, task: str | None = None, **options: Any
) -> pd.DataFrame:
    """The labeled items of ``task`` ranked for review, likeliest label errors first, by
    its kind's audit: :func:`issues` for a classification task, :func:`shape_issues`
    for a shapes task (``options`` go to that function). With no task named, the first
    task whose kind has an audit. A kind without one raises :class:`~workbench.SchemaError`.
    """
    kind = for_task(project.schema, task, "audit")
    return kind.audit(project, predictions, task=task, **options)
