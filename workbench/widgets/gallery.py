"""GalleryWidget: a paged grid of thumbnails for bulk labeling and audits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets as t

from ..stream import LabelStream
from ._base import Setting, StreamWidget, bundle, stylesheet

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["GalleryWidget"]

_SETTINGS = ("page_size", "thumb_size", "filter", "annotator")


class GalleryWidget(StreamWidget):
    """A grid of thumbnails: select many, press a class key, all are labeled.

    Create it with ``project.gallery(task, **settings)``.

    Parameters
    ----------
    project : Project
        The project whose items are shown.
    task : str, optional
        The classification task; the schema's first task by default.

    Other Parameters
    ----------------
    page_size : int
        Thumbnails per page, 50 to 200 (default 100).
    thumb_size : int
        Longest side of a thumbnail in pixels, 32 to 512 (default 128).
    filter : str
        Which items to show first: ``"all"`` (default), ``"unlabeled"`` or a
        class name (items whose current label is that class). A class an earlier
        schema had that current labels still use is offered too
        (:meth:`Project.dropped_classes`), so labels of a dropped class can be found.
    annotator : str, optional
        Name recorded on the labels; the project's annotator by default.

    Notes
    -----
    Selection: click, shift-click for a range, ctrl/cmd-click to toggle; arrows
    move the cursor (shift extends), space toggles, ``a`` (when no class is bound
    to ``a``) or ctrl/cmd+A selects the page, Escape clears. A class key labels
    every selected item (or the one under the cursor). PageUp/PageDown change
    page; Backspace undoes the last bulk label; ``?`` shows the guidelines.
    """

    _esm = bundle("gallery")
    _css = stylesheet("gallery")

    page_size = Setting(100, 50, 200)
    thumb_size = Setting(128, 32, 512, stream=True)
    filter = t.Unicode("all").tag(sync=True)
    #: Classes no longer in the schema that current labels still use: filters as well.
    filter_classes = t.List(t.Unicode()).tag(sync=True)

    def __init__(self, project: Project, task: str | None = None, **settings: Any) -> None:
        ints = self._check_settings(settings, _SETTINGS)
        common = self._setup(project, task, settings.get("annotator"))
        filt = settings.get("filter", "all")
        dropped = list(project.dropped_classes(common["task"]))
        self._check_filter(filt, common["schema"], dropped)
        self.stream = LabelStream(
            project, common["task"], annotator=common["annotator"], thumb_size=ints["thumb_size"]
        )
        super().__init__(filter=filt, filter_classes=dropped, **ints, **common)
        self._connect()

    @staticmethod
    def _check_filter(filt: Any, schema: dict[str, Any], dropped: list[str]) -> str:
        names = [c["name"] for c in schema.get("classes", [])]
        allowed = ["all", "unlabeled", *names, *(n for n in dropped if n not in names)]
        if not isinstance(filt, str) or filt not in allowed:
            raise ValueError(f"filter must be one of {allowed}, got {filt!r}")
        return filt

    @t.validate("filter")
    def _valid_filter(self, proposal: dict[str, Any]) -> str:
        return self._check_filter(proposal["value"], self.schema, self.filter_classes)
