"""A small synthetic flake generator: cleaved polygons of three thickness classes on a SiO2/Si substrate.

Each image is a substrate colour with vignetting and sensor noise; each flake is a polygon whose edges run
near multiples of 30 degrees (hexagonal crystals cleave along those), tinted by its thickness class. Flakes
never overlap, so every polygon is also the flake's exact mask. Deterministic by seed.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .writer import CocoSplitWriter

CLASSES = ('mono', 'few', 'thick')
# Substrate RGB (0-1) of 285 nm SiO2 on Si under white light: violet-grey.
SUBSTRATE_RGB = np.array([0.56, 0.47, 0.62])
# Reflectance relative to the substrate per thickness class: a monolayer is a few percent darker (most in
# green), few-layer flakes darker still, thick flakes change hue.
CLASS_TINT = {
    0: np.array([0.96, 0.92, 0.95]),
    1: np.array([0.86, 0.76, 0.84]),
    2: np.array([1.25, 1.30, 0.70]),
}


def cleaved_polygon(rng: np.random.Generator, center: Tuple[float, float], radius: float) -> np.ndarray:
    """A convex polygon whose edge directions are near multiples of 30 degrees; (K, 2) float array."""
    start = rng.uniform(0, np.pi / 3)
    num_edges = int(rng.integers(4, 8))
    steps = np.sort(rng.choice(12, size=num_edges, replace=False)) * (np.pi / 6) + start
    angles = steps + rng.normal(0, 0.04, size=num_edges)
    radii = radius * rng.uniform(0.6, 1.0, size=num_edges)
    points = np.stack([center[0] + radii * np.cos(angles), center[1] + radii * np.sin(angles)], axis=1)
    return cv2.convexHull(points.astype(np.float32)).reshape(-1, 2).astype(np.float64)


def render_image(rng: np.random.Generator, size: Tuple[int, int],
                 num_flakes: int, radius_range: Tuple[float, float]) -> Tuple[np.ndarray, List[dict]]:
    """One micrograph (RGB uint8) and its flakes (label, polygon, area, thickness class name)."""
    height, width = size
    image = np.broadcast_to(SUBSTRATE_RGB * rng.uniform(0.95, 1.05, size=3), (height, width, 3)).copy()
    occupied = np.zeros((height, width), np.uint8)
    instances = []
    for _ in range(num_flakes * 10):  # rejection sampling: flakes must not touch
        if len(instances) == num_flakes:
            break
        radius = rng.uniform(*radius_range)
        center = (rng.uniform(radius, width - radius), rng.uniform(radius, height - radius))
        polygon = cleaved_polygon(rng, center, radius)
        mask = np.zeros((height, width), np.uint8)
        cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
        if mask.sum() < 16 or (cv2.dilate(mask, np.ones((5, 5), np.uint8)) & occupied).any():
            continue
        occupied |= mask
        label = int(rng.integers(len(CLASSES)))
        image[mask.astype(bool)] *= CLASS_TINT[label]
        instances.append(dict(label=label, polygon=polygon.reshape(-1).tolist(), area=int(mask.sum()),
                              thickness_class=CLASSES[label]))
    yy, xx = np.mgrid[0:height, 0:width]
    r2 = ((xx - width / 2) ** 2 + (yy - height / 2) ** 2) / ((width / 2) ** 2 + (height / 2) ** 2)
    image *= (1 - 0.15 * r2)[..., None]  # vignetting
    image += rng.normal(0, 0.012, size=image.shape)  # sensor noise
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8), instances


def generate_dataset(root: str, num_images: Optional[Dict[str, int]] = None,
                     image_size: Tuple[int, int] = (256, 256), flakes_per_image: Tuple[int, int] = (3, 8),
                     radius_range: Optional[Tuple[float, float]] = None, seed: int = 0,
                     splits: Sequence[str] = ('train', 'val')) -> Dict[str, str]:
    """Write a synthetic set in the paper's layout under ``root``.

    Args:
        root: Output dataset root (``annotations/instances_{split}2019.json``, ``{split}2019/``).
        num_images: Images per split, e.g. ``{'train': 16, 'val': 8}``.
        image_size: (height, width) of every image.
        flakes_per_image: Inclusive range of flakes per image.
        radius_range: Range of flake radii in pixels (default: 3 % to 15 % of the shorter side).
        seed: Seed; the same arguments give the same files.
        splits: Splits to write when ``num_images`` is not given (8 images each).

    Returns:
        The annotation file of each split.
    """
    num_images = num_images or {split: 8 for split in splits}
    for name, value in (('image_size', min(image_size)), ('flakes_per_image', min(flakes_per_image))):
        if value < 1:
            raise ValueError(f'{name} must be positive, got {value}')
    radius_range = radius_range or (0.03 * min(image_size), 0.15 * min(image_size))
    if 2 * radius_range[1] >= min(image_size):
        raise ValueError(f'radius_range {radius_range} does not fit images of size {image_size}')
    ann_files = {}
    for split_index, (split, count) in enumerate(num_images.items()):
        rng = np.random.default_rng([seed, split_index])
        writer = CocoSplitWriter(root, split, CLASSES)
        for index in range(count):
            image, instances = render_image(
                rng, image_size, int(rng.integers(flakes_per_image[0], flakes_per_image[1] + 1)),
                radius_range)
            writer.add_image(image, f'{split}_{index:05d}.png', instances)
        ann_files[split] = writer.write()
    return {split: osp.abspath(path) for split, path in ann_files.items()}
