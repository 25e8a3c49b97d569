import pandas as pd
import pytest

import workbench as wb


@pytest.fixture
def schema():
    return wb.Schema.classification("animal", ["cat", "dog", "bird"])


@pytest.fixture
def project(tmp_path, schema):
    p = wb.Project(tmp_path / "p.db", schema=schema, annotator="ann")
    p.add_texts(["a cat sat", "a dog ran", "a bird flew", "nothing here"])
    yield p
    p.close()


def test_new_project_needs_a_schema(tmp_path):
    with pytest.raises(wb.SchemaError, match="pass schema="):
        wb.Project(tmp_path / "new.db")


def test_reopening_keeps_schema_items_and_labels(tmp_path, schema):
    path = tmp_path / "p.db"
    with wb.Project(path, schema=schema) as p:
        p.add_texts(["one", "two"])
        first = p.item_ids()[0]
        p.label(first, "dog")
    with wb.Project(path) as p:
        assert p.schema == schema
        assert p.schema.version == 1
        assert len(p) == 2
        assert p.labels()["label"].tolist() == ["dog"]


def test_adding_the_same_items_twice_adds_nothing(project):
    assert project.add_texts(["a cat sat", "a dog ran"]) == 0
    assert len(project) == 4


def test_labels_frame_has_provenance(project):
    ids = project.item_ids()
    project.label(ids[0], "cat", duration_ms=1200)
    project.label(ids[1], "dog", annotator="other")
    df = project.labels()
    assert list(df.columns) == [
        "item_id", "task", "label", "annotator", "kind", "created_at", "duration_ms",
        "schema_version", "event_id",
    ]  # fmt: skip
    assert df["item_id"].tolist() == ids[:2]
    assert df["label"].tolist() == ["cat", "dog"]
    assert df["annotator"].tolist() == ["ann", "other"]
    assert df["duration_ms"].tolist() == [1200, pd.NA]
    assert str(df["created_at"].dtype).startswith("datetime64")
    assert (df["schema_version"] == 1).all()


def test_relabel_keeps_history_and_latest_wins(project):
    iid = project.item_ids()[0]
    project.label(iid, "cat")
    project.label(iid, "dog")
    assert project.labels()["label"].tolist() == ["dog"]
    assert project.history(iid)["value"].tolist() == ["cat", "dog"]


def test_retract_restores_the_previous_label(project):
    iid = project.item_ids()[0]
    project.label(iid, "cat")
    second = project.label(iid, "dog")
    project.retract(second)
    assert project.labels()["label"].tolist() == ["cat"]
    kinds = project.history(iid)["kind"].tolist()
    assert kinds == ["label", "label", "retract"]


def test_unknown_class_and_missing_item_write_nothing(project):
    iid = project.item_ids()[0]
    with pytest.raises(wb.UnknownClassError, match="no class 'cow'"):
        project.label(iid, "cow")
    with pytest.raises(wb.UnknownItemError, match="no item 'nope'"):
        project.label("nope", "cat")
    with pytest.raises(wb.UnknownItemError):
        project.history("nope")
    assert project.events().empty


def test_skip_leaves_the_queue_without_a_label(project):
    ids = project.item_ids()
    project.skip(ids[0])
    assert project.labels().empty
    assert project.store.next_unlabeled("animal", 10) == ids[1:]
    assert project.progress() == (1, 4)


def test_schema_change_makes_a_new_version_and_old_labels_keep_theirs(tmp_path, schema):
    path = tmp_path / "p.db"
    with wb.Project(path, schema=schema) as p:
        p.add_texts(["one", "two"])
        p.label(p.item_ids()[0], "cat")
    bigger = wb.Schema.classification("animal", ["cat", "dog", "bird", "fish"])
    with wb.Project(path, schema=bigger) as p:
        assert p.schema.version == 2
        p.label(p.item_ids()[1], "fish")
        df = p.labels()
        assert df["schema_version"].tolist() == [1, 2]
        assert [s.version for s in p.schema_versions()] == [1, 2]
    with wb.Project(path, schema=bigger) as p:  # same schema again: no new version
        assert p.schema.version == 2


def test_a_new_task_gets_a_queue_for_existing_items(tmp_path, schema):
    path = tmp_path / "p.db"
    with wb.Project(path, schema=schema) as p:
        p.add_texts(["one", "two"])
    two_tasks = wb.Schema(
        (schema.task(), wb.Classification("mood", classes=("happy", "sad"))),
    )
    with wb.Project(path, schema=two_tasks) as p:
        assert p.store.next_unlabeled("mood", 5) == p.item_ids()
        p.label(p.item_ids()[0], "sad", task="mood")
        assert p.labels("mood")["label"].tolist() == ["sad"]
        assert p.labels("animal").empty


def test_prelabels_are_not_labels_but_are_kept(project):
    ids = project.item_ids()
    n = project.add_prelabels({ids[0]: "cat", ids[1]: "bird"}, model="tiny@3",
                              scores={ids[0]: 0.9, ids[1]: 0.4})  # fmt: skip
    assert n == 2
    assert project.labels().empty
    assert project.store.prelabels("animal", ids[:2]) == {
        ids[0]: ("cat", 0.9),
        ids[1]: ("bird", 0.4),
    }
    ev = project.events()
    assert set(ev["annotator"]) == {"model:tiny@3"}
    with pytest.raises(wb.UnknownClassError):
        project.add_prelabels({ids[0]: "cow"}, model="tiny@3")


def test_resend_with_the_same_client_seq_is_stored_once(project):
    iid = project.item_ids()[0]
    a = project.label(iid, "cat", client_id="c1", seq=7)
    b = project.label(iid, "cat", client_id="c1", seq=7)
    assert a == b
    assert len(project.events()) == 1


def test_events_until_is_a_dataset_version(project):
    ids = project.item_ids()
    first = project.label(ids[0], "cat")
    project.label(ids[1], "dog")
    assert project.events(until=first)["item_id"].tolist() == [ids[0]]


def test_schema_must_be_a_schema(tmp_path):
    with pytest.raises(wb.SchemaError, match="workbench.Schema"):
        wb.Project(tmp_path / "x.db", schema={"tasks": []})


def test_public_api_is_listed():
    for name in wb.__all__:
        assert hasattr(wb, name), name


def test_review_label_writes_review_events_with_the_reviewed_parent(project):
    t0, t1, t2 = project.item_ids()[:3]
    first = project.label(t0, "cat")
    accepted = project.review_label(t0, "accept")
    ev = project.store.get_event(accepted)
    assert (ev.kind, ev.value, ev.parent, ev.tier) == ("review-accept", "cat", first, "review")
    corrected = project.review_label(t0, "correct", "dog", note="ears")
    ev = project.store.get_event(corrected)
    assert (ev.kind, ev.value, ev.parent, ev.note) == ("review-correct", "dog", accepted, "ears")
    assert project.labels().set_index("item_id").loc[t0, "label"] == "dog"
    amb = project.store.get_event(project.review_label(t1, "ambiguous"))
    assert (amb.kind, amb.parent) == ("ambiguous", None)
    with pytest.raises(wb.StoreError, match="no label to accept"):
        project.review_label(t2, "accept")
    with pytest.raises(wb.UnknownClassError):
        project.review_label(t0, "correct", "zebra")
    with pytest.raises(ValueError, match="decision"):
        project.review_label(t0, "maybe")
    with pytest.raises(wb.UnknownItemError):
        project.review_label("nope", "accept")
    assert len(project.history(t0)) == 3  # nothing written by the refused calls
