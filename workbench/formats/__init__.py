"""Reading and writing labels in other tools' formats.

Each format is one module with a ``to_<format>(project, ...)`` exporter and a
``from_<format>(project, source, ...)`` importer; an export then import gives
back the same shapes, and what a format cannot hold is named in a warning.
COCO, YOLO and Pascal VOC hold shapes only: they live with the shapes task kind
(:mod:`workbench.kinds.shapes.formats`) and are re-exported here. The text-span
formats (Prodigy-style JSONL, CoNLL IOB2, Label Studio JSON, Hugging Face
token-classification columns, spaCy DocBin) live with the spans task kind
(:mod:`workbench.kinds.spans.formats`) and are re-exported here too.
"""

from __future__ import annotations

from ..kinds.shapes.formats.coco import CocoFormatError, from_coco, to_coco
from ..kinds.shapes.formats.voc import VocFormatError, from_voc, to_voc
from ..kinds.shapes.formats.yolo import YoloFormatError, from_yolo, to_yolo
from ..kinds.spans.formats._common import SpanFormatError
from ..kinds.spans.formats.conll import ConllFormatError, from_conll, to_conll
from ..kinds.spans.formats.docbin import DocBinFormatError, from_docbin, to_docbin
from ..kinds.spans.formats.hf import HfFormatError, from_hf_tokens, hf_features, to_hf_tokens
from ..kinds.spans.formats.label_studio import (
    LabelStudioFormatError,
    from_label_studio,
    label_studio_config,
    to_label_studio,
)
from ..kinds.spans.formats.prodigy import ProdigyFormatError, from_prodigy, to_prodigy

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
]
