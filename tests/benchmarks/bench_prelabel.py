"""Pre-labeling throughput: workbench's ``prelabel`` against a plain torch loop.

Run ``python tests/benchmarks/bench_prelabel.py [--quick] [--device cpu|cuda|auto]
[--items N]`` (or ``python -m tests.benchmarks bench_prelabel``). Each figure is one
JSON line ``{"name", "value", "unit", "baseline", "ratio", ...}``; progress goes to
stderr.

The model is a small CNN (three 3×3 conv layers with 16, 32 and 64 channels, max
pooling, global average pooling, a linear layer to 10 classes) on 64×64 grey
images: N random ``uint8`` arrays (3,000; ``--quick``: 500) added to a SQLite
project with ``add_arrays``, so items are rows of a memory-mapped ``.npy``.

``prelabel.items_per_s``
    ``project.prelabel(cnn, batch_size=256, device="cpu")``: items read from the
    store, batched by the DataLoader, the model run under ``inference_mode``, the
    probabilities written to their memory-mapped file and N ``prelabel`` events
    appended (SQLite ``synchronous=FULL``). Baseline: the same model in a plain
    loop, ``softmax(model(x))`` over the same images already stacked into
    float32 tensor batches of 256 in memory, outputs kept as numpy arrays; no
    store, no events. ``ratio`` = value / baseline: the share of the bare model's
    speed that workbench keeps (1 = no overhead).
``prelabel.items_per_s_no_events``
    The same with ``write_events=False`` (probabilities file only): separates the
    cost of the event log from that of reading and batching items.
``prelabel.items_per_s_cuda``
    On CUDA (when available, or with ``--device cuda``): both sides with
    bfloat16/float16 autocast, the baseline copying each stacked batch to the
    GPU and its probabilities back, as a plain loop must.

Both sides use the same number of torch threads, 1 on the CPU (stated in the
``threads`` field). Timings are the best of 2 runs after an
untimed warm-up over two batches each, the runs interleaved so that all see the same
load on a shared machine. ``cpu_s`` / ``baseline_cpu_s`` give the best process
CPU seconds of each side and ``cpu_ratio`` baseline / workbench (read like
``ratio``): steadier than wall time on a shared machine; with one thread on the
CPU both count the same work, though not the time spent waiting for fsync.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

if __package__ in (None, ""):  # run as a file: make `workbench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

BATCH = 256
#: Batches each side's untimed warm-up runs over.
WARM_BATCHES = 2
SIDE = 64
CLASSES = [str(i) for i in range(10)]


def small_cnn():
    import torch

    torch.manual_seed(0)
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip


def plain_loop(model, batches, device) -> None:
    """The reference: the bare model over pre-stacked batches, probabilities to numpy."""
    import torch

    amp = device.type == "cuda"
    dtype = torch.bfloat16 if amp and torch.cuda.is_bf16_supported() else torch.float16
    with torch.inference_mode():
        for xb in batches:
            xb = xb.to(device, non_blocking=True)
            if amp:
                with torch.autocast("cuda", dtype=dtype):
                    out = model(xb)
            else:
                out = model(xb)
            torch.softmax(out.float(), dim=1).cpu().numpy()


def best_of(
    fns: dict[str, object], repeats: int, warm: dict[str, object]
) -> dict[str, tuple[float, float]]:
    """Best wall and best CPU time of each function, run interleaved so that all see
    the same machine load, after each one's ``warm`` function (the same path on
    fewer items: the allocator, the kernels and the file cache warmed, not timed)."""
    for key in fns:
        warm[key]()
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            times[key].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in times.items()}


def emit(name: str, value: float, unit: str, baseline: float, **extra) -> None:
    rec = {"name": name, "value": _sig(value), "unit": unit, "baseline": _sig(baseline),
           "ratio": _sig(value / baseline) if baseline else None, **extra}  # fmt: skip
    print(json.dumps(rec), flush=True)


def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def measure(project, images: np.ndarray, device_name: str, repeats: int) -> None:
    import torch

    device = torch.device(device_name)
    model = small_cnn().to(device).eval()
    n = len(images)
    stacked = torch.from_numpy(images.astype(np.float32))[:, None]
    batches = list(torch.split(stacked, BATCH))
    if device.type == "cuda":
        batches = [b.pin_memory() for b in batches]
    suffix = "" if device.type == "cpu" else f"_{device.type}"
    common = {
        "device": str(device), "threads": torch.get_num_threads(), "items": n,
        "batch_size": BATCH, "image": f"{SIDE}x{SIDE}", "sqlite_synchronous": "FULL",
    }  # fmt: skip

    warm_ids = project.item_ids()[: WARM_BATCHES * BATCH]

    def run(events: bool, ids=None):
        return lambda: project.prelabel(model, batch_size=BATCH, device=device_name,
                                        progress=False, write_events=events, ids=ids)  # fmt: skip

    print(f"# plain torch loop and workbench prelabel on {device}", file=sys.stderr, flush=True)
    best = best_of(
        {"baseline": lambda: plain_loop(model, batches, device), "events": run(True),
         "no_events": run(False)},
        repeats,
        {"baseline": lambda: plain_loop(model, batches[:WARM_BATCHES], device),
         "events": run(True, warm_ids), "no_events": run(False, warm_ids)},
    )  # fmt: skip
    base_wall, base_cpu = best["baseline"]
    for key in ("events", "no_events"):
        name = "prelabel.items_per_s" + ("" if key == "events" else "_no_events") + suffix
        wall, cpu = best[key]
        # CPU seconds of this process as well: steadier than wall time on a shared machine.
        emit(name, n / wall, "items/s", n / base_wall, cpu_s=_sig(cpu),
             baseline_cpu_s=_sig(base_cpu), cpu_ratio=_sig(base_cpu / cpu), **common)  # fmt: skip


def main(argv: list[str]) -> None:
    import torch

    import workbench as wb

    quick = "--quick" in argv
    device = argv[argv.index("--device") + 1] if "--device" in argv else "auto"
    n = int(argv[argv.index("--items") + 1]) if "--items" in argv else (500 if quick else 3000)
    repeats = 2
    torch.set_num_threads(1)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"--device {device}: CUDA is not available on this machine")
    devices = ["cpu"] if device in ("auto", "cpu") else [device]
    if device == "auto" and torch.cuda.is_available():
        devices.append("cuda")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, SIDE, SIDE), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        project = wb.Project(
            Path(tmp) / "bench.db", schema=wb.Schema.classification("label", CLASSES)
        )
        project.add_arrays(images)
        try:
            for dev in devices:
                measure(project, images, dev, repeats)
        finally:
            project.close()


if __name__ == "__main__":
    main(sys.argv[1:])
