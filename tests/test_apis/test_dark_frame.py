"""The dark frame of a micrograph, and hunting that drops what lies in it."""
import numpy as np

from qmat.apis import FlakeHunter
from qmat.apis.dark_frame import dark_frame


def chip(height=216, width=384):
    image = np.empty((height, width, 3), np.uint8)
    image[:] = (211, 81, 135)
    return image


def test_a_band_and_black_corners_are_the_frame():
    image = chip()
    image[:24] = 10  # a band along the top
    frame = dark_frame(image)
    assert frame[:20].all() and not frame[30:].any()
    image = chip()
    ys, xs = np.mgrid[:216, :384]
    image[np.hypot(xs - 192, ys - 108) > 200] = 5  # a circular field stop
    frame = dark_frame(image)
    assert frame[0, 0] and frame[-1, -1] and not frame[108, 192]


def test_dark_flakes_and_clean_images_are_not_a_frame():
    image = chip()
    assert not dark_frame(image).any()
    image[90:130, 150:200] = 20  # a dark flake inside the image
    image[0:3, 0:3] = 0  # a dust speck on the edge, too small for a frame
    assert not dark_frame(image).any()


def test_detections_in_the_frame_are_dropped():
    image = chip()
    image[:, :60] = 0  # dark on the left
    mask_in, mask_out = np.zeros((216, 384), bool), np.zeros((216, 384), bool)
    mask_in[50:80, 10:50] = True
    mask_out[50:80, 200:240] = True
    detections = [dict(box=[10, 50, 50, 80], mask=mask_in, window=(0, 0, 384, 216)),
                  dict(box=[200, 50, 240, 80], mask=mask_out, window=(0, 0, 384, 216)),
                  dict(box=[5, 100, 45, 140], mask=None, window=(0, 0, 384, 216))]
    kept = FlakeHunter.outside_dark_frame(image, detections)
    assert [d['box'] for d in kept] == [[200, 50, 240, 80]]
