"""``make demo`` starts JupyterLab cleanly and prints a URL that serves it.

Runs the real ``make demo`` (with a free port through ``DEMO_ARGS``) as the user
running the tests: root in CI and containers (where JupyterLab needs
``--allow-root``), a normal user elsewhere. No display is set, so the demo must
not try to open a browser. The venv is the one ``make`` built; ``-o`` keeps make
from reinstalling it here (``make test`` has just done that), so only the
widgets' quick rebuild and the start of JupyterLab are timed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

# A notebook, a server or a build: left out of `make test-quick`.
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
STAMP = ".venv/.installed"
URL = re.compile(r"(http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+))")
# What must never appear while the demo starts: the minified yarn.js dump that a
# `"type": "module"` package.json above the venv causes, and JupyterLab refusing root.
NOISE = ("Dynamic require", "Fail to get yarn configuration", "Running as root is not")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of the group is still there
        return True
    return True


def _wait_listening(port: int, proc: subprocess.Popen, lines: list[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            assert proc.poll() is None, "make demo exited:\n" + "".join(lines)
            assert time.monotonic() < deadline, "nothing listens on the URL's port"
            time.sleep(0.2)


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    if shutil.which("make") is None:
        pytest.fail("make is not on PATH; the demo is started with it")
    if not (REPO_ROOT / STAMP).exists():
        pytest.skip("the venv is not built by make here (run `make build` first)")
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "DEMO_NO_BROWSER", "DEMO_ARGS", "MAKEFLAGS"):
        env.pop(name, None)
    # The user's own Jupyter config (a password, a default URL) must not change the demo.
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    return env


def test_make_demo_starts_prints_its_url_and_stops(demo_env: dict[str, str]) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "-o", STAMP, "demo",
         f"DEMO_ARGS=--port={port} --ServerApp.port_retries=0"],
        cwd=REPO_ROOT, env=demo_env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.append(raw.decode("utf-8", "replace"))
            if URL.search(lines[-1]):
                found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not found.wait(0.2):
            assert proc.poll() is None, "make demo exited early:\n" + "".join(lines)
            assert time.monotonic() < deadline, "no URL printed:\n" + "".join(lines)
        output = "".join(lines)
        url, url_port, token = URL.search(output).groups()
        assert int(url_port) == port, output

        # The command make ran: no browser without a display; root needs --allow-root.
        command = next(line for line in lines if "jupyter lab quickstart.ipynb" in line)
        assert "--no-browser" in command
        assert ("--allow-root" in command) == (os.getuid() == 0), command

        # The server prints its URL just before it binds the port: wait for it to listen.
        _wait_listening(port, proc, lines)
        with urllib.request.urlopen(url, timeout=30) as page:
            assert page.status == 200
            html = page.read().decode("utf-8")
        assert "<title>JupyterLab</title>" in html
        # It serves notebooks/, opened on the quickstart notebook.
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/contents/quickstart.ipynb?content=0",
            headers={"Authorization": f"token {token}"},
        )
        with urllib.request.urlopen(req, timeout=30) as reply:
            assert reply.status == 200

        output = "".join(lines)
        for noise in NOISE:
            assert noise not in output, output
        assert not re.search(r"^\[E ", output, re.MULTILINE), output
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail("make demo did not stop on SIGTERM:\n" + "".join(lines))
        reader.join(timeout=10)

    # The whole group (make and JupyterLab) is gone, and the port is free again.
    deadline = time.monotonic() + 30
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(proc.pid), "a process of make demo is still running"
    with socket.socket() as s:  # SO_REUSEADDR: closed connections' TIME_WAIT do not count
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
