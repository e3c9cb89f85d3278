"""Named scene presets: what a synthetic set should look like, for the tools to start from.

``default`` is :class:`SceneConfig` itself (the quick start and the missing-annotation study). ``real-2k``
imitates real 2K micrographs (1920 x 1080, the cameras of ../docs/data.md's real sets) seen at half their
resolution, 960 x 540, as qmat's fine-tuning configs read them: the four materials on 90 and 285 nm SiO2,
cameras' white balance, gamma and saturation, tens of flakes per image of 8 to 120 pixels, most of them thick
enough for interference colours, torn and folded outlines, thickness wedges, dark frames and dust. The
ranges were chosen by comparing with the real images (``tools/analysis_tools/compare_micrographs.py``).
"""
from typing import Dict

from .generator import SceneConfig

# Median substrate colours (RGB) of the real cameras in docs/data.md's folders, measured by
# tools/analysis_tools/compare_micrographs.py: an hBN lab's (violet, 90 nm SiO2 or so), MaskTerial's hBN,
# MoSe2 and WS2 cameras, and the two settings of 2DMatGMM's graphene camera.
REAL_SUBSTRATES = ((135, 81, 211), (156, 159, 154), (94, 82, 106), (148, 130, 174), (58, 111, 103),
                   (125, 121, 170))

PRESETS: Dict[str, SceneConfig] = {
    'default': SceneConfig(),
    'real-2k': SceneConfig(
        materials=('graphene', 'hbn', 'mos2', 'wte2'),
        sio2_choices=(90.0, 285.0),
        image_size=(540, 960),
        flakes=(8, 50),
        radius=(4.0, 60.0),
        class_weights=(0.15, 0.25, 0.60),
        thick_layers=(10, 1200),
        torn_prob=0.7,
        fold_prob=0.2,
        wedge_prob=0.4,
        overlap_prob=0.3,
        min_contrast=0.04,
        bulk=(0, 1),
        residue_prob=0.25,
        dust=(5, 60),
        scratches=(0, 2),
        blur=(0.0, 1.2),
        vignetting=(0.02, 0.12),
        white_balance=0.25,
        substrate_colours=REAL_SUBSTRATES,
        substrate_colour_prob=0.5,
        exposure=(0.45, 0.85),
        gamma=(1.0, 2.2),
        saturation=(0.8, 1.8),
        border_prob=0.3),
}
