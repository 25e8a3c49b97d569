"""``SQLiteStore(path, read_only=True)`` and ``Project(path, read_only=True)``: a viewer
that never writes in the file it reads, and refuses, by name, a file that is not a
workbench store."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.errors import SchemaError, StoreError, WorkbenchError
from workbench.store import open_store
from workbench.store.sqlite import SQLiteStore, is_busy


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecars(path: Path) -> list[str]:
    return [s for s in ("-wal", "-shm", "-journal") if Path(f"{path}{s}").exists()]


def _project(path: Path) -> None:
    p = wb.Project(path, schema=wb.Schema.classification("animal", ["cat", "dog"]))
    p.add_texts(["a", "b", "c"], ids=["i0", "i1", "i2"])
    p.label("i0", "cat", annotator="ann")
    p.close()


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "p.db"
    _project(path)
    assert _sidecars(path) == []  # the writer closed last: SQLite removed them
    return path


def test_reading_while_a_writer_has_the_store_open(db):
    """-wal and -shm exist: the viewer uses them and sees every committed label,
    including those not yet checkpointed into the store file."""
    writer = wb.Project(db, annotator="bob")
    try:
        writer.label("i1", "dog")
        assert _sidecars(db) == ["-wal", "-shm"]
        viewer = wb.Project(db, read_only=True)
        try:
            assert viewer.labels()["label"].tolist() == ["cat", "dog"]
            writer.label("i2", "cat")  # live: a label written since counts
            assert len(viewer.labels()) == 3
        finally:
            viewer.close()
    finally:
        writer.close()
    assert _sidecars(db) == []  # the writer, closing last, still removes them


def test_reading_with_no_writer_leaves_the_store_file_as_it_was(db):
    """No -wal/-shm: SQLite creates both to coordinate with later writers; the store
    file is byte for byte unchanged, and the next writer to close last removes them."""
    before = _digest(db)
    viewer = wb.Project(db, read_only=True)
    assert viewer.labels()["label"].tolist() == ["cat"]
    viewer.close()
    assert _digest(db) == before
    assert _sidecars(db) == ["-wal", "-shm"]
    assert Path(f"{db}-wal").stat().st_size == 0
    wb.Project(db).close()
    assert _sidecars(db) == []


def test_a_rollback_journal_store_gets_no_wal(db):
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = _digest(db)
    with wb.Project(db, read_only=True) as viewer:
        assert len(viewer) == 3
    assert _digest(db) == before and _sidecars(db) == []
    assert db.read_bytes()[18] == 1  # still a rollback journal


def test_nothing_can_be_written(db):
    before = _digest(db)
    viewer = wb.Project(db, read_only=True)
    try:
        with pytest.raises(StoreError, match=r"p\.db is open read-only"):
            viewer.label("i1", "dog")
        with pytest.raises(StoreError, match="read-only"):
            viewer.add_texts(["new"])
        with pytest.raises(StoreError, match="read-only"):
            viewer.schema = wb.Schema.classification("animal", ["cat", "dog", "bird"])
        assert len(viewer.labels()) == 1
    finally:
        viewer.close()
    assert _digest(db) == before


def test_refusals_name_what_is_wrong(db, tmp_path):
    with pytest.raises(SchemaError, match="schema= cannot be given with read_only=True"):
        wb.Project(db, schema=wb.Schema.classification("animal", ["cat"]), read_only=True)
    # PostgreSQL stores open read-only too (PostgresStore); an unreachable one is
    # refused by its URL, without its password.
    with pytest.raises(StoreError, match="cannot reach the database") as err:
        open_store("postgresql://lead:pw-9c1@127.0.0.1:1/x", read_only=True)
    assert "pw-9c1" not in str(err.value)
    with pytest.raises(StoreError, match=":memory: cannot be opened read-only"):
        SQLiteStore(":memory:", read_only=True)
    missing = tmp_path / "missing" / "new.db"
    with pytest.raises(StoreError, match=r"new\.db: no such file"):
        wb.Project(missing, read_only=True)
    assert not missing.parent.exists()  # a writable open would have created both


def _forged(path: Path, *statements: str) -> None:
    _project(path)
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (["UPDATE meta SET value = '99' WHERE key = 'format'"], "newer workbench"),
        (["UPDATE meta SET value = '0' WHERE key = 'format'"], "store format 0"),
        (["UPDATE meta SET value = 'x' WHERE key = 'format'"], "expected a whole number"),
        (["DELETE FROM meta WHERE key = 'format'"], "no 'format' row"),
        (["DELETE FROM meta WHERE key = 'project_id'"], "no project id"),
        (["DROP TABLE item_state"], r"no table \['item_state'\]"),
        (["DROP TABLE meta"], "no meta table"),
        (["DELETE FROM schemas"], "holds no schema"),
        (
            ["INSERT INTO schemas VALUES (2, '{\"tasks\": [{', 0)"],
            "stored schema is invalid: JSONDecodeError",
        ),
        (["INSERT INTO schemas VALUES (2, '[1]', 0)"], "invalid: a schema dict needs"),
    ],
)
def test_a_forged_store_is_refused_by_name(tmp_path, statements, message):
    path = tmp_path / "forged.db"
    _forged(path, *statements)
    before = _digest(path)
    with pytest.raises(WorkbenchError, match=message) as info:
        wb.Project(path, read_only=True)
    assert str(path) in str(info.value) or "forged.db" in str(info.value)
    assert _digest(path) == before


@pytest.mark.parametrize("wal", [False, True])
def test_another_applications_file_is_refused_untouched(tmp_path, wal):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE schemas (version INTEGER, body TEXT)")
    conn.execute("INSERT INTO schemas VALUES (1, '{\"tasks\": []}')")
    conn.commit()
    conn.close()
    before = _digest(path)
    with pytest.raises(StoreError, match=r"other\.db is not a workbench store: it has no meta"):
        SQLiteStore(path, read_only=True)
    assert _digest(path) == before
    assert _sidecars(path) == []  # a WAL file is probed with immutable=1 first


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"PK\x03\x04" + bytes(200), "not an SQLite database")],
)
def test_files_that_are_not_sqlite(tmp_path, content, message):
    path = tmp_path / "x.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=message):
        SQLiteStore(path, read_only=True)
    assert path.read_bytes() == content and _sidecars(path) == []


def test_a_fifo_is_refused_without_hanging(tmp_path):
    path = tmp_path / "pipe.db"
    os.mkfifo(path)
    with pytest.raises(StoreError, match="not a regular file"):
        SQLiteStore(path, read_only=True)


def test_a_locked_store_fails_fast_as_busy(db):
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('PRAGMA locking_mode = EXCLUSIVE'); c.execute('BEGIN EXCLUSIVE')\n"
            "c.execute(\"INSERT INTO meta VALUES ('held', '1')\")\n"
            "print('locked', flush=True); sys.stdin.read()\n"
        ), str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="locked") as info:
            SQLiteStore(db, read_only=True, timeout=0.3)
        assert time.monotonic() - t0 < 10
        assert is_busy(info.value)
    finally:
        holder.stdin.close()
        holder.wait(30)
    assert not is_busy(StoreError("p.db is not a workbench store"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pristine") / "p.db"
    _project(path)
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_corrupted_store_opens_or_is_refused_and_stays_as_it_was(tmp_path, pristine, data):
    """Bytes of a store overwritten anywhere: opening read-only either works or raises a
    WorkbenchError; the file is never written."""
    raw = bytearray(pristine.read_bytes())
    for _ in range(data.draw(st.integers(1, 8), label="n")):
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        raw[at] = data.draw(st.integers(0, 255), label="byte")
    path = tmp_path / f"c{data.draw(st.integers(0, 10**9))}.db"
    path.write_bytes(bytes(raw))
    try:
        with wb.Project(path, read_only=True) as viewer:
            viewer.schema.tasks  # noqa: B018 - read it
    except WorkbenchError:
        pass
    assert path.read_bytes() == bytes(raw)
    assert "-journal" not in _sidecars(path)


def test_the_schema_is_used_as_stored(db):
    """A read-only project saves nothing: the stored schema, its version, no new task."""
    conn = sqlite3.connect(db)
    body = json.loads(conn.execute("SELECT body FROM schemas").fetchone()[0])
    conn.close()
    with wb.Project(db, read_only=True) as viewer:
        assert viewer.schema.version == 1
        assert viewer.schema.to_dict() == body
