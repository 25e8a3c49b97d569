"""Annotation store benchmarks, on SQLite and on PostgreSQL.

Run ``python tests/benchmarks/bench_store.py [--quick] [--sqlite-only]`` (or
``python -m tests.benchmarks bench_store``). Each figure is one JSON line:
``{"name", "value", "unit", "baseline", "ratio", ...}`` with the baseline
measured in the same run on the same data; extra fields name the back end and
its durability setting. Progress goes to stderr.

Figures, per back end:

``store.insert_ms.p50`` / ``.p99``
    One label appended through ``Store.append`` (one durable commit: SQLite
    ``synchronous=FULL``, PostgreSQL ``synchronous_commit=on`` with ``fsync``
    on), on a store already holding the full data set. Baseline: a bare
    ``INSERT`` of one integer into a one-column table, one commit each, same
    durability; the two are interleaved so both see the same disk.
``store.current_labels_s``
    ``Store.current(task)``: the current label of every item, as a DataFrame,
    over 1,000,000 events (two labels each for 500,000 items). Baseline: the
    plain query, the latest label per item by ``GROUP BY item_id`` / ``MAX(id)``
    over the log joined back for the rows, turned into the same DataFrame.
``store.next_batch_ms``
    ``Store.next_unlabeled(task, 50)`` in a 1,000,000-item project whose top
    500,000 items by priority are labeled, as after active-learning rounds.
    Target: at most 1 ms. Baseline: the naive query, unlabeled by ``NOT
    EXISTS`` over the log, then sorted by priority.
``store.gallery_page_ms``
    ``Store.page_items(task, filter="unlabeled")``: one 50-item gallery page
    halfway through the 500,000 unlabeled items of that project (page 5,000),
    with its total. Baseline: the widget's former way, ``progress`` for the
    total and the first ``offset + 50`` ids of ``next_unlabeled`` sliced.

Timings are best of 3, or of fewer when the runs took 3 s in all
(``report.best_of``; per-call medians for the next batch); the 1,000,000
rows are bulk loaded (one transaction / ``COPY``), not appended one by one.
``--quick`` uses 20,000 items to check that everything runs.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `tests` and `workbench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests import pg  # noqa: E402
from tests.benchmarks.bulk import indexes_deferred  # noqa: E402
from tests.benchmarks.report import best_of  # noqa: E402
from workbench.store import Event, Store  # noqa: E402
from workbench.store.base import (  # noqa: E402
    EVENT_COLUMNS,
    LABEL_KINDS,
    STATE_KINDS,
    _event_frame,
    _gc_paused,
)

TASK = "label"
CLASSES = ("cat", "dog", "bird", "fish")
STRIDE = 7919  # a prime: i -> i * STRIDE % n is a permutation when n is coprime with it


class Sizes:
    def __init__(self, quick: bool) -> None:
        self.items = 20_000 if quick else 1_000_000
        self.labeled = self.items // 2  # the top half by priority, two events each
        self.inserts = 300 if quick else 2_000
        self.repeats = 3
        self.batch_calls = 50 if quick else 200


# -- the data set -------------------------------------------------------------------
# Items item0000000.. with their position; item i's place in the priority order is
# rank(i) = i * STRIDE % n (0 = lowest), so the top ``labeled`` by priority are
# scattered over the ids. Each of them has two labels: a first pass over all of them
# (in id order, j = 0, 1, ...), then a relabel pass, as annotator{j % 7} with a client
# id and seq, so item_state points at the relabel.

ITEM_COLS = "item_id, kind, uri, text, meta, position, added_at"
STATE_COLS = "task, item_id, priority, position, state_event, prelabel_event"
EVENT_COLS = ", ".join(EVENT_COLUMNS)
#: The tables a bulk load fills, their secondary indexes built after the rows.
LOADED = ("items", "events", "item_state")


# The rows are made by the database itself, in one transaction, the secondary
# indexes built after them (tests/benchmarks/bulk.py). A Python generator feeding
# SQLite's executemany into kept-up indexes took twice as long.
_LABELED = (  # lab(i, j): the labeled items, j their place in the scattered order above
    "SELECT i, row_number() OVER (ORDER BY i) - 1 AS j FROM {seq} "
    "WHERE i * {stride} % {n} >= {n} - {labeled}"
)
_CLASS = (
    "CASE (i + pass) % 4 "
    + " ".join(f"WHEN {k} THEN '{json.dumps(c)}'" for k, c in enumerate(CLASSES))
    + " END"
)


def _load_sql(seq: str, pad: Callable[[str], str], real: str, s: Sizes) -> list[str]:
    """The statements that fill items, lab, events and item_state (``seq``: a query of
    column ``i`` over 0..n-1; ``pad(x)``: x zero-padded to 7 digits; ``real``: the
    floating-point type)."""
    n, lab = s.items, s.labeled
    eid = f"pass * {lab} + j + 1"
    return [
        f"INSERT INTO items ({ITEM_COLS}) SELECT 'item' || {pad('i')}, 'image', "
        f"'s3://bucket/images/' || {pad('i')} || '.jpg', NULL, NULL, i, ? FROM {seq}",
        "CREATE TEMP TABLE lab AS " + _LABELED.format(seq=seq, stride=STRIDE, n=n, labeled=lab),
        f"INSERT INTO events ({EVENT_COLS}) SELECT {eid}, 'item' || {pad('i')}, ?, {_CLASS}, "
        f"'annotator' || (j % 7), 'label', 'annotate', '', 1, 'client-' || (j % 23), {eid}, "
        f"400 + j % 3000, NULL, ? + ({eid}) * 1e-3, NULL "
        "FROM lab CROSS JOIN (SELECT 0 AS pass UNION ALL SELECT 1) AS passes ORDER BY pass, j",
        f"INSERT INTO item_state ({STATE_COLS}) SELECT ?, 'item' || {pad('i')}, "
        f"CAST(i * {STRIDE} % {n} AS {real}) / {n}, i, "
        f"CASE WHEN j IS NULL THEN NULL ELSE {lab} + j + 1 END, NULL "
        f"FROM {seq} LEFT JOIN lab USING (i) ORDER BY i",
    ]


def _params(now: float) -> list[tuple]:
    return [(now,), (), (TASK, now), (TASK,)]


def load_sqlite(path: Path, s: Sizes) -> None:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # loading only: the timed store uses FULL
    conn.execute("PRAGMA cache_size = -400000")  # 400 MB: the indexes take the rows
    seq = (
        "(WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r "
        f"WHERE i < {s.items - 1}) SELECT i FROM r) AS seq"
    )
    conn.execute("BEGIN")
    with indexes_deferred(conn.cursor(), LOADED, postgres=False):
        for sql, args in zip(_load_sql(seq, lambda x: f"printf('%07d', {x})", "REAL", s),
                             _params(time.time()), strict=True):  # fmt: skip
            conn.execute(sql, args)
    conn.execute("DROP TABLE lab")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def load_postgres(url: str, s: Sizes) -> None:
    import psycopg

    seq = f"generate_series(0::bigint, {s.items - 1}) AS seq(i)"
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            # The rows are the log and its state as the store would have them: the
            # trigger that keeps item_state as events arrive is off while they load.
            cur.execute("ALTER TABLE events DISABLE TRIGGER USER")
            # Nor are foreign keys checked row by row (the rows are consistent by
            # construction; 49 s instead of 61 s at 1,000,000): the bench cluster's
            # user is its superuser.
            cur.execute("SET session_replication_role = replica")
            with indexes_deferred(cur, LOADED, postgres=True):
                for sql, args in zip(_load_sql(seq, lambda x: f"lpad({x}::text, 7, '0')",
                                               "DOUBLE PRECISION", s),
                                     _params(time.time()), strict=True):  # fmt: skip
                    cur.execute(sql.replace("%", "%%").replace("?", "%s"), args)
            cur.execute("DROP TABLE lab")
            cur.execute("SET session_replication_role = DEFAULT")
            cur.execute("SELECT setval('events_id_seq', (SELECT MAX(id) FROM events))")
            cur.execute("ALTER TABLE events ENABLE TRIGGER USER")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


# -- measuring ----------------------------------------------------------------------
def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q / 100 * (len(xs) - 1)))]


def emit(name: str, value: float, unit: str, baseline: float, **extra) -> None:
    rec = {
        "name": name,
        "value": _sig(value),
        "unit": unit,
        "baseline": _sig(baseline),
        "ratio": _sig(value / baseline) if baseline else None,
        **extra,
    }
    print(json.dumps(rec), flush=True)


def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")  # significant digits: a ratio of 5e-5 must not print as 0


def bench_inserts(store: Store, bare: Callable[[int], None], s: Sizes, extra: dict) -> None:
    queue = store.next_unlabeled(TASK, s.inserts + 20)
    for k in range(20):  # warm up both paths (prepared statements, caches)
        store.append([Event(queue[k], TASK, "cat", annotator="bench", client_id="warm", seq=k)])
        bare(k)
    ours, base = [], []
    for k in range(s.inserts):
        ev = Event(queue[20 + k], TASK, CLASSES[k % 4], annotator="bench", client_id="bench",
                   seq=k, duration_ms=900)  # fmt: skip
        t = time.perf_counter()
        store.append([ev])
        ours.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        bare(k)
        base.append((time.perf_counter() - t) * 1e3)
    for q in (50, 99):
        emit(f"store.insert_ms.p{q}", percentile(ours, q), "ms", percentile(base, q),
             n=s.inserts, baseline_is="bare one-column INSERT, one commit each",
             **extra)  # fmt: skip


def bench_current(store: Store, s: Sizes, extra: dict) -> None:
    def current():  # checked as timed: a run of seconds is not run again untimed
        assert len(store.current(TASK)) == s.labeled

    value = best_of(s.repeats, current)
    kinds = ",".join("?" * len(LABEL_KINDS))
    cols = ", ".join(f"e.{c}" for c in EVENT_COLUMNS)
    sql = store._sql(
        f"SELECT {cols} FROM events e JOIN (SELECT MAX(id) AS id FROM events WHERE task = ? "
        f"AND kind IN ({kinds}) GROUP BY item_id) m ON m.id = e.id ORDER BY e.id"
    )

    def plain():  # fetched and framed exactly as the store does it
        with _gc_paused():
            with store._read() as cur:
                cur.execute(sql, (TASK, *LABEL_KINDS))
                rows = cur.fetchall()
            assert len(_event_frame(rows, EVENT_COLUMNS)) == s.labeled

    baseline = best_of(s.repeats, plain)
    emit("store.current_labels_s", value, "s", baseline, events=2 * s.labeled,
         items_labeled=s.labeled, baseline_is="GROUP BY item_id MAX(id) query, same frame",
         **extra)  # fmt: skip


def bench_next_batch(store: Store, s: Sizes, extra: dict) -> None:
    expect = store.next_unlabeled(TASK, 50)
    assert len(expect) == 50

    def one_repeat() -> float:
        times = []
        for _ in range(s.batch_calls):
            t = time.perf_counter()
            store.next_unlabeled(TASK, 50)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    value = min(one_repeat() for _ in range(s.repeats)) * 1e3
    kinds = ",".join("?" * len(STATE_KINDS))
    sql = store._sql(
        "SELECT s.item_id FROM item_state s WHERE s.task = ? AND NOT EXISTS (SELECT 1 FROM "
        f"events e WHERE e.item_id = s.item_id AND e.task = s.task AND e.kind IN ({kinds})) "
        "ORDER BY s.priority DESC, s.position LIMIT 50"
    )

    def naive():
        with store._read() as cur:
            cur.execute(sql, (TASK, *STATE_KINDS))
            got = [r[0] for r in cur.fetchall()]
        assert got == expect, "the naive query must pick the same batch"

    baseline = best_of(s.repeats, naive) * 1e3
    emit("store.next_batch_ms", value, "ms", baseline, items=s.items, labeled=s.labeled,
         target_ms=1.0, baseline_is="NOT EXISTS over the log, then sort by priority",
         **extra)  # fmt: skip


def bench_gallery_page(store: Store, s: Sizes, extra: dict) -> None:
    size = 50
    unlabeled = s.items - s.labeled
    offset = unlabeled // 2 // size * size

    def paged():
        return store.page_items(TASK, offset=offset, limit=size, filter="unlabeled")

    def former():
        done, total = store.progress(TASK)
        return store.next_unlabeled(TASK, offset + size)[offset:], total - done

    got = paged()
    assert got == former() and len(got[0]) == size and got[1] == unlabeled
    value = best_of(s.repeats, paged) * 1e3
    baseline = best_of(s.repeats, former) * 1e3
    emit("store.gallery_page_ms", value, "ms", baseline, items=s.items, unlabeled=unlabeled,
         page=offset // size, page_size=size,
         baseline_is="progress() for the total, next_unlabeled(offset + 50) sliced",
         **extra)  # fmt: skip


def run_all(store: Store, bare: Callable[[int], None], s: Sizes, extra: dict) -> None:
    bench_next_batch(store, s, extra)
    bench_gallery_page(store, s, extra)
    bench_current(store, s, extra)
    bench_inserts(store, bare, s, extra)  # last: it labels items


# -- back ends ----------------------------------------------------------------------
def bench_sqlite(s: Sizes, workdir: Path) -> None:
    import sqlite3

    from workbench.store.sqlite import SQLiteStore

    path = workdir / "bench.db"
    SQLiteStore(path).close()  # create the tables
    t = time.perf_counter()
    load_sqlite(path, s)
    took = time.perf_counter() - t
    log(f"sqlite: loaded {s.items:,} items, {2 * s.labeled:,} events in {took:.1f} s")
    store = SQLiteStore(path, synchronous="FULL")
    bare_conn = sqlite3.connect(workdir / "bare.db", isolation_level=None)
    bare_conn.execute("PRAGMA journal_mode = WAL")
    bare_conn.execute("PRAGMA synchronous = FULL")
    bare_conn.execute("CREATE TABLE bare (x INTEGER)")

    def bare(k: int) -> None:
        bare_conn.execute("BEGIN IMMEDIATE")
        bare_conn.execute("INSERT INTO bare (x) VALUES (?)", (k,))
        bare_conn.execute("COMMIT")

    try:
        run_all(store, bare, s, {"backend": "sqlite", "synchronous": "FULL", "journal": "WAL"})
    finally:
        store.close()
        bare_conn.close()


def bench_postgres(s: Sizes) -> None:
    import psycopg

    from workbench.store.postgres import PostgresStore

    reason = pg.missing_reason()
    if reason:
        log(f"postgres: skipped: {reason}")
        return
    # Durable defaults (fsync on); a larger max_wal_size only spares the bulk load checkpoints.
    cluster = pg.PostgresCluster.start(durable=True, settings={"max_wal_size": "4GB"})
    try:
        url = cluster.new_database("bench")
        PostgresStore(url).close()
        t = time.perf_counter()
        load_postgres(url, s)
        log(f"postgres: loaded in {time.perf_counter() - t:.1f} s")
        store = PostgresStore(url)
        bare_conn = psycopg.connect(url, autocommit=True)
        bare_conn.execute("CREATE TABLE bare (x BIGINT)")
        sync = bare_conn.execute("SHOW synchronous_commit").fetchone()[0]
        fsync = bare_conn.execute("SHOW fsync").fetchone()[0]
        version = bare_conn.execute("SHOW server_version").fetchone()[0]

        def bare(k: int) -> None:
            bare_conn.execute("INSERT INTO bare (x) VALUES (%s)", (k,))

        try:
            extra = {"backend": "postgres", "synchronous_commit": sync, "fsync": fsync,
                     "server": version}  # fmt: skip
            run_all(store, bare, s, extra)
        finally:
            store.close()
            bare_conn.close()
    finally:
        cluster.stop()


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    s = Sizes(quick="--quick" in argv)
    # A plain SIGTERM would skip the clean-up that stops the PostgreSQL cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        bench_sqlite(s, Path(tmp))
    if "--sqlite-only" not in argv:
        bench_postgres(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
