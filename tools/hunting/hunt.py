"""Hunt flakes in micrographs: a folder, files or glob patterns in; overlays, a flake table out.

    python tools/hunting/hunt.py CONFIG CHECKPOINT data/chips/ --out hunts/run1 --microns-per-pixel 0.17 \\
        --material graphene --classes mono few --min-area-um2 20 --score-thr 0.5

Writes per image an overlay PNG (hunts/run1/overlays/) and its flakes (hunts/run1/images/), and for the
run flakes.csv, flakes.json and report.html (self-contained: the best candidates as pictures, a table that
sorts and filters in the browser). Images already done are skipped, so an interrupted run resumes. An image
that cannot be read is listed in errors.json; the run goes on and exits with status 1 at the end.
"""
import argparse
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Find and measure flakes in micrographs')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('sources', nargs='+', help='folders, image files or glob patterns')
    parser.add_argument('--out', required=True, help='output folder (resumed if it exists)')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--microns-per-pixel', type=float,
                        help='image scale, for areas in square micrometres')
    parser.add_argument('--material', help='material written on every flake (e.g. graphene)')
    parser.add_argument('--classes', nargs='+', help='keep only these thickness classes (e.g. mono few)')
    parser.add_argument('--min-area-um2', type=float,
                        help='keep flakes at least this large (needs the scale)')
    parser.add_argument('--tile', type=int, help='tile size for large images (default: whole image)')
    parser.add_argument('--overlap', type=int, default=256, help='tile overlap, >= the largest flake in px')
    parser.add_argument('--keep-dark-frame', action='store_true',
                        help="keep detections in the image's dark frame (a black band or corners; dropped by "
                        'default)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the results in --out when they were made with other settings')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import os.path as osp

    from tqdm import tqdm

    from qmat.apis import FlakeHunter
    from qmat.apps import hunt_images, list_images, write_html_report, write_tables
    from qmat.apps.hunt_folder import check_hunt_options, check_out_dir
    from qmat.utils import UserInputError

    if args.min_area_um2 is not None and args.microns_per_pixel is None:  # before the model loads
        raise UserInputError('--min-area-um2 needs --microns-per-pixel (the image scale)')
    images = list_images(args.sources)
    if not images:
        raise UserInputError(f'no images found in {" ".join(args.sources)}')
    check_out_dir(args.out)
    hunter = FlakeHunter(args.config, args.checkpoint, args.device, args.score_thr,
                         args.microns_per_pixel, args.material, args.tile, args.overlap,
                         args.keep_dark_frame)
    check_hunt_options(hunter, images, args.out, args.classes, args.min_area_um2)
    bar = tqdm(total=len(images), unit='img')

    def progress(done, total, rate):
        bar.n = done
        bar.set_postfix_str(f'{rate:.2f} img/s computed')
        bar.refresh()

    summary = hunt_images(hunter, images, args.out, args.classes, args.min_area_um2, progress, args.overwrite)
    bar.n = len(images)
    bar.close()
    flakes = write_tables(args.out)
    report = write_html_report(args.out, flakes, summary['errors'])
    print(f'{summary["done"]} images hunted, {summary["skipped"]} already done, {len(summary["errors"])} '
          f'unreadable; {len(flakes)} flakes in {osp.join(args.out, "flakes.csv")}; report: {report}')
    for path, reason in summary['errors'].items():
        print(f'error: {path}: {reason}', file=sys.stderr)
    if summary['errors']:
        sys.exit(1)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
