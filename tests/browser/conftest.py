"""Fixtures for the browser tests: one JupyterLab server and one Chromium per session.

The host tests add a Notebook 7 server (per module) and marimo servers (one per
app, started by ``open_marimo`` and stopped at the end of the test).

The whole directory is skipped when Chromium (or Playwright) is missing, unless
``WORKBENCH_REQUIRE_BROWSER=1``: then every test fails and says why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from .harness import (
    BrowserPage,
    LabPage,
    LabServer,
    MarimoServer,
    ServerProcess,
    chromium_path,
    launch_browser,
    write_marimo_app,
    write_notebook,
)

HERE = Path(__file__).resolve().parent
REQUIRE = os.environ.get("WORKBENCH_REQUIRE_BROWSER", "") == "1"


def _missing() -> str | None:
    if chromium_path() is None:
        return "Chromium not found ($WORKBENCH_CHROMIUM, /usr/bin/chromium or `chromium` on PATH)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install 'label-workbench[test]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason and not REQUIRE:
            item.add_marker(pytest.mark.skip(reason=f"{reason}; set WORKBENCH_REQUIRE_BROWSER=1"))


def _require_browser() -> None:
    reason = _missing()
    if reason:
        pytest.fail(f"WORKBENCH_REQUIRE_BROWSER=1 but {reason}", pytrace=False)


def _serve(server: ServerProcess) -> Iterator[ServerProcess]:
    _require_browser()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    yield from _serve(LabServer(tmp_path_factory.mktemp("lab")))


@pytest.fixture(scope="module")
def notebook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A Notebook 7 server (``jupyter notebook``), set up as :func:`lab_server` is."""
    yield from _serve(LabServer(tmp_path_factory.mktemp("nb7"), app="notebook"))


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Headless Chromium (the harness's flags), for any host."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_browser(pw)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def browser(lab_server: LabServer, chromium: object) -> object:
    return chromium


def _close_pages(pages: Sequence[BrowserPage], server: ServerProcess) -> None:
    """Close the test's pages, printing each one's console and the server log's tail."""
    for lp in pages:
        if lp.console:
            print(f"--- browser console ({lp.notebook}) ---\n{lp.console_report()}")
        try:
            lp.close()
        except Exception as exc:  # a page already gone must not hide the test's own result
            print(f"closing {lp.notebook}: {exc!r}")
    if isinstance(server, LabServer):
        server.shutdown_all_sessions()
    print(f"--- {server.name} log (tail) ---\n{server.log_tail(40)}")


OpenNotebook = Callable[..., LabPage]


def _notebook_opener(server: LabServer, browser: object) -> Iterator[OpenNotebook]:
    pages: list[LabPage] = []

    def _open(cells: Sequence[str], *, name: str | None = None) -> LabPage:
        name = name or f"t_{uuid.uuid4().hex[:8]}.ipynb"
        write_notebook(server.notebooks / name, cells)
        lp = LabPage.open(server, browser, name)
        pages.append(lp)
        return lp

    yield _open
    _close_pages(pages, server)


@pytest.fixture
def open_notebook(lab_server: LabServer, browser: object) -> Iterator[OpenNotebook]:
    """``open_notebook(cells, name=None) -> LabPage``: write a notebook and open it.

    Each page gets its own browser context (fresh localStorage); at the end of
    the test, pages close and every kernel is shut down. The browser console
    and the server log's tail are printed, so a failing test shows them.
    """
    yield from _notebook_opener(lab_server, browser)


@pytest.fixture
def open_nb7(notebook_server: LabServer, chromium: object) -> Iterator[OpenNotebook]:
    """``open_nb7(cells, name=None) -> LabPage``: as :func:`open_notebook`, in Notebook 7."""
    yield from _notebook_opener(notebook_server, chromium)


OpenMarimo = Callable[..., BrowserPage]


@pytest.fixture
def open_marimo(tmp_path: Path, chromium: object) -> Iterator[OpenMarimo]:
    """``open_marimo(cell, mode="edit") -> BrowserPage``: write a one-cell marimo app,
    serve it (``marimo edit`` or ``marimo run``) and open it. Servers stop at the end
    of the test, pass or fail."""
    opened: list[tuple[MarimoServer, BrowserPage | None]] = []

    def _open(cell: str, *, mode: str = "edit") -> BrowserPage:
        app = write_marimo_app(tmp_path / f"app_{mode}_{uuid.uuid4().hex[:6]}.py", cell)
        server = MarimoServer(app, mode=mode)
        opened.append((server, None))
        server.start()
        page = BrowserPage.open(server, chromium, app.name)
        opened[-1] = (server, page)
        return page

    yield _open
    for server, page in opened:
        try:
            _close_pages([page] if page is not None else [], server)
        finally:
            server.stop()


@pytest.fixture
def workdir(lab_server: LabServer) -> Path:
    """A fresh directory (inside the server root) for one test's project files."""
    d = lab_server.notebooks / f"w_{uuid.uuid4().hex[:8]}"
    d.mkdir()
    return d
