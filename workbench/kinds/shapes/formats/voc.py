"""Pascal VOC XML for a :class:`~workbench.Shapes` task: one annotation file per image.

The format (the VOC development kit's ``Annotations/<stem>.xml``)::

    <annotation>
      <folder>…</folder> <filename>000001.jpg</filename>
      <size><width>353</width><height>500</height><depth>3</depth></size>
      <segmented>0</segmented>
      <object>
        <name>dog</name> <pose>Left</pose>
        <truncated>1</truncated> <difficult>0</difficult> <occluded>0</occluded>
        <bndbox><xmin>48</xmin><ymin>240</ymin><xmax>195</xmax><ymax>371</ymax></bndbox>
      </object>
    </annotation>

Pixel convention. VOC coordinates are 1-based, inclusive pixel indices: a box
whose first pixel column is 48 and last is 195 (counting from 1) is ``xmin
48, xmax 195``. Workbench boxes are continuous ``[x, y, w, h]`` in which pixel
column ``c`` (from 0) spans ``[c, c + 1]``. So::

    x = xmin - 1        w = xmax - xmin + 1        (and the same for y, h)
    xmin = x + 1        xmax = x + w

which is exact for whole pixels, and holds for fractional coordinates too
(CVAT writes them). Coordinates must lie within ``0 … <size>``; an ``xmin`` or
``ymin`` below 1, which 0-based writers produce for a box at the image's edge,
is read as 0 (the edge, not ``-1``), and one warning names each such file and
how many boxes. A ``<polygon>`` (``<x1><y1><x2><y2>…``, as supervision and
Roboflow write it, or ``<pt><x/><y/></pt>…``) is read as a polygon, each vertex
less 1 (a vertex is a point, shifted as ``xmin`` is), when the task has a
polygon tool, else its ``<bndbox>`` is read, with a warning; polygons are
written with both. ``<size>`` may be left out: the image file's header gives
it. Numbers
are written rounded to 9 decimals (whole numbers without a point), so a file
imported then exported gives back the same values, and a box exported then
imported comes back within 5e-10 px.

Fields. ``truncated``, ``difficult`` and ``occluded`` (0/1) are the task's
bool attributes of those names, and ``pose`` its attribute ``pose``, when the
task has them (``truncated`` and ``difficult`` are written as 0, ``pose`` as
``Unspecified``, when it does not; on import, values a task cannot hold are
named in a warning). Other attributes go in CVAT's ``<attributes><attribute>
<name>…</name><value>…</value></attribute></attributes>``; a shape's score,
id and z in ``<score>``, ``<workbench_shape_id>``, ``<workbench_z>``; the item
id in ``<workbench_id>`` and its URI in ``<path>``. VOC readers ignore them.

What VOC cannot hold (named in one warning; ``strict=True`` refuses and
writes nothing): masks are written as their bounding boxes (they come back as
boxes); keypoints, polylines and cuboids are dropped; boxes
reaching outside the image are clipped to it.

XML is parsed with expat through ``xml.etree``'s tree builder, refusing any
DTD or entity declaration (no entity expansion, no external entities); a file
larger than :data:`~workbench.kinds.shapes.formats._project.MAX_FILE_BYTES` is refused
before it is read. ``<size>``, when given, must be the image's size as its
file's header gives it (so the rule above bounds every coordinate by the real image); numbers
are ASCII decimals (Python's ``float()`` would take other scripts' digits too).
The export never writes ``inf`` or ``nan``.
"""

from __future__ import annotations

import math
import os
import re
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from xml.parsers import expat

from .... import geometry, masks
from ....errors import ItemReadError, SchemaError, WorkbenchError
from ..schema import Attribute, Shapes
from ._images import image_header
from ._project import (
    CLIP_TOLERANCE,
    MAX_FILE_BYTES,
    ItemIndex,
    Losses,
    all_finite,
    basename,
    describe,
    has_file,
    items_by_stem,
    missing_message,
    outside_image,
    plural,
    progress_bar,
    read_file,
    real_size,
    shape_field,
    shapes_task,
    stem,
)

__all__ = ["to_voc", "from_voc", "VocFormatError"]

_MATCH = ("file_name", "workbench_id")
#: VOC's own 0/1 fields of an object, kept as bool attributes of these names.
FLAGS = ("truncated", "difficult", "occluded")
#: Flags written even when the task has no such attribute (as 0).
_ALWAYS = ("truncated", "difficult")
_NO_VOC_FORM = {
    "keypoints": ("keypoints shape", "no keypoints"),
    "polyline": ("polyline", "no open paths"),
    "cuboid": ("cuboid", "no 3-D boxes"),
}
# ASCII digits only: float() also takes other scripts' digits ("١", "１").
_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMALS = 9
_AS_BOXES = ("written as its bounding box", "written as their bounding boxes")


class VocFormatError(WorkbenchError, ValueError):
    """A VOC annotation file is malformed or does not fit the project; the message
    names the file, the record (``object[2] (line 31)``) and the field."""


# ---------------------------------------------------------------------------
# export


def to_voc(
    project: Any,
    path: str | os.PathLike,
    *,
    task: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> list[Path]:
    """Write the current labels of a Shapes task as Pascal VOC XML, one file per item.

    Parameters
    ----------
    project : Project
    path : str or PathLike
        The folder (VOC's ``Annotations``) the files go in, created if needed.
        Files of an earlier export are replaced; the export refuses a folder
        that holds other ``.xml`` files.
    task : str, optional
        The Shapes task (the schema's first task by default).
    strict : bool, default False
        Raise :class:`VocFormatError` instead of warning when anything cannot
        be written as it is (see the module docstring), and write nothing.
    progress : bool, optional
        Show a progress bar over the labeled items (default: when there are at
        least :data:`~workbench.items.PROGRESS_MIN` of them).

    Returns
    -------
    list of Path
        The files written, in item order: ``<stem>.xml`` for each labeled item,
        named by its file's stem (its id for items with no file of their own),
        with ``filename`` the file's name and ``size`` read from the image's
        header (no pixel is decoded).

    Warns
    -----
    UserWarning
        Naming each kind of shape dropped or changed, with how many.
    """
    shapes_task_ = shapes_task(project, task, "VOC")
    attributes = {a.name: a for a in shapes_task_.attributes}
    losses = Losses()
    docs: dict[str, ET.Element] = {}
    labeled = list(
        items_by_stem(project, shapes_task_, VocFormatError, "VOC", "an annotation file")
    )
    bar = progress_bar(len(labeled), "VOC export", progress)
    for record, shapes, name in labeled:
        bar.update(1)
        w, h, depth = _export_size(project, record, shapes)
        root = ET.Element("annotation")
        uri = record.uri if has_file(record) else None
        _sub(root, "folder", basename(uri[: -len(basename(uri))]) if uri else "")
        _sub(root, "filename", basename(uri) if uri else record.item_id)
        if uri:
            _sub(root, "path", uri)
        source = _sub(root, "source")
        _sub(source, "database", "workbench")
        size = _sub(root, "size")
        _sub(size, "width", str(w))
        _sub(size, "height", str(h))
        _sub(size, "depth", str(depth))
        _sub(root, "segmented", "0")
        _sub(root, "workbench_id", record.item_id)
        for shape in shapes:
            kind = shape["type"]
            if kind in _NO_VOC_FORM:
                losses.drop(*_NO_VOC_FORM[kind])
                continue
            points = None
            if kind == "box":
                bbox = shape["bbox"]
            elif kind == "polygon":  # its <bndbox> for VOC readers, and its vertices
                points = shape["points"]
                bbox = geometry.bbox_of(points)
            else:
                if masks.area(shape["rle"]) == 0:
                    losses.drop("empty mask", "no box to write")
                    continue
                losses.change("mask", *_AS_BOXES)
                bbox = masks.to_bbox(shape["rle"])
            root.append(_object(shape, bbox, (w, h), attributes, losses, record.item_id, points))
        ET.indent(root)
        docs[name] = root
    bar.close()
    folder = Path(path)
    if folder.is_dir():
        stale = sorted(p.name for p in folder.glob("*.xml") if p.stem not in docs)
        if stale:
            raise VocFormatError(
                f"{folder}: holds {len(stale)} .xml file(s) this export would not write "
                f"({', '.join(stale[:3])}{', ...' if len(stale) > 3 else ''}); export to an "
                "empty folder or remove them"
            )
    losses.report(shapes_task_, "VOC", strict, VocFormatError)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, root in docs.items():
        out = folder / f"{name}.xml"
        ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=False)
        written.append(out)
    return written


def _export_size(project: Any, record: Any, shapes: list[dict]) -> tuple[int, int, int]:
    try:
        return image_header(project, record)
    except (ItemReadError, OSError, ValueError) as exc:
        for s in shapes:  # a mask knows the size of the image it was drawn on
            if s["type"] == "mask":
                h, w = s["rle"]["size"]
                return int(w), int(h), 3
        raise VocFormatError(
            f"item {record.item_id!r}: VOC needs the image size, which cannot be read: {exc}"
        ) from None


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _object(
    shape: Mapping[str, Any],
    bbox: list[float],
    size: tuple[int, int],
    attributes: dict[str, Attribute],
    losses: Losses,
    item_id: str,
    points: list[list[float]] | None = None,
) -> ET.Element:
    W, H = size
    x, y, w, h = bbox
    x0, y0 = min(max(x, 0.0), W), min(max(y, 0.0), H)
    x1, y1 = max(min(x + w, W), x0), max(min(y + h, H), y0)
    if max(abs(x0 - x), abs(y0 - y), abs(x1 - x - w), abs(y1 - y - h)) > CLIP_TOLERANCE:
        losses.change("shape", "clipped to the image")
    values = dict(shape.get("attributes") or {})
    numbers = [x0, y0, x1, y1, *(v for v in values.values() if isinstance(v, float))]
    if points is not None:
        numbers += [c for p in points for c in p]
    if shape.get("score") is not None:
        numbers.append(shape["score"])
    if not all_finite(numbers):
        raise VocFormatError(
            f"item {item_id!r}: shape {describe(shape.get('id'))}: a number that is infinite "
            "or not a number "
            "(stored before such values were refused): correct it (nothing was written)"
        )
    obj = ET.Element("object")
    _sub(obj, "name", shape["class"])
    pose = "Unspecified"
    if _is_pose(attributes.get("pose")):
        pose = str(values.pop("pose", None) or "") or pose
    _sub(obj, "pose", pose)
    for flag in FLAGS:
        a = attributes.get(flag)
        if a is not None and a.kind == "bool":
            _sub(obj, flag, "1" if values.pop(flag, a.default) else "0")
        elif flag in _ALWAYS:
            _sub(obj, flag, "0")
    box = _sub(obj, "bndbox")
    for tag, v in (("xmin", x0 + 1), ("ymin", y0 + 1), ("xmax", x1), ("ymax", y1)):
        _sub(box, tag, _num(v))
    if points is not None:
        el = _sub(obj, "polygon")
        for k, (px, py) in enumerate(points, start=1):  # a vertex is a point: shifted by 1
            _sub(el, f"x{k}", _num(min(max(px, 0.0), W) + 1))
            _sub(el, f"y{k}", _num(min(max(py, 0.0), H) + 1))
    if values:
        el = _sub(obj, "attributes")
        for name, value in values.items():
            attr = _sub(el, "attribute")
            _sub(attr, "name", name)
            _sub(attr, "value", _attribute_text(value))
    if shape.get("score") is not None:
        _sub(obj, "score", repr(float(shape["score"])))
    _sub(obj, "workbench_shape_id", shape["id"])
    _sub(obj, "workbench_z", str(shape.get("z", 0)))
    return obj


def _is_pose(a: Attribute | None) -> bool:
    return a is not None and a.kind in ("choice", "text")


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _num(v: float) -> str:
    text = f"{round(v, _DECIMALS) + 0.0:.{_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# ---------------------------------------------------------------------------
# import


def from_voc(
    project: Any,
    source: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    task: str | None = None,
    annotator: str = "voc-import",
    match: str = "file_name",
    progress: bool | None = None,
) -> int:
    """Label the project's items from Pascal VOC XML files.

    Parameters
    ----------
    project : Project
    source : str or PathLike, or an iterable of them
        A folder (every ``*.xml`` in it), one file, or a list of files.
    task : str, optional
        The Shapes task to label (the schema's first task by default).
    annotator : str
        Who the label events are recorded as.
    match : {"file_name", "workbench_id"}
        How a file finds its item. ``"file_name"``: by ``<workbench_id>`` when
        the project has that item, else the item whose URI is ``<path>`` or
        ``<filename>``, else the only item whose file has ``<filename>``'s name,
        else the only one whose file stem (or id) is the XML file's stem.
        ``"workbench_id"``: by ``<workbench_id>`` only.
    progress : bool, optional
        Show a progress bar over the files (default: when there are at least
        :data:`~workbench.items.PROGRESS_MIN` of them).

    Returns
    -------
    int
        How many items were labeled: one label event per file, holding one box
        per ``<object>`` in file order, or, for an object with ``<polygon>``
        elements and a task with a polygon tool, one polygon per element (a
        file with no objects gives ``[]``).

    Raises
    ------
    VocFormatError
        On malformed XML (or any DTD or entity declaration, or a file too
        large), a missing or non-numeric field, a ``<size>`` that is not the
        image file's, a box outside the image's ``<size>``, an object
        whose name is not a class of the task, or a file that matches no item
        or the same item as another. The message names the file, the object
        (its index and line) and the field. Nothing is written unless every
        file is well formed.

    Warns
    -----
    UserWarning
        When objects hold ``truncated``, ``difficult``, ``occluded`` or a pose
        that the task has no attribute for, naming how many were dropped; when
        ``<polygon>`` elements are read as their ``<bndbox>`` because the task
        has no polygon tool; and when a file has an ``xmin`` or ``ymin`` of 0
        (a 0-based writer's box at the image's edge), read as 0, naming the
        files.
    """
    if match not in _MATCH:
        raise ValueError(f"match must be one of {list(_MATCH)}, got {match!r}")
    shapes_task_ = shapes_task(project, task, "VOC")
    files = _files(source)
    index = ItemIndex(project, VocFormatError)
    dropped: Counter[str] = Counter()
    zero_based: list[str] = []
    parsed = []
    seen: dict[str, Path] = {}
    missing: list[str] = []
    bar = progress_bar(len(files), "VOC import", progress, "file")
    for f in files:
        bar.update(1)
        root, lines = parse_xml(f)
        where = str(f)
        if root.tag != "annotation":
            raise VocFormatError(f"{where}: line 1: the root element is <{root.tag}>, not "
                                 "<annotation>")  # fmt: skip
        item = _match(root, f, index, match)
        if item is None:
            name = _text(root, "filename")
            missing.append(f"{f} (filename {name!r})")
            continue
        if item in seen:
            raise VocFormatError(f"{where}: item {item!r} is also labeled by {seen[item]}")
        seen[item] = f
        (record,) = project.store.get_items([item])
        size = real_size(project, record, VocFormatError, where)
        zeros: list[int] = [0]
        shapes = _annotation_shapes(root, lines, where, shapes_task_, dropped, size, zeros)
        if zeros[0]:
            zero_based.append(f"{f} ({plural(zeros[0], 'box')})")
        parsed.append((f, item, shapes))
    bar.close()
    if missing:
        where = str(source) if isinstance(source, str | os.PathLike) else "<VOC files>"
        raise VocFormatError(missing_message(where, missing, "annotation file(s)"))

    events = []
    for f, item_id, shapes in parsed:
        try:
            events.append(project.make_event(item_id, shapes, task=shapes_task_.name,
                                             annotator=annotator))  # fmt: skip
        except SchemaError as exc:
            raise VocFormatError(f"{f}: {exc}") from None
    polygons = dropped.pop("<polygon>", 0)
    if dropped:
        parts = ", ".join(f"{name} on {n} object{'s' if n != 1 else ''}"
                          for name, n in sorted(dropped.items()))  # fmt: skip
        warnings.warn(
            f"task {shapes_task_.name!r} has no attribute for them, dropped: {parts}",
            UserWarning,
            stacklevel=2,
        )
    if polygons:
        warnings.warn(
            f"task {shapes_task_.name!r} has no polygon tool: {plural(polygons, 'object')} "
            "with <polygon> elements read as their <bndbox>",
            UserWarning,
            stacklevel=2,
        )
    if zero_based:
        more = f" and {len(zero_based) - 5} more" if len(zero_based) > 5 else ""
        warnings.warn(
            "VOC counts pixels from 1, but these files have an xmin or ymin of 0 (written "
            "0-based); such an edge was read as 0, the image's edge: "
            + "; ".join(zero_based[:5])
            + more,
            UserWarning,
            stacklevel=2,
        )
    project.store.append(events)  # one transaction: all or nothing
    return len(events)


def _files(source: Any) -> list[Path]:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_dir():
            return sorted(path.glob("*.xml"))
        if not path.is_file():
            raise VocFormatError(f"{path}: no such file or folder")
        return [path]
    if isinstance(source, Iterable):
        return [Path(s) for s in source]
    raise TypeError(f"source must be a folder, a file or a list of files, got {type(source)}")


def _match(root: ET.Element, f: Path, index: ItemIndex, match: str) -> str | None:
    item = index.item_id(_text(root, "workbench_id"))
    if item is not None or match == "workbench_id":
        return item
    path, name = _text(root, "path"), _text(root, "filename")
    return (
        index.uri(path)
        or index.uri(name)
        or index.item_id(name)
        or index.base(name, f"{f}: filename {name!r}")
        or index.stem(stem(f.name), f"{f}: the file stem {stem(f.name)!r}")
    )


def _text(el: ET.Element, tag: str) -> str | None:
    child = el.find(tag)
    return None if child is None else (child.text or "").strip()


def _annotation_shapes(
    root: ET.Element,
    lines: dict[int, int],
    where: str,
    shapes_task_: Shapes,
    dropped: Counter[str],
    real: tuple[int, int],
    zeros: list[int],
) -> list[dict[str, Any]]:
    attributes = {a.name: a for a in shapes_task_.attributes}
    rec = f"annotation (line {lines.get(id(root), 1)})"
    size = root.find("size")
    W, H = real  # from the image file's header; <size>, when given, must say the same
    if size is not None:
        for tag, side in (("width", W), ("height", H)):
            given = _dimension(size, tag, where, rec)
            if given != side:
                raise _error(where, rec, f"size/{tag}", f"{given}, but the image file is "
                             f"{W} × {H} pixels (width × height)")  # fmt: skip
    polygon_tool = "polygon" in shapes_task_.types
    out = []
    for i, obj in enumerate(root.findall("object")):
        rec = f"object[{i}] (line {lines.get(id(obj), 0)})"
        name = _required(obj, "name", where, rec)
        if name not in shapes_task_.class_names:
            raise _error(where, rec, "name", f"{describe(name)} is not a class of task "
                         f"{shapes_task_.name!r}; classes: {shapes_task_.class_names}")  # fmt: skip
        box = obj.find("bndbox")
        if box is None:
            raise _error(where, rec, "bndbox", "missing")
        v = {tag: _number(box, tag, where, rec) for tag in ("xmin", "ymin", "xmax", "ymax")}
        for lo, hi, limit, side in (("xmin", "xmax", W, "width"), ("ymin", "ymax", H, "height")):
            # xmin is the first pixel counting from 1: a zero-width box on the far edge
            # (x = width) has xmin = width + 1 and xmax = width.
            for tag, top in ((lo, limit + 1), (hi, limit)):
                if not 0 <= v[tag] <= top:
                    raise _error(where, rec, f"bndbox/{tag}", f"{_num(v[tag])} is outside the "
                                 f"image (0 to {top}, its {side} {limit}"
                                 f"{' + 1' if tag == lo else ''})")  # fmt: skip
            if v[hi] - (v[lo] - 1) < -CLIP_TOLERANCE:  # less than that is rounding
                raise _error(where, rec, f"bndbox/{hi}", f"{_num(v[hi])} is less than "
                             f"{lo} - 1 ({_num(v[lo] - 1)}): a negative size")  # fmt: skip
        x, y = v["xmin"] - 1, v["ymin"] - 1
        if x < 0 or y < 0:  # a 0-based writer's box at the edge: the edge is 0
            zeros[0] += 1
            x, y = max(x, 0.0), max(y, 0.0)
        w, h = max(v["xmax"] - x, 0.0), max(v["ymax"] - y, 0.0)
        shape: dict[str, Any] = {"type": "box", "class": name, "bbox": [x, y, w, h]}
        shape["attributes"] = _attributes(obj, attributes, where, rec, dropped)
        score = _text(obj, "score")
        if score:
            shape["score"] = _number(obj, "score", where, rec)
        sid = _text(obj, "workbench_shape_id")
        if sid:
            shape["id"] = sid
        z = _text(obj, "workbench_z")
        if z:
            if not _INT.fullmatch(z):
                raise _error(where, rec, "workbench_z", f"must be an int, got {describe(z)}")
            shape["z"] = int(z)
        if obj.find("part") is not None:
            dropped["<part> boxes"] += len(obj.findall("part"))
        found = obj.findall("polygon")
        if found and not polygon_tool:
            dropped["<polygon>"] += 1
            found = []
        geometries: list[tuple[dict[str, Any], str]] = [(shape, "bndbox")]
        if found:
            geometries = []
            for j, el in enumerate(found):
                field = f"polygon[{j}]" if len(found) > 1 else "polygon"
                polygon = {k: v for k, v in shape.items() if k != "bbox"}
                polygon["type"] = "polygon"
                polygon["points"] = _polygon_points(el, where, rec, field)
                if "id" in shape and len(found) > 1:
                    polygon["id"] = f"{shape['id']}.{j + 1}"
                geometries.append((polygon, field))
        for one, field in geometries:
            try:
                (valid,) = shapes_task_.validate([one])
            except SchemaError as exc:
                key = shape_field(shapes_task_, one, exc)
                field = {"attributes": "attributes", "score": "score", "z": "workbench_z",
                         "id": "workbench_shape_id", "class": "name"}.get(key, field)  # fmt: skip
                raise _error(where, rec, field, str(exc)) from None
            if one["type"] == "polygon":
                outside = outside_image(valid, W, H)
                if outside is not None:
                    raise _error(where, rec, field, outside[1])
            out.append(one)
    return out


def _polygon_points(el: ET.Element, where: str, rec: str, field: str) -> list[list[float]]:
    """A ``<polygon>``'s vertices, less 1 (VOC counts from 1): ``<x1><y1><x2><y2>…``
    (supervision's and Roboflow's form) or ``<pt><x/><y/></pt>…``."""
    pts = el.findall("pt")
    if pts:
        pairs = [(f"{field}/pt[{k}]", pt, "x", "y") for k, pt in enumerate(pts)]
    else:
        n = len(el) // 2
        pairs = [(field, el, f"x{k}", f"y{k}") for k in range(1, n + 1)]
        if len(el) % 2 or any(el.find(t) is None for _, _, a, b in pairs for t in (a, b)):
            raise _error(where, rec, field, "vertices must be <x1><y1><x2><y2>... or "
                         "<pt><x>...</x><y>...</y></pt>...")  # fmt: skip
    points = []
    for name, parent, a, b in pairs:
        xy = []
        for tag in (a, b):
            text = _required(parent, tag, where, rec, f"{name}/{tag}")
            if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
                raise _error(where, rec, f"{name}/{tag}", f"must be a number, got "
                             f"{describe(text)}")  # fmt: skip
            xy.append(float(text) - 1)
        points.append(xy)
    return points


def _attributes(
    obj: ET.Element,
    attributes: dict[str, Attribute],
    where: str,
    rec: str,
    dropped: Counter[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pose = _text(obj, "pose")
    a = attributes.get("pose")
    if pose and (pose != "Unspecified" or (_is_pose(a) and pose in a.choices)):
        if _is_pose(a):
            out["pose"] = pose
        else:
            dropped["pose"] += 1
    for flag in FLAGS:
        text = _text(obj, flag)
        if text is None or text == "":
            continue
        if text not in ("0", "1"):
            raise _error(where, rec, flag, f"must be 0 or 1, got {describe(text)}")
        a = attributes.get(flag)
        if a is not None and a.kind == "bool":
            out[flag] = text == "1"
        elif text == "1":
            dropped[flag] += 1
    block = obj.find("attributes")
    for j, attr in enumerate([] if block is None else block.findall("attribute")):
        name = _text(attr, "name")
        field = f"attributes/attribute[{j}]"
        if not name:
            raise _error(where, rec, field, "has no <name>")
        a = attributes.get(name)
        if a is None:
            raise _error(where, rec, field, f"no attribute {describe(name)} in task; attributes: "
                         f"{sorted(attributes)}")  # fmt: skip
        out[name] = _attribute_value(a, _text(attr, "value") or "", where, rec, field)
    return out


def _attribute_value(a: Attribute, text: str, where: str, rec: str, field: str) -> Any:
    if a.kind == "bool":
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise _error(
            where, rec, field, f"attribute {a.name!r} must be true or false, got {describe(text)}"
        )
    if a.kind == "number":
        if text == "":
            return None
        if not _NUMBER.fullmatch(text):
            raise _error(
                where, rec, field, f"attribute {a.name!r} must be a number, got {describe(text)}"
            )
        return float(text)
    return text


def _required(el: ET.Element, tag: str, where: str, rec: str, field: str | None = None) -> str:
    text = _text(el, tag)
    if not text:
        raise _error(where, rec, field or tag, "missing" if text is None else "empty")
    return text


def _number(el: ET.Element, tag: str, where: str, rec: str) -> float:
    field = tag if el.tag != "bndbox" else f"bndbox/{tag}"
    text = _required(el, tag, where, rec, field)
    if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
        raise _error(where, rec, field, f"must be a number, got {describe(text)}")
    return float(text)


def _dimension(size: ET.Element, tag: str, where: str, rec: str) -> int:
    text = _text(size, tag)
    if not text:
        raise _error(where, rec, f"size/{tag}", "missing" if text is None else "empty")
    v = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not (math.isfinite(v) and v.is_integer() and v > 0):  # 1e400 is no whole number
        raise _error(
            where, rec, f"size/{tag}", f"must be a positive whole number, got {describe(text)}"
        )
    return int(v)


def _error(where: str, rec: str, field: str, message: str) -> VocFormatError:
    return VocFormatError(f"{where}: {rec}: field {field!r}: {message}")


# ---------------------------------------------------------------------------
# XML without DTDs


def parse_xml(path: str | os.PathLike) -> tuple[ET.Element, dict[int, int]]:
    """The root element of an XML file, and the line each element starts on
    (``{id(element): line}``).

    Parsed with expat into :class:`xml.etree.ElementTree` elements; a DTD or
    an entity declaration is refused (:class:`VocFormatError`), so no entity
    is ever expanded and nothing outside the file is read.
    """
    where = os.fspath(path)
    data = read_file(where, MAX_FILE_BYTES, VocFormatError)
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}

    def refuse(*_: Any) -> None:
        raise VocFormatError(
            f"{where}: line {parser.CurrentLineNumber}: DTDs and entity declarations are "
            "refused (they can expand without bound or read other files)"
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[id(builder.start(tag, attrs))] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise VocFormatError(
            f"{where}: line {exc.lineno}: not well-formed XML: {expat.errors.messages[exc.code]}"
        ) from None
    return builder.close(), lines
