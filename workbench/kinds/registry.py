"""The task-kind registry: what the façades (:mod:`workbench.prelabel`,
:mod:`workbench.audit`, :mod:`workbench.agreement`) look up by a task's kind.

Each kind package under ``workbench/kinds/`` registers one :class:`TaskKind`: its
schema class (also made loadable by :func:`workbench.schema.register_task_kind`) and
the behaviour it offers. A behaviour left ``None`` is one the kind does not have;
asking for it raises a :class:`~workbench.SchemaError` naming the kind.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import SchemaError
from ..schema import Task, register_task_kind, unregister_task_kind

if TYPE_CHECKING:
    from ..schema import Schema

__all__ = [
    "TaskKind", "register", "unregister", "get", "kinds", "for_task", "disagreement",
    "value_disagreement",
]  # fmt: skip

#: What a kind may offer, and the words an error uses for it.
BEHAVIOURS = {
    "prelabel": "pre-labeling", "audit": "audit", "agreement": "agreement",
    "disagreement": "disagreement score", "consensus": "consensus",
}  # fmt: skip


@dataclass(frozen=True)
class TaskKind:
    """One task kind: its schema class and what it can do.

    ``prelabel(project, model, *, task, batch_size, features, ..., **options)``,
    ``audit(project, predictions, *, task, **options)`` and
    ``agreement(project, task)`` are called with the task's name resolved; ``widget``
    names the widget that annotates it (``"classify"``, ``"annotate"``).

    Team mode asks two more: ``disagreement(values)``, how much several annotators'
    labels of one item disagree, in [0, 1] (routing to review; a kind without one
    is scored by :func:`value_disagreement`, the share of labels that differ from
    the most common), and ``consensus(task, wide, pred_probs)``, one label per item
    from the annotators' labels (``wide``: items × annotators, as
    ``Team.annotator_labels`` gives it; the result has ``items`` with
    ``consensus_label`` and ``annotator_agreement``), raising a
    :class:`~workbench.SchemaError` for a task it cannot do (a kind without one
    has no consensus, final labels or agreement with it).
    """

    name: str
    task_class: type[Task]
    widget: str | None = None
    prelabel: Callable[..., Any] | None = None
    audit: Callable[..., Any] | None = None
    agreement: Callable[..., Any] | None = None
    disagreement: Callable[[Sequence[Any]], float] | None = None
    consensus: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        if self.task_class.kind != self.name:
            raise SchemaError(
                f"task kind {self.name!r}: its class {self.task_class.__name__} has kind "
                f"{self.task_class.kind!r}"
            )


_KINDS: dict[str, TaskKind] = {}


def register(kind: TaskKind) -> TaskKind:
    """Register ``kind`` (replacing one of the same name) and its schema class."""
    register_task_kind(kind.task_class)
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Undo :func:`register` (for a kind defined in a test, say)."""
    _KINDS.pop(name, None)
    unregister_task_kind(name)


def get(name: str) -> TaskKind:
    """The registered kind called ``name``."""
    try:
        return _KINDS[name]
    except KeyError:
        raise SchemaError(f"unknown task kind {name!r}; known: {sorted(_KINDS)}") from None


def kinds() -> list[TaskKind]:
    """Every registered kind, in registration order."""
    return list(_KINDS.values())


def for_task(schema: Schema, task: str | None, behaviour: str) -> TaskKind:
    """The kind that does ``behaviour`` (``"prelabel"``, ``"audit"``, ``"agreement"``) for
    ``task`` of ``schema``. With no task named: the first kind, in registration order,
    that offers it and has a task in the schema (else the first kind that offers it, whose
    own check then names what is missing)."""
    words = BEHAVIOURS[behaviour]
    if task is not None:
        kind = get(schema.task(task).kind)
        if getattr(kind, behaviour) is None:
            raise SchemaError(f"task {task!r} is of kind {kind.name!r}, which has no {words}")
        return kind
    able = [k for k in _KINDS.values() if getattr(k, behaviour) is not None]
    present = {t.kind for t in schema.tasks}
    for k in able:
        if k.name in present:
            return k
    if not able:
        raise SchemaError(f"no task kind offers {words}")
    return able[0]


def value_disagreement(values: Sequence[Any]) -> float:
    """``1 − share of the most common value`` (values compared as JSON); 0 for fewer
    than two. The disagreement of a kind that registers none."""
    if len(values) < 2:
        return 0.0
    counts = Counter(json.dumps(v, sort_keys=True) for v in values)
    return 1.0 - counts.most_common(1)[0][1] / len(values)


def disagreement(kind: str, values: Sequence[Any]) -> float:
    """How much ``values``, several annotators' labels of one item of a task of kind
    ``kind``, disagree, in [0, 1] (0: all the same; fewer than two labels: 0)."""
    if len(values) < 2:
        return 0.0
    score = get(kind).disagreement or value_disagreement
    return float(score(values))
