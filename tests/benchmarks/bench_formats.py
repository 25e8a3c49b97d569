"""Format benchmarks: COCO export of a large Shapes project.

Run ``python tests/benchmarks/bench_formats.py [--quick]`` (or ``python -m
tests.benchmarks bench_formats``). Each figure is one JSON line:
``{"name", "value", "unit", "baseline", "ratio", ...}``; progress goes to stderr.

``formats.coco_export_s``
    :func:`workbench.formats.to_coco` with ``path=`` on a project of 10,000
    images (640 × 480 JPEG files added by path) holding 100,000 shapes, 10 an
    image: 6 boxes, 3 polygons of 8 to 24 vertices and 1 RLE mask, labeled
    through ``Store.append`` (SQLite, ``synchronous=FULL``; the export only
    reads). The export reads the current labels from the store, each image's
    size (from its header), computes every annotation's bbox and area and
    writes the JSON file. Baseline: ``json.dumps`` of the very same finished
    COCO dict and writing it to the same disk: the floor any exporter that
    writes this file pays.

Timings are the best of 3 runs after a warm-up export, or of fewer once a
side's runs took 8 s in all (one export of 10,000 images); numpy on 1 thread.
The image files are the same JPEG bytes under 10,000 names, written once and
warm in the page cache. ``--quick`` uses 200 images to check that it runs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported

import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

if __package__ in (None, ""):  # run as a file: make `tests` and `workbench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import workbench as wb  # noqa: E402
from tests.benchmarks.report import best_of, emit, log  # noqa: E402
from workbench import masks  # noqa: E402
from workbench.formats import to_coco  # noqa: E402

W, H = 640, 480
SHAPES_PER_IMAGE = (6, 3, 1)  # boxes, polygons, masks
REPEATS = 3
ENOUGH_S = 8.0


# -- data ---------------------------------------------------------------------------------
def jpeg_bytes(rng: np.random.Generator) -> bytes:
    """A 640 × 480 photo-like JPEG: smooth gradients plus noise."""
    yy, xx = np.mgrid[0:H, 0:W]
    base = np.stack([xx * 255 / W, yy * 255 / H, (xx + yy) * 255 / (W + H)], axis=-1)
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def mask_templates(rng: np.random.Generator, n: int = 16) -> list[dict]:
    """RLEs of random ellipses, H × W: masks as a segmentation tool would store them."""
    yy, xx = np.mgrid[0:H, 0:W]
    out = []
    for _ in range(n):
        cx, cy = rng.uniform(80, W - 80), rng.uniform(80, H - 80)
        ax, ay = rng.uniform(20, 80), rng.uniform(20, 80)
        out.append(masks.encode(((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 <= 1))
    return out


def image_shapes(rng: np.random.Generator, templates: list[dict]) -> list[dict]:
    n_box, n_poly, n_mask = SHAPES_PER_IMAGE
    shapes: list[dict] = []
    for _ in range(n_box):
        x, y = rng.uniform(0, W - 50), rng.uniform(0, H - 50)
        w, h = rng.uniform(5, 50), rng.uniform(5, 50)
        shapes.append({"type": "box", "class": "car", "bbox": [x, y, w, h]})
    for _ in range(n_poly):
        k = int(rng.integers(8, 25))
        angles = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = rng.uniform(10, 40, k)
        cx, cy = rng.uniform(40, W - 40), rng.uniform(40, H - 40)
        pts = np.stack([cx + r * np.cos(angles), cy + r * np.sin(angles)], axis=1)
        shapes.append({"type": "polygon", "class": "road", "points": pts.tolist()})
    for _ in range(n_mask):
        rle = templates[int(rng.integers(len(templates)))]
        shapes.append({"type": "mask", "class": "person", "rle": rle})
    return shapes


def build(root: Path, n_images: int) -> wb.Project:
    rng = np.random.default_rng(0)
    data = jpeg_bytes(rng)
    folder = root / "images"
    folder.mkdir()
    paths = []
    for k in range(n_images):
        p = folder / f"{k:06d}.jpg"
        p.write_bytes(data)
        paths.append(str(p))
    schema = wb.Schema((wb.Shapes("objects", classes=["car", "person", "road"]),))
    project = wb.Project(root / "bench.db", schema=schema, annotator="bench")
    project.add_uris(paths)
    templates = mask_templates(rng)
    ids = project.item_ids()
    for lo in range(0, len(ids), 1000):
        events = [project.make_event(i, image_shapes(rng, templates)) for i in ids[lo : lo + 1000]]
        project.store.append(events)
    return project


# -- measuring ----------------------------------------------------------------------------
def bench_coco_export(quick: bool) -> None:
    n_images = 200 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="wb-bench-formats-") as d:
        root = Path(d)
        t0 = time.perf_counter()
        project = build(root, n_images)
        log(f"built {n_images} images, {n_images * sum(SHAPES_PER_IMAGE)} shapes "
            f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        with project:
            out_path, floor_path = root / "export.json", root / "floor.json"
            coco = to_coco(project, path=out_path)  # warm: page cache, reader
            n_ann = len(coco["annotations"])

            def floor() -> None:
                floor_path.write_text(json.dumps(coco), encoding="utf-8")

            # Best of up to REPEATS, fewer once a side spent ENOUGH_S in its runs
            # (an export of seconds is far above its noise).
            best_ours = best_of(REPEATS, lambda: to_coco(project, path=out_path),
                                enough_s=ENOUGH_S)  # fmt: skip
            best_floor = best_of(REPEATS, floor, enough_s=ENOUGH_S)
            log(f"  to_coco best {best_ours:.3f} s, floor best {best_floor:.3f} s")
            size_mb = out_path.stat().st_size / 2**20
    emit(
        "formats.coco_export_s",
        best_ours,
        "s",
        best_floor,
        annotations=n_ann,
        images=n_images,
        shapes_per_image={"box": 6, "polygon": 3, "mask": 1},
        image="640x480 JPEG files",
        file_mb=round(size_mb, 1),
        baseline_is="json.dumps + write of the same finished COCO dict",
        repeats=REPEATS,
        enough_s=ENOUGH_S,
    )


def main(argv: list[str]) -> None:
    bench_coco_export("--quick" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
