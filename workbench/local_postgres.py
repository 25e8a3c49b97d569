"""A throwaway PostgreSQL server: team mode on one machine, for trying it, tests and benchmarks.

``PostgresCluster.start()`` runs ``initdb`` in a fresh temporary directory and
starts a server that listens only on a Unix socket inside that directory (no
TCP at all), so clusters of parallel runs never collide on a port. Running as
root, PostgreSQL refuses to start, so the binaries run as the ``postgres`` OS
user and the directory is handed to it. ``stop()`` stops the server and
deletes the directory.

It needs the PostgreSQL server binaries installed (Debian: ``apt-get install
postgresql``), nothing running. A real team points every notebook at one shared
server instead::

    from workbench.local_postgres import PostgresCluster
    server = PostgresCluster.start()
    url = server.new_team_database()   # postgresql://lead@/wb_...?host=/tmp/...
    project = wb.Project(url, schema=schema)
    project.team.setup()
    ...
    server.stop()                      # also done at interpreter exit

The lead of a team project is an ordinary role that owns the project's
database and may create roles (``new_team_database``), never the cluster's
superuser: team mode's definer functions run with their owner's privileges.

Binaries are found through ``$WORKBENCH_PG_BINDIR``, then ``pg_config
--bindir``, then ``/usr/lib/postgresql/*/bin`` (newest first), then ``PATH``.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

__all__ = ["PostgresCluster", "find_bindir", "missing_reason"]

PORT = 5432  # only names the socket file: the directory is private to this cluster
NEEDED = ("initdb", "pg_ctl", "postgres")


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    candidates: list[str] = []
    if os.environ.get("WORKBENCH_PG_BINDIR"):
        candidates.append(os.environ["WORKBENCH_PG_BINDIR"])
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for c in candidates:
        if c and all((Path(c) / name).is_file() for name in NEEDED):
            return Path(c)
    return None


def _version_key(path: str) -> tuple[int, ...]:
    digits = Path(path).parent.name.split(".")
    return tuple(int(d) for d in digits if d.isdigit())


def missing_reason() -> str | None:
    """Why a cluster cannot be started here, or ``None`` when it can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'label-workbench[team]')"
    if find_bindir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: "
            "install postgresql or set WORKBENCH_PG_BINDIR"
        )
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root, and runuser is missing to run PostgreSQL as `postgres`"
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no `postgres` OS user to run PostgreSQL as"
    return None


class PostgresCluster:
    """One server in a temporary directory. Use :meth:`start`, then :meth:`stop`."""

    def __init__(self, bindir: Path, root: Path, settings: dict[str, str]) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.settings = settings
        self.user = "postgres"
        self._running = False
        self._version: int | None = None

    # -- life cycle -------------------------------------------------------------
    @classmethod
    def start(cls, *, durable: bool = True, settings: dict[str, str] | None = None):
        """Create and start a cluster.

        ``durable=False`` turns ``fsync`` and ``full_page_writes`` off: fine for
        tests, whose data is thrown away; benchmarks keep the defaults so commit
        timings include the WAL flush.
        """
        reason = missing_reason()
        if reason:
            raise RuntimeError(reason)
        opts = {"listen_addresses": "''", "max_connections": "100"}
        if not durable:
            opts |= {"fsync": "off", "full_page_writes": "off"}
        opts |= settings or {}
        root = Path(tempfile.mkdtemp(prefix="wb-pg-"))  # short: socket paths are <108 chars
        cluster = cls(find_bindir(), root, opts)  # type: ignore[arg-type]
        try:
            cluster._initdb_and_start()
        except BaseException:
            cluster.stop()
            raise
        atexit.register(cluster.stop)
        return cluster

    def _as_postgres(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, capture_output=True, text=True, **kw)

    def _initdb_and_start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o700)
        out = self._as_postgres(
            [
                str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
                "--no-instructions",
            ],
            timeout=120,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{out.stdout}\n{out.stderr}")
        opts = " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        out = self._as_postgres(
            [
                str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                "-l", str(self.root / "log"), "-o", f"-k {self.root} -p {PORT} {opts}", "start",
            ],
            timeout=90,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed:\n{out.stdout}\n{out.stderr}\n{self.log()}")
        self._running = True

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and delete its directory."""
        if self._running:
            self._as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                 "stop"],
                timeout=60,
            )  # fmt: skip
            self._running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.root / "log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # -- databases --------------------------------------------------------------
    def url(self, dbname: str = "postgres", *, user: str | None = None) -> str:
        """A libpq URL for ``dbname`` over this cluster's Unix socket."""
        return (
            f"postgresql://{quote(user or self.user)}@/{quote(dbname)}"
            f"?host={quote(str(self.root), safe='')}&port={PORT}"
        )

    def admin(self, sql: str, params: tuple = (), *, dbname: str = "postgres") -> list[tuple]:
        """Run one statement as the superuser, outside any transaction."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def new_team_database(self, lead: str = "lead", prefix: str = "wb") -> str:
        """Create an empty database owned by ``lead`` and return its URL as ``lead``.

        ``lead`` is made (if it does not exist) an ordinary login role that may
        create roles, the people of the team (``Team.add_user``), and is not a
        superuser: what the project's lead needs and no more.
        """
        import psycopg

        if not lead.isidentifier() or lead != lead.lower():
            raise ValueError(f"lead must be a lower-case identifier, got {lead!r}")
        try:
            self.admin(f'CREATE ROLE "{lead}" LOGIN CREATEROLE NOSUPERUSER NOCREATEDB')
        except psycopg.errors.DuplicateObject:  # made before, or by a parallel caller
            pass
        url = self.new_database(prefix)
        name = url.split("/")[3].split("?")[0]
        self.admin(f'ALTER DATABASE "{name}" OWNER TO "{lead}"')
        return self.url(name, user=lead)

    def new_database(self, prefix: str = "wb") -> str:
        """Create an empty database and return its URL (as the cluster's superuser)."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        if self._version is None:
            self._version = int(self.admin("SHOW server_version_num")[0][0])
        # FILE_COPY (PostgreSQL 15+) copies the small template's files instead of
        # WAL-logging every block: several times faster here.
        strategy = " STRATEGY FILE_COPY" if self._version >= 150000 else ""
        for attempt in range(5):
            try:
                self.admin(f'CREATE DATABASE "{name}" TEMPLATE template1{strategy}')
                break
            except Exception as exc:  # "source database is being accessed": retry briefly
                if "being accessed" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.1)
        return self.url(name)
