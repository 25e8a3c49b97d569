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
    A view started. Reply ``{type: "hello", client_id, project_id, task, progress}``.

``{type: "need", client_id, req, n, exclude: [item_id, ...]}``
    Up to ``n`` more items for the queue, in priority order
    (``store.next_unlabeled``), never one in ``exclude`` (items already in the
    browser queue, shown, or labeled but not acknowledged). Ids given as
    ``order=`` to the widget come first. Reply ``{type: "items", client_id, req,
    n, items: [Item, ...], progress}``; an empty list means nothing is left.

``{type: "item", client_id, req, item_id}``
    One item, for going back to an item or the no-prefetch baseline. Reply
    ``{type: "item", client_id, req, item_id, item: Item}`` or ``{..., error}``.

``{type: "label", client_id, seq, item_id, task, kind, value, retracts?, duration_ms}``
    ``kind`` is ``"label"`` (``value`` a class name, or a list of names for a
    multi-label task), ``"skip"`` (``value`` ignored) or ``"retract"``
    (``retracts: {client_id, seq}`` names the label it withdraws). ``(client_id,
    seq)`` identifies the label for good: a resend of a stored label is
    acknowledged again and stored once. Replies:

    - ``{type: "ack", client_id, seq, event_id, duplicate, progress}``: stored
      durably (or already stored); the front end drops it from its outbox.
    - ``{type: "refused", client_id, seq, error}``: final; the label can never
      be stored (unknown item, class not in the schema, malformed message). The
      front end shows ``error`` and drops the entry.
    - ``{type: "deferred", client_id, seq, error}``: a retraction whose target
      is not stored yet (it may still be in flight): not final, resend later.
    - ``{type: "error", client_id, seq, error}``: the kernel failed to store it
      this time (database locked, disk full): not final, resend later.

``{type: "page", client_id, req, page, page_size, filter}`` (gallery)
    ``filter`` is ``"all"``, ``"unlabeled"`` or a class name. Reply ``{type:
    "page", client_id, req, page, page_size, filter, total, items: [Item, ...],
    progress}`` with thumbnails; ``page`` is clamped to the last page.

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

Item
    ``{item_id, kind: "image" | "text" | "error", buffer: int | null, mime?,
    width?, height?, text?, error?, state?, label?, prelabel?: {value, score}}``
    where ``state`` is the kind of the event deciding the item's current state
    (``"label"``, ``"skip"`` ...), ``label`` its value when that is a label, and
    ``prelabel`` the latest model pre-label with its score. An item whose bytes
    cannot be read comes as ``kind: "error"`` with the reason, so it can still
    be skipped.
"""

from __future__ import annotations

import logging
import numbers
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import SchemaError, StoreError, UnknownItemError, WorkbenchError
from .store.base import LABEL_KINDS

if TYPE_CHECKING:
    from .project import Project

__all__ = ["LabelStream", "Reply", "LABEL_MESSAGE_KINDS", "GALLERY_FILTERS"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: A message to send back: its content and its binary buffers.
Reply = tuple[dict[str, Any], list[bytes]]

LABEL_MESSAGE_KINDS = ("label", "skip", "retract")
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
        handler = {
            "hello": self.hello,
            "need": self.need,
            "item": self.item,
            "label": self.label,
            "page": self.page,
            "examples": self.examples,
        }.get(kind)  # type: ignore[arg-type]
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

    # -- handlers ---------------------------------------------------------------
    def hello(self, msg: Mapping[str, Any]) -> list[Reply]:
        reply = {
            **_echo(msg),
            "type": "hello",
            "project_id": self.store.project_id,
            "task": self.task,
            "progress": self.progress(force=True),
        }
        return [(reply, [])]

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
        stored = self.store.find_event(client_id, seq)
        if stored is not None:
            return [self._ack(ids, stored, duplicate=True)]

        kind = msg.get("kind")
        if kind not in LABEL_MESSAGE_KINDS:
            return [_refused(ids, f"kind must be one of {list(LABEL_MESSAGE_KINDS)}, got {kind!r}")]
        item_id = msg.get("item_id")
        if not isinstance(item_id, str) or not item_id:
            return [_refused(ids, f"item_id must be a non-empty string, got {item_id!r}")]
        task = msg.get("task") or self.task
        if not isinstance(task, str):
            return [_refused(ids, f"task must be a string, got {task!r}")]
        duration = msg.get("duration_ms")
        if isinstance(duration, bool) or not isinstance(duration, numbers.Real | type(None)):
            duration = None
        duration_ms = None if duration is None else max(0, int(duration))

        fields: dict[str, Any] = {
            "client_id": client_id, "seq": seq, "duration_ms": duration_ms,
            "annotator": self.annotator,
        }  # fmt: skip
        if self.store.missing_items([item_id]):
            return [_refused(ids, f"no item {item_id!r} in this project")]
        if kind == "retract":
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
            parent = self.store.find_event(t_client, int(t_seq))
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
        else:
            value = msg.get("value")
        try:
            event = self.project.make_event(item_id, value, task=task, kind=kind, **fields)
        except (SchemaError, StoreError) as exc:  # unknown class or task, malformed value
            return [_refused(ids, str(exc))]
        try:
            (appended,) = self.store.append([event])
        except UnknownItemError as exc:
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
        states = self.store.current_values(self.task, ids)
        prelabels = self.store.prelabels(self.task, ids)
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
                if kind == "image":
                    out.update(
                        kind="image",
                        mime=shown.get("mime", "image/png"),
                        width=int(shown.get("width") or 0),
                        height=int(shown.get("height") or 0),
                        buffer=len(buffers),
                    )
                    buffers.append(shown["data"])
                elif kind == "text":
                    out.update(kind="text", text=str(shown.get("text", "")))
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
            done, total = self.store.progress(self.task)
            self._progress = {"done": int(done), "total": int(total)}
            self._progress_at = time.monotonic()
            self._progress_cost = self._progress_at - now
        return dict(self._progress)

    def _ack(self, ids: dict[str, Any], event_id: int, *, duplicate: bool) -> Reply:
        reply = {
            "type": "ack", **ids, "event_id": int(event_id), "duplicate": bool(duplicate),
            "progress": self.progress(),
        }  # fmt: skip
        return reply, []

    def _check_retract_target(self, item_id: str, task: str, parent: int) -> str | None:
        events = self.store.events(item_id=item_id)
        row = events[events["id"] == parent]
        if row.empty:
            return f"the label to undo (event {parent}) is not a label of item {item_id!r}"
        r = row.iloc[0]
        if r["task"] != task:
            return f"the label to undo (event {parent}) belongs to task {r['task']!r}, not {task!r}"
        if r["kind"] in ("retract", "prelabel"):
            return f"event {parent} is a {r['kind']}, which cannot be undone this way"
        return None


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
