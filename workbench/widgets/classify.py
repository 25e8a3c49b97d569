"""ClassifyWidget: label items one at a time with the keyboard."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..stream import LabelStream
from ._base import Setting, StreamWidget, bundle, stylesheet

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

    Other Parameters
    ----------------
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

    Notes
    -----
    Keys: a class key labels and moves on (in multi-label tasks it toggles the
    class and Enter saves); Enter accepts the model's pre-label; ← → move back
    and forward through the items labeled in this view; Backspace undoes the
    last label; ``s`` skips; ``?`` shows the guidelines.

    Small images are shown enlarged by a whole factor, pixel-sharp, to at most
    256 px; each label is confirmed briefly over the item.
    """

    _esm = bundle("classify")
    _css = stylesheet("classify")

    prefetch = Setting(16, 0, 1000)
    max_size = Setting(512, 16, 4096, stream=True)

    def __init__(self, project: Project, task: str | None = None, **settings: Any) -> None:
        ints = self._check_settings(settings, _SETTINGS)
        common = self._setup(project, task, settings.get("annotator"))
        self.stream = LabelStream(
            project,
            common["task"],
            annotator=common["annotator"],
            max_size=ints["max_size"],
            order=settings.get("order"),
        )
        super().__init__(**ints, **common)
        self._connect()

    def set_order(self, order: Iterable[str]) -> None:
        """Present these item ids next (those still unlabeled), e.g. a new batch picked
        by an acquisition function; the browser drops the items it had prefetched."""
        self.stream.set_order(order)
        self.send({"type": "requeue"})
