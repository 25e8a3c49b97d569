"""The sdist and the wheel: what they hold, and that the sdist installs without Node.js.

Builds both from this checkout with hatchling (the build backend; its hook,
``hatch_build.py``, builds the front ends only when their sources changed since
the last build), then builds a wheel from the unpacked sdist with no ``node`` or
``npm`` on PATH, as ``pip install label-workbench`` does on a machine without
Node.js.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

# A notebook, a server or a build: left out of `make test-quick`.
pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
WIDGETS = ("classify", "gallery", "review", "annotate", "annotate_text")
BUNDLES = [f"workbench/static/{w}.{ext}" for w in WIDGETS for ext in ("js", "css")]
NO_NODE = "Node.js/npm not found"


def _hatchling(args: list[str], cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "hatchling", "build", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> tuple[Path, Path]:
    try:
        import hatchling  # noqa: F401
    except ImportError:
        pytest.fail("hatchling (the build backend) is needed: pip install hatchling")
    out = tmp_path_factory.mktemp("dist")
    done = _hatchling(["-t", "sdist", "-t", "wheel", "-d", str(out)], REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    (sdist,) = out.glob("label_workbench-*.tar.gz")
    (wheel,) = out.glob("label_workbench-*.whl")
    return sdist, wheel


@pytest.fixture
def unpacked_sdist(dists, tmp_path) -> Path:
    with tarfile.open(dists[0]) as tar:
        tar.extractall(tmp_path, filter="data")
    (root,) = tmp_path.glob("label_workbench-*")
    return root


def _without_node(tmp_path: Path) -> dict[str, str]:
    """The environment with a PATH that holds no node or npm."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    env = dict(os.environ, PATH=str(empty))
    env.pop("WORKBENCH_SKIP_JS", None)
    return env


def test_sdist_ships_the_built_front_end_and_the_license(dists) -> None:
    with tarfile.open(dists[0]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        info = json.load(
            tar.extractfile(
                next(n for n in tar.getnames() if n.endswith("workbench/static/build-info.json"))
            )
        )
    for name in [*BUNDLES, "LICENSE", "CHANGELOG.md", "README.md", "workbench/py.typed",
                 "workbench/labextension/package.json", "workbench/labextension/install.json",
                 "widgets/build.mjs", "extension/src/panel.ts", "hatch_build.py"]:  # fmt: skip
        assert name in names, name
    assert any(n.startswith("workbench/labextension/static/remoteEntry.") for n in names)
    assert set(info) == {"widgets", "panel"}
    assert not any("node_modules" in n for n in names)


def test_wheel_holds_types_license_bundles_and_the_panel(dists) -> None:
    with zipfile.ZipFile(dists[1]) as whl:
        names = set(whl.namelist())
        metadata = whl.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    data = "label_workbench-0.1.0.data/data/"
    for name in [*BUNDLES, "workbench/py.typed",
                 "label_workbench-0.1.0.dist-info/licenses/LICENSE",
                 data + "share/jupyter/labextensions/workbench-panel/package.json",
                 data + "share/jupyter/labextensions/workbench-panel/install.json",
                 data + "etc/jupyter/jupyter_server_config.d/workbench.json"]:  # fmt: skip
        assert name in names, name
    panel = data + "share/jupyter/labextensions/workbench-panel/static/remoteEntry."
    assert any(n.startswith(panel) for n in names)
    assert b"\nName: label-workbench\n" in metadata
    assert not any(n.startswith(("widgets/", "extension/", "tests/")) for n in names)


def test_wheel_builds_from_the_sdist_without_node(unpacked_sdist, tmp_path) -> None:
    done = _hatchling(["-t", "wheel", "-d", str(tmp_path / "out")], unpacked_sdist,
                      _without_node(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # The shipped files match their sources' hashes: nothing to build, nothing to warn.
    assert NO_NODE not in done.stdout + done.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    assert set(BUNDLES) <= names
    assert any("labextensions/workbench-panel/static/remoteEntry." in n for n in names)


def test_sdist_with_changed_sources_and_no_node_uses_the_shipped_files(
    unpacked_sdist, tmp_path
) -> None:
    ts = unpacked_sdist / "widgets" / "classify.ts"
    ts.write_text(ts.read_text() + "\n// changed\n")
    done = _hatchling(["-t", "wheel", "-d", str(tmp_path / "out")], unpacked_sdist,
                      _without_node(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert NO_NODE in done.stdout + done.stderr  # says the bundles may be out of date


def test_sdist_without_built_files_and_no_node_says_what_to_install(
    unpacked_sdist, tmp_path
) -> None:
    (unpacked_sdist / "workbench" / "static" / "classify.js").unlink()
    done = _hatchling(["-t", "wheel", "-d", str(tmp_path / "out")], unpacked_sdist,
                      _without_node(tmp_path))  # fmt: skip
    assert done.returncode != 0
    assert "needs Node.js" in done.stdout + done.stderr
    assert "workbench/static/classify.js" in done.stdout + done.stderr


# What the extras add: the base install must do without them.
EXTRAS_MODULES = (
    "torch",
    "sklearn",
    "cleanlab",
    "plotly",
    "skimage",
    "psycopg",
    "s3fs",
    "spacy",
    "datasets",
)
BLOCK_EXTRAS = f"""
import importlib.abc, sys
class _Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS_MODULES!r}:
            raise ImportError(f"{{name}} is not in the base install")
sys.meta_path.insert(0, _Blocked())
"""


def test_readme_base_install_example_runs_without_the_extras(tmp_path) -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## A first project (base install)", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    check = (
        "\nassert len(project.item_ids()) == 20, project.item_ids()"
        "\nassert sorted(labels['label']) == ['blurry', 'good'], labels"
        "\nimport pandas as pd"
        "\nassert len(pd.read_csv('labels.csv')) == 2"
    )
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_EXTRAS + code + check],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
