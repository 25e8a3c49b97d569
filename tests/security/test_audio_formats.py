"""Attacks on the audio readers: region tables, Audacity label files and Label
Studio JSON an attacker wrote, audio files that are not audio, and labels that
reach past a clip.

Each import is refused with the format's own error (a WorkbenchError, never a
bare KeyError, TypeError or OverflowError), naming the file and the row, line or
task; the event log and the items are unchanged.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

import workbench as wb
import workbench.files
from workbench.formats import (
    AudacityFormatError,
    AudioFormatError,
    LabelStudioAudioError,
    RegionTableError,
    from_audacity,
    from_label_studio,
    from_region_table,
)
from workbench.kinds.audio.formats import audacity

SR = 8000


def schema(transcripts: bool = False) -> wb.Schema:
    return wb.Schema((wb.AudioRegions("events", classes=["speech", "music"],
                                      attributes=[wb.Attribute("loud")],
                                      transcripts=transcripts),))  # fmt: skip


@pytest.fixture
def project(tmp_path):
    with wb.Project(tmp_path / "p.db", schema=schema(), annotator="ann") as p:
        p.add_audio([np.zeros(2 * SR, np.int16)], sample_rate=SR, ids=["clip"])
        p.label("clip", [{"start": 0.0, "end": 1.0, "class": "speech"}])
        yield p


def refused(project, call, error, match):
    log, items = project.events(), project.item_ids()
    with pytest.raises(error, match=match):
        call()
    pd.testing.assert_frame_equal(project.events(), log)
    assert project.item_ids() == items


def table(tmp_path, rows, name="t.csv", **extra):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False, **extra)
    return path


GOOD = {"item_id": "clip", "start": 0.5, "end": 1.5, "class": "music"}


@pytest.mark.parametrize(
    "row, match",
    [
        ({"end": 1e300}, "end must be a number of seconds"),
        ({"start": "nan"}, "start must be a number of seconds"),
        ({"start": "inf"}, "start must be a number of seconds"),
        ({"start": -1}, "start must be a number of seconds"),
        ({"start": "1e999"}, "start must be a number of seconds"),
        ({"start": "0x10"}, "column 'start': a number"),
        ({"start": 0.5, "end": 0.25}, "start must be before end"),
        ({"end": 5.0}, "ends past the clip, which lasts 2 s"),
        ({"class": "noise"}, "no class 'noise'"),
        ({"item_id": "nope"}, "item 'nope' is not in the project and no file names it"),
        ({"attributes.loud": "maybe"}, "true or false, got 'maybe'"),
        ({"attributes.size": 3}, "has no attribute 'size'"),
        ({"text": "hello"}, "holds transcriptions"),
        ({"class": None}, "no 'class'"),
        ({"score": 7}, "score must be a number from 0 to 1"),
    ],
)
def test_region_table_rows_that_do_not_fit_are_refused(project, tmp_path, row, match):
    path = table(tmp_path, [GOOD, {**GOOD, "start": 0.0, "end": 0.1, **row}])
    refused(
        project,
        lambda: from_region_table(project, path),
        RegionTableError,
        rf"t\.csv: .*{match}",
    )


def test_region_tables_that_are_not_tables_are_refused(project, tmp_path, monkeypatch):
    refused(project, lambda: from_region_table(project, tmp_path / "x.json"), RegionTableError,
            "a .csv, .tsv or .parquet file")  # fmt: skip
    refused(project, lambda: from_region_table(project, tmp_path / "missing.csv"),
            RegionTableError, "no such file")  # fmt: skip
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    refused(project, lambda: from_region_table(project, folder), RegionTableError,
            "not a regular file")  # fmt: skip
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    refused(project, lambda: from_region_table(project, fifo), RegionTableError,
            "not a regular file")  # fmt: skip
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    refused(project, lambda: from_region_table(project, broken), RegionTableError,
            "cannot be read as a table")  # fmt: skip
    no_clip = table(tmp_path, [{"start": 0, "end": 1, "class": "speech"}], "noclip.csv")
    refused(project, lambda: from_region_table(project, no_clip), RegionTableError,
            "no column 'item_id' or 'file'")  # fmt: skip
    big = table(tmp_path, [GOOD] * 50, "big.csv")
    monkeypatch.setattr(workbench.files, "MAX_DATASET_BYTES", 100)
    refused(project, lambda: from_region_table(project, big), RegionTableError,
            "more than the 100 this importer reads")  # fmt: skip


def test_files_a_table_names_must_be_audio(project, tmp_path):
    """A table may name files to add: a file that is not audio (or is missing, or is
    a folder) is refused before anything is added or labeled."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not audio")
    for file, match in [
        (str(secret), "cannot decode the audio"),
        (str(tmp_path / "missing.wav"), "no file at"),
        (str(tmp_path), "is a folder"),
        ("../../../../etc/passwd", "cannot decode the audio|no file at"),
    ]:
        path = table(tmp_path, [GOOD, {"file": file, "start": 0, "end": 1, "class": "speech"}])
        refused(
            project, lambda path=path: from_region_table(project, path), RegionTableError, match
        )


def test_a_clip_named_twice_or_two_ways_is_refused(project, tmp_path):
    path = table(tmp_path, [GOOD, {**GOOD, "item_id": "clip", "file": "a.wav"},
                            {**GOOD, "item_id": "clip", "file": "b.wav"}])  # fmt: skip
    refused(project, lambda: from_region_table(project, path), RegionTableError,
            "has file 'a.wav' in an earlier row")  # fmt: skip


@pytest.mark.parametrize(
    "body, match",
    [
        (b"\xff\xfe0\t1\tspeech\n", "not UTF-8"),
        (b"zero\tone\tspeech\n", "line 1: a label line is start<TAB>end<TAB>label"),
        (b"0.1\n", "line 1: a label line"),
        (b"0.1\t0.5\tspeech\n0.5\t0.9\tnoise\n", "line 2: label 'noise' is no class"),
        (b"0.1\t9.5\tspeech\n", "ends past the clip"),
        (b"1e999\t2\tspeech\n", "start must be a number of seconds"),
        (b"0.5\t0.1\tspeech\n", "start must be before end"),
        (
            b"0\t1\tspeech: hello\n",
            "is no class of task 'events' \\(and the task has no transcripts\\)",
        ),
    ],
)
def test_audacity_files_that_do_not_fit_are_refused(project, tmp_path, body, match):
    path = tmp_path / "labels.txt"
    path.write_bytes(body)
    refused(project, lambda: from_audacity(project, path, item="clip"), AudacityFormatError, match)


def test_audacity_limits_and_matching(project, tmp_path, monkeypatch):
    folder = tmp_path / "labels"
    folder.mkdir()
    (folder / "unknown.txt").write_text("0\t1\tspeech\n")
    refused(project, lambda: from_audacity(project, folder), AudacityFormatError,
            "no audio item of file name 'unknown'")  # fmt: skip
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(project, lambda: from_audacity(project, empty), AudacityFormatError,
            "no .txt label files")  # fmt: skip
    big = tmp_path / "big.txt"
    big.write_text("0.1\t0.2\tspeech\n" * 100)
    monkeypatch.setattr(audacity, "MAX_LABEL_FILE_BYTES", 100)
    refused(project, lambda: from_audacity(project, big, item="clip"), AudacityFormatError,
            "more than the 100")  # fmt: skip


def ls_task(result, data=None):
    return [{"id": 1, "data": {"audio": "x.wav", "item_id": "clip", **(data or {})},
             "annotations": [{"result": result}]}]  # fmt: skip


def region(**value):
    base = {"start": 0.1, "end": 0.5, "channel": 0, "labels": ["speech"]}
    return {"id": "a", "from_name": "label", "to_name": "audio", "type": "labels",
            "value": {**base, **value}}  # fmt: skip


@pytest.mark.parametrize(
    "tasks, match",
    [
        ({"not": "a list"}, "field 'data': an object"),
        ("not-a-file.json", "no such file"),
        (3, "a list of tasks"),
        ([3], "a task is an object"),
        (ls_task([region(labels=["speech", "music"])]), "a region with one label"),
        (ls_task([region(labels="speech")]), "a region with one label"),
        (ls_task([{**region(), "id": True}]), "field 'id': a region id"),
        (ls_task([region(), region()]), "region id 'a' is used twice"),
        (ls_task([{**region(), "type": "rectanglelabels"}]), "type 'rectanglelabels'"),
        (ls_task([{**region(), "value": [1, 2]}]), "field 'value': an object"),
        (ls_task([region(start=1e400)]), "start must be a number of seconds"),
        (ls_task([region(start="0")]), "start must be a number of seconds"),
        (ls_task([region(end=9)]), "ends past the clip"),
        (ls_task([region(labels=["noise"])]), "no class 'noise'"),
        (
            ls_task(
                [
                    region(),
                    {
                        "id": "b",
                        "from_name": "loud",
                        "type": "choices",
                        "value": {"choices": ["true"]},
                    },
                ]
            ),
            "for no region",
        ),  # fmt: skip
        (
            ls_task(
                [
                    region(),
                    {
                        "id": "a",
                        "from_name": "loud",
                        "type": "choices",
                        "value": {"choices": ["yes"]},
                    },
                ]
            ),
            "'true' or 'false'",
        ),  # fmt: skip
        (
            ls_task(
                [
                    region(),
                    {
                        "id": "a",
                        "from_name": "transcription",
                        "type": "textarea",
                        "value": {"text": ["hi"]},
                    },
                ]
            ),
            "task 'events' has none",
        ),  # fmt: skip
        (ls_task([region()], {"audio": 3}), "field 'data.audio': a URL"),
        (ls_task([region()], {"item_id": ["x"]}), "field 'data.item_id': a string"),
        (ls_task([region()], {"item_id": None, "audio": "/etc/passwd"}), "cannot decode the audio"),
    ],
)
def test_label_studio_audio_that_does_not_fit_is_refused(project, tasks, match):
    refused(project, lambda: from_label_studio(project, tasks), LabelStudioAudioError, match)


def test_label_studio_audio_files(project, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    refused(project, lambda: from_label_studio(project, deep), LabelStudioAudioError,
            "JSON nested too deeply|not JSON")  # fmt: skip
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe[]")
    refused(project, lambda: from_label_studio(project, bad), LabelStudioAudioError, "not UTF-8")


def test_every_audio_format_error_is_a_workbench_error():
    for error in (RegionTableError, AudacityFormatError, LabelStudioAudioError):
        assert issubclass(error, AudioFormatError) and issubclass(error, wb.WorkbenchError)


def test_a_label_on_a_corrupt_or_missing_clip_is_refused_and_nothing_is_lost(project, tmp_path):
    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    project.add_audio([str(fake)], ids=["fake"])
    log = project.events()
    with pytest.raises(wb.ItemReadError, match="item 'fake'.*cannot decode the audio"):
        project.label("fake", [{"start": 0, "end": 1, "class": "speech"}])
    fake.unlink()
    with pytest.raises(wb.ItemReadError, match="no file at"):
        project.label("fake", [{"start": 0, "end": 1, "class": "speech"}])
    pd.testing.assert_frame_equal(project.events(), log)
    # An empty label needs no clip, and a label of a good clip is untouched.
    project.label("fake", [])
    assert (
        project.labels("events").set_index("item_id").loc["clip", "label"]["regions"][0]["end"]
        == 1.0
    )


def test_a_hostile_model_cannot_store_what_the_task_refuses(project):
    """Pre-labels from a model that returns junk: malformed regions are counted and
    skipped, a wrong shape is an error, and the log gains only valid events."""

    def junk(audio):
        return [
            (0, 1, "speech", 0.9),
            ("a", 1, "speech"),
            (0, float("nan"), "music"),
            {"start": 0, "end": 1},
            (0.5, 99, "music", 0.8),
            (0, 1, 3),
            (0, 1, "x", 2.0),
        ]

    with pytest.warns(UserWarning, match="not stored"):
        result = project.prelabel(junk, task="events", per="clip", progress=False)
    assert result.values["clip"]["regions"] == [
        {"id": "r1", "start": 0.0, "end": 1.0, "class": "speech", "attributes": {"loud": False},
         "score": 0.9},
        {"id": "r2", "start": 0.5, "end": 2.0, "class": "music", "attributes": {"loud": False},
         "score": 0.8},
    ]  # fmt: skip
    log = project.events()

    def wrong_shape(batch):
        return np.zeros((len(batch), 5))

    with pytest.raises(wb.WorkbenchError, match="expected \\(\\d+, 2\\)"):
        project.prelabel(wrong_shape, task="events", progress=False)
    with pytest.raises(wb.WorkbenchError, match="must return a list of regions"):
        project.prelabel(lambda audio: 42, task="events", per="clip", progress=False)
    pd.testing.assert_frame_equal(project.events(), log)
    assert json.dumps(result.values)  # what was stored is plain JSON
