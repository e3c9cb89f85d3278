"""The generator's real-camera options: torn, folded and wedged flakes, dark frames, white balance, gamma and
saturation, substrate colours of real cameras, the visibility cut, and the presets."""
import colorsys
import dataclasses

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from qmat.datasets import SceneConfig, generate_dataset
from qmat.datasets.micrograph_stats import substrate_stats
from qmat.datasets.synthetic import microscope, render_image
from qmat.datasets.synthetic.generator import camera_gains, compose_scene, layer_colour
from qmat.datasets.synthetic.presets import PRESETS
from qmat.datasets.synthetic.shapes import FlakeShape, hexagonal_flake, rasterize, tear

GRID = np.arange(200, dtype=np.float32) + 0.5


def _square(half: float = 40.0):
    return [(0.0, half), (np.pi / 2, half), (np.pi, half), (3 * np.pi / 2, half)]


def test_bites_make_outlines_concave_and_pieces_extend_them():
    shape = FlakeShape((100.0, 100.0), _square(), layers=5)
    body = rasterize(shape, GRID[None], GRID[:, None])[0]
    shape.bites.append(((40.0, 0.0), _square(10.0)))  # a 20 x 20 notch centred on the right edge
    shape.pieces.append(((0.0, -50.0), _square(15.0)))  # a 30 x 30 piece sticking out at the top
    inside = rasterize(shape, GRID[None], GRID[:, None])[0]
    assert body.sum() == 80 * 80
    # the notch: 10 x 20 of it inside the body; the piece: 25 of its 30 rows above the body
    assert inside.sum() == 80 * 80 - 10 * 20 + 25 * 30
    assert not inside[100, 135] and inside[100, 125] and inside[45, 100]


def test_fold_doubles_the_layers_and_wedge_runs_across():
    shape = FlakeShape((100.0, 100.0), _square(), layers=20, folds=[((0.0, 0.0), _square(5.0))])
    layers = rasterize(shape, GRID[None], GRID[:, None])[1]
    assert layers[100, 100] == 40 and layers[100, 130] == 20
    shape = FlakeShape((100.0, 100.0), _square(), layers=20, wedge=(0.0, 0.25))  # +0.25 layers per px in x
    layers = rasterize(shape, GRID[None], GRID[:, None])[1]
    assert layers[100, 99] == 20 and layers[100, 139] == 30 and layers[100, 61] == 10
    assert (layers[:, 80] == layers[100, 80]).sum() == 80  # constant across the wedge's direction


def test_torn_flakes_stay_within_their_reach():
    rng = np.random.default_rng(0)
    for _ in range(20):
        shape = hexagonal_flake(rng, (100.0, 100.0), 50.0, 30)
        tear(rng, shape, 50.0, 30.0, fold_prob=1.0, wedge_prob=1.0)
        x0, y0, x1, y1 = shape.bbox(0.0)
        xs, ys = np.arange(x0 - 30, x1 + 30) + 0.5, np.arange(y0 - 30, y1 + 30) + 0.5
        inside = rasterize(shape, xs[None], ys[:, None])[0]
        rows, cols = np.nonzero(inside)
        assert rows.min() >= 30 and cols.min() >= 30 and rows.max() < inside.shape[0] - 30


def test_real_like_masks_are_exact_and_dark_frames_unannotated():
    cfg = dataclasses.replace(PRESETS['real-2k'], image_size=(135, 240), radius=(4.0, 30.0), border_prob=1.0)
    for seed in range(4):
        image, instances = render_image(np.random.default_rng(seed), cfg)
        frame = image.max(axis=2) < 0.2 * np.median(image.max(axis=2))
        masks = [mask_utils.decode(inst['rle']).astype(bool) for inst in instances]
        if masks:
            assert np.stack(masks).sum(0).max() == 1  # disjoint, also where torn flakes overlap
            assert not (np.any(masks, axis=0) & frame).sum() > 0.02 * frame.sum() + 10
        for inst, mask in zip(instances, masks):
            assert mask.sum() == inst['area'] and inst['contrast'] >= cfg.min_contrast


def test_dark_frame_is_dark_at_an_edge_and_open_inside():
    for seed in range(6):
        opening = microscope.dark_frame(np.random.default_rng(seed), (120, 200))
        assert opening.shape == (120, 200) and opening.min() < 0.5 and opening[60, 100] == 1.0
        edges = np.concatenate([opening[0], opening[-1], opening[:, 0], opening[:, -1]])
        assert edges.min() < 0.5


def test_camera_gains_show_the_substrate_as_the_target():
    substrate = layer_colour('hbn', 0, 90.0)
    for gamma, saturation in ((1.0, 1.0), (2.2, 1.5), (1.6, 0.8)):
        target = np.array([135.0, 81.0, 211.0])
        encoded = (substrate * camera_gains(substrate, target, gamma, saturation)) ** (1 / gamma)
        grey = encoded.mean()
        np.testing.assert_allclose(255 * (grey + saturation * (encoded - grey)), target, atol=0.5)


def test_a_real_camera_s_substrate_colour_comes_out():
    cfg = dataclasses.replace(PRESETS['real-2k'], image_size=(108, 192), flakes=(1, 2), radius=(3.0, 10.0),
                              border_prob=0.0, substrate_colours=((135, 81, 211),), substrate_colour_prob=1.0)
    for seed in range(3):
        stats = substrate_stats(render_image(np.random.default_rng(seed), cfg)[0])
        # give or take 8 levels of jitter, noise, vignetting and JPEG
        assert max(abs(stats['r'] - 135), abs(stats['g'] - 81), abs(stats['b'] - 211)) < 30


def test_gamma_and_saturation_change_the_colours_as_a_camera_does():
    image = np.full((8, 8, 3), 0.25, np.float32) * np.array([1.0, 0.5, 0.25], np.float32)
    rng = np.random.default_rng(0)
    linear = microscope.expose(rng, image.copy(), np.ones((8, 8), np.float32), np.ones(3))
    encoded = microscope.expose(np.random.default_rng(0), image.copy(), np.ones((8, 8), np.float32),
                                np.ones(3),
                                gamma=2.0, saturation=1.5)
    r, g, b = (image[0, 0] ** 0.5)
    grey = (r + g + b) / 3
    expected = 255 * (grey + 1.5 * (np.array([r, g, b]) - grey))
    np.testing.assert_allclose(np.median(encoded.reshape(-1, 3), axis=0), expected, atol=4)
    assert abs(np.median(linear[..., 0]) - 255 * 0.25) < 3
    hue = colorsys.rgb_to_hsv(*(np.median(encoded.reshape(-1, 3), axis=0) / 255))[0]
    assert abs(hue - colorsys.rgb_to_hsv(*image[0, 0])[0]) < 0.02  # the tone curve keeps the hue, roughly


def test_invisible_flakes_are_not_annotated():
    cfg = SceneConfig(material='hbn', image_size=(128, 128), radius=(6.0, 30.0), flakes=(4, 6),
                      class_weights=(1.0, 0.0, 0.0), terrace_prob=0.0, bulk=(0, 0))
    assert render_image(np.random.default_rng(1), cfg)[1]  # hBN monolayers: drawn and annotated ...
    assert not render_image(np.random.default_rng(1), dataclasses.replace(cfg, min_contrast=0.04))[1]


def test_per_image_materials_and_oxides():
    cfg = dataclasses.replace(PRESETS['real-2k'], image_size=(108, 192), radius=(3.0, 20.0))
    materials = {inst['material'] for seed in range(12)
                 for inst in render_image(np.random.default_rng(seed), cfg)[1]}
    assert len(materials) >= 3


def test_thick_layers_reach_interference_colours():
    scene = compose_scene(np.random.default_rng(2), dataclasses.replace(
        SceneConfig(image_size=(128, 128), radius=(6.0, 30.0), flakes=(6, 6)), class_weights=(0, 0, 1),
        thick_layers=(300, 900), terrace_prob=0.0))
    assert max(info['layers'] for info in scene.instances.values()) >= 300


def test_presets_are_valid_and_real_2k_is_half_a_2k_frame():
    for cfg in PRESETS.values():
        cfg.check()
    assert PRESETS['real-2k'].image_size == (540, 960)
    assert PRESETS['default'] == SceneConfig()


@pytest.mark.parametrize('field,value', [('materials', ('graphite', )), ('sio2_choices', (90.0, -5.0)),
                                         ('thick_layers', (5, 40)), ('min_contrast', -0.1),
                                         ('white_balance', -1.0), ('exposure', (0.5, 1.5)),
                                         ('gamma', (0.0, 1.0)), ('torn_prob', 1.2), ('border_prob', -0.1),
                                         ('substrate_colours', ((300, 0, 0), )),
                                         ('substrate_colour_prob', 2.0), ('bulk_layers', (9, 3))])
def test_impossible_realism_values_name_the_field(tmp_path, field, value):
    cfg = dataclasses.replace(SceneConfig(), **{field: value})
    with pytest.raises(ValueError, match=field):
        generate_dataset(str(tmp_path / 'x'), {'train': 1}, cfg)
