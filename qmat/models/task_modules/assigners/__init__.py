from .iou_ignore_assigner import IoUIgnoreAssigner, reaches_iou
from .selective_iou_assigner import CONFUSION, SelectiveIoUAssigner

__all__ = ['CONFUSION', 'IoUIgnoreAssigner', 'SelectiveIoUAssigner', 'reaches_iou']
