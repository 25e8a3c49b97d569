"""The classification task kind: single- or multi-label, one class name (or a list)
per item."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ...errors import SchemaError, UnknownClassError
from ...schema import LabelClass, Task, class_name, filled_classes, register_task_kind, shown

__all__ = ["Classification"]


@register_task_kind
@dataclass(frozen=True)
class Classification(Task):
    """Single- or multi-label classification.

    A single-label value is one class name; a multi-label value is a list of
    class names (possibly empty: "none of these apply"). Classes given as
    integers (``Schema.classification("digit", range(10))``) are named by
    their decimal string, and an integer value (``7``, ``numpy.int64(7)``) is
    taken as the class of that name; ``True``/``False`` are refused.
    """

    kind: ClassVar[str] = "classification"
    classes: tuple[LabelClass, ...] = ()
    multi_label: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SchemaError(f"task name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "classes", filled_classes(self.name, self.classes))

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    def validate(self, value: Any) -> str | list[str]:
        """Return ``value`` normalised for storage, or raise :class:`SchemaError`."""
        names = self.class_names
        if self.multi_label:
            # A dict iterates over its keys and bytes over numbers: neither is a list
            # of class names, whatever those happen to be.
            if isinstance(value, str | bytes | bytearray | memoryview | Mapping) or not isinstance(
                value, Iterable
            ):
                raise SchemaError(
                    f"task {self.name!r} is multi-label: the value must be a list of class "
                    f"names, got {shown(value)}"
                )
            chosen = [class_name(v, names) for v in value]
            odd = [v for v in chosen if not isinstance(v, str)]
            if odd:
                raise SchemaError(
                    f"task {self.name!r} is multi-label: the value must be a list of class "
                    f"names (strings), got an element {shown(odd[0])}"
                )
            unknown = [v for v in chosen if v not in names]
            if unknown:
                raise UnknownClassError(
                    f"task {self.name!r} has no class {unknown[0]!r}; classes: {names}"
                )
            return [n for n in names if n in set(chosen)]  # schema order, no repeats
        value = class_name(value, names)
        if not isinstance(value, str):
            raise SchemaError(
                f"task {self.name!r} is single-label: the value must be one class name, "
                f"got {shown(value)}"
            )
        if value not in names:
            raise UnknownClassError(
                f"task {self.name!r} has no class {shown(value)}; classes: {names}"
            )
        return str(value)

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "multi_label": self.multi_label,
            "classes": [c.to_dict() for c in self.classes],
        }

    def value_schema(self) -> dict[str, Any]:
        one = {"type": "string", "enum": self.class_names}
        if self.multi_label:
            return {"type": "array", "items": one, "uniqueItems": True}
        return one

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Classification:
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            multi_label=bool(data.get("multi_label", False)),
            classes=tuple(LabelClass.from_dict(c) for c in data["classes"]),
        )  # fmt: skip
