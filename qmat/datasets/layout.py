"""The layout of the paper's data (configs/_base_/datasets/flake_instance.py) and a writer for it."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from qmat.utils import dump_json

YEAR = '2019'  # Masubuchi et al.'s file names: instances_train2019.json, images in train2019/


def split_paths(root: str, split: str) -> Dict[str, str]:
    """Annotation file and image folder of ``split`` under ``root``."""
    return dict(ann_file=osp.join(root, 'annotations', f'instances_{split}{YEAR}.json'),
                img_dir=osp.join(root, f'{split}{YEAR}'))


class CocoSplitWriter:
    """Collect images and instances of one split and write them as COCO json plus image files.

    Args:
        root: Dataset root.
        split: ``'train'``, ``'val'`` or ``'test'``.
        classes: Category names, in label order (category ids start at 1).
        info: Goes into the json's ``info`` (how the set was made).
    """

    def __init__(self, root: str, split: str, classes: Sequence[str], info: Optional[dict] = None) -> None:
        self.paths = split_paths(root, split)
        os.makedirs(self.paths['img_dir'], exist_ok=True)
        os.makedirs(osp.dirname(self.paths['ann_file']), exist_ok=True)
        self.info = info or {}
        self.categories = [dict(id=i + 1, name=name) for i, name in enumerate(classes)]
        self.images: List[dict] = []
        self.annotations: List[dict] = []

    def add_image_file(self, data: bytes, file_name: str, height: int, width: int,
                       instances: List[dict]) -> None:
        """Write an encoded image (PNG or JPEG bytes) into the split's folder and record its instances."""
        with open(osp.join(self.paths['img_dir'], file_name), 'wb') as f:
            f.write(data)
        self.add_record(file_name, height, width, instances)

    def add_record(self, file_name: str, height: int, width: int, instances: List[dict]) -> None:
        """Record an image already in the split's folder, and its instances.

        Each instance has ``label`` (0-based), ``area``, ``bbox`` (x, y, w, h) and a mask, either ``rle``
        (a pycocotools RLE) or ``polygons`` (a list of flat [x0, y0, x1, y1, ...]); other keys are kept
        as extra fields of the annotation (material, layers, ...).
        """
        image_id = len(self.images) + 1
        self.images.append(dict(id=image_id, file_name=file_name, width=width, height=height))
        for instance in instances:
            extra = {k: v for k, v in instance.items()
                     if k not in ('label', 'polygons', 'rle', 'area', 'bbox')}
            if 'rle' in instance:
                rle = instance['rle']
                counts = rle['counts'].decode('ascii') if isinstance(rle['counts'], bytes) else rle['counts']
                segmentation = dict(size=list(rle['size']), counts=counts)
            else:
                segmentation = [[round(float(v), 2) for v in polygon] for polygon in instance['polygons']]
            self.annotations.append(dict(
                id=len(self.annotations) + 1, image_id=image_id,
                category_id=self.categories[instance['label']]['id'], segmentation=segmentation,
                area=float(instance['area']), bbox=[round(float(v), 2) for v in instance['bbox']], iscrowd=0,
                **extra))

    def write(self) -> str:
        coco = dict(info=self.info, images=self.images, annotations=self.annotations,
                    categories=self.categories)
        dump_json(coco, self.paths['ann_file'])  # never a half-written annotation file
        return self.paths['ann_file']
