"""Video: the shapes of one frame from many tracks, and decoding a frame by its index.

``python tests/benchmarks/bench_video.py [--quick]``

``video.interp_tracks_ms``
    1,000 box tracks over 10,000 frames (10 keyframes each, some ``outside``):
    the shapes of one frame for display, p95 over random frames, with
    :class:`~workbench.kinds.video.tracks.TrackIndex` (built once per value,
    ``build_ms``). Baseline: :func:`~workbench.kinds.video.tracks.shapes_at`,
    the same answer track by track in Python.
``video.seek_ms``
    A frame step (``.``) to the new frame painted in ``project.annotate_video()``
    in a real JupyterLab and headless Chromium, p95, on a 1280×720 H.264 video
    (``stepPaints``: keydown to the end of the first frame painted with the new
    picture), stepping one frame every 80 ms. Baseline: ``frame_prefetch=0``
    (each frame asked of the kernel after its key).
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
from tests.benchmarks.lab import Lab, lab  # noqa: E402
from tests.benchmarks.report import emit, log  # noqa: E402
from tests.browser.harness import chromium_path, wait_for  # noqa: E402
from tests.browser.views import WidgetView  # noqa: E402


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


def hd_video(path: Path, frames: int) -> Path:
    """A 1280×720 H.264 video (a keyframe every 30 frames) of moving gradients."""
    import av

    h, w = 720, 1280
    yy, xx = np.mgrid[0:h, 0:w]
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"g": "30"}
        for k in range(frames):
            img = np.zeros((h, w, 3), np.uint8)
            img[..., 0] = (xx + 4 * k) % 256
            img[..., 1] = (yy + 2 * k) % 256
            x0 = (17 * k) % (w - 120)
            img[200:320, x0 : x0 + 120] = 255
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def frame_run(path: Path, frames: int) -> tuple[float, float]:
    from workbench.media import Video

    step, jump = [], []
    video = Video(path, name="bench")
    total = video.info.frames  # the frame table, once
    for k in range(min(frames, total)):
        t = time.perf_counter()
        video.frame(k)
        step.append((time.perf_counter() - t) * 1e3)
    rng = np.random.default_rng(2)
    fresh = Video(path, name="bench")
    assert fresh.info.frames == total
    for k in rng.integers(0, total, 30):
        fresh.close()  # a random frame, from a fresh decoder
        fresh._frames.clear()  # and nothing cached
        t = time.perf_counter()
        fresh.frame(int(k))
        jump.append((time.perf_counter() - t) * 1e3)
    log(f"# frames 1280x720: step p50 {percentile(step, 50):.2f} p95 {percentile(step, 95):.2f} ms;"
        f" random p50 {percentile(jump, 50):.1f} p95 {percentile(jump, 95):.1f} ms")  # fmt: skip
    return percentile(step, 95), percentile(jump, 95)


class VideoView(WidgetView):
    root_class = "wb-annotate-video"

    def hook(self, name: str) -> object:
        return self.page.evaluate(
            f"(s) => [...document.querySelectorAll(s)].pop().wbVideo.{name}()", self.selector
        )


def seek_run(lb: Lab, path: Path, *, ahead: int, steps: int) -> list[float]:
    """Step ``steps`` frames with ``.`` (80 ms apart): each step's key-to-paint ms."""
    name = f"video_a{ahead}_{int(time.time() * 1000)}"
    setup = (
        "import workbench as wb\n"
        "schema = wb.Schema((wb.VideoTracks('objects', classes=['car']),))\n"
        f"project = wb.Project({str(lb.notebooks / (name + '.db'))!r}, schema=schema)\n"
        f"project.add_video([{str(path)!r}], ids=['hd'])\n"
        "len(project)"
    )
    lp = lb.open(name, [setup, f"w = project.annotate_video(frame_prefetch={ahead})\nw"])
    view = VideoView(lp)
    try:
        lp.run_all()
        view.wait_ready(timeout=180)
        view.focus()
        time.sleep(2.0)  # the first frames come while the user looks at the first one
        view.hook("clearStepPaints")
        lp.press_keys(["Period"] * steps, interval=0.08)
        wait_for(
            lambda: len(view.hook("stepPaints")) >= steps * 0.9, timeout=120, what="steps painted"
        )  # type: ignore[arg-type]
        time.sleep(1.0)
        out = [float(x) for x in view.hook("stepPaints")]  # type: ignore[union-attr]
        log(f"# seek frame_prefetch={ahead}: {len(out)} of {steps} steps painted, p50 "
            f"{percentile(out, 50):.1f} p95 {percentile(out, 95):.1f} ms")  # fmt: skip
        return out
    finally:
        lb.done(lp, f"video frame_prefetch={ahead}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries and frames")
    args, _ = parser.parse_known_args(argv)
    queries, frames = (200, 90) if args.quick else (1000, 240)
    fast, slow, build = interp_run(1000, 10_000, queries)
    emit("video.interp_tracks_ms", fast, "ms", slow, target_ms=5, tracks=1000, frames=10_000,
         keyframes_per_track=10, build_ms=round(build, 1), stat="p95",
         baseline_is="shapes_at: track by track in Python")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="wb-bench-video-") as tmp:
        path = hd_video(Path(tmp) / "hd.mp4", max(frames, 120))
        step, jump = frame_run(path, frames)
        emit("video.frame_ms", step, "ms", jump, stat="p95", width=1280, height=720, gop=30,
             baseline_is="a random frame each time, nothing cached")  # fmt: skip
        if chromium_path() is None:
            log("# bench_video: Chromium not found; video.seek_ms skipped")
            return 0
        steps = 40 if args.quick else 80
        with lab() as lb:
            ahead = seek_run(lb, path, ahead=24, steps=steps)
            cold = seek_run(lb, path, ahead=0, steps=steps)
        emit("video.seek_ms", percentile(ahead, 95), "ms", percentile(cold, 95), target_ms=33,
             stat="p95", steps=steps, width=1280, height=720, frame_prefetch=24,
             baseline_is="frame_prefetch=0: each frame asked for after its key")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
