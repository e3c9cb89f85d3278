from .dense_heads import SASLRPNHead
from .losses import attention_soft_labels

__all__ = ['SASLRPNHead', 'attention_soft_labels']
