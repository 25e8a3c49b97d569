"""Pre-labeling a text-span task: the dictionary/regex matcher, plain callables, a spaCy
blank pipeline and a tiny torch token-classification model, over a real project on disk,
with the stored pre-labels checked span by span."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.kinds.spans.prelabel import SpanPrelabels
from workbench.kinds.spans.schema import tokenize
from workbench.kinds.spans.tags import decode, parse_tags, token_classes

TEXTS = {
    "a": "Acme Corp hired Ada in 1999.",
    "b": "Initech and Acmetron merged in 2003; acme did not.",
    "c": "nothing here",
}


def make_project(tmp_path, **task):
    task.setdefault("classes", ["ORG", "PER", "YEAR"])
    spans = wb.TextSpans("ents", **task)
    schema = wb.Schema((wb.Classification("topic", classes=["news", "other"]), spans))
    p = wb.Project(tmp_path / "p.db", schema=schema, annotator="me")
    p.add_texts(list(TEXTS.values()), ids=list(TEXTS))
    return p


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path, tokens="words")
    yield p
    p.close()


def stored(project, task="ents"):
    """``{item_id: [(text, class, score), ...]}`` of the latest pre-labels."""
    got = project.store.prelabels(task, project.item_ids())
    return {
        iid: [(TEXTS[iid][s["start"] : s["end"]], s["class"], s.get("score")) for s in v["spans"]]
        for iid, (v, _) in got.items()
    }


# -- the matcher ---------------------------------------------------------------------------


def test_matcher_prelabels_longest_first_on_the_task_tokens(project):
    m = wb.SpanMatcher(
        {"ORG": ["Acme", "Acme Corp", "Initech"], "YEAR": re.compile(r"\d{4}")}, ignore_case=True
    )
    result = project.prelabel(m, task="ents", progress=False)
    assert isinstance(result, SpanPrelabels)
    assert (result.items, result.spans, result.n_skipped) == (3, 5, 0)
    assert result.model == "matcher@1"
    assert stored(project) == {
        "a": [("Acme Corp", "ORG", 1.0), ("1999", "YEAR", 1.0)],
        # "Acmetron" holds "Acme" but not on a token boundary; "acme" matches ignoring case.
        "b": [("Initech", "ORG", 1.0), ("2003", "YEAR", 1.0), ("acme", "ORG", 1.0)],
        "c": [],
    }
    events = project.events()
    pre = events[events["kind"] == "prelabel"]
    assert set(pre["annotator"]) == {"model:matcher@1"} and len(pre) == 3
    # A second run is the next version.
    assert project.prelabel(m, task="ents", progress=False).model == "matcher@2"


def test_matcher_without_tokenizer_matches_whole_words_and_respects_overlap(tmp_path):
    p = make_project(tmp_path, overlapping=True)
    m = wb.SpanMatcher({"ORG": ["Acme", "Acme Corp"], "PER": "Corp hired"})
    p.prelabel(m, task="ents", progress=False)
    got = stored(p)
    # Overlapping task: every whole-word match is kept.
    assert got["a"] == [("Acme", "ORG", 1.0), ("Acme Corp", "ORG", 1.0),
                        ("Corp hired", "PER", 1.0)]  # fmt: skip
    assert got["b"] == []  # "Acmetron": not a whole word; "acme": case matters
    p.close()
    # Longest first: "Corp hired" is taken, "Acme Corp" overlaps it, "Acme" does not.
    assert m("Acme Corp hired", overlapping=False) == [
        {"start": 0, "end": 4, "class": "ORG", "score": 1.0},
        {"start": 5, "end": 15, "class": "PER", "score": 1.0},
    ]


ENTRIES = {"A": ["ab", "abc", "b c"], "B": ["c", "é́", "bé"], "C": [re.compile(r"\d+")]}


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="abc é́ 12 ,\u05d0\u0301", max_size=40),
    tokens=st.sampled_from([None, "whitespace", "words"]),
    overlapping=st.booleans(),
)
def test_matcher_property_every_match_is_an_entry_inside_the_text(text, tokens, overlapping):
    m = wb.SpanMatcher(ENTRIES)
    found = m(text, tokens=tokens, overlapping=overlapping)
    bounds = None
    if tokens is not None:
        toks = tokenize(text, tokens)
        bounds = ({s for s, _ in toks}, {e for _, e in toks})
    for f in found:
        assert 0 <= f["start"] < f["end"] <= len(text)
        piece = text[f["start"] : f["end"]]
        literal = [e for e in ENTRIES[f["class"]] if isinstance(e, str)]
        assert piece in literal or (f["class"] == "C" and piece.isdigit())
        if bounds is not None:
            assert f["start"] in bounds[0] and f["end"] in bounds[1]
    if not overlapping:
        for x, y in zip(found, found[1:], strict=False):
            assert x["end"] <= y["start"]
    # A text that is exactly one entry is found whole (the longest match there).
    literals = {e for entries in ENTRIES.values() for e in entries if isinstance(e, str)}
    if tokens is None and text in literals:
        assert any(f["start"] == 0 and f["end"] == len(text) for f in found)


def test_matcher_refuses_bad_entries():
    with pytest.raises(wb.SchemaError, match="non-empty"):
        wb.SpanMatcher({})
    with pytest.raises(wb.SchemaError, match="an entry is a string"):
        wb.SpanMatcher({"ORG": [3]})


# -- callables -----------------------------------------------------------------------------


def test_callable_spans_outside_unknown_and_off_tokens_are_reported_not_stored(project):
    def model(text):
        if text.startswith("Acme"):
            return [
                (0, 4, "ORG", 0.9),  # kept
                {"start": 16, "end": 19, "class": "PERSON", "score": 0.8},  # mapped to PER
                (23, 27, "YEAR"),  # kept, no score
                (1, 4, "ORG"),  # off the tokens ("cme")
                (20, 99, "ORG"),  # outside the text
                (5, 9, "LOC", 0.7),  # unknown class
                (0, 9, "ORG", 0.4),  # overlaps the 0.9 span: lower score, dropped
                (10, 15, "GPE"),  # dropped by label_map
                "junk",  # malformed
            ]
        return {"spans": [], "relations": []}

    with pytest.warns(UserWarning, match=r"5 of the model's spans were not stored") as rec:
        result = project.prelabel(model, task="ents", label_map={"PERSON": "PER", "GPE": None},
                                  progress=False)  # fmt: skip
    msg = str(rec[0].message)
    for part in ("1 outside the text", "1 unknown class", "1 off the tokens", "1 overlapping",
                 "1 malformed"):  # fmt: skip
        assert part in msg
    assert result.skipped == {"outside the text": 1, "unknown class": 1, "off the tokens": 1,
                              "overlapping": 1, "malformed": 1}  # fmt: skip
    assert stored(project)["a"] == [("Acme", "ORG", 0.9), ("Ada", "PER", 0.8),
                                    ("1999", "YEAR", None)]  # fmt: skip
    assert result.frame.set_index("item_id").loc["a", "skipped"] == 5
    ev = project.store.prelabels("ents", ["a"])["a"]
    assert ev[1] == pytest.approx(0.85)  # the event's score: mean of its spans' scores


def test_snap_to_tokens_widens_instead_of_skipping(project):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        project.prelabel(lambda t: [(1, 3, "ORG")] if t.startswith("Acme") else [],
                         task="ents", snap_to_tokens=True, ids=["a"], progress=False)  # fmt: skip
    assert stored(project)["a"] == [("Acme", "ORG", None)]


def test_bad_options_are_named(project):
    with pytest.raises(TypeError, match="features="):
        project.prelabel(lambda t: [], task="ents", features=np.zeros((3, 2)))
    with pytest.raises(TypeError, match="encode="):
        project.prelabel(lambda t: [], task="ents", encode=len)
    with pytest.raises(wb.SchemaError, match="label_map names 'NOPE'"):
        project.prelabel(lambda t: [], task="ents", label_map={"X": "NOPE"}, progress=False)
    with pytest.raises(TypeError, match="model must be"):
        project.prelabel(42, task="ents")
    with pytest.raises(ValueError, match="min_score"):
        project.prelabel(lambda t: [], task="ents", min_score=2)


def test_write_events_false_and_min_score(project):
    result = wb.prelabel.prelabel(
        project, lambda t: [(0, 4, "ORG", 0.2)] if t.startswith("Acme") else [],
        task="ents", min_score=0.5, write_events=False, progress=False,
    )  # fmt: skip
    assert result.spans == 0 and not result.written
    assert project.store.prelabels("ents", project.item_ids()) == {}


# -- spaCy --------------------------------------------------------------------------------


def test_spacy_blank_pipeline_with_an_entity_ruler(project):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "ORG", "pattern": "Initech"},
        {"label": "ORG", "pattern": [{"LOWER": "acme"}, {"LOWER": "corp"}]},
        {"label": "DATE", "pattern": [{"SHAPE": "dddd"}]},
        {"label": "PERSON", "pattern": "Ada"},
    ])  # fmt: skip
    result = project.prelabel(nlp, task="ents", label_map={"DATE": "YEAR", "PERSON": "PER"},
                              batch_size=2, progress=False)  # fmt: skip
    assert result.model == "en_pipeline@1"
    assert stored(project) == {
        "a": [("Acme Corp", "ORG", None), ("Ada", "PER", None), ("1999", "YEAR", None)],
        "b": [("Initech", "ORG", None), ("2003", "YEAR", None)],
        "c": [],
    }


def test_spacy_span_group_and_unknown_labels(project):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import Span

    nlp = spacy.blank("en")

    @spacy.Language.component("year_spans")
    def year_spans(doc):
        group = [Span(doc, t.i, t.i + 1, label="YEAR") for t in doc if t.shape_ == "dddd"]
        group += [Span(doc, 0, 1, label="THING")]
        doc.spans["sc"] = group
        doc.spans["sc"].attrs["scores"] = [0.75] * (len(group) - 1) + [0.5]
        return doc

    nlp.add_pipe("year_spans")
    with pytest.warns(UserWarning, match="3 unknown class"):
        project.prelabel(nlp, task="ents", spans_key="sc", progress=False)
    assert stored(project)["a"] == [("1999", "YEAR", 0.75)]
    with pytest.raises(wb.WorkbenchError, match="no doc.spans"):
        project.prelabel(nlp, task="ents", spans_key="nope", progress=False)


# -- torch --------------------------------------------------------------------------------


def test_torch_token_classifier_bio_in_padded_batches(project):
    torch = pytest.importorskip("torch")
    tags = ["O", "B-ORG", "I-ORG", "B-PER", "I-PER", "B-YEAR", "I-YEAR"]
    vocab = {"<pad>": 0, "<cls>": 1, "acme": 2, "corp": 3, "ada": 4, "1999": 5, "2003": 6,
             "initech": 7}  # fmt: skip
    tag_of = {2: "B-ORG", 3: "I-ORG", 4: "B-PER", 5: "B-YEAR", 6: "B-YEAR", 7: "B-ORG"}

    class Tagger(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(len(vocab) + 1, len(tags))
            with torch.no_grad():
                self.emb.weight.fill_(-4.0)
                self.emb.weight[:, 0] = 4.0
                for i, t in tag_of.items():
                    self.emb.weight[i, 0] = -4.0
                    self.emb.weight[i, tags.index(t)] = 4.0
            self.shapes = []

        def forward(self, input_ids, attention_mask):
            self.shapes.append(tuple(input_ids.shape))
            assert attention_mask.shape == input_ids.shape
            return self.emb(input_ids)  # logits, B × T × C

    def encode(text):
        toks = tokenize(text, "words")
        ids = [1] + [vocab.get(text[s:e].lower(), len(vocab)) for s, e in toks]
        offsets = [(0, 0), *toks]  # a special first token, skipped
        return {"input_ids": torch.tensor(ids), "attention_mask": torch.ones(len(ids))}, offsets

    model = Tagger().train()
    result = project.prelabel(model, task="ents", encode=encode, tags=tags, batch_size=2,
                              device="auto", progress=False)  # fmt: skip
    assert model.training  # given back in its own mode
    assert model.shapes == [(2, 12), (1, 3)]  # two padded batches
    got = stored(project)
    assert [(t, c) for t, c, _ in got["a"]] == [("Acme Corp", "ORG"), ("Ada", "PER"),
                                                ("1999", "YEAR")]  # fmt: skip
    assert [(t, c) for t, c, _ in got["b"]] == [("Initech", "ORG"), ("2003", "YEAR"),
                                                ("acme", "ORG")]  # fmt: skip
    p = float(torch.softmax(torch.tensor([4.0] + [-4.0] * 6), 0)[0])
    assert all(s == pytest.approx(p, abs=1e-5) for v in got.values() for _, _, s in v)
    assert result.spans == 6


def test_torch_wrong_output_shape_is_named(project):
    torch = pytest.importorskip("torch")

    class Bad(torch.nn.Module):
        def forward(self, x):
            return torch.zeros(x.shape[0], x.shape[1], 2)

    def encode(text):
        toks = tokenize(text, "words")
        return torch.zeros(len(toks), dtype=torch.long), toks

    with pytest.raises(wb.WorkbenchError, match=r"expected \(2, T, 4\)"):
        project.prelabel(Bad(), task="ents", encode=encode, batch_size=2, progress=False)
    with pytest.raises(TypeError, match="needs encode="):
        project.prelabel(Bad(), task="ents")


# -- tags ---------------------------------------------------------------------------------


def test_decode_io_and_bio_and_token_classes_round_trip():
    text = "Ada Lovelace met Acme Corp"
    toks = tokenize(text, "words")
    value = {"spans": [{"start": 0, "end": 12, "class": "PER"},
                       {"start": 17, "end": 26, "class": "ORG"}]}  # fmt: skip
    io = token_classes(value, toks, ["ORG", "PER"])
    assert io.tolist() == [2, 2, 0, 1, 1]
    spans = decode(io, np.ones(5), toks, parse_tags(["O", "ORG", "PER"]))
    assert [(s, e, c) for s, e, c, _ in spans] == [(0, 12, "PER"), (17, 26, "ORG")]
    bio = parse_tags(["O", "B-PER", "I-PER"])
    # B starts a new span even after the same class; I after O starts one (lenient).
    got = decode(np.array([1, 1, 0, 2, 2]), np.full(5, 0.5), toks, bio)
    assert [(s, e) for s, e, _, _ in got] == [(0, 3), (4, 12), (17, 26)]


def test_an_item_that_is_not_a_text_is_named(tmp_path):
    p = wb.Project(tmp_path / "i.db", schema=wb.Schema((wb.TextSpans("ents", classes=["ORG"]),)))
    p.add_arrays(np.zeros((1, 4, 4), np.uint8), ids=["img"])
    with pytest.raises(wb.SchemaError, match="item 'img' is not a text"):
        p.prelabel(wb.SpanMatcher({"ORG": "Acme"}), task="ents", progress=False)
    assert p.store.prelabels("ents", ["img"]) == {}
    p.close()
