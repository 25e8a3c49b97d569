"""PostgreSQL back end (psycopg 3): one database holds one project, for teams.

Every write transaction first takes one transaction-scoped advisory lock. Most
take it exclusively, so they are serialised exactly as SQLite's ``BEGIN
IMMEDIATE`` serialises them: item positions never collide, a retraction
recomputes an item's state alone, and two processes creating the tables at
once do not trip over each other. Appending a single label (the path every
keypress takes) takes it *shared*: many annotators' labels commit side by side
and share WAL flushes, instead of queueing behind each other's disk waits
(with 8 annotators on 2 cores, queueing made a commit's p99 ten times worse).
What keeps the log's promises then:

- "latest wins" is "highest id wins": a new event moves ``item_state`` only
  forward (:meth:`SQLStore._set_state`), whatever order two labels of one item
  commit in;
- a watermark ("all events up to id N") taken by :meth:`SQLStore.watermark`
  waits for the exclusive lock, so no label with an id at most N is still in
  flight: one that commits later has a higher id. (``max(id)`` read at any
  moment may still gain an earlier id from a label in flight.)

Readers are never blocked (MVCC). Commits are durable: ``synchronous_commit``
is left as the server has it (``on`` by default), never turned off.

Column types mirror the SQLite tables: ``BIGSERIAL``/``BIGINT`` ids, ``TEXT``
for the JSON columns (``value``, ``body``, ``meta``; the shared code decodes
them), ``DOUBLE PRECISION`` for times and scores. Event ids are increasing but
not dense: a resend that ``ON CONFLICT DO NOTHING`` drops still used up a
sequence number.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import PermissionDenied, StoreError, UnknownItemError, WorkbenchError, require
from .base import STATE_KINDS, Appended, Event, SQLStore, _chunks

__all__ = ["PostgresStore"]

#: Key of the advisory lock every write transaction takes ("workbenc" in ASCII).
WRITE_LOCK = 0x776F726B62656E63
SHARED_LOCK = f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK})"

#: Gallery pages in insertion order (``page_items``); added after format 1 shipped.
ITEM_STATE_POSITION = (
    "CREATE INDEX IF NOT EXISTS item_state_position ON item_state (task, position)"
)

DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS schemas (version INTEGER PRIMARY KEY, body TEXT NOT NULL, "
    "created_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS items (item_id TEXT PRIMARY KEY, kind TEXT NOT NULL, uri TEXT, "
    "text TEXT, meta TEXT, position BIGINT NOT NULL, added_at DOUBLE PRECISION NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS items_position ON items (position)",
    "CREATE TABLE IF NOT EXISTS events (id BIGSERIAL PRIMARY KEY, "
    "item_id TEXT NOT NULL REFERENCES items (item_id), task TEXT NOT NULL, value TEXT, "
    "annotator TEXT NOT NULL, kind TEXT NOT NULL, tier TEXT NOT NULL, note TEXT NOT NULL, "
    "schema_version INTEGER, client_id TEXT, seq BIGINT, duration_ms BIGINT, "
    "score DOUBLE PRECISION, created_at DOUBLE PRECISION NOT NULL, "
    "parent BIGINT REFERENCES events (id))",
    "CREATE UNIQUE INDEX IF NOT EXISTS events_client_seq ON events (client_id, seq) "
    "WHERE client_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS events_item ON events (item_id, task, id)",
    "CREATE INDEX IF NOT EXISTS events_parent ON events (parent) WHERE parent IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS item_state (task TEXT NOT NULL, item_id TEXT NOT NULL, "
    "priority DOUBLE PRECISION NOT NULL DEFAULT 0, position BIGINT NOT NULL, "
    "state_event BIGINT, prelabel_event BIGINT, PRIMARY KEY (task, item_id))",
    "CREATE INDEX IF NOT EXISTS item_state_queue ON item_state (task, priority DESC, position) "
    "WHERE state_event IS NULL",
    ITEM_STATE_POSITION,
)

INSERT_EVENT = (
    "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, schema_version, "
    "client_id, seq, duration_ms, score, created_at, parent) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (client_id, seq) WHERE client_id IS NOT NULL DO NOTHING RETURNING id"
)


# One event and the item's state in one statement: the event's id moves the
# state only forward, and a missing queue row is created (ON CONFLICT: two first
# labels of one item racing). ``{column}`` is state_event or prelabel_event.
APPEND_ONE = (
    "WITH ins AS (" + INSERT_EVENT + ") "
    "INSERT INTO item_state AS s (task, item_id, priority, position, {column}) "
    "SELECT %s, i.item_id, 0.0, i.position, ins.id FROM ins JOIN items i ON i.item_id = %s "
    "ON CONFLICT (task, item_id) DO UPDATE SET {column} = CASE WHEN s.{column} IS NULL "
    "OR s.{column} < EXCLUDED.{column} THEN EXCLUDED.{column} ELSE s.{column} END "
    "RETURNING (SELECT id FROM ins)"
)

#: Batches at least this long use COPY / array parameters instead of executemany.
BULK = 200
_INSERT_VALUES = re.compile(r"INSERT INTO (\w+) \(([\w, ]+)\) VALUES \([?, ]+\)")


@functools.lru_cache(maxsize=512)
def _translate(sql: str) -> str:
    # The shared SQL has no '?' or '%' inside string literals, so a plain swap is safe.
    return sql.replace("%", "%%").replace("?", "%s")


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and ``repr``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    out = url
    if parts.password is not None:
        host = parts.netloc.rpartition("@")[2]
        out = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    # Passwords can also ride in the query string (?password=...).
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", out)


class PostgresStore(SQLStore):
    """A store in one PostgreSQL database, opened from a libpq URL.

    ``url`` is ``postgresql://user[:password]@host[:port]/dbname[?param=...]``;
    a Unix socket directory goes in ``?host=/path``. The tables are created on
    first use (which needs the CREATE privilege on the schema); a role that can
    only read or write existing tables opens an existing store fine.
    """

    DDL = DDL

    def __init__(self, url: str) -> None:
        self._pg = require("psycopg", "team")
        super().__init__(redact(url))
        self._conninfo = url
        self._closed = False
        self._conn = self._connect()
        try:
            self._initialise(None)
        except BaseException:
            self.close()
            raise

    # -- connection -------------------------------------------------------------
    def _connect(self):
        psycopg = self._pg
        kwargs: dict[str, Any] = {"autocommit": True}
        try:
            if "application_name" not in psycopg.conninfo.conninfo_to_dict(self._conninfo):
                kwargs["application_name"] = "workbench"
            return psycopg.connect(self._conninfo, **kwargs)
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def _connection(self):
        """The connection, reopened if the server dropped it (a restart, a timeout)."""
        if self._closed:
            raise StoreError(f"{self.url}: the store is closed")
        if self._conn.closed or self._conn.broken:
            self._conn = self._connect()
        return self._conn

    def _error(self, exc: Exception) -> WorkbenchError:
        errors = self._pg.errors
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if (
            isinstance(exc, errors.ForeignKeyViolation)
            and exc.diag.constraint_name == "events_item_id_fkey"
        ):
            item = (exc.diag.message_detail or "").partition("(item_id)=(")[2].partition(")")[0]
            return UnknownItemError(f"no item {item!r} in this project")
        if isinstance(exc, errors.InsufficientPrivilege):
            return PermissionDenied(f"{self.url}: permission denied: {detail}")
        if isinstance(exc, self._pg.IntegrityError):
            return StoreError(
                f"{self.url}: refused, it would break the store's integrity: {detail}"
            )
        if isinstance(exc, self._pg.OperationalError):
            return StoreError(f"{self.url}: cannot reach the database: {detail}")
        return StoreError(f"{self.url}: {detail}")

    # -- dialect hooks ----------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return _translate(sql)

    @contextmanager
    def _write(self, *, shared: bool = False) -> Iterator[Any]:
        lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with self._lock:
            conn = self._connection()
            with self._rolled_back_on_error(conn), conn.cursor() as cur:
                # One round trip for both (simple protocol: no parameters).
                cur.execute(f"BEGIN; SELECT {lock}({WRITE_LOCK})")
                yield cur
                cur.execute("COMMIT")

    @contextmanager
    def _rolled_back_on_error(self, conn) -> Iterator[None]:
        """Roll the open transaction back on any error; database errors become ours."""
        try:
            yield
        except self._pg.Error as exc:
            self._rollback(conn)
            raise self._error(exc) from exc
        except BaseException:
            self._rollback(conn)
            raise

    def _rollback(self, conn) -> None:
        if conn.closed or conn.broken:
            return
        try:
            conn.execute("ROLLBACK")
        except self._pg.Error:  # the connection died too: the server rolls back for us
            pass

    @contextmanager
    def _read(self) -> Iterator[Any]:
        with self._lock:
            conn = self._connection()
            try:
                with conn.cursor() as cur:
                    yield cur
            except self._pg.Error as exc:
                raise self._error(exc) from exc

    def _create_tables(self, cur) -> None:
        # Runs under the write lock, so two processes opening a new store at once
        # cannot both create. Skipped once the tables exist: CREATE ... IF NOT
        # EXISTS still demands the CREATE privilege, which annotators lack.
        cur.execute("SELECT to_regclass('meta') IS NOT NULL")
        if not cur.fetchone()[0]:
            super()._create_tables(cur)
            return
        # A store created before the gallery index existed gets it from the first
        # role allowed to create it; for the others pages are only slower.
        cur.execute("SELECT to_regclass('item_state_position') IS NOT NULL")
        if not cur.fetchone()[0]:
            cur.execute("SAVEPOINT add_index")
            try:
                cur.execute(ITEM_STATE_POSITION)
            except self._pg.errors.InsufficientPrivilege:
                cur.execute("ROLLBACK TO SAVEPOINT add_index")
            else:
                cur.execute("RELEASE SAVEPOINT add_index")

    def _executemany(self, cur, sql: str, rows: list[tuple]) -> None:
        # Bulk inserts (a million items) go through COPY: many times faster than
        # even pipelined INSERTs, and it needs no privilege beyond INSERT.
        m = _INSERT_VALUES.fullmatch(sql)
        if m is None or len(rows) < BULK:
            return super()._executemany(cur, sql, rows)
        with cur.copy(f"COPY {m[1]} ({m[2]}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def append(self, events) -> list[Appended]:
        ev = events[0] if len(events) == 1 else None
        if ev is None or ev.kind not in STATE_KINDS + ("prelabel",):
            return super().append(events)
        return [self._append_one(ev)]

    def _append_one(self, ev: Event) -> Appended:
        """One label in one round trip: the transaction, the shared write lock, the
        event, the item's state and the commit sent together (pipeline mode).

        Every keypress takes this path; with 8 annotators on 2 cores each round
        trip waits for a time slice, so four of them cost more than the disk.
        """
        column = "prelabel_event" if ev.kind == "prelabel" else "state_event"
        now = time.time()
        args = (
            ev.item_id, ev.task, json.dumps(ev.value), ev.annotator, ev.kind, ev.tier, ev.note,
            ev.schema_version, ev.client_id, ev.seq, ev.duration_ms, ev.score, now, ev.parent,
            ev.task, ev.item_id,
        )  # fmt: skip
        with self._lock:
            conn = self._connection()
            with self._rolled_back_on_error(conn), conn.cursor() as cur:
                # prepare=False: an aborted pipeline leaves psycopg believing in
                # statements it never prepared ("prepared statement does not exist").
                with conn.pipeline():
                    conn.execute("BEGIN", prepare=False)
                    conn.execute(SHARED_LOCK, prepare=False)
                    cur.execute(APPEND_ONE.format(column=column), args, prepare=False)
                    conn.execute("COMMIT", prepare=False)
                row = cur.fetchone()
        if row is None:  # a resend: (client_id, seq) is stored already
            return Appended(self.find_event(ev.client_id, ev.seq), True)  # type: ignore[arg-type]
        ev.id, ev.created_at = int(row[0]), now
        if getattr(self, "_listeners", None):
            self._notify([ev])
        return Appended(ev.id, False)

    def _new_ids(self, cur, ids: list[str]) -> list[str]:
        present: set[str] = set()
        for chunk in _chunks(ids, 20_000):  # one array parameter, not 500 placeholders
            cur.execute("SELECT item_id FROM items WHERE item_id = ANY(%s::text[])", (chunk,))
            present.update(r[0] for r in cur.fetchall())
        return [i for i in ids if i not in present]

    def set_priority(self, task: str, priorities: dict[str, float]) -> None:
        if len(priorities) < BULK:
            return super().set_priority(task, priorities)
        items = list(priorities.items())
        with self._write() as cur:
            for chunk in _chunks(items, 50_000):  # one UPDATE joined to arrays per chunk
                cur.execute(
                    "UPDATE item_state s SET priority = v.priority FROM "
                    "unnest(%s::text[], %s::float8[]) AS v (item_id, priority) "
                    "WHERE s.task = %s AND s.item_id = v.item_id",
                    ([i for i, _ in chunk], [float(p) for _, p in chunk], task),
                )

    def _check_items(self, cur, events) -> None:
        # For a single event the foreign key on events.item_id checks instead (see
        # _insert_event): one round trip less on the path every keypress takes. A
        # batch is checked up front, so no event in it is touched before the refusal.
        if len(events) > 1:
            super()._check_items(cur, events)

    def _insert_event(self, cur, ev: Event, value_json: str, now: float) -> tuple[int, bool]:
        # A missing item trips the foreign key: _error makes it UnknownItemError.
        cur.execute(
            INSERT_EVENT,
            (
                ev.item_id, ev.task, value_json, ev.annotator, ev.kind, ev.tier, ev.note,
                ev.schema_version, ev.client_id, ev.seq, ev.duration_ms, ev.score, now, ev.parent,
            ),
        )  # fmt: skip
        row = cur.fetchone()
        if row is not None:
            return int(row[0]), False
        cur.execute(
            "SELECT id FROM events WHERE client_id = %s AND seq = %s", (ev.client_id, ev.seq)
        )
        return int(cur.fetchone()[0]), True

    def login_user(self) -> str | None:
        with self._read() as cur:
            cur.execute("SELECT session_user, EXISTS (SELECT 1 FROM meta WHERE key = 'team')")
            user, team = cur.fetchone()
        return str(user) if team else None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()
