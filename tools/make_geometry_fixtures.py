"""Writes tests/js/fixtures/geometry.json: answers of workbench.geometry and
workbench.masks that the front end's widgets/lib/geometry.ts and rle.ts must
reproduce (tests/js/geometry.test.mjs, tests/js/rle.test.mjs).

    python tools/make_geometry_fixtures.py

Seeded, so the file only changes when this script or the Python reference
does; tests/unit/test_geometry_fixtures.py fails when the committed file is
stale. Inputs come from :class:`random.Random` (its stream is stable across
Python versions), the answers from workbench.
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

from workbench import geometry, masks

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "js" / "fixtures" / "geometry.json"
SEED = 20240605


def _round(v: float) -> float:
    return round(v, 3)


def _star_polygon(rng: random.Random, n: int) -> list[list[float]]:
    """A simple polygon, concave in general: sorted angles, random radii."""
    cx, cy = rng.uniform(-50, 150), rng.uniform(-50, 150)
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    pts = []
    for a in angles:
        r = rng.uniform(5, 60)
        pts.append([_round(cx + r * math.cos(a)), _round(cy + r * math.sin(a))])
    return pts


def _polygons(rng: random.Random) -> list[dict[str, Any]]:
    polys: list[list[list[float]]] = []
    for n in (3, 4, 5, 6, 8, 12, 20):
        polys.append(_star_polygon(rng, n))
        polys.append(_star_polygon(rng, n))
    # Self-intersecting: random vertex order (the even-odd rule still decides).
    for n in (4, 5, 7, 9):
        polys.append([[_round(rng.uniform(0, 100)), _round(rng.uniform(0, 100))] for _ in range(n)])
    # Integer vertices with horizontal and vertical edges, queried at integer
    # points: crossings through vertices, points on edges and corners.
    polys.append([[0, 0], [10, 0], [10, 10], [5, 5], [0, 10]])  # concave notch
    polys.append([[0, 0], [6, 0], [6, 2], [2, 2], [2, 4], [6, 4], [6, 6], [0, 6]])  # E-shape
    polys.append([[2, 0], [4, 2], [2, 4], [0, 2]])  # diamond: vertices on the scanlines
    out = []
    for pts in polys:
        arr = np.asarray(pts, np.float64)
        lo, hi = arr.min(axis=0) - 5, arr.max(axis=0) + 5
        if all(float(v).is_integer() for p in pts for v in p):
            xs = range(int(lo[0]), int(hi[0]) + 1, 1)
            ys = range(int(lo[1]), int(hi[1]) + 1, 1)
            queries = [[float(x), float(y)] for x in xs for y in ys if (x + y) % 2 == 0]
        else:
            queries = [
                [_round(rng.uniform(lo[0], hi[0])), _round(rng.uniform(lo[1], hi[1]))]
                for _ in range(40)
            ]
            queries += [list(map(float, p)) for p in pts[:3]]  # vertices: on the boundary
            a, b = arr[0], arr[1]
            queries.append([float((a[0] + b[0]) / 2), float((a[1] + b[1]) / 2)])
        q = np.asarray(queries, np.float64)
        inside = geometry.point_in_polygon(q[:, 0], q[:, 1], arr)
        out.append(
            {
                "points": pts,
                "area": geometry.polygon_area(arr),
                "queries": queries,
                "inside": [bool(v) for v in inside],
            }
        )
    return out


def _boxes(rng: random.Random) -> list[dict[str, Any]]:
    def box() -> list[float]:
        return [
            _round(rng.uniform(-20, 80)),
            _round(rng.uniform(-20, 80)),
            _round(rng.uniform(0, 60)),
            _round(rng.uniform(0, 60)),
        ]

    pairs = [(box(), box()) for _ in range(60)]
    a = box()
    pairs += [
        (a, a),  # identical
        (a, [a[0] + a[2], a[1], 10.0, 10.0]),  # touching on an edge
        ([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]),  # both empty
        ([0.0, 0.0, 0.0, 5.0], [0.0, 0.0, 5.0, 5.0]),  # one empty
        ([0.0, 0.0, 10.0, 10.0], [2.0, 2.0, 3.0, 3.0]),  # contained
        ([0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 3.0, 3.0]),  # disjoint
    ]
    return [{"a": p, "b": q, "iou": geometry.box_iou(p, q)} for p, q in pairs]


def _bits(mask: np.ndarray) -> str:
    return "".join("1" if v else "0" for v in mask.ravel(order="C"))


def _shift(mask: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """The mask moved by (dx, dy) pixels, what leaves the image dropped."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    ys, xs = slice(max(0, dy), min(h, h + dy)), slice(max(0, dx), min(w, w + dx))
    ys0, xs0 = slice(max(0, -dy), min(h, h - dy)), slice(max(0, -dx), min(w, w - dx))
    out[ys, xs] = mask[ys0, xs0]
    return out


def _masks(rng: random.Random) -> list[dict[str, Any]]:
    cases: list[np.ndarray] = [
        np.zeros((0, 5), np.uint8),
        np.zeros((3, 0), np.uint8),
        np.zeros((1, 1), np.uint8),
        np.ones((1, 1), np.uint8),
        np.zeros((7, 9), np.uint8),
        np.ones((7, 9), np.uint8),
        np.ones((40, 50), np.uint8),
    ]
    for density in (0.02, 0.1, 0.5, 0.9, 0.98):
        for _ in range(3):
            h, w = rng.randint(1, 40), rng.randint(1, 50)
            vals = [1 if rng.random() < density else 0 for _ in range(h * w)]
            cases.append(np.asarray(vals, np.uint8).reshape(h, w))
    for _ in range(8):  # a few rectangles: long runs, runs across columns
        h, w = rng.randint(1, 40), rng.randint(1, 50)
        m = np.zeros((h, w), np.uint8)
        for _ in range(rng.randint(1, 4)):
            y0, x0 = rng.randint(0, h - 1), rng.randint(0, w - 1)
            y1, x1 = rng.randint(y0, h), rng.randint(x0, w)
            m[y0:y1, x0:x1] = rng.randint(0, 1)
        cases.append(m)
    # A column that ends in 1 and the next that starts with 1: one run, two columns.
    cases.append(np.array([[0, 1], [1, 0]], np.uint8))
    out = []
    for m in cases:
        h, w = m.shape
        dx, dy = rng.randint(-w // 2 - 1, w // 2 + 1), rng.randint(-h // 2 - 1, h // 2 + 1)
        out.append(
            {
                "size": [int(h), int(w)],
                "bits": _bits(m),
                "counts": masks.encode(m)["counts"],
                "runs": masks.encode(m, compressed=False)["counts"],
                "area": masks.area(m),
                "bbox": masks.to_bbox(m),
                "shift": [dx, dy],
                "shifted": masks.encode(_shift(m, dx, dy))["counts"],
            }
        )
    return out


def fixtures() -> dict[str, Any]:
    """The fixture content, built from :data:`SEED`."""
    rng = random.Random(SEED)
    return {
        "about": "written by tools/make_geometry_fixtures.py from workbench.geometry and "
        "workbench.masks; do not edit, run the tool",
        "seed": SEED,
        "polygons": _polygons(rng),
        "boxes": _boxes(rng),
        "masks": _masks(rng),
    }


def dumps(data: dict[str, Any]) -> str:
    """JSON with one record per line: small, and diffs stay readable."""
    lines = ["{"]
    keys = list(data)
    for i, key in enumerate(keys):
        end = "," if i < len(keys) - 1 else ""
        value = data[key]
        if isinstance(value, list):
            rows = ",\n".join("  " + json.dumps(v, separators=(",", ":")) for v in value)
            lines.append(f"{json.dumps(key)}: [\n{rows}\n]{end}")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value)}{end}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(dumps(fixtures()), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
