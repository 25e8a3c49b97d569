"""SQLite back end: the default, a file next to the notebook.

WAL mode so readers never block the writer; every write transaction starts
with ``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of
failing with "database is locked" on upgrade; ``synchronous=FULL`` so an
acknowledged label survives a power cut, not just a killed kernel.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError
from .base import Event, SQLStore

__all__ = ["SQLiteStore"]

#: Gallery pages in insertion order (``page_items``); added after format 1 shipped.
ITEM_STATE_POSITION = (
    "CREATE INDEX IF NOT EXISTS item_state_position ON item_state (task, position)"
)

DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS schemas (version INTEGER PRIMARY KEY, body TEXT NOT NULL, "
    "created_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS items (item_id TEXT PRIMARY KEY, kind TEXT NOT NULL, uri TEXT, "
    "text TEXT, meta TEXT, position INTEGER NOT NULL, added_at REAL NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS items_position ON items (position)",
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "item_id TEXT NOT NULL REFERENCES items (item_id), task TEXT NOT NULL, value TEXT, "
    "annotator TEXT NOT NULL, kind TEXT NOT NULL, tier TEXT NOT NULL, note TEXT NOT NULL, "
    "schema_version INTEGER, client_id TEXT, seq INTEGER, duration_ms INTEGER, score REAL, "
    "created_at REAL NOT NULL, parent INTEGER REFERENCES events (id))",
    "CREATE UNIQUE INDEX IF NOT EXISTS events_client_seq ON events (client_id, seq) "
    "WHERE client_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS events_item ON events (item_id, task, id)",
    "CREATE INDEX IF NOT EXISTS events_parent ON events (parent) WHERE parent IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS item_state (task TEXT NOT NULL, item_id TEXT NOT NULL, "
    "priority REAL NOT NULL DEFAULT 0, position INTEGER NOT NULL, state_event INTEGER, "
    "prelabel_event INTEGER, PRIMARY KEY (task, item_id))",
    "CREATE INDEX IF NOT EXISTS item_state_queue ON item_state (task, priority DESC, position) "
    "WHERE state_event IS NULL",
    ITEM_STATE_POSITION,
)


class SQLiteStore(SQLStore):
    """A store in one SQLite file. ``path`` may be ``":memory:"`` for throwaway use."""

    DDL = DDL

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        path = str(path)
        super().__init__(path if path == ":memory:" else f"sqlite:///{Path(path).resolve()}")
        self.path = path
        if path != ":memory:":
            Path(path).resolve().parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN ourselves (BEGIN IMMEDIATE for writes).
            self._conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=60.0
            )
            self._conn.execute("PRAGMA busy_timeout = 60000")
            mode = _journal_mode_wal(self._conn, timeout=60.0)
            if mode.lower() != "wal" and path != ":memory:":
                raise StoreError(f"could not put {path} in WAL mode (got {mode})")
            self._conn.execute(f"PRAGMA synchronous = {synchronous}")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a workbench store: {exc}") from exc
        self.synchronous = synchronous
        self._initialise(None)

    @contextmanager
    def _write(self, *, shared: bool = False):  # SQLite serialises every writer
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: {exc}") from exc
            try:
                yield cur
            except sqlite3.IntegrityError as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"{self.path}: refused: {exc}") from exc
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                cur.close()

    @contextmanager
    def _read(self):
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
            finally:
                cur.close()

    def _insert_event(self, cur, ev: Event, value_json: str, now: float) -> tuple[int, bool]:
        cur.execute(
            "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, "
            "schema_version, client_id, seq, duration_ms, score, created_at, parent) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (client_id, seq) WHERE client_id IS NOT NULL DO NOTHING",
            (
                ev.item_id, ev.task, value_json, ev.annotator, ev.kind, ev.tier, ev.note,
                ev.schema_version, ev.client_id, ev.seq, ev.duration_ms, ev.score, now, ev.parent,
            ),
        )  # fmt: skip
        if cur.rowcount == 1:
            return int(cur.lastrowid), False
        cur.execute("SELECT id FROM events WHERE client_id = ? AND seq = ?", (ev.client_id, ev.seq))
        return int(cur.fetchone()[0]), True

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _journal_mode_wal(conn: sqlite3.Connection, *, timeout: float) -> str:
    """Switch ``conn``'s database to WAL and return the journal mode it ends in.

    Unlike other statements, the switch does not wait on the busy timeout: a
    process racing another one that creates the same new store gets "database
    is locked" at once. So retry, briefly backing off, until ``timeout``.
    """
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
