"""A trained detector and its training batches, sampled as in training: what the analyses of missing
annotations (``tools/analysis_tools/*.py``) run over."""
import argparse
import math
from typing import Iterator, Optional, Tuple

import torch

from qmat.utils import dump_json, nan_to_none


def training_pass(config: str, checkpoint: Optional[str], train_ann: str, data_root: Optional[str] = None,
                  cfg_options: Optional[dict] = None, seed: int = 0,
                  passes: int = 1) -> Tuple[torch.nn.Module, Iterator[dict]]:
    """The model of ``config`` with ``checkpoint`` loaded (if any), in train mode (the losses' sampling and
    batch statistics, as in training), and ``passes`` passes of training batches over ``train_ann``.

    The flips (numpy) and the samplers (torch) are seeded with ``seed``: a repeatable pass.

    Raises:
        UserInputError: A data file is missing.
    """
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.runner import Runner, load_checkpoint, set_random_seed

    from qmat.engine import check_dataset_files, load_config, set_data_root
    from qmat.engine.checkpoint import check_checkpoint_fits

    register_all_modules()
    cfg = load_config(config)
    if data_root:
        set_data_root(cfg, data_root)
    cfg.merge_from_dict(dict(cfg_options or {}, **{'train_dataloader.dataset.ann_file': train_ann}))
    check_dataset_files(cfg, ('train',))
    model = MODELS.build(cfg.model)
    if checkpoint:
        check_checkpoint_fits(model, checkpoint)
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.train()
    set_random_seed(seed)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=seed)
    steps = passes * math.ceil(len(loader.dataset) / cfg.train_dataloader.batch_size)
    return model, (batch for _, batch in zip(range(steps), loader))


def training_pass_parser(description: str, checkpoint: bool = True) -> argparse.ArgumentParser:
    """The command line of a training-pass analysis: config, checkpoint (unless ``checkpoint`` is False),
    the training file with the removed flakes kept as ignored, and the pass's data root, passes, seed,
    output and config options."""
    from qmat.engine.config import CfgOptionsAction
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('config')
    if checkpoint:
        parser.add_argument('checkpoint')
    parser.add_argument('--train-ann', required=True,
                        help='training annotations with the removed flakes kept as ignored (iscrowd=1), '
                        'relative to the data root')
    parser.add_argument('--data-root', help='dataset directory (default: the config\'s)')
    parser.add_argument('--passes', type=int, default=1, help='passes over the training set')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the result as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser


def write_pass_result(args: argparse.Namespace, result: dict) -> None:
    """With ``--out``, write ``result`` there as JSON (NaN as null) with the pass's config, checkpoint and
    training file."""
    if args.out:
        dump_json(nan_to_none(dict(result, config=args.config, checkpoint=getattr(args, 'checkpoint', None),
                                   train_ann=args.train_ann)), args.out, indent=1)
        print(f'written: {args.out}')


def training_pass_of(args: argparse.Namespace) -> Tuple[torch.nn.Module, Iterator[dict]]:
    """:func:`training_pass` with the arguments of :func:`training_pass_parser`."""
    return training_pass(args.config, getattr(args, 'checkpoint', None), args.train_ann, args.data_root,
                         args.cfg_options, args.seed, args.passes)
