"""Writes notebooks/team.ipynb (kept as code so its cells stay reviewable). Run from the
repository root: ``python tools/make_team_notebook.py``."""

from notebook_file import code, md, write

team = [
    md(
        "# Team mode: several annotators, gold items, review\n\n"
        "In team mode a project lives in PostgreSQL and every person opens it as their own "
        "database user. The lead sets the project up; **annotators** label the items they "
        "claim, each item by two different people; a **reviewer** settles the items where the "
        "two disagree, and the annotators get the reviewer's reasons back. Gold items, whose "
        "answers only the lead can read, measure each annotator's accuracy.\n\n"
        "Here the whole team lives in this one notebook: three annotators and one reviewer are "
        "simulated from code, each with a connection of their own, exactly as their own "
        "notebooks would connect. The annotators make mistakes at different rates, so their "
        "agreement and gold accuracy differ."
    ),
    md(
        "## A database server\n\n"
        "`PostgresCluster.start()` starts a throwaway PostgreSQL server from the binaries "
        "installed on this machine (`apt-get install postgresql`); it is deleted when the "
        "notebook's kernel exits. A real team points everyone at one shared server instead: "
        "set `WORKBENCH_TEAM_URL` to the URL of an empty database on it, as the lead (a role "
        "that may create roles)."
    ),
    code(
        "import os\n\n"
        "import numpy as np\n"
        "import workbench as wb\n"
        "from sklearn.datasets import load_digits\n"
        "from workbench import agreement as ag\n"
        "from workbench.local_postgres import PostgresCluster\n\n"
        'url = os.environ.get("WORKBENCH_TEAM_URL")\n'
        "server = None\n"
        "if url is None:\n"
        "    server = PostgresCluster.start()\n"
        "    url = server.new_database()\n"
        "print(url)"
    ),
    md(
        "## The lead sets up the project\n\n"
        "200 of scikit-learn's bundled digits become the items. `items_dir` is where their "
        "pixels are saved: everyone's notebook must be able to read it (here, the same "
        "folder).\n\n"
        "`team.setup()` creates team mode's tables, roles and access rules in the database:\n\n"
        "- `overlap=2`: each item is labeled by two different annotators;\n"
        "- `gold_share=0.2`: one item in five of each annotator's queue is a gold item;\n"
        "- `qa_share=0.0`: no reviewed item goes on to a third, QA tier (this team has no QA);\n"
        "- `blind=True` (the default): annotators cannot see each other's labels."
    ),
    code(
        "digits = load_digits()\n"
        "n_items = 200\n"
        'ids = [f"digit-{i:03d}" for i in range(n_items)]\n'
        "truth = dict(zip(ids, digits.target[:n_items].astype(str)))  # the right answers\n\n"
        'schema = wb.Schema.classification("digit", list("0123456789"))\n'
        'project = wb.Project(url, schema=schema, items_dir="team.items")\n'
        "project.add_arrays(digits.images[:n_items], ids=ids)\n"
        "team = project.team.setup(overlap=2, gold_share=0.2, qa_share=0.0)\n"
        "team.settings()"
    ),
    md(
        "Each person is a database user with a role. `add_user` returns the URL that person "
        "opens the project with: `wb.Project(url)` in their own notebook."
    ),
    code(
        "urls = {\n"
        '    name: team.add_user(name, "annotator") for name in ("alice", "bob", "carol")\n'
        "}\n"
        'urls["rita"] = team.add_user("rita", "reviewer")\n'
        "team.users()"
    ),
    md(
        "`fill()` puts every item in the pool of work, each needing two labels. `add_gold` "
        "turns 30 items into gold items: their answers are stored where annotators cannot read "
        "them, and they are mixed into the queues unseen. They are scored, never pooled."
    ),
    code(
        "team.fill()\n"
        "gold = {item_id: truth[item_id] for item_id in ids[:30]}\n"
        "team.add_gold(gold)\n"
        "team.queue()"
    ),
    md(
        "## The annotators label\n\n"
        "Each annotator opens the project with their own URL. In a notebook they would run "
        "`project.classify()`: the widget claims items as it goes. Here `claim(10)` takes the "
        "next ten items by hand (a claim is a lease: items not labeled within `lease_s` "
        "seconds go back to the pool) and `label` writes the simulated answers.\n\n"
        "The simulated annotators are wrong 5% (alice), 15% (bob) and 30% (carol) of the "
        "time, and take about 2, 3 and 1.2 seconds per label."
    ),
    code(
        'error_rate = {"alice": 0.05, "bob": 0.15, "carol": 0.30}\n'
        'seconds = {"alice": 2.0, "bob": 3.0, "carol": 1.2}\n'
        "rng = np.random.default_rng(0)\n\n\n"
        "def answer(name, item_id):\n"
        "    right = truth[item_id]\n"
        "    if rng.random() < error_rate[name]:\n"
        "        return str((int(right) + rng.integers(1, 10)) % 10)  # a wrong digit\n"
        "    return right\n\n\n"
        'annotators = {name: wb.Project(urls[name], items_dir="team.items") for name in '
        "error_rate}\n"
        "working = list(annotators)\n"
        "while working:  # take turns until the pool is empty\n"
        "    for name in list(working):\n"
        "        person = annotators[name]\n"
        "        batch = person.team.claim(10)\n"
        "        if not batch:\n"
        "            working.remove(name)\n"
        "        for item_id in batch:\n"
        "            ms = int(1000 * rng.exponential(seconds[name]))\n"
        "            person.label(item_id, answer(name, item_id), duration_ms=ms)\n\n"
        "wide = team.annotator_labels()  # one row per item, one column per annotator\n"
        "per_item = wide.notna().sum(axis=1).value_counts().to_dict()\n"
        'print(f"labels per item: {per_item}")\n'
        "wide.head()"
    ),
    md(
        "The database decides what each person may do, not the notebook: an annotator who "
        "tries to read the gold answers, or others' labels, gets `wb.PermissionDenied`."
    ),
    code(
        'alice = annotators["alice"]\n'
        "for what, read in [\n"
        '    ("the gold answers", alice.team.gold_accuracy),\n'
        '    ("everyone\'s labels", alice.labels),\n'
        "]:\n"
        "    try:\n"
        "        read()\n"
        "    except wb.PermissionDenied:\n"
        '        print(f"alice may not read {what}: PermissionDenied")\n'
        'alice.team.my_labels()[["item_id", "value", "annotator"]].head(3)'
    ),
    md(
        "## Agreement\n\n"
        "How far the annotators agree, on the items two of them labeled (gold items left "
        "out): Cohen's kappa for each pair, and Fleiss' kappa and Krippendorff's alpha for "
        "the team. 1 is perfect agreement, 0 is what chance alone would give."
    ),
    code(
        "kappa = ag.cohen_kappa_matrix(wide)\n"
        "for i, a in enumerate(kappa.index):\n"
        "    for b in kappa.columns[i + 1 :]:\n"
        '        print(f"Cohen\'s kappa {a}-{b}: {kappa.loc[a, b]:.3f}")\n'
        "fleiss = ag.fleiss_kappa(ag.label_counts(wide))\n"
        "alpha = ag.krippendorff_alpha(wide)\n"
        "print(f\"Fleiss' kappa: {fleiss:.3f}, Krippendorff's alpha: {alpha:.3f}\")"
    ),
    md(
        "## Disagreements go to review\n\n"
        "`route()` sends every item whose two labels differ to the review tier (reviewers "
        "also route when they claim work)."
    ),
    code(
        "disagreements = int((wide.nunique(axis=1) > 1).sum())\n"
        "routed = team.route()\n"
        'print(f"disagreements: {disagreements}, routed to review: {routed}")\n'
        "team.queue()"
    ),
    md(
        "The reviewer claims review work and sees every label of an item. She can **accept** "
        "a label, **correct** it (with a reason, which goes to the annotator who was wrong) or "
        "**send it back** to both annotators to label again (with a reason). Here rita knows "
        "the right digit: she sends the first item back and corrects the others."
    ),
    code(
        'rita = wb.Project(urls["rita"], items_dir="team.items")\n'
        "to_review = rita.team.claim(100)  # none when this ran before on the same database\n"
        'print(f"{len(to_review)} items to review")\n'
        'rita.team.item_labels(to_review[0])[["annotator", "tier", "kind", "value"]] '
        "if to_review else None"
    ),
    code(
        "if to_review:\n"
        "    sent_back = to_review[0]\n"
        '    reason = "The stroke is faint: look at it at full size."\n'
        "    rita.team.send_back(sent_back, reason=reason)\n"
        "    for item_id in to_review[1:]:\n"
        "        right = truth[item_id]\n"
        '        note = f"This is a {right}: compare the loops."\n'
        "        rita.team.correct(item_id, right, reason=note)\n"
        '    print(f"sent back: {sent_back}; corrected: {len(to_review) - 1}")'
    ),
    md(
        "## Feedback reaches the annotators\n\n"
        "Each annotator reads the reviewer's decisions on their own work, newest last (the "
        "labeling widget shows them too). An item sent back comes first in their next claim."
    ),
    code(
        "for name, person in annotators.items():\n"
        '    print(f"{name}: {len(person.team.feedback())} feedback rows")\n'
        'annotators["carol"].team.feedback()[["item_id", "kind", "previous", "value", '
        '"note"]].head()'
    ),
    code(
        "relabeled = []\n"
        "for name, person in annotators.items():\n"
        "    for item_id in person.team.claim(10):\n"
        "        person.label(item_id, truth[item_id])  # they look again, and get it right\n"
        "        relabeled.append((name, item_id))\n"
        'print(f"labeled again: {relabeled}")\n'
        'print(f"routed after the second look: {team.route()}")'
    ),
    md(
        "## Gold accuracy and scorecards\n\n"
        "Each annotator's accuracy on the gold items they got, per digit and overall "
        "(`(all)`), and a scorecard: labels, gold accuracy, agreement with the majority, "
        "corrections and send-backs received, median seconds per label."
    ),
    code(
        "accuracy = team.gold_accuracy()\n"
        'overall = accuracy[accuracy["label"] == "(all)"]\n'
        "for row in overall.itertuples():\n"
        '    print(f"gold accuracy {row.annotator}: {row.accuracy:.2f} '
        '({row.correct} of {row.n})")\n'
        "team.scorecards()"
    ),
    md(
        "## Final labels\n\n"
        "One label per item: the reviewer's decision where there is one, else the two "
        "annotators' consensus. Gold items are not in it."
    ),
    code(
        "final = team.labels()\n"
        'sources = final["source"].value_counts().to_dict()\n'
        'right = (final["label"] == final["item_id"].map(truth)).mean()\n'
        'print(f"final labels: {len(final)} items, {sources}; right: {right:.3f}")\n'
        "final.head()"
    ),
    md(
        "## Dashboards\n\n"
        "The lead (and admins) see gold accuracy per annotator and digit, and the work in each "
        "tier: open, claimed and done slots, and items stuck (claimed long ago, never "
        "finished). `project.dashboard()` puts these next to progress, throughput per "
        "annotator per hour, agreement and review outcomes; `project.status()` gives the same "
        "numbers as a dict."
    ),
    code("wb.dashboards.gold_figure(project)"),
    code("wb.dashboards.tier_figure(project)"),
    code("project.dashboard()"),
    code(
        "status = project.status()\n"
        "print(f\"gold accuracy (all annotators): {status['gold_accuracy']:.3f}\")\n"
        "print(f\"review tier: {status['tiers']['review']}\")"
    ),
    md("Close everyone's connection, and stop the throwaway server."),
    code(
        "for person in [*annotators.values(), rita, project]:\n"
        "    person.close()\n"
        "if server is not None:\n"
        "    server.stop()"
    ),
]

write(team, "notebooks/team.ipynb")
