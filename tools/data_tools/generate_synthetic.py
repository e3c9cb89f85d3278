"""Generate synthetic flake micrographs in the paper's layout.

    python tools/data_tools/generate_synthetic.py OUT_DIR
"""
import argparse
import os


def parse_args(argv=None):
    from qmat.datasets.synthetic import MATERIALS, SIO2_PRESETS_NM
    parser = argparse.ArgumentParser(
        description='Generate synthetic flake micrographs with exact COCO annotations '
        '(annotations/instances_{split}2019.json, images in {split}2019/)')
    parser.add_argument('out_dir', help='dataset root to write')
    parser.add_argument('--material', default='graphene', choices=sorted(MATERIALS))
    parser.add_argument('--sio2', type=float, default=285.0,
                        help=f'oxide thickness in nm (usual chips: {", ".join(map(str, SIO2_PRESETS_NM))})')
    parser.add_argument('--train', type=int, default=64, help='number of training images')
    parser.add_argument('--val', type=int, default=16, help='number of validation images')
    parser.add_argument('--test', type=int, default=0, help='number of test images')
    parser.add_argument('--size', type=int, nargs=2, default=(512, 512), metavar=('H', 'W'),
                        help='image size in pixels')
    parser.add_argument('--flakes', type=int, nargs=2, default=(3, 12), metavar=('MIN', 'MAX'),
                        help='flakes per image (dense 2K images: e.g. 100 300)')
    parser.add_argument('--radius', type=float, nargs=2, metavar=('MIN', 'MAX'),
                        help='flake radius range in pixels (default: 4 to 18 %% of the shorter side)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1,
                        help='rendering processes (default: one per core)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.datasets import SceneConfig, generate_dataset
    from qmat.utils import UserInputError

    radius = tuple(args.radius) if args.radius else (4.0, 0.18 * min(args.size))
    cfg = SceneConfig(material=args.material, sio2_nm=args.sio2, image_size=tuple(args.size),
                      flakes=tuple(args.flakes), radius=radius)
    counts = {split: n for split, n in (('train', args.train), ('val', args.val), ('test', args.test)) if n}
    try:
        files = generate_dataset(args.out_dir, counts, cfg, seed=args.seed, workers=args.workers,
                                 progress=True)
    except ValueError as error:
        raise UserInputError(f'generate_synthetic: {error}') from None
    for split, path in files.items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
