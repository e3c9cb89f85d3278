"""Sampled negatives on removed flakes, per stage: counted on the samplers' own draws."""
import json
import os.path as osp

import pytest
from conftest import SYNTHETIC_CONFIG

from qmat.datasets.missing import write_dropped
from qmat.evaluation.stage_exposure import negatives_on_removed
from qmat.evaluation.training_pass import training_pass

OPTIONS = {'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
           'train_dataloader.batch_size': 2}


def exposure(synthetic_root, random_checkpoint, ann):
    model, batches = training_pass(SYNTHETIC_CONFIG, random_checkpoint, ann, synthetic_root, OPTIONS)
    return negatives_on_removed(model, batches)


def test_counts_on_dropped_annotations(synthetic_root, random_checkpoint, tmp_path):
    ann = str(tmp_path / 'dropped.json')
    complete = osp.join(synthetic_root, 'annotations', 'instances_train2019.json')
    write_dropped(complete, ann, 0.5, 'annotator', 0, keep_as_ignored=True)
    result = exposure(synthetic_root, random_checkpoint, ann)
    images = result['rpn']['images']
    assert images > 0 and result['rcnn']['images'] == images
    for stage, per_image in (('rpn', 256), ('rcnn', 256)):  # the configs' sampler sizes
        row = result[stage]
        assert 0 < row['negatives'] <= per_image * images and 0 <= row['on_removed'] <= row['negatives']
        assert row['share'] == pytest.approx(row['on_removed'] / row['negatives'])


def test_flakes_that_are_annotated_are_never_under_a_negative(synthetic_root, random_checkpoint, tmp_path):
    """Every annotated flake also listed as removed (ignored): a negative is by definition below the
    assigner's neg_iou_thr with every annotation, so none can count as lying on a "removed" one."""
    with open(osp.join(synthetic_root, 'annotations', 'instances_train2019.json')) as f:
        coco = json.load(f)
    copies = [dict(a, id=a['id'] + 10 ** 6, iscrowd=1) for a in coco['annotations']]
    coco['annotations'] += copies
    ann = str(tmp_path / 'twice.json')
    with open(ann, 'w') as f:
        json.dump(coco, f)
    result = exposure(synthetic_root, random_checkpoint, ann)
    assert result['rpn']['images'] > 0
    assert result['rpn']['on_removed'] == result['rcnn']['on_removed'] == 0

