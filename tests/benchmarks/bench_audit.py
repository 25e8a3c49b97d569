"""Audit benchmarks: workbench.audit against cleanlab on the same inputs, in the same run.

Run ``python tests/benchmarks/bench_audit.py [--quick]`` (or ``python -m
tests.benchmarks bench_audit``). Each figure is one JSON line:
``{"name", "value", "unit", "baseline", "ratio", ...}``; progress goes to stderr.

Rules: arrays are generated once and stay in memory (warm); numpy, BLAS and
OpenMP run on 1 thread for both sides (set below, before numpy is imported);
timings are the best of 5 for workbench and the best of ``--cleanlab-repeats=N``
(2 by default: each cleanlab call takes seconds) for cleanlab, the two sides'
runs interleaved so both see the same load on a shared machine; the baseline is
cleanlab 2.x on the very same arrays.

``audit.label_quality_1e7x10_s``
    ``audit.label_quality`` (self_confidence) on 10,000,000 × 10 float32
    probabilities. Baseline ``cleanlab.rank.get_label_quality_scores``.
``audit.find_label_issues_1e6x100_s``
    ``audit.find_label_issues`` (defaults: prune_by_noise_rate) on 1,000,000 ×
    100 float32. Baseline ``cleanlab.filter.find_label_issues(n_jobs=1)``.
``audit.*_peak_extra_mb``
    Peak memory during one call beyond what was there before it, output
    included: resident memory from Linux's high-water mark, reset before the
    call after free heap memory went back to the system (``method``:
    ``"resident"``), or, where that cannot be read, what tracemalloc sees
    allocated (``"tracemalloc"``; it slows cleanlab's per-label Python checks
    twentyfold: a minute at these sizes). The input's size is given as
    ``input_mb``. Baseline: cleanlab's peak on the same call, measured the same way.
``audit.scores_max_abs_diff`` / ``audit.issues_jaccard``
    Largest score difference over all three methods (1e7 × 10 for
    self_confidence, the first 1,000,000 rows for the other two), and the
    Jaccard index of the flagged sets (1e6 × 100), against cleanlab.
``audit.detect_f1_digits_10pct``
    scikit-learn's digits in a real Project, 10% of labels flipped to another
    class (seeded), flagged by :func:`workbench.audit.find_issues_out_of_fold`
    with every default (its default estimator, 5 folds, prune_by_noise_rate);
    F1 of the flagged items against the flipped ones, mean of 5 seeds (each
    seed in ``seeds``). Nothing receives the noise rate or the flipped set.
    Baseline: cleanlab's ``find_label_issues`` on the same out-of-fold
    probabilities.

Synthetic probabilities: each item has a true class whose column gets a
random boost before rows are normalised, so the "model" is right about 80% of
the time and unsure on the rest; 10% of labels are flipped (half to a
neighbouring class, half to any other), so the confident joint has a real
noise structure and the flagged sets are non-trivial.
``--quick`` shrinks everything to check that it runs (seconds).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported: 1 thread for both sides

import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

if __package__ in (None, ""):  # run as a file: make `tests` and `workbench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.report import emit, log, sig  # noqa: E402
from workbench import audit  # noqa: E402


class Sizes:
    def __init__(self, quick: bool) -> None:
        self.quality = (200_000, 10) if quick else (10_000_000, 10)
        self.issues = (50_000, 100) if quick else (1_000_000, 100)
        self.other_methods_rows = 100_000 if quick else 1_000_000
        self.repeats = 5
        self.seeds = 2 if quick else 5


# -- data ---------------------------------------------------------------------------------
def noisy_problem(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, pred_probs)``: N given labels (10% wrong) and N × K float32 probabilities."""
    rng = np.random.default_rng(seed)
    probs = rng.random((n, k), dtype=np.float32)
    truth = rng.integers(0, k, n)
    step = 1 << 20
    for s in range(0, n, step):  # chunked: no N-sized index temporaries
        rows = np.arange(min(step, n - s))
        t = truth[s : s + step]
        probs[s + rows, t] += rng.random(len(t), dtype=np.float32) * (0.4 * k)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = truth.copy()
    flip = rng.random(n) < 0.10
    near = rng.random(n) < 0.5
    shift = np.where(near, 1, rng.integers(1, k, n))
    labels[flip] = (truth[flip] + shift[flip]) % k
    return labels, probs


# -- measuring ----------------------------------------------------------------------------
def best_times(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int, their_repeats: int
) -> tuple[float, float, object, object]:
    """Best wall time of each side, runs interleaved so both see the same machine load,
    and each side's result (from its last timed run: no extra call of seconds)."""
    best_ours = best_theirs = float("inf")
    out_ours = out_theirs = None
    for r in range(max(repeats, their_repeats)):
        if r < repeats:
            out_ours = None  # the previous result is freed before the run, as it was
            t0 = time.perf_counter()
            out_ours = ours()
            best_ours = min(best_ours, time.perf_counter() - t0)
        if r < their_repeats:
            out_theirs = None
            t0 = time.perf_counter()
            out_theirs = theirs()
            best_theirs = min(best_theirs, time.perf_counter() - t0)
    return best_ours, best_theirs, out_ours, out_theirs


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise OSError(f"no {field} in /proc/self/status")


def _resident_peak_mb(fn: Callable[[], object]) -> float | None:
    """Peak resident memory during ``fn()`` beyond what was resident before it, from
    Linux's high-water mark (reset through ``/proc/self/clear_refs``) after the free
    heap memory went back to the system (``malloc_trim``), so that whatever ``fn``
    touches counts; ``None`` where this cannot be measured."""
    import ctypes
    import gc

    try:
        libc = ctypes.CDLL("libc.so.6")
        gc.collect()
        libc.malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current VmRSS
        before = _status_mb("VmRSS")
    except (OSError, AttributeError):
        return None
    out = fn()
    peak = _status_mb("VmHWM")
    del out
    return peak - before


def peak_extra_mb(fn: Callable[[], object]) -> tuple[float, str]:
    """``(MiB, method)``: the peak memory of one call beyond what was there before it,
    output included. Resident memory where Linux gives its high-water mark
    (``"resident"``); else what tracemalloc sees allocated (``"tracemalloc"``,
    numpy's buffers included), which slows cleanlab's per-label Python checks
    twentyfold."""
    resident = _resident_peak_mb(fn)
    if resident is not None:
        return resident, "resident"
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del out
    finally:
        tracemalloc.stop()
    return (peak - before) / 2**20, "tracemalloc"


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


# -- figures ------------------------------------------------------------------------------
def bench_quality(sizes: Sizes, cleanlab_repeats: int) -> float:
    from cleanlab.rank import get_label_quality_scores

    n, k = sizes.quality
    log(f"label quality: generating {n:,} × {k}")
    labels, probs = noisy_problem(n, k, seed=1)
    input_mb = (probs.nbytes + labels.nbytes) / 2**20
    ours_s, theirs_s, ours, theirs = best_times(
        lambda: audit.label_quality(labels, probs),
        lambda: get_label_quality_scores(labels, probs),
        sizes.repeats,
        cleanlab_repeats,
    )
    log(f"  workbench {ours_s:.3f} s, cleanlab {theirs_s:.3f} s")
    size = f"{n:.0e}x{k}".replace("+0", "").replace("+", "")
    emit(f"audit.label_quality_{size}_s", ours_s, "s", theirs_s, repeats=sizes.repeats,
         baseline_repeats=cleanlab_repeats, method="self_confidence")  # fmt: skip
    diff = float(np.max(np.abs(np.asarray(ours, np.float64) - theirs)))
    del ours, theirs
    ours_mb, method = peak_extra_mb(lambda: audit.label_quality(labels, probs))
    theirs_mb, _ = peak_extra_mb(lambda: get_label_quality_scores(labels, probs))
    emit(f"audit.label_quality_{size}_peak_extra_mb", ours_mb, "MiB", theirs_mb,
         input_mb=sig(input_mb), output_mb=sig(n * probs.itemsize / 2**20),
         method=method)  # fmt: skip
    # The other two methods on a slice (cleanlab's normalized_margin copies the whole input).
    m = sizes.other_methods_rows
    for method in ("normalized_margin", "confidence_weighted_entropy"):
        a = audit.label_quality(labels[:m], probs[:m], method=method)
        b = get_label_quality_scores(labels[:m], probs[:m], method=method)
        diff = max(diff, float(np.max(np.abs(np.asarray(a, np.float64) - b))))
    return diff


def bench_issues(sizes: Sizes, cleanlab_repeats: int) -> float:
    from cleanlab.filter import find_label_issues

    n, k = sizes.issues
    log(f"label issues: generating {n:,} × {k}")
    labels, probs = noisy_problem(n, k, seed=2)
    input_mb = (probs.nbytes + labels.nbytes) / 2**20
    ours_s, theirs_s, ours, theirs = best_times(
        lambda: audit.find_label_issues(labels, probs),
        lambda: find_label_issues(labels, probs, n_jobs=1),
        sizes.repeats,
        cleanlab_repeats,
    )
    flagged = (int(np.count_nonzero(ours)), int(np.count_nonzero(theirs)))
    log(f"  workbench {ours_s:.3f} s, cleanlab {theirs_s:.3f} s; {flagged} flagged")
    size = f"{n:.0e}x{k}".replace("+0", "").replace("+", "")
    emit(f"audit.find_label_issues_{size}_s", ours_s, "s", theirs_s,
         repeats=sizes.repeats, baseline_repeats=cleanlab_repeats,
         filter_by="prune_by_noise_rate", flagged=int(np.count_nonzero(ours)))  # fmt: skip
    score = jaccard(ours, theirs)
    mismatches = int(np.count_nonzero(ours != theirs))
    del ours, theirs
    ours_mb, method = peak_extra_mb(lambda: audit.find_label_issues(labels, probs))
    theirs_mb, _ = peak_extra_mb(lambda: find_label_issues(labels, probs, n_jobs=1))
    emit(f"audit.find_label_issues_{size}_peak_extra_mb", ours_mb, "MiB", theirs_mb,
         input_mb=sig(input_mb), method=method)  # fmt: skip
    return score, mismatches


def bench_detection(sizes: Sizes) -> None:
    import cleanlab.filter
    from sklearn.datasets import load_digits

    import workbench as wb

    digits = load_digits()
    images = digits.images.astype(np.float32)
    truth = digits.target
    n = len(truth)
    classes = [str(c) for c in range(10)]
    ours_f1, theirs_f1, detail = [], [], []
    for seed in range(sizes.seeds):
        rng = np.random.default_rng(seed)
        flipped = np.zeros(n, dtype=bool)
        flipped[rng.choice(n, size=round(0.10 * n), replace=False)] = True
        noisy = truth.copy()
        noisy[flipped] = (truth[flipped] + rng.integers(1, 10, flipped.sum())) % 10
        with tempfile.TemporaryDirectory() as tmp:
            project = wb.Project(Path(tmp) / "digits.db",
                                 schema=wb.Schema.classification("digit", classes))  # fmt: skip
            ids = [f"digit{i:04d}" for i in range(n)]
            project.add_arrays(images, ids=ids)
            events = [project.make_event(i, classes[c]) for i, c in zip(ids, noisy, strict=True)]
            project.store.append(events)  # one transaction instead of 1,797 commits
            t0 = time.perf_counter()
            # find_issues_out_of_fold(project) is exactly these two calls; keeping the
            # probabilities lets cleanlab flag from the very same ones.
            preds = audit.out_of_fold_predictions(project)
            found = audit.issues(project, preds)
            elapsed = time.perf_counter() - t0
            project.close()
        flagged_ids = set(found.loc[found["is_issue"], "item_id"])
        ours = np.array([i in flagged_ids for i in preds.ids])
        flips = np.array([flipped[int(i[5:])] for i in preds.ids])
        given = np.array([int(noisy[int(i[5:])]) for i in preds.ids])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = cleanlab.filter.find_label_issues(given, preds.probs, n_jobs=1)
        f1_ours, f1_theirs = _f1(ours, flips), _f1(theirs, flips)
        ours_f1.append(f1_ours)
        theirs_f1.append(f1_theirs)
        detail.append({"seed": seed, "f1": sig(f1_ours), "cleanlab_f1": sig(f1_theirs),
                       "precision": sig(_precision(ours, flips)),
                       "recall": sig(_recall(ours, flips)), "flagged": int(ours.sum()),
                       "flipped": int(flips.sum()), "seconds": sig(elapsed)})  # fmt: skip
        log(f"  digits seed {seed}: F1 {f1_ours:.3f} (cleanlab {f1_theirs:.3f}), {elapsed:.1f} s")
    emit("audit.detect_f1_digits_10pct", float(np.mean(ours_f1)), "F1",
         float(np.mean(theirs_f1)), seeds=detail, target=0.90,
         estimator="audit.default_estimator()")  # fmt: skip


def _f1(flagged: np.ndarray, truth: np.ndarray) -> float:
    tp = np.count_nonzero(flagged & truth)
    total = np.count_nonzero(flagged) + np.count_nonzero(truth)
    return 2 * tp / total if total else 1.0


def _precision(flagged: np.ndarray, truth: np.ndarray) -> float:
    return np.count_nonzero(flagged & truth) / max(1, np.count_nonzero(flagged))


def _recall(flagged: np.ndarray, truth: np.ndarray) -> float:
    return np.count_nonzero(flagged & truth) / max(1, np.count_nonzero(truth))


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    cleanlab_repeats = 2
    for arg in argv:
        if arg.startswith("--cleanlab-repeats="):
            cleanlab_repeats = int(arg.split("=", 1)[1])
    sizes = Sizes(quick)
    warnings.filterwarnings("ignore", module="cleanlab")
    diff = bench_quality(sizes, cleanlab_repeats)
    emit("audit.scores_max_abs_diff", diff, "abs", None, tolerance=1e-6)
    score, mismatches = bench_issues(sizes, cleanlab_repeats)
    emit("audit.issues_jaccard", score, "jaccard", None, mismatched_items=mismatches, target=0.99)
    bench_detection(sizes)


if __name__ == "__main__":
    main(sys.argv[1:])
