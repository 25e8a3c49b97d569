"""Jupyter server extension: a REST API of live project numbers for the JupyterLab panel.

Routes, under ``<base_url>/workbench/api/``, all behind Jupyter's own
authentication (a request without the server's token or session cookie is
refused with 403):

- ``GET status?project=<path or name>&task=<name>``: :func:`workbench.dashboards.status`
  of the project as JSON, with ``project`` and ``kind`` (``"sqlite"`` or
  ``"postgresql"``). ``project`` is a SQLite file relative to the server's
  ``root_dir``, or the name of a registered PostgreSQL project; ``task``
  defaults to the first task.
- ``GET projects``: the workbench projects: the ``*.db`` files holding a
  workbench schema in ``root_dir`` and in its immediate subfolders (depth 2,
  hidden folders skipped), each ``{"path", "kind": "sqlite", "tasks"}``; then
  the registered PostgreSQL projects, each ``{"name", "kind": "postgresql",
  "tasks"}`` (``tasks`` empty and an ``error`` message while the database
  cannot be read). A URL or password is never sent.

PostgreSQL projects (team mode) are registered on the server, never named by a
request: a browser can only pick one of the registered names. Register them in
the server's config, ``c.WorkbenchServer.projects = {"cats-team":
"postgresql://lead@db/cats"}``, or in the environment variable
``WORKBENCH_PROJECTS``, a JSON object of the same form (its entries win over the
config's of the same name). Names are 1-64 letters, digits, ``_``, ``.`` or
``-`` and do not end in ``.db``, so they never collide with SQLite paths. A URL
that sets no ``connect_timeout`` gets ``connect_timeout=10``, so that an
unreachable database answers 503 in seconds.

Errors answer JSON ``{"message": ...}``: 400 for a missing ``project`` argument,
a file or database that is not a workbench project or an unknown task (naming
the tasks); 403 for an absolute path or one that leaves ``root_dir``; 404 for a
missing file or an unknown project name; 503 when a registered database cannot
be reached or fails (the message never carries the URL's password).

Status is computed on worker threads, never on the server's event loop: one
thread for the SQLite projects, and one per registered PostgreSQL project (so a
slow or unreachable database holds up only its own requests). Each project is
opened once and kept open between requests; a PostgreSQL connection that the
server dropped is reopened by the store, and a status that failed on the
dropped connection is tried once more.

Enabled by ``jupyter-config/jupyter_server_config.d/workbench.json``, which a
wheel installs to ``etc/jupyter/jupyter_server_config.d``.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Dict, TraitError, Unicode, validate
from traitlets.config import Configurable

__all__ = ["WorkbenchServer"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

API_PREFIX = "workbench/api"
LIST_DEPTH = 2  # root_dir and its immediate subfolders
ENV_VAR = "WORKBENCH_PROJECTS"
#: Seconds to wait for a registered database's connection, unless its URL says.
CONNECT_TIMEOUT_S = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbench.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    projects = OpenProjects()
    registered = RegisteredProjects(
        registered_projects(serverapp.config, os.environ, serverapp.log)
    )
    # Module extensions get no stop hook from jupyter_server; the server exits
    # its process on stop, so close the connections at interpreter exit.
    atexit.register(projects.close_all)
    atexit.register(registered.close_all)
    settings = {
        "root_dir": Path(serverapp.root_dir).resolve(),
        "projects": projects,
        "registered": registered,
    }
    base = url_path_join(serverapp.base_url, API_PREFIX)
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "status"), StatusHandler, settings),
            (url_path_join(base, "projects"), ProjectsHandler, settings),
        ],
    )
    serverapp.log.info(
        "workbench: REST API at %s; registered PostgreSQL projects: %s",
        base,
        ", ".join(registered.names()) or "none",
    )


# -- registered PostgreSQL projects: configuration --------------------------------------


class WorkbenchServer(Configurable):
    """Settings of workbench's server extension, ``c.WorkbenchServer.<name>`` in the
    server's config (``jupyter_server_config.py`` or ``.json``)."""

    projects = Dict(
        key_trait=Unicode(),
        value_trait=Unicode(),
        help=(
            "PostgreSQL projects the panel may open, by name: "
            '{"cats-team": "postgresql://lead@db/cats"}. Requests name the project, '
            "never the URL, which stays on the server (open it with the lead's role to "
            "see the team's tiers and gold accuracy). Names are 1-64 letters, digits, "
            "'_', '.' or '-', not ending in '.db'. The environment variable "
            f"{ENV_VAR} (a JSON object of the same form) adds to these."
        ),
    ).tag(config=True)

    @validate("projects")
    def _check_projects(self, proposal: Any) -> dict[str, str]:
        for name, url in proposal["value"].items():
            problem = _entry_problem(name, url)
            if problem is not None:
                raise TraitError(f"WorkbenchServer.projects: {problem}")
        return proposal["value"]


def _entry_problem(name: object, url: object) -> str | None:
    """Why ``name → url`` cannot be registered, or ``None`` when it can."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.endswith(".db"):
        return (
            f"project name {name!r} must be 1-64 letters, digits, '_', '.' or '-', starting "
            "with a letter or digit and not ending in '.db' (the panel's SQLite paths do)"
        )
    if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
        shown = _scrub(url, url) if isinstance(url, str) else type(url).__name__
        return f"project {name!r}: expected a postgresql:// URL, got {shown!r}"
    return None


def registered_projects(
    config: Any, environ: Mapping[str, str], logger: logging.Logger | None = None
) -> dict[str, str]:
    """Name → URL of the PostgreSQL projects to serve.

    ``WorkbenchServer.projects`` of the server's ``config``, then the entries of
    ``environ["WORKBENCH_PROJECTS"]`` (a JSON object), which win on the same
    name. A broken source is logged as an error and left out (a bad config as a
    whole; the variable entry by entry), so that the other projects are still
    served. Messages never show a URL's password.
    """
    logger = logger or log
    found: dict[str, str] = {}
    try:
        found.update(WorkbenchServer(config=config).projects)
    except TraitError as exc:
        logger.error("workbench: ignoring the config's projects: %s", exc)
    raw = environ.get(ENV_VAR, "").strip()
    if not raw:
        return found
    try:
        entries = json.loads(raw)
    except ValueError as exc:
        # The message quotes no part of the text: it may hold a password.
        logger.error("workbench: ignoring %s, which is not JSON (%s)", ENV_VAR, exc.msg)
        return found
    if not isinstance(entries, dict):
        logger.error(
            "workbench: ignoring %s: expected a JSON object {name: URL}, got a %s",
            ENV_VAR,
            type(entries).__name__,
        )
        return found
    for name, url in entries.items():
        problem = _entry_problem(name, url)
        if problem is not None:
            logger.error("workbench: ignoring an entry of %s: %s", ENV_VAR, problem)
            continue
        if name in found:
            logger.info("workbench: %s sets project %r, over the config's", ENV_VAR, name)
        found[name] = url
    return found


def _with_connect_timeout(url: str) -> str:
    """``url`` with ``connect_timeout`` set (to :data:`CONNECT_TIMEOUT_S`) if it sets none."""
    parts = urlsplit(url)
    if any(k == "connect_timeout" for k, _ in parse_qsl(parts.query)):
        return url
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=f"{query}connect_timeout={CONNECT_TIMEOUT_S}"))


def _scrub(text: str, url: str) -> str:
    """``text`` with ``url``'s password (in any spelling) and any URL password hidden."""
    secrets: set[str] = set()
    try:
        parts = urlsplit(url)
        if parts.password:
            secrets |= {parts.password, unquote(parts.password)}
        secrets |= {v for k, v in parse_qsl(parts.query) if k.lower() == "password" and v}
    except ValueError:
        pass
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    from workbench.store.postgres import redact

    return redact(text)


# -- registered PostgreSQL projects: opened by name -------------------------------------


class RegisteredProjects:
    """The PostgreSQL projects registered with the server, opened by name.

    One :class:`~workbench.Project` per name, opened on first use and kept open.
    Each name has its own worker thread, which does all of that project's
    database work: the event loop never waits on a database, and a slow or
    unreachable one holds up only its own requests.
    """

    def __init__(self, urls: Mapping[str, str]) -> None:
        self._urls = {name: _with_connect_timeout(url) for name, url in urls.items()}
        self._projects: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._executors = {
            name: ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-pg")
            for name in self._urls
        }

    def __contains__(self, name: object) -> bool:
        return name in self._urls

    def names(self) -> list[str]:
        return sorted(self._urls)

    async def listing(self) -> list[dict[str, Any]]:
        """``{"name", "kind": "postgresql", "tasks"}`` of each project, by name; a
        project whose database cannot be read has no tasks and an ``error``."""
        names = self.names()
        return list(await asyncio.gather(*(self._run(n, self._entry, n) for n in names)))

    async def status(self, name: str, task: str | None) -> dict[str, Any]:
        """:func:`workbench.dashboards.status` of ``task`` (the first by default).

        Raises :class:`ApiError`: 400 for an unknown task or a database with no
        workbench project, 503 when the database cannot be reached or fails.
        """
        return await self._run(name, self._status, name, task)

    async def _run(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executors[name], fn, *args)

    # The methods below run on the project's worker thread.
    def _entry(self, name: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": name, "kind": "postgresql", "tasks": []}
        try:
            entry["tasks"] = self._use(name, lambda p: [t.name for t in p.schema.tasks])
        except ApiError as error:
            entry["error"] = error.message
        return entry

    def _status(self, name: str, task: str | None) -> dict[str, Any]:
        from workbench import dashboards

        def status(project: Any) -> dict[str, Any]:
            tasks = [t.name for t in project.schema.tasks]
            if task is not None and task not in tasks:
                raise ApiError(400, f"project {name} has no task {task!r}; tasks: {tasks}")
            return dashboards.status(project, task)

        return self._use(name, status)

    def _use(self, name: str, work: Callable[[Any], Any]) -> Any:
        """``work(project)``, tried once more if it failed on a connection the
        database dropped (a restart, an idle timeout): the store reconnects."""
        from workbench.errors import StoreError

        for attempt in (1, 2):
            project = self._open(name)
            try:
                return work(project)
            except StoreError as exc:
                if attempt == 1 and _connection_lost(project.store):
                    log.info("workbench: project %s lost its connection; trying again", name)
                    continue
                raise self._unavailable(name, exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _open(self, name: str) -> Any:
        """The open project ``name``, reopened when its schema changed since."""
        import workbench as wb
        from workbench.errors import SchemaError, StoreError

        with self._lock:
            project = self._projects.get(name)
        if project is not None:
            try:
                latest = project.store.latest_schema()
            except StoreError:
                latest = None  # unreadable now: the work's own error will tell
            if latest is None or latest[0] == project.schema.version:
                return project
            self._close(name)  # a new schema version (a new task): read it afresh
        try:
            project = wb.Project(self._urls[name])
        except SchemaError:
            raise ApiError(
                400, f"project {name}: the database holds no workbench project yet"
            ) from None
        except StoreError as exc:
            raise self._unavailable(name, exc) from None
        with self._lock:
            self._projects[name] = project
        return project

    def _unavailable(self, name: str, exc: Exception) -> ApiError:
        from workbench.store.postgres import redact

        # The store's messages start with its (redacted) URL: the browser gets neither.
        detail = str(exc).removeprefix(redact(self._urls[name]) + ": ")
        return ApiError(503, f"project {name}: {_scrub(detail, self._urls[name])}")

    def _close(self, name: str) -> None:
        with self._lock:
            project = self._projects.pop(name, None)
        if project is not None:
            try:
                project.close()
            except Exception:  # a connection already gone: nothing to close
                log.debug("workbench: closing project %s failed", name, exc_info=True)

    def close_all(self) -> None:
        for name in list(self._projects):
            self._close(name)


def _connection_lost(store: Any) -> bool:
    """Whether ``store``'s PostgreSQL connection was closed or broken (its next use
    reconnects, see ``PostgresStore._connection``)."""
    conn = getattr(store, "_conn", None)
    return conn is not None and bool(conn.closed or conn.broken)


# -- SQLite projects under root_dir -----------------------------------------------------


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
    def initialize(
        self, root_dir: Path, projects: OpenProjects, registered: RegisteredProjects
    ) -> None:
        self.root_dir = root_dir
        self.projects = projects
        self.registered = registered

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
            raise ApiError(
                400,
                "missing query argument 'project' (a path relative to root_dir, or the name "
                "of a registered PostgreSQL project)",
            )
        if rel in self.registered:
            body = await self.registered.status(rel, task)
            self.finish(json.dumps({"project": rel, "kind": "postgresql", **body}, allow_nan=False))
            return
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
        self.finish(json.dumps({"project": rel, "kind": "sqlite", **body}, allow_nan=False))

    def _resolve(self, rel: str) -> Path:
        if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute():
            raise ApiError(403, f"project must be a path relative to root_dir, got {rel!r}")
        path = (self.root_dir / rel).resolve()
        if not path.is_relative_to(self.root_dir):
            raise ApiError(403, f"project {rel!r} is outside root_dir")
        if not path.is_file():
            self.projects.forget(path)
            if _NAME.fullmatch(rel) and not rel.endswith(".db"):  # meant as a name
                names = self.registered.names()
                raise ApiError(
                    404,
                    f"no registered project {rel!r} (registered: "
                    f"{', '.join(names) or 'none'}) and no project file {rel!r} under root_dir",
                )
            raise ApiError(404, f"no project file {rel!r} under root_dir")
        return path


class ProjectsHandler(_Handler):
    @web.authenticated
    async def get(self) -> None:
        found = self._files() + await self.registered.listing()
        self.finish(json.dumps({"projects": found, "depth": LIST_DEPTH}))

    def _files(self) -> list[dict[str, Any]]:
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
                            found.append(
                                {"path": rel, "kind": "sqlite", "tasks": _task_names(schema)}
                            )
            folders = subfolders
        return found
