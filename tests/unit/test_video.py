"""Video items and the video task kind: clips written and read back frame by frame (lossless
FFV1 exactly, H.264 frame-accurately through its keyframes), files that cannot be read,
clips and files added to a project, what a widget is sent, the VideoTracks task's values,
and the shapes of a frame from tracks (interpolation, TrackIndex, edits)."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench import media
from workbench.kinds.video.schema import MAX_FRAME
from workbench.kinds.video.tracks import (
    TrackIndex,
    merge_tracks,
    remove_keyframe,
    set_keyframe,
    shape_at,
    shapes_at,
    split_track,
)
from workbench.media import Video, VideoInfo, write_video

av = pytest.importorskip("av")

T, H, W, FPS = 60, 64, 96, 30
SQUARE = 16


def synthetic_clip(frames=T, height=H, width=W, seed=0):
    """A still background (colour ramps and some noise) with a white square moving one pixel
    right and two down a frame, and a grey bar whose level is the frame's index times four
    (so that neighbouring frames differ clearly even after lossy coding)."""
    rng = np.random.default_rng(seed)
    clip = np.zeros((frames, height, width, 3), np.uint8)
    clip[..., 0] = (np.arange(width) * 255 // max(1, width - 1))[None, None, :]
    clip[..., 2] = (np.arange(height) * 255 // max(1, height - 1))[None, :, None]
    clip[..., 1] = rng.integers(0, 8, (height, width), dtype=np.uint8)[None]
    for t in range(frames):
        x, y = t % (width - SQUARE), (2 * t) % (height - SQUARE)
        clip[t, y : y + SQUARE, x : x + SQUARE] = 255
        clip[t, height - 4 :, : width // 2] = (4 * t) % 256
    return clip


@pytest.fixture(scope="module")
def clip():
    return synthetic_clip()


def write_h264(path, frames, fps=FPS, gop=12):
    """H.264 in MP4 with a keyframe every ``gop`` frames and B-frames (what write_video's
    libx264 does not let one choose): seeking has to go through keyframes."""
    with av.open(str(path), "w") as c:
        stream = c.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.gop_size = gop
        stream.options = {
            "bf": "2",
            "keyint": str(gop),
            "min-keyint": str(gop),
            "sc_threshold": "0",
        }
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)


def keyframe_count(path):
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        return sum(1 for p in c.demux(vs) if p.size and p.is_keyframe)


# -- media: lossless FFV1 ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ffv1_path(tmp_path_factory, clip):
    path = tmp_path_factory.mktemp("ffv1") / "clip.mkv"
    write_video(path, clip, FPS)
    return path


@pytest.fixture(scope="module")
def h264_path(tmp_path_factory, clip):
    path = tmp_path_factory.mktemp("h264") / "clip.mp4"
    write_h264(path, clip)
    return path


def test_ffv1_header(ffv1_path):
    video = Video(ffv1_path, name="clip")
    assert "header not read" in repr(video)
    info = video.info
    assert isinstance(info, VideoInfo)
    assert (info.frames, info.fps, info.width, info.height) == (T, FPS, W, H)
    assert info.codec == "ffv1"
    assert video.frame_count == T
    assert info.duration == pytest.approx(T / FPS)
    assert info.to_dict() == {"frames": T, "fps": 30.0, "width": W, "height": H,
                              "duration": pytest.approx(2.0), "codec": "ffv1"}  # fmt: skip
    assert f"{T} frames" in repr(video)


def test_ffv1_every_frame_reads_back_exactly_in_any_order(ffv1_path, clip):
    video = Video(ffv1_path, name="clip")
    order = [59, 0, 30, 29, 31, 5, 45, 12, 58, 1, *range(T), *range(T - 1, -1, -1)]
    for k in order:
        got = video.frame(k)
        assert got.dtype == np.uint8 and got.shape == (H, W, 3)
        np.testing.assert_array_equal(got, clip[k], err_msg=f"frame {k}")
    # numpy integers are indices too.
    np.testing.assert_array_equal(video.frame(np.int64(7)), clip[7])


def test_ffv1_frames_reads_back_exactly_with_a_small_cache(ffv1_path, clip, monkeypatch):
    # With a cache of 4 frames nearly every access decodes again (and evicts).
    monkeypatch.setattr(media, "FRAME_CACHE", 4)
    video = Video(ffv1_path, name="clip")
    rng = np.random.default_rng(3)
    for k in [*rng.permutation(T), 59, 0, 59, 0]:
        np.testing.assert_array_equal(video.frame(int(k)), clip[k], err_msg=f"frame {k}")
    assert len(video._frames) <= 4


def test_frames_gives_the_indices_asked_for(ffv1_path, clip):
    video = Video(ffv1_path, name="clip")
    got = list(video.frames(10, 40, 5))
    assert [k for k, _ in got] == [10, 15, 20, 25, 30, 35]
    for k, rgb in got:
        np.testing.assert_array_equal(rgb, clip[k])
    # The whole clip by default; a stop past the end is the end.
    assert [k for k, _ in video.frames()] == list(range(T))
    assert [k for k, _ in video.frames(55, 1000)] == [55, 56, 57, 58, 59]
    assert [k for k, _ in video.frames(0, 7, 3)] == [0, 3, 6]
    assert list(video.frames(40, 40)) == []
    with pytest.raises(ValueError, match="start"):
        list(video.frames(-1))
    with pytest.raises(ValueError, match="step"):
        list(video.frames(0, 10, 0))


@pytest.mark.parametrize("index", [-1, T, T + 100, True, False, 1.0, 2.5, "3", None])
def test_frame_index_must_be_a_frame(ffv1_path, index):
    video = Video(ffv1_path, name="item 'v'")
    with pytest.raises(ValueError, match=r"item 'v': frame must be a whole number from 0 to 59"):
        video.frame(index)


# -- media: H.264 ------------------------------------------------------------------------


def test_h264_frames_read_at_random_equal_frames_read_in_order(h264_path, clip, monkeypatch):
    assert keyframe_count(h264_path) == T // 12  # seeking goes through five keyframes
    sequential = dict(Video(h264_path, name="seq").frames())
    assert sorted(sequential) == list(range(T))
    video = Video(h264_path, name="clip")
    info = video.info
    assert (info.frames, info.fps, info.width, info.height, info.codec) == (T, FPS, W, H, "h264")
    # A fresh reader for each frame: each is decoded from the keyframe before it. Frames
    # just before a keyframe (11, 23 ...) are where a seek by decoding timestamp goes wrong.
    order = [59, 0, 11, 12, 13, 23, 24, 37, 47, 48, 1, 35, 36, 58]
    for k in order:
        got = Video(h264_path, name="clip").frame(k)
        np.testing.assert_array_equal(got, sequential[k], err_msg=f"frame {k}")
    # One reader, its cache squeezed to 4 frames, in a shuffled order.
    monkeypatch.setattr(media, "FRAME_CACHE", 4)
    rng = np.random.default_rng(5)
    for k in rng.permutation(T):
        np.testing.assert_array_equal(video.frame(int(k)), sequential[k], err_msg=f"frame {k}")
    # frames() from a start inside a GOP gives the same frames too.
    for start in (11, 13, 47):
        got = list(Video(h264_path, name="clip").frames(start, start + 3))
        assert [k for k, _ in got] == [start, start + 1, start + 2]
        for k, rgb in got:
            np.testing.assert_array_equal(rgb, sequential[k])


def test_h264_frames_are_close_to_the_input_and_to_no_other_frame(h264_path, clip):
    video = Video(h264_path, name="clip")
    for k in (0, 11, 12, 30, 59):
        got = video.frame(k).astype(np.int16)
        error = np.abs(got - clip[k]).mean()
        assert error < 4, (k, error)
        # Frame-accurate: the frames either side are further off than the frame itself.
        for other in (k - 1, k + 1):
            if 0 <= other < T:
                assert np.abs(got - clip[other]).mean() > error + 1, (k, other)


def test_write_video_libx264_makes_an_mp4_close_to_the_input(tmp_path, clip):
    path = tmp_path / "clip.mp4"
    write_video(path, iter(clip[:24]), 25.0, codec="libx264")  # an iterable of frames
    video = Video(path, name="clip")
    info = video.info
    assert (info.frames, info.fps, info.width, info.height, info.codec) == (24, 25.0, W, H, "h264")
    for k in (0, 10, 23):
        assert np.abs(video.frame(k).astype(np.int16) - clip[k]).mean() < 4


def test_fractional_frame_rate_is_kept(tmp_path, clip):
    path = tmp_path / "ntsc.mkv"
    write_video(path, clip[:6], 30000 / 1001)
    assert Video(path, name="v").info.fps == pytest.approx(29.97, abs=1e-3)


# -- media: files that cannot be read ------------------------------------------------------


def test_unreadable_files_raise_item_read_error_naming_the_item(tmp_path):
    sf = pytest.importorskip("soundfile")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).bytes(20_000))
    wav = tmp_path / "sound.wav"
    sf.write(wav, np.zeros(8000, np.float32), 8000)
    empty = tmp_path / "empty.mkv"
    empty.write_bytes(b"")
    for path, message in (
        (corrupt, "cannot decode the video"),
        (wav, "holds no video stream"),
        (empty, "cannot decode the video"),
        (tmp_path / "missing.mp4", "no file at"),
    ):
        video = Video(path, name="item 'x1' (some/uri)")
        with pytest.raises(wb.ItemReadError, match=rf"item 'x1' \(some/uri\): .*{message}"):
            _ = video.info
        with pytest.raises(wb.ItemReadError, match="item 'x1'"):
            video.frame(0)


def test_unreadable_files_in_a_project_name_the_item(project, tmp_path, clip):
    sf = pytest.importorskip("soundfile")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(1).bytes(20_000))
    wav = tmp_path / "sound.wav"
    sf.write(wav, np.zeros(8000, np.float32), 8000)
    gone = tmp_path / "gone.mkv"
    write_video(gone, clip[:4], FPS)
    project.add_video([str(corrupt), str(wav), str(gone)], ids=["corrupt", "wav", "gone"])
    gone.unlink()
    for iid, message in (("corrupt", "cannot decode"), ("wav", "no video stream"),
                         ("gone", "no file at")):  # fmt: skip
        with pytest.raises(wb.ItemReadError, match=rf"item '{iid}'.*{message}"):
            _ = project.read_item(iid).info
        with pytest.raises(wb.ItemReadError, match=rf"item '{iid}'"):
            project.reader.render(record(project, iid))


# -- items -----------------------------------------------------------------------------------


def make_project(tmp_path, name="p.db", **task):
    task.setdefault("classes", ["car", "person"])
    schema = wb.Schema((wb.VideoTracks("tracks", **task),))
    return wb.Project(tmp_path / name, schema=schema, annotator="me")


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path)
    yield p
    p.close()


def record(project, item_id):
    return project.store.get_items([item_id])[0]


def test_clips_are_added_once_and_read_back_exactly(project):
    a, b = synthetic_clip(12), synthetic_clip(8, 32, 48, seed=1)
    assert project.add_video([a, b], fps=FPS) == 2
    ids = project.item_ids()
    assert len(set(ids)) == 2
    # The same clips again: the same ids, nothing added, nothing written again.
    files = sorted(project.items_dir.glob("*.mkv"))
    assert len(files) == 2
    stamps = [f.stat().st_mtime_ns for f in files]
    assert project.add_video([a, b], fps=FPS) == 0
    assert project.add_video([b], fps=float(FPS)) == 0
    assert project.item_ids() == ids
    assert [f.stat().st_mtime_ns for f in sorted(project.items_dir.glob("*.mkv"))] == stamps
    for iid, src in zip(ids, (a, b), strict=True):
        rec = record(project, iid)
        assert rec.kind == "video" and rec.uri == f"items://{iid}.mkv"
        assert rec.meta["frames"] == len(src) and rec.meta["fps"] == FPS
        assert (rec.meta["width"], rec.meta["height"]) == (src.shape[2], src.shape[1])
        video = project.read_item(iid)
        assert isinstance(video, Video)
        assert video.info.frames == len(src) and video.info.fps == FPS
        assert (video.info.width, video.info.height) == (src.shape[2], src.shape[1])
        for k in reversed(range(len(src))):
            np.testing.assert_array_equal(video.frame(k), src[k])
    # The reader keeps a video's object (its frame table and frames) for the next call.
    assert project.reader.video(record(project, ids[0])) is project.reader.video(
        record(project, ids[0])
    )


def test_frame_rate_is_part_of_a_clips_id(project):
    a = synthetic_clip(6)
    assert project.add_video([a], fps=30) == 1
    assert project.add_video([a], fps=25) == 1
    first, second = project.item_ids()
    assert first != second
    assert project.read_item(second).info.fps == 25.0
    assert project.read_item(first).info.fps == 30.0
    # A clip given twice in one call is two items (the second numbered).
    assert project.add_video([a, a], fps=10) == 2
    assert project.item_ids()[3] == project.item_ids()[2] + "-2"


def test_explicit_ids_and_a_5d_batch(project):
    batch = np.stack([synthetic_clip(4, seed=s) for s in range(3)])  # N × T × H × W × 3
    assert project.add_video(batch, fps=FPS, ids=["a", "b", "c"]) == 3
    assert project.item_ids() == ["a", "b", "c"]
    np.testing.assert_array_equal(project.read_item("c").frame(3), batch[2, 3])


def test_video_files_are_added_by_path(project, tmp_path, clip):
    mkv, mp4 = tmp_path / "a.mkv", tmp_path / "b.mp4"
    write_video(mkv, clip[:10], FPS)
    write_h264(mp4, clip[:10])
    assert project.add_video([str(mkv), mp4]) == 2
    assert project.add_video([str(mkv)]) == 0  # same file, same size: same id
    ids = project.item_ids()
    assert [record(project, i).uri for i in ids] == [str(mkv), str(mp4)]
    assert all(record(project, i).kind == "video" for i in ids)
    video = project.read_item(ids[0])
    assert isinstance(video, Video) and video.info.frames == 10
    np.testing.assert_array_equal(video.frame(9), clip[9])
    assert project.read_item(ids[1]).info.codec == "h264"
    with pytest.raises(wb.ItemSourceError, match="fps= is for clips"):
        project.add_video([str(mkv)], fps=FPS)
    assert len(project) == 2


@pytest.mark.parametrize(
    "video, kw, message",
    [
        (synthetic_clip(4), {"fps": FPS}, "wrap it"),
        ("clip.mp4", {}, "wrap it"),
        ([synthetic_clip(4).astype(np.float32)], {"fps": FPS}, "uint8"),
        ([synthetic_clip(4).astype(np.uint16)], {"fps": FPS}, "uint8"),
        ([synthetic_clip(4)[0]], {"fps": FPS}, r"T × H × W × 3"),  # one frame, not a clip
        ([synthetic_clip(4)[..., :2]], {"fps": FPS}, r"T × H × W × 3"),
        ([synthetic_clip(0)], {"fps": FPS}, r"T × H × W × 3"),
        ([synthetic_clip(4, 33, 48)], {"fps": FPS}, "even"),
        ([synthetic_clip(4, 32, 47)], {"fps": FPS}, "even"),
        ([synthetic_clip(4)], {}, "fps="),
        ([synthetic_clip(4)], {"fps": 0}, "fps="),
        ([synthetic_clip(4)], {"fps": -5}, "fps="),
        ([synthetic_clip(4)], {"fps": True}, "fps="),
        ([synthetic_clip(4)], {"fps": "30"}, "fps="),
        ([synthetic_clip(4)], {"fps": 5000}, "fps="),
        # A good clip before a bad one: nothing added, nothing written.
        ([synthetic_clip(4), synthetic_clip(4, 31, 48)], {"fps": FPS}, r"video\[1\].*even"),
    ],
)
def test_bad_clips_raise_item_source_error_and_add_nothing(project, video, kw, message):
    with pytest.raises(wb.ItemSourceError, match=message):
        project.add_video(video, **kw)
    assert len(project) == 0
    assert not list(project.items_dir.glob("*.mkv"))


def test_render_gives_the_first_frame_and_the_videos_info(project):
    from PIL import Image

    a = synthetic_clip(5)
    project.add_video([a], fps=FPS, ids=["v"])
    rec = record(project, "v")
    out = project.reader.render(rec)
    assert out["kind"] == "image" and out["mime"] == "image/png"
    assert (out["width"], out["height"], out["full_width"], out["full_height"]) == (W, H, W, H)
    assert out["video"] == {"frames": 5, "fps": 30.0, "width": W, "height": H,
                            "duration": pytest.approx(5 / 30), "codec": "ffv1"}  # fmt: skip
    import io

    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(out["data"]))), a[0])
    # Downscaled to max_size, the full size kept.
    small = project.reader.render(rec, max_size=48)
    assert (small["width"], small["height"]) == (48, 32)
    assert (small["full_width"], small["full_height"]) == (W, H)
    # load() gives the Video; video() refuses another kind.
    assert isinstance(project.reader.load(rec), Video)
    project.add_texts(["words"], ids=["t"])
    with pytest.raises(wb.ItemReadError, match="not video"):
        project.reader.video(record(project, "t"))


# -- the task's values --------------------------------------------------------------------

ATTRS = (wb.Attribute("parked"), wb.Attribute("colour", kind="choice", choices=["red", "blue"]))


def box_task(**kw):
    kw.setdefault("classes", ["car", "person"])
    return wb.VideoTracks("tracks", **kw)


def polygon_task(**kw):
    return box_task(shape="polygon", **kw)


def key(frame, bbox=(0, 0, 10, 10), **kw):
    return {"frame": frame, "bbox": list(bbox) if bbox is not None else None, **kw}


def track(*keys, cls="car", **kw):
    return {"class": cls, "keyframes": list(keys), **kw}


TRIANGLE = [[0, 0], [10, 0], [0, 10]]


def test_validate_gives_the_canonical_form():
    task = box_task(attributes=ATTRS)
    value = task.validate(
        {"tracks": [
            track({"frame": np.int64(20), "bbox": [1, 2, 3, 4]},
                  {"frame": 10.0, "bbox": (np.float32(0.5), 0, 2, 2), "occluded": True},
                  cls="person"),
            track(key(5), cls="car", id="mine", attributes={"colour": "blue"}),
            track(key(30, None, outside=True), key(0, score=np.float64(0.25))),
        ]}
    )  # fmt: skip
    defaults = {"parked": False, "colour": "red"}
    assert value == {
        "tracks": [
            {"id": "t1", "class": "car", "attributes": defaults, "keyframes": [
                {"frame": 0, "bbox": [0.0, 0.0, 10.0, 10.0], "outside": False,
                 "occluded": False, "score": 0.25},
                {"frame": 30, "outside": True, "occluded": False}]},
            {"id": "mine", "class": "car", "attributes": {"parked": False, "colour": "blue"},
             "keyframes": [{"frame": 5, "bbox": [0.0, 0.0, 10.0, 10.0], "outside": False,
                            "occluded": False}]},
            {"id": "t2", "class": "person", "attributes": defaults, "keyframes": [
                {"frame": 10, "bbox": [0.5, 0.0, 2.0, 2.0], "outside": False, "occluded": True},
                {"frame": 20, "bbox": [1.0, 2.0, 3.0, 4.0], "outside": False,
                 "occluded": False}]},
        ]
    }  # fmt: skip
    for t in value["tracks"]:
        for k in t["keyframes"]:
            assert type(k["frame"]) is int
            assert all(type(x) is float for x in k.get("bbox", ()))
            assert type(k["outside"]) is bool and type(k["occluded"]) is bool
    assert type(value["tracks"][0]["keyframes"][0]["score"]) is float
    # Canonical: validating again changes nothing; a bare list is the same value; JSON safe.
    assert task.validate(value) == value
    assert task.validate(value["tracks"]) == value
    assert task.validate(json.loads(json.dumps(value))) == value
    assert task.validate([]) == {"tracks": []} == task.validate({})


def test_ids_are_given_in_time_order_skipping_those_in_use():
    task = box_task()
    value = task.validate([track(key(9)), track(key(3), id="t1"), track(key(1)), track(key(5))])
    assert [(t["id"], t["keyframes"][0]["frame"]) for t in value["tracks"]] == [
        ("t2", 1), ("t1", 3), ("t3", 5), ("t4", 9)]  # fmt: skip
    # Tracks starting at one frame: by class, then id.
    value = task.validate([track(key(0), cls="person"), track(key(0), cls="car")])
    assert [(t["id"], t["class"]) for t in value["tracks"]] == [("t1", "car"), ("t2", "person")]
    # Ids given by class, then tracks sorted by id: 'a' before the 't1' given to the car.
    value = task.validate([track(key(0), cls="car"), track(key(0), cls="person", id="a")])
    assert [(t["id"], t["class"]) for t in value["tracks"]] == [("a", "person"), ("t1", "car")]
    assert task.validate([track(key(0), id=7)])["tracks"][0]["id"] == "7"


def test_polygon_tracks_validate():
    task = polygon_task()
    value = task.validate([
        track({"frame": 4, "points": [(1, 1), (5, 1), (np.float32(1), 5)]},
              {"frame": 0, "points": TRIANGLE},
              {"frame": 9, "outside": True}),
    ])  # fmt: skip
    keys = value["tracks"][0]["keyframes"]
    assert [k["frame"] for k in keys] == [0, 4, 9]
    assert keys[1]["points"] == [[1.0, 1.0], [5.0, 1.0], [1.0, 5.0]]
    assert all(type(c) is float for p in keys[0]["points"] for c in p)
    assert "points" not in keys[2] and keys[2]["outside"] is True
    assert task.validate(value) == value


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "tracks, error, message",
    [
        ([track(key(0), cls="bike")], wb.UnknownClassError, "no class 'bike'"),
        ([track(key(0), cls=None)], wb.UnknownClassError, "no class"),
        ([track()], wb.SchemaError, "at least one keyframe"),
        ([{"class": "car"}], wb.SchemaError, "at least one keyframe"),
        ([track(key(3), key(3.0, (1, 1, 2, 2)))], wb.SchemaError, "two keyframes at frame 3"),
        ([track(key(-1))], wb.SchemaError, "frame must be a whole number"),
        ([track(key(2.5))], wb.SchemaError, "frame must be a whole number"),
        ([track(key(True))], wb.SchemaError, "frame must be a whole number"),
        ([track(key(False))], wb.SchemaError, "frame must be a whole number"),
        ([track(key(MAX_FRAME + 1))], wb.SchemaError, "frame must be a whole number"),
        ([track(key(1e300))], wb.SchemaError, "frame must be a whole number"),
        ([track(key(NAN))], wb.SchemaError, "frame must be a whole number"),
        ([track(key(INF))], wb.SchemaError, "frame must be a whole number"),
        ([track(key(None))], wb.SchemaError, "frame must be a whole number"),
        ([track({"bbox": [0, 0, 1, 1]})], wb.SchemaError, "frame must be a whole number"),
        ([track(key(0, (0, 0, 0, 1)))], wb.SchemaError, "width and height must be positive"),
        ([track(key(0, (0, 0, 1, 0)))], wb.SchemaError, "width and height must be positive"),
        ([track(key(0, (0, 0, -1, 5)))], wb.SchemaError, "width and height must be positive"),
        ([track(key(0, (NAN, 0, 1, 1)))], wb.SchemaError, "finite"),
        ([track(key(0, (0, INF, 1, 1)))], wb.SchemaError, "finite"),
        ([track(key(0, (0, 0, 1, -INF)))], wb.SchemaError, "finite"),
        ([track(key(0, (0, 0, 1)))], wb.SchemaError, "4 numbers"),
        ([track(key(0, (0, 0, 1, 2**25)))], wb.SchemaError, "at most"),
        ([track(key(0, ("0", 0, 1, 1)))], wb.SchemaError, "finite"),
        ([track({"frame": 0, "points": TRIANGLE})], wb.SchemaError, "boxes, got 'points'"),
        ([track({"frame": 0})], wb.SchemaError, "in view has a bbox"),
        ([track(key(0), key(5, None, occluded=True))], wb.SchemaError, "in view has a bbox"),
        ([track(key(0, outside="yes"))], wb.SchemaError, "outside must be true or false"),
        ([track(key(0, occluded=1))], wb.SchemaError, "occluded must be true or false"),
        ([track(key(0, color="red"))], wb.SchemaError, "unknown field 'color'"),
        ([track(key(0), speed=3)], wb.SchemaError, "unknown field 'speed'"),
        ([track(key(0, score=1.5))], wb.SchemaError, "score"),
        ([track(key(0, score=-0.1))], wb.SchemaError, "score"),
        ([track(key(0, score=True))], wb.SchemaError, "score"),
        ([track(key(0, score="high"))], wb.SchemaError, "score"),
        ([track(key(0, score=NAN))], wb.SchemaError, "score"),
        ([track(key(0), attributes={"speed": 3})], wb.SchemaError, "no attribute 'speed'"),
        ([track(key(0), attributes={"colour": "green"})], wb.SchemaError, "colour"),
        ([track(key(0), attributes=[1])], wb.SchemaError, "attributes must be a dict"),
        ([track(key(0), id="a"), track(key(1), id="a")], wb.SchemaError, "used twice"),
        ([track(key(0), id=1.5)], wb.SchemaError, "id must be a string"),
        (["car 0-5"], wb.SchemaError, "a track is a dict"),
        ([track("frame 0")], wb.SchemaError, "a keyframe is a dict"),
        ({"tracks": [], "shapes": []}, wb.SchemaError, "a field 'shapes'"),
    ],
)
def test_validate_errors_box(tracks, error, message):
    with pytest.raises(error, match=message):
        box_task(attributes=ATTRS).validate(tracks)


def poly(frame, points=TRIANGLE, **kw):
    return {"frame": frame, "points": points, **kw}


@pytest.mark.parametrize(
    "tracks, message",
    [
        ([track(key(0))], "polygons, got 'bbox'"),
        ([track(poly(0, [[0, 0], [1, 1]]))], "three points or more"),
        ([track(poly(0, []))], "three points or more"),
        ([track(poly(0), poly(5, [*TRIANGLE, [3, 3]]))], r"same number of points.*\[3, 4\]"),
        ([track(poly(0, [[0, 0], [1, NAN], [2, 2]]))], "finite"),
        ([track(poly(0, [[0, 0], [1, INF], [2, 2]]))], "finite"),
        ([track(poly(0, [[0, 0], [1], [2, 2]]))], r"points\[1\]"),
        ([track({"frame": 0})], "in view has points"),
        ([track(poly(0), {"frame": 3, "occluded": True})], "in view has points"),
    ],
)
def test_validate_errors_polygon(tracks, message):
    with pytest.raises(wb.SchemaError, match=message):
        polygon_task().validate(tracks)


def test_an_outside_keyframe_needs_no_geometry():
    assert box_task().validate([track(key(0), {"frame": 4, "outside": True})])
    assert polygon_task().validate([track(poly(0), {"frame": 4, "outside": True})])
    # A track may even start outside (entering the view later).
    value = box_task().validate([track({"frame": 0, "outside": True}, key(5))])
    assert [k["outside"] for k in value["tracks"][0]["keyframes"]] == [True, False]


# A frame is a whole number: a string ("3", b"3") is refused like any other text.
@pytest.mark.parametrize("frame", ["3", b"3"], ids=["str", "bytes"])
def test_a_string_frame_is_refused(frame):
    with pytest.raises(wb.SchemaError, match="frame must be a whole number"):
        box_task().validate([track(key(frame))])


def test_task_options_are_checked():
    with pytest.raises(wb.SchemaError, match="at least one object class"):
        wb.VideoTracks("tracks", classes=[])
    with pytest.raises(wb.SchemaError, match="shape must be one of"):
        wb.VideoTracks("tracks", classes=["car"], shape="mask")
    with pytest.raises(wb.SchemaError, match="repeat"):
        wb.VideoTracks("tracks", classes=["car"], attributes=["x", "x"])
    with pytest.raises(wb.SchemaError, match="classes is a list"):
        wb.VideoTracks("tracks", classes="car")
    assert wb.VideoTracks("tracks", classes=["car"]).shape == "box"


def test_check_frames_and_check_item():
    task = box_task()
    value = task.validate([track(key(0)), track(key(2), key(9), id="late")])
    task.check_frames(value, 10)
    with pytest.raises(wb.SchemaError, match=r"track 'late'.*frame 9.*last frame \(8\)"):
        task.check_frames(value, 9)
    # check_item reads the content only when there are tracks, and wants a video.
    task.check_item({"tracks": []}, lambda: pytest.fail("read for an empty value"))
    with pytest.raises(wb.SchemaError, match="not a video"):
        task.check_item(value, lambda: "some text")


def test_label_refuses_a_keyframe_past_the_last_frame_and_writes_nothing(project):
    project.add_video([synthetic_clip(10)], fps=FPS, ids=["v"])
    project.label("v", [track(key(0), key(9))])
    before = project.events()
    with pytest.raises(wb.SchemaError, match=r"frame 10, past the video's last frame \(9\)"):
        project.label("v", [track(key(0), key(10))])
    with pytest.raises(wb.SchemaError, match="past the video's last frame"):
        project.label("v", [track(key(0)), track({"frame": 50, "outside": True}, key(3))])
    with pytest.raises(wb.UnknownClassError):
        project.label("v", [track(key(0), cls="bike")])
    after = project.events()
    assert len(after) == len(before)
    assert after["value"].tolist() == before["value"].tolist()
    # Tracks are for video: a text item takes none, an empty value is fine.
    project.add_texts(["words"], ids=["t"])
    with pytest.raises(wb.SchemaError, match="not a video"):
        project.label("t", [track(key(0))])
    project.label("t", [])
    # The stored value is the canonical one.
    events = project.events()
    stored = events[events["item_id"] == "v"]["value"].iloc[-1]
    assert stored == box_task().validate([track(key(0), key(9))])


def test_schema_round_trips_through_a_dict():
    task = wb.VideoTracks(
        "tracks", classes=[wb.LabelClass("car", color="#ff0000"), "person"], shape="polygon",
        attributes=ATTRS, description="follow them",
    )  # fmt: skip
    schema = wb.Schema((wb.Classification("scene", classes=["day", "night"]), task))
    data = schema.to_dict()
    back = wb.Schema.from_dict(json.loads(json.dumps(data)))
    assert back.to_dict() == data
    again = back.task("tracks")
    assert isinstance(again, wb.VideoTracks) and again == task
    assert again.shape == "polygon" and again.attributes == ATTRS
    assert again.class_names == ["car", "person"] and again.classes[0].color == "#ff0000"
    assert again.description == "follow them"
    # A dict without a shape is a box task.
    data = box_task().to_dict()
    del data["shape"]
    assert wb.VideoTracks.from_dict(data).shape == "box"


def test_value_schema_accepts_validated_values_and_refuses_others():
    jsonschema = pytest.importorskip("jsonschema")
    task = box_task(attributes=ATTRS)
    value = task.validate([
        track(key(0, score=0.5), key(4, None, outside=True), key(9, occluded=True)),
        track(key(2), cls="person", attributes={"parked": True}),
    ])  # fmt: skip
    schema = task.value_schema()
    jsonschema.validate(value, schema)
    jsonschema.validate({"tracks": []}, schema)
    t0 = value["tracks"][0]
    k0 = t0["keyframes"][0]
    for bad in (
        {"tracks": [{**t0, "class": "bike"}]},
        {"tracks": [{**t0, "extra": 1}]},
        {"tracks": [{**t0, "keyframes": []}]},
        {"tracks": [{**t0, "keyframes": [{**k0, "frame": -1}]}]},
        {"tracks": [{**t0, "keyframes": [{**k0, "frame": 1.5}]}]},
        {"tracks": [{**t0, "keyframes": [{**k0, "bbox": [0, 0, 1]}]}]},
        {"tracks": [{**t0, "keyframes": [{**k0, "points": TRIANGLE}]}]},
        {"tracks": [{**t0, "keyframes": [{**k0, "score": 2}]}]},
        {"tracks": [{**t0, "attributes": {"colour": "green", "parked": False}}]},
        {"tracks": [], "more": 1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    ptask = polygon_task()
    pvalue = ptask.validate(
        [track(poly(0), poly(3, [[1, 1], [2, 1], [1, 2]]), poly(7, None, outside=True))]
    )
    jsonschema.validate(pvalue, ptask.value_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(value, ptask.value_schema())  # boxes in a polygon task


# -- tracks: the shapes of a frame ----------------------------------------------------------


def box_value(*tracks_):
    return box_task().validate(list(tracks_))


def test_shape_at_interpolates_holds_and_hides():
    value = box_value(track(
        key(10, (0, 0, 10, 10)),
        key(20, (10, 20, 30, 40), occluded=True),
        key(30, None, outside=True),
        key(40, (5, 5, 5, 5)),
    ))  # fmt: skip
    t = value["tracks"][0]

    def at(f):
        s = shape_at(t, f)
        return None if s is None else (s["bbox"], s["occluded"], s["keyframe"])

    assert shape_at(t, 0) is None and shape_at(t, 9) is None  # before the first keyframe
    assert at(10) == ([0.0, 0.0, 10.0, 10.0], False, True)  # exactly at keyframes
    assert at(15) == ([5.0, 10.0, 20.0, 25.0], False, False)  # the midpoint
    assert at(12) == (pytest.approx([2.0, 4.0, 14.0, 16.0]), False, False)
    assert at(20) == ([10.0, 20.0, 30.0, 40.0], True, True)  # occluded from this keyframe
    assert at(25) == ([10.0, 20.0, 30.0, 40.0], True, False)  # held until the outside one
    assert all(shape_at(t, f) is None for f in range(30, 40))  # outside until the next
    assert at(40) == ([5.0, 5.0, 5.0, 5.0], False, True)
    assert at(10_000) == ([5.0, 5.0, 5.0, 5.0], False, False)  # held after the last keyframe
    s = shape_at(t, 15)
    assert (s["track"], s["class"]) == ("t1", "car")


def test_occluded_comes_from_the_keyframe_before():
    value = box_value(track(key(0, occluded=True), key(10), key(20, occluded=True)))
    t = value["tracks"][0]
    assert [shape_at(t, f)["occluded"] for f in (0, 5, 9, 10, 15, 19, 20, 99)] == [
        True, True, True, False, False, False, True, True]  # fmt: skip


def test_polygons_are_interpolated_vertex_by_vertex():
    value = polygon_task().validate([
        track(poly(0, TRIANGLE), poly(10, [[10, 10], [20, 10], [10, 30]]),
              poly(20, None, outside=True)),
    ])  # fmt: skip
    t = value["tracks"][0]
    assert shape_at(t, 0)["points"] == [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]
    assert shape_at(t, 5)["points"] == [[5.0, 5.0], [15.0, 5.0], [5.0, 20.0]]
    np.testing.assert_allclose(shape_at(t, 2)["points"], [[2, 2], [12, 2], [2, 14]], atol=1e-12)
    assert shape_at(t, 15)["points"] == [[10.0, 10.0], [20.0, 10.0], [10.0, 30.0]]
    assert shape_at(t, 20) is None
    assert "bbox" not in shape_at(t, 5)
    # TrackIndex falls back to shape_at for polygon tracks.
    assert TrackIndex(value).shapes_at(5) == shapes_at(value, 5)


def test_shapes_at_lists_the_tracks_shown_in_track_order():
    value = box_value(
        track(key(0), key(10, None, outside=True)),
        track(key(5, (1, 1, 2, 2)), cls="person"),
        track(key(20, (3, 3, 3, 3))),
    )
    assert [s["track"] for s in shapes_at(value, 0)] == ["t1"]
    assert [s["track"] for s in shapes_at(value, 7)] == ["t1", "t2"]
    assert [s["track"] for s in shapes_at(value, 12)] == ["t2"]
    assert [s["track"] for s in shapes_at(value, 25)] == ["t2", "t3"]
    assert shapes_at({"tracks": []}, 3) == []
    index = TrackIndex(value)
    got = index.boxes_at(7)
    assert got["index"].tolist() == [0, 1]
    assert got["bbox"].tolist() == [[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 2.0, 2.0]]
    assert got["occluded"].tolist() == [False, False] and got["keyframe"].tolist() == [False, False]
    assert index.boxes_at(5)["keyframe"].tolist() == [False, True]
    empty = TrackIndex({"tracks": []}).boxes_at(3)
    assert empty["bbox"].shape == (0, 4) and len(empty["index"]) == 0
    assert TrackIndex({"tracks": []}).shapes_at(3) == []


N_FRAMES = 40


@st.composite
def box_tracks(draw):
    out = []
    for _ in range(draw(st.integers(0, 6))):
        frames = draw(st.lists(st.integers(0, N_FRAMES), min_size=1, max_size=6, unique=True))
        keys = []
        for f in frames:
            k = {"frame": f, "outside": draw(st.booleans()), "occluded": draw(st.booleans())}
            if not k["outside"] or draw(st.booleans()):  # an outside key may keep its box
                xy = draw(st.lists(st.floats(-100, 1000, allow_nan=False), min_size=2, max_size=2))
                wh = draw(st.lists(st.floats(0.5, 500, allow_nan=False), min_size=2, max_size=2))
                k["bbox"] = xy + wh
            keys.append(k)
        out.append({"class": draw(st.sampled_from(["car", "person"])), "keyframes": keys})
    return out


@settings(max_examples=200, deadline=None)
@given(tracks=box_tracks())
def test_property_track_index_equals_shapes_at(tracks):
    value = box_task().validate(tracks)
    index = TrackIndex(value)
    for f in range(N_FRAMES + 3):
        want = shapes_at(value, f)
        got = index.shapes_at(f)
        assert [(s["track"], s["class"], s["occluded"], s["keyframe"]) for s in got] == [
            (s["track"], s["class"], s["occluded"], s["keyframe"]) for s in want
        ], f
        for g, w in zip(got, want, strict=True):
            assert set(g) == set(w)
            assert all(math.isfinite(x) for x in g["bbox"])
            np.testing.assert_allclose(g["bbox"], w["bbox"], rtol=0, atol=1e-9)


# -- tracks: edits ---------------------------------------------------------------------------


def shown(value, frame):
    """Every shape at ``frame`` as ``(bbox, occluded)``, whichever track shows it, sorted."""
    return sorted((tuple(round(x, 9) for x in s["bbox"]), s["occluded"])
                  for s in shapes_at(value, frame))  # fmt: skip


def three_keys():
    return box_value(track(
        key(0, (0, 0, 10, 10)), key(10, (10, 10, 10, 10), occluded=True),
        key(20, (20, 0, 10, 10)), key(30, None, outside=True), key(40, (0, 0, 4, 4)),
    ), track(key(5, (50, 50, 5, 5)), cls="person"))  # fmt: skip


FRAMES = range(50)


@pytest.mark.parametrize("frame", [5, 13, 19])
def test_split_then_merge_gives_back_the_same_shapes(frame):
    task = box_task()
    value = three_keys()
    split = task.validate(split_track(value, "t1", frame))
    assert len(split["tracks"]) == 3
    new = next(t for t in split["tracks"] if t["id"] not in ("t1", "t2"))
    first = next(t for t in split["tracks"] if t["id"] == "t1")
    assert new["class"] == "car" and new["keyframes"][0]["frame"] == frame
    assert first["keyframes"][-1] == {"frame": frame, "outside": True, "occluded": False}
    # The new track shows, from the split on, what the track showed.
    for f in range(frame, 50):
        a, b = shape_at(value["tracks"][0], f), shape_at(new, f)
        assert (a is None) == (b is None), f
        if a is not None:
            assert (
                b["bbox"] == pytest.approx(a["bbox"], abs=1e-9) and a["occluded"] == b["occluded"]
            )
        assert shape_at(first, f) is None
    merged = task.validate(merge_tracks(split, "t1", new["id"]))
    assert [t["id"] for t in merged["tracks"]] == ["t1", "t2"]
    for f in FRAMES:
        assert shown(merged, f) == shown(value, f), f
    assert merged == value  # the cut went and nothing else changed


# Merging the two parts of a split back gives the same shapes at every frame, whether
# the cut was at a keyframe or where the shape was held.
@pytest.mark.parametrize("frame", [10, 20, 25, 41, 45])
def test_split_at_a_keyframe_or_after_the_last_then_merge_gives_back_the_same_shapes(frame):
    task = box_task()
    value = three_keys()
    split = task.validate(split_track(value, "t1", frame))
    new = next(t for t in split["tracks"] if t["id"] not in ("t1", "t2"))
    merged = task.validate(merge_tracks(split, "t1", new["id"]))
    assert [f for f in FRAMES if shown(merged, f) != shown(value, f)] == []


# A split changes no shape: the first part gets an in-view keyframe before the cut.
def test_split_alone_keeps_the_shapes_of_every_frame():
    value = three_keys()
    split = box_task().validate(split_track(value, "t1", 5))
    assert [f for f in FRAMES if shown(split, f) != shown(value, f)] == []


def test_split_with_nothing_shown_before_the_frame_raises():
    value = three_keys()
    for frame in (0, 30, 35, 39):  # no keyframe before 0; outside from 30 to 39
        with pytest.raises(ValueError, match="shows nothing before frame"):
            split_track(value, "t1", frame)
    with pytest.raises(ValueError, match="shows nothing before frame"):
        split_track(value, "t2", 3)  # before the track starts
    with pytest.raises(KeyError):
        split_track(value, "nope", 5)


def test_merge_keeps_the_first_tracks_class_and_keyframes():
    task = box_task(attributes=ATTRS)
    value = task.validate([
        track(key(0, (0, 0, 1, 1)), key(10, (9, 9, 9, 9)), id="a", attributes={"parked": True}),
        track(key(10, (1, 1, 1, 1)), key(20, (2, 2, 2, 2)), id="b", cls="person"),
    ])  # fmt: skip
    merged = task.validate(merge_tracks(value, "a", "b"))
    (t,) = merged["tracks"]
    assert (t["id"], t["class"], t["attributes"]["parked"]) == ("a", "car", True)
    assert [(k["frame"], k["bbox"]) for k in t["keyframes"]] == [
        (0, [0.0, 0.0, 1.0, 1.0]),
        (10, [9.0, 9.0, 9.0, 9.0]),
        (20, [2.0, 2.0, 2.0, 2.0]),
    ]
    with pytest.raises(KeyError):
        merge_tracks(value, "a", "nope")


def test_set_and_remove_keyframes():
    task = box_task()
    value = three_keys()
    saved = copy.deepcopy(value)
    # Added in frame order; the shapes between move with it.
    added = task.validate(set_keyframe(value, "t1", key(5, (100, 100, 1, 1))))
    frames = [k["frame"] for k in added["tracks"][0]["keyframes"]]
    assert frames == [0, 5, 10, 20, 30, 40]
    assert shape_at(added["tracks"][0], 5)["bbox"] == [100.0, 100.0, 1.0, 1.0]
    assert shape_at(added["tracks"][0], 3)["bbox"] == pytest.approx([60.0, 60.0, 4.6, 4.6])
    # Set at a frame with a keyframe: replaced.
    replaced = task.validate(set_keyframe(value, "t1", key(10, (1, 2, 3, 4))))
    keys = replaced["tracks"][0]["keyframes"]
    assert [k["frame"] for k in keys] == [0, 10, 20, 30, 40]
    assert keys[1] == {"frame": 10, "bbox": [1.0, 2.0, 3.0, 4.0], "outside": False,
                       "occluded": False}  # fmt: skip
    # Removed: the shapes are interpolated over the gap.
    removed = task.validate(remove_keyframe(value, "t1", 10))
    assert [k["frame"] for k in removed["tracks"][0]["keyframes"]] == [0, 20, 30, 40]
    assert shape_at(removed["tracks"][0], 10)["bbox"] == [10.0, 0.0, 10.0, 10.0]
    # Removing a frame with no keyframe changes nothing; the last keyframe takes the track.
    assert task.validate(remove_keyframe(value, "t1", 7)) == value
    gone = task.validate(remove_keyframe(value, "t2", 5))
    assert [t["id"] for t in gone["tracks"]] == ["t1"]
    with pytest.raises(KeyError):
        set_keyframe(value, "nope", key(3))
    with pytest.raises(KeyError):
        remove_keyframe(value, "nope", 3)
    # Edits return new values: the one given is left as it was.
    split_track(value, "t1", 5)
    merge_tracks(value, "t1", "t2")
    assert value == saved
