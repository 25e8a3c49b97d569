"""COCO object-detection JSON for a :class:`~workbench.Shapes` task.

:func:`to_coco` writes the current labels of a Shapes task as a COCO dict
(``images``, ``annotations``, ``categories``, see
https://cocodataset.org/#format-data); :func:`from_coco` reads one back as
label events. How shapes map to annotations:

=============  ==================================================================
box            ``bbox``, and ``segmentation`` the box as the polygon pycocotools'
               ``loadRes`` gives a box-only result (``[[x, y, x, y+h, x+w, y+h,
               x+w, y]]``), so that ``COCOeval(iouType="segm")`` rasterises it
               (``segmentation: []`` crashes it); ``workbench_type: "box"`` tells
               the importer it is a box
polygon        ``segmentation: [[x0, y0, x1, y1, ...]]``, ``bbox`` and ``area``
               computed from the points
mask           ``segmentation: {"size": [h, w], "counts": str}`` (compressed
               RLE), ``area``/``bbox`` from the runs; ``iscrowd`` stays 0
keypoints      ``keypoints: [x, y, v, ...]``, ``num_keypoints`` (points with
               ``v > 0``), ``bbox`` around those points; the category lists the
               skeleton's point names and its edges as 1-based index pairs; its
               box polygon as ``segmentation`` and ``workbench_type: "keypoints"``
polyline,      no COCO form: dropped with a warning that names them
cuboid         (``strict=True`` refuses instead)
=============  ==================================================================

``iscrowd`` is the task's bool attribute ``iscrowd`` when it has one: read
from each annotation, written back as 0/1 (without the attribute, crowd
annotations are imported with a warning that counts them, and written with
``iscrowd: 0``). ``file_name`` is the image's path relative to the images
folder (``image_root``, by default the deepest folder holding every labeled
item's file), as COCO readers join it; on import a relative ``file_name`` finds
the item whose path ends with it.

Every other field of a shape is kept in fields COCO readers ignore:
``attributes`` (CVAT's convention), ``score``, ``workbench_shape_id`` and
``workbench_z``; each image keeps its item id in ``workbench_id``. Numbers are
written as Python floats, so an export then import gives back the same shapes.

On import, a segmentation list with several polygons gives one polygon shape
each; an annotation with keypoints and a segmentation gives both shapes; an
annotation with neither gives a box.

Bounds (see :mod:`workbench.kinds.shapes.formats._project`). The file is read only up to
:data:`~workbench.kinds.shapes.formats._project.MAX_DATASET_BYTES`; JSON nested too deeply
for Python's parser, or too large for memory, is a :class:`CocoFormatError`
naming the file. Every coordinate and size is checked against the item's real
image, read from its file's header: an image's ``width``/``height``, when
given, must be that size; a coordinate may lie outside the image by at most
1 px or 1 % of its side (whichever is more); an RLE's ``size`` must be the
image's ``[height, width]``, checked before its runs are read, and an
uncompressed RLE is compressed from its runs, never decoded. Numbers must be
finite and within what :meth:`~workbench.Shapes.validate` allows.

On export, a shape lying outside its image by more than that margin (stored
through the Python API, which does not know the image) is clipped to the image,
and a mask whose size is not its image's is dropped, both named in the
warning, so that :func:`from_coco` reads back whatever :func:`to_coco` writes;
a number JSON cannot hold (``Infinity``, ``NaN``) is never written: the export
is refused naming the item and the shape.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .... import geometry, masks
from ....errors import ItemReadError, SchemaError, WorkbenchError
from ....store.base import _gc_paused
from ..schema import Shapes
from ._images import image_header
from ._project import (
    MAX_DATASET_BYTES,
    Losses,
    all_finite,
    beyond_edge,
    describe,
    has_file,
    outside_image,
    progress_bar,
    read_file,
    real_size,
    shape_field,
)

__all__ = ["to_coco", "from_coco", "CocoFormatError"]

#: Shape types COCO cannot hold, and why.
_NO_COCO_FORM = {
    "polyline": "no open paths",
    "cuboid": "no 3-D boxes",
}
_MATCH = ("file_name", "workbench_id")


class CocoFormatError(WorkbenchError, ValueError):
    """A COCO file is malformed or does not fit the project; the message names the
    file, the record (``annotations[12] (id 57)``) and the field."""


# ---------------------------------------------------------------------------
# export


def to_coco(
    project: Any,
    *,
    task: str | None = None,
    path: str | os.PathLike | None = None,
    strict: bool = False,
    image_root: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """The current labels of a Shapes task as a COCO dict.

    Parameters
    ----------
    project : Project
    task : str, optional
        The Shapes task (the schema's first task by default).
    path : str or PathLike, optional
        Also write the dict there as JSON.
    strict : bool, default False
        Raise :class:`CocoFormatError` instead of warning when a shape has no
        COCO form (polylines and cuboids).
    image_root : str or PathLike, optional
        The images folder ``file_name`` is relative to, as COCO readers
        (pycocotools, supervision, datumaro) join it: by default the deepest
        folder that holds every labeled item's local file. An item file outside
        a given ``image_root`` is a :class:`CocoFormatError`.
    progress : bool, optional
        Show a progress bar over the labeled items (default: when there are at
        least :data:`~workbench.items.PROGRESS_MIN` of them).

    Returns
    -------
    dict
        ``images`` (one per labeled item, ``id`` 1..N in item order, with
        ``file_name`` the item's file relative to the images folder with ``/``
        separators (a remote URI as it is; the item id for items with no file
        of their own: array rows, copied images),
        ``width``/``height`` read from the image, or from a mask's RLE size when
        the image cannot be read, left out when neither is known, and
        ``workbench_id``), ``annotations`` (ids 1..M) and ``categories`` (the
        task's classes, ids 1..K).

    Warns
    -----
    UserWarning
        Naming how many shapes of each type were dropped, and why, and how many
        were clipped to their image.

    Raises
    ------
    CocoFormatError
        With ``strict=True`` when anything is dropped or clipped; and when a
        stored number would be written as ``Infinity`` or ``NaN`` (a value
        stored before those were refused), naming the item and the shape.
    """
    shapes_task = _shapes_task(project, task)
    cat_ids = {name: k for k, name in enumerate(shapes_task.class_names, start=1)}
    losses = Losses()
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    # Several new lists and dicts per shape, none in a cycle: left running, the
    # cyclic collector walks them, the labels and whatever else the kernel holds
    # hundreds of times (over a second for 100,000 shapes).
    with _gc_paused():
        labels = project.labels(shapes_task.name)
        values = {
            str(i): v for i, v in zip(labels["item_id"], labels["label"], strict=True)
            if isinstance(v, list)
        }  # fmt: skip
        order = [i for i in project.item_ids() if i in values]
        records = {r.item_id: r for r in project.store.get_items(order)} if order else {}
        file_names = _file_names([records[i] for i in order], image_root)
        bar = progress_bar(len(order), "COCO export", progress)
        for image_id, item_id in enumerate(order, start=1):
            bar.update(1)
            record = records[item_id]
            shapes = values[item_id]
            image: dict[str, Any] = {"id": image_id, "file_name": file_names[item_id]}
            size, real = _image_size(project, record, shapes)
            if size is not None:
                image["width"], image["height"] = size
            image["workbench_id"] = item_id
            images.append(image)
            for shape in shapes:
                kind = shape["type"]
                if kind in _NO_COCO_FORM:
                    losses.drop(kind, _NO_COCO_FORM[kind])
                    continue
                geometry_ = _GEOMETRY_TO_COCO[kind](shape)
                if real and size is not None:  # what from_coco would refuse is not written
                    if kind == "mask" and list(shape["rle"]["size"]) != [size[1], size[0]]:
                        losses.drop("mask", "its size is not its image's")
                        continue
                    if kind != "mask" and beyond_edge(geometry_["bbox"], kind, *size):
                        losses.change("shape", "clipped to the image")
                        geometry_ = _GEOMETRY_TO_COCO[kind](_clip(shape, *size))
                attributes = dict(shape.get("attributes") or {})
                ann = {"id": len(annotations) + 1, "image_id": image_id,
                       "category_id": cat_ids[shape["class"]],
                       "iscrowd": 1 if attributes.get("iscrowd") is True else 0, **geometry_,
                       "attributes": attributes}  # fmt: skip
                if kind in ("box", "keypoints"):  # the segmentation is only the box
                    ann["workbench_type"] = kind
                if shape.get("score") is not None:
                    ann["score"] = shape["score"]
                ann["workbench_shape_id"] = shape["id"]
                ann["workbench_z"] = shape.get("z", 0)
                if not _finite(ann):
                    raise CocoFormatError(
                        f"item {item_id!r}: shape {describe(shape.get('id'))}: a number "
                        "COCO's JSON cannot hold (infinite, not a number, or too large for "
                        "its area); the label was stored before such values were refused: "
                        "correct it (nothing was written)"
                    )
                annotations.append(ann)
        bar.close()

    losses.report(shapes_task, "COCO", strict, CocoFormatError)

    out = {
        "info": {"description": f"workbench task {shapes_task.name!r}"},
        "images": images,
        "annotations": annotations,
        "categories": [_category(shapes_task, name, k) for name, k in cat_ids.items()],
    }
    if path is not None:
        Path(path).write_text(json.dumps(out, allow_nan=False), encoding="utf-8")
    return out


def _shapes_task(project: Any, task: str | None) -> Shapes:
    t = project.schema.task(task)
    if not isinstance(t, Shapes):
        raise SchemaError(f"COCO needs a shapes task; task {t.name!r} is {t.kind!r}")
    return t


def _file_names(records: list[Any], image_root: str | os.PathLike | None) -> dict[str, str]:
    """Each item's ``file_name``: its local file relative to ``image_root`` (by default
    the deepest folder holding every local file), ``/``-separated; a remote URI as it
    is; the item id for an item with no file of its own."""
    local = {r.item_id: _local_path(r) for r in records}
    paths = [p for p in local.values() if p is not None]
    if image_root is not None:
        root = os.path.abspath(os.fspath(image_root))
    elif paths:
        root = os.path.commonpath([os.path.dirname(p) for p in paths])
    out: dict[str, str] = {}
    for r in records:
        p = local[r.item_id]
        if p is None:
            out[r.item_id] = r.uri if has_file(r) else r.item_id
            continue
        rel = os.path.relpath(p, root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            raise CocoFormatError(
                f"item {r.item_id!r}: its file {p} is not under image_root {root} "
                "(nothing was written)"
            )
        out[r.item_id] = rel.replace(os.sep, "/")
    return out


def _local_path(record: Any) -> str | None:
    """The absolute local path of an item's own file, or None (no file, or remote)."""
    if not has_file(record):
        return None
    uri = record.uri
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    elif "://" in uri or "::" in uri:
        return None
    return os.path.abspath(uri)


def _image_size(
    project: Any, record: Any, shapes: list[dict]
) -> tuple[tuple[int, int] | None, bool]:
    """``((width, height), read from the image)``, or from a mask when the image
    cannot be read, or ``(None, False)``."""
    try:  # from the file's header: no pixel is decoded
        w, h, _ = image_header(project, record)  # EXIF orientation applied, as load() does
        return (w, h), True
    except (ItemReadError, OSError, ValueError, AttributeError):
        pass
    for s in shapes:  # a mask knows the size of the image it was drawn on
        if s["type"] == "mask":
            h, w = s["rle"]["size"]
            return (int(w), int(h)), False
    return None, False


def _clip(shape: Mapping[str, Any], width: int, height: int) -> dict[str, Any]:
    """The shape with its coordinates clamped to the image."""
    if shape["type"] == "box":
        x, y, w, h = shape["bbox"]
        x0, x1 = min(max(x, 0.0), width), min(max(x + w, 0.0), width)
        y0, y1 = min(max(y, 0.0), height), min(max(y + h, 0.0), height)
        return {**shape, "bbox": [x0, y0, x1 - x0, y1 - y0]}
    points = [[min(max(p[0], 0.0), width), min(max(p[1], 0.0), height), *p[2:]]
              for p in shape["points"]]  # fmt: skip
    return {**shape, "points": points}


def _finite(ann: Mapping[str, Any]) -> bool:
    """Whether an annotation's numbers can all be written as JSON (no inf or nan)."""
    seg = ann["segmentation"]
    score = ann.get("score")
    return all_finite(
        ann["bbox"], (ann["area"], 0.0 if score is None else score),
        ann.get("keypoints", ()), *(seg if isinstance(seg, list) else ()),
        (v for v in ann["attributes"].values() if type(v) is float),
    )  # fmt: skip


def _category(shapes_task: Shapes, name: str, k: int) -> dict[str, Any]:
    cat: dict[str, Any] = {"id": k, "name": name, "supercategory": ""}
    skeleton = shapes_task.skeleton(name)
    if skeleton is not None:
        index = {p: j for j, p in enumerate(skeleton.points, start=1)}
        cat["keypoints"] = list(skeleton.points)
        cat["skeleton"] = [[index[a], index[b]] for a, b in skeleton.edges]
    return cat


def _box_polygon(bbox: list[float]) -> list[list[float]]:
    """A box as the polygon pycocotools' ``loadRes`` gives a box-only result, so that
    ``COCOeval(iouType="segm")`` can rasterise it: corners in that order."""
    x, y, w, h = bbox
    return [[x, y, x, y + h, x + w, y + h, x + w, y]]


def _box(shape: Mapping[str, Any]) -> dict[str, Any]:
    x, y, w, h = shape["bbox"]
    return {"bbox": [x, y, w, h], "area": w * h, "segmentation": _box_polygon([x, y, w, h])}


def _polygon(shape: Mapping[str, Any]) -> dict[str, Any]:
    points = shape["points"]
    flat = [float(c) for p in points for c in p]  # numpy reads a flat list faster
    return {"segmentation": [flat], "bbox": geometry.bbox_of(points),
            "area": geometry.polygon_area(flat)}  # fmt: skip


def _mask(shape: Mapping[str, Any]) -> dict[str, Any]:
    rle = {"size": list(shape["rle"]["size"]), "counts": shape["rle"]["counts"]}
    area, bbox = masks.area_and_bbox(rle)  # the runs read once for both
    return {"segmentation": rle, "bbox": bbox, "area": float(area)}


def _keypoints(shape: Mapping[str, Any]) -> dict[str, Any]:
    flat = [float(c) if j < 2 else int(c) for p in shape["points"] for j, c in enumerate(p)]
    seen = [p[:2] for p in shape["points"] if p[2] > 0]
    bbox = geometry.bbox_of(seen) if seen else [0.0, 0.0, 0.0, 0.0]
    return {"keypoints": flat, "num_keypoints": len(seen), "bbox": bbox,
            "area": bbox[2] * bbox[3], "segmentation": _box_polygon(bbox)}  # fmt: skip


#: Each shape type's COCO geometry fields, in the order they are written.
_GEOMETRY_TO_COCO = {"box": _box, "polygon": _polygon, "mask": _mask, "keypoints": _keypoints}


# ---------------------------------------------------------------------------
# import


def from_coco(
    project: Any,
    source: Mapping[str, Any] | str | os.PathLike,
    *,
    task: str | None = None,
    annotator: str = "coco-import",
    match: str = "file_name",
    progress: bool | None = None,
) -> int:
    """Label the project's items from a COCO dict or JSON file.

    Parameters
    ----------
    project : Project
    source : dict, or str or PathLike of a JSON file
    task : str, optional
        The Shapes task to label (the schema's first task by default).
    annotator : str
        Who the label events are recorded as.
    match : {"file_name", "workbench_id"}
        How an image finds its item. ``"file_name"``: by ``workbench_id`` when
        the image has one the project knows, else the item whose URI or id
        equals ``file_name``, else the only item whose file path ends with
        ``file_name`` (a path relative to an images folder), else the only item
        whose file has that basename. ``"workbench_id"``: by ``workbench_id``
        only.
    progress : bool, optional
        Show a progress bar over the annotations (default: when there are at
        least :data:`~workbench.items.PROGRESS_MIN` of them).

    Returns
    -------
    int
        How many items were labeled: one label event per image, holding the
        whole list of its shapes (an image with no annotations gets ``[]``).

    Raises
    ------
    CocoFormatError
        On a malformed file (too large, nested too deeply, not JSON), an image
        not in the project or whose size is not its file's, a category that is
        not a class of the task, or a shape reaching outside its image (see the
        module docstring). The message names the file, the record and the
        field. Nothing is written unless everything is well formed.

    Warns
    -----
    UserWarning
        When crowd annotations (``iscrowd: 1``) arrive and the task has no bool
        attribute ``iscrowd`` to keep the flag in, naming how many.
    """
    if match not in _MATCH:
        raise ValueError(f"match must be one of {list(_MATCH)}, got {match!r}")
    shapes_task = _shapes_task(project, task)
    crowd_attribute = any(a.name == "iscrowd" and a.kind == "bool"
                          for a in shapes_task.attributes)  # fmt: skip
    crowd_dropped = 0
    data, where = _load(source)
    images = _records(data, "images", where)
    anns = _records(data, "annotations", where)
    cats = _records(data, "categories", where)

    categories: dict[int, str] = {}
    for i, cat in enumerate(cats):
        rec = _rec("categories", i, cat)
        cid = _int(cat, "id", where, rec)
        name = _field(cat, "name", where, rec)
        if not isinstance(name, str):
            raise _error(where, rec, "name", f"must be a string, got {describe(name)}")
        if cid in categories:
            raise _error(where, rec, "id", f"category id {cid} is used twice")
        categories[cid] = name

    items = _match_images(project, images, where, match)  # image id -> item id
    sizes = _ImageSizes(project, images, items, where)
    shapes: dict[int, list[tuple[str, dict[str, Any]]]] = {k: [] for k in items}
    used_classes: set[str] = set()
    bar = progress_bar(len(anns), "COCO import", progress, "annotation")
    for i, ann in enumerate(anns):
        bar.update(1)
        rec = _rec("annotations", i, ann)
        _int(ann, "id", where, rec)
        image_id = _int(ann, "image_id", where, rec)
        if image_id not in items:
            raise _error(where, rec, "image_id", f"no image with id {image_id} in 'images'")
        cid = _int(ann, "category_id", where, rec)
        if cid not in categories:
            raise _error(where, rec, "category_id", f"no category with id {cid} in 'categories'")
        cls_name = categories[cid]
        if cls_name not in shapes_task.class_names:
            raise _error(
                where, f"categories (id {cid})", "name",
                f"category {cls_name!r} is not a class of task {shapes_task.name!r}; "
                f"classes: {shapes_task.class_names}",
            )  # fmt: skip
        used_classes.add(cls_name)
        size = sizes.of(image_id)  # (width, height) from the image file's header
        crowd = ann.get("iscrowd", 0)
        if crowd not in (0, 1) or isinstance(crowd, bool | float):
            raise _error(where, rec, "iscrowd", f"must be 0 or 1, got {describe(crowd)}")
        if crowd and not crowd_attribute:
            crowd_dropped += 1
        for shape in _annotation_shapes(ann, cls_name, shapes_task, size, where, rec):
            if crowd_attribute:
                shape["attributes"] = {**(shape.get("attributes") or {}), "iscrowd": crowd == 1}
            try:
                (valid,) = shapes_task.validate([shape])
            except SchemaError as exc:
                raise _error(where, rec, _coco_field(shape, shape_field(shapes_task, shape, exc)),
                             str(exc)) from None  # fmt: skip
            outside = outside_image(valid, *size)
            if outside is not None:
                raise _error(where, rec, _coco_field(shape, outside[0]), outside[1])
            shapes[image_id].append((rec, shape))

    bar.close()
    events = []
    for image_id, item_id in items.items():
        value = [s for _, s in shapes[image_id]]
        try:
            events.append(project.make_event(item_id, value, task=shapes_task.name,
                                             annotator=annotator))  # fmt: skip
        except SchemaError as exc:  # ids used twice, two semantic masks of a class ...
            i = next(j for j, im in enumerate(images) if im.get("id") == image_id)
            raise _error(where, _rec("images", i, images[i]), "annotations", str(exc)) from None
    project.store.append(events)  # one transaction: all or nothing
    if crowd_dropped:
        warnings.warn(
            f"{where}: {crowd_dropped} crowd annotation(s) (iscrowd 1) imported without "
            f"their crowd flag: task {shapes_task.name!r} has no bool attribute 'iscrowd' "
            "to keep it in (add Attribute('iscrowd') to the task to keep it)",
            UserWarning,
            stacklevel=2,
        )
    return len(events)


def _load(source: Any) -> tuple[Mapping[str, Any], str]:
    if isinstance(source, Mapping):
        return source, "<COCO dict>"
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"source must be a COCO dict or a JSON file path, got {type(source)}")
    where = os.fspath(source)
    raw = read_file(where, MAX_DATASET_BYTES, CocoFormatError)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CocoFormatError(f"{where}: not UTF-8 text: {exc}") from None
    except RecursionError:
        # Python's parser recurses once per level: a COCO file nests five levels.
        raise CocoFormatError(f"{where}: not a COCO file: JSON nested too deeply") from None
    except MemoryError:
        raise CocoFormatError(f"{where}: too large to read into memory") from None
    except ValueError as exc:  # JSONDecodeError, an int of more than 4300 digits
        raise CocoFormatError(f"{where}: not JSON: {str(exc)[:200]}") from None
    finally:
        del raw
    if not isinstance(data, Mapping):
        raise CocoFormatError(
            f"{where}: a COCO file holds a JSON object, got {type(data).__name__}"
        )
    return data, where


def _records(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    if key not in data:
        raise CocoFormatError(f"{where}: no {key!r} list")
    recs = data[key]
    if not isinstance(recs, list):
        raise CocoFormatError(f"{where}: {key!r} must be a list, got {type(recs).__name__}")
    for i, r in enumerate(recs):
        if not isinstance(r, Mapping):
            raise CocoFormatError(f"{where}: {key}[{i}] must be an object, got {describe(r)}")
    return recs


def _rec(key: str, i: int, record: Mapping[str, Any]) -> str:
    return f"{key}[{i}]" + (f" (id {describe(record['id'])})" if "id" in record else "")


def _error(where: str, rec: str, field: str, message: str) -> CocoFormatError:
    return CocoFormatError(f"{where}: {rec}: field {field!r}: {message}")


def _field(record: Mapping[str, Any], key: str, where: str, rec: str) -> Any:
    if key not in record:
        raise _error(where, rec, key, "missing")
    return record[key]


def _int(record: Mapping[str, Any], key: str, where: str, rec: str) -> int:
    v = _field(record, key, where, rec)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise _error(where, rec, key, f"must be an int, got {describe(v)}")
    return int(v)


def _floats(v: Any, where: str, rec: str, key: str) -> list[float]:
    if not isinstance(v, list) or not all(_finite_number(c) for c in v):
        raise _error(where, rec, key, f"must be a list of finite numbers, got {describe(v)}")
    return [float(c) for c in v]


def _finite_number(c: Any) -> bool:
    if isinstance(c, bool) or not isinstance(c, numbers.Real):
        return False
    try:
        return math.isfinite(c)
    except OverflowError:  # an int no float holds: 10**400
        return False


def _coco_field(shape: Mapping[str, Any], key: str) -> str:
    """The COCO field a shape's key (:func:`shape_field`) was read from."""
    if key in ("points", "type"):
        return {"box": "bbox", "keypoints": "keypoints"}.get(shape["type"], "segmentation")
    return {"rle": "segmentation", "z": "workbench_z", "id": "workbench_shape_id",
            "class": "category_id"}.get(key, key)  # fmt: skip


class _ImageSizes:
    """Each image's real ``(width, height)``, read from its file's header when first
    asked for (images with no annotations are never read), and checked against the
    ``width`` and ``height`` the file gives."""

    def __init__(
        self, project: Any, images: list[Mapping[str, Any]], items: dict[int, str], where: str
    ) -> None:
        self.project, self.images, self.items, self.where = project, images, items, where
        self.index = {im["id"]: i for i, im in enumerate(images)}  # ids checked by the matching
        self.sizes: dict[int, tuple[int, int]] = {}

    def of(self, image_id: int) -> tuple[int, int]:
        if image_id in self.sizes:
            return self.sizes[image_id]
        i = self.index[image_id]
        im = self.images[i]
        rec = _rec("images", i, im)
        (record,) = self.project.store.get_items([self.items[image_id]])
        size = real_size(self.project, record, CocoFormatError, f"{self.where}: {rec}")
        for key, real in zip(("width", "height"), size, strict=True):
            given = im.get(key)
            if given is None:
                continue
            if isinstance(given, bool) or not isinstance(given, numbers.Real) or given != real:
                raise _error(
                    self.where, rec, key, f"{describe(given)}, but the image file "
                    f"{record.uri!r} is {size[0]} × {size[1]} pixels (width × height)",
                )  # fmt: skip
        self.sizes[image_id] = size
        return size


def _match_images(
    project: Any, images: list[Mapping[str, Any]], where: str, match: str
) -> dict[int, str]:
    ids = project.item_ids()
    known = set(ids)
    by_name: dict[str, str] = {}
    by_base: dict[str, list[str]] = {}
    by_tail: dict[str, list[str]] = {}  # "sub/a.png" -> items whose path ends with it
    if match == "file_name":
        for r in project.store.get_items(ids) if ids else []:
            by_name[r.item_id] = r.item_id
            if r.uri is not None:
                by_name[r.uri] = r.item_id
                if r.uri.startswith("file://"):
                    by_name[r.uri[len("file://") :]] = r.item_id
                by_base.setdefault(_basename(r.uri), []).append(r.item_id)
    out: dict[int, str] = {}
    seen: dict[str, str] = {}
    missing: list[str] = []
    for i, im in enumerate(images):
        rec = _rec("images", i, im)
        image_id = _int(im, "id", where, rec)
        if image_id in out:
            raise _error(where, rec, "id", f"image id {image_id} is used twice")
        wid = im.get("workbench_id")
        if isinstance(wid, int) and not isinstance(wid, bool):
            wid = str(wid)  # item ids are strings; a file may give a number
        item = wid if isinstance(wid, str) and wid in known else None
        if item is None and match == "workbench_id":
            missing.append(f"{rec}: workbench_id {describe(wid)}")
            continue
        if item is None:
            name = _field(im, "file_name", where, rec)
            if not isinstance(name, str):
                raise _error(where, rec, "file_name", f"must be a string, got {describe(name)}")
            item = by_name.get(name)
            tail = name.replace("\\", "/").removeprefix("./")
            if item is None and "/" in tail:
                if not by_tail:  # built once, when a relative path first needs it
                    for uri, i in by_name.items():
                        parts = uri.replace("\\", "/").split("/")
                        for k in range(2, len(parts)):
                            by_tail.setdefault("/".join(parts[-k:]), []).append(i)
                candidates = sorted(set(by_tail.get(tail, [])))
                if len(candidates) > 1:
                    raise _error(where, rec, "file_name", f"{name!r} matches {len(candidates)} "
                                 "items by path; give 'workbench_id' or the full URI")  # fmt: skip
                item = candidates[0] if candidates else None
            if item is None:
                candidates = by_base.get(_basename(name), [])
                if len(candidates) > 1:
                    raise _error(
                        where, rec, "file_name",
                        f"{name!r} matches {len(candidates)} items by basename; give "
                        "'workbench_id' or the full URI",
                    )  # fmt: skip
                item = candidates[0] if candidates else None
            if item is None:
                missing.append(f"{rec}: file_name {describe(name)}")
                continue
        if item in seen:
            raise _error(where, rec, "file_name", f"item {item!r} is also {seen[item]}")
        seen[item] = rec
        out[image_id] = item
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise CocoFormatError(
            f"{where}: {len(missing)} image(s) are not in the project: "
            + "; ".join(missing[:5]) + more
        )  # fmt: skip
    return out


def _basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]


def _annotation_shapes(
    ann: Mapping[str, Any],
    cls_name: str,
    shapes_task: Shapes,
    size: tuple[int, int],
    where: str,
    rec: str,
) -> list[dict[str, Any]]:
    bbox = _floats(_field(ann, "bbox", where, rec), where, rec, "bbox")
    if len(bbox) != 4 or bbox[2] < 0 or bbox[3] < 0:
        raise _error(where, rec, "bbox", f"must be [x, y, w, h] with w, h >= 0, got {bbox}")
    common: dict[str, Any] = {"class": cls_name}
    if ann.get("attributes") is not None:
        common["attributes"] = ann["attributes"]
    if ann.get("score") is not None:
        common["score"] = ann["score"]
    if ann.get("workbench_z") is not None:
        common["z"] = ann["workbench_z"]
    geometries: list[dict[str, Any]] = []

    seg = ann.get("segmentation")
    if ann.get("workbench_type") in ("box", "keypoints"):
        seg = None  # only the box, as to_coco writes it for COCOeval's sake
    if isinstance(seg, Mapping):
        geometries.append({"type": "mask", "rle": _rle(seg, size, where, rec)})
    elif isinstance(seg, list):
        for j, poly in enumerate(seg):
            key = f"segmentation[{j}]"
            flat = _floats(poly, where, rec, key)
            if len(flat) % 2:
                raise _error(where, rec, key, f"holds {len(flat)} numbers, an odd count")
            if len(flat) < 6:
                raise _error(where, rec, key, f"a polygon needs 3 points, got {len(flat) // 2}")
            points = [flat[k : k + 2] for k in range(0, len(flat), 2)]
            geometries.append({"type": "polygon", "points": points})
    elif seg is not None:
        raise _error(where, rec, "segmentation", f"must be a list of polygons or an RLE dict, "
                     f"got {type(seg).__name__}")  # fmt: skip

    kps = ann.get("keypoints")
    if kps is not None and kps != []:
        flat = _floats(kps, where, rec, "keypoints")
        skeleton = shapes_task.skeleton(cls_name)
        if len(flat) % 3:
            raise _error(where, rec, "keypoints", f"holds {len(flat)} numbers, not x, y, v triples")
        if skeleton is None or len(skeleton.points) != len(flat) // 3:
            want = "no skeleton" if skeleton is None else f"{len(skeleton.points)} points"
            raise _error(where, rec, "keypoints",
                         f"{len(flat) // 3} points, but class {cls_name!r} has {want}")  # fmt: skip
        points = [[flat[k], flat[k + 1], flat[k + 2]] for k in range(0, len(flat), 3)]
        geometries.append({"type": "keypoints", "points": points})

    if not geometries:
        geometries.append({"type": "box", "bbox": bbox})
    sid = ann.get("workbench_shape_id")
    out = []
    for j, geom in enumerate(geometries):
        shape = {**common, **geom}
        if sid is not None:
            several = len(geometries) > 1 and isinstance(sid, str | int)
            shape["id"] = f"{sid}.{j + 1}" if several else sid  # else validate names it
        out.append(shape)
    return out


def _rle(seg: Mapping[str, Any], size: tuple[int, int], where: str, rec: str) -> dict[str, Any]:
    w, h = size
    given = seg.get("size")
    # The image's size first: runs are read only for a mask the image's size.
    if isinstance(given, list | tuple) and len(given) == 2 and list(given) != [h, w]:
        raise _error(
            where, rec, "segmentation",
            f"RLE size {describe(given)} is not its image's [height, width] {[h, w]} (read "
            "from the image file)",
        )  # fmt: skip
    counts = seg.get("counts")
    if isinstance(counts, bytes):  # pycocotools' own output, before json.dumps
        seg = {**seg, "counts": counts.decode("ascii", "replace")}
    try:
        if isinstance(seg.get("counts"), str):
            masks.area(seg)  # checks size and counts without decoding
            rle = {"size": [int(v) for v in seg["size"]], "counts": seg["counts"]}
        else:  # uncompressed: store COCO's compressed form, made from the runs
            rle = masks.compress(seg)
    except (ValueError, TypeError) as exc:
        raise _error(where, rec, "segmentation", f"bad RLE: {exc}") from None
    return rle
