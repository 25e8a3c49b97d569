"""AnnotateAudioWidget in a real JupyterLab: regions made by dragging and by keys
while the clip plays, relabeled, removed, undone, a suggestion accepted, the
waveform zoomed (the kernel sends the window's waveform), Enter; then a reload
and a kernel restart with regions still in the browser's outbox: none is lost.

Clips are made here: tones over silence at 8 kHz, so each region's place on the
waveform is known.
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

SR = 8000


class AudioView(WidgetView):
    root_class = "wb-annotate-audio"

    def hook(self, name: str, *args: Any) -> Any:
        return self.page.evaluate(
            f"([s, a]) => [...document.querySelectorAll(s)].pop().wbAudio.{name}(...a)",
            [self.selector, list(args)],
        )

    def box(self) -> dict[str, float]:
        return self.page.evaluate(
            "(s) => { const c = [...document.querySelectorAll(s)].pop()"
            ".querySelector('canvas.wb-wave').getBoundingClientRect();"
            " return {x: c.left, y: c.top, w: c.width, h: c.height}; }",
            self.selector,
        )

    def x_of(self, t: float) -> float:
        v0, v1 = self.hook("view")
        b = self.box()
        return b["x"] + (t - v0) / (v1 - v0) * b["w"]

    def drag(self, t0: float, t1: float) -> None:
        y = self.box()["y"] + 60
        self.page.mouse.move(self.x_of(t0), y)
        self.page.mouse.down()
        self.page.mouse.move((self.x_of(t0) + self.x_of(t1)) / 2, y, steps=4)
        self.page.mouse.move(self.x_of(t1), y, steps=4)
        self.page.mouse.up()

    def click(self, t: float) -> None:
        self.page.mouse.click(self.x_of(t), self.box()["y"] + 60)


def _cells(db: Path, prefetch: int = 2) -> list[str]:
    setup = "\n".join(
        [
            "import numpy as np, workbench as wb",
            f"DB = {str(db)!r}",
            f"SR = {SR}",
            "def clip(seconds, tone=None):",
            "    t = np.arange(int(seconds * SR)) / SR",
            "    x = np.zeros_like(t)",
            "    if tone:",
            "        on = (t >= tone[0]) & (t < tone[1])",
            "        x[on] = 0.5 * np.sin(2 * np.pi * 440 * t[on])",
            "    return x.astype(np.float32)",
            "schema = wb.Schema((wb.AudioRegions('events', classes=[",
            "    wb.LabelClass('tone', key='1'), wb.LabelClass('noise', key='2')],",
            "    transcripts=True),))",
            "project = wb.Project(DB, schema=schema, annotator='browser')",
            "project.add_audio([clip(4, (1, 2)), clip(120, (60, 61)), clip(3)], sample_rate=SR,",
            "                  ids=['a-short', 'b-long', 'c-quiet'])",
            "project.prelabel(lambda audio: [(1.0, 2.0, 'tone', 0.9)], task='events', per='clip',",
            "                 name='guess', ids=['b-long'], progress=False)",
            "len(project)",
        ]
    )
    return [setup, f"w = project.annotate_audio(prefetch={prefetch}, max_size=512)\nw"]


def _open(open_notebook, db: Path) -> tuple[LabPage, AudioView]:
    lp = open_notebook(_cells(db))
    view = AudioView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    assert view.state()["itemId"] == "a-short"
    return lp, view


def _spans(value: dict[str, Any]) -> list[tuple[float, float, str]]:
    return [(r["start"], r["end"], r["class"]) for r in value["regions"]]


def test_drag_keys_while_playing_relabel_undo_suggestion_zoom_and_enter(open_notebook, workdir):
    db = workdir / "audio.db"
    lp, view = _open(open_notebook, db)
    px = 4.0 / view.box()["w"]  # seconds per pixel of the whole 4 s clip

    # Drag over the tone (1 s to 2 s), label it "tone".
    view.drag(1.0, 2.0)
    lp.press_keys(["1"], interval=0.05)
    (region,) = _spans(wait_item_label(db, "a-short", 1, "dragged region"))
    assert abs(region[0] - 1.0) <= 2 * px and abs(region[1] - 2.0) <= 2 * px, region
    assert region[2] == "tone"
    # Click it, relabel it, remove it, undo the removal.
    view.click(1.5)
    assert view.state()["picked"] == "r1"
    lp.press_keys(["2"], interval=0.05)
    assert _spans(wait_item_label(db, "a-short", 2, "relabeled"))[0][2] == "noise"
    lp.press_keys(["Delete"], interval=0.05)
    assert wait_item_label(db, "a-short", 3, "removed")["regions"] == []
    lp.press_keys(["Control+z"], interval=0.05)
    assert _spans(wait_item_label(db, "a-short", 4, "undone"))[0][2] == "noise"

    # Play, press "1" to start a region and "1" again to end it, pause.
    lp.press_keys(["Escape", "Home", " "], interval=0.05)
    wait_for(lambda: view.state().get("playing") == "1", timeout=10, what="playing")
    time.sleep(0.4)
    lp.press_keys(["1"], interval=0.05)
    started = view.hook("playhead")
    time.sleep(0.8)
    lp.press_keys(["1"], interval=0.05)
    ended = view.hook("playhead")
    lp.press_keys([" "], interval=0.05)
    value = wait_item_label(db, "a-short", 5, "region made while playing")
    played = [r for r in value["regions"] if r["class"] == "tone"]
    assert len(played) == 1, value
    assert abs(played[0]["start"] - started) < 0.15 and abs(played[0]["end"] - ended) < 0.15
    assert played[0]["end"] - played[0]["start"] > 0.5
    # A transcription typed in the picked region's box is part of the label.
    inside = min(played[0]["start"] + 0.1, 0.95)  # before the noise region from 1 s
    assert played[0]["start"] < inside < played[0]["end"], played
    view.click(inside)
    assert view.state()["picked"] == played[0]["id"]
    box = lp.page.locator(f"{view.selector} input.wb-transcript")
    box.fill("beep")
    box.press("Enter")
    text = wait_item_label(db, "a-short", 6, "transcription")
    assert [r["text"] for r in text["regions"] if r["id"] == played[0]["id"]] == ["beep"]
    view.focus()

    # Enter: the long clip, with its suggestion. The whole 120 s came as 512 bins.
    lp.press_keys(["Enter"], interval=0.05)
    wait_for(lambda: view.state()["itemId"] == "b-long", timeout=20, what="next clip")
    assert view.hook("source") == "overview"
    lp.press_keys(["Tab", "y"], interval=0.05)
    accepted = wait_item_label(db, "b-long", 1, "suggestion accepted")
    assert _spans(accepted) == [(1.0, 2.0, "tone")]
    # Zoom into one second with the wheel: the kernel sends that window's waveform.
    asked = view.hook("peaksAsked")
    b = view.box()
    lp.page.mouse.move(view.x_of(60.5), b["y"] + 60)
    for _ in range(12):
        lp.page.mouse.wheel(0, -200)
        time.sleep(0.03)
    wait_for(lambda: view.hook("source") == "zoomed", timeout=20, what="zoomed waveform")
    v0, v1 = view.hook("view")
    assert v1 - v0 < 20 and v0 <= 60.5 <= v1 and view.hook("peaksAsked") > asked
    # The spectrogram of the window shown: `g` shows it, the kernel computes it.
    lp.press_keys(["g"], interval=0.05)
    wait_for(lambda: view.hook("spectrogram") is not None, timeout=20, what="spectrogram")
    sp = view.hook("spectrogram")
    v0, v1 = view.hook("view")
    assert abs(sp["start"] - v0) < 1e-3 and abs(sp["end"] - v1) < 1e-3, (sp, v0, v1)
    assert sp["rows"] == 96 and sp["maxHz"] == SR / 2 and sp["columns"] >= 300
    assert view.state()["spectrogram"] == "1"
    view.drag(60.0, 61.0)
    lp.press_keys(["2", "Enter"], interval=0.05)
    final = wait_item_label(db, "b-long", 2, "zoomed region")
    zoomed = [r for r in _spans(final) if r[2] == "noise"]
    assert len(zoomed) == 1 and abs(zoomed[0][0] - 60.0) < 0.1 and abs(zoomed[0][1] - 61.0) < 0.1
    wait_for(lambda: view.state()["itemId"] == "c-quiet", timeout=20, what="third clip")


def test_regions_left_in_the_outbox_survive_a_reload_and_a_kernel_restart(
    open_notebook, workdir, lab_server
):
    db = workdir / "durable.db"
    lp, view = _open(open_notebook, db)
    kid = lab_server.kernel_id(lp.notebook)
    view.drag(1.0, 2.0)
    lp.press_keys(["1"], interval=0.05)
    wait_item_label(db, "a-short", 1, "first region")
    view.wait_outbox_empty()

    pid = kill_kernel(lab_server, lp.notebook, signal.SIGSTOP)
    wait_for(lambda: process_state(pid) == "T", timeout=5, what="kernel stopped")
    try:
        view.drag(2.5, 3.0)
        lp.press_keys(["2"], interval=0.05)
        view.drag(0.2, 0.6)
        lp.press_keys(["2"], interval=0.05)
        wait_for(lambda: view.state()["outbox"] == "2", timeout=10, what="2 unacknowledged")
        assert len(item_labels(db, "a-short")) == 1
        lp.page.reload(wait_until="domcontentloaded")
        lp.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        assert len(view.outbox_entries()) == 2
    finally:
        os.kill(pid, signal.SIGKILL)  # JupyterLab restarts the kernel
    ensure_restarted(lab_server, kid, pid)
    lp.wait_ready(timeout=90)
    view = AudioView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.wait_outbox_empty(timeout=60)
    final = wait_item_label(db, "a-short", 3, "both snapshots stored")
    assert [c for _, _, c in _spans(final)] == ["noise", "tone", "noise"]
    assert _spans(item_labels(db, "a-short")[-1]) == _spans(final)
