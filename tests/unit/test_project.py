import warnings

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
    with pytest.raises(wb.SchemaChangeError, match=r"classes added \['fish'\]"):
        wb.Project(path, schema=bigger)
    with wb.Project(path, schema=bigger, change_schema=True) as p:
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
    with wb.Project(path) as p:
        changes = p.change_schema(two_tasks)
        assert changes.structural == ["task 'mood' (classification) added"]
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


def test_every_kind_with_a_label_value_is_checked_against_the_schema(project):
    first = project.item_ids()[0]
    before = project.events()
    for kind in ("label", "prelabel", "review-accept", "review-correct"):
        with pytest.raises(wb.UnknownClassError, match="no class 'cow'"):
            project.make_event(first, "cow", kind=kind)
        with pytest.raises(wb.SchemaError, match="single-label"):
            project.make_event(first, {"cat": 1}, kind=kind)
    assert project.make_event(first, "cat", kind="review-accept").value == "cat"
    pd.testing.assert_frame_equal(project.events(), before)


def test_kinds_without_a_value_store_none(project):
    """skip, ambiguous, send-back and retract carry no value: one given is dropped
    (the widgets send none), never stored unchecked."""
    first = project.item_ids()[0]
    labeled = project.label(first, "cat")
    for kind, extra in (("skip", {}), ("ambiguous", {}), ("send-back", {"tier": "review"}),
                        ("retract", {"parent": labeled})):  # fmt: skip
        ev = project.make_event(first, {"evil": ["not", "a", "class"]}, kind=kind, **extra)
        assert ev.value is None, kind
    ev = project.make_event(first, "x", kind="send-back", tier="review", note="why")
    (sent,) = project.store.append([ev])
    assert project.store.get_event(sent.id).value is None
    assert project.events()["value"].iloc[0] == "cat" and len(project.events()) == 2


def test_make_event_names_what_is_wrong(project):
    first = project.item_ids()[0]
    with pytest.raises(wb.StoreError, match="unknown event kind 'evil'"):
        project.make_event(first, None, kind="evil")
    with pytest.raises(wb.StoreError, match=r"duration_ms must be None or an int .*got 'abc'"):
        project.make_event(first, "cat", duration_ms="abc")
    with pytest.raises(wb.StoreError, match="item_id must be a string"):
        project.make_event(b"raw", "cat")
    assert project.make_event(7, "cat").item_id == "7"
    with pytest.raises(wb.SchemaError, match="decision must be one of"):
        project.review_label(first, "approve")
    with pytest.raises(wb.SchemaError, match="decision must be one of"):
        project.review_label(first, ["accept"])
    with pytest.raises(wb.StoreError, match="model must be a name"):
        project.add_prelabels({first: "cat"}, model=None)
    with pytest.raises(wb.SchemaError, match="values must map item ids"):
        project.add_prelabels([first, "cat"], model="m@1")
    with pytest.raises(wb.StoreError, match="score must be None or a finite number"):
        project.add_prelabels({first: "cat"}, model="m@1", scores={first: float("nan")})
    assert project.events().empty


def test_dropping_classes_that_labels_use_warns_and_keeps_the_labels(tmp_path):
    path = tmp_path / "p.db"
    schema = wb.Schema(
        (wb.Classification("animal", classes=("cat", "dog", "bird", "cow")),
         wb.Classification("tags", classes=("red", "blue", "green"), multi_label=True)),
    )  # fmt: skip
    with wb.Project(path, schema=schema, annotator="ann") as p:
        p.add_texts(["a", "b", "c"], ids=["i0", "i1", "i2"])
        p.label("i0", "bird")
        p.label("i1", "bird")
        p.label("i2", "cow")
        p.label("i2", "dog")  # cow is no longer current on i2
        p.label("i0", ["red", "blue"], task="tags")
        p.label("i1", ["blue"], task="tags")
        log = p.events()
        smaller = wb.Schema(
            (wb.Classification("animal", classes=("cat", "dog")),
             wb.Classification("tags", classes=("red", "green"), multi_label=True)),
        )  # fmt: skip
        with pytest.warns(UserWarning) as caught:
            p.schema = smaller
        (warning,) = [w for w in caught if "drops classes" in str(w.message)]
        text = str(warning.message)
        assert "task 'animal': 'bird' (2 labels)" in text
        assert "task 'tags': 'blue' (2 labels)" in text
        assert "'cow'" not in text, "no current label uses cow"
        assert "kept in the log" in text
        assert warning.filename == __file__, "the warning points at the caller"
        pd.testing.assert_frame_equal(p.events(), log)  # nothing rewritten
        assert p.labels("animal").set_index("item_id")["label"].to_dict() == {
            "i0": "bird", "i1": "bird", "i2": "dog",
        }  # fmt: skip
        assert p.former_classes("animal") == ["bird", "cow"]
        assert p.dropped_classes("animal") == {"bird": 2}
        assert p.dropped_classes("tags") == {"blue": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with wb.Project(path) as p:  # reopening changes nothing: no warning
            assert p.schema.version == 2
    # A task that leaves the schema takes its classes with it.
    with pytest.warns(UserWarning, match="drops classes") as caught:
        wb.Project(
            path, schema=wb.Schema.classification("animal", ["cat"]), change_schema=True
        ).close()
    text = str(caught[0].message)
    assert "task 'animal': 'dog' (1 label)" in text
    assert "task 'tags' (a task no longer in the schema): 'red' (1 label)" in text


def test_dropping_a_class_no_label_uses_does_not_warn(project):
    project.label(project.item_ids()[0], "cat")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        project.schema = wb.Schema.classification("animal", ["cat", "dog"])
    assert project.dropped_classes() == {}


def test_a_project_that_does_not_open_leaves_its_store_closed(tmp_path, monkeypatch):
    from workbench.store.sqlite import SQLiteStore

    closed = []
    original = SQLiteStore.close
    monkeypatch.setattr(SQLiteStore, "close", lambda self: (closed.append(1), original(self)))
    path = tmp_path / "p.db"
    with wb.Project(path, schema=wb.Schema.classification("t", ["a", "b"])) as p:
        with p.store._write() as cur:  # a stored schema this release cannot load
            cur.execute('UPDATE schemas SET body = \'{"tasks": [{"kind": "nope"}]}\'')
    closed.clear()
    with pytest.raises(wb.SchemaError, match="unknown task kind"):
        wb.Project(path)
    assert closed == [1]


def test_reopening_with_another_schema_says_what_changes_and_writes_nothing(tmp_path):
    path = tmp_path / "p.db"
    schema = wb.Schema(
        (wb.Classification("animal", classes=("cat", "dog")),
         wb.Classification("tags", classes=("red", "blue"), multi_label=True)),
    )  # fmt: skip
    with wb.Project(path, schema=schema) as p:
        p.add_texts(["a", "b", "c"], ids=["i0", "i1", "i2"])
        for iid in ("i0", "i1"):
            p.label(iid, "cat")
        p.label("i2", "dog")
        p.label("i0", ["red"], task="tags")
        log = p.events()
    with wb.Project(path, schema=schema) as p:  # the same schema: opens as it is
        assert p.schema.version == 1
    other = wb.Schema.classification("animal", ["dog", "bird"])
    with pytest.raises(wb.SchemaChangeError) as caught:
        wb.Project(path, schema=other)
    text = str(caught.value)
    assert "task 'tags' (classification) removed" in text
    assert "task 'animal': classes removed ['cat']" in text
    assert "task 'animal': classes added ['bird']" in text
    assert "2 labels of class 'cat' in task 'animal' would no longer be valid" in text
    assert "1 label of task 'tags' would no longer be shown" in text
    assert "change_schema=True" in text and "project.change_schema(schema)" in text
    assert caught.value.changes.removed_classes == {"animal": ["cat"]}
    with wb.Project(path) as p:  # nothing was written; the stored schema is used
        assert p.schema.version == 1 and len(p.schema_versions()) == 1
        pd.testing.assert_frame_equal(p.events(), log)
        with pytest.warns(UserWarning, match="drops classes"):
            changes = p.change_schema(other)
        assert p.schema.version == 2
        assert "2 labels of class 'cat' in task 'animal'" in str(changes)
        assert not p.change_schema(other).changed and p.schema.version == 2


def test_reopening_with_new_keys_or_colours_records_them_with_a_warning(tmp_path):
    path = tmp_path / "p.db"
    digits = wb.Schema.classification("digit", list("0123456789"))
    body = digits.to_dict()  # as an older release stored it: "0" on key 1 ... "9" on a
    for c, key in zip(body["tasks"][0]["classes"], "123456789a", strict=True):
        c["key"] = key
    with wb.Project(path, schema=wb.Schema.from_dict(body)) as p:
        p.add_texts(["x"], ids=["i0"])
        p.label("i0", 7)
    with pytest.warns(UserWarning, match="only in how classes are shown") as caught:
        p = wb.Project(path, schema=digits)
    assert "task 'digit', class '7': key '8' -> '7'" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert p.schema.version == 2 and p.schema.task().classes[7].key == "7"
    assert p.labels()["label"].tolist() == ["7"]
    p.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with wb.Project(path, schema=digits) as p:  # re-running the same cell: no change
            assert p.schema.version == 2


def test_integer_labels_are_stored_as_their_class(tmp_path):
    import numpy as np

    with wb.Project(tmp_path / "p.db", schema=wb.Schema.classification("digit", range(10))) as p:
        p.add_texts(["a", "b"], ids=["i0", "i1"])
        p.label("i0", 7)
        p.label("i1", np.int64(3))
        assert p.labels().set_index("item_id")["label"].to_dict() == {"i0": "7", "i1": "3"}
        with pytest.raises(wb.UnknownClassError, match="no class '11'"):
            p.label("i0", 11)
        with pytest.raises(wb.SchemaError, match="got True"):
            p.label("i0", True)
        assert p.labels()["label"].tolist() == ["7", "3"]


@pytest.mark.parametrize(
    "method, widget, options",
    [
        ("classify", "ClassifyWidget", {"prefetch", "max_size", "annotator", "order"}),
        ("annotate", "AnnotateWidget", {"prefetch", "max_size", "annotator", "order", "issues"}),
        ("gallery", "GalleryWidget", {"page_size", "thumb_size", "filter", "annotator"}),
        ("review", "ReviewWidget", {"prefetch", "max_size", "annotator"}),
    ],
)
def test_widget_methods_list_their_options(method, widget, options):
    import inspect

    params = inspect.signature(getattr(wb.Project, method)).parameters
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())
    keyword_only = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    assert keyword_only == options
    assert options <= set(inspect.getdoc(getattr(wb.Project, method)).split())
    traits = getattr(wb, widget).class_traits()
    for name in (options & set(traits)) - {"annotator"}:  # the widget's own defaults
        assert params[name].default == traits[name].default_value, name


def test_widget_methods_refuse_unknown_options(project):
    with pytest.raises(TypeError, match="prefech"):
        project.classify(prefech=4)
    with pytest.raises(TypeError, match="page"):
        project.gallery(page=2)
    widget = project.classify(prefetch=4)
    assert widget.prefetch == 4


def test_team_review_lists_its_options():
    import inspect

    from workbench.team import Team

    params = inspect.signature(Team.review).parameters
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())
    assert {"task", "prefetch", "max_size", "annotator"} <= set(params)
