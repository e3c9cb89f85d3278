"""Hunting a folder of micrographs: per-image results kept on disk (so a run resumes), overlays, and the
run's flake table as CSV and JSON.

Layout of an output folder::

    images/<name>.json     the flakes of one micrograph (written when it is done: the resume marker)
    overlays/<name>.png    the micrograph with its flakes drawn
    errors.json            micrographs that could not be read, with the reason
    flakes.json, flakes.csv   every flake of the run, best score first
"""
import csv
import glob
import json
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import mmcv
import numpy as np
import pycocotools.mask as mask_utils

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
CSV_FIELDS = ('image', 'flake', 'thickness', 'material', 'score', 'x1', 'y1', 'x2', 'y2', 'area_px',
              'area_um2', 'centroid_x', 'centroid_y', 'contrast_r', 'contrast_g', 'contrast_b')


def list_images(sources: Sequence[str]) -> List[str]:
    """Image files of folders, glob patterns and files, sorted, without duplicates."""
    found = []
    for source in sources:
        if osp.isdir(source):
            found += [osp.join(source, name) for name in sorted(os.listdir(source))
                      if name.lower().endswith(IMAGE_SUFFIXES)]
        elif osp.isfile(source):
            found.append(source)
        else:
            found += sorted(p for p in glob.glob(source) if p.lower().endswith(IMAGE_SUFFIXES))
    return list(dict.fromkeys(found))


def result_name(path: str) -> str:
    """A file name for an image's results, unique for images of the same name in different folders."""
    stem = osp.splitext(osp.basename(path))[0]
    parent = osp.basename(osp.dirname(osp.abspath(path)))
    return f'{parent}__{stem}'


def keep(flake: dict, classes: Optional[Sequence[str]], min_area_um2: Optional[float]) -> bool:
    if classes and flake['thickness'] not in classes:
        return False
    return min_area_um2 is None or (flake['area_um2'] is not None and flake['area_um2'] >= min_area_um2)


def draw(image: np.ndarray, flakes: List[dict], palette: Dict[str, tuple]) -> np.ndarray:
    """The BGR micrograph with each flake's mask tinted by class, its outline and its label."""
    canvas = image.copy()
    for flake in flakes:
        mask = mask_utils.decode(flake['segmentation']).astype(bool)
        colour = np.array(palette.get(flake['thickness'], (255, 255, 255))[::-1], np.float64)  # RGB to BGR
        canvas[mask] = (0.55 * canvas[mask] + 0.45 * colour).astype(np.uint8)
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(canvas, contours, -1, colour.tolist(), 1)
        x1, y1 = int(flake['bbox'][0]), int(flake['bbox'][1])
        cv2.putText(canvas, f'{flake["thickness"]} {flake["score"]:.2f}', (x1, max(y1 - 3, 10)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour.tolist(), 1, cv2.LINE_AA)
    return canvas


def hunt_images(hunter, images: Sequence[str], out_dir: str, classes: Optional[Sequence[str]] = None,
                min_area_um2: Optional[float] = None,
                progress: Optional[Callable[[int, int, float], None]] = None) -> Dict:
    """Run ``hunter`` over ``images`` into ``out_dir``; images with results already there are skipped.

    Returns:
        ``dict(done=..., skipped=..., errors={path: reason})`` of this run.
    """
    from qmat.datasets import FlakeDataset

    for sub in ('images', 'overlays'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    palette = dict(zip(FlakeDataset.METAINFO['classes'], FlakeDataset.METAINFO['palette']))
    errors_path = osp.join(out_dir, 'errors.json')
    errors = _read_json(errors_path, {})
    done = skipped = 0
    start = time.perf_counter()
    for index, path in enumerate(images):
        target = osp.join(out_dir, 'images', result_name(path) + '.json')
        if osp.isfile(target):
            skipped += 1
            continue
        image = mmcv.imread(path)
        if image is None:
            errors[path] = 'not a readable image'
            _write_json(errors_path, errors)
            continue
        flakes = [f for f in hunter.hunt(image) if keep(f, classes, min_area_um2)]
        for flake in flakes:
            flake['image'] = path
        mmcv.imwrite(draw(image, flakes, palette), osp.join(out_dir, 'overlays', result_name(path) + '.png'))
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
    with open(osp.join(out_dir, 'flakes.csv.tmp'), 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for number, flake in enumerate(flakes, 1):
            writer.writerow([flake['image'], number, flake['thickness'], flake['material'] or '',
                             _number(flake['score'], 4), *(_number(v, 1) for v in flake['bbox']),
                             flake['area_px'], _number(flake['area_um2'], 3),
                             *(_number(v, 1) for v in flake['centroid_xy']),
                             *(_number(v, 4) for v in flake['contrast_rgb'])])
    os.replace(osp.join(out_dir, 'flakes.csv.tmp'), osp.join(out_dir, 'flakes.csv'))
    return flakes


def _read_json(path: str, default):
    if not osp.isfile(path):
        return default
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def _plain(value):
    """JSON that browsers parse too: NaN (a contrast without substrate) becomes null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _write_json(path: str, content) -> None:
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(_plain(content), f, allow_nan=False)
    os.replace(path + '.tmp', path)


def _number(value, digits: int) -> str:
    return '' if value is None else f'{value:.{digits}f}'

