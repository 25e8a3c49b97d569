"""Hatchling build hook: build the front ends before the sdist and the wheel are built.

Two front ends, each built by its own script (the same as the npm scripts):

- the widgets: ``widgets/<name>.ts`` → ``workbench/static/<name>.js`` (+ ``.css``),
  ES modules built with esbuild by ``widgets/build.mjs`` (``npm run build``);
- the JupyterLab side panel: ``extension/`` → ``workbench/labextension``, a
  prebuilt extension built by ``extension/build.mjs`` with ``@jupyterlab/builder``
  (``npm run build --prefix extension``), which the wheel's ``shared-data``
  installs to ``share/jupyter/labextensions/workbench-panel``.

Runs for ``pip install .``, ``pip install -e .``, ``python -m build`` and
``hatchling build``; runs ``npm ci`` first where ``node_modules`` (or
``extension/node_modules``) is missing. The sdist ships the built files (as
Jupyter extensions do), so installing it needs no Node.js.

``workbench/static/build-info.json`` records, per front end, a hash of its
sources and one of its built files. A front end is rebuilt only when either
changed (or its built files are missing):

- sources unchanged and built files present (an sdist, or a checkout built
  before): the built files are used as they are, and Node.js is not needed;
- sources changed, Node.js missing and built files present: they are used with
  a warning that they may be out of date;
- built files missing and Node.js missing: the build fails and says what to
  install;
- ``WORKBENCH_SKIP_JS=1`` never builds (the built files must exist).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

WIDGETS = ("classify", "gallery", "review", "annotate", "annotate_text")  # widgets/build.mjs's list
BUNDLES = tuple(f"{w}.{ext}" for w in WIDGETS for ext in ("js", "css"))
LABEXTENSION = "workbench/labextension"  # built by extension/build.mjs; see shared-data
BUILD_INFO = "workbench/static/build-info.json"


class FrontEndBuildError(RuntimeError):
    pass


class FrontEnd(NamedTuple):
    """One front end: where its sources are, how to build it, what it writes."""

    name: str
    folder: str  # where npm ci runs ("" = the root)
    script: str  # the build script, run with node in `folder`
    sources: tuple[str, ...]  # files and folders (relative to the root) it is built from
    tool: str  # a package in `folder`/node_modules that npm ci installs

    def outputs(self, root: Path) -> list[Path]:
        if self.name == "widgets":
            return [root / "workbench" / "static" / name for name in BUNDLES]
        out = root / LABEXTENSION
        return sorted(p for p in out.rglob("*") if p.is_file()) if out.is_dir() else []

    def missing(self, root: Path) -> list[str]:
        if self.name == "widgets":
            return [f"workbench/static/{p.name}" for p in self.outputs(root) if not p.is_file()]
        out = root / LABEXTENSION
        built = (out / "package.json").is_file() and any((out / "static").glob("remoteEntry.*.js"))
        return [] if built else [LABEXTENSION]


FRONT_ENDS = (
    FrontEnd(
        "widgets", "", "widgets/build.mjs",
        ("widgets", "package.json", "package-lock.json", "tsconfig.json"), "esbuild",
    ),
    FrontEnd(
        "panel", "extension", "extension/build.mjs",
        ("extension/src", "extension/style", "extension/build.mjs", "extension/install.json",
         "extension/package.json", "extension/package-lock.json", "extension/tsconfig.json"),
        "@jupyterlab/builder",
    ),
)  # fmt: skip


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        info_path = root / BUILD_INFO
        info = _read_info(info_path)
        skip = bool(os.environ.get("WORKBENCH_SKIP_JS"))
        changed = False
        for front in FRONT_ENDS:
            state = {"sources": _digest(root, _files(root, front.sources))}
            missing = front.missing(root)
            if not missing:
                state["outputs"] = _digest(root, front.outputs(root))
                if info.get(front.name) == state:
                    continue  # built from these very sources: nothing to do
            if skip or not (root / front.script).is_file():
                if missing:
                    why = (
                        "WORKBENCH_SKIP_JS is set" if skip
                        else f"{front.script} is not there to build them"
                    )  # fmt: skip
                    raise FrontEndBuildError(
                        f"workbench: front-end files missing ({', '.join(missing)}) and {why}"
                    )
                continue
            if not self._build(root, front, missing):
                continue
            still = front.missing(root)
            if still:
                raise FrontEndBuildError(f"workbench: {front.script} ran but did not write {still}")
            info[front.name] = {
                "sources": state["sources"],
                "outputs": _digest(root, front.outputs(root)),
            }
            changed = True
        if changed:
            info_path.parent.mkdir(parents=True, exist_ok=True)
            info_path.write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
        self._include(build_data, root)

    def _build(self, root: Path, front: FrontEnd, missing: list[str]) -> bool:
        """Build ``front``; False where Node.js is missing and the old files serve."""
        node, npm = shutil.which("node"), shutil.which("npm")
        if node is None or npm is None:
            if not missing:
                self.app.display_warning(
                    f"workbench: Node.js/npm not found; using the {front.name} front end "
                    f"already built (it may be out of date with {front.sources[0]}/)"
                )
                return False
            raise FrontEndBuildError(
                "workbench: building the widget front ends needs Node.js (>= 18) and npm, "
                f"which were not found on PATH, and the built files ({', '.join(missing)}) "
                "are not there. Install Node.js (https://nodejs.org, or `conda install "
                "nodejs`), then run `npm ci && npm run build && npm ci --prefix extension "
                "&& npm run build --prefix extension`, or reinstall."
            )
        cwd = root / front.folder
        if not (cwd / "node_modules" / front.tool).is_dir():
            self.app.display_info(f"workbench: installing the {front.name} build tools (npm ci)")
            lock = (cwd / "package-lock.json").is_file()
            self._run([npm, "ci" if lock else "install", "--no-audit", "--no-fund"], cwd)
        self.app.display_info(f"workbench: building the {front.name} front end ({front.script})")
        self._run([node, str(root / front.script)], cwd)
        return True

    def _run(self, cmd: list[str], cwd: Path) -> None:
        try:
            subprocess.run(cmd, cwd=cwd, check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise FrontEndBuildError(
                f"workbench: front-end build step failed: {' '.join(cmd)}: {exc}"
            ) from exc

    def _include(self, build_data: dict[str, Any], root: Path) -> None:
        # The built files are git-ignored, so hatchling leaves them out unless listed.
        # The wheel takes the bundles (workbench/labextension reaches it through
        # shared-data); the sdist takes everything built, with build-info.json, so
        # that a wheel built from it needs no Node.js.
        names = [f"workbench/static/{name}" for name in BUNDLES]
        if self.target_name == "sdist":
            names.append(BUILD_INFO)
            names.extend(p.relative_to(root).as_posix() for p in FRONT_ENDS[1].outputs(root))
        artifacts = build_data.setdefault("artifacts", [])
        for rel in names:
            if (root / rel).is_file() and rel not in artifacts:
                artifacts.append(rel)


def _files(root: Path, paths: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for rel in paths:
        path = root / rel
        if path.is_dir():
            found.extend(
                p for p in path.rglob("*") if p.is_file() and "node_modules" not in p.parts
            )
        elif path.is_file():
            found.append(path)
    return sorted(found)


def _digest(root: Path, files: Iterable[Path]) -> str:
    """SHA-256 over the files' paths (relative to ``root``) and contents."""
    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _read_info(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}
