"""Team mode's review decisions go through the one door (workbench.decisions.decide):
they carry the reviewed event as parent, and a stale one is refused as the widget and
Project.review_label refuse it, with nothing written."""

from __future__ import annotations

import pytest

from workbench import StaleLabelError


def _disagreement(t):
    alice, bob, rita = t.open("alice"), t.open("bob"), t.open("rita")
    (iid,) = alice.team.claim(1)
    assert bob.team.claim(1) == [iid]
    first = alice.label(iid, "cat")
    second = bob.label(iid, "dog")
    assert rita.team.claim(5) == [iid]  # routed: the annotators disagree
    return rita, iid, first, second


def test_team_decisions_carry_the_reviewed_event_and_refuse_stale_ones(t):
    rita, iid, first, second = _disagreement(t)
    log = t.lead.events()
    with pytest.raises(StaleLabelError) as team_error:
        rita.team.correct(iid, "bird", reason="wings", parent=first)
    with pytest.raises(StaleLabelError) as api_error:
        t.lead.review_label(iid, "correct", "bird", parent=first)
    assert str(team_error.value) == str(api_error.value)
    assert "changed since it was shown" in str(team_error.value)
    assert t.lead.events().equals(log)  # nothing written
    # Accepting one of the annotators' labels (not only the latest) is the team's rule.
    eid = rita.team.accept(iid, "cat", note="whiskers")
    ev = t.lead.store.get_event(eid)
    assert (ev.kind, ev.value, ev.tier, ev.parent) == ("review-accept", "cat", "review", second)
    # A value nobody gave is not an acceptance but a correction.
    with pytest.raises(ValueError, match="under review"):
        rita.team.accept(iid, "bird", parent=eid)
