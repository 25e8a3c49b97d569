"""A dictionary and regular-expression span matcher: pre-labels from rules.

:class:`Matcher` finds, in a text, the entries of a ``{class: [entries]}``
dictionary (strings matched literally, compiled ``re`` patterns as they are),
longest match first, with no two matches overlapping unless asked, and only at
token boundaries. ``project.prelabel(Matcher(...), task="entities")`` stores its
matches as pre-labels (:mod:`.prelabel`), on the task's tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ...errors import SchemaError
from ...ml.parts import take_disjoint
from .schema import tokenize

__all__ = ["Matcher"]

_Pattern = type(re.compile(""))
_WORD = re.compile(r"\w")
T = TypeVar("T")


class Matcher:
    """Find dictionary entries and patterns in text, as spans.

    Parameters
    ----------
    patterns : mapping
        ``{class: entries}``; ``entries`` is a string, a compiled regular
        expression, or a list of them. Strings match literally (``"Acme Inc."``:
        the dot is a dot); a pattern matches as ``re`` does, its flags kept.
    ignore_case : bool
        Match strings and patterns regardless of case (``re.IGNORECASE``).
    whole_words : bool
        With no tokenizer given at matching time (a task without one), a match
        must not start or end inside a word (so "Acme" is not found in
        "Acmetron"); ``False`` allows any offsets.

    Calling ``matcher(text, tokens=None, overlapping=False)`` gives the matches
    as ``[{"start", "end", "class", "score": 1.0}, ...]`` sorted by offset.
    Candidates are every match of every entry (strings: the longest entry at
    each position); they are taken longest first (ties: leftmost, then the
    class listed first), each one skipped when it overlaps one already taken,
    unless ``overlapping``. With ``tokens`` (``"whitespace"`` or ``"words"``)
    only matches that start and end on token boundaries count: a match is never
    widened, so each one is exactly an entry's text.
    """

    def __init__(
        self,
        patterns: Mapping[str, Any],
        *,
        ignore_case: bool = False,
        whole_words: bool = True,
    ) -> None:
        if not isinstance(patterns, Mapping) or not patterns:
            raise SchemaError(
                f"Matcher needs a non-empty {{class: entries}} dict, got {type(patterns).__name__}"
            )
        flags = re.IGNORECASE if ignore_case else 0
        self.ignore_case = bool(ignore_case)
        self.whole_words = bool(whole_words)
        self.classes: list[str] = []
        self._rules: list[tuple[str, re.Pattern[str], bool]] = []  # (class, rx, lookahead)
        for cls, given in patterns.items():
            if not isinstance(cls, str) or not cls:
                raise SchemaError(f"Matcher: a class is a non-empty string, got {cls!r}")
            entries = [given] if isinstance(given, str | _Pattern) else given
            if not isinstance(entries, Iterable):
                raise SchemaError(
                    f"Matcher: class {cls!r} needs strings or patterns, got {type(given).__name__}"
                )
            words: list[str] = []
            for e in entries:
                if isinstance(e, str):
                    if e:
                        words.append(e)
                elif isinstance(e, _Pattern):
                    if not isinstance(e.pattern, str):
                        raise SchemaError(f"Matcher: class {cls!r}: a bytes pattern {e!r}")
                    self._rules.append((cls, re.compile(e.pattern, e.flags | flags), False))
                else:
                    raise SchemaError(
                        f"Matcher: class {cls!r}: an entry is a string or a compiled "
                        f"pattern, got {type(e).__name__}"
                    )
            # One lookahead alternation per entry length: every entry found at every
            # position (a shorter one still counts where a longer one is cut off by a
            # token boundary), in one pass per length rather than one per entry.
            by_length: dict[int, list[str]] = {}
            for w in sorted(set(words)):
                by_length.setdefault(len(w), []).append(w)
            for _, same in sorted(by_length.items(), reverse=True):
                alt = "|".join(re.escape(w) for w in same)
                self._rules.append((cls, re.compile(f"(?=({alt}))", flags), True))
            self.classes.append(cls)

    def __repr__(self) -> str:
        return f"Matcher(classes={self.classes}, ignore_case={self.ignore_case})"

    def __call__(
        self, text: str, *, tokens: str | None = None, overlapping: bool = False
    ) -> list[dict[str, Any]]:
        if not isinstance(text, str):
            raise TypeError(f"Matcher matches in a str, got {type(text).__name__}")
        order = {c: i for i, c in enumerate(self.classes)}
        found: set[tuple[int, int, str]] = set()
        for cls, rx, lookahead in self._rules:
            for m in rx.finditer(text):
                s, e = m.span(1) if lookahead else m.span()
                if s < e:
                    found.add((s, e, cls))
        if tokens is not None:
            spans = tokenize(text, tokens)
            starts, ends = {s for s, _ in spans}, {e for _, e in spans}
            found = {f for f in found if f[0] in starts and f[1] in ends}
        elif self.whole_words:
            found = {f for f in found if _boundary(text, f[0]) and _boundary(text, f[1])}
        ranked = sorted(found, key=lambda f: (f[0] - f[1], f[0], order[f[2]]))
        taken = ranked if overlapping else take_disjoint(ranked, lambda f: (f[0], f[1]))[0]
        taken.sort(key=lambda f: (f[0], f[1], order[f[2]]))
        return [{"start": s, "end": e, "class": c, "score": 1.0} for s, e, c in taken]


def _boundary(text: str, i: int) -> bool:
    """Whether offset ``i`` is not inside a word (between two word characters)."""
    if i <= 0 or i >= len(text):
        return True
    return not (_is_word(text[i - 1]) and _is_word(text[i]))


def _is_word(ch: str) -> bool:
    return _WORD.match(ch) is not None
