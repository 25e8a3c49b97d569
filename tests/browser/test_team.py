"""Team mode in a real JupyterLab: an annotator's ClassifyWidget on PostgreSQL.

The lead (this test process) sets up a team of two annotators, alice and bob
(overlap 2, so that a disagreement sends items to review), and a reviewer,
rita, over a few text items. A notebook opens ``wb.Project(alice_url)`` and
shows ``project.classify()``: the queue is alice's claims. After alice labels
three items with real key presses, bob labels the same three otherwise (through
the API), rita claims them for review, corrects one with a reason and sends
another back; alice's view, run again, shows the two notes, the sent-back item
first with its reason, and marking the notes read reaches the database.

The last test is the review widget's send-back on SQLite (no PostgreSQL): its
reason is typed in a text field inside JupyterLab, where every key must stay in
the field (``a`` would insert a cell, ``1`` make a heading, ``x`` cut one).

Needs PostgreSQL (``pg_cluster``/``lead_url`` in tests/conftest.py: skipped without
the server binaries unless WORKBENCH_REQUIRE_POSTGRES=1) and Chromium (the
directory's rule). The kernel reaches the cluster through its Unix socket
under /tmp: it runs on this machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import workbench as wb

from .harness import LabPage, read_events, settle_events, wait_events, wait_for
from .notebooks import CLASSES, item_id, review_cells, team_classify_cells
from .views import ClassifyView, ReviewView

#: Five items and a prefetch of four: alice's first need claims them all, so after
#: three labels she holds two claims, and a view that asks again gets those and the
#: item sent back in one reply (held claims come before returned ones in wb_claim).
N_ITEMS = 5
PREFETCH = 4


@pytest.fixture
def team_project(lead_url: str) -> Iterator[dict[str, object]]:
    """The lead's project with the team set up and filled; the members' URLs."""
    # Keys 1-3, as the notebooks' projects bind them (a class named "a" would take key a).
    classes = [wb.LabelClass(c, key=str(i + 1)) for i, c in enumerate(CLASSES)]
    lead = wb.Project(lead_url, schema=wb.Schema.classification("label", classes))
    opened = [lead]
    try:
        lead.add_texts(
            [f"Text item number {i}: the quick brown fox." for i in range(N_ITEMS)],
            ids=[item_id(i) for i in range(N_ITEMS)],
        )
        team = lead.team.setup(overlap=2, gold_share=0.0)
        urls = {
            name: team.add_user(name, role)
            for name, role in (("alice", "annotator"), ("bob", "annotator"), ("rita", "reviewer"))
        }
        assert team.fill() == N_ITEMS

        def member(name: str) -> wb.Project:
            p = wb.Project(urls[name])
            opened.append(p)
            return p

        yield {"lead": lead, "team": team, "urls": urls, "member": member}
    finally:
        for p in opened:
            p.close()


def _labels(lead: wb.Project) -> list[tuple[str, object, str]]:
    ev = lead.events()
    ev = ev[ev["kind"] == "label"].sort_values("id")
    return list(zip(ev["item_id"], ev["value"], ev["annotator"], strict=True))


def _open(open_notebook, url: str) -> tuple[LabPage, ClassifyView]:
    lp = open_notebook(team_classify_cells(url, prefetch=PREFETCH))
    view = ClassifyView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    return lp, view


def test_annotator_labels_claims_then_reads_the_reviewers_notes(open_notebook, team_project):
    lead, team, urls, member = (team_project[k] for k in ("lead", "team", "urls", "member"))
    lp, view = _open(open_notebook, urls["alice"])
    assert view.state()["itemId"] == item_id(0)
    assert view.feedback_count() == 0

    # Alice labels her first three claims with class keys.
    lp.press_keys(["1", "1", "2"], interval=0.3)
    wait_for(lambda: len(_labels(lead)) >= 3, timeout=60, interval=0.3, what="3 label events")
    view.wait_outbox_empty(timeout=30)
    assert _labels(lead) == [
        (item_id(0), "a", "alice"),
        (item_id(1), "a", "alice"),
        (item_id(2), "b", "alice"),
    ]
    alice = member("alice")
    claims = alice.team.my_claims()
    state = dict(zip(claims["item_id"], claims["state"], strict=True))
    assert {i: state[item_id(i)] for i in range(3)} == {i: "done" for i in range(3)}
    assert set(state) == {item_id(i) for i in range(N_ITEMS)}, "the view claimed every item"
    assert {state[item_id(i)] for i in range(3, N_ITEMS)} == {"claimed"}
    queue = team.queue().set_index("tier")
    assert queue.loc["annotate", "done"] == 3

    # Bob disagrees on the same three; rita reviews them.
    bob = member("bob")
    assert bob.team.claim(3) == [item_id(i) for i in range(3)]
    for i in range(3):
        bob.label(item_id(i), "c")
    rita = member("rita")
    assert sorted(rita.team.claim(3)) == [item_id(i) for i in range(3)]
    rita.team.correct(item_id(0), "b", reason="beak visible")
    rita.team.send_back(item_id(1), reason="look again")
    assert len(alice.team.feedback(unseen=True)) == 2

    # Alice's view again: the two notes, and the item sent back first with its reason.
    view.mark_stale()
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    wait_for(lambda: view.feedback_count() == 2, timeout=30, what="2 notes in the strip")
    assert view.feedback_notes() == [
        f"rita corrected {item_id(0)}: a → b — “beak visible”",
        f"rita sent {item_id(1)} back — “look again”",
    ]
    assert view.state()["itemId"] == item_id(1)
    assert view.item_feedback() == "Sent back by rita: look again"

    # d marks them read: the strip empties and the database has them seen.
    lp.press_keys(["d"], interval=0.1)
    wait_for(lambda: view.feedback_count() == 0, timeout=10, what="strip emptied")
    wait_for(lambda: alice.team.feedback(unseen=True).empty, timeout=30, interval=0.3, what="seen")
    fb = alice.team.feedback()
    assert len(fb) == 2 and fb["seen_at"].notna().all()
    assert view.item_feedback() == "Sent back by rita: look again", "the item's own note stays"

    # Alice labels the item sent back again: her new label closes the claim.
    lp.press_keys(["3"], interval=0.1)
    wait_for(
        lambda: _labels(lead)[-1][:3] == (item_id(1), "c", "alice"),
        timeout=30,
        interval=0.3,
        what="alice's new label of the item sent back",
    )
    view.wait_outbox_empty(timeout=30)
    claims = alice.team.my_claims()
    assert dict(zip(claims["item_id"], claims["state"], strict=True))[item_id(1)] == "done"
    assert view.state()["itemId"] != item_id(1)


def test_review_send_back_reason_is_typed_in_the_field_and_stored(open_notebook, workdir):
    db = workdir / "review.db"
    lp = open_notebook(review_cells(db, 6, 3))
    view = ReviewView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    assert view.state()["itemId"] == item_id(0)
    parent = [e["id"] for e in read_events(db, kinds=("label",)) if e["item_id"] == item_id(0)][-1]
    cells = lp.page.locator(".jp-Notebook .jp-Cell").count()

    lp.press_keys(["b"], interval=0.1)
    wait_for(lambda: view.state().get("asking") == "send-back", timeout=10, what="reason field")
    # Review keys and JupyterLab's command-mode keys, typed as the reason.
    lp.page.keyboard.type("ax1 ssd dm look again", delay=20)
    assert view.state()["itemId"] == item_id(0), "no key acted on the card"
    lp.press_keys(["Enter"], interval=0.1)
    events = wait_events(db, lambda ev: len(ev) >= 1, kinds=("send-back",), what="send-back")
    view.wait_outbox_empty()
    events = settle_events(db, kinds=("send-back", "review-accept", "review-correct"), quiet=1.0)
    assert [(e["item_id"], e["kind"], e["note"], e["parent"]) for e in events] == [
        (item_id(0), "send-back", "ax1 ssd dm look again", parent)
    ]
    assert view.state()["itemId"] == item_id(1)
    assert view.has_focus(), "the keyboard is the view's again"
    assert "look again" not in view.text(".wb-decision")
    lp.press_keys(["ArrowLeft"], interval=0.1)
    wait_for(lambda: "look again" in view.text(".wb-decision"), timeout=10, what="reason shown")
    assert lp.page.locator(".jp-Notebook .jp-Cell").count() == cells
    assert lp.page.locator(".jp-Notebook .jp-MarkdownCell").count() == 0
