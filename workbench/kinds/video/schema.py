"""The video task kind: objects followed through the frames of a video as tracks
of keyframes, shapes interpolated between them.

A :class:`VideoTracks` task holds the object classes, the shape its tracks draw
(``"box"`` or ``"polygon"``) and per-track attributes. Its value (one per item,
as for every task) is a dict:

``tracks``  a list of tracks, each ``{"id", "class", "attributes", "keyframes"}``;
            ``id`` unique within the item (``"t1"``, ``"t2"`` … given when
            missing), ``keyframes`` at least one, each ``{"frame", "bbox" |
            "points", "outside", "occluded", "score"?}``: ``frame`` a 0-based
            frame index, ``bbox`` ``[x, y, w, h]`` in the frame's pixels (``w``
            and ``h`` > 0), ``points`` a polygon's ``[[x, y], ...]`` (three or
            more, the same number in every keyframe of a track, so that it can
            be interpolated), ``outside`` true where the object left the view
            (no shape from that frame to the next keyframe; its geometry may
            be left out), ``occluded`` true where it is hidden behind something
========  =====================================================================

**Between keyframes** a shape is interpolated linearly (each coordinate, box or
polygon vertex, by the frame's position between the two keyframes); after a
track's last keyframe it stays as it is until an ``outside`` keyframe (CVAT's
rule), and before its first keyframe there is none. :mod:`.tracks` computes
the shapes of a frame (:func:`~.tracks.shapes_at`, and :class:`~.tracks.TrackIndex`
for many tracks at once) and edits tracks (split, merge).

The stored value is canonical: tracks sorted by their first frame, then id;
keyframes by frame; attributes filled with their defaults, flags as booleans,
numbers as floats. :meth:`VideoTracks.check_item` checks every keyframe is a
frame of the item's video.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ...errors import SchemaError, UnknownClassError
from ...media import Video
from ...schema import (
    Attribute,
    LabelClass,
    Task,
    check_attributes,
    describe,
    filled_classes,
    give_ids,
    register_task_kind,
    value_id,
    value_list,
    value_numbers,
    value_points,
    value_score,
)  # fmt: skip

__all__ = ["VideoTracks", "TRACK_SHAPES", "MAX_FRAME", "MAX_COORDINATE"]

#: The shapes a track may draw.
TRACK_SHAPES = ("box", "polygon")
#: Largest frame index a keyframe may have (more than a month at 30 fps).
MAX_FRAME = 10**8
#: Largest coordinate, in pixels (what the shapes kind allows too).
MAX_COORDINATE = 2**24
_TRACK_KEYS = frozenset({"id", "class", "attributes", "keyframes"})
_KEY_KEYS = frozenset({"frame", "bbox", "points", "outside", "occluded", "score"})


@register_task_kind
@dataclass(frozen=True)
class VideoTracks(Task):
    """Tracks of objects through a video's frames.

    Parameters
    ----------
    name : str
    classes : sequence of LabelClass or str
        The object classes. Keys and colours are filled in as for
        :class:`~workbench.Classification`.
    shape : {"box", "polygon"}
        What every track of the task draws.
    attributes : sequence of Attribute
        Attributes of a track (the same for all its frames: a car's colour, a
        person's role).
    """

    kind: ClassVar[str] = "video"
    classes: tuple[LabelClass, ...] = ()
    shape: str = "box"
    attributes: tuple[Attribute, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SchemaError(f"task name must be a non-empty string, got {self.name!r}")
        if isinstance(self.classes, str):
            raise SchemaError(f"task {self.name!r}: classes is a list of names")
        if not tuple(self.classes):
            raise SchemaError(f"task {self.name!r} needs at least one object class")
        object.__setattr__(self, "classes", filled_classes(self.name, tuple(self.classes)))
        if self.shape not in TRACK_SHAPES:
            raise SchemaError(
                f"task {self.name!r}: shape must be one of {list(TRACK_SHAPES)}, "
                f"got {describe(self.shape)}"
            )
        attrs = tuple(a if isinstance(a, Attribute) else Attribute(str(a)) for a in self.attributes)
        names = [a.name for a in attrs]
        if len(set(names)) != len(names):
            raise SchemaError(f"task {self.name!r}: attribute names repeat: {sorted(names)}")
        object.__setattr__(self, "attributes", attrs)
        object.__setattr__(self, "_class_set", frozenset(c.name for c in self.classes))
        object.__setattr__(self, "_attribute_of", {a.name: a for a in attrs})

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    # -- values -----------------------------------------------------------------
    def validate(self, value: Any) -> dict[str, list[dict[str, Any]]]:
        """The item's tracks in canonical form (module docstring), or a
        :class:`SchemaError` naming the track, the keyframe and the field."""
        if isinstance(value, Mapping):
            extra = sorted(str(k) for k in set(value) - {"tracks"})
            if extra:
                raise SchemaError(
                    f"task {self.name!r}: a value has tracks, got a field {describe(extra[0])}"
                )
            given = value.get("tracks", ())
        else:
            given = value
        tracks = [self._track(t, i) for i, t in enumerate(value_list(given, self.name, "tracks"))]
        tracks.sort(key=lambda t: (t["keyframes"][0]["frame"], t["class"]))  # ids in time order
        give_ids(tracks, "t", self.name, "track")
        tracks.sort(key=lambda t: (t["keyframes"][0]["frame"], t["id"]))
        return {"tracks": tracks}

    def _track(self, track: Any, i: int) -> dict[str, Any]:
        where = f"task {self.name!r}, track {i}"
        if not isinstance(track, Mapping):
            raise SchemaError(f"{where}: a track is a dict, got {type(track).__name__}")
        tid = track.get("id")
        if tid is not None:
            where += f" (id {describe(tid)})"
        if not track.keys() <= _TRACK_KEYS:
            extra = sorted(str(k) for k in set(track) - _TRACK_KEYS)
            raise SchemaError(f"{where}: unknown field {describe(extra[0])}")
        cls = track.get("class")
        if not isinstance(cls, str) or cls not in self._class_set:  # type: ignore[attr-defined]
            raise UnknownClassError(
                f"{where}: no class {describe(cls)}; classes: {self.class_names}"
            )
        given = value_list(track.get("keyframes", ()), self.name, "keyframes")
        if not given:
            raise SchemaError(f"{where}: a track has at least one keyframe")
        keyframes = [self._keyframe(k, f"{where}, keyframe {j}") for j, k in enumerate(given)]
        keyframes.sort(key=lambda k: k["frame"])
        for a, b in zip(keyframes, keyframes[1:], strict=False):
            if a["frame"] == b["frame"]:
                raise SchemaError(f"{where}: two keyframes at frame {a['frame']}")
        if self.shape == "polygon":
            counts = {len(k["points"]) for k in keyframes if "points" in k}
            if len(counts) > 1:
                raise SchemaError(
                    f"{where}: every keyframe of a polygon track has the same number of points "
                    f"(to be interpolated), got {sorted(counts)}"
                )
        return {"id": value_id(tid, where), "class": cls,
                "attributes": self._attributes(track.get("attributes") or {}, where),
                "keyframes": keyframes}  # fmt: skip

    def _keyframe(self, key: Any, where: str) -> dict[str, Any]:
        if not isinstance(key, Mapping):
            raise SchemaError(f"{where}: a keyframe is a dict, got {type(key).__name__}")
        if not key.keys() <= _KEY_KEYS:
            extra = sorted(str(k) for k in set(key) - _KEY_KEYS)
            raise SchemaError(f"{where}: unknown field {describe(extra[0])}")
        frame = key.get("frame")
        if isinstance(frame, bool) or not isinstance(frame, int) or not 0 <= frame <= MAX_FRAME:
            try:  # a whole float (3.0) is a frame; a string or a bool is not
                ok = not isinstance(frame, bool | str | bytes) and float(frame) == int(frame)  # type: ignore[arg-type]
            except (TypeError, ValueError, OverflowError):
                ok = False
            if not ok or not 0 <= int(frame) <= MAX_FRAME:  # type: ignore[arg-type]
                raise SchemaError(
                    f"{where}: frame must be a whole number from 0 to {MAX_FRAME}, "
                    f"got {describe(frame)}"
                )
            frame = int(frame)  # type: ignore[arg-type]
        out: dict[str, Any] = {"frame": frame}
        for flag in ("outside", "occluded"):
            v = key.get(flag, False)
            if not isinstance(v, bool):
                raise SchemaError(f"{where}: {flag} must be true or false, got {describe(v)}")
            out[flag] = v
        other = "points" if self.shape == "box" else "bbox"
        if key.get(other) is not None:
            raise SchemaError(f"{where}: this task's tracks are {self.shape}es, got {other!r}"
                              if self.shape == "box" else
                              f"{where}: this task's tracks are polygons, got 'bbox'")  # fmt: skip
        if self.shape == "box":
            box = key.get("bbox")
            if box is not None:
                box = value_numbers(box, f"{where}: bbox", length=4, bound=MAX_COORDINATE)
                if box[2] <= 0 or box[3] <= 0:
                    raise SchemaError(f"{where}: bbox width and height must be positive, got {box}")
                out["bbox"] = box
            elif not out["outside"]:
                raise SchemaError(f"{where}: a keyframe in view has a bbox")
        else:
            points = key.get("points")
            if points is not None:
                points = value_points(points, f"{where}: points", dims=2, bound=MAX_COORDINATE)
                if len(points) < 3:
                    raise SchemaError(
                        f"{where}: a polygon has three points or more, got {len(points)}"
                    )
                out["points"] = points
            elif not out["outside"]:
                raise SchemaError(f"{where}: a keyframe in view has points")
        if key.get("score") is not None:
            out["score"] = value_score(key["score"], where)
        return out

    def _attributes(self, given: Any, where: str) -> dict[str, Any]:
        return check_attributes(self._attribute_of, given, where)  # type: ignore[attr-defined]

    def check_item(self, value: Any, content: Callable[[], Any]) -> None:
        """Every keyframe is a frame of the item's video (its packets listed, nothing
        decoded); an item that is not a video takes no tracks."""
        if not value["tracks"]:
            return
        video = content()
        if not isinstance(video, Video):
            raise SchemaError(
                f"task {self.name!r} labels tracks in video; this item is not a video"
            )
        self.check_frames(value, video.frame_count)

    def check_frames(self, value: Mapping[str, Any], frames: int) -> None:
        """A :class:`SchemaError` naming the first track with a keyframe at or past
        frame ``frames`` (the video's frame count)."""
        for t in value["tracks"]:
            last = t["keyframes"][-1]["frame"]
            if last >= frames:
                raise SchemaError(
                    f"task {self.name!r}, track {t['id']!r}: a keyframe at frame {last}, past "
                    f"the video's last frame ({frames - 1})"
                )

    def value_schema(self) -> dict[str, Any]:
        """The JSON Schema of a stored value, coarser than :meth:`validate` (order,
        repeated frames and ids, equal polygon sizes are left to it)."""
        number = {"type": "number", "minimum": -MAX_COORDINATE, "maximum": MAX_COORDINATE}
        geometry = (
            {"bbox": {"type": "array", "items": number, "minItems": 4, "maxItems": 4}}
            if self.shape == "box"
            else {"points": {"type": "array", "minItems": 3,
                             "items": {"type": "array", "items": number, "minItems": 2,
                                       "maxItems": 2}}}
        )  # fmt: skip
        keyframe = {
            "type": "object", "required": ["frame", "outside", "occluded"],
            "additionalProperties": False,
            "properties": {
                "frame": {"type": "integer", "minimum": 0, "maximum": MAX_FRAME},
                "outside": {"type": "boolean"}, "occluded": {"type": "boolean"},
                "score": {"type": "number", "minimum": 0, "maximum": 1}, **geometry,
            },
        }  # fmt: skip
        track = {
            "type": "object", "required": ["id", "class", "keyframes"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"},
                "class": {"type": "string", "enum": self.class_names},
                "attributes": {
                    "type": "object", "additionalProperties": False,
                    "properties": {a.name: a.value_schema() for a in self.attributes},
                },
                "keyframes": {"type": "array", "items": keyframe, "minItems": 1},
            },
        }  # fmt: skip
        return {"type": "object", "required": ["tracks"], "additionalProperties": False,
                "properties": {"tracks": {"type": "array", "items": track}}}  # fmt: skip

    # -- schema -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "classes": [c.to_dict() for c in self.classes],
            "shape": self.shape,
            "attributes": [a.to_dict() for a in self.attributes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoTracks:
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            classes=tuple(LabelClass.from_dict(c) for c in data["classes"]),
            shape=data.get("shape", "box"),
            attributes=tuple(Attribute.from_dict(a) for a in data.get("attributes", ())),
        )
