"""The folder hunt's pieces: which files count as images, the overlay drawn by mmdet's visualizer, and the
input checks made once, before anything is written."""
import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from qmat.apps.hunt_folder import draw, hunt_images, list_images
from qmat.datasets import FlakeDataset
from qmat.utils import UserInputError
from qmat.visualization import flake_visualizer


def disc(shape, centre, radius):
    mask = np.zeros(shape, np.uint8)
    cv2.circle(mask, centre, radius, 1, -1)
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle['counts'] = rle['counts'].decode('ascii')
    x, y = centre
    return mask.astype(bool), rle, [x - radius, y - radius, x + radius, y + radius]


def test_list_images_takes_folders_files_and_patterns_once(tmp_path):
    for name in ('b.png', 'a.JPG', 'c.tif', 'notes.txt', 'd.webp'):
        (tmp_path / name).write_bytes(b'')
    found = list_images([str(tmp_path), str(tmp_path / 'a.JPG'), str(tmp_path / '*.png')])
    assert [p.rsplit('/', 1)[1] for p in found] == ['a.JPG', 'b.png', 'c.tif', 'd.webp']


def test_overlay_tints_each_flake_in_its_class_colour_and_leaves_the_rest():
    image = np.full((120, 160, 3), 128, np.uint8)
    mono, mono_rle, mono_box = disc(image.shape[:2], (40, 60), 15)
    thick, thick_rle, thick_box = disc(image.shape[:2], (120, 60), 15)
    flakes = [dict(thickness='mono', score=0.9, bbox=mono_box, segmentation=mono_rle),
              dict(thickness='thick', score=0.8, bbox=thick_box, segmentation=thick_rle)]
    visualizer = flake_visualizer(FlakeDataset.METAINFO['classes'], 'test')
    out = draw(visualizer, image, flakes)
    assert out.shape == image.shape
    palette = dict(zip(FlakeDataset.METAINFO['classes'], FlakeDataset.METAINFO['palette']))
    for (x, y), name in (((40, 60), 'mono'), ((120, 60), 'thick')):
        rgb = out[y - 3:y + 4, x - 3:x + 4].reshape(-1, 3)[:, ::-1].mean(axis=0)  # the flake's middle, RGB
        expected = 0.55 * 128 + 0.45 * np.array(palette[name])  # blended at the visualizer's alpha 0.45
        assert np.abs(rgb - expected).max() <= 1, (name, rgb, expected)
    assert mono[60, 40] and thick[60, 120]
    far = np.ones(image.shape[:2], bool)
    far[:, 10:150] = False  # the flakes, their boxes and labels lie in between
    assert (out[far] == 128).all()
    empty = draw(visualizer, image, [])
    assert (empty == image).all()


class FakeHunter:
    classes, microns_per_pixel = ('mono', 'few', 'thick'), None

    def hunt(self, image):
        raise AssertionError('must not run: the input is checked first')


@pytest.mark.parametrize('kwargs,message', [(dict(classes=['bulk']), "['bulk'] are not classes"),
                                            (dict(min_area_um2=5.0), 'needs --microns-per-pixel')])
def test_bad_hunt_options_stop_before_anything_is_written(tmp_path, kwargs, message):
    with pytest.raises(UserInputError, match=message.replace('[', r'\[').replace(']', r'\]')):
        hunt_images(FakeHunter(), ['a.png'], str(tmp_path / 'out'), **kwargs)
    assert not (tmp_path / 'out').exists()
    with pytest.raises(UserInputError, match='no images'):
        hunt_images(FakeHunter(), [], str(tmp_path / 'out'))
