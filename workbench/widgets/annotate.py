"""AnnotateWidget: draw and edit boxes, polygons, polylines, keypoints, masks and cuboids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..stream import AnnotateStream
from ._base import Setting, StreamWidget, bundle, stylesheet

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["AnnotateWidget"]

_SETTINGS = ("prefetch", "max_size", "annotator", "order", "issues")


class AnnotateWidget(StreamWidget):
    """Spatial annotation of images for a :class:`~workbench.Shapes` task.

    Create it with ``project.annotate(task, **settings)``. Shapes are drawn on a
    canvas over the image, in the pixels of the full-size image; every committed
    change of an item's shapes is stored as one label (the item's whole shape
    list) through the same acknowledged, resent messages as classification, so
    nothing is lost on a reload or a kernel restart.

    Parameters
    ----------
    project : Project
        The project whose items are annotated.
    task : str, optional
        The :class:`~workbench.Shapes` task; the schema's first one by default.
    prefetch : int
        How many upcoming items the browser keeps ready (0 to 100, default 4).
    max_size : int
        Longest side in pixels of the image sent with each item (64 to 8192,
        default 2048). Zooming in past it fetches the full-size image.
    annotator : str, optional
        Name recorded on the labels; the project's annotator by default.
    order : iterable of str, optional
        Item ids to present first (those not yet labeled), e.g. a batch an
        acquisition function picked; then the store's order.
    issues : DataFrame or iterable of str, optional
        Review these items, labeled or not, in this order, instead of the
        unlabeled queue: e.g. :func:`workbench.audit_shapes.shape_issues`, whose
        quality, suggestion and suspect shapes show with each item. Progress
        counts the items whose label changed or was confirmed (Enter) since.

    Keys (``?`` in the widget lists them all): ``v`` select, ``b`` box, ``p``
    polygon, ``l`` polyline, ``k`` keypoints, ``m`` brush, ``e`` eraser, ``c``
    cuboid; class keys set the class; Ctrl+Z / Ctrl+Shift+Z undo and redo;
    Delete removes the selected shape; ``a`` accepts all model suggestions;
    Enter finishes a shape, accepts the selected suggestion, or moves on; the
    wheel zooms at the pointer and ``f`` fits the image.
    """

    _esm = bundle("annotate")
    _css = stylesheet("annotate")

    task_kind = "shapes"
    prefetch = Setting(4, 0, 100)
    max_size = Setting(2048, 64, 8192, stream=True)

    def __init__(self, project: Project, task: str | None = None, **settings: Any) -> None:
        ints = self._check_settings(settings, _SETTINGS)
        common = self._setup(project, task, settings.get("annotator"))
        self.stream = AnnotateStream(
            project,
            common["task"],
            annotator=common["annotator"],
            max_size=ints["max_size"],
            order=settings.get("order"),
            issues=settings.get("issues"),
        )
        super().__init__(**ints, **common)
        self._connect()
        if settings.get("issues") is not None:
            self.refresh()  # progress over the review list, not the pool

    def set_issues(self, issues: Any) -> None:
        """Review these items next (see ``issues``); the browser drops its queue."""
        self.stream.set_issues(issues)
        self.refresh()
        self.send({"type": "requeue"})

    def set_order(self, order: Iterable[str]) -> None:
        """Present these item ids next (those still unlabeled); the browser drops the
        items it had prefetched."""
        self.stream.set_order(order)
        self.send({"type": "requeue"})
