"""The documentation site builds with ``mkdocs build --strict`` (what ``make docs`` runs):
no warning, the API reference generated from the docstrings, every notebook a page."""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# A notebook, a server or a build: left out of `make test-quick`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GUIDES = ("getting-started", "formats", "hosts", "security", "maintainers")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return out, proc


def _page(out: Path, name: str) -> str:
    path = out / name / "index.html" if name else out / "index.html"
    assert path.is_file(), f"{path.relative_to(out)} was not built"
    return path.read_text(encoding="utf-8")


def _words(text: str) -> str:
    """The page's text as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def test_build_is_strict_and_clean(site):
    _, proc = site
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    problems = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not problems, "\n".join(problems)


def test_home_guides_and_nav(site):
    out, _ = site
    home = _page(out, "")
    assert "pip install label-workbench" in _words(home)
    for guide in GUIDES:
        _page(out, guide)
        assert f'href="{guide}/"' in home  # in the nav of every page


def test_every_notebook_is_a_page_with_its_code(site):
    out, _ = site
    assert NOTEBOOKS
    for path in NOTEBOOKS:
        text = _words(_page(out, f"notebooks/{path.stem}"))
        nb = json.loads(path.read_text(encoding="utf-8"))
        for kind in ("markdown", "code"):  # the first cell of each kind, shown as it is stored
            cell = next(c for c in nb["cells"] if c["cell_type"] == kind and "".join(c["source"]))
            line = next(ln for ln in "".join(cell["source"]).splitlines() if ln.strip())
            if kind == "markdown":
                line = line.lstrip("#")
            assert " ".join(line.split()) in text, (path.name, line)


@pytest.mark.parametrize(
    ("page", "ids"),
    [
        ("api/project", ["workbench.Project", "workbench.Project.add_arrays",
                         "workbench.Project.labels", "workbench.Project.classify"]),
        ("api/schema", ["workbench.Schema", "workbench.LabelClass", "workbench.Shapes"]),
        ("api/team", ["workbench.team.Team", "workbench.team.Team.setup"]),
        ("api/audit", ["workbench.audit.find_label_issues", "workbench.audit.consensus"]),
        ("api/loop", ["workbench.loop.ActiveLearningLoop"]),
        ("api/sampling", ["workbench.ml.sampling.margin"]),
        ("api/train", ["workbench.ml.train.fit"]),
        ("api/prelabel", ["workbench.prelabel.prelabel", "workbench.Predictions"]),
        ("api/formats", ["workbench.kinds.shapes.formats.coco.to_coco",
                         "workbench.kinds.shapes.formats.yolo.from_yolo",
                         "workbench.kinds.shapes.formats.voc.to_voc"]),
        ("api/store", ["workbench.store.Store", "workbench.store.open_store"]),
        ("api/errors", ["workbench.errors.WorkbenchError", "workbench.errors.SchemaError"]),
    ],
)  # fmt: skip
def test_api_reference_from_docstrings(site, page, ids):
    out, _ = site
    text = _page(out, page)
    for anchor in ids:
        assert f'id="{anchor}"' in text, anchor


def test_project_docstring_is_rendered(site):
    import workbench as wb

    out, _ = site
    text = _page(out, "api/project")
    # the summary line of a method, from its docstring, whatever it says today
    summary = (wb.Project.add_arrays.__doc__ or "").strip().splitlines()[0]
    words = [w for w in summary.split() if w.isalpha()][:3]
    assert words and all(w in text for w in words)
    # numpy-style sections are parsed, not shown as text
    assert '<span class="doc-section-title">Parameters:' in text
    assert "----------" not in _words(text)


def test_sphinx_roles_become_links(site):
    out, _ = site
    texts = [p.read_text(encoding="utf-8") for p in (out / "api").rglob("index.html")]
    assert texts
    for text in texts:
        for role in (":class:<code>", ":meth:<code>", ":func:<code>", ":attr:<code>"):
            assert role not in text
    assert any('class="autorefs autorefs-internal"' in t for t in texts)


def test_rst_tables_in_docstrings_become_tables(site):
    out, _ = site
    for page in ("api/formats", "api/schema", "api/agreement"):
        text = _page(out, page)
        assert "=====" not in _words(text), page
    assert "<table>" in _page(out, "api/formats")


def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def test_rst_literal_block_marker():
    marker = _hooks()._literal_marker
    assert marker(["runs it once::", "", "    code()"], 0) == "runs it once:"
    assert marker(["runs it once ::", "", "    code()"], 0) == "runs it once"
    assert marker(["::", "", "    code()"], 0) == ""
    assert marker(["a[::", "b"], 0) == "a[::"  # no indented block follows: left alone


def test_rst_table_rows_and_continuations():
    rst_table = _hooks().rst_table
    table = [
        "  =====  ==========",
        "  box    ``bbox``, a",
        "         rectangle",
        "  mask   RLE (counts,",
        "  more   size)",
        "  geo,   by type:",
        "  metry  - box: x",
        "  =====  ==========",
    ]
    lines = [ln.strip() for ln in rst_table(table) if ln.strip()]
    assert lines[2:] == [
        "| box | ``bbox``, a rectangle |",
        "| mask more | RLE (counts, size) |",
        "| geo, metry | by type:<br>- box: x |",
    ]
