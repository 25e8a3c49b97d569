"""A task kind defined here, in a test: registering it touches no file in workbench/, and
the schema, validation, store and the façades' dispatch take it like a built-in kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.kinds import registry
from workbench.schema import Task


@dataclass(frozen=True)
class Rating(Task):
    """An integer from 1 to 5."""

    kind: ClassVar[str] = "rating"

    def validate(self, value: Any) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | np.integer)
            or not 1 <= value <= 5
        ):
            raise wb.SchemaError(f"task {self.name!r}: a rating is an integer 1-5, got {value!r}")
        return int(value)

    def value_schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": 1, "maximum": 5}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rating:
        return cls(name=data["name"], description=data.get("description", ""))


def _prelabel(project, model, *, task=None, write_events=True, **options):
    name = project.schema.task_of_kind(task, "rating", purpose="pre-labeling").name
    ids = project.item_ids()
    values = [int(v) for v in model(ids)]
    if write_events:
        project.store.append(
            [project.make_event(i, v, task=name, kind="prelabel", annotator="model:mean@1")
             for i, v in zip(ids, values, strict=True)]
        )  # fmt: skip
    return values


@pytest.fixture
def rating():
    kind = registry.register(registry.TaskKind("rating", Rating, prelabel=_prelabel))
    yield kind
    registry.unregister("rating")


def test_a_test_kind_round_trips_through_schema_and_store(tmp_path, rating):
    schema = wb.Schema((Rating("stars"),))
    assert wb.Schema.from_dict(schema.to_dict()) == schema
    with wb.Project(tmp_path / "r.db", schema=schema) as p:
        p.add_arrays(np.zeros((3, 4, 4), dtype=np.uint8))
        a, b, _ = p.item_ids()
        p.label(a, 4)
        p.label(b, np.int64(2))
        with pytest.raises(wb.SchemaError, match="integer 1-5"):
            p.label(b, 9)
        labels = p.labels("stars")
        assert dict(zip(labels["item_id"], labels["label"], strict=True)) == {a: 4, b: 2}
    with wb.Project(tmp_path / "r.db") as again:  # the stored schema loads the kind back
        assert again.schema.task("stars") == Rating("stars")


def test_the_facades_dispatch_to_a_test_kind(tmp_path, rating):
    with wb.Project(tmp_path / "r.db", schema=wb.Schema((Rating("stars"),))) as p:
        p.add_arrays(np.zeros((2, 4, 4), dtype=np.uint8))
        assert wb.prelabel.prelabel(p, lambda ids: [3] * len(ids), progress=False) == [3, 3]
        events = p.events()
        assert list(events.loc[events["kind"] == "prelabel", "value"]) == [3, 3]
        with pytest.raises(wb.SchemaError, match="kind 'rating', which has no audit"):
            wb.audit.audit(p, None, task="stars")
        with pytest.raises(wb.SchemaError, match="agreement"):
            wb.agreement.agreement(p, "stars")


def test_unregistering_forgets_the_kind(tmp_path):
    kind = registry.register(registry.TaskKind("rating", Rating))
    assert registry.get("rating") is kind
    registry.unregister("rating")
    with pytest.raises(wb.SchemaError, match="unknown task kind 'rating'"):
        registry.get("rating")
    with pytest.raises(wb.SchemaError, match="unknown task kind"):
        wb.Schema.from_dict({"tasks": [{"kind": "rating", "name": "stars"}], "guidelines": ""})


def test_the_builtin_kinds_are_registered_and_dispatched(tmp_path):
    assert [k.name for k in registry.kinds()][:2] == ["classification", "shapes"]
    assert registry.get("shapes").task_class is wb.Shapes
    schema = wb.Schema.classification("digit", ["a", "b"])
    with wb.Project(tmp_path / "c.db", schema=schema) as p:
        p.add_arrays(np.zeros((4, 4, 4), dtype=np.uint8))
        for iid, label in zip(p.item_ids(), "abab", strict=True):
            p.label(iid, label)
        probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.3, 0.7]])
        pd.testing.assert_frame_equal(wb.audit.audit(p, probs), wb.audit.issues(p, probs))


def test_team_routing_asks_the_kind_for_its_disagreement(rating):
    from workbench.team import disagreement

    # A kind that registers none is scored by the share of labels off the most common.
    assert rating.disagreement is None and rating.consensus is None
    assert disagreement([4, 4, 2], "rating") == pytest.approx(1 / 3)
    assert disagreement([4], "rating") == 0.0
    # One that registers its own: ratings disagree by their spread.
    spread = registry.register(
        registry.TaskKind("rating", Rating, disagreement=lambda v: (max(v) - min(v)) / 4)
    )
    assert disagreement([4, 4, 2], "rating") == pytest.approx(0.5)
    assert registry.get("rating") is spread
    # The built-in kinds: classification by counting, shapes by IoU.
    assert disagreement(["cat", "dog"], "classification") == 0.5
    box = {"type": "box", "class": "car", "bbox": [0, 0, 10, 10]}
    assert disagreement([[box], [box]], "shapes") == pytest.approx(0.0)
    far = {**box, "bbox": [50, 50, 60, 60]}
    assert disagreement([[box], [far]], "shapes") == pytest.approx(1.0)
