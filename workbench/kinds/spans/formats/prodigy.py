"""Prodigy-style JSONL for a :class:`~workbench.TextSpans` task.

One JSON object a line, as Prodigy's ``ner.manual`` and ``rel.manual`` write
them:

=============  ==================================================================
``text``       the item's text
``spans``      ``{"start", "end", "label"}`` each (character offsets, Python
               ``str`` indices), with ``token_start``/``token_end`` (inclusive)
               when tokens are written; ``id``, ``attributes`` and ``score``
               keep the rest of the span (Prodigy ignores them)
``tokens``     ``{"text", "start", "end", "id", "ws"}`` each, by the task's
               tokenizer (``"words"`` when it has none), when written
``relations``  ``{"head", "child", "head_span", "child_span", "label"}`` each:
               ``head_span``/``child_span`` the two spans (``start``, ``end``,
               ``label``, and their tokens), ``head``/``child`` the index of
               each span's last token when tokens are written; ``id``, ``score``
``meta``       ``{"item_id": ...}``
``answer``     ``"accept"``
=============  ==================================================================

Nothing of a span task is lost: an export then import gives back the same
values. On import, a line whose ``answer`` is ``"reject"`` or ``"ignore"`` is
left out, counted in a warning; a relation finds its spans by
``head_span``/``child_span`` (offsets, and label when given), else by token
index (``head``/``child`` as a span's last or first token).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._common import (
    Incoming,
    Losses,
    SpanFormatError,
    describe,
    doc_tokens,
    labeled_docs,
    load_json,
    read_bytes,
    spans_task,
    store_docs,
)

__all__ = ["to_prodigy", "from_prodigy", "ProdigyFormatError"]


class ProdigyFormatError(SpanFormatError):
    """A Prodigy JSONL file is malformed or does not fit the project; the message
    names the file, the line and the field."""


def to_prodigy(
    project: Any,
    *,
    task: str | None = None,
    path: str | os.PathLike | None = None,
    tokens: bool | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> list[dict[str, Any]]:
    """The current labels of a TextSpans task as Prodigy-style records.

    Parameters
    ----------
    task : str, optional
        The TextSpans task (the schema's first task by default).
    path : str or PathLike, optional
        Also write the records there, one JSON object a line (UTF-8).
    tokens : bool, optional
        Write ``tokens`` and each span's ``token_start``/``token_end`` (by default
        when the task has a tokenizer).
    strict : bool
        Raise instead of warning when anything cannot be written as it is.
    progress : bool, optional
        A progress bar over the documents (default: shown for at least
        :data:`~workbench.items.PROGRESS_MIN` of them).

    Warns
    -----
    UserWarning
        With ``tokens=True`` on a task without a tokenizer, counting spans that do
        not start and end on token boundaries (their offsets are written exactly;
        ``token_start``/``token_end`` are the tokens they touch).
    """
    t = spans_task(project, task, "Prodigy JSONL")
    with_tokens = t.tokens is not None if tokens is None else bool(tokens)
    losses = Losses()
    out = []
    for item_id, text, value in labeled_docs(project, t, "Prodigy export", progress):
        rec: dict[str, Any] = {"text": text}
        toks = doc_tokens(t, text) if with_tokens else None
        starts = {s: k for k, (s, _) in enumerate(toks or ())}
        ends = {e: k for k, (_, e) in enumerate(toks or ())}
        by_id: dict[str, dict[str, Any]] = {}
        spans = []
        for s in value["spans"]:
            sp: dict[str, Any] = {"start": s["start"], "end": s["end"], "label": s["class"]}
            if toks is not None:
                a, b = starts.get(s["start"]), ends.get(s["end"])
                if a is None or b is None:
                    losses.change(
                        "span",
                        "off token boundaries (token_start/token_end: the tokens it touches)",
                    )
                    touched = [
                        k for k, (x, y) in enumerate(toks) if x < s["end"] and y > s["start"]
                    ]
                    a, b = (touched[0], touched[-1]) if touched else (None, None)
                if a is not None:
                    sp["token_start"], sp["token_end"] = a, b
            sp["id"] = s["id"]
            if t.attributes:
                sp["attributes"] = dict(s["attributes"])
            if s.get("score") is not None:
                sp["score"] = s["score"]
            by_id[s["id"]] = sp
            spans.append(sp)
        rec["spans"] = spans
        if toks is not None:
            rec["tokens"] = [
                {
                    "text": text[a:b],
                    "start": a,
                    "end": b,
                    "id": k,
                    "ws": b < len(text) and text[b].isspace(),
                }
                for k, (a, b) in enumerate(toks)
            ]
        if value["relations"] or t.relations:
            rels = []
            for r in value["relations"]:
                head, child = by_id[r["from"]], by_id[r["to"]]
                rel: dict[str, Any] = {}
                if "token_end" in head and "token_end" in child:
                    rel["head"], rel["child"] = head["token_end"], child["token_end"]
                rel["head_span"] = _span_ref(head)
                rel["child_span"] = _span_ref(child)
                rel["label"] = r["class"]
                rel["id"] = r["id"]
                if r.get("score") is not None:
                    rel["score"] = r["score"]
                rels.append(rel)
            rec["relations"] = rels
        rec["meta"] = {"item_id": item_id}
        rec["answer"] = "accept"
        out.append(rec)
    losses.report(t, "Prodigy JSONL", strict, ProdigyFormatError)
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            for rec in out:
                f.write(json.dumps(rec, ensure_ascii=False, allow_nan=False) + "\n")
    return out


def _span_ref(sp: Mapping[str, Any]) -> dict[str, Any]:
    return {k: sp[k] for k in ("start", "end", "token_start", "token_end", "label") if k in sp}


def from_prodigy(
    project: Any,
    source: str | os.PathLike | Iterable[Mapping[str, Any]],
    *,
    task: str | None = None,
    annotator: str | None = None,
    progress: bool | None = None,
) -> int:
    """Import Prodigy-style records (a JSONL file, or the records) as labels of a
    TextSpans task; returns how many labels were written.

    Each line's item: ``meta.item_id`` when the project has it (its text must be
    the line's ``text``), else the text item with that text, else a new text
    item. Every line is validated through the schema against its text before
    anything is written: an unknown label, offsets outside the text, a relation
    to a missing span or a malformed line is a :class:`ProdigyFormatError`
    naming the file and the line, and nothing is stored.

    ``progress``: a progress bar over the documents (default: shown for at
    least :data:`~workbench.items.PROGRESS_MIN` of them).
    """
    t = spans_task(project, task, "Prodigy JSONL")
    records, where = _records(source)
    docs = []
    left_out = 0
    for n, rec in records:
        at = f"{where}: line {n}" if where else f"record {n}"
        if not isinstance(rec, Mapping):
            raise ProdigyFormatError(f"{at}: a record is a JSON object, got {describe(rec)}")
        answer = rec.get("answer", "accept")
        if answer in ("reject", "ignore"):
            left_out += 1
            continue
        if answer != "accept":
            raise ProdigyFormatError(
                f"{at}: field 'answer': accept, reject or ignore, got {describe(answer)}"
            )
        docs.append(_incoming(rec, at))
    written = store_docs(
        project,
        t,
        docs,
        ProdigyFormatError,
        annotator=annotator,
        progress=progress,
        desc="Prodigy import",
    )
    if left_out:
        warnings.warn(
            f"{where or 'records'}: {left_out} record(s) answered 'reject' or "
            "'ignore' were not imported",
            UserWarning,
            stacklevel=2,
        )
    return written


def _records(source: Any) -> tuple[list[tuple[int, Any]], str]:
    if isinstance(source, str | os.PathLike):
        where = os.fspath(source)
        raw = read_bytes(where, ProdigyFormatError)
        out = []
        for n, line in enumerate(raw.split(b"\n"), start=1):
            if line.strip():
                out.append((n, load_json(line, f"{where}: line {n}", ProdigyFormatError)))
        return out, where
    if isinstance(source, Mapping | bytes) or not isinstance(source, Iterable):
        raise TypeError(f"source must be a JSONL path or a list of records, got {type(source)}")
    return [(n, r) for n, r in enumerate(source, start=1)], ""


def _incoming(rec: Mapping[str, Any], at: str) -> Incoming:
    text = rec.get("text")
    if not isinstance(text, str):
        raise ProdigyFormatError(f"{at}: field 'text': a string, got {describe(text)}")
    meta = rec.get("meta")
    meta = {} if meta is None else meta
    if not isinstance(meta, Mapping):
        raise ProdigyFormatError(f"{at}: field 'meta': an object, got {describe(meta)}")
    item_id = meta.get("item_id")
    if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, str | int)):
        raise ProdigyFormatError(f"{at}: field 'meta.item_id': a string, got {describe(item_id)}")
    spans_in = rec.get("spans") or []
    if not isinstance(spans_in, list):
        raise ProdigyFormatError(f"{at}: field 'spans': a list, got {describe(spans_in)}")
    spans = []
    for k, sp in enumerate(spans_in):
        if not isinstance(sp, Mapping):
            raise ProdigyFormatError(f"{at}: spans[{k}]: an object, got {describe(sp)}")
        span = {"start": sp.get("start"), "end": sp.get("end"), "class": sp.get("label")}
        for key in ("id", "attributes", "score"):
            if sp.get(key) is not None:
                span[key] = sp[key]
        if "id" not in span:
            span["id"] = f"\x00{k}"  # relations find spans by offsets; ids given anew below
            span["_given"] = False
        span["_token_start"], span["_token_end"] = sp.get("token_start"), sp.get("token_end")
        spans.append(span)
    relations = []
    rels_in = rec.get("relations") or []
    if not isinstance(rels_in, list):
        raise ProdigyFormatError(f"{at}: field 'relations': a list, got {describe(rels_in)}")
    for k, rel in enumerate(rels_in):
        if not isinstance(rel, Mapping):
            raise ProdigyFormatError(f"{at}: relations[{k}]: an object, got {describe(rel)}")
        ends = [_find_span(spans, rel, side, f"{at}: relations[{k}]") for side in ("head", "child")]
        r = {"from": ends[0], "to": ends[1], "class": rel.get("label")}
        for key in ("id", "score"):
            if rel.get(key) is not None:
                r[key] = rel[key]
        relations.append(r)
    _fresh_ids(spans, relations)
    for span in spans:
        del span["_token_start"], span["_token_end"]
    return Incoming(
        at,
        item_id=None if item_id is None else str(item_id),
        text=text,
        value={"spans": spans, "relations": relations},
    )


def _find_span(spans: list[dict[str, Any]], rel: Mapping[str, Any], side: str, at: str) -> str:
    ref = rel.get(f"{side}_span")
    if isinstance(ref, Mapping) and "start" in ref and "end" in ref:
        found = [
            s
            for s in spans
            if s["start"] == ref["start"]
            and s["end"] == ref["end"]
            and ref.get("label") in (None, s["class"])
        ]
        if len(found) == 1:
            return found[0]["id"]
        if found:
            raise ProdigyFormatError(f"{at}: {side}_span matches {len(found)} spans")
        raise ProdigyFormatError(f"{at}: {side}_span {describe(ref)} is no span of the record")
    if ref is not None:
        raise ProdigyFormatError(
            f"{at}: {side}_span: an object with start and end, got {describe(ref)}"
        )
    tok = rel.get(side)
    if isinstance(tok, int) and not isinstance(tok, bool):
        for key in ("token_end", "token_start"):
            found = [s for s in spans if s[f"_{key}"] == tok]
            if len(found) == 1:
                return found[0]["id"]
    raise ProdigyFormatError(f"{at}: {side} names no span of the record: {describe(tok)}")


def _fresh_ids(spans: list[dict[str, Any]], relations: list[dict[str, Any]]) -> None:
    """Spans read without an id get none (validation gives ``e1``, ``e2`` ... in text
    order), and relations follow them by object."""
    placeholders = {s["id"]: s for s in spans if s.pop("_given", True) is False}
    if not placeholders:
        return
    for s in placeholders.values():
        s["id"] = None
    taken = {s["id"] for s in spans if s["id"] is not None}
    ordered = sorted(spans, key=lambda s: (_num(s["start"]), _num(s["end"]), str(s["class"])))
    n = 0
    for s in ordered:
        if s["id"] is None:
            n += 1
            while f"e{n}" in taken:
                n += 1
            s["id"] = f"e{n}"
            taken.add(s["id"])
    for r in relations:
        for end in ("from", "to"):
            if r[end] in placeholders:
                r[end] = placeholders[r[end]]["id"]


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else -1.0


def write_jsonl(records: Iterable[Mapping[str, Any]], path: str | os.PathLike) -> None:
    Path(path).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
