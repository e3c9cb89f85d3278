"""Draw a dataset's annotations.

    python tools/analysis_tools/browse_dataset.py DATA_ROOT --split train --out-dir pics

Writes one picture per image (masks, boxes and class names, drawn by mmdet's visualizer) and, with
--contact-sheet FILE, a grid of them.
"""
import argparse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Draw the annotations of a dataset in the paper layout')
    parser.add_argument('data_root')
    parser.add_argument('--split', default='train')
    parser.add_argument('--out-dir', required=True, help='folder for the pictures')
    parser.add_argument('--num', type=int, default=16, help='how many images (default 16)')
    parser.add_argument('--contact-sheet', help='also write a grid of the pictures to this PNG')
    parser.add_argument('--columns', type=int, default=4)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.datasets import split_paths
    from qmat.datasets.coco_file import check_coco_file
    from qmat.visualization import browse

    paths = split_paths(args.data_root, args.split)
    check_coco_file(paths['ann_file'])
    written = browse(paths['ann_file'], paths['img_dir'], args.out_dir, args.num, args.contact_sheet,
                     args.columns)
    print(f'wrote {len(written)} pictures to {args.out_dir}' +
          (f' and {args.contact_sheet}' if args.contact_sheet else ''))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
