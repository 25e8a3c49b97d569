"""Nominal agreement (Cohen, Fleiss, Krippendorff) against krippendorff, statsmodels, sklearn."""

from __future__ import annotations

import math
import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench import agreement as ag
from workbench.ml import stats as agreement_stats

krippendorff = pytest.importorskip("krippendorff")
inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
sk_metrics = pytest.importorskip("sklearn.metrics")

LEVELS = ["nominal", "ordinal", "interval", "ratio"]

# Krippendorff's example (the krippendorff package's doctest): annotators × items.
EXAMPLE = np.array([
    [np.nan, np.nan, np.nan, np.nan, np.nan, 3, 4, 1, 2, 1, 1, 3, 3, np.nan, 3],
    [1, np.nan, 2, 1, 3, 3, 4, 3, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
    [np.nan, np.nan, 2, 1, 3, 4, 4, np.nan, 2, 1, 1, 3, 3, np.nan, 4],
])  # fmt: skip


def ref_alpha(wide: np.ndarray, level: str = "nominal", **kw) -> float:
    """The krippendorff package on items × annotators data; NaN where it raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(krippendorff.alpha(np.asarray(wide, float).T,
                                            level_of_measurement=level, **kw))  # fmt: skip
    except ValueError:
        return math.nan


def ref_fleiss(table: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(inter_rater.fleiss_kappa(np.asarray(table)))


def ref_cohen(a, b) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(sk_metrics.cohen_kappa_score(a, b))


def noisy_labels(n: int, m: int, k: int, *, missing: float, seed: int) -> np.ndarray:
    """Items × annotators float labels 0..k-1: 70% the item's true class, NaN for missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    labels = np.where(rng.random((n, m)) < 0.7, truth[:, None], rng.integers(0, k, (n, m)))
    labels = labels.astype(float)
    labels[rng.random((n, m)) < missing] = np.nan
    return labels


def same(x: float, y: float, tol: float = 1e-9) -> bool:
    return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= tol


# -- Krippendorff's alpha ------------------------------------------------------------------------
@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_the_package_on_krippendorffs_example(level):
    assert ag.krippendorff_alpha(EXAMPLE.T, level=level) == pytest.approx(
        ref_alpha(EXAMPLE.T, level), abs=1e-12
    )
    if level == "nominal":
        assert round(ag.krippendorff_alpha(EXAMPLE.T), 6) == 0.691358


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_the_package_on_random_data_with_missing(seed, level):
    rng = np.random.default_rng(seed)
    n, m, k = rng.integers(5, 300), rng.integers(2, 12), rng.integers(2, 9)
    wide = noisy_labels(n, m, k, missing=rng.uniform(0, 0.7), seed=seed)
    wide += 1  # ratio needs positive values to differ from interval
    assert same(ag.krippendorff_alpha(wide, level=level), ref_alpha(wide, level), 1e-10)


def test_alpha_on_string_labels_long_frames_and_counts():
    wide = noisy_labels(120, 5, 4, missing=0.3, seed=7)
    names = np.array(["cat", "dog", "fox", "owl"], dtype=object)
    text = np.where(np.isnan(wide), None, names[np.nan_to_num(wide).astype(int)])
    expected = ref_alpha(wide)
    assert ag.krippendorff_alpha(text) == pytest.approx(expected, abs=1e-12)
    frame = pd.DataFrame(text, index=[f"i{i}" for i in range(120)], columns=list("abcde"))
    long = frame.stack().rename("value").reset_index()
    long.columns = ["item_id", "annotator", "value"]
    assert ag.krippendorff_alpha(long) == pytest.approx(expected, abs=1e-12)
    counts = ag.label_counts(frame)
    assert list(counts.columns) == ["cat", "dog", "fox", "owl"]
    assert ag.krippendorff_alpha(counts, counts=True) == pytest.approx(expected, abs=1e-12)
    theirs = krippendorff.alpha(value_counts=counts.to_numpy(), level_of_measurement="nominal")
    assert ag.krippendorff_alpha(counts.to_numpy(), counts=True) == pytest.approx(theirs)


def test_alpha_edge_cases_follow_the_package():
    # Everyone agrees, two categories used: 1, as the package says.
    agree = np.array([[0, 0, 0], [1, 1, np.nan], [0, np.nan, 0]])
    assert ag.krippendorff_alpha(agree) == 1.0 == ref_alpha(agree)
    # One category throughout: the package refuses (one value in the domain) or, given a
    # wider domain, divides 0 by 0. Undefined: NaN here.
    single = np.array([[2, 2], [2, 2], [2, np.nan]])
    assert math.isnan(ref_alpha(single))
    assert math.isnan(ref_alpha(single, value_domain=[1, 2]))
    assert math.isnan(ag.krippendorff_alpha(single))
    assert math.isnan(ag.krippendorff_alpha(single, categories=[1, 2]))
    # One item, two annotators who disagree: the package's figure.
    one = np.array([[0, 1]])
    assert ag.krippendorff_alpha(one) == pytest.approx(ref_alpha(one))
    one3 = np.array([[0, 1, 1]])
    assert ag.krippendorff_alpha(one3) == pytest.approx(ref_alpha(one3))
    # No item with two labels: the package refuses; NaN here.
    lonely = np.array([[0, np.nan], [np.nan, 1]])
    assert math.isnan(ref_alpha(lonely)) and math.isnan(ag.krippendorff_alpha(lonely))
    assert math.isnan(ag.krippendorff_alpha(np.full((3, 2), np.nan)))
    assert math.isnan(ag.krippendorff_alpha(np.zeros((0, 3))))


def test_alpha_blocks_do_not_change_the_result(monkeypatch):
    wide = noisy_labels(500, 7, 6, missing=0.4, seed=3)
    whole = {lv: ag.krippendorff_alpha(wide + 1, level=lv) for lv in LEVELS}
    by_class = ag.class_agreement(wide)
    monkeypatch.setattr(agreement_stats, "_BLOCK_CELLS", 13)  # 2 items a block
    for lv in LEVELS:
        assert ag.krippendorff_alpha(wide + 1, level=lv) == pytest.approx(whole[lv], abs=1e-12)
    pd.testing.assert_frame_equal(ag.class_agreement(wide), by_class)


def test_alpha_numbers_off_the_lookup_path():
    # Non-integer and widely spread labels go through np.unique, not the lookup table.
    wide = noisy_labels(80, 4, 3, missing=0.2, seed=4)
    for scaled in (wide * 0.5 + 0.25, wide * 1e7):
        assert ag.krippendorff_alpha(scaled) == pytest.approx(ref_alpha(scaled), abs=1e-12)


def test_alpha_rejects_bad_arguments():
    with pytest.raises(ValueError, match="level"):
        ag.krippendorff_alpha(EXAMPLE.T, level="cardinal")
    with pytest.raises(ValueError, match="numeric"):
        ag.krippendorff_alpha([["a", "b"], ["a", "a"]], level="interval")
    with pytest.raises(ValueError, match="outside categories"):
        ag.krippendorff_alpha([["a", "b"]], categories=["a"])
    with pytest.raises(ValueError, match="2-D"):
        ag.krippendorff_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="counts"):
        ag.krippendorff_alpha([["a", "b"]], counts=True)
    with pytest.raises(ValueError, match="negative"):
        ag.krippendorff_alpha([[1, -1]], counts=True)
    long = pd.DataFrame({"item_id": ["x", "x"], "annotator": ["a", "a"], "value": [1, 2]})
    with pytest.raises(ValueError, match="more than once"):
        ag.krippendorff_alpha(long)


# -- Fleiss' kappa ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_fleiss_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    wide = noisy_labels(rng.integers(2, 300), rng.integers(2, 10), rng.integers(2, 8),
                        missing=0.0, seed=seed).astype(int)  # fmt: skip
    table, cats = inter_rater.aggregate_raters(wide)
    assert ag.fleiss_kappa(table) == pytest.approx(ref_fleiss(table), abs=1e-12)
    counts = ag.label_counts(wide)
    np.testing.assert_array_equal(counts.to_numpy(), table)
    assert list(counts.columns) == cats.tolist()
    assert ag.fleiss_kappa(counts) == pytest.approx(ref_fleiss(table), abs=1e-12)
    long = pd.DataFrame(wide).stack().rename("label").reset_index()
    long.columns = ["item_id", "annotator", "label"]
    assert ag.fleiss_kappa(long) == pytest.approx(ref_fleiss(table), abs=1e-12)


def test_fleiss_edge_cases():
    perfect = np.array([[3, 0], [0, 3], [3, 0]])
    assert ag.fleiss_kappa(perfect) == 1.0 == ref_fleiss(perfect)
    single = np.array([[4], [4]])  # one category: statsmodels gives NaN (0 / 0)
    assert math.isnan(ref_fleiss(single)) and math.isnan(ag.fleiss_kappa(single))
    one_item = np.array([[2, 1]])
    assert ag.fleiss_kappa(one_item) == pytest.approx(ref_fleiss(one_item))
    assert math.isnan(ag.fleiss_kappa(np.array([[1, 0], [0, 1]])))  # nobody pairable
    with pytest.raises(ValueError, match="label_counts"):
        ag.fleiss_kappa([["a", "b"], ["a", "a"]])
    with pytest.raises(ValueError, match="whole numbers"):
        ag.fleiss_kappa([[0.5, 1.5]])


def test_fleiss_with_unequal_raters_uses_the_generalised_formula():
    table = np.array([[2, 1, 0], [0, 4, 0], [1, 1, 0], [0, 0, 1], [0, 2, 1]])
    kept = table[table.sum(1) >= 2].astype(float)
    n = kept.sum(1)
    p_bar = (((kept**2).sum(1) - n) / (n * (n - 1))).mean()
    p = kept.sum(0) / kept.sum()
    expected = (p_bar - p @ p) / (1 - p @ p)
    assert ag.fleiss_kappa(table) == pytest.approx(expected)


# -- Cohen's kappa ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_cohen_matches_sklearn_with_pairwise_deletion(seed):
    wide = noisy_labels(200, 2, 4, missing=0.3, seed=seed)
    a, b = wide[:, 0], wide[:, 1]
    both = ~np.isnan(a) & ~np.isnan(b)
    assert ag.cohen_kappa(a, b) == pytest.approx(ref_cohen(a[both], b[both]), abs=1e-12)
    names = np.array(list("wxyz"), dtype=object)
    sa = [None if np.isnan(v) else names[int(v)] for v in a]
    sb = [math.nan if np.isnan(v) else names[int(v)] for v in b]
    assert ag.cohen_kappa(sa, sb) == pytest.approx(ag.cohen_kappa(a, b), abs=1e-12)


def test_cohen_edge_cases():
    assert ag.cohen_kappa(["a", "b", "a"], ["a", "b", "a"]) == 1.0
    assert ref_cohen(["a", "a"], ["a", "a"]) != ref_cohen(["a", "a"], ["a", "a"])  # NaN
    assert math.isnan(ag.cohen_kappa(["a", "a"], ["a", "a"]))
    assert ag.cohen_kappa(["a"], ["b"]) == pytest.approx(ref_cohen(["a"], ["b"]))
    assert math.isnan(ag.cohen_kappa([None, "a"], ["b", None]))  # no pair left
    assert math.isnan(ag.cohen_kappa([], []))
    with pytest.raises(ValueError, match="same length"):
        ag.cohen_kappa(["a"], ["a", "b"])


def test_cohen_kappa_matrix_matches_pairwise_sklearn():
    wide = noisy_labels(150, 5, 3, missing=0.4, seed=11)
    wide[:, 4] = np.nan
    wide[0, 4] = 1.0  # annotator 4 shares at most one item with anyone
    frame = pd.DataFrame(wide, columns=list("abcde"))
    mat = ag.cohen_kappa_matrix(frame)
    assert list(mat.index) == list("abcde") and list(mat.columns) == list("abcde")
    for i, j in combinations(range(5), 2):
        expected = ag.cohen_kappa(wide[:, i], wide[:, j])
        both = ~np.isnan(wide[:, i]) & ~np.isnan(wide[:, j])
        if both.sum() > 1:
            assert expected == pytest.approx(ref_cohen(wide[both, i], wide[both, j]))
        assert same(mat.iloc[i, j], expected, 1e-12) and same(mat.iloc[j, i], expected, 1e-12)
    assert np.isnan(np.diag(mat.to_numpy())).all()


# -- breakdowns -----------------------------------------------------------------------------------
def test_class_agreement_is_one_vs_rest():
    wide = noisy_labels(200, 6, 4, missing=0.0, seed=5).astype(int)
    wide[:3] = np.where(np.arange(6) % 2, 0, 1)  # some variety per item
    df = ag.class_agreement(wide, categories=[0, 1, 2, 3, 9])
    assert list(df.columns) == agreement_stats.CLASS_COLUMNS
    for c in range(4):
        binary = (wide == c).astype(float)
        assert df.loc[c, "alpha"] == pytest.approx(ref_alpha(binary), abs=1e-12)
        table, _ = inter_rater.aggregate_raters(binary.astype(int))
        assert df.loc[c, "kappa"] == pytest.approx(ref_fleiss(table), abs=1e-12)
        assert df.loc[c, "labels"] == (wide == c).sum()
    assert df["share"].sum() == pytest.approx(1.0)
    assert df.loc[9, "labels"] == 0 and np.isnan(df.loc[9, ["alpha", "kappa"]]).all()


def test_class_agreement_with_missing_labels_matches_the_package():
    wide = noisy_labels(300, 5, 3, missing=0.35, seed=6)
    df = ag.class_agreement(wide)
    for c in range(3):
        binary = np.where(np.isnan(wide), np.nan, (wide == c).astype(float))
        assert df.loc[float(c), "alpha"] == pytest.approx(ref_alpha(binary), abs=1e-12)


def test_annotator_agreement_against_brute_force():
    wide = noisy_labels(120, 4, 3, missing=0.25, seed=8)
    wide[:, 3] = np.where(np.isnan(wide[:, 3]), np.nan, 2.0)  # annotator d always says 2
    frame = pd.DataFrame(wide, columns=list("abcd"))
    df = ag.annotator_agreement(frame)
    assert list(df.columns) == agreement_stats.ANNOTATOR_COLUMNS
    assert df["mean_kappa"].is_monotonic_increasing
    mat = ag.cohen_kappa_matrix(frame)
    for j, name in enumerate("abcd"):
        others = [ag.cohen_kappa(wide[:, j], wide[:, i]) for i in range(4) if i != j]
        assert df.loc[name, "mean_kappa"] == pytest.approx(np.nanmean(others))
        assert df.loc[name, "worst_partner"] == mat[name].idxmin()
        mine, majority = [], []
        for row in wide:
            if np.isnan(row[j]):
                continue
            rest = [v for i, v in enumerate(row) if i != j and not np.isnan(v)]
            values, counts = np.unique(rest, return_counts=True)
            if len(counts) and (counts == counts.max()).sum() == 1:
                mine.append(row[j])
                majority.append(values[counts.argmax()])
        assert df.loc[name, "majority_items"] == len(mine)
        assert df.loc[name, "kappa_vs_majority"] == pytest.approx(ref_cohen(mine, majority))
        assert df.loc[name, "agreement_vs_majority"] == pytest.approx(
            np.mean(np.array(mine) == np.array(majority))
        )
        assert df.loc[name, "labels"] == (~np.isnan(wide[:, j])).sum()


# -- project level ----------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path):
    animal = wb.Classification("animal", classes=["cat", "dog", "owl"])
    schema = wb.Schema((animal, wb.Classification("tags", classes=["x", "y"], multi_label=True)))
    p = wb.Project(tmp_path / "p.db", schema=schema, annotator="lead")
    p.add_texts([f"t{i}" for i in range(30)], ids=[f"i{i:02d}" for i in range(30)])
    yield p
    p.close()


def test_project_agreement_reads_latest_labels(project):
    rng = np.random.default_rng(0)
    classes = ["cat", "dog", "owl"]
    ids = [f"i{i:02d}" for i in range(30)]
    truth = rng.integers(0, 3, 30)
    events = []
    for ann in ("ann", "bob", "cy"):
        for i, t in zip(ids, truth, strict=True):
            if rng.random() < 0.2:
                continue
            c = t if rng.random() < 0.75 else rng.integers(0, 3)
            events.append(project.make_event(i, classes[c], annotator=ann))
    project.store.append(events)
    wrong = project.label("i00", "owl", annotator="ann")
    project.retract(wrong)  # ann's earlier label counts again
    project.label("i01", "dog", annotator="bob")  # bob's latest counts
    project.add_prelabels({"i02": "cat"}, model="net@1")  # not an annotator

    from workbench.audit import annotator_labels

    wide = annotator_labels(project, "animal")
    assert list(wide.columns) == ["ann", "bob", "cy"]
    numeric = wide.apply(lambda col: col.map({c: k for k, c in enumerate(classes)})).to_numpy(float)
    result = ag.project_agreement(project)
    assert isinstance(result, ag.LabelAgreement) and result.task == "animal"
    assert result.alpha == pytest.approx(ref_alpha(numeric), abs=1e-12)
    assert result.alpha == pytest.approx(ag.krippendorff_alpha(wide), abs=1e-12)
    assert result.fleiss_kappa == pytest.approx(ag.fleiss_kappa(ag.label_counts(wide)))
    assert result.annotators == 3 and result.labels == int(wide.notna().to_numpy().sum())
    assert result.items == int((wide.notna().sum(axis=1) >= 2).sum())
    assert list(result.by_class.index) == classes
    assert set(result.by_annotator.index) == {"ann", "bob", "cy"}
    pairs = [ag.cohen_kappa(wide[x], wide[y]) for x, y in combinations(wide.columns, 2)]
    assert result.mean_cohen_kappa == pytest.approx(np.mean(pairs))
    assert result.pairwise.loc["ann", "bob"] == pytest.approx(pairs[0])
    assert result.summary()["alpha"] == result.alpha


def test_project_agreement_empty_and_wrong_tasks(project):
    result = ag.project_agreement(project)
    assert math.isnan(result.alpha) and result.items == 0 and result.labels == 0
    assert list(result.by_class.index) == ["cat", "dog", "owl"]
    with pytest.raises(ValueError, match="multi-label"):
        ag.project_agreement(project, "tags")


# -- properties ---------------------------------------------------------------------------------
@st.composite
def label_matrices(draw, max_items=25, max_annotators=6, max_categories=5, missing=True):
    n = draw(st.integers(1, max_items))
    m = draw(st.integers(2, max_annotators))
    k = draw(st.integers(1, max_categories))
    cells = st.one_of(st.none(), st.integers(0, k - 1)) if missing else st.integers(0, k - 1)
    rows = draw(st.lists(st.lists(cells, min_size=m, max_size=m), min_size=n, max_size=n))
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label_matrices())
def test_property_alpha_equals_the_package(wide):
    assert same(ag.krippendorff_alpha(wide), ref_alpha(wide), 1e-9)


@settings(max_examples=100, deadline=None)
@given(label_matrices(), st.randoms(use_true_random=False))
def test_property_alpha_ignores_order_and_names(wide, rnd):
    items = list(range(wide.shape[0]))
    cols = list(range(wide.shape[1]))
    rnd.shuffle(items)
    rnd.shuffle(cols)
    names = np.array(["q", "r", "s", "t", "u"], dtype=object)
    renamed = np.where(np.isnan(wide), None, names[::-1][np.nan_to_num(wide).astype(int)])
    base = ag.krippendorff_alpha(wide)
    assert same(ag.krippendorff_alpha(wide[items][:, cols]), base, 1e-9)
    assert same(ag.krippendorff_alpha(renamed), base, 1e-9)


@settings(max_examples=100, deadline=None)
@given(label_matrices(max_annotators=5, missing=False))
def test_property_fleiss_equals_statsmodels(wide):
    table, _ = inter_rater.aggregate_raters(wide.astype(int))
    assert same(ag.fleiss_kappa(table), ref_fleiss(table), 1e-9)


@settings(max_examples=150, deadline=None)
@given(label_matrices(max_annotators=2))
def test_property_cohen_equals_sklearn_and_is_symmetric(wide):
    a, b = wide[:, 0], wide[:, 1]
    both = ~np.isnan(a) & ~np.isnan(b)
    ours = ag.cohen_kappa(a, b)
    assert same(ours, ag.cohen_kappa(b, a), 1e-12)
    if both.any():
        assert same(ours, ref_cohen(a[both], b[both]), 1e-9)
    assert same(ag.cohen_kappa_matrix(wide).iloc[0, 1], ours, 1e-9)
    if not math.isnan(ours):
        assert -1.0 - 1e-12 <= ours <= 1.0 + 1e-12
