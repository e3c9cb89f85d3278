"""Precision and recall of SASL-RPN's soft labels against the flakes known to be unannotated.

    python tools/drop_annotations.py data/synthetic/annotations/instances_train2019.json \\
        data/synthetic/annotations/instances_train2019_audit.json --fraction 0.5 --policy annotator \\
        --keep-as-ignored
    python tools/analysis/audit_soft_labels.py CONFIG CHECKPOINT \\
        --train-ann annotations/instances_train2019_audit.json [--data-root DIR] [--out audit.json]

Runs the trained network over the training images (train-mode sampling, one pass) and scores every
soft-label rule (keys, background key, scope, temperature) at several thresholds on the same sampled anchors.
"""
import argparse
import json
import math

from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(description='Audit SASL-RPN soft labels against removed annotations')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--train-ann', required=True,
                        help='training annotations with the removed flakes kept as ignored (iscrowd=1), '
                        'relative to the data root')
    parser.add_argument('--data-root', help='dataset directory (default: the config\'s)')
    parser.add_argument('--temperatures', type=float, nargs='+', default=[1.0, 0.5, 0.2, 0.1, 0.05])
    parser.add_argument('--thresholds', type=float, nargs='+', default=[0.5, 0.6, 0.8, 0.9])
    parser.add_argument('--passes', type=int, default=1, help='passes over the training set')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the result as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.runner import Runner, load_checkpoint, set_random_seed

    from qmat.engine import check_dataset_files, load_config, set_data_root
    from qmat.evaluation import audit_soft_labels, audit_table, variant_grid
    from qmat.models import SASLRPNHead
    from qmat.utils import UserInputError

    register_all_modules()
    cfg = load_config(args.config)
    if args.data_root:
        set_data_root(cfg, args.data_root)
    cfg.merge_from_dict(dict(args.cfg_options or {}, **{'train_dataloader.dataset.ann_file': args.train_ann}))
    check_dataset_files(cfg, ('train',))
    model = MODELS.build(cfg.model)
    if not isinstance(model.rpn_head, SASLRPNHead):
        raise UserInputError(
            f'{args.config}: model.rpn_head is {type(model.rpn_head).__name__}, not SASLRPNHead')
    load_checkpoint(model, args.checkpoint, map_location='cpu', logger='silent')
    model.train()  # the loss's sampling and batch statistics, as in training
    set_random_seed(args.seed)  # the flips (numpy) and the anchor sampling (torch): a repeatable audit
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=args.seed)
    steps = args.passes * math.ceil(len(loader.dataset) / cfg.train_dataloader.batch_size)
    batches = (batch for _, batch in zip(range(steps), loader))
    result = audit_soft_labels(model, batches, variant_grid(args.temperatures), args.thresholds)
    print(audit_table(result))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(dict(result, config=args.config, checkpoint=args.checkpoint, train_ann=args.train_ann),
                      f, indent=1)
        print(f'written: {args.out}')


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
