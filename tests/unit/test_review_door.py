"""One door for review decisions (workbench.decisions.decide): the widget, the Python
API and the store's own check refuse a stale decision alike and write nothing; the
check holds in the append's transaction, against a relabel on another connection."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import workbench as wb
from tests.widget_wire import Wire
from workbench import StaleLabelError
from workbench.decisions import decide

CLASSES = ["cat", "dog", "bird"]


def _project(location, annotator="rev") -> wb.Project:
    schema = wb.Schema.classification("animal", CLASSES)
    p = wb.Project(location, schema=schema, annotator=annotator)
    p.add_texts([f"text {i}" for i in range(3)], ids=["t0", "t1", "t2"])
    return p


def _msg(seq, kind, value, parent):
    return {
        "type": "label", "client_id": "c1", "seq": seq, "item_id": "t0", "task": "animal",
        "kind": kind, "value": value, "parent": parent, "tier": "review",
    }  # fmt: skip


def test_every_door_refuses_a_stale_decision_with_the_same_error(tmp_path):
    with _project(tmp_path / "p.db") as p:
        old = p.label("t0", "cat", annotator="alice")
        new = p.label("t0", "dog", annotator="bob")  # after the reviewer was shown "cat"
        log = p.events()
        errors = []
        wire = Wire(p.review(["t0"]))
        reply = wire.reply(_msg(1, "review-correct", "bird", old))
        assert reply["type"] == "refused"
        errors.append(reply["error"])
        for door in (
            lambda: p.review_label("t0", "correct", "bird", parent=old),
            lambda: p.review_label("t0", "ambiguous", parent=old),
            lambda: decide(
                p.store,
                p.schema,
                item_id="t0",
                task="animal",
                kind="review-correct",
                value="bird",
                parent=old,
                annotator="rev",
            ),  # fmt: skip
        ):
            with pytest.raises(StaleLabelError) as info:
                door()
            errors.append(str(info.value))
        assert len(set(errors)) == 1, errors
        assert f"its state is now event {new} (label 'dog' by bob), not event {old}" in errors[0]
        assert p.events().equals(log)  # nothing written by any door
        # The same decision about the current label goes through every door, with parent.
        ok = wire.reply(_msg(2, "review-correct", "bird", new))
        assert ok["type"] == "ack"
        assert p.store.get_event(ok["event_id"]).parent == new
        eid = p.review_label("t0", "accept")  # the default: the current state (the correction)
        assert p.store.get_event(eid).parent == ok["event_id"]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_store_checks_the_parent_inside_the_append(backend, tmp_path, request):
    location = tmp_path / "p.db" if backend == "sqlite" else request.getfixturevalue("pg_url")
    with _project(location) as p:
        old = p.label("t0", "cat", annotator="alice")
        new = p.label("t0", "dog", annotator="bob")
        before = len(p.events())
        stale = p.make_event("t0", "cat", kind="review-accept", tier="review", parent=old)
        with pytest.raises(StaleLabelError, match=f"now event {new}, not event {old}"):
            p.store.append([stale], expect_parent=True)
        none = p.make_event("t0", None, kind="ambiguous", tier="review", parent=None)
        with pytest.raises(StaleLabelError):
            p.store.append([none], expect_parent=True)
        assert len(p.events()) == before
        assert p.store.state_event_ids("animal", ["t0"]) == {"t0": new}
        fresh = p.make_event("t0", "dog", kind="review-accept", tier="review", parent=new)
        (done,) = p.store.append([fresh], expect_parent=True)
        assert p.store.state_event_ids("animal", ["t0"]) == {"t0": done.id}
        # A retraction puts the earlier label back: a decision about it is current again.
        p.retract(done.id)
        p.retract(new)
        again = p.make_event("t0", None, kind="ambiguous", tier="review", parent=old)
        assert p.store.append([again], expect_parent=True)[0].id > done.id
        # On an item with no state, parent None is the current state.
        first = p.make_event("t1", None, kind="ambiguous", tier="review", parent=None)
        p.store.append([first], expect_parent=True)


@pytest.mark.postgres
def test_a_relabel_racing_a_decision_cannot_both_win(pg_url):
    """The relabel holds its transaction open on another connection while the decision
    about the label it replaces is written: the decision waits for it, sees it, and is
    refused; whichever order the two reach the database, never both stand."""
    with _project(pg_url) as p, wb.Project(pg_url, annotator="bob") as q:
        shown = p.label("t0", "cat", annotator="alice")
        decision = p.make_event("t0", "cat", kind="review-accept", tier="review", parent=shown)
        relabel = q.make_event("t0", "dog")
        started = threading.Event()

        def decide_now():
            started.set()
            return p.store.append([decision], expect_parent=True)

        with ThreadPoolExecutor(1) as pool:
            with q.store._write(shared=True) as cur:  # the relabel's transaction, open
                q.store._insert_event(cur, relabel, json.dumps(relabel.value), time.time())
                future = pool.submit(decide_now)
                started.wait(10)
                time.sleep(0.3)  # the decision now waits on the item's state row (or soon will)
            with pytest.raises(StaleLabelError):
                future.result(timeout=60)
        kinds = p.events()["kind"].tolist()
        assert kinds == ["label", "label"]  # the relabel stands; the decision was not written
        assert p.store.current_values("animal", ["t0"]) == {"t0": ("label", "dog")}
