"""The task-kind registry: what the façades (:mod:`workbench.prelabel`,
:mod:`workbench.audit`, :mod:`workbench.agreement`) look up by a task's kind.

Each kind package under ``workbench/kinds/`` registers one :class:`TaskKind`: its
schema class (also made loadable by :func:`workbench.schema.register_task_kind`) and
the behaviour it offers. A behaviour left ``None`` is one the kind does not have;
asking for it raises a :class:`~workbench.SchemaError` naming the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import SchemaError
from ..schema import Task, register_task_kind, unregister_task_kind

if TYPE_CHECKING:
    from ..schema import Schema

__all__ = ["TaskKind", "register", "unregister", "get", "kinds", "for_task"]

#: What a kind may offer, and the words an error uses for it.
BEHAVIOURS = {"prelabel": "pre-labeling", "audit": "audit", "agreement": "agreement"}


@dataclass(frozen=True)
class TaskKind:
    """One task kind: its schema class and what it can do.

    ``prelabel(project, model, *, task, batch_size, features, ..., **options)``,
    ``audit(project, predictions, *, task, **options)`` and
    ``agreement(project, task)`` are called with the task's name resolved; ``widget``
    names the widget that annotates it (``"classify"``, ``"annotate"``).
    """

    name: str
    task_class: type[Task]
    widget: str | None = None
    prelabel: Callable[..., Any] | None = None
    audit: Callable[..., Any] | None = None
    agreement: Callable[..., Any] | None = None

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
