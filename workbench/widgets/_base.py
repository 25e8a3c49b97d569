"""What the widgets share: the anywidget plumbing of the label stream and
validation of settings. Message handling itself lives in :mod:`workbench.stream`."""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets as t

from ..stream import LabelStream, visible_progress

if TYPE_CHECKING:
    from ..project import Project

logger = logging.getLogger("workbench.widgets")
logger.addHandler(logging.NullHandler())

STATIC = Path(__file__).resolve().parent.parent / "static"

_MISSING_ESM = """
export default {
  render({ el }) {
    const box = document.createElement("div");
    box.style.cssText = "padding:8px;border:1px solid #d32f2f;color:#d32f2f";
    box.textContent = %r;
    el.appendChild(box);
    return () => box.remove();
  },
};
"""


def bundle(name: str) -> Path | str:
    """The built front end ``static/<name>.js``, or a stub module that says how to build it."""
    path = STATIC / f"{name}.js"
    if path.is_file():
        return path
    logger.warning("workbench: %s is missing; build the front end with `npm run build`", path)
    message = (
        f"The workbench front end is not built ({path.name} is missing). "
        "Run `npm ci && npm run build` in the workbench source folder, "
        "or reinstall with `pip install -e .` (needs Node.js)."
    )
    return _MISSING_ESM % message


def stylesheet(name: str) -> Path | str:
    path = STATIC / f"{name}.css"
    return path if path.is_file() else ""


def check_int(name: str, value: Any, lo: int, hi: int) -> int:
    """``value`` as an int within ``[lo, hi]``, or a ValueError naming the setting."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int from {lo} to {hi}, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be from {lo} to {hi}, got {value!r}")
    return int(value)


def check_settings(cls_name: str, settings: Mapping[str, Any], allowed: Sequence[str]) -> None:
    """A TypeError naming the keyword arguments of ``cls_name`` that are not in ``allowed``."""
    unknown = sorted(set(settings) - set(allowed))
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise TypeError(
            f"{cls_name} got unexpected keyword argument{'s' if len(unknown) > 1 else ''} "
            f"{names}; it accepts: {', '.join(allowed)}"
        )


class Setting(t.Int):
    """A synced int setting from ``lo`` to ``hi``; a wrong value raises :func:`check_int`'s errors.

    With ``stream=True`` the widget's stream reads the setting too (an attribute
    of the same name): a new value is copied onto it.
    """

    def __init__(self, default: int, lo: int, hi: int, *, stream: bool = False) -> None:
        super().__init__(default)
        self.lo, self.hi, self.stream = lo, hi, stream
        self.tag(sync=True)

    def validate(self, obj: Any, value: Any) -> int:
        value = check_int(self.name, value, self.lo, self.hi)
        if self.stream and hasattr(obj, "stream"):
            setattr(obj.stream, self.name, value)
        return value


class StreamWidget(anywidget.AnyWidget):
    """Base of the labeling widgets: state in traits, labels as messages.

    Subclasses create ``self.stream`` (a :class:`~workbench.stream.LabelStream`)
    and call :meth:`_connect`. Every message from the front end goes to
    ``stream.handle``; its replies go back with their buffers.
    """

    project_id = t.Unicode("").tag(sync=True)
    task = t.Unicode("").tag(sync=True)
    schema = t.Dict().tag(sync=True)
    guidelines = t.Unicode("").tag(sync=True)
    annotator = t.Unicode("").tag(sync=True)
    progress = t.Dict({"done": 0, "total": 0}).tag(sync=True)

    stream: LabelStream
    #: The kind of task the widget labels (:meth:`Schema.task_of_kind`).
    task_kind = "classification"

    @classmethod
    def _check_settings(cls, settings: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, int]:
        """Refuse unknown settings; return each :class:`Setting` in ``allowed``, checked."""
        check_settings(cls.__name__, settings, allowed)
        traits = cls.class_traits()
        return {
            name: check_int(name, settings.get(name, trait.default_value), trait.lo, trait.hi)
            for name in allowed
            if isinstance(trait := traits.get(name), Setting)
        }

    def _setup(self, project: Project, task: str | None, annotator: str | None) -> dict[str, Any]:
        """Validate the common arguments; return the common trait values."""
        # Duck-typed (what a Project offers): widgets sit below the Project façade.
        if not all(hasattr(project, a) for a in ("schema", "store", "labels", "item_ids")):
            raise TypeError(
                f"{type(self).__name__} needs a workbench.Project, got {type(project).__name__}"
            )
        task_obj = project.schema.task_of_kind(task, self.task_kind, purpose=type(self).__name__)
        if annotator is not None and (not isinstance(annotator, str) or not annotator.strip()):
            raise ValueError(f"annotator must be a non-empty string, got {annotator!r}")
        done, total = visible_progress(project, task_obj.name)
        return {
            "project_id": project.store.project_id,
            "task": task_obj.name,
            "schema": task_obj.to_dict(),
            "guidelines": project.schema.guidelines,
            "annotator": annotator or project.annotator,
            "progress": {"done": int(done), "total": int(total)},
        }

    def _connect(self) -> None:
        self.on_msg(self._on_msg)

    def _on_msg(self, _widget: Any, content: Any, buffers: Sequence[Any] | None = None) -> None:
        # Never named _handle_custom_msg: that would replace ipywidgets' dispatcher.
        try:
            replies = self.stream.handle(content, list(buffers or []))
        except Exception as exc:  # handle() does not raise; this guards the guard
            logger.exception("workbench widget: message handling failed")
            replies = [({"type": "error", "error": f"{type(exc).__name__}: {exc}"}, [])]
        for reply, reply_buffers in replies:
            progress = reply.get("progress")
            if isinstance(progress, dict) and progress != self.progress:
                self.progress = progress
            self.send(reply, list(reply_buffers) or None)

    def refresh(self) -> None:
        """Re-read progress from the store (after labels written elsewhere)."""
        self.progress = self.stream.progress(force=True)

    @t.observe("annotator")
    def _annotator_changed(self, change: dict[str, Any]) -> None:
        if hasattr(self, "stream"):
            self.stream.annotator = change["new"]
