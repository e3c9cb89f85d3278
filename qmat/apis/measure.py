"""Physical measurements of one detected flake in its micrograph: area, centroid, optical contrast.

The contrast follows the optics module's convention, ``(I_substrate - I_flake) / I_substrate`` per RGB
channel (positive: the flake is darker), so that a measured flake can be set beside
:func:`qmat.datasets.synthetic.optics.optical_contrast` of a candidate thickness. The substrate is the
median of a ring of pixels around the flake that belong to no detected flake.
"""
from typing import Optional

import cv2
import numpy as np


def flake_measurements(image: np.ndarray, mask: np.ndarray, occupied: Optional[np.ndarray] = None,
                       microns_per_pixel: Optional[float] = None, ring_px: int = 6) -> dict:
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
