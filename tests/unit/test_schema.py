import pytest

import workbench as wb
from workbench.schema import PALETTE, Classification, LabelClass, Schema


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
