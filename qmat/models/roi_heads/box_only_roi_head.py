"""Mask R-CNN's RoI head, with ground truth that trains boxes and classes but not masks.

Self-training (:class:`~qmat.models.detectors.SelfTrainingMaskRCNN`) adds the teacher's detections to the
ground truth, each with the teacher's mask: a 28 x 28 prediction pasted at the box and binarised, rounder
and coarser than an annotated outline. This head lets such instances be box-and-class ground truth only:
an instance whose ``gt_instances.mask_free`` is True is a positive of the R-CNN's classifier and box
regressor as any other, and no target of the mask head, whose loss averages over the other positives as
mmdet's does over all. Without a ``mask_free`` field it is :class:`~mmdet.models.roi_heads.StandardRoIHead`.
"""
import copy
from typing import List

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.utils import InstanceList
from torch import Tensor


def without_mask_free(sampling_result: SamplingResult, gt_instances) -> SamplingResult:
    """The sampling result with its positives on ``mask_free`` ground truth left out (a copy; the
    original, which the box loss used, is unchanged)."""
    if 'mask_free' not in gt_instances:
        return sampling_result
    keep = ~gt_instances.mask_free.to(sampling_result.pos_assigned_gt_inds.device)[
        sampling_result.pos_assigned_gt_inds]
    kept = copy.copy(sampling_result)
    for name in ('pos_inds', 'pos_priors', 'pos_assigned_gt_inds', 'pos_gt_labels', 'pos_gt_bboxes',
                 'pos_is_gt'):
        setattr(kept, name, getattr(sampling_result, name)[keep])
    return kept


@MODELS.register_module()
class BoxOnlyRoIHead(StandardRoIHead):
    """:class:`~mmdet.models.roi_heads.StandardRoIHead` whose mask loss skips positives assigned to
    ``mask_free`` ground truth.

    Args:
        **kwargs: As :class:`~mmdet.models.roi_heads.StandardRoIHead`, with ``share_roi_extractor`` False
            (Mask R-CNN's default: the mask branch extracts its own features from the kept positives).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.with_mask and self.share_roi_extractor:
            raise ValueError('model.roi_head: BoxOnlyRoIHead needs a mask_roi_extractor of its own '
                             '(share_roi_extractor is True)')

    def mask_loss(self, x: tuple, sampling_results: List[SamplingResult], bbox_feats: Tensor,
                  batch_gt_instances: InstanceList) -> dict:
        kept = [without_mask_free(result, gt) for result, gt in zip(sampling_results, batch_gt_instances)]
        return super().mask_loss(x, kept, bbox_feats, batch_gt_instances)
