"""Notebook cells that build a workbench project and show a widget on it.

Used by the browser tests and by ``tests/benchmarks/bench_widget.py``. Item
ids are ``item-0000``, ``item-0001`` ... in insertion order, and every
priority is equal, so the queue (``store.next_unlabeled``) serves them in that
order: the i-th class key pressed labels ``item_id(i)``.
"""

from __future__ import annotations

from pathlib import Path

CLASSES = ("a", "b", "c")
#: The keys project_cell binds to CLASSES.
KEYS = {"1": "a", "2": "b", "3": "c"}


def item_id(i: int) -> str:
    return f"item-{i:04d}"


def project_cell(
    db: Path, n_items: int, *, items: str = "text", annotator: str = "browser",
    classes: tuple[str, ...] = CLASSES, size: int = 96,
) -> str:  # fmt: skip
    """Create (or reopen: the cell can run again after a restart) the project.

    Image items are random RGB arrays of ``size`` x ``size`` pixels."""
    if items == "text":
        add = (
            "project.add_texts([f'Text item number {i}: the quick brown fox.' for i in range(N)],"
            " ids=IDS)"
        )
    elif items == "image":
        add = (
            "project.add_arrays(np.random.default_rng(0).integers(0, 256,"
            f" size=(N, {size}, {size}, 3),"
            " dtype=np.uint8), ids=IDS)"
        )
    else:
        raise ValueError(f"items must be 'text' or 'image', got {items!r}")
    return "\n".join(
        [
            "import numpy as np",
            "import workbench as wb",
            f"DB = {str(db)!r}",
            f"N = {n_items}",
            "IDS = [f'item-{i:04d}' for i in range(N)]",
            # Keys 1, 2, 3 (KEYS) bound explicitly: a one-letter class binds its own letter
            # by default.
            "project = wb.Project(DB, schema=wb.Schema.classification('label', "
            f"[wb.LabelClass(c, key=str(i + 1)) for i, c in enumerate({list(classes)!r})]),"
            f" annotator={annotator!r})",
            add,
            "len(project)",
        ]
    )


def classify_cells(db: Path, n_items: int, *, prefetch: int = 16, items: str = "text") -> list[str]:
    return [
        project_cell(db, n_items, items=items),
        f"widget = project.classify(prefetch={prefetch})\nwidget",
    ]


#: The classes of the host tests' project (JupyterLab, Notebook 7, marimo).
PETS = ("cat", "dog")


def host_classify_cells(db: Path, n_items: int = 10) -> list[str]:
    """A small image project of :data:`PETS` and its ClassifyWidget, as notebook cells."""
    return [
        project_cell(db, n_items, items="image", classes=PETS, size=32),
        "widget = project.classify()\nwidget",
    ]


def marimo_classify_cell(db: Path, n_items: int = 10) -> str:
    """The same project in one marimo cell, its widget shown through ``mo.ui.anywidget``."""
    setup = project_cell(db, n_items, items="image", classes=PETS, size=32)
    lines = setup.splitlines()[:-1]  # not ``len(project)``: the widget is the cell's output
    return "\n".join(["import marimo as mo", *lines, "mo.ui.anywidget(project.classify())"])


def gallery_cells(db: Path, n_items: int, **settings: object) -> list[str]:
    args = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    return [project_cell(db, n_items, items="image"), f"gallery = project.gallery({args})\ngallery"]


def review_setup_cell(n_issues: int) -> str:
    """Labels from two annotators and a model's pre-labels; ``issues``, the first
    ``n_issues`` items with ascending quality. Item ``i`` is labeled ``CLASSES[i % 3]``
    by alice; even items then ``CLASSES[(i + 1) % 3]`` by bob (their current label);
    the model suggests ``CLASSES[(i + 2) % 3]`` (score 0.7). Runs its writes once."""
    return "\n".join(
        [
            "import pandas as pd",
            f"CLASSES = {list(CLASSES)!r}",
            "if project.events().empty:",
            "    for i, iid in enumerate(IDS):",
            "        project.label(iid, CLASSES[i % 3], annotator='alice')",
            "        if i % 2 == 0:",
            "            project.label(iid, CLASSES[(i + 1) % 3], annotator='bob')",
            "    project.add_prelabels({iid: CLASSES[(i + 2) % 3] for i, iid in enumerate(IDS)},",
            "                          model='clf@1', scores={iid: 0.7 for iid in IDS})",
            f"issues = pd.DataFrame({{'item_id': IDS[:{n_issues}],",
            f"                        'quality': [0.01 * (k + 1) for k in range({n_issues})]}})",
            "len(issues)",
        ]
    )


def review_given(i: int) -> str:
    """The current label of item ``i`` after :func:`review_setup_cell`."""
    return CLASSES[(i + 1) % 3] if i % 2 == 0 else CLASSES[i % 3]


def review_cells(db: Path, n_items: int, n_issues: int, *, prefetch: int = 4) -> list[str]:
    return [
        project_cell(db, n_items),
        review_setup_cell(n_issues),
        f"review = project.review(issues, prefetch={prefetch})\nreview",
    ]


#: The drawing tests' image size (full size: shapes are in these pixels).
ANNOTATE_SIZE = (640, 480)


def annotate_cells(
    db: Path,
    n_items: int = 3,
    *,
    prefetch: int = 2,
    prelabel: bool = False,
    size: tuple[int, int] = ANNOTATE_SIZE,
    review: bool | str = False,
) -> list[str]:
    """A Shapes project over ``n_items`` PNG files of ``size`` and its AnnotateWidget.

    Classes ``car`` (key 1), ``person`` (key 2, a skeleton head → foot) and
    ``road`` (key 3); a bool attribute ``occluded``. With ``prelabel``, item 0
    has a model's suggestions: a car box and a road polygon. With ``review``, the
    widget reviews every item in order (``issues=IDS``), labeled or not, so a
    re-run of the cell shows item 0 again. With ``review="audit"`` every item is
    labeled with one car box (id ``s1``) and the widget reviews an audit table:
    item 1 (quality 0.05, its car suspected of being a person), then item 0.
    """
    w, h = size
    setup = [
        "import numpy as np",
        "from pathlib import Path",
        "from PIL import Image",
        "import workbench as wb",
        f"DB = Path({str(db)!r})",
        "folder = DB.parent / 'images'",
        "folder.mkdir(exist_ok=True)",
        "rng = np.random.default_rng(0)",
        f"IDS = [f'item-{{i:04d}}' for i in range({n_items})]",
        "for iid in IDS:",
        f"    arr = rng.integers(60, 200, size=({h}, {w}, 3), dtype=np.uint8)",
        "    Image.fromarray(arr).save(folder / f'{iid}.png')",
        "schema = wb.Schema((wb.Shapes('objects', classes=['car', 'person', 'road'],",
        "    attributes=[wb.Attribute('occluded')],",
        "    skeletons={'person': wb.Skeleton(('head', 'foot'), (('head', 'foot'),))}),))",
        "project = wb.Project(DB, schema=schema, annotator='browser')",
        "project.add_uris([str(folder / f'{i}.png') for i in IDS], ids=IDS)",
    ]
    if prelabel:
        setup += [
            "SUGGESTED = [",
            "    {'type': 'box', 'class': 'car', 'bbox': [100, 100, 120, 80], 'score': 0.9,"
            " 'id': 'p1'},",
            "    {'type': 'polygon', 'class': 'road', 'points': [[300, 300], [400, 300],"
            " [350, 400]], 'score': 0.6, 'id': 'p2'},",
            "]",
            "if not project.store.prelabels('objects', [IDS[0]]):",
            "    project.add_prelabels({IDS[0]: SUGGESTED}, model='det', scores={IDS[0]: 0.75},"
            " task='objects')",
        ]
    setup.append("len(project)")
    if review == "audit":  # labeled items and an audit table that suspects item 1's car
        setup[-1:] = [
            "import pandas as pd",
            "CAR = {'type': 'box', 'class': 'car', 'bbox': [100, 100, 120, 80], 'id': 's1'}",
            "if not len(project.labels('objects')):",
            "    for iid in IDS: project.label(iid, [CAR], task='objects')",
            "SUSPECT = {'issue': 'swap', 'shape': 's1', 'class': 'car', 'score': 0.05}",
            "ISSUES = pd.DataFrame({'quality': [0.05, 0.4], 'label': ['car', 'car'],",
            "    'suggested': ['person', 'car'], 'suspects': [[SUSPECT], []]},",
            "    index=pd.Index(IDS[1::-1], name='item_id'))",
            "len(project)",
        ]
    extra = ", issues=ISSUES" if review == "audit" else ", issues=IDS" if review else ""
    return ["\n".join(setup), f"w = project.annotate(prefetch={prefetch}{extra})\nw"]


def team_classify_cells(url: str, *, prefetch: int = 4) -> list[str]:
    """A team member's project (``url`` names the member, see ``Team.add_user``) and its
    ClassifyWidget: the queue is the member's claims."""
    return [
        f"import workbench as wb\nproject = wb.Project({url!r})\nproject.annotator",
        f"widget = project.classify(prefetch={prefetch})\nwidget",
    ]
