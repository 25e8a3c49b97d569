"""Opening an hour of audio to its waveform, in the kernel and in the widget.

``python tests/benchmarks/bench_audio.py [--repeat 2] [--quick]``

An hour of 16 kHz, 16-bit mono noise (a 115 MB WAV file written here). Three
figures, each with its reference measured in the same run:

``audio.open_hour_ms``
    Enter on a short clip to the hour-long clip's waveform painted in
    ``project.annotate_audio()`` in a real JupyterLab and headless Chromium
    (the widget's ``window.__workbenchTimings``: keydown to the end of the first
    frame painted with the new clip). Each run opens a new path to the file (a
    hard link: another item, its waveform pyramid not cached). Baseline: the same
    with ``prefetch=0`` (the clip asked for after the key, its pyramid built then).
``audio.open_hour_bytes``
    The bytes sent for the hour-long clip: its whole-clip waveform (``max_size``
    2048 bins of float32 min/max pairs). Baseline: the signal itself as 16-bit PCM.
``audio.peaks_hour_ms``
    In the kernel, ``Audio.peaks(bins=2048)`` on the hour for the first time (one
    pass over the file, building the pyramid); ``cached_ms``: again from the
    pyramid file, in a new reader. Baseline: ``soundfile.read`` of the whole file
    (what drawing it from the samples would have to read first).

Prints one JSON line per figure; details on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from tests.benchmarks.lab import Lab, lab  # noqa: E402
from tests.benchmarks.report import emit, log  # noqa: E402
from tests.browser.harness import chromium_path, wait_for  # noqa: E402
from tests.browser.views import WidgetView  # noqa: E402

SR = 16_000
HOUR_S = 3600
MAX_SIZE = 2048


class AudioView(WidgetView):
    root_class = "wb-annotate-audio"


def hour_file(folder: Path) -> Path:
    import soundfile as sf

    path = folder / "hour.wav"
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as f:
        for _ in range(HOUR_S // 60):  # a minute at a time
            f.write((rng.standard_normal(SR * 60) * 3000).clip(-32768, 32767).astype(np.int16))
    return path


def kernel_run(path: Path, repeat: int) -> tuple[float, float, float]:
    """(first peaks ms, cached peaks ms, soundfile.read ms), best of ``repeat``."""
    import soundfile as sf

    from workbench.items import ItemReader, from_audio

    first, cached, whole = [], [], []
    for k in range(repeat):
        link = path.with_name(f"kernel-{k}.wav")
        os.link(path, link)
        (rec,) = from_audio([str(link)], progress=False)
        with tempfile.TemporaryDirectory() as items:
            t = time.perf_counter()
            ItemReader(items).audio(rec).peaks(bins=MAX_SIZE)
            first.append(time.perf_counter() - t)
            t = time.perf_counter()
            ItemReader(items).audio(rec).peaks(bins=MAX_SIZE)
            cached.append(time.perf_counter() - t)
        t = time.perf_counter()
        sf.read(link, dtype="float32")
        whole.append(time.perf_counter() - t)
    ms = [[round(x * 1e3, 1) for x in xs] for xs in (first, cached, whole)]
    log(f"# kernel: first {ms[0]} ms, cached {ms[1]} ms, soundfile.read {ms[2]} ms")
    return min(first) * 1e3, min(cached) * 1e3, min(whole) * 1e3


SETUP = """\
import numpy as np, workbench as wb
schema = wb.Schema((wb.AudioRegions('events', classes=['speech', 'music']),))
project = wb.Project({db!r}, schema=schema, annotator='bench')
short = (np.random.default_rng(1).standard_normal(2 * {sr}) * 0.1).astype(np.float32)
for k, hour in enumerate({hours!r}):
    project.add_audio([short + k * 1e-3], sample_rate={sr}, ids=[f'short-{{k}}'])
    project.add_audio([hour], ids=[f'hour-{{k}}'])
len(project)
"""


def widget_run(lb: Lab, folder: Path, path: Path, *, prefetch: int, repeat: int) -> list[float]:
    """Enter on each short clip to the hour-long one after it painted, ms."""
    hours = []
    for k in range(repeat):
        link = folder / f"widget-p{prefetch}-{k}.wav"
        os.link(path, link)
        hours.append(str(link))
    name = f"audio_p{prefetch}_{int(time.time() * 1000)}"
    setup = SETUP.format(db=str(lb.notebooks / f"{name}.db"), sr=SR, hours=hours)
    lp = lb.open(
        name, [setup, f"w = project.annotate_audio(prefetch={prefetch}, max_size={MAX_SIZE})\nw"]
    )
    view = AudioView(lp)
    out = []
    try:
        lp.run_all()
        view.wait_ready(timeout=180)
        view.focus()
        for k in range(repeat):
            wait_for(
                lambda k=k: view.state().get("itemId") == f"short-{k}",
                timeout=60,
                what="short clip",
            )
            time.sleep(1.5 if prefetch else 0.3)  # the queue fills while the short clip is shown
            view.clear_timings()
            lp.press_keys(["Enter"], interval=0.1)
            wait_for(lambda: len(view.timings()) >= 1, timeout=120, what="hour painted")
            assert view.state().get("itemId") == f"hour-{k}", view.state()
            out.append(float(view.timings()[0]["ms"]))
            lp.press_keys(["Enter"], interval=0.1)
        log(f"# widget prefetch={prefetch}: {[round(x) for x in out]} ms")
        return out
    finally:
        lb.done(lp, f"audio prefetch={prefetch}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; best is kept")
    parser.add_argument("--quick", action="store_true", help="two runs")
    args, _ = parser.parse_known_args(argv)
    if args.quick:
        args.repeat = min(args.repeat, 2)
    with tempfile.TemporaryDirectory(prefix="wb-bench-audio-") as tmp:
        folder = Path(tmp)
        path = hour_file(folder)
        first, cached, whole = kernel_run(path, args.repeat)
        emit("audio.peaks_hour_ms", first, "ms", whole, cached_ms=round(cached, 2),
             bins=MAX_SIZE, seconds=HOUR_S, sample_rate=SR,
             baseline_is="soundfile.read of the whole file")  # fmt: skip
        from workbench.items import ItemReader, from_audio

        (rec,) = from_audio([str(path)], progress=False)
        with tempfile.TemporaryDirectory() as items:
            sent = len(ItemReader(items).render(rec, max_size=MAX_SIZE)["data"])
        emit("audio.open_hour_bytes", sent, "bytes", HOUR_S * SR * 2, max_size=MAX_SIZE,
             baseline_is="the signal as 16-bit PCM")  # fmt: skip
        if chromium_path() is None:
            log("# bench_audio: Chromium not found; the widget figure is skipped")
            return 0
        with lab() as lb:
            opened = widget_run(lb, folder, path, prefetch=2, repeat=args.repeat)
            cold = widget_run(lb, folder, path, prefetch=0, repeat=args.repeat)
        emit("audio.open_hour_ms", min(opened), "ms", min(cold), target_ms=300, seconds=HOUR_S,
             sample_rate=SR, prefetch=2, runs=args.repeat,
             baseline_is="prefetch=0: the clip asked for after the key, its pyramid built then",
             )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
