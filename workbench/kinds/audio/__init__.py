"""The audio task kind (:class:`AudioRegions`): time regions of a clip, with classes,
attributes and transcriptions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..registry import TaskKind, register
from .schema import AudioRegions

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["AudioRegions", "KIND"]


# The behaviour modules load on first use: `import workbench` stays light.
def _prelabel(
    project: Project, model: Any, *, features: Any = None, transform: Any = None,
    num_workers: int = 0, **options: Any,
) -> Any:  # fmt: skip
    from .prelabel import prelabel_audio

    if features is not None or transform is not None:
        raise TypeError("features= and transform= are for classification and shapes tasks; "
                        "an audio model reads each clip's samples")  # fmt: skip
    if num_workers:
        raise TypeError("num_workers= is for image tasks; audio pre-labeling reads clips inline")
    return prelabel_audio(project, model, **options)


def _agreement(project: Project, task: str | None = None) -> Any:
    from .agreement import project_agreement

    return project_agreement(project, task)


def _disagreement(values: Sequence[Any]) -> float:
    """``1 − mean pairwise`` segment F1 (:mod:`.agreement`)."""
    from .agreement import pairwise_f1

    return 1.0 - pairwise_f1(values)


KIND = register(
    TaskKind("audio", AudioRegions, widget="annotate_audio", prelabel=_prelabel,
             agreement=_agreement, disagreement=_disagreement)
)  # fmt: skip
