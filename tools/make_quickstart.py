"""Writes notebooks/quickstart.ipynb (kept as code so its cells stay reviewable)."""

import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = [
    md(
        "# workbench quickstart\n\n"
        "Label scikit-learn's bundled digits with the keyboard, then a few texts, and read the "
        "labels back as a DataFrame. Everything is stored in `quickstart.db`, a SQLite file "
        "next to this notebook: re-running the notebook adds nothing twice, and labels survive "
        "a kernel restart."
    ),
    code(
        "import workbench as wb\n"
        "from sklearn.datasets import load_digits\n\n"
        "digits = load_digits()\n"
        "schema = wb.Schema.classification(\n"
        '    "digit",\n'
        "    [wb.LabelClass(str(d), key=str(d)) for d in range(10)],\n"
        "    guidelines=(\n"
        '        "# Digits\\n\\nLabel the digit you see with its number key.\\n\\n"\n'
        '        "- Press **s** to skip an image you cannot read.\\n"\n'
        '        "- Press **Backspace** to undo your last label.\\n"\n'
        "    ),\n"
        ")\n"
        'project = wb.Project("quickstart.db", schema=schema)\n'
        "added = project.add_arrays(digits.images)\n"
        'print(f"{added} new items, {len(project)} in the project")'
    ),
    md(
        "## Label with the keyboard\n\n"
        "Click the widget, then press a digit key to label the image and move on. "
        "← and → move through what you labeled, **Backspace** undoes, **s** skips, "
        "**?** shows the guidelines."
    ),
    code("project.classify()"),
    md(
        "Labels can also be written from code, for example from a script or a model you trust. "
        "They go through the same checks: an unknown class or a missing item is refused."
    ),
    code(
        "ids = project.item_ids()\n"
        "for item_id, target in zip(ids[:5], digits.target[:5]):\n"
        "    project.label(item_id, str(target))\n\n"
        "try:\n"
        '    project.label(ids[0], "ten")\n'
        "except wb.UnknownClassError as err:\n"
        '    print("refused:", err)'
    ),
    md(
        "## Read the labels back\n\nOne row per labeled item, with who labeled it, when, how "
        "long it took and under which schema version."
    ),
    code("labels = project.labels()\nlabels.head()"),
    code('project.history(ids[0])[["id", "kind", "value", "annotator", "created_at"]]'),
    md(
        "## Bulk labeling in a grid\n\nSelect thumbnails with the mouse (shift-click for a "
        "range) or the arrow keys and space, then press a class key to label them all."
    ),
    code("project.gallery(page_size=60)"),
    md(
        "## Texts\n\nThe same widget labels texts. This project has a multi-label task: "
        "keys toggle classes and **Enter** commits."
    ),
    code(
        "reviews = [\n"
        '    "The plot was thin but the acting carried it.",\n'
        '    "Dull, far too long, and the ending made no sense.",\n'
        '    "A warm, funny film with a great soundtrack.",\n'
        '    "The camera work is stunning; the script is not.",\n'
        "]\n"
        "texts = wb.Project(\n"
        '    "quickstart-texts.db",\n'
        "    schema=wb.Schema.classification(\n"
        '        "aspects", ["plot", "acting", "music", "visuals"], multi_label=True\n'
        "    ),\n"
        ")\n"
        "texts.add_texts(reviews)\n"
        "texts.classify()"
    ),
    code('texts.label(texts.item_ids()[0], ["plot", "acting"])\ntexts.labels()'),
]
nb = nbf.v4.new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nb.metadata["language_info"] = {"name": "python"}
nbf.write(nb, "notebooks/quickstart.ipynb")
