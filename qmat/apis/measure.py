"""Physical measurements of one detected flake in its micrograph: area, centroid, optical contrast.

The contrast follows the optics module's convention, ``(I_substrate - I_flake) / I_substrate`` per RGB
channel (positive: the flake is darker), so that a measured flake can be set beside
:func:`qmat.datasets.synthetic.optics.optical_contrast` of a candidate thickness. The substrate is the
median of a ring of pixels around the flake that belong to no detected flake.
"""
from typing import Optional, Sequence

import cv2
import numpy as np

RING_PX = 6


def flake_measurements(image: np.ndarray, mask: np.ndarray, occupied: Optional[np.ndarray] = None,
                       microns_per_pixel: Optional[float] = None, ring_px: int = RING_PX) -> dict:
    """Area, centroid and per-channel optical contrast of the flake ``mask`` in ``image``.

    Args:
        image: H x W x 3 micrograph, RGB order.
        mask: H x W boolean mask of the flake.
        occupied: H x W boolean mask of every detected flake, kept out of the substrate ring
            (default: ``mask``).
        microns_per_pixel: Image scale; without it the area in square micrometres is None.
        ring_px: Width of the substrate ring around the flake, in pixels.

    Returns:
        dict of ``area_px``, ``area_um2``, ``centroid_xy`` (pixels), ``flake_rgb`` (mean),
        ``substrate_rgb`` (median of the ring; NaN when the ring is empty) and ``contrast_rgb``.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be H x W x 3, got shape {image.shape}')
    if mask.shape != image.shape[:2]:
        raise ValueError(f'mask shape {mask.shape} does not match image shape {image.shape[:2]}')
    if microns_per_pixel is not None and not microns_per_pixel > 0:
        raise ValueError(f'microns_per_pixel must be > 0, got {microns_per_pixel}')
    mask = mask.astype(bool)
    occupied = mask if occupied is None else (occupied.astype(bool) | mask)
    area = int(mask.sum())
    ys, xs = np.nonzero(mask)
    pixels = image.reshape(-1, 3).astype(np.float64)
    flake = pixels[mask.ravel()].mean(axis=0) if area else np.full(3, np.nan)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ring_px + 1, 2 * ring_px + 1))
    ring = cv2.dilate(mask.astype(np.uint8), kernel).astype(bool) & ~occupied
    substrate = np.median(pixels[ring.ravel()], axis=0) if ring.any() else np.full(3, np.nan)
    with np.errstate(divide='ignore', invalid='ignore'):
        contrast = (substrate - flake) / substrate
    return dict(area_px=area,
                area_um2=area * microns_per_pixel ** 2 if microns_per_pixel is not None else None,
                centroid_xy=(float(xs.mean()), float(ys.mean())) if area else (float('nan'), float('nan')),
                flake_rgb=flake.tolist(), substrate_rgb=substrate.tolist(), contrast_rgb=contrast.tolist())


def window_flake_measurements(image: np.ndarray, window_mask: np.ndarray, window: Sequence[int],
                              occupied: np.ndarray, microns_per_pixel: Optional[float] = None,
                              ring_px: int = RING_PX) -> dict:
    """:func:`flake_measurements` of a flake whose mask covers only ``window`` = (x0, y0, x1, y1) of
    ``image`` (a tile's mask), computed on a crop around the flake: the same result, without the work and
    memory of a whole-image mask per flake in a 2K micrograph with hundreds of them.

    Args:
        image: H x W x 3 micrograph, RGB order.
        window_mask: (y1 - y0) x (x1 - x0) boolean mask of the flake over the window.
        window: The window's corners in image pixels.
        occupied: H x W boolean mask of every detected flake.
        microns_per_pixel, ring_px: As in :func:`flake_measurements`.
    """
    x0, y0, x1, y1 = window
    if window_mask.shape != (y1 - y0, x1 - x0):
        raise ValueError(f'window mask shape {window_mask.shape} does not match window {tuple(window)}')
    ys, xs = np.nonzero(window_mask)
    if len(ys):  # the flake's box plus the ring (one pixel more: the dilation's reach), inside the image
        margin = ring_px + 1
        height, width = image.shape[:2]
        cx0, cy0 = max(x0 + xs.min() - margin, 0), max(y0 + ys.min() - margin, 0)
        cx1, cy1 = min(x0 + xs.max() + 1 + margin, width), min(y0 + ys.max() + 1 + margin, height)
    else:
        cx0, cy0, cx1, cy1 = x0, y0, x1, y1
    mask = np.zeros((cy1 - cy0, cx1 - cx0), bool)
    # The window and the crop overlap where the flake is; copy the window's part of the crop.
    ox0, oy0, ox1, oy1 = max(cx0, x0), max(cy0, y0), min(cx1, x1), min(cy1, y1)
    mask[oy0 - cy0:oy1 - cy0, ox0 - cx0:ox1 - cx0] = window_mask[oy0 - y0:oy1 - y0, ox0 - x0:ox1 - x0]
    result = flake_measurements(image[cy0:cy1, cx0:cx1], mask, occupied[cy0:cy1, cx0:cx1], microns_per_pixel,
                                ring_px)
    x, y = result['centroid_xy']
    result['centroid_xy'] = (x + cx0, y + cy0)
    return result
