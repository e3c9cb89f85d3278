"""Generate a synthetic flake set in the paper's layout: python tools/generate_synthetic.py OUT_DIR."""
import argparse


def parse_args():
    parser = argparse.ArgumentParser(
        description='Generate synthetic flake micrographs with COCO annotations')
    parser.add_argument('out_dir', help='dataset root to write (annotations/, train2019/, val2019/)')
    parser.add_argument('--train', type=int, default=64, help='number of training images')
    parser.add_argument('--val', type=int, default=16, help='number of validation images')
    parser.add_argument('--size', type=int, nargs=2, default=(256, 256), metavar=('H', 'W'),
                        help='image size')
    parser.add_argument('--flakes', type=int, nargs=2, default=(3, 8), metavar=('MIN', 'MAX'),
                        help='flakes per image')
    parser.add_argument('--radius', type=float, nargs=2, metavar=('MIN', 'MAX'),
                        help='flake radius range in pixels (default: 3 %% to 15 %% of the shorter side)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    from qmat.datasets import generate_dataset
    from qmat.utils import UserInputError

    try:
        files = generate_dataset(args.out_dir, {'train': args.train, 'val': args.val}, tuple(args.size),
                                 tuple(args.flakes),
                                 args.radius and tuple(args.radius), seed=args.seed)
    except ValueError as error:
        raise UserInputError(str(error)) from None
    for split, path in files.items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
