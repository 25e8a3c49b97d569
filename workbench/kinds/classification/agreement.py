"""Agreement between a project's annotators on a classification task (the statistics
themselves are in :mod:`workbench.ml.stats`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...ml.annotations import annotator_labels
from ...ml.stats import LabelAgreement, table_agreement

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["project_agreement"]


def project_agreement(project: Project, task: str | None = None) -> LabelAgreement:
    """Agreement between a project's annotators on a single-label classification task.

    Reads each annotator's latest label of each item
    (:func:`workbench.audit.annotator_labels`: ``label`` and ``review-correct``
    events, retractions honoured, model pre-labels left out).

    Parameters
    ----------
    project : Project
    task : str, optional
        A single-label classification task; the first classification task by
        default.

    Returns
    -------
    LabelAgreement
    """
    spec = project.schema.classification_task(task, purpose="label agreement")
    if spec.multi_label:
        raise ValueError(
            f"task {spec.name!r} is multi-label; nominal agreement needs one class per label"
        )
    return table_agreement(annotator_labels(project, spec.name), spec.class_names, spec.name)
