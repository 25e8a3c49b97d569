"""The side panel's poll: ``dashboards.status`` kept up to date by watermark.

Run ``python tests/benchmarks/bench_status.py [--quick] [--sqlite-only]`` (or
``python -m tests.benchmarks bench_status``). One JSON line per figure, as
the other benchmarks print them.

``status.poll_ms`` (at 1,000, 100,000 and 1,000,000 events; ``--quick``:
1,000 and 20,000)
    ``dashboards.status(project)`` in steady state: the median of polls each made
    after three new labels were appended through the API, as the side panel
    polls while a team labels. Target at 1,000,000 events: at most 50 ms.
    Baseline: the full recomputation from the whole log (``events()`` read into
    pandas and every number worked out again, as ``status`` did before), on the
    same store at the same moment; its dict must equal the poll's (the run fails
    otherwise). At 1,000,000 events it is measured once, elsewhere best of 3, or of
    fewer once its runs took 3 s.
    Extra fields: ``first_poll_ms`` (the first call, which reads the whole log
    through the store's queries), ``idle_poll_ms`` (a poll with no new event)
    and ``build_s`` (writing the store: one transaction of ``executemany``, SQLite
    ``synchronous=OFF`` while loading; ``COPY`` on PostgreSQL).

The log: labels by seven annotators over ``events / 5`` items (most agree, some
not), skips, ``ambiguous`` flags, review decisions and retractions, spread over
the last 48 hours; ``item_state`` is written as the store keeps it. On
PostgreSQL (1,000 and 100,000 events) the rows are loaded with ``COPY``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `tests` and `workbench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import workbench as wb  # noqa: E402
from tests import pg  # noqa: E402
from tests.benchmarks.bench_store import (  # noqa: E402
    EVENT_COLS,
    ITEM_COLS,
    LOADED,
    STATE_COLS,
    emit,
    log,
)
from tests.benchmarks.bulk import indexes_deferred  # noqa: E402
from tests.unit.test_status import assert_same, full_status  # noqa: E402
from workbench import dashboards as dash  # noqa: E402
from workbench.store.base import STATE_KINDS  # noqa: E402

TASK = "animal"
CLASSES = ("cat", "dog", "owl", "fox")
POLLS = 15
#: The baseline runs no more once its runs took this long (a run of seconds is far
#: above its noise).
ENOUGH_MS = 3000.0


class Data:
    """The rows of a store holding ``events`` events: items, the log, item_state."""

    def __init__(self, events: int, now: float) -> None:
        self.n_items = max(20, events // 5)
        rng = random.Random(events)
        live: list[list[tuple[int, str]]] = [[] for _ in range(self.n_items)]
        self.events: list[tuple] = []
        start, step = now - 48 * 3600.0, 48 * 3600.0 / events
        eid = 0
        while eid < events:
            i = rng.randrange(self.n_items)
            iid, r = f"item{i:07d}", rng.random()
            who, tier, value, parent = f"annotator{rng.randrange(7)}", "annotate", None, None
            if r < 0.70:
                kind = "label"
                value = CLASSES[i % 4] if rng.random() < 0.8 else rng.choice(CLASSES)
            elif r < 0.75:
                kind = "skip"
            elif r < 0.78:
                kind = "ambiguous"
            elif r < 0.90:
                kind = rng.choice(["review-accept", "review-correct", "send-back", "ambiguous"])
                who, tier = "reviewer", "review"
                value = CLASSES[i % 4] if kind.startswith("review") else None
            elif live[i]:
                kind, (parent, _) = "retract", live[i].pop()
            else:
                continue
            eid += 1
            if kind != "retract":
                live[i].append((eid, kind))
            ms = None if kind != "label" or rng.random() < 0.1 else 400 + rng.randrange(5000)
            self.events.append((
                eid, iid, TASK, json.dumps(value), who, kind, tier, "", 1, None, None, ms,
                None, start + eid * step, parent,
            ))  # fmt: skip
        self.state = [next((e for e, k in reversed(evs) if k in STATE_KINDS), None) for evs in live]

    def items(self, now: float) -> Iterator[tuple]:
        for i in range(self.n_items):
            yield (f"item{i:07d}", "text", None, f"text {i}", None, i, now)

    def item_state(self) -> Iterator[tuple]:
        for i, state in enumerate(self.state):
            yield (TASK, f"item{i:07d}", 0.0, i, state, None)


def schema() -> wb.Schema:
    return wb.Schema((wb.Classification(TASK, classes=list(CLASSES)),))


def build_sqlite(path: Path, data: Data) -> float:
    import sqlite3

    wb.Project(path, schema=schema(), annotator="lead").close()
    t = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # loading only: the project reopens it durable
    conn.execute("PRAGMA cache_size = -400000")  # 400 MB: the item index takes random inserts
    conn.execute("BEGIN")
    with indexes_deferred(conn.cursor(), LOADED, postgres=False):
        conn.executemany(f"INSERT INTO items ({ITEM_COLS}) VALUES (?,?,?,?,?,?,?)",
                         data.items(time.time()))  # fmt: skip
        conn.executemany(f"INSERT INTO events ({EVENT_COLS}) VALUES ({','.join('?' * 15)})",
                         data.events)  # fmt: skip
        conn.executemany(f"INSERT INTO item_state ({STATE_COLS}) VALUES (?,?,?,?,?,?)",
                         data.item_state())  # fmt: skip
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - t


def build_postgres(url: str, data: Data) -> float:
    import psycopg

    wb.Project(url, schema=schema(), annotator="lead").close()
    t = time.perf_counter()
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE events DISABLE TRIGGER USER")
            with indexes_deferred(cur, LOADED, postgres=True):
                for table, cols, rows in (
                    ("items", ITEM_COLS, data.items(time.time())),
                    ("events", EVENT_COLS, iter(data.events)),
                    ("item_state", STATE_COLS, data.item_state()),
                ):
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            cur.execute("SELECT setval('events_id_seq', (SELECT MAX(id) FROM events))")
            cur.execute("ALTER TABLE events ENABLE TRIGGER USER")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - t


def ms_of(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1000.0, out


def measure(location: str, n_events: int, build_s: float, extra: dict) -> None:
    p = wb.Project(location, annotator="lead")
    try:
        now = time.time()
        first_ms, _ = ms_of(lambda: dash.status(p, now=now))
        idle_ms, _ = ms_of(lambda: dash.status(p, now=now))
        rng = random.Random(1)
        _, n_items = p.store.progress(TASK)
        polls = []
        for k in range(POLLS):
            for j in range(3):
                p.label(f"item{rng.randrange(n_items):07d}", rng.choice(CLASSES),
                        annotator=f"annotator{j}", duration_ms=1000 + k)  # fmt: skip
            ms, got = ms_of(lambda: dash.status(p, now=now))
            polls.append(ms)
        full: list[float] = []
        repeats = 1 if n_events >= 1_000_000 else 3
        while len(full) < repeats and sum(full) < ENOUGH_MS:
            ms, want = ms_of(lambda: full_status(p, TASK, now))
            full.append(ms)
        assert_same(got, want)  # the poll's numbers are the full recomputation's
        emit("status.poll_ms", statistics.median(polls), "ms", min(full), events=n_events,
             items=n_items, polls=POLLS, new_events_per_poll=3, first_poll_ms=round(first_ms, 1),
             idle_poll_ms=round(idle_ms, 2), build_s=round(build_s, 2),
             baseline_is="full recomputation from events() in pandas (status before)",
             baseline_runs=len(full), target_ms=50.0 if n_events >= 1_000_000 else None,
             **extra)  # fmt: skip
    finally:
        p.close()


def bench_sqlite(sizes: list[int], tmp: Path) -> None:
    for n in sizes:
        data = Data(n, time.time())
        path = tmp / f"status-{n}.db"
        build_s = build_sqlite(path, data)
        del data
        log(f"sqlite: {n:,} events written in {build_s:.1f} s")
        measure(str(path), n, build_s, {"backend": "sqlite"})
        path.unlink()


def bench_postgres(sizes: list[int]) -> None:
    reason = pg.missing_reason()
    if reason:
        log(f"postgres: skipped: {reason}")
        return
    cluster = pg.PostgresCluster.start(durable=True)
    try:
        for n in sizes:
            url = cluster.new_database(f"status{n}")
            data = Data(n, time.time())
            build_s = build_postgres(url, data)
            del data
            log(f"postgres: {n:,} events loaded in {build_s:.1f} s")
            measure(url, n, build_s, {"backend": "postgres"})
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sizes = [1_000, 20_000] if quick else [1_000, 100_000, 1_000_000]
    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        bench_sqlite(sizes, Path(tmp))
    if "--sqlite-only" not in argv:
        bench_postgres([n for n in sizes if n <= 100_000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
