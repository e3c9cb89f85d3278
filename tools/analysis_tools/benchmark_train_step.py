"""Training-iteration cost of SASL-RPN against mmdet's RPNHead, measured in one run.

    python tools/analysis_tools/benchmark_sasl_rpn.py [--baseline CONFIG] [--sasl CONFIG] [--iters 20] \\
        [--batch 2]

Both detectors are built from scratch (no download) with the same seed and trained on the same batch of
synthetic micrographs, iterations alternating between them (forward, loss, backward, optimizer step; the
RPN sampler reseeded identically for both); the table gives the median seconds per iteration and the ratio.
The default pair is the paper's R101-FPN setup on graphene; ``--input-scale`` shrinks the input for a CPU.
"""
import argparse
import statistics
import tempfile
import time

DEFAULT_BASELINE = 'configs/baseline/mask-rcnn_r101_fpn_10k_graphene.py'
DEFAULT_SASL = 'configs/sasl/mask-rcnn_r101_fpn_sasl-t0.8_10k_graphene.py'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Time SASL-RPN against RPNHead per training iteration')
    parser.add_argument('--baseline', default=DEFAULT_BASELINE, help='config with the RPNHead')
    parser.add_argument('--sasl', default=DEFAULT_SASL, help='the same config with SASLRPNHead')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations per model (at least 20)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch', type=int, default=2, help='images per iteration')
    parser.add_argument('--size', type=int, nargs=2, default=(1536, 2048), metavar=('H', 'W'),
                        help='size of the generated micrographs')
    parser.add_argument('--input-scale', type=int, nargs=2, metavar=('LONG', 'SHORT'),
                        help="replace the train pipeline's Resize scale (default: the config's)")
    parser.add_argument('--device', default='cuda' if _cuda() else 'cpu')
    return parser.parse_args(argv)


def _cuda():
    import torch
    return torch.cuda.is_available()


def build(config, data_root, args):
    """Model, optimizer wrapper and one training batch of ``config`` on the generated data."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner

    from qmat.engine import load_config, set_data_root

    cfg = load_config(config)
    set_data_root(cfg, data_root)
    cfg.model.backbone.init_cfg = None  # from scratch: the timing does not depend on the weights
    loader = cfg.train_dataloader
    loader.update(batch_size=args.batch, num_workers=0, persistent_workers=False)
    if args.input_scale:
        for step in loader.dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = tuple(args.input_scale)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(args.device)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batch = next(iter(Runner.build_dataloader(loader, seed=0)))
    return model, optim_wrapper, batch


def timed_step(model, optim_wrapper, batch, seed, device):
    import torch
    torch.manual_seed(seed)  # the same sampled anchors and RoIs for both models
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    model.train_step(batch, optim_wrapper)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    from mmdet.utils import register_all_modules

    from qmat.datasets import SceneConfig, generate_dataset
    from qmat.utils import UserInputError
    from qmat.utils.machine import device_line
    from qmat.utils.tables import markdown_table

    if args.iters < 20:
        raise UserInputError(f'--iters {args.iters}: take the median of at least 20 iterations')
    register_all_modules()
    with tempfile.TemporaryDirectory() as root:
        scene = SceneConfig(image_size=tuple(args.size), flakes=(20, 40), radius=(6.0, 0.08 * min(args.size)))
        generate_dataset(root, {'train': args.batch}, scene, seed=0)
        runs = {name: build(config, root, args) for name, config in
                (('RPNHead', args.baseline), ('SASLRPNHead', args.sasl))}
    times = {name: [] for name in runs}
    for i in range(args.warmup + args.iters):
        order = list(runs) if i % 2 == 0 else list(reversed(runs))  # alternate: drift hits both alike
        for name in order:
            seconds = timed_step(*runs[name], seed=i, device=args.device)
            if i >= args.warmup:
                times[name].append(seconds)

    shape = tuple(runs['RPNHead'][2]['inputs'][0].shape[-2:])
    print(device_line(args.device))
    print(f'{args.baseline} vs {args.sasl}: batch {args.batch}, input {shape[0]} x {shape[1]}, '
          f'median of {args.iters} iterations after {args.warmup} warm-up\n')
    base = statistics.median(times['RPNHead'])
    medians = {name: statistics.median(values) for name, values in times.items()}
    print('\n'.join(markdown_table(('RPN head', 'median s / iter', 'min', 'max', 'ratio'), (
        (name, f'{medians[name]:.3f}', f'{min(v):.3f}', f'{max(v):.3f}', f'{medians[name] / base:.3f}')
        for name, v in times.items()))))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
