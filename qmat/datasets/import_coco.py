"""Importing a COCO export of an annotation tool (Roboflow, CVAT, labelme converted) into qmat's layout.

Exports carry their tool's quirks: a placeholder category that no instance uses (Roboflow's ``material``,
id 0), ids from 0, file names with the tool's suffix (``11-089_jpg.rf.<hash>.jpg``), instances with a box
but no mask. :func:`import_coco` writes ``<root>/annotations/instances_<split>2019.json`` and copies the
images to ``<root>/<split>2019/``: categories renamed by ``mapping`` (several may map to one) and unused
ones dropped, ids from 1, suffixes removed, boxes and polygons clipped to their image (tools let them run
over the edge), instances without a mask dropped or given their box as mask,
after the export passed :func:`~qmat.datasets.validate.validate_coco` (apart from the masks it handles).
"""
import os
import os.path as osp
import re
import shutil
from typing import Dict, List, Optional, Sequence

from qmat.utils import UserInputError, dump_json, refuse_overwriting

from .coco_file import check_coco_file
from .flake_dataset import FlakeDataset
from .layout import split_paths
from .validate import validate_coco

ROBOFLOW_SUFFIX = re.compile(r'_(jpe?g|png|tiff?|bmp)\.rf\.[0-9a-f]{16,}(?=\.\w+$)', re.IGNORECASE)
BOX_MASKS = ('drop', 'box')


def clean_file_name(name: str) -> str:
    """``11-089_jpg.rf.7343fd8....jpg`` -> ``11-089.jpg``; other names unchanged."""
    return ROBOFLOW_SUFFIX.sub('', osp.basename(name))


def parse_mapping(pairs: Sequence[str]) -> Dict[str, str]:
    """``['Thin_BN=few', ...]`` as a dict, with a one-line error for an item without ``=``."""
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.partition('=')
        if not sep or not source or not target:
            raise UserInputError(f'--map {pair}: expected SOURCE_CLASS=QMAT_CLASS')
        mapping[source] = target
    return mapping


def clip_box(bbox: Sequence[float], width: int, height: int) -> Optional[List[float]]:
    """An xywh box clipped to the image (annotation tools let boxes run over its edge), or None when
    nothing of it is inside."""
    x, y, w, h = (float(v) for v in bbox)
    x1, y1, x2, y2 = max(x, 0.0), max(y, 0.0), min(x + w, float(width)), min(y + h, float(height))
    return [x1, y1, x2 - x1, y2 - y1] if x2 > x1 and y2 > y1 else None


def clip_polygon(polygon: Sequence[float], width: int, height: int) -> List[float]:
    """A flat polygon ``[x0, y0, x1, y1, ...]`` with its points moved into the image."""
    limits = (float(width), float(height))
    return [min(max(float(v), 0.0), limits[i % 2]) for i, v in enumerate(polygon)]


def _has_mask(ann: dict) -> bool:
    segmentation = ann.get('segmentation')
    return bool(segmentation) and (isinstance(segmentation, dict) or any(len(p) >= 6 for p in segmentation))


def import_coco(src: str, image_dir: str, root: str, split: str, mapping: Optional[Dict[str, str]] = None,
                box_masks: str = 'drop') -> Dict:
    """Import the COCO file ``src`` (images in ``image_dir``) as ``split`` of the dataset at ``root``.

    Args:
        mapping: Category name in ``src`` -> class name written (others keep their names).
        box_masks: For an instance with a box but no mask: ``'drop'`` it, or use its ``'box'`` as mask.

    Returns:
        ``dict(ann_file, images, annotations, classes, dropped_categories, boxes_only, outside)``: what was
        written, the categories left out, and the instances without a mask and those outside their image.

    Raises:
        UserInputError: A file is missing or not COCO, the export fails the dataset check in a way the
            import does not mend (the first problem named), or a mapped category is not in the file.
    """
    if box_masks not in BOX_MASKS:
        raise UserInputError(f'box masks must be one of {BOX_MASKS}, got {box_masks!r}')
    coco = check_coco_file(src, what='input annotation')
    if not osp.isdir(image_dir):
        raise UserInputError(f'--images {image_dir} is not a folder')
    maskless = {f'annotation {ann.get("id")}' for ann in coco['annotations']
                if isinstance(ann, dict) and not _has_mask(ann)}
    # what the import mends is not a problem: missing masks (dropped or boxed), boxes over the edge (clipped);
    # everything else (missing images, unknown image ids, ...) stops it here
    problems = [p for p in validate_coco(src, image_dir)
                if not (p.where in maskless and re.search('mask|polygon|segmentation', p.message))
                and not (p.message.startswith('box ') and 'lies outside' in p.message)]
    if problems:
        raise UserInputError(f'{problems[0]} ({len(problems)} problem(s); '
                             f'tools/data_tools/validate_dataset.py --ann-file {src} --img-dir {image_dir} '
                             'lists them)')
    mapping = dict(mapping or {})
    names = {cat['id']: cat['name'] for cat in coco['categories']}
    unknown = sorted(set(mapping) - set(names.values()))
    if unknown:
        raise UserInputError(f'{src} has no categories {unknown} to map '
                             f'(it has {sorted(set(names.values()))})')
    used = {ann.get('category_id') for ann in coco['annotations']}
    classes: List[str] = []
    for cat_id in sorted(c for c in names if c in used):
        name = mapping.get(names[cat_id], names[cat_id])
        if name not in classes:
            classes.append(name)
    if set(classes) <= set(FlakeDataset.METAINFO['classes']):  # qmat's classes: all of them, in its order
        classes = list(FlakeDataset.METAINFO['classes'])
    class_ids = {name: index + 1 for index, name in enumerate(classes)}

    paths = split_paths(root, split)
    images, new_ids, copies, taken = [], {}, [], set()
    for image in coco['images']:
        source = osp.join(image_dir, image['file_name'])
        name = clean_file_name(image['file_name'])
        if name in taken:  # two files of one clean name: keep the tool's name
            name = osp.basename(image['file_name'])
        taken.add(name)
        new_ids[image['id']] = len(images) + 1
        images.append(dict(id=new_ids[image['id']], file_name=name, height=image['height'],
                           width=image['width']))
        copies.append((source, osp.join(paths['img_dir'], name)))
    annotations, boxes_only, outside = [], 0, 0  # instances kept; without a mask; outside their image
    for ann in coco['annotations']:
        image = images[new_ids[ann['image_id']] - 1]
        bbox = clip_box(ann['bbox'], image['width'], image['height'])
        if bbox is None:
            outside += 1
            continue
        segmentation = ann.get('segmentation')
        if not _has_mask(ann):
            boxes_only += 1
            if box_masks == 'drop':
                continue
            x, y, w, h = bbox
            segmentation = [[x, y, x + w, y, x + w, y + h, x, y + h]]
        elif isinstance(segmentation, list):
            segmentation = [clip_polygon(p, image['width'], image['height']) for p in segmentation]
        annotations.append(dict(
            id=len(annotations) + 1, image_id=image['id'], bbox=bbox, segmentation=segmentation,
            category_id=class_ids[mapping.get(names[ann['category_id']], names[ann['category_id']])],
            area=ann.get('area', bbox[2] * bbox[3]), iscrowd=int(ann.get('iscrowd', 0))))
    result = dict(info=dict(imported_from=osp.abspath(src)), images=images, annotations=annotations,
                  categories=[dict(id=i, name=n) for n, i in class_ids.items()])
    refuse_overwriting([paths['ann_file'], *(target for _, target in copies)],
                       [src, *(source for source, _ in copies)])
    for source, target in copies:
        if osp.isfile(target) and osp.getsize(target) != osp.getsize(source):
            raise UserInputError(f'{target} exists and is another file: import into another --out or split')
    os.makedirs(paths['img_dir'], exist_ok=True)
    for source, target in copies:
        shutil.copy2(source, target)
    dump_json(result, paths['ann_file'])
    return dict(ann_file=paths['ann_file'], images=len(images), annotations=len(annotations),
                classes=classes, dropped_categories=sorted({n for c, n in names.items() if c not in used}),
                boxes_only=boxes_only, outside=outside)

