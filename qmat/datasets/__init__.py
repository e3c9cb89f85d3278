from .synthetic import generate_dataset

__all__ = ['generate_dataset']
