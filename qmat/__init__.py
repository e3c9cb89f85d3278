"""qmat: 2D quantum-material flake detection and segmentation on MMDetection 3.

Importing qmat registers its modules in mmdet's registries (configs do it through
``custom_imports=dict(imports=['qmat'], allow_failed_imports=False)``) and sets up safe checkpoint loading.
"""
from . import datasets, engine, evaluation, models  # noqa: F401  (register everything, the weights-only loader)
from .engine import register_safe_checkpoint_types  # noqa: E402
from .version import __version__

register_safe_checkpoint_types()

__all__ = ['__version__']
