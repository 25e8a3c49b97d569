"""The drawing widget's kernel side: items with their full size, shape lists as labels,
the full-size image on request, and refusals."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

import workbench as wb
from tests.widget_wire import Wire
from workbench import masks
from workbench.widgets import AnnotateWidget


def schema():
    return wb.Schema(
        (
            wb.Classification("quality", classes=("good", "bad")),
            wb.Shapes(
                "objects",
                classes=["car", "person"],
                attributes=[wb.Attribute("occluded")],
                skeletons={"person": wb.Skeleton(("head", "foot"), (("head", "foot"),))},
            ),
        )
    )


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i, (w, h) in enumerate([(300, 200), (64, 48), (900, 600)]):
        arr = rng.integers(0, 255, size=(h, w, 3), dtype=np.uint8)
        Image.fromarray(arr).save(folder / f"im{i}.png")
    with wb.Project(tmp_path / "p.db", schema=schema(), annotator="ann") as p:
        p.add_uris([str(f) for f in sorted(folder.glob("*.png"))], ids=["a", "b", "c"])
        yield p


def label(seq, item_id, value, *, kind="label", client_id="c1"):
    return {"type": "label", "client_id": client_id, "seq": seq, "item_id": item_id,
            "task": "objects", "kind": kind, "value": value, "duration_ms": 50}  # fmt: skip


def test_widget_picks_the_shapes_task_and_syncs_its_spec(project):
    w = project.annotate()
    assert isinstance(w, AnnotateWidget)
    assert w.task == "objects"
    assert w.schema["kind"] == "shapes"
    assert w.schema["skeletons"]["person"]["points"] == ["head", "foot"]
    assert w.max_size == 2048 and w.prefetch == 4
    assert w.progress == {"done": 0, "total": 3}


def test_other_widgets_and_kinds_are_refused_by_name(project):
    with pytest.raises(wb.SchemaError, match="AnnotateWidget needs a shapes task; task 'quality'"):
        project.annotate("quality")
    with pytest.raises(wb.SchemaError, match="ClassifyWidget needs a classification task"):
        project.classify("objects")
    # With no task named, each widget takes the first task of its kind.
    assert project.classify().task == "quality"


def test_items_carry_the_full_size_that_shapes_are_drawn_in(project):
    w = project.annotate(max_size=128)
    reply, buffers = Wire(w).one({"type": "need", "client_id": "v", "req": 1, "n": 3})
    sizes = {it["item_id"]: it for it in reply["items"]}
    assert (sizes["a"]["full_width"], sizes["a"]["full_height"]) == (300, 200)
    assert (sizes["a"]["width"], sizes["a"]["height"]) == (128, 85)
    assert (sizes["b"]["full_width"], sizes["b"]["width"]) == (64, 64)
    im = Image.open(io.BytesIO(buffers[sizes["c"]["buffer"]]))
    assert max(im.size) == 128


def test_full_message_returns_the_whole_image(project):
    wire = Wire(project.annotate(max_size=128))
    reply, buffers = wire.one({"type": "full", "client_id": "v", "req": 7, "item_id": "c"})
    assert reply["req"] == 7 and reply["buffer"] == 0
    assert (reply["width"], reply["height"]) == (900, 600)
    assert Image.open(io.BytesIO(buffers[0])).size == (900, 600)
    bad = wire.reply({"type": "full", "client_id": "v", "req": 8, "item_id": "nope"})
    assert "no item 'nope'" in bad["error"]


def test_a_shape_list_is_stored_acked_and_comes_back_with_the_item(project):
    wire = Wire(project.annotate())
    m = np.zeros((200, 300), np.uint8)
    m[10:40, 20:90] = 1
    shapes = [
        {"type": "box", "class": "car", "bbox": [10.5, 20, 30, 40], "id": "s1"},
        {"type": "keypoints", "class": "person", "points": [[5, 6, 2], [7, 8, 0]], "id": "s2"},
        {"type": "mask", "class": "car", "rle": masks.encode(m), "id": "s3",
         "attributes": {"occluded": True}},
    ]  # fmt: skip
    ack = wire.reply(label(0, "a", shapes))
    assert ack["type"] == "ack" and ack["progress"]["done"] == 1
    (stored,) = project.labels("objects")["label"].tolist()
    assert [s["type"] for s in stored] == ["box", "keypoints", "mask"]
    assert stored[0]["bbox"] == [10.5, 20.0, 30.0, 40.0]
    assert stored[2]["attributes"] == {"occluded": True}
    np.testing.assert_array_equal(masks.decode(stored[2]["rle"]), m)
    # A later snapshot of the same item replaces it; resending an old one stores nothing.
    assert wire.reply(label(1, "a", shapes[:1]))["type"] == "ack"
    assert wire.reply(label(0, "a", shapes))["duplicate"] is True
    item = wire.reply({"type": "item", "client_id": "v", "req": 2, "item_id": "a"})["item"]
    assert item["state"] == "label" and [s["id"] for s in item["label"]] == ["s1"]
    # An empty list is a label too: "nothing to draw here".
    assert wire.reply(label(2, "b", []))["type"] == "ack"
    assert project.store.progress("objects") == (2, 3)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([{"type": "box", "class": "truck", "bbox": [0, 0, 1, 1]}], "truck"),
        ([{"type": "box", "class": "car", "bbox": [0, 0, -1, 1]}], "bbox"),
        ([{"type": "polygon", "class": "car", "points": [[0, 0], [1, 1]]}], "points"),
        ([{"type": "keypoints", "class": "person", "points": [[0, 0, 2]]}], "points"),
        ("car", "list"),
    ],
)
def test_bad_shapes_are_refused_and_nothing_is_stored(project, value, message):
    reply = Wire(project.annotate()).reply(label(0, "a", value))
    assert reply["type"] == "refused"
    assert message in reply["error"]
    assert project.store.progress("objects") == (0, 3)


def test_prelabel_suggestions_come_with_the_item(project):
    suggestion = [{"type": "box", "class": "car", "bbox": [1, 2, 3, 4], "score": 0.8}]
    project.store.append([project.make_event("a", suggestion, task="objects", kind="prelabel",
                                             annotator="model:det@1", score=0.8)])  # fmt: skip
    item = Wire(project.annotate()).reply({"type": "item", "client_id": "v", "req": 1,
                                           "item_id": "a"})["item"]  # fmt: skip
    assert item["prelabel"]["score"] == pytest.approx(0.8)
    assert item["prelabel"]["value"][0]["bbox"] == [1.0, 2.0, 3.0, 4.0]
    assert "state" not in item


def test_settings_are_checked(project):
    with pytest.raises(ValueError, match="max_size must be from 64 to 8192"):
        project.annotate(max_size=10)
    with pytest.raises(TypeError, match="unexpected keyword argument 'tool'"):
        project.annotate(tool="box")


def test_issues_review_serves_labeled_suspects_in_order_with_their_details(project):
    import pandas as pd

    box = [{"type": "box", "class": "car", "bbox": [1, 2, 3, 4], "id": "s1"}]
    for iid in ("a", "b", "c"):
        project.label(iid, box, task="objects")
    issues = pd.DataFrame(
        {"quality": [0.1, np.nan], "label": ["car", "car"], "suggested": ["person", None],
         "suspects": [[{"issue": "swap", "shape": "s1", "score": np.float32(0.2)}], []]},
        index=pd.Index(["c", "a"], name="item_id"),
    )  # fmt: skip
    w = project.annotate(issues=issues)
    assert w.progress == {"done": 0, "total": 2}
    wire = Wire(w)
    reply = wire.reply({"type": "need", "client_id": "v1", "req": 1, "n": 1})
    (first,) = reply["items"]
    assert (
        first["item_id"] == "c"
        and first["label"] == project.labels("objects").set_index("item_id").loc["c", "label"]
    )
    assert first["issue"] == {
        "position": 0, "total": 2, "quality": 0.1, "label": "car", "suggested": "person",
        "suspects": [{"issue": "swap", "shape": "s1", "score": pytest.approx(0.2)}],
    }  # fmt: skip
    json.dumps(first["issue"])  # plain JSON: numpy scalars converted
    assert (
        "quality"
        not in wire.reply({"type": "need", "client_id": "v1", "req": 2, "n": 5})["items"][0][
            "issue"
        ]
    )  # NaN quality left out
    # Nothing more for this view; a correction of c counts as reviewed.
    assert wire.reply({"type": "need", "client_id": "v1", "req": 3, "n": 5})["items"] == []
    ack = wire.reply(label(0, "c", [{**box[0], "class": "person"}]))
    assert ack["progress"] == {"done": 1, "total": 2}
    # A new view (a reload) starts at the first item not reviewed.
    again = wire.reply({"type": "need", "client_id": "v2", "req": 1, "n": 5})["items"]
    assert [it["item_id"] for it in again] == ["a"]
    # Confirming a as it is (the same list sent again) counts too.
    assert wire.reply(label(1, "a", box))["progress"] == {"done": 2, "total": 2}


def test_issues_are_checked(project):
    with pytest.raises(wb.UnknownItemError, match="'zz'"):
        project.annotate(issues=["a", "zz"])
    with pytest.raises(ValueError, match="listed twice"):
        project.annotate(issues=["a", "a"])
    with pytest.raises(TypeError, match="DataFrame with an item_id column"):
        project.annotate(issues="a")


def test_a_resent_older_snapshot_does_not_undo_a_newer_one(project):
    wire = Wire(project.annotate())
    one = [{"type": "box", "class": "car", "bbox": [0, 0, 5, 5], "id": "s1"}]
    two = [*one, {"type": "box", "class": "car", "bbox": [9, 9, 5, 5], "id": "s2"}]
    # After a kernel restart the outbox's resends can arrive out of order: seq 2 first.
    assert wire.reply(label(2, "a", two))["type"] == "ack"
    late = wire.reply(label(1, "a", one))
    assert late["type"] == "ack" and late["superseded"] is True
    (current,) = project.labels("objects")["label"].tolist()
    assert [s["id"] for s in current] == ["s1", "s2"]
    assert len(project.store.events(item_id="a")) == 1
    # Another view's older seq is a different writer: last one wins as usual.
    assert "superseded" not in wire.reply(label(0, "a", one, client_id="other"))
    assert [s["id"] for s in project.labels("objects")["label"].iloc[0]] == ["s1"]


# -- suggestions stored while the widget is open ------------------------------------------
BOX = {"type": "box", "class": "car", "bbox": [1, 2, 3, 4]}


def _pushed(wire: Wire) -> list[dict]:
    return [m for m, _ in wire.sent if m.get("type") == "prelabels"]


def test_suggestions_stored_later_are_pushed_for_the_items_a_view_holds(project):
    widget = project.annotate()
    wire = Wire(widget)
    items = wire.reply({"type": "need", "client_id": "v", "req": 1, "n": 2, "exclude": []})
    assert [i["item_id"] for i in items["items"]] == ["a", "b"]
    assert "prelabel" not in items["items"][0]

    project.add_prelabels({"a": [BOX], "c": [BOX]}, model="det@1", scores={"a": 0.7},
                          task="objects")  # fmt: skip
    (msg,) = _pushed(wire)
    # Only the item sent ("c" comes with its suggestion when it is asked for).
    assert msg["task"] == "objects"
    assert [i["item_id"] for i in msg["items"]] == ["a"]
    assert msg["items"][0]["prelabel"]["value"][0]["bbox"] == [1.0, 2.0, 3.0, 4.0]
    assert msg["items"][0]["prelabel"]["score"] == pytest.approx(0.7)
    # The same payload as an item asked for now.
    again = wire.reply({"type": "item", "client_id": "v", "req": 2, "item_id": "a"})["item"]
    assert again["prelabel"] == msg["items"][0]["prelabel"]
    # Another task's suggestions and labels are not pushed.
    project.add_prelabels({"a": "good"}, model="q@1", task="quality")
    project.label("b", [BOX], task="objects")
    assert len(_pushed(wire)) == 1


def test_a_prelabel_run_reaches_the_open_widget(project):
    wire = Wire(project.annotate())
    wire.reply({"type": "need", "client_id": "v", "req": 1, "n": 3, "exclude": []})

    def detector(images):
        return [{"boxes": np.array([[10, 10, 40, 30]], dtype=np.float32),
                 "labels": np.array([1]), "scores": np.array([0.9], dtype=np.float32)}
                for _ in images]  # fmt: skip

    project.prelabel(detector, task="objects", ids=["b", "c"], progress=False)
    pushed = _pushed(wire)
    got = {i["item_id"]: i["prelabel"] for m in pushed for i in m["items"]}
    assert sorted(got) == ["b", "c"]
    (shape,) = got["b"]["value"]
    assert shape["class"] == "car" and shape["bbox"] == pytest.approx([10, 10, 30, 20])


def test_a_closed_widget_stops_listening(project):
    store = project.store
    before = len(getattr(store, "_listeners", []))
    widget = project.annotate()
    wire = Wire(widget)
    wire.reply({"type": "need", "client_id": "v", "req": 1, "n": 1, "exclude": []})
    assert len(store._listeners) == before + 1
    widget.close()
    assert len(store._listeners) == before
    project.add_prelabels({"a": [BOX]}, model="det@1", task="objects")
    assert _pushed(wire) == []


# -- the detection notebook, as Run All leaves it -----------------------------------------
@pytest.mark.slow  # runs a notebook in a kernel: make test runs it, make test-quick does not
def test_detection_notebook_leaves_the_widget_items_to_draw_on(tmp_path):
    """Run All answers the widget's first request after the last cell: it must still find
    an item to show (the notebook leaves the rocket unlabeled), not an empty queue."""
    import shutil
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    pytest.importorskip("skimage")
    path = Path(__file__).parents[2] / "notebooks" / "detection.ipynb"
    shutil.copy(path, tmp_path / path.name)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json\n"
        "(reply, _), = widget.stream.handle({'type': 'need', 'client_id': 'view', 'req': 1,\n"
        "                                    'n': 4, 'exclude': []})\n"
        "print('QUEUE', json.dumps({'items': [i['item_id'] for i in reply['items']],\n"
        "                           'kinds': [i['kind'] for i in reply['items']],\n"
        "                           'progress': reply['progress']}))"
    ))  # fmt: skip
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": tmp_path}}).execute()  # fmt: skip
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    line = next(ln for ln in text.splitlines() if ln.startswith("QUEUE "))
    queue = json.loads(line[len("QUEUE ") :])
    assert queue["items"] == ["rocket"] and queue["kinds"] == ["image"]
    assert queue["progress"]["total"] - queue["progress"]["done"] == 1
