"""Precision and recall of SASL-RPN's soft labels against the flakes known to be unannotated.

    python tools/data_tools/drop_annotations.py data/synthetic/annotations/instances_train2019.json \\
        data/synthetic/annotations/instances_train2019_audit.json --fraction 0.5 --policy annotator \\
        --keep-as-ignored
    python tools/analysis_tools/audit_soft_labels.py CONFIG CHECKPOINT \\
        --train-ann annotations/instances_train2019_audit.json [--data-root DIR] [--out audit.json]

Runs the trained network over the training images (train-mode sampling, one pass) and scores every
soft-label rule (keys, background key, scope, temperature) at several thresholds on the same sampled anchors.
"""


def parse_args(argv=None):
    from qmat.evaluation.training_pass import training_pass_parser
    parser = training_pass_parser('Audit SASL-RPN soft labels against removed annotations')
    parser.add_argument('--temperatures', type=float, nargs='+', default=[1.0, 0.5, 0.2, 0.1, 0.05])
    parser.add_argument('--thresholds', type=float, nargs='+', default=[0.5, 0.6, 0.8, 0.9])
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.evaluation import audit_soft_labels, audit_table, variant_grid
    from qmat.evaluation.training_pass import training_pass_of, write_pass_result
    from qmat.models import SASLRPNHead
    from qmat.utils import UserInputError

    model, batches = training_pass_of(args)
    if not isinstance(model.rpn_head, SASLRPNHead):
        raise UserInputError(
            f'{args.config}: model.rpn_head is {type(model.rpn_head).__name__}, not SASLRPNHead')
    result = audit_soft_labels(model, batches, variant_grid(args.temperatures), args.thresholds)
    print(audit_table(result))
    write_pass_result(args, result)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
