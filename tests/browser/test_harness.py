"""The harness itself, proven on a toy anywidget defined inside the notebook.

The toy renders a focusable div that sends one custom message per key press
(with a sequence number); its Python handler writes each to a SQLite file and
acknowledges it. If these fail, the widget tests' failures mean nothing.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from pathlib import Path

from .harness import kill_kernel, process_state, wait_for

TOY_CELL = '''
import os, sqlite3
import anywidget

class Toy(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const div = document.createElement("div");
      div.className = "toy-widget";
      div.tabIndex = 0;
      div.textContent = "toy";
      div.style.cssText = "width:240px;height:60px;border:1px solid gray";
      let seq = 0;
      const onKey = (e) => {
        e.preventDefault();
        e.stopPropagation();
        seq += 1;
        model.send({ key: e.key, seq });
        div.dataset.sent = String(seq);
      };
      const onMsg = (m) => { div.dataset.acked = String(m.seq); };
      div.addEventListener("keydown", onKey);
      model.on("msg:custom", onMsg);
      el.appendChild(div);
      div.dataset.ready = "1";
      return () => {
        div.removeEventListener("keydown", onKey);
        model.off("msg:custom", onMsg);
      };
    }
    export default { render };
    """

    def __init__(self, db):
        super().__init__()
        self._db = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS presses"
            " (id INTEGER PRIMARY KEY, seq INTEGER, key TEXT, pid INTEGER)"
        )
        self.on_msg(self._on_msg)

    def _on_msg(self, widget, content, buffers):
        self._db.execute(
            "INSERT INTO presses (seq, key, pid) VALUES (?, ?, ?)",
            (content["seq"], content["key"], os.getpid()),
        )
        self.send({"seq": content["seq"]})

Toy(DB)
'''


def _cells(db: Path) -> list[str]:
    return [f"DB = {str(db)!r}", TOY_CELL]


def _presses(db: Path) -> list[tuple[int, str, int]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT seq, key, pid FROM presses ORDER BY id").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def test_every_fast_key_press_arrives_in_order(open_notebook, workdir):
    seed = 20240611
    print(f"seed={seed}")
    keys = random.Random(seed).choices(["1", "2", "3", "a", "d"], k=60)
    db = workdir / "toy.db"
    lp = open_notebook(_cells(db))
    lp.run_all()
    lp.wait_selector('.toy-widget[data-ready="1"]')
    lp.focus(".toy-widget")
    lp.press_keys(keys, interval=0.02)
    wait_for(lambda: lp.attr(".toy-widget", "data-acked") == "60", timeout=20, what="60 acks")
    rows = _presses(db)
    assert [r[0] for r in rows] == list(range(1, 61))
    assert [r[1] for r in rows] == keys
    # "a" and "d" never reached JupyterLab's command mode: still exactly two cells.
    assert lp.page.locator(".jp-Notebook .jp-Cell").count() == 2


def test_kernel_pid_stop_kill_and_restart(open_notebook, workdir, lab_server):
    db = workdir / "toy.db"
    lp = open_notebook(_cells(db))
    lp.run_all()
    lp.wait_selector('.toy-widget[data-ready="1"]')
    lp.focus(".toy-widget")
    lp.press_keys(["1"], interval=0)
    wait_for(lambda: _presses(db), timeout=20, what="first press stored")
    kernel_pid = _presses(db)[0][2]
    kid = lab_server.kernel_id(lp.notebook)
    assert lab_server.kernel_pid(kid) == kernel_pid

    # SIGSTOP: presses are sent but not stored until SIGCONT.
    kill_kernel(lab_server, lp.notebook, signal.SIGSTOP)
    assert wait_for(lambda: process_state(kernel_pid) == "T", timeout=5, what="stopped")
    lp.press_keys(["2", "3"], interval=0.02)
    time.sleep(0.5)
    assert len(_presses(db)) == 1
    os.kill(kernel_pid, signal.SIGCONT)
    wait_for(lambda: len(_presses(db)) == 3, timeout=20, what="presses after SIGCONT")

    # SIGKILL, restart through the REST API, run the cells again: a new process.
    kill_kernel(lab_server, lp.notebook, signal.SIGKILL)
    lab_server.restart_kernel(kid)
    wait_for(
        lambda: (p := lab_server.kernel_pid(kid)) is not None and p != kernel_pid,
        timeout=30,
        what="a new kernel process",
    )
    lp.wait_kernel_idle(timeout=60)
    lp.run_all()
    lp.wait_selector('.toy-widget[data-ready="1"]')
    lp.focus(".toy-widget")
    lp.press_keys(["1"], interval=0)
    wait_for(lambda: len(_presses(db)) == 4, timeout=20, what="press after restart")
    assert _presses(db)[-1][2] == lab_server.kernel_pid(kid) != kernel_pid
