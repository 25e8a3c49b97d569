"""Pre-labeling a text-span task: entity spans from a model, stored as suggestions.

:func:`prelabel_spans` (reached through :func:`workbench.prelabel.prelabel` and
:meth:`Project.prelabel` when the task is a :class:`~workbench.TextSpans` task)
runs a model over the text items in batches and stores, per item, one
``prelabel`` event whose value is the task's value (``{"spans": [...],
"relations": [...]}``) with each span's ``score``. The text widget shows them
dashed, with their score, to accept, edit or reject.

The models it takes
-------------------
a :class:`~workbench.kinds.spans.matcher.Matcher`
    dictionary entries and regular expressions (exported as ``wb.SpanMatcher``),
    matched on the task's tokenizer and overlap rule; every match scores 1.0.
a spaCy ``Language``
    a blank pipeline with an ``entity_ruler``, or any installed pipeline (never
    downloaded here): ``doc.ents``, or ``doc.spans[spans_key]`` with
    ``spans_key=`` (a ``spancat``'s scores are kept, in ``attrs["scores"]``).
    Texts go through ``nlp.pipe`` in batches. Needs the ``text`` extra.
a ``torch.nn.Module`` with ``encode=``
    a token-classification model. ``encode(text)`` returns ``(inputs,
    offsets)``: ``inputs`` a tensor whose first dimension is the ``T``
    positions (token ids ``T``, or features ``T × D``), or a dict of such
    tensors (``input_ids``, ``attention_mask`` … given to the model as keyword
    arguments); ``offsets`` the ``(start, end)`` character offsets of each
    position in the text (``start == end`` for special tokens, which are
    skipped). A batch pads every input with zeros to the longest and calls the
    model once, under ``torch.inference_mode`` on ``device`` (mixed precision
    on a GPU, as for the other kinds); it returns ``B × T × C`` logits or
    probabilities (or an object with ``.logits``, Hugging Face's form). ``tags``
    names the ``C`` channels: ``["O", "B-PER", "I-PER", ...]`` (BIO) or
    ``["O", "PER", ...]`` (IO); ``["O", *task classes]`` by default. Each
    position takes its most probable tag; spans are decoded as in
    :func:`.tags.decode`, scored by the mean probability of their positions.
a callable
    ``fn(text) -> spans``: a list of dicts ``{"start", "end", "class",
    "score"?}`` or tuples ``(start, end, class[, score])``, or a value dict
    ``{"spans": [...], "relations": [...]}`` (relations need span ids).

What is stored
--------------
``label_map`` renames the model's classes (``{"PERSON": "PER", "DATE": None}``,
None dropping one). A span is **not stored**, and counted in the warning the
run ends with and in the result's ``skipped``, when it falls outside the text,
has a class the task does not have, does not start and end on the task's token
boundaries (``snap_to_tokens=True`` widens it to them instead), or overlaps a span
already kept in a task whose spans do not overlap (kept: the highest score,
then the longest). Spans scoring below ``min_score`` are dropped silently, as
a threshold does. A relation is kept when both its spans are. Every item gets
one event (no spans: ``{"spans": [], "relations": []}``), whose score is the
mean of its spans' scores; annotator ``model:name@version``.
"""

from __future__ import annotations

import bisect
import logging
import math
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...errors import MissingDependencyError, SchemaError, WorkbenchError, require
from ...ml.parts import take_disjoint
from ...ml.predictions import save_run, saved_runs
from ...ml.runner import EVENT_CHUNK, TorchRunner, checked_item_ids, new_model_id, resolve_device
from ...store.base import Event
from .matcher import Matcher
from .schema import tokenize
from .tags import OUTSIDE, decode, parse_tags

if TYPE_CHECKING:
    from ...project import Project
    from .schema import TextSpans

__all__ = ["prelabel_spans", "SpanPrelabels", "SKIP_REASONS", "item_texts"]

logger = logging.getLogger("workbench.prelabel")
logger.addHandler(logging.NullHandler())

#: Why a model's span was not stored (keys of :attr:`SpanPrelabels.skipped`).
SKIP_REASONS = ("outside the text", "unknown class", "off the tokens", "overlapping",
                "relation to a skipped span", "malformed")  # fmt: skip
_RUN_FILE = "spans.json"
_DEFAULT_BATCH = 32


@dataclass(frozen=True, repr=False, eq=False)
class SpanPrelabels:
    """What a span pre-labeling run produced.

    Attributes
    ----------
    model : str
        ``"name@version"``; the events' annotator is ``model:name@version``.
    task : str
    frame : pandas.DataFrame
        One row per item, in run order: ``item_id``, ``spans`` (stored),
        ``score`` (the event's: mean span score, NaN when none) and ``skipped``
        (the model's spans not stored).
    values : dict
        ``{item_id: value}`` as stored.
    skipped : collections.Counter
        Spans not stored, by reason (:data:`SKIP_REASONS`).
    written : bool
        Whether the ``prelabel`` events were appended.
    """

    model: str
    task: str
    frame: pd.DataFrame
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    written: bool = True

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def items(self) -> int:
        return len(self.frame)

    @property
    def spans(self) -> int:
        return int(self.frame["spans"].sum())

    @property
    def n_skipped(self) -> int:
        return int(sum(self.skipped.values()))

    def __repr__(self) -> str:
        return (
            f"SpanPrelabels({self.model!r}, task={self.task!r}, items={self.items}, "
            f"spans={self.spans}, skipped={self.n_skipped})"
        )


def item_texts(project: Project, ids: Sequence[str], chunk: int = 500) -> Iterator[tuple[str, str]]:
    """``(item_id, text)`` of ``ids`` in order, read ``chunk`` records at a time; an item
    that is not a text raises a :class:`SchemaError` naming it."""
    for s in range(0, len(ids), chunk):
        part = list(ids[s : s + chunk])
        records = {r.item_id: r for r in project.store.get_items(part)}
        for iid in part:
            rec = records[iid]
            text = rec.text if rec.text is not None else project.reader.load(rec)
            if not isinstance(text, str):
                raise SchemaError(f"item {iid!r} is not a text: spans are labeled in texts")
            yield iid, text


def prelabel_spans(
    project: Project,
    model: Any,
    *,
    task: str | None = None,
    batch_size: int | None = None,
    device: str = "auto",
    name: str | None = None,
    version: int | str | None = None,
    ids: Sequence[str] | None = None,
    encode: Callable[[str], Any] | None = None,
    tags: Sequence[str] | None = None,
    outputs: str = "auto",
    label_map: Mapping[str, str | None] | None = None,
    spans_key: str | None = None,
    min_score: float = 0.0,
    snap_to_tokens: bool = False,
    amp: bool = True,
    write_events: bool = True,
    progress: bool = True,
) -> SpanPrelabels:
    """Run a span model over text items; store its spans as pre-labels.

    Parameters
    ----------
    project : Project
    model : Matcher, spacy.Language, torch.nn.Module or callable
        See the module docstring.
    task : str, optional
        A spans task; the schema's first one by default.
    batch_size : int, optional
        Texts per model call (32 by default).
    device : str
        For a torch module: ``"auto"`` (a GPU it already sits on, else CUDA,
        else MPS, else the CPU) or an explicit device.
    name, version : optional
        The model's name and version, as for the other kinds.
    ids : sequence of str, optional
        Items to pre-label; every item by default.
    encode : callable, required for a torch module
        ``text -> (inputs, offsets)`` (module docstring).
    tags : sequence of str, optional
        The torch model's output channels (module docstring).
    outputs : {"auto", "logits", "probs"}
        What the torch model returns; ``"auto"``: probabilities when each
        position's outputs are in ``[0, 1]`` and sum to 1, logits otherwise.
    label_map : mapping, optional
        Model class → task class (None drops it).
    spans_key : str, optional
        spaCy: read ``doc.spans[spans_key]`` instead of ``doc.ents``.
    min_score : float
        Spans scoring below it are not kept (0: all).
    snap_to_tokens : bool
        Widen a span that cuts a token of the task's tokenizer to whole tokens
        (:func:`.schema.snap`) instead of skipping it.
    amp : bool
        Mixed precision on a GPU (torch).
    write_events : bool
        Append the ``prelabel`` events (the default).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    SpanPrelabels
        Items, spans stored and spans skipped (by reason).

    Warns
    -----
    UserWarning
        When spans were skipped, with their counts by reason.
    """
    started = time.perf_counter()
    task_obj: TextSpans = project.schema.task_of_kind(task, "spans", purpose="span pre-labeling")  # type: ignore[assignment]
    batch_size = _DEFAULT_BATCH if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if outputs not in ("auto", "logits", "probs"):
        raise ValueError(f"outputs must be one of ['auto', 'logits', 'probs'], got {outputs!r}")
    if isinstance(min_score, bool) or not isinstance(min_score, int | float) or not (
        0.0 <= min_score <= 1.0
    ):  # fmt: skip
        raise ValueError(f"min_score must be a number from 0 to 1, got {min_score!r}")
    if label_map is not None and not isinstance(label_map, Mapping):
        raise TypeError(f"label_map must be a dict {{model class: task class}}, got {label_map!r}")
    item_ids = checked_item_ids(project, ids)
    kind = _model_kind(model)
    if kind != "torch" and (encode is not None or tags is not None):
        raise TypeError("encode= and tags= are for a torch token-classification model")
    if kind != "spacy" and spans_key is not None:
        raise TypeError("spans_key= is for a spaCy pipeline")
    if kind == "torch" and encode is None:
        raise TypeError(
            "a torch token-classification model needs encode=: text -> (inputs, offsets)"
        )
    saved = saved_runs(project.models_dir, task_obj.name, _RUN_FILE)
    model_id = new_model_id(_naming(model, kind), name, version, project, task_obj.name,
                            saved=saved)  # fmt: skip
    annotator = f"model:{model_id}"
    cleaner = _Cleaner(task_obj, label_map, min_score, snap_to_tokens)
    run = _runner(kind, model, task_obj, encode=encode, tags=tags, outputs=outputs,
                  spans_key=spans_key, device=device, amp=amp)  # fmt: skip
    from tqdm.auto import tqdm

    events: list[Event] = []
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(item_ids), desc=f"prelabel {model_id}", unit="item", disable=not progress)
    texts = item_texts(project, item_ids)
    try:
        with run:
            while True:
                batch = [t for _, t in zip(range(batch_size), texts, strict=False)]
                if not batch:
                    break
                for (iid, text), raw in zip(batch, run([t for _, t in batch]), strict=True):
                    value, dropped = cleaner(iid, text, raw)
                    scores = [s["score"] for s in value["spans"] if "score" in s]
                    score = float(np.mean(scores)) if scores else None
                    events.append(Event(iid, task_obj.name, value, kind="prelabel",
                                        annotator=annotator, score=score,
                                        schema_version=project.schema.version))  # fmt: skip
                    rows.append({"item_id": iid, "spans": len(value["spans"]),
                                 "score": math.nan if score is None else score,
                                 "skipped": dropped})  # fmt: skip
                bar.update(len(batch))
    finally:
        bar.close()
    if write_events:
        for s in range(0, len(events), EVENT_CHUNK):
            project.store.append(events[s : s + EVENT_CHUNK])
    frame = pd.DataFrame(rows, columns=["item_id", "spans", "score", "skipped"])
    frame["score"] = frame["score"].astype(float)
    result = SpanPrelabels(model_id, task_obj.name, frame, {e.item_id: e.value for e in events},
                           Counter(cleaner.skipped), write_events)  # fmt: skip
    if result.n_skipped:
        shown = ", ".join(f"{n} {why}" for why, n in result.skipped.most_common())
        warnings.warn(
            f"prelabel {model_id}: {result.n_skipped} of the model's spans were not stored "
            f"({shown}); first: {cleaner.first}",
            UserWarning,
            stacklevel=3,
        )
    _save_run(project, result, started)
    logger.info("workbench prelabel: %d items, %d spans (%d skipped) with %s in %.2f s",
                result.items, result.spans, result.n_skipped, model_id,
                time.perf_counter() - started)  # fmt: skip
    return result


# -- models ------------------------------------------------------------------------------
def _is_spacy(model: Any) -> bool:
    import sys

    spacy = sys.modules.get("spacy")
    if spacy is not None and isinstance(model, spacy.language.Language):
        return True
    return type(model).__module__.startswith("spacy.") and hasattr(model, "pipe")


def _is_torch(model: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _model_kind(model: Any) -> str:
    if isinstance(model, Matcher):
        return "matcher"
    if _is_spacy(model):
        return "spacy"
    if _is_torch(model):
        return "torch"
    if callable(model):
        return "callable"
    raise TypeError(
        "model must be a workbench Matcher, a spaCy Language, a torch token-classification "
        f"module (with encode=) or a callable text -> spans; got {type(model).__name__}"
    )


def _naming(model: Any, kind: str) -> Any:
    """What :func:`new_model_id` names the model after."""
    if kind == "spacy":
        from types import SimpleNamespace

        meta = getattr(model, "meta", {}) or {}
        return SimpleNamespace(__name__=f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}")
    return model


class _Run:
    """Calls a model on a batch of texts; one raw answer per text. A context manager."""

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, texts: list[str]) -> list[Any]:
        raise NotImplementedError


class _CallRun(_Run):
    def __init__(self, fn: Callable[[str], Any]) -> None:
        self.fn = fn

    def __call__(self, texts: list[str]) -> list[Any]:
        return [self.fn(t) for t in texts]


class _MatcherRun(_Run):
    def __init__(self, matcher: Matcher, task: TextSpans) -> None:
        self.matcher, self.task = matcher, task

    def __call__(self, texts: list[str]) -> list[Any]:
        return [self.matcher(t, tokens=self.task.tokens, overlapping=self.task.overlapping)
                for t in texts]  # fmt: skip


class _SpacyRun(_Run):
    def __init__(self, nlp: Any, key: str | None, batch_size: int) -> None:
        self.nlp, self.key, self.batch_size = nlp, key, batch_size

    def __call__(self, texts: list[str]) -> list[Any]:
        out = []
        for doc in self.nlp.pipe(texts, batch_size=self.batch_size):
            if self.key is None:
                group, scores = doc.ents, None
            else:
                if self.key not in doc.spans:
                    raise WorkbenchError(
                        f"the spaCy pipeline set no doc.spans[{self.key!r}]; it has "
                        f"{sorted(doc.spans)}"
                    )
                group = doc.spans[self.key]
                scores = group.attrs.get("scores") if hasattr(group, "attrs") else None
            spans = []
            for i, sp in enumerate(group):
                row = {"start": sp.start_char, "end": sp.end_char, "class": sp.label_}
                if scores is not None and i < len(scores):
                    row["score"] = float(scores[i])
                spans.append(row)
            out.append(spans)
        return out


class _TorchRun(_Run):
    """A token-classification module: pad a batch, one call, decode each text's tags."""

    def __init__(self, module: Any, encode: Callable[[str], Any], tags: Sequence[str],
                 outputs: str, device: str, amp: bool) -> None:  # fmt: skip
        import torch

        self.torch = torch
        self.encode = encode
        self.parsed = parse_tags(list(tags))
        self.outputs = outputs
        dev = resolve_device(device, model=module)
        self.runner = TorchRunner(module, dev, amp, "probs", False, torch)

    def __enter__(self) -> _TorchRun:
        self.runner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.runner.__exit__(*exc)

    def __call__(self, texts: list[str]) -> list[Any]:
        torch = self.torch
        encoded = [self._encoded(t) for t in texts]
        lengths = [len(off) for _, off in encoded]
        inputs = _pad([x for x, _ in encoded], torch, self.runner.device)
        with torch.inference_mode():
            amp = self.runner.amp_dtype
            ctx = (torch.autocast(device_type=self.runner.device.type, dtype=amp)
                   if amp is not None else _null())  # fmt: skip
            with ctx:
                out = self.runner.module(**inputs) if isinstance(inputs, dict) else (
                    self.runner.module(inputs))  # fmt: skip
            out = getattr(out, "logits", out)
            if isinstance(out, tuple | list):
                out = out[0]
            if not isinstance(out, torch.Tensor):
                raise WorkbenchError(
                    f"the torch model returned {type(out).__name__}; a token-classification "
                    "model returns a B × T × C tensor of logits or probabilities"
                )
            out = out.float()
        c = len(self.parsed)
        if out.ndim != 3 or out.shape[0] != len(texts) or out.shape[2] != c or (
            out.shape[1] < max(lengths, default=0)
        ):  # fmt: skip
            raise WorkbenchError(
                f"the torch model returned shape {tuple(out.shape)} for {len(texts)} texts of "
                f"up to {max(lengths, default=0)} positions; expected ({len(texts)}, T, {c}): "
                f"one channel per tag {[t for t in self._tag_names()]}"
            )
        probs = self._probs(out).cpu().numpy()
        answers = []
        for row, (_, offsets), n in zip(probs, encoded, lengths, strict=True):
            p = row[:n]
            best = p.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
            answers.append(decode(best, p[np.arange(n), best], offsets, self.parsed))
        return answers

    def _tag_names(self) -> list[str]:
        return [OUTSIDE if c is None else f"{pre}-{c}" for pre, c in self.parsed]

    def _probs(self, out: Any) -> Any:
        torch = self.torch
        mode = self.outputs
        if mode == "auto":
            looks = bool(((out >= -1e-6) & (out <= 1 + 1e-6)).all()) and bool(
                ((out.sum(dim=-1) - 1).abs() <= 5e-3).all()
            )
            mode = "probs" if looks else "logits"
            self.outputs = mode  # decided once, on the first batch
        return out if mode == "probs" else torch.softmax(out, dim=-1)

    def _encoded(self, text: str) -> tuple[Any, list[tuple[int, int]]]:
        torch = self.torch
        got = self.encode(text)
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise WorkbenchError("encode(text) must return (inputs, offsets)")
        x, offsets = got
        offsets = [(int(s), int(e)) for s, e in np.asarray(offsets).reshape(-1, 2).tolist()]
        first = next(iter(x.values())) if isinstance(x, Mapping) else x
        if not isinstance(first, torch.Tensor) or first.ndim < 1:
            raise WorkbenchError("encode(text)'s inputs must be tensors with positions first")
        if first.shape[0] != len(offsets):
            raise WorkbenchError(
                f"encode(text) gave {first.shape[0]} input positions but {len(offsets)} offsets"
            )
        return x, offsets


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _pad(xs: list[Any], torch: Any, device: Any) -> Any:
    """A list of ``T_i × …`` tensors (or dicts of them) as one zero-padded batch."""
    if isinstance(xs[0], Mapping):
        return {k: _pad([x[k] for x in xs], torch, device) for k in xs[0]}
    n = max(x.shape[0] for x in xs)
    out = xs[0].new_zeros((len(xs), n, *xs[0].shape[1:]))
    for i, x in enumerate(xs):
        out[i, : x.shape[0]] = x
    if out.is_floating_point():
        out = out.float()
    return out.to(device)


def _runner(kind: str, model: Any, task: TextSpans, *, encode: Any, tags: Any, outputs: str,
            spans_key: str | None, device: str, amp: bool) -> _Run:  # fmt: skip
    if kind == "matcher":
        return _MatcherRun(model, task)
    if kind == "spacy":
        try:
            import spacy  # noqa: F401
        except ImportError as exc:  # pragma: no cover - a spaCy object means spaCy is there
            raise MissingDependencyError(
                "pre-labeling with spaCy needs it: pip install label-workbench[text]"
            ) from exc
        return _SpacyRun(model, spans_key, _DEFAULT_BATCH)
    if kind == "torch":
        require("torch", "ml")
        return _TorchRun(model, encode, tags or [OUTSIDE, *task.class_names], outputs,
                         device, amp)  # fmt: skip
    return _CallRun(model)


# -- cleaning the model's spans --------------------------------------------------------------
class _Cleaner:
    """A model's raw answer for one text → a valid value, and what was left out."""

    def __init__(self, task: TextSpans, label_map: Mapping[str, str | None] | None,
                 min_score: float, snap_to_tokens: bool) -> None:  # fmt: skip
        self.task = task
        self.label_map = dict(label_map or {})
        unknown = sorted(str(v) for v in self.label_map.values()
                         if v is not None and v not in task.class_names)  # fmt: skip
        if unknown:
            raise SchemaError(
                f"label_map names {unknown[0]!r}, which is not a class of task {task.name!r}; "
                f"classes: {task.class_names}"
            )
        self.min_score = float(min_score)
        self.snap = bool(snap_to_tokens)
        self.skipped: Counter = Counter()
        self.first: str | None = None

    def _skip(self, why: str, iid: str, what: Any) -> None:
        self.skipped[why] += 1
        if self.first is None:
            self.first = f"item {iid!r}: {what!r} ({why})"

    def __call__(self, iid: str, text: str, raw: Any) -> tuple[dict[str, Any], int]:
        before = sum(self.skipped.values())
        relations_in: list[Any] = []
        if isinstance(raw, Mapping):
            spans_in = list(raw.get("spans") or ())
            relations_in = list(raw.get("relations") or ())
        elif raw is None:
            spans_in = []
        else:
            try:
                spans_in = list(raw)
            except TypeError:
                raise WorkbenchError(
                    f"item {iid!r}: the model returned {type(raw).__name__}; a list of spans "
                    "was expected"
                ) from None
        tokens = tokenize(text, self.task.tokens) if self.task.tokens is not None else None
        bounds = None if tokens is None else ({s for s, _ in tokens}, {e for _, e in tokens})
        starts = [s for s, _ in tokens or ()]
        ends = [e for _, e in tokens or ()]
        classes = set(self.task.class_names)
        kept: list[dict[str, Any]] = []
        for raw_span in spans_in:
            span = _as_span(raw_span)
            if span is None:
                self._skip("malformed", iid, raw_span)
                continue
            cls = span["class"]
            if cls in self.label_map:
                cls = self.label_map[cls]
                if cls is None:
                    continue
            span["class"] = cls
            if span.get("score") is not None and span["score"] < self.min_score:
                continue
            s, e = span["start"], span["end"]
            if not 0 <= s < e <= len(text):
                self._skip("outside the text", iid, raw_span)
                continue
            if cls not in classes:
                self._skip("unknown class", iid, raw_span)
                continue
            if bounds is not None and (s not in bounds[0] or e not in bounds[1]):
                snapped = _snap(starts, ends, s, e) if self.snap and tokens else None
                if snapped is None:
                    self._skip("off the tokens", iid, raw_span)
                    continue
                span["start"], span["end"] = snapped
            kept.append(span)
        kept = self._resolve_overlaps(iid, kept)
        ids = {s["id"] for s in kept if s.get("id") is not None}
        relations = []
        for r in relations_in:
            ok = isinstance(r, Mapping) and str(r.get("from")) in ids and str(r.get("to")) in ids
            if ok:
                relations.append(dict(r))
            else:
                self._skip("relation to a skipped span", iid, r)
        try:
            value = self.task.validate({"spans": kept, "relations": relations})
        except SchemaError as exc:
            raise SchemaError(f"item {iid!r}: the model's spans: {exc}") from None
        return value, sum(self.skipped.values()) - before

    def _resolve_overlaps(self, iid: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop repeats; in a task without overlaps, keep the best of overlapping spans
        (highest score, then longest, then leftmost)."""
        seen: set[tuple[int, int, str]] = set()
        unique = []
        for s in spans:
            key = (s["start"], s["end"], s["class"])
            if key not in seen:
                seen.add(key)
                unique.append(s)
        if self.task.overlapping:
            return unique

        def rank(s: dict[str, Any]) -> tuple[float, int, int]:
            score = 1.0 if s.get("score") is None else s["score"]
            return (-score, s["start"] - s["end"], s["start"])

        kept, dropped = take_disjoint(sorted(unique, key=rank), lambda s: (s["start"], s["end"]))
        for s in dropped:
            self._skip("overlapping", iid, (s["start"], s["end"], s["class"]))
        return kept


def _snap(starts: list[int], ends: list[int], start: int, end: int) -> tuple[int, int] | None:
    """:func:`.schema.snap` by binary search over the sorted token bounds: the tokens
    ``start``–``end`` touches, or None (a long text's many spans stay cheap)."""
    lo = bisect.bisect_right(ends, start)
    hi = bisect.bisect_left(starts, end)
    return (starts[lo], ends[hi - 1]) if lo < hi else None


def _as_span(raw: Any) -> dict[str, Any] | None:
    """``{"start", "end", "class", "score"?, "id"?, "attributes"?}`` of a dict or tuple;
    None when it is neither or its offsets are not whole numbers."""
    if isinstance(raw, Mapping):
        out = {k: raw[k] for k in ("id", "attributes") if raw.get(k) is not None}
        start, end, cls, score = raw.get("start"), raw.get("end"), raw.get("class"), raw.get(
            "score")  # fmt: skip
    elif isinstance(raw, tuple | list) and len(raw) in (3, 4):
        out = {}
        start, end, cls = raw[:3]
        score = raw[3] if len(raw) == 4 else None
    else:
        return None
    try:
        s, e = int(start), int(end)
        if s != start or e != end or isinstance(start, bool) or isinstance(end, bool):
            return None
        if score is not None:
            score = float(score)
            if not 0.0 <= score <= 1.0:
                return None
    except (TypeError, ValueError, OverflowError):
        return None
    if not isinstance(cls, str):
        return None
    out.update(start=s, end=e, **{"class": cls})
    if score is not None:
        out["score"] = score
    return out


# -- the run's record ------------------------------------------------------------------------
def _save_run(project: Project, result: SpanPrelabels, started: float) -> None:
    body = {"model": result.model, "task": result.task, "kind": "spans", "created_at": started,
            "items": result.items, "spans": result.spans, "skipped": dict(result.skipped),
            "written": result.written}  # fmt: skip
    save_run(project.models_dir, result.task, result.model, _RUN_FILE, body)
