"""One JupyterLab server, one Chromium and one Lab page for the browser benchmarks.

A new page loads JupyterLab again, about 8 s on this 2-core machine; a notebook
opened in a page that is up already takes about 2 s (``LabPage.switch``), and the
server and the browser take about 10 s to start and stop. A browser benchmark
opens each of its notebooks with :meth:`Lab.open` and lets it go with
:meth:`Lab.done`. Under :func:`shared` (``python -m tests.benchmarks``, so
``make bench``) every module of the run uses the same Lab, started on first use;
a module run on its own starts and stops its own.

Each notebook still gets its own kernel, project and widget: what one leaves
behind is its closed panel's memory in the page, which the browser collects.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.browser.harness import LabPage, LabServer, launch_browser, write_notebook

_shared: dict[str, Any] = {}  # while shared() runs: "stack", then "lab" once started


class Lab:
    """A running JupyterLab and Chromium, and the one page notebooks open in."""

    def __init__(self, stack: ExitStack) -> None:
        from playwright.sync_api import sync_playwright

        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wb-bench-lab-")))
        self.server = LabServer(root).start()
        stack.callback(self.server.stop)
        pw = stack.enter_context(sync_playwright())
        self.browser = launch_browser(pw)
        stack.callback(self.browser.close)
        self.notebooks = self.server.notebooks
        self._page: LabPage | None = None
        stack.callback(self._close_page)

    def open(self, name: str, cells: Sequence[str]) -> LabPage:
        """Write notebook ``name`` with ``cells`` and open it (not run)."""
        path = write_notebook(self.notebooks / f"{name}.ipynb", cells)
        if self._page is None:
            self._page = LabPage.open(self.server, self.browser, path.name)
        else:
            self._page.switch(path.name)
        return self._page

    def done(self, lp: LabPage, what: str = "") -> None:
        """Print the page's console warnings, close the notebook and stop its kernel."""
        if lp.console:
            print(f"# browser console{f' ({what})' if what else ''}:\n{lp.console_report()}",
                  file=sys.stderr)  # fmt: skip
        lp.close_documents()
        self.server.shutdown_all_sessions()

    def _close_page(self) -> None:
        if self._page is not None:
            self._page.close()


@contextmanager
def shared() -> Iterator[None]:
    """Within: every :func:`lab` is one Lab, started on first use, stopped at the end."""
    with ExitStack() as stack:
        _shared["stack"] = stack
        try:
            yield
        finally:
            _shared.clear()


@contextmanager
def lab() -> Iterator[Lab]:
    """The run's shared Lab (under :func:`shared`), else one of this module's own."""
    if "stack" in _shared:
        if "lab" not in _shared:
            _shared["lab"] = Lab(_shared["stack"])
        yield _shared["lab"]
        return
    with ExitStack() as stack:
        yield Lab(stack)
