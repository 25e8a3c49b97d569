"""Hugging Face ``datasets`` token-classification columns for a
:class:`~workbench.TextSpans` task.

:func:`to_hf_tokens` gives a :class:`datasets.Dataset` with the columns
token-classification models train on (those of ``conll2003``):

=============  ==================================================================
``id``         the item id
``tokens``     the document's tokens, by the task's tokenizer (``"words"``
               when it has none)
``ner_tags``   IOB2 tag ids, a ``Sequence(ClassLabel(names=[...]))``: ``O``,
               then ``B-X`` and ``I-X`` of each class in the schema's order
=============  ==================================================================

What IOB2 cannot hold is named in a warning, as for CoNLL
(:mod:`.conll`): relations, overlapping spans, attributes, scores, span ids
other than those an import gives, spans off token boundaries (widened), and
the text between tokens (an import finds it again from the item, by ``id`` or
by the same tokens; else joins the tokens with single spaces).

:func:`from_hf_tokens` reads a ``Dataset`` (tag names from its ``ClassLabel``)
or plain columns (a dict of lists; tags as names, or as ids with
``tag_names=``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._common import (
    Incoming,
    Losses,
    SpanFormatError,
    describe,
    iob_tags,
    labeled_docs,
    spans_from_tags,
    spans_task,
    store_docs,
    tag_names,
)

__all__ = ["to_hf_tokens", "from_hf_tokens", "hf_features", "HfFormatError"]


class HfFormatError(SpanFormatError):
    """Token-classification columns are malformed or do not fit the project; the
    message names the row and the column."""


def _datasets() -> Any:
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "Hugging Face datasets is needed for this: pip install 'label-workbench[text]'"
        ) from exc
    return datasets


def hf_features(project: Any, *, task: str | None = None) -> Any:
    """The :class:`datasets.Features` of :func:`to_hf_tokens`'s dataset."""
    datasets = _datasets()
    t = spans_task(project, task, "Hugging Face token classification")
    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=tag_names(t))),
        }
    )


def to_hf_tokens(
    project: Any, task: str | None = None, *, strict: bool = False, progress: bool | None = None
) -> Any:
    """The current labels of a TextSpans task as a :class:`datasets.Dataset` of
    ``id``, ``tokens`` and ``ner_tags`` (module docstring).

    ``progress``: a progress bar over the documents (default: shown for at
    least :data:`~workbench.items.PROGRESS_MIN` of them).

    Warns
    -----
    UserWarning
        Naming what IOB2 cannot hold, with counts (or :class:`HfFormatError`
        with ``strict=True``).
    """
    datasets = _datasets()
    t = spans_task(project, task, "Hugging Face token classification")
    names = tag_names(t)
    ids = {n: k for k, n in enumerate(names)}
    losses = Losses()
    cols: dict[str, list[Any]] = {"id": [], "tokens": [], "ner_tags": []}
    for item_id, text, value in labeled_docs(project, t, "Hugging Face export", progress):
        tokens, tags = iob_tags(t, text, value, losses)
        cols["id"].append(item_id)
        cols["tokens"].append([text[a:b] for a, b in tokens])
        cols["ner_tags"].append([ids[g] for g in tags])
    losses.report(t, "Hugging Face token classification", strict, HfFormatError)
    return datasets.Dataset.from_dict(cols, features=hf_features(project, task=t.name))


def from_hf_tokens(
    project: Any,
    dataset_or_columns: Any,
    *,
    task: str | None = None,
    annotator: str | None = None,
    tag_names: Sequence[str] | None = None,
    id_column: str = "id",
    progress: bool | None = None,
) -> int:
    """Import token-classification rows as labels of a TextSpans task; returns how
    many labels were written.

    Each row's item: its ``id`` when the project has it, else the text item with
    the same tokens, else a new text item of the tokens joined by single spaces.
    Tag ids are read through the dataset's ``ClassLabel`` (or ``tag_names``);
    a tag naming no class of the task, an id out of range, or ``tokens`` and
    ``ner_tags`` of different lengths is an :class:`HfFormatError` naming the
    row, and nothing is stored.

    ``progress``: a progress bar over the documents (default: shown for at
    least :data:`~workbench.items.PROGRESS_MIN` of them).
    """
    t = spans_task(project, task, "Hugging Face token classification")
    cols, names = _columns(dataset_or_columns, tag_names)
    for key in ("tokens", "ner_tags"):
        if key not in cols:
            raise HfFormatError(f"no column {key!r}; columns: {sorted(map(str, cols))}")
    tokens_col, tags_col = cols["tokens"], cols["ner_tags"]
    ids_col = cols.get(id_column)
    if len(tokens_col) != len(tags_col) or (
        ids_col is not None and len(ids_col) != len(tokens_col)
    ):
        raise HfFormatError("columns of different lengths")
    docs = []
    for row, (tokens, tags) in enumerate(zip(tokens_col, tags_col, strict=True)):
        at = f"row {row}"
        if (
            not isinstance(tokens, Sequence)
            or isinstance(tokens, str)
            or not all(isinstance(w, str) and w and not any(c.isspace() for c in w) for w in tokens)
        ):
            raise HfFormatError(
                f"{at}: column 'tokens': a list of non-empty strings without "
                f"spaces, got {describe(tokens)}"
            )
        if not isinstance(tags, Sequence) or isinstance(tags, str) or len(tags) != len(tokens):
            raise HfFormatError(
                f"{at}: column 'ner_tags': one tag a token ({len(tokens)}), got {describe(tags)}"
            )
        tag_strs = [_tag(g, names, at) for g in tags]

        def error(k: int, message: str, at: str = at) -> HfFormatError:
            return HfFormatError(f"{at}: ner_tags[{k}]: {message}")

        spans = spans_from_tags(tag_strs, t.class_names, error)
        item_id = None if ids_col is None else ids_col[row]
        if item_id is not None and (
            isinstance(item_id, bool) or not isinstance(item_id, str | int)
        ):
            raise HfFormatError(f"{at}: column {id_column!r}: an item id, got {describe(item_id)}")
        docs.append(
            Incoming(
                at,
                item_id=None if item_id is None else str(item_id),
                tokens=list(tokens),
                token_spans=spans,
            )
        )
    return store_docs(
        project,
        t,
        docs,
        HfFormatError,
        annotator=annotator,
        progress=progress,
        desc="Hugging Face import",
    )


def _columns(
    source: Any, given: Sequence[str] | None
) -> tuple[Mapping[str, Any], list[str] | None]:
    names = list(given) if given is not None else None
    if isinstance(source, Mapping):
        return source, names
    features = getattr(source, "features", None)
    to_dict = getattr(source, "to_dict", None)
    if features is None or to_dict is None:
        raise TypeError(
            "dataset_or_columns must be a datasets.Dataset or a dict of columns, "
            f"got {type(source)}"
        )
    if names is None:
        feature = features.get("ner_tags") if hasattr(features, "get") else None
        inner = getattr(feature, "feature", None)
        if inner is None and isinstance(feature, list) and feature:  # datasets' List form
            inner = feature[0]
        names = list(getattr(inner, "names", None) or []) or None
    return to_dict(), names


def _tag(g: Any, names: list[str] | None, at: str) -> str:
    if isinstance(g, str):
        return g
    if isinstance(g, bool) or not isinstance(g, int):
        raise HfFormatError(f"{at}: column 'ner_tags': a tag id or name, got {describe(g)}")
    if names is None:
        raise HfFormatError(
            f"{at}: tag ids without tag names: give tag_names= or a Dataset "
            "whose ner_tags are a ClassLabel"
        )
    if not 0 <= g < len(names):
        raise HfFormatError(f"{at}: tag id {g} out of range: {len(names)} tag names")
    return names[g]
