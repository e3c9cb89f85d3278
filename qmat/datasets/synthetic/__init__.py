from .generator import CLASSES, generate_dataset, render_image
from .writer import CocoSplitWriter, split_paths

__all__ = ['CLASSES', 'generate_dataset', 'render_image', 'CocoSplitWriter', 'split_paths']
