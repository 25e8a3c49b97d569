"""Bulk loading of benchmark stores: the secondary indexes are built once, after the rows.

Loading a million rows into tables whose indexes are kept up to date row by row
costs several times building those indexes afterwards (PostgreSQL's manual,
"Populating a Database", says the same). The store creates its tables and indexes;
:func:`indexes_deferred` drops the secondary indexes of some tables for the load
and creates them again from their own definitions, as the catalog holds them, so
the loaded store has exactly the indexes the store made. Indexes that back a
constraint (primary keys, ``UNIQUE`` columns) stay: they cannot be dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def _sqlite_indexes(cur: Any, tables: Sequence[str]) -> list[tuple[str, str]]:
    marks = ",".join("?" * len(tables))
    cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        tuple(tables),
    )
    return [(name, sql) for name, sql in cur.fetchall()]


def _postgres_indexes(cur: Any, tables: Sequence[str]) -> list[tuple[str, str]]:
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
        "::regclass) ORDER BY i.indexname",
        (list(tables),),
    )
    return [(name, sql) for name, sql in cur.fetchall()]


@contextmanager
def indexes_deferred(cur: Any, tables: Sequence[str], *, postgres: bool) -> Iterator[list[str]]:
    """Drop the secondary indexes of ``tables`` (a cursor of the loading transaction),
    yield their names, then create them again; on an error they are left dropped
    with the transaction, which the caller rolls back."""
    found = (_postgres_indexes if postgres else _sqlite_indexes)(cur, tables)
    for name, _ in found:
        cur.execute(f'DROP INDEX "{name}"')
    yield [name for name, _ in found]
    for _, sql in found:
        cur.execute(sql)
