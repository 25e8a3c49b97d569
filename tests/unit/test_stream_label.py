"""LabelStream.label leaves the item check to the append (one query less per key,
a round trip on PostgreSQL), and an unknown item is still refused by name with
nothing stored: on both back ends, and for a team annotator whose row policies
refuse the insert before its foreign key would."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.stream import LabelStream


def _label(seq: int, item_id: str, value="cat", **extra):
    return {
        "type": "label", "client_id": "c1", "seq": seq, "item_id": item_id, "kind": "label",
        "value": value, **extra,
    }  # fmt: skip


def _counting_missing_items(monkeypatch, store) -> list:
    calls: list = []
    real = store.missing_items

    def counted(ids):
        calls.append(list(ids))
        return real(ids)

    monkeypatch.setattr(store, "missing_items", counted)
    return calls


def test_an_unknown_item_is_refused_by_name_and_nothing_is_stored(store_location, monkeypatch):
    schema = wb.Schema.classification("animal", ["cat", "dog"])
    with wb.Project(store_location, schema=schema, annotator="ann") as p:
        p.add_texts(["a", "b"], ids=["t0", "t1"])
        stream = LabelStream(p)
        calls = _counting_missing_items(monkeypatch, p.store)
        ((ok, _),) = stream.handle(_label(1, "t0"))
        assert ok["type"] == "ack"
        assert calls == []  # the append checks the item: no query of its own
        log = p.events()
        ((reply, _),) = stream.handle(_label(2, "nope"))
        assert reply["type"] == "refused" and reply["seq"] == 2
        assert "no item 'nope'" in reply["error"]
        assert p.events().equals(log)
        # A retraction and a review decision name the unknown item too.
        undo = _label(3, "nope", kind="retract", retracts={"client_id": "c1", "seq": 1})
        ((reply, _),) = stream.handle(undo)
        assert reply["type"] == "refused" and "no item 'nope'" in reply["error"]
        accept = _label(4, "nope", kind="review-accept", parent=None)
        ((reply, _),) = stream.handle(accept)
        assert reply["type"] == "refused" and "no item 'nope'" in reply["error"]
        assert p.events().equals(log)


def test_a_team_annotator_is_told_the_item_is_unknown(t):
    alice = t.open("alice")
    stream = LabelStream(alice)
    before = t.lead.events()
    ((reply, _),) = stream.handle(_label(1, "nope"))
    assert reply["type"] == "refused" and "no item 'nope'" in reply["error"]
    assert t.lead.events().equals(before)
    # An item that exists but is not hers stays a permission refusal.
    (held,) = alice.team.claim(1)
    other = next(i for i in t.ids if i != held)
    ((reply, _),) = stream.handle(_label(2, other))
    assert reply["type"] == "refused" and "no item" not in reply["error"]


@pytest.mark.parametrize("kind", ["retract"])
def test_the_retract_path_still_checks_the_item_first(tmp_path, kind):
    schema = wb.Schema.classification("animal", ["cat", "dog"])
    with wb.Project(tmp_path / "p.db", schema=schema, annotator="ann") as p:
        p.add_texts(["a"], ids=["t0"])
        stream = LabelStream(p)
        msg = _label(1, "gone", kind=kind, retracts={"client_id": "zz", "seq": 9})
        ((reply, _),) = stream.handle(msg)
        # Refused (the item), not deferred (waiting for a label that will never come).
        assert reply["type"] == "refused" and "no item 'gone'" in reply["error"]
