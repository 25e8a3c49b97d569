"""Quick training in the kernel: fit on current labels, out-of-fold probabilities.

Any scikit-learn-style estimator works (``fit``, ``predict_proba``,
``classes_``); it is cloned first, so the object a user passes is never fitted
in place.

:func:`fit`
    clone an estimator and fit it on a project's current labels.
:func:`fit_in_background`
    the same in a daemon thread, returning a :class:`TrainingJob` at once:
    labeling goes on while the model trains, and ``on_done`` runs on the
    kernel's event loop when it finishes (never on the worker thread).
:func:`out_of_fold`
    K-fold out-of-fold probabilities: each row predicted by a model that never
    saw it (what :mod:`workbench.audit` needs).
:class:`MLPHead`, :class:`LinearHead`
    small torch classifiers for embeddings, scikit-learn compatible (``clone``,
    ``get_params``, pipelines), with MC-dropout passes for BALD.
:class:`MultiLabelClassifier`
    one-vs-rest over a fixed class list, how :func:`fit` trains multi-label tasks.

scikit-learn and torch are imported on first use, so ``import workbench.ml.train``
stays light; the estimator classes are created on first access.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import WorkbenchError, require
from .features import Features, item_features

if TYPE_CHECKING:
    from ..project import Project

__all__ = [
    "fit",
    "fit_in_background",
    "TrainingJob",
    "out_of_fold",
    "MLPHead",
    "LinearHead",
    "MultiLabelClassifier",
    "Committee",
]

logger = logging.getLogger("workbench.train")
logger.addHandler(logging.NullHandler())


# -- fitting on a project's labels ------------------------------------------------------
@dataclass(frozen=True)
class _Snapshot:
    """The labels a fit uses, read once when it starts."""

    task: str
    ids: list[str]
    labels: list[Any]
    classes: list[str]
    multi_label: bool
    event_id: int  # the newest label event among them: a watermark of the data seen


def _snapshot(project: Project, task: str | None, ids: Sequence[str] | None) -> _Snapshot:
    task_obj = project.schema.classification_task(task, purpose="training")
    classes = list(task_obj.class_names)
    multi_label = bool(getattr(task_obj, "multi_label", False))
    df = project.labels(task_obj.name)
    df = df[df["label"].notna()]
    if ids is not None:
        df = df[df["item_id"].isin({str(i) for i in ids})]
    if not len(df):
        raise WorkbenchError(
            f"task {task_obj.name!r} has no labels yet"
            + (" among the given ids" if ids is not None else "")
            + ": label some items first"
        )
    labels = list(df["label"])
    if multi_label:
        labels = [sorted(v) for v in labels]
        seen = [c for c in classes if any(c in v for v in labels)]
        varied = [c for c in seen if not all(c in v for v in labels)]
        if not varied:
            raise WorkbenchError(
                f"task {task_obj.name!r}: every one of the {len(labels)} labels holds the same "
                f"classes {seen}: label items that differ before fitting"
            )
    elif len(set(labels)) < 2:
        raise WorkbenchError(
            f"task {task_obj.name!r}: all {len(labels)} labels are {labels[0]!r}; a classifier "
            "needs at least two classes: label items of another class first"
        )
    return _Snapshot(task_obj.name, list(df["item_id"]), labels, classes, multi_label,
                     int(df["event_id"].max()))  # fmt: skip


def _fit_snapshot(estimator: Any, project: Project, snap: _Snapshot, features: Features) -> Any:
    require("sklearn", "ml")
    from sklearn.base import clone

    X = item_features(project, snap.ids, features, flatten=True)
    if snap.multi_label:
        model = _estimator_class("MultiLabelClassifier")(
            clone(estimator), classes=tuple(snap.classes)
        )
        model.fit(X, snap.labels)
    else:
        model = clone(estimator)
        model.fit(X, np.asarray(snap.labels))
    # Provenance: which labels this model saw (a later fit sees later labels).
    model.workbench_task_ = snap.task
    model.workbench_labeled_ids_ = list(snap.ids)
    model.workbench_labels_ = list(snap.labels)
    model.workbench_event_id_ = snap.event_id
    return model


def _check_estimator(estimator: Any) -> None:
    if isinstance(estimator, type):
        raise TypeError(f"pass an estimator instance, e.g. {estimator.__name__}(), not the class")
    torch = __import__("sys").modules.get("torch")
    if torch is not None and isinstance(estimator, torch.nn.Module):
        raise TypeError(
            "fit() takes scikit-learn-style estimators; to train a torch head on "
            "embeddings use workbench.ml.train.MLPHead or LinearHead"
        )
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params")):
        raise TypeError(
            f"estimator must be scikit-learn style (fit, get_params, predict_proba); "
            f"got {type(estimator).__name__}"
        )


def fit(
    estimator: Any,
    project: Project,
    *,
    task: str | None = None,
    features: Features = None,
    ids: Sequence[str] | None = None,
) -> Any:
    """Clone ``estimator`` and fit it on the project's current labels.

    Parameters
    ----------
    estimator : scikit-learn-style estimator
        Cloned (``sklearn.base.clone``); the object passed in is not changed.
    project : Project
    task : str, optional
        A classification task; the schema's only one by default.
    features : optional
        Model inputs, as in :mod:`workbench.ml.features` (flattened to ``n × D``
        rows); the items' pixels by default.
    ids : sequence of str, optional
        Fit only on the labeled items among these.

    Returns
    -------
    estimator
        The fitted clone. For a multi-label task, a :class:`MultiLabelClassifier`
        (one-vs-rest) around the clone whose ``classes_`` are the schema's
        classes. It also records what it was fitted on:
        ``workbench_labeled_ids_`` (item ids, list of str), ``workbench_labels_``
        (their labels, same order), ``workbench_task_`` and
        ``workbench_event_id_`` (the newest label event among them).

    Raises
    ------
    WorkbenchError
        When the task has no labels, or only one class (multi-label: when no
        class is present in some labels and absent from others).
    """
    _check_estimator(estimator)
    return _fit_snapshot(estimator, project, _snapshot(project, task, ids), features)


# -- background training ---------------------------------------------------------------
def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop running in this thread, if any.

    ipykernel executes cells from a callback of its asyncio loop in the main
    thread, so in a notebook this is the kernel's loop; in a plain script or
    under pytest there is none. (A loop whose ``is_running()`` is true in this
    thread is exactly what ``get_running_loop`` returns, so no deprecated
    ``get_event_loop`` fallback is needed.)
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class TrainingJob:
    """A fit running in a daemon thread; made by :func:`fit_in_background`.

    The labels it trains on are read when it is created: labels written
    while it runs are stored as usual and used by the next fit.

    Attributes
    ----------
    task : str
    labels_used : int
        How many labels the fit uses (the snapshot taken at creation).
    labeled_ids : list of str
        Their item ids.
    started_at, finished_at : float
        Wall-clock times (``time.time()``); ``finished_at`` is None while running.
    """

    def __init__(
        self,
        estimator: Any,
        project: Project,
        snapshot: _Snapshot,
        *,
        features: Features = None,
        on_done: Callable[[TrainingJob], Any] | None = None,
    ) -> None:
        self.task = snapshot.task
        self.labels_used = len(snapshot.labels)
        self.labeled_ids = list(snapshot.ids)
        self.started_at = time.time()
        self.finished_at: float | None = None
        self._on_done = on_done
        self._loop = _kernel_loop()
        self._loop_thread = threading.get_ident() if self._loop is not None else None
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._delivered = False
        self._cancelled = False
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._work, args=(estimator, project, snapshot, features),
            name=f"workbench-train-{snapshot.task}", daemon=True,
        )  # fmt: skip
        self._thread.start()

    def _work(self, estimator: Any, project: Project, snap: _Snapshot, features: Features) -> None:
        try:
            self._result = _fit_snapshot(estimator, project, snap, features)
        except BaseException as exc:  # handed to result(); nothing may escape a thread
            self._error = exc
            if self._on_done is None:
                logger.warning("workbench train: background fit of %r failed: %s", snap.task, exc)
        finally:
            self.finished_at = time.time()
            self._finished.set()
        if self._on_done is not None and not self._cancelled and self._loop is not None:
            try:
                # on_done runs on the kernel's loop, which also serves the widgets.
                self._loop.call_soon_threadsafe(self._deliver)
            except RuntimeError:  # the loop closed meanwhile: result() delivers instead
                self._loop = None

    def _deliver(self) -> None:
        """Call ``on_done`` once, in the calling thread (the loop's, or result()'s)."""
        with self._lock:
            if self._delivered or self._cancelled or self._on_done is None:
                return
            self._delivered = True
        try:
            self._on_done(self)
        except Exception:
            logger.exception("workbench train: on_done failed")

    def _here_may_deliver(self) -> bool:
        return self._loop is None or threading.get_ident() == self._loop_thread

    def done(self) -> bool:
        """Whether the fit has finished (or failed)."""
        return self._finished.is_set()

    def running(self) -> bool:
        return not self._finished.is_set()

    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> bool:
        """Give up on the result: ``on_done`` will not be called and :meth:`result`
        raises ``CancelledError``. The fit itself cannot be interrupted; it finishes
        in its thread and is dropped. Returns False if it had finished already."""
        if self.done():
            return False
        self._cancelled = True
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the fit; return whether it finished. Calls ``on_done`` here when
        there is no kernel loop to call it (scripts, tests)."""
        finished = self._finished.wait(timeout)
        if finished and self._here_may_deliver():
            self._deliver()
        return finished

    def result(self, timeout: float | None = None) -> Any:
        """The fitted estimator; waits up to ``timeout`` seconds.

        Re-raises the fit's exception. Raises ``TimeoutError`` when the fit is
        still running after ``timeout`` and ``CancelledError`` when cancelled.
        Without a kernel loop (scripts, tests) ``on_done`` is called from here,
        in this thread, before returning.
        """
        if self._cancelled:
            raise CancelledError()
        if not self.wait(timeout):
            raise TimeoutError(f"training still running after {timeout} s")
        if self._error is not None:
            raise self._error
        return self._result

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The fit's exception, or None; waits like :meth:`result`."""
        if not self.wait(timeout):
            raise TimeoutError(f"training still running after {timeout} s")
        return self._error

    def __repr__(self) -> str:
        state = (
            "cancelled" if self._cancelled else "running" if not self.done()
            else "failed" if self._error is not None else "done"
        )  # fmt: skip
        return f"TrainingJob(task={self.task!r}, labels_used={self.labels_used}, {state})"


def fit_in_background(
    estimator: Any,
    project: Project,
    *,
    task: str | None = None,
    features: Features = None,
    ids: Sequence[str] | None = None,
    on_done: Callable[[TrainingJob], Any] | None = None,
) -> TrainingJob:
    """Start :func:`fit` in a daemon thread and return its :class:`TrainingJob` at once.

    The current labels are read here, before returning (``job.labels_used``);
    features are read and the clone fitted in the thread, while labeling goes
    on (the store is safe to use from several threads).

    ``on_done(job)`` is called once when the fit ends, successfully or not
    (``job.result()`` returns the model or raises): on the asyncio loop that
    was running when this was called (the kernel's, in a notebook) through
    ``call_soon_threadsafe``, never on the worker thread, so it may touch
    widgets. Without a running loop (scripts, tests) it is called from
    ``job.result()`` or ``job.wait()`` in the caller's thread. Exceptions in
    ``on_done`` are logged, not raised.

    Raises
    ------
    WorkbenchError
        At once, when there are no labels or only one class (see :func:`fit`).
    """
    _check_estimator(estimator)
    snap = _snapshot(project, task, ids)
    return TrainingJob(estimator, project, snap, features=features, on_done=on_done)


def out_of_fold(
    estimator: Any,
    X: Any,
    y: Sequence[Any],
    *,
    folds: int = 5,
    seed: int = 0,
    classes: Sequence[Any] | None = None,
    progress: bool = True,
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
    progress : bool
        Show a progress bar (tqdm), one step per fold.

    Returns
    -------
    ndarray, shape (N, K), float32
    """
    require("sklearn", "ml")
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
    from tqdm.auto import tqdm

    bar = tqdm(total=folds, desc="out-of-fold training", unit="fold", disable=not progress)
    with bar:
        _fit_folds(estimator, X_arr, y_arr, splitter, out, col_of, bar)
    return out


def _fit_folds(
    estimator: Any, X_arr: Any, y_arr: np.ndarray, splitter: Any, out: np.ndarray,
    col_of: dict[Any, int], bar: Any,
) -> None:  # fmt: skip
    from sklearn.base import clone

    n = len(y_arr)
    for train_idx, test_idx in splitter.split(np.zeros(n), y_arr):
        model = clone(estimator)
        X_train = X_arr.iloc[train_idx] if hasattr(X_arr, "iloc") else X_arr[train_idx]
        X_test = X_arr.iloc[test_idx] if hasattr(X_arr, "iloc") else X_arr[test_idx]
        model.fit(X_train, y_arr[train_idx])
        probs = np.asarray(model.predict_proba(X_test), dtype=np.float32)
        where = [col_of[c] for c in model.classes_]
        out[np.ix_(test_idx, where)] = probs
        bar.update(1)


# -- estimators --------------------------------------------------------------------------
# The public classes subclass scikit-learn's BaseEstimator and ClassifierMixin. So that
# importing this module needs neither scikit-learn nor torch, their code lives in the plain
# classes below and the public classes are made from them on first access (module
# __getattr__), registered under their public names so pickle and clone find them.


def _as_matrix(X: Any) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (samples × features), got shape {X.shape}")
    return X


class _MLPHead:
    """A small torch classifier (multi-layer perceptron) for embeddings.

    scikit-learn compatible: ``clone``, ``get_params``/``set_params``,
    pipelines and :func:`workbench.ml.train.fit` work as with any classifier.
    Deterministic for a given ``seed`` on the CPU: initial weights, shuffling
    and dropout masks draw from generators seeded by it, never from torch's
    global random state (which is left untouched, even when fitting in a
    background thread).

    Parameters
    ----------
    hidden : tuple of int
        Width of each hidden layer (ReLU, then dropout); ``()`` is a linear model.
    dropout : float
        Dropout probability after each hidden layer (on the inputs when there
        are no hidden layers). Needed > 0 for :meth:`predict_proba_mc`.
    epochs : int
        Passes over the training rows (at least; see ``min_steps``).
    lr, weight_decay : float
        AdamW learning rate and weight decay.
    batch_size : int
        Rows per optimisation step.
    device : str
        ``"auto"`` (CUDA, else MPS, else CPU), ``"cpu"``, ``"cuda"`` ...: where
        it trains and predicts. ``module_`` is kept on the CPU between calls, so
        a fitted head pickles and loads anywhere.
    seed : int
        Seed of every random draw.
    standardize : bool
        Scale each input feature to zero mean and unit variance (statistics of
        the training rows, kept as ``mean_`` and ``scale_``), so raw pixels and
        embeddings alike train with the default learning rate.
    min_steps : int
        At least this many optimiser steps: with few labels (one batch an
        epoch) more epochs are run, which on digits took 200 labels from 74%
        to 84% held-out accuracy; 0 runs exactly ``epochs``.

    Attributes
    ----------
    classes_ : ndarray, shape (K,)
        The classes seen in ``fit``, sorted; columns of :meth:`predict_proba`.
    module_ : torch.nn.Module
        The network: ``module_(x)`` maps standardised ``n × D`` float32 inputs
        to ``n × K`` logits.
    n_features_in_ : int
    n_epochs_ : int
        Epochs run.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (128,),
        dropout: float = 0.2,
        epochs: int = 50,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 256,
        device: str = "auto",
        seed: int = 0,
        standardize: bool = True,
        min_steps: int = 300,
    ) -> None:
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.device = device
        self.seed = seed
        self.standardize = standardize
        self.min_steps = min_steps

    def _hidden(self) -> tuple[int, ...]:
        return tuple(int(h) for h in self.hidden)

    def _check_params(self) -> None:
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        for name in ("epochs", "batch_size", "min_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (name != "min_steps"):
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if any(h < 1 for h in self._hidden()):
            raise ValueError(f"hidden must hold positive layer widths, got {self.hidden!r}")

    def fit(self, X: Any, y: Any) -> Any:
        """Train on ``X`` (``n × D``) and class labels ``y`` (``n``); returns self."""
        torch = require("torch", "ml")
        from .runner import resolve_device

        self._check_params()
        X = _as_matrix(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must be 1-D with one label per row of X ({len(X)}), got {y.shape}")
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y holds one class only ({self.classes_[0]!r}); need at least two")
        self.n_features_in_ = X.shape[1]
        if self.standardize:
            self.mean_ = X.mean(axis=0)
            scale = X.std(axis=0)
            self.scale_ = np.where(scale > 1e-12, scale, 1.0).astype(np.float32)
            X = (X - self.mean_) / self.scale_
        dev = resolve_device(self.device)
        cpu_gen = torch.Generator().manual_seed(int(self.seed))
        dev_gen = cpu_gen if dev.type == "cpu" else torch.Generator(dev).manual_seed(int(self.seed))
        net = _head_net()(X.shape[1], self._hidden(), len(self.classes_), float(self.dropout),
                          generator=cpu_gen).to(dev)  # fmt: skip
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        Xt = torch.from_numpy(np.ascontiguousarray(X))
        yt = torch.from_numpy(codes.astype(np.int64))
        n = len(Xt)
        steps_per_epoch = -(-n // self.batch_size)
        self.n_epochs_ = max(self.epochs, -(-self.min_steps // steps_per_epoch))
        self.loss_curve_ = []
        net.train()
        for _ in range(self.n_epochs_):
            order = torch.randperm(n, generator=cpu_gen)
            total = 0.0
            for s in range(0, n, self.batch_size):
                idx = order[s : s + self.batch_size]
                xb, yb = Xt[idx].to(dev), yt[idx].to(dev)
                loss = torch.nn.functional.cross_entropy(net(xb, generator=dev_gen), yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            self.loss_curve_.append(total / n)
        self.module_ = net.cpu().eval()
        return self

    def _inputs(self, X: Any) -> np.ndarray:
        if not hasattr(self, "module_"):
            raise WorkbenchError(f"this {type(self).__name__} is not fitted yet: call fit first")
        X = _as_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features but this head was fitted on {self.n_features_in_}"
            )
        if self.standardize:
            X = (X - self.mean_) / self.scale_
        return np.ascontiguousarray(X, dtype=np.float32)

    def _logits(self, X: np.ndarray, *, passes: int = 0, chunk: int = 8192) -> np.ndarray:
        """``n × K`` logits (``passes × n × K`` with dropout on, when ``passes``)."""
        torch = require("torch", "ml")
        from .runner import resolve_device

        dev = resolve_device(self.device)
        net = self.module_.to(dev) if dev.type != "cpu" else self.module_
        gen = None
        if passes:
            gen = torch.Generator(dev).manual_seed(int(self.seed) + 1)
        try:
            outs = []
            with torch.inference_mode():
                for s in range(0, len(X), chunk):
                    xb = torch.from_numpy(X[s : s + chunk]).to(dev)
                    if passes:
                        block = torch.stack(
                            [net(xb, generator=gen, dropout=True) for _ in range(passes)]
                        )
                    else:
                        block = net(xb, dropout=False)
                    outs.append(block.float().cpu().numpy())
        finally:
            if dev.type != "cpu":
                self.module_.cpu()
        k = len(self.classes_)
        if not outs:
            return np.zeros((passes, 0, k) if passes else (0, k), dtype=np.float32)
        return np.concatenate(outs, axis=1 if passes else 0)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``n × K`` float32 (columns follow ``classes_``)."""
        from .runner import to_probabilities

        return to_probabilities(self._logits(self._inputs(X)), "logits")

    def predict_proba_mc(self, X: Any, *, passes: int = 20) -> np.ndarray:
        """Monte Carlo dropout: ``passes × n × K`` float32 probabilities, dropout active.

        Each pass draws fresh dropout masks (from a generator seeded by
        ``seed``, so repeated calls agree); the spread between passes is what
        BALD (:mod:`workbench.ml.sampling`) measures.
        """
        if isinstance(passes, bool) or not isinstance(passes, int) or passes < 1:
            raise ValueError(f"passes must be a positive int, got {passes!r}")
        if float(self.dropout) == 0.0:
            raise ValueError(
                f"{type(self).__name__} has dropout=0: every MC pass would give the same "
                "probabilities; set dropout > 0"
            )
        logits = self._logits(self._inputs(X), passes=passes)
        z = np.exp(logits - logits.max(axis=2, keepdims=True))
        return (z / z.sum(axis=2, keepdims=True)).astype(np.float32, copy=False)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row, shape (n,)."""
        return self.classes_[np.argmax(self._logits(self._inputs(X)), axis=1)]


class _LinearHead(_MLPHead):
    """A linear (softmax regression) torch classifier: :class:`MLPHead` with no hidden layer.

    ``dropout`` (off by default) applies to the inputs. See :class:`MLPHead`
    for the other parameters and attributes.
    """

    def __init__(
        self,
        dropout: float = 0.0,
        epochs: int = 50,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        batch_size: int = 256,
        device: str = "auto",
        seed: int = 0,
        standardize: bool = True,
        min_steps: int = 300,
    ) -> None:
        super().__init__(
            (), dropout=dropout, epochs=epochs, lr=lr, weight_decay=weight_decay,
            batch_size=batch_size, device=device, seed=seed, standardize=standardize,
            min_steps=min_steps,
        )  # fmt: skip
        del self.hidden  # not a parameter of this class (get_params reads __init__)

    def _hidden(self) -> tuple[int, ...]:
        return ()


class _MultiLabel:
    """One-vs-rest multi-label classifier over a fixed list of classes.

    One clone of ``estimator`` per class (scikit-learn's
    ``OneVsRestClassifier`` on a ``MultiLabelBinarizer`` of ``classes``). A
    class present in every training label, or in none, gets a constant
    probability.

    Parameters
    ----------
    estimator : scikit-learn-style binary classifier
    classes : sequence of str
        The columns, in order; by default the sorted classes seen in ``fit``.

    Attributes
    ----------
    classes_ : ndarray of object, shape (K,)
    """

    def __init__(self, estimator: Any = None, classes: Sequence[str] = ()) -> None:
        self.estimator = estimator
        self.classes = classes

    def fit(self, X: Any, y: Sequence[Sequence[str]]) -> Any:
        """Fit on ``X`` (``n × D``) and ``y``, one list of class names per row."""
        require("sklearn", "ml")
        from sklearn.base import clone
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.preprocessing import MultiLabelBinarizer

        if self.estimator is None:
            raise ValueError("MultiLabelClassifier needs an estimator, e.g. LogisticRegression()")
        rows = [[str(c) for c in v] for v in y]
        classes = [str(c) for c in self.classes] or sorted({c for v in rows for c in v})
        unknown = sorted({c for v in rows for c in v} - set(classes))
        if unknown:
            raise ValueError(f"y holds classes not in classes=: {unknown[:5]}")
        self.binarizer_ = MultiLabelBinarizer(classes=classes)
        Y = self.binarizer_.fit_transform(rows)
        with warnings.catch_warnings():
            # Expected for a class no label holds yet: it gets a constant predictor.
            warnings.filterwarnings("ignore", message=".*is present in all training examples")
            self.ovr_ = OneVsRestClassifier(clone(self.estimator)).fit(X, Y)
        self.classes_ = np.array(classes, dtype=object)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """``n × K`` independent per-class probabilities (rows need not sum to 1)."""
        return np.asarray(self.ovr_.predict_proba(X), dtype=np.float64)

    def predict(self, X: Any) -> list[list[str]]:
        """The classes with probability ≥ 0.5, one list per row."""
        chosen = self.predict_proba(X) >= 0.5
        return [[str(c) for c in self.classes_[row]] for row in chosen]


class _Committee:
    """Several classifiers trained on the same labels: query by committee.

    Each member is cloned and fitted on the same rows. ``predict_proba`` is the
    members' mean; :meth:`predict_proba_members` gives each member's, which is
    what committee disagreement (``sampling.vote_entropy``,
    ``sampling.kl_to_consensus``) measures.

    Parameters
    ----------
    estimators : sequence of scikit-learn-style classifiers
        At least two.

    Attributes
    ----------
    estimators_ : list
        The fitted clones.
    classes_ : ndarray, shape (K,)
    """

    def __init__(self, estimators: Sequence[Any] = ()) -> None:
        self.estimators = estimators

    def fit(self, X: Any, y: Sequence[Any]) -> Any:
        require("sklearn", "ml")
        from sklearn.base import clone

        if len(self.estimators) < 2:
            raise ValueError(f"a Committee needs at least 2 estimators, got {len(self.estimators)}")
        self.estimators_ = [clone(e).fit(X, y) for e in self.estimators]
        self.classes_ = np.asarray(self.estimators_[0].classes_)
        return self

    def predict_proba_members(self, X: Any) -> np.ndarray:
        """``M × n × K`` probabilities, one slice per member, columns in ``classes_`` order."""
        out = np.zeros((len(self.estimators_), len(X), len(self.classes_)), dtype=np.float64)
        col = {c: i for i, c in enumerate(self.classes_.tolist())}
        for m, est in enumerate(self.estimators_):
            out[m][:, [col[c] for c in est.classes_.tolist()]] = est.predict_proba(X)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """``n × K``: the members' mean probabilities."""
        return self.predict_proba_members(X).mean(axis=0)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ makes them
    MLPHead = _MLPHead
    LinearHead = _LinearHead
    MultiLabelClassifier = _MultiLabel
    Committee = _Committee

_PUBLIC = {"MLPHead": _MLPHead, "LinearHead": _LinearHead, "MultiLabelClassifier": _MultiLabel,
           "Committee": _Committee}  # fmt: skip
_DEFINE_LOCK = threading.Lock()


def _define_estimators() -> None:
    with _DEFINE_LOCK:
        if "MLPHead" in globals():
            return
        require("sklearn", "ml")
        from sklearn.base import BaseEstimator, ClassifierMixin

        for name, impl in _PUBLIC.items():
            body = {"__module__": __name__, "__qualname__": name, "__doc__": impl.__doc__}
            globals()[name] = type(name, (impl, ClassifierMixin, BaseEstimator), body)


def _head_net() -> type:
    """The torch module class of the heads (defined on first use: it subclasses nn.Module)."""
    with _DEFINE_LOCK:
        if "_HeadNet" in globals():
            return globals()["_HeadNet"]
        torch = require("torch", "ml")

        class _HeadNet(torch.nn.Module):
            """Linear layers with ReLU and dropout between them; forward gives logits.

            Dropout masks come from the ``generator`` passed to ``forward`` (torch's
            global generator when None); ``dropout=True/False`` overrides the
            module's train/eval mode, so MC passes need not flip a shared flag.
            """

            def __init__(self, d_in: int, hidden: tuple[int, ...], k: int, p: float, *,
                         generator: Any = None) -> None:  # fmt: skip
                super().__init__()
                sizes = [d_in, *hidden, k]
                self.layers = torch.nn.ModuleList(
                    torch.nn.utils.skip_init(torch.nn.Linear, a, b)
                    for a, b in zip(sizes[:-1], sizes[1:], strict=True)
                )
                self.p = p
                self.input_dropout = not hidden
                with torch.no_grad():
                    for layer in self.layers:
                        # torch's default Linear init, U(±1/√fan_in), from our generator.
                        bound = 1.0 / math.sqrt(layer.in_features)
                        layer.weight.uniform_(-bound, bound, generator=generator)
                        layer.bias.uniform_(-bound, bound, generator=generator)

            def _drop(self, x: Any, on: bool, generator: Any) -> Any:
                if not on or self.p == 0.0:
                    return x
                keep = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=generator)
                return x * keep / (1.0 - self.p)

            def forward(self, x: Any, *, generator: Any = None, dropout: bool | None = None):
                on = self.training if dropout is None else dropout
                if self.input_dropout:
                    x = self._drop(x, on, generator)
                for layer in self.layers[:-1]:
                    x = self._drop(torch.relu(layer(x)), on, generator)
                return self.layers[-1](x)

        _HeadNet.__module__ = __name__
        _HeadNet.__qualname__ = "_HeadNet"
        globals()["_HeadNet"] = _HeadNet
        return _HeadNet


def _estimator_class(name: str) -> type:
    _define_estimators()
    return globals()[name]


def __getattr__(name: str) -> Any:
    # The estimator classes (and the heads' torch module, for unpickling) on first access.
    if name in _PUBLIC:
        _define_estimators()
        return globals()[name]
    if name == "_HeadNet":
        return _head_net()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
