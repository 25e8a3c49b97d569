"""Run-length encoding of binary masks, compatible with COCO (pycocotools).

A mask is an ``h × w`` array of 0/1 (or bool). Its run-length encoding (RLE)
is a dict ``{"size": [h, w], "counts": …}``:

* the pixels are read in column-major (Fortran) order, and ``counts`` lists
  the lengths of alternating runs of 0s and 1s, *starting with 0s* (so a mask
  whose first pixel is 1 starts with a run of length 0);
* uncompressed, ``counts`` is that list of ints (COCO's ``iscrowd`` form);
* compressed, ``counts`` is an ASCII string, byte for byte what pycocotools
  writes: each count, minus the count two places before it (from the fourth
  on), is written as signed 5-bit groups, least significant first, one
  character ``chr(48 + group)`` each, with bit ``0x20`` set on every group but
  the last.

Bounds. An RLE's sides are at most :data:`MAX_SIDE` and its ``h × w`` at most
:data:`MAX_PIXELS`; every count lies in ``0 … h × w``. They are checked on the
``size`` and the runs alone, before anything the size of the mask is
allocated, so a hostile ``size`` (``[200000, 200000]``) is a ``ValueError``
naming the field, never a ``MemoryError``.

Everything here is vectorised numpy, with no per-pixel Python loops, so masks
of tens of megapixels encode in milliseconds; only a counts string shorter
than 512 characters is read value by value in Python, which beats numpy's
dozen whole-array passes at that size. :func:`area`, :func:`to_bbox`,
:func:`area_and_bbox` and :func:`iou` work on the runs without decoding the
mask.
"""

from __future__ import annotations

import numbers
import re
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "encode",
    "decode",
    "compress",
    "area",
    "to_bbox",
    "area_and_bbox",
    "iou",
    "MAX_SIDE",
    "MAX_PIXELS",
]

RLE = dict[str, Any]
MaskOrRLE = np.ndarray | Mapping[str, Any]

#: Most pixels on either side of a mask (16,777,216): far beyond any real image, and
#: it keeps ``h × w`` and every run inside int64.
MAX_SIDE = 2**24
#: Most pixels of a mask (16384 × 16384): more than PIL opens by default (it refuses
#: images over twice ``Image.MAX_IMAGE_PIXELS``, ~179 million pixels), so no image
#: the item reader can load is refused, and a decoded mask stays within 256 MiB.
MAX_PIXELS = 2**28

# A count is at most h*w; 12 groups hold 60 bits, more than any real mask and
# still safely inside int64 while decoding.
_MAX_GROUPS = 12

# Counts strings shorter than this decode in a Python loop: faster than numpy's
# dozen whole-array passes up to about 550 characters (twice as fast at 200; a
# mask on a VGA image takes 100 to 300).
_SHORT_STRING = 512
_CHARS = bytes(range(48, 48 + 64))  # '0' to 'o'
_CONTINUES = 48 + 0x20  # 'P' to 'o': a group with more to follow
_TOO_LONG = re.compile(b"[P-o]{%d,}" % _MAX_GROUPS)  # a value of more than _MAX_GROUPS groups
#: A value's last group ('0' to 'O') as a signed number, by character code.
_LAST_GROUP = [0] * 48 + [g - 32 if g & 0x10 else g for g in range(32)]
_TRUNCATED = "RLE counts string is truncated: its last character continues a value"


# ---------------------------------------------------------------------------
# validation


def _check_mask(mask: Any) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(f"mask must be a 2-D (h, w) array; got shape {arr.shape}")
    if arr.dtype == bool:
        return arr.view(np.uint8)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"mask must be bool or numeric 0/1; got dtype {arr.dtype}")
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        sample = np.unique(arr[bad])[:5].tolist()
        raise ValueError(f"mask must hold only 0 and 1; found other values, e.g. {sample}")
    return arr.astype(np.uint8, copy=False)


def _check_size(size: Any) -> tuple[int, int]:
    if type(size) in (list, tuple) and len(size) == 2:  # the usual case, without ABC checks
        h, w = size
        if (type(h) is int and type(w) is int and 0 <= h <= MAX_SIDE and 0 <= w <= MAX_SIDE
                and h * w <= MAX_PIXELS):  # fmt: skip
            return h, w
    if isinstance(size, (str, bytes)) or not isinstance(size, (Sequence, np.ndarray)):
        raise ValueError(f"RLE 'size' must be [h, w]; got {_show(size)}")
    if len(size) != 2:
        raise ValueError(f"RLE 'size' must be [h, w] (2 values); got {len(size)} values")
    out = []
    for name, v in zip(("h", "w"), size, strict=True):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise ValueError(f"RLE 'size' {name} must be an int; got {_show(v)}")
        if v < 0:
            raise ValueError(f"RLE 'size' {name} must be >= 0; got {v}")
        if v > MAX_SIDE:
            raise ValueError(f"RLE 'size' {name} must be at most {MAX_SIDE} (2**24); got {v}")
        out.append(int(v))
    h, w = out
    if h * w > MAX_PIXELS:
        raise ValueError(
            f"RLE 'size' {[h, w]} is {h * w} pixels, more than a mask may have "
            f"({MAX_PIXELS}, 16384 × 16384)"
        )
    return h, w


def _show(value: Any) -> str:
    """A short repr of a value from a file: bounded in length and depth."""
    return _SHORT.repr(value)


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 60, 60


def _parse(rle: Any) -> tuple[int, int, np.ndarray]:
    """Validate an RLE dict; return ``(h, w, counts)`` with counts as int64."""
    if not isinstance(rle, Mapping):
        raise ValueError(f"RLE must be a dict with 'size' and 'counts'; got {type(rle).__name__}")
    missing = [k for k in ("size", "counts") if k not in rle]
    if missing:
        raise ValueError(f"RLE is missing key(s) {missing}")
    h, w = _check_size(rle["size"])
    raw = rle["counts"]
    if isinstance(raw, (str, bytes)):
        counts = _string_to_counts(raw)
    else:
        counts = _list_to_counts(raw)
    if counts.size and counts.min() < 0:
        i = int(np.argmax(counts < 0))
        raise ValueError(f"RLE counts must be >= 0; run {i} is {int(counts[i])}")
    if counts.size and counts.max() > h * w:
        i = int(np.argmax(counts > h * w))
        raise ValueError(
            f"RLE counts: run {i} is {int(counts[i])}, longer than size {[h, w]} has pixels"
        )
    total = int(counts.sum())  # each run is at most MAX_PIXELS: the int64 sum cannot wrap
    if total != h * w:
        raise ValueError(f"RLE counts sum to {total}, but size {[h, w]} has {h * w} pixels")
    return h, w, counts


def _list_to_counts(raw: Any) -> np.ndarray:
    try:
        arr = np.asarray(raw)
    except (TypeError, ValueError) as e:  # ragged nesting and the like
        raise ValueError(f"RLE counts must be a string or a list of ints: {e}") from None
    if arr.ndim != 1:
        raise ValueError(f"RLE counts must be a flat list of ints; got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"RLE counts must be ints; got dtype {arr.dtype}")
    return arr.astype(np.int64)


# ---------------------------------------------------------------------------
# the compressed string form


def _counts_to_string(counts: np.ndarray) -> str:
    x = counts.astype(np.int64, copy=True)
    if x.size > 3:
        x[3:] -= counts[1:-2]
    # Groups needed: the fewest n with -2**(5n-1) <= x < 2**(5n-1).
    n = np.ones(x.shape, np.int64)
    for k in range(1, _MAX_GROUPS + 1):
        lim = np.int64(1) << (5 * k - 1)
        n += (x < -lim) | (x >= lim)
    width = int(n.max()) if x.size else 0
    k = np.arange(width, dtype=np.int64)
    groups = (x[:, None] >> (5 * k[None, :])) & 0x1F
    groups |= np.where(k[None, :] < n[:, None] - 1, 0x20, 0)
    chars = (groups + 48).astype(np.uint8)
    keep = k[None, :] < n[:, None]
    return chars[keep].tobytes().decode("ascii")


def _string_to_counts(s: str | bytes) -> np.ndarray:
    if isinstance(s, str):
        try:
            s = s.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("RLE counts string must be ASCII") from None
    if len(s) < _SHORT_STRING and not s.translate(None, _CHARS):
        x = _short_string_values(s)
    else:
        x = _string_values(s)
    # Undo the delta: counts[i] = x[i] + counts[i - 2] for i > 2.
    counts = x.copy()
    if counts.size > 3:
        counts[3::2] = np.cumsum(x[3::2]) + x[1]
    if counts.size > 4:
        counts[4::2] = np.cumsum(x[4::2]) + x[2]
    return counts


def _string_values(s: bytes) -> np.ndarray:
    """The values a counts string holds, before the delta is undone."""
    c = np.frombuffer(s, np.uint8).astype(np.int64) - 48
    bad = (c < 0) | (c > 63)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"RLE counts string has an invalid character {chr(s[i])!r} at position {i}"
            " (allowed: '0' to 'o')"
        )
    if c.size == 0:
        return np.zeros(0, np.int64)
    last = (c & 0x20) == 0  # a group without the continuation bit ends a value
    if not last[-1]:
        raise ValueError(_TRUNCATED)
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > _MAX_GROUPS:
        i = int(np.argmax(lengths > _MAX_GROUPS))
        raise ValueError(f"RLE counts string: value {i} is too large ({lengths[i]} characters)")
    value_of = np.repeat(np.arange(ends.size), lengths)
    shift = 5 * (np.arange(c.size) - starts[value_of])
    x = np.zeros(ends.size, np.int64)
    np.add.at(x, value_of, (c & 0x1F) << shift)
    negative = (c[ends] & 0x10) != 0
    x[negative] -= np.int64(1) << (5 * lengths[negative])
    return x


def _short_string_values(s: bytes) -> np.ndarray:
    """:func:`_string_values` of a short string of valid characters, in a Python loop."""
    if s and s[-1] >= _CONTINUES:
        raise ValueError(_TRUNCATED)
    too_long = _TOO_LONG.search(s)
    if too_long:
        i = sum(b < _CONTINUES for b in s[: too_long.start()])
        n = too_long.end() - too_long.start() + 1
        raise ValueError(f"RLE counts string: value {i} is too large ({n} characters)")
    values: list[int] = []
    x = shift = 0
    for byte in s:
        if byte >= _CONTINUES:
            x += (byte - _CONTINUES) << shift
            shift += 5
        else:  # the last group of a value: its top bit is the sign
            values.append(x + (_LAST_GROUP[byte] << shift))
            x = shift = 0
    return np.array(values, np.int64)


# ---------------------------------------------------------------------------
# public API


def _mask_counts(mask: np.ndarray) -> np.ndarray:
    flat = mask.ravel(order="F")
    if flat.size == 0:
        return np.zeros(1, np.int64)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).astype(np.int64)
    if flat[0]:
        runs = np.concatenate(([0], runs))
    return runs


def encode(mask: Any, *, compressed: bool = True) -> RLE:
    """Run-length encode a binary mask, as COCO does.

    Parameters
    ----------
    mask : array-like, shape (h, w)
        bool, or numbers that are all 0 or 1. ``h`` or ``w`` may be 0.
    compressed : bool, default True
        True gives ``counts`` as COCO's compressed ASCII string (identical to
        ``pycocotools.mask.encode(...)["counts"].decode()``); False gives the
        list of run lengths.

    Returns
    -------
    dict
        ``{"size": [h, w], "counts": str | list[int]}``. Runs are column-major
        and start with 0s. An all-zero mask is ``[h * w]``; a 0-pixel mask is
        ``[0]``.

    Raises
    ------
    ValueError
        If ``mask`` is not 2-D, holds values other than 0 and 1, or is larger
        than :data:`MAX_SIDE` / :data:`MAX_PIXELS`.
    """
    arr = np.asarray(mask)
    if arr.ndim == 2:  # the size first: checking the values of a huge mask costs its size again
        _check_size([int(arr.shape[0]), int(arr.shape[1])])
    arr = _check_mask(arr)
    h, w = arr.shape
    counts = _mask_counts(arr)
    out = _counts_to_string(counts) if compressed else counts.tolist()
    return {"size": [int(h), int(w)], "counts": out}


def decode(rle: Mapping[str, Any]) -> np.ndarray:
    """Decode an RLE, compressed or not, to a mask.

    Parameters
    ----------
    rle : dict
        ``{"size": [h, w], "counts": str | bytes | list[int]}``.

    Returns
    -------
    numpy.ndarray, shape (h, w), dtype uint8
        0/1 values, C-contiguous.

    Raises
    ------
    ValueError
        If a key is missing, ``size`` is not two non-negative ints within
        :data:`MAX_SIDE` and :data:`MAX_PIXELS`, the counts string has a
        character outside ``'0'``–``'o'`` or is truncated, a run is negative,
        or the runs do not sum to ``h * w``; all checked before the mask is
        allocated.
    """
    h, w, counts = _parse(rle)
    values = (np.arange(counts.size) % 2).astype(np.uint8)
    flat = np.repeat(values, counts)
    return np.ascontiguousarray(flat.reshape((h, w), order="F"))


def compress(rle: Mapping[str, Any]) -> RLE:
    """The compressed form of an RLE, computed from its runs without decoding the mask.

    Parameters
    ----------
    rle : dict
        ``{"size": [h, w], "counts": str | bytes | list[int]}``.

    Returns
    -------
    dict
        ``{"size": [h, w], "counts": str}``, exactly ``encode(decode(rle))``:
        runs of length 0 (but a first run of 0s) are dropped and the runs on
        either side of them joined, as a mask's own runs would be.

    Raises
    ------
    ValueError
        As :func:`decode`.
    """
    h, w, counts = _parse(rle)
    return {"size": [h, w], "counts": _counts_to_string(_canonical(counts))}


def _canonical(counts: np.ndarray) -> np.ndarray:
    """The runs a mask with these runs encodes to (no empty runs but the first)."""
    if counts.size == 0:
        return np.zeros(1, np.int64)
    keep = counts > 0
    keep[0] = True  # the runs start with 0s, even when there are none
    runs = counts[keep]
    values = (np.arange(counts.size) % 2)[keep]
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return np.add.reduceat(runs, starts)


def _bbox(h: int, counts: np.ndarray) -> list[float]:
    """:func:`to_bbox` of the runs ``counts`` of a mask ``h`` pixels high."""
    n = counts[1::2]
    nonempty = n > 0
    if not nonempty.any():
        return [0.0, 0.0, 0.0, 0.0]
    n = n[nonempty]
    e = np.cumsum(counts)[1::2][nonempty] - 1  # last pixel (column-major) of each run of 1s
    x0, y0 = np.divmod(e - n + 1, h)
    x1, y1 = np.divmod(e, h)
    if (x1 > x0).any():  # a run into the next column covers row h-1 and row 0
        ys, ye = 0, h - 1
    else:
        ys, ye = int(y0.min()), int(y1.max())
    xs, xe = int(x0[0]), int(x1[-1])  # runs come in pixel order
    return [float(xs), float(ys), float(xe - xs + 1), float(ye - ys + 1)]


def area(rle: MaskOrRLE) -> int:
    """Number of foreground pixels.

    Parameters
    ----------
    rle : dict or array-like, shape (h, w)
        An RLE (either form) or a mask.

    Returns
    -------
    int
    """
    _, _, counts = _as_counts(rle)
    return int(counts[1::2].sum())


def to_bbox(rle: MaskOrRLE) -> list[float]:
    """Tight bounding box of the foreground, COCO ``[x, y, w, h]`` in pixels.

    Parameters
    ----------
    rle : dict or array-like, shape (h, w)
        An RLE (either form) or a mask.

    Returns
    -------
    list of float
        ``[x, y, width, height]``: ``x``/``y`` the first foreground column/row,
        the size counting whole pixels (a single pixel at (3, 5) gives
        ``[3, 5, 1, 1]``). An empty mask gives ``[0, 0, 0, 0]``, as in
        pycocotools.
    """
    h, _, counts = _as_counts(rle)
    return _bbox(h, counts)


def area_and_bbox(rle: MaskOrRLE) -> tuple[int, list[float]]:
    """:func:`area` and :func:`to_bbox` together, reading the runs once.

    Parameters
    ----------
    rle : dict or array-like, shape (h, w)
        An RLE (either form) or a mask.

    Returns
    -------
    tuple of (int, list of float)
        The number of foreground pixels and the box ``[x, y, width, height]``,
        exactly as :func:`area` and :func:`to_bbox` give them.
    """
    h, _, counts = _as_counts(rle)
    return int(counts[1::2].sum()), _bbox(h, counts)


def iou(a: MaskOrRLE, b: MaskOrRLE) -> float:
    """Intersection over union of two masks, each given as an RLE or an array.

    Computed on the runs, without decoding either mask.

    Parameters
    ----------
    a, b : dict or array-like, shape (h, w)
        RLEs (either form) or masks of the same size.

    Returns
    -------
    float
        In [0, 1]; 0.0 when both masks are empty (as pycocotools gives).

    Raises
    ------
    ValueError
        If the sizes differ, or either input is malformed.
    """
    ha, wa, ca = _as_counts(a)
    hb, wb, cb = _as_counts(b)
    if (ha, wa) != (hb, wb):
        raise ValueError(f"iou needs masks of the same size; got {[ha, wa]} and {[hb, wb]}")
    ba = np.concatenate(([0], np.cumsum(ca)))
    bb = np.concatenate(([0], np.cumsum(cb)))
    cuts = np.union1d(ba, bb)
    seg_len = np.diff(cuts)
    seg = cuts[:-1]
    # Value at a position = parity of the last run boundary at or before it;
    # side="right" steps over zero-length runs.
    va = (np.searchsorted(ba, seg, side="right") - 1) % 2
    vb = (np.searchsorted(bb, seg, side="right") - 1) % 2
    inter = int((seg_len * (va & vb)).sum())
    union = int((seg_len * (va | vb)).sum())
    return inter / union if union else 0.0


def _as_counts(x: MaskOrRLE) -> tuple[int, int, np.ndarray]:
    if isinstance(x, Mapping):
        return _parse(x)
    arr = _check_mask(x)
    return int(arr.shape[0]), int(arr.shape[1]), _mask_counts(arr)
