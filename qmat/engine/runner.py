"""Building an mmengine Runner the way tools/train.py and tools/test.py need it."""
import argparse
import os.path as osp
from typing import Optional, Sequence

from mmdet.registry import RUNNERS
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner, find_latest_checkpoint

from qmat.utils import UserInputError

from .checkpoint import check_checkpoint_fits
from .config import (
    CfgOptionsAction,
    adopt_data_classes,
    check_cfg_options,
    check_dataset_files,
    load_config,
    set_data_root,
)
from .distributed import setup_cpu_distributed


def add_run_arguments(parser: argparse.ArgumentParser, example: str) -> None:
    """The options tools/train.py and tools/test.py share: ``--data-root``, ``--cfg-options`` (``example``
    in its help), ``--launcher`` and torchrun's ``--local-rank``."""
    parser.add_argument('--data-root', help='run on the dataset in this directory (same layout as the '
                        "config's: annotations/ and images); applied before --cfg-options")
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help=f'override settings in the config, key=value pairs such as {example}')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--skip-invalid', action='store_true',
                        help='leave out the broken images and annotations that the data check finds, instead '
                        'of stopping (the first is named and the count said)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_run_config(config_path: str, cfg_options: Optional[dict], launcher: str,
                    work_dir: Optional[str], data_root: Optional[str] = None) -> Config:
    """The config of a train or test run: read, ``--data-root`` and ``--cfg-options`` applied (in that
    order), launcher and work dir set."""
    from mmdet.utils import setup_cache_size_limit_of_dynamo

    setup_cache_size_limit_of_dynamo()  # as mmdet's tools: fewer torch.compile recompilations
    cfg = load_config(config_path)
    if data_root is not None:
        set_data_root(cfg, data_root)
        adopt_data_classes(cfg)  # a lab's own class names: no config edit
    if cfg_options:
        check_cfg_options(cfg, cfg_options, config_path)
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    set_work_dir(cfg, config_path, work_dir)
    return cfg


def set_work_dir(cfg: Config, config_path: str, work_dir: Optional[str] = None) -> None:
    """Work dir priority, as in mmdet: command line, then the config, then ./work_dirs/<config name>."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def build_runner(cfg: Config, splits: Sequence[str], skip_invalid: bool = False) -> Runner:
    """Check the data files of ``splits``, set up CPU distributed training if needed, build the Runner, and
    check that the checkpoint it will load (``load_from``, or the latest one of the work dir when it
    resumes) fits its model."""
    check_dataset_files(cfg, splits, skip_invalid)
    load_from = cfg.get('load_from')
    if load_from and not cfg.get('resume') and not osp.isfile(osp.expanduser(load_from)):
        made_by = ' (the synthetic-pretrained weights: python tools/pretrain.py makes them)' \
            if osp.basename(osp.dirname(load_from)) == 'weights' else ''
        raise UserInputError(f'load_from {load_from} does not exist{made_by}')
    setup_cpu_distributed(cfg)
    try:
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    except ValueError as error:  # a module's own check of its arguments (e.g. SASLRPNHead.threshold)
        raise UserInputError(f'the config could not be built: {error}') from None
    except TypeError as error:  # a config key that the module does not take
        if 'unexpected keyword argument' not in str(error):
            raise
        raise UserInputError(f'the config could not be built: {error}') from None
    checkpoint = cfg.get('load_from') or (find_latest_checkpoint(cfg.work_dir) if cfg.get('resume') else None)
    if checkpoint:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        # weights to start training from may have other classes (a lab's own); a model to test or resume not
        fine_tuning = bool(cfg.get('load_from')) and not cfg.get('resume') and 'train' in splits
        afresh = check_checkpoint_fits(model, checkpoint, new_classes=fine_tuning)
        if afresh:
            runner.logger.info(f'load_from {checkpoint}: other classes than the model\'s; '
                               f'{", ".join(afresh)} start afresh')
    return runner
