"""Acquisition functions against direct reference computations."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import sampling

UNCERTAINTY = ("least_confidence", "margin", "entropy")


def make_probs(n: int, k: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.random((n, k)) ** 3  # some confident rows, some not
    return (p / p.sum(axis=1, keepdims=True)).astype(dtype)


def ref_scores(probs: np.ndarray, name: str) -> np.ndarray:
    """Per-row score computed the obvious way, in the dtype the module computes in."""
    p = probs.astype(np.float32) if probs.dtype == np.float16 else probs
    s = np.sort(p, axis=1)
    if name == "least_confidence":
        return 1 - s[:, -1]
    if name == "margin":
        return 1 - (s[:, -1] - s[:, -2])
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0).sum(axis=1)


def ref_key(probs: np.ndarray, name: str) -> np.ndarray:
    """What the module ranks by: smaller is better for least confidence and margin."""
    p = probs.astype(np.float32) if probs.dtype == np.float16 else probs
    s = np.sort(p, axis=1)
    if name == "least_confidence":
        return s[:, -1]
    if name == "margin":
        return s[:, -1] - s[:, -2]
    return -ref_scores(probs, name)


def ref_select(key: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    idx = np.arange(len(key))
    if exclude is not None:
        idx = idx[~exclude]
    return idx[np.lexsort((idx, key[idx]))][:k]


# -- uncertainty -----------------------------------------------------------------------
@pytest.mark.parametrize("name", UNCERTAINTY)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("chunk_rows", [1, 7, 64, None])
def test_uncertainty_matches_reference(name, dtype, chunk_rows):
    p = make_probs(203, 6, seed=1, dtype=dtype)
    if dtype == np.float16:  # re-normalise after rounding so rows sum to 1 within tolerance
        p = (p.astype(np.float32) / p.astype(np.float32).sum(1, keepdims=True)).astype(dtype)
    sel = sampling.get(name)(p, k=25, chunk_rows=chunk_rows)
    want = ref_select(ref_key(p, name), 25)
    np.testing.assert_array_equal(sel.indices, want)
    assert sel.indices.dtype == np.int64
    np.testing.assert_allclose(sel.scores, ref_scores(p, name)[want], rtol=1e-5, atol=1e-6)
    assert np.all(np.diff(sel.scores) <= 1e-6)
    assert sel.scores.dtype == (np.float64 if dtype == np.float64 else np.float32)
    np.testing.assert_allclose(
        sampling.scores(p, name, chunk_rows=chunk_rows), ref_scores(p, name), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("name", UNCERTAINTY)
def test_class_major_equals_row_major(name, tmp_path):
    p = make_probs(500, 4, seed=2, dtype=np.float32)
    row = sampling.get(name)(p, k=40, chunk_rows=33)
    cm = sampling.to_class_major(p)
    assert cm.shape == (4, 500)
    col = sampling.get(name)(cm, k=40, class_major=True, chunk_rows=33)
    np.testing.assert_array_equal(row.indices, col.indices)
    np.testing.assert_array_equal(row.scores, col.scores)
    on_disk = sampling.to_class_major(p, tmp_path / "cm.npy", chunk_rows=50)
    assert isinstance(on_disk, np.memmap)
    mm = sampling.get(name)(on_disk, k=40, class_major=True, chunk_rows=33)
    np.testing.assert_array_equal(row.indices, mm.indices)
    np.testing.assert_array_equal(
        sampling.scores(on_disk, name, class_major=True), sampling.scores(p, name)
    )


def test_class_major_float16_is_cast():
    p = make_probs(100, 3, seed=3, dtype=np.float16)
    p = (p.astype(np.float32) / p.astype(np.float32).sum(1, keepdims=True)).astype(np.float16)
    row = sampling.margin(p, k=10)
    col = sampling.margin(np.ascontiguousarray(p.T), k=10, class_major=True, chunk_rows=9)
    np.testing.assert_array_equal(row.indices, col.indices)


@pytest.mark.parametrize("name", UNCERTAINTY)
def test_memmap_input_is_streamed(name, tmp_path):
    p = make_probs(200_000, 10, seed=4, dtype=np.float32)
    np.save(tmp_path / "p.npy", p)
    mm = np.load(tmp_path / "p.npy", mmap_mode="r")
    want = sampling.get(name)(p, k=100)
    tracemalloc.start()
    got = sampling.get(name)(mm, k=100, chunk_rows=8192)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_array_equal(got.indices, want.indices)
    assert peak < p.nbytes / 4  # chunks, not a copy of the 8 MB array


@pytest.mark.parametrize("name", UNCERTAINTY)
def test_ties_go_to_the_lower_row(name):
    p = np.full((50, 4), 0.25)
    sel = sampling.get(name)(p, k=10, chunk_rows=3)
    np.testing.assert_array_equal(sel.indices, np.arange(10))
    # duplicated rows: the most uncertain ones, lowest rows first
    q = make_probs(30, 4, seed=5)
    q[[3, 11, 29]] = 0.25
    sel = sampling.get(name)(q, k=3, chunk_rows=4)
    np.testing.assert_array_equal(sel.indices, [3, 11, 29])


def test_ties_at_the_threshold_across_chunks():
    # many equal keys spread over chunks, more than k of them: the lowest rows win
    rng = np.random.default_rng(6)
    p = np.tile([[0.7, 0.2, 0.1]], (300, 1))
    p[rng.choice(300, 40, replace=False)] = [0.5, 0.3, 0.2]
    sel = sampling.margin(p, k=60, chunk_rows=16)
    np.testing.assert_array_equal(sel.indices, ref_select(ref_key(p, "margin"), 60))


def test_k_larger_than_pool_and_exclude():
    p = make_probs(20, 3, seed=7)
    sel = sampling.margin(p, k=100)
    assert len(sel.indices) == 20
    np.testing.assert_array_equal(np.sort(sel.indices), np.arange(20))
    ex = np.array([0, 5, 19, 7])
    sel = sampling.entropy(p, k=100, exclude=ex, chunk_rows=3)
    assert len(sel.indices) == 16 and not set(ex) & set(sel.indices.tolist())
    mask = np.zeros(20, bool)
    mask[ex] = True
    key = ref_key(p, "least_confidence")
    for exclude in (ex, mask):
        got = sampling.least_confidence(p, k=5, exclude=exclude, chunk_rows=4)
        np.testing.assert_array_equal(got.indices, ref_select(key, 5, mask))
    all_out = sampling.margin(p, k=3, exclude=np.ones(20, bool))
    assert len(all_out.indices) == 0 and len(all_out.scores) == 0


@pytest.mark.parametrize("bad_k", [0, -3])
def test_k_must_be_positive(bad_k):
    with pytest.raises(ValueError, match="k must be"):
        sampling.margin(make_probs(5, 3), k=bad_k)


@pytest.mark.parametrize("bad_k", [2.5, "3", None, True])
def test_k_must_be_an_int(bad_k):
    with pytest.raises(TypeError, match="k must be"):
        sampling.entropy(make_probs(5, 3), k=bad_k)


def test_one_class():
    p = np.ones((6, 1))
    with pytest.raises(ValueError, match="at least 2"):
        sampling.margin(p, k=2)
    sel = sampling.least_confidence(p, k=2)
    np.testing.assert_array_equal(sel.indices, [0, 1])
    np.testing.assert_array_equal(sel.scores, [0, 0])
    np.testing.assert_array_equal(sampling.entropy(p, k=6).scores, np.zeros(6))


@pytest.mark.parametrize("name", UNCERTAINTY)
@pytest.mark.parametrize("class_major", [False, True])
@pytest.mark.parametrize(
    ("row", "value", "message"),
    [
        (13, np.nan, "row 13 contains NaN"),
        (40, np.inf, "row 40 contains NaN or infinity"),
        (0, -0.25, "row 0 has a negative value"),
        (59, 0.9, "row 59 sums to"),
    ],
)
def test_bad_rows_are_named(name, class_major, row, value, message):
    p = make_probs(60, 5, seed=8, dtype=np.float32)
    p[row, 2] = value
    if value < 0:  # the row still sums to 1: only the sign is wrong
        p[row] = [0.5, 0.25, -0.25, 0.25, 0.25]
    data = np.ascontiguousarray(p.T) if class_major else p
    with pytest.raises(ValueError, match=message):
        sampling.get(name)(data, k=3, class_major=class_major, chunk_rows=8)
    with pytest.raises(ValueError, match=message):
        sampling.scores(data, name, class_major=class_major, chunk_rows=8)


def test_unnormalised_within_tolerance_is_accepted():
    p = make_probs(10, 3)
    p[4] *= 1 + 5e-4
    sampling.margin(p, k=2)
    p[4] *= 1 + 5e-3
    with pytest.raises(ValueError, match="row 4 sums to"):
        sampling.margin(p, k=2)


def test_negative_zero_is_a_zero():
    p = make_probs(30, 3, seed=9)
    p[12] = [-0.0, 0.5, 0.5]
    for name in UNCERTAINTY:
        sel = sampling.get(name)(p, k=30, chunk_rows=8)
        assert 12 in sel.indices
    assert sampling.scores(p, "margin")[12] == 1.0


@pytest.mark.parametrize("shape", [(10,), (2, 3, 4), ()])
def test_wrong_shape(shape):
    with pytest.raises(ValueError, match="2-D"):
        sampling.margin(np.full(shape, 0.5), k=1)


def test_wrong_dtype():
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        sampling.margin(np.ones((3, 2), dtype=np.int64), k=1)


def test_lists_are_accepted():
    sel = sampling.margin([[0.5, 0.5], [0.9, 0.1]], k=1)
    assert sel.indices.tolist() == [0]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 80),
    k_classes=st.integers(2, 7),
    k=st.integers(1, 90),
    chunk=st.integers(1, 40),
    seed=st.integers(0, 2**16),
    grid=st.booleans(),
)
def test_property_selection_is_top_k(n, k_classes, k, chunk, seed, grid):
    rng = np.random.default_rng(seed)
    raw = (
        rng.integers(0, 4, (n, k_classes)).astype(np.float64) + 1
        if grid
        else rng.random((n, k_classes))
    )
    p = raw / raw.sum(axis=1, keepdims=True)  # a coarse grid makes many exact ties
    for name in ("least_confidence", "margin"):
        sel = sampling.get(name)(p, k=k, chunk_rows=chunk)
        np.testing.assert_array_equal(sel.indices, ref_select(ref_key(p, name), k))


# -- random ----------------------------------------------------------------------------
def test_random():
    a = sampling.random(1000, k=50, seed=3)
    b = sampling.random(np.zeros((1000, 4)), k=50, seed=3)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert len(set(a.indices.tolist())) == 50 and a.indices.dtype == np.int64
    assert np.all(np.diff(a.scores) <= 0)
    ex = np.arange(0, 1000, 2)
    c = sampling.random(1000, k=600, exclude=ex, seed=1)
    assert len(c.indices) == 500 and np.all(c.indices % 2 == 1)
    assert len(sampling.random(0, k=3).indices) == 0
    with pytest.raises(ValueError, match="k must be"):
        sampling.random(10, k=0)


# -- committees and BALD ---------------------------------------------------------------
def committee(m: int = 4, n: int = 90, k: int = 5) -> np.ndarray:
    return np.stack([make_probs(n, k, seed=10 + i) for i in range(m)])


def test_vote_entropy_formula():
    c = committee()
    m, n, k = c.shape
    votes = c.argmax(axis=2)
    want = np.empty(n)
    for i in range(n):
        share = np.bincount(votes[:, i], minlength=k) / m
        share = share[share > 0]
        want[i] = -(share * np.log(share)).sum()
    np.testing.assert_allclose(sampling.scores(c, "vote_entropy"), want)
    sel = sampling.vote_entropy(list(c), k=20, chunk_rows=7)
    np.testing.assert_array_equal(sel.indices, ref_select(-want, 20))
    np.testing.assert_allclose(sel.scores, want[sel.indices])


def test_kl_to_consensus_formula():
    c = committee()
    c[0, 3] = [0.0, 0.0, 1.0, 0.0, 0.0]  # zeros: 0 log 0 = 0
    mean = c.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(c > 0, c * np.log(c / mean), 0).sum(axis=2)
    want = kl.mean(axis=0)
    np.testing.assert_allclose(sampling.scores(c, "kl_to_consensus"), want, atol=1e-12)
    sel = sampling.kl_to_consensus(c, k=15, chunk_rows=11)
    np.testing.assert_array_equal(sel.indices, ref_select(-want, 15))


def test_bald_formula():
    mc = committee(m=6)
    mean = mc.mean(axis=0)
    h_mean = -(mean * np.log(mean)).sum(axis=1)
    mean_h = -(mc * np.log(mc)).sum(axis=2).mean(axis=0)
    want = h_mean - mean_h
    np.testing.assert_allclose(sampling.scores(mc, "bald"), want, atol=1e-12)
    np.testing.assert_allclose(sampling.scores(mc, "bald"), sampling.scores(mc, "kl_to_consensus"))
    sel = sampling.bald(mc, k=10, exclude=[int(np.argmax(want))], chunk_rows=13)
    assert int(np.argmax(want)) not in sel.indices
    assert np.all(np.diff(sel.scores) <= 0)


def test_committee_validation(tmp_path):
    c = committee(m=3, n=30)
    c[1, 17, 0] += 0.5
    with pytest.raises(ValueError, match=r"committee\[1\] row 17 sums to"):
        sampling.vote_entropy(c, k=2, chunk_rows=8)
    with pytest.raises(ValueError, match="at least 2"):
        sampling.kl_to_consensus(c[:1], k=2)
    with pytest.raises(ValueError, match="shape"):
        sampling.vote_entropy([c[0], c[1, :10]], k=2)
    with pytest.raises(ValueError, match="T × N × K"):
        sampling.bald(c[0], k=2)
    good = committee(m=3, n=30)
    np.save(tmp_path / "c.npy", good)
    mm = np.load(tmp_path / "c.npy", mmap_mode="r")
    np.testing.assert_array_equal(
        sampling.bald(mm, k=5, chunk_rows=4).indices, sampling.bald(good, k=5).indices
    )


# -- diversity -------------------------------------------------------------------------
def brute_k_center(x: np.ndarray, k: int, labeled=(), first: int | None = None):
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    centres = list(labeled)
    picked, dist = [], []
    while len(picked) < k and len(picked) + len(centres) - len(picked) < len(x):
        if not centres:
            i, di = first, np.inf
        else:
            near = d[:, centres].min(axis=1)
            near[centres] = -1
            i = int(np.argmax(near))
            di = near[i]
        if di < 0:
            break
        picked.append(i)
        dist.append(di)
        centres.append(i)
        if len(centres) == len(x):
            break
    return np.array(picked), np.array(dist)


def test_k_center_matches_brute_force():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(120, 5))
    labeled = [3, 50, 77]
    got = sampling.k_center(x, k=20, labeled=labeled, chunk_rows=17)
    want, dist = brute_k_center(x, 20, labeled)
    np.testing.assert_array_equal(got.indices, want)
    np.testing.assert_allclose(got.scores, dist, rtol=1e-6)
    # no labeled rows: start from the row farthest from the mean, or a seeded random one
    first = int(np.argmax(((x - x.mean(0)) ** 2).sum(1)))
    got = sampling.k_center(x, k=10, chunk_rows=50)
    want, _ = brute_k_center(x, 10, first=first)
    np.testing.assert_array_equal(got.indices, want)
    assert np.isinf(got.scores[0])
    a = sampling.k_center(x, k=5, seed=4)
    b = sampling.k_center(x, k=5, seed=4)
    np.testing.assert_array_equal(a.indices, b.indices)


def test_k_center_exclude_duplicates_and_exhaustion(tmp_path):
    x = np.repeat(np.eye(3), 4, axis=0).astype(np.float32)  # 3 points, 4 copies each
    sel = sampling.k_center(x, k=12, labeled=[0])
    assert sorted(sel.indices.tolist()) == list(range(1, 12))
    assert sel.indices[0] == 4 and sel.indices[1] == 8  # the other two points first, lowest rows
    sel = sampling.k_center(x, k=5, labeled=np.arange(12) < 4, exclude=[4, 5, 6, 7])
    assert sel.indices.tolist()[0] == 8 and not set(range(8)) & set(sel.indices.tolist())
    np.save(tmp_path / "x.npy", x)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    np.testing.assert_array_equal(
        sampling.k_center(mm, k=6, labeled=[2], chunk_rows=5).indices,
        sampling.k_center(x, k=6, labeled=[2]).indices,
    )


def test_hybrid():
    rng = np.random.default_rng(12)
    p = make_probs(400, 4, seed=13)
    emb = rng.normal(size=(400, 8))
    # pool_factor 1 gives exactly the top-k uncertain rows, in k-center order
    top = sampling.margin(p, k=30)
    h = sampling.hybrid(p, emb, k=30, pool_factor=1)
    assert set(h.indices.tolist()) == set(top.indices.tolist())
    assert h.indices[0] == top.indices[0]  # no labeled rows: start from the most uncertain
    h = sampling.hybrid(p, emb, k=30, pool_factor=5, labeled=[0, 1, 2], chunk_rows=64)
    pool = sampling.margin(p, k=150, exclude=[0, 1, 2])
    assert set(h.indices.tolist()) <= set(pool.indices.tolist())
    assert len(set(h.indices.tolist())) == 30 and np.all(np.diff(h.scores) <= 1e-9)
    cand = pool.indices
    want, _ = brute_k_center(np.vstack([emb[[0, 1, 2]], emb[cand]]), 30, labeled=[0, 1, 2])
    np.testing.assert_array_equal(h.indices, cand[want - 3])
    with pytest.raises(ValueError, match="strategy"):
        sampling.hybrid(p, emb, k=3, strategy="random")
    with pytest.raises(ValueError, match="rows"):
        sampling.hybrid(p, emb[:10], k=3)


# -- registry --------------------------------------------------------------------------
def test_registry():
    assert set(UNCERTAINTY) | {"random", "k_center", "hybrid", "bald"} <= set(sampling.STRATEGIES)
    assert sampling.get("margin") is sampling.margin
    assert sampling.get(sampling.entropy) is sampling.entropy
    with pytest.raises(ValueError, match="unknown sampling strategy"):
        sampling.get("nope")
    with pytest.raises(ValueError, match="strategy must be"):
        sampling.scores(make_probs(3, 2), "nope")


# -- MC dropout ------------------------------------------------------------------------
def test_mc_dropout_probs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(6, 16),
        torch.nn.BatchNorm1d(16),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(16, 3),
    )
    model.eval()
    x = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    mc = sampling.mc_dropout_probs(model, x, passes=4, batch_size=16, seed=1)
    assert mc.shape == (4, 50, 3) and mc.dtype == np.float32
    np.testing.assert_allclose(mc.sum(axis=2), 1, atol=1e-5)
    assert not np.allclose(mc[0], mc[1])  # dropout was active
    assert not model.training and not model[3].training  # modes restored
    again = sampling.mc_dropout_probs(model, torch.from_numpy(x), passes=4, batch_size=16, seed=1)
    np.testing.assert_array_equal(mc, again)
    # batch norm stayed in eval mode: its running statistics did not move
    rm = model[1].running_mean.clone()
    sampling.mc_dropout_probs(model, x, passes=2)
    assert torch.equal(rm, model[1].running_mean)
    assert len(sampling.bald(mc, k=5).indices) == 5
    with pytest.raises(ValueError, match="no dropout"):
        sampling.mc_dropout_probs(torch.nn.Linear(6, 3), x)
    with pytest.raises(ValueError, match="passes"):
        sampling.mc_dropout_probs(model, x, passes=0)


def test_saved_predictions_are_read_class_major(tmp_path):
    from workbench import predictions as P

    rng = np.random.default_rng(7)
    probs = rng.random((5000, 6)).astype(np.float32)
    probs /= probs.sum(axis=1, keepdims=True)
    ids = [f"i{i}" for i in range(len(probs))]
    saved = P.save(P.Predictions(ids, probs, list("abcdef"), "m@1", "t"), tmp_path)
    assert saved.by_class is not None and saved.by_class.shape == (6, 5000)
    np.testing.assert_array_equal(saved.by_class, probs.T)
    for fn in (sampling.margin, sampling.entropy, sampling.least_confidence):
        got = fn(saved, k=40, exclude=[0, 1])
        want = fn(probs, k=40, exclude=[0, 1])
        np.testing.assert_array_equal(got.indices, want.indices)
        np.testing.assert_allclose(got.scores, want.scores, rtol=1e-6)
    np.testing.assert_array_equal(
        sampling.hybrid(saved, probs, k=5).indices, sampling.hybrid(probs, probs, k=5).indices
    )
    # A version saved without the copy still works, from its N × K probabilities.
    (saved.path / P.BY_CLASS).unlink()
    old = P.load(tmp_path, "t", "m@1")
    assert old.by_class is None
    np.testing.assert_array_equal(sampling.margin(old, k=40).indices,
                                  sampling.margin(probs, k=40).indices)  # fmt: skip
    with pytest.raises(ValueError, match="not a Predictions"):
        sampling.margin(saved, k=3, class_major=True)
