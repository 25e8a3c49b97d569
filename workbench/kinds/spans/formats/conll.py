"""CoNLL-2003 style IOB2 files for a :class:`~workbench.TextSpans` task.

One token a line, its tag last (``Ada B-PER``), a blank line between
documents. The tokens are the task's tokenizer's (``"words"`` when it has
none); tags are IOB2: ``B-X`` begins a span of class ``X``, ``I-X`` continues
it, ``O`` is outside every span. Each document is headed by ``-DOCSTART-``
followed by its item id (readers of CoNLL-2003, Hugging Face's among them,
skip ``-DOCSTART-`` lines), so an import finds its items again.

What IOB2 cannot hold, named in one warning on export with counts (or refused
with ``strict=True``): relations; spans overlapping another (one tag a token:
the first in text order is kept); span attributes, scores and span ids other
than the ``e1``, ``e2`` … an import gives; spans that do not start and end on
token boundaries (widened to the tokens they touch). And the text between the
tokens: on import a document's text is its item's text when the project has
it (by the ``-DOCSTART-`` id, else the one text item with the same tokens);
otherwise the tokens joined by single spaces, and a new text item is created
with that text.

Reading is lenient where files in the wild are: the tag is the last column
(CoNLL-2003's four-column lines, ``token POS chunk NER``, read as they are),
columns split on spaces or tabs, an ``I-X`` that continues no ``X`` begins
one (IOB1), ``-DOCSTART- -X- -X- O`` carries no id.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._common import (
    Incoming,
    Losses,
    SpanFormatError,
    describe,
    iob_tags,
    labeled_docs,
    read_bytes,
    spans_from_tags,
    spans_task,
    store_docs,
)

__all__ = ["to_conll", "from_conll", "ConllFormatError"]

DOCSTART = "-DOCSTART-"
_NO_ID = re.compile(r"^(?:-X-\s+)*-X-\s+O$|^O$|^$")


class ConllFormatError(SpanFormatError):
    """A CoNLL file is malformed or does not fit the project; the message names the
    file, the line and what is wrong."""


def to_conll(
    project: Any,
    *,
    task: str | None = None,
    path: str | os.PathLike | None = None,
    ids: bool = True,
    strict: bool = False,
    progress: bool | None = None,
) -> str:
    """The current labels of a TextSpans task as CoNLL IOB2 text.

    Parameters
    ----------
    task : str, optional
        The TextSpans task (the schema's first task by default).
    path : str or PathLike, optional
        Also write the text there (UTF-8).
    ids : bool
        Head each document with ``-DOCSTART- <item id>`` (an id holding a line
        break or starting or ending with a space is written as plain
        ``-DOCSTART-``).
    strict : bool
        Raise :class:`ConllFormatError` instead of warning when anything cannot
        be written as it is.
    progress : bool, optional
        A progress bar over the documents (default: shown for at least
        :data:`~workbench.items.PROGRESS_MIN` of them).

    Warns
    -----
    UserWarning
        Naming what IOB2 cannot hold (see the module docstring), with counts.
    """
    t = spans_task(project, task, "CoNLL IOB2")
    losses = Losses()
    blocks = []
    for item_id, text, value in labeled_docs(project, t, "CoNLL export", progress):
        tokens, tags = iob_tags(t, text, value, losses)
        words = [text[a:b] for a, b in tokens]
        head = DOCSTART
        if (
            ids
            and item_id == item_id.strip()
            and len(item_id.splitlines()) == 1
            and not _NO_ID.match(item_id)
        ):
            head = f"{DOCSTART} {item_id}"
        blocks.append(
            "\n".join([head, *(f"{w} {tag}" for w, tag in zip(words, tags, strict=True))])
        )
    losses.report(t, "CoNLL IOB2", strict, ConllFormatError)
    out = "".join(b + "\n\n" for b in blocks)
    if path is not None:
        Path(path).write_text(out, encoding="utf-8")
    return out


def from_conll(
    project: Any,
    source: str | os.PathLike,
    *,
    task: str | None = None,
    annotator: str | None = None,
    ids: Iterable[str] | None = None,
    progress: bool | None = None,
) -> int:
    """Import a CoNLL IOB2 file as labels of a TextSpans task; returns how many
    labels were written.

    ``source`` is a path (a string holding a line break is taken as the file's
    text). ``ids``: the item id of each document in order, for files that carry
    none. Every document is validated against its text before anything is
    written: a tag naming no class of the task, a malformed line, or tokens
    that are not the item's text is a :class:`ConllFormatError` naming the file
    and the line, and nothing is stored.

    ``progress``: a progress bar over the documents (default: shown for at
    least :data:`~workbench.items.PROGRESS_MIN` of them).
    """
    t = spans_task(project, task, "CoNLL IOB2")
    if isinstance(source, str) and "\n" in source:
        raw, where = source, "<CoNLL text>"
    elif isinstance(source, str | os.PathLike):
        where = os.fspath(source)
        data = read_bytes(where, ConllFormatError)
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConllFormatError(f"{where}: not UTF-8 text: {exc}") from None
    else:
        raise TypeError(f"source must be a CoNLL file path or its text, got {type(source)}")
    docs = _documents(raw, where, t.class_names)
    if ids is not None:
        given = [str(i) for i in ids]
        if len(given) != len(docs):
            raise ConllFormatError(f"{where}: {len(docs)} documents, but {len(given)} ids given")
        for doc, i in zip(docs, given, strict=True):
            doc.item_id = i
    return store_docs(
        project,
        t,
        docs,
        ConllFormatError,
        annotator=annotator,
        progress=progress,
        desc="CoNLL import",
    )


def _documents(raw: str, where: str, classes: list[str]) -> list[Incoming]:
    docs: list[Incoming] = []
    words: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    item_id: str | None = None
    first = 0

    def close() -> None:
        nonlocal words, tags, lines, item_id
        if words:
            at = f"{where}: line {first}"

            def error(k: int, message: str) -> ConllFormatError:
                return ConllFormatError(f"{where}: line {lines[k]}: {message}")

            spans = spans_from_tags(tags, classes, error)
            docs.append(Incoming(at, item_id=item_id, tokens=words, token_spans=spans))
            item_id = None
        elif item_id is not None:
            docs.append(Incoming(f"{where}: document {item_id!r}", item_id=item_id, tokens=[]))
            item_id = None
        words, tags, lines = [], [], []

    for n, line in enumerate(raw.split("\n"), start=1):
        line = line.rstrip("\r")
        if line.startswith(DOCSTART):
            close()
            rest = line[len(DOCSTART) :].strip()
            item_id = None if _NO_ID.match(rest) else rest
            continue
        if not line.strip():
            close()
            continue
        parts = line.split()
        if len(parts) < 2:
            raise ConllFormatError(f"{where}: line {n}: a token and its tag, got {describe(line)}")
        if not words:
            first = n
        words.append(parts[0])
        tags.append(parts[-1])
        lines.append(n)
    close()
    return docs
