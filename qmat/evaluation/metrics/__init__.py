from .proposal_recall_metric import ProposalRecallMetric
from .recovered_flakes_metric import RecoveredFlakesMetric, read_removed

__all__ = ['ProposalRecallMetric', 'RecoveredFlakesMetric', 'read_removed']
