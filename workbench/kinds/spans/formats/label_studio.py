"""Label Studio JSON for a :class:`~workbench.TextSpans` task.

A list of Label Studio tasks, as its JSON export writes them and its import
reads them: ``{"id", "data": {"text", "item_id"}, "annotations": [{"result":
[...]}]}``. Each span is a ``labels`` result, each relation a ``relation``
result, with the labeling config's names (``from_name`` ``"label"``,
``to_name`` ``"text"`` by default; :func:`label_studio_config` writes the
matching ``<View>``):

- span: ``{"id", "from_name", "to_name", "type": "labels", "value": {"start",
  "end", "text", "labels": [class]}}`` (``score`` beside ``value`` when the span
  has one); ``start``/``end`` are Python ``str`` offsets, as Label Studio's
  text regions count them;
- relation: ``{"type": "relation", "from_id", "to_id", "direction": "right",
  "labels": [type]}`` (Label Studio gives relations no id: the ids of relations
  are the ``r1``, ``r2`` … an import gives, and others are named in the export's
  warning);
- span attributes: per-region results with the span's ``id`` and the
  attribute's name as ``from_name``: ``choices`` (``"true"``/``"false"`` for a
  bool, the choice for a choice), ``number``, or ``textarea``.

On import the first annotation of each task is read (others are counted in a
warning); a ``labels`` result with several labels, a relation to a region the
annotation lacks, a region whose ``text`` is not the item's text at its
offsets, or an unknown label is a :class:`LabelStudioFormatError` naming the
file, the task and the result, and nothing is stored.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from ....label_studio import (
    ATTRIBUTE_RESULTS,
    attribute_controls,
    attribute_results,
    read_attribute,
)
from ._common import (
    Incoming,
    Losses,
    SpanFormatError,
    describe,
    labeled_docs,
    load_json,
    read_bytes,
    spans_task,
    store_docs,
)

__all__ = ["to_label_studio", "from_label_studio", "label_studio_config", "LabelStudioFormatError"]


class LabelStudioFormatError(SpanFormatError):
    """A Label Studio file is malformed or does not fit the project; the message
    names the file, the task and the result."""


def label_studio_config(
    project: Any, *, task: str | None = None, from_name: str = "label", to_name: str = "text"
) -> str:
    """The labeling config (``<View>`` XML) that matches :func:`to_label_studio`'s
    results: ``Labels`` of the span classes, ``Relations`` of the relation types,
    one per-region control per attribute."""
    t = spans_task(project, task, "Label Studio")
    lines = ["<View>", f"  <Labels name={quoteattr(from_name)} toName={quoteattr(to_name)}>"]
    lines += [f"    <Label value={quoteattr(c)}/>" for c in t.class_names]
    lines.append("  </Labels>")
    lines.append(f'  <Text name={quoteattr(to_name)} value="$text"/>')
    if t.relations:
        lines.append("  <Relations>")
        lines += [f"    <Relation value={quoteattr(r)}/>" for r in t.relation_names]
        lines.append("  </Relations>")
    lines += attribute_controls(t.attributes, to_name)
    lines.append("</View>")
    return "\n".join(lines)


def to_label_studio(
    project: Any,
    *,
    task: str | None = None,
    path: str | os.PathLike | None = None,
    from_name: str = "label",
    to_name: str = "text",
    strict: bool = False,
    progress: bool | None = None,
) -> list[dict[str, Any]]:
    """The current labels of a TextSpans task as Label Studio tasks (module
    docstring); also written to ``path`` as JSON when given.

    ``progress``: a progress bar over the documents (default: shown for at
    least :data:`~workbench.items.PROGRESS_MIN` of them).

    Warns
    -----
    UserWarning
        Counting relation ids and relation scores, which Label Studio's results
        do not hold (or :class:`LabelStudioFormatError` with ``strict=True``).
    """
    t = spans_task(project, task, "Label Studio")
    losses = Losses()
    out = []
    for n, (item_id, text, value) in enumerate(
        labeled_docs(project, t, "Label Studio export", progress), start=1
    ):
        result: list[dict[str, Any]] = []
        for s in value["spans"]:
            region = {"start": s["start"], "end": s["end"], "text": text[s["start"] : s["end"]]}
            res: dict[str, Any] = {
                "id": s["id"],
                "from_name": from_name,
                "to_name": to_name,
                "type": "labels",
                "value": {**region, "labels": [s["class"]]},
            }
            if s.get("score") is not None:
                res["score"] = s["score"]
            result.append(res)
            result += attribute_results(t.attributes, s["attributes"], region, s["id"], to_name)
        for k, r in enumerate(value["relations"], start=1):
            if r["id"] != f"r{k}":
                losses.field("id", "relation")
            if r.get("score") is not None:
                losses.field("score", "relation")
            result.append(
                {
                    "from_id": r["from"],
                    "to_id": r["to"],
                    "type": "relation",
                    "direction": "right",
                    "labels": [r["class"]],
                }
            )
        out.append(
            {
                "id": n,
                "data": {"text": text, "item_id": item_id},
                "annotations": [{"id": n, "result": result}],
            }
        )
    losses.report(t, "Label Studio", strict, LabelStudioFormatError)
    if path is not None:
        Path(path).write_text(
            json.dumps(out, ensure_ascii=False, allow_nan=False), encoding="utf-8"
        )
    return out


def from_label_studio(
    project: Any,
    source: str | os.PathLike | list[Mapping[str, Any]],
    *,
    task: str | None = None,
    annotator: str | None = None,
    text_key: str = "text",
    progress: bool | None = None,
) -> int:
    """Import Label Studio tasks (a JSON file or the list) as labels of a TextSpans
    task; returns how many labels were written. Each task's item: ``data.item_id``
    when the project has it, else the text item with the same ``data[text_key]``,
    else a new text item. All or nothing (module docstring).

    ``progress``: a progress bar over the documents (default: shown for at
    least :data:`~workbench.items.PROGRESS_MIN` of them).
    """
    t = spans_task(project, task, "Label Studio")
    if isinstance(source, str | os.PathLike):
        where = os.fspath(source)
        data = load_json(read_bytes(where, LabelStudioFormatError), where, LabelStudioFormatError)
    else:
        where, data = "<Label Studio tasks>", source
    if isinstance(data, Mapping):
        data = [data]  # one task exported on its own
    if not isinstance(data, list):
        raise LabelStudioFormatError(f"{where}: a list of tasks, got {describe(data)}")
    docs = []
    extra = 0
    attrs = {a.name: a for a in t.attributes}
    for i, ls_task in enumerate(data):
        at = f"{where}: tasks[{i}]"
        if not isinstance(ls_task, Mapping):
            raise LabelStudioFormatError(f"{at}: a task is an object, got {describe(ls_task)}")
        if "id" in ls_task:
            at += f" (id {describe(ls_task['id'])})"
        d = ls_task.get("data")
        if not isinstance(d, Mapping):
            raise LabelStudioFormatError(f"{at}: field 'data': an object, got {describe(d)}")
        text = d.get(text_key)
        if not isinstance(text, str):
            raise LabelStudioFormatError(
                f"{at}: field 'data.{text_key}': a string, got {describe(text)}"
            )
        item_id = d.get("item_id")
        if item_id is not None and (
            isinstance(item_id, bool) or not isinstance(item_id, str | int)
        ):
            raise LabelStudioFormatError(
                f"{at}: field 'data.item_id': a string, got {describe(item_id)}"
            )
        anns = ls_task.get("annotations") or []
        if not isinstance(anns, list) or not all(isinstance(a, Mapping) for a in anns):
            raise LabelStudioFormatError(f"{at}: field 'annotations': a list of objects")
        live = [a for a in anns if not a.get("was_cancelled")]
        if not live:
            continue
        extra += len(live) - 1
        result = live[0].get("result") or []
        if not isinstance(result, list):
            raise LabelStudioFormatError(f"{at}: field 'result': a list, got {describe(result)}")
        value = _value(result, text, attrs, at)
        docs.append(
            Incoming(at, item_id=None if item_id is None else str(item_id), text=text, value=value)
        )
    written = store_docs(
        project,
        t,
        docs,
        LabelStudioFormatError,
        annotator=annotator,
        progress=progress,
        desc="Label Studio import",
    )
    if extra:
        warnings.warn(
            f"{where}: {extra} annotation(s) beyond each task's first were not "
            "imported (one label an item and task)",
            UserWarning,
            stacklevel=2,
        )
    return written


def _value(result: list[Any], text: str, attrs: dict[str, Any], at: str) -> dict[str, Any]:
    spans: dict[str, dict[str, Any]] = {}
    relations: list[dict[str, Any]] = []
    per_region: list[tuple[int, Mapping[str, Any]]] = []
    for k, res in enumerate(result):
        where = f"{at}: result[{k}]"
        if not isinstance(res, Mapping):
            raise LabelStudioFormatError(f"{where}: a result is an object, got {describe(res)}")
        kind = res.get("type")
        if kind == "relation":
            labels = res.get("labels") or []
            if not isinstance(labels, list) or len(labels) != 1:
                raise LabelStudioFormatError(
                    f"{where}: a relation with one label, got {describe(labels)}"
                )
            ends = (res.get("from_id"), res.get("to_id"))
            if res.get("direction") == "left":
                ends = ends[::-1]
            relations.append({"from": ends[0], "to": ends[1], "class": labels[0]})
            continue
        if kind in ATTRIBUTE_RESULTS:
            per_region.append((k, res))
            continue
        if kind not in ("labels", "hypertextlabels"):
            raise LabelStudioFormatError(
                f"{where}: type {describe(kind)}: text spans read 'labels' and 'relation' results"
            )
        v = res.get("value")
        if not isinstance(v, Mapping):
            raise LabelStudioFormatError(f"{where}: field 'value': an object, got {describe(v)}")
        labels = v.get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            raise LabelStudioFormatError(
                f"{where}: a region with one label, got {describe(labels)}"
            )
        rid = res.get("id")
        if isinstance(rid, bool) or not isinstance(rid, str | int):
            raise LabelStudioFormatError(f"{where}: field 'id': a region id, got {describe(rid)}")
        rid = str(rid)
        if rid in spans:
            raise LabelStudioFormatError(f"{where}: region id {rid!r} is used twice")
        start, end = v.get("start"), v.get("end")
        given = v.get("text")
        if (
            given is not None
            and isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start < end <= len(text)
            and text[start:end] != given
        ):
            raise LabelStudioFormatError(
                f"{where}: its text {describe(given)} is not the text at {start}-{end} "
                f"({describe(text[start:end])})"
            )
        span: dict[str, Any] = {"id": rid, "start": start, "end": end, "class": labels[0]}
        if res.get("score") is not None:
            span["score"] = res["score"]
        spans[rid] = span
    for k, res in per_region:
        where = f"{at}: result[{k}]"
        rid = str(res.get("id"))
        name = res.get("from_name")
        if rid not in spans or name not in attrs:
            raise LabelStudioFormatError(
                f"{where}: a per-region {res.get('type')!r} result "
                f"for no span and attribute of the task "
                f"(id {describe(res.get('id'))}, from_name "
                f"{describe(name)})"
            )
        got = read_attribute(attrs[name], res, where, LabelStudioFormatError)
        spans[rid].setdefault("attributes", {})[name] = got
    return {"spans": list(spans.values()), "relations": relations}
