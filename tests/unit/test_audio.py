"""Audio items: signals and files added to a project, the header and windows read back,
the waveform peaks (the min/max pyramid and its on-disk cache), what a widget is sent,
and the AudioRegions task's values."""

from __future__ import annotations

import io
import json
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.items import ItemReader
from workbench.media import BLOCK, FAN, Audio

sf = pytest.importorskip("soundfile")

SR = 8000


def make_project(tmp_path, name="p.db", **task):
    task.setdefault("classes", ["speech", "music"])
    schema = wb.Schema((wb.AudioRegions("regions", **task),))
    return wb.Project(tmp_path / name, schema=schema, annotator="me")


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path)
    yield p
    p.close()


def tone(seconds=2.0, freq=440.0, amp=0.5, sr=SR):
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def record(project, item_id):
    return project.store.get_items([item_id])[0]


# -- signals -------------------------------------------------------------------------------


def test_float32_signal_reads_back_exactly(project):
    x = np.random.default_rng(0).uniform(-1, 1, 3 * SR).astype(np.float32)
    assert project.add_audio([x], sample_rate=SR) == 1
    (iid,) = project.item_ids()
    audio = project.read_item(iid)
    assert isinstance(audio, Audio)
    info = audio.info
    assert (info.sample_rate, info.channels, info.frames) == (SR, 1, 3 * SR)
    assert audio.duration == 3.0 and audio.sample_rate == SR
    whole = audio.read()
    assert whole.dtype == np.float32 and whole.shape == (3 * SR, 1)
    np.testing.assert_array_equal(whole[:, 0], x)
    # A window: frames round(start*sr) to round(end*sr).
    np.testing.assert_array_equal(audio.read(0.5, 1.25, mono=True), x[4000:10000])
    # Past the end is clipped; end None is the end.
    np.testing.assert_array_equal(audio.read(2.5, 9.0, mono=True), x[20000:])
    np.testing.assert_array_equal(audio.read(2.5, mono=True), x[20000:])
    # blocks() gives every sample, a block at a time.
    blocks = list(audio.blocks(frames=5000))
    assert [len(b) for b in blocks] == [5000] * 4 + [4000]
    np.testing.assert_array_equal(np.concatenate(blocks)[:, 0], x)
    rec = record(project, iid)
    assert rec.kind == "audio" and rec.uri == f"items://{iid}.wav"
    assert rec.meta["sample_rate"] == SR and rec.meta["frames"] == 3 * SR
    assert (project.items_dir / f"{iid}.wav").exists()


def test_int16_signal_reads_back_scaled_by_full_scale(project):
    x = np.random.default_rng(1).integers(-32768, 32768, 2 * SR, dtype=np.int16)
    x[:4] = [-32768, 32767, 0, 1]
    project.add_audio([x], sample_rate=SR)
    audio = project.read_item(project.item_ids()[0])
    assert audio.info.subtype == "PCM_16"
    np.testing.assert_array_equal(audio.read(mono=True), x.astype(np.float32) / 32768)
    np.testing.assert_array_equal(audio.read(1.0, 1.5)[:, 0], x[8000:12000] / np.float32(32768))
    ints = np.concatenate(list(audio.blocks(dtype="int16")))[:, 0]
    np.testing.assert_array_equal(ints, x)


def test_wav_of_a_window_is_16_bit_pcm(project):
    x = tone(2.0)
    project.add_audio([x], sample_rate=SR)
    audio = project.read_item(project.item_ids()[0])
    data, rate = sf.read(io.BytesIO(audio.wav(0.5, 1.0)), dtype="float32")
    assert rate == SR and data.shape == (4000,)
    np.testing.assert_allclose(data, x[4000:8000], atol=1 / 32768)


def test_stereo_signal_is_frames_by_channels(project):
    left, right = tone(1.0, 440), tone(1.0, 660, amp=0.25)
    x = np.stack([left, right], axis=1)
    project.add_audio([x], sample_rate=SR)
    (iid,) = project.item_ids()
    audio = project.read_item(iid)
    assert audio.info.channels == 2 and audio.info.frames == SR
    assert record(project, iid).meta["channels"] == 2
    np.testing.assert_array_equal(audio.read(), x)
    np.testing.assert_allclose(audio.read(mono=True), (left + right) / 2, atol=1e-7)


def test_batch_n_by_frames_is_n_mono_clips(project):
    batch = np.stack([tone(1.0, f) for f in (220, 330, 440)])
    assert project.add_audio(batch, sample_rate=SR) == 3
    ids = project.item_ids()
    assert len(set(ids)) == 3
    for iid, row in zip(ids, batch, strict=True):
        audio = project.read_item(iid)
        assert audio.info.channels == 1
        np.testing.assert_array_equal(audio.read(mono=True), row)


def test_ids_are_content_hashes_and_the_rate_is_part_of_them(project):
    x = tone(1.0)
    assert project.add_audio([x], sample_rate=SR) == 1
    first = project.item_ids()
    assert len(first[0]) == 16 and all(c in "0123456789abcdef" for c in first[0])
    # The same signal again adds nothing, even as a copy and in a new call.
    assert project.add_audio([x.copy()], sample_rate=SR) == 0
    assert project.item_ids() == first
    # The same samples at another rate are another item.
    assert project.add_audio([x], sample_rate=16000) == 1
    assert len(project) == 2
    other = next(i for i in project.item_ids() if i != first[0])
    assert project.read_item(other).sample_rate == 16000
    # A different dtype of equal values is different content, too.
    assert project.add_audio([x.astype(np.float64)], sample_rate=SR) == 1
    # The same signal twice in one call: one item per input, the second one numbered.
    y = tone(1.0, 550)
    assert project.add_audio([y, y], sample_rate=SR) == 2
    ids = project.item_ids()[-2:]
    assert ids[1] == f"{ids[0]}-2"


def test_ids_can_be_given(project):
    project.add_audio([tone(1.0), tone(0.5)], sample_rate=SR, ids=["a", "b"])
    assert project.item_ids() == ["a", "b"]
    assert project.read_item("b").duration == 0.5


@pytest.mark.parametrize(
    "make, kwargs, message",
    [
        (lambda: tone(1.0), {"sample_rate": SR}, "wrapped in a list"),
        (lambda: [tone(1.0)], {}, "sample_rate"),
        (lambda: [tone(1.0)], {"sample_rate": 0}, "sample_rate"),
        (lambda: [tone(1.0)], {"sample_rate": True}, "sample_rate"),
        (lambda: [tone(1.0)], {"sample_rate": 8000.5}, "sample_rate"),
        (lambda: [np.array([0.1, np.nan, 0.2], np.float32)], {"sample_rate": SR}, "finite"),
        (lambda: [np.array([0.1, np.inf], np.float32)], {"sample_rate": SR}, "finite"),
        (lambda: [np.zeros(0, np.float32)], {"sample_rate": SR}, "at least one frame"),
        (lambda: [np.zeros((0, 2), np.float32)], {"sample_rate": SR}, "at least one frame"),
        (lambda: [np.zeros((10, 2, 2), np.float32)], {"sample_rate": SR}, "frames × channels"),
        (lambda: [np.zeros((10, 100), np.float32)], {"sample_rate": SR}, "1 to 64 channels"),
        (
            lambda: [tone(1.0), "clip.wav"],
            {"sample_rate": SR},
            r"audio\[1\]: samples must be numbers",
        ),
        (lambda: [np.array(["a", "b"])], {"sample_rate": SR}, "must be numbers"),
        (lambda: [np.array([True, False])], {"sample_rate": SR}, "must be numbers"),
        (lambda: "clip.wav", {}, "wrap it"),
        (lambda: ["clip.wav"], {"sample_rate": SR}, "sample_rate= is for signals"),
    ],
)
def test_bad_signals_raise_item_source_error_and_add_nothing(project, make, kwargs, message):
    project.add_audio([tone(0.5, 300)], sample_rate=SR)
    before = project.item_ids()
    files = sorted(os.listdir(project.items_dir))
    with pytest.raises(wb.ItemSourceError, match=message):
        project.add_audio(make(), **kwargs)
    assert project.item_ids() == before
    assert sorted(os.listdir(project.items_dir)) == files


def test_a_bad_signal_after_good_ones_adds_none_of_them(project):
    with pytest.raises(wb.ItemSourceError, match=r"audio\[2\].*finite"):
        project.add_audio([tone(1.0), tone(0.5), np.array([np.nan], np.float32)], sample_rate=SR)
    assert len(project) == 0


# -- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, subtype, atol",
    [("WAV", "PCM_16", 1 / 32768), ("FLAC", "PCM_16", 1 / 32768), ("OGG", "VORBIS", 0.05)],
)
def test_files_by_path_header_and_windows(project, tmp_path, fmt, subtype, atol):
    x = np.stack([tone(3.0, 440), tone(3.0, 220, amp=0.3)], axis=1)
    x[: SR // 2] = 0.0  # half a second of silence first
    path = tmp_path / f"clip.{fmt.lower()}"
    sf.write(path, x, SR, format=fmt, subtype=subtype)
    assert project.add_audio([str(path)]) == 1
    assert project.add_audio([path]) == 0  # the same file again: the same item
    (iid,) = project.item_ids()
    audio = project.read_item(iid)
    info = audio.info
    assert (info.sample_rate, info.channels, info.frames) == (SR, 2, 3 * SR)
    assert info.format == fmt and info.subtype == subtype
    assert audio.duration == pytest.approx(3.0)
    assert repr(audio).startswith(f"<Audio item {iid!r}")
    window = audio.read(1.0, 1.5)
    assert window.shape == (SR // 2, 2)
    np.testing.assert_allclose(window, x[SR : SR + SR // 2], atol=atol)
    silent = audio.read(0.0, 0.4, mono=True)
    assert silent.shape == (int(0.4 * SR),) and np.abs(silent).max() <= atol
    if fmt != "OGG":  # lossless: every sample
        np.testing.assert_allclose(audio.read(), x, atol=atol)


def test_read_rejects_windows_outside_the_clip(project):
    project.add_audio([tone(1.0)], sample_rate=SR)
    audio = project.read_item(project.item_ids()[0])
    for start, end in [(-0.5, 0.5), (0.6, 0.2), (float("nan"), None), (0.0, float("inf"))]:
        with pytest.raises(ValueError):
            audio.read(start, end)
    with pytest.raises(ValueError, match="bins"):
        audio.peaks(bins=0)


def test_a_corrupt_file_raises_item_read_error_naming_the_item(project, tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(2).bytes(5000))
    assert project.add_audio([str(path)]) == 1  # adding reads no samples
    (iid,) = project.item_ids()
    audio = project.read_item(iid)
    with pytest.raises(wb.ItemReadError, match=iid) as err:
        _ = audio.info
    assert "decode" in str(err.value)
    with pytest.raises(wb.ItemReadError, match=iid):
        project.reader.render(record(project, iid))
    # A region on it cannot be checked against the clip: nothing is stored.
    with pytest.raises(wb.ItemReadError, match=iid):
        project.label(iid, [{"start": 0.0, "end": 0.1, "class": "speech"}])
    assert len(project.events()) == 0


def test_a_missing_file_raises_item_read_error_naming_the_item(project, tmp_path):
    path = tmp_path / "gone.wav"
    sf.write(path, tone(1.0), SR)
    project.add_audio([str(path)])
    (iid,) = project.item_ids()
    path.unlink()
    with pytest.raises(wb.ItemReadError, match=rf"{iid}.*no file"):
        _ = project.read_item(iid).info


def test_a_file_gone_after_it_was_opened_raises_item_read_error(project, tmp_path):
    path = tmp_path / "gone.wav"
    sf.write(path, tone(1.0), SR)
    project.add_audio([str(path)])
    (iid,) = project.item_ids()
    audio = project.read_item(iid)
    assert audio.duration == 1.0
    path.unlink()
    # An Audio opened before the file went away says so when it next reads.
    with pytest.raises(wb.ItemReadError, match=rf"{iid}.*no file"):
        audio.read(0.0, 0.5)
    with pytest.raises(wb.ItemReadError, match=rf"{iid}.*no file"):
        _ = Audio(path, name=f"item {iid!r}").info


def test_an_audio_whose_file_is_missing_says_no_file(tmp_path):
    with pytest.raises(wb.ItemReadError, match="no file"):
        _ = Audio(tmp_path / "missing.wav", name="item 'x'").info


def test_reader_audio_refuses_other_kinds(project):
    project.add_texts(["hello"], ids=["t"])
    with pytest.raises(wb.ItemReadError, match="not audio"):
        project.reader.audio(record(project, "t"))


# -- peaks ---------------------------------------------------------------------------------


def brute_peaks(samples, first, stop, edges):
    """Each bin's (min, max) over every channel of ``samples[first:stop]`` cut at
    ``edges`` (offsets from ``first``, the first being 0)."""
    lo = samples[first:stop].min(axis=1)
    hi = samples[first:stop].max(axis=1)
    return np.minimum.reduceat(lo, edges), np.maximum.reduceat(hi, edges)


def level_for(per_bin, levels):
    """The pyramid level Audio.peaks reads for ``per_bin`` frames a bin."""
    level = 0
    while level + 1 < levels and BLOCK * FAN ** (level + 1) <= per_bin:
        level += 1
    return level


def check_pyramid_peaks(audio, samples, start, end, bins):
    """``audio.peaks`` over a window wider than BLOCK frames a bin, checked against the
    samples: (1) each bin is the exact min/max of the block-aligned frames it covers, and
    those frames lie within two blocks of the exact bin edges, (2) the exact bin's
    extremes are within the reported ones when the bins are block-aligned."""
    got = audio.peaks(start, end, bins)
    n_total = len(samples)
    first = min(n_total, round(start * SR))
    stop = n_total if end is None else min(n_total, round(end * SR))
    n = stop - first
    assert got["bins"] == bins and len(got["min"]) == len(got["max"]) == bins
    assert got["min"].dtype == np.float32 and got["max"].dtype == np.float32
    assert got["start"] == first / SR and got["end"] == stop / SR
    per_bin = n / bins
    assert got["frames_per_bin"] == per_bin and per_bin >= BLOCK
    size = BLOCK * FAN ** level_for(per_bin, len(audio.pyramid()))
    a, b = first // size, -(-stop // size)
    block_edges = (np.arange(bins) * (b - a)) // bins + a
    frame_lo = block_edges * size
    frame_hi = np.append(frame_lo[1:], min(b * size, n_total))
    exact = first + (np.arange(bins + 1) * n) // bins
    lo = samples.min(axis=1)
    hi = samples.max(axis=1)
    for k in range(bins):
        # (1) the reported values are those of whole blocks next to the exact bin
        assert got["min"][k] == lo[frame_lo[k] : frame_hi[k]].min()
        assert got["max"][k] == hi[frame_lo[k] : frame_hi[k]].max()
        assert exact[k] - 2 * size <= frame_lo[k] and frame_hi[k] <= exact[k + 1] + 2 * size
        # and are actual sample extremes of the bin widened by two blocks each side
        w_lo, w_hi = max(0, exact[k] - 2 * size), min(n_total, exact[k + 1] + 2 * size)
        assert lo[w_lo:w_hi].min() <= got["min"][k] <= got["max"][k] <= hi[w_lo:w_hi].max()
    return got, size


def ramp_with_tone(seconds=10.0):
    """A falling ramp, then silence, then a tone: every bin has other extremes."""
    n = int(seconds * SR)
    x = np.linspace(0.9, -0.9, n, dtype=np.float32)
    x[n // 3 : n // 2] = 0.0
    x[n // 2 : 2 * n // 3] = tone((2 * n // 3 - n // 2) / SR, 97, amp=0.7)
    return x


@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_peaks_of_the_whole_clip_match_the_samples_block_by_block(project, dtype):
    x = ramp_with_tone()
    if dtype == "int16":
        x = np.round(x * 32767).astype(np.int16)
    project.add_audio([x], sample_rate=SR)
    audio = project.read_item(project.item_ids()[0])
    samples = audio.read()
    for bins in (1, 7, 50, 80, 300):
        got, size = check_pyramid_peaks(audio, samples, 0.0, None, bins)
        if bins == 1:
            assert got["min"][0] == samples.min() and got["max"][0] == samples.max()
    # From 0, a bin's blocks lie within one block of its exact edges: for bins that are
    # whole blocks, the exact bin's extremes are the reported ones.
    n = len(samples)
    bins = n // (BLOCK * 2)
    got = audio.peaks(0.0, (bins * BLOCK * 2) / SR, bins)
    lo, hi = brute_peaks(samples, 0, bins * BLOCK * 2, np.arange(bins) * BLOCK * 2)
    np.testing.assert_array_equal(got["min"], lo)
    np.testing.assert_array_equal(got["max"], hi)
    # The silent third of the clip is drawn flat.
    silent = (np.arange(bins) * BLOCK * 2 >= n // 3 + BLOCK * 2) & (
        np.arange(bins + 1)[1:] * BLOCK * 2 <= n // 2 - BLOCK * 2
    )
    assert silent.sum() > 5
    assert np.all(got["min"][silent] == 0) and np.all(got["max"][silent] == 0)


def test_peaks_of_a_window_and_of_several_channels(project):
    left = ramp_with_tone()
    right = -0.5 * left[::-1]
    x = np.stack([left, right], axis=1)
    project.add_audio([x], sample_rate=SR)
    audio = project.read_item(project.item_ids()[0])
    samples = audio.read()
    for start, end, bins in [(1.3, 8.7, 40), (0.1, 2.9, 20), (2.0, 9.99, 3), (1.0, 4.0, 10)]:
        check_pyramid_peaks(audio, samples, start, end, bins)


def test_zoomed_in_peaks_are_exact(project):
    x = np.stack([ramp_with_tone(), np.random.default_rng(3).uniform(-1, 1, 10 * SR)], axis=1)
    x = x.astype(np.float32)
    project.add_audio([x], sample_rate=SR)
    audio = project.read_item(project.item_ids()[0])
    samples = audio.read()
    for start, end, bins in [(1.0, 1.05, 100), (4.9, 5.6, 37), (0.0, 0.5, 16), (9.3, 10.0, 200)]:
        got = audio.peaks(start, end, bins)
        first, stop = round(start * SR), round(end * SR)
        n = stop - first
        assert n / bins < BLOCK  # read from the file, not the pyramid
        lo, hi = brute_peaks(samples, first, stop, np.arange(bins) * n // bins)
        np.testing.assert_array_equal(got["min"], lo)
        np.testing.assert_array_equal(got["max"], hi)
    # Fewer frames than bins: one bin per frame, min == max == the frame's extremes.
    got = audio.peaks(2.0, 2.005, 100)
    assert got["bins"] == 40
    np.testing.assert_array_equal(got["min"], samples[16000:16040].min(axis=1))
    np.testing.assert_array_equal(got["max"], samples[16000:16040].max(axis=1))
    # An empty window: one flat bin.
    got = audio.peaks(10.0, 10.0, 10)
    assert got["bins"] == 1 and got["min"][0] == got["max"][0] == 0


def test_peaks_come_back_from_the_cache_identical(tmp_path, monkeypatch):
    p = make_project(tmp_path)
    x = ramp_with_tone()
    p.add_audio([x], sample_rate=SR)
    (iid,) = p.item_ids()
    assert not (p.items_dir / "peaks").exists()
    first = p.read_item(iid).peaks(0.5, 9.5, 60)
    cached = list((p.items_dir / "peaks").glob("*.npz"))
    assert len(cached) == 1 and cached[0].name.endswith(f"-{BLOCK}-{FAN}.npz")
    pyramid = p.read_item(iid).pyramid()
    p.close()

    # A new project on the same folder reads the pyramid from the file, never the samples.
    def no_build(self):
        raise AssertionError("the pyramid was built again instead of read from the cache")

    monkeypatch.setattr(Audio, "_build_pyramid", no_build)
    q = make_project(tmp_path)
    try:
        again = q.read_item(iid)
        second = again.peaks(0.5, 9.5, 60)
        for key in ("start", "end", "bins", "frames_per_bin"):
            assert second[key] == first[key]
        np.testing.assert_array_equal(second["min"], first["min"])
        np.testing.assert_array_equal(second["max"], first["max"])
        for a, b in zip(again.pyramid(), pyramid, strict=True):
            np.testing.assert_array_equal(a, b)
        # A fresh ItemReader on the folder too.
        reader = ItemReader(q.items_dir)
        third = reader.audio(record(q, iid)).peaks(0.5, 9.5, 60)
        np.testing.assert_array_equal(third["max"], first["max"])
    finally:
        q.close()


def test_a_torn_cache_file_is_computed_again(tmp_path):
    p = make_project(tmp_path)
    p.add_audio([ramp_with_tone()], sample_rate=SR)
    (iid,) = p.item_ids()
    first = p.read_item(iid).peaks(bins=50)
    (cached,) = (p.items_dir / "peaks").glob("*.npz")
    cached.write_bytes(b"not an npz")
    second = ItemReader(p.items_dir).audio(record(p, iid)).peaks(bins=50)
    np.testing.assert_array_equal(second["min"], first["min"])
    np.testing.assert_array_equal(second["max"], first["max"])
    p.close()


def test_a_changed_file_is_not_served_stale_peaks(project, tmp_path):
    path = tmp_path / "clip.wav"
    loud = np.full(5 * SR, 0.75, np.float32)
    quiet = np.full(5 * SR, -0.25, np.float32)
    sf.write(path, loud, SR, subtype="FLOAT")
    project.add_audio([str(path)])
    rec = record(project, project.item_ids()[0])
    first = project.reader.audio(rec).peaks(bins=10)
    assert np.all(first["max"] == np.float32(0.75))
    # The same path, the same size, other samples; written a second later.
    stat = path.stat()
    sf.write(path, quiet, SR, subtype="FLOAT")
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    fresh = ItemReader(project.items_dir).audio(rec).peaks(bins=10)
    assert np.all(fresh["max"] == np.float32(-0.25)) and np.all(fresh["min"] == np.float32(-0.25))
    assert len(list((project.items_dir / "peaks").glob("*.npz"))) == 2


# The same reader (a project's ``project.reader`` lives as long as the project) must
# not hand back the Audio it made before the file changed: the waveform drawn would no
# longer match what plays.
def test_the_same_reader_is_not_served_stale_peaks_of_a_changed_file(project, tmp_path):
    path = tmp_path / "clip.wav"
    sf.write(path, np.full(5 * SR, 0.75, np.float32), SR, subtype="FLOAT")
    project.add_audio([str(path)])
    (iid,) = project.item_ids()
    assert np.all(project.read_item(iid).peaks(bins=10)["max"] == np.float32(0.75))
    stat = path.stat()
    sf.write(path, np.full(5 * SR, -0.25, np.float32), SR, subtype="FLOAT")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    audio = project.read_item(iid)
    assert np.all(audio.read(0.0, 0.01) == np.float32(-0.25))  # the samples are new ...
    assert np.all(audio.peaks(bins=10)["max"] == np.float32(-0.25))  # ... so must peaks be


def test_an_hour_of_audio_gives_the_bins_asked_for(project):
    x = np.random.default_rng(4).integers(-32768, 32768, 16000 * 3600, dtype=np.int16)
    x[1_234_567] = -32768
    x[45_678_901] = 32767
    project.add_audio([x], sample_rate=16000)
    audio = project.read_item(project.item_ids()[0])
    got = audio.peaks(bins=2000)
    assert got["bins"] == 2000 and len(got["min"]) == len(got["max"]) == 2000
    assert got["end"] == 3600.0 and got["frames_per_bin"] == 28800
    assert got["min"].min() == -1.0 and got["max"].max() == np.float32(32767 / 32768)
    assert np.all(got["min"] < -0.9) and np.all(got["max"] > 0.9)  # noise reaches both ends
    # A minute in the middle, zoomed out: still the bins asked for.
    assert audio.peaks(1800.0, 1860.0, 500)["bins"] == 500


# -- render --------------------------------------------------------------------------------


def test_render_sends_the_waveform(project):
    x = ramp_with_tone(4.0)
    project.add_audio([x], sample_rate=SR)
    rec = record(project, project.item_ids()[0])
    out = project.reader.render(rec, max_size=64)
    assert out["kind"] == "audio"
    assert out["sample_rate"] == SR and out["duration"] == 4.0 and out["channels"] == 1
    assert out["frames"] == 4 * SR and out["bins"] == 64
    assert isinstance(out["data"], bytes) and len(out["data"]) == 64 * 2 * 4
    pairs = np.frombuffer(out["data"], dtype="<f4").reshape(64, 2)
    peaks = project.read_item(rec.item_id).peaks(bins=64)
    np.testing.assert_array_equal(pairs[:, 0], peaks["min"])
    np.testing.assert_array_equal(pairs[:, 1], peaks["max"])
    assert np.all(pairs[:, 0] <= pairs[:, 1])
    assert project.reader.thumbnail(rec, size=32)["bins"] == 32
    with pytest.raises(ValueError, match="max_size"):
        project.reader.render(rec, max_size=0)


# -- the AudioRegions task -----------------------------------------------------------------

ATTRS = (
    wb.Attribute("quality", kind="choice", choices=["good", "bad"]),
    wb.Attribute("overlap"),
)


def regions_task(**kw):
    kw.setdefault("classes", ["speech", "music", "noise"])
    return wb.AudioRegions("regions", **kw)


def test_validate_gives_the_canonical_form():
    task = regions_task(attributes=ATTRS)
    value = task.validate(
        [
            {"start": 2.0, "end": 3.0, "class": "speech"},
            {"start": 0.1234567, "end": 1, "class": "noise", "attributes": {"overlap": True}},
            {"start": 0.1234567, "end": 1, "class": "music", "score": 0.25},
            {"start": 1.5, "end": 1.75, "class": "speech", "id": "mine"},
        ]
    )
    assert value == {
        "regions": [
            {"id": "r1", "start": 0.123457, "end": 1.0, "class": "music",
             "attributes": {"quality": "good", "overlap": False}, "score": 0.25},
            {"id": "r2", "start": 0.123457, "end": 1.0, "class": "noise",
             "attributes": {"quality": "good", "overlap": True}},
            {"id": "mine", "start": 1.5, "end": 1.75, "class": "speech",
             "attributes": {"quality": "good", "overlap": False}},
            {"id": "r3", "start": 2.0, "end": 3.0, "class": "speech",
             "attributes": {"quality": "good", "overlap": False}},
        ]
    }  # fmt: skip
    assert all(type(r["start"]) is float and type(r["end"]) is float for r in value["regions"])
    assert all("text" not in r for r in value["regions"])
    # A dict with regions is the same value; no regions is an empty value.
    assert task.validate({"regions": value["regions"]}) == value
    assert task.validate([]) == {"regions": []} == task.validate({})
    # numpy numbers are plain floats once validated.
    got = task.validate([{"start": np.float32(0.5), "end": np.int64(2), "class": "speech"}])
    assert got["regions"][0]["start"] == 0.5 and type(got["regions"][0]["end"]) is float


def test_transcripts_add_text_to_every_region():
    task = regions_task(transcripts=True)
    value = task.validate(
        [{"start": 1, "end": 2, "class": "speech", "text": "hello"},
         {"start": 0, "end": 1, "class": "speech"}]
    )  # fmt: skip
    assert [(r["id"], r["text"]) for r in value["regions"]] == [("r1", ""), ("r2", "hello")]
    with pytest.raises(wb.SchemaError, match="text"):
        task.validate([{"start": 0, "end": 1, "class": "speech", "text": 5}])
    with pytest.raises(wb.SchemaError, match="carry no text"):
        regions_task().validate([{"start": 0, "end": 1, "class": "speech", "text": "hi"}])


def region(**kw):
    return {"start": 0.0, "end": 1.0, "class": "speech", **kw}


@pytest.mark.parametrize(
    "regions, error, message",
    [
        ([region(**{"class": "cat"})], wb.UnknownClassError, "no class 'cat'"),
        ([region(**{"class": None})], wb.UnknownClassError, "no class"),
        ([region(start=1.0, end=1.0)], wb.SchemaError, "start must be before end"),
        ([region(start=2.0, end=1.0)], wb.SchemaError, "start must be before end"),
        # Equal to the microsecond: empty.
        ([region(start=1.0000001, end=1.0000004)], wb.SchemaError, "before end"),
        ([region(start=-0.5)], wb.SchemaError, "start must be a number of seconds"),
        ([region(start=float("nan"))], wb.SchemaError, "start must be a number"),
        ([region(end=float("inf"))], wb.SchemaError, "end must be a number"),
        ([region(end=True)], wb.SchemaError, "end must be a number"),
        ([region(start="0")], wb.SchemaError, "start must be a number"),
        ([region(start=None)], wb.SchemaError, "start must be a number"),
        ([region(end=2e7)], wb.SchemaError, "end must be a number"),
        ([region(speaker="A")], wb.SchemaError, "unknown field 'speaker'"),
        ([region(), region()], wb.SchemaError, "the same region twice"),
        ([region(id="a"), region(id="a", start=2.0, end=3.0)], wb.SchemaError, "used twice"),
        ([region(score=1.5)], wb.SchemaError, "score"),
        ([region(score=True)], wb.SchemaError, "score"),
        ([region(score="high")], wb.SchemaError, "score"),
        ([region(score=float("nan"))], wb.SchemaError, "score"),
        ([region(attributes={"volume": 3})], wb.SchemaError, "no attribute 'volume'"),
        ([region(attributes={"quality": "ok"})], wb.SchemaError, "quality"),
        ([region(attributes=[1])], wb.SchemaError, "attributes must be a dict"),
        ([region(id=1.5)], wb.SchemaError, "id must be a string"),
        (["speech 0-1"], wb.SchemaError, "a region is a dict"),
        ("speech", wb.SchemaError, "regions must be a list"),
        ({"regions": [], "spans": []}, wb.SchemaError, "a field 'spans'"),
    ],
)
def test_validate_errors(regions, error, message):
    task = regions_task(attributes=ATTRS)
    with pytest.raises(error, match=message):
        task.validate(regions)


def test_unknown_class_error_is_a_schema_error():
    assert issubclass(wb.UnknownClassError, wb.SchemaError)


def test_overlap_is_refused_only_when_the_task_says_so():
    pieces = [region(start=0.0, end=2.0), region(start=1.5, end=3.0, **{"class": "music"})]
    assert len(regions_task().validate(pieces)["regions"]) == 2
    strict = regions_task(overlapping=False)
    with pytest.raises(wb.SchemaError, match=r"'r1'.*'r2'.*overlap"):
        strict.validate(pieces)
    # Inside a longer one, after a shorter one: the furthest-reaching region counts.
    with pytest.raises(wb.SchemaError, match="overlap"):
        strict.validate([region(start=0, end=5), region(start=1, end=2), region(start=3, end=4)])
    # Touching regions do not overlap.
    touching = [region(start=0.0, end=1.5), region(start=1.5, end=3.0, **{"class": "music"}),
                region(start=3.0, end=3.5)]  # fmt: skip
    assert len(strict.validate(touching)["regions"]) == 3


def test_task_options_are_checked():
    with pytest.raises(wb.SchemaError, match="at least one region class"):
        wb.AudioRegions("regions", classes=[])
    with pytest.raises(wb.SchemaError, match="overlapping"):
        wb.AudioRegions("regions", classes=["a"], overlapping="no")
    with pytest.raises(wb.SchemaError, match="repeat"):
        wb.AudioRegions("regions", classes=["a"], attributes=["x", "x"])


def test_label_refuses_a_region_past_the_clip_and_writes_nothing(project):
    project.add_audio([tone(2.0)], sample_rate=SR, ids=["clip"])
    project.label("clip", [region(start=1.0, end=2.0)])
    before = len(project.events())
    with pytest.raises(wb.SchemaError, match="ends past the clip"):
        project.label("clip", [region(start=1.0, end=2.01)])
    with pytest.raises(wb.SchemaError, match="ends past the clip"):
        project.label("clip", [region(start=3.0, end=4.0)])
    assert len(project.events()) == before
    # Ending at the clip's last microsecond is inside it.
    project.label("clip", [region(start=0.5, end=2.0000001)])
    assert len(project.events()) == before + 1
    # Regions are for audio: a text item takes none, but an empty value is fine.
    project.add_texts(["words"], ids=["t"])
    with pytest.raises(wb.SchemaError, match="not audio"):
        project.label("t", [region()])
    project.label("t", [])
    # The stored value is the canonical one.
    events = project.events()
    stored = events[events["item_id"] == "clip"]["value"].iloc[-1]
    assert stored == {"regions": [{"id": "r1", "start": 0.5, "end": 2.0, "class": "speech",
                                   "attributes": {}}]}  # fmt: skip


def test_check_duration_rounds_the_clip_up_to_the_microsecond():
    task = regions_task()
    value = task.validate([region(start=0.0, end=1.000001)])
    task.check_duration(value, 1.0000004)  # 1.0000004 s lasts into the microsecond 1.000001
    with pytest.raises(wb.SchemaError, match="ends past the clip"):
        task.check_duration(value, 1.0)


def test_schema_round_trips_through_a_dict():
    task = regions_task(
        classes=[wb.LabelClass("speech", color="#ff0000"), "music"],
        attributes=ATTRS, overlapping=False, transcripts=True, description="who talks",
    )  # fmt: skip
    schema = wb.Schema((wb.Classification("genre", classes=["pop", "jazz"]), task))
    data = schema.to_dict()
    json.dumps(data)  # plain JSON
    back = wb.Schema.from_dict(json.loads(json.dumps(data)))
    assert back.to_dict() == data
    again = back.task("regions")
    assert isinstance(again, wb.AudioRegions) and again == task
    assert (again.overlapping, again.transcripts) == (False, True)
    assert again.attributes == ATTRS and again.class_names == ["speech", "music"]
    assert again.classes[0].color == "#ff0000"


def test_value_schema_accepts_validated_values_and_refuses_others():
    jsonschema = pytest.importorskip("jsonschema")
    task = regions_task(attributes=ATTRS, transcripts=True)
    value = task.validate([region(text="hi", score=0.5), region(start=2, end=3)])
    jsonschema.validate(value, task.value_schema())
    for bad in (
        {"regions": [{**value["regions"][0], "class": "cat"}]},
        {"regions": [{**value["regions"][0], "extra": 1}]},
        {"regions": [{**value["regions"][0], "start": -1}]},
        {"regions": [], "more": 1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, task.value_schema())
    assert "text" not in regions_task().value_schema()["properties"]["regions"]["items"][
        "properties"]  # fmt: skip


CLASSES = ["speech", "music", "noise"]


@st.composite
def region_lists(draw, transcripts):
    n = draw(st.integers(0, 8))
    out, seen = [], set()
    for i in range(n):
        start = draw(st.floats(0, 1000, allow_nan=False))
        length = draw(st.floats(2e-6, 100, allow_nan=False))
        cls = draw(st.sampled_from(CLASSES))
        key = (round(start, 6), round(start + length, 6), cls)
        if key in seen or key[0] >= key[1]:
            continue
        seen.add(key)
        r = {"start": start, "end": start + length, "class": cls}
        if draw(st.booleans()):
            r["id"] = f"x{i}"
        if draw(st.booleans()):
            r["score"] = draw(st.floats(0, 1))
        if draw(st.booleans()):
            r["attributes"] = {"quality": draw(st.sampled_from(["good", "bad"]))}
        if transcripts and draw(st.booleans()):
            r["text"] = draw(st.text(max_size=10))
        out.append(r)
    return out


@settings(max_examples=300, deadline=None)
@given(data=st.data(), transcripts=st.booleans())
def test_property_validate_is_idempotent_and_json_safe(data, transcripts):
    task = wb.AudioRegions("regions", classes=CLASSES, attributes=ATTRS, transcripts=transcripts)
    regions = data.draw(region_lists(transcripts))
    value = task.validate(regions)
    assert task.validate(value) == value
    assert json.loads(json.dumps(value)) == value
    assert task.validate(json.loads(json.dumps(value))) == value
    # The input order does not matter.
    assert task.validate(regions[::-1]) == value
    rows = value["regions"]
    assert len(rows) == len(regions)
    assert [(r["start"], r["end"], r["class"], r["id"]) for r in rows] == sorted(
        (r["start"], r["end"], r["class"], r["id"]) for r in rows
    )
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert 0 <= r["start"] < r["end"] and r["start"] == round(r["start"], 6)
        assert set(r["attributes"]) == {"quality", "overlap"}
        assert ("text" in r) == transcripts
    # Ids given in time order where none was given.
    auto = [r["id"] for r in rows if r["id"].startswith("r")]
    assert auto == [f"r{k}" for k in range(1, len(auto) + 1)]
    assert not math.isnan(sum(r["end"] for r in rows))
