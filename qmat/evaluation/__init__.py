from .soft_label_audit import Variant, audit_soft_labels, audit_table, roc_auc, variant_grid

__all__ = ['Variant', 'audit_soft_labels', 'audit_table', 'roc_auc', 'variant_grid']
