"""The annotation store, on SQLite and PostgreSQL alike (see the ``store`` fixture)."""

from __future__ import annotations

import itertools
import json
import multiprocessing as mp
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import PermissionDenied, StoreError, UnknownItemError
from workbench.store import Event, ItemRecord, open_store
from workbench.store.base import STORE_FORMAT
from workbench.store.postgres import EVENT_CHECKS, PostgresStore

TASK = "animal"


def records(ids, kind="text"):
    return [ItemRecord(i, kind, text=f"text of {i}") for i in ids]


def add(store, n=6, prefix="i", tasks=(TASK,)):
    ids = [f"{prefix}{k}" for k in range(n)]
    store.add_items(records(ids), list(tasks))
    return ids


def put(store, item_id, value=None, *, kind="label", task=TASK, **fields) -> int:
    """Append one event and return its id."""
    ev = Event(item_id, task, value, kind=kind, annotator=fields.pop("annotator", "ann"), **fields)
    (appended,) = store.append([ev])
    assert not appended.duplicate
    return appended.id


def current_map(store, task=TASK, **kw) -> dict:
    df = store.current(task, **kw)
    return dict(zip(df["item_id"], df["value"], strict=True))


# -- items --------------------------------------------------------------------------
def test_adding_items_twice_adds_nothing(store):
    assert store.add_items(records(["a", "b", "c"]), [TASK]) == 3
    assert store.add_items(records(["a", "b", "c"]), [TASK]) == 0
    assert store.add_items(records(["c", "d", "d", "a", "e"]), [TASK]) == 2
    assert store.count_items() == 5
    assert store.item_ids() == ["a", "b", "c", "d", "e"]
    assert store.progress(TASK) == (0, 5)
    assert store.add_items([], [TASK]) == 0


def test_get_items_keeps_order_and_fields(store):
    store.add_items(
        [
            ItemRecord("x", "image", uri="file:///x.png", meta={"w": 3, "tags": ["a"]}),
            ItemRecord("y", "text", text="héllo ✓"),
        ],
        [TASK],
    )
    y, x = store.get_items(["y", "x"])
    assert x == ItemRecord("x", "image", uri="file:///x.png", meta={"w": 3, "tags": ["a"]})
    assert y == ItemRecord("y", "text", text="héllo ✓")
    assert store.missing_items(["x", "nope", "y", "nope"]) == ["nope"]


def test_get_items_names_a_missing_id(store):
    add(store, 2)
    with pytest.raises(UnknownItemError, match="'ghost'"):
        store.get_items(["i0", "ghost", "i1"])


def test_many_items_in_chunks(store):
    ids = [f"item-{k:05d}" for k in range(1234)]
    assert store.add_items(records(ids), [TASK]) == 1234
    assert store.missing_items(ids[::-1]) == []
    assert [r.item_id for r in store.get_items(ids[::-1])] == ids[::-1]
    assert store.next_unlabeled(TASK, 3) == ids[:3]


def test_bulk_items_and_priorities_round_trip(store):
    # Large batches take the bulk paths (COPY and array parameters on PostgreSQL).
    texts = ["tab\there", "line\nbreak", "back\\slash \\N", "", "quote ' \" é ✓", None]
    recs = [
        ItemRecord(f"b{k:04d}", "text", text=texts[k % len(texts)], meta={"k": k} if k % 2 else {})
        for k in range(900)
    ]
    assert store.add_items(recs, [TASK]) == 900
    assert store.add_items(recs[::-1], [TASK]) == 0
    assert store.get_items([r.item_id for r in recs]) == recs
    prio = {r.item_id: float((k * 37) % 900) for k, r in enumerate(recs)}
    store.set_priority(TASK, prio)
    want = sorted(prio, key=lambda i: (-prio[i], i))
    assert store.next_unlabeled(TASK, 900) == want
    store.set_priority(TASK, {want[-1]: 1e9})
    assert store.next_unlabeled(TASK, 2) == [want[-1], want[0]]


# -- schema -------------------------------------------------------------------------
def test_schema_versions(store):
    assert store.latest_schema() is None
    body = {"tasks": [{"name": TASK, "classes": ["cat", "dog"]}]}
    assert store.save_schema(body) == 1
    assert store.save_schema({"tasks": [{"classes": ["cat", "dog"], "name": TASK}]}) == 1
    changed = {"tasks": [{"name": TASK, "classes": ["cat", "dog", "bird"]}]}
    assert store.save_schema(changed) == 2
    assert store.save_schema(changed) == 2
    assert store.latest_schema() == (2, changed)
    versions = store.schema_versions()
    assert [(v, b) for v, b, _ in versions] == [(1, body), (2, changed)]
    assert versions[0][2] <= versions[1][2]


# -- events -------------------------------------------------------------------------
def test_append_current_history_and_events(store):
    ids = add(store, 3)
    e1 = put(store, ids[0], "cat", duration_ms=1200, schema_version=1, note="sure")
    e2 = put(store, ids[1], {"boxes": [[0.5, 1.25, 3, 4]]}, annotator="bob")
    e3 = put(store, ids[0], "dog")
    assert e1 < e2 < e3
    cur = store.current(TASK)
    assert cur["item_id"].tolist() == ids[:2]  # insertion order
    assert cur["value"].tolist() == ["dog", {"boxes": [[0.5, 1.25, 3, 4]]}]
    assert cur["id"].tolist() == [e3, e2]
    assert cur["annotator"].tolist() == ["ann", "bob"]
    hist = store.events(item_id=ids[0])
    assert hist["id"].tolist() == [e1, e3]
    assert hist["value"].tolist() == ["cat", "dog"]
    first = hist.iloc[0]
    assert (first.kind, first.tier, first.note, first.duration_ms) == (
        "label",
        "annotate",
        "sure",
        1200,
    )
    assert first.schema_version == 1
    assert str(hist["created_at"].dtype).startswith("datetime64")
    log = store.events()
    assert log["id"].tolist() == [e1, e2, e3]
    assert store.current_values(TASK, ids) == {
        ids[0]: ("label", "dog"),
        ids[1]: ("label", {"boxes": [[0.5, 1.25, 3, 4]]}),
    }
    assert store.progress(TASK) == (2, 3)


def test_append_to_an_unknown_item_writes_nothing(store):
    ids = add(store, 2)
    with pytest.raises(UnknownItemError, match="'ghost'"):
        store.append([Event(i, TASK, "cat", annotator="ann") for i in (ids[0], "ghost")])
    with pytest.raises(UnknownItemError, match="'ghost'"):
        store.append([Event("ghost", TASK, "cat", annotator="ann", client_id="c", seq=1)])
    assert store.events().empty
    put(store, ids[1], "dog")  # the store is still usable
    assert store.progress(TASK) == (1, 2)


def test_retracting_an_event_that_does_not_exist_is_refused(store):
    ids = add(store, 1)
    with pytest.raises(StoreError, match="refused"):
        store.append([Event(ids[0], TASK, None, kind="retract", annotator="ann", parent=999_999)])
    assert store.events().empty


def test_resending_the_same_client_seq_stores_it_once(store):
    ids = add(store, 2)
    ev = dict(annotator="ann", client_id="tab-1", seq=7)
    (first,) = store.append([Event(ids[0], TASK, "cat", **ev)])
    (again,) = store.append([Event(ids[0], TASK, "cat", **ev)])
    assert not first.duplicate and again.duplicate and again.id == first.id
    # A resend inside one batch, next to a new event, is also dropped.
    out = store.append(
        [Event(ids[1], TASK, "dog", annotator="ann", client_id="tab-1", seq=8),
         Event(ids[0], TASK, "cat", **ev)]
    )  # fmt: skip
    assert [a.duplicate for a in out] == [False, True] and out[1].id == first.id
    assert len(store.events()) == 2
    assert store.find_event("tab-1", 7) == first.id
    assert store.find_event("tab-1", 9) is None
    assert store.find_event("tab-2", 7) is None
    # The same seq from another client is another event.
    (other,) = store.append([Event(ids[0], TASK, "dog", annotator="ann", client_id="tab-2", seq=7)])
    assert not other.duplicate
    assert current_map(store)[ids[0]] == "dog"


def test_retract_falls_back_to_the_previous_label(store):
    ids = add(store, 3)
    a = put(store, ids[0], "A")
    b = put(store, ids[0], "B")
    assert current_map(store) == {ids[0]: "B"}
    put(store, ids[0], kind="retract", parent=b)
    assert current_map(store) == {ids[0]: "A"}
    assert store.current(TASK)["id"].tolist() == [a]
    assert store.next_unlabeled(TASK, 5) == ids[1:]
    put(store, ids[0], kind="retract", parent=a)
    assert current_map(store) == {}
    assert store.next_unlabeled(TASK, 5) == ids
    assert store.progress(TASK) == (0, 3)
    # Nothing was lost: the log still holds both labels and both retractions.
    assert store.events(item_id=ids[0])["kind"].tolist() == ["label", "label", "retract", "retract"]


def test_retracting_an_older_label_keeps_the_newer(store):
    ids = add(store, 1)
    a = put(store, ids[0], "A")
    put(store, ids[0], "B")
    put(store, ids[0], kind="retract", parent=a)
    assert current_map(store) == {ids[0]: "B"}


def test_skip_leaves_the_queue_but_is_not_a_label(store):
    ids = add(store, 3)
    s = put(store, ids[1], kind="skip")
    assert store.next_unlabeled(TASK, 5) == [ids[0], ids[2]]
    assert store.current(TASK).empty
    everything = store.current(TASK, labels_only=False)
    assert everything["kind"].tolist() == ["skip"] and everything["id"].tolist() == [s]
    assert store.current_values(TASK, ids) == {ids[1]: ("skip", None)}
    assert store.progress(TASK) == (1, 3)
    put(store, ids[1], "cat")  # labeling a skipped item later replaces the skip
    assert current_map(store) == {ids[1]: "cat"}


def test_prelabels_latest_wins_and_retract(store):
    ids = add(store, 3)
    p1 = put(store, ids[0], "cat", kind="prelabel", annotator="model:m@1", score=0.6)
    p2 = put(store, ids[0], "dog", kind="prelabel", annotator="model:m@2", score=0.9)
    put(store, ids[1], "bird", kind="prelabel", annotator="model:m@1")
    assert store.prelabels(TASK, ids) == {ids[0]: ("dog", 0.9), ids[1]: ("bird", None)}
    # A pre-label is a suggestion: the item stays unlabeled and in the queue.
    assert store.current(TASK, labels_only=False).empty
    assert store.next_unlabeled(TASK, 5) == ids
    put(store, ids[0], kind="retract", parent=p2)
    assert store.prelabels(TASK, ids[:1]) == {ids[0]: ("cat", 0.6)}
    put(store, ids[0], kind="retract", parent=p1)
    assert store.prelabels(TASK, ids) == {ids[1]: ("bird", None)}
    # Labeling does not touch the pre-label.
    put(store, ids[1], "cat")
    assert store.prelabels(TASK, ids) == {ids[1]: ("bird", None)}


def test_state_event_ids_follow_labels_skips_and_retracts(store):
    ids = add(store, 3)
    a = put(store, ids[0], "cat")
    put(store, ids[1], "dog", kind="prelabel", annotator="model:m@1")
    assert store.state_event_ids(TASK, ids) == {ids[0]: a}
    b = put(store, ids[0], "dog")
    s = put(store, ids[2], kind="skip")
    assert store.state_event_ids(TASK, ids) == {ids[0]: b, ids[2]: s}
    put(store, ids[0], kind="retract", parent=b)
    assert store.state_event_ids(TASK, ids[:1]) == {ids[0]: a}


# -- queue ----------------------------------------------------------------------------
def test_next_unlabeled_by_priority_then_position(store):
    ids = add(store, 8)
    assert store.next_unlabeled(TASK, 3) == ids[:3]
    store.set_priority(TASK, {ids[5]: 2.0, ids[3]: 1.0, ids[6]: 1.0, ids[0]: -1.0})
    assert store.next_unlabeled(TASK, 8) == [ids[5], ids[3], ids[6], ids[1], ids[2], ids[4],
                                             ids[7], ids[0]]  # fmt: skip
    assert store.next_unlabeled(TASK, 3, exclude=[ids[3], ids[1]]) == [ids[5], ids[6], ids[2]]
    put(store, ids[5], "cat")
    assert store.next_unlabeled(TASK, 2) == [ids[3], ids[6]]
    # Items not named keep their priority.
    store.set_priority(TASK, {ids[1]: 5.0})
    assert store.next_unlabeled(TASK, 3) == [ids[1], ids[3], ids[6]]
    assert store.next_unlabeled(TASK, 0) == []
    assert store.next_unlabeled("no-such-task", 3) == []


# -- gallery pages --------------------------------------------------------------------
def page(store, flt="all", label=None, offset=0, limit=100, task=TASK):
    return store.page_items(task, offset=offset, limit=limit, filter=flt, label=label)


def test_page_items_all_and_unlabeled(store):
    ids = add(store, 10)
    assert page(store, limit=4) == (ids[:4], 10)
    assert page(store, offset=8, limit=4) == (ids[8:], 10)
    assert page(store, offset=10, limit=4) == ([], 10)
    assert page(store, offset=99, limit=4) == ([], 10)
    assert page(store, limit=0) == ([], 10)
    put(store, ids[1], "cat")
    put(store, ids[4], kind="skip")
    put(store, ids[6], "dog", kind="prelabel")  # a pre-label leaves the item unlabeled
    assert page(store, "unlabeled", limit=3) == ([ids[0], ids[2], ids[3]], 8)
    assert page(store, "unlabeled", offset=3, limit=3) == ([ids[5], ids[6], ids[7]], 8)
    assert page(store, "unlabeled", offset=6, limit=3) == ([ids[8], ids[9]], 8)
    # Unlabeled pages follow the queue: priority first, as next_unlabeled serves them.
    store.set_priority(TASK, {ids[9]: 1.0})
    assert page(store, "unlabeled", limit=3) == ([ids[9], ids[0], ids[2]], 8)
    assert page(store, "unlabeled", limit=8)[0] == store.next_unlabeled(TASK, 8)
    assert page(store, limit=10) == (ids, 10), "all stays in insertion order"
    assert page(store, task="no-such-task") == ([], 0)
    assert page(store, "unlabeled", task="no-such-task") == ([], 0)


def test_page_items_by_class_single_label(store):
    ids = add(store, 8)
    for i, v in [(0, "cat"), (1, "dog"), (2, "Cat"), (3, "cats"), (5, "cat"), (6, "a cat")]:
        put(store, ids[i], v)
    put(store, ids[7], "cat", kind="prelabel")
    put(store, ids[4], "cat", task="other")
    assert page(store, "label", "cat") == ([ids[0], ids[5]], 2)
    assert page(store, "label", "Cat") == ([ids[2]], 1), "case-sensitive"
    assert page(store, "label", "ca") == ([], 0)
    assert page(store, "label", "cat", offset=1, limit=1) == ([ids[5]], 2)
    assert page(store, "label", "cat", task="other") == ([ids[4]], 1)
    # Review kinds carry labels too; skip / ambiguous / send-back do not.
    put(store, ids[1], "cat", kind="review-correct", tier="review")
    put(store, ids[5], "cat", kind="send-back", tier="review")
    assert page(store, "label", "cat") == ([ids[0], ids[1]], 2)
    assert page(store, "label", "dog") == ([], 0)
    put(store, ids[6], "cat", kind="review-accept", tier="review")
    assert page(store, "label", "cat")[0] == [ids[0], ids[1], ids[6]]


def test_page_items_multi_label_matches_whole_classes(store):
    ids = add(store, 9)
    values = [
        ["a"],
        ["ab"],
        ["b", "a"],
        ["ba", "b"],
        ["b", "a", "c"],
        ['x", "a'],
        ["a b"],
        [],
        ["A"],
    ]
    for iid, v in zip(ids, values, strict=True):
        put(store, iid, v)
    assert page(store, "label", "a") == ([ids[0], ids[2], ids[4]], 3)
    assert page(store, "label", "b") == ([ids[2], ids[3], ids[4]], 3)
    assert page(store, "label", "ab") == ([ids[1]], 1)
    assert page(store, "label", "c") == ([ids[4]], 1)
    assert page(store, "label", 'x", "a') == ([ids[5]], 1)
    assert page(store, "label", "a b") == ([ids[6]], 1)
    assert page(store, "label", "A") == ([ids[8]], 1)
    for absent in ("x", "", "a%", "_", "[", '"a"', "a]"):
        assert page(store, "label", absent) == ([], 0), absent


def test_page_items_follow_relabels_and_retractions(store):
    ids = add(store, 4)
    e1 = put(store, ids[2], "cat")
    assert page(store, "label", "cat") == ([ids[2]], 1)
    e2 = put(store, ids[2], "dog")
    assert page(store, "label", "cat") == ([], 0)
    assert page(store, "label", "dog") == ([ids[2]], 1)
    put(store, ids[2], kind="retract", parent=e2)  # undo: back to cat
    assert page(store, "label", "cat") == ([ids[2]], 1)
    assert page(store, "label", "dog") == ([], 0)
    assert page(store, "unlabeled") == ([ids[0], ids[1], ids[3]], 3)
    put(store, ids[2], kind="retract", parent=e1)  # nothing left: unlabeled again
    assert page(store, "label", "cat") == ([], 0)
    assert page(store, "unlabeled") == (ids, 4)
    put(store, ids[0], ["cat", "dog"])
    assert page(store, "label", "cat") == page(store, "label", "dog") == ([ids[0]], 1)
    assert page(store, "unlabeled") == (ids[1:], 3)


def test_page_items_arguments(store):
    add(store, 2)
    with pytest.raises(ValueError, match="filter"):
        page(store, "cat")
    with pytest.raises(ValueError, match="label"):
        page(store, "label")
    with pytest.raises(ValueError, match="label"):
        page(store, "all", "cat")
    with pytest.raises(ValueError, match="offset"):
        page(store, offset=-1)


def test_progress_and_tasks(store):
    ids = add(store, 4)
    store.ensure_tasks([TASK, "colour"])
    store.ensure_tasks([TASK, "colour"])
    assert store.progress("colour") == (0, 4)
    put(store, ids[0], "red", task="colour")
    put(store, ids[2], kind="ambiguous", task="colour")
    assert store.progress("colour") == (2, 4)
    assert store.progress(TASK) == (0, 4)
    assert store.next_unlabeled("colour", 5) == [ids[1], ids[3]]
    both = store.current(None)
    assert list(zip(both["task"], both["item_id"], strict=True)) == [("colour", ids[0])]


def test_a_label_for_a_task_with_no_queue_row(store):
    # Events for a task that ensure_tasks has not seen create the queue row on the fly.
    ids = add(store, 2)
    e = put(store, ids[1], "x", task="late")
    assert current_map(store, "late") == {ids[1]: "x"}
    put(store, ids[1], kind="retract", task="late", parent=e)
    assert current_map(store, "late") == {}
    put(store, ids[0], kind="retract", task="later", parent=e)
    assert store.current(None, labels_only=False).empty


def test_events_until_is_a_watermark(store):
    ids = add(store, 3)
    e1 = put(store, ids[0], "a")
    e2 = put(store, ids[1], "b")
    mark = int(store.events()["id"].max())
    put(store, ids[2], "c")
    put(store, ids[0], kind="retract", parent=e1)
    assert store.events(until=mark)["id"].tolist() == [e1, e2]
    assert store.events(until=mark, item_id=ids[0])["id"].tolist() == [e1]
    assert store.events(until=0).empty
    assert len(store.events()) == 4


# -- opening --------------------------------------------------------------------------
def test_reopening_keeps_project_id_and_data(store_location):
    s = open_store(store_location)
    ids = add(s, 3)
    s.save_schema({"v": 1})
    e = put(s, ids[1], "cat", client_id="c", seq=1)
    pid = s.project_id
    s.close()
    s = open_store(store_location)
    try:
        assert s.project_id == pid and len(pid) == 32
        assert s.item_ids() == ids
        assert s.latest_schema() == (1, {"v": 1})
        assert current_map(s) == {ids[1]: "cat"}
        assert s.find_event("c", 1) == e
        assert s.next_unlabeled(TASK, 5) == [ids[0], ids[2]]
    finally:
        s.close()


def as_format_1(s) -> None:
    """Turn ``s``'s tables back into what the first release wrote (format 1): the
    idempotency key without the annotator, no gallery index and, on PostgreSQL,
    no state trigger and no checks on events."""
    with s._write() as cur:
        cur.execute("DROP INDEX events_idempotency")
        cur.execute(
            "CREATE UNIQUE INDEX events_client_seq ON events (client_id, seq) "
            "WHERE client_id IS NOT NULL"
        )
        cur.execute("DROP INDEX item_state_position")
        if isinstance(s, PostgresStore):
            cur.execute("DROP TRIGGER wb_apply ON events")
            cur.execute("DROP FUNCTION wb_apply_event()")
            for name in EVENT_CHECKS:
                cur.execute(f"ALTER TABLE events DROP CONSTRAINT {name}")
        cur.execute(s._sql("UPDATE meta SET value = '1' WHERE key = 'format'"))


def test_reopening_a_format_1_store_upgrades_it(store_location):
    s = open_store(store_location)
    ids = add(s, 3)
    e = put(s, ids[1], "cat", client_id="c", seq=1)
    as_format_1(s)
    s.close()
    s = open_store(store_location)
    try:
        assert s._stored_format()[0] == STORE_FORMAT == 2
        with s._read() as cur:
            for index in ("item_state_position", "events_idempotency"):
                assert s._has_table(cur, index)
            assert not s._has_table(cur, "events_client_seq")
        assert page(s, limit=2) == (ids[:2], 3)
        assert current_map(s) == {ids[1]: "cat"} and s.find_event("c", 1, "ann") == e
        # The new key: another annotator may use the same client id and number.
        other = s.append([Event(ids[2], TASK, "dog", annotator="bob", client_id="c", seq=1)])
        assert not other[0].duplicate and current_map(s) == {ids[1]: "cat", ids[2]: "dog"}
    finally:
        s.close()


def test_two_stores_get_different_project_ids(tmp_path):
    a, b = open_store(tmp_path / "a.db"), open_store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        assert a.project_id != b.project_id
    finally:
        a.close()
        b.close()


def test_a_newer_store_format_is_refused(store_location):
    s = open_store(store_location)
    with s._write() as cur:
        cur.execute(s._sql("UPDATE meta SET value = ? WHERE key = 'format'"), ("99",))
    s.close()
    with pytest.raises(StoreError, match=f"newer workbench.*format 99.*up to {STORE_FORMAT}"):
        open_store(store_location)


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some bytes \x00\x01\x02" * 100)
    with pytest.raises(StoreError, match="not a workbench store"):
        open_store(junk)


# -- PostgreSQL only ------------------------------------------------------------------
@pytest.mark.postgres
def test_postgres_permission_denied_is_an_exception_not_an_empty_result(pg_cluster, pg_url):
    s = open_store(pg_url)
    ids = add(s, 2)
    put(s, ids[0], "cat")
    s.close()
    dbname = pg_url.split("/")[3].split("?")[0]
    role = f"reader_{dbname[-8:]}"
    pg_cluster.admin(f"CREATE ROLE {role} LOGIN")
    reader_url = pg_cluster.url(dbname, user=role)
    with pytest.raises(PermissionDenied, match="permission denied"):
        open_store(reader_url)  # may not even read the store's format
    pg_cluster.admin(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}", dbname=dbname)
    reader = open_store(reader_url)  # opening does not need CREATE once the tables exist
    try:
        assert current_map(reader) == {ids[0]: "cat"}
        with pytest.raises(PermissionDenied):
            put(reader, ids[1], "dog")
        assert reader.progress(TASK) == (1, 2)  # the connection is usable after a refusal
    finally:
        reader.close()


@pytest.mark.postgres
def test_postgres_url_password_is_not_shown(pg_cluster):
    from workbench.store.postgres import redact

    assert redact("postgresql://ann:s3cret@db:5432/wb") == "postgresql://ann:***@db:5432/wb"
    assert redact("postgresql://db/wb?password=s3cret&x=1") == "postgresql://db/wb?password=***&x=1"
    with pytest.raises(StoreError) as info:
        open_store(pg_cluster.url("no_such_db").replace("postgres@", "postgres:s3cret@"))
    assert "s3cret" not in str(info.value)
    assert "cannot reach" in str(info.value)


@pytest.mark.postgres
def test_postgres_reconnects_after_the_server_drops_the_connection(pg_cluster, pg_url):
    s = open_store(pg_url)
    try:
        ids = add(s, 2)
        pid = s._conn.info.backend_pid
        pg_cluster.admin("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreError):
            s.count_items()  # the call in flight fails ...
        assert s.count_items() == 2  # ... the next one reconnects
        put(s, ids[0], "cat")
        assert current_map(s) == {ids[0]: "cat"}
    finally:
        s.close()


# -- concurrency ----------------------------------------------------------------------
N_WRITERS = 4
N_LABELS = 300
CLASSES = ("cat", "dog", "bird")


def _writer(location: str, worker: int, barrier, results) -> None:
    try:
        barrier.wait(60)
        store = open_store(location)  # four processes create the tables at once
        ids = [f"item{k:04d}" for k in range(N_LABELS)]
        store.add_items(records(ids), [TASK])  # ... and add the same items at once
        barrier.wait(60)
        client = f"client-{worker}"
        out = []
        for seq in range(N_LABELS):
            value = CLASSES[(seq + worker) % 3]
            ev = Event(ids[seq], TASK, value, annotator=f"w{worker}", client_id=client, seq=seq)
            (a,) = store.append([ev])
            out.append((seq, a.id, a.duplicate))
            if seq % 10 == 3:  # the front end resends what it has no ack for
                again = store.append([ev, ev])
                out += [(seq, b.id, b.duplicate) for b in again]
        results.put((worker, store.project_id, out))
        store.close()
    except BaseException as exc:  # report, so the parent fails with the cause
        barrier.abort()
        results.put((worker, None, repr(exc)))


@pytest.mark.slow  # processes racing for seconds: make test runs it, test-quick does not
def test_concurrent_writers_lose_and_duplicate_nothing(store_location):
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(N_WRITERS), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(store_location, w, barrier, results))
        for w in range(N_WRITERS)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    errors = [r for r in got if r[1] is None]
    assert not errors, errors
    assert len({pid for _, pid, _ in got}) == 1

    store = open_store(store_location)
    try:
        assert store.count_items() == N_LABELS
        log = store.events()
        assert len(log) == N_WRITERS * N_LABELS
        assert log["id"].is_unique and log["id"].is_monotonic_increasing
        expected = {
            (f"client-{w}", seq, CLASSES[(seq + w) % 3])
            for w in range(N_WRITERS)
            for seq in range(N_LABELS)
        }
        stored = set(zip(log["client_id"], log["seq"].astype(int), log["value"], strict=True))
        assert stored == expected
        keys = zip(log["client_id"], log["seq"].astype(int), strict=True)
        ids_by_key = dict(zip(keys, log["id"], strict=True))
        for worker, _, out in got:
            firsts = [(seq, eid) for seq, eid, dup in out if not dup]
            assert len(firsts) == N_LABELS  # each label written once, every resend a duplicate
            for seq, eid, _ in out:
                assert ids_by_key[(f"client-{worker}", seq)] == eid
        # Latest wins by id, even when ids were handed out to racing processes.
        latest = log.sort_values("id").groupby("item_id")["id"].last()
        cur = store.current(TASK)
        assert dict(zip(cur["item_id"], cur["id"], strict=True)) == latest.to_dict()
        assert store.progress(TASK) == (N_LABELS, N_LABELS)
    finally:
        store.close()


def test_threads_sharing_one_store(store):
    # A kernel appends from its message handler while a background thread retrains
    # and sets priorities: one store object, several threads.
    ids = add(store, 40)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            who = dict(annotator="ann", client_id=f"t{t}")
            for k in range(25):
                store.append([Event(ids[(t * 25 + k) % 40], TASK, "cat", seq=k, **who)])
                store.set_priority(TASK, {ids[k]: float(t)})
                store.next_unlabeled(TASK, 5)
                store.current(TASK)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert len(store.events()) == 100
    assert store.progress(TASK) == (40, 40)


def _opener(paths: list[str], barrier, results) -> None:
    try:
        for path in paths:
            barrier.wait(60)
            open_store(path).close()
        results.put(None)
    except BaseException as exc:
        barrier.abort()  # the others fail fast instead of waiting out the barrier
        results.put(repr(exc))


@pytest.mark.slow  # processes racing for seconds: make test runs it, test-quick does not
def test_sqlite_processes_creating_one_new_store_at_once(tmp_path):
    # Switching a new file to WAL does not wait on the busy timeout: racing
    # processes used to get "database is locked" (about 1 open in 70).
    paths = [str(tmp_path / f"s{r}.db") for r in range(25)]
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_opener, args=(paths, barrier, results)) for _ in range(4)]
    for p in procs:
        p.start()
    errors = [e for e in (results.get(timeout=120) for _ in procs) if e]
    for p in procs:
        p.join(30)
    assert not errors, errors


# -- a model of the current label -----------------------------------------------------
_counter = itertools.count()

op = st.one_of(
    st.tuples(st.just("label"), st.integers(0, 2), st.sampled_from(CLASSES)),
    st.tuples(st.just("prelabel"), st.integers(0, 2), st.sampled_from(CLASSES)),
    st.tuples(st.just("skip"), st.integers(0, 2), st.none()),
    st.tuples(st.just("retract"), st.integers(0, 50), st.none()),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(op, max_size=14))
def test_current_state_matches_a_model_of_the_log(store, ops):
    # Each example gets fresh items in the shared store, queued ahead of earlier examples'.
    run = next(_counter)
    ids = add(store, 3, prefix=f"r{run}-")
    store.set_priority(TASK, dict.fromkeys(ids, float(run)))
    log: list[tuple[int, str, str, str | None]] = []  # (id, item, kind, value)
    retracted: set[int] = set()
    for name, arg, value in ops:
        if name == "retract":
            if not log:
                continue
            eid, item, _, _ = log[arg % len(log)]
            put(store, item, kind="retract", parent=eid)
            retracted.add(eid)
        else:
            item = ids[arg]
            log.append((put(store, item, value, kind=name), item, name, value))

    def latest(item, kinds):
        live = [e for e in log if e[1] == item and e[2] in kinds and e[0] not in retracted]
        return max(live) if live else None

    want_state = {i: e for i in ids if (e := latest(i, ("label", "skip")))}
    want_pre = {i: e for i in ids if (e := latest(i, ("prelabel",)))}
    assert store.current_values(TASK, ids) == {i: (e[2], e[3]) for i, e in want_state.items()}
    assert {i: v for i, (v, _) in store.prelabels(TASK, ids).items()} == {
        i: e[3] for i, e in want_pre.items()
    }
    labels = store.current(TASK)
    labels = labels[labels["item_id"].isin(ids)]
    assert dict(zip(labels["item_id"], labels["id"], strict=True)) == {
        i: e[0] for i, e in want_state.items() if e[2] == "label"
    }
    want_queue = [i for i in ids if i not in want_state]
    assert store.next_unlabeled(TASK, 3)[: len(want_queue)] == want_queue


def test_get_event_returns_one_decoded_event(store):
    ids = add(store, 2)
    eid = put(store, ids[1], ["a", "b"], note="both", client_id="c", seq=4, score=0.5)
    ev = store.get_event(eid)
    assert (ev.id, ev.item_id, ev.task, ev.value, ev.note) == (
        eid,
        ids[1],
        TASK,
        ["a", "b"],
        "both",
    )
    assert (ev.client_id, ev.seq, ev.score, ev.kind) == ("c", 4, 0.5, "label")
    assert ev.created_at > 0
    assert store.get_event(eid + 1000) is None


def test_watermark_is_the_newest_settled_event(store):
    assert store.watermark() == 0
    ids = add(store, 2)
    put(store, ids[0], "a")
    e2 = put(store, ids[1], "b")
    assert store.watermark() == e2
    assert store.events(until=store.watermark())["id"].max() == e2


@pytest.mark.postgres
def test_postgres_watermark_waits_for_labels_in_flight(pg_url):
    # Labels commit side by side (each insert's ROW EXCLUSIVE lock is the shared
    # lock): a watermark must not be taken while one with a lower id is in flight.
    import psycopg

    s = open_store(pg_url)
    ids = add(s, 2)
    put(s, ids[0], "a")
    conn = psycopg.connect(pg_url)
    (in_flight,) = conn.execute(
        "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, created_at) "
        "VALUES (%s, %s, '\"b\"', 'x', 'label', 'annotate', '', 0) RETURNING id",
        (ids[1], TASK),
    ).fetchone()
    later = put(s, ids[0], "c")  # a label beside it: shared, not blocked
    assert later > in_flight
    got: list[int] = []
    t = threading.Thread(target=lambda: got.append(s.watermark()))
    t.start()
    t.join(1.0)
    assert t.is_alive() and not got  # waits for the label in flight ...
    conn.commit()
    t.join(30)
    assert got == [later]  # ... and then sees it: "up to N" will not change
    conn.close()
    s.close()


def test_a_row_that_cannot_be_decoded_is_skipped_and_named_never_fatal(store_location):
    """Rows an older release (or someone bypassing the API) left in the log: a value
    that is not JSON, a duration that is text, a time that is not a number. Every
    read skips them, warns naming each, and returns the rest."""
    from workbench.errors import UnreadableEventWarning

    s = open_store(store_location)
    try:
        ids = add(s, 4)
        good = put(s, ids[0], "cat")
        rows = [(ids[1], "not json", "900", 0.0), (ids[2], '"dog"', "abc", 0.0),
                (ids[3], '"bird"', "5", "yesterday")]  # fmt: skip
        bad_ids = []
        with s._write() as cur:
            if isinstance(s, PostgresStore):  # its columns are typed: only the value can rot
                cur.execute("ALTER TABLE events DISABLE TRIGGER USER")
                rows = rows[:1]
            for iid, value, duration, created in rows:
                cur.execute(
                    s._sql(
                        "INSERT INTO events (item_id, task, value, annotator, kind, tier, note, "
                        "duration_ms, created_at) VALUES (?, ?, ?, 'mallory', 'label', "
                        "'annotate', '', ?, ?)"
                    ),
                    (iid, TASK, value, int(duration) if isinstance(s, PostgresStore) else duration,
                     created),
                )  # fmt: skip
                cur.execute(s._sql("SELECT MAX(id) FROM events"))
                bad_ids.append(cur.fetchone()[0])
                cur.execute(
                    s._sql("UPDATE item_state SET state_event = ? WHERE task = ? AND item_id = ?"),
                    (bad_ids[-1], TASK, iid),
                )
            if isinstance(s, PostgresStore):
                cur.execute("ALTER TABLE events ENABLE TRIGGER USER")
        named = f"event {bad_ids[0]} on item 'i1' by 'mallory'"
        reads = {
            "events()": s.events,
            "current()": lambda: s.current(TASK),
            "current_values()": lambda: s.current_values(TASK, ids),
            "one item's events": lambda: s.events(item_id=ids[1]),
        }
        for _what, read in reads.items():
            with pytest.warns(UnreadableEventWarning, match=named):
                read()
        with pytest.warns(UnreadableEventWarning):
            assert s.events()["id"].tolist() == [good]
            assert current_map(s) == {ids[0]: "cat"}
        with pytest.warns(UnreadableEventWarning):
            assert s.get_event(bad_ids[0]) is None
        assert s.get_event(good).value == "cat"
    finally:
        s.close()


# -- a model of the log's interpretation (Store.live_events ... open_reviews) ---------
PEOPLE = ("ann", "bob", "cy")
log_op = st.one_of(
    st.tuples(
        st.sampled_from(["label", "skip", "ambiguous"]),
        st.integers(0, 2),
        st.sampled_from(PEOPLE),
        st.sampled_from(["annotate", "annotate", "review"]),
        st.sampled_from([*CLASSES, ["a", "b"], ["b", "a"]]),
    ),
    st.tuples(
        st.sampled_from(["review-accept", "review-correct", "send-back", "prelabel"]),
        st.integers(0, 2),
        st.sampled_from(PEOPLE),
        st.sampled_from(["review", "qa", "annotate"]),
        st.sampled_from(CLASSES),
    ),
    st.tuples(
        st.just("retract"), st.integers(0, 60), st.sampled_from(PEOPLE), st.none(), st.none()
    ),  # fmt: skip
)


def model_interpretation(log, retracted, ids):
    """The rules of the log (Store's "the log, interpreted"), in plain Python."""
    live = [e for e in log if e["id"] not in retracted]

    def latest_per(kinds, tier):
        out: dict[tuple[str, str], dict] = {}
        first: dict[tuple[str, str], int] = {}
        for e in live:
            if e["kind"] in kinds and (tier is None or e["tier"] == tier):
                key = (e["item"], e["ann"])
                out[key] = e
                first.setdefault(key, e["id"])
        return out, first

    labels, _ = latest_per(("label", "review-correct"), None)
    decisions, first = latest_per(("label", "ambiguous", "skip"), "annotate")
    state = {}
    for e in live:
        if e["kind"] not in ("prelabel",):
            state[e["item"]] = e
    opened: dict[str, set] = {}
    for item in ids:
        mine = {a: e for (i, a), e in decisions.items() if i == item}
        keys = {
            json.dumps(sorted(e["value"]) if isinstance(e["value"], list) else e["value"])
            for e in mine.values()
            if e["kind"] == "label"
        }
        reviews = [
            e["id"] for e in live if e["item"] == item and (
                e["kind"] in ("review-accept", "review-correct", "send-back")
                or (e["kind"] == "ambiguous" and e["tier"] != "annotate")
            )
        ]  # fmt: skip
        if len(keys) > 1 and max(reviews, default=0) < max(e["id"] for e in mine.values()):
            opened.setdefault(item, set()).add("disagreement")
        s = state.get(item)
        if s is not None and s["kind"] == "ambiguous" and s["tier"] == "annotate":
            opened.setdefault(item, set()).add("ambiguous")
    return live, labels, decisions, first, {i: tuple(sorted(r)) for i, r in opened.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(log_op, max_size=16))
def test_the_log_interpretation_matches_a_model(store, ops):
    run = next(_counter)
    ids = add(store, 3, prefix=f"m{run}-")
    log: list[dict] = []
    retracted: set[int] = set()
    for kind, arg, who, tier, value in ops:
        if kind == "retract":
            if not log:
                continue
            target = log[arg % len(log)]
            put(store, target["item"], kind="retract", parent=target["id"], annotator=who)
            retracted.add(target["id"])
            continue
        item = ids[arg]
        eid = put(store, item, value, kind=kind, annotator=who, tier=tier)
        log.append({"id": eid, "item": item, "kind": kind, "ann": who, "tier": tier,
                    "value": value})  # fmt: skip
    live, labels, decisions, first, opened = model_interpretation(log, retracted, ids)

    got = store.live_events(TASK, item_ids=ids)
    assert list(got["id"]) == [e["id"] for e in live]
    assert list(store.item_history(ids[0])["id"]) == [e["id"] for e in live if e["item"] == ids[0]]
    assert list(store.live_events(TASK, item_ids=ids, kinds=["skip"])["id"]) == [
        e["id"] for e in live if e["kind"] == "skip"
    ]

    order = {iid: k for k, iid in enumerate(ids)}
    got = store.annotator_labels(TASK, ids)
    want = sorted(labels.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    assert [(r.item_id, r.annotator, r.id, r.value) for r in got.itertuples()] == [
        (i, a, e["id"], e["value"]) for (i, a), e in want
    ]
    assert list(got.columns) == ["item_id", "annotator", "value", "id", "kind", "tier",
                                 "created_at"]  # fmt: skip

    got = store.annotator_decisions(TASK, ids)
    want = sorted(decisions.items(), key=lambda kv: (order[kv[0][0]], first[kv[0]]))
    assert [(r.item_id, r.annotator, r.kind, r.value, r.first_id) for r in got.itertuples()] == [
        (i, a, e["kind"], e["value"] if e["kind"] == "label" else None, first[(i, a)])
        for (i, a), e in want
    ]

    assert store.open_reviews(TASK, ids) == opened
    everything = store.open_reviews(TASK)
    assert {i: r for i, r in everything.items() if i in order} == opened
