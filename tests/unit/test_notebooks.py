"""Every notebook in notebooks/ runs top to bottom in a fresh kernel."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
#: Notebooks whose own test below runs them and checks what they print.
CHECKED = ("active_learning.ipynb", "audit.ipynb", "detection.ipynb")
PLAIN = [p for p in NOTEBOOKS if p.name not in CHECKED]


@pytest.mark.parametrize("path", PLAIN, ids=[p.name for p in PLAIN])
def test_notebook_runs(path, tmp_path):
    work = tmp_path / path.name
    shutil.copy(path, work)
    nb = nbformat.read(work, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert (tmp_path / "quickstart.db").exists() or path.name != "quickstart.ipynb"


def test_quickstart_reads_labels_back(tmp_path):
    path = next(p for p in NOTEBOOKS if p.name == "quickstart.ipynb")
    nb = nbformat.read(path, as_version=4)
    for _ in range(2):  # a second run adds nothing twice
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": tmp_path}}).execute()  # fmt: skip
    import workbench as wb

    with wb.Project(tmp_path / "quickstart.db") as project:
        assert len(project) == 1797
        assert project.labels()["label"].tolist() == ["0", "1", "2", "3", "4"]
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "0 new items, 1797 in the project" in text
    assert "refused: task 'digit' has no class 'ten'" in text


def _run(name, tmp_path):
    path = next(p for p in NOTEBOOKS if p.name == name)
    shutil.copy(path, tmp_path / name)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": tmp_path}}).execute()  # fmt: skip
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_active_learning_notebook_margin_beats_random(tmp_path):
    import re

    text = _run("active_learning.ipynb", tmp_path)
    found = re.search(r"labels to 95% accuracy: margin (\d+) random (\d+)", text)
    assert found, text[-2000:]
    assert int(found[1]) < int(found[2])
    import workbench as wb

    with wb.Project(tmp_path / "active_learning.db") as project:
        # The step-mode round: 20 seed labels written from code, then the next batch of 10.
        assert len(project.labels()) == 20


def test_audit_notebook_finds_and_fixes_flipped_labels(tmp_path):
    import re

    text = _run("audit.ipynb", tmp_path)
    f1 = re.search(r"F1 ([0-9.]+)", text)
    before_after = re.search(r"before review: ([0-9.]+), after: ([0-9.]+)", text)
    assert f1 and before_after, text[-2000:]
    assert float(f1[1]) >= 0.8
    assert float(before_after[2]) > float(before_after[1]) + 0.05


def test_detection_notebook_prelabels_and_round_trips_every_shape(tmp_path):
    import re

    pytest.importorskip("skimage")
    text = _run("detection.ipynb", tmp_path)
    coins = re.search(r"coins pre-labeled: (\d+), mean score ([0-9.]+)", text)
    trip = re.search(
        r"round trip: (\d+) shapes, (\d+) back, max coordinate difference (\S+) px, "
        r"(\d+) mask pixels differ, (\d+) fields differ",
        text,
    )
    exported = re.search(r"exported: +(\{.*\})", text)
    read_back = re.search(r"read back: (\{.*\})", text)
    assert coins and trip and exported and read_back, text[-2000:]
    assert int(coins[1]) >= 15 and float(coins[2]) >= 0.9  # most of the 24 coins, round
    # Six shapes drawn from code, one mask per coin accepted; all of them back from COCO.
    assert int(trip[1]) == int(trip[2]) == 6 + int(coins[1])
    assert (float(trip[3]), int(trip[4]), int(trip[5])) == (0.0, 0, 0)
    assert exported[1] == read_back[1]
    assert "'box': 3, 'keypoints': 1" in exported[1] and "'polygon': 1" in exported[1]
    import workbench as wb

    with wb.Project(tmp_path / "detection.db") as project:
        events = project.events()
        pre = events[events["kind"] == "prelabel"]
        assert pre["annotator"].tolist() == ["model:find_coins@1"]
        assert sorted(project.labels()["item_id"]) == [
            "astronaut", "camera", "chelsea", "coffee", "coins",
        ]  # fmt: skip
