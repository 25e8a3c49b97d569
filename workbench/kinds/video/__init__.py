"""The video task kind (:class:`VideoTracks`): objects followed through frames as
tracks of keyframes, boxes or polygons interpolated between them."""

from __future__ import annotations

from ..registry import TaskKind, register
from .schema import VideoTracks
from .tracks import TrackIndex, merge_tracks, shape_at, shapes_at, split_track

__all__ = ["VideoTracks", "KIND", "TrackIndex", "shape_at", "shapes_at", "split_track",
           "merge_tracks"]  # fmt: skip

KIND = register(TaskKind("video", VideoTracks, widget="annotate_video"))
