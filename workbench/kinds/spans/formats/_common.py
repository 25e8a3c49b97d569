"""What every text-span format reads from and writes to a project.

- :func:`spans_task`: the :class:`~workbench.TextSpans` task a format works on;
- :func:`labeled_docs`: ``(item_id, text, value)`` of every labeled text item;
- :class:`Losses`: what an exporter could not write, counted and named in one
  warning (or one error with ``strict=True``);
- :class:`Incoming` and :func:`store_docs`: an importer's documents, matched to
  the project's items (by id, else by text, else by tokens), created as text
  items when the project lacks them, validated through the schema against
  their texts, and written in one transaction: all or nothing;
- :func:`read_bytes` / :func:`load_json`: a file's bytes or JSON, bounded.

Offsets are Python ``str`` indices throughout, as the task stores them.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ....errors import SchemaError, StoreError, WorkbenchError
from ....files import MAX_DATASET_BYTES, load_json, read_bytes
from ....items import _text_id, progress_bar
from ....schema import describe
from ....store.base import Event, _gc_paused
from ..schema import TextSpans, snap, tokenize

__all__ = [
    "SpanFormatError",
    "spans_task",
    "labeled_docs",
    "Losses",
    "Incoming",
    "store_docs",
    "read_bytes",
    "load_json",
    "doc_tokens",
    "iob_tags",
    "tag_names",
    "spans_from_tags",
    "MAX_DATASET_BYTES",
    "MAX_TEXT_CHARS",
    "describe",
]

#: Characters of one document's text: what one text item may hold.
MAX_TEXT_CHARS = 2**28


class SpanFormatError(WorkbenchError, ValueError):
    """A text-span file is malformed or does not fit the project; the message names
    the file, the document and the field. Each format has its own subclass."""


def spans_task(project: Any, task: str | None, fmt: str) -> TextSpans:
    """The task (the schema's first by default), which must be a TextSpans task."""
    t = project.schema.task(task)
    if not isinstance(t, TextSpans):
        raise SchemaError(f"{fmt} needs a text-spans task; task {t.name!r} is {t.kind!r}")
    return t


def labeled_docs(
    project: Any, task: TextSpans, desc: str = "export", progress: bool | None = None
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(item_id, text, value)`` of every item whose current label of ``task`` is a
    value (not a skip), in item order, one by one behind a progress bar ``desc``
    (``progress`` as :func:`~workbench.items.progress_bar` takes it)."""
    rows = _labeled_docs(project, task)
    with progress_bar(len(rows), desc, progress, unit="document") as bar:
        for row in rows:
            yield row
            bar.update(1)


def _labeled_docs(project: Any, task: TextSpans) -> list[tuple[str, str, dict[str, Any]]]:
    with _gc_paused():
        labels = project.labels(task.name)
        values = {
            str(i): v
            for i, v in zip(labels["item_id"], labels["label"], strict=True)
            if isinstance(v, Mapping)
        }
        order = [i for i in project.item_ids() if i in values]
        records = {r.item_id: r for r in project.store.get_items(order)} if order else {}
        out = []
        for i in order:
            text = project.reader.load(records[i])
            if not isinstance(text, str):
                raise SchemaError(f"item {i!r} holds spans of task {task.name!r} but is not a text")
            out.append((i, text, values[i]))
    return out


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Losses:
    """What an export could not write as it was: ``drop(what, why)`` counts a span
    or relation left out, ``change(what, how)`` one written otherwise, ``field(name,
    of)`` a field left out. :meth:`report` names them all in one warning."""

    def __init__(self) -> None:
        self.dropped: Counter[tuple[str, str]] = Counter()
        self.changed: Counter[tuple[str, str]] = Counter()
        self.fields: Counter[tuple[str, str]] = Counter()

    def drop(self, what: str, why: str, n: int = 1) -> None:
        if n:
            self.dropped[what, why] += n

    def change(self, what: str, how: str, n: int = 1) -> None:
        if n:
            self.changed[what, how] += n

    def field(self, name: str, of: str = "span", n: int = 1) -> None:
        if n:
            self.fields[name, of] += n

    def fields_of(self, task: TextSpans, value: Mapping[str, Any], keep: Iterable[str]) -> None:
        """Count the fields of ``value`` that carry something and are not in ``keep``:
        span attributes other than their defaults, scores, span and relation ids."""
        keep = set(keep)
        defaults = {a.name: a.default for a in task.attributes}
        for s in value["spans"]:
            if "attributes" not in keep and s.get("attributes", defaults) != defaults:
                self.field("attributes")
            if "score" not in keep and s.get("score") is not None:
                self.field("score")
        if "id" not in keep:  # ids the import gives back (e1, e2 ... in text order) are kept
            self.field(
                "id", "span", sum(s["id"] != f"e{k}" for k, s in enumerate(value["spans"], start=1))
            )
        if "relation score" not in keep:
            self.field(
                "score", "relation", sum(r.get("score") is not None for r in value["relations"])
            )

    def message(self, task: TextSpans, fmt: str) -> str | None:
        parts = []
        if self.dropped:
            parts.append(
                "dropped "
                + ", ".join(
                    f"{plural(n, what)} ({why})" for (what, why), n in sorted(self.dropped.items())
                )
            )
        if self.fields:
            parts.append(
                "dropped fields: "
                + ", ".join(
                    f"{name} of {plural(n, of)}" for (name, of), n in sorted(self.fields.items())
                )
            )
        if self.changed:
            parts.append(
                "changed: "
                + ", ".join(
                    f"{plural(n, what)} {how}" for (what, how), n in sorted(self.changed.items())
                )
            )
        if not parts:
            return None
        return f"task {task.name!r}: {fmt} cannot hold everything: " + "; ".join(parts)

    def report(
        self, task: TextSpans, fmt: str, strict: bool, error: Callable[[str], Exception]
    ) -> None:
        """Warn naming everything counted (UserWarning), or raise ``error`` if ``strict``."""
        message = self.message(task, fmt)
        if message is None:
            return
        if strict:
            raise error(message + " (strict=True: nothing was written)")
        warnings.warn(message, UserWarning, stacklevel=3)


# ---------------------------------------------------------------------------
# tokens and IOB2 tags


def doc_tokens(task: TextSpans, text: str) -> list[tuple[int, int]]:
    """The tokens token-based formats write: the task's tokenizer, ``"words"`` when
    the task has none."""
    return tokenize(text, task.tokens or "words")


def tag_names(task: TextSpans) -> list[str]:
    """IOB2 tag names in id order: ``O``, then ``B-`` and ``I-`` of each class in
    the schema's order (the ids Hugging Face's ``ClassLabel`` gives them)."""
    return ["O", *(f"{p}-{c}" for c in task.class_names for p in ("B", "I"))]


def iob_tags(
    task: TextSpans, text: str, value: Mapping[str, Any], losses: Losses
) -> tuple[list[tuple[int, int]], list[str]]:
    """``(tokens, tags)`` of one document: IOB2 tags over the task's tokens. A span
    off token boundaries is widened to the tokens it touches, one over a token
    already tagged (overlap) or touching no token is dropped, and relations,
    attributes, scores and span ids are counted in ``losses``."""
    tokens = doc_tokens(task, text)
    tags = ["O"] * len(tokens)
    starts = [s for s, _ in tokens]
    import bisect

    for s in value["spans"]:
        lo = bisect.bisect_right(starts, s["start"]) - 1
        if lo < 0 or tokens[lo][1] <= s["start"]:
            lo += 1  # the span starts in a space or before the first token
        hi = bisect.bisect_left(starts, s["end"])  # tokens lo..hi-1 touch the span
        if lo >= hi:
            losses.drop("span", "covers no whole token")
            continue
        if (tokens[lo][0], tokens[hi - 1][1]) != (s["start"], s["end"]):
            losses.change("span", "widened to the token boundaries it cuts")
        if any(t != "O" for t in tags[lo:hi]):
            losses.drop("span", "overlaps another: IOB2 tags one span a token")
            continue
        tags[lo] = f"B-{s['class']}"
        for k in range(lo + 1, hi):
            tags[k] = f"I-{s['class']}"
    losses.drop("relation", "no relations in IOB2", len(value["relations"]))
    losses.fields_of(task, value, keep=("relation score",))
    return tokens, tags


def spans_from_tags(
    tags: Sequence[str], classes: Sequence[str], error: Callable[[int, str], Exception]
) -> list[tuple[int, int, str]]:
    """``(token_start, token_end, class)`` (end exclusive) of IOB2 tags. An ``I-``
    that does not continue a span of its class begins one (IOB1 files, and IOB2
    files cut by hand, read as their writers meant). ``error(k, message)`` for tag
    ``k`` that is not ``O``, ``B-X`` or ``I-X``, or names no class of the task."""
    out: list[tuple[int, int, str]] = []
    cur: list[Any] | None = None
    for k, tag in enumerate(tags):
        if not isinstance(tag, str):
            raise error(k, f"a tag is a string, got {describe(tag)}")
        if tag == "O":
            cur = None
            continue
        head, dash, cls = tag.partition("-")
        if not dash or head not in ("B", "I") or not cls:
            raise error(k, f"not an IOB2 tag (O, B-X or I-X): {describe(tag)}")
        if cls not in classes:
            raise error(k, f"tag {tag!r}: no class {cls!r}; classes: {list(classes)}")
        if head == "I" and cur is not None and cur[2] == cls:
            cur[1] = k + 1
            continue
        cur = [k, k + 1, cls]
        out.append(cur)  # type: ignore[arg-type]
    return [(a, b, c) for a, b, c in out]


# ---------------------------------------------------------------------------
# import


@dataclass
class Incoming:
    """One document an importer read: ``where`` names it in errors (``file.jsonl:
    line 3``); ``item_id`` and ``text`` when the file gives them. Spans come either
    as ``value`` (character offsets: a TextSpans value, relations included) or as
    ``tokens`` with ``token_spans`` (``(token_start, token_end, class)``, end
    exclusive), placed in the text once it is known. ``cats``: values of other
    tasks of the schema (doc-level classes), by task name. A value given beside
    tokens adds its relations (and any spans by offsets) to the tokens' spans."""

    where: str
    item_id: str | None = None
    text: str | None = None
    value: dict[str, Any] | None = None
    tokens: list[str] | None = None
    token_spans: list[tuple[int, int, str]] = field(default_factory=list)
    cats: dict[str, Any] = field(default_factory=dict)


def place_tokens(
    text: str, tokens: Sequence[str], where: str, error: Callable[[str], Exception]
) -> list[tuple[int, int]]:
    """Each token's ``(start, end)`` in ``text``: the tokens in order, with nothing
    but whitespace between them; else ``error`` naming the first that is not."""
    out = []
    pos = 0
    for k, tok in enumerate(tokens):
        at = text.find(tok, pos) if tok else -1
        if at < 0 or (at > pos and not text[pos:at].isspace()):
            raise error(
                f"{where}: token {k} {describe(tok)} does not follow token {k - 1} in the "
                "item's text; the document's tokens are not the item's text"
            )
        out.append((at, at + len(tok)))
        pos = at + len(tok)
    return out


class _TextIndex:
    """The project's text items by text and by token sequence, built on first use."""

    def __init__(self, project: Any, task: TextSpans) -> None:
        self.project, self.task = project, task
        self.by_text: dict[str, list[str]] | None = None
        self.by_tokens: dict[tuple[str, ...], list[str]] | None = None
        self.texts: dict[str, str] = {}

    def _build(self) -> None:
        self.by_text, self.by_tokens = {}, {}
        ids = self.project.item_ids()
        for r in self.project.store.get_items(ids) if ids else []:
            if r.kind != "text":
                continue
            text = self.project.reader.load(r)
            self.texts[r.item_id] = text
            self.by_text.setdefault(text, []).append(r.item_id)
            toks = tuple(text[s:e] for s, e in doc_tokens(self.task, text))
            self.by_tokens.setdefault(toks, []).append(r.item_id)

    def find(self, key: Any, tokens: bool) -> list[str]:
        if self.by_text is None:
            self._build()
        table = self.by_tokens if tokens else self.by_text
        return list(table.get(key, ()))  # type: ignore[union-attr]


def store_docs(
    project: Any,
    task: TextSpans,
    docs: Sequence[Incoming],
    error: Callable[[str], Exception],
    *,
    annotator: str | None = None,
    progress: bool | None = None,
    desc: str = "import",
) -> int:
    """Match, validate and store the documents of one import; returns how many
    labels were written (one per document and task). A progress bar ``desc`` counts
    the documents checked (``progress`` as :func:`~workbench.items.progress_bar`).

    Each document's item: its ``item_id`` when the project has it (the file's text,
    when given, must be the item's text); else the one text item with the same
    text (or, for a document of tokens only, the same tokens); else a new text
    item, id ``item_id`` or the hash of the text :meth:`~workbench.Project.add_texts`
    gives. A document of tokens with no known text gets its tokens joined by
    single spaces. Every value is validated by the task and checked against its
    text before anything is written; the new items and then the labels are
    written once all passed, the labels in one transaction. A document with no
    item id that repeats an earlier one (the same text and spans) labels its item
    once, with a warning; the same item with other spans is refused.
    """
    with _gc_paused():  # reading, matching and appending make objects in no cycle
        with progress_bar(len(docs), desc, progress, unit="document") as bar:
            return _store_docs(project, task, docs, error, annotator=annotator, bar=bar)


def _store_docs(
    project: Any,
    task: TextSpans,
    docs: Sequence[Incoming],
    error: Callable[[str], Exception],
    *,
    annotator: str | None,
    bar: Any,
) -> int:
    ids = set(project.item_ids())
    index = _TextIndex(project, task)
    events: list[Event] = []
    new: dict[str, str] = {}
    seen: dict[str, str] = {}
    seen_values: dict[str, Any] = {}
    repeats = 0
    version = project.schema.version
    who = annotator or project.annotator
    other_tasks = {t.name: t for t in project.schema.tasks}
    known_texts: dict[str, str] = {}
    wanted = [d.item_id for d in docs if d.item_id is not None and d.item_id in ids]
    if wanted:
        for r in project.store.get_items(sorted(set(wanted))):
            text = project.reader.load(r)
            if not isinstance(text, str):
                raise error(f"item {r.item_id!r} is not a text: a text-spans import labels texts")
            known_texts[r.item_id] = text
    for doc in docs:
        bar.update(1)
        where = doc.where
        item_id = doc.item_id
        text = doc.text
        if text is not None and not isinstance(text, str):
            raise error(f"{where}: text must be a string, got {describe(text)}")
        if text is not None and len(text) > MAX_TEXT_CHARS:
            raise error(f"{where}: a text of {len(text)} characters, more than {MAX_TEXT_CHARS}")
        if item_id is not None and item_id in known_texts:
            if text is not None and text != known_texts[item_id]:
                raise error(
                    f"{where}: its text is not the text of item {item_id!r} "
                    f"({describe(text[:40])} vs {describe(known_texts[item_id][:40])})"
                )
            text = known_texts[item_id]
        elif item_id is not None and item_id in new:
            if text is not None and text != new[item_id]:
                raise error(f"{where}: item {item_id!r} comes twice with different texts")
            text = new[item_id]
        elif item_id is None:
            if text is not None:
                found = index.find(text, tokens=False)
            elif doc.tokens is not None:
                found = index.find(tuple(doc.tokens), tokens=True)
            else:
                raise error(f"{where}: no text, no tokens and no item id")
            if len(found) > 1:
                raise error(f"{where}: matches {len(found)} items ({found[:3]}); give the item id")
            if found:
                item_id = found[0]
                text = index.texts[item_id]
        if text is None:
            if doc.tokens is None:
                raise error(
                    f"{where}: item {item_id!r} is not in the project and the "
                    "document has no text to create it with"
                )
            text = " ".join(doc.tokens)
        if item_id is None:
            item_id = _text_id(text)
        if not item_id:
            raise error(f"{where}: an item id is a non-empty string, got ''")
        if item_id not in ids and item_id not in new:
            new[item_id] = text
        value = _value_of(doc, text, where, error)
        try:
            valid = task.validate(value)
            task.check_text(valid, text)
        except SchemaError as exc:
            raise error(f"{where}: {exc}") from None
        if item_id in seen:
            # Data sets repeat short documents ("Germany 3 1 0"): the same text with
            # the same spans is one item labeled once; different spans are refused.
            if doc.item_id is None and seen_values[item_id] == valid and not doc.cats:
                repeats += 1
                continue
            raise error(f"{where}: item {item_id!r} is also {seen[item_id]}")
        seen[item_id] = where
        seen_values[item_id] = valid
        events.append(_event(item_id, task.name, valid, who, version, where, error))
        for name, cat in doc.cats.items():
            if name not in other_tasks or name == task.name:
                raise error(f"{where}: the schema has no task {name!r} for its classes")
            try:
                cv = project.schema.validate(name, cat)
            except SchemaError as exc:
                raise error(f"{where}: {exc}") from None
            events.append(_event(item_id, name, cv, who, version, where, error))
    if new:
        project.add_texts(list(new.values()), ids=list(new))
    project.store.append(events)  # one transaction: all or nothing
    if repeats:
        warnings.warn(
            f"{repeats} document(s) repeat an earlier one (the same text and "
            "spans): each item is labeled once",
            UserWarning,
            stacklevel=4,
        )
    return len(events)


def _event(
    item_id: str,
    task: str,
    value: Any,
    who: str,
    version: int,
    where: str,
    error: Callable[[str], Exception],
) -> Event:
    """A label event; what the store would refuse (a label over its size limit) is
    the import's error, naming the document, before anything is written."""
    try:
        return Event(item_id=item_id, task=task, value=value, annotator=who,
                     schema_version=version)  # fmt: skip
    except StoreError as exc:
        raise error(f"{where}: {exc}") from None


def _value_of(
    doc: Incoming, text: str, where: str, error: Callable[[str], Exception]
) -> dict[str, Any]:
    if doc.tokens is None:
        return doc.value if doc.value is not None else {"spans": [], "relations": []}
    if doc.text is None and text == " ".join(doc.tokens):
        places, pos = [], 0
        for tok in doc.tokens:
            places.append((pos, pos + len(tok)))
            pos += len(tok) + 1
    else:
        places = place_tokens(text, doc.tokens, where, error)
    spans = []
    for a, b, cls in doc.token_spans:
        if not 0 <= a < b <= len(places):
            raise error(f"{where}: tokens {a} to {b} of a document of {len(places)} tokens")
        spans.append({"start": places[a][0], "end": places[b - 1][1], "class": cls})
    base = dict(doc.value or {})
    base.setdefault("relations", [])
    return {**base, "spans": spans + list(base.get("spans", []))}


def check_snap(tokens: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``(start, end)`` lies on token boundaries."""
    return snap(tokens, start, end) == (start, end)
