"""Annotation repair: detections that no annotation covers are suspected missing annotations.

For every image of a COCO file, the detections with score >= ``score_thr`` whose box overlaps no annotation
by IoU >= ``iou_thr`` are written out for review: as a COCO file (with scores), as labelme files (polygons
of the masks, one file per image, ready to open in labelme beside the image) and as a picture per image
(annotations in white, suspects in red). Crowd (ignored) annotations count as not annotated.
"""
import os
import os.path as osp
from typing import Dict, List

import cv2
import mmcv
import numpy as np
import pycocotools.mask as mask_utils

from qmat.datasets.coco_file import check_coco_file
from qmat.evaluation import read_removed
from qmat.utils import UserInputError, box_iou, dump_json, refuse_overwriting, xywh_to_xyxy


def _polygons(mask: np.ndarray) -> List[List[List[float]]]:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1, 2).astype(float).tolist() for c in contours if len(c) >= 3]


def find_missing(hunter, ann_file: str, image_dir: str, out_dir: str, score_thr: float = 0.5,
                 iou_thr: float = 0.3) -> Dict:
    """Write the suspected missing annotations of ``ann_file`` into ``out_dir``.

    Returns:
        The suspects as a COCO dict (also written as ``out_dir/suspected_missing.json``).
    """
    coco = check_coco_file(ann_file)
    if not osp.isdir(image_dir):
        raise UserInputError(f'images {image_dir} does not exist')
    stems = [osp.splitext(osp.basename(info['file_name']))[0] for info in coco['images']]
    refuse_overwriting([osp.join(out_dir, 'suspected_missing.json')]
                       + [osp.join(out_dir, sub, stem + ext) for stem in stems
                          for sub, ext in (('labelme', '.json'), ('pictures', '.png'))],
                       [ann_file] + [osp.join(image_dir, info['file_name']) for info in coco['images']])
    names = {c['id']: c['name'] for c in coco['categories']}
    ids = {name: cid for cid, name in names.items()}
    by_image: Dict[int, List[dict]] = {}
    for ann in coco['annotations']:
        if not ann.get('iscrowd'):
            by_image.setdefault(ann['image_id'], []).append(ann)
    for sub in ('labelme', 'pictures'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    suspects = []
    for info in coco['images']:
        path = osp.join(image_dir, info['file_name'])
        image = mmcv.imread(path)
        if image is None:
            raise UserInputError(f'{path}: not a readable image (image id {info["id"]} of {ann_file})')
        annotated = xywh_to_xyxy([a['bbox'] for a in by_image.get(info['id'], [])])
        flakes = [f for f in hunter.hunt(image) if f['score'] >= score_thr]
        overlaps = box_iou([f['bbox'] for f in flakes], annotated)
        mine = [f for f, row in zip(flakes, overlaps) if not len(row) or row.max() < iou_thr]
        shapes = []
        for flake in mine:
            x1, y1, x2, y2 = flake['bbox']
            suspects.append(dict(id=len(suspects) + 1, image_id=info['id'],
                                 category_id=ids.get(flake['thickness'], 0), bbox=[x1, y1, x2 - x1, y2 - y1],
                                 area=flake['area_px'], segmentation=flake['segmentation'],
                                 score=flake['score'], iscrowd=0))
            mask = mask_utils.decode(flake['segmentation'])
            shapes += [dict(label=flake['thickness'], points=points, group_id=len(suspects),
                            shape_type='polygon', flags={}) for points in _polygons(mask)]
        stem = osp.splitext(osp.basename(info['file_name']))[0]
        labelme = dict(version='5.0.1', flags={}, shapes=shapes, imageData=None,
                       imagePath=osp.relpath(path, osp.join(out_dir, 'labelme')),
                       imageHeight=image.shape[0], imageWidth=image.shape[1])
        dump_json(labelme, osp.join(out_dir, 'labelme', stem + '.json'))
        picture = image.copy()
        for box in annotated.tolist():
            cv2.rectangle(picture, *_corners(box), (255, 255, 255), 1)
        for flake in mine:
            cv2.rectangle(picture, *_corners(flake['bbox']), (0, 0, 255), 2)
        mmcv.imwrite(picture, osp.join(out_dir, 'pictures', stem + '.png'))
    result = dict(images=coco['images'], categories=coco['categories'], annotations=suspects)
    dump_json(result, osp.join(out_dir, 'suspected_missing.json'))
    return result


def score_against_removed(suspects: Dict, record: str, iou_thr: float = 0.5) -> Dict[str, float]:
    """Precision and recall of the suspects against the removed annotations of a removal record
    (``tools/data_tools/drop_annotations.py``; box IoU >= ``iou_thr``, one to one per image, best first)."""
    removed = read_removed(record)
    hits = 0
    for image_id in {a['image_id'] for a in removed} | {s['image_id'] for s in suspects['annotations']}:
        truth = xywh_to_xyxy([a['bbox'] for a in removed if a['image_id'] == image_id])
        found = sorted((s for s in suspects['annotations'] if s['image_id'] == image_id),
                       key=lambda s: -s['score'])
        free = set(range(len(truth)))
        for suspect in found:
            overlaps = box_iou(xywh_to_xyxy([suspect['bbox']]), truth)[0]
            candidates = [j for j in free if overlaps[j] >= iou_thr]
            if candidates:
                free.remove(max(candidates, key=lambda j: overlaps[j]))
                hits += 1
    n_suspects = len(suspects['annotations'])
    return dict(suspects=n_suspects, removed=len(removed), matched=hits,
                precision=hits / n_suspects if n_suspects else float('nan'),
                recall=hits / len(removed) if removed else float('nan'))


def _corners(box) -> tuple:
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    return (x1, y1), (x2, y2)


