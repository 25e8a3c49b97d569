"""Acquisition functions: which unlabeled items to label next.

Every strategy takes its data positionally and its options keyword-only, and
returns a :class:`Selection` ``(indices, scores)``: the chosen row indices,
most informative first, and each one's score (higher = more informative).
The order becomes the labeling queue's order.

Uncertainty (one model's class probabilities, ``N × K``):
    :func:`least_confidence`, :func:`margin`, :func:`entropy`.
Committee disagreement (``M`` models' probabilities, ``M × N × K``):
    :func:`vote_entropy`, :func:`kl_to_consensus`.
Bayesian (``T`` stochastic forward passes, ``T × N × K``, from :func:`mc_dropout_probs`):
    :func:`bald`.
Diversity (embeddings, ``N × D``): :func:`k_center`.
Both: :func:`hybrid`. Baseline: :func:`random`.

How the uncertainty measures stay fast on pools of millions of rows:

* they stream over the array in chunks of rows (a memory-mapped ``.npy`` is
  never read whole nor copied whole);
* each chunk is laid out class-major (``K × n``) in a reused buffer, so the
  per-row maximum, second maximum and sum are a few vectorised operations
  across ``K`` rows instead of slow reductions over a short last axis. A pool
  stored class-major already (``class_major=True``, see :func:`to_class_major`)
  skips that copy, and so does a :class:`~workbench.ml.predictions.Predictions`
  passed as it is (``sampling.margin(preds, k=50)``): pre-labeling saves a
  class-major copy beside the probabilities;
* the top two values are found on the bit patterns as unsigned integers: for
  non-negative floats the order is the same, and a negative value, NaN or
  infinity becomes larger than any probability, so checking the row maximum
  against ``1 + tol`` validates a chunk for free;
* top-k keeps a running threshold: once ``k`` candidates are known, a chunk
  contributes only rows that beat the current ``k``-th best, and the small
  candidate set is cut back with ``argpartition``. The pool is never sorted.

Ties are broken by the lower row index, so every result is deterministic.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..errors import require

__all__ = [
    "Selection",
    "least_confidence",
    "margin",
    "entropy",
    "random",
    "vote_entropy",
    "kl_to_consensus",
    "bald",
    "k_center",
    "hybrid",
    "scores",
    "mc_dropout_probs",
    "to_class_major",
    "STRATEGIES",
    "get",
]

TOLERANCE = 1e-3
"""How far a row's sum may be from 1 before it is rejected."""

_CHUNK_BYTES = 1 << 20  # one class-major block: big enough to amortise numpy's per-call cost


class Selection(NamedTuple):
    """The rows a strategy picked, most informative first.

    Attributes
    ----------
    indices : ndarray, shape (m,), int64
        Row indices into the pool, ``m = min(k, rows available)``.
    scores : ndarray, shape (m,), float
        The strategy's score of each chosen row, non-increasing for the
        uncertainty and committee measures (higher = more informative).
    """

    indices: np.ndarray
    scores: np.ndarray


# -- argument checks -------------------------------------------------------------------
def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be a positive int, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    return int(k)


def _layout(probs: Any, class_major: bool) -> tuple[Any, bool]:
    """A :class:`~workbench.ml.predictions.Predictions` stands for its class-major copy
    when it has one (the fast layout), else for its ``N × K`` probabilities."""
    if hasattr(probs, "by_class") and hasattr(probs, "ids"):
        if class_major:
            raise ValueError("class_major=True is for a K × N array, not a Predictions")
        if probs.by_class is not None:
            return probs.by_class, True
        return probs.probs, False
    return probs, class_major


def _as_array(a: Any, name: str) -> np.ndarray:
    """``a`` as an ndarray without copying arrays (memmaps stay memmaps)."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "__array__") and hasattr(a, "shape") and hasattr(a, "dtype"):
        if type(a).__module__.startswith("torch"):
            return a.detach().cpu().numpy()
        return np.asarray(a)
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of floats, got {type(a).__name__}") from exc


def _compute_dtype(dtype: np.dtype, name: str) -> np.dtype:
    """float16 is computed in float32; float32 and float64 in themselves."""
    if dtype == np.float64:
        return np.dtype(np.float64)
    if dtype in (np.float32, np.float16):
        return np.dtype(np.float32)
    raise TypeError(f"{name} must be float16, float32 or float64, got dtype {dtype}")


def _probs_shape(probs: np.ndarray, class_major: bool, min_classes: int) -> tuple[int, int]:
    if probs.ndim != 2:
        layout = "K × N (class-major)" if class_major else "N × K"
        raise ValueError(f"probs must be 2-D ({layout}), got shape {probs.shape}")
    k_, n = probs.shape if class_major else probs.shape[::-1]
    if k_ < min_classes:
        raise ValueError(f"probs has {k_} class(es); this measure needs at least {min_classes}")
    return n, k_


def _exclude_mask(exclude: Any, n: int, name: str = "exclude") -> np.ndarray | None:
    """``exclude`` (row indices or a boolean mask) as a boolean mask of length ``n``."""
    if exclude is None:
        return None
    ex = np.asarray(exclude)
    if ex.dtype == bool:
        if ex.shape != (n,):
            raise ValueError(f"{name} as a boolean mask must have shape ({n},), got {ex.shape}")
        return ex
    if ex.size == 0:
        return np.zeros(n, dtype=bool)
    if not np.issubdtype(ex.dtype, np.integer):
        raise TypeError(f"{name} must be row indices or a boolean mask, got dtype {ex.dtype}")
    ex = ex.ravel()
    if ex.min() < 0 or ex.max() >= n:
        raise ValueError(f"{name} has row indices outside 0..{n - 1}")
    mask = np.zeros(n, dtype=bool)
    mask[ex] = True
    return mask


def _chunk_rows(chunk_rows: int | None, k_: int, itemsize: int = 4) -> int:
    if chunk_rows is None:
        return int(min(1 << 18, max(1024, _CHUNK_BYTES // (k_ * itemsize))))
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, numbers.Integral):
        raise TypeError(f"chunk_rows must be a positive int, got {chunk_rows!r}")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive int, got {chunk_rows!r}")
    return int(chunk_rows)


# -- validation ------------------------------------------------------------------------
def _first_bad_row(block: np.ndarray, what: str = "probs") -> tuple[int, str] | None:
    """The first invalid row of a class-major ``(K, n)`` block and what is wrong with it."""
    b = np.asarray(block, dtype=np.float64)
    finite = np.isfinite(b).all(axis=0)
    negative = (b < 0).any(axis=0)
    sums = b.sum(axis=0)
    off = ~(np.abs(sums - 1.0) <= TOLERANCE)
    bad = ~finite | negative | off
    if not bad.any():
        return None
    r = int(np.argmax(bad))
    if not finite[r]:
        return r, f"{what} row {{row}} contains NaN or infinity"
    if negative[r]:
        col = int(np.argmax(b[:, r] < 0))
        return r, f"{what} row {{row}} has a negative value ({b[col, r]:g} in column {col})"
    return r, f"{what} row {{row}} sums to {sums[r]:.6g}, not 1 (tolerance {TOLERANCE:g})"


def _raise_or_clean(block: np.ndarray, start: int, what: str = "probs") -> np.ndarray:
    """Raise ``ValueError`` for the first bad row of ``block``, or return a cleaned copy.

    The fast checks flag a row that holds ``-0.0`` (its bit pattern looks
    negative); such a block is valid and comes back with ``-0.0`` made ``+0.0``.
    """
    found = _first_bad_row(block, what)
    if found is not None:
        r, msg = found
        raise ValueError(msg.format(row=start + r))
    return block + block.dtype.type(0)  # -0.0 + 0.0 == +0.0


def _check_rows(x: np.ndarray, start: int, what: str) -> None:
    """Validate a row-major ``(n, K)`` float64 block of probabilities."""
    if x.size == 0:
        return
    lo = x.min()
    sums = x.sum(axis=1)
    if lo >= 0 and np.abs(sums - 1.0).max() <= TOLERANCE:
        return
    found = _first_bad_row(x.T, what)
    if found is not None:
        r, msg = found
        raise ValueError(msg.format(row=start + r))


# -- streaming -------------------------------------------------------------------------
def _blocks(
    probs: np.ndarray, class_major: bool, chunk_rows: int, cdt: np.dtype
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, block)``: each chunk of rows as a class-major ``(K, n)`` array.

    The block is a view of class-major input when no cast is needed, otherwise
    a reused buffer (do not keep it across iterations).
    """
    k_, n_rows = probs.shape if class_major else probs.shape[::-1]
    direct = class_major and probs.dtype == cdt
    buf = None if direct else np.empty((k_, min(chunk_rows, max(n_rows, 1))), dtype=cdt)
    for s in range(0, n_rows, chunk_rows):
        e = min(n_rows, s + chunk_rows)
        if direct:
            yield s, probs[:, s:e]
        else:
            b = buf[:, : e - s]
            np.copyto(b, probs[:, s:e] if class_major else probs[s:e].T)
            yield s, b


class _Workspace:
    """Per-call scratch arrays, reused for every chunk."""

    def __init__(self, k_: int, rows: int, cdt: np.dtype, logs: bool = False) -> None:
        udt = np.uint32 if cdt == np.float32 else np.uint64
        self.cdt, self.udt = cdt, np.dtype(udt)
        self.m1 = np.empty(rows, dtype=udt)
        self.m2 = np.empty(rows, dtype=udt)
        self.tmp = np.empty(rows, dtype=udt)
        self.sums = np.empty(rows, dtype=cdt)
        self.key = np.empty(rows, dtype=cdt)
        self.logs = np.empty((k_, rows), dtype=cdt) if logs else None
        # a probability may exceed 1 by rounding; anything negative, NaN or inf is above this
        self.limit = np.array(1 + TOLERANCE, dtype=cdt).view(udt)[()]
        self.tiny = np.array(np.finfo(cdt).tiny, dtype=cdt).view(udt)[()]


def _sums_ok(ws: _Workspace, block: np.ndarray, n: int) -> bool:
    s = np.add.reduce(block, axis=0, out=ws.sums[:n])
    return bool(s.min() >= 1 - TOLERANCE and s.max() <= 1 + TOLERANCE)


def _key_least_confidence(block: np.ndarray, ws: _Workspace) -> np.ndarray | None:
    """Largest probability of each row (smaller = more uncertain), or None if invalid."""
    n = block.shape[1]
    m1 = np.maximum.reduce(block.view(ws.udt), axis=0, out=ws.m1[:n])
    if m1.max() > ws.limit or not _sums_ok(ws, block, n):
        return None
    return m1.view(ws.cdt)


def _key_margin(block: np.ndarray, ws: _Workspace) -> np.ndarray | None:
    """Largest minus second-largest probability of each row, or None if invalid."""
    n = block.shape[1]
    u = block.view(ws.udt)
    m1, m2, tmp = ws.m1[:n], ws.m2[:n], ws.tmp[:n]
    np.maximum(u[0], u[1], out=m1)
    np.minimum(u[0], u[1], out=m2)
    for j in range(2, u.shape[0]):  # running top two, three in-cache passes per class
        c = u[j]
        np.minimum(m1, c, out=tmp)
        np.maximum(m2, tmp, out=m2)
        np.maximum(m1, c, out=m1)
    if m1.max() > ws.limit or not _sums_ok(ws, block, n):
        return None
    return np.subtract(m1.view(ws.cdt), m2.view(ws.cdt), out=ws.key[:n])


def _key_entropy(block: np.ndarray, ws: _Workspace) -> np.ndarray | None:
    """Shannon entropy of each row in nats, or None if invalid."""
    n = block.shape[1]
    logs = ws.logs[:, :n]
    # clamp 0 to the smallest normal so 0 * log(0) is 0; on the bit patterns a
    # negative value stays negative and so turns the row's entropy into NaN
    np.maximum(block.view(ws.udt), ws.tiny, out=logs.view(ws.udt))
    with np.errstate(divide="ignore", invalid="ignore"):  # bad rows are reported below
        np.log(logs, out=logs)
        np.multiply(logs, block, out=logs)
    h = np.add.reduce(logs, axis=0, out=ws.key[:n])
    np.negative(h, out=h)
    if not (np.isfinite(h.min()) and np.isfinite(h.max())) or not _sums_ok(ws, block, n):
        return None
    return h


class _Uncertainty(NamedTuple):
    key: Callable[[np.ndarray, _Workspace], np.ndarray | None]
    smaller_is_better: bool
    to_score: Callable[[np.ndarray], np.ndarray]
    min_classes: int
    logs: bool


def _one_minus(x: np.ndarray) -> np.ndarray:
    return x.dtype.type(1) - x


_MEASURES = {
    "least_confidence": _Uncertainty(_key_least_confidence, True, _one_minus, 1, False),
    "margin": _Uncertainty(_key_margin, True, _one_minus, 2, False),
    "entropy": _Uncertainty(_key_entropy, False, lambda x: x, 1, True),
}


def _stream_keys(
    probs: Any, measure: _Uncertainty, class_major: bool, chunk_rows: int | None
) -> tuple[int, np.dtype, Iterator[tuple[int, np.ndarray]]]:
    """``(N, dtype, iterator of (start, key))`` for an uncertainty measure."""
    probs, class_major = _layout(probs, class_major)
    arr = _as_array(probs, "probs")
    cdt = _compute_dtype(arr.dtype, "probs")
    n, k_ = _probs_shape(arr, class_major, measure.min_classes)
    rows = _chunk_rows(chunk_rows, k_)

    def keys() -> Iterator[tuple[int, np.ndarray]]:
        ws = _Workspace(k_, min(rows, max(n, 1)), cdt, logs=measure.logs)
        for start, block in _blocks(arr, class_major, rows, cdt):
            key = measure.key(block, ws)
            if key is None:  # a bad row somewhere, or only -0.0: find out exactly
                key = measure.key(_raise_or_clean(block, start), ws)
                if key is None:  # pragma: no cover - a cleaned block always passes
                    raise ValueError(f"probs rows {start}.. could not be validated")
            yield start, key

    return n, cdt, keys()


# -- top-k -----------------------------------------------------------------------------
class _TopK:
    """The ``k`` best rows over a stream of key chunks, ties to the lower row index.

    Keeps a candidate list in increasing row order. Once ``k`` candidates are
    known, the ``k``-th best key is a threshold and later rows must beat it
    strictly (an equal key from a later row loses the tie). The list is cut
    back to ``k`` with ``argpartition`` whenever it grows past ``cap``.
    """

    def __init__(self, k: int, smaller_is_better: bool, exclude: np.ndarray | None) -> None:
        self.k = k
        self.smaller = smaller_is_better
        self.exclude = exclude
        self.thr: float | None = None
        self.idx: list[np.ndarray] = []
        self.val: list[np.ndarray] = []
        self.count = 0
        self.cap = max(4 * k, 8192)

    def push(self, start: int, key: np.ndarray) -> None:
        if self.thr is None:
            pos = np.arange(len(key))
        elif self.smaller:
            pos = np.flatnonzero(key < self.thr)
        else:
            pos = np.flatnonzero(key > self.thr)
        if len(pos) == 0:
            return
        vals = key[pos]
        pos += start
        if self.exclude is not None:
            keep = ~self.exclude[pos]
            pos, vals = pos[keep], vals[keep]
        self.idx.append(pos.astype(np.int64, copy=False))
        self.val.append(vals)
        self.count += len(pos)
        if self.count > self.cap:
            self._compact()

    def _merged(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self.idx) != 1:
            self.idx = [np.concatenate(self.idx) if self.idx else np.empty(0, np.int64)]
            self.val = [np.concatenate(self.val) if self.val else np.empty(0)]
        return self.idx[0], self.val[0]

    def _compact(self) -> None:
        idx, val = self._merged()
        k = self.k
        if len(idx) <= k:
            return
        v = val if self.smaller else -val
        kth = np.partition(v, k - 1)[k - 1]
        better = v < kth
        tied = v == kth
        # the list is in row order, so the first tied entries have the lowest rows
        need = k - int(better.sum())
        keep = better | (tied & (np.cumsum(tied) <= need))
        self.idx, self.val = [idx[keep]], [val[keep]]
        self.count = k
        self.thr = kth if self.smaller else -kth

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        idx, val = self._merged()
        order = np.lexsort((idx, val if self.smaller else -val))[: self.k]
        return idx[order], val[order]


# -- uncertainty -----------------------------------------------------------------------
def _select_uncertain(
    name: str,
    probs: Any,
    k: Any,
    exclude: Any,
    class_major: bool,
    chunk_rows: int | None,
) -> Selection:
    k = _check_k(k)
    measure = _MEASURES[name]
    n, cdt, keys = _stream_keys(probs, measure, class_major, chunk_rows)
    top = _TopK(k, measure.smaller_is_better, _exclude_mask(exclude, n))
    for start, key in keys:
        top.push(start, key)
    idx, val = top.result()
    return Selection(idx, measure.to_score(val.astype(cdt, copy=False)))


def least_confidence(
    probs: Any,
    *,
    k: int,
    exclude: Any = None,
    class_major: bool = False,
    chunk_rows: int | None = None,
) -> Selection:
    """The ``k`` rows whose most likely class is least likely.

    Score ``1 - max_c p[c]``, in ``[0, 1 - 1/K]``.

    Parameters
    ----------
    probs : array, shape (N, K), or (K, N) with ``class_major=True``
        Class probabilities, rows summing to 1 (within ``TOLERANCE``);
        float16, float32 or float64, in memory or memory-mapped. float16 is
        computed in float32.
    k : int
        How many rows to pick; fewer come back when fewer are available.
    exclude : array of int or bool mask of shape (N,), optional
        Rows never picked, e.g. the ones already labeled.
    class_major : bool
        ``probs`` is laid out ``K × N`` (see :func:`to_class_major`); faster.
    chunk_rows : int, optional
        Rows per streamed chunk; by default about 1 MiB of probabilities.

    Returns
    -------
    Selection
        ``indices`` (int64) and ``scores`` (float32, float64 for float64
        input), most uncertain first, ties to the lower row index.

    Raises
    ------
    ValueError
        ``probs`` is not 2-D, or a row holds NaN, infinity, a negative value
        or does not sum to 1; the message names the first such row.
    """
    return _select_uncertain("least_confidence", probs, k, exclude, class_major, chunk_rows)


def margin(
    probs: Any,
    *,
    k: int,
    exclude: Any = None,
    class_major: bool = False,
    chunk_rows: int | None = None,
) -> Selection:
    """The ``k`` rows with the smallest gap between the two most likely classes.

    Score ``1 - (p(1) - p(2))``, in ``[0, 1]``, where ``p(1) ≥ p(2)`` are the
    two largest probabilities of the row. Rows are ranked by the gap itself,
    so scores that round to equal keep the exact gap's order. Needs ``K ≥ 2``.
    Parameters, returns and errors as in :func:`least_confidence`.
    """
    return _select_uncertain("margin", probs, k, exclude, class_major, chunk_rows)


def entropy(
    probs: Any,
    *,
    k: int,
    exclude: Any = None,
    class_major: bool = False,
    chunk_rows: int | None = None,
) -> Selection:
    """The ``k`` rows with the highest Shannon entropy ``-Σ_c p[c] log p[c]`` (nats).

    ``0 log 0`` counts as 0. Parameters, returns and errors as in
    :func:`least_confidence`.
    """
    return _select_uncertain("entropy", probs, k, exclude, class_major, chunk_rows)


def random(
    n_or_probs: Any,
    *,
    k: int,
    exclude: Any = None,
    seed: int | np.random.Generator | None = None,
) -> Selection:
    """``k`` rows drawn uniformly without replacement: the baseline.

    Parameters
    ----------
    n_or_probs : int or array of N rows
        The pool size, or any array whose first axis is the pool (only its
        length is used).
    k : int
    exclude : array of int or bool mask, optional
        Rows never picked.
    seed : int or numpy Generator, optional

    Returns
    -------
    Selection
        The scores are the rows' uniform random priorities in ``[0, 1)``,
        highest first: the same as taking the top ``k`` of a random key.
    """
    k = _check_k(k)
    if isinstance(n_or_probs, numbers.Integral) and not isinstance(n_or_probs, bool):
        n = int(n_or_probs)
        if n < 0:
            raise ValueError(f"n must be at least 0, got {n}")
    else:
        n = len(n_or_probs)
    rng = np.random.default_rng(seed)
    mask = _exclude_mask(exclude, n)
    if mask is None:
        idx = rng.choice(n, size=min(k, n), replace=False) if n else np.empty(0, np.int64)
    else:
        avail = np.flatnonzero(~mask)
        idx = rng.choice(avail, size=min(k, len(avail)), replace=False)
    prio = np.sort(rng.random(len(idx)))[::-1]
    return Selection(np.asarray(idx, dtype=np.int64), prio)


# -- committees and BALD ---------------------------------------------------------------
def _members(stack: Any, name: str, what: str) -> tuple[list[np.ndarray], int, int]:
    """A committee (sequence of N × K arrays or one M × N × K array) as a list of arrays."""
    if isinstance(stack, np.ndarray) or (hasattr(stack, "shape") and hasattr(stack, "dtype")):
        arr = _as_array(stack, name)
        if arr.ndim != 3:
            raise ValueError(f"{name} must be {what} × N × K, got shape {arr.shape}")
        members = [arr[m] for m in range(arr.shape[0])]
    else:
        members = [_as_array(p, name) for p in stack]
    if len(members) < 2:
        raise ValueError(f"{name} needs at least 2 {what.lower()} members, got {len(members)}")
    shape = members[0].shape
    for m, p in enumerate(members):
        if p.ndim != 2 or p.shape != shape:
            raise ValueError(f"{name}[{m}] has shape {p.shape}; each must be N × K like {shape}")
        _compute_dtype(p.dtype, f"{name}[{m}]")
    n, k_ = shape
    if k_ < 2:
        raise ValueError(f"{name} has {k_} class(es); this measure needs at least 2")
    return members, n, k_


def _xlogx(p: np.ndarray) -> np.ndarray:
    """``p log p`` with ``0 log 0 = 0`` (float64)."""
    return p * np.log(np.maximum(p, np.finfo(np.float64).tiny))


def _committee_keys(
    members: list[np.ndarray], n: int, k_: int, rows: int, name: str, kind: str
) -> Iterator[tuple[int, np.ndarray]]:
    m_count = len(members)
    for s in range(0, n, rows):
        e = min(n, s + rows)
        chunk = []
        for m, p in enumerate(members):
            x = np.asarray(p[s:e], dtype=np.float64)
            _check_rows(x, s, f"{name}[{m}]")
            chunk.append(x)
        if kind == "vote":
            counts = np.zeros((e - s, k_))
            rows_ix = np.arange(e - s)
            for x in chunk:
                counts[rows_ix, np.argmax(x, axis=1)] += 1.0
            key = -_xlogx(counts / m_count).sum(axis=1)
        elif kind == "kl":
            mean = sum(chunk) / m_count
            logmean = np.log(np.maximum(mean, np.finfo(np.float64).tiny))
            key = sum((_xlogx(x) - x * logmean).sum(axis=1) for x in chunk) / m_count
        else:  # mutual information: H(mean) - mean H
            mean = sum(chunk) / m_count
            key = -_xlogx(mean).sum(axis=1) + sum(_xlogx(x).sum(axis=1) for x in chunk) / m_count
        yield s, key


def _select_committee(
    stack: Any, k: Any, exclude: Any, chunk_rows: int | None, name: str, what: str, kind: str
) -> Selection:
    k = _check_k(k)
    members, n, k_ = _members(stack, name, what)
    rows = _chunk_rows(chunk_rows, k_ * len(members), 8)
    top = _TopK(k, False, _exclude_mask(exclude, n))
    for start, key in _committee_keys(members, n, k_, rows, name, kind):
        top.push(start, key)
    return Selection(*top.result())


def vote_entropy(
    committee: Any, *, k: int, exclude: Any = None, chunk_rows: int | None = None
) -> Selection:
    """The ``k`` rows where a committee's votes disagree most.

    Each member votes for its most likely class (the first on a tie); the
    score is the entropy of the vote shares ``V[c] = votes[c] / M``,
    ``-Σ_c V[c] log V[c]`` in nats, between 0 (unanimous) and ``log min(M, K)``.

    Parameters
    ----------
    committee : sequence of M arrays of shape (N, K), or array of shape (M, N, K)
        Each member's class probabilities; ``M ≥ 2``. Memory-mapped arrays
        are streamed in chunks of rows.
    k : int
    exclude : array of int or bool mask of shape (N,), optional
    chunk_rows : int, optional

    Returns
    -------
    Selection
        float64 scores, highest first; ties to the lower row index.
    """
    return _select_committee(committee, k, exclude, chunk_rows, "committee", "M", "vote")


def kl_to_consensus(
    committee: Any, *, k: int, exclude: Any = None, chunk_rows: int | None = None
) -> Selection:
    """The ``k`` rows whose members diverge most from the committee's consensus.

    Score ``(1/M) Σ_m KL(P_m ‖ P̄)`` in nats, with ``P̄`` the members' mean
    (McCallum & Nigam's KL-to-the-mean). Parameters and returns as in
    :func:`vote_entropy`.
    """
    return _select_committee(committee, k, exclude, chunk_rows, "committee", "M", "kl")


def bald(mc_probs: Any, *, k: int, exclude: Any = None, chunk_rows: int | None = None) -> Selection:
    """The ``k`` rows with the highest BALD score (mutual information of label and weights).

    Score ``H(mean_t p_t) - mean_t H(p_t)`` in nats over ``T`` stochastic
    forward passes (Houlsby et al. 2011; Gal et al. 2017), which equals the
    mean KL of each pass to their mean.

    Parameters
    ----------
    mc_probs : array, shape (T, N, K), or a sequence of T arrays (N, K)
        Class probabilities from ``T ≥ 2`` passes with dropout active, e.g.
        from :func:`mc_dropout_probs`.
    k, exclude, chunk_rows
        As in :func:`vote_entropy`.

    Returns
    -------
    Selection
    """
    return _select_committee(mc_probs, k, exclude, chunk_rows, "mc_probs", "T", "mi")


# -- diversity -------------------------------------------------------------------------
def _sq_norms(x: Any, rows: int, dt: np.dtype) -> np.ndarray:
    out = np.empty(len(x), dtype=np.float64)
    for s in range(0, len(x), rows):
        c = np.asarray(x[s : s + rows], dtype=dt)
        out[s : s + len(c)] = np.einsum("ij,ij->i", c, c)
    return out


def _farthest_first(
    x: Any,
    k: int,
    *,
    centres: Any = None,
    blocked: np.ndarray | None = None,
    first: int | None = None,
    rows: int = 65536,
) -> Selection:
    """Greedy farthest-first traversal over the rows of ``x`` (N × D).

    ``centres`` (L × D) are chosen already; ``blocked`` rows are never picked;
    ``first`` is the row to start with when there are no centres. Distances
    are Euclidean, from ``|a|² + |b|² - 2 a·b`` in chunks of ``rows``.
    """
    n = len(x)
    dt = np.dtype(np.float64) if x.dtype == np.float64 else np.dtype(np.float32)
    norms = _sq_norms(x, rows, dt)
    d2 = np.full(n, np.inf)
    if centres is not None and len(centres):
        c_rows = max(1, min(4096, (1 << 22) // max(1, rows)))
        for cs in range(0, len(centres), c_rows):
            c = np.asarray(centres[cs : cs + c_rows], dtype=dt)
            cn = np.einsum("ij,ij->i", c, c).astype(np.float64)
            for s in range(0, n, rows):
                xs = np.asarray(x[s : s + rows], dtype=dt)
                dd = norms[s : s + len(xs), None] + cn[None, :] - 2.0 * (xs @ c.T)
                np.minimum(d2[s : s + len(xs)], dd.min(axis=1), out=d2[s : s + len(xs)])
        np.maximum(d2, 0.0, out=d2)
    if blocked is not None:
        d2[blocked] = -1.0
    picked: list[int] = []
    dist: list[float] = []
    for _ in range(min(k, n)):
        if first is not None and not picked and np.isinf(d2).all():
            i = first
        else:
            i = int(np.argmax(d2))  # the first maximum: ties go to the lower row
        if d2[i] < 0:
            break  # every row is picked or blocked
        picked.append(i)
        dist.append(math.sqrt(d2[i]) if np.isfinite(d2[i]) else math.inf)
        d2[i] = -1.0
        if len(picked) == k:
            break
        ci = np.asarray(x[i], dtype=dt)
        for s in range(0, n, rows):
            xs = np.asarray(x[s : s + rows], dtype=dt)
            dd = norms[s : s + len(xs)] + norms[i] - 2.0 * (xs @ ci)
            np.maximum(dd, 0.0, out=dd)
            part = d2[s : s + len(xs)]
            np.minimum(part, dd, out=part)  # picked/blocked rows stay at -1
    return Selection(np.asarray(picked, dtype=np.int64), np.asarray(dist, dtype=np.float64))


def _embeddings(embeddings: Any) -> np.ndarray:
    e = _as_array(embeddings, "embeddings")
    if e.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (N × D), got shape {e.shape}")
    if not np.issubdtype(e.dtype, np.floating):
        e = e.astype(np.float32)
    return e


def k_center(
    embeddings: Any,
    *,
    k: int,
    labeled: Any = None,
    exclude: Any = None,
    seed: int | np.random.Generator | None = None,
    chunk_rows: int = 65536,
) -> Selection:
    """``k`` rows that cover the embedding space: greedy k-center (farthest-first).

    Each pick is the row farthest (Euclidean) from its nearest centre; the
    already-labeled rows are the initial centres (Sener & Savarese 2018's core
    set). Memory is ``O(N)`` besides the embeddings: distances are updated in
    chunks of rows, never as an N × N matrix. Time is ``O((L + k) N D)``.

    Parameters
    ----------
    embeddings : array, shape (N, D)
        In memory or memory-mapped; float64 is computed in float64, anything
        else in float32. Normalise rows first for cosine distance.
    k : int
    labeled : array of int or bool mask of shape (N,), optional
        Rows already labeled: initial centres, never picked.
    exclude : array of int or bool mask of shape (N,), optional
        Rows never picked that are not centres.
    seed : int or numpy Generator, optional
        With no labeled rows the first pick is the row farthest from the
        pool's mean, or a random available row when a seed is given.
    chunk_rows : int

    Returns
    -------
    Selection
        ``scores`` are each pick's distance to its nearest centre at the time
        it was picked (non-increasing); ``inf`` for a first pick made with no
        centres. Ties go to the lower row index.
    """
    k = _check_k(k)
    x = _embeddings(embeddings)
    n = len(x)
    rows = _chunk_rows(chunk_rows, 1)
    lab = _exclude_mask(labeled, n, "labeled")
    ex = _exclude_mask(exclude, n)
    blocked = lab if ex is None else (ex if lab is None else lab | ex)
    lab_idx = np.flatnonzero(lab) if lab is not None else np.empty(0, np.int64)
    first = None
    if len(lab_idx) == 0 and n:
        avail = np.flatnonzero(~blocked) if blocked is not None else np.arange(n)
        if len(avail) == 0:
            return Selection(np.empty(0, np.int64), np.empty(0))
        if seed is not None:
            first = int(np.random.default_rng(seed).choice(avail))
        else:
            first = _farthest_from_mean(x, avail, rows)
    centres = _RowsOf(x, lab_idx) if len(lab_idx) else None
    return _farthest_first(x, k, centres=centres, blocked=blocked, first=first, rows=rows)


class _RowsOf:
    """Rows ``idx`` of ``x`` read lazily in slices (for many labeled centres on a memmap)."""

    def __init__(self, x: Any, idx: np.ndarray) -> None:
        self.x, self.idx = x, idx

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, sl: slice) -> np.ndarray:
        return np.asarray(self.x[self.idx[sl]])


def _farthest_from_mean(x: Any, avail: np.ndarray, rows: int) -> int:
    dt = np.dtype(np.float64) if x.dtype == np.float64 else np.dtype(np.float32)
    total = np.zeros(x.shape[1], dtype=np.float64)
    for s in range(0, len(x), rows):
        total += np.asarray(x[s : s + rows], dtype=dt).sum(axis=0, dtype=np.float64)
    mean = (total / max(len(x), 1)).astype(dt)
    best, best_d = int(avail[0]), -1.0
    ok = np.zeros(len(x), dtype=bool)
    ok[avail] = True
    for s in range(0, len(x), rows):
        xs = np.asarray(x[s : s + rows], dtype=dt)
        d = ((xs - mean) ** 2).sum(axis=1)
        d[~ok[s : s + len(xs)]] = -1.0
        j = int(np.argmax(d))
        if d[j] > best_d:
            best, best_d = s + j, float(d[j])
    return best


def hybrid(
    probs: Any,
    embeddings: Any,
    *,
    k: int,
    strategy: str = "margin",
    pool_factor: int = 10,
    labeled: Any = None,
    exclude: Any = None,
    class_major: bool = False,
    chunk_rows: int | None = None,
) -> Selection:
    """Uncertain and diverse: k-center among the most uncertain rows.

    Takes the ``pool_factor · k`` most uncertain rows by ``strategy``, then
    picks ``k`` of them by greedy farthest-first on their embeddings, with the
    labeled rows as initial centres (or, without any, starting from the most
    uncertain row). This is the two-stage uncertainty-then-diversity filter
    of Zhdanov (2019) and Ash et al.'s motivation for BADGE: a batch of the
    top-``k`` uncertain rows alone is often near-duplicates.

    Parameters
    ----------
    probs : array, shape (N, K), or (K, N) with ``class_major=True``
    embeddings : array, shape (N, D)
    k : int
    strategy : {"least_confidence", "margin", "entropy"}
    pool_factor : int
        Size of the uncertain pool as a multiple of ``k``; 1 is plain
        uncertainty sampling in k-center order.
    labeled : array of int or bool mask of shape (N,), optional
        Already labeled: never picked, and centres for the diversity step.
    exclude : array of int or bool mask of shape (N,), optional
        Never picked.
    class_major, chunk_rows
        As in :func:`least_confidence`.

    Returns
    -------
    Selection
        In pick order; ``scores`` are distances to the nearest centre when
        picked (``inf`` for a first pick without labeled rows). Ties in
        distance go to the more uncertain row.
    """
    k = _check_k(k)
    if strategy not in _MEASURES:
        raise ValueError(f"strategy must be one of {sorted(_MEASURES)}, got {strategy!r}")
    if isinstance(pool_factor, bool) or not isinstance(pool_factor, numbers.Integral):
        raise TypeError(f"pool_factor must be a positive int, got {pool_factor!r}")
    if pool_factor < 1:
        raise ValueError(f"pool_factor must be a positive int, got {pool_factor!r}")
    emb = _embeddings(embeddings)
    probs, class_major = _layout(probs, class_major)
    arr = _as_array(probs, "probs")
    n = arr.shape[1] if class_major and arr.ndim == 2 else len(arr)
    if len(emb) != n:
        raise ValueError(f"embeddings has {len(emb)} rows but probs has {n}")
    lab = _exclude_mask(labeled, n, "labeled")
    ex = _exclude_mask(exclude, n)
    blocked = lab if ex is None else (ex if lab is None else lab | ex)
    pool = _select_uncertain(strategy, arr, k * int(pool_factor), blocked, class_major, chunk_rows)
    cand = pool.indices
    if len(cand) == 0:
        return Selection(cand, np.empty(0))
    order = np.argsort(cand, kind="stable")  # read the memmap in row order
    sub = np.empty((len(cand), emb.shape[1]), dtype=emb.dtype)
    sub[order] = np.asarray(emb[cand[order]])
    lab_idx = np.flatnonzero(lab) if lab is not None else np.empty(0, np.int64)
    centres = _RowsOf(emb, lab_idx) if len(lab_idx) else None
    pick = _farthest_first(sub, k, centres=centres, first=None if centres else 0)
    return Selection(cand[pick.indices], pick.scores)


# -- per-row scores --------------------------------------------------------------------
def scores(
    data: Any,
    strategy: str = "margin",
    *,
    class_major: bool = False,
    chunk_rows: int | None = None,
) -> np.ndarray:
    """Every row's score under an uncertainty or committee measure, for plots and ranking.

    Parameters
    ----------
    data : array
        ``N × K`` probabilities (``K × N`` with ``class_major=True``) for
        "least_confidence", "margin" and "entropy"; ``M × N × K`` (or a
        sequence of ``N × K``) for "vote_entropy", "kl_to_consensus", "bald".
    strategy : str
    class_major, chunk_rows
        As in :func:`least_confidence`.

    Returns
    -------
    ndarray, shape (N,)
        Higher = more informative, the same scores the strategy returns.
    """
    if strategy in _MEASURES:
        measure = _MEASURES[strategy]
        n, cdt, keys = _stream_keys(data, measure, class_major, chunk_rows)
        out = np.empty(n, dtype=cdt)
        for start, key in keys:
            out[start : start + len(key)] = measure.to_score(key)
        return out
    kinds = {"vote_entropy": "vote", "kl_to_consensus": "kl", "bald": "mi"}
    if strategy in kinds:
        name, what = ("mc_probs", "T") if strategy == "bald" else ("committee", "M")
        members, n, k_ = _members(data, name, what)
        rows = _chunk_rows(chunk_rows, k_ * len(members), 8)
        out = np.empty(n, dtype=np.float64)
        for start, key in _committee_keys(members, n, k_, rows, name, kinds[strategy]):
            out[start : start + len(key)] = key
        return out
    raise ValueError(
        f"strategy must be one of {sorted(_MEASURES) + sorted(kinds)}, got {strategy!r}"
    )


# -- layout ----------------------------------------------------------------------------
def to_class_major(
    probs: Any, path: str | Path | None = None, *, chunk_rows: int | None = None
) -> np.ndarray:
    """A ``K × N`` copy of ``N × K`` probabilities, the layout the measures read fastest.

    Parameters
    ----------
    probs : array, shape (N, K)
        In memory or memory-mapped; copied in chunks of rows.
    path : str or Path, optional
        Write a ``.npy`` file there and return it memory-mapped (read-only).

    Returns
    -------
    ndarray or memmap, shape (K, N), same dtype
        Pass it with ``class_major=True``.
    """
    arr = _as_array(probs, "probs")
    if arr.ndim != 2:
        raise ValueError(f"probs must be 2-D (N × K), got shape {arr.shape}")
    n, k_ = arr.shape
    rows = _chunk_rows(chunk_rows, k_, arr.dtype.itemsize)
    if path is None:
        out = np.empty((k_, n), dtype=arr.dtype)
    else:
        out = np.lib.format.open_memmap(Path(path), mode="w+", dtype=arr.dtype, shape=(k_, n))
    for s in range(0, n, rows):
        np.copyto(out[:, s : s + rows], arr[s : s + rows].T)
    if path is None:
        return out
    out.flush()
    del out
    return np.load(Path(path), mmap_mode="r")


# -- MC dropout ------------------------------------------------------------------------
def mc_dropout_probs(
    model: Any,
    X: Any,
    *,
    passes: int = 20,
    batch_size: int = 1024,
    device: str = "cpu",
    seed: int | None = None,
) -> np.ndarray:
    """Class probabilities from ``passes`` stochastic forward passes with dropout on.

    Only the dropout modules are put in training mode (batch norm and the
    rest stay in eval mode); every module's mode is restored afterwards. The
    model is moved to ``device``. Logits go through a softmax over the last
    axis.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits of shape (B, K) for a batch of inputs; must contain
        at least one dropout layer.
    X : array or tensor, shape (N, ...)
    passes : int
        Number of passes ``T``.
    batch_size : int
    device : str
    seed : int, optional
        Seeds torch's generator for the passes (restored afterwards).

    Returns
    -------
    ndarray, shape (T, N, K), float32
        Feed to :func:`bald`.
    """
    torch = require("torch", "ml")
    passes = _check_positive(passes, "passes")
    batch_size = _check_positive(batch_size, "batch_size")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    dropouts = [m for m in model.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)]
    if not dropouts:
        raise ValueError(
            "model has no dropout layers, so MC dropout passes would all be the same; "
            "add torch.nn.Dropout or use a committee of models"
        )
    modes = {m: m.training for m in model.modules()}
    xt = X if isinstance(X, torch.Tensor) else torch.from_numpy(np.asarray(X))
    n = xt.shape[0]
    out: np.ndarray | None = None
    devices = [torch.device(device).type] if torch.device(device).type == "cuda" else []
    model.to(device)
    try:
        model.eval()
        for m in dropouts:
            m.train()
        with torch.random.fork_rng(devices=devices, enabled=seed is not None), torch.no_grad():
            if seed is not None:
                torch.manual_seed(seed)
            for s in range(0, n, batch_size):
                xb = xt[s : s + batch_size].to(device)
                for t in range(passes):
                    logits = model(xb)
                    if logits.ndim != 2:
                        raise ValueError(
                            f"model must return logits of shape (B, K), got {tuple(logits.shape)}"
                        )
                    p = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                    if out is None:
                        out = np.empty((passes, n, p.shape[1]), dtype=np.float32)
                    out[t, s : s + len(p)] = p
    finally:
        for m, mode in modes.items():
            m.train(mode)
    if out is None:
        return np.empty((passes, 0, 0), dtype=np.float32)
    return out


def _check_positive(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{name} must be a positive int, got {v!r}")
    return int(v)


# -- registry --------------------------------------------------------------------------
STRATEGIES: dict[str, Callable[..., Selection]] = {
    "least_confidence": least_confidence,
    "margin": margin,
    "entropy": entropy,
    "random": random,
    "vote_entropy": vote_entropy,
    "kl_to_consensus": kl_to_consensus,
    "bald": bald,
    "k_center": k_center,
    "hybrid": hybrid,
}
"""Strategy name → function, so callers can pass ``strategy="margin"``."""


def get(name: str | Callable[..., Selection]) -> Callable[..., Selection]:
    """The strategy function called ``name`` (a callable is returned as is)."""
    if callable(name):
        return name
    try:
        return STRATEGIES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown sampling strategy {name!r}; choose one of {sorted(STRATEGIES)}"
        ) from None
