"""Suspected missing annotations: what a trained model finds that the annotation file does not have.

    python tools/hunting/repair_annotations.py CONFIG CHECKPOINT \\
        data/graphene/annotations/instances_train2019.json --images data/graphene/train2019 --out
        repair/graphene [--score-thr 0.5] [--iou-thr 0.3] [--removed
        data/synthetic/annotations/instances_train2019_missing30.removed.json]

Writes repair/graphene/suspected_missing.json (COCO, with scores), labelme/<image>.json (open them in labelme
to accept or delete each suspect) and pictures/<image>.png (annotations white, suspects red). With
``--removed`` (a record of tools/data_tools/drop_annotations.py) it prints the suspects' precision and recall
against the flakes that were removed on purpose.
"""
import argparse
import json


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Find annotations that an annotation file misses')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('ann_file', help='COCO annotation file to check')
    parser.add_argument('--images', required=True, help='folder of its images')
    parser.add_argument('--out', required=True)
    parser.add_argument('--score-thr', type=float, default=0.5, help='suspects score at least this')
    parser.add_argument('--iou-thr', type=float, default=0.3, help='and overlap every annotation less')
    parser.add_argument('--removed',
                        help='record of tools/data_tools/drop_annotations.py: score the suspects against it')
    parser.add_argument('--tile', type=int)
    parser.add_argument('--overlap', type=int, default=256)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import os.path as osp

    from qmat.apis import FlakeHunter
    from qmat.apps import find_missing, score_against_removed

    hunter = FlakeHunter(args.config, args.checkpoint, args.device, score_thr=args.score_thr,
                         tile=args.tile, overlap=args.overlap)
    suspects = find_missing(hunter, args.ann_file, args.images, args.out, args.score_thr, args.iou_thr)
    print(f'{len(suspects["annotations"])} suspected missing annotations in '
          f'{osp.join(args.out, "suspected_missing.json")} (labelme files and pictures beside it)')
    if args.removed:
        scores = score_against_removed(suspects, args.removed)
        print(json.dumps(scores))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
