"""Hunting a folder of micrographs: per-image results kept on disk (so a run resumes), overlays, and the
run's flake table as CSV and JSON.

Layout of an output folder::

    run.json               what the run is made with: model, checkpoint and options (a rerun must match)
    images/<name>.json     the flakes of one micrograph (written when it is done: the resume marker)
    overlays/<name>.png    the micrograph with its flakes drawn
    errors.json            micrographs that could not be read, with the reason
    flakes.json, flakes.csv   every flake of the run, best score first

``<name>`` is unique per source file (its folder, name and a hash of its real path), so that ``a.jpg`` and
``a.png``, or ``c1/img/x.jpg`` and ``c2/img/x.jpg``, are two results. One run at a time writes into a
folder (a lock); a second one is refused.
"""
import contextlib
import csv
import fcntl
import glob
import hashlib
import json
import os
import os.path as osp
import shutil
import time
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import bitmap_to_polygon
from mmdet.utils.misc import IMG_EXTENSIONS
from mmdet.visualization import DetLocalVisualizer
from mmengine.fileio import list_dir_or_file
from mmengine.structures import InstanceData

from qmat.utils import UserInputError, atomic_open, dump_json, nan_to_none, refuse_overwriting
from qmat.visualization import flake_visualizer

# the run's files besides the per-image ones
OUTPUTS = ('run.json', 'errors.json', 'flakes.json', 'flakes.csv', 'report.html')
CSV_FIELDS = ('image', 'flake', 'thickness', 'material', 'score', 'x1', 'y1', 'x2', 'y2', 'area_px',
              'area_um2', 'centroid_x', 'centroid_y', 'contrast_r', 'contrast_g', 'contrast_b')


def is_image(path: str) -> bool:
    return path.lower().endswith(IMG_EXTENSIONS)


def list_images(sources: Sequence[str]) -> List[str]:
    """Image files (mmdet's ``IMG_EXTENSIONS``) of folders, glob patterns and files, sorted, without
    duplicates."""
    found = []
    for source in sources:
        if osp.isdir(source):
            found += [osp.join(source, name) for name in sorted(list_dir_or_file(source, list_dir=False))
                      if is_image(name)]
        elif osp.isfile(source):
            found.append(source)
        else:
            found += sorted(p for p in glob.glob(source) if is_image(p))
    return list(dict.fromkeys(found))


def result_name(path: str) -> str:
    """A file name for an image's results: its folder and name, readable, and a hash of its real path,
    unique per source file."""
    parent = osp.basename(osp.dirname(osp.abspath(path)))
    digest = hashlib.sha1(osp.realpath(path).encode('utf-8')).hexdigest()[:8]
    return f'{parent}__{osp.basename(path)}__{digest}'


def check_out_dir(out_dir: str) -> None:
    """``out_dir`` is a folder or does not exist yet (checked before the model loads)."""
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise UserInputError(f'--out {out_dir} is a file, not a folder')


def run_settings(hunter, classes: Optional[Sequence[str]], min_area_um2: Optional[float]) -> dict:
    """What a hunt's results depend on: the model's files (real path, size, modification time) and the
    options."""
    files = {}
    for what in ('config', 'checkpoint'):
        path = getattr(hunter, f'{what}_path')
        stat = os.stat(path)
        files[what] = dict(path=osp.realpath(path), size=stat.st_size, mtime_ns=stat.st_mtime_ns)
    return dict(**files, score_thr=hunter.score_thr, microns_per_pixel=hunter.microns_per_pixel,
                material=hunter.material, tile=hunter.tile, overlap=hunter.overlap if hunter.tile else None,
                classes=sorted(classes) if classes else None, min_area_um2=min_area_um2,
                keep_dark_frame=hunter.keep_dark_frame)


@contextlib.contextmanager
def run_lock(out_dir: str) -> Iterator[None]:
    """Hold ``out_dir``'s lock for the run: a second run into the folder is refused, not interleaved."""
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, '.lock'), 'w') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise UserInputError(f'another hunt is writing into {out_dir}: wait for it, or use another '
                                 '--out') from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_image(path: str) -> Tuple[Optional[np.ndarray], str]:
    """The BGR image as the hunt decodes it, or None and why (empty, truncated, not an image)."""
    try:
        if os.path.getsize(path) == 0:
            return None, 'an empty file'
        image = mmcv.imread(path)
    except Exception as error:  # OpenCV and mmcv raise many kinds for a broken file
        return None, f'not a readable image ({type(error).__name__})'
    if image is None or image.ndim != 3 or 0 in image.shape:
        return None, 'not a readable image'
    return image, ''


def keep(flake: dict, classes: Optional[Sequence[str]], min_area_um2: Optional[float]) -> bool:
    if classes and flake['thickness'] not in classes:
        return False
    return min_area_um2 is None or (flake['area_um2'] is not None and flake['area_um2'] >= min_area_um2)


def draw(visualizer: DetLocalVisualizer, image: np.ndarray, flakes: List[dict]) -> np.ndarray:
    """The BGR micrograph with each flake's mask, outline, box, class and score, drawn by mmdet's visualizer.

    mmengine blends each mask over the whole image, which for hundreds of flakes on a 2K micrograph costs
    far more than the network; so the masks of a class are merged into one (flakes do not overlap) and drawn
    as DetLocalVisualizer draws instance masks (white outlines, the class colour at its alpha), then the
    boxes, classes and scores by ``add_datasample``.
    """
    classes, palette = list(visualizer.dataset_meta['classes']), visualizer.dataset_meta['palette']
    visualizer.set_image(mmcv.bgr2rgb(image))
    for label, name in enumerate(classes):
        masks = [f['segmentation'] for f in flakes if f['thickness'] == name]
        if masks:
            union = mask_utils.decode(mask_utils.merge(masks)).astype(bool)
            visualizer.draw_polygons(bitmap_to_polygon(union)[0], edge_colors='w', alpha=visualizer.alpha)
            visualizer.draw_binary_masks(union, colors=palette[label], alphas=visualizer.alpha)
    predictions = InstanceData(
        bboxes=torch.tensor([f['bbox'] for f in flakes], dtype=torch.float32).reshape(-1, 4),
        labels=torch.tensor([classes.index(f['thickness']) for f in flakes], dtype=torch.long),
        scores=torch.tensor([f['score'] for f in flakes], dtype=torch.float32))
    visualizer.add_datasample('hunt', visualizer.get_image(), DetDataSample(pred_instances=predictions),
                              draw_gt=False, show=False, pred_score_thr=0)
    return mmcv.rgb2bgr(visualizer.get_image())


def hunt_images(hunter, images: Sequence[str], out_dir: str, classes: Optional[Sequence[str]] = None,
                min_area_um2: Optional[float] = None,
                progress: Optional[Callable[[int, int, float], None]] = None,
                overwrite: bool = False) -> Dict:
    """Run ``hunter`` over ``images`` into ``out_dir``; images with results already there are skipped.

    A folder made with other settings (:func:`run_settings`) is refused, unless ``overwrite``: its results
    are then removed first.

    Returns:
        ``dict(done=..., skipped=..., errors={path: reason})`` of this run.

    Raises:
        UserInputError: No images, ``min_area_um2`` without the hunter's image scale, ``classes`` that
            the model does not have, an output that is an input, a folder made with other settings, or
            another run writing into it.
    """
    check_hunt_options(hunter, images, out_dir, classes, min_area_um2)
    names = {path: result_name(path) for path in images}
    refuse_overwriting([osp.join(out_dir, sub, names[p] + ext) for p in images
                        for sub, ext in (('images', '.json'), ('overlays', '.png'))]
                       + [osp.join(out_dir, name) for name in OUTPUTS], images)
    settings = run_settings(hunter, classes, min_area_um2)
    with run_lock(out_dir):
        _start_run(out_dir, settings, overwrite)
        return _hunt(hunter, images, names, out_dir, classes, min_area_um2, progress)


def check_hunt_options(hunter, images: Sequence[str], out_dir: str, classes: Optional[Sequence[str]],
                       min_area_um2: Optional[float]) -> None:
    """The checks of :func:`hunt_images` that need the model but nothing written (a tool makes them before
    it shows progress)."""
    if not images:
        raise UserInputError('no images to hunt')
    if min_area_um2 is not None and hunter.microns_per_pixel is None:
        raise UserInputError('--min-area-um2 needs --microns-per-pixel (the image scale)')
    unknown = sorted(set(classes or ()) - set(hunter.classes))
    if unknown:
        raise UserInputError(f'--classes {unknown} are not classes of the model '
                             f'(it has {list(hunter.classes)})')
    check_out_dir(out_dir)


def _start_run(out_dir: str, settings: dict, overwrite: bool) -> None:
    """Record the run's settings; a folder with results of other settings is refused or, with
    ``overwrite``, emptied of them first."""
    record_path = osp.join(out_dir, 'run.json')
    before = _read_json(record_path, None)
    has_results = any(osp.isdir(osp.join(out_dir, sub)) and os.listdir(osp.join(out_dir, sub))
                      for sub in ('images', 'overlays'))
    if has_results and before != settings:
        if not overwrite:
            changed = [k for k in settings if before.get(k) != settings[k]] if before else ['no run.json']
            raise UserInputError(f'--out {out_dir} holds a hunt made with other settings '
                                 f'({", ".join(changed)}): use another --out, or --overwrite to replace it')
        for sub in ('images', 'overlays'):
            shutil.rmtree(osp.join(out_dir, sub), ignore_errors=True)
        for name in OUTPUTS:
            if osp.isfile(osp.join(out_dir, name)):
                os.remove(osp.join(out_dir, name))
    for sub in ('images', 'overlays'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    _write_json(record_path, settings)


def _hunt(hunter, images: Sequence[str], names: Dict[str, str], out_dir: str,
          classes: Optional[Sequence[str]], min_area_um2: Optional[float],
          progress: Optional[Callable[[int, int, float], None]]) -> Dict:
    visualizer = flake_visualizer(hunter.classes, 'qmat_hunt')
    errors_path = osp.join(out_dir, 'errors.json')
    errors = _read_json(errors_path, {})
    done = skipped = 0
    start = time.perf_counter()
    for index, path in enumerate(images):
        target = osp.join(out_dir, 'images', names[path] + '.json')
        if osp.isfile(target):
            skipped += 1
            continue
        image, reason = read_image(path)
        if image is None:
            errors[path] = reason
            _write_json(errors_path, errors)
            continue
        flakes = [f for f in hunter.hunt(image) if keep(f, classes, min_area_um2)]
        for flake in flakes:
            flake['image'] = path
        overlay = osp.join(out_dir, 'overlays', names[path] + '.png')
        mmcv.imwrite(draw(visualizer, image, flakes), overlay)
        _write_json(target, dict(image=path, height=image.shape[0], width=image.shape[1], flakes=flakes))
        errors.pop(path, None)
        _write_json(errors_path, errors)
        done += 1
        if progress:
            progress(index + 1, len(images), done / (time.perf_counter() - start))
    return dict(done=done, skipped=skipped, errors={p: errors[p] for p in images if p in errors})


def write_tables(out_dir: str) -> List[dict]:
    """Collect every image's flakes in ``out_dir`` into flakes.json and flakes.csv (best score first)."""
    flakes = []
    for path in sorted(glob.glob(osp.join(out_dir, 'images', '*.json'))):
        flakes += _read_json(path, {}).get('flakes', [])
    flakes.sort(key=lambda f: -f['score'])
    _write_json(osp.join(out_dir, 'flakes.json'), flakes)
    with atomic_open(osp.join(out_dir, 'flakes.csv'), newline='') as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for number, flake in enumerate(flakes, 1):
            writer.writerow([flake['image'], number, flake['thickness'], flake['material'] or '',
                             _number(flake['score'], 4), *(_number(v, 1) for v in flake['bbox']),
                             flake['area_px'], _number(flake['area_um2'], 3),
                             *(_number(v, 1) for v in flake['centroid_xy']),
                             *(_number(v, 4) for v in flake['contrast_rgb'])])
    return flakes


def _read_json(path: str, default):
    if not osp.isfile(path):
        return default
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def _write_json(path: str, content) -> None:
    """JSON that browsers parse too: NaN (a contrast without substrate) becomes null."""
    dump_json(nan_to_none(content), path, allow_nan=False)


def _number(value, digits: int) -> str:
    return '' if value is None else f'{value:.{digits}f}'

