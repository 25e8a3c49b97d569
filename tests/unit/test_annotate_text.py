"""The text-span widget's kernel side: the TextSpans task picked, its spec synced,
text items with their labels and pre-labels, whole values stored as labels at
Python ``str`` offsets, and refusals that name what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from tests.widget_wire import Wire
from workbench.widgets import AnnotateTextWidget

TEXTS = ["😀 Ann lives in Paris.", "Bob went to Oslo.", "x" * 1_000_000]


def schema():
    return wb.Schema(
        (
            wb.Classification("topic", classes=("news", "other")),
            wb.TextSpans(
                "entities",
                classes=["PER", "LOC"],
                relations=[wb.Relation("lives_in", sources=("PER",), targets=("LOC",))],
                attributes=[wb.Attribute("negated")],
                tokens="words",
            ),
        )
    )


@pytest.fixture
def project(tmp_path):
    with wb.Project(tmp_path / "p.db", schema=schema(), annotator="ann") as p:
        p.add_texts(TEXTS, ids=["a", "b", "long"])
        yield p


def label(seq, item_id, value, *, client_id="c1"):
    return {"type": "label", "client_id": client_id, "seq": seq, "item_id": item_id,
            "task": "entities", "kind": "label", "value": value, "duration_ms": 40}  # fmt: skip


def test_widget_picks_the_spans_task_and_syncs_its_spec(project):
    w = project.annotate_text()
    assert isinstance(w, AnnotateTextWidget)
    assert w.task == "entities" and w.prefetch == 4
    spec = w.schema
    assert spec["kind"] == "spans" and spec["tokens"] == "words"
    assert [c["name"] for c in spec["classes"]] == ["PER", "LOC"]
    assert spec["relations"][0]["name"] == "lives_in"
    assert spec["relations"][0]["sources"] == ["PER"]
    assert spec["attributes"][0]["name"] == "negated"
    assert {c["key"] for c in spec["classes"]}.isdisjoint({spec["relations"][0]["key"]})
    assert "annotate_text" in str(AnnotateTextWidget._esm) or "render" in str(
        AnnotateTextWidget._esm
    )


def test_a_task_of_another_kind_or_a_bad_setting_is_refused(project):
    with pytest.raises(wb.SchemaError, match="spans task; task 'topic' is of kind"):
        project.annotate_text("topic")
    with pytest.raises(TypeError, match="max_size"):
        AnnotateTextWidget(project, max_size=512)
    with pytest.raises(ValueError, match="prefetch"):
        project.annotate_text(prefetch=101)
    only_classes = wb.Project(
        Path(project.store.path).parent / "c.db", schema=wb.Schema.classification("c", ["x"])
    )
    with pytest.raises(wb.SchemaError, match="needs a spans task"):
        only_classes.annotate_text()
    only_classes.close()


def test_items_carry_the_whole_text_their_label_and_pre_label(project):
    project.add_prelabels(
        {"a": {"spans": [{"start": 2, "end": 5, "class": "PER", "score": 0.8}]}},
        model="matcher@1",
        task="entities",
    )
    w = project.annotate_text()
    wire = Wire(w)
    reply = wire.reply({"type": "need", "client_id": "v", "req": 1, "n": 3, "exclude": []})
    items = {it["item_id"]: it for it in reply["items"]}
    assert set(items) == {"a", "b", "long"}
    assert items["a"]["kind"] == "text" and items["a"]["text"] == TEXTS[0]
    assert len(items["long"]["text"]) == 1_000_000, "a long document comes whole"
    pre = items["a"]["prelabel"]
    assert pre["value"]["spans"][0]["start"] == 2 and pre["value"]["spans"][0]["score"] == 0.8


def test_a_label_is_the_whole_value_at_code_point_offsets(project):
    w = project.annotate_text()
    wire = Wire(w)
    # "😀 Ann lives in Paris.": Ann is 2..5 and Paris 15..20 in code points.
    value = {
        "spans": [
            {"id": "e1", "start": 2, "end": 5, "class": "PER", "attributes": {}},
            {"id": "e2", "start": 15, "end": 20, "class": "LOC", "attributes": {}},
        ],
        "relations": [{"id": "r1", "from": "e1", "to": "e2", "class": "lives_in"}],
    }
    ack = wire.reply(label(1, "a", value))
    assert ack["type"] == "ack", ack
    stored = project.labels(task="entities").set_index("item_id").loc["a", "label"]
    text = TEXTS[0]
    assert [text[s["start"] : s["end"]] for s in stored["spans"]] == ["Ann", "Paris"]
    assert stored["spans"][0]["attributes"] == {"negated": False}
    assert stored["relations"][0]["class"] == "lives_in"
    # A newer snapshot, then a resend of the first: acknowledged, stored once.
    ack2 = wire.reply(label(2, "a", {"spans": [], "relations": []}))
    assert ack2["type"] == "ack"
    again = wire.reply(label(1, "a", value))
    assert again["type"] == "ack" and again["duplicate"]


def test_spans_off_the_tokens_or_past_the_text_are_refused_by_name(project):
    wire = Wire(project.annotate_text())
    off = wire.reply(label(1, "a", [{"start": 3, "end": 5, "class": "PER"}]))
    assert off["type"] == "refused" and "token boundaries" in off["error"]
    past = wire.reply(label(2, "b", [{"start": 12, "end": 99, "class": "LOC"}]))
    assert past["type"] == "refused" and "ends past the text" in past["error"]
    bad = wire.reply(label(3, "b", [{"start": 0, "end": 3, "class": "ORG"}]))
    assert bad["type"] == "refused" and "ORG" in bad["error"]
    assert project.labels(task="entities").empty


# -- the front end's tokenizer mirrors the kernel's ------------------------------------
FIXTURE = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "text_tokens.json"


def token_classes() -> dict:
    """What ``\\w`` and ``\\s`` (the tokenizers of :mod:`workbench.kinds.spans.schema`)
    say of every code point, as runs ``[first, last, cls]``: ``w`` word, ``s`` space,
    ``o`` other, ``u`` unassigned in this Python's Unicode (the front end skips those:
    its Unicode may be newer). tests/js/annotate_text.test.mjs checks its tokenizer
    against it, code point by code point."""
    import re
    import sys
    import unicodedata

    word, space = re.compile(r"\w"), re.compile(r"\s")
    runs: list[list] = []
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if word.match(ch):
            cls = "w"
        elif space.match(ch):
            cls = "s"
        elif unicodedata.category(ch) == "Cn":
            cls = "u"
        else:
            cls = "o"
        if runs and runs[-1][2] == cls and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp, cls])
    return {"unicode": unicodedata.unidata_version, "runs": runs}


def test_the_front_ends_token_fixture_is_what_python_says_today():
    import json
    import os

    now = token_classes()
    if os.environ.get("WORKBENCH_WRITE_FIXTURES") == "1":
        FIXTURE.write_text(json.dumps(now, separators=(",", ":")) + "\n", encoding="utf-8")
    stored = json.loads(FIXTURE.read_text(encoding="utf-8"))
    how = "WORKBENCH_WRITE_FIXTURES=1 pytest tests/unit/test_annotate_text.py, then commit it"

    # Another Python's Unicode assigns more code points: compare only those both assign.
    def classes(data: dict) -> dict[int, str]:
        return {cp: c for a, b, c in data["runs"] if c != "u" for cp in range(a, b + 1)}

    old, new = classes(stored), classes(now)
    both = old.keys() & new.keys()
    changed = [cp for cp in both if old[cp] != new[cp]]
    assert not changed, f"{len(changed)} code points changed class, e.g. {changed[:5]}; {how}"


def test_suggestions_stored_while_the_widget_is_open_reach_the_items_it_holds(project):
    w = project.annotate_text()
    wire = Wire(w)
    wire.reply({"type": "need", "client_id": "v", "req": 1, "n": 2, "exclude": []})
    project.add_prelabels(
        {"b": [{"start": 12, "end": 16, "class": "LOC", "score": 0.7}]},
        model="matcher@1",
        task="entities",
    )
    pushed = [m for m, _ in wire.sent if m.get("type") == "prelabels"]
    assert len(pushed) == 1
    (item,) = pushed[0]["items"]
    assert item["item_id"] == "b"
    assert item["prelabel"]["value"]["spans"][0]["start"] == 12
    w.close()
