"""Writes notebooks/active_learning.ipynb and notebooks/audit.ipynb (kept as code so their
cells stay reviewable). Run from the repository root: ``python tools/make_ml_notebooks.py``."""

from notebook_file import code, md, write

active_learning = [
    md(
        "# Active learning on digits\n\n"
        "The model lives in the same kernel as the labels. Each **round** trains it on the "
        "labels so far, scores the unlabeled pool, and puts the items it is least sure about "
        "at the front of the labeling widget's queue. Here we label scikit-learn's digits and "
        "compare *margin* sampling with picking items at random.\n\n"
        "A held-out set (30% of the digits, never labeled) measures accuracy after every round."
    ),
    code(
        "import warnings\n\n"
        "import workbench as wb\n"
        "from sklearn.datasets import load_digits\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import train_test_split\n\n"
        'warnings.filterwarnings("ignore", category=UserWarning)\n'
        'warnings.filterwarnings("ignore", module="sklearn")\n\n'
        "digits = load_digits()\n"
        "X = digits.data / 16.0  # pixel features for the model\n"
        "y = digits.target.astype(str)\n"
        "X_pool, X_test, y_pool, y_test = train_test_split(\n"
        "    X, y, test_size=0.3, random_state=0, stratify=y\n"
        ")\n"
        'ids = [f"digit-{i}" for i in range(len(X_pool))]\n'
        "truth = dict(zip(ids, y_pool))  # what a careful labeler would answer\n\n"
        'schema = wb.Schema.classification("digit", list("0123456789"))\n'
        'project = wb.Project("active_learning.db", schema=schema)\n'
        "project.add_arrays(X_pool.reshape(-1, 8, 8), ids=ids)\n"
        "project"
    ),
    md(
        "## Label with the model choosing\n\n"
        "`loop.widget()` is the classification widget; its queue follows the loop. "
        "`loop.step()` returns at once: the first round has no model yet, so it picks 20 "
        "items at random. When they are labeled, the next round trains in a background thread "
        "(keep labeling meanwhile) and the queue re-ranks to the 10 items with the smallest "
        "margin between the two likeliest classes.\n\n"
        "Every round is checkpointed next to the project. Run the notebook again (or restart "
        "the kernel) and the loop takes its rounds back: `step()` resumes the batch still "
        "being labeled, and `run()` below goes on from where it stopped instead of starting "
        "over."
    ),
    code(
        "loop = wb.ActiveLearningLoop(\n"
        "    project,\n"
        "    LogisticRegression(max_iter=1000),\n"
        '    strategy="margin",\n'
        "    batch_size=10,\n"
        "    features=X_pool,\n"
        "    holdout=(X_test, y_test),\n"
        "    initial=20,\n"
        ")\n"
        "widget = loop.widget()\n"
        "loop.step()\n"
        "widget"
    ),
    md(
        "Press the digit keys in the widget above. Here the same labels are written from code, "
        "as a stand-in for you: the loop sees them arrive through the store, exactly as it sees "
        "the widget's."
    ),
    code(
        "for item_id in loop.rounds[-1].batch:\n"
        "    project.label(item_id, truth[item_id])\n"
        "loop.wait()  # the background training of the next round"
    ),
    code("print(loop.rounds[-1].batch)  # the widget's queue now starts with these\nloop.history"),
    code("loop.stop()"),
    md(
        "## Margin against random\n\n"
        "`loop.run(oracle)` runs rounds with a simulated labeler, for experiments like this "
        "one. Each strategy gets its own fresh project and the same 20 random seed labels; "
        "both stop once held-out accuracy reaches 95%."
    ),
    code(
        "def simulate(strategy):\n"
        '    sim = wb.Project(f"al-{strategy}.db", schema=schema)\n'
        "    sim.add_arrays(X_pool.reshape(-1, 8, 8), ids=ids)\n"
        "    run = wb.ActiveLearningLoop(\n"
        "        sim, LogisticRegression(max_iter=1000), strategy=strategy, batch_size=10,\n"
        "        features=X_pool, holdout=(X_test, y_test), initial=20, name=strategy,\n"
        "    )\n"
        "    run.run(lambda batch: [truth[i] for i in batch], until=0.95, max_labels=800)\n"
        "    return run\n\n"
        'margin = simulate("margin")\n'
        'random = simulate("random")\n'
        'print("labels to 95% accuracy: margin", margin.labels_to(0.95),\n'
        '      "random", random.labels_to(0.95))'
    ),
    code('margin.plot(others={"random": random})'),
    md(
        'Every round is checkpointed (`project.models_dir / "loops"`): the fitted model and '
        "its metrics. Load any round's model back:"
    ),
    code(
        "best = margin.load_checkpoint(len(margin.rounds) - 1)\nprint(best.score(X_test, y_test))"
    ),
]

audit = [
    md(
        "# Audit: find wrong labels and review them\n\n"
        "Here 10% of the digits' labels are flipped to a wrong class at random, as a careless "
        "annotator might. Out-of-fold probabilities (each item predicted by a model that never "
        "saw its label) and confident learning find the suspects; the review widget shows each "
        "one with its given label, every annotator's label, the model's suggestion and a "
        "quality score, and one key accepts, corrects or marks it ambiguous."
    ),
    code(
        "import numpy as np\n"
        "import workbench as wb\n"
        "from sklearn.datasets import load_digits\n\n"
        "digits = load_digits()\n"
        "X = digits.data / 16.0\n"
        "truth = digits.target.astype(str)\n"
        "rng = np.random.default_rng(0)\n"
        "flip = rng.random(len(truth)) < 0.10\n"
        "noisy = truth.copy()\n"
        "noisy[flip] = [str((int(t) + rng.integers(1, 10)) % 10) for t in truth[flip]]\n"
        'print(f"{flip.sum()} of {len(truth)} labels flipped")\n\n'
        "project = wb.Project(\n"
        '    "audit.db", schema=wb.Schema.classification("digit", list("0123456789"))\n'
        ")\n"
        'ids = [f"digit-{i}" for i in range(len(X))]\n'
        "project.add_arrays(digits.images, ids=ids)\n"
        "if project.labels().empty:\n"
        "    project.store.append([\n"
        '        project.make_event(i, label, annotator="contractor")\n'
        "        for i, label in zip(ids, noisy)\n"
        "    ])\n"
        "project.labels().head()"
    ),
    md(
        "## Find the suspects\n\n"
        "`find_issues_out_of_fold` trains 5 models, each on four fifths of the labels, and "
        "ranks every label by how well the model that did not see it agrees with it."
    ),
    code(
        "issues = wb.audit.find_issues_out_of_fold(project, features=X)\n"
        'flagged = issues[issues["is_issue"]]\n'
        'print(f"{len(flagged)} labels flagged")\n'
        "flagged.head(10)"
    ),
    md("We know which labels were flipped, so we can check the audit:"),
    code(
        "flipped = {i for i, f in zip(ids, flip) if f}\n"
        'hits = len(set(flagged["item_id"]) & flipped)\n'
        "precision, recall = hits / len(flagged), hits / len(flipped)\n"
        'print(f"precision {precision:.2f}, recall {recall:.2f}, "\n'
        '      f"F1 {2 * precision * recall / (precision + recall):.2f}")'
    ),
    md(
        "## Review them\n\n"
        "Worst first. **Enter** accepts the given label, a digit key corrects it, the key "
        "shown in the widget accepts the model's suggestion, another marks the item ambiguous; "
        "**Backspace** undoes. Each review is an event whose parent is the label it reviews."
    ),
    code("review = project.review(flagged)\nreview"),
    md(
        "Here the reviewer is simulated from code: wherever the model's suggestion is the true "
        "digit the suspect label is corrected to it, anywhere else it is accepted. The events "
        "are the same ones the widget writes."
    ),
    code(
        'current = project.labels().set_index("item_id")\n'
        'for item_id, suggested in zip(flagged["item_id"], flagged["suggested"]):\n'
        "    if suggested == truth[ids.index(item_id)]:\n"
        '        project.review_label(item_id, "correct", suggested)\n'
        "    else:\n"
        '        project.review_label(item_id, "accept")\n\n'
        'after = project.labels().set_index("item_id")["label"].reindex(ids)\n'
        'print(f"labels right before review: {(noisy == truth).mean():.3f}, "\n'
        '      f"after: {(after.to_numpy() == truth).mean():.3f}")'
    ),
    code(
        'project.history(flagged["item_id"].iloc[0])[["id", "kind", "value", '
        '"annotator", "tier", "parent"]]'
    ),
]

write(active_learning, "notebooks/active_learning.ipynb")
write(audit, "notebooks/audit.ipynb")
