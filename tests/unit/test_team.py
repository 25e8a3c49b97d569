"""Team mode against a real PostgreSQL: roles and row-level security, assignment with
overlap and leases, gold items, review tiers and feedback.

Every forbidden action is tried and must raise ``PermissionDenied``, never return
an empty result; every assignment test counts what the database holds.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import workbench as wb
from tests.teams import CLASSES, label_all, make_team, sql, write_sql
from workbench.errors import PermissionDenied, StoreError, UnknownItemError

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


# -- set-up -----------------------------------------------------------------------------
def test_team_mode_needs_postgres(tmp_path):
    p = wb.Project(tmp_path / "p.db", schema=wb.Schema.classification("label", CLASSES))
    with pytest.raises(StoreError, match="needs a PostgreSQL project"):
        p.team  # noqa: B018
    p.close()


def test_setup_checks_settings_and_is_idempotent(lead_url):
    lead = wb.Project(lead_url, schema=wb.Schema.classification("label", CLASSES))
    with pytest.raises(StoreError, match="not in team mode"):
        lead.team.claim(1)
    for bad in ({"overlap": 0}, {"gold_share": 1.0}, {"lease_s": -1}, {"qa_share": 2},
                {"blind": "yes"}):  # fmt: skip
        with pytest.raises(ValueError):
            lead.team.setup(**bad)
    with pytest.raises(TypeError, match="unknown team settings"):
        lead.team.setup(overlaps=2)
    lead.team.setup(overlap=3)
    lead.team.setup(gold_share=0.2)  # changes one, keeps the others
    assert lead.team.settings()["overlap"] == 3
    assert lead.team.settings()["gold_share"] == 0.2
    with pytest.raises(ValueError, match="identifiers"):
        lead.team.add_user("Robert'); DROP TABLE events;--", "annotator")
    with pytest.raises(ValueError, match="role must be one of"):
        lead.team.add_user("zed", "boss")
    lead.close()


def test_each_person_is_their_login_role(t):
    alice = t.open("alice")
    assert alice.annotator == "alice"
    assert alice.team.user == "alice"
    assert set(t.team.users()["name"]) == {"alice", "bob", "carol", "rita", "quinn", "adam"}
    # A name other than one's own is refused by the database, not trusted.
    (iid,) = alice.team.claim(1)
    with pytest.raises(PermissionDenied):
        alice.label(iid, "cat", annotator="bob")
    alice.label(iid, "cat")
    assert t.lead.history(iid)["annotator"].tolist() == ["alice"]


# -- roles and row-level security ------------------------------------------------------
def test_annotator_forbidden_reads_raise(t):
    t.team.add_gold({t.ids[0]: "cat"})
    bob = t.open("bob")
    label_all(bob, bob.team.claim(3), "dog")
    alice = t.open("alice")
    forbidden_reads = {
        "gold answers": lambda: sql(alice, "SELECT value FROM team_gold"),
        "gold flags in the pool": lambda: sql(alice, "SELECT item_id, gold FROM team_pool"),
        "label values (blind)": lambda: sql(alice, "SELECT value FROM events"),
        "who labeled (blind)": lambda: sql(alice, "SELECT annotator FROM events"),
        "labels()": lambda: alice.labels(),
        "events()": lambda: alice.events(),
        "history()": lambda: alice.history(t.ids[1]),
        "gold_accuracy()": lambda: alice.team.gold_accuracy(),
        "annotator_labels()": lambda: alice.team.annotator_labels(),
        "queue()": lambda: alice.team.queue(),
        "item_labels()": lambda: alice.team.item_labels(t.ids[1]),
        "route()": lambda: alice.team.route(),
    }
    for what, read in forbidden_reads.items():
        with pytest.raises(PermissionDenied):
            read()
            pytest.fail(f"an annotator could read {what}")
    # What blind annotators may read: their own, and nothing of others.
    assert alice.team.my_labels().empty
    (mine,) = alice.team.claim(1)
    alice.label(mine, "bird")
    assert alice.team.my_labels()["value"].tolist() == ["bird"]
    seen = sql(alice, "SELECT DISTINCT annotator FROM my_events WHERE kind <> 'prelabel'")
    assert seen == [("alice",)]
    assert set(alice.team.my_claims()["item_id"]) == {mine}  # row-level: her claims only


def test_annotator_forbidden_writes_raise(t):
    bob = t.open("bob")
    (bobs,) = bob.team.claim(1)
    bob_event = bob.label(bobs, "dog")
    alice = t.open("alice")
    (held,) = alice.team.claim(1)
    unclaimed = next(i for i in t.ids if i not in (held, bobs))
    changed = wb.Schema.classification("label", CLASSES + ["fish"])
    forbidden_writes = {
        "change the schema": lambda: wb.Project(
            t.urls["alice"], schema=changed, change_schema=True),
        "label an item not claimed": lambda: alice.label(unclaimed, "cat"),
        "label as someone else": lambda: alice.label(held, "cat", annotator="bob"),
        "write a review decision": lambda: alice.review_label(bobs, "correct", "cat"),
        "correct through the team API": lambda: alice.team.correct(bobs, "cat", reason="x"),
        "retract another's label": lambda: alice.retract(bob_event),
        "add items": lambda: alice.add_texts(["new"], ids=["new"]),
        "set priorities": lambda: alice.store.set_priority("label", {held: 5.0}),
        "pre-label": lambda: alice.add_prelabels({held: "cat"}, model="m@1"),
        "add a user": lambda: alice.team.add_user("mallory", "admin"),
        "fill the pool": lambda: alice.team.fill(),
        "add gold": lambda: alice.team.add_gold({held: "cat"}),
        "re-run setup": lambda: alice.team.setup(blind=False),
        "insert a claim": lambda: write_sql(
            alice, "INSERT INTO team_claims (task, tier, item_id, annotator, state, claimed_at) "
            "VALUES ('label', 'annotate', %s, 'alice', 'claimed', 0)", (unclaimed,)),
        "open slots": lambda: write_sql(alice, "UPDATE team_pool SET open = 9"),
        "edit a label": lambda: write_sql(alice, "UPDATE events SET value = '\"cat\"'"),
        "delete the log": lambda: write_sql(alice, "DELETE FROM events"),
        "promote oneself": lambda: write_sql(
            alice, "UPDATE team_users SET role = 'admin' WHERE name = 'alice'"),
        "write feedback": lambda: write_sql(
            alice, "INSERT INTO team_feedback (task, item_id, annotator, reviewer, tier, kind, "
            "note, event_id, created_at) VALUES ('label', %s, 'bob', 'alice', 'review', "
            "'send-back', 'x', 1, 0)", (bobs,)),
        "open reviews": lambda: sql(
            alice, "SELECT wb_open_reviews('label', ARRAY[%s], ARRAY[%s], ARRAY[1.0], ARRAY['x'])",
            (bobs, bobs)),
    }  # fmt: skip
    before = len(t.lead.events())
    for what, write in forbidden_writes.items():
        with pytest.raises(PermissionDenied):
            write()
            pytest.fail(f"an annotator could {what}")
    assert len(t.lead.events()) == before  # nothing written by any refusal
    assert t.lead.schema.version == 1
    alice.label(held, "cat")  # and the connection still works for what is allowed
    assert len(t.lead.events()) == before + 1


def test_reviewer_and_qa_forbidden_actions_raise(t):
    alice = t.open("alice")
    (iid,) = alice.team.claim(1)
    alice.label(iid, "cat")
    for name in ("rita", "quinn"):
        p = t.open(name)
        assert not p.labels().empty  # reviewers and QA see labels: that is their work
        forbidden = {
            "gold answers": lambda p=p: sql(p, "SELECT * FROM team_gold"),
            "the pool": lambda p=p: sql(p, "SELECT * FROM team_pool"),
            "annotate-tier labels": lambda p=p: p.label(iid, "dog"),
            "claim annotation work": lambda p=p: p.team.claim(1, tier="annotate"),
            "decide an item not claimed": lambda p=p: p.team.correct(iid, "dog", reason="x"),
            "change the schema": lambda name=name: wb.Project(
                t.urls[name], schema=wb.Schema.classification("label", ["a", "b"]),
                change_schema=True),
            "fill the pool": lambda p=p: p.team.fill(),
        }  # fmt: skip
        for what, action in forbidden.items():
            with pytest.raises(PermissionDenied):
                action()
                pytest.fail(f"{name} could {what}")


def test_not_blind_annotators_read_labels_and_gold_needs_blind_mode(lead_url):
    t = make_team(lead_url, blind=False)
    # Every annotator labels each gold item: with others' labels readable, gold
    # items would stand out by their count. So gold and blind=False exclude each other.
    with pytest.raises(ValueError, match="gold items need blind mode"):
        t.team.add_gold({t.ids[0]: "cat"})
    bob = wb.Project(t.urls["bob"])
    label_all(bob, bob.team.claim(2), "dog")
    alice = wb.Project(t.urls["alice"])
    assert set(alice.labels()["annotator"]) == {"bob"}
    with pytest.raises(PermissionDenied):
        sql(alice, "SELECT * FROM team_gold")
    t.team.setup(blind=True)  # and back: the privilege goes away again
    with pytest.raises(PermissionDenied):
        alice.labels()
    t.team.add_gold({t.ids[0]: "cat"})
    with pytest.raises(ValueError, match="blind=False needs a project without gold"):
        t.team.setup(blind=False)
    assert t.team.settings()["blind"] is True
    for p in (alice, bob, t.lead):
        p.close()


def test_an_admin_user_runs_the_team(t):
    adam = t.open("adam")
    adam.team.add_gold({t.ids[0]: "dog"})
    assert sql(adam, "SELECT item_id, value FROM team_gold") == [(t.ids[0], '"dog"')]
    adam.team.fill(overlap=1)  # assignments are admins' to change
    with pytest.raises(PermissionDenied, match="create roles"):
        adam.team.add_user("dora", "annotator")  # PostgreSQL roles are the lead's
    assert adam.team.queue().set_index("tier").loc["annotate", "items"] == len(t.ids) - 1


# -- assignment -------------------------------------------------------------------------
def test_overlap_k_gives_each_item_to_k_different_annotators(t):
    people = [t.open(n) for n in ("alice", "bob", "carol")]
    given: dict[str, list[str]] = {p.annotator: [] for p in people}
    active = list(people)
    while active:
        for p in list(active):
            ids = p.team.claim(4)
            if not ids:
                active.remove(p)
            assert not set(ids) & set(given[p.annotator]), "an item came back to its annotator"
            given[p.annotator] += ids
            label_all(p, ids)
    rows = sql(
        t.lead,
        "SELECT item_id, count(*), count(DISTINCT annotator) FROM team_claims "
        "WHERE state = 'done' GROUP BY item_id",
    )
    assert len(rows) == len(t.ids)
    assert all(n == 2 and distinct == 2 for _, n, distinct in rows)
    assert sum(map(len, given.values())) == 2 * len(t.ids)
    q = t.team.queue().set_index("tier").loc["annotate"]
    assert (q["open"], q["complete"], q["done"]) == (0, len(t.ids), 2 * len(t.ids))


def test_claims_follow_priority_and_held_claims_come_back(t):
    t.lead.store.set_priority("label", {t.ids[7]: 5.0, t.ids[3]: 9.0})
    t.team.fill()  # refreshes priorities
    alice = t.open("alice")
    first = alice.team.claim(3)
    assert first[:2] == [t.ids[3], t.ids[7]]
    # A reloaded widget asks again: what she holds comes first, lease renewed.
    assert alice.team.claim(3) == first
    assert first[2] == t.ids[0]
    assert alice.team.claim(2, exclude=first) == [t.ids[1], t.ids[2]]
    assert alice.team.release([t.ids[1]]) == 1
    t.team.setup(overlap=1)
    t.team.fill(overlap=1, items=[])  # the setting is for new items; these keep 2
    bob = t.open("bob")
    assert t.ids[1] in bob.team.claim(30)


def test_gold_items_are_mixed_in_at_the_share_and_scored_per_class(lead_url):
    t = make_team(lead_url, n_items=60, gold_share=0.25, overlap=1)
    gold = {t.ids[k]: CLASSES[k % 2] for k in range(10)}  # cat and dog
    t.team.add_gold(gold)
    alice = wb.Project(t.urls["alice"])
    got = []
    for _ in range(5):
        batch = alice.team.claim(4)
        label_all(alice, batch, "cat")  # right on cat gold, wrong on dog gold
        got += batch
    golds = [i for i in got if i in gold]
    assert len(got) == 20 and len(set(got)) == 20
    assert len(golds) == 5  # 25% of 20
    # Mixed in: not all at the front or the back of the batches.
    assert 0 < min(got.index(g) for g in golds) or max(got.index(g) for g in golds) < 19
    acc = t.team.gold_accuracy().set_index(["annotator", "label"])
    cats = sum(1 for g in golds if gold[g] == "cat")
    dogs = len(golds) - cats
    if cats:
        assert acc.loc[("alice", "cat"), "accuracy"] == 1.0
    if dogs:
        assert acc.loc[("alice", "dog"), "accuracy"] == 0.0
    assert acc.loc[("alice", "(all)"), "n"] == len(golds)
    assert acc.loc[("alice", "(all)"), "correct"] == cats
    # Gold items never count as pool work nor go to review.
    assert t.team.queue().set_index("tier").loc["annotate", "items"] == 50
    assert t.team.route() == 0
    # Annotators see no difference: claims and their own labels carry no gold flag.
    assert "gold" not in alice.team.my_claims().columns
    alice.close()
    t.lead.close()


def test_expired_lease_returns_the_item_to_the_pool(lead_url):
    t = make_team(lead_url, n_items=3, overlap=1)
    alice, bob = wb.Project(t.urls["alice"]), wb.Project(t.urls["bob"])
    held = alice.team.claim(1, lease_s=0.5)
    assert bob.team.claim(5) == t.ids[1:]  # alice's item is not free yet
    time.sleep(0.7)
    assert bob.team.claim(5) == t.ids[1:] + held  # hers expired: bob gets it
    # Her late label is kept (no committed label is ever lost), as an extra one.
    alice.label(held[0], "dog")
    bob.label(held[0], "cat")
    assert sorted(t.lead.history(held[0])["annotator"]) == ["alice", "bob"]
    # And the item is never handed back to alice.
    assert alice.team.claim(5) == []
    for p in (alice, bob, t.lead):
        p.close()


CLAIM_AND_DIE = """
import os, signal, sys, json
import workbench as wb
p = wb.Project(sys.argv[1])
mode = sys.argv[2]
if mode == "after":
    ids = p.team.claim(2, lease_s=1.0)
    print(json.dumps(ids), flush=True)
else:  # killed inside the claim's transaction, before it commits
    with p.store._write(shared=True) as cur:
        cur.execute("SELECT item_id FROM wb_claim('label', NULL, 2, 600, '{}')")
        print(json.dumps([r[0] for r in cur.fetchall()]), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("when", ["after", "inside"])
def test_a_client_killed_mid_claim_loses_nothing_and_its_items_are_reassigned(lead_url, when):
    t = make_team(lead_url, n_items=4, overlap=1)
    out = subprocess.run(
        [sys.executable, "-c", CLAIM_AND_DIE, t.urls["alice"], when],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == -signal.SIGKILL, out.stderr
    claimed = json.loads(out.stdout.strip().splitlines()[-1])
    assert claimed == t.ids[:2]
    bob = wb.Project(t.urls["bob"])
    if when == "after":
        assert bob.team.claim(4) == t.ids[2:]  # leased: not yet
        time.sleep(1.2)
        assert bob.team.claim(4) == t.ids[2:] + claimed  # the lease ran out
        states = dict(sql(t.lead, "SELECT item_id, state FROM team_claims WHERE annotator = "
                                  "'alice'"))  # fmt: skip
        assert states == {i: "expired" for i in claimed}
    else:
        # The transaction died with the process: nothing was claimed at all.
        assert bob.team.claim(4) == t.ids
        assert sql(t.lead, "SELECT count(*) FROM team_claims WHERE annotator = 'alice'") == [(0,)]
    label_all(bob, t.ids)
    assert set(t.lead.labels()["item_id"]) == set(t.ids)
    bob.close()
    t.lead.close()


WORKER = """
import sys, json, random
import workbench as wb
p = wb.Project(sys.argv[1])
rng = random.Random(p.annotator)
done = []
while True:
    ids = p.team.claim(25)
    if not ids:
        break
    # One transaction per batch; each event still passes the claim check and trigger.
    p.store.append([p.make_event(iid, rng.choice(["cat", "dog", "bird"])) for iid in ids])
    done += ids
print(json.dumps({"who": p.annotator, "n": len(done), "unique": len(set(done))}))
"""


def test_eight_processes_label_ten_thousand_items_with_overlap_two(lead_url):
    n_items, workers = 10_000, 8
    schema = wb.Schema.classification("label", CLASSES)
    lead = wb.Project(lead_url, schema=schema)
    lead.add_texts([f"t{k}" for k in range(n_items)], ids=[f"i{k:05d}" for k in range(n_items)])
    team = lead.team.setup(overlap=2, gold_share=0.0)
    urls = [team.add_user(f"worker{k}", "annotator") for k in range(workers)]
    team.fill()
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, u], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for u in urls
    ]  # fmt: skip
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["n"] == r["unique"] for r in reports)  # nobody got an item twice
    assert sum(r["n"] for r in reports) == 2 * n_items
    ev = lead.events()
    labels = ev[ev["kind"] == "label"]
    assert len(labels) == 2 * n_items  # nothing lost, nothing doubled
    per_item = labels.groupby("item_id")["annotator"].agg(["size", "nunique"])
    assert len(per_item) == n_items
    assert (per_item["size"] == 2).all() and (per_item["nunique"] == 2).all()
    done = sql(lead, "SELECT count(*) FROM team_claims WHERE state = 'done'")
    assert done == [(2 * n_items,)]
    assert sql(lead, "SELECT count(*) FROM team_pool WHERE open <> 0 OR done <> 2") == [(0,)]
    lead.close()


# -- review tiers -----------------------------------------------------------------------
def test_disagreements_go_to_review_and_feedback_flows_back(lead_url):
    t = make_team(lead_url, n_items=6, overlap=2, qa_share=1.0, gold_share=0.0)
    alice, bob = wb.Project(t.urls["alice"]), wb.Project(t.urls["bob"])
    rita, quinn = wb.Project(t.urls["rita"]), wb.Project(t.urls["quinn"])
    a_ids, b_ids = alice.team.claim(6), bob.team.claim(6)
    assert sorted(a_ids) == sorted(b_ids) == t.ids
    answers = {"alice": dict.fromkeys(t.ids, "cat"), "bob": dict.fromkeys(t.ids, "cat")}
    answers["bob"][t.ids[0]] = "dog"  # two disagreements
    answers["bob"][t.ids[1]] = "bird"
    for p in (alice, bob):
        for iid in t.ids:
            if p is bob and iid == t.ids[2]:
                p.label(iid, None, kind="ambiguous")  # flagged: goes to review too
            else:
                p.label(iid, answers[p.annotator][iid])
    # Reviewers route on claim: exactly the two disagreements and the flag.
    got = rita.team.claim(10)
    assert sorted(got) == sorted(t.ids[:3])
    reasons = dict(sql(t.lead, "SELECT item_id, reason FROM team_pool WHERE tier = 'review'"))
    assert reasons == {t.ids[0]: "disagreement", t.ids[1]: "disagreement",
                       t.ids[2]: "ambiguous"}  # fmt: skip
    assert t.team.open_reviews() == {"disagreement": 2, "ambiguous": 1}
    labels_seen = rita.team.item_labels(t.ids[0])
    assert dict(zip(labels_seen["annotator"], labels_seen["value"], strict=True)) == {
        "alice": "cat", "bob": "dog"}  # fmt: skip
    with pytest.raises(ValueError, match="reason"):
        rita.team.correct(t.ids[0], "dog", reason=" ")
    rita.team.correct(t.ids[0], "dog", reason="ears are floppy")
    rita.team.send_back(t.ids[1], reason="look at the wings again")
    rita.team.accept(t.ids[2], "cat")
    # Feedback: the correction reaches only the annotator it changed; send-back both.
    fa = alice.team.feedback()
    assert [(r.item_id, r.kind, r.previous, r.value, r.note) for r in fa.itertuples()] == [
        (t.ids[0], "review-correct", "cat", "dog", "ears are floppy"),
        (t.ids[1], "send-back", "cat", None, "look at the wings again"),
    ]
    assert set(bob.team.feedback()["item_id"]) == {t.ids[1]}
    # Row-level security, the second layer: others' feedback rows are not hers to see.
    assert sql(alice, "SELECT * FROM team_feedback WHERE annotator = 'bob'") == []
    # Sent back: it is first in both annotators' queues again.
    assert alice.team.claim(3) == [t.ids[1]]
    assert bob.team.claim(3) == [t.ids[1]]
    alice.label(t.ids[1], "bird")
    bob.label(t.ids[1], "bird")  # now they agree: routing leaves it alone ...
    assert rita.team.claim(5) == []
    # ... and the send-back still counts: final labels come from the tiers.
    alice.team.mark_seen(fa["id"])
    assert alice.team.feedback(unseen=True).empty
    # QA (qa_share=1): every reviewed item; a QA correction reaches the reviewer.
    qa_ids = quinn.team.claim(5)
    assert sorted(qa_ids) == sorted([t.ids[0], t.ids[2]])
    assert t.team.open_reviews() == {"sampled": 2}  # every review decision goes to QA
    quinn.team.correct(t.ids[2], "bird", reason="it has feathers")
    quinn.team.accept(t.ids[0])  # the review tier's decision (dog)
    fr = rita.team.feedback()
    assert [(r.item_id, r.previous, r.value) for r in fr.itertuples()] == [
        (t.ids[2], "cat", "bird")]  # fmt: skip
    final = t.team.labels().set_index("item_id")
    assert final.loc[t.ids[0]].tolist() == ["dog", "qa"]
    assert final.loc[t.ids[2]].tolist() == ["bird", "qa"]
    assert final.loc[t.ids[1]].tolist() == ["bird", "consensus"]
    assert final.loc[t.ids[3]].tolist() == ["cat", "consensus"]
    cards = t.team.scorecards().set_index("annotator")
    assert cards.loc["alice", "corrected"] == 1 and cards.loc["alice", "sent_back"] == 1
    assert cards.loc["bob", "corrected"] == 0 and cards.loc["bob", "sent_back"] == 1
    for p in (alice, bob, rita, quinn, t.lead):
        p.close()


def test_shape_disagreement_is_measured_by_iou(lead_url):
    schema = wb.Schema([wb.Shapes("objects", classes=["car"])])
    lead = wb.Project(lead_url, schema=schema)
    lead.add_texts(["a", "b"], ids=["same", "apart"])
    team = lead.team.setup(overlap=2, review_threshold=0.5, gold_share=0.0)
    urls = [team.add_user(n, "annotator") for n in ("alice", "bob")]
    team.add_user("rita", "reviewer")
    team.fill()
    box = {"type": "box", "class": "car", "bbox": [10, 10, 40, 40]}
    moved = {"type": "box", "class": "car", "bbox": [40, 40, 50, 50]}
    for k, url in enumerate(urls):
        p = wb.Project(url)
        assert sorted(p.team.claim(2)) == ["apart", "same"]
        p.label("same", [box])
        p.label("apart", [moved if k else box])
        p.close()
    assert team.route() == 1
    assert sql(lead, "SELECT item_id FROM team_pool WHERE tier = 'review'") == [("apart",)]
    pairs = team.shape_agreement().set_index("item_id")
    assert pairs.loc["same", "score"] == pytest.approx(1.0)
    assert pairs.loc["apart", "score"] < 0.5 and pairs.loc["apart", "matched"] == 0
    lead.close()


def test_label_stream_in_team_mode_claims_and_shows_only_ones_own(t):
    from workbench.stream import LabelStream

    bob = t.open("bob")
    (first,) = bob.team.claim(1)
    bob.label(first, "dog")
    alice = t.open("alice")
    with pytest.raises(StoreError, match="queue is what they claim"):
        LabelStream(alice, order=[t.ids[5]])
    stream = LabelStream(alice)
    ((hello, _),) = stream.handle({"type": "hello", "client_id": "v1"})
    assert hello["team"] == {"user": "alice", "role": "annotator", "tier": "annotate"}
    assert hello["feedback"] == []
    (reply, _), = stream.handle({"type": "need", "client_id": "v1", "req": 1, "n": 3,
                                 "exclude": []})  # fmt: skip
    ids = [i["item_id"] for i in reply["items"]]
    assert ids == [first, *t.ids[1:3]] or ids[0] == first
    assert all("label" not in i for i in reply["items"])  # bob's "dog" is not shown to her
    assert set(ids) <= set(alice.team.my_claims()["item_id"])
    (ack, _), = stream.handle({"type": "label", "client_id": "v1", "seq": 0,
                               "item_id": ids[0], "kind": "label", "value": "cat"})  # fmt: skip
    assert ack["type"] == "ack"
    unclaimed = next(i for i in t.ids if i not in ids)
    bad = {"type": "label", "client_id": "v1", "seq": 1, "item_id": unclaimed, "kind": "label",
           "value": "cat"}  # fmt: skip
    ((refused, _),) = stream.handle(bad)
    assert refused["type"] == "refused" and "row-level security" in refused["error"]
    (again, _), = stream.handle({"type": "need", "client_id": "v1", "req": 2, "n": 1,
                                 "exclude": ids[1:]})  # fmt: skip
    assert again["items"] and again["items"][0]["item_id"] not in ids
    # A correction shows up as feedback with the reply and on the item.
    rita = t.open("rita")
    alice.label(ids[1], "cat")
    # Force the item to review (a single label agrees with itself).
    write_sql(t.lead, "INSERT INTO team_pool (task, tier, item_id, needed, open, position) "
                      "VALUES ('label', 'review', %s, 1, 1, 0)", (ids[1],))  # fmt: skip
    assert ids[1] in rita.team.claim(5)
    rita.team.send_back(ids[1], reason="not a cat")
    (reply, _), = stream.handle({"type": "need", "client_id": "v1", "req": 3, "n": 1,
                                 "exclude": []})  # fmt: skip
    assert [f["note"] for f in reply["feedback"]] == ["not a cat"]
    item = reply["items"][0]
    assert item["item_id"] == ids[1] and item["feedback"]["kind"] == "send-back"
    fid = reply["feedback"][0]["id"]
    ((seen, _),) = stream.handle({"type": "seen", "client_id": "v1", "req": 4, "ids": [fid]})
    assert seen["ids"] == [fid]
    assert alice.team.feedback(unseen=True).empty


def test_bad_input_is_refused_clearly(t):
    with pytest.raises(UnknownItemError):
        t.team.add_gold({"nope": "cat"})
    with pytest.raises(wb.UnknownClassError):
        t.team.add_gold({t.ids[0]: "fish"})
    with pytest.raises(UnknownItemError):
        t.team.fill(items=["nope"])
    alice = t.open("alice")
    for n in (-1, 1001, 1.5, True):
        with pytest.raises(ValueError, match="an integer from 0 to 1000"):
            alice.team.claim(n)
    with pytest.raises(ValueError, match="tier"):
        alice.team.claim(1, tier="boss")
    assert alice.team.claim(0) == []
    rita = t.open("rita")
    with pytest.raises(ValueError, match="reason"):
        rita.team.send_back(t.ids[0], reason="")
    # Nothing about the failures was stored.
    assert sql(t.lead, "SELECT count(*) FROM team_gold") == [(0,)]


def test_agreement_is_the_annotators_own_and_matches_krippendorff(lead_url):
    import krippendorff
    import numpy as np

    t = make_team(lead_url, n_items=12, overlap=3, gold_share=0.0)
    t.team.add_gold({t.ids[0]: "cat"})
    rng = np.random.default_rng(3)
    for name in ("alice", "bob", "carol"):
        p = wb.Project(t.urls[name])
        for iid in p.team.claim(20):
            p.label(iid, CLASSES[int(rng.integers(0, 3))] if rng.random() < 0.4 else "cat")
        p.close()
    rita = wb.Project(t.urls["rita"])
    for iid in rita.team.claim(20):
        rita.team.correct(iid, "dog", reason="r")  # a reviewer is not an annotator
    wide = t.team.annotator_labels()
    assert list(wide.columns) == ["alice", "bob", "carol"] and t.ids[0] not in wide.index
    codes = wide.apply(lambda c: c.map({k: i for i, k in enumerate(CLASSES)})).astype(float)
    expected = krippendorff.alpha(codes.to_numpy().T, level_of_measurement="nominal")
    got = t.team.agreement()
    assert got.alpha == pytest.approx(expected, abs=1e-12)
    assert got.annotators == 3 and got.items == len(t.ids) - 1
    status = wb.dashboards.status(t.lead)
    assert status["agreement"] == pytest.approx(expected, abs=1e-12)
    # Consensus: a majority vote, or CROWDLAB weighing in a model's probabilities.
    majority = t.team.consensus().set_index("item_id")
    for iid, row in wide.iterrows():
        votes = row.dropna().value_counts()
        if (votes == votes.max()).sum() == 1:
            assert majority.loc[iid, "label"] == votes.idxmax()
    probs = np.full((len(wide), 3), 0.05)
    probs[:, 2] = 0.9  # a confident model that says "bird" everywhere
    crowd = t.team.consensus(method="crowdlab", pred_probs=probs)
    assert list(crowd["item_id"]) == list(wide.index)
    assert set(crowd["label"]) <= set(CLASSES)
    with pytest.raises(ValueError, match="pred_probs"):
        t.team.consensus(method="crowdlab")
    rita.close()
    t.lead.close()


def test_reviewers_decide_in_the_review_widget_stream(lead_url):
    from workbench.stream import ReviewStream

    t = make_team(lead_url, n_items=2, overlap=2, gold_share=0.0)
    for name, value in (("alice", "cat"), ("bob", "dog")):
        p = wb.Project(t.urls[name])
        label_all(p, p.team.claim(2), value)
        p.close()
    rita = wb.Project(t.urls["rita"])
    widget = rita.team.review(5)
    assert type(widget).__name__ == "ReviewWidget"
    stream = widget.stream
    assert isinstance(stream, ReviewStream) and stream.item_ids == t.ids
    (cards, _), = stream.handle({"type": "cards", "client_id": "r", "req": 1, "start": 0,
                                 "n": 2})  # fmt: skip
    card = cards["items"][0]["review"]
    assert {a["annotator"]: a["value"] for a in card["annotators"]} == {"alice": "cat",
                                                                       "bob": "dog"}  # fmt: skip
    msg = {"type": "label", "client_id": "r", "seq": 0, "item_id": t.ids[0],
           "kind": "review-correct", "value": "bird", "note": "a beak",
           "parent": card["given_event"]}  # fmt: skip
    ((ack, _),) = stream.handle(msg)
    assert ack["type"] == "ack"
    back = {
        **msg,
        "seq": 1,
        "kind": "send-back",
        "value": None,
        "note": "",
        "item_id": t.ids[1],
        "parent": cards["items"][1]["review"]["given_event"],
    }
    ((refused, _),) = stream.handle(back)
    assert refused["type"] == "refused" and "reason" in refused["error"]
    ((ack, _),) = stream.handle({**back, "note": "zoom in first"})
    assert ack["type"] == "ack"
    rows = sql(t.lead, "SELECT item_id, kind, tier, note, annotator FROM events "
                       "WHERE tier = 'review' ORDER BY id")  # fmt: skip
    assert rows == [(t.ids[0], "review-correct", "review", "a beak", "rita"),
                    (t.ids[1], "send-back", "review", "zoom in first", "rita")]  # fmt: skip
    states = dict(sql(t.lead, "SELECT item_id, state FROM team_claims WHERE tier = 'review'"))
    assert states == {t.ids[0]: "done", t.ids[1]: "done"}
    alice = wb.Project(t.urls["alice"])
    assert sorted(alice.team.feedback()["note"]) == ["a beak", "zoom in first"]
    assert alice.team.claim(2) == [t.ids[1]]  # sent back to her
    for p in (alice, rita, t.lead):
        p.close()


def test_a_team_store_of_the_first_format_is_upgraded_by_the_lead(t):
    from tests.unit.test_store import as_format_1

    alice = t.open("alice")
    (first,) = alice.team.claim(1)
    alice.label(first, "cat")
    alice.close()
    with t.lead.store._write() as cur:  # team mode as the first release left it
        cur.execute("DROP TRIGGER wb_check ON events")
        cur.execute("DROP TABLE value_rules")
    as_format_1(t.lead.store)
    t.lead.close()
    with pytest.raises(PermissionDenied, match="only the project's lead"):
        wb.Project(t.urls["alice"])  # a member cannot upgrade it
    lead = wb.Project(t.lead.store._conninfo)  # the lead can, on opening it
    alice = wb.Project(t.urls["alice"])
    try:
        (second,) = alice.team.claim(1)
        alice.label(second, "dog")
        with pytest.raises(StoreError, match="refused"):  # the value check is back
            sql(alice, "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, "
                       "schema_version, created_at) VALUES (%s, 'label', '\"fish\"', 'alice', "
                       "'label', 'annotate', '', 1, 0)", (second,))  # fmt: skip
        with pytest.raises(PermissionDenied):
            sql(alice, "SELECT * FROM item_state")
        assert dict(zip(lead.labels()["item_id"], lead.labels()["label"], strict=True)) == {
            first: "cat",
            second: "dog",
        }
    finally:
        alice.close()
        lead.close()


def test_the_widgets_open_for_an_annotator_who_may_not_read_the_queue(lead_url):
    """Blind annotators read neither item_state nor others' events: the widgets
    show them the pool's progress and their own decisions, and the drawing
    widget's out-of-order resend check uses their own log."""
    from workbench.stream import AnnotateStream

    schema = wb.Schema((wb.Shapes("boxes", classes=("car",), types=("box",)),))
    lead = wb.Project(lead_url, schema=schema)
    lead.add_texts([f"t{k}" for k in range(4)], ids=[f"i{k}" for k in range(4)])
    team = lead.team.setup(overlap=1, gold_share=0.0)
    alice = wb.Project(team.add_user("alice", "annotator"))
    team.fill()
    try:
        with pytest.raises(PermissionDenied):
            alice.progress("boxes")  # the queue is not hers to read ...
        widget = alice.annotate()  # ... and the widget opens anyway
        assert widget.progress == {"done": 0, "total": 4}
        stream = AnnotateStream(alice)
        (reply, _), = stream.handle({"type": "need", "client_id": "v", "req": 1, "n": 1,
                                     "exclude": []})  # fmt: skip
        iid = reply["items"][0]["item_id"]
        box = {"type": "box", "class": "car", "bbox": [1, 1, 2, 2]}

        def label(seq: int, bbox: list[float]):
            ((ack, _),) = stream.handle({"type": "label", "client_id": "v", "seq": seq,
                                         "item_id": iid, "kind": "label",
                                         "value": [{**box, "bbox": bbox}]})  # fmt: skip
            return ack

        newer = label(2, [1, 1, 3, 3])
        assert newer["type"] == "ack" and not newer.get("superseded")
        older = label(1, [1, 1, 2, 2])  # a resend that arrives after a newer snapshot
        assert older["type"] == "ack" and older["superseded"]
        assert older["event_id"] == newer["event_id"]
        assert alice.team.my_values("boxes", [iid])[iid][1][0]["bbox"] == [1, 1, 3, 3]
        assert stream.count() == (1, 4)
    finally:
        alice.close()
        lead.close()
