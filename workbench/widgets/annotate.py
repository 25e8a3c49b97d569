"""AnnotateWidget: draw and edit boxes, polygons, polylines, keypoints, masks and cuboids."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..stream import AnnotateStream
from ._base import Setting, StreamWidget, bundle, stylesheet

if TYPE_CHECKING:
    from ..project import Project
    from ..store.base import Event

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

    Other Parameters
    ----------------
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
        unlabeled queue: e.g. :func:`workbench.kinds.shapes.audit.shape_issues`, whose
        quality, suggestion and suspect shapes show with each item. Progress
        counts the items whose label changed or was confirmed (Enter) since.

    Notes
    -----
    Keys (``?`` in the widget lists them all): ``v`` select, ``b`` box, ``p``
    polygon, ``l`` polyline, ``k`` keypoints, ``m`` brush, ``e`` eraser, ``c``
    cuboid; class keys set the class; Ctrl+Z / Ctrl+Shift+Z undo and redo;
    Delete removes the selected shape; ``a`` accepts all model suggestions;
    Enter finishes a shape, accepts the selected suggestion, or moves on (an
    untouched item is recorded as "nothing here"); ``→`` / ``←`` go to the next
    / previous item (every change of shapes is already stored, so nothing is
    lost; ``→`` leaves an untouched item unlabeled); the wheel zooms at the
    pointer and ``f`` fits the image.

    Suggestions stored while the widget is open (``project.add_prelabels``,
    ``project.prelabel``) appear on the items it already holds; on the item
    shown, once the user moves on if they had changed its shapes.
    """

    _esm = bundle("annotate")
    _css = stylesheet("annotate")

    task_kind = "shapes"
    #: The stream class (a subclass of :class:`~workbench.stream.AnnotateStream`).
    stream_class: type[AnnotateStream] = AnnotateStream
    #: The keyword settings the widget takes.
    settings_names: tuple[str, ...] = _SETTINGS
    prefetch = Setting(4, 0, 100)
    max_size = Setting(2048, 64, 8192, stream=True)

    def __init__(self, project: Project, task: str | None = None, **settings: Any) -> None:
        ints = self._check_settings(settings, self.settings_names)
        common = self._setup(project, task, settings.get("annotator"))
        self.stream = self.stream_class(
            project,
            common["task"],
            annotator=common["annotator"],
            max_size=ints["max_size"],
            order=settings.get("order"),
            issues=settings.get("issues"),
        )
        super().__init__(**ints, **common)
        self._connect()
        self._listen_for_prelabels()
        if settings.get("issues") is not None:
            self.refresh()  # progress over the review list, not the pool

    def _listen_for_prelabels(self) -> None:
        """Suggestions stored while the widget is open (``add_prelabels``, ``prelabel``)
        go to the views that already hold their items, as a ``prelabels`` message.

        The store keeps the listener; it holds the widget weakly, so a widget
        dropped without ``close()`` is not kept alive by it."""
        store = self.stream.store
        ref = weakref.ref(self)

        def on_events(events: Sequence[Event]) -> None:
            widget = ref()
            if widget is None:
                store.remove_listener(on_events)
                return
            update = widget.stream.prelabel_update(events)
            if update is not None:
                widget.send(update[0], update[1] or None)

        self._prelabel_listener = (store, on_events)
        store.add_listener(on_events)

    def close(self) -> None:
        listener = getattr(self, "_prelabel_listener", None)
        if listener is not None:
            store, fn = listener
            store.remove_listener(fn)
            self._prelabel_listener = None
        super().close()

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
