"""status() kept up to date by watermark (dashboards.LiveStatus) equals a full
recomputation from the whole log, after any sequence of appends, on both back ends."""

from __future__ import annotations

import itertools
import json
import math
import types

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench import dashboards as dash
from workbench.store import Event, base

T0 = 472_222 * 3600.0
HOUR = 3600.0
CLASSES = ["cat", "dog", "owl"]
PEOPLE = ["ann", "bob", "cy"]


# -- the reference: status() as it was worked out from the whole log in pandas ---------
def _seconds(ts: pd.Series) -> pd.Series:
    return (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds()


def _value_key(v):
    if isinstance(v, list | tuple):
        v = sorted(map(str, v))
    return json.dumps(v, sort_keys=True, default=str)


REVIEW_OUTCOMES = {"review-accept": "accept", "review-correct": "correct",
                   "ambiguous": "ambiguous", "send-back": "send_back"}  # fmt: skip


def _is_review(log):
    return log["kind"].isin(list(REVIEW_OUTCOMES)) & ~(
        (log["kind"] == "ambiguous") & (log["tier"] == "annotate")
    )


def _counts(series):
    return {str(k): int(v) for k, v in series.value_counts().sort_index().items()}


def reference_alpha(ev: pd.DataFrame, task: str) -> tuple[float | None, int]:
    """Krippendorff's nominal alpha of each annotator's latest live label / correction."""
    retracted = set(ev.loc[ev["kind"] == "retract", "parent"].dropna().astype(int))
    mine = ev[(ev["task"] == task) & ev["kind"].isin(["label", "review-correct"])
              & ~ev["id"].isin(retracted)]  # fmt: skip
    latest = mine.sort_values("id").drop_duplicates(["item_id", "annotator"], keep="last")
    if latest["annotator"].nunique() < 2:
        return None, 0
    cats = latest["value"].map(lambda v: json.dumps(v, sort_keys=True))
    table = pd.crosstab(latest["item_id"], cats).to_numpy().astype(float)
    m = table.sum(axis=1)
    table = table[m >= 2]
    if len(table) == 0:
        return None, 0
    w = 1.0 / (table.sum(axis=1) - 1)
    agree = float(((table * (table - 1)).T @ w).sum())
    n_c = table.sum(axis=0)
    n = float(n_c.sum())
    expected = n * n - float(n_c @ n_c)
    if expected <= 0:
        return None, len(table)
    return 1.0 - (n - 1.0) * (n - agree) / expected, len(table)


def full_status(project: wb.Project, task: str, t_now: float) -> dict:
    """status() of one task, recomputed from ``events()`` as before it was incremental."""
    ev = project.store.events()
    retracted = set(ev.loc[ev["kind"] == "retract", "parent"].dropna().astype(int))
    log = ev[(ev["task"] == task) & (ev["kind"] != "retract") & ~ev["id"].isin(retracted)].copy()
    log["t"] = _seconds(log["created_at"])
    current = project.store.current(task, labels_only=False)
    _, items = project.store.progress(task)
    labeled = int(current["kind"].isin(base.LABEL_KINDS).sum())
    skipped = int((current["kind"] == "skip").sum())
    flagged = set(current[(current["kind"] == "ambiguous") & (current["tier"] == "annotate")]
                  ["item_id"])  # fmt: skip
    labels = log[log["kind"] == "label"]
    hour = labels[(labels["t"] > t_now - HOUR) & (labels["t"] <= t_now)]
    day = labels[(labels["t"] > t_now - 24 * HOUR) & (labels["t"] <= t_now)]
    own = log[log["kind"].isin(["label", "ambiguous", "skip"]) & (log["tier"] == "annotate")]
    latest = own.drop_duplicates(["item_id", "annotator"], keep="last")
    lab = latest[latest["kind"] == "label"]
    differing = lab["value"].map(_value_key).groupby(lab["item_id"]).nunique()
    last_own = own.groupby("item_id")["id"].max()
    last_review = log[_is_review(log)].groupby("item_id")["id"].max()
    disagreement = {
        i for i in differing.index[differing > 1]
        if i not in last_review.index or last_review[i] < last_own[i]
    }  # fmt: skip
    outcomes = {v: 0 for v in REVIEW_OUTCOMES.values()}
    for kind, n in log[_is_review(log)]["kind"].value_counts().items():
        outcomes[REVIEW_OUTCOMES[kind]] = int(n)
    timed = labels.dropna(subset=["duration_ms"])
    per_label = timed.groupby("annotator")["duration_ms"].median() / 1000.0
    alpha, agreed = reference_alpha(ev, task)
    return {
        "task": task,
        "now": t_now,
        "items": int(items),
        "labeled": labeled,
        "skipped": skipped,
        "ambiguous": len(flagged),
        "progress": (labeled + skipped) / items if items else 0.0,
        "labels_last_hour": len(hour),
        "labels_last_hour_by_annotator": _counts(hour["annotator"]),
        "throughput_per_hour": len(day) / 24.0,
        "throughput_per_hour_by_annotator": {
            k: v / 24.0 for k, v in _counts(day["annotator"]).items()
        },
        "open_reviews": len(disagreement | flagged),
        "open_reviews_by_reason": {"disagreement": len(disagreement), "ambiguous": len(flagged)},
        "review_outcomes": outcomes,
        "agreement": alpha,
        "agreement_items": agreed,
        "seconds_per_label": {str(k): float(v) for k, v in per_label.sort_index().items()},
    }


def assert_same(got: dict, want: dict) -> None:
    a, b = dict(got), dict(want)
    alpha_a, alpha_b = a.pop("agreement"), b.pop("agreement")
    assert a == b
    assert (alpha_a is None) == (alpha_b is None or math.isnan(alpha_b)), (alpha_a, alpha_b)
    if alpha_a is not None:
        assert abs(alpha_a - alpha_b) <= 1e-12


# -- the property ---------------------------------------------------------------------
class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def time(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock(T0)
    monkeypatch.setattr(base, "time", types.SimpleNamespace(time=c.time))
    return c


@pytest.fixture
def project(store_location, clock):
    animal = wb.Classification("animal", classes=CLASSES)
    p = wb.Project(store_location, schema=wb.Schema((animal,)), annotator="lead")
    yield p
    p.close()


appends = st.one_of(
    st.tuples(
        st.sampled_from(["label", "label", "skip", "ambiguous"]),
        st.integers(0, 2),
        st.sampled_from(PEOPLE),
        st.just("annotate"),
        st.sampled_from(CLASSES),
        st.one_of(st.none(), st.integers(0, 9).map(lambda k: 500 * k)),
    ),  # fmt: skip
    st.tuples(
        st.sampled_from(["review-accept", "review-correct", "ambiguous", "send-back"]),
        st.integers(0, 2),
        st.just("rev"),
        st.sampled_from(["review", "qa"]),
        st.sampled_from(CLASSES),
        st.none(),
    ),  # fmt: skip
    st.tuples(
        st.just("retract"),
        st.integers(0, 99),
        st.sampled_from(PEOPLE),
        st.none(),
        st.none(),
        st.none(),
    ),  # fmt: skip
    st.tuples(
        st.just("label"),
        st.integers(0, 2),
        st.sampled_from(["ann", "bob"]),
        st.just("review"),
        st.sampled_from(CLASSES),
        st.none(),
    ),  # fmt: skip
)
steps = st.lists(
    st.one_of(
        appends.map(lambda a: ("append", a)),
        st.sampled_from([0.0, 60.0, 1800.0, HOUR, 23 * HOUR]).map(lambda d: ("wait", d)),
        st.sampled_from([0.0, -HOUR, 0.5]).map(lambda d: ("poll", d)),
        st.just(("poll", 0.0)),
    ),
    max_size=30,
)
_runs = itertools.count()


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(steps=steps)
def test_live_status_equals_a_full_recomputation(project, clock, steps):
    run = next(_runs)
    ids = [f"s{run}-{k}" for k in range(3)]
    project.add_texts(ids, ids=ids)  # the store and its LiveStatus are shared by examples
    written: list[tuple[int, str]] = []
    for step, arg in [*steps, ("poll", 0.0)]:
        if step == "wait":
            clock.t += arg
        elif step == "poll":
            now = clock.t + arg
            assert_same(dash.status(project, now=now), full_status(project, "animal", now))
        else:
            kind, k, who, tier, value, ms = arg
            if kind == "retract":
                if not written:
                    continue
                parent, item = written[k % len(written)]
                ev = Event(item, "animal", None, kind="retract", annotator=who, parent=parent)
            else:
                ev = Event(ids[k], "animal", value if kind not in ("skip",) else None,
                           kind=kind, annotator=who, tier=tier, duration_ms=ms)  # fmt: skip
            (appended,) = project.store.append([ev])
            written.append((appended.id, ev.item_id))
            clock.t += 1.0
    # A new reader's first poll reads the whole log at once (Store.status_rows): the
    # same numbers as the one kept up to date poll by poll.
    fresh = dash.LiveStatus(project.store, "animal")
    fresh.poll()
    kept = dash.live_status(project.store, "animal")
    assert fresh.numbers(clock.t) == kept.numbers(clock.t)
    assert fresh.agreement() == kept.agreement() and fresh.with_state() == kept.with_state()


def test_a_poll_reads_only_the_new_events(tmp_path, clock):
    animal = wb.Classification("animal", classes=CLASSES)
    p = wb.Project(tmp_path / "p.db", schema=wb.Schema((animal,)), annotator="lead")
    p.add_texts(["a", "b", "c"], ids=["a", "b", "c"])
    p.label("a", "cat", annotator="ann", duration_ms=1000)
    p.label("a", "dog", annotator="bob", duration_ms=3000)
    first = dash.status(p, now=T0)
    assert first["open_reviews_by_reason"] == {"disagreement": 1, "ambiguous": 0}
    asked: list = []
    real = p.store.changed_items

    def changed(task, after, until):
        asked.append((after, until))
        return real(task, after, until)

    p.store.changed_items = changed
    assert dash.status(p, now=T0) == first  # nothing new: no item asked about
    assert asked == []
    eid = p.label("b", "owl", annotator="ann", duration_ms=2000)
    second = dash.status(p, now=T0)
    assert asked == [(asked[0][0], eid)] and asked[0][0] < eid
    assert second["labeled"] == 2 and second["seconds_per_label"] == {"ann": 1.5, "bob": 3.0}
    p.retract(eid)
    assert_same(dash.status(p, now=T0), first)
    assert_same(dash.status(p, now=T0), full_status(p, "animal", T0))
    p.close()


def test_a_store_with_no_watermark_is_read_whole(tmp_path, clock):
    animal = wb.Classification("animal", classes=CLASSES)
    p = wb.Project(tmp_path / "p.db", schema=wb.Schema((animal,)), annotator="lead")
    p.add_texts(["a", "b"], ids=["a", "b"])
    p.label("a", "cat", annotator="ann")
    p.label("a", "cat", annotator="bob")

    def refuse():
        raise wb.PermissionDenied("no lock on the log for this role")

    p.store.watermark = refuse
    for _ in range(2):
        s = dash.status(p, now=T0)
        assert_same(s, full_status(p, "animal", T0))
        assert s["labeled"] == 1 and s["agreement_items"] == 1
    p.label("b", "dog", annotator="ann")
    assert dash.status(p, now=T0)["labeled"] == 2
    p.close()


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    live = dash.LiveStatus(None, "animal")
    live._swap("x", ("label", "annotate"), [("ann", T0, 1001), ("ann", T0 + 1, 2000)], [],
               (), {})  # fmt: skip
    assert live.numbers(T0 + 1)["seconds_per_label"] == {"ann": float(np.median([1001, 2000]))
                                                          / 1000.0}  # fmt: skip


def test_agreement_follows_relabels_and_retractions(tmp_path, clock):
    animal = wb.Classification("animal", classes=CLASSES)
    p = wb.Project(tmp_path / "p.db", schema=wb.Schema((animal,)), annotator="lead")
    p.add_texts(["a", "b", "c"], ids=["a", "b", "c"])
    seen = []

    def check():
        s = dash.status(p, now=T0)
        assert_same(s, full_status(p, "animal", T0))
        seen.append((s["agreement"], s["agreement_items"]))

    for item, ann, bob in (("a", "cat", "cat"), ("b", "dog", "dog"), ("c", "owl", "cat")):
        p.label(item, ann, annotator="ann")
        p.label(item, bob, annotator="bob")
        check()
    relabel = p.label("a", "dog", annotator="ann")  # an agreeing item stops agreeing
    check()
    p.label("a", "dog", annotator="bob")  # and agrees again
    check()
    p.retract(relabel)  # ann's cat is back: a disagrees
    check()
    p.label("b", "owl", kind="review-correct", annotator="rev")  # a third label on b
    check()
    assert seen[0] == (None, 1) and seen[1][1] == 2 and seen[2][0] is not None
    alphas = [a for a, _ in seen]
    assert alphas[3] != alphas[2] and alphas[4] != alphas[3] and alphas[5] != alphas[4]
    assert alphas[6] != alphas[5]
    p.close()
