"""The widgets' kernel side, driven through their message handler with a fake send."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from tests.widget_wire import Wire
from workbench.stream import LabelStream
from workbench.widgets import ClassifyWidget, GalleryWidget

CLASSES = ["cat", "dog", "bird"]


@pytest.fixture
def project(tmp_path):
    schema = wb.Schema.classification("animal", CLASSES, guidelines="# Rules\n\nBe **kind**.")
    with wb.Project(tmp_path / "p.db", schema=schema, annotator="ann") as p:
        yield p


@pytest.fixture
def texts(project):
    project.add_texts([f"text {i}" for i in range(10)], ids=[f"t{i}" for i in range(10)])
    return project


@pytest.fixture
def images(project):
    rng = np.random.default_rng(0)
    arrays = rng.integers(0, 255, size=(6, 8, 8), dtype=np.uint8)
    project.add_arrays(arrays, ids=[f"img{i}" for i in range(6)])
    return project


def label(seq, item_id, value="cat", *, kind="label", client_id="c1", **extra):
    return {
        "type": "label", "client_id": client_id, "seq": seq, "item_id": item_id,
        "task": "animal", "kind": kind, "value": value, "duration_ms": 120, **extra,
    }  # fmt: skip


def test_traits_carry_state_only(texts):
    w = texts.classify()
    assert isinstance(w, ClassifyWidget)
    assert w.project_id == texts.store.project_id
    assert w.task == "animal"
    assert [c["name"] for c in w.schema["classes"]] == CLASSES
    assert [c["key"] for c in w.schema["classes"]] == ["1", "2", "3"]
    assert w.schema["multi_label"] is False
    assert w.guidelines.startswith("# Rules")
    assert w.annotator == "ann"
    assert w.prefetch == 16
    assert w.progress == {"done": 0, "total": 10}
    synced = set(w.keys)
    assert {
        "project_id",
        "task",
        "schema",
        "guidelines",
        "annotator",
        "prefetch",
        "progress",
    } <= synced
    assert not any("label" in k for k in synced), "labels never travel as traits"


def test_esm_and_css_point_at_the_bundles():
    from workbench.widgets._base import STATIC

    if not (STATIC / "classify.js").is_file():
        pytest.skip("front end not built (npm run build)")
    assert "render" in str(ClassifyWidget._esm)
    assert ".wb-classify" in str(ClassifyWidget._css)
    assert ".wb-gallery" in str(GalleryWidget._css)


def test_unknown_kwargs_raise_type_error_naming_them(texts):
    with pytest.raises(TypeError, match=r"'colour'.*'prefecth'|'prefecth'.*'colour'"):
        wb.ClassifyWidget(texts, prefecth=3, colour="red")
    with pytest.raises(TypeError, match="'prefecth'"):  # Project's methods list their options
        texts.classify(prefecth=3)
    with pytest.raises(TypeError, match="'pagesize'"):
        texts.gallery(pagesize=10)


@pytest.mark.parametrize(
    "settings, error, match",
    [
        ({"prefetch": -1}, ValueError, "prefetch"),
        ({"prefetch": 1.5}, TypeError, "prefetch"),
        ({"prefetch": True}, TypeError, "prefetch"),
        ({"max_size": 4}, ValueError, "max_size"),
        ({"annotator": ""}, ValueError, "annotator"),
        ({"order": "t1"}, TypeError, "order"),
        ({"order": ["nope"]}, wb.UnknownItemError, "nope"),
    ],
)
def test_classify_settings_are_validated(texts, settings, error, match):
    with pytest.raises(error, match=match):
        texts.classify(**settings)


def test_unknown_task_and_bad_project(texts):
    with pytest.raises(wb.SchemaError, match="no task 'colour'"):
        texts.classify("colour")
    with pytest.raises(TypeError, match="Project"):
        ClassifyWidget("not a project")


def test_prefetch_validated_on_assignment(texts):
    w = texts.classify(prefetch=0)
    assert w.prefetch == 0
    with pytest.raises(ValueError, match="prefetch"):
        w.prefetch = 5000


def test_hello_and_need_return_items_in_priority_order(texts):
    texts.store.set_priority("animal", {"t7": 5.0})
    wire = Wire(texts.classify())
    hello, _ = wire.one({"type": "hello", "client_id": "c1"})
    assert hello == {
        "type": "hello", "client_id": "c1", "project_id": texts.store.project_id,
        "task": "animal", "progress": {"done": 0, "total": 10},
    }  # fmt: skip
    reply, buffers = wire.one(
        {"type": "need", "client_id": "c1", "req": 3, "n": 4, "exclude": ["t0"]}
    )
    assert reply["type"] == "items" and reply["req"] == 3 and reply["client_id"] == "c1"
    assert [i["item_id"] for i in reply["items"]] == ["t7", "t1", "t2", "t3"]
    assert reply["items"][1] == {"item_id": "t1", "buffer": None, "kind": "text", "text": "text 1"}
    assert buffers == []
    assert reply["progress"] == {"done": 0, "total": 10}


def test_images_travel_as_binary_buffers(images):
    wire = Wire(images.classify(max_size=64))
    reply, buffers = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": 3, "exclude": []})
    assert len(reply["items"]) == 3 and len(buffers) == 3
    for i, item in enumerate(reply["items"]):
        assert item["kind"] == "image"
        assert item["buffer"] == i
        assert item["mime"] == "image/png"
        assert (item["width"], item["height"]) == (8, 8)
        assert bytes(buffers[i][:8]) == b"\x89PNG\r\n\x1a\n"
        assert "data" not in item, "no base64 in the JSON"


def test_label_is_stored_then_acked(texts):
    w = texts.classify()
    wire = Wire(w)
    reply, _ = wire.one(label(1, "t0", "dog"))
    assert reply["type"] == "ack"
    assert reply["client_id"] == "c1" and reply["seq"] == 1 and reply["duplicate"] is False
    assert reply["progress"] == {"done": 1, "total": 10}
    labels = texts.labels()
    assert labels[["item_id", "label", "annotator", "duration_ms"]].values.tolist() == [
        ["t0", "dog", "ann", 120]
    ]
    assert int(labels["event_id"].iloc[0]) == reply["event_id"]
    assert w.progress == {"done": 1, "total": 10}, "progress trait follows"


def test_resent_label_is_stored_once(texts):
    wire = Wire(texts.classify())
    first, _ = wire.one(label(5, "t1", "bird"))
    again, _ = wire.one(label(5, "t1", "bird"))
    assert again["type"] == "ack" and again["duplicate"] is True
    assert again["event_id"] == first["event_id"]
    assert len(texts.events()) == 1


def test_refused_unknown_class_missing_item_and_bad_messages(texts):
    wire = Wire(texts.classify())
    reply, _ = wire.one(label(1, "t0", "cow"))
    assert reply["type"] == "refused" and reply["seq"] == 1
    assert "no class 'cow'" in reply["error"]
    reply, _ = wire.one(label(2, "nope", "cat"))
    assert reply["type"] == "refused" and "no item 'nope'" in reply["error"]
    reply, _ = wire.one(label(3, "t0", "cat", kind="ambiguous"))
    assert reply["type"] == "refused" and "kind" in reply["error"]
    reply, _ = wire.one(label(-1, "t0", "cat"))
    assert reply["type"] == "refused" and "seq" in reply["error"]
    reply, _ = wire.one(label(4, "t0", "cat", client_id=""))
    assert reply["type"] == "refused" and "client_id" in reply["error"]
    reply, _ = wire.one(label(5, "t0", ["cat"]))
    assert reply["type"] == "refused" and "single-label" in reply["error"]
    assert texts.events().empty, "nothing refused was written"


def test_skip(texts):
    wire = Wire(texts.classify())
    reply, _ = wire.one(label(1, "t3", "ignored", kind="skip"))
    assert reply["type"] == "ack"
    ev = texts.events().iloc[0]
    assert ev["kind"] == "skip" and ev["value"] is None
    need, _ = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": 10, "exclude": []})
    assert "t3" not in [i["item_id"] for i in need["items"]]


def test_retract_by_client_id_and_seq(texts):
    wire = Wire(texts.classify())
    wire.one(label(1, "t0", "cat"))
    first, _ = wire.one(label(2, "t0", "dog"))
    reply, _ = wire.one(
        label(3, "t0", None, kind="retract", retracts={"client_id": "c1", "seq": 2})
    )
    assert reply["type"] == "ack"
    events = texts.events()
    retract = events[events["kind"] == "retract"].iloc[0]
    assert int(retract["parent"]) == first["event_id"]
    assert texts.labels()["label"].tolist() == ["cat"], "falls back to the earlier label"
    # a resend of the retraction is harmless
    again, _ = wire.one(
        label(3, "t0", None, kind="retract", retracts={"client_id": "c1", "seq": 2})
    )
    assert again["duplicate"] is True
    assert (texts.events()["kind"] == "retract").sum() == 1


def test_retract_of_a_label_not_stored_yet_is_deferred_not_refused(texts):
    wire = Wire(texts.classify())
    msg = label(9, "t0", None, kind="retract", retracts={"client_id": "c1", "seq": 8})
    reply, _ = wire.one(msg)
    assert reply["type"] == "deferred" and reply["seq"] == 9
    assert texts.events().empty
    # the target arrives (a resend out of order), then the retraction again
    assert wire.one(label(8, "t0", "cat"))[0]["type"] == "ack"
    assert wire.one(msg)[0]["type"] == "ack"
    assert texts.labels().empty


def test_retract_must_name_a_label_of_the_same_item(texts):
    wire = Wire(texts.classify())
    wire.one(label(1, "t0", "cat"))
    reply, _ = wire.one(
        label(2, "t1", None, kind="retract", retracts={"client_id": "c1", "seq": 1})
    )
    assert reply["type"] == "refused" and "not a label of item 't1'" in reply["error"]


def test_labels_from_another_client_id_are_stored_with_their_ids(texts):
    """After a page reload the new view resends old entries with their own (client_id, seq)."""
    wire = Wire(texts.classify())
    wire.one(label(7, "t2", "bird", client_id="old-view"))
    ev = texts.events().iloc[0]
    assert (ev["client_id"], int(ev["seq"])) == ("old-view", 7)
    assert texts.store.find_event("old-view", 7) == int(ev["id"])


def test_item_message_returns_one_item_with_its_label(texts):
    wire = Wire(texts.classify())
    wire.one(label(1, "t4", "dog"))
    texts.add_prelabels({"t4": "cat"}, model="m@1", scores={"t4": 0.75})
    reply, _ = wire.one({"type": "item", "client_id": "c1", "req": 2, "item_id": "t4"})
    assert reply["item"]["label"] == "dog" and reply["item"]["state"] == "label"
    assert reply["item"]["prelabel"] == {"value": "cat", "score": 0.75}
    reply, _ = wire.one({"type": "item", "client_id": "c1", "req": 3, "item_id": "zz"})
    assert reply["type"] == "item" and "zz" in reply["error"]


def test_need_excludes_and_reports_exhaustion(texts):
    wire = Wire(texts.classify())
    for i in range(8):
        wire.one(label(i, f"t{i}", "cat"))
    reply, _ = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": 5, "exclude": ["t8"]})
    assert [i["item_id"] for i in reply["items"]] == ["t9"]
    reply, _ = wire.one(
        {"type": "need", "client_id": "c1", "req": 2, "n": 5, "exclude": ["t8", "t9"]}
    )
    assert reply["items"] == [] and reply["progress"] == {"done": 8, "total": 10}


def test_order_puts_given_items_first(texts):
    wire = Wire(texts.classify(order=["t5", "t2", "t9"]))
    wire.one(label(1, "t2", "cat"))
    reply, _ = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": 4, "exclude": ["t5"]})
    assert [i["item_id"] for i in reply["items"]] == ["t9", "t0", "t1", "t3"]


def test_prelabels_come_with_items(texts):
    texts.add_prelabels({"t0": "bird"}, model="m@1", scores={"t0": 0.9})
    wire = Wire(texts.classify())
    reply, _ = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": 1, "exclude": []})
    assert reply["items"][0]["prelabel"] == {"value": "bird", "score": 0.9}


def test_multi_label(tmp_path):
    schema = wb.Schema.classification("tags", ["red", "green", "blue"], multi_label=True)
    with wb.Project(tmp_path / "m.db", schema=schema) as p:
        p.add_texts(["a", "b"], ids=["a", "b"])
        w = p.classify()
        assert w.schema["multi_label"] is True
        wire = Wire(w)
        msg = {**label(1, "a", ["blue", "red"]), "task": "tags"}
        assert wire.one(msg)[0]["type"] == "ack"
        assert p.labels()["label"].tolist() == [["red", "blue"]]
        msg = {**label(2, "b", []), "task": "tags"}
        assert wire.one(msg)[0]["type"] == "ack", "none of these apply"
        msg = {**label(3, "b", "red"), "task": "tags"}
        assert wire.one(msg)[0]["type"] == "refused"


def test_errors_are_logged_and_surfaced_never_printed(texts, caplog, capsys, monkeypatch):
    wire = Wire(texts.classify())

    def broken(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(texts.store, "next_unlabeled", broken)
    with caplog.at_level(logging.ERROR, logger="workbench"):
        reply, _ = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": 2, "exclude": []})
    assert reply["type"] == "error" and "disk on fire" in reply["error"]
    assert reply["client_id"] == "c1" and reply["req"] == 1
    assert "disk on fire" in caplog.text
    assert capsys.readouterr().out == ""


def test_a_failed_write_is_an_error_not_a_refusal(texts, monkeypatch):
    wire = Wire(texts.classify())

    def locked(events):
        raise wb.StoreError("database is locked")

    monkeypatch.setattr(texts.store, "append", locked)
    reply, _ = wire.one(label(1, "t0", "cat"))
    assert reply["type"] == "error" and reply["seq"] == 1, "the front end keeps it and resends"


def test_unreadable_item_comes_as_an_error_item(texts, monkeypatch):
    def fail(record, **kw):
        raise wb.ItemReadError(f"item {record.item_id!r}: no file")

    monkeypatch.setattr(texts.reader, "render", fail)
    wire = Wire(texts.classify())
    reply, _ = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": 1, "exclude": []})
    assert reply["items"][0]["kind"] == "error" and "no file" in reply["items"][0]["error"]


def test_malformed_messages(texts):
    wire = Wire(texts.classify())
    assert wire.one({"type": "dance", "client_id": "c1"})[0]["type"] == "error"
    assert wire.one(["not", "a", "dict"])[0]["type"] == "error"
    reply, _ = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": -4})
    assert reply["type"] == "error" and "n must be" in reply["error"]


def test_no_method_overrides_the_ipywidgets_dispatcher():
    for cls in (ClassifyWidget, GalleryWidget):
        assert "_handle_custom_msg" not in vars(cls)
        for base in cls.__mro__:
            if base.__module__.startswith("workbench"):
                assert "_handle_custom_msg" not in vars(base)


def test_stream_module_is_ui_free():
    import sys

    import workbench.stream as stream

    src = open(stream.__file__).read()
    assert "ipywidgets" not in src and "anywidget" not in src
    assert LabelStream.__module__ == "workbench.stream"
    assert "workbench.stream" in sys.modules


# -- gallery ---------------------------------------------------------------------


def test_gallery_settings(texts):
    g = texts.gallery()
    assert isinstance(g, GalleryWidget)
    assert g.page_size == 100 and g.filter == "all"
    for bad in (49, 201):
        with pytest.raises(ValueError, match="page_size"):
            texts.gallery(page_size=bad)
    with pytest.raises(ValueError, match="filter"):
        texts.gallery(filter="cow")
    assert texts.gallery(filter="dog", page_size=50).filter == "dog"


def test_gallery_pages_and_filters(texts):
    wire = Wire(texts.gallery())
    for i, value in enumerate(["cat", "dog", "cat"]):
        wire.one(label(i, f"t{i}", value))
    reply, buffers = wire.one(
        {"type": "page", "client_id": "g", "req": 1, "page": 0, "page_size": 4, "filter": "all"}
    )
    assert reply["type"] == "page" and reply["total"] == 10 and reply["page"] == 0
    assert [i["item_id"] for i in reply["items"]] == ["t0", "t1", "t2", "t3"]
    assert [i.get("label") for i in reply["items"]] == ["cat", "dog", "cat", None]
    reply, _ = wire.one(
        {"type": "page", "client_id": "g", "req": 2, "page": 2, "page_size": 4, "filter": "all"}
    )
    assert [i["item_id"] for i in reply["items"]] == ["t8", "t9"]
    reply, _ = wire.one(
        {"type": "page", "client_id": "g", "req": 3, "page": 0, "page_size": 4, "filter": "cat"}
    )
    assert reply["total"] == 2 and [i["item_id"] for i in reply["items"]] == ["t0", "t2"]
    reply, _ = wire.one(
        {"type": "page", "client_id": "g", "req": 4, "page": 1, "page_size": 4,
         "filter": "unlabeled"}
    )  # fmt: skip
    assert reply["total"] == 7 and [i["item_id"] for i in reply["items"]] == [
        "t7", "t8", "t9",
    ]  # fmt: skip
    reply, _ = wire.one(
        {"type": "page", "client_id": "g", "req": 5, "page": 99, "page_size": 4, "filter": "all"}
    )
    assert reply["page"] == 2, "clamped to the last page"
    reply, _ = wire.one(
        {"type": "page", "client_id": "g", "req": 6, "page": 0, "page_size": 4, "filter": "cow"}
    )
    assert "filter must be one of" in reply["error"]


def test_gallery_filters_by_a_class_the_schema_dropped(texts):
    for i, value in enumerate(["cat", "bird", "dog", "bird"]):
        texts.label(f"t{i}", value)
    with pytest.warns(UserWarning, match=r"task 'animal': 'bird' \(2 labels\).*kept in the log"):
        texts.schema = wb.Schema.classification("animal", ["cat", "dog", "fish"])
    assert texts.dropped_classes() == {"bird": 2}
    g = texts.gallery(filter="bird")
    assert g.filter == "bird" and g.filter_classes == ["bird"]
    assert [c["name"] for c in g.schema["classes"]] == ["cat", "dog", "fish"]
    with pytest.raises(ValueError, match="filter"):
        g.filter = "cow"  # never a class of this task
    wire = Wire(g)
    reply, _ = wire.one(
        {"type": "page", "client_id": "g", "req": 1, "page": 0, "page_size": 4, "filter": "bird"}
    )
    assert "error" not in reply
    assert reply["total"] == 2 and [i["item_id"] for i in reply["items"]] == ["t1", "t3"]
    assert [i["label"] for i in reply["items"]] == ["bird", "bird"]
    # The labels are kept as written: nothing in the log was rewritten.
    assert texts.labels().set_index("item_id").loc["t1", "label"] == "bird"
    # Once no current label uses the class, the gallery no longer offers it.
    texts.label("t1", "cat")
    texts.label("t3", "dog")
    assert texts.dropped_classes() == {} and texts.gallery().filter_classes == []


def test_widget_durations_are_clamped_to_what_the_store_takes(texts):
    from workbench.store.base import MAX_DURATION_MS

    wire = Wire(texts.classify())
    for seq, duration in enumerate([10**12, -5, float("inf"), float("nan"), 1.5e3]):
        reply, _ = wire.one(label(seq, f"t{seq}", duration_ms=duration))
        assert reply["type"] == "ack", (duration, reply)
    got = texts.events()["duration_ms"]
    assert got[[0, 1, 2, 4]].tolist() == [MAX_DURATION_MS, 0, MAX_DURATION_MS, 1500]
    assert pd.isna(got[3]), "NaN stores no duration"
    texts.labels(), texts.status()  # every read still works


def test_gallery_pages_never_read_the_whole_project(texts, monkeypatch):
    wire = Wire(texts.gallery())
    wire.one(label(0, "t3", "dog"))
    for name in ("item_ids", "current", "next_unlabeled"):
        monkeypatch.setattr(texts.store, name, lambda *a, **k: pytest.fail("read it all"))
    last = {"all": ["t9"], "unlabeled": ["t7", "t8", "t9"], "dog": ["t3"]}
    for filt, total in (("all", 10), ("unlabeled", 9), ("dog", 1)):
        reply, _ = wire.one(
            {"type": "page", "client_id": "g", "req": 1, "page": 5, "page_size": 3,
             "filter": filt}
        )  # fmt: skip
        assert reply["total"] == total, filt
        assert reply["page"] == max(0, (total - 1) // 3), "clamped"
        assert [i["item_id"] for i in reply["items"]] == last[filt]
    reply, _ = wire.one(
        {"type": "page", "client_id": "g", "req": 2, "page": 0, "page_size": 3, "filter": "cat"}
    )
    assert reply["total"] == 0 and reply["page"] == 0 and reply["items"] == []


def test_gallery_thumbnails_are_buffers(images):
    wire = Wire(images.gallery(thumb_size=32))
    reply, buffers = wire.one(
        {"type": "page", "client_id": "g", "req": 1, "page": 0, "page_size": 50, "filter": "all"}
    )
    assert len(reply["items"]) == 6 and len(buffers) == 6
    assert [i["buffer"] for i in reply["items"]] == list(range(6))


def test_gallery_bulk_labels_one_message_each(texts):
    wire = Wire(texts.gallery())
    replies = [wire.one(label(seq, f"t{seq}", "bird", client_id="g1"))[0] for seq in range(5)]
    assert [r["type"] for r in replies] == ["ack"] * 5
    assert sorted(texts.labels()["item_id"]) == [f"t{i}" for i in range(5)]


def test_set_order_requeues_the_browser(texts):
    w = texts.classify()
    wire = Wire(w)
    w.set_order(["t8", "t3"])
    assert wire.sent[-1] == ({"type": "requeue"}, [])
    reply, _ = wire.one({"type": "need", "client_id": "c1", "req": 1, "n": 3, "exclude": []})
    assert [i["item_id"] for i in reply["items"]] == ["t8", "t3", "t0"]


def test_examples_message_returns_thumbnails_excerpts_and_missing_ids(tmp_path):
    schema = wb.Schema.classification(
        "animal",
        [
            wb.LabelClass("cat", description="small", examples=("img0", "nope", "img1")),
            wb.LabelClass("dog", examples=("t0",)),
            wb.LabelClass("bird"),
        ],
    )
    with wb.Project(tmp_path / "ex.db", schema=schema, annotator="ann") as p:
        arrays = np.random.default_rng(1).integers(0, 255, size=(2, 300, 200), dtype=np.uint8)
        p.add_arrays(arrays, ids=["img0", "img1"])
        p.add_texts(["woof " * 100], ids=["t0"])
        p.label("img0", "dog")  # label state is not part of an example
        wire = Wire(p.classify())
        reply, buffers = wire.one({"type": "examples", "client_id": "c9", "req": 4})
    assert reply["type"] == "examples"
    assert (reply["client_id"], reply["req"]) == ("c9", 4)
    assert list(reply["examples"]) == ["cat", "dog"], "only classes with examples, in order"
    cat = reply["examples"]["cat"]
    assert [e["item_id"] for e in cat] == ["img0", "nope", "img1"]
    img0, nope, img1 = cat
    assert img0["kind"] == img1["kind"] == "image"
    assert "state" not in img0 and "label" not in img0
    assert max(img0["width"], img0["height"]) == reply["size"] == 96
    assert len(buffers) == 2 and all(isinstance(b, bytes) for b in buffers)
    assert sorted([img0["buffer"], img1["buffer"]]) == [0, 1]
    assert buffers[img0["buffer"]][:8] == b"\x89PNG\r\n\x1a\n"
    assert nope == {
        "item_id": "nope",
        "kind": "error",
        "buffer": None,
        "error": "no item 'nope' in this project",
    }
    (text,) = reply["examples"]["dog"]
    assert text["kind"] == "text" and text["buffer"] is None
    assert text["text"].startswith("woof woof") and text["text"].endswith("…")
    assert len(text["text"]) <= 160
    assert "base64" not in str(reply)


def test_examples_message_without_examples_is_empty(texts):
    wire = Wire(texts.classify())
    reply, buffers = wire.one({"type": "examples", "client_id": "c", "req": 1})
    assert reply["examples"] == {} and buffers == []
