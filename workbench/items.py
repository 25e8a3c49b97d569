"""Item sources, and the reader that turns an item into what a widget shows.

Sources
-------
Each source returns one :class:`~workbench.store.ItemRecord` per input, in
input order; :class:`~workbench.Project` passes them to the store, which keeps
the ones whose id it does not have yet.

- :func:`from_arrays`: a numpy batch (N×H×W grey, N×H×W×1/3/4), saved once
  under ``items_dir`` as a ``.npy`` named by its content.
- :func:`from_texts`: strings, kept inline in the record.
- :func:`from_features`: feature rows (N×D: embeddings, tabular data), items of
  kind ``"features"`` saved like arrays; a widget shows a row as text (its first
  values), and :mod:`workbench.ml.features` gives the rows to models as they are.
- :func:`from_uris`: files by fsspec URI; nothing is downloaded.
- :func:`from_folder`: every image file under a folder (local or fsspec URL).
- :func:`from_dataframe`: a column of texts, or of images given as paths/URIs,
  numpy arrays, PIL images or encoded bytes.
- :func:`from_audio`: audio files by URI, or signals given as numpy arrays
  (written once under ``items_dir`` as WAV files named by their content);
  :mod:`workbench.media` reads them.
- :func:`from_video`: video files by URI, or frames given as numpy arrays
  (``T × H × W × 3``, written once under ``items_dir`` as lossless FFV1 files).

Item ids
--------
Unless ids are given, an id is 16 hex characters of a BLAKE2b hash:

- arrays: of the row's bytes, shape and dtype (native byte order);
- audio signals: of their samples, shape, dtype and sample rate;
- texts: of the UTF-8 text;
- PIL images: of mode, size, palette and pixels; encoded bytes: of the bytes;
- files (URIs, folders): of the canonical URI plus the file's size and ETag
  (or the object store's checksum) from one metadata look-up, so adding a
  million remote files downloads none of them, and an object that changes
  gets a new id. Local files have no ETag: their size alone counts.

The same input therefore always gets the same id, and adding it again adds
nothing. Identical content repeated *within one call* (two equal rows, the
same text twice) keeps one item per input: the second copy's id is
``<hash>-2``, the third ``<hash>-3`` and so on. The same file listed twice by
URI is one file, hence one item.

Canonical URIs: local paths become absolute, normalised paths (``file://``
stripped); other URIs become ``protocol://path`` (``s3://bucket/key``).

How arrays are displayed
------------------------
Values map linearly to 0–255 through a range fixed once per added array (the
whole batch, per dtype), kept in each record's ``meta["range"]``, so every
item of a batch shares one scale and a re-read shows the same pixels:

- ``uint8``: as is (range 0–255);
- ``bool``: False → 0, True → 255;
- floats whose finite values lie within [0, 1]: × 255;
- everything else (other integer types, floats outside [0, 1], such as
  scikit-learn's digits at 0–16): the batch's finite min → 0, max → 255.
  (A dtype's full range would show ``int64`` digits or 12-bit data stored as
  ``uint16`` as black.) A constant batch shows its value clipped to 0–255;
  NaN shows as 0.

The ``.npy`` keeps the original values; :meth:`ItemReader.load_array` returns
them unscaled.

URIs in records
---------------
``npy://FILE#ROW``
    row ``ROW`` of ``items_dir/FILE``, written by :func:`from_arrays` or
    :func:`from_dataframe` (relative, so the folder can move with the project).
``items://FILE``
    ``items_dir/FILE``, an image file written by :func:`from_dataframe` for a
    PIL image (PNG) or encoded bytes (kept as given).
anything else
    an fsspec URI, read with fsspec.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import numbers
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any

import fsspec
import numpy as np
import pandas as pd
from fsspec.implementations.local import LocalFileSystem
from PIL import Image, ImageOps

from .errors import ItemReadError, ItemSourceError
from .media import Audio, Video, write_audio, write_video
from .store.base import ItemRecord

__all__ = [
    "IMAGE_EXTENSIONS",
    "ItemReader",
    "from_arrays",
    "from_audio",
    "from_video",
    "from_dataframe",
    "from_features",
    "from_folder",
    "from_texts",
    "from_uris",
]

logger = logging.getLogger(__name__)

#: File extensions :func:`from_folder` treats as images (lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")
KINDS = ("image", "text", "audio", "video")
#: Calls over at least this many items (or files) show a progress bar when their
#: caller leaves ``progress`` unset.
PROGRESS_MIN = 1000
#: Files asked for in one folder of an object store from which one listing of
#: the folder replaces a metadata request per file.
LIST_MIN = 32
#: Concurrent metadata requests on an async filesystem (s3, gcs, http).
INFO_BATCH = 256
#: Rendered images no larger than this many pixels are sent as PNG, larger
#: RGB ones as JPEG.
PNG_MAX_PIXELS = 256 * 256
JPEG_QUALITY = 90
PNG_COMPRESS_LEVEL = 3
SLOW_RENDER_S = 1.0
#: Audio and video items whose header, waveform pyramid or decoded frames a reader
#: keeps in memory.
MEDIA_CACHE_SIZE = 64

_ETAG_KEYS = ("ETag", "etag", "md5Hash", "Content-MD5", "crc32c")
_FORMAT_EXT = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "BMP": "bmp", "TIFF": "tif",
               "WEBP": "webp"}  # fmt: skip
# Modes a browser shows as encoded; 16-bit and float images get a display range first.
_PASS_MODES = {"PNG": ("1", "L", "LA", "P", "RGB", "RGBA"), "JPEG": ("L", "RGB")}


# -- hashing ---------------------------------------------------------------------
def _hash(domain: bytes, *parts: Any, size: int = 8) -> str:
    """Hex BLAKE2b digest of ``parts`` (bytes or buffers) in a ``domain`` of its own."""
    h = hashlib.blake2b(digest_size=size, person=domain)
    for part in parts:
        h.update(part)
    return h.hexdigest()


def _row_id(row: np.ndarray) -> str:
    header = f"{row.dtype.str}|{row.shape}|".encode()
    return _hash(b"wb.array", header, np.ascontiguousarray(row).view(np.uint8))


def _text_id(text: str) -> str:
    return _hash(b"wb.text", text.encode("utf-8", "surrogatepass"))


def _file_id(uri: str, meta: dict[str, Any]) -> str:
    version = f"size={meta.get('size')};etag={meta.get('etag')}"
    return _hash(b"wb.uri", uri.encode(), b"\0", version.encode())


def _number_repeats(ids: list[str], content: Sequence[bool] | None = None) -> list[str]:
    """Give the k-th copy (k ≥ 2) of a content hash the id ``<hash>-k``."""
    seen: dict[str, int] = {}
    out = []
    for i, item_id in enumerate(ids):
        if content is not None and not content[i]:
            out.append(item_id)
            continue
        k = seen.get(item_id, 0) + 1
        seen[item_id] = k
        out.append(item_id if k == 1 else f"{item_id}-{k}")
    return out


def _check_ids(ids: Any, n: int, what: str) -> list[str]:
    if isinstance(ids, str | bytes):
        raise ItemSourceError("ids must be a sequence of strings, one per item, not one string")
    ids = list(ids)
    if len(ids) != n:
        raise ItemSourceError(f"ids has {len(ids)} entries but there are {n} {what}")
    for i, item_id in enumerate(ids):
        if not isinstance(item_id, str):
            raise ItemSourceError(
                f"ids[{i}] is {type(item_id).__name__} ({item_id!r}), not a str; "
                "pass ids as strings, e.g. [str(i) for i in ids]"
            )
        if not item_id:
            raise ItemSourceError(f"ids[{i}] is an empty string")
    ids = [str(i) for i in ids]  # np.str_ and other str subclasses become plain str
    _check_unique(ids, lambda ij: f"positions {ij[0]} and {ij[1]}")
    return ids


def _check_unique(ids: list[str], where: Callable[[list[int]], str]) -> None:
    first: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        j = first.setdefault(item_id, i)
        if j != i:
            raise ItemSourceError(f"ids must be unique: {item_id!r} is at {where([j, i])}")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ItemSourceError(f"unknown item kind {kind!r}; kinds: {list(KINDS)}")


def _snippet(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- arrays ----------------------------------------------------------------------
def from_arrays(
    arrays: Any,
    *,
    ids: Sequence[str] | None = None,
    items_dir: str | Path,
    progress: bool | None = None,
) -> list[ItemRecord]:
    """Image items from a numpy batch, saved once under ``items_dir``.

    Parameters
    ----------
    arrays : array-like, shape (N, H, W), (N, H, W, 1), (N, H, W, 3) or (N, H, W, 4)
        Grey, RGB or RGBA images of any bool, integer or float dtype (see the
        module docstring for how values are displayed). Images of different
        sizes in one call: give a list (or a 1-D object array) of (H, W[, C])
        arrays; each image is its own item with its own shape (images are
        stacked per shape and dtype, one ``.npy`` each). A nested list whose
        rows differ in length is refused (:class:`~workbench.ItemSourceError`):
        make each image an array.
    ids : sequence of str, optional
        One unique id per image; by default a hash of each image's content.
    items_dir : str or Path
        Folder for the ``.npy`` files. Each is named by its content, so adding
        the same array twice writes nothing new.
    progress : bool, optional
        Show a progress bar while hashing; by default only for at least
        :data:`PROGRESS_MIN` images.

    Returns
    -------
    list of ItemRecord
        kind ``"image"``, uri ``npy://<file>#<row>``, ``meta["range"]`` the
        display range.
    """
    if isinstance(arrays, np.ndarray) and arrays.dtype == object and arrays.ndim == 1:
        arrays = list(arrays)  # an object array of images: one image per element
    if isinstance(arrays, np.ndarray) or not isinstance(arrays, list | tuple):
        try:
            batch = _as_batch(np.asarray(arrays))
        except ValueError as exc:
            if isinstance(exc, ItemSourceError):
                raise
            raise ItemSourceError(f"arrays cannot be read as a numpy array: {exc}") from None
        if len(batch) == 0:
            return []
        entries = _save_arrays([(range(len(batch)), batch)], Path(items_dir), progress=progress)
        n = len(batch)
    else:
        images = [_as_image(a, f"arrays[{i}]") for i, a in enumerate(arrays)]
        entries = _save_images(images, [f"arrays[{i}]" for i in range(len(images))], items_dir,
                               progress=progress)  # fmt: skip
        n = len(images)
    item_ids = (
        _check_ids(ids, n, "images")
        if ids is not None
        else _number_repeats([e[0] for e in entries])
    )
    return [ItemRecord(i, "image", uri=uri, meta=meta) for i, (_, uri, meta) in zip(
        item_ids, entries, strict=True)]  # fmt: skip


def _as_image(value: Any, where: str) -> np.ndarray:
    """One image of a list as an array; a ragged nested list gets a clear error."""
    try:
        return np.asarray(value)
    except ValueError as exc:  # numpy refuses ragged nesting ("inhomogeneous shape")
        raise ItemSourceError(
            f"{where} is a nested list whose rows differ in length ({exc}); give each "
            "image as a numpy array of shape (H, W) or (H, W, C)"
        ) from None


def _check_dtype(dtype: np.dtype, where: str) -> None:
    if dtype.kind not in "biuf":
        raise ItemSourceError(
            f"{where} has dtype {dtype}; images need a bool, integer or float dtype"
        )


def _check_image_shape(shape: tuple[int, ...], where: str, batch: bool) -> None:
    lead = 1 if batch else 0
    expected = "(N, H, W) or (N, H, W, C)" if batch else "(H, W) or (H, W, C)"
    nd = len(shape) - lead
    if nd == 1 and batch:
        raise ItemSourceError(
            f"{where} has shape {shape}: expected {expected}; for flat rows such as "
            "scikit-learn's digits.data pass X.reshape(len(X), H, W), e.g. (-1, 8, 8)"
        )
    if nd not in (2, 3):
        raise ItemSourceError(f"{where} has shape {shape}: expected {expected} with C in 1, 3, 4")
    if nd == 3 and shape[-1] not in (1, 3, 4):
        hint = ""
        if shape[lead] in (1, 3, 4):
            order = "(0, 2, 3, 1)" if batch else "(1, 2, 0)"
            hint = f"; it looks channels-first: pass a.transpose{order}"
        raise ItemSourceError(
            f"{where} has shape {shape}: the last axis must hold 1, 3 or 4 channels{hint}"
        )
    if any(s == 0 for s in shape[lead:]):
        raise ItemSourceError(f"{where} has shape {shape}: images cannot be empty")


def _native(a: np.ndarray) -> np.ndarray:
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def _as_batch(arr: np.ndarray) -> np.ndarray:
    _check_dtype(arr.dtype, "arrays")
    _check_image_shape(arr.shape, "arrays", batch=True)
    return _native(arr)


def _save_images(
    images: list[np.ndarray],
    where: list[str],
    items_dir: str | Path,
    progress: bool | None = None,
) -> list[tuple[str, str, dict[str, Any]]]:
    """Save single images of any shapes, stacked per (shape, dtype); entries in input order."""
    groups: dict[tuple, list[int]] = {}
    for i, (img, w) in enumerate(zip(images, where, strict=True)):
        _check_dtype(img.dtype, w)
        _check_image_shape(img.shape, w, batch=False)
        images[i] = _native(img)
        groups.setdefault((images[i].shape, images[i].dtype.str), []).append(i)
    stacks = [(pos, np.stack([images[i] for i in pos])) for pos in groups.values()]
    return _save_arrays(stacks, Path(items_dir), n=len(images), progress=progress)


def _save_arrays(
    stacks: list[tuple[Sequence[int], np.ndarray]],
    items_dir: Path,
    n: int | None = None,
    progress: bool | None = None,
) -> list[tuple[str, str, dict[str, Any]]]:
    """Write each stack once as ``<content hash>.npy``; ``(row id, uri, meta)`` per image."""
    n = len(stacks[0][1]) if n is None else n
    out: list[Any] = [None] * n
    ranges = _ranges_by_dtype([s for _, s in stacks])
    bar = progress_bar(n, "hashing arrays", progress)
    for positions, stack in stacks:
        row_ids = []
        for row in stack:
            row_ids.append(_row_id(row))
            bar.update(1)
        name = _write_npy(stack, row_ids, items_dir)
        lo, hi = ranges[stack.dtype.str]
        for row, (pos, rid) in enumerate(zip(positions, row_ids, strict=True)):
            out[pos] = (rid, f"npy://{name}#{row}", {"range": [lo, hi]})
    bar.close()
    return out


def _write_npy(stack: np.ndarray, row_ids: list[str], items_dir: Path) -> str:
    # The row hashes already cover every byte: name the file by them, no second pass.
    header = f"{stack.dtype.str}|{stack.shape}|".encode()
    name = _hash(b"wb.npy", header, "".join(row_ids).encode(), size=16) + ".npy"
    path = items_dir / name
    if not path.exists():
        items_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, lambda f: np.save(f, np.ascontiguousarray(stack), allow_pickle=False))
    return name


def _write_atomic(path: Path, write: Callable[[Any], None]) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _finite_range(arr: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of the finite values, in row chunks to bound memory; None if none."""
    if arr.dtype.kind in "biu":
        return (float(arr.min()), float(arr.max())) if arr.size else None
    lo, hi = np.inf, -np.inf
    flat = arr.reshape(len(arr), -1) if arr.ndim > 1 else arr.reshape(1, -1)
    step = max(1, (1 << 24) // max(1, flat.shape[1]))
    for start in range(0, len(flat), step):
        chunk = flat[start : start + step]
        finite = np.isfinite(chunk)
        if finite.any():
            lo = min(lo, float(chunk.min(where=finite, initial=np.inf)))
            hi = max(hi, float(chunk.max(where=finite, initial=-np.inf)))
    return None if lo > hi else (lo, hi)


def _display_range(dtype: np.dtype, span: tuple[float, float] | None) -> tuple[float, float]:
    """The values that map to 0 and 255 (see the module docstring)."""
    if dtype.kind == "b":
        return (0.0, 1.0)
    if dtype == np.uint8 or span is None:
        return (0.0, 255.0) if dtype.kind in "iu" else (0.0, 1.0)
    lo, hi = span
    if dtype.kind == "f" and 0.0 <= lo and hi <= 1.0:
        return (0.0, 1.0)
    if hi <= lo:  # constant: show the value itself
        return (0.0, 255.0)
    return (lo, hi)


def _ranges_by_dtype(stacks: list[np.ndarray]) -> dict[str, tuple[float, float]]:
    spans: dict[str, tuple[float, float] | None] = {}
    dtypes: dict[str, np.dtype] = {}
    for stack in stacks:
        key = stack.dtype.str
        dtypes[key] = stack.dtype
        if stack.dtype.kind == "b" or stack.dtype == np.uint8:
            spans.setdefault(key, None)
            continue
        span = _finite_range(stack)
        old = spans.get(key)
        if old is not None and span is not None:
            span = (min(old[0], span[0]), max(old[1], span[1]))
        spans[key] = span if span is not None else old
    return {k: _display_range(dtypes[k], s) for k, s in spans.items()}


def _to_uint8(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if a.dtype == np.uint8 and (lo, hi) == (0.0, 255.0):
        return np.asarray(a)
    if a.dtype.kind == "b":
        return np.asarray(a).astype(np.uint8) * np.uint8(255)
    x = np.asarray(a, dtype=np.float64 if a.dtype.itemsize > 4 else np.float32)
    x = (x - lo) * (255.0 / (hi - lo))
    x = np.nan_to_num(x, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def _array_image(u8: np.ndarray) -> Image.Image:
    if u8.ndim == 3 and u8.shape[-1] == 1:
        u8 = u8[..., 0]
    return Image.fromarray(np.ascontiguousarray(u8))  # L, RGB or RGBA by shape


# -- feature rows ----------------------------------------------------------------
#: Values a feature row's text shows in a widget.
FEATURES_SHOWN = 8


def from_features(
    features: Any,
    *,
    ids: Sequence[str] | None = None,
    items_dir: str | Path,
    progress: bool | None = None,
) -> list[ItemRecord]:
    """Feature-row items (embeddings, tabular rows), saved once under ``items_dir``.

    Parameters
    ----------
    features : array-like or DataFrame, shape (N, D)
        One row of numbers per item (bool, integer or float).
    ids : sequence of str, optional
        One unique id per row. By default a DataFrame's index (as strings) when
        it is not the default 0..N-1 range, else a hash of each row's content.
    items_dir : str or Path
        Folder for the ``.npy`` file (named by its content).
    progress : bool, optional
        Show a progress bar while hashing; by default only for at least
        :data:`PROGRESS_MIN` rows.

    Returns
    -------
    list of ItemRecord
        kind ``"features"``, uri ``npy://<file>#<row>``, ``meta["dim"]`` = D.
        :func:`workbench.ml.features.item_features` returns the stored rows for
        these items when no ``features=`` is given.
    """
    if isinstance(features, pd.DataFrame):
        if ids is None and not isinstance(features.index, pd.RangeIndex):
            ids = [str(i) for i in features.index]
        odd = [c for c, t in features.dtypes.items() if t.kind not in "biuf"]
        if odd:
            raise ItemSourceError(
                f"features: column {odd[0]!r} has dtype {features.dtypes[odd[0]]}; feature "
                "rows need numbers (encode categories first)"
            )
        table = features.to_numpy()
    else:
        try:
            table = np.asarray(features)
        except ValueError as exc:
            raise ItemSourceError(f"features cannot be read as an N x D array: {exc}") from None
    if table.ndim != 2:
        hint = "; for one row use X.reshape(1, -1)" if table.ndim == 1 else ""
        raise ItemSourceError(
            f"features has shape {table.shape}: expected (N, D), one row per item{hint}; "
            "images go to add_arrays"
        )
    if table.dtype.kind not in "biuf":
        raise ItemSourceError(f"features has dtype {table.dtype}; feature rows need numbers")
    if table.shape[1] == 0:
        raise ItemSourceError(f"features has shape {table.shape}: rows cannot be empty")
    if len(table) == 0:
        return []
    table = _native(table)
    entries = _save_arrays([(range(len(table)), table)], Path(items_dir), progress=progress)
    item_ids = (
        _check_ids(ids, len(table), "feature rows")
        if ids is not None
        else _number_repeats([e[0] for e in entries])
    )
    dim = int(table.shape[1])
    return [ItemRecord(i, "features", uri=uri, meta={"dim": dim}) for i, (_, uri, _) in zip(
        item_ids, entries, strict=True)]  # fmt: skip


def _features_text(row: np.ndarray) -> str:
    """What a widget shows of a feature row: its size and first values."""
    shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v)
                      for v in row[:FEATURES_SHOWN].tolist())  # fmt: skip
    more = f", … ({len(row)} values)" if len(row) > FEATURES_SHOWN else ""
    return f"feature row: [{shown}{more}]"


# -- texts -----------------------------------------------------------------------
def from_texts(texts: Iterable[str], *, ids: Sequence[str] | None = None) -> list[ItemRecord]:
    """Text items, kept inline; each id is a hash of the text unless ``ids`` are given."""
    if isinstance(texts, str | bytes):
        raise ItemSourceError(
            "texts must be a sequence of strings, not one string: wrap it, [text]"
        )
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ItemSourceError(
                f"texts[{i}] is {type(text).__name__} ({_snippet(text)}), not a str"
            )
    item_ids = (
        _check_ids(ids, len(texts), "texts")
        if ids is not None
        else _number_repeats([_text_id(t) for t in texts])
    )
    return [ItemRecord(i, "text", text=str(t)) for i, t in zip(item_ids, texts, strict=True)]


# -- files -----------------------------------------------------------------------
def from_uris(
    uris: Iterable[str],
    *,
    kind: str = "image",
    ids: Sequence[str] | None = None,
    progress: bool | None = None,
) -> list[ItemRecord]:
    """Items read from files by fsspec URI; nothing is downloaded.

    One metadata look-up per file (one listing per folder where many files of
    an object-store folder are asked for) gives the size and ETag that make
    the id. ``meta`` keeps ``size`` and ``etag``. A missing file raises
    :class:`~workbench.ItemReadError` naming its URI.
    """
    _check_kind(kind)
    if isinstance(uris, str | bytes | os.PathLike):
        raise ItemSourceError(
            "uris must be a list of URIs, not one URI: wrap it, [uri]; for a folder use add_folder"
        )
    uris = list(uris)
    for i, uri in enumerate(uris):
        if not isinstance(uri, str | os.PathLike):
            raise ItemSourceError(f"uris[{i}] is {type(uri).__name__} ({_snippet(uri)}), not a str")
    files = _stat_uris(
        [os.fspath(u) for u in uris], [f"uris[{i}]" for i in range(len(uris))], progress
    )
    item_ids = (
        _check_ids(ids, len(uris), "URIs")
        if ids is not None
        else [_file_id(uri, meta) for uri, meta in files]
    )
    return [ItemRecord(i, kind, uri=uri, meta=meta) for i, (uri, meta) in zip(
        item_ids, files, strict=True)]  # fmt: skip


def from_audio(
    source: Any,
    *,
    sample_rate: int | None = None,
    ids: Sequence[str] | None = None,
    items_dir: str | Path | None = None,
    progress: bool | None = None,
) -> list[ItemRecord]:
    """Audio items: files by URI (paths, ``file://``, ``s3://`` …; nothing is read or
    downloaded), or signals given as numpy arrays with their ``sample_rate``.

    Signals are a list of arrays, each frames (mono) or frames × channels, or one
    N × frames array (N mono clips of one length). Each is written once under
    ``items_dir`` as a WAV file that keeps its samples exactly (16/32-bit PCM for
    int16/int32, float otherwise); its id is a hash of the samples and the rate.
    """
    if isinstance(source, str | bytes | os.PathLike):
        raise ItemSourceError(
            "audio must be a list of URIs or of signals, not one: wrap it, [audio]"
        )
    if isinstance(source, np.ndarray):
        if source.ndim < 2:
            raise ItemSourceError(
                "one signal must be wrapped in a list, [signal]: an array is taken as "
                f"N clips × frames (× channels), got shape {source.shape}"
            )
        signals: list[Any] = list(source)
    else:
        signals = list(source)
    if signals and all(isinstance(s, str | os.PathLike) for s in signals):
        if sample_rate is not None:
            raise ItemSourceError("sample_rate= is for signals; a file's header gives its rate")
        return from_uris(signals, kind="audio", ids=ids, progress=progress)
    if items_dir is None:
        raise ItemSourceError("signals are saved under items_dir; none was given")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Integral) or not (
        1 <= int(sample_rate) <= 1_000_000
    ):  # fmt: skip
        raise ItemSourceError(
            f"signals need sample_rate=, a whole number of Hz from 1 to 1,000,000; "
            f"got {sample_rate!r}"
        )
    rate = int(sample_rate)
    arrays = [_as_signal(s, f"audio[{i}]") for i, s in enumerate(signals)]
    hashes = [
        _hash(b"wb.audio", f"{a.dtype.str}|{a.shape}|{rate}|".encode(), a.view(np.uint8))
        for a in arrays
    ]
    item_ids = _check_ids(ids, len(arrays), "signals") if ids is not None else (
        _number_repeats(hashes))  # fmt: skip
    folder = Path(items_dir).expanduser()
    out = []
    with progress_bar(len(arrays), "writing audio", progress, unit="clip") as bar:
        for item_id, digest, a in zip(item_ids, hashes, arrays, strict=True):
            path = folder / f"{digest}.wav"
            if not path.exists():
                folder.mkdir(parents=True, exist_ok=True)
                _write_atomic(path, lambda f, a=a: write_audio(f, a, rate))
            meta = {"sample_rate": rate, "channels": 1 if a.ndim == 1 else int(a.shape[1]),
                    "frames": int(a.shape[0]), "size": path.stat().st_size}  # fmt: skip
            out.append(ItemRecord(item_id, "audio", uri=f"items://{path.name}", meta=meta))
            bar.update(1)
    return out


def from_video(
    source: Any,
    *,
    fps: float | None = None,
    ids: Sequence[str] | None = None,
    items_dir: str | Path | None = None,
    progress: bool | None = None,
) -> list[ItemRecord]:
    """Video items: files by URI (nothing is read or downloaded), or clips given as
    ``T × H × W × 3`` uint8 RGB arrays with their ``fps``, each written once under
    ``items_dir`` as an FFV1 ``.mkv`` that keeps every pixel; its id is a hash of
    the frames and the rate."""
    if isinstance(source, str | bytes | os.PathLike) or (
        isinstance(source, np.ndarray) and source.ndim == 4
    ):  # fmt: skip
        raise ItemSourceError("video must be a list of URIs or of clips, not one: wrap it, [video]")
    clips = list(source)
    if clips and all(isinstance(c, str | os.PathLike) for c in clips):
        if fps is not None:
            raise ItemSourceError("fps= is for clips given as arrays; a file says its own rate")
        return from_uris(clips, kind="video", ids=ids, progress=progress)
    if items_dir is None:
        raise ItemSourceError("clips are saved under items_dir; none was given")
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 0 < float(fps) <= 1000:
        raise ItemSourceError(f"clips need fps=, a frame rate from 0 to 1000, got {fps!r}")
    arrays = []
    for i, clip in enumerate(clips):
        a = np.asarray(clip)
        if a.dtype != np.uint8 or a.ndim != 4 or a.shape[-1] != 3 or 0 in a.shape:
            raise ItemSourceError(
                f"video[{i}]: a clip is T × H × W × 3 uint8 RGB frames, got {a.dtype} {a.shape}"
            )
        if a.shape[1] % 2 or a.shape[2] % 2:
            raise ItemSourceError(
                f"video[{i}]: frame height and width must be even, got {a.shape[1:3]}"
            )
        arrays.append(np.ascontiguousarray(a))
    hashes = [_hash(b"wb.video", f"{a.shape}|{float(fps)!r}|".encode(), a.view(np.uint8))
              for a in arrays]  # fmt: skip
    item_ids = _check_ids(ids, len(arrays), "clips") if ids is not None else _number_repeats(hashes)
    folder = Path(items_dir).expanduser()
    out = []
    with progress_bar(len(arrays), "writing video", progress, unit="clip") as bar:
        for item_id, digest, a in zip(item_ids, hashes, arrays, strict=True):
            path = folder / f"{digest}.mkv"
            if not path.exists():
                folder.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp.mkv")
                try:
                    write_video(tmp, a, float(fps))
                    os.replace(tmp, path)
                finally:
                    tmp.unlink(missing_ok=True)
            meta = {"frames": int(a.shape[0]), "fps": float(fps), "width": int(a.shape[2]),
                    "height": int(a.shape[1]), "size": path.stat().st_size}  # fmt: skip
            out.append(ItemRecord(item_id, "video", uri=f"items://{path.name}", meta=meta))
            bar.update(1)
    return out


def _as_signal(value: Any, where: str) -> np.ndarray:
    """A signal as a contiguous native array: frames, or frames × channels."""
    try:
        a = np.asarray(value)
    except Exception as exc:
        raise ItemSourceError(f"{where} is not an array of samples: {exc}") from exc
    if a.dtype == bool or a.dtype.kind not in "iuf":
        raise ItemSourceError(f"{where}: samples must be numbers, got dtype {a.dtype}")
    if a.ndim not in (1, 2) or a.shape[0] == 0 or (a.ndim == 2 and not 1 <= a.shape[1] <= 64):
        raise ItemSourceError(
            f"{where}: a signal is frames or frames × channels (1 to 64 channels, at least "
            f"one frame), got shape {a.shape}"
        )
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ItemSourceError(f"{where}: samples must be finite (no NaN or infinity)")
    if a.dtype.kind in "iu" and a.dtype not in (np.int16, np.int32, np.uint8):
        lo, hi = int(a.min()), int(a.max())
        if np.iinfo(np.int32).min <= lo and hi <= np.iinfo(np.int32).max:
            a = a.astype(np.int32)
        else:
            raise ItemSourceError(f"{where}: integer samples must fit 32 bits")
    return np.ascontiguousarray(_native(a))


def from_folder(
    path: str | os.PathLike, *, recursive: bool = True, progress: bool | None = None
) -> list[ItemRecord]:
    """Image items for every image file under a local folder or fsspec URL.

    One listing call; files are recognised by extension (:data:`IMAGE_EXTENSIONS`,
    any case), sorted by path. Hidden files and folders (names starting with
    ``.``, such as macOS ``._photo.jpg`` resource forks) are skipped. Ids as in
    :func:`from_uris`.
    """
    url = os.fspath(path)
    fs, root = fsspec.core.url_to_fs(url)
    local = isinstance(fs, LocalFileSystem)
    if local:
        root = os.path.normpath(root)
    else:
        root = root.rstrip("/") or root
        fs.invalidate_cache(root)  # a listing cached earlier in the session may be stale
    try:
        found = fs.find(root, maxdepth=None if recursive else 1, detail=True)
    except FileNotFoundError:
        found = {}
    if not found and not fs.exists(root):
        raise ItemReadError(f"no folder at {url!r}")
    files: list[tuple[str, dict[str, Any]]] = []
    hidden = 0
    bar = progress_bar(len(found), "listing image files", progress, unit="file")
    for name, info in found.items():
        bar.update(1)
        if info.get("type") == "directory":
            continue
        p = fs._strip_protocol(name)
        if os.path.splitext(p)[1].lower() not in IMAGE_EXTENSIONS:
            continue
        rel = p[len(root) :] if p.startswith(root) else p.rsplit("/", 1)[-1]
        if any(part.startswith(".") for part in rel.split("/") if part):
            hidden += 1
            continue
        if "size" not in info:  # find() on a single file gives it no details
            info = fs.info(p)
        files.append((p, info))
    bar.close()
    if not files:
        note = f" ({hidden} hidden ones skipped)" if hidden else ""
        where = "under" if recursive else "directly in"
        raise ItemSourceError(
            f"no image files ({', '.join(e[1:] for e in IMAGE_EXTENSIONS)}) {where} {url!r}{note}"
        )
    files.sort(key=lambda f: f[0])
    records = []
    for p, info in files:
        uri = p if local else fs.unstrip_protocol(p)
        meta = _file_meta(info)
        records.append(ItemRecord(_file_id(uri, meta), "image", uri=uri, meta=meta))
    return records


def _file_meta(info: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if info.get("size") is not None:
        meta["size"] = int(info["size"])
    etag = next((info[k] for k in _ETAG_KEYS if info.get(k)), None)
    if etag is not None:
        meta["etag"] = str(etag).strip('"')
    return meta


def progress_bar(total: int, desc: str, progress: bool | None = None, unit: str = "item"):
    """A ``tqdm.auto`` bar over ``total`` steps: shown when ``progress`` is True, never
    when it is False, and by default (None) only for at least :data:`PROGRESS_MIN`
    steps (hidden, it costs nothing). The one rule for every long call: adding
    items, imports and exports."""
    from tqdm.auto import tqdm

    shown = progress if progress is not None else total >= PROGRESS_MIN
    return tqdm(total=total, desc=desc, unit=unit, disable=not shown)


def _stat_uris(
    uris: list[str], where: list[str], progress: bool | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """``(canonical uri, meta)`` per URI, from metadata only."""
    groups: dict[Hashable, list[int]] = {}
    for i, uri in enumerate(uris):
        key = uri if "::" in uri else fsspec.utils.get_protocol(uri)
        groups.setdefault(key, []).append(i)
    out: list[Any] = [None] * len(uris)
    with progress_bar(len(uris), "reading file metadata", progress, unit="file") as bar:
        for idx in groups.values():
            fs = fsspec.core.url_to_fs(uris[idx[0]])[0]
            local = isinstance(fs, LocalFileSystem)
            chained = "::" in uris[idx[0]]
            paths = []
            for i in idx:
                p = fsspec.core.url_to_fs(uris[i])[1] if chained else fs._strip_protocol(uris[i])
                paths.append(os.path.normpath(p) if local else p)
            infos = _infos(fs, paths, bar)
            missing = []
            for i, p in zip(idx, paths, strict=True):
                info = infos[p]
                if isinstance(info, FileNotFoundError):
                    missing.append(i)
                    continue
                if isinstance(info, BaseException):
                    raise ItemReadError(
                        f"cannot read the metadata of {uris[i]!r} ({where[i]}): {info}"
                    ) from info
                if info.get("type") == "directory":
                    raise ItemSourceError(
                        f"{where[i]} = {uris[i]!r} is a folder; add folders with add_folder"
                    )
                canonical = uris[i] if chained else p if local else fs.unstrip_protocol(p)
                out[i] = (canonical, _file_meta(info))
            if missing:
                more = f" (and {len(missing) - 1} more missing)" if len(missing) > 1 else ""
                first = missing[0]
                raise ItemReadError(f"no file at {uris[first]!r} ({where[first]}){more}")
    return out


def _infos(fs: Any, paths: list[str], bar: Any) -> dict[str, Any]:
    """``fs.info`` of each path (an exception where it failed), in as few round trips as
    the filesystem allows."""
    todo = list(dict.fromkeys(paths))
    infos: dict[str, Any] = {}
    if isinstance(fs, LocalFileSystem):
        for p in todo:
            try:
                infos[p] = fs.info(p)
            except OSError as exc:
                infos[p] = exc
            bar.update(1)
        return infos
    by_parent: dict[str, list[str]] = {}
    for p in todo:
        by_parent.setdefault(fs._parent(p), []).append(p)
    for parent in by_parent:
        fs.invalidate_cache(parent)  # metadata cached earlier in the session may be stale
    rest: list[str] = []
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    listable = not {"http", "https"} & set(protocols)  # a web page is not a listing
    for parent, group in by_parent.items():
        if not listable or len(group) < LIST_MIN:
            rest.extend(group)
            continue
        try:
            listing = {fs._strip_protocol(e["name"]): e for e in fs.ls(parent, detail=True)}
        except (FileNotFoundError, NotADirectoryError):
            listing = {}
        for p in group:
            if p in listing:
                infos[p] = listing[p]
                bar.update(1)
            else:  # missing, or named differently by the listing: ask for it directly
                rest.append(p)
    if getattr(fs, "async_impl", False):
        from fsspec.asyn import sync

        async def gather(chunk: list[str]) -> list[Any]:
            return await asyncio.gather(*(fs._info(p) for p in chunk), return_exceptions=True)

        for start in range(0, len(rest), INFO_BATCH):
            chunk = rest[start : start + INFO_BATCH]
            infos.update(zip(chunk, sync(fs.loop, gather, chunk), strict=True))
            bar.update(len(chunk))
    else:
        for p in rest:
            try:
                infos[p] = fs.info(p)
            except Exception as exc:  # reported with the URI by the caller
                infos[p] = exc
            bar.update(1)
    return infos


# -- data frames -----------------------------------------------------------------
def from_dataframe(
    df: pd.DataFrame,
    *,
    image: str | None = None,
    text: str | None = None,
    id: str | None = None,  # noqa: A002 - mirrors the column role
    items_dir: str | Path,
) -> list[ItemRecord]:
    """Items from the rows of ``df``, in row order.

    Give exactly one of ``image`` (a column of paths/URIs, numpy arrays, PIL
    images, encoded image bytes, or ``{"bytes": ..., "path": ...}`` dicts as
    Hugging Face datasets give) and ``text`` (a column of strings). Arrays are
    saved under ``items_dir`` stacked per shape and dtype (as in
    :func:`from_arrays`); PIL images as PNG and bytes as given, in files named
    by their content, so they can be read again in another kernel. ``id``
    names a column of unique ids (used as strings); by default ids are hashes
    as in the other sources.
    """
    if not isinstance(df, pd.DataFrame):
        raise ItemSourceError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if (image is None) == (text is None):
        raise ItemSourceError("give exactly one of image= and text=: the column holding the items")
    role, column = ("image", image) if image is not None else ("text", text)
    _check_column(df, column, role)
    labels = list(df.index)
    ids = None
    if id is not None:
        _check_column(df, id, "id")
        ids = _column_ids(df[id], id)
    values = list(df[column])
    if role == "text":
        for label, value in zip(labels, values, strict=True):
            if not isinstance(value, str):
                raise ItemSourceError(
                    f"column {column!r}, row {label!r}: {type(value).__name__} "
                    f"({_snippet(value)}), not a str"
                )
        return from_texts(values, ids=ids)
    return _image_column(values, [f"column {column!r}, row {lb!r}" for lb in labels], ids,
                         Path(items_dir))  # fmt: skip


def _check_column(df: pd.DataFrame, column: Any, role: str) -> None:
    if column not in df.columns:
        raise ItemSourceError(
            f"{role}={column!r}: no such column; the columns are {list(df.columns)}"
        )


def _column_ids(series: pd.Series, column: str) -> list[str]:
    labels = list(series.index)
    missing = series.isna().to_numpy()
    if missing.any():
        raise ItemSourceError(
            f"id column {column!r} is empty in row {labels[int(missing.argmax())]!r}"
        )
    ids = [str(v) for v in series]
    _check_unique(ids, lambda ij: f"rows {labels[ij[0]]!r} and {labels[ij[1]]!r} of {column!r}")
    return ids


def _image_column(
    values: list[Any], where: list[str], ids: list[str] | None, items_dir: Path
) -> list[ItemRecord]:
    n = len(values)
    entries: list[Any] = [None] * n  # (id, uri, meta)
    uri_rows: list[int] = []
    array_rows: list[int] = []
    for i, value in enumerate(values):
        if isinstance(value, dict) and ("bytes" in value or "path" in value):
            value = value.get("bytes") or value.get("path")  # a Hugging Face image cell
        if isinstance(value, str | os.PathLike):
            values[i] = os.fspath(value)
            uri_rows.append(i)
        elif isinstance(value, np.ndarray):
            values[i] = value
            array_rows.append(i)
        elif isinstance(value, Image.Image) and value.mode in ("I", "F"):
            values[i] = np.asarray(value)  # 32-bit grey: kept exactly, as an array
            array_rows.append(i)
        elif isinstance(value, Image.Image):
            entries[i] = _save_pil(value, where[i], items_dir)
        elif isinstance(value, bytes | bytearray | memoryview):
            entries[i] = _save_encoded(bytes(value), where[i], items_dir)
        else:
            raise ItemSourceError(
                f"{where[i]}: {type(value).__name__} ({_snippet(value)}) is not an image; "
                "expected a path or URI, a numpy array, a PIL image or encoded bytes"
            )
    if uri_rows:
        files = _stat_uris([values[i] for i in uri_rows], [where[i] for i in uri_rows])
        for i, (uri, meta) in zip(uri_rows, files, strict=True):
            entries[i] = (_file_id(uri, meta), uri, meta)
    if array_rows:
        saved = _save_images([values[i] for i in array_rows], [where[i] for i in array_rows],
                             items_dir)  # fmt: skip
        for i, entry in zip(array_rows, saved, strict=True):
            entries[i] = entry
    if ids is None:
        from_file = set(uri_rows)
        ids = _number_repeats([e[0] for e in entries], [i not in from_file for i in range(n)])
    return [ItemRecord(i, "image", uri=uri, meta=meta) for i, (_, uri, meta) in zip(
        ids, entries, strict=True)]  # fmt: skip


def _save_pil(im: Image.Image, where: str, items_dir: Path) -> tuple[str, str, dict[str, Any]]:
    if im.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        # PNG cannot hold these as they are; colour modes become RGB(A).
        im = im.convert("RGBA" if "A" in im.mode or "a" in im.mode else "RGB")
    palette = bytes(im.getpalette() or []) if im.mode == "P" else b""
    header = f"{im.mode}|{im.size}|".encode()
    digest = _hash(b"wb.pil", header, palette, im.tobytes(), size=16)
    path = items_dir / f"{digest}.png"
    if not path.exists():
        items_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, lambda f: im.save(f, format="PNG"))
    return digest[:16], f"items://{path.name}", {}


def _save_encoded(data: bytes, where: str, items_dir: Path) -> tuple[str, str, dict[str, Any]]:
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = im.format or ""
    except Exception as exc:
        raise ItemSourceError(
            f"{where}: these bytes are not an image PIL can read ({exc})"
        ) from exc
    digest = _hash(b"wb.bytes", data, size=16)
    path = items_dir / f"{digest}.{_FORMAT_EXT.get(fmt, fmt.lower() or 'img')}"
    if not path.exists():
        items_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, lambda f: f.write(data))
    return digest[:16], f"items://{path.name}", {"size": len(data)}


# -- reading ---------------------------------------------------------------------
class _LRU:
    """A thread-safe least-recently-used map bounded by entries and by bytes."""

    def __init__(self, max_items: int, max_bytes: int) -> None:
        self.max_items, self.max_bytes = max_items, max_bytes
        self._data: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> None:
        if nbytes > self.max_bytes // 4:  # one huge entry would evict everything else
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, nbytes)
            self._bytes += nbytes
            while self._data and (len(self._data) > self.max_items or self._bytes > self.max_bytes):
                _, (_, size) = self._data.popitem(last=False)
                self._bytes -= size

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)


class ItemReader:
    """Reads items back: the item itself (:meth:`load`), or what a widget sends
    (:meth:`render`, :meth:`thumbnail`).

    Parameters
    ----------
    items_dir : str or Path
        The folder ``npy://`` and ``items://`` URIs are relative to.
    byte_cache_bytes : int
        Budget of the LRU cache of bytes read from remote filesystems.
    thumbnail_cache_size : int
        How many thumbnails the in-memory LRU keeps.

    Safe to use from several threads. Every failure to read or decode an item
    raises :class:`~workbench.ItemReadError` naming the item's id and URI.
    """

    def __init__(
        self,
        items_dir: str | Path,
        *,
        byte_cache_bytes: int = 128 << 20,
        thumbnail_cache_size: int = 4096,
    ) -> None:
        self.items_dir = Path(items_dir).expanduser().resolve()
        self._lock = threading.Lock()
        self._memmaps: dict[str, np.ndarray] = {}
        self._ranges: dict[str, tuple[float, float]] = {}
        self._bytes = _LRU(max_items=100_000, max_bytes=byte_cache_bytes)
        self._thumbnails = _LRU(max_items=thumbnail_cache_size, max_bytes=256 << 20)
        self._media = _LRU(max_items=MEDIA_CACHE_SIZE, max_bytes=MEDIA_CACHE_SIZE)

    # -- public -----------------------------------------------------------------
    def load(self, record: ItemRecord) -> Image.Image | str | Audio:
        """The item: a PIL image (EXIF orientation applied), a string, or an
        :class:`~workbench.media.Audio` (header and samples read on demand)."""
        if record.kind == "text":
            return self._text(record)
        if record.kind == "audio":
            return self.audio(record)
        if record.kind == "video":
            return self.video(record)
        if record.kind == "features":
            return np.array(self._features_row(record))
        self._check_image(record)
        if _is_npy(record.uri):
            return self._npy_image(record)
        data = self._read_bytes(record)
        try:
            with Image.open(io.BytesIO(data)) as im:
                out = ImageOps.exif_transpose(im)
                out.load()
                return out
        except Exception as exc:
            raise self._decode_error(record, exc) from exc

    def audio(self, record: ItemRecord) -> Audio:
        """The audio item as an :class:`~workbench.media.Audio`, kept for the next
        call (its waveform pyramid with it; cached on disk under ``items_dir``)."""
        if record.kind != "audio":
            raise ItemReadError(f"item {record.item_id!r} is of kind {record.kind!r}, not audio")
        source, version = self._media_source(record)
        uri = record.uri
        key = ("audio", record.item_id, uri, version)
        hit = self._media.get(key)
        if hit is not None:
            return hit
        audio = Audio(source, name=f"item {record.item_id!r} ({uri})",
                      cache_dir=self.items_dir / "peaks", key=version)  # fmt: skip
        self._media.put(key, audio, 1)
        return audio

    def video(self, record: ItemRecord) -> Video:
        """The video item as a :class:`~workbench.media.Video`, kept for the next call
        (its frame table and recently decoded frames with it)."""
        if record.kind != "video":
            raise ItemReadError(f"item {record.item_id!r} is of kind {record.kind!r}, not video")
        source, version = self._media_source(record)
        key = ("video", record.item_id, record.uri, version)
        hit = self._media.get(key)
        if hit is None:
            hit = Video(source, name=f"item {record.item_id!r} ({record.uri})")
            self._media.put(key, hit, 1)
        return hit

    def video_frame(self, record: ItemRecord, index: int, *, max_size: int = 960) -> dict[str, Any]:
        """Frame ``index`` of a video item as a widget shows it: JPEG (PNG when small)
        with its longest side at most ``max_size`` (never upscaled), as :meth:`render`
        gives an image (``full_width``/``full_height``: the video's size, the pixels
        shapes are given in)."""
        video = self.video(record)
        im = Image.fromarray(video.frame(index))
        full = im.size
        if max(im.size) > max_size:
            im.thumbnail((max_size, max_size), Image.Resampling.BILINEAR)
        return {**_encode(im), "full_width": full[0], "full_height": full[1]}

    def _media_source(self, record: ItemRecord) -> tuple[Any, str]:
        """What a media reader opens (a local path, or a function opening the fsspec
        file) and the version of the file it is (size, ETag, local change time)."""
        if not record.uri:
            raise ItemReadError(f"item {record.item_id!r} has no URI to read")
        uri = record.uri
        version = f"{record.meta.get('size')};{record.meta.get('etag')}"
        source: Any
        if uri.startswith("items://"):
            source = self.items_dir / uri[len("items://") :]
        elif "::" not in uri and fsspec.utils.get_protocol(uri) in ("file", "local"):
            source = Path(fsspec.core.url_to_fs(uri)[1])
        else:

            def source() -> Any:
                try:
                    return fsspec.open(uri, "rb").open()
                except FileNotFoundError as exc:
                    raise ItemReadError(f"item {record.item_id!r}: no file at {uri!r}") from exc

        if isinstance(source, Path):
            # A local file rewritten in place (same size) is another version: its change
            # time is part of the key, looked up before the cache is.
            try:
                st = source.stat()
            except OSError as exc:
                raise ItemReadError(f"item {record.item_id!r}: no file at {uri!r}") from exc
            version += f";{st.st_size};{st.st_mtime_ns}"
        return source, version

    def load_array(self, record: ItemRecord) -> np.ndarray:
        """The image as a numpy array: the original values for array items (not the
        display scaling), the decoded pixels otherwise; a feature row's values."""
        if record.kind == "features":
            return np.array(self._features_row(record))
        self._check_image(record)
        if _is_npy(record.uri):
            return np.array(self._npy_row(record))
        return np.asarray(self.load(record))

    def render(self, record: ItemRecord, *, max_size: int = 512) -> dict[str, Any]:
        """What a widget sends for an item.

        Images: ``{"kind": "image", "mime", "width", "height", "full_width",
        "full_height", "data": bytes}``, where ``full_*`` is the size of the whole
        upright image (the pixels shapes are given in), downscaled (never
        upscaled) so the longer side is at most ``max_size``; PNG for small,
        grey or transparent images, JPEG (quality 90) for larger photos, and a
        PNG or JPEG file that already fits is sent as it is.
        Texts: ``{"kind": "text", "text": str}``.
        Audio: ``{"kind": "audio", "sample_rate", "channels", "frames", "duration",
        "bins", "data": bytes}``: the whole clip's waveform in ``max_size`` bins,
        float32 ``(min, max)`` pairs (:meth:`workbench.media.Audio.peaks`).
        """
        if isinstance(max_size, bool) or not isinstance(max_size, numbers.Integral) or max_size < 1:
            raise ValueError(f"max_size must be a positive int, got {max_size!r}")
        max_size = int(max_size)
        if record.kind == "text":
            return {"kind": "text", "text": self._text(record)}
        if record.kind == "features":  # shown as text: its first values
            return {"kind": "text", "text": _features_text(self._features_row(record))}
        if record.kind == "video":
            shown = self.video_frame(record, 0, max_size=max_size)
            return {**shown, "video": self.video(record).info.to_dict()}
        if record.kind == "audio":
            audio = self.audio(record)
            peaks = audio.peaks(bins=max_size)
            pairs = np.stack([peaks["min"], peaks["max"]], axis=1).astype("<f4")
            return {"kind": "audio", **audio.info.to_dict(), "bins": peaks["bins"],
                    "data": pairs.tobytes()}  # fmt: skip
        self._check_image(record)
        start = time.perf_counter()
        if _is_npy(record.uri):
            im = self._npy_image(record)
            full = im.size
            if max(im.size) > max_size:
                im.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
            out = {**_encode(im), "full_width": full[0], "full_height": full[1]}
        else:
            out = self._render_file(record, max_size)
        took = time.perf_counter() - start
        if took > SLOW_RENDER_S:
            logger.warning("rendering item %s (%s) took %.1f s", record.item_id, record.uri, took)
        return out

    def thumbnail(self, record: ItemRecord, size: int = 128) -> dict[str, Any]:
        """:meth:`render` at ``max_size=size``, kept in an in-memory LRU cache."""
        key = (record.item_id, record.uri, size)
        hit = self._thumbnails.get(key)
        if hit is not None:
            return hit
        out = self.render(record, max_size=size)
        nbytes = len(out.get("data", b"")) + len(out.get("text", "")) + 200
        self._thumbnails.put(key, out, nbytes)
        return out

    def clear_cache(self) -> None:
        """Forget cached bytes, thumbnails and memory maps."""
        self._bytes.clear()
        self._thumbnails.clear()
        self._media.clear()
        with self._lock:
            self._memmaps.clear()
            self._ranges.clear()

    # -- helpers ----------------------------------------------------------------
    def _check_image(self, record: ItemRecord) -> None:
        if record.kind != "image":
            raise ItemReadError(
                f"item {record.item_id!r} is of kind {record.kind!r}; "
                f"this reader handles {list(KINDS)}"
            )
        if not record.uri:
            raise ItemReadError(f"item {record.item_id!r} has no URI to read")

    def _decode_error(self, record: ItemRecord, exc: BaseException) -> ItemReadError:
        return ItemReadError(
            f"item {record.item_id!r} ({record.uri}): cannot decode the image: {exc}"
        )

    def _text(self, record: ItemRecord) -> str:
        if record.text is not None:
            return record.text
        if not record.uri:
            raise ItemReadError(f"text item {record.item_id!r} has neither text nor a URI")
        data = self._read_bytes(record)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ItemReadError(
                f"item {record.item_id!r} ({record.uri}) is not UTF-8 text: {exc}"
            ) from exc

    def _read_bytes(self, record: ItemRecord) -> bytes:
        uri = record.uri or ""
        if uri.startswith("items://"):
            return self._read_local(record, self.items_dir / uri[len("items://") :])
        if "::" not in uri and fsspec.utils.get_protocol(uri) in ("file", "local"):
            return self._read_local(record, Path(fsspec.core.url_to_fs(uri)[1]))
        key = (uri, record.meta.get("etag"), record.meta.get("size"))
        data = self._bytes.get(key)
        if data is None:
            try:
                fs, path = fsspec.core.url_to_fs(uri)
                data = fs.cat_file(path)
            except FileNotFoundError as exc:
                raise ItemReadError(f"item {record.item_id!r}: no file at {uri!r}") from exc
            except Exception as exc:
                raise ItemReadError(f"item {record.item_id!r}: cannot read {uri!r}: {exc}") from exc
            self._bytes.put(key, data, len(data))
        return data

    def _read_local(self, record: ItemRecord, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ItemReadError(
                f"item {record.item_id!r}: no file at {record.uri!r} ({path})"
            ) from exc
        except OSError as exc:
            raise ItemReadError(
                f"item {record.item_id!r}: cannot read {record.uri!r}: {exc}"
            ) from exc

    def _memmap(self, record: ItemRecord, name: str) -> np.ndarray:
        with self._lock:
            arr = self._memmaps.get(name)
            if arr is None:
                path = self.items_dir / name
                try:
                    arr = np.load(path, mmap_mode="r", allow_pickle=False)
                except FileNotFoundError as exc:
                    raise ItemReadError(
                        f"item {record.item_id!r}: no array file at {record.uri!r} ({path})"
                    ) from exc
                except (OSError, ValueError) as exc:
                    raise ItemReadError(
                        f"item {record.item_id!r}: cannot read the array file of "
                        f"{record.uri!r}: {exc}"
                    ) from exc
                self._memmaps[name] = arr
        return arr

    def _npy_row(self, record: ItemRecord) -> np.ndarray:
        name, _, row = (record.uri or "")[len("npy://") :].partition("#")
        arr = self._memmap(record, name)
        try:
            index = int(row)
        except ValueError:
            index = -1
        if not 0 <= index < len(arr):
            raise ItemReadError(
                f"item {record.item_id!r}: {record.uri!r} names no row of an array of "
                f"{len(arr)} rows"
            )
        return arr[index]

    def _features_row(self, record: ItemRecord) -> np.ndarray:
        if not _is_npy(record.uri):
            raise ItemReadError(f"feature item {record.item_id!r} has no npy:// URI to read")
        return self._npy_row(record)

    def _npy_image(self, record: ItemRecord) -> Image.Image:
        row = self._npy_row(record)
        span = record.meta.get("range")
        if span is None:  # a record written without one: the whole file's range
            name = (record.uri or "")[len("npy://") :].partition("#")[0]
            with self._lock:
                span = self._ranges.get(name)
            if span is None:
                arr = self._memmap(record, name)
                span = _ranges_by_dtype([arr])[arr.dtype.str]
                with self._lock:
                    self._ranges[name] = span
        lo, hi = float(span[0]), float(span[1])
        return _array_image(_to_uint8(row, lo, hi))

    def _render_file(self, record: ItemRecord, max_size: int) -> dict[str, Any]:
        data = self._read_bytes(record)
        try:
            im = Image.open(io.BytesIO(data))
            fmt = im.format or ""
            orientation = im.getexif().get(0x0112, 1)
            # The size shapes are drawn in: the whole image, upright (EXIF 5-8 turn it).
            full = im.size[::-1] if orientation in (5, 6, 7, 8) else im.size
            sizes = {"full_width": full[0], "full_height": full[1]}
            fits = max(im.size) <= max_size and orientation == 1
            if fits and im.mode in _PASS_MODES.get(fmt, ()):
                im.load()  # decode once, so a truncated file fails here and not in the browser
                mime = "image/png" if fmt == "PNG" else "image/jpeg"
                return {"kind": "image", "mime": mime, "width": im.width, "height": im.height,
                        "data": data, **sizes}  # fmt: skip
            # JPEG decodes straight at 1/2, 1/4 or 1/8 scale: a 20-megapixel photo
            # costs about as much as a 1-megapixel one.
            # draft() needs both sides at least as asked, so ask in the image's aspect.
            scale = 2 * max_size / max(im.size)
            if scale < 1:
                im.draft(None, (max(1, int(im.width * scale)), max(1, int(im.height * scale))))
            im = _display_mode(ImageOps.exif_transpose(im))
            if max(im.size) > max_size:
                im.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
            return {**_encode(im), **sizes}
        except ItemReadError:
            raise
        except Exception as exc:
            raise self._decode_error(record, exc) from exc


def _is_npy(uri: str | None) -> bool:
    return bool(uri) and uri.startswith("npy://")


def _display_mode(im: Image.Image) -> Image.Image:
    """A mode PNG/JPEG and a browser show: L, LA, RGB or RGBA."""
    mode = im.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode in ("P", "PA"):
        return im.convert("RGBA" if mode == "PA" or "transparency" in im.info else "RGB")
    if mode.startswith("I") or mode == "F":  # 16/32-bit grey: this image's own range
        arr = np.asarray(im)
        return _array_image(_to_uint8(arr, *_display_range(arr.dtype, _finite_range(arr[None]))))
    return im.convert("RGBA" if "A" in mode or "a" in mode else "RGB")


def _encode(im: Image.Image) -> dict[str, Any]:
    im = _display_mode(im)
    buf = io.BytesIO()
    if im.mode in ("L", "LA", "RGBA") or im.width * im.height <= PNG_MAX_PIXELS:
        im.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
        mime = "image/png"
    else:
        im.save(buf, format="JPEG", quality=JPEG_QUALITY)
        mime = "image/jpeg"
    return {"kind": "image", "mime": mime, "width": im.width, "height": im.height,
            "data": buf.getvalue()}  # fmt: skip
