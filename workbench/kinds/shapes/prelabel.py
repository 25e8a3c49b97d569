"""Pre-labeling for shapes tasks: boxes, masks, polygons and keypoints from a model.

:func:`prelabel_shapes` (reached through :func:`workbench.prelabel.prelabel`
and :meth:`Project.prelabel` when the task is a :class:`~workbench.Shapes`
task) runs a model over the items in batches and stores, per item, one
``prelabel`` event whose value is the item's list of shapes, each with the
model's ``score``. The annotation widget shows them as editable suggestions.

What the model sees
-------------------
Each image as a ``C × H × W`` float32 array with values in ``[0, 1]``, as
torchvision's detection models take it: 8-bit pixels are divided by 255,
wider integers by 65535, floats are kept as stored; grey images are repeated
to 3 channels and an alpha channel is dropped. A ``torch.nn.Module`` gets a
list of such tensors on its device (``model(images)``, torchvision's calling
convention), under ``torch.inference_mode`` and, on a GPU, mixed precision;
any other callable gets a list of numpy arrays. With
``outputs="segmentation"`` the model gets one stacked ``B × C × H × W``
tensor (array) instead, a batch split into runs of images of equal size.
``max_size`` shrinks large images before the model; ``transform(image)``
replaces each input by what it returns (a normalisation, a resize …).

What the model returns, per batch
---------------------------------
* **Detections** (torchvision's form): a list with one dict per image,
  ``boxes`` ``N × 4`` (``x1, y1, x2, y2``), ``labels`` ``N`` ints, optional
  ``scores`` ``N`` in ``[0, 1]``, ``masks`` ``N × 1 × h × w`` (or
  ``N × h × w``) probabilities and ``keypoints`` ``N × K × 3``
  (``x, y, visibility``) or ``N × K × 2``. Other keys are ignored.
* **Semantic segmentation**: ``B × K × h × w`` logits or probabilities (or
  torchvision's ``{"out": …}``): each pixel goes to its most probable class,
  giving at most one mask per class, whose score is the mean over its pixels
  of that top probability.
* **Shapes**: a list with one list of shape dicts per image, in the format of
  :mod:`workbench.kinds.shapes.schema` (``score`` optional), validated by the task.

Coordinates are those of the model's input: when it was resized (by
``max_size`` or ``transform``, read from the input's last two dimensions),
boxes and points are scaled back to the full-size image and masks are
resized to it (bilinear on probabilities, then thresholded; RLE masks in
shape dicts nearest-neighbour).

Label ids
---------
Without ``label_map``, torchvision's convention: label ``k`` is the task's
class ``k - 1`` and label 0 is the background (dropped). A segmentation map
with as many channels as the task has classes maps channel ``k`` to class
``k``; with one more, channel 0 is the background. ``label_map`` is either a
dict ``{id: class name or None}`` (None drops that label; every name must be
a class of the task, every id the model gives must be in it), or the model's
own class names in id order, such as torchvision's
``weights.meta["categories"]``: ids whose name is a class of the task map to
it, every other id is dropped.

Which shapes a detection gives
------------------------------
By default (``types=None``) the most detailed one the model gave and the task
has a tool for: keypoints (for a class with a skeleton), else a mask (a
polygon per connected part with ``as_polygons=True``, or when the task has
polygons but no masks), else a box. ``types=("box", "mask")`` makes each of
those for every detection. A task with ``masks="semantic"`` holds at most one
mask per class, so two detected masks of one class are refused there: use a
segmentation model, polygons or boxes for it.
"""

from __future__ import annotations

import logging
import math
import numbers
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ... import masks as _masks
from ...errors import ItemReadError, MissingDependencyError, SchemaError, WorkbenchError, require
from ...ml.predictions import save_run, saved_runs
from ...ml.runner import (
    EVENT_CHUNK,
    Batches,
    TorchRunner,
    checked_item_ids,
    identity,
    new_model_id,
    resolve_device,
)

if TYPE_CHECKING:
    from ...project import Project
    from .schema import Shapes

__all__ = ["prelabel_shapes", "ShapePrelabels", "ModelOutputError"]

logger = logging.getLogger("workbench.prelabel")
logger.addHandler(logging.NullHandler())

OUTPUTS = ("auto", "detection", "segmentation", "shapes")
#: Shape types a detection can become.
DETECTION_TYPES = ("box", "mask", "polygon", "keypoints")
#: Largest distance (px) between a mask's traced outline and its polygon: drops the
#: collinear points of the pixel staircase but keeps the half-pixel corner cuts, so a
#: rectangle of pixels keeps its exact extent.
POLYGON_TOLERANCE = 0.25
_SUM_TOL = 5e-3
_RUN_FILE = "shapes.json"


class ModelOutputError(WorkbenchError, ValueError):
    """A model's output for an item is malformed; the message names the item and field."""


@dataclass(frozen=True, repr=False, eq=False)
class ShapePrelabels:
    """What a shapes pre-labeling run produced.

    Attributes
    ----------
    model : str
        ``"name@version"``; the events' annotator is ``model:name@version``.
    task : str
    frame : pandas.DataFrame
        One row per item, in run order: ``item_id``, ``shapes`` (how many),
        ``score`` (the event's score: the mean of its shapes' scores, NaN when
        none has one) and one count column per shape type of the task.
    values : dict
        ``{item_id: [shape, ...]}``: each item's shapes as stored.
    written : bool
        Whether ``prelabel`` events were appended.
    """

    model: str
    task: str
    frame: pd.DataFrame
    values: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    written: bool = True

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def ids(self) -> list[str]:
        return self.frame["item_id"].tolist()

    @property
    def n_shapes(self) -> int:
        return int(self.frame["shapes"].sum())

    @property
    def mean_score(self) -> float:
        """Mean score over every shape that has one (NaN if none does)."""
        scores = [s["score"] for v in self.values.values() for s in v if "score" in s]
        return float(np.mean(scores)) if scores else math.nan

    def __repr__(self) -> str:
        return (
            f"ShapePrelabels({self.model!r}, task={self.task!r}, items={len(self)}, "
            f"shapes={self.n_shapes}, mean_score={self.mean_score:.3f})"
        )


def prelabel_shapes(
    project: Project,
    model: Any,
    *,
    task: str | None = None,
    batch_size: int = 8,
    device: str = "auto",
    name: str | None = None,
    version: int | str | None = None,
    ids: Sequence[str] | None = None,
    outputs: str = "auto",
    label_map: Mapping[int, str | None] | Sequence[str] | None = None,
    score_threshold: float = 0.5,
    mask_threshold: float = 0.5,
    max_shapes: int | None = None,
    types: Sequence[str] | None = None,
    as_polygons: bool = False,
    max_size: int | None = None,
    transform: Callable[[Any], Any] | None = None,
    amp: bool = True,
    num_workers: int = 0,
    write_events: bool = True,
    progress: bool = True,
) -> ShapePrelabels:
    """Run a detection or segmentation model over items; store its shapes as pre-labels.

    Parameters
    ----------
    project : Project
    model : torch.nn.Module or callable
        See the module docstring for what it is given and may return. A torch
        module is put in ``eval()`` mode and on ``device`` for the run, then
        given back on its own device and in its own mode.
    task : str, optional
        A shapes task; the schema's first one by default.
    batch_size : int
        Images per model call.
    device : str
        ``"auto"`` (a GPU the module already sits on, else ``cuda``, else
        ``mps``, else ``cpu``) or an explicit device, as for classification.
    name, version : optional
        The model's name (its class or function name by default) and version
        (the next integer after this name's earlier runs on the task).
    ids : sequence of str, optional
        Items to pre-label; every item by default.
    outputs : {"auto", "detection", "segmentation", "shapes"}
        What the model returns. ``"auto"`` tells detections, shape lists and
        4-D class maps apart by their type; ``"segmentation"`` also changes
        the input to one stacked tensor per batch.
    label_map : dict or sequence, optional
        Model label id → class name (see "Label ids" in the module docstring).
    score_threshold : float
        Detections (and semantic masks, and shape dicts with a score) scoring
        below it are dropped.
    mask_threshold : float
        A mask pixel is foreground where its probability is above this.
    max_shapes : int, optional
        At most this many shapes per item, the highest scoring.
    types : sequence of str, optional
        Shape types to make of each detection: some of ``box``, ``mask``,
        ``polygon``, ``keypoints``; the most detailed available by default.
    as_polygons : bool
        Masks become polygons (one per connected part, holes ignored, traced
        to within :data:`POLYGON_TOLERANCE` px); needs scikit-image.
    max_size : int, optional
        Images whose longer side exceeds it are shrunk (antialiased bilinear)
        to that size before the model; outputs are scaled back.
    transform : callable, optional
        ``transform(image) -> input`` per image, on the ``C × H × W`` input
        (a tensor for a torch module, a numpy array otherwise), in the
        DataLoader's workers when ``num_workers > 0``.
    amp : bool
        Mixed precision on CUDA and MPS.
    num_workers : int
        DataLoader worker processes reading images (not for in-memory stores).
    write_events : bool
        Append the ``prelabel`` events (the default). Either way nothing is
        written unless every item's output is valid.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    ShapePrelabels
        The run's model id, per-item counts and scores, and the shapes.

    Raises
    ------
    ModelOutputError
        A malformed output: a wrong array shape, a label with no class, a
        score outside ``[0, 1]`` …, naming the item and the output field.
    SchemaError
        Shapes that do not fit the task (unknown class, missing skeleton …),
        naming the item and the shape; or a model returning class
        probabilities (``n × K``), which only a classification task takes.

    Notes
    -----
    Every item gets one ``prelabel`` event, annotator ``model:name@version``,
    whose value is its list of shapes (``[]`` when the model found nothing
    above the thresholds) and whose score is the mean of its shapes' scores
    (None when no shape has one). Events are appended after the whole run, in
    chunks, as for classification; no probability array is saved, only a
    small record of the run (``shapes.json``) under ``models_dir`` that numbers
    the versions.
    """
    torch = require("torch", "ml")
    started = time.perf_counter()
    task_obj: Shapes = project.schema.task_of_kind(task, "shapes", purpose="shape pre-labeling")  # type: ignore[assignment]
    _check_options(batch_size, outputs, num_workers, score_threshold, mask_threshold,
                   max_shapes, max_size, task_obj, types, as_polygons)  # fmt: skip
    item_ids = checked_item_ids(project, ids)
    if isinstance(model, torch.nn.Module):
        kind = "torch"
    elif callable(model):
        kind = "callable"
    else:
        raise TypeError(
            f"model must be a torch.nn.Module or a callable returning detections, class "
            f"maps or shapes; got {type(model).__name__}"
        )
    dev = resolve_device(device, model=model if kind == "torch" else None)
    converter = _Converter(task_obj, label_map, score_threshold=score_threshold,
                           mask_threshold=mask_threshold, max_shapes=max_shapes,
                           types=types, as_polygons=as_polygons)  # fmt: skip
    saved = saved_runs(project.models_dir, task_obj.name, _RUN_FILE)
    model_id = new_model_id(model, name, version, project, task_obj.name, saved=saved)
    annotator = f"model:{model_id}"
    loader = _loader(project, item_ids, transform, batch_size, num_workers, max_size,
                     as_tensor=(kind == "torch"))  # fmt: skip
    call = _ModelCall(model, kind, dev, amp, torch)
    from tqdm.auto import tqdm

    events: list[Any] = []
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(item_ids), desc=f"prelabel {model_id}", unit="item", disable=not progress)
    try:
        with call:
            for positions, inputs, sizes in loader:
                batch_ids = [item_ids[int(p)] for p in positions]
                in_sizes = [_input_size(x, iid) for x, iid in zip(inputs, batch_ids, strict=True)]
                for iid, (kind_, raw), in_hw, full_hw in zip(
                    batch_ids, _run(call, inputs, batch_ids, outputs), in_sizes, sizes,
                    strict=True,
                ):  # fmt: skip
                    shapes = converter(iid, kind_, raw, in_hw, tuple(full_hw))
                    scores = [s["score"] for s in shapes if s.get("score") is not None]
                    score = float(np.mean(scores)) if scores else None
                    try:
                        ev = project.make_event(iid, shapes, task=task_obj.name, kind="prelabel",
                                                annotator=annotator, score=score)  # fmt: skip
                    except SchemaError as exc:
                        raise SchemaError(f"item {iid!r}: the model's shapes: {exc}") from None
                    events.append(ev)
                    rows.append(_row(iid, ev.value, score, task_obj.types))
                bar.update(len(batch_ids))
    finally:
        bar.close()
    if write_events:
        for s in range(0, len(events), EVENT_CHUNK):
            project.store.append(events[s : s + EVENT_CHUNK])
    frame = pd.DataFrame(rows, columns=["item_id", "shapes", "score", *task_obj.types])
    frame["score"] = frame["score"].astype(float)
    result = ShapePrelabels(model_id, task_obj.name, frame,
                            {ev.item_id: ev.value for ev in events}, write_events)  # fmt: skip
    _save_run(project, result, started, converter)
    logger.info(
        "workbench prelabel: %d items, %d shapes with %s on %s in %.2f s",
        len(result), result.n_shapes, model_id, dev, time.perf_counter() - started,
    )  # fmt: skip
    return result


# -- options ----------------------------------------------------------------------------
def _check_options(batch_size: int, outputs: str, num_workers: int, score_threshold: float,
                   mask_threshold: float, max_shapes: int | None, max_size: int | None,
                   task: Shapes, types: Sequence[str] | None,
                   as_polygons: bool) -> None:  # fmt: skip
    def positive_int(v: Any) -> bool:
        return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1

    if not positive_int(batch_size):
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if outputs not in OUTPUTS:
        raise ValueError(f"outputs must be one of {OUTPUTS} for a shapes task, got {outputs!r}")
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be an int >= 0, got {num_workers!r}")
    for label, v in (("score_threshold", score_threshold), ("mask_threshold", mask_threshold)):
        if not _is_number(v) or not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"{label} must be a number from 0 to 1, got {v!r}")
    if max_shapes is not None and not positive_int(max_shapes):
        raise ValueError(f"max_shapes must be a positive int or None, got {max_shapes!r}")
    if max_size is not None and not positive_int(max_size):
        raise ValueError(f"max_size must be a positive int or None, got {max_size!r}")
    if types is not None:
        if isinstance(types, str):
            types = (types,)
        wrong = [t for t in types if t not in DETECTION_TYPES]
        if wrong or not types:
            raise ValueError(f"types must be some of {list(DETECTION_TYPES)}, got {list(types)}")
        missing = [t for t in types if t not in task.types and not (t == "mask" and as_polygons)]
        if missing:
            raise SchemaError(
                f"types asks for {missing[0]!r} shapes but task {task.name!r} has no "
                f"{missing[0]!r} tool; its types: {list(task.types)}"
            )
    if as_polygons and "polygon" not in task.types:
        raise SchemaError(f"as_polygons=True but task {task.name!r} has no 'polygon' tool")


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _save_run(project: Project, result: ShapePrelabels, started: float,
              converter: _Converter) -> None:  # fmt: skip
    body = {
        "model": result.model, "task": result.task, "kind": "shapes", "created_at": started,
        "items": len(result), "shapes": result.n_shapes, "written": result.written,
        "options": converter.options(),
    }  # fmt: skip
    save_run(project.models_dir, result.task, result.model, _RUN_FILE, body)


def _row(iid: str, shapes: list[dict[str, Any]], score: float | None,
         types: Sequence[str]) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {"item_id": iid, "shapes": len(shapes),
                           "score": math.nan if score is None else score}  # fmt: skip
    for t in types:
        row[t] = sum(1 for s in shapes if s["type"] == t)
    return row


# -- inputs -------------------------------------------------------------------------------
class _ImageBatches(Batches):
    """One batch of model inputs per call: ``(positions, inputs, full sizes)``.

    Images differ in size, so a batch is a list, not a stacked array.
    """

    def __init__(self, project: Project, ids: list[str], transform: Callable | None,
                 max_size: int | None, *, as_tensor: bool) -> None:  # fmt: skip
        super().__init__(project, ids, None, transform, flatten=False, pixels=True,
                         as_tensor=as_tensor)  # fmt: skip
        self.max_size = max_size

    def __getitem__(self, positions: list[int]) -> tuple[np.ndarray, list[Any], list[Any]]:
        import torch

        project = self._project()
        records = project.store.get_items([self.ids[p] for p in positions])
        inputs: list[Any] = []
        sizes: list[tuple[int, int]] = []
        for record in records:
            x = _unit_chw(_read_image(project, record), record.item_id)
            sizes.append((int(x.shape[1]), int(x.shape[2])))
            t = torch.from_numpy(x)
            if self.max_size is not None and max(x.shape[1:]) > self.max_size:
                scale = self.max_size / max(x.shape[1:])
                size = (max(1, round(x.shape[1] * scale)), max(1, round(x.shape[2] * scale)))
                t = torch.nn.functional.interpolate(
                    t[None], size=size, mode="bilinear", align_corners=False, antialias=True
                )[0]
            x_in: Any = t if self.as_tensor else t.numpy()
            if self.transform is not None:
                x_in = self.transform(x_in)
            inputs.append(x_in)
        return np.asarray(positions, dtype=np.int64), inputs, sizes


def _read_image(project: Project, record: Any) -> np.ndarray:
    """The item's pixels as stored: array items' own values, decoded files' pixels."""
    reader = project.reader
    if record.kind != "image":
        raise ItemReadError(
            f"item {record.item_id!r} is of kind {record.kind!r}; shapes are pre-labeled on images"
        )
    if (record.uri or "").startswith("npy://"):
        return np.asarray(reader.load_array(record))
    im = reader.load(record)
    if im.mode not in ("1", "L", "LA", "RGB", "RGBA", "I", "I;16", "F"):
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    return np.asarray(im)


def _unit_chw(a: np.ndarray, item_id: str) -> np.ndarray:
    """``H × W [× C]`` → ``3 × H × W`` float32 in [0, 1] (see the module docstring)."""
    if a.dtype == bool:
        x = a.astype(np.float32)
    elif a.dtype.kind in "ui":
        x = a.astype(np.float32) / (255.0 if a.dtype.itemsize == 1 else 65535.0)
    elif a.dtype.kind == "f":
        x = a.astype(np.float32)
    else:
        raise ItemReadError(f"item {item_id!r}: pixels of dtype {a.dtype} are not an image")
    if x.ndim == 2:
        x = x[None]
    elif x.ndim == 3:
        x = x.transpose(2, 0, 1)
    else:
        raise ItemReadError(f"item {item_id!r}: an image of shape {a.shape}")
    if x.shape[0] in (1, 2):  # grey, grey + alpha
        x = np.repeat(x[:1], 3, axis=0)
    elif x.shape[0] == 4:  # RGBA
        x = x[:3]
    return np.ascontiguousarray(x)


def _input_size(x: Any, item_id: str) -> tuple[int, int]:
    shape = tuple(getattr(x, "shape", ()))
    if len(shape) < 2:
        raise ModelOutputError(
            f"item {item_id!r}: the model input has shape {shape}; transform must return an "
            "image whose last two dimensions are its height and width"
        )
    return int(shape[-2]), int(shape[-1])


def _loader(project: Project, ids: list[str], transform: Callable | None, batch_size: int,
            num_workers: int, max_size: int | None, *, as_tensor: bool) -> Any:  # fmt: skip
    from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

    if num_workers and project.store.url in ("sqlite:///:memory:", ":memory:"):
        raise WorkbenchError(
            "num_workers > 0 needs a store on disk: workers cannot reopen an in-memory store"
        )
    dataset = _ImageBatches(project, ids, transform, max_size, as_tensor=as_tensor)
    sampler = BatchSampler(SequentialSampler(range(len(ids))), batch_size, drop_last=False)
    return DataLoader(dataset, sampler=sampler, batch_size=None, collate_fn=identity,
                      num_workers=num_workers, persistent_workers=False)  # fmt: skip


# -- running the model --------------------------------------------------------------------
class _ModelCall:
    """Calls the model on a list (or stacked batch) of inputs; tensors come back as numpy."""

    def __init__(self, model: Any, kind: str, device: Any, amp: bool, torch: Any) -> None:
        self.model = model
        self.torch = torch
        self.device = device
        self.module = (
            TorchRunner(model, device, amp, "probs", False, torch) if kind == "torch" else None
        )

    def __enter__(self) -> _ModelCall:
        if self.module is not None:
            self.module.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.module is not None:
            self.module.__exit__(*exc)

    def __call__(self, x: Any) -> Any:
        torch = self.torch
        if self.module is None:
            return _to_numpy(self.model(x), torch)
        if isinstance(x, list):
            x = [torch.as_tensor(t).to(self.device, non_blocking=True) for t in x]
        else:
            x = torch.as_tensor(x).to(self.device, non_blocking=True)
        with torch.inference_mode():
            return _to_numpy(self.module.call_module(x), torch)


def _to_numpy(out: Any, torch: Any) -> Any:
    if isinstance(out, torch.Tensor):
        t = out.detach()
        if t.is_floating_point():
            t = t.float()
        return t.cpu().numpy()
    if isinstance(out, Mapping):
        return {k: _to_numpy(v, torch) for k, v in out.items()}
    if isinstance(out, list | tuple):
        return [_to_numpy(v, torch) for v in out]
    logits = getattr(out, "logits", None)  # Hugging Face style segmentation outputs
    if logits is not None and not isinstance(out, np.ndarray):
        return _to_numpy(logits, torch)
    return out


def _run(
    call: _ModelCall, inputs: list[Any], ids: list[str], outputs: str
) -> list[tuple[str, Any]]:
    """``(kind, raw output)`` per item of the batch."""
    if outputs != "segmentation":
        return _split(call(list(inputs)), ids, outputs)
    # Class maps: one stacked batch per run of equally sized inputs.
    out: list[tuple[str, Any]] = []
    start = 0
    while start < len(inputs):
        end = start + 1
        shape = tuple(inputs[start].shape)
        while end < len(inputs) and tuple(inputs[end].shape) == shape:
            end += 1
        chunk = inputs[start:end]
        if call.module is not None:
            stacked = call.torch.stack([call.torch.as_tensor(x) for x in chunk])
        else:
            stacked = np.stack([np.asarray(x) for x in chunk])
        out.extend(_split(call(stacked), ids[start:end], outputs))
        start = end
    return out


def _split(out: Any, ids: list[str], outputs: str) -> list[tuple[str, Any]]:
    n = len(ids)
    where = f"the batch of {n} item(s) starting at item {ids[0]!r}"
    seg_dict = isinstance(out, Mapping) and "out" in out and "boxes" not in out
    if outputs == "segmentation" or (
        outputs == "auto" and (seg_dict or (isinstance(out, np.ndarray) and out.ndim == 4))
    ):
        maps = out
        if isinstance(out, Mapping):  # torchvision's {"out": …}, Hugging Face's logits
            maps = out.get("out", out.get("logits"))
        if isinstance(maps, list | tuple):
            items = [np.asarray(m, dtype=np.float32) for m in maps]
            if len(items) != n or any(m.ndim != 3 for m in items):
                raise ModelOutputError(
                    f"{where}: a segmentation model returns B × K × H × W class scores; got "
                    f"{len(items)} maps of shapes {[m.shape for m in items][:3]}"
                )
            return [("segmentation", m) for m in items]
        arr = np.asarray(maps, dtype=np.float32) if not isinstance(maps, Mapping) else None
        if arr is None or arr.ndim != 4 or len(arr) != n:
            shape = None if arr is None else arr.shape
            raise ModelOutputError(
                f"{where}: a segmentation model returns B × K × H × W class scores "
                f"(B = {n}); got shape {shape}"
            )
        return [("segmentation", m) for m in arr]
    if isinstance(out, np.ndarray) and out.ndim == 2:
        raise SchemaError(
            f"{where}: the model returned a {out.shape} array, which looks like class "
            "probabilities; those need a classification task. A shapes task takes, per image, "
            "a torchvision-style dict (boxes, labels, scores …) or a list of shape dicts; pass "
            "outputs='segmentation' for B × K × H × W class maps"
        )
    if isinstance(out, Mapping) or not isinstance(out, list | tuple):
        raise ModelOutputError(
            f"{where}: the model returned {type(out).__name__}; it must return a list with one "
            "result per image (a dict with boxes, labels, scores …, or a list of shape dicts)"
        )
    if len(out) != n:
        raise ModelOutputError(f"{where}: the model returned {len(out)} results for {n} images")
    result = []
    for iid, r in zip(ids, out, strict=True):
        if isinstance(r, Mapping) and outputs in ("auto", "detection"):
            result.append(("detection", r))
        elif isinstance(r, list | tuple) and outputs in ("auto", "shapes"):
            result.append(("shapes", r))
        else:
            want = {"auto": "a dict of detections or a list of shape dicts",
                    "detection": "a dict with boxes, labels, scores …",
                    "shapes": "a list of shape dicts"}[outputs]  # fmt: skip
            raise ModelOutputError(
                f"item {iid!r}: the model's result is {type(r).__name__}; expected {want}"
            )
    return result


# -- outputs to shapes ----------------------------------------------------------------------
class _Converter:
    """Turns one item's raw model output into its list of shapes (full-image pixels)."""

    def __init__(self, task: Shapes, label_map: Any, *, score_threshold: float,
                 mask_threshold: float, max_shapes: int | None, types: Sequence[str] | None,
                 as_polygons: bool) -> None:  # fmt: skip
        self.task = task
        self.classes = task.class_names
        self.label_map = _check_label_map(label_map, task)
        self.score_threshold = float(score_threshold)
        self.mask_threshold = float(mask_threshold)
        self.max_shapes = max_shapes
        if isinstance(types, str):
            types = (types,)
        if types is not None and as_polygons:
            types = tuple(dict.fromkeys("polygon" if t == "mask" else t for t in types))
        self.types = None if types is None else tuple(types)
        self.as_polygons = bool(as_polygons)
        self._seg_outputs: str | None = None  # "probs" or "logits", decided on the first map
        if as_polygons:
            _skimage()  # fail before the run, not after the first batch

    def options(self) -> dict[str, Any]:
        return {"score_threshold": self.score_threshold, "mask_threshold": self.mask_threshold,
                "max_shapes": self.max_shapes, "types": self.types,
                "as_polygons": self.as_polygons}  # fmt: skip

    def __call__(self, iid: str, kind: str, raw: Any, in_hw: tuple[int, int],
                 full_hw: tuple[int, int]) -> list[dict[str, Any]]:  # fmt: skip
        if kind == "detection":
            return self.detections(iid, raw, in_hw, full_hw)
        if kind == "segmentation":
            return self.segmentation(iid, raw, full_hw)
        return self.shape_dicts(iid, raw, in_hw, full_hw)

    # label ids -> class names
    def names(self, iid: str, labels: np.ndarray, field_: str) -> list[str | None]:
        out: list[str | None] = []
        lm = self.label_map
        for i, lab in enumerate(labels.tolist()):
            if lm is None:
                if 1 <= lab <= len(self.classes):
                    out.append(self.classes[lab - 1])
                elif lab == 0:
                    out.append(None)
                else:
                    raise _bad(iid, f"{field_}[{i}]",
                               f"label {lab} is not a class: labels are 1 … {len(self.classes)} "
                               f"for {self.classes} (0 is the background); pass label_map= to "
                               "map the model's own label ids")  # fmt: skip
            elif lab in lm:
                out.append(lm[lab])
            else:
                raise _bad(iid, f"{field_}[{i}]", f"label {lab} is not in label_map")
        return out

    def detections(self, iid: str, d: Mapping[str, Any], in_hw: tuple[int, int],
                   full_hw: tuple[int, int]) -> list[dict[str, Any]]:  # fmt: skip
        for key in ("boxes", "labels"):
            if key not in d:
                raise _bad(iid, key, f"missing; the output has {sorted(map(str, d))}")
        boxes = _array(iid, d, "boxes", np.float64)
        if boxes.ndim == 1 and boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise _bad(iid, "boxes", f"must be N × 4 (x1, y1, x2, y2), got shape {boxes.shape}")
        n = len(boxes)
        labels = _array(iid, d, "labels", None)
        if labels.shape != (n,):
            raise _bad(iid, "labels", f"must hold N = {n} ints, got shape {labels.shape}")
        if labels.dtype.kind == "f":
            bad = ~np.isfinite(labels) | (labels != np.round(labels))
            if bad.any():
                i = int(np.argmax(bad))
                raise _bad(iid, f"labels[{i}]", f"must be an int, got {labels[i]!r}")
            labels = labels.astype(np.int64)
        elif labels.dtype.kind not in "ui":
            raise _bad(iid, "labels", f"must be ints, got dtype {labels.dtype}")
        scores = None
        if d.get("scores") is not None:
            scores = _array(iid, d, "scores", np.float64)
            if scores.shape != (n,):
                raise _bad(iid, "scores", f"must hold N = {n} numbers, got shape {scores.shape}")
            bad = ~np.isfinite(scores) | (scores < 0) | (scores > 1)
            if bad.any():
                i = int(np.argmax(bad))
                raise _bad(iid, f"scores[{i}]", f"must be from 0 to 1, got {scores[i]!r}")
        bad = ~np.isfinite(boxes).all(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise _bad(iid, f"boxes[{i}]", f"must be finite, got {boxes[i].tolist()}")
        bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
        if bad.any():
            i = int(np.argmax(bad))
            raise _bad(iid, f"boxes[{i}]", f"x2 < x1 or y2 < y1 in {boxes[i].tolist()}")
        masks = None
        if d.get("masks") is not None:
            masks = _array(iid, d, "masks", np.float32)
            if masks.ndim == 4 and masks.shape[1] == 1:
                masks = masks[:, 0]
            if masks.ndim != 3 or len(masks) != n:
                raise _bad(iid, "masks", f"must be N × 1 × H × W (N = {n}) probabilities, got "
                           f"shape {masks.shape}")  # fmt: skip
            if masks.size and (not np.isfinite(masks).all() or masks.min() < 0 or masks.max() > 1):
                raise _bad(iid, "masks", "must be probabilities in [0, 1] (apply a sigmoid)")
        keypoints = None
        if d.get("keypoints") is not None:
            keypoints = _array(iid, d, "keypoints", np.float64)
            if keypoints.ndim != 3 or len(keypoints) != n or keypoints.shape[2] not in (2, 3):
                raise _bad(iid, "keypoints", f"must be N × K × 3 (x, y, visibility), N = {n}; "
                           f"got shape {keypoints.shape}")  # fmt: skip
            if not np.isfinite(keypoints).all():
                raise _bad(iid, "keypoints", "must be finite")
        names = self.names(iid, labels, "labels")

        keep = [i for i in range(n) if names[i] is not None
                and (scores is None or scores[i] >= self.score_threshold)]  # fmt: skip
        if scores is not None:
            keep.sort(key=lambda i: -scores[i])  # stable: ties keep the model's order
        (h, w), (fh, fw) = in_hw, full_hw
        sx, sy = fw / w, fh / h
        shapes: list[dict[str, Any]] = []
        for i in keep:
            if self.max_shapes is not None and len(shapes) >= self.max_shapes:
                break
            cls_name = names[i]
            base: dict[str, Any] = {"class": cls_name}
            if scores is not None:
                base["score"] = float(scores[i])
            x1, y1, x2, y2 = boxes[i]
            box = [min(max(x1 * sx, 0.0), fw), min(max(y1 * sy, 0.0), fh),
                   min(max(x2 * sx, 0.0), fw), min(max(y2 * sy, 0.0), fh)]  # fmt: skip
            wanted = self._types_for(iid, cls_name, masks is not None, keypoints is not None)
            made: list[dict[str, Any]] = []
            binary = None
            if "mask" in wanted or "polygon" in wanted:
                binary = self._full_mask(masks[i], full_hw)
                if not binary.any():
                    binary = None  # an empty mask: the box stands for the detection
                    if self.types is None and "box" in self.task.types:
                        wanted = ("box",)
            for t in wanted:
                if t == "box":
                    bbox = [box[0], box[1], box[2] - box[0], box[3] - box[1]]
                    made.append({**base, "type": "box", "bbox": bbox})
                elif t == "keypoints":
                    points = self._keypoints(iid, i, cls_name, keypoints[i], sx, sy)
                    made.append({**base, "type": "keypoints", "points": points})
                elif binary is not None and t == "mask":
                    made.append({**base, "type": "mask", "rle": _masks.encode(binary)})
                elif binary is not None and t == "polygon":
                    made.extend({**base, "type": "polygon", "points": p}
                                for p in _polygons(binary))  # fmt: skip
            shapes.extend(made)
        return shapes[: self.max_shapes] if self.max_shapes is not None else shapes

    def _types_for(self, iid: str, cls_name: str, has_masks: bool,
                   has_keypoints: bool) -> tuple[str, ...]:  # fmt: skip
        tools = self.task.types
        skeleton = self.task.skeleton(cls_name)
        if self.types is not None:
            for t in self.types:
                if t in ("mask", "polygon") and not has_masks:
                    raise _bad(iid, "masks", f"missing, but types asks for {t!r} shapes")
                if t == "keypoints":
                    if not has_keypoints:
                        raise _bad(iid, "keypoints", "missing, but types asks for keypoints")
                    if skeleton is None:
                        raise SchemaError(
                            f"item {iid!r}: types asks for keypoints but class {cls_name!r} "
                            f"has no skeleton in task {self.task.name!r}"
                        )
            return self.types
        if has_keypoints and "keypoints" in tools and skeleton is not None:
            return ("keypoints",)
        if has_masks:
            if "polygon" in tools and (self.as_polygons or "mask" not in tools):
                return ("polygon",)
            if "mask" in tools:
                return ("mask",)
        if "box" in tools:
            return ("box",)
        raise SchemaError(
            f"item {iid!r}: task {self.task.name!r} has no box tool and the model gave no "
            f"{'masks' if not has_masks else 'masks it can hold'} for class {cls_name!r}; "
            f"its types: {list(tools)}"
        )

    def _full_mask(self, prob: np.ndarray, full_hw: tuple[int, int]) -> np.ndarray:
        if prob.shape != tuple(full_hw):
            prob = _resize(prob[None], full_hw)[0]
        return prob > self.mask_threshold

    def _keypoints(self, iid: str, i: int, cls_name: str, kp: np.ndarray, sx: float,
                   sy: float) -> list[list[float]]:  # fmt: skip
        skeleton = self.task.skeleton(cls_name)
        if skeleton is None or len(kp) != len(skeleton.points):
            want = "no skeleton" if skeleton is None else f"{len(skeleton.points)} points"
            raise _bad(
                iid, f"keypoints[{i}]", f"{len(kp)} points, but class {cls_name!r} has {want}"
            )
        # torchvision marks every predicted point 1 ("visible"); COCO's visible is 2.
        vis = kp[:, 2] > 0 if kp.shape[1] == 3 else np.ones(len(kp), bool)
        return [[float(x * sx), float(y * sy), 2 if v else 0]
                for (x, y), v in zip(kp[:, :2], vis, strict=True)]  # fmt: skip

    def segmentation(self, iid: str, scores: np.ndarray, full_hw: tuple[int, int]) -> list[dict]:
        k = scores.shape[0]
        names = self._channel_names(iid, k)
        if not np.isfinite(scores).all():
            raise _bad(iid, "out", "class scores must be finite")
        looks = _looks_like_probs(scores)
        if self._seg_outputs is None:
            # Decided once, on the first map, so every item is treated alike.
            self._seg_outputs = "probs" if looks else "logits"
        elif self._seg_outputs == "probs" and not looks:
            raise _bad(
                iid, "out", "the first class map looked like probabilities but this one does "
                "not: values outside [0, 1] or not summing to 1 a pixel",
            )  # fmt: skip
        if self._seg_outputs == "logits":
            z = np.exp(scores - scores.max(axis=0, keepdims=True))
            scores = z / z.sum(axis=0, keepdims=True)
        if scores.shape[1:] == tuple(full_hw):
            best = scores.argmax(axis=0)
            top = scores.max(axis=0)
        else:  # one class at a time keeps memory at two full-size maps
            best = np.zeros(full_hw, np.int64)
            top = np.full(full_hw, -np.inf, np.float32)
            for c in range(k):
                up = _resize(scores[c][None], full_hw)[0]
                higher = up > top
                best[higher] = c
                top = np.where(higher, up, top)
        found = []
        for cls_name in dict.fromkeys(n for n in names if n is not None):
            channels = [c for c, n in enumerate(names) if n == cls_name]
            m = np.isin(best, channels)
            if not m.any():
                continue
            score = float(top[m].mean())
            if score >= self.score_threshold:
                found.append((score, cls_name, m))
        found.sort(key=lambda f: -f[0])
        shapes: list[dict[str, Any]] = []
        tools = self.task.types
        as_polygons = self.as_polygons or "mask" not in tools
        if as_polygons and "polygon" not in tools:
            raise SchemaError(f"task {self.task.name!r} has neither a mask nor a polygon tool "
                              "for a segmentation model's output")  # fmt: skip
        for score, cls_name, m in found:
            if as_polygons:
                shapes.extend({"type": "polygon", "class": cls_name, "score": score, "points": p}
                              for p in _polygons(m))  # fmt: skip
            else:
                shapes.append({"type": "mask", "class": cls_name, "score": score,
                               "rle": _masks.encode(m)})  # fmt: skip
        return shapes[: self.max_shapes] if self.max_shapes is not None else shapes

    def _channel_names(self, iid: str, k: int) -> list[str | None]:
        n = len(self.classes)
        if self.label_map is not None:
            return self.names(iid, np.arange(k), "out channel")
        if k == n:
            return list(self.classes)
        if k == n + 1:
            return [None, *self.classes]
        raise _bad(iid, "out", f"{k} class channels, but task {self.task.name!r} has {n} "
                   f"classes: give {n} (or {n + 1}, channel 0 the background) or pass "
                   "label_map=")  # fmt: skip

    def shape_dicts(self, iid: str, raw: Sequence[Any], in_hw: tuple[int, int],
                    full_hw: tuple[int, int]) -> list[dict[str, Any]]:  # fmt: skip
        try:
            shapes = self.task.validate(list(raw))
        except SchemaError as exc:
            raise SchemaError(f"item {iid!r}: the model's shapes: {exc}") from None
        for s, r in zip(shapes, raw, strict=True):
            if r.get("id") is None:
                s["id"] = None  # numbered again once filtered
        if tuple(in_hw) != tuple(full_hw):
            shapes = [_scale_shape(s, in_hw, full_hw) for s in shapes]
        for j, s in enumerate(shapes):
            if s["type"] == "mask" and list(s["rle"]["size"]) != list(full_hw):
                raise _bad(iid, f"[{j}].rle", f"size {s['rle']['size']} is neither the image's "
                           f"{list(full_hw)} nor the model input's {list(in_hw)}")  # fmt: skip
        kept = [s for s in shapes if s.get("score") is None or s["score"] >= self.score_threshold]
        if self.max_shapes is not None and len(kept) > self.max_shapes:
            ranked = sorted(range(len(kept)), key=lambda j: -(kept[j].get("score") or 1.0))
            chosen = set(ranked[: self.max_shapes])
            kept = [s for j, s in enumerate(kept) if j in chosen]
        return kept


def _check_label_map(label_map: Any, task: Shapes) -> dict[int, str | None] | None:
    if label_map is None:
        return None
    classes = task.class_names
    if isinstance(label_map, Mapping):
        out: dict[int, str | None] = {}
        for k, v in label_map.items():
            if isinstance(k, bool) or not isinstance(k, numbers.Integral):
                raise ValueError(f"label_map keys are the model's label ids (ints), got {k!r}")
            if v is not None and v not in classes:
                raise SchemaError(
                    f"label_map maps {k} to {v!r}, which is not a class of task "
                    f"{task.name!r}; classes: {classes} (None drops a label)"
                )
            out[int(k)] = v
        return out
    if isinstance(label_map, str) or not isinstance(label_map, Sequence):
        raise TypeError(
            "label_map must be a dict {label id: class name or None} or the model's class "
            f"names in label-id order; got {type(label_map).__name__}"
        )
    out = {i: (str(v) if str(v) in classes else None) for i, v in enumerate(label_map)}
    if not any(v is not None for v in out.values()):
        raise SchemaError(
            f"label_map names none of task {task.name!r}'s classes {classes}; every label "
            "would be dropped"
        )
    return out


def _bad(iid: str, field_: str, message: str) -> ModelOutputError:
    return ModelOutputError(f"item {iid!r}: model output {field_!r}: {message}")


def _array(iid: str, d: Mapping[str, Any], key: str, dtype: Any) -> np.ndarray:
    try:
        return np.asarray(d[key], dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise _bad(iid, key, f"not a numeric array: {exc}") from None


def _looks_like_probs(x: np.ndarray) -> bool:
    if x.min() < -1e-6 or x.max() > 1 + 1e-6:
        return False
    return bool(np.all(np.abs(x.sum(axis=0) - 1) <= _SUM_TOL))


def _resize(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``C × h × w`` float maps resized (bilinear, half-pixel centres) to ``C × H × W``."""
    import torch

    t = torch.from_numpy(np.ascontiguousarray(maps, dtype=np.float32))[None]
    return torch.nn.functional.interpolate(t, size=tuple(size), mode="bilinear",
                                           align_corners=False)[0].numpy()  # fmt: skip


def _scale_shape(s: dict[str, Any], in_hw: tuple[int, int], full_hw: tuple[int, int]) -> dict:
    (h, w), (fh, fw) = in_hw, full_hw
    sx, sy = fw / w, fh / h
    s = dict(s)
    if s["type"] == "box":
        x, y, bw, bh = s["bbox"]
        s["bbox"] = [x * sx, y * sy, bw * sx, bh * sy]
    elif s["type"] in ("polygon", "polyline", "keypoints"):
        s["points"] = [[p[0] * sx, p[1] * sy, *p[2:]] for p in s["points"]]
    elif s["type"] == "cuboid":
        for face in ("front", "back"):
            s[face] = [[x * sx, y * sy] for x, y in s[face]]
    elif s["type"] == "mask" and list(s["rle"]["size"]) == [h, w]:
        m = _masks.decode(s["rle"])
        rows = np.minimum((np.arange(fh) + 0.5) * h / fh, h - 1).astype(np.int64)
        cols = np.minimum((np.arange(fw) + 0.5) * w / fw, w - 1).astype(np.int64)
        s["rle"] = _masks.encode(m[rows][:, cols])
    return s


def _skimage() -> Any:
    try:
        from skimage import measure
    except ImportError as exc:
        raise MissingDependencyError(
            "as_polygons needs scikit-image to trace masks: pip install scikit-image"
        ) from exc
    return measure


def _polygons(mask: np.ndarray) -> list[list[list[float]]]:
    """One polygon per 8-connected part of ``mask`` (its outline; holes ignored), in
    pixel-edge coordinates: pixel ``(r, c)`` spans ``[c, c + 1] × [r, r + 1]``."""
    measure = _skimage()
    labeled = measure.label(mask, connectivity=2)
    out = []
    for region in measure.regionprops(labeled):
        r0, c0, r1, c1 = region.bbox
        crop = np.pad(labeled[r0:r1, c0:c1] == region.label, 1).astype(np.float32)
        contours = measure.find_contours(crop, 0.5, fully_connected="high")
        if not contours:
            continue
        # The outer outline encloses the holes' outlines: the largest area.
        outline = max(contours, key=lambda c: abs(_shoelace(c)))
        poly = measure.approximate_polygon(outline, tolerance=POLYGON_TOLERANCE)
        if len(poly) > 1 and np.array_equal(poly[0], poly[-1]):
            poly = poly[:-1]
        if len(poly) < 3:
            continue
        # Padded index (i, j) is pixel (r0 + i - 1, c0 + j - 1), whose centre is + 0.5.
        out.append([[float(c0 + j - 0.5), float(r0 + i - 0.5)] for i, j in poly])
    return out


def _shoelace(p: np.ndarray) -> float:
    y, x = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
