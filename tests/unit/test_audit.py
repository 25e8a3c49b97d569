"""workbench.audit against cleanlab on the same inputs, bad input, and the project level."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import audit

cleanlab_filter = pytest.importorskip("cleanlab.filter")
from cleanlab import multiannotator as cl_multiannotator  # noqa: E402
from cleanlab.multilabel_classification import filter as cl_ml_filter  # noqa: E402
from cleanlab.multilabel_classification import rank as cl_ml_rank  # noqa: E402
from cleanlab.rank import get_label_quality_scores  # noqa: E402


def noisy(n: int, k: int, seed: int, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """N labels with 10% flipped and N × K probabilities that mostly favour the true class."""
    rng = np.random.default_rng(seed)
    probs = rng.random((n, k)).astype(dtype)
    truth = rng.integers(0, k, n)
    probs[np.arange(n), truth] += (rng.random(n) * 0.4 * k).astype(dtype)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = truth.copy()
    flip = rng.random(n) < 0.10
    labels[flip] = (truth[flip] + rng.integers(1, k, flip.sum())) % k
    return labels, probs


def cleanlab_issues(labels, probs, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cleanlab_filter.find_label_issues(labels, probs, n_jobs=1, **kw)


DATASETS = [(5000, 10, 0, np.float32), (5000, 10, 1, np.float64), (3000, 4, 2, np.float32),
            (2000, 30, 3, np.float32),
            (24000, 4, 19, np.float32)]  # classes of ~6,000: the prefiltered selection  # fmt: skip


# -- label quality ------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "k", "seed", "dtype"), DATASETS)
@pytest.mark.parametrize(
    ("method", "adjust"),
    [("self_confidence", False), ("self_confidence", True), ("normalized_margin", False),
     ("normalized_margin", True), ("confidence_weighted_entropy", False)],
)  # fmt: skip
def test_label_quality_matches_cleanlab(n, k, seed, dtype, method, adjust):
    labels, probs = noisy(n, k, seed, dtype)
    ours = audit.label_quality(labels, probs, method=method, adjust_pred_probs=adjust)
    theirs = get_label_quality_scores(labels, probs, method=method, adjust_pred_probs=adjust)
    assert ours.shape == (n,)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_label_quality_spans_many_chunks():
    # Rows well beyond one chunk (1 MiB): chunk edges must not shift any row.
    labels, probs = noisy(120_000, 3, 7)
    for method in audit.METHODS:
        ours = audit.label_quality(labels, probs, method=method)
        np.testing.assert_allclose(ours, get_label_quality_scores(labels, probs, method=method),
                                   rtol=0, atol=1e-6)  # fmt: skip


def multilabel_data(n=1500, k=5, seed=5):
    rng = np.random.default_rng(seed)
    truth = rng.random((n, k)) < 0.3
    probs = np.clip(truth * 0.7 + rng.random((n, k)) * 0.5, 0, 1).astype(np.float32)
    given = truth.copy()
    flip = rng.random((n, k)) < 0.05
    given[flip] = ~given[flip]
    return [list(np.flatnonzero(row)) for row in given], probs, given


@pytest.mark.parametrize(
    ("method", "adjust"),
    [("self_confidence", False), ("self_confidence", True), ("normalized_margin", False),
     ("confidence_weighted_entropy", False)],
)  # fmt: skip
def test_multilabel_quality_matches_cleanlab(method, adjust):
    lists, probs, onehot = multilabel_data()
    theirs = cl_ml_rank.get_label_quality_scores(
        lists, probs, method=method, adjust_pred_probs=adjust
    )
    for labels in (lists, onehot):  # lists of classes or an indicator matrix
        ours = audit.label_quality(
            labels, probs, method=method, adjust_pred_probs=adjust, multi_label=True
        )
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_class_names_map_to_columns():
    labels, probs = noisy(500, 3, 11)
    names = np.array(["cat", "dog", "bird"])[labels]
    ours = audit.label_quality(names, probs, classes=["cat", "dog", "bird"])
    np.testing.assert_array_equal(ours, audit.label_quality(labels, probs))
    mask = audit.find_label_issues(list(names), probs, classes=["cat", "dog", "bird"])
    np.testing.assert_array_equal(mask, audit.find_label_issues(labels, probs))


# -- label issues -------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "k", "seed", "dtype"), DATASETS)
@pytest.mark.parametrize("filter_by", audit.FILTERS)
def test_issues_match_cleanlab(n, k, seed, dtype, filter_by):
    labels, probs = noisy(n, k, seed, dtype)
    ours = audit.find_label_issues(labels, probs, filter_by=filter_by)
    theirs = cleanlab_issues(labels, probs, filter_by=filter_by)
    assert ours.dtype == bool and ours.shape == (n,)
    assert 0.05 * n < ours.sum() < 0.5 * n  # a real, non-trivial set
    # Same arithmetic and the same tie-breaking: identical sets, not merely close.
    assert np.count_nonzero(ours != theirs) == 0


@pytest.mark.parametrize(
    "options",
    [{"frac_noise": 0.5}, {"frac_noise": 0.3, "filter_by": "both"},
     {"num_to_remove_per_class": [5] * 10}, {"min_examples_per_class": 400},
     {"filter_by": "prune_by_class", "num_to_remove_per_class": list(range(10))}],
)  # fmt: skip
def test_issue_options_match_cleanlab(options):
    labels, probs = noisy(4000, 10, 21)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = audit.find_label_issues(labels, probs, **options)
    np.testing.assert_array_equal(ours, cleanlab_issues(labels, probs, **options))


def test_given_confident_joint_is_used():
    from cleanlab.count import compute_confident_joint

    labels, probs = noisy(3000, 5, 8)
    joint = compute_confident_joint(labels, probs)
    joint[0, 1] += 40  # a different joint must change what is pruned, as in cleanlab
    ours = audit.find_label_issues(labels, probs, confident_joint=joint)
    np.testing.assert_array_equal(ours, cleanlab_issues(labels, probs, confident_joint=joint))


def test_ties_break_as_cleanlab():
    # Coarse probabilities: many equal margins sit on the pruning cut-off.
    labels, probs = noisy(16000, 3, 9)
    probs = np.round(probs, 2).astype(np.float32)
    for filter_by in ("prune_by_noise_rate", "prune_by_class", "both"):
        ours = audit.find_label_issues(labels, probs, filter_by=filter_by)
        np.testing.assert_array_equal(ours, cleanlab_issues(labels, probs, filter_by=filter_by))


@pytest.mark.parametrize("rank_by", audit.METHODS)
def test_ranked_indices_match_cleanlab(rank_by):
    labels, probs = noisy(5000, 10, 4)
    ours = audit.find_label_issues(labels, probs, return_indices_ranked_by=rank_by)
    theirs = cleanlab_issues(labels, probs, return_indices_ranked_by=rank_by)
    np.testing.assert_array_equal(ours, theirs)
    scores = audit.label_quality(labels, probs, method=rank_by)
    assert np.all(np.diff(scores[ours]) >= 0)  # worst first


def test_ranked_with_adjusted_scores_matches_cleanlab():
    labels, probs = noisy(3000, 8, 12)
    kw = {"return_indices_ranked_by": "normalized_margin",
          "rank_by_kwargs": {"adjust_pred_probs": True}}  # fmt: skip
    np.testing.assert_array_equal(
        audit.find_label_issues(labels, probs, **kw), cleanlab_issues(labels, probs, **kw)
    )


def test_delegated_filters_give_cleanlabs_answer():
    labels, probs = noisy(2000, 5, 13)
    for filter_by in ("low_self_confidence", "low_normalized_margin"):
        ours = audit.find_label_issues(labels, probs, filter_by=filter_by)
        np.testing.assert_array_equal(ours, cleanlab_issues(labels, probs, filter_by=filter_by))


@pytest.mark.parametrize("filter_by", audit.FILTERS)
def test_multilabel_issues_match_cleanlab(filter_by):
    lists, probs, _ = multilabel_data()
    ours = audit.find_label_issues(lists, probs, filter_by=filter_by, multi_label=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cl_ml_filter.find_label_issues(lists, probs, filter_by=filter_by, n_jobs=1)
    assert ours.sum() > 0
    np.testing.assert_array_equal(ours, theirs)


def test_multilabel_ranked_matches_cleanlab():
    lists, probs, _ = multilabel_data(seed=6)
    ours = audit.find_label_issues(
        lists, probs, multi_label=True, return_indices_ranked_by="self_confidence"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cl_ml_filter.find_label_issues(
            lists, probs, return_indices_ranked_by="self_confidence", n_jobs=1
        )
    np.testing.assert_array_equal(ours, theirs)


def test_memory_mapped_probabilities(tmp_path):
    labels, probs = noisy(3000, 10, 14)
    np.save(tmp_path / "p.npy", probs)
    mapped = np.load(tmp_path / "p.npy", mmap_mode="r")
    np.testing.assert_array_equal(
        audit.find_label_issues(labels, mapped), audit.find_label_issues(labels, probs)
    )
    np.testing.assert_array_equal(
        audit.label_quality(labels, mapped), audit.label_quality(labels, probs)
    )


# -- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [audit.label_quality, audit.find_label_issues])
def test_bad_input_raises_naming_the_problem(fn):
    labels, probs = noisy(100, 4, 15)
    with_nan = probs.copy()
    with_nan[37, 2] = np.nan
    cases = [
        ((labels, with_nan), {}, "NaN"),
        ((labels, probs * 3), {}, r"\[0, 1\]"),
        ((labels, probs[:, :, None]), {}, "2-D"),
        ((labels, probs[:, 0]), {}, "2-D"),
        ((labels[:-1], probs), {}, "99 entries but pred_probs has 100 rows"),
        ((np.where(labels == 0, 4, labels), probs), {}, "label 4 .* out of range"),
        ((np.where(labels == 0, -1, labels), probs), {}, "label -1 .* out of range"),
        ((labels.astype(float) + 0.5, probs), {}, "integer"),
        ((np.array(["a"] * 100), probs), {}, "classes="),
        ((["a"] * 99 + ["zebra"], probs), {"classes": ["a", "b", "c", "d"]}, "'zebra'"),
        ((labels, probs), {"method": "nope"} if fn is audit.label_quality
         else {"filter_by": "nope"}, "nope"),
        ((labels.reshape(10, 10), probs), {}, "1-D"),
    ]  # fmt: skip
    for args, kw, message in cases:
        with pytest.raises(ValueError, match=message):
            fn(*args, **kw)


def test_bad_multilabel_input():
    _, probs, onehot = multilabel_data(n=50)
    with pytest.raises(ValueError, match="lists of classes"):
        audit.find_label_issues([1] * 50, probs, multi_label=True)
    with pytest.raises(ValueError, match="out of range"):
        audit.label_quality([[7]] * 50, probs, multi_label=True)
    with pytest.raises(ValueError, match="shape"):
        audit.label_quality(onehot[:, :3], probs, multi_label=True)
    with pytest.raises(ValueError, match="'zebra'"):
        audit.label_quality([["a", "zebra"]] * 50, probs, multi_label=True,
                            classes=list("abcde"))  # fmt: skip


def test_adjusted_entropy_is_refused():
    labels, probs = noisy(50, 3, 16)
    with pytest.raises(ValueError, match="adjust_pred_probs"):
        audit.label_quality(labels, probs, method="confidence_weighted_entropy",
                            adjust_pred_probs=True)  # fmt: skip


# -- consensus ----------------------------------------------------------------------------
def annotated(n=300, k=4, m=4, seed=17):
    """Labels of m annotators of different skill (annotator 0 best), each item seen by 2-3."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    accuracy = np.array([0.95, 0.85, 0.7, 0.5])[:m]
    table = np.full((n, m), np.nan)
    for i in range(n):
        for a in rng.choice(m, size=rng.integers(2, 4), replace=False):
            right = rng.random() < accuracy[a]
            table[i, a] = truth[i] if right else (truth[i] + rng.integers(1, k)) % k
    probs = rng.random((n, k)) * 0.3
    probs[np.arange(n), truth] += 1
    probs /= probs.sum(axis=1, keepdims=True)
    frame = pd.DataFrame(table, columns=[f"ann{a}" for a in range(m)],
                         index=[f"item{i}" for i in range(n)])  # fmt: skip
    return frame, probs, truth


def test_consensus_with_model_is_cleanlabs_crowdlab():
    frame, probs, truth = annotated()
    ours = audit.consensus(frame, probs)
    theirs = cl_multiannotator.get_label_quality_multiannotator(frame, probs, verbose=False)
    lq = theirs["label_quality"]
    np.testing.assert_array_equal(ours.items["consensus_label"], lq["consensus_label"])
    np.testing.assert_allclose(ours.items["consensus_quality"], lq["consensus_quality_score"])
    np.testing.assert_allclose(ours.items["annotator_agreement"], lq["annotator_agreement"])
    assert list(ours.items.index) == list(frame.index)
    stats = theirs["annotator_stats"]
    assert list(ours.annotators.index) == list(stats.index)
    np.testing.assert_allclose(ours.annotators["annotator_quality"], stats["annotator_quality"])
    assert ours.annotators.index[-1] == "ann0"  # the best annotator comes last (worst first)
    assert ours.label_quality.shape == frame.shape
    assert (ours.items["consensus_label"].to_numpy() == truth).mean() > 0.9


def test_consensus_with_class_names_and_no_model():
    frame, _, truth = annotated(seed=18)
    names = ["cat", "dog", "bird", "fish"]
    named = frame.apply(lambda col: col.map(lambda v: np.nan if np.isnan(v) else names[int(v)]))
    result = audit.consensus(named, classes=names)
    assert set(result.items["consensus_label"]) <= set(names)
    codes = audit.consensus(frame).items["consensus_label"].to_numpy()
    assert (codes == truth).mean() > 0.7  # 2-3 votes of mixed skill: often tied
    # where one class has the most votes, the same as cleanlab's majority vote
    counts = np.stack([(frame.to_numpy() == c).sum(axis=1) for c in range(4)], axis=1)
    clear = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) == 1
    cl_vote = cl_multiannotator.get_majority_vote_label(frame, verbose=False)
    np.testing.assert_array_equal(codes[clear], cl_vote[clear])
    np.testing.assert_array_equal(
        result.items["consensus_label"].to_numpy(), np.array(names, dtype=object)[codes]
    )
    # agreement: the share of an item's annotators who chose the consensus
    first = frame.iloc[0].dropna()
    assert result.items["annotator_agreement"].iloc[0] == pytest.approx((first == codes[0]).mean())
    quality = result.annotators["annotator_quality"]
    assert quality.idxmax() == "ann0" and quality.idxmin() == "ann3"
    assert result.annotators["num_examples_labeled"].sum() == frame.notna().sum().sum()
    assert result.label_quality is None


def test_majority_vote_ties_go_to_the_rarer_class():
    table = np.array([[0, 1], [0, 0], [0, 0], [1, 1]], dtype=float)
    # class 1 has 3 votes overall, class 0 has 5: the tied first item goes to class 1
    result = audit.consensus(table)
    assert result.items["consensus_label"].tolist() == [1, 0, 0, 1]
    assert result.items["annotator_agreement"].tolist() == [0.5, 1.0, 1.0, 1.0]


def test_majority_vote_ties_break_as_cleanlab():
    # Two or three votes per item over few classes: many ties, which cleanlab breaks by the
    # rarer class, then by how well each class's voters agree with the majority elsewhere,
    # and at random after that (those items are left out of the comparison).
    import re

    decided_by_quality = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n, m, k = int(rng.integers(20, 80)), int(rng.integers(3, 6)), int(rng.integers(2, 5))
        table = np.full((n, m), np.nan)
        for i in range(n):
            voters = rng.choice(m, size=int(rng.integers(1, 4)), replace=False)
            table[i, voters] = rng.integers(0, k, len(voters))
        table[:k, 0] = np.arange(k)  # every class and annotator present
        table[np.arange(m) % n, np.arange(m)] = 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            theirs = cl_multiannotator.get_majority_vote_label(table, verbose=False)
        random_ties = set()
        for w in caught:
            found = re.search(r"breaking ties of examples \[([^\]]*)\]", str(w.message))
            if found and found[1]:
                random_ties |= {int(x) for x in found[1].split(",")}
        ours = audit.consensus(table).items["consensus_label"].to_numpy()
        keep = np.array([i not in random_ties for i in range(n)])
        np.testing.assert_array_equal(ours[keep], theirs[keep], err_msg=f"seed {seed}")
        # count the items the frequency rule could not decide: the agreement rule did
        counts = np.stack([(table == c).sum(axis=1) for c in range(k)], axis=1)
        tied = counts == counts.max(axis=1, keepdims=True)
        freq = counts.sum(axis=0)
        rarest = np.where(tied, freq, 1 << 30).min(axis=1, keepdims=True)
        decided_by_quality += int(((tied & (freq == rarest)).sum(axis=1) > 1)[keep].sum())
    assert decided_by_quality >= 10  # the third rule was exercised, not only the first two


def test_consensus_bad_input():
    frame, probs, _ = annotated(n=20)
    empty = frame.copy()
    empty.iloc[3] = np.nan
    with pytest.raises(ValueError, match="item3"):
        audit.consensus(empty)
    with pytest.raises(ValueError, match="'zebra'"):
        audit.consensus(pd.DataFrame({"a": ["cat", "zebra"]}), classes=["cat", "dog"])
    with pytest.raises(ValueError, match="classes="):
        audit.consensus(pd.DataFrame({"a": ["cat", "dog"]}))
    with pytest.raises(ValueError, match="rows"):
        audit.consensus(frame, probs[:5])


# -- project level ------------------------------------------------------------------------
@pytest.fixture
def digits_project(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.random((40, 4, 4)).astype(np.float32)
    project = wb.Project(tmp_path / "p.db", annotator="alice",
                         schema=wb.Schema.classification("digit", list("0123456789")))  # fmt: skip
    project.add_arrays(images, ids=[f"img{i:02d}" for i in range(40)])
    yield project
    project.close()


def test_annotator_labels_latest_per_annotator_without_retractions(digits_project):
    p = digits_project
    p.label("img00", "3")
    p.label("img00", "5", annotator="bob")
    p.label("img01", "1")
    p.label("img01", "2")  # alice changes her mind: the latest counts
    wrong = p.label("img02", "7", annotator="bob")
    p.label("img02", "4")
    p.retract(wrong)  # bob's label is withdrawn
    p.add_prelabels({"img03": "9"}, model="net@1")  # a model is not an annotator
    bob_first = p.label("img04", "6", annotator="bob")
    p.label("img04", "8", annotator="bob")
    p.retract(p.history("img04")["id"].iloc[-1])  # undo: bob's earlier 6 comes back
    wide = audit.annotator_labels(p)
    assert list(wide.columns) == ["alice", "bob"]
    assert list(wide.index) == ["img00", "img01", "img02", "img04"]
    assert wide.loc["img00"].tolist() == ["3", "5"]
    assert wide.loc["img01", "alice"] == "2" and pd.isna(wide.loc["img01", "bob"])
    assert pd.isna(wide.loc["img02", "bob"]) and wide.loc["img02", "alice"] == "4"
    assert wide.loc["img04", "bob"] == "6" and bob_first > 0
    result = audit.consensus(wide, classes=list("0123456789"))
    assert result.items.loc["img01", "consensus_label"] == "2"


def test_issues_on_a_project(digits_project):
    p = digits_project
    ids = p.item_ids()
    truth = np.arange(40) % 10
    labeled = ids[:30]
    given = truth[:30].copy()
    given[[3, 17]] = (given[[3, 17]] + 5) % 10  # two wrong labels
    for iid, c in zip(labeled, given, strict=True):
        p.label(iid, str(c))
    p.label(labeled[3], str(truth[3] + 1), annotator="bob")
    probs = np.full((40, 10), 0.02, dtype=np.float32)
    probs[np.arange(40), truth] = 0.82
    # as an array over every item, in item_ids() order
    table = audit.issues(p, probs)
    assert list(table.columns) == audit.ISSUE_COLUMNS
    assert len(table) == 30 and set(table["item_id"]) == set(labeled)
    assert set(table.loc[table["is_issue"], "item_id"]) == {labeled[3], labeled[17]}
    assert set(table["item_id"][:2]) == {labeled[3], labeled[17]}  # worst first
    assert table["quality"].iloc[0] <= table["quality"].iloc[1] < table["quality"].iloc[2]
    row = table.set_index("item_id").loc[labeled[17]]
    assert row["label"] == str(given[17]) and row["suggested"] == str(truth[17])
    assert row["quality"] == pytest.approx(0.02)
    assert table.set_index("item_id").loc[labeled[3], "annotators"] == {
        "alice": str(given[3]), "bob": str(truth[3] + 1)
    }  # fmt: skip
    # as an array over the labeled items, and as Predictions with shuffled columns
    same = audit.issues(p, probs[:30])
    pd.testing.assert_frame_equal(same, table)
    order = list("9876543210")
    preds = wb.predictions.Predictions(ids, probs[:, ::-1].copy(), order, "m@1", "digit")
    pd.testing.assert_frame_equal(audit.issues(p, preds), table)
    with pytest.raises(ValueError, match="rows"):
        audit.issues(p, probs[:7])
    with pytest.raises(ValueError, match="no prediction"):
        audit.issues(p, wb.predictions.Predictions(ids[:5], probs[:5], list("0123456789"),
                                                   "m@1", "digit"))  # fmt: skip


def test_find_issues_out_of_fold_on_a_project(tmp_path, monkeypatch):
    import tqdm.auto
    from sklearn.datasets import load_digits

    bars = []

    class Recorder(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if kwargs.get("unit") == "fold":
                bars.append((self, kwargs["disable"]))

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)

    digits = load_digits()
    n = 400
    rng = np.random.default_rng(1)
    given = digits.target[:n].copy()
    flipped = rng.choice(n, 20, replace=False)
    given[flipped] = (given[flipped] + 3) % 10
    with wb.Project(tmp_path / "d.db", schema=wb.Schema.classification("digit", list(
        "0123456789"))) as p:  # fmt: skip
        ids = [f"d{i}" for i in range(n)]
        p.add_arrays(digits.images[:n].astype(np.float32), ids=ids)
        p.store.append([p.make_event(i, str(c)) for i, c in zip(ids, given, strict=True)])
        table = audit.find_issues_out_of_fold(p)
        # One progress bar, one step per fold; progress=False hides it.
        assert [(b.total, b.n, off) for b, off in bars] == [(5, 5, False)]
        audit.out_of_fold_predictions(p, folds=3, progress=False)
        assert [(b.total, off) for b, off in bars[1:]] == [(3, True)]
    found = {int(i[1:]) for i in table.loc[table["is_issue"], "item_id"]}
    truly = set(flipped.tolist())
    assert len(found & truly) >= 14 and len(found - truly) <= 6


# -- identical to cleanlab on random inputs --------------------------------------------------
def _random_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities of varied shape: few or many classes, tiny classes, coarse
    (tied) probabilities, float32 or float64."""
    rng = np.random.default_rng(seed)
    k = int(rng.choice([2, 3, 4, 5, 7, 9, 10, 13, 20, 31]))
    n = int(rng.integers(max(4 * k, 30), 400))
    weights = rng.dirichlet(np.full(k, 0.4 if seed % 3 == 0 else 3.0))  # some rare classes
    truth = rng.choice(k, size=n, p=weights)
    truth[:k] = np.arange(k)  # every class given at least once
    probs = rng.random((n, k)) ** rng.uniform(0.5, 4)
    probs[np.arange(n), truth] += rng.random(n) * rng.uniform(0.2, 2) * k
    probs /= probs.sum(axis=1, keepdims=True)
    if seed % 4 == 1:  # coarse values: ties at thresholds, margins and the cut-off
        probs = np.round(probs, int(rng.integers(1, 3)))
        probs[probs.sum(axis=1) == 0, 0] = 1.0
        probs /= probs.sum(axis=1, keepdims=True)
    probs = probs.astype(np.float32 if seed % 2 else np.float64)
    labels = truth.copy()
    flip = rng.random(n) < rng.uniform(0.05, 0.3)
    labels[flip] = (truth[flip] + rng.integers(1, k, flip.sum())) % k
    return labels, probs


def test_issues_identical_to_cleanlab_on_random_inputs():
    # The calibration sums the confident joint in memory order: cleanlab's is Fortran-ordered,
    # and a C-ordered copy rounds some .5 ties the other way (a few calls in a hundred).
    differ = []
    for seed in range(300):
        labels, probs = _random_case(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "too few examples" in the tiny classes
            ours = audit.find_label_issues(labels, probs)
            ranked = audit.find_label_issues(
                labels, probs, return_indices_ranked_by="self_confidence"
            )
        theirs = cleanlab_issues(labels, probs)
        theirs_ranked = cleanlab_issues(labels, probs, return_indices_ranked_by="self_confidence")
        if not (np.array_equal(ours, theirs) and np.array_equal(ranked, theirs_ranked)):
            differ.append(seed)
    assert differ == []
