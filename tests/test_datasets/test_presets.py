"""The paper presets reproduce the SASL-RPN paper's instances per image and their own flake sizes."""
import numpy as np
import pytest

from qmat.datasets.synthetic.generator import render_image
from qmat.datasets.synthetic.presets import PAPER_INSTANCES_PER_IMAGE, PAPER_SCENES, PRESETS


def _instances(preset: str, images: int):
    counts, widths = [], []
    cfg = PRESETS[preset]
    for index in range(images):
        _, instances = render_image(np.random.default_rng(index), cfg)
        counts.append(len(instances))
        widths += [np.sqrt(inst['area']) / cfg.image_size[1] for inst in instances]
    return np.array(counts), np.array(widths)


@pytest.mark.parametrize('material', sorted(PAPER_SCENES))
def test_paper_preset_has_the_papers_instances_per_image(material):
    counts, widths = _instances(f'paper-{material}', 300)
    # the paper's counts: hBN 456 / 353, graphene 4805 / 862, MoS2 839 / 569, WTe2 1053 / 318
    assert PAPER_INSTANCES_PER_IMAGE[material] == pytest.approx(
        dict(hbn=1.292, graphene=5.574, mos2=1.475, wte2=3.311)[material], abs=1e-3)
    # 300 images: the standard error of the mean count is about 3 % of it
    assert counts.mean() == pytest.approx(PAPER_INSTANCES_PER_IMAGE[material], rel=0.08)
    assert PRESETS[f'paper-{material}'].material == material
    # flakes of 1-12 % of the image width (sqrt of the area), as in docs/real.md's annotated micrographs
    low, median, high = np.percentile(widths, [5, 50, 95])
    assert 0.005 < low < 0.015 and 0.015 < median < 0.045 and 0.05 < high < 0.13


def test_paper_presets_share_the_papers_aspect():
    for material in PAPER_SCENES:
        height, width = PRESETS[f'paper-{material}'].image_size
        assert width / height == pytest.approx(2040 / 1086, rel=0.01)
