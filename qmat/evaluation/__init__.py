from .functional import average_recall, matched_ious
from .metrics import ClassAgnosticCocoMetric, ProposalRecallMetric, RecoveredFlakesMetric, read_removed
from .soft_label_audit import audit_soft_labels, audit_table, roc_auc, variant_grid

__all__ = ['average_recall', 'matched_ious', 'ClassAgnosticCocoMetric', 'ProposalRecallMetric',
           'RecoveredFlakesMetric', 'read_removed',
           'audit_soft_labels', 'audit_table', 'roc_auc', 'variant_grid']
