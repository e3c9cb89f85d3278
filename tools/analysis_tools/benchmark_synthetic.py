"""Speed of the synthetic generator.

    python tools/analysis_tools/benchmark_synthetic.py [--images 300] [--size 512 512]

Writes full sets (render, JPEG or PNG files, COCO json) with 1 and 2 worker processes into a temporary
folder and prints a markdown table: images per second, and the speed-up of each row over the first,
measured in the same run.
"""
import argparse
import platform
import tempfile
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark the synthetic flake generator')
    parser.add_argument('--images', type=int, default=300)
    parser.add_argument('--size', type=int, nargs=2, default=(512, 512), metavar=('H', 'W'))
    parser.add_argument('--flakes', type=int, nargs=2, default=(3, 12), metavar=('MIN', 'MAX'))
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.datasets import SceneConfig, generate_dataset
    from qmat.utils.machine import machine
    from qmat.utils.tables import markdown_table

    cfg = SceneConfig(image_size=tuple(args.size), flakes=tuple(args.flakes),
                      radius=(4.0, 0.18 * min(args.size)))
    generate_dataset(tempfile.mkdtemp(), {'train': 4}, cfg)  # warm the colour caches and imports
    rows = []
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as root:
            start = time.perf_counter()
            generate_dataset(root, {'train': args.images}, cfg, seed=1, workers=workers)
            seconds = time.perf_counter() - start
        rows.append((workers, seconds, args.images / seconds))
    print(f'machine: {machine()}, Python {platform.python_version()}')
    print(f'{args.images} images of {args.size[0]} x {args.size[1]}, {args.flakes[0]}-{args.flakes[1]} '
          'flakes each: rendered, encoded (JPEG or PNG) and written with their COCO json\n')
    print('\n'.join(markdown_table(('workers', 'seconds', 'images/s', 'speed-up'), (
        (workers, f'{seconds:.1f}', f'{rate:.1f}', f'{rate / rows[0][2]:.2f}')
        for workers, seconds, rate in rows))))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
