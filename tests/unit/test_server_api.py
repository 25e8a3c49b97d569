"""The REST API of workbench.server against a real ``jupyter server`` with a token.

The extension is enabled on the command line (``--ServerApp.jpserver_extensions``)
so the test does not depend on the installed ``jupyter_server_config.d`` file.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import workbench as wb

pytest.importorskip("jupyter_server")

REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, home: Path) -> None:
        self.root, self.home = root, home
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.log_path = home / "server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Server:
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_DATA_DIR=str(self.home / "data"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p),
        )
        env.pop("JUPYTER_PATH", None)
        cmd = [
            sys.executable, "-m", "jupyter", "server",
            "--no-browser",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_root=True",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            "--ServerApp.jpserver_extensions={'workbench.server': True}",
        ]  # fmt: skip
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter server exited:\n{self.log()}")
            try:
                if self.get("/api/status", token=self.token)[0] == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"jupyter server did not answer in {timeout} s:\n{self.log()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def get(self, path: str, *, token: str | None = None, **query: str) -> tuple[int, dict]:
        url = f"http://127.0.0.1:{self.port}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Authorization": f"token {token}"} if token else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return e.code, json.loads(body)
            except ValueError:
                return e.code, {"raw": body.decode(errors="replace")}


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


def test_projects_lists_workbench_files_only(server):
    code, body = server.get("/workbench/api/projects", token=server.token)
    assert code == 200
    assert body == {"projects": [{"path": "team.db", "tasks": ["animal", "color"]}], "depth": 2}
