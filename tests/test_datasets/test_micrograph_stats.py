"""Substrate statistics of micrographs, against values computed by hand."""
import colorsys

import numpy as np

from qmat.datasets.micrograph_stats import ranges, substrate_stats, within


def test_a_flat_substrate_with_a_flake():
    image = np.empty((100, 200, 3), np.uint8)
    image[:] = (135, 81, 211)
    image[20:40, 50:100] = (100, 230, 230)  # a cyan flake: 1000 of 20000 pixels
    image[:, :100] += np.array([0, 0, 4], np.uint8)  # a gentle illumination step
    stats = substrate_stats(image)
    assert (stats['r'], stats['g']) == (135, 81) and stats['b'] in (211, 215)
    h, s, _ = colorsys.rgb_to_hsv(135 / 255, 81 / 255, stats['b'] / 255)
    assert abs(stats['hue'] - 360 * h) < 1e-3 and abs(stats['saturation'] - s) < 1e-5
    assert abs(stats['brightness'] - (135 + 81 + stats['b']) / 3 / 255) < 1e-6
    assert abs(stats['not_substrate'] - 0.05) < 0.01
    level = (135 + 81 + 215) / 3, (135 + 81 + 211) / 3
    assert abs(stats['unevenness'] - (level[0] - level[1]) / np.median(level)) < 0.005


def test_ranges_and_lookup():
    rows = [dict(r=float(v), g=50.0, b=200.0) for v in range(0, 101, 10)]
    assert ranges(rows)['r'] == (5.0, 50.0, 95.0)
    assert within(dict(r=55.0, g=55.0, b=195.0), rows)
    assert not within(dict(r=55.0, g=70.0, b=200.0), rows)  # green 20 levels off every one
