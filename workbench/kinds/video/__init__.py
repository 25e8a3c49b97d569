"""The video task kind (:class:`VideoTracks`): objects followed through frames as
tracks of keyframes, boxes or polygons interpolated between them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..registry import TaskKind, register
from .schema import VideoTracks
from .tracks import TrackIndex, merge_tracks, shape_at, shapes_at, split_track

__all__ = ["VideoTracks", "KIND", "TrackIndex", "shape_at", "shapes_at", "split_track",
           "merge_tracks"]  # fmt: skip

if TYPE_CHECKING:
    from ...project import Project


# The behaviour modules load on first use: `import workbench` stays light.
def _prelabel(
    project: Project, model: Any, *, features: Any = None, transform: Any = None,
    num_workers: int = 0, **options: Any,
) -> Any:  # fmt: skip
    from .prelabel import prelabel_video

    if features is not None or transform is not None:
        raise TypeError("features= and transform= are for classification and shapes tasks; "
                        "a video detector reads each video's frames")  # fmt: skip
    if num_workers:
        raise TypeError("num_workers= is for image tasks; video pre-labeling decodes in order")
    return prelabel_video(project, model, **options)


def _agreement(project: Project, task: str | None = None) -> Any:
    from .agreement import project_agreement

    return project_agreement(project, task)


def _disagreement(values: Any) -> float:
    """``1 − mean pairwise`` frame F1 (:mod:`.agreement`)."""
    from .agreement import track_counts

    scores = [track_counts(values[i], values[j]).frame_f1
              for i in range(len(values)) for j in range(i + 1, len(values))]  # fmt: skip
    return 1.0 - (sum(scores) / len(scores) if scores else 1.0)


KIND = register(
    TaskKind("video", VideoTracks, widget="annotate_video", prelabel=_prelabel,
             agreement=_agreement, disagreement=_disagreement)
)  # fmt: skip
