"""Task kinds, one package each: its schema class, value validation, pre-labeling,
audit, agreement and the formats only it uses. Importing this package registers every
built-in kind (:mod:`workbench.kinds.registry`); ``import workbench`` does so."""

from __future__ import annotations

# Registration order is the order for_task tries kinds in: the older kinds first.
from . import classification, shapes, spans  # isort: skip
from . import audio, video  # isort: skip
from .registry import TaskKind, for_task, get, kinds, register, unregister

__all__ = ["TaskKind", "register", "unregister", "get", "kinds", "for_task", "classification",
           "shapes", "spans", "audio", "video"]  # fmt: skip
