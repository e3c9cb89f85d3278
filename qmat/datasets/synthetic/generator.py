"""Synthetic optical micrographs of exfoliated flakes, with exact and complete instance annotations.

A scene is drawn as a map of layer counts: flakes (cleaved polygons or ribbons, some with thinner terraces,
some overlapping), and unlabelled bulk crystals. Each layer count is coloured by thin-film optics
(:mod:`.optics`), then the microscope adds clutter, vignetting, colour cast, defocus, noise and JPEG
artefacts (:mod:`.microscope`). Every thickness region of a flake that is visible is one instance, labelled
by its thickness class; masks are exact (run-length encoded from the drawn map), also where flakes touch or
overlap. Each image has its own random stream derived from (seed, split, index): a set is reproduced byte
for byte by its arguments, whatever the number of worker processes.
"""
import multiprocessing
import os.path as osp
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from ..flake_dataset import FlakeDataset
from ..layout import CocoSplitWriter
from . import microscope
from .optics import MATERIALS, chip_rgb, optical_contrast
from .shapes import FlakeShape, add_terraces, hexagonal_flake, rasterize, ribbon_flake

CLASSES = FlakeDataset.METAINFO['classes']  # the generator's labels are the dataset's classes
# Layer counts of each thickness class (as in tdmms/bep: mono 1 layer, few 2-9, thick 10-40).
CLASS_LAYERS = {0: (1, 1), 1: (2, 9), 2: (10, 40)}
BULK_LAYERS = (150, 900)  # unlabelled bulk crystals: hundreds of nm thick


@dataclass
class SceneConfig:
    """What a generated micrograph contains. Ranges are inclusive (low, high).

    Args:
        material: One of ``graphene``, ``hbn``, ``mos2``, ``wte2``.
        sio2_nm: Oxide thickness; 285 and 90 nm are the usual chips.
        image_size: (height, width) in pixels.
        flakes: Number of flakes per image (sparse: a few; dense 2K images: hundreds).
        radius: Flake radii in pixels, drawn log-uniformly (a few pixels to hundreds).
        min_area: Visible regions smaller than this (pixels) are not annotated: slivers of covered or
            cut-off flakes that no annotator would label.
        class_weights: Probability of mono / few / thick for a flake's body.
        terrace_prob: Probability that a flake has thinner terraces.
        overlap_prob: Probability that a flake may lie over earlier ones (else it is placed apart).
        bulk: Number of unlabelled bulk crystals.
        dust: Number of dust specks.
        scratches: Number of scratches.
        residue_prob: Probability of tape residue.
        blur: Defocus blur sigma in pixels.
        vignetting: Strength of the illumination fall-off at the corners.
        white_balance_drift: Relative spread of the per-channel gains between images.
        jpeg_prob: Probability that an image is saved as JPEG (with its artefacts), else as PNG.
        jpeg_quality: JPEG quality range.
    """
    material: str = 'graphene'
    sio2_nm: float = 285.0
    image_size: Tuple[int, int] = (512, 512)
    flakes: Tuple[int, int] = (3, 12)
    radius: Tuple[float, float] = (4.0, 90.0)
    min_area: int = 6
    class_weights: Tuple[float, float, float] = (0.35, 0.35, 0.30)
    terrace_prob: float = 0.4
    overlap_prob: float = 0.15
    bulk: Tuple[int, int] = (0, 2)
    dust: Tuple[int, int] = (0, 25)
    scratches: Tuple[int, int] = (0, 1)
    residue_prob: float = 0.4
    blur: Tuple[float, float] = (0.0, 1.0)
    vignetting: Tuple[float, float] = (0.05, 0.3)
    white_balance_drift: float = 0.04
    jpeg_prob: float = 0.9
    jpeg_quality: Tuple[int, int] = (80, 97)

    def check(self) -> None:
        """Raise ValueError naming the field if a value is impossible."""
        if self.material not in MATERIALS:
            raise ValueError(f'material must be one of {sorted(MATERIALS)}, got {self.material!r}')
        if self.sio2_nm < 0:
            raise ValueError(f'sio2_nm must be >= 0, got {self.sio2_nm}')
        if min(self.image_size) < 16:
            raise ValueError(f'image_size must be at least 16 x 16, got {self.image_size}')
        if self.min_area < 0:
            raise ValueError(f'min_area must be >= 0, got {self.min_area}')
        for name in ('flakes', 'radius', 'bulk', 'dust', 'scratches', 'blur', 'vignetting', 'jpeg_quality'):
            low, high = getattr(self, name)
            if low < 0 or high < low:
                raise ValueError(f'{name} must be a range 0 <= low <= high, got {(low, high)}')
        if self.radius[0] <= 0 or 2 * self.radius[1] >= min(self.image_size):
            raise ValueError(f'radius {self.radius} must be > 0 and fit images of size {self.image_size}')
        weights = np.asarray(self.class_weights, dtype=float)
        if weights.shape != (3,) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f'class_weights must be 3 non-negative numbers, got {self.class_weights}')
        for name in ('terrace_prob', 'overlap_prob', 'residue_prob', 'jpeg_prob'):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {getattr(self, name)}')


@lru_cache(maxsize=None)
def layer_colour(material: str, layers: int, sio2_nm: float) -> np.ndarray:
    return chip_rgb(material, layers, sio2_nm).astype(np.float32)


@lru_cache(maxsize=None)
def layer_contrast(material: str, layers: int, sio2_nm: float) -> float:
    """The largest per-channel contrast magnitude: how visible a region is to an annotator."""
    return float(np.abs(optical_contrast(material, layers, sio2_nm)).max())


def thickness_class(layers: int) -> int:
    return next(label for label, (low, high) in CLASS_LAYERS.items() if low <= layers <= high)


@dataclass
class Scene:
    """The drawn maps of one image: layer count and instance id per pixel, and each instance's record."""
    layers: np.ndarray
    instance_ids: np.ndarray
    instances: Dict[int, dict] = field(default_factory=dict)
    layer_counts: Set[int] = field(default_factory=lambda: {0})  # every count drawn (0: bare substrate)


def _draw(scene: Scene, shape: FlakeShape, extent: float, labelled: bool, flake_id: int) -> bool:
    """Paint ``shape`` over the scene; returns False (drawing nothing) if it lies outside the image."""
    height, width = scene.layers.shape
    x0, y0, x1, y1 = shape.bbox(extent)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return False
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(x0, x1, dtype=np.float32)[None] + 0.5
    inside, layers = rasterize(shape, xs, ys)
    if not inside.any():
        return False
    scene.layers[y0:y1, x0:x1][inside] = layers[inside]
    counts = [int(count) for count in np.unique(layers[inside])]
    scene.layer_counts.update(counts)
    ids = scene.instance_ids[y0:y1, x0:x1]
    if not labelled:
        ids[inside] = 0
        return True
    for count in counts:
        label = thickness_class(count)
        key = next((k for k, v in scene.instances.items()
                    if v['flake_id'] == flake_id and v['label'] == label), None)
        if key is None:
            key = len(scene.instances) + 1
            scene.instances[key] = dict(label=label, flake_id=flake_id, layers=count)
        ids[inside & (layers == count)] = key
    return True


def _sample_layers(rng: np.random.Generator, label: int) -> int:
    low, high = CLASS_LAYERS[label]
    return int(rng.integers(low, high + 1))


def compose_scene(rng: np.random.Generator, cfg: SceneConfig) -> Scene:
    """Place flakes and bulk crystals; returns the layer and instance maps."""
    height, width = cfg.image_size
    scene = Scene(np.zeros((height, width), np.int16), np.zeros((height, width), np.int32))
    step_deg = 90.0 if cfg.material == 'wte2' else 30.0
    weights = np.asarray(cfg.class_weights, dtype=float) / sum(cfg.class_weights)
    occupied = np.zeros((height, width), bool)
    num_flakes = int(rng.integers(cfg.flakes[0], cfg.flakes[1] + 1))
    num_bulk = int(rng.integers(cfg.bulk[0], cfg.bulk[1] + 1))
    log_r = np.log(cfg.radius)
    placed = attempts = 0
    while placed < num_flakes + num_bulk and attempts < 20 * (num_flakes + num_bulk):
        attempts += 1
        bulk = placed >= num_flakes
        radius = float(np.exp(rng.uniform(*log_r)) * (1.5 if bulk else 1.0))
        center = (float(rng.uniform(0, width)), float(rng.uniform(0, height)))
        if bulk:
            layers = int(rng.integers(BULK_LAYERS[0], BULK_LAYERS[1] + 1))
        else:
            label = int(rng.choice(3, p=weights))
            layers = _sample_layers(rng, label)
        make = ribbon_flake if cfg.material == 'wte2' else hexagonal_flake
        shape = make(rng, center, radius, layers)
        if not bulk and rng.random() < cfg.terrace_prob and layers > 1:
            thinner = sorted({_sample_layers(rng, lab) for lab in range(thickness_class(layers))},
                             reverse=True)
            add_terraces(rng, shape, radius, step_deg, thinner)
        x0, y0, x1, y1 = shape.bbox(radius)
        window = occupied[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)]
        if rng.random() >= cfg.overlap_prob and window.any():
            continue  # keep it apart: its box may not cover earlier flakes (unless overlap is drawn)
        if _draw(scene, shape, radius * 1.05, labelled=not bulk, flake_id=placed):
            occupied[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
            placed += 1
    return scene


def render_image(rng: np.random.Generator, cfg: SceneConfig) -> Tuple[np.ndarray, List[dict]]:
    """One micrograph (RGB uint8, as its file decodes) and its instances (label, RLE, area, bbox, extras)."""
    pixels, instances, jpeg_quality = render_micrograph(rng, cfg)
    if jpeg_quality:
        pixels = cv2.imdecode(np.frombuffer(microscope.encode(pixels, jpeg_quality), np.uint8),
                              cv2.IMREAD_COLOR)[..., ::-1]
    return pixels, instances


def render_micrograph(rng: np.random.Generator,
                      cfg: SceneConfig) -> Tuple[np.ndarray, List[dict], Optional[int]]:
    """A micrograph before its file is written: pixels, instances, and the JPEG quality it is saved at
    (None: lossless PNG)."""
    scene = compose_scene(rng, cfg)
    lut = np.zeros((max(scene.layer_counts) + 1, 3), np.float32)
    for count in scene.layer_counts:
        lut[count] = layer_colour(cfg.material, count, cfg.sio2_nm)
    image = np.take(lut, scene.layers, axis=0)  # ~4x faster than lut[scene.layers]

    if rng.random() < cfg.residue_prob:
        microscope.add_tape_residue(rng, image)
    microscope.add_dust(rng, image, int(rng.integers(cfg.dust[0], cfg.dust[1] + 1)))
    microscope.add_scratches(rng, image, int(rng.integers(cfg.scratches[0], cfg.scratches[1] + 1)))
    illumination = microscope.vignette(cfg.image_size, rng.uniform(*cfg.vignetting),
                                       tuple(rng.uniform(0.35, 0.65, 2)))
    image = microscope.defocus(image, rng.uniform(*cfg.blur))
    substrate = layer_colour(cfg.material, 0, cfg.sio2_nm)
    # auto-exposure puts the substrate's brightest channel at 62-78 % of full scale; white balance drifts
    gains = (1 + rng.normal(0, cfg.white_balance_drift, 3)) * rng.uniform(0.62, 0.78) / substrate.max()
    pixels = microscope.expose(rng, image, illumination, gains)
    jpeg_quality = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)) \
        if rng.random() < cfg.jpeg_prob else None
    return pixels, _instances(scene, cfg), jpeg_quality


def _instances(scene: Scene, cfg: SceneConfig) -> List[dict]:
    """Run-length encode every visible instance in one pass over the id map (column-major, as COCO)."""
    height, width = scene.instance_ids.shape
    flat = scene.instance_ids.T.ravel()
    starts = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1])
    ends = np.concatenate([starts[1:], [flat.size]])
    values = flat[starts]
    records = []
    for key, info in scene.instances.items():
        own = values == key
        run_starts, run_ends = starts[own], ends[own]
        if (run_ends - run_starts).sum() < max(cfg.min_area, 1):
            continue  # covered by later flakes or cut by the image border down to a sliver
        # alternating zeros / ones, closed by the trailing zeros (pycocotools leaves uncounted pixels unset)
        counts = np.empty(2 * len(run_starts) + 1, np.int64)
        counts[0:-1:2] = run_starts - np.concatenate([[0], run_ends[:-1]])
        counts[1::2] = run_ends - run_starts
        counts[-1] = flat.size - run_ends[-1]
        rle = mask_utils.frPyObjects({'counts': counts.tolist(), 'size': [height, width]}, height, width)
        x, y, w, h = mask_utils.toBbox(rle).tolist()
        records.append(dict(
            label=info['label'], rle=rle, area=int(counts[1::2].sum()), bbox=[x, y, w, h],
            material=cfg.material, layers=info['layers'], thickness_class=CLASSES[info['label']],
            flake_id=info['flake_id'], contrast=round(layer_contrast(cfg.material, info['layers'],
                                                                     cfg.sio2_nm), 4)))
    return records


EncodedImage = Tuple[bytes, str, Tuple[int, int], List[dict]]  # file bytes, extension, (H, W), instances


def _render_indexed(task: Tuple[int, int, int, SceneConfig]) -> EncodedImage:
    seed, split_index, index, cfg = task
    rng = np.random.default_rng([seed, split_index, index])
    pixels, instances, jpeg_quality = render_micrograph(rng, cfg)
    extension = '.jpg' if jpeg_quality else '.png'
    return microscope.encode(pixels, jpeg_quality), extension, pixels.shape[:2], instances


def iter_split(cfg: SceneConfig, count: int, seed: int, split_index: int,
               workers: int = 1) -> Iterator[EncodedImage]:
    """Encoded images of one split in order, rendered by ``workers`` processes."""
    tasks = ((seed, split_index, index, cfg) for index in range(count))
    if workers <= 1:
        yield from map(_render_indexed, tasks)
        return
    with multiprocessing.get_context('fork').Pool(workers) as pool:
        yield from pool.imap(_render_indexed, tasks, chunksize=4)


def generate_dataset(root: str, num_images: Optional[Dict[str, int]] = None,
                     cfg: Optional[SceneConfig] = None, seed: int = 0, workers: int = 1,
                     progress: bool = False, splits: Sequence[str] = ('train', 'val')) -> Dict[str, str]:
    """Write a synthetic set in the paper's layout under ``root``.

    Args:
        root: Dataset root (``annotations/instances_{split}2019.json``, images in ``{split}2019/``).
        num_images: Images per split, e.g. ``{'train': 64, 'val': 16, 'test': 16}``.
        cfg: What the images contain (:class:`SceneConfig`).
        seed: The same arguments give the same files, byte for byte.
        workers: Rendering processes.
        progress: Show a progress bar with images per second.
        splits: Splits to write when ``num_images`` is not given (8 images each).

    Returns:
        The absolute path of each split's annotation file.
    """
    cfg = cfg or SceneConfig()
    cfg.check()
    num_images = num_images or {split: 8 for split in splits}
    ann_files = {}
    for split_index, (split, count) in enumerate(num_images.items()):
        writer = CocoSplitWriter(root, split, CLASSES, info=dict(generator='qmat.synthetic', seed=seed,
                                                                  split=split, scene=asdict(cfg)))
        images = iter_split(cfg, count, seed, split_index, workers)
        if progress:
            from tqdm import tqdm
            images = tqdm(images, total=count, desc=f'{split}', unit='img')
        for index, (data, extension, (height, width), instances) in enumerate(images):
            writer.add_image_file(data, f'{split}_{index:05d}{extension}', height, width, instances)
        ann_files[split] = osp.abspath(writer.write())
    return ann_files

