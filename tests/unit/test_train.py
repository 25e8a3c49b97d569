"""Training: fit on current labels, out-of-fold probabilities, torch heads, background fits."""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
from concurrent.futures import CancelledError

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

import workbench as wb  # noqa: E402
from workbench import train  # noqa: E402
from workbench.ml.train import LinearHead, MLPHead, fit, fit_in_background, out_of_fold  # noqa: E402

DIGITS = list("0123456789")


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return (d.data / 16.0).astype(np.float32), d.target.astype(str)


@pytest.fixture
def project(tmp_path, digits):
    X, _ = digits
    p = wb.Project(tmp_path / "p.db", schema=wb.Schema.classification("digit", DIGITS))
    p.add_arrays(X[:400].reshape(-1, 8, 8), ids=[f"d{i}" for i in range(400)])
    yield p
    p.close()


def label_first(project, digits, n, *, start=0, annotator=None):
    _, y = digits
    for i in range(start, start + n):
        project.label(f"d{i}", y[i], annotator=annotator)


# -- fit ----------------------------------------------------------------------------------
def test_fit_clones_and_records_what_it_saw(project, digits):
    label_first(project, digits, 120)
    est = LogisticRegression(max_iter=500)
    fitted = fit(est, project)
    assert fitted is not est and not hasattr(est, "classes_")  # the user's object is untouched
    assert list(fitted.classes_) == DIGITS
    assert fitted.workbench_labeled_ids_ == [f"d{i}" for i in range(120)]
    assert fitted.workbench_labels_ == list(digits[1][:120])
    assert fitted.workbench_task_ == "digit"
    assert fitted.workbench_event_id_ == int(project.labels()["event_id"].max())
    X, y = digits
    assert (fitted.predict(X[300:400]) == y[300:400]).mean() > 0.8
    # The current label counts: a relabel changes what the next fit sees.
    project.label("d0", "7")
    again = fit(est, project)
    assert again.workbench_labels_[0] == "7"


def test_fit_on_a_subset_and_with_features(project, digits):
    label_first(project, digits, 60)
    emb = np.random.default_rng(0).normal(size=(400, 3))
    fitted = fit(LogisticRegression(), project, features=emb, ids=[f"d{i}" for i in range(30)])
    assert fitted.n_features_in_ == 3
    assert len(fitted.workbench_labeled_ids_) == 30


def test_fit_refuses_without_labels_or_with_one_class(project, digits):
    with pytest.raises(wb.WorkbenchError, match="no labels"):
        fit(LogisticRegression(), project)
    project.label("d0", "3")
    project.label("d1", "3")
    with pytest.raises(wb.WorkbenchError, match="two classes"):
        fit(LogisticRegression(), project)
    with pytest.raises(wb.WorkbenchError, match="no labels"):
        fit(LogisticRegression(), project, ids=["d5"])
    with pytest.raises(TypeError, match="instance"):
        fit(LogisticRegression, project)
    with pytest.raises(TypeError, match="MLPHead"):
        fit(torch.nn.Linear(64, 10), project)


def test_fit_multi_label_one_vs_rest(tmp_path):
    schema = wb.Schema.classification("tags", ["low", "high", "never"], multi_label=True)
    project = wb.Project(tmp_path / "ml.db", schema=schema)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    project.add_arrays(X.reshape(80, 2, 2), ids=[f"i{k}" for k in range(80)])
    for k in range(60):
        tags = (["low"] if X[k, 0] < 0 else []) + (["high"] if X[k, 1] > 0 else [])
        project.label(f"i{k}", tags)
    est = LogisticRegression()
    fitted = fit(est, project)
    assert not hasattr(est, "classes_")
    assert list(fitted.classes_) == ["low", "high", "never"]
    probs = fitted.predict_proba(X[60:])
    assert probs.shape == (20, 3)
    truth = np.stack([X[60:, 0] < 0, X[60:, 1] > 0], axis=1)
    assert ((probs[:, :2] >= 0.5) == truth).mean() > 0.9
    assert (probs[:, 2] < 0.5).all()  # never labeled: a constant low probability
    # The fitted model pre-labels the task directly (classes_ are the schema's).
    preds = project.prelabel(fitted, ids=[f"i{k}" for k in range(60, 80)], progress=False)
    np.testing.assert_allclose(preds.probs, probs, rtol=1e-5)
    # Nothing to learn when every label is the same set.
    other = wb.Project(tmp_path / "same.db", schema=schema)
    other.add_arrays(X[:5].reshape(5, 2, 2), ids=[f"i{k}" for k in range(5)])
    for k in range(5):
        other.label(f"i{k}", ["low"])
    with pytest.raises(wb.WorkbenchError, match="same"):
        fit(est, other)
    project.close()
    other.close()


# -- out_of_fold ----------------------------------------------------------------------------
class Recorder(LogisticRegression):
    """Logistic regression that remembers which rows (first column: row number) it saw."""

    seen: list[set[int]] = []

    def fit(self, X, y):
        Recorder.seen.append(set(X[:, 0].astype(int).tolist()))
        return super().fit(X[:, 1:], y)

    def predict_proba(self, X):
        rows = set(X[:, 0].astype(int).tolist())
        assert not rows & Recorder.seen[-1], "a row was predicted by a model that saw it"
        return super().predict_proba(X[:, 1:])


def test_out_of_fold_matches_a_manual_fold_loop(digits):
    X, y = digits
    X, y = X[:300], y[:300]
    est = LogisticRegression(max_iter=300)
    got = out_of_fold(est, X, y, folds=4, seed=3)
    expected = np.zeros((300, 10), dtype=np.float32)
    for tr, te in StratifiedKFold(4, shuffle=True, random_state=3).split(X, y):
        m = clone(est).fit(X[tr], y[tr])
        expected[te] = m.predict_proba(X[te])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert not hasattr(est, "classes_")
    # Rows are only ever predicted by models that did not see them.
    Recorder.seen = []
    rows = np.column_stack([np.arange(300), X])
    probs = out_of_fold(Recorder(max_iter=300), rows, y, folds=5)
    assert len(Recorder.seen) == 5 and probs.shape == (300, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    with pytest.raises(ValueError, match="folds"):
        out_of_fold(est, X, y, folds=1)


# -- torch heads -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls",
    [pytest.param(MLPHead, marks=pytest.mark.slow), LinearHead],  # MLPHead: ~7 s
)
def test_heads_are_sklearn_estimators(cls, digits):
    X, y = digits
    head = cls(epochs=15, seed=1)
    twin = clone(head)
    assert type(twin) is cls and twin.get_params() == head.get_params()
    if cls is LinearHead:
        assert "hidden" not in head.get_params()
    head.fit(X[:600], y[:600])
    assert not hasattr(twin, "classes_")
    assert list(head.classes_) == DIGITS
    probs = head.predict_proba(X[600:900])
    assert probs.shape == (300, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    assert head.score(X[600:900], y[600:900]) > 0.75
    assert isinstance(head.module_, torch.nn.Module)
    # 600 rows are 3 steps an epoch: min_steps=300 makes it 100 epochs.
    assert head.n_epochs_ == 100 and len(head.loss_curve_) == 100
    assert head.loss_curve_[-1] < head.loss_curve_[0]
    assert cls(epochs=15, min_steps=0).fit(X[:600], y[:600]).n_epochs_ == 15
    # Same seed, same model; pickles (the loop checkpoints fitted models).
    again = cls(epochs=15, seed=1).fit(X[:600], y[:600])
    np.testing.assert_array_equal(again.predict_proba(X[600:900]), probs)
    other = cls(epochs=15, seed=2).fit(X[:600], y[:600])
    assert not np.array_equal(other.predict_proba(X[600:900]), probs)
    copy = pickle.loads(pickle.dumps(head))
    np.testing.assert_array_equal(copy.predict_proba(X[600:900]), probs)


def test_heads_leave_the_global_torch_rng_alone(digits):
    X, y = digits
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    MLPHead(epochs=2).fit(X[:100], y[:100]).predict_proba_mc(X[:5], passes=2)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_predict_proba_mc(digits):
    X, y = digits
    head = MLPHead(hidden=(32,), dropout=0.3, epochs=10).fit(X[:500], y[:500])
    mc = head.predict_proba_mc(X[500:540], passes=7)
    assert mc.shape == (7, 40, 10)
    np.testing.assert_allclose(mc.sum(axis=2), 1, rtol=1e-5)
    assert mc.var(axis=0).mean() > 0
    np.testing.assert_array_equal(head.predict_proba_mc(X[500:540], passes=7), mc)
    # Plain predictions have dropout off: stable and different from any one pass.
    np.testing.assert_array_equal(head.predict_proba(X[500:540]), head.predict_proba(X[500:540]))
    with pytest.raises(ValueError, match="dropout"):
        LinearHead(epochs=1).fit(X[:50], y[:50]).predict_proba_mc(X[:5])
    assert LinearHead(dropout=0.2, epochs=1).fit(X[:50], y[:50]).predict_proba_mc(
        X[:5], passes=3
    ).shape == (3, 5, 10)


def test_heads_check_their_inputs(digits):
    X, y = digits
    with pytest.raises(wb.WorkbenchError, match="not fitted"):
        MLPHead().predict_proba(X[:3])
    with pytest.raises(ValueError, match="two"):
        MLPHead(epochs=1).fit(X[:5], ["a"] * 5)
    with pytest.raises(ValueError, match="dropout"):
        MLPHead(dropout=1.5).fit(X[:5], y[:5])
    head = MLPHead(epochs=1).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="features"):
        head.predict_proba(X[:3, :10])


def test_fit_a_head_on_project_embeddings(project, digits):
    label_first(project, digits, 200)
    emb = digits[0][:400]
    head = fit(MLPHead(hidden=(32,), epochs=20), project, features=emb)
    assert type(head) is MLPHead
    assert (head.predict(emb[200:400]) == digits[1][200:400]).mean() > 0.8
    preds = project.prelabel(head, features=emb, ids=[f"d{i}" for i in range(200, 400)],
                             progress=False)  # fmt: skip
    np.testing.assert_allclose(preds.probs, head.predict_proba(emb[200:400]), rtol=1e-5)


# -- background training --------------------------------------------------------------------
GATE = threading.Event()


class Gated(LogisticRegression):
    """Fits only once GATE is set, so the test controls what happens meanwhile."""

    def fit(self, X, y):
        if not GATE.wait(30):
            raise RuntimeError("gate never opened")
        return super().fit(X, y)


class Broken(LogisticRegression):
    def fit(self, X, y):
        raise ValueError("cannot fit this")


def test_background_fit_while_labels_keep_arriving(project, digits):
    label_first(project, digits, 100)
    GATE.clear()
    calls = []
    job = fit_in_background(Gated(max_iter=300), project, on_done=calls.append)
    assert job.labels_used == 100 and not job.done() and job.finished_at is None

    def annotate():  # another person labeling while the model trains
        label_first(project, digits, 100, start=100, annotator="bob")
        GATE.set()

    writer = threading.Thread(target=annotate)
    writer.start()
    fitted = job.result(timeout=60)
    writer.join()
    assert job.done() and job.finished_at >= job.started_at
    assert len(project.labels()) == 200  # every label written during training is stored
    assert len(fitted.workbench_labeled_ids_) == 100 == job.labels_used
    assert job.labeled_ids == [f"d{i}" for i in range(100)]
    # No kernel loop: on_done runs from result()/wait(), in this thread, once.
    assert calls == [job]
    job.result()
    job.wait()
    assert calls == [job]
    # The next fit sees the new labels.
    assert fit_in_background(LogisticRegression(max_iter=300), project).labels_used == 200


def test_on_done_runs_on_the_running_loop_thread(project, digits):
    label_first(project, digits, 60)
    threads = []

    async def main():
        finished = asyncio.Event()

        def on_done(job):
            threads.append(threading.get_ident())
            finished.set()  # only safe on the loop's own thread

        job = fit_in_background(LogisticRegression(max_iter=300), project, on_done=on_done)
        await asyncio.wait_for(finished.wait(), 60)
        return job, threading.get_ident()

    job, loop_thread = asyncio.run(main())
    assert threads == [loop_thread]
    assert job._thread.ident != loop_thread
    job.result()  # already delivered: not called again
    assert threads == [loop_thread]


def test_failures_reach_result_and_on_done(project, digits, caplog):
    label_first(project, digits, 40)
    seen = []
    job = fit_in_background(Broken(), project, on_done=lambda j: seen.append(j.exception()))
    with pytest.raises(ValueError, match="cannot fit this"):
        job.result(timeout=30)
    assert len(seen) == 1 and isinstance(seen[0], ValueError)

    def bad_callback(job):
        raise KeyError("oops in on_done")

    with caplog.at_level(logging.ERROR, logger="workbench.train"):
        good = fit_in_background(LogisticRegression(max_iter=300), project, on_done=bad_callback)
        assert good.result(timeout=30) is not None  # the callback's error is not raised
    assert "on_done failed" in caplog.text
    with pytest.raises(wb.WorkbenchError, match="no labels"):
        fit_in_background(LogisticRegression(), project, ids=["d399"])


def test_cancel_drops_the_result(project, digits):
    label_first(project, digits, 40)
    GATE.clear()
    calls = []
    job = fit_in_background(Gated(), project, on_done=calls.append)
    assert job.cancel() and job.cancelled()
    GATE.set()
    with pytest.raises(CancelledError):
        job.result(timeout=30)
    assert job.wait(30)
    assert calls == []
    assert "cancelled" in repr(job)


def test_import_is_light():
    import subprocess
    import sys

    code = (
        "import sys, workbench, workbench.ml.train, workbench.prelabel; "
        "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert train.__name__ == "workbench.ml.train"
