"""Team-mode benchmarks: concurrent annotators claiming and labeling on PostgreSQL.

Run ``python tests/benchmarks/bench_team.py [--quick]`` (or ``python -m
tests.benchmarks bench_team``). Each figure is one JSON line ``{"name", "value",
"unit", "baseline", "ratio", ...}``; progress goes to stderr.

A throwaway PostgreSQL cluster with the server's durable defaults (``fsync`` on,
``synchronous_commit`` on: every commit waits for its WAL flush). A project of
10,000 text items, overlap 2, no gold; 8 annotator roles. Each annotator is its
own process with its own connection, doing what the classify widget does: take
one item (``team.claim(1)``: the lease sweep, the ``SKIP LOCKED`` pick and the
claim row, one transaction), then label it (``project.label``: one durable
commit, through the row-level-security check and the claim trigger), and again,
for ``DURATION`` seconds after all are connected and told to start.

``team.claims_per_s``
    Items claimed per second by the 8 processes together (each claim followed
    by its label, so it is the rate work is handed out and done). Baseline: the
    same loop in a single process on a fresh project. After each run the test
    counts in the database that no item went to one annotator twice and none
    to more than 2.
``team.label_commit_ms.p99`` (and ``.p50``)
    ``project.label`` as the annotator's process times it, under the 8-process
    load. Target: p99 ≤ 10 ms. Baseline: the same, single process.
``team.claim_ms.p99``
    One ``team.claim(1)`` call under that load; baseline single process.
``team.label_commit_ms.paced.p99``
    The same 8 processes at a fast human pace, ``PACE`` items per second each
    (a claim and a label every 250 ms), on a fresh project; baseline one
    process at that pace. Flat out, 8 processes and their 8 server processes
    share 2 cores, so the flat-out figure is mostly waiting for a core.

``--quick`` runs 3 s with 2 processes (checks that everything works).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a file: make `tests` and `workbench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests import pg  # noqa: E402
from tests.benchmarks.report import emit, log  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 10_000
WORKERS = 8
DURATION = 10.0
PACE = 4.0  # items per second per annotator in the paced run

WORKER = r"""
import json, sys, time
import workbench as wb
p = wb.Project(sys.argv[1])
duration = float(sys.argv[2])
period = float(sys.argv[3])  # seconds per item; 0: as fast as possible
classes = ["cat", "dog", "bird"]
p.team.claim(0)
print("ready", flush=True)
sys.stdin.readline()
claim_ms, label_ms = [], []
end = time.perf_counter() + duration
k = 0
while time.perf_counter() < end:
    t0 = time.perf_counter()
    ids = p.team.claim(1)
    t1 = time.perf_counter()
    if not ids:
        break
    p.label(ids[0], classes[k % 3])
    t2 = time.perf_counter()
    claim_ms.append((t1 - t0) * 1000)
    label_ms.append((t2 - t1) * 1000)
    k += 1
    if period:
        time.sleep(max(0.0, t0 + period - time.perf_counter()))
print(json.dumps({"claims": k, "claim_ms": claim_ms, "label_ms": label_ms}), flush=True)
"""


def make_project(cluster: pg.PostgresCluster, workers: int) -> tuple[str, list[str]]:
    import workbench as wb

    url = cluster.new_team_database(prefix="bench")
    lead = wb.Project(url, schema=wb.Schema.classification("label", ["cat", "dog", "bird"]))
    lead.add_texts([f"text {k}" for k in range(ITEMS)], ids=[f"i{k:05d}" for k in range(ITEMS)])
    team = lead.team.setup(overlap=2, gold_share=0.0)
    urls = [team.add_user(f"annotator{k}", "annotator") for k in range(workers)]
    team.fill()
    lead.close()
    return url, urls


def run(urls: list[str], duration: float, period: float = 0.0) -> dict:
    """Start one process per URL, wait until all are connected, let them work."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, u, str(duration), str(period)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        for u in urls
    ]  # fmt: skip
    for proc in procs:
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"worker failed to start: {line}{proc.stderr.read()[-2000:]}")
    start = time.perf_counter()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=duration + 300)
        if proc.returncode != 0:
            raise RuntimeError(f"worker failed: {err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    wall = time.perf_counter() - start
    claims = sum(r["claims"] for r in results)
    return {
        "claims": claims,
        "wall": wall,
        "rate": claims / wall,
        "claim_ms": np.concatenate([r["claim_ms"] for r in results]),
        "label_ms": np.concatenate([r["label_ms"] for r in results]),
    }


def check(url: str) -> None:
    """No item twice to one annotator, none to more than two: counted in the database."""
    import psycopg

    with psycopg.connect(url) as conn:
        dup = conn.execute(
            "SELECT count(*) FROM (SELECT item_id, annotator FROM events WHERE kind = 'label' "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        ).fetchone()[0]
        over = conn.execute(
            "SELECT count(*) FROM (SELECT item_id FROM team_claims GROUP BY 1 "
            "HAVING count(*) > 2) o"
        ).fetchone()[0]
    if dup or over:
        raise AssertionError(f"{dup} items labeled twice by one annotator, {over} given to >2")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    workers, duration = (2, 3.0) if quick else (WORKERS, DURATION)
    cluster = pg.PostgresCluster.start(durable=True)
    try:
        sync = cluster.admin("SHOW synchronous_commit")[0][0]
        fsync = cluster.admin("SHOW fsync")[0][0]
        extra = {"backend": "postgres", "synchronous_commit": sync, "fsync": fsync,
                 "workers": workers, "items": ITEMS, "overlap": 2}  # fmt: skip
        log(f"bench_team: single process, {duration:.0f} s")
        url1, urls1 = make_project(cluster, 1)
        one = run(urls1, duration)
        check(url1)
        log(f"bench_team: {workers} processes, {duration:.0f} s")
        url8, urls8 = make_project(cluster, workers)
        many = run(urls8, duration)
        check(url8)
        log(
            f"bench_team: {many['claims']} claims in {many['wall']:.1f} s by {workers} "
            f"processes; single process {one['claims']} in {one['wall']:.1f} s"
        )
        emit("team.claims_per_s", many["rate"], "claims/s", one["rate"], **extra)
        for q in (50, 99):
            emit(
                f"team.label_commit_ms.p{q}", float(np.percentile(many["label_ms"], q)), "ms",
                float(np.percentile(one["label_ms"], q)), target_ms=10 if q == 99 else None,
                **extra,
            )  # fmt: skip
        emit(
            "team.claim_ms.p99", float(np.percentile(many["claim_ms"], 99)), "ms",
            float(np.percentile(one["claim_ms"], 99)), **extra,
        )  # fmt: skip
        log(f"bench_team: paced, {PACE:g} items/s per annotator")
        url_p1, urls_p1 = make_project(cluster, 1)
        paced_one = run(urls_p1, duration, 1.0 / PACE)
        url_p8, urls_p8 = make_project(cluster, workers)
        paced = run(urls_p8, duration, 1.0 / PACE)
        check(url_p8)
        for q in (50, 99):
            emit(
                f"team.label_commit_ms.paced.p{q}", float(np.percentile(paced["label_ms"], q)),
                "ms", float(np.percentile(paced_one["label_ms"], q)),
                target_ms=10 if q == 99 else None, pace_per_s=PACE, **extra,
            )  # fmt: skip
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
