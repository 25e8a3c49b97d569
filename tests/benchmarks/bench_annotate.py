"""AnnotateWidget in a real JupyterLab and headless Chromium: frame time while panning
and zooming a crowded image, and key-to-paint time of the next item with its shapes.

``python -m tests.benchmarks bench_annotate [--quick]``

- ``annotate.frame_ms.p95``: a 4096 × 4096 image with 1,000 polygons of 20
  vertices each. Real wheel and drag events zoom and pan it; the widget records
  for each painted frame the time its paint took (``wbAnnotate.frames()``).
  Baseline, same run and browser: the same image with no shapes.
- ``annotate.frame_latency_ms.p95``: from the input event to the end of the
  paint that shows it (``wbAnnotate.latencies()``), which adds the wait for the
  next animation frame; same baseline.
- ``annotate.open_item_ms.p95``: 2048 × 2048 images with 200 shapes each (a
  model's suggestions); Enter moves to the next item and the time from the
  keydown to the frame that shows the new image with its shapes is recorded
  (``wbAnnotate.paints()``). Baseline: the same with ``prefetch=0``, where each
  item is asked of the kernel after the key.

Prints one JSON line per figure: ``{"name", "value", "unit", "baseline", "ratio"}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench_widget import percentile  # noqa: E402
from tests.benchmarks.lab import Lab, lab  # noqa: E402
from tests.browser.harness import LabPage, chromium_path, wait_for  # noqa: E402
from tests.browser.views import AnnotateView  # noqa: E402

_SETUP = """
import numpy as np
from pathlib import Path
from PIL import Image
import workbench as wb
DB = Path({db!r})
N, SIDE, SHAPES, VERTS = {n}, {side}, {shapes}, {verts}
folder = DB.parent / f'images-{{SIDE}}'  # the same images for each side's runs: made once
folder.mkdir(exist_ok=True)
yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) / SIDE
IDS = [f'item-{{i:04d}}' for i in range(N)]
for i, iid in enumerate(IDS):
    if (folder / f'{{iid}}.jpg').exists():
        continue
    rgb = np.stack([np.sin(xx * (9 + i)) , np.cos(yy * 7), np.sin((xx + yy) * 5)], -1)
    Image.fromarray(((rgb + 1) * 127).astype(np.uint8)).save(folder / f'{{iid}}.jpg', quality=85)
schema = wb.Schema((wb.Shapes('objects', classes=['a', 'b', 'c', 'd']),))
project = wb.Project(DB, schema=schema, annotator='bench')
project.add_uris([str(folder / f'{{i}}.jpg') for i in IDS], ids=IDS)
rng = np.random.default_rng(0)
def polygons(k):
    out = []
    for j in range(k):
        cx, cy = rng.uniform(0.05, 0.95, 2) * SIDE
        r = rng.uniform(0.005, 0.03) * SIDE * (1 + 0.3 * rng.uniform(-1, 1, VERTS))
        t = np.sort(rng.uniform(0, 2 * np.pi, VERTS))
        pts = np.c_[cx + r * np.cos(t), cy + r * np.sin(t)].clip(0, SIDE)
        out.append({{'type': 'polygon', 'class': 'abcd'[j % 4], 'points': pts.tolist(),
                    'id': f's{{j}}', 'score': 0.5}})
    return out
if SHAPES and not project.store.prelabels('objects', IDS[:1]):
    project.add_prelabels({{iid: polygons(SHAPES) for iid in IDS}}, model='bench', task='objects')
len(project)
"""


def _cells(db: Path, *, n: int, side: int, shapes: int, verts: int, prefetch: int,
           as_labels: bool) -> list[str]:  # fmt: skip
    setup = _SETUP.format(db=str(db), n=n, side=side, shapes=shapes, verts=verts)
    if as_labels:  # the shapes as the item's own label (drawn as shapes, not suggestions)
        setup += (
            "\nif SHAPES and not len(project.labels('objects')):"
            "\n    for iid in IDS: project.label(iid, polygons(SHAPES), task='objects')"
        )
    # Labeled items are not in the queue of unlabeled ones: review them in order instead.
    serve = "issues=IDS" if as_labels else "order=IDS"
    widget = f"w = project.annotate(prefetch={prefetch}, max_size={side}, {serve})\nw"
    return [setup, widget]


def _open(lb: Lab, name: str, cells: list[str]) -> tuple[LabPage, AnnotateView]:
    lp = lb.open(name, cells)
    view = AnnotateView(lp)
    lp.run_all()
    view.wait_ready(timeout=180)
    view.scroll_into_view()
    view.focus()
    return lp, view


def frames(lb: Lab, *, shapes: int, steps: int) -> dict[str, list]:
    """Zoom in and out at the pointer and pan, ``steps`` input events each way."""
    name = f"frames_{shapes}_{int(time.time() * 1000)}"
    db = lb.notebooks / f"{name}.db"
    cells = _cells(db, n=1, side=4096, shapes=shapes, verts=20, prefetch=1, as_labels=True)
    lp, view = _open(lb, name, cells)
    try:
        if shapes:
            wait_for(lambda: len(view.shapes()) == shapes, timeout=60, what=f"{shapes} shapes")
        page = lp.page
        time.sleep(1.0)
        view.hook("h.resetTimings()")
        x, y = view.client(2048, 2048)
        page.mouse.move(x, y)
        for i in range(steps):  # zoom in, then out, around moving points
            page.mouse.move(x + (i % 7) * 9, y + (i % 5) * 7)
            page.mouse.wheel(0, -120 if i < steps // 2 else 120)
            page.wait_for_timeout(16)
        view.hook("h.setTool && h.setTool('select')")
        page.keyboard.press("v")
        page.mouse.move(x, y)
        page.mouse.down(button="middle")
        for i in range(steps):  # pan in a circle
            page.mouse.move(x + 150 * (i % 13) / 13, y + 100 * (i % 11) / 11)
            page.wait_for_timeout(16)
        page.mouse.up(button="middle")
        time.sleep(0.5)
        return {"frames": view.hook("h.frames()"), "latencies": view.hook("h.latencies()")}
    finally:
        lb.done(lp, name)


def open_items(lb: Lab, *, prefetch: int, n: int) -> list[float]:
    """Press Enter through ``n`` items of 200 suggested shapes; key-to-paint ms each."""
    name = f"open_{prefetch}_{int(time.time() * 1000)}"
    db = lb.notebooks / f"{name}.db"
    cells = _cells(db, n=n + 4, side=2048, shapes=200, verts=12, prefetch=prefetch,
                   as_labels=False)  # fmt: skip
    lp, view = _open(lb, name, cells)
    try:
        time.sleep(2.0 if prefetch else 0.5)  # let the queue fill, as a user looks at the item
        view.hook("h.resetTimings()")
        for i in range(n):
            shown = view.state().get("itemId")
            lp.page.keyboard.press("Enter")
            wait_for(lambda s=shown: view.state().get("itemId") != s, timeout=30,
                     what=f"item {i + 1}")  # fmt: skip
            time.sleep(0.4)  # a human pace: the queue tops up between items
        wait_for(lambda: len(view.hook("h.paints()")) >= n, timeout=30, what=f"{n} paints")
        return [float(v) for v in view.hook("h.paints()")[:n]]
    finally:
        lb.done(lp, name)


def _line(name: str, value: float, baseline: float, unit: str = "ms") -> None:
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit,
                      "baseline": round(baseline, 2),
                      "ratio": round(value / baseline, 4) if baseline else None}),
          flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events and items")
    args, _ = parser.parse_known_args(argv)
    steps, n_items = (40, 10) if args.quick else (120, 30)
    if chromium_path() is None:
        print("# bench_annotate: Chromium not found; skipped", file=sys.stderr)
        return 0
    with lab() as lb:
        crowded = frames(lb, shapes=1000, steps=steps)
        bare = frames(lb, shapes=0, steps=steps)
        queued = open_items(lb, prefetch=4, n=n_items)
        direct = open_items(lb, prefetch=0, n=n_items)

    for key, name in (("frames", "annotate.frame_ms"), ("latencies", "annotate.frame_latency_ms")):
        a, b = crowded[key], bare[key]
        print(f"# {name}: n={len(a)} (bare {len(b)}) p50={percentile(a, 50):.1f} "
              f"max={max(a):.1f}", file=sys.stderr)  # fmt: skip
        _line(f"{name}.p95", percentile(a, 95), percentile(b, 95))
    print(
        f"# open_item: n={len(queued)} p50={percentile(queued, 50):.1f} "
        f"max={max(queued):.1f}; prefetch=0 p50={percentile(direct, 50):.1f}",
        file=sys.stderr,
    )
    _line("annotate.open_item_ms.p50", percentile(queued, 50), percentile(direct, 50))
    _line("annotate.open_item_ms.p95", percentile(queued, 95), percentile(direct, 95))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
