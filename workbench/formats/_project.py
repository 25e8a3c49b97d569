"""What the per-image formats (YOLO, Pascal VOC) read from and write to a project.

- :func:`labeled_items`: the current shapes of every labeled item, in item order;
- :func:`file_stem`: the name a per-image file gets (``img0`` for ``…/img0.png``);
- :class:`ItemIndex`: finds the item an annotation file names;
- :class:`Losses`: counts what an exporter could not write as it was, and
  names all of it in one warning (or one error with ``strict=True``).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import SchemaError
from ..shapes import Shapes

__all__ = ["shapes_task", "labeled_items", "file_stem", "ItemIndex", "Losses"]


def shapes_task(project: Any, task: str | None, fmt: str) -> Shapes:
    t = project.schema.task(task)
    if not isinstance(t, Shapes):
        raise SchemaError(f"{fmt} needs a shapes task; task {t.name!r} is {t.kind!r}")
    return t


def labeled_items(project: Any, shapes_task: Shapes) -> list[tuple[Any, list[dict[str, Any]]]]:
    """``(record, shapes)`` of every item whose current label is a list of shapes."""
    labels = project.labels(shapes_task.name)
    values = {
        str(i): v for i, v in zip(labels["item_id"], labels["label"], strict=True)
        if isinstance(v, list)
    }  # fmt: skip
    order = [i for i in project.item_ids() if i in values]
    records = {r.item_id: r for r in project.store.get_items(order)} if order else {}
    return [(records[i], values[i]) for i in order]


def has_file(record: Any) -> bool:
    """Whether the item is a file of its own (not a row of an array, not a copied image)."""
    uri = record.uri
    return uri is not None and not uri.startswith(("npy://", "items://"))


def basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]


def stem(name: str) -> str:
    base = basename(name)
    head, dot, _ = base.rpartition(".")
    return head if dot and head else base


def file_stem(record: Any) -> str:
    """The item's file name without its extension; the item id for items with no
    file of their own."""
    return stem(record.uri) if has_file(record) else record.item_id


class ItemIndex:
    """The project's items by id, URI, file name and file stem.

    Each lookup returns the one item a name means, or ``None``; a name that
    fits several items raises ``error(message)``.
    """

    def __init__(self, project: Any, error: Callable[[str], Exception]) -> None:
        self.error = error
        ids = project.item_ids()
        self.ids = set(ids)
        self.by_uri: dict[str, str] = {}
        self.by_base: dict[str, list[str]] = {}
        self.by_stem: dict[str, list[str]] = {}
        for r in project.store.get_items(ids) if ids else []:
            self.by_stem.setdefault(r.item_id, []).append(r.item_id)
            if r.uri is None:
                continue
            self.by_uri[r.uri] = r.item_id
            if r.uri.startswith("file://"):
                self.by_uri[r.uri[len("file://") :]] = r.item_id
            if has_file(r):
                self.by_base.setdefault(basename(r.uri), []).append(r.item_id)
                s = stem(r.uri)
                if s != r.item_id:
                    self.by_stem.setdefault(s, []).append(r.item_id)

    def item_id(self, name: str | None) -> str | None:
        return name if name is not None and name in self.ids else None

    def uri(self, name: str | None) -> str | None:
        return None if name is None else self.by_uri.get(name)

    def base(self, name: str | None, what: str) -> str | None:
        return None if not name else self._one(self.by_base.get(basename(name), []), what)

    def stem(self, name: str | None, what: str) -> str | None:
        return None if not name else self._one(self.by_stem.get(name, []), what)

    def _one(self, candidates: list[str], what: str) -> str | None:
        if len(candidates) > 1:
            shown = ", ".join(repr(c) for c in candidates[:3])
            raise self.error(f"{what} matches {len(candidates)} items ({shown}...)")
        return candidates[0] if candidates else None


def items_by_stem(
    project: Any, shapes_task: Shapes, error: type[Exception], fmt: str, what: str
) -> Iterable[tuple[Any, list[dict[str, Any]], str]]:
    """``(record, shapes, stem)`` of each labeled item, for formats that name one file
    (``what``) per image by the image's stem; ``error`` for a stem that cannot name a
    file or that two items share."""
    owners: dict[str, str] = {}
    for record, shapes in labeled_items(project, shapes_task):
        name = file_stem(record)
        if not name or name in (".", "..") or "/" in name or "\\" in name:
            raise error(f"item {record.item_id!r}: {name!r} cannot name {what}")
        if name in owners:
            raise error(
                f"items {owners[name]!r} and {record.item_id!r} both have the file stem "
                f"{name!r}; {fmt} names {what} by its image's stem"
            )
        owners[name] = record.item_id
        yield record, shapes, name


def missing_message(where: str, missing: list[str], what: str) -> str:
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return (f"{where}: {len(missing)} {what} match no item of the project: "
            + "; ".join(missing[:5]) + more)  # fmt: skip


#: Clipping by less than this many pixels is rounding (a YOLO import of a box
#: at the edge can land 1e-11 px outside), not a change worth a warning.
CLIP_TOLERANCE = 1e-6


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word}{'es' if word.endswith(('x', 's')) else 's'}"


class Losses:
    """What an export could not write as it was, counted.

    ``drop(kind, why)``: a shape left out; ``field(name)``: a field of a shape
    left out; ``change(kind, how, how_many)``: a shape written otherwise
    (``change("polygon", "written as its bounding box", "written as their
    bounding boxes")`` reads "2 polygons written as their bounding boxes").
    """

    def __init__(self) -> None:
        self.dropped: Counter[tuple[str, str]] = Counter()
        self.fields: Counter[str] = Counter()
        self.changed: Counter[tuple[str, str, str]] = Counter()

    def drop(self, kind: str, why: str) -> None:
        self.dropped[kind, why] += 1

    def field(self, name: str) -> None:
        self.fields[name] += 1

    def change(self, kind: str, how: str, how_many: str | None = None) -> None:
        self.changed[kind, how, how_many or how] += 1

    def fields_of(self, shape: dict[str, Any], shapes_task: Shapes, keep: Iterable[str]) -> None:
        """Count the fields of ``shape`` that carry something and are not in ``keep``:
        attributes that differ from their defaults, a score, a z other than 0."""
        keep = set(keep)
        defaults = {a.name: a.default for a in shapes_task.attributes}
        if "attributes" not in keep and (shape.get("attributes") or {}) != defaults:
            self.field("attributes")
        if "score" not in keep and shape.get("score") is not None:
            self.field("score")
        if "z" not in keep and shape.get("z", 0) != 0:
            self.field("z")

    def report(
        self, shapes_task: Shapes, fmt: str, strict: bool, error: Callable[[str], Exception]
    ) -> None:
        """Warn naming everything counted (UserWarning), or raise ``error`` if ``strict``."""
        parts = []
        if self.dropped:
            parts.append("dropped " + ", ".join(
                f"{plural(n, kind)} ({why})" for (kind, why), n in sorted(self.dropped.items())
            ))  # fmt: skip
        if self.fields:
            parts.append("dropped fields: " + ", ".join(
                f"{name} of {plural(n, 'shape')}" for name, n in sorted(self.fields.items())
            ))  # fmt: skip
        if self.changed:
            parts.append("changed: " + ", ".join(
                f"{plural(n, kind)} {how if n == 1 else how_many}"
                for (kind, how, how_many), n in sorted(self.changed.items())
            ))  # fmt: skip
        if not parts:
            return
        message = f"task {shapes_task.name!r}: {fmt} cannot hold everything: " + "; ".join(parts)
        if strict:
            raise error(message + " (strict=True: nothing was written)")
        warnings.warn(message, UserWarning, stacklevel=3)
