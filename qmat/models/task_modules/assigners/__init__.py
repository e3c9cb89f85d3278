from .iou_ignore_assigner import IoUIgnoreAssigner, on_removed, reaches_iou
from .selective_iou_assigner import CONFUSION, SelectiveIoUAssigner

__all__ = ['CONFUSION', 'IoUIgnoreAssigner', 'SelectiveIoUAssigner', 'on_removed', 'reaches_iou']
