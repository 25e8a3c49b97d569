"""The text-span task kind (workbench.kinds.spans): its schema, values in canonical
form, the checks against the item's text, tokenizers and snapping, and span F1."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.kinds import registry
from workbench.kinds.spans.agreement import pairwise_f1, span_counts, span_f1, total_counts
from workbench.kinds.spans.schema import MAX_OFFSET, snap, token_edge, tokenize


def ents(**kw) -> wb.TextSpans:
    kw.setdefault("classes", ["PER", "ORG", "LOC"])
    return wb.TextSpans("ents", **kw)


def span(start, end, cls="PER", **extra):
    return {"start": start, "end": end, "class": cls, **extra}


# -- the schema -----------------------------------------------------------------------


def test_classes_and_relations_share_one_key_space_and_round_trip():
    t = ents(
        relations=[wb.Relation("works_for", sources=["PER"], targets=["ORG"]), "located_in"],
        attributes=[wb.Attribute("negated"), wb.Attribute("certainty", "choice", ("low", "high"))],
        overlapping=True,
        tokens="words",
    )
    keys = [c.key for c in t.classes] + [r.key for r in t.relations]
    assert keys == ["1", "2", "3", "4", "5"] and len(set(keys)) == 5
    assert t.relation_names == ["works_for", "located_in"]
    assert wb.TextSpans.from_dict(json.loads(json.dumps(t.to_dict()))) == t
    # Beside a document-level class in one schema, restored by kind.
    schema = wb.Schema((wb.Classification("topic", classes=["news", "sport"]), t))
    back = wb.Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert back == schema and isinstance(back.task("ents"), wb.TextSpans)
    assert registry.get("spans").task_class is wb.TextSpans


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"classes": []}, "at least one span class"),
        ({"classes": ["PER", "PER"]}, "duplicate class names"),
        ({"relations": [wb.Relation("r", sources=["NOPE"])]}, "'NOPE', which is not a span class"),
        ({"tokens": "bpe"}, "tokens must be one of"),
        ({"overlapping": "yes"}, "overlapping must be True or False"),
        ({"attributes": ["a", "a"]}, "attribute names repeat"),
        ({"classes": "PER"}, "lists of names"),
    ],
)
def test_a_bad_task_is_refused_by_name(kw, match):
    with pytest.raises(wb.SchemaError, match=match):
        ents(**kw)


# -- values ---------------------------------------------------------------------------


def test_values_are_canonical():
    t = ents(relations=["works_for"], attributes=[wb.Attribute("negated")])
    given = {
        "spans": [span(10, 14, "ORG"), span(0, 3, score=0.75)],
        "relations": [{"from": "e1", "to": "e2", "class": "works_for"}],
    }
    got = t.validate(given)
    assert got == {
        "spans": [
            {"id": "e1", "start": 0, "end": 3, "class": "PER", "attributes": {"negated": False},
             "score": 0.75},
            {"id": "e2", "start": 10, "end": 14, "class": "ORG",
             "attributes": {"negated": False}},
        ],
        "relations": [{"id": "r1", "from": "e1", "to": "e2", "class": "works_for"}],
    }  # fmt: skip
    assert t.validate(got) == got  # a stored value validates to itself
    assert t.validate([span(0, 3)]) == {"spans": [t.validate([span(0, 3)])["spans"][0]],
                                        "relations": []}  # fmt: skip
    assert t.validate([]) == {"spans": [], "relations": []}
    # Given ids are kept, numpy-ish whole floats become ints.
    kept = t.validate([{"id": "x", "start": 2.0, "end": 5, "class": "LOC"}])["spans"][0]
    assert kept["id"] == "x" and kept["start"] == 2 and isinstance(kept["start"], int)


@pytest.mark.parametrize(
    "value, error, match",
    [
        ("PER", wb.SchemaError, "spans must be a list"),
        ({"spans": [], "extra": 1}, wb.SchemaError, "got a field 'extra'"),
        ([span(3, 3)], wb.SchemaError, "start must be before end"),
        ([span(-1, 3)], wb.SchemaError, "start must be a whole number"),
        ([span(0.5, 3)], wb.SchemaError, "start must be a whole number"),
        ([span(True, 3)], wb.SchemaError, "start must be a whole number"),
        ([span(0, "3")], wb.SchemaError, "end must be a whole number"),
        ([span(0, MAX_OFFSET + 1)], wb.SchemaError, "end must be a whole number"),
        ([span(0, 3, "CAT")], wb.UnknownClassError, "no class 'CAT'"),
        ([span(0, 3, color="red")], wb.SchemaError, "unknown field 'color'"),
        ([span(0, 3, score=float("nan"))], wb.SchemaError, "score must be a number"),
        ([span(0, 3, attributes={"x": 1})], wb.SchemaError, "no attribute 'x'"),
        ([span(0, 5), span(3, 8, "ORG")], wb.SchemaError, "overlap"),
        ([span(0, 5), span(0, 5)], wb.SchemaError, "the same span twice"),
        ([span(0, 5, id="a"), span(6, 8, id="a")], wb.SchemaError, "id 'a' is used twice"),
        ({"spans": [span(0, 2)], "relations": [{"from": "e1", "to": "e1", "class": "r"}]},
         wb.SchemaError, "no relation types"),
        (["not a span"], wb.SchemaError, "a span is a dict"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_by_name(value, error, match):
    with pytest.raises(error, match=match):
        ents().validate(value)


def test_overlap_is_allowed_where_the_task_says_so():
    t = ents(overlapping=True)
    got = t.validate([span(0, 10, "ORG"), span(0, 5), span(2, 4, "LOC")])
    assert [(s["start"], s["end"]) for s in got["spans"]] == [(0, 5), (0, 10), (2, 4)]
    with pytest.raises(wb.SchemaError, match="the same span twice"):
        t.validate([span(0, 5), span(0, 5)])
    # Touching spans never overlap.
    assert len(ents().validate([span(0, 5), span(5, 8)])["spans"]) == 2


@pytest.mark.parametrize(
    "relation, match",
    [
        ({"from": "e1", "to": "e9", "class": "works_for"}, "to names no span"),
        ({"from": "e1", "to": "e1", "class": "works_for"}, "two different spans"),
        ({"from": "e1", "to": "e2", "class": "likes"}, "no relation 'likes'"),
        ({"from": "e2", "to": "e1", "class": "works_for"}, "works_for' relation's from"),
        ({"from": "e1", "to": "e2", "class": "works_for", "weight": 1}, "unknown field"),
    ],
)
def test_bad_relations_are_refused_by_name(relation, match):
    t = ents(relations=[wb.Relation("works_for", sources=["PER"], targets=["ORG"])])
    with pytest.raises(wb.SchemaError, match=match):
        t.validate({"spans": [span(0, 3), span(5, 9, "ORG")], "relations": [relation]})
    twice = [{"from": "e1", "to": "e2", "class": "works_for"}] * 2
    with pytest.raises(wb.SchemaError, match="the same relation twice"):
        t.validate({"spans": [span(0, 3), span(5, 9, "ORG")], "relations": twice})


# -- against the text -----------------------------------------------------------------


def test_spans_are_checked_against_the_items_text(tmp_path):
    schema = wb.Schema((wb.Classification("topic", classes=["news", "sport"]),
                        ents(tokens="words")))  # fmt: skip
    text = "Ada Lovelace met Babbage in London."
    with wb.Project(tmp_path / "p.db", schema=schema) as p:
        p.add_texts([text], ids=["t0"])
        eid = p.label("t0", [span(0, 12), span(17, 24), span(28, 34, "LOC")], task="ents")
        p.label("t0", "news", task="topic")
        stored = p.store.get_event(eid).value
        assert [text[s["start"] : s["end"]] for s in stored["spans"]] == [
            "Ada Lovelace", "Babbage", "London"]  # fmt: skip
        log = p.events()
        with pytest.raises(wb.SchemaError, match="token boundaries .*'Lov'"):
            p.label("t0", [span(4, 7)], task="ents")
        with pytest.raises(wb.SchemaError, match="ends past the text, which has 35"):
            p.label("t0", [span(28, 40, "LOC")], task="ents")
        with pytest.raises(wb.UnknownItemError, match="no item 'nope'"):
            p.label("nope", [span(0, 3)], task="ents")
        assert p.events().equals(log)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.sampled_from(["whitespace", "words"]), st.data())
def test_tokens_and_snapping_for_any_text(text, tokenizer, data):
    tokens = tokenize(text, tokenizer)
    # Tokens are sorted, disjoint, non-empty and hold no space; what is between them is.
    covered = set()
    for (s, e), nxt in zip(tokens, [*tokens[1:], None], strict=False):
        assert 0 <= s < e <= len(text) and not any(c.isspace() for c in text[s:e])
        assert nxt is None or e <= nxt[0]
        covered.update(range(s, e))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)
    # The span check's test of one offset says what the whole tokenization says.
    starts, ends = {a for a, _ in tokens}, {b for _, b in tokens}
    for i in range(len(text) + 1):
        assert token_edge(text, i, tokenizer, True) == (i in starts), i
        assert token_edge(text, i, tokenizer, False) == (i in ends), i
    if not text:
        return
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    snapped = snap(tokens, start, end)
    if snapped is None:
        assert text[start:end].isspace()
        return
    s, e = snapped
    # On token boundaries, holding every non-space character selected, and no token
    # the selection did not touch.
    assert s in {a for a, _ in tokens} and e in {b for _, b in tokens}
    assert all(s <= i < e for i in range(start, end) if not text[i].isspace())
    assert all(b <= s or a >= e or (a < end and b > start) for a, b in tokens)


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=40), st.data())
def test_offsets_survive_storage_for_any_unicode_text(text, data):
    """Offsets are Python str indices: whatever the text (combining marks, RTL,
    astral characters), a stored span still names the same characters."""
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), min_size=2, max_size=6)))
    pieces = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]
    value = [span(a, b, "PER") for a, b in pieces]
    t = ents()
    stored = json.loads(json.dumps(t.validate(value), ensure_ascii=False))
    t.check_text(stored, text)
    assert [text[s["start"] : s["end"]] for s in stored["spans"]] == [text[a:b] for a, b in pieces]
    assert t.validate(stored) == stored


# -- agreement ------------------------------------------------------------------------


def test_span_f1_exact_and_overlap():
    a = [span(0, 5), span(10, 20, "ORG"), span(30, 35, "LOC")]
    b = [span(0, 5), span(12, 20, "ORG"), span(30, 35, "PER")]
    assert span_f1(a, b, "exact") == pytest.approx(2 * 1 / 6)
    assert span_f1(a, b, "overlap") == pytest.approx(2 * 2 / 6)
    counts = span_counts(a, b, "overlap")
    assert counts.f1("ORG") == 1.0 and counts.f1("LOC") == 0.0
    assert counts.f1("PER") == pytest.approx(2 / 3)
    assert span_f1(a, b) == span_f1(b, a)  # symmetric
    assert span_f1([], []) == 1.0 and span_f1(a, []) == 0.0
    # One long span does not match two short ones.
    assert span_counts([span(0, 10)], [span(0, 4), span(5, 10)], "overlap").matched["PER"] == 1
    total = total_counts([(a, b), (a, a)], "exact")
    assert total.f1() == pytest.approx((2 * 1 + 2 * 3) / 12)
    with pytest.raises(ValueError, match="mode must be one of"):
        span_f1(a, b, "fuzzy")


def test_team_routing_scores_span_disagreement():
    from workbench.team import disagreement

    a = {"spans": [span(0, 5)], "relations": []}
    assert disagreement([a, a], "spans") == 0.0
    assert disagreement([a, {"spans": [span(0, 4)], "relations": []}], "spans") == 1.0
    assert pairwise_f1([a, a, {"spans": [], "relations": []}]) == pytest.approx(1 / 3)
