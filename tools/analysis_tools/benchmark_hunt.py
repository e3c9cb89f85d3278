"""Images per second of the flake hunt (tools/hunting/hunt.py's work) on 2K micrographs, per tiling mode.

    python tools/analysis_tools/benchmark_hunt.py CONFIG CHECKPOINT [--images 4] [--modes whole 256:96]
    python tools/analysis_tools/benchmark_hunt.py CONFIG CHECKPOINT --folder micrographs/ --modes whole

Generates ``--images`` dense synthetic micrographs of ``--size`` (default 1536 x 2048; the flakes of the
study's 256 x 256 training scenes, 4-90 px radii, at half their density: 72-288 per image) and hunts them as
tools/hunting/hunt.py does (:func:`qmat.apps.hunt_images`: reading, detection, measurements, overlay and
JSON per image), or the first ``--images`` + 1 micrographs of ``--folder``, once per mode: ``whole`` (the
image at once, resized by the config's test pipeline) or ``T:O`` (T x T tiles sharing O pixels). One warm-up
image per mode is not timed. Prints a markdown table.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import tempfile
import time


def parse_mode(text: str):
    if text == 'whole':
        return None, 0
    try:
        tile, overlap = (int(v) for v in text.split(':'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'a mode is "whole" or TILE:OVERLAP (e.g. 256:96), got {text!r}') from None
    return tile, overlap


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Time the flake hunt on 2K micrographs')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--images', type=int, default=4, help='timed images per mode (after one warm-up)')
    parser.add_argument('--size', type=int, nargs=2, default=(1536, 2048), metavar=('H', 'W'))
    parser.add_argument('--folder', help='time these micrographs (the first --images + 1, sorted) instead of '
                        'generated ones')
    parser.add_argument('--modes', type=parse_mode, nargs='+', default=[(None, 0), (256, 96)],
                        help='"whole" and/or TILE:OVERLAP (default: whole 256:96)')
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)

    from qmat.apis import FlakeHunter
    from qmat.apps import hunt_images, list_images, result_name
    from qmat.datasets import SceneConfig, generate_dataset
    from qmat.utils import UserInputError
    from qmat.utils.machine import device_line
    from qmat.utils.tables import markdown_table

    if args.images < 1:
        raise UserInputError(f'--images must be >= 1, got {args.images}')
    rows = []
    with tempfile.TemporaryDirectory() as root:
        # The study's 256 x 256 scenes, scaled up in area: flakes of the same sizes, at half their density.
        scale = args.size[0] * args.size[1] / 256 ** 2
        flakes = (max(1, round(1.5 * scale)), round(6 * scale))
        scene = SceneConfig(image_size=tuple(args.size), flakes=flakes,
                            radius=(4.0, min(90.0, min(args.size) / 2 - 1)), bulk=(0, round(scale / 6)),
                            dust=(0, round(6 * scale)))
        if args.folder:
            images = list_images([args.folder])[:args.images + 1]
            if len(images) < 2:
                raise UserInputError(f'--folder {args.folder}: needs at least 2 images (1 warm-up)')
        else:
            generate_dataset(osp.join(root, 'data'), {'val': args.images + 1}, scene, seed=0)
            folder = osp.join(root, 'data', 'val2019')
            images = sorted(osp.join(folder, name) for name in os.listdir(folder))
        for tile, overlap in args.modes:
            try:
                hunter = FlakeHunter(args.config, args.checkpoint, args.device, args.score_thr,
                                     tile=tile, overlap=overlap)
            except ValueError as error:
                raise UserInputError(f'--modes: {error}') from None
            out = osp.join(root, f'hunt-{tile}-{overlap}')
            hunt_images(hunter, images[:1], out)  # warm-up
            stamps = [time.perf_counter()]

            def stamp(*_, stamps=stamps):
                stamps.append(time.perf_counter())
            hunt_images(hunter, images[1:], out, progress=stamp)
            seconds = [b - a for a, b in zip(stamps, stamps[1:])]
            flakes = statistics.mean(
                len(json.load(open(osp.join(out, 'images', result_name(path) + '.json')))['flakes'])
                for path in images[1:])
            mode = 'whole image' if tile is None else f'tiles {tile} px, overlap {overlap}'
            rows.append((mode, statistics.median(seconds), len(seconds) / (stamps[-1] - stamps[0]), flakes))
    print(f'{args.config}, {args.checkpoint}')
    print(device_line(args.device))
    what = f'of {args.folder}' if args.folder else f'of {args.size[0]} x {args.size[1]}'
    print(f'{len(images) - 1} micrographs {what} per mode after 1 warm-up; score >= {args.score_thr}\n')
    print('\n'.join(markdown_table(('mode', 'median s / image', 'images / s', 'flakes / image'), (
        (mode, f'{median:.2f}', f'{rate:.3f}', f'{flakes:.1f}') for mode, median, rate, flakes in rows))))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
