"""Check a COCO flake dataset: python tools/data_tools/validate_dataset.py DATA_ROOT [--split train val]

Reports, per problem, the file and the annotation or image id: empty or degenerate masks, boxes outside
the image, duplicate ids, unknown categories, missing image files, images that cannot be decoded.
Exit status 1 when there are problems. Other layouts: --ann-file FILE --img-dir DIR.
"""
import argparse
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Validate a COCO dataset in the paper layout')
    parser.add_argument('data_root', nargs='?', help='root with annotations/instances_{split}2019.json')
    parser.add_argument('--split', nargs='+', default=['train', 'val', 'test'],
                        help='splits to check under DATA_ROOT (missing ones are skipped)')
    parser.add_argument('--ann-file', help='a COCO json in another layout')
    parser.add_argument('--img-dir', help='its image folder')
    parser.add_argument('--any-classes', action='store_true',
                        help='accept category names other than mono / few / thick')
    parser.add_argument('--no-decode', action='store_true', help='only check that image files exist')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.datasets import FlakeDataset
    from qmat.datasets.layout import split_paths
    from qmat.datasets.validate import validate_coco
    from qmat.utils import UserInputError

    if args.ann_file:
        targets = [(args.ann_file, args.img_dir)]
    elif args.data_root:
        targets = [(p['ann_file'], p['img_dir']) for p in (split_paths(args.data_root, s) for s in args.split)
                   if osp.isfile(p['ann_file'])]
        if not targets:
            raise UserInputError(f'{args.data_root} has no annotations/instances_{{split}}2019.json '
                                 f'for splits {args.split}')
    else:
        raise UserInputError('give DATA_ROOT or --ann-file')
    classes = None if args.any_classes else FlakeDataset.METAINFO['classes']
    total = 0
    for ann_file, img_dir in targets:
        problems = validate_coco(ann_file, img_dir, classes, decode_images=not args.no_decode)
        for problem in problems:
            print(problem)
        print(f'{ann_file}: {len(problems)} problem(s)')
        total += len(problems)
    raise SystemExit(1 if total else 0)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
