"""Plotly figures and live numbers: learning curves, and the team dashboard.

:func:`status` gives plain JSON-able numbers for a live panel (progress,
throughput, open reviews, review outcomes, agreement, time per label). The
figure builders (:func:`progress_figure`, :func:`throughput_figure`,
:func:`agreement_figure`, :func:`review_figure`, :func:`bottleneck_figure`)
each read the project's event log; :func:`dashboard` puts them on one figure.

In team mode (:mod:`workbench.team`) two more read the team's tables:
:func:`gold_figure` (each annotator's accuracy on gold items, per class) and
:func:`tier_figure` (work and stuck items per review tier). Only the lead and
admins may read those tables, so for them :func:`status` and :func:`dashboard`
add the gold and tier numbers and panels; a SQLite project, or a team project
opened by a reviewer, gets the same numbers and panels as before.

Every time window is measured back from ``now`` (seconds since the epoch; the
clock by default), so a dashboard of an old project, or a test, can name the
moment it describes. Retracted events, and the retractions themselves, never
count.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import threading
import time
import weakref
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import SchemaError, WorkbenchError, require
from .store.base import LABEL_KINDS, REVIEW_KINDS, STATE_KINDS, TIERS

if TYPE_CHECKING:
    from .ml.stats import LabelAgreement
    from .project import Project
    from .team import Team

__all__ = [
    "learning_curves",
    "status",
    "progress_figure",
    "throughput_figure",
    "agreement_figure",
    "review_figure",
    "bottleneck_figure",
    "gold_figure",
    "tier_figure",
    "dashboard",
]


def learning_curves(curves: Mapping[str, pd.DataFrame], *, metric: str = "accuracy") -> Any:
    """One line per named history (``labels`` against ``metric``), e.g. margin against random.

    Each history is a DataFrame with a ``labels`` column and the ``metric``
    column, such as :attr:`ActiveLearningLoop.history`. Returns a
    ``plotly.graph_objects.Figure``.
    """
    go = require("plotly.graph_objects", "ml")
    fig = go.Figure()
    for name, history in curves.items():
        if metric not in history.columns:
            raise ValueError(
                f"history {name!r} has no {metric!r} column (columns: {list(history.columns)}); "
                "give the loop a holdout= set to get held-out metrics"
            )
        rows = history.dropna(subset=[metric])
        fig.add_trace(go.Scatter(x=rows["labels"], y=rows[metric], mode="lines+markers", name=name))
    fig.update_layout(
        title=f"Learning curve: {metric} against labels",
        xaxis_title="labeled items",
        yaxis_title=metric,
        template="plotly_white",
        colorway=list(OKABE_ITO),
        legend_title="strategy",
    )
    return fig


# ---------------------------------------------------------------------------
# the event log, as the dashboard reads it

#: Review decisions, by event kind: what :func:`status` counts as review outcomes.
#: ``ambiguous`` counts only from the review or QA tier (an annotator's own
#: ``ambiguous`` flag is a request for review, not an outcome).
REVIEW_OUTCOMES = {
    "review-accept": "accept",
    "review-correct": "correct",
    "ambiguous": "ambiguous",
    "send-back": "send_back",
}
_HOUR = 3600.0


def _now(now: float | None) -> float:
    return time.time() if now is None else float(now)


def _seconds(ts: pd.Series) -> pd.Series:
    """UTC datetimes as seconds since the epoch (whatever the datetime resolution)."""
    return (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds()


def _datetimes(seconds: Any) -> list[pd.Timestamp]:
    return [pd.Timestamp(float(s), unit="s", tz="UTC") for s in seconds]


def _task_log(project: Project, task: str) -> pd.DataFrame:
    """The task's live events (:meth:`Store.live_events
    <workbench.store.base.Store.live_events>`: retractions applied), oldest first,
    with a float ``t`` column (seconds since the epoch)."""
    ev = project.store.live_events(task)
    ev["t"] = _seconds(ev["created_at"])
    return ev.reset_index(drop=True)


def _current(project: Project, task: str) -> pd.DataFrame:
    """Each item's state event for ``task`` (items with no state left out), with ``t``."""
    cur = project.store.current(task, labels_only=False)
    cur = cur.assign(t=_seconds(cur["created_at"]))
    return cur.reset_index(drop=True)


def _is_review(log: pd.DataFrame) -> pd.Series:
    """Rows of the log that are review decisions (see :data:`REVIEW_OUTCOMES`)."""
    return log["kind"].isin(list(REVIEW_KINDS)) | (
        (log["kind"] == "ambiguous") & (log["tier"] != "annotate")
    )


def _label_agreement(
    project: Project, task: str, team: Team | None = None
) -> LabelAgreement | None:
    """:func:`~workbench.agreement.project_agreement` for a single-label classification
    task that two annotators or more labeled with overlap; ``None`` otherwise."""
    from .kinds.classification.agreement import project_agreement

    try:
        spec = project.schema.classification_task(task)
    except SchemaError:
        return None
    if spec.multi_label:
        return None
    team = team or _lead_team(project)
    # In team mode, the annotators' own labels: not reviewers' decisions, not gold.
    result = project_agreement(project, task) if team is None else team.agreement(task)
    if result.annotators < 2 or result.items == 0:
        return None
    return result


def _finite(x: Any) -> float | None:
    """A float for JSON: NaN and missing become ``None``."""
    if x is None or pd.isna(x):
        return None
    return float(x)


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.value_counts().sort_index().items()}


# ---------------------------------------------------------------------------
# team mode: what the lead and admins read


def _lead_team(project: Project) -> Team | None:
    """``project.team`` when the project is a team project opened by its lead or an
    admin, who may read the pool and the gold answers; ``None`` otherwise (a SQLite
    or plain PostgreSQL project, or a team project opened by anyone else)."""
    if project.store.login_user() is None:
        return None
    team = project.team
    return team if team.role in (None, "admin") else None


def _team(project: Project) -> Team:
    """``project.team``, which must be set up (:meth:`~workbench.team.Team.setup`)."""
    team = project.team  # StoreError for a SQLite project
    team._require_enabled()
    return team


def _gold_mean(accuracy: pd.DataFrame) -> float | None:
    """Share of right answers over all annotators' gold answers; ``None`` for none."""
    total = accuracy[accuracy["label"] == "(all)"]
    n = int(total["n"].sum())
    return None if n == 0 else int(total["correct"].sum()) / n


#: The numbers of :meth:`Team.queue <workbench.team.Team.queue>`, per tier.
TIER_NUMBERS = ("items", "open", "claimed", "done", "complete", "stuck")


def _tiers(queue: pd.DataFrame) -> dict[str, dict[str, int]]:
    """``queue()``'s rows as ``{tier: {number: int}}``, every tier (0 where none)."""
    table = queue.set_index("tier").reindex(list(TIERS), fill_value=0)
    return {str(tier): {k: int(row[k]) for k in TIER_NUMBERS} for tier, row in table.iterrows()}


# ---------------------------------------------------------------------------
# live numbers


def status(
    project: Project, task: str | None = None, *, now: float | None = None
) -> dict[str, Any]:
    """Live numbers of a task, as plain JSON-able values (for a panel refreshed every few seconds).

    Parameters
    ----------
    project : Project
    task : str, optional
        The first task by default.
    now : float, optional
        Seconds since the epoch that the time windows end at; the clock by default.

    Returns
    -------
    dict
        ``task``, ``now``;
        ``items``; ``labeled`` (current state a label: ``label``,
        ``review-accept`` or ``review-correct``); ``skipped``; ``ambiguous``
        (flagged by an annotator, awaiting review); ``progress``
        (``(labeled + skipped) / items``, 0.0 for no items);
        ``labels_last_hour`` and ``labels_last_hour_by_annotator`` (``label``
        events created in ``(now - 1 h, now]``); ``throughput_per_hour`` and
        ``throughput_per_hour_by_annotator`` (``label`` events in the last 24 h,
        divided by 24); ``open_reviews`` (items awaiting review: annotators'
        labels that differ with no review decision since, or an annotator's
        ``ambiguous`` flag) and ``open_reviews_by_reason``
        (``disagreement``, ``ambiguous``; an item can have both);
        ``review_outcomes`` (review decisions: ``accept``, ``correct``,
        ``ambiguous``, ``send_back``); ``agreement`` (Krippendorff's alpha of
        :func:`~workbench.agreement.project_agreement`, or ``None`` unless two
        annotators or more labeled the same items of a single-label
        classification task) and ``agreement_items``; ``seconds_per_label``
        (median ``duration_ms`` / 1000 of each annotator's ``label`` events
        that have one). Retracted events never count.

        A team project opened by its lead or an admin adds
        ``gold_accuracy`` (right answers over all annotators' answers on gold
        items, or ``None`` before any) and ``tiers``: for ``annotate``,
        ``review`` and ``qa``, :meth:`Team.queue <workbench.team.Team.queue>`'s
        ``items``, ``open``, ``claimed``, ``done``, ``complete`` and ``stuck``
        as ints (0 for a tier with no items; ``stuck`` counts from the clock,
        not ``now``).

        The numbers are kept up to date by watermark (:class:`LiveStatus`): a
        call reads only the events since the previous one, so a poll costs
        about the same at a million events as at a thousand.
    """
    name = project.schema.task(task).name
    t_now = _now(now)
    team = _lead_team(project)
    live = live_status(project.store, name)
    # Items with a state are known from the poll; the rest is an index range.
    items = live.with_state() + project.store.count_unlabeled(name)
    counts = live.numbers(t_now)
    if team is not None:
        # The review and QA tiers hold the review work (gold items never go there).
        by_reason = team.open_reviews(name)
        counts["open_reviews"] = sum(by_reason.values())
        counts["open_reviews_by_reason"] = by_reason
    if team is None and _single_label(project, name):
        alpha, agreement_items = live.agreement()
    else:
        agreement = _label_agreement(project, name, team)
        alpha = None if agreement is None else _finite(agreement.alpha)
        agreement_items = 0 if agreement is None else int(agreement.items)
    labeled, skipped = counts["labeled"], counts["skipped"]
    numbers = {
        "task": name,
        "now": t_now,
        "items": int(items),
        "labeled": labeled,
        "skipped": skipped,
        "ambiguous": counts["ambiguous"],
        "progress": (labeled + skipped) / items if items else 0.0,
        **{k: counts[k] for k in _COUNTED},
        "agreement": alpha,
        "agreement_items": agreement_items,
        "seconds_per_label": counts["seconds_per_label"],
    }
    if team is not None:
        numbers["gold_accuracy"] = _gold_mean(team.gold_accuracy(name))
        numbers["tiers"] = _tiers(team.queue(name))
    return numbers


_COUNTED = (
    "labels_last_hour",
    "labels_last_hour_by_annotator",
    "throughput_per_hour",
    "throughput_per_hour_by_annotator",
    "open_reviews",
    "open_reviews_by_reason",
    "review_outcomes",
)


def _single_label(project: Project, task: str) -> bool:
    """Whether ``task`` is a single-label classification task (agreement is defined)."""
    try:
        spec = project.schema.classification_task(task)
    except SchemaError:
        return False
    return not spec.multi_label


# ---------------------------------------------------------------------------
# live numbers, kept up to date by watermark


class LiveStatus:
    """The numbers of :func:`status` for one task of one store, kept up to date.

    Each :meth:`poll` asks the store for its watermark and, for the items that
    events after the last one touched (:meth:`Store.changed_items
    <workbench.store.base.Store.changed_items>`), asks the store again what the
    log now says of each (its state, its live label and review events, each
    annotator's latest label, why it awaits review) and swaps that item's old
    contribution to every count for the new one. The first poll reads the same
    for every item at once. A retraction or a relabel touches its item, so every
    number moves exactly as a full recomputation's would; a poll with no new
    events asks the store two cheap questions (watermark, item count).

    Kept per annotator: sorted ``label`` times (the windows are two binary
    searches at any ``now``) and sorted durations (an exact median); per item
    for agreement: each annotator's class, so the coincidence matrix's diagonal
    is kept as integer sums per number of labels and the alpha is exact.
    """

    def __init__(self, store: Any, task: str) -> None:
        self.store, self.task = store, task
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.mark = -1  # no poll yet
        self._state: dict[str, tuple[str, str]] = {}  # item: (kind, tier) of its state
        self._labels: dict[str, list[tuple[str, float, int | None]]] = {}  # (who, t, ms)
        self._reviews: dict[str, list[str]] = {}  # item: outcomes of live review events
        self._open: dict[str, tuple[str, ...]] = {}  # item: reasons it awaits review
        self._values: dict[str, dict[str, Any]] = {}  # item: {annotator: class}
        self.states: Counter[tuple[str, str]] = Counter()
        self.times: dict[str, list[float]] = {}
        self.durations: dict[str, list[int]] = {}
        self.outcomes: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.n_c: Counter[Any] = Counter()  # pairable values per class
        self.agree_by_m: Counter[int] = Counter()  # sum of c(c-1) over items with m values
        self.pairable = 0  # items with two labels or more
        self.annotators: Counter[str] = Counter()  # items each annotator labeled

    # -- keeping up ----------------------------------------------------------
    def poll(self) -> None:
        """Bring the numbers up to the store's watermark."""
        with self._lock:
            mark = self.store.watermark()
            if self.mark < 0 or mark < self.mark:
                self._refresh(None)
            elif mark > self.mark:
                self._refresh(self.store.changed_items(self.task, self.mark, mark))
            self.mark = mark

    def _refresh(self, items: list[str] | None) -> None:
        if items is not None and not items:
            return
        store, task = self.store, self.task
        state = store.current(task, labels_only=False, item_ids=items)
        kinds = list(dict.fromkeys(("label", "ambiguous", *REVIEW_OUTCOMES)))
        if items is None:  # the whole log: one pass where the store can
            log, labels, opened = store.status_rows(task, kinds)
        else:
            log = store.live_rows(task, kinds, items)
            labels = store.annotator_label_rows(task, items)
            opened = store.open_reviews(task, items)
        kinds_tiers = zip(state["kind"].tolist(), state["tier"].tolist(), strict=True)
        new_state = dict(zip(state["item_id"].tolist(), kinds_tiers, strict=True))
        new_labels: dict[str, list] = {}
        new_reviews: dict[str, list[str]] = {}
        for iid, kind, tier, who, when, ms in log:
            if kind == "label":
                new_labels.setdefault(iid, []).append((who, when, None if ms is None else int(ms)))
            if kind in REVIEW_OUTCOMES and not (kind == "ambiguous" and tier == "annotate"):
                new_reviews.setdefault(iid, []).append(REVIEW_OUTCOMES[kind])
        new_values: dict[str, dict[str, Any]] = {}
        for iid, who, value in labels:
            new_values.setdefault(iid, {})[who] = _class_of(value)
        if items is None:  # from the whole log: start again from nothing
            self._reset()
            self._load(new_state, new_labels, new_reviews, opened, new_values)
            return
        touched = set(items) | set(new_state) | set(new_labels) | set(new_reviews) | set(new_values)
        touched |= set(opened)
        for iid in touched:
            self._swap(iid, new_state.get(iid), new_labels.get(iid, []),
                       new_reviews.get(iid, []), opened.get(iid, ()),
                       new_values.get(iid, {}))  # fmt: skip

    def _load(
        self,
        state: dict[str, tuple[str, str]],
        labels: dict[str, list[tuple[str, float, int | None]]],
        reviews: dict[str, list[str]],
        opened: dict[str, tuple[str, ...]],
        values: dict[str, dict[str, Any]],
    ) -> None:
        """Every item's contribution at once, from nothing (the first poll): what
        :meth:`_swap` would add item by item, in bulk. (Each entry holds something:
        :meth:`_refresh` makes one only to add to it, and ``open_reviews`` gives
        items with a reason.)"""
        self._state = dict(state)
        self.states = Counter(state.values())
        self._labels = labels
        for rows in labels.values():
            for who, when, ms in rows:
                self.times.setdefault(who, []).append(when)
                if ms is not None:
                    self.durations.setdefault(who, []).append(ms)
        for lists in (self.times, self.durations):
            for v in lists.values():
                v.sort()
        self._reviews = reviews
        self.outcomes = Counter(o for r in reviews.values() for o in r)
        self._open = dict(opened)
        self.reasons = Counter(x for r in opened.values() for x in r)
        self._values = values
        for v in values.values():
            self._agreement(v, +1)

    def _swap(
        self,
        iid: str,
        state: tuple[str, str] | None,
        labels: list[tuple[str, float, int | None]],
        reviews: list[str],
        opened: tuple[str, ...],
        values: dict[str, Any],
    ) -> None:
        """Replace item ``iid``'s contribution to every count."""
        old = self._state.pop(iid, None)
        if old is not None:
            self.states[old] -= 1
        if state is not None:
            self._state[iid] = state
            self.states[state] += 1
        for who, when, ms in self._labels.pop(iid, []):
            _remove(self.times[who], when)
            if ms is not None:
                _remove(self.durations[who], ms)
        for who, when, ms in labels:
            bisect.insort(self.times.setdefault(who, []), when)
            if ms is not None:
                bisect.insort(self.durations.setdefault(who, []), ms)
        if labels:
            self._labels[iid] = labels
        self.outcomes.subtract(self._reviews.pop(iid, []))
        self.outcomes.update(reviews)
        if reviews:
            self._reviews[iid] = reviews
        self.reasons.subtract(self._open.pop(iid, ()))
        self.reasons.update(opened)
        if opened:
            self._open[iid] = opened
        self._agreement(self._values.pop(iid, {}), -1)
        self._agreement(values, +1)
        if values:
            self._values[iid] = values

    def _agreement(self, values: dict[str, Any], sign: int) -> None:
        """Add (``sign`` +1) or take away (-1) one item's labels from the agreement sums."""
        for who in values:
            self.annotators[who] += sign
        counts = Counter(v for v in values.values() if v is not None)
        m = sum(counts.values())
        if m < 2:
            return
        self.pairable += sign
        self.agree_by_m[m] += sign * sum(c * (c - 1) for c in counts.values())
        for v, c in counts.items():
            self.n_c[v] += sign * c

    # -- reading -------------------------------------------------------------
    def with_state(self) -> int:
        """Items with a state for the task (``progress``'s ``done``) at the last poll."""
        return len(self._state)

    def numbers(self, t_now: float) -> dict[str, Any]:
        """:func:`status`'s numbers at ``t_now`` from what the last :meth:`poll` read
        (agreement and open reviews as the store's own interpretation gives them)."""
        labeled = sum(n for (k, _), n in self.states.items() if k in LABEL_KINDS)
        skipped = sum(n for (k, _), n in self.states.items() if k == "skip")
        flagged = self.states[("ambiguous", "annotate")]
        hour, day = {}, {}
        for who, times in sorted(self.times.items()):
            end = bisect.bisect_right(times, t_now)
            for window, into in ((_HOUR, hour), (24 * _HOUR, day)):
                n = end - bisect.bisect_right(times, t_now - window)
                if n:
                    into[str(who)] = n
        per_label = {}
        for who, ms in sorted(self.durations.items()):
            if ms:
                mid = len(ms) // 2
                median = float(ms[mid]) if len(ms) % 2 else (ms[mid - 1] + ms[mid]) / 2.0
                per_label[str(who)] = median / 1000.0
        outcomes = {v: 0 for v in REVIEW_OUTCOMES.values()}
        outcomes.update({k: int(n) for k, n in self.outcomes.items() if n})
        return {
            "labeled": labeled,
            "skipped": skipped,
            "ambiguous": flagged,
            "labels_last_hour": sum(hour.values()),
            "labels_last_hour_by_annotator": hour,
            "throughput_per_hour": sum(day.values()) / 24.0,
            "throughput_per_hour_by_annotator": {k: v / 24.0 for k, v in day.items()},
            "open_reviews": len(self._open),
            "open_reviews_by_reason": {
                "disagreement": self.reasons["disagreement"],
                "ambiguous": self.reasons["ambiguous"],
            },
            "review_outcomes": outcomes,
            "seconds_per_label": per_label,
        }

    def agreement(self) -> tuple[float | None, int]:
        """``(alpha, items)``: Krippendorff's alpha (nominal) of each annotator's latest
        label, as :func:`~workbench.agreement.project_agreement` gives it, or ``None``
        (fewer than two annotators, or no item labeled twice)."""
        annotators = sum(1 for n in self.annotators.values() if n > 0)
        if annotators < 2 or self.pairable == 0:
            return None, 0
        agree = sum(s / (m - 1) for m, s in sorted(self.agree_by_m.items()) if s)
        n_c = [c for c in self.n_c.values() if c]
        n = float(sum(n_c))
        expected = n * n - float(sum(c * c for c in n_c))
        if n == 0 or expected <= 0:
            return None, self.pairable
        return _finite(1.0 - (n - 1.0) * (n - agree) / expected), self.pairable


def _remove(values: list, v: Any) -> None:
    """Take one ``v`` out of the sorted list ``values``."""
    i = bisect.bisect_left(values, v)
    if i < len(values) and values[i] == v:
        del values[i]


def _class_of(value: Any) -> Any:
    """A label value as one category (a list or dict by its JSON text); ``None`` for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


_LIVE: weakref.WeakKeyDictionary[Any, dict[str, LiveStatus]] = weakref.WeakKeyDictionary()
_LIVE_LOCK = threading.Lock()


def live_status(store: Any, task: str) -> LiveStatus:
    """The :class:`LiveStatus` of ``task`` in ``store``, polled. Where the store
    cannot give a watermark to this user (a read-only SQLite file, a team member's
    PostgreSQL role), a new one built from the whole log each time."""
    with _LIVE_LOCK:
        tasks = _LIVE.setdefault(store, {})
        live = tasks.get(task)
        if live is None:
            live = tasks[task] = LiveStatus(store, task)
    try:
        live.poll()
    except WorkbenchError:
        with _LIVE_LOCK:
            _LIVE.get(store, {}).pop(task, None)
        live = LiveStatus(store, task)
        live._refresh(None)
    return live


# ---------------------------------------------------------------------------
# figures


#: Okabe and Ito's colour-blind-safe palette, without its black (unreadable on a dark
#: template): the categorical colours of every figure here.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#999999")  # fmt: skip
#: The gold heat map's scale: sequential and readable with any colour vision.
SEQUENTIAL = "Cividis"
NO_DATA = "no data yet"
_MUTED = "#8c8c8c"  # grey readable on white and on plotly_dark's background


def _figure(title: str, **layout: Any) -> Any:
    go = require("plotly.graph_objects", "ml")
    fig = go.Figure()
    fig.update_layout(title=title, template="plotly_white", colorway=list(OKABE_ITO), **layout)
    return fig


def progress_figure(project: Project, task: str | None = None) -> Any:
    """Labeled items over time: a step line, one step per item at its first label.

    An item counts from its first ``label``, ``review-accept`` or
    ``review-correct`` event that is not retracted. Returns a
    ``plotly.graph_objects.Figure`` with one trace, ``labeled`` (x UTC
    datetimes, y cumulative item counts).
    """
    go = require("plotly.graph_objects", "ml")
    name = project.schema.task(task).name
    log = _task_log(project, name)
    first = log[log["kind"].isin(LABEL_KINDS)].drop_duplicates("item_id", keep="first")
    items = project.store.progress(name)[1]
    fig = _figure(
        f"Progress of {name!r}: {len(first)} of {items} items labeled",
        xaxis_title="time (UTC)", yaxis_title="labeled items",
    )  # fmt: skip
    fig.add_trace(go.Scatter(
        x=_datetimes(first["t"]), y=list(range(1, len(first) + 1)),
        mode="lines+markers", line_shape="hv", name="labeled",
    ))  # fmt: skip
    return fig


def throughput_figure(
    project: Project, task: str | None = None, *, hours: int | None = None,
    now: float | None = None,
) -> Any:  # fmt: skip
    """Labels per hour per annotator: stacked bars, one trace per annotator.

    Counts ``label`` events (not retracted) in whole UTC hours; hours with no
    label show as 0 from the first labeled hour to the last. With ``hours``,
    only labels in ``(now - hours, now]`` count, and the bars run to the hour
    of ``now``. Trace x: hour starts (UTC datetimes); y: label counts.
    """
    go = require("plotly.graph_objects", "ml")
    name = project.schema.task(task).name
    log = _task_log(project, name)
    labels = log[log["kind"] == "label"]
    end = None
    if hours is not None:
        if isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
            raise ValueError(f"hours must be a positive integer or None, got {hours!r}")
        t_now = _now(now)
        labels = labels[(labels["t"] > t_now - hours * _HOUR) & (labels["t"] <= t_now)]
        end = np.floor(t_now / _HOUR) * _HOUR
    fig = _figure(
        f"Throughput on {name!r}: labels per hour", xaxis_title="hour (UTC)",
        yaxis_title="labels", barmode="stack", legend_title="annotator",
    )  # fmt: skip
    if labels.empty:
        return fig
    bins = np.floor(labels["t"].to_numpy() / _HOUR) * _HOUR
    last = bins.max() if end is None else end
    starts = np.arange(bins.min(), last + _HOUR / 2, _HOUR)
    table = pd.crosstab(bins, labels["annotator"].to_numpy()).reindex(starts, fill_value=0)
    for annotator in sorted(table.columns):
        fig.add_trace(go.Bar(
            x=_datetimes(starts), y=table[annotator].astype(int).tolist(), name=str(annotator),
            # ms on a date axis: each bar covers its hour (x is the hour's start), even alone
            width=0.9 * _HOUR * 1000, offset=0.05 * _HOUR * 1000,
        ))  # fmt: skip
    return fig


def agreement_figure(project: Project, task: str | None = None) -> Any:
    """Agreement per annotator and per class, side by side.

    Left: each annotator's mean pairwise Cohen's kappa (bars, trace
    ``mean kappa``) and kappa against the majority of the others (markers,
    ``kappa vs majority``). Right: each class's one-vs-rest Krippendorff's alpha
    (bars, ``class alpha``). From :func:`~workbench.agreement.project_agreement`;
    undefined figures are ``None`` (no bar). With no overlapping labels of two
    annotators the figure has no traces and says so in its title.
    """
    go = require("plotly.graph_objects", "ml")
    make_subplots = require("plotly.subplots", "ml").make_subplots
    name = project.schema.task(task).name
    result = _label_agreement(project, name)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("per annotator", "per class"))
    if result is None:
        fig.update_layout(title=f"Agreement on {name!r}: no item labeled by two annotators yet",
                          template="plotly_white")  # fmt: skip
        return fig
    alpha = _finite(result.alpha)
    shown = "undefined" if alpha is None else f"{alpha:.3f}"
    fig.update_layout(
        title=f"Agreement on {name!r}: Krippendorff's alpha {shown} over {result.items} items",
        template="plotly_white",
    )
    ann = result.by_annotator.sort_index()
    names = [str(a) for a in ann.index]
    fig.add_trace(go.Bar(x=names, y=[_finite(v) for v in ann["mean_kappa"]], name="mean kappa"),
                  row=1, col=1)  # fmt: skip
    fig.add_trace(go.Scatter(x=names, y=[_finite(v) for v in ann["kappa_vs_majority"]],
                             mode="markers", name="kappa vs majority"), row=1, col=1)  # fmt: skip
    cls = result.by_class
    fig.add_trace(go.Bar(x=[str(c) for c in cls.index], y=[_finite(v) for v in cls["alpha"]],
                         name="class alpha"), row=1, col=2)  # fmt: skip
    fig.update_yaxes(title_text="kappa", row=1, col=1)
    fig.update_yaxes(title_text="alpha", row=1, col=2)
    return fig


def review_figure(project: Project, task: str | None = None) -> Any:
    """Review outcomes: stacked bars over ``accept``, ``correct``, ``ambiguous``,
    ``send_back``, one trace per reviewer (y: decisions, 0 where none)."""
    go = require("plotly.graph_objects", "ml")
    name = project.schema.task(task).name
    log = _task_log(project, name)
    reviews = log[_is_review(log)]
    outcomes = list(REVIEW_OUTCOMES.values())
    fig = _figure(
        f"Review outcomes on {name!r}: {len(reviews)} decisions", xaxis_title="outcome",
        yaxis_title="decisions", barmode="stack", legend_title="reviewer",
    )  # fmt: skip
    if reviews.empty:
        return fig
    table = pd.crosstab(reviews["annotator"], reviews["kind"].map(REVIEW_OUTCOMES))
    table = table.reindex(columns=outcomes, fill_value=0)
    for reviewer in sorted(table.index):
        fig.add_trace(go.Bar(
            x=outcomes, y=table.loc[reviewer].astype(int).tolist(), name=str(reviewer),
        ))  # fmt: skip
    return fig


def _state_name(kind: str, tier: str) -> str:
    return f"{tier}: {kind}"


def bottleneck_figure(project: Project, task: str | None = None, *,
                      now: float | None = None) -> Any:  # fmt: skip
    """Where items wait: how many are in each current state, and for how long.

    States are ``unlabeled`` and ``"TIER: KIND"`` of each item's current state
    event (``"annotate: label"``, ``"annotate: ambiguous"``, ``"review:
    review-accept"`` ...), in tier order. Left: items per state (trace
    ``items``). Right: hours since the state event, oldest (bars, ``oldest``)
    and median (markers, ``median``); ``None`` for ``unlabeled`` (an item's
    waiting time starts at its first event).
    """
    go = require("plotly.graph_objects", "ml")
    make_subplots = require("plotly.subplots", "ml").make_subplots
    name = project.schema.task(task).name
    t_now = _now(now)
    current = _current(project, name)
    items = project.store.progress(name)[1]
    current = current.assign(
        state=[_state_name(k, t) for k, t in zip(current["kind"], current["tier"], strict=True)],
        age=(t_now - current["t"]) / _HOUR,
    )
    order = ["unlabeled"] + [_state_name(k, t) for t in TIERS for k in STATE_KINDS]
    order = [s for s in order if s == "unlabeled" or s in set(current["state"])]
    counts = current["state"].value_counts()
    n = [items - len(current) if s == "unlabeled" else int(counts[s]) for s in order]
    ages = current.groupby("state")["age"]
    oldest = [None if s == "unlabeled" else float(ages.max()[s]) for s in order]
    median = [None if s == "unlabeled" else float(ages.median()[s]) for s in order]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("items per state", "hours in state"))
    fig.update_layout(title=f"Bottlenecks on {name!r}", template="plotly_white")
    fig.add_trace(go.Bar(x=order, y=n, name="items"), row=1, col=1)
    fig.add_trace(go.Bar(x=order, y=oldest, name="oldest"), row=1, col=2)
    fig.add_trace(go.Scatter(x=order, y=median, mode="markers", name="median"), row=1, col=2)
    fig.update_yaxes(title_text="items", row=1, col=1)
    fig.update_yaxes(title_text="hours", row=1, col=2)
    return fig


def gold_figure(project: Project, task: str | None = None) -> Any:
    """Each annotator's accuracy on gold items, per gold class: a heat map.

    From :meth:`Team.gold_accuracy <workbench.team.Team.gold_accuracy>` (the
    lead's or an admin's). One trace, ``gold accuracy``: y the annotators
    (sorted), x the gold answers' classes (in schema order) and ``(all)``
    last; z the accuracy in [0, 1], ``None`` where an annotator had no gold item
    of that class; ``customdata`` the number of gold answers ``n`` and ``text``
    ``"right/n"`` of each cell (both on hover, the text in the cell). With no
    gold answers yet the figure has no traces and says so in its title.
    """
    go = require("plotly.graph_objects", "ml")
    name = project.schema.task(task).name
    acc = _team(project).gold_accuracy(name)
    mean = _gold_mean(acc)
    if mean is None:
        return _figure(f"Gold accuracy on {name!r}: no gold answers yet")
    n_all = int(acc.loc[acc["label"] == "(all)", "n"].sum())
    fig = _figure(
        f"Gold accuracy on {name!r}: {mean:.0%} of {n_all} answers right",
        xaxis_title="gold answer", yaxis_title="annotator",
    )  # fmt: skip
    known = [c.name for c in getattr(project.schema.task(name), "classes", ())]
    present = set(acc["label"]) - {"(all)"}
    classes = [c for c in known if c in present] + sorted(present - set(known)) + ["(all)"]
    annotators = sorted(set(acc["annotator"]))
    cells = acc.set_index(["annotator", "label"])
    z, n, text = [], [], []
    for who in annotators:
        row = [cells.loc[(who, c)] if (who, c) in cells.index else None for c in classes]
        z.append([None if r is None else float(r["accuracy"]) for r in row])
        n.append([0 if r is None else int(r["n"]) for r in row])
        text.append(["" if r is None else f"{int(r['correct'])}/{int(r['n'])}" for r in row])
    fig.add_trace(go.Heatmap(
        x=classes, y=annotators, z=z, customdata=n, text=text, texttemplate="%{text}",
        zmin=0.0, zmax=1.0, colorscale=SEQUENTIAL, name="gold accuracy",
        colorbar={"title": {"text": "accuracy"}},
        hovertemplate="%{y} on gold %{x}: accuracy %{z:.2f}<br>"
                      "%{text} right, n = %{customdata}<extra></extra>",
    ))  # fmt: skip
    return fig


def tier_figure(project: Project, task: str | None = None, *,
                stuck_after_s: float = 3600.0) -> Any:  # fmt: skip
    """Work per review tier (``annotate``, ``review``, ``qa``), and items stuck in each.

    From :meth:`Team.queue <workbench.team.Team.queue>` (the lead's or an
    admin's), x the three tiers in order (0 for a tier with no items yet).
    Stacked bars count slots (one per person an item needs): ``open`` (free
    to claim), ``claimed`` (held under a lease) and ``done``, with each tier's
    ``items`` and ``complete`` items on hover (``customdata``). Markers,
    ``stuck``: items still incomplete whose last claim is older than
    ``stuck_after_s`` seconds.
    """
    go = require("plotly.graph_objects", "ml")
    name = project.schema.task(task).name
    tiers = _tiers(_team(project).queue(name, stuck_after_s=stuck_after_s))
    x = list(tiers)
    summary = "; ".join(
        f"{t} {v['complete']} of {v['items']} items complete" for t, v in tiers.items()
        if v["items"]
    )  # fmt: skip
    stuck = sum(v["stuck"] for v in tiers.values())
    fig = _figure(
        f"Work per tier on {name!r}: {summary or 'no items in the pool'}; {stuck} stuck",
        xaxis_title="tier", yaxis_title="slots (bars), stuck items (markers)",
        barmode="stack", legend_title="state",
    )  # fmt: skip
    about = [[v["items"], v["complete"]] for v in tiers.values()]
    for state in ("open", "claimed", "done"):
        fig.add_trace(go.Bar(
            x=x, y=[v[state] for v in tiers.values()], name=state, customdata=about,
            hovertemplate=f"%{{x}}: %{{y}} {state} slots<br>%{{customdata[1]}} of "
                          "%{customdata[0]} items complete<extra></extra>",
        ))  # fmt: skip
    counts = [v["stuck"] for v in tiers.values()]
    fig.add_trace(go.Scatter(
        x=x, y=counts, name="stuck", mode="markers+text", text=[f"{c} stuck" for c in counts],
        textposition="top center",
        marker={"symbol": "diamond", "size": 11, "color": OKABE_ITO[5]},
        hovertemplate=f"%{{x}}: %{{y}} items stuck (last claimed over {stuck_after_s:g} s ago)"
                      "<extra></extra>",
    ))  # fmt: skip
    return fig


#: Panels of :func:`dashboard`: (row, column) of each figure builder's traces.
_PANELS = (
    ("progress", (1, 1)), ("throughput per hour", (1, 2)),
    ("agreement per annotator", (2, 1)), ("agreement per class", (2, 2)),
    ("review outcomes", (3, 1)), ("items per state", (3, 2)),
)  # fmt: skip
#: The panels a team project's lead and admins get on top of :data:`_PANELS`.
_TEAM_PANELS = (("gold accuracy", (4, 1)), ("work per tier", (4, 2)))
#: What each panel's title reads (the time panels say their times are UTC, so their x
#: axes need no title under the ticks, where the next row's titles sit).
_TITLES = {"progress": "progress (UTC)", "throughput per hour": "labels per hour (UTC)"}
#: Axis titles of each panel (x, y); no x titles: categorical ticks say it, and the
#: time panels' titles say UTC.
_AXES = {
    "progress": (None, "labeled items"),
    "throughput per hour": (None, "labels"),
    "agreement per annotator": (None, "kappa"),
    "agreement per class": (None, "alpha"),
    "review outcomes": (None, "decisions"),
    "items per state": (None, None),  # horizontal bars; the title says what they count
    "gold accuracy": (None, "annotator"),
    "work per tier": (None, "slots; stuck items"),
}
#: Panels whose y axis counts things.
_COUNT_PANELS = ("progress", "throughput per hour", "review outcomes", "items per state",
                 "work per tier")  # fmt: skip
#: Panels whose x axis is time.
_TIME_PANELS = ("progress", "throughput per hour")
#: Fixed colours of the series that are not people (people take the palette in name order).
_SERIES = {"mean kappa": OKABE_ITO[0], "kappa vs majority": OKABE_ITO[1],
           "open": OKABE_ITO[4], "claimed": OKABE_ITO[1], "done": OKABE_ITO[2],
           "stuck": OKABE_ITO[5]}  # fmt: skip
_PEOPLE_PANELS = ("throughput per hour", "review outcomes")


#: What each current state (``"tier: kind"``, see :func:`bottleneck_figure`) reads as
#: on the dashboard.
_KIND_WORDS = {"label": "labeled", "skip": "skipped", "ambiguous": "flagged ambiguous",
               "review-accept": "accepted", "review-correct": "corrected",
               "send-back": "sent back"}  # fmt: skip
_TIER_WORDS = {"annotate": "", "review": " in review", "qa": " in QA"}


def _state_words(state: str) -> str:
    """A :func:`bottleneck_figure` state in words: ``"annotate: label"`` reads
    ``"labeled"``, ``"review: review-accept"`` ``"accepted in review"``; an unknown
    state reads as itself."""
    tier, _, kind = state.partition(": ")
    if kind not in _KIND_WORDS or tier not in _TIER_WORDS:
        return state
    if kind == "ambiguous" and tier != "annotate":
        return "ambiguous" + _TIER_WORDS[tier]  # a reviewer's decision, not a flag
    return _KIND_WORDS[kind] + _TIER_WORDS[tier]


def _two_lines(words: str) -> str:
    """Words on two lines: before ``in TIER``, else after the first word."""
    return words.replace(" in ", "<br>in ", 1) if " in " in words else words.replace(" ", "<br>", 1)


#: Where JupyterLab saves its theme choice, under its user-settings folder.
_THEME_SETTINGS = ("@jupyterlab", "apputils-extension", "themes.jupyterlab-settings")


def _strip_comments(text: str) -> str:
    """JSON with ``//`` and ``/* */`` comments (JupyterLab's settings files), less them."""
    out, i, n, in_string = [], 0, len(text), False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _jupyterlab_template() -> str:
    """``"plotly_dark"`` when JupyterLab's saved theme is a dark one, else ``"plotly_white"``.

    Reads the theme setting (see :func:`dashboard`); never fails: a missing,
    unreadable or odd file, or a theme that follows the system (undecidable from
    the kernel), gives the light template.
    """
    import os
    from pathlib import Path

    try:
        folder = os.environ.get("JUPYTERLAB_SETTINGS_DIR")
        if not folder:
            from jupyter_core.paths import jupyter_config_dir

            folder = str(Path(jupyter_config_dir()) / "lab" / "user-settings")
        text = Path(folder, *_THEME_SETTINGS).read_text(encoding="utf-8")
        # JSON with comments, and perhaps trailing commas, as people edit it
        settings = json.loads(re.sub(r",(\s*[}\]])", r"\1", _strip_comments(text)))
        theme = settings.get("theme") if isinstance(settings, dict) else None
        if settings.get("adaptive-theme") is True:
            return "plotly_white"
        if isinstance(theme, str) and "dark" in theme.lower():
            return "plotly_dark"
    except Exception:  # noqa: BLE001 - a figure must not fail over a settings file
        pass
    return "plotly_white"


_LEGEND_ROW_PX = 23  # one legend entry at font size 11, with its gap


def _headroom(traces: list[Any], rows: int, panel_px: float) -> list[float] | None:
    """A y range for a panel whose legend sits inside its top: the data below the
    legend's ``rows`` entries (``panel_px`` the panel's height in pixels)."""
    stacked: dict[Any, float] = {}
    values: list[float] = []
    for t in traces:
        ys = [v for v in (t.y or ()) if v is not None]
        values += [float(v) for v in ys]
        if t.type == "bar":
            for x, v in zip(t.x or (), t.y or (), strict=False):
                if v is not None and v > 0:
                    stacked[x] = stacked.get(x, 0.0) + float(v)
    if not values:
        return None
    top = max([*values, *stacked.values(), 0.0])
    bottom = min([*values, 0.0])
    if top == bottom:
        top = bottom + 1.0
    legend = min(0.6, (rows * _LEGEND_ROW_PX + 10) / panel_px)
    return [bottom, bottom + (top - bottom) / (1.0 - legend)]


#: Review outcomes (:data:`REVIEW_OUTCOMES`' values) as the dashboard's ticks read them.
_OUTCOME_WORDS = {"accept": "accepted", "correct": "corrected", "ambiguous": "ambiguous",
                  "send_back": "sent back"}  # fmt: skip


def _outcome_words(traces: Any) -> Any:
    """:func:`review_figure`'s traces with their outcomes in words (raw in ``customdata``)."""
    for trace in traces:
        raw = list(trace.x)
        trace.update(x=[_OUTCOME_WORDS.get(str(x), str(x)) for x in raw], customdata=raw,
                     hovertemplate=f"{trace.name}: %{{y}} %{{x}}<extra></extra>")  # fmt: skip
    return traces


def _in_words(traces: Any) -> Any:
    """:func:`bottleneck_figure`'s items trace with its states in words (the raw state
    in ``customdata``, on hover)."""
    for trace in traces:
        raw, counts = list(trace.x), list(trace.y)
        # Horizontal bars: the states' words read level, on two lines where long, however
        # many states there are and however narrow the notebook.
        words = [_two_lines(_state_words(str(x))) for x in raw]
        trace.update(x=counts, y=words, orientation="h", customdata=raw,
                     hovertemplate="%{y}: %{x} items (%{customdata})<extra></extra>")  # fmt: skip
    return traces


def _has_data(trace: Any) -> bool:
    if getattr(trace, "z", None) is not None:
        return any(v is not None for row in trace.z for v in row)
    ys = list(trace.y) if trace.y is not None else []
    return any(v is not None for v in ys)


def dashboard(
    project: Project, task: str | None = None, *, now: float | None = None,
    template: str = "auto",
) -> Any:  # fmt: skip
    """One figure with the team dashboard's panels (3 × 2 subplots; 4 × 2 in team mode).

    Progress, throughput per hour per annotator (last 24 h before ``now``),
    agreement per annotator and per class, review outcomes per reviewer, and
    items per current state. The same traces as :func:`progress_figure`,
    :func:`throughput_figure` (``hours=24``), :func:`agreement_figure`,
    :func:`review_figure` and the left half of :func:`bottleneck_figure`; the
    title carries :func:`status`'s headline numbers.

    A team project opened by its lead or an admin gets a fourth row: gold
    accuracy (:func:`gold_figure`'s heat map, its colour scale hidden: the
    cells carry their numbers) and work per tier (:func:`tier_figure`), and
    the mean gold accuracy in the title.

    Each panel with more than one series has its own legend inside its top
    left corner, above the data (the y axis leaves room for it; a person
    keeps one colour in every panel, from :data:`OKABE_ITO`); a panel with
    one series has none (its title names it); a panel with nothing to show
    yet says "no data yet". Time axes tick hours and minutes, horizontally,
    with the date under the first tick; times are UTC. Item states read as
    words (``labeled``, ``accepted in review`` ...; the raw ``tier: kind`` is
    on hover).

    ``template`` is any plotly template (``"plotly_white"``, ``"plotly_dark"``
    ...) or ``"auto"`` (the default): ``plotly_dark`` when JupyterLab's saved
    theme setting names a dark theme, ``plotly_white`` otherwise. The setting
    is read from ``@jupyterlab/apputils-extension/themes.jupyterlab-settings``
    in JupyterLab's user-settings folder (``$JUPYTERLAB_SETTINGS_DIR``, else
    ``<jupyter config dir>/lab/user-settings``). A theme that follows the
    system's light or dark mode (``adaptive-theme``) cannot be known from the
    kernel, so it gets the light template, as does a missing or unreadable
    settings file; pass ``template=`` to choose.
    """
    make_subplots = require("plotly.subplots", "ml").make_subplots
    name = project.schema.task(task).name
    t_now = _now(now)
    if template == "auto":
        template = _jupyterlab_template()
    numbers = status(project, name, now=t_now)
    team = "tiers" in numbers  # the lead's or an admin's view of a team project
    panels = _PANELS + _TEAM_PANELS if team else _PANELS
    rows = 4 if team else 3
    height = 1400 if team else 1080
    margin = {"t": 125, "l": 70, "r": 30, "b": 60}
    spacing = 0.09 if team else 0.12
    panel_px = (height - margin["t"] - margin["b"]) * (1 - spacing * (rows - 1)) / rows
    fig = make_subplots(rows=rows, cols=2, vertical_spacing=spacing, horizontal_spacing=0.16,
                        subplot_titles=[_TITLES.get(t, t) for t, _ in panels])  # fmt: skip
    sources = [
        (progress_figure(project, name).data, {}),
        (throughput_figure(project, name, hours=24, now=t_now).data, {}),
        (agreement_figure(project, name).data, {"x2": (2, 2)}),
        (_outcome_words(review_figure(project, name).data), {}),
        (_in_words(bottleneck_figure(project, name, now=t_now).data[:1]), {}),
    ]
    places = [(1, 1), (1, 2), (2, 1), (3, 1), (3, 2)]
    if team:
        gold = gold_figure(project, name).data
        for trace in gold:
            trace.showscale = False
        sources += [(gold, {}), (tier_figure(project, name).data, {})]
        places += [(4, 1), (4, 2)]
    placed: dict[tuple[int, int], list[Any]] = {cell: [] for _, cell in panels}
    for (traces, moved), (row, col) in zip(sources, places, strict=True):
        for trace in traces:
            # agreement_figure's per-class traces sit on its second x axis
            r, c = moved.get(trace.xaxis, (row, col)) if trace.xaxis else (row, col)
            placed[(r, c)].append(trace)
    people = sorted({str(t.name) for title, cell in panels if title in _PEOPLE_PANELS
                     for t in placed[cell]})  # fmt: skip
    colours = {**{p: OKABE_ITO[i % len(OKABE_ITO)] for i, p in enumerate(people)}, **_SERIES}
    legends: dict[str, Any] = {}
    for index, (title, cell) in enumerate(panels, start=1):
        traces = placed[cell]
        suffix = "" if index == 1 else str(index)
        xaxis, yaxis = fig.layout[f"xaxis{suffix}"], fig.layout[f"yaxis{suffix}"]
        legend = f"legend{suffix}"
        several = len(traces) > 1
        for trace in traces:
            colour = colours.get(str(trace.name), OKABE_ITO[0]) if several else OKABE_ITO[0]
            if trace.type == "bar":
                trace.marker.color = colour
            elif trace.type == "scatter":
                trace.marker.color = colour
                trace.line.color = colour
            trace.update(showlegend=several, legend=legend, legendgroup=f"{title}:{trace.name}")
            fig.add_trace(trace, row=cell[0], col=cell[1])
        if several:
            # Inside its own panel's top left corner, over room the y axis leaves for it:
            # beside the panel it would run into the next one in a narrow notebook.
            legends[legend] = {
                "x": xaxis.domain[0] + 0.005, "y": yaxis.domain[1], "xanchor": "left",
                "yanchor": "top", "bgcolor": "rgba(0,0,0,0)", "font": {"size": 11},
                "tracegroupgap": 0, "itemsizing": "constant",
            }  # fmt: skip
            y_range = _headroom(traces, len(traces), panel_px)
            if y_range is not None:
                fig.update_yaxes(range=y_range, row=cell[0], col=cell[1])
        empty = not any(_has_data(t) for t in traces) or (
            title == "items per state" and not numbers["items"]
        )
        x_title, y_title = (None, None) if empty else _AXES[title]
        fig.update_xaxes(title_text=x_title, row=cell[0], col=cell[1])
        fig.update_yaxes(title_text=y_title, row=cell[0], col=cell[1])
        if title not in _TIME_PANELS:
            # Level ticks: rotated ones would hang into the titles of the row below.
            fig.update_xaxes(tickangle=0, tickfont_size=11, row=cell[0], col=cell[1])
        if title in _COUNT_PANELS and not empty:
            flat = title == "items per state"  # horizontal bars: counts on x
            top = max((v for t in traces for v in ((t.x if flat else t.y) or ())
                       if v is not None), default=0)  # fmt: skip
            update = fig.update_xaxes if flat else fig.update_yaxes
            if top < 6:  # whole counts: no 0.2, 0.4 … ticks
                update(dtick=1, row=cell[0], col=cell[1])
            if flat:
                fig.update_yaxes(autorange="reversed", row=cell[0], col=cell[1])
        if title in _TIME_PANELS:
            # Dates, never epoch numbers (plotly picks the tick format for the span).
            # Horizontal ticks, hours and minutes, the date once under the first: rotated
            # dates ran into the titles of the row below.
            fig.update_xaxes(type="date", tickangle=0, nticks=5, row=cell[0], col=cell[1])
            times = [v for t in traces for v in (t.x or ())]
            if title == "progress" and times and max(times) - min(times) < pd.Timedelta(minutes=10):
                # A few labels within seconds: an hour around them, not decades.
                middle = min(times) + (max(times) - min(times)) / 2
                fig.update_xaxes(range=[middle - pd.Timedelta(minutes=30),
                                        middle + pd.Timedelta(minutes=30)],
                                 row=cell[0], col=cell[1])  # fmt: skip
        if empty:
            # A 0 bar's outline would draw a line on a dark template.
            fig.update_traces(marker_line_width=0, selector={"type": "bar"},
                              row=cell[0], col=cell[1])  # fmt: skip
            fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False,
                             row=cell[0], col=cell[1])  # fmt: skip
            fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False,
                             row=cell[0], col=cell[1])  # fmt: skip
            # In paper coordinates: plotly.js does not draw the axes of a panel without
            # traces, so "x2 domain" would not place it.
            fig.add_annotation(
                text=NO_DATA, showarrow=False, xref="paper", yref="paper",
                x=sum(xaxis.domain) / 2, y=sum(yaxis.domain) / 2, xanchor="center",
                yanchor="middle",
                font={"size": 15, "color": _MUTED},
            )  # fmt: skip
    alpha = numbers["agreement"]
    details = [
        f"{numbers['labeled']} labeled, {numbers['skipped']} skipped of "
        f"{numbers['items']} items ({numbers['progress']:.0%} done)",
        f"{numbers['labels_last_hour']} labels in the last hour",
        f"{numbers['open_reviews']} open reviews",
        "alpha " + ("n/a" if alpha is None else f"{alpha:.3f}"),
    ]
    if team:
        gold = numbers["gold_accuracy"]
        details.append("gold accuracy " + ("n/a" if gold is None else f"{gold:.0%}"))
    # The numbers on two lines: on one they ran past the edge of a 720 px notebook.
    lines = [" · ".join(details[:2]), " · ".join(details[2:])]
    title = f"Dashboard of {name!r}" + "".join(
        f"<br><span style='font-size:13px'>{line}</span>" for line in lines
    )
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "yref": "container", "y": 1.0,
               "yanchor": "top", "pad": {"t": 18}, "font": {"size": 18}},
        template=template, colorway=list(OKABE_ITO), barmode="stack",
        height=height, margin=margin,
        showlegend=True, **legends,
    )  # fmt: skip
    titles = {_TITLES.get(t, t) for t, _ in panels}
    fig.for_each_annotation(lambda a: a.update(font_size=14) if a.text in titles else None)
    return fig
