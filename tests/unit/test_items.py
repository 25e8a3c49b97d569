"""Item sources (arrays, texts, URIs, folders, DataFrames) and the ItemReader."""

from __future__ import annotations

import io
import os
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import workbench
from workbench import items
from workbench.errors import ItemReadError, ItemSourceError, WorkbenchError
from workbench.items import ItemReader


# -- helpers ---------------------------------------------------------------------
def png_bytes(arr: np.ndarray, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", **kw)
    return buf.getvalue()


def jpeg_bytes(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="JPEG", **kw)
    return buf.getvalue()


def decode(out: dict) -> Image.Image:
    im = Image.open(io.BytesIO(out["data"]))
    assert im.format == {"image/png": "PNG", "image/jpeg": "JPEG"}[out["mime"]]
    assert (im.width, im.height) == (out["width"], out["height"])
    im.load()
    return im


def rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.fixture
def project(tmp_path):
    schema = workbench.Schema.classification("t", ["a", "b"])
    with workbench.Project(tmp_path / "p.db", schema=schema, annotator="tester") as p:
        yield p


@pytest.fixture
def digits():
    sklearn = pytest.importorskip("sklearn.datasets")
    return sklearn.load_digits().images  # (1797, 8, 8) float64 in 0..16


@pytest.fixture
def pngs(tmp_path):
    """A folder of three PNGs, a nested one, a text file and a hidden image."""
    root = tmp_path / "imgs"
    (root / "sub").mkdir(parents=True)
    (root / ".cache").mkdir()
    arrays = {"b.png": rgb(4, 6, 1), "a.png": rgb(5, 3, 2), "sub/c.PNG": rgb(2, 2, 3)}
    for name, arr in arrays.items():
        (root / name).write_bytes(png_bytes(arr))
    (root / "notes.txt").write_text("not an image")
    (root / ".cache" / "d.png").write_bytes(png_bytes(rgb(2, 2, 4)))
    (root / "._a.png").write_bytes(b"AppleDouble junk")
    return root, arrays


# -- arrays ----------------------------------------------------------------------
def test_digits_are_saved_once_with_stable_ids_and_scaled_to_full_range(tmp_path, digits):
    d = tmp_path / "items"
    recs = items.from_arrays(digits, items_dir=d)
    assert len(recs) == len(digits) == len({r.item_id for r in recs})
    assert all(r.kind == "image" and len(r.item_id.split("-")[0]) == 16 for r in recs)
    (npy,) = d.iterdir()
    assert npy.suffix == ".npy"
    assert recs[5].uri == f"npy://{npy.name}#5"
    assert recs[0].meta["range"] == [0.0, 16.0]
    mtime = npy.stat().st_mtime_ns

    again = items.from_arrays(digits.copy(), items_dir=d)
    assert again == recs
    assert list(d.iterdir()) == [npy] and npy.stat().st_mtime_ns == mtime

    reader = ItemReader(d)
    shown = np.asarray(reader.load(recs[0]))
    expected = np.clip(digits[0] / 16 * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(shown, expected)
    out = reader.render(recs[0])
    assert (out["kind"], out["mime"], out["width"], out["height"]) == ("image", "image/png", 8, 8)
    np.testing.assert_array_equal(np.asarray(decode(out)), expected)
    np.testing.assert_array_equal(reader.load_array(recs[0]), digits[0])  # raw values kept


def test_a_later_batch_of_digits_gets_the_same_scale(tmp_path, digits):
    first = items.from_arrays(digits[:900], items_dir=tmp_path)
    second = items.from_arrays(digits[900:], items_dir=tmp_path)
    assert first[0].meta["range"] == second[0].meta["range"] == [0.0, 16.0]


H, W = 5, 7


@pytest.mark.parametrize(
    "arr, mode, expected",
    [
        pytest.param(
            np.arange(2 * H * W, dtype=np.uint8).reshape(2, H, W), "L", lambda a: a, id="uint8-grey"
        ),
        pytest.param(
            np.arange(2 * H * W * 3, dtype=np.uint8).reshape(2, H, W, 3),
            "RGB",
            lambda a: a,
            id="uint8-rgb",
        ),
        pytest.param(
            np.arange(2 * H * W * 4, dtype=np.uint8).reshape(2, H, W, 4),
            "RGBA",
            lambda a: a,
            id="uint8-rgba",
        ),
        pytest.param(
            np.arange(2 * H * W, dtype=np.uint8).reshape(2, H, W, 1),
            "L",
            lambda a: a[..., 0],
            id="uint8-one-channel",
        ),
        pytest.param(
            np.indices((2, H, W)).sum(0) % 2 == 0,
            "L",
            lambda a: a.astype(np.uint8) * 255,
            id="bool",
        ),
        pytest.param(
            np.linspace(0, 1, 2 * H * W, dtype=np.float32).reshape(2, H, W),
            "L",
            lambda a: (a * 255 + 0.5).astype(np.uint8),
            id="float-unit",
        ),
        pytest.param(
            np.linspace(-3, 5, 2 * H * W).reshape(2, H, W),
            "L",
            lambda a: ((a + 3) / 8 * 255 + 0.5).astype(np.uint8),
            id="float-minmax",
        ),
        pytest.param(
            np.linspace(-1000, 3000, 2 * H * W).astype(np.int16).reshape(2, H, W),
            "L",
            lambda a: ((a + 1000) / 4000 * 255 + 0.5).astype(np.uint8),
            id="int16-minmax",
        ),
        pytest.param(
            np.linspace(0, 4095, 2 * H * W).astype(">u2").reshape(2, H, W),
            "L",
            lambda a: (a / 4095 * 255 + 0.5).astype(np.uint8),
            id="uint16-big-endian-12-bit",
        ),
        pytest.param(
            np.linspace(0, 1, 2 * H * W * 3).astype(np.float16).reshape(2, H, W, 3),
            "RGB",
            lambda a: (a.astype(np.float32) * 255 + 0.5).astype(np.uint8),
            id="float16-rgb",
        ),
    ],
)
def test_arrays_of_each_dtype_and_shape_render_to_png_of_their_size(tmp_path, arr, mode, expected):
    recs = items.from_arrays(arr, items_dir=tmp_path)
    reader = ItemReader(tmp_path)
    for i, rec in enumerate(recs):
        out = reader.render(rec)
        assert (out["mime"], out["width"], out["height"]) == ("image/png", W, H)
        im = decode(out)
        assert im.mode == mode
        np.testing.assert_array_equal(np.asarray(im), expected(arr[i]))
        assert reader.load(rec).size == (W, H)


def test_constant_and_nan_arrays_render(tmp_path):
    arr = np.full((1, 3, 3), 7, dtype=np.int64)
    nan = np.array([[[np.nan, 1.0, 2.0, 3.0, np.inf, -np.inf]]])
    reader = ItemReader(tmp_path)
    (rec,) = items.from_arrays(arr, items_dir=tmp_path)
    assert (np.asarray(reader.load(rec)) == 7).all()  # shown as its value
    (rec,) = items.from_arrays(nan, items_dir=tmp_path)
    np.testing.assert_array_equal(np.asarray(reader.load(rec)), [[0, 0, 128, 255, 255, 0]])


def test_big_array_rows_are_downscaled_never_upscaled(tmp_path):
    arr = np.stack([rgb(600, 800, 1), rgb(600, 800, 2)])
    recs = items.from_arrays(arr, items_dir=tmp_path)
    reader = ItemReader(tmp_path)
    out = reader.render(recs[0])
    assert (out["mime"], out["width"], out["height"]) == ("image/jpeg", 512, 384)
    decode(out)
    thumb = reader.thumbnail(recs[0], size=64)
    assert (thumb["width"], thumb["height"]) == (64, 48)
    small = reader.render(recs[0], max_size=4000)
    assert (small["width"], small["height"]) == (800, 600)


def test_duplicate_rows_stay_separate_items_with_numbered_ids(tmp_path):
    arr = np.zeros((3, 2, 2), dtype=np.uint8)
    arr[1] = 1
    ids = [r.item_id for r in items.from_arrays(arr[[0, 1, 0, 0]], items_dir=tmp_path)]
    assert ids[0] != ids[1] and ids[2:] == [f"{ids[0]}-2", f"{ids[0]}-3"]
    # the first copy is the same item as that image on its own
    assert items.from_arrays(arr[:1], items_dir=tmp_path)[0].item_id == ids[0]


def test_ids_depend_on_content_shape_and_dtype(tmp_path):
    a = np.zeros((1, 2, 6), dtype=np.uint8)
    ids = {
        items.from_arrays(x, items_dir=tmp_path)[0].item_id
        for x in (a, a.reshape(1, 3, 4), a.reshape(1, 2, 2, 3), a.astype(np.uint16), a + 1)
    }
    assert len(ids) == 5
    assert (
        items.from_arrays(np.zeros((1, 2, 2), ">f8"), items_dir=tmp_path)[0].item_id
        == items.from_arrays(np.zeros((1, 2, 2), "<f8"), items_dir=tmp_path)[0].item_id
    )


def test_a_list_of_differently_shaped_arrays_is_stacked_per_shape(tmp_path):
    imgs = [rgb(4, 4, 1), np.zeros((3, 5)), rgb(4, 4, 2), np.ones((3, 5))]
    recs = items.from_arrays(imgs, items_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 2
    reader = ItemReader(tmp_path)
    np.testing.assert_array_equal(np.asarray(reader.load(recs[2])), imgs[2])
    assert reader.load(recs[3]).size == (5, 3)
    # same content as one stacked batch: same ids
    stacked = items.from_arrays(np.stack([imgs[0], imgs[2]]), items_dir=tmp_path)
    assert [r.item_id for r in stacked] == [recs[0].item_id, recs[2].item_id]


def test_given_ids_are_used_and_checked(tmp_path):
    arr = np.zeros((2, 2, 2), dtype=np.uint8)
    recs = items.from_arrays(arr, ids=["x", np.str_("y")], items_dir=tmp_path)
    assert [r.item_id for r in recs] == ["x", "y"] and type(recs[1].item_id) is str
    with pytest.raises(ItemSourceError, match="ids has 1 entries but there are 2 images"):
        items.from_arrays(arr, ids=["x"], items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match="unique.*'x' is at positions 0 and 1"):
        items.from_arrays(arr, ids=["x", "x"], items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match=r"ids\[1\] is int"):
        items.from_arrays(arr, ids=["x", 2], items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match="not one string"):
        items.from_arrays(arr, ids="xy", items_dir=tmp_path)


@pytest.mark.parametrize(
    "arr, message",
    [
        (np.zeros((10, 64)), r"reshape\(len\(X\), H, W\)"),
        (np.zeros((2, 3, 8, 8)), r"channels-first: pass a.transpose\(0, 2, 3, 1\)"),
        (np.zeros((2, 8, 8, 2)), "1, 3 or 4 channels"),
        (np.zeros((2, 8, 8), dtype=complex), "dtype complex128"),
        (np.array([["a"]]), "dtype <U1"),
        (np.zeros((2, 0, 8)), "cannot be empty"),
    ],
)
def test_bad_arrays_get_clear_errors(tmp_path, arr, message):
    with pytest.raises(ItemSourceError, match=message):
        items.from_arrays(arr, items_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_project_add_arrays_twice_adds_nothing(project, digits):
    assert project.add_arrays(digits[:50]) == 50
    assert project.add_arrays(digits[:50]) == 0
    assert project.add_arrays(digits[:60]) == 10
    assert len(project) == 60
    assert project.read_item(project.item_ids()[0]).size == (8, 8)


# -- texts -----------------------------------------------------------------------
def test_texts_inline_with_stable_ids(project):
    recs = items.from_texts(["a cat", "a dog", "a cat"])
    assert [r.kind for r in recs] == ["text"] * 3
    assert recs[0].text == "a cat" and recs[0].uri is None
    assert recs[2].item_id == recs[0].item_id + "-2"
    assert items.from_texts(pd.Series(["a cat", "a dog"])) == recs[:2]
    reader = ItemReader(project.items_dir)
    assert reader.load(recs[1]) == "a dog"
    assert reader.render(recs[1]) == {"kind": "text", "text": "a dog"}
    assert reader.thumbnail(recs[1]) == {"kind": "text", "text": "a dog"}
    assert project.add_texts(["a cat", "a dog"]) == 2
    assert project.add_texts(["a dog", "a cat"]) == 0
    assert project.read_item(recs[0].item_id) == "a cat"


def test_bad_texts_name_the_position():
    assert issubclass(ItemSourceError, ValueError) and issubclass(ItemSourceError, WorkbenchError)
    with pytest.raises(ItemSourceError, match=r"texts\[2\] is float \(nan\), not a str"):
        items.from_texts(["a", "b", float("nan")])
    with pytest.raises(ItemSourceError, match="not one string"):
        items.from_texts("hello")
    with pytest.raises(ItemSourceError, match="ids has 1 entries"):
        items.from_texts(["a", "b"], ids=["x"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=12))
def test_text_ids_are_stable_and_unique(texts):
    ids = [r.item_id for r in items.from_texts(texts)]
    assert ids == [r.item_id for r in items.from_texts(list(texts))]
    assert len(set(ids)) == len(ids)
    # equal ids only for equal texts (up to the copy number)
    base = {i.split("-")[0]: t for i, t in zip(ids, texts, strict=True)}
    assert len(base) == len(set(texts))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.int16, np.float32, np.bool_]),
        shape=st.tuples(
            st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.sampled_from([1, 3])
        ),
    )
)
def test_array_ids_are_stable_and_unique_per_distinct_row(arr):
    with tempfile.TemporaryDirectory() as d:
        recs = items.from_arrays(arr, items_dir=d)
        assert recs == items.from_arrays(arr.copy(), items_dir=d)
        assert len(os.listdir(d)) == 1
        ids = [r.item_id for r in recs]
        assert len(set(ids)) == len(ids)
        distinct = {arr[i].tobytes() for i in range(len(arr))}
        assert len({i.split("-")[0] for i in ids}) == len(distinct)
        reader = ItemReader(d)
        for rec in recs:
            assert reader.load(rec).size == (arr.shape[2], arr.shape[1])


# -- URIs and folders ------------------------------------------------------------
def test_uris_are_not_read_and_ids_follow_uri_and_size(tmp_path, pngs, monkeypatch):
    root, arrays = pngs
    recs = items.from_uris([root / "a.png", str(root / "b.png")])
    assert [r.uri for r in recs] == [str(root / "a.png"), str(root / "b.png")]
    assert recs[0].meta == {"size": (root / "a.png").stat().st_size}
    monkeypatch.chdir(root)
    same = items.from_uris(["a.png", f"file://{root}/sub/../b.png"])
    assert same == recs
    # a changed file is a new item
    (root / "a.png").write_bytes(png_bytes(rgb(50, 50, 9)))
    assert items.from_uris([root / "a.png"])[0].item_id != recs[0].item_id


def test_uri_errors(tmp_path, pngs):
    root, _ = pngs
    missing = str(root / "nope.png")
    with pytest.raises(ItemReadError, match=r"no file at '.*nope.png' \(uris\[1\]\)"):
        items.from_uris([root / "a.png", missing])
    with pytest.raises(ItemReadError, match=r"and 1 more missing"):
        items.from_uris([missing, missing + "2"])
    with pytest.raises(ItemSourceError, match="is a folder"):
        items.from_uris([root / "sub"])
    with pytest.raises(ItemSourceError, match="not one URI"):
        items.from_uris(str(root / "a.png"))
    with pytest.raises(ItemSourceError, match="unknown item kind 'hologram'"):
        items.from_uris([root / "a.png"], kind="hologram")
    with pytest.raises(ItemSourceError, match=r"uris\[0\] is int"):
        items.from_uris([3])


def test_text_files_by_uri(tmp_path):
    (tmp_path / "a.txt").write_text("héllo", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00")
    a, b = items.from_uris([tmp_path / "a.txt", tmp_path / "b.txt"], kind="text")
    reader = ItemReader(tmp_path)
    assert reader.load(a) == "héllo" and reader.render(a)["text"] == "héllo"
    with pytest.raises(ItemReadError, match=f"item '{b.item_id}'.*not UTF-8"):
        reader.load(b)


def test_folder_lists_images_sorted_skipping_hidden_and_other_files(pngs):
    root, arrays = pngs
    recs = items.from_folder(root)
    assert [r.uri for r in recs] == [str(root / n) for n in ("a.png", "b.png", "sub/c.PNG")]
    assert recs == items.from_uris([r.uri for r in recs])  # same ids as by URI
    assert items.from_folder(f"file://{root}/") == recs
    assert [r.uri for r in items.from_folder(root, recursive=False)] == [
        str(root / "a.png"),
        str(root / "b.png"),
    ]
    reader = ItemReader(root)
    for rec in recs:
        name = os.path.relpath(rec.uri, root)
        np.testing.assert_array_equal(np.asarray(reader.load(rec)), arrays[name])


def test_folder_errors(tmp_path):
    with pytest.raises(ItemReadError, match="no folder at"):
        items.from_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ItemSourceError, match=r"no image files \(png, jpg.*\) under"):
        items.from_folder(tmp_path / "empty")
    (tmp_path / "empty" / ".x.png").write_bytes(b"")
    with pytest.raises(ItemSourceError, match="1 hidden ones skipped"):
        items.from_folder(tmp_path / "empty")


def test_project_add_folder_twice_adds_nothing(project, pngs):
    root, arrays = pngs
    assert project.add_folder(root) == 3
    assert project.add_folder(root) == 0
    assert project.add_uris([root / "a.png"]) == 0
    img = project.read_item(project.item_ids()[0])
    np.testing.assert_array_equal(np.asarray(img), arrays["a.png"])


# -- DataFrames ------------------------------------------------------------------
def test_dataframe_image_column_of_every_kind_reads_back_in_a_new_reader(tmp_path, pngs):
    root, arrays = pngs
    d = tmp_path / "items"
    pil_p = Image.fromarray(rgb(6, 6, 5)).convert("P")
    jpeg = jpeg_bytes(Image.fromarray(rgb(16, 16, 6)), quality=95)
    df = pd.DataFrame(
        {
            "img": [
                str(root / "a.png"),
                root / "b.png",
                rgb(4, 4, 7),
                np.linspace(0, 3, 15).reshape(3, 5),
                Image.fromarray(rgb(3, 2, 8)),
                pil_p,
                Image.fromarray(np.arange(12, dtype=np.int32).reshape(3, 4)),
                png_bytes(rgb(2, 5, 9)),
                jpeg,
                {"bytes": png_bytes(rgb(1, 1, 10)), "path": None},
                {"bytes": None, "path": str(root / "a.png")},
            ]
        },
        index=list("abcdefghijk"),
    )
    recs = items.from_dataframe(df, image="img", items_dir=d)
    assert items.from_dataframe(df, image="img", items_dir=d) == recs
    assert [r.uri.split("://")[0] for r in recs] == (
        [str(root / "a.png"), str(root / "b.png")]
        + ["npy"] * 2
        + ["items"] * 2
        + ["npy"]
        + ["items"] * 3
        + [str(root / "a.png")]
    )
    assert recs[-1].item_id == recs[0].item_id  # the same file is the same item
    assert recs[7].uri.endswith(".png") and recs[8].uri.endswith(".jpg")

    reader = ItemReader(d)  # as if in another kernel
    loaded = [np.asarray(reader.load(r)) for r in recs]
    np.testing.assert_array_equal(loaded[0], arrays["a.png"])
    np.testing.assert_array_equal(loaded[2], df.img["c"])
    np.testing.assert_array_equal(
        loaded[3], (np.linspace(0, 3, 15).reshape(3, 5) / 3 * 255 + 0.5).astype(np.uint8)
    )
    np.testing.assert_array_equal(loaded[4], df.img["e"])
    assert reader.load(recs[5]).mode == "P"  # kept as it was given
    np.testing.assert_array_equal(
        np.asarray(reader.load(recs[5]).convert("RGB")), np.asarray(pil_p.convert("RGB"))
    )
    np.testing.assert_array_equal(reader.load_array(recs[6]), np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(loaded[7], rgb(2, 5, 9))
    assert (reader.items_dir / recs[8].uri[len("items://") :]).read_bytes() == jpeg
    assert loaded[9].shape == (1, 1, 3)


def test_dataframe_texts_and_id_column(project):
    df = pd.DataFrame({"t": ["x", "y", "x"], "key": [10, 20, 30], "dup": [1, 1, 2]})
    recs = items.from_dataframe(df, text="t", id="key", items_dir=project.items_dir)
    assert [(r.item_id, r.text) for r in recs] == [("10", "x"), ("20", "y"), ("30", "x")]
    assert [r.item_id for r in items.from_dataframe(df, text="t", items_dir=".")] == [
        r.item_id for r in items.from_texts(["x", "y", "x"])
    ]
    assert project.add_dataframe(df, text="t", id="key") == 3
    assert project.add_dataframe(df, text="t", id="key") == 0
    assert project.read_item("20") == "y"


def test_dataframe_errors(tmp_path):
    df = pd.DataFrame({"t": ["x", None], "img": [b"junk", 3], "key": [1, 1]}, index=[7, 8])
    with pytest.raises(
        ItemSourceError, match=r"image='pic': no such column; .*\['t', 'img', 'key'\]"
    ):
        items.from_dataframe(df, image="pic", items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match="id='k': no such column"):
        items.from_dataframe(df, text="t", id="k", items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match="exactly one of image= and text="):
        items.from_dataframe(df, image="img", text="t", items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match="exactly one of image= and text="):
        items.from_dataframe(df, items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match=r"column 't', row 8: .*, not a str"):
        items.from_dataframe(df, text="t", items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match=r"'1' is at rows 7 and 8 of 'key'"):
        items.from_dataframe(df.fillna("y"), text="t", id="key", items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match=r"column 'img', row 7: these bytes are not an image"):
        items.from_dataframe(df, image="img", items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match=r"column 'img', row 8: int \(3\) is not an image"):
        items.from_dataframe(df.iloc[1:], image="img", items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match="id column 'key' is empty in row 8"):
        items.from_dataframe(df.assign(key=[1, None]), text="img", id="key", items_dir=tmp_path)
    with pytest.raises(ItemSourceError, match="must be a pandas DataFrame"):
        items.from_dataframe({"t": ["x"]}, text="t", items_dir=tmp_path)
    assert not tmp_path.joinpath("x").exists()


# -- reading ---------------------------------------------------------------------
def test_corrupt_truncated_and_missing_images_raise_item_read_error(tmp_path):
    good = png_bytes(rgb(40, 40, 1))
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    (tmp_path / "truncated.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "gone.png").write_bytes(good)
    recs = items.from_uris([tmp_path / n for n in ("corrupt.png", "truncated.png", "gone.png")])
    (tmp_path / "gone.png").unlink()
    reader = ItemReader(tmp_path)
    for rec in recs:
        for read in (reader.load, reader.render, reader.thumbnail):
            with pytest.raises(ItemReadError, match=rf"item '{rec.item_id}'.*{rec.uri}"):
                read(rec)
    with pytest.raises(WorkbenchError, match="no file at"):
        reader.load(recs[2])


def test_missing_npy_file_and_bad_row(tmp_path):
    (rec,) = items.from_arrays(np.zeros((1, 2, 2)), items_dir=tmp_path / "a")
    with pytest.raises(ItemReadError, match=f"item '{rec.item_id}': no array file"):
        ItemReader(tmp_path / "b").load(rec)
    bad = items.ItemRecord("x", "image", uri=rec.uri.replace("#0", "#5"))
    with pytest.raises(ItemReadError, match="names no row of an array of 1 rows"):
        ItemReader(tmp_path / "a").render(bad)


def test_a_20_megapixel_jpeg_renders_small_from_a_reduced_decode(tmp_path, monkeypatch):
    big = Image.fromarray(rgb(40, 50, 3)).resize((5000, 4000), Image.Resampling.BILINEAR)
    (tmp_path / "big.jpg").write_bytes(jpeg_bytes(big, quality=85))
    (rec,) = items.from_uris([tmp_path / "big.jpg"])
    sizes = []
    thumbnail = Image.Image.thumbnail

    def spy(self, *args, **kwargs):
        sizes.append(self.size)
        return thumbnail(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "thumbnail", spy)
    reader = ItemReader(tmp_path)
    out = reader.render(rec)
    assert (out["mime"], out["width"], out["height"]) == ("image/jpeg", 512, 410)
    decode(out)
    # Decoded at 1/4 scale by JPEG draft, not at 20 MP: ~0.05 s instead of ~0.3 s here
    # (tests do not time things; this checks the mechanism).
    assert sizes == [(1250, 1000)]
    assert reader.load(rec).size == (5000, 4000)


def test_small_png_and_jpeg_files_are_sent_as_they_are(tmp_path):
    png, jpg = png_bytes(rgb(30, 20, 1)), jpeg_bytes(Image.fromarray(rgb(30, 20, 2)))
    (tmp_path / "a.png").write_bytes(png)
    (tmp_path / "b.jpg").write_bytes(jpg)
    a, b = items.from_uris([tmp_path / "a.png", tmp_path / "b.jpg"])
    reader = ItemReader(tmp_path)
    assert reader.render(a) == {"kind": "image", "mime": "image/png", "width": 20, "height": 30,
                                "full_width": 20, "full_height": 30, "data": png}  # fmt: skip
    assert reader.render(b)["data"] == jpg and reader.render(b)["mime"] == "image/jpeg"
    assert reader.render(a, max_size=10)["data"] != png


def test_exif_rotated_16_bit_and_palette_images_render_for_the_browser(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° on display
    (tmp_path / "rot.jpg").write_bytes(jpeg_bytes(Image.fromarray(rgb(30, 40, 1)), exif=exif))
    deep = np.linspace(0, 4095, 12 * 10).astype(np.uint16).reshape(12, 10)  # 12-bit data
    Image.fromarray(deep).save(tmp_path / "deep.png")
    Image.fromarray(rgb(9, 9, 2)).convert("P").save(tmp_path / "pal.gif")
    Image.fromarray(rgb(9, 9, 3)).save(tmp_path / "x.webp", lossless=True)
    names = ["rot.jpg", "deep.png", "pal.gif", "x.webp"]
    rot, deep_rec, pal, webp = items.from_uris([tmp_path / n for n in names])
    reader = ItemReader(tmp_path)
    out = reader.render(rot)
    assert (out["width"], out["height"]) == (30, 40)
    assert (out["full_width"], out["full_height"]) == (30, 40)  # upright, as shapes are drawn
    assert (reader.render(rot, max_size=20)["full_width"], out["full_height"]) == (30, 40)
    assert reader.load(rot).size == (30, 40)
    im = decode(reader.render(deep_rec))
    assert im.mode == "L" and np.asarray(im).min() == 0 and np.asarray(im).max() == 255
    assert decode(reader.render(pal)).mode == "RGB"
    np.testing.assert_array_equal(np.asarray(decode(reader.render(webp))), rgb(9, 9, 3))


def test_thumbnails_are_cached_by_item_and_size(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes(rgb(300, 200, 1)))
    (rec,) = items.from_uris([tmp_path / "a.png"])
    reader = ItemReader(tmp_path)
    t128 = reader.thumbnail(rec)
    assert (t128["width"], t128["height"]) == (85, 128)
    (tmp_path / "a.png").unlink()
    assert reader.thumbnail(rec) is t128  # served from memory
    with pytest.raises(ItemReadError):
        reader.thumbnail(rec, size=64)


def test_remote_bytes_go_through_the_byte_cache(tmp_path):
    fsspec = pytest.importorskip("fsspec")
    mem = fsspec.filesystem("memory")
    mem.pipe("/wb-test/a.png", png_bytes(rgb(3, 3, 1)))
    (rec,) = items.from_uris(["memory://wb-test/a.png"])
    assert rec.uri == "memory:///wb-test/a.png" and rec.meta == {"size": mem.size("/wb-test/a.png")}
    reader = ItemReader(tmp_path)
    first = np.asarray(reader.load(rec))
    mem.rm("/wb-test/a.png")
    np.testing.assert_array_equal(np.asarray(reader.load(rec)), first)
    reader.clear_cache()
    with pytest.raises(ItemReadError, match="no file at 'memory:///wb-test/a.png'"):
        reader.load(rec)


def test_render_rejects_bad_arguments_and_kinds(tmp_path):
    reader = ItemReader(tmp_path)
    (rec,) = items.from_texts(["x"])
    with pytest.raises(ValueError, match="max_size"):
        reader.render(rec, max_size=0)
    with pytest.raises(ItemReadError, match="of kind 'hologram'"):
        reader.load(items.ItemRecord("z", "hologram", uri="a.obj"))
    with pytest.raises(ItemReadError, match="no file at 'a.wav'"):
        reader.load(items.ItemRecord("z", "audio", uri="a.wav"))
    with pytest.raises(ItemReadError, match="neither text nor a URI"):
        reader.load(items.ItemRecord("z", "text"))


# -- S3 (a real moto server) -----------------------------------------------------
def test_s3_folder_and_uris_read_back_without_download_at_add(s3_bucket, tmp_path, monkeypatch):
    fs, bucket = s3_bucket
    arrays = {f"p/img{i}.png": rgb(8, 6, i) for i in range(3)}
    for key, arr in arrays.items():
        fs.pipe(f"{bucket}/{key}", png_bytes(arr, compress_level=0))
    fs.pipe(f"{bucket}/p/readme.txt", b"hi")
    fs.pipe(f"{bucket}/other/x.png", png_bytes(rgb(2, 2, 9)))

    recs = items.from_folder(f"s3://{bucket}/p")
    assert [r.uri for r in recs] == [f"s3://{bucket}/{k}" for k in sorted(arrays)]
    assert all(len(r.meta["etag"]) == 32 and r.meta["size"] > 0 for r in recs)
    assert items.from_folder(f"s3://{bucket}/p/") == recs
    by_uri = items.from_uris([r.uri for r in recs])
    assert by_uri == recs
    monkeypatch.setattr(items, "LIST_MIN", 2)  # one listing of p/ instead of a HEAD per file
    assert items.from_uris([r.uri for r in recs]) == recs

    reader = ItemReader(tmp_path)
    for rec, arr in zip(recs, arrays.values(), strict=True):
        np.testing.assert_array_equal(np.asarray(reader.load(rec)), arr)
        out = reader.render(rec)
        assert (out["mime"], out["width"], out["height"]) == ("image/png", 6, 8)

    # The object changes (same size, new ETag): a new id, by folder and by URI. It is
    # written through another s3fs instance, so the listing cached by the one that
    # items uses is stale and must not be trusted.
    new = png_bytes(rgb(8, 6, 99), compress_level=0)
    assert len(new) == recs[0].meta["size"]
    fs.pipe(f"{bucket}/p/img0.png", new)
    changed = items.from_folder(f"s3://{bucket}/p")
    assert changed[0].item_id != recs[0].item_id and changed[1:] == recs[1:]
    assert changed[0].meta["size"] == recs[0].meta["size"]
    monkeypatch.setattr(items, "LIST_MIN", 32)
    assert items.from_uris([changed[0].uri])[0] == changed[0]
    np.testing.assert_array_equal(np.asarray(reader.load(changed[0])), rgb(8, 6, 99))

    with pytest.raises(ItemReadError, match=f"no file at 's3://{bucket}/p/nope.png'"):
        items.from_uris([recs[0].uri, f"s3://{bucket}/p/nope.png"])
    with pytest.raises(ItemReadError, match="no folder at"):
        items.from_folder(f"s3://{bucket}/missing")
    fs.rm(f"{bucket}/p/img1.png")
    with pytest.raises(ItemReadError, match=f"item '{recs[1].item_id}': no file at"):
        ItemReader(tmp_path).load(recs[1])


def test_project_add_folder_from_s3_twice_adds_nothing(s3_bucket, project):
    fs, bucket = s3_bucket
    for i in range(2):
        fs.pipe(f"{bucket}/imgs/{i}.png", png_bytes(rgb(4, 4, i)))
    assert project.add_folder(f"s3://{bucket}/imgs") == 2
    assert project.add_folder(f"s3://{bucket}/imgs") == 0
    np.testing.assert_array_equal(
        np.asarray(project.read_item(project.item_ids()[1])), rgb(4, 4, 1)
    )


# -- images of mixed sizes, feature rows, progress ----------------------------------
def _project(tmp_path, classes=("a", "b")):
    return workbench.Project(
        tmp_path / "p.db", schema=workbench.Schema.classification("t", list(classes))
    )


def test_images_of_mixed_sizes_are_items_with_their_own_shapes(tmp_path):
    small = np.arange(64, dtype=np.uint8).reshape(8, 8)
    big = np.full((16, 16, 3), 200, dtype=np.uint8)
    with _project(tmp_path) as p:
        assert p.add_arrays([small, big]) == 2
        objects = np.empty(2, dtype=object)
        objects[0], objects[1] = small + 1, big - 1
        assert p.add_arrays(objects) == 2  # an object array: one image per element
        records = p.store.get_items(p.item_ids())
        sizes = [(p.reader.render(r)["width"], p.reader.render(r)["height"]) for r in records]
        assert sizes == [(8, 8), (16, 16), (8, 8), (16, 16)]
        np.testing.assert_array_equal(p.reader.load_array(records[0]), small)
        np.testing.assert_array_equal(p.reader.load_array(records[3]), big - 1)
        assert p.add_arrays(np.stack([small + 2, small + 3])) == 2  # a stacked batch as before
        with pytest.raises(ItemSourceError, match=r"arrays\[0\] is a nested list whose rows"):
            p.add_arrays([[[0, 1], [2]]])
        assert len(p) == 6, "a refused call adds nothing"


def test_feature_rows_are_items_models_read_directly(tmp_path):
    from workbench.ml.features import item_features

    X = np.random.default_rng(0).normal(size=(12, 5))
    with _project(tmp_path) as p:
        assert p.add_features(X, ids=[f"r{i}" for i in range(12)]) == 12
        assert p.add_features(X, ids=[f"r{i}" for i in range(12)]) == 0
        got = item_features(p, ["r7", "r2"])  # no features= needed
        np.testing.assert_allclose(got, X[[7, 2]].astype(np.float32))
        (rec,) = p.store.get_items(["r7"])
        assert rec.kind == "features" and rec.meta == {"dim": 5}
        shown = p.reader.render(rec)
        assert shown["kind"] == "text" and shown["text"].startswith("feature row: [")
        assert f"{X[7, 0]:.4g}" in shown["text"]
        np.testing.assert_array_equal(p.read_item("r7"), X[7])
        df = pd.DataFrame(X[:2] + 1, index=["x", "y"], columns=list("abcde"))
        assert p.add_features(df) == 2 and p.item_ids()[-2:] == ["x", "y"]
        for bad, match in [
            (X[0], r"shape \(5,\).*X.reshape\(1, -1\)"),
            (np.zeros((2, 2, 2)), r"expected \(N, D\)"),
            (np.array([["a", "b"]]), "need numbers"),
            (pd.DataFrame({"c": ["u", "v"]}), "column 'c'"),
        ]:
            with pytest.raises(ItemSourceError, match=match):
                p.add_features(bad)
        # Training uses the stored rows: labels on feature items, no features= given.
        from sklearn.linear_model import LogisticRegression

        for i in range(12):
            p.label(f"r{i}", "a" if X[i, 0] > 0 else "b")
        model = workbench.train.fit(LogisticRegression(), p)
        assert model.predict_proba(item_features(p, ["r0"])).shape == (1, 2)


def test_integer_classes_take_integer_oracle_answers(tmp_path):
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(1).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    with workbench.Project(
        tmp_path / "p.db", schema=workbench.Schema.classification("digit", [0, 1])
    ) as p:
        p.add_features(X, ids=[str(i) for i in range(40)])
        loop = workbench.ActiveLearningLoop(
            p, LogisticRegression(), strategy="margin", batch_size=5, initial=10,
            holdout=(X[:10], y[:10]),
        )  # fmt: skip
        loop.run(lambda ids: [y[int(i)] for i in ids], rounds=3, progress=False)
        labels = p.labels()
        assert len(labels) >= 10 and set(labels["label"]) <= {"0", "1"}
        pairs = zip(labels["item_id"], labels["label"], strict=True)
        assert all(lab == str(y[int(i)]) for i, lab in pairs)


@pytest.mark.parametrize("progress, shown", [(True, True), (False, False), (None, False)])
def test_add_arrays_reports_progress_when_asked(tmp_path, capsys, progress, shown):
    with _project(tmp_path) as p:
        p.add_arrays(np.zeros((7, 4, 4), dtype=np.uint8) + np.arange(7)[:, None, None].astype(
            np.uint8), progress=progress)  # fmt: skip
    err = capsys.readouterr().err
    assert ("7/7" in err) is shown, err


def test_add_folder_and_add_features_report_progress(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        Image.new("L", (4, 4), i).save(folder / f"{i}.png")
    with _project(tmp_path) as p:
        p.add_folder(folder, progress=True)
        assert "3/3" in capsys.readouterr().err
        p.add_features(np.eye(5), progress=True)
        assert "5/5" in capsys.readouterr().err
        monkeypatch.setattr(items, "PROGRESS_MIN", 4)  # long enough: shown by default
        p.add_features(np.eye(6) * 2)
        assert "6/6" in capsys.readouterr().err
