"""An RPN's objectness per anchor kind and its dead channels: the kinds against a written-out max-IoU rule,
the statistics on a head whose weights make the answer known."""
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import SYNTHETIC_CONFIG
from helpers import PASS_OPTIONS, numpy_iou
from mmdet.registry import TASK_UTILS
from mmdet.utils import register_all_modules

from qmat.datasets.missing import write_dropped
from qmat.evaluation.rpn_objectness import RPN_ASSIGNER, anchor_kinds, rpn_objectness
from qmat.evaluation.training_pass import training_pass


def numpy_kinds(anchors, annotated, removed):
    """mmdet's max-IoU rule written out: positive at IoU >= 0.7, each flake's best anchors positive when
    their IoU >= 0.3, negative below 0.3 with every flake."""
    flakes = np.concatenate([annotated, removed])
    iou = numpy_iou(anchors, flakes)
    owner = np.where(iou.max(axis=1) >= 0.7, iou.argmax(axis=1), -1)
    for j in range(len(flakes)):
        if iou[:, j].max() >= 0.3:
            owner[iou[:, j] == iou[:, j].max()] = j
    return dict(annotated=(owner >= 0) & (owner < len(annotated)), removed=owner >= len(annotated),
                background=(owner < 0) & (iou.max(axis=1) < 0.3))


def test_anchor_kinds_follow_the_max_iou_rule():
    register_all_modules()
    generator = torch.Generator().manual_seed(0)
    xy = torch.rand(400, 2, generator=generator) * 200
    anchors = torch.cat([xy, xy + 8 + 40 * torch.rand(400, 2, generator=generator)], dim=1)
    annotated = torch.tensor([[10., 10., 40., 50.], [100., 120., 130., 140.]])
    removed = torch.tensor([[60., 20., 90., 45.], [150., 150., 152., 153.]])  # the second: a tiny flake
    kinds = anchor_kinds(TASK_UTILS.build(RPN_ASSIGNER), anchors, annotated, removed)
    expected = numpy_kinds(anchors.numpy(), annotated.numpy(), removed.numpy())
    for kind in ('annotated', 'removed', 'background'):
        assert np.array_equal(kinds[kind].numpy(), expected[kind]), kind
        assert expected[kind].any(), kind  # the case has anchors of every kind
    assert not (kinds['annotated'] & kinds['background']).any()
    nothing = anchor_kinds(TASK_UTILS.build(RPN_ASSIGNER), anchors, annotated[:0], removed[:0])
    assert nothing['background'].all() and not nothing['annotated'].any() and not nothing['removed'].any()


@pytest.fixture(scope='module')
def dropped(synthetic_root, tmp_path_factory):
    ann = str(tmp_path_factory.mktemp('objectness') / 'dropped.json')
    complete = osp.join(synthetic_root, 'annotations', 'instances_train2019.json')
    write_dropped(complete, ann, 0.5, 'annotator', 0, keep_as_ignored=True)
    return ann


def test_dead_channels_and_scores_of_a_known_head(synthetic_root, random_checkpoint, dropped):
    """Channels with zero weights and a negative bias are dead; with all of them dead every anchor scores
    sigmoid(its base anchor's bias), so each kind's mean follows from the anchor counts."""
    model, batches = training_pass(SYNTHETIC_CONFIG, random_checkpoint, dropped, synthetic_root, PASS_OPTIONS)
    batches = list(batches)
    conv = model.rpn_head.rpn_conv
    half = conv.out_channels // 2
    with torch.no_grad():
        conv.weight[:half] = 0
        conv.bias[:half] = -1
    partly = rpn_objectness(model, batches)
    assert partly['images'] == 8
    for row in partly['levels']:
        assert 0.5 <= row['dead_channels'] < 1
        assert row['removed_anchors'] + row['annotated_anchors'] + row['background_anchors'] > 0
    assert sum(row['removed_anchors'] for row in partly['levels']) > 0
    assert [row['stride'] for row in partly['levels']] == [4, 8, 16, 32, 64]

    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.fill_(-1)
        model.rpn_head.rpn_cls.bias.copy_(torch.tensor([-2., 0., 1.])[:model.rpn_head.num_base_priors])
    dead = rpn_objectness(model, batches)
    for row, before in zip(dead['levels'], partly['levels']):
        assert row['dead_channels'] == 1
        for kind in ('annotated', 'removed', 'background'):
            assert row[f'{kind}_anchors'] == before[f'{kind}_anchors']  # the kinds do not depend on the model
        assert 1 / (1 + np.exp(2)) - 1e-6 <= row['background_score'] <= 1 / (1 + np.exp(-1)) + 1e-6


def test_one_bias_scores_every_anchor_alike(synthetic_root, random_checkpoint, dropped):
    model, batches = training_pass(SYNTHETIC_CONFIG, random_checkpoint, dropped, synthetic_root, PASS_OPTIONS)
    with torch.no_grad():
        model.rpn_head.rpn_conv.weight.zero_()
        model.rpn_head.rpn_conv.bias.fill_(-1)
        model.rpn_head.rpn_cls.bias.fill_(0.5)
    result = rpn_objectness(model, batches)
    for row in result['levels']:
        for kind in ('annotated', 'removed', 'background'):
            if row[f'{kind}_anchors']:
                assert row[f'{kind}_score'] == pytest.approx(1 / (1 + np.exp(-0.5)), abs=1e-6)
        for kind in ('annotated', 'removed'):
            if row[f'{kind}_anchors']:
                assert row[f'auc_{kind}'] == pytest.approx(0.5)  # all ties
