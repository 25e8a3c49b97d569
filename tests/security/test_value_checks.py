"""The database's own check of every value in team mode (``wb_check_event`` with each
task's ``value_schema``) against the Python check (``Task.validate``), on a real
PostgreSQL.

A member writing rows with their own connection gets no further than the API:
every value the API stores, the database accepts (no label a widget sends is
ever refused there); for classification the two checks agree exactly, and for
shapes every value the database accepts has the structure readers need
(types, classes, finite bounded coordinates), so none can break a read or an
export for everyone.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.errors import SchemaError
from workbench.kinds.audio.schema import MAX_SECONDS, MAX_TEXT_CHARS
from workbench.kinds.shapes.schema import MAX_COORDINATE
from workbench.kinds.spans.schema import MAX_OFFSET

pytestmark = pytest.mark.postgres

CLASSES = ["cat", "dog", "bird"]
SCHEMA = wb.Schema(
    (
        wb.Classification("one", classes=tuple(CLASSES)),
        wb.Classification("many", classes=tuple(CLASSES), multi_label=True),
        wb.Shapes(
            "shapes",
            classes=("car", "person"),
            attributes=(wb.Attribute("occluded"), wb.Attribute("pose", kind="choice",
                                                                choices=("up", "down"))),
            skeletons={"person": wb.Skeleton(("head", "foot"), (("head", "foot"),))},
        ),
        wb.TextSpans(
            "spans", classes=("PER", "ORG"), relations=("works_for",),
            attributes=(wb.Attribute("negated"),), overlapping=True,
        ),
        wb.AudioRegions(
            "regions", classes=("speech", "music"), attributes=(wb.Attribute("overlap"),),
            transcripts=True,
        ),
    )
)  # fmt: skip


@pytest.fixture(scope="module")
def db(pg_cluster):
    """A team project's lead connection, and a checker that inserts one event in a
    savepoint and says whether the database took it (nothing is ever committed)."""
    import psycopg

    url = pg_cluster.new_team_database()
    lead = wb.Project(url, schema=SCHEMA)
    lead.add_texts(["x"], ids=["x"])
    lead.team.setup()
    conn = psycopg.connect(url)

    def accepts(task: str, value_json: str | None) -> bool:
        conn.execute("SAVEPOINT probe")
        try:
            conn.execute(
                "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, "
                "schema_version, created_at) VALUES ('x', %s, %s, 'lead', 'label', "
                "'annotate', '', 1, 0)",
                (task, value_json),
            )
        except (psycopg.errors.CheckViolation, psycopg.DataError):  # what the store calls refused
            conn.execute("ROLLBACK TO SAVEPOINT probe")
            return False
        conn.execute("ROLLBACK TO SAVEPOINT probe")
        return True

    yield accepts
    conn.rollback()
    conn.close()
    lead.close()


def python_accepts(task: str, value):
    try:
        return True, SCHEMA.validate(task, value)
    except SchemaError:
        return False, None


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6),
    st.sampled_from(CLASSES + ["Cat", "fish", ""]),
)  # fmt: skip
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(task=st.sampled_from(["one", "many"]), value=json_values)
def test_classification_values_the_database_takes_are_exactly_the_apis(db, task, value):
    ok, normalised = python_accepts(task, value)
    if ok:
        assert db(task, json.dumps(normalised))
    # What a member could write raw: the same answer, whatever the Python type.
    raw_ok = ok and json.loads(json.dumps(value)) == normalised
    assert db(task, json.dumps(value)) == raw_ok, value


def shape(kind: str, cls: str = "car", **extra) -> dict:
    geometry = {
        "box": {"bbox": [1.0, 2.0, 3.0, 4.0]},
        "polygon": {"points": [[0, 0], [5, 0], [5, 5]]},
        "polyline": {"points": [[0, 0], [5, 5]]},
        "keypoints": {"points": [[1, 1, 2], [2, 2, 0]]},
        "mask": {"rle": {"size": [4, 4], "counts": [0, 16]}},
        "cuboid": {"front": [[0, 0], [1, 0], [1, 1], [0, 1]],
                   "back": [[2, 2], [3, 2], [3, 3], [2, 3]]},
    }[kind]  # fmt: skip
    return {"type": kind, "class": "person" if kind == "keypoints" else cls, **geometry, **extra}


coordinates = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e4, max_value=1e4),
    st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**30), 2**30),
)  # fmt: skip


@st.composite
def shape_lists(draw):
    shapes = []
    for _ in range(draw(st.integers(0, 3))):
        s = shape(draw(st.sampled_from(["box", "polygon", "polyline", "keypoints", "mask",
                                        "cuboid"])))  # fmt: skip
        mutation = draw(st.sampled_from(["none", "coord", "class", "field", "attr", "z"]))
        if mutation == "coord" and s["type"] != "mask":
            key = next(k for k in ("bbox", "points", "front") if k in s)
            flat = s[key] if key == "bbox" else s[key][0]
            flat[draw(st.integers(0, len(flat) - 1))] = draw(coordinates)
        elif mutation == "class":
            s["class"] = draw(st.sampled_from(["bike", "", "Car"]))
        elif mutation == "field":
            s[draw(st.sampled_from(["colour", "bbox2"]))] = 1
        elif mutation == "attr":
            s["attributes"] = {draw(st.sampled_from(["occluded", "pose", "size"])):
                               draw(st.sampled_from([True, "up", "left", 3]))}  # fmt: skip
        elif mutation == "z":
            s["z"] = draw(st.sampled_from([0, 5, -3, 2**40]))
        shapes.append(s)
    return shapes


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=shape_lists())
def test_shape_values_the_api_stores_the_database_takes(db, value):
    ok, normalised = python_accepts("shapes", value)
    if ok:
        assert db("shapes", json.dumps(normalised)), normalised


def test_shape_values_no_reader_could_use_are_refused(db):
    assert db("shapes", json.dumps(SCHEMA.validate("shapes", [shape(k) for k in
              ("box", "polygon", "polyline", "keypoints", "mask", "cuboid")])))  # fmt: skip
    bad = {
        "not a list": {"type": "box"},
        "an unknown type": [{**shape("box"), "type": "circle"}],
        "an unknown class": [shape("box", cls="bike")],
        "a text coordinate": [{**shape("box"), "bbox": [1, 2, "3", 4]}],
        "a coordinate past the bound": [{**shape("box"), "bbox": [1, 2, MAX_COORDINATE * 2, 4]}],
        "a huge coordinate": [{**shape("box"), "bbox": [1, 2, 1e308, 4]}],
        "three numbers in a box": [{**shape("box"), "bbox": [1, 2, 3]}],
        "a polygon of two points": [{**shape("polygon"), "points": [[0, 0], [1, 1]]}],
        "a point of three numbers": [{**shape("polyline"), "points": [[0, 0, 0], [1, 1, 1]]}],
        "an unknown field": [{**shape("box"), "colour": "red"}],
        "a missing geometry": [{"type": "box", "class": "car"}],
        "an unknown attribute": [{**shape("box"), "attributes": {"size": 3}}],
        "a choice not offered": [{**shape("box"), "attributes": {"pose": "left"}}],
        "a score above 1": [{**shape("box"), "score": 2}],
        "a z that is not whole": [{**shape("box"), "z": 1.5}],
        "an RLE with no counts": [{**shape("mask"), "rle": {"size": [4, 4]}}],
        "an RLE side past the bound": [
            {**shape("mask"), "rle": {"size": [2**25, 1], "counts": "0"}}
        ],  # fmt: skip
    }
    for what, value in bad.items():
        assert not db("shapes", json.dumps(value)), what
        assert not python_accepts("shapes", value)[0], what
    # Non-finite numbers never reach the database as JSON at all.
    assert not db("shapes", json.dumps([{**shape("box"), "bbox": [1, 2, math.inf, 4]}]))


@st.composite
def span_values(draw):
    spans = []
    for k in range(draw(st.integers(0, 4))):
        start = draw(st.integers(-2, 50))
        s = {"start": start, "end": start + draw(st.integers(-1, 9)),
             "class": draw(st.sampled_from(["PER", "ORG", "per", ""])), "id": f"s{k}"}  # fmt: skip
        mutation = draw(st.sampled_from(["none", "none", "score", "attr", "field", "offset"]))
        if mutation == "score":
            s["score"] = draw(st.sampled_from([0.5, 1, 1.5, -0.1, "high"]))
        elif mutation == "attr":
            s["attributes"] = {draw(st.sampled_from(["negated", "size"])): draw(
                st.sampled_from([True, "yes", 3]))}  # fmt: skip
        elif mutation == "field":
            s["label"] = "PER"
        elif mutation == "offset":
            s["end"] = draw(st.sampled_from([2.5, "7", MAX_OFFSET + 1, True]))
        spans.append(s)
    relations = []
    if len(spans) >= 2 and draw(st.booleans()):
        relations.append({"from": "s0", "to": draw(st.sampled_from(["s1", "s9"])),
                          "class": draw(st.sampled_from(["works_for", "likes"]))})  # fmt: skip
    return {"spans": spans, "relations": relations}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=span_values())
def test_span_values_the_api_stores_the_database_takes(db, value):
    ok, normalised = python_accepts("spans", value)
    if ok:
        assert db("spans", json.dumps(normalised)), normalised


def test_span_values_no_reader_could_use_are_refused(db):
    good = {"spans": [{"id": "a", "start": 0, "end": 3, "class": "PER"},
                      {"id": "b", "start": 4, "end": 7, "class": "ORG"}],
            "relations": [{"id": "r", "from": "a", "to": "b", "class": "works_for"}]}  # fmt: skip
    assert db("spans", json.dumps(SCHEMA.validate("spans", good)))
    span = good["spans"][0]
    bad = {
        "a list, not spans and relations": [span],
        "an unknown class": {"spans": [{**span, "class": "LOC"}], "relations": []},
        "a text offset": {"spans": [{**span, "end": "3"}], "relations": []},
        "a negative offset": {"spans": [{**span, "start": -1}], "relations": []},
        "an offset past the bound": {"spans": [{**span, "end": MAX_OFFSET + 1}], "relations": []},
        "a fractional offset": {"spans": [{**span, "end": 2.5}], "relations": []},
        "an unknown field": {"spans": [{**span, "label": "PER"}], "relations": []},
        "a missing id": {"spans": [{"start": 0, "end": 3, "class": "PER"}], "relations": []},
        "an unknown attribute": {"spans": [{**span, "attributes": {"size": 3}}], "relations": []},
        "a score above 1": {"spans": [{**span, "score": 2}], "relations": []},
        "an unknown relation": {**good, "relations": [{**good["relations"][0], "class": "x"}]},
        "a relation with no end": {
            **good,
            "relations": [{"id": "r", "from": "a", "class": "works_for"}],
        },  # fmt: skip
        "an extra key": {**good, "notes": "x"},
    }
    for what, value in bad.items():
        assert not db("spans", json.dumps(value)), what
    # The API refuses them too (it fills a missing id and wraps a list: stored canonical).
    for what in set(bad) - {"a list, not spans and relations", "a missing id"}:
        assert not python_accepts("spans", bad[what])[0], what


@st.composite
def region_values(draw):
    regions = []
    for k in range(draw(st.integers(0, 4))):
        start = draw(st.one_of(st.floats(-1, 30, allow_nan=False), st.integers(-2, 30)))
        cls = draw(st.sampled_from(["speech", "music", "Speech", ""]))
        r = {"start": start, "end": start + draw(st.floats(-1, 9, allow_nan=False)),
             "class": cls, "id": f"r{k}"}  # fmt: skip
        mutation = draw(st.sampled_from(["none", "none", "score", "attr", "field", "time", "text"]))
        if mutation == "score":
            r["score"] = draw(st.sampled_from([0.5, 1, 1.5, -0.1, "high"]))
        elif mutation == "attr":
            r["attributes"] = {draw(st.sampled_from(["overlap", "size"])): draw(
                st.sampled_from([True, "yes", 3]))}  # fmt: skip
        elif mutation == "field":
            r["label"] = "speech"
        elif mutation == "time":
            r["end"] = draw(st.sampled_from(["7", MAX_SECONDS * 2, True, None]))
        elif mutation == "text":
            r["text"] = draw(st.sampled_from(["hi", "", 3, "x" * (MAX_TEXT_CHARS + 1)]))
        regions.append(r)
    return {"regions": regions}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=region_values())
def test_region_values_the_api_stores_the_database_takes(db, value):
    ok, normalised = python_accepts("regions", value)
    if ok:
        assert db("regions", json.dumps(normalised)), normalised


def test_region_values_no_reader_could_use_are_refused(db):
    good = {"regions": [{"id": "a", "start": 0.5, "end": 1.25, "class": "speech", "text": "hi"}]}
    assert db("regions", json.dumps(SCHEMA.validate("regions", good)))
    region = good["regions"][0]
    bad = {
        "a list, not regions": [region],
        "an unknown class": {"regions": [{**region, "class": "noise"}]},
        "a time as text": {"regions": [{**region, "end": "3"}]},
        "a negative time": {"regions": [{**region, "start": -1}]},
        "a time past the bound": {"regions": [{**region, "end": MAX_SECONDS * 2}]},
        "an unknown field": {"regions": [{**region, "label": "speech"}]},
        "a missing id": {"regions": [{"start": 0, "end": 3, "class": "speech"}]},
        "an unknown attribute": {"regions": [{**region, "attributes": {"size": 3}}]},
        "a score above 1": {"regions": [{**region, "score": 2}]},
        "a text that is a number": {"regions": [{**region, "text": 3}]},
        "a text over the bound": {"regions": [{**region, "text": "x" * (MAX_TEXT_CHARS + 1)}]},
        "an extra key": {**good, "notes": "x"},
    }
    for what, value in bad.items():
        assert not db("regions", json.dumps(value)), what
    for what in set(bad) - {"a list, not regions", "a missing id"}:
        assert not python_accepts("regions", bad[what])[0], what
