"""AnnotateVideoWidget: follow objects through a video's frames as box or polygon tracks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..stream import VideoStream
from ._base import Setting, bundle, check_settings, stylesheet
from .annotate import AnnotateWidget

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["AnnotateVideoWidget"]

_SETTINGS = ("prefetch", "max_size", "frame_prefetch", "annotator", "order", "issues")


class AnnotateVideoWidget(AnnotateWidget):
    """Track annotation of video items for a :class:`~workbench.VideoTracks` task.

    Create it with ``project.annotate_video(task, **settings)``. Frames are decoded
    in the kernel (exactly the frame asked for, by its index) and sent at the
    widget's ``max_size``, those around the playhead fetched ahead; shapes between
    an object's keyframes are interpolated in the browser as the kernel does it
    (:mod:`workbench.kinds.video.tracks`). Every change of a video's tracks is
    stored as one label (the video's whole value) through the same acknowledged,
    resent messages as the other widgets, so nothing is lost on a reload or a
    kernel restart.

    Parameters
    ----------
    project : Project
        The project whose video items are annotated.
    task : str, optional
        The :class:`~workbench.VideoTracks` task; the schema's first one by default.

    Other Parameters
    ----------------
    prefetch : int
        How many upcoming videos the browser keeps ready (0 to 100, default 2).
    max_size : int
        Longest side in pixels of the frames sent (64 to 8192, default 960).
    frame_prefetch : int
        Frames fetched ahead of the playhead (0 to 240, default 24; eight behind
        it too). ``0`` asks for each frame when it is shown: the benchmarks'
        baseline.
    annotator : str, optional
        Name recorded on the labels; the project's annotator by default.
    order : iterable of str, optional
        Item ids to present first (those not yet labeled), then the store's order.
    issues : DataFrame or iterable of str, optional
        Review these items, labeled or not, in this order.

    Notes
    -----
    Keys (``?`` in the widget lists them all): ``.`` / ``,`` step a frame forward /
    back (Shift: ten), Space plays and pauses, Home / End go to the ends, and a
    click on the timeline seeks; drag on the frame to draw a box (a polygon task:
    click its points, Enter or a double click closes it): a new track of the
    chosen class (class keys choose it, or relabel the selected track), with a
    keyframe here; drag a shape to move it, a box's corner to resize it or a
    picked polygon's vertex to reshape it: a keyframe here; click a shape to
    select its track; ``o`` marks the selected object outside from this frame
    on, ``h`` toggles occluded here; Delete removes the
    selected track, Shift+Delete its keyframe here; ``x`` splits the track here,
    ``m`` merges the selected track into the one selected before it; ``[`` / ``]``
    go to the selected track's previous / next keyframe; Tab, ``y``, ``n``, ``Y``
    walk, accept and reject the model's suggested tracks; Ctrl+Z / Ctrl+Shift+Z
    undo and redo; Enter stores the video as it is and moves on.
    """

    _esm = bundle("annotate_video")
    _css = stylesheet("annotate_video")

    task_kind = "video"
    stream_class = VideoStream
    settings_names = _SETTINGS
    prefetch = Setting(2, 0, 100)
    max_size = Setting(960, 64, 8192, stream=True)
    frame_prefetch = Setting(24, 0, 240)

    def __init__(self, project: Project, task: str | None = None, **settings: Any) -> None:
        check_settings(type(self).__name__, settings, _SETTINGS)
        super().__init__(project, task, **settings)
