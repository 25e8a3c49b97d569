"""Hatchling build hook: bundle the widget front ends before the wheel is built.

``widgets/classify.ts`` → ``workbench/static/classify.js`` (+ ``.css``) and
``widgets/gallery.ts`` → ``workbench/static/gallery.js`` (+ ``.css``), ES
modules built with esbuild by ``widgets/build.mjs`` (the same script as ``npm
run build``). Runs for ``pip install .``, ``pip install -e .`` and ``python -m
build``; runs ``npm ci`` first when ``node_modules`` is missing.

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


class FrontEndBuildError(RuntimeError):
    pass


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        static = root / "workbench" / "static"
        missing = [name for name in BUNDLES if not (static / name).is_file()]
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
                    "workbench/static (they may be out of date with widgets/)"
                )
                self._include(build_data, static)
                return
            raise FrontEndBuildError(
                "workbench: building the widget front ends needs Node.js (>= 18) and npm, "
                f"which were not found on PATH, and the bundles ({', '.join(missing)}) are "
                "not in workbench/static. Install Node.js (https://nodejs.org, or "
                "`conda install nodejs`), then run `npm ci && npm run build` or reinstall."
            )

        if not (root / "node_modules" / "esbuild").is_dir():
            self.app.display_info("workbench: installing front-end build tools (npm ci)")
            lock = root / "package-lock.json"
            self._run([npm, "ci" if lock.is_file() else "install", "--no-audit", "--no-fund"], root)
        self.app.display_info("workbench: bundling widgets/ into workbench/static (esbuild)")
        self._run([node, str(sources)], root)
        still = [name for name in BUNDLES if not (static / name).is_file()]
        if still:
            raise FrontEndBuildError(f"workbench: esbuild ran but did not write {still}")
        self._include(build_data, static)

    def _run(self, cmd: list[str], cwd: Path) -> None:
        try:
            subprocess.run(cmd, cwd=cwd, check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise FrontEndBuildError(
                f"workbench: front-end build step failed: {' '.join(cmd)}: {exc}"
            ) from exc

    def _include(self, build_data: dict[str, Any], static: Path) -> None:
        # The bundles are git-ignored build outputs: list them so the wheel has them.
        artifacts = build_data.setdefault("artifacts", [])
        for name in BUNDLES:
            rel = f"workbench/static/{name}"
            if (static / name).is_file() and rel not in artifacts:
                artifacts.append(rel)
