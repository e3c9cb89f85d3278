"""Overlapping tiles for micrographs larger than the model's input, and which tile owns which detection.

Windows of ``tile`` pixels step by ``tile - overlap``; the last one in each direction is aligned to the image
edge. Each window has a core, and the cores partition the image: between two neighbouring windows the cut
lies in the middle of their overlap. A detection is kept only from the window whose core holds its box
centre. The core sits at least ``overlap / 2`` inside its window wherever the window has a neighbour, so a
flake no larger than the overlap whose centre lies in the core lies whole inside that window: with
``overlap`` at least the largest flake's size, every flake comes out once and whole.
"""
from typing import List, Tuple

import numpy as np

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


def in_core(boxes: np.ndarray, core: Window) -> np.ndarray:
    """Which of the (N, 4) image-coordinate boxes (x1, y1, x2, y2) have their centre inside ``core``."""
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return (cx >= core[0]) & (cx < core[2]) & (cy >= core[1]) & (cy < core[3])
