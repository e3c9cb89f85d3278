from . import task_modules  # noqa: F401  (registers the assigners and the sampler)
from .dense_heads import BRLRPNHead, PositiveOracleRPNHead, SASLRPNHead
from .detectors import SelfTrainingMaskRCNN, select_pseudo_labels
from .losses import (
                     BackgroundRecalibrationLoss,
                     attention_soft_labels,
                     background_recalibration_loss,
                     instance_prototypes,
)
from .roi_heads import BoxOnlyRoIHead

__all__ = ['BRLRPNHead', 'PositiveOracleRPNHead', 'SASLRPNHead', 'BackgroundRecalibrationLoss',
           'attention_soft_labels', 'background_recalibration_loss', 'instance_prototypes',
           'SelfTrainingMaskRCNN', 'select_pseudo_labels', 'BoxOnlyRoIHead']
