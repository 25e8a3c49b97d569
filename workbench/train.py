"""Quick training in the kernel: fit on current labels, out-of-fold probabilities.

Any scikit-learn-style estimator works (``fit``, ``predict_proba``,
``classes_``); it is cloned first, so the object a user passes is never fitted
in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import WorkbenchError, require

__all__ = ["out_of_fold"]


def out_of_fold(
    estimator: Any,
    X: Any,
    y: Sequence[Any],
    *,
    folds: int = 5,
    seed: int = 0,
    classes: Sequence[Any] | None = None,
) -> np.ndarray:
    """Out-of-fold class probabilities: each row predicted by a model that never saw it.

    Parameters
    ----------
    estimator : scikit-learn-style estimator
        Cloned for each fold; the object passed in is not changed.
    X : array-like, shape (N, D)
    y : array-like, shape (N,)
        Class of each row.
    folds : int
        Number of stratified folds (at least 2, at most the size of the
        smallest class when every class should appear in every training fold).
    seed : int
        Seed of the fold split.
    classes : sequence, optional
        Column order of the result; the sorted unique values of ``y`` by
        default. A class missing from a fold's training rows gets probability 0
        in that fold's predictions.

    Returns
    -------
    ndarray, shape (N, K), float32
    """
    require("sklearn", "ml")
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    y_arr = np.asarray(y)
    n = len(y_arr)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an int of at least 2, got {folds!r}")
    if n < folds:
        raise ValueError(f"out_of_fold needs at least folds={folds} rows, got {n}")
    if len(X) != n:
        raise ValueError(f"X has {len(X)} rows but y has {n}")
    cols = list(classes) if classes is not None else sorted(set(y_arr.tolist()))
    col_of = {c: i for i, c in enumerate(cols)}
    unknown = [c for c in set(y_arr.tolist()) if c not in col_of]
    if unknown:
        raise WorkbenchError(f"y holds classes not in classes=: {sorted(map(str, unknown))[:5]}")
    _, counts = np.unique(y_arr, return_counts=True)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    if counts.min() < folds:
        # Too few of some class to stratify: plain shuffled folds still give every row a
        # prediction; the rare class may be missing from some fold's training rows.
        from sklearn.model_selection import KFold

        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    out = np.zeros((n, len(cols)), dtype=np.float32)
    X_arr = X if hasattr(X, "iloc") else np.asarray(X)
    for train_idx, test_idx in splitter.split(np.zeros(n), y_arr):
        model = clone(estimator)
        X_train = X_arr.iloc[train_idx] if hasattr(X_arr, "iloc") else X_arr[train_idx]
        X_test = X_arr.iloc[test_idx] if hasattr(X_arr, "iloc") else X_arr[test_idx]
        model.fit(X_train, y_arr[train_idx])
        probs = np.asarray(model.predict_proba(X_test), dtype=np.float32)
        where = [col_of[c] for c in model.classes_]
        out[np.ix_(test_idx, where)] = probs
    return out
