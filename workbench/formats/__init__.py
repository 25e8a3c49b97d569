"""Reading and writing labels in other tools' formats.

Each format is one module with a ``to_<format>(project, ...)`` exporter and a
``from_<format>(project, source, ...)`` importer; an export then import gives
back the same shapes, and what a format cannot hold is named in a warning.
COCO, YOLO and Pascal VOC hold shapes only: they live with the shapes task kind
(:mod:`workbench.kinds.shapes.formats`) and are re-exported here.
"""

from __future__ import annotations

from ..kinds.shapes.formats.coco import CocoFormatError, from_coco, to_coco
from ..kinds.shapes.formats.voc import VocFormatError, from_voc, to_voc
from ..kinds.shapes.formats.yolo import YoloFormatError, from_yolo, to_yolo

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
