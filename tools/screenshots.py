"""Screenshots of every workbench view in a real JupyterLab, in the light and the dark theme.

    .venv/bin/python tools/screenshots.py [OUT_DIR]        (default /tmp/shots/all)

Starts a private JupyterLab with the browser tests' harness (tests/browser/harness.py:
its own settings, a token, headless Chromium with the same flags), builds a small
image project with labels from two annotators and a model's suggestions, runs a
notebook that shows the classify, gallery, review and annotate widgets and
``project.dashboard()``, opens the side panel on the project, and saves one PNG per
view and theme: ``<view>-light.png`` and ``<view>-dark.png`` (views: classify,
gallery, review, annotate, dashboard, panel), plus ``notebook-<theme>.png`` of the
whole window. The theme is switched with JupyterLab's ``apputils:change-theme``.

A maintainer's tool for looking at the screens (docs/maintainers.md); it needs the
venv with the ``test`` and ``ml`` extras and Chromium, as the browser tests do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.harness import (  # noqa: E402
    LabPage,
    LabServer,
    launch_browser,
    wait_for,
    write_notebook,
)
from tests.browser.notebooks import annotate_cells  # noqa: E402

THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
PROJECT = "project.db"  # in the server's root, where the side panel lists it
TASK = "animal"

SETUP = f"""
import numpy as np
import pandas as pd
import workbench as wb

CLASSES = ['cat', 'dog', 'bird']
N = 36
rng = np.random.default_rng(7)
yy, xx = np.mgrid[0:96, 0:96]


def picture(i):
    # A soft background and one shape per class: a disc, a square or a triangle.
    img = np.empty((96, 96, 3), np.uint8)
    img[:] = rng.integers(150, 230, size=3)
    img = (img * (0.85 + 0.15 * yy[..., None] / 95)).astype(np.uint8)
    cx, cy, r = rng.integers(30, 66), rng.integers(30, 66), rng.integers(14, 24)
    kind = i % 3
    if kind == 0:
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
    elif kind == 1:
        mask = (abs(xx - cx) < r) & (abs(yy - cy) < r)
    else:
        mask = (yy - cy < r) & (yy - cy > -r) & (abs(xx - cx) < (yy - cy + r) / 2)
    img[mask] = rng.integers(20, 120, size=3)
    return img


IDS = [f'{{CLASSES[i % 3]}}-{{i:02d}}' for i in range(N)]
project = wb.Project({PROJECT!r}, schema=wb.Schema.classification({TASK!r}, CLASSES),
                     annotator='you')
if len(project) == 0:
    project.add_arrays(np.stack([picture(i) for i in range(N)]), ids=IDS)
    for i, iid in enumerate(IDS[:20]):
        ms = int(rng.integers(800, 4000))
        project.label(iid, CLASSES[i % 3], annotator='alice', duration_ms=ms)
        if i % 2 == 0:
            other = CLASSES[(i + (i % 4 == 0)) % 3]
            project.label(iid, other, annotator='bob', duration_ms=int(rng.integers(800, 4000)))
    project.add_prelabels({{iid: CLASSES[i % 3] for i, iid in enumerate(IDS)}}, model='clf@1',
                          scores={{iid: float(rng.uniform(0.5, 0.99)) for iid in IDS}})
issues = pd.DataFrame({{'item_id': IDS[:8], 'quality': np.linspace(0.03, 0.4, 8)}})
len(project)
"""

CELLS = [
    SETUP,
    "project.classify()",
    "project.gallery()",
    "project.review(issues)",
    # The default template="auto" follows the theme JupyterLab saved when the kernel
    # starts; this server's settings are elsewhere, so each theme gets its figure.
    "project.dashboard(template='plotly_white')",
    "project.dashboard(template='plotly_dark')",
]

#: view name -> the element to capture (the widget's root, the figure).
VIEWS = {
    "classify": '.wb-classify[data-ready="1"]',
    "gallery": ".wb-gallery",
    "review": '.wb-review[data-ready="1"]',
    "annotate": '.wb-annotate[data-ready="1"]',
    "dashboard": ".jp-RenderedPlotly.js-plotly-plot",
}
#: theme -> the dashboard figure drawn with its template (the first or second one).
DASHBOARD = {"light": 1, "dark": 2}


def set_theme(lp: LabPage, theme: str) -> None:
    lp.command("apputils:change-theme", {"theme": theme})
    wait_for(
        lambda: lp.page.evaluate("() => document.body.dataset.jpThemeName") == theme,
        timeout=30,
        what=f"theme {theme}",
    )
    time.sleep(1.0)  # the widgets restyle on the theme's CSS variables


def shoot_element(lp: LabPage, selector: str, path: Path) -> None:
    loc = lp.page.locator(selector).first
    loc.scroll_into_view_if_needed()
    time.sleep(0.3)
    loc.screenshot(path=str(path), animations="disabled")
    print(f"  {path}")


def open_panel(lp: LabPage) -> None:
    lp.page.evaluate("async () => window.jupyterapp.commands.execute('workbench:open-panel')")
    option = f'#workbench-panel select[data-control="project"] option[value="{PROJECT}"]'
    lp.page.wait_for_selector(option, state="attached", timeout=60_000)
    lp.page.select_option('#workbench-panel select[data-control="project"]', PROJECT)
    lp.page.select_option('#workbench-panel select[data-control="task"]', TASK)
    wait_for(
        lambda: lp.page.evaluate(
            "() => { const e = document.querySelector('#workbench-panel [data-field=labeled]');"
            " return !!e && /^[0-9]/.test(e.textContent.trim()); }"
        ),
        timeout=30,
        what="the panel's numbers",
    )
    time.sleep(3.5)  # one poll after the selection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default="/tmp/shots/all", help="folder for the PNGs")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="wb-shots-") as tmp, LabServer(Path(tmp)) as server:
        nb_dir = server.notebooks
        cells = CELLS + annotate_cells(nb_dir / "shapes.db", 3, prelabel=True)
        write_notebook(nb_dir / "views.ipynb", cells)
        print(f"JupyterLab at {server.url} (log {server.log_path})")
        with sync_playwright() as pw:
            browser = launch_browser(pw)
            try:
                # Tall enough for the whole dashboard figure (an element taller than the
                # notebook's area is captured with the toolbars drawn over it).
                lp = LabPage.open(server, browser, "views.ipynb", viewport=(1400, 1500))
                lp.run_all()
                try:
                    for name, selector in VIEWS.items():
                        lp.wait_selector(selector, timeout=180)
                        print(f"{name} rendered")
                except Exception:
                    lp.page.screenshot(path=str(out / "failure.png"), full_page=True)
                    print(f"failed; the page is in {out / 'failure.png'}; outputs:")
                    print(lp.page.locator(".jp-OutputArea-output").all_inner_texts())
                    print(lp.console_report())
                    raise
                lp.wait_kernel_idle(timeout=120)
                open_panel(lp)
                for key, theme in THEMES.items():
                    set_theme(lp, theme)
                    print(theme)
                    for name, selector in VIEWS.items():
                        if name == "dashboard":
                            selector = f":nth-match({selector}, {DASHBOARD[key]})"
                        shoot_element(lp, selector, out / f"{name}-{key}.png")
                    shoot_element(lp, "#workbench-panel", out / f"panel-{key}.png")
                    lp.page.screenshot(path=str(out / f"notebook-{key}.png"))
                if lp.console:
                    print("browser console:\n" + lp.console_report())
                lp.close()
            finally:
                browser.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
