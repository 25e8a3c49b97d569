"""The classification task kind: one class name (or, multi-label, a list) per item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import SchemaError
from ..registry import TaskKind, register, value_disagreement
from .schema import Classification

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["Classification", "KIND"]


# The behaviour modules load on first use: `import workbench` stays light.
def _prelabel(project: Project, model: Any, **options: Any) -> Any:
    from .prelabel import prelabel

    return prelabel(project, model, **options)


def _audit(project: Project, predictions: Any, **options: Any) -> Any:
    from .audit import issues

    return issues(project, predictions, **options)


def _agreement(project: Project, task: str | None = None) -> Any:
    from .agreement import project_agreement

    return project_agreement(project, task)


def _consensus(task: Classification, wide: Any, pred_probs: Any = None) -> Any:
    from ...ml.confident import consensus

    if task.multi_label:
        raise SchemaError(
            f"consensus needs a single-label classification task; {task.name!r} is not one"
        )
    return consensus(wide, pred_probs, classes=[c.name for c in task.classes])


KIND = register(
    TaskKind("classification", Classification, widget="classify", prelabel=_prelabel,
             audit=_audit, agreement=_agreement, disagreement=value_disagreement,
             consensus=_consensus)
)  # fmt: skip
