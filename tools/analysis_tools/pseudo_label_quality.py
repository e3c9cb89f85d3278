"""What self-training would add: per score threshold, a trained detector's pseudo-labels on the training
batches and their precision and recall against the removed flakes.

    python tools/analysis_tools/pseudo_label_quality.py CONFIG CHECKPOINT --train-ann ANN [--data-root DIR]
        [--score-thrs 0.5 0.7 0.9] [--iou-thr 0.3]

ANN keeps the removed flakes as ignored (tools/data_tools/drop_annotations.py --keep-as-ignored). The
detector predicts on each training batch as SelfTrainingMaskRCNN's teacher does; a pseudo-label is a
confident detection that overlaps no annotation by ``--iou-thr`` (qmat.evaluation.pseudo_label_quality),
right where it matches a removed flake; the right ones' masks are compared with the removed outlines, and
the wrong ones' median size (square root of the box's area, pixels) with the annotated flakes'.
"""


def parse_args(argv=None):
    from qmat.evaluation.training_pass import training_pass_parser
    parser = training_pass_parser('Pseudo-labels of a trained detector against the removed flakes')
    parser.add_argument('--score-thrs', type=float, nargs='+', default=[0.5, 0.6, 0.7, 0.8, 0.9])
    parser.add_argument('--iou-thr', type=float, default=0.3)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.evaluation.pseudo_label_quality import pseudo_label_quality
    from qmat.evaluation.training_pass import training_pass_of, write_pass_result
    from qmat.utils import UserInputError
    from qmat.utils.tables import markdown_table

    for thr in args.score_thrs + [args.iou_thr]:
        if not 0 <= thr <= 1:
            raise UserInputError(f'--score-thrs and --iou-thr must be in [0, 1], got {thr}')
    model, batches = training_pass_of(args)
    rows = pseudo_label_quality(model, batches, args.score_thrs, args.iou_thr)
    print(f'{rows[0]["images"]} training images, {rows[0]["removed"]} removed flakes, IoU with an '
          f'annotation < {args.iou_thr}')
    print('\n'.join(markdown_table(
        ('score >=', 'pseudo-labels per image', 'precision', 'recall', 'mask IoU of the right ones',
         "wrong ones' median size (px)"),
        ((r['score_thr'], f'{r["pseudo_labels"] / max(r["images"], 1):.2f}', f'{r["precision"]:.3f}',
          f'{r["recall"]:.3f}', f'{r["mask_iou"]:.3f}', f'{r["wrong_size"]:.1f}') for r in rows))))
    print(f"annotated flakes' median size: {rows[0]['annotated_size']:.1f} px")
    write_pass_result(args, dict(rows=rows))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
