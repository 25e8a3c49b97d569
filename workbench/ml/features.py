"""What a model sees of an item: a row of features.

Training, pre-labeling and the active-learning loop all need "the inputs of
these item ids". :func:`item_features` gives them, from the ``features``
argument those functions take:

``None``
    the items' own values: the stored rows of items added with
    :meth:`Project.add_features` (``n × D``, float32 like every row), else the
    items' pixels (:meth:`ItemReader.load_array`), as a float32 array
    ``n × H × W [× C]`` (``flatten=False``) or ``n × D`` (``flatten=True``).
    Rows of arrays added with ``add_arrays`` or ``add_features`` are gathered
    from the memory-mapped file in one read. Text items have no pixels: pass
    ``features``.
an array (or DataFrame without an id index) of ``len(project)`` rows
    one row per item, in :meth:`Project.item_ids` order (the order items were
    added), e.g. embeddings computed once for the whole pool.
a DataFrame indexed by item id, or a mapping ``{item_id: vector}``
    looked up by id.
a callable
    ``features(item_ids) -> array`` with one row per id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ItemReadError, UnknownItemError, WorkbenchError

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["item_features", "Features"]

Features = Any  # None | np.ndarray | pd.DataFrame | Mapping[str, Any] | Callable


def item_features(
    project: Project,
    item_ids: Sequence[str],
    features: Features = None,
    *,
    flatten: bool = True,
) -> np.ndarray:
    """The model inputs of ``item_ids``: one row per id, in their order (see the module doc)."""
    ids = [str(i) for i in item_ids]
    if features is None:
        out = _pixels(project, ids)
    elif callable(features) and not isinstance(features, (np.ndarray, pd.DataFrame)):
        out = np.asarray(features(ids))
        if len(out) != len(ids):
            raise WorkbenchError(
                f"features({len(ids)} ids) returned {len(out)} rows; it must return one per id"
            )
    elif isinstance(features, Mapping):
        try:
            out = np.stack([np.asarray(features[i]) for i in ids]) if ids else np.empty((0, 0))
        except KeyError as exc:
            raise UnknownItemError(f"features has no entry for item {exc.args[0]!r}") from None
    elif isinstance(features, pd.DataFrame) and _indexed_by_id(features, project):
        missing = pd.Index(ids).difference(features.index)
        if len(missing):
            raise UnknownItemError(f"features has no row for item {missing[0]!r}")
        out = features.loc[ids].to_numpy()
    else:
        table = features.to_numpy() if isinstance(features, pd.DataFrame) else np.asarray(features)
        n = len(project)
        if table.ndim < 1 or len(table) != n:
            raise WorkbenchError(
                f"features has {len(table) if table.ndim else 0} rows but the project has "
                f"{n} items; give one row per item in project.item_ids() order, a DataFrame "
                "indexed by item id, a mapping or a callable"
            )
        out = table[item_positions(project, ids)]
    out = np.asarray(out)
    if out.dtype.kind in "biuf" and out.dtype != np.float64:
        out = out.astype(np.float32, copy=False)
    if flatten and out.ndim > 2:
        out = out.reshape(len(out), -1)
    return out


def _indexed_by_id(df: pd.DataFrame, project: Project) -> bool:
    if not len(df) or df.index.dtype.kind not in "OSU":
        return False
    return not project.store.missing_items([str(df.index[0])])


def item_positions(project: Project, ids: Sequence[str]) -> np.ndarray:
    """Row of each of ``ids`` in the project's item order (cached per project size)."""
    cache = getattr(project, "_position_cache", None)
    n = len(project)
    if cache is None or cache[0] != n:
        index = {iid: i for i, iid in enumerate(project.item_ids())}
        cache = (n, index)
        project._position_cache = cache  # type: ignore[attr-defined]
    index = cache[1]
    try:
        return np.fromiter((index[i] for i in ids), dtype=np.int64, count=len(ids))
    except KeyError as exc:
        raise UnknownItemError(f"no item {exc.args[0]!r} in this project") from None


def _pixels(project: Project, ids: list[str]) -> np.ndarray:
    if not ids:
        return np.empty((0, 0), dtype=np.float32)
    records = project.store.get_items(ids)
    if len(records) != len(ids):
        found = {r.item_id for r in records}
        missing = next(i for i in ids if i not in found)
        raise UnknownItemError(f"no item {missing!r} in this project")
    texts = [r.item_id for r in records if r.kind not in ("image", "features")]
    if texts:
        raise ItemReadError(
            f"item {texts[0]!r} is of kind text and has no pixels: pass features= "
            "(e.g. embeddings, one row per item) to train or pre-label on texts"
        )
    reader = project.reader
    # Rows of one saved array: gather them with one fancy index, not one read each.
    by_file: dict[str, list[tuple[int, int]]] = {}
    others: list[int] = []
    for pos, rec in enumerate(records):
        uri = rec.uri or ""
        if uri.startswith("npy://"):
            name, _, row = uri[len("npy://") :].partition("#")
            if row.isdigit():
                by_file.setdefault(name, []).append((pos, int(row)))
                continue
        others.append(pos)
    arrays: list[np.ndarray | None] = [None] * len(records)
    out: np.ndarray | None = None
    for name, pairs in by_file.items():
        arr = reader._memmap(records[pairs[0][0]], name)
        rows = np.array([r for _, r in pairs])
        if rows.max() >= len(arr):
            bad = pairs[int(np.argmax(rows >= len(arr)))][0]
            raise ItemReadError(f"item {records[bad].item_id!r}: {records[bad].uri!r} names no row")
        block = np.asarray(arr[rows], dtype=np.float32)
        if out is None and len(by_file) == 1 and not others:
            out = np.empty((len(records), *block.shape[1:]), dtype=np.float32)
        if out is not None:
            out[[p for p, _ in pairs]] = block
        else:
            for (p, _), row in zip(pairs, block, strict=True):
                arrays[p] = row
    if out is not None:
        return out
    for p in others:
        arrays[p] = np.asarray(reader.load_array(records[p]), dtype=np.float32)
    shapes = {a.shape for a in arrays if a is not None}
    if len(shapes) > 1:
        raise ItemReadError(
            f"items have different shapes {sorted(shapes)[:3]}: resize them in a "
            "transform, or pass features= with one row per item"
        )
    return np.stack(arrays)  # type: ignore[arg-type]
