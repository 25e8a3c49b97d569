"""Jupyter server extension: a REST API of live project numbers for the JupyterLab panel.

Routes, under ``<base_url>/workbench/api/``, all behind Jupyter's own
authentication (a request without the server's token or session cookie is
refused with 403; a request other than GET must also carry Jupyter's XSRF
token, and these routes answer none):

- ``GET status?project=<path or name>&task=<name>``: :func:`workbench.dashboards.status`
  of the project as JSON, with ``project`` and ``kind`` (``"sqlite"`` or
  ``"postgresql"``). ``project`` is a SQLite file relative to the server's
  ``root_dir``, or the name of a registered PostgreSQL project; ``task``
  defaults to the first task.
- ``GET projects``: the ``*.db`` files in ``root_dir`` and in its immediate
  subfolders (depth 2; hidden files and folders skipped), each ``{"path",
  "kind": "sqlite", "tasks", "valid"}``: ``valid`` is false, ``tasks`` empty and
  ``error`` a short reason for a file that is not a valid workbench project (a
  file of another application, a malformed schema, a file locked by another
  process), so that one bad file never fails the listing; then the registered
  PostgreSQL projects, each ``{"name", "kind": "postgresql", "tasks"}`` (``tasks``
  empty and an ``error`` message while the database cannot be read). A URL or
  password is never sent.

SQLite files are only ever read: each is opened read-only
(``Project(path, read_only=True)``, SQLite's ``mode=ro``), so that the server
never creates a table, switches a journal mode or writes in a file it serves
(see :mod:`workbench.store.sqlite` for the ``-wal``/``-shm`` files SQLite itself
keeps next to a WAL-mode store). Symbolic links never lead out of ``root_dir``:
the listing skips every link, and ``status`` follows a link only when its target
is inside ``root_dir`` (403 otherwise), keying the open project by the target.

PostgreSQL projects (team mode) are registered on the server, never named by a
request: a browser can only pick one of the registered names. Register them in
the server's config, ``c.WorkbenchServer.projects = {"cats-team":
"postgresql://lead@db/cats"}``, or in the environment variable
``WORKBENCH_PROJECTS``, a JSON object of the same form (its entries win over the
config's of the same name). Names are 1-64 letters, digits, ``_``, ``.`` or
``-`` and do not end in ``.db``, so they never collide with SQLite paths. A URL
that sets no ``connect_timeout`` gets ``connect_timeout=10``, so that an
unreachable database answers 503 in seconds.

Errors answer JSON ``{"message": ...}``, which names the project by its path
under ``root_dir`` or its registered name: 400 for a missing ``project``
argument, a file or database that is not a workbench project, an invalid
project (a malformed schema, an unknown task kind, bad classes) or an unknown
task (naming the tasks); 403 for an absolute path or one that leaves
``root_dir``; 404 for a missing file or an unknown project name; 503 for a file
locked by another process (within a few seconds: SQLite's busy timeout of a
read-only store), work that took longer than :data:`WORK_TIMEOUT_S`, or a
registered database that cannot be reached or fails (the message never
carries the URL's password).

All file-system and database work runs on worker threads, never on the
server's event loop, so that Jupyter's own routes stay responsive whatever a
file or database does: a small pool for the SQLite files (one request at a
time per file), and one thread per registered PostgreSQL project (so a slow or
unreachable database holds up only its own requests). Each project is opened
once and kept open between requests; a SQLite project is opened afresh when
its file is replaced or its schema changes; a PostgreSQL connection that the
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
import stat
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
#: Seconds a request waits for its SQLite file-system and database work before it
#: answers 503 (a file locked by another process answers sooner: SQLite's busy
#: timeout of a read-only store, ``workbench.store.sqlite.READ_ONLY_TIMEOUT_S``).
WORK_TIMEOUT_S = 30.0
#: Worker threads for the SQLite projects.
SQLITE_WORKERS = 4
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbench.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    projects = FileProjects(Path(serverapp.root_dir).resolve())
    registered = RegisteredProjects(
        registered_projects(serverapp.config, os.environ, serverapp.log)
    )
    # Module extensions get no stop hook from jupyter_server; the server exits
    # its process on stop, so close the connections at interpreter exit.
    atexit.register(projects.close_all)
    atexit.register(registered.close_all)
    settings = {
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
        from workbench.store.postgres import NO_STORE

        try:
            # Read-only: the panel never writes, not even tables in an empty database.
            project = wb.Project(self._urls[name], read_only=True)
        except SchemaError:
            raise ApiError(
                400, f"project {name}: the database holds no workbench project yet"
            ) from None
        except StoreError as exc:
            if NO_STORE in str(exc):
                raise ApiError(
                    400, f"project {name}: the database holds no workbench project yet"
                ) from None
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
    reconnects: ``PostgresStore.connection_lost``)."""
    return bool(getattr(store, "connection_lost", False))


# -- SQLite projects under root_dir -----------------------------------------------------


class FileProjects:
    """The SQLite projects under ``root_dir``, read through read-only stores.

    All of their file-system and database work runs on a pool of worker threads,
    never on the server's event loop, each call within :data:`WORK_TIMEOUT_S`
    (a request past it answers 503). A project is opened once, read-only
    (``Project(path, read_only=True)``), and kept open between requests; it is
    opened afresh when its file was replaced or its schema got a new version.
    One request at a time reads a given file (a lock per file), so a locked
    file holds up only its own requests.
    """

    def __init__(self, root_dir: Path) -> None:
        self.root_dir = root_dir
        self._projects: dict[Path, tuple[tuple[int, int], Any]] = {}
        self._file_locks: dict[Path, threading.Lock] = {}
        self._lock = threading.Lock()
        self.executor = ThreadPoolExecutor(
            max_workers=SQLITE_WORKERS, thread_name_prefix="workbench-api"
        )

    async def _run(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self.executor, fn, *args), WORK_TIMEOUT_S
            )
        except asyncio.TimeoutError:
            raise ApiError(
                503, f"{what}: no answer within {WORK_TIMEOUT_S:g} s; try again"
            ) from None

    async def status(self, rel: str, task: str | None) -> dict[str, Any]:
        """:func:`workbench.dashboards.status` of the project file ``rel``."""
        return await self._run(rel, self._status, rel, task)

    async def listing(self) -> list[dict[str, Any]]:
        """``{"path", "kind": "sqlite", "tasks", "valid"}`` of every ``*.db`` file found
        (see :meth:`_scan`), with an ``error`` for a file that is not a valid project."""
        found = await self._run("the project listing", self._scan)

        async def entry(rel: str, path: Path) -> dict[str, Any]:
            try:
                return await self._run(rel, self._describe, rel, path)
            except ApiError as error:  # no answer in time
                return _invalid(rel, error.reason)

        return list(await asyncio.gather(*(entry(rel, path) for rel, path in found)))

    # The methods below run on the worker threads.
    def _scan(self) -> list[tuple[str, Path]]:
        """``(rel, path)`` of the ``*.db`` regular files in ``root_dir`` and its
        subfolders down to :data:`LIST_DEPTH`, in name order, folder by folder.
        Hidden entries and symbolic links (to files or folders) are skipped."""
        found: list[tuple[str, Path]] = []
        folders = [self.root_dir]
        for _ in range(LIST_DEPTH):
            subfolders = []
            for folder in folders:
                try:
                    with os.scandir(folder) as it:
                        entries = sorted(it, key=lambda e: e.name)
                except OSError:
                    continue
                for entry in entries:
                    try:
                        if entry.name.startswith(".") or entry.is_symlink():
                            continue
                        if entry.is_dir(follow_symlinks=False):
                            subfolders.append(Path(entry.path))
                        elif entry.name.endswith(".db") and entry.is_file(follow_symlinks=False):
                            path = Path(entry.path)
                            found.append((path.relative_to(self.root_dir).as_posix(), path))
                    except OSError:  # gone or unreadable since the folder was read
                        continue
            folders = subfolders
        return found

    def _describe(self, rel: str, path: Path) -> dict[str, Any]:
        import workbench as wb

        try:
            project = wb.Project(path, read_only=True)
        except Exception as exc:
            return _invalid(rel, _file_error(rel, path, exc).reason)
        try:
            tasks = [t.name for t in project.schema.tasks]
        finally:
            project.close()
        return {"path": rel, "kind": "sqlite", "tasks": tasks, "valid": True}

    def _status(self, rel: str, task: str | None) -> dict[str, Any]:
        from workbench import dashboards

        path = self._resolve(rel)
        with self._file_lock(path):
            project = self._open(rel, path)
            tasks = [t.name for t in project.schema.tasks]
            if task is not None and task not in tasks:
                raise ApiError(400, f"project {rel} has no task {task!r}; tasks: {tasks}")
            try:
                return dashboards.status(project, task)
            except Exception as exc:
                self._close(path)
                raise _file_error(rel, path, exc) from None

    def _resolve(self, rel: str) -> Path:
        """The file ``rel`` names, symbolic links resolved: 403 if it is absolute or
        leaves ``root_dir`` (through ``..`` or a link), 404 if it is no regular file."""
        if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute():
            raise ApiError(403, f"project must be a path relative to root_dir, got {rel!r}")
        if "\x00" in rel:
            raise ApiError(400, f"project path {rel!r} holds a NUL character")
        try:
            path = (self.root_dir / rel).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            raise ApiError(404, f"no project file {rel!r} under root_dir") from None
        if not path.is_relative_to(self.root_dir):
            raise ApiError(403, f"project {rel!r} is outside root_dir")
        try:
            regular = stat.S_ISREG(path.stat().st_mode)
        except OSError:
            regular = False
        if not regular:
            self._close(path)
            raise ApiError(404, f"no project file {rel!r} under root_dir")
        return path

    def _file_lock(self, path: Path) -> threading.Lock:
        with self._lock:
            return self._file_locks.setdefault(path, threading.Lock())

    def _open(self, rel: str, path: Path) -> Any:
        """The open project at ``path``, opened (again) if its file or schema changed."""
        import workbench as wb

        try:
            st = path.stat()
            identity = (st.st_dev, st.st_ino)
        except OSError:
            identity = (-1, -1)
        with self._lock:
            cached = self._projects.get(path)
        if cached is not None:
            if cached[0] == identity and _same_schema(cached[1]):
                return cached[1]
            self._close(path)
        try:
            project = wb.Project(path, read_only=True)
        except Exception as exc:
            raise _file_error(rel, path, exc) from None
        with self._lock:
            self._projects[path] = (identity, project)
        return project

    def _close(self, path: Path) -> None:
        with self._lock:
            cached = self._projects.pop(path, None)
        if cached is not None:
            _close_quietly(cached[1])

    def close_all(self) -> None:
        with self._lock:
            projects, self._projects = list(self._projects.values()), {}
        for _, project in projects:
            _close_quietly(project)


def _same_schema(project: Any) -> bool:
    """Whether the store still holds ``project``'s schema version as its latest."""
    try:
        latest = project.store.latest_schema()
    except Exception:  # unreadable now: open it afresh, which says why
        return False
    return latest is not None and latest[0] == project.schema.version


def _close_quietly(project: Any) -> None:
    try:
        project.close()
    except Exception:  # closing a store that is already unusable: nothing to tell
        log.debug("workbench: closing a project failed", exc_info=True)


def _invalid(rel: str, reason: str) -> dict[str, Any]:
    return {"path": rel, "kind": "sqlite", "tasks": [], "valid": False, "error": reason}


def _file_error(rel: str, path: Path, exc: BaseException) -> ApiError:
    """The answer to ``exc``, raised while opening or reading the project file ``rel``
    (at ``path``): 503 for a file locked by another process, 400 for a file that is
    not a (valid) workbench project, 500 for anything else. The message names the
    file by ``rel``, never by its absolute path."""
    from workbench.errors import StoreError, WorkbenchError
    from workbench.store.sqlite import READ_ONLY_TIMEOUT_S, is_busy

    detail = str(exc).replace(str(path), rel)
    for prefix in (f"{rel} is not a workbench store: ", f"{rel}: ", rel):
        if detail.startswith(prefix):
            detail = detail[len(prefix) :].strip()
            break
    detail = _shorten(detail or type(exc).__name__)
    if is_busy(exc):
        reason = f"locked by another process (no read within {READ_ONLY_TIMEOUT_S:g} s); try again"
        return ApiError(503, f"{rel} is {reason}", reason=reason)
    if isinstance(exc, StoreError | sqlite3.DatabaseError):
        reason = f"not a workbench project: {detail}"
    elif isinstance(exc, WorkbenchError | ValueError | TypeError | KeyError | AttributeError):
        reason = f"not a valid workbench project: {detail}"
    else:
        log.error("workbench: reading %s failed", rel, exc_info=exc)
        return ApiError(500, f"{rel}: reading the project failed: {detail}", reason=detail)
    return ApiError(400, f"{rel} is {reason}", reason=reason)


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- handlers ---------------------------------------------------------------------------


class ApiError(Exception):
    """Answered as ``{"message": ...}`` with ``status``; ``reason`` is the message
    without the project's name (a listing's ``error``).

    Not ``web.HTTPError``: APIHandler would answer its ``log_message``, a
    %-format string, unformatted.
    """

    def __init__(self, status: int, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.reason = message if reason is None else reason


class _Handler(APIHandler):
    def initialize(self, projects: FileProjects, registered: RegisteredProjects) -> None:
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
        try:
            body = await self.projects.status(rel, task)
        except ApiError as error:
            if error.status == 404 and _NAME.fullmatch(rel) and not rel.endswith(".db"):
                names = self.registered.names()  # meant as a name, maybe
                raise ApiError(
                    404,
                    f"no registered project {rel!r} (registered: "
                    f"{', '.join(names) or 'none'}) and no project file {rel!r} under root_dir",
                ) from None
            raise
        self.finish(json.dumps({"project": rel, "kind": "sqlite", **body}, allow_nan=False))


class ProjectsHandler(_Handler):
    @web.authenticated
    async def get(self) -> None:
        try:
            files, registered = await asyncio.gather(
                self.projects.listing(), self.registered.listing()
            )
        except ApiError as error:
            self._send_error(error)
            return
        self.finish(json.dumps({"projects": files + registered, "depth": LIST_DEPTH}))
