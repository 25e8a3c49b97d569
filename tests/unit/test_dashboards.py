"""Team dashboard: status() numbers and the figures' trace data on a log with set times."""

from __future__ import annotations

import json
import math
import re
import types

import pandas as pd
import pytest

import workbench as wb
from workbench import agreement as ag
from workbench import dashboards as dash
from workbench.store import base

pytest.importorskip("plotly")

T0 = 472_222 * 3600  # a whole UTC hour
NOW = T0 + 9000


class Clock:
    """Stands in for the ``time`` module the store stamps ``created_at`` with."""

    def __init__(self, t: float) -> None:
        self.t = t

    def time(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock(T0 - 60)
    monkeypatch.setattr(base, "time", types.SimpleNamespace(time=c.time))
    return c


def at(ts):
    return [pd.Timestamp(t, unit="s", tz="UTC") for t in ts]


def _project(tmp_path, n=10):
    animal = wb.Classification("animal", classes=["cat", "dog", "owl"])
    p = wb.Project(tmp_path / "p.db", schema=wb.Schema((animal,)), annotator="lead")
    p.add_texts([f"t{i}" for i in range(n)], ids=[f"i{i}" for i in range(n)])
    return p


@pytest.fixture
def team(tmp_path, clock):
    """Two annotators (ann, bob) and a reviewer (rev) over 10 items, at set times."""
    p = _project(tmp_path)

    def do(t, fn, *args, **kw):
        clock.t = T0 + t
        return fn(*args, **kw)

    do(0, p.label, "i0", "cat", annotator="ann", duration_ms=1000)
    do(600, p.label, "i1", "dog", annotator="ann", duration_ms=3000)
    do(1200, p.label, "i0", "cat", annotator="bob", duration_ms=2000)
    do(1800, p.label, "i1", "cat", annotator="bob", duration_ms=4000)  # disagrees: open
    do(3660, p.label, "i2", "owl", annotator="bob", duration_ms=6000)
    do(3720, p.label, "i2", "owl", annotator="ann")  # no duration: not in the median
    wrong = do(3780, p.label, "i3", "dog", annotator="ann", duration_ms=99_000)
    do(3840, p.retract, wrong)  # neither the label nor the retraction counts
    do(3960, p.label, "i4", None, kind="skip", annotator="bob")
    do(4020, p.label, "i5", None, kind="ambiguous", annotator="ann")  # flagged: open
    do(7200, p.label, "i6", "cat", annotator="bob", duration_ms=5000)
    do(7230, p.label, "i6", "dog", annotator="ann", duration_ms=7000)
    do(7260, p.review_label, "i6", "correct", "dog", annotator="rev")  # settles i6
    do(7290, p.review_label, "i0", "accept", annotator="rev")
    do(7320, p.review_label, "i2", "ambiguous", annotator="rev")
    yield p
    p.close()


def test_status_numbers(team):
    s = dash.status(team, now=NOW)
    json.dumps(s, allow_nan=False)  # plain JSON for the side panel
    result = ag.project_agreement(team)
    assert result.items == 4  # i0, i1, i2, i6 (rev's correction counts as rev's label)
    assert s == {
        "task": "animal",
        "now": float(NOW),
        "items": 10,
        "labeled": 3,  # i0 accepted, i1 labeled, i6 corrected
        "skipped": 1,
        "ambiguous": 1,
        "progress": 0.4,
        "labels_last_hour": 2,
        "labels_last_hour_by_annotator": {"ann": 1, "bob": 1},
        "throughput_per_hour": 8 / 24,
        "throughput_per_hour_by_annotator": {"ann": 4 / 24, "bob": 4 / 24},
        "open_reviews": 2,
        "open_reviews_by_reason": {"disagreement": 1, "ambiguous": 1},
        "review_outcomes": {"accept": 1, "correct": 1, "ambiguous": 1, "send_back": 0},
        "agreement": result.alpha,
        "agreement_items": 4,
        "seconds_per_label": {"ann": 3.0, "bob": 4.5},
    }


def test_status_windows_follow_now(team):
    assert dash.status(team, now=T0 + 3600)["labels_last_hour"] == 3  # (T0, T0+3600]
    assert dash.status(team, now=T0 + 3600)["labels_last_hour_by_annotator"] == {"ann": 1, "bob": 2}
    late = dash.status(team, now=T0 + 7200 + 24 * 3600)
    # the window is (now - 24 h, now]: bob's i6 label at T0 + 7200 is just out
    assert late["labels_last_hour"] == 0 and late["throughput_per_hour"] == 1 / 24


def test_a_new_label_after_review_reopens_a_disagreement(team, clock):
    clock.t = T0 + 8000
    team.label("i6", "owl", annotator="cy")
    s = dash.status(team, now=NOW)
    assert s["open_reviews_by_reason"] == {"disagreement": 2, "ambiguous": 1}
    assert s["open_reviews"] == 3


def test_progress_figure(team):
    fig = dash.progress_figure(team)
    (trace,) = fig.data
    assert list(trace.x) == at([T0, T0 + 600, T0 + 3660, T0 + 7200])  # i0, i1, i2, i6
    assert list(trace.y) == [1, 2, 3, 4]
    assert "4 of 10" in fig.layout.title.text


def test_throughput_figure(team):
    fig = dash.throughput_figure(team)
    assert [t.name for t in fig.data] == ["ann", "bob"]
    for trace in fig.data:
        assert list(trace.x) == at([T0, T0 + 3600, T0 + 7200])
    assert list(fig.data[0].y) == [2, 1, 1]  # ann; the retracted i3 label left out
    assert list(fig.data[1].y) == [2, 1, 1]  # bob
    recent = dash.throughput_figure(team, hours=1, now=NOW)
    assert [(t.name, list(t.x), list(t.y)) for t in recent.data] == [
        ("ann", at([T0 + 7200]), [1]),
        ("bob", at([T0 + 7200]), [1]),
    ]
    # zero hours are bars of 0 up to the hour of now
    gap = dash.throughput_figure(team, hours=3, now=T0 + 4 * 3600 + 10)
    assert list(gap.data[0].x) == at([T0 + 3600, T0 + 7200, T0 + 10800, T0 + 14400])
    assert list(gap.data[0].y) == [1, 1, 0, 0]  # ann: i2 at +3720, i6 at +7230
    with pytest.raises(ValueError, match="hours"):
        dash.throughput_figure(team, hours=0)


def test_agreement_figure(team):
    fig = dash.agreement_figure(team)
    result = ag.project_agreement(team)
    per_ann, vs_majority, per_class = fig.data
    assert (per_ann.name, vs_majority.name, per_class.name) == (
        "mean kappa", "kappa vs majority", "class alpha",
    )  # fmt: skip
    assert list(per_ann.x) == ["ann", "bob", "rev"] == list(vs_majority.x)

    def plain(values):
        return [None if pd.isna(v) else float(v) for v in values]

    assert list(per_ann.y) == plain(result.by_annotator.loc[["ann", "bob", "rev"], "mean_kappa"])
    assert list(vs_majority.y) == plain(
        result.by_annotator.loc[["ann", "bob", "rev"], "kappa_vs_majority"]
    )
    assert list(per_class.x) == ["cat", "dog", "owl"]
    assert list(per_class.y) == plain(result.by_class["alpha"])
    assert per_class.xaxis == "x2" and per_ann.xaxis == "x"


def test_review_figure(team):
    fig = dash.review_figure(team)
    (trace,) = fig.data
    assert trace.name == "rev"
    assert list(trace.x) == ["accept", "correct", "ambiguous", "send_back"]
    assert list(trace.y) == [1, 1, 1, 0]


def test_bottleneck_figure(team):
    fig = dash.bottleneck_figure(team, now=NOW)
    items, oldest, median = fig.data
    states = [
        "unlabeled", "annotate: label", "annotate: skip", "annotate: ambiguous",
        "review: ambiguous", "review: review-accept", "review: review-correct",
    ]  # tiers in order, kinds in STATE_KINDS order  # fmt: skip
    assert list(items.x) == states == list(oldest.x) == list(median.x)
    assert list(items.y) == [4, 1, 1, 1, 1, 1, 1]  # i3 (retracted), i7, i8, i9 unlabeled
    hours = [None] + [(NOW - T0 - t) / 3600 for t in (1800, 3960, 4020, 7320, 7290, 7260)]
    assert oldest.y[0] is None and median.y[0] is None
    assert list(oldest.y[1:]) == pytest.approx(hours[1:])
    assert list(median.y[1:]) == pytest.approx(hours[1:])  # one item per state


def test_bottleneck_oldest_and_median(tmp_path, clock):
    p = _project(tmp_path, 3)
    for t, iid in ((0, "i0"), (3600, "i1"), (5400, "i2")):
        clock.t = T0 + t
        p.label(iid, "cat", annotator="ann")
    fig = dash.bottleneck_figure(p, now=T0 + 7200)
    items, oldest, median = fig.data
    assert list(items.x) == ["unlabeled", "annotate: label"]
    assert list(items.y) == [0, 3]
    assert list(oldest.y) == [None, 2.0] and list(median.y) == [None, 1.0]
    p.close()


def test_dashboard_puts_every_panel_on_one_figure(team):
    fig = dash.dashboard(team, now=NOW)
    placed = [(t.name, t.xaxis) for t in fig.data]
    assert placed == [
        ("labeled", "x"),
        ("ann", "x2"), ("bob", "x2"),
        ("mean kappa", "x3"), ("kappa vs majority", "x3"), ("class alpha", "x4"),
        ("rev", "x5"),
        ("items", "x6"),
    ]  # fmt: skip
    assert list(fig.data[1].y) == [2, 1, 1]  # ann, last 24 h before now, per hour
    assert "3 labeled, 1 skipped of 10 items (40% done)" in fig.layout.title.text
    assert "2 open reviews" in fig.layout.title.text


def test_dashboard_reads_well(team):
    """Titles with room, one legend beside each panel that has several series, time axes
    as dates, colours from a colour-blind-safe palette."""
    fig = dash.dashboard(team, now=NOW)
    layout = fig.layout
    assert layout.margin.t >= 100 and layout.title.xanchor == "left" and layout.title.x < 0.05
    # The numbers on two lines of their own, none longer than a 720 px notebook's width.
    lines = [re.sub("<[^>]+>", "", line) for line in layout.title.text.split("<br>")]
    assert len(lines) == 3 and all(len(line) < 80 for line in lines), lines
    assert layout.xaxis.type == "date" and layout.xaxis2.type == "date"
    # Legends: one per panel with several series, no name twice in one legend, none for a
    # panel with one series.
    shown = {}
    for trace in fig.data:
        if trace.showlegend:
            shown.setdefault(trace.legend, []).append(trace.name)
    assert shown == {"legend2": ["ann", "bob"], "legend3": ["mean kappa", "kappa vs majority"]}
    single = [t for t in fig.data if t.name in ("labeled", "class alpha", "rev", "items")]
    assert not any(t.showlegend for t in single)
    assert len({(t.legend, t.legendgroup) for t in fig.data}) == len(fig.data)
    for legend, panel in (("legend2", 2), ("legend3", 3)):
        _assert_legend_inside(fig, legend, panel)
    # Colours: every series from the Okabe-Ito palette; a person keeps one colour.
    palette = set(dash.OKABE_ITO)
    assert all(t.marker.color in palette for t in fig.data)
    assert fig.data[1].marker.color != fig.data[2].marker.color  # ann and bob differ
    assert list(layout.colorway) == list(dash.OKABE_ITO)
    assert "#000000" not in palette  # black would vanish on a dark template
    assert dash.NO_DATA not in [a.text for a in layout.annotations]
    assert layout.yaxis5.dtick == 1  # 1 review decision: whole-number ticks
    dark = dash.dashboard(team, now=NOW, template="plotly_dark")
    assert dark.layout.template.layout.paper_bgcolor == "rgb(17,17,17)"


def _assert_legend_inside(fig, legend, panel):
    """The legend sits inside its own panel's top left corner, and the panel's y axis
    leaves room above the data for its entries (so it covers no bar and no other panel)."""
    layout = fig.layout
    box = layout[legend]
    xaxis, yaxis = layout[f"xaxis{panel}"], layout[f"yaxis{panel}"]
    assert (box.xanchor, box.yanchor) == ("left", "top")
    assert xaxis.domain[0] <= box.x < xaxis.domain[1]
    assert box.y == yaxis.domain[1]
    traces = [t for t in fig.data if t.legend == legend]
    lo, hi = yaxis.range
    stacked = {}
    for t in traces:
        for x, y in zip(t.x, t.y, strict=True):
            if y is not None and t.type == "bar":
                stacked[x] = stacked.get(x, 0) + y
    top = max([*stacked.values(), *(y for t in traces for y in t.y if y is not None)])
    panel_px = (layout.height - layout.margin.t - layout.margin.b) * (
        yaxis.domain[1] - yaxis.domain[0]
    )
    free_px = (hi - top) / (hi - lo) * panel_px
    assert free_px >= len(traces) * 20  # one legend row each, above the highest bar


def test_dashboard_nothing_overlaps_the_row_below(team):
    """Time axes tick level with no axis title (the panel titles say UTC); categorical
    ticks are level too; the gap between rows holds two tick lines and a panel title."""
    fig = dash.dashboard(team, now=NOW)
    layout = fig.layout
    titles = [a.text for a in layout.annotations]
    assert "progress (UTC)" in titles and "labels per hour (UTC)" in titles
    for i in range(1, 7):
        xaxis = layout[f"xaxis{i if i > 1 else ''}"]
        assert xaxis.tickangle == 0, i
        assert xaxis.title.text is None, i
    assert layout.xaxis.nticks and layout.xaxis.nticks <= 6
    plot_px = layout.height - layout.margin.t - layout.margin.b
    gap_px = (layout.yaxis.domain[0] - layout.yaxis3.domain[1]) * plot_px
    assert gap_px >= 2 * 15 + 2 * 14 + 40  # two tick lines, a title line, room between
    # No legend beside a panel: in a 720 px notebook it ran into the next panel.
    assert layout.margin.r <= 40


def test_dashboard_states_and_outcomes_in_words(team):
    fig = dash.dashboard(team, now=NOW)
    items = next(t for t in fig.data if t.name == "items")
    assert items.orientation == "h" and list(items.x) == [4, 1, 1, 1, 1, 1, 1]
    assert list(items.y) == ["unlabeled", "labeled", "skipped", "flagged<br>ambiguous",
                             "ambiguous<br>in review", "accepted<br>in review",
                             "corrected<br>in review"]  # fmt: skip
    assert list(items.customdata)[1:3] == ["annotate: label", "annotate: skip"]
    assert fig.layout.yaxis6.autorange == "reversed"  # unlabeled on top
    assert fig.layout.xaxis6.dtick == 1 and fig.layout.yaxis6.dtick is None  # counts on x
    rev = next(t for t in fig.data if t.name == "rev")
    assert list(rev.x) == ["accepted", "corrected", "ambiguous", "sent back"]
    assert list(rev.customdata) == ["accept", "correct", "ambiguous", "send_back"]
    assert dash._state_words("qa: review-accept") == "accepted in QA"
    assert dash._state_words("odd: thing") == "odd: thing"


def _theme_file(folder, text):
    path = folder.joinpath(*dash._THEME_SETTINGS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "dark"),
    [
        ('{\n  // chosen in the menu\n  "theme": "JupyterLab Dark", /* ok */\n}', True),
        ('{"theme": "JupyterLab Dark", "adaptive-theme": true}', False),  # follows the OS
        ('{"theme": "JupyterLab Light"}', False),
        ('{"theme": "Dark // not a comment"}', True),
        ("{not json", False),
        ('["theme", "JupyterLab Dark"]', False),
        (None, False),  # no settings file
    ],
)
def test_dashboard_template_follows_the_jupyterlab_theme(team, tmp_path, monkeypatch, text, dark):
    folder = tmp_path / "settings"
    folder.mkdir()
    if text is not None:
        _theme_file(folder, text)
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(folder))
    fig = dash.dashboard(team, now=NOW)
    bg = fig.layout.template.layout.paper_bgcolor
    assert (bg == "rgb(17,17,17)") is dark, bg
    assert bg in ("rgb(17,17,17)", "white")
    if not dark:  # plotly_white is what it picked already: nothing more to see
        return
    # The choice stays the caller's, even where the theme is dark.
    assert (
        dash.dashboard(team, now=NOW, template="plotly_white").layout.template.layout[
            "paper_bgcolor"
        ]
        == "white"
    )


def test_empty_project(tmp_path):
    p = _project(tmp_path, 0)
    s = dash.status(p, now=NOW)
    json.dumps(s, allow_nan=False)
    assert s["items"] == s["labeled"] == s["open_reviews"] == 0
    assert s["progress"] == 0.0 and s["agreement"] is None and s["seconds_per_label"] == {}
    assert s["review_outcomes"] == {"accept": 0, "correct": 0, "ambiguous": 0, "send_back": 0}
    assert list(dash.progress_figure(p).data[0].y) == []
    assert dash.throughput_figure(p).data == () and dash.review_figure(p).data == ()
    assert dash.agreement_figure(p).data == ()
    items = dash.bottleneck_figure(p, now=NOW).data[0]
    assert list(items.x) == ["unlabeled"] and list(items.y) == [0]
    fig = dash.dashboard(p, now=NOW)
    assert len(fig.data) == 2
    # Every panel says it has nothing to show, in its own middle, with no made-up ticks.
    notes = [a for a in fig.layout.annotations if a.text == dash.NO_DATA]
    layout = fig.layout
    axes = [(layout[f"xaxis{i or ''}"], layout[f"yaxis{i or ''}"]) for i in [0, *range(2, 7)]]
    centres = [(sum(x.domain) / 2, sum(y.domain) / 2) for x, y in axes]
    assert sorted((a.x, a.y) for a in notes) == sorted(centres)
    assert all((a.xref, a.yref, a.showarrow) == ("paper", "paper", False) for a in notes)
    assert all((a.xanchor, a.yanchor) == ("center", "middle") for a in notes)
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.showticklabels is False
    bars = [t for t in fig.data if t.type == "bar"]  # the 0 bar of "unlabeled"
    assert bars and all(t.marker.line.width == 0 for t in bars)  # no stray line on dark
    p.close()


def test_items_but_one_annotator(tmp_path):
    p = _project(tmp_path, 4)
    p.label("i0", "cat", annotator="ann")
    p.label("i1", "dog", annotator="ann")
    s = dash.status(p)
    assert s["agreement"] is None and s["agreement_items"] == 0  # no overlap
    assert s["labeled"] == 2 and s["progress"] == 0.5 and s["labels_last_hour"] == 2
    assert not math.isnan(s["throughput_per_hour"])
    assert list(dash.bottleneck_figure(p).data[0].y) == [2, 2]
    p.close()


def test_project_methods_call_the_dashboard(tmp_path):
    schema = wb.Schema.classification("animal", ["cat", "dog"])
    with wb.Project(tmp_path / "p.db", schema=schema, annotator="ann") as p:
        p.add_texts(["a", "b"], ids=["a", "b"])
        p.label("a", "cat")
        assert p.status()["labeled"] == 1 and p.status()["items"] == 2
        assert p.dashboard().layout.title.text


# -- team mode (PostgreSQL): gold accuracy, work per tier, the lead's dashboard ---------
GOLD = {"i0": "cat", "i1": "dog"}


@pytest.fixture
def team_pg(lead_url):
    """A team project: ann and bob label 6 items with overlap 2 and both gold items;
    ann is always right, bob says ``cat`` on every gold item and ``dog`` on i2 and i3
    (owl). The reviewer rev takes both disagreements and corrects i2."""
    animal = wb.Classification("animal", classes=["cat", "dog", "owl"])
    lead = wb.Project(lead_url, schema=wb.Schema((animal,)))
    ids = [f"i{k}" for k in range(8)]
    lead.add_texts([f"t{k}" for k in ids], ids=ids)
    team = lead.team.setup(overlap=2, gold_share=0.5, qa_share=0.0)
    urls = {
        name: team.add_user(name, role)
        for name, role in [("ann", "annotator"), ("bob", "annotator"), ("rev", "reviewer"),
                           ("adm", "admin")]
    }  # fmt: skip
    team.fill()
    team.add_gold(GOLD)
    people = {name: wb.Project(url) for name, url in urls.items()}
    for name in ("ann", "bob"):
        p = people[name]
        while batch := p.team.claim(3):
            for iid in batch:
                if name == "ann":
                    p.label(iid, GOLD.get(iid, "owl"))
                else:
                    p.label(iid, "cat" if iid in GOLD else "dog" if iid in ("i2", "i3") else "owl")
    assert sorted(people["rev"].team.claim(5)) == ["i2", "i3"]
    people["rev"].team.correct("i2", "owl", reason="look at the ears")
    yield types.SimpleNamespace(lead=lead, **people)
    for p in (lead, *people.values()):
        p.close()


@pytest.mark.postgres
def test_gold_figure(team_pg):
    fig = dash.gold_figure(team_pg.lead)
    (heat,) = fig.data
    assert heat.type == "heatmap" and heat.name == "gold accuracy"
    assert list(heat.y) == ["ann", "bob"]
    assert list(heat.x) == ["cat", "dog", "(all)"]  # schema order, the total last
    assert [list(r) for r in heat.z] == [[1.0, 1.0, 1.0], [1.0, 0.0, 0.5]]
    assert [list(r) for r in heat.customdata] == [[1, 1, 2], [1, 1, 2]]  # n, on hover
    assert [list(r) for r in heat.text] == [["1/1", "1/1", "2/2"], ["1/1", "0/1", "1/2"]]
    assert "customdata" in heat.hovertemplate
    assert "75% of 4 answers" in fig.layout.title.text
    # The same numbers as the team's own table.
    acc = team_pg.lead.team.gold_accuracy().set_index(["annotator", "label"])["accuracy"]
    assert heat.z[1][1] == acc[("bob", "dog")] and heat.z[1][2] == acc[("bob", "(all)")]


@pytest.mark.postgres
def test_gold_figure_with_no_gold_and_off_team_mode(lead_url, tmp_path):
    p = wb.Project(lead_url, schema=wb.Schema.classification("animal", ["cat", "dog"]))
    with pytest.raises(wb.StoreError, match="not in team mode"):
        dash.gold_figure(p)
    p.team.setup()
    fig = dash.gold_figure(p)
    assert fig.data == () and "no gold answers yet" in fig.layout.title.text
    p.close()
    local = _project(tmp_path, 2)
    with pytest.raises(wb.StoreError, match="PostgreSQL"):
        dash.tier_figure(local)
    local.close()


@pytest.mark.postgres
def test_tier_figure(team_pg):
    fig = dash.tier_figure(team_pg.lead)
    open_, claimed, done, stuck = fig.data
    assert [t.name for t in fig.data] == ["open", "claimed", "done", "stuck"]
    for trace in fig.data:
        assert list(trace.x) == ["annotate", "review", "qa"]
    assert list(open_.y) == [0, 0, 0]
    assert list(claimed.y) == [0, 1, 0]  # rev still holds i3
    assert list(done.y) == [12, 1, 0]  # 6 items × 2 annotators (gold left out); i2
    assert list(stuck.y) == [0, 0, 0]
    assert [list(c) for c in done.customdata] == [[6, 6], [2, 1], [0, 0]]  # items, complete
    assert "review 1 of 2 items complete" in fig.layout.title.text
    # With no patience at all, i3 (claimed, not decided) is stuck in review.
    impatient = dash.tier_figure(team_pg.lead, stuck_after_s=0)
    assert list(impatient.data[3].y) == [0, 1, 0]
    assert list(impatient.data[3].text) == ["0 stuck", "1 stuck", "0 stuck"]


@pytest.mark.postgres
def test_team_throughput_counts_every_label_per_annotator(team_pg):
    fig = dash.throughput_figure(team_pg.lead)
    assert [t.name for t in fig.data] == ["ann", "bob"]
    # 6 items and 2 gold items each; all within this hour or the one before
    assert [sum(t.y) for t in fig.data] == [8, 8]


@pytest.mark.postgres
def test_team_status_adds_gold_and_tiers_for_the_lead_and_admins(team_pg):
    plain_keys = set(dash.status(team_pg.rev))  # a reviewer: the numbers of before
    assert "gold_accuracy" not in plain_keys and "tiers" not in plain_keys
    for who in (team_pg.lead, team_pg.adm):
        s = dash.status(who)
        json.dumps(s, allow_nan=False)
        assert set(s) == plain_keys | {"gold_accuracy", "tiers"}
        assert s["gold_accuracy"] == 0.75  # 3 of 4 gold answers right
        assert s["tiers"] == {
            "annotate": {"items": 6, "open": 0, "claimed": 0, "done": 12, "complete": 6,
                         "stuck": 0},
            "review": {"items": 2, "open": 0, "claimed": 1, "done": 1, "complete": 1,
                       "stuck": 0},
            "qa": {"items": 0, "open": 0, "claimed": 0, "done": 0, "complete": 0, "stuck": 0},
        }  # fmt: skip
        q = who.team.queue().set_index("tier")
        assert s["tiers"]["review"]["done"] == q.loc["review", "done"]


@pytest.mark.postgres
def test_team_dashboard_adds_gold_and_tier_panels_for_the_lead(team_pg):
    fig = dash.dashboard(team_pg.lead)
    placed = [(t.name, t.xaxis) for t in fig.data]
    assert placed[:8] == [
        ("labeled", "x"), ("ann", "x2"), ("bob", "x2"), ("mean kappa", "x3"),
        ("kappa vs majority", "x3"), ("class alpha", "x4"), ("rev", "x5"), ("items", "x6"),
    ]  # fmt: skip
    assert placed[8:] == [("gold accuracy", "x7"), ("open", "x8"), ("claimed", "x8"),
                          ("done", "x8"), ("stuck", "x8")]  # fmt: skip
    gold, done = fig.data[8], fig.data[11]
    assert [list(r) for r in gold.z] == [[1.0, 1.0, 1.0], [1.0, 0.0, 0.5]]
    assert gold.showscale is False
    from plotly.colors import sequential

    assert [c for _, c in gold.colorscale] == list(sequential.Cividis)  # colour-blind safe
    assert dash.NO_DATA not in [a.text for a in fig.layout.annotations]
    _assert_legend_inside(fig, "legend8", 8)  # open, claimed, done, stuck
    assert list(done.y) == [12, 1, 0]
    titles = [a.text for a in fig.layout.annotations]
    assert "gold accuracy" in titles and "work per tier" in titles
    assert "· gold accuracy 75%" in fig.layout.title.text
    assert len(dash.dashboard(team_pg.adm).data) == len(fig.data)
    # A reviewer may not read the pool or the gold answers: the dashboard of before.
    plain = dash.dashboard(team_pg.rev)
    assert [t.name for t in plain.data] == [name for name, _ in placed[:8]]
    assert "gold" not in plain.layout.title.text


def test_status_survives_labels_written_under_a_multi_label_version(tmp_path):
    # A task that was multi-label and is single-label now: the lists its labels
    # held count as categories of their own, and status() still answers.
    multi = wb.Schema.classification("t", ["a", "b"], multi_label=True)
    p = wb.Project(tmp_path / "p.db", schema=multi)
    p.add_texts(["x", "y"], ids=["x", "y"])
    p.label("x", ["a", "b"], annotator="u1")
    p.label("x", ["a"], annotator="u2")
    p.schema = wb.Schema.classification("t", ["a", "b"])
    p.label("y", "a", annotator="u1")
    p.label("y", "a", annotator="u2")
    status = p.status()
    assert status["agreement_items"] == 2
    assert 0.0 <= status["agreement"] < 1.0  # x's two lists differ, y agrees
    p.close()


def test_project_dashboard_takes_a_template(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path / "no-settings"))
    p = _project(tmp_path, 0)
    assert p.dashboard(template="plotly_dark").layout.template.layout.paper_bgcolor == (
        "rgb(17,17,17)"
    )
    assert p.dashboard().layout.template.layout.paper_bgcolor == "white"  # no saved theme
