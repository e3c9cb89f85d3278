"""Generate synthetic flake micrographs in the paper's layout.

    python tools/data_tools/generate_synthetic.py OUT_DIR [--preset real-2k] [--material hbn] ...
"""
import argparse
import os


def parse_args(argv=None):
    from qmat.datasets.synthetic import MATERIALS, SIO2_PRESETS_NM
    from qmat.datasets.synthetic.presets import PRESETS
    parser = argparse.ArgumentParser(
        description='Generate synthetic flake micrographs with exact COCO annotations '
        '(annotations/instances_{split}2019.json, images in {split}2019/)')
    parser.add_argument('out_dir', help='dataset root to write')
    parser.add_argument('--preset', default='default', choices=sorted(PRESETS),
                        help='what the images look like (real-2k: like real 2K micrographs at half '
                        'resolution); the options below override it')
    parser.add_argument('--material', choices=sorted(MATERIALS),
                        help="default: graphene, or the preset's mix")
    parser.add_argument('--sio2', type=float,
                        help=f'oxide thickness in nm (usual chips: {", ".join(map(str, SIO2_PRESETS_NM))})')
    parser.add_argument('--train', type=int, default=64, help='number of training images')
    parser.add_argument('--val', type=int, default=16, help='number of validation images')
    parser.add_argument('--test', type=int, default=0, help='number of test images')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'),
                        help="image size in pixels (default: the preset's; 512 512 for the default)")
    parser.add_argument('--flakes', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        help='flakes per image (dense 2K images: e.g. 100 300)')
    parser.add_argument('--radius', type=float, nargs=2, metavar=('MIN', 'MAX'),
                        help='flake radius range in pixels (default: 4 to 18 %% of the shorter side, or the '
                        "preset's)")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1,
                        help='rendering processes (default: one per core)')
    return parser.parse_args(argv)


def scene_config(args):
    """The preset with the options given on the command line over it."""
    from dataclasses import replace

    from qmat.datasets.synthetic.presets import PRESETS

    overrides = {}
    if args.material:
        overrides.update(material=args.material, materials=())
    if args.sio2 is not None:
        overrides.update(sio2_nm=args.sio2, sio2_choices=())
    if args.flakes:
        overrides['flakes'] = tuple(args.flakes)
    size = args.size or ((512, 512) if args.preset == 'default' else None)
    if size:
        overrides['image_size'] = tuple(size)
    if args.radius:
        overrides['radius'] = tuple(args.radius)
    elif size:
        overrides['radius'] = (4.0, 0.18 * min(size))
    return replace(PRESETS[args.preset], **overrides)


def main(argv=None):
    args = parse_args(argv)
    from qmat.datasets import generate_dataset
    from qmat.utils import UserInputError

    cfg = scene_config(args)
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
