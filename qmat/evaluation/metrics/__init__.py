from .class_agnostic_coco_metric import ClassAgnosticCocoMetric
from .proposal_recall_metric import ProposalRecallMetric
from .recovered_flakes_metric import RecoveredFlakesMetric, read_removed

__all__ = ['ClassAgnosticCocoMetric', 'ProposalRecallMetric', 'RecoveredFlakesMetric', 'read_removed']
