"""Convert labelme annotations to the paper layout.

    python tools/dataset_converters/labelme2coco.py SRC_DIR DATA_ROOT --split train
"""
import argparse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='labelme folder -> DATA_ROOT/annotations/instances_{split}2019.json')
    parser.add_argument('src_dir', help='folder of labelme .json files (with their images)')
    parser.add_argument('data_root', help='dataset root to write')
    parser.add_argument('--split', default='train', help='train, val or test')
    parser.add_argument('--classes', nargs='+', help='label names in class order (default: mono few thick)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.datasets import FlakeDataset
    from qmat.datasets.labelme import convert_labelme

    classes = tuple(args.classes or FlakeDataset.METAINFO['classes'])
    print(convert_labelme(args.src_dir, args.data_root, args.split, classes))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
