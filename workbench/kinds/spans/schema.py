"""The text-span task kind: named entity spans in a text item, with attributes,
and typed, directed relations between them.

A :class:`TextSpans` task holds the span classes, the relation types, per-span
attributes, whether spans of one item may overlap, and an optional tokenizer
that spans snap to. Its value (one per item, as for every task) is a dict:

``spans``      a list of spans, each ``{"id", "start", "end", "class",
               "attributes", "score"?}``: ``start`` and ``end`` are offsets in
               the item's text as Python ``str`` indices (code points, whatever
               a browser's UTF-16 says), ``start < end``; ``id`` unique within
               the item (``"e1"``, ``"e2"`` … given when missing)
``relations``  a list of relations, each ``{"id", "from", "to", "class",
               "score"?}``: ``from`` and ``to`` are span ids of the item,
               ``class`` a relation type of the task (``"r1"`` … ids given)
=============  ==================================================================

A plain list of spans is taken as ``{"spans": [...], "relations": []}``. The
stored value is canonical, so two labels that say the same compare equal and a
round trip through a format is exact: spans sorted by ``(start, end, class,
id)``, relations by ``(from, to, class, id)``, attributes filled with their
defaults, numbers as plain ints and floats.

:meth:`TextSpans.validate` checks the structure (it does not know the text);
:meth:`TextSpans.check_text` checks a value against its item's text (offsets
inside it, on token boundaries when the task has a tokenizer).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ...errors import SchemaError, UnknownClassError
from ...schema import (
    Attribute,
    LabelClass,
    Task,
    check_attributes,
    describe,
    filled_classes,
    give_ids,
    register_task_kind,
    value_id,
    value_list,
    value_score,
)  # fmt: skip

__all__ = ["TextSpans", "Relation", "TOKENIZERS", "MAX_OFFSET", "tokenize", "snap"]

#: Largest offset a span may have: an int32, far beyond any text one labels
#: (a 1,000,000-character document is 10**6).
MAX_OFFSET = 2**31 - 1
#: The tokenizers a task may name: ``"whitespace"`` (runs of non-space
#: characters) and ``"words"`` (runs of word characters, and each other
#: non-space character on its own, so "Paris," is "Paris" and ",").
TOKENIZERS = ("whitespace", "words")
_TOKEN_RE = {"whitespace": re.compile(r"\S+"), "words": re.compile(r"\w+|[^\w\s]")}
_SPAN_KEYS = ("id", "start", "end", "class", "attributes", "score")
_SPAN_KEY_SET = frozenset(_SPAN_KEYS)
_RELATION_KEYS = ("id", "from", "to", "class", "score")


def tokenize(text: str, tokenizer: str) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` of the tokens of ``text`` by the named tokenizer
    (:data:`TOKENIZERS`), as Python ``str`` offsets."""
    if tokenizer not in _TOKEN_RE:
        raise SchemaError(f"tokenizer must be one of {list(TOKENIZERS)}, got {describe(tokenizer)}")
    return [m.span() for m in _TOKEN_RE[tokenizer].finditer(text)]


_WORD, _SPACE = re.compile(r"\w"), re.compile(r"\s")


def token_edge(text: str, i: int, tokenizer: str, start: bool) -> bool:
    """Whether offset ``i`` of ``text`` is where a token of the named tokenizer
    starts (``start``) or ends, as :func:`tokenize` would cut it, from the two
    characters around ``i`` (a document is not tokenized whole to check a span)."""
    inside, outside = (i, i - 1) if start else (i - 1, i)
    if not 0 <= inside < len(text) or _SPACE.match(text, inside):
        return False
    if not 0 <= outside < len(text) or _SPACE.match(text, outside):
        return True
    # "whitespace": runs of non-space; "words": runs of word characters, and each
    # other character on its own.
    return tokenizer == "words" and not (_WORD.match(text, inside) and _WORD.match(text, outside))


def snap(tokens: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` snapped to the tokens it touches (``tokens`` sorted, as
    :func:`tokenize` gives them): from the first one's start to the last one's end,
    so a selection that cuts a word takes the whole word and one that begins or
    ends in spaces leaves them out. ``None`` when it touches no token (only spaces)."""
    touched = [(s, e) for s, e in tokens if s < end and e > start]
    if not touched:
        return None
    return touched[0][0], touched[-1][1]


@dataclass(frozen=True)
class Relation:
    """A relation type: a directed, typed link from one span to another.

    ``sources`` and ``targets`` name the span classes a relation of this type may
    start and end at (any class when empty). ``key``, ``color`` and
    ``description`` as for :class:`~workbench.LabelClass`; keys are shared with the
    span classes, so one key never means two things.
    """

    name: str
    key: str | None = None
    color: str | None = None
    description: str = ""
    sources: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SchemaError(f"relation name must be a non-empty string, got {self.name!r}")
        for side in ("sources", "targets"):
            given = getattr(self, side)
            if isinstance(given, str):
                given = (given,)
            object.__setattr__(self, side, tuple(str(c) for c in given))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "color": self.color,
                "description": self.description, "sources": list(self.sources),
                "targets": list(self.targets)}  # fmt: skip


@register_task_kind
@dataclass(frozen=True)
class TextSpans(Task):
    """Spans of a text item, each with a class, and relations between them.

    Parameters
    ----------
    name : str
    classes : sequence of LabelClass or str
        The span classes (entity types). Keys and colours are filled in as for
        :class:`~workbench.Classification`, together with the relations' keys.
    relations : sequence of Relation or str
        The relation types (none by default: spans only).
    attributes : sequence of Attribute
        Attributes every span has (``negated``, a ``certainty`` choice ...).
    overlapping : bool
        Whether spans of one item may overlap (nested entities); by default a
        character belongs to one span at most. The same span twice (same
        offsets and class) is refused either way.
    tokens : {"whitespace", "words"} or None
        Spans start and end on token boundaries of this tokenizer (the widget
        snaps a selection to them; :meth:`check_text` refuses others); ``None``:
        any character offsets.
    """

    kind: ClassVar[str] = "spans"
    classes: tuple[LabelClass, ...] = ()
    relations: tuple[Relation, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    overlapping: bool = False
    tokens: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SchemaError(f"task name must be a non-empty string, got {self.name!r}")
        if isinstance(self.classes, str) or isinstance(self.relations, str):
            raise SchemaError(f"task {self.name!r}: classes and relations are lists of names")
        relations = tuple(
            r if isinstance(r, Relation) else Relation(str(r)) for r in self.relations
        )
        given = tuple(self.classes)
        if not given:
            raise SchemaError(f"task {self.name!r} needs at least one span class")
        # One key space for span classes and relation types: filled together.
        filled = filled_classes(
            self.name,
            [*given, *(LabelClass(r.name, key=r.key, color=r.color) for r in relations)],
        )
        classes, as_relations = filled[: len(given)], filled[len(given) :]
        relations = tuple(
            Relation(r.name, key=f.key, color=f.color, description=r.description,
                     sources=r.sources, targets=r.targets)
            for r, f in zip(relations, as_relations, strict=True)
        )  # fmt: skip
        names = [c.name for c in classes]
        for r in relations:
            odd = [c for c in (*r.sources, *r.targets) if c not in names]
            if odd:
                raise UnknownClassError(
                    f"task {self.name!r}: relation {r.name!r} names {odd[0]!r}, which is not "
                    f"a span class; classes: {names}"
                )
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "relations", relations)
        attrs = tuple(a if isinstance(a, Attribute) else Attribute(str(a)) for a in self.attributes)
        attr_names = [a.name for a in attrs]
        if len(set(attr_names)) != len(attr_names):
            raise SchemaError(f"task {self.name!r}: attribute names repeat: {sorted(attr_names)}")
        object.__setattr__(self, "attributes", attrs)
        # Looked up for every span validated: built once (not fields, not compared).
        object.__setattr__(self, "_class_set", frozenset(names))
        object.__setattr__(self, "_attribute_of", {a.name: a for a in attrs})
        if not isinstance(self.overlapping, bool):
            raise SchemaError(f"task {self.name!r}: overlapping must be True or False")
        if self.tokens is not None and self.tokens not in TOKENIZERS:
            raise SchemaError(
                f"task {self.name!r}: tokens must be one of {list(TOKENIZERS)} or None, "
                f"got {describe(self.tokens)}"
            )

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    @property
    def relation_names(self) -> list[str]:
        return [r.name for r in self.relations]

    def relation(self, name: str) -> Relation:
        for r in self.relations:
            if r.name == name:
                return r
        raise UnknownClassError(
            f"task {self.name!r} has no relation {describe(name)}; relations: {self.relation_names}"
        )

    # -- values -----------------------------------------------------------------
    def validate(self, value: Any) -> dict[str, list[dict[str, Any]]]:
        """The item's spans and relations in canonical form (module docstring), or a
        :class:`SchemaError` naming the span or relation (by position and id) and
        the field that is wrong."""
        if isinstance(value, Mapping):
            extra = sorted(str(k) for k in set(value) - {"spans", "relations"})
            if extra:
                raise SchemaError(
                    f"task {self.name!r}: a value has spans and relations, got a field "
                    f"{describe(extra[0])}"
                )
            spans_in, relations_in = value.get("spans", ()), value.get("relations", ())
        else:
            spans_in, relations_in = value, ()
        spans = [self._span(s, i) for i, s in enumerate(value_list(spans_in, self.name, "spans"))]
        spans.sort(key=lambda s: (s["start"], s["end"], s["class"]))  # ids in text order
        give_ids(spans, "e", self.name, "span")
        listed = value_list(relations_in, self.name, "relations")
        if listed and not self.relations:
            raise SchemaError(f"task {self.name!r} has no relation types, got a relation")
        relations = [self._relation(r, i) for i, r in enumerate(listed)]
        spans.sort(key=lambda s: (s["start"], s["end"], s["class"], s["id"]))
        self._check_spans(spans)
        by_id = {s["id"]: s for s in spans}
        give_ids(relations, "r", self.name, "relation")
        seen: set[tuple[str, str, str]] = set()
        for r in relations:
            where = f"task {self.name!r}, relation {r['id']!r}"
            for end in ("from", "to"):
                if r[end] not in by_id:
                    raise SchemaError(f"{where}: {end} names no span of the item: {r[end]!r}")
            if r["from"] == r["to"]:
                raise SchemaError(f"{where}: a relation links two different spans")
            rtype = self.relation(r["class"])
            for end, allowed in (("from", rtype.sources), ("to", rtype.targets)):
                cls = by_id[r[end]]["class"]
                if allowed and cls not in allowed:
                    raise SchemaError(
                        f"{where}: a {r['class']!r} relation's {end} is one of "
                        f"{list(allowed)}, got a {cls!r} span"
                    )
            key = (r["from"], r["to"], r["class"])
            if key in seen:
                raise SchemaError(f"{where}: the same relation twice")
            seen.add(key)
        relations.sort(key=lambda r: (r["from"], r["to"], r["class"], r["id"]))
        return {"spans": spans, "relations": relations}

    def _span(self, span: Any, i: int) -> dict[str, Any]:
        # Plain dicts, ints and strings take the short checks: a large import
        # validates millions of spans. Anything else takes the general ones.
        where = f"task {self.name!r}, span {i}"
        if type(span) is not dict and not isinstance(span, Mapping):
            raise SchemaError(f"{where}: a span is a dict, got {type(span).__name__}")
        sid = span.get("id")
        if sid is not None:
            where += f" (id {describe(sid)})"
        if not span.keys() <= _SPAN_KEY_SET:
            extra = sorted(str(k) for k in set(span) - _SPAN_KEY_SET)
            raise SchemaError(f"{where}: unknown field {describe(extra[0])}")
        start, end = span.get("start"), span.get("end")
        if type(start) is not int or not 0 <= start <= MAX_OFFSET:
            start = _offset(start, f"{where}: start")
        if type(end) is not int or not 0 <= end <= MAX_OFFSET:
            end = _offset(end, f"{where}: end")
        if start >= end:
            raise SchemaError(f"{where}: start must be before end, got {start} and {end}")
        cls = span.get("class")
        if not isinstance(cls, str) or cls not in self._class_set:  # type: ignore[attr-defined]
            raise UnknownClassError(
                f"{where}: no class {describe(cls)}; classes: {self.class_names}"
            )
        out: dict[str, Any] = {"id": sid if type(sid) is str else value_id(sid, where),
                               "start": start, "end": end, "class": str(cls)}  # fmt: skip
        out["attributes"] = self._attributes(span.get("attributes") or {}, where)
        if span.get("score") is not None:
            out["score"] = value_score(span["score"], where)
        return out

    def _relation(self, rel: Any, i: int) -> dict[str, Any]:
        where = f"task {self.name!r}, relation {i}"
        if not isinstance(rel, Mapping):
            raise SchemaError(f"{where}: a relation is a dict, got {type(rel).__name__}")
        extra = sorted(str(k) for k in set(rel) - set(_RELATION_KEYS))
        if extra:
            raise SchemaError(f"{where}: unknown field {describe(extra[0])}")
        out: dict[str, Any] = {"id": value_id(rel.get("id"), where)}
        for end in ("from", "to"):
            sid = rel.get(end)
            if isinstance(sid, bool) or not isinstance(sid, str | int):
                raise SchemaError(f"{where}: {end} must be a span id, got {describe(sid)}")
            out[end] = str(sid)
        cls = rel.get("class")
        if not isinstance(cls, str) or cls not in self.relation_names:
            raise UnknownClassError(
                f"{where}: no relation {describe(cls)}; relations: {self.relation_names}"
            )
        out["class"] = cls
        if rel.get("score") is not None:
            out["score"] = value_score(rel["score"], where)
        return out

    def _attributes(self, given: Any, where: str) -> dict[str, Any]:
        return check_attributes(self._attribute_of, given, where)  # type: ignore[attr-defined]

    def _check_spans(self, spans: list[dict[str, Any]]) -> None:
        """Spans sorted by start: no span twice, no overlap unless the task allows it."""
        seen: set[tuple[int, int, str]] = set()
        reach: dict[str, Any] | None = None  # the span reaching furthest so far
        for s in spans:
            key = (s["start"], s["end"], s["class"])
            if key in seen:
                raise SchemaError(
                    f"task {self.name!r}: the same span twice ({s['class']!r} at "
                    f"{s['start']}-{s['end']})"
                )
            seen.add(key)
            if not self.overlapping and reach is not None and s["start"] < reach["end"]:
                raise SchemaError(
                    f"task {self.name!r}: spans {reach['id']!r} ({reach['start']}-{reach['end']})"
                    f" and {s['id']!r} ({s['start']}-{s['end']}) overlap, and this task's "
                    "spans do not (overlapping=True allows it)"
                )
            if reach is None or s["end"] > reach["end"]:
                reach = s

    def check_item(self, value: Any, content: Callable[[], Any]) -> None:
        """:meth:`check_text` against the item's text; an item that is not a text
        takes no spans."""
        if not value["spans"]:
            return
        text = content()
        if not isinstance(text, str):
            raise SchemaError(f"task {self.name!r} labels spans of texts; this item is not a text")
        self.check_text(value, text)

    def check_text(self, value: Mapping[str, Any], text: str) -> None:
        """Check a validated ``value`` against its item's ``text``: every span ends
        inside it and, when the task has a tokenizer, starts and ends on token
        boundaries. A :class:`SchemaError` names the first span that does not."""
        n = len(text)
        tokens = self.tokens
        for s in value["spans"]:
            if s["end"] <= n and (
                tokens is None
                or (token_edge(text, s["start"], tokens, True)
                    and token_edge(text, s["end"], tokens, False))
            ):  # fmt: skip
                continue
            where = f"task {self.name!r}, span {s['id']!r} ({s['start']}-{s['end']})"
            if s["end"] > n:
                raise SchemaError(f"{where}: ends past the text, which has {n} characters")
            if tokens is not None:
                raise SchemaError(
                    f"{where}: does not start and end on {self.tokens!r} token boundaries "
                    f"({text[s['start'] : s['end']]!r})"
                )

    def value_schema(self) -> dict[str, Any]:
        """The JSON Schema of a stored value (what :meth:`validate` returns). Coarser
        than :meth:`validate` (order, overlaps, ids used twice and relations' ends
        are left to it): all the database needs to refuse a value no reader can use."""
        offset = {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}
        score = {"type": "number", "minimum": 0, "maximum": 1}
        span = {
            "type": "object",
            "required": ["id", "start", "end", "class"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"}, "start": offset, "end": offset,
                "class": {"type": "string", "enum": self.class_names},
                "attributes": {
                    "type": "object", "additionalProperties": False,
                    "properties": {a.name: a.value_schema() for a in self.attributes},
                },
                "score": score,
            },
        }  # fmt: skip
        relation = {
            "type": "object",
            "required": ["id", "from", "to", "class"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"},
                "class": {"type": "string", "enum": self.relation_names or ["(none)"]},
                "score": score,
            },
        }  # fmt: skip
        return {
            "type": "object",
            "required": ["spans", "relations"],
            "additionalProperties": False,
            "properties": {
                "spans": {"type": "array", "items": span},
                "relations": {"type": "array", "items": relation,
                              **({} if self.relations else {"maxItems": 0})},
            },
        }  # fmt: skip

    # -- schema -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "classes": [c.to_dict() for c in self.classes],
            "relations": [r.to_dict() for r in self.relations],
            "attributes": [a.to_dict() for a in self.attributes],
            "overlapping": self.overlapping,
            "tokens": self.tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TextSpans:
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            classes=tuple(LabelClass.from_dict(c) for c in data["classes"]),
            relations=tuple(
                Relation(r["name"], key=r.get("key"), color=r.get("color"),
                         description=r.get("description", ""),
                         sources=tuple(r.get("sources", ())), targets=tuple(r.get("targets", ())))
                for r in data.get("relations", ())
            ),
            attributes=tuple(Attribute.from_dict(a) for a in data.get("attributes", ())),
            overlapping=bool(data.get("overlapping", False)),
            tokens=data.get("tokens"),
        )  # fmt: skip


def _offset(v: Any, where: str) -> int:
    """A character offset: a whole number from 0 to :data:`MAX_OFFSET`."""
    try:
        ok = not isinstance(v, bool) and int(v) == v and 0 <= int(v) <= MAX_OFFSET
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise SchemaError(
            f"{where} must be a whole number from 0 to {MAX_OFFSET}, got {describe(v)}"
        )
    return int(v)
