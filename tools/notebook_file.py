"""Cells and file format of the notebooks that tools/make_*.py write.

The tools run as scripts from the repository root (``python tools/make_....py``),
so this module is imported by its bare name from the tools folder.
"""

import hashlib
from pathlib import Path

import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell


def write(cells, path):
    """Write ``cells`` as a Python 3 notebook at ``path`` (no outputs).

    Cell ids are kept from the file already at ``path`` (by position), and new
    cells get ids derived from their position and source, so regenerating an
    unchanged notebook gives the same bytes (nbformat's own ids are random).
    """
    old = []
    if Path(path).exists():
        old = [c.get("id") for c in nbf.read(path, as_version=4).cells]
    for i, cell in enumerate(cells):
        kept = old[i] if i < len(old) else None
        cell["id"] = kept or hashlib.sha1(f"{i}:{cell.source}".encode()).hexdigest()[:8]
    nb = nbf.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nb.metadata["language_info"] = {"name": "python"}
    nbf.write(nb, path)
