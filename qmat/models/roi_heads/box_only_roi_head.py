"""Mask R-CNN's RoI head, with ground truth that trains classes, and boxes or masks only where it is told to.

Self-training (:class:`~qmat.models.detectors.SelfTrainingMaskRCNN`) adds the teacher's detections to the
ground truth, each with the teacher's box and mask. A detection's score says how sure the teacher is of the
class, not how well the box fits (Liu et al., *Unbiased Teacher*, 2021, train their pseudo-labels'
classification only), and its mask is a 28 x 28 prediction pasted at the box and binarised, rounder and
coarser than an annotated outline. This head lets such instances be partial ground truth:

- ``gt_instances.mask_free`` True: a positive of the R-CNN's classifier and box regressor as any other, and
  no target of the mask head, whose loss averages over the other positives as mmdet's does over all;
- ``gt_instances.box_free`` True: a positive of the classifier, and no target of the box regressor, whose
  loss keeps mmdet's normalisation (the number of sampled RoIs), so that an annotated flake's positives
  weigh what they weigh in :class:`~mmdet.models.roi_heads.StandardRoIHead`.

Without either field it is :class:`~mmdet.models.roi_heads.StandardRoIHead`.
"""
import copy
from typing import List, Optional, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
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


def regressed(sampling_result: SamplingResult, box_free: Optional[Tensor]) -> Tensor:
    """Per sampled RoI, positives first as in the box head's targets: 1 where its target trains the box
    regressor, 0 on a positive of ``box_free`` ground truth."""
    pos_gt = sampling_result.pos_assigned_gt_inds
    weights = torch.ones(len(pos_gt) + len(sampling_result.neg_inds), device=pos_gt.device)
    if box_free is not None:
        weights[:len(pos_gt)] = (~box_free.to(pos_gt.device)[pos_gt]).float()
    return weights


@MODELS.register_module()
class BoxOnlyRoIHead(StandardRoIHead):
    """:class:`~mmdet.models.roi_heads.StandardRoIHead` whose mask loss skips positives assigned to
    ``mask_free`` ground truth and whose box regression skips those assigned to ``box_free`` ground truth.

    Args:
        **kwargs: As :class:`~mmdet.models.roi_heads.StandardRoIHead`, with ``share_roi_extractor`` False
            (Mask R-CNN's default: the mask branch extracts its own features from the kept positives).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.with_mask and self.share_roi_extractor:
            raise ValueError('model.roi_head: BoxOnlyRoIHead needs a mask_roi_extractor of its own '
                             '(share_roi_extractor is True)')
        self._box_free: Optional[List[Optional[Tensor]]] = None

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList, batch_data_samples: SampleList) -> dict:
        # bbox_loss sees the sampling results alone: which ground truth is box-free waits here for it
        self._box_free = [sample.gt_instances.get('box_free') for sample in batch_data_samples]
        try:
            return super().loss(x, rpn_results_list, batch_data_samples)
        finally:
            self._box_free = None

    def bbox_loss(self, x: Tuple[Tensor], sampling_results: List[SamplingResult]) -> dict:
        if self._box_free is None or all(flags is None for flags in self._box_free):
            return super().bbox_loss(x, sampling_results)
        rois = bbox2roi([result.priors for result in sampling_results])
        bbox_results = self._bbox_forward(x, rois)
        labels, label_weights, bbox_targets, bbox_weights = self.bbox_head.get_targets(
            sampling_results, self.train_cfg)
        weights = torch.cat([regressed(result, flags) for result, flags in zip(sampling_results,
                                                                                self._box_free)])
        bbox_results.update(loss_bbox=self.bbox_head.loss(
            bbox_results['cls_score'], bbox_results['bbox_pred'], rois, labels, label_weights, bbox_targets,
            bbox_weights * weights[:, None]))
        return bbox_results

    def mask_loss(self, x: tuple, sampling_results: List[SamplingResult], bbox_feats: Tensor,
                  batch_gt_instances: InstanceList) -> dict:
        kept = [without_mask_free(result, gt) for result, gt in zip(sampling_results, batch_gt_instances)]
        return super().mask_loss(x, kept, bbox_feats, batch_gt_instances)
