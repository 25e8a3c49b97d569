"""Video: the shapes of one frame from many tracks, and decoding a frame by its index.

``python tests/benchmarks/bench_video.py [--quick]``

``video.interp_tracks_ms``
    1,000 box tracks over 10,000 frames (10 keyframes each, some ``outside``):
    the shapes of one frame for display, p95 over random frames, with
    :class:`~workbench.kinds.video.tracks.TrackIndex` (built once per value,
    ``build_ms``). Baseline: :func:`~workbench.kinds.video.tracks.shapes_at`,
    the same answer track by track in Python.
``video.frame_ms``
    The kernel's part of a frame step: ``Video.frame(k)`` of a 1280×720 H.264
    video (a keyframe every 30 frames) stepping forward one frame at a time, p95
    (the frames decoded on the way are kept, so most steps decode nothing).
    Baseline: a random frame each time (a seek and a decode from the keyframe).

Prints one JSON line per figure; details on stderr.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from tests.benchmarks.bench_widget import percentile  # noqa: E402
from tests.benchmarks.report import emit, log  # noqa: E402


def tracks_value(n_tracks: int, n_frames: int, keys: int, seed: int = 0) -> dict:
    import workbench as wb

    rng = np.random.default_rng(seed)
    tracks = []
    for _ in range(n_tracks):
        frames = np.sort(rng.choice(n_frames, keys, replace=False))
        xs = rng.uniform(0, 1200, keys)
        keyframes = [{"frame": int(f), "bbox": [float(x), 100.0, 40.0, 30.0],
                      "outside": bool(rng.random() < 0.1), "occluded": bool(rng.random() < 0.2)}
                     for f, x in zip(frames, xs, strict=True)]  # fmt: skip
        tracks.append({"class": "car", "keyframes": keyframes})
    return wb.VideoTracks("objects", classes=["car"]).validate(tracks)


def interp_run(n_tracks: int, n_frames: int, queries: int) -> tuple[float, float, float]:
    from workbench.kinds.video.tracks import TrackIndex, shapes_at

    value = tracks_value(n_tracks, n_frames, 10)
    t = time.perf_counter()
    index = TrackIndex(value)
    build = (time.perf_counter() - t) * 1e3
    rng = np.random.default_rng(1)
    fast, slow = [], []
    for f in rng.integers(0, n_frames, queries):
        t = time.perf_counter()
        index.shapes_at(int(f))
        fast.append((time.perf_counter() - t) * 1e3)
    for f in rng.integers(0, n_frames, max(20, queries // 10)):
        t = time.perf_counter()
        shapes_at(value, int(f))
        slow.append((time.perf_counter() - t) * 1e3)
    log(f"# interp: build {build:.1f} ms; TrackIndex p50 {percentile(fast, 50):.3f} p95 "
        f"{percentile(fast, 95):.3f} ms; shapes_at p50 {percentile(slow, 50):.2f} p95 "
        f"{percentile(slow, 95):.2f} ms")  # fmt: skip
    return percentile(fast, 95), percentile(slow, 95), build


def frame_run(frames: int) -> tuple[float, float]:
    from workbench.media import Video, write_video

    with tempfile.TemporaryDirectory(prefix="wb-bench-video-") as tmp:
        path = Path(tmp) / "clip.mp4"
        h, w = 720, 1280
        yy, xx = np.mgrid[0:h, 0:w]

        def frame(k: int) -> np.ndarray:
            img = np.zeros((h, w, 3), np.uint8)
            img[..., 0] = (xx + 4 * k) % 256
            img[..., 1] = (yy + 2 * k) % 256
            x0 = (17 * k) % (w - 120)
            img[200:320, x0 : x0 + 120] = 255
            return img

        write_video(path, (frame(k) for k in range(frames)), 30, codec="libx264")
        step, jump = [], []
        video = Video(path, name="bench")
        assert video.info.frames == frames  # the frame table, once
        for k in range(frames):
            t = time.perf_counter()
            video.frame(k)
            step.append((time.perf_counter() - t) * 1e3)
        rng = np.random.default_rng(2)
        fresh = Video(path, name="bench")
        assert fresh.info.frames == frames
        for k in rng.integers(0, frames, 30):
            fresh._frames.clear()  # a random frame, nothing cached
            t = time.perf_counter()
            fresh.frame(int(k))
            jump.append((time.perf_counter() - t) * 1e3)
    log(f"# frames 1280x720: step p50 {percentile(step, 50):.2f} p95 {percentile(step, 95):.2f} ms;"
        f" random p50 {percentile(jump, 50):.1f} p95 {percentile(jump, 95):.1f} ms")  # fmt: skip
    return percentile(step, 95), percentile(jump, 95)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries and frames")
    args, _ = parser.parse_known_args(argv)
    queries, frames = (200, 90) if args.quick else (1000, 240)
    fast, slow, build = interp_run(1000, 10_000, queries)
    emit("video.interp_tracks_ms", fast, "ms", slow, target_ms=5, tracks=1000, frames=10_000,
         keyframes_per_track=10, build_ms=round(build, 1), stat="p95",
         baseline_is="shapes_at: track by track in Python")  # fmt: skip
    step, jump = frame_run(frames)
    emit("video.frame_ms", step, "ms", jump, stat="p95", width=1280, height=720, gop=30,
         baseline_is="a random frame each time, nothing cached")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
