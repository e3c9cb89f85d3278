"""PositiveOracleRPNHead learns the ignored (removed) flakes as positives, as if they were annotated."""
import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.utils import register_all_modules
from mmengine.structures import InstanceData
from test_sasl_rpn_head import RPN_HEAD, inputs

from qmat.models import PositiveOracleRPNHead


def test_removed_flakes_are_learnt_as_annotated_ones():
    register_all_modules()
    torch.manual_seed(0)
    oracle = PositiveOracleRPNHead(**RPN_HEAD)
    plain = RPNHead(**RPN_HEAD)
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
