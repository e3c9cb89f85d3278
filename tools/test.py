"""Test (and evaluate) a detector: ``python tools/test.py CONFIG CHECKPOINT [--out results.pkl] ...``.

The options are mmdet 3.3.0's. The checkpoint is loaded with ``weights_only=True``.
"""
import argparse
import os

from qmat.engine.runner import add_run_arguments


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a qmat/mmdet detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the file containing evaluation metrics')
    parser.add_argument('--out', type=str, help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='directory (inside the run dir) where painted images are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation (the config\'s tta_model, else flip / no flip)')
    add_run_arguments(parser, 'test_dataloader.batch_size=2')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def default_tta(cfg):
    """mmdet 3.3's test-time augmentation when the config defines none: flip / no flip, merged by NMS."""
    from copy import deepcopy

    from mmengine import ConfigDict

    if 'tta_model' not in cfg:
        cfg.tta_model = dict(type='DetTTAModel', tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5),
                                                              max_per_img=100))
    if 'tta_pipeline' not in cfg:
        dataset = cfg.test_dataloader.dataset
        while 'dataset' in dataset:
            dataset = dataset['dataset']
        cfg.tta_pipeline = deepcopy(dataset.pipeline)
        cfg.tta_pipeline[-1] = dict(type='TestTimeAug', transforms=[
            [dict(type='RandomFlip', prob=1.), dict(type='RandomFlip', prob=0.)],
            [dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                                   'scale_factor', 'flip', 'flip_direction'))]])
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def main(argv=None):
    args = parse_args(argv)
    from mmdet.engine.hooks.utils import trigger_visualization_hook
    from mmdet.evaluation import DumpDetResults

    from qmat.engine import build_runner, load_run_config
    from qmat.utils import UserInputError

    cfg = load_run_config(args.config, args.cfg_options, args.launcher, args.work_dir, args.data_root)
    if not os.path.isfile(args.checkpoint):
        raise UserInputError(f'checkpoint {args.checkpoint} does not exist')
    cfg.load_from = args.checkpoint
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise UserInputError(f'--out {args.out}: the dump file must end in .pkl or .pickle')

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        default_tta(cfg)

    runner = build_runner(cfg, splits=('test',), skip_invalid=args.skip_invalid)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
