"""Reading and writing labels in other tools' formats.

Each format is one module with a ``to_<format>(project, ...)`` exporter and a
``from_<format>(project, source, ...)`` importer; an export then import gives
back the same shapes, and what a format cannot hold is named in a warning.
"""

from __future__ import annotations

from .coco import CocoFormatError, from_coco, to_coco
from .voc import VocFormatError, from_voc, to_voc
from .yolo import YoloFormatError, from_yolo, to_yolo

__all__ = [
    "to_coco",
    "from_coco",
    "CocoFormatError",
    "to_yolo",
    "from_yolo",
    "YoloFormatError",
    "to_voc",
    "from_voc",
    "VocFormatError",
]
