"""A real ``jupyter server`` with workbench's server extension, for the REST API tests.

Shared by ``tests/unit/test_server_api.py`` and ``tests/security/test_server_api.py``.
The server runs in its own process with a random token on 127.0.0.1, its own
Jupyter config, data and runtime folders (the user's are never read), and the
extension enabled on the command line (``--ServerApp.jpserver_extensions``), so
the tests do not depend on the installed ``jupyter_server_config.d`` file.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.browser.harness import free_port, server_args

REPO_ROOT = Path(__file__).resolve().parents[1]


class Server:
    """``jupyter server`` rooted at ``root``, with its Jupyter folders under ``home``.

    ``env`` adds environment variables (``WORKBENCH_PROJECTS`` is cleared
    otherwise); ``config`` is written as the server's ``jupyter_server_config.json``.
    """

    def __init__(
        self, root: Path, home: Path, *, env: dict[str, str] | None = None,
        config: dict | None = None,
    ) -> None:  # fmt: skip
        self.root, self.home = root, home
        self.env, self.config = env or {}, config
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.log_path = home / "server.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
        env.pop("WORKBENCH_PROJECTS", None)
        env.update(self.env)
        if self.config is not None:
            (self.home / "config").mkdir(parents=True, exist_ok=True)
            (self.home / "config" / "jupyter_server_config.json").write_text(
                json.dumps(self.config)
            )
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            "server",
            *server_args(self.token, self.port, self.root),
            "--ServerApp.jpserver_extensions={'workbench.server': True}",
        ]
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
        if self._log is not None:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def get(self, path: str, *, token: str | None = None, **query: str) -> tuple[int, dict]:
        """The status code and the body as JSON (``{"raw": text}`` if it is not JSON)."""
        code, raw = self.get_raw(path, token=token, **query)
        try:
            return code, json.loads(raw or "null")
        except ValueError:
            return code, {"raw": raw}

    def get_raw(self, path: str, *, token: str | None = None, **query: str) -> tuple[int, str]:
        """The status code and the body as text (to search for what must not be there)."""
        return self.request("GET", path, token=token, query=query)

    def request(
        self, method: str, path: str, *, token: str | None = None,
        query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
        body: bytes | None = None, opener: urllib.request.OpenerDirector | None = None,
        timeout: float = 60.0,
    ) -> tuple[int, str]:  # fmt: skip
        """Any request: ``token`` goes in the ``Authorization`` header; ``opener`` (see
        :meth:`session`) sends and keeps cookies."""
        url = f"{self.url}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"token {token}"
        req = urllib.request.Request(url, data=body, headers=headers, method=method)
        open_ = opener.open if opener is not None else urllib.request.urlopen
        try:
            with open_(req, timeout=timeout) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def session(self) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
        """A browser-like session: logged in once through ``/login`` with the token,
        then authenticated by its cookies alone (as the JupyterLab page is)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{self.url}/login", timeout=30) as r:  # sets the _xsrf cookie
            r.read()
        xsrf = next(c.value for c in jar if c.name == "_xsrf")
        form = urllib.parse.urlencode({"password": self.token, "_xsrf": xsrf}).encode()
        with opener.open(f"{self.url}/login", data=form, timeout=30) as r:
            r.read()
        return opener, jar
