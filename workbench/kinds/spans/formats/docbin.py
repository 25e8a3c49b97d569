"""spaCy ``DocBin`` files for a :class:`~workbench.TextSpans` task.

:func:`to_docbin` makes one :class:`spacy.tokens.Doc` per labeled text item,
its text exactly the item's text, and saves them in a
:class:`spacy.tokens.DocBin` (what ``spacy train`` reads):

- spans are ``doc.ents`` for a task whose spans do not overlap, else the span
  group ``doc.spans[spans_key]`` (``"sc"``, what ``spancat`` trains on);
- the tokens are the task's tokenizer's (``"words"`` when it has none), each
  cut where a span starts or ends inside it, so every span is a span of
  tokens and its offsets are kept exactly; whitespace between tokens is
  spaCy's: one space a token's trailing ``whitespace_``, any other a
  whitespace token;
- doc-level classes: ``doc.cats`` (``{class: 1.0 or 0.0}``) from a
  classification task beside the spans in the schema (``cats_task``, the
  first such task by default);
- the rest (item id, span ids, attributes, scores and relations, which spaCy
  has no place for) in ``doc.user_data["workbench"]``, saved with
  ``store_user_data=True``. With ``user_data=False`` they are not written,
  and the warning counts them.

:func:`from_docbin` reads spans from ``doc.spans[spans_key]`` when the group is
there, else from ``doc.ents``; ids, attributes, scores and relations from
``user_data`` where a span of the same offsets and class is found; the item by
the id in ``user_data``, else by the text. spaCy is an optional dependency:
``pip install 'label-workbench[text]'``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ....store.base import _gc_paused
from ._common import (
    Incoming,
    Losses,
    SpanFormatError,
    describe,
    doc_tokens,
    labeled_docs,
    read_bytes,
    spans_task,
    store_docs,
)

__all__ = ["to_docbin", "from_docbin", "DocBinFormatError", "doc_words"]

#: The span group a task whose spans overlap is written to (spaCy's ``spancat``
#: default).
SPANS_KEY = "sc"
#: Bytes a DocBin may hold once decompressed (checked before spaCy reads it).
MAX_DECOMPRESSED_BYTES = 2**31


class DocBinFormatError(SpanFormatError):
    """A DocBin is malformed or does not fit the project; the message names the
    file and the document."""


def _spacy() -> Any:
    try:
        import spacy
        from spacy.tokens import Doc, DocBin  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "spaCy is needed for DocBin files: pip install 'label-workbench[text]'"
        ) from exc
    return spacy


def doc_words(
    tokens: list[tuple[int, int]], text: str, starts: set[int], ends: set[int]
) -> tuple[list[str], list[bool]]:
    """``(words, spaces)`` of a spaCy Doc whose text is exactly ``text``: the tokens
    and the whitespace between them, each piece cut where a span starts
    (``starts``) or ends (``ends``) inside it. A single space after a word is the
    word's trailing space unless a span starts on it or ends right after it."""
    import bisect

    words: list[str] = []
    spaces: list[bool] = []
    cuts = sorted(starts | ends)
    n_cuts = len(cuts)

    def add(a: int, b: int, token: bool) -> None:
        k = bisect.bisect_right(cuts, a)
        while a < b:
            c = cuts[k] if k < n_cuts and cuts[k] < b else b
            k += 1
            piece = text[a:c]
            if (
                not token
                and words
                and not spaces[-1]
                and piece[0] == " "
                and not text[a - 1].isspace()
                and a not in starts
                and a + 1 not in ends
            ):
                spaces[-1] = True
                piece = piece[1:]
            if piece:
                words.append(piece)
                spaces.append(False)
            a = c

    pos = 0
    for s, e in tokens:
        if s > pos:
            # The common gap, one space after a word that no span edge touches, is the
            # word's trailing space: what add() decides, without its loop.
            if (
                s == pos + 1
                and text[pos] == " "
                and words
                and not spaces[-1]
                and not text[pos - 1].isspace()
                and pos not in starts
                and s not in ends
                and pos not in ends
            ):
                spaces[-1] = True
            else:
                add(pos, s, False)
        # A token no span edge cuts inside is one word.
        k = bisect.bisect_right(cuts, s)
        if k < n_cuts and cuts[k] < e:
            add(s, e, True)
        else:
            words.append(text[s:e])
            spaces.append(False)
        pos = e
    if pos < len(text):
        add(pos, len(text), False)
    return words, spaces


def to_docbin(
    project: Any,
    task: str | None = None,
    path: str | os.PathLike | None = None,
    *,
    spans_key: str | None = None,
    cats_task: str | None = None,
    user_data: bool = True,
    strict: bool = False,
    progress: bool | None = None,
) -> Any:
    """The current labels of a TextSpans task as a :class:`spacy.tokens.DocBin`
    (module docstring); also saved to ``path`` when given.

    Parameters
    ----------
    spans_key : str, optional
        Write the spans to ``doc.spans[spans_key]`` (by default ``doc.ents``
        for a task whose spans do not overlap, ``doc.spans["sc"]`` otherwise).
    cats_task : str, optional
        The classification task whose labels become ``doc.cats`` (by default
        the schema's first classification task, if any).
    user_data : bool
        Keep item ids, span ids, attributes, scores and relations in
        ``doc.user_data`` (default); with False they are left out, counted in
        the warning.
    progress : bool, optional
        A progress bar over the documents (default: shown for at least
        :data:`~workbench.items.PROGRESS_MIN` of them).

    Warns
    -----
    UserWarning
        With ``user_data=False``, counting what spaCy's Doc cannot hold.
    """
    spacy = _spacy()
    from spacy.tokens import Doc, DocBin
    from spacy.vocab import Vocab

    with _gc_paused():  # Docs, spans and packed bytes: many objects in no cycle
        t = spans_task(project, task, "spaCy DocBin")
        key = spans_key if spans_key is not None else (SPANS_KEY if t.overlapping else None)
        cats_t = _cats_task(project, cats_task, t)
        cats: dict[str, Any] = {}
        if cats_t is not None:
            frame = project.labels(cats_t.name)
            cats = {
                str(i): v
                for i, v in zip(frame["item_id"], frame["label"], strict=True)
                if v is not None
            }
        vocab = Vocab(strings=[*t.class_names])
        losses = Losses()
        # DocBin packs each Doc's user_data with a new msgpack Packer, which looks up
        # srsly's encoder entry points every time (a millisecond a Doc in a large
        # environment): packed here with one Packer into the same list, bytes spaCy
        # reads back as it reads its own.
        docs = DocBin(store_user_data=False)
        packer = _packer() if user_data else None
        del spacy
        for item_id, text, value in labeled_docs(project, t, "DocBin export", progress):
            starts = {s["start"] for s in value["spans"]}
            ends = {s["end"] for s in value["spans"]}
            words, spaces = doc_words(doc_tokens(t, text), text, starts, ends)
            doc = Doc(vocab, words=words, spaces=spaces)
            spans = []
            for s in value["spans"]:
                sp = doc.char_span(s["start"], s["end"], label=s["class"])
                if sp is None:  # pragma: no cover - doc_words cuts at every offset
                    raise DocBinFormatError(
                        f"item {item_id!r}: span {s['id']!r} is no span of "
                        "tokens (nothing was written)"
                    )
                spans.append(sp)
            if key is None:
                doc.ents = spans
            else:
                doc.spans[key] = spans
            if cats_t is not None and item_id in cats:
                chosen = cats[item_id]
                chosen = set(chosen) if isinstance(chosen, list) else {chosen}
                doc.cats = {c: 1.0 if c in chosen else 0.0 for c in cats_t.class_names}
            if packer is None:
                losses.drop("relation", "spaCy's Doc has no relations", len(value["relations"]))
                losses.fields_of(t, value, keep=("relation score",))
            docs.add(doc)
            if packer is not None:
                docs.user_data.append(
                    packer.pack({"workbench": {"item_id": item_id, "value": value}})
                )
        docs.store_user_data = user_data
        losses.report(t, "spaCy DocBin", strict, DocBinFormatError)
        if path is not None:
            Path(path).write_bytes(docs.to_bytes())
        return docs


def _cats_task(project: Any, name: str | None, spans: Any) -> Any:
    if name is not None:
        t = project.schema.task(name)
        if t.kind != "classification":
            raise DocBinFormatError(
                f"cats_task {name!r} is a {t.kind!r} task, not a classification task"
            )
        return t
    return next((t for t in project.schema.tasks if t.kind == "classification"), None)


def from_docbin(
    project: Any,
    source: Any,
    *,
    task: str | None = None,
    spans_key: str | None = None,
    cats_task: str | None = None,
    annotator: str | None = None,
    progress: bool | None = None,
) -> int:
    """Import a DocBin (a file path, its bytes, or a :class:`spacy.tokens.DocBin`)
    as labels of a TextSpans task, and of ``cats_task`` where docs have
    ``cats``; returns how many labels were written.

    Each doc's item: the id in its ``user_data`` when the project has it (its
    text must be the doc's), else the text item with the doc's text, else a new
    text item. Everything is validated against its text before anything is
    written: an unknown label, a relation to a missing span, a file spaCy cannot
    read is a :class:`DocBinFormatError` naming the file and the document, and
    nothing is stored.

    ``progress``: a progress bar over the documents (default: shown for at
    least :data:`~workbench.items.PROGRESS_MIN` of them).
    """
    _spacy()
    from spacy.tokens import DocBin

    t = spans_task(project, task, "spaCy DocBin")
    if isinstance(source, DocBin):
        where, bin_ = "<DocBin>", source
    else:
        if isinstance(source, bytes | bytearray | memoryview):
            where, raw = "<DocBin bytes>", bytes(source)
        elif isinstance(source, str | os.PathLike):
            where = os.fspath(source)
            raw = read_bytes(where, DocBinFormatError)
        else:
            raise TypeError(
                f"source must be a DocBin, its bytes or a file path, got {type(source)}"
            )
        _check_size(raw, where)
        try:
            bin_ = DocBin().from_bytes(raw)
        except Exception as exc:  # msgpack, zlib, spaCy's own checks: all "not a DocBin"
            raise DocBinFormatError(f"{where}: not a spaCy DocBin: {str(exc)[:200]}") from None
    cats_t = _cats_task(project, cats_task, t)
    with _gc_paused():  # a Doc and its spans and dicts a document: objects in no cycle
        docs = _incoming(bin_, where, t, spans_key, cats_t)
    return store_docs(
        project,
        t,
        docs,
        DocBinFormatError,
        annotator=annotator,
        progress=progress,
        desc="DocBin import",
    )


def _incoming(bin_: Any, where: str, t: Any, spans_key: str | None, cats_t: Any) -> list:
    """The documents of ``bin_`` as :class:`Incoming` values, not yet matched or checked."""
    from spacy.vocab import Vocab

    # user_data read here with one Unpacker (see to_docbin), not by get_docs.
    packed = list(bin_.user_data)
    try:
        bin_.user_data = [None] * len(packed)
        docs_in = list(bin_.get_docs(Vocab()))
        extras = [_unpack(b) for b in packed]
    except Exception as exc:  # a DocBin whose arrays disagree with its lengths
        raise DocBinFormatError(f"{where}: not a spaCy DocBin: {str(exc)[:200]}") from None
    finally:
        bin_.user_data = packed
    key = spans_key if spans_key is not None else SPANS_KEY
    docs = []
    for n, doc in enumerate(docs_in):
        at = f"{where}: doc {n}"
        if spans_key is not None or (key in doc.spans and (t.overlapping or not doc.ents)):
            if key not in doc.spans:
                raise DocBinFormatError(f"{at}: no span group {key!r}; groups: {sorted(doc.spans)}")
            found = list(doc.spans[key])
        else:
            found = list(doc.ents)
        spans = [{"start": sp.start_char, "end": sp.end_char, "class": sp.label_} for sp in found]
        extra = extras[n].get("workbench") if n < len(extras) else None
        item_id = None
        relations: list[Any] = []
        if isinstance(extra, Mapping):
            item_id = extra.get("item_id")
            if item_id is not None and (
                isinstance(item_id, bool) or not isinstance(item_id, str | int)
            ):
                raise DocBinFormatError(
                    f"{at}: user_data item_id: a string, got {describe(item_id)}"
                )
            stored = extra.get("value")
            if isinstance(stored, Mapping):
                spans = _merge(spans, stored.get("spans"), at)
                relations = list(stored.get("relations") or [])
        cats = {}
        if doc.cats:
            if cats_t is None:
                raise DocBinFormatError(
                    f"{at}: cats, but the schema has no classification task for them"
                )
            chosen = [c for c, v in doc.cats.items() if isinstance(v, int | float) and v >= 0.5]
            if getattr(cats_t, "multi_label", False):
                cats[cats_t.name] = chosen
            elif len(chosen) == 1:
                cats[cats_t.name] = chosen[0]
            elif len(chosen) > 1:
                raise DocBinFormatError(
                    f"{at}: cats choose {len(chosen)} classes of "
                    f"single-label task {cats_t.name!r}: {chosen}"
                )
        docs.append(
            Incoming(
                at,
                item_id=None if item_id is None else str(item_id),
                text=doc.text,
                value={"spans": spans, "relations": relations},
                cats=cats,
            )
        )
    return docs


def _packer() -> Any:
    import srsly

    return srsly.msgpack.Packer(use_bin_type=True)


def _unpack(raw: bytes | None) -> dict[Any, Any]:
    """A Doc's user_data as spaCy packs it (maps with tuple keys for extension
    attributes: read with tuples, as spaCy does); ``{}`` for none."""
    if raw is None:
        return {}
    import srsly

    # srsly's own unpackb scans its decoder entry points at each call: its C function
    # once the lookup is done, where this srsly has it.
    fast = getattr(getattr(srsly.msgpack, "_unpacker", None), "unpackb", None)
    if fast is None:  # pragma: no cover - another srsly layout
        out = srsly.msgpack_loads(raw, use_list=False)
    else:
        out = fast(raw, raw=False, use_list=False, strict_map_key=False)
    return out if isinstance(out, dict) else {}


def _merge(spans: list[dict[str, Any]], stored: Any, at: str) -> list[dict[str, Any]]:
    """The Doc's spans, each with the id, attributes and score of the stored span of
    the same offsets and class."""
    if not isinstance(stored, list | tuple):
        return spans
    by_key = {}
    for s in stored:
        if isinstance(s, Mapping):
            by_key[(s.get("start"), s.get("end"), s.get("class"))] = s
    out = []
    for s in spans:
        old = by_key.get((s["start"], s["end"], s["class"]))
        if old is not None:
            s = {
                **s,
                **{k: old[k] for k in ("id", "attributes", "score") if old.get(k) is not None},
            }
        out.append(s)
    return out


def _check_size(raw: bytes, where: str) -> None:
    """Refuse a DocBin that decompresses to more than :data:`MAX_DECOMPRESSED_BYTES`
    (a zip bomb), before spaCy decompresses it whole: decompressed here a few MiB
    at a time, counted and thrown away."""
    d = zlib.decompressobj()
    total = 0
    buf = raw
    try:
        while True:
            out = d.decompress(buf, 1 << 22)
            total += len(out)
            if total > MAX_DECOMPRESSED_BYTES:
                raise DocBinFormatError(
                    f"{where}: decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes"
                )
            buf = d.unconsumed_tail
            if not buf and len(out) < 1 << 22:
                break
    except zlib.error as exc:
        raise DocBinFormatError(f"{where}: not a spaCy DocBin: {exc}") from None
