"""The review door holds on a member's own connection: PostgreSQL itself refuses a
review decision whose ``parent`` is not the event that decides its item's state now
(team_sql.CHECK_DECISION), whatever a hostile reviewer inserts by hand."""

from __future__ import annotations

import pytest

from tests.security.test_team_attacks import refused, snapshot
from tests.teams import sql
from workbench import StaleLabelError
from workbench.errors import StoreError

pytestmark = pytest.mark.postgres

DECISION = (
    "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, schema_version, "
    "created_at, parent) VALUES (%s, 'label', %s, 'rita', %s, 'review', %s, 1, 0, %s) "
    "RETURNING id"
)


def test_a_reviewer_cannot_insert_a_decision_about_a_stale_or_foreign_event(t):
    alice, bob, rita = t.open("alice"), t.open("bob"), t.open("rita")
    iid, other = alice.team.claim(2)
    assert bob.team.claim(1) == [iid]
    first = alice.label(iid, "cat")
    second = bob.label(iid, "dog")  # the item's state now
    foreign = alice.label(other, "bird")  # another item's label
    assert iid in rita.team.claim(5)
    before = snapshot(t.lead)
    attacks = {
        "accept of a stale label": (iid, '"cat"', "review-accept", "", first),
        "correction of a stale label": (iid, '"bird"', "review-correct", "", first),
        "send-back of a stale label": (iid, None, "send-back", "why", first),
        "ambiguous on a stale label": (iid, None, "ambiguous", "", first),
        "accept of another item's label": (iid, '"bird"', "review-accept", "", foreign),
        "accept of no label": (iid, '"dog"', "review-accept", "", None),
        "accept of a label not yet written": (iid, '"dog"', "review-accept", "", second + 99),
    }
    for what, args in attacks.items():
        error = StoreError if what == "accept of a label not yet written" else StaleLabelError
        refused(lambda a=args: sql(rita, DECISION, a), error)
        assert snapshot(t.lead) == before, what
    with pytest.raises(StaleLabelError, match=f"item '{iid}' changed since it was shown"):
        sql(rita, DECISION, (iid, '"cat"', "review-accept", "", first))
    # The decision about the current state goes in (the check refuses only stale ones).
    ((eid,),) = sql(rita, DECISION, (iid, '"dog"', "review-accept", "", second))
    assert t.lead.store.get_event(eid).parent == second
    # An annotator's own "ambiguous" flag carries no parent and is no review decision.
    carol = t.open("carol")
    (held,) = carol.team.claim(1)
    flag = carol.label(held, None, kind="ambiguous")
    assert t.lead.store.get_event(flag).kind == "ambiguous"
