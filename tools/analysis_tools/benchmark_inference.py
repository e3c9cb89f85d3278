"""Inference latency per micrograph on this machine.

    python tools/analysis_tools/benchmark_inference.py [--images 10]

Generates ``--images`` synthetic micrographs of ``--size`` (default 1536 x 2048, the paper's 2K images),
loads each config (with ``--checkpoint`` where given, otherwise untrained weights, which changes how many
detections are drawn and pasted) through mmdet's ``init_detector`` and times ``inference_detector`` per image:
reading, resizing, the network, and masks pasted back at full resolution. Prints a markdown table.
"""
import argparse
import os
import statistics
import tempfile
import time

DEFAULT_CONFIGS = ['configs/baseline/mask-rcnn_r101_fpn_10k_graphene.py',
                   'configs/sasl/mask-rcnn_r101_fpn_sasl-t0.8_10k_graphene.py']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Time inference per micrograph')
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument('--checkpoints', nargs='*', default=[],
                        help='one per config, in order ("none" for untrained weights)')
    parser.add_argument('--images', type=int, default=10, help='timed images (after one warm-up image)')
    parser.add_argument('--size', type=int, nargs=2, default=(1536, 2048), metavar=('H', 'W'))
    parser.add_argument('--device', default=None, help='default: cuda:0 when available, else cpu')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmdet.apis import inference_detector, init_detector

    from qmat.datasets import SceneConfig, generate_dataset
    from qmat.utils import UserInputError
    from qmat.utils.machine import device_line
    from qmat.utils.tables import markdown_table

    if args.images < 1:
        raise UserInputError(f'--images must be >= 1, got {args.images}')
    if args.checkpoints and len(args.checkpoints) != len(args.configs):
        raise UserInputError(f'--checkpoints: give one per config ({len(args.configs)}), '
                             f'got {len(args.checkpoints)}')
    device = args.device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
    rows = []
    with tempfile.TemporaryDirectory() as root:
        scene = SceneConfig(image_size=tuple(args.size), flakes=(20, 60), radius=(6.0, 0.06 * min(args.size)))
        generate_dataset(root, {'val': args.images + 1}, scene, seed=0)
        folder = os.path.join(root, 'val2019')
        images = sorted(os.path.join(folder, name) for name in os.listdir(folder))
        for i, config in enumerate(args.configs):
            checkpoint = args.checkpoints[i] if args.checkpoints else None
            checkpoint = None if checkpoint in (None, 'none') else checkpoint
            model = init_detector(config, checkpoint, device=device,
                                  cfg_options={'model.backbone.init_cfg': None})
            inference_detector(model, images[0])  # warm-up
            seconds, detections = [], []
            for image in images[1:]:
                if device.startswith('cuda'):
                    torch.cuda.synchronize()
                start = time.perf_counter()
                result = inference_detector(model, image)
                if device.startswith('cuda'):
                    torch.cuda.synchronize()
                seconds.append(time.perf_counter() - start)
                detections.append(int((result.pred_instances.scores >= 0.05).sum()))
            rows.append((config, 'trained' if checkpoint else 'untrained', statistics.median(seconds),
                         statistics.mean(detections)))
    print(device_line(device))
    print(f'{args.images} micrographs of {args.size[0]} x {args.size[1]}, median per image after 1 warm-up\n')
    header = ('config', 'weights', 'median s / image', 'images / s', 'detections / image')
    print('\n'.join(markdown_table(header, (
        (config, weights, f'{median:.3f}', f'{1 / median:.2f}', f'{count:.1f}')
        for config, weights, median, count in rows))))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
