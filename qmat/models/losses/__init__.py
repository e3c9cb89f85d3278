from .background_recalibration import BackgroundRecalibrationLoss, background_recalibration_loss
from .soft_label_rule import SoftLabelRule
from .soft_labels import NORMS, attention, attention_soft_labels, instance_prototypes, prepare

__all__ = ['BackgroundRecalibrationLoss', 'background_recalibration_loss', 'NORMS', 'attention',
           'attention_soft_labels', 'instance_prototypes', 'prepare', 'SoftLabelRule']
