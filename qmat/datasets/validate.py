"""Check a COCO dataset a lab brings before training on it: every problem with its file and id."""
import math
import os.path as osp
from collections import Counter
from dataclasses import dataclass
from typing import List, Optional, Sequence

import mmcv
from pycocotools import mask as mask_utils

from qmat.utils import UserInputError, dump_json, refuse_overwriting

from .coco_file import check_coco_file


@dataclass(frozen=True)
class Problem:
    """One defect: the file it is in, what it concerns (``annotation 12``, ``image 3``) and what is wrong."""
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f'{self.file}: {self.where}: {self.message}'


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _segmentation_problem(segmentation, height: int, width: int) -> Optional[str]:
    """What is wrong with a polygon or RLE mask, or None."""
    try:
        if isinstance(segmentation, list):
            if not segmentation:
                return 'empty mask (no polygon)'
            for polygon in segmentation:
                if not isinstance(polygon, list) or len(polygon) < 6 or len(polygon) % 2:
                    return f'degenerate polygon with {len(polygon) if isinstance(polygon, list) else 0} ' \
                           'coordinates (a polygon needs at least 3 points)'
                if not all(_number(v) for v in polygon):
                    return 'polygon with a coordinate that is not a finite number'
            rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
        elif isinstance(segmentation, dict) and 'counts' in segmentation and 'size' in segmentation:
            if list(segmentation['size']) != [height, width]:
                return f'RLE size {segmentation["size"]} differs from the image size {[height, width]}'
            rle = segmentation if not isinstance(segmentation['counts'], list) else \
                mask_utils.frPyObjects(segmentation, height, width)
            if isinstance(rle.get('counts'), str):
                rle = dict(rle, counts=rle['counts'].encode('ascii'))
        else:
            return 'segmentation is neither polygons nor RLE'
        area = float(mask_utils.area(rle))
    except (TypeError, ValueError, UnicodeError, OverflowError) as error:
        return f'segmentation cannot be decoded ({type(error).__name__})'
    if area == 0:
        return 'empty mask (zero area)'
    if area > height * width:
        return f'RLE mask of {area:.0f} px on a {width} x {height} image: its counts are corrupt'
    return None


def _image_problem(path: str, height: int, width: int) -> Optional[str]:
    """Whether the image decodes as the training loader decodes it (from bytes) at the declared size."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
        pixels = mmcv.imfrombytes(data, flag='unchanged') if data else None
    except Exception as error:  # OpenCV raises several kinds for a broken file
        return f'image cannot be decoded ({type(error).__name__})'
    if pixels is None:
        return 'image cannot be decoded (empty, truncated or not an image)'
    if pixels.shape[:2] != (height, width):
        return f'image is {pixels.shape[1]} x {pixels.shape[0]}, the json says {width} x {height}'
    return None


def validate_coco(ann_file: str, img_dir: Optional[str] = None, classes: Optional[Sequence[str]] = None,
                  decode_images: bool = True, masks: bool = False) -> List[Problem]:
    """Every problem of a COCO annotation file and its images.

    Args:
        ann_file: The COCO json.
        img_dir: Folder of the images (``file_name`` is relative to it); None skips the image checks.
        classes: If given, category names the dataset must use (e.g. FlakeDataset's classes).
        decode_images: Decode every image as the training loader does (finds corrupt files; slower).
        masks: The set is for mask training: an annotation without ``segmentation`` is a problem too, and a
            set with no mask at all is one problem that says so.

    Returns:
        The problems, in file order; empty if the dataset is sound.
    """
    coco = check_coco_file(ann_file)
    problems: List[Problem] = []

    def report(where: str, message: str, file: str = ann_file) -> None:
        problems.append(Problem(file, where, message))

    categories = {cat['id']: cat.get('name') for cat in coco['categories']
                  if isinstance(cat, dict) and isinstance(cat.get('id'), int)}
    if classes:
        for name in set(categories.values()) - set(classes):
            report('categories', f'category {name!r} is not one of the classes {list(classes)}')
    if not coco['images']:
        report('images', 'the file lists no images')
    if not coco['annotations']:
        report('annotations', 'the file has no annotations')
    images = {}
    for index, image in enumerate(coco['images']):
        if not isinstance(image, dict) or not isinstance(image.get('id'), int) \
                or not isinstance(image.get('file_name'), str):
            report(f'images[{index}]', f'an image needs an integer id and a file_name, got {image!r:.80}')
        elif not all(isinstance(image.get(k), int) and image[k] > 0 for k in ('width', 'height')):
            report(f'image {image["id"]}', f'width and height must be positive integers, got '
                                           f'{image.get("width")!r} x {image.get("height")!r}')
        elif image['id'] in images:
            report(f'image {image["id"]}', 'image id used more than once')
        else:
            images[image['id']] = image
    annotation_ids = Counter(a.get('id') for a in coco['annotations'] if isinstance(a, dict)
                             and isinstance(a.get('id'), int))
    for ann_id, count in annotation_ids.items():
        if count > 1:
            report(f'annotation {ann_id}', f'annotation id used {count} times')

    for index, ann in enumerate(coco['annotations']):
        if not isinstance(ann, dict) or not isinstance(ann.get('id'), int):
            report(f'annotations[{index}]', f'an annotation is an object with an integer id, got {ann!r:.60}')
            continue
        where = f'annotation {ann["id"]}'
        image_id = ann.get('image_id')
        image = images.get(image_id) if isinstance(image_id, int) else None
        if image is None:
            report(where, f'image_id {ann.get("image_id")!r} is not a (valid) image of the file')
            continue
        if not isinstance(ann.get('category_id'), int) or ann['category_id'] not in categories:
            report(where, f'unknown category_id {ann.get("category_id")!r}')
        width, height = image['width'], image['height']
        bbox = ann.get('bbox')
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
            report(where, f'bbox must be [x, y, w, h] of finite numbers, got {bbox!r}')
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
        elif masks:
            report(where, 'no segmentation (a box only); the config trains masks')

    if masks and coco['annotations'] and not any(isinstance(a, dict) and a.get('segmentation')
                                                 for a in coco['annotations']):
        problems[:] = [p for p in problems if not p.message.startswith('no segmentation')] + [Problem(
            ann_file, 'annotations', 'boxes only, no masks: the config trains masks (Mask R-CNN); import '
            'with --box-masks box, or train a box-only config')]
    if img_dir is not None:
        for image in images.values():
            path = osp.join(img_dir, image['file_name'])
            where = f'image {image["id"]}'
            if not osp.isfile(path):
                report(where, 'image file is missing', path)
            elif decode_images:
                problem = _image_problem(path, image['height'], image['width'])
                if problem:
                    report(where, problem, path)
    return problems


def write_without(ann_file: str, problems: Sequence[Problem], out: str) -> str:
    """Write ``ann_file`` without what ``problems`` name (a broken image with its annotations, a broken
    annotation) to ``out``.

    Raises:
        UserInputError: A problem names no single image or annotation (an unknown category, an empty set, a
            duplicate id), so that leaving something out cannot fix it.
    """
    coco = check_coco_file(ann_file)
    images, annotations, positions = set(), set(), set()
    for problem in problems:
        kind, _, key = problem.where.partition(' ')
        if kind == 'image' and key.lstrip('-').isdigit():
            images.add(int(key))
        elif kind == 'annotation' and key.lstrip('-').isdigit() and 'used' not in problem.message:
            annotations.add(int(key))
        elif kind.startswith(('images[', 'annotations[')):
            positions.add(kind)
        else:
            raise UserInputError(f'{problem}: --skip-invalid cannot leave this out; fix the file')
    kept_images = [img for i, img in enumerate(coco['images'])
                   if f'images[{i}]' not in positions and img.get('id') not in images]
    kept_ids = {img['id'] for img in kept_images}
    kept = [a for i, a in enumerate(coco['annotations']) if f'annotations[{i}]' not in positions
            and a.get('id') not in annotations and a.get('image_id') in kept_ids]
    refuse_overwriting([out], [ann_file])
    dump_json(dict(coco, images=kept_images, annotations=kept), out)
    return out
