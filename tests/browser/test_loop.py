"""The model in the kernel, seen from a real JupyterLab: pre-labels shown and accepted
with one key, and the active-learning loop re-ranking the widget's queue.

The notebook pre-labels 300 digits with a logistic regression fitted on other
digits, starts an :class:`ActiveLearningLoop` (margin, batches of 5, 10 random
seed items) and shows its widget. The test labels what the widget shows with
the true digit's key, reading the item id from the widget, and checks that
after the seed batch the queue switches to the batch the next round chose (the
round writes it to ``round-0001/round.json`` when it begins).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from sklearn.datasets import load_digits

from .harness import LabPage, read_events, wait_events, wait_for
from .views import ClassifyView

POOL = 300


def loop_cells(db: Path) -> list[str]:
    return [
        "\n".join(
            [
                "import warnings",
                "import workbench as wb",
                "from sklearn.datasets import load_digits",
                "from sklearn.linear_model import LogisticRegression",
                "warnings.filterwarnings('ignore')",
                "digits = load_digits()",
                "X = digits.data / 16.0",
                f"X_pool, X_rest, y_rest = X[:{POOL}], X[{POOL}:], digits.target[{POOL}:]",
                "schema = wb.Schema.classification(",
                "    'digit', [wb.LabelClass(str(d), key=str(d)) for d in range(10)])",
                f"project = wb.Project({str(db)!r}, schema=schema, annotator='browser')",
                f"ids = [f'd{{i}}' for i in range({POOL})]",
                f"project.add_arrays(digits.images[:{POOL}], ids=ids)",
                "clf = LogisticRegression(max_iter=500).fit(X_rest, y_rest.astype(str))",
                "preds = project.prelabel(clf, features=X_pool, name='clf', progress=False)",
                "preds",
            ]
        ),
        "\n".join(
            [
                "loop = wb.ActiveLearningLoop(project, LogisticRegression(max_iter=500),",
                "    strategy='margin', batch_size=5, features=X_pool, initial=10)",
                "widget = loop.widget(prefetch=4)",
                "loop.step()",
                "widget",
            ]
        ),
    ]


def _truth() -> dict[str, str]:
    target = load_digits().target[:POOL]
    return {f"d{i}": str(t) for i, t in enumerate(target)}


def _round(folder: Path, n: int) -> dict:
    path = folder / f"round-{n:04d}" / "round.json"
    wait_for(path.is_file, timeout=60, what=f"{path.name} of round {n}")
    return json.loads(path.read_text())


def _label_shown(lp: LabPage, view: ClassifyView, key_of) -> str:
    """Press the key for the item on show; wait until the view moves on. Returns its id."""
    # Between a requeue and the next item arriving the view shows nothing: wait for one.
    wait_for(lambda: view.state().get("itemId"), timeout=20, what="an item on show")
    shown = view.state()["itemId"]
    lp.press_keys([key_of(shown)], interval=0)
    wait_for(lambda: view.state().get("itemId") != shown, timeout=20, what=f"{shown} done")
    return shown


def test_prelabel_accept_and_loop_rerank_the_queue(open_notebook, workdir):
    db = workdir / "loop.db"
    truth = _truth()
    lp = open_notebook(loop_cells(db))
    view = ClassifyView(lp)
    lp.run_all()
    view.wait_ready(timeout=120)
    view.focus()
    rounds = workdir / "loop.db.models" / "loops" / "loop"
    seed = _round(rounds, 0)["batch"]
    assert len(seed) == 10 and view.state()["itemId"] == seed[0]

    # The model's suggestion and its confidence are on show; Enter accepts it.
    prelabels = {e["item_id"]: e for e in read_events(db, kinds=("prelabel",))}
    assert len(prelabels) == POOL
    first = prelabels[seed[0]]
    assert first["annotator"] == "model:clf@1"
    shown = lp.page.locator(f"{view.selector} .wb-prelabel").first.text_content() or ""
    assert f"model suggests: {first['value']} ({round(first['score'] * 100)}%)" in shown
    _label_shown(lp, view, lambda _: "Enter")
    labels = wait_events(db, lambda ev: len(ev) == 1, what="the accepted pre-label")
    assert (labels[0]["item_id"], labels[0]["value"]) == (seed[0], first["value"])

    # The rest of the seed batch, with the true digits' keys.
    done = [seed[0]]
    for _ in range(9):
        done.append(_label_shown(lp, view, truth.get))
    assert done == seed
    # The round ends; the next one trains in the background and re-ranks the queue.
    batch = _round(rounds, 1)["batch"]
    assert len(batch) == 5 and not set(batch) & set(seed)
    # The item on show when the queue re-ranked stays; the new batch comes right after it.
    time.sleep(1.0)  # the requeue goes out right after round.json is written
    if view.state().get("itemId") != batch[0]:
        assert _label_shown(lp, view, truth.get) not in batch
    wait_for(lambda: view.state().get("itemId") == batch[0], timeout=20, what="the new batch")
    assert [_label_shown(lp, view, truth.get) for _ in batch] == batch
    _round(rounds, 2)  # the batch is labeled: round 2 began
    stored = {e["item_id"]: e["value"] for e in read_events(db, kinds=("label",))}
    assert all(stored[i] == truth[i] for i in batch)
    assert all(stored[i] == truth[i] for i in seed[1:])
    assert {e["annotator"] for e in read_events(db, kinds=("label",))} == {"browser"}
    # Digit keys never reached JupyterLab's command mode (they make markdown headings).
    assert lp.page.locator(".jp-Notebook .jp-MarkdownCell").count() == 0
