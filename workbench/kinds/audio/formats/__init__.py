"""Audio-region formats: region tables (CSV, TSV, Parquet, DataFrames), Audacity
label tracks and Label Studio JSON (re-exported by :mod:`workbench.formats`)."""

from __future__ import annotations

from ._common import AudioFormatError
from .audacity import AudacityFormatError, from_audacity, to_audacity
from .label_studio import (
    LabelStudioAudioError,
    from_label_studio_audio,
    label_studio_audio_config,
    to_label_studio_audio,
)
from .table import RegionTableError, from_region_table, to_region_table

__all__ = [
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
]
