"""The text-span task kind (:class:`TextSpans`): entity spans and relations in text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..registry import TaskKind, register
from .schema import Relation, TextSpans

__all__ = ["TextSpans", "Relation", "KIND"]


def _disagreement(values: Sequence[Any]) -> float:
    """``1 − mean pairwise`` exact span F1 (:mod:`.agreement`)."""
    from .agreement import pairwise_f1

    return 1.0 - pairwise_f1(values, "exact")


KIND = register(TaskKind("spans", TextSpans, widget="annotate_text", disagreement=_disagreement))
