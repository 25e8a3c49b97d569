"""The widgets: anywidget classes whose front ends live in ``widgets/*.ts``.

Each is a thin view over :mod:`workbench.stream`; create them with
``project.classify()``, ``project.gallery()``, ``project.review()``,
``project.annotate()``, ``project.annotate_text()``, ``project.annotate_audio()`` and
``project.annotate_video()``.
"""

from __future__ import annotations

from .annotate import AnnotateWidget
from .annotate_audio import AnnotateAudioWidget
from .annotate_text import AnnotateTextWidget
from .annotate_video import AnnotateVideoWidget
from .classify import ClassifyWidget
from .gallery import GalleryWidget
from .review import ReviewWidget

__all__ = [
    "AnnotateWidget",
    "AnnotateTextWidget",
    "AnnotateAudioWidget",
    "AnnotateVideoWidget",
    "ClassifyWidget",
    "GalleryWidget",
    "ReviewWidget",
]
