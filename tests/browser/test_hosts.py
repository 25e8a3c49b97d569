"""The classify widget in the other hosts it supports: Notebook 7 and marimo.

JupyterLab is covered at length by ``test_classify.py``; here each host gets one
end-to-end check with a real server and headless Chromium: a small image project
(10 items, classes ``cat`` and ``dog``) renders, the class keys are pressed for a
few items, and the labels reach the SQLite store with the right values in press
order, read from the test process (the raw event log and, read-only, through
``workbench.Project``). docs/hosts.md lists what these tests cover.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb

from .harness import settle_events, wait_events, wait_for
from .notebooks import PETS, host_classify_cells, item_id, marimo_classify_cell
from .views import ClassifyView, MarimoClassifyView

#: Keys pressed, one per item in queue order; the project binds 1 → cat, 2 → dog.
KEYS = ["2", "1", "1", "2", "2"]


def label_and_check(view: ClassifyView, db: Path) -> None:
    """Wait for the widget, press :data:`KEYS` and check the store holds exactly those labels."""
    page = view.lp
    view.wait_ready(timeout=90)
    assert view.state()["itemId"] == item_id(0), "the first item in the queue is shown"
    view.focus()
    classes = {str(i + 1): c for i, c in enumerate(PETS)}  # as project_cell binds them
    expected = [(item_id(i), classes[k]) for i, k in enumerate(KEYS)]

    page.press_keys(KEYS, interval=0.15)
    wait_events(db, lambda ev: len(ev) >= len(KEYS), timeout=30, what=f"{len(KEYS)} labels")
    view.wait_outbox_empty(timeout=30)
    events = settle_events(db, quiet=1.0)

    assert [(e["item_id"], e["value"]) for e in events] == expected
    assert {e["annotator"] for e in events} == {"browser"}
    labels = wb.Project(db, read_only=True).labels()
    assert sorted(zip(labels["item_id"], labels["label"], strict=True)) == sorted(expected)
    # The widget moved on to the next unlabeled item.
    assert view.state()["itemId"] == item_id(len(KEYS))


def test_notebook7_classify_stores_pressed_labels(open_nb7, notebook_server):
    db = notebook_server.notebooks / "nb7_pets.db"
    lp = open_nb7(host_classify_cells(db), name="pets.ipynb")
    assert lp.page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    assert "/notebooks/pets.ipynb" in lp.page.url
    lp.run_all()
    label_and_check(ClassifyView(lp), db)
    # The class keys reached the widget, not Notebook 7's command mode (1/2 make headings).
    assert lp.page.locator(".jp-Notebook .jp-Cell").count() == 2
    assert lp.page.locator(".jp-Notebook .jp-MarkdownCell").count() == 0

    # The side panel is there too (Notebook 7's right sidebar) and counts those labels.
    lp.page.evaluate("async () => window.jupyterapp.commands.execute('workbench:open-panel')")
    panel = lp.page.locator("#workbench-panel")
    panel.locator(f'select[data-control="project"] option[value="{db.name}"]').wait_for(
        state="attached"
    )
    panel.locator('select[data-control="project"]').select_option(db.name)
    panel.locator('select[data-control="task"]').select_option("label")
    labeled = panel.locator('[data-field="labeled"]').first
    wait_for(  # the field reads "5 items"
        lambda: labeled.text_content().split()[:1] == [str(len(KEYS))],
        timeout=20,
        what=f"the panel's Labeled count {len(KEYS)}",
    )
    assert panel.is_visible()


@pytest.mark.parametrize("mode", ["edit", "run"])
def test_marimo_classify_stores_pressed_labels(open_marimo, tmp_path, mode):
    db = tmp_path / f"marimo_{mode}.db"
    page = open_marimo(marimo_classify_cell(db), mode=mode)
    view = MarimoClassifyView(page)
    view.wait_ready(timeout=90)
    # marimo's own page: the widget is rendered by mo.ui.anywidget, in a shadow root.
    host = view.shadow_host()
    print(f"marimo {mode}: the widget's shadow host is <{host}>")
    assert host == "marimo-anywidget"
    label_and_check(view, db)
