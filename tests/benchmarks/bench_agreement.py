"""Agreement benchmark: Krippendorff's alpha against the ``krippendorff`` package, same data.

Run ``python tests/benchmarks/bench_agreement.py [--quick]`` (or ``python -m
tests.benchmarks bench_agreement``). Each figure is one JSON line:
``{"name", "value", "unit", "baseline", "ratio", ...}``; progress goes to stderr.

Rules: the labels are generated once and stay in memory (warm); numpy, BLAS and
OpenMP run on 1 thread for both sides (set below, before numpy is imported);
timings are the best of 5 for each side, the two sides' runs interleaved so both
see the same load on a shared machine.

``team.agreement_s``
    :func:`workbench.agreement.krippendorff_alpha` (nominal) on 1,000,000 labels:
    25,000 items × 50 annotators, 20% of the cells missing (NaN), 10 classes,
    each label the item's true class 70% of the time. The whole call: coding
    the labels, counting, the alpha. Baseline ``krippendorff.alpha`` on the very
    same array (transposed: it takes annotators as rows), nominal.
``team.agreement_alpha_abs_diff``
    ``|ours - krippendorff's|`` on that data.
``--quick`` shrinks the items to 2,000 (seconds).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported: 1 thread for both sides

import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

if __package__ in (None, ""):  # run as a file: make `tests` and `workbench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.report import emit, log, sig  # noqa: E402
from workbench import agreement  # noqa: E402

ANNOTATORS = 50
CLASSES = 10
MISSING = 0.2
REPEATS = 5


def team_labels(items: int, seed: int = 0) -> np.ndarray:
    """Items × annotators float labels 0..CLASSES-1, NaN where an annotator gave none."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, CLASSES, items)
    right = rng.random((items, ANNOTATORS)) < 0.7
    labels = np.where(right, truth[:, None], rng.integers(0, CLASSES, (items, ANNOTATORS)))
    labels = labels.astype(np.float64)
    labels[rng.random((items, ANNOTATORS)) < MISSING] = np.nan
    return labels


def best_times(
    ours: Callable[[], float], theirs: Callable[[], float], repeats: int
) -> tuple[float, float, float, float]:
    """Best wall time of each side, runs interleaved; then each side's result."""
    best_ours = best_theirs = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        ours()
        best_ours = min(best_ours, time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs()
        best_theirs = min(best_theirs, time.perf_counter() - t0)
    return best_ours, best_theirs, ours(), theirs()


def main(argv: list[str]) -> None:
    import krippendorff

    quick = "--quick" in argv
    items = 2_000 if quick else 25_000
    log(f"agreement: generating {items:,} items × {ANNOTATORS} annotators")
    labels = team_labels(items)
    by_annotator = np.ascontiguousarray(labels.T)  # the package's layout, made outside the timing
    given = int(np.count_nonzero(~np.isnan(labels)))
    ours_s, theirs_s, ours, theirs = best_times(
        lambda: agreement.krippendorff_alpha(labels),
        lambda: krippendorff.alpha(by_annotator, level_of_measurement="nominal"),
        REPEATS,
    )
    log(f"  workbench {ours_s:.4f} s, krippendorff {theirs_s:.4f} s")
    log(f"  alpha {ours:.6f} / {theirs:.6f}")
    emit("team.agreement_s", ours_s, "s", theirs_s, labels=given, items=items,
         annotators=ANNOTATORS, classes=CLASSES, missing=MISSING, level="nominal",
         repeats=REPEATS, threads=1)  # fmt: skip
    emit("team.agreement_alpha_abs_diff", abs(ours - theirs), "abs", None, alpha=sig(ours, 8),
         tolerance=1e-9)  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
