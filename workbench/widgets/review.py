"""ReviewWidget: decide on suspected label errors, one key per decision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets as t

from ..stream import ReviewStream
from ._base import Setting, StreamWidget, bundle, stylesheet

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["ReviewWidget"]

_SETTINGS = ("prefetch", "max_size", "annotator")


class ReviewWidget(StreamWidget):
    """Review a ranked list of items: accept, correct or mark ambiguous with one key.

    Create it with ``project.review(issues, task, **settings)``. Each card shows
    the item, the label under review (its current label, with who gave it),
    every annotator's latest label, the model's suggestion with the pre-label's
    score, and the audit's quality score; the head shows the position ("3 /
    120") and how many items of the list are reviewed.

    Parameters
    ----------
    project : Project
        The project whose items are reviewed.
    issues : DataFrame or sequence of str
        The items in the order to review them (an audit ranks the worst first):
        a DataFrame with an ``item_id`` column and optionally ``quality`` (lower
        is more suspicious), ``suggested`` (the model's class), ``label`` (the
        label the audit saw; the store's current label is shown when there is
        one) and ``annotators`` (``{name: label}``, added to those in the
        store); or plain item ids.
    task : str, optional
        The classification task; the schema's first task by default.

    Other Parameters
    ----------------
    prefetch : int
        Cards the browser keeps ready ahead of the one shown (0 to 1000,
        default 8).
    max_size : int
        Longest side in pixels of the images sent (16 to 4096, default 512).
    annotator : str, optional
        The reviewer's name recorded on the decisions; the project's annotator
        by default.

    Notes
    -----
    Decisions are events of the ``review`` tier whose ``parent`` is the event
    under review (the item's current label): ``review-accept`` (value: that
    label), ``review-correct`` (value: the new label) or ``ambiguous``. A
    decision about an item relabeled meanwhile is refused and the card
    reloaded.

    Keys: Enter (or ``a`` when no class uses it) accepts the label; a class key
    corrects it to that class (the label's own class accepts it); Tab (or ``m``
    when no class uses it) takes the model's suggestion; ``x`` (when no class
    uses it) marks the item ambiguous; ``s`` moves on without a decision; ← →
    move through the list; Backspace undoes the last decision; ``?`` shows the
    guidelines. In multi-label tasks class keys toggle classes, starting from
    the label, and Enter saves (an unchanged set accepts). A second decision on
    an item replaces the first (which is retracted). Shift+Tab is never taken,
    so the keyboard can always leave the widget.

    Raises
    ------
    UnknownItemError
        ``issues`` names an item the project does not have.
    TypeError
        An unknown setting (named), or ``issues`` of the wrong type.
    """

    _esm = bundle("review")
    _css = stylesheet("review")

    prefetch = Setting(8, 0, 1000)
    max_size = Setting(512, 16, 4096, stream=True)
    #: Length of the review list.
    total = t.Int(0).tag(sync=True)

    def __init__(
        self, project: Project, issues: Any, task: str | None = None, **settings: Any
    ) -> None:
        ints = self._check_settings(settings, _SETTINGS)
        common = self._setup(project, task, settings.get("annotator"))
        self.stream = ReviewStream(
            project,
            common["task"],
            issues,
            annotator=common["annotator"],
            max_size=ints["max_size"],
        )
        common["progress"] = self.stream.progress(force=True)
        super().__init__(total=len(self.stream.issues), **ints, **common)
        self._connect()

    @property
    def item_ids(self) -> list[str]:
        """The items under review, in review order."""
        return list(self.stream.item_ids)
