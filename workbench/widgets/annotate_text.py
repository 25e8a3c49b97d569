"""AnnotateTextWidget: label entity spans and the relations between them in texts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import Setting, bundle, check_settings, stylesheet
from .annotate import AnnotateWidget

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["AnnotateTextWidget"]

_SETTINGS = ("prefetch", "annotator", "order", "issues")


class AnnotateTextWidget(AnnotateWidget):
    """Span annotation of text items for a :class:`~workbench.TextSpans` task.

    Create it with ``project.annotate_text(task, **settings)``. Select text with
    the mouse or the keyboard and press a class key; every change of an item's
    spans and relations is stored as one label (the item's whole value, offsets
    as Python ``str`` indices) through the same acknowledged, resent messages as
    the other widgets, so nothing is lost on a reload or a kernel restart. The
    messages are those of :class:`~workbench.AnnotateWidget` (its stream, its
    suggestions stored while the view is open); the task's span classes,
    relation types, attributes and tokenizer travel in the ``schema`` trait.

    Parameters
    ----------
    project : Project
        The project whose text items are annotated.
    task : str, optional
        The :class:`~workbench.TextSpans` task; the schema's first one by default.

    Other Parameters
    ----------------
    prefetch : int
        How many upcoming items the browser keeps ready (0 to 100, default 4).
        ``0`` fetches each item when it is needed: the benchmarks' baseline.
    annotator : str, optional
        Name recorded on the labels; the project's annotator by default.
    order : iterable of str, optional
        Item ids to present first (those not yet labeled), then the store's order.
    issues : DataFrame or iterable of str, optional
        Review these items, labeled or not, in this order, instead of the
        unlabeled queue (e.g. an audit's suspects).

    Notes
    -----
    Keys (``?`` in the widget lists them all): drag or double-click to select,
    or ``←`` ``→`` to move a cursor token by token and Shift+``←`` ``→`` to
    extend; a class key labels the selection (snapped to the task's tokens) or
    relabels the selected span; click a span to select it (Ctrl/Shift-click
    adds a second one) and press a relation key to link the two; the picked
    span's attributes show as controls under the text; Delete removes the
    selection; Tab selects the next model suggestion (shown
    dashed with its score), ``y`` accepts it, ``n`` rejects it and a class key
    accepts it with that class; Ctrl+Z / Ctrl+Shift+Z undo and redo; Enter
    stores the item as it is and moves on; Alt+``←`` ``→`` walk back and forward
    through the items left. Long texts are painted a block at a time, only
    the blocks near the visible part.
    """

    _esm = bundle("annotate_text")
    _css = stylesheet("annotate_text")

    task_kind = "spans"
    prefetch = Setting(4, 0, 100)

    def __init__(self, project: Project, task: str | None = None, **settings: Any) -> None:
        # The drawing widget's settings, less the image size (texts have none).
        check_settings(type(self).__name__, settings, _SETTINGS)
        super().__init__(project, task, **settings)
