"""The package's import graph has no cycles, counting imports made inside functions
(``make lint`` checks the layers in .importlinter; this holds even where lint is skipped)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_graph():
    spec = importlib.util.spec_from_file_location(
        "import_graph", ROOT / "tools" / "import_graph.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("import_graph", module)
    spec.loader.exec_module(module)
    return module


def test_no_import_cycles_counting_function_imports():
    report = _import_graph().report(ROOT / "workbench")
    assert report["modules"] > 40  # the whole package was read
    assert report["cycle_modules"] == []


def test_the_core_and_the_kinds_import_nothing_above_them():
    lines, found = _import_graph().edges(ROOT / "workbench")
    above_core = ("workbench.project", "workbench.stream", "workbench.team", "workbench.widgets",
                  "workbench.kinds", "workbench.ml", "workbench.audit", "workbench.prelabel",
                  "workbench.agreement", "workbench.formats", "workbench.loop",
                  "workbench.dashboards", "workbench.server")  # fmt: skip
    core = ("workbench.schema", "workbench.store", "workbench.items", "workbench.errors")
    bad = [
        (a, b) for a, b, where in found
        if where != "typing" and a.startswith(core) and b.startswith(above_core)
    ]  # fmt: skip
    assert bad == []
    kinds = ("workbench.kinds.classification", "workbench.kinds.shapes")
    across = [
        (a, b) for a, b, where in found
        if where != "typing" and any(a.startswith(k) and b.startswith(kinds) and not b.startswith(k)
                                     for k in kinds)
    ]  # fmt: skip
    assert across == []
    upward = [
        (a, b) for a, b, where in found
        if where != "typing" and a.startswith(("workbench.kinds", "workbench.ml"))
        and b.startswith(("workbench.project", "workbench.stream", "workbench.team",
                          "workbench.widgets", "workbench.audit", "workbench.prelabel",
                          "workbench.agreement", "workbench.formats", "workbench.loop",
                          "workbench.dashboards", "workbench.server"))
    ]  # fmt: skip
    assert upward == []
    ml_to_kinds = [(a, b) for a, b, w in found if w != "typing" and a.startswith("workbench.ml")
                   and b.startswith("workbench.kinds")]  # fmt: skip
    assert ml_to_kinds == []


def test_a_cycle_through_a_function_import_is_found(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from .high import g\n    return g\n")
    (package / "high.py").write_text("from . import low\n\ng = low\n")
    assert _import_graph().report(package)["cycle_modules"] == [["pkg.high", "pkg.low"]]
