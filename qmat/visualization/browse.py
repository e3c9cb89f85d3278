"""Pictures of a dataset: its images with the annotated masks and labels, and a contact sheet."""
import os
import os.path as osp
from typing import List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import InstanceData
from pycocotools.coco import COCO

from qmat.datasets import FlakeDataset


def draw_annotations(coco: COCO, image_id: int, img_dir: str, visualizer: DetLocalVisualizer,
                     classes: Sequence[str]) -> np.ndarray:
    """The image (RGB) with its ground-truth masks, boxes and class names drawn by mmdet's visualizer."""
    info = coco.imgs[image_id]
    path = osp.join(img_dir, info['file_name'])
    image = cv2.imread(path)
    if image is None:
        raise OSError(f'cannot read image {path}')
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))
    names = {cat['id']: cat['name'] for cat in coco.loadCats(coco.getCatIds())}
    anns = [a for a in anns if names.get(a['category_id']) in classes]
    gt = InstanceData()
    boxes = [[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)]
    gt.bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    gt.labels = torch.tensor([list(classes).index(names[a['category_id']]) for a in anns], dtype=torch.long)
    gt.masks = np.stack([coco.annToMask(a) for a in anns]).astype(bool) if anns else \
        np.zeros((0, info['height'], info['width']), bool)
    sample = DetDataSample()
    sample.gt_instances = gt
    visualizer.add_datasample('gt', image[..., ::-1], sample, draw_pred=False, show=False)
    return visualizer.get_image()


def contact_sheet(images: List[np.ndarray], columns: int = 4, tile: int = 320, gap: int = 4) -> np.ndarray:
    """Tiles of equal width in a grid (RGB uint8)."""
    tiles = []
    for image in images:
        height = int(round(image.shape[0] * tile / image.shape[1]))
        tiles.append(cv2.resize(image, (tile, height), interpolation=cv2.INTER_AREA))
    rows = [tiles[i:i + columns] for i in range(0, len(tiles), columns)]
    row_height = max(t.shape[0] for t in tiles)
    sheet = np.full((len(rows) * (row_height + gap) + gap, columns * (tile + gap) + gap, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, t in enumerate(row):
            y, x = gap + r * (row_height + gap), gap + c * (tile + gap)
            sheet[y:y + t.shape[0], x:x + tile] = t
    return sheet


def browse(ann_file: str, img_dir: str, out_dir: str, num: Optional[int] = None,
           sheet_path: Optional[str] = None, columns: int = 4,
           classes: Sequence[str] = FlakeDataset.METAINFO['classes']) -> List[str]:
    """Draw the annotations of the first ``num`` images into ``out_dir`` (and a contact sheet).

    Returns:
        The files written.
    """
    coco = COCO(ann_file)
    visualizer = DetLocalVisualizer(name=f'qmat_browse_{os.getpid()}_{id(coco)}', alpha=0.45, line_width=1)
    visualizer.dataset_meta = dict(classes=tuple(classes), palette=FlakeDataset.METAINFO['palette'])
    os.makedirs(out_dir, exist_ok=True)
    written, drawn = [], []
    for image_id in sorted(coco.imgs)[:num]:
        picture = draw_annotations(coco, image_id, img_dir, visualizer, classes)
        path = osp.join(out_dir, osp.splitext(coco.imgs[image_id]['file_name'])[0] + '.png')
        cv2.imwrite(path, picture[..., ::-1])
        written.append(path)
        drawn.append(picture)
    if sheet_path and drawn:
        os.makedirs(osp.dirname(osp.abspath(sheet_path)), exist_ok=True)
        cv2.imwrite(sheet_path, contact_sheet(drawn, columns)[..., ::-1])
        written.append(sheet_path)
    return written
