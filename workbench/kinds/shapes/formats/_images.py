"""Image sizes for the format modules, read from file headers only.

Exporters need each image's size (COCO ``width``/``height``, VOC ``<size>``,
YOLO's normalised coordinates) and importers need it to undo YOLO's
normalisation; decoding every image for that would cost far more than the
export itself. PIL reads the size when it opens a file, before any pixel is
decoded, and an array item's size is its ``.npy`` row's shape.
"""

from __future__ import annotations

from typing import Any

import fsspec
from PIL import Image

from ....errors import ItemReadError

__all__ = ["image_header"]

#: EXIF orientations that turn the image a quarter turn (width and height swap).
_QUARTER_TURNS = (5, 6, 7, 8)


def image_header(project: Any, record: Any) -> tuple[int, int, int]:
    """``(width, height, bands)`` of an image item, without decoding its pixels.

    The size is the one :meth:`~workbench.items.ItemReader.load` gives (EXIF
    orientation applied); ``bands`` is 3 for RGB, 1 for grey and so on.

    Raises
    ------
    ItemReadError
        When the item is not an image, or its file cannot be opened or is not
        an image PIL knows; the message names the item and its URI.
    """
    uri = record.uri
    if record.kind != "image" or not uri:
        raise ItemReadError(f"item {record.item_id!r} is not an image with a URI")
    reader = project.reader
    if uri.startswith("npy://"):
        # A memory-mapped row: its shape comes from the .npy header.
        shape = reader._npy_row(record).shape
        return int(shape[1]), int(shape[0]), int(shape[2]) if len(shape) == 3 else 1
    try:
        if uri.startswith("items://"):
            f = open(reader.items_dir / uri[len("items://") :], "rb")  # noqa: SIM115
        elif uri.startswith("file://") or ("://" not in uri and "::" not in uri):
            # A local path (items store them canonical): open() costs a third of fsspec's.
            f = open(uri.removeprefix("file://"), "rb")  # noqa: SIM115
        else:
            f = fsspec.open(uri, "rb").open()
        with f, Image.open(f) as im:
            w, h = im.size
            bands = len(im.getbands())
            if _orientation(im) in _QUARTER_TURNS:
                w, h = h, w
    except FileNotFoundError as exc:
        raise ItemReadError(f"item {record.item_id!r}: no file at {uri!r}") from exc
    except Exception as exc:
        raise ItemReadError(
            f"item {record.item_id!r} ({uri}): cannot read the image header: {exc}"
        ) from exc
    return int(w), int(h), bands


def _orientation(im: Image.Image) -> int:
    # PNG's getexif() decodes the whole image to look for an eXIf chunk after the
    # pixels; the base class reads only what open() found in the header.
    exif = Image.Image.getexif(im) if im.format == "PNG" else im.getexif()
    return int(exif.get(0x0112, 1) or 1)
