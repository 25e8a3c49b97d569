"""Pre-labeling: run a model over the items in batches and store its suggestions.

:func:`prelabel` (also :meth:`Project.prelabel`) takes one of

a ``torch.nn.Module``
    called on float32 tensors, on CUDA when present, else MPS, else the CPU,
    under ``torch.inference_mode`` and, on a GPU, mixed precision;
an estimator with ``predict_proba`` and ``classes_`` (scikit-learn style)
    called on flattened feature rows (``n × D`` numpy arrays); its classes are
    mapped to the schema's class order;
a plain callable
    ``fn(batch) -> n × K`` probabilities (or logits, with ``outputs="logits"``),
    called on the batch as a numpy array.

Items flow through a ``torch.utils.data.DataLoader`` whose batch sampler hands
out runs of item positions, so each batch is gathered with one
:func:`~workbench.features.item_features` call (rows of arrays added with
``add_arrays`` come from the memory-mapped file in one read). The
probabilities are written batch by batch into a memory-mapped ``probs.npy``
(:class:`~workbench.predictions.PredictionsWriter`), never held in memory
twice, and saved as one model version; then one ``prelabel`` event per item is
appended, in chunks, with ``model:<name>@<version>`` as annotator. The label
widgets show that pre-label with its confidence, and accept it with one key.

Shapes tasks (boxes, polygons, masks, keypoints) go to
:mod:`workbench.prelabel_shapes`: detection and segmentation models, no
probability array.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import UnknownItemError, WorkbenchError, require
from .features import Features, item_features
from .predictions import Predictions, PredictionsWriter, versions

if TYPE_CHECKING:
    import torch

    from .prelabel_shapes import ShapePrelabels
    from .project import Project

__all__ = ["prelabel", "resolve_device", "to_probabilities"]

logger = logging.getLogger("workbench.prelabel")
logger.addHandler(logging.NullHandler())

#: Pre-label events appended per store transaction: large enough that 100,000
#: items take a handful of commits, small enough to keep each one short.
EVENT_CHUNK = 10_000
OUTPUTS = ("auto", "logits", "probs")
# How far a row's sum may stray from 1 and still count as probabilities
# (float16 outputs of a softmax under autocast are off by ~1e-3).
_SUM_TOL = 5e-3


def prelabel(
    project: Project,
    model: Any,
    *,
    batch_size: int | None = None,
    device: str = "auto",
    task: str | None = None,
    name: str | None = None,
    version: int | str | None = None,
    ids: Sequence[str] | None = None,
    features: Features = None,
    transform: Callable[[np.ndarray], Any] | None = None,
    outputs: str = "auto",
    amp: bool = True,
    num_workers: int = 0,
    write_events: bool = True,
    progress: bool = True,
    **shape_options: Any,
) -> Predictions | ShapePrelabels:
    """Run ``model`` over items in batches; save its probabilities and ``prelabel`` events.

    This page describes classification tasks. For a :class:`~workbench.Shapes`
    task (``task=`` names one, or the schema has no classification task) the
    call goes to :func:`workbench.prelabel_shapes.prelabel_shapes`, which takes
    detection and segmentation models and the options listed there
    (``label_map``, ``score_threshold`` …) and returns a
    :class:`~workbench.prelabel_shapes.ShapePrelabels` summary.

    Parameters
    ----------
    project : Project
    model : torch.nn.Module, estimator with ``predict_proba``, or callable
        See the module docstring. A torch module is put in ``eval()`` mode and
        moved to ``device`` for the run; afterwards it is moved back to the
        device its parameters were on and its train/eval mode is restored, so
        the object passed in ends up as it was.
    batch_size : int, optional
        Items per batch; 256 by default (8 for a shapes task).
    device : str
        ``"auto"`` (the device a torch module's parameters already sit on if
        that is a GPU, else ``cuda`` when available, else ``mps``, else
        ``cpu``), or an explicit ``"cpu"``, ``"cuda"``, ``"cuda:1"``,
        ``"mps"``; one that is not available raises :class:`WorkbenchError`.
        Only torch modules run on it; estimators and callables get numpy arrays.
    task : str, optional
        A classification task of the schema; the only one by default.
    name : str, optional
        Model name; the model's class (or function) name in lower case by
        default. ``"name@version"`` gives both.
    version : int or str, optional
        The next integer after this name's saved versions by default (1 for
        the first). Saving an existing version replaces its probabilities.
    ids : sequence of str, optional
        Items to pre-label; every item, in project order, by default.
    features : optional
        Model inputs, as in :mod:`workbench.features`; the items' pixels by
        default, as float32 values in their stored range (``0 … 255`` for
        8-bit images: no scaling is applied; use ``transform``).
    transform : callable, optional
        ``transform(batch) -> batch``, applied to each batch's numpy array
        before the model (in the DataLoader's workers when ``num_workers > 0``),
        e.g. scaling, normalisation or a channel layout. Without it, a torch
        module gets pixel batches in channels-first layout: ``n × H × W``
        grey images become ``n × 1 × H × W`` and ``n × H × W × C`` become
        ``n × C × H × W``; with it, whatever it returns goes to the model as
        is (a numpy array becomes a float32 tensor). ``features`` other than
        pixels are never reshaped for a torch module; an estimator always gets
        flattened ``n × D`` rows (``transform`` sees them flattened).
    outputs : {"auto", "logits", "probs"}
        What the model returns. ``"logits"`` are turned into probabilities by
        a softmax (a sigmoid per class for a multi-label task); ``"probs"``
        are kept as given; ``"auto"`` keeps them when the first batch already
        looks like probabilities (rows in ``[0, 1]`` summing to 1, or just
        in ``[0, 1]`` for a multi-label task) and treats them as logits
        otherwise.
    amp : bool
        Mixed precision on CUDA (bfloat16 where supported, else float16) and
        MPS (float16). Never used on the CPU.
    num_workers : int
        DataLoader worker processes reading and transforming batches; each
        opens its own connection to the store (not possible for an in-memory
        SQLite store). ``features`` and ``transform`` must then be picklable
        where workers are spawned rather than forked (macOS, Windows).
    write_events : bool
        Append one ``prelabel`` event per item (the default); otherwise only
        the probabilities are saved.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    Predictions
        ``len(ids) × K`` float32 probabilities, columns in the schema's class
        order, memory-mapped from ``<models_dir>/<task>/<name>@<version>/``.

    Notes
    -----
    Each event's value is the most probable class, its ``score`` that
    probability. For a multi-label task the value is the list of classes with
    probability ≥ 0.5 and the score the confidence of the least certain of
    those per-class decisions, ``min_k max(p_k, 1 - p_k)``.
    """
    if _is_shapes_task(project, task):
        from .prelabel_shapes import prelabel_shapes

        if features is not None:
            raise TypeError("features= is for classification tasks; a shapes model sees images")
        return prelabel_shapes(
            project, model, task=task, batch_size=8 if batch_size is None else batch_size,
            device=device, name=name, version=version, ids=ids, transform=transform,
            outputs=outputs, amp=amp, num_workers=num_workers, write_events=write_events,
            progress=progress, **shape_options,
        )  # fmt: skip
    if shape_options:
        raise TypeError(
            f"prelabel() got unexpected keyword argument(s) {sorted(shape_options)}; "
            "label_map, score_threshold and the other shape options apply to shapes tasks only"
        )
    batch_size = 256 if batch_size is None else batch_size
    torch = require("torch", "ml")
    started = time.perf_counter()
    _check_options(batch_size, outputs, num_workers)
    # Pre-labels are class probabilities: only a classification task has columns for them.
    task_obj = project.schema.classification_task(task, purpose="pre-labeling")
    classes = list(task_obj.class_names)
    multi_label = bool(getattr(task_obj, "multi_label", False))
    item_ids = _item_ids(project, ids)

    kind = _model_kind(model, torch)
    dev = resolve_device(device, model=model if kind == "torch" else None)
    run = _runner(kind, model, classes, dev, amp, outputs, multi_label, torch)
    model_id = _model_id(model, name, version, project, task_obj.name)

    loader = _loader(
        project, item_ids, features, transform, batch_size, num_workers,
        flatten=(kind == "sklearn"), pixels=(features is None and kind == "torch"),
        as_tensor=(kind == "torch"), pin=(dev.type == "cuda"), torch=torch,
    )  # fmt: skip
    from tqdm.auto import tqdm

    writer = PredictionsWriter(
        project.models_dir, ids=item_ids, classes=classes, model=model_id, task=task_obj.name
    )
    bar = tqdm(total=len(item_ids), desc=f"prelabel {model_id}", unit="item", disable=not progress)
    try:
        with run:
            for positions, batch in loader:
                probs = run(batch)
                start = int(positions[0])
                _check_block(probs, len(positions), classes, item_ids[start], task_obj.name)
                writer.write(start, probs)
                bar.update(len(positions))
        preds = writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        bar.close()
    infer_s = time.perf_counter() - started
    if write_events:
        _write_events(project, preds, task_obj.name, multi_label, progress=progress)
    logger.info(
        "workbench prelabel: %d items with %s on %s in %.2f s (%.2f s inference)",
        len(item_ids), model_id, dev, time.perf_counter() - started, infer_s,
    )  # fmt: skip
    return preds


# -- options --------------------------------------------------------------------------
def _is_shapes_task(project: Project, task: str | None) -> bool:
    """Whether pre-labeling goes to the shapes path: ``task`` names a shapes task, or
    no task is named and the schema has no classification task but a shapes one."""
    if task is not None:
        return project.schema.task(task).kind == "shapes"
    kinds = [t.kind for t in project.schema.tasks]
    return "classification" not in kinds and "shapes" in kinds


def _check_options(batch_size: int, outputs: str, num_workers: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if outputs not in OUTPUTS:
        raise ValueError(f"outputs must be one of {OUTPUTS}, got {outputs!r}")
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be an int >= 0, got {num_workers!r}")


def _item_ids(project: Project, ids: Sequence[str] | None) -> list[str]:
    """``ids`` as strings, checked unique and known; every item in project order if None."""
    if ids is None:
        return project.item_ids()
    item_ids = [str(i) for i in ids]
    if len(set(item_ids)) != len(item_ids):
        dupe = next(i for i in item_ids if item_ids.count(i) > 1)
        raise ValueError(f"ids must be unique; {dupe!r} appears more than once")
    missing = project.store.missing_items(item_ids)
    if missing:
        raise UnknownItemError(f"no item {missing[0]!r} in this project")
    return item_ids


def _model_kind(model: Any, torch: Any) -> str:
    if isinstance(model, torch.nn.Module):
        return "torch"
    if hasattr(model, "predict_proba"):
        return "sklearn"
    if callable(model):
        return "callable"
    raise TypeError(
        f"model must be a torch.nn.Module, an estimator with predict_proba or a callable "
        f"returning probabilities; got {type(model).__name__}"
    )


def resolve_device(device: str = "auto", *, model: Any = None) -> torch.device:
    """The torch device to run on.

    ``"auto"`` picks the GPU a torch ``model``'s parameters already sit on,
    else ``cuda`` when available, else ``mps``, else ``cpu``. An explicit
    device that this machine does not have raises :class:`WorkbenchError`.
    """
    torch = require("torch", "ml")
    if device == "auto":
        current = _module_device(model) if model is not None else None
        if current is not None and current.type != "cpu":
            return current
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available(torch):
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise WorkbenchError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}"
        ) from exc
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise WorkbenchError(f"device {device!r} asked for but CUDA is not available here")
        if dev.index is not None and dev.index >= count:
            raise WorkbenchError(
                f"device {device!r} asked for but this machine has {count} CUDA device(s)"
            )
    elif dev.type == "mps":
        if not _mps_available(torch):
            raise WorkbenchError(f"device {device!r} asked for but MPS is not available here")
    elif dev.type != "cpu":
        raise WorkbenchError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}"
        )
    return dev


def _mps_available(torch: Any) -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _module_device(module: Any) -> torch.device | None:
    """The one device a module's parameters and buffers are on; None if none or mixed."""
    if not hasattr(module, "parameters"):
        return None
    found = {t.device for t in module.parameters()} | {t.device for t in module.buffers()}
    return found.pop() if len(found) == 1 else None


def _model_id(model: Any, name: str | None, version: int | str | None, project: Project,
              task: str, *, saved: Sequence[str] = ()) -> str:  # fmt: skip
    """``name@version``; a new version is the next integer after those saved under
    ``models_dir`` for ``task`` (probabilities) and those in ``saved``."""
    if name is None:
        target = model.func if hasattr(model, "func") and hasattr(model, "args") else model
        base = getattr(target, "__name__", None) or type(target).__name__
        name = "model" if base == "<lambda>" else base.lower()
    name = str(name)
    if name.startswith("model:"):
        name = name[len("model:") :]
    if "@" in name:
        if version is not None:
            raise ValueError(f"name {name!r} holds a version already; do not pass version=")
        name, _, version = name.rpartition("@")
    if not name:
        raise ValueError("the model name must not be empty")
    if version is None:
        known = [v.rpartition("@") for v in [*versions(project.models_dir, task), *saved]]
        numbers = [int(v) for n, _, v in known if n == name and v.isdigit()]
        version = max(numbers, default=0) + 1
    return f"{name}@{version}"


# -- batches ------------------------------------------------------------------------
def _identity(x: Any) -> Any:
    return x


class _Batches:
    """Map-style dataset indexed by a list of positions: one batch of inputs per call.

    With ``batch_size=None`` and a ``BatchSampler`` as sampler, the DataLoader
    passes a whole batch of positions to ``__getitem__``: features are read
    with one ``item_features`` call per batch rather than one per item.
    """

    def __init__(self, project: Project, ids: list[str], features: Features,
                 transform: Callable | None, *, flatten: bool, pixels: bool,
                 as_tensor: bool) -> None:  # fmt: skip
        import os

        self.project = project
        self.ids = ids
        self.features = features
        self.transform = transform
        self.flatten = flatten
        self.pixels = pixels
        self.as_tensor = as_tensor
        self._pid = os.getpid()
        self._location = (project.store.url, project.items_dir, project.models_dir)

    def __len__(self) -> int:
        return len(self.ids)

    def __getstate__(self) -> dict[str, Any]:
        # Spawned workers get a copy without the store connection; they open their own.
        state = dict(self.__dict__)
        state["project"] = None
        return state

    def _project(self) -> Project:
        import os

        if self.project is None or os.getpid() != self._pid:
            # A forked worker must not use the parent's SQLite connection.
            from .project import Project

            url, items_dir, models_dir = self._location
            self.project = Project(url, items_dir=items_dir, models_dir=models_dir)
            self._pid = os.getpid()
        return self.project

    def __getitem__(self, positions: list[int]) -> tuple[np.ndarray, Any]:
        batch_ids = [self.ids[p] for p in positions]
        x = item_features(self._project(), batch_ids, self.features, flatten=self.flatten)
        if self.transform is not None:
            x = self.transform(x)
        elif self.pixels:
            x = _channels_first(x)
        if self.as_tensor:
            import torch

            x = torch.as_tensor(x)
            if x.dtype != torch.float32:
                x = x.float()
        return np.asarray(positions, dtype=np.int64), x


def _channels_first(x: np.ndarray) -> np.ndarray:
    """``n × H × W`` → ``n × 1 × H × W``; ``n × H × W × C`` → ``n × C × H × W``."""
    if x.ndim == 3:
        return x[:, None]
    if x.ndim == 4:
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return x


def _loader(project: Project, ids: list[str], features: Features, transform: Callable | None,
            batch_size: int, num_workers: int, *, flatten: bool, pixels: bool,
            as_tensor: bool, pin: bool, torch: Any) -> Any:  # fmt: skip
    from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

    if num_workers and project.store.url in ("sqlite:///:memory:", ":memory:"):
        raise WorkbenchError(
            "num_workers > 0 needs a store on disk: workers cannot reopen an in-memory store"
        )
    dataset = _Batches(project, ids, features, transform,
                       flatten=flatten, pixels=pixels, as_tensor=as_tensor)  # fmt: skip
    # Sequential batches: positions in a batch are consecutive, so each block of
    # probabilities is one slice of the output file.
    sampler = BatchSampler(SequentialSampler(range(len(ids))), batch_size, drop_last=False)
    return DataLoader(
        dataset, sampler=sampler, batch_size=None, collate_fn=_identity,
        num_workers=num_workers, pin_memory=pin and as_tensor,
        persistent_workers=False,
    )  # fmt: skip


# -- running the model ----------------------------------------------------------------
class _Runner:
    """Calls a model on one batch and returns ``n × K`` float32 probabilities.

    A context manager: a torch module is prepared on entry and restored on exit.
    """

    def __init__(self, call: Callable[[Any], Any], outputs: str, multi_label: bool) -> None:
        self._call = call
        self.outputs = outputs
        self.multi_label = multi_label
        self._decided = False  # outputs="auto" resolved from the first batch

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, batch: Any) -> np.ndarray:
        raw = _as_numpy(self._call(batch))
        if raw.ndim != 2:
            return raw  # _check_block names the shape
        if not np.isfinite(raw).all():
            return raw
        if self.outputs == "auto":
            # Decided once, on the first batch, so every row is treated alike.
            self.outputs = "probs" if _looks_like_probs(raw, self.multi_label) else "logits"
            self._decided = True
        elif self._decided and self.outputs == "probs":
            if not _looks_like_probs(raw, self.multi_label):
                raise WorkbenchError(
                    "outputs='auto' took the model's first batch for probabilities but a "
                    "later batch does not look like probabilities: pass outputs='logits' "
                    "or outputs='probs'"
                )
        return to_probabilities(raw, self.outputs, multi_label=self.multi_label)


class _TorchRunner(_Runner):
    def __init__(self, module: Any, device: Any, amp: bool, outputs: str, multi_label: bool,
                 torch: Any) -> None:  # fmt: skip
        super().__init__(self._forward, outputs, multi_label)
        self.module = module
        self.device = device
        self.torch = torch
        self.amp_dtype = None
        if amp and device.type == "cuda":
            bf16 = getattr(torch.cuda, "is_bf16_supported", lambda: False)()
            self.amp_dtype = torch.bfloat16 if bf16 else torch.float16
        elif amp and device.type == "mps":
            self.amp_dtype = torch.float16

    def __enter__(self) -> _TorchRunner:
        self._was_training = self.module.training
        self._home = _module_device(self.module)
        # A module spread over several devices (model parallel) is not moved at all.
        self._moved = self._home is not None and self._home != self.device
        self.module.eval()
        if self._moved:
            self.module.to(self.device)
        return self

    def __exit__(self, *exc: object) -> None:
        # Give the user's module back as it came: same device, same train/eval mode.
        if self._moved:
            self.module.to(self._home)
        self.module.train(self._was_training)

    def call_module(self, x: Any) -> Any:
        """``module(x)``, under autocast when mixed precision is on (dropped for the
        rest of the run if this device refuses it). Call inside ``inference_mode``."""
        if self.amp_dtype is None:
            return self.module(x)
        try:
            with self.torch.autocast(device_type=self.device.type, dtype=self.amp_dtype):
                return self.module(x)
        except RuntimeError as exc:
            if "autocast" not in str(exc).lower():
                raise
            logger.warning("workbench prelabel: no autocast on %s (%s)", self.device, exc)
            self.amp_dtype = None
            return self.module(x)

    def _forward(self, x: Any) -> np.ndarray:
        torch = self.torch
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(np.asarray(x, dtype=np.float32))
        x = x.to(self.device, non_blocking=True)
        with torch.inference_mode():
            out = self.call_module(x)
            out = getattr(out, "logits", out)  # Hugging Face style outputs
            if isinstance(out, tuple | list):
                out = out[0]
            if not isinstance(out, torch.Tensor):
                raise WorkbenchError(
                    f"the torch model returned {type(out).__name__}; it must return an "
                    "n × K tensor of logits or probabilities"
                )
            return out.float().cpu().numpy()


def _runner(kind: str, model: Any, classes: list[str], device: Any, amp: bool, outputs: str,
            multi_label: bool, torch: Any) -> _Runner:  # fmt: skip
    if kind == "torch":
        return _TorchRunner(model, device, amp, outputs, multi_label, torch)
    if kind == "sklearn":
        columns = _estimator_columns(model, classes)
        k = len(classes)

        def call(x: np.ndarray) -> np.ndarray:
            p = _as_numpy(model.predict_proba(x))
            if p.ndim != 2 or p.shape[1] != len(columns):
                raise WorkbenchError(
                    f"predict_proba returned shape {p.shape} for {len(x)} rows; the "
                    f"estimator has {len(columns)} classes_"
                )
            out = np.zeros((len(p), k), dtype=np.float32)
            out[:, columns] = p
            return out

        return _Runner(call, outputs, multi_label)
    return _Runner(model, outputs, multi_label)


def _estimator_columns(estimator: Any, classes: list[str]) -> np.ndarray:
    """Schema column of each of ``estimator.classes_`` (ints match names like ``"3"``)."""
    if not hasattr(estimator, "classes_"):
        raise WorkbenchError(
            f"{type(estimator).__name__} has no classes_: fit it first "
            "(e.g. with workbench.train.fit(estimator, project))"
        )
    col = {c: i for i, c in enumerate(classes)}
    found = [str(c.item() if hasattr(c, "item") else c) for c in estimator.classes_]
    unknown = [c for c in found if c not in col]
    if unknown:
        raise WorkbenchError(
            f"the estimator predicts classes the schema does not have: {unknown[:5]}; "
            f"schema classes: {classes}"
        )
    return np.array([col[c] for c in found], dtype=np.int64)


def _as_numpy(out: Any) -> np.ndarray:
    if hasattr(out, "detach"):  # a torch tensor from a callable
        out = out.detach().float().cpu().numpy()
    return np.asarray(out, dtype=np.float32)


def _looks_like_probs(x: np.ndarray, multi_label: bool) -> bool:
    if x.size == 0:
        return True
    if x.min() < -1e-6 or x.max() > 1 + 1e-6:
        return False
    return multi_label or bool(np.all(np.abs(x.sum(axis=1) - 1) <= _SUM_TOL))


def to_probabilities(x: np.ndarray, outputs: str, *, multi_label: bool = False) -> np.ndarray:
    """``n × K`` model outputs as float32 probabilities.

    ``outputs="logits"``: a softmax over each row (a sigmoid per entry when
    ``multi_label``); ``"probs"``: kept as they are; ``"auto"``: kept when they
    already look like probabilities, else treated as logits.
    """
    x = np.asarray(x, dtype=np.float32)
    if outputs == "auto":
        outputs = "probs" if _looks_like_probs(x, multi_label) else "logits"
    if outputs == "probs":
        return x
    if multi_label:
        return (1.0 / (1.0 + np.exp(-x))).astype(np.float32, copy=False)
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return (z / z.sum(axis=1, keepdims=True)).astype(np.float32, copy=False)


def _check_block(probs: np.ndarray, n: int, classes: list[str], first_id: str,
                 task: str) -> None:  # fmt: skip
    k = len(classes)
    if probs.shape != (n, k):
        shown = classes if k <= 10 else [*classes[:10], "…"]
        raise WorkbenchError(
            f"the model returned shape {tuple(probs.shape)} for a batch of {n} items; expected "
            f"({n}, {k}): one row per item and one column per class of task {task!r} {shown}"
        )
    if not np.isfinite(probs).all():
        row = int(np.argmax(~np.isfinite(probs).all(axis=1)))
        raise WorkbenchError(
            f"the model returned NaN or infinite values (first in the batch starting at item "
            f"{first_id!r}, row {row} of the batch)"
        )


# -- events ----------------------------------------------------------------------------
def _write_events(project: Project, preds: Predictions, task: str, multi_label: bool, *,
                  progress: bool) -> None:  # fmt: skip
    from tqdm.auto import tqdm

    annotator = f"model:{preds.model}"
    classes = preds.classes
    n = len(preds.ids)
    bar = tqdm(
        total=n, desc="prelabel events", unit="item", disable=not progress or n < EVENT_CHUNK
    )
    try:
        for s in range(0, n, EVENT_CHUNK):
            block = np.asarray(preds.probs[s : s + EVENT_CHUNK], dtype=np.float32)
            ids = preds.ids[s : s + len(block)]
            if multi_label:
                chosen = block >= 0.5
                scores = np.where(chosen, block, 1.0 - block).min(axis=1, initial=1.0)
                values: list[Any] = [[classes[j] for j in np.flatnonzero(row)] for row in chosen]
            else:
                best = block.argmax(axis=1)
                scores = block[np.arange(len(block)), best]
                values = [classes[j] for j in best]
            events = [
                project.make_event(iid, v, task=task, kind="prelabel", annotator=annotator,
                                   score=float(sc))
                for iid, v, sc in zip(ids, values, scores.tolist(), strict=True)
            ]  # fmt: skip
            project.store.append(events)
            bar.update(len(events))
    finally:
        bar.close()
