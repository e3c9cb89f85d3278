"""Train a detector: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] ...``.

The options are mmdet 3.3.0's; qmat adds one-line errors for bad paths, safe checkpoint loading and
gloo DDP when torchrun starts it on a machine without a GPU.
"""
import argparse
import os

from qmat.engine.runner import add_run_arguments


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a qmat/mmdet detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', default=False,
                        help='enable automatic-mixed-precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='enable automatically scaling LR (by total batch / base_batch_size)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT, or without a value from the latest checkpoint in the work dir (which must '
        'have one)')
    parser.add_argument('--resume-if-any', action='store_true',
                        help='resume from the latest checkpoint in the work dir if there is one, else start')
    add_run_arguments(parser, 'train_cfg.max_iters=100')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmengine.runner import find_latest_checkpoint

    from qmat.engine import build_runner, load_run_config
    from qmat.utils import UserInputError

    cfg = load_run_config(args.config, args.cfg_options, args.launcher, args.work_dir, args.data_root)

    if args.amp:
        wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper_type == 'OptimWrapper':
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        elif wrapper_type != 'AmpOptimWrapper':  # AmpOptimWrapper: the config has it on already
            raise UserInputError(f'--amp needs optim_wrapper.type OptimWrapper, not {wrapper_type}')

    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise UserInputError(
                f'--auto-scale-lr: config {args.config} has no auto_scale_lr.base_batch_size')
        cfg.auto_scale_lr.enable = True

    if args.resume == 'auto' or args.resume_if_any:
        if args.resume == 'auto' and find_latest_checkpoint(cfg.work_dir) is None:
            raise UserInputError(f'--resume: {cfg.work_dir} has no checkpoint to resume from; leave out '
                                 '--resume to start a new run (--resume-if-any does either)')
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not os.path.isfile(args.resume):
            raise UserInputError(f'--resume checkpoint {args.resume} does not exist')
        cfg.resume = True
        cfg.load_from = args.resume

    runner = build_runner(cfg, splits=('train', 'val') if cfg.get('val_cfg') else ('train',),
                          skip_invalid=args.skip_invalid)
    runner.train()


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
