"""Training-iteration cost of detectors against a reference, measured in one run.

    python tools/analysis_tools/benchmark_train_step.py [--configs REFERENCE CONFIG ...] [--iters 20] \\
        [--batch 2] [--data-root DIR [--train-ann FILE]] [--checkpoint CKPT] [--parts]

Each config's detector is built with the same seed and trained (forward, loss, backward, optimizer step)
on the same batches, iterations alternating between them so that a machine's drift from minute to minute
hits all alike, each reseeded identically so that all sample the same anchors and RoIs; the table gives
the median seconds per iteration and the ratio to the first config's.

The batches are generated micrographs of ``--size`` (default: the paper's R101-FPN pair on graphene,
``--input-scale`` shrinks the input for a CPU), or ``--batches`` batches of an existing set
(``--data-root``, the config's training annotations or ``--train-ann``). ``--checkpoint`` starts every
detector from the same trained weights, so that a self-training teacher predicts what a trained one does:
a detector with a burn-in (``SelfTrainingMaskRCNN``) is timed past it, its teacher copying the student in
the first warm-up iteration.

``--parts`` adds a second table: where each step's time goes, the median seconds per iteration of the
forward passes of the student's features, RPN and R-CNN stage (with their losses) and of a self-training
teacher's features, proposals, box head and mask head; the rest of the step (backward, optimizer step,
the teacher's update and pseudo-label selection, data preprocessing) is the total minus those.
"""
import argparse
import statistics
import tempfile
import time

DEFAULT_CONFIGS = ['configs/baseline/mask-rcnn_r101_fpn_10k_graphene.py',
                   'configs/sasl/mask-rcnn_r101_fpn_sasl-t0.8_10k_graphene.py']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Time training iterations of detectors against a reference')
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS,
                        help='the reference first, then those timed against it')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations per model (at least 20)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch', type=int, default=2, help='images per iteration')
    parser.add_argument('--batches', type=int, default=1, help='distinct batches, taken in turn')
    parser.add_argument('--size', type=int, nargs=2, default=(1536, 2048), metavar=('H', 'W'),
                        help='size of the generated micrographs (without --data-root)')
    parser.add_argument('--data-root', help="an existing set of the configs' layout, not generated images")
    parser.add_argument('--train-ann', help='its training annotations, relative to --data-root')
    parser.add_argument('--checkpoint', help='weights every detector starts from')
    parser.add_argument('--input-scale', type=int, nargs=2, metavar=('LONG', 'SHORT'),
                        help="replace the train pipeline's Resize scale (default: the config's)")
    parser.add_argument('--device', default='cuda' if _cuda() else 'cpu')
    parser.add_argument('--parts', action='store_true', help="also time the step's parts (forward passes)")
    return parser.parse_args(argv)


def _cuda():
    import torch
    return torch.cuda.is_available()


def build(config, data_root, args):
    """Model, optimizer wrapper and ``args.batches`` training batches of ``config`` on ``data_root``."""
    import itertools

    import torch
    from mmdet.registry import MODELS
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner, load_checkpoint

    from qmat.engine import load_config, set_data_root
    from qmat.engine.checkpoint import check_checkpoint_fits

    cfg = load_config(config)
    set_data_root(cfg, data_root)
    cfg.model.backbone.init_cfg = None  # no download: the weights are random or the checkpoint's
    loader = cfg.train_dataloader
    loader.update(batch_size=args.batch, num_workers=0, persistent_workers=False)
    if args.train_ann:
        loader.dataset.ann_file = args.train_ann
    if args.input_scale:
        for step in loader.dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = tuple(args.input_scale)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(args.device)
    model.init_weights()
    if args.checkpoint:
        check_checkpoint_fits(model, args.checkpoint)
        load_checkpoint(model, args.checkpoint, map_location=args.device, logger='silent')
    if hasattr(model, 'burn_in'):  # time the step with the teacher, which a run takes after the burn-in
        model.steps.fill_(model.burn_in)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batches = list(itertools.islice(Runner.build_dataloader(loader, seed=0), args.batches))
    return model, optim_wrapper, batches


# the timed parts: name -> (owner's attribute path from the detector, method); absent ones are skipped
PARTS = {
    'features': ('', 'extract_feat'),
    'RPN': ('rpn_head', 'loss_and_predict'),
    'R-CNN': ('roi_head', 'loss'),
    'teacher: features': ('teacher', 'extract_feat'),
    'teacher: proposals': ('teacher.rpn_head', 'predict'),
    'teacher: box head': ('teacher.roi_head', 'predict_bbox'),
    'teacher: mask head': ('teacher.roi_head', 'predict_mask'),
}


def time_parts(model, device: str) -> dict:
    """Wrap the :data:`PARTS` that ``model`` has so that each call adds its seconds to the returned dict's
    entry (the caller clears it before each step)."""
    spent = {}
    for name, (path, method) in PARTS.items():
        owner = model
        for attribute in filter(None, path.split('.')):
            owner = getattr(owner, attribute, None)
        if owner is not None and hasattr(owner, method):
            # an instance attribute: the class's method is left as it is
            setattr(owner, method, _timed(getattr(owner, method), name, spent, device))
    return spent


def _timed(call, name: str, spent: dict, device: str):
    def timed(*args, **kwargs):
        synchronize(device)
        start = time.perf_counter()
        result = call(*args, **kwargs)
        synchronize(device)
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return result
    return timed


def synchronize(device: str) -> None:
    if device.startswith('cuda'):
        import torch
        torch.cuda.synchronize()


def timed_step(model, optim_wrapper, batch, seed, device):
    import torch
    torch.manual_seed(seed)  # the same sampled anchors and RoIs for every model
    synchronize(device)
    start = time.perf_counter()
    model.train_step(batch, optim_wrapper)
    synchronize(device)
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
    if args.batches < 1 or args.batch < 1:
        raise UserInputError(f'--batch {args.batch} --batches {args.batches}: both must be >= 1')
    if len(args.configs) < 2 or len(set(args.configs)) < len(args.configs):
        raise UserInputError(f'--configs {" ".join(args.configs)}: give a reference and at least one other, '
                             'each once')
    if args.train_ann and not args.data_root:
        raise UserInputError(f'--train-ann {args.train_ann}: give the --data-root it lies in')
    register_all_modules()
    with tempfile.TemporaryDirectory() as root:
        if not args.data_root:
            scene = SceneConfig(image_size=tuple(args.size), flakes=(20, 40),
                                radius=(6.0, 0.08 * min(args.size)))
            generate_dataset(root, {'train': args.batch * args.batches}, scene, seed=0)
        runs = {config: build(config, args.data_root or root, args) for config in args.configs}
    times = {config: [] for config in runs}
    spent = {config: time_parts(runs[config][0], args.device) for config in runs} if args.parts else {}
    parts = {config: [] for config in spent}  # per timed iteration: {part: seconds}
    for i in range(args.warmup + args.iters):
        order = list(runs) if i % 2 == 0 else list(reversed(runs))  # alternate: drift hits all alike
        for config in order:
            model, optim_wrapper, batches = runs[config]
            if config in spent:
                spent[config].clear()
            seconds = timed_step(model, optim_wrapper, batches[i % len(batches)], seed=i, device=args.device)
            if i >= args.warmup:
                times[config].append(seconds)
                if config in spent:
                    parts[config].append(dict(spent[config], rest=seconds - sum(spent[config].values())))

    shape = tuple(runs[args.configs[0]][2][0]['inputs'][0].shape[-2:])
    print(device_line(args.device))
    print(f'batch {args.batch} ({args.batches} distinct), input {shape[0]} x {shape[1]}, '
          f'{args.data_root or "generated micrographs"}, '
          f'{"from " + args.checkpoint if args.checkpoint else "from scratch"}; '
          f'median of {args.iters} iterations after {args.warmup} warm-up\n')
    medians = {config: statistics.median(values) for config, values in times.items()}
    base = medians[args.configs[0]]
    print('\n'.join(markdown_table(('config', 'median s / iter', 'min', 'max', 'ratio'), (
        (config, f'{medians[config]:.3f}', f'{min(v):.3f}', f'{max(v):.3f}', f'{medians[config] / base:.3f}')
        for config, v in times.items()))))
    if parts:
        names = [name for name in [*PARTS, 'rest'] if any(name in steps[0] for steps in parts.values())]
        print('\nForward passes (with their losses) and the rest of the step, median seconds per iteration; '
              "'rest' is the step minus the parts: data preprocessing, backward, optimizer step, a teacher's "
              'update and pseudo-label selection.\n')
        print('\n'.join(markdown_table(('config', *names), (
            (config, *(f'{statistics.median(p[name] for p in steps):.3f}' if name in steps[0] else '—'
                       for name in names))
            for config, steps in parts.items()))))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
