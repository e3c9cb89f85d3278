"""Pretrain a detector on qmat's synthetic micrographs and keep its weights in the cache.

    python tools/pretrain.py [CONFIG] [--train 1500] [--val 50] [--cfg-options ...]

The fine-tuning config configs/real/mask-rcnn_r18_fpn_synthetic-pretrained_200i_real-2k.py starts from the
weights this writes (QMAT_CACHE_DIR/weights/, default ~/.cache/qmat/weights/). Run it again after an
interruption: it goes on from the last checkpoint. On several GPUs:

    python tools/pretrain.py --render-only
    torchrun --nproc_per_node 4 tools/pretrain.py --launcher pytorch
"""
import argparse
import os
import os.path as osp

from qmat.engine.runner import CfgOptionsAction

DEFAULT_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                          'configs', 'synthetic', 'mask-rcnn_r18_fpn_2000i_synthetic-2k.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Pretrain on synthetic micrographs; keep the weights')
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG,
                        help='pretraining config (default: the CPU-sized model for 2K micrographs)')
    parser.add_argument('--preset', default='real-2k', help='synthetic scene preset (default: real-2k)')
    parser.add_argument('--train', type=int, default=1500, help='synthetic training images')
    parser.add_argument('--val', type=int, default=50, help='synthetic validation images')
    parser.add_argument('--seed', type=int, default=0, help="the synthetic set's seed")
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1, help='rendering processes')
    parser.add_argument('--cache-dir', help='cache directory (default: QMAT_CACHE_DIR or ~/.cache/qmat)')
    parser.add_argument('--force', action='store_true', help='train again even if the weights exist')
    parser.add_argument('--render-only', action='store_true',
                        help='render the synthetic set and stop (before a distributed run)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override settings in the config, e.g. train_dataloader.batch_size=16 on a GPU')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    from qmat.apps.pretrain import pretrain
    from qmat.utils import UserInputError

    if args.train < 1 or args.val < 1:
        raise UserInputError(f'--train and --val must be at least 1, got {args.train} and {args.val}')
    if not osp.isfile(args.config):
        raise UserInputError(f'config {args.config} does not exist')
    pretrain(args.config, args.preset, dict(train=args.train, val=args.val), args.seed, args.workers,
             args.cfg_options, args.launcher, args.cache_dir, args.force, args.render_only)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
