"""The small synthetic set used by the quick start and the end-to-end tests."""
import json
import os.path as osp

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from qmat.datasets import generate_dataset


def load(root, split):
    with open(osp.join(root, 'annotations', f'instances_{split}2019.json')) as f:
        return json.load(f)


def test_layout_and_annotations(synthetic_root):
    for split, count in (('train', 8), ('val', 4)):
        coco = load(synthetic_root, split)
        assert [c['name'] for c in coco['categories']] == ['mono', 'few', 'thick']
        assert len(coco['images']) == count
        for image in coco['images']:
            pixels = cv2.imread(osp.join(synthetic_root, f'{split}2019', image['file_name']))
            assert pixels.shape == (image['height'], image['width'], 3)
        ids = [a['id'] for a in coco['annotations']]
        assert len(ids) == len(set(ids)) > 0
        for ann in coco['annotations']:
            image = coco['images'][ann['image_id'] - 1]
            x, y, w, h = ann['bbox']
            assert 0 <= x and 0 <= y and x + w <= image['width'] and y + h <= image['height']
            rle = mask_utils.frPyObjects(ann['segmentation'], image['height'], image['width'])
            # the recorded area is the rasterised mask's, within a polygon-edge of pycocotools' own
            assert abs(mask_utils.area(mask_utils.merge(rle)) - ann['area']) <= 0.25 * ann['area'] + 8


def test_flakes_do_not_overlap(synthetic_root):
    coco = load(synthetic_root, 'train')
    image = coco['images'][0]
    masks = [mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(a['segmentation'], image['height'],
                                                                        image['width'])))
             for a in coco['annotations'] if a['image_id'] == image['id']]
    assert len(masks) >= 2
    assert np.stack(masks).sum(0).max() == 1


def test_same_seed_same_files(tmp_path):
    a, b, c = (str(tmp_path / n) for n in 'abc')
    for root, seed in ((a, 1), (b, 1), (c, 2)):
        generate_dataset(root, {'train': 2}, image_size=(64, 64), flakes_per_image=(1, 3),
                         radius_range=(4, 12), seed=seed)
    assert load(a, 'train') == load(b, 'train') != load(c, 'train')
    assert (cv2.imread(osp.join(a, 'train2019', 'train_00000.png')) ==
            cv2.imread(osp.join(b, 'train2019', 'train_00000.png'))).all()
