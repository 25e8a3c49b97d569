"""Hatchling build hook: build the front ends before the wheel is built.

``widgets/classify.ts`` → ``workbench/static/classify.js`` (+ ``.css``) and
``widgets/gallery.ts`` → ``workbench/static/gallery.js`` (+ ``.css``), ES
modules built with esbuild by ``widgets/build.mjs`` (the same script as ``npm
run build``). ``extension/`` (the JupyterLab side panel) → ``workbench/labextension``,
a prebuilt extension built by ``extension/build.mjs`` with ``@jupyterlab/builder``
(the same as ``npm run build --prefix extension``), which the wheel's
``shared-data`` installs to ``share/jupyter/labextensions/workbench-panel``.
Runs for ``pip install .``, ``pip install -e .`` and ``python -m build``; runs
``npm ci`` first where ``node_modules`` (or ``extension/node_modules``) is missing.

- Node.js missing and the bundles present (an sdist built elsewhere, or a
  checkout already built): the bundles are used as they are.
- Node.js missing and the bundles absent: the build fails and says what to
  install.
- ``WORKBENCH_SKIP_JS=1`` skips the front-end build (bundles must exist).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLES = (
    "classify.js", "classify.css", "gallery.js", "gallery.css", "review.js", "review.css",
)  # fmt: skip
LABEXTENSION = "workbench/labextension"  # built by extension/build.mjs; see shared-data


class FrontEndBuildError(RuntimeError):
    pass


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        static = root / "workbench" / "static"
        missing = [name for name in BUNDLES if not (static / name).is_file()]
        if not _labextension_built(root):
            missing.append(LABEXTENSION)
        sources = root / "widgets" / "build.mjs"

        if os.environ.get("WORKBENCH_SKIP_JS") or not sources.is_file():
            # No sources (installing from an sdist that shipped bundles) or asked to skip.
            if missing:
                raise FrontEndBuildError(
                    f"workbench: front-end bundles missing ({', '.join(missing)}) and "
                    + (
                        "WORKBENCH_SKIP_JS is set"
                        if os.environ.get("WORKBENCH_SKIP_JS")
                        else "widgets/build.mjs is not there to build them"
                    )
                )
            self._include(build_data, static)
            return

        node, npm = shutil.which("node"), shutil.which("npm")
        if node is None or npm is None:
            if not missing:
                self.app.display_warning(
                    "workbench: Node.js/npm not found; using the bundles already in "
                    "workbench/static and workbench/labextension (they may be out of date "
                    "with widgets/ and extension/)"
                )
                self._include(build_data, static)
                return
            raise FrontEndBuildError(
                "workbench: building the widget front ends needs Node.js (>= 18) and npm, "
                f"which were not found on PATH, and the bundles ({', '.join(missing)}) are "
                "not built. Install Node.js (https://nodejs.org, or `conda install nodejs`), then "
                "run `npm ci && npm run build && npm ci --prefix extension && npm run build "
                "--prefix extension`, or reinstall."
            )

        if not (root / "node_modules" / "esbuild").is_dir():
            self.app.display_info("workbench: installing front-end build tools (npm ci)")
            self._npm_install(npm, root)
        self.app.display_info("workbench: bundling widgets/ into workbench/static (esbuild)")
        self._run([node, str(sources)], root)
        still = [name for name in BUNDLES if not (static / name).is_file()]
        if still:
            raise FrontEndBuildError(f"workbench: esbuild ran but did not write {still}")

        extension = root / "extension"
        if (extension / "build.mjs").is_file():
            if not (extension / "node_modules" / "@jupyterlab" / "builder").is_dir():
                self.app.display_info("workbench: installing the side panel's build tools (npm ci)")
                self._npm_install(npm, extension)
            self.app.display_info("workbench: building the JupyterLab side panel (extension/)")
            self._run([node, str(extension / "build.mjs")], extension)
        if not _labextension_built(root):
            raise FrontEndBuildError(f"workbench: extension/build.mjs did not write {LABEXTENSION}")
        self._include(build_data, static)

    def _npm_install(self, npm: str, cwd: Path) -> None:
        ci = (cwd / "package-lock.json").is_file()
        self._run([npm, "ci" if ci else "install", "--no-audit", "--no-fund"], cwd)

    def _run(self, cmd: list[str], cwd: Path) -> None:
        try:
            subprocess.run(cmd, cwd=cwd, check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise FrontEndBuildError(
                f"workbench: front-end build step failed: {' '.join(cmd)}: {exc}"
            ) from exc

    def _include(self, build_data: dict[str, Any], static: Path) -> None:
        # workbench/labextension reaches the wheel through shared-data (pyproject.toml).
        # The bundles are git-ignored build outputs: list them so the wheel has them.
        artifacts = build_data.setdefault("artifacts", [])
        for name in BUNDLES:
            rel = f"workbench/static/{name}"
            if (static / name).is_file() and rel not in artifacts:
                artifacts.append(rel)


def _labextension_built(root: Path) -> bool:
    out = root / LABEXTENSION
    return (out / "package.json").is_file() and any((out / "static").glob("remoteEntry.*.js"))
