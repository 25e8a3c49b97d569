"""Each annotator's latest label of each item: the event log read as annotations.

Shared by every task kind (classification and shape audits, agreement): the
project is taken for what it offers (``schema``, ``events()``, ``item_ids()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["annotator_labels", "ANNOTATOR_KINDS"]

#: Event kinds that are an annotator's own judgement of an item's class.
ANNOTATOR_KINDS = ("label", "review-correct")


def annotator_labels(project: Project, task: str | None = None) -> pd.DataFrame:
    """Every annotator's latest label of every item, from the event log.

    Retracted events are left out (a label whose ``retract`` event exists
    does not count, so an annotator's earlier label comes back); pre-labels
    by models are not annotations. ``label`` and ``review-correct`` events
    count; skips do not remove a label given earlier.

    Returns
    -------
    DataFrame, shape (items labeled by anyone, annotators)
        Index ``item_id`` (in the project's item order), one column per
        annotator (sorted by name), class names as values and NaN where an
        annotator gave no label. Input for :func:`consensus`.
    """
    name = project.schema.task(task).name
    events = project.events()
    retracted = set(events.loc[events["kind"] == "retract", "parent"].dropna().astype(int))
    mine = events[
        (events["task"] == name)
        & events["kind"].isin(ANNOTATOR_KINDS)
        & ~events["id"].isin(retracted)
    ]
    latest = mine.sort_values("id").drop_duplicates(["item_id", "annotator"], keep="last")
    if latest.empty:
        return pd.DataFrame(index=pd.Index([], name="item_id"),
                            columns=pd.Index([], name="annotator"))  # fmt: skip
    wide = latest.pivot(index="item_id", columns="annotator", values="value")
    position = {iid: i for i, iid in enumerate(project.item_ids())}
    order = sorted(wide.index, key=lambda iid: position.get(iid, len(position)))
    wide = wide.loc[order, sorted(wide.columns)]
    wide.index.name, wide.columns.name = "item_id", "annotator"
    return wide
