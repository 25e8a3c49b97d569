"""Agreement between annotators: shapes (matching, IoU, OKS, masks) and nominal labels
(Cohen's and Fleiss' kappa, Krippendorff's alpha).

The statistics are shared by every task kind: shape matching in
:mod:`workbench.ml.shape_agreement`, kappa and alpha in :mod:`workbench.ml.stats`.
At project level, :func:`pairwise` scores every pair of annotators on every item of a
shapes task and :func:`project_agreement` summarises a classification task;
:func:`agreement` gives whichever the task's kind has (found through
:mod:`workbench.kinds.registry`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .kinds.classification.agreement import project_agreement
from .kinds.registry import for_task
from .kinds.shapes.agreement import pairwise
from .ml.shape_agreement import (
    DEFAULT_LINE_TOLERANCE,
    DEFAULT_SIGMA,
    PAIRWISE_COLUMNS,
    MaskAgreement,
    Match,
    by_annotator,
    iou_matrix,
    mask_agreement,
    match_shapes,
    oks,
    polyline_similarity,
    rasterize,
    semantic_agreement,
    shape_agreement,
    shape_bbox,
    shape_iou,
    table_pairwise,
)
from .ml.stats import (
    LabelAgreement,
    annotator_agreement,
    class_agreement,
    cohen_kappa,
    cohen_kappa_matrix,
    fleiss_kappa,
    krippendorff_alpha,
    label_counts,
    table_agreement,
)

if TYPE_CHECKING:
    from .project import Project

__all__ = [
    "Match",
    "MaskAgreement",
    "iou_matrix",
    "shape_iou",
    "match_shapes",
    "shape_agreement",
    "oks",
    "polyline_similarity",
    "mask_agreement",
    "semantic_agreement",
    "rasterize",
    "shape_bbox",
    "pairwise",
    "table_pairwise",
    "by_annotator",
    "DEFAULT_SIGMA",
    "DEFAULT_LINE_TOLERANCE",
    "PAIRWISE_COLUMNS",
    # nominal labels (workbench.ml.stats)
    "cohen_kappa",
    "cohen_kappa_matrix",
    "fleiss_kappa",
    "krippendorff_alpha",
    "label_counts",
    "class_agreement",
    "annotator_agreement",
    "project_agreement",
    "table_agreement",
    "LabelAgreement",
    "agreement",
]


def agreement(project: Project, task: str | None = None) -> Any:
    """Agreement between a project's annotators on ``task``, by its kind:
    :func:`project_agreement` for a classification task, :func:`pairwise` for a shapes
    task. With no task named, the first task whose kind has one."""
    return for_task(project.schema, task, "agreement").agreement(project, task)
