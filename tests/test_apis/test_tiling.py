"""Tiles cover the image, their cores partition it, and a flake comes out of exactly one tile, whole."""
import numpy as np
import pytest

from qmat.apis import in_core, tile_windows
from qmat.apis.tiling import cross_window_duplicates, cut_by_edge


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


HEIGHT, WIDTH, TILE, OVERLAP = 1536, 2048, 512, 128


def random_flakes(count, seed):
    """Boxes of 2 to OVERLAP px anywhere in the image."""
    rng = np.random.default_rng(seed)
    sizes = rng.uniform(2, OVERLAP, size=(count, 2))
    corners = rng.uniform(0, 1, size=(count, 2)) * (np.array([WIDTH, HEIGHT]) - sizes)
    return np.hstack([corners, corners + sizes])


def test_every_flake_up_to_the_overlap_is_kept_once_and_whole():
    windows, cores = tile_windows(HEIGHT, WIDTH, TILE, OVERLAP)
    boxes = random_flakes(5000, seed=0)
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


def test_with_a_margin_the_owning_tile_still_wins_and_each_flake_stays_once():
    """The hunter keeps detections near the core too; the same box seen by several tiles then comes out
    once, from the tile that owns it (where it lies whole)."""
    windows, cores = tile_windows(HEIGHT, WIDTH, TILE, OVERLAP)
    truth = random_flakes(2000, seed=1)
    # distinct flakes overlap by IoU <= 0.5, as the network's own NMS leaves them
    each = np.ones(len(truth))
    truth = truth[cross_window_duplicates(truth, each, np.arange(len(truth)), each)]
    boxes, sources, owned, flake = [], [], [], []
    for k, core in enumerate(cores):
        near = in_core(truth, core, OVERLAP / 4)
        x0, y0, x1, y1 = windows[k]
        inside = (truth[:, 0] >= x0) & (truth[:, 1] >= y0) & (truth[:, 2] <= x1) & (truth[:, 3] <= y1)
        seen = near & inside  # a window only sees what lies whole inside it, for this check
        boxes.append(truth[seen]), flake.append(np.nonzero(seen)[0])
        sources += [k] * int(seen.sum())
        owned.append(in_core(truth[seen], core))
    boxes, flake, owned = np.concatenate(boxes), np.concatenate(flake), np.concatenate(owned)
    assert len(boxes) > len(truth)  # many flakes near a cut are seen by two or four windows
    keep = cross_window_duplicates(boxes, np.ones(len(boxes)), np.array(sources), owned)
    assert sorted(flake[keep]) == list(range(len(truth))) and owned[keep].all()





def test_cross_window_duplicates_rules():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 1, 10, 11], [50, 50, 60, 60]], float)
    # 0 and 1 from different windows: one flake; 2 from 0's window: the network's own output, kept
    keep = cross_window_duplicates(boxes, np.array([0.6, 0.9, 0.5, 0.7]), np.array([0, 1, 0, 1]),
                                   np.array([True, True, True, True]))
    assert keep.tolist() == [False, True, False, True]  # 2 overlaps the kept 1 (another window): dropped
    keep = cross_window_duplicates(boxes, np.array([0.6, 0.9, 0.5, 0.7]), np.array([0, 1, 0, 1]),
                                   np.array([True, False, True, True]))
    assert keep.tolist() == [True, False, True, True]  # the owning window wins over a higher score
    # a margin detection inside an owned one of another window (IoU 0.25, but all of it covered): dropped;
    # the same box owned by its window is a separate flake at that IoU
    nested = np.array([[0, 0, 20, 20], [0, 0, 10, 10]], float)
    for owned, kept in (([True, False], [True, False]), ([True, True], [True, True])):
        assert cross_window_duplicates(nested, np.array([0.5, 0.9]), np.array([0, 1]),
                                       np.array(owned)).tolist() == kept


def test_cut_by_edge_ignores_the_image_border():
    boxes = np.array([[0, 10, 20, 30], [101, 10, 120, 30], [150, 10, 199, 30], [120, 0, 140, 20]], float)
    # window (100, 0, 200, 100) of a 300 x 100 image: left and right sides are cuts, top and bottom borders
    assert cut_by_edge(boxes, (100, 0, 200, 100), 300, 100).tolist() == [True, True, True, False]
    assert cut_by_edge(boxes, (100, 0, 200, 100), 200, 100).tolist() == [True, True, False, False]
