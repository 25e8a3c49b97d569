"""What the per-image formats (YOLO, Pascal VOC) read from and write to a project.

- :func:`labeled_items`: the current shapes of every labeled item, in item order;
- :func:`file_stem`: the name a per-image file gets (``img0`` for ``…/img0.png``);
- :class:`ItemIndex`: finds the item an annotation file names;
- :class:`Losses`: counts what an exporter could not write as it was, and
  names all of it in one warning (or one error with ``strict=True``);

and the checks every importer and exporter makes the same way:

- :func:`read_file`: a file's bytes, refused past a size limit
  (:data:`MAX_DATASET_BYTES` for a file that holds a whole data set,
  :data:`MAX_FILE_BYTES` for one image's labels) before it is read;
- :func:`real_size`: an item's size, from its image file's header;
- :func:`outside_image`: whether a shape lies within its image.

**Coordinates outside the image.** Real data sets have shapes that reach a
little past the border (a box rounded outwards, a point placed on the edge of
the last pixel). An importer accepts a coordinate up to :data:`EDGE_MARGIN_PX`
(1 px) or :data:`EDGE_MARGIN_FRACTION` (1 %) of the image's side outside the
image, whichever is more, and stores it as it is; beyond that it refuses the
file, naming the record and the field. A mask's RLE size must be its image's
size exactly. The image's size is always its file's header
(:func:`~workbench.kinds.shapes.formats._images.image_header`), never a size the file
states; a stated size that differs is refused too. An exporter never writes a
number JSON, XML or text cannot read back (``inf``, ``nan``):
:func:`all_finite`.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .... import geometry
from ....errors import ItemReadError, SchemaError
from ....files import read_bytes
from ....items import PROGRESS_MIN, progress_bar
from ....store.base import MAX_VALUE_BYTES
from ..schema import Shapes, describe
from ._images import image_header

__all__ = [
    "shapes_task",
    "labeled_items",
    "file_stem",
    "ItemIndex",
    "Losses",
    "read_file",
    "real_size",
    "outside_image",
    "beyond_edge",
    "shape_field",
    "all_finite",
    "describe",
    "MAX_DATASET_BYTES",
    "MAX_FILE_BYTES",
    "EDGE_MARGIN_PX",
    "EDGE_MARGIN_FRACTION",
    "PROGRESS_MIN",
    "progress_bar",
]

#: Bytes of a file that holds a whole data set (a COCO file, a YOLO list of
#: images). LVIS's training annotations are 1.1 GB of JSON; reading 2 GiB of
#: JSON into Python objects already takes tens of GB of memory.
MAX_DATASET_BYTES = 2**31
#: Bytes of a file that holds one image's labels (a YOLO label file, a VOC XML
#: file) or a data set's description (``data.yaml``): the shapes of one image
#: are one label event of at most ``MAX_VALUE_BYTES`` of JSON, and no text form
#: of them is four times as long.
MAX_FILE_BYTES = 4 * MAX_VALUE_BYTES
#: How far outside its image a coordinate may lie, in pixels ...
EDGE_MARGIN_PX = 1.0
#: ... or as a fraction of the image's side, whichever is more.
EDGE_MARGIN_FRACTION = 0.01


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


# ---------------------------------------------------------------------------
# checks shared by the importers and exporters


def read_file(path: str | os.PathLike, limit: int, error: Callable[[str], Exception]) -> bytes:
    """:func:`workbench.files.read_bytes` with the limit given first."""
    return read_bytes(path, error, limit)


def real_size(
    project: Any,
    record: Any,
    error: Callable[[str], Exception],
    where: str,
    why: str = "coordinates are checked against the image",
) -> tuple[int, int]:
    """``(width, height)`` of an item's image, from its file's header (no pixel is
    decoded), or ``error`` saying ``where`` and ``why`` it was needed and why it
    cannot be read."""
    try:
        w, h, _ = image_header(project, record)
    except (ItemReadError, OSError, ValueError) as exc:
        raise error(
            f"{where}: {why}, and the size of item {record.item_id!r} cannot be read: {exc}"
        ) from None
    return w, h


def edge_margin(side: int) -> float:
    """How far outside an image whose side is ``side`` pixels a coordinate may lie."""
    return max(EDGE_MARGIN_PX, EDGE_MARGIN_FRACTION * side)


def _extent(shape: dict[str, Any]) -> list[float] | None:
    """``[x, y, w, h]`` around a shape's coordinates (its labeled keypoints only)."""
    kind = shape["type"]
    if kind == "box":
        return shape["bbox"]
    if kind == "keypoints":
        points = [p[:2] for p in shape["points"] if p[2] > 0]
    elif kind == "cuboid":
        points = [*shape["front"], *shape["back"]]
    else:
        points = shape["points"]
    return geometry.bbox_of(points) if points else None


def outside_image(shape: dict[str, Any], width: int, height: int) -> tuple[str, str] | None:
    """``(key, message)`` when a validated shape lies outside a ``width × height``
    image by more than the margin (see the module docstring), naming the shape's
    geometry key (``bbox``, ``points``, ``front``, ``rle``) and the coordinate; else
    None. A mask must be its image's size exactly; an unlabeled keypoint (``v = 0``)
    has no position to check."""
    kind = shape["type"]
    if kind == "mask":
        size = list(shape["rle"]["size"])
        if size != [height, width]:
            return "rle", (
                f"the mask's size [height, width] {size} is not its image's {[height, width]} "
                "(read from the image file)"
            )
        return None
    extent = _extent(shape)
    message = None if extent is None else beyond_edge(extent, kind, width, height)
    return None if message is None else (_GEOMETRY_KEY[kind], message)


def beyond_edge(extent: list[float], kind: str, width: int, height: int) -> str | None:
    """What of ``extent`` (``[x, y, w, h]`` around a shape of type ``kind``) lies
    outside a ``width × height`` image by more than the margin, or None."""
    x, y, w, h = extent
    # The margin, and rounding past it: x + w of a box on the margin can land 4e-15 beyond.
    mx, my = edge_margin(width) + CLIP_TOLERANCE, edge_margin(height) + CLIP_TOLERANCE
    if -mx <= x <= x + w <= width + mx and -my <= y <= y + h <= height + my:
        return None  # the usual case, in one expression (exports test every shape)
    if kind == "box":
        names = ("x", "y", "x + w", "y + h")
    else:
        names = ("the least x", "the least y", "the largest x", "the largest y")
    for name, v, side, m in zip(names, (x, y, x + w, y + h), (width, height) * 2, (mx, my) * 2,
                                strict=True):  # fmt: skip
        if not -m <= v <= side + m:
            return (f"{name} is {v:g}, more than {m - CLIP_TOLERANCE:g} px outside the "
                    f"{width} × {height} image (0 to {side})")  # fmt: skip
    return None


def shape_field(shapes_task: Shapes, shape: dict[str, Any], exc: SchemaError) -> str:
    """The key of ``shape`` that :meth:`Shapes.validate` (given ``[shape]``) refused
    with ``exc``: ``attributes``, ``score``, ``z``, ``id``, ``class``, ``type`` (a
    geometry the task has no tool for), else the shape's geometry key (``bbox``,
    ``points``, ``rle``, ``front`` or ``back``)."""
    prefix = f"task {shapes_task.name!r}, shape 0"
    if shape.get("id") is not None:
        prefix += f" (id {describe(shape['id'])})"
    text = str(exc).removeprefix(prefix + ": ")
    for start, key in (("bbox", "bbox"), ("points", "points"), ("front", "front"),
                       ("back", "back"), ("rle", "rle"), ("visibility", "points"),
                       ("attribute", "attributes"), ("no attribute", "attributes"),
                       ("score", "score"), ("z ", "z"), ("id ", "id"), ("no class", "class"),
                       ("type", "type"), ("this task has no", "type")):  # fmt: skip
        if text.startswith(start):
            return key
    return _GEOMETRY_KEY.get(shape.get("type"), "type")  # type: ignore[arg-type]


_GEOMETRY_KEY = {"box": "bbox", "polygon": "points", "polyline": "points",
                 "keypoints": "points", "mask": "rle", "cuboid": "front"}  # fmt: skip


def all_finite(*groups: Iterable[Any]) -> bool:
    """Whether lists of numbers can be written as JSON, XML or text and read back: no
    ``inf`` or ``nan`` (nor numbers whose sum leaves the float range, as no coordinate
    that passed :meth:`Shapes.validate` does). One sum: inf and nan survive addition."""
    try:
        return math.isfinite(sum(sum(g) for g in groups))
    except (TypeError, OverflowError):
        return False
