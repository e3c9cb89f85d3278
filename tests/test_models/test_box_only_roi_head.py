"""BoxOnlyRoIHead: mask_free ground truth is no target of the mask head, box_free ground truth none of the
box regressor; both stay positives of the classifier."""
import os.path as osp

import numpy as np
import pytest
import torch
from helpers import REPO
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from mmdet.structures.mask import BitmapMasks
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.structures import InstanceData

from qmat.models import BoxOnlyRoIHead

CPU_CONFIG = osp.join(REPO, 'configs', 'synthetic', 'mask-rcnn_r18_fpn_250i_synthetic.py')


def _head():
    register_all_modules()
    model = Config.fromfile(CPU_CONFIG).model
    cfg = model.roi_head
    cfg.update(type='BoxOnlyRoIHead', train_cfg=model.train_cfg.rcnn, test_cfg=model.test_cfg.rcnn)
    torch.manual_seed(0)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def _scene(mask_free):
    """Two flakes; the second's mask is deliberately wrong (its box's lower half), so that the mask loss
    changes when it is a target. Four proposals: two on each flake, the rest background."""
    masks = np.zeros((2, 64, 64), np.uint8)
    masks[0, 4:20, 4:20] = 1
    masks[1, 42:50, 30:50] = 1
    gt = InstanceData(bboxes=torch.tensor([[4., 4., 20., 20.], [30., 34., 50., 50.]]),
                      labels=torch.tensor([1, 0]), masks=BitmapMasks(masks, 64, 64))
    if mask_free is not None:
        gt.mask_free = torch.tensor(mask_free)
    priors = torch.tensor([[4., 4., 20., 20.], [5., 4., 21., 20.], [30., 34., 50., 50.], [31., 33., 50., 50.],
                           [50., 0., 64., 10.], [0., 50., 12., 64.]])
    gt_inds = torch.tensor([1, 1, 2, 2, 0, 0])  # 1-based; 0: background
    assign = AssignResult(2, gt_inds, torch.ones(6), labels=torch.tensor([1, 1, 0, 0, -1, -1]))
    result = SamplingResult(pos_inds=torch.tensor([0, 1, 2, 3]), neg_inds=torch.tensor([4, 5]),
                            priors=priors, gt_bboxes=gt.bboxes, assign_result=assign,
                            gt_flags=torch.zeros(6, dtype=torch.uint8))
    return gt, result


def _features(head):
    torch.manual_seed(1)
    channels = head.bbox_roi_extractor.out_channels
    return tuple(torch.rand(1, channels, 64 // 2 ** level, 64 // 2 ** level) for level in range(2, 7))


def _mask_loss(mask_loss, *args):
    return mask_loss(*args)['loss_mask']['loss_mask']


def test_mask_loss_leaves_out_the_positives_on_mask_free_ground_truth():
    head = _head()
    x = _features(head)
    gt, result = _scene([False, True])
    mine = _mask_loss(head.mask_loss, x, [result], None, [gt])
    # an independent reading: mmdet's own head, given only the positives on the first flake
    gt_plain, _ = _scene(None)
    only_first = SamplingResult(pos_inds=torch.tensor([0, 1]), neg_inds=torch.tensor([4, 5]),
                                priors=result.priors, gt_bboxes=gt_plain.bboxes,
                                assign_result=AssignResult(2, torch.tensor([1, 1, 0, 0, 0, 0]), torch.ones(6),
                                                           labels=torch.tensor([1, 1, -1, -1, -1, -1])),
                                gt_flags=torch.zeros(6, dtype=torch.uint8))
    expected = _mask_loss(StandardRoIHead.mask_loss, head, x, [only_first], None, [gt_plain])
    torch.testing.assert_close(mine, expected)
    every = _mask_loss(StandardRoIHead.mask_loss, head, x, [result], None, [gt_plain])
    assert not torch.isclose(mine, every)  # the wrong mask counts when it is a target
    # without the field, or with nothing mask-free, it is mmdet's head
    torch.testing.assert_close(_mask_loss(head.mask_loss, x, [result], None, [gt_plain]), every)
    gt_none, _ = _scene([False, False])
    torch.testing.assert_close(_mask_loss(head.mask_loss, x, [result], None, [gt_none]), every)
    assert len(result.pos_inds) == 4 and len(result.pos_assigned_gt_inds) == 4  # the box loss's copy


def test_all_mask_free_gives_a_zero_mask_loss_that_still_backpropagates():
    head = _head()
    gt, result = _scene([True, True])
    loss = _mask_loss(head.mask_loss, _features(head), [result], None, [gt])
    assert float(loss) == 0.0
    loss.backward()  # a graph, not a constant: DDP and the optimizer see the mask head's parameters


def test_in_the_full_loss_only_the_mask_loss_leaves_mask_free_positives_out():
    """Through ``loss``, with the config's assigner and sampler: classification and box losses are mmdet's,
    so the mask-free flake still is a positive of its class; the mask loss changes."""
    from mmdet.structures import DetDataSample
    head = _head()
    x = _features(head)

    def losses(cls, mask_free):
        gt, result = _scene(mask_free)
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64), batch_input_shape=(64, 64)))
        sample.gt_instances = gt
        proposals = InstanceData(bboxes=result.priors)
        torch.manual_seed(2)  # the same random sample of RoIs for both heads
        return cls.loss(head, x, [proposals], [sample])

    mine, theirs = losses(BoxOnlyRoIHead, [False, True]), losses(StandardRoIHead, None)
    for key in ('loss_cls', 'loss_bbox'):
        torch.testing.assert_close(mine[key], theirs[key])
    assert not torch.isclose(mine['loss_mask'], theirs['loss_mask'])
    torch.testing.assert_close(losses(BoxOnlyRoIHead, [False, False])['loss_mask'], theirs['loss_mask'])


def test_box_loss_leaves_out_the_positives_on_box_free_ground_truth():
    head = _head()
    x = _features(head)
    gt, result = _scene(None)
    gt.box_free = torch.tensor([False, True])
    head._box_free = [gt.box_free]  # as loss() leaves it for bbox_loss
    mine = head.bbox_loss(x, [result])['loss_bbox']
    head._box_free = None
    # an independent reading: mmdet's per-coordinate losses of the six RoIs' targets, of which only the first
    # flake's two positives count, over mmdet's normaliser (the number of sampled RoIs)
    rois = bbox2roi([result.priors])
    out = head._bbox_forward(x, rois)
    targets = head.bbox_head.get_targets([result], head.train_cfg)
    per_coordinate = head.bbox_head.loss(out['cls_score'], out['bbox_pred'], rois, *targets,
                                         reduction_override='none')['loss_bbox']
    assert per_coordinate.shape == (4, 4)  # the four positives, positives first
    torch.testing.assert_close(mine['loss_bbox'], per_coordinate[:2].sum() / 6)
    theirs = StandardRoIHead.bbox_loss(head, x, [result])['loss_bbox']
    torch.testing.assert_close(theirs['loss_bbox'], per_coordinate.sum() / 6)
    torch.testing.assert_close(mine['loss_cls'], theirs['loss_cls'])  # still a positive of its class


def test_in_the_full_loss_box_free_positives_train_the_classifier_only():
    from mmdet.structures import DetDataSample
    head = _head()
    x = _features(head)

    def losses(cls, box_free):
        gt, result = _scene([False, True])
        if box_free is not None:
            gt.box_free = torch.tensor(box_free)
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64), batch_input_shape=(64, 64)))
        sample.gt_instances = gt
        torch.manual_seed(2)  # the same random sample of RoIs for both heads
        return cls.loss(head, x, [InstanceData(bboxes=result.priors)], [sample])

    mine, plain = losses(BoxOnlyRoIHead, [False, True]), losses(BoxOnlyRoIHead, None)
    torch.testing.assert_close(mine['loss_cls'], plain['loss_cls'])
    torch.testing.assert_close(mine['loss_mask'], plain['loss_mask'])
    assert mine['loss_bbox'] < plain['loss_bbox']
    torch.testing.assert_close(losses(BoxOnlyRoIHead, [False, False])['loss_bbox'], plain['loss_bbox'])
    assert head._box_free is None  # nothing left behind for the next batch
    mine['loss_bbox'].backward()


def test_a_shared_roi_extractor_is_refused():
    register_all_modules()
    cfg = Config.fromfile(CPU_CONFIG).model.roi_head
    cfg.update(type='BoxOnlyRoIHead', mask_roi_extractor=None)  # mmdet then shares the box's
    with pytest.raises(ValueError, match='model.roi_head: BoxOnlyRoIHead needs a mask_roi_extractor'):
        MODELS.build(cfg)
    assert MODELS.get('BoxOnlyRoIHead') is BoxOnlyRoIHead
