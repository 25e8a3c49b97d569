"""Writes notebooks/detection.ipynb (kept as code so its cells stay reviewable). Run from
the repository root: ``python tools/make_detection_notebook.py``."""

from notebook_file import code, md, write

detection = [
    md(
        "# Detection and segmentation: draw, pre-label, export\n\n"
        "Boxes, polygons, keypoints and masks on scikit-image's bundled sample photos. We draw "
        "a few shapes, let a model pre-label the coins with instance masks, accept its "
        "suggestions, export everything to COCO and read it back into a fresh project to check "
        "that every shape survives the trip. One photo, the rocket, is left for you to draw on "
        "in the widget."
    ),
    code(
        "from collections import Counter\n"
        "from pathlib import Path\n\n"
        "import numpy as np\n"
        "from PIL import Image\n"
        "from scipy import ndimage\n"
        "from skimage import data, filters, measure, morphology\n\n"
        "import workbench as wb\n"
        "from workbench import masks\n\n"
        'folder = Path("detection_images")\n'
        "folder.mkdir(exist_ok=True)\n"
        "samples = {\n"
        '    "astronaut": data.astronaut(), "camera": data.camera(), '
        '"chelsea": data.chelsea(),\n'
        '    "coffee": data.coffee(), "coins": data.coins(), "rocket": data.rocket(),\n'
        "}\n"
        "for name, pixels in samples.items():\n"
        '    Image.fromarray(pixels).save(folder / f"{name}.png")\n'
        'uris = [str((folder / f"{name}.png").resolve()) for name in samples]\n'
        "{name: pixels.shape for name, pixels in samples.items()}"
    ),
    md(
        "## A shapes schema\n\n"
        "One `Shapes` task: the classes, the tools (boxes, polygons, masks and keypoints here; "
        "polylines and cuboids exist too), a per-shape attribute, and a skeleton for the class "
        "labeled with keypoints. Items are the image files, by URI, with readable ids."
    ),
    code(
        "face = wb.Skeleton(\n"
        '    ("left eye", "right eye", "nose", "mouth"),\n'
        '    (("left eye", "right eye"), ("left eye", "nose"), '
        '("right eye", "nose"), ("nose", "mouth")),\n'
        ")\n"
        "objects = wb.Shapes(\n"
        '    "objects",\n'
        '    classes=["coin", "person", "face", "cat", "cup", "crema", "rocket"],\n'
        '    types=("box", "polygon", "mask", "keypoints"),\n'
        '    attributes=[wb.Attribute("occluded")],\n'
        '    skeletons={"face": face},\n'
        ")\n"
        'schema = wb.Schema((objects,), guidelines="Tight boxes; one mask per coin.")\n'
        'project = wb.Project("detection.db", schema=schema)\n'
        "project.add_uris(uris, ids=list(samples))\n"
        "project"
    ),
    md(
        "## Draw\n\n"
        "`project.annotate()` opens the drawing widget: **b** box, **p** polygon, **k** "
        "keypoints, **m** brush and **e** eraser for masks, **v** to select and edit; the "
        "wheel zooms at the pointer, **Ctrl+Z** undoes, **→ / ←** go to the next / previous "
        "item, **?** lists every key. Each change of an item's shapes is stored as one label, "
        "acknowledged by the kernel, so a reload loses nothing.\n\n"
        "The widget offers the items that have no label yet. After *Run All* the cells below "
        "have labeled every photo but the rocket, so that is the one it shows: draw a box "
        "around it (key **7**, or click the class) and press **Enter**. Suggestions a model "
        "stores while the widget is open (the pre-labeling below) appear on the items it "
        "holds, without running this cell again."
    ),
    code("widget = project.annotate()\nwidget"),
    md(
        "Here the shapes are written from code, in the form the widget stores them: one list "
        "of shapes per item, coordinates in pixels of the full-size image (boxes as "
        "`[x, y, width, height]`), a mask as COCO's run-length encoding."
    ),
    code(
        'crema = np.zeros(samples["coffee"].shape[:2], dtype=bool)\n'
        "rows, cols = np.ogrid[:crema.shape[0], :crema.shape[1]]\n"
        "crema[((cols - 287) / 80) ** 2 + ((rows - 145) / 45) ** 2 <= 1] = True  "
        "# a brush stroke\n\n"
        "drawn = {\n"
        '    "astronaut": [\n'
        '        {"type": "box", "class": "person", "bbox": [20, 15, 345, 497]},\n'
        '        {"type": "keypoints", "class": "face",\n'
        '         "points": [[205, 102, 2], [248, 100, 2], [228, 125, 2], '
        "[225, 146, 2]]},\n"
        "    ],\n"
        '    "camera": [\n'
        '        {"type": "box", "class": "person", "bbox": [0, 65, 335, 447],\n'
        '         "attributes": {"occluded": True}},\n'
        "    ],\n"
        '    "chelsea": [\n'
        '        {"type": "polygon", "class": "cat",\n'
        '         "points": [[30, 0], [420, 0], [400, 80], [370, 200], [300, 270], '
        "[230, 300],\n"
        "                    [60, 300], [10, 220], [0, 120]]},\n"
        "    ],\n"
        '    "coffee": [\n'
        '        {"type": "box", "class": "cup", "bbox": [170, 15, 240, 290]},\n'
        '        {"type": "mask", "class": "crema", "rle": masks.encode(crema)},\n'
        "    ],\n"
        "}\n"
        "for item_id, shapes in drawn.items():\n"
        "    project.label(item_id, shapes)\n"
        'project.labels()[["item_id", "label", "annotator"]]'
    ),
    md(
        "## Pre-label with a model\n\n"
        "`project.prelabel` takes a detection model in torchvision's form: it is called on a "
        "batch, a list of `C × H × W` float images in `[0, 1]`, and returns one dict per image "
        "with `boxes` (`x1, y1, x2, y2`), `labels` (1 is the task's first class, 0 the "
        "background), `scores` and optionally `masks` (`N × 1 × H × W` probabilities) or "
        "`keypoints`. A `torchvision.models.detection.maskrcnn_resnet50_fpn` fine-tuned on "
        "these classes plugs in as it is (on the GPU when there is one); `label_map=` maps a "
        'pretrained model\'s own classes, `outputs="segmentation"` takes a semantic '
        "segmentation model's `B × K × H × W` maps, and any callable may return shape dicts "
        "directly.\n\n"
        'Here the "model" is classical image processing on the coins: a threshold, a little '
        "clean-up, and one instance per connected region, scored by its solidity (how convex, "
        "so how coin-like, it is)."
    ),
    code(
        "def find_coins(images):\n"
        "    found = []\n"
        "    for image in images:\n"
        "        grey = filters.gaussian(image.mean(axis=0), sigma=1)\n"
        "        fg = morphology.opening(grey > filters.threshold_otsu(grey), "
        "morphology.disk(2))\n"
        "        regions = measure.label(ndimage.binary_fill_holes(fg))\n"
        "        coins = [r for r in measure.regionprops(regions) if r.area >= 300]\n"
        "        found.append({\n"
        '            "boxes": np.array([[r.bbox[1], r.bbox[0], r.bbox[3], r.bbox[2]] '
        "for r in coins],\n"
        "                              dtype=np.float32).reshape(-1, 4),\n"
        '            "labels": np.ones(len(coins), dtype=np.int64),  # 1: "coin"\n'
        '            "scores": np.array([r.solidity for r in coins], dtype=np.float32),\n'
        '            "masks": np.array([regions == r.label for r in coins], '
        "dtype=np.float32)\n"
        "            .reshape(-1, 1, *grey.shape),\n"
        "        })\n"
        "    return found\n\n"
        'run = project.prelabel(find_coins, ids=["coins"], score_threshold=0.9, '
        "progress=False)\n"
        "print(run)\n"
        'print(f"coins pre-labeled: {run.n_shapes}, mean score {run.mean_score:.3f}")'
    ),
    md(
        "The widget shows these suggestions over the image with their scores (a widget "
        "already open gets them as they are stored): **a** accepts them all, **Enter** the "
        "selected one, or edit one and it becomes yours. In code, accepting stores the "
        "suggested shapes as the item's label:"
    ),
    code(
        '(suggested, score), = project.store.prelabels("objects", ["coins"]).values()\n'
        'project.label("coins", suggested)\n'
        'print(f"accepted {len(suggested)} coin masks (item score {score:.3f})")\n'
        'project.history("coins")[["id", "kind", "annotator", "score"]]'
    ),
    md(
        "## Export to COCO and read it back\n\n"
        "`wb.formats.to_coco` writes boxes, polygons, RLE masks and keypoints (with the "
        "skeleton in the category), and keeps attributes, scores, shape ids and z-order in "
        "fields other COCO readers ignore. A fresh project reads the file back."
    ),
    code(
        'coco = wb.formats.to_coco(project, path="detection_coco.json")\n'
        'print(len(coco["images"]), "images,", len(coco["annotations"]), '
        '"annotations")\n\n'
        'copy = wb.Project("detection_copy.db", schema=project.schema)\n'
        "copy.add_uris(uris, ids=list(samples))\n"
        'wb.formats.from_coco(copy, "detection_coco.json")'
    ),
    md(
        "Every shape should come back: the same types, classes, attributes and scores, "
        "coordinates equal and masks pixel for pixel."
    ),
    code(
        "def shapes_of(p):\n"
        '    labels = p.labels("objects")\n'
        '    return {i: {s["id"]: s for s in v} for i, v in zip(labels["item_id"], '
        'labels["label"])}\n\n\n'
        "def coordinates(s):\n"
        '    if s["type"] == "mask":\n'
        "        return np.zeros(0)\n"
        '    return np.asarray(s.get("bbox", s.get("points")), dtype=float).ravel()\n\n\n'
        "before, after = shapes_of(project), shapes_of(copy)\n"
        'count = lambda shapes: Counter(s["type"] for v in shapes.values() '
        "for s in v.values())  # noqa: E731\n"
        'print("exported: ", dict(sorted(count(before).items())))\n'
        'print("read back:", dict(sorted(count(after).items())))\n'
        "diff, mask_pixels, fields = 0.0, 0, 0\n"
        "for item_id, shapes in before.items():\n"
        "    for sid, s in shapes.items():\n"
        "        t = after[item_id][sid]\n"
        "        diff = max(diff, float(np.abs(coordinates(s) - coordinates(t)).max(initial=0)))\n"
        '        if s["type"] == "mask":\n'
        '            mask_pixels += int((masks.decode(s["rle"]) != '
        'masks.decode(t["rle"])).sum())\n'
        "        fields += sum(s.get(k) != t.get(k)\n"
        '                      for k in ("type", "class", "attributes", "z", "score"))\n'
        "n_before = sum(map(len, before.values()))\n"
        "n_after = sum(map(len, after.values()))\n"
        'print(f"round trip: {n_before} shapes, {n_after} back, max coordinate difference "\n'
        '      f"{diff:g} px, {mask_pixels} mask pixels differ, {fields} fields differ")'
    ),
]

write(detection, "notebooks/detection.ipynb")
