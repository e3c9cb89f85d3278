"""Pictures of a dataset: its images with the annotated masks and labels, and a contact sheet."""
import os
import os.path as osp
import time
from typing import List, Optional, Sequence

import cv2
import numpy as np
from mmdet.models.utils import mask2ndarray
from mmdet.registry import DATASETS
from mmdet.structures.bbox import BaseBoxes
from mmdet.utils import register_all_modules
from mmdet.visualization import DetLocalVisualizer

from qmat.datasets import FlakeDataset
from qmat.utils import refuse_overwriting

# what mmdet's tools/analysis_tools/browse_dataset.py draws: the images as loaded, without augmentation
BROWSE_PIPELINE = [dict(type='LoadImageFromFile'),
                   dict(type='LoadAnnotations', with_bbox=True, with_mask=True), dict(type='PackDetInputs')]


def flake_visualizer(classes: Sequence[str], name: str) -> DetLocalVisualizer:
    """mmdet's visualizer for ``classes``, each in FlakeDataset's colour (other classes in white)."""
    colours = dict(zip(FlakeDataset.METAINFO['classes'], FlakeDataset.METAINFO['palette']))
    visualizer = DetLocalVisualizer(name=f'{name}_{os.getpid()}_{time.monotonic_ns()}', alpha=0.45,
                                    line_width=1)
    visualizer.dataset_meta = dict(classes=tuple(classes),
                                   palette=[colours.get(c, (255, 255, 255)) for c in classes])
    return visualizer


def draw_item(item: dict, visualizer: DetLocalVisualizer) -> np.ndarray:
    """A dataset item (after PackDetInputs) with its annotated masks, boxes and class names (RGB)."""
    image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # BGR to RGB
    sample = item['data_samples'].numpy()
    instances = sample.gt_instances
    if isinstance(instances.get('bboxes'), BaseBoxes):
        instances.bboxes = instances.bboxes.tensor
    if instances.get('masks') is not None:
        instances.masks = mask2ndarray(instances.masks).astype(bool)
    sample.gt_instances = instances
    visualizer.add_datasample('gt', image, sample, draw_pred=False, show=False)
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
    """Draw the annotations of the first ``num`` images into ``out_dir`` (and a contact sheet), the way
    mmdet's browse_dataset does: a FlakeDataset with a loading pipeline, mmdet's visualizer.

    Returns:
        The files written.
    """
    register_all_modules()  # the pipeline's transforms are mmdet's, not mmcv's of the same names
    dataset = DATASETS.build(dict(type='FlakeDataset', ann_file=osp.abspath(ann_file), data_root='',
                                  data_prefix=dict(img=osp.abspath(img_dir) + '/'),
                                  metainfo=dict(classes=tuple(classes)), pipeline=BROWSE_PIPELINE))
    visualizer = flake_visualizer(classes, 'qmat_browse')
    indices = range(len(dataset) if num is None else min(num, len(dataset)))
    images = [dataset.get_data_info(index)['img_path'] for index in indices]
    outputs = [osp.join(out_dir, osp.splitext(osp.basename(path))[0] + '.png') for path in images]
    refuse_overwriting(outputs + ([sheet_path] if sheet_path else []), [ann_file, *images])
    os.makedirs(out_dir, exist_ok=True)
    written, drawn = [], []
    for index, path in zip(indices, outputs):
        picture = draw_item(dataset[index], visualizer)
        cv2.imwrite(path, picture[..., ::-1])
        written.append(path)
        drawn.append(picture)
    if sheet_path and drawn:
        os.makedirs(osp.dirname(osp.abspath(sheet_path)), exist_ok=True)
        cv2.imwrite(sheet_path, contact_sheet(drawn, columns)[..., ::-1])
        written.append(sheet_path)
    return written
