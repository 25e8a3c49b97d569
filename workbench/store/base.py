"""The annotation store: an append-only event log plus the state derived from it.

One interface, :class:`Store`, with a SQLite and a PostgreSQL back end that
share this module's SQL. Tables:

``meta``
    key/value: the store's own format version and the project id.
``schemas``
    every version of the label schema (JSON), numbered from 1.
``items``
    one row per item: id, kind, URI, inline text, metadata (JSON), insertion
    position. Never blobs: bytes stay at the URI.
``events``
    the log. Never updated, never deleted. ``(annotator, client_id, seq)`` is
    unique, so a front end that resends a label it has no acknowledgement for is
    harmless, and a resend is acknowledged only if it repeats the stored label.
``item_state``
    one row per (task, item): the event that decides the item's current state
    (a label, a skip ...), the latest pre-label, and the queue priority. It is
    derived from ``events`` and kept up to date in the same transaction as each
    append, so "current labels" and "next unlabeled items" are index lookups
    rather than scans of the log. A partial index over the rows with no state
    makes the next batch by priority an index range scan whatever share of the
    pool is labeled; an index on ``(task, position)`` does the same for a page
    of the gallery (:meth:`Store.page_items`).

A retraction (``kind="retract"``, ``parent`` = the event it withdraws) makes
the item's state fall back to the latest earlier event that is not retracted,
so undo after a relabel restores the previous label.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import numbers
import threading
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from ..errors import StaleLabelError, StoreError, UnknownItemError, UnreadableEventWarning

__all__ = [
    "Store",
    "SQLStore",
    "Event",
    "ItemRecord",
    "Appended",
    "STATE_KINDS",
    "LABEL_KINDS",
    "EVENT_KINDS",
    "ANNOTATOR_LABEL_KINDS",
    "DECISION_KINDS",
    "REVIEW_KINDS",
    "REVIEW_REASONS",
    "STORE_FORMAT",
    "MAX_NOTE",
    "MAX_DURATION_MS",
    "MAX_NAME_CHARS",
    "MAX_VALUE_BYTES",
]

#: Bumped when the tables change; ``_migrate`` upgrades older stores forward.
#: 2: the idempotency key is ``(annotator, client_id, seq)``, not ``(client_id, seq)``
#: (one person's resends can never swallow another's labels); on PostgreSQL the
#: database keeps ``item_state`` itself (a trigger) and checks each event's fields.
STORE_FORMAT = 2

logger = logging.getLogger("workbench.store")
logger.addHandler(logging.NullHandler())

#: Kinds of event that decide an item's current state for a task.
STATE_KINDS = ("label", "skip", "ambiguous", "review-accept", "review-correct", "send-back")
#: Of those, the ones whose value is a label (what ``labels()`` returns).
LABEL_KINDS = ("label", "review-accept", "review-correct")
EVENT_KINDS = STATE_KINDS + ("prelabel", "retract")
#: Kinds whose value is an annotator's own class for an item, as agreement and
#: consensus read it (:meth:`Store.annotator_labels`): a reviewer's correction is
#: the reviewer's label; an accept repeats someone else's.
ANNOTATOR_LABEL_KINDS = ("label", "review-correct")
#: An annotator's own decisions about an item in the annotate tier
#: (:meth:`Store.annotator_decisions`).
DECISION_KINDS = ("label", "ambiguous", "skip")
#: Review decisions: these kinds in any tier, and ``ambiguous`` outside the
#: annotate tier (an annotator's own ``ambiguous`` is a request for review).
REVIEW_KINDS = ("review-accept", "review-correct", "send-back")
#: Why an item awaits review (:meth:`Store.open_reviews`).
REVIEW_REASONS = ("ambiguous", "disagreement")
TIERS = ("annotate", "review", "qa")

#: Gallery pages in insertion order (``page_items``); added after format 1 shipped.
ITEM_STATE_POSITION = (
    "CREATE INDEX IF NOT EXISTS item_state_position ON item_state (task, position)"
)
#: The idempotency key: a front end that resends a label it has no acknowledgement
#: for stores nothing twice, and names only its own annotator's events.
EVENTS_IDEMPOTENCY = (
    "CREATE UNIQUE INDEX IF NOT EXISTS events_idempotency ON events (annotator, client_id, seq) "
    "WHERE client_id IS NOT NULL"
)

# Bounds on an event's fields. Python checks them on every back end (Event); in
# team mode the PostgreSQL database checks them again, so a member with their
# own connection cannot store what the API would refuse.
#: Characters of a note (a reviewer's reason, an annotator's comment).
MAX_NOTE = 2000
#: Milliseconds spent on an item (~24.8 days); the widgets clamp to it.
MAX_DURATION_MS = 2**31 - 1
#: Characters of an annotator name or a client id.
MAX_NAME_CHARS = 200
#: Bytes of a value's JSON text (a mask's RLE can be large, a label never this large).
MAX_VALUE_BYTES = 32 * 2**20

EVENT_COLUMNS = (
    "id", "item_id", "task", "value", "annotator", "kind", "tier", "note", "schema_version",
    "client_id", "seq", "duration_ms", "score", "created_at", "parent",
)  # fmt: skip


@dataclass(frozen=True)
class ItemRecord:
    """What the store keeps of an item: where its bytes are, never the bytes.

    ``kind`` is ``"image"`` or ``"text"`` (more kinds later: ``"audio"`` ...).
    ``uri`` is an fsspec URI, or ``npy://FILE#ROW`` for rows of an array saved
    next to the store; short texts are kept inline in ``text``.
    """

    item_id: str
    kind: str
    uri: str | None = None
    text: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Event:
    """One row of the log. ``id`` and ``created_at`` are set by the store."""

    item_id: str
    task: str
    value: Any = None
    kind: str = "label"
    annotator: str = ""
    tier: str = "annotate"
    note: str = ""
    schema_version: int | None = None
    client_id: str | None = None
    seq: int | None = None
    duration_ms: int | None = None
    score: float | None = None
    parent: int | None = None
    created_at: float | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        # Every back end and every path (project.label, widgets, reviews, team
        # decisions, imports) builds an Event, so this is the one place that
        # refuses a field the log could not hold or read back. Numbers are
        # normalised to plain int / float (numpy scalars, integral floats).
        self.item_id = _event_text(self, "item_id", self.item_id)
        self.task = _event_text(self, "task", self.task)
        if not isinstance(self.kind, str) or self.kind not in EVENT_KINDS:
            raise StoreError(
                f"{_where(self)}: unknown event kind {_shown(self.kind)}; "
                f"kinds: {list(EVENT_KINDS)}"
            )
        if not isinstance(self.tier, str) or self.tier not in TIERS:
            raise StoreError(
                f"{_where(self)}: unknown tier {_shown(self.tier)}; tiers: {list(TIERS)}"
            )
        self.kind, self.tier = str(self.kind), str(self.tier)
        self.annotator = _event_text(self, "annotator", self.annotator, limit=MAX_NAME_CHARS)
        self.note = _event_text(self, "note", self.note, limit=MAX_NOTE, empty=True)
        if (self.client_id is None) != (self.seq is None):
            raise StoreError(
                f"{_where(self)}: client_id and seq go together: give both or neither, got "
                f"client_id={_shown(self.client_id)}, seq={_shown(self.seq)}"
            )
        if self.client_id is not None:
            self.client_id = _event_text(self, "client_id", self.client_id, limit=MAX_NAME_CHARS)
            self.seq = _event_int(self, "seq", self.seq, 0, MAX_EVENT_INT)
        self.duration_ms = _event_int(self, "duration_ms", self.duration_ms, 0, MAX_DURATION_MS)
        self.schema_version = _event_int(self, "schema_version", self.schema_version, 1)
        self.parent = _event_int(self, "parent", self.parent, 1)
        self.id = _event_int(self, "id", self.id, 1)
        self.score = _event_real(self, "score", self.score)
        self.created_at = _event_real(self, "created_at", self.created_at)
        if self.kind == "retract" and self.parent is None:
            raise StoreError(
                f"{_where(self)}: a retract event needs the id of the event it retracts (parent)"
            )
        _check_value(self)


#: The largest integer a field of the log holds (SQLite's and PostgreSQL's BIGINT).
MAX_EVENT_INT = 2**63 - 1
#: Nesting of lists and dicts in a value (a shape list is 4 deep; JSON libraries recurse).
MAX_VALUE_DEPTH = 64


def _shown(v: Any) -> str:
    """``repr(v)`` cut short: an error names what was given without repeating a huge value."""
    try:
        text = repr(v)
    except Exception:  # a hostile __repr__ must not replace the refusal
        text = f"<{type(v).__name__}>"
    return text if len(text) <= 80 else f"{text[:77]}... ({type(v).__name__}, {len(text)} chars)"


def _where(ev: Event) -> str:
    """The event an error is about: its item and task, where they are readable."""
    item = ev.item_id if isinstance(ev.item_id, str) else None
    task = ev.task if isinstance(ev.task, str) else None
    return f"event (item {_shown(item)}, task {_shown(task)})"


def _event_text(
    ev: Event, name: str, v: Any, *, limit: int | None = None, empty: bool = False
) -> str:
    """``v`` as a plain str that every back end stores and reads back unchanged."""
    most = "" if limit is None else f" of at most {limit} characters"
    expected = f"{'a' if empty else 'a non-empty'} string{most}"
    if not isinstance(v, str) or (not v and not empty) or (limit is not None and len(v) > limit):
        raise StoreError(f"{_where(ev)}: {name} must be {expected}, got {_shown(v)}")
    if "\x00" in v:  # PostgreSQL text holds no NUL
        raise StoreError(f"{_where(ev)}: {name} must not contain NUL characters, got {_shown(v)}")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database stores it as text
        raise StoreError(f"{_where(ev)}: {name} must be valid Unicode, got {_shown(v)}") from None
    return str(v)


def _event_int(ev: Event, name: str, v: Any, lo: int, hi: int = MAX_EVENT_INT) -> int | None:
    """``v`` as an int in ``[lo, hi]`` (``None`` stays ``None``); an integral float is taken."""
    if v is None:
        return None
    n: int | None = None
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        n = int(v)
    elif isinstance(v, numbers.Real) and not isinstance(v, bool):
        f = float(v)
        if f.is_integer():
            n = int(f)
    if n is None or not lo <= n <= hi:
        raise StoreError(
            f"{_where(ev)}: {name} must be None or an int from {lo} to {hi}, got {_shown(v)}"
        )
    return n


def _event_real(ev: Event, name: str, v: Any) -> float | None:
    """``v`` as a finite float (``None`` stays ``None``)."""
    if v is None:
        return None
    f = None
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        try:
            f = float(v)
        except (OverflowError, ValueError):
            f = None
    if f is None or not math.isfinite(f):
        raise StoreError(f"{_where(ev)}: {name} must be None or a finite number, got {_shown(v)}")
    return f


#: Value leaves that need no check: exactly these types (subclasses take the general path).
_LEAVES = frozenset((str, int, bool, type(None)))


def _key_error(ev: Event, key: Any) -> StoreError:
    return StoreError(f"{_where(ev)}: value's dict keys must be strings, got {_shown(key)}")


def _check_value(ev: Event) -> None:
    """Refuse a value that is not plain JSON, or whose JSON text is over MAX_VALUE_BYTES.

    Plain JSON: ``None``, bools, ints, finite floats, strings, lists (tuples are
    stored as lists) and dicts with string keys, at most MAX_VALUE_DEPTH deep.
    What ``events()`` reads back then equals what was written.
    """
    stack = [(ev.value, 0)]
    while stack:
        v, depth = stack.pop()
        t = type(v)
        if t in _LEAVES:
            continue
        if (t is dict or t is list) and depth < MAX_VALUE_DEPTH:
            # The common case, without a stack entry per leaf: a plain dict or list
            # whose leaves are plain str, int, bool or None; anything else (a float,
            # a nested container, a subclass, a bad key) takes the general path.
            for k, x in v.items() if t is dict else enumerate(v):
                if t is dict and type(k) is not str and not isinstance(k, str):
                    raise _key_error(ev, k)
                if type(x) not in _LEAVES:
                    stack.append((x, depth + 1))
            continue
        if v is None or isinstance(v, bool | str):
            continue
        if isinstance(v, int | float):
            if isinstance(v, float) and not math.isfinite(v):
                raise StoreError(f"{_where(ev)}: value must hold finite numbers, got {_shown(v)}")
            continue
        if depth >= MAX_VALUE_DEPTH:
            raise StoreError(f"{_where(ev)}: value is nested more than {MAX_VALUE_DEPTH} deep")
        if isinstance(v, list | tuple):
            stack.extend((x, depth + 1) for x in v)
        elif isinstance(v, dict):
            for k, x in v.items():
                if not isinstance(k, str):
                    raise _key_error(ev, k)
                stack.append((x, depth + 1))
        else:
            raise StoreError(
                f"{_where(ev)}: value must be JSON (None, bool, number, string, list, dict), "
                f"got {type(v).__name__} {_shown(v)}"
            )
    try:
        size = len(json.dumps(ev.value, allow_nan=False))  # ASCII: characters are bytes
    except (TypeError, ValueError, RecursionError) as exc:
        raise StoreError(f"{_where(ev)}: value is not JSON: {exc}") from None
    if size > MAX_VALUE_BYTES:
        raise StoreError(
            f"{_where(ev)}: value must be at most {MAX_VALUE_BYTES} bytes of JSON, got {size}"
        )


@dataclass(frozen=True)
class Appended:
    """The outcome of appending one event: its id, and whether it was a resend."""

    id: int
    duplicate: bool


class Store(ABC):
    """Interface of every back end. Methods are safe to call from several threads."""

    project_id: str
    url: str
    _listeners: list[Callable[[list[Event]], None]]

    # -- listeners ------------------------------------------------------------
    def add_listener(self, fn: Callable[[list[Event]], None]) -> None:
        """Call ``fn(events)`` after each committed append with the events it stored
        (resends left out), in the appending thread. Exceptions in ``fn`` are logged,
        never raised into the writer: the events are committed already."""
        if not hasattr(self, "_listeners"):
            self._listeners = []
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[list[Event]], None]) -> None:
        if fn in getattr(self, "_listeners", []):
            self._listeners.remove(fn)

    def _notify(self, events: list[Event]) -> None:
        for fn in list(getattr(self, "_listeners", [])):
            try:
                fn(events)
            except Exception:
                logger.exception("workbench store: a listener failed")

    # -- schema ---------------------------------------------------------------
    @abstractmethod
    def save_schema(self, body: dict[str, Any]) -> int:
        """Store ``body`` as a new version unless it equals the latest; return its version."""

    @abstractmethod
    def latest_schema(self) -> tuple[int, dict[str, Any]] | None:
        """``(version, body)`` of the newest schema, or ``None`` for a new store."""

    @abstractmethod
    def schema_versions(self) -> list[tuple[int, dict[str, Any], float]]:
        """Every ``(version, body, created_at)``, oldest first."""

    # -- items ----------------------------------------------------------------
    @abstractmethod
    def add_items(self, records: Sequence[ItemRecord], tasks: Sequence[str]) -> int:
        """Add items not yet present (by id); return how many were new."""

    @abstractmethod
    def ensure_tasks(self, tasks: Sequence[str]) -> None:
        """Give every item a queue row for each task (after a schema adds a task)."""

    @abstractmethod
    def get_items(self, item_ids: Sequence[str]) -> list[ItemRecord]:
        """Records in the order asked; raises :class:`UnknownItemError` for a missing id."""

    @abstractmethod
    def missing_items(self, item_ids: Iterable[str]) -> list[str]:
        """The ids among ``item_ids`` that the store does not have."""

    @abstractmethod
    def item_ids(self) -> list[str]:
        """Every item id in insertion order."""

    @abstractmethod
    def count_items(self) -> int: ...

    # -- events ---------------------------------------------------------------
    @abstractmethod
    def append(self, events: Sequence[Event], *, expect_parent: bool = False) -> list[Appended]:
        """Append events in one durable transaction, updating ``item_state``.

        ``expect_parent=True`` (review decisions): each event's ``parent`` must
        be its item's current state event when the transaction writes it, else
        :class:`~workbench.errors.StaleLabelError` and nothing is written.
        """

    @abstractmethod
    def find_event(self, client_id: str, seq: int, annotator: str | None = None) -> int | None:
        """The id of the event ``annotator`` wrote with ``(client_id, seq)``, if any
        (with no ``annotator``: anyone's, the oldest)."""

    @abstractmethod
    def get_event(self, event_id: int) -> Event | None:
        """One event by id, with its value decoded, or ``None`` if there is none."""

    @abstractmethod
    def events(self, *, item_id: str | None = None, until: int | None = None) -> pd.DataFrame:
        """The log (optionally one item's, optionally up to event id ``until``)."""

    @abstractmethod
    def current(
        self,
        task: str | None = None,
        *,
        labels_only: bool = True,
        item_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """One row per (item, task) with its current state event (labels only by
        default; optionally only ``item_ids``)."""

    # -- the log, interpreted --------------------------------------------------
    # The rules of the log live here, once, in SQL on both back ends; every other
    # module asks these methods rather than reading ``events()`` and working it out:
    #
    # * An event is *live* unless a ``retract`` event names it as ``parent``.
    #   Retractions themselves are never live; a retracted retraction changes nothing.
    # * An item's *state* for a task is its latest live event of a STATE_KINDS kind
    #   (``item_state``, :meth:`current`); pre-labels and retractions never are.
    # * An annotator's *label* of an item is their latest live ``label`` or
    #   ``review-correct`` event, any tier (:meth:`annotator_labels`); a skip does
    #   not withdraw a label given earlier.
    # * An annotator's *decision* is their latest live annotate-tier ``label``,
    #   ``ambiguous`` or ``skip`` (:meth:`annotator_decisions`): a skip does replace it.
    # * A *review decision* is a live ``review-accept``, ``review-correct`` or
    #   ``send-back`` (any tier), or ``ambiguous`` in the review or QA tier.
    # * An item *awaits review* (:meth:`open_reviews`) because it is ``ambiguous``
    #   (its state is an annotate-tier ``ambiguous``) or for ``disagreement`` (the
    #   latest decisions of two annotators or more are labels that differ, lists
    #   compared as sets, and no review decision came after the last decision).

    @abstractmethod
    def live_events(
        self,
        task: str | None = None,
        *,
        item_ids: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The log with retractions applied, oldest first: no ``retract`` event and
        no event a retraction withdrew. Optionally one task's, some items', some kinds'.
        Columns as :meth:`events`."""

    @abstractmethod
    def live_rows(
        self, task: str, kinds: Sequence[str], item_ids: Sequence[str] | None = None
    ) -> list[tuple[str, str, str, str, float, int | None]]:
        """:meth:`live_events` of ``kinds`` as plain rows ``(item_id, kind, tier,
        annotator, created_at, duration_ms)``, ``created_at`` in seconds since the
        epoch; each item's rows oldest first. For readers that keep their own
        tallies (the live status): no frame, no values."""

    def item_history(self, item_id: str) -> pd.DataFrame:
        """One item's live events, every task, oldest first (:meth:`live_events`)."""
        return self.live_events(item_ids=[item_id])

    @abstractmethod
    def annotator_labels(self, task: str, item_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Each annotator's latest live label of each item (kinds ANNOTATOR_LABEL_KINDS,
        any tier), one row per (item, annotator), by item position then annotator.

        Columns ``item_id``, ``annotator``, ``value`` and the provenance of the
        label: ``id`` (the event), ``kind``, ``tier``, ``created_at`` (UTC).
        """

    @abstractmethod
    def annotator_label_rows(
        self, task: str, item_ids: Sequence[str] | None = None
    ) -> list[tuple[str, str, Any]]:
        """:meth:`annotator_labels` as plain rows ``(item_id, annotator, value)``, in
        no order: what a reader that keeps its own tallies needs, without a frame."""

    @abstractmethod
    def annotator_decisions(self, task: str, item_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Each annotator's latest live own decision of each item (kinds
        DECISION_KINDS, annotate tier): columns ``item_id``, ``annotator``, ``kind``,
        ``value`` (``None`` unless a label), ``id``, ``tier``, ``created_at`` and
        ``first_id`` (the annotator's first live decision of the item); ordered by
        item position, then ``first_id``."""

    @abstractmethod
    def open_reviews(
        self, task: str, item_ids: Sequence[str] | None = None
    ) -> dict[str, tuple[str, ...]]:
        """``{item_id: reasons}`` of items awaiting review, reasons a sorted tuple of
        REVIEW_REASONS (an item can have both); items awaiting none left out."""

    def status_rows(
        self, task: str, kinds: Sequence[str]
    ) -> tuple[list[tuple], list[tuple[str, str, Any]], dict[str, tuple[str, ...]]]:
        """``(live_rows(task, kinds), annotator_label_rows(task), open_reviews(task))``
        of the whole log: what a live status reads on its first poll. A back end may
        read them in one pass over the log."""
        return self.live_rows(task, kinds), self.annotator_label_rows(task), self.open_reviews(task)

    @abstractmethod
    def changed_items(self, task: str, after: int, until: int) -> list[str]:
        """Items whose interpretation for ``task`` may differ between the logs up to
        event ``after`` and up to ``until`` (watermarks): those named by an event of
        the task, or by any retraction, with ``after < id <= until``."""

    @abstractmethod
    def prelabels(self, task: str, item_ids: Sequence[str]) -> dict[str, tuple[Any, float | None]]:
        """Latest pre-label ``(value, score)`` per item that has one."""

    @abstractmethod
    def current_values(self, task: str, item_ids: Sequence[str]) -> dict[str, tuple[str, Any]]:
        """``{item_id: (kind, value)}`` of the current state of items that have one."""

    @abstractmethod
    def state_event_ids(self, task: str, item_ids: Sequence[str]) -> dict[str, int]:
        """``{item_id: event_id}`` of the event deciding each item's current state."""

    # -- queue ----------------------------------------------------------------
    @abstractmethod
    def next_unlabeled(self, task: str, n: int, *, exclude: Iterable[str] = ()) -> list[str]:
        """Up to ``n`` ids with no state for ``task``, highest priority first, then oldest."""

    @abstractmethod
    def page_items(
        self,
        task: str,
        *,
        offset: int,
        limit: int,
        filter: str = "all",
        label: str | None = None,
    ) -> tuple[list[str], int]:
        """One page of a gallery filter: ``(item ids, total)``, ``total`` over the filter.

        ``filter`` is ``"all"`` (every item, in insertion order), ``"unlabeled"``
        (items with no state for ``task``, in queue order: priority, then
        insertion) or ``"label"`` (items whose current label for ``task`` is, or
        for a multi-label value contains, the class ``label``, in insertion order).
        """

    @abstractmethod
    def set_priority(self, task: str, priorities: dict[str, float]) -> None:
        """Set queue priorities (higher comes first); items not named keep theirs."""

    @abstractmethod
    def progress(self, task: str) -> tuple[int, int]:
        """``(done, total)``: items with a state for ``task``, and all items."""

    @abstractmethod
    def count_unlabeled(self, task: str) -> int:
        """Items with no state for ``task``: a range of the queue's partial index, so it
        costs the unlabeled items, never the labeled ones (``progress`` counts all)."""

    def login_user(self) -> str | None:
        """The database user that events must name, where the store enforces one
        (a PostgreSQL store in team mode); ``None`` elsewhere."""
        return None

    @abstractmethod
    def close(self) -> None: ...


class SQLStore(Store):
    """The SQL both back ends share. Subclasses supply a connection and dialect bits.

    SQL here is written with ``?`` placeholders; back ends that use another
    style override :meth:`_sql`.
    """

    #: DDL, one statement per entry; subclasses fill in id column types.
    DDL: tuple[str, ...] = ()

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()

    # -- dialect hooks --------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql

    @abstractmethod
    def _write(self, *, shared: bool = False):
        """Context manager: a write transaction yielding a cursor (durable on exit).

        ``shared=True`` marks a transaction that only appends one event and may
        run beside others like it (a back end that serialises all writes may
        ignore it); every other write excludes all writers.
        """

    @abstractmethod
    def _read(self):
        """Context manager yielding a cursor for reads."""

    @abstractmethod
    def _insert_event(self, cur, ev: Event, value_json: str, now: float) -> tuple[int, bool]:
        """Insert one event, ignoring a duplicate (client_id, seq); return (id, duplicate)."""

    def _executemany(self, cur, sql: str, rows: list[tuple]) -> None:
        cur.executemany(self._sql(sql), rows)

    # -- set-up ---------------------------------------------------------------
    def _initialise(self, project_id: str | None) -> None:
        # Opening a store of this release's format reads only: a role that may not
        # write the store's own tables (a team member) opens it too.
        stored = self._stored_format()
        if stored is not None and stored[0] == STORE_FORMAT:
            self.project_id = stored[1]
            return
        with self._write() as cur:
            self._create_or_upgrade(cur, project_id)

    def _create_or_upgrade(self, cur, project_id: str | None) -> None:
        """Create a new store's tables, or upgrade an older store's, in ``cur``'s
        write transaction; set :attr:`project_id`."""
        import uuid

        if not self._has_table(cur, "meta"):
            self._create_tables(cur)
        cur.execute(self._sql("SELECT value FROM meta WHERE key = 'format'"))
        row = cur.fetchone()
        if row is None:
            self.project_id = project_id or uuid.uuid4().hex
            cur.execute(
                self._sql("INSERT INTO meta (key, value) VALUES ('format', ?), ('project_id', ?)"),
                (str(STORE_FORMAT), self.project_id),
            )
            return
        fmt = int(row[0])
        if fmt > STORE_FORMAT:
            raise StoreError(
                f"{self.url} was written by a newer workbench (store format {fmt}, this "
                f"release reads up to {STORE_FORMAT}); upgrade workbench"
            )
        cur.execute(self._sql("SELECT value FROM meta WHERE key = 'project_id'"))
        self.project_id = cur.fetchone()[0]
        self._migrate(cur, fmt)

    def _stored_format(self) -> tuple[int, str] | None:
        """``(format, project_id)`` of an existing store, ``None`` for a new one."""
        with self._read() as cur:
            if not self._has_table(cur, "meta"):
                return None
            cur.execute(
                self._sql("SELECT key, value FROM meta WHERE key IN ('format', 'project_id')")
            )
            found = dict(cur.fetchall())
        if "format" not in found or "project_id" not in found:
            return None
        return int(found["format"]), str(found["project_id"])

    @abstractmethod
    def _has_table(self, cur, name: str) -> bool:
        """Whether the store's schema has a table (or view) called ``name``."""

    def _create_tables(self, cur) -> None:
        """Run :attr:`DDL` (inside the write transaction that :meth:`_initialise` opens)."""
        for stmt in self.DDL:
            cur.execute(stmt)

    def _migrate(self, cur, fmt: int) -> None:
        """Upgrade a store written in format ``fmt`` to :data:`STORE_FORMAT`, step by step."""
        for step in range(fmt, STORE_FORMAT):
            self._migrate_step(cur, step)
        if fmt != STORE_FORMAT:
            cur.execute(
                self._sql("UPDATE meta SET value = ? WHERE key = 'format'"), (str(STORE_FORMAT),)
            )

    def _migrate_step(self, cur, fmt: int) -> None:
        """Upgrade the tables from format ``fmt`` to ``fmt + 1``."""
        if fmt == 1:
            # The idempotency key names the annotator (format 2).
            cur.execute("DROP INDEX IF EXISTS events_client_seq")
            cur.execute(EVENTS_IDEMPOTENCY)
            # Stores from before the gallery's index (added without a format bump).
            cur.execute(ITEM_STATE_POSITION)

    # -- schema ---------------------------------------------------------------
    def save_schema(self, body: dict[str, Any]) -> int:
        blob = json.dumps(body, sort_keys=True)
        latest = self.latest_schema()  # unchanged (every open): no write, no write lock
        if latest is not None and latest[1] == body:
            return latest[0]
        with self._write() as cur:
            cur.execute(
                self._sql("SELECT version, body FROM schemas ORDER BY version DESC LIMIT 1")
            )
            row = cur.fetchone()
            if row is not None and _json(row[1]) == body:
                return int(row[0])
            version = 1 if row is None else int(row[0]) + 1
            cur.execute(
                self._sql("INSERT INTO schemas (version, body, created_at) VALUES (?, ?, ?)"),
                (version, blob, time.time()),
            )
            self._schema_saved(cur, version, body)
            return version

    def _schema_saved(self, cur, version: int, body: dict[str, Any]) -> None:
        """Hook: a new schema version was written in the transaction of ``cur``."""

    def latest_schema(self) -> tuple[int, dict[str, Any]] | None:
        with self._read() as cur:
            cur.execute(
                self._sql("SELECT version, body FROM schemas ORDER BY version DESC LIMIT 1")
            )
            row = cur.fetchone()
        return None if row is None else (int(row[0]), _json(row[1]))

    def schema_versions(self) -> list[tuple[int, dict[str, Any], float]]:
        with self._read() as cur:
            cur.execute(self._sql("SELECT version, body, created_at FROM schemas ORDER BY version"))
            return [(int(v), _json(b), float(t)) for v, b, t in cur.fetchall()]

    # -- items ----------------------------------------------------------------
    def add_items(self, records: Sequence[ItemRecord], tasks: Sequence[str]) -> int:
        if not records:
            return 0
        seen: dict[str, ItemRecord] = {}
        for r in records:
            seen.setdefault(r.item_id, r)
        with self._write() as cur:
            new_ids = self._new_ids(cur, list(seen))
            if not new_ids:
                return 0
            cur.execute(self._sql("SELECT COALESCE(MAX(position), -1) FROM items"))
            start = int(cur.fetchone()[0]) + 1
            rows = []
            for offset, iid in enumerate(new_ids):
                r = seen[iid]
                meta = json.dumps(r.meta, sort_keys=True, default=str) if r.meta else None
                rows.append((iid, r.kind, r.uri, r.text, meta, start + offset, time.time()))
            self._executemany(
                cur,
                "INSERT INTO items (item_id, kind, uri, text, meta, position, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            state = [(t, iid, 0.0, start + i) for t in tasks for i, iid in enumerate(new_ids)]
            self._executemany(
                cur,
                "INSERT INTO item_state (task, item_id, priority, position) VALUES (?, ?, ?, ?)",
                state,
            )
            return len(new_ids)

    def _new_ids(self, cur, ids: list[str]) -> list[str]:
        present: set[str] = set()
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            cur.execute(self._sql(f"SELECT item_id FROM items WHERE item_id IN ({marks})"), chunk)
            present.update(r[0] for r in cur.fetchall())
        return [i for i in ids if i not in present]

    def ensure_tasks(self, tasks: Sequence[str]) -> None:
        with self._write() as cur:
            for task in tasks:
                cur.execute(
                    self._sql(
                        "INSERT INTO item_state (task, item_id, priority, position) "
                        "SELECT ?, i.item_id, 0.0, i.position FROM items i WHERE NOT EXISTS "
                        "(SELECT 1 FROM item_state s WHERE s.task = ? AND s.item_id = i.item_id)"
                    ),
                    (task, task),
                )

    def get_items(self, item_ids: Sequence[str]) -> list[ItemRecord]:
        ids = list(item_ids)
        found: dict[str, ItemRecord] = {}
        with self._read() as cur:
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                cur.execute(
                    self._sql(
                        f"SELECT item_id, kind, uri, text, meta FROM items "
                        f"WHERE item_id IN ({marks})"
                    ),
                    chunk,
                )
                for iid, kind, uri, text, meta in cur.fetchall():
                    found[iid] = ItemRecord(iid, kind, uri, text, _json(meta) if meta else {})
        missing = [i for i in ids if i not in found]
        if missing:
            raise UnknownItemError(
                f"no item {missing[0]!r} in this project"
                + (f" (and {len(missing) - 1} more missing)" if len(missing) > 1 else "")
            )
        return [found[i] for i in ids]

    def missing_items(self, item_ids: Iterable[str]) -> list[str]:
        ids = list(dict.fromkeys(item_ids))
        with self._read() as cur:
            return self._new_ids(cur, ids)

    def item_ids(self) -> list[str]:
        with self._read() as cur:
            cur.execute(self._sql("SELECT item_id FROM items ORDER BY position"))
            return [r[0] for r in cur.fetchall()]

    def count_items(self) -> int:
        with self._read() as cur:
            cur.execute(self._sql("SELECT COUNT(*) FROM items"))
            return int(cur.fetchone()[0])

    # -- events ---------------------------------------------------------------
    def append(self, events: Sequence[Event], *, expect_parent: bool = False) -> list[Appended]:
        if not events:
            return []
        out: list[Appended] = []
        with self._write(shared=self._shared_append(events)) as cur:
            self._check_items(cur, events)
            for ev in events:
                value_json = json.dumps(ev.value)
                # A back end whose database stamps events itself overwrites this.
                ev.created_at = time.time()
                eid, dup = self._insert_event(cur, ev, value_json, ev.created_at)
                out.append(Appended(eid, dup))
                if dup:
                    self._check_resend(cur, ev, eid, value_json)
                    continue
                ev.id = eid
                self._apply(cur, ev)
                if expect_parent:
                    self._check_parent(cur, ev)
        if getattr(self, "_listeners", None):
            self._notify([ev for ev, a in zip(events, out, strict=True) if not a.duplicate])
        return out

    def _shared_append(self, events: Sequence[Event]) -> bool:
        """Whether appending ``events`` may commit beside other appends.

        One label, the path every keypress takes, may; a retraction recomputes an
        item's state from the log, so here it runs alone. (A back end whose
        database keeps the state itself may let every append run side by side.)
        """
        return len(events) == 1 and events[0].kind != "retract"

    #: The table or view this connection reads its own events from (``find_event``).
    _own_events = "events"

    def _check_resend(self, cur, ev: Event, event_id: int, value_json: str) -> None:
        """Refuse a resend whose ``(annotator, client_id, seq)`` is stored already for
        another label: only the same annotator's same label is a harmless duplicate."""
        cur.execute(
            self._sql(f"SELECT item_id, task, kind, value FROM {self._own_events} WHERE id = ?"),
            (event_id,),
        )
        row = cur.fetchone()
        same = row is not None and (row[0], row[1], row[2]) == (ev.item_id, ev.task, ev.kind)
        if same:
            try:
                same = _json(row[3]) == json.loads(value_json)
            except ValueError:
                same = False
        if not same:
            raise StoreError(
                f"{ev.annotator}'s client {ev.client_id} already stored label {ev.seq} as "
                f"event {event_id}, and this is a different label under the same number; "
                f"nothing was written (a resend must repeat the label exactly)"
            )

    def _check_parent(self, cur, ev: Event) -> None:
        """Raise :class:`StaleLabelError` unless ``ev.parent`` was its item's state
        event just before ``ev`` (just inserted, in this transaction).

        Checked after the insert: on PostgreSQL the insert's trigger has locked
        the item's ``item_state`` row by then, so a concurrent label either
        committed before (and is seen here: refused) or waits for this one.
        """
        cur.execute(
            self._sql(
                "SELECT max(e.id) FROM events e WHERE e.task = ? AND e.item_id = ? AND e.id <> ? "
                f"AND e.kind IN ({', '.join(repr(k) for k in STATE_KINDS)}) AND NOT EXISTS "
                "(SELECT 1 FROM events r WHERE r.kind = 'retract' AND r.parent = e.id)"
            ),
            (ev.task, ev.item_id, ev.id),
        )
        row = cur.fetchone()
        before = None if row is None or row[0] is None else int(row[0])
        if before != ev.parent:
            raise StaleLabelError(
                f"item {ev.item_id!r} changed since it was shown: its state is now event "
                f"{before}, not event {ev.parent}; look at it again (nothing was written)"
            )

    def _check_items(self, cur, events: Sequence[Event]) -> None:
        """Raise :class:`UnknownItemError` before writing if an event names no item.

        A back end whose :meth:`_insert_event` raises it itself (from the foreign
        key on ``events.item_id``) may skip this query: the transaction rolls back.
        """
        missing = self._new_ids(cur, list(dict.fromkeys(e.item_id for e in events)))
        if missing:
            raise UnknownItemError(f"no item {missing[0]!r} in this project")

    def _apply(self, cur, ev: Event) -> None:
        """Bring ``item_state`` in line with the event just inserted."""
        if ev.kind in STATE_KINDS:
            self._set_state(cur, ev.task, ev.item_id, "state_event", ev.id)
        elif ev.kind == "prelabel":
            self._set_state(cur, ev.task, ev.item_id, "prelabel_event", ev.id)
        elif ev.kind == "retract":
            for column, kinds in (("state_event", STATE_KINDS), ("prelabel_event", ("prelabel",))):
                marks = ",".join("?" * len(kinds))
                cur.execute(
                    self._sql(
                        f"SELECT MAX(e.id) FROM events e WHERE e.item_id = ? AND e.task = ? "
                        f"AND e.kind IN ({marks}) AND NOT EXISTS (SELECT 1 FROM events r "
                        f"WHERE r.kind = 'retract' AND r.parent = e.id)"
                    ),
                    (ev.item_id, ev.task, *kinds),
                )
                row = cur.fetchone()
                self._set_state(
                    cur, ev.task, ev.item_id, column, row[0] if row else None, latest=False
                )

    def _set_state(
        self, cur, task: str, item_id: str, column: str, event_id: int | None, *,
        latest: bool = True,
    ) -> None:  # fmt: skip
        """Point the item's state at ``event_id``: only forward (``latest``) for a new
        event, since two labels of one item committing side by side may get here in
        either order; to any event for a retraction's recomputation."""
        if latest:
            sql = (
                f"UPDATE item_state SET {column} = CASE WHEN {column} IS NULL OR {column} < ? "
                f"THEN ? ELSE {column} END WHERE task = ? AND item_id = ?"
            )
            args: tuple = (event_id, event_id, task, item_id)
        else:
            sql = f"UPDATE item_state SET {column} = ? WHERE task = ? AND item_id = ?"
            args = (event_id, task, item_id)
        cur.execute(self._sql(sql), args)
        if cur.rowcount == 0:  # a task the item has no queue row for yet
            cur.execute(
                self._sql(
                    f"INSERT INTO item_state (task, item_id, priority, position, {column}) "
                    f"SELECT ?, item_id, 0.0, position, ? FROM items WHERE item_id = ?"
                ),
                (task, event_id, item_id),
            )

    def watermark(self) -> int:
        """The id N such that "every event up to N" will never change (0 for none).

        A dataset version (``events(until=N)``). Taken under the exclusive write
        lock, so no append is in flight: any later event gets a higher id.
        """
        with self._write() as cur:
            cur.execute(self._sql("SELECT COALESCE(MAX(id), 0) FROM events"))
            return int(cur.fetchone()[0])

    def find_event(self, client_id: str, seq: int, annotator: str | None = None) -> int | None:
        sql = f"SELECT MIN(id) FROM {self._own_events} WHERE client_id = ? AND seq = ?"
        args: tuple = (client_id, seq)
        if annotator is not None:
            sql, args = sql + " AND annotator = ?", (*args, annotator)
        with self._read() as cur:
            cur.execute(self._sql(sql), args)
            row = cur.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def get_event(self, event_id: int) -> Event | None:
        with self._read() as cur:
            cur.execute(
                self._sql(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE id = ?"),
                (int(event_id),),
            )
            row = cur.fetchone()
        return None if row is None else event_from_row(row)

    def events(self, *, item_id: str | None = None, until: int | None = None) -> pd.DataFrame:
        where, args = [], []
        if item_id is not None:
            where.append("item_id = ?")
            args.append(item_id)
        if until is not None:
            where.append("id <= ?")
            args.append(until)
        sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._event_query(sql + " ORDER BY id", args)

    def current(
        self,
        task: str | None = None,
        *,
        labels_only: bool = True,
        item_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        cols = ", ".join(f"e.{c}" for c in EVENT_COLUMNS)
        where, args = [], []
        if task is not None:
            where.append("s.task = ?")
            args.append(task)
        if labels_only:
            where.append(f"e.kind IN ({','.join('?' * len(LABEL_KINDS))})")
            args.extend(LABEL_KINDS)
        # item_state carries each item's position, so no join with items is needed.
        sql = f"SELECT {cols}, s.position FROM item_state s JOIN events e ON e.id = s.state_event"
        return self._chunked_event_query(
            sql, where, args, "s.item_id", item_ids, "s.task, s.position", ["task", "position"]
        )

    def _chunked_event_query(
        self,
        sql: str,
        where: list[str],
        args: list[Any],
        item_column: str,
        item_ids: Sequence[str] | None,
        order: str,
        sort_by: list[str],
    ) -> pd.DataFrame:
        """``sql`` (selecting EVENT_COLUMNS, then the extra columns of ``sort_by``)
        with ``where`` and, for ``item_ids``, ``item_column IN (...)`` in chunks the
        drivers accept, as an event frame ordered by ``order`` (``sort_by``, the same
        order as frame columns; extra columns dropped)."""
        columns = (*EVENT_COLUMNS, *(c for c in sort_by if c not in EVENT_COLUMNS))
        rows: list[tuple] = []
        with _gc_paused():
            with self._read() as cur:
                for fetched in self._scan(cur, sql, where, args, item_column, item_ids, order):
                    rows.extend(fetched)
            frame = _event_frame(rows, columns)
        if item_ids is not None and len(set(item_ids)) > 500:  # each chunk in order: all again
            frame = frame.sort_values(sort_by, kind="stable").reset_index(drop=True)
        return frame[list(EVENT_COLUMNS)] if len(columns) > len(EVENT_COLUMNS) else frame

    def _scan(
        self,
        cur: Any,
        select: str,
        where: Sequence[str],
        args: Sequence[Any],
        item_column: str,
        item_ids: Sequence[str] | None,
        order: str | None,
    ) -> Iterator[list[tuple]]:
        """The rows of ``select`` with ``where`` (all of them true) and, for
        ``item_ids``, ``item_column IN (...)`` in chunks the drivers accept: one
        fetched list per query, each ordered by ``order``."""
        ids = None if item_ids is None else list(dict.fromkeys(item_ids))
        for chunk in [None] if ids is None else list(_chunks(ids, 500)):
            clause, a = list(where), list(args)
            if chunk is not None:
                clause.append(f"{item_column} IN ({','.join('?' * len(chunk))})")
                a.extend(chunk)
            sql = select + (" WHERE " + " AND ".join(clause) if clause else "")
            cur.execute(self._sql(sql + (f" ORDER BY {order}" if order else "")), a)
            yield cur.fetchall()

    # -- the log, interpreted (see Store) ---------------------------------------
    #: SQL: the event ``e`` is live (no retraction names it).
    _LIVE = "NOT EXISTS (SELECT 1 FROM events r WHERE r.parent = e.id AND r.kind = 'retract')"

    def live_events(
        self,
        task: str | None = None,
        *,
        item_ids: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        if kinds is not None:
            where, args = self._live_of_kinds(task, kinds)
        else:
            where, args = ["e.kind <> 'retract'", self._LIVE], []
            if task is not None:
                where.append("e.task = ?")
                args.append(task)
        cols = ", ".join(f"e.{c}" for c in EVENT_COLUMNS)
        return self._chunked_event_query(
            f"SELECT {cols} FROM events e", where, args, "e.item_id", item_ids, "e.id", ["id"]
        )

    def live_rows(
        self, task: str, kinds: Sequence[str], item_ids: Sequence[str] | None = None
    ) -> list[tuple[str, str, str, str, float, int | None]]:
        where, args = self._live_of_kinds(task, kinds)
        cols = "e.item_id, e.kind, e.tier, e.annotator, e.created_at, e.duration_ms"
        rows: list[tuple] = []
        with _gc_paused():
            with self._read() as cur:
                select = f"SELECT {cols} FROM events e"
                for fetched in self._scan(cur, select, where, args, "e.item_id", item_ids, "e.id"):
                    rows.extend(fetched)
        return rows

    def _live_of_kinds(self, task: str | None, kinds: Sequence[str]) -> tuple[list[str], list]:
        """``(where, args)``: live events ``e`` of ``kinds`` (never a retraction) of
        ``task`` (any task for None)."""
        kinds = [k for k in kinds if k != "retract"] or ["(none)"]
        where = [f"e.kind IN ({','.join('?' * len(kinds))})", self._LIVE]
        args: list[Any] = list(kinds)
        if task is not None:
            where.insert(0, "e.task = ?")
            args.insert(0, task)
        return where, args

    def _latest_scan(
        self,
        task: str,
        kinds: Sequence[str],
        tier: str | None,
        item_ids: Sequence[str] | None,
        cols: str,
    ) -> tuple[dict[tuple[str, str], tuple], dict[tuple[str, str], int]]:
        """Each (item, annotator)'s latest live event of ``kinds`` (one tier or any),
        as a raw row of ``cols`` (which start ``e.id, e.item_id, e.annotator``), and
        the id of their first such event. One scan of the log in id order, the primary
        key's: no sort, where a window function over (item, annotator) sorts the
        whole log first."""
        where, args = self._live_of_kinds(task, kinds)
        if tier is not None:
            where.append("e.tier = ?")
            args.append(tier)
        latest: dict[tuple[str, str], tuple] = {}
        first: dict[tuple[str, str], int] = {}
        with self._read() as cur:
            select = f"SELECT {cols} FROM events e"
            for fetched in self._scan(cur, select, where, args, "e.item_id", item_ids, "e.id"):
                for row in fetched:  # later ids overwrite: the latest stays
                    key = (row[1], row[2])
                    latest[key] = row
                    first.setdefault(key, row[0])
        return latest, first

    def _latest_per_annotator(
        self,
        task: str,
        kinds: Sequence[str],
        tier: str | None,
        item_ids: Sequence[str] | None,
        then: str,
    ) -> pd.DataFrame:
        """Each annotator's latest live event of ``kinds`` per item (one tier or any),
        with ``first_id``, the first such event; by item position, then ``then``."""
        rest = [c for c in EVENT_COLUMNS if c not in ("id", "item_id", "annotator")]
        order = ("id", "item_id", "annotator", *rest)
        latest, first = self._latest_scan(
            task, kinds, tier, item_ids, ", ".join(f"e.{c}" for c in order)
        )
        position = self._positions(sorted({iid for iid, _ in latest}))
        with _gc_paused():
            rows = [(*row, first[key], position[key[0]]) for key, row in latest.items()]
            frame = _event_frame(rows, (*order, "first_id", "position"))
        frame = frame.sort_values(["position", then], kind="stable").reset_index(drop=True)
        return frame[[*EVENT_COLUMNS, "first_id"]]

    def _positions(self, item_ids: list[str]) -> dict[str, int]:
        """``{item_id: position}`` of ``item_ids`` (read as all items' when many)."""
        out: dict[str, int] = {}
        with self._read() as cur:
            if len(item_ids) > 5000:
                cur.execute(self._sql("SELECT item_id, position FROM items"))
                out.update(cur.fetchall())
                return out
            for chunk in _chunks(item_ids, 500):
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT item_id, position FROM items WHERE item_id IN ({marks})"
                cur.execute(self._sql(sql), chunk)
                out.update(cur.fetchall())
        return out

    _PROVENANCE = ["item_id", "annotator", "value", "id", "kind", "tier", "created_at"]

    def annotator_labels(self, task: str, item_ids: Sequence[str] | None = None) -> pd.DataFrame:
        latest = self._latest_per_annotator(
            task, ANNOTATOR_LABEL_KINDS, None, item_ids, "annotator"
        )
        return latest[self._PROVENANCE]

    def annotator_label_rows(
        self, task: str, item_ids: Sequence[str] | None = None
    ) -> list[tuple[str, str, Any]]:
        cols = "e.id, e.item_id, e.annotator, e.value"
        latest, _ = self._latest_scan(task, ANNOTATOR_LABEL_KINDS, None, item_ids, cols)
        with _gc_paused():
            rows = [(iid, eid, who, value) for eid, iid, who, value in latest.values()]
            return [(iid, who, value) for iid, _, who, value in decoded_rows(rows, 3)]

    def annotator_decisions(self, task: str, item_ids: Sequence[str] | None = None) -> pd.DataFrame:
        latest = self._latest_per_annotator(task, DECISION_KINDS, "annotate", item_ids, "first_id")
        values = [
            v if k == "label" else None
            for k, v in zip(latest["kind"], latest["value"], strict=True)
        ]
        latest["value"] = pd.Series(values, index=latest.index, dtype=object)
        return latest[[*self._PROVENANCE, "first_id"]]

    def open_reviews(
        self, task: str, item_ids: Sequence[str] | None = None
    ) -> dict[str, tuple[str, ...]]:
        return self._open_reviews(task, item_ids, self._latest_rows(task, item_ids), None)

    def _open_reviews(
        self,
        task: str,
        item_ids: Sequence[str] | None,
        latest: list[tuple],
        last_review: dict[str, int] | None,
    ) -> dict[str, tuple[str, ...]]:
        """:meth:`open_reviews` from ``latest`` (:meth:`_latest_rows`) and, when
        given, each item's last live review decision's id (read here otherwise)."""
        reasons: dict[str, set[str]] = {}
        # Plain rows, not a frame: a poll of a few items must stay cheap.
        keys: dict[str, set[str]] = {}
        last_own: dict[str, int] = {}
        key_of: dict[str, str] = {}  # a class name's key, worked out once
        for iid, eid, _, kind, value in latest:
            last_own[iid] = max(last_own.get(iid, 0), int(eid))
            if kind == "label":
                if type(value) is str:
                    key = key_of.get(value)
                    if key is None:
                        key = key_of[value] = _value_key(value)
                else:
                    key = _value_key(value)
                keys.setdefault(iid, set()).add(key)
        candidates = [iid for iid, k in keys.items() if len(k) > 1]
        if candidates and last_review is None:
            kinds = ",".join("?" * len(REVIEW_KINDS))
            last_review = {}
            # Grouped outside a subquery that reads the log in id order: grouping the log
            # itself, SQLite walks the item index and looks up every event (5x slower).
            reviews = (
                "SELECT x.item_id, MAX(x.id) FROM (SELECT e.item_id, e.id FROM events e "
                f"WHERE e.task = ? AND (e.kind IN ({kinds}) OR (e.kind = 'ambiguous' AND "
                f"e.tier <> 'annotate')) AND {self._LIVE}{{}} ORDER BY e.id) x GROUP BY x.item_id"
            )
            with self._read() as cur:
                if item_ids is None:  # the whole log: one pass, not a query per chunk
                    cur.execute(self._sql(reviews.format("")), (task, *REVIEW_KINDS))
                    last_review.update((i, int(m)) for i, m in cur.fetchall())
                for chunk in [] if item_ids is None else _chunks(candidates, 500):
                    marks = ",".join("?" * len(chunk))
                    cur.execute(
                        self._sql(reviews.format(f" AND e.item_id IN ({marks})")),
                        (task, *REVIEW_KINDS, *chunk),
                    )
                    last_review.update((i, int(m)) for i, m in cur.fetchall())
        for iid in candidates:
            if last_review.get(iid, 0) < last_own[iid]:  # type: ignore[union-attr]
                reasons.setdefault(iid, set()).add("disagreement")
        flagged = "SELECT s.item_id FROM item_state s JOIN events e ON e.id = s.state_event"
        where = ["s.task = ?", "e.kind = 'ambiguous'", "e.tier = 'annotate'"]
        with self._read() as cur:
            for fetched in self._scan(cur, flagged, where, [task], "s.item_id", item_ids, None):
                for (iid,) in fetched:
                    reasons.setdefault(str(iid), set()).add("ambiguous")
        return {iid: tuple(sorted(r)) for iid, r in reasons.items()}

    def _latest_rows(self, task: str, item_ids: Sequence[str] | None) -> list[tuple]:
        """:meth:`annotator_decisions` as rows ``(item_id, id, annotator, kind, value)``,
        values decoded, in no order."""
        cols = "e.id, e.item_id, e.annotator, e.kind, e.value"
        latest, _ = self._latest_scan(task, DECISION_KINDS, "annotate", item_ids, cols)
        with _gc_paused():
            rows = [(iid, eid, who, kind, value) for eid, iid, who, kind, value in latest.values()]
            return decoded_rows(rows, 4)

    def status_rows(
        self, task: str, kinds: Sequence[str]
    ) -> tuple[list[tuple], list[tuple[str, str, Any]], dict[str, tuple[str, ...]]]:
        # One pass over the task's live log in id order, where the three readers it
        # stands for would each scan it (a first poll at 1,000,000 events read it four
        # times): the live rows of ``kinds``, each annotator's latest label (any tier)
        # and latest own decision (annotate tier), each item's last review decision.
        wanted = set(kinds) - {"retract"}
        scanned = [*dict.fromkeys([*wanted, *ANNOTATOR_LABEL_KINDS, *DECISION_KINDS,
                                   *REVIEW_KINDS])]  # fmt: skip
        where, args = self._live_of_kinds(task, scanned)
        cols = "e.id, e.item_id, e.annotator, e.kind, e.tier, e.value, e.created_at, e.duration_ms"
        log: list[tuple] = []
        labels: dict[tuple[str, str], tuple] = {}
        decisions: dict[tuple[str, str], tuple] = {}
        last_review: dict[str, int] = {}
        label_kinds, decision_kinds = set(ANNOTATOR_LABEL_KINDS), set(DECISION_KINDS)
        review_kinds = set(REVIEW_KINDS)
        with _gc_paused():
            with self._read() as cur:
                select = f"SELECT {cols} FROM events e"
                for rows in self._scan(cur, select, where, args, "e.item_id", None, "e.id"):
                    for eid, iid, who, kind, tier, value, when, ms in rows:
                        if kind in wanted:
                            log.append((iid, kind, tier, who, when, ms))
                        if kind in label_kinds:
                            labels[iid, who] = (iid, eid, who, value)
                        if tier == "annotate":
                            if kind in decision_kinds:
                                decisions[iid, who] = (iid, eid, who, kind, value)
                            elif kind in review_kinds:
                                last_review[iid] = eid
                        elif kind in review_kinds or kind == "ambiguous":
                            last_review[iid] = eid
            label_rows = [(i, w, v) for i, _, w, v in decoded_rows(list(labels.values()), 3)]
            latest = decoded_rows(list(decisions.values()), 4)
        return log, label_rows, self._open_reviews(task, None, latest, last_review)

    def changed_items(self, task: str, after: int, until: int) -> list[str]:
        with self._read() as cur:
            cur.execute(
                self._sql(
                    "SELECT DISTINCT item_id FROM events WHERE id > ? AND id <= ? "
                    "AND (task = ? OR kind = 'retract')"
                ),
                (int(after), int(until), task),
            )
            return [r[0] for r in cur.fetchall()]

    def _event_query(
        self, sql: str, args: Sequence[Any], columns: Sequence[str] = EVENT_COLUMNS
    ) -> pd.DataFrame:
        with _gc_paused():
            with self._read() as cur:
                cur.execute(self._sql(sql), args)
                rows = cur.fetchall()
            return _event_frame(rows, columns)

    def _state_values(
        self, task: str, item_ids: Sequence[str], column: str, fields_: str
    ) -> list[tuple]:
        out: list[tuple] = []
        with self._read() as cur:
            for chunk in _chunks(list(item_ids), 500):
                marks = ",".join("?" * len(chunk))
                cur.execute(
                    self._sql(
                        f"SELECT s.item_id, {fields_} FROM item_state s JOIN events e "
                        f"ON e.id = s.{column} WHERE s.task = ? AND s.item_id IN ({marks})"
                    ),
                    (task, *chunk),
                )
                out.extend(cur.fetchall())
        return out

    def prelabels(self, task: str, item_ids: Sequence[str]) -> dict[str, tuple[Any, float | None]]:
        fields_ = "e.id, e.annotator, e.value, e.score"
        rows = decoded_rows(self._state_values(task, item_ids, "prelabel_event", fields_), 3)
        return {iid: (v, None if s is None else float(s)) for iid, _, _, v, s in rows}

    def current_values(self, task: str, item_ids: Sequence[str]) -> dict[str, tuple[str, Any]]:
        fields_ = "e.id, e.annotator, e.kind, e.value"
        rows = decoded_rows(self._state_values(task, item_ids, "state_event", fields_), 4)
        return {iid: (k, v) for iid, _, _, k, v in rows}

    def state_event_ids(self, task: str, item_ids: Sequence[str]) -> dict[str, int]:
        rows = self._state_values(task, item_ids, "state_event", "e.id")
        return {iid: int(eid) for iid, eid in rows}

    # -- queue ----------------------------------------------------------------
    def next_unlabeled(self, task: str, n: int, *, exclude: Iterable[str] = ()) -> list[str]:
        skip = set(exclude)
        with self._read() as cur:
            cur.execute(
                self._sql(
                    "SELECT item_id FROM item_state WHERE task = ? AND state_event IS NULL "
                    "ORDER BY priority DESC, position LIMIT ?"
                ),
                (task, n + len(skip)),
            )
            ids = [r[0] for r in cur.fetchall()]
        return [i for i in ids if i not in skip][:n]

    def page_items(
        self,
        task: str,
        *,
        offset: int,
        limit: int,
        filter: str = "all",
        label: str | None = None,
    ) -> tuple[list[str], int]:
        if offset < 0 or limit < 0:
            raise ValueError(f"offset and limit must be >= 0, got {offset} and {limit}")
        if (filter == "label") != (label is not None):
            raise ValueError('give label=CLASS exactly when filter="label"')
        # Each query walks an index in the order asked (item_state_position, or
        # item_state_queue for the unlabeled), so a page costs its offset in
        # index entries, never a read of every id.
        if filter == "all":
            where, args, order = "s.task = ?", [task], "s.position"
            source = "item_state s"
        elif filter == "unlabeled":
            where, args = "s.task = ? AND s.state_event IS NULL", [task]
            order, source = "s.priority DESC, s.position", "item_state s"
        elif filter == "label":
            where, args = _label_match(task, label)  # type: ignore[arg-type]
            order, source = "s.position", "item_state s JOIN events e ON e.id = s.state_event"
        else:
            raise ValueError(f"filter must be 'all', 'unlabeled' or 'label', got {filter!r}")
        with self._read() as cur:
            cur.execute(self._sql(f"SELECT COUNT(*) FROM {source} WHERE {where}"), args)
            total = int(cur.fetchone()[0])
            if limit == 0 or offset >= total:
                return [], total
            cur.execute(
                self._sql(
                    f"SELECT s.item_id FROM {source} WHERE {where} ORDER BY {order} "
                    f"LIMIT ? OFFSET ?"
                ),
                (*args, limit, offset),
            )
            return [r[0] for r in cur.fetchall()], total

    def set_priority(self, task: str, priorities: dict[str, float]) -> None:
        with self._write() as cur:
            self._executemany(
                cur,
                "UPDATE item_state SET priority = ? WHERE task = ? AND item_id = ?",
                [(float(p), task, iid) for iid, p in priorities.items()],
            )

    def progress(self, task: str) -> tuple[int, int]:
        with self._read() as cur:
            cur.execute(
                self._sql("SELECT COUNT(*), COUNT(state_event) FROM item_state WHERE task = ?"),
                (task,),
            )
            total, done = cur.fetchone()
        return int(done), int(total)

    def count_unlabeled(self, task: str) -> int:
        with self._read() as cur:
            cur.execute(
                self._sql("SELECT COUNT(*) FROM item_state WHERE task = ? AND state_event IS NULL"),
                (task,),
            )
            return int(cur.fetchone()[0])


def _label_match(task: str, label: str) -> tuple[str, list[Any]]:
    """WHERE clause over ``item_state s JOIN events e``: the current label is ``label``.

    Plain string functions both back ends share, on the value's JSON text as
    :meth:`SQLStore.append` writes it (``json.dumps``: ``"a"``, ``["a", "b"]``).
    A single label equals ``json.dumps(label)``. A list contains ``label`` when
    ``", " + its text after the "["`` contains ``, "label", `` or ``, "label"]``:
    the quote before the class is then an opening quote (quotes inside strings
    are escaped), so the whole element is the class: ``"a"`` never matches
    ``"ab"`` or ``"b a"``. (Only a class that starts with "," or "]" could be
    mistaken for the tail of another element.) ``replace`` is case-sensitive
    and has no wildcards, unlike SQLite's ``LIKE``.
    """
    one = json.dumps(label)
    tail = "(', ' || substr(e.value, 2))"
    kinds = ",".join("?" * len(LABEL_KINDS))
    where = (
        f"s.task = ? AND e.kind IN ({kinds}) AND (e.value = ? OR "
        f"(substr(e.value, 1, 1) = '[' AND (replace({tail}, ?, '') <> {tail} "
        f"OR replace({tail}, ?, '') <> {tail})))"
    )
    return where, [task, *LABEL_KINDS, one, f", {one}, ", f", {one}]"]


def _value_key(v: Any) -> str:
    """A hashable key for a label value: a class name, or a list of them as a set."""
    if isinstance(v, list | tuple):
        v = sorted(map(str, v))
    return json.dumps(v, sort_keys=True, default=str)


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str | bytes) else v


def _chunks(seq: list, size: int):
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while a query result becomes a frame.

    A million fetched rows are millions of fresh tuples, none of them in a
    cycle, yet each triggers the collector's full passes again and again: a
    quarter of the time spent building a frame went there.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_INT_COLUMNS = ("id", "seq", "duration_ms", "parent", "schema_version")


def report_unreadable(problems: Sequence[tuple[Any, Any, Any, str]]) -> None:
    """Say which rows of the log could not be read and were skipped.

    ``problems`` holds ``(event id, item id, annotator, why)``. One row that
    cannot be decoded (written by an older release, or straight into the database
    by someone who bypassed the API) must not make every read fail for everyone:
    readers skip it and warn (:class:`~workbench.errors.UnreadableEventWarning`,
    also logged) naming the event, its item and who wrote it.
    """
    if not problems:
        return
    shown = "; ".join(f"event {e} on item {i!r} by {a!r}: {why}" for e, i, a, why in problems[:5])
    more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    message = (
        f"workbench: skipped {len(problems)} event{'s' if len(problems) > 1 else ''} of the "
        f"log that cannot be read: {shown}{more}"
    )
    logger.warning(message)
    warnings.warn(UnreadableEventWarning(message), stacklevel=3)


def event_from_row(row: Sequence[Any]) -> Event | None:
    """The :class:`Event` of one row of :data:`EVENT_COLUMNS`, its value decoded;
    ``None`` (reported, see :func:`report_unreadable`) for a row that cannot be read."""
    ev = dict(zip(EVENT_COLUMNS, row, strict=True))
    problem = _row_problem(ev)
    if problem is None:
        try:
            return Event(**{**ev, "value": _json(ev["value"])})
        except StoreError as exc:  # a field no back end would store today
            problem = str(exc)
    report_unreadable([(ev["id"], ev["item_id"], ev["annotator"], problem)])
    return None


def decoded_rows(rows: Sequence[tuple], at: int) -> list[tuple]:
    """``rows`` with the JSON text at index ``at`` decoded; rows that cannot be
    decoded are skipped and reported (:func:`report_unreadable`). Each row starts
    ``(item_id, event id, annotator, ...)``."""
    out, bad = [], []
    scalars: dict[str, Any] = {}  # texts decoded once: labels repeat, and a scalar is shared
    for row in rows:
        raw = row[at]
        value = scalars.get(raw, _MISS) if type(raw) is str else _MISS
        if value is _MISS:
            try:
                value = _json(raw)
            except (ValueError, TypeError, RecursionError) as exc:
                bad.append((row[1], row[0], row[2], _undecodable(exc)))
                continue
            if type(raw) is str and (value is None or type(value) in _SCALARS):
                scalars[raw] = value
        out.append((*row[:at], value, *row[at + 1 :]))
    report_unreadable(bad)
    return out


#: Decoded values that may be shared between rows: no caller can change them.
_SCALARS = frozenset((str, int, float, bool))


def decoded_frame(df: pd.DataFrame, *columns: str, what: str = "event") -> pd.DataFrame:
    """``df`` with the JSON text of ``columns`` decoded (each distinct text once);
    rows with a text that cannot be decoded are dropped and reported.

    ``df`` has ``id`` (the event id; or the row's key for ``what``),
    ``item_id`` and ``annotator`` columns where it can, for the report.
    """
    bad_texts: dict[Any, str] = {}
    for col in columns:
        for v in set(df[col]):
            if isinstance(v, str | bytes) and v not in bad_texts:
                try:
                    json.loads(v)
                except (ValueError, RecursionError) as exc:
                    bad_texts[v] = _undecodable(exc)
    if bad_texts:
        bad = np.zeros(len(df), dtype=bool)
        for col in columns:
            bad |= df[col].isin(list(bad_texts)).to_numpy()
        rows = df[bad]
        report_unreadable(
            [
                (
                    rec.get("id", what),
                    rec.get("item_id"),
                    rec.get("annotator"),
                    next(bad_texts[rec[c]] for c in columns if rec[c] in bad_texts),
                )
                for rec in rows.to_dict("records")
            ]
        )
        df = df[~bad].reset_index(drop=True)
    df = df.copy()
    for col in columns:
        df[col] = pd.Series(_decode_values(list(df[col])), index=df.index, dtype=object)
    return df


def _undecodable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the value is nested too deeply to decode"
    return f"the value is not JSON ({str(exc).splitlines()[0][:120] if str(exc) else exc!r})"


def _row_problem(row: Mapping[str, Any]) -> str | None:
    """Why one row of event columns cannot become a frame row, or ``None``."""
    try:
        _json(row["value"])
    except (ValueError, TypeError, RecursionError) as exc:
        return _undecodable(exc)
    for col in _INT_COLUMNS:
        v = row.get(col)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            return f"{col} is not an integer ({_shown(v)})"
    for col in ("created_at", "score"):
        v = row.get(col)
        if v is None and col == "score":
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return f"{col} is not a finite number ({_shown(v)})"
    return None


def _event_frame(rows: list[tuple], columns: Sequence[str]) -> pd.DataFrame:
    """Rows of event columns as a DataFrame: values decoded, times as UTC datetimes.

    A row that cannot be decoded is skipped and reported
    (:func:`report_unreadable`), never allowed to fail the whole read.
    """
    try:
        return _frame(rows, columns)
    except (ValueError, TypeError, OverflowError, RecursionError):
        pass
    good, bad = [], []
    for row in rows:
        named = dict(zip(columns, row, strict=True))
        problem = _row_problem(named)
        if problem is None:
            good.append(row)
        else:
            bad.append((named.get("id"), named.get("item_id"), named.get("annotator"), problem))
    report_unreadable(bad)
    return _frame(good, columns)


def _frame(rows: list[tuple], columns: Sequence[str]) -> pd.DataFrame:
    """:func:`_event_frame` for rows that all decode.

    Built column by column rather than through ``from_records`` and per-cell
    pandas conversions: a million-row log becomes a frame several times faster.
    """
    by_column = zip(*rows, strict=True) if rows else [()] * len(columns)
    data: dict[str, Any] = dict(zip(columns, by_column, strict=True))
    data["value"] = _decode_values(data["value"])
    data["created_at"] = pd.to_datetime(
        np.asarray(data["created_at"], dtype=np.float64), unit="s", utc=True
    )
    for col in _INT_COLUMNS + ("first_id", "position"):
        if col in data:
            data[col] = _nullable_ints(data[col])
    data["score"] = np.asarray(data["score"], dtype=np.float64)  # None becomes NaN
    for col in columns:
        if isinstance(data[col], tuple):
            data[col] = np.asarray(data[col], dtype=object)
    return pd.DataFrame(data, columns=list(columns))


def _decode_values(values: Sequence[Any]) -> list[Any]:
    """JSON-decode each value, each distinct string once (labels repeat a lot).

    A decoded list or dict is never shared between rows: a caller may change one.
    """
    decoded = {v: json.loads(v) for v in set(values) if isinstance(v, str | bytes)}
    mutable = {v: d for v, d in decoded.items() if isinstance(d, dict | list)}
    if not mutable:
        return list(map(decoded.get, values, values))
    first = dict(mutable)  # the first row with a value takes the object decoded above
    out = []
    for v in values:
        if v in mutable:
            d = first.pop(v, _MISS)
            out.append(json.loads(v) if d is _MISS else d)
        else:
            out.append(decoded.get(v, v))
    return out


_MISS = object()


def _nullable_ints(col: Sequence[int | None]) -> pd.arrays.IntegerArray:
    values = np.asarray(col, dtype=object).reshape(len(col))
    mask = np.equal(values, None)
    if mask.any():
        values[mask] = 0
    return pd.arrays.IntegerArray(values.astype(np.int64), mask)


EVENT_FIELDS = {f.name for f in fields(Event)}
