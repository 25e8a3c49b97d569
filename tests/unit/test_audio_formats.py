"""Audio-region formats: region tables (CSV, TSV, Parquet, DataFrames), Audacity
label tracks and Label Studio JSON give back exactly what was exported, find
their clips by id, URI or file name, and name what they cannot hold."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import workbench as wb
from tests.quick import examples
from workbench.formats import (
    from_audacity,
    from_label_studio,
    from_region_table,
    label_studio_config,
    to_audacity,
    to_label_studio,
    to_region_table,
)

SR = 8000
CLASSES = ["speech", "music", "car horn", "car"]


def schema(transcripts=True):
    return wb.Schema((
        wb.AudioRegions("events", classes=CLASSES, transcripts=transcripts, attributes=[
            wb.Attribute("loud"), wb.Attribute("quality", kind="choice", choices=["good", "bad"]),
            wb.Attribute("snr", kind="number"), wb.Attribute("note", kind="text")]),
        wb.Classification("scene", classes=["indoor", "outdoor"]),
    ))  # fmt: skip


def make_project(path, files=(), transcripts=True, annotator="ann"):
    p = wb.Project(path, schema=schema(transcripts), annotator=annotator)
    if files:
        p.add_audio([str(f) for f in files])
    p.add_audio([np.zeros(3 * SR, np.int16)], sample_rate=SR, ids=["signal"])
    return p


@pytest.fixture
def clips(tmp_path):
    out = []
    for k, ext in enumerate(["wav", "flac", "ogg"]):
        path = tmp_path / "audio" / f"clip{k}.{ext}"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, np.zeros(4 * SR, np.float32), SR)
        out.append(path)
    return out


def labels_of(project):
    return {r.item_id: r.label for r in project.labels("events").itertuples()}


REGIONS = [
    {"start": 0.1, "end": 1.000001, "class": "speech", "text": "NA, \"quoted\"\nline two",
     "attributes": {"loud": True, "snr": 2.5, "note": "x\ty"}},
    {"start": 0.5, "end": 2.0, "class": "car horn", "score": 0.25, "id": "custom"},
    {"start": 2.0, "end": 3.5, "class": "car", "text": "car: horn? ünïcödé 🎺",
     "attributes": {"quality": "bad"}},
]  # fmt: skip


@pytest.fixture
def labeled(tmp_path, clips):
    p = make_project(tmp_path / "p.db", clips)
    ids = p.item_ids()
    p.label(ids[0], REGIONS, task="events")
    p.label(ids[1], [], task="events")  # labeled: nothing here
    p.label("signal", [{"start": 0, "end": 3, "class": "music"}], task="events")
    p.skip(ids[2], task="events")
    return p


@pytest.mark.parametrize("ext", ["csv", "tsv", "parquet", "frame"])
def test_region_tables_round_trip_exactly(labeled, tmp_path, clips, ext):
    path = None if ext == "frame" else tmp_path / f"regions.{ext}"
    frame = to_region_table(labeled, path=path)
    assert list(frame.columns) == ["item_id", "file", "start", "end", "class", "id", "text",
                                   "score", "attributes.loud", "attributes.quality",
                                   "attributes.snr", "attributes.note"]  # fmt: skip
    assert len(frame) == len(REGIONS) + 2  # the empty clip is one row, the skip none
    other = make_project(tmp_path / "q.db", annotator="imp")  # no files yet: added from the table
    assert from_region_table(other, frame if path is None else path) == 3
    assert labels_of(other) == labels_of(labeled)
    assert set(other.item_ids()) == set(labels_of(labeled))


def test_a_table_by_file_name_and_relative_path_finds_or_adds_its_clips(labeled, tmp_path, clips):
    frame = to_region_table(labeled)
    by_name = frame.assign(item_id=None, file=[f if f == "signal" else f.rsplit("/", 1)[-1]
                                                for f in frame["file"]])  # fmt: skip
    by_name.loc[by_name["file"] == "signal", "item_id"] = "signal"
    other = make_project(tmp_path / "q.db", clips, annotator="imp")
    assert from_region_table(other, by_name) == 3
    assert labels_of(other) == labels_of(labeled)
    # Paths relative to the table's folder add the files the project lacks.
    table = tmp_path / "audio" / "regions.csv"
    relative = frame.assign(item_id=None, file=[f if f == "signal" else f.rsplit("/", 1)[-1]
                                                 for f in frame["file"]])  # fmt: skip
    relative.loc[relative["file"] == "signal", "item_id"] = "signal"
    relative.to_csv(table, index=False)
    third = make_project(tmp_path / "r.db", annotator="imp")
    assert from_region_table(third, table) == 3
    assert sorted(v["regions"] == [] for v in labels_of(third).values()) == [False, False, True]


def test_audacity_round_trips_classes_times_and_transcripts(labeled, tmp_path, clips):
    lost = "attributes of 2 regions, id of 2 regions, score of 1 region; changed 1 transcription"
    with pytest.warns(UserWarning, match=f"dropped fields: {lost}"):
        written = to_audacity(labeled, tmp_path / "labels")
    first = labeled.item_ids()[0]
    assert sorted(p.name for p in written.values()) == ["clip0.txt", "clip1.txt", "signal.txt"]
    lines = written[first].read_text().splitlines()
    assert lines[0] == '0.100000\t1.000001\tspeech: NA, "quoted" line two'
    assert lines[2] == "2.000000\t3.500000\tcar: car: horn? ünïcödé 🎺"  # "car", not "car horn"
    other = make_project(tmp_path / "q.db", clips, annotator="imp")
    assert from_audacity(other, tmp_path / "labels") == 3
    got, want = labels_of(other), labels_of(labeled)
    assert set(got) == set(want)
    for item, value in want.items():
        keep = [(r["start"], r["end"], r["class"], r.get("text", "").replace("\n", " "))
                for r in value["regions"]]  # fmt: skip
        assert [(r["start"], r["end"], r["class"], r["text"]) for r in got[item]["regions"]] == keep


def test_audacity_single_file_with_item_and_spectral_lines(tmp_path, clips):
    p = make_project(tmp_path / "p.db", clips, transcripts=False)
    path = tmp_path / "track.txt"
    path.write_text("0.5\t1.5\tspeech\n\\\t100.0\t4000.0\n2\t2\tmusic\n\n3.25\t4\tcar horn\n")
    with pytest.warns(UserWarning, match="1 frequency range, 1 point label"):
        assert from_audacity(p, path, item=str(clips[2])) == 1
    (value,) = [v for v in labels_of(p).values()]
    assert [(r["start"], r["end"], r["class"]) for r in value["regions"]] == [
        (0.5, 1.5, "speech"), (3.25, 4.0, "car horn")]  # fmt: skip
    # A single file for an item id.
    path.write_text("0\t1\tmusic\n")
    assert from_audacity(p, path, item="signal") == 1
    assert labels_of(p)["signal"]["regions"][0]["class"] == "music"


def test_label_studio_audio_round_trips_everything(labeled, tmp_path, clips):
    path = tmp_path / "ls.json"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is lost, so nothing is named
        tasks = to_label_studio(labeled, path=path, url=lambda i, f: f"https://data/{i}")
    assert tasks[0]["data"]["audio"].startswith("https://data/")
    first = tasks[0]["annotations"][0]["result"]
    assert first[0] == {"id": "r1", "from_name": "label", "to_name": "audio", "type": "labels",
                        "value": {"start": 0.1, "end": 1.000001, "channel": 0,
                                  "labels": ["speech"]}}  # fmt: skip
    config = label_studio_config(labeled)
    assert '<Audio name="audio" value="$audio"/>' in config and 'name="transcription"' in config
    assert '<Label value="car horn"/>' in config
    for task in tasks:  # the URL is not a file: the clips are found by item id
        task["data"]["audio"] = "https://elsewhere/x.wav"
    other = make_project(tmp_path / "q.db", clips, annotator="imp")
    assert from_label_studio(other, tasks) == 3
    assert labels_of(other) == labels_of(labeled)
    assert json.loads(path.read_text())[0]["data"]["item_id"] == tasks[0]["data"]["item_id"]


def test_label_studio_import_names_channels_and_extra_annotations(tmp_path, clips):
    p = make_project(tmp_path / "p.db", clips, transcripts=False)
    result = [{"id": "a", "from_name": "label", "to_name": "audio", "type": "labels",
               "value": {"start": 1, "end": 2, "channel": 1, "labels": ["speech"]}}]  # fmt: skip
    tasks = [{"data": {"audio": str(clips[0])}, "annotations": [{"result": result},
                                                                {"result": []}]}]  # fmt: skip
    with pytest.warns(UserWarning, match="1 region channel, 1 annotation beyond each task's first"):
        assert from_label_studio(p, tasks) == 1
    (value,) = labels_of(p).values()
    assert value["regions"][0]["id"] == "a" and value["regions"][0]["end"] == 2.0


times = st.integers(0, 3_000_000).map(lambda us: us / 1e6)  # within the 3 s signal, to the µs


@st.composite
def region_lists(draw):
    out = []
    for _ in range(draw(st.integers(0, 5))):
        a, b = sorted(draw(st.lists(times, min_size=2, max_size=2, unique=True)))
        r = {"start": a, "end": b, "class": draw(st.sampled_from(CLASSES)),
             "text": draw(st.text(max_size=12))}  # fmt: skip
        if draw(st.booleans()):
            r["attributes"] = {"loud": draw(st.booleans()),
                               "snr": draw(st.one_of(st.none(), st.floats(-1e6, 1e6))),
                               "note": draw(st.text(max_size=6)),
                               "quality": draw(st.sampled_from(["good", "bad"]))}  # fmt: skip
        if draw(st.booleans()):
            r["score"] = draw(st.floats(0, 1))
        out.append(r)
    return out


@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(regions=region_lists())
@example(
    regions=[
        {"start": 0.0, "end": 1e-06, "class": "speech", "text": "\r0"},
        {"start": 0.5, "end": 1.0, "class": "car", "text": 'a\r\nb\n"c",\td'},
    ]
)
def test_any_regions_survive_every_exact_format(tmp_path_factory, regions):
    if len({(r["start"], r["end"], r["class"]) for r in regions}) < len(regions):
        return  # the same region twice is refused by the task, not by a format
    folder = tmp_path_factory.mktemp("formats")
    p = make_project(folder / "p.db")
    p.label("signal", regions, task="events")
    want = labels_of(p)
    for name in ["r.csv", "r.tsv", "r.parquet", "ls.json"]:
        if name == "ls.json":
            to_label_studio(p, path=folder / name)
        else:
            to_region_table(p, path=folder / name)
        q = make_project(folder / f"{name}.db", annotator="imp")
        load = from_label_studio if name == "ls.json" else from_region_table
        assert load(q, folder / name) == 1, name
        assert labels_of(q) == want, name
