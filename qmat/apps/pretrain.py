"""Synthetic pretraining for real micrographs: render a synthetic set into the cache, train a detector on it
and keep its weights in the cache, where fine-tuning configs find them (``load_from``), as the mmcv wheel is
kept. An interrupted run goes on from its last checkpoint when started again.

Cache layout (``QMAT_CACHE_DIR``, default ``~/.cache/qmat``)::

    synthetic/<preset>-seed<seed>/     the set (annotations/, train2019/, val2019/, scene.json)
    pretrain/<config name>/            the training's work dir (logs, checkpoints)
    weights/<config name>.pth          the trained weights alone
"""
import json
import os
import os.path as osp
from dataclasses import asdict
from typing import Dict, Optional

import mmengine
import torch
from mmengine.runner import find_latest_checkpoint

from qmat.datasets.synthetic import generate_dataset
from qmat.datasets.synthetic.presets import PRESETS
from qmat.engine import build_runner, load_run_config
from qmat.engine.checkpoint import load_local_checkpoint, model_state
from qmat.utils import UserInputError, dump_json


def cache_dir() -> str:
    """qmat's cache: ``QMAT_CACHE_DIR``, else ``~/.cache/qmat`` (where the fine-tuning configs look; the
    default of tools/setup_env.sh's wheels too, unless ``XDG_CACHE_HOME`` moves those)."""
    return osp.expanduser(os.environ.get('QMAT_CACHE_DIR') or '~/.cache/qmat')


def weights_path(config_path: str, cache: Optional[str] = None) -> str:
    """Where the weights trained by ``config_path`` are kept."""
    name = osp.splitext(osp.basename(config_path))[0]
    return osp.join(cache or cache_dir(), 'weights', f'{name}.pth')


def prepare_synthetic_set(root: str, preset: str, counts: Dict[str, int], seed: int, workers: int,
                          render: bool = True) -> str:
    """Render the ``preset`` set into ``root`` unless the one there was made with the same arguments
    (``scene.json``, written last, says so); returns ``root``. ``render`` False: refuse instead (the
    processes of a distributed run must not all render it)."""
    if preset not in PRESETS:
        raise UserInputError(f'--preset must be one of {sorted(PRESETS)}, got {preset!r}')
    stamp = dict(preset=preset, scene=asdict(PRESETS[preset]), counts=counts, seed=seed)
    stamp_file = osp.join(root, 'scene.json')
    if osp.isfile(stamp_file) and mmengine.load(stamp_file) == json.loads(json.dumps(stamp)):
        print(f'synthetic set: {root} (made before with the same arguments)')
        return root
    if not render:
        raise UserInputError(f'the synthetic set {root} is not rendered yet: run python tools/pretrain.py '
                             '--render-only first (once, not under torchrun)')
    print(f'synthetic set: rendering {counts} images of preset {preset} into {root}')
    generate_dataset(root, counts, PRESETS[preset], seed=seed, workers=workers, progress=True)
    dump_json(stamp, stamp_file, indent=1)
    return root


def pretrain(config_path: str, preset: str = 'real-2k', counts: Optional[Dict[str, int]] = None,
             seed: int = 0, workers: int = 1, cfg_options: Optional[dict] = None, launcher: str = 'none',
             cache: Optional[str] = None, force: bool = False, render_only: bool = False) -> str:
    """Train ``config_path`` on a synthetic set and keep the weights; returns their path.

    Args:
        config_path: The pretraining config (its data root is replaced by the cached set).
        preset: The scene preset of :mod:`qmat.datasets.synthetic.presets`.
        counts: Images per split (default 1500 training, 50 validation).
        seed: The set's seed.
        workers: Rendering processes.
        cfg_options: Overrides of the config (e.g. a GPU's batch size).
        launcher: As tools/train.py's ``--launcher``.
        cache: The cache directory (default :func:`cache_dir`).
        force: Train again from the start even if the weights (or checkpoints) are there.
        render_only: Render the set and stop (before a distributed run; returns the set's root).
    """
    cache = cache or cache_dir()
    weights = weights_path(config_path, cache)
    if osp.isfile(weights) and not force and not render_only:
        print(f'pretrained weights are there already: {weights} (--force trains again)')
        return weights
    counts = counts or dict(train=1500, val=50)
    root = prepare_synthetic_set(osp.join(cache, 'synthetic', f'{preset}-seed{seed}'), preset, counts, seed,
                                 workers, render=launcher == 'none')
    if render_only:
        return root
    work_dir = osp.join(cache, 'pretrain', osp.splitext(osp.basename(config_path))[0])
    cfg = load_run_config(config_path, cfg_options, launcher, work_dir, data_root=root)
    if find_latest_checkpoint(work_dir) and not force:  # go on where an interrupted run stopped
        cfg.resume, cfg.load_from = True, None
    runner = build_runner(cfg, splits=('train', 'val'))
    runner.train()
    if runner.rank == 0:
        last = find_latest_checkpoint(work_dir)
        state = model_state(load_local_checkpoint(last, map_location='cpu'), last)
        os.makedirs(osp.dirname(weights), exist_ok=True)
        tmp = f'{weights}.{os.getpid()}.tmp'
        torch.save(dict(state_dict=state, meta=dict(config=osp.basename(config_path), preset=preset,
                                                    counts=counts, seed=seed)), tmp)
        os.replace(tmp, weights)
        print(f'pretrained weights: {weights}')
    return weights
