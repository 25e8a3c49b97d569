"""PostgreSQL objects of team mode: tables, roles, grants, row-level security, functions.

Everything here is created by :meth:`workbench.team.Team.setup` (through
:meth:`workbench.store.team.TeamStore.install` and
:meth:`workbench.store.postgres.PostgresStore.install_team`), run by the
project lead on a connection that owns the store's tables and may create
roles. The lead is trusted; every other member may be hostile and holds their
own database connection (``docs/security.md`` is the security model).

Access control has two layers (DESIGN.md, "Team mode"):

1. **Privileges**, least per role. What a role must never read it cannot
   ``SELECT`` at all, so trying gets PostgreSQL's ``permission denied``
   (``workbench.PermissionDenied``), not an empty result: ``team_gold`` and
   ``team_pool`` are the lead's and admins'; annotators read no column that
   tells gold items apart (not ``team_claims.gold`` or ``batch_order``, not
   ``team_users.gold_claims``, not ``items.position`` or ``added_at``, not
   ``item_state``); in blind mode they read only their own rows of the log
   (``my_events``). Nobody below the lead holds TRIGGER, REFERENCES, TRUNCATE,
   DELETE, UPDATE of the log, or CREATE in the project's schema, so no member
   can make code run as another; the derived tables (``item_state``,
   ``team_claims``, ``team_feedback`` but its ``seen_at``) are written only by
   the store's ``SECURITY DEFINER`` functions and triggers, each with a pinned
   ``search_path``.
2. **Row-level security** on what they may touch: an annotator inserts events
   only as themselves, in the ``annotate`` tier, for items they hold a claim
   on, and retracts only their own; reviewers and QA write only their tier's
   decisions as themselves; admins write as themselves (or a model's
   pre-labels); each worker reads only their own claims, feedback and row of
   ``team_users``.

The database also checks what is written (``wb_check_event``): the value of
every event must fit its task in its schema version (``value_rules``, the
JSON Schema of each task's :meth:`~workbench.schema.Task.value_schema`,
checked by ``wb_valid``), and ``created_at`` is the server's clock. A review
decision (``review-accept``, ``review-correct``, ``send-back``, or ``ambiguous``
in the review or QA tier) must name as ``parent`` the event that decides its
item's state, checked under that item's state row lock (``wb_check_decision``):
the review door's stale-label rule holds for a member's own connection too.

Annotators and reviewers take work through ``wb_claim``, a ``SECURITY
DEFINER`` function: one transaction that returns expired leases to the pool,
hands back items sent back to them, renews the caller's live claims, mixes in
gold items at the team's share and takes new items with ``FOR UPDATE SKIP
LOCKED``, so concurrent claimers never wait on each other and never get the
same slot. Sizes and leases are bounded (:data:`MAX_CLAIM`,
:data:`MAX_HELD`, :data:`MAX_LEASE_S`). A trigger on ``events`` closes
claims as labels arrive (in the label's own transaction), counts completed
items, turns reviewers' corrections and send-backs into feedback rows and
sends a share of reviewed items on to QA.

``{schema}`` and the ``{annotator}``-style role names are filled in by
:func:`install`; identifiers are quoted there.
"""

from __future__ import annotations

import re

from .base import STATE_KINDS

TIERS = ("annotate", "review", "qa")
ROLES = ("annotator", "reviewer", "qa", "admin")
#: The tier each role works in (admins may claim any).
ROLE_TIER = {"annotator": "annotate", "reviewer": "review", "qa": "qa"}

#: Most items one claim takes.
MAX_CLAIM = 1000
#: Most live claims one person holds in a task and tier: claiming more takes no new items.
MAX_HELD = 1000
#: Longest lease, in seconds (a day): a claim always comes back to the pool.
MAX_LEASE_S = 86_400.0
#: Most item ids one claim may exclude.
MAX_EXCLUDE = 100_000


def group_roles(project_id: str) -> dict[str, str]:
    """Quoted names of a project's group roles, one per team role (``"wb_<id>_annotator"``)."""
    pid = re.sub(r"[^a-z0-9]", "", project_id.lower())[:12]
    return {role: f'"wb_{pid}_{role}"' for role in ROLES}


TABLES = (
    "CREATE TABLE IF NOT EXISTS team_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS team_users (name TEXT PRIMARY KEY, role TEXT NOT NULL "
    "CHECK (role IN ('annotator', 'reviewer', 'qa', 'admin')), "
    "added_at DOUBLE PRECISION NOT NULL, claims BIGINT NOT NULL DEFAULT 0, "
    "gold_claims BIGINT NOT NULL DEFAULT 0)",
    # One row per (task, tier, item): how many people must work on it, how many
    # slots are still free to claim and how many are done. Gold rows have no
    # limit (open is NULL): every annotator gets each gold item once.
    "CREATE TABLE IF NOT EXISTS team_pool (task TEXT NOT NULL, tier TEXT NOT NULL, "
    "item_id TEXT NOT NULL REFERENCES items (item_id), needed INTEGER NOT NULL, open INTEGER, "
    "done INTEGER NOT NULL DEFAULT 0, priority DOUBLE PRECISION NOT NULL DEFAULT 0, "
    "position BIGINT NOT NULL, gold BOOLEAN NOT NULL DEFAULT FALSE, "
    "completed_seq BIGINT, routed BOOLEAN NOT NULL DEFAULT FALSE, reason TEXT, "
    "PRIMARY KEY (task, tier, item_id))",
    "CREATE INDEX IF NOT EXISTS team_pool_open ON team_pool "
    "(task, tier, priority DESC, position) WHERE open > 0 AND NOT gold",
    "CREATE INDEX IF NOT EXISTS team_pool_gold ON team_pool (task, tier) WHERE gold",
    # Completed and not yet looked at by routing: a flag, not a watermark, so an
    # item completed by a transaction that commits late is never passed over.
    "CREATE INDEX IF NOT EXISTS team_pool_unrouted ON team_pool (task, completed_seq) "
    "WHERE completed_seq IS NOT NULL AND NOT routed",
    "CREATE SEQUENCE IF NOT EXISTS team_complete_seq",
    # One row per person per item per tier, never deleted: the primary key is
    # what makes "never the same item twice" hold.
    "CREATE TABLE IF NOT EXISTS team_claims (task TEXT NOT NULL, tier TEXT NOT NULL, "
    "item_id TEXT NOT NULL, annotator TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN "
    "('claimed', 'done', 'skipped', 'expired', 'returned', 'released')), "
    "claimed_at DOUBLE PRECISION NOT NULL, lease_until DOUBLE PRECISION, "
    "done_at DOUBLE PRECISION, event_id BIGINT, gold BOOLEAN NOT NULL DEFAULT FALSE, "
    "batch_order DOUBLE PRECISION NOT NULL DEFAULT 0, "
    "PRIMARY KEY (task, tier, item_id, annotator))",
    "CREATE INDEX IF NOT EXISTS team_claims_lease ON team_claims (lease_until) "
    "WHERE state = 'claimed'",
    # Not (annotator, task, tier, ...): "has this person had this item" must go to
    # the primary key, whatever the statistics say.
    "CREATE INDEX IF NOT EXISTS team_claims_mine ON team_claims (annotator, state)",
    "CREATE TABLE IF NOT EXISTS team_gold (task TEXT NOT NULL, item_id TEXT NOT NULL "
    "REFERENCES items (item_id), value TEXT NOT NULL, PRIMARY KEY (task, item_id))",
    "CREATE TABLE IF NOT EXISTS team_feedback (id BIGSERIAL PRIMARY KEY, task TEXT NOT NULL, "
    "item_id TEXT NOT NULL, annotator TEXT NOT NULL, reviewer TEXT NOT NULL, "
    "tier TEXT NOT NULL, kind TEXT NOT NULL, value TEXT, previous TEXT, note TEXT NOT NULL, "
    "event_id BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL, seen_at DOUBLE PRECISION)",
    "CREATE INDEX IF NOT EXISTS team_feedback_mine ON team_feedback (annotator, id)",
    # What each task's values must look like, per schema version (wb_check_event).
    "CREATE TABLE IF NOT EXISTS value_rules (version INTEGER NOT NULL, task TEXT NOT NULL, "
    "rule JSONB NOT NULL, PRIMARY KEY (version, task))",
    # Blind mode's window on the log: one's own events, and the models' suggestions.
    "CREATE OR REPLACE VIEW my_events WITH (security_barrier) AS SELECT * FROM events "
    "WHERE annotator = session_user OR kind = 'prelabel'",
)

# The claim: one call, one transaction. Returns (item_id, tier, returned) rows,
# never whether an item is gold; the order within a batch puts gold items at
# places that depend on nothing an annotator can read, and batch_order is a
# plain rank (1, 2, 3 ...) whatever the item.
CLAIM = r"""
CREATE OR REPLACE FUNCTION wb_claim(p_task TEXT, p_tier TEXT, p_n INTEGER,
    p_lease DOUBLE PRECISION, p_exclude TEXT[])
RETURNS TABLE (item_id TEXT, tier TEXT, returned BOOLEAN)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp
-- "Has this person had this item?" must be one primary-key probe per pool row.
-- On young tables the statistics say team_claims is empty, and the planner
-- would rather scan all of a person's claims for every row (25x slower).
SET enable_material = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
#variable_conflict use_column
DECLARE
    me TEXT := session_user;
    my_role TEXT;
    my_tier TEXT;
    now_s DOUBLE PRECISION := extract(epoch FROM clock_timestamp());
    share DOUBLE PRECISION;
    total BIGINT;
    golds BIGINT;
    held BIGINT;
    want INTEGER;
    n_gold INTEGER := 0;
    got INTEGER;
BEGIN
    -- Bounded: no member hoards items (NaN compares above every number in
    -- PostgreSQL, so it fails the upper bound like infinity).
    IF p_n IS NULL OR p_n < 0 OR p_n > {max_claim} THEN
        RAISE EXCEPTION 'workbench: a claim takes 0 to {max_claim} items, not %', p_n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_lease IS NULL OR NOT (p_lease > 0 AND p_lease <= {max_lease}) THEN
        RAISE EXCEPTION 'workbench: a lease lasts more than 0, at most {max_lease} s, not %',
            p_lease USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(cardinality(p_exclude), 0) > {max_exclude} THEN
        RAISE EXCEPTION 'workbench: a claim excludes at most {max_exclude} items'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    want := p_n;
    SELECT u.role, u.claims, u.gold_claims INTO my_role, total, golds
        FROM team_users u WHERE u.name = me FOR UPDATE;
    IF my_role IS NULL THEN
        RAISE EXCEPTION 'workbench: % is not a member of this team', me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    my_tier := CASE my_role WHEN 'annotator' THEN 'annotate' WHEN 'reviewer' THEN 'review'
                            WHEN 'qa' THEN 'qa' ELSE coalesce(p_tier, 'annotate') END;
    IF p_tier IS NOT NULL AND p_tier <> my_tier THEN
        RAISE EXCEPTION 'workbench: % (%) works in the % tier, not %', me, my_role, my_tier, p_tier
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF my_tier NOT IN ('annotate', 'review', 'qa') THEN
        RAISE EXCEPTION 'workbench: there is no tier %', my_tier
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    p_exclude := coalesce(p_exclude, '{{}}');
    IF want = 0 THEN RETURN; END IF;

    -- Expired leases, anyone's, go back to the pool. Claims and pool rows that
    -- another transaction holds are skipped, never waited for: an open
    -- transaction of one member stalls nobody's claims.
    WITH gone AS (
        SELECT c.task, c.tier, c.item_id, c.annotator FROM team_claims c
        WHERE c.state = 'claimed' AND c.lease_until < now_s
        ORDER BY c.lease_until LIMIT 1000 FOR UPDATE SKIP LOCKED
    ), free AS (
        -- Driven from the few expired claims: one pool primary-key probe each.
        SELECT p.task, p.tier, p.item_id FROM (SELECT DISTINCT g.task, g.tier, g.item_id
            FROM gone g) g JOIN team_pool p ON p.task = g.task AND p.tier = g.tier
            AND p.item_id = g.item_id
        FOR UPDATE OF p SKIP LOCKED
    ), upd AS (
        UPDATE team_claims c SET state = 'expired' FROM gone g JOIN free f
            ON f.task = g.task AND f.tier = g.tier AND f.item_id = g.item_id
        WHERE c.task = g.task AND c.tier = g.tier AND c.item_id = g.item_id
          AND c.annotator = g.annotator
        RETURNING c.task, c.tier, c.item_id
    )
    UPDATE team_pool p SET open = p.open + u.n
    FROM (SELECT upd.task, upd.tier, upd.item_id, count(*)::int AS n FROM upd
          GROUP BY 1, 2, 3) u
    WHERE p.task = u.task AND p.tier = u.tier AND p.item_id = u.item_id AND NOT p.gold;

    -- What a reviewer sent back to the caller, then what they already hold (a
    -- reloaded widget asks again): lease renewed, in the order first given.
    RETURN QUERY
    WITH mine AS (
        SELECT c.item_id, c.state, row_number() OVER (
            ORDER BY c.state <> 'returned', c.claimed_at, c.batch_order, c.item_id) AS k
        FROM team_claims c
        WHERE c.annotator = me AND c.task = p_task AND c.tier = my_tier
          AND c.state IN ('claimed', 'returned') AND NOT (c.item_id = ANY (p_exclude))
        ORDER BY c.state <> 'returned', c.claimed_at, c.batch_order, c.item_id LIMIT want
    ), renewed AS (
        UPDATE team_claims c SET state = 'claimed', lease_until = now_s + p_lease
        FROM mine WHERE c.annotator = me AND c.task = p_task AND c.tier = my_tier
            AND c.item_id = mine.item_id
        RETURNING c.item_id
    )
    SELECT mine.item_id, my_tier, mine.state = 'returned' FROM mine ORDER BY mine.k;
    GET DIAGNOSTICS got = ROW_COUNT;
    want := want - got;
    IF want <= 0 THEN RETURN; END IF;
    -- Nobody holds more than MAX_HELD live claims: past that, no new items.
    SELECT count(*) INTO held FROM team_claims c
        WHERE c.annotator = me AND c.task = p_task AND c.tier = my_tier AND c.state = 'claimed';
    want := least(want, greatest(0, {max_held} - held))::int;
    IF want <= 0 THEN RETURN; END IF;

    -- Gold items keep their share of everything this person was given.
    SELECT coalesce(max(value::double precision), 0) INTO share FROM team_settings
        WHERE key = 'gold_share';
    IF share > 0 AND my_tier = 'annotate' THEN
        n_gold := least(want, greatest(0, floor(share * (total + want))::int - golds::int));
    END IF;

    RETURN QUERY
    WITH gold_pick AS (
        SELECT p.item_id FROM team_pool p
        WHERE n_gold > 0 AND p.task = p_task AND p.tier = my_tier AND p.gold
          AND NOT (p.item_id = ANY (p_exclude))
          AND NOT EXISTS (SELECT 1 FROM team_claims c WHERE c.task = p.task
                          AND c.tier = p.tier AND c.item_id = p.item_id AND c.annotator = me)
        ORDER BY md5(p.item_id || me) LIMIT n_gold
    ), pick AS (
        SELECT p.item_id FROM team_pool p
        WHERE p.task = p_task AND p.tier = my_tier AND p.open > 0 AND NOT p.gold
          AND NOT (p.item_id = ANY (p_exclude))
          AND NOT EXISTS (SELECT 1 FROM team_claims c WHERE c.task = p.task
                          AND c.tier = p.tier AND c.item_id = p.item_id AND c.annotator = me)
        ORDER BY p.priority DESC, p.position
        LIMIT want - (SELECT count(*) FROM gold_pick)
        FOR UPDATE SKIP LOCKED
    ), taken AS (
        UPDATE team_pool p SET open = p.open - 1 FROM pick
        WHERE p.task = p_task AND p.tier = my_tier AND p.item_id = pick.item_id
        RETURNING p.item_id, p.priority, p.position
    ), placed AS (
        -- Priority order, with each gold item dropped in at a place that depends
        -- on nothing an annotator can see.
        SELECT t.item_id, FALSE AS gold,
               row_number() OVER (ORDER BY t.priority DESC, t.position)::float8 AS k
        FROM taken t
        UNION ALL
        SELECT g.item_id, TRUE,
               ('x' || substr(md5(g.item_id || me), 1, 8))::bit(32)::bigint / 4294967296.0
               * ((SELECT count(*) FROM taken) + 1) + 0.5
        FROM gold_pick g
    ), given AS (
        SELECT pl.item_id, pl.gold, row_number() OVER (ORDER BY pl.k, pl.item_id) AS rank
        FROM placed pl
    ), ins AS (
        INSERT INTO team_claims (task, tier, item_id, annotator, state, claimed_at,
                                 lease_until, gold, batch_order)
        SELECT p_task, my_tier, g.item_id, me, 'claimed', now_s, now_s + p_lease, g.gold,
               g.rank
        FROM given g
        RETURNING team_claims.item_id
    )
    SELECT g.item_id, my_tier, FALSE FROM given g ORDER BY g.rank;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got > 0 THEN
        UPDATE team_users u SET claims = u.claims + got,
            gold_claims = u.gold_claims + (SELECT count(*) FROM team_claims c
                WHERE c.annotator = me AND c.task = p_task AND c.tier = my_tier
                  AND c.state = 'claimed' AND c.gold AND c.claimed_at = now_s)
        WHERE u.name = me;
    END IF;
END $$
"""

# Give claims back (a closed widget): their slots return to the pool at once.
RELEASE = r"""
CREATE OR REPLACE FUNCTION wb_release(p_task TEXT, p_items TEXT[])
RETURNS INTEGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    n INTEGER;
BEGIN
    WITH upd AS (
        UPDATE team_claims c SET state = 'released', lease_until = NULL
        WHERE c.annotator = session_user AND c.task = p_task AND c.state = 'claimed'
          AND c.item_id = ANY (p_items)
        RETURNING c.tier, c.item_id, c.gold
    )
    UPDATE team_pool p SET open = p.open + 1 FROM upd
    WHERE p.task = p_task AND p.tier = upd.tier AND p.item_id = upd.item_id AND NOT upd.gold;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$
"""

# Does the session user hold (or did they hold) a claim on this item in this tier?
HOLDS = r"""
CREATE OR REPLACE FUNCTION wb_holds(p_task TEXT, p_tier TEXT, p_item TEXT)
RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM team_claims c WHERE c.task = p_task AND c.tier = p_tier
                   AND c.item_id = p_item AND c.annotator = session_user
                   AND c.state IN ('claimed', 'returned', 'expired', 'done'))
$$
"""

# Was event p_id written by the session user? (retractions of one's own only)
OWN_EVENT = r"""
CREATE OR REPLACE FUNCTION wb_own_event(p_id BIGINT)
RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM events e WHERE e.id = p_id AND e.annotator = session_user)
$$
"""

# Routing (workbench.team.Team.route) runs in Python, which knows how to compare
# shapes, but reviewers may not read team_pool (it says which items are gold):
# these two hand them the completed non-gold items and open review slots.
REQUIRE_ROUTER = r"""
CREATE OR REPLACE FUNCTION wb_require_router() RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM team_users u WHERE u.name = session_user
                   AND u.role IN ('reviewer', 'qa', 'admin'))
       AND NOT pg_has_role(session_user, (SELECT tableowner FROM pg_tables
                           WHERE tablename = 'team_pool' AND schemaname = current_schema()),
                           'MEMBER') THEN
        RAISE EXCEPTION 'workbench: only reviewers, QA and admins route items to review'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$
"""

ROUTE_CANDIDATES = r"""
CREATE OR REPLACE FUNCTION wb_route_candidates(p_task TEXT)
RETURNS TABLE (item_id TEXT, seq BIGINT, kind TEXT, value TEXT)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
#variable_conflict use_column
BEGIN
    PERFORM wb_require_router();
    RETURN QUERY
    SELECT p.item_id, p.completed_seq, e.kind, e.value FROM team_pool p
    JOIN team_claims c ON c.task = p.task AND c.tier = p.tier AND c.item_id = p.item_id
        AND c.state = 'done'
    JOIN events e ON e.id = c.event_id
    WHERE p.task = p_task AND p.tier = 'annotate' AND NOT p.gold
      AND p.completed_seq IS NOT NULL AND NOT p.routed
    ORDER BY p.completed_seq, e.id;
END $$
"""

OPEN_REVIEWS = r"""
CREATE OR REPLACE FUNCTION wb_open_reviews(p_task TEXT, p_checked TEXT[], p_items TEXT[],
    p_priorities DOUBLE PRECISION[], p_reasons TEXT[])
RETURNS INTEGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
#variable_conflict use_column
DECLARE
    i INTEGER;
    n INTEGER := 0;
    back INTEGER;
BEGIN
    PERFORM wb_require_router();
    FOR i IN 1 .. coalesce(array_length(p_items, 1), 0) LOOP
        INSERT INTO team_pool (task, tier, item_id, needed, open, priority, position, reason)
        SELECT p_task, 'review', it.item_id, 1, 1, p_priorities[i], it.position, p_reasons[i]
        FROM items it WHERE it.item_id = p_items[i]
        ON CONFLICT (task, tier, item_id) DO NOTHING;
        IF FOUND THEN
            n := n + 1;
            CONTINUE;
        END IF;
        -- Reviewed before and sent back: back to the reviewer who sent it.
        UPDATE team_claims c SET state = 'returned', lease_until = NULL
        FROM events e WHERE e.id = c.event_id AND e.kind = 'send-back'
          AND c.task = p_task AND c.tier = 'review' AND c.item_id = p_items[i]
          AND c.state = 'done';
        GET DIAGNOSTICS back = ROW_COUNT;
        IF back > 0 THEN
            UPDATE team_pool p SET done = greatest(0, p.done - back), reason = p_reasons[i]
            WHERE p.task = p_task AND p.tier = 'review' AND p.item_id = p_items[i];
            n := n + 1;
        END IF;
    END LOOP;
    UPDATE team_pool p SET routed = TRUE
    WHERE p.task = p_task AND p.tier = 'annotate' AND p.item_id = ANY (p_checked)
      AND p.completed_seq IS NOT NULL;
    RETURN n;
END $$
"""

# Runs in the transaction of every event insert: claims, counts, feedback, QA.
ON_EVENT = r"""
CREATE OR REPLACE FUNCTION wb_on_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    prev TEXT;
    was_gold BOOLEAN;
    lower_tier TEXT;
    n INTEGER;
    qa_share DOUBLE PRECISION;
BEGIN
    IF NEW.kind = 'prelabel' OR NEW.kind = 'retract' THEN
        RETURN NULL;
    END IF;
    SELECT c.state, c.gold INTO prev, was_gold FROM team_claims c
        WHERE c.task = NEW.task AND c.tier = NEW.tier AND c.item_id = NEW.item_id
          AND c.annotator = NEW.annotator FOR UPDATE;
    IF FOUND THEN
        IF prev IN ('done', 'skipped') THEN
            -- A relabel of finished work: the claim now points at the newer event.
            UPDATE team_claims c SET event_id = NEW.id
                WHERE c.task = NEW.task AND c.tier = NEW.tier AND c.item_id = NEW.item_id
                  AND c.annotator = NEW.annotator;
        ELSIF NEW.kind = 'skip' THEN
            UPDATE team_claims c SET state = 'skipped', done_at = NEW.created_at,
                event_id = NEW.id, lease_until = NULL
                WHERE c.task = NEW.task AND c.tier = NEW.tier AND c.item_id = NEW.item_id
                  AND c.annotator = NEW.annotator;
            IF prev IN ('claimed', 'returned') AND NOT was_gold THEN
                UPDATE team_pool p SET open = p.open + 1
                    WHERE p.task = NEW.task AND p.tier = NEW.tier AND p.item_id = NEW.item_id;
            END IF;
        ELSE
            UPDATE team_claims c SET state = 'done', done_at = NEW.created_at,
                event_id = NEW.id, lease_until = NULL
                WHERE c.task = NEW.task AND c.tier = NEW.tier AND c.item_id = NEW.item_id
                  AND c.annotator = NEW.annotator;
            IF NOT was_gold THEN
                IF prev = 'expired' THEN
                    -- Its slot went back to the pool: take it again while it is free
                    -- (if someone else has it, this label is an extra one, kept).
                    UPDATE team_pool p SET open = p.open - 1
                        WHERE p.task = NEW.task AND p.tier = NEW.tier
                          AND p.item_id = NEW.item_id AND p.open > 0;
                END IF;
                UPDATE team_pool p SET done = p.done + 1,
                    completed_seq = CASE WHEN p.done + 1 >= p.needed
                        THEN nextval('team_complete_seq') ELSE p.completed_seq END
                    WHERE p.task = NEW.task AND p.tier = NEW.tier AND p.item_id = NEW.item_id;
            END IF;
        END IF;
    END IF;

    IF NEW.tier = 'annotate' THEN
        RETURN NULL;
    END IF;
    lower_tier := CASE NEW.tier WHEN 'review' THEN 'annotate' ELSE 'review' END;
    IF NEW.kind IN ('review-correct', 'send-back') THEN
        -- What the lower tier gave and this decision changed flows back to them.
        INSERT INTO team_feedback (task, item_id, annotator, reviewer, tier, kind, value,
                                   previous, note, event_id, created_at)
        SELECT NEW.task, NEW.item_id, c.annotator, NEW.annotator, NEW.tier, NEW.kind,
               NEW.value, e.value, NEW.note, NEW.id, NEW.created_at
        FROM team_claims c JOIN events e ON e.id = c.event_id
        WHERE c.task = NEW.task AND c.tier = lower_tier AND c.item_id = NEW.item_id
          AND c.state = 'done' AND NOT c.gold
          AND (NEW.kind = 'send-back' OR e.value IS DISTINCT FROM NEW.value);
    END IF;
    IF NEW.kind = 'send-back' THEN
        UPDATE team_claims c SET state = 'returned', lease_until = NULL
            WHERE c.task = NEW.task AND c.tier = lower_tier AND c.item_id = NEW.item_id
              AND c.state = 'done' AND NOT c.gold;
        GET DIAGNOSTICS n = ROW_COUNT;
        UPDATE team_pool p SET done = greatest(0, p.done - n), completed_seq = NULL,
            routed = FALSE
            WHERE p.task = NEW.task AND p.tier = lower_tier AND p.item_id = NEW.item_id;
    ELSIF NEW.tier = 'review' AND NEW.kind IN ('review-accept', 'review-correct') THEN
        SELECT coalesce(max(s.value::double precision), 0) INTO qa_share FROM team_settings s
            WHERE s.key = 'qa_share';
        -- A fixed share of reviewed items, the same ones whoever reviews them.
        IF qa_share > 0 AND ('x' || substr(md5(NEW.task || '/' || NEW.item_id), 1, 8))
                            ::bit(32)::bigint < qa_share * 4294967296 THEN
            INSERT INTO team_pool (task, tier, item_id, needed, open, priority, position, reason)
            SELECT NEW.task, 'qa', NEW.item_id, 1, 1, 0, i.position, 'sampled'
            FROM items i WHERE i.item_id = NEW.item_id
            ON CONFLICT (task, tier, item_id) DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$
"""

# Every value written must fit its task in its schema version, and the time of
# an event is the server's. Runs BEFORE INSERT for everyone (the lead too).
CHECK_EVENT = r"""
CREATE OR REPLACE FUNCTION wb_check_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    v JSONB;
    rule JSONB;
BEGIN
    NEW.created_at := extract(epoch FROM clock_timestamp());
    IF NEW.kind IN ('skip', 'ambiguous', 'send-back', 'retract') THEN
        IF NEW.value IS NOT NULL AND NEW.value <> 'null' THEN
            RAISE EXCEPTION 'workbench: a % event carries no value (item %)', NEW.kind,
                NEW.item_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    -- Text that is not JSON fails this cast ("invalid input syntax for type json",
    -- which the store reports as a refusal); no exception block: a subtransaction
    -- on every label costs more than the rest of the check.
    v := coalesce(NEW.value, 'null')::jsonb;
    SELECT r.rule INTO rule FROM value_rules r
        WHERE r.version = NEW.schema_version AND r.task = NEW.task;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workbench: schema version % has no task % (a % of item %)',
            NEW.schema_version, NEW.task, NEW.kind, NEW.item_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT wb_valid(v, rule) THEN
        RAISE EXCEPTION 'workbench: % is not a value of task % in schema version % (item %)',
            left(NEW.value, 80), NEW.task, NEW.schema_version, NEW.item_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$
"""

#: The name a stale review decision's refusal carries (``wb_check_decision``);
#: the store reports it as :class:`~workbench.errors.StaleLabelError`.
STALE_DECISION = "wb_decision_parent"
#: Which events are review decisions, whose ``parent`` must be the item's state
#: event (the condition of the ``wb_decision`` trigger; an annotator's own
#: ``ambiguous`` flag, in the ``annotate`` tier, is not one).
DECISION_CONDITION = (
    "NEW.kind IN ('review-accept', 'review-correct', 'send-back') "
    "OR (NEW.kind = 'ambiguous' AND NEW.tier IN ('review', 'qa'))"
)

# The review door's rule for every connection (workbench.decisions.decide checks it
# first, with a friendlier message): a review decision is about the event that
# decides its item's state, its parent. Runs AFTER INSERT, after wb_apply_event
# (triggers fire in name order), whose upsert has locked the item's state row: a
# relabel or retraction of the item committing first is seen here (each statement
# takes a new snapshot), one committing later waits for this transaction.
CHECK_DECISION = (
    r"""
CREATE OR REPLACE FUNCTION wb_check_decision() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    state_now BIGINT;
BEGIN
    PERFORM 1 FROM item_state s WHERE s.task = NEW.task AND s.item_id = NEW.item_id
        FOR UPDATE;
    SELECT max(e.id) INTO state_now FROM events e
        WHERE e.item_id = NEW.item_id AND e.task = NEW.task AND e.id <> NEW.id
          AND e.kind IN ("""
    + ", ".join(f"'{k}'" for k in STATE_KINDS)
    + r""")
          AND NOT EXISTS (SELECT 1 FROM events r WHERE r.kind = 'retract' AND r.parent = e.id);
    IF state_now IS DISTINCT FROM NEW.parent THEN
        RAISE EXCEPTION USING MESSAGE = format('workbench: item %L changed since it was '
            'shown: its state is now event %s, not event %s (a %s in the %s tier); look at '
            'it again (nothing was written)', NEW.item_id, coalesce(state_now::text, 'none'),
            coalesce(NEW.parent::text, 'none'), NEW.kind, NEW.tier),
            ERRCODE = 'check_violation', CONSTRAINT = '"""
    + STALE_DECISION
    + r"""';
    END IF;
    RETURN NULL;
END $$
"""
)

# Does v fit s, a JSON Schema in the subset Task.value_schema uses: type (one or a
# list), enum, items, properties, required, additionalProperties, minItems,
# maxItems, uniqueItems, maxLength, minimum, maximum, anyOf; true / false / {}.
VALID = r"""
CREATE OR REPLACE FUNCTION wb_valid(v JSONB, s JSONB) RETURNS BOOLEAN
LANGUAGE plpgsql IMMUTABLE SET search_path = {schema}, pg_temp AS $$
DECLARE
    t TEXT := jsonb_typeof(v);
    ok BOOLEAN;
    e JSONB;
    k TEXT;
BEGIN
    IF s IS NULL THEN RETURN TRUE; END IF;
    IF jsonb_typeof(s) <> 'object' THEN RETURN s = 'true'::jsonb; END IF;
    IF s ? 'type' THEN
        -- "type" is one name or a list of names; jsonb's ? finds a string in either
        -- (no query, so the common case runs without a round through SPI).
        ok := (s -> 'type') ? t OR (t = 'number' AND (s -> 'type') ? 'integer'
                                     AND (v #>> '{{}}')::numeric = trunc((v #>> '{{}}')::numeric));
        IF NOT ok THEN RETURN FALSE; END IF;
    END IF;
    IF s ? 'enum' THEN
        IF t IN ('string', 'number', 'boolean', 'null') THEN
            IF NOT (s -> 'enum') @> jsonb_build_array(v) THEN RETURN FALSE; END IF;
        ELSIF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(s -> 'enum') x WHERE x = v) THEN
            RETURN FALSE;
        END IF;
    END IF;
    IF t = 'string' AND s ? 'maxLength'
       AND char_length(v #>> '{{}}') > (s ->> 'maxLength')::int THEN
        RETURN FALSE;
    END IF;
    IF t = 'number' THEN
        IF s ? 'minimum' AND (v #>> '{{}}')::numeric < (s ->> 'minimum')::numeric THEN
            RETURN FALSE;
        END IF;
        IF s ? 'maximum' AND (v #>> '{{}}')::numeric > (s ->> 'maximum')::numeric THEN
            RETURN FALSE;
        END IF;
    END IF;
    IF t = 'array' THEN
        IF s ? 'minItems' AND jsonb_array_length(v) < (s ->> 'minItems')::int THEN
            RETURN FALSE;
        END IF;
        IF s ? 'maxItems' AND jsonb_array_length(v) > (s ->> 'maxItems')::int THEN
            RETURN FALSE;
        END IF;
        IF s ? 'items' THEN
            FOR e IN SELECT jsonb_array_elements(v) LOOP
                IF NOT wb_valid(e, s -> 'items') THEN RETURN FALSE; END IF;
            END LOOP;
        END IF;
        IF (s ->> 'uniqueItems')::boolean IS TRUE AND (SELECT count(DISTINCT x) <> count(*)
                FROM jsonb_array_elements(v) x) THEN
            RETURN FALSE;
        END IF;
    END IF;
    IF t = 'object' THEN
        IF s ? 'required' AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(s -> 'required') r
                                      WHERE NOT v ? r) THEN
            RETURN FALSE;
        END IF;
        FOR k, e IN SELECT * FROM jsonb_each(v) LOOP
            IF s -> 'properties' ? k THEN
                IF NOT wb_valid(e, s -> 'properties' -> k) THEN RETURN FALSE; END IF;
            ELSIF s ? 'additionalProperties' THEN
                IF NOT wb_valid(e, s -> 'additionalProperties') THEN RETURN FALSE; END IF;
            END IF;
        END LOOP;
    END IF;
    IF s ? 'anyOf' AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(s -> 'anyOf') x
                                   WHERE wb_valid(v, x)) THEN
        RETURN FALSE;
    END IF;
    RETURN TRUE;
END $$
"""

# Progress an annotator may see: items complete and items in the pool, gold left out.
PROGRESS = r"""
CREATE OR REPLACE FUNCTION wb_progress(p_task TEXT)
RETURNS TABLE (done BIGINT, total BIGINT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    SELECT count(*) FILTER (WHERE p.done >= p.needed), count(*) FROM team_pool p
    WHERE p.task = p_task AND p.tier = 'annotate' AND NOT p.gold
$$
"""

TRIGGER = (
    "DROP TRIGGER IF EXISTS wb_on_event ON events",
    "CREATE TRIGGER wb_on_event AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION wb_on_event()",
    "DROP TRIGGER IF EXISTS wb_check ON events",
    "CREATE TRIGGER wb_check BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION "
    "wb_check_event()",
    "DROP TRIGGER IF EXISTS wb_decision ON events",
    "CREATE TRIGGER wb_decision AFTER INSERT ON events FOR EACH ROW WHEN ("
    + DECISION_CONDITION
    + ") EXECUTE FUNCTION wb_check_decision()",
)

FUNCTIONS = (
    VALID, CHECK_EVENT, CHECK_DECISION, CLAIM, RELEASE, HOLDS, OWN_EVENT, REQUIRE_ROUTER,
    ROUTE_CANDIDATES, OPEN_REVIEWS, ON_EVENT, PROGRESS,
)  # fmt: skip

#: Columns of ``events`` blind annotators read, of their own rows only.
BLIND_EVENT_COLUMNS = ("id", "created_at")
#: Columns of ``items`` annotators read: not ``position`` or ``added_at``, which
#: would tell gold items (added or placed apart) from the others.
ANNOTATOR_ITEM_COLUMNS = ("item_id", "kind", "uri", "text", "meta")
#: Columns of ``team_claims`` workers read: not ``gold`` or ``batch_order``.
WORKER_CLAIM_COLUMNS = (
    "task", "tier", "item_id", "annotator", "state", "claimed_at", "lease_until", "done_at",
    "event_id",
)  # fmt: skip
#: Columns of ``team_users`` workers read (their own row only): not ``gold_claims``.
WORKER_USER_COLUMNS = ("name", "role", "added_at", "claims")

_SIGNATURES = {
    "wb_claim": "TEXT, TEXT, INTEGER, DOUBLE PRECISION, TEXT[]",
    "wb_release": "TEXT, TEXT[]",
    "wb_holds": "TEXT, TEXT, TEXT",
    "wb_own_event": "BIGINT",
    "wb_progress": "TEXT",
    "wb_require_router": "",
    "wb_route_candidates": "TEXT",
    "wb_open_reviews": "TEXT, TEXT[], TEXT[], DOUBLE PRECISION[], TEXT[]",
    "wb_valid": "JSONB, JSONB",
    "wb_check_event": "",
    "wb_check_decision": "",
    "wb_on_event": "",
}


def _fn(*names: str) -> str:
    return ", ".join(f"{n}({_SIGNATURES[n]})" for n in names)


def install(schema: str, roles: dict[str, str], *, blind: bool) -> list[str]:
    """Every statement that creates or updates team mode's objects, in order: tables,
    functions, triggers, then :func:`grants`. ``schema`` is the quoted schema name,
    ``roles`` the quoted group roles (:func:`group_roles`)."""
    bounds = {
        "schema": schema, "max_claim": MAX_CLAIM, "max_held": MAX_HELD,
        "max_lease": repr(MAX_LEASE_S), "max_exclude": MAX_EXCLUDE,
    }  # fmt: skip
    out = list(TABLES)
    out += [fn.format(**bounds) for fn in FUNCTIONS]
    out += list(TRIGGER)
    out += [stmt.format(schema=schema) for stmt in grants(roles, blind=blind)]
    return out


def grants(roles: dict[str, str], *, blind: bool) -> list[str]:
    """GRANT/REVOKE and policy statements for the four group roles (quoted names).

    Run again whenever ``blind`` changes: every privilege is first revoked.
    Least privilege per role; nobody below the lead gets TRIGGER, REFERENCES,
    TRUNCATE, DELETE or CREATE, or any write on derived state.
    """
    a, r, q, admin = roles["annotator"], roles["reviewer"], roles["qa"], roles["admin"]
    workers = f"{a}, {r}, {q}"
    everyone = f"{workers}, {admin}"
    deciders = f"{r}, {q}, {admin}"
    out = [
        "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM PUBLIC",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {{schema}} FROM {everyone}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {{schema}} FROM PUBLIC, {everyone}",
        f"REVOKE ALL ON FUNCTION {_fn(*_SIGNATURES)} FROM PUBLIC, {everyone}",
        "REVOKE ALL ON FUNCTION wb_apply_event() FROM PUBLIC",
        # Nobody but the lead creates objects in the project's schema (a trigger, a
        # function or a view there would run as whoever uses it).
        "REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {{schema}} FROM {everyone}",
        f"GRANT USAGE ON SCHEMA {{schema}} TO {everyone}",
        f"GRANT EXECUTE ON FUNCTION {_fn('wb_claim', 'wb_release', 'wb_holds', 'wb_own_event', 'wb_progress')} TO {everyone}",  # noqa: E501
        f"GRANT EXECUTE ON FUNCTION {_fn('wb_route_candidates', 'wb_open_reviews')} TO {deciders}",
        # The project's description.
        f"GRANT SELECT ON meta, schemas, team_settings TO {everyone}",
        f"GRANT SELECT ({', '.join(ANNOTATOR_ITEM_COLUMNS)}) ON items TO {a}",
        f"GRANT SELECT ON items TO {deciders}",
        f"GRANT SELECT ({', '.join(WORKER_USER_COLUMNS)}) ON team_users TO {workers}",
        f"GRANT SELECT ({', '.join(WORKER_CLAIM_COLUMNS)}) ON team_claims TO {workers}",
        f"GRANT SELECT ON team_users, team_claims, team_pool, team_gold, value_rules TO {admin}",
        # The log: everyone appends (as themselves: the policies below); the
        # derived tables follow by definer triggers, never by a privilege.
        f"GRANT INSERT ON events TO {everyone}",
        f"GRANT USAGE ON SEQUENCE events_id_seq TO {everyone}",
        f"GRANT SELECT ON my_events TO {everyone}",
        f"GRANT SELECT ON events, item_state TO {deciders}",
        f"GRANT SELECT, UPDATE (seen_at) ON team_feedback TO {everyone}",
        # Admins run the assignment: the pool and gold answers.
        f"GRANT INSERT, UPDATE ON team_pool, team_gold TO {admin}",
    ]
    if blind:
        # Of their own rows (the policy below), only what INSERT ... RETURNING
        # id, created_at hands back.
        out.append(f"GRANT SELECT ({', '.join(BLIND_EVENT_COLUMNS)}) ON events TO {a}")
    else:
        out.append(f"GRANT SELECT ON events, item_state TO {a}")
    for table in ("events", "team_claims", "team_feedback", "team_users"):
        out += [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"]
        out += [f"DROP POLICY IF EXISTS {p} ON {table}" for p in _POLICIES]
    own_reads = "annotator = session_user" if blind else "true"
    out += [
        # events: read what privileges allow; write only as oneself, in one's tier.
        f"CREATE POLICY wb_read ON events FOR SELECT TO {deciders} USING (true)",
        f"CREATE POLICY wb_read_own ON events FOR SELECT TO {a} USING ({own_reads})",
        f"CREATE POLICY wb_annotate ON events FOR INSERT TO {a} WITH CHECK ("
        "annotator = session_user AND tier = 'annotate' AND ("
        "(kind IN ('label', 'skip', 'ambiguous') AND wb_holds(task, 'annotate', item_id)) "
        "OR (kind = 'retract' AND wb_own_event(parent))))",
        f"CREATE POLICY wb_review ON events FOR INSERT TO {r} WITH CHECK ("
        "annotator = session_user AND tier = 'review' AND ("
        "(kind IN ('review-accept', 'review-correct', 'send-back', 'ambiguous') "
        "AND wb_holds(task, 'review', item_id)) "
        "OR (kind = 'retract' AND wb_own_event(parent))))",
        f"CREATE POLICY wb_qa ON events FOR INSERT TO {q} WITH CHECK ("
        "annotator = session_user AND tier = 'qa' AND ("
        "(kind IN ('review-accept', 'review-correct', 'send-back', 'ambiguous') "
        "AND wb_holds(task, 'qa', item_id)) "
        "OR (kind = 'retract' AND wb_own_event(parent))))",
        # Admins decide in any tier and store models' pre-labels, never as a person
        # other than themselves, and retract only their own events.
        f"CREATE POLICY wb_admin ON events FOR INSERT TO {admin} WITH CHECK ("
        "(annotator = session_user AND (kind <> 'retract' OR wb_own_event(parent))) "
        "OR (kind = 'prelabel' AND annotator LIKE 'model:%'))",
        # Claims, feedback and the team table: each worker their own rows.
        f"CREATE POLICY wb_mine ON team_claims FOR SELECT TO {workers} "
        "USING (annotator = session_user)",
        f"CREATE POLICY wb_read ON team_claims FOR SELECT TO {admin} USING (true)",
        f"CREATE POLICY wb_mine ON team_feedback FOR SELECT TO {workers} "
        "USING (annotator = session_user)",
        f"CREATE POLICY wb_read ON team_feedback FOR SELECT TO {admin} USING (true)",
        f"CREATE POLICY wb_seen ON team_feedback FOR UPDATE TO {everyone} "
        "USING (annotator = session_user) WITH CHECK (annotator = session_user)",
        f"CREATE POLICY wb_mine ON team_users FOR SELECT TO {workers} USING (name = session_user)",
        f"CREATE POLICY wb_read ON team_users FOR SELECT TO {admin} USING (true)",
    ]
    return out


#: Every policy name :func:`grants` creates (dropped first when it runs again).
_POLICIES = ("wb_read", "wb_read_own", "wb_annotate", "wb_review", "wb_qa", "wb_admin",
             "wb_mine", "wb_seen")  # fmt: skip
