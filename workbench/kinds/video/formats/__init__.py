"""Video-track formats: MOT Challenge text files, CVAT for video 1.1 XML and COCO
per frame with videos and tracks (COCO-VID, TAO) (re-exported by
:mod:`workbench.formats`)."""

from __future__ import annotations

from ._common import VideoFormatError
from .coco import CocoVideoFormatError, from_coco_video, to_coco_video
from .cvat import CvatFormatError, from_cvat_video, to_cvat_video
from .mot import MotFormatError, from_mot, to_mot

__all__ = [
    "VideoFormatError",
    "to_mot",
    "from_mot",
    "MotFormatError",
    "to_cvat_video",
    "from_cvat_video",
    "CvatFormatError",
    "to_coco_video",
    "from_coco_video",
    "CocoVideoFormatError",
]
