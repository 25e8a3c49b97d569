"""AnnotateAudioWidget: label time regions of audio clips on their waveform."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..stream import AudioStream
from ._base import Setting, bundle, check_settings, stylesheet
from .annotate import AnnotateWidget

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["AnnotateAudioWidget"]

_SETTINGS = ("prefetch", "max_size", "annotator", "order", "issues")


class AnnotateAudioWidget(AnnotateWidget):
    """Region annotation of audio items for an :class:`~workbench.AudioRegions` task.

    Create it with ``project.annotate_audio(task, **settings)``. The clip's
    waveform is computed in the kernel (:meth:`workbench.media.Audio.peaks`) at
    the widget's width and drawn in the browser; playback streams the clip a
    window at a time, so an hour of audio opens without its samples being sent.
    Every change of a clip's regions is stored as one label (the clip's whole
    value) through the same acknowledged, resent messages as the other widgets,
    so nothing is lost on a reload or a kernel restart.

    Parameters
    ----------
    project : Project
        The project whose audio items are annotated.
    task : str, optional
        The :class:`~workbench.AudioRegions` task; the schema's first one by default.

    Other Parameters
    ----------------
    prefetch : int
        How many upcoming clips the browser keeps ready (0 to 100, default 4).
    max_size : int
        Bins of the whole-clip waveform sent with each clip (64 to 8192, default
        2048); zooming in past it asks the kernel for the window shown.
    annotator : str, optional
        Name recorded on the labels; the project's annotator by default.
    order : iterable of str, optional
        Item ids to present first (those not yet labeled), then the store's order.
    issues : DataFrame or iterable of str, optional
        Review these items, labeled or not, in this order, instead of the
        unlabeled queue.

    Notes
    -----
    Keys (``?`` in the widget lists them all): Space plays and pauses; ``←``
    ``→`` seek a second (Shift: ten), Home / End go to the ends; the wheel zooms
    at the pointer and ``0`` shows the whole clip again (unless a class is bound
    to it); drag on the waveform to select a stretch and press a class
    key to make it a region; while playing, a class key starts a region of that
    class at the playhead and the same key ends it; click a region to select it
    (a class key relabels it, Delete removes it, its transcription and
    attributes show as controls under the waveform); Tab selects the next model
    suggestion (dashed, with its score), ``y`` accepts it, ``n`` rejects it;
    Ctrl+Z / Ctrl+Shift+Z undo and redo; Enter stores the clip as it is and
    moves on; Alt+``←`` ``→`` walk back and forward through the clips.
    """

    _esm = bundle("annotate_audio")
    _css = stylesheet("annotate_audio")

    task_kind = "audio"
    stream_class = AudioStream
    prefetch = Setting(4, 0, 100)
    max_size = Setting(2048, 64, 8192, stream=True)

    def __init__(self, project: Project, task: str | None = None, **settings: Any) -> None:
        check_settings(type(self).__name__, settings, _SETTINGS)
        super().__init__(project, task, **settings)
