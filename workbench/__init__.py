"""workbench: label in a notebook with the keyboard, train and audit in the same kernel.

>>> import workbench as wb
>>> project = wb.Project("labels.db", schema=wb.Schema.classification("digit", list("0123456789")))
>>> project.add_arrays(images)
>>> project.classify()          # label with the keyboard
>>> project.labels()            # a DataFrame of current labels with provenance
"""

from __future__ import annotations

from .errors import (
    ItemReadError,
    ItemSourceError,
    MissingDependencyError,
    PermissionDenied,
    SchemaError,
    StoreError,
    UnknownClassError,
    UnknownItemError,
    WorkbenchError,
)
from .project import Project
from .schema import Classification, LabelClass, Schema, Task

__version__ = "0.1.0"

__all__ = [
    "Project",
    "Schema",
    "Task",
    "Classification",
    "LabelClass",
    "ClassifyWidget",
    "GalleryWidget",
    "WorkbenchError",
    "SchemaError",
    "UnknownItemError",
    "UnknownClassError",
    "ItemReadError",
    "ItemSourceError",
    "StoreError",
    "PermissionDenied",
    "MissingDependencyError",
    "__version__",
]


def __getattr__(name: str):
    # Widgets import anywidget and the built front end; load them only when asked.
    if name == "ClassifyWidget":
        from .widgets.classify import ClassifyWidget

        return ClassifyWidget
    if name == "GalleryWidget":
        from .widgets.gallery import GalleryWidget

        return GalleryWidget
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
