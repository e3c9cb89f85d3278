"""Simulate missing annotations.

    python tools/data_tools/drop_annotations.py IN.json OUT.json --fraction 0.3 --policy small

Writes OUT.json without the removed instances and OUT.removed.json listing exactly which were removed.
Apply it to the training file only: validation and test stay complete.
"""
import argparse


def parse_args(argv=None):
    from qmat.datasets.missing import POLICIES
    parser = argparse.ArgumentParser(description='Remove a fraction of the instances of a COCO json file')
    parser.add_argument('input', help='complete COCO annotation file')
    parser.add_argument('output', help='annotation file to write (the record goes beside it)')
    parser.add_argument('--fraction', type=float, required=True, help='share of instances to remove, 0-1')
    parser.add_argument('--policy', default='uniform', choices=sorted(POLICIES),
                        help='which instances annotators miss: uniform, or biased to small, thin or '
                        'low-contrast flakes')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--keep-as-ignored', action='store_true',
                        help='keep the removed instances as iscrowd=1 (ignored in training): '
                        'SASLRPNHead then logs how many of its soft labels land on them')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import mmengine

    from qmat.datasets.missing import write_dropped

    record, kept, removed = write_dropped(args.input, args.output, args.fraction, args.policy, args.seed,
                                           args.keep_as_ignored)
    print(f'removed {removed} of {kept + removed} instances ({args.policy}, seed {args.seed})')
    sizes = mmengine.load(record)['size_quartiles']
    for name in ('kept', 'removed'):
        quartiles = ' / '.join(f'{q:.1f}' for q in sizes[name]) if sizes[name] else 'none'
        print(f"{name} instances' size (square root of the box area, px), quartiles: {quartiles}")
    print(f'annotations: {args.output}\nremoved:     {record}')


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
