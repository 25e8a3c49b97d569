"""The shapes of a frame from a video's tracks, and the edits tracks take.

- :func:`shape_at`: one track's shape at a frame (interpolated between its
  keyframes, held after the last until an ``outside`` keyframe, none before
  the first), or None;
- :func:`shapes_at`: every track's, for a value;
- :class:`TrackIndex`: the same for many tracks at once, with numpy: the
  keyframes of every box track in flat arrays, one binary search per frame for
  all tracks (1,000 tracks of 10,000 frames in well under a millisecond);
- :func:`set_keyframe`, :func:`remove_keyframe`, :func:`split_track`,
  :func:`merge_tracks`: edits, each returning a new value (validate it through
  the task before storing it).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["shape_at", "shapes_at", "TrackIndex", "set_keyframe", "remove_keyframe",
           "split_track", "merge_tracks"]  # fmt: skip


def _geometry(key: Mapping[str, Any]) -> str:
    return "bbox" if "bbox" in key else "points"


def shape_at(track: Mapping[str, Any], frame: int) -> dict[str, Any] | None:
    """``{"track", "class", "bbox" | "points", "occluded", "keyframe"}`` at ``frame``,
    or None where the track shows nothing (before it, or outside)."""
    keys = track["keyframes"]
    frames = [k["frame"] for k in keys]
    i = bisect.bisect_right(frames, frame) - 1
    if i < 0:
        return None
    a = keys[i]
    if a.get("outside"):
        return None
    geo = _geometry(a)
    if geo not in a:
        return None
    out: dict[str, Any] = {
        "track": track["id"], "class": track["class"], "occluded": bool(a.get("occluded")),
        "keyframe": a["frame"] == frame,
    }  # fmt: skip
    b = keys[i + 1] if i + 1 < len(keys) else None
    if a["frame"] == frame or b is None or b.get("outside") or geo not in b:
        out[geo] = [list(p) for p in a[geo]] if geo == "points" else list(a[geo])
        return out
    t = (frame - a["frame"]) / (b["frame"] - a["frame"])
    if geo == "bbox":
        out["bbox"] = [x + (y - x) * t for x, y in zip(a["bbox"], b["bbox"], strict=True)]
    else:
        out["points"] = [[p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t]
                         for p, q in zip(a["points"], b["points"], strict=True)]  # fmt: skip
    return out


def shapes_at(value: Mapping[str, Any], frame: int) -> list[dict[str, Any]]:
    """The shape of every track of ``value`` shown at ``frame``, in track order."""
    return [s for t in value["tracks"] if (s := shape_at(t, frame)) is not None]


class TrackIndex:
    """Every box track of a value, as flat arrays, for the shapes of a frame at once.

    Keyframes are sorted by ``(track, frame)`` into one array of keys ``track ×
    (MAX + 1) + frame``; a frame's keyframe before it, for every track, is one
    ``searchsorted`` of the tracks' keys for that frame. Polygon tracks fall back
    to :func:`shape_at` per track.
    """

    def __init__(self, value: Mapping[str, Any]) -> None:
        tracks = list(value["tracks"])
        self.ids = [t["id"] for t in tracks]
        self.classes = [t["class"] for t in tracks]
        self._polygons = [t for t in tracks if any("points" in k for k in t["keyframes"])]
        boxes = [(n, t) for n, t in enumerate(tracks) if t not in self._polygons]
        self._box_tracks = np.array([n for n, _ in boxes], dtype=np.int64)
        span = 1 + max((k["frame"] for t in tracks for k in t["keyframes"]), default=0)
        self._span = span + 1
        rows = [(j, k) for j, (_, t) in enumerate(boxes) for k in t["keyframes"]]
        self._keys = np.array([j * self._span + k["frame"] for j, k in rows], dtype=np.int64)
        self._frames = np.array([k["frame"] for _, k in rows], dtype=np.int64)
        self._track_of = np.array([j for j, _ in rows], dtype=np.int64)
        self._box = np.array(
            [k.get("bbox", [np.nan] * 4) for _, k in rows], dtype=np.float64
        ).reshape(-1, 4)
        self._hidden = np.array(
            [bool(k.get("outside")) or "bbox" not in k for _, k in rows], dtype=bool
        )
        self._occluded = np.array([bool(k.get("occluded")) for _, k in rows], dtype=bool)
        self._order = np.arange(len(boxes), dtype=np.int64)

    def boxes_at(self, frame: int) -> dict[str, np.ndarray]:
        """The box tracks shown at ``frame``: ``index`` (the track's position in the
        value), ``bbox`` (n × 4), ``occluded`` and ``keyframe`` (bool arrays)."""
        if not len(self._keys):
            empty = np.zeros(0, dtype=np.int64)
            return {"index": empty, "bbox": np.zeros((0, 4)), "occluded": empty.astype(bool),
                    "keyframe": empty.astype(bool)}  # fmt: skip
        f = min(max(int(frame), 0), self._span - 1)
        pos = np.searchsorted(self._keys, self._order * self._span + f, side="right") - 1
        ok = (pos >= 0) & (self._track_of[np.maximum(pos, 0)] == self._order)
        pos = np.where(ok, pos, 0)
        ok &= ~self._hidden[pos]
        nxt = np.minimum(pos + 1, len(self._keys) - 1)
        has_next = (nxt != pos) & (self._track_of[nxt] == self._order) & ~self._hidden[nxt]
        here = self._frames[pos] == f
        a, b = self._box[pos], self._box[nxt]
        gap = np.maximum(self._frames[nxt] - self._frames[pos], 1)
        between = has_next & ~here
        t = ((f - self._frames[pos]) / gap)[:, None]
        box = np.where(between[:, None], a + (b - a) * t, a)  # b may be NaN (an outside key)
        sel = np.flatnonzero(ok)
        return {
            "index": self._box_tracks[sel], "bbox": box[sel],
            "occluded": self._occluded[pos][sel], "keyframe": here[sel],
        }  # fmt: skip

    def shapes_at(self, frame: int) -> list[dict[str, Any]]:
        """As :func:`shapes_at`, from the arrays (boxes) and per track (polygons)."""
        got = self.boxes_at(frame)
        out = [
            {"track": self.ids[n], "class": self.classes[n], "bbox": box.tolist(),
             "occluded": bool(o), "keyframe": bool(k)}
            for n, box, o, k in zip(got["index"], got["bbox"], got["occluded"], got["keyframe"],
                                    strict=True)
        ]  # fmt: skip
        out += [s for t in self._polygons if (s := shape_at(t, frame)) is not None]
        order = {tid: n for n, tid in enumerate(self.ids)}
        return sorted(out, key=lambda s: order[s["track"]])


# -- edits ----------------------------------------------------------------------
def _tracks(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(t, keyframes=[dict(k) for k in t["keyframes"]]) for t in value["tracks"]]


def _find(tracks: Sequence[dict[str, Any]], track_id: str) -> dict[str, Any]:
    for t in tracks:
        if t["id"] == track_id:
            return t
    raise KeyError(f"no track {track_id!r}")


def set_keyframe(value: Mapping[str, Any], track_id: str, key: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` with track ``track_id``'s keyframe at ``key["frame"]`` set to ``key``
    (added, or replacing the one there)."""
    tracks = _tracks(value)
    t = _find(tracks, track_id)
    t["keyframes"] = sorted([k for k in t["keyframes"] if k["frame"] != key["frame"]] + [dict(key)],
                            key=lambda k: k["frame"])  # fmt: skip
    return {"tracks": tracks}


def remove_keyframe(value: Mapping[str, Any], track_id: str, frame: int) -> dict[str, Any]:
    """``value`` without track ``track_id``'s keyframe at ``frame`` (the track goes
    when it was its last)."""
    tracks = _tracks(value)
    t = _find(tracks, track_id)
    t["keyframes"] = [k for k in t["keyframes"] if k["frame"] != frame]
    return {"tracks": [x for x in tracks if x["keyframes"]]}


def split_track(value: Mapping[str, Any], track_id: str, frame: int) -> dict[str, Any]:
    """``value`` with track ``track_id`` cut at ``frame``: the first part keeps every
    shape it showed before ``frame`` (a keyframe at ``frame - 1`` holds the shape
    there when it was interpolated) and ends with an ``outside`` keyframe at
    ``frame``; the second (a new track, id given on validation) starts at ``frame``
    with the shape the track had there."""
    tracks = _tracks(value)
    t = _find(tracks, track_id)
    shown = shape_at(t, frame)
    before = [k for k in t["keyframes"] if k["frame"] < frame]
    after = [k for k in t["keyframes"] if k["frame"] > frame]
    if not before or shown is None:
        raise ValueError(f"track {track_id!r} shows nothing before frame {frame} to split off")
    geo = "bbox" if "bbox" in shown else "points"
    last = shape_at(t, frame - 1)
    if before[-1]["frame"] < frame - 1 and last is not None:
        before.append({"frame": frame - 1, geo: last[geo], "outside": False,
                       "occluded": last["occluded"]})  # fmt: skip
    first = {"frame": frame, geo: shown[geo], "outside": False, "occluded": shown["occluded"]}
    t["keyframes"] = [*before, {"frame": frame, "outside": True, "occluded": False}]
    new = {"class": t["class"], "attributes": dict(t.get("attributes", {})),
           "keyframes": [first, *after]}  # fmt: skip
    return {"tracks": [*tracks, new]}


def merge_tracks(value: Mapping[str, Any], keep: str, other: str) -> dict[str, Any]:
    """``value`` with track ``other`` folded into ``keep`` (``keep``'s class and
    attributes): one object, cut in two by a mistake, the parts not shown at the
    same frames. Where both have a keyframe at a frame, the one in view wins
    (``keep``'s when both are); an ``outside`` keyframe of one part where the other
    shows the object becomes that shape, so the merged track shows what either
    part showed at every frame."""
    tracks = _tracks(value)
    a, b = _find(tracks, keep), _find(tracks, other)
    keys: dict[int, tuple[str, dict[str, Any]]] = {k["frame"]: ("b", k) for k in b["keyframes"]}
    for k in a["keyframes"]:
        there = keys.get(k["frame"])
        if there is not None and k.get("outside") and not there[1].get("outside"):
            continue  # the other part is in view here
        keys[k["frame"]] = ("a", k)
    cuts = {k["frame"] for t in (a, b) for k in t["keyframes"] if k.get("outside")}
    merged = []
    for f in sorted(keys):
        owner, k = keys[f]
        if k.get("outside"):
            shown = shape_at(b if owner == "a" else a, f)
            if shown is not None:
                geo = "bbox" if "bbox" in shown else "points"
                k = {"frame": f, geo: shown[geo], "outside": False, "occluded": shown["occluded"]}
        merged.append(k)
    # Around each cut, keyframes the others give back by interpolation go (those a
    # split adds), so a split then a merge gives back the track it cut.
    near = {f + d for f in cuts for d in (-1, 0)}
    kept: list[dict[str, Any]] = []
    for n, k in enumerate(merged):
        after = merged[n + 1] if n + 1 < len(merged) else None
        if not (
            k["frame"] in near and kept and after is not None and _redundant(kept[-1], k, after)
        ):
            kept.append(k)
    a["keyframes"] = kept
    return {"tracks": [t for t in tracks if t is not b]}


def _redundant(a: Mapping[str, Any], k: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether keyframe ``k`` is what interpolation between ``a`` and ``b`` gives there
    (all in view, ``k`` flagged as ``a`` is, no score): dropping it changes no frame."""
    if any(x.get("outside") for x in (a, k, b)) or "score" in k:
        return False
    if a.get("occluded") != k.get("occluded"):
        return False
    track = {"id": "", "class": "", "keyframes": [a, b]}
    shown = shape_at(track, k["frame"])
    geo = "bbox" if "bbox" in k else "points"
    if shown is None or geo not in shown:
        return False
    got = np.asarray(shown[geo], dtype=float)
    want = np.asarray(k[geo], dtype=float)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=0, atol=1e-9))
