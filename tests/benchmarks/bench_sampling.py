"""Acquisition function benchmarks: uncertainty top-k over a large pool.

Run ``python tests/benchmarks/bench_sampling.py [--quick]`` (or
``python -m tests.benchmarks bench_sampling``). Each figure is one JSON line:
``{"name", "value", "unit", "baseline", "ratio"}``; progress goes to stderr.

Figures, on 10,000,000 × 10 float32 probabilities (rows sum to 1) held in
memory, each selecting the top 1,000:

``sampling.{least_confidence,margin,entropy}_1e7x10_ms``
    The strategy on the ``N × K`` (row-major) array, validation included.
    Baseline: one plain ``np.sum`` over the same array. Target for margin:
    at most 3× the baseline.
``…_classmajor_ms``
    The same on the ``K × N`` copy (``class_major=True``). Same baseline.
``sampling.margin_naive_1e7x10_ms``
    The strategy against the obvious numpy way (``np.sort`` each row, take
    the margin, ``argpartition`` the top 1,000), reported as baseline.

Both sides run on 1 thread (threadpoolctl, and the thread variables set
before numpy is imported); timings are best of 5 on warm arrays.
``--quick`` uses 200,000 rows to check that everything runs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from contextlib import nullcontext  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

if __package__ in (None, ""):  # run as a file: make `workbench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from workbench import sampling  # noqa: E402

K_TOP = 1000
CLASSES = 10


def best_ms(fn: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def emit(name: str, value: float, baseline: float, unit: str = "ms", **extra: object) -> None:
    row = {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2),
        "ratio": round(value / baseline, 3),
    }
    row.update(extra)
    print(json.dumps(row), flush=True)


def naive_margin(p: np.ndarray, k: int) -> np.ndarray:
    s = np.sort(p, axis=1)
    m = s[:, -1] - s[:, -2]
    top = np.argpartition(m, k - 1)[:k]
    return top[np.lexsort((top, m[top]))]


def one_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(1)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = 200_000 if quick else 10_000_000
    tag = "2e5x10" if quick else "1e7x10"
    print(f"# sampling: {n:,} × {CLASSES} float32, top {K_TOP}", file=sys.stderr, flush=True)
    rng = np.random.default_rng(0)
    probs = rng.random((n, CLASSES), dtype=np.float32)
    probs /= probs.sum(axis=1, keepdims=True)
    cm = sampling.to_class_major(probs)
    with one_thread():
        base = best_ms(lambda: probs.sum())
        row_major: dict[str, float] = {}
        for name in ("least_confidence", "margin", "entropy"):
            fn = sampling.get(name)
            fn(probs[:1000], k=10)  # warm up
            row_major[name] = best_ms(lambda fn=fn: fn(probs, k=K_TOP))
            emit(f"sampling.{name}_{tag}_ms", row_major[name], base)
            emit(
                f"sampling.{name}_{tag}_classmajor_ms",
                best_ms(lambda fn=fn: fn(cm, k=K_TOP, class_major=True)),
                base,
            )
        got = sampling.margin(probs, k=K_TOP).indices
        # The check's own call of the naive reference is its first timed run (seconds at
        # 1e7 rows), and margin's time is the one measured above on the same array.
        t0 = time.perf_counter()
        naive = naive_margin(probs, K_TOP)
        first_ms = (time.perf_counter() - t0) * 1e3
        if not np.array_equal(got, naive):
            raise AssertionError("margin differs from the naive reference")
        emit(
            f"sampling.margin_naive_{tag}_ms",
            row_major["margin"],
            min(
                first_ms, best_ms(lambda: naive_margin(probs, K_TOP), repeats=1 if not quick else 4)
            ),
            baseline_is="np.sort per row + argpartition",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
