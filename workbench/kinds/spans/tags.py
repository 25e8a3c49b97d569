"""Spans as per-token tags and back: what token-classification models, the audit and
unit-level agreement share.

The **IO layout** used throughout: ``K + 1`` token classes, column 0 *outside*
(``"O"``, no span) and column ``j + 1`` the task's ``j``-th span class, in the
task's class order. :func:`token_classes` gives a value's tags on a list of
tokens; :func:`decode` turns per-position tags (IO or BIO) back into spans.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["OUTSIDE", "token_classes", "decode", "parse_tags"]

#: The name of the *outside* tag (column 0 of the IO layout).
OUTSIDE = "O"


def token_classes(
    value: Any, tokens: Sequence[tuple[int, int]], classes: Sequence[str]
) -> np.ndarray:
    """The IO tag of each token (``0`` outside, ``j + 1`` class ``classes[j]``).

    A token takes the class of a span it shares a character with; when spans
    overlap (a task with ``overlapping=True``), of the shortest of them (the
    innermost entity), ties to the earliest. ``value`` is a stored value, a list
    of spans or ``None`` (no spans).
    """
    out = np.zeros(len(tokens), dtype=np.int64)
    if value is None or not tokens:
        return out
    rows = value.get("spans", ()) if isinstance(value, Mapping) else value
    index = {c: j + 1 for j, c in enumerate(classes)}
    starts = np.fromiter((s for s, _ in tokens), dtype=np.int64, count=len(tokens))
    ends = np.fromiter((e for _, e in tokens), dtype=np.int64, count=len(tokens))
    # Longest first, so a shorter span covering the same token is written last and wins.
    spans = sorted(rows, key=lambda s: (-(int(s["end"]) - int(s["start"])), int(s["start"])))
    for s in spans:
        lo = int(np.searchsorted(ends, int(s["start"]), side="right"))
        hi = int(np.searchsorted(starts, int(s["end"]), side="left"))
        if lo < hi:
            out[lo:hi] = index[s["class"]]
    return out


def parse_tags(tags: Sequence[str]) -> list[tuple[str, str | None]]:
    """``(prefix, class)`` of each tag name: ``"O"`` → ``("O", None)``, ``"B-PER"`` →
    ``("B", "PER")``, ``"I-PER"`` and a bare ``"PER"`` → ``("I", "PER")`` (IO)."""
    out: list[tuple[str, str | None]] = []
    for t in tags:
        if not isinstance(t, str) or not t:
            raise ValueError(f"tags must be non-empty strings, got {t!r}")
        if t == OUTSIDE:
            out.append(("O", None))
        elif len(t) > 2 and t[1] in "-_" and t[0] in "BIbi":
            out.append((t[0].upper(), t[2:]))
        else:
            out.append(("I", t))
    return out


def decode(
    tags: np.ndarray,
    probs: np.ndarray,
    offsets: Sequence[tuple[int, int]],
    parsed: Sequence[tuple[str, str | None]],
) -> list[tuple[int, int, str, float]]:
    """Spans ``(start, end, class, score)`` from per-position tag ids.

    ``tags`` (``T``) are indices into ``parsed`` (:func:`parse_tags`), ``probs``
    (``T``) the probability of each chosen tag, ``offsets`` the ``(start, end)``
    of each position in the text; positions with ``start == end`` (special
    tokens, padding) are skipped. A span runs over consecutive positions of one
    class: ``B-`` starts a new one, ``I-`` (or a bare class) continues the one
    before if it has that class and starts one otherwise (lenient BIO, as
    seqeval's default mode). Its score is the mean probability of its positions.
    """
    spans: list[tuple[int, int, str, float]] = []
    cur: list[Any] | None = None  # [start, end, class, sum of probs, positions]
    for t, p, (s, e) in zip(tags.tolist(), probs.tolist(), offsets, strict=True):
        if s >= e:
            continue
        prefix, cls = parsed[t]
        if cls is not None and cur is not None and prefix == "I" and cur[2] == cls:
            cur[1] = max(cur[1], e)
            cur[3] += p
            cur[4] += 1
            continue
        if cur is not None:
            spans.append((cur[0], cur[1], cur[2], cur[3] / cur[4]))
            cur = None
        if cls is not None:
            cur = [s, e, cls, p, 1]
    if cur is not None:
        spans.append((cur[0], cur[1], cur[2], cur[3] / cur[4]))
    return spans
