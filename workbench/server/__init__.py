"""Jupyter server extension: a REST API of live project numbers for the JupyterLab panel.

Routes, under ``<base_url>/workbench/api/``, all behind Jupyter's own
authentication (a request without the server's token or session cookie is
refused with 403):

- ``GET status?project=<path>&task=<name>``: :func:`workbench.dashboards.status`
  of the project as JSON. ``project`` is a SQLite file relative to the server's
  ``root_dir``; ``task`` defaults to the first task.
- ``GET projects``: the workbench projects (``*.db`` files holding a workbench
  schema) in ``root_dir`` and in its immediate subfolders (depth 2, hidden
  folders skipped), each with its task names.

Errors answer JSON ``{"message": ...}``: 400 for a missing ``project`` argument,
a file that is not a workbench project or an unknown task (naming the tasks);
403 for an absolute path or one that leaves ``root_dir``; 404 for a missing file.

Enabled by ``jupyter-config/jupyter_server_config.d/workbench.json``, which a
wheel installs to ``etc/jupyter/jupyter_server_config.d``.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

__all__: list[str] = []

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

API_PREFIX = "workbench/api"
LIST_DEPTH = 2  # root_dir and its immediate subfolders


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbench.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    projects = OpenProjects()
    # Module extensions get no stop hook from jupyter_server; the server exits
    # its process on stop, so close the SQLite connections at interpreter exit.
    atexit.register(projects.close_all)
    settings = {"root_dir": Path(serverapp.root_dir).resolve(), "projects": projects}
    base = url_path_join(serverapp.base_url, API_PREFIX)
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "status"), StatusHandler, settings),
            (url_path_join(base, "projects"), ProjectsHandler, settings),
        ],
    )
    serverapp.log.info("workbench: REST API at %s", base)


# -- projects ---------------------------------------------------------------------------


def _latest_schema(path: Path) -> dict[str, Any] | None:
    """The newest stored schema of a workbench SQLite file, or None for any other file.

    Opened read-only through SQLite's URI so that a stray ``.db`` file is never
    turned into a workbench project by looking at it.
    """
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT body FROM schemas ORDER BY version DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        conn.close()


def _task_names(schema: dict[str, Any]) -> list[str]:
    return [t.get("name") for t in schema.get("tasks", []) if isinstance(t, dict)]


class OpenProjects:
    """Projects opened by the API, one per resolved path, kept open between requests.

    Every call runs on one worker thread, so a slow status never blocks the
    server's event loop and requests to the stores are serialized.
    """

    def __init__(self) -> None:
        self._projects: dict[Path, Any] = {}
        self._lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-api")

    def status(self, path: Path, task: str | None) -> dict[str, Any]:
        from workbench import dashboards

        return dashboards.status(self._open(path), task)

    def _open(self, path: Path) -> Any:
        import workbench as wb

        with self._lock:
            project = self._projects.get(path)
            if project is None:
                project = wb.Project(path)
                self._projects[path] = project
            return project

    def forget(self, path: Path) -> None:
        """Close the project at ``path`` if open (its file went away or changed kind)."""
        # On the worker thread, so that a status under way finishes first.
        self.executor.submit(self._close, path)

    def _close(self, path: Path) -> None:
        with self._lock:
            project = self._projects.pop(path, None)
        if project is not None:
            project.close()

    def close_all(self) -> None:
        with self._lock:
            projects, self._projects = list(self._projects.values()), {}
        for project in projects:
            try:
                project.close()
            except Exception:  # closing at exit: nothing left to tell
                log.debug("workbench: closing a project failed", exc_info=True)


# -- handlers ---------------------------------------------------------------------------


class ApiError(Exception):
    """Answered as ``{"message": ...}`` with ``status``.

    Not ``web.HTTPError``: APIHandler would answer its ``log_message``, a
    %-format string, unformatted.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _Handler(APIHandler):
    def initialize(self, root_dir: Path, projects: OpenProjects) -> None:
        self.root_dir = root_dir
        self.projects = projects

    def _send_error(self, error: ApiError) -> None:
        self.log.warning("workbench API %s: %s", error.status, error.message)
        self.set_status(error.status)
        self.finish(json.dumps({"message": error.message, "reason": self._reason}))


class StatusHandler(_Handler):
    @web.authenticated
    async def get(self) -> None:
        try:
            await self._get()
        except ApiError as error:
            self._send_error(error)

    async def _get(self) -> None:
        rel = self.get_query_argument("project", default="")
        task = self.get_query_argument("task", default=None) or None
        if not rel:
            raise ApiError(400, "missing query argument 'project' (a path relative to root_dir)")
        path = self._resolve(rel)
        schema = _latest_schema(path)
        if schema is None:
            self.projects.forget(path)
            raise ApiError(400, f"{rel} is not a workbench project")
        tasks = _task_names(schema)
        if task is not None and task not in tasks:
            raise ApiError(400, f"project {rel} has no task {task!r}; tasks: {tasks}")
        loop = asyncio.get_running_loop()
        body = await loop.run_in_executor(self.projects.executor, self.projects.status, path, task)
        self.finish(json.dumps({"project": rel, **body}, allow_nan=False))

    def _resolve(self, rel: str) -> Path:
        if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute():
            raise ApiError(403, f"project must be a path relative to root_dir, got {rel!r}")
        path = (self.root_dir / rel).resolve()
        if not path.is_relative_to(self.root_dir):
            raise ApiError(403, f"project {rel!r} is outside root_dir")
        if not path.is_file():
            self.projects.forget(path)
            raise ApiError(404, f"no project file {rel!r} under root_dir")
        return path


class ProjectsHandler(_Handler):
    @web.authenticated
    def get(self) -> None:
        found = []
        folders = [self.root_dir]
        for _ in range(LIST_DEPTH):
            subfolders = []
            for folder in folders:
                try:
                    entries = sorted(folder.iterdir())
                except OSError:
                    continue
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir():
                        subfolders.append(entry)
                    elif entry.suffix == ".db" and entry.is_file():
                        schema = _latest_schema(entry)
                        if schema is not None:
                            rel = entry.relative_to(self.root_dir).as_posix()
                            found.append({"path": rel, "tasks": _task_names(schema)})
            folders = subfolders
        self.finish(json.dumps({"projects": found, "depth": LIST_DEPTH}))
