"""PositiveOracleRPNHead learns the ignored (removed) flakes as positives, as if they were annotated."""
import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.utils import register_all_modules
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from test_sasl_rpn_head import STRIDES, inputs

from qmat.models import PositiveOracleRPNHead

HEAD = dict(
    in_channels=8, feat_channels=8,
    anchor_generator=dict(type='AnchorGenerator', scales=[2], ratios=[0.5, 1.0, 2.0], strides=STRIDES),
    bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4, target_stds=[1.0] * 4),
    loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
    loss_bbox=dict(type='L1Loss', loss_weight=1.0),
    train_cfg=ConfigDict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                      match_low_quality=True, ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=64, pos_fraction=0.5, neg_pos_ub=-1,
                     add_gt_as_proposals=False),
        allowed_border=-1, pos_weight=-1, debug=False))


def test_removed_flakes_are_learnt_as_annotated_ones():
    register_all_modules()
    torch.manual_seed(0)
    oracle = PositiveOracleRPNHead(**HEAD)
    plain = RPNHead(**HEAD)
    plain.load_state_dict(oracle.state_dict())
    feats, gts, metas = inputs()
    removed = [InstanceData(bboxes=torch.tensor([[40.0, 2.0, 62.0, 20.0]]), labels=torch.tensor([2])), None]
    complete = [InstanceData(bboxes=torch.cat([gts[0].bboxes, removed[0].bboxes]),
                             labels=torch.zeros(3, dtype=torch.long)), gts[1]]
    outs = oracle(feats)
    torch.manual_seed(1)
    learnt = oracle.loss_by_feat(*outs, gts, metas, removed)
    torch.manual_seed(1)
    annotated = plain.loss_by_feat(*outs, complete, metas)
    torch.manual_seed(1)
    without = plain.loss_by_feat(*outs, gts, metas, removed)  # RPNHead: ignored instances change nothing here
    for key in ('loss_rpn_cls', 'loss_rpn_bbox'):
        torch.testing.assert_close(sum(learnt[key]), sum(annotated[key]))
    assert not torch.allclose(sum(learnt['loss_rpn_bbox']), sum(without['loss_rpn_bbox']))
