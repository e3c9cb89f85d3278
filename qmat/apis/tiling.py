"""Overlapping tiles for micrographs larger than the model's input, and which tile owns which detection.

Windows of ``tile`` pixels step by ``tile - overlap``; the last one in each direction is aligned to the image
edge. Each window has a core, and the cores partition the image: between two neighbouring windows the cut
lies in the middle of their overlap. A detection is kept only from the window whose core holds its box
centre. The core sits at least ``overlap / 2`` inside its window wherever the window has a neighbour, so a
flake no larger than the overlap whose centre lies in the core lies whole inside that window: with
``overlap`` at least the largest flake's size, every flake comes out once and whole.

A real network does not draw the same box for a flake in two windows: near a cut, both boxes may have
their centres in their own cores (a duplicate) or neither (a lost flake). So the hunter also keeps
detections whose centre lies within a margin of the core, and :func:`cross_window_duplicates` then keeps
one of each group that overlaps across windows, preferring the one from the window that owns it.

qmat keeps its own tiling rather than ``mmdet.utils.large_image``: that needs the ``sahi`` package, merges
the tiles' detections by NMS alone, and pastes every mask at full image size: hundreds of full-size masks at
once for a 2K micrograph with hundreds of flakes.
"""
from typing import List, Tuple

import numpy as np

from qmat.utils import box_iom, box_iou

Window = Tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def _starts(size: int, tile: int, overlap: int) -> List[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, tile - overlap))
    return starts + [size - tile]


def _cuts(starts: List[int], tile: int, size: int) -> List[int]:
    """Core boundaries in one direction: 0, the middle of each overlap, size."""
    ends = [min(s + tile, size) for s in starts]
    return [0] + [(starts[i + 1] + ends[i]) // 2 for i in range(len(starts) - 1)] + [size]


def tile_windows(height: int, width: int, tile: int, overlap: int) -> Tuple[List[Window], List[Window]]:
    """Windows covering an image and their cores (which partition it).

    Args:
        height, width: Image size in pixels.
        tile: Window size (square), > overlap.
        overlap: Pixels shared by neighbouring windows, >= 0.

    Returns:
        (windows, cores), both as (x0, y0, x1, y1) with exclusive ends, in row-major order.
    """
    if not 0 <= overlap < tile:
        raise ValueError(f'tiling needs 0 <= overlap < tile, got overlap {overlap} and tile {tile}')
    xs, ys = _starts(width, tile, overlap), _starts(height, tile, overlap)
    x_cuts, y_cuts = _cuts(xs, tile, width), _cuts(ys, tile, height)
    windows, cores = [], []
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            windows.append((x, y, min(x + tile, width), min(y + tile, height)))
            cores.append((x_cuts[i], y_cuts[j], x_cuts[i + 1], y_cuts[j + 1]))
    return windows, cores


def in_core(boxes: np.ndarray, core: Window, margin: float = 0.0) -> np.ndarray:
    """Which of the (N, 4) image-coordinate boxes (x1, y1, x2, y2) have their centre inside ``core``
    grown by ``margin`` pixels on every side."""
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return ((cx >= core[0] - margin) & (cx < core[2] + margin) & (cy >= core[1] - margin)
            & (cy < core[3] + margin))


def cut_by_edge(boxes: np.ndarray, window: Window, width: int, height: int,
                tolerance: float = 2.0) -> np.ndarray:
    """Which boxes reach (within ``tolerance`` px) a side of ``window`` that is not the image's border:
    what the window's edge may have cut."""
    x0, y0, x1, y1 = window
    return (((boxes[:, 0] <= x0 + tolerance) & (x0 > 0)) | ((boxes[:, 1] <= y0 + tolerance) & (y0 > 0))
            | ((boxes[:, 2] >= x1 - tolerance) & (x1 < width))
            | ((boxes[:, 3] >= y1 - tolerance) & (y1 < height)))


def cross_window_duplicates(boxes: np.ndarray, scores: np.ndarray, windows: np.ndarray, owned: np.ndarray,
                            iou_thr: float = 0.5) -> np.ndarray:
    """Which detections to keep when detections of different windows are one flake.

    Greedy, as NMS, in the order: owned (the centre in the window's own core) first, then by score. Only
    pairs from different windows suppress each other: what one window found is the network's own output.
    An owned detection is a duplicate of a kept one from another window at box IoU > ``iou_thr`` (both
    centres fell in their own cores). A detection from a core's margin is a second look at a flake that
    its owner may have drawn with quite another box: it is dropped as soon as the intersection covers more
    than ``iou_thr`` of the smaller box; it stays only where no owner found anything.

    Args:
        boxes: (N, 4) boxes in image coordinates.
        scores: (N,) scores.
        windows: (N,) index of the window each detection came from.
        owned: (N,) whether the detection's centre lies in its window's core.

    Returns:
        (N,) boolean mask of the detections kept.
    """
    owned = owned.astype(bool)
    order = np.lexsort((-scores, ~owned))
    overlap = np.where(owned[:, None], box_iou(boxes, boxes), box_iom(boxes, boxes))
    same_flake = overlap > iou_thr
    keep = np.zeros(len(boxes), bool)
    for i in order:
        rivals = keep & same_flake[i] & (windows != windows[i])
        keep[i] = not rivals.any()
    return keep
