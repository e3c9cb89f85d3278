"""The sampler of the background recalibration loss: every anchor, the confusion anchors on their own."""
import torch
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import PseudoSampler, SamplingResult
from mmdet.registry import TASK_UTILS
from mmengine.structures import InstanceData

from ..assigners.selective_iou_assigner import CONFUSION


@TASK_UTILS.register_module()
class SelectiveIoUSampler(PseudoSampler):
    """mmdet's PseudoSampler (no sampling: every positive and every normal negative, ``avg_factor`` = the
    number of positives) whose result also carries ``confusion_inds``, the anchors that
    :class:`~qmat.models.task_modules.SelectiveIoUAssigner` marked as confusion anchors. As the authors'
    ``SelectiveIoUSampler`` (Dwrety/mmdetection-selective-iou)."""

    def sample(self, assign_result: AssignResult, pred_instances: InstanceData, gt_instances: InstanceData,
               *args, **kwargs) -> SamplingResult:
        result = super().sample(assign_result, pred_instances, gt_instances, *args, **kwargs)
        result.confusion_inds = torch.nonzero(assign_result.gt_inds == CONFUSION, as_tuple=False).squeeze(-1)
        return result
