"""What a microscope camera does to a chip's reflectance: clutter, optics, sensor and file format.

Everything here acts on a float32 RGB image of linear reflectance and never changes the annotations: the
clutter (tape residue, dust, bulk crystals, scratches) is what an annotator must learn to ignore.
"""
from typing import Tuple

import cv2
import numpy as np


def add_tape_residue(rng: np.random.Generator, image: np.ndarray) -> None:
    """Smooth, faint, brownish films of adhesive left by the exfoliation tape."""
    height, width = image.shape[:2]
    coarse = rng.random((max(2, height // 64), max(2, width // 64))).astype(np.float32)
    field = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    blob = np.clip((field - rng.uniform(0.72, 0.85)) * 8, 0, 1)[..., None]
    tint = np.array([0.97, 0.93, 0.85], np.float32) * rng.uniform(0.96, 1.0)
    image *= 1 - blob * (1 - tint)


def add_dust(rng: np.random.Generator, image: np.ndarray, count: int) -> None:
    """Dark and bright specks, some out of focus."""
    height, width = image.shape[:2]
    for _ in range(count):
        center = (int(rng.integers(width)), int(rng.integers(height)))
        radius = int(rng.integers(1, 5))
        level = rng.uniform(0.25, 0.7) if rng.random() < 0.7 else rng.uniform(1.3, 1.8)
        x0, y0 = max(center[0] - 3 * radius, 0), max(center[1] - 3 * radius, 0)
        patch = image[y0:center[1] + 3 * radius + 1, x0:center[0] + 3 * radius + 1]
        if patch.size == 0:
            continue
        mask = np.zeros(patch.shape[:2], np.float32)
        cv2.circle(mask, (center[0] - x0, center[1] - y0), radius, 1.0, -1)
        if rng.random() < 0.5:
            mask = cv2.GaussianBlur(mask, (0, 0), radius * 0.8)
        patch *= 1 + (level - 1) * mask[..., None]


def add_scratches(rng: np.random.Generator, image: np.ndarray, count: int) -> None:
    """Thin straight or gently curved lines scratched into the oxide."""
    height, width = image.shape[:2]
    for _ in range(count):
        mask = np.zeros((height, width), np.float32)
        start = rng.uniform(0, 1, 2) * (width, height)
        direction = rng.uniform(0, 2 * np.pi)
        length = rng.uniform(0.2, 0.8) * max(height, width)
        bend = rng.normal(0, 0.002)
        points = []
        for t in np.linspace(0, length, 24):
            angle = direction + bend * t
            points.append(start + t * np.array([np.cos(angle), np.sin(angle)]))
        cv2.polylines(mask, [np.round(points).astype(np.int32)], False, 1.0, int(rng.integers(1, 3)))
        image *= (1 + rng.uniform(-0.25, 0.2) * mask)[..., None]


def vignette(image: np.ndarray, strength: float, center: Tuple[float, float]) -> None:
    """Radial fall-off of the illumination (cos^4-like), strongest in the corners."""
    height, width = image.shape[:2]
    ys = (np.arange(height, dtype=np.float32) - center[1] * height) / (0.5 * height)
    xs = (np.arange(width, dtype=np.float32) - center[0] * width) / (0.5 * width)
    falloff = 1 - strength * (ys[:, None] ** 2 + xs[None] ** 2) / 2
    image *= falloff[..., None]


def expose(rng: np.random.Generator, image: np.ndarray, white_level: float,
           channel_gains: np.ndarray) -> np.ndarray:
    """Exposure, colour cast and sensor noise (shot noise plus read noise), then 8 bits."""
    image *= (channel_gains / white_level).astype(np.float32)
    electrons = 4000.0  # full-well-like scale: shot noise of ~1.6 % at mid grey
    noise = rng.standard_normal(image.shape, dtype=np.float32)
    image += noise * np.sqrt(np.clip(image, 0, None) / electrons + rng.uniform(0.002, 0.006) ** 2)
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def defocus(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma) if sigma > 0.2 else image


def jpeg_round_trip(image: np.ndarray, quality: int) -> np.ndarray:
    """Compression artefacts of a JPEG-saving microscope camera (RGB in, RGB out)."""
    ok, data = cv2.imencode('.jpg', image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 image
        raise RuntimeError('JPEG encoding failed')
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]

