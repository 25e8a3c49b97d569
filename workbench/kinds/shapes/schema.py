"""Spatial annotation tasks: boxes, polygons, polylines, keypoints, masks and cuboids.

A :class:`Shapes` task holds the classes shapes may have, which shape types its
tools offer, per-shape attributes (``occluded``, ``truncated`` ...), a named
skeleton for each keypoint class, and whether masks are per object
(``"instance"``) or per class (``"semantic"``).

Its value (one per item, as for every task) is the item's whole list of
shapes; each shape is a dict:

=============  ==================================================================
``type``       ``"box"``, ``"polygon"``, ``"polyline"``, ``"keypoints"``,
               ``"mask"`` or ``"cuboid"``
``class``      a class name of the task
``id``         unique within the item (given ``"s1"``, ``"s2"`` … when missing)
``z``          drawing order, int (0 when missing)
``attributes`` ``{name: value}`` of the task's attributes (defaults filled in)
``score``      optional: a model's confidence, for pre-labels
geometry       by type, in pixels of the item's full-size image:

               - box: ``bbox: [x, y, w, h]`` (COCO convention, ``w, h >= 0``)
               - polygon: ``points: [[x, y], ...]``, at least 3
               - polyline: ``points: [[x, y], ...]``, at least 2 (an open path)
               - keypoints: ``points: [[x, y, v], ...]``, one per point of the
                 class's skeleton, ``v`` COCO visibility (0 not labeled,
                 1 labeled but hidden, 2 visible)
               - mask: ``rle: {"size": [h, w], "counts": str}``, COCO's
                 compressed RLE (:mod:`workbench.masks`), never pixel lists
               - cuboid: ``front`` and ``back``, each four ``[x, y]`` corners
=============  ==================================================================

:meth:`Shapes.validate` checks all of that, converts numbers to plain floats
(numpy scalars and tuples are fine on input) and returns the value to store.
It is the one check every value passes through before it is stored (Python
API, widgets, importers), so it also bounds what could break an export later:
coordinates are finite and at most :data:`MAX_COORDINATE` (2**24 px) in
magnitude, so sums and products of them (a box's far corner, its area) stay
finite; ``z`` is a whole number of at most :data:`MAX_Z`; a mask's size is
bounded by :data:`workbench.masks.MAX_SIDE` and :data:`~workbench.masks.MAX_PIXELS`
and its runs must sum to it, checked on the runs without decoding the mask; an
uncompressed RLE is stored compressed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ... import masks
from ...errors import SchemaError, UnknownClassError
from ...schema import (
    Attribute,
    LabelClass,
    Task,
    describe,
    filled_classes,
    register_task_kind,
    value_numbers,
    value_points,
)
from ...schema import finite_number as _finite

__all__ = ["Shapes", "Attribute", "Skeleton", "SHAPE_TYPES", "MASK_MODES", "MAX_COORDINATE",
           "MAX_Z"]  # fmt: skip

SHAPE_TYPES = ("box", "polygon", "polyline", "keypoints", "mask", "cuboid")
MASK_MODES = ("instance", "semantic")
#: Largest magnitude of a coordinate, in pixels: the side of the largest mask
#: (:data:`workbench.masks.MAX_SIDE`), far beyond any real image. Sums and products
#: of such numbers stay finite (1e308 is finite, but a box that wide has an
#: infinite area, which JSON cannot hold).
MAX_COORDINATE = masks.MAX_SIDE
#: Largest magnitude of a shape's ``z`` (drawing order): an int32.
MAX_Z = 2**31 - 1
#: Keys of a shape dict besides its geometry.
_COMMON = ("type", "class", "id", "z", "attributes", "score")
_GEOMETRY = {"box": ("bbox",), "polygon": ("points",), "polyline": ("points",),
             "keypoints": ("points",), "mask": ("rle",), "cuboid": ("front", "back")}  # fmt: skip


@dataclass(frozen=True)
class Skeleton:
    """Named keypoints and the edges drawn between them (pairs of point names)."""

    points: tuple[str, ...]
    edges: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        points = tuple(str(p) for p in self.points)
        if not points:
            raise SchemaError("a skeleton needs at least one point")
        if len(set(points)) != len(points):
            raise SchemaError(f"skeleton points repeat: {sorted(points)}")
        edges = tuple((str(a), str(b)) for a, b in self.edges)
        for a, b in edges:
            if a not in points or b not in points:
                raise SchemaError(f"skeleton edge ({a!r}, {b!r}) names a point not in {points}")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "edges", edges)

    def to_dict(self) -> dict[str, Any]:
        return {"points": list(self.points), "edges": [list(e) for e in self.edges]}


@register_task_kind
@dataclass(frozen=True)
class Shapes(Task):
    """Spatial annotation of an item: a list of shapes, each with a class.

    Parameters
    ----------
    name : str
    classes : sequence of LabelClass or str
        Keys and colours are filled in as for :class:`~workbench.Classification`.
    types : sequence of str
        The shape types the tools offer (all of :data:`SHAPE_TYPES` by default).
    attributes : sequence of Attribute
        Attributes every shape has.
    skeletons : mapping of class name to Skeleton
        The keypoints of each class that is labeled with keypoints.
    masks : {"instance", "semantic"}
        Per-object masks, or at most one mask per class on an item.
    """

    kind: ClassVar[str] = "shapes"
    classes: tuple[LabelClass, ...] = ()
    types: tuple[str, ...] = SHAPE_TYPES
    attributes: tuple[Attribute, ...] = ()
    skeletons: tuple[tuple[str, Skeleton], ...] = ()
    masks: str = "instance"

    def __post_init__(self) -> None:
        # Classes: the same rules, keys and colours as classification.
        if not isinstance(self.name, str) or not self.name.strip():
            raise SchemaError(f"task name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "classes", filled_classes(self.name, self.classes))
        types = tuple(self.types)
        unknown = [t for t in types if t not in SHAPE_TYPES]
        if unknown or not types:
            raise SchemaError(
                f"task {self.name!r}: shape types must be some of {list(SHAPE_TYPES)}, "
                f"got {list(types)}"
            )
        object.__setattr__(self, "types", types)
        attrs = tuple(a if isinstance(a, Attribute) else Attribute(str(a)) for a in self.attributes)
        names = [a.name for a in attrs]
        if len(set(names)) != len(names):
            raise SchemaError(f"task {self.name!r}: attribute names repeat: {sorted(names)}")
        object.__setattr__(self, "attributes", attrs)
        pairs = self.skeletons.items() if isinstance(self.skeletons, Mapping) else self.skeletons
        skeletons = tuple(
            (str(c), s if isinstance(s, Skeleton) else Skeleton(**s)) for c, s in pairs
        )
        for cls_name, _ in skeletons:
            if cls_name not in self.class_names:
                raise UnknownClassError(
                    f"task {self.name!r}: a skeleton for {cls_name!r}, which is not a class"
                )
        object.__setattr__(self, "skeletons", skeletons)
        if self.masks not in MASK_MODES:
            raise SchemaError(
                f"task {self.name!r}: masks must be one of {list(MASK_MODES)}, got {self.masks!r}"
            )

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    def skeleton(self, cls_name: str) -> Skeleton | None:
        return dict(self.skeletons).get(cls_name)

    # -- values -----------------------------------------------------------------
    def validate(self, value: Any) -> list[dict[str, Any]]:
        """The item's shapes, normalised for storage, or a :class:`SchemaError` naming
        the shape (by position and id) and the field that is wrong."""
        if isinstance(value, Mapping) or isinstance(value, str) or not isinstance(value, Iterable):
            raise SchemaError(
                f"task {self.name!r}: the value is a list of shapes, got {type(value).__name__}"
            )
        out: list[dict[str, Any]] = []
        ids: set[str] = set()
        for i, shape in enumerate(value):
            out.append(self._shape(shape, i))
        n = 0
        for s in out:
            if s["id"] is None:
                n += 1
                while f"s{n}" in ids or any(o["id"] == f"s{n}" for o in out):
                    n += 1
                s["id"] = f"s{n}"
            if s["id"] in ids:
                raise SchemaError(f"task {self.name!r}: shape id {s['id']!r} is used twice")
            ids.add(s["id"])
        if self.masks == "semantic":
            seen: set[str] = set()
            for s in out:
                if s["type"] == "mask":
                    if s["class"] in seen:
                        raise SchemaError(
                            f"task {self.name!r} has semantic masks: one mask per class, but "
                            f"class {s['class']!r} has two"
                        )
                    seen.add(s["class"])
        return out

    def _shape(self, shape: Any, i: int) -> dict[str, Any]:
        where = f"task {self.name!r}, shape {i}"
        if not isinstance(shape, Mapping):
            raise SchemaError(f"{where}: a shape is a dict, got {type(shape).__name__}")
        if shape.get("id") is not None:
            where += f" (id {describe(shape['id'])})"
        kind = shape.get("type")
        if not isinstance(kind, str) or kind not in SHAPE_TYPES:
            raise SchemaError(
                f"{where}: type must be one of {list(SHAPE_TYPES)}, got {describe(kind)}"
            )
        if kind not in self.types:
            raise SchemaError(f"{where}: this task has no {kind!r} tool; types: {list(self.types)}")
        extra = sorted(set(shape) - set(_COMMON) - set(_GEOMETRY[kind]))
        if extra:
            raise SchemaError(f"{where}: unknown field {describe(extra[0])} for a {kind}")
        cls_name = shape.get("class")
        if not isinstance(cls_name, str) or cls_name not in self.class_names:
            raise UnknownClassError(
                f"{where}: no class {describe(cls_name)}; classes: {self.class_names}"
            )
        sid = shape.get("id")
        if sid is not None and (
            isinstance(sid, bool) or not isinstance(sid, str | int)
            or (isinstance(sid, int) and not -(2**63) <= sid < 2**63)
        ):  # fmt: skip
            raise SchemaError(f"{where}: id must be a string, got {describe(sid)}")
        z = shape.get("z", 0)
        if isinstance(z, bool) or not isinstance(z, int | float) or (
            isinstance(z, float) and not (math.isfinite(z) and z.is_integer())
        ):  # fmt: skip
            raise SchemaError(f"{where}: z must be an int, got {describe(z)}")
        if abs(z) > MAX_Z:
            raise SchemaError(f"{where}: z must be an int of at most {MAX_Z} in magnitude, "
                              f"got {describe(z)}")  # fmt: skip
        out: dict[str, Any] = {"type": kind, "class": cls_name,
                               "id": None if sid is None else str(sid), "z": int(z)}  # fmt: skip
        out["attributes"] = self._attributes(shape.get("attributes") or {}, where)
        if shape.get("score") is not None:
            score = _finite(shape["score"])
            if score is None or not 0.0 <= score <= 1.0:
                raise SchemaError(
                    f"{where}: score must be a number from 0 to 1, got {describe(shape['score'])}"
                )
            out["score"] = score
        out.update(self._geometry(kind, shape, cls_name, where))
        return out

    def _attributes(self, given: Any, where: str) -> dict[str, Any]:
        if not isinstance(given, Mapping):
            raise SchemaError(f"{where}: attributes must be a dict, got {type(given).__name__}")
        known = {a.name: a for a in self.attributes}
        unknown = sorted(str(k) for k in set(given) - set(known))
        if unknown:
            raise SchemaError(
                f"{where}: no attribute {describe(unknown[0])}; attributes: {sorted(known)}"
            )
        return {n: a.check(given[n], where) if n in given else a.default for n, a in known.items()}

    def _geometry(self, kind: str, shape: Mapping[str, Any], cls_name: str, where: str) -> dict:
        for key in _GEOMETRY[kind]:
            if key not in shape:
                raise SchemaError(f"{where}: a {kind} needs {key!r}")
        if kind == "box":
            box = _numbers(shape["bbox"], f"{where}: bbox", length=4)
            if box[2] < 0 or box[3] < 0:
                raise SchemaError(f"{where}: bbox width and height must be >= 0, got {box}")
            return {"bbox": box}
        if kind in ("polygon", "polyline"):
            least = 3 if kind == "polygon" else 2
            points = _points(shape["points"], f"{where}: points", dims=2)
            if len(points) < least:
                raise SchemaError(
                    f"{where}: a {kind} needs at least {least} points, got {len(points)}"
                )
            return {"points": points}
        if kind == "keypoints":
            skeleton = self.skeleton(cls_name)
            if skeleton is None:
                raise SchemaError(f"{where}: class {cls_name!r} has no skeleton in this task")
            points = _points(shape["points"], f"{where}: points", dims=3)
            if len(points) != len(skeleton.points):
                raise SchemaError(
                    f"{where}: {cls_name!r} keypoints are {list(skeleton.points)}: "
                    f"{len(skeleton.points)} points, got {len(points)}"
                )
            for name, p in zip(skeleton.points, points, strict=True):
                if p[2] not in (0, 1, 2):
                    raise SchemaError(
                        f"{where}: visibility of {name!r} must be 0, 1 or 2, got {p[2]}"
                    )
                p[2] = int(p[2])
            return {"points": points}
        if kind == "mask":
            rle = shape["rle"]
            try:
                masks.area(rle)  # checks size and counts without decoding the pixels
                counts = rle["counts"]
                if isinstance(counts, bytes):  # pycocotools' own form; ASCII, area() checked
                    counts = counts.decode("ascii")
                elif not isinstance(counts, str):  # uncompressed: stored compressed
                    counts = masks.compress(rle)["counts"]
            except (ValueError, TypeError) as exc:
                raise SchemaError(f"{where}: rle: {exc}") from None
            return {"rle": {"size": [int(v) for v in rle["size"]], "counts": counts}}
        front = _points(shape["front"], f"{where}: front", dims=2)
        back = _points(shape["back"], f"{where}: back", dims=2)
        if len(front) != 4 or len(back) != 4:
            raise SchemaError(f"{where}: a cuboid's front and back have 4 corners each")
        return {"front": front, "back": back}

    def value_schema(self) -> dict[str, Any]:
        """The JSON Schema of a stored shape list (what :meth:`validate` returns):
        each shape's type, class, id, z, attributes and score, and its geometry by
        type with coordinates bounded by :data:`MAX_COORDINATE`. Coarser than
        :meth:`validate` (skeleton lengths, ids used twice, semantic masks and the
        RLE's runs are left to it), which is all the database needs to refuse a
        value no reader could use."""
        coord = {"type": "number", "minimum": -MAX_COORDINATE, "maximum": MAX_COORDINATE}
        xy = {"type": "array", "items": coord, "minItems": 2, "maxItems": 2}
        xyv = {"type": "array", "items": coord, "minItems": 3, "maxItems": 3}
        geometry = {
            "box": {"bbox": {"type": "array", "items": coord, "minItems": 4, "maxItems": 4}},
            "polygon": {"points": {"type": "array", "items": xy, "minItems": 3}},
            "polyline": {"points": {"type": "array", "items": xy, "minItems": 2}},
            "keypoints": {"points": {"type": "array", "items": xyv}},
            "mask": {
                "rle": {
                    "type": "object",
                    "required": ["size", "counts"],
                    "additionalProperties": False,
                    "properties": {
                        "size": {
                            "type": "array", "minItems": 2, "maxItems": 2,
                            "items": {"type": "integer", "minimum": 0,
                                      "maximum": masks.MAX_SIDE},
                        },
                        "counts": {"type": "string"},
                    },
                }
            },
            "cuboid": {
                "front": {"type": "array", "items": xy, "minItems": 4, "maxItems": 4},
                "back": {"type": "array", "items": xy, "minItems": 4, "maxItems": 4},
            },
        }  # fmt: skip
        common = {
            "class": {"type": "string", "enum": self.class_names},
            "id": {"type": "string"},
            "z": {"type": "integer", "minimum": -MAX_Z, "maximum": MAX_Z},
            "attributes": {
                "type": "object",
                "additionalProperties": False,
                "properties": {a.name: a.value_schema() for a in self.attributes},
            },
            "score": {"type": "number", "minimum": 0, "maximum": 1},
        }
        shapes = [
            {
                "type": "object",
                "required": ["type", "class", *_GEOMETRY[kind]],
                "additionalProperties": False,
                "properties": {"type": {"enum": [kind]}, **common, **geometry[kind]},
            }
            for kind in self.types
        ]
        return {"type": "array", "items": {"anyOf": shapes}}

    # -- schema -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "classes": [c.to_dict() for c in self.classes],
            "types": list(self.types),
            "attributes": [a.to_dict() for a in self.attributes],
            "skeletons": {c: s.to_dict() for c, s in self.skeletons},
            "masks": self.masks,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Shapes:
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            classes=tuple(LabelClass.from_dict(c) for c in data["classes"]),
            types=tuple(data.get("types", SHAPE_TYPES)),
            attributes=tuple(Attribute.from_dict(a) for a in data.get("attributes", ())),
            skeletons=tuple(
                (c, Skeleton(tuple(s["points"]), tuple(tuple(e) for e in s.get("edges", ()))))
                for c, s in data.get("skeletons", {}).items()
            ),
            masks=data.get("masks", "instance"),
        )  # fmt: skip


def _numbers(values: Any, where: str, *, length: int | None = None) -> list[float]:
    return value_numbers(values, where, length=length, bound=MAX_COORDINATE)


def _points(values: Any, where: str, *, dims: int) -> list[list[float]]:
    return value_points(values, where, dims=dims, bound=MAX_COORDINATE)
