"""ClassifyWidget: label items one at a time with the keyboard."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import traitlets as t

from ..stream import LabelStream
from ._base import StreamWidget, bundle, check_int, check_settings, stylesheet

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["ClassifyWidget"]

_SETTINGS = ("prefetch", "max_size", "annotator", "order")


class ClassifyWidget(StreamWidget):
    """Single- or multi-label classification, one item at a time, keyboard first.

    Create it with ``project.classify(task, **settings)``.

    Parameters
    ----------
    project : Project
        The project whose items are labeled.
    task : str, optional
        The classification task; the schema's first task by default.
    prefetch : int
        How many upcoming items the browser keeps ready (0 to 1000, default
        16). ``0`` fetches each item from the kernel when it is needed: the
        slow baseline that benchmarks compare with.
    max_size : int
        Longest side in pixels of the images sent and shown (16 to 4096,
        default 512); larger images are downscaled in the kernel.
    annotator : str, optional
        Name recorded on the labels; the project's annotator by default.
    order : iterable of str, optional
        Item ids to present first (those not yet labeled), e.g. the batch an
        acquisition function picked; then the store's priority order.

    Keys: a class key labels and moves on (in multi-label tasks it toggles the
    class and Enter saves); Enter accepts the model's pre-label; ← → move back
    and forward through the items labeled in this view; Backspace undoes the
    last label; ``s`` skips; ``?`` shows the guidelines.
    """

    _esm = bundle("classify")
    _css = stylesheet("classify")

    prefetch = t.Int(16).tag(sync=True)
    max_size = t.Int(512).tag(sync=True)

    def __init__(self, project: Project, task: str | None = None, **settings: Any) -> None:
        check_settings(type(self).__name__, settings, _SETTINGS)
        prefetch = check_int("prefetch", settings.get("prefetch", 16), 0, 1000)
        max_size = check_int("max_size", settings.get("max_size", 512), 16, 4096)
        common = self._setup(project, task, settings.get("annotator"))
        self.stream = LabelStream(
            project,
            common["task"],
            annotator=common["annotator"],
            max_size=max_size,
            order=settings.get("order"),
        )
        super().__init__(prefetch=prefetch, max_size=max_size, **common)
        self._connect()

    def set_order(self, order: Iterable[str]) -> None:
        """Present these item ids next (those still unlabeled), e.g. a new batch picked
        by an acquisition function; the browser drops the items it had prefetched."""
        self.stream.set_order(order)
        self.send({"type": "requeue"})

    @t.validate("prefetch")
    def _valid_prefetch(self, proposal: dict[str, Any]) -> int:
        return check_int("prefetch", proposal["value"], 0, 1000)

    @t.validate("max_size")
    def _valid_max_size(self, proposal: dict[str, Any]) -> int:
        value = check_int("max_size", proposal["value"], 16, 4096)
        if hasattr(self, "stream"):
            self.stream.max_size = value
        return value
