"""Real notebook servers and headless Chromium, driven by Playwright.

Shared by the browser tests (through ``conftest.py``), by
``tests/benchmarks/bench_widget.py`` and by ``tools/screenshots.py``. Nothing
here knows about workbench's widgets: it starts a server in a throwaway
directory, opens notebooks, runs their cells, presses keys on a schedule, finds
and signals the kernel process, and reads the event log straight from a
project's SQLite file.

Hosts: :class:`LabServer` runs JupyterLab (``app="lab"``) or Notebook 7
(``app="notebook"``), both opened by :class:`LabPage`; :class:`MarimoServer`
runs one marimo app (``marimo edit`` or ``marimo run``), opened by
:class:`BrowserPage`. Every host gets the same Chromium flags
(:data:`CHROMIUM_ARGS`), a token, 127.0.0.1 only, and a process group that
``stop()`` ends even when the test failed.

Isolation: the server gets its own ``JUPYTER_CONFIG_DIR``, ``JUPYTER_DATA_DIR``,
``JUPYTER_RUNTIME_DIR``, user-settings and workspaces directories under the
temporary root, and a kernelspec (``workbench-test``) that runs *this*
interpreter with the repository on ``PYTHONPATH``; the user's own Jupyter
settings are never read or written.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[2]
KERNEL_NAME = "workbench-test"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Keep timers and animation frames running at full speed in a page that
    # headless Chromium may consider hidden: latency figures depend on it.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    # The audio widget plays clips with Web Audio: no click needed before it may.
    "--autoplay-policy=no-user-gesture-required",
]

# Settings pushed on every plugin through overrides.json: no news pop-up, no
# update check, no extension manager (it queries PyPI, unreachable here).
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}

T = TypeVar("T")


class HarnessError(RuntimeError):
    """The harness could not reach the state it waited for."""


def chromium_path() -> str | None:
    """The Chromium to drive: ``$WORKBENCH_CHROMIUM`` if set, else the system's.

    Playwright's own browser download is not used (it needs the internet); a
    Debian/Ubuntu ``chromium`` package works.
    """
    override = os.environ.get("WORKBENCH_CHROMIUM")
    if override:
        return override if os.path.exists(override) else None
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def wait_for(
    predicate: Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Call ``predicate`` until it returns something truthy; return that value.

    Raises :class:`HarnessError` naming ``what`` after ``timeout`` seconds,
    with the last value (or exception) seen.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = predicate()
        except Exception as exc:  # a predicate may race a restarting process
            last = exc
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise HarnessError(
                f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}"
            )
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the server -----------------------------------------------------------------------


def server_args(token: str, port: int, root: Path) -> list[str]:
    """``jupyter server`` / ``jupyter lab`` flags of a private test server: this token,
    this port on 127.0.0.1 only (no retries), this root folder, root allowed, no
    browser, no terminals."""
    return [
        "--no-browser",
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_root=True",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.terminals_enabled=False",
    ]


class ServerProcess:
    """A server in its own process group on 127.0.0.1, its output in ``log_path``.

    Subclasses build the command and say how to tell it is up; this class starts
    it, waits for it, and stops it (SIGTERM, then SIGKILL to the whole group).
    """

    name = "server"

    def __init__(self, log_path: Path) -> None:
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _launch(
        self, cmd: list[str], *, cwd: Path, env: dict[str, str], up: Callable[[], bool],
        timeout: float,
    ) -> None:  # fmt: skip
        """Start ``cmd`` and wait until ``up()`` holds (raising if the process exits)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"{self.name} exited ({self.proc.returncode}):\n{self.log_tail()}"
                )
            try:
                return up()
            except (urllib.error.URLError, ConnectionError, OSError):
                return False

        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                self.stop()
                raise HarnessError(f"{self.name} did not answer in {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def _terminate(self, *, grace: float = 15.0) -> None:
        """SIGTERM the server; SIGKILL its process group if it lingers or left children."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever is left of the group (the server, or children it left behind)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def stop(self) -> None:
        self._terminate()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
        self.proc = None

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        # Some tools log a whole minified bundle on one line: keep each line short.
        return "\n".join(line[:400] for line in lines[-n:])

    def page_url(self, name: str) -> str:
        raise NotImplementedError

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LabServer(ServerProcess):
    """A JupyterLab (``app="lab"``) or Notebook 7 (``app="notebook"``) server on
    127.0.0.1 with a random token, rooted at ``root``."""

    APPS = {"lab": "LabApp", "notebook": "JupyterNotebookApp"}

    def __init__(self, root: Path, *, python: str | None = None, app: str = "lab") -> None:
        if app not in self.APPS:
            raise ValueError(f"app must be one of {sorted(self.APPS)}, got {app!r}")
        self.root = Path(root)
        self.base = self.root / ".jupyter-home"
        super().__init__(self.base / "server.log")
        self.app = app
        self.name = f"jupyter {app}"
        self.python = python or sys.executable
        self.notebooks = self.root / "notebooks"
        self.runtime_dir = self.base / "runtime"

    # -- lifecycle
    def start(self, *, timeout: float = 60.0) -> LabServer:
        config_dir, data_dir = self.base / "config", self.base / "data"
        settings_dir, user_settings = self.base / "app-settings", self.base / "user-settings"
        workspaces = self.base / "workspaces"
        for d in (
            config_dir, data_dir, self.runtime_dir, settings_dir, user_settings, workspaces,
            self.notebooks,
        ):  # fmt: skip
            d.mkdir(parents=True, exist_ok=True)
        (settings_dir / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=1))
        # No build check: it shells out to node for nothing on every page load.
        (config_dir / "labconfig").mkdir(exist_ok=True)
        (config_dir / "labconfig" / "page_config.json").write_text(
            json.dumps({"buildCheck": False, "buildAvailable": False})
        )
        self._install_kernelspec(data_dir / "kernels" / KERNEL_NAME)

        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(config_dir),
            JUPYTER_DATA_DIR=str(data_dir),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTER_PLATFORM_DIRS="1",
            # The kernel must not pick up a user-level IPython profile either.
            IPYTHONDIR=str(self.base / "ipython"),
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTER_PATH", None)
        app = self.APPS[self.app]
        cmd = [
            self.python, "-m", "jupyter", self.app,
            *server_args(self.token, self.port, self.notebooks),
            "--ServerApp.open_browser=False",
            f"--{app}.expose_app_in_browser=True",
            f"--{app}.app_settings_dir={settings_dir}",
            f"--{app}.user_settings_dir={user_settings}",
            f"--{app}.workspaces_dir={workspaces}",
        ]  # fmt: skip
        if self.app == "lab":  # Notebook 7 has neither setting (nor a news pop-up)
            cmd += ["--LabApp.news_url=None", "--LabApp.extension_manager=readonly"]
        self._launch(
            cmd, cwd=self.notebooks, env=env, timeout=timeout,
            up=lambda: "started" in self.api("GET", "/api/status"),
        )  # fmt: skip
        return self

    def _install_kernelspec(self, spec_dir: Path) -> None:
        spec_dir.mkdir(parents=True, exist_ok=True)
        pythonpath = os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        spec = {
            "argv": [self.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python (workbench tests)",
            "language": "python",
            "env": {"PYTHONPATH": pythonpath},
            "metadata": {"debugger": False},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.shutdown_all_sessions()
            except Exception:
                pass
        self._terminate()  # SIGTERM: jupyter_server shuts kernels down and exits
        for pid in self.kernel_pids():  # a kernel that outlived its server
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._close_log()

    # -- REST
    def api(self, method: str, path: str, body: Any = None, *, timeout: float = 30.0) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def lab_url(self, notebook: str, *, workspace: str | None = None) -> str:
        """URL of ``notebook`` in a fresh workspace (so no earlier test's tabs reopen)."""
        ws = workspace or f"t{uuid.uuid4().hex[:10]}"
        return f"{self.url}/lab/workspaces/{ws}/tree/{notebook}?token={self.token}"

    def page_url(self, notebook: str) -> str:
        """Where the browser opens ``notebook``: JupyterLab's tree or Notebook 7's page."""
        if self.app == "notebook":
            return f"{self.url}/notebooks/{notebook}?token={self.token}"
        return self.lab_url(notebook)

    def sessions(self) -> list[dict[str, Any]]:
        return self.api("GET", "/api/sessions")

    def kernel_id(self, notebook: str) -> str | None:
        for s in self.sessions():
            if s.get("path") == notebook and s.get("kernel"):
                return s["kernel"]["id"]
        return None

    def shutdown_all_sessions(self) -> None:
        for s in self.sessions():
            try:
                self.api("DELETE", f"/api/sessions/{s['id']}")
            except urllib.error.HTTPError:
                pass
        for k in self.api("GET", "/api/kernels"):
            try:
                self.api("DELETE", f"/api/kernels/{k['id']}")
            except urllib.error.HTTPError:
                pass

    def restart_kernel(self, kernel_id: str) -> None:
        self.api("POST", f"/api/kernels/{kernel_id}/restart", {}, timeout=60)

    # -- kernel processes
    def kernel_pid(self, kernel_id: str) -> int | None:
        """The PID of the process started with this kernel's connection file."""
        needle = f"kernel-{kernel_id}.json".encode()
        for pid, cmdline in _processes():
            if needle in cmdline and b"ipykernel" in cmdline:
                return pid
        return None

    def kernel_pids(self) -> list[int]:
        needle = str(self.runtime_dir).encode()
        return [pid for pid, cmdline in _processes() if needle in cmdline]


# marimo's settings for a test server: cells run when the page opens (as a
# ``marimo run`` app does), nothing is fetched from the internet.
MARIMO_CONFIG = """\
[runtime]
auto_instantiate = true
on_cell_change = "autorun"

[completion]
activate_on_typing = false
copilot = false
"""


class MarimoServer(ServerProcess):
    """``marimo edit`` (``mode="edit"``) or ``marimo run`` of one app file, on
    127.0.0.1 with a random token (``?access_token=``).

    marimo reads ``.marimo.toml`` from its working directory first, so the one
    written into ``root`` (:data:`MARIMO_CONFIG`) is the only one it sees; its
    state and cache folders are under ``root`` too.
    """

    def __init__(self, app: Path, *, mode: str = "edit", python: str | None = None) -> None:
        if mode not in ("edit", "run"):
            raise ValueError(f"mode must be 'edit' or 'run', got {mode!r}")
        self.app = Path(app)
        self.root = self.app.parent
        self.base = self.root / ".marimo-home"
        super().__init__(self.base / "server.log")
        self.mode = mode
        self.name = f"marimo {mode}"
        self.python = python or sys.executable

    def start(self, *, timeout: float = 60.0) -> MarimoServer:
        (self.root / ".marimo.toml").write_text(MARIMO_CONFIG)
        env = dict(os.environ)
        env.update(
            XDG_CONFIG_HOME=str(self.base / "config"),
            XDG_STATE_HOME=str(self.base / "state"),
            XDG_CACHE_HOME=str(self.base / "cache"),
            PYTHONPATH=os.pathsep.join(
                p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
            PYTHONUNBUFFERED="1",
        )
        cmd = [
            self.python, "-m", "marimo", "-q", self.mode, str(self.app), "--headless",
            "--host", "127.0.0.1", "--port", str(self.port), "--token-password", self.token,
            "--no-sandbox",
        ]  # fmt: skip
        if self.mode == "edit":
            cmd.append("--skip-update-check")

        def up() -> bool:
            with urllib.request.urlopen(f"{self.url}/health", timeout=5) as resp:
                return resp.status == 200

        self._launch(cmd, cwd=self.root, env=env, up=up, timeout=timeout)
        return self

    def page_url(self, name: str = "") -> str:
        """The app's page (one app per server: ``name`` is ignored)."""
        return f"{self.url}/?access_token={self.token}"


def write_marimo_app(path: Path, cell: str) -> Path:
    """A marimo app of one cell: ``cell`` is its body (it may define names and must
    end with the expression to show)."""
    body = "\n".join("    " + line if line else "" for line in cell.splitlines())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n"
        f"{body}\n    return\n\n\nif __name__ == '__main__':\n    app.run()\n"
    )
    return path


def _processes() -> Iterable[tuple[int, bytes]]:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                yield int(entry), f.read()
        except OSError:
            continue


def process_state(pid: int) -> str | None:
    """One letter from /proc/PID/stat (``R``, ``S``, ``T`` stopped, ``Z`` zombie), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


# -- notebooks ------------------------------------------------------------------------


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """A notebook (nbformat 4.5) of code cells whose kernelspec is the harness's own.

    Written as JSON here: importing nbformat costs about ten seconds (its
    jsonschema validator builds URI grammars), once per test or benchmark process.
    """
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {
                "name": KERNEL_NAME,
                "display_name": "Python (workbench tests)",
                "language": "python",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    return path


# -- the page -------------------------------------------------------------------------

# Find the NotebookPanel for a path among the main-area widgets.
_JS_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.sessionContext) return w;
  }
  return null;
}
"""

_JS_KERNEL_STATE = (
    """
(path) => {
  const find = """
    + _JS_PANEL
    + """;
  const panel = find(path);
  if (!panel) return {panel: false};
  const sc = panel.sessionContext;
  const kernel = sc.session && sc.session.kernel;
  return {
    panel: true,
    ready: sc.isReady,
    kernelId: kernel ? kernel.id : null,
    status: kernel ? kernel.status : null,
    connection: kernel ? kernel.connectionStatus : null,
  };
}
"""
)


@dataclass
class BrowserPage:
    """One page of a notebook host open in Playwright (its own browser context).

    Host-neutral: it opens ``server.page_url(notebook)``, keeps the console's
    errors and warnings, waits for selectors, focuses elements and presses keys.
    :class:`LabPage` adds what JupyterLab and Notebook 7 offer (``window.jupyterapp``:
    the kernel's state, commands, run all).
    """

    server: Any  # a ServerProcess with page_url()
    page: Any  # playwright.sync_api.Page
    notebook: str
    console: list[str] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        server: Any,
        browser: Any,
        notebook: str,
        *,
        timeout: float = 60.0,
        viewport: tuple[int, int] = (1280, 900),
    ) -> BrowserPage:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        page = context.new_page()
        lp = cls(server, page, notebook)
        page.on("console", lp._on_console)
        page.on("pageerror", lambda exc: lp.console.append(f"[pageerror] {exc}"))
        page.set_default_timeout(timeout * 1000)
        page.goto(server.page_url(notebook), wait_until="domcontentloaded")
        lp.wait_ready(timeout=timeout)
        return lp

    def _on_console(self, msg: Any) -> None:
        if msg.type in ("error", "warning"):
            text = msg.text if len(msg.text) <= 400 else msg.text[:400] + " …"
            self.console.append(f"[{msg.type}] {text}")

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        """Wait for the document to load (hosts without an app object to wait for)."""
        self.page.wait_for_load_state("domcontentloaded", timeout=timeout * 1e3)

    def _before_focus(self) -> None:
        """What clears the way before a click that focuses a widget (nothing by default)."""

    def wait_selector(self, selector: str, *, timeout: float = 60.0) -> Any:
        return self.page.wait_for_selector(selector, state="attached", timeout=timeout * 1e3)

    def attr(self, selector: str, name: str) -> str | None:
        return self.page.evaluate(
            "([s, n]) => { const e = document.querySelector(s);"
            " return e ? e.getAttribute(n) : null; }",
            [selector, name],
        )

    def focus(self, selector: str) -> None:
        """Click the element near its top-left corner, then check that it holds the focus.

        The element may sit in an open shadow root (marimo renders widgets in one):
        the locator finds it there, and the focus is looked for in its own root.
        """
        self._before_focus()
        loc = self.page.locator(selector).first
        loc.scroll_into_view_if_needed()
        loc.click(position={"x": 4, "y": 4})
        has = loc.evaluate("(e) => e.contains(e.getRootNode().activeElement)")
        if not has:
            # The click landed on a child that does not take focus; focus the element itself.
            loc.evaluate("(e) => e.focus()")

    def record_keys(self, selector: str) -> None:
        """Log every keydown (capture phase, before any widget sees it) in ``window.__harnessKeys``.

        Each entry: the key, the keydown's timestamp, the ``data-item-id`` of the
        last element matching ``selector`` at that moment, and whether the focus
        was inside it. For diagnosing a failed test, not for asserting on.
        """
        self.page.evaluate(
            """(s) => {
                window.__harnessKeys = [];
                if (window.__harnessKeyListener) return;
                window.__harnessKeyListener = (e) => {
                    const all = document.querySelectorAll(s);
                    const root = all[all.length - 1];
                    window.__harnessKeys.push({
                        key: e.key, t: e.timeStamp,
                        shown: root ? root.dataset.itemId : null,
                        focused: !!root && root.contains(document.activeElement),
                    });
                };
                window.addEventListener('keydown', window.__harnessKeyListener, true);
            }""",
            selector,
        )

    def recorded_keys(self) -> list[dict[str, Any]]:
        return self.page.evaluate("() => (window.__harnessKeys || []).slice()")

    def scroll_top_out_of_view(self, selector: str, px: int = 100) -> None:
        """Scroll the element's scrolling container so its top ``px`` pixels are hidden.

        Puts a widget in the state a user often sees it in: partly out of view.
        """
        self.page.evaluate(
            """([s, px]) => {
                const e = document.querySelector(s);
                let c = e.parentElement;
                while (c && !(c.scrollHeight > c.clientHeight
                        && /(auto|scroll)/.test(getComputedStyle(c).overflowY))) {
                    c = c.parentElement;
                }
                if (!c) throw new Error('no scrolling container for ' + s);
                const dy = e.getBoundingClientRect().top - c.getBoundingClientRect().top;
                c.scrollTop += dy + px;
            }""",
            [selector, px],
        )

    def press_keys(self, keys: Sequence[str], *, interval: float, on_press=None) -> list[float]:
        """Press ``keys`` one by one, ``interval`` seconds apart on an absolute schedule.

        ``on_press(i)`` runs before key ``i`` (e.g. to kill the kernel at a chosen
        point). Returns each press's start time (``time.monotonic``).
        """
        times = []
        start = time.monotonic()
        for i, key in enumerate(keys):
            if on_press is not None:
                on_press(i)
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            times.append(time.monotonic())
            self.page.keyboard.press(key)
        return times

    def reload(self, *, timeout: float = 60.0) -> None:
        self.page.reload(wait_until="domcontentloaded")
        self.wait_ready(timeout=timeout)

    def close(self) -> None:
        ctx = self.page.context
        try:
            self.page.close()
        finally:
            ctx.close()

    def console_report(self) -> str:
        return "\n".join(self.console[-200:])


@dataclass
class LabPage(BrowserPage):
    """One notebook open in JupyterLab or Notebook 7, in one Playwright page."""

    server: LabServer

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        """Wait for the app restored, the notebook panel open and its kernel idle."""
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout * 1e3)
        self.page.evaluate("async () => { await window.jupyterapp.restored; return true; }")
        self.wait_kernel_idle(timeout=timeout)

    def kernel_state(self) -> dict[str, Any]:
        return self.page.evaluate(_JS_KERNEL_STATE, self.notebook)

    def wait_kernel_idle(self, *, timeout: float = 60.0, kernel_id: str | None = None) -> str:
        """Wait until the notebook's kernel is connected and idle; return its id."""

        def idle() -> str | None:
            st = self.kernel_state()
            ok = (
                st.get("ready")
                and st.get("status") == "idle"
                and st.get("connection") == "connected"
                and (kernel_id is None or st.get("kernelId") == kernel_id)
            )
            return st["kernelId"] if ok else None

        return wait_for(idle, timeout=timeout, interval=0.2, what=f"kernel idle ({self.notebook})")

    def command(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Run a JupyterLab command on this notebook (made the current widget first)."""
        return self.page.evaluate(
            """async ([path, name, args]) => {
                const find = """
            + _JS_PANEL
            + """;
                const panel = find(path);
                if (!panel) throw new Error('no notebook panel for ' + path);
                window.jupyterapp.shell.activateById(panel.id);
                await window.jupyterapp.commands.execute(name, args || {});
                return true;
            }""",
            [self.notebook, name, args],
        )

    def run_all(self) -> None:
        self.command("notebook:run-all-cells")

    def close_documents(self) -> None:
        """Close every document open in the page's main area, unsaved changes and all
        (marked clean first, so no "save your work" dialog asks). Their kernels
        keep running, as when a user closes a tab."""
        self.page.evaluate(
            """() => {
                for (const w of [...window.jupyterapp.shell.widgets('main')]) {
                    if (w.context && w.context.model) w.context.model.dirty = false;
                    w.dispose();
                }
            }"""
        )

    def switch(self, notebook: str, *, timeout: float = 60.0) -> None:
        """Open ``notebook`` in this page in place of what is open in it, and wait for
        its kernel idle; the console log starts again. About 2 s on a 2-core machine,
        where a new page loads JupyterLab again in about 8."""
        self.close_documents()
        self.page.evaluate(
            "async (path) => { await window.jupyterapp.commands.execute("
            "'docmanager:open', {path, factory: 'Notebook'}); }",
            notebook,
        )
        self.notebook = notebook
        self.console.clear()
        self.wait_kernel_idle(timeout=timeout)

    def dismiss_kernel_dialogs(self) -> list[str]:
        """Close JupyterLab's "Kernel Restarting" notices (a modal after a kernel dies).

        Only those: any other dialog stays, so a test that trips over it says so.
        Returns the dismissed dialogs' labels (also logged with the console).
        """
        closed = self.page.evaluate(
            """() => {
                const out = [];
                for (const d of document.querySelectorAll('.jp-Dialog')) {
                    const label = d.getAttribute('aria-label') || d.textContent || '';
                    if (!/kernel (restarting|restarted|died)/i.test(label)) continue;
                    const b = d.querySelector('.jp-Dialog-button.jp-mod-accept')
                        || d.querySelector('.jp-Dialog-button');
                    if (b) { b.click(); out.push(label.slice(0, 120)); }
                }
                return out;
            }"""
        )
        self.console.extend(f"[harness] dismissed dialog: {c}" for c in closed)
        return closed

    def _before_focus(self) -> None:
        self.dismiss_kernel_dialogs()


def launch_browser(playwright: Any) -> Any:
    exe = chromium_path()
    if exe is None:
        raise HarnessError("Chromium not found (looked for /usr/bin/chromium and `chromium`)")
    return playwright.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)


# -- the kernel, from outside ---------------------------------------------------------


def kill_kernel(server: LabServer, notebook: str, sig: int = signal.SIGKILL) -> int:
    """Send ``sig`` to the notebook's kernel process; return its PID."""
    kid = server.kernel_id(notebook)
    if kid is None:
        raise HarnessError(f"no kernel session for {notebook}")
    pid = server.kernel_pid(kid)
    if pid is None:
        raise HarnessError(f"no process for kernel {kid}")
    os.kill(pid, sig)
    return pid


def ensure_restarted(server: LabServer, kernel_id: str, old_pid: int, *, grace: float = 8.0) -> int:
    """Make sure kernel ``kernel_id`` runs in a new process; return its PID.

    After a SIGKILL the server's own restarter brings the kernel back within a
    few seconds (it polls every 3 s); asking for a restart through the REST API
    while it does so can leave two restarts interleaved, so wait ``grace``
    seconds for it first and only then ``POST /api/kernels/<id>/restart``.
    """

    def new_pid() -> int | None:
        pid = server.kernel_pid(kernel_id)
        return pid if pid is not None and pid != old_pid and process_state(pid) != "Z" else None

    try:
        return wait_for(new_pid, timeout=grace, interval=0.2, what="the kernel's autorestart")
    except HarnessError:
        server.restart_kernel(kernel_id)
    return wait_for(new_pid, timeout=60, interval=0.2, what="a restarted kernel process")


# -- the store, read from the test process --------------------------------------------


def read_events(db: Path, *, kinds: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The project's event log, oldest first, read-only (never blocks the kernel's writes)."""
    if not Path(db).exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        conn.row_factory = sqlite3.Row
        sql = "SELECT * FROM events"
        args: tuple = ()
        if kinds:
            sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
            args = tuple(kinds)
        rows = conn.execute(sql + " ORDER BY id", args).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()
    out = []
    for r in rows:
        d = dict(r)
        d["value"] = json.loads(d["value"]) if d.get("value") is not None else None
        out.append(d)
    return out


def wait_events(
    db: Path,
    predicate: Callable[[list[dict[str, Any]]], bool],
    *,
    kinds: Sequence[str] | None = ("label",),
    timeout: float = 30.0,
    what: str = "events",
) -> list[dict[str, Any]]:
    """Poll the log until ``predicate(events)`` holds; return those events."""
    box: dict[str, Any] = {}

    def check() -> bool:
        box["events"] = read_events(db, kinds=kinds)
        return predicate(box["events"])

    try:
        wait_for(check, timeout=timeout, interval=0.2, what=what)
    except HarnessError as exc:
        n = len(box.get("events", []))
        raise HarnessError(f"{exc} ({n} events seen)") from None
    return box["events"]


def item_labels(db: Path, item: str) -> list[dict[str, Any]]:
    """The values of ``item``'s label events, oldest first."""
    return [e["value"] for e in read_events(db, kinds=("label",)) if e["item_id"] == item]


def wait_item_label(db: Path, item: str, n: int, what: str) -> Any:
    """The value of ``item``'s ``n``-th label event (1-based), once it is stored."""
    wait_events(db, lambda ev: sum(e["item_id"] == item for e in ev) >= n, timeout=30, what=what)
    return item_labels(db, item)[n - 1]


def settle_events(
    db: Path, *, kinds: Sequence[str] | None = ("label",), quiet: float = 1.5, timeout: float = 60.0
) -> list[dict[str, Any]]:
    """Wait until the log stops growing for ``quiet`` seconds; return it."""
    deadline = time.monotonic() + timeout
    last = read_events(db, kinds=kinds)
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = read_events(db, kinds=kinds)
        if len(now) != len(last):
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    return last
