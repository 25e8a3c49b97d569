"""workbench.ml.annotations.annotator_labels reads the log through the store's
interpreter (Store.annotator_labels, SQL on both back ends) and gives the table the
former pandas reading of the whole log gave: retractions honoured (an earlier label
comes back), pre-labels and skips left out, items in project order, annotators sorted."""

from __future__ import annotations

import pandas as pd

import workbench as wb
from workbench.ml.annotations import ANNOTATOR_KINDS, annotator_labels


def _from_the_whole_log(project: wb.Project, task: str) -> pd.DataFrame:
    """The reading annotator_labels did before, in pandas over project.events()."""
    events = project.events()
    retracted = set(events.loc[events["kind"] == "retract", "parent"].dropna().astype(int))
    mine = events[
        (events["task"] == task)
        & events["kind"].isin(ANNOTATOR_KINDS)
        & ~events["id"].isin(retracted)
    ]
    latest = mine.sort_values("id").drop_duplicates(["item_id", "annotator"], keep="last")
    wide = latest.pivot(index="item_id", columns="annotator", values="value")
    position = {iid: i for i, iid in enumerate(project.item_ids())}
    order = sorted(wide.index, key=lambda iid: position.get(iid, len(position)))
    wide = wide.loc[order, sorted(wide.columns)]
    wide.index.name, wide.columns.name = "item_id", "annotator"
    return wide


def test_annotator_labels_match_the_whole_log_reading(store_location):
    schema = wb.Schema.classification("animal", ["cat", "dog", "bird"])
    with wb.Project(store_location, schema=schema) as p:
        ids = [f"t{k}" for k in range(6)]
        p.add_texts([f"text {k}" for k in range(6)], ids=list(reversed(ids)))
        assert annotator_labels(p, "animal").empty
        p.label("t0", "cat", annotator="zoe")
        p.label("t0", "dog", annotator="amy")
        p.label("t1", "cat", annotator="amy")
        relabel = p.label("t1", "bird", annotator="amy")
        p.retract(relabel)  # amy's first label of t1 comes back
        p.label("t2", "dog", annotator="zoe")
        p.label("t2", None, kind="skip", annotator="zoe")  # a skip keeps the label
        p.label("t3", "cat", annotator="bob")
        p.review_label("t3", "correct", "bird", annotator="rev")
        gone = p.label("t4", "cat", annotator="bob")
        p.retract(gone)  # bob's only label of t4: no row for t4
        p.store.append([p.make_event("t5", "dog", kind="prelabel", annotator="model:m")])
        got = annotator_labels(p, "animal")
        want = _from_the_whole_log(p, "animal")
        pd.testing.assert_frame_equal(got, want)
        assert list(got.index) == ["t3", "t2", "t1", "t0"]  # the project's item order
        assert got.loc["t1", "amy"] == "cat" and got.loc["t3", "rev"] == "bird"


def test_plain_rows_match_the_frames(store_location):
    """Store.live_rows and Store.annotator_label_rows (what the live status reads) hold
    the same as live_events and annotator_labels, retractions honoured, whole log or
    some items."""
    schema = wb.Schema.classification("animal", ["cat", "dog", "bird"], multi_label=True)
    with wb.Project(store_location, schema=schema) as p:
        p.add_texts([f"text {k}" for k in range(4)], ids=["a", "b", "c", "d"])
        p.label("a", ["cat"], annotator="zoe", duration_ms=1200)
        p.label("a", ["dog", "cat"], annotator="amy")
        gone = p.label("b", ["bird"], annotator="amy", duration_ms=900)
        p.retract(gone)
        p.label("b", ["dog"], annotator="amy")
        p.label("c", None, kind="skip", annotator="zoe")
        p.review_label("d", "correct", ["bird"], annotator="rev")
        kinds = ["label", "skip", "review-correct"]
        for items in (None, ["a", "b"]):
            frame = p.store.live_events("animal", item_ids=items, kinds=kinds)
            want = sorted(
                (r.item_id, r.kind, r.tier, r.annotator, r.created_at.timestamp(),
                 None if pd.isna(r.duration_ms) else int(r.duration_ms))
                for r in frame.itertuples()
            )  # fmt: skip
            got = sorted(p.store.live_rows("animal", kinds, items))
            assert [g[:4] + g[5:] for g in got] == [w[:4] + w[5:] for w in want]
            assert all(abs(g[4] - w[4]) < 1e-5 for g, w in zip(got, want, strict=True))
            labels = p.store.annotator_labels("animal", items)
            want_labels = sorted(
                (i, a, v)
                for i, a, v in zip(
                    labels["item_id"], labels["annotator"], labels["value"], strict=True
                )  # fmt: skip
            )
            assert sorted(p.store.annotator_label_rows("animal", items)) == want_labels
        assert ("b", "amy", ["dog"]) in p.store.annotator_label_rows("animal")
        assert not any(r[0] == "b" and r[5] == 900 for r in p.store.live_rows("animal", kinds))


def test_status_rows_read_in_one_pass_what_the_three_readers_give(store_location):
    """Store.status_rows (a live status's first poll, one pass over the log) equals
    live_rows, annotator_label_rows and open_reviews read one by one, for every
    case of the review rule: a disagreement left open, closed by a reviewer's
    accept, by a reviewer's ``ambiguous`` (a review decision outside the annotate
    tier), reopened by a later label, and one whose review was retracted; an
    annotator's own ``ambiguous`` flag; a label given in the review tier (no
    decision of the annotate tier); skips and retractions."""
    schema = wb.Schema.classification("animal", ["cat", "dog", "bird"])
    with wb.Project(store_location, schema=schema) as p:
        ids = [f"i{k}" for k in range(9)]
        p.add_texts(ids, ids=ids)

        def disagree(iid):
            p.label(iid, "cat", annotator="amy")
            p.label(iid, "dog", annotator="bob", duration_ms=700)

        disagree("i0")  # open
        disagree("i1")
        p.review_label("i1", "accept", annotator="rev")  # closed
        disagree("i2")
        flag = p.make_event("i2", None, kind="ambiguous", annotator="rev", tier="review")
        p.store.append([flag])  # closed
        disagree("i3")
        p.review_label("i3", "accept", annotator="rev")
        p.label("i3", "bird", annotator="cy")  # reopened by a later label
        disagree("i4")
        p.retract(p.review_label("i4", "accept", annotator="rev"))  # open again
        p.label("i5", None, kind="ambiguous", annotator="amy")  # an annotator's flag
        p.label("i6", "cat", annotator="amy")
        p.store.append([p.make_event("i6", "dog", annotator="rev", tier="review")])  # no decision
        p.label("i7", "cat", annotator="amy")
        p.label("i7", None, kind="skip", annotator="bob")
        disagree("i8")
        p.label("i8", None, kind="skip", annotator="bob")  # bob's latest decision: no label
        kinds = ["label", "ambiguous", "review-accept", "review-correct", "send-back"]
        log, labels, opened = p.store.status_rows("animal", kinds)
        assert log == p.store.live_rows("animal", kinds)
        assert sorted(labels) == sorted(p.store.annotator_label_rows("animal"))
        assert opened == p.store.open_reviews("animal")
        assert opened == {"i0": ("disagreement",), "i3": ("disagreement",),
                          "i4": ("disagreement",), "i5": ("ambiguous",)}  # fmt: skip
