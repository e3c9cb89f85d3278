"""BRLRPNHead on a hand-built case (a few anchors in each band) against the authors' kernel and head,
written out independently in numpy."""
import numpy as np
import pytest
import torch
from helpers import numpy_iou
from mmdet.utils import register_all_modules
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from test_task_modules import RPN, grid_anchors

from qmat.models import BRLRPNHead

GT = np.array([[9.0, 8.0, 25.0, 24.0]])  # 16 x 16, one pixel off the anchor centred at (16, 16)
LOGITS = np.array([[1.5, -3.0, 2.0, -0.5], [0.3, -2.0, 0.8, 3.0],  # a 4 x 4 map, one anchor per cell
                   [-1.0, 0.5, -4.0, 1.2], [2.5, -0.2, 0.1, -1.5]])


def make_head(**kwargs):
    register_all_modules()
    cfg = dict(
        in_channels=4, feat_channels=4,
        anchor_generator=dict(type='AnchorGenerator', scales=[2], ratios=[1.0], strides=[8]),  # 16 px anchors
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4, target_stds=[1.0] * 4),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0),
        train_cfg=ConfigDict(assigner=dict(type='SelectiveIoUAssigner', confusion_iou_thr=0.1, **RPN),
                             sampler=dict(type='SelectiveIoUSampler'), allowed_border=-1, pos_weight=-1,
                             debug=False),
        test_cfg=ConfigDict(nms_pre=100, max_per_img=20, nms=dict(type='nms', iou_threshold=0.7),
                            min_bbox_size=0))
    cfg.update(kwargs)
    return BRLRPNHead(**cfg)


def kernel(logit, label, gamma_1=2.0, gamma_2=2.0, alpha=0.25, thresh=0.5, beta=1.0):
    """The authors' MirrorSigmoidFocalLossForward for one logit; label 1: object, 0: background."""
    p = 1 / (1 + np.exp(-logit))
    if label == 1:
        return -alpha * (1 - p) ** gamma_1 * np.log(p)
    if 1 - p >= thresh:
        return -(1 - alpha) * p ** gamma_1 * np.log(1 - p)
    return -(1 - alpha) * beta * (1 - p) ** gamma_2 * np.log(p)


def authors_loss(confusion_weight=0.1, confusion_thresh=0.5):
    """Their head's loss_single over two images (the first with GT, the second with none): focal on
    positives and normal negatives, the mirror loss on confusion anchors, all over the positives."""
    anchors = grid_anchors().numpy()
    normal = confusion = bbox = 0.0
    num_pos = 0
    for boxes in (GT, np.zeros((0, 4))):
        best = numpy_iou(anchors, boxes).max(axis=1) if len(boxes) else np.zeros(len(anchors))
        positive = best >= 0.7
        positive[numpy_iou(anchors, boxes).argmax(axis=0)] |= len(boxes) > 0  # each GT's best anchor (>= 0.3)
        num_pos += max(int(positive.sum()), 1)
        for logit, b, pos in zip(LOGITS.flatten(), best, positive):
            if pos:
                normal += kernel(logit, 1)
            elif 0.1 <= b < 0.3:
                normal += kernel(logit, 0, thresh=0.0)  # plain focal loss (the mirror never applies)
            elif b < 0.1:
                confusion += confusion_weight * kernel(logit, 0, thresh=confusion_thresh)
        for anchor in anchors[positive]:  # the regression target of a zero prediction
            (ax, ay), (gx, gy) = (anchor[:2] + anchor[2:]) / 2, (boxes[0, :2] + boxes[0, 2:]) / 2
            size, gsize = anchor[2:] - anchor[:2], boxes[0, 2:] - boxes[0, :2]
            bbox += abs((gx - ax) / size[0]) + abs((gy - ay) / size[1]) + np.abs(np.log(gsize / size)).sum()
    return normal / num_pos, confusion / num_pos, bbox / num_pos


def inputs():
    scores = torch.tensor(np.stack([LOGITS, LOGITS]), dtype=torch.float64)[:, None].requires_grad_()
    deltas = torch.zeros(2, 4, 4, 4, dtype=torch.float64)
    gts = [InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float64),
                        labels=torch.zeros(len(boxes), dtype=torch.long)) for boxes in (GT, np.zeros((0, 4)))]
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32), scale_factor=(1.0, 1.0))] * 2
    return scores, deltas, gts, metas


def test_loss_matches_the_authors_kernel_and_head_on_every_band():
    scores, deltas, gts, metas = inputs()
    losses = make_head().loss_by_feat([scores], [deltas], gts, metas)
    normal, confusion, bbox = authors_loss()
    # (mmdet divides by avg_factor + float32 eps: a relative 6e-8 here)
    assert sum(losses['loss_rpn_cls']).item() == pytest.approx(normal, rel=1e-6)
    assert losses['loss_rpn_confusion'].item() == pytest.approx(confusion, rel=1e-6)
    assert sum(losses['loss_rpn_bbox']).item() == pytest.approx(bbox, rel=1e-6)
    best = numpy_iou(grid_anchors().numpy(), GT).max(axis=1)
    p = 1 / (1 + np.exp(-LOGITS.flatten()))
    assert losses['brl_confusion'] == (best < 0.1).sum() + 16  # the second image: all confusion anchors
    assert losses['brl_recalibrated'] == ((best < 0.1) & (p > 0.5)).sum() + (p > 0.5).sum()


def test_confident_confusion_anchors_are_pushed_up():
    scores, deltas, gts, metas = inputs()
    make_head().loss_by_feat([scores], [deltas], gts, metas)['loss_rpn_confusion'].backward()
    grad, p = scores.grad[1, 0].flatten().numpy(), 1 / (1 + np.exp(-LOGITS.flatten()))
    assert (grad[p > 0.5] < 0).all() and (grad[p < 0.5] > 0).all()  # the image with no annotation


def test_without_recalibration_it_is_a_plain_focal_rpn():
    scores, deltas, gts, metas = inputs()
    control = make_head(loss_confusion=dict(type='BackgroundRecalibrationLoss', thresh=0.0, loss_weight=1.0))
    losses = control.loss_by_feat([scores], [deltas], gts, metas)
    normal, confusion, _ = authors_loss(confusion_weight=1.0, confusion_thresh=0.0)
    assert (sum(losses['loss_rpn_cls']) + losses['loss_rpn_confusion']).item() == pytest.approx(
        normal + confusion, rel=1e-6)
    assert losses['brl_recalibrated'] == 0


def test_starts_from_the_focal_prior_and_needs_the_selective_assignment():
    head = make_head()
    head.init_weights()
    torch.testing.assert_close(head.rpn_cls.bias.sigmoid(), torch.full((1,), 0.01))
    with pytest.raises(ValueError, match='SelectiveIoUSampler'):
        make_head(train_cfg=ConfigDict(assigner=dict(type='MaxIoUAssigner', **RPN),
                                       sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5),
                                       allowed_border=-1, pos_weight=-1, debug=False))
