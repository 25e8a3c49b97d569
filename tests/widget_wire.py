"""Drives a widget's kernel side without a front end: messages in, replies kept."""

from __future__ import annotations

from typing import Any


class Wire:
    """Captures what a widget sends; feeds messages into its handler."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget
        self.sent: list[tuple[dict, list]] = []
        widget.send = lambda content, buffers=None: self.sent.append((content, buffers or []))

    def __call__(self, content: dict, buffers: Any = ()) -> list[tuple[dict, list]]:
        """Every reply to ``content``, as ``(content, buffers)``."""
        start = len(self.sent)
        self.widget._on_msg(self.widget, content, list(buffers))
        return self.sent[start:]

    def one(self, content: dict) -> tuple[dict, list]:
        """The one reply to ``content``, as ``(content, buffers)``."""
        (reply,) = self(content)
        return reply

    def reply(self, content: dict) -> dict:
        """The content of the one reply to ``content``."""
        return self.one(content)[0]
