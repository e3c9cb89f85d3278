"""The three-way anchor assignment of the background recalibration loss (BRL; Zhang et al., ICASSP 2020)."""
from typing import Optional

from mmdet.models.task_modules.assigners import AssignResult, MaxIoUAssigner
from mmdet.registry import TASK_UTILS
from mmengine.structures import InstanceData

CONFUSION = -2  # ``gt_inds`` of a confusion anchor, as in the authors' assigner


@TASK_UTILS.register_module()
class SelectiveIoUAssigner(MaxIoUAssigner):
    """MaxIoUAssigner with BRL's third kind of anchor: the "confusion" anchors.

    ``gt_inds`` of the result: ``> 0`` positive (as MaxIoUAssigner gives them), ``0`` a normal negative (IoU
    in ``[confusion_iou_thr, neg_iou_thr)`` with the nearest annotation), ``-1`` ignored, ``-2`` a confusion
    anchor (IoU below ``confusion_iou_thr`` with every annotation: far from every annotated object, where an
    unannotated one may hide). An image without annotations is all confusion anchors (the authors' assigner
    raises on it instead).

    The authors' ``SelectiveIoUAssigner`` (Dwrety/mmdetection-selective-iou,
    ``mmdet/core/bbox/assigners/selective_iou_assigner.py``, used by
    ``configs/BRL/brl_retinanet_r50_fpn_coco_50p.py`` with ``pos_iou_thr=0.5, neg_iou_thr=(0.1, 0.4),
    confuse_iou_thr=0.1``) sets the same three bands on RetinaNet's thresholds; here the positives and the
    upper end of the negatives keep the thresholds of the assigner this one replaces (for mmdet's RPN 0.7
    and 0.3), so that only the loss differs from that head.

    Args:
        confusion_iou_thr: Anchors whose IoU with every annotation is below it are confusion anchors; in
            ``[0, neg_iou_thr]`` (the authors: 0.1).
        **kwargs: MaxIoUAssigner's arguments; ``neg_iou_thr`` must be a number.
    """

    def __init__(self, confusion_iou_thr: float = 0.1, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(self.neg_iou_thr, (int, float)):
            raise ValueError('SelectiveIoUAssigner.neg_iou_thr must be a number (the normal negatives are '
                             f'[confusion_iou_thr, neg_iou_thr)), got {self.neg_iou_thr!r}')
        if not 0 <= confusion_iou_thr <= self.neg_iou_thr:
            raise ValueError(f'SelectiveIoUAssigner.confusion_iou_thr must be in [0, neg_iou_thr = '
                             f'{self.neg_iou_thr}], got {confusion_iou_thr}')
        self.confusion_iou_thr = confusion_iou_thr

    def assign(self, pred_instances: InstanceData, gt_instances: InstanceData,
               gt_instances_ignore: Optional[InstanceData] = None, **kwargs) -> AssignResult:
        result = super().assign(pred_instances, gt_instances, gt_instances_ignore, **kwargs)
        result.gt_inds[(result.gt_inds == 0) & (result.max_overlaps < self.confusion_iou_thr)] = CONFUSION
        return result
