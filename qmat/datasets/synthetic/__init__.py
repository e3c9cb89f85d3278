from .generator import CLASS_LAYERS, CLASSES, SceneConfig, generate_dataset, render_image
from .optics import MATERIALS, SIO2_PRESETS_NM, chip_rgb, optical_contrast

__all__ = [
    'CLASS_LAYERS', 'CLASSES', 'SceneConfig', 'generate_dataset', 'render_image', 'MATERIALS',
    'SIO2_PRESETS_NM', 'chip_rgb', 'optical_contrast'
]
