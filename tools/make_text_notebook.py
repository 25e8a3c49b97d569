"""Writes notebooks/text.ipynb (kept as code so its cells stay reviewable). Run from the
repository root: ``python tools/make_text_notebook.py``."""

from notebook_file import code, md, write

text = [
    md(
        "# Text spans: label entities, pre-label, audit, export\n\n"
        "Named entities in the example sentences spaCy ships for each of its languages "
        "(no download): English, German, Hebrew, Arabic, Hindi, Chinese and sixty more, so "
        "right-to-left text, combining marks and CJK characters are all here. We pre-label "
        "with a dictionary and a regular expression, label in the widget, let a small "
        "model trained on the labels point at suspect spans, and export to spaCy and "
        "Hugging Face. Needs `pip install 'label-workbench[text]'` (spaCy, datasets)."
    ),
    code(
        "import importlib\n"
        "import pkgutil\n"
        "import re\n\n"
        "import spacy.lang\n\n"
        "import workbench as wb\n\n"
        "texts, ids = [], []\n"
        "for lang in sorted(m.name for m in pkgutil.iter_modules(spacy.lang.__path__)):\n"
        "    try:\n"
        '        examples = importlib.import_module(f"spacy.lang.{lang}.examples").sentences\n'
        "    except (ImportError, AttributeError):\n"
        "        continue\n"
        "    for i, sentence in enumerate(examples):\n"
        "        texts.append(sentence)\n"
        '        ids.append(f"{lang}-{i:02d}")\n'
        'print(len(texts), "sentences in", len({i.split("-")[0] for i in ids}), "languages")\n'
        'texts[ids.index("en-00")], texts[ids.index("he-00")]'
    ),
    md(
        "## A schema with spans and a document class\n\n"
        "`TextSpans` holds the entity classes, a relation type between spans, and a "
        'tokenizer spans snap to (`"words"`: runs of word characters and each other '
        "character). A document-level class sits beside it in the same schema. Offsets are "
        "Python `str` indices whatever the script."
    ),
    code(
        "entities = wb.TextSpans(\n"
        '    "entities",\n'
        '    classes=["ORG", "LOC", "PER", "MONEY"],\n'
        '    relations=[wb.Relation("located_in", sources=["ORG", "LOC"], targets=["LOC"])],\n'
        '    tokens="words",\n'
        ")\n"
        'kind = wb.Classification("kind", classes=["statement", "question"])\n'
        'schema = wb.Schema((entities, kind), guidelines="Mark every company (ORG), place (LOC), '
        'person (PER) and amount of money (MONEY).")\n'
        'project = wb.Project("text.db", schema=schema, annotator="you")\n'
        "project.add_texts(texts, ids=ids)\n"
        "project"
    ),
    md(
        "## Pre-label with a dictionary and a regular expression\n\n"
        "`wb.SpanMatcher` takes, per class, strings and compiled patterns; the longest "
        "match wins, on the task's tokens. Its spans are stored as `prelabel` events and "
        "show dashed in the widget with their score, one key to accept (`y`) or reject (`n`). "
        "A spaCy pipeline or a torch token classifier pre-labels the same way."
    ),
    code(
        "matcher = wb.SpanMatcher(\n"
        "    {\n"
        '        "ORG": ["Apple", "Google", "Uber", "Tesla", "Facebook", "Amazon", "Microsoft"],\n'
        '        "LOC": ["London", "San Francisco", "United Kingdom", "United States", "U.K.",\n'
        '                "France", "Shenzhen", "Silicon Valley", "Deutschland", "Paris",\n'
        '                "Berlin", "Madrid", "Barcelona", "Roma", "Londres", "Londra",\n'
        '                "Amsterdam"],\n'
        '        "PER": ["Barack Obama", "Obama", "Angela Merkel", "Trump"],\n'
        '        "MONEY": [re.compile(r"\\$\\d+(?:[.,]\\d+)?(?: (?:million|billion))?")],\n'
        "    }\n"
        ")\n"
        'run = project.prelabel(matcher, task="entities")\n'
        "run"
    ),
    md(
        "## Label in the widget\n\n"
        "Drag or double-click (or → / Shift+→) and press a class key; click two spans and "
        "press the relation key; `y` / `n` accept or reject a suggestion; Enter moves on. "
        "Every change is stored at once and acknowledged, so a reload or a kernel restart "
        "loses nothing."
    ),
    code('project.annotate_text("entities")'),
    md(
        "## Labels for the rest of the walkthrough\n\n"
        "So that the next cells have labels to work with, the cell below takes the "
        "matcher's suggestions as one annotator's labels, with four deliberate mistakes "
        "(a place labeled as a company) for the audit to find. In real use these are your "
        "labels from the widget. Running it again stores the same labels once more; no "
        "label changes."
    ),
    code(
        "suggested = project.events()\n"
        'suggested = suggested[(suggested["kind"] == "prelabel") & '
        '(suggested["task"] == "entities")]\n'
        'suggested = suggested.drop_duplicates("item_id", keep="last").set_index("item_id")\n'
        "planted = []\n"
        'for item_id, value in suggested["value"].items():\n'
        '    spans = [{k: s[k] for k in ("start", "end", "class")} for s in value["spans"]]\n'
        '    if len(planted) < 4 and any(s["class"] == "LOC" for s in spans):\n'
        '        first = next(s for s in spans if s["class"] == "LOC")\n'
        '        first["class"] = "ORG"  # a mistake on purpose\n'
        "        planted.append(item_id)\n"
        '    project.label(item_id, spans, task="entities", annotator="ann")\n'
        "for item_id, sentence in zip(ids, texts):  # the document class: a question mark\n"
        '    question = sentence.rstrip().endswith(("?", "؟", "？"))\n'
        '    project.label(item_id, "question" if question else "statement", task="kind", '
        'annotator="ann")\n'
        'labels = project.labels("entities")\n'
        'print(len(labels), "texts with entity labels; planted mistakes in", planted)'
    ),
    md(
        "## Audit: which spans look wrong?\n\n"
        "`wb.audit.audit` trains a small model in the kernel (logistic regression on hashed "
        "token features, five folds split by document), so every text is scored by a model "
        "that never saw its labels, and asks cleanlab's `token_classification` which tokens "
        "look mislabeled. Open the suspects in the widget, worst first, with "
        '`project.annotate_text("entities", issues=issues)`.'
    ),
    code(
        'issues = wb.audit.audit(project, task="entities")\n'
        'flagged = list(issues.index[issues["is_issue"]])\n'
        'print("planted mistakes found:", sorted(set(planted) & set(flagged)), "of", planted)\n'
        'issues[["quality", "is_issue", "suspects"]].head(8)'
    ),
    md(
        "## Export to spaCy and Hugging Face\n\n"
        "`to_docbin` writes a spaCy `DocBin` (entities in `doc.ents`, the document class in "
        "`doc.cats`, relations and span ids in `user_data`); `to_hf_tokens` gives a "
        "`datasets.Dataset` with `tokens` and IOB2 `ner_tags` as a `ClassLabel`. Reading the "
        "DocBin into a fresh project gives back the same spans."
    ),
    code(
        "import warnings\n"
        "from pathlib import Path\n\n"
        'Path("text.spacy").unlink(missing_ok=True)\n'
        'wb.formats.to_docbin(project, "entities", "text.spacy", cats_task="kind")\n'
        "with warnings.catch_warnings():\n"
        '    warnings.simplefilter("ignore")  # IOB2 cannot hold relations: the warning says so\n'
        '    dataset = wb.formats.to_hf_tokens(project, "entities")\n'
        "print(dataset)\n"
        'print(dataset.features["ner_tags"].feature.names)\n\n'
        'Path("text-copy.db").unlink(missing_ok=True)\n'
        'copy = wb.Project("text-copy.db", schema=schema, annotator="you")\n'
        'wb.formats.from_docbin(copy, "text.spacy", task="entities", cats_task="kind")\n'
        "def spans(p):\n"
        '    return p.labels("entities").set_index("item_id")["label"].to_dict()\n\n'
        'print("DocBin round trip exact:", spans(project) == spans(copy))\n'
        "copy.close()"
    ),
]

if __name__ == "__main__":
    write(text, "notebooks/text.ipynb")
