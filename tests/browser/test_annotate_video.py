"""AnnotateVideoWidget in a real JupyterLab: a track drawn on a frame, moved at a later
frame (a keyframe there, interpolated between), marked outside, undone, played, and a
detector's suggested track accepted; then a reload and a kernel restart with keyframes
still in the browser's outbox: none is lost.

The videos are rendered here: a white square moving right one pixel a frame.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from .harness import (
    LabPage,
    ensure_restarted,
    item_labels,
    kill_kernel,
    process_state,
    wait_for,
    wait_item_label,
)
from .views import WidgetView


class VideoView(WidgetView):
    root_class = "wb-annotate-video"

    def hook(self, name: str, *args: Any) -> Any:
        return self.page.evaluate(
            f"([s, a]) => [...document.querySelectorAll(s)].pop().wbVideo.{name}(...a)",
            [self.selector, list(args)],
        )

    def page_xy(self, x: float, y: float) -> tuple[float, float]:
        px, py = self.hook("toPage", x, y)
        return px, py

    def drag(self, a: tuple[float, float], b: tuple[float, float]) -> None:
        self.page.mouse.move(*self.page_xy(*a))
        self.page.mouse.down()
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        self.page.mouse.move(*self.page_xy(*mid), steps=4)
        self.page.mouse.move(*self.page_xy(*b), steps=4)
        self.page.mouse.up()


def _cells(db: Path, prefetch: int = 1) -> list[str]:
    setup = "\n".join(
        [
            "import numpy as np, workbench as wb",
            f"DB = {str(db)!r}",
            "def clip(n, y=20):",
            "    frames = np.zeros((n, 96, 128, 3), np.uint8)",
            "    for k in range(n):",
            "        frames[k, y:y + 20, 10 + k:30 + k] = 255",
            "    return frames",
            "schema = wb.Schema((wb.VideoTracks('objects', classes=[",
            "    wb.LabelClass('car', key='1'), wb.LabelClass('person', key='2')]),))",
            "project = wb.Project(DB, schema=schema, annotator='browser')",
            "project.add_video([clip(40), clip(30, 50)], fps=10, ids=['v1', 'v2'])",
            "def detector(frames):",
            "    out = []",
            "    for img in frames:",
            "        ys, xs = np.nonzero(img[..., 0] > 128)",
            "        if not len(xs):",
            "            out.append([])",
            "            continue",
            "        x, y = float(xs.min()), float(ys.min())",
            "        out.append([(x, y, xs.max() + 1.0 - x, ys.max() + 1.0 - y, 'car', 0.9)])",
            "    return out",
            "project.prelabel(detector, task='objects', ids=['v2'], name='det', progress=False)",
            "len(project)",
        ]
    )
    return [setup, f"w = project.annotate_video(prefetch={prefetch})\nw"]


def _open(open_notebook, db: Path) -> tuple[LabPage, VideoView]:
    lp = open_notebook(_cells(db))
    view = VideoView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    assert view.state()["itemId"] == "v1"
    wait_for(lambda: 0 in view.hook("held"), timeout=20, what="first frame")
    return lp, view


def test_draw_move_interpolate_outside_play_and_accept_a_suggested_track(open_notebook, workdir):
    db = workdir / "video.db"
    lp, view = _open(open_notebook, db)
    # A box over the square at frame 0 (x 10-30, y 20-40).
    view.drag((10, 20), (30, 40))
    (track,) = wait_item_label(db, "v1", 1, "new track")["tracks"]
    box = track["keyframes"][0]["bbox"]
    assert track["class"] == "car" and track["keyframes"][0]["frame"] == 0
    assert all(abs(a - b) <= 1.5 for a, b in zip(box, [10, 20, 20, 20], strict=True)), box
    # Ten frames on (Shift+.), the frame comes from the kernel; move the box onto the square.
    lp.press_keys(["Shift+Period"], interval=0.05)
    wait_for(lambda: view.state()["frame"] == "10", timeout=10, what="frame 10")
    wait_for(lambda: 10 in view.hook("held"), timeout=20, what="frame 10 decoded")
    view.drag((20, 30), (30, 30))
    value = wait_item_label(db, "v1", 2, "keyframe at 10")
    keys = value["tracks"][0]["keyframes"]
    assert [k["frame"] for k in keys] == [0, 10]
    assert abs(keys[1]["bbox"][0] - 20) <= 1.5 and keys[1]["bbox"][2] == keys[0]["bbox"][2]
    # Between the keyframes the box is interpolated: halfway at frame 5.
    view.hook("seek", 5)
    (shown,) = view.hook("shapes")
    assert abs(shown["bbox"][0] - (keys[0]["bbox"][0] + keys[1]["bbox"][0]) / 2) < 1e-6
    # Outside from frame 20, then undone.
    view.hook("seek", 20)
    view.hook("pick", value["tracks"][0]["id"])
    lp.press_keys(["o"], interval=0.05)
    out = wait_item_label(db, "v1", 3, "outside")["tracks"][0]["keyframes"]
    assert out[-1] == {"frame": 20, "outside": True, "occluded": False}
    lp.press_keys(["Control+z"], interval=0.05)
    undone = wait_item_label(db, "v1", 4, "undone")["tracks"][0]["keyframes"]
    assert [k["frame"] for k in undone] == [0, 10]
    # Play from the start: the frame moves on by itself, with frames fetched ahead.
    lp.press_keys(["Home", " "], interval=0.05)
    wait_for(lambda: int(view.state()["frame"]) >= 8, timeout=20, what="playing on")
    lp.press_keys([" "], interval=0.05)
    # Enter: the next video, whose detector track is a suggestion; Tab and y accept it.
    lp.press_keys(["Enter"], interval=0.05)
    wait_for(lambda: view.state()["itemId"] == "v2", timeout=20, what="next video")
    lp.press_keys(["Tab", "y"], interval=0.05)
    (accepted,) = wait_item_label(db, "v2", 1, "suggestion accepted")["tracks"]
    assert accepted["class"] == "car" and accepted["keyframes"][0]["frame"] == 0
    assert abs(accepted["keyframes"][0]["bbox"][1] - 50) < 1e-6


def test_keyframes_left_in_the_outbox_survive_a_reload_and_a_kernel_restart(
    open_notebook, workdir, lab_server
):
    db = workdir / "durable.db"
    lp, view = _open(open_notebook, db)
    kid = lab_server.kernel_id(lp.notebook)
    view.drag((10, 20), (30, 40))
    wait_item_label(db, "v1", 1, "first track")
    view.wait_outbox_empty()
    pid = kill_kernel(lab_server, lp.notebook, signal.SIGSTOP)
    wait_for(lambda: process_state(pid) == "T", timeout=5, what="kernel stopped")
    try:
        lp.press_keys(["Escape", "2"], interval=0.05)  # nothing selected; new tracks: person
        view.drag((60, 60), (90, 80))
        view.hook("seek", 5)
        view.hook("pick", "t1")
        lp.press_keys(["h"], interval=0.05)  # occluded at frame 5
        wait_for(lambda: view.state()["outbox"] == "2", timeout=10,
                 what=f"2 unacknowledged ({view.state()}, {view.hook('value')})")  # fmt: skip
        assert len(item_labels(db, "v1")) == 1
        lp.page.reload(wait_until="domcontentloaded")
        lp.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        assert len(view.outbox_entries()) == 2
    finally:
        os.kill(pid, signal.SIGKILL)
    ensure_restarted(lab_server, kid, pid)
    lp.wait_ready(timeout=90)
    view = VideoView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.wait_outbox_empty(timeout=60)
    final = wait_item_label(db, "v1", 3, "both snapshots stored")
    classes = sorted(t["class"] for t in final["tracks"])
    assert classes == ["car", "person"]
    car = next(t for t in final["tracks"] if t["class"] == "car")
    assert [(k["frame"], k["occluded"]) for k in car["keyframes"]] == [(0, False), (5, True)]
    time.sleep(0.1)


def test_a_polygon_track_clicked_then_reshaped_by_one_vertex(open_notebook, workdir):
    db = workdir / "polygons.db"
    cells = _cells(db)
    cells[0] = cells[0].replace(
        "wb.VideoTracks('objects', classes=[",
        "wb.VideoTracks('objects', shape='polygon', classes=[",
    )
    cells[0] = cells[0].replace(
        "project.prelabel(detector, task='objects', ids=['v2'], name='det', progress=False)\n", ""
    )
    lp = open_notebook(cells)
    view = VideoView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    # Three clicks and Enter: a triangle, a new track with a keyframe at frame 0.
    for x, y in ((20, 20), (60, 20), (40, 60)):
        lp.page.mouse.click(*view.page_xy(x, y))
    lp.press_keys(["Enter"], interval=0.05)
    (track,) = wait_item_label(db, "v1", 1, "polygon track")["tracks"]
    points = track["keyframes"][0]["points"]
    clicked = [(20, 20), (60, 20), (40, 60)]
    assert len(points) == 3
    for p, q in zip(points, clicked, strict=True):
        assert abs(p[0] - q[0]) <= 1.5 and abs(p[1] - q[1]) <= 1.5, (p, q)
    # Ten frames on, drag the apex down: a keyframe at 10 with that vertex moved.
    view.hook("seek", 10)
    view.hook("pick", track["id"])
    view.drag((40, 60), (40, 80))
    keys = wait_item_label(db, "v1", 2, "vertex moved")["tracks"][0]["keyframes"]
    assert [k["frame"] for k in keys] == [0, 10]
    assert abs(keys[1]["points"][2][1] - 80) <= 1.5 and keys[1]["points"][0] == keys[0]["points"][0]
    view.hook("seek", 5)
    (shown,) = view.hook("shapes")
    assert (
        abs(shown["points"][2][1] - (keys[0]["points"][2][1] + keys[1]["points"][2][1]) / 2) < 1e-6
    )
