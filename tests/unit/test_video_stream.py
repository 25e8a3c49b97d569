"""The video widget's kernel side: a video in the item payload (its first frame and its
frame count and rate), the ``frames`` request, bad requests answered with an error,
and the widget's settings."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import workbench as wb
from workbench.stream import MAX_FRAMES_ASKED, VideoStream


@pytest.fixture
def project(tmp_path):
    schema = wb.Schema((wb.VideoTracks("objects", classes=["car"]),))
    p = wb.Project(tmp_path / "p.db", schema=schema, annotator="ann")
    frames = np.zeros((50, 64, 96, 3), np.uint8)
    for k in range(50):
        frames[k, :, :, 0] = k * 5  # each frame's red says its index
    p.add_video([frames], fps=25, ids=["v"])
    p.add_texts(["not a video"], ids=["text"])
    yield p
    p.close()


def ask(stream, **msg):
    ((reply, buffers),) = stream.handle({"client_id": "c", "req": 1, **msg})
    return reply, buffers


def red(data: bytes) -> float:
    return float(np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))[..., 0].mean())


def test_a_video_travels_with_its_first_frame_count_and_rate(project):
    items, buffers = VideoStream(project, max_size=48).payloads(["v"])
    (item,) = items
    assert item["kind"] == "video" and item["frames"] == 50 and item["fps"] == 25.0
    assert (item["full_width"], item["full_height"]) == (96, 64) and item["width"] == 48
    assert red(buffers[item["buffer"]]) == pytest.approx(0, abs=1)


def test_frames_come_in_order_exactly_those_asked_for(project):
    reply, buffers = ask(VideoStream(project), type="frames", item_id="v", start=10, count=5)
    assert (reply["start"], reply["count"], len(buffers)) == (10, 5, 5)
    assert [round(red(b) / 5) for b in buffers] == [10, 11, 12, 13, 14]
    # Clipped to the video and to the most one message carries.
    reply, buffers = ask(VideoStream(project), type="frames", item_id="v", start=45, count=20)
    assert reply["count"] == 5 and len(buffers) == 5
    reply, _ = ask(
        VideoStream(project), type="frames", item_id="v", start=0, count=MAX_FRAMES_ASKED + 1
    )
    assert "count must be" in reply["error"]


@pytest.mark.parametrize(
    "msg, match",
    [
        ({"item_id": "nope", "start": 0}, "no item 'nope'"),
        ({"item_id": "text", "start": 0}, "is not a video"),
        ({"item_id": 7, "start": 0}, "item_id must be a string"),
        ({"item_id": "v", "start": 50}, "start must be"),
        ({"item_id": "v", "start": -1}, "start must be"),
        ({"item_id": "v", "start": "0"}, "start must be"),
        ({"item_id": "v", "start": 0, "count": 0}, "count must be"),
    ],
)
def test_bad_frame_requests_get_an_error_reply(project, msg, match):
    reply, buffers = ask(VideoStream(project), type="frames", **msg)
    assert reply["type"] == "frames" and match in reply["error"] and buffers == []


def test_annotate_video_settings(project):
    w = project.annotate_video(frame_prefetch=0, max_size=320)
    assert (w.frame_prefetch, w.max_size, w.task, w.schema["kind"]) == (0, 320, "objects", "video")
    w.close()
    with pytest.raises(ValueError, match="frame_prefetch"):
        project.annotate_video(frame_prefetch=10_000)
    with pytest.raises(wb.SchemaError):
        project.annotate_audio()  # no audio task
    with pytest.raises(TypeError, match="frame_prefetch"):
        wb.AnnotateAudioWidget(project, frame_prefetch=3)
