"""Property-based attacks on the three readers: from_coco, from_yolo, from_voc.

For any input (well-formed records holding random numbers, inf, nan, huge and
negative ones among them; random strings; random nesting; truncated files;
random bytes) an import either stores exactly what the file says (each shape
read back equal within 1e-6 px) or is refused with the library's own error (a
WorkbenchError), never a bare MemoryError, RecursionError, ValueError, KeyError
or TypeError; and a refused import leaves the event log as it was.

Each test also counts its outcomes and asserts that both happened (shapes
stored and compared, files refused), so neither half holds vacuously.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import given as given_
from hypothesis import strategies as st
from PIL import Image

import workbench as wb
from tests.quick import examples
from workbench import masks
from workbench.formats import from_coco, from_voc, from_yolo

W, H = 16, 12  # the real size of every image
CLASSES = ["car", "person", "road"]
SETTINGS = settings(max_examples=examples(120, at_least=40), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])  # fmt: skip


def make_project(root: Path) -> tuple[wb.Project, dict[str, str]]:
    """Three real 16 × 12 PNG files; item ids by file name; one item already labeled."""
    folder = root / "images"
    folder.mkdir()
    for k in range(3):
        Image.fromarray(np.full((H, W, 3), 60 * k, np.uint8)).save(folder / f"img{k}.png")
    schema = wb.Schema((wb.Shapes(
        "objects", classes=CLASSES, attributes=[wb.Attribute("occluded")],
        skeletons={"person": wb.Skeleton(("head", "left_hand", "right_hand"))},
    ),))  # fmt: skip
    project = wb.Project(root / "p.db", schema=schema, annotator="ann")
    project.add_uris([str(folder / f"img{k}.png") for k in range(3)])
    ids = {Path(r.uri).name: r.item_id for r in project.store.get_items(project.item_ids())}
    project.label(ids["img2.png"], [{"type": "box", "class": "car", "bbox": [1, 1, 2, 2]}])
    return project, ids


def run_until_both(run, outcomes: Counter, *, runs: int = 3) -> None:
    """Run the property test ``run`` again (fresh examples, at most ``runs`` times)
    while its examples reached fewer than 10 stored files with shapes or 10
    refusals: a lopsided random draw must not make the check vacuous, nor fail it."""
    for _ in range(runs):
        run()
        if outcomes["shapes"] >= 10 and outcomes["refused"] >= 10:
            return


def attempt(project: wb.Project, call, expected, outcomes: Counter) -> None:
    """Import; on success compare what was stored with ``expected(project)`` (which
    returns how many shapes it compared); on a WorkbenchError check the log is
    unchanged. Anything else fails the test."""
    before = project.events()
    try:
        call()
    except wb.WorkbenchError:
        pd.testing.assert_frame_equal(project.events(), before)
        outcomes["refused"] += 1
        return
    outcomes["shapes"] += expected(project)
    outcomes["stored"] += 1


def stored(project: wb.Project, item_id: str) -> list[dict[str, Any]]:
    return project.labels().set_index("item_id").loc[item_id, "label"]


def same_shapes(got: list[dict[str, Any]], want: list[tuple[str, str, Any]]) -> int:
    """``got`` (stored shapes) against ``want``: ``(type, class, geometry)`` each, the
    geometry a box's ``[x, y, w, h]``, a list of points, or a mask's compressed RLE."""
    assert [(s["type"], s["class"]) for s in got] == [(t, c) for t, c, _ in want]
    for shape, (kind, _, geometry) in zip(got, want, strict=True):
        if kind == "mask":
            assert shape["rle"] == geometry
            continue
        value = shape["bbox"] if kind == "box" else shape["points"]
        np.testing.assert_allclose(np.asarray(value, float), np.asarray(geometry, float),
                                   rtol=0, atol=1e-6)  # fmt: skip
    return len(want)


# ---------------------------------------------------------------------------
# values an attacker puts anywhere

WILD_NUMBERS = st.one_of(
    st.sampled_from(
        [
            math.inf,
            -math.inf,
            math.nan,
            1e308,
            -1e308,
            2.0**24 + 1,
            -(2.0**25),
            1e-320,
            -0.0,
            1e6,
            -5.0,
            10**400,
            2**63,
            -(2**70),
        ]
    ),  # fmt: skip
    st.floats(),
    st.integers(),
)
JUNK = st.recursive(
    st.none() | st.booleans() | st.text(max_size=6) | WILD_NUMBERS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),  # fmt: skip
    max_leaves=6,
)


def mostly(good, bad):
    """``good`` three times in four, ``bad`` otherwise."""
    # (st.one_of(good, good, good, bad) would not do: one_of drops repeated branches.)
    return st.integers(0, 3).flatmap(lambda i: good if i else bad)


def often(good, bad):
    """``good`` seven times in eight, ``bad`` otherwise (for files of many fields)."""
    return st.integers(0, 7).flatmap(lambda i: good if i else bad)


# ---------------------------------------------------------------------------
# COCO

X, Y = st.floats(-1, W + 1), st.floats(-1, H + 1)  # in the image or its 1 px margin


@st.composite
def coco_box(draw):
    """``[x, y, w, h]`` within the image and its margin (1 px)."""
    x, y = draw(st.floats(-1, W + 1)), draw(st.floats(-1, H + 1))
    return [x, y, draw(st.floats(0, W + 1 - x)), draw(st.floats(0, H + 1 - y))]


@st.composite
def rle(draw, clean: bool):
    kinds = ["image size"] if clean else ["image size", "other size", "huge", "junk"]
    kind = draw(st.sampled_from(kinds))
    if kind == "huge":
        return {"size": [200000, 200000], "counts": [40_000_000_000]}
    if kind == "junk":
        return {"size": draw(JUNK), "counts": draw(st.one_of(JUNK, st.text(max_size=20)))}
    h, w = (H, W) if kind == "image size" else (draw(st.integers(0, 30)), draw(st.integers(0, 30)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    mask = rng.random((h, w)) < draw(st.floats(0, 1))
    out = masks.encode(mask, compressed=draw(st.booleans()))
    if not clean and isinstance(out["counts"], str) and out["counts"] and draw(st.booleans()):
        cut = draw(st.integers(0, len(out["counts"]) - 1))  # a corrupted counts string
        out["counts"] = out["counts"][:cut] + draw(st.text(max_size=3)) + out["counts"][cut + 1 :]
    return out


@st.composite
def annotation(draw, ann_id: int):
    """A well-formed annotation (half the time), or one whose every value may be
    anything (one time in eight each), or with any one field replaced by junk."""
    clean = draw(st.booleans())

    def value(good, bad=WILD_NUMBERS):
        return draw(good if clean else often(good, bad))

    kind = draw(st.sampled_from(["box", "polygon", "keypoints", "mask"]))
    ann: dict[str, Any] = {
        "id": ann_id,
        "image_id": value(st.sampled_from([1, 2]), st.sampled_from([99, "1", None])),
        "category_id": 2 if kind == "keypoints" else value(st.sampled_from([1, 3]),
                                                           st.sampled_from([7, 1.0])),
        "bbox": [value(st.just(v)) for v in draw(coco_box())],
    }  # fmt: skip
    if kind == "polygon":
        n = draw(st.integers(3, 6))
        ann["segmentation"] = [[c for _ in range(n) for c in (value(X), value(Y))]]
    elif kind == "keypoints":
        ann["keypoints"] = [c for _ in range(3) for c in
                            (value(X), value(Y), value(st.sampled_from([0, 1, 2])))]  # fmt: skip
    elif kind == "mask":
        ann["segmentation"] = draw(rle(clean))
    for key, strategy, bad in (
        ("score", st.floats(0, 1), WILD_NUMBERS),
        ("workbench_z", st.integers(-5, 5), WILD_NUMBERS),
        ("attributes", st.fixed_dictionaries({"occluded": st.booleans()}), JUNK),
    ):
        if draw(st.booleans()):
            ann[key] = value(strategy, bad)
    if not clean and draw(st.booleans()):  # any field, anything
        ann[draw(st.sampled_from(sorted(ann)))] = draw(JUNK)
    return ann


@st.composite
def coco_file(draw):
    images = [{"id": 1, "file_name": "img0.png"}, {"id": 2, "file_name": "img1.png"}]
    if draw(st.booleans()):
        images[0].update(width=draw(often(st.just(W), WILD_NUMBERS)),
                         height=draw(often(st.just(H), WILD_NUMBERS)))  # fmt: skip
    n = draw(st.integers(0, 3))
    cats = [{"id": k, "name": c} for k, c in enumerate(CLASSES, start=1)]
    data = {"images": images, "annotations": [draw(annotation(i + 1)) for i in range(n)],
            "categories": cats}  # fmt: skip
    text = json.dumps(data)  # NaN and Infinity as Python writes them
    form = draw(st.sampled_from(["dict", "dict", "file", "file", "truncated", "bytes", "nested"]))
    if form == "truncated":
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif form == "nested":
        depth = draw(st.sampled_from([10, 900, 5000, 100_000]))
        text = text.replace('"annotations": [', '"annotations": [' + "[" * depth, 1)
        text = text.replace('], "categories"', "]" * (depth + 1) + ', "categories"', 1)
    raw = draw(st.binary(max_size=60)) if form == "bytes" else text.encode()
    return data, form, raw


def expected_coco(data: dict[str, Any]) -> dict[int, list[tuple[str, str, Any]]]:
    """What a COCO file says, read from the spec: per image id, its shapes in order."""
    out: dict[int, list[tuple[str, str, Any]]] = {1: [], 2: []}
    for ann in data["annotations"]:
        cls = CLASSES[ann["category_id"] - 1]
        shapes: list[tuple[str, str, Any]] = []
        seg = ann.get("segmentation")
        if isinstance(seg, dict):
            shapes.append(("mask", cls, masks.compress(seg)))
        elif isinstance(seg, list):
            shapes += [("polygon", cls, [p[k : k + 2] for k in range(0, len(p), 2)]) for p in seg]
        if ann.get("keypoints"):
            k = ann["keypoints"]
            shapes.append(("keypoints", cls, [k[j : j + 3] for j in range(0, len(k), 3)]))
        out[ann["image_id"]] += shapes or [("box", cls, ann["bbox"])]
    return out


def test_from_coco_stores_what_the_file_says_or_refuses_it(tmp_path):
    project, ids = make_project(tmp_path)
    outcomes: Counter = Counter()
    path = tmp_path / "in.json"

    @SETTINGS
    @given_(coco_file())
    def run(case):
        data, form, raw = case
        path.write_bytes(raw)

        def expected(p):
            assert form in ("dict", "file")
            return sum(same_shapes(stored(p, ids[f"img{image_id - 1}.png"]), shapes)
                       for image_id, shapes in expected_coco(data).items())  # fmt: skip

        source = data if form == "dict" else path
        attempt(project, lambda: from_coco(project, source), expected, outcomes)

    with project:
        run_until_both(run, outcomes)
    assert outcomes["shapes"] >= 10 and outcomes["refused"] >= 10, outcomes


# ---------------------------------------------------------------------------
# YOLO

NON_ASCII_DIGITS = st.sampled_from(["\u0660", "\u0661", "\uff11", "\u09e7", "\u0967", "\U0001d7d9"])
COORD_TOKEN = mostly(
    st.floats(0, 1).map(repr),
    st.one_of(
        st.sampled_from(["nan", "inf", "-inf", "1e999", "-0.5", "1.5", "1e-999", "+.5", "5.",
                         "\u0660.\u0665", "\uff10.\uff15", "0x1p-1", "1_0", "", "--1"]),
        WILD_NUMBERS.map(str),
        st.text(min_size=1, max_size=4).filter(lambda t: not t.isspace()),
    ),
)  # fmt: skip
CLASS_TOKEN = mostly(
    st.sampled_from(["0", "1", "2"]),
    st.one_of(NON_ASCII_DIGITS, st.sampled_from(["3", "-1", "1.0", "7" * 5000, "00"]),
              st.text(min_size=1, max_size=3)),
)  # fmt: skip


@st.composite
def yolo_line(draw):
    """A box or polygon inside the image, any of whose tokens may be anything."""
    kind = draw(st.sampled_from(["box", "box", "box", "polygon", "polygon", "3 or 5 numbers"]))
    if kind == "box":
        x0, y0 = draw(st.floats(0, 1)), draw(st.floats(0, 1))
        w, h = draw(st.floats(0, 1 - x0)), draw(st.floats(0, 1 - y0))
        values = [x0 + w / 2, y0 + h / 2, w, h]
    else:
        n = draw(st.sampled_from([6, 8] if kind == "polygon" else [3, 5]))
        values = [draw(st.floats(0, 1)) for _ in range(n)]
    tokens = [draw(often(st.sampled_from(["0", "1", "2"]), CLASS_TOKEN)),
              *(draw(often(st.just(repr(v)), COORD_TOKEN)) for v in values)]  # fmt: skip
    return " ".join(t.replace("\n", " ") for t in tokens)


@st.composite
def yolo_files(draw):
    lines = [draw(yolo_line()) for _ in range(draw(st.integers(0, 4)))]
    label = "".join(f"{line}\n" for line in lines)
    yaml = draw(often(st.just("names: [car, person, road]\n"), st.one_of(
        st.just("names:\n  \u0660: car\n  1: person\n  2: road\n"),
        st.just("nc: \uff13\nnames: [car, person, road]\n"),
        st.text(max_size=40),
    )))  # fmt: skip
    form = draw(st.sampled_from(["text", "text", "text", "text", "truncated", "bytes"]))
    raw = label.encode()
    if form == "truncated":
        raw = raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    elif form == "bytes":
        raw = draw(st.binary(max_size=60))
    return yaml, raw, form


def expected_yolo(raw: bytes) -> list[tuple[str, str, Any]]:
    """What a label file says: one shape per line, pixels of the 16 × 12 image."""
    shapes: list[tuple[str, str, Any]] = []
    for line in raw.decode("utf-8").splitlines():
        fields = line.split()
        if not fields:
            continue
        cls, v = CLASSES[int(fields[0])], [float(t) for t in fields[1:]]
        if len(v) == 4:
            shapes.append(("box", cls, [(v[0] - v[2] / 2) * W, (v[1] - v[3] / 2) * H,
                                        v[2] * W, v[3] * H]))  # fmt: skip
        else:
            shapes.append(("polygon", cls, [[v[k] * W, v[k + 1] * H] for k in range(0, len(v), 2)]))
    return shapes


def test_from_yolo_stores_what_the_file_says_or_refuses_it(tmp_path):
    project, ids = make_project(tmp_path)
    outcomes: Counter = Counter()
    root = tmp_path / "ds"
    (root / "labels").mkdir(parents=True)

    @SETTINGS
    @given_(yolo_files())
    def run(case):
        yaml, raw, _ = case
        (root / "data.yaml").write_text(yaml, encoding="utf-8")
        (root / "labels/img0.txt").write_bytes(raw)

        def expected(p):
            return same_shapes(stored(p, ids["img0.png"]), expected_yolo(raw))

        attempt(project, lambda: from_yolo(project, root), expected, outcomes)

    with project:
        run_until_both(run, outcomes)
    assert outcomes["shapes"] >= 10 and outcomes["refused"] >= 10, outcomes


# ---------------------------------------------------------------------------
# Pascal VOC

VOC_NUMBER = st.one_of(
    COORD_TOKEN, st.sampled_from(["16", "17", "0", "-1", "1e400", "\u0661\u0666"]),
    st.floats(0, 17).map(lambda v: f"{v:.6f}"),
)  # fmt: skip


@st.composite
def voc_box(draw):
    """xmin, ymin, xmax, ymax texts: a box in the 16 × 12 image, or anything."""
    x0, y0 = draw(st.floats(0, W)), draw(st.floats(0, H))
    good = [x0 + 1, y0 + 1, x0 + draw(st.floats(0, W - x0)), y0 + draw(st.floats(0, H - y0))]
    return [draw(often(st.just(f"{v:.6f}"), VOC_NUMBER)) for v in good]


@st.composite
def voc_file(draw):
    def tag(name: str, text: str) -> str:
        return f"<{name}>{escape(text)}</{name}>"

    size = tag("width", draw(often(st.just("16"), VOC_NUMBER))) + tag(
        "height", draw(often(st.just("12"), VOC_NUMBER)))  # fmt: skip
    objects = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(often(st.sampled_from(["car", "road"]), st.text(max_size=5)))
        box = "".join(tag(t, v) for t, v in zip(("xmin", "ymin", "xmax", "ymax"), draw(voc_box()),
                                                 strict=True))  # fmt: skip
        extra = ""
        if draw(st.booleans()):
            extra += tag("score", draw(often(st.floats(0, 1).map(repr), COORD_TOKEN)))
        if draw(st.booleans()):
            extra += tag("workbench_z", draw(often(st.integers(-9, 9).map(str), COORD_TOKEN)))
        if draw(st.integers(0, 4)) == 0:  # random nesting, ignored by VOC readers
            depth = draw(st.sampled_from([1, 50, 20_000]))
            extra += "<x>" * depth + "</x>" * depth
        objects.append(f"<object>{tag('name', name)}<bndbox>{box}</bndbox>{extra}</object>")
    text = (f"<annotation><filename>img0.png</filename><size>{size}<depth>3</depth></size>"
            + "".join(objects) + "</annotation>")  # fmt: skip
    form = draw(st.sampled_from(["xml", "xml", "xml", "xml", "truncated", "bytes", "dtd"]))
    if form == "truncated":
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif form == "dtd":
        text = '<!DOCTYPE a [<!ENTITY e "ee">]>' + text.replace("img0.png", "&e;", 1)
    raw = draw(st.binary(max_size=60)) if form == "bytes" else text.encode()
    return raw, form


def expected_voc(raw: bytes) -> list[tuple[str, str, Any]]:
    """What a VOC file says: x = xmin - 1, w = xmax - x (1-based inclusive pixels); an
    xmin or ymin below 1 (a 0-based writer's edge) is the image's edge, 0."""
    import xml.etree.ElementTree as ET

    shapes = []
    for obj in ET.fromstring(raw).findall("object"):
        v = {t: float(obj.findtext(f"bndbox/{t}")) for t in ("xmin", "ymin", "xmax", "ymax")}
        x, y = max(v["xmin"] - 1, 0.0), max(v["ymin"] - 1, 0.0)
        shapes.append(("box", obj.findtext("name"),
                       [x, y, max(v["xmax"] - x, 0.0), max(v["ymax"] - y, 0.0)]))  # fmt: skip
    return shapes


def test_from_voc_stores_what_the_file_says_or_refuses_it(tmp_path):
    project, ids = make_project(tmp_path)
    outcomes: Counter = Counter()
    folder = tmp_path / "voc"
    folder.mkdir()

    @SETTINGS
    @given_(voc_file())
    def run(case):
        raw, form = case
        (folder / "img0.xml").write_bytes(raw)

        def expected(p):
            assert form == "xml"
            return same_shapes(stored(p, ids["img0.png"]), expected_voc(raw))

        def call():
            # A generated edge of 0 is a 0-based file: read as the image's edge, with
            # the documented warning; no other warning is expected.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                from_voc(project, folder)
            odd = [str(w.message) for w in caught]
            odd = [m for m in odd if "VOC counts pixels from 1" not in m]
            assert not odd, odd

        attempt(project, call, expected, outcomes)

    with project:
        run_until_both(run, outcomes)
    assert outcomes["shapes"] >= 10 and outcomes["refused"] >= 10, outcomes
