"""The synthetic generator: layout, exact masks, per-instance physics fields, determinism, bad values."""
import dataclasses
import filecmp
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import TINY_SCENE
from pycocotools import mask as mask_utils

from qmat.datasets import SceneConfig, generate_dataset
from qmat.datasets.synthetic import CLASS_LAYERS, CLASSES, render_image
from qmat.datasets.synthetic.generator import compose_scene


def load(root, split):
    with open(osp.join(root, 'annotations', f'instances_{split}2019.json')) as f:
        return json.load(f)


def test_layout_and_annotations(synthetic_root):
    for split, count in (('train', 8), ('val', 4)):
        coco = load(synthetic_root, split)
        assert [c['name'] for c in coco['categories']] == list(CLASSES)
        assert len(coco['images']) == count and coco['info']['seed'] == 0
        ids = [a['id'] for a in coco['annotations']]
        assert len(ids) == len(set(ids)) > 0
        for image in coco['images']:
            pixels = cv2.imread(osp.join(synthetic_root, f'{split}2019', image['file_name']))
            assert pixels.shape == (image['height'], image['width'], 3)
            anns = [a for a in coco['annotations'] if a['image_id'] == image['id']]
            masks = [mask_utils.decode(a['segmentation']) for a in anns]
            if masks:  # exact masks: disjoint even where flakes overlap, boxes and areas from the mask
                assert np.stack(masks).sum(0).max() == 1
            for ann, mask in zip(anns, masks):
                assert mask.sum() == ann['area'] >= TINY_SCENE.min_area
                ys, xs = np.nonzero(mask)
                assert ann['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
                low, high = CLASS_LAYERS[ann['category_id'] - 1]
                assert low <= ann['layers'] <= high
                assert ann['thickness_class'] == CLASSES[ann['category_id'] - 1]
                assert ann['material'] == 'graphene' and ann['contrast'] > 0


def test_scene_maps_agree_with_instances():
    scene = compose_scene(np.random.default_rng(3), dataclasses.replace(TINY_SCENE, flakes=(8, 8),
                                                                         overlap_prob=1.0, terrace_prob=1.0))
    labelled = scene.instance_ids > 0
    assert (scene.layers[labelled] > 0).all()
    for key, info in scene.instances.items():
        layers = scene.layers[scene.instance_ids == key]
        if layers.size:
            low, high = CLASS_LAYERS[info['label']]
            assert ((layers >= low) & (layers <= high)).all()


def test_a_seed_reproduces_a_set_byte_for_byte(tmp_path):
    roots = [str(tmp_path / name) for name in ('a', 'b', 'c')]
    generate_dataset(roots[0], {'train': 3}, TINY_SCENE, seed=5)
    generate_dataset(roots[1], {'train': 3}, TINY_SCENE, seed=5, workers=2)
    generate_dataset(roots[2], {'train': 3}, TINY_SCENE, seed=6)
    images = [f'train2019/{image["file_name"]}' for image in load(roots[0], 'train')['images']]
    for name in ['annotations/instances_train2019.json'] + images:
        assert filecmp.cmp(osp.join(roots[0], name), osp.join(roots[1], name), shallow=False), name
    first = [f'train2019/{image["file_name"]}' for image in load(roots[2], 'train')['images']][0]
    assert not osp.exists(osp.join(roots[0], first)) or \
        not filecmp.cmp(osp.join(roots[0], first), osp.join(roots[2], first), shallow=False)


@pytest.mark.parametrize('material', ['graphene', 'hbn', 'mos2', 'wte2'])
def test_every_material_renders(material):
    image, instances = render_image(np.random.default_rng(0), SceneConfig(material=material,
                                                                          image_size=(96, 128),
                                                                          radius=(3.0, 30.0)))
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8
    assert all(inst['material'] == material for inst in instances)


@pytest.mark.parametrize('field,value', [('material', 'graphite'), ('sio2_nm', -1.0), ('flakes', (5, 2)),
                                         ('radius', (0.0, 10.0)), ('radius', (4.0, 400.0)),
                                         ('overlap_prob', 1.5), ('class_weights', (1.0, -1.0, 0.0)),
                                         ('image_size', (8, 8)), ('min_area', -1)])
def test_impossible_values_name_the_field(tmp_path, field, value):
    cfg = dataclasses.replace(SceneConfig(), **{field: value})
    with pytest.raises(ValueError, match=field):
        generate_dataset(str(tmp_path / 'x'), {'train': 1}, cfg)
    assert not os.path.exists(tmp_path / 'x' / 'annotations')
