"""Per stage of Mask R-CNN, the share of the sampled background that lies on unannotated flakes.

    python tools/data_tools/drop_annotations.py ... --keep-as-ignored      # removed flakes kept as iscrowd=1
    python tools/analysis_tools/negatives_on_removed.py CONFIG CHECKPOINT --train-ann ANN [--data-root DIR]

Runs the trained model over the training images once, sampling as in training
(:mod:`qmat.evaluation.stage_exposure`), and prints a table: sampled negatives of the RPN and of the R-CNN
stage, how many lie on removed flakes, and their share.
"""


def parse_args(argv=None):
    from qmat.evaluation.training_pass import training_pass_parser
    return training_pass_parser('Sampled negatives on removed flakes, per stage').parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.evaluation.stage_exposure import negatives_on_removed
    from qmat.evaluation.training_pass import training_pass_of, write_pass_result
    from qmat.utils import UserInputError
    from qmat.utils.tables import markdown_table

    model, batches = training_pass_of(args)
    result = negatives_on_removed(model, batches)
    if result['rpn']['images'] == 0:
        raise UserInputError(f'{args.train_ann}: no image carried ignored (removed) instances; write the '
                             'file with tools/data_tools/drop_annotations.py --keep-as-ignored')
    print(f'{result["rpn"]["images"]} training images with removed flakes, {args.passes} pass(es), '
          f'seed {args.seed}')
    stages = (('RPN (anchors)', result['rpn']), ('R-CNN (proposals)', result['rcnn']))
    print('\n'.join(markdown_table(('stage', 'sampled negatives', 'on removed flakes', 'share'), (
        (name, row['negatives'], row['on_removed'], f'{row["share"]:.2%}') for name, row in stages))))
    write_pass_result(args, result)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
