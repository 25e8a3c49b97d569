"""Attacks on the text-span format readers: Prodigy JSONL, CoNLL, Label Studio,
Hugging Face columns and spaCy DocBin files an attacker wrote.

Each import is refused with the format's own error (a WorkbenchError, never a
bare MemoryError, RecursionError, KeyError or TypeError), naming the file and
the document; the event log and the items are unchanged.
"""

from __future__ import annotations

import json
import os
import zlib
from collections import Counter

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
import workbench.files
from tests.quick import examples
from workbench.formats import (
    ConllFormatError,
    DocBinFormatError,
    HfFormatError,
    LabelStudioFormatError,
    ProdigyFormatError,
    SpanFormatError,
    from_conll,
    from_docbin,
    from_hf_tokens,
    from_label_studio,
    from_prodigy,
)
from workbench.kinds.spans.formats import docbin

TEXT = "Ada met Bob in Rome."


def schema() -> wb.Schema:
    return wb.Schema(
        (
            wb.TextSpans(
                "ents",
                classes=["PER", "LOC"],
                relations=["met"],
                attributes=[wb.Attribute("negated")],
            ),
        )
    )


@pytest.fixture
def project(tmp_path):
    with wb.Project(tmp_path / "p.db", schema=schema(), annotator="ann") as p:
        p.add_texts([TEXT], ids=["a"])
        p.label("a", [{"start": 0, "end": 3, "class": "PER"}])
        yield p


def refused(project, call, error, match):
    log, items = project.events(), project.item_ids()
    with pytest.raises(error, match=match):
        call()
    pd.testing.assert_frame_equal(project.events(), log)
    assert project.item_ids() == items


def record(**span):
    base = {"start": 0, "end": 3, "label": "PER"}
    return {"text": TEXT, "meta": {"item_id": "a"}, "spans": [{**base, **span}]}


@pytest.mark.parametrize(
    "span, match",
    [
        ({"end": 10**30}, "end must be a whole number"),
        ({"end": 2**31}, "end must be a whole number"),
        ({"start": -1}, "start must be a whole number"),
        ({"start": "0"}, "start must be a whole number"),
        ({"start": True}, "start must be a whole number"),
        ({"start": 0.5}, "start must be a whole number"),
        ({"start": None}, "start must be a whole number"),
        ({"end": float("nan")}, "end must be a whole number"),
        ({"end": 22}, "ends past the text, which has 21 characters"),
        ({"label": "CAT"}, "no class 'CAT'"),
        ({"label": ["PER"]}, "no class"),
        ({"attributes": {"evil": 1}}, "no attribute 'evil'"),
        ({"attributes": "x"}, "attributes must be a dict"),
        ({"score": 2}, "score must be a number from 0 to 1"),
        ({"id": {"a": 1}}, "id must be a string"),
    ],
)
def test_prodigy_hostile_spans_are_refused(project, span, match):
    recs = [record(), record(**span) | {"meta": {"item_id": "b"}, "text": TEXT + " "}]
    refused(
        project, lambda: from_prodigy(project, recs), ProdigyFormatError, f"record 2: .*{match}"
    )


@pytest.mark.parametrize(
    "rec, match",
    [
        ({"text": 5}, "field 'text': a string"),
        ({"text": TEXT, "spans": {"start": 0}}, "field 'spans': a list"),
        ({"text": TEXT, "spans": ["x"]}, r"spans\[0\]: an object"),
        ({"text": TEXT, "meta": []}, "field 'meta': an object"),
        ({"text": TEXT, "meta": {"item_id": [1]}}, "meta.item_id"),
        ({"text": TEXT, "answer": "maybe"}, "field 'answer'"),
        ({"text": TEXT, "relations": "x"}, "field 'relations': a list"),
        (
            {
                "text": TEXT,
                "spans": [{"start": 0, "end": 3, "label": "PER"}],
                "relations": [
                    {
                        "head_span": {"start": 4, "end": 7},
                        "child_span": {"start": 0, "end": 3},
                        "label": "met",
                    }
                ],
            },
            "head_span .* is no span of the record",
        ),
        (
            {
                "text": TEXT,
                "spans": [{"start": 0, "end": 3, "label": "PER"}],
                "relations": [{"head": 7, "child": 0, "label": "met"}],
            },
            "head names no span",
        ),
        ("not an object", "a record is a JSON object"),
    ],
)
def test_prodigy_malformed_records_are_refused(project, rec, match):
    refused(project, lambda: from_prodigy(project, [rec]), ProdigyFormatError, match)


def test_prodigy_files_deeply_nested_oversize_or_not_files(project, tmp_path, monkeypatch):
    deep = tmp_path / "deep.jsonl"
    deep.write_text(json.dumps(record()) + "\n" + "[" * 200_000 + "]" * 200_000 + "\n")
    refused(
        project,
        lambda: from_prodigy(project, deep),
        ProdigyFormatError,
        "deep.jsonl: line 2: (JSON nested too deeply|not JSON)",
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe{}\n")
    refused(project, lambda: from_prodigy(project, bad), ProdigyFormatError, "not UTF-8")
    big = tmp_path / "big.jsonl"
    big.write_text(json.dumps(record()) * 10)
    monkeypatch.setattr(workbench.files, "MAX_DATASET_BYTES", 100)
    refused(
        project,
        lambda: from_prodigy(project, big),
        ProdigyFormatError,
        "bytes, more than the 100 this importer reads",
    )
    refused(
        project, lambda: from_prodigy(project, tmp_path), ProdigyFormatError, "not a regular file"
    )
    refused(
        project,
        lambda: from_prodigy(project, tmp_path / "none.jsonl"),
        ProdigyFormatError,
        "no such file",
    )
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        refused(
            project,
            lambda: from_prodigy(project, tmp_path / "fifo"),
            ProdigyFormatError,
            "not a regular file",
        )


def test_label_studio_hostile_files(project, tmp_path):
    def task(*result, text=TEXT):
        return {
            "id": 1,
            "data": {"text": text, "item_id": "a"},
            "annotations": [{"result": list(result)}],
        }

    region = {"id": "x", "type": "labels", "value": {"start": 0, "end": 3, "labels": ["PER"]}}
    cases = [
        (
            [task({**region, "value": {"start": -5, "end": 3, "labels": ["PER"]}})],
            "start must be a whole number",
        ),
        (
            [task({**region, "value": {"start": 0, "end": 10**40, "labels": ["PER"]}})],
            "end must be a whole number",
        ),
        (
            [task({**region, "value": {"start": 0, "end": 3, "labels": ["PER", "LOC"]}})],
            "a region with one label",
        ),
        (
            [task({**region, "value": {"start": 0, "end": 3, "labels": ["EVIL"]}})],
            "no class 'EVIL'",
        ),
        (
            [
                task(
                    region,
                    {"type": "relation", "from_id": "x", "to_id": "ghost", "labels": ["met"]},
                )
            ],
            "to names no span of the item: 'ghost'",
        ),
        (
            [task(region, {"type": "relation", "from_id": "x", "to_id": "x", "labels": ["met"]})],
            "two different spans",
        ),
        ([task(region, region)], "region id 'x' is used twice"),
        ([task({**region, "type": "rectanglelabels"})], "type 'rectanglelabels'"),
        (
            [
                task(
                    region,
                    {
                        "id": "x",
                        "from_name": "evil",
                        "type": "choices",
                        "value": {"choices": ["true"]},
                    },
                )
            ],
            "for no span and attribute",
        ),
        (
            [
                task(
                    region,
                    {
                        "id": "x",
                        "from_name": "negated",
                        "type": "choices",
                        "value": {"choices": ["perhaps"]},
                    },
                )
            ],
            "'true' or 'false'",
        ),
        ([task(region, text=["x"])], "data.text"),
        ([{"id": 1, "data": "x"}], "field 'data'"),
        ({"not": "a list"}, "field 'data'"),
        (5, "a list of tasks"),
    ]
    for tasks, match in cases:
        refused(
            project,
            lambda tasks=tasks: from_label_studio(project, tasks),
            LabelStudioFormatError,
            match,
        )
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    refused(
        project,
        lambda: from_label_studio(project, deep),
        LabelStudioFormatError,
        "(nested too deeply|not JSON)",
    )
    digits = tmp_path / "digits.json"
    digits.write_text('[{"id": ' + "9" * 5000 + "}]")
    refused(project, lambda: from_label_studio(project, digits), LabelStudioFormatError, "not JSON")


def test_conll_hostile_files(project, tmp_path):
    cases = [
        ("Ada B-PER\nmet\n\n", "line 2: a token and its tag"),
        ("Ada B-EVIL\n\n", "line 1: tag 'B-EVIL': no class 'EVIL'"),
        ("Ada B-\n\n", "not an IOB2 tag"),
        ("Ada PER\n\n", "not an IOB2 tag"),
        ("-DOCSTART- a\nEve B-PER\n\n", "token 0 'Eve' does not follow"),
    ]
    for raw, match in cases:
        refused(project, lambda raw=raw: from_conll(project, raw), ConllFormatError, match)
    binary = tmp_path / "bin.conll"
    binary.write_bytes(os.urandom(64) + b"\xff\n")
    refused(project, lambda: from_conll(project, binary), ConllFormatError, "not UTF-8")
    with pytest.raises(ConllFormatError, match="2 documents, but 1 ids given"):
        from_conll(project, "a O\n\nb O\n\n", ids=["x"])


def test_hf_hostile_columns(project):
    names = ["O", "B-PER", "I-PER"]
    cases = [
        ({"tokens": [["Ada"]]}, "no column 'ner_tags'"),
        ({"tokens": [["Ada"]], "ner_tags": [[0], [0]]}, "different lengths"),
        ({"tokens": [["Ada met"]], "ner_tags": [[0]]}, "without spaces"),
        ({"tokens": [[""]], "ner_tags": [[0]]}, "non-empty strings"),
        ({"tokens": ["Ada"], "ner_tags": [[0]]}, "a list of non-empty strings"),
        ({"tokens": [["Ada"]], "ner_tags": [[-1]]}, "tag id -1 out of range"),
        ({"tokens": [["Ada"]], "ner_tags": [[True]]}, "a tag id or name"),
        ({"tokens": [["Ada"]], "ner_tags": [[0, 0]]}, "one tag a token"),
        ({"tokens": [["Ada"]], "ner_tags": [["B-EVIL"]]}, "no class 'EVIL'"),
        ({"tokens": [["Ada"]], "ner_tags": [[0]], "id": [["a"]]}, "an item id"),
    ]
    for cols, match in cases:
        refused(
            project,
            lambda cols=cols: from_hf_tokens(project, cols, tag_names=names),
            HfFormatError,
            match,
        )


def test_docbin_hostile_files(project, tmp_path, monkeypatch):
    pytest.importorskip("spacy")
    cases = [
        (b"not zlib at all", "not a spaCy DocBin"),
        (zlib.compress(b"\x93\x01\x02"), "not a spaCy DocBin"),
        (zlib.compress(b"\xde\x00\x01\xa5attrs\xc0"), "not a spaCy DocBin"),
    ]
    for raw, match in cases:
        refused(project, lambda raw=raw: from_docbin(project, raw), DocBinFormatError, match)
    bomb = zlib.compress(b"\0" * (8 << 20), 9)
    monkeypatch.setattr(docbin, "MAX_DECOMPRESSED_BYTES", 1 << 20)
    refused(
        project,
        lambda: from_docbin(project, bomb),
        DocBinFormatError,
        "decompresses to more than 1048576 bytes",
    )
    path = tmp_path / "x.spacy"
    path.write_bytes(os.urandom(256))
    refused(project, lambda: from_docbin(project, path), DocBinFormatError, "x.spacy")


def test_docbin_user_data_relation_to_a_missing_span(project):
    pytest.importorskip("spacy")
    import spacy
    from spacy.tokens import DocBin

    doc = spacy.blank("en")(TEXT)
    doc.ents = [doc.char_span(0, 3, "PER")]
    doc.user_data["workbench"] = {
        "item_id": "a",
        "value": {
            "spans": [{"id": "e1", "start": 0, "end": 3, "class": "PER"}],
            "relations": [{"from": "e1", "to": "e9", "class": "met"}],
        },
    }
    raw = DocBin(docs=[doc], store_user_data=True).to_bytes()
    refused(
        project,
        lambda: from_docbin(project, raw),
        DocBinFormatError,
        "doc 0: .*to names no span of the item: 'e9'",
    )


# -- any record: stored as it says, or refused with nothing written ------------------

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.sampled_from(["PER", "LOC", "met", "a"]),
)
_SPAN = st.fixed_dictionaries(
    {
        "start": st.one_of(st.integers(-3, 25), _VALUES),
        "end": st.one_of(st.integers(-3, 25), _VALUES),
        "label": st.one_of(st.sampled_from(["PER", "LOC"]), _VALUES),
    },
    optional={
        "id": _VALUES,
        "score": _VALUES,
        "attributes": st.one_of(_VALUES, st.just({"negated": True})),
    },
)
_REL = st.fixed_dictionaries(
    {
        "head_span": st.one_of(_SPAN, _VALUES),
        "child_span": _SPAN,
        "label": st.one_of(st.just("met"), _VALUES),
    }
)


def test_any_prodigy_record_is_stored_exactly_or_refused(project):
    """Random spans and relations (random numbers, types, labels and ids among them):
    stored as the record says, or refused with nothing written; both happen."""
    outcomes: Counter = Counter()

    @settings(max_examples=examples(150, at_least=40), deadline=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(
        spans=st.lists(_SPAN, max_size=4),
        rels=st.lists(_REL, max_size=2),
        item=st.one_of(st.just("a"), st.none(), _VALUES),
    )
    def run(spans, rels, item):
        rec = {"text": TEXT, "spans": spans, "relations": rels, "meta": {"item_id": item}}
        log, items = project.events(), project.item_ids()
        try:
            from_prodigy(project, [json.loads(json.dumps(rec))] if _jsonable(rec) else [rec])
        except SpanFormatError:
            pd.testing.assert_frame_equal(project.events(), log)
            assert project.item_ids() == items
            outcomes["refused"] += 1
            return
        stored = project.labels("ents").set_index("item_id")["label"]
        target = "a" if item is None or item == "a" else str(item)
        got = stored.loc[target]
        assert project.read_item(target) == TEXT
        assert sorted((s["start"], s["end"], s["class"]) for s in got["spans"]) == sorted(
            (s["start"], s["end"], s["label"]) for s in spans
        )
        outcomes["stored"] += 1

    run()
    assert outcomes["stored"] > 0 and outcomes["refused"] > 0, outcomes


def _jsonable(rec) -> bool:
    try:
        json.dumps(rec, allow_nan=False)
        return True
    except ValueError:
        return False
