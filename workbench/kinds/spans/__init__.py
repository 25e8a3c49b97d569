"""The text-span task kind (:class:`TextSpans`): entity spans and relations in text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..registry import TaskKind, register
from .matcher import Matcher
from .schema import Relation, TextSpans

if TYPE_CHECKING:
    from ...project import Project

__all__ = ["TextSpans", "Relation", "Matcher", "KIND"]


# The behaviour modules load on first use: `import workbench` stays light.
def _prelabel(
    project: Project, model: Any, *, features: Any = None, transform: Any = None,
    num_workers: int = 0, **options: Any,
) -> Any:  # fmt: skip
    from .prelabel import prelabel_spans

    if features is not None or transform is not None:
        raise TypeError("features= and transform= are for classification and shapes tasks; "
                        "a span model reads each item's text")  # fmt: skip
    if num_workers:
        raise TypeError("num_workers= is for image tasks; span pre-labeling reads texts inline")
    return prelabel_spans(project, model, **options)


def _audit(project: Project, predictions: Any = None, **options: Any) -> Any:
    from .audit import span_issues

    return span_issues(project, predictions, **options)


def _agreement(project: Project, task: str | None = None) -> Any:
    from .agreement import project_agreement

    return project_agreement(project, task)


def _disagreement(values: Sequence[Any]) -> float:
    """``1 − mean pairwise`` exact span F1 (:mod:`.agreement`)."""
    from .agreement import pairwise_f1

    return 1.0 - pairwise_f1(values, "exact")


KIND = register(
    TaskKind("spans", TextSpans, widget="annotate_text", prelabel=_prelabel, audit=_audit,
             agreement=_agreement, disagreement=_disagreement)
)  # fmt: skip
