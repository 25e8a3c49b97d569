"""COCO, YOLO and Pascal VOC: the formats of the shapes task kind (re-exported by
:mod:`workbench.formats`)."""
