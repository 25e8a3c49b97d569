"""The active-learning loop: train, score the pool, pick a batch, label it, repeat.

A round trains the model on the current labels, evaluates it on a held-out
set, scores the unlabeled pool with an acquisition function from
:mod:`workbench.ml.sampling`, and hands the chosen batch to the labeling widget
as its queue order. The round ends when every item of the batch has a label
(or was skipped); then the next one starts.

Two ways to drive it:

``loop.step()`` / ``loop.widget()``
    for people. ``step()`` returns at once: training runs in a background
    thread while labeling goes on, and the widget's queue re-ranks when it
    finishes. The kernel is never blocked waiting for the widget (while a cell
    runs, the kernel handles no widget messages).
``loop.run(oracle, rounds=…)``
    for simulations and benchmarks: ``oracle(item_ids) -> labels`` answers
    each batch, and the call blocks until the rounds are done.

Every round is checkpointed under ``project.models_dir / "loops" / name``:
the fitted model (pickle) and a row of metrics; :attr:`history` holds them as
a DataFrame and :meth:`plot` draws the learning curve.

A loop made again over the same project (a notebook run a second time, a
restarted kernel) takes its rounds back from those checkpoints: ``step()``
resumes the batch that was still being labeled, and ``run()`` goes on from
the last round instead of training it again, so ``run(until=…)`` or
``run(max_labels=…)`` run twice do the work once. Checkpoints that do not fit
the project's labels (more labels than the project holds, another task or
strategy) are not taken back; the new rounds replace them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import WorkbenchError
from .ml import sampling
from .ml import train as _train
from .ml.features import Features, item_features
from .store import STATE_KINDS, Event

if TYPE_CHECKING:
    from .project import Project

__all__ = ["ActiveLearningLoop", "Round"]

logger = logging.getLogger("workbench.loop")
logger.addHandler(logging.NullHandler())

#: Strategies that need more of the model than ``predict_proba``: the method, and what to use.
NEEDS = {
    "bald": ("predict_proba_mc", "a model with MC dropout, e.g. wb.train.MLPHead(dropout=0.2)"),
    "vote_entropy": ("estimators", "a committee, e.g. wb.train.Committee([model1, model2])"),
    "kl_to_consensus": ("estimators", "a committee, e.g. wb.train.Committee([model1, model2])"),
}


@dataclass
class Round:
    """What one round did: the labels it trained on, the model's held-out scores,
    and the batch it chose."""

    round: int
    labels: int
    metrics: dict[str, float] = field(default_factory=dict)
    batch: list[str] = field(default_factory=list)
    train_s: float = 0.0
    score_s: float = 0.0
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    checkpoint: str | None = None
    trained: bool = False


class ActiveLearningLoop:
    """Rounds of train → score the pool → pick a batch → label it.

    Parameters
    ----------
    project : Project
        Whose items and labels the loop uses.
    model : estimator
        A scikit-learn-style classifier (``fit`` / ``predict_proba`` /
        ``classes_``), e.g. ``LogisticRegression()`` or :class:`workbench.ml.train.MLPHead`.
        It is cloned every round; the object passed is never fitted.
    strategy : str or callable
        Any name in :data:`workbench.ml.sampling.STRATEGIES`: ``"margin"``
        (default), ``"entropy"``, ``"least_confidence"``, ``"random"``;
        ``"bald"`` (a model with ``predict_proba_mc``, e.g.
        :class:`workbench.ml.train.MLPHead`); ``"vote_entropy"`` or
        ``"kl_to_consensus"`` (a :class:`workbench.ml.train.Committee`);
        ``"k_center"`` (diversity over ``features``) or ``"hybrid"``
        (k-center among the most uncertain). Or a callable ``fn(probs, *, k)
        -> (indices, scores)``.
    batch_size : int
        Items chosen per round.
    task : str, optional
        The classification task; the schema's first by default.
    features : optional
        The model's inputs (see :mod:`workbench.ml.features`): the items' pixels
        by default, or e.g. one embedding row per item.
    holdout : (X, y), optional
        A held-out set: feature rows and their classes (class names, or values
        whose ``str`` is a class name). Every round reports ``accuracy`` and
        ``log_loss`` on it.
    initial : int
        While fewer items than this are labeled (or the labels hold only one
        class), batches are chosen at random: there is no model to ask yet.
    name : str
        Name of the loop's checkpoint folder and of its models.
    seed : int
        Seed of the random choices.
    """

    def __init__(
        self,
        project: Project,
        model: Any,
        *,
        strategy: str | Callable[..., Any] = "margin",
        batch_size: int = 10,
        task: str | None = None,
        features: Features = None,
        holdout: tuple[Any, Sequence[Any]] | None = None,
        initial: int = 10,
        name: str = "loop",
        seed: int = 0,
    ) -> None:
        # Duck-typed (what a Project offers): the loop sits below the Project façade.
        if not all(hasattr(project, a) for a in ("schema", "store", "labels", "item_ids")):
            raise TypeError(f"project must be a workbench.Project, got {type(project).__name__}")
        if not (hasattr(model, "fit") and hasattr(model, "predict_proba")):
            raise TypeError(
                "model must be a scikit-learn-style classifier with fit and predict_proba, "
                f"got {type(model).__name__}"
            )
        self.project = project
        self.model = model
        task_obj = project.schema.classification_task(task, purpose="ActiveLearningLoop")
        self.task = task_obj.name
        if getattr(task_obj, "multi_label", False):
            raise WorkbenchError("ActiveLearningLoop handles single-label classification tasks")
        self.classes: list[str] = [c.name for c in task_obj.classes]
        self.strategy_name, self._strategy = _strategy(strategy, model)
        self.batch_size = _positive_int("batch_size", batch_size)
        self.initial = _positive_int("initial", initial)
        self.features = features
        self.holdout = _holdout(holdout, self.classes)
        self.name = str(name)
        self.seed = int(seed)
        self._rng = np.random.default_rng(seed)
        self.rounds: list[Round] = []
        self.fitted: Any = None
        self.checkpoint_dir = Path(project.models_dir) / "loops" / _safe(self.name)
        self.rounds = self._restore()
        self._current: Round | None = None
        self._pending: set[str] = set()
        self._job: Any = None
        self._widget: Any = None
        self._lock = threading.Lock()
        self._auto = False
        self._loop = _running_loop()
        self._listening = False

    # -- people: step / widget ------------------------------------------------
    def widget(self, **settings: Any):
        """A :class:`~workbench.ClassifyWidget` whose queue follows the loop's batches."""
        order = self._current.batch if self._current is not None else None
        self._widget = self.project.classify(self.task, order=order, **settings)
        return self._widget

    def step(self, *, auto: bool = True) -> None:
        """Start a round and return at once.

        Training runs in a background thread; when it finishes the pool is
        scored and the widget's queue re-ranks to the chosen batch. The round
        ends when the batch is labeled; with ``auto`` the next round then starts
        by itself, until :meth:`stop`.
        """
        self._auto = auto
        self._listen()
        if self._job is not None and not self._job.done():
            return  # a round is being trained already; it re-ranks when done
        self._loop = self._loop or _running_loop()
        labeled = self._labeled_ids()
        if self._current is None and self.rounds:
            last = self.rounds[-1]
            if last.finished_at is None and any(i not in labeled for i in last.batch):
                self._resume(last)  # a restored round whose batch is still being labeled
                return
        if not self._trainable(labeled):
            self._begin(self._random_batch(labeled), labels=len(labeled))
            return
        started = time.perf_counter()
        self._job = _train.fit_in_background(
            self.model, self.project, task=self.task, features=self.features,
            on_done=lambda job: self._trained(job, started),
        )  # fmt: skip

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background training of the current step (scripts and tests;
        in a notebook the queue re-ranks by itself)."""
        job = self._job
        if job is not None:
            job.result(timeout=timeout)

    def stop(self) -> None:
        """Start no further rounds (the current batch stays in the widget's queue)."""
        self._auto = False
        if self._listening:
            self.project.store.remove_listener(self._on_events)
            self._listening = False

    def _trained(self, job: Any, started: float) -> None:
        try:
            fitted = job.result()
        except Exception as exc:
            logger.exception("workbench loop: training failed")
            if self._widget is not None:
                self._widget.send({"type": "error", "error": f"training failed: {exc}"})
            return
        self.fitted = fitted
        labeled = self._labeled_ids()
        rnd = self._choose(fitted, labeled, train_s=time.perf_counter() - started)
        self._begin_round(rnd)

    # -- simulations: run ------------------------------------------------------
    def run(
        self,
        oracle: Callable[[list[str]], Sequence[Any]],
        *,
        rounds: int | None = None,
        max_labels: int | None = None,
        until: float | None = None,
        annotator: str = "oracle",
        progress: bool = True,
    ) -> pd.DataFrame:
        """Run rounds with a simulated labeler; block until done; return :attr:`history`.

        ``oracle(item_ids)`` returns one label per id. Stops after ``rounds``
        rounds, once held-out accuracy reaches ``until``, when the pool is
        empty, or once ``max_labels`` items are labeled, whichever comes first;
        in the last case a final round trains and evaluates on those labels
        (its batch is empty), so the curve ends at ``max_labels``.

        When the last round (of an earlier call, or restored from the
        checkpoints) was chosen for the labels the project holds now, it is
        taken up instead of training again: its batch is labeled, or, if it
        already met a stopping rule, nothing more is done.
        """
        if rounds is None and max_labels is None and until is None:
            raise ValueError("run() needs rounds=, max_labels= or until= to know when to stop")
        from tqdm.auto import tqdm

        bar = tqdm(total=rounds, desc=f"{self.name}: rounds", disable=not progress)
        done = 0
        try:
            while rounds is None or done < rounds:
                labeled = self._labeled_ids()
                # The labels are all in: one last round trains and evaluates on them.
                final = max_labels is not None and len(labeled) >= max_labels
                last = self.rounds[-1] if self.rounds else None
                taken_up = last is not None and last.labels == len(labeled)
                if taken_up:
                    rnd = last  # chosen for these very labels already
                    if rnd.trained and self.fitted is None:
                        self.fitted = self._fitted_of(rnd)
                elif self._trainable(labeled):
                    started = time.perf_counter()
                    self.fitted = _train.fit(
                        self.model, self.project, task=self.task, features=self.features
                    )
                    rnd = self._choose(self.fitted, labeled, train_s=time.perf_counter() - started,
                                       pick=not final)  # fmt: skip
                else:
                    batch = [] if final else self._random_batch(labeled)
                    rnd = Round(len(self.rounds), len(labeled), batch=batch)
                if not taken_up:
                    self.rounds.append(rnd)
                    self._checkpoint(rnd)
                acc = rnd.metrics.get("accuracy")
                reached = until is not None and acc is not None and acc >= until
                pending = [i for i in rnd.batch if i not in labeled]
                if taken_up and not (final or reached or pending):
                    # It ended a run that asked for fewer labels: now it picks a batch.
                    fitted = self.fitted if rnd.trained else None
                    rnd.batch = pending = (
                        self.choose(fitted, labeled) if fitted is not None
                        else self._random_batch(labeled)
                    )  # fmt: skip
                    self._checkpoint(rnd)
                if final or reached or not pending:
                    if not taken_up or rnd.finished_at is None:
                        bar.update(1)
                        bar.set_postfix(labels=rnd.labels, accuracy=acc)
                        self._finish(rnd)
                    break
                bar.update(1)
                done += 1
                bar.set_postfix(labels=rnd.labels, accuracy=acc)
                if max_labels is not None:
                    pending = pending[: max(0, max_labels - len(labeled))]
                    if not taken_up:
                        rnd.batch = pending
                answers = list(oracle(list(pending)))
                if len(answers) != len(pending):
                    raise WorkbenchError(
                        f"oracle returned {len(answers)} labels for {len(pending)} items"
                    )
                events = [
                    self.project.make_event(iid, value, task=self.task, annotator=annotator)
                    for iid, value in zip(pending, answers, strict=True)
                ]
                self.project.store.append(events)
                self._finish(rnd)
        finally:
            bar.close()
        return self.history

    # -- the round ---------------------------------------------------------------
    def _choose(
        self, fitted: Any, labeled: set[str], *, train_s: float, pick: bool = True
    ) -> Round:
        rnd = Round(len(self.rounds), len(labeled), train_s=train_s, trained=True)
        rnd.metrics = self.evaluate(fitted)
        if pick:
            started = time.perf_counter()
            rnd.batch = self.choose(fitted, labeled)
            rnd.score_s = time.perf_counter() - started
        return rnd

    def choose(self, fitted: Any, labeled: set[str]) -> list[str]:
        """The next batch: ids the strategy picks, for ``fitted``, from the items not in
        ``labeled``."""
        ids = self.project.item_ids()
        pool = [i for i in ids if i not in labeled]
        if not pool:
            return []
        k = min(self.batch_size, len(pool))
        name, fn = self.strategy_name, self._strategy
        if name == "random":
            idx, _ = sampling.random(len(pool), k=k, seed=self._rng.integers(1 << 31))
        elif name in ("k_center", "hybrid"):
            # Diversity needs the labeled items too: they are the centres to keep away from.
            done = np.array([i for i, iid in enumerate(ids) if iid in labeled], dtype=np.int64)
            emb = item_features(self.project, ids, self.features)
            if name == "k_center":
                sel, _ = fn(emb, k=k, labeled=done, seed=self.seed)
            else:
                sel, _ = fn(self.pool_probs(fitted, ids), emb, k=k, labeled=done, exclude=done)
            return [ids[i] for i in sel]
        elif name == "bald":
            idx, _ = fn(self._members(fitted, pool, "predict_proba_mc"), k=k)
        elif name in ("vote_entropy", "kl_to_consensus"):
            idx, _ = fn(self._members(fitted, pool, "predict_proba_members"), k=k)
        else:
            idx, _ = fn(self.pool_probs(fitted, pool), k=k)
        return [pool[i] for i in idx]

    def _members(self, fitted: Any, item_ids: Sequence[str], method: str) -> np.ndarray:
        """``M × n × K`` (committee members, or MC dropout passes) in the schema's order."""
        X = item_features(self.project, item_ids, self.features)
        got = np.asarray(getattr(fitted, method)(X), dtype=np.float32)
        out = np.zeros((len(got), len(item_ids), len(self.classes)), dtype=np.float32)
        out[:, :, _columns(fitted, self.classes)] = got
        return out

    def pool_probs(self, fitted: Any, item_ids: Sequence[str], *, chunk: int = 65536) -> np.ndarray:
        """``len(item_ids) × K`` probabilities of ``fitted`` in the schema's class order."""
        out = np.zeros((len(item_ids), len(self.classes)), dtype=np.float32)
        cols = _columns(fitted, self.classes)
        for s in range(0, len(item_ids), chunk):
            X = item_features(self.project, item_ids[s : s + chunk], self.features)
            out[s : s + len(X), cols] = fitted.predict_proba(X)
        return out

    def evaluate(self, fitted: Any) -> dict[str, float]:
        """Held-out ``accuracy`` and ``log_loss`` of ``fitted`` (empty without a holdout)."""
        if self.holdout is None:
            return {}
        X, y = self.holdout
        probs = np.zeros((len(y), len(self.classes)), dtype=np.float64)
        probs[:, _columns(fitted, self.classes)] = fitted.predict_proba(X)
        truth = np.array([self.classes.index(v) for v in y])
        picked = probs[np.arange(len(y)), truth]
        return {
            "accuracy": float(np.mean(probs.argmax(axis=1) == truth)),
            "log_loss": float(-np.mean(np.log(np.clip(picked, 1e-15, 1.0)))),
        }

    def _begin(self, batch: list[str], *, labels: int) -> None:
        self._begin_round(Round(len(self.rounds), labels, batch=batch))

    def _begin_round(self, rnd: Round) -> None:
        with self._lock:
            self.rounds.append(rnd)
            self._current = rnd
            self._checkpoint(rnd)
            labeled = self._labeled_ids()
            self._pending = {i for i in rnd.batch if i not in labeled}
        if self._widget is not None and rnd.batch:
            self._widget.set_order(rnd.batch)
        if not self._pending:
            self._round_labeled()

    def _resume(self, rnd: Round) -> None:
        if rnd.trained and self.fitted is None:
            self.fitted = self._fitted_of(rnd)
        with self._lock:
            self._current = rnd
            labeled = self._labeled_ids()
            self._pending = {i for i in rnd.batch if i not in labeled}
        if self._widget is not None:
            self._widget.set_order(rnd.batch)
        if not self._pending:
            self._round_labeled()

    def _listen(self) -> None:
        if not self._listening:
            self.project.store.add_listener(self._on_events)
            self._listening = True

    def _on_events(self, events: list[Event]) -> None:
        # Called in whichever thread appended; a widget's labels arrive on the kernel's.
        with self._lock:
            if not self._pending:
                return
            before = len(self._pending)
            for ev in events:
                if ev.task == self.task and ev.kind in STATE_KINDS:
                    self._pending.discard(ev.item_id)
            finished = before and not self._pending
        if finished:
            self._call_on_kernel(self._round_labeled)

    def _round_labeled(self) -> None:
        rnd = self._current
        if rnd is None:
            return
        self._finish(rnd)
        if self._auto and rnd.batch:  # an empty batch: the pool is used up, nothing to start
            self.step(auto=True)

    def _call_on_kernel(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if threading.current_thread() is threading.main_thread() or loop is None:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def _finish(self, rnd: Round) -> None:
        rnd.finished_at = time.time()
        self._checkpoint(rnd)

    def _checkpoint(self, rnd: Round) -> Path:
        """Write ``round-NNNN/round.json`` (the round's metrics and batch) and, once,
        ``model.pkl`` (the model it trained). Written when the round begins, so the
        batch it asked for is on disk, and again when it ends."""
        folder = self.checkpoint_dir / f"round-{rnd.round:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        model = folder / "model.pkl"
        if rnd.trained and not model.is_file():
            try:
                _atomic_write(model, pickle.dumps(self.fitted))
            except Exception as exc:  # an unpicklable model still gets its metrics saved
                logger.warning(
                    "workbench loop: cannot pickle the model of round %d: %s", rnd.round, exc
                )
        rnd.checkpoint = str(folder)
        row = {k: v for k, v in asdict(rnd).items() if k != "checkpoint"}
        row.update(strategy=self.strategy_name, batch_size=self.batch_size, task=self.task)
        _atomic_write(folder / "round.json", json.dumps(row, default=str).encode())
        return folder

    def _restore(self) -> list[Round]:
        """The rounds checkpointed by an earlier loop of this name over this project."""
        rounds: list[Round] = []
        names = set(Round.__dataclass_fields__)
        while True:
            path = self.checkpoint_dir / f"round-{len(rounds):04d}" / "round.json"
            try:
                row = json.loads(path.read_text())
            except FileNotFoundError:
                break
            except (OSError, ValueError) as exc:
                logger.warning("workbench loop: cannot read %s (%s); rounds stop there", path, exc)
                break
            if (row.get("task"), row.get("strategy")) != (self.task, self.strategy_name):
                break  # another loop's history under this name: the new rounds replace it
            rnd = Round(**{k: v for k, v in row.items() if k in names})
            if rounds and rnd.started_at < rounds[-1].started_at:
                break  # left over from an older, longer history
            rnd.checkpoint = str(path.parent)
            rounds.append(rnd)
        if rounds and rounds[-1].labels > len(self._labeled_ids()):
            logger.warning(
                "workbench loop: the checkpoints in %s trained on more labels than the project "
                "holds; starting afresh", self.checkpoint_dir,
            )  # fmt: skip
            return []
        return rounds

    def _fitted_of(self, rnd: Round) -> Any:
        try:
            return self.load_checkpoint(rnd.round)
        except Exception as exc:  # noqa: BLE001 - a missing or unreadable pickle: train again
            logger.warning("workbench loop: no model from round %d: %s", rnd.round, exc)
            return None

    def load_checkpoint(self, round: int) -> Any:  # noqa: A002 - the round's number
        """The model fitted in round ``round``, from its checkpoint."""
        path = self.checkpoint_dir / f"round-{int(round):04d}" / "model.pkl"
        if not path.is_file():
            raise WorkbenchError(f"no checkpoint of round {round} at {path}")
        return pickle.loads(path.read_bytes())

    # -- helpers ---------------------------------------------------------------
    def _labeled_ids(self) -> set[str]:
        # Skipped items count as done: they leave the pool without a label.
        cur = self.project.store.current(self.task, labels_only=False)
        return set(cur["item_id"])

    def _trainable(self, labeled: set[str]) -> bool:
        if len(labeled) < self.initial:
            return False
        labels = self.project.labels(self.task)["label"]
        return labels.nunique() >= 2

    def _random_batch(self, labeled: set[str]) -> list[str]:
        pool = [i for i in self.project.item_ids() if i not in labeled]
        k = min(max(self.initial - len(labeled), self.batch_size), len(pool))
        if not k:
            return []
        idx = self._rng.choice(len(pool), size=k, replace=False)
        return [pool[i] for i in idx]

    # -- results ---------------------------------------------------------------
    @property
    def history(self) -> pd.DataFrame:
        """One row per round: ``round, labels``, the held-out metrics, timings, batch size."""
        rows = []
        for r in self.rounds:
            row = {"round": r.round, "labels": r.labels, **r.metrics,
                   "batch": len(r.batch), "train_s": r.train_s, "score_s": r.score_s,
                   "finished": r.finished_at is not None}  # fmt: skip
            rows.append(row)
        return pd.DataFrame(rows)

    def labels_to(self, accuracy: float) -> int | None:
        """How many labels the first round reaching ``accuracy`` had trained on."""
        for r in self.rounds:
            if r.metrics.get("accuracy", -1.0) >= accuracy:
                return r.labels
        return None

    def plot(
        self, metric: str = "accuracy", *, others: dict[str, ActiveLearningLoop] | None = None
    ):
        """The learning curve (plotly): ``metric`` against the number of labels;
        ``others`` adds more loops' curves to compare, e.g. ``{"random": loop2}``."""
        from .dashboards import learning_curves

        curves = {self.strategy_name if others else self.name: self.history}
        for label, other in (others or {}).items():
            curves[label] = other.history
        return learning_curves(curves, metric=metric)

    def __repr__(self) -> str:
        return (
            f"ActiveLearningLoop(strategy={self.strategy_name!r}, batch_size={self.batch_size}, "
            f"rounds={len(self.rounds)}, task={self.task!r})"
        )


def _strategy(strategy: Any, model: Any) -> tuple[str, Callable[..., Any]]:
    if callable(strategy):
        return getattr(strategy, "__name__", "custom"), strategy
    if not isinstance(strategy, str):
        raise TypeError(f"strategy must be a name or a callable, got {type(strategy).__name__}")
    if strategy not in sampling.STRATEGIES:
        raise ValueError(
            f"strategy {strategy!r} is not one of {list(sampling.STRATEGIES)}; "
            "or pass a callable fn(probs, *, k) -> (indices, scores)"
        )
    needs = NEEDS.get(strategy)
    if needs and not hasattr(model, needs[0]):
        raise TypeError(f"strategy {strategy!r} needs {needs[1]}, got {type(model).__name__}")
    return strategy, sampling.get(strategy)


def _columns(fitted: Any, classes: list[str]) -> list[int]:
    index = {c: i for i, c in enumerate(classes)}
    try:
        return [index[str(c)] for c in fitted.classes_]
    except KeyError as exc:
        raise WorkbenchError(
            f"the model predicts class {exc.args[0]!r}, which is not in the schema {classes}"
        ) from None


def _holdout(holdout: Any, classes: list[str]) -> tuple[Any, list[str]] | None:
    if holdout is None:
        return None
    try:
        X, y = holdout
    except (TypeError, ValueError):
        raise TypeError("holdout must be a pair (X, y)") from None
    ys = [str(v) for v in y]
    unknown = sorted(set(ys) - set(classes))
    if unknown:
        raise WorkbenchError(f"holdout labels {unknown[:5]} are not classes of the schema")
    if len(X) != len(ys):
        raise ValueError(f"holdout X has {len(X)} rows but y has {len(ys)}")
    return X, ys


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "loop"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's event loop when called from its main thread (ipykernel runs one)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
