"""Time mmcv's RoIAlign on the CPU, forward and backward, at several thread counts, in one run.

    python tools/analysis_tools/benchmark_roi_align.py [--threads 1 2] [--rois 1024] [--channels 64] \\
        [--output 7] [--feature 56 96] [--images 4] [--repeats 20]

The defaults are the R-CNN box branch of the CPU model in the study at the paper's data statistics: four
384 x 204 images (padded to 384 x 224), 256 sampled RoIs each on the stride-4 level (96 x 56, 64 channels),
7 x 7 bins of 2 x 2 samples. Prints the median milliseconds of each pass and each thread count's speed-up
over the first. Run it with mmcv's own build and with qmat's (third_party/mmcv-2.1.0) to compare the two:
their outputs and gradients must be equal, which ``--save FILE`` / ``--compare FILE`` check.
"""
import argparse
import os.path as osp
import pickle
import statistics
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Time mmcv's CPU RoIAlign at several thread counts")
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--rois', type=int, default=1024)
    parser.add_argument('--channels', type=int, default=64)
    parser.add_argument('--output', type=int, default=7, help='bins per side')
    parser.add_argument('--sampling-ratio', type=int, default=2)
    parser.add_argument('--feature', type=int, nargs=2, default=(56, 96), metavar=('H', 'W'))
    parser.add_argument('--stride', type=int, default=4)
    parser.add_argument('--images', type=int, default=4)
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--save', help='write the output and gradient to this file (torch.save)')
    parser.add_argument('--compare', help='exit 1 unless the output and gradient equal those in this file')
    args = parser.parse_args(argv)
    for key in ('rois', 'channels', 'output', 'images', 'repeats'):
        if getattr(args, key) < 1:
            parser.error(f'--{key} must be at least 1, got {getattr(args, key)}')
    if min(args.threads) < 1:
        parser.error(f'--threads must be at least 1, got {args.threads}')
    return args


def make_case(args):
    """Random features and RoIs of ``args``' sizes: boxes of 4-100 px inside the padded image."""
    import torch
    generator = torch.Generator().manual_seed(args.seed)
    height, width = args.feature
    features = torch.randn(args.images, args.channels, height, width, generator=generator)
    size = torch.rand(args.rois, 2, generator=generator) * 96 + 4
    corner = torch.rand(args.rois, 2, generator=generator) * (
        torch.tensor([width, height]) * args.stride - size)
    images = torch.randint(0, args.images, (args.rois, 1), generator=generator).float()
    rois = torch.cat([images, corner, corner + size], dim=1)
    upstream = torch.randn(args.rois, args.channels, args.output, args.output, generator=generator)
    return features, rois, upstream


def run(args):
    import mmcv
    import torch
    from mmcv.ops import roi_align

    from qmat.utils.machine import machine
    from qmat.utils.tables import markdown_table

    features, rois, upstream = make_case(args)

    def passes():
        inputs = features.clone().requires_grad_(True)
        start = time.perf_counter()
        output = roi_align(inputs, rois, (args.output, args.output), 1 / args.stride, args.sampling_ratio,
                           'avg', True)
        middle = time.perf_counter()
        output.backward(upstream)
        return middle - start, time.perf_counter() - middle, output.detach(), inputs.grad

    threads_before = torch.get_num_threads()
    rows, results = [], None
    try:
        for threads in args.threads:
            torch.set_num_threads(threads)
            passes()  # warm-up
            times = [passes() for _ in range(args.repeats)]
            results = results or times[-1][2:]
            forward, backward = (statistics.median(t[i] for t in times) for i in (0, 1))
            rows.append((threads, forward, backward))
    finally:
        torch.set_num_threads(threads_before)
    print(f'{machine()}; mmcv {mmcv.__version__} from {osp.dirname(mmcv.__file__)}')
    print(f'RoIAlign: {args.rois} RoIs, {args.channels} channels, {args.output} x {args.output} bins of '
          f'{args.sampling_ratio} x {args.sampling_ratio} samples, {args.images} maps of {args.feature[0]} x '
          f'{args.feature[1]}; median milliseconds of {args.repeats} passes\n')
    first = rows[0][1] + rows[0][2]
    print('\n'.join(markdown_table(
        ('threads', 'forward', 'backward', 'both', 'speed-up over the first'),
        ((threads, f'{1000 * forward:.1f}', f'{1000 * backward:.1f}', f'{1000 * (forward + backward):.1f}',
          f'{first / (forward + backward):.2f}x') for threads, forward, backward in rows))))
    return results


def main(argv=None):
    import torch

    from qmat.utils import UserInputError
    args = parse_args(argv)
    output, grad = run(args)
    if args.save:
        torch.save(dict(output=output, grad=grad), args.save)
    if args.compare:
        try:
            saved = torch.load(args.compare, weights_only=True)
            same = torch.equal(saved['output'], output) and torch.equal(saved['grad'], grad)
        except (OSError, RuntimeError, KeyError, TypeError, EOFError, pickle.UnpicklingError) as error:
            reason = (str(error).splitlines() or [type(error).__name__])[0]
            raise UserInputError(f'--compare {args.compare}: not a file of --save ({reason})') from None
        print(f'\noutput and gradient {"equal" if same else "DIFFER from"} those in {args.compare}')
        if not same:
            sys.exit(1)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
