"""The shapes task kind: boxes, polygons, polylines, keypoints, masks and cuboids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..registry import TaskKind, register
from .schema import Attribute, Shapes, Skeleton

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["Shapes", "Attribute", "Skeleton", "KIND"]


# The behaviour modules load on first use: `import workbench` stays light.
def _prelabel(
    project: Project, model: Any, *, features: Any = None, batch_size: int | None = None,
    **options: Any,
) -> Any:  # fmt: skip
    from .prelabel import prelabel_shapes

    if features is not None:
        raise TypeError("features= is for classification tasks; a shapes model sees images")
    return prelabel_shapes(
        project, model, batch_size=8 if batch_size is None else batch_size, **options
    )


def _audit(project: Project, predictions: Any = None, **options: Any) -> Any:
    from .audit import shape_issues

    return shape_issues(project, predictions, **options)


def _agreement(project: Project, task: str | None = None) -> Any:
    from .agreement import pairwise

    return pairwise(project, task)


def _disagreement(values: Sequence[Any]) -> float:
    """``1 − mean pairwise`` :func:`~workbench.ml.shape_agreement.shape_agreement`."""
    from ...ml.shape_agreement import shape_agreement

    scores = [
        shape_agreement(values[i], values[j])
        for i in range(len(values))
        for j in range(i + 1, len(values))
    ]
    return float(1.0 - np.mean(scores))


KIND = register(
    TaskKind("shapes", Shapes, widget="annotate", prelabel=_prelabel, audit=_audit,
             agreement=_agreement, disagreement=_disagreement)
)  # fmt: skip
