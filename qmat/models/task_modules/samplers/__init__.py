from .selective_iou_sampler import SelectiveIoUSampler

__all__ = ['SelectiveIoUSampler']
