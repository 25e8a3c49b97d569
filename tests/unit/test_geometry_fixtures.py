"""tests/js/fixtures/geometry.json (what the front end's geometry and RLE code
must reproduce) is what tools/make_geometry_fixtures.py writes today."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "make_geometry_fixtures.py"
FIXTURE = ROOT / "tests" / "js" / "fixtures" / "geometry.json"
HOW = "run `python tools/make_geometry_fixtures.py` and commit tests/js/fixtures/geometry.json"


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("make_geometry_fixtures", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    """Where two JSON values differ; floats may differ by rounding (BLAS sums)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return None if a is b else f"{path}: {a!r} != {b!r}"
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        ok = a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
        return None if ok else f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            d = _first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} entries != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def test_fixture_is_current():
    assert FIXTURE.exists(), f"{FIXTURE.relative_to(ROOT)} is missing: {HOW}"
    committed = json.loads(FIXTURE.read_text(encoding="utf-8"))
    tool = _tool()
    fresh = json.loads(tool.dumps(tool.fixtures()))
    diff = _first_difference(fresh, committed)
    assert diff is None, f"geometry fixture is stale ({diff}): {HOW}"


def test_fixture_is_small_and_covers_the_cases():
    assert FIXTURE.stat().st_size < 200_000
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    inside = [v for p in data["polygons"] for v in p["inside"]]
    assert 0.2 < sum(inside) / len(inside) < 0.8, "queries should hit both sides"
    areas = [m["area"] for m in data["masks"]]
    sizes = [m["size"][0] * m["size"][1] for m in data["masks"]]
    assert 0 in sizes and any(a == s > 0 for a, s in zip(areas, sizes, strict=True))
    assert any(a == 0 < s for a, s in zip(areas, sizes, strict=True))
