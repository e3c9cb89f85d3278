"""What a microscope camera does to a chip's reflectance: clutter, optics, sensor and file format.

Everything here acts on a float32 RGB image of linear reflectance and never changes the annotations: the
clutter (tape residue, dust, bulk crystals, scratches) is what an annotator must learn to ignore.
"""
from typing import Optional, Tuple

import cv2
import numpy as np


def add_tape_residue(rng: np.random.Generator, image: np.ndarray) -> None:
    """Smooth, faint, brownish films of adhesive left by the exfoliation tape."""
    height, width = image.shape[:2]
    coarse = rng.random((max(2, height // 64), max(2, width // 64))).astype(np.float32)
    coarse = (coarse - np.float32(rng.uniform(0.72, 0.85))) * 8
    blob = np.clip(cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1)
    absorbed = 1 - np.array([0.97, 0.93, 0.85], np.float32) * np.float32(rng.uniform(0.96, 1.0))
    rows, columns = np.flatnonzero(blob.any(axis=1)), np.flatnonzero(blob.any(axis=0))
    if rows.size:  # only the part of the image the residue covers
        window = (slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1))
        image[window] *= 1 - blob[window][..., None] * absorbed


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


def vignette(shape: Tuple[int, int], strength: float, center: Tuple[float, float]) -> np.ndarray:
    """(H, W) illumination fall-off (quadratic, cos^4-like), strongest in the corners."""
    height, width = shape
    ys = (np.arange(height, dtype=np.float32) - center[1] * height) / (0.5 * height)
    xs = (np.arange(width, dtype=np.float32) - center[0] * width) / (0.5 * width)
    return 1 - np.float32(strength / 2) * (ys[:, None] ** 2 + xs[None] ** 2)


def dark_frame(rng: np.random.Generator, shape: Tuple[int, int]) -> np.ndarray:
    """(H, W) opening of the optics in [0, 1]: a dark band along one or two edges (a misaligned camera or
    the chip's edge) or a circular field stop that blackens the corners."""
    height, width = shape
    ys = np.arange(height, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(width, dtype=np.float32)[None] + 0.5
    softness = np.float32(rng.uniform(1.5, 6.0))
    if rng.random() < 0.6:
        opening = np.ones(shape, np.float32)
        for edge in rng.choice(4, size=int(rng.integers(1, 3)), replace=False):
            side = height if edge < 2 else width
            depth = np.float32(rng.uniform(0.01, 0.08) * side)
            distance = (ys, height - ys, xs, width - xs)[edge]
            opening = opening * np.clip((distance - depth) / softness + 0.5, 0, 1)
    else:
        radius = rng.uniform(0.40, 0.48) * np.hypot(height, width)  # the corners (0.5) in the dark
        cx, cy = width * rng.uniform(0.45, 0.55), height * rng.uniform(0.45, 0.55)
        distance = np.sqrt((xs - np.float32(cx)) ** 2 + (ys - np.float32(cy)) ** 2)
        opening = np.clip((np.float32(radius) - distance) / softness + 0.5, 0, 1)
    return np.broadcast_to(opening, shape).astype(np.float32)


def expose(rng: np.random.Generator, image: np.ndarray, illumination: np.ndarray,
           channel_gains: np.ndarray, gamma: float = 1.0, saturation: float = 1.0) -> np.ndarray:
    """Illumination, exposure and colour cast, sensor noise (shot plus read noise), the camera's tone
    curve, then 8 bits.

    Args:
        image: (H, W, 3) float32 linear reflectance; overwritten.
        illumination: (H, W) relative illumination (vignetting).
        channel_gains: (3,) exposure times white balance per channel.
        gamma: The camera's encoding gamma (output = linear ** (1 / gamma)); 1 keeps the image linear.
        saturation: Colour saturation around each pixel's grey level, after the gamma.
    """
    image *= illumination[..., None]
    image *= channel_gains.astype(np.float32)
    electrons = np.float32(1 / 4000.0)  # full-well-like scale: shot noise of ~1.6 % at mid grey
    std = np.maximum(image, 0) * electrons
    std += np.float32(rng.uniform(0.002, 0.006) ** 2)
    np.sqrt(std, out=std)
    # Gaussian noise drawn at half resolution and interpolated: spatially correlated like a colour camera's
    # demosaiced noise, and 4 times cheaper. OpenCV's generator, seeded from rng, keeps images reproducible.
    cv2.setRNGSeed(int(rng.integers(2 ** 31)))
    height, width = image.shape[:2]
    half = cv2.randn(np.empty(((height + 1) // 2, (width + 1) // 2, 3), np.float32), 0.0, 1.0)
    std *= cv2.resize(half, (width, height), interpolation=cv2.INTER_LINEAR)
    image += std
    if gamma != 1 or saturation != 1:
        np.clip(image, 0, 1, out=image)
        image **= np.float32(1 / gamma)
        grey = image.mean(axis=2, keepdims=True)
        image -= grey
        image *= np.float32(saturation)
        image += grey
    image *= 255
    image += 0.5
    np.clip(image, 0, 255, out=image)
    return image.astype(np.uint8)


def defocus(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma) if sigma > 0.2 else image


def encode(image: np.ndarray, jpeg_quality: Optional[int]) -> bytes:
    """File bytes of an RGB image: JPEG at ``jpeg_quality`` (as microscope cameras often save), else PNG."""
    if jpeg_quality:
        ok, data = cv2.imencode('.jpg', image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    else:
        ok, data = cv2.imencode('.png', image[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 image
        raise RuntimeError('image encoding failed')
    return data.tobytes()
