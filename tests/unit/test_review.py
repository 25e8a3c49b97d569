"""ReviewWidget's kernel side, driven through its message handler with a fake send."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from tests.widget_wire import Wire
from workbench.stream import ReviewStream
from workbench.widgets import ReviewWidget

CLASSES = ["cat", "dog", "bird"]


@pytest.fixture
def project(tmp_path):
    schema = wb.Schema.classification("animal", CLASSES)
    with wb.Project(tmp_path / "p.db", schema=schema, annotator="rev") as p:
        p.add_texts([f"text {i}" for i in range(6)], ids=[f"t{i}" for i in range(6)])
        yield p


@pytest.fixture
def labeled(project):
    """t0: alice cat, bob dog (current: dog); t1: alice bird; t2: unlabeled; pre-labels."""
    ids = {
        "t0a": project.label("t0", "cat", annotator="alice"),
        "t0b": project.label("t0", "dog", annotator="bob"),
        "t1a": project.label("t1", "bird", annotator="alice"),
    }
    project.add_prelabels({"t0": "cat", "t1": "bird"}, model="m@1", scores={"t0": 0.9, "t1": 0.6})
    return project, ids


def decision(seq, item_id, kind, value=None, *, parent, client_id="c1", **extra):
    return {
        "type": "label", "client_id": client_id, "seq": seq, "item_id": item_id,
        "task": "animal", "kind": kind, "value": value, "parent": parent, "tier": "review",
        "duration_ms": 300, **extra,
    }  # fmt: skip


def cards(wire, start=0, n=10):
    return wire.reply({"type": "cards", "client_id": "c1", "req": 1, "start": start, "n": n})


def event(project, event_id):
    """One stored event as a dict (``None`` where a field is empty)."""
    return dataclasses.asdict(project.store.get_event(event_id))


def test_project_review_makes_a_widget_with_state_traits(labeled):
    project, _ = labeled
    issues = pd.DataFrame({"item_id": ["t0", "t1", "t2"], "quality": [0.05, 0.2, 0.3]})
    w = project.review(issues)
    assert isinstance(w, ReviewWidget) and isinstance(w, wb.ReviewWidget)
    assert "ReviewWidget" in wb.__all__
    assert w.total == 3 and w.task == "animal" and w.annotator == "rev"
    assert w.prefetch == 8 and w.max_size == 512
    assert w.progress == {"done": 0, "total": 3}
    assert w.item_ids == ["t0", "t1", "t2"]
    assert not any("label" in k or "issue" in k for k in w.keys), "decisions never travel as traits"
    assert "_handle_custom_msg" not in vars(ReviewWidget)
    from workbench.widgets._base import STATIC

    if (STATIC / "review.js").is_file():
        assert "render" in str(ReviewWidget._esm)
        assert ".wb-review" in str(ReviewWidget._css)


def test_cards_show_label_annotators_suggestion_and_scores(labeled):
    project, ids = labeled
    issues = pd.DataFrame(
        {
            "item_id": ["t0", "t1", "t2"],
            "quality": [0.05, np.float32(0.25), np.nan],
            "suggested": ["cat", None, "bird"],
            "label": ["cat", "bird", "dog"],
            "annotators": [None, {"zoe": "dog"}, None],
            "rank": [1, 2, 3],  # other columns are ignored
        }
    )
    wire = Wire(project.review(issues))
    reply = cards(wire)
    assert reply["type"] == "cards" and reply["start"] == 0 and reply["total"] == 3
    assert reply["progress"] == {"done": 0, "total": 3}
    c0, c1, c2 = reply["items"]
    assert c0["kind"] == "text" and c0["text"] == "text 0"
    r0 = c0["review"]
    assert r0["position"] == 0 and r0["quality"] == pytest.approx(0.05)
    # Bob relabeled after the audit saw "cat": the current label is shown and reviewed.
    assert (r0["given"], r0["given_event"], r0["given_kind"], r0["given_by"]) == (
        "dog",
        ids["t0b"],
        "label",
        "bob",
    )
    assert r0["audit_label"] == "cat"
    assert r0["annotators"] == [
        {"annotator": "alice", "kind": "label", "value": "cat"},
        {"annotator": "bob", "kind": "label", "value": "dog"},
    ]
    assert (r0["suggested"], r0["suggested_score"]) == ("cat", pytest.approx(0.9))
    assert c0["prelabel"] == {"value": "cat", "score": pytest.approx(0.9)}
    assert r0["reviewed"] is None
    r1 = c1["review"]
    assert r1["quality"] == pytest.approx(0.25)
    assert (r1["suggested"], r1["suggested_score"]) == ("bird", pytest.approx(0.6)), "pre-label"
    assert [a["annotator"] for a in r1["annotators"]] == ["alice", "zoe"], "the table's added"
    r2 = c2["review"]
    assert r2["given"] == "dog" and r2["given_event"] is None, "no label stored: the table's"
    assert (r2["suggested"], r2["suggested_score"], r2["quality"]) == ("bird", None, None)
    # a window further on, and past the end
    assert [c["item_id"] for c in cards(wire, 1, 1)["items"]] == ["t1"]
    assert cards(wire, 5, 3)["items"] == []


def test_accept_correct_ambiguous_write_kinds_values_parents_and_tier(labeled):
    project, ids = labeled
    w = project.review(["t0", "t1", "t2"], annotator="rita")
    wire = Wire(w)
    acc = wire.reply(decision(1, "t0", "review-accept", "dog", parent=ids["t0b"]))
    assert acc["type"] == "ack" and acc["progress"] == {"done": 1, "total": 3}
    cor = wire.reply(decision(2, "t1", "review-correct", "cat", parent=ids["t1a"]))
    amb = wire.reply(decision(3, "t2", "ambiguous", "ignored", parent=None))
    assert cor["type"] == amb["type"] == "ack"
    assert w.progress == {"done": 3, "total": 3}
    rows = [event(project, r["event_id"]) for r in (acc, cor, amb)]
    fields = ("item_id", "kind", "value", "parent", "tier", "annotator")
    got = [tuple(r[f] for f in fields) for r in rows]
    assert got == [
        ("t0", "review-accept", "dog", ids["t0b"], "review", "rita"),
        ("t1", "review-correct", "cat", ids["t1a"], "review", "rita"),
        ("t2", "ambiguous", None, None, "review", "rita"),
    ]
    assert rows[0]["duration_ms"] == 300
    current = project.labels().set_index("item_id")
    assert current.loc["t0", "label"] == "dog" and current.loc["t0", "kind"] == "review-accept"
    assert current.loc["t1", "label"] == "cat" and current.loc["t1", "kind"] == "review-correct"
    # A card now says it was reviewed, and by whom.
    r0 = cards(wire)["items"][0]["review"]
    assert r0["reviewed"] == {
        "kind": "review-accept", "value": "dog", "annotator": "rita", "event_id": acc["event_id"]
    }  # fmt: skip
    assert r0["given_event"] == acc["event_id"]
    assert [a["annotator"] for a in r0["annotators"]] == ["alice", "bob"], "reviews are not votes"


def test_undo_retracts_the_review_and_the_label_under_review_comes_back(labeled):
    project, ids = labeled
    w = project.review(["t0", "t1"])
    wire = Wire(w)
    acc = wire.reply(decision(1, "t1", "review-correct", "dog", parent=ids["t1a"]))
    undo = wire.reply(
        decision(2, "t1", "retract", parent=None, retracts={"client_id": "c1", "seq": 1})
    )
    assert undo["type"] == "ack" and undo["progress"] == {"done": 0, "total": 2}
    r = event(project, undo["event_id"])
    assert (r["kind"], r["parent"], r["tier"]) == ("retract", acc["event_id"], "review")
    assert project.labels().set_index("item_id").loc["t1", "label"] == "bird"
    # The item can be reviewed again, against the label that is back.
    again = wire.reply(decision(3, "t1", "review-accept", "bird", parent=ids["t1a"]))
    assert again["type"] == "ack"


def test_a_second_decision_replaces_the_first_through_a_retraction(labeled):
    """What the front end does when a key is pressed again on a reviewed item."""
    project, ids = labeled
    wire = Wire(project.review(["t0"]))
    assert wire.reply(decision(1, "t0", "review-accept", "dog", parent=ids["t0b"]))["type"] == "ack"
    # Without retracting first, the first decision is now the item's state: refused.
    stale = wire.reply(decision(2, "t0", "ambiguous", parent=ids["t0b"]))
    assert stale["type"] == "refused" and "changed since it was shown" in stale["error"]
    undo = decision(3, "t0", "retract", parent=None, retracts={"client_id": "c1", "seq": 1})
    assert wire.reply(undo)["type"] == "ack"
    assert wire.reply(decision(4, "t0", "ambiguous", parent=ids["t0b"]))["type"] == "ack"
    assert project.store.current_values("animal", ["t0"]) == {"t0": ("ambiguous", None)}


def test_refused_decisions_write_nothing(labeled):
    project, ids = labeled
    project.label("t0", "bird", annotator="carol")  # relabeled after the card was sent
    wire = Wire(project.review(["t0", "t1", "t2"]))
    before = len(project.events())
    cases = [
        (decision(1, "t0", "review-accept", "dog", parent=ids["t0b"]), "changed since it was"),
        (decision(2, "t1", "review-correct", "cow", parent=ids["t1a"]), "no class 'cow'"),
        (decision(3, "nope", "review-accept", "cat", parent=None), "no item 'nope'"),
        (decision(4, "t1", "review-accept", "cat", parent=ids["t1a"]), "under review is 'bird'"),
        (decision(5, "t1", "review-accept", "bird", parent=True), "parent must be"),
        (decision(6, "t1", "review-correct", "cat", parent=ids["t1a"], tier="boss"), "tier"),
        (decision(7, "t2", "review-accept", None, parent=None), "single-label"),
        (decision(8, "t1", "review-correct", "cat", parent=ids["t1a"] + 999), "not event"),
        (decision(9, "t1", "review-correct", "cat", parent=None), "its state is now event"),
    ]
    for msg, error in cases:
        reply = wire.reply(msg)
        assert reply["type"] == "refused", (msg, reply)
        assert reply["seq"] == msg["seq"]
        assert error in reply["error"], (error, reply["error"])
    no_parent = decision(10, "t1", "review-accept", "bird", parent=None)
    del no_parent["parent"]
    reply = wire.reply(no_parent)
    assert reply["type"] == "refused" and "needs parent" in reply["error"]
    assert len(project.events()) == before, "nothing refused was written"


def test_resend_of_the_same_client_id_and_seq_is_stored_once(labeled):
    project, ids = labeled
    wire = Wire(project.review(["t1"]))
    msg = decision(7, "t1", "review-correct", "dog", parent=ids["t1a"], client_id="old-view")
    first = wire.reply(msg)
    again = wire.reply(msg)  # after a reconnect: the parent is no longer current, still an ack
    assert first["type"] == again["type"] == "ack"
    assert again["duplicate"] is True and again["event_id"] == first["event_id"]
    reviews = project.events().query("kind == 'review-correct'")
    assert len(reviews) == 1
    assert (reviews.iloc[0]["client_id"], int(reviews.iloc[0]["seq"])) == ("old-view", 7)


def test_any_views_stream_stores_review_decisions_left_in_the_outbox(labeled):
    """The outbox is per project: a classify view may resend a review view's entries."""
    project, ids = labeled
    wire = Wire(project.classify())
    reply = wire.reply(decision(1, "t1", "review-accept", "bird", parent=ids["t1a"]))
    assert reply["type"] == "ack"
    r = event(project, reply["event_id"])
    assert (r["kind"], r["parent"], r["tier"]) == ("review-accept", ids["t1a"], "review")


def test_several_annotators_latest_label_each_retractions_left_out(project):
    project.label("t3", "cat", annotator="ann")
    project.label("t3", "dog", annotator="ben")
    later = project.label("t3", "bird", annotator="ann")
    project.label("t3", "dog", annotator="cy")
    project.label("t3", None, kind="ambiguous", annotator="dee")
    withdrawn = project.label("t3", "cat", annotator="cy")
    project.retract(withdrawn)
    wire = Wire(project.review(["t3"]))
    r = cards(wire)["items"][0]["review"]
    assert r["annotators"] == [
        {"annotator": "ann", "kind": "label", "value": "bird"},
        {"annotator": "ben", "kind": "label", "value": "dog"},
        {"annotator": "cy", "kind": "label", "value": "dog"},
        {"annotator": "dee", "kind": "ambiguous", "value": None},
    ]
    assert r["given_kind"] == "ambiguous" and r["given"] is None
    assert later < withdrawn


def test_multi_label_review(tmp_path):
    schema = wb.Schema.classification("tags", CLASSES, multi_label=True)
    with wb.Project(tmp_path / "m.db", schema=schema, annotator="rev") as p:
        p.add_texts(["a", "b"], ids=["m0", "m1"])
        e0 = p.label("m0", ["cat", "dog"])
        e1 = p.label("m1", ["bird"])
        wire = Wire(p.review(pd.DataFrame({"item_id": ["m0", "m1"], "suggested": [["dog"], None]})))
        r = cards(wire)["items"][0]["review"]
        assert r["given"] == ["cat", "dog"] and r["suggested"] == ["dog"]
        msg = {**decision(1, "m0", "review-accept", ["dog", "cat"], parent=e0), "task": "tags"}
        assert wire.reply(msg)["type"] == "ack", "order does not matter"
        msg = {**decision(2, "m1", "review-correct", ["dog", "bird"], parent=e1), "task": "tags"}
        assert wire.reply(msg)["type"] == "ack"
        current = p.labels().set_index("item_id")["label"].to_dict()
        assert current == {"m0": ["cat", "dog"], "m1": ["dog", "bird"]}


def test_images_come_as_buffers(project):
    rng = np.random.default_rng(0)
    project.add_arrays(rng.integers(0, 255, size=(2, 8, 8), dtype=np.uint8), ids=["i0", "i1"])
    w = project.review(["i1", "i0"])
    wire = Wire(w)
    ((reply, buffers),) = wire({"type": "cards", "client_id": "c1", "req": 3, "start": 0, "n": 2})
    assert [c["item_id"] for c in reply["items"]] == ["i1", "i0"]
    assert [c["buffer"] for c in reply["items"]] == [0, 1]
    assert bytes(buffers[0][:8]) == b"\x89PNG\r\n\x1a\n"
    assert reply["req"] == 3


def test_hello_reports_review_progress(labeled):
    project, ids = labeled
    project.store.append(
        [project.make_event("t0", "dog", kind="review-accept", parent=ids["t0b"], tier="review")]
    )
    wire = Wire(project.review(["t0", "t1", "t5"]))
    reply = wire.reply({"type": "hello", "client_id": "c1"})
    assert reply["progress"] == {"done": 1, "total": 3}


@pytest.mark.parametrize(
    "issues, error, match",
    [
        (["t0", "ghost"], wb.UnknownItemError, "'ghost'"),
        (pd.DataFrame({"item_id": ["t0", "ghost", "spook"]}), wb.UnknownItemError, "'ghost'"),
        (pd.DataFrame({"id": ["t0"]}), ValueError, "item_id column"),
        (["t0", "t0"], ValueError, "'t0' twice"),
        ("t0", TypeError, "list of item ids"),
        (42, TypeError, "list of item ids"),
        ({"t0": 1}, TypeError, "list of item ids"),
        (pd.DataFrame({"item_id": ["t0"], "quality": ["bad"]}), TypeError, "quality of item 't0'"),
        (pd.DataFrame({"item_id": ["t0"], "suggested": ["cow"]}), wb.UnknownClassError, "cow"),
        (pd.DataFrame({"item_id": ["t0"], "label": [["cat"]]}), wb.SchemaError, "label of"),
        (pd.DataFrame({"item_id": ["t0"], "annotators": ["ann"]}), TypeError, "annotators"),
    ],
)
def test_bad_issues_raise(project, issues, error, match):
    with pytest.raises(error, match=match):
        project.review(issues)


def test_bad_settings_raise(project):
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'prefecth'"):
        project.review(["t0"], prefecth=3, colour="red")
    with pytest.raises(ValueError, match="prefetch"):
        project.review(["t0"], prefetch=-1)
    with pytest.raises(ValueError, match="max_size"):
        project.review(["t0"], max_size=2)
    with pytest.raises(ValueError, match="annotator"):
        project.review(["t0"], annotator=" ")
    with pytest.raises(wb.SchemaError):
        project.review(["t0"], task="nope")
    with pytest.raises(TypeError, match="Project"):
        ReviewWidget("not a project", ["t0"])


def test_index_named_item_id_and_an_empty_list(project):
    df = pd.DataFrame({"quality": [0.1, 0.2]}, index=pd.Index(["t4", "t2"], name="item_id"))
    w = project.review(df)
    assert w.item_ids == ["t4", "t2"]
    empty = project.review([])
    assert empty.total == 0 and empty.progress == {"done": 0, "total": 0}
    assert cards(Wire(empty))["items"] == []


def test_review_stream_is_ui_free_and_usable_alone(labeled):
    project, ids = labeled
    stream = ReviewStream(project, "animal", ["t0"], annotator="solo")
    ((reply, _),) = stream.handle(decision(1, "t0", "review-correct", "bird", parent=ids["t0b"]))
    assert reply["type"] == "ack"
    assert event(project, reply["event_id"])["annotator"] == "solo"
    ((bad, _),) = stream.handle({"type": "cards", "client_id": "c1", "req": 1, "start": -1})
    assert bad["type"] == "error" and "start" in bad["error"]
