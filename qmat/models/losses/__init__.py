from .background_recalibration import BackgroundRecalibrationLoss, background_recalibration_loss
from .soft_labels import attention_soft_labels, instance_prototypes

__all__ = ['BackgroundRecalibrationLoss', 'background_recalibration_loss', 'attention_soft_labels',
           'instance_prototypes']
