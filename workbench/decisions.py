"""The one door for review decisions: :func:`decide`.

The review widget (:mod:`workbench.stream`), :meth:`workbench.Project.review_label`
and team mode's :meth:`~workbench.team.Team.accept`, ``correct`` and
``send_back`` all write a decision through :func:`decide`, so they share one
set of rules:

- the decision kind is one of :data:`DECISION_KINDS`, its tier one of the
  store's tiers, the item exists and the task is the schema's;
- ``parent`` (an event id, or ``None`` for an item with no state; :data:`CURRENT`
  for whatever decides it now, what the Python API passes when its caller names
  none) is still the event that decides the item's state: a decision about a label someone changed
  since it was shown is refused with :class:`~workbench.errors.StaleLabelError`;
- a ``review-accept`` carries the label under review (the parent's value, or one
  of the ``also_accepted`` values: team mode's labels of the tier below); a
  ``review-correct``'s value must be valid for the task; a ``send-back`` needs
  a note (the reason its annotators read); ``ambiguous`` and ``send-back``
  carry no value;
- the event is written with ``parent`` set, and the store checks ``parent``
  again in the append's own transaction (``store.append(..., expect_parent=True)``),
  so a relabel committing between the check and the write cannot be overwritten.

This module sits below the widget protocol, team mode and the project façade:
it takes a store and a schema, nothing above them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import SchemaError, StaleLabelError, UnknownItemError
from .store.base import LABEL_KINDS, MAX_NOTE, TIERS, Appended, Event

if TYPE_CHECKING:
    from .schema import Schema
    from .store.base import Store

__all__ = ["CURRENT", "DECISION_KINDS", "decide", "current_state"]

#: What a review decision may be.
DECISION_KINDS = ("review-accept", "review-correct", "ambiguous", "send-back")
#: ``parent=CURRENT``: the decision is about whatever decides the item's state now.
CURRENT: Any = type("Current", (), {"__repr__": lambda self: "CURRENT"})()


def current_state(store: Store, task: str, item_id: str) -> Event | None:
    """The event that decides ``item_id``'s state for ``task`` now (``None``: none)."""
    current = store.state_event_ids(task, [item_id]).get(item_id)
    return None if current is None else store.get_event(current)


def decide(
    store: Store,
    schema: Schema,
    *,
    item_id: str,
    task: str,
    kind: str,
    parent: Any,
    annotator: str,
    value: Any = None,
    tier: str = "review",
    note: str = "",
    also_accepted: Sequence[Any] = (),
    **fields: Any,
) -> Appended:
    """Check a review decision against the rules above and write it; return the append.

    ``fields`` go to the :class:`~workbench.store.Event` (``client_id``, ``seq``,
    ``duration_ms``). Raises :class:`~workbench.SchemaError` (a bad kind, tier,
    value or note), :class:`~workbench.UnknownItemError`,
    :class:`~workbench.errors.StaleLabelError` (the item changed since
    ``parent``), or the store's own errors (:class:`~workbench.PermissionDenied`).
    Nothing is written when it raises.
    """
    if not isinstance(kind, str) or kind not in DECISION_KINDS:
        raise SchemaError(f"a review decision is one of {list(DECISION_KINDS)}, got {kind!r}")
    if not isinstance(tier, str) or tier not in TIERS:
        raise SchemaError(f"tier must be one of {list(TIERS)}, got {tier!r}")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise SchemaError(f"note must be a string of at most {MAX_NOTE} characters")
    if kind == "send-back" and not note.strip():
        raise SchemaError("sending an item back needs a reason (note) for its annotators")
    if (
        parent is not None
        and parent is not CURRENT
        and (isinstance(parent, bool) or not isinstance(parent, numbers.Integral))
    ):
        raise SchemaError(f"parent must be an event id or null, got {parent!r}")
    spec = schema.task(task)
    if store.missing_items([item_id]):
        raise UnknownItemError(f"no item {item_id!r} in this project")
    state = current_state(store, spec.name, item_id)
    current = None if state is None else state.id
    parent = current if parent is CURRENT else None if parent is None else int(parent)
    if parent != current:
        raise StaleLabelError(stale_message(item_id, parent, state))
    if kind in ("review-accept", "review-correct"):
        value = spec.validate(value)
    else:
        value = None
    if kind == "review-accept" and state is not None and state.kind in LABEL_KINDS:
        allowed = [state.value, *(spec.validate(v) for v in also_accepted)]
        if value not in allowed:
            raise SchemaError(
                f"review-accept of {value!r}, but the label of item {item_id!r} under "
                f"review is {state.value!r}"
            )
    ev = Event(
        item_id=item_id, task=spec.name, value=value, kind=kind, annotator=annotator,
        tier=tier, note=note, parent=parent, schema_version=schema.version, **fields,
    )  # fmt: skip
    (appended,) = store.append([ev], expect_parent=True)
    return appended


def stale_message(item_id: str, parent: int | None, state: Event | None) -> str:
    """Why a decision about event ``parent`` is refused when ``state`` decides the item."""
    if state is None:
        now = "it has no label or other state now"
    else:
        what = f" {state.value!r}" if state.kind in LABEL_KINDS else ""
        now = f"its state is now event {state.id} ({state.kind}{what} by {state.annotator})"
    return (
        f"item {item_id!r} changed since it was shown: {now}, not event {parent}; look at it again"
    )
