"""Write a generated set in the layout of the paper's data (see configs/_base_/datasets/flake_instance.py)."""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

import cv2
import numpy as np

YEAR = '2019'  # Masubuchi et al.'s file names: instances_train2019.json, images in train2019/


def split_paths(root: str, split: str) -> Dict[str, str]:
    """Annotation file and image folder of ``split`` under ``root``."""
    return dict(ann_file=osp.join(root, 'annotations', f'instances_{split}{YEAR}.json'),
                img_dir=osp.join(root, f'{split}{YEAR}'))


class CocoSplitWriter:
    """Collect images and instances of one split and write them as COCO json plus PNG files.

    Args:
        root: Dataset root.
        split: ``'train'``, ``'val'`` or ``'test'``.
        classes: Category names, in label order (category ids start at 1).
    """

    def __init__(self, root: str, split: str, classes: Sequence[str]) -> None:
        self.paths = split_paths(root, split)
        os.makedirs(self.paths['img_dir'], exist_ok=True)
        os.makedirs(osp.dirname(self.paths['ann_file']), exist_ok=True)
        self.categories = [dict(id=i + 1, name=name) for i, name in enumerate(classes)]
        self.images: List[dict] = []
        self.annotations: List[dict] = []

    def add_image(self, image: np.ndarray, file_name: str, instances: List[dict]) -> None:
        """Save ``image`` (RGB uint8) and record its instances.

        Each instance has ``label`` (0-based), ``polygon`` (flat [x0, y0, x1, y1, ...]) and ``area``;
        any other keys are kept as extra fields of the annotation.
        """
        image_id = len(self.images) + 1
        height, width = image.shape[:2]
        if not cv2.imwrite(osp.join(self.paths['img_dir'], file_name), image[..., ::-1]):
            raise OSError(f'could not write {osp.join(self.paths["img_dir"], file_name)}')
        self.images.append(dict(id=image_id, file_name=file_name, width=width, height=height))
        for instance in instances:
            extra = {k: v for k, v in instance.items() if k not in ('label', 'polygon', 'area')}
            xs, ys = instance['polygon'][0::2], instance['polygon'][1::2]
            x0, y0 = min(xs), min(ys)
            self.annotations.append(dict(
                id=len(self.annotations) + 1, image_id=image_id,
                category_id=self.categories[instance['label']]['id'],
                segmentation=[[round(float(v), 2) for v in instance['polygon']]],
                area=float(instance['area']), bbox=[x0, y0, max(xs) - x0, max(ys) - y0], iscrowd=0,
                **extra))

    def write(self) -> str:
        coco = dict(images=self.images, annotations=self.annotations, categories=self.categories)
        tmp = self.paths['ann_file'] + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(coco, f)
        os.replace(tmp, self.paths['ann_file'])  # never leave a half-written annotation file
        return self.paths['ann_file']
