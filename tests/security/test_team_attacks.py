"""Attacks on team mode by its own members, each with their own PostgreSQL connection.

The README's set-up on a real PostgreSQL (``lead_url``: the lead is an ordinary
role that owns the database, as ``workbench.local_postgres`` makes it): three
annotators, a reviewer, QA and an admin. Every attack runs as the role that
would try it, through the API where the API offers a way and as raw SQL on the
member's own connection where it does not, and asserts the refusal (a
workbench error, never an empty result passed off as success) and that the
log, the derived state and what the lead reads are unchanged.
"""

from __future__ import annotations

import math
import time

import pytest

import workbench as wb
from tests.teams import make_team, sql, write_sql
from workbench.errors import PermissionDenied, StoreError, UnreadableEventWarning
from workbench.store import team_sql

pytestmark = pytest.mark.postgres

LOG = (
    "SELECT id, item_id, task, value, annotator, kind, tier, note, schema_version, client_id, "
    "seq, duration_ms, score, created_at, parent FROM events ORDER BY id"
)
STATE = "SELECT task, item_id, priority, position, state_event, prelabel_event FROM item_state"


def snapshot(lead: wb.Project) -> tuple:
    """Everything an attack could change: the raw log, the derived state, the claims."""
    return (
        sql(lead, LOG),
        sorted(sql(lead, STATE)),
        sorted(sql(lead, "SELECT task, tier, item_id, annotator, state FROM team_claims")),
        sorted(sql(lead, "SELECT task, tier, item_id, open, done FROM team_pool")),
    )


def refused(action, error=PermissionDenied, match: str | None = None):
    with pytest.raises(error, match=match):
        action()
        pytest.fail("the attack was not refused")


# -- no member runs code as another ---------------------------------------------------------
def test_an_admin_cannot_plant_code_that_runs_as_the_lead(t):
    adam = t.open("adam")
    alice = t.open("alice")
    (held,) = alice.team.claim(1)
    before = snapshot(t.lead)
    # A function in the project's schema (a trigger body, an operator, a view) needs
    # CREATE there; in one's own temporary schema it may exist, but hooking it to the
    # log needs TRIGGER, and pointing at the log needs REFERENCES.
    attacks = {
        "a function in the project's schema": (
            "CREATE FUNCTION evil() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN ALTER ROLE adam SUPERUSER; RETURN NEW; END $$"
        ),
        "a view in the project's schema": "CREATE VIEW evil AS SELECT 1",
        "a table in the project's schema": "CREATE TABLE evil (x int)",
        "a trigger on the log": (
            "CREATE FUNCTION pg_temp.evil() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RETURN NEW; END $$; CREATE TRIGGER evil BEFORE INSERT ON events "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.evil()"
        ),
        "a foreign key to the log": ("CREATE TEMP TABLE evil (e BIGINT REFERENCES events (id))"),
        "truncate the log": "TRUNCATE events",
        "delete from the log": "DELETE FROM events",
        "edit the log": "UPDATE events SET value = '\"dog\"'",
        "alter the log": "ALTER TABLE events DISABLE TRIGGER wb_check",
        "drop the check": "DROP TRIGGER wb_check ON events",
        "rewrite a definer function": (
            "CREATE OR REPLACE FUNCTION wb_holds(p_task TEXT, p_tier TEXT, p_item TEXT) "
            "RETURNS BOOLEAN LANGUAGE sql AS $$ SELECT true $$"
        ),
        "write derived state": "UPDATE item_state SET state_event = NULL",
        "hand out claims": "UPDATE team_claims SET state = 'done'",
        "change a role": "UPDATE team_users SET role = 'admin' WHERE name = 'alice'",
        "change the settings": "UPDATE team_settings SET value = '0' WHERE key = 'gold_share'",
        "become someone else": "SET ROLE alice",
        "make alice an admin": (
            f"GRANT {team_sql.group_roles(t.lead.store.project_id)['admin']} TO alice"
        ),
    }
    for what, statement in attacks.items():
        with pytest.raises(PermissionDenied):
            write_sql(adam, statement) if "TEMP" in statement else sql(adam, statement)
            pytest.fail(f"an admin could {what}")
    # Without the grant option a GRANT only warns; alice still reads no gold.
    sql(adam, "GRANT SELECT ON team_gold TO alice")
    refused(lambda: sql(alice, "SELECT * FROM team_gold"))
    assert snapshot(t.lead) == before
    # Through the API: labels as another person, or withdrawing another's.
    bob = t.open("bob")
    (bobs,) = bob.team.claim(1)
    bob_event = bob.label(bobs, "dog")
    before = snapshot(t.lead)
    refused(lambda: adam.label(held, "cat", annotator="alice"))
    refused(lambda: adam.retract(bob_event))
    assert snapshot(t.lead) == before
    # The lead, who owns every definer function, is an ordinary role.
    assert sql(t.lead, "SELECT rolsuper FROM pg_roles WHERE rolname = session_user") == [(False,)]


def test_every_definer_function_pins_its_search_path(t):
    rows = sql(
        t.lead,
        "SELECT p.proname, p.proconfig FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() AND p.prosecdef",
    )
    assert {name for name, _ in rows} >= {
        "wb_claim", "wb_release", "wb_holds", "wb_own_event", "wb_route_candidates",
        "wb_open_reviews", "wb_require_router", "wb_on_event", "wb_check_event",
        "wb_check_decision", "wb_apply_event", "wb_progress",
    }  # fmt: skip
    for name, config in rows:
        paths = [c for c in config or [] if c.startswith("search_path=")]
        assert paths and paths[0].endswith(", pg_temp"), (name, config)
    # And nobody below the lead may create in the project's schema.
    for name in ("alice", "rita", "quinn", "adam"):
        p = t.open(name)
        assert sql(p, "SELECT has_schema_privilege(current_schema(), 'CREATE')") == [(False,)]


def test_a_superuser_lead_is_warned_and_the_one_machine_lead_is_not_one(pg_cluster, pg_url):
    lead = wb.Project(pg_url, schema=wb.Schema.classification("label", ["cat", "dog"]))
    with pytest.warns(UserWarning, match="superuser"):
        lead.team.setup()
    lead.close()
    url = pg_cluster.new_team_database()
    owner = wb.Project(url, schema=wb.Schema.classification("label", ["cat", "dog"]))
    assert sql(owner, "SELECT rolsuper, rolcreaterole FROM pg_roles "
                      "WHERE rolname = session_user") == [(False, True)]  # fmt: skip
    owner.close()


# -- gold is invisible to annotators ----------------------------------------------------------
def test_gold_gives_itself_away_in_no_column_count_or_order(lead_url):
    t = make_team(lead_url, n_items=40, gold_share=0.5, overlap=2)
    gold = {t.ids[k]: "cat" for k in (3, 17, 29)}
    t.team.add_gold(gold)
    alice = wb.Project(t.urls["alice"])
    got = alice.team.claim(10)
    assert set(got) & set(gold)  # half of her queue is gold: some is in this batch
    reads = {
        "gold flag of her claims": "SELECT gold FROM team_claims",
        "every column of her claims": "SELECT * FROM team_claims",
        "order of her batch": "SELECT batch_order FROM team_claims",
        "her gold count": "SELECT gold_claims FROM team_users",
        "insertion order of items": "SELECT position FROM items",
        "when items were added": "SELECT added_at FROM items",
        "queue state": "SELECT * FROM item_state",
        "the pool": "SELECT item_id, gold FROM team_pool",
        "gold answers": "SELECT * FROM team_gold",
        "others' labels": "SELECT item_id, annotator FROM events",
        "value rules": "SELECT * FROM value_rules",
    }
    for what, statement in reads.items():
        with pytest.raises(PermissionDenied):
            sql(alice, statement)
            pytest.fail(f"an annotator could read {what}")
    # What she may read carries nothing that marks gold.
    mine = alice.team.my_claims()
    assert list(mine.columns) == [
        "task", "tier", "item_id", "state", "claimed_at", "lease_until", "done_at",
    ]  # fmt: skip
    assert list(alice.team.users().columns) == ["name", "role", "added_at", "claims"]
    # The batch's order is a plain rank: gold items are not placed at fractions.
    mine_sql = "SELECT batch_order FROM team_claims WHERE annotator = 'alice' ORDER BY 1"
    orders = [o for (o,) in sql(t.lead, mine_sql)]
    assert orders == list(range(1, len(got) + 1))
    # Progress counts only real work: labeling a gold item moves nothing.
    before = alice.team.progress()
    for iid in got:
        if iid in gold:
            alice.label(iid, "dog")
    assert alice.team.progress() == before
    alice.close()
    t.lead.close()


# -- nobody forges or swallows another's labels -------------------------------------------
def test_a_member_cannot_swallow_anothers_labels_by_their_sequence_numbers(t):
    alice, bob = t.open("alice"), t.open("bob")
    theirs = bob.team.claim(3)
    mine = alice.team.claim(3)
    # Blind: bob's client id is not for alice to read.
    refused(lambda: sql(alice, "SELECT client_id, seq FROM events"))
    # Alice pre-inserts bob's next numbers (she can only write as herself) ...
    bob_client = "bob-tab-1"
    for seq, iid in enumerate(mine):
        alice.label(iid, "bird", client_id=bob_client, seq=seq)
    # ... and bob's labels under those numbers are still stored, as his.
    for seq, iid in enumerate(theirs):
        e = bob.label(iid, "dog", client_id=bob_client, seq=seq)
        assert t.lead.store.get_event(e).annotator == "bob"
    assert set(bob.team.my_labels()["item_id"]) == set(theirs)
    # Raw SQL as bob's name is refused by the database itself.
    before = snapshot(t.lead)
    refused(lambda: sql(
        alice, "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, "
        "schema_version, client_id, seq, created_at) VALUES (%s, 'label', '\"cat\"', 'bob', "
        "'label', 'annotate', '', 1, %s, 99, 0)", (theirs[0], bob_client)))  # fmt: skip
    # A resend under one's own number is a duplicate only if it is the same label.
    e = alice.label(mine[0], "bird", client_id="a", seq=7)
    assert alice.store.append([alice.make_event(mine[0], "bird", client_id="a", seq=7)])[
        0
    ] == wb.store.Appended(e, True)
    before = snapshot(t.lead)
    refused(
        lambda: alice.label(mine[0], "cat", client_id="a", seq=7),
        StoreError,
        match="different label under the same number",
    )
    assert snapshot(t.lead) == before


# -- derived state is the store's alone ---------------------------------------------------
def test_members_cannot_write_derived_state(t):
    alice, bob = t.open("alice"), t.open("bob")
    for iid in bob.team.claim(4):
        bob.label(iid, "dog")
    labels, progress = t.lead.labels(), t.lead.progress()
    before = snapshot(t.lead)
    for p in (alice, t.open("rita"), t.open("adam")):
        for statement in (
            "UPDATE item_state SET state_event = NULL",
            "DELETE FROM item_state",
            "INSERT INTO item_state (task, item_id, priority, position) VALUES ('x', 'y', 0, 0)",
            "UPDATE team_claims SET state = 'claimed'",
            "UPDATE team_feedback SET note = 'x'",
            "UPDATE team_pool SET done = 0" if p.annotator != "adam" else "DELETE FROM team_pool",
        ):
            with pytest.raises(PermissionDenied):
                sql(p, statement)
                pytest.fail(f"{p.annotator} could run {statement}")
    assert snapshot(t.lead) == before
    assert t.lead.labels().equals(labels) and t.lead.progress() == progress


# -- values are checked where they are stored ---------------------------------------------
RAW = (
    "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, schema_version, "
    "duration_ms, score, created_at) VALUES (%s, %s, %s, 'alice', %s, 'annotate', %s, %s, %s, "
    "%s, %s) RETURNING id, created_at"
)


def test_the_database_refuses_values_the_api_would_refuse(t):
    alice = t.open("alice")
    (held,) = alice.team.claim(1)

    def raw(value='"cat"', *, task="label", kind="label", note="", version=1, duration=None,
            score=None, created_at=0.0):  # fmt: skip
        return sql(alice, RAW, (held, task, value, kind, note, version, duration, score,
                                created_at))  # fmt: skip

    before = snapshot(t.lead)
    bad = {
        "a value that is not JSON": lambda: raw("not json"),
        "a class the task does not have": lambda: raw('"fish"'),
        "a list for a single-label task": lambda: raw('["cat"]'),
        "an object": lambda: raw('{"class": "cat"}'),
        "no value": lambda: raw(None),
        "a task the schema does not have": lambda: raw(task="other"),
        "a schema version that does not exist": lambda: raw(version=99),
        "no schema version": lambda: raw(version=None),
        "a value on a skip": lambda: raw('"cat"', kind="skip"),
        "an oversize note": lambda: raw(note="x" * 5000),
        "a negative duration": lambda: raw(duration=-5),
        "a duration past the bound": lambda: raw(duration=2**40),
        "a score that is not a number": lambda: raw(score=math.nan),
        "an infinite score": lambda: raw(score=math.inf),
        "a value past the size bound": lambda: raw('"' + "a" * (33 * 2**20) + '"'),
    }
    for what, attack in bad.items():
        with pytest.raises(StoreError) as err:
            attack()
            pytest.fail(f"the database stored {what}")
        assert "refused" in str(err.value), (what, err.value)
    assert snapshot(t.lead) == before
    # A good row goes in, with the server's clock, not the one given.
    (eid, created_at) = raw('"dog"', created_at=0.0)[0]
    assert abs(created_at - time.time()) < 60
    assert t.lead.labels().set_index("item_id").loc[held, "label"] == "dog"


def test_values_fit_their_own_schema_version(t):
    alice = t.open("alice")
    held = alice.team.claim(2)
    t.lead.schema = wb.Schema.classification("label", ["cat", "dog", "bird", "fish"])
    assert t.lead.schema.version == 2
    # alice's notebook still has version 1: 'fish' is not a class there ...
    refused(lambda: sql(alice, RAW, (held[0], "label", '"fish"', "label", "", 1, None, None, 0)),
            StoreError, match="refused")  # fmt: skip
    # ... and is one in version 2; 'cat' is fine in both.
    sql(alice, RAW, (held[0], "label", '"fish"', "label", "", 2, None, None, 0))
    sql(alice, RAW, (held[1], "label", '"cat"', "label", "", 1, None, None, 0))
    assert set(t.lead.labels()["label"]) == {"fish", "cat"}


def test_one_row_that_cannot_be_decoded_does_not_break_reads(t):
    alice, rita = t.open("alice"), t.open("rita")
    held = alice.team.claim(3)
    for iid in held[1:]:
        alice.label(iid, "cat")
    # A row the checks would refuse today, as an older release could have written it
    # (the lead switches the check off for this one insert).
    with t.lead.store._write() as cur:
        cur.execute("ALTER TABLE events DISABLE TRIGGER wb_check")
        cur.execute(
            "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, "
            "schema_version, created_at) VALUES (%s, 'label', 'not json', 'alice', 'label', "
            "'annotate', '', 1, 0) RETURNING id",
            (held[0],),
        )
        (bad_id,) = cur.fetchone()
        cur.execute("ALTER TABLE events ENABLE TRIGGER wb_check")
    reads = {
        "labels()": t.lead.labels,
        "events()": t.lead.events,
        "status()": t.lead.status,
        "scorecards()": t.lead.team.scorecards,
        "annotator_labels()": t.lead.team.annotator_labels,
        "the reviewer's labels()": rita.labels,
        "alice's own labels": alice.team.my_labels,
    }
    for _what, read in reads.items():
        with pytest.warns(UnreadableEventWarning, match=f"event {bad_id} on item '{held[0]}'"):
            read()
    with pytest.warns(UnreadableEventWarning):
        assert set(t.lead.labels()["item_id"]) == set(held[1:])


# -- claims are bounded, and no lock a member takes stalls the others ---------------------
def test_claims_cannot_hoard_items(lead_url):
    t = make_team(lead_url, n_items=team_sql.MAX_HELD + 50, overlap=1, gold_share=0.0)
    alice = wb.Project(t.urls["alice"])
    for lease in (math.inf, math.nan, -1.0, 0.0, team_sql.MAX_LEASE_S * 2, "900"):
        refused(lambda lease=lease: alice.team.claim(5, lease_s=lease), ValueError, "lease_s")
    for statement in (
        "SELECT * FROM wb_claim('label', NULL, 5, 'Infinity', '{}')",
        "SELECT * FROM wb_claim('label', NULL, 5, 'NaN', '{}')",
        "SELECT * FROM wb_claim('label', NULL, 5, 1e12, '{}')",
        "SELECT * FROM wb_claim('label', NULL, 100000, 60, '{}')",
        "SELECT * FROM wb_claim('label', NULL, -1, 60, '{}')",
    ):
        refused(lambda s=statement: sql(alice, s), StoreError, "workbench: a")
    assert sql(t.lead, "SELECT count(*) FROM team_claims") == [(0,)]
    # At most MAX_HELD live claims, however she asks.
    held = alice.team.claim(team_sql.MAX_CLAIM)
    assert len(held) == team_sql.MAX_CLAIM == team_sql.MAX_HELD
    assert alice.team.claim(10, exclude=held) == []
    assert sql(t.lead, "SELECT max(lease_until - claimed_at) FROM team_claims")[0][0] <= (
        team_sql.MAX_LEASE_S
    )
    alice.close()
    t.lead.close()


def test_a_members_lock_stalls_nobody(t, monkeypatch):
    import psycopg

    from workbench.store import postgres

    alice, bob = t.open("alice"), t.open("bob")
    # The store's old advisory key, and any other, held for good: it no longer
    # guards anything.
    hostile = psycopg.connect(t.urls["alice"], autocommit=True)
    hostile.execute(f"SELECT pg_advisory_lock({postgres.CREATE_LOCK})")
    hostile.execute("SELECT pg_advisory_lock(8599056003052922467)")
    start = time.monotonic()
    for iid in bob.team.claim(2):
        bob.label(iid, "dog")
    t.lead.add_texts(["new"], ids=["new"])
    t.lead.store.set_priority("label", {"new": 1.0})
    assert time.monotonic() - start < postgres.LOCK_TIMEOUT_S
    # An open transaction holding a label of hers: claims go on (rows she holds are
    # skipped), and the lead's watermark, which must wait for it, gives up fast
    # with her name.
    (mine,) = alice.team.claim(1, lease_s=0.2)
    hostile.execute("BEGIN")
    hostile.execute(
        "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, schema_version, "
        "created_at) VALUES (%s, 'label', '\"cat\"', 'alice', 'label', 'annotate', '', 1, 0)",
        (mine,),
    )
    time.sleep(0.3)  # her lease has run out: every claim's sweep meets her locked rows
    start = time.monotonic()
    carol = t.open("carol")
    assert len(carol.team.claim(3)) == 3
    assert time.monotonic() - start < 5
    monkeypatch.setattr(postgres, "LOCK_TIMEOUT_S", 1.0)
    lead = wb.Project(t.lead.store._conninfo)
    try:
        with pytest.raises(StoreError, match=r"waited 1 s for a lock.*alice") as err:
            lead.store.watermark()
        assert "Nothing was written" in str(err.value)
        hostile.execute("COMMIT")
        assert lead.store.watermark() >= 1
    finally:
        lead.close()
        hostile.close()


def test_a_label_waiting_on_a_members_open_transaction_fails_fast_naming_them(t, monkeypatch):
    import psycopg

    from workbench.store import postgres

    monkeypatch.setattr(postgres, "LOCK_TIMEOUT_S", 1.0)
    alice, bob = wb.Project(t.urls["alice"]), wb.Project(t.urls["bob"])
    both = set(alice.team.claim(1)) & set(bob.team.claim(1))
    assert both  # overlap 2: the first item goes to both
    (iid,) = both
    hostile = psycopg.connect(t.urls["alice"])
    hostile.execute(
        "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, schema_version, "
        "created_at) VALUES (%s, 'label', '\"cat\"', 'alice', 'label', 'annotate', '', 1, 0)",
        (iid,),
    )  # open transaction: the item's state row is hers until she commits
    before = sql(t.lead, LOG)
    start = time.monotonic()
    with pytest.raises(StoreError, match="alice"):
        bob.label(iid, "dog")
    assert time.monotonic() - start < 5
    assert sql(t.lead, LOG) == before  # nothing half-written; the widget resends later
    hostile.rollback()
    bob.label(iid, "dog")
    hostile.close()
    alice.close()
    bob.close()


# -- add_user -----------------------------------------------------------------------------
def password_of(cluster, name: str):
    return cluster.admin("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (name,))[0][0]


def test_add_user_never_takes_over_an_existing_role(t, pg_cluster):
    # Another project of the cluster, with its own lead and a member with a password.
    other = pg_cluster.new_team_database(lead="other_lead")
    other_lead = wb.Project(other, schema=wb.Schema.classification("label", ["a", "b"]))
    other_lead.team.setup().add_user("dora", "annotator", password="dora-secret")
    dora_pw = password_of(pg_cluster, "dora")
    lead_pw = password_of(pg_cluster, "other_lead")
    before = sorted(sql(t.lead, "SELECT name, role FROM team_users"))
    attacks = {
        "reset a member's password": lambda: t.team.add_user("dora", "annotator", password="x"),
        "take another project's lead": lambda: t.team.add_user("other_lead", "annotator"),
        "take the cluster's superuser": lambda: t.team.add_user("postgres", "admin"),
        "take a built-in role": lambda: t.team.add_user("pg_monitor", "annotator"),
        "take a project's group role": lambda: t.team.add_user(
            team_sql.group_roles(t.lead.store.project_id)["admin"].strip('"'), "annotator"
        ),
        "take another project's group role": lambda: t.team.add_user(
            team_sql.group_roles(other_lead.store.project_id)["admin"].strip('"'), "annotator"
        ),
    }
    for what, attack in attacks.items():
        with pytest.raises(ValueError):
            attack()
            pytest.fail(f"add_user could {what}")
    assert password_of(pg_cluster, "dora") == dora_pw
    assert password_of(pg_cluster, "other_lead") == lead_pw
    assert sorted(sql(t.lead, "SELECT name, role FROM team_users")) == before
    # Reusing a member of another project as they are is fine; so is an explicit reset.
    t.team.add_user("dora", "annotator")
    assert password_of(pg_cluster, "dora") == dora_pw
    t.team.add_user("dora", "annotator", password="new-secret", reset_password=True)
    assert password_of(pg_cluster, "dora") != dora_pw
    other_lead.close()


def test_workers_read_only_their_own_row_of_the_team(t):
    for name in ("alice", "rita", "quinn"):
        p = t.open(name)
        assert sql(p, "SELECT name FROM team_users") == [(name,)]
        refused(lambda p=p: sql(p, "SELECT gold_claims FROM team_users"))
    assert len(sql(t.open("adam"), "SELECT name FROM team_users")) == 6
