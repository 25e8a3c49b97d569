"""MkDocs hooks for the documentation site (``hooks:`` in ``mkdocs.yml``).

- The notebooks of ``notebooks/`` become pages in place: each is added to the site's
  files as ``notebooks/<name>.ipynb`` before mkdocs-jupyter looks at the files, so the
  nav lists them and mkdocs-jupyter converts them like any notebook of ``docs/``.
  Files the notebooks write when run (``*.db``, arrays) are never added.
- The docstrings cross-reference with Sphinx roles (``:meth:`Project.labels```), which
  mkdocstrings leaves as text. Each role in the API pages becomes a link to the object
  it names, looked up the way Sphinx would (the enclosing class, then its module, then
  ``workbench``), or plain code where the object has no page.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
log = logging.getLogger("mkdocs.hooks.workbench")


@event_priority(100)  # before mkdocs-jupyter wraps the notebook files
def on_files(files, config):
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        # A real file whose source folder is the repository root, not a generated one:
        # mkdocs-jupyter's wrapper finds the source path only through ``src_dir``.
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


def on_serve(server, config, builder):
    server.watch(str(NOTEBOOKS))
    return server


# ``:meth:`~workbench.Project.labels``` as mkdocstrings renders it; also ``title <target>``.
_ROLE = re.compile(
    r":(?:class|meth|func|attr|data|mod|exc|obj|const|py:\w+):"
    r"<code>(?P<tilde>~?)(?:(?P<title>[^<]*?) &lt;(?P<target>[\w.]+)&gt;|(?P<name>[\w.]+))"
    r"(?P<call>\(\))?</code>"
)
# The headings mkdocstrings writes for each object: id="workbench.team.Team.setup".
_HEADING = re.compile(r'<h\d id="(?P<id>workbench(?:\.\w+)*)"')


#: Names that ``workbench`` and ``workbench.train`` make on first use (``__getattr__``), so
#: the reference documents them where they are defined.
ALIASES = {
    "workbench.ActiveLearningLoop": "workbench.loop.ActiveLearningLoop",
    **{f"workbench.{w}": f"workbench.widgets.{w}" for w in (
        "ClassifyWidget", "GalleryWidget", "ReviewWidget", "AnnotateWidget")},
    **{f"workbench.train.{public}": f"workbench.train.{private}" for public, private in (
        ("MLPHead", "_MLPHead"), ("LinearHead", "_LinearHead"),
        ("MultiLabelClassifier", "_MultiLabel"), ("Committee", "_Committee"))},
}  # fmt: skip


def _candidates(name: str, context: str | None) -> list[str]:
    if name.startswith("workbench.") or name == "workbench":
        return [ALIASES.get(name, name)]
    found = []
    parts = context.split(".") if context else []
    while parts:  # the object itself, its class, its module, ... up to ``workbench``
        found.append(".".join([*parts, name]))
        parts.pop()
    found.append(f"workbench.{name}")
    return list(dict.fromkeys(ALIASES.get(f, f) for f in found))


def _link_roles(content: str, resolves) -> str:
    headings = [(m.start(), m["id"]) for m in _HEADING.finditer(content)]

    def context_at(pos: int) -> str | None:
        before = [h for start, h in headings if start < pos]
        return before[-1] if before else None

    def replace(m: re.Match) -> str:
        target = m["target"] or m["name"]
        shown = m["title"] or (target.rsplit(".", 1)[-1] if m["tilde"] else target)
        shown = html.escape(html.unescape(shown)) + (m["call"] or "")
        for identifier in _candidates(target, context_at(m.start())):
            if resolves(identifier):
                return f'<autoref identifier="{identifier}" optional><code>{shown}</code></autoref>'
        log.debug("no page for %s (in %s)", target, context_at(m.start()))
        return f"<code>{shown}</code>"

    return _ROLE.sub(replace, content)


@event_priority(-40)  # after every page is rendered, before autorefs fixes the references
def on_env(env, config, files):
    autorefs = config.plugins["autorefs"]

    def resolves(identifier: str) -> bool:
        try:
            autorefs.get_item_url(identifier)
        except KeyError:
            return False
        return True

    for file in files:
        page = file.page
        if page is not None and page.content and file.src_uri.startswith("api/"):
            page.content = _link_roles(page.content, resolves)
    return env
