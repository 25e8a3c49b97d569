"""ReviewWidget in a real JupyterLab: real key presses, decisions read back from the store.

The project has 12 text items labeled by two annotators (alice labels every
item, bob relabels the even ones) and a model's pre-labels; the review list is
the first 6 items (see ``notebooks.review_setup_cell``). Each test presses
review keys and compares the stored events (kind, value, parent, tier) one by
one with what the keys mean.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import workbench as wb

from .harness import LabPage, process_state, read_events, settle_events, wait_events, wait_for
from .notebooks import item_id, review_cells, review_given
from .views import ReviewView

N_ITEMS = 12
N_ISSUES = 6
REVIEW_KINDS = ("review-accept", "review-correct", "ambiguous", "retract")


def _label_events(db: Path) -> dict[str, int]:
    """The id of each item's current label event before the review (the latest label)."""
    out: dict[str, int] = {}
    for e in read_events(db, kinds=("label",)):
        out[e["item_id"]] = e["id"]
    return out


def _decisions(db: Path) -> list[dict]:
    return read_events(db, kinds=REVIEW_KINDS)


def _shape(events: list[dict]) -> list[tuple]:
    return [(e["item_id"], e["kind"], e["value"], e["parent"]) for e in events]


def _open_review(open_notebook, db: Path) -> tuple[LabPage, ReviewView]:
    lp = open_notebook(review_cells(db, N_ITEMS, N_ISSUES))
    view = ReviewView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    assert view.state()["itemId"] == item_id(0)
    return lp, view


def test_accept_correct_suggestion_ambiguous_and_undo_are_stored_with_parents(
    open_notebook, workdir
):
    db = workdir / "review.db"
    lp, view = _open_review(open_notebook, db)
    parents = _label_events(db)
    assert len(parents) == N_ITEMS

    # The first card: bob's label under review, both annotators, the model, the score.
    assert view.text(".wb-position") == f"1 / {N_ISSUES}"
    given = view.text(".wb-given")
    assert review_given(0) in given and "bob" in given
    names = lp.page.locator(f"{view.selector} .wb-annotator").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert names == ["alice: a", "bob: b"]
    assert view.text(".wb-suggestion").startswith("c (70%)")
    assert view.text(".wb-quality") == "0.01"

    # Enter accepts, a class key corrects, Tab takes the model's class, x is ambiguous,
    # Backspace undoes that, and a class key decides item 3 again.
    lp.press_keys(["Enter", "3", "Tab", "x", "Backspace", "2"], interval=0.3)
    events = wait_events(
        db, lambda ev: len(ev) >= 6, kinds=REVIEW_KINDS, timeout=60, what="6 review events"
    )
    view.wait_outbox_empty()
    events = settle_events(db, kinds=REVIEW_KINDS, quiet=1.0)
    assert len(events) == 6, _shape(events)
    ambiguous = events[3]
    assert _shape(events) == [
        (item_id(0), "review-accept", review_given(0), parents[item_id(0)]),
        (item_id(1), "review-correct", "c", parents[item_id(1)]),
        (item_id(2), "review-correct", "b", parents[item_id(2)]),  # the model's class
        (item_id(3), "ambiguous", None, parents[item_id(3)]),
        (item_id(3), "retract", None, ambiguous["id"]),
        (item_id(3), "review-correct", "b", parents[item_id(3)]),
    ]
    assert {e["tier"] for e in events} == {"review"}
    assert {e["annotator"] for e in events} == {"browser"}
    assert len({e["client_id"] for e in events}) == 1
    assert [e["seq"] for e in events] == sorted({e["seq"] for e in events})

    st = view.state()
    assert st["itemId"] == item_id(4) and st["position"] == "4"
    wait_for(lambda: "4/6 reviewed" in view.text(".wb-progress"), timeout=10, what="progress")
    with wb.Project(db) as p:
        current = p.labels().set_index("item_id")
    assert current.loc[[item_id(i) for i in range(4)], "label"].tolist() == ["b", "c", "b", "b"]
    assert current.loc[item_id(0), "kind"] == "review-accept"
    # None of the keys reached JupyterLab's command mode (x cuts a cell, a inserts one).
    assert lp.page.locator(".jp-Notebook .jp-Cell").count() == 3

    # Going back shows the decision made; the end of the list says so.
    lp.press_keys(["ArrowLeft"], interval=0)
    wait_for(lambda: view.state().get("itemId") == item_id(3), timeout=10, what="item 3 again")
    assert view.state()["decision"] == "review-correct"
    assert "corrected to b" in view.text(".wb-decision")
    lp.press_keys(["ArrowRight", "s", "s", "s"], interval=0.1)
    wait_for(lambda: view.state().get("position") == str(N_ISSUES), timeout=10, what="the end")
    assert "End of the list" in view.text(".wb-stage")
    assert len(_decisions(db)) == 6, "moving and skipping write nothing"


def test_a_decision_on_a_label_changed_meanwhile_is_refused_and_shown(open_notebook, workdir):
    db = workdir / "conflict.db"
    lp, view = _open_review(open_notebook, db)
    # Another process relabels item 0 while its card is on screen.
    with wb.Project(db, annotator="carol") as p:
        carol = p.label(item_id(0), "c")
    lp.press_keys(["Enter"], interval=0)
    wait_for(
        lambda: "changed since it was shown" in view.text(".wb-errors"),
        timeout=30,
        what="the refusal shown",
    )
    view.wait_outbox_empty()
    assert _decisions(db) == [], "nothing written over carol's label"

    # The card is fetched again: carol's label is the one under review now.
    lp.press_keys(["ArrowLeft"], interval=0)
    wait_for(lambda: "carol" in view.text(".wb-given"), timeout=30, what="the card reloaded")
    assert view.state()["decision"] == ""
    lp.press_keys(["Enter"], interval=0)
    events = wait_events(
        db, lambda ev: len(ev) >= 1, kinds=REVIEW_KINDS, timeout=30, what="the accept"
    )
    assert _shape(events) == [(item_id(0), "review-accept", "c", carol)]


def test_decisions_unacknowledged_at_a_reload_are_resent_once(open_notebook, workdir, lab_server):
    db = workdir / "reload.db"
    lp, view = _open_review(open_notebook, db)
    parents = _label_events(db)
    wait_for(lambda: view.state().get("itemId") == item_id(0), timeout=10, what="first card")

    pid = lab_server.kernel_pid(lab_server.kernel_id(lp.notebook))
    assert pid is not None
    # Let the prefetch settle, so the three cards are in the browser before the kernel stops.
    lp.page.wait_for_timeout(1500)
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: process_state(pid) == "T", timeout=5, what="kernel stopped")
        lp.press_keys(["Enter", "1", "x"], interval=0.2)
        wait_for(lambda: view.state()["outbox"] == "3", timeout=10, what="3 unacknowledged")
        waiting = view.outbox_entries()
        assert sorted((m["item_id"], m["kind"], m["parent"]) for m in waiting) == [
            (item_id(0), "review-accept", parents[item_id(0)]),
            (item_id(1), "review-correct", parents[item_id(1)]),
            (item_id(2), "ambiguous", parents[item_id(2)]),
        ]
        lp.page.reload(wait_until="domcontentloaded")
        lp.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        assert len(view.outbox_entries()) == 3, "the outbox survived the reload"
    finally:
        os.kill(pid, signal.SIGCONT)
    lp.wait_ready(timeout=90)
    view.mark_stale()
    lp.run_all()
    view.wait_ready(timeout=90)
    view.wait_outbox_empty(timeout=60)
    events = settle_events(db, kinds=REVIEW_KINDS, quiet=1.5)
    assert _shape(events) == [
        (item_id(0), "review-accept", review_given(0), parents[item_id(0)]),
        (item_id(1), "review-correct", "a", parents[item_id(1)]),
        (item_id(2), "ambiguous", None, parents[item_id(2)]),
    ]
    assert {(e["client_id"], e["seq"]) for e in events} == {
        (m["client_id"], m["seq"]) for m in waiting
    }
