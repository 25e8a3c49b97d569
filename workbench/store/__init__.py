"""The annotation store: an append-only event log with SQLite and PostgreSQL back ends."""

from __future__ import annotations

from pathlib import Path

from .base import (
    EVENT_KINDS,
    LABEL_KINDS,
    STATE_KINDS,
    Appended,
    Event,
    ItemRecord,
    Store,
)

__all__ = [
    "open_store",
    "Store",
    "Event",
    "ItemRecord",
    "Appended",
    "EVENT_KINDS",
    "LABEL_KINDS",
    "STATE_KINDS",
]


def open_store(location: str | Path, *, read_only: bool = False) -> Store:
    """Open or create the store at ``location``.

    ``postgresql://…`` (or ``postgres://…``) opens PostgreSQL; ``sqlite:///path``
    or a plain path opens SQLite. ``read_only=True`` opens an existing store
    without ever writing in it (see :class:`~workbench.store.sqlite.SQLiteStore`
    and :class:`~workbench.store.postgres.PostgresStore`).
    """
    loc = str(location)
    if loc.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(loc, read_only=read_only)
    if loc.startswith("sqlite:///"):
        loc = loc[len("sqlite:///") :]
    from .sqlite import SQLiteStore

    return SQLiteStore(loc, read_only=read_only)
