"""The widgets: anywidget classes whose front ends live in ``widgets/*.ts``.

Each is a thin view over :mod:`workbench.stream`; create them with
``project.classify()``, ``project.gallery()``, ``project.review()``,
``project.annotate()`` and ``project.annotate_text()``.
"""

from __future__ import annotations

from .annotate import AnnotateWidget
from .annotate_text import AnnotateTextWidget
from .classify import ClassifyWidget
from .gallery import GalleryWidget
from .review import ReviewWidget

__all__ = [
    "AnnotateWidget",
    "AnnotateTextWidget",
    "ClassifyWidget",
    "GalleryWidget",
    "ReviewWidget",
]
