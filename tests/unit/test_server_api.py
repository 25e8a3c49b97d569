"""The REST API of workbench.server against a real ``jupyter server`` with a token.

The server (``tests/jupyter_server.py``) enables the extension on the command
line, so the test does not depend on the installed ``jupyter_server_config.d`` file.
PostgreSQL projects are registered both ways a server can have them: in the
server's config file (``WorkbenchServer.projects``) and in ``WORKBENCH_PROJECTS``.
"""

from __future__ import annotations

import json

import pytest

import workbench as wb
from tests.jupyter_server import Server

pytest.importorskip("jupyter_server")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    animal = wb.Classification("animal", classes=["cat", "dog"])
    color = wb.Classification("color", classes=["red", "blue"])
    p = wb.Project(root / "team.db", schema=wb.Schema((animal, color)), annotator="lead")
    p.add_texts([f"t{i}" for i in range(5)], ids=[f"i{i}" for i in range(5)])
    p.label("i0", "cat", annotator="ann")
    p.label("i1", "dog", annotator="ann")
    p.label("i0", "cat", annotator="bob")
    p.close()
    (root / "sub").mkdir()
    (root / "sub" / "notes.db").write_bytes(b"")  # not a workbench project
    (root / "empty.db").write_bytes(b"")
    srv = Server(root, tmp_path_factory.mktemp("home")).start()
    yield srv
    srv.stop()


def test_status_with_token(server):
    code, body = server.get("/workbench/api/status", token=server.token, project="team.db")
    assert code == 200, server.log()
    assert body["project"] == "team.db"
    assert body["kind"] == "sqlite"
    assert body["task"] == "animal"
    assert body["items"] == 5
    assert body["labeled"] == 2
    assert body["labels_last_hour"] == 3
    assert body["labels_last_hour_by_annotator"] == {"ann": 2, "bob": 1}
    code, body = server.get(
        "/workbench/api/status", token=server.token, project="team.db", task="color"
    )
    assert (code, body["task"], body["labeled"]) == (200, "color", 0)


def test_status_is_live(server):
    """The server keeps the project open; labels written since still count."""

    def labeled() -> int:
        return server.get("/workbench/api/status", token=server.token, project="team.db")[1][
            "labeled"
        ]

    before = labeled()
    with wb.Project(server.root / "team.db", annotator="carol") as p:
        p.label("i4", "dog")
    assert labeled() == before + 1


@pytest.mark.parametrize("token", [None, "wrong"])
def test_refused_without_the_token(server, token):
    code, body = server.get("/workbench/api/status", token=token, project="team.db")
    assert code == 403
    assert "items" not in body
    assert server.get("/workbench/api/projects", token=token)[0] == 403


@pytest.mark.parametrize("rel", ["../team.db", "sub/../../x.db", "/etc/passwd"])
def test_paths_outside_root_are_forbidden(server, rel):
    code, body = server.get("/workbench/api/status", token=server.token, project=rel)
    assert code == 403
    assert "root_dir" in body["message"]


def test_missing_project_is_404(server):
    code, body = server.get("/workbench/api/status", token=server.token, project="nope.db")
    assert code == 404
    assert "nope.db" in body["message"]


def test_bad_task_and_bad_file_are_400(server):
    code, body = server.get(
        "/workbench/api/status", token=server.token, project="team.db", task="shape"
    )
    assert code == 400
    assert "'shape'" in body["message"] and "animal" in body["message"]
    code, body = server.get("/workbench/api/status", token=server.token, project="sub/notes.db")
    assert code == 400 and "not a workbench project" in body["message"]
    assert server.get("/workbench/api/status", token=server.token)[0] == 400


def test_projects_lists_every_db_file_and_marks_the_invalid_ones(server):
    code, body = server.get("/workbench/api/projects", token=server.token)
    assert code == 200
    empty = "not a workbench project: the file is empty"
    assert body == {
        "projects": [
            {"path": "empty.db", "kind": "sqlite", "tasks": [], "valid": False, "error": empty},
            {"path": "team.db", "kind": "sqlite", "tasks": ["animal", "color"], "valid": True},
            {"path": "sub/notes.db", "kind": "sqlite", "tasks": [], "valid": False, "error": empty},
        ],
        "depth": 2,
    }


def test_an_unregistered_name_is_404(server):
    code, body = server.get("/workbench/api/status", token=server.token, project="cats-team")
    assert code == 404
    assert "no registered project 'cats-team' (registered: none)" in body["message"]


# -- PostgreSQL projects, registered by name -------------------------------------------

PASSWORD = "s3cret-pw"
N_TEAM_ITEMS = 6


def _with_password(url: str) -> str:
    """``url`` with a password for its user (the test cluster trusts local logins, so
    the password is never checked: it is only there to be kept secret)."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{PASSWORD}@{host}"


@pytest.fixture(scope="module")
def team_server(pg_cluster, tmp_path_factory):
    """A server with two registered PostgreSQL projects: ``cats-team`` (through
    WORKBENCH_PROJECTS), a team project opened by its lead, and ``gone`` (through
    the config file), whose database cannot be reached."""
    url = pg_cluster.new_team_database()
    lead = wb.Project(url, schema=wb.Schema.classification("animal", ["cat", "dog"]))
    lead.add_texts(
        [f"t{i}" for i in range(N_TEAM_ITEMS)], ids=[f"i{i}" for i in range(N_TEAM_ITEMS)]
    )
    team = lead.team.setup(overlap=2, gold_share=0.0)
    alice = team.add_user("alice", "annotator")
    team.fill()
    lead.close()
    srv = Server(
        tmp_path_factory.mktemp("team-root"),
        tmp_path_factory.mktemp("team-home"),
        env={"WORKBENCH_PROJECTS": json.dumps({"cats-team": _with_password(url)})},
        config={"WorkbenchServer": {
            "projects": {"gone": f"postgresql://lead:{PASSWORD}@127.0.0.1:1/nope"},
        }},
    ).start()  # fmt: skip
    srv.alice = alice
    srv.cluster, srv.dbname = pg_cluster, url.split("@/", 1)[1].split("?", 1)[0]
    yield srv
    srv.stop()


def _status(srv: Server, **query: str) -> tuple[int, dict]:
    return srv.get("/workbench/api/status", token=srv.token, **query)


@pytest.mark.postgres
def test_registered_projects_are_listed_by_name_without_their_url(team_server):
    code, raw = team_server.get_raw("/workbench/api/projects", token=team_server.token)
    assert code == 200, team_server.log()
    assert PASSWORD not in raw and "postgresql://" not in raw and "nope" not in raw
    projects = {p["name"]: p for p in json.loads(raw)["projects"]}
    assert projects["cats-team"] == {"name": "cats-team", "kind": "postgresql", "tasks": ["animal"]}
    gone = projects["gone"]
    assert (gone["kind"], gone["tasks"]) == ("postgresql", [])
    assert gone["error"].startswith("project gone: cannot reach the database")


@pytest.mark.postgres
def test_registered_project_status_has_the_team_numbers_and_is_live(team_server):
    code, body = _status(team_server, project="cats-team")
    assert code == 200, team_server.log()
    assert (body["project"], body["kind"], body["task"]) == ("cats-team", "postgresql", "animal")
    assert body["items"] == N_TEAM_ITEMS
    assert body["gold_accuracy"] is None  # no gold items
    annotate = body["tiers"]["annotate"]
    assert (annotate["open"], annotate["claimed"], annotate["done"]) == (2 * N_TEAM_ITEMS, 0, 0)
    assert body["tiers"]["review"]["items"] == 0 and body["tiers"]["qa"]["items"] == 0

    with wb.Project(team_server.alice) as alice:
        ids = alice.team.claim(2)
        assert _status(team_server, project="cats-team")[1]["tiers"]["annotate"]["claimed"] == 2
        for iid in ids:
            alice.label(iid, "cat")
    code, body = _status(team_server, project="cats-team", task="animal")
    assert code == 200
    annotate = body["tiers"]["annotate"]
    assert (annotate["open"], annotate["claimed"], annotate["done"]) == (
        2 * N_TEAM_ITEMS - 2, 0, 2,
    )  # fmt: skip
    assert body["labeled"] == 2 and body["labels_last_hour_by_annotator"] == {"alice": 2}


@pytest.mark.postgres
def test_registered_project_survives_a_dropped_connection(team_server):
    assert _status(team_server, project="cats-team")[0] == 200
    killed = team_server.cluster.admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (team_server.dbname,),
    )
    assert killed, "the server held no connection to the database"
    code, body = _status(team_server, project="cats-team")
    assert code == 200, body
    assert body["items"] == N_TEAM_ITEMS


@pytest.mark.postgres
def test_registered_project_errors(team_server):
    code, body = _status(team_server, project="cats-team", task="colour")
    assert code == 400 and "'colour'" in body["message"] and "animal" in body["message"]

    code, body = _status(team_server, project="dogs-team")
    assert code == 404
    assert "no registered project 'dogs-team' (registered: cats-team, gone)" in body["message"]

    code, raw = team_server.get_raw(
        "/workbench/api/status", token=team_server.token, project="gone"
    )
    assert code == 503
    message = json.loads(raw)["message"]
    assert message.startswith("project gone: cannot reach the database: ")
    assert "Connection refused" in message  # libpq's reason, for the lead to act on
    assert PASSWORD not in raw and "postgresql://" not in raw
    assert PASSWORD not in team_server.log_path.read_text(errors="replace")


@pytest.mark.postgres
@pytest.mark.parametrize("token", [None, "wrong"])
def test_registered_projects_refused_without_the_token(team_server, token):
    code, raw = team_server.get_raw("/workbench/api/status", token=token, project="cats-team")
    assert code == 403
    assert "items" not in raw and PASSWORD not in raw
    code, raw = team_server.get_raw("/workbench/api/projects", token=token)
    assert code == 403 and "cats-team" not in raw


def test_registration_checks_names_and_urls():
    from traitlets import TraitError
    from traitlets.config import Config

    from workbench.server import WorkbenchServer, registered_projects

    messages: list[str] = []

    class Log:
        def error(self, msg, *args):
            messages.append(msg % args)

        info = error

    env = {"WORKBENCH_PROJECTS": json.dumps({
        "ok": "postgresql://lead@db/cats",
        "bad.db": "postgresql://lead@db/x",
        "../x": "postgresql://lead@db/x",
        "mysql": f"mysql://lead:{PASSWORD}@db/x",
    })}  # fmt: skip
    assert registered_projects(Config(), env, Log()) == {"ok": "postgresql://lead@db/cats"}
    assert len(messages) == 3
    assert "'bad.db'" in messages[0] and "'../x'" in messages[1]
    assert "mysql" in messages[2] and PASSWORD not in messages[2]

    messages.clear()
    assert (
        registered_projects(Config(), {"WORKBENCH_PROJECTS": f"{{'pw': '{PASSWORD}'"}, Log()) == {}
    )
    assert "not JSON" in messages[0] and PASSWORD not in messages[0]

    with pytest.raises(TraitError, match="expected a postgresql:// URL"):
        WorkbenchServer(projects={"x": "sqlite:///x.db"})
    config = Config({"WorkbenchServer": {"projects": {"a": "postgresql://config@db/a"}}})
    both = registered_projects(
        config, {"WORKBENCH_PROJECTS": '{"a": "postgres://env@db/a"}'}, Log()
    )
    assert both == {"a": "postgres://env@db/a"}  # the variable wins
