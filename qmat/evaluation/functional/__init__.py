from .recall import RECALL_IOUS, average_recall, matched_ious

__all__ = ['RECALL_IOUS', 'average_recall', 'matched_ious']
