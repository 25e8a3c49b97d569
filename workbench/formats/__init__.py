"""Reading and writing labels in other tools' formats.

Each format is one module with a ``to_<format>(project, ...)`` exporter and a
``from_<format>(project, source, ...)`` importer; an export then import gives
back the same shapes, and what a format cannot hold is named in a warning.
COCO, YOLO and Pascal VOC hold shapes only: they live with the shapes task kind
(:mod:`workbench.kinds.shapes.formats`) and are re-exported here. The text-span
formats (Prodigy-style JSONL, CoNLL IOB2, Label Studio JSON, Hugging Face
token-classification columns, spaCy DocBin) live with the spans task kind
(:mod:`workbench.kinds.spans.formats`), and the audio-region formats (region
tables, Audacity label tracks, Label Studio audio) with the audio kind
(:mod:`workbench.kinds.audio.formats`), and the video-track formats (MOT
Challenge text, CVAT for video XML, COCO video JSON) with the video kind
(:mod:`workbench.kinds.video.formats`); all are re-exported here.

:func:`to_label_studio`, :func:`from_label_studio` and
:func:`label_studio_config` serve every kind that has a Label Studio form: they
take the task's kind from the schema (``task=``, or the schema's first task).
"""

from __future__ import annotations

from typing import Any

from ..kinds.audio.formats import (
    AudacityFormatError,
    AudioFormatError,
    LabelStudioAudioError,
    RegionTableError,
    from_audacity,
    from_label_studio_audio,
    from_region_table,
    label_studio_audio_config,
    to_audacity,
    to_label_studio_audio,
    to_region_table,
)
from ..kinds.shapes.formats.coco import CocoFormatError, from_coco, to_coco
from ..kinds.shapes.formats.voc import VocFormatError, from_voc, to_voc
from ..kinds.shapes.formats.yolo import YoloFormatError, from_yolo, to_yolo
from ..kinds.spans.formats import label_studio as _spans_label_studio
from ..kinds.spans.formats._common import SpanFormatError
from ..kinds.spans.formats.conll import ConllFormatError, from_conll, to_conll
from ..kinds.spans.formats.docbin import DocBinFormatError, from_docbin, to_docbin
from ..kinds.spans.formats.hf import HfFormatError, from_hf_tokens, hf_features, to_hf_tokens
from ..kinds.spans.formats.label_studio import LabelStudioFormatError
from ..kinds.spans.formats.prodigy import ProdigyFormatError, from_prodigy, to_prodigy
from ..kinds.video.formats import (
    CocoVideoFormatError,
    CvatFormatError,
    MotFormatError,
    VideoFormatError,
    from_coco_video,
    from_cvat_video,
    from_mot,
    to_coco_video,
    to_cvat_video,
    to_mot,
)

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
    "SpanFormatError",
    "to_prodigy",
    "from_prodigy",
    "ProdigyFormatError",
    "to_conll",
    "from_conll",
    "ConllFormatError",
    "to_label_studio",
    "from_label_studio",
    "label_studio_config",
    "LabelStudioFormatError",
    "to_hf_tokens",
    "from_hf_tokens",
    "hf_features",
    "HfFormatError",
    "to_docbin",
    "from_docbin",
    "DocBinFormatError",
    "AudioFormatError",
    "to_region_table",
    "from_region_table",
    "RegionTableError",
    "to_audacity",
    "from_audacity",
    "AudacityFormatError",
    "to_label_studio_audio",
    "from_label_studio_audio",
    "label_studio_audio_config",
    "LabelStudioAudioError",
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


def _is_audio(project: Any, task: str | None) -> bool:
    return project.schema.task(task).kind == "audio"


def to_label_studio(
    project: Any, *, task: str | None = None, **options: Any
) -> list[dict[str, Any]]:
    """The current labels of a text-spans or audio-regions task as Label Studio
    tasks: :func:`workbench.kinds.spans.formats.label_studio.to_label_studio` or
    :func:`to_label_studio_audio`, by the task's kind."""
    if _is_audio(project, task):
        return to_label_studio_audio(project, task=task, **options)
    return _spans_label_studio.to_label_studio(project, task=task, **options)


def from_label_studio(project: Any, source: Any, *, task: str | None = None, **options: Any) -> int:
    """Import Label Studio tasks as labels of a text-spans or audio-regions task:
    :func:`workbench.kinds.spans.formats.label_studio.from_label_studio` or
    :func:`from_label_studio_audio`, by the task's kind."""
    if _is_audio(project, task):
        return from_label_studio_audio(project, source, task=task, **options)
    return _spans_label_studio.from_label_studio(project, source, task=task, **options)


def label_studio_config(project: Any, *, task: str | None = None, **options: Any) -> str:
    """The labeling config matching :func:`to_label_studio` for the task's kind."""
    if _is_audio(project, task):
        return label_studio_audio_config(project, task=task, **options)
    return _spans_label_studio.label_studio_config(project, task=task, **options)
