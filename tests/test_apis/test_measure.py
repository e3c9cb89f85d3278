"""Flake measurements against values computed by hand on painted images."""
import numpy as np
import pytest

from qmat.apis import flake_measurements
from qmat.apis.measure import window_flake_measurements

SUBSTRATE = (100, 150, 200)


def painted(size=(60, 80)):
    image = np.zeros((*size, 3), np.uint8)
    image[:] = SUBSTRATE
    return image


def test_area_centroid_and_contrast_of_a_square_flake():
    image = painted()
    mask = np.zeros(image.shape[:2], bool)
    mask[10:20, 30:45] = True  # 10 rows x 15 columns
    image[mask] = (90, 120, 200)
    result = flake_measurements(image, mask, microns_per_pixel=0.5)
    assert result['area_px'] == 150 and result['area_um2'] == pytest.approx(150 * 0.25)
    assert result['centroid_xy'] == pytest.approx((37.0, 14.5))
    assert result['substrate_rgb'] == pytest.approx(list(SUBSTRATE))
    assert result['contrast_rgb'] == pytest.approx([0.1, 0.2, 0.0])  # darker in red and green


def test_other_flakes_stay_out_of_the_substrate_ring():
    image = painted()
    flake = np.zeros(image.shape[:2], bool)
    flake[20:30, 20:30] = True
    neighbour = np.zeros_like(flake)
    neighbour[12:38, 12:38] = True  # a bright frame around it, one pixel of substrate between
    neighbour[19:31, 19:31] = False
    image[flake] = (50, 75, 100)
    image[neighbour] = (255, 255, 255)
    alone = flake_measurements(image, flake, occupied=flake | neighbour)
    assert alone['substrate_rgb'] == pytest.approx(list(SUBSTRATE))
    assert alone['contrast_rgb'] == pytest.approx([0.5, 0.5, 0.5])
    polluted = flake_measurements(image, flake)  # without the other detections the ring is the frame
    assert polluted['substrate_rgb'] == pytest.approx([255, 255, 255])
    assert alone['area_um2'] is None


def test_a_flake_filling_the_image_has_no_substrate():
    image = painted((8, 8))
    result = flake_measurements(image, np.ones((8, 8), bool))
    assert np.isnan(result['contrast_rgb']).all() and result['area_px'] == 64


@pytest.mark.parametrize('kwargs,message', [
    (dict(mask=np.zeros((5, 5), bool)), 'mask shape'),
    (dict(microns_per_pixel=0.0), 'microns_per_pixel'),
    (dict(image=np.zeros((60, 80), np.uint8)), 'H x W x 3'),
])
def test_bad_input(kwargs, message):
    arguments = dict(image=painted(), mask=np.zeros((60, 80), bool))
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        flake_measurements(**arguments)


@pytest.mark.parametrize('window', [(30, 20, 90, 70), (0, 0, 40, 30), (60, 45, 120, 90)])
def test_measuring_in_a_window_equals_measuring_the_whole_image(window):
    """Random texture, random blobs (some touching the window's or the image's edge) and other flakes:
    the crop-based measurement gives the whole-image one."""
    rng = np.random.default_rng(sum(window))
    image = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    x0, y0, x1, y1 = window
    for _ in range(5):
        window_mask = rng.random((y1 - y0, x1 - x0)) < 0.02
        window_mask[rng.integers(0, y1 - y0, 3), :] = True  # lines to the window's edges
        window_mask &= rng.random(window_mask.shape) < 0.5
        full = np.zeros(image.shape[:2], bool)
        full[y0:y1, x0:x1] = window_mask
        occupied = full | (rng.random(full.shape) < 0.1)
        whole = flake_measurements(image, full, occupied, microns_per_pixel=0.3)
        local = window_flake_measurements(image, window_mask, window, occupied, microns_per_pixel=0.3)
        assert local['area_px'] == whole['area_px'] and local['area_um2'] == pytest.approx(whole['area_um2'])
        for key in ('centroid_xy', 'flake_rgb', 'substrate_rgb', 'contrast_rgb'):
            np.testing.assert_allclose(local[key], whole[key], rtol=1e-12, err_msg=key)


def test_an_empty_window_mask_measures_nothing():
    nothing = np.zeros((60, 80), bool)
    result = window_flake_measurements(painted(), np.zeros((10, 10), bool), (5, 5, 15, 15), nothing)
    assert result['area_px'] == 0 and np.isnan(result['centroid_xy']).all()
    with pytest.raises(ValueError, match='window mask shape'):
        window_flake_measurements(painted(), np.zeros((9, 10), bool), (5, 5, 15, 15), nothing)
