"""What a trained RPN's objectness tells apart, per FPN level: annotated flakes, removed flakes, background.

    python tools/data_tools/drop_annotations.py ... --keep-as-ignored      # removed flakes kept as iscrowd=1
    python tools/analysis_tools/rpn_objectness.py CONFIG CHECKPOINT --train-ann ANN [--data-root DIR]

Runs the trained model over the training images as at inference (:mod:`qmat.evaluation.rpn_objectness`) and
prints, per level of the RPN: the share of dead channels in its shared conv (0 after the ReLU everywhere),
the mean objectness of the anchors on annotated flakes, on removed flakes and on background, and the ROC AUC
of each kind of flake against the background. A correction of the negatives that works raises the removed
flakes' objectness (and their AUC) while the background stays low.
"""


def parse_args(argv=None):
    from qmat.evaluation.training_pass import training_pass_parser
    return training_pass_parser("An RPN's objectness on annotated flakes, removed flakes and background, "
                                'per level').parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.evaluation.rpn_objectness import rpn_objectness
    from qmat.evaluation.training_pass import training_pass_of, write_pass_result
    from qmat.utils import UserInputError
    from qmat.utils.tables import markdown_table

    model, batches = training_pass_of(args)
    result = rpn_objectness(model, batches)
    if not sum(row['removed_anchors'] for row in result['levels']):
        raise UserInputError(f'{args.train_ann}: no anchor lies on an ignored (removed) flake; write the '
                             'file with tools/data_tools/drop_annotations.py --keep-as-ignored')
    print(f'{result["images"]} training images, {args.passes} pass(es), seed {args.seed}')
    header = ['stride', 'dead channels']
    for kind in ('annotated', 'removed', 'background'):
        header += [f'{kind}: anchors', 'score'] + (['AUC'] if kind != 'background' else [])
    rows = []
    for row in result['levels']:
        cells = [row['stride'], f'{row["dead_channels"]:.0%}']
        for kind in ('annotated', 'removed', 'background'):
            cells += [row[f'{kind}_anchors'], f'{row[f"{kind}_score"]:.3f}']
            cells += [f'{row[f"auc_{kind}"]:.3f}'] if kind != 'background' else []
        rows.append(cells)
    print('\n'.join(markdown_table(header, rows)))
    write_pass_result(args, result)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
