"""Attacks on the Python label API: ``project.label``, ``make_event`` + ``store.append``,
``review_label``, ``add_prelabels`` and the schema's class colours (issue 12).

The attacker is whoever chooses what reaches the API: a notebook user, a script
a team member shares, an importer fed a crafted file, a model's output. The
project is SQLite. Each attack asserts the refusal (a workbench error naming
the field, what was expected and what was given), that the log is unchanged,
and that every read (``labels()``, ``events()``, ``status()``, ``history()``,
``progress()``, and a fresh ``Project`` on the same file) still works: the
attacks found before issue 12 each stored a value that broke those reads for
good (a text ``duration_ms`` in an INTEGER column) or that was not a class at
all (a ``review-accept`` of any JSON, a dict as a multi-label value), or made
every annotator's browser fetch a URL (a class colour ``url(...)``).

The property-based tests give the same calls arbitrary input: each call either
stores exactly what it was given (after the documented normalisation: a value
checked by the task's schema, none for kinds that carry none, integral floats
as ints) or raises a :class:`~workbench.WorkbenchError` subclass, never a bare
``ValueError`` / ``TypeError`` / ``OverflowError``, and leaves the log unchanged.
"""

from __future__ import annotations

import json
import warnings
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import workbench as wb
from tests.widget_wire import Wire
from workbench.schema import PALETTE
from workbench.store import Event
from workbench.store.base import (
    EVENT_KINDS,
    MAX_DURATION_MS,
    MAX_NAME_CHARS,
    MAX_NOTE,
    MAX_VALUE_BYTES,
)

ANIMALS = ["cat", "dog", "bird"]
TAGS = ["red", "green", "blue"]
IDS = ["i0", "i1", "i2", "i3"]
#: Kinds whose value is a label of the task; the others carry none.
VALUE_KINDS = ("label", "prelabel", "review-accept", "review-correct")
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def schema() -> wb.Schema:
    return wb.Schema(
        (wb.Classification("animal", classes=tuple(ANIMALS)),
         wb.Classification("tags", classes=tuple(TAGS), multi_label=True)),
    )  # fmt: skip


def new_project(tmp_path: Path) -> wb.Project:
    p = wb.Project(tmp_path / "p.db", schema=schema(), annotator="ann")
    p.add_texts(["a cat", "a dog", "a bird", "nothing"], ids=IDS)
    p.label("i0", "cat")
    p.label("i1", ["red", "blue"], task="tags")
    return p


@pytest.fixture
def project(tmp_path):
    p = new_project(tmp_path)
    yield p
    p.close()


def reads_work(p: wb.Project, *, status: bool = True, reopen: bool = True) -> None:
    """Every read of the project, and of the same file opened afresh, still works."""
    for task in ("animal", "tags"):
        p.labels(task)
        p.progress(task)
        if status:
            p.status(task)
    p.labels()
    p.events()
    for item in p.item_ids():
        p.history(item)
    if reopen:
        with wb.Project(p.store.url) as again:
            again.labels()
            again.events()
            again.progress()


def unchanged(p: wb.Project, before: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(p.events(), before)
    reads_work(p)


# -- duration_ms ----------------------------------------------------------------


@pytest.mark.parametrize(
    "duration",
    ["abc", "12", b"12", -1, MAX_DURATION_MS + 1, 2**63, 10**30, 1.5, float("nan"),
     float("inf"), -float("inf"), True, [12], {"ms": 12}, Decimal("1.5"), np.float32(0.5)],
)  # fmt: skip
def test_a_duration_that_is_not_milliseconds_is_refused(project, duration):
    before = project.events()
    pattern = rf"duration_ms must be None or an int from 0 to {MAX_DURATION_MS}, got"
    with pytest.raises(wb.StoreError, match=pattern):
        project.label("i2", "dog", duration_ms=duration)
    with pytest.raises(wb.StoreError, match=pattern):
        project.store.append([project.make_event("i2", "dog", duration_ms=duration)])
    with pytest.raises(wb.StoreError, match=pattern):
        Event("i2", "animal", "dog", annotator="ann", duration_ms=duration)
    unchanged(project, before)


def test_durations_are_stored_as_int_milliseconds(project):
    ids = [
        project.label("i2", "dog", duration_ms=d)
        for d in (0, MAX_DURATION_MS, 1500.0, np.int64(7), np.float64(8.0))
    ]
    got = [project.store.get_event(i).duration_ms for i in ids]
    assert got == [0, MAX_DURATION_MS, 1500, 7, 8]
    assert all(type(d) is int for d in got)
    assert project.events()["duration_ms"].tolist()[-5:] == got
    reads_work(project)


# -- values that are not classes ------------------------------------------------


@pytest.mark.parametrize("kind", ["review-accept", "review-correct", "label", "prelabel"])
@pytest.mark.parametrize(
    "value", ["cow", {"$ne": None}, ["cat"], 7, None, "", b"cat", {"cat": 1}]
)  # fmt: skip
def test_labelled_kinds_store_only_classes_of_the_task(project, kind, value):
    before = project.events()
    with pytest.raises(wb.SchemaError, match="animal"):
        project.label("i0", value, kind=kind)
    with pytest.raises(wb.SchemaError, match="animal"):
        project.make_event("i0", value, kind=kind, tier="review", parent=1)
    unchanged(project, before)


def test_review_decisions_store_only_classes_of_the_task(project):
    before = project.events()
    with pytest.raises(wb.UnknownClassError, match="no class 'cow'"):
        project.review_label("i0", "correct", "cow")
    with pytest.raises(wb.SchemaError, match="single-label"):
        project.review_label("i0", "correct", {"cat": "dog"})
    with pytest.raises(wb.SchemaError, match="decision must be one of"):
        project.review_label("i0", {"accept": 1})
    unchanged(project, before)
    accepted = project.store.get_event(project.review_label("i0", "accept"))
    assert (accepted.kind, accepted.value, accepted.tier) == ("review-accept", "cat", "review")


@pytest.mark.parametrize("kind", ["send-back", "skip", "ambiguous"])
def test_kinds_without_a_value_never_store_one(project, kind):
    """The widgets send none; a value given through the API is dropped (documented),
    so a send-back can no longer carry arbitrary JSON into the log."""
    payload = {"url": "http://attacker.example/", "nested": [[[1e308]]]}
    event_id = project.label("i2", payload, kind=kind, note="reason")
    assert project.store.get_event(event_id).value is None
    assert pd.isna(project.events().set_index("id").loc[event_id, "value"])
    reads_work(project)


@pytest.mark.parametrize(
    "value",
    [{"red": 1, "blue": 2}, {"red": "blue"}, b"red", bytearray(b"red"), ["red", 1],
     ["red", None], [["red"]], "red", 3, {1: "red"}],
)  # fmt: skip
def test_a_dict_or_other_non_list_is_not_a_multi_label_value(project, value):
    before = project.events()
    with pytest.raises(wb.SchemaError, match="multi-label"):
        project.label("i2", value, task="tags")
    with pytest.raises(wb.SchemaError, match="multi-label"):
        project.add_prelabels({"i2": value}, model="m@1", task="tags")
    with pytest.raises(wb.SchemaError, match="multi-label"):
        project.review_label("i1", "correct", value, task="tags")
    unchanged(project, before)


# -- the other fields of an event -----------------------------------------------


BAD_FIELDS = [
    ("note", "x" * (MAX_NOTE + 1), "note"),
    ("note", None, "note"),
    ("note", 12, "note"),
    ("annotator", "a" * (MAX_NAME_CHARS + 1), "annotator"),
    ("annotator", "eve\x00admin", "annotator"),
    ("annotator", "\ud800", "annotator"),
    ("annotator", ["eve"], "annotator"),
    ("client_id", "c" * (MAX_NAME_CHARS + 1), "client_id"),
    ("client_id", "", "client_id"),
    ("client_id", 7, "client_id"),
    ("seq", -1, "seq"),
    ("seq", 2**63, "seq"),
    ("seq", True, "seq"),
    ("seq", "1", "seq"),
    ("seq", 0.5, "seq"),
]


@pytest.mark.parametrize("field, bad, name", BAD_FIELDS)
def test_fields_out_of_bounds_are_refused_by_label(project, field, bad, name):
    before = project.events()
    given = {"client_id": "tab", "seq": 1, field: bad}
    with pytest.raises(wb.StoreError, match=rf"{name} must .* got"):
        project.label("i2", "dog", **given)
    unchanged(project, before)


@pytest.mark.parametrize(
    "field, bad",
    [("schema_version", 0), ("schema_version", True), ("schema_version", "1"),
     ("parent", 0), ("parent", False), ("parent", 2**64), ("score", float("nan")),
     ("score", float("inf")), ("score", "0.9"), ("score", True), ("score", 10**400),
     ("tier", "admin"), ("tier", ["review"]), ("kind", "delete"), ("kind", None),
     ("item_id", ""), ("item_id", None), ("task", ""), ("task", 3), ("created_at", "now"),
     ("id", -1)],
)  # fmt: skip
def test_fields_out_of_bounds_are_refused_by_event(project, field, bad):
    before = project.events()
    fields = {"item_id": "i2", "task": "animal", "value": "dog", "annotator": "ann", field: bad}
    with pytest.raises(wb.StoreError, match=field):
        project.store.append([Event(**fields)])
    if field not in ("item_id", "task", "kind", "tier", "id", "created_at"):
        with pytest.raises(wb.StoreError, match=field):
            project.store.append([project.make_event("i2", "dog", **{field: bad})])
    unchanged(project, before)


@pytest.mark.parametrize(
    "value, problem",
    [
        ([1.0, float("nan")], "finite"),
        ({"x": float("inf")}, "finite"),
        ({1: "one"}, "keys must be strings"),
        ({("a",): 1}, "keys must be strings"),
        ({"red", "blue"}, "must be JSON"),
        (b"bytes", "must be JSON"),
        (np.array([1, 2]), "must be JSON"),
        (np.int64(3), "must be JSON"),
        (Decimal("1.5"), "must be JSON"),
        (object(), "must be JSON"),
        ("x" * (MAX_VALUE_BYTES + 1), "at most"),
        # deep inside plain dicts and lists (the check's fast path), as a span or shape is
        ({"spans": [{"start": 1, "end": 2, "score": float("nan")}]}, "finite"),
        ([{"a": {"b": {1: "x"}}}], "keys must be strings"),
        ({"shapes": [{"bbox": [1, 2, np.int64(3), 4]}]}, "must be JSON"),
        ([["ok", None, True, 1], [b"bytes"]], "must be JSON"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_event_values_that_are_not_plain_json_are_refused(project, value, problem):
    """An importer or a custom task kind writes Events itself: the Event refuses
    what the log could not read back as it was given."""
    before = project.events()
    with pytest.raises(wb.StoreError, match=problem):
        project.store.append([Event("i2", "animal", value, annotator="ann")])
    unchanged(project, before)


def test_a_value_nested_deeper_than_json_readers_recurse_is_refused(project):
    before = project.events()
    value: Any = "x"
    for _ in range(100_000):
        value = [value]
    with pytest.raises(wb.StoreError, match="nested more than"):
        project.store.append([Event("i2", "animal", value, annotator="ann")])
    unchanged(project, before)


def test_bad_arguments_of_review_and_prelabels_are_workbench_errors(project):
    before = project.events()
    attempts = [
        lambda: project.review_label(["i0"], "accept"),
        lambda: project.review_label("i0", None),
        lambda: project.review_label("i0", "correct"),
        lambda: project.add_prelabels({"i2": "dog"}, model=None),
        lambda: project.add_prelabels({"i2": "dog"}, model=""),
        lambda: project.add_prelabels(["i2"], model="m@1"),
        lambda: project.add_prelabels({"i2": "dog"}, model="m@1", scores=[0.5]),
        lambda: project.add_prelabels({"i2": "dog"}, model="m@1", scores={"i2": "high"}),
        lambda: project.add_prelabels({("i2",): "dog"}, model="m@1"),
        lambda: project.add_prelabels({"i2": "dog", "i3": "cow"}, model="m@1"),
    ]
    for attempt in attempts:
        with pytest.raises(wb.WorkbenchError):
            attempt()
    unchanged(project, before)


# -- schemas: colours and dropped classes ---------------------------------------


HOSTILE_COLOURS = [
    "url(http://attacker.example/pixel.png)",
    "red url(http://attacker.example/pixel.png)",
    "red; background-image: url(http://attacker.example/pixel.png)",
    "image-set('http://attacker.example/pixel.png' 1x)",
    "var(--jp-brand-color1)",
    "expression(alert(1))",
]


@pytest.mark.parametrize("colour", HOSTILE_COLOURS)
def test_a_colour_that_is_not_a_colour_is_refused_and_nothing_is_stored(project, colour):
    before, versions = project.events(), len(project.schema_versions())
    for build in (
        lambda: wb.LabelClass("cat", color=colour),
        lambda: wb.Schema.classification("animal", [wb.LabelClass("cat", color=colour)]),
        lambda: wb.Shapes("boxes", classes=[wb.LabelClass("car", color=colour)]),
    ):
        with pytest.raises(wb.SchemaError, match="color must be a hex colour"):
            build()
    body = schema().to_dict()
    body["tasks"][0]["classes"][0]["color"] = colour
    with pytest.raises(wb.SchemaError, match="color must be a hex colour"):
        project.schema = wb.Schema.from_dict(body)
    assert len(project.schema_versions()) == versions
    unchanged(project, before)


def test_a_stored_schema_with_a_hostile_colour_is_refused_on_open_and_can_be_replaced(
    tmp_path,
):
    """A schema body written straight into the store (an older release, a member
    with their own connection) never reaches a widget: opening refuses it by name,
    and a clean schema given to Project replaces it without losing a label."""
    with new_project(tmp_path) as p:
        path, log = p.store.url, p.events()
        body = schema().to_dict()
        body["tasks"][0]["classes"][1]["color"] = HOSTILE_COLOURS[0]
        p.store.save_schema(body)
    with pytest.raises(wb.SchemaError, match=r"class 'dog': color must be a hex colour"):
        wb.Project(path)
    with (
        pytest.warns(UserWarning, match="only in how classes are shown"),
        wb.Project(path, schema=schema()) as p,
    ):
        assert [c.color for c in p.schema.task("animal").classes] == list(PALETTE[:3])
        pd.testing.assert_frame_equal(p.events(), log)
        reads_work(p)
        widget = p.gallery("animal")
        assert all(c["color"].startswith("#") for c in widget.schema["classes"])


def test_dropping_a_class_with_labels_warns_and_the_gallery_still_filters_by_it(project):
    project.label("i2", "bird")
    project.label("i3", "bird")
    log = project.events()
    with pytest.warns(UserWarning, match=r"task 'animal': 'bird' \(2 labels\).*kept in the log"):
        project.schema = wb.Schema(
            (wb.Classification("animal", classes=("cat", "dog")),
             wb.Classification("tags", classes=tuple(TAGS), multi_label=True)),
        )  # fmt: skip
    pd.testing.assert_frame_equal(project.events(), log)  # nothing rewritten
    assert project.labels("animal").set_index("item_id")["label"].to_dict() == {
        "i0": "cat", "i2": "bird", "i3": "bird",
    }  # fmt: skip
    gallery = project.gallery("animal", filter="bird")
    assert gallery.filter_classes == ["bird"]
    reply = Wire(gallery).reply(
        {"type": "page", "client_id": "g", "req": 1, "page": 0, "page_size": 50, "filter": "bird"}
    )
    assert "error" not in reply and [i["item_id"] for i in reply["items"]] == ["i2", "i3"]
    reads_work(project)
    with warnings.catch_warnings():  # the same schema again: nothing new is dropped
        warnings.simplefilter("error")
        project.schema = project.schema


# -- property-based: any input is stored exactly or refused ----------------------
#
# Each field is valid nine times in ten and hostile otherwise, so whole calls are
# often valid (the stored path is checked, not only refusals); each test also
# asserts that some calls were stored.

_counter = count()


def mostly(valid: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """``valid`` about nine times in ten, else ``hostile`` (one_of alone is not weighted)."""
    return st.sampled_from([True] * 9 + [False]).flatmap(lambda ok: valid if ok else hostile)


#: Text every back end stores as it is: no NUL, no lone surrogate.
PLAIN = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from(ANIMALS + TAGS)
)  # fmt: skip
#: JSON-like values with the classes in them, and some that are not JSON at all.
values = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4)
    | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=3)
    | st.sets(st.sampled_from(ANIMALS + TAGS), max_size=3)
    | st.frozensets(st.integers(), max_size=2),
    max_leaves=6,
) | st.binary(max_size=4) | st.builds(object)  # fmt: skip
kinds = mostly(st.sampled_from(EVENT_KINDS), st.text(max_size=8) | st.none() | st.integers())
durations = mostly(
    st.none() | st.integers(0, MAX_DURATION_MS) | st.just(MAX_DURATION_MS) | st.just(60_000.0),
    st.integers(-(2**64), 2**64) | st.floats() | st.text(max_size=4) | st.booleans(),
)  # fmt: skip
notes = mostly(
    st.text(PLAIN, max_size=12) | st.just("n" * MAX_NOTE),
    st.just("n" * (MAX_NOTE + 1)) | st.none() | st.integers() | st.just("a\x00b")
    | st.just("\udc80") | st.text(max_size=3),
)  # fmt: skip
names = mostly(
    st.text(PLAIN, min_size=1, max_size=12) | st.none() | st.just("a" * MAX_NAME_CHARS),
    st.just("a" * (MAX_NAME_CHARS + 1)) | st.integers() | st.just("e\x00ve") | st.just("")
    | st.just("\ud800"),
)  # fmt: skip
clients = mostly(
    st.tuples(st.none(), st.none())
    | st.tuples(st.text(PLAIN, min_size=1, max_size=12), st.integers(0, 2**63 - 1)),
    st.tuples(st.none() | names, st.none() | st.integers(-(2**70), 2**70) | st.booleans()
              | st.floats() | st.text(max_size=3)),
)  # fmt: skip
items = mostly(st.sampled_from(IDS), st.text(max_size=3) | st.integers(-2, 5) | st.none())
scores = mostly(
    st.none() | st.floats(0, 1),
    st.floats() | st.integers(-(2**1100), 2**1100) | st.text(max_size=3) | st.booleans(),
)


@st.composite
def task_values(draw: Any) -> tuple[Any, Any]:
    """A task (None: the first) and a value: mostly one of its classes, else anything."""
    task = draw(mostly(st.sampled_from(["animal", "tags", None]), st.text(max_size=4)))
    if task == "tags":
        tag = st.sampled_from(TAGS)
        valid = st.lists(tag, max_size=4) | st.sets(tag) | st.tuples(tag, tag)
    else:
        valid = st.sampled_from(ANIMALS)
    return task, draw(mostly(valid, values))


def _unique_client(client_id: Any) -> Any:
    """A client id no earlier example used (a resend is a separate, tested path)."""
    return f"{next(_counter)}-{client_id}" if isinstance(client_id, str) else client_id


def _call(fn, *args, **kwargs) -> tuple[Any, BaseException | None]:
    try:
        return fn(*args, **kwargs), None
    except wb.WorkbenchError as exc:
        return None, exc
    except Exception as exc:  # noqa: BLE001 - the property is that nothing else escapes
        pytest.fail(f"{type(exc).__name__} escaped instead of a workbench error: {exc!r}")


def _expected_value(p: wb.Project, task: str, kind: Any, value: Any) -> Any:
    if kind not in VALUE_KINDS:
        return None
    return json.loads(json.dumps(p.schema.validate(task, value)))


def _as_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _check_stored(p: wb.Project, event_id: int, want: dict[str, Any]) -> None:
    """The stored event is what was given, and every field is within the store's bounds."""
    ev = p.store.get_event(event_id)  # get_event builds an Event: the bounds hold again
    assert ev is not None
    for name, value in want.items():
        got = getattr(ev, name)
        assert got == value and type(got) is type(value), (name, got, value)
    for name in ("item_id", "task", "kind", "tier", "annotator", "note"):
        assert type(getattr(ev, name)) is str, name
    row = p.events().set_index("id").loc[event_id]
    if ev.duration_ms is None:
        assert pd.isna(row["duration_ms"])
    else:
        assert int(row["duration_ms"]) == ev.duration_ms
        assert 0 <= ev.duration_ms <= MAX_DURATION_MS
    assert len(ev.note) <= MAX_NOTE and 0 < len(ev.annotator) <= MAX_NAME_CHARS


def _after(p: wb.Project, before: int, result: Any, error: BaseException | None) -> bool:
    """The log grew by one event for a result, and not at all for a refusal."""
    n = len(p.events())
    if error is not None:
        assert n == before, f"refused ({error}) but the log changed"
        return False
    assert n == before + 1
    reads_work(p, status=False, reopen=False)
    return True


def _stored_some(p: wb.Project, start: int) -> None:
    """The examples reached the stored path, not only refusals."""
    assert len(p.events()) - start >= 5, "too few valid calls to test the stored path"


def test_label_stores_exactly_what_it_is_given_or_refuses(tmp_path):
    p = new_project(tmp_path)
    start = len(p.events())

    @PROPERTY
    @given(item=items, task_value=task_values(), kind=kinds, annotator=names, note=notes,
           duration=durations, client=clients)  # fmt: skip
    def check(item, task_value, kind, annotator, note, duration, client):
        (task, value), (client_id, seq) = task_value, client
        client_id = _unique_client(client_id)
        before = len(p.events())
        result, error = _call(
            p.label, item, value, task=task, kind=kind, annotator=annotator, note=note,
            duration_ms=duration, client_id=client_id, seq=seq,
        )  # fmt: skip
        if not _after(p, before, result, error):
            return
        name = task or "animal"
        want = {
            "item_id": str(item), "task": name, "kind": kind, "tier": "annotate",
            "value": _expected_value(p, name, kind, value),
            "annotator": annotator or "ann", "note": note,
            "duration_ms": _as_int(duration), "client_id": client_id, "seq": _as_int(seq),
        }  # fmt: skip
        _check_stored(p, result, want)

    check()
    _stored_some(p, start)
    reads_work(p)
    p.close()


def test_make_event_and_append_store_exactly_or_refuse(tmp_path):
    p = new_project(tmp_path)
    start = len(p.events())
    parents = p.events()["id"].tolist()

    @PROPERTY
    @given(
        item=items,
        value=mostly(st.sampled_from(ANIMALS), values),
        kind=kinds,
        tier=mostly(st.sampled_from(["annotate", "review", "qa"]), st.text(max_size=3)),
        note=notes,
        duration=durations,
        score=scores,
        parent=mostly(st.none() | st.sampled_from(parents), st.integers(-1, 2**64)),
        schema_version=mostly(st.none() | st.just(1), st.integers(-1, 3) | st.booleans()),
    )
    def check(item, value, kind, tier, note, duration, score, parent, schema_version):
        before = len(p.events())
        fields = dict(tier=tier, note=note, duration_ms=duration, score=score, parent=parent)
        if schema_version is not None:
            fields["schema_version"] = schema_version
        event, error = _call(p.make_event, item, value, kind=kind, **fields)
        result = None
        if error is None:
            result, error = _call(p.store.append, [event])
        if not _after(p, before, result, error):
            return
        (appended,) = result
        assert not appended.duplicate
        want = {
            "item_id": str(item), "task": "animal", "kind": kind, "tier": tier,
            "value": _expected_value(p, "animal", kind, value), "note": note,
            "annotator": "ann", "duration_ms": _as_int(duration), "parent": _as_int(parent),
            "score": None if score is None else float(score),
            "schema_version": p.schema.version if schema_version is None else schema_version,
        }  # fmt: skip
        _check_stored(p, appended.id, want)

    check()
    _stored_some(p, start)
    reads_work(p)
    p.close()


def test_events_store_plain_json_exactly_or_refuse(tmp_path):
    """The store level: any value an Event is given is read back equal to its JSON
    (tuples as lists) or refused; a refused value is never half-written.

    The Event knows no schema (make_event checks values against it), so status(),
    which reads current labels as classes of the schema, is left out here.
    """
    p = new_project(tmp_path)
    start = len(p.events())

    @PROPERTY
    @given(value=values)
    def check(value):
        before = len(p.events())

        def append():
            return p.store.append([Event("i3", "animal", value, annotator="imp")])

        result, error = _call(append)
        if not _after(p, before, result, error):
            return
        (appended,) = result
        stored = p.store.get_event(appended.id).value
        assert stored == json.loads(json.dumps(value, allow_nan=False))

    check()
    _stored_some(p, start)
    reads_work(p, status=False)
    p.close()


def test_review_label_stores_exactly_or_refuses(tmp_path):
    p = new_project(tmp_path)
    start = len(p.events())

    @PROPERTY
    @given(
        item=items,
        decision=mostly(
            st.sampled_from(["accept", "correct", "ambiguous"]),
            st.text(max_size=6) | st.none() | st.integers(),
        ),
        task_value=task_values(),
        note=notes,
        annotator=names,
    )
    def check(item, decision, task_value, note, annotator):
        task, value = task_value
        before = len(p.events())
        result, error = _call(
            p.review_label, item, decision, value, task=task, note=note, annotator=annotator
        )
        if not _after(p, before, result, error):
            return
        name = task or "animal"
        kind = {"accept": "review-accept", "correct": "review-correct"}.get(decision, decision)
        ev = p.store.get_event(result)
        if decision == "accept":  # the current label stands: the reviewed event's value
            assert ev.parent is not None
            value = p.store.get_event(ev.parent).value
        want = {
            "item_id": str(item), "task": name, "kind": kind, "tier": "review",
            "value": _expected_value(p, name, kind, value), "note": note,
            "annotator": annotator or "ann",
        }  # fmt: skip
        _check_stored(p, result, want)

    check()
    _stored_some(p, start)
    reads_work(p)
    p.close()


def test_add_prelabels_stores_all_exactly_or_nothing(tmp_path):
    p = new_project(tmp_path)
    start = len(p.events())

    @PROPERTY
    # Two valid calls (five pre-labels) whatever the draws: the stored path is always
    # reached (_stored_some), where draws alone fell short now and then.
    @example(given_values={"i1": "dog", "i2": "bird"}, given_scores=None, model="m")
    @example(given_values={"i3": "cat", "i0": "dog", "i1": "cat"}, given_scores={"i3": 0.5},
             model="model:m2")  # fmt: skip
    @given(
        given_values=st.dictionaries(items, mostly(st.sampled_from(ANIMALS), values), max_size=3),
        given_scores=mostly(st.none() | st.dictionaries(items, scores, max_size=3), values),
        model=names,
    )
    def check(given_values, given_scores, model):
        before = len(p.events())
        result, error = _call(p.add_prelabels, given_values, model=model, scores=given_scores)
        if error is not None or result == 0:
            assert len(p.events()) == before, "refused or empty, yet the log changed"
            return
        events = p.events()
        assert result == len(given_values) == len(events) - before
        for (item, value), event_id in zip(
            given_values.items(), events["id"].tolist()[before:], strict=True
        ):
            score = (given_scores or {}).get(item)
            want = {
                "item_id": str(item), "task": "animal", "kind": "prelabel",
                "value": _expected_value(p, "animal", "prelabel", value),
                "annotator": model if model.startswith("model:") else f"model:{model}",
                "score": None if score is None else float(score),
            }  # fmt: skip
            _check_stored(p, event_id, want)
        reads_work(p, status=False, reopen=False)

    check()
    _stored_some(p, start)
    reads_work(p)
    p.close()
