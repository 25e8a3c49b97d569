"""Pre-labeling: run a model over the items in batches and store its suggestions.

:func:`prelabel` (also :meth:`Project.prelabel`) hands the run to the task's kind
(``workbench/kinds/<kind>/prelabel.py``, found through
:mod:`workbench.kinds.registry`): a classification task gets class probabilities
saved as one model version and one ``prelabel`` event per item; a shapes task
(boxes, polygons, masks, keypoints) gets detection or segmentation shapes
(:mod:`workbench.kinds.shapes.prelabel`). The batching, device and model handling the
kinds share is in :mod:`workbench.ml.runner`; :func:`resolve_device` and
:func:`to_probabilities` are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .kinds.registry import for_task
from .ml.runner import resolve_device, to_probabilities

if TYPE_CHECKING:
    from .kinds.shapes.prelabel import ShapePrelabels
    from .ml.features import Features
    from .ml.predictions import Predictions
    from .project import Project

__all__ = ["prelabel", "resolve_device", "to_probabilities"]


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
    call goes to :func:`workbench.kinds.shapes.prelabel.prelabel_shapes`, which takes
    detection and segmentation models and the options listed there
    (``label_map``, ``score_threshold`` …) and returns a
    :class:`~workbench.kinds.shapes.prelabel.ShapePrelabels` summary.

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
        Model inputs, as in :mod:`workbench.ml.features`; the items' pixels by
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
    kind = for_task(project.schema, task, "prelabel")
    return kind.prelabel(
        project, model, batch_size=batch_size, device=device, task=task, name=name,
        version=version, ids=ids, features=features, transform=transform, outputs=outputs,
        amp=amp, num_workers=num_workers, write_events=write_events, progress=progress,
        **shape_options,
    )  # fmt: skip
