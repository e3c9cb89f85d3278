from .dense_heads import SASLRPNHead
from .losses import (
                     BackgroundRecalibrationLoss,
                     attention_soft_labels,
                     background_recalibration_loss,
                     instance_prototypes,
)

__all__ = ['SASLRPNHead', 'BackgroundRecalibrationLoss', 'attention_soft_labels',
           'background_recalibration_loss', 'instance_prototypes']
