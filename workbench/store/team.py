"""Team mode's reads and writes: every SQL statement of :mod:`workbench.team`.

:class:`TeamStore` wraps a :class:`~workbench.store.postgres.PostgresStore` and
names each operation team mode needs (settings, people, the pool, claims, the
annotator's own window on the log, feedback, routing, and the lead's tables).
The rules (who may do what, settings' ranges, disagreement, consensus) stay in
:mod:`workbench.team`, which calls these and nothing below them. The database
objects these statements use are :mod:`workbench.store.team_sql`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

import pandas as pd

from ..errors import PermissionDenied
from . import team_sql
from .base import EVENT_COLUMNS, Event, _chunks, _json, decoded_frame, decoded_rows, event_from_row

if TYPE_CHECKING:
    from .postgres import PostgresStore

__all__ = ["TeamStore"]

#: Undecided-item rows of the annotate tier: ``(item_id, [(kind, value), ...])``.
RouteChoice = Callable[[dict[str, list[tuple[str, Any]]]], tuple[list, list, list]]

_MY_DECISIONS = (
    "FROM my_events e WHERE e.annotator = session_user AND {filter} "
    "AND e.kind NOT IN ('prelabel', 'retract') AND NOT EXISTS (SELECT 1 FROM my_events r "
    "WHERE r.kind = 'retract' AND r.parent = e.id)"
)


class TeamStore:
    """Team mode's named operations on one PostgreSQL store (``TeamStore(store)``)."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    # -- who, and whether ---------------------------------------------------------
    def enabled(self) -> bool:
        """Whether team mode's tables exist in this database."""
        return self._scalar("SELECT to_regclass('team_settings') IS NOT NULL") is True

    def session_user(self) -> str:
        return str(self._scalar("SELECT session_user"))

    def role(self) -> str | None:
        """This connection's team role, ``None`` for one not in ``team_users`` (the lead)."""
        return self._scalar("SELECT role FROM team_users WHERE name = session_user")

    def is_superuser(self) -> bool:
        return bool(self._scalar("SELECT rolsuper FROM pg_roles WHERE rolname = session_user"))

    def gold_count(self) -> int:
        return int(self._scalar("SELECT count(*) FROM team_pool WHERE gold") or 0)

    def login_url(self, name: str, password: str | None = None) -> str:
        """The store's URL with ``name`` (and ``password``) as the user."""
        parts = urlsplit(self.store._conninfo)
        host = parts.netloc.rpartition("@")[2]
        auth = quote(name, safe="") + ("" if password is None else ":" + quote(password, safe=""))
        return urlunsplit(parts._replace(netloc=f"{auth}@{host}"))

    # -- set-up (the lead) ------------------------------------------------------------
    def install(self, settings: Mapping[str, str], *, blind: bool) -> None:
        """Create or update team mode's objects and store ``settings`` (key → JSON text)."""
        with self.store._write() as cur:
            try:
                self.store.install_team(cur, blind=blind)
                for key, value in settings.items():
                    cur.execute(
                        "INSERT INTO team_settings (key, value) VALUES (%s, %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (key, value),
                    )
            except self.store._pg.errors.InsufficientPrivilege as exc:
                raise PermissionDenied(
                    f"{self.store.url}: team setup needs a role that owns the project's "
                    f"tables and may create roles (the lead's): {exc}"
                ) from None

    def settings(self) -> dict[str, str]:
        """The stored settings, key → JSON text."""
        with self.store._read() as cur:
            cur.execute("SELECT key, value FROM team_settings")
            return dict(cur.fetchall())

    def add_login(self, name: str, role: str, password: str | None, reset_password: bool) -> None:
        """Create (or reuse) the login role ``name`` and make it a member of ``role``'s group.

        An existing role is reused only if it is an ordinary login role; its
        password changes only with ``reset_password``. Raises ``ValueError``
        for a role that cannot log in or may do more than a member should.
        """
        sql = self.store._pg.sql
        roles = team_sql.group_roles(self.store.project_id)
        with self.store._write() as cur:
            cur.execute(
                "SELECT rolcanlogin, rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication "
                "OR rolbypassrls FROM pg_roles WHERE rolname = %s",
                (name,),
            )
            row = cur.fetchone()
            if row is None:
                stmt = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                    sql.Identifier(name)
                )
                if password is not None:
                    stmt = sql.SQL("{} PASSWORD {}").format(stmt, sql.Literal(password))
                cur.execute(stmt)
            else:
                can_login, powerful = row
                if not can_login or powerful:
                    raise ValueError(
                        f"{name!r} is an existing PostgreSQL role that "
                        + ("cannot log in" if not can_login else "may do more than a team "
                           "member (a superuser, or it may create roles or databases, "
                           "replicate or bypass row-level security)")
                        + "; workbench adds only ordinary login roles: choose another name"
                    )  # fmt: skip
                if password is not None and not reset_password:
                    raise ValueError(
                        f"{name!r} already exists (a member of another project?); its password "
                        "is left as it is. Leave password= out to add them with their own, or "
                        "pass reset_password=True to change it"
                    )
                if reset_password:
                    cur.execute(
                        sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                            sql.Identifier(name), sql.Literal(password)
                        )
                    )
            for other in roles.values():
                cur.execute(f'REVOKE {other} FROM "{name}"')
            cur.execute(f'GRANT {roles[role]} TO "{name}"')
            cur.execute(
                "INSERT INTO team_users (name, role, added_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role",
                (name, role, time.time()),
            )

    def users(self, *, with_gold: bool) -> pd.DataFrame:
        """``name, role, added_at, claims`` (and ``gold_claims``) of the readable rows."""
        gold = ", gold_claims" if with_gold else ""
        return self._frame(
            f"SELECT name, role, to_timestamp(added_at) AS added_at, claims{gold} "
            "FROM team_users ORDER BY name"
        )

    def fill(self, task: str, needed: int, item_ids: Sequence[str] | None) -> int:
        """Put ``item_ids`` (all of the task's items: ``None``) in the annotate pool,
        each needing ``needed`` annotators; refresh priorities. Returns how many were new."""
        where = "" if item_ids is None else " AND s.item_id = ANY(%s::text[])"
        args: tuple = (needed, needed, task)
        if item_ids is not None:
            args += (list(item_ids),)
        count = "SELECT count(*) FROM team_pool WHERE task = %s AND tier = 'annotate'"
        with self.store._write(shared=True) as cur:
            cur.execute(count, (task,))
            before = int(cur.fetchone()[0])
            cur.execute(
                "INSERT INTO team_pool (task, tier, item_id, needed, open, priority, position) "
                "SELECT s.task, 'annotate', s.item_id, %s, %s, s.priority, s.position "
                "FROM item_state s WHERE s.task = %s" + where + " "
                "ON CONFLICT (task, tier, item_id) DO UPDATE SET priority = EXCLUDED.priority",
                args,
            )
            cur.execute(count, (task,))
            added = int(cur.fetchone()[0]) - before
        with self.store._read() as cur:  # fresh statistics for the claim's plan
            cur.execute("ANALYZE team_pool, team_claims")
        return added

    def add_gold(self, task: str, answers: Mapping[str, str]) -> None:
        """Store gold answers (item id → JSON text) and put the items in the pool as gold."""
        rows = [(task, iid, value) for iid, value in answers.items()]
        with self.store._write(shared=True) as cur:
            cur.executemany(
                "INSERT INTO team_gold (task, item_id, value) VALUES (%s, %s, %s) "
                "ON CONFLICT (task, item_id) DO UPDATE SET value = EXCLUDED.value",
                rows,
            )
            cur.execute(
                "INSERT INTO team_pool (task, tier, item_id, needed, open, priority, position, "
                "gold) SELECT %s, 'annotate', i.item_id, 0, NULL, 0, i.position, TRUE "
                "FROM items i WHERE i.item_id = ANY(%s::text[]) "
                "ON CONFLICT (task, tier, item_id) DO UPDATE SET gold = TRUE, open = NULL, "
                "needed = 0",
                (task, list(answers)),
            )

    # -- work (everyone) --------------------------------------------------------------
    def claim(
        self, task: str, tier: str | None, n: int, lease_s: float, exclude: Sequence[str]
    ) -> list[str]:
        """``wb_claim``: up to ``n`` item ids for this user, in order."""
        with self.store._read() as cur:
            cur.execute(
                "SELECT item_id FROM wb_claim(%s, %s, %s, %s, %s::text[])",
                (task, tier, n, lease_s, list(exclude)),
            )
            return [r[0] for r in cur.fetchall()]

    def release(self, task: str, item_ids: Sequence[str]) -> int:
        with self.store._read() as cur:
            cur.execute("SELECT wb_release(%s, %s::text[])", (task, list(item_ids)))
            return int(cur.fetchone()[0])

    def my_claims(self, task: str | None) -> pd.DataFrame:
        args: tuple = ()
        sql = (
            "SELECT task, tier, item_id, state, to_timestamp(claimed_at) AS claimed_at, "
            "to_timestamp(lease_until) AS lease_until, to_timestamp(done_at) AS done_at "
            "FROM team_claims WHERE annotator = session_user"
        )
        if task is not None:
            sql += " AND task = %s"
            args += (task,)
        return self._frame(sql + " ORDER BY claimed_at, item_id", args)

    def progress(self, task: str) -> tuple[int, int]:
        with self.store._read() as cur:
            cur.execute("SELECT done, total FROM wb_progress(%s)", (task,))
            done, total = cur.fetchone()
        return int(done), int(total)

    def my_labels(self, task: str) -> pd.DataFrame:
        """This user's current decisions, one row per item, like ``store.events``."""
        return self.store._event_query(
            "SELECT DISTINCT ON (item_id) id, item_id, task, value, annotator, kind, tier, note, "
            "schema_version, client_id, seq, duration_ms, score, created_at, parent "
            + _MY_DECISIONS.format(filter="task = ?")
            + " ORDER BY item_id, id DESC",
            (task,),
        )

    def my_values(self, task: str, item_ids: Sequence[str]) -> dict[str, tuple[str, Any]]:
        out: dict[str, tuple[str, Any]] = {}
        with self.store._read() as cur:
            for chunk in _chunks(list(item_ids), 5000):
                cur.execute(
                    "SELECT DISTINCT ON (e.item_id) e.item_id, e.id, e.annotator, e.kind, e.value "
                    + _MY_DECISIONS.format(filter="e.task = %s AND e.item_id = ANY(%s::text[])")
                    + " ORDER BY e.item_id, e.id DESC",
                    (task, chunk),
                )
                rows = decoded_rows(cur.fetchall(), 4)
                out.update({i: (k, v) for i, _, _, k, v in rows})
        return out

    def my_prelabels(self, task: str, item_ids: Sequence[str]) -> dict[str, tuple[Any, Any]]:
        out: dict[str, tuple[Any, Any]] = {}
        with self.store._read() as cur:
            for chunk in _chunks(list(item_ids), 5000):
                # The latest suggestion not retracted: what item_state's prelabel_event
                # points at, read from the log itself (annotators may not read item_state).
                cur.execute(
                    "SELECT DISTINCT ON (e.item_id) e.item_id, e.id, e.annotator, e.value, e.score "
                    "FROM my_events e "
                    "WHERE e.task = %s AND e.item_id = ANY(%s::text[]) AND e.kind = 'prelabel' "
                    "AND NOT EXISTS (SELECT 1 FROM my_events r WHERE r.kind = 'retract' "
                    "AND r.parent = e.id) ORDER BY e.item_id, e.id DESC",
                    (task, chunk),
                )
                rows = decoded_rows(cur.fetchall(), 3)
                out.update({i: (v, s) for i, _, _, v, s in rows})
        return out

    def my_latest_event(self, task: str, item_id: str) -> Event | None:
        with self.store._read() as cur:
            cur.execute(
                f"SELECT {', '.join(EVENT_COLUMNS)} "
                + _MY_DECISIONS.format(filter="e.task = %s AND e.item_id = %s")
                + " ORDER BY e.id DESC LIMIT 1",
                (task, item_id),
            )
            row = cur.fetchone()
        return None if row is None else event_from_row(row)

    def my_item_events(self, item_id: str) -> pd.DataFrame:
        return self.store._event_query(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM my_events WHERE item_id = ? ORDER BY id",
            (item_id,),
        )

    # -- feedback -----------------------------------------------------------------------
    def feedback(self, *, unseen: bool) -> pd.DataFrame:
        """This user's feedback rows, ``value``/``previous`` decoded, oldest first."""
        sql = (
            "SELECT id, task, item_id, reviewer, tier, kind, value, previous, note, "
            "to_timestamp(created_at) AS created_at, to_timestamp(seen_at) AS seen_at "
            "FROM team_feedback WHERE annotator = session_user"
        )
        if unseen:
            sql += " AND seen_at IS NULL"
        return _decoded(self._frame(sql + " ORDER BY id"))

    def item_feedback(self, task: str, item_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The latest feedback row for this user on each of ``item_ids`` (decoded)."""
        df = self._frame(
            "SELECT DISTINCT ON (item_id) id, task, item_id, reviewer, tier, kind, value, "
            "previous, note, to_timestamp(created_at) AS created_at FROM team_feedback "
            "WHERE annotator = session_user AND task = %s AND item_id = ANY(%s::text[]) "
            "ORDER BY item_id, id DESC",
            (task, list(item_ids)),
        )
        return _decoded(df).to_dict("records")

    def mark_seen(self, feedback_ids: Iterable[int]) -> None:
        with self.store._read() as cur:
            cur.execute(
                "UPDATE team_feedback SET seen_at = %s WHERE id = ANY(%s::bigint[]) "
                "AND seen_at IS NULL",
                (time.time(), list(feedback_ids)),
            )

    # -- review and routing ---------------------------------------------------------------
    def item_labels(self, task: str, item_id: str) -> pd.DataFrame:
        """Each (tier, annotator)'s latest decision on one item, like ``store.events``."""
        return self.store._event_query(
            "SELECT DISTINCT ON (e.tier, e.annotator) e.id, e.item_id, e.task, e.value, "
            "e.annotator, e.kind, e.tier, e.note, e.schema_version, e.client_id, e.seq, "
            "e.duration_ms, e.score, e.created_at, e.parent FROM events e "
            "WHERE e.task = ? AND e.item_id = ? AND e.kind NOT IN ('prelabel', 'retract') "
            "AND NOT EXISTS (SELECT 1 FROM events r WHERE r.kind = 'retract' AND r.parent = e.id) "
            "ORDER BY e.tier, e.annotator, e.id DESC",
            (task, item_id),
        )

    def route(self, task: str, choose: RouteChoice) -> int:
        """Open review slots for completed items not yet routed; return how many.

        ``choose({item_id: [(kind, value), ...]})`` returns ``(item_ids,
        priorities, reasons)`` of the items to review, in the routing transaction.
        """
        with self.store._read() as cur:  # mostly nothing new: no write lock for that
            cur.execute("SELECT 1 FROM wb_route_candidates(%s) LIMIT 1", (task,))
            if cur.fetchone() is None:
                return 0
        # Two routers at once only do the same work twice: wb_open_reviews opens
        # each review slot once (ON CONFLICT), and its row locks order them.
        with self.store._write(shared=True) as cur:
            cur.execute("SELECT * FROM wb_route_candidates(%s)", (task,))
            by_item: dict[str, list[tuple[str, Any]]] = {}
            rows = [(i, None, None, k, v) for i, _seq, k, v in cur.fetchall()]
            for iid, _, _, k, v in decoded_rows(rows, 4):
                by_item.setdefault(iid, []).append((k, v))
            if not by_item:
                return 0
            ids, priorities, reasons = choose(by_item)
            cur.execute(
                "SELECT wb_open_reviews(%s, %s::text[], %s::text[], %s::float8[], %s::text[])",
                (task, list(by_item), list(ids), list(priorities), list(reasons)),
            )
            return int(cur.fetchone()[0])

    def open_reviews(self, task: str) -> dict[str, int]:
        df = self._frame(
            "SELECT coalesce(reason, 'disagreement') AS reason, count(*) AS n FROM team_pool "
            "WHERE task = %s AND tier IN ('review', 'qa') AND done < needed GROUP BY 1",
            (task,),
        )
        return {str(r): int(n) for r, n in zip(df["reason"], df["n"], strict=True)}

    def pending_reviews(self, task: str) -> set[str]:
        """Items waiting for a decision in the review or QA tier."""
        df = self._frame(
            "SELECT item_id FROM team_pool WHERE task = %s AND tier IN ('review', 'qa') "
            "AND done < needed",
            (task,),
        )
        return set(df["item_id"])

    def latest_decisions(self, task: str) -> pd.DataFrame:
        """Each item's latest decision above the annotate tier (not retracted):
        ``item_id, id, tier, kind, value, annotated`` (the item's latest annotation id)."""
        df = self._frame(
            "SELECT DISTINCT ON (e.item_id) e.item_id, e.id, e.tier, e.kind, e.value, "
            "(SELECT max(a.id) FROM events a WHERE a.task = e.task AND a.item_id = e.item_id "
            "AND a.tier = 'annotate' AND a.kind = 'label') AS annotated "
            "FROM events e WHERE e.task = %s AND e.tier IN ('review', 'qa') "
            "AND e.kind IN ('review-accept', 'review-correct', 'send-back') "
            "AND NOT EXISTS (SELECT 1 FROM events r WHERE r.kind = 'retract' AND r.parent = e.id) "
            "ORDER BY e.item_id, e.id DESC",
            (task,),
        )
        return decoded_frame(df, "value")

    # -- the lead's tables ------------------------------------------------------------------
    def annotator_labels(self, task: str) -> pd.DataFrame:
        """Long form ``id, item_id, annotator, value`` of the annotate tier's labels of
        non-gold items (the claim's event), ``value`` decoded."""
        df = self._frame(
            "SELECT e.id, c.item_id, c.annotator, e.value FROM team_claims c "
            "JOIN events e ON e.id = c.event_id "
            "WHERE c.task = %s AND c.tier = 'annotate' AND c.state = 'done' AND NOT c.gold "
            "AND e.kind = 'label' ORDER BY c.item_id, c.annotator",
            (task,),
        )
        return decoded_frame(df, "value")

    def gold_answers(self, task: str) -> pd.DataFrame:
        """``id, item_id, annotator, gold, given`` of annotators' labels of gold items."""
        df = self._frame(
            "SELECT e.id, c.item_id, c.annotator, g.value AS gold, e.value AS given "
            "FROM team_claims c "
            "JOIN team_gold g ON g.task = c.task AND g.item_id = c.item_id "
            "JOIN events e ON e.id = c.event_id "
            "WHERE c.task = %s AND c.tier = 'annotate' AND c.state = 'done' AND c.gold "
            "AND e.kind = 'label'",
            (task,),
        )
        return df if df.empty else decoded_frame(df, "gold", "given")

    def queue(self, task: str, *, stuck_before: float) -> pd.DataFrame:
        return self._frame(
            "SELECT p.tier, count(*) AS items, coalesce(sum(p.open), 0)::bigint AS open, "
            "coalesce(sum(cl.claimed), 0)::bigint AS claimed, "
            "coalesce(sum(p.done), 0)::bigint AS done, "
            "count(*) FILTER (WHERE p.done >= p.needed) AS complete, "
            "count(*) FILTER (WHERE p.done < p.needed AND cl.last < %s) AS stuck "
            "FROM team_pool p LEFT JOIN (SELECT task, tier, item_id, "
            "count(*) FILTER (WHERE state = 'claimed') AS claimed, max(claimed_at) AS last "
            "FROM team_claims GROUP BY 1, 2, 3) cl "
            "ON cl.task = p.task AND cl.tier = p.tier AND cl.item_id = p.item_id "
            "WHERE p.task = %s AND NOT p.gold GROUP BY p.tier "
            "ORDER BY array_position(ARRAY['annotate', 'review', 'qa'], p.tier)",
            (stuck_before, task),
        )

    def work_stats(self, task: str) -> pd.DataFrame:
        """Per annotator: ``labels, skipped, seconds_per_label`` (annotate tier)."""
        return self._frame(
            "SELECT c.annotator, count(*) FILTER (WHERE c.state = 'done' AND NOT c.gold) "
            "AS labels, count(*) FILTER (WHERE c.state = 'skipped') AS skipped, "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY e.duration_ms) / 1000.0 "
            "AS seconds_per_label FROM team_claims c LEFT JOIN events e ON e.id = c.event_id "
            "WHERE c.task = %s AND c.tier = 'annotate' GROUP BY c.annotator",
            (task,),
        )

    def feedback_counts(self, task: str) -> pd.DataFrame:
        """Per annotator: ``corrected, sent_back`` by the review tier."""
        return self._frame(
            "SELECT annotator, count(*) FILTER (WHERE kind = 'review-correct') AS corrected, "
            "count(*) FILTER (WHERE kind = 'send-back') AS sent_back FROM team_feedback "
            "WHERE task = %s AND tier = 'review' GROUP BY annotator",
            (task,),
        )

    # -- helpers --------------------------------------------------------------------------
    def _scalar(self, sql: str, args: tuple = ()) -> Any:
        with self.store._read() as cur:
            cur.execute(sql, args)
            row = cur.fetchone()
        return None if row is None else row[0]

    def _frame(self, sql: str, args: tuple = ()) -> pd.DataFrame:
        with self.store._read() as cur:
            cur.execute(sql, args)
            cols = [d.name for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=cols)

    def __repr__(self) -> str:
        return f"TeamStore({self.store.url!r})"


def _decoded(df: pd.DataFrame) -> pd.DataFrame:
    for col in ("value", "previous"):
        decoded = [None if v is None else _json(v) for v in df[col]]
        df[col] = pd.Series(decoded, index=df.index, dtype=object)
    return df
