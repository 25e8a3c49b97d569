"""Every notebook in notebooks/ runs top to bottom in a fresh kernel."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
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
