"""Audio and video items: read on demand, never whole.

Audio
-----
An audio item (``kind="audio"``) is a file read with ``soundfile`` (libsndfile:
WAV, FLAC, OGG/Vorbis and Opus, MP3, AIFF ...), local or by fsspec URI.
:meth:`workbench.items.ItemReader.load` gives an :class:`Audio`: its header is
read when first asked for, samples only for the window asked for, so an hour
of audio opens without being decoded.

The waveform
------------
:meth:`Audio.peaks` gives, for a window and a number of bins (a widget's width
in pixels), each bin's lowest and highest sample over every channel. It reads
from a **peak pyramid** rather than the signal: the minimum and maximum of
every :data:`BLOCK` frames, then of every :data:`FAN` blocks of that, and so
on. A window wider than :data:`BLOCK` frames per bin is summarised from the
coarsest level with at least one block per bin, so a one-hour file at 16 kHz
(57.6 million frames) is drawn from a few thousand numbers; a narrower window
(zoomed in) is read from the file itself. The pyramid is computed on first use
(one pass over the file, in blocks of :data:`READ_FRAMES` frames) and kept in
memory and, when the reader has a folder, as an ``.npz`` file there, named by
the item and the file's size and change time, so a changed file is read again.

Video
-----
A video item (``kind="video"``) is a file read with PyAV (``av``: FFmpeg's
demuxers and decoders), local or by fsspec URI. :class:`Video` gives its header
and any frame by its index, exactly: the first time a frame is asked for, the
file's packets are read (not decoded) once to list every frame's timestamp, so
a frame index means the same frame whatever the frame rate does (variable
rates, B-frames); a frame is decoded from the keyframe before it, and the frames
decoded on the way are kept (:data:`FRAME_CACHE` of them), so stepping forward
or back near the playhead decodes nothing again.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ItemReadError

__all__ = ["Audio", "AudioInfo", "AUDIO_EXTENSIONS", "BLOCK", "FAN", "soundfile", "write_audio",
           "Video", "VideoInfo", "VIDEO_EXTENSIONS", "pyav", "write_video"]  # fmt: skip

#: File extensions treated as audio (lower case): what libsndfile reads.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au")
#: Frames summarised by one entry of the pyramid's finest level.
BLOCK = 256
#: Entries of one level summarised by one entry of the next.
FAN = 8
#: Frames read from a file at a time while the pyramid is built.
READ_FRAMES = 1 << 20
#: Most bins one :meth:`Audio.peaks` call returns (a very wide screen is 8k pixels).
MAX_BINS = 65_536
#: Longest window :meth:`Audio.spectrogram` reads whole; a longer one reads each column's frames.
SPECTROGRAM_READ_S = 120.0
#: Longest window :meth:`Audio.read` and :meth:`Audio.wav` return, in frames (about
#: 10 minutes at 48 kHz): longer reads go through :meth:`Audio.blocks`.
MAX_READ_FRAMES = 1 << 25


def soundfile() -> Any:
    """The ``soundfile`` module, or an :class:`ImportError` naming the extra."""
    try:
        import soundfile as sf
    except ImportError as exc:  # pragma: no cover - installed with the test extras
        raise ImportError(
            "audio items are read with soundfile: pip install 'label-workbench[audio]'"
        ) from exc
    return sf


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file's header says."""

    sample_rate: int
    channels: int
    frames: int
    format: str = ""
    subtype: str = ""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    def to_dict(self) -> dict[str, Any]:
        return {"sample_rate": self.sample_rate, "channels": self.channels,
                "frames": self.frames, "duration": self.duration, "format": self.format,
                "subtype": self.subtype}  # fmt: skip


class Audio:
    """One audio item, read on demand.

    Parameters
    ----------
    source : str, Path or callable
        A local path, or a function returning a new binary file object (an
        fsspec file) each time it is called.
    name : str
        How errors name the item (its id and URI).
    cache_dir : Path, optional
        Where the peak pyramid is kept between sessions; ``None``: memory only.
    key : str
        What identifies this version of the file in the cache (size, change time).
    """

    def __init__(
        self,
        source: str | os.PathLike | Callable[[], Any],
        *,
        name: str,
        cache_dir: Path | None = None,
        key: str = "",
    ) -> None:
        self._source = source
        self.name = name
        self._cache_dir = cache_dir
        self._key = key
        self._info: AudioInfo | None = None
        self._pyramid: list[np.ndarray] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        info = self._info
        shown = (f"{info.duration:.3f} s, {info.sample_rate} Hz, {info.channels} channel(s)"
                 if info else "header not read")  # fmt: skip
        return f"<Audio {self.name}: {shown}>"

    # -- the file ---------------------------------------------------------------
    def _open(self) -> Any:
        return _opened(self._source, self.name, soundfile().SoundFile, "audio")

    def _fail(self, exc: BaseException) -> ItemReadError:
        return ItemReadError(f"{self.name}: cannot decode the audio: {exc}")

    @property
    def info(self) -> AudioInfo:
        """The header: sample rate, channels, frames (read once)."""
        if self._info is None:
            with self._open() as f:
                if f.samplerate <= 0 or f.channels <= 0 or f.frames < 0:
                    raise ItemReadError(f"{self.name}: the audio header is invalid")
                self._info = AudioInfo(int(f.samplerate), int(f.channels), int(f.frames),
                                       str(f.format), str(f.subtype))  # fmt: skip
        return self._info

    @property
    def duration(self) -> float:
        return self.info.duration

    @property
    def sample_rate(self) -> int:
        return self.info.sample_rate

    def _frames(self, start: float, end: float | None) -> tuple[int, int]:
        """``(first, stop)`` frames of the window ``start``–``end`` seconds, clipped."""
        info = self.info
        for what, t in (("start", start), ("end", end)):
            if t is not None and (isinstance(t, bool) or not np.isfinite(float(t))):
                raise ValueError(f"{self.name}: {what} must be a number of seconds, got {t!r}")
        stop_t = info.duration if end is None else float(end)
        if float(start) < 0 or stop_t < float(start):
            raise ValueError(
                f"{self.name}: the window {start!r}–{end!r} s is not inside 0–{info.duration:g} s"
            )
        first = min(info.frames, int(round(float(start) * info.sample_rate)))
        stop = min(info.frames, int(round(stop_t * info.sample_rate)))
        return first, max(first, stop)

    def read(
        self, start: float = 0.0, end: float | None = None, *, mono: bool = False
    ) -> np.ndarray:
        """Samples from ``start`` to ``end`` seconds (the end by default) as float32
        in [-1, 1]: frames × channels, or frames with ``mono`` (the channels' mean)."""
        first, stop = self._frames(start, end)
        if stop - first > MAX_READ_FRAMES:
            raise ValueError(
                f"{self.name}: {stop - first} frames asked for at once (most "
                f"{MAX_READ_FRAMES}); read a shorter window or use blocks()"
            )
        with self._open() as f:
            try:
                f.seek(first)
                data = f.read(stop - first, dtype="float32", always_2d=True)
            except Exception as exc:
                raise self._fail(exc) from exc
        return data.mean(axis=1, dtype=np.float32) if mono else data

    def blocks(self, frames: int = READ_FRAMES, dtype: str = "float32") -> Any:
        """Every sample, ``frames`` at a time (frames × channels arrays of ``dtype``:
        ``"float32"`` in [-1, 1], or ``"int16"``/``"int32"`` full scale)."""
        with self._open() as f:
            try:
                while True:
                    block = f.read(frames, dtype=dtype, always_2d=True)
                    if not len(block):
                        return
                    yield block
            except Exception as exc:
                raise self._fail(exc) from exc

    def wav(self, start: float = 0.0, end: float | None = None) -> bytes:
        """The window as a 16-bit PCM WAV file (what a browser plays)."""
        data = self.read(start, end)
        out = io.BytesIO()
        soundfile().write(out, data, self.info.sample_rate, format="WAV", subtype="PCM_16")
        return out.getvalue()

    # -- the spectrogram --------------------------------------------------------
    def spectrogram(
        self, start: float = 0.0, end: float | None = None, columns: int = 512, rows: int = 128,
        *, n_fft: int = 512, floor_db: float = -80.0,
    ) -> dict[str, Any]:  # fmt: skip
        """A magnitude spectrogram of the window ``start``–``end`` seconds: ``columns``
        spectra (one per equal slice of the window, each the FFT of ``n_fft`` frames
        around the slice's centre, Hann-windowed, channels mixed) of ``rows`` bands
        from 0 Hz to half the sample rate, in decibels relative to the loudest cell,
        from ``floor_db`` (0) to 0 dB (255).

        Returns ``{"start", "end", "columns", "rows", "max_hz", "data"}``: ``data`` a
        ``rows × columns`` uint8 array, row 0 the lowest band. A window of up to
        :data:`SPECTROGRAM_READ_S` seconds is read once; a longer one (an hour drawn
        at the widget's width) reads only the ``n_fft`` frames of each column.
        """
        for name, v, hi in (("columns", columns, MAX_BINS), ("rows", rows, 1024),
                            ("n_fft", n_fft, 1 << 16)):  # fmt: skip
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or not 1 <= v <= hi:
                raise ValueError(
                    f"{self.name}: {name} must be a whole number from 1 to {hi}, got {v!r}"
                )
        if not (isinstance(floor_db, int | float) and floor_db < 0):
            raise ValueError(f"{self.name}: floor_db must be a negative number, got {floor_db!r}")
        first, stop = self._frames(start, end)
        sr = self.sample_rate
        total = self.info.frames
        centres = first + (np.arange(columns) + 0.5) * (stop - first) / columns
        lo = np.clip(np.round(centres - n_fft / 2).astype(np.int64), 0, max(0, total - n_fft))
        frames = np.zeros((columns, n_fft), np.float32)
        if stop - first <= SPECTROGRAM_READ_S * sr:
            a, b = (
                int(lo.min()) if columns else 0,
                min(total, int(lo.max()) + n_fft) if columns else 0,
            )
            signal = self.read(a / sr, b / sr, mono=True) if b > a else np.zeros(0, np.float32)
            for k, s in enumerate(lo):
                piece = signal[s - a : s - a + n_fft]
                frames[k, : len(piece)] = piece
        else:
            with self._open() as f:
                try:
                    for k, s in enumerate(lo):
                        f.seek(int(s))
                        piece = f.read(n_fft, dtype="float32", always_2d=True).mean(axis=1)
                        frames[k, : len(piece)] = piece
                except Exception as exc:
                    raise self._fail(exc) from exc
        power = np.abs(np.fft.rfft(frames * np.hanning(n_fft).astype(np.float32), axis=1)) ** 2
        edges = np.linspace(0, power.shape[1], rows + 1).astype(np.int64)
        edges[1:] = np.maximum(edges[1:], edges[:-1] + 1)
        edges = np.minimum(edges, power.shape[1])
        bands = np.add.reduceat(power, edges[:-1], axis=1) / np.maximum(1, np.diff(edges))
        db = 10 * np.log10(bands + 1e-20)
        db -= db.max() if db.size else 0.0
        scaled = np.clip((db - floor_db) / -floor_db, 0.0, 1.0)
        data = np.round(scaled.T * 255).astype(np.uint8)  # rows × columns, row 0 the lowest band
        return {"start": first / sr, "end": stop / sr, "columns": columns, "rows": rows,
                "max_hz": sr / 2, "data": np.ascontiguousarray(data)}  # fmt: skip

    # -- the waveform -----------------------------------------------------------
    def peaks(
        self, start: float = 0.0, end: float | None = None, bins: int = 1000
    ) -> dict[str, Any]:
        """The waveform of the window ``start``–``end`` seconds in ``bins`` bins.

        Returns ``{"start", "end", "bins", "frames_per_bin", "min", "max"}``:
        ``min`` and ``max`` are float32 arrays of length ``bins`` (each bin's lowest
        and highest sample over the channels, in [-1, 1]), ``start``/``end`` the
        window actually covered (clipped to the file). A window narrower than
        ``bins`` frames gives one bin per frame (``min == max``).
        """
        if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or not (
            1 <= bins <= MAX_BINS
        ):  # fmt: skip
            raise ValueError(
                f"{self.name}: bins must be a whole number from 1 to {MAX_BINS}, got {bins!r}"
            )
        first, stop = self._frames(start, end)
        n = stop - first
        bins = int(min(bins, max(n, 1)))
        per_bin = n / bins if n else 0.0
        if n == 0:
            lo = hi = np.zeros(bins, np.float32)
        elif per_bin < BLOCK:
            samples = self.read(first / self.sample_rate, stop / self.sample_rate)
            lo, hi = _reduce(samples.min(axis=1), samples.max(axis=1), bins)
        else:
            pyramid = self.pyramid()
            level = 0
            while level + 1 < len(pyramid) and BLOCK * FAN ** (level + 1) <= per_bin:
                level += 1
            size = BLOCK * FAN**level
            table = pyramid[level]
            a, b = first // size, -(-stop // size)
            lo, hi = _reduce(table[a:b, 0], table[a:b, 1], bins)
        sr = self.sample_rate
        return {"start": first / sr, "end": stop / sr, "bins": bins, "frames_per_bin": per_bin,
                "min": lo.astype(np.float32), "max": hi.astype(np.float32)}  # fmt: skip

    def pyramid(self) -> list[np.ndarray]:
        """The peak pyramid: level ``k`` is an array of ``(min, max)`` rows over
        ``BLOCK * FAN**k`` frames each (computed, or loaded from the cache, once)."""
        with self._lock:
            if self._pyramid is None:
                self._pyramid = self._load_pyramid() or self._build_pyramid()
            return self._pyramid

    def _cache_path(self) -> Path | None:
        if self._cache_dir is None:
            return None
        digest = hashlib.blake2b(f"{self.name}\0{self._key}".encode(), digest_size=10).hexdigest()
        return self._cache_dir / f"peaks-{digest}-{BLOCK}-{FAN}.npz"

    def _load_pyramid(self) -> list[np.ndarray] | None:
        path = self._cache_path()
        if path is None or not path.exists():
            return None
        try:
            with np.load(path) as z:
                levels = [z[f"l{k}"] for k in range(len(z.files))]
        except Exception:  # a torn or foreign file: computed again
            return None
        if not levels or any(lv.ndim != 2 or lv.shape[1] != 2 for lv in levels):
            return None
        return levels

    def _build_pyramid(self) -> list[np.ndarray]:
        # Integer files are summarised as integers (half the memory traffic of
        # float32 for 16-bit PCM), scaled to [-1, 1] at the end.
        dtype, scale = _INTEGER_READ.get(self.info.subtype, ("float32", 1.0))
        rows: list[np.ndarray] = []
        carry: tuple[np.ndarray, np.ndarray] | None = None
        for block in self.blocks(READ_FRAMES - READ_FRAMES % BLOCK, dtype):
            if block.shape[1] == 1:
                lo = hi = block[:, 0]
            else:
                lo, hi = block.min(axis=1), block.max(axis=1)
            if carry is not None:
                lo, hi = np.concatenate([carry[0], lo]), np.concatenate([carry[1], hi])
            whole = len(lo) - len(lo) % BLOCK
            if whole:
                lo_w, hi_w = lo[:whole].reshape(-1, BLOCK), hi[:whole].reshape(-1, BLOCK)
                rows.append(np.stack([lo_w.min(axis=1), hi_w.max(axis=1)], axis=1))
            carry = (lo[whole:], hi[whole:]) if whole < len(lo) else None
        if carry is not None:
            rows.append(np.array([[carry[0].min(), carry[1].max()]], carry[0].dtype))
        level = np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, 2), np.float32)
        if scale != 1.0:
            level *= np.float32(1.0 / scale)
        levels = [level]
        while len(levels[-1]) > 1:
            prev = levels[-1]
            pad = -len(prev) % FAN
            lo = np.concatenate([prev[:, 0], np.full(pad, np.inf, np.float32)]).reshape(-1, FAN)
            hi = np.concatenate([prev[:, 1], np.full(pad, -np.inf, np.float32)]).reshape(-1, FAN)
            levels.append(np.stack([lo.min(axis=1), hi.max(axis=1)], axis=1))
        self._save_pyramid(levels)
        return levels

    def _save_pyramid(self, levels: list[np.ndarray]) -> None:
        path = self._cache_path()
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "wb") as f:
                np.savez(f, **{f"l{k}": lv for k, lv in enumerate(levels)})
            os.replace(tmp, path)
        except OSError:  # a read-only folder: the pyramid stays in memory
            pass


#: libsndfile subtypes whose samples are read as integers to build the pyramid:
#: the dtype read and its full scale.
_INTEGER_READ = {"PCM_16": ("int16", 32768.0), "PCM_S8": ("int16", 32768.0),
                 "PCM_U8": ("int16", 32768.0), "PCM_24": ("int32", 2.0**31),
                 "PCM_32": ("int32", 2.0**31)}  # fmt: skip


def _opened(source: Any, name: str, open_: Callable[[Any], Any], what: str) -> Any:
    """``open_`` of a local path (refused, naming it, when there is no file there) or of
    the file object ``source()`` gives; any failure an :class:`ItemReadError` naming
    the item (the opener's own, saying the file is missing, as it is)."""
    if not callable(source) and not os.path.exists(source):
        raise ItemReadError(f"{name}: no file at {os.fspath(source)!r}")
    try:
        return open_(source() if callable(source) else os.fspath(source))
    except ItemReadError:
        raise
    except Exception as exc:
        raise ItemReadError(f"{name}: cannot decode the {what}: {exc}") from exc


def _reduce(lo: np.ndarray, hi: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``lo``/``hi`` (one entry per frame or block) grouped into ``bins`` bins of
    (nearly) equal size: each bin's minimum and maximum."""
    n = len(lo)
    if n == bins:
        return lo, hi
    edges = (np.arange(bins) * n) // bins
    return np.minimum.reduceat(lo, edges), np.maximum.reduceat(hi, edges)


def write_audio(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write ``samples`` (frames, or frames × channels) to ``path`` as a WAV file
    that keeps them exactly: 16/32-bit PCM for int16/int32, 32/64-bit float else."""
    subtype = {np.dtype(np.int16): "PCM_16", np.dtype(np.int32): "PCM_32",
               np.dtype(np.float64): "DOUBLE", np.dtype(np.uint8): "PCM_U8"}.get(
        samples.dtype, "FLOAT")  # fmt: skip
    data = samples if subtype != "FLOAT" else samples.astype(np.float32, copy=False)
    soundfile().write(path, data, sample_rate, format="WAV", subtype=subtype)


# -- video ------------------------------------------------------------------------
#: File extensions treated as video (lower case).
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts")
#: Decoded frames a :class:`Video` keeps (RGB at full size).
FRAME_CACHE = 64
#: Frames decoded past the one asked for, at most, to reach it from a keyframe
#: before giving up (a file whose index is wrong).
MAX_DECODE_AHEAD = 10_000
#: A frame at most this many after the one decoded last is reached by decoding on
#: (stepping forward, playing), not by seeking back to a keyframe.
STEP_AHEAD = 120


def pyav() -> Any:
    """The ``av`` module, or an :class:`ImportError` naming the extra."""
    try:
        import av
    except ImportError as exc:  # pragma: no cover - installed with the test extras
        raise ImportError(
            "video items are read with PyAV: pip install 'label-workbench[video]'"
        ) from exc
    return av


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says of its first video stream (``frames`` counted from its
    packets, not the header's guess)."""

    frames: int
    fps: float
    width: int
    height: int
    codec: str = ""

    @property
    def duration(self) -> float:
        """Length in seconds (``frames / fps``)."""
        return self.frames / self.fps if self.fps > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"frames": self.frames, "fps": self.fps, "width": self.width,
                "height": self.height, "duration": self.duration, "codec": self.codec}  # fmt: skip


class Video:
    """One video item, read on demand (module docstring).

    Parameters
    ----------
    source : str, Path or callable
        A local path, or a function returning a new binary file object.
    name : str
        How errors name the item (its id and URI).
    """

    def __init__(self, source: str | os.PathLike | Callable[[], Any], *, name: str) -> None:
        self._source = source
        self.name = name
        self._info: VideoInfo | None = None
        self._pts: np.ndarray | None = None
        self._frames: dict[int, np.ndarray] = {}
        self._at: dict[int, int] = {}
        # The file kept open after a decode, its frame iterator and the last frame it
        # gave: stepping forward goes on from there instead of seeking again.
        self._cursor: tuple[Any, Any, int] | None = None
        self._lock = threading.Lock()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        info = self._info
        shown = (f"{info.frames} frames, {info.fps:g} fps, {info.width}×{info.height}"
                 if info else "header not read")  # fmt: skip
        return f"<Video {self.name}: {shown}>"

    def _open(self) -> Any:
        av = pyav()
        container = _opened(self._source, self.name, lambda src: av.open(src, "r"), "video")
        if not container.streams.video:
            container.close()
            raise ItemReadError(f"{self.name}: the file holds no video stream")
        return container

    def _index(self) -> None:
        """Read every packet's timestamp once (no decoding): the frame table."""
        with self._open() as c:
            vs = c.streams.video[0]
            try:
                pts = sorted(p.pts for p in c.demux(vs) if p.pts is not None and p.size)
            except Exception as exc:
                raise ItemReadError(f"{self.name}: cannot read the video: {exc}") from exc
            rate = vs.average_rate or vs.guessed_rate or vs.base_rate
            fps = float(rate) if rate else 0.0
            width, height = vs.codec_context.width, vs.codec_context.height
            codec = vs.codec_context.name
        if not pts or width <= 0 or height <= 0:
            raise ItemReadError(f"{self.name}: the video has no frames")
        self._pts = np.asarray(pts, dtype=np.int64)
        self._at = {int(p): k for k, p in enumerate(pts)}
        self._info = VideoInfo(len(pts), fps, int(width), int(height), str(codec))

    @property
    def info(self) -> VideoInfo:
        """Frame count, frame rate and size (the packets are listed on first use)."""
        with self._lock:
            if self._info is None:
                self._index()
            assert self._info is not None
            return self._info

    @property
    def frame_count(self) -> int:
        return self.info.frames

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based) as an ``H × W × 3`` uint8 RGB array."""
        info = self.info
        if isinstance(index, bool) or not isinstance(index, int | np.integer) or not (
            0 <= index < info.frames
        ):  # fmt: skip
            last = info.frames - 1
            raise ValueError(
                f"{self.name}: frame must be a whole number from 0 to {last}, got {index!r}"
            )
        index = int(index)
        with self._lock:
            hit = self._frames.get(index)
            if hit is not None:
                return hit
            self._decode_to(index)
            return self._frames[index]

    def _decode_to(self, index: int) -> None:
        """Decode up to frame ``index``: on from the frame decoded last when ``index``
        is a little after it (stepping forward, playing), else from the keyframe
        before it (a seek). The frames decoded on the way near ``index`` are kept."""
        assert self._pts is not None
        cursor = self._cursor
        if cursor is None or not cursor[2] < index <= cursor[2] + STEP_AHEAD:
            self.close()
            c = self._open()
            vs = c.streams.video[0]
            try:
                c.seek(int(self._pts[index]), stream=vs, backward=True, any_frame=False)
            except Exception as exc:
                c.close()
                raise ItemReadError(f"{self.name}: cannot seek to frame {index}: {exc}") from exc
            cursor = self._cursor = (c, c.decode(vs), -1)
        c, frames, last = cursor
        decoded = 0
        try:
            for frame in frames:
                k = self._at.get(int(frame.pts)) if frame.pts is not None else None
                if k is None:
                    continue
                last = k
                if k >= index - FRAME_CACHE // 2:
                    self._keep(k, frame.to_ndarray(format="rgb24"))
                decoded += 1
                if k >= index or decoded > MAX_DECODE_AHEAD:
                    break
        except Exception as exc:
            self.close()
            raise ItemReadError(f"{self.name}: cannot decode frame {index}: {exc}") from exc
        self._cursor = (c, frames, last)
        if index not in self._frames:
            self.close()
            raise ItemReadError(f"{self.name}: frame {index} could not be decoded")

    def close(self) -> None:
        """Close the file kept open for stepping (reopened when a frame is asked for)."""
        if self._cursor is not None:
            try:
                self._cursor[0].close()
            finally:
                self._cursor = None

    def _keep(self, index: int, rgb: np.ndarray) -> None:
        self._frames[index] = rgb
        while len(self._frames) > FRAME_CACHE:
            self._frames.pop(next(iter(self._frames)))

    def frames(self, start: int = 0, stop: int | None = None, step: int = 1) -> Any:
        """``(index, rgb)`` of frames ``start`` to ``stop`` (exclusive) every ``step``,
        decoded in one pass (what a pre-labeler reads)."""
        info = self.info
        stop = info.frames if stop is None else min(int(stop), info.frames)
        if start < 0 or step < 1:
            raise ValueError(f"{self.name}: start must be >= 0 and step >= 1")
        assert self._pts is not None
        at = self._at
        with self._open() as c:
            vs = c.streams.video[0]
            try:
                if start > 0:
                    c.seek(int(self._pts[min(start, info.frames - 1)]), stream=vs, backward=True)
                for frame in c.decode(vs):
                    k = at.get(int(frame.pts)) if frame.pts is not None else None
                    if k is None or k < start:
                        continue
                    if k >= stop:
                        return
                    if (k - start) % step == 0:
                        yield k, frame.to_ndarray(format="rgb24")
            except Exception as exc:
                raise ItemReadError(f"{self.name}: cannot decode the video: {exc}") from exc


def write_video(path: Path | str, frames: Any, fps: float = 25.0, *, codec: str = "ffv1") -> None:
    """Write RGB ``frames`` (``T × H × W × 3`` uint8, or an iterable of such frames)
    as a video file; ``ffv1`` (in ``.mkv``) keeps every pixel, ``libx264`` (``.mp4``)
    makes a small file that browsers play."""
    av = pyav()
    with av.open(os.fspath(path), "w") as c:
        stream = None
        for rgb in frames:
            rgb = np.asarray(rgb, dtype=np.uint8)
            if stream is None:
                stream = c.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
                stream.width, stream.height = int(rgb.shape[1]), int(rgb.shape[0])
                stream.pix_fmt = "bgr0" if codec == "ffv1" else "yuv420p"
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                c.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                c.mux(packet)
