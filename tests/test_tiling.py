"""Tiles cover the image, their cores partition it, and a flake comes out of exactly one tile, whole."""
import numpy as np
import pytest

from qmat.apis import in_core, tile_windows


def test_an_image_that_fits_is_one_window():
    windows, cores = tile_windows(300, 400, tile=512, overlap=64)
    assert windows == cores == [(0, 0, 400, 300)]


@pytest.mark.parametrize('height,width,tile,overlap', [(1536, 2048, 512, 128), (1000, 700, 300, 100),
                                                       (513, 512, 512, 64), (2000, 2000, 640, 0)])
def test_windows_cover_and_cores_partition(height, width, tile, overlap):
    windows, cores = tile_windows(height, width, tile, overlap)
    covered, owned = np.zeros((height, width), int), np.zeros((height, width), int)
    for (x0, y0, x1, y1), (cx0, cy0, cx1, cy1) in zip(windows, cores):
        assert x1 - x0 <= tile and y1 - y0 <= tile and x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height
        assert x0 <= cx0 < cx1 <= x1 and y0 <= cy0 < cy1 <= y1  # a core lies inside its window
        covered[y0:y1, x0:x1] += 1
        owned[cy0:cy1, cx0:cx1] += 1
    assert (covered >= 1).all() and (owned == 1).all()


def test_every_flake_up_to_the_overlap_is_kept_once_and_whole():
    height, width, tile, overlap = 1536, 2048, 512, 128
    windows, cores = tile_windows(height, width, tile, overlap)
    rng = np.random.default_rng(0)
    sizes = rng.uniform(2, overlap, size=(5000, 2))
    corners = rng.uniform(0, 1, size=(5000, 2)) * (np.array([width, height]) - sizes)
    boxes = np.hstack([corners, corners + sizes])
    owners = np.stack([in_core(boxes, core) for core in cores])
    assert (owners.sum(axis=0) == 1).all()  # exactly one tile keeps each flake
    for k, (x0, y0, x1, y1) in enumerate(windows):
        mine = boxes[owners[k]]
        assert (mine[:, 0] >= x0).all() and (mine[:, 1] >= y0).all()  # and it lies whole in that tile
        assert (mine[:, 2] <= x1).all() and (mine[:, 3] <= y1).all()


@pytest.mark.parametrize('tile,overlap', [(512, 512), (512, -1)])
def test_bad_overlap(tile, overlap):
    with pytest.raises(ValueError, match='0 <= overlap < tile'):
        tile_windows(1000, 1000, tile, overlap)
