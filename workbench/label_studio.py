"""What every task kind's Label Studio format shares: per-region attributes.

Label Studio keeps a region's attributes as results of their own beside the
region's (same ``id``, the control's name as ``from_name``), from controls
declared ``perRegion="true"`` in the labeling config:

- a bool or choice attribute: a ``choices`` result (``"true"``/``"false"`` for a
  bool, the choice for a choice) from a ``<Choices>`` control;
- a number: a ``number`` result from a ``<Number>`` control;
- a text: a ``textarea`` result from a ``<TextArea>`` control.

:func:`attribute_controls` writes the controls, :func:`attribute_results` a
region's results (attributes at their default are left out), and
:func:`read_attribute` reads one result back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from xml.sax.saxutils import quoteattr

from .schema import Attribute, describe

__all__ = ["attribute_controls", "attribute_results", "read_attribute", "ATTRIBUTE_RESULTS"]

#: The result types that carry a per-region attribute.
ATTRIBUTE_RESULTS = ("choices", "number", "textarea")


def attribute_controls(attributes: Iterable[Attribute], to_name: str) -> list[str]:
    """The ``<View>`` lines of one per-region control per attribute."""
    lines = []
    for a in attributes:
        common = f'name={quoteattr(a.name)} toName={quoteattr(to_name)} perRegion="true"'
        if a.kind in ("bool", "choice"):
            options = ("true", "false") if a.kind == "bool" else a.choices
            lines.append(f'  <Choices {common} choice="single">')
            lines += [f"    <Choice value={quoteattr(str(o))}/>" for o in options]
            lines.append("  </Choices>")
        elif a.kind == "number":
            lines.append(f"  <Number {common}/>")
        else:
            lines.append(f"  <TextArea {common}/>")
    return lines


def attribute_results(
    attributes: Iterable[Attribute], values: Mapping[str, Any], region: Mapping[str, Any],
    rid: str, to_name: str,
) -> list[dict[str, Any]]:  # fmt: skip
    """The results of one region's attributes (``values``; those at their default
    left out), each repeating the region's ``region`` value fields (its place)."""
    out = []
    for a in attributes:
        v = values.get(a.name, a.default)
        if v == a.default or v is None:
            continue
        if a.kind in ("bool", "choice"):
            choice = ("true" if v else "false") if a.kind == "bool" else v
            kind, val = "choices", {"choices": [choice]}
        elif a.kind == "number":
            kind, val = "number", {"number": v}
        else:
            kind, val = "textarea", {"text": [v]}
        out.append({"id": rid, "from_name": a.name, "to_name": to_name, "type": kind,
                    "value": {**region, **val}})  # fmt: skip
    return out


def read_attribute(
    a: Attribute, res: Mapping[str, Any], where: str, error: Callable[[str], Exception]
) -> Any:
    """The value of attribute ``a`` in the per-region result ``res`` (checked by the
    task's validation afterwards), or ``error`` naming ``where``."""
    v = res.get("value") if isinstance(res.get("value"), Mapping) else {}
    if a.kind in ("bool", "choice"):
        choices = v.get("choices")
        if not isinstance(choices, list) or len(choices) != 1:
            raise error(f"{where}: one choice, got {describe(choices)}")
        got = choices[0]
        if a.kind == "bool":
            if got not in ("true", "false"):
                raise error(f"{where}: 'true' or 'false', got {describe(got)}")
            return got == "true"
        return got
    if a.kind == "number":
        return v.get("number")
    texts = v.get("text")
    return texts[0] if isinstance(texts, list) and len(texts) == 1 else texts
