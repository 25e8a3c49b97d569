"""Auditing a text-span task: planted span errors found by cleanlab's token-classification
module with out-of-fold token probabilities from the small in-kernel model, the
pred_probs layout, and the result read by the review widget's issue reader."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cleanlab")
pytest.importorskip("sklearn")

import workbench as wb  # noqa: E402
from workbench.kinds.spans.audit import (  # noqa: E402
    SPAN_ISSUE_COLUMNS,
    out_of_fold_token_probs,
    span_issues,
)
from workbench.kinds.spans.schema import tokenize  # noqa: E402
from workbench.kinds.spans.tags import token_classes  # noqa: E402
from workbench.stream import read_issues  # noqa: E402

CLASSES = ["PER", "ORG", "LOC"]
NAMES = {
    "PER": ["Alice", "Bruno", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana"],
    "ORG": ["Acme", "Initech", "Globex", "Umbrella", "Hooli", "Vandelay"],
    "LOC": ["Paris", "Lagos", "Lima", "Oslo", "Pune", "Quito"],
}
TEMPLATES = [
    "{PER} works for {ORG} in {LOC} .",
    "{ORG} opened an office in {LOC} with {PER} .",
    "In {LOC} , {PER} met the {ORG} team .",
    "{PER} left {ORG} last year .",
]
#: item -> how its label is spoiled: a PER span labeled ORG, or the LOC span left out.
PLANTED = {"d07": "swap", "d18": "swap", "d33": "swap", "d76": "swap", "d48": "drop",
           "d61": "drop"}  # fmt: skip


def corpus(n=90, seed=0):
    rng = np.random.default_rng(seed)
    docs = {}
    for i in range(n):
        template = TEMPLATES[i % len(TEMPLATES)]
        text, spans, pos = "", [], 0
        for part in template.split(" "):
            word = part
            if part.strip("{}") in NAMES and part.startswith("{"):
                cls = part.strip("{}")
                word = NAMES[cls][int(rng.integers(len(NAMES[cls])))]
                spans.append({"start": pos, "end": pos + len(word), "class": cls})
            text += word + " "
            pos += len(word) + 1
        docs[f"d{i:02d}"] = (text.rstrip(), spans)
    return docs


def spoil(spans, how):
    spans = [dict(s) for s in spans]
    if how == "swap":
        for s in spans:
            if s["class"] == "PER":
                s["class"] = "ORG"
    else:
        spans = [s for s in spans if s["class"] != "LOC"]
    return spans


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    docs = corpus()
    p = wb.Project(
        tmp_path_factory.mktemp("audit") / "p.db",
        schema=wb.Schema((wb.TextSpans("ents", classes=CLASSES, tokens="whitespace"),)),
        annotator="ann",
    )
    p.add_texts([t for t, _ in docs.values()], ids=list(docs))
    for iid, (_, spans) in docs.items():
        p.label(iid, spoil(spans, PLANTED[iid]) if iid in PLANTED else spans, task="ents")
    p.docs = docs
    yield p
    p.close()


def test_planted_span_errors_are_found_worst_first(project):
    df = wb.audit.audit(project, task="ents")  # out-of-fold probabilities made here
    assert list(df.columns) == SPAN_ISSUE_COLUMNS and df.index.name == "item_id"
    assert len(df) == 90
    flagged = df.index[df["is_issue"]].tolist()
    assert set(PLANTED) <= set(flagged)
    # The planted items lead the ranking.
    assert set(df.index[: len(PLANTED)]) == set(PLANTED)
    assert (df["quality"].loc[list(PLANTED)] < 0.5).all()
    # The suspects name the spoiled tokens: a swapped name, or the dropped place.
    text, spans = project.docs["d07"]
    per = next(s for s in spans if s["class"] == "PER")
    top = df.loc["d07", "suspects"][0]
    assert (top["start"], top["end"], top["given"], top["suggested"]) == (
        per["start"], per["end"], "ORG", "PER")  # fmt: skip
    assert top["text"] == text[per["start"] : per["end"]] and top["span"] is not None
    loc = next(s for s in project.docs["d48"][1] if s["class"] == "LOC")
    drop = df.loc["d48", "suspects"][0]
    assert (drop["start"], drop["given"], drop["suggested"], drop["span"]) == (
        loc["start"], "O", "LOC", None)  # fmt: skip
    # The model's suggestion restores the spoiled label.
    assert [(s["start"], s["end"], s["class"]) for s in df.loc["d07", "suggested"]["spans"]] == [
        (s["start"], s["end"], s["class"]) for s in spans
    ]
    assert df.loc["d07", "annotators"]["ann"] == df.loc["d07", "label"]
    # cleanlab's flags alone are a subset; the plain check adds, never removes.
    alone = span_issues(project, task="ents", disagreement=None)
    assert set(alone.index[alone["is_issue"]]) <= set(flagged)
    assert {s["flagged_by"] for v in df["suspects"] for s in v} <= {"cleanlab", "disagreement"}
    assert alone["quality"].sort_index().equals(df["quality"].sort_index())


def test_the_review_widget_reads_the_result(project):
    df = span_issues(project, task="ents")
    issues = read_issues(df.head(8), project, "ents")
    assert [i.item_id for i in issues] == df.index[:8].tolist()
    assert issues[0].suggested == df.iloc[0]["suggested"]
    assert issues[0].quality == pytest.approx(df.iloc[0]["quality"])
    # The text widget walks the suspects first and shows each one's suspected tokens.
    widget = project.annotate_text("ents", issues=df)
    first = widget.stream.next_ids(6, set())
    assert first == df.index[:6].tolist()
    items, _ = widget.stream.payloads(first[:1])
    shown = items[0]["issue"]
    assert shown["suspects"] == df.iloc[0]["suspects"] and shown["is_issue"] is True
    assert shown["suggested"] == df.iloc[0]["suggested"]


def test_pred_probs_layouts_and_their_errors(project):
    labels = project.labels("ents")
    ids = labels["item_id"].tolist()
    k = len(CLASSES) + 1
    # Probabilities that agree with the given labels: nothing is flagged.
    given = {}
    for iid, value in zip(ids, labels["label"], strict=True):
        toks = tokenize(project.docs[iid][0], "whitespace")
        y = token_classes(value, toks, CLASSES)
        p = np.full((len(toks), k), 0.02)
        p[np.arange(len(toks)), y] = 1 - 0.02 * (k - 1)
        given[iid] = p
    clean = span_issues(project, given, task="ents")
    assert not clean["is_issue"].any() and (clean["quality"] > 0.9).all()
    as_list = span_issues(project, [given[i] for i in ids], task="ents")
    assert as_list["quality"].equals(clean["quality"])
    by_call = span_issues(project, given.__getitem__, task="ents")
    assert by_call.index.tolist() == clean.index.tolist()
    with pytest.raises(ValueError, match="no probabilities for labeled item 'd00'"):
        span_issues(project, {i: v for i, v in given.items() if i != "d00"}, task="ents")
    bad = dict(given, d01=given["d01"][:, :3])
    with pytest.raises(ValueError, match=r"item 'd01' has shape .*expected \(\d+, 4\)"):
        span_issues(project, bad, task="ents")
    with pytest.raises(ValueError, match="not probabilities"):
        span_issues(project, dict(given, d02=given["d02"] * 2), task="ents")
    with pytest.raises(ValueError, match="one per labeled item"):
        span_issues(project, [given["d00"]], task="ents")


def test_out_of_fold_probabilities_are_per_token_rows(project):
    probs = out_of_fold_token_probs(project, task="ents", folds=3)
    assert set(probs) == set(project.docs)
    for iid, p in probs.items():
        assert p.shape == (len(tokenize(project.docs[iid][0], "whitespace")), 4)
        assert np.allclose(p.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="folds must be"):
        out_of_fold_token_probs(project, task="ents", folds=1)


def test_an_unlabeled_task_gives_an_empty_frame(tmp_path):
    p = wb.Project(tmp_path / "e.db", schema=wb.Schema((wb.TextSpans("ents", classes=CLASSES),)))
    p.add_texts(["a b"], ids=["x"])
    df = span_issues(p, {}, task="ents")
    assert df.empty and list(df.columns) == SPAN_ISSUE_COLUMNS
    p.close()
