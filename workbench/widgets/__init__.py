"""The widgets: anywidget classes whose front ends live in ``widgets/*.ts``.

Each is a thin view over :mod:`workbench.stream`; create them with
``project.classify()``, ``project.gallery()``, ``project.review()`` and
``project.annotate()``.
"""

from __future__ import annotations

from .annotate import AnnotateWidget
from .classify import ClassifyWidget
from .gallery import GalleryWidget
from .review import ReviewWidget

__all__ = ["AnnotateWidget", "ClassifyWidget", "GalleryWidget", "ReviewWidget"]
