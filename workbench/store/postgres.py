"""PostgreSQL back end (psycopg 3): one database holds one project, for teams.

The database keeps the log's promises itself, so that they hold for every
connection, the project's own API or not (in team mode each member holds
their own; see ``docs/security.md``):

- **Derived state.** ``item_state`` follows each event through a trigger
  (``wb_apply_event``, in the event's own transaction): "latest wins" is
  "highest id wins", so a new event moves the item's state only forward
  whatever order two labels of one item commit in, and a retraction
  recomputes the item's state while it holds that item's state row.
- **Idempotency.** ``(annotator, client_id, seq)`` is unique: a resend is
  acknowledged only when it repeats the stored label of the same annotator.
- **Field checks.** ``events`` has CHECK constraints for the bounds Python
  checks too (``base.MAX_NOTE`` ...); in team mode a trigger also refuses a
  value that does not fit its task in its schema version and stamps
  ``created_at`` with the server's clock (:mod:`.team_sql`).

Locks. Appending events takes no lock of its own: the insert's ROW EXCLUSIVE
lock on ``events`` is the shared lock, so many annotators' labels commit side
by side and share WAL flushes. The other writes (items, priorities, schemas:
the lead's) take SHARE ROW EXCLUSIVE on ``meta``, which only a role allowed to
change ``meta`` may take, so they run one at a time. A watermark ("all events
up to id N", :meth:`PostgresStore.watermark`) takes SHARE on ``events``: it
waits until no insert is in flight, and any later event gets a higher id.
Advisory locks are not used at all (any role may take any advisory lock), and
every connection waits at most :data:`LOCK_TIMEOUT_S` for a lock, then fails
with an error that names the roles with open write transactions, the ones
that can be holding it.

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

from ..errors import (
    PermissionDenied,
    StaleLabelError,
    StoreError,
    UnknownItemError,
    WorkbenchError,
    require,
)
from . import team_sql
from .base import (
    EVENT_KINDS,
    EVENTS_IDEMPOTENCY,
    ITEM_STATE_POSITION,
    MAX_DURATION_MS,
    MAX_NAME_CHARS,
    MAX_NOTE,
    MAX_VALUE_BYTES,
    STATE_KINDS,
    STORE_FORMAT,
    TIERS,
    Appended,
    Event,
    SQLStore,
    _chunks,
)

__all__ = ["PostgresStore", "LOCK_TIMEOUT_S", "NO_STORE"]

#: What a read-only open of a database with no store says (after its URL).
NO_STORE = "holds no workbench store (no 'meta' table with a format)"

#: Seconds any statement of this store waits for a lock before it gives up.
LOCK_TIMEOUT_S = 10.0
#: Key of the advisory lock taken only while a new store's tables are created
#: (there is no table to lock yet) or an older one's are upgraded.
CREATE_LOCK = 0x776F726B62656E63  # "workbenc" in ASCII


def _quoted(values) -> str:
    return ", ".join("'" + v + "'" for v in values)


#: CHECK constraints on events: name -> (condition, what a refusal says).
EVENT_CHECKS = {
    "events_kind": (f"kind IN ({_quoted(EVENT_KINDS)})", f"kind must be one of {EVENT_KINDS}"),
    "events_tier": (f"tier IN ({_quoted(TIERS)})", f"tier must be one of {TIERS}"),
    "events_note": (
        f"char_length(note) <= {MAX_NOTE}",
        f"a note holds at most {MAX_NOTE} characters",
    ),
    "events_annotator": (
        f"char_length(annotator) BETWEEN 1 AND {MAX_NAME_CHARS}",
        f"an annotator name has 1 to {MAX_NAME_CHARS} characters",
    ),
    "events_client": (
        f"(client_id IS NULL AND seq IS NULL) OR (char_length(client_id) BETWEEN 1 AND "
        f"{MAX_NAME_CHARS} AND seq >= 0)",
        f"client_id (1 to {MAX_NAME_CHARS} characters) and seq (>= 0) go together",
    ),
    "events_duration": (
        f"duration_ms IS NULL OR duration_ms BETWEEN 0 AND {MAX_DURATION_MS}",
        f"duration_ms is from 0 to {MAX_DURATION_MS}",
    ),
    "events_score": (
        "score IS NULL OR (score > '-Infinity' AND score < 'Infinity')",
        "a score is a finite number",
    ),
    "events_value": (
        f"value IS NULL OR octet_length(value) <= {MAX_VALUE_BYTES}",
        f"a value's JSON is at most {MAX_VALUE_BYTES} bytes",
    ),
    "events_retract": (
        "kind <> 'retract' OR parent IS NOT NULL",
        "a retraction names the event it retracts (parent)",
    ),
}

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
    "parent BIGINT REFERENCES events (id), "
    + ", ".join(f"CONSTRAINT {name} CHECK ({cond})" for name, (cond, _) in EVENT_CHECKS.items())
    + ")",
    EVENTS_IDEMPOTENCY,
    "CREATE INDEX IF NOT EXISTS events_item ON events (item_id, task, id)",
    "CREATE INDEX IF NOT EXISTS events_parent ON events (parent) WHERE parent IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS item_state (task TEXT NOT NULL, item_id TEXT NOT NULL, "
    "priority DOUBLE PRECISION NOT NULL DEFAULT 0, position BIGINT NOT NULL, "
    "state_event BIGINT, prelabel_event BIGINT, PRIMARY KEY (task, item_id))",
    "CREATE INDEX IF NOT EXISTS item_state_queue ON item_state (task, priority DESC, position) "
    "WHERE state_event IS NULL",
    ITEM_STATE_POSITION,
)

_STATE_KINDS_SQL = _quoted(STATE_KINDS)

# item_state follows every event, in the event's transaction, whoever writes it:
# a definer function, so nobody needs (or gets) a privilege on item_state itself.
# A new event moves a column only forward (greatest: two labels of one item
# committing side by side may run this in either order); a retraction first
# locks the item's state row, then recomputes both columns from what is not
# retracted (a label racing it waits for the row, then moves it forward again).
APPLY = (
    r"""
CREATE OR REPLACE FUNCTION wb_apply_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF NEW.kind = 'retract' THEN
        PERFORM 1 FROM item_state s WHERE s.task = NEW.task AND s.item_id = NEW.item_id
            FOR UPDATE;
        INSERT INTO item_state AS s (task, item_id, priority, position, state_event,
                                     prelabel_event)
        SELECT NEW.task, i.item_id, 0.0, i.position,
            (SELECT max(e.id) FROM events e WHERE e.item_id = NEW.item_id AND e.task = NEW.task
               AND e.kind IN ("""
    + _STATE_KINDS_SQL
    + r""") AND NOT EXISTS (SELECT 1 FROM events r
               WHERE r.kind = 'retract' AND r.parent = e.id)),
            (SELECT max(e.id) FROM events e WHERE e.item_id = NEW.item_id AND e.task = NEW.task
               AND e.kind = 'prelabel' AND NOT EXISTS (SELECT 1 FROM events r
               WHERE r.kind = 'retract' AND r.parent = e.id))
        FROM items i WHERE i.item_id = NEW.item_id
        ON CONFLICT (task, item_id) DO UPDATE SET state_event = EXCLUDED.state_event,
            prelabel_event = EXCLUDED.prelabel_event;
    ELSIF NEW.kind = 'prelabel' THEN
        INSERT INTO item_state AS s (task, item_id, priority, position, prelabel_event)
        SELECT NEW.task, i.item_id, 0.0, i.position, NEW.id FROM items i
        WHERE i.item_id = NEW.item_id
        ON CONFLICT (task, item_id) DO UPDATE
            SET prelabel_event = greatest(s.prelabel_event, EXCLUDED.prelabel_event);
    ELSIF NEW.kind IN ("""
    + _STATE_KINDS_SQL
    + r""") THEN
        INSERT INTO item_state AS s (task, item_id, priority, position, state_event)
        SELECT NEW.task, i.item_id, 0.0, i.position, NEW.id FROM items i
        WHERE i.item_id = NEW.item_id
        ON CONFLICT (task, item_id) DO UPDATE
            SET state_event = greatest(s.state_event, EXCLUDED.state_event);
    END IF;
    RETURN NULL;
END $$
"""
)
APPLY_TRIGGER = (
    "DROP TRIGGER IF EXISTS wb_apply ON events",
    "CREATE TRIGGER wb_apply AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION wb_apply_event()",
    "REVOKE ALL ON FUNCTION wb_apply_event() FROM PUBLIC",
)

INSERT_EVENT = (
    "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, schema_version, "
    "client_id, seq, duration_ms, score, created_at, parent) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    # No conflict target: naming its columns would need SELECT on them, which blind
    # annotators lack; the only unique key an insert can hit is the idempotency key.
    "ON CONFLICT DO NOTHING RETURNING id, created_at"
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

    ``read_only=True`` (a viewer: the Jupyter server's side panel) opens an
    existing store and never writes: no tables created, no upgrade, every
    transaction of the session read-only, whatever the role's grants.
    """

    DDL = DDL

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self._pg = require("psycopg", "team")
        super().__init__(redact(url))
        self._conninfo = url
        self._closed = False
        self.read_only = read_only
        self._conn = self._connect()
        try:
            if read_only:
                self._open_read_only()
            else:
                self._initialise(None)
            self.team_mode = self._read_team_mode()
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
            conn = psycopg.connect(self._conninfo, **kwargs)
            # Nobody's open transaction can make this one wait for long (see the
            # module docstring): a lock not had in time is an error naming who
            # can be holding it.
            conn.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_S * 1000)}")
            if self.read_only:
                conn.execute("SET default_transaction_read_only = on")
            return conn
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def _connection(self):
        """The connection, reopened if the server dropped it (a restart, a timeout)."""
        if self._closed:
            raise StoreError(f"{self.url}: the store is closed")
        if self._conn.closed or self._conn.broken:
            self._conn = self._connect()
        return self._conn

    @property
    def connection_lost(self) -> bool:
        """Whether the server closed or broke the connection (its next use reconnects,
        see :meth:`_connection`): what a caller retrying once after an error asks."""
        return bool(self._conn.closed or self._conn.broken)

    def _error(self, exc: Exception) -> WorkbenchError:
        errors = self._pg.errors
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        diag = getattr(exc, "diag", None)
        constraint = getattr(diag, "constraint_name", None)
        if isinstance(exc, errors.ForeignKeyViolation) and constraint == "events_item_id_fkey":
            item = (diag.message_detail or "").partition("(item_id)=(")[2].partition(")")[0]
            return UnknownItemError(f"no item {item!r} in this project")
        if isinstance(exc, errors.InsufficientPrivilege):
            return PermissionDenied(f"{self.url}: permission denied: {detail}")
        if isinstance(exc, errors.LockNotAvailable):
            return StoreError(
                f"{self.url}: waited {LOCK_TIMEOUT_S:g} s for a lock and gave up ({detail}); "
                f"{self._lock_holders()}. Nothing was written: try again once they finish, "
                "or ask the lead to end their session"
            )
        if isinstance(exc, self._pg.DataError):
            # Data the database cannot hold: a value that is not JSON (team mode's
            # wb_check_event casts it), a NUL in a JSON string, a number out of range.
            return StoreError(f"{self.url}: refused, nothing was written: {detail}")
        if isinstance(exc, errors.CheckViolation) and constraint == team_sql.STALE_DECISION:
            return StaleLabelError(detail.removeprefix("workbench: "))  # team_sql.CHECK_DECISION
        if isinstance(exc, errors.CheckViolation):
            known = EVENT_CHECKS.get(constraint or "")
            why = known[1] if known else detail.removeprefix("workbench: ")
            return StoreError(f"{self.url}: refused, nothing was written: {why}")
        if isinstance(exc, self._pg.IntegrityError):
            return StoreError(
                f"{self.url}: refused, it would break the store's integrity: {detail}"
            )
        if isinstance(exc, self._pg.OperationalError):
            return StoreError(f"{self.url}: cannot reach the database: {detail}")
        return StoreError(f"{self.url}: {detail}")

    def _lock_holders(self) -> str:
        """Who can be holding the lock a statement waited for: the roles of the other
        sessions on this database with a write transaction open (PostgreSQL shows
        every role their names, not their queries)."""
        try:
            with self._connection().cursor() as cur:
                cur.execute(
                    "SELECT usename, count(*) FROM pg_stat_activity WHERE datname = "
                    "current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL "
                    "GROUP BY usename ORDER BY usename"
                )
                rows = cur.fetchall()
        except self._pg.Error:
            return "who holds it could not be read"
        if not rows:
            return "no other session has a write transaction open now"
        names = ", ".join(f"{u} ({n} session{'s' if n > 1 else ''})" for u, n in rows)
        return f"sessions with a write transaction open on this database: {names}"

    # -- dialect hooks ----------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return _translate(sql)

    @contextmanager
    def _write(self, *, shared: bool = False) -> Iterator[Any]:
        # One round trip for BEGIN and the lock (simple protocol: no parameters).
        begin = "BEGIN" if shared else "BEGIN; LOCK TABLE meta IN SHARE ROW EXCLUSIVE MODE"
        with self._transaction(begin) as cur:
            yield cur

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Any]:
        if self.read_only:
            raise StoreError(f"{self.url} is open read-only: nothing was written")
        with self._lock:
            conn = self._connection()
            with self._rolled_back_on_error(conn), conn.cursor() as cur:
                cur.execute(begin)
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

    def _has_table(self, cur, name: str) -> bool:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        return bool(cur.fetchone()[0])

    # -- set-up -----------------------------------------------------------------
    def _open_read_only(self) -> None:
        stored = self._stored_format()
        if stored is None:
            raise StoreError(f"{self.url} {NO_STORE}")
        if stored[0] > STORE_FORMAT:
            raise StoreError(
                f"{self.url} was written by a newer workbench (store format {stored[0]}, this "
                f"release reads up to {STORE_FORMAT}); upgrade workbench"
            )
        self.project_id = stored[1]

    def _initialise(self, project_id: str | None) -> None:
        stored = self._stored_format()
        if stored is not None and stored[0] == STORE_FORMAT:
            self.project_id = stored[1]
            return
        # A new store, or an older one to upgrade: under an advisory lock, since
        # there may be no table to lock yet (two processes creating one store
        # must not both create). Only the store's owner gets this far twice.
        try:
            with self._transaction(f"BEGIN; SELECT pg_advisory_xact_lock({CREATE_LOCK})") as cur:
                self._create_or_upgrade(cur, project_id)
        except PermissionDenied as exc:
            if stored is None:
                raise
            raise PermissionDenied(
                f"{self.url} is in store format {stored[0]}; this release uses {STORE_FORMAT}, "
                f"and only the project's lead (the owner of its tables) may upgrade it: ask "
                f"them to open the project once with this release ({exc})"
            ) from None

    def _schema_name(self, cur) -> str:
        cur.execute("SELECT quote_ident(current_schema())")
        return cur.fetchone()[0]

    def _create_tables(self, cur) -> None:
        super()._create_tables(cur)
        self._install_apply(cur)

    def _install_apply(self, cur) -> None:
        cur.execute(APPLY.format(schema=self._schema_name(cur)))
        for stmt in APPLY_TRIGGER:
            cur.execute(stmt)

    def _migrate_step(self, cur, fmt: int) -> None:
        super()._migrate_step(cur, fmt)
        if fmt == 1:
            # The database keeps item_state and checks events' fields (format 2).
            # NOT VALID: rows already in the log are not re-checked (readers skip
            # a row they cannot decode); every new row is.
            for name, (cond, _) in EVENT_CHECKS.items():
                cur.execute(
                    f"ALTER TABLE events DROP CONSTRAINT IF EXISTS {name}, "
                    f"ADD CONSTRAINT {name} CHECK ({cond}) NOT VALID"
                )
            self._install_apply(cur)
            cur.execute("SELECT to_regclass('team_settings') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute("SELECT value FROM team_settings WHERE key = 'blind'")
                row = cur.fetchone()
                self.install_team(cur, blind=row is None or json.loads(row[0]) is not False)

    # -- team mode --------------------------------------------------------------
    def _read_team_mode(self) -> bool:
        with self._read() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'team')")
            return bool(cur.fetchone()[0])

    @property
    def _own_events(self) -> str:  # type: ignore[override]
        # Team members may not read the log itself (blind annotators), only their
        # own rows of it; the lead's own events are in that view too.
        return "my_events" if self.team_mode else "events"

    def install_team(self, cur, *, blind: bool) -> None:
        """Create or update team mode's objects (:mod:`.team_sql`) and the value rules
        of every schema version, in the caller's transaction (the lead's)."""
        schema = self._schema_name(cur)
        roles = team_sql.group_roles(self.project_id)
        for name in roles.values():
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name.strip('"'),))
            if cur.fetchone() is None:
                cur.execute(f"CREATE ROLE {name} NOLOGIN")
        for stmt in team_sql.install(schema, roles, blind=blind):
            cur.execute(stmt)
        cur.execute("SELECT version, body FROM schemas")
        for version, body in cur.fetchall():
            self._save_value_rules(cur, int(version), json.loads(body))
        cur.execute("INSERT INTO meta (key, value) VALUES ('team', '1') ON CONFLICT DO NOTHING")
        self.team_mode = True

    def _schema_saved(self, cur, version: int, body: dict[str, Any]) -> None:
        if self._has_table(cur, "value_rules"):
            self._save_value_rules(cur, version, body)

    def _save_value_rules(self, cur, version: int, body: dict[str, Any]) -> None:
        from ..schema import Schema

        for task in Schema.from_dict(body).tasks:
            cur.execute(
                "INSERT INTO value_rules (version, task, rule) VALUES (%s, %s, %s::jsonb) "
                "ON CONFLICT (version, task) DO UPDATE SET rule = EXCLUDED.rule",
                (version, task.name, json.dumps(task.value_schema())),
            )

    # -- writes -----------------------------------------------------------------
    def _executemany(self, cur, sql: str, rows: list[tuple]) -> None:
        # Bulk inserts (a million items) go through COPY: many times faster than
        # even pipelined INSERTs, and it needs no privilege beyond INSERT.
        m = _INSERT_VALUES.fullmatch(sql)
        if m is None or len(rows) < BULK:
            return super()._executemany(cur, sql, rows)
        with cur.copy(f"COPY {m[1]} ({m[2]}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def ensure_tasks(self, tasks) -> None:
        # Only a role that may write item_state (the lead) can give items their
        # queue rows; for the others there is nothing to do here.
        with self._read() as cur:
            cur.execute("SELECT has_table_privilege('item_state', 'INSERT')")
            allowed = cur.fetchone()[0]
        if allowed:
            super().ensure_tasks(tasks)

    def _shared_append(self, events) -> bool:
        return True  # the database keeps item_state (wb_apply_event): no store lock

    def append(self, events, *, expect_parent: bool = False) -> list[Appended]:
        if len(events) != 1 or expect_parent:
            return super().append(events, expect_parent=expect_parent)
        return [self._append_one(events[0])]

    def _append_one(self, ev: Event) -> Appended:
        """One event in one statement, one round trip: with autocommit the insert is
        its own transaction, and the triggers keep item_state (and in team mode
        the claims) in it. Every keypress takes this path."""
        value_json = json.dumps(ev.value)
        args = (
            ev.item_id, ev.task, value_json, ev.annotator, ev.kind, ev.tier, ev.note,
            ev.schema_version, ev.client_id, ev.seq, ev.duration_ms, ev.score, time.time(),
            ev.parent,
        )  # fmt: skip
        with self._lock:
            conn = self._connection()
            with self._rolled_back_on_error(conn), conn.cursor() as cur:
                cur.execute(INSERT_EVENT, args)
                row = cur.fetchone()
                if row is None:  # a resend: stored already, if it is the same label
                    eid = self._stored_id(cur, ev)
                    self._check_resend(cur, ev, eid, value_json)
                    return Appended(eid, True)
        ev.id, ev.created_at = int(row[0]), float(row[1])
        if getattr(self, "_listeners", None):
            self._notify([ev])
        return Appended(ev.id, False)

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
            ev.created_at = float(row[1])  # the server's clock in team mode
            return int(row[0]), False
        return self._stored_id(cur, ev), True

    def _stored_id(self, cur, ev: Event) -> int:
        cur.execute(
            f"SELECT id FROM {self._own_events} WHERE annotator = %s AND client_id = %s "
            "AND seq = %s",
            (ev.annotator, ev.client_id, ev.seq),
        )
        return int(cur.fetchone()[0])

    def _apply(self, cur, ev: Event) -> None:
        pass  # the database does it (wb_apply_event)

    def _check_items(self, cur, events) -> None:
        # For a single event the foreign key on events.item_id checks instead (see
        # _insert_event). A batch is checked up front, so no event in it is touched
        # before the refusal.
        if len(events) > 1:
            super()._check_items(cur, events)

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

    def watermark(self) -> int:
        """The id N such that "every event up to N" will never change (0 for none).

        SHARE on ``events`` waits for every insert in flight to commit and holds
        new ones back while ``max(id)`` is read, so no event with an id at most N
        can still appear. Needs a role that may lock the log (the lead).
        """
        with self._transaction("BEGIN; LOCK TABLE events IN SHARE MODE") as cur:
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM events")
            return int(cur.fetchone()[0])

    def login_user(self) -> str | None:
        with self._read() as cur:
            cur.execute("SELECT session_user, EXISTS (SELECT 1 FROM meta WHERE key = 'team')")
            user, team = cur.fetchone()
        return str(user) if team else None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()
