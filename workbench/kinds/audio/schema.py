"""The audio task kind: time regions of an audio item, each with a class,
attributes and, when the task asks for it, a transcription.

An :class:`AudioRegions` task holds the region classes, per-region attributes,
whether regions may overlap (by default they may: two speakers talk at once,
events overlap), and whether each region carries a transcription. Its value
(one per item, as for every task) is a dict:

``regions``  a list of regions, each ``{"id", "start", "end", "class",
             "attributes", "text"?, "score"?}``: ``start`` and ``end`` in
             seconds from the start of the clip, ``start < end``, rounded to
             :data:`TIME_DECIMALS` decimals (microseconds, what Audacity's
             label files keep); ``text`` the transcription (tasks with
             ``transcripts=True`` only; ``""`` when none); ``id`` unique within
             the item (``"r1"``, ``"r2"`` … given in time order when missing)
===========  ==================================================================

A plain list of regions is taken as ``{"regions": [...]}``. The stored value is
canonical, so two labels that say the same compare equal and a round trip
through a format is exact: regions sorted by ``(start, end, class, id)``,
attributes filled with their defaults, times as floats.

Labels of the clip as a whole (music or speech, a language, a quality grade)
are a :class:`~workbench.Classification` task beside this one in the schema.

:meth:`AudioRegions.validate` checks the structure (it does not know the clip);
:meth:`AudioRegions.check_item` checks that every region ends inside the clip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ...errors import SchemaError, UnknownClassError
from ...media import Audio
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
    value_score,
)  # fmt: skip

__all__ = ["AudioRegions", "TIME_DECIMALS", "MAX_SECONDS", "MAX_TEXT_CHARS", "seconds"]

#: Decimals a region's start and end keep: microseconds.
TIME_DECIMALS = 6
#: Latest time a region may end at, in seconds (more than 115 days of audio).
MAX_SECONDS = 1e7
#: Characters of one region's transcription.
MAX_TEXT_CHARS = 100_000
_REGION_KEYS = frozenset({"id", "start", "end", "class", "attributes", "text", "score"})


def seconds(v: Any, where: str) -> float:
    """A time in seconds: a finite number from 0 to :data:`MAX_SECONDS`, rounded to
    :data:`TIME_DECIMALS` decimals."""
    if type(v) is not float and type(v) is not int:
        try:
            v = float(v) if not isinstance(v, bool | str | bytes) else None
        except (TypeError, ValueError, OverflowError):
            v = None
    if v is None or not 0 <= v <= MAX_SECONDS:  # NaN fails both comparisons
        raise SchemaError(
            f"{where} must be a number of seconds from 0 to {MAX_SECONDS:g}, got {describe(v)}"
        )
    return round(float(v), TIME_DECIMALS)


@register_task_kind
@dataclass(frozen=True)
class AudioRegions(Task):
    """Time regions of an audio item, each with a class.

    Parameters
    ----------
    name : str
    classes : sequence of LabelClass or str
        The region classes (speakers, events). Keys and colours are filled in as
        for :class:`~workbench.Classification`.
    attributes : sequence of Attribute
        Attributes every region has (``overlapping_speech``, a ``quality`` choice …).
    overlapping : bool
        Whether regions of one item may overlap (they may by default); with
        ``False`` a moment of the clip belongs to one region at most (regions
        may touch). The same region twice (same times and class) is refused
        either way.
    transcripts : bool
        Whether each region carries a transcription (``text``).
    """

    kind: ClassVar[str] = "audio"
    classes: tuple[LabelClass, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    overlapping: bool = True
    transcripts: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SchemaError(f"task name must be a non-empty string, got {self.name!r}")
        if isinstance(self.classes, str):
            raise SchemaError(f"task {self.name!r}: classes is a list of names")
        if not tuple(self.classes):
            raise SchemaError(f"task {self.name!r} needs at least one region class")
        object.__setattr__(self, "classes", filled_classes(self.name, tuple(self.classes)))
        attrs = tuple(a if isinstance(a, Attribute) else Attribute(str(a)) for a in self.attributes)
        names = [a.name for a in attrs]
        if len(set(names)) != len(names):
            raise SchemaError(f"task {self.name!r}: attribute names repeat: {sorted(names)}")
        object.__setattr__(self, "attributes", attrs)
        for flag in ("overlapping", "transcripts"):
            if not isinstance(getattr(self, flag), bool):
                raise SchemaError(f"task {self.name!r}: {flag} must be True or False")
        # Looked up for every region validated: built once (not fields, not compared).
        object.__setattr__(self, "_class_set", frozenset(c.name for c in self.classes))
        object.__setattr__(self, "_attribute_of", {a.name: a for a in attrs})

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    # -- values -----------------------------------------------------------------
    def validate(self, value: Any) -> dict[str, list[dict[str, Any]]]:
        """The item's regions in canonical form (module docstring), or a
        :class:`SchemaError` naming the region (by position and id) and the field
        that is wrong."""
        if isinstance(value, Mapping):
            extra = sorted(str(k) for k in set(value) - {"regions"})
            if extra:
                raise SchemaError(
                    f"task {self.name!r}: a value has regions, got a field {describe(extra[0])}"
                )
            given = value.get("regions", ())
        else:
            given = value
        regions = [
            self._region(r, i) for i, r in enumerate(value_list(given, self.name, "regions"))
        ]
        regions.sort(key=lambda r: (r["start"], r["end"], r["class"]))  # ids in time order
        give_ids(regions, "r", self.name, "region")
        regions.sort(key=lambda r: (r["start"], r["end"], r["class"], r["id"]))
        self._check_overlaps(regions)
        return {"regions": regions}

    def _region(self, region: Any, i: int) -> dict[str, Any]:
        where = f"task {self.name!r}, region {i}"
        if not isinstance(region, Mapping):
            raise SchemaError(f"{where}: a region is a dict, got {type(region).__name__}")
        rid = region.get("id")
        if rid is not None:
            where += f" (id {describe(rid)})"
        if not region.keys() <= _REGION_KEYS:
            extra = sorted(str(k) for k in set(region) - _REGION_KEYS)
            raise SchemaError(f"{where}: unknown field {describe(extra[0])}")
        start = seconds(region.get("start"), f"{where}: start")
        end = seconds(region.get("end"), f"{where}: end")
        if start >= end:
            raise SchemaError(
                f"{where}: start must be before end (to the microsecond), got {start} and {end}"
            )
        cls = region.get("class")
        if not isinstance(cls, str) or cls not in self._class_set:  # type: ignore[attr-defined]
            raise UnknownClassError(
                f"{where}: no class {describe(cls)}; classes: {self.class_names}"
            )
        out: dict[str, Any] = {"id": value_id(rid, where), "start": start, "end": end, "class": cls}
        out["attributes"] = self._attributes(region.get("attributes") or {}, where)
        text = region.get("text")
        if self.transcripts:
            text = "" if text is None else text
            if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
                raise SchemaError(
                    f"{where}: text must be a string of at most {MAX_TEXT_CHARS} characters, "
                    f"got {describe(text)}"
                )
            out["text"] = text
        elif text is not None:
            raise SchemaError(
                f"{where}: this task's regions carry no text (transcripts=True allows it)"
            )
        if region.get("score") is not None:
            out["score"] = value_score(region["score"], where)
        return out

    def _attributes(self, given: Any, where: str) -> dict[str, Any]:
        return check_attributes(self._attribute_of, given, where)  # type: ignore[attr-defined]

    def _check_overlaps(self, regions: list[dict[str, Any]]) -> None:
        """Regions sorted by start: none twice, no overlap unless the task allows it."""
        seen: set[tuple[float, float, str]] = set()
        reach: dict[str, Any] | None = None  # the region reaching furthest so far
        for r in regions:
            key = (r["start"], r["end"], r["class"])
            if key in seen:
                raise SchemaError(
                    f"task {self.name!r}: the same region twice ({r['class']!r} at "
                    f"{r['start']}-{r['end']} s)"
                )
            seen.add(key)
            if not self.overlapping and reach is not None and r["start"] < reach["end"]:
                raise SchemaError(
                    f"task {self.name!r}: regions {reach['id']!r} ({reach['start']}-"
                    f"{reach['end']} s) and {r['id']!r} ({r['start']}-{r['end']} s) overlap, "
                    "and this task's regions do not (overlapping=True allows it)"
                )
            if reach is None or r["end"] > reach["end"]:
                reach = r

    def check_item(self, value: Any, content: Callable[[], Any]) -> None:
        """Every region ends inside the clip (its header read, not its samples); an
        item that is not audio takes no regions."""
        if not value["regions"]:
            return
        audio = content()
        if not isinstance(audio, Audio):
            raise SchemaError(f"task {self.name!r} labels regions of audio; this item is not audio")
        self.check_duration(value, audio.duration)

    def check_duration(self, value: Mapping[str, Any], duration: float) -> None:
        """A :class:`SchemaError` naming the first region of a validated ``value``
        that ends after ``duration`` seconds (rounded up to the microsecond)."""
        limit = math.ceil(duration * 10**TIME_DECIMALS) / 10**TIME_DECIMALS
        for r in value["regions"]:
            if r["end"] > limit:
                raise SchemaError(
                    f"task {self.name!r}, region {r['id']!r} ({r['start']}-{r['end']} s): "
                    f"ends past the clip, which lasts {duration:g} s"
                )

    def value_schema(self) -> dict[str, Any]:
        """The JSON Schema of a stored value (what :meth:`validate` returns), coarser
        than :meth:`validate` (order, overlaps and ids used twice are left to it)."""
        time = {"type": "number", "minimum": 0, "maximum": MAX_SECONDS}
        properties: dict[str, Any] = {
            "id": {"type": "string"}, "start": time, "end": time,
            "class": {"type": "string", "enum": self.class_names},
            "attributes": {
                "type": "object", "additionalProperties": False,
                "properties": {a.name: a.value_schema() for a in self.attributes},
            },
            "score": {"type": "number", "minimum": 0, "maximum": 1},
        }  # fmt: skip
        if self.transcripts:
            properties["text"] = {"type": "string", "maxLength": MAX_TEXT_CHARS}
        region = {"type": "object", "required": ["id", "start", "end", "class"],
                  "additionalProperties": False, "properties": properties}  # fmt: skip
        return {"type": "object", "required": ["regions"], "additionalProperties": False,
                "properties": {"regions": {"type": "array", "items": region}}}  # fmt: skip

    # -- schema -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "classes": [c.to_dict() for c in self.classes],
            "attributes": [a.to_dict() for a in self.attributes],
            "overlapping": self.overlapping,
            "transcripts": self.transcripts,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AudioRegions:
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            classes=tuple(LabelClass.from_dict(c) for c in data["classes"]),
            attributes=tuple(Attribute.from_dict(a) for a in data.get("attributes", ())),
            overlapping=bool(data.get("overlapping", True)),
            transcripts=bool(data.get("transcripts", False)),
        )
