"""Exceptions raised by workbench. Every one derives from :class:`WorkbenchError`."""

from __future__ import annotations

__all__ = [
    "WorkbenchError",
    "SchemaError",
    "UnknownItemError",
    "UnknownClassError",
    "SchemaChangeError",
    "ItemReadError",
    "ItemSourceError",
    "StoreError",
    "PermissionDenied",
    "MissingDependencyError",
    "UnreadableEventWarning",
]


class WorkbenchError(Exception):
    """Base class of every error workbench raises on purpose."""


class SchemaError(WorkbenchError, ValueError):
    """A label schema is malformed, or a value does not fit it."""


class UnknownItemError(WorkbenchError, KeyError):
    """A label or query names an item the project does not have."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown item"


class UnknownClassError(SchemaError):
    """A label names a class that the task's schema does not have."""


class SchemaChangeError(SchemaError):
    """A project was opened with a schema that differs from its stored one.

    ``changes`` (a :class:`workbench.schema.SchemaChanges`) says what differs and
    what it would do to existing labels; ``project.change_schema(schema)`` records
    the new schema on purpose.
    """

    def __init__(self, message: str, changes: object = None) -> None:
        super().__init__(message)
        self.changes = changes


class ItemReadError(WorkbenchError, OSError):
    """An item's bytes could not be read or decoded (missing file, corrupt image)."""


class ItemSourceError(WorkbenchError, ValueError):
    """Items given to an ``add_*`` method are malformed: a wrong shape or type,
    duplicate or mismatched ids, a missing column, a folder with no images."""


class StoreError(WorkbenchError, RuntimeError):
    """The annotation store refused an operation or is not a workbench store."""


class PermissionDenied(StoreError, PermissionError):
    """The store's access control refused the current user."""


class StaleLabelError(StoreError):
    """A review decision names as ``parent`` a label that is no longer the item's
    current state (someone changed the item since it was shown): nothing was written."""


class MissingDependencyError(WorkbenchError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class UnreadableEventWarning(UserWarning):
    """A row of the event log could not be decoded and was skipped by a read.

    The message names the event, its item and who wrote it; the other rows are
    read as usual, so one bad row never makes a project unreadable for everyone.
    """


def require(module: str, extra: str):
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``workbench[extra]``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module} is needed for this; install it with: pip install 'label-workbench[{extra}]'"
        ) from exc
