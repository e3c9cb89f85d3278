"""FlakeDataset reads the paper layout with RLE or polygon masks, classes and palette from one place."""
import json
import os.path as osp

import numpy as np
from mmdet.utils import register_all_modules
from pycocotools import mask as mask_utils

from qmat.datasets import FlakeDataset


def build(root, ann_file='annotations/instances_train2019.json', img='train2019/'):
    register_all_modules()  # mmdet's transforms by name, as a config would find them
    return FlakeDataset(data_root=root, ann_file=ann_file, data_prefix=dict(img=img),
                        pipeline=[dict(type='LoadImageFromFile'),
                                  dict(type='LoadAnnotations', with_bbox=True, with_mask=True)])


def test_reads_rle_masks_exactly(synthetic_root):
    dataset = build(synthetic_root)
    assert dataset.metainfo['classes'] == ('mono', 'few', 'thick') and len(dataset.metainfo['palette']) == 3
    with open(osp.join(synthetic_root, 'annotations', 'instances_train2019.json')) as f:
        coco = json.load(f)
    sample = dataset[0]
    image_id = sample['img_id']
    anns = [a for a in coco['annotations'] if a['image_id'] == image_id]
    assert sample['img'].shape == (128, 128, 3)
    assert len(sample['gt_masks']) == len(anns) == len(sample['gt_bboxes_labels'])
    for mask, ann in zip(sample['gt_masks'].masks, anns):
        np.testing.assert_array_equal(mask, mask_utils.decode(ann['segmentation']))
        assert ann['category_id'] - 1 in sample['gt_bboxes_labels']


def test_reads_polygons_too(synthetic_root, tmp_path):
    coco = json.loads(open(osp.join(synthetic_root, 'annotations', 'instances_val2019.json')).read())
    for ann in coco['annotations']:  # rewrite each mask as the polygon of its bounding box
        x, y, w, h = ann['bbox']
        ann['segmentation'] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    path = tmp_path / 'polygons.json'
    path.write_text(json.dumps(coco))
    dataset = build(synthetic_root, str(path), 'val2019/')
    sample = dataset[0]
    masks = sample['gt_masks'].masks
    boxes = sample['gt_bboxes'].tensor.numpy()
    for mask, (x0, y0, x1, y1) in zip(masks, boxes):
        assert abs(mask.sum() - (x1 - x0) * (y1 - y0)) <= (x1 - x0) + (y1 - y0) + 1
