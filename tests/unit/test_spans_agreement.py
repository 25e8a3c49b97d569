"""Span agreement between a project's annotators: exact and overlap F1 per pair and class,
and alpha over per-character (per-token) codes, checked against the krippendorff package."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.kinds.spans.agreement import ALL, SpanAgreement, project_agreement
from workbench.kinds.spans.schema import tokenize

krippendorff = pytest.importorskip("krippendorff")

TEXTS = {
    "t1": "Ada Lovelace met Charles Babbage in London.",
    "t2": "Acme hired Ada.",
    "t3": "Nothing to see.",
}
CLASSES = ["PER", "ORG", "LOC"]


def sp(text, piece, cls, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(piece, start + 1)
    return {"start": start, "end": start + len(piece), "class": cls}


#: annotator -> item -> spans (as pieces of the text)
LABELS = {
    "ann": {
        "t1": [("Ada Lovelace", "PER"), ("Charles Babbage", "PER"), ("London", "LOC")],
        "t2": [("Acme", "ORG"), ("Ada", "PER")],
        "t3": [],
    },
    "bob": {
        "t1": [("Ada", "PER"), ("Charles Babbage", "PER"), ("London", "ORG")],
        "t2": [("Acme", "ORG"), ("Ada", "PER")],
    },
    "cy": {
        "t1": [("Ada Lovelace", "PER"), ("Charles Babbage", "PER"), ("London", "LOC")],
        "t3": [("Nothing", "ORG")],
    },
}


def make_project(tmp_path, labels=LABELS, **task):
    task.setdefault("classes", CLASSES)
    schema = wb.Schema(
        (wb.Classification("topic", classes=["a", "b"]), wb.TextSpans("ents", **task))
    )
    p = wb.Project(tmp_path / "p.db", schema=schema, annotator="me")
    p.add_texts(list(TEXTS.values()), ids=list(TEXTS))
    for who, items in labels.items():
        for iid, spans in items.items():
            value = [sp(TEXTS[iid], piece, cls) for piece, cls in spans]
            p.label(iid, value, task="ents", annotator=who)
    return p


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path)
    yield p
    p.close()


def reference_alpha(project, task="ents", unit="char", cls=None):
    """Krippendorff's alpha from the krippendorff package, over the units of every item two
    or more annotators labeled (annotators × units, NaN where one did not label the item)."""
    wide = wb.audit.annotator_labels(project, task)
    names = list(wide.columns)
    spec = project.schema.task(task)
    blocks = []
    for iid, row in wide.iterrows():
        labeled = {a: v for a, v in row.items() if isinstance(v, dict)}
        if len(labeled) < 2:
            continue
        text = TEXTS[iid]
        units = (
            [(i, i + 1) for i in range(len(text))]
            if unit == "char"
            else tokenize(text, spec.tokens or "words")
        )
        block = np.full((len(names), len(units)), np.nan)
        for a, v in labeled.items():
            for u, (s, e) in enumerate(units):
                covering = sorted(
                    {x["class"] for x in v["spans"] if x["start"] < e and s < x["end"]}
                )
                if cls is not None:
                    code = float(cls in covering)
                elif not covering:
                    code = 0.0
                else:  # a set of classes as one code
                    code = float(sum(1 << (CLASSES.index(c) + 1) for c in covering))
                block[names.index(a), u] = code
        blocks.append(block)
    data = np.concatenate(blocks, axis=1)
    return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")


def test_pairs_f1_per_class_and_overall(project):
    result = wb.agreement.agreement(project, "ents")
    assert isinstance(result, SpanAgreement)
    assert result.items == 3  # t1 (3 people), t2 (ann, bob), t3 (ann, cy)
    pairs = result.pairs.set_index(["annotator_a", "annotator_b", "class"])
    ab = pairs.loc[("ann", "bob", ALL)]
    # t1: 1 exact match of 3 vs 3 ("Charles Babbage"); t2: 2 of 2 → 3 matched of 5 + 5.
    assert ab["items"] == 2 and (ab["spans_a"], ab["spans_b"]) == (5, 5)
    assert ab["exact_f1"] == pytest.approx(2 * 3 / 10)
    # Overlap: "Ada" inside "Ada Lovelace" matches too; London differs in class.
    assert ab["overlap_f1"] == pytest.approx(2 * 4 / 10)
    assert pairs.loc[("ann", "bob", "LOC"), "exact_f1"] == 0.0
    assert pairs.loc[("ann", "bob", "ORG"), "exact_f1"] == pytest.approx(2 * 1 / 3)
    ac = pairs.loc[("ann", "cy", ALL)]
    # t1 all 3 agree; t3: ann has none, cy one ORG.
    assert ac["items"] == 2 and ac["exact_f1"] == pytest.approx(2 * 3 / 7)
    # bob and cy share only t1.
    assert pairs.loc[("bob", "cy", ALL), "items"] == 1
    classes = result.classes
    assert list(classes.index) == [ALL, *CLASSES]
    # Pooled over the pairs: matched 3 + 3 + 1 (bob–cy: Charles Babbage) of 10 + 7 + 6 spans.
    assert classes.loc[ALL, "exact_f1"] == pytest.approx(2 * 7 / 23)
    assert classes.loc[ALL, "spans"] == 3 + 2 + 3 + 2 + 3 + 1


def test_alpha_matches_the_krippendorff_package_per_char_and_per_token(project):
    for unit in ("char", "token"):
        result = project_agreement(project, "ents", unit=unit)
        assert result.alpha == pytest.approx(reference_alpha(project, unit=unit), abs=1e-12)
        for cls in CLASSES:
            assert result.classes.loc[cls, "alpha"] == pytest.approx(
                reference_alpha(project, unit=unit, cls=cls), abs=1e-12
            )
    assert "alpha=" in repr(result)


def test_alpha_with_overlapping_spans_codes_the_set_of_classes(tmp_path):
    labels = {
        "ann": {"t1": [("Ada Lovelace", "PER"), ("Lovelace", "LOC")], "t2": [("Acme", "ORG")]},
        "bob": {"t1": [("Ada Lovelace", "PER")], "t2": [("Acme hired", "ORG")]},
    }
    p = make_project(tmp_path, labels, overlapping=True)
    result = project_agreement(p, "ents")
    assert result.alpha == pytest.approx(reference_alpha(p), abs=1e-12)
    assert result.classes.loc["LOC", "alpha"] == pytest.approx(
        reference_alpha(p, cls="LOC"), abs=1e-12
    )
    p.close()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(TEXTS)), st.sampled_from(["x", "y", "z"]),
                          st.integers(0, 40), st.integers(1, 8), st.sampled_from(CLASSES)),
                max_size=12))  # fmt: skip
def test_alpha_property_equals_the_package(tmp_path_factory, draws):
    labels: dict = {}
    for iid, who, start, length, cls in draws:
        text = TEXTS[iid]
        s = min(start, len(text) - 1)
        e = min(s + length, len(text))
        spans = labels.setdefault(who, {}).setdefault(iid, [])
        if all(e <= s2 or e2 <= s for s2, e2, _ in spans):
            spans.append((s, e, cls))
    p = wb.Project(
        tmp_path_factory.mktemp("a") / "p.db",
        schema=wb.Schema((wb.TextSpans("ents", classes=CLASSES),)),
        annotator="me",
    )
    p.add_texts(list(TEXTS.values()), ids=list(TEXTS))
    for who, items in labels.items():
        for iid, spans in items.items():
            p.label(iid, [{"start": s, "end": e, "class": c} for s, e, c in spans],
                    task="ents", annotator=who)  # fmt: skip
    result = project_agreement(p, "ents")
    if result.items == 0:
        assert np.isnan(result.alpha) and result.pairs.empty
    else:
        try:
            want = reference_alpha(p)
        except ValueError:  # the package refuses data with one value only
            want = np.nan
        if np.isnan(want):
            assert np.isnan(result.alpha)
        else:
            assert result.alpha == pytest.approx(want, abs=1e-9)
    p.close()


def test_figure_and_errors(project):
    pytest.importorskip("plotly")
    result = project_agreement(project, "ents")
    fig = result.figure("overlap")
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (3, 3) and z[0, 1] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="mode must be"):
        result.figure("fuzzy")
    with pytest.raises(ValueError, match="unit must be"):
        project_agreement(project, "ents", unit="sentence")
    with pytest.raises(wb.SchemaError, match="needs a spans task"):
        project_agreement(project, "topic")


def test_no_two_annotators_gives_nan_not_an_error(tmp_path):
    p = make_project(tmp_path, {"ann": LABELS["ann"]})
    result = project_agreement(p, "ents")
    assert result.items == 0 and result.pairs.empty and np.isnan(result.alpha)
    p.close()
