"""The JupyterLab side panel (extension/) in a real JupyterLab: live numbers, errors, auth.

The panel is a prebuilt extension installed in the environment's
``share/jupyter/labextensions``; the server extension's REST API feeds it. The
tests write labels from this process, as another annotator's kernel would, and
read the panel's numbers from its ``data-field`` elements, and check that every
number shown says what it counts (its unit in the value, or in the row's or
column's label), in the light and the dark theme.

The team-mode test runs its own JupyterLab, whose config registers a team
project on the session's throwaway PostgreSQL (``WorkbenchServer.projects``).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import workbench as wb

from .harness import LabServer, wait_for

PANEL = "#workbench-panel"
N_ITEMS = 12
N_LABELED = 5
REFRESH_TIMEOUT = 15.0  # the panel polls every 3 s


class PanelView:
    """The Workbench panel in one JupyterLab page (no notebook open)."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def open(self) -> None:
        opened = self.page.evaluate(
            """async () => {
                const commands = window.jupyterapp.commands;
                if (!commands.hasCommand('workbench:open-panel')) return false;
                await commands.execute('workbench:open-panel');
                return true;
            }"""
        )
        assert opened, (
            "JupyterLab has no command workbench:open-panel: the workbench-panel extension is "
            "not installed (run `make build`; check `jupyter labextension list`)"
        )
        self.page.wait_for_selector(PANEL, state="visible")

    def choose(self, project: str, task: str) -> None:
        """Select ``project`` (once the list has it) and ``task``."""
        self.page.wait_for_selector(
            f'{PANEL} select[data-control="project"] option[value="{project}"]', state="attached"
        )
        self.page.select_option(f'{PANEL} select[data-control="project"]', project)
        self.page.select_option(f'{PANEL} select[data-control="task"]', task)

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(
            """(sel) => {
                const root = document.querySelector(sel);
                if (!root) return null;
                // Texts as read: no-break spaces (number to unit) as plain spaces.
                const text = (e) => e.textContent.replace(/\u00a0/g, ' ');
                const fields = {};
                for (const e of root.querySelectorAll('[data-field]')) {
                    if (!e.closest('tr[data-annotator], tr[data-tier]')) {
                        fields[e.dataset.field] = text(e);
                    }
                }
                const tiers = {};
                for (const row of root.querySelectorAll('tr[data-tier]')) {
                    const cells = {};
                    for (const c of row.querySelectorAll('[data-field]')) {
                        cells[c.dataset.field] = c.textContent;
                    }
                    tiers[row.dataset.tier] = cells;
                }
                const team = root.querySelector('[data-section="team"]');
                const options = {};
                for (const o of root.querySelectorAll('select[data-control="project"] option')) {
                    const group = o.parentElement.tagName === 'OPTGROUP' ? o.parentElement : null;
                    options[o.value] = {
                        kind: o.dataset.kind, text: text(o), group: group && group.label,
                    };
                }
                const summary = {};
                for (const dt of root.querySelectorAll(':scope > dl > dt')) {
                    summary[text(dt)] = text(dt.nextElementSibling);
                }
                const headers = [...root.querySelectorAll('.jp-WorkbenchPanel-annotators th')]
                    .map(text);
                const annotators = {};
                for (const row of root.querySelectorAll('tr[data-annotator]')) {
                    const cells = {};
                    for (const c of row.querySelectorAll('[data-field]')) {
                        cells[c.dataset.field] = c.textContent;
                    }
                    annotators[row.dataset.annotator] = cells;
                }
                return {
                    project: root.dataset.project, task: root.dataset.task,
                    updated: Number(root.dataset.updated), visible: root.offsetParent !== null,
                    fields, annotators, tiers, options, summary, headers,
                    team_visible: team !== null && !team.hidden && team.offsetParent !== null,
                };
            }""",
            PANEL,
        )

    def wait(self, predicate, *, what: str, timeout: float = REFRESH_TIMEOUT) -> dict[str, Any]:
        return wait_for(lambda: (s := self.state()) and predicate(s) and s, timeout=timeout,
                        interval=0.2, what=what)  # fmt: skip


@pytest.fixture
def lab_page(lab_server: LabServer, browser: Any) -> Iterator[Any]:
    """JupyterLab with no document open, in its own browser context and workspace."""
    with _lab_page(lab_server, browser) as page:
        yield page


@contextmanager
def _lab_page(lab_server: LabServer, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: m.type == "error" and console.append(m.text[:400]))
    page.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))
    page.set_default_timeout(60_000)
    ws = f"p{uuid.uuid4().hex[:10]}"
    page.goto(f"{lab_server.url}/lab/workspaces/{ws}?token={lab_server.token}")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    # Survives only if the page is never reloaded: the numbers must change in place.
    page.evaluate("() => { window.__panelTestPage = true; }")
    try:
        yield page
    finally:
        if console:
            print("--- browser console ---\n" + "\n".join(console[-100:]))
        context.close()
        lab_server.shutdown_all_sessions()
        print(f"--- server log (tail) ---\n{lab_server.log_tail(30)}")


def _project(path: Path) -> wb.Project:
    schema = wb.Schema.classification("animal", ["cat", "dog", "bird"])
    project = wb.Project(path, schema=schema, annotator="alice")
    project.add_texts([f"text {i}" for i in range(N_ITEMS)], ids=[f"i{i}" for i in range(N_ITEMS)])
    return project


def _get(server: LabServer, path: str, *, token: str | None, **query: str) -> tuple[int, Any]:
    url = f"{server.url}{path}?{urllib.parse.urlencode(query)}"
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def test_panel_shows_labels_written_elsewhere_without_a_reload(lab_server, lab_page, workdir):
    rel = f"{workdir.name}/panel.db"
    project = _project(workdir / "panel.db")
    try:
        panel = PanelView(lab_page)
        panel.open()
        panel.choose(rel, "animal")
        first = panel.wait(
            lambda s: s["project"] == rel and s["updated"] > 0, what="the panel's first refresh"
        )
        assert first["fields"]["total"] == str(N_ITEMS)
        assert first["fields"]["done"] == "0"
        assert first["fields"]["agreement"] == "needs two annotators on an item"  # no alpha
        assert first["fields"]["progress"] == f"0 of {N_ITEMS} items done · 0.0%"
        assert first["fields"]["error"] == ""

        for i in range(N_LABELED):
            project.label(f"i{i}", ["cat", "dog", "bird"][i % 3], duration_ms=1500 + 100 * i)

        now = panel.wait(
            lambda s: s["fields"]["done"] == str(N_LABELED),
            what=f"done = {N_LABELED} in the panel",
        )
        assert now["updated"] > first["updated"]
        assert now["fields"]["total"] == str(N_ITEMS)
        assert now["fields"]["percent"] == f"{100 * N_LABELED / N_ITEMS:.1f}%"
        # Every number says what it counts.
        assert now["fields"]["progress"] == (
            f"{N_LABELED} of {N_ITEMS} items done · {100 * N_LABELED / N_ITEMS:.1f}%"
        )
        assert now["summary"] == {
            "Labeled": f"{N_LABELED} items",
            "Skipped": "0 items",
            "Last hour": f"{N_LABELED} labels",
            "Average rate": f"{N_LABELED / 24:.1f} labels per hour over 24 h",
            "Open reviews": "0 items",
            "Agreement": "needs two annotators on an item",
            "Reviewed": "no decisions yet",
        }
        assert now["fields"]["annotator_count"] == "1 annotator"
        assert now["headers"] == [
            "Name", "Labels in last hour", "Labels per hour, 24 h avg",
            "Median seconds per label",
        ]  # fmt: skip
        assert now["annotators"]["alice"]["labels_last_hour_by_annotator"] == str(N_LABELED)
        assert now["annotators"]["alice"]["seconds_per_label"] == "1.7"  # median of 1.5…1.9 s
        assert now["fields"]["updated"].startswith("Last updated")
        assert lab_page.evaluate("() => window.__panelTestPage === true"), "the page reloaded"

        # The same numbers as the API gives with the token; without it, 403.
        status, body = _get(
            lab_server, "/workbench/api/status", token=lab_server.token, project=rel
        )
        assert status == 200 and body["labeled"] == N_LABELED and body["items"] == N_ITEMS
        assert _get(lab_server, "/workbench/api/status", token=None, project=rel)[0] == 403
        assert _get(lab_server, "/workbench/api/projects", token=None)[0] == 403
    finally:
        project.close()


def test_panel_shows_the_apis_error_message_and_recovers(lab_server, lab_page, workdir):
    rel = f"{workdir.name}/moving.db"
    path = workdir / "moving.db"
    _project(path).close()
    panel = PanelView(lab_page)
    panel.open()
    panel.choose(rel, "animal")
    panel.wait(lambda s: s["project"] == rel and s["updated"] > 0, what="the first refresh")

    aside = workdir / "aside.db.bak"  # not *.db: the server must not see it as a project
    path.rename(aside)
    failed = panel.wait(lambda s: s["fields"]["error"] != "", what="an error line")
    assert failed["fields"]["error"] == f"Error 404: no project file '{rel}' under root_dir"

    aside.rename(path)
    back = panel.wait(lambda s: s["fields"]["error"] == "", what="the error line cleared")
    assert back["fields"]["total"] == str(N_ITEMS)


def test_panel_stops_polling_while_hidden_and_resumes_when_shown(lab_page, workdir):
    rel = f"{workdir.name}/hidden.db"
    _project(workdir / "hidden.db").close()
    panel = PanelView(lab_page)
    panel.open()
    panel.choose(rel, "animal")
    panel.wait(lambda s: s["project"] == rel and s["updated"] > 0, what="the first refresh")

    lab_page.evaluate("() => window.jupyterapp.shell.collapseRight()")
    hidden = panel.wait(lambda s: not s["visible"], what="the panel hidden")
    lab_page.wait_for_timeout(7_000)  # more than two polling periods
    # At most the one refresh that was under way when the panel was hidden.
    assert panel.state()["updated"] - hidden["updated"] <= 1

    panel.open()
    panel.wait(lambda s: s["updated"] > hidden["updated"] + 1, what="refreshes after reopening")


# Colours of every text in the panel against its background, as WCAG contrast ratios
# (translucent colours, as JupyterLab's secondary text, blended over the background).
CONTRAST_JS = """(sel) => {
    const root = document.querySelector(sel);
    const rgba = (c) => { const m = c.match(/[\\d.]+/g).map(Number);
                          return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
    const lum = ([r, g, b]) => { const f = (v) => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
    const bg = rgba(getComputedStyle(root).backgroundColor);
    const out = [];
    const texts = root.querySelectorAll(
        'h2, h3, dt, dd, th, td, p, [data-field="progress"], [data-field="updated"]');
    for (const e of texts) {
        if (!e.textContent.trim() || e.offsetParent === null) continue;
        const [r, g, b, a] = rgba(getComputedStyle(e).color);
        const fg = [0, 1, 2].map((i) => [r, g, b][i] * a + bg[i] * (1 - a));
        const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        out.push([e.tagName + ' ' + e.textContent.slice(0, 40), (hi + 0.05) / (lo + 0.05)]);
    }
    return {dark: lum(bg) < 0.2, contrast: out};
}"""


# Lines that part a number from its unit (the word or "%" after it): each pair's text
# range must lie on one line. With a width, the panel is first made that narrow. Also
# checks that each of the progress line's phrases ("9 of 12 items done", "75.0%") is
# on one line, and that no text runs past the panel's right edge (clipped).
APART_JS = r"""([sel, width]) => {
    const root = document.querySelector(sel);
    const before = root.style.cssText;
    if (width) {  // the sidebar keeps a min-width of its own: override both
        root.style.setProperty('width', width + 'px', 'important');
        root.style.setProperty('min-width', width + 'px', 'important');
    }
    const oneLine = (range) => {
        const tops = [...range.getClientRects()].filter((r) => r.width > 0)
            .map((r) => Math.round(r.top));
        return new Set(tops).size <= 1;
    };
    const split = [];
    const clipped = [];
    const right = root.getBoundingClientRect().left + root.clientWidth;
    let pairs = 0;
    const elements = root.querySelectorAll(
        '[data-field="progress"], dd, th, td, h3, .jp-WorkbenchPanel-note');
    for (const e of elements) {
        if (e.offsetParent === null) continue;
        const all = document.createRange();
        all.selectNodeContents(e);
        if ([...all.getClientRects()].some((r) => r.right > right + 0.5)) {
            clipped.push(e.textContent);
        }
        const nodes = [];
        const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
        let full = '';
        while (walker.nextNode()) {
            nodes.push([walker.currentNode, full.length]);
            full += walker.currentNode.data;
        }
        const at = (i) => {
            let k = nodes.length - 1;
            while (nodes[k][1] > i) k--;
            return [nodes[k][0], i - nodes[k][1]];
        };
        // "over" in "α 0.286 over 8 items" joins two numbers; the unit is "items".
        const pair = /\d[\d,.]*(%|[ \u00a0]+(?!over\b)[^\s\d(),:·]+)/g;
        for (const m of full.matchAll(pair)) {
            pairs++;
            const range = document.createRange();
            range.setStart(...at(m.index));
            range.setEnd(...at(m.index + m[0].length - 1));
            range.setEnd(range.endContainer, range.endOffset + 1);
            if (!oneLine(range)) split.push(m[0]);
        }
    }
    for (const phrase of root.querySelectorAll('.jp-WorkbenchPanel-phrase')) {
        const range = document.createRange();
        range.selectNodeContents(phrase);
        if (!oneLine(range)) split.push(phrase.textContent);
    }
    const seen = root.getBoundingClientRect().width;
    root.style.cssText = before;
    return {pairs, split, clipped, width: seen};
}"""


def _set_theme(page: Any, theme: str) -> None:
    light = "false" if "Dark" in theme else "true"
    page.evaluate(
        "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
    )
    page.wait_for_function(
        "(l) => document.body.dataset.jpThemeLight === l", arg=light, timeout=30_000
    )


def test_panel_numbers_say_what_they_count_and_read_in_both_themes(lab_page, workdir):
    rel = f"{workdir.name}/themes.db"
    project = _project(workdir / "themes.db")
    shots = os.environ.get("WORKBENCH_SHOTS")  # a folder: save the panel in both themes
    try:
        for i in range(8):
            project.label(f"i{i}", "cat", annotator="alice", duration_ms=1200)
            project.label(f"i{i}", "cat" if i < 6 else "dog", annotator="bob", duration_ms=2400)
        project.skip("i8")
        project.review_label("i0", "accept", annotator="rita")
        panel = PanelView(lab_page)
        panel.open()
        panel.choose(rel, "animal")
        state = panel.wait(lambda s: s["project"] == rel and s["updated"] > 0, what="a refresh")
        assert state["fields"]["progress"] == f"9 of {N_ITEMS} items done · 75.0%"
        summary = state["summary"]
        assert summary["Labeled"] == "8 items" and summary["Skipped"] == "1 item"
        assert summary["Last hour"] == "16 labels"
        assert summary["Open reviews"] == "2 items (2 with disagreement)"
        assert re.fullmatch(r"α -?[01]\.\d{3} over 8 items", summary["Agreement"]), summary
        assert summary["Reviewed"] == "1 decision: 1 accepted"
        assert state["fields"]["annotator_count"] == "2 annotators"
        assert state["annotators"]["bob"]["seconds_per_label"] == "2.4"
        # The sidebar as it opens (JupyterLab's narrowest, 250 px) and narrower still:
        # no number wraps apart from its unit, the progress line wraps between its
        # phrases only, and nothing is cut off.
        for width in (None, 220):
            apart = lab_page.evaluate(APART_JS, [PANEL, width])
            assert apart["pairs"] >= 14, apart  # every number with a unit was looked at
            assert not apart["split"], f"wrapped apart at width {width}: {apart['split']}"
            assert not apart["clipped"], f"cut off at width {width}: {apart['clipped']}"
            assert width is None or apart["width"] == width, apart  # it was that narrow

        for theme in ("JupyterLab Light", "JupyterLab Dark"):
            _set_theme(lab_page, theme)
            seen = lab_page.evaluate(CONTRAST_JS, PANEL)
            assert seen["dark"] == ("Dark" in theme)
            low = [(text, round(ratio, 2)) for text, ratio in seen["contrast"] if ratio < 4.5]
            assert not low, f"text under 4.5:1 contrast in {theme}: {low}"
            assert len(seen["contrast"]) > 20  # the numbers were all measured
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                name = "panel-dark.png" if "Dark" in theme else "panel-light.png"
                lab_page.wait_for_timeout(1_000)  # the new theme's fade-in, for the picture only
                lab_page.locator(PANEL).screenshot(path=str(Path(shots) / name))
    finally:
        _set_theme(lab_page, "JupyterLab Light")  # the theme is a server-wide user setting
        project.close()


# -- a team project on PostgreSQL, registered with the server ------------------------------

TEAM = "cats-team"
TEAM_OVERLAP = 2


@pytest.fixture(scope="module")
def team_lab(pg_cluster, tmp_path_factory) -> Iterator[Any]:
    """JupyterLab whose config registers ``cats-team``: a team project on PostgreSQL
    (the lead's URL), set up by its lead with annotators alice and bob and every item
    in the annotation pool. Yields the server, with ``annotators`` (name → URL)."""
    url = pg_cluster.new_team_database()
    lead = wb.Project(url, schema=wb.Schema.classification("animal", ["cat", "dog", "bird"]))
    lead.add_texts([f"text {i}" for i in range(N_ITEMS)], ids=[f"i{i}" for i in range(N_ITEMS)])
    team = lead.team.setup(overlap=TEAM_OVERLAP, gold_share=0.0)
    annotators = {name: team.add_user(name, "annotator") for name in ("alice", "bob")}
    assert team.fill() == N_ITEMS
    lead.close()
    server = LabServer(tmp_path_factory.mktemp("team-lab"))
    config = server.base / "config" / "jupyter_server_config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"WorkbenchServer": {"projects": {TEAM: url}}}))
    server.start()
    server.annotators = annotators
    try:
        yield server
    finally:
        server.stop()


def test_panel_shows_a_team_projects_tiers_live(team_lab, browser):
    with _lab_page(team_lab, browser) as page:
        panel = PanelView(page)
        panel.open()
        panel.choose(TEAM, "animal")
        first = panel.wait(
            lambda s: s["project"] == TEAM and s["updated"] > 0 and s["team_visible"],
            what="the team project's first refresh, with its tier table",
        )
        assert first["options"][TEAM] == {
            "kind": "postgresql", "text": f"{TEAM} (team)", "group": "Team projects (PostgreSQL)",
        }  # fmt: skip
        assert first["fields"]["error"] == ""
        assert first["fields"]["total"] == str(N_ITEMS)
        assert first["fields"]["gold_accuracy"] == "no gold answers yet"
        assert first["tiers"]["annotate"] == {
            "open": str(TEAM_OVERLAP * N_ITEMS), "claimed": "0", "done": "0", "stuck": "0",
        }  # fmt: skip
        assert first["tiers"]["review"] == first["tiers"]["qa"] == {
            "open": "0", "claimed": "0", "done": "0", "stuck": "0",
        }  # fmt: skip

        # An annotator's kernel, as this process: claim two items and label them.
        with wb.Project(team_lab.annotators["alice"]) as alice:
            ids = alice.team.claim(2)
            assert len(ids) == 2
            for iid in ids:
                alice.label(iid, "cat")
        now = panel.wait(
            lambda s: s["tiers"]["annotate"]["done"] == "2", what="annotate done = 2 in the panel"
        )
        assert now["updated"] > first["updated"]
        assert now["tiers"]["annotate"] == {
            "open": str(TEAM_OVERLAP * N_ITEMS - 2), "claimed": "0", "done": "2", "stuck": "0",
        }  # fmt: skip
        assert now["summary"]["Labeled"] == "2 items"
        assert now["annotators"]["alice"]["labels_last_hour_by_annotator"] == "2"
        assert page.evaluate("() => window.__panelTestPage === true"), "the page reloaded"

        # The API names the project, never its URL; without the token, 403.
        status, body = _get(team_lab, "/workbench/api/projects", token=team_lab.token)
        assert status == 200
        assert {"name": TEAM, "kind": "postgresql", "tasks": ["animal"]} in body["projects"]
        assert "postgresql://" not in json.dumps(body)
        assert _get(team_lab, "/workbench/api/status", token=None, project=TEAM)[0] == 403


def test_sqlite_projects_have_no_team_section(lab_server, lab_page, workdir):
    rel = f"{workdir.name}/solo.db"
    _project(workdir / "solo.db").close()
    panel = PanelView(lab_page)
    panel.open()
    panel.choose(rel, "animal")
    state = panel.wait(lambda s: s["project"] == rel and s["updated"] > 0, what="a refresh")
    assert not state["team_visible"]
    assert state["options"][rel]["kind"] == "sqlite" and state["options"][rel]["group"] is None
