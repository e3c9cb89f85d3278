from .assigners import CONFUSION, IoUIgnoreAssigner, SelectiveIoUAssigner, reaches_iou
from .samplers import SelectiveIoUSampler

__all__ = ['CONFUSION', 'IoUIgnoreAssigner', 'SelectiveIoUAssigner', 'SelectiveIoUSampler', 'reaches_iou']
