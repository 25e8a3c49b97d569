"""Text-span formats (workbench.formats): Prodigy-style JSONL, CoNLL IOB2, Label
Studio JSON, Hugging Face token-classification columns and spaCy DocBin. Round
trips are exact; what a format cannot hold is named in a warning with counts;
imports validate through the schema, all or nothing. Property tests: offsets
survive every round trip, for any Unicode text."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.formats import (
    ConllFormatError,
    DocBinFormatError,
    HfFormatError,
    LabelStudioFormatError,
    ProdigyFormatError,
    from_conll,
    from_docbin,
    from_hf_tokens,
    from_label_studio,
    from_prodigy,
    label_studio_config,
    to_conll,
    to_docbin,
    to_hf_tokens,
    to_label_studio,
    to_prodigy,
)
from workbench.kinds.spans.formats.docbin import doc_words

TEXTS = {
    "t0": "Ada Lovelace worked with Babbage in London.",
    "t1": "Marie Curie lived in Paris, France.",
    "t2": "שלום Ada! Café ﬁne 𝔘𝔫𝔦 e\u0301t\u0301e\u0301",  # RTL, ligature, astral, combining
}


def schema(**kw) -> wb.Schema:
    kw.setdefault("tokens", "words")
    ents = wb.TextSpans(
        "ents",
        classes=["PER", "ORG", "LOC"],
        relations=[wb.Relation("works_with", sources=["PER"], targets=["PER"]), "located_in"],
        attributes=[wb.Attribute("negated"), wb.Attribute("certainty", "choice", ("high", "low"))],
        **kw,
    )
    return wb.Schema((ents, wb.Classification("topic", classes=["science", "travel"])))


def sp(text, piece, cls, nth=0, **extra):
    """A span over the ``nth`` occurrence of ``piece`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(piece, start + 1)
    return {"start": start, "end": start + len(piece), "class": cls, **extra}


def labeled(root: Path, name="p.db", **kw) -> wb.Project:
    p = wb.Project(root / name, schema=schema(**kw), annotator="ann")
    p.add_texts(list(TEXTS.values()), ids=list(TEXTS))
    t0, t1, t2 = TEXTS.values()
    p.label(
        "t0",
        {
            "spans": [
                sp(t0, "Ada Lovelace", "PER", attributes={"certainty": "low"}),
                sp(t0, "Babbage", "PER", score=0.5),
                sp(t0, "London", "LOC"),
            ],
            "relations": [
                {"from": "e1", "to": "e2", "class": "works_with"},
                {"from": "e1", "to": "e3", "class": "located_in"},
            ],
        },
        task="ents",
    )
    p.label(
        "t1",
        [
            sp(t1, "Marie Curie", "PER", attributes={"negated": True}),
            sp(t1, "Paris", "LOC"),
            sp(t1, "France", "LOC"),
        ],
        task="ents",
    )
    p.label(
        "t2",
        [sp(t2, "Ada", "PER"), sp(t2, "𝔘𝔫𝔦", "ORG"), sp(t2, "e\u0301t\u0301e\u0301", "LOC")],
        task="ents",
    )
    p.label("t0", "science", task="topic")
    return p


def values(p: wb.Project, task="ents") -> dict:
    df = p.labels(task)
    return dict(zip(df["item_id"], df["label"], strict=True))


def simple(v):
    """Spans and relations without ids, attributes or scores: what IOB2 holds."""
    return [(s["start"], s["end"], s["class"]) for s in v["spans"]]


@pytest.fixture
def project(tmp_path):
    with labeled(tmp_path) as p:
        yield p


@pytest.fixture
def empty(tmp_path):
    with wb.Project(tmp_path / "q.db", schema=schema(), annotator="imp") as p:
        yield p


# -- Prodigy JSONL --------------------------------------------------------------------


def test_prodigy_round_trip_is_exact(project, empty, tmp_path):
    path = tmp_path / "out.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing lost: no warning
        records = to_prodigy(project, path=path)
    first = records[0]
    assert first["meta"] == {"item_id": "t0"} and first["answer"] == "accept"
    assert [s["label"] for s in first["spans"]] == ["PER", "PER", "LOC"]
    assert first["spans"][0]["token_start"] == 0 and first["spans"][0]["token_end"] == 1
    assert first["tokens"][1] == {"text": "Lovelace", "start": 4, "end": 12, "id": 1, "ws": True}
    rel = first["relations"][0]
    assert rel["head"] == 1 and rel["child"] == 4 and rel["label"] == "works_with"
    assert rel["head_span"]["start"] == 0 and rel["child_span"]["label"] == "PER"
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3
    # Into an empty project: the items are created with their texts and ids.
    assert from_prodigy(empty, path) == 3
    assert empty.item_ids() == ["t0", "t1", "t2"]
    assert [empty.read_item(i) for i in TEXTS] == list(TEXTS.values())
    assert values(empty) == values(project)
    # Into the same project: the same values again.
    before = values(project)
    assert from_prodigy(project, records) == 3
    assert values(project) == before


def test_prodigy_records_from_prodigy_itself(empty):
    """A record as ``rel.manual`` saves it: no ids, relations by token index only,
    rejected answers left out with a warning, items matched by text."""
    text = "Ada met Bob"
    empty.add_texts([text], ids=["x"])
    recs = [
        {
            "text": text,
            "_input_hash": 1,
            "answer": "accept",
            "tokens": [
                {"text": w, "start": s, "end": s + len(w), "id": k}
                for k, (w, s) in enumerate([("Ada", 0), ("met", 4), ("Bob", 8)])
            ],
            "spans": [
                {"start": 8, "end": 11, "label": "PER", "token_start": 2, "token_end": 2},
                {"start": 0, "end": 3, "label": "PER", "token_start": 0, "token_end": 0},
            ],
            "relations": [{"head": 0, "child": 2, "label": "works_with"}],
        },
        {"text": "Nobody here", "answer": "reject", "spans": []},
    ]
    with pytest.warns(UserWarning, match="1 record.* answered 'reject' or 'ignore'"):
        assert from_prodigy(empty, recs) == 1
    got = values(empty)["x"]
    assert [(s["id"], s["start"]) for s in got["spans"]] == [("e1", 0), ("e2", 8)]
    assert got["relations"] == [{"id": "r1", "from": "e1", "to": "e2", "class": "works_with"}]
    assert empty.item_ids() == ["x"]  # matched by its text, no item created


def test_prodigy_tokens_of_a_task_without_a_tokenizer(tmp_path):
    s = wb.Schema((wb.TextSpans("ents", classes=["PER"]),))
    with wb.Project(tmp_path / "t.db", schema=s) as p:
        p.add_texts(["Ada Lovelace"], ids=["a"])
        p.label(
            "a", [{"start": 0, "end": 3, "class": "PER"}, {"start": 5, "end": 9, "class": "PER"}]
        )
        assert "tokens" not in to_prodigy(p)[0]  # by default only for a task with a tokenizer
        with pytest.warns(UserWarning, match="changed: 1 span off token boundaries"):
            (rec,) = to_prodigy(p, tokens=True)
        assert [(x["start"], x["end"], x["token_start"], x["token_end"]) for x in rec["spans"]] == [
            (0, 3, 0, 0),
            (5, 9, 1, 1),
        ]
        with pytest.raises(ProdigyFormatError, match="strict=True"):
            to_prodigy(p, tokens=True, strict=True)


# -- CoNLL IOB2 -----------------------------------------------------------------------


def test_conll_round_trip_and_what_it_cannot_hold(project, empty, tmp_path):
    path = tmp_path / "out.conll"
    with pytest.warns(UserWarning) as caught:
        text = to_conll(project, path=path)
    (message,) = [str(w.message) for w in caught]
    assert "CoNLL IOB2 cannot hold everything" in message
    assert "2 relations (no relations in IOB2)" in message
    assert "attributes of 2 spans" in message and "score of 1 span" in message
    lines = text.splitlines()
    assert lines[:4] == ["-DOCSTART- t0", "Ada B-PER", "Lovelace I-PER", "worked O"]
    assert "" in lines  # a blank line between documents
    with pytest.raises(ConllFormatError, match="strict=True"):
        to_conll(project, strict=True)
    # Back into an empty project: the text is the tokens joined by single spaces ...
    assert from_conll(empty, path) == 3
    got = values(empty)
    assert empty.read_item("t1") == "Marie Curie lived in Paris , France ."
    t1 = empty.read_item("t1")
    assert [t1[s["start"] : s["end"]] for s in got["t1"]["spans"]] == [
        "Marie Curie",
        "Paris",
        "France",
    ]
    # ... and into the project that has the items, offsets are exact.
    before = values(project)
    assert from_conll(project, path) == 3
    after = values(project)
    for i in TEXTS:
        assert simple(after[i]) == simple(before[i])


def test_conll_reads_conll2003_and_matches_items_by_tokens(empty):
    text = "Ada Lovelace  met\tBabbage."
    empty.add_texts([text], ids=["a"])
    raw = (
        "-DOCSTART- -X- -X- O\n\n"
        "Ada NNP B-NP B-PER\nLovelace NNP I-NP I-PER\nmet VBD B-VP O\n"
        "Babbage NNP B-NP I-PER\n. . O O\n\n"
    )
    assert from_conll(empty, raw) == 1
    got = values(empty)["a"]  # the item's own text (two spaces, a tab) by its tokens
    assert [text[s["start"] : s["end"]] for s in got["spans"]] == ["Ada Lovelace", "Babbage"]
    with pytest.raises(ConllFormatError, match="line 2: tag 'B-CAT': no class 'CAT'"):
        from_conll(empty, "Ada O\nLovelace B-CAT\n")
    with pytest.raises(ConllFormatError, match="line 1: not an IOB2 tag"):
        from_conll(empty, "Ada X-PER\n\n")


def test_conll_repeated_documents_label_their_item_once(empty):
    raw = "Germany B-LOC\n3 O\n\nGermany B-LOC\n3 O\n\n"
    with pytest.warns(UserWarning, match="1 document.* repeat an earlier one"):
        assert from_conll(empty, raw) == 1
    assert [empty.read_item(i) for i in empty.item_ids()] == ["Germany 3"]
    with pytest.raises(ConllFormatError, match="line 4: item .* is also .*line 1"):
        from_conll(empty, "Germany B-LOC\n3 O\n\nGermany O\n3 O\n\n")


def test_iob2_warns_about_overlaps_and_spans_off_tokens(tmp_path):
    s = wb.Schema((wb.TextSpans("ents", classes=["PER", "ORG"], overlapping=True),))
    with wb.Project(tmp_path / "o.db", schema=s) as p:
        p.add_texts(["Ada Lovelace wrote"], ids=["a"])
        p.label(
            "a",
            [
                {"start": 0, "end": 12, "class": "PER"},
                {"start": 4, "end": 12, "class": "ORG"},
                {"start": 13, "end": 16, "class": "ORG"},
            ],
        )
        with pytest.warns(UserWarning) as caught:
            text = to_conll(p)
        (message,) = [str(w.message) for w in caught]
        assert "1 span (overlaps another: IOB2 tags one span a token)" in message
        assert "1 span widened to the token boundaries it cuts" in message
        assert "wrote B-ORG" in text


# -- Label Studio ---------------------------------------------------------------------


def test_label_studio_round_trip_is_exact(project, empty, tmp_path):
    path = tmp_path / "ls.json"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tasks = to_label_studio(project, path=path)
    result = tasks[0]["annotations"][0]["result"]
    first = result[0]
    assert first["type"] == "labels" and first["value"] == {
        "start": 0,
        "end": 12,
        "text": "Ada Lovelace",
        "labels": ["PER"],
    }
    assert {
        "id": "e1",
        "from_name": "certainty",
        "to_name": "text",
        "type": "choices",
        "value": {"start": 0, "end": 12, "text": "Ada Lovelace", "choices": ["low"]},
    } in result
    assert {
        "from_id": "e1",
        "to_id": "e2",
        "type": "relation",
        "direction": "right",
        "labels": ["works_with"],
    } in result
    config = label_studio_config(project)
    assert '<Label value="LOC"/>' in config and '<Relation value="located_in"/>' in config
    assert from_label_studio(empty, path) == 3
    assert values(empty) == values(project)


def test_label_studio_refuses_a_region_whose_text_is_not_the_items(empty):
    tasks = [
        {
            "id": 7,
            "data": {"text": "Ada met Bob"},
            "annotations": [
                {
                    "result": [
                        {
                            "id": "a",
                            "type": "labels",
                            "value": {"start": 0, "end": 3, "text": "Bob", "labels": ["PER"]},
                        }
                    ]
                }
            ],
        }
    ]
    with pytest.raises(
        LabelStudioFormatError,
        match=r"tasks\[0\] \(id 7\): result\[0\]: its "
        "text 'Bob' is not the text at 0-3",
    ):
        from_label_studio(empty, tasks)
    assert len(empty) == 0


# -- Hugging Face ---------------------------------------------------------------------


def test_hf_tokens_round_trip(project, empty):
    pytest.importorskip("datasets")
    with pytest.warns(UserWarning, match="2 relations"):
        ds = to_hf_tokens(project)
    names = ds.features["ner_tags"].feature.names
    assert names == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    row = ds[0]
    assert row["id"] == "t0" and row["tokens"][:3] == ["Ada", "Lovelace", "worked"]
    assert [names[k] for k in row["ner_tags"][:3]] == ["B-PER", "I-PER", "O"]
    assert from_hf_tokens(empty, ds) == 3
    # The texts rebuilt from the tokens: each span holds the same characters but spaces.
    for i, v in values(empty).items():
        text, original = empty.read_item(i), TEXTS[i]
        assert text == " ".join(ds[list(TEXTS).index(i)]["tokens"])
        assert [text[s["start"] : s["end"]].replace(" ", "") for s in v["spans"]] == [
            original[s["start"] : s["end"]].replace(" ", "") for s in values(project)[i]["spans"]
        ]
    before = values(project)
    assert from_hf_tokens(project, ds) == 3
    assert {i: simple(v) for i, v in values(project).items()} == {
        i: simple(v) for i, v in before.items()
    }


def test_hf_plain_columns(empty):
    cols = {"tokens": [["Ada", "met", "Bob"]], "ner_tags": [[1, 0, 1]]}
    with pytest.raises(HfFormatError, match="tag ids without tag names"):
        from_hf_tokens(empty, cols)
    names = ["O", "B-PER", "I-PER"]
    assert from_hf_tokens(empty, cols, tag_names=names) == 1
    (item,) = empty.item_ids()
    assert empty.read_item(item) == "Ada met Bob"
    assert simple(values(empty)[item]) == [(0, 3, "PER"), (8, 11, "PER")]
    with pytest.raises(HfFormatError, match="row 0: tag id 9 out of range"):
        from_hf_tokens(empty, {"tokens": [["a"]], "ner_tags": [[9]]}, tag_names=names)


# -- spaCy DocBin ---------------------------------------------------------------------


def test_docbin_round_trip_with_cats_and_user_data(project, empty, tmp_path):
    pytest.importorskip("spacy")
    path = tmp_path / "train.spacy"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_docbin(project, path=path)
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    docs = list(DocBin().from_bytes(path.read_bytes()).get_docs(Vocab()))
    assert [d.text for d in docs] == list(TEXTS.values())
    assert [(e.text, e.label_) for e in docs[0].ents] == [
        ("Ada Lovelace", "PER"),
        ("Babbage", "PER"),
        ("London", "LOC"),
    ]
    assert docs[0].cats == {"science": 1.0, "travel": 0.0} and docs[1].cats == {}
    # spaCy reads the rest back as it reads its own user_data.
    kept = docs[0].user_data["workbench"]
    assert kept["item_id"] == "t0" and len(kept["value"]["relations"]) == 2
    assert [(e.text, e.label_) for e in docs[2].ents][1] == ("𝔘𝔫𝔦", "ORG")
    assert from_docbin(empty, path) == 4  # three span labels and one topic
    assert values(empty) == values(project)
    assert values(empty, "topic") == {"t0": "science"}


def test_docbin_without_user_data_warns_and_overlaps_go_to_a_span_group(tmp_path):
    pytest.importorskip("spacy")
    with labeled(tmp_path, overlapping=True) as p:
        t0 = TEXTS["t0"]
        p.label("t0", [sp(t0, "Ada Lovelace", "PER"), sp(t0, "Lovelace", "ORG")])
        with pytest.warns(UserWarning, match="dropped fields: attributes of 1 span"):
            bin_ = to_docbin(p, user_data=False)
        from spacy.vocab import Vocab

        docs = list(bin_.get_docs(Vocab()))
        assert [(s.text, s.label_) for s in docs[0].spans["sc"]] == [
            ("Ada Lovelace", "PER"),
            ("Lovelace", "ORG"),
        ]
        with wb.Project(tmp_path / "b.db", schema=p.schema) as q:
            assert from_docbin(q, bin_) == 4  # no ids kept: items made from the texts
            assert sorted(q.read_item(i) for i in q.item_ids()) == sorted(TEXTS.values())
            assert sorted(simple(v) for v in values(q).values()) == sorted(
                simple(v) for v in values(p).values()
            )


def test_docbin_from_spacy_itself(empty):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    doc = nlp("Ada Lovelace lived in London.")
    doc.ents = [doc.char_span(0, 12, "PER"), doc.char_span(22, 28, "LOC")]
    assert from_docbin(empty, DocBin(docs=[doc]).to_bytes()) == 1
    (item,) = empty.item_ids()
    assert empty.read_item(item) == doc.text
    assert simple(values(empty)[item]) == [(0, 12, "PER"), (22, 28, "LOC")]
    doc.ents = [doc.char_span(0, 12, "CAT")]
    with pytest.raises(DocBinFormatError, match="doc 0: .*no class 'CAT'"):
        from_docbin(empty, DocBin(docs=[doc]).to_bytes())


@pytest.mark.parametrize(
    "fmt, export, load, needs",
    [
        ("Prodigy", to_prodigy, from_prodigy, None),
        ("Label Studio", to_label_studio, from_label_studio, None),
        ("CoNLL", to_conll, from_conll, None),
        ("DocBin", to_docbin, from_docbin, "spacy"),
        ("Hugging Face", to_hf_tokens, from_hf_tokens, "datasets"),
    ],
)
def test_every_text_format_shows_its_progress_when_asked(project, capsys, fmt, export, load,
                                                          needs):  # fmt: skip
    """Each export and import counts its documents in a progress bar with
    ``progress=True``, and shows none with ``progress=False`` (nor, by default,
    for a few documents)."""
    if needs:
        pytest.importorskip(needs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the lossy formats say what they leave out
        data = export(project, progress=True)
        err = capsys.readouterr().err
        assert f"{fmt} export" in err and "3/3" in err, err
        assert load(project, data, progress=True) >= 3  # DocBin adds the cats
        err = capsys.readouterr().err
        assert f"{fmt} import" in err and "3/3" in err, err
        export(project, progress=False)
        load(project, data, progress=False)
        export(project)
        load(project, data)
    assert "3/3" not in capsys.readouterr().err


def test_doc_words_keep_the_text_and_every_offset():
    text = "  Ada  Lovelace,\n the first "
    words, spaces = doc_words(
        [(2, 5), (7, 15), (15, 16), (18, 21), (22, 27)], text, {6, 2, 18}, {15, 7, 21}
    )
    assert "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) == text
    ends, pos = set(), 0
    for w, s in zip(words, spaces, strict=True):
        ends.add((pos, pos + len(w)))
        pos += len(w) + s
    starts = {a for a, _ in ends}
    assert {6, 2, 18} <= starts and {15, 7, 21} <= {b for _, b in ends}


# -- import errors: all or nothing ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["prodigy", "label_studio"])
def test_a_bad_document_stores_nothing(project, fmt):
    good = to_prodigy(project) if fmt == "prodigy" else to_label_studio(project)
    bad = json.loads(json.dumps(good))
    if fmt == "prodigy":
        bad[2]["spans"][0]["label"] = "CAT"
        call, err, match = from_prodigy, ProdigyFormatError, r"record 3: .*no class 'CAT'"
    else:
        bad[2]["annotations"][0]["result"][0]["value"]["labels"] = ["CAT"]
        call, err, match = from_label_studio, LabelStudioFormatError, r"tasks\[2\].*no class 'CAT'"
    bad.append(
        {"text": "a new one", "spans": [], "meta": {"item_id": "new"}}
        if fmt == "prodigy"
        else {"data": {"text": "a new one", "item_id": "new"}, "annotations": []}
    )
    log, items = project.events(), project.item_ids()
    with pytest.raises(err, match=match):
        call(project, bad)
    pd.testing.assert_frame_equal(project.events(), log)
    assert project.item_ids() == items  # no item created either
    # Offsets outside the text, named by document.
    bad = json.loads(json.dumps(good))
    if fmt == "prodigy":
        bad[1]["spans"][-1]["end"] = 999
    else:
        bad[1]["annotations"][0]["result"][-1]["value"].update(end=999, text=None)
    with pytest.raises(err, match="ends past the text, which has 35 characters"):
        call(project, bad)
    pd.testing.assert_frame_equal(project.events(), log)


def test_a_label_the_store_would_refuse_is_the_imports_error(project, monkeypatch):
    """A document whose label is over the store's size limit: the format's error,
    naming the document, before anything is written (not the store's error
    halfway)."""
    import workbench.store.base as base

    recs = to_prodigy(project)
    log, items = project.events(), project.item_ids()
    monkeypatch.setattr(base, "MAX_VALUE_BYTES", 200)  # the first label is larger
    with pytest.raises(ProdigyFormatError, match=r"record 1: .*at most 200 bytes of JSON"):
        from_prodigy(project, recs)
    pd.testing.assert_frame_equal(project.events(), log)
    assert project.item_ids() == items


def test_a_file_whose_text_is_not_the_items_is_refused(project):
    recs = to_prodigy(project)
    recs[0]["text"] = recs[0]["text"].upper()
    with pytest.raises(ProdigyFormatError, match="record 1: its text is not the text of item 't0'"):
        from_prodigy(project, recs)


# -- properties: offsets survive every round trip, for any Unicode text --------------

_ALPHABET = st.sampled_from(
    list("ab ,.\n\t") + ["é", "e\u0301", "\u05e9", "\u0644", "𝔘", "😀", "\u200f", "ﬁ", "\u0300"]
)
_TEXT = st.one_of(
    st.text(min_size=1, max_size=40),
    st.lists(_ALPHABET, min_size=1, max_size=30).map("".join),  # RTL, combining, astral
)
_HC = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
_STATE: dict[str, object] = {}


def _projects(tokens):
    """Two projects per tokenizer, made once: the source and the target of the trips."""
    key = f"p-{tokens}"
    if key not in _STATE:
        root = Path(tempfile.mkdtemp(prefix="wb-spanfmt-"))
        s = wb.Schema(
            (wb.TextSpans("ents", classes=["PER", "ORG"], relations=["rel"], tokens=tokens),)
        )
        _STATE[key] = (wb.Project(root / "a.db", schema=s), wb.Project(root / "b.db", schema=s))
    return _STATE[key]


def _one_item(p, text):
    from workbench.items import _text_id

    item = _text_id(text)
    if item not in set(p.item_ids()):
        p.add_texts([text])
    return item


@settings(max_examples=40, deadline=None, suppress_health_check=_HC)
@given(_TEXT, st.data())
def test_offsets_survive_every_character_round_trip(text, data):
    """Prodigy, Label Studio and DocBin keep any offsets of any text exactly."""
    a, b = _projects(None)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), min_size=2, max_size=6)))
    pieces = list(zip(cuts, cuts[1:], strict=False))
    value = {
        "spans": [
            {"start": s, "end": e, "class": data.draw(st.sampled_from(["PER", "ORG"]))}
            for s, e in pieces
        ],
        "relations": [],
    }
    if len(pieces) > 1:
        value["relations"] = [{"from": "e1", "to": "e2", "class": "rel"}]
    item = _one_item(a, text)
    a.label(item, value)
    want = values(a)[item]
    trips = [(to_prodigy, from_prodigy), (to_label_studio, from_label_studio)]
    try:
        import spacy  # noqa: F401

        trips.append((to_docbin, from_docbin))
    except ImportError:  # pragma: no cover
        pass
    for to, back in trips:
        out = to(a)
        if to is not to_docbin:
            out = json.loads(json.dumps(out, ensure_ascii=False))
        back(b, out)
        got = values(b)[item]
        assert got == want, to.__name__
        assert b.read_item(item) == text
        assert [text[s["start"] : s["end"]] for s in got["spans"]] == [text[x:y] for x, y in pieces]


@settings(max_examples=40, deadline=None, suppress_health_check=_HC)
@given(_TEXT, st.data())
def test_offsets_on_tokens_survive_iob2_round_trips(text, data):
    """CoNLL and Hugging Face columns keep spans on token boundaries exactly when the
    item's text is known, and name the same characters when it is rebuilt."""
    from workbench.kinds.spans.schema import tokenize

    a, b = _projects("words")
    tokens = tokenize(text, "words")
    if not tokens:
        return
    picks = sorted(data.draw(st.sets(st.integers(0, len(tokens)), min_size=2, max_size=6)))
    spans = [
        {"start": tokens[x][0], "end": tokens[y - 1][1], "class": "PER"}
        for x, y in zip(picks, picks[1:], strict=False)
    ]
    item = _one_item(a, text)
    a.label(item, spans)
    want = simple(values(a)[item])
    trips = [("conll", lambda: to_conll(a), lambda out, p: from_conll(p, out + "\n"))]
    try:
        import datasets  # noqa: F401

        trips.append(("hf", lambda: to_hf_tokens(a), lambda out, p: from_hf_tokens(p, out)))
    except ImportError:  # pragma: no cover
        pass
    for name, to, back in trips:
        out = to()
        back(out, b)  # b has no item: created from the joined tokens
        rebuilt = b.read_item(item)
        got = values(b)[item]
        assert [rebuilt[s["start"] : s["end"]].split() for s in got["spans"]] == [
            [text[a_:b_] for a_, b_ in tokens if x <= a_ and b_ <= y] for x, y, _ in want
        ], name
        back(out, a)  # a has it: offsets exact
        assert simple(values(a)[item]) == want, name
