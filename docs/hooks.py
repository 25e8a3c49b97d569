"""MkDocs hooks for the documentation site (``hooks:`` in ``mkdocs.yml``).

- The notebooks of ``notebooks/`` become pages in place: each is added to the site's
  files as ``notebooks/<name>.ipynb`` before mkdocs-jupyter looks at the files, so the
  nav lists them and mkdocs-jupyter converts them like any notebook of ``docs/``.
  Files the notebooks write when run (``*.db``, arrays) are never added.
- The docstrings cross-reference with Sphinx roles (``:meth:`Project.labels```), which
  mkdocstrings leaves as text. Each role in the API pages becomes a link to the object
  it names, looked up the way Sphinx would (the enclosing class, then its module, then
  ``workbench``), or plain code where the object has no page.
- Some module docstrings hold reStructuredText simple tables (``====  ====`` borders),
  which Markdown would run together into one paragraph; they become Markdown tables,
  and the ``::`` that opens a literal block becomes ``:``.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from markdown import Extension
from markdown.preprocessors import Preprocessor
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


def on_config(config):
    # The same list object mkdocstrings renders docstrings with, so docstrings get it too.
    config.markdown_extensions.append(RstTables())
    return config


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


#: Names that ``workbench`` and ``workbench.ml.train`` make on first use (``__getattr__``), so
#: the reference documents them where they are defined.
ALIASES = {
    "workbench.ActiveLearningLoop": "workbench.loop.ActiveLearningLoop",
    **{f"workbench.{w}": f"workbench.widgets.{w}" for w in (
        "ClassifyWidget", "GalleryWidget", "ReviewWidget", "AnnotateWidget",
        "AnnotateTextWidget")},
    **{f"workbench.ml.train.{public}": f"workbench.ml.train.{private}" for public, private in (
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


# -- reStructuredText simple tables in docstrings --------------------------------------

_BORDER = re.compile(r"^(?P<indent> *)=+(?: +=+)+ *$")


def rst_table(lines: list[str]) -> list[str]:
    """A simple table without a header (a border, rows, the same border) as a Markdown
    table. A row whose first column is blank continues the row above; a continuation
    starting with ``- `` (a list in the cell) starts a new line of the cell; so does a
    whole row while the row above is unfinished (its first cell ends with a comma, its
    last is inside parentheses). The table has an empty header (extra.css hides it)."""
    border = lines[0]
    indent = len(border) - len(border.lstrip())
    starts = [c.start() for c in re.finditer(r"=+", border)]
    rows: list[list[str]] = []
    for line in lines[1:-1]:
        if not line.strip():
            continue
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        # RST would start a row here; the docstrings also wrap both columns of a row.
        wrapped = rows and (
            rows[-1][0].endswith(",") or rows[-1][-1].count("(") > rows[-1][-1].count(")")
        )
        if rows and (not cells[0] or wrapped):
            for i, cell in enumerate(cells):
                if cell:
                    sep = "<br>" if cell.startswith("- ") else " "
                    rows[-1][i] = f"{rows[-1][i]}{sep}{cell}" if rows[-1][i] else cell
        else:
            rows.append(cells)
    pad = " " * indent
    out = ["", pad + "|" + " |" * len(starts), pad + "|" + "---|" * len(starts)]
    out += [pad + "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return [*out, ""]


class _RstTablePreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            end = None
            if _BORDER.match(lines[i]):
                border = lines[i].rstrip()
                end = next(
                    (j for j in range(i + 1, len(lines)) if lines[j].rstrip() == border), None
                )
            if end is None:
                out.append(_literal_marker(lines, i))
                i += 1
            else:
                out.extend(rst_table(lines[i : end + 1]))
                i = end + 1
        return out


_LITERAL = re.compile(r"^(?P<text>.*?)(?P<space> ?)::\s*$")


def _literal_marker(lines: list[str], i: int) -> str:
    """RST's ``text::`` before an indented literal block: Markdown shows the indented
    block as code already, so the marker becomes ``text:`` (``text ::`` becomes ``text``)."""
    m = _LITERAL.match(lines[i])
    following = next((ln for ln in lines[i + 1 :] if ln.strip()), "")
    indent = len(lines[i]) - len(lines[i].lstrip())
    if not m or len(following) - len(following.lstrip()) <= indent:
        return lines[i]
    return m["text"] if m["space"] or not m["text"].strip() else m["text"] + ":"


class RstTables(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(_RstTablePreprocessor(md), "workbench_rst_tables", 28)
