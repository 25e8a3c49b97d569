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

Bounds (see :mod:`workbench.formats._project`): a class index and every
number are ASCII digits (Python's ``int()`` and ``float()`` would take
Arabic-Indic or full-width digits too); a label file or ``data.yaml`` larger
than :data:`~workbench.formats._project.MAX_FILE_BYTES` is refused before it is
read; a shape reaching outside its image by more than 1 px or 1 % of its side
(a box's corners, not only its centre and size, which the format bounds to
[0, 1]) is refused, naming the file and the line. The export never writes
``inf`` or ``nan``.

``data.yaml`` is written and read without a YAML library: the writer quotes
every name, and the reader takes the subset such files use (``key: value``,
block and flow lists and mappings, quoted and plain scalars, comments), and
skips the keys it does not need (``download:`` scripts and the like).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import geometry, masks
from ..errors import ItemReadError, SchemaError, WorkbenchError
from ..shapes import Shapes
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
    for record, shapes, stem in items_by_stem(
        project, shapes_task_, YoloFormatError, "YOLO", "a label file"
    ):
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
        *(f"  {k}: {json.dumps(name, ensure_ascii=False)}" for k, name in enumerate(names)),
    ]
    return "\n".join(lines) + "\n"


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
    files = _label_files(data, yaml_path)

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
            pairs.append((int(k), v))
    else:
        raise YoloFormatError(f"{rec}: must be a list of names or a mapping index: name")
    names: dict[int, str] = {}
    for k, v in pairs:
        if v is None or v == "":
            raise YoloFormatError(f"{rec}: class {k} has no name")
        names[k] = str(v)
    if "nc" in data:
        nc, line = data["nc"]
        if (nc is None or not isinstance(nc, str) or not _INDEX.fullmatch(nc)
                or len(nc) > _INDEX_DIGITS or int(nc) != len(names)):  # fmt: skip
            raise YoloFormatError(
                f"{where}: line {line}: field 'nc': {describe(nc)}, but 'names' has "
                f"{len(names)} names"
            )
    return names


def _label_files(data: dict[str, tuple[Any, int]], yaml_path: Path) -> list[Path]:
    base = yaml_path.parent
    root = base
    if data.get("path", (None,))[0]:
        root = Path(data["path"][0])
        root = root if root.is_absolute() else base / root
    entries = []
    for key in ("train", "val", "test"):
        value, line = data.get(key, (None, 0))
        for entry in value if isinstance(value, list) else [value]:
            if entry:
                entries.append(entry)
    looked: list[str] = []
    found: list[Path] = []
    if not entries:
        looked.append(str(root / "labels"))
        if (root / "labels").is_dir():
            found += sorted((root / "labels").rglob("*.txt"))
    for entry in entries:
        candidates = [Path(entry) if Path(entry).is_absolute() else root / entry]
        if entry.startswith("../"):  # Ultralytics' fallback for such paths
            candidates.append(root / entry[3:])
        for c in candidates:
            if c.suffix == ".txt" and c.is_file():
                found += _listed_label_files(c)
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
            seen.add(key)
            out.append(f)
    if not out:
        raise YoloFormatError(f"{yaml_path}: no label files found; looked in {looked}")
    return out


def _label_dir(images: Path) -> Path:
    """Where Ultralytics looks for the labels of the images under ``images``."""
    parts = images.parts
    if "images" in parts:
        i = len(parts) - 1 - parts[::-1].index("images")
        return Path(*parts[:i], "labels", *parts[i + 1 :])
    if (images / "labels").is_dir():
        return images / "labels"
    return images  # label files next to the images


def _listed_label_files(listing: Path) -> list[Path]:
    out = []
    for line in _text(listing, MAX_DATASET_BYTES).splitlines():
        image = line.strip()
        if not image:
            continue
        p = Path(image) if Path(image).is_absolute() else listing.parent / image
        label = _label_dir(p.parent) / (p.stem + ".txt")
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
# data.yaml: the subset of YAML such files use

_KEY = re.compile(r"([A-Za-z_][\w.-]*)\s*:(?:\s+(.*))?$")


def read_data_yaml(path: str | os.PathLike) -> dict[str, tuple[Any, int]]:
    """The top-level keys of a YOLO ``data.yaml``: ``{key: (value, line number)}``.

    A value is a string, ``None`` (empty, ``~`` or ``null``), a list of those,
    or a mapping of them by string key. Numbers stay strings. The keys workbench
    does not read (``download``, ``roboflow`` …) are skipped with their blocks,
    whatever they hold.
    """
    where = os.fspath(path)
    try:
        text = read_file(where, MAX_FILE_BYTES, YoloFormatError).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YoloFormatError(f"{where}: not UTF-8 text: {exc}") from None
    lines = text.splitlines()
    out: dict[str, tuple[Any, int]] = {}
    i = 0
    while i < len(lines):
        line = _uncomment(lines[i]).rstrip()
        n = i + 1
        i += 1
        if not line.strip() or line.strip() == "---":
            continue
        if line[0] in " \t":
            raise YoloFormatError(f"{where}: line {n}: indented, but under no key")
        m = _KEY.match(line)
        if not m:
            raise YoloFormatError(f"{where}: line {n}: expected 'key: value', got {line!r:.60}")
        key, rest = m.group(1), (m.group(2) or "").strip()
        block: list[tuple[int, str]] = []
        while i < len(lines):
            raw = lines[i]
            body = _uncomment(raw).rstrip()
            if not body.strip():
                i += 1
                continue
            if raw[0] in " \t" or (not rest and (body == "-" or body.startswith("- "))):
                block.append((i + 1, body))
                i += 1
                continue
            break
        if key not in _READ:
            continue
        out[key] = (_value(rest, block, f"{where}: line {n}: field {key!r}"), n)
    return out


_READ = ("path", "train", "val", "test", "nc", "names", "kpt_shape")


def _value(rest: str, block: list[tuple[int, str]], rec: str) -> Any:
    if rest.startswith(("|", ">", "&", "*", "!")):
        raise YoloFormatError(f"{rec}: block scalars, anchors and tags are not read here")
    if rest.startswith(("[", "{")):
        text = " ".join([rest, *(b.strip() for _, b in block)])
        return _flow(text, rec)
    if rest:
        if block:
            raise YoloFormatError(f"{rec}: a value on the key's line and an indented block")
        return _scalar(rest, rec)
    if not block:
        return None
    if all(b.strip() == "-" or b.strip().startswith("- ") for _, b in block):
        return [_scalar(b.strip()[1:], f"{rec} (line {n})") for n, b in block]
    out = {}
    for n, b in block:
        k, v = _pair(b.strip(), f"{rec} (line {n})")
        out[k] = v
    return out


def _flow(text: str, rec: str) -> Any:
    opening = text[0]
    closing = "]" if opening == "[" else "}"
    items = _split(text, rec)
    if items is None or not text.endswith(closing):
        raise YoloFormatError(f"{rec}: an unclosed or unbalanced {opening}...{closing}")
    items = [s for s in (t.strip() for t in items) if s]
    if opening == "[":
        return [_scalar(s, rec) for s in items]
    return dict(_pair(s, rec) for s in items)


def _split(text: str, rec: str) -> list[str] | None:
    """The comma-separated items inside one flow collection (no nesting), or None."""
    inner = text[1:-1]
    items, current, quote = [], [], ""
    i = 0
    while i < len(inner):
        c = inner[i]
        if quote:
            current.append(c)
            if c == "\\" and quote == '"' and i + 1 < len(inner):
                current.append(inner[i + 1])
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'" and not "".join(current).strip():
            quote = c
            current.append(c)
        elif c == ",":
            items.append("".join(current))
            current = []
        elif c in "[]{}":
            return None
        else:
            current.append(c)
        i += 1
    if quote:
        raise YoloFormatError(f"{rec}: an unclosed quote")
    items.append("".join(current))
    return items


def _pair(text: str, rec: str) -> tuple[str, Any]:
    if text[:1] in "\"'":
        key_end = _quoted_end(text, rec)
        key, tail = _scalar(text[:key_end], rec), text[key_end:].lstrip()
        if not tail.startswith(":"):
            raise YoloFormatError(f"{rec}: expected 'key: value', got {text!r:.60}")
        return str(key), _scalar(tail[1:], rec)
    m = re.match(r"([^:]*?)\s*:(?:\s+(.*))?$", text)
    if not m:
        raise YoloFormatError(f"{rec}: expected 'key: value', got {text!r:.60}")
    return m.group(1), _scalar(m.group(2) or "", rec)


def _quoted_end(text: str, rec: str) -> int:
    q = text[0]
    i = 1
    while i < len(text):
        if q == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == q:
            if q == "'" and text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    raise YoloFormatError(f"{rec}: an unclosed quote in {text!r:.60}")


def _scalar(text: str, rec: str) -> str | None:
    s = text.strip()
    if s[:1] in "\"'":
        end = _quoted_end(s, rec)
        if s[end:].strip():
            raise YoloFormatError(f"{rec}: text after a quoted string: {s!r:.60}")
        if s[0] == "'":
            return s[1 : end - 1].replace("''", "'")
        try:
            return json.loads(s[:end])
        except json.JSONDecodeError as exc:
            raise YoloFormatError(
                f"{rec}: cannot read the quoted string {s!r:.60}: {exc}"
            ) from None
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    return s


def _uncomment(line: str) -> str:
    """The line without a ``#`` comment (a ``#`` at the start or after a space,
    outside quotes)."""
    quote = ""
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1  # an escaped character cannot close the string
            elif c == quote:
                quote = ""
        elif c in "\"'" and (i == 0 or line[i - 1] in " \t[{,:-"):
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
        i += 1
    return line
