"""Label-quality audits of spatial labels: object detection and segmentation (cleanlab).

:func:`shape_issues` ranks the labeled items of a :class:`~workbench.Shapes`
task worst first, in a DataFrame indexed by ``item_id`` with the columns of
:func:`workbench.audit.issues` where they make sense, so that
``project.annotate(order=df.index)`` (or any view taking an order of item ids)
walks the suspects first. Two methods:

``"objectlab"`` (object detection)
    The item's current shapes against a detector's predicted shapes (the
    latest model pre-labels in the store, or ``predictions=``), scored by
    ``cleanlab.object_detection.rank.get_label_quality_scores`` and flagged by
    ``cleanlab.object_detection.filter.find_label_issues``, called as they are.
    Every shape becomes its bounding box (boxes as drawn; polygons, masks and
    cuboids by their box; keypoints and polylines left out by default), in
    cleanlab's ``[x1, y1, x2, y2]`` form: :func:`objectlab_inputs` is that
    conversion. Per box, cleanlab's three subtype scores (public
    ``compute_overlooked_box_scores``, ``compute_swap_box_scores``,
    ``compute_badloc_box_scores``) name the suspect shapes: a predicted
    object nobody labeled (overlooked), a labeled box the model sees as
    another class (swap), a box the model draws elsewhere (badloc).

    What cleanlab's method does not see: a labeled box where the model
    predicts nothing of its class (no prediction above 0.5) scores as clean,
    and a predicted object that overlaps any labeled box at all is never
    "overlooked". In particular (cleanlab 2.9), an image whose only object is
    labeled with one class while the model confidently predicts the same box
    as another gets quality 1.0 and is not flagged: a class swap is only seen
    when the model also predicts the labeled class somewhere. Predictions kept
    down to low scores (say 0.05, not the 0.5 a display of pre-labels would
    use) give its scores more to work with.

    Hence a second, plain check beside cleanlab's (``use_agreement=True``, the
    default): the ``agreement`` of the label with the model's confident
    predictions (score ≥ ``min_score``), :func:`workbench.agreement.shape_agreement`
    with class-aware matching at IoU 0.5 (1.0 = every shape matched at IoU
    1, 0.0 = nothing matched). An item is flagged when cleanlab flags it *or*
    its agreement is below ``agreement_threshold``, and the suspects list
    where label and model part ways ("model disagrees", "missed by label").
    ``quality`` stays cleanlab's score, untouched.

    Default ``agreement_threshold=0.5``: below it the label and the model
    disagree on more objects than they agree on (with exact overlaps,
    unmatched shapes outnumber matched pairs). On the synthetic set of the
    tests (200 images of 1–5 boxes, a detector that finds every object with
    1.5 px jitter, 10% of the images with a box dropped, swapped or shifted;
    seeds 0–4) no clean image fell below 0.67, every threshold from 0.5 to
    0.65 flagged no clean image, and 0.8 flagged 4–12 per seed. The
    threshold adds 4, 3, 2, 2 and 1 perturbed images to cleanlab's 12, 15,
    18, 16 and 18 of 20 (recall 0.79 → 0.91 over the five seeds); 0.6 would
    add a few more (0.95), at a margin of 0.07 above the worst clean image
    of so clean a detector: 0.5 leaves room for a real one's misses.

``"segmentation"``
    Per-pixel labels against the model's per-pixel class probabilities,
    scored by ``cleanlab.segmentation.rank.get_label_quality_scores``
    (softmin of the pixels' self-confidence) and flagged pixel by pixel by
    ``cleanlab.segmentation.filter.find_label_issues`` (confident learning).
    The label map of an item is painted from its masks, polygons and boxes
    (:func:`label_map`). There is no stored format for per-pixel probabilities
    yet: the caller gives them, as an array or as a function of the item id,
    and ``downsample=`` shrinks both sides before cleanlab sees them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from ...errors import require
from ...ml.annotations import annotator_labels
from ...ml.features import item_positions
from ...ml.shape_agreement import (
    iou_matrix,
    match_shapes,
    rasterize,
    shape_agreement,
    shape_bbox,
)

if TYPE_CHECKING:
    from ...project import Project

__all__ = [
    "shape_issues",
    "objectlab_inputs",
    "label_map",
    "segmentation_inputs",
    "DETECTION_TYPES",
    "SEGMENTATION_TYPES",
    "SHAPE_ISSUE_COLUMNS",
    "AGREEMENT_THRESHOLD",
]

#: Shape types that count as detected objects (each by its bounding box).
DETECTION_TYPES = ("box", "polygon", "mask", "cuboid")
#: Shape types painted into a segmentation label map.
SEGMENTATION_TYPES = ("box", "polygon", "mask")
#: Predicted shapes with at least this score are listed in ``suggested``
#: (cleanlab's ``LOW_PROBABILITY_THRESHOLD``: the boxes its bad-location score considers),
#: and by default are the model's answer that ``agreement`` compares the label with.
SUGGEST_SCORE = 0.5
#: Items whose ``agreement`` with the model is below this are flagged (see the module docstring).
AGREEMENT_THRESHOLD = 0.5
#: The least IoU at which a labeled and a predicted shape count as the same object.
MATCH_IOU = 0.5

SHAPE_ISSUE_COLUMNS = ["label", "suggested", "quality", "is_issue", "annotators", "suspects"]
_OBJECTLAB_COLUMNS = ["agreement", "overlooked", "swap", "badloc"]
_SEGMENTATION_COLUMNS = ["issue_pixels", "issue_fraction"]
METHODS = ("objectlab", "segmentation")


# ---------------------------------------------------------------------------
# object detection: conversion


def _boxes(
    shapes: Sequence[Mapping[str, Any]],
    index: Mapping[str, int],
    types: Sequence[str],
    *,
    scored: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """``xyxy`` (L, 4), class numbers (L,), scores (L,) and positions in ``shapes``."""
    xyxy, cls, score, where = [], [], [], []
    for pos, s in enumerate(shapes):
        if s.get("type") not in types:
            continue
        name = s.get("class")
        if name not in index:
            raise ValueError(
                f"shape {s.get('id', pos)!r} has class {name!r}, not one of {list(index)}"
            )
        x, y, w, h = shape_bbox(s)
        xyxy.append((x, y, x + w, y + h))
        cls.append(index[name])
        value = s.get("score") if scored else None
        score.append(1.0 if value is None else float(value))
        where.append(pos)
    return (
        np.asarray(xyxy, np.float64).reshape(-1, 4),
        np.asarray(cls, np.intp),
        np.asarray(score, np.float64),
        where,
    )


def _prediction_arrays(
    xyxy: np.ndarray, cls: np.ndarray, score: np.ndarray, k: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """cleanlab's per-class ``[x1, y1, x2, y2, score]`` arrays, and the order its
    flattened boxes come in (class by class) as positions into the inputs."""
    per_class, order = [], []
    for c in range(k):
        rows = np.flatnonzero(cls == c)
        per_class.append(np.column_stack([xyxy[rows], score[rows]]).reshape(-1, 5))
        order.append(rows)
    return per_class, np.concatenate(order) if order else np.zeros(0, np.intp)


def objectlab_inputs(
    labels: Sequence[Sequence[Mapping[str, Any]]],
    predictions: Sequence[Sequence[Mapping[str, Any]]],
    classes: Sequence[str],
    *,
    types: Sequence[str] = DETECTION_TYPES,
) -> tuple[list[dict[str, np.ndarray]], list[list[np.ndarray]]]:
    """Shapes as cleanlab's object-detection inputs.

    Parameters
    ----------
    labels : sequence of N lists of shape dicts
        Each image's given shapes.
    predictions : sequence of N lists of shape dicts
        Each image's predicted shapes, with their ``score`` (a prediction
        without one counts as score 1.0).
    classes : sequence of K str
        Class names; their positions are cleanlab's class numbers.
    types : sequence of str
        Shape types that count as objects (:data:`DETECTION_TYPES`).

    Returns
    -------
    labels : list of N dicts
        ``{"bboxes": (L, 4) float [x1, y1, x2, y2], "labels": (L,) int}``, in the
        order of each image's shapes (shapes of other types left out).
    predictions : list of N lists of K arrays
        ``predictions[i][k]`` is ``(M_k, 5)``: ``[x1, y1, x2, y2, score]`` of
        image ``i``'s predicted class-``k`` objects.
    """
    if len(labels) != len(predictions):
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
    index = _class_index(classes)
    out_labels, out_preds = [], []
    for given, predicted in zip(labels, predictions, strict=True):
        lx, lc, _, _ = _boxes(given, index, types, scored=False)
        out_labels.append({"bboxes": lx, "labels": lc})
        px, pc, ps, _ = _boxes(predicted, index, types, scored=True)
        out_preds.append(_prediction_arrays(px, pc, ps, len(classes))[0])
    return out_labels, out_preds


def _class_index(classes: Sequence[str]) -> dict[str, int]:
    index = {c: i for i, c in enumerate(classes)}
    if len(index) != len(classes):
        raise ValueError(f"classes repeat: {list(classes)}")
    return index


# ---------------------------------------------------------------------------
# segmentation: label maps


def label_map(
    shapes: Sequence[Mapping[str, Any]],
    classes: Sequence[str],
    size: Sequence[int],
    *,
    background: bool = True,
    types: Sequence[str] = SEGMENTATION_TYPES,
) -> np.ndarray:
    """An item's shapes painted into an ``h × w`` map of class numbers.

    Parameters
    ----------
    shapes : list of shape dicts
    classes : sequence of K str
    size : (h, w)
    background : bool, default True
        Class 0 is the background (pixels no shape covers) and class ``classes[i]``
        is ``i + 1``. False: classes are ``0..K-1`` and a pixel no shape covers is
        -1 (cleanlab needs every pixel labeled, so :func:`shape_issues` refuses it).
    types : sequence of str
        Shape types painted (:data:`SEGMENTATION_TYPES`).

    Returns
    -------
    numpy.ndarray, shape (h, w), int16 (int32 past 32,000 classes)

    Shapes are painted in ``z`` order (list order among equal ``z``), so the top
    one decides an overlap. Masks are decoded; boxes and polygons rasterised
    at pixel centres (:func:`workbench.agreement.rasterize`). Instance masks of
    one class merge into one region: instance identity is not scored.
    """
    index = _class_index(classes)
    h, w = int(size[0]), int(size[1])
    dtype = np.int16 if len(classes) < 32000 else np.int32
    out = np.full((h, w), 0 if background else -1, dtype)
    offset = 1 if background else 0
    order = sorted(range(len(shapes)), key=lambda i: (int(shapes[i].get("z", 0)), i))
    for i in order:
        s = shapes[i]
        if s.get("type") not in types:
            continue
        name = s.get("class")
        if name not in index:
            raise ValueError(
                f"shape {s.get('id', i)!r} has class {name!r}, not one of {list(index)}"
            )
        if s["type"] == "mask" and [int(v) for v in s["rle"]["size"]] != [h, w]:
            raise ValueError(
                f"shape {s.get('id', i)!r}: mask of size {list(s['rle']['size'])}, but the "
                f"probabilities are {h} × {w}; give them at the image's resolution"
            )
        out[rasterize(s, (h, w)).astype(bool)] = index[name] + offset
    return out


def _downsample_labels(labels: np.ndarray, k: int, f: int) -> np.ndarray:
    """Majority class of each ``f × f`` block (the lowest class number on ties)."""
    h, w = labels.shape
    best = np.zeros((h // f, w // f), np.int64)
    best_count = np.full((h // f, w // f), -1, np.int64)
    for c in range(k):
        count = (labels == c).reshape(h // f, f, w // f, f).sum(axis=(1, 3))
        better = count > best_count
        best[better], best_count[better] = c, count[better]
    return best.astype(labels.dtype)


def _downsample_probs(probs: np.ndarray, f: int) -> np.ndarray:
    k, h, w = probs.shape
    small = probs.reshape(k, h // f, f, w // f, f).mean(axis=(2, 4), dtype=np.float64)
    small /= small.sum(axis=0, keepdims=True)
    return small.astype(np.float32)


def segmentation_inputs(
    shapes: Sequence[Mapping[str, Any]],
    probs: Any,
    classes: Sequence[str],
    *,
    background: bool = True,
    downsample: int = 1,
    types: Sequence[str] = SEGMENTATION_TYPES,
) -> tuple[np.ndarray, np.ndarray]:
    """One item's label map and probabilities as cleanlab's segmentation inputs.

    Parameters
    ----------
    shapes : list of shape dicts
        The item's label.
    probs : array-like, shape (K', H, W)
        The model's class probabilities per pixel at the image's resolution;
        ``K' = len(classes) + 1`` with channel 0 the background when
        ``background``, else ``len(classes)``.
    classes, background, types
        As in :func:`label_map`.
    downsample : int, default 1
        Shrink both by this factor: probabilities are averaged over each
        ``f × f`` block (and renormalised), labels take the block's majority
        class. Rows and columns past the last whole block are dropped.

    Returns
    -------
    labels : numpy.ndarray, shape (H // f, W // f), int
    probs : numpy.ndarray, shape (K', H // f, W // f), float32
    """
    arr = np.asarray(probs)
    k = len(classes) + (1 if background else 0)
    if arr.ndim != 3 or arr.shape[0] != k:
        raise ValueError(
            f"per-pixel probabilities must be ({k}, H, W) for {len(classes)} classes"
            + (" plus background (channel 0)" if background else "")
            + f"; got shape {arr.shape}"
        )
    if arr.dtype.kind != "f" or not np.isfinite(arr).all():
        raise ValueError(f"per-pixel probabilities must be finite floats; got dtype {arr.dtype}")
    if isinstance(downsample, bool) or not isinstance(downsample, int) or downsample < 1:
        raise ValueError(f"downsample must be an int >= 1, got {downsample!r}")
    _, h, w = arr.shape
    lab = label_map(shapes, classes, (h, w), background=background, types=types)
    if not background and (lab < 0).any():
        raise ValueError(
            f"{int((lab < 0).sum())} pixels have no shape and background=False: every pixel "
            "needs a class for segmentation scores"
        )
    f = downsample
    if f > 1:
        hh, ww = (h // f) * f, (w // f) * f
        if hh == 0 or ww == 0:
            raise ValueError(f"downsample={f} is larger than the image ({h} × {w})")
        lab = _downsample_labels(lab[:hh, :ww], k, f)
        arr = _downsample_probs(arr[:, :hh, :ww], f)
    return lab, np.asarray(arr, dtype=np.float32)


# ---------------------------------------------------------------------------
# summaries


def _summary(shapes: Any, classes: Sequence[str], *, min_score: float | None = None) -> str:
    """``"car×2, person"``: classes in schema order, counted."""
    if not isinstance(shapes, list):
        return ""
    counts = Counter(
        s.get("class")
        for s in shapes
        if min_score is None or s.get("score") is None or s["score"] >= min_score
    )
    parts = []
    for c in list(classes) + [c for c in counts if c not in classes]:
        n = counts.get(c, 0)
        if n:
            parts.append(c if n == 1 else f"{c}×{n}")
    return ", ".join(parts)


def _annotators(project: Project, task: str, classes: Sequence[str]) -> dict[str, dict]:
    wide = annotator_labels(project, task)
    return {
        iid: {a: _summary(v, classes) for a, v in row.items() if isinstance(v, list)}
        for iid, row in zip(wide.index, wide.to_dict("records"), strict=True)
    }


def _frame(
    rows: list[dict[str, Any]], extra: list[str], *, rank: str | None = None
) -> pd.DataFrame:
    """Rows flagged first, each group by ascending ``rank`` (a column of
    ``extra``; ``quality`` by default), ties by ``quality``."""
    cols = SHAPE_ISSUE_COLUMNS + extra
    df = pd.DataFrame(rows, columns=["item_id"] + cols)
    if not df.empty:
        quality = df["quality"].to_numpy(np.float64)
        key = quality if rank is None else df[rank].to_numpy(np.float64)
        order = np.lexsort((quality, key, ~df["is_issue"].to_numpy(bool)))
        df = df.iloc[order]
    df = df.set_index("item_id")
    df["is_issue"] = df["is_issue"].astype(bool)
    df["quality"] = df["quality"].astype(np.float64)
    return df


# ---------------------------------------------------------------------------
# the audit


def shape_issues(
    project: Project,
    predictions: Any = None,
    *,
    task: str | None = None,
    method: str = "objectlab",
    types: Sequence[str] | None = None,
    suspect_threshold: float = 0.5,
    aggregation_weights: Mapping[str, float] | None = None,
    overlapping_label_check: bool = True,
    background: bool = True,
    downsample: int = 1,
    min_issue_fraction: float = 0.001,
    use_agreement: bool = True,
    agreement_threshold: float = AGREEMENT_THRESHOLD,
    min_score: float = SUGGEST_SCORE,
) -> pd.DataFrame:
    """The labeled items of a shapes task ranked for review, likeliest label errors first.

    Parameters
    ----------
    project : Project
    predictions : optional
        ``method="objectlab"``: None (each item's latest model pre-label in the
        store: a list of shapes with per-shape ``score``), or ``{item_id: list
        of predicted shape dicts}``. Items with no prediction are left out (an
        empty list is a prediction: "no objects"); their ids are in
        ``df.attrs["unscored"]``.

        ``method="segmentation"`` (required): per-pixel class probabilities at
        each image's resolution, ``(K', H, W)`` per item with ``K'`` =
        classes + 1 (channel 0 the background) when ``background``: an array
        ``(N, K', H, W)`` with one row per labeled item in
        ``project.labels(task)`` order (or per item, in ``project.item_ids()``
        order), a mapping ``{item_id: array}``, or a callable ``item_id ->
        array or None``, called once per item. There is no stored format for
        per-pixel probabilities yet.
    task : str, optional
        The shapes task; the schema's first shapes task by default.
    method : {"objectlab", "segmentation"}
    types : sequence of str, optional
        Shape types taken into account: :data:`DETECTION_TYPES` or
        :data:`SEGMENTATION_TYPES` by default.
    suspect_threshold : float, default 0.5
        objectlab: a shape is listed in ``suspects`` when one of its per-box
        subtype scores is below this (a display cut; ``is_issue`` is
        cleanlab's own decision).
    aggregation_weights, overlapping_label_check
        Passed to cleanlab's object-detection functions.
    background : bool, default True
        segmentation: channel 0 of the probabilities is the background (pixels
        no shape covers). False: every pixel must be covered by a shape.
    downsample : int, default 1
        segmentation: shrink labels and probabilities by this factor first
        (memory and time fall by its square; see :func:`segmentation_inputs`).
    min_issue_fraction : float, default 0.001
        segmentation: an item is an issue when at least this share of its
        pixels is flagged by cleanlab's ``find_label_issues``.
    use_agreement : bool, default True
        objectlab: also flag items whose ``agreement`` is below
        ``agreement_threshold``, rank by ``min(quality, agreement)`` and list
        the disagreement suspects. False: cleanlab's flags, order and suspects
        alone (the ``agreement`` column is still filled in).
    agreement_threshold : float, default 0.5
        objectlab: see ``use_agreement`` (why 0.5: the module docstring).
    min_score : float, default 0.5
        objectlab: predicted shapes with at least this score (none: 1.0) are
        the model's answer for ``agreement`` and the disagreement suspects.

    Returns
    -------
    DataFrame
        Index ``item_id``; one row per scored item, flagged items first, each
        group by ascending quality (objectlab with ``use_agreement``: by
        ascending ``min(quality, agreement)``, ties by quality). Columns:

        - ``label``: the current shapes, summarised (``"car×2, person"``);
        - ``suggested``: the model's, summarised (objectlab: predictions with
          score ≥ 0.5; segmentation: classes of the model's per-pixel argmax
          by area, with their share of the image);
        - ``quality``: cleanlab's label quality score in [0, 1], lower = worse;
        - ``is_issue``: cleanlab flags the item (objectlab with
          ``use_agreement``: or its ``agreement`` is below ``agreement_threshold``);
        - ``annotators``: ``{annotator: summary}`` of everyone's latest label;
        - ``suspects``: list of dicts, worst first. objectlab: ``{"issue":
          "overlooked" | "swap" | "badloc", "shape": id, "class", "bbox": [x, y,
          w, h], "score"}`` — for ``overlooked`` the shape is the model's
          prediction (its id in the pre-label), else the labeled shape; the
          score is cleanlab's per-box subtype score. With ``use_agreement``
          also ``{"issue": "model disagrees", "shape": id, "class", "model_class",
          "iou", "bbox", "score"}`` for a labeled shape that no confident
          prediction of its class matches but one of another class does (IoU ≥
          0.5; not listed when cleanlab already calls the shape a swap), and
          ``{"issue": "missed by label", "shape": id, "class", "model_class",
          "iou", "bbox", "score"}`` for a confident prediction that no labeled
          shape of any class overlaps at IoU ≥ 0.5 (``iou`` the best overlap;
          not listed when cleanlab already lists it as overlooked); their
          ``score`` is the prediction's score, and they rank as worst as
          ``1 - score``. Cleanlab's and these are sorted together by that.
          segmentation: ``{"class": given, "suggested": model's, "pixels": n}``
          for each confusion among the flagged pixels (full-resolution pixels);
        - objectlab: ``agreement``: the label's agreement with the confident
          predictions (:func:`workbench.agreement.shape_agreement`, by class);
        - objectlab: ``overlooked``, ``swap``, ``badloc``: cleanlab's per-image
          subtype scores (softmin of the per-box scores; 1.0 = nothing suspect);
        - segmentation: ``issue_pixels``, ``issue_fraction``.

        ``project.annotate(order=df.index)`` reviews them in this order.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    spec = project.schema.task_of_kind(task, "shapes", purpose="a shapes audit")
    classes = list(spec.class_names)
    current = project.labels(spec.name)
    ids = current["item_id"].tolist()
    values = dict(zip(ids, current["label"].tolist(), strict=True))
    if method == "objectlab":
        if not isinstance(use_agreement, bool):
            raise TypeError(f"use_agreement must be True or False, got {use_agreement!r}")
        for name, value in (("agreement_threshold", agreement_threshold),
                            ("min_score", min_score)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
        chosen = tuple(DETECTION_TYPES if types is None else types)
        return _objectlab(
            project, spec.name, classes, ids, values, predictions, chosen, suspect_threshold,
            aggregation_weights, overlapping_label_check,
            _AgreementOptions(use_agreement, float(agreement_threshold), float(min_score)),
        )  # fmt: skip
    if predictions is None:
        raise ValueError(
            "method='segmentation' needs predictions=: per-pixel probabilities (an array, "
            "a {item_id: array} mapping or a function of the item id)"
        )
    chosen = tuple(SEGMENTATION_TYPES if types is None else types)
    return _segmentation(
        project, spec.name, classes, ids, values, predictions, chosen, background, downsample,
        min_issue_fraction,
    )  # fmt: skip


def _predicted_shapes(
    project: Project, task: str, ids: list[str], predictions: Any
) -> dict[str, list[dict[str, Any]]]:
    if predictions is None:
        stored = project.store.prelabels(task, ids)
        return {iid: v for iid, (v, _) in stored.items() if isinstance(v, list)}
    if not isinstance(predictions, Mapping):
        raise TypeError(
            "predictions for objectlab must be None (the stored pre-labels) or "
            f"{{item_id: list of shapes}}, got {type(predictions).__name__}"
        )
    out = {}
    for iid, v in predictions.items():
        if isinstance(v, Mapping) or isinstance(v, str) or not isinstance(v, Sequence):
            raise TypeError(f"predictions[{iid!r}] must be a list of shape dicts, got {v!r}")
        out[str(iid)] = list(v)
    return out


class _AgreementOptions(NamedTuple):
    use: bool
    threshold: float
    min_score: float


def _disagreements(
    given: list[Mapping[str, Any]],
    confident: list[Mapping[str, Any]],
) -> tuple[float, list[dict[str, Any]]]:
    """The label's agreement with the confident predictions, and where they part ways.

    ``given`` and ``confident`` are the item's labeled shapes and its predicted
    shapes with score ≥ ``min_score``, of the audited types. Returns the
    agreement (:func:`~workbench.agreement.shape_agreement`, class-aware) and
    suspect dicts, each with ``"label"`` or ``"prediction"``: the position in
    ``given`` or ``confident`` it is about (dropped before it is shown).
    """
    agreement = shape_agreement(given, confident, iou_threshold=MATCH_IOU)
    found = match_shapes(given, confident, iou_threshold=MATCH_IOU)
    if not found.unmatched_a and not found.unmatched_b:
        return agreement, []
    out = []
    # Labeled shapes no prediction of their class matches: the best one-to-one
    # match among the leftover predictions, class ignored, names the model's class.
    ua, ub = found.unmatched_a, found.unmatched_b
    if ua and ub:
        swapped = match_shapes([given[i] for i in ua], [confident[j] for j in ub],
                               iou_threshold=MATCH_IOU, by_class=False)  # fmt: skip
        for i, j, iou in swapped.pairs:
            s, p = given[ua[i]], confident[ub[j]]
            out.append({"issue": "model disagrees", "shape": s.get("id"),
                        "class": s.get("class"), "model_class": p.get("class"),
                        "iou": iou, "bbox": shape_bbox(s), "score": _score(p),
                        "label": ua[i]})  # fmt: skip
    # Confident predictions no labeled shape of any class overlaps.
    if ub:
        overlap = iou_matrix(given, [confident[j] for j in ub], by_class=False)
        best = overlap.max(axis=0) if len(given) else np.zeros(len(ub))
        for k, j in enumerate(ub):
            if best[k] >= MATCH_IOU:
                continue
            p = confident[j]
            out.append({"issue": "missed by label", "shape": p.get("id"),
                        "class": p.get("class"), "model_class": p.get("class"),
                        "iou": float(best[k]), "bbox": shape_bbox(p), "score": _score(p),
                        "prediction": j})  # fmt: skip
    return agreement, out


def _score(shape: Mapping[str, Any]) -> float:
    value = shape.get("score")
    return 1.0 if value is None else float(value)


def _suspicion(suspect: Mapping[str, Any]) -> float:
    """Sort key, lower = worse: cleanlab's subtype score, or 1 - the model's score."""
    if suspect["issue"] in ("model disagrees", "missed by label"):
        return 1.0 - suspect["score"]
    return suspect["score"]


def _objectlab(
    project: Project,
    task: str,
    classes: list[str],
    ids: list[str],
    values: dict[str, Any],
    predictions: Any,
    types: tuple[str, ...],
    suspect_threshold: float,
    aggregation_weights: Mapping[str, float] | None,
    overlapping_label_check: bool,
    agree: _AgreementOptions,
) -> pd.DataFrame:
    require("cleanlab.object_detection", "ml")
    from cleanlab.object_detection import filter as od_filter
    from cleanlab.object_detection import rank as od_rank

    predicted = _predicted_shapes(project, task, ids, predictions)
    scored = [iid for iid in ids if iid in predicted]
    unscored = [iid for iid in ids if iid not in predicted]
    index = _class_index(classes)
    labels, preds, label_pos, pred_pos = [], [], [], []
    for iid in scored:
        lx, lc, _, lwhere = _boxes(values[iid], index, types, scored=False)
        labels.append({"bboxes": lx, "labels": lc})
        label_pos.append(lwhere)
        px, pc, ps, pwhere = _boxes(predicted[iid], index, types, scored=True)
        per_class, order = _prediction_arrays(px, pc, ps, len(classes))
        preds.append(per_class)
        pred_pos.append([pwhere[i] for i in order])
    extra = _OBJECTLAB_COLUMNS
    if not scored:
        df = _frame([], extra)
        df.attrs["unscored"] = unscored
        return df
    quality = od_rank.get_label_quality_scores(
        labels, preds, aggregation_weights=None if aggregation_weights is None
        else dict(aggregation_weights), overlapping_label_check=overlapping_label_check,
        verbose=False,
    )  # fmt: skip
    flagged = od_filter.find_label_issues(
        labels, preds, overlapping_label_check=overlapping_label_check
    )
    per_box = {
        "overlooked": od_rank.compute_overlooked_box_scores(labels=labels, predictions=preds),
        "swap": od_rank.compute_swap_box_scores(
            labels=labels, predictions=preds, overlapping_label_check=overlapping_label_check
        ),
        "badloc": od_rank.compute_badloc_box_scores(labels=labels, predictions=preds),
    }
    pooled = {k: od_rank.pool_box_scores_per_image(v) for k, v in per_box.items()}
    people = _annotators(project, task, classes)
    rows = []
    for n, iid in enumerate(scored):
        suspects = []
        listed: dict[str, set[int]] = {"overlooked": set(), "swap": set()}
        for issue, scores in per_box.items():
            shapes = predicted[iid] if issue == "overlooked" else values[iid]
            where = pred_pos[n] if issue == "overlooked" else label_pos[n]
            for b, score in enumerate(scores[n]):
                if np.isnan(score) or score >= suspect_threshold:
                    continue
                s = shapes[where[b]]
                if issue in listed:
                    listed[issue].add(where[b])
                suspects.append({"issue": issue, "shape": s.get("id"), "class": s.get("class"),
                                 "bbox": shape_bbox(s), "score": float(score)})  # fmt: skip
        given = [values[iid][p] for p in label_pos[n]]
        confident_pos = [p for p in sorted(pred_pos[n])
                         if _score(predicted[iid][p]) >= agree.min_score]  # fmt: skip
        agreement, parted = _disagreements(given, [predicted[iid][p] for p in confident_pos])
        if agree.use:
            for d in parted:
                # One entry per shape and problem: cleanlab's when it has one.
                if "label" in d:
                    seen = label_pos[n][d.pop("label")] in listed["swap"]
                else:
                    seen = confident_pos[d.pop("prediction")] in listed["overlooked"]
                if not seen:
                    suspects.append(d)
        suspects.sort(key=_suspicion)
        low = agree.use and agreement < agree.threshold
        rows.append({
            "item_id": iid,
            "label": _summary(values[iid], classes),
            "suggested": _summary(predicted[iid], classes, min_score=SUGGEST_SCORE),
            "quality": float(quality[n]),
            "is_issue": bool(flagged[n]) or low,
            "annotators": people.get(iid, {}),
            "suspects": suspects,
            "agreement": agreement,
            **{k: float(pooled[k][n]) for k in _OBJECTLAB_COLUMNS[1:]},
            "_rank": min(float(quality[n]), agreement),
        })  # fmt: skip
    rank = "_rank" if agree.use else None
    df = _frame(rows, extra + ["_rank"], rank=rank).drop(columns="_rank")
    df.attrs["unscored"] = unscored
    return df


def _probability_source(
    project: Project, ids: list[str], predictions: Any
) -> Callable[[str, int], Any]:
    if callable(predictions) and not isinstance(predictions, np.ndarray):
        return lambda iid, _: predictions(iid)
    if isinstance(predictions, Mapping):
        return lambda iid, _: predictions.get(iid)
    arr = predictions
    if not hasattr(arr, "shape") or not hasattr(arr, "__getitem__"):
        arr = np.asarray(predictions)
    if len(arr.shape) != 4:
        raise ValueError(
            f"per-pixel probabilities as an array must be (N, K, H, W); got shape {arr.shape}"
        )
    if arr.shape[0] == len(ids):
        return lambda _, n: arr[n]
    if arr.shape[0] == len(project):
        rows = item_positions(project, ids)
        return lambda _, n: arr[int(rows[n])]
    raise ValueError(
        f"per-pixel probabilities have {arr.shape[0]} rows: give one per labeled item "
        f"({len(ids)}, in project.labels() order) or one per item ({len(project)})"
    )


def _segmentation(
    project: Project,
    task: str,
    classes: list[str],
    ids: list[str],
    values: dict[str, Any],
    predictions: Any,
    types: tuple[str, ...],
    background: bool,
    downsample: int,
    min_issue_fraction: float,
) -> pd.DataFrame:
    require("cleanlab.segmentation", "ml")
    from cleanlab.segmentation import filter as seg_filter
    from cleanlab.segmentation import rank as seg_rank

    source = _probability_source(project, ids, predictions)
    names = (["background"] if background else []) + classes
    # Items grouped by (downsampled) size: cleanlab takes (N, H, W) stacks, and
    # its confident-learning thresholds are estimated per stack.
    groups: dict[tuple[int, int], list[tuple[str, np.ndarray, np.ndarray]]] = {}
    unscored = []
    for n, iid in enumerate(ids):
        probs = source(iid, n)
        if probs is None:
            unscored.append(iid)
            continue
        try:
            lab, small = segmentation_inputs(
                values[iid], probs, classes, background=background, downsample=downsample,
                types=types,
            )  # fmt: skip
        except ValueError as exc:
            raise ValueError(f"item {iid!r}: {exc}") from None
        groups.setdefault(lab.shape, []).append((iid, lab, small))
    people = _annotators(project, task, classes)
    rows = []
    area = downsample * downsample
    for group in groups.values():
        labels = np.stack([g[1] for g in group]).astype(np.int64)
        probs = np.stack([g[2] for g in group])
        quality, _ = seg_rank.get_label_quality_scores(labels, probs, verbose=False)
        flagged = seg_filter.find_label_issues(labels, probs, n_jobs=1, verbose=False)
        predicted = probs.argmax(axis=1)
        for n, (iid, lab, _) in enumerate(group):
            hit = flagged[n]
            k = len(names)
            pairs = np.bincount(lab[hit] * k + predicted[n][hit], minlength=k * k).reshape(k, k)
            given, model = np.nonzero(pairs)
            suspects = sorted(
                ({"class": names[g], "suggested": names[m], "pixels": int(pairs[g, m]) * area}
                 for g, m in zip(given, model, strict=True)),
                key=lambda d: -d["pixels"],
            )  # fmt: skip
            fraction = float(hit.mean()) if hit.size else 0.0
            rows.append({
                "item_id": iid,
                "label": _summary(values[iid], classes),
                "suggested": _area_summary(predicted[n], names, background),
                "quality": float(quality[n]),
                "is_issue": fraction >= min_issue_fraction and hit.any(),
                "annotators": people.get(iid, {}),
                "suspects": suspects,
                "issue_pixels": int(hit.sum()) * area,
                "issue_fraction": fraction,
            })  # fmt: skip
    df = _frame(rows, _SEGMENTATION_COLUMNS)
    df.attrs["unscored"] = unscored
    return df


def _area_summary(argmax: np.ndarray, names: list[str], background: bool) -> str:
    counts = np.bincount(argmax.ravel(), minlength=len(names))
    total = max(int(counts.sum()), 1)
    parts = []
    for c in np.argsort(-counts, kind="stable"):
        if counts[c] == 0 or (background and c == 0):
            continue
        parts.append(f"{names[c]} {100 * counts[c] / total:.0f}%")
    return ", ".join(parts)
