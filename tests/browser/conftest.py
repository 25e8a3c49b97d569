"""Fixtures for the browser tests: one JupyterLab server and one Chromium per session.

The whole directory is skipped when Chromium (or Playwright) is missing, unless
``WORKBENCH_REQUIRE_BROWSER=1``: then every test fails and says why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from .harness import LabPage, LabServer, chromium_path, launch_browser, write_notebook

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


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    reason = _missing()
    if reason:
        pytest.fail(f"WORKBENCH_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    server = LabServer(tmp_path_factory.mktemp("lab")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(lab_server: LabServer) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_browser(pw)
        try:
            yield b
        finally:
            b.close()


OpenNotebook = Callable[..., LabPage]


@pytest.fixture
def open_notebook(lab_server: LabServer, browser: object) -> Iterator[OpenNotebook]:
    """``open_notebook(cells, name=None) -> LabPage``: write a notebook and open it.

    Each page gets its own browser context (fresh localStorage); at the end of
    the test, pages close and every kernel is shut down. The browser console
    and the server log's tail are printed, so a failing test shows them.
    """
    pages: list[LabPage] = []

    def _open(cells: Sequence[str], *, name: str | None = None) -> LabPage:
        name = name or f"t_{uuid.uuid4().hex[:8]}.ipynb"
        write_notebook(lab_server.notebooks / name, cells)
        lp = LabPage.open(lab_server, browser, name)
        pages.append(lp)
        return lp

    yield _open
    for lp in pages:
        if lp.console:
            print(f"--- browser console ({lp.notebook}) ---\n{lp.console_report()}")
        try:
            lp.close()
        except Exception as exc:  # a page already gone must not hide the test's own result
            print(f"closing {lp.notebook}: {exc!r}")
    lab_server.shutdown_all_sessions()
    print(f"--- server log (tail) ---\n{lab_server.log_tail(40)}")


@pytest.fixture
def workdir(lab_server: LabServer) -> Path:
    """A fresh directory (inside the server root) for one test's project files."""
    d = lab_server.notebooks / f"w_{uuid.uuid4().hex[:8]}"
    d.mkdir()
    return d
