from .assigners import CONFUSION, IoUIgnoreAssigner, SelectiveIoUAssigner, on_removed, reaches_iou
from .samplers import SelectiveIoUSampler

__all__ = ['CONFUSION', 'IoUIgnoreAssigner', 'SelectiveIoUAssigner', 'SelectiveIoUSampler', 'on_removed',
           'reaches_iou']
