"""Running a model over a project's items in batches: what every task kind's pre-labeling
shares (the per-kind parts are in ``workbench/kinds/<kind>/prelabel.py``).

The model is one of

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
out runs of item positions (:class:`Batches`), so each batch is gathered with one
:func:`~workbench.ml.features.item_features` call (rows of arrays added with
``add_arrays`` come from the memory-mapped file in one read).
:func:`resolve_device` picks the device, :func:`make_runner` wraps the model and
:func:`to_probabilities` turns its outputs into probabilities.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UnknownItemError, WorkbenchError, require
from .features import Features, item_features
from .predictions import versions

if TYPE_CHECKING:
    import torch

    from ..project import Project

__all__ = [
    "resolve_device", "to_probabilities", "Batches", "Runner", "TorchRunner", "make_runner",
    "model_kind", "new_model_id", "checked_item_ids", "check_options", "check_block",
    "item_loader", "identity", "EVENT_CHUNK", "OUTPUTS",
]  # fmt: skip

logger = logging.getLogger("workbench.prelabel")
logger.addHandler(logging.NullHandler())

#: Pre-label events appended per store transaction: large enough that 100,000
#: items take a handful of commits, small enough to keep each one short.
EVENT_CHUNK = 10_000
OUTPUTS = ("auto", "logits", "probs")
# How far a row's sum may stray from 1 and still count as probabilities
# (float16 outputs of a softmax under autocast are off by ~1e-3).
_SUM_TOL = 5e-3


# -- options --------------------------------------------------------------------------
def check_options(batch_size: int, outputs: str, num_workers: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if outputs not in OUTPUTS:
        raise ValueError(f"outputs must be one of {OUTPUTS}, got {outputs!r}")
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be an int >= 0, got {num_workers!r}")


def checked_item_ids(project: Project, ids: Sequence[str] | None) -> list[str]:
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


def model_kind(model: Any, torch: Any) -> str:
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


def new_model_id(model: Any, name: str | None, version: int | str | None, project: Project,
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
def identity(x: Any) -> Any:
    return x


class Batches:
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
        # A worker reopens the project with its own class: no import of the façade here.
        self._project_class = type(project)

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
            url, items_dir, models_dir = self._location
            self.project = self._project_class(url, items_dir=items_dir, models_dir=models_dir)
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


def item_loader(project: Project, ids: list[str], features: Features, transform: Callable | None,
            batch_size: int, num_workers: int, *, flatten: bool, pixels: bool,
            as_tensor: bool, pin: bool, torch: Any) -> Any:  # fmt: skip
    from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

    if num_workers and project.store.url in ("sqlite:///:memory:", ":memory:"):
        raise WorkbenchError(
            "num_workers > 0 needs a store on disk: workers cannot reopen an in-memory store"
        )
    dataset = Batches(project, ids, features, transform,
                       flatten=flatten, pixels=pixels, as_tensor=as_tensor)  # fmt: skip
    # Sequential batches: positions in a batch are consecutive, so each block of
    # probabilities is one slice of the output file.
    sampler = BatchSampler(SequentialSampler(range(len(ids))), batch_size, drop_last=False)
    return DataLoader(
        dataset, sampler=sampler, batch_size=None, collate_fn=identity,
        num_workers=num_workers, pin_memory=pin and as_tensor,
        persistent_workers=False,
    )  # fmt: skip


# -- running the model ----------------------------------------------------------------
class Runner:
    """Calls a model on one batch and returns ``n × K`` float32 probabilities.

    A context manager: a torch module is prepared on entry and restored on exit.
    """

    def __init__(self, call: Callable[[Any], Any], outputs: str, multi_label: bool) -> None:
        self._call = call
        self.outputs = outputs
        self.multi_label = multi_label
        self._decided = False  # outputs="auto" resolved from the first batch

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, batch: Any) -> np.ndarray:
        raw = _as_numpy(self._call(batch))
        if raw.ndim != 2:
            return raw  # check_block names the shape
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


class TorchRunner(Runner):
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

    def __enter__(self) -> TorchRunner:
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


def make_runner(kind: str, model: Any, classes: list[str], device: Any, amp: bool, outputs: str,
            multi_label: bool, torch: Any) -> Runner:  # fmt: skip
    if kind == "torch":
        return TorchRunner(model, device, amp, outputs, multi_label, torch)
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

        return Runner(call, outputs, multi_label)
    return Runner(model, outputs, multi_label)


def _estimator_columns(estimator: Any, classes: list[str]) -> np.ndarray:
    """Schema column of each of ``estimator.classes_`` (ints match names like ``"3"``)."""
    if not hasattr(estimator, "classes_"):
        raise WorkbenchError(
            f"{type(estimator).__name__} has no classes_: fit it first "
            "(e.g. with workbench.ml.train.fit(estimator, project))"
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


def check_block(probs: np.ndarray, n: int, classes: list[str], first_id: str,
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
