"""The label stream: the messages between a widget's front end and the kernel.

UI-free: this module validates and stores labels and builds item payloads; the
widget classes in :mod:`workbench.widgets` only pass messages through it. Labels
and navigation travel as custom messages (``model.send`` in the browser,
``on_msg`` in the kernel), never as synced traits, which drop values under fast
key presses.

Protocol
--------
Every request from the front end carries ``client_id``, a UUID of the widget
view; replies to requests echo it and the request number ``req`` so that a
view ignores replies meant for another view of the same widget. Image bytes
always travel as binary buffers: an item's ``buffer`` is an index into the
message's buffers (``null`` for texts), never base64.

front end → kernel

``{type: "hello", client_id}``
    A view started. Reply ``{type: "hello", client_id, project_id, task, progress}``;
    in team mode (:mod:`workbench.team`, a view of an annotator, reviewer or QA)
    also ``team: {user, role, tier}`` and ``feedback: [Feedback, ...]``, the
    user's unread feedback, oldest first.

``{type: "need", client_id, req, n, exclude: [item_id, ...]}``
    Up to ``n`` more items for the queue, in priority order
    (``store.next_unlabeled``), never one in ``exclude`` (items already in the
    browser queue, shown, or labeled but not acknowledged). Ids given as
    ``order=`` to the widget come first. Reply ``{type: "items", client_id, req,
    n, items: [Item, ...], progress}``; an empty list means nothing is left.
    An annotator in team mode gets the items they claim (``Team.claim``: sent
    back to them first, then held, then new) and the reply carries
    ``feedback: [Feedback, ...]`` (unread).

``{type: "seen", client_id, req, ids: [feedback id, ...]}``
    The user read these notes. Reply ``{type: "seen", client_id, req, ids}``.

``{type: "item", client_id, req, item_id}``
    One item, for going back to an item or the no-prefetch baseline. Reply
    ``{type: "item", client_id, req, item_id, item: Item}`` or ``{..., error}``.

``{type: "label", client_id, seq, item_id, task, kind, value, retracts?, duration_ms}``
    ``kind`` is ``"label"`` (``value`` a class name, or a list of names for a
    multi-label task), ``"skip"`` (``value`` ignored) or ``"retract"``
    (``retracts: {client_id, seq}`` names the label it withdraws). ``(client_id,
    seq)`` identifies the label for good: a resend of a stored label is
    acknowledged again and stored once.

    Review decisions (the review widget) are ``"review-accept"`` (``value`` the
    label accepted), ``"review-correct"`` (``value`` the corrected label) and
    ``"ambiguous"`` (``value`` ignored), and ``"send-back"`` (``value``
    ignored, ``note`` required: the item goes back to its annotators, in team
    mode). They must carry ``parent``: the id of
    the event that decided the item's state when the decision was made (the
    label under review), or ``null`` for an item with no state. It is refused
    unless that event is still the item's current state (someone relabeled it
    in between), and a ``review-accept`` unless ``value`` is that label: the
    rules of :func:`workbench.decisions.decide`, the one door every review
    decision goes through, checked again in the append's transaction. Every
    view's stream stores them, so any view of the project can resend what a
    review view left in the outbox. Any label message may carry ``tier``
    (``"annotate"``, ``"review"``, ``"qa"``); it defaults to ``"review"`` for
    review decisions (``"qa"`` for a QA user in team mode), ``"annotate"``
    otherwise. Any label message may carry ``note``, a string of at most 2,000
    characters (a reviewer's reason), stored on the event. Replies:

    - ``{type: "ack", client_id, seq, event_id, duplicate, progress}``: stored
      durably (or already stored); the front end drops it from its outbox.
    - The drawing widget's stream (:class:`AnnotateStream`) also acknowledges,
      with ``superseded: true``, a shape list older than the one from the same
      view that already decides the item, without storing it.
    - ``{type: "refused", client_id, seq, error}``: final; the label can never
      be stored (unknown item, class not in the schema, malformed message, or
      the database refused the user: ``PermissionDenied``). The
      front end shows ``error`` and drops the entry.
    - ``{type: "deferred", client_id, seq, error}``: a retraction whose target
      is not stored yet (it may still be in flight): not final, resend later.
    - ``{type: "error", client_id, seq, error}``: the kernel failed to store it
      this time (database locked, disk full): not final, resend later.

``{type: "full", client_id, req, item_id}`` (annotate)
    The item's image at full size (longest side at most 8192 px), asked once
    when the view zooms past the resolution of the image it was sent. Reply
    ``{type: "full", client_id, req, item_id, width, height, mime, buffer: 0}``
    or ``{..., error}``.

``{type: "page", client_id, req, page, page_size, filter}`` (gallery)
    ``filter`` is ``"all"``, ``"unlabeled"`` or a class name. Reply ``{type:
    "page", client_id, req, page, page_size, filter, total, items: [Item, ...],
    progress}`` with thumbnails; ``page`` is clamped to the last page.

``{type: "cards", client_id, req, start, n}`` (review)
    Up to ``n`` review cards from position ``start`` of the review list
    (:class:`ReviewStream`). Reply ``{type: "cards", client_id, req, start,
    total, items: [Card, ...], progress}``, where ``progress`` counts the
    reviewed items of the list and ``total`` is its length.

``{type: "examples", client_id, req}`` (guidelines overlay)
    The example items of the task's classes (``LabelClass.examples``), asked
    once per view when the guidelines are first opened. Reply ``{type:
    "examples", client_id, req, size, examples: {class_name: [Item, ...]}}``
    with a key for every class that has examples (at most 24 each, in the
    schema's order): images as thumbnails of at most ``size`` (96) px in the
    buffers, texts as an excerpt of at most 160 characters, and ids that are
    not in the project (or cannot be read) as ``{item_id, kind: "error",
    buffer: null, error}`` so that the front end shows a placeholder. Items
    carry no label state.

kernel → front end, unasked

``{type: "requeue"}``
    The order of the queue changed (``ClassifyWidget.set_order``): drop the
    prefetched items and ask for items again.

``{type: "prelabels", task, items: [{item_id, prelabel: {value, score}}]}`` (annotate)
    Model suggestions stored (``Project.add_prelabels``, ``Project.prelabel``)
    for items the view already holds (:meth:`AnnotateStream.prelabel_update`).
    The view replaces those items' suggestions; on the item shown it waits
    until the item is shown again if the user has changed its shapes there.

Item
    ``{item_id, kind: "image" | "text" | "error", buffer: int | null, mime?,
    width?, height?, full_width?, full_height?, text?, error?, state?, label?,
    prelabel?: {value, score}}``; ``width``/``height`` are those of the image
    sent, ``full_*`` those of the whole image (not on thumbnails): shapes are
    in its pixels. For a shapes task ``label`` and ``prelabel.value`` are shape
    lists (:mod:`workbench.kinds.shapes.schema`), and the drawing widget sends each
    committed change of an item's shapes as one ``label`` whose value is the
    whole list.
    where ``state`` is the kind of the event deciding the item's current state
    (``"label"``, ``"skip"`` ...), ``label`` its value when that is a label, and
    ``prelabel`` the latest model pre-label with its score. In team mode an
    annotator's items carry only their own decision, and ``feedback``: the
    latest Feedback on that item for them, if any. An item whose bytes
    cannot be read comes as ``kind: "error"`` with the reason, so it can still
    be skipped.

Feedback
    ``{id, item_id, kind: "review-correct" | "send-back", reviewer, tier, note,
    value, previous, created_at}``: a reviewer's (or QA's) correction of the
    user's label (``previous`` → ``value``) or return of the item, with the
    reason; ``created_at`` in seconds since the epoch.

Card
    An Item plus ``review: {position, quality, suggested, suggested_score,
    given, given_event, given_kind, given_by, audit_label, annotators,
    reviewed}``: ``given`` is the label under review (the item's current label;
    the issues table's ``label`` when the store has none), ``given_event`` the
    id of the event deciding the item's current state (what a decision names as
    ``parent``) and ``given_kind``/``given_by`` its kind and annotator;
    ``audit_label`` the label the issues table was computed on; ``annotators``
    every annotator's latest own decision, ``[{annotator, kind, value}]`` (kind
    ``"label"``, ``"ambiguous"`` or ``"skip"``; retracted ones left out);
    ``suggested`` the model's class (the issues table's, else the latest
    pre-label) and ``suggested_score`` the pre-label's score when it suggests
    the same; ``reviewed`` ``{kind, value, annotator, event_id}`` when the
    current state is already a review decision, else ``null``.
"""

from __future__ import annotations

import logging
import math
import numbers
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .decisions import decide
from .errors import (
    PermissionDenied,
    SchemaError,
    StaleLabelError,
    StoreError,
    UnknownItemError,
    WorkbenchError,
)
from .store.base import (
    DECISION_KINDS,
    LABEL_KINDS,
    MAX_DURATION_MS,
    MAX_NOTE,
    TIERS,
    Event,
    Store,
)

if TYPE_CHECKING:
    from .project import Project

__all__ = [
    "LabelStream",
    "AnnotateStream",
    "ReviewStream",
    "Reply",
    "LABEL_MESSAGE_KINDS",
    "REVIEW_MESSAGE_KINDS",
    "GALLERY_FILTERS",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: A message to send back: its content and its binary buffers.
Reply = tuple[dict[str, Any], list[bytes]]

#: Review decisions: they name the event they review as ``parent``.
REVIEW_MESSAGE_KINDS = ("review-accept", "review-correct", "ambiguous", "send-back")
LABEL_MESSAGE_KINDS = ("label", "skip", "retract", *REVIEW_MESSAGE_KINDS)
#: Gallery filters besides the class names.
GALLERY_FILTERS = ("all", "unlabeled")

MAX_NEED = 1000
MAX_EXCLUDE = 200_000
MAX_PAGE_SIZE = 500
#: Longest side of the class examples shown in the guidelines.
EXAMPLE_SIZE = 96
#: Examples sent per class.
MAX_EXAMPLES = 24
#: Text examples are cut to this many characters.
EXCERPT_CHARS = 160
#: Progress is a count over the pool: recompute it at most this often while labels stream in.
PROGRESS_EVERY_S = 0.5
#: Longest side of the full-size image the drawing widget asks for when zoomed in.
MAX_FULL_SIZE = 8192
#: Most frames one ``frames`` message returns.
MAX_FRAMES_ASKED = 32
#: Longest window of audio one ``audio`` message returns, in seconds: playback asks
#: for the next window as it goes.
MAX_AUDIO_WINDOW_S = 60.0
#: Items sent to the drawing widget's views remembered for later suggestions (a view holds ~200).
MAX_SENT_REMEMBERED = 4096
#: A message handled slower than this is logged as a warning.
SLOW_S = 1.0


class LabelStream:
    """Handles the label-stream messages of one widget over one task.

    Parameters
    ----------
    project : Project
        Where items are read and labels stored.
    task : str, optional
        The task labeled; the schema's first task by default.
    annotator : str, optional
        Recorded on every event; the project's annotator by default.
    max_size : int
        Longest side, in pixels, of images sent to the classify view.
    thumb_size : int
        Longest side of gallery thumbnails.
    order : sequence of str, optional
        Item ids served before the store's priority order (while unlabeled).
    """

    def __init__(
        self,
        project: Project,
        task: str | None = None,
        *,
        annotator: str | None = None,
        max_size: int = 512,
        thumb_size: int = 128,
        order: Sequence[str] | None = None,
    ) -> None:
        self.project = project
        self.task = project.schema.task(task).name
        self.annotator = annotator or project.annotator
        self.max_size = max_size
        self.thumb_size = thumb_size
        self._order: list[str] = []
        self._order_pos = 0
        # Team mode: an annotator's queue is their claims and they see only their
        # own decisions; reviewers and QA decide in their own tier.
        self.team, self.team_role = _team_worker(project)
        if order is not None:
            self.set_order(order)
        self._progress: dict[str, int] | None = None
        self._progress_at = 0.0
        self._progress_cost = 0.0

    @property
    def store(self):
        return self.project.store

    def set_order(self, order: Iterable[str]) -> None:
        """Serve these item ids first (those still unlabeled), in this order."""
        if getattr(self, "team_role", None) == "annotator":
            raise StoreError(
                "in team mode an annotator's queue is what they claim, by the pool's "
                "priorities; the lead sets those (store.set_priority, then team.fill())"
            )
        if isinstance(order, str | bytes | Mapping):
            raise TypeError(f"order must be a list of item ids, got {type(order).__name__}")
        try:
            ids = [str(i) for i in order]
        except TypeError:
            raise TypeError(
                f"order must be a list of item ids, got {type(order).__name__}"
            ) from None
        missing = self.store.missing_items(ids)
        if missing:
            raise UnknownItemError(
                f"order names item {missing[0]!r}, which is not in this project"
                + (f" ({len(missing) - 1} more missing)" if len(missing) > 1 else "")
            )
        self._order = list(dict.fromkeys(ids))
        self._order_pos = 0

    # -- dispatch ---------------------------------------------------------------
    def handle(self, content: Any, buffers: Sequence[bytes] = ()) -> list[Reply]:
        """Answer one message from the front end; never raises."""
        if not isinstance(content, Mapping):
            return [({"type": "error", "error": "a widget message must be a JSON object"}, [])]
        kind = content.get("type")
        handler = self.handlers().get(kind)  # type: ignore[arg-type]
        base = _echo(content)
        if handler is None:
            return [({**base, "type": "error", "error": f"unknown message type {kind!r}"}, [])]
        start = time.perf_counter()
        try:
            replies = handler(content)
        except Exception as exc:  # a bug or an outage: keep the widget alive, say what broke
            logger.exception("workbench widget: %r message failed", kind)
            return [({**base, "type": "error", "error": f"{type(exc).__name__}: {exc}"}, [])]
        took = time.perf_counter() - start
        if took > SLOW_S:
            logger.warning("workbench widget: %r message took %.2f s", kind, took)
        return replies

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], list[Reply]]]:
        """Message type → handler."""
        return {
            "hello": self.hello,
            "need": self.need,
            "item": self.item,
            "label": self.label,
            "page": self.page,
            "examples": self.examples,
            "seen": self.seen,
        }

    # -- handlers ---------------------------------------------------------------
    def hello(self, msg: Mapping[str, Any]) -> list[Reply]:
        reply = {
            **_echo(msg),
            "type": "hello",
            "project_id": self.store.project_id,
            "task": self.task,
            "progress": self.progress(force=True),
        }
        if self.team is not None:
            tier = _ROLE_TIER.get(self.team_role or "", "annotate")
            reply["team"] = {"user": self.annotator, "role": self.team_role, "tier": tier}
            reply["feedback"] = self.unseen_feedback()
        return [(reply, [])]

    def seen(self, msg: Mapping[str, Any]) -> list[Reply]:
        """``{type: "seen", ids}``: the annotator read these feedback rows."""
        ids = msg.get("ids")
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise ValueError(f"ids must be a list of feedback ids, got {ids!r}")
        if self.team is not None and ids:
            self.team.mark_seen(ids)
        return [({**_echo(msg), "type": "seen", "ids": ids}, [])]

    def unseen_feedback(self) -> list[dict[str, Any]]:
        """This user's unread feedback (team mode), oldest first, as JSON-able dicts."""
        if self.team is None:
            return []
        df = self.team.feedback(unseen=True)
        return [_feedback_dict(row) for row in df.to_dict("records")[-MAX_FEEDBACK:]]

    def need(self, msg: Mapping[str, Any]) -> list[Reply]:
        n = _int(msg.get("n", 1), "n", 0, MAX_NEED)
        exclude = msg.get("exclude") or []
        if not isinstance(exclude, list) or len(exclude) > MAX_EXCLUDE:
            raise ValueError(f"exclude must be a list of at most {MAX_EXCLUDE} item ids")
        skip = {str(i) for i in exclude}
        ids = self.next_ids(n, skip)
        items, buffers = self.payloads(ids)
        reply = {
            **_echo(msg),
            "type": "items",
            "n": n,
            "items": items,
            "progress": self.progress(force=True),
        }
        if self.team is not None:
            reply["feedback"] = self.unseen_feedback()
        return [(reply, buffers)]

    def item(self, msg: Mapping[str, Any]) -> list[Reply]:
        item_id = msg.get("item_id")
        base = {**_echo(msg), "type": "item", "item_id": item_id}
        if not isinstance(item_id, str):
            return [({**base, "error": f"item_id must be a string, got {item_id!r}"}, [])]
        try:
            items, buffers = self.payloads([item_id])
        except UnknownItemError as exc:
            return [({**base, "error": str(exc)}, [])]
        return [({**base, "item": items[0]}, buffers)]

    def label(self, msg: Mapping[str, Any]) -> list[Reply]:
        client_id, seq = msg.get("client_id"), msg.get("seq")
        ids = {"client_id": client_id, "seq": seq}
        if not isinstance(client_id, str) or not client_id or len(client_id) > 200:
            return [_refused(ids, f"client_id must be a non-empty string, got {client_id!r}")]
        if isinstance(seq, bool) or not isinstance(seq, numbers.Integral) or seq < 0:
            return [_refused(ids, f"seq must be a non-negative integer, got {seq!r}")]
        seq = int(seq)
        ids["seq"] = seq
        # A resend of a stored label: acknowledge again without writing.
        stored = self.store.find_event(client_id, seq, self.annotator)
        if stored is not None:
            return [self._ack(ids, stored, duplicate=True)]

        kind = msg.get("kind")
        if kind not in LABEL_MESSAGE_KINDS:
            return [_refused(ids, f"kind must be one of {list(LABEL_MESSAGE_KINDS)}, got {kind!r}")]
        if kind in REVIEW_MESSAGE_KINDS and "parent" not in msg:
            problem = (
                f"kind {kind!r} is a review decision: it needs parent, the id of the event "
                "it reviews (null for an item with no state)"
            )
            return [_refused(ids, problem)]
        tier = msg.get("tier")
        if tier is None:
            tier = self.review_tier() if kind in REVIEW_MESSAGE_KINDS else "annotate"
        elif tier not in TIERS:
            return [_refused(ids, f"tier must be one of {list(TIERS)}, got {tier!r}")]
        item_id = msg.get("item_id")
        if not isinstance(item_id, str) or not item_id:
            return [_refused(ids, f"item_id must be a non-empty string, got {item_id!r}")]
        task = msg.get("task") or self.task
        if not isinstance(task, str):
            return [_refused(ids, f"task must be a string, got {task!r}")]
        duration = msg.get("duration_ms")
        if isinstance(duration, bool) or not isinstance(duration, numbers.Real | type(None)):
            duration = None
        # Clamped to what an Event takes: a widget left open for a month still stores its label.
        duration_ms = (
            None if duration is None or duration != duration  # NaN: no duration
            else int(max(0, min(duration, MAX_DURATION_MS)))
        )  # fmt: skip
        note = msg.get("note", "")
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            return [_refused(ids, f"note must be a string of at most {MAX_NOTE} characters")]
        if kind == "send-back" and not note.strip():
            return [_refused(ids, "sending an item back needs a reason (note) for its annotators")]

        fields: dict[str, Any] = {
            "client_id": client_id, "seq": seq, "duration_ms": duration_ms,
            "annotator": self.annotator, "tier": tier, "note": note,
        }  # fmt: skip
        # A label's item is checked by the append itself (UnknownItemError, below): no
        # query of its own on the path every key press takes. A retraction looks up
        # its target first, so it checks the item before.
        if kind == "retract":
            if self.store.missing_items([item_id]):
                return [_refused(ids, f"no item {item_id!r} in this project")]
            target = msg.get("retracts")
            if not isinstance(target, Mapping):
                return [_refused(ids, "a retract needs retracts: {client_id, seq}")]
            t_client, t_seq = target.get("client_id"), target.get("seq")
            if (
                not isinstance(t_client, str)
                or isinstance(t_seq, bool)
                or not isinstance(t_seq, numbers.Integral)
            ):
                return [_refused(ids, f"retracts must be {{client_id, seq}}, got {dict(target)!r}")]
            parent = self.store.find_event(t_client, int(t_seq), self.annotator)
            if parent is None:
                reply = {
                    "type": "deferred", **ids,
                    "error": f"the label to undo ({t_client}:{t_seq}) is not stored yet",
                }  # fmt: skip
                return [(reply, [])]
            problem = self._check_retract_target(item_id, task, parent)
            if problem:
                return [_refused(ids, problem)]
            value: Any = None
            fields["parent"] = parent
        elif kind in REVIEW_MESSAGE_KINDS:
            return [self._decide(ids, msg, item_id, task, kind, fields)]
        else:
            value = msg.get("value")
        try:
            event = self.project.make_event(item_id, value, task=task, kind=kind, **fields)
        except (SchemaError, StoreError) as exc:  # unknown class or task, malformed value
            return [_refused(ids, str(exc))]
        try:
            (appended,) = self.store.append([event])
        except (UnknownItemError, PermissionDenied) as exc:  # final: resending cannot help
            if isinstance(exc, PermissionDenied) and self.store.missing_items([item_id]):
                # Team mode's row policies refuse an unknown item before its foreign
                # key would: name what is wrong (a query on this error path only).
                return [_refused(ids, f"no item {item_id!r} in this project")]
            return [_refused(ids, str(exc))]
        except WorkbenchError as exc:  # the store could not write now: not final
            logger.warning("workbench widget: could not store label %s:%s: %s", client_id, seq, exc)
            return [({"type": "error", **ids, "error": str(exc)}, [])]
        return [self._ack(ids, appended.id, duplicate=appended.duplicate)]

    def page(self, msg: Mapping[str, Any]) -> list[Reply]:
        page = _int(msg.get("page", 0), "page", 0, 10**9)
        size = _int(msg.get("page_size", 100), "page_size", 1, MAX_PAGE_SIZE)
        filt = msg.get("filter", "all") or "all"
        base = {**_echo(msg), "type": "page", "page_size": size, "filter": filt}
        task = self.project.schema.task(self.task)
        names = list(getattr(task, "class_names", []))
        if isinstance(filt, str) and filt not in GALLERY_FILTERS and filt not in names:
            names += self.project.former_classes(self.task)  # current labels may still use them
        if not isinstance(filt, str) or (filt not in GALLERY_FILTERS and filt not in names):
            return [({**base, "page": page, "total": 0, "items": [],
                      "error": f"filter must be one of {list(GALLERY_FILTERS) + names}, "
                               f"got {filt!r}"}, [])]  # fmt: skip
        # One page from the store's indexes: a million-item project is never read whole.
        query: dict[str, Any] = (
            {"filter": filt} if filt in GALLERY_FILTERS else {"filter": "label", "label": filt}
        )
        ids, total = self.store.page_items(self.task, offset=page * size, limit=size, **query)
        last = max(0, (total - 1) // size)
        if page > last:  # past the end: clamp to the last page (a second, cheap query)
            page = last
            ids, total = self.store.page_items(self.task, offset=page * size, limit=size, **query)
        items, buffers = self.payloads(ids, thumbnail=True)
        reply = {
            **base,
            "page": page,
            "total": total,
            "items": items,
            "progress": self.progress(force=True),
        }
        return [(reply, buffers)]

    def examples(self, msg: Mapping[str, Any]) -> list[Reply]:
        """The classes' example items (at most ``MAX_EXAMPLES`` each) for the guidelines."""
        task = self.project.schema.task(self.task)
        wanted = {
            c.name: list(dict.fromkeys(str(i) for i in c.examples))[:MAX_EXAMPLES]
            for c in getattr(task, "classes", ())
            if c.examples
        }
        all_ids = list(dict.fromkeys(i for ids in wanted.values() for i in ids))
        missing = set(self.store.missing_items(all_ids))
        present = [i for i in all_ids if i not in missing]
        items, buffers = self.payloads(present, thumbnail=True, size=EXAMPLE_SIZE)
        keep = ("item_id", "kind", "buffer", "mime", "width", "height", "text", "error")
        by_id: dict[str, dict[str, Any]] = {}
        for it in items:
            ex = {k: it[k] for k in keep if k in it}
            text = ex.get("text")
            if isinstance(text, str) and len(text) > EXCERPT_CHARS:
                ex["text"] = text[: EXCERPT_CHARS - 1].rstrip() + "…"
            by_id[ex["item_id"]] = ex
        for iid in missing:
            by_id[iid] = {
                "item_id": iid, "kind": "error", "buffer": None,
                "error": f"no item {iid!r} in this project",
            }  # fmt: skip
        examples = {name: [dict(by_id[i]) for i in ids] for name, ids in wanted.items()}
        reply = {**_echo(msg), "type": "examples", "size": EXAMPLE_SIZE, "examples": examples}
        return [(reply, buffers)]

    # -- helpers ----------------------------------------------------------------
    def next_ids(self, n: int, exclude: set[str]) -> list[str]:
        """Up to ``n`` unlabeled ids not in ``exclude``: ``order`` first, then by priority."""
        out: list[str] = []
        if n <= 0:
            return out
        if self.team is not None and self.team_role == "annotator":
            return self.team.claim(n, task=self.task, exclude=exclude)
        if self._order_pos < len(self._order):
            # Skip past the labeled prefix for good; look a window ahead for the rest.
            while self._order_pos < len(self._order) and len(out) < n:
                window = self._order[self._order_pos : self._order_pos + max(4 * n, 64)]
                states = self.store.current_values(self.task, window)
                advance = True
                for iid in window:
                    if iid in states:
                        if advance:
                            self._order_pos += 1
                        continue
                    advance = False
                    if iid not in exclude and iid not in out:
                        out.append(iid)
                        if len(out) >= n:
                            break
                if not advance:
                    break
        if len(out) < n:
            more = self.store.next_unlabeled(self.task, n - len(out), exclude=exclude | set(out))
            out.extend(more)
        return out

    def payloads(
        self, ids: Sequence[str], *, thumbnail: bool = False, size: int | None = None
    ) -> tuple[list[dict], list]:
        """Item dicts (see the module docstring) and their buffers, in the order of ``ids``.

        Thumbnails are ``size`` px (``thumb_size`` by default).
        """
        ids = list(ids)
        if not ids:
            return [], []
        records = self.store.get_items(ids)
        if self.team is not None and self.team_role == "annotator":
            # Their own decision, never another annotator's, blind or not.
            states = self.team.my_values(self.task, ids)
            prelabels = self.team.my_prelabels(self.task, ids)
            notes = self.team.item_feedback(self.task, ids)
        else:
            states = self.store.current_values(self.task, ids)
            prelabels = self.store.prelabels(self.task, ids)
            notes = {}
        reader = self.project.reader
        items: list[dict[str, Any]] = []
        buffers: list[Any] = []
        for rec in records:
            out: dict[str, Any] = {"item_id": rec.item_id, "buffer": None}
            try:
                if thumbnail:
                    shown = reader.thumbnail(rec, size=size or self.thumb_size)
                else:
                    shown = reader.render(rec, max_size=self.max_size)
            except Exception as exc:  # a missing or corrupt file must not stall the queue
                logger.warning("workbench widget: cannot show item %s: %s", rec.item_id, exc)
                out.update(kind="error", error=str(exc))
            else:
                kind = shown.get("kind")
                if kind == "image" and "video" in shown and not thumbnail:
                    info = shown["video"]
                    out.update(
                        kind="video", mime=shown.get("mime", "image/jpeg"),
                        width=int(shown["width"]), height=int(shown["height"]),
                        full_width=int(shown["full_width"]), full_height=int(shown["full_height"]),
                        frames=int(info["frames"]), fps=float(info["fps"]), buffer=len(buffers),
                    )  # fmt: skip
                    buffers.append(shown["data"])
                elif kind == "image":
                    out.update(
                        kind="image",
                        mime=shown.get("mime", "image/png"),
                        width=int(shown.get("width") or 0),
                        height=int(shown.get("height") or 0),
                        buffer=len(buffers),
                    )
                    if not thumbnail:
                        out["full_width"] = int(shown.get("full_width") or out["width"])
                        out["full_height"] = int(shown.get("full_height") or out["height"])
                    buffers.append(shown["data"])
                elif kind == "text":
                    out.update(kind="text", text=str(shown.get("text", "")))
                elif kind == "audio":
                    out.update(
                        kind="audio", sample_rate=int(shown["sample_rate"]),
                        channels=int(shown["channels"]), duration=float(shown["duration"]),
                        bins=int(shown["bins"]), buffer=len(buffers),
                    )  # fmt: skip
                    buffers.append(shown["data"])
                else:
                    out.update(kind="error", error=f"items of kind {kind!r} cannot be shown yet")
            if rec.item_id in states:
                state, value = states[rec.item_id]
                out["state"] = state
                if state in LABEL_KINDS:
                    out["label"] = value
            if rec.item_id in prelabels:
                value, score = prelabels[rec.item_id]
                out["prelabel"] = {"value": value, "score": score}
            if rec.item_id in notes:
                out["feedback"] = notes[rec.item_id]
            items.append(out)
        return items, buffers

    def progress(self, *, force: bool = False) -> dict[str, int]:
        """``{done, total}`` for the task.

        A count over the pool: cheap for small pools, so it is fresh on every
        ack; when one count costs more than a few ms it is recomputed at most
        every ``PROGRESS_EVERY_S`` (or 20 counts' time) unless ``force``.
        """
        now = time.monotonic()
        cost = self._progress_cost
        every = 0.0 if cost < 0.005 else max(PROGRESS_EVERY_S, 20 * cost)
        if force or self._progress is None or now - self._progress_at >= every:
            done, total = self.count()
            self._progress = {"done": int(done), "total": int(total)}
            self._progress_at = time.monotonic()
            self._progress_cost = self._progress_at - now
        return dict(self._progress)

    def count(self) -> tuple[int, int]:
        """``(done, total)`` behind :meth:`progress` (:func:`visible_progress`)."""
        return _progress(self.store, self.team, self.team_role, self.task)

    def deciding_event(self, task: str, item_id: str) -> Event | None:
        """The event that decides an item's state as this view sees it: for an
        annotator in team mode their own latest decision (they may not read
        others' labels), else the item's current state."""
        if self.team is not None and self.team_role == "annotator":
            return self.team.my_latest_event(task, item_id)
        current = self.store.state_event_ids(task, [item_id]).get(item_id)
        return None if current is None else self.store.get_event(current)

    def _ack(self, ids: dict[str, Any], event_id: int, *, duplicate: bool) -> Reply:
        reply = {
            "type": "ack", **ids, "event_id": int(event_id), "duplicate": bool(duplicate),
            "progress": self.progress(),
        }  # fmt: skip
        return reply, []

    def review_tier(self) -> str:
        """The tier review decisions from this view are written in."""
        return "qa" if self.team_role == "qa" else "review"

    def _check_retract_target(self, item_id: str, task: str, parent: int) -> str | None:
        events = (
            self.team.my_item_events(item_id)
            if self.team is not None and self.team_role == "annotator"
            else self.store.events(item_id=item_id)
        )
        row = events[events["id"] == parent]
        if row.empty:
            return f"the label to undo (event {parent}) is not a label of item {item_id!r}"
        r = row.iloc[0]
        if r["task"] != task:
            return f"the label to undo (event {parent}) belongs to task {r['task']!r}, not {task!r}"
        if r["kind"] in ("retract", "prelabel"):
            return f"event {parent} is a {r['kind']}, which cannot be undone this way"
        return None

    def _decide(
        self, ids: dict[str, Any], msg: Mapping[str, Any], item_id: str, task: str, kind: str,
        fields: dict[str, Any],
    ) -> Reply:  # fmt: skip
        """A review decision through the one door (:func:`workbench.decisions.decide`):
        acknowledged, refused (stale, invalid, not allowed) or an error to resend."""
        try:
            appended = decide(
                self.store, self.project.schema, item_id=item_id, task=task, kind=kind,
                value=msg.get("value"), parent=msg.get("parent"), **fields,
            )  # fmt: skip
        except (SchemaError, StaleLabelError, UnknownItemError, PermissionDenied) as exc:
            return _refused(ids, str(exc))
        except WorkbenchError as exc:  # the store could not write now: not final
            logger.warning(
                "workbench widget: could not store decision %s:%s: %s",
                ids["client_id"], ids["seq"], exc,
            )  # fmt: skip
            return {"type": "error", **ids, "error": str(exc)}, []
        return self._ack(ids, appended.id, duplicate=appended.duplicate)


#: Unread feedback rows sent with a reply at most.
MAX_FEEDBACK = 50
_ROLE_TIER = {"annotator": "annotate", "reviewer": "review", "qa": "qa"}


def visible_progress(project: Project, task: str) -> tuple[int, int]:
    """``(done, total)`` of ``task`` as the project's user may see it: items with a
    state, of all items; for an annotator in team mode, who may not read the queue,
    the annotation pool's complete items, gold left out (:meth:`Team.progress`)."""
    return _progress(project.store, *_team_worker(project), task)


def _progress(store: Any, team: Any, role: str | None, task: str) -> tuple[int, int]:
    if team is not None and role == "annotator":
        return team.progress(task)
    return store.progress(task)


def _team_worker(project: Project) -> tuple[Any, str | None]:
    """``(team, role)`` when the project is a team project opened by an annotator,
    reviewer or QA; ``(None, None)`` otherwise (the lead and admins see all)."""
    if project.store.login_user() is None:
        return None, None
    team = project.team
    role = team.role
    if role not in _ROLE_TIER:
        return None, None
    return team, role


def _feedback_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    created = row.get("created_at")
    return {
        "id": int(row["id"]),
        "item_id": str(row["item_id"]),
        "kind": str(row["kind"]),
        "reviewer": str(row["reviewer"]),
        "tier": str(row["tier"]),
        "note": str(row["note"] or ""),
        "value": _plain(row.get("value")),
        "previous": _plain(row.get("previous")),
        "created_at": None if created is None else float(created.timestamp()),
    }


#: Current states that count as reviewed in a review's progress.
REVIEWED_KINDS = ("review-accept", "review-correct", "ambiguous")
#: An annotator's own decisions shown on a review card.
ANNOTATOR_KINDS = DECISION_KINDS
#: Cards sent for one ``cards`` request at most.
MAX_CARDS = 200


@dataclass(frozen=True)
class ReviewIssue:
    """One row of a review list: an item and what the audit knew of it."""

    item_id: str
    quality: float | None = None
    suggested: Any = None
    label: Any = None
    annotators: dict[str, Any] | None = None


class AnnotateStream(LabelStream):
    """The label stream of the drawing widget: a :class:`LabelStream` over a
    :class:`~workbench.Shapes` task whose labels are whole shape lists, plus the
    ``full`` message for the full-size image when the view zooms in.

    With ``issues`` (a DataFrame from
    :func:`workbench.kinds.shapes.audit.shape_issues`, or item ids) it serves exactly
    those items, labeled or not, in their order: a review of suspect labels.
    An item counts as reviewed once its current state is an event newer than
    the one it had when the list was given (a correction, or Enter to confirm
    it); progress counts those, and a reloaded view starts at the first item
    not reviewed. Each item then carries ``issue: {position, total, quality,
    label, suggested, suspects}`` from the list's columns, where it has them.
    """

    def __init__(self, project: Project, task: str | None = None, *, issues: Any = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(project, task, **kwargs)
        self._issues: list[str] | None = None
        self._issue_info: dict[str, dict[str, Any]] = {}
        self._base: dict[str, int] = {}
        self._served: dict[str, set[str]] = {}
        self._client: str | None = None
        # Items sent to a view (newest last): suggestions stored later reach them (prelabel_update).
        self._sent: dict[str, None] = {}
        if issues is not None:
            self.set_issues(issues)

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], list[Reply]]]:
        return {**super().handlers(), "full": self.full}

    def label(self, msg: Mapping[str, Any]) -> list[Reply]:
        """:meth:`LabelStream.label`, except that a snapshot older than the one that
        decides the item is acknowledged without being stored.

        Each label here is the item's whole shape list, so a resend that arrives
        after a later snapshot from the same view (resends after a kernel restart
        can come out of order) must not become the item's state again. It is
        acknowledged with ``superseded: true`` and ``event_id`` of the newer one.
        """
        client_id, seq, item_id = msg.get("client_id"), msg.get("seq"), msg.get("item_id")
        task = msg.get("task") or self.task
        if (
            msg.get("kind") == "label"
            and isinstance(client_id, str)
            and isinstance(item_id, str)
            and isinstance(task, str)
            and isinstance(seq, numbers.Integral)
            and not isinstance(seq, bool)
            and self.store.find_event(client_id, int(seq), self.annotator) is None
        ):
            event = self.deciding_event(task, item_id)
            if (
                event is not None
                and event.client_id == client_id
                and event.seq is not None
                and event.seq > int(seq)
            ):
                ids = {"client_id": client_id, "seq": int(seq)}
                reply, buffers = self._ack(ids, event.id, duplicate=False)
                return [({**reply, "superseded": True}, buffers)]
        return super().label(msg)

    def set_issues(self, issues: Any) -> None:
        """Review these items (see the class docstring); replaces any earlier list."""
        rows = _issue_rows(issues)
        ids = [r["item_id"] for r in rows]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"issues: item {dup!r} is listed twice")
        missing = self.store.missing_items(ids)
        if missing:
            raise UnknownItemError(
                f"issues names item {missing[0]!r}, which is not in this project"
                + (f" ({len(missing) - 1} more missing)" if len(missing) > 1 else "")
            )
        total = len(ids)
        self._issue_info = {
            r["item_id"]: {"position": pos, "total": total,
                           **{k: _plain(v) for k, v in r.items()
                              if k in _ISSUE_FIELDS and not _missing_cell(v)}}
            for pos, r in enumerate(rows)
        }  # fmt: skip
        self._base = self.store.state_event_ids(self.task, ids)
        self._issues = ids
        self._served = {}
        self._progress = None

    def need(self, msg: Mapping[str, Any]) -> list[Reply]:
        self._client = str(msg.get("client_id") or "")
        return super().need(msg)

    def next_ids(self, n: int, exclude: set[str]) -> list[str]:
        if self._issues is None:
            return super().next_ids(n, exclude)
        served = self._served.setdefault(self._client or "", set())
        out: list[str] = []
        window = 64
        todo = [i for i in self._issues if i not in served and i not in exclude]
        for start in range(0, len(todo), window):
            chunk = todo[start : start + window]
            reviewed = self._reviewed(chunk)
            for iid in chunk:
                if iid not in reviewed:
                    out.append(iid)
                    if len(out) >= n:
                        break
            if len(out) >= n:
                break
        served.update(out)
        return out

    def payloads(self, ids: Sequence[str], **kwargs: Any) -> tuple[list[dict], list]:
        items, buffers = super().payloads(ids, **kwargs)
        for it in items:
            info = self._issue_info.get(it["item_id"])
            if info is not None:
                it["issue"] = dict(info)
            if not kwargs.get("thumbnail"):
                self._sent.pop(it["item_id"], None)
                self._sent[it["item_id"]] = None
        while len(self._sent) > MAX_SENT_REMEMBERED:
            del self._sent[next(iter(self._sent))]
        return items, buffers

    def prelabel_update(self, events: Iterable[Event]) -> Reply | None:
        """The ``prelabels`` message for suggestions stored after the view got their items.

        ``events`` are those a store append wrote (``Store.add_listener``); the
        reply carries, for the items of this task already sent to a view, their
        latest suggestion as :meth:`payloads` gives it: ``{type: "prelabels",
        task, items: [{item_id, prelabel: {value, score}}]}``. None when no
        item sent is concerned. Items not sent yet get theirs with the item.
        """
        ids = list(dict.fromkeys(
            ev.item_id for ev in events
            if ev.kind == "prelabel" and ev.task == self.task and ev.item_id in self._sent
        ))  # fmt: skip
        if not ids:
            return None
        if self.team is not None and self.team_role == "annotator":
            latest = self.team.my_prelabels(self.task, ids)
        else:
            latest = self.store.prelabels(self.task, ids)
        items = [
            {"item_id": iid, "prelabel": {"value": latest[iid][0], "score": latest[iid][1]}}
            for iid in ids
            if iid in latest
        ]
        if not items:
            return None
        return {"type": "prelabels", "task": self.task, "items": items}, []

    def count(self) -> tuple[int, int]:
        if self._issues is None:
            return super().count()
        return len(self._reviewed(self._issues)), len(self._issues)

    def _reviewed(self, ids: Sequence[str]) -> set[str]:
        """Those of ``ids`` whose state changed since the list was given."""
        now = self.store.state_event_ids(self.task, ids)
        return {i for i, eid in now.items() if eid != self._base.get(i)}

    def full(self, msg: Mapping[str, Any]) -> list[Reply]:
        """The item's image at full size (longest side at most ``MAX_FULL_SIZE``)."""
        item_id = msg.get("item_id")
        base = {**_echo(msg), "type": "full", "item_id": item_id}
        if not isinstance(item_id, str):
            return [({**base, "error": f"item_id must be a string, got {item_id!r}"}, [])]
        if self.store.missing_items([item_id]):
            return [({**base, "error": f"no item {item_id!r} in this project"}, [])]
        (record,) = self.store.get_items([item_id])
        try:
            shown = self.project.reader.render(record, max_size=MAX_FULL_SIZE)
        except Exception as exc:  # a file gone since the item was shown: say so, keep going
            logger.warning("workbench widget: cannot read item %s at full size: %s", item_id, exc)
            return [({**base, "error": str(exc)}, [])]
        if shown.get("kind") != "image":
            return [({**base, "error": f"item {item_id!r} is not an image"}, [])]
        reply = {
            **base, "width": int(shown["width"]), "height": int(shown["height"]),
            "mime": shown.get("mime", "image/png"), "buffer": 0,
        }  # fmt: skip
        return [(reply, [shown["data"]])]


class AudioStream(AnnotateStream):
    """The label stream of the audio widget: :class:`AnnotateStream` over an
    :class:`~workbench.AudioRegions` task, plus two requests for the shown clip.

    ``{type: "peaks", client_id, req, item_id, start, end, bins}``
        The waveform of ``start``–``end`` seconds in ``bins`` bins, when the view
        zooms in past the overview the item came with. Reply ``{type: "peaks",
        ..., start, end, bins, buffer: 0}``: float32 ``(min, max)`` pairs
        (:meth:`workbench.media.Audio.peaks`), ``start``/``end`` as covered.
    ``{type: "audio", client_id, req, item_id, start, end}``
        The samples of at most :data:`MAX_AUDIO_WINDOW_S` seconds from ``start``,
        as a 16-bit WAV file to play. Reply ``{type: "audio", ..., start, end,
        sample_rate, buffer: 0}``.
    ``{type: "spectrogram", client_id, req, item_id, start, end, columns, rows}``
        The window's spectrogram (:meth:`workbench.media.Audio.spectrogram`).
        Reply ``{type: "spectrogram", ..., start, end, columns, rows, max_hz,
        buffer: 0}``: ``rows × columns`` uint8 (row 0 the lowest band).

    Either replies ``{..., error}`` for an unknown item, an item that is not
    audio, a window outside the clip or a file that cannot be read.
    """

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], list[Reply]]]:
        return {**super().handlers(), "peaks": self.peaks, "audio": self.audio,
                "spectrogram": self.spectrogram}  # fmt: skip

    def _clip(self, msg: Mapping[str, Any]) -> tuple[Any, float, float]:
        """The item's Audio and the window asked for, or a ValueError saying what is wrong."""
        item_id = msg.get("item_id")
        if not isinstance(item_id, str):
            raise ValueError(f"item_id must be a string, got {item_id!r}")
        if self.store.missing_items([item_id]):
            raise ValueError(f"no item {item_id!r} in this project")
        (record,) = self.store.get_items([item_id])
        if record.kind != "audio":
            raise ValueError(f"item {item_id!r} is not audio")
        times = []
        for name in ("start", "end"):
            v = msg.get(name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise ValueError(f"{name} must be a number of seconds, got {v!r}")
            times.append(float(v))
        return self.project.reader.audio(record), times[0], times[1]

    # Each request answers with an error reply, never an exception: a bad request,
    # or a file gone or corrupt since the clip was shown, and the view goes on.
    def peaks(self, msg: Mapping[str, Any]) -> list[Reply]:
        base = _request_base(msg, "peaks")
        try:
            audio, start, end = self._clip(msg)
            bins = _int(msg.get("bins", 1000), "bins", 1, 65_536)
            p = audio.peaks(max(0.0, start), min(end, audio.duration), bins)
        except Exception as exc:
            return [({**base, "error": str(exc)}, [])]
        pairs = np.stack([p["min"], p["max"]], axis=1).astype("<f4")
        reply = {**base, "start": p["start"], "end": p["end"], "bins": int(p["bins"]), "buffer": 0}
        return [(reply, [pairs.tobytes()])]

    def audio(self, msg: Mapping[str, Any]) -> list[Reply]:
        base = _request_base(msg, "audio")
        try:
            audio, start, end = self._clip(msg)
            start = min(max(0.0, start), audio.duration)
            end = min(max(start, end), audio.duration, start + MAX_AUDIO_WINDOW_S)
            data = audio.wav(start, end)
        except Exception as exc:
            return [({**base, "error": str(exc)}, [])]
        reply = {**base, "start": start, "end": end, "sample_rate": audio.sample_rate,
                 "buffer": 0}  # fmt: skip
        return [(reply, [data])]

    def spectrogram(self, msg: Mapping[str, Any]) -> list[Reply]:
        base = _request_base(msg, "spectrogram")
        try:
            audio, start, end = self._clip(msg)
            columns = _int(msg.get("columns", 512), "columns", 1, 8192)
            rows = _int(msg.get("rows", 128), "rows", 1, 512)
            sp = audio.spectrogram(max(0.0, start), min(end, audio.duration), columns, rows)
        except Exception as exc:
            return [({**base, "error": str(exc)}, [])]
        reply = {**base, "start": sp["start"], "end": sp["end"], "columns": columns, "rows": rows,
                 "max_hz": sp["max_hz"], "buffer": 0}  # fmt: skip
        return [(reply, [sp["data"].tobytes()])]


def _request_base(msg: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """What every reply to a media request carries: the request's ids, its type and item."""
    return {**_echo(msg), "type": kind, "item_id": msg.get("item_id")}


class VideoStream(AnnotateStream):
    """The label stream of the video widget: :class:`AnnotateStream` over a
    :class:`~workbench.VideoTracks` task (an item comes with its first frame and
    ``frames``, ``fps``), plus frames on request.

    ``{type: "frames", client_id, req, item_id, start, count}``
        Frames ``start`` to ``start + count - 1`` (at most :data:`MAX_FRAMES_ASKED`,
        clipped to the video) at the widget's ``max_size``. Reply ``{type: "frames",
        ..., start, count, mime: [...], width, height, buffers: [0, 1, ...]}``, one
        buffer per frame in order. An error reply for an unknown item, an item that
        is not a video, or a frame that cannot be decoded.
    """

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], list[Reply]]]:
        return {**super().handlers(), "frames": self.frames}

    def frames(self, msg: Mapping[str, Any]) -> list[Reply]:
        item_id = msg.get("item_id")
        base = _request_base(msg, "frames")
        try:
            if not isinstance(item_id, str):
                raise ValueError(f"item_id must be a string, got {item_id!r}")
            if self.store.missing_items([item_id]):
                raise ValueError(f"no item {item_id!r} in this project")
            (record,) = self.store.get_items([item_id])
            if record.kind != "video":
                raise ValueError(f"item {item_id!r} is not a video")
            reader = self.project.reader
            total = reader.video(record).frame_count
            start = _int(msg.get("start"), "start", 0, max(0, total - 1))
            count = min(_int(msg.get("count", 1), "count", 1, MAX_FRAMES_ASKED), total - start)
            shown = [reader.video_frame(record, k, max_size=self.max_size)
                     for k in range(start, start + count)]  # fmt: skip
        except Exception as exc:  # a file gone or corrupt: say so, keep the view going
            return [({**base, "error": str(exc)}, [])]
        first = shown[0]
        reply = {
            **base, "start": start, "count": count, "mime": [f["mime"] for f in shown],
            **{k: first[k] for k in ("width", "height", "full_width", "full_height")},
        }  # fmt: skip
        return [(reply, [f["data"] for f in shown])]


class ReviewStream(LabelStream):
    """The label stream of a review: a fixed, ranked list of items to decide on.

    Parameters
    ----------
    project : Project
        Where items are read and decisions stored.
    task : str, optional
        The task reviewed; the schema's first task by default.
    issues : DataFrame or sequence of str
        See :func:`read_issues`: the items in the order to review them.
    annotator : str, optional
        Recorded on every decision; the project's annotator by default.
    max_size : int
        Longest side, in pixels, of images sent.

    Decisions come as ``label`` messages of the review kinds (see the module
    docstring); items come as ``cards`` by position in the list; progress
    counts the items of the list whose current state is a review decision.
    """

    def __init__(
        self,
        project: Project,
        task: str | None = None,
        issues: Any = (),
        *,
        annotator: str | None = None,
        max_size: int = 512,
    ) -> None:
        super().__init__(project, task, annotator=annotator, max_size=max_size)
        self.issues = read_issues(issues, project, self.task)
        self.item_ids = [i.item_id for i in self.issues]

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], list[Reply]]]:
        return {**super().handlers(), "cards": self.cards}

    def count(self) -> tuple[int, int]:
        states = self.store.current_values(self.task, self.item_ids) if self.item_ids else {}
        done = sum(1 for kind, _ in states.values() if kind in REVIEWED_KINDS)
        return done, len(self.item_ids)

    def cards(self, msg: Mapping[str, Any]) -> list[Reply]:
        start = _int(msg.get("start", 0), "start", 0, 10**9)
        n = _int(msg.get("n", 1), "n", 0, MAX_CARDS)
        chosen = self.issues[start : start + n]
        items, buffers = self.payloads([i.item_id for i in chosen])
        for pos, (issue, item) in enumerate(zip(chosen, items, strict=True), start):
            item["review"] = self.review_of(issue, item, pos)
        reply = {
            **_echo(msg),
            "type": "cards",
            "start": start,
            "total": len(self.issues),
            "items": items,
            "progress": self.progress(force=True),
        }
        return [(reply, buffers)]

    def review_of(self, issue: ReviewIssue, item: Mapping[str, Any], position: int) -> dict:
        """The ``review`` part of a card (see the module docstring)."""
        state = state_event(self.store, self.task, issue.item_id)
        people = annotator_decisions(self.store, self.task, issue.item_id)
        for name, value in (issue.annotators or {}).items():
            if all(p["annotator"] != name for p in people):  # the store's word wins
                people.append({"annotator": name, "kind": "label", "value": value})
        given = issue.label
        given_event = given_kind = given_by = reviewed = None
        if state is not None:
            given_event, given_kind, given_by = state["id"], state["kind"], state["annotator"]
            if state["kind"] in LABEL_KINDS:
                given = state["value"]
            if state["kind"] in REVIEWED_KINDS and (
                state["kind"] != "ambiguous" or state["tier"] != "annotate"
            ):
                reviewed = {
                    "kind": state["kind"], "value": state["value"],
                    "annotator": state["annotator"], "event_id": state["id"],
                }  # fmt: skip
        pre = item.get("prelabel")
        suggested = issue.suggested
        if suggested is None and pre is not None:
            suggested = pre["value"]
        score = pre["score"] if pre is not None and pre["value"] == suggested else None
        return {
            "position": position,
            "quality": issue.quality,
            "suggested": suggested,
            "suggested_score": score,
            "given": given,
            "given_event": given_event,
            "given_kind": given_kind,
            "given_by": given_by,
            "audit_label": issue.label,
            "annotators": people,
            "reviewed": reviewed,
        }


def read_issues(issues: Any, project: Project, task: str) -> list[ReviewIssue]:
    """The review list from a DataFrame or a sequence of item ids.

    A DataFrame needs an ``item_id`` column (or index); the optional columns
    ``quality`` (a number; lower is more suspicious), ``suggested`` (the
    model's class), ``label`` (the label the audit saw) and ``annotators``
    (``{name: label}``) are read, others ignored. Missing values (None, NaN)
    mean "not known". Rows stay in their order.

    Raises :class:`UnknownItemError` naming an id not in the project,
    ``ValueError`` for a repeated id or a missing column, :class:`SchemaError`
    for a ``suggested`` or ``label`` that is not a class of ``task``, and
    ``TypeError`` for values of the wrong type.
    """
    rows = _issue_rows(issues)
    task_obj = project.schema.task(task)
    out: list[ReviewIssue] = []
    seen: set[str] = set()
    for row in rows:
        iid = row["item_id"]
        if iid in seen:
            raise ValueError(f"issues name item {iid!r} twice")
        seen.add(iid)
        quality = row.get("quality")
        if _missing(quality):
            quality = None
        elif isinstance(quality, bool) or not isinstance(quality, numbers.Real):
            raise TypeError(f"issues: quality of item {iid!r} must be a number, got {quality!r}")
        annotators = row.get("annotators")
        if _missing(annotators):
            annotators = None
        elif isinstance(annotators, Mapping):
            annotators = {str(k): _plain(v) for k, v in annotators.items()}
        else:
            raise TypeError(
                f"issues: annotators of item {iid!r} must be a dict {{name: label}}, "
                f"got {annotators!r}"
            )
        values = {}
        for col in ("suggested", "label"):
            v = row.get(col)
            if _missing(v):
                values[col] = None
                continue
            try:
                values[col] = task_obj.validate(_plain(v))
            except SchemaError as exc:
                raise type(exc)(f"issues: {col} of item {iid!r}: {exc}") from None
        out.append(
            ReviewIssue(
                iid,
                None if quality is None else float(quality),
                values["suggested"],
                values["label"],
                annotators,
            )
        )
    missing = project.store.missing_items([i.item_id for i in out])
    if missing:
        raise UnknownItemError(
            f"issues name item {missing[0]!r}, which is not in this project"
            + (f" ({len(missing) - 1} more missing)" if len(missing) > 1 else "")
        )
    return out


def state_event(store: Store, task: str, item_id: str) -> dict[str, Any] | None:
    """The event deciding an item's state for ``task`` (the store's ``item_state``):
    ``{id, kind, value, annotator, tier}``, or ``None`` for an item with no state."""
    rows = store.current(task, labels_only=False, item_ids=[item_id]).to_dict("records")
    if not rows:
        return None
    ev = rows[0]
    return {
        "id": int(ev["id"]), "kind": ev["kind"], "value": ev["value"],
        "annotator": ev["annotator"], "tier": ev["tier"],
    }  # fmt: skip


def annotator_decisions(store: Store, task: str, item_id: str) -> list[dict[str, Any]]:
    """Each annotator's latest own decision of an item (:meth:`Store.annotator_decisions
    <workbench.store.base.Store.annotator_decisions>`: a label, ``ambiguous`` or
    ``skip`` of the annotate tier, not retracted): ``[{annotator, kind, value}]`` in
    the order the annotators first decided it."""
    rows = store.annotator_decisions(task, [item_id])
    return [
        {"annotator": who, "kind": kind, "value": value}
        for who, kind, value in zip(rows["annotator"], rows["kind"], rows["value"], strict=True)
    ]


def _missing(v: Any) -> bool:
    """None, NaN, pd.NA or NaT: a cell with no value (never true for a list or array)."""
    import pandas as pd

    return v is None or (pd.api.types.is_scalar(v) and bool(pd.isna(v)))


def _plain(v: Any) -> Any:
    """A value from a DataFrame cell as plain JSON-able Python (numpy scalars, arrays)."""
    if hasattr(v, "tolist"):  # numpy arrays and scalars
        return v.tolist()
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


#: Columns of an issues table that the drawing widget shows with each item.
_ISSUE_FIELDS = ("quality", "label", "suggested", "suspects", "is_issue")


def _issue_rows(issues: Any) -> list[dict[str, Any]]:
    """Rows ``{item_id, ...}`` of an issues DataFrame (``item_id`` column or index) or of
    a sequence of item ids."""
    import pandas as pd

    if isinstance(issues, pd.DataFrame):
        df = issues
        if "item_id" not in df.columns:
            if df.index.name != "item_id":
                raise ValueError(
                    f"issues needs an item_id column or index; it has columns "
                    f"{list(map(str, df.columns))}"
                )
            df = df.reset_index()
        rows = df.to_dict("records")
    elif isinstance(issues, str | bytes | Mapping) or not isinstance(issues, Iterable):
        raise TypeError(
            "issues must be a DataFrame with an item_id column or a list of item ids, "
            f"got {type(issues).__name__}"
        )
    else:
        rows = [{"item_id": i} for i in issues]
    for pos, r in enumerate(rows):
        if _missing(r.get("item_id")):
            raise ValueError(f"issues: row {pos} has no item_id")
        r["item_id"] = str(r["item_id"])
    return rows


def _missing_cell(v: Any) -> bool:
    """:func:`_missing` for any cell: lists and arrays are never missing."""
    return not isinstance(v, list | tuple | dict) and not hasattr(v, "__len__") and _missing(v)


def _echo(msg: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a request that its reply carries back."""
    out: dict[str, Any] = {}
    for key in ("client_id", "req"):
        if key in msg:
            out[key] = msg[key]
    return out


def _refused(ids: dict[str, Any], error: str) -> Reply:
    return {"type": "refused", **ids, "error": error}, []


def _int(value: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer from {lo} to {hi}, got {value!r}")
    return int(value)
