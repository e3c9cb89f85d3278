import os.path as osp

import pytest
import torch
from helpers import REPO

from qmat.datasets import SceneConfig, generate_dataset

# Small images with a few flakes: enough for every code path, quick to train on.
TINY_SCENE = SceneConfig(image_size=(128, 128), flakes=(2, 5), radius=(4.0, 24.0), bulk=(0, 1), dust=(0, 5))
SYNTHETIC_CONFIG = osp.join(REPO, 'configs', 'synthetic', 'mask-rcnn_r18_fpn_250i_synthetic.py')


def tiny_run_options(data_root, max_iters, checkpoint_interval=None, workers=0):
    """Options of tools/train.py and tools/test.py that point the synthetic config at ``data_root`` and
    shorten it to ``max_iters``."""
    options = [
        f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={max_iters}',
        f'default_hooks.checkpoint.interval={checkpoint_interval or max_iters}',
        'default_hooks.logger.interval=1', 'log_processor.window_size=1',
        f'train_dataloader.num_workers={workers}', f'val_dataloader.num_workers={workers}',
        f'test_dataloader.num_workers={workers}', 'train_dataloader.batch_size=2',
        'randomness.seed=0',
    ]
    return ['--data-root', data_root, '--cfg-options', *options]


def tiny_run_config(data_root, max_iters):
    """The config that tools/train.py makes of ``tiny_run_options(data_root, max_iters)``."""
    import argparse

    from mmengine.config import DictAction

    from qmat.engine import load_run_config
    parser = argparse.ArgumentParser()
    parser.add_argument('--data-root')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(tiny_run_options(data_root, max_iters))
    return load_run_config(SYNTHETIC_CONFIG, args.cfg_options, 'none', None, args.data_root)


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """A tiny synthetic flake set in the paper's layout (written once per test session)."""
    root = str(tmp_path_factory.mktemp('synthetic'))
    generate_dataset(root, {'train': 8, 'val': 4}, TINY_SCENE, seed=0)
    return root


@pytest.fixture(scope='session')
def random_checkpoint(tmp_path_factory):
    """The CPU-sized model with random weights; its score threshold of 0.05 leaves many detections."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    from qmat.datasets import FlakeDataset
    register_all_modules()
    cfg = Config.fromfile(SYNTHETIC_CONFIG)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': dict(classes=FlakeDataset.METAINFO['classes'])}}, path)
    return path
