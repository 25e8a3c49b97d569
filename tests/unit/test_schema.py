import pytest

import workbench as wb
from workbench import Classification
from workbench.schema import PALETTE, LabelClass, Schema


def test_default_keys_are_digits_then_letters_skipping_reserved():
    task = Schema.classification("t", [f"c{i}" for i in range(12)]).task()
    keys = [c.key for c in task.classes]
    assert keys[:9] == [str(d) for d in range(1, 10)]
    assert keys[9:] == ["a", "b", "c"]
    assert "s" not in keys


def test_explicit_keys_are_kept_and_defaults_fill_around_them():
    task = Classification("t", classes=(LabelClass("zero", key="1"), "one", "two"))
    assert [c.key for c in task.classes] == ["1", "2", "3"]
    task = Classification("digit", classes=tuple(LabelClass(str(d), key=str(d)) for d in range(10)))
    assert [c.key for c in task.classes] == [str(d) for d in range(10)]


def test_colours_come_from_the_palette_in_order():
    task = Schema.classification("t", ["a", "b", "c"]).task()
    assert [c.color for c in task.classes] == list(PALETTE[:3])


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Schema.classification("t", []), "at least one class"),
        (lambda: Schema.classification("t", ["a", "a"]), "duplicate class"),
        (lambda: Schema.classification("t", "abc"), "list of names"),
        (
            lambda: Classification(
                "t", classes=(LabelClass("a", key="1"), LabelClass("b", key="1"))
            ),
            "bound twice",
        ),
        (lambda: LabelClass("a", key="s"), "reserved"),
        (lambda: LabelClass("a", key="ab"), "single character"),
        (lambda: LabelClass(""), "non-empty"),
        (lambda: Schema(()), "at least one task"),
    ],
)
def test_malformed_schemas_raise_schema_error(build, message):
    with pytest.raises(wb.SchemaError, match=message):
        build()


def test_single_label_validation():
    schema = Schema.classification("animal", ["cat", "dog"])
    assert schema.validate("animal", "cat") == "cat"
    with pytest.raises(wb.UnknownClassError, match="no class 'cow'"):
        schema.validate("animal", "cow")
    with pytest.raises(wb.SchemaError, match="single-label"):
        schema.validate("animal", ["cat"])
    with pytest.raises(wb.SchemaError, match="no task 'colour'"):
        schema.validate("colour", "cat")


def test_multi_label_validation_orders_and_dedupes():
    schema = Schema.classification("tags", ["red", "green", "blue"], multi_label=True)
    assert schema.validate("tags", ["blue", "red", "blue"]) == ["red", "blue"]
    assert schema.validate("tags", []) == []
    with pytest.raises(wb.UnknownClassError):
        schema.validate("tags", ["purple"])
    with pytest.raises(wb.SchemaError, match="multi-label"):
        schema.validate("tags", "red")


def test_round_trip_and_fingerprint():
    schema = Schema(
        (
            Classification(
                "a", classes=("x", LabelClass("y", description="why", examples=("i1",)))
            ),
            Classification("b", classes=("p", "q"), multi_label=True),
        ),
        guidelines="# Rules\n\nBe *careful*.",
    )
    again = Schema.from_dict(schema.to_dict())
    assert again == schema
    assert again.fingerprint() == schema.fingerprint()
    changed = Schema.classification("a", ["x", "y", "z"])
    assert changed.fingerprint() != schema.fingerprint()


def test_unknown_task_kind_is_refused():
    with pytest.raises(wb.SchemaError, match="unknown task kind"):
        Schema.from_dict({"tasks": [{"kind": "hologram", "name": "h"}]})


@pytest.mark.parametrize(
    "value",
    [
        {"red": 1},  # a dict iterates over its keys: never a list of classes
        {"red": "green"},
        b"red",
        bytearray(b"red"),
        ["red", 1],
        ["red", None],
        [["red"]],
        {1, 2},
        (x for x in [b"red"]),
        7,
        None,
    ],
)
def test_multi_label_values_are_lists_of_class_name_strings(value):
    schema = Schema.classification("tags", ["red", "green", "blue"], multi_label=True)
    with pytest.raises(wb.SchemaError, match="multi-label"):
        schema.validate("tags", value)


def test_multi_label_takes_any_iterable_of_names():
    schema = Schema.classification("tags", ["red", "green", "blue"], multi_label=True)
    assert schema.validate("tags", ("blue", "red")) == ["red", "blue"]
    assert schema.validate("tags", {"green"}) == ["green"]
    assert schema.validate("tags", (n for n in ["blue"])) == ["blue"]


@pytest.mark.parametrize(
    "color", ["#abc", "#abcd", "#A1B2C3", "#a1b2c3d4", "teal", "rebeccapurple"]
)
def test_hex_and_named_colours_are_kept(color):
    assert LabelClass("a", color=color).color == color
    assert Classification("t", classes=(LabelClass("a", color=color),)).classes[0].color == color


def test_named_colours_are_case_insensitive_and_stored_lower_case():
    assert LabelClass("a", color="DarkSlateGray").color == "darkslategray"
    assert LabelClass("a", color="").color is None, "empty is 'not given'"
    assert (
        Schema.classification("t", [LabelClass("a", color="")]).task().classes[0].color
        == PALETTE[0]
    )


@pytest.mark.parametrize(
    "color",
    [
        "url(http://attacker.example/pixel.png)",
        "red url(http://attacker.example/x)",
        "red; background: url(x)",
        "var(--jp-brand-color1)",
        "expression(alert(1))",
        "rgb(1, 2, 3)",
        "transparent",
        " red",
        "red\n",
        "#ab",
        "#abcde",
        "#abcdefg",
        "#ggg",
        "notacolour",
        12,
        ["#fff"],
    ],
)
def test_other_colours_are_refused_everywhere_a_schema_comes_from(color):
    with pytest.raises(wb.SchemaError, match=r"class 'a': color must be a hex colour"):
        LabelClass("a", color=color)
    body = Schema.classification("t", ["a"]).to_dict()
    body["tasks"][0]["classes"][0]["color"] = color
    with pytest.raises(wb.SchemaError, match="color"):
        Schema.from_dict(body)  # a stored schema goes through the same check
    shapes = wb.Shapes("boxes", classes=["a"]).to_dict()
    shapes["classes"][0]["color"] = color
    with pytest.raises(wb.SchemaError, match="color"):
        Schema.from_dict({"tasks": [shapes]})


def test_class_description_and_examples_are_text():
    with pytest.raises(wb.SchemaError, match="description"):
        LabelClass("a", description=["x"])
    with pytest.raises(wb.SchemaError, match="examples"):
        LabelClass("a", examples="i1")


def test_a_class_named_by_one_key_binds_that_key():
    digits = Schema.classification("digit", list("0123456789")).task()
    assert [c.key for c in digits.classes] == list("0123456789")
    letters = Schema.classification("t", ["a", "b"]).task()
    assert [c.key for c in letters.classes] == ["a", "b"]
    # Others take the free default keys, skipping the ones names took.
    mixed = Schema.classification("t", ["cat", "1", "a", "dog", "s", "?"]).task()
    assert [c.key for c in mixed.classes] == ["2", "1", "a", "3", "4", "5"], "s and ? are reserved"
    # An explicit key wins over a name; a name that is another class's key is an error.
    explicit = Classification("t", classes=(LabelClass("7", key="x"), "cat"))
    assert [c.key for c in explicit.classes] == ["x", "1"]
    with pytest.raises(wb.SchemaError, match="class 'cat' is given key '7', which class '7' binds"):
        Classification("t", classes=(LabelClass("cat", key="7"), "7"))
    ints = Schema.classification("digit", range(10)).task()
    assert [(c.name, c.key) for c in ints.classes][7] == ("7", "7")


def test_integer_values_name_integer_classes():
    import numpy as np

    schema = Schema.classification("digit", range(10))
    assert schema.validate("digit", 7) == "7"
    assert schema.validate("digit", np.int64(3)) == "3"
    with pytest.raises(wb.UnknownClassError, match="no class '12'"):
        schema.validate("digit", 12)
    with pytest.raises(wb.SchemaError, match="one class name, got True"):
        schema.validate("digit", True)
    multi = Schema.classification("digit", range(3), multi_label=True)
    assert multi.validate("digit", [np.int64(2), 0]) == ["0", "2"]
    # Where no class is a number, an int stays a wrong type.
    with pytest.raises(wb.SchemaError, match="one class name, got 1"):
        Schema.classification("t", ["cat", "dog"]).validate("t", 1)


def test_schema_changes_tell_structure_from_presentation():
    from workbench.schema import schema_changes

    old = Schema((Classification("animal", classes=("cat", "dog")),
                  Classification("tags", classes=("red",), multi_label=True)))  # fmt: skip
    same = schema_changes(old, old.to_dict())
    assert not same.changed and str(same) == "no change"
    recoloured = Schema(
        (Classification("animal", classes=(LabelClass("cat", color="red"), "dog")),
         Classification("tags", classes=("red",), multi_label=True)),
        guidelines="be careful",
    )  # fmt: skip
    c = schema_changes(old, recoloured)
    assert c.presentation_only
    assert f"task 'animal', class 'cat': color '{PALETTE[0]}' -> 'red'" in c.presentation
    assert "guidelines changed" in c.presentation
    other = Schema((Classification("species", classes=("cat", "dog")),
                    Classification("tags", classes=("red", "blue"))))  # fmt: skip
    c = schema_changes(old, other)
    assert c.removed_tasks == ["animal"] and c.mode_changed == ["tags"]
    assert any("task 'species' (classification) added (same kind and classes as the removed "
               "task 'animal'" in line for line in c.structural)  # fmt: skip
    assert "task 'tags': classes added ['blue']" in c.structural
    assert schema_changes(old, Schema.classification("animal", ["cat"])).removed_classes == {
        "animal": ["dog"]
    }
