"""A diagnostic, not a method: the RPN trained with the unannotated flakes as positives."""
from typing import List

import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import cat_boxes
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.structures import InstanceData
from torch import Tensor


@MODELS.register_module()
class PositiveOracleRPNHead(RPNHead):
    """RPNHead whose targets include the ignored instances as annotated objects.

    With a training file written by ``tools/data_tools/drop_annotations.py --keep-as-ignored`` the ignored
    instances are the flakes whose annotations were removed, so this RPN learns as if they had been annotated,
    while the R-CNN stage still does not see them. That is the ceiling of any rule that corrects the RPN's
    targets on unannotated flakes, soft labels included: a soft label of at most 1 on a negative anchor can at
    best make it the positive it would have been.
    """

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                     batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        merged = []
        ignored = batch_gt_instances_ignore or [None] * len(batch_gt_instances)
        for gt, removed in zip(batch_gt_instances, ignored):
            if removed is None or len(removed) == 0:
                merged.append(gt)
                continue
            merged.append(InstanceData(bboxes=cat_boxes([gt.bboxes, removed.bboxes]),
                                       labels=torch.cat([gt.labels, torch.zeros_like(removed.labels)])))
        return super().loss_by_feat(cls_scores, bbox_preds, merged, batch_img_metas, None)
