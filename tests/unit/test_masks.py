"""COCO run-length encoding: round trips, parity with pycocotools, malformed input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from workbench import masks


def _mask_strategy(max_side: int = 24):
    shapes = st.tuples(st.integers(0, max_side), st.integers(0, max_side))
    return shapes.flatmap(lambda s: arrays(np.uint8, s, elements=st.integers(0, 1)))


@st.composite
def _blocky_masks(draw, max_side: int = 40):
    """Masks of a few rectangles: long runs, unlike i.i.d. pixels."""
    h, w = draw(st.integers(0, max_side)), draw(st.integers(0, max_side))
    m = np.zeros((h, w), np.uint8)
    for _ in range(draw(st.integers(0, 4))):
        if h and w:
            y0, x0 = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
            y1, x1 = draw(st.integers(y0, h)), draw(st.integers(x0, w))
            m[y0:y1, x0:x1] = draw(st.integers(0, 1))
    return m


@settings(max_examples=150, deadline=None)
@given(st.one_of(_mask_strategy(), _blocky_masks()), st.booleans())
def test_round_trip(mask, compressed):
    rle = masks.encode(mask, compressed=compressed)
    assert rle["size"] == list(mask.shape)
    out = masks.decode(rle)
    assert out.dtype == np.uint8 and out.shape == mask.shape
    np.testing.assert_array_equal(out, mask)
    assert masks.area(rle) == int(mask.sum())
    # Compressed and uncompressed forms describe the same runs.
    other = masks.encode(mask, compressed=not compressed)
    np.testing.assert_array_equal(masks.decode(other), mask)


@pytest.mark.parametrize(
    "mask, counts",
    [
        (np.zeros((0, 5), np.uint8), [0]),
        (np.zeros((3, 0), np.uint8), [0]),
        (np.zeros((2, 3), np.uint8), [6]),
        (np.ones((2, 3), np.uint8), [0, 6]),
        (np.array([[0, 1], [0, 0]], np.uint8), [2, 1, 1]),  # column-major
        (np.array([[1]], bool), [0, 1]),
    ],
)
def test_known_counts(mask, counts):
    assert masks.encode(mask, compressed=False)["counts"] == counts
    np.testing.assert_array_equal(masks.decode(masks.encode(mask)), mask)


def test_single_pixel_bbox_and_area():
    m = np.zeros((10, 8), np.uint8)
    m[5, 3] = 1
    rle = masks.encode(m)
    assert masks.to_bbox(rle) == [3.0, 5.0, 1.0, 1.0]
    assert masks.area(rle) == 1
    assert masks.to_bbox(np.zeros((4, 4), np.uint8)) == [0.0, 0.0, 0.0, 0.0]


def test_long_runs_beyond_16_bits():
    h, w = 300, 700  # 210,000 pixels: runs longer than 2**16 and 2**17
    m = np.zeros((h, w), np.uint8)
    m[:, 250:600] = 1
    m[7, 650] = 1
    rle = masks.encode(m)
    assert masks.encode(m, compressed=False)["counts"] == [75000, 105000, 15007, 1, 14992]
    np.testing.assert_array_equal(masks.decode(rle), m)
    assert masks.area(rle) == 105001
    assert masks.to_bbox(rle) == [250.0, 0.0, 401.0, 300.0]


@settings(max_examples=100, deadline=None)
@given(st.one_of(_mask_strategy(), _blocky_masks()), st.one_of(_mask_strategy(), _blocky_masks()))
def test_iou_against_pixels(a, b):
    if a.shape != b.shape:
        b = np.resize(b, a.shape) if b.size else np.zeros(a.shape, np.uint8)
    inter = int((a & b).sum())
    union = int((a | b).sum())
    expected = inter / union if union else 0.0
    assert masks.iou(masks.encode(a), masks.encode(b, compressed=False)) == pytest.approx(expected)
    assert masks.iou(a, b) == pytest.approx(expected)


def test_bbox_against_pixels():
    rng = np.random.default_rng(1)
    for _ in range(200):
        h, w = rng.integers(1, 30, 2)
        m = (rng.random((h, w)) < rng.random() * 0.2).astype(np.uint8)
        ys, xs = np.nonzero(m)
        expected = (
            [float(xs.min()), float(ys.min()), float(np.ptp(xs) + 1), float(np.ptp(ys) + 1)]
            if xs.size
            else [0.0] * 4
        )
        assert masks.to_bbox(masks.encode(m)) == expected


def _pixel_bbox(m):
    ys, xs = np.nonzero(m)
    if not xs.size:
        return [0.0] * 4
    return [float(xs.min()), float(ys.min()), float(np.ptp(xs) + 1), float(np.ptp(ys) + 1)]


def test_area_and_bbox_against_pixels():
    rng = np.random.default_rng(2)
    for _ in range(100):
        h, w = (int(v) for v in rng.integers(0, 30, 2))
        m = (rng.random((h, w)) < rng.random() * 0.3).astype(np.uint8)
        want = (int(m.sum()), _pixel_bbox(m))
        for rle in (masks.encode(m), masks.encode(m, compressed=False), m):
            assert masks.area_and_bbox(rle) == want
            assert (masks.area(rle), masks.to_bbox(rle)) == want


def _blobs(rng, h, w, n):
    yy, xx = np.mgrid[0:h, 0:w]
    m = np.zeros((h, w), np.uint8)
    for _ in range(n):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(2, h / 3), rng.uniform(2, w / 3)
        m ^= (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1).astype(np.uint8)
    return m


def test_long_and_short_counts_strings():
    # Counts strings shorter than masks._SHORT_STRING decode in a Python loop,
    # longer ones in numpy: both must give every answer exactly.
    rng = np.random.default_rng(5)
    lengths = []
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(20, 200, 2))
        m = _blobs(rng, h, w, int(rng.integers(1, 8)))
        rle = masks.encode(m)
        lengths.append(len(rle["counts"]))
        np.testing.assert_array_equal(masks.decode(rle), m)
        assert masks.area_and_bbox(rle) == (int(m.sum()), _pixel_bbox(m))
        assert masks.to_bbox(rle) == _pixel_bbox(m)
        s = rle["counts"].encode()
        np.testing.assert_array_equal(masks._short_string_values(s), masks._string_values(s))
    assert min(lengths) < masks._SHORT_STRING < max(lengths)


def _error(f, s):
    try:
        f(s)
    except ValueError as exc:
        return str(exc)
    return None


def test_short_string_loop_matches_numpy_on_any_string():
    # Random strings of valid characters: values (negative ones too), truncation
    # and over-long values, at every position.
    rng = np.random.default_rng(11)
    for _ in range(3000):
        s = bytes(rng.integers(48, 112, int(rng.integers(0, 60))).tolist())
        if s and rng.random() < 0.8:  # mostly well terminated: '0' to 'O' ends a value
            s = s[:-1] + bytes([int(rng.integers(48, 80))])
        if rng.random() < 0.05:  # a value of 12 groups or more
            at = int(rng.integers(0, len(s) + 1))
            s = s[:at] + b"o" * int(rng.integers(11, 14)) + b"0" + s[at:]
        want_err = _error(masks._string_values, s)
        assert _error(masks._short_string_values, s) == want_err, s
        if want_err is None:
            np.testing.assert_array_equal(masks._short_string_values(s), masks._string_values(s))


# ---------------------------------------------------------------------------
# parity with pycocotools (tests only: workbench never imports it)


def _random_masks(n: int, seed: int):
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = (int(v) for v in rng.integers(0, 48, 2))
        kind = i % 3
        if kind == 0:
            m = rng.random((h, w)) < rng.random()
        elif kind == 1:  # a few blocks: long runs, large deltas
            m = np.zeros((h, w), bool)
            for _ in range(3):
                if h and w:
                    y, x = rng.integers(0, h), rng.integers(0, w)
                    m[y : y + rng.integers(1, h + 1), x : x + rng.integers(1, w + 1)] ^= True
        else:
            m = np.zeros((h, w), bool) if i % 2 else np.ones((h, w), bool)
        yield m.astype(np.uint8)


# pycocotools 2.0.11 warns about numpy 2 copy semantics when decoding.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_parity_with_pycocotools():
    cm = pytest.importorskip("pycocotools.mask")
    for m in _random_masks(300, seed=0):
        ref = cm.encode(np.asfortranarray(m))
        ours = masks.encode(m)
        assert ours["counts"] == ref["counts"].decode("ascii")
        assert ours["size"] == list(ref["size"])
        np.testing.assert_array_equal(masks.decode(ref), m)
        np.testing.assert_array_equal(cm.decode(ours), m)
        assert masks.area(ours) == int(cm.area(ref))
        assert masks.to_bbox(ours) == cm.toBbox(ref).tolist()
        assert masks.area_and_bbox(ours) == (int(cm.area(ref)), cm.toBbox(ref).tolist())


def test_iou_parity_with_pycocotools():
    cm = pytest.importorskip("pycocotools.mask")
    ms = list(_random_masks(90, seed=3))
    for a, b in zip(ms[::2], ms[1::2], strict=True):
        b = np.resize(b, a.shape) if b.size else np.zeros(a.shape, np.uint8)
        ra, rb = cm.encode(np.asfortranarray(a)), cm.encode(np.asfortranarray(b))
        ref = cm.iou([ra], [rb], [0])
        ref = float(ref[0, 0]) if np.size(ref) else 0.0
        assert masks.iou(masks.encode(a), masks.encode(b)) == pytest.approx(ref)


def test_long_run_parity_with_pycocotools():
    cm = pytest.importorskip("pycocotools.mask")
    m = np.zeros((400, 500), np.uint8)
    m[:, 100:450] = 1  # a run of 140,000
    m[3, 470] = 1
    assert masks.encode(m)["counts"] == cm.encode(np.asfortranarray(m))["counts"].decode()


def test_decode_accepts_bytes_counts():
    m = np.eye(5, dtype=np.uint8)
    rle = masks.encode(m)
    rle_b = {"size": rle["size"], "counts": rle["counts"].encode("ascii")}
    np.testing.assert_array_equal(masks.decode(rle_b), m)


# ---------------------------------------------------------------------------
# malformed input


@pytest.mark.parametrize(
    "rle, match",
    [
        ({"size": [2, 2], "counts": [1, 2]}, "sum to 3"),
        ({"size": [2, 2], "counts": [5, -1]}, "must be >= 0"),
        ({"size": [2, 2], "counts": "4 "}, "invalid character"),
        ({"size": [2, 2], "counts": "4é"}, "ASCII"),
        ({"size": [2, 2], "counts": "P"}, "truncated"),  # continuation bit set
        ({"size": [2, 2], "counts": "o" * 13 + "0"}, "too large"),
        # The same over a long string (numpy decodes those, a loop short ones).
        ({"size": [2, 2], "counts": "0" * 600 + "4 "}, "invalid character ' ' at position 601"),
        ({"size": [2, 2], "counts": "0" * 600 + "P"}, "truncated"),
        ({"size": [2, 2], "counts": "0" * 600 + "o" * 13 + "0"}, r"value 600 is too large \(14"),
        ({"size": [2, 2], "counts": "1" + "o" * 13 + "0"}, r"value 1 is too large \(14"),
        ({"size": [2], "counts": [4]}, r"\[h, w\]"),
        ({"size": [2, -2], "counts": [0]}, "w must be >= 0"),
        ({"size": [2.0, 2], "counts": [4]}, "h must be an int"),
        ({"size": "ab", "counts": [4]}, "size"),
        ({"counts": [4]}, "missing"),
        ({"size": [2, 2], "counts": [[4]]}, "flat list"),
        ({"size": [2, 2], "counts": [1.5, 2.5]}, "ints"),
        ([4], "dict"),
    ],
)
def test_malformed_rle(rle, match):
    with pytest.raises(ValueError, match=match):
        masks.decode(rle)


@pytest.mark.parametrize(
    "rle, match",
    [
        # Sizes far beyond any image: refused on the size alone, before any allocation
        # (200000 x 200000 would be 40 GB decoded).
        ({"size": [200000, 200000], "counts": [40_000_000_000]}, "more than a mask may have"),
        ({"size": [2**25, 1], "counts": [2**25]}, r"h must be at most 16777216 \(2\*\*24\)"),
        ({"size": [1, 2**40], "counts": [2**40]}, "w must be at most"),
        ({"size": [10**30, 0], "counts": [0]}, "h must be at most"),
        # A run longer than the mask, and runs whose int64 sum would wrap to h * w.
        ({"size": [2, 2], "counts": [2**62, 4]}, "run 0 is 4611686018427387904, longer"),
        ({"size": [0, 0], "counts": [2**62] * 4}, "longer than size"),
        ({"size": [2, 2], "counts": [2**64]}, "ints"),  # beyond int64: an object array
    ],
)
def test_oversized_rle_is_refused_before_decoding(rle, match):
    for f in (masks.decode, masks.area, masks.to_bbox, masks.compress):
        with pytest.raises(ValueError, match=match):
            f(rle)


def test_largest_mask_sizes_are_checked_without_decoding():
    side = 2**14  # MAX_PIXELS exactly: accepted, and area() reads only the runs
    rle = {"size": [side, side], "counts": [side * side - 5, 5]}
    assert masks.area(rle) == 5
    assert masks.to_bbox(rle) == [side - 1.0, side - 5.0, 1.0, 5.0]
    with pytest.raises(ValueError, match="more than a mask may have"):
        masks.area({"size": [side, side + 1], "counts": [side * (side + 1)]})
    with pytest.raises(ValueError, match="more than a mask may have"):
        masks.encode(np.broadcast_to(np.uint8(0), (side + 1, side)))  # no memory behind it


@settings(max_examples=150, deadline=None)
@given(st.one_of(_mask_strategy(), _blocky_masks()), st.data())
def test_compress_is_encode_of_decode_without_decoding(mask, data):
    counts = masks.encode(mask, compressed=False)["counts"]
    # Empty runs anywhere: the same mask, runs written otherwise.
    for _ in range(data.draw(st.integers(0, 3))):
        i = data.draw(st.integers(0, len(counts)))
        counts = counts[:i] + [0, 0] + counts[i:] if i else [0, 0] + counts
    if data.draw(st.booleans()):
        counts = counts + [0]
    rle = {"size": list(mask.shape), "counts": counts}
    np.testing.assert_array_equal(masks.decode(rle), mask)
    assert masks.compress(rle) == masks.encode(mask)
    assert masks.compress(masks.encode(mask)) == masks.encode(mask)


def test_negative_run_in_compressed_string():
    # "0" "0" "O": counts [0, 0, -1] (one final group 0x1F, sign bit set).
    with pytest.raises(ValueError, match="run 2 is -1"):
        masks.decode({"size": [0, 0], "counts": "00O"})


@pytest.mark.parametrize(
    "mask, match",
    [
        (np.zeros((2, 2, 1)), "2-D"),
        (np.zeros(4), "2-D"),
        (np.array([[0, 2]]), "only 0 and 1"),
        (np.array([[0.5, 1.0]]), "only 0 and 1"),
        (np.array([["a"]]), "dtype"),
    ],
)
def test_malformed_mask(mask, match):
    with pytest.raises(ValueError, match=match):
        masks.encode(mask)


def test_iou_size_mismatch():
    with pytest.raises(ValueError, match="same size"):
        masks.iou(np.zeros((2, 3), np.uint8), np.zeros((3, 2), np.uint8))
