"""Each annotator's latest label of each item: the event log read as annotations.

Shared by every task kind (classification and shape audits, agreement): the
project is taken for what it offers (``schema``, ``store``). The log's meaning
(latest label, retractions) is the store's (:meth:`Store.annotator_labels
<workbench.store.base.Store.annotator_labels>`, SQL on both back ends); this
module only lays it out as a table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..store.base import ANNOTATOR_LABEL_KINDS

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["annotator_labels", "ANNOTATOR_KINDS"]

#: Event kinds that are an annotator's own judgement of an item's class.
ANNOTATOR_KINDS = ANNOTATOR_LABEL_KINDS


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
    # One row per (item, annotator), by item position: the store's interpreter.
    latest = project.store.annotator_labels(name)
    if latest.empty:
        return pd.DataFrame(index=pd.Index([], name="item_id"),
                            columns=pd.Index([], name="annotator"))  # fmt: skip
    wide = latest.pivot(index="item_id", columns="annotator", values="value")
    order = list(dict.fromkeys(latest["item_id"]))
    wide = wide.loc[order, sorted(wide.columns)]
    wide.index.name, wide.columns.name = "item_id", "annotator"
    return wide
