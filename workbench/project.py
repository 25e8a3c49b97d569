"""Project: the object a notebook holds. Items, schema, store, and the views on them."""

from __future__ import annotations

import getpass
import numbers
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import items as _items
from .decisions import CURRENT, current_state, decide
from .errors import SchemaChangeError, SchemaError, StoreError, UnknownItemError
from .ml.predictions import Predictions
from .schema import Schema, SchemaChanges, schema_changes
from .store import LABEL_KINDS, Event, ItemRecord, Store, open_store

__all__ = ["Project"]

#: Kinds of event whose value is a label of the task (checked against the schema).
VALUE_KINDS = ("label", "prelabel", "review-accept", "review-correct")

#: Items written per transaction while a progress bar is shown.
ADD_CHUNK = 10_000

LABEL_COLUMNS = [
    "item_id", "task", "label", "annotator", "kind", "created_at", "duration_ms",
    "schema_version", "event_id",
]  # fmt: skip


class Project:
    """A labeling project: items, a label schema and an annotation store.

    Parameters
    ----------
    location : str or Path
        A SQLite file (created if missing; the default ``workbench.db``) or a
        ``postgresql://`` URL.
    schema : Schema, optional
        The label schema. Required for a new project. For an existing one it is
        checked against the stored schema: the same schema opens as it is; one
        that differs only in presentation (keys, colours, descriptions,
        examples, guidelines, class order) is recorded as a new version with a
        warning naming each change; any other difference (tasks or classes
        added or removed, another kind, single- versus multi-label ...) raises
        :class:`~workbench.SchemaChangeError`, which says what changed and what
        it does to existing labels, and nothing is written. Without ``schema``
        the stored schema is used.
    change_schema : bool
        Record ``schema`` as a new version even when it changes the tasks or
        classes (as :meth:`change_schema` does, warning about labels of classes
        it drops).
    annotator : str, optional
        Name recorded on every event; defaults to the operating-system user.
    items_dir : str or Path, optional
        Where arrays added with :meth:`add_arrays` are saved (as ``.npy``);
        defaults to ``<store file>.items`` next to a SQLite store.
    models_dir : str or Path, optional
        Where model outputs (pre-label probabilities, checkpoints) are saved,
        one folder per model version; defaults to ``<store file>.models``.
    read_only : bool
        Open an existing SQLite project without ever writing in its file (the
        store is opened read-only; the stored schema is used as it is, so
        ``schema=`` is refused). Anything that would write raises
        :class:`~workbench.StoreError`.
    """

    def __init__(
        self,
        location: str | Path = "workbench.db",
        *,
        schema: Schema | None = None,
        annotator: str | None = None,
        items_dir: str | Path | None = None,
        models_dir: str | Path | None = None,
        read_only: bool = False,
        change_schema: bool = False,
    ) -> None:
        if schema is not None and not isinstance(schema, Schema):
            raise SchemaError(f"schema must be a workbench.Schema, got {type(schema).__name__}")
        if read_only:
            if schema is not None:
                raise SchemaError(
                    f"{location}: schema= cannot be given with read_only=True (a read-only "
                    "project uses its stored schema)"
                )
            self.store = open_store(location, read_only=True)
            try:
                latest = self.store.latest_schema()
                stored = None if latest is None else Schema.from_dict(latest[1], version=latest[0])
            except StoreError:
                self.store.close()
                raise
            except (ValueError, TypeError, KeyError, AttributeError) as exc:  # SchemaError too
                self.store.close()
                why = str(exc) if isinstance(exc, SchemaError) else f"{type(exc).__name__}: {exc}"
                raise SchemaError(f"{location}: its stored schema is invalid: {why}") from exc
            if stored is None:
                self.store.close()
                raise SchemaError(f"{location} holds no schema: it is not a project yet")
            self._schema = stored
        else:
            self.store: Store = open_store(location)
            try:
                latest = self.store.latest_schema()
                if schema is None:
                    if latest is None:
                        raise SchemaError(
                            f"{location} is a new project: pass schema=, e.g. "
                            "wb.Schema.classification('label', ['cat', 'dog'])"
                        )
                    schema = Schema.from_dict(latest[1], version=latest[0])
                    self._set_schema(schema)
                elif latest is None:
                    self._set_schema(schema)
                else:
                    self._open_with(schema, latest, location, change=change_schema)
            except BaseException:  # a stored schema that does not load, a refused write
                self.store.close()
                raise
        # In team mode each person is a PostgreSQL role, and the log records that role.
        self.annotator = annotator or self.store.login_user() or _default_annotator()
        self.items_dir = (
            Path(items_dir) if items_dir is not None else _default_items_dir(self.store, location)
        )
        self.models_dir = (
            Path(models_dir) if models_dir is not None else _sibling(self.items_dir, "models")
        )
        self._reader: _items.ItemReader | None = None

    # -- schema -----------------------------------------------------------------
    @property
    def schema(self) -> Schema:
        """The current schema, with its stored ``version``."""
        return self._schema

    @schema.setter
    def schema(self, schema: Schema) -> None:
        """Assigning a schema is :meth:`change_schema`."""
        self._change(schema)

    def change_schema(self, schema: Schema) -> SchemaChanges:
        """Record ``schema`` as the project's new schema version, on purpose.

        Nothing in the log is rewritten: labels keep the version they were
        written under, and labels of classes the new schema drops stay in
        ``history()``, ``events()`` and ``labels()`` (a warning names them and
        how many items use each; :meth:`dropped_classes` lists them later).
        Labels do not follow a renamed task or class.

        Returns
        -------
        SchemaChanges
            What changed (``str()`` of it lists each change and its effect on
            existing labels); ``changed`` is False when ``schema`` equals the
            current one, and then nothing is written.
        """
        return self._change(schema)

    def _change(self, schema: Schema) -> SchemaChanges:
        # One frame below change_schema and the setter alike, so warnings name the caller.
        if not isinstance(schema, Schema):
            raise SchemaError(f"schema must be a workbench.Schema, got {type(schema).__name__}")
        changes = schema_changes(self._schema, schema)
        self._add_impact(changes)
        self._set_schema(schema)
        return changes

    def _open_with(
        self, schema: Schema, latest: tuple[int, dict[str, Any]], location: Any, *, change: bool
    ) -> None:
        """Open with ``schema`` given for a project that has ``latest`` stored."""
        changes = schema_changes(latest[1], schema)
        if not changes.changed:
            self._set_schema(schema)
            return
        self._add_impact(changes)
        if change:
            self._set_schema(schema)
            return
        if changes.presentation_only:
            self._set_schema(schema)
            warnings.warn(
                f"{location}: the schema given differs from the stored one (version "
                f"{latest[0]}) only in how classes are shown and picked; recorded as version "
                f"{self._schema.version}:\n{changes}",
                UserWarning,
                stacklevel=3,
            )
            return
        raise SchemaChangeError(
            f"{location}: the schema given differs from the stored one (version {latest[0]}):\n"
            f"{changes}\nNothing was written. To record it as a new version, pass "
            "change_schema=True (wb.Project(path, schema=schema, change_schema=True)) or call "
            "project.change_schema(schema); to go on with the stored schema, open the project "
            "without schema= (wb.Project(path)).",
            changes,
        )

    def _add_impact(self, changes: SchemaChanges) -> None:
        """Fill ``changes.impact``: what the change does to the labels this project holds."""
        stored = {t.name for t in self._schema.tasks} if hasattr(self, "_schema") else None
        for task in changes.removed_tasks:
            if stored is not None and task not in stored:
                continue
            n = len(self.store.current(task))
            if n:
                changes.impact.append(
                    f"{n} label{'s'[: n - 1]} of task {task!r} would no longer be shown or "
                    "checked (kept in the log)"
                )
        for task, names in changes.removed_classes.items():
            for name, n in self._label_counts(task, names).items():
                changes.impact.append(
                    f"{n} label{'s'[: n - 1]} of class {name!r} in task {task!r} would no "
                    "longer be valid (kept in the log; relabel or review those items)"
                )
        for task in changes.mode_changed:
            n = len(self.store.current(task))
            if n:
                changes.impact.append(
                    f"{n} label{'s'[: n - 1]} of task {task!r} were written under the other "
                    "mode (single- versus multi-label) and no longer fit it"
                )

    def _set_schema(self, schema: Schema) -> None:
        before = self.store.latest_schema()
        version = self.store.save_schema(schema.to_dict())
        self._schema = Schema(schema.tasks, guidelines=schema.guidelines, version=version)
        self.store.ensure_tasks([t.name for t in self._schema.tasks])
        if before is not None and before[0] != version:
            self._warn_dropped(_class_names(before[1]))

    def _warn_dropped(self, before: dict[str, set[str]]) -> None:
        """Warn when the new schema lacks classes (of ``before``) that current labels use.

        Nothing is rewritten: the labels stay in the log and in ``labels()``.
        """
        now = _class_names(self._schema.to_dict())
        lines = []
        for task, names in before.items():
            counts = self._label_counts(task, sorted(names - now.get(task, set())))
            if counts:
                gone = "" if task in now else " (a task no longer in the schema)"
                used = ", ".join(f"{n!r} ({k} label{'s'[: k - 1]})" for n, k in counts.items())
                lines.append(f"task {task!r}{gone}: {used}")
        if lines:
            warnings.warn(
                "the new schema drops classes that current labels use: " + "; ".join(lines)
                + ". The labels are kept in the log (history(), events() and labels() still "
                "show them, and the gallery can still filter by them); relabel or review "
                "those items.",
                UserWarning,
                stacklevel=5,
            )  # fmt: skip

    def _label_counts(self, task: str, names: Sequence[str]) -> dict[str, int]:
        """``{class: number of items whose current label is or contains it}``, zeros left out."""
        counts = {}
        for name in names:
            _, total = self.store.page_items(task, offset=0, limit=0, filter="label", label=name)
            if total:
                counts[name] = int(total)
        return counts

    def former_classes(self, task: str | None = None) -> list[str]:
        """Classes of ``task`` in earlier versions of the schema that the current one lacks."""
        name = self._task(task)
        now = _class_names(self._schema.to_dict()).get(name, set())
        seen: dict[str, None] = {}
        for _, body, _ in self.store.schema_versions():
            for c in sorted(_class_names(body).get(name, set()) - now):
                seen.setdefault(c, None)
        return list(seen)

    def dropped_classes(self, task: str | None = None) -> dict[str, int]:
        """Classes the schema no longer has that current labels of ``task`` still use,
        with how many items use each (see :meth:`former_classes`)."""
        name = self._task(task)
        return self._label_counts(name, self.former_classes(name))

    def schema_versions(self) -> list[Schema]:
        """Every version of the schema, oldest first."""
        return [Schema.from_dict(b, version=v) for v, b, _ in self.store.schema_versions()]

    def _task(self, task: str | None) -> str:
        return self._schema.task(task).name

    # -- items ------------------------------------------------------------------
    def _add(self, records: Sequence[ItemRecord], progress: bool | None = None) -> int:
        tasks = [t.name for t in self._schema.tasks]
        shown = progress if progress is not None else len(records) >= _items.PROGRESS_MIN
        if not shown or len(records) <= ADD_CHUNK:
            return self.store.add_items(records, tasks)
        new = 0
        with _items.progress_bar(len(records), "adding items", True) as bar:
            for start in range(0, len(records), ADD_CHUNK):
                chunk = records[start : start + ADD_CHUNK]
                new += self.store.add_items(chunk, tasks)
                bar.update(len(chunk))
        return new

    def add_arrays(
        self, arrays: Any, *, ids: Sequence[str] | None = None, progress: bool | None = None
    ) -> int:
        """Add images given as a numpy array (N×H×W or N×H×W×C). Returns how many were new.

        Images of different sizes go in one call as a list (or a 1-D object
        array) of (H, W[, C]) arrays: each is its own item with its own shape. A
        nested list whose rows differ in length is refused with an
        :class:`~workbench.ItemSourceError`. Arrays are saved once under
        ``items_dir``; each item's id is a hash of its content unless ``ids``
        are given. ``progress``: show a progress bar (by default only for at
        least 1,000 images; ``False`` never).
        """
        return self._add(
            _items.from_arrays(arrays, ids=ids, items_dir=self.items_dir, progress=progress),
            progress,
        )

    def add_features(
        self, features: Any, *, ids: Sequence[str] | None = None, progress: bool | None = None
    ) -> int:
        """Add feature rows (embeddings, tabular data) as items: one item per row.

        ``features`` is an N×D array or a numeric DataFrame (its index gives the
        ids when it is not 0..N-1). Training, pre-labeling, the active-learning
        loop and audits then use the stored rows as each item's features with
        no ``features=`` argument (:func:`workbench.ml.features.item_features`).
        The widgets show a row as text: its first values. Returns how many were new.
        """
        return self._add(
            _items.from_features(features, ids=ids, items_dir=self.items_dir, progress=progress),
            progress,
        )

    def add_texts(self, texts: Iterable[str], *, ids: Sequence[str] | None = None) -> int:
        """Add plain texts; each id is a hash of the text unless ``ids`` are given."""
        return self._add(_items.from_texts(texts, ids=ids))

    def add_uris(
        self,
        uris: Iterable[str],
        *,
        kind: str = "image",
        ids: Sequence[str] | None = None,
        progress: bool | None = None,
    ) -> int:
        """Add files by URI (local paths, ``file://``, ``s3://``, … anything fsspec reads).

        Nothing is downloaded: an id comes from the URI plus its size or ETag.
        ``progress``: show a progress bar (by default only for at least 1,000 files).
        """
        return self._add(_items.from_uris(uris, kind=kind, ids=ids, progress=progress), progress)

    def add_audio(
        self,
        audio: Any,
        *,
        sample_rate: int | None = None,
        ids: Sequence[str] | None = None,
        progress: bool | None = None,
    ) -> int:
        """Add audio: files by URI (WAV, FLAC, OGG, MP3 … anything ``soundfile``
        reads; local or any fsspec URI, nothing downloaded), or signals as numpy
        arrays with their ``sample_rate`` (a list of frames or frames × channels
        arrays, or one N × frames array), saved once under ``items_dir``.
        :meth:`read_item` gives a :class:`~workbench.media.Audio`. Returns how many
        were new.
        """
        return self._add(
            _items.from_audio(audio, sample_rate=sample_rate, ids=ids, items_dir=self.items_dir,
                              progress=progress),
            progress,
        )  # fmt: skip

    def add_video(
        self,
        video: Any,
        *,
        fps: float | None = None,
        ids: Sequence[str] | None = None,
        progress: bool | None = None,
    ) -> int:
        """Add video: files by URI (MP4, MKV, WebM, MOV … anything FFmpeg reads through
        PyAV; local or any fsspec URI, nothing downloaded), or clips as ``T × H × W
        × 3`` uint8 RGB arrays with their ``fps``, saved once under ``items_dir``
        without loss. :meth:`read_item` gives a :class:`~workbench.media.Video`, any
        frame by its index. Returns how many were new.
        """
        return self._add(
            _items.from_video(video, fps=fps, ids=ids, items_dir=self.items_dir, progress=progress),
            progress,
        )

    def add_folder(
        self, path: str | Path, *, recursive: bool = True, progress: bool | None = None
    ) -> int:
        """Add every image file under ``path`` (a local folder or an fsspec URL).

        ``progress``: show a progress bar (by default only for at least 1,000 files).
        """
        return self._add(_items.from_folder(path, recursive=recursive, progress=progress), progress)

    def add_dataframe(
        self,
        df: pd.DataFrame,
        *,
        image: str | None = None,
        text: str | None = None,
        id: str | None = None,  # noqa: A002 - mirrors the column role
    ) -> int:
        """Add the rows of ``df``: give the ``image`` column (paths, URIs, arrays,
        PIL images or bytes) or the ``text`` column, and optionally an ``id`` column."""
        return self._add(
            _items.from_dataframe(df, image=image, text=text, id=id, items_dir=self.items_dir)
        )

    def __len__(self) -> int:
        return self.store.count_items()

    def item_ids(self) -> list[str]:
        """Every item id, in the order items were added."""
        return self.store.item_ids()

    @property
    def reader(self) -> _items.ItemReader:
        if self._reader is None:
            self._reader = _items.ItemReader(self.items_dir)
        return self._reader

    def read_item(self, item_id: str) -> Any:
        """The item itself: a PIL image for images, a string for texts, an
        :class:`~workbench.media.Audio` for audio and a :class:`~workbench.media.Video`
        for video (both read on demand)."""
        return self._content(_item_id(item_id))

    def _content(self, item_id: str) -> Any:
        records = self.store.get_items([item_id])
        if not records:
            raise UnknownItemError(f"no item {item_id!r} in this project")
        return self.reader.load(records[0])

    # -- labels -----------------------------------------------------------------
    def label(
        self,
        item_id: str,
        value: Any,
        *,
        task: str | None = None,
        kind: str = "label",
        annotator: str | None = None,
        note: str = "",
        duration_ms: int | None = None,
        client_id: str | None = None,
        seq: int | None = None,
    ) -> int:
        """Record a label (or ``kind="skip"`` / ``"ambiguous"``); returns the event id.

        The value is checked against the schema: an unknown class raises
        :class:`~workbench.UnknownClassError`, a missing item
        :class:`~workbench.UnknownItemError`, and nothing is written.
        """
        ev = self.make_event(
            item_id, value, task=task, kind=kind, annotator=annotator, note=note,
            duration_ms=duration_ms, client_id=client_id, seq=seq,
        )  # fmt: skip
        return self.store.append([ev])[0].id

    def make_event(self, item_id: str, value: Any, *, task: str | None = None,
                   kind: str = "label", **fields: Any) -> Event:  # fmt: skip
        """A validated :class:`~workbench.store.Event` ready for ``store.append``.

        The value of a ``label``, ``prelabel``, ``review-accept`` or
        ``review-correct`` is checked against the task's schema
        (:class:`~workbench.SchemaError`, :class:`~workbench.UnknownClassError`);
        ``skip``, ``ambiguous``, ``send-back`` and ``retract`` carry no value, so
        one given with them is dropped (the widgets send none). Every other field
        is checked by :class:`~workbench.store.Event` (:class:`~workbench.StoreError`).
        An int ``item_id`` is taken as its decimal string.
        """
        task_name = self._task(task)
        item_id = _item_id(item_id)
        if kind in VALUE_KINDS:
            value = self._schema.validate(task_name, value)
            self._schema.task(task_name).check_item(value, lambda: self._content(item_id))
        else:
            value = None
        annotator = fields.pop("annotator", None) or self.annotator
        fields.setdefault("schema_version", self._schema.version)
        return Event(
            item_id=item_id, task=task_name, value=value, kind=kind, annotator=annotator,
            **fields,
        )  # fmt: skip

    def skip(self, item_id: str, *, task: str | None = None) -> int:
        """Mark an item skipped: it leaves the queue without a label."""
        return self.label(item_id, None, task=task, kind="skip")

    def retract(self, event_id: int, *, note: str = "") -> int:
        """Withdraw an event; the item's label falls back to the one before it."""
        ev = self.store.get_event(event_id)
        if ev is None:
            raise StoreError(f"no event {event_id} to retract")
        return self.store.append(
            [Event(ev.item_id, ev.task, None, kind="retract", parent=int(event_id),
                   annotator=self.annotator, note=note, schema_version=self._schema.version)]
        )[0].id  # fmt: skip

    def review_label(
        self,
        item_id: str,
        decision: str,
        value: Any = None,
        *,
        task: str | None = None,
        note: str = "",
        annotator: str | None = None,
        parent: Any = CURRENT,
    ) -> int:
        """Record a reviewer's decision on an item's current label; returns the event id.

        ``decision`` is ``"accept"`` (the current label stands), ``"correct"``
        (``value`` is the right label) or ``"ambiguous"``. The event is written
        with tier ``review`` and the reviewed event as its ``parent``, exactly as
        the :class:`~workbench.ReviewWidget` writes it, through the same door
        (:func:`workbench.decisions.decide`). ``parent`` is the event id the
        decision is about (by default the item's current state): if the item
        changed since, :class:`~workbench.errors.StaleLabelError` and nothing is
        written.
        """
        kinds = {"accept": "review-accept", "correct": "review-correct", "ambiguous": "ambiguous"}
        if not isinstance(decision, str) or decision not in kinds:
            raise SchemaError(f"decision must be one of {list(kinds)}, got {decision!r}")
        task_name = self._task(task)
        item_id = _item_id(item_id)
        if self.store.missing_items([item_id]):
            raise UnknownItemError(f"no item {item_id!r} in this project")
        if decision == "accept":
            state = current_state(self.store, task_name, item_id)
            if parent is not CURRENT and parent != (None if state is None else state.id):
                state = None if parent is None else self.store.get_event(parent)
            if state is None or state.kind not in LABEL_KINDS:
                raise StoreError(f"item {item_id!r} has no label to accept")
            value = state.value
        elif decision == "correct" and value is None:
            raise SchemaError("a correction needs the right label: review_label(id, 'correct', v)")
        return decide(
            self.store, self._schema, item_id=item_id, task=task_name, kind=kinds[decision],
            value=value, parent=parent, annotator=annotator or self.annotator, tier="review",
            note=note,
        ).id  # fmt: skip

    def add_prelabels(
        self,
        values: Mapping[str, Any],
        *,
        model: str,
        scores: Mapping[str, float] | None = None,
        task: str | None = None,
    ) -> int:
        """Store a model's suggested labels as ``prelabel`` events.

        ``model`` is ``"name@version"``; it is recorded as ``model:name@version``.
        Returns how many were written.
        """
        if not isinstance(model, str) or not model.strip():
            raise StoreError(f"model must be a name such as 'resnet@1', got {model!r}")
        scores = scores if scores is not None else {}
        for name, given in (("values", values), ("scores", scores)):
            if not isinstance(given, Mapping):
                raise SchemaError(f"{name} must map item ids to {name}, got {type(given).__name__}")
        annotator = model if model.startswith("model:") else f"model:{model}"
        events = [
            self.make_event(iid, v, task=task, kind="prelabel", annotator=annotator,
                            score=scores.get(iid))
            for iid, v in values.items()
        ]  # fmt: skip
        return len(self.store.append(events))

    def labels(self, task: str | None = None) -> pd.DataFrame:
        """The current label of every labeled item: one row per (item, task).

        Columns: ``item_id, task, label, annotator, kind, created_at,
        duration_ms, schema_version, event_id``.
        """
        df = self.store.current(None if task is None else self._task(task))
        return _label_frame(df)

    def history(self, item_id: str) -> pd.DataFrame:
        """Every event of one item, oldest first, values as they were written."""
        if self.store.missing_items([item_id]):
            raise UnknownItemError(f"no item {item_id!r} in this project")
        return self.store.events(item_id=item_id)

    def events(self, *, until: int | None = None) -> pd.DataFrame:
        """The whole event log (up to event id ``until``: a dataset version)."""
        return self.store.events(until=until)

    def progress(self, task: str | None = None) -> tuple[int, int]:
        """``(done, total)`` for a task."""
        return self.store.progress(self._task(task))

    # -- team mode --------------------------------------------------------------
    @property
    def team(self):
        """The team-mode view of a PostgreSQL project (:class:`~workbench.team.Team`)."""
        from .team import Team

        if getattr(self, "_team", None) is None:
            self._team = Team(self)
        return self._team

    # -- models -----------------------------------------------------------------
    def prelabel(
        self, model: Any, *, batch_size: int | None = None, device: str = "auto", **options: Any
    ) -> Any:
        """Run ``model`` over the items and store its suggestions as ``prelabel`` events.

        See :func:`workbench.prelabel.prelabel` for the models and options accepted.
        For a classification task, returns the
        :class:`~workbench.ml.predictions.Predictions`, saved memory-mapped under
        ``models_dir`` (batches of 256 by default); for a :class:`~workbench.Shapes`
        task (a detection or segmentation model), a
        :class:`~workbench.kinds.shapes.prelabel.ShapePrelabels` summary (batches of 8).
        """
        from .prelabel import prelabel

        return prelabel(self, model, batch_size=batch_size, device=device, **options)

    def dashboard(self, task: str | None = None, *, template: str = "auto") -> Any:
        """Progress, throughput, agreement, review outcomes and bottlenecks as one plotly
        figure (:func:`workbench.dashboards.dashboard`; ``status()`` gives the numbers).

        Parameters
        ----------
        task : str, optional
            The task; the schema's first by default.
        template : str
            A plotly template (``"plotly_white"``, ``"plotly_dark"``); ``"auto"``
            follows the theme JupyterLab saved (dark or light).
        """
        from .dashboards import dashboard

        return dashboard(self, task, template=template)

    def status(self, task: str | None = None) -> dict[str, Any]:
        """Live numbers of a task: progress, throughput, open reviews, agreement
        (:func:`workbench.dashboards.status`)."""
        from .dashboards import status

        return status(self, task)

    def predictions(self, model: str | None = None, *, task: str | None = None) -> Predictions:
        """Saved predictions of ``model`` (``"name@version"``); the latest when None."""
        from .ml import predictions

        return predictions.load(self.models_dir, self._task(task), model)

    # -- views ------------------------------------------------------------------
    def classify(
        self,
        task: str | None = None,
        *,
        prefetch: int = 16,
        max_size: int = 512,
        annotator: str | None = None,
        order: Iterable[str] | None = None,
    ):
        """A :class:`~workbench.ClassifyWidget` labeling ``task`` one item at a time.

        Parameters
        ----------
        task : str, optional
            The classification task; the schema's first task by default.
        prefetch : int
            How many upcoming items the browser keeps ready (0 to 1000).
        max_size : int
            Longest side in pixels of the images sent and shown (16 to 4096).
        annotator : str, optional
            Name recorded on the labels; the project's annotator by default.
        order : iterable of str, optional
            Item ids to present first (those not yet labeled), then the queue.
        """
        from .widgets.classify import ClassifyWidget

        return ClassifyWidget(
            self, task=task, prefetch=prefetch, max_size=max_size, annotator=annotator,
            order=order,
        )  # fmt: skip

    def annotate(
        self,
        task: str | None = None,
        *,
        prefetch: int = 4,
        max_size: int = 2048,
        annotator: str | None = None,
        order: Iterable[str] | None = None,
        issues: Any = None,
    ):
        """An :class:`~workbench.AnnotateWidget` drawing the shapes of a
        :class:`~workbench.Shapes` task (the schema's first one by default).

        Parameters
        ----------
        task : str, optional
            The shapes task; the schema's first one by default.
        prefetch : int
            How many upcoming items the browser keeps ready (0 to 100).
        max_size : int
            Longest side in pixels of the image sent with each item (64 to 8192);
            zooming in past it fetches the full-size image.
        annotator : str, optional
            Name recorded on the labels; the project's annotator by default.
        order : iterable of str, optional
            Item ids to present first (those not yet labeled), then the queue.
        issues : DataFrame or iterable of str, optional
            Review these items in this order instead of the unlabeled queue, e.g.
            :func:`workbench.kinds.shapes.audit.shape_issues`.
        """
        from .widgets.annotate import AnnotateWidget

        return AnnotateWidget(
            self, task=task, prefetch=prefetch, max_size=max_size, annotator=annotator,
            order=order, issues=issues,
        )  # fmt: skip

    def annotate_text(
        self,
        task: str | None = None,
        *,
        prefetch: int = 4,
        annotator: str | None = None,
        order: Iterable[str] | None = None,
        issues: Any = None,
    ):
        """An :class:`~workbench.AnnotateTextWidget` labeling the entity spans and
        relations of a :class:`~workbench.TextSpans` task (the schema's first one by
        default); a task of another kind is a :class:`SchemaError`.

        Parameters
        ----------
        task : str, optional
            The text-spans task; the schema's first one by default.
        prefetch : int
            How many upcoming items the browser keeps ready (0 to 100).
        annotator : str, optional
            Name recorded on the labels; the project's annotator by default.
        order : iterable of str, optional
            Item ids to present first (those not yet labeled), then the queue.
        issues : DataFrame or iterable of str, optional
            Review these items in this order instead of the unlabeled queue.
        """
        from .widgets.annotate_text import AnnotateTextWidget

        return AnnotateTextWidget(
            self, task=task, prefetch=prefetch, annotator=annotator, order=order, issues=issues
        )

    def annotate_audio(
        self,
        task: str | None = None,
        *,
        prefetch: int = 4,
        max_size: int = 2048,
        annotator: str | None = None,
        order: Iterable[str] | None = None,
        issues: Any = None,
    ):
        """An :class:`~workbench.AnnotateAudioWidget` labeling the time regions of an
        :class:`~workbench.AudioRegions` task (the schema's first one by default) on
        each clip's waveform; a task of another kind is a :class:`SchemaError`.

        Parameters
        ----------
        task : str, optional
            The audio-regions task; the schema's first one by default.
        prefetch : int
            How many upcoming clips the browser keeps ready (0 to 100).
        max_size : int
            Bins of the whole-clip waveform sent with each clip (64 to 8192).
        annotator : str, optional
            Name recorded on the labels; the project's annotator by default.
        order : iterable of str, optional
            Item ids to present first (those not yet labeled), then the queue.
        issues : DataFrame or iterable of str, optional
            Review these items in this order instead of the unlabeled queue.
        """
        from .widgets.annotate_audio import AnnotateAudioWidget

        return AnnotateAudioWidget(
            self, task=task, prefetch=prefetch, max_size=max_size, annotator=annotator,
            order=order, issues=issues,
        )  # fmt: skip

    def annotate_video(
        self,
        task: str | None = None,
        *,
        prefetch: int = 2,
        max_size: int = 960,
        frame_prefetch: int = 24,
        annotator: str | None = None,
        order: Iterable[str] | None = None,
        issues: Any = None,
    ):
        """An :class:`~workbench.AnnotateVideoWidget` labeling the tracks of a
        :class:`~workbench.VideoTracks` task (the schema's first one by default), frame
        by frame; a task of another kind is a :class:`SchemaError`.

        Parameters
        ----------
        task : str, optional
            The video-tracks task; the schema's first one by default.
        prefetch : int
            How many upcoming videos the browser keeps ready (0 to 100).
        max_size : int
            Longest side in pixels of the frames sent (64 to 8192).
        frame_prefetch : int
            Frames fetched ahead of the playhead (0 to 240; 0: each when shown).
        annotator : str, optional
            Name recorded on the labels; the project's annotator by default.
        order : iterable of str, optional
            Item ids to present first (those not yet labeled), then the queue.
        issues : DataFrame or iterable of str, optional
            Review these items in this order instead of the unlabeled queue.
        """
        from .widgets.annotate_video import AnnotateVideoWidget

        return AnnotateVideoWidget(
            self, task=task, prefetch=prefetch, max_size=max_size,
            frame_prefetch=frame_prefetch, annotator=annotator, order=order, issues=issues,
        )  # fmt: skip

    def gallery(
        self,
        task: str | None = None,
        *,
        page_size: int = 100,
        thumb_size: int = 128,
        filter: str = "all",  # noqa: A002 - the widget's setting
        annotator: str | None = None,
    ):
        """A :class:`~workbench.GalleryWidget`: a paged grid for bulk labeling and audits.

        Parameters
        ----------
        task : str, optional
            The classification task; the schema's first task by default.
        page_size : int
            Thumbnails per page (50 to 200).
        thumb_size : int
            Longest side of a thumbnail in pixels (32 to 512).
        filter : str
            Which items to show first: ``"all"``, ``"unlabeled"`` or a class name.
        annotator : str, optional
            Name recorded on the labels; the project's annotator by default.
        """
        from .widgets.gallery import GalleryWidget

        return GalleryWidget(
            self, task=task, page_size=page_size, thumb_size=thumb_size, filter=filter,
            annotator=annotator,
        )  # fmt: skip

    def review(
        self,
        issues: Any,
        task: str | None = None,
        *,
        prefetch: int = 8,
        max_size: int = 512,
        annotator: str | None = None,
    ):
        """A :class:`~workbench.ReviewWidget` over ``issues``: a DataFrame from
        :func:`workbench.audit.issues` (or any with an ``item_id`` column), or item ids.

        Parameters
        ----------
        issues : DataFrame or sequence of str
            The items in the order to review them (the worst first).
        task : str, optional
            The classification task; the schema's first task by default.
        prefetch : int
            Cards the browser keeps ready ahead of the one shown (0 to 1000).
        max_size : int
            Longest side in pixels of the images sent (16 to 4096).
        annotator : str, optional
            The reviewer's name recorded on the decisions; the project's
            annotator by default.
        """
        from .widgets.review import ReviewWidget

        return ReviewWidget(
            self, issues, task=task, prefetch=prefetch, max_size=max_size, annotator=annotator
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Project({self.store.url!r}, tasks={[t.name for t in self._schema.tasks]}, "
            f"schema_version={self._schema.version}, items={len(self)})"
        )


def _item_id(item_id: Any) -> str:
    """An item id as the store keeps it: a string (an int is taken as its decimal form)."""
    if isinstance(item_id, numbers.Integral) and not isinstance(item_id, bool):
        return str(item_id)
    if not isinstance(item_id, str):
        raise StoreError(f"item_id must be a string, got {type(item_id).__name__}")
    return item_id


def _class_names(body: Any) -> dict[str, set[str]]:
    """``{task: class names}`` of a stored schema body, read as loosely as possible:
    an old body that no longer loads (a malformed colour ...) still has names."""
    out: dict[str, set[str]] = {}
    tasks = body.get("tasks") if isinstance(body, Mapping) else None
    for t in tasks if isinstance(tasks, list) else ():
        if not isinstance(t, Mapping) or not isinstance(t.get("name"), str):
            continue
        classes = t.get("classes")
        names = [c.get("name") for c in classes if isinstance(c, Mapping)] if isinstance(
            classes, list
        ) else []  # fmt: skip
        out[t["name"]] = {n for n in names if isinstance(n, str)}
    return out


def _label_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.rename(columns={"value": "label", "id": "event_id"})
    return out[LABEL_COLUMNS].reset_index(drop=True)


def _sibling(items_dir: Path, what: str) -> Path:
    """labels.db.items → labels.db.<what>; .workbench-items/<id> → .workbench-<what>/<id>."""
    if items_dir.name.endswith(".items"):
        return items_dir.with_name(items_dir.name[: -len(".items")] + f".{what}")
    if items_dir.parent.name == ".workbench-items":
        return items_dir.parent.with_name(f".workbench-{what}") / items_dir.name
    return items_dir / f".{what}"


def _default_annotator() -> str:
    try:
        return os.environ.get("WORKBENCH_USER") or getpass.getuser()
    except Exception:  # getuser fails in some containers without a passwd entry
        return "unknown"


def _default_items_dir(store: Store, location: str | Path) -> Path:
    loc = str(location)
    if loc.startswith("sqlite:///"):
        loc = loc[len("sqlite:///") :]
    if loc.startswith(("postgresql://", "postgres://")) or loc == ":memory:":
        return Path.cwd() / ".workbench-items" / store.project_id
    return Path(loc).resolve().with_name(Path(loc).name + ".items")
