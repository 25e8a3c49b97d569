"""A team project to test against: a lead, three annotators, a reviewer, QA and an
admin on a real PostgreSQL (``lead_url`` in tests/conftest.py; the fixture ``t``
there is :func:`make_team` with a helper to open the project as each person),
shared by the unit tests of team mode and the attacks in tests/security/."""

from __future__ import annotations

from types import SimpleNamespace

import workbench as wb

CLASSES = ["cat", "dog", "bird"]


def make_team(url: str, n_items: int = 30, **settings) -> SimpleNamespace:
    schema = wb.Schema.classification("label", CLASSES)
    lead = wb.Project(url, schema=schema)
    ids = [f"i{k:03d}" for k in range(n_items)]
    lead.add_texts([f"text {k}" for k in range(n_items)], ids=ids)
    team = lead.team.setup(**settings)
    urls = {
        name: team.add_user(name, role)
        for name, role in [
            ("alice", "annotator"), ("bob", "annotator"), ("carol", "annotator"),
            ("rita", "reviewer"), ("quinn", "qa"), ("adam", "admin"),
        ]
    }  # fmt: skip
    team.fill()
    return SimpleNamespace(lead=lead, team=team, urls=urls, ids=ids, schema=schema)


def sql(project: wb.Project, statement: str, args: tuple = ()):
    with project.store._read() as cur:
        cur.execute(statement, args)
        return cur.fetchall() if cur.description else None


def write_sql(project: wb.Project, statement: str, args: tuple = ()):
    with project.store._write() as cur:
        cur.execute(statement, args)


def label_all(p: wb.Project, ids, value="cat"):
    for iid in ids:
        p.label(iid, value)
