"""The widgets: anywidget classes whose front ends live in ``widgets/*.ts``.

Each is a thin view over :mod:`workbench.stream`; create them with
``project.classify()``, ``project.gallery()`` and ``project.review()``.
"""

from __future__ import annotations

from .classify import ClassifyWidget
from .gallery import GalleryWidget
from .review import ReviewWidget

__all__ = ["ClassifyWidget", "GalleryWidget", "ReviewWidget"]
