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
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from ..flake_dataset import FlakeDataset
from ..layout import CocoSplitWriter
from . import microscope
from .optics import MATERIALS, chip_rgb, optical_contrast
from .shapes import FlakeShape, add_terraces, hexagonal_flake, rasterize, ribbon_flake, tear

CLASSES = FlakeDataset.METAINFO['classes']  # the generator's labels are the dataset's classes
# Layer counts of each thickness class (as in tdmms/bep: mono 1 layer, few 2-9, thick 10-40 by default;
# SceneConfig.thick_layers widens the thick class to the hundreds of layers with interference colours).
CLASS_LAYERS = {0: (1, 1), 1: (2, 9), 2: (10, 40)}


@dataclass
class SceneConfig:
    """What a generated micrograph contains. Ranges are inclusive (low, high).

    The camera and realism options draw nothing from the image's random stream while they are off
    (``gamma``, ``saturation`` and ``exposure`` ranges of one value, probabilities of 0, ``white_balance``
    0, no ``materials``, ``sio2_choices`` or ``substrate_colours``): a set made without them is the same,
    byte for byte, as before they existed.

    Args:
        material: One of ``graphene``, ``hbn``, ``mos2``, ``wte2``.
        sio2_nm: Oxide thickness; 285 and 90 nm are the usual chips.
        materials: If given, each image's material is drawn from these (``material`` is ignored).
        sio2_choices: If given, each image's oxide thickness (nm) is drawn from these.
        image_size: (height, width) in pixels.
        flakes: Number of flakes per image (sparse: a few; dense 2K images: hundreds).
        radius: Flake radii in pixels, drawn log-uniformly (a few pixels to hundreds).
        min_area: Visible regions smaller than this (pixels) are not annotated: slivers of covered or
            cut-off flakes that no annotator would label.
        min_contrast: Regions whose optical contrast (largest channel) is below this are not annotated
            either: an hBN monolayer (at most 1.6 %) is invisible to an annotator at the microscope.
        class_weights: Probability of mono / few / thick for a flake's body.
        thick_layers: Layer counts of the thick class; up to hundreds of layers (tens to hundreds of nm)
            thick flakes show strong interference colours.
        terrace_prob: Probability that a flake has thinner terraces.
        torn_prob: Probability that a flake is torn (:func:`~.shapes.tear`): joined and bitten-out
            cleaved pieces make its outline concave.
        fold_prob: Probability that a torn flake has a fold (twice its layers).
        wedge_prob: Probability that a torn flake's thickness runs across it.
        overlap_prob: Probability that a flake may lie over earlier ones (else it is placed apart).
        bulk: Number of unlabelled bulk crystals.
        bulk_layers: Their layer counts.
        dust: Number of dust specks.
        scratches: Number of scratches.
        residue_prob: Probability of tape residue.
        blur: Defocus blur sigma in pixels.
        vignetting: Strength of the illumination fall-off at the corners.
        white_balance_drift: Relative spread of the per-channel gains between images.
        white_balance: Spread (standard deviation of the log) of the camera's white balance gains per
            channel: 0 keeps the lamp-balanced colours; 0.25 spans grey-beige, green-yellow and violet
            substrates as real cameras set them.
        substrate_colours: Substrate colours (RGB, 0-255) of real cameras: with ``substrate_colour_prob``
            an image's white balance shows its substrate as one of them (give or take 8 levels), so that
            a set covers the cameras it is meant for; else white balance is drawn as above.
        substrate_colour_prob: How often an image takes one of ``substrate_colours``.
        exposure: The substrate's brightest channel as a fraction of full scale (auto-exposure).
        gamma: The camera's encoding gamma (1: linear, 2.2: sRGB-like).
        saturation: The camera's colour saturation after the gamma.
        border_prob: Probability of a dark frame (a band along edges or a circular field stop); flakes
            in the dark are not annotated.
        jpeg_prob: Probability that an image is saved as JPEG (with its artefacts), else as PNG.
        jpeg_quality: JPEG quality range.
    """
    material: str = 'graphene'
    sio2_nm: float = 285.0
    materials: Tuple[str, ...] = ()
    sio2_choices: Tuple[float, ...] = ()
    image_size: Tuple[int, int] = (512, 512)
    flakes: Tuple[int, int] = (3, 12)
    radius: Tuple[float, float] = (4.0, 90.0)
    min_area: int = 6
    min_contrast: float = 0.0
    class_weights: Tuple[float, float, float] = (0.35, 0.35, 0.30)
    thick_layers: Tuple[int, int] = CLASS_LAYERS[2]
    terrace_prob: float = 0.4
    torn_prob: float = 0.0
    fold_prob: float = 0.0
    wedge_prob: float = 0.0
    overlap_prob: float = 0.15
    bulk: Tuple[int, int] = (0, 2)
    bulk_layers: Tuple[int, int] = (150, 900)  # hundreds of nm thick
    dust: Tuple[int, int] = (0, 25)
    scratches: Tuple[int, int] = (0, 1)
    residue_prob: float = 0.4
    blur: Tuple[float, float] = (0.0, 1.0)
    vignetting: Tuple[float, float] = (0.05, 0.3)
    white_balance_drift: float = 0.04
    white_balance: float = 0.0
    substrate_colours: Tuple[Tuple[float, float, float], ...] = ()
    substrate_colour_prob: float = 0.0
    exposure: Tuple[float, float] = (0.62, 0.78)
    gamma: Tuple[float, float] = (1.0, 1.0)
    saturation: Tuple[float, float] = (1.0, 1.0)
    border_prob: float = 0.0
    jpeg_prob: float = 0.9
    jpeg_quality: Tuple[int, int] = (80, 97)

    def check(self) -> None:
        """Raise ValueError naming the field if a value is impossible."""
        for name, materials in (('material', (self.material, )), ('materials', self.materials)):
            for material in materials:
                if material not in MATERIALS:
                    raise ValueError(f'{name} must be among {sorted(MATERIALS)}, got {material!r}')
        for name, thicknesses in (('sio2_nm', (self.sio2_nm, )), ('sio2_choices', self.sio2_choices)):
            if any(value < 0 for value in thicknesses):
                raise ValueError(f'{name} must be >= 0 nm, got {thicknesses}')
        if min(self.image_size) < 16:
            raise ValueError(f'image_size must be at least 16 x 16, got {self.image_size}')
        if self.min_area < 0:
            raise ValueError(f'min_area must be >= 0, got {self.min_area}')
        if self.min_contrast < 0:
            raise ValueError(f'min_contrast must be >= 0, got {self.min_contrast}')
        for name in ('flakes', 'radius', 'bulk', 'bulk_layers', 'dust', 'scratches', 'blur', 'vignetting',
                     'jpeg_quality', 'exposure', 'gamma', 'saturation'):
            low, high = getattr(self, name)
            if low < 0 or high < low:
                raise ValueError(f'{name} must be a range 0 <= low <= high, got {(low, high)}')
        if self.radius[0] <= 0 or 2 * self.radius[1] >= min(self.image_size):
            raise ValueError(f'radius {self.radius} must be > 0 and fit images of size {self.image_size}')
        if self.thick_layers[0] < CLASS_LAYERS[2][0] or self.thick_layers[1] < self.thick_layers[0]:
            raise ValueError(f'thick_layers must be a range from {CLASS_LAYERS[2][0]} layers up, '
                             f'got {self.thick_layers}')
        if self.exposure[0] <= 0 or self.exposure[1] > 1:
            raise ValueError(f'exposure must lie in (0, 1], got {self.exposure}')
        if self.gamma[0] <= 0 or self.saturation[0] <= 0:
            raise ValueError(f'gamma and saturation must be > 0, got {self.gamma} and {self.saturation}')
        colours = self.substrate_colours
        if any(len(colour) != 3 or not all(0 <= c <= 255 for c in colour) for colour in colours):
            raise ValueError(f'substrate_colours must be RGB triples in 0-255, got {self.substrate_colours}')
        if self.white_balance < 0:
            raise ValueError(f'white_balance must be >= 0, got {self.white_balance}')
        weights = np.asarray(self.class_weights, dtype=float)
        if weights.shape != (3,) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f'class_weights must be 3 non-negative numbers, got {self.class_weights}')
        for name in ('terrace_prob', 'torn_prob', 'fold_prob', 'wedge_prob', 'overlap_prob', 'residue_prob',
                     'jpeg_prob', 'border_prob', 'substrate_colour_prob'):
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
    return 0 if layers <= 1 else 1 if layers < CLASS_LAYERS[2][0] else 2


def _uniform(rng: np.random.Generator, bounds: Tuple[float, float]) -> float:
    """A value in [low, high]; a range of one value draws nothing (see SceneConfig)."""
    return float(bounds[0]) if bounds[0] == bounds[1] else float(rng.uniform(*bounds))


def _chance(rng: np.random.Generator, probability: float) -> bool:
    return probability > 0 and rng.random() < probability


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


def _sample_layers(rng: np.random.Generator, label: int, cfg: SceneConfig) -> int:
    low, high = cfg.thick_layers if label == 2 else CLASS_LAYERS[label]
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
            layers = int(rng.integers(cfg.bulk_layers[0], cfg.bulk_layers[1] + 1))
        else:
            label = int(rng.choice(3, p=weights))
            layers = _sample_layers(rng, label, cfg)
        make = ribbon_flake if cfg.material == 'wte2' else hexagonal_flake
        shape = make(rng, center, radius, layers)
        if not bulk and rng.random() < cfg.terrace_prob and layers > 1:
            thinner = sorted({_sample_layers(rng, lab, cfg) for lab in range(thickness_class(layers))},
                             reverse=True)
            add_terraces(rng, shape, radius, step_deg, thinner)
        if _chance(rng, cfg.torn_prob):
            tear(rng, shape, radius, step_deg, cfg.fold_prob, cfg.wedge_prob)
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
    if cfg.materials:
        cfg = replace(cfg, material=str(rng.choice(cfg.materials)))
    if cfg.sio2_choices:
        cfg = replace(cfg, sio2_nm=float(rng.choice(cfg.sio2_choices)))
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
    if _chance(rng, cfg.border_prob):
        opening = microscope.dark_frame(rng, cfg.image_size)
        scene.instance_ids[opening < 0.5] = 0  # what lies in the dark is not annotated
        illumination *= rng.uniform(0.0, 0.15) + rng.uniform(0.85, 1.0) * opening
    image = microscope.defocus(image, rng.uniform(*cfg.blur))
    substrate = layer_colour(cfg.material, 0, cfg.sio2_nm)
    camera = np.exp(rng.normal(0, cfg.white_balance, 3)) if cfg.white_balance else np.ones(3)
    gamma, saturation = _uniform(rng, cfg.gamma), _uniform(rng, cfg.saturation)
    # auto-exposure puts the substrate's brightest channel at a fraction of full scale (after the gamma);
    # white balance drifts
    drift = 1 + rng.normal(0, cfg.white_balance_drift, 3)
    exposure = _uniform(rng, cfg.exposure)
    gains = drift * camera * exposure ** gamma / (substrate * camera).max()
    if cfg.substrate_colours and _chance(rng, cfg.substrate_colour_prob):
        target = np.asarray(cfg.substrate_colours[int(rng.integers(len(cfg.substrate_colours)))], float)
        gains = drift * camera_gains(substrate, target + rng.normal(0, 8, 3), gamma, saturation)
    pixels = microscope.expose(rng, image, illumination, gains, gamma, saturation)
    jpeg_quality = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)) \
        if rng.random() < cfg.jpeg_prob else None
    return pixels, _instances(scene, cfg), jpeg_quality


def camera_gains(substrate: np.ndarray, target: np.ndarray, gamma: float, saturation: float) -> np.ndarray:
    """The channel gains with which a camera of ``gamma`` and ``saturation`` shows the linear substrate
    colour ``substrate`` as ``target`` (RGB, 0-255): the white balance of a real camera."""
    shown = np.clip(np.asarray(target, np.float64) / 255, 0.02, 0.98)
    grey = shown.mean()  # the saturation step keeps each pixel's grey level
    encoded = np.clip(grey + (shown - grey) / saturation, 0.01, 1.0)
    return encoded ** gamma / substrate


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
        contrast = layer_contrast(cfg.material, info['layers'], cfg.sio2_nm)
        if contrast < cfg.min_contrast:
            continue
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
            flake_id=info['flake_id'], contrast=round(contrast, 4)))
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

