"""The audio widget's kernel side: clips in the item payload, and the ``peaks``,
``spectrogram`` and ``audio`` requests (workbench.stream.AudioStream), bad requests
answered with an error, never an exception."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

import workbench as wb
from workbench.stream import MAX_AUDIO_WINDOW_S, AudioStream

SR = 8000


@pytest.fixture
def project(tmp_path):
    schema = wb.Schema((wb.AudioRegions("events", classes=["tone"]),))
    p = wb.Project(tmp_path / "p.db", schema=schema, annotator="ann")
    t = np.arange(10 * SR) / SR
    tone = np.where((t >= 2) & (t < 4), 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0).astype(np.float32)
    p.add_audio([tone], sample_rate=SR, ids=["clip"])
    p.add_texts(["not audio"], ids=["text"])
    yield p
    p.close()


def ask(stream, **msg):
    ((reply, buffers),) = stream.handle({"client_id": "c", "req": 1, **msg})
    return reply, buffers


def test_a_clip_travels_with_its_whole_waveform(project):
    stream = AudioStream(project, max_size=256)
    items, buffers = stream.payloads(["clip"])
    (item,) = items
    assert item["kind"] == "audio" and item["sample_rate"] == SR and item["duration"] == 10.0
    assert item["bins"] == 256 and len(buffers[item["buffer"]]) == 256 * 8
    pairs = np.frombuffer(buffers[item["buffer"]], "<f4").reshape(-1, 2)
    loud = pairs[:, 1] > 0.4
    assert loud[int(256 * 0.25)] and not loud[int(256 * 0.1)] and not loud[int(256 * 0.6)]


def test_peaks_of_a_zoomed_window(project):
    stream = AudioStream(project)
    reply, (data,) = ask(stream, type="peaks", item_id="clip", start=1.5, end=2.5, bins=100)
    assert reply["type"] == "peaks" and reply["start"] == 1.5 and reply["end"] == 2.5
    pairs = np.frombuffer(data, "<f4").reshape(-1, 2)
    assert pairs.shape == (100, 2)
    assert pairs[:45, 1].max() < 0.01 and pairs[55:, 1].min() > 0.4  # the tone from 2 s
    # Clipped to the clip.
    reply, _ = ask(stream, type="peaks", item_id="clip", start=9.0, end=99.0, bins=10)
    assert reply["end"] == 10.0


def test_audio_windows_play_as_wav(project):
    stream = AudioStream(project)
    reply, (data,) = ask(stream, type="audio", item_id="clip", start=2.0, end=2.5)
    assert (reply["start"], reply["end"], reply["sample_rate"]) == (2.0, 2.5, SR)
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert rate == SR and len(samples) == SR // 2 and np.abs(samples).max() > 0.45
    reply, _ = ask(stream, type="audio", item_id="clip", start=0.0, end=10_000.0)
    assert reply["end"] == min(10.0, MAX_AUDIO_WINDOW_S)


def test_the_spectrogram_shows_the_tone_in_its_band(project):
    stream = AudioStream(project)
    reply, (data,) = ask(stream, type="spectrogram", item_id="clip", start=0, end=10,
                         columns=50, rows=40)  # fmt: skip
    assert reply["max_hz"] == SR / 2 and reply["columns"] == 50 and reply["rows"] == 40
    grid = np.frombuffer(data, np.uint8).reshape(40, 50)
    band = round(1000 / (SR / 2) * 40)  # 1 kHz of 0-4 kHz in 40 rows: row 10
    during, before = grid[:, 15], grid[:, 5]  # columns at 3 s and at 1 s
    assert abs(int(during.argmax()) - band) <= 1 and during.max() == 255
    assert before.max() < during.max()


@pytest.mark.parametrize(
    "msg, match",
    [
        ({"item_id": "nope", "start": 0, "end": 1}, "no item 'nope'"),
        ({"item_id": "text", "start": 0, "end": 1}, "is not audio"),
        ({"item_id": 3, "start": 0, "end": 1}, "item_id must be a string"),
        ({"item_id": "clip", "start": "0", "end": 1}, "start must be a number of seconds"),
        ({"item_id": "clip", "start": 0, "end": float("nan")}, "end must be a number of seconds"),
        ({"item_id": "clip", "start": 0, "end": True}, "end must be a number of seconds"),
    ],
)
@pytest.mark.parametrize("kind", ["peaks", "audio", "spectrogram"])
def test_bad_requests_get_an_error_reply(project, kind, msg, match):
    reply, buffers = ask(AudioStream(project), type=kind, **msg)
    assert reply["type"] == kind and match in reply["error"] and buffers == []


def test_bad_sizes_and_windows_get_an_error_reply(project):
    stream = AudioStream(project)
    for extra in ({"bins": 0}, {"bins": 10**6}, {"bins": True}):
        reply, _ = ask(stream, type="peaks", item_id="clip", start=0, end=1, **extra)
        assert "bins must be" in reply["error"]
    reply, _ = ask(stream, type="spectrogram", item_id="clip", start=0, end=1, columns=0)
    assert "columns must be" in reply["error"]
    reply, _ = ask(stream, type="peaks", item_id="clip", start=5, end=1)
    assert "not inside" in reply["error"]


def test_a_missing_file_is_an_error_reply_and_the_stream_goes_on(project, tmp_path):
    path = tmp_path / "gone.wav"
    sf.write(path, np.zeros(SR, np.float32), SR)
    project.add_audio([str(path)], ids=["gone"])
    path.unlink()
    stream = AudioStream(project)
    for kind in ("peaks", "audio", "spectrogram"):
        reply, _ = ask(stream, type=kind, item_id="gone", start=0, end=1)
        assert "no file at" in reply["error"], reply
    items, _ = stream.payloads(["gone", "clip"])
    assert items[0]["kind"] == "error" and items[1]["kind"] == "audio"


def test_annotate_audio_refuses_a_task_of_another_kind(project):
    with pytest.raises(wb.SchemaError, match="needs a audio task|audio"):
        project.annotate(task="events")
    widget = project.annotate_audio()
    assert widget.task == "events" and widget.schema["kind"] == "audio"
    with pytest.raises(TypeError, match="unexpected keyword"):
        project.annotate_audio(size=3)  # type: ignore[call-arg]
    widget.close()
