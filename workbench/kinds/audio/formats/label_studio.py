"""Label Studio JSON for an :class:`~workbench.AudioRegions` task.

A list of Label Studio tasks, as its JSON export writes them and its import
reads them: ``{"id", "data": {"audio", "item_id"}, "annotations": [{"result":
[...]}]}``, with the labeling config's names (``from_name`` ``"label"``,
``to_name`` ``"audio"`` by default; :func:`label_studio_audio_config` writes the
matching ``<View>``):

- region: ``{"id", "from_name", "to_name", "type": "labels", "value": {"start",
  "end", "channel": 0, "labels": [class]}}`` (``score`` beside ``value`` when the
  region has one); ``start``/``end`` in seconds;
- transcription (``transcripts=True``): a ``textarea`` result with the region's
  ``id``, ``from_name`` ``"transcription"`` and ``value.text`` ``[text]``;
- attributes: per-region results (:mod:`workbench.label_studio`).

``data.audio`` is the clip's file URI (the item id for a signal added as an
array); ``url=`` maps ``(item_id, file)`` to the URL Label Studio should load
instead. On import the first annotation of each task is read (others are counted
in a warning); the clip is ``data.item_id`` when the project has it, else the
audio item of the file ``data.audio`` (or a new one for a file that exists). A
region with several labels, an unknown label, a result for no region, or a
region past the end of its clip is a :class:`LabelStudioAudioError` naming the
file, the task and the result, and nothing is stored. Regions' ``channel``s
are not kept (a region covers every channel): a channel other than 0 is counted
in the warning.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from ....files import load_json, read_bytes
from ....label_studio import (
    ATTRIBUTE_RESULTS,
    attribute_controls,
    attribute_results,
    read_attribute,
)  # fmt: skip
from ....schema import describe
from ._common import (
    AudioFormatError,
    Incoming,
    audio_task,
    clip_file,
    labeled_clips,
    plural,
    store_clips,
)

__all__ = ["to_label_studio_audio", "from_label_studio_audio", "label_studio_audio_config",
           "LabelStudioAudioError"]  # fmt: skip

TRANSCRIPTION = "transcription"


class LabelStudioAudioError(AudioFormatError):
    """A Label Studio file is malformed or does not fit the project; the message
    names the file, the task and the result."""


def label_studio_audio_config(
    project: Any, *, task: str | None = None, from_name: str = "label", to_name: str = "audio"
) -> str:
    """The labeling config (``<View>`` XML) that matches :func:`to_label_studio_audio`'s
    results: ``Labels`` of the classes, the ``Audio`` object, a per-region
    ``TextArea`` for transcriptions, one per-region control per attribute."""
    t = audio_task(project, task, "Label Studio")
    lines = ["<View>", f"  <Labels name={quoteattr(from_name)} toName={quoteattr(to_name)}>"]
    lines += [f"    <Label value={quoteattr(c)}/>" for c in t.class_names]
    lines.append("  </Labels>")
    lines.append(f'  <Audio name={quoteattr(to_name)} value="$audio"/>')
    if t.transcripts:
        lines.append(f'  <TextArea name="{TRANSCRIPTION}" toName={quoteattr(to_name)} '
                     'perRegion="true" editable="true"/>')  # fmt: skip
    lines += attribute_controls(t.attributes, to_name)
    lines.append("</View>")
    return "\n".join(lines)


def to_label_studio_audio(
    project: Any,
    *,
    task: str | None = None,
    path: str | os.PathLike | None = None,
    from_name: str = "label",
    to_name: str = "audio",
    url: Callable[[str, str], str] | None = None,
    progress: bool | None = None,
) -> list[dict[str, Any]]:
    """The current labels of an AudioRegions task as Label Studio tasks (module
    docstring); also written to ``path`` as JSON when given. Region ids are
    Label Studio's result ids, so nothing is lost."""
    t = audio_task(project, task, "Label Studio")
    out = []
    for n, (item_id, record, value) in enumerate(
        labeled_clips(project, t, "Label Studio export", progress), start=1
    ):
        result: list[dict[str, Any]] = []
        for r in value["regions"]:
            place = {"start": r["start"], "end": r["end"], "channel": 0}
            res: dict[str, Any] = {
                "id": r["id"], "from_name": from_name, "to_name": to_name, "type": "labels",
                "value": {**place, "labels": [r["class"]]},
            }  # fmt: skip
            if r.get("score") is not None:
                res["score"] = r["score"]
            result.append(res)
            if r.get("text"):
                result.append({
                    "id": r["id"], "from_name": TRANSCRIPTION, "to_name": to_name,
                    "type": "textarea", "value": {**place, "text": [r["text"]]},
                })  # fmt: skip
            result += attribute_results(t.attributes, r["attributes"], place, r["id"], to_name)
        file = clip_file(record)
        audio = url(item_id, file) if url is not None else file
        out.append({"id": n, "data": {"audio": audio, "item_id": item_id},
                    "annotations": [{"id": n, "result": result}]})  # fmt: skip
    if path is not None:
        Path(path).write_text(
            json.dumps(out, ensure_ascii=False, allow_nan=False), encoding="utf-8"
        )
    return out


def from_label_studio_audio(
    project: Any,
    source: str | os.PathLike | list[Mapping[str, Any]],
    *,
    task: str | None = None,
    annotator: str | None = None,
    audio_key: str = "audio",
    progress: bool | None = None,
) -> int:
    """Import Label Studio tasks (a JSON file or the list) as labels of an
    AudioRegions task; returns how many labels were written. All or nothing
    (module docstring)."""
    t = audio_task(project, task, "Label Studio")
    base = None
    if isinstance(source, str | os.PathLike):
        where = os.fspath(source)
        data = load_json(read_bytes(where, LabelStudioAudioError), where, LabelStudioAudioError)
        base = os.path.dirname(os.path.abspath(where))
    else:
        where, data = "<Label Studio tasks>", source
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list):
        raise LabelStudioAudioError(f"{where}: a list of tasks, got {describe(data)}")
    clips = []
    extra = 0
    dropped: Counter = Counter()
    for i, ls_task in enumerate(data):
        at = f"{where}: tasks[{i}]"
        if not isinstance(ls_task, Mapping):
            raise LabelStudioAudioError(f"{at}: a task is an object, got {describe(ls_task)}")
        if "id" in ls_task:
            at += f" (id {describe(ls_task['id'])})"
        d = ls_task.get("data")
        if not isinstance(d, Mapping):
            raise LabelStudioAudioError(f"{at}: field 'data': an object, got {describe(d)}")
        file, item_id = d.get(audio_key), d.get("item_id")
        if file is not None and not isinstance(file, str):
            raise LabelStudioAudioError(
                f"{at}: field 'data.{audio_key}': a URL, got {describe(file)}"
            )
        if item_id is not None and (
            isinstance(item_id, bool) or not isinstance(item_id, str | int)
        ):
            raise LabelStudioAudioError(
                f"{at}: field 'data.item_id': a string, got {describe(item_id)}"
            )
        anns = ls_task.get("annotations") or []
        if not isinstance(anns, list) or not all(isinstance(a, Mapping) for a in anns):
            raise LabelStudioAudioError(f"{at}: field 'annotations': a list of objects")
        live = [a for a in anns if not a.get("was_cancelled")]
        if not live:
            continue
        extra += len(live) - 1
        result = live[0].get("result") or []
        if not isinstance(result, list):
            raise LabelStudioAudioError(f"{at}: field 'result': a list, got {describe(result)}")
        regions = _regions(t, result, at, dropped)
        clips.append(Incoming(at, item_id=None if item_id is None else str(item_id), file=file,
                              regions=regions))  # fmt: skip
    written = store_clips(project, t, clips, LabelStudioAudioError, annotator=annotator,
                          base=base, progress=progress, desc="Label Studio import")  # fmt: skip
    notes = [f"{plural(n, what)}" for what, n in sorted(dropped.items())]
    if extra:
        notes.append(f"{plural(extra, 'annotation')} beyond each task's first")
    if notes:
        warnings.warn(f"{where}: not imported: {', '.join(notes)}", UserWarning, stacklevel=2)
    return written


def _regions(t: Any, result: list[Any], at: str, dropped: Counter) -> list[dict[str, Any]]:
    regions: dict[str, dict[str, Any]] = {}
    per_region: list[tuple[int, Mapping[str, Any]]] = []
    attrs = {a.name: a for a in t.attributes}
    for k, res in enumerate(result):
        where = f"{at}: result[{k}]"
        if not isinstance(res, Mapping):
            raise LabelStudioAudioError(f"{where}: a result is an object, got {describe(res)}")
        kind = res.get("type")
        if kind in ATTRIBUTE_RESULTS:
            per_region.append((k, res))
            continue
        if kind != "labels":
            raise LabelStudioAudioError(
                f"{where}: type {describe(kind)}: audio regions read 'labels' results and "
                "their per-region 'textarea', 'choices' and 'number' results"
            )
        v = res.get("value")
        if not isinstance(v, Mapping):
            raise LabelStudioAudioError(f"{where}: field 'value': an object, got {describe(v)}")
        labels = v.get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            raise LabelStudioAudioError(f"{where}: a region with one label, got {describe(labels)}")
        rid = res.get("id")
        if isinstance(rid, bool) or not isinstance(rid, str | int):
            raise LabelStudioAudioError(f"{where}: field 'id': a region id, got {describe(rid)}")
        rid = str(rid)
        if rid in regions:
            raise LabelStudioAudioError(f"{where}: region id {rid!r} is used twice")
        if v.get("channel") not in (None, 0):
            dropped["region channel"] += 1
        region: dict[str, Any] = {"id": rid, "start": v.get("start"), "end": v.get("end"),
                                  "class": labels[0]}  # fmt: skip
        if res.get("score") is not None:
            region["score"] = res["score"]
        regions[rid] = region
    for k, res in per_region:
        where = f"{at}: result[{k}]"
        rid, name = str(res.get("id")), res.get("from_name")
        if rid not in regions:
            raise LabelStudioAudioError(
                f"{where}: a per-region {res.get('type')!r} result for no region "
                f"(id {describe(res.get('id'))})"
            )
        if res.get("type") == "textarea" and name not in attrs:
            if not t.transcripts:
                raise LabelStudioAudioError(
                    f"{where}: a transcription, and task {t.name!r} has none "
                    "(AudioRegions(..., transcripts=True))"
                )
            v = res.get("value") if isinstance(res.get("value"), Mapping) else {}
            texts = v.get("text")
            if not isinstance(texts, list) or not all(isinstance(x, str) for x in texts):
                raise LabelStudioAudioError(f"{where}: field 'value.text': a list of strings")
            regions[rid]["text"] = "\n".join(texts)
            continue
        if name not in attrs:
            raise LabelStudioAudioError(
                f"{where}: a per-region {res.get('type')!r} result for no attribute of the "
                f"task (from_name {describe(name)}); attributes: {sorted(attrs)}"
            )
        got = read_attribute(attrs[name], res, where, LabelStudioAudioError)
        regions[rid].setdefault("attributes", {})[name] = got
    return list(regions.values())
