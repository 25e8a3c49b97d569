"""The widgets: anywidget classes whose front ends live in ``widgets/*.ts``.

Each is a thin view over :mod:`workbench.stream`; create them with
``project.classify()`` and ``project.gallery()``.
"""

from __future__ import annotations

from .classify import ClassifyWidget
from .gallery import GalleryWidget

__all__ = ["ClassifyWidget", "GalleryWidget"]
