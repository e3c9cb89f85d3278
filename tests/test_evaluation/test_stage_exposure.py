"""Sampled negatives on removed flakes, per stage: counted on the samplers' own draws."""
import json
import os.path as osp

from conftest import SYNTHETIC_CONFIG
from helpers import PASS_OPTIONS, numpy_iou

from qmat.datasets.missing import write_dropped
from qmat.evaluation import stage_exposure
from qmat.evaluation.stage_exposure import negatives_on_removed
from qmat.evaluation.training_pass import training_pass
from qmat.models.task_modules import on_removed


def exposure(synthetic_root, random_checkpoint, ann):
    model, batches = training_pass(SYNTHETIC_CONFIG, random_checkpoint, ann, synthetic_root, PASS_OPTIONS)
    return negatives_on_removed(model, batches)


def test_counts_on_dropped_annotations(synthetic_root, random_checkpoint, tmp_path, monkeypatch):
    """Each stage's count is its sampled negatives whose IoU with a removed flake reaches the stage's
    neg_iou_thr (RPN 0.3, R-CNN 0.5 in the config), recounted here from the samplers' own draws."""
    ann = str(tmp_path / 'dropped.json')
    complete = osp.join(synthetic_root, 'annotations', 'instances_train2019.json')
    write_dropped(complete, ann, 0.5, 'annotator', 0, keep_as_ignored=True)
    draws = []

    def recording(negatives, removed, assigner_cfg):
        draws.append((negatives.numpy(), removed.numpy(), assigner_cfg['neg_iou_thr']))
        return on_removed(negatives, removed, assigner_cfg)
    monkeypatch.setattr(stage_exposure, 'on_removed', recording)
    result = exposure(synthetic_root, random_checkpoint, ann)
    images = result['rpn']['images']
    assert images > 0 and result['rcnn']['images'] == images and len(draws) == 2 * images
    for stage, threshold, stage_draws in (('rpn', 0.3, draws[0::2]), ('rcnn', 0.5, draws[1::2])):
        assert {t for _, _, t in stage_draws} == {threshold}
        negatives = sum(len(n) for n, _, _ in stage_draws)
        hits = sum(int((numpy_iou(n, r).max(axis=1) >= threshold).sum()) for n, r, _ in stage_draws if len(n))
        row = result[stage]
        assert row['negatives'] == negatives and row['on_removed'] == hits
        assert 0 < negatives <= 256 * images  # the configs' sampler sizes
    assert result['rcnn']['on_removed'] > 0  # the check above has something to count


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

