"""Agreement between annotators on nominal labels: Cohen's and Fleiss' kappa, Krippendorff's alpha.

Re-exported by :mod:`workbench.agreement` (which covers shapes too); import from there.

Labels come in one of three layouts, the same for every function here:

- **wide**: an items × annotators array or DataFrame (what
  :func:`workbench.audit.annotator_labels` returns), one label per cell, missing
  labels as ``None`` or NaN. Note the orientation: items are rows, as in
  ``statsmodels.stats.inter_rater.aggregate_raters``; the ``krippendorff``
  package takes the transpose (annotators × items).
- **long**: a DataFrame with columns ``item_id``, ``annotator`` and ``value`` (or
  ``label``), one row per label; an annotator labels an item at most once.
- **counts**: an items × categories table of how many annotators gave each
  category to each item (:func:`label_counts` builds it); for
  :func:`fleiss_kappa`, and for :func:`krippendorff_alpha` with ``counts=True``.

Labels are any hashable values (class names, numbers); categories are the
values seen, sorted, unless ``categories=`` is given.

Every statistic is computed from per-item category counts built with one
``numpy.bincount`` over a block of items at a time (memory bounded by
``_BLOCK_CELLS`` counts, whatever the number of items), never with a Python loop
over items. Undefined figures are NaN, not errors: one category used throughout
(no chance disagreement to correct for), or no item with two labels.

Per class, each figure is the one-vs-rest one (the labels recoded as "this
class" or "any other"); for Fleiss' kappa that is Fleiss' own per-category kappa
(1971). Per annotator, :func:`annotator_agreement` gives both the mean pairwise
Cohen's kappa with every other annotator and Cohen's kappa against the strict
majority of the other annotators.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "label_counts",
    "cohen_kappa_matrix",
    "class_agreement",
    "annotator_agreement",
    "table_agreement",
    "LabelAgreement",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
# Per-item counts held at once: items per block = _BLOCK_CELLS // categories.
_BLOCK_CELLS = 1 << 22
# Integer labels spanning fewer values than this are coded by a bincount lookup, not a sort.
_LUT_SPAN = 1 << 20


# ---------------------------------------------------------------------------
# coding labels


@dataclass(frozen=True)
class _Coded:
    """Labels as category codes: ``codes`` (items × annotators, -1 = missing)."""

    codes: np.ndarray
    categories: list[Any]
    items: pd.Index
    annotators: pd.Index


def _is_long(data: Any) -> bool:
    return isinstance(data, pd.DataFrame) and {"item_id", "annotator"} <= set(data.columns)


def _wide_from_long(df: pd.DataFrame) -> pd.DataFrame:
    value = "value" if "value" in df.columns else "label" if "label" in df.columns else None
    if value is None:
        raise ValueError(
            "a long DataFrame needs columns item_id, annotator and value (or label); "
            f"got {list(df.columns)}"
        )
    dupes = df.duplicated(["item_id", "annotator"])
    if dupes.any():
        first = df.loc[dupes, ["item_id", "annotator"]].iloc[0].tolist()
        raise ValueError(
            f"{int(dupes.sum())} (item_id, annotator) pairs appear more than once, "
            f"e.g. {first}; keep one label per annotator and item"
        )
    wide = df.pivot(index="item_id", columns="annotator", values=value)
    wide.index.name, wide.columns.name = "item_id", "annotator"
    return wide


def _code(data: Any, categories: Sequence[Any] | None = None) -> _Coded:
    """Code wide or long labels (see the module docstring) as category numbers."""
    if _is_long(data):
        data = _wide_from_long(data)
    if isinstance(data, pd.DataFrame):
        items, annotators = data.index, data.columns
        arr = data.to_numpy()
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise ValueError(
                "labels must be 2-D, items × annotators (or a long DataFrame); "
                f"got shape {arr.shape}"
            )
        items, annotators = pd.RangeIndex(arr.shape[0]), pd.RangeIndex(arr.shape[1])
    flat_codes, cats = _factorize(arr.ravel(), categories)
    return _Coded(flat_codes.reshape(arr.shape), cats, items, annotators)


def _factorize(flat: np.ndarray, categories: Sequence[Any] | None) -> tuple[np.ndarray, list]:
    """Codes (-1 = missing) and categories of a 1-D array of labels."""
    if categories is not None:
        cats = list(categories)
        if len(set(cats)) != len(cats):
            raise ValueError(f"categories holds duplicates: {cats}")
        codes = pd.Index(cats).get_indexer(flat).astype(np.int64)
        unknown = (codes < 0) & ~pd.isna(flat)
        if unknown.any():
            seen = pd.unique(flat[unknown])[:5].tolist()
            raise ValueError(f"labels outside categories={cats}: {seen}")
        return codes, cats
    if flat.dtype.kind in "biuf":
        return _factorize_numbers(flat)
    try:
        codes, uniques = pd.factorize(flat, sort=True)
    except TypeError:  # values that do not sort together (mixed types): first-seen order
        codes, uniques = pd.factorize(flat, sort=False)
    return codes.astype(np.int64), list(uniques)


def _factorize_numbers(flat: np.ndarray) -> tuple[np.ndarray, list]:
    codes = np.full(flat.shape, -1, np.int64)
    present = ~np.isnan(flat) if flat.dtype.kind == "f" else np.ones(flat.shape, bool)
    vals = flat[present]
    if vals.size == 0:
        return codes, []
    ints = vals.astype(np.int64) if np.isfinite(vals).all() else None
    lo = int(ints.min()) if ints is not None else 0
    if ints is not None and (ints == vals).all() and int(ints.max()) - lo < _LUT_SPAN:
        # Integer labels (the usual class numbers): a lookup table, no sort.
        shifted = ints - lo
        seen = np.bincount(shifted) > 0
        lookup = np.cumsum(seen) - 1
        codes[present] = lookup[shifted]
        cats = (np.flatnonzero(seen) + lo).astype(flat.dtype)
    else:
        cats, inverse = np.unique(vals, return_inverse=True)
        codes[present] = inverse.ravel()
    return codes, cats.tolist()


def _blocks(codes: np.ndarray, k: int) -> Iterator[np.ndarray]:
    """Per-item category counts, a block of items at a time: int64 arrays (rows × k)."""
    n = codes.shape[0]
    step = max(1, _BLOCK_CELLS // max(k, 1))
    for start in range(0, n, step):
        block = codes[start : start + step]
        rows = block.shape[0]
        offset = np.arange(rows, dtype=np.int64)[:, None] * k
        keys = np.where(block >= 0, offset + block, rows * k)  # missing → one spare bin
        yield np.bincount(keys.ravel(), minlength=rows * k + 1)[:-1].reshape(rows, k)


def _count_blocks(table: np.ndarray) -> Iterator[np.ndarray]:
    step = max(1, _BLOCK_CELLS // max(table.shape[1], 1))
    for start in range(0, table.shape[0], step):
        yield table[start : start + step]


def _as_count_table(table: Any) -> tuple[np.ndarray, list[Any], pd.Index]:
    if isinstance(table, pd.DataFrame):
        cats, items = list(table.columns), table.index
        arr = table.to_numpy()
    else:
        arr = np.asarray(table)
        cats, items = list(range(arr.shape[1])) if arr.ndim == 2 else [], None
    if arr.ndim != 2:
        raise ValueError(f"a count table must be 2-D, items × categories; got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"a count table must hold counts, got dtype {arr.dtype}; for labels "
            "(items × annotators) pass label_counts(labels) or a long DataFrame"
        )
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise ValueError("a count table must hold whole numbers of annotators")
    if arr.size and arr.min() < 0:
        raise ValueError("a count table holds negative counts")
    if items is None:
        items = pd.RangeIndex(arr.shape[0])
    return arr.astype(np.int64, copy=False), cats, items


def label_counts(data: Any, *, categories: Sequence[Any] | None = None) -> pd.DataFrame:
    """How many annotators gave each category to each item.

    Like ``statsmodels.stats.inter_rater.aggregate_raters``, with missing labels
    allowed.

    Parameters
    ----------
    data : wide (items × annotators) or long labels
    categories : sequence, optional
        Column order; every category seen, sorted, by default. A label outside
        it raises ``ValueError``.

    Returns
    -------
    DataFrame, shape (items, categories)
        int64 counts; index the items, columns the categories.
    """
    coded = _code(data, categories)
    k = len(coded.categories)
    parts = list(_blocks(coded.codes, k))
    counts = np.concatenate(parts) if parts else np.zeros((0, k), np.int64)
    return pd.DataFrame(counts, index=coded.items, columns=pd.Index(coded.categories))


# ---------------------------------------------------------------------------
# Cohen's kappa


def _kappa(confusion: np.ndarray) -> float:
    """Cohen's kappa of a k × k confusion table; NaN where chance agreement is total."""
    n = confusion.sum()
    if n == 0:
        return float("nan")
    observed = np.trace(confusion) / n
    expected = float(confusion.sum(axis=1) @ confusion.sum(axis=0)) / n**2
    if expected >= 1.0:
        return float("nan")
    return float((observed - expected) / (1.0 - expected))


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's kappa of two annotators' labels of the same items.

    .. math:: \\kappa = \\frac{p_o - p_e}{1 - p_e}

    Parameters
    ----------
    a, b : sequences of equal length N
        Labels of item ``i`` at position ``i``. A position where either label is
        missing (``None`` or NaN) is left out (pairwise deletion).

    Returns
    -------
    float
        In [-1, 1]; as ``sklearn.metrics.cohen_kappa_score`` on the pairs kept.
        NaN when no pair is left or when both annotators used one and the same
        category throughout (``p_e = 1``: kappa is undefined; scikit-learn
        returns NaN too).
    """
    la, lb = np.asarray(a, dtype=object).ravel(), np.asarray(b, dtype=object).ravel()
    if la.shape != lb.shape:
        raise ValueError(f"a and b must be the same length; got {la.size} and {lb.size}")
    codes, cats = _factorize(np.concatenate([la, lb]), None)
    ca, cb = codes[: la.size], codes[la.size :]
    both = (ca >= 0) & (cb >= 0)
    k = max(len(cats), 1)
    confusion = np.bincount(ca[both] * k + cb[both], minlength=k * k).reshape(k, k)
    return _kappa(confusion)


def cohen_kappa_matrix(data: Any, *, categories: Sequence[Any] | None = None) -> pd.DataFrame:
    """Cohen's kappa of every pair of annotators over the items both labeled.

    Parameters
    ----------
    data : wide (items × annotators) or long labels

    Returns
    -------
    DataFrame, shape (annotators, annotators)
        Symmetric; :func:`cohen_kappa` of each pair, NaN on the diagonal and
        where a pair shares no item or kappa is undefined.
    """
    coded = _code(data, categories)
    kappa = _kappa_matrix(coded.codes, len(coded.categories))
    return pd.DataFrame(kappa, index=coded.annotators, columns=coded.annotators)


def _kappa_matrix(codes: np.ndarray, k: int) -> np.ndarray:
    """M × M Cohen's kappas from one-hot products (2k matrix products of M × N × M)."""
    m = codes.shape[1]
    present = (codes >= 0).astype(np.float64)
    shared = present.T @ present  # items both labeled
    agree = np.zeros((m, m))
    expected = np.zeros((m, m))
    for c in range(k):
        one = (codes == c).astype(np.float64)
        agree += one.T @ one
        # margin[i, j]: items i gave c among those j labeled too; j's margin is margin.T
        margin = one.T @ present
        expected += margin * margin.T
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = agree / shared
        chance = expected / shared**2
        kappa = (observed - chance) / (1.0 - chance)
    kappa[(shared == 0) | (chance >= 1.0)] = np.nan
    np.fill_diagonal(kappa, np.nan)
    return kappa


# ---------------------------------------------------------------------------
# Fleiss' kappa


def fleiss_kappa(table: Any) -> float:
    """Fleiss' kappa from an items × categories count table or a long DataFrame.

    .. math:: \\kappa = \\frac{\\bar P - P_e}{1 - P_e}, \\quad
              P_i = \\frac{\\sum_j n_{ij}^2 - n_i}{n_i (n_i - 1)}, \\quad
              P_e = \\sum_j p_j^2

    Parameters
    ----------
    table : array or DataFrame, shape (items, categories); or long DataFrame
        Counts ``n_ij`` of annotators who gave item ``i`` category ``j``
        (:func:`label_counts` makes one from wide labels), or a long DataFrame
        (``item_id``, ``annotator``, ``value``).

    Returns
    -------
    float
        Equal to ``statsmodels.stats.inter_rater.fleiss_kappa`` when every item
        has the same number of annotators. Otherwise the usual generalisation:
        items with fewer than two labels are left out, ``P̄`` is the mean of
        the ``P_i`` and ``p_j`` the share of category ``j`` among the labels of
        the items kept. NaN when no item has two labels or ``P_e = 1``.
    """
    if _is_long(table):
        table = label_counts(table)
    arr, _, _ = _as_count_table(table)
    return float(_fleiss_parts(_count_blocks(arr), arr.shape[1])[0])


def _fleiss_parts(blocks: Iterator[np.ndarray], k: int) -> tuple[float, np.ndarray]:
    """Overall Fleiss' kappa and the one-vs-rest kappa of each category (k,)."""
    p_sum = 0.0  # Σ P_i over items kept
    kept = 0
    labels = np.zeros(k)  # Σ n_ij over items kept
    total = 0.0  # Σ n_i over items kept
    disagree = np.zeros(k)  # Σ n_ij (n_i - n_ij) / (n_i (n_i - 1)), for the per-class kappas
    for counts in blocks:
        n_i = counts.sum(axis=1)
        keep = n_i >= 2
        c = counts[keep].astype(np.float64)
        n = n_i[keep].astype(np.float64)
        pairs = n * (n - 1)
        p_sum += float((((c * c).sum(axis=1) - n) / pairs).sum())
        kept += int(keep.sum())
        labels += c.sum(axis=0)
        total += float(n.sum())
        disagree += (c * (n[:, None] - c) / pairs[:, None]).sum(axis=0)
    nan = float("nan")
    if kept == 0:
        return nan, np.full(k, nan)
    p = labels / total
    p_e = float(p @ p)
    kappa = (p_sum / kept - p_e) / (1.0 - p_e) if p_e < 1.0 else nan
    # Fleiss (1971) eq. 13, generalised to n_i labels per item:
    # κ_j = 1 - mean_i[n_ij (n_i - n_ij) / (n_i (n_i - 1))] / (p_j q_j)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = 1.0 - (disagree / kept) / (p * (1.0 - p))
    per_class[(p == 0) | (p == 1)] = nan
    return kappa, per_class


# ---------------------------------------------------------------------------
# Krippendorff's alpha


def krippendorff_alpha(
    data: Any,
    *,
    level: str = "nominal",
    categories: Sequence[Any] | None = None,
    counts: bool = False,
) -> float:
    """Krippendorff's alpha, missing labels allowed.

    .. math:: \\alpha = 1 - \\frac{D_o}{D_e} = 1 - (n - 1)
              \\frac{\\sum_{c,k} o_{ck}\\, \\delta_{ck}}{\\sum_{c,k} n_c n_k\\, \\delta_{ck}}

    from the coincidence matrix ``o`` (each item with ``m_i ≥ 2`` labels adds
    ``n_ic n_ik / (m_i - 1)`` for every ordered pair of its labels), built from
    per-item counts made by ``numpy.bincount``. For the nominal level only the
    diagonal of ``o`` is needed and nothing ``k × k`` per item is formed.

    Parameters
    ----------
    data : wide (items × annotators) or long labels; or counts
        Wide: items are rows (the ``krippendorff`` package takes annotators as
        rows). Missing labels are ``None`` or NaN. Items with fewer than two
        labels add nothing.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Distance between categories, as in the ``krippendorff`` package.
        Interval and ratio need numeric categories; ordinal ranks the
        categories in ``categories`` order (sorted by default).
    categories : sequence, optional
        The categories in order; by default those seen, sorted. With
        ``counts=True``, names of the table's columns.
    counts : bool, default False
        ``data`` is an items × categories count table (see :func:`label_counts`).

    Returns
    -------
    float
        As ``krippendorff.alpha(data.T, level_of_measurement=level)``. NaN where
        that package raises or divides by zero: no item with two labels, or all
        pairable labels in one category (no expected disagreement).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
    blocks, k, cats = _count_source(data, categories, counts)
    if level == "nominal":
        diag, n_c, _ = _nominal_parts(blocks, k, rest=False)
        return _nominal_alpha(diag.sum(), n_c)
    o = np.zeros((k, k))
    for c in blocks:
        m = c.sum(axis=1)
        w = np.where(m >= 2, 1.0 / np.maximum(m - 1, 1), 0.0)
        cf = c.astype(np.float64)
        o += (cf * w[:, None]).T @ cf
        o[np.diag_indices(k)] -= cf.T @ w
    return _alpha_from_coincidences(o, _distances(level, cats, o.sum(axis=0)))


def _count_source(
    data: Any, categories: Sequence[Any] | None, counts: bool
) -> tuple[Iterator[np.ndarray], int, list[Any]]:
    if counts:
        arr, cats, _ = _as_count_table(data)
        if categories is not None:
            if len(categories) != arr.shape[1]:
                raise ValueError(
                    f"categories has {len(categories)} names for {arr.shape[1]} count columns"
                )
            cats = list(categories)
        return _count_blocks(arr), arr.shape[1], cats
    coded = _code(data, categories)
    k = len(coded.categories)
    return _blocks(coded.codes, k), k, coded.categories


def _nominal_parts(
    blocks: Iterator[np.ndarray], k: int, *, rest: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Diagonal of the coincidence matrix ``o_cc`` (k,), pairable values ``n_c`` (k,)
    and, with ``rest``, the one-vs-rest "not c" diagonal (k,)."""
    diag = np.zeros(k)
    n_c = np.zeros(k)
    diag_rest = np.zeros(k)
    for c in blocks:
        m = c.sum(axis=1)
        pairable = m >= 2
        w = np.where(pairable, 1.0 / np.maximum(m - 1, 1), 0.0)
        diag += (c * (c - 1)).T @ w
        n_c += c.T @ pairable.astype(np.float64)
        if rest:
            r = m[:, None] - c
            diag_rest += (r * (r - 1)).T @ w
    return diag, n_c, diag_rest


def _nominal_alpha(agree: float, n_c: np.ndarray) -> float:
    n = float(n_c.sum())
    expected = n * n - float(n_c @ n_c)  # (n - 1) × expected disagreement
    if n == 0 or expected <= 0:
        return float("nan")
    return float(1.0 - (n - 1.0) * (n - agree) / expected)


def _alpha_from_coincidences(o: np.ndarray, d: np.ndarray) -> float:
    n_c = o.sum(axis=0)
    n = n_c.sum()
    if n <= 1:
        return float("nan")
    e = (np.outer(n_c, n_c) - np.diag(n_c)) / (n - 1.0)
    expected = float((e * d).sum())
    if expected <= 0:
        return float("nan")
    return float(1.0 - (o * d).sum() / expected)


def _distances(level: str, cats: list[Any], n_c: np.ndarray) -> np.ndarray:
    k = len(cats)
    if level == "ordinal":
        idx = np.arange(k)
        lo, hi = np.minimum.outer(idx, idx), np.maximum.outer(idx, idx)
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        between = cum[hi + 1] - cum[lo]
        return (between - (n_c[lo] + n_c[hi]) / 2.0) ** 2
    try:
        v = np.asarray(cats, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"level={level!r} needs numeric categories; got {cats[:5]}") from None
    if level == "interval":
        return np.subtract.outer(v, v) ** 2
    total = np.add.outer(v, v)
    diff = np.subtract.outer(v, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total != 0, diff / total, 0.0) ** 2


# ---------------------------------------------------------------------------
# breakdowns

CLASS_COLUMNS = ["labels", "share", "alpha", "kappa"]
ANNOTATOR_COLUMNS = ["labels", "mean_kappa", "min_kappa", "worst_partner",
                     "kappa_vs_majority", "agreement_vs_majority", "majority_items"]  # fmt: skip


def class_agreement(data: Any, *, categories: Sequence[Any] | None = None) -> pd.DataFrame:
    """Agreement on each category, one against the rest.

    Parameters
    ----------
    data : wide (items × annotators) or long labels
    categories : sequence, optional
        Categories to report, in order (unused ones get NaN figures).

    Returns
    -------
    DataFrame
        Index ``class``; columns ``labels`` (labels given of that class, all
        items), ``share`` (of all labels), ``alpha`` (Krippendorff's alpha,
        nominal, of the labels recoded as this class / any other) and
        ``kappa`` (Fleiss' kappa of the same recoding, Fleiss' per-category
        kappa). NaN where undefined (a class nobody or everybody used).
    """
    coded = _code(data, categories)
    k = len(coded.categories)
    codes = coded.codes
    diag, n_c, diag_rest = _nominal_parts(_blocks(codes, k), k, rest=True)
    n = n_c.sum()
    alphas = np.array(
        [_nominal_alpha(diag[c] + diag_rest[c], np.array([n_c[c], n - n_c[c]])) for c in range(k)]
    )
    _, kappas = _fleiss_parts(_blocks(codes, k), k)
    given = np.bincount(codes[codes >= 0], minlength=k).astype(np.int64)
    total = given.sum()
    out = pd.DataFrame(
        {
            "labels": given,
            "share": given / total if total else np.full(k, np.nan),
            "alpha": alphas,
            "kappa": kappas,
        },
        index=pd.Index(coded.categories, name="class"),
    )
    return out[CLASS_COLUMNS]


def annotator_agreement(data: Any, *, categories: Sequence[Any] | None = None) -> pd.DataFrame:
    """How well each annotator agrees with the others.

    Two views, both Cohen's kappa:

    - ``mean_kappa``: mean of the annotator's pairwise kappas with every other
      annotator (:func:`cohen_kappa_matrix`; pairs that share no item or whose
      kappa is undefined are left out), with ``min_kappa`` and the
      ``worst_partner`` it comes from.
    - ``kappa_vs_majority``: kappa of the annotator's labels against the strict
      majority label of the *other* annotators on the same items (items where
      the others tie, or where no one else labeled, are left out; their count
      is ``majority_items``), and ``agreement_vs_majority``, the plain share of
      those items where the annotator gave the majority label. The majority
      view does not reward two annotators who agree with each other and no one
      else.

    Returns
    -------
    DataFrame
        Index ``annotator``; columns ``labels``, ``mean_kappa``, ``min_kappa``,
        ``worst_partner``, ``kappa_vs_majority``, ``agreement_vs_majority``,
        ``majority_items``. Lowest ``mean_kappa`` first (NaN last).
    """
    coded = _code(data, categories)
    codes, k = coded.codes, len(coded.categories)
    m = codes.shape[1]
    kappa = _kappa_matrix(codes, k)
    rows = []
    table = np.concatenate(list(_blocks(codes, k))) if codes.size else np.zeros((0, k), np.int64)
    for j in range(m):
        mine = codes[:, j]
        has = mine >= 0
        others = table[has].copy()
        others[np.arange(others.shape[0]), mine[has]] -= 1
        top = others.max(axis=1) if k else np.zeros(0, np.int64)
        strict = (top > 0) & ((others == top[:, None]).sum(axis=1) == 1)
        majority = others.argmax(axis=1)[strict] if k else np.zeros(0, np.int64)
        given = mine[has][strict]
        kk = max(k, 1)
        confusion = np.bincount(given * kk + majority, minlength=kk * kk).reshape(kk, kk)
        pair = kappa[j]
        valid = ~np.isnan(pair)
        worst = coded.annotators[int(np.nanargmin(pair))] if valid.any() else None
        rows.append({
            "labels": int(has.sum()),
            "mean_kappa": float(pair[valid].mean()) if valid.any() else np.nan,
            "min_kappa": float(pair[valid].min()) if valid.any() else np.nan,
            "worst_partner": worst,
            "kappa_vs_majority": _kappa(confusion),
            "agreement_vs_majority": float((given == majority).mean()) if strict.any() else np.nan,
            "majority_items": int(strict.sum()),
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=ANNOTATOR_COLUMNS,
                       index=pd.Index(coded.annotators, name="annotator"))  # fmt: skip
    return out.sort_values("mean_kappa", kind="stable", na_position="last")


# ---------------------------------------------------------------------------
# project level


@dataclass
class LabelAgreement:
    """Agreement of a project's annotators on one classification task.

    Attributes
    ----------
    task : str
    alpha : float
        Krippendorff's alpha (nominal) over every label.
    fleiss_kappa : float
        Fleiss' kappa, items with two labels or more (generalised to unequal
        numbers of labels, see :func:`fleiss_kappa`).
    mean_cohen_kappa : float
        Mean of the pairwise Cohen's kappas (undefined pairs left out).
    items : int
        Items with two labels or more (the ones agreement is measured on).
    annotators : int
    labels : int
        Labels counted (each annotator's latest per item).
    by_class : DataFrame
        :func:`class_agreement`, every class of the task in schema order.
    by_annotator : DataFrame
        :func:`annotator_agreement`.
    pairwise : DataFrame
        :func:`cohen_kappa_matrix`, annotators × annotators.
    """

    task: str
    alpha: float
    fleiss_kappa: float
    mean_cohen_kappa: float
    items: int
    annotators: int
    labels: int
    by_class: pd.DataFrame = field(repr=False)
    by_annotator: pd.DataFrame = field(repr=False)
    pairwise: pd.DataFrame = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """The scalar figures as a dict (for a dashboard or a log line)."""
        return {"task": self.task, "alpha": self.alpha, "fleiss_kappa": self.fleiss_kappa,
                "mean_cohen_kappa": self.mean_cohen_kappa, "items": self.items,
                "annotators": self.annotators, "labels": self.labels}  # fmt: skip


def table_agreement(wide: pd.DataFrame, classes: Sequence[Any], task: str = "") -> LabelAgreement:
    """:class:`LabelAgreement` of an items × annotators table of class names (None/NaN
    where an annotator gave no label), e.g. :meth:`workbench.team.Team.annotator_labels`.
    """
    classes = list(classes)
    # A value written under an older schema version may be a list (the task was
    # multi-label then): it counts as one category of its own, by its JSON text.
    wide = wide.apply(lambda col: col.map(_category))
    # Values written under an older schema may name classes no longer in it: keep them.
    seen = pd.unique(wide.to_numpy().ravel()) if wide.size else []
    classes += [v for v in seen if not pd.isna(v) and v not in set(classes)]
    coded = _code(wide, classes)
    k = len(classes)
    codes = coded.codes
    per_item = (codes >= 0).sum(axis=1)
    diag, n_c, _ = _nominal_parts(_blocks(codes, k), k, rest=False)
    kappa, _ = _fleiss_parts(_blocks(codes, k), k)
    pairwise = cohen_kappa_matrix(wide, categories=classes)
    upper = pairwise.to_numpy()[np.triu_indices(len(pairwise), 1)]
    upper = upper[~np.isnan(upper)]
    return LabelAgreement(
        task=task,
        alpha=_nominal_alpha(diag.sum(), n_c),
        fleiss_kappa=float(kappa),
        mean_cohen_kappa=float(upper.mean()) if upper.size else float("nan"),
        items=int((per_item >= 2).sum()),
        annotators=int(codes.shape[1]),
        labels=int(per_item.sum()),
        by_class=class_agreement(wide, categories=classes),
        by_annotator=annotator_agreement(wide, categories=classes),
        pairwise=pairwise,
    )


def _category(v: Any) -> Any:
    """``v`` as a category of a single-label table: lists and dicts by their JSON text."""
    return json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v
