from .soft_labels import attention_soft_labels

__all__ = ['attention_soft_labels']
