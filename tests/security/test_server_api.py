"""Attacks on the server extension's REST API (``workbench/server``), against a real
``jupyter server`` with a token (``tests/jupyter_server.py``).

The attacker is anyone who can put a file under the server's ``root_dir`` (a
``.db`` of another application, a crafted or corrupt project, a symbolic link,
a file held locked) or send requests to the server (without the token, from a
page without Jupyter's XSRF token). Each test asserts the refusal (the HTTP
status and a message naming the file) and that the attacked file is byte for
byte as it was: no table created, no journal mode switched, no ``-wal`` or
``-shm`` file left next to a file that is not in WAL mode.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from tests.jupyter_server import Server
from workbench.store.sqlite import READ_ONLY_TIMEOUT_S

pytest.importorskip("jupyter_server")

STATUS = "/workbench/api/status"
PROJECTS = "/workbench/api/projects"
SIDECARS = ("-wal", "-shm", "-journal")
#: A schema body that workbench would accept: another application's ``schemas``
#: table holding it must still not make its file a project.
PLAUSIBLE_SCHEMA = json.dumps(
    {"tasks": [{"kind": "classification", "name": "animal", "classes": [{"name": "cat"}]}]}
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sidecars(path: Path) -> list[str]:
    return [s for s in SIDECARS if Path(f"{path}{s}").exists()]


def _journal_byte(path: Path) -> int:
    """Byte 18 of the SQLite header: 1 for a rollback journal, 2 for WAL."""
    return path.read_bytes()[18]


def _tables(path: Path) -> list[str]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True) as conn:
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master"))


def _project(path: Path, n_items: int = 3) -> None:
    """A valid workbench project at ``path`` with ``n_items`` texts and one label."""
    p = wb.Project(path, schema=wb.Schema.classification("animal", ["cat", "dog"]))
    p.add_texts([f"t{i}" for i in range(n_items)], ids=[f"i{i}" for i in range(n_items)])
    p.label("i0", "cat", annotator="ann")
    p.close()


def _foreign(path: Path, *, wal: bool) -> None:
    """Another application's SQLite file with a ``schemas`` table."""
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE schemas (version INTEGER PRIMARY KEY, body TEXT, created_at REAL)")
    conn.execute("INSERT INTO schemas VALUES (1, ?, 0)", (PLAUSIBLE_SCHEMA,))
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
    conn.commit()
    conn.close()


def _raw(path: Path, *statements: tuple[str, tuple]) -> None:
    """Run ``statements`` on ``path`` behind workbench's back (a crafted project)."""
    conn = sqlite3.connect(path)
    for sql, args in statements:
        conn.execute(sql, args)
    conn.commit()
    conn.close()


def _bad_schema(path: Path, body: str) -> None:
    _project(path)
    _raw(path, ("INSERT INTO schemas (version, body, created_at) VALUES (2, ?, 0)", (body,)))


def _bad_meta(path: Path, sql: str) -> None:
    _project(path)
    _raw(path, (sql, ()))


def _truncated(path: Path) -> None:
    whole = path.with_suffix(".whole")
    _project(whole, n_items=400)
    path.write_bytes(whole.read_bytes()[:8192])
    whole.unlink()


def _rollback_project(path: Path) -> None:
    """A workbench project whose file was switched to a rollback journal."""
    _project(path)
    _raw(path, ("PRAGMA journal_mode = DELETE", ()))


# name → (how to build it, what the answer must say about it)
INVALID = {
    "foreign.db": (lambda p: _foreign(p, wal=False), "it has no meta table"),
    "foreign-wal.db": (lambda p: _foreign(p, wal=True), "it has no meta table"),
    "garbage.db": (lambda p: p.write_bytes(b"not a database\n" * 20), "not an SQLite database"),
    "empty.db": (lambda p: p.write_bytes(b""), "the file is empty"),
    "truncated.db": (_truncated, "malformed"),
    "newer.db": (
        lambda p: _bad_meta(p, "UPDATE meta SET value = '99' WHERE key = 'format'"),
        "newer workbench",
    ),
    "no-format.db": (
        lambda p: _bad_meta(p, "DELETE FROM meta WHERE key = 'format'"),
        "no 'format' row",
    ),
    "sub/bad-json.db": (
        lambda p: _bad_schema(p, '{"tasks": [{'),
        "its stored schema is invalid: JSONDecodeError",
    ),
    "sub/bad-kind.db": (
        lambda p: _bad_schema(p, json.dumps({"tasks": [{"kind": "nope", "name": "t"}]})),
        "unknown task kind 'nope'",
    ),
    "bad-classes.db": (
        lambda p: _bad_schema(p, json.dumps({"tasks": [{"name": "t", "classes": []}]})),
        "needs at least one class",
    ),
    "classes-not-a-list.db": (
        lambda p: _bad_schema(p, json.dumps({"tasks": [{"name": "t", "classes": 5}]})),
        "its stored schema is invalid",
    ),
}
NOT_WAL = ("foreign.db", "garbage.db", "empty.db")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Server]:
    """A server whose root holds a valid project (``team.db``), every file of
    :data:`INVALID`, and symbolic links into and out of the root; ``outside`` holds a
    valid project the links point at. Yields the server with ``digests`` (rel → hash
    of each file as built), ``sidecars`` (rel → its -wal/-shm/-journal files) and
    ``outside``."""
    root = tmp_path_factory.mktemp("root")
    outside = tmp_path_factory.mktemp("outside")
    (root / "sub").mkdir()
    _project(root / "team.db")
    for rel, (build, _) in INVALID.items():
        build(root / rel)
    _project(outside / "secret.db")
    (root / "link.db").symlink_to(outside / "secret.db")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    (root / "sub" / "up.db").symlink_to(Path("..", "..", outside.name, "secret.db"))
    (root / "alias.db").symlink_to(root / "team.db")
    files = {rel: root / rel for rel in ["team.db", *INVALID]}
    files["outside/secret.db"] = outside / "secret.db"
    srv = Server(root, tmp_path_factory.mktemp("home")).start()
    srv.outside = outside
    srv.files = files
    srv.digests = {rel: _digest(p) for rel, p in files.items()}
    srv.sidecars = {rel: _sidecars(p) for rel, p in files.items()}
    yield srv
    srv.stop()


def _unchanged(site: Server, rel: str) -> None:
    path = site.files[rel]
    assert _digest(path) == site.digests[rel], f"the server changed {rel}"
    if rel in NOT_WAL or rel.startswith(("foreign", "outside/")):
        assert _sidecars(path) == site.sidecars[rel], f"the server left files next to {rel}"


# -- files that are not (valid) projects -------------------------------------------------


@pytest.mark.parametrize("rel", list(INVALID))
def test_an_invalid_file_is_refused_by_name_and_left_untouched(site, rel):
    code, raw = site.get_raw(STATUS, token=site.token, project=rel)
    assert code == 400, raw
    message = json.loads(raw)["message"]
    assert message.startswith(f"{rel} is not a "), message
    assert INVALID[rel][1] in message
    assert str(site.root) not in raw  # named by its path under root_dir only
    _unchanged(site, rel)


def test_another_applications_file_gets_no_workbench_tables(site):
    """The first attack: a GET on another application's file with a ``schemas``
    table created workbench's tables in it and switched it to WAL."""
    for rel in ("foreign.db", "foreign-wal.db"):
        before = _tables(site.files[rel])
        journal = _journal_byte(site.files[rel])
        for _ in range(2):
            assert site.get(STATUS, token=site.token, project=rel)[0] == 400
        assert site.get(PROJECTS, token=site.token)[0] == 200
        assert _tables(site.files[rel]) == before == ["orders", "schemas"]
        assert _journal_byte(site.files[rel]) == journal
        _unchanged(site, rel)
    assert _journal_byte(site.files["foreign.db"]) == 1  # still a rollback journal
    assert _sidecars(site.files["foreign-wal.db"]) == []  # nothing SQLite would add


def test_the_listing_survives_every_invalid_file(site):
    code, body = site.get(PROJECTS, token=site.token)
    assert code == 200, body
    entries = {e["path"]: e for e in body["projects"]}
    assert entries["team.db"] == {
        "path": "team.db", "kind": "sqlite", "tasks": ["animal"], "valid": True,
    }  # fmt: skip
    for rel, (_, reason) in INVALID.items():
        entry = entries[rel]
        assert (entry["valid"], entry["tasks"]) == (False, []), entry
        assert reason in entry["error"]
        _unchanged(site, rel)
    assert str(site.root) not in json.dumps(body)
    # The valid project still answers, with its numbers.
    code, status = site.get(STATUS, token=site.token, project="team.db")
    assert (code, status["items"], status["labeled"]) == (200, 3, 1)
    _unchanged(site, "team.db")


def _schema_bodies() -> st.SearchStrategy[str]:
    """Stored schema bodies: near-valid ones and arbitrary JSON or text."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    )
    classes = st.one_of(
        st.lists(st.text(max_size=6), max_size=3),
        st.lists(st.fixed_dictionaries({"name": st.text(max_size=6)}), max_size=3),
        json_values,
    )
    task = st.fixed_dictionaries(
        {"name": st.text(max_size=6)},
        optional={
            "kind": st.sampled_from(["classification", "shapes", "spans", ""]) | json_values,
            "classes": classes,
            "multi_label": json_values,
            "shapes": json_values,
        },
    )
    schema = st.fixed_dictionaries(
        {"tasks": st.lists(task, max_size=2) | json_values},
        optional={"guidelines": json_values},
    )
    return st.one_of(schema.map(json.dumps), json_values.map(json.dumps), st.text(max_size=20))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _project(path)
    return path


COUNTER = iter(range(10**6))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_schema_bodies())
def test_no_stored_schema_fails_the_server(site, template, body):
    """Whatever schema body a project file holds: 200 or a 400 naming the file, the
    listing answers and agrees, and the file is unchanged."""
    rel = f"fuzz/{next(COUNTER)}.db"
    path = site.root / rel
    path.parent.mkdir(exist_ok=True)
    shutil.copyfile(template, path)
    _raw(path, ("INSERT INTO schemas (version, body, created_at) VALUES (2, ?, 0)", (body,)))
    digest = _digest(path)
    code, raw = site.get_raw(STATUS, token=site.token, project=rel)
    assert code in (200, 400), raw
    if code == 400:
        assert json.loads(raw)["message"].startswith(f"{rel} is not a valid workbench project")
    code_list, listing = site.get(PROJECTS, token=site.token)
    assert code_list == 200, listing
    (entry,) = [e for e in listing["projects"] if e["path"] == rel]
    assert entry["valid"] is (code == 200)
    assert _digest(path) == digest


# -- paths out of root_dir -----------------------------------------------------------


def test_symlinks_out_of_root_are_neither_listed_nor_read(site):
    code, body = site.get(PROJECTS, token=site.token)
    assert code == 200
    listed = {e.get("path") for e in body["projects"]}
    assert not listed & {"link.db", "linkdir/secret.db", "sub/up.db", "alias.db"}
    for rel in ("link.db", "linkdir/secret.db", "sub/up.db"):
        code, answer = site.get(STATUS, token=site.token, project=rel)
        assert code == 403, answer
        assert answer["message"] == f"project {rel!r} is outside root_dir"
        assert "items" not in answer
    # Never opened: SQLite would have left -wal/-shm files next to the WAL store.
    _unchanged(site, "outside/secret.db")
    assert _sidecars(site.files["outside/secret.db"]) == []


def test_a_symlink_inside_root_is_followed_to_its_target(site):
    code, body = site.get(STATUS, token=site.token, project="alias.db")
    assert (code, body["project"], body["items"], body["labeled"]) == (200, "alias.db", 3, 1)
    _unchanged(site, "team.db")


@pytest.mark.parametrize(
    "rel", ["../team.db", "sub/../../team.db", "/etc/passwd", "..", "C:\\Windows\\win.ini"]
)
def test_paths_out_of_root_are_forbidden(site, rel):
    code, body = site.get(STATUS, token=site.token, project=rel)
    assert code == 403, body
    assert "root_dir" in body["message"] and "items" not in body


def test_an_absolute_path_into_root_is_forbidden_too(site):
    code, body = site.get(STATUS, token=site.token, project=str(site.root / "team.db"))
    assert code == 403
    assert body["message"].startswith("project must be a path relative to root_dir")


# -- authentication and XSRF -----------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong"])
def test_requests_without_the_token_are_refused(site, token):
    for path, query in ((STATUS, {"project": "team.db"}), (PROJECTS, {})):
        code, raw = site.get_raw(path, token=token, **query)
        assert code == 403, raw
        assert "team.db" not in raw and "animal" not in raw


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_request_other_than_get_needs_the_xsrf_token(site, method):
    """A page the user visits can make their browser send the session cookie, but
    not Jupyter's XSRF token: anything but GET is refused before any route runs."""
    opener, jar = site.session()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    body = b'{"project": "team.db"}' if method != "DELETE" else None
    for path in (STATUS, PROJECTS):
        code, raw = site.request(method, path, opener=opener, body=body)
        assert code == 403, raw
        assert "_xsrf" in json.loads(raw)["message"]
        code, raw = site.request(
            method, path, opener=opener, body=body, headers={"X-XSRFToken": "forged" + xsrf}
        )
        assert code == 403, raw
        # With the session's own XSRF token the request gets through, to no route.
        code, raw = site.request(
            method, path, opener=opener, body=body, headers={"X-XSRFToken": xsrf}
        )
        assert code == 405, raw
    # The cookie session itself is valid: it reads.
    code, raw = site.request("GET", STATUS, opener=opener, query={"project": "team.db"})
    assert code == 200, raw
    _unchanged(site, "team.db")


# -- a file locked by another process ---------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "wal":  # a WAL store: readers get in unless the lock is exclusive
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO meta (key, value) VALUES ('held', '1')")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@contextmanager
def _locked(path: Path, mode: str) -> Iterator[None]:
    """``path`` held under an exclusive lock by another process."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(30)


@pytest.mark.parametrize("mode", ["rollback", "wal"])
def test_a_locked_file_answers_503_and_jupyter_stays_responsive(site, mode):
    rel = f"held-{mode}.db"
    path = site.root / rel
    (_rollback_project if mode == "rollback" else _project)(path)
    digest = _digest(path)
    answers: dict[str, tuple[int, str, float]] = {}

    def call(name: str, route: str, **query: str) -> None:
        t0 = time.monotonic()
        code, raw = site.get_raw(route, token=site.token, **query)
        answers[name] = (code, raw, time.monotonic() - t0)

    with _locked(path, mode):
        workers = [
            threading.Thread(target=call, args=("status", STATUS), kwargs={"project": rel}),
            threading.Thread(target=call, args=("projects", PROJECTS)),
        ]
        for w in workers:
            w.start()
        time.sleep(0.2)
        jupyter = []  # Jupyter's own route, while workbench waits on the lock
        until = time.monotonic() + READ_ONLY_TIMEOUT_S * 0.7
        while time.monotonic() < until:
            t0 = time.monotonic()
            code = site.get("/api/status", token=site.token)[0]
            jupyter.append((code, time.monotonic() - t0))
        for w in workers:
            w.join(60)

    assert jupyter and all(code == 200 for code, _ in jupyter)
    assert max(t for _, t in jupyter) < 1.0, jupyter  # the event loop was never blocked
    code, raw, took = answers["status"]
    assert code == 503, raw
    assert json.loads(raw)["message"] == (
        f"{rel} is locked by another process (no read within {READ_ONLY_TIMEOUT_S:g} s); try again"
    )
    # It waited on the lock while Jupyter answered, and no longer than a few seconds.
    assert READ_ONLY_TIMEOUT_S * 0.9 <= took < 15, took
    code, raw, _ = answers["projects"]
    assert code == 200, raw
    entries = {e["path"]: e for e in json.loads(raw)["projects"]}
    assert entries[rel]["valid"] is False and "locked" in entries[rel]["error"]
    assert entries["team.db"]["valid"] is True  # the other files are listed as ever
    # Once the lock is gone, the project answers; the file is as it was.
    code, body = site.get(STATUS, token=site.token, project=rel)
    assert (code, body.get("items")) == (200, 3), body
    assert _digest(path) == digest
    if mode == "rollback":
        assert _sidecars(path) == [] and _journal_byte(path) == 1


# -- registered PostgreSQL projects: the URL stays on the server -------------------------

PASSWORD = "pw-never-sent-9f3"


def _with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{PASSWORD}@{host}"


@pytest.mark.postgres
def test_a_registered_projects_url_and_password_never_reach_the_browser(
    pg_cluster, tmp_path_factory
):
    url = pg_cluster.new_database()
    lead = wb.Project(url, schema=wb.Schema.classification("animal", ["cat", "dog"]))
    lead.add_texts(["a", "b"], ids=["i0", "i1"])
    lead.close()
    registered = {"cats": _with_password(url), "gone": f"postgresql://x:{PASSWORD}@127.0.0.1:1/y"}
    srv = Server(
        tmp_path_factory.mktemp("pg-root"), tmp_path_factory.mktemp("pg-home"),
        env={"WORKBENCH_PROJECTS": json.dumps(registered)},
    ).start()  # fmt: skip
    try:
        answers = [
            srv.get_raw(PROJECTS, token=srv.token),
            srv.get_raw(STATUS, token=srv.token, project="cats"),
            srv.get_raw(STATUS, token=srv.token, project="cats", task="nope"),
            srv.get_raw(STATUS, token=srv.token, project="gone"),
            srv.get_raw(STATUS, token=srv.token, project="cats.db"),
            srv.get_raw(STATUS, token=None, project="cats"),
        ]
        assert [code for code, _ in answers] == [200, 200, 400, 503, 404, 403]
        host = url.split("@", 1)[1]
        for _, raw in answers:
            assert PASSWORD not in raw and "postgresql://" not in raw and host not in raw
        assert PASSWORD not in srv.log_path.read_text(errors="replace")
    finally:
        srv.stop()


@pytest.mark.postgres
def test_a_registered_empty_database_gets_no_tables_and_a_store_is_never_written(
    pg_cluster, tmp_path_factory
):
    import psycopg

    empty = pg_cluster.new_database()
    url = pg_cluster.new_database()
    lead = wb.Project(url, schema=wb.Schema.classification("animal", ["cat", "dog"]))
    lead.add_texts(["a", "b"], ids=["i0", "i1"])
    lead.label("i0", "cat")
    lead.close()

    def tables(u: str) -> list[tuple]:
        with psycopg.connect(u) as conn:
            return conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).fetchall()

    def log(u: str) -> list[tuple]:
        with psycopg.connect(u) as conn:
            return conn.execute("SELECT * FROM events ORDER BY id").fetchall()

    before = log(url)
    srv = Server(
        tmp_path_factory.mktemp("pg-root"), tmp_path_factory.mktemp("pg-home"),
        env={"WORKBENCH_PROJECTS": json.dumps({"empty": empty, "cats": url})},
    ).start()  # fmt: skip
    try:
        code, raw = srv.get_raw(STATUS, token=srv.token, project="empty")
        assert code == 400 and "holds no workbench project" in raw
        assert tables(empty) == []  # the panel created nothing there
        code, _ = srv.get_raw(STATUS, token=srv.token, project="cats")
        assert code == 200
    finally:
        srv.stop()
    assert log(url) == before
    # The same store opened read-only refuses every write by name.
    viewer = wb.Project(url, read_only=True)
    try:
        with pytest.raises(wb.StoreError, match="read-only"):
            viewer.label("i1", "dog")
    finally:
        viewer.close()
    assert log(url) == before
