"""SQLite back end: the default, a file next to the notebook.

WAL mode so readers never block the writer; every write transaction starts
with ``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of
failing with "database is locked" on upgrade; ``synchronous=FULL`` so an
acknowledged label survives a power cut, not just a killed kernel.

``SQLiteStore(path, read_only=True)`` is a viewer (the Jupyter server's REST
API uses it): it opens the file through SQLite's ``mode=ro`` URI and never
writes in it: no tables created, no journal mode switched, no migration. It
refuses, with a :class:`~workbench.errors.StoreError` naming the file, anything
that is not a workbench store: a missing or empty file, a file that is not
SQLite, one with no ``meta`` table holding a ``format`` row, one missing a
workbench table, or one written in another store format.

How SQLite reads a WAL-mode file read-only: while a writer has the store open,
its ``-wal`` and ``-shm`` files exist and the viewer uses them (it sees every
committed label, checkpointed or not). When no writer has it open, they do not
exist, and SQLite creates both (an empty ``-wal`` and the shared-memory index)
to coordinate with writers that come later; the store file itself is left
byte for byte as it was, and the next writer to close the store last removes
the two files. So that a foreign WAL-mode file (another application's) never
gets them, the ``meta`` check of such a file runs first on an ``immutable=1``
connection, which creates nothing. A file in another journal mode never gets
a ``-wal`` or ``-shm`` file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError
from .base import EVENTS_IDEMPOTENCY, ITEM_STATE_POSITION, STORE_FORMAT, Event, SQLStore

__all__ = ["SQLiteStore", "READ_ONLY_TIMEOUT_S", "is_busy"]

#: Seconds a read-only store waits on another process's lock before it gives up:
#: a viewer should not queue behind a writer (a WAL-mode store never makes it wait).
READ_ONLY_TIMEOUT_S = 2.0
#: Seconds a writable store waits on another writer's lock.
WRITE_TIMEOUT_S = 60.0
#: The tables every workbench store has.
TABLES = ("meta", "schemas", "items", "events", "item_state")
#: Store formats a read-only store reads as they are: the steps between them change
#: only indexes and write-side checks, nothing a read sees. A format missing here
#: must be upgraded (opened once with write access) before it is read read-only.
READ_ONLY_FORMATS = frozenset({1, 2})
_MAGIC = b"SQLite format 3\x00"


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
    EVENTS_IDEMPOTENCY,
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
    """A store in one SQLite file. ``path`` may be ``":memory:"`` for throwaway use.

    Parameters
    ----------
    path : str or Path
        The file; created (with its folder) if missing, unless ``read_only``.
    synchronous : str
        SQLite's ``synchronous`` setting for writes (``"FULL"``: durable commits).
    read_only : bool
        Open an existing store as a viewer that never writes in the file (see
        the module's notes); writes raise :class:`~workbench.errors.StoreError`.
    timeout : float, optional
        Seconds to wait on another connection's lock before failing: by default
        :data:`WRITE_TIMEOUT_S`, or :data:`READ_ONLY_TIMEOUT_S` when ``read_only``.
    """

    DDL = DDL

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        read_only: bool = False,
        timeout: float | None = None,
    ) -> None:
        path = str(path)
        super().__init__(path if path == ":memory:" else f"sqlite:///{Path(path).resolve()}")
        self.path = path
        self.read_only = bool(read_only)
        if read_only:
            self.synchronous = None
            self._open_read_only(READ_ONLY_TIMEOUT_S if timeout is None else timeout)
            return
        timeout = WRITE_TIMEOUT_S if timeout is None else timeout
        if path != ":memory:":
            Path(path).resolve().parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN ourselves (BEGIN IMMEDIATE for writes).
            self._conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=timeout
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            mode = _journal_mode_wal(self._conn, timeout=timeout)
            if mode.lower() != "wal" and path != ":memory:":
                raise StoreError(f"could not put {path} in WAL mode (got {mode})")
            self._conn.execute(f"PRAGMA synchronous = {synchronous}")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a workbench store: {exc}") from exc
        self.synchronous = synchronous
        self._initialise(None)

    def _open_read_only(self, timeout: float) -> None:
        """Connect with ``mode=ro`` and check that the file is a workbench store."""
        if self.path == ":memory:":
            raise StoreError(":memory: cannot be opened read-only: it holds no store yet")
        file = Path(self.path).resolve()
        header = _header(self.path, file)
        uri = file.as_uri()
        if header[18] == 2 and not Path(f"{file}-wal").exists():  # WAL mode, no writer
            probe = self._connect(f"{uri}?mode=ro&immutable=1", timeout)
            try:
                self._check_store(probe)
            finally:
                probe.close()
        self._conn = self._connect(f"{uri}?mode=ro", timeout)
        try:
            self._conn.execute("PRAGMA query_only = ON")
            self.project_id = self._check_store(self._conn)
        except BaseException:
            self._conn.close()
            raise

    def _connect(self, uri: str, timeout: float) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                uri, uri=True, isolation_level=None, check_same_thread=False, timeout=timeout
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open it read-only: {exc}") from exc
        return conn

    def _check_store(self, conn: sqlite3.Connection) -> str:
        """The project id of the store on ``conn``; a StoreError unless it is a workbench
        store in this release's format."""
        try:
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "meta" not in tables:
                raise StoreError(f"{self.path} is not a workbench store: it has no meta table")
            meta = dict(
                conn.execute(
                    "SELECT key, value FROM meta WHERE key IN ('format', 'project_id')"
                ).fetchall()
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise StoreError(f"{self.path}: a stored text is not UTF-8: {exc}") from exc
        fmt = meta.get("format")
        if fmt is None:
            raise StoreError(
                f"{self.path} is not a workbench store: its meta table has no 'format' row"
            )
        try:
            fmt = int(fmt)
        except (TypeError, ValueError):
            raise StoreError(
                f"{self.path} is not a workbench store: its store format is {fmt!r}, "
                "expected a whole number"
            ) from None
        if fmt > STORE_FORMAT:
            raise StoreError(
                f"{self.path} was written by a newer workbench (store format {fmt}, this "
                f"release reads up to {STORE_FORMAT}); upgrade workbench"
            )
        if fmt not in READ_ONLY_FORMATS:
            raise StoreError(
                f"{self.path} is in store format {fmt}: open it once with write access to "
                f"upgrade it to format {STORE_FORMAT} before reading it read-only"
            )
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise StoreError(f"{self.path} is not a workbench store: it has no table {missing}")
        project_id = meta.get("project_id")
        if not isinstance(project_id, str) or not project_id:
            raise StoreError(f"{self.path} is not a workbench store: it has no project id")
        return project_id

    @contextmanager
    def _write(self, *, shared: bool = False):  # SQLite serialises every writer
        if self.read_only:
            raise StoreError(f"{self.path} is open read-only: nothing can be written")
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
            except sqlite3.DatabaseError as exc:  # locked, corrupt, a table gone
                raise StoreError(f"{self.path}: {exc}") from exc
            except UnicodeDecodeError as exc:  # a corrupt text value
                raise StoreError(f"{self.path}: a stored text is not UTF-8: {exc}") from exc
            finally:
                cur.close()

    def _insert_event(self, cur, ev: Event, value_json: str, now: float) -> tuple[int, bool]:
        cur.execute(
            "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, "
            "schema_version, client_id, seq, duration_ms, score, created_at, parent) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (annotator, client_id, seq) WHERE client_id IS NOT NULL DO NOTHING",
            (
                ev.item_id, ev.task, value_json, ev.annotator, ev.kind, ev.tier, ev.note,
                ev.schema_version, ev.client_id, ev.seq, ev.duration_ms, ev.score, now, ev.parent,
            ),
        )  # fmt: skip
        if cur.rowcount == 1:
            return int(cur.lastrowid), False
        cur.execute(
            "SELECT id FROM events WHERE annotator = ? AND client_id = ? AND seq = ?",
            (ev.annotator, ev.client_id, ev.seq),
        )
        return int(cur.fetchone()[0]), True

    def _has_table(self, cur, name: str) -> bool:
        cur.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,))
        return cur.fetchone() is not None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc``, or an error it was raised from, is SQLite's "database is
    locked" (another connection holds a lock longer than the busy timeout)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.Error) and (
            getattr(seen, "sqlite_errorcode", 0) & 0xFF
            in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        ):
            return True
        seen = seen.__cause__
    return False


def _header(path: str, file: Path) -> bytes:
    """The 100-byte header of the SQLite file ``file``; a StoreError naming ``path``
    for a missing, empty or non-SQLite file."""
    try:
        # O_NONBLOCK: a FIFO named like a store must not hang the reader.
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise StoreError(f"{path}: no such file to open read-only") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read it: {exc.strerror}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StoreError(f"{path} is not a workbench store: it is not a regular file")
        header = os.read(fd, 100)
    finally:
        os.close(fd)
    if not header:
        raise StoreError(f"{path} is not a workbench store: the file is empty")
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise StoreError(f"{path} is not a workbench store: it is not an SQLite database")
    return header


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
