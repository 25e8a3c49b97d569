"""Label schemas: tasks, classes, key bindings, colours and guidelines.

A :class:`Schema` is a list of tasks plus Markdown guidelines. Each task has a
``kind`` (``"classification"``, ``"shapes"`` ...: each defined by its package
under ``workbench/kinds/``) and validates the values written for it. A schema is
versioned by the store: saving a schema whose content differs from the latest
version creates a new version, and every event records the version it was
written under.

New task kinds subclass :class:`Task`, set ``kind`` and register themselves
with :func:`register_task_kind`; nothing else has to change.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
import reprlib
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import SchemaError

__all__ = [
    "LabelClass",
    "Attribute",
    "Task",
    "Schema",
    "SchemaChanges",
    "schema_changes",
    "PALETTE",
    "register_task_kind",
    "unregister_task_kind",
    "task_kinds",
    "filled_classes",
    "RESERVED_KEYS",
]

#: Colour-blind-safe palette: Okabe-Ito (black swapped for grey so it reads on
#: dark themes), then Paul Tol's "muted" scheme.
PALETTE = (
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999",
    "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933",
    "#AA4499",
)  # fmt: skip

#: The CSS named colours (CSS Color Module Level 4), the only colour words a schema may use.
CSS_COLOR_NAMES = frozenset({
    "aliceblue", "antiquewhite", "aqua", "aquamarine", "azure", "beige", "bisque", "black",
    "blanchedalmond", "blue", "blueviolet", "brown", "burlywood", "cadetblue", "chartreuse",
    "chocolate", "coral", "cornflowerblue", "cornsilk", "crimson", "cyan", "darkblue",
    "darkcyan", "darkgoldenrod", "darkgray", "darkgreen", "darkgrey", "darkkhaki",
    "darkmagenta", "darkolivegreen", "darkorange", "darkorchid", "darkred", "darksalmon",
    "darkseagreen", "darkslateblue", "darkslategray", "darkslategrey", "darkturquoise",
    "darkviolet", "deeppink", "deepskyblue", "dimgray", "dimgrey", "dodgerblue",
    "firebrick", "floralwhite", "forestgreen", "fuchsia", "gainsboro", "ghostwhite", "gold",
    "goldenrod", "gray", "green", "greenyellow", "grey", "honeydew", "hotpink", "indianred",
    "indigo", "ivory", "khaki", "lavender", "lavenderblush", "lawngreen", "lemonchiffon",
    "lightblue", "lightcoral", "lightcyan", "lightgoldenrodyellow", "lightgray",
    "lightgreen", "lightgrey", "lightpink", "lightsalmon", "lightseagreen", "lightskyblue",
    "lightslategray", "lightslategrey", "lightsteelblue", "lightyellow", "lime",
    "limegreen", "linen", "magenta", "maroon", "mediumaquamarine", "mediumblue",
    "mediumorchid", "mediumpurple", "mediumseagreen", "mediumslateblue",
    "mediumspringgreen", "mediumturquoise", "mediumvioletred", "midnightblue", "mintcream",
    "mistyrose", "moccasin", "navajowhite", "navy", "oldlace", "olive", "olivedrab",
    "orange", "orangered", "orchid", "palegoldenrod", "palegreen", "paleturquoise",
    "palevioletred", "papayawhip", "peachpuff", "peru", "pink", "plum", "powderblue",
    "purple", "rebeccapurple", "red", "rosybrown", "royalblue", "saddlebrown", "salmon",
    "sandybrown", "seagreen", "seashell", "sienna", "silver", "skyblue", "slateblue",
    "slategray", "slategrey", "snow", "springgreen", "steelblue", "tan", "teal", "thistle",
    "tomato", "turquoise", "violet", "wheat", "white", "whitesmoke", "yellow", "yellowgreen"
})  # fmt: skip

#: ``#rgb``, ``#rgba``, ``#rrggbb`` or ``#rrggbbaa``.
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


def check_color(value: Any, where: str) -> str:
    """``value`` if it is a hex colour or a CSS named colour (lower-cased), else a
    :class:`SchemaError` saying ``where`` it was.

    Colours end up in the widgets' styles, so nothing else is let through: a
    ``url(...)`` or ``var(...)`` would make every annotator's browser fetch or
    read what a schema's author chose.
    """
    if isinstance(value, str):
        if _HEX_COLOR.fullmatch(value):
            return value
        if value.lower() in CSS_COLOR_NAMES:
            return value.lower()
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    raise SchemaError(
        f"{where}: color must be a hex colour (#rgb, #rgba, #rrggbb, #rrggbbaa) or a CSS "
        f"named colour such as 'teal', got {shown}"
    )


#: Keys the widgets use for themselves; a class cannot be bound to them.
RESERVED_KEYS = frozenset({"s", "?", " "})

_DEFAULT_KEYS = [str(d) for d in range(1, 10)] + [
    c for c in string.ascii_lowercase if c not in RESERVED_KEYS
]


@dataclass(frozen=True)
class LabelClass:
    """One class of a classification task.

    Parameters
    ----------
    name : str
        The value stored in labels.
    key : str, optional
        The single key that picks this class. By default a class whose name is
        one key character (``"7"``, ``"a"``; not a reserved key) binds that key,
        and the others take the free keys of 1-9, then letters, in order.
    color : str, optional
        A hex colour (``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``) or a CSS
        named colour (:data:`CSS_COLOR_NAMES`); defaults to the next colour of
        :data:`PALETTE`.
    description : str
        Shown next to the class and in the guidelines.
    examples : sequence of str
        Item ids that illustrate the class in the guidelines.
    """

    name: str
    key: str | None = None
    color: str | None = None
    description: str = ""
    examples: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SchemaError(f"class name must be a non-empty string, got {self.name!r}")
        if self.key is not None:
            if not isinstance(self.key, str) or len(self.key) != 1:
                raise SchemaError(
                    f"class {self.name!r}: key must be a single character, got {self.key!r}"
                )
            if self.key in RESERVED_KEYS:
                raise SchemaError(
                    f"class {self.name!r}: key {self.key!r} is reserved "
                    f"(reserved: {sorted(RESERVED_KEYS)})"
                )
        if self.color is not None and self.color != "":  # "" means "not given", as None
            object.__setattr__(self, "color", check_color(self.color, f"class {self.name!r}"))
        else:
            object.__setattr__(self, "color", None)
        if not isinstance(self.description, str):
            raise SchemaError(
                f"class {self.name!r}: description must be a string, got {self.description!r}"
            )
        if isinstance(self.examples, str) or not all(isinstance(e, str) for e in self.examples):
            raise SchemaError(
                f"class {self.name!r}: examples must be a list of item ids, got {self.examples!r}"
            )
        object.__setattr__(self, "examples", tuple(self.examples))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "color": self.color,
            "description": self.description,
            "examples": list(self.examples),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabelClass:
        return cls(data["name"], key=data.get("key"), color=data.get("color"),
                   description=data.get("description", ""),
                   examples=tuple(data.get("examples", ())))  # fmt: skip


_TASK_KINDS: dict[str, type[Task]] = {}


def register_task_kind(cls: type[Task]) -> type[Task]:
    """Class decorator: make ``cls`` loadable by :meth:`Schema.from_dict`."""
    _TASK_KINDS[cls.kind] = cls
    return cls


@dataclass(frozen=True)
class Task:
    """Base of every task kind. Subclasses set ``kind`` and implement ``validate``."""

    kind: ClassVar[str] = ""
    name: str
    description: str = ""

    def validate(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_item(self, value: Any, content: Callable[[], Any]) -> None:
        """Check a validated ``value`` against its item, for a kind whose values
        depend on it (spans inside a text). ``content()`` loads the item (a string for
        a text, a PIL image ...); it is called only by a kind that needs it, so the
        other kinds pay nothing. Raise a :class:`SchemaError`; the default checks
        nothing."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "description": self.description}

    def value_schema(self) -> dict[str, Any]:
        """A JSON Schema (the subset :data:`workbench.store.team_sql.VALID` reads: type,
        enum, items, properties, required, additionalProperties, min/maxItems,
        uniqueItems, maxLength, minimum/maximum, anyOf) that every stored value of
        this task fits. In team mode the database refuses a value that does not, so
        a member writing with their own connection cannot store what
        :meth:`validate` would refuse. Coarser than :meth:`validate` is fine; the
        empty schema (the default) lets any JSON value through."""
        return {}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Task:  # pragma: no cover - abstract
        raise NotImplementedError


def filled_classes(task: str, classes: Sequence[str | LabelClass]) -> tuple[LabelClass, ...]:
    """``classes`` (names or :class:`LabelClass`) checked (non-empty, unique names) and
    with the keys and colours left out filled in: what every task kind with a class
    list (classification, shapes ...) stores."""
    given = tuple(c if isinstance(c, LabelClass) else LabelClass(str(c)) for c in classes)
    if not given:
        raise SchemaError(f"task {task!r} needs at least one class")
    names = [c.name for c in given]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SchemaError(f"task {task!r}: duplicate class names {dupes}")
    keys = _default_class_keys(task, given)
    return tuple(
        LabelClass(c.name, key=key, color=c.color or PALETTE[i % len(PALETTE)],
                   description=c.description, examples=c.examples)
        for i, (c, key) in enumerate(zip(given, keys, strict=True))
    )  # fmt: skip


def unregister_task_kind(kind: str) -> None:
    """Undo :func:`register_task_kind` (a kind defined for a test, say)."""
    _TASK_KINDS.pop(kind, None)


def task_kinds() -> dict[str, type[Task]]:
    """The registered task kinds: kind name → :class:`Task` subclass."""
    return dict(_TASK_KINDS)


def class_name(value: Any, names: Sequence[str]) -> Any:
    """An integer (``7``, ``numpy.int64(7)``) as the class it names (``"7"``) in a task
    with integer class names: classes given as ints are stored by name, and labels,
    holdouts and oracles give ints. Elsewhere, and for ``True``/``False``, the value
    stays as it is (and is refused as not a class name)."""
    if (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and any(n.lstrip("-").isdigit() for n in names)
    ):
        return str(int(value))
    return value


def _own_key(name: str) -> str | None:
    """The key a class called ``name`` binds by default: its name, when that is one
    key a widget can give a class (so class ``"7"`` is picked with ``7``)."""
    if len(name) == 1 and name not in RESERVED_KEYS and name.isprintable() and not name.isspace():
        return name
    return None


def _default_class_keys(task: str, classes: Sequence[LabelClass]) -> list[str | None]:
    """The key of each class: its explicit key; else its own name when that is one
    key character (:func:`_own_key`); else the next free of 1-9, then letters."""
    taken = [c.key for c in classes if c.key is not None]
    dupe_keys = sorted({k for k in taken if taken.count(k) > 1})
    if dupe_keys:
        raise SchemaError(f"task {task!r}: keys bound twice {dupe_keys}")
    explicit = {c.key: c.name for c in classes if c.key is not None}
    keys: list[str | None] = [c.key for c in classes]
    for i, c in enumerate(classes):
        own = _own_key(c.name)
        if c.key is None and own is not None:
            if own in explicit:
                # Pressing 7 would label another class than the one called "7": a trap.
                raise SchemaError(
                    f"task {task!r}: class {explicit[own]!r} is given key {own!r}, which "
                    f"class {c.name!r} binds by its name; give class {c.name!r} a key of "
                    f"its own (LabelClass({c.name!r}, key=...)) or {explicit[own]!r} another one"
                )
            keys[i] = own
    used = {k for k in keys if k is not None}
    free = iter(k for k in _DEFAULT_KEYS if k not in used)
    return [k if k is not None else next(free, None) for k in keys]


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)  # numpy scalars included


def finite_number(v: Any) -> float | None:
    """``v`` as a float if it is a finite real number, else None (an int too large for
    a float, 10**400, is not)."""
    if not _is_real(v):
        return None
    try:
        f = float(v)
    except (OverflowError, ValueError, TypeError):
        return None
    return f if math.isfinite(f) else None


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 60, 60


def describe(value: Any) -> str:
    """A repr of a value given from outside, for an error message: at most about a
    hundred characters and three levels deep, whatever the value holds."""
    if type(value) is str and len(value) <= _SHORT.maxstring:
        shown = repr(value)  # what reprlib gives a string this short, without its dispatch
        if len(shown) <= _SHORT.maxstring:
            return shown
    return _SHORT.repr(value)


# -- helpers for the values of task kinds that hold lists of parts (spans, regions)


def value_list(values: Any, task: str, what: str) -> list[Any]:
    """``values`` as a list (``what`` of task ``task``: "spans", "regions" …), or a
    :class:`SchemaError`: a string, a dict or a non-iterable is not a list."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise SchemaError(f"task {task!r}: {what} must be a list, got {describe(values)}")
    return list(values)


def value_score(v: Any, where: str) -> float:
    """A score: a number from 0 to 1 (not a bool, a string or NaN)."""
    try:
        f = float(v) if not isinstance(v, bool | str | bytes) else None
    except (TypeError, ValueError, OverflowError):
        f = None
    if f is None or not 0.0 <= f <= 1.0:  # NaN fails both comparisons
        raise SchemaError(f"{where}: score must be a number from 0 to 1, got {describe(v)}")
    return f


def value_id(v: Any, where: str) -> str | None:
    """A part's id as a string (``None`` when not given, to be filled by
    :func:`give_ids`); an int is taken as its decimal string."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, str | int) or (
        isinstance(v, int) and not -(2**63) <= v < 2**63
    ):  # fmt: skip
        raise SchemaError(f"{where}: id must be a string, got {describe(v)}")
    return str(v)


def give_ids(rows: list[dict[str, Any]], prefix: str, task: str, what: str) -> None:
    """Fill missing ids (``<prefix>1``, ``<prefix>2`` …, skipping those in use) of
    ``rows`` (dicts with an ``"id"``), in order; refuse an id used twice."""
    used = {r["id"] for r in rows if r["id"] is not None}
    n = 0
    for r in rows:
        if r["id"] is None:
            n += 1
            while f"{prefix}{n}" in used:
                n += 1
            r["id"] = f"{prefix}{n}"
            used.add(r["id"])
    twice = sorted(i for i, k in Counter(r["id"] for r in rows).items() if k > 1)
    if twice:
        raise SchemaError(f"task {task!r}: {what} id {twice[0]!r} is used twice")


def check_attributes(known: Mapping[str, Attribute], given: Any, where: str) -> dict[str, Any]:
    """A part's attributes (``given``, a dict) checked against the task's ``known``
    ones (name → :class:`Attribute`): every one filled, its default where not
    given; a :class:`SchemaError` saying ``where`` for a name or value it lacks."""
    if not isinstance(given, Mapping):
        raise SchemaError(f"{where}: attributes must be a dict, got {type(given).__name__}")
    if not given.keys() <= known.keys():
        unknown = sorted(str(k) for k in set(given) - set(known))
        raise SchemaError(
            f"{where}: no attribute {describe(unknown[0])}; attributes: {sorted(known)}"
        )
    return {n: a.check(given[n], where) if n in given else a.default for n, a in known.items()}


def value_numbers(
    values: Any, where: str, *, length: int | None = None, bound: int = 2**24
) -> list[float]:
    """A list of finite numbers (coordinates), each at most ``bound`` in magnitude
    (``length`` of them when given), or a :class:`SchemaError` saying ``where``."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise SchemaError(f"{where} must be a list of numbers, got {describe(values)}")
    out = []
    for v in values:
        f = finite_number(v)
        if f is None:
            raise SchemaError(f"{where} must hold finite numbers, got {describe(v)}")
        if abs(f) > bound:
            power = math.log2(bound)
            shown = f" (2**{int(power)})" if power.is_integer() else ""
            raise SchemaError(
                f"{where} must hold numbers of at most {bound}{shown} in magnitude, got {f!r}"
            )
        out.append(f)
    if length is not None and len(out) != length:
        raise SchemaError(f"{where} must hold {length} numbers, got {len(out)}")
    return out


def value_points(values: Any, where: str, *, dims: int, bound: int = 2**24) -> list[list[float]]:
    """A list of points of ``dims`` numbers each (:func:`value_numbers`)."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise SchemaError(f"{where} must be a list of [x, y] points, got {describe(values)}")
    return [
        value_numbers(p, f"{where}[{j}]", length=dims, bound=bound) for j, p in enumerate(values)
    ]


#: The kinds of :class:`Attribute`.
ATTRIBUTE_KINDS = ("bool", "choice", "text", "number")


@dataclass(frozen=True)
class Attribute:
    """A per-shape (per-span ...) attribute of a task: ``bool`` (default False), ``choice`` (one of
    ``choices``; the first by default), ``text`` or ``number``."""

    name: str
    kind: str = "bool"
    choices: tuple[str, ...] = ()
    default: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SchemaError(f"attribute name must be a non-empty string, got {self.name!r}")
        if self.kind not in ATTRIBUTE_KINDS:
            raise SchemaError(
                f"attribute {self.name!r}: kind must be one of {list(ATTRIBUTE_KINDS)}, "
                f"got {self.kind!r}"
            )
        choices = tuple(str(c) for c in self.choices)
        object.__setattr__(self, "choices", choices)
        if self.kind == "choice" and not choices:
            raise SchemaError(f"attribute {self.name!r} is a choice: give choices=")
        if self.default is None:
            default = {"bool": False, "choice": choices[0] if choices else None,
                       "text": "", "number": None}[self.kind]  # fmt: skip
            object.__setattr__(self, "default", default)
        else:
            object.__setattr__(self, "default", self.check(self.default, "default"))

    def check(self, value: Any, where: str) -> Any:
        """``value`` for storage, or a :class:`SchemaError` saying ``where`` it was."""
        kind = self.kind
        if kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "choice":
            ok = isinstance(value, str) and value in self.choices
        elif kind == "text":
            ok = isinstance(value, str)
        else:
            ok = value is None or finite_number(value) is not None
        if not ok:
            expected = {"bool": "true or false", "choice": f"one of {list(self.choices)}",
                        "text": "a string", "number": "a finite number"}[self.kind]  # fmt: skip
            raise SchemaError(
                f"{where}: attribute {self.name!r} must be {expected}, got {describe(value)}"
            )
        return float(value) if self.kind == "number" and value is not None else value

    def value_schema(self) -> dict[str, Any]:
        """The JSON Schema of a stored value of this attribute (see :meth:`check`)."""
        return {
            "bool": {"type": "boolean"},
            "choice": {"type": "string", "enum": list(self.choices)},
            "text": {"type": "string"},
            "number": {"type": ["number", "null"]},
        }[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "choices": list(self.choices),
                "default": self.default}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attribute:
        return cls(data["name"], kind=data.get("kind", "bool"),
                   choices=tuple(data.get("choices", ())), default=data.get("default"))  # fmt: skip


def shown(v: Any) -> str:
    """``repr(v)`` cut short, for errors about values that may be huge."""
    text = repr(v)
    return text if len(text) <= 80 else f"{text[:77]}... ({type(v).__name__})"


@dataclass(frozen=True)
class Schema:
    """The tasks of a project and their guidelines (Markdown).

    ``version`` is assigned by the store when the schema is saved; a schema
    built in a notebook has ``version=None`` until then.
    """

    tasks: tuple[Task, ...]
    guidelines: str = ""
    version: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        tasks = tuple(self.tasks)
        if not tasks:
            raise SchemaError("a schema needs at least one task")
        for t in tasks:
            if not isinstance(t, Task):
                raise SchemaError(f"schema tasks must be Task objects, got {t!r}")
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            raise SchemaError(f"duplicate task names in schema: {names}")
        if not isinstance(self.guidelines, str):
            raise SchemaError("guidelines must be a Markdown string")
        object.__setattr__(self, "tasks", tasks)

    @classmethod
    def classification(
        cls,
        name: str,
        classes: Sequence[str | LabelClass],
        *,
        multi_label: bool = False,
        guidelines: str = "",
        description: str = "",
    ) -> Schema:
        """A schema with one classification task; the common case."""
        if isinstance(classes, str):
            raise SchemaError("classes must be a list of names, not one string")
        task = _TASK_KINDS["classification"](
            name, description=description, classes=tuple(classes), multi_label=multi_label
        )
        return cls((task,), guidelines=guidelines)

    def task(self, name: str | None = None) -> Task:
        """The task called ``name``; with no name, the only (or first) task."""
        if name is None:
            return self.tasks[0]
        for t in self.tasks:
            if t.name == name:
                return t
        raise SchemaError(f"schema has no task {name!r}; tasks: {[t.name for t in self.tasks]}")

    def classification_task(self, name: str | None = None, *, purpose: str = "this") -> Any:
        """The task called ``name`` (see :meth:`task`), which must be a classification
        task; otherwise a :class:`SchemaError` saying that ``purpose`` needs one."""
        return self.task_of_kind(name, "classification", purpose=purpose)

    def task_of_kind(self, name: str | None, kind: str, *, purpose: str = "this") -> Task:
        """The task called ``name``, which must be of ``kind`` (``"classification"``,
        ``"shapes"`` ...); with no name, the first task of that kind. Otherwise a
        :class:`SchemaError` saying that ``purpose`` needs one."""
        if name is None:
            for t in self.tasks:
                if t.kind == kind:
                    return t
            kinds = {t.name: t.kind for t in self.tasks}
            raise SchemaError(f"{purpose} needs a {kind} task; the schema has {kinds}")
        task = self.task(name)
        if task.kind != kind:
            raise SchemaError(
                f"{purpose} needs a {kind} task; task {task.name!r} is of kind {task.kind!r}"
            )
        return task

    def validate(self, task: str, value: Any) -> Any:
        return self.task(task).validate(value)

    def to_dict(self) -> dict[str, Any]:
        return {"tasks": [t.to_dict() for t in self.tasks], "guidelines": self.guidelines}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, version: int | None = None) -> Schema:
        if not isinstance(data, Mapping) or "tasks" not in data:
            raise SchemaError("a schema dict needs a 'tasks' list")
        tasks = []
        for t in data["tasks"]:
            kind = t.get("kind", "classification")
            if kind not in _TASK_KINDS:
                raise SchemaError(f"unknown task kind {kind!r}; known: {sorted(_TASK_KINDS)}")
            tasks.append(_TASK_KINDS[kind].from_dict(t))
        return cls(tuple(tasks), guidelines=data.get("guidelines", ""), version=version)

    def fingerprint(self) -> str:
        """A hash of the content; equal schemas share it, whatever their version."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


#: Fields of a class and of a task that only change how items are shown and
#: picked, never which values are valid.
PRESENTATION_CLASS_FIELDS = ("key", "color", "description", "examples")
PRESENTATION_TASK_FIELDS = ("description",)


@dataclass
class SchemaChanges:
    """What changes from one schema to another (see :func:`schema_changes`).

    ``structural`` lists the changes that decide which values are valid (tasks
    added, removed or of another kind, classes added or removed, single- versus
    multi-label, shape types, attributes ...); ``presentation`` the others
    (keys, colours, descriptions, examples, guidelines, class order).
    ``removed_tasks`` and ``removed_classes`` (``{task: [class, ...]}``, tasks
    present in both) say what existing labels may use and the new schema lacks;
    ``mode_changed`` names tasks that switch between single- and multi-label.
    ``impact`` is filled by the project: one line per consequence for the
    labels it holds (``"412 labels of class 'cat' in task 'animal' would no
    longer be valid"``).
    """

    structural: list[str] = field(default_factory=list)
    presentation: list[str] = field(default_factory=list)
    removed_tasks: list[str] = field(default_factory=list)
    removed_classes: dict[str, list[str]] = field(default_factory=dict)
    mode_changed: list[str] = field(default_factory=list)
    impact: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.structural or self.presentation)

    @property
    def presentation_only(self) -> bool:
        return bool(self.presentation) and not self.structural

    def __repr__(self) -> str:
        return f"SchemaChanges:\n{self}"

    def __str__(self) -> str:
        if not self.changed:
            return "no change"
        lines = [f"- {c}" for c in self.structural + self.presentation]
        if self.impact:
            lines += ["effect on existing labels:", *(f"- {c}" for c in self.impact)]
        elif self.structural:
            lines.append("effect on existing labels: none (no current label becomes invalid)")
        return "\n".join(lines)


def schema_changes(
    before: Mapping[str, Any] | Schema, after: Mapping[str, Any] | Schema
) -> SchemaChanges:
    """Compare two schemas (or their stored bodies, ``Schema.to_dict()``) task by task.

    Bodies are read loosely, so a stored body that no longer loads (an old
    release's colour, say) can still be compared. Tasks are matched by name: a
    renamed task shows as one removed and one added (with a note when both have
    the same kind and classes); this comparison never maps labels across.
    """
    old = before.to_dict() if isinstance(before, Schema) else dict(before)
    new = after.to_dict() if isinstance(after, Schema) else dict(after)
    out = SchemaChanges()
    old_tasks = _tasks_by_name(old)
    new_tasks = _tasks_by_name(new)
    removed = [n for n in old_tasks if n not in new_tasks]
    added = [n for n in new_tasks if n not in old_tasks]
    for name in removed:
        out.structural.append(f"task {name!r} ({_kind(old_tasks[name])}) removed")
        out.removed_tasks.append(name)
    for name in added:
        twin = next(
            (r for r in removed if _kind(old_tasks[r]) == _kind(new_tasks[name])
             and _names(old_tasks[r]) == _names(new_tasks[name])),
            None,
        )  # fmt: skip
        note = (
            f" (same kind and classes as the removed task {twin!r}: a rename does not carry "
            f"labels across; they stay under {twin!r})"
            if twin is not None
            else ""
        )
        out.structural.append(f"task {name!r} ({_kind(new_tasks[name])}) added{note}")
    for name in (n for n in new_tasks if n in old_tasks):
        _task_changes(name, old_tasks[name], new_tasks[name], out)
    if old.get("guidelines", "") != new.get("guidelines", ""):
        out.presentation.append("guidelines changed")
    return out


def _by_name(entries: Any) -> dict[str, Mapping[str, Any]]:
    """The named mappings of a stored list (tasks, classes) by name; anything else in
    it, or a field that is not a list, is left out (stored bodies are read loosely)."""
    out: dict[str, Mapping[str, Any]] = {}
    for e in entries if isinstance(entries, list) else ():
        if isinstance(e, Mapping) and isinstance(e.get("name"), str):
            out[e["name"]] = e
    return out


def _tasks_by_name(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return _by_name(body.get("tasks"))


def _kind(task: Mapping[str, Any]) -> str:
    return str(task.get("kind", "classification"))


def _classes(task: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return _by_name(task.get("classes"))


def _names(task: Mapping[str, Any]) -> list[str]:
    return list(_classes(task))


def _task_changes(
    name: str, old: Mapping[str, Any], new: Mapping[str, Any], out: SchemaChanges
) -> None:
    where = f"task {name!r}"
    if _kind(old) != _kind(new):
        out.structural.append(f"{where}: kind {_kind(old)!r} -> {_kind(new)!r}")
        out.removed_tasks.append(name)  # none of its values are read the same way
        return
    before, after = _classes(old), _classes(new)
    gone = [c for c in before if c not in after]
    new_classes = [c for c in after if c not in before]
    if gone:
        out.structural.append(f"{where}: classes removed {gone}")
        out.removed_classes[name] = gone
    if new_classes:
        out.structural.append(f"{where}: classes added {new_classes}")
    if bool(old.get("multi_label", False)) != bool(new.get("multi_label", False)):
        mode = "multi-label" if new.get("multi_label") else "single-label"
        out.structural.append(f"{where}: now {mode}")
        out.mode_changed.append(name)
    common = [c for c in after if c in before]
    if [c for c in before if c in after] != common:
        out.presentation.append(f"{where}: classes reordered")
    for cls in common:
        a, b = before[cls], after[cls]
        for key in sorted(set(a) | set(b)):
            if a.get(key) == b.get(key) or key == "name":
                continue
            line = f"{where}, class {cls!r}: {key} {a.get(key)!r} -> {b.get(key)!r}"
            (out.presentation if key in PRESENTATION_CLASS_FIELDS else out.structural).append(line)
    skip = {"name", "kind", "classes", "multi_label"}
    for key in sorted((set(old) | set(new)) - skip):
        if old.get(key) == new.get(key):
            continue
        if key in PRESENTATION_TASK_FIELDS:
            out.presentation.append(f"{where}: {key} changed")
        else:
            out.structural.append(f"{where}: {key} changed ({old.get(key)!r} -> {new.get(key)!r})")
