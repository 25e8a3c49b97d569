"""Label-error detection: label quality scores, label issues, multi-annotator consensus.

Array level, in cleanlab's form (data positional, options keyword-only):

:func:`label_quality`
    one score per item, lower = more likely mislabeled; the same numbers as
    ``cleanlab.rank.get_label_quality_scores`` (multi-label:
    ``cleanlab.multilabel_classification.get_label_quality_scores``).
:func:`find_label_issues`
    a boolean mask of likely label errors (or their indices, worst first); the
    same sets as ``cleanlab.filter.find_label_issues`` (multi-label:
    ``cleanlab.multilabel_classification.filter.find_label_issues``).
:func:`consensus`
    one label per item from several annotators, its quality, and each
    annotator's quality (CROWDLAB through ``cleanlab.multiannotator`` when
    model probabilities are given, majority vote otherwise).

Project level (in :mod:`workbench.audit`, per task kind): ``issues`` ranks a
project's labeled items worst first for the review widget and
``find_issues_out_of_fold`` trains a model with out-of-fold predictions and
audits in one call. This module is the kind-independent core they share.

Why not call cleanlab directly: on large inputs cleanlab spends most of its
time validating (Python-level passes over the labels) and in full sorts, and
copies the probabilities more than once. Here the confident-learning counts
and scores are computed in one streaming pass over row chunks that fit in
cache, each class's pruning uses a partial selection (``argpartition``)
instead of a full sort, and validation rides along in the same pass. The
small ``K × K`` arithmetic (calibration, rounding, pruning counts) follows
cleanlab's step by step, so the flagged sets are the same; where the
``argpartition`` cut-off falls on tied values the exact full sort cleanlab
uses decides, so ties break the same way too.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import require

__all__ = [
    "label_quality",
    "find_label_issues",
    "consensus",
    "Consensus",
    "default_estimator",
    "METHODS",
    "FILTERS",
]

#: Label quality scoring methods (as in cleanlab).
METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
#: ``filter_by`` values computed here; the rest of cleanlab's are delegated to it.
FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
           "predicted_neq_given")  # fmt: skip
_DELEGATED_FILTERS = ("low_normalized_margin", "low_self_confidence")

# cleanlab.internal.constants, restated so results match without importing cleanlab.
_FLOAT_EPS = 1e-6  # FLOATING_POINT_COMPARISON
_CLIP_LOW = 1e-6  # CLIPPING_LOWER_BOUND
_THRESHOLD_LOW = 2 * _FLOAT_EPS  # CONFIDENT_THRESHOLDS_LOWER_BOUND
_TINY = 1e-100  # TINY_VALUE
_MISSING_CLASS_THRESHOLD = 2  # BIG_VALUE: no probability reaches it
_EMA_ALPHA = 0.8  # multi-label aggregator default (exponential moving average)

# Rows per chunk: about 1 MiB of probabilities, so a chunk stays in cache while
# several reductions run over it.
_CHUNK_BYTES = 1 << 20


# -- input checks -------------------------------------------------------------------------
def as_probs(pred_probs: Any) -> np.ndarray:
    """``pred_probs`` as a 2-D float array (no copy for a float ndarray or memmap)."""
    probs = pred_probs if isinstance(pred_probs, np.ndarray) else np.asarray(pred_probs)
    if probs.ndim != 2:
        raise ValueError(f"pred_probs must be 2-D (N items × K classes), got shape {probs.shape}")
    if probs.dtype.kind != "f":
        if probs.dtype.kind in "iub":
            probs = probs.astype(np.float64)
        else:
            raise ValueError(f"pred_probs must hold floats, got dtype {probs.dtype}")
    if probs.shape[1] < 1:
        raise ValueError(f"pred_probs needs at least one column, got shape {probs.shape}")
    return probs


def _check_range(lo: float, hi: float, *, strict: bool = False) -> None:
    """Raise unless ``[lo, hi]`` (a chunk's min and max) are valid probabilities.

    NaN propagates through ``min``/``max``, so one check per chunk finds it.
    """
    if np.isnan(lo) or np.isnan(hi):
        raise ValueError("pred_probs contains NaN")
    tol = 0.0 if strict else _FLOAT_EPS
    if lo < -tol or hi > 1 + tol:
        raise ValueError(
            f"pred_probs must be probabilities in [0, 1]; found values from {lo:g} to {hi:g}"
        )


def _chunk_rows(k: int, itemsize: int) -> int:
    return max(1, _CHUNK_BYTES // max(1, k * itemsize))


def _class_index(classes: Sequence[Any]) -> dict[Any, int]:
    index = {c: i for i, c in enumerate(classes)}
    if len(index) != len(classes):
        raise ValueError("classes= has duplicate entries")
    return index


def _as_labels(labels: Any, n: int, k: int, classes: Sequence[Any] | None) -> np.ndarray:
    """Single-label ``labels`` as an intp array of column numbers, checked against N and K."""
    if isinstance(labels, pd.Series | pd.Index):
        labels = labels.to_numpy()
    arr = labels if isinstance(labels, np.ndarray) else np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels must be 1-D (one label per item), got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"labels has {len(arr)} entries but pred_probs has {n} rows")
    if classes is not None:
        arr = _map_classes(arr, classes)
    elif arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(f"labels contains NaN or inf (at row {int(np.argmax(bad))})")
        frac = arr != np.floor(arr)
        if frac.any():
            i = int(np.argmax(frac))
            raise ValueError(f"labels must be integer class numbers, got {arr[i]!r} at row {i}")
        arr = arr.astype(np.intp)
    elif arr.dtype.kind == "b":
        arr = arr.astype(np.intp)
    elif arr.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integer class numbers 0..K-1 (got dtype {arr.dtype}); "
            "pass classes= to map class names to pred_probs columns"
        )
    if n:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= k:
            bad_value = lo if lo < 0 else hi
            i = int(np.argmax(arr == bad_value))
            raise ValueError(
                f"label {bad_value} at row {i} is out of range: pred_probs has {k} columns, "
                f"so labels must lie in 0..{k - 1}"
            )
    return arr.astype(np.intp, copy=False)


def _map_classes(values: np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    """Class names → column numbers; an unknown name raises a ValueError naming it."""
    index = _class_index(classes)
    codes = pd.Index(list(classes), dtype=object).get_indexer(values).astype(np.intp)
    missing = codes < 0
    if missing.any():
        i = int(np.argmax(missing))
        value = values[i]
        if value not in index:  # codes are -1 for NaN too: say which
            raise ValueError(
                f"unknown class {value!r} in labels (row {i}); classes: {list(classes)}"
            )
    return codes


def _as_multilabel(labels: Any, n: int, k: int, classes: Sequence[Any] | None) -> np.ndarray:
    """Multi-label ``labels`` (lists of classes, or an N × K 0/1 matrix) as an N × K bool array."""
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        if labels.shape != (n, k):
            raise ValueError(
                f"a multi-label indicator matrix must have pred_probs' shape {(n, k)}, "
                f"got {labels.shape}"
            )
        if labels.dtype.kind == "b":
            return labels
        if not np.isin(labels, (0, 1)).all():
            raise ValueError("a multi-label indicator matrix must hold only 0 and 1")
        return labels.astype(bool)
    seq = list(labels)
    if len(seq) != n:
        raise ValueError(f"labels has {len(seq)} entries but pred_probs has {n} rows")
    for i, row in enumerate(seq):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence | np.ndarray | set):
            raise ValueError(
                f"multi-label labels must be a list of lists of classes; row {i} is {row!r}"
            )
    lengths = np.fromiter((len(r) for r in seq), dtype=np.intp, count=n)
    flat_list = [c for r in seq for c in r]
    out = np.zeros((n, k), dtype=bool)
    if not flat_list:
        return out
    flat = np.asarray(flat_list)
    if classes is not None:
        cols = _map_classes(flat, classes)
    elif flat.dtype.kind in "iu":
        cols = flat.astype(np.intp)
    else:
        raise ValueError(
            f"multi-label labels must be integer class numbers (got {flat.dtype}); "
            "pass classes= to map class names to pred_probs columns"
        )
    lo, hi = int(cols.min()), int(cols.max())
    if lo < 0 or hi >= k:
        bad = lo if lo < 0 else hi
        raise ValueError(
            f"label {bad} is out of range: pred_probs has {k} columns, so labels must lie "
            f"in 0..{k - 1}"
        )
    out[np.repeat(np.arange(n), lengths), cols] = True
    return out


def _check_method(method: str, adjust_pred_probs: bool) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not supported for confidence_weighted_entropy")


# -- per-class helpers --------------------------------------------------------------------
def _class_rows(labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers grouped by label (ascending within a class) and each class's offsets.

    Rows of class ``c`` are ``order[offsets[c]:offsets[c + 1]]``: the rows
    ``labels == c`` selects, in the same order. A stable sort of 8- or 16-bit
    keys is a radix sort, so this costs a few passes over the labels.
    """
    key = labels.astype(np.uint8 if k <= 256 else np.uint16 if k <= 65536 else np.intp)
    order = np.argsort(key, kind="stable")
    counts = np.bincount(labels, minlength=k)
    offsets = np.zeros(k + 1, dtype=np.intp)
    np.cumsum(counts, out=offsets[1:])
    return order, offsets


def _confident_thresholds(probs: np.ndarray, order: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Mean self-confidence of each class (``cleanlab.count.get_confident_thresholds``).

    Each mean is taken over the same values in the same order as cleanlab's
    ``pred_probs[:, k][labels == k]``, so it is the same float, bit for bit.
    """
    k = probs.shape[1]
    means: list[Any] = []
    for c in range(k):
        rows = order[offsets[c] : offsets[c + 1]]
        means.append(np.mean(probs[rows, c]) if len(rows) else _MISSING_CLASS_THRESHOLD)
    return np.clip(means, a_min=_THRESHOLD_LOW, a_max=None)


def _adjust(chunk: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Subtract class thresholds and renormalise (cleanlab's ``adjust_pred_probs``)."""
    adj = chunk - thresholds
    adj += thresholds.max()
    adj /= adj.sum(axis=1, keepdims=True)
    return adj


# -- label quality ------------------------------------------------------------------------
def _score_chunk(
    chunk: np.ndarray, lab: np.ndarray, method: str, thresholds: np.ndarray | None
) -> np.ndarray:
    """Scores of one row chunk; the same expressions cleanlab evaluates, row by row."""
    if thresholds is not None:
        chunk = _adjust(chunk, thresholds)
    rows = np.arange(len(lab))
    self_conf = chunk[rows, lab]
    if method == "self_confidence":
        return self_conf
    if method == "normalized_margin":
        others = np.array(chunk, copy=True)
        others[rows, lab] = -np.inf
        max_other = others.max(axis=1)
        return (self_conf - max_other + 1) / 2
    from scipy.special import xlogy

    self_conf = np.clip(self_conf, a_min=_CLIP_LOW, a_max=None)
    entropy = -np.sum(xlogy(chunk, chunk), axis=1) / np.log(chunk.shape[1])
    score = entropy / self_conf
    clipped = np.clip(score, a_min=_CLIP_LOW, a_max=None)
    return np.log(score + 1) / clipped


def _scores(
    probs: np.ndarray,
    labels: np.ndarray,
    method: str,
    thresholds: np.ndarray | None,
    *,
    validate: bool,
) -> np.ndarray:
    n, k = probs.shape
    if method == "normalized_margin" and k < 2:
        raise ValueError("normalized_margin needs at least 2 classes (pred_probs columns)")
    step = _chunk_rows(k, probs.itemsize)
    out: np.ndarray | None = None
    strict = method == "confidence_weighted_entropy"  # entropy is undefined below 0
    for start in range(0, n, step):
        chunk = probs[start : start + step]
        if validate:
            _check_range(chunk.min(), chunk.max(), strict=strict)
        part = _score_chunk(chunk, labels[start : start + step], method, thresholds)
        if out is None:
            out = np.empty(n, dtype=part.dtype)
        out[start : start + len(part)] = part
    if out is None:
        out = np.empty(0, dtype=np.float64 if strict else probs.dtype)
    return out


def label_quality(
    labels: Any,
    pred_probs: Any,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    multi_label: bool = False,
    classes: Sequence[Any] | None = None,
) -> np.ndarray:
    """A label quality score for each item: near 0 = likely mislabeled, near 1 = likely right.

    The same numbers as ``cleanlab.rank.get_label_quality_scores`` (and, with
    ``multi_label=True``, ``cleanlab.multilabel_classification.get_label_quality_scores``
    with its default exponential-moving-average aggregation, alpha 0.8),
    computed in one pass over row chunks with no full-size temporaries.

    Parameters
    ----------
    labels : array-like, shape (N,)
        Given label of each item: an integer column of ``pred_probs`` (0..K-1),
        or a class name when ``classes`` is given. With ``multi_label=True``: a
        list of N lists of classes, or an N × K 0/1 indicator matrix.
    pred_probs : ndarray, shape (N, K)
        Predicted class probabilities (out-of-fold for honest scores); float32
        or float64, memory-mapped arrays work.
    method : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}
        ``P[label]``; ``(P[label] - max other P + 1) / 2``; or a rescaled
        entropy / self-confidence.
    adjust_pred_probs : bool
        Subtract each class's mean self-confidence first (accounts for class
        imbalance); not with ``confidence_weighted_entropy``.
    multi_label : bool
        Score each class as its own binary problem and aggregate per item.
    classes : sequence, optional
        Class name of each column of ``pred_probs``, to give ``labels`` as names.

    Returns
    -------
    ndarray, shape (N,)
        float32 for float32 inputs (float64 for ``confidence_weighted_entropy``
        and multi-label).

    Raises
    ------
    ValueError
        Bad shapes, NaN or out-of-range probabilities, labels out of range,
        unknown class names, an unknown method.
    """
    _check_method(method, adjust_pred_probs)
    probs = as_probs(pred_probs)
    n, k = probs.shape
    if multi_label:
        onehot = _as_multilabel(labels, n, k, classes)
        return _multilabel_scores(onehot, probs, method, adjust_pred_probs, validate=True)
    lab = _as_labels(labels, n, k, classes)
    thresholds = None
    if adjust_pred_probs:
        order, offsets = _class_rows(lab, k)
        thresholds = _confident_thresholds(probs, order, offsets)
    return _scores(probs, lab, method, thresholds, validate=True)


def _binary(p: np.ndarray) -> np.ndarray:
    """Column ``p`` of a multi-label matrix as a two-column binary problem ``[1 - p, p]``."""
    out = np.empty((len(p), 2), dtype=p.dtype)
    np.subtract(1, p, out=out[:, 0])
    out[:, 1] = p
    return out


def _ema(scores: np.ndarray, alpha: float = _EMA_ALPHA) -> np.ndarray:
    """cleanlab's exponential moving average over each row's scores, largest first."""
    ordered = np.sort(scores, axis=1)[:, ::-1]
    ema = ordered[:, 0]
    for col in range(1, ordered.shape[1]):
        ema = alpha * ordered[:, col] + (1 - alpha) * ema
    return ema


def _multilabel_scores(
    onehot: np.ndarray, probs: np.ndarray, method: str, adjust: bool, *, validate: bool
) -> np.ndarray:
    """Per-class binary scores aggregated per item (cleanlab's ``MultilabelScorer`` defaults)."""
    n, k = probs.shape
    if adjust:
        # Thresholds are per class over all rows: score class by class (N × 2 at a time).
        per_class = np.empty((n, k), dtype=np.float64)
        for c in range(k):
            col = probs[:, c]
            if validate:
                _check_range(col.min(), col.max())
            binary = _binary(np.asarray(col))
            lab = onehot[:, c].astype(np.intp)
            order, offsets = _class_rows(lab, 2)
            thresholds = _confident_thresholds(binary, order, offsets)
            per_class[:, c] = _scores(binary, lab, method, thresholds, validate=False)
        return _ema(per_class)
    step = _chunk_rows(k, 8)
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, step):
        chunk = probs[start : start + step]
        if validate:
            _check_range(chunk.min(), chunk.max(), strict=method == "confidence_weighted_entropy")
        y = onehot[start : start + step]
        out[start : start + len(chunk)] = _ema(_binary_scores(chunk, y, method))
    return out


def _binary_scores(chunk: np.ndarray, y: np.ndarray, method: str) -> np.ndarray:
    """Scores of every class of a chunk as a binary problem; cleanlab's per-class formulas."""
    p = chunk
    q = 1 - p  # probability of "not this class"
    self_conf = np.where(y, p, q)
    if method == "self_confidence":
        return self_conf.astype(np.float64)
    if method == "normalized_margin":
        other = np.where(y, q, p)
        return ((self_conf - other + 1) / 2).astype(np.float64)
    from scipy.special import xlogy

    self_conf = np.clip(self_conf, a_min=_CLIP_LOW, a_max=None)
    entropy = -(xlogy(q, q) + xlogy(p, p)) / np.log(2)
    score = entropy / self_conf
    clipped = np.clip(score, a_min=_CLIP_LOW, a_max=None)
    return np.log(score + 1) / clipped


# -- label issues -------------------------------------------------------------------------
@dataclass
class _Pass:
    """What one streaming pass over the rows found."""

    joint: np.ndarray | None  # K × K confident joint (rows: given label, columns: true guess)
    off_diagonal: np.ndarray | None  # N bools: confidently counted off the diagonal
    predicted_neq: np.ndarray | None  # N bools: argmax differs from the given label
    keep: np.ndarray  # N bools: the given label is (within 1e-6) the model's top class


def _stream(
    probs: np.ndarray,
    labels: np.ndarray,
    thresholds: np.ndarray | None,
    *,
    validate: bool,
    off_diagonal: bool,
    predicted_neq: bool,
) -> _Pass:
    """One pass over row chunks: validation, confident joint and per-row flags together."""
    n, k = probs.shape
    step = _chunk_rows(k, probs.itemsize)
    joint = np.zeros(k * k, dtype=np.int64) if thresholds is not None else None
    cutoff = None if thresholds is None else thresholds - _FLOAT_EPS
    keep = np.empty(n, dtype=bool)
    off = np.zeros(n, dtype=bool) if off_diagonal else None
    neq = np.empty(n, dtype=bool) if predicted_neq else None
    for start in range(0, n, step):
        chunk = probs[start : start + step]
        stop = start + len(chunk)
        lab = labels[start:stop]
        rows = np.arange(len(lab))
        if validate:
            _check_range(chunk.min(), chunk.max())
        top = chunk.argmax(axis=1)
        if cutoff is not None:
            # compute_confident_joint's guess at the true class: the one confident class,
            # or the argmax when several are. When the argmax is itself confident the
            # guess is the argmax either way, so only the other rows need a count.
            confident = chunk >= cutoff
            counted = confident.any(axis=1)
            guess = top.copy()
            odd = np.flatnonzero(counted & ~confident[rows, top])
            if len(odd):
                sub = confident[odd]
                single = np.count_nonzero(sub, axis=1) == 1
                guess[odd[single]] = sub[single].argmax(axis=1)
            pairs = lab[counted] * k + guess[counted]
            joint += np.bincount(pairs, minlength=k * k)
            if off is not None:
                off[start:stop] = counted & (guess != lab)
        if neq is not None:
            neq[start:stop] = top != lab
        # _reduce_issues: the given label nudged up by 1e-6 would be the argmax. With
        # s = P[label] + 1e-6 (in the input's precision) and m = P[argmax], the nudged
        # row's first maximum is the label when s > m, or s == m and the label comes first.
        nudged = chunk[rows, lab] + _FLOAT_EPS
        best = chunk[rows, top]
        keep[start:stop] = (top == lab) | (nudged > best) | ((nudged == best) & (lab < top))
    if joint is not None:
        # cleanlab's confident joint is the transpose of a C-ordered confusion matrix, so
        # Fortran-ordered; the calibration's total (``np.sum``) adds in memory order, and a
        # C-ordered joint would round some .5 ties the other way.
        joint = np.asfortranarray(joint.reshape(k, k))
    return _Pass(joint, off, neq, keep)


def _round_preserving_sum(values: np.ndarray) -> np.ndarray:
    """cleanlab.internal.util.round_preserving_sum, step for step (same tie order)."""
    floats = np.asarray(values, dtype=float)
    ints = floats.round()
    orig_sum = np.sum(floats).round()
    int_sum = np.sum(ints).round()
    while abs(int_sum - orig_sum) > _FLOAT_EPS:
        diff = np.round(orig_sum - int_sum)
        increment = -1 if int(diff < 0.0) else 1
        changes = min(int(abs(diff)), len(values))
        indices = np.argsort(floats - ints)[::-increment][:changes]
        for i in indices:
            ints[i] = ints[i] + increment
        int_sum = np.sum(ints).round()
    return ints.astype(int)


def _round_preserving_row_totals(matrix: np.ndarray) -> np.ndarray:
    return np.array([_round_preserving_sum(row) for row in matrix]).astype(int)


def _calibrate(joint: np.ndarray, label_counts: np.ndarray) -> np.ndarray:
    """cleanlab.count.calibrate_confident_joint: rows sum to the label counts."""
    calibrated = (joint.T / np.clip(joint.sum(axis=1), a_min=_TINY, a_max=None) * label_counts).T
    calibrated = (
        calibrated / np.clip(np.sum(calibrated), a_min=_TINY, a_max=None) * label_counts.sum()
    )
    return _round_preserving_row_totals(calibrated)


def _reduce_prune_counts(matrix: np.ndarray, frac_noise: float) -> np.ndarray:
    new = matrix * frac_noise
    np.fill_diagonal(new, matrix.diagonal())
    np.fill_diagonal(new, matrix.diagonal() + np.sum(matrix - new, axis=0))
    return new.astype(int)


def _keep_at_least_n_per_class(matrix: np.ndarray, n: int, frac_noise: float) -> np.ndarray:
    """cleanlab.filter._keep_at_least_n_per_class on the prune-count matrix (K × K)."""
    diagonal = np.diagonal(matrix)
    new_diagonal = np.maximum(diagonal, n)
    diff_per_col = new_diagonal - diagonal
    rates_per_col = np.maximum(np.count_nonzero(matrix, axis=0) - 1.0, 1.0)
    new = matrix - diff_per_col / rates_per_col
    new[new < 0] = 0
    np.fill_diagonal(new, new_diagonal)
    new = _reduce_prune_counts(new, frac_noise)
    return _round_preserving_row_totals(new).astype(int)


def _top(values: np.ndarray, count: int, *, largest: bool) -> np.ndarray:
    """Positions of the ``count`` largest (or smallest) values, as cleanlab's full sort picks.

    cleanlab sorts all values and takes the first ``count``; a partial
    selection finds the same ones in linear time. For the largest few of
    many, a lower bound on the cut-off (the ``count``-th largest of the first
    few hundred values) first drops nearly every value cheaply. When tied
    values straddle the cut-off, the full sort decides which of them are in,
    exactly as in cleanlab.
    """
    n = len(values)
    if count >= n:
        return np.arange(n)
    key = values if largest else -values
    candidates = None
    sample = max(16 * count, 512)
    if n > 4 * sample:
        head = key[:sample]
        bound = np.partition(head, sample - count)[sample - count]
        candidates = np.flatnonzero(key >= bound)
        key = key[candidates]
    m = len(key)
    part = np.argpartition(key, m - count)[m - count :]
    edge = key[part].min()
    if np.count_nonzero(key >= edge) > count:  # ties at the cut-off: sort as cleanlab does
        full = -values if largest else values
        return np.argsort(full)[:count]
    return part if candidates is None else candidates[part]


def _prune(
    probs: np.ndarray,
    order: np.ndarray,
    offsets: np.ndarray,
    prune_counts: np.ndarray,
    *,
    by_noise_rate: bool,
    by_class: bool,
    min_examples_per_class: int,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """cleanlab's per-class pruning (``_prune_by_count`` / ``_prune_by_class``).

    For the rows labeled ``k``: by noise rate, the ``prune_counts[j, k]`` rows
    with the largest ``P[j] - P[k]`` for each other class ``j``; by class, the
    ``n_k - prune_counts[k, k]`` rows with the smallest ``P[k]``. One class's
    rows are gathered at a time (``n_k × K``, transposed so each class's
    probabilities are contiguous).
    """
    n, k = probs.shape
    by_rate = np.zeros(n, dtype=bool) if by_noise_rate else None
    by_cls = np.zeros(n, dtype=bool) if by_class else None
    for c in range(k):
        rows = order[offsets[c] : offsets[c + 1]]
        size = len(rows)
        if size <= min_examples_per_class:
            warnings.warn(
                f"May not flag all label issues in class {c}: it has too few examples "
                "(see min_examples_per_class)",
                stacklevel=3,
            )
            continue
        if size <= 1:  # cleanlab writes back a class's mask only when it has 2+ rows
            continue
        column = prune_counts[:, c]
        wanted = [j for j in range(k) if j != c and column[j] > 0] if by_rate is not None else []
        if by_cls is not None:
            num_issues = size - column[c]
            if num_issues >= 1:
                own = np.asarray(probs[rows, c])
                by_cls[rows[_top(own, int(num_issues), largest=False)]] = True
        if not wanted:
            continue
        block = np.ascontiguousarray(np.asarray(probs[rows]).T)  # K × n_k
        margins = block[wanted]
        margins -= block[c]  # P[j] - P[c] for every other class j, one row each
        counts = np.minimum(column[wanted], size).astype(np.intp)
        by_rate[rows[_top_rows(margins, counts)]] = True  # type: ignore[index]
    return by_rate, by_cls


def _top_rows(margins: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Columns among the ``counts[r]`` largest of each row ``r`` of ``margins`` (J × n),
    the picks of ``np.argsort(-margins[r])[:counts[r]]``, united over the rows."""
    flagged = np.zeros(margins.shape[1], dtype=bool)
    for row, count in zip(margins, counts.tolist(), strict=True):
        flagged[_top(row, count, largest=True)] = True
    return np.flatnonzero(flagged)


def _issues_single(
    probs: np.ndarray,
    lab: np.ndarray,
    *,
    filter_by: str,
    frac_noise: float,
    num_to_remove_per_class: Sequence[int] | None,
    min_examples_per_class: int,
    confident_joint: np.ndarray | None,
    validate: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Single-label issue mask, and the class thresholds (for ranking with adjustment)."""
    n, k = probs.shape
    order, offsets = _class_rows(lab, k)
    label_counts = np.diff(offsets)
    thresholds = _confident_thresholds(probs, order, offsets)
    need_joint = filter_by == "confident_learning" or (
        confident_joint is None and filter_by != "predicted_neq_given"
    )
    found = _stream(
        probs,
        lab,
        thresholds if need_joint else None,
        validate=validate,
        off_diagonal=filter_by == "confident_learning",
        predicted_neq=filter_by == "predicted_neq_given",
    )
    if filter_by == "confident_learning":
        mask = found.off_diagonal
    elif filter_by == "predicted_neq_given":
        mask = found.predicted_neq
    else:
        if confident_joint is not None:
            joint = np.asarray(confident_joint)
            if joint.shape != (k, k):
                raise ValueError(f"confident_joint must be K × K = {(k, k)}, got {joint.shape}")
        else:
            joint = found.joint
            np.fill_diagonal(joint, joint.diagonal().clip(min=1))
            joint = _calibrate(joint, label_counts)
        prune_counts = _keep_at_least_n_per_class(joint.T, min_examples_per_class, frac_noise)
        if num_to_remove_per_class is not None:
            psy = prune_counts / np.sum(prune_counts, axis=1)
            noise_per_s = psy.sum(axis=1) - psy.diagonal()
            tmp = (psy.T * num_to_remove_per_class / noise_per_s).T
            np.fill_diagonal(tmp, label_counts - num_to_remove_per_class)
            prune_counts = _round_preserving_row_totals(tmp)
        by_rate, by_cls = _prune(
            probs, order, offsets, prune_counts,
            by_noise_rate=filter_by in ("prune_by_noise_rate", "both"),
            by_class=filter_by in ("prune_by_class", "both"),
            min_examples_per_class=min_examples_per_class,
        )  # fmt: skip
        if filter_by == "both":
            mask = by_rate & by_cls  # type: ignore[operator]
        else:
            mask = by_rate if by_rate is not None else by_cls
    if mask is None:  # every filter_by above sets it
        raise RuntimeError(f"no mask computed for filter_by={filter_by!r}")
    mask &= ~found.keep
    return mask, thresholds


def find_label_issues(
    labels: Any,
    pred_probs: Any,
    *,
    filter_by: str = "prune_by_noise_rate",
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: Mapping[str, Any] | None = None,
    multi_label: bool = False,
    frac_noise: float = 1.0,
    num_to_remove_per_class: Sequence[int] | None = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | None = None,
    classes: Sequence[Any] | None = None,
) -> np.ndarray:
    """Items whose given label is likely wrong, by confident learning.

    Agrees with ``cleanlab.filter.find_label_issues`` called with the same
    arguments (multi-label: ``cleanlab.multilabel_classification.filter.find_label_issues``,
    each class pruned as its own binary problem), several times faster and
    with little memory beyond the input: the confident joint comes from one
    streaming pass, each class's pruning from partial selections.

    Parameters
    ----------
    labels : array-like, shape (N,)
        Given label of each item: integer columns 0..K-1, or class names with
        ``classes``. With ``multi_label=True``: N lists of classes, or an
        N × K 0/1 matrix.
    pred_probs : ndarray, shape (N, K)
        Out-of-fold predicted probabilities.
    filter_by : str
        ``"prune_by_noise_rate"`` (default), ``"prune_by_class"``, ``"both"``,
        ``"confident_learning"`` or ``"predicted_neq_given"``, computed here;
        ``"low_normalized_margin"`` / ``"low_self_confidence"`` are handed to
        cleanlab.
    return_indices_ranked_by : str, optional
        A :data:`METHODS` name: return the flagged indices ordered worst first
        by that score instead of a mask.
    rank_by_kwargs : mapping, optional
        Options of that score (``adjust_pred_probs``).
    multi_label : bool
        Labels are sets of classes.
    frac_noise, num_to_remove_per_class, min_examples_per_class, confident_joint
        As in cleanlab: scale the number pruned, fix it per class, keep at
        least this many per class, or use a precomputed K × K confident joint.
    classes : sequence, optional
        Class name of each column of ``pred_probs``, to give ``labels`` as names.

    Returns
    -------
    ndarray
        Shape (N,) bool mask, or the flagged row numbers (int) worst first when
        ``return_indices_ranked_by`` is given.

    Raises
    ------
    ValueError
        Bad shapes, NaN or out-of-range probabilities, labels out of range,
        unknown class names or options.
    """
    if filter_by not in FILTERS + _DELEGATED_FILTERS:
        raise ValueError(f"filter_by must be one of {list(FILTERS + _DELEGATED_FILTERS)}, "
                         f"got {filter_by!r}")  # fmt: skip
    rank_kwargs = dict(rank_by_kwargs or {})
    if return_indices_ranked_by is not None:
        _check_method(return_indices_ranked_by, bool(rank_kwargs.get("adjust_pred_probs")))
        unknown = set(rank_kwargs) - {"adjust_pred_probs"}
        if unknown:
            raise TypeError(f"rank_by_kwargs got unexpected keys {sorted(unknown)}")
    if not 0 <= frac_noise <= 1:
        raise ValueError(f"frac_noise must be in [0, 1], got {frac_noise!r}")
    if num_to_remove_per_class is not None and filter_by not in (
        "prune_by_noise_rate", "prune_by_class", "both"
    ):  # fmt: skip
        raise ValueError(
            "num_to_remove_per_class works with filter_by 'prune_by_noise_rate', "
            f"'prune_by_class' or 'both', not {filter_by!r}"
        )
    probs = as_probs(pred_probs)
    n, k = probs.shape
    if multi_label:
        onehot = _as_multilabel(labels, n, k, classes)
        return _multilabel_issues(
            onehot, probs, filter_by=filter_by, return_indices_ranked_by=return_indices_ranked_by,
            rank_kwargs=rank_kwargs, frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class, confident_joint=confident_joint,
        )  # fmt: skip
    lab = _as_labels(labels, n, k, classes)
    if filter_by in _DELEGATED_FILTERS:
        _validate_stream(probs)
        cleanlab_filter = require("cleanlab.filter", "ml")
        return cleanlab_filter.find_label_issues(
            lab, probs, filter_by=filter_by, return_indices_ranked_by=return_indices_ranked_by,
            rank_by_kwargs=rank_kwargs, min_examples_per_class=min_examples_per_class,
            confident_joint=confident_joint, n_jobs=1,
        )  # fmt: skip
    if n == 0:
        return np.empty(0, dtype=np.intp if return_indices_ranked_by else bool)
    mask, thresholds = _issues_single(
        probs, lab, filter_by=filter_by, frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class, confident_joint=confident_joint,
        validate=True,
    )  # fmt: skip
    if return_indices_ranked_by is None:
        return mask
    flagged = np.flatnonzero(mask)
    adjusted = thresholds if rank_kwargs.get("adjust_pred_probs") else None
    scores = _scores(
        np.asarray(probs[flagged]),
        lab[flagged],
        return_indices_ranked_by,
        adjusted,
        validate=False,
    )
    return flagged[np.argsort(scores)]


def _validate_stream(probs: np.ndarray) -> None:
    step = _chunk_rows(probs.shape[1], probs.itemsize)
    for start in range(0, len(probs), step):
        chunk = probs[start : start + step]
        _check_range(chunk.min(), chunk.max())


def _multilabel_issues(
    onehot: np.ndarray,
    probs: np.ndarray,
    *,
    filter_by: str,
    return_indices_ranked_by: str | None,
    rank_kwargs: dict[str, Any],
    frac_noise: float,
    num_to_remove_per_class: Sequence[int] | None,
    min_examples_per_class: int,
    confident_joint: np.ndarray | None,
) -> np.ndarray:
    """Each class as a binary problem ``[1 - p, p]``; an item is flagged if any class is."""
    n, k = probs.shape
    if filter_by in _DELEGATED_FILTERS:
        _validate_stream(probs)
        ml_filter = require("cleanlab.multilabel_classification.filter", "ml")
        return ml_filter.find_label_issues(
            [list(np.flatnonzero(row)) for row in onehot], probs, filter_by=filter_by,
            return_indices_ranked_by=return_indices_ranked_by, rank_by_kwargs=rank_kwargs,
            min_examples_per_class=min_examples_per_class, n_jobs=1,
        )  # fmt: skip
    if confident_joint is not None:
        confident_joint = np.asarray(confident_joint)
        if confident_joint.shape != (k, 2, 2):
            raise ValueError(
                f"a multi-label confident_joint must have shape (K, 2, 2) = {(k, 2, 2)}, "
                f"got {confident_joint.shape}"
            )
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return np.empty(0, dtype=np.intp) if return_indices_ranked_by else mask
    _validate_stream(probs)
    for c in range(k):
        binary = _binary(np.asarray(probs[:, c]))
        lab = onehot[:, c].astype(np.intp)
        remove = None if num_to_remove_per_class is None else [num_to_remove_per_class[c], 0]
        found, _ = _issues_single(
            binary, lab, filter_by=filter_by, frac_noise=frac_noise,
            num_to_remove_per_class=remove, min_examples_per_class=min_examples_per_class,
            confident_joint=None if confident_joint is None else confident_joint[c],
            validate=False,
        )  # fmt: skip
        mask |= found
    if return_indices_ranked_by is None:
        return mask
    flagged = np.flatnonzero(mask)
    if rank_kwargs.get("adjust_pred_probs"):
        # Thresholds come from all rows, as in cleanlab: score everything, then pick.
        scores = _multilabel_scores(onehot, probs, return_indices_ranked_by, True, validate=False)
        scores = scores[flagged]
    else:
        scores = _multilabel_scores(
            onehot[flagged], np.asarray(probs[flagged]), return_indices_ranked_by, False,
            validate=False,
        )  # fmt: skip
    return flagged[np.argsort(scores)]


# -- multi-annotator consensus -------------------------------------------------------------
@dataclass
class Consensus:
    """The outcome of :func:`consensus`.

    Attributes
    ----------
    items : DataFrame, one row per item (index: the input's index)
        ``consensus_label`` (class names when ``classes`` was given),
        ``consensus_quality`` (0..1, higher = more trustworthy),
        ``annotator_agreement`` (fraction of the item's annotators who chose
        the consensus label) and ``num_annotations``.
    annotators : DataFrame, one row per annotator (index: annotator), worst first
        ``annotator_quality`` (0..1), ``agreement_with_consensus``,
        ``worst_class`` and ``num_examples_labeled``.
    label_quality : DataFrame or None, shape (N, M)
        Quality of each annotator's label of each item (NaN where they gave
        none); only with model probabilities.
    """

    items: pd.DataFrame
    annotators: pd.DataFrame
    label_quality: pd.DataFrame | None = None


def _multiannotator_codes(
    labels_multiannotator: Any, classes: Sequence[Any] | None
) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """An N × M float array of class numbers (NaN = not labeled), the items and the annotators."""
    if isinstance(labels_multiannotator, pd.DataFrame):
        frame = labels_multiannotator
    else:
        arr = np.asarray(labels_multiannotator, dtype=object)
        if arr.ndim != 2:
            raise ValueError(
                f"labels_multiannotator must be 2-D (N items × M annotators), got shape {arr.shape}"
            )
        frame = pd.DataFrame(arr)
    values = frame.to_numpy(dtype=object)
    missing = pd.isna(values)
    codes = np.full(values.shape, np.nan)
    given = values[~missing]
    if classes is not None:
        mapped = _map_classes(np.asarray(given, dtype=object), classes).astype(float)
    else:
        try:
            mapped = np.asarray(given, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                "labels_multiannotator holds class names: pass classes= to map them to "
                "class numbers"
            ) from None
        if len(mapped) and (np.any(mapped != np.floor(mapped)) or mapped.min() < 0):
            raise ValueError("labels_multiannotator must hold class numbers 0..K-1 or NaN")
    codes[~missing] = mapped
    empty_rows = missing.all(axis=1)
    if empty_rows.any():
        raise ValueError(
            f"items {list(frame.index[empty_rows][:5])} have no label from any annotator"
        )
    empty_cols = missing.all(axis=0)
    if empty_cols.any():
        raise ValueError(f"annotators {list(frame.columns[empty_cols][:5])} labeled no item")
    return codes, frame.index, frame.columns


def consensus(
    labels_multiannotator: Any,
    pred_probs: Any = None,
    *,
    classes: Sequence[Any] | None = None,
    consensus_method: str = "best_quality",
    quality_method: str = "crowdlab",
    calibrate_probs: bool = False,
) -> Consensus:
    """One label per item from several annotators, how much to trust it, and each annotator.

    With ``pred_probs`` this is cleanlab's CROWDLAB
    (``cleanlab.multiannotator.get_label_quality_multiannotator``): annotators'
    votes and the model's probabilities are weighed by how reliable each has
    proven. Without a model it is a majority vote with cleanlab's tie-breaks
    (``get_majority_vote_label``: the class rarer overall, then the class whose
    annotators agree best with the majority elsewhere; where that still ties,
    the lower class number instead of cleanlab's random pick), the consensus
    quality is the agreement, and an annotator's quality is their agreement
    with the consensus on items that others labeled too.

    Parameters
    ----------
    labels_multiannotator : DataFrame or array-like, shape (N, M)
        Label of item n by annotator m, NaN/None where they gave none (e.g.
        :func:`annotator_labels`). Class numbers, or class names with ``classes``.
    pred_probs : ndarray, shape (N, K), optional
        Out-of-fold model probabilities for the same items.
    classes : sequence, optional
        Class names in ``pred_probs`` column order; results use the names too.
    consensus_method, quality_method, calibrate_probs
        Passed to cleanlab (with ``pred_probs`` only).

    Returns
    -------
    Consensus
    """
    codes, items, annotators = _multiannotator_codes(labels_multiannotator, classes)
    names = list(classes) if classes is not None else None
    if pred_probs is None:
        result = _majority(codes, items, annotators, len(names) if names else None)
    else:
        result = _crowdlab(codes, items, annotators, pred_probs, consensus_method,
                           quality_method, calibrate_probs)  # fmt: skip
    if names is not None:
        to_name = dict(enumerate(names))
        result.items["consensus_label"] = result.items["consensus_label"].map(to_name)
        result.annotators["worst_class"] = result.annotators["worst_class"].map(to_name)
    return result


def _crowdlab(
    codes: np.ndarray,
    items: pd.Index,
    annotators: pd.Index,
    pred_probs: Any,
    consensus_method: str,
    quality_method: str,
    calibrate_probs: bool,
) -> Consensus:
    multiannotator = require("cleanlab.multiannotator", "ml")
    probs = np.asarray(as_probs(pred_probs))
    if len(probs) != len(codes):
        raise ValueError(
            f"pred_probs has {len(probs)} rows but labels_multiannotator has {len(codes)} items"
        )
    _validate_stream(probs)
    top = int(np.nanmax(codes))
    if top >= probs.shape[1]:
        raise ValueError(f"label {top} is out of range: pred_probs has {probs.shape[1]} columns")
    frame = pd.DataFrame(codes, columns=range(codes.shape[1]))
    out = multiannotator.get_label_quality_multiannotator(
        frame, probs, consensus_method=consensus_method, quality_method=quality_method,
        calibrate_probs=calibrate_probs, verbose=False,
    )  # fmt: skip
    lq = out["label_quality"]
    table = pd.DataFrame(
        {
            "consensus_label": lq["consensus_label"].to_numpy(),
            "consensus_quality": lq["consensus_quality_score"].to_numpy(),
            "annotator_agreement": lq["annotator_agreement"].to_numpy(),
            "num_annotations": lq["num_annotations"].to_numpy(),
        },
        index=items,
    )
    stats = out["annotator_stats"]
    who = annotators[stats.index.to_numpy(dtype=int)]
    per_annotator = pd.DataFrame(
        {
            "annotator_quality": stats["annotator_quality"].to_numpy(),
            "agreement_with_consensus": stats["agreement_with_consensus"].to_numpy(),
            "worst_class": stats["worst_class"].to_numpy(),
            "num_examples_labeled": stats["num_examples_labeled"].to_numpy(),
        },
        index=pd.Index(who, name=annotators.name),
    )
    detailed = out["detailed_label_quality"]
    detailed = pd.DataFrame(detailed.to_numpy(), index=items, columns=annotators)
    return Consensus(table, per_annotator, detailed)


def _majority_label(codes: np.ndarray, given: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The most voted class of each item, ties broken as
    ``cleanlab.multiannotator.get_majority_vote_label`` without probabilities: the class
    rarer over all votes, then the class whose voters agree best with the majority on the
    items without a tie (an annotator's mean agreement; the average annotator's where they
    labeled none of those). Ties left after that go to the lower class number (cleanlab
    picks one of them at random)."""
    tied = counts == counts.max(axis=1, keepdims=True)
    clear = tied.sum(axis=1) == 1
    if clear.all():
        return counts.argmax(axis=1)
    frequency = counts.sum(axis=0)
    rarest = np.where(tied, frequency, np.iinfo(frequency.dtype).max).min(axis=1, keepdims=True)
    tied &= frequency[None, :] == rarest
    left = np.flatnonzero(tied.sum(axis=1) > 1)
    if len(left):
        majority = counts[clear].argmax(axis=1)
        agreement = np.full(codes.shape[1], np.nan)
        for a in range(codes.shape[1]):
            mine = given[clear, a]
            if mine.any():
                agreement[a] = np.mean(codes[clear, a][mine] == majority[mine])
        known = ~np.isnan(agreement)
        if known.any():
            agreement[~known] = np.mean(agreement[known])
            for i in left:
                candidates = np.flatnonzero(tied[i])
                score = np.array([np.mean(agreement[codes[i] == c]) for c in candidates])
                tied[i, candidates[score != score.max()]] = False
    return tied.argmax(axis=1)


def _majority(codes: np.ndarray, items: pd.Index, annotators: pd.Index, k: int | None) -> Consensus:
    n, m = codes.shape
    given = ~np.isnan(codes)
    k = k or int(np.nanmax(codes)) + 1
    if np.nanmax(codes) >= k:
        raise ValueError(f"label {int(np.nanmax(codes))} is out of range for {k} classes")
    rows, cols = np.nonzero(given)
    labs = codes[rows, cols].astype(np.intp)
    counts = np.bincount(rows * k + labs, minlength=n * k).reshape(n, k)
    label = _majority_label(codes, given, counts)
    num = given.sum(axis=1)
    agreement = counts[np.arange(n), label] / num
    table = pd.DataFrame(
        {"consensus_label": label, "consensus_quality": agreement,
         "annotator_agreement": agreement, "num_annotations": num},
        index=items,
    )  # fmt: skip
    agree = np.where(given, codes == label[:, None], False)
    shared = given & (num > 1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        quality = agree.sum(axis=0, where=shared) / shared.sum(axis=0)
        with_consensus = agree.sum(axis=0) / given.sum(axis=0)
    worst = []
    for a in range(m):
        mine = given[:, a]
        wrong = np.bincount(label[mine & ~agree[:, a]], minlength=k)
        seen = np.bincount(label[mine], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(seen > 0, wrong / seen, -1.0)
        worst.append(int(np.argmax(rate)))  # highest disagreement rate; the lowest class on ties
    per_annotator = pd.DataFrame(
        {"annotator_quality": quality, "agreement_with_consensus": with_consensus,
         "worst_class": worst, "num_examples_labeled": given.sum(axis=0)},
        index=annotators,
    ).sort_values(["annotator_quality", "agreement_with_consensus"])  # fmt: skip
    return Consensus(table, per_annotator, None)


def default_estimator() -> Any:
    """The model :func:`workbench.audit.find_issues_out_of_fold` trains when given none.

    A soft vote of a regularised logistic regression and a distance-weighted
    10-nearest-neighbour classifier, both on standardised features: fast
    (seconds for thousands of items) and, on digits with 10% flipped labels,
    a better detector than either alone (see ``tests/benchmarks/bench_audit.py``).
    """
    require("sklearn", "ml")
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    linear = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))
    neighbours = make_pipeline(StandardScaler(), KNeighborsClassifier(10, weights="distance"))
    return VotingClassifier([("linear", linear), ("neighbours", neighbours)], voting="soft")
