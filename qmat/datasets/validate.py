"""Check a COCO dataset a lab brings before training on it: every problem with its file and id."""
import os.path as osp
from collections import Counter
from dataclasses import dataclass
from typing import List, Optional, Sequence

import cv2
from pycocotools import mask as mask_utils

from .coco_file import check_coco_file


@dataclass(frozen=True)
class Problem:
    """One defect: the file it is in, what it concerns (``annotation 12``, ``image 3``) and what is wrong."""
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f'{self.file}: {self.where}: {self.message}'


def _segmentation_problem(segmentation, height: int, width: int) -> Optional[str]:
    """What is wrong with a polygon or RLE mask, or None."""
    if isinstance(segmentation, list):
        if not segmentation:
            return 'empty mask (no polygon)'
        for polygon in segmentation:
            if not isinstance(polygon, list) or len(polygon) < 6 or len(polygon) % 2:
                return f'degenerate polygon with {len(polygon) if isinstance(polygon, list) else 0} ' \
                       'coordinates (a polygon needs at least 3 points)'
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    elif isinstance(segmentation, dict) and 'counts' in segmentation and 'size' in segmentation:
        if list(segmentation['size']) != [height, width]:
            return f'RLE size {segmentation["size"]} differs from the image size {[height, width]}'
        rle = segmentation if not isinstance(segmentation['counts'], list) else \
            mask_utils.frPyObjects(segmentation, height, width)
    else:
        return 'segmentation is neither polygons nor RLE'
    if mask_utils.area(rle) == 0:
        return 'empty mask (zero area)'
    return None


def validate_coco(ann_file: str, img_dir: Optional[str] = None, classes: Optional[Sequence[str]] = None,
                  decode_images: bool = True) -> List[Problem]:
    """Every problem of a COCO annotation file and its images.

    Args:
        ann_file: The COCO json.
        img_dir: Folder of the images (``file_name`` is relative to it); None skips the image checks.
        classes: If given, category names the dataset must use (e.g. FlakeDataset's classes).
        decode_images: Decode every image (finds corrupt files; slower).

    Returns:
        The problems, in file order; empty if the dataset is sound.
    """
    coco = check_coco_file(ann_file)
    problems: List[Problem] = []

    def report(where: str, message: str, file: str = ann_file) -> None:
        problems.append(Problem(file, where, message))

    categories = {cat.get('id'): cat.get('name') for cat in coco['categories']}
    if classes:
        for name in set(categories.values()) - set(classes):
            report('categories', f'category {name!r} is not one of the classes {list(classes)}')
    for image_id, count in Counter(img.get('id') for img in coco['images']).items():
        if count > 1:
            report(f'image {image_id}', f'image id used {count} times')
    for ann_id, count in Counter(ann.get('id') for ann in coco['annotations']).items():
        if count > 1:
            report(f'annotation {ann_id}', f'annotation id used {count} times')

    images = {img.get('id'): img for img in coco['images']}
    for ann in coco['annotations']:
        where = f'annotation {ann.get("id")}'
        image = images.get(ann.get('image_id'))
        if image is None:
            report(where, f'image_id {ann.get("image_id")} is not in images')
            continue
        if ann.get('category_id') not in categories:
            report(where, f'unknown category_id {ann.get("category_id")}')
        width, height = image.get('width', 0), image.get('height', 0)
        bbox = ann.get('bbox')
        if not (isinstance(bbox, list) and len(bbox) == 4):
            report(where, f'bbox must be [x, y, w, h], got {bbox!r}')
        else:
            x, y, w, h = bbox
            if w <= 0 or h <= 0:
                report(where, f'degenerate box {bbox} (width and height must be positive)')
            elif x < -0.5 or y < -0.5 or x + w > width + 0.5 or y + h > height + 0.5:
                report(where, f'box {bbox} lies outside the {width} x {height} image '
                              f'{image.get("file_name")}')
        if 'segmentation' in ann:
            problem = _segmentation_problem(ann['segmentation'], height, width)
            if problem:
                report(where, problem)

    if img_dir is not None:
        for image in coco['images']:
            path = osp.join(img_dir, str(image.get('file_name')))
            where = f'image {image.get("id")}'
            if not osp.isfile(path):
                report(where, 'image file is missing', path)
                continue
            if decode_images:
                pixels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
                if pixels is None:
                    report(where, 'image cannot be decoded', path)
                elif pixels.shape[:2] != (image.get('height'), image.get('width')):
                    report(where, f'image is {pixels.shape[1]} x {pixels.shape[0]}, the json says '
                                  f'{image.get("width")} x {image.get("height")}', path)
    return problems

