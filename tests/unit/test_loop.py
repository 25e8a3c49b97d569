"""The active-learning loop end to end: rounds, batches, checkpoints, widget re-ranking."""

from __future__ import annotations

import asyncio
import json
import threading
import warnings

import numpy as np
import pytest

import workbench as wb
from workbench import sampling

pytest.importorskip("sklearn")
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

CLASSES = list("0123456789")


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.data / 16.0, d.target.astype(str)


@pytest.fixture
def setup(tmp_path, digits):
    X, y = digits
    pool_X, pool_y = X[:400], y[:400]
    project = wb.Project(tmp_path / "al.db", schema=wb.Schema.classification("digit", CLASSES))
    ids = [f"d{i}" for i in range(len(pool_X))]
    project.add_arrays(pool_X.reshape(-1, 8, 8), ids=ids)
    truth = dict(zip(ids, pool_y, strict=True))
    yield project, pool_X, truth, (X[1400:], y[1400:])
    project.close()


def model():
    return LogisticRegression(max_iter=300)


def test_run_rounds_pick_the_strategys_batch_and_checkpoint(setup):
    project, X, truth, holdout = setup
    loop = wb.ActiveLearningLoop(project, model(), strategy="margin", batch_size=10,
                                 features=X, holdout=holdout, initial=20, seed=1)  # fmt: skip
    asked: list[list[str]] = []

    def oracle(batch):
        asked.append(list(batch))
        return [truth[i] for i in batch]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = loop.run(oracle, rounds=4, progress=False)
    assert list(history["round"]) == [0, 1, 2, 3]
    # Round 0 had no model: 20 random seed labels; then 10 a round.
    assert list(history["labels"]) == [0, 20, 30, 40]
    assert [len(b) for b in asked] == [20, 10, 10, 10]
    assert len(set(sum(asked, []))) == 50  # never the same item twice
    labels = project.labels()
    assert len(labels) == 50 and set(labels["annotator"]) == {"oracle"}
    assert all(truth[i] == v for i, v in zip(labels["item_id"], labels["label"], strict=True))
    assert history["accuracy"].iloc[1:].notna().all()
    assert 0.5 < history["accuracy"].iloc[-1] <= 1.0
    # The last batch is exactly margin's top 10 over the unlabeled pool for the model of that
    # round, which the checkpoint holds.
    fitted = loop.load_checkpoint(3)
    before = set(sum(asked[:3], []))
    pool = [i for i in project.item_ids() if i not in before]
    probs = loop.pool_probs(fitted, pool)
    idx, _ = sampling.margin(probs, k=10)
    assert asked[3] == [pool[i] for i in idx]
    assert (loop.checkpoint_dir / "round-0003" / "round.json").is_file()
    first = json.loads((loop.checkpoint_dir / "round-0000" / "round.json").read_text())
    assert first["batch"] == asked[0] and first["finished_at"] is not None
    assert not (loop.checkpoint_dir / "round-0000" / "model.pkl").exists()  # no model yet
    # The user's estimator was never fitted.
    assert not hasattr(loop.model, "classes_")


def test_run_stops_at_target_or_ceiling(setup):
    project, X, truth, holdout = setup
    loop = wb.ActiveLearningLoop(project, model(), strategy="random", batch_size=25,
                                 features=X, holdout=holdout, initial=25)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop.run(lambda b: [truth[i] for i in b], max_labels=60, progress=False)
    assert len(project.labels()) == 60
    assert loop.labels_to(0.0) == 25
    assert loop.labels_to(1.01) is None


def test_step_labels_from_elsewhere_finish_the_round_and_rerank_the_widget(setup):
    project, X, truth, holdout = setup
    loop = wb.ActiveLearningLoop(project, model(), strategy="entropy", batch_size=5,
                                 features=X, holdout=holdout, initial=12)  # fmt: skip
    widget = loop.widget(prefetch=4)
    loop.step()
    first = loop.rounds[0].batch
    assert len(first) == 12 and widget.stream._order == first
    for iid in first:  # the widget's labels arrive like this, through the store
        project.label(iid, truth[iid])
    # The batch is labeled: the round ends and the next trains in the background.
    assert loop.rounds[0].finished_at is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop.wait(timeout=60)
    assert len(loop.rounds) == 2
    second = loop.rounds[1]
    assert second.labels == 12 and len(second.batch) == 5
    assert not set(second.batch) & set(first)
    assert widget.stream._order == second.batch
    assert "accuracy" in second.metrics
    loop.stop()
    project.label(second.batch[0], truth[second.batch[0]])  # no listener any more
    assert len(loop.rounds) == 2


def test_round_end_from_another_thread_runs_on_the_kernel_loop(setup):
    project, X, truth, holdout = setup

    async def main():
        loop = wb.ActiveLearningLoop(project, model(), strategy="margin", batch_size=5,
                                     features=X, initial=10)  # fmt: skip
        loop.step(auto=False)
        batch = loop.rounds[0].batch
        finish = loop._finish
        loop._finish = lambda rnd: (threads.append(threading.current_thread()), finish(rnd))
        await asyncio.to_thread(lambda: [project.label(i, truth[i]) for i in batch])
        await asyncio.sleep(0.05)
        return loop

    threads: list[threading.Thread] = []
    loop = asyncio.run(main())
    # The labels were written from a worker thread; the round ended on the loop's thread.
    assert threads == [threading.main_thread()]
    assert loop.rounds[0].finished_at is not None and len(loop.rounds) == 1


def test_plot_draws_one_curve_per_loop(setup):
    project, X, truth, holdout = setup
    loop = wb.ActiveLearningLoop(project, model(), batch_size=10, features=X,
                                 holdout=holdout, initial=20)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop.run(lambda b: [truth[i] for i in b], rounds=3, progress=False)
    fig = loop.plot(others={"again": loop})
    assert [t.name for t in fig.data] == ["margin", "again"]
    assert list(fig.data[0].x) == [20, 30]


def test_bad_arguments_get_clear_errors(setup):
    project, X, _, holdout = setup
    with pytest.raises(ValueError, match="strategy 'nope'"):
        wb.ActiveLearningLoop(project, model(), strategy="nope")
    with pytest.raises(ValueError, match="batch_size"):
        wb.ActiveLearningLoop(project, model(), batch_size=0)
    with pytest.raises(TypeError, match="fit and predict_proba"):
        wb.ActiveLearningLoop(project, object())
    with pytest.raises(wb.WorkbenchError, match="not classes of the schema"):
        wb.ActiveLearningLoop(project, model(), holdout=(X[:2], ["cat", "0"]))
    loop = wb.ActiveLearningLoop(project, model(), features=X)
    with pytest.raises(ValueError, match="rounds="):
        loop.run(lambda b: b)
    with pytest.raises(wb.WorkbenchError, match="oracle returned"):
        loop.run(lambda b: [], rounds=1, progress=False)
    assert project.labels().empty  # nothing half-written


def test_holdout_metrics_match_sklearn(setup):
    project, X, truth, holdout = setup
    loop = wb.ActiveLearningLoop(project, model(), features=X, holdout=holdout)
    fitted = model().fit(X[:100], [truth[f"d{i}"] for i in range(100)])
    m = loop.evaluate(fitted)
    assert m["accuracy"] == pytest.approx(fitted.score(*holdout))
    from sklearn.metrics import log_loss

    assert m["log_loss"] == pytest.approx(
        log_loss(holdout[1], fitted.predict_proba(holdout[0]), labels=fitted.classes_), rel=1e-5
    )
    assert np.isfinite(m["log_loss"])


@pytest.mark.parametrize("strategy", ["bald", "vote_entropy", "kl_to_consensus", "k_center",
                                      "hybrid", "least_confidence", "entropy"])  # fmt: skip
def test_every_sampling_strategy_runs_in_the_loop(setup, strategy):
    project, X, truth, holdout = setup
    from sklearn.neighbors import KNeighborsClassifier

    if strategy == "bald":
        est = wb.train.MLPHead(hidden=(32,), dropout=0.3, epochs=5, min_steps=20)
    elif strategy in ("vote_entropy", "kl_to_consensus"):
        est = wb.train.Committee([model(), KNeighborsClassifier(3)])
    else:
        est = model()
    loop = wb.ActiveLearningLoop(project, est, strategy=strategy, batch_size=7,
                                 features=X, holdout=holdout, initial=20, seed=3)  # fmt: skip
    asked: list[list[str]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop.run(lambda b: asked.append(list(b)) or [truth[i] for i in b], rounds=2,
                 progress=False)  # fmt: skip
    assert [len(b) for b in asked] == [20, 7]
    assert not set(asked[0]) & set(asked[1])
    # The second batch is the strategy's own pick for the checkpointed model.
    fitted = loop.load_checkpoint(1)
    ids = project.item_ids()
    pool = [i for i in ids if i not in asked[0]]
    done = np.array([ids.index(i) for i in asked[0]])
    if strategy == "bald":
        want = [
            pool[i]
            for i in sampling.bald(
                fitted.predict_proba_mc(X[[ids.index(i) for i in pool]]), k=7
            ).indices
        ]  # noqa: E501
    elif strategy in ("vote_entropy", "kl_to_consensus"):
        members = fitted.predict_proba_members(X[[ids.index(i) for i in pool]])
        want = [pool[i] for i in sampling.get(strategy)(members, k=7).indices]
    elif strategy == "k_center":
        want = [ids[i] for i in sampling.k_center(X, k=7, labeled=done, seed=3).indices]
    elif strategy == "hybrid":
        probs = loop.pool_probs(fitted, ids)
        want = [ids[i] for i in sampling.hybrid(probs, X, k=7, labeled=done, exclude=done).indices]
    else:
        probs = loop.pool_probs(fitted, pool)
        want = [pool[i] for i in sampling.get(strategy)(probs, k=7).indices]
    assert asked[1] == want


def test_strategies_that_need_more_of_the_model_say_what(setup):
    project, X, _, _ = setup
    with pytest.raises(TypeError, match="MC dropout"):
        wb.ActiveLearningLoop(project, model(), strategy="bald")
    with pytest.raises(TypeError, match="Committee"):
        wb.ActiveLearningLoop(project, model(), strategy="vote_entropy")
    with pytest.raises(ValueError, match="at least 2"):
        wb.train.Committee([model()]).fit(X[:20], [str(i % 2) for i in range(20)])


def test_run_max_labels_trains_and_evaluates_on_the_last_batch(setup):
    project, X, truth, holdout = setup
    loop = wb.ActiveLearningLoop(project, model(), strategy="margin", batch_size=10,
                                 features=X, holdout=holdout, initial=20)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = loop.run(lambda b: [truth[i] for i in b], max_labels=45, progress=False)
    assert len(project.labels()) == 45
    # 20 random, 10, 10, then 5 to reach 45; the curve's last point is the model on all 45.
    assert list(history["labels"]) == [0, 20, 30, 40, 45]
    assert list(history["batch"]) == [20, 10, 10, 5, 0]
    assert history["accuracy"].iloc[1:].notna().all()
    last = loop.rounds[-1]
    assert last.trained and last.finished_at is not None
    assert loop.load_checkpoint(last.round).score(*holdout) == pytest.approx(
        history["accuracy"].iloc[-1]
    )


def test_a_loop_made_again_takes_its_rounds_back(setup):
    """A notebook run twice over its own files: the second loop object goes on from the
    checkpoints instead of failing or training the same rounds again."""
    project, X, truth, holdout = setup

    def make(**kw):
        return wb.ActiveLearningLoop(project, model(), strategy="margin", batch_size=10,
                                     features=X, holdout=holdout, initial=20, **kw)  # fmt: skip

    def oracle(batch):
        return [truth[i] for i in batch]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = make(name="sim").run(oracle, max_labels=40, progress=False)
        again = make(name="sim")
        assert len(again.rounds) == len(first)  # restored before anything runs
        second = again.run(oracle, max_labels=40, progress=False)
        pd_testing = pytest.importorskip("pandas.testing")
        pd_testing.assert_frame_equal(first, second)
        assert len(project.labels()) == 40
        assert again.fitted is not None  # the last round's model, from its checkpoint
        # Asked for more, it goes on from there.
        more = make(name="sim").run(oracle, max_labels=50, progress=False)
    assert list(more["labels"]) == [0, 20, 30, 40, 50]

    # step(): the batch being labeled when the kernel went away is the one resumed.
    people = make(name="people")
    people.step()  # trains in the background on the 50 labels
    people.wait(timeout=60)
    batch = people.rounds[-1].batch
    people.stop()
    project.label(batch[0], truth[batch[0]])  # one labeled before the restart
    resumed = make(name="people")
    widget = resumed.widget(prefetch=4)
    resumed.step()
    assert len(resumed.rounds) == 1 and resumed.rounds[-1].batch == batch
    assert widget.stream._order == batch
    for iid in batch[1:]:
        project.label(iid, truth[iid])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resumed.wait(timeout=60)
    assert [r.labels for r in resumed.rounds] == [50, 60]
    resumed.stop()


def test_checkpoints_of_other_labels_are_not_taken_back(setup, tmp_path, digits):
    project, X, truth, holdout = setup
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb.ActiveLearningLoop(project, model(), features=X, initial=20).run(
            lambda b: [truth[i] for i in b], max_labels=30, progress=False
        )
    # A new project file with the same models folder: the checkpoints trained on 30 labels
    # it does not have.
    other = wb.Project(tmp_path / "other.db", schema=project.schema,
                       models_dir=project.models_dir)  # fmt: skip
    other.add_arrays(X.reshape(-1, 8, 8), ids=[f"d{i}" for i in range(len(X))])
    assert wb.ActiveLearningLoop(other, model(), features=X, initial=20).rounds == []
    # Another strategy under the same name starts its own history too.
    assert wb.ActiveLearningLoop(project, model(), strategy="entropy", features=X).rounds == []
    other.close()
