"""Write the small annotation files under tests/fixtures/third_party/ with the
libraries other tools use, so that the format tests read what those libraries
write (not what workbench thinks they write).

    python tools/make_third_party_fixtures.py

needs supervision and pycocotools (the test extras). The output is committed;
rerun it only to refresh the files, and check the diff. Everything is
deterministic: two 32 × 24 PNG images, and labels drawn on them as slices:

images/a.png, images/b.png
sv_boxes/          boxes only, written by supervision's DetectionDataset
  coco.json          as_coco
  yolo/              as_yolo (data.yaml and labels/*.txt)
  voc/               as_pascal_voc (*.xml)
sv_masks/          masks, written by supervision
  coco.json          a hole-free mask (a polygon) and a mask with a hole (a
                     crowd RLE, as supervision writes masks with holes)
  voc/               the hole-free mask as a <polygon>
pycocotools/
  crowd.json         a COCO file whose crowd mask is pycocotools' compressed RLE,
                     with category ids 3 and 7 (gaps, as COCO's own ids have)
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "third_party"
W, H = 32, 24
#: Class names supervision's YOLO writer escapes in data.yaml ("caf\xE9 cr\xE8me").
CLASSES = ["café crème", "\U0001f415", "car"]
#: Boxes per image, x0 y0 x1 y1 (pixel edges) and class index.
BOXES = {
    "a.png": [([2, 3, 12, 10], 2), ([20, 5, 31, 20], 0)],
    "b.png": [([0, 0, 32, 24], 1)],
}


def rectangle_mask() -> np.ndarray:
    """Rows 4..9, columns 5..14 (inclusive): a mask with no hole."""
    m = np.zeros((H, W), bool)
    m[4:10, 5:15] = True
    return m


def ring_mask() -> np.ndarray:
    """A 10 × 8 ring with a 4 × 2 hole: rows 12..19, columns 18..27."""
    m = np.zeros((H, W), bool)
    m[12:20, 18:28] = True
    m[15:17, 21:25] = False
    return m


def crowd_mask() -> np.ndarray:
    """Two blobs, one crowd region: rows 2..5 columns 1..3, rows 18..22 columns 25..30."""
    m = np.zeros((H, W), np.uint8)
    m[2:6, 1:4] = 1
    m[18:23, 25:31] = 1
    return m


def images() -> dict[str, Path]:
    folder = ROOT / "images"
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for k, name in enumerate(BOXES):
        pixels = np.full((H, W, 3), 40 + 120 * k, np.uint8)
        path = folder / name
        Image.fromarray(pixels).save(path, optimize=False)
        out[name] = path
    return out


def supervision_files(paths: dict[str, Path]) -> None:
    import supervision as sv

    boxes = {
        str(paths[name]): sv.Detections(
            xyxy=np.array([b for b, _ in rows], float),
            class_id=np.array([c for _, c in rows], int),
        )
        for name, rows in BOXES.items()
    }
    ds = sv.DetectionDataset(classes=CLASSES, images=[str(p) for p in paths.values()],
                             annotations=boxes)  # fmt: skip
    out = ROOT / "sv_boxes"
    ds.as_coco(annotations_path=str(out / "coco.json"))
    fixed_dates(out / "coco.json")
    ds.as_yolo(annotations_directory_path=str(out / "yolo" / "labels"),
               data_yaml_path=str(out / "yolo" / "data.yaml"))  # fmt: skip
    ds.as_pascal_voc(annotations_directory_path=str(out / "voc"))

    stack = np.stack([rectangle_mask(), ring_mask()])
    with_masks = {
        str(paths["a.png"]): sv.Detections(
            xyxy=sv.mask_to_xyxy(stack).astype(float), mask=stack, class_id=np.array([2, 0])
        ),
        str(paths["b.png"]): sv.Detections.empty(),
    }
    ds = sv.DetectionDataset(classes=CLASSES, images=[str(p) for p in paths.values()],
                             annotations=with_masks)  # fmt: skip
    out = ROOT / "sv_masks"
    ds.as_coco(annotations_path=str(out / "coco.json"))
    fixed_dates(out / "coco.json")
    only_rectangle = {
        str(paths["a.png"]): sv.Detections(
            xyxy=sv.mask_to_xyxy(stack[:1]).astype(float), mask=stack[:1], class_id=np.array([2])
        ),
    }
    sv.DetectionDataset(classes=CLASSES, images=[str(paths["a.png"])],
                        annotations=only_rectangle).as_pascal_voc(
        annotations_directory_path=str(out / "voc"))  # fmt: skip


def fixed_dates(path: Path) -> None:
    """supervision stamps each image with the time of writing: one fixed date instead,
    so that rerunning this script changes nothing."""
    text = re.sub(r'"date_captured": "[^"]*"', '"date_captured": "01/01/2026,00:00:00"',
                  path.read_text(encoding="utf-8"))  # fmt: skip
    path.write_text(text, encoding="utf-8")


def pycocotools_files() -> None:
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(crowd_mask()))
    area = float(mask_utils.area(rle))
    bbox = [float(v) for v in mask_utils.toBbox(rle)]
    rle["counts"] = rle["counts"].decode("ascii")
    data = {
        "info": {"description": "crowd RLE from pycocotools' encoder"},
        "images": [{"id": 4, "file_name": "a.png", "width": W, "height": H}],
        "categories": [{"id": 3, "name": "car"}, {"id": 7, "name": "café crème"}],
        "annotations": [
            {"id": 1, "image_id": 4, "category_id": 7, "iscrowd": 1, "segmentation": rle,
             "area": area, "bbox": bbox},
            {"id": 2, "image_id": 4, "category_id": 3, "iscrowd": 0,
             "segmentation": [[2.0, 3.0, 12.0, 3.0, 12.0, 10.0],
                              [20.0, 5.0, 31.0, 5.0, 31.0, 20.0]],
             "area": 73.0, "bbox": [2.0, 3.0, 29.0, 17.0]},
        ],
    }  # fmt: skip
    out = ROOT / "pycocotools"
    out.mkdir(parents=True, exist_ok=True)
    (out / "crowd.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    for sub in ("sv_boxes", "sv_masks", "pycocotools", "images"):
        shutil.rmtree(ROOT / sub, ignore_errors=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # supervision's note that OpenCV is absent
        paths = images()
        supervision_files(paths)
        pycocotools_files()
    print(f"wrote {sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob('*') if p.is_file())}")


if __name__ == "__main__":
    main()
