"""Import a COCO export (Roboflow, CVAT, labelme converted) into qmat's layout, checked.

    python tools/dataset_converters/import_coco.py export/_annotations.coco.json --images export/ \
        --out data/hbn --split train --map Thin_BN=few Less_Thick_BN=thick Thick_BN=thick

Writes DATA_ROOT/annotations/instances_<split>2019.json and copies the images to DATA_ROOT/<split>2019/:
categories renamed by --map (others keep their names; unused ones, such as Roboflow's placeholder, are
dropped), ids from 1, the tool's file-name suffixes removed, instances without a mask dropped (or, with
--box-masks box, given their box as mask). The export is checked first, as tools/data_tools/
validate_dataset.py checks a set; its first problem stops the import before anything is written.
"""
import argparse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Import a COCO export into the paper layout')
    parser.add_argument('src', help='the COCO json of the export')
    parser.add_argument('--images', required=True, help='folder of the export\'s images')
    parser.add_argument('--out', required=True, help='dataset root to write into')
    parser.add_argument('--split', default='train', choices=('train', 'val', 'test'))
    parser.add_argument('--map', nargs='+', default=[], metavar='SOURCE=CLASS',
                        help='rename categories, e.g. Thin_BN=few (several may map to one class)')
    parser.add_argument('--box-masks', default='drop', choices=('drop', 'box'),
                        help='instances with a box but no mask: drop them, or use the box as mask')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.datasets.import_coco import import_coco, parse_mapping

    result = import_coco(args.src, args.images, args.out, args.split, parse_mapping(args.map), args.box_masks)
    print(f'{result["images"]} images, {result["annotations"]} instances of {result["classes"]} in '
          f'{result["ann_file"]}')
    if result['dropped_categories']:
        print(f'categories without instances, left out: {result["dropped_categories"]}')
    if result['outside']:
        print(f'{result["outside"]} instance(s) wholly outside their image: left out')
    if result['boxes_only']:
        print(f'{result["boxes_only"]} instance(s) without a mask: '
              + ('left out' if args.box_masks == 'drop' else 'their boxes used as masks'))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
