"""Ultralytics YOLO labels for a :class:`~workbench.Shapes` task: detection and segmentation.

The layout (https://docs.ultralytics.com/datasets/detect/,
https://docs.ultralytics.com/datasets/segment/)::

    data.yaml          class names by index, and where the images are
    labels/<stem>.txt  one line per object, for the image named <stem>.<ext>

Each line is a class index and coordinates normalised by the image's width
and height (so in [0, 1]):

=========  ======================================================================
detect     ``class x_center y_center width height``
segment    ``class x1 y1 x2 y2 ... xn yn``: a polygon of at least 3 points
=========  ======================================================================

:func:`to_yolo` writes the current labels of a Shapes task in one of the two
modes; :func:`from_yolo` reads either (a line with 4 numbers after the class
is a box, one with an even number of at least 6 a polygon).

What YOLO cannot hold, and what the exporter does about it (it names all of it
in one warning; ``strict=True`` refuses instead and writes nothing):

=====================  ==============================================================
keypoints, polylines,  dropped (YOLO's pose format has no skeleton names; no
cuboids                open paths; no 3-D boxes)
attributes, score, z   dropped (attributes only where they differ from their
                       defaults); shape ids become ``s1``, ``s2`` … in line
                       order on import, so an id that would come back otherwise
                       is counted as dropped too
polygons, masks        detect mode: written as their bounding boxes
boxes                  segment mode: written as 4-point polygons (they come back
                       as polygons)
masks                  segment mode: written as polygons tracing the pixel edges
                       of each part (8-connected, as OpenCV's ``findContours``
                       sees parts). Lossy: they come back as polygons, not
                       masks, one per part, and holes are filled (YOLO polygons
                       have none). Each outline encloses exactly its part's
                       pixels (pixel ``(r, c)`` is the square ``[c, c+1] × [r,
                       r+1]``), not the half-pixel-cut outline that marching
                       squares (``skimage.measure.find_contours``) would give.
shapes reaching        clipped to the image (coordinates clamped to [0, 1], as
outside the image      Ultralytics clips its own labels)
=====================  ==============================================================

Numbers are written with 12 decimals: a shape comes back within ``W × 1e-12``
pixels (far inside 1e-6 px for any real image), and a file with up to 12
decimals, imported and exported again, gives the same numbers.

Image sizes come from the image files' headers (no pixel is decoded), or for
array items from the array's shape; a mask's RLE size stands in when the
image cannot be read.

Bounds (see :mod:`workbench.kinds.shapes.formats._project`): a class index and every
number are ASCII digits (Python's ``int()`` and ``float()`` would take
Arabic-Indic or full-width digits too); a label file or ``data.yaml`` larger
than :data:`~workbench.kinds.shapes.formats._project.MAX_FILE_BYTES` is refused before it is
read; a shape reaching outside its image by more than 1 px or 1 % of its side
(a box's corners, not only its centre and size, which the format bounds to
[0, 1]) is refused, naming the file and the line. The export never writes
``inf`` or ``nan``.

``data.yaml`` is read with PyYAML's safe loader (:func:`read_data_yaml`):
names are taken as written (``"caf\\xE9 cr\\xE8me"`` is ``café crème``; a
plain ``no`` or ``1.0`` stays that string), aliases are refused and the file
is bounded by :data:`MAX_YAML_BYTES`. Every file the import reads must lie in
the ``data.yaml``'s folder (or the ``root=`` the caller names): a ``path:``
key, a ``train:`` entry, a listed image or a symbolic link that leads
elsewhere is refused, naming the field. The exporter writes each name
double-quoted by PyYAML's emitter, so any string comes back as it was.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .... import geometry, masks
from ....errors import ItemReadError, SchemaError, WorkbenchError
from ..schema import Shapes
from ._images import image_header
from ._project import (
    CLIP_TOLERANCE,
    MAX_DATASET_BYTES,
    MAX_FILE_BYTES,
    ItemIndex,
    Losses,
    all_finite,
    describe,
    items_by_stem,
    missing_message,
    outside_image,
    progress_bar,
    read_file,
    real_size,
    shapes_task,
)

__all__ = ["to_yolo", "from_yolo", "YoloFormatError"]

MODES = ("detect", "segment")
_MATCH = ("file_name", "item_id")
_NO_YOLO_FORM = {
    "keypoints": ("keypoints shape", "no named skeletons"),
    "polyline": ("polyline", "no open paths"),
    "cuboid": ("cuboid", "no 3-D boxes"),
}
_BOX_FIELDS = ("x_center", "y_center", "width", "height")
_AS_BOXES = ("written as its bounding box", "written as their bounding boxes")
# ASCII digits only: int() and float() also take other scripts' digits ("١", "１").
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INDEX = re.compile(r"[0-9]+")
#: Digits of the largest class index read (a longer one names no class).
_INDEX_DIGITS = 9
_DECIMALS = 12


class YoloFormatError(WorkbenchError, ValueError):
    """A YOLO dataset is malformed or does not fit the project; the message names the
    file, the line and the field (``labels/img0.txt: line 3: field 'width': ...``)."""


# ---------------------------------------------------------------------------
# export


def to_yolo(
    project: Any,
    path: str | os.PathLike,
    *,
    task: str | None = None,
    mode: str = "detect",
    strict: bool = False,
    progress: bool | None = None,
) -> Path:
    """Write the current labels of a Shapes task as an Ultralytics YOLO dataset.

    Parameters
    ----------
    project : Project
    path : str or PathLike
        The dataset folder: ``data.yaml`` and ``labels/<stem>.txt`` go there.
        Label files of an earlier export are replaced; the export refuses a
        ``labels/`` folder that holds other ``.txt`` files.
    task : str, optional
        The Shapes task (the schema's first task by default).
    mode : {"detect", "segment"}
        Boxes (``class x_center y_center width height``) or polygons
        (``class x1 y1 ... xn yn``).
    strict : bool, default False
        Raise :class:`YoloFormatError` instead of warning when anything cannot
        be written as it is (see the module docstring), and write nothing.
    progress : bool, optional
        Show a progress bar over the labeled items (default: when there are at
        least :data:`~workbench.items.PROGRESS_MIN` of them).

    Returns
    -------
    Path
        The ``data.yaml`` written: class ``k`` is the task's ``k``-th class;
        ``train`` and ``val`` both name ``images``, where the images go under
        the same stems as their label files (this export does not copy them).
        One label file per labeled item, named by its file's stem (its id for
        items with no file of their own); an item labeled with no shapes gets
        an empty file (a background image).

    Warns
    -----
    UserWarning
        Naming each kind of shape dropped or changed and each field dropped,
        with how many.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    shapes_task_ = shapes_task(project, task, "YOLO")
    cls_index = {name: k for k, name in enumerate(shapes_task_.class_names)}
    losses = Losses()
    files: dict[str, str] = {}
    labeled = list(items_by_stem(project, shapes_task_, YoloFormatError, "YOLO", "a label file"))
    bar = progress_bar(len(labeled), f"YOLO export ({mode})", progress)
    for record, shapes, stem in labeled:
        bar.update(1)
        size: list[tuple[int, int]] = []  # read once, and only when a shape needs it
        lines: list[str] = []
        for shape in shapes:
            if shape["type"] in _NO_YOLO_FORM:
                losses.drop(*_NO_YOLO_FORM[shape["type"]])
                continue
            if not size:
                size.append(_export_size(project, record, shapes))
            rows = _rows(shape, mode, size[0], losses)
            if not rows:
                continue
            if shape["id"] != f"s{len(lines) + 1}":
                losses.field("id")
            losses.fields_of(shape, shapes_task_, keep=())
            if not all(all_finite(row) for row in rows):
                raise YoloFormatError(
                    f"item {record.item_id!r}: shape {describe(shape['id'])}: a coordinate "
                    "that is infinite or not a number (stored before such values were "
                    "refused): correct it (nothing was written)"
                )
            k = str(cls_index[shape["class"]])
            lines.extend(" ".join([k, *(_num(v) for v in row)]) for row in rows)
        files[stem] = "".join(line + "\n" for line in lines)
    bar.close()
    root = Path(path)
    labels = root / "labels"
    if labels.is_dir():
        stale = sorted(p.name for p in labels.glob("*.txt") if p.stem not in files)
        if stale:
            raise YoloFormatError(
                f"{labels}: holds {len(stale)} label file(s) this export would not write "
                f"({', '.join(stale[:3])}{', ...' if len(stale) > 3 else ''}); export to an "
                "empty folder or remove them"
            )
    losses.report(shapes_task_, f"YOLO ({mode})", strict, YoloFormatError)
    labels.mkdir(parents=True, exist_ok=True)
    for stem, text in files.items():
        (labels / f"{stem}.txt").write_text(text, encoding="utf-8")
    data = root / "data.yaml"
    data.write_text(_data_yaml(shapes_task_, mode), encoding="utf-8")
    return data


def _export_size(project: Any, record: Any, shapes: list[dict]) -> tuple[int, int]:
    try:
        w, h, _ = image_header(project, record)
    except (ItemReadError, OSError, ValueError) as exc:
        for s in shapes:  # a mask knows the size of the image it was drawn on
            if s["type"] == "mask":
                h, w = s["rle"]["size"]
                break
        else:
            raise YoloFormatError(
                f"item {record.item_id!r}: YOLO coordinates are normalised by the image "
                f"size, which cannot be read: {exc}"
            ) from None
    if w <= 0 or h <= 0:
        raise YoloFormatError(f"item {record.item_id!r}: the image is {w} × {h} pixels")
    return int(w), int(h)


def _rows(shape: Mapping[str, Any], mode: str, size: tuple[int, int], losses: Losses) -> list:
    """The coordinate rows (normalised, after the class) one shape is written as."""
    kind = shape["type"]
    outlines: list[list[list[float]]]
    if kind == "box":
        x, y, w, h = shape["bbox"]
        if mode == "detect":
            return _clipped([_box_row(shape["bbox"], size)], losses)
        losses.change("box", "written as a 4-point polygon", "written as 4-point polygons")
        outlines = [[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]]
    elif kind == "polygon":
        if mode == "detect":
            losses.change("polygon", *_AS_BOXES)
            return _clipped([_box_row(geometry.bbox_of(shape["points"]), size)], losses)
        outlines = [shape["points"]]
    else:  # mask
        if masks.area(shape["rle"]) == 0:
            losses.drop("empty mask", "nothing to outline")
            return []
        if mode == "detect":
            losses.change("mask", *_AS_BOXES)
            return _clipped([_box_row(masks.to_bbox(shape["rle"]), size)], losses)
        outlines, holes = mask_outlines(masks.decode(shape["rle"]))
        losses.change("mask", "written as pixel-outline polygons")
        if len(outlines) > 1:
            losses.change("mask", "split into one polygon per part")
        if holes:
            losses.change("mask", "with its holes filled", "with their holes filled")
    return _clipped([_polygon_row(p, size) for p in outlines], losses)


def _clipped(rows: list[tuple[list[float], bool]], losses: Losses) -> list[list[float]]:
    if any(clipped for _, clipped in rows):
        losses.change("shape", "clipped to the image")
    return [row for row, _ in rows]


def _box_row(bbox: list[float], size: tuple[int, int]) -> tuple[list[float], bool]:
    W, H = size
    x0, y0, x1, y1 = bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]
    cx0, cx1 = min(max(x0, 0.0), W), min(max(x1, 0.0), W)
    cy0, cy1 = min(max(y0, 0.0), H), min(max(y1, 0.0), H)
    clipped = max(abs(cx0 - x0), abs(cy0 - y0), abs(cx1 - x1), abs(cy1 - y1)) > CLIP_TOLERANCE
    if clipped:
        x0, y0, x1, y1 = cx0, cy0, cx1, cy1
    # Corners off the edge by rounding only (an imported box at the edge) stay as
    # they are, so its centre and size come out as they were read.
    row = [(x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H]
    return [min(max(v, 0.0), 1.0) for v in row], clipped


def _polygon_row(points: list[list[float]], size: tuple[int, int]) -> tuple[list[float], bool]:
    W, H = size
    row: list[float] = []
    clipped = False
    for x, y in points:
        cx, cy = min(max(x, 0.0), W), min(max(y, 0.0), H)
        clipped |= max(abs(cx - x), abs(cy - y)) > CLIP_TOLERANCE
        row += [cx / W, cy / H]
    return row, clipped


def _num(v: float) -> str:
    text = f"{v + 0.0:.{_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _data_yaml(shapes_task_: Shapes, mode: str) -> str:
    names = shapes_task_.class_names
    lines = [
        f"# Ultralytics YOLO {mode} dataset, written by workbench from task "
        f"{json.dumps(shapes_task_.name, ensure_ascii=False)}.",
        "# Put the images in images/, named as their label files in labels/ are.",
        "train: images",
        "val: images",
        f"nc: {len(names)}",
        "names:",
        *(f"  {k}: {_quoted(name)}" for k, name in enumerate(names)),
    ]
    return "\n".join(lines) + "\n"


def _quoted(name: str) -> str:
    """``name`` as a YAML double-quoted scalar, by PyYAML's own emitter (it escapes
    what YAML cannot hold raw: line separators, a byte-order mark, ...)."""
    return yaml.safe_dump(name, default_style='"', allow_unicode=True, width=2**31).strip()


# ---------------------------------------------------------------------------
# masks to polygons

# Directions on screen (y down): right, down, left, up.
_STEP = ((1, 0), (0, 1), (-1, 0), (0, -1))


def mask_outlines(mask: np.ndarray) -> tuple[list[list[list[float]]], int]:
    """The outer outlines of a binary mask's parts, and how many holes it has.

    Parameters
    ----------
    mask : numpy.ndarray, shape (h, w)
        0/1 or bool.

    Returns
    -------
    outlines : list of polygons
        One per 8-connected part: its outer boundary along pixel edges, as
        ``[[x, y], ...]`` pixel-corner coordinates (pixel ``(r, c)`` is the
        square ``[c, c+1] × [r, r+1]``), clockwise on screen, one vertex per
        corner. Filled at pixel centres, each encloses exactly its part's
        pixels and the holes in it. Two diagonal pixels of one part meet at a
        vertex the outline passes twice.
    holes : int
        How many holes (background regions inside a part) the outlines fill.
    """
    fg = np.asarray(mask).astype(bool)
    P = np.pad(fg, 1)
    # Each foreground pixel's edges that face the background, directed so that
    # every outline runs clockwise on screen (holes anticlockwise).
    starts: dict[tuple[int, int], set[int]] = {}
    for d, faces, dx, dy in (
        (0, fg & ~P[:-2, 1:-1], 0, 0),  # top edge, left to right
        (1, fg & ~P[1:-1, 2:], 1, 0),  # right edge, downwards
        (2, fg & ~P[2:, 1:-1], 1, 1),  # bottom edge, right to left
        (3, fg & ~P[1:-1, :-2], 0, 1),  # left edge, upwards
    ):
        rows, cols = np.nonzero(faces)
        for x, y in zip((cols + dx).tolist(), (rows + dy).tolist(), strict=True):
            starts.setdefault((x, y), set()).add(d)
    outlines: list[list[list[float]]] = []
    holes = 0
    while starts:
        (x, y), dirs = next(iter(starts.items()))
        d = min(dirs)
        start = (x, y, d)
        corners: list[list[float]] = []
        prev = -1
        while True:
            here = starts[x, y]
            here.discard(d)
            if not here:
                del starts[x, y]
            if d != prev:
                corners.append([float(x), float(y)])
            prev = d
            x, y = x + _STEP[d][0], y + _STEP[d][1]
            # Left turn first: parts that touch at a corner stay one outline
            # (8-connected); the start edge counts as still there.
            for nd in ((d - 1) % 4, d, (d + 1) % 4):
                if (x, y, nd) == start or nd in starts.get((x, y), ()):
                    break
            if (x, y, nd) == start:
                break
            d = nd
        if prev == start[2] and len(corners) > 1:
            corners.pop(0)  # the start was in the middle of a straight side
        if geometry.polygon_area(corners, signed=True) > 0:  # clockwise on screen: an outline
            outlines.append(corners)
        else:
            holes += 1
    return outlines, holes


# ---------------------------------------------------------------------------
# import


def from_yolo(
    project: Any,
    source: str | os.PathLike,
    *,
    task: str | None = None,
    annotator: str = "yolo-import",
    match: str = "file_name",
    root: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> int:
    """Label the project's items from an Ultralytics YOLO dataset.

    Parameters
    ----------
    project : Project
    source : str or PathLike
        The dataset's ``data.yaml``, or the folder that holds it. Label files
        are found as Ultralytics finds them: for each ``train``, ``val`` and
        ``test`` entry (a folder, relative to ``path`` if given, else to
        ``data.yaml``'s folder), the same folder with its last ``images``
        part read as ``labels`` (``images/train`` → ``labels/train``), every
        ``.txt`` under it; for a list file of image paths, each image's label
        file. With no such entries, every ``.txt`` under ``labels/``.
    task : str, optional
        The Shapes task to label (the schema's first task by default).
    annotator : str
        Who the label events are recorded as.
    match : {"file_name", "item_id"}
        How a label file finds its item: ``"file_name"``: the item whose id,
        else whose file's stem, is the label file's stem; ``"item_id"``: the
        item whose id it is.
    root : str or PathLike, optional
        The folder every file read must lie in (symbolic links resolved):
        ``data.yaml``'s folder by default. A ``path:``, ``train:`` … entry, a
        listed image or a label file outside it is refused, naming the field,
        so a ``data.yaml`` from elsewhere cannot make the import read files
        outside its dataset. Name a wider folder to read a dataset whose
        ``path:`` points elsewhere (Ultralytics' own ``path: ../datasets/coco8``).
    progress : bool, optional
        Show a progress bar over the label files (default: when there are at
        least :data:`~workbench.items.PROGRESS_MIN` of them).

    Returns
    -------
    int
        How many items were labeled: one label event per label file, holding
        all its shapes in line order (an empty file gives ``[]``). Class names
        are matched to the task's classes by name; coordinates are scaled by
        the item's image size, read from its file's header.

    Raises
    ------
    YoloFormatError
        On a malformed ``data.yaml`` or label file (a class index not in
        ``names``, a wrong count of numbers, a number that is not one or lies
        outside [0, 1]), a class name that is not a class of the task, or a
        label file that matches no item or the same item as another. The
        message names the file, the line and the field. Nothing is written
        unless everything is well formed.
    """
    if match not in _MATCH:
        raise ValueError(f"match must be one of {list(_MATCH)}, got {match!r}")
    shapes_task_ = shapes_task(project, task, "YOLO")
    yaml_path = _yaml_path(source)
    data = read_data_yaml(yaml_path)
    names = _names(data, str(yaml_path))
    if "kpt_shape" in data:
        raise YoloFormatError(
            f"{yaml_path}: line {data['kpt_shape'][1]}: field 'kpt_shape': YOLO pose "
            "(keypoint) datasets are not read; import keypoints from COCO"
        )
    files = _label_files(data, yaml_path, root)

    index = ItemIndex(project, YoloFormatError)
    items: dict[Path, str] = {}
    seen: dict[str, Path] = {}
    missing: list[str] = []
    for f in files:
        what = f"{f}: the stem {f.stem!r}"
        item = index.item_id(f.stem)
        if item is None and match == "file_name":
            item = index.stem(f.stem, what)
        if item is None:
            missing.append(f"{f} (stem {f.stem!r})")
            continue
        if item in seen:
            raise YoloFormatError(f"{f}: item {item!r} is also labeled by {seen[item]}")
        seen[item] = f
        items[f] = item
    if missing:
        raise YoloFormatError(missing_message(str(yaml_path), missing, "label file(s)"))

    records = {r.item_id: r for r in project.store.get_items(list(items.values()))}
    events = []
    with progress_bar(len(items), "YOLO import", progress, "file") as bar:
        for f, item_id in items.items():
            lines = _read_label_file(f, names, shapes_task_, yaml_path.name)
            value: list[dict[str, Any]] = []
            if lines:
                w, h = real_size(project, records[item_id], YoloFormatError, str(f),
                                 "YOLO coordinates are normalised by the image size")  # fmt: skip
            for n, cls_name, coords in lines:
                shape = _shape(cls_name, coords, w, h)
                try:
                    (valid,) = shapes_task_.validate([shape])
                except SchemaError as exc:
                    raise YoloFormatError(f"{f}: line {n}: field 'coordinates': {exc}") from None
                outside = outside_image(valid, w, h)
                if outside is not None:
                    raise YoloFormatError(f"{f}: line {n}: field 'coordinates': {outside[1]}")
                value.append(shape)
            try:
                events.append(project.make_event(item_id, value, task=shapes_task_.name,
                                                 annotator=annotator))  # fmt: skip
            except SchemaError as exc:
                raise YoloFormatError(f"{f}: {exc}") from None
            bar.update(1)
    project.store.append(events)  # one transaction: all or nothing
    return len(events)


def _shape(cls_name: str, coords: list[float], w: int, h: int) -> dict[str, Any]:
    if len(coords) == 4:
        cx, cy, bw, bh = coords
        bbox = [(cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h]
        return {"type": "box", "class": cls_name, "bbox": bbox}
    points = [[coords[k] * w, coords[k + 1] * h] for k in range(0, len(coords), 2)]
    return {"type": "polygon", "class": cls_name, "points": points}


def _yaml_path(source: Any) -> Path:
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"source must be a data.yaml path or its folder, got {type(source)}")
    path = Path(source)
    if path.is_dir():
        for name in ("data.yaml", "data.yml"):
            if (path / name).is_file():
                return path / name
        raise YoloFormatError(f"{path}: no data.yaml in this folder")
    if not path.is_file():
        raise YoloFormatError(f"{path}: no such file")
    return path


def _names(data: dict[str, tuple[Any, int]], where: str) -> dict[int, str]:
    if "names" not in data:
        raise YoloFormatError(f"{where}: field 'names': missing")
    value, line = data["names"]
    rec = f"{where}: line {line}: field 'names'"
    if isinstance(value, list):
        pairs = list(enumerate(value))
    elif isinstance(value, dict):
        pairs = []
        for k, v in value.items():
            if not _INDEX.fullmatch(k) or len(k) > _INDEX_DIGITS:
                raise YoloFormatError(f"{rec}: keys are class indices, got {describe(k)}")
            if any(int(k) == j for j, _ in pairs):
                raise YoloFormatError(f"{rec}: class {int(k)} is named twice")
            pairs.append((int(k), v))
    else:
        raise YoloFormatError(f"{rec}: must be a list of names or a mapping index: name")
    names: dict[int, str] = {}
    for k, v in pairs:
        if v is None or v == "":
            raise YoloFormatError(f"{rec}: class {k} has no name")
        if not isinstance(v, str):
            raise YoloFormatError(f"{rec}: class {k}: a name is a string, got a "
                                  f"{'list' if isinstance(v, list) else 'mapping'}")  # fmt: skip
        names[k] = v
    if "nc" in data:
        nc, line = data["nc"]
        if (nc is None or not isinstance(nc, str) or not _INDEX.fullmatch(nc)
                or len(nc) > _INDEX_DIGITS or int(nc) != len(names)):  # fmt: skip
            raise YoloFormatError(
                f"{where}: line {line}: field 'nc': {describe(nc)}, but 'names' has "
                f"{len(names)} names"
            )
    return names


def _label_files(
    data: dict[str, tuple[Any, int]], yaml_path: Path, root: str | os.PathLike | None
) -> list[Path]:
    base = yaml_path.parent
    fence = _Fence(base if root is None else Path(root), yaml_path, root is None)
    top = base
    if data.get("path", (None,))[0]:
        value, line = data["path"]
        if not isinstance(value, str):
            raise YoloFormatError(f"{yaml_path}: line {line}: field 'path': must be a folder "
                                  f"name, got {describe(value)}")  # fmt: skip
        top = Path(value) if Path(value).is_absolute() else base / value
        fence.check(top, f"line {line}: field 'path': {value!r}")
    entries = []
    for key in ("train", "val", "test"):
        value, line = data.get(key, (None, 0))
        for entry in value if isinstance(value, list) else [value]:
            if entry and not isinstance(entry, str):
                raise YoloFormatError(f"{yaml_path}: line {line}: field {key!r}: must be a "
                                      f"folder or a list file, got {describe(entry)}")  # fmt: skip
            if entry:
                entries.append((entry, f"line {line}: field {key!r}: {entry!r}"))
    looked: list[str] = []
    found: list[Path] = []
    if not entries:
        looked.append(str(top / "labels"))
        if (top / "labels").is_dir():
            found += sorted((top / "labels").rglob("*.txt"))
    for entry, rec in entries:
        candidates = [Path(entry) if Path(entry).is_absolute() else top / entry]
        if entry.startswith("../"):  # Ultralytics' fallback for such paths
            candidates.append(top / entry[3:])
        inside = [c for c in candidates if fence.inside(c)]
        if not inside:
            fence.check(candidates[0], rec)  # raises
        for c in inside:
            if c.suffix == ".txt" and c.is_file():
                found += _listed_label_files(c, fence, rec)
                break
            d = _label_dir(c)
            looked.append(str(d))
            if d.is_dir():
                found += sorted(d.rglob("*.txt"))
                break
    out, seen = [], set()
    for f in found:
        key = f.resolve()
        if key not in seen:
            fence.check(f, f"label file {f}")
            seen.add(key)
            out.append(f)
    if not out:
        raise YoloFormatError(f"{yaml_path}: no label files found; looked in {looked}")
    return out


class _Fence:
    """The folder a dataset's files must lie in (symbolic links resolved): the
    ``data.yaml``'s folder unless the caller names another with ``root=``."""

    def __init__(self, folder: Path, yaml_path: Path, default: bool) -> None:
        self.folder, self.real = folder, folder.resolve()
        self.yaml_path, self.default = yaml_path, default

    def inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.real)

    def check(self, path: Path, rec: str) -> None:
        if self.inside(path):
            return
        hint = ("pass root= a folder that holds both to read it"
                if self.default else "it is outside root=")  # fmt: skip
        raise YoloFormatError(
            f"{self.yaml_path}: {rec} leads to {path.resolve()}, outside the dataset "
            f"folder {self.folder} ({hint}); nothing was read there"
        )


def _label_dir(images: Path) -> Path:
    """Where Ultralytics looks for the labels of the images under ``images``."""
    parts = images.parts
    if "images" in parts:
        i = len(parts) - 1 - parts[::-1].index("images")
        return Path(*parts[:i], "labels", *parts[i + 1 :])
    if (images / "labels").is_dir():
        return images / "labels"
    return images  # label files next to the images


def _listed_label_files(listing: Path, fence: _Fence, rec: str) -> list[Path]:
    out = []
    for line in _text(listing, MAX_DATASET_BYTES).splitlines():
        image = line.strip()
        if not image:
            continue
        p = Path(image) if Path(image).is_absolute() else listing.parent / image
        label = _label_dir(p.parent) / (p.stem + ".txt")
        fence.check(label, f"{rec}: {listing}: the image {image!r}")
        if label.is_file():
            out.append(label)
    return out


def _read_label_file(
    f: Path, names: dict[int, str], shapes_task_: Shapes, yaml_name: str
) -> list[tuple[int, str, list[float]]]:
    """``(line number, class name, normalised coordinates)`` of each object."""
    text = _text(f, MAX_FILE_BYTES)
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        rec = f"{f}: line {n}"
        if not _INDEX.fullmatch(fields[0]):
            raise YoloFormatError(
                f"{rec}: field 'class': must be a class index (an int), got {describe(fields[0])}"
            )
        k = int(fields[0]) if len(fields[0]) <= _INDEX_DIGITS else None
        if k is None or k not in names:
            raise YoloFormatError(
                f"{rec}: field 'class': no class {_token(fields[0])} in "
                f"{yaml_name}'s names (indices {_spans(sorted(names))})"
            )
        cls_name = names[k]
        if cls_name not in shapes_task_.class_names:
            raise YoloFormatError(
                f"{rec}: field 'class': class {k} is {cls_name!r} in {yaml_name}, not a class "
                f"of task {shapes_task_.name!r}; classes: {shapes_task_.class_names}"
            )
        coords = fields[1:]
        if len(coords) == 4:
            labels: list[str] = list(_BOX_FIELDS)
        elif len(coords) >= 6 and len(coords) % 2 == 0:
            labels = [f"{a}{j}" for j in range(1, len(coords) // 2 + 1) for a in "xy"]
        else:
            raise YoloFormatError(
                f"{rec}: field 'coordinates': {len(coords)} numbers after the class; a box "
                "has 4 (x_center y_center width height), a polygon an even number, at least "
                "6 (x1 y1 x2 y2 x3 y3 ...)"
            )
        values = []
        for label, text_value in zip(labels, coords, strict=True):
            if not _NUMBER.fullmatch(text_value):
                raise YoloFormatError(
                    f"{rec}: field {label!r}: must be a number, got {describe(text_value)}"
                )
            v = float(text_value)  # a decimal too large for a float is inf: refused below
            if not 0.0 <= v <= 1.0:
                raise YoloFormatError(
                    f"{rec}: field {label!r}: {_token(text_value)} is outside "
                    "[0, 1] (YOLO coordinates are fractions of the image size)"
                )
            values.append(v)
        out.append((n, cls_name, values))
    return out


def _token(text: str) -> str:
    """A token of a label file, for a message: shortened when long."""
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} characters)"


def _text(path: Path, limit: int, encoding: str = "utf-8") -> str:
    """A text file's text, read only up to ``limit`` bytes."""
    try:
        return read_file(path, limit, YoloFormatError).decode(encoding)
    except UnicodeDecodeError as exc:
        raise YoloFormatError(f"{path}: not a text file: {exc}") from None


def _spans(ks: list[int]) -> str:
    if ks and ks == list(range(ks[0], ks[-1] + 1)):
        return f"{ks[0]} to {ks[-1]}"
    return ", ".join(map(str, ks)) or "none"


# ---------------------------------------------------------------------------
# data.yaml, read with PyYAML's safe composer

#: Bytes of a ``data.yaml`` read (ImageNet-21k's 21,841 class names take 0.5 MB,
#: parsed in about a second).
MAX_YAML_BYTES = 2 * 2**20
_READ = ("path", "train", "val", "test", "nc", "names", "kpt_shape")
_NULL = "tag:yaml.org,2002:null"
#: The tags of YAML's own scalars and collections: any other (``!!python/…``,
#: ``!custom``) in a value workbench reads is refused.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)


#: libyaml's parser when PyYAML was built with it (20 times faster), else PyYAML's.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_data_yaml(path: str | os.PathLike) -> dict[str, tuple[Any, int]]:
    """The top-level keys of a YOLO ``data.yaml``: ``{key: (value, line number)}``.

    The file is parsed by PyYAML's safe loader (any YAML 1.1: quoted strings
    with ``\\xE9`` and ``\\U0001F415`` escapes, flow and block collections,
    block scalars, comments), composed into nodes but never constructed into
    Python objects, so no tag is ever acted on. A value is a string (a scalar
    as written: a class named ``no`` or ``1.0`` stays that string, never a
    bool or a float), ``None`` (an empty value, ``~`` or ``null``), a list of
    values, or a mapping of them by string key. Only the keys workbench reads
    are converted; the others (``download`` scripts, ``roboflow`` blocks …)
    are skipped whatever they hold. Refused with :class:`YoloFormatError`: a
    file over :data:`MAX_YAML_BYTES`, text that is not UTF-8 or not YAML, more
    than one document, a top level that is not a mapping, a key given twice,
    and any alias (``*name``), anywhere in the file.
    """
    where = os.fspath(path)
    try:
        text = read_file(where, MAX_YAML_BYTES, YoloFormatError).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YoloFormatError(f"{where}: not UTF-8 text: {exc}") from None
    try:
        # Aliases first, from the event stream: an alias makes the document a graph
        # that can be exponentially larger than its text (the "billion laughs").
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise YoloFormatError(
                    f"{where}: line {event.start_mark.line + 1}: aliases (*name) are "
                    "refused: they can expand without bound"
                )
        root = yaml.compose(text, Loader=_Loader)  # nodes only: no tag is acted on
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        what = ": ".join(t for t in (exc.context, exc.problem) if t) or str(exc)
        raise YoloFormatError(f"{where}: {line}not YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise YoloFormatError(f"{where}: not YAML: {exc}") from None
    except RecursionError:
        raise YoloFormatError(f"{where}: not a data.yaml: nested too deeply") from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise YoloFormatError(
            f"{where}: line {root.start_mark.line + 1}: a data.yaml holds a mapping "
            f"(key: value lines), got {_node_kind(root)}"
        )
    out: dict[str, tuple[Any, int]] = {}
    for key_node, value_node in root.value:
        n = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise YoloFormatError(f"{where}: line {n}: a key must be a plain name, got "
                                  f"{_node_kind(key_node)}")  # fmt: skip
        key = key_node.value
        if key not in _READ:
            continue
        if key in out:
            raise YoloFormatError(
                f"{where}: line {n}: field {key!r}: given twice (first on line {out[key][1]})"
            )
        out[key] = (_node_value(value_node, f"{where}: line {n}: field {key!r}"), n)
    return out


def _node_value(node: Any, rec: str, depth: int = 0) -> Any:
    """A composed node as strings, ``None``, lists and dicts (two levels at most:
    no value workbench reads nests deeper)."""
    if node.tag not in _PLAIN_TAGS:
        raise YoloFormatError(f"{rec}: line {node.start_mark.line + 1}: the tag "
                              f"{describe(node.tag)} is not read here")  # fmt: skip
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL else node.value
    if depth >= 2:
        raise YoloFormatError(f"{rec}: nested too deeply ({_node_kind(node)} inside "
                              "a collection inside a collection)")  # fmt: skip
    if isinstance(node, yaml.SequenceNode):
        return [_node_value(v, rec, depth + 1) for v in node.value]
    out: dict[str, Any] = {}
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode) or k.tag == _NULL:
            raise YoloFormatError(f"{rec}: line {k.start_mark.line + 1}: a key must be a "
                                  f"string or a number, got {_node_kind(k)}")  # fmt: skip
        out[k.value] = _node_value(v, rec, depth + 1)
    return out


def _node_kind(node: Any) -> str:
    if isinstance(node, yaml.ScalarNode):
        return "nothing" if node.tag == _NULL else f"the scalar {describe(node.value)}"
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
