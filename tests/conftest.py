"""Fixtures shared by every test directory: stores on both back ends.

``store`` (and ``store_location``, for tests that reopen a store or share it
with other processes) runs each test once on SQLite and once on PostgreSQL.
The PostgreSQL runs use one throwaway cluster per session, started from the
server binaries found on this machine (see ``tests/pg.py``), with a fresh
database per test. Without those binaries the PostgreSQL runs are skipped,
unless ``WORKBENCH_REQUIRE_POSTGRES=1``: then they fail and say why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import workbench as wb

from . import pg
from .quick import QUICK_EXAMPLES
from .teams import make_team

REQUIRE_POSTGRES = os.environ.get("WORKBENCH_REQUIRE_POSTGRES", "") == "1"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


#: The fixtures that start a ``jupyter server`` (``tests/jupyter_server.py``) for the
#: tests of workbench.server, in tests/unit and tests/security: seconds each.
SERVER_FIXTURES = frozenset({"server", "site", "team_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that starts the PostgreSQL cluster carries the ``postgres`` marker,
    whichever fixture brought it in, so ``-m "not postgres"`` (``make test-quick``)
    leaves out exactly the tests that need a server; a test that uses a Jupyter
    server fixture (``SERVER_FIXTURES``) carries ``slow``."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "pg_cluster" in names:
            item.add_marker(pytest.mark.postgres)
        if SERVER_FIXTURES.intersection(names):
            item.add_marker(pytest.mark.slow)
        if QUICK_EXAMPLES < 1:
            fewer_examples(item, QUICK_EXAMPLES)


def fewer_examples(item: pytest.Item, share: float) -> None:
    """Run ``share`` of a property test's examples (hypothesis reads the settings
    kept on the test function when the test runs)."""
    from hypothesis import settings

    test = getattr(item, "obj", None)
    current = getattr(test, "_hypothesis_internal_use_settings", None)
    if getattr(test, "hypothesis", None) is None or current is None:
        return  # not a property test, or one whose @given is inside it
    n = max(10, round(current.max_examples * share))
    if n < current.max_examples:
        test._hypothesis_internal_use_settings = settings(current, max_examples=n)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.PostgresCluster]:
    """A PostgreSQL server for this session; data is thrown away (fsync off)."""
    reason = pg.missing_reason()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"WORKBENCH_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        pytest.skip(f"{reason}; set WORKBENCH_REQUIRE_POSTGRES=1 to fail instead")
    cluster = pg.PostgresCluster.start(durable=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: pg.PostgresCluster) -> str:
    """The URL of a new, empty database in the session's cluster."""
    return pg_cluster.new_database()


@pytest.fixture
def lead_url(pg_cluster: pg.PostgresCluster) -> str:
    """A new, empty database owned by the ordinary role ``lead``, as ``lead``: the
    set-up of a team project (the lead is never the cluster's superuser)."""
    return pg_cluster.new_team_database()


@pytest.fixture
def t(lead_url):
    """A team project (:func:`tests.teams.make_team`); ``t.open(name)`` opens it as
    that person (closed after the test)."""
    ns = make_team(lead_url)
    opened: list[wb.Project] = [ns.lead]

    def open_as(name: str) -> wb.Project:
        p = wb.Project(ns.urls[name])
        opened.append(p)
        return p

    ns.open = open_as
    yield ns
    for p in opened:
        p.close()


@pytest.fixture(params=BACKENDS)
def store_location(request: pytest.FixtureRequest, tmp_path) -> str:
    """Where a new store lives: a SQLite file path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_location: str):
    """An empty store, on each back end in turn."""
    from workbench.store import open_store

    s = open_store(store_location)
    try:
        yield s
    finally:
        s.close()
