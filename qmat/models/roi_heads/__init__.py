from .box_only_roi_head import BoxOnlyRoIHead, without_mask_free

__all__ = ['BoxOnlyRoIHead', 'without_mask_free']
