from .flake_dataset import FlakeDataset
from .layout import CocoSplitWriter, split_paths
from .synthetic import SceneConfig, generate_dataset

__all__ = ['FlakeDataset', 'CocoSplitWriter', 'split_paths', 'SceneConfig', 'generate_dataset']
