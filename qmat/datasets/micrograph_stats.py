"""What a folder of micrographs looks like, in numbers: substrate colour, brightness, saturation and hue,
the unevenness of the illumination, and the share of the image that is not substrate. The measure by which
qmat's synthetic micrographs are compared with real ones (tools/analysis_tools/compare_micrographs.py)."""
import colorsys
from typing import Dict, List, Sequence

import numpy as np

from qmat.utils import UserInputError

# pixels within this relative distance of the median colour (brightest channel) count as substrate
SUBSTRATE_TOLERANCE = 0.12


def substrate_stats(image: np.ndarray) -> Dict[str, float]:
    """Statistics of an RGB uint8 image's substrate (the pixels near its median colour).

    Returns:
        ``r``, ``g``, ``b``: the substrate's median colour (0-255); ``brightness``: its mean over channels
        / 255; ``saturation`` and ``hue`` (degrees): of that colour in HSV; ``unevenness``: the spread
        (p95 - p5) of the substrate's brightness over its median (vignetting and exposure gradients);
        ``not_substrate``: the share of pixels further than the tolerance from it (flakes, dust, frames).
    """
    pixels = image[::2, ::2].reshape(-1, 3).astype(np.float32)
    median = np.median(pixels, axis=0)
    distance = np.abs(pixels - median).max(axis=1) / max(float(median.max()), 1.0)
    substrate = pixels[distance <= SUBSTRATE_TOLERANCE]
    colour = np.median(substrate, axis=0)
    hue, saturation, _ = colorsys.rgb_to_hsv(*(colour / 255.0))
    level = substrate.mean(axis=1)
    p5, p95 = np.percentile(level, [5, 95])
    return dict(r=float(colour[0]), g=float(colour[1]), b=float(colour[2]),
                brightness=float(colour.mean() / 255), saturation=float(saturation), hue=float(360 * hue),
                unevenness=float((p95 - p5) / np.median(level)),
                not_substrate=float((distance > SUBSTRATE_TOLERANCE).mean()))


def folder_stats(paths: Sequence[str]) -> List[Dict[str, float]]:
    """:func:`substrate_stats` of each image file (decoded as the loader does)."""
    import mmcv
    rows = []
    for path in paths:
        image = mmcv.imread(path, channel_order='rgb')
        if image is None:
            raise UserInputError(f'{path}: not a readable image')
        rows.append(substrate_stats(image))
    return rows


def ranges(rows: List[Dict[str, float]]) -> Dict[str, tuple]:
    """(5th percentile, median, 95th percentile) of every statistic over a folder's images."""
    return {key: tuple(float(v) for v in np.percentile([row[key] for row in rows], [5, 50, 95]))
            for key in rows[0]}


def within(value: Dict[str, float], reference: List[Dict[str, float]], keys: Sequence[str] = ('r', 'g', 'b'),
           tolerance: float = 12.0) -> bool:
    """Whether some image of ``reference`` has a substrate colour within ``tolerance`` (0-255, every
    channel) of ``value``'s: is a real camera's substrate among the synthetic ones?"""
    target = np.array([value[k] for k in keys])
    colours = np.array([[row[k] for k in keys] for row in reference])
    return bool((np.abs(colours - target).max(axis=1) <= tolerance).any())
