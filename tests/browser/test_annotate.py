"""AnnotateWidget in a real JupyterLab: shapes drawn with real mouse events, edited,
undone, reloaded, and compared with what the store holds.

Every image is 640 × 480 (``notebooks.ANNOTATE_SIZE``); positions are given in
image pixels and turned into client pixels by the view's ``toClient`` hook, so
each check allows one screen pixel of rounding (in image pixels: ``1 / scale``).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest

from workbench import masks

from .harness import (
    _JS_PANEL,
    LabPage,
    ensure_restarted,
    kill_kernel,
    process_state,
    read_events,
    wait_events,
    wait_for,
)
from .notebooks import annotate_cells, item_id
from .views import AnnotateView


def _open(open_notebook, db: Path, **kw) -> tuple[LabPage, AnnotateView]:
    lp = open_notebook(annotate_cells(db, **kw))
    view = AnnotateView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.scroll_into_view()
    view.focus()
    assert view.state()["itemId"] == item_id(0)
    return lp, view


def _labels(db: Path, item: str) -> list[dict]:
    return [e for e in read_events(db, kinds=("label",)) if e["item_id"] == item]


def _wait_label(db: Path, item: str, n: int, what: str) -> list[dict]:
    """Wait for the ``n``-th label of ``item``; return its shapes."""
    wait_events(db, lambda ev: sum(e["item_id"] == item for e in ev) >= n, timeout=30, what=what)
    return _labels(db, item)[n - 1]["value"]


def _close(a, b, tol: float) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), atol=tol))


def _key(lp: LabPage, *keys: str) -> None:
    lp.press_keys(list(keys), interval=0.05)


def test_each_shape_type_drawn_with_the_mouse_is_stored(open_notebook, workdir):
    db = workdir / "draw.db"
    lp, view = _open(open_notebook, db)
    tol = 1.5 / view.scale() + 1e-6
    item = item_id(0)

    # Box: a drag from corner to corner, class car (the first class).
    _key(lp, "b")
    assert view.state()["tool"] == "box"
    view.drag([(50, 60), (100, 100), (150, 140)])
    (box,) = _wait_label(db, item, 1, "box stored")
    assert box["type"] == "box" and box["class"] == "car"
    assert _close(box["bbox"], [50, 60, 100, 80], tol), box

    # Polygon: three clicks and Enter, class road (key 3).
    _key(lp, "Escape", "3", "p")
    for x, y in [(300, 50), (400, 60), (350, 150)]:
        view.click(x, y)
    _key(lp, "Enter")
    shapes = _wait_label(db, item, 2, "polygon stored")
    poly = shapes[-1]
    assert poly["type"] == "polygon" and poly["class"] == "road"
    assert _close(poly["points"], [[300, 50], [400, 60], [350, 150]], tol), poly

    # Polyline (a lane): three clicks and Enter.
    _key(lp, "Escape", "l")
    for x, y in [(20, 400), (200, 380), (400, 420)]:
        view.click(x, y)
    _key(lp, "Enter")
    line = _wait_label(db, item, 3, "polyline stored")[-1]
    assert line["type"] == "polyline"
    assert _close(line["points"], [[20, 400], [200, 380], [400, 420]], tol), line

    # Keypoints of a person: head then foot, in the skeleton's order.
    _key(lp, "Escape", "2", "k")
    view.click(500, 100)
    view.click(510, 200)
    kp = _wait_label(db, item, 4, "keypoints stored")[-1]
    assert kp["type"] == "keypoints" and kp["class"] == "person"
    assert _close([p[:2] for p in kp["points"]], [[500, 100], [510, 200]], tol), kp
    assert [p[2] for p in kp["points"]] == [2, 2]

    # Brush: one stroke paints a car mask, stored as RLE at the full image size.
    _key(lp, "Escape", "1", "m")
    view.drag([(200, 250), (260, 250), (320, 260)], steps=8)
    mask = _wait_label(db, item, 5, "mask stored")[-1]
    assert mask["type"] == "mask" and mask["class"] == "car"
    assert mask["rle"]["size"] == [480, 640]
    m = masks.decode(mask["rle"])
    assert m[250, 200] and m[250, 260] and m[258, 318] and not m[100, 100]
    assert 200 < masks.area(mask["rle"]) < 640 * 480 // 4

    # Cuboid: drag the front face, then move and click to place the back face.
    _key(lp, "Escape", "c")
    view.drag([(420, 250), (480, 320)])
    view.click(450, 230)
    cub = _wait_label(db, item, 6, "cuboid stored")[-1]
    assert cub["type"] == "cuboid"
    front = np.asarray(cub["front"], float)
    assert _close(front.min(0), [420, 250], tol) and _close(front.max(0), [480, 320], tol)
    back = np.asarray(cub["back"], float)
    assert _close(back.mean(0) - front.mean(0), [30, -20], tol * 2), cub

    # The whole list each time, ids unique, and the view shows what the store holds.
    final = _labels(db, item)[-1]["value"]
    assert [s["type"] for s in final] == ["box", "polygon", "polyline", "keypoints", "mask",
                                          "cuboid"]  # fmt: skip
    assert len({s["id"] for s in final}) == 6
    view.wait_outbox_empty()
    assert [s["id"] for s in view.shapes()] == [s["id"] for s in final]
    # No key reached JupyterLab's command mode (b, c, l, m ... are notebook shortcuts).
    assert lp.page.locator(".jp-Notebook .jp-Cell").count() == 2


def test_move_vertex_edit_undo_redo_delete_and_reload(open_notebook, workdir):
    db = workdir / "edit.db"
    lp, view = _open(open_notebook, db, review=True)
    tol = 1.5 / view.scale() + 1e-6
    item = item_id(0)

    _key(lp, "b")
    view.drag([(100, 100), (200, 180)])
    _wait_label(db, item, 1, "box")
    # Select mode: drag the body to move the box by (+40, +30).
    _key(lp, "Escape", "v")
    view.drag([(150, 140), (170, 150), (190, 170)])
    (moved,) = _wait_label(db, item, 2, "moved box")
    assert _close(moved["bbox"], [140, 130, 100, 80], tol), moved
    # Drag the bottom-right corner out to (300, 260).
    view.drag([(240, 210), (300, 260)])
    (resized,) = _wait_label(db, item, 3, "resized box")
    assert _close(resized["bbox"], [140, 130, 160, 130], tol), resized

    # Undo twice, redo once: each sends the restored list.
    _key(lp, "Control+z")
    (undo1,) = _wait_label(db, item, 4, "undo 1")
    assert _close(undo1["bbox"], moved["bbox"], 1e-9)
    _key(lp, "Control+z")
    (undo2,) = _wait_label(db, item, 5, "undo 2")
    assert _close(undo2["bbox"], [100, 100, 100, 80], tol)
    _key(lp, "Control+Shift+z")
    (redo,) = _wait_label(db, item, 6, "redo")
    assert _close(redo["bbox"], moved["bbox"], 1e-9)

    # A polygon; double-click an edge adds a vertex, then delete the box.
    _key(lp, "p")
    for x, y in [(400, 100), (500, 100), (500, 200)]:
        view.click(x, y)
    _key(lp, "Enter")
    _wait_label(db, item, 7, "polygon")
    _key(lp, "Escape", "v")
    view.move(450, 100)
    lp.page.mouse.dblclick(*view.client(450, 100))
    shapes = _wait_label(db, item, 8, "vertex added")
    assert len(shapes[-1]["points"]) == 4
    assert any(_close(p, [450, 100], tol) for p in shapes[-1]["points"])
    view.click(150, 140)  # select the box
    _key(lp, "Delete")
    shapes = _wait_label(db, item, 9, "box deleted")
    assert [s["type"] for s in shapes] == ["polygon"]
    view.wait_outbox_empty()

    # A reload shows the stored shapes again.
    lp.reload(timeout=90)
    view = AnnotateView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    # The review list starts again at item 0, now with the stored shapes.
    assert view.state().get("itemId") == item
    got = view.shapes()
    assert [s["type"] for s in got] == ["polygon"]
    assert _close(got[0]["points"], shapes[0]["points"], 1e-9)


def test_suggestions_accept_one_accept_all_and_enter_moves_on(open_notebook, workdir):
    db = workdir / "suggest.db"
    lp, view = _open(open_notebook, db, prelabel=True)
    item = item_id(0)
    got = view.suggestions()
    assert sorted(s["id"] for s in got) == ["p1", "p2"]
    assert {s["id"]: s["score"] for s in got} == {"p1": 0.9, "p2": 0.6}
    assert view.shapes() == []

    # Click the box suggestion and accept it with Enter.
    _key(lp, "v")
    view.click(160, 140)
    _key(lp, "Enter")
    (accepted,) = _wait_label(db, item, 1, "one suggestion accepted")
    assert accepted["bbox"] == [100, 100, 120, 80] and accepted["class"] == "car"
    assert [s["id"] for s in view.suggestions()] == ["p2"]
    # `a` accepts the rest.
    _key(lp, "a")
    shapes = _wait_label(db, item, 2, "all accepted")
    assert sorted(s["type"] for s in shapes) == ["box", "polygon"]
    assert view.suggestions() == []

    # Enter on the next item, untouched, records "nothing here".
    _key(lp, "Escape", "Enter")
    wait_for(lambda: view.state().get("itemId") == item_id(1), timeout=10, what="item 1")
    _key(lp, "Enter")
    assert _wait_label(db, item_id(1), 1, "empty label") == []


def test_wheel_zoom_keeps_the_pointer_spot_and_fetches_the_full_image(open_notebook, workdir):
    db = workdir / "zoom.db"
    # 4000 × 3000 images sent at 2048 px: zooming in past that asks for the full image.
    lp = open_notebook(annotate_cells(db, 1, size=(4000, 3000)))
    view = AnnotateView(lp)
    lp.run_all()
    view.wait_ready(timeout=120)
    view.scroll_into_view()
    view.focus()
    spot = (1200.0, 900.0)
    before = view.client(*spot)
    s0 = view.scale()
    lp.page.mouse.move(*before)
    for _ in range(6):
        lp.page.mouse.wheel(0, -240)
        lp.page.wait_for_timeout(50)
    wait_for(lambda: view.scale() > 2 * s0, timeout=10, what="zoomed in")
    after = view.client(*spot)
    assert abs(after[0] - before[0]) <= 1.5 and abs(after[1] - before[1]) <= 1.5
    # Drawing at this zoom lands at the right image pixels.
    _key(lp, "b")
    x, y = spot
    view.drag([(x, y), (x + 20, y + 10)])
    (box,) = _wait_label(db, item_id(0), 1, "box at zoom")
    assert _close(box["bbox"], [x, y, 20, 10], 1.5 / view.scale() + 1e-6)
    wait_for(
        lambda: (
            view.page.evaluate("(s) => document.querySelector(s).dataset.full", view.selector)
            == "1"
        ),
        timeout=60,
        what="full-size image swapped in (data-full=1)",
    )
    _key(lp, "f")
    wait_for(lambda: abs(view.scale() - s0) < 1e-6, timeout=5, what="fit again")


@pytest.mark.parametrize("resume", ["sigcont", "restart"])
def test_shapes_drawn_while_the_kernel_is_stopped_survive_a_reload(
    open_notebook, workdir, lab_server, resume
):
    db = workdir / "durable.db"
    lp, view = _open(open_notebook, db)
    kid = lab_server.kernel_id(lp.notebook)
    item = item_id(0)
    _key(lp, "b")
    view.drag([(10, 10), (60, 60)])
    _wait_label(db, item, 1, "first box")
    view.wait_outbox_empty()

    pid = kill_kernel(lab_server, lp.notebook, signal.SIGSTOP)
    wait_for(lambda: process_state(pid) == "T", timeout=5, what="kernel stopped")
    try:
        view.drag([(100, 100), (160, 150)])
        view.drag([(300, 300), (330, 350)])
        wait_for(lambda: view.state()["outbox"] == "2", timeout=10, what="2 unacknowledged")
        assert len(_labels(db, item)) == 1
        lp.page.reload(wait_until="domcontentloaded")
        lp.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        assert len(view.outbox_entries()) == 2
    finally:
        # A stopped process still dies at once on SIGKILL; JupyterLab restarts the kernel.
        os.kill(pid, signal.SIGCONT if resume == "sigcont" else signal.SIGKILL)
    if resume == "restart":
        ensure_restarted(lab_server, kid, pid)
    lp.wait_ready(timeout=90)
    view = AnnotateView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.wait_outbox_empty(timeout=60)
    # The newest snapshot, with all three boxes, is the item's label. The one before it
    # may reach the kernel after it on resend: it is then acknowledged as superseded and
    # not stored (stream.py), so the log holds two or three labels of the item.
    wait_events(db, lambda ev: any(e["item_id"] == item and len(e["value"]) == 3 for e in ev),
                timeout=30, what="the newest snapshot stored")  # fmt: skip
    labels = _labels(db, item)
    assert len(labels) in (2, 3)
    final = labels[-1]["value"]
    assert len(final) == 3
    assert _close(sorted(s["bbox"] for s in final)[1], [100, 100, 60, 50], 2.0)


def test_audit_review_class_change_confirm_and_copy_from_previous(open_notebook, workdir):
    db = workdir / "audit.db"
    lp, view = _open_review_audit(open_notebook, db)
    first, second = item_id(1), item_id(0)
    # The worst suspect comes first, with its quality, the model's class and the suspect shape.
    issue = lp.page.locator(f"{view.selector} .wb-issue").first.text_content() or ""
    assert "0.05" in issue and "model: person" in issue
    assert lp.page.locator(f"{view.selector} .wb-suspect[data-shape='s1']").count() == 1
    before = len(read_events(db, kinds=("label",)))

    # Select the suspect car and make it a person (key 2): the correction is stored.
    _key(lp, "v")
    view.click(160, 140)
    _key(lp, "2")
    (fixed,) = _wait_label(db, first, 2, "class corrected")
    assert fixed["class"] == "person" and fixed["bbox"] == [100, 100, 120, 80]

    # Enter moves on (the correction is the decision on item 1).
    _key(lp, "Escape", "Escape", "Enter")
    wait_for(lambda: view.state().get("itemId") == second, timeout=10, what="second suspect")
    # Shift+C copies the previous item's shapes (the person) with new ids.
    _key(lp, "Shift+C")
    copied = _wait_label(db, second, 2, "shapes copied")
    assert sorted(s["class"] for s in copied) == ["car", "person"]
    assert len({s["id"] for s in copied}) == 2
    view.wait_outbox_empty()
    assert len(read_events(db, kinds=("label",))) == before + 2
    wait_for(lambda: "2" in (lp.page.locator(f"{view.selector} .wb-progress").first.text_content()
                             or ""), timeout=10, what="progress 2 of 2")  # fmt: skip


def _open_review_audit(open_notebook, db: Path) -> tuple[LabPage, AnnotateView]:
    lp = open_notebook(annotate_cells(db, 2, review="audit"))
    view = AnnotateView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.scroll_into_view()
    view.focus()
    assert view.state()["itemId"] == item_id(1)
    return lp, view


def _kernel_run(lp: LabPage, code: str) -> str:
    """Run ``code`` in the notebook's kernel (no cell: the widget stays where it is);
    return its stdout, or fail with its error."""
    return lp.page.evaluate(
        """async ([path, code]) => {
            const find = """
        + _JS_PANEL
        + """;
            const kernel = find(path).sessionContext.session.kernel;
            const future = kernel.requestExecute({ code, store_history: false });
            let out = "", error = null;
            future.onIOPub = (msg) => {
                if (msg.header.msg_type === "stream") out += msg.content.text;
                const c = msg.content;
                if (msg.header.msg_type === "error") error = c.ename + ": " + c.evalue;
            };
            await future.done;
            if (error) throw new Error(error);
            return out;
        }""",
        [lp.notebook, code],
    )


def test_suggestions_stored_in_the_kernel_appear_in_the_open_widget_and_arrows_walk(
    open_notebook, workdir
):
    db = workdir / "later.db"
    lp, view = _open(open_notebook, db)
    assert view.suggestions() == []
    # The widget is open and holds items 0-2; a model's suggestions are stored now.
    _kernel_run(
        lp,
        "BOXES = {iid: [{'type': 'box', 'class': 'car', 'bbox': [40 + 100 * k, 60, 90, 70],"
        " 'score': 0.8}] for k, iid in enumerate(IDS)}\n"
        "print(project.add_prelabels(BOXES, model='det@1', task='objects'))",
    )
    wait_for(lambda: len(view.suggestions()) == 1, timeout=15, what="suggestion on item 0")
    assert view.suggestions()[0]["bbox"] == [40, 60, 90, 70]
    assert view.shapes() == []

    active = _active_cell(lp)
    # → moves on to item 1 (nothing stored for item 0), which has its suggestion too.
    _key(lp, "ArrowRight")
    wait_for(lambda: view.state().get("itemId") == item_id(1), timeout=10, what="→ to item 1")
    assert [s["bbox"] for s in view.suggestions()] == [[140, 60, 90, 70]]
    _key(lp, "a")
    (accepted,) = _wait_label(db, item_id(1), 1, "suggestion accepted on item 1")
    assert accepted["bbox"] == [140, 60, 90, 70]
    # ← goes back to item 0, still unlabeled; → returns to item 1 with its shape.
    _key(lp, "ArrowLeft")
    wait_for(lambda: view.state().get("itemId") == item_id(0), timeout=10, what="← to item 0")
    assert _labels(db, item_id(0)) == []
    _key(lp, "ArrowRight")
    wait_for(lambda: view.state().get("itemId") == item_id(1), timeout=10, what="→ to item 1")
    assert [s["bbox"] for s in view.shapes()] == [[140, 60, 90, 70]]
    # No arrow key reached JupyterLab (in command mode it moves the active cell).
    assert _active_cell(lp) == active


def _active_cell(lp: LabPage) -> int:
    return lp.page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex")


def test_detection_notebook_run_all_shows_an_item_to_draw_on(open_notebook):
    """Run All answers the widget's first request after the last cell has labeled the
    sample photos: the widget must show the one left (the rocket), not an empty canvas."""
    import json

    pytest.importorskip("skimage")
    path = Path(__file__).parents[2] / "notebooks" / "detection.ipynb"
    cells = json.loads(path.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    lp = open_notebook(code)
    view = AnnotateView(lp)
    lp.run_all()
    view.wait_ready(timeout=180)
    assert view.state()["itemId"] == "rocket"
    assert lp.page.locator(f"{view.selector}.wb-done").count() == 0
    # Drawing on it and pressing Enter leaves the queue done: the done card, not a blank canvas.
    view.scroll_into_view()
    view.focus()
    _key(lp, "7", "b")
    view.drag([(200, 20), (420, 400)])
    _key(lp, "Escape", "Enter")
    lp.page.wait_for_selector(f"{view.selector}.wb-done .wb-done-card", timeout=30_000)
    text = lp.page.locator(f"{view.selector} .wb-done-card").text_content() or ""
    assert "All items are done" in text and "6 of 6 items" in text
    _key(lp, "ArrowLeft")
    wait_for(
        lambda: view.state().get("itemId") == "rocket", timeout=10, what="← back to the rocket"
    )
    assert [s["class"] for s in view.shapes()] == ["rocket"]
