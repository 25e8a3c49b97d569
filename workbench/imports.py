"""What the formats of media labels share (audio regions, video tracks).

Exports: :func:`labeled_items`, the labeled items of a task with their records,
and :func:`media_file`, what a file names an item by.

Imports: finding the item a record of a file names.

A record names its item by id, or by a file (a path, relative to the file
imported when it is not absolute, or any fsspec URI). :class:`MediaItems` finds
it: the project's item with that id; else the item of that kind whose URI is
that file; else, for a bare file name, the one item of that kind with that
name; else a new item for the file when it exists (made, not added: the
importer adds every new item once all records passed, then writes the labels).
Used by the audio and video formats (``workbench.kinds.audio.formats``,
``workbench.kinds.video.formats``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from .errors import ItemReadError, WorkbenchError
from .items import from_uris, progress_bar
from .schema import describe
from .store.base import ItemRecord

__all__ = ["MediaItems", "canonical", "labeled_items", "media_file"]


def labeled_items(
    project: Any, task: str, desc: str = "export", progress: bool | None = None,
    unit: str = "item",
) -> Iterator[tuple[str, ItemRecord, dict[str, Any]]]:  # fmt: skip
    """``(item_id, record, value)`` of every item whose current label of ``task`` is a
    value (not a skip), in item order, behind a progress bar ``desc`` counting ``unit``."""
    labels = project.labels(task)
    values = {
        str(i): v
        for i, v in zip(labels["item_id"], labels["label"], strict=True)
        if isinstance(v, Mapping)
    }
    order = [i for i in project.item_ids() if i in values]
    records = {r.item_id: r for r in project.store.get_items(order)} if order else {}
    with progress_bar(len(order), desc, progress, unit=unit) as bar:
        for i in order:
            yield i, records[i], values[i]
            bar.update(1)


def media_file(record: ItemRecord) -> str:
    """What a format names an item's file by: its URI for a file added by URI, the
    item id for one added as an array (its file under ``items_dir`` is internal)."""
    uri = record.uri or ""
    return record.item_id if not uri or uri.startswith("items://") else uri


def canonical(file: str) -> str:
    """A local path as :func:`~workbench.items.from_uris` keeps it (absolute,
    normalised); any other URI as it is."""
    if "://" in file and not file.startswith("file://"):
        return file
    path = file[len("file://") :] if file.startswith("file://") else file
    return os.path.normpath(os.path.abspath(os.path.expanduser(path)))


class MediaItems:
    """The items of one kind (``"audio"``, ``"video"``) an import's records name.

    Parameters
    ----------
    project : Project
    kind : str
        The item kind every record must name.
    error : callable
        The importer's error class (a message → an exception).
    base : str, optional
        The folder relative file names are read from (the imported file's).
    noun : str
        What a record is called in errors ("a clip", "a video").
    kind_name : str
        The kind as errors say it ("audio", "a video"); ``kind`` by default.
    """

    def __init__(self, project: Any, kind: str, error: Callable[[str], Exception], *,
                 base: str | None = None, noun: str = "an item",
                 kind_name: str | None = None) -> None:  # fmt: skip
        self.project, self.kind, self.error, self.base, self.noun = project, kind, error, base, noun
        self.kind_name = kind_name or kind
        self.ids = set(project.item_ids())
        #: Items made for files the project lacks, by id (to add once all records passed).
        self.new: dict[str, ItemRecord] = {}
        self._known: dict[str, ItemRecord] = {}
        self._by_uri: dict[str, list[str]] | None = None
        self._by_name: dict[str, list[str]] = {}
        self._seen: dict[str, str] = {}

    def prefetch(self, item_ids: Any) -> None:
        """Read the records of these ids at once (those the project has)."""
        wanted = sorted({i for i in item_ids if i is not None and i in self.ids})
        for r in self.project.store.get_items(wanted) if wanted else []:
            self._known[r.item_id] = r

    def _index(self) -> None:
        self._by_uri = {}
        ids = self.project.item_ids()
        for r in self.project.store.get_items(ids) if ids else []:
            if r.kind != self.kind or not r.uri or r.uri.startswith("items://"):
                continue
            self._by_uri.setdefault(r.uri, []).append(r.item_id)
            self._by_name.setdefault(PurePosixPath(r.uri).name, []).append(r.item_id)

    def _find(self, file: str) -> list[str]:
        if self._by_uri is None:
            self._index()
        assert self._by_uri is not None
        found = self._by_uri.get(file) or self._by_uri.get(canonical(file))
        if found:
            return found
        return self._by_name.get(file, []) if "/" not in file and "\\" not in file else []

    def record(self, item_id: str | None, file: str | None, where: str) -> ItemRecord:
        """The item a record names (module docstring), once per import: a second
        record of the same item is an error naming both."""
        record = self._known.get(item_id) if item_id is not None else None
        if (
            record is None
            and item_id is not None
            and item_id in self.ids
            and item_id not in self._known
        ):
            self.prefetch([item_id])
            record = self._known.get(item_id)
        if record is None and item_id is not None:
            record = self.new.get(item_id)
        if record is None and file is not None:
            path = file
            if self.base is not None and "://" not in path and not os.path.isabs(path):
                located = os.path.join(self.base, path)
                path = located if os.path.exists(located) else path
            found = self._find(path)
            if len(found) > 1:
                raise self.error(f"{where}: file {describe(file)} matches {len(found)} items "
                                 f"({found[:3]}); give the item id")  # fmt: skip
            if found:
                (record,) = self.project.store.get_items(found)
            else:
                record = self._new(path, file, item_id, where)
                if record.item_id in self.ids:
                    (record,) = self.project.store.get_items([record.item_id])
                else:
                    record = self.new.setdefault(record.item_id, record)
        if record is None:
            what = f"item {item_id!r}" if item_id is not None else self.noun
            raise self.error(f"{where}: {what} is not in the project and no file names it")
        if record.kind != self.kind:
            raise self.error(f"{where}: item {record.item_id!r} is not {self.kind_name}")
        if record.item_id in self._seen:
            raise self.error(
                f"{where}: item {record.item_id!r} is also {self._seen[record.item_id]}"
            )
        self._seen[record.item_id] = where
        return record

    def _new(self, path: str, file: str, item_id: str | None, where: str) -> ItemRecord:
        try:
            (record,) = from_uris([path], kind=self.kind, progress=False)
        except (ItemReadError, WorkbenchError) as exc:
            raise self.error(
                f"{where}: file {describe(file)} is not an item of the project and cannot be "
                f"added ({exc})"
            ) from None
        if item_id is not None:
            record = ItemRecord(item_id, self.kind, uri=record.uri, meta=record.meta)
        return record
