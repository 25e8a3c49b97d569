"""workbench: label in a notebook with the keyboard, train and audit in the same kernel.

>>> import workbench as wb
>>> project = wb.Project("labels.db", schema=wb.Schema.classification("digit", list("0123456789")))
>>> project.add_arrays(images)
>>> project.classify()          # label with the keyboard
>>> project.labels()            # a DataFrame of current labels with provenance
>>> loop = wb.ActiveLearningLoop(project, LogisticRegression(), strategy="margin")
>>> issues = wb.audit.find_issues_out_of_fold(project)   # suspected label errors
>>> project.review(issues)      # accept, correct or mark ambiguous, one key each
"""

from __future__ import annotations

from . import kinds  # noqa: F401  (registers every built-in task kind)
from .errors import (
    ItemReadError,
    ItemSourceError,
    MissingDependencyError,
    PermissionDenied,
    SchemaChangeError,
    SchemaError,
    StaleLabelError,
    StoreError,
    UnknownClassError,
    UnknownItemError,
    WorkbenchError,
)
from .kinds.audio import AudioRegions
from .kinds.classification import Classification
from .kinds.shapes import Shapes, Skeleton
from .kinds.spans import Matcher as SpanMatcher
from .kinds.spans import Relation, TextSpans
from .kinds.video import VideoTracks
from .ml.predictions import Predictions
from .project import Project
from .schema import Attribute, LabelClass, Schema, Task

__version__ = "0.1.0"

__all__ = [
    "Project",
    "Schema",
    "Task",
    "Classification",
    "LabelClass",
    "Shapes",
    "TextSpans",
    "Relation",
    "AudioRegions",
    "VideoTracks",
    "SpanMatcher",
    "Attribute",
    "Skeleton",
    "AnnotateWidget",
    "AnnotateTextWidget",
    "AnnotateAudioWidget",
    "AnnotateVideoWidget",
    "ClassifyWidget",
    "GalleryWidget",
    "ReviewWidget",
    "ActiveLearningLoop",
    "Predictions",
    "audit",
    "sampling",
    "train",
    "prelabel",
    "dashboards",
    "formats",
    "WorkbenchError",
    "SchemaError",
    "SchemaChangeError",
    "UnknownItemError",
    "UnknownClassError",
    "ItemReadError",
    "ItemSourceError",
    "StoreError",
    "PermissionDenied",
    "StaleLabelError",
    "MissingDependencyError",
    "__version__",
]


#: Modules loaded on first use: they import scikit-learn, torch or cleanlab lazily anyway,
#: but keep ``import workbench`` itself light.
_SUBMODULES = (
    "audit", "prelabel", "dashboards", "loop", "formats", "agreement",
)  # fmt: skip

#: Public names of modules that moved into the shared layer or a task kind's package.
_MOVED = {
    "sampling": "ml.sampling", "train": "ml.train", "features": "ml.features",
    "predictions": "ml.predictions", "agreement_stats": "ml.stats",
    "audit_shapes": "kinds.shapes.audit", "prelabel_shapes": "kinds.shapes.prelabel",
    "shapes": "kinds.shapes.schema",
}  # fmt: skip


_WIDGETS = {
    "AnnotateWidget": "annotate", "AnnotateTextWidget": "annotate_text",
    "AnnotateAudioWidget": "annotate_audio",
    "AnnotateVideoWidget": "annotate_video",
    "ClassifyWidget": "classify", "GalleryWidget": "gallery", "ReviewWidget": "review",
}  # fmt: skip


def __getattr__(name: str):
    if name in _SUBMODULES or name in _MOVED:
        import importlib

        return importlib.import_module(f".{_MOVED.get(name, name)}", __name__)
    if name == "ActiveLearningLoop":
        from .loop import ActiveLearningLoop

        return ActiveLearningLoop
    # Widgets import anywidget and the built front end; load them only when asked.
    if name in _WIDGETS:
        import importlib

        return getattr(importlib.import_module(f".widgets.{_WIDGETS[name]}", __name__), name)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
