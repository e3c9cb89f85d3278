"""Named scene presets: what a synthetic set should look like, for the tools to start from.

``default`` is :class:`SceneConfig` itself (the quick start and the missing-annotation study). ``real-2k``
imitates real 2K micrographs (1920 x 1080, the cameras of ../docs/data.md's real sets) seen at half their
resolution, 960 x 540, as qmat's fine-tuning configs read them: the four materials on 90 and 285 nm SiO2,
cameras' white balance, gamma and saturation, tens of flakes per image of 8 to 120 pixels, most of them thick
enough for interference colours, torn and folded outlines, thickness wedges, dark frames and dust. The
ranges were chosen by comparing with the real images (``tools/analysis_tools/compare_micrographs.py``).

``paper-<material>`` imitates the data of the SASL-RPN paper (its section 4.1) at a CPU-sized resolution: its
2040 x 1086 micrographs seen at 384 x 204 (5.3 times smaller), with its instances per image (hBN 456 in 353
images, 1.29; graphene 4805 in 862, 5.57; MoS2 839 in 569, 1.47; WTe2 1053 in 318, 3.31; matched within 5 % by
the number of flakes and of terraces, ``tests/datasets/test_presets.py``). The paper gives no flake sizes; the
sizes relative to the image follow the one real annotated set qmat holds (docs/real.md's hBN micrographs: the
square root of a flake's area is 0.8 %, 2.4 % and 8.9 % of the image width at the 5th, 50th and 95th
percentile; here about 1 %, 3 % and 11 %).
"""
from dataclasses import replace
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

# What each paper material's micrographs hold: (flakes per image, probability of thinner terraces), each
# terrace being an instance of its own; measured to give the paper's instances per image.
PAPER_SCENES = {'hbn': ((1, 1), 0.35), 'graphene': ((3, 6), 0.3), 'mos2': ((1, 1), 0.6),
                'wte2': ((2, 4), 0.3)}
# The paper's instances per image (section 4.1: objects / images), which the presets reproduce.
PAPER_INSTANCES_PER_IMAGE = {'hbn': 456 / 353, 'graphene': 4805 / 862, 'mos2': 839 / 569, 'wte2': 1053 / 318}
PAPER_IMAGE_SIZE = (204, 384)  # (height, width): 2040 x 1086 at 1 / 5.3
for _material, (_flakes, _terraces) in PAPER_SCENES.items():
    PRESETS[f'paper-{_material}'] = replace(SceneConfig(), material=_material, image_size=PAPER_IMAGE_SIZE,
                                            flakes=_flakes, terrace_prob=_terraces, radius=(3.0, 40.0))
