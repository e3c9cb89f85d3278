from .self_training_mask_rcnn import SelfTrainingMaskRCNN, select_pseudo_labels

__all__ = ['SelfTrainingMaskRCNN', 'select_pseudo_labels']
