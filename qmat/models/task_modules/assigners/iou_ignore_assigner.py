"""An assigner that takes out of the background what a complete annotation would not call background."""
from typing import Optional

import torch
from mmdet.models.task_modules.assigners import AssignResult, MaxIoUAssigner
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor
from mmengine.structures import InstanceData


def reaches_iou(boxes: torch.Tensor, others: torch.Tensor, iou_thr: float) -> torch.Tensor:
    """(N,) whether each of ``boxes`` has IoU >= ``iou_thr`` with one of ``others`` (all False if none)."""
    if len(boxes) == 0 or len(others) == 0:
        return boxes.new_zeros(len(boxes), dtype=torch.bool)
    return bbox_overlaps(boxes, others.to(boxes.dtype)).max(dim=1).values >= iou_thr


def on_removed(negatives: torch.Tensor, removed: torch.Tensor, assigner_cfg: dict) -> torch.Tensor:
    """(N,) whether each negative prior lies on a removed flake: a complete annotation would not have called
    it background, its IoU with one of ``removed`` reaching the assigner's ``neg_iou_thr`` (the upper end
    of a ``(low, high)`` range; mmdet's default 0.3 when the config has none)."""
    iou_thr = assigner_cfg.get('neg_iou_thr', 0.3)
    return reaches_iou(negatives, removed, iou_thr if isinstance(iou_thr, (int, float)) else max(iou_thr))


@TASK_UTILS.register_module()
class IoUIgnoreAssigner(MaxIoUAssigner):
    """MaxIoUAssigner that ignores a would-be negative whose IoU with an ignored box reaches a threshold.

    mmdet's ``ignore_iof_thr`` measures the intersection over the *prior's* area: a removed flake smaller
    than half the smallest anchor protects no anchor, and anchors that overlap a larger one by IoU >=
    ``neg_iou_thr`` stay negatives. Here the rule is the assigner's own: with ``ignore_iou_thr`` =
    ``neg_iou_thr`` (the default), exactly the negatives that a complete annotation (the ignored boxes
    annotated too) would not call background are ignored; positives stay as they are. The study's oracles
    use it with the removed flakes kept as ignored instances (``tools/data_tools/drop_annotations.py
    --keep-as-ignored``).

    Args:
        ignore_iou_thr: IoU with an ignored box from which a negative is ignored (default: ``neg_iou_thr``,
            the upper end when it is a range).
        **kwargs: MaxIoUAssigner's arguments (its ``ignore_iof_thr`` must stay off, -1).
    """

    def __init__(self, ignore_iou_thr: Optional[float] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.ignore_iof_thr > 0:
            raise ValueError('IoUIgnoreAssigner ignores by IoU: leave ignore_iof_thr at -1, got '
                             f'{self.ignore_iof_thr}')
        if ignore_iou_thr is None:
            ignore_iou_thr = self.neg_iou_thr if isinstance(self.neg_iou_thr, (int, float)) \
                else max(self.neg_iou_thr)
        if not 0 < ignore_iou_thr <= 1:
            raise ValueError(f'IoUIgnoreAssigner.ignore_iou_thr must be in (0, 1], got {ignore_iou_thr}')
        self.ignore_iou_thr = ignore_iou_thr

    def assign(self, pred_instances: InstanceData, gt_instances: InstanceData,
               gt_instances_ignore: Optional[InstanceData] = None, **kwargs) -> AssignResult:
        result = super().assign(pred_instances, gt_instances, None, **kwargs)
        if gt_instances_ignore is not None and len(gt_instances_ignore):
            negative = (result.gt_inds == 0).nonzero().squeeze(1)
            priors = get_box_tensor(pred_instances.priors)[negative]
            hit = reaches_iou(priors, get_box_tensor(gt_instances_ignore.bboxes), self.ignore_iou_thr)
            result.gt_inds[negative[hit]] = -1  # (a negative's label is already -1)
        return result
