"""The store layer is the only one that speaks SQL or touches a store's internals.

Everything outside ``workbench/store/`` (team mode and the server included)
reads and writes through a store's public methods: no SQL in string literals,
no attribute access to a store's private members. Nothing is allowed by name:
code that needs SQL moves into the store layer.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import workbench

PACKAGE = Path(workbench.__file__).parent
STORE = PACKAGE / "store"
#: The start of a statement that reads or writes tables.
SQL = re.compile(r"\b(SELECT\s|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b)")
#: Names that are a store's internals whatever object they are read from.
STORE_INTERNALS = {
    "_conn", "_conninfo", "_connection", "_scalar", "_frame", "_sql", "_read", "_write",
    "_transaction", "_pg", "_event_query", "_executemany", "_insert_event", "_apply",
    "_set_state", "_state_values", "_check_parent", "_own_events",
}  # fmt: skip


def _store_private_names() -> set[str]:
    """Every ``_name`` a class of the store layer defines or sets on ``self``."""
    names: set[str] = set()
    for path in STORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for item in ast.walk(node):
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        names.add(item.name)
                    elif (
                        isinstance(item, ast.Attribute)
                        and isinstance(item.value, ast.Name)
                        and item.value.id == "self"
                        and isinstance(item.ctx, ast.Store)
                    ):
                        names.add(item.attr)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def _outside_store() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if STORE not in p.parents)


def _is_store_expr(node: ast.expr) -> bool:
    """``store``, ``self.store``, ``project.store``, ``self.db`` (a TeamStore) ..."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in ("store", "db") or name.endswith("_store")


def violations(paths: list[Path], private: set[str], root: Path = PACKAGE.parent) -> list[str]:
    """``file:line: what`` for each SQL statement and store-internal access in ``paths``."""
    found = []
    for path in paths:
        rel = path.relative_to(root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and (body := node.body)
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                if node.attr.startswith("__"):
                    continue
                if node.attr in STORE_INTERNALS:
                    found.append(f"{rel}:{node.lineno}: .{node.attr} (a store's internals)")
                elif _is_store_expr(node.value):
                    what = "a store's private" if node.attr in private else "private"
                    found.append(f"{rel}:{node.lineno}: {ast.unparse(node)} ({what})")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and SQL.search(node.value)
            ):
                found.append(f"{rel}:{node.lineno}: SQL {node.value[:60]!r}")
    return found


def test_no_sql_or_store_internals_outside_the_store_layer():
    paths = _outside_store()
    names = {p.relative_to(PACKAGE).as_posix() for p in paths}
    assert {"team.py", "server/__init__.py", "stream.py", "project.py"} <= names
    private = _store_private_names()
    assert {"_conn", "_write", "_event_query"} <= private  # the scan sees the store's names
    assert violations(paths, private) == []


def test_the_scan_finds_what_it_forbids(tmp_path):
    # The test above would pass on a scan that finds nothing: show it finds each kind.
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(self, project, store, cur):\n"
        "    project.store._conn.close()\n"
        "    store._lock_holders()\n"
        "    cur.execute('SELECT role FROM team_users WHERE name = session_user')\n"
        '    cur.execute("UPDATE team_feedback SET seen_at = 1")\n'
        "    cur.execute('DELETE FROM events')\n"
        "    self._scalar('x')\n",
        encoding="utf-8",
    )
    found = violations([bad], _store_private_names(), root=tmp_path)
    assert any("._conn" in f for f in found), found
    assert any("store._lock_holders (a store's private)" in f for f in found), found
    assert sum(" SQL " in f for f in found) == 3, found
    assert any("._scalar" in f for f in found), found
    # Words in prose are not statements.
    ok = tmp_path / "ok.py"
    ok.write_text(
        '"""Select the items; update the panel."""\nx = "select one, then update it"\n',
        encoding="utf-8",
    )
    assert violations([ok], set(), root=tmp_path) == []
