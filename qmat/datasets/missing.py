"""Simulated missing annotations: remove a fraction of the instances the way tired annotators do.

Annotators of dense 2K micrographs miss flakes, and not at random: small flakes, thin (monolayer) flakes
and faint, low-contrast flakes are missed most. Each policy gives every instance a weight and removes
exactly ``round(fraction * N)`` instances, drawn without replacement with probability proportional to
the weight (Efraimidis-Spirakis keys ``u ** (1 / w)``), from a seeded generator. The images are untouched;
a record lists exactly which instances were removed, so that a benchmark can count how many of them a
trained model recovers.
"""
import copy
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from qmat.utils import UserInputError, dump_json, refuse_overwriting

from .coco_file import check_coco_file
from .flake_dataset import FlakeDataset


def _uniform(annotations: List[dict], names: Dict[int, str]) -> np.ndarray:
    return np.ones(len(annotations))


def _small(annotations: List[dict], names: Dict[int, str]) -> np.ndarray:
    """Weight 1 / area: a flake half as wide is four times as likely to be missed."""
    areas = np.array([max(float(a.get('area', 0.0)), 1.0) for a in annotations])
    return 1 / areas


def _thin(annotations: List[dict], names: Dict[int, str]) -> np.ndarray:
    """Weight 1 / layers when the layer count is known, else by thickness class (mono 4, few 2, thick 1)."""
    by_class = dict(zip(FlakeDataset.METAINFO['classes'], (4.0, 2.0, 1.0)))
    weights = []
    for ann in annotations:
        if 'layers' in ann:
            weights.append(1.0 / max(float(ann['layers']), 1.0))
        else:
            weights.append(by_class.get(names.get(ann['category_id'], ''), 1.0))
    return np.array(weights)


def _low_contrast(annotations: List[dict], names: Dict[int, str]) -> np.ndarray:
    """Weight 1 / contrast (the optical contrast the generator records per instance)."""
    missing = [a['id'] for a in annotations if 'contrast' not in a]
    if missing:
        raise UserInputError(f'policy low_contrast needs a "contrast" field on every annotation; '
                             f'annotation id {missing[0]} has none (qmat\'s synthetic sets record it)')
    return 1 / np.maximum(np.array([float(a['contrast']) for a in annotations]), 1e-3)


def _annotator(annotations: List[dict], names: Dict[int, str]) -> np.ndarray:
    """Small, thin and faint at once: the geometric mean of the three weights (contrast where recorded)."""
    parts = [_small(annotations, names), _thin(annotations, names)]
    if all('contrast' in a for a in annotations):
        parts.append(_low_contrast(annotations, names))
    return np.exp(np.mean([np.log(p) for p in parts], axis=0))


POLICIES: Dict[str, Callable[[List[dict], Dict[int, str]], np.ndarray]] = {
    'uniform': _uniform, 'small': _small, 'thin': _thin, 'low_contrast': _low_contrast,
    'annotator': _annotator}


def drop_annotations(coco: dict, fraction: float, policy: str = 'uniform',
                     seed: int = 0) -> Tuple[dict, List[dict]]:
    """Remove ``round(fraction * N)`` annotations from a COCO dict.

    Args:
        coco: COCO json (not modified).
        fraction: Share of the instances to remove, in [0, 1].
        policy: One of :data:`POLICIES`.
        seed: Seed of the draw.

    Returns:
        (the COCO dict without the removed instances, the removed annotations).
    """
    if not 0 <= fraction <= 1:
        raise UserInputError(f'fraction must be in [0, 1], got {fraction}')
    if policy not in POLICIES:
        raise UserInputError(f'policy must be one of {sorted(POLICIES)}, got {policy!r}')
    annotations = coco['annotations']
    names = {cat['id']: cat['name'] for cat in coco['categories']}
    count = int(round(fraction * len(annotations)))
    removed_index = set()
    if count:
        weights = POLICIES[policy](annotations, names)
        keys = np.random.default_rng(seed).random(len(annotations)) ** (1 / weights)
        removed_index = set(np.argsort(-keys, kind='stable')[:count].tolist())
    kept = copy.copy(coco)
    kept['annotations'] = [a for i, a in enumerate(annotations) if i not in removed_index]
    return kept, [a for i, a in enumerate(annotations) if i in removed_index]


def size_quartiles(annotations: List[dict]) -> Optional[List[float]]:
    """The 25th, 50th and 75th percentile of the instances' sizes (square root of the box's area, pixels):
    which flakes a policy removed, against those it kept. None for no instances with a box."""
    sizes = np.sqrt([a['bbox'][2] * a['bbox'][3] for a in annotations if 'bbox' in a])
    if not sizes.size:
        return None
    return np.percentile(sizes, [25, 50, 75]).tolist()


def removal_record_path(ann_file: str) -> str:
    """Where the record of removed instances is written: beside the annotation file."""
    return osp.splitext(ann_file)[0] + '.removed.json'


def write_dropped(src: str, dst: str, fraction: float, policy: str, seed: int,
                  keep_as_ignored: bool = False) -> Tuple[str, int, int]:
    """Read COCO json ``src``, drop annotations, write ``dst`` and its removal record (which also holds
    the :func:`size_quartiles` of the kept and the removed instances).

    With ``keep_as_ignored`` the removed instances stay in ``dst`` as ``iscrowd = 1``: mmdet loads them as
    ignored instances, which qmat's assigners do not use (``ignore_iof_thr = -1``), so training sees the
    same targets, while :class:`~qmat.models.SASLRPNHead` can count how many of its soft labels land on them.

    Returns:
        (record path, instances kept, instances removed).
    """
    record_path = removal_record_path(dst)
    refuse_overwriting([dst, record_path], [src])  # the complete file is the ground truth
    coco = check_coco_file(src, what='input annotation')
    kept, removed = drop_annotations(coco, fraction, policy, seed)
    sizes = dict(kept=size_quartiles(kept['annotations']), removed=size_quartiles(removed))
    if keep_as_ignored:
        kept['annotations'] = kept['annotations'] + [dict(a, iscrowd=1) for a in removed]
    record = dict(source=osp.abspath(src), output=osp.abspath(dst), policy=policy, fraction=fraction,
                  seed=seed, kept_as_ignored=keep_as_ignored, num_annotations=len(coco['annotations']),
                  size_quartiles=sizes, removed_ids=[a['id'] for a in removed], removed=removed)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    for path, content in ((dst, kept), (record_path, record)):
        dump_json(content, path)
    return record_path, len(coco['annotations']) - len(removed), len(removed)
