"""Compare folders of micrographs (real cameras, qmat's synthetic presets): substrate colour, brightness,
saturation, hue, illumination unevenness and the share that is not substrate, as a markdown table, and a
picture with a row of images per folder.

    python tools/analysis_tools/compare_micrographs.py real=../shared/real/hbn_roboflow_export/valid \\
        synthetic=data/synthetic-2k/val2019 --reference synthetic --picture docs/images/real_vs_synthetic.jpg
"""
import argparse
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Substrate statistics of folders of micrographs')
    parser.add_argument('folders', nargs='+', metavar='NAME=FOLDER', help='folders of images, each named')
    parser.add_argument('--reference', help='the named folder (e.g. synthetic) whose substrate colours the '
                        "others' are looked up among")
    parser.add_argument('--limit', type=int, default=50, help='images per folder at most (the first, sorted)')
    parser.add_argument('--picture', help='write a picture: a row of images per folder')
    parser.add_argument('--per-row', type=int, default=4, help='images per folder in the picture')
    return parser.parse_args(argv)


def cell(low_mid_high, scale=1.0, digits=0):
    low, mid, high = (scale * v for v in low_mid_high)
    return f'{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})'


def main(argv=None):
    args = parse_args(argv)
    import mmcv
    import numpy as np

    from qmat.apps import list_images
    from qmat.datasets.micrograph_stats import folder_stats, ranges, within
    from qmat.utils import UserInputError
    from qmat.utils.tables import markdown_table

    folders = {}
    for item in args.folders:
        name, sep, folder = item.partition('=')
        if not sep or not osp.isdir(folder):
            raise UserInputError(f'{item}: give NAME=FOLDER with an existing folder')
        images = list_images([folder])[:args.limit]
        if not images:
            raise UserInputError(f'{folder}: no images')
        folders[name] = images
    if args.reference is not None and args.reference not in folders:
        raise UserInputError(f'--reference {args.reference} is none of the names {sorted(folders)}')
    stats = {name: folder_stats(paths) for name, paths in folders.items()}
    header = ['folder', 'images', 'substrate R', 'G', 'B', 'brightness %', 'saturation %', 'hue °',
              'unevenness %', 'not substrate %']
    if args.reference:
        header.append(f'substrate among {args.reference}\'s')
    rows = []
    for name, rows_of in stats.items():
        span = ranges(rows_of)
        row = [name, len(rows_of), cell(span['r']), cell(span['g']), cell(span['b']),
               cell(span['brightness'], 100), cell(span['saturation'], 100), cell(span['hue']),
               cell(span['unevenness'], 100, 1), cell(span['not_substrate'], 100, 1)]
        if args.reference:
            found = sum(within(one, stats[args.reference]) for one in rows_of)
            row.append('—' if name == args.reference else f'{found} of {len(rows_of)}')
        rows.append(row)
    print('median (5th-95th percentile) over each folder\'s images')
    print('\n'.join(markdown_table(header, rows)))
    if args.picture:
        tiles = []
        for paths in folders.values():
            picks = [paths[int(i)] for i in np.linspace(0, len(paths) - 1, args.per_row)]
            tiles.append(np.hstack([mmcv.imresize(mmcv.imread(p), (384, 216)) for p in picks]))
        mmcv.imwrite(np.vstack(tiles), args.picture)
        print(f'picture: {args.picture}')


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
