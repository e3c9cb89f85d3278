"""How an RPN head starts compared with another: objectness logits and the gradient into the shared conv.

    python tools/analysis_tools/head_start.py REFERENCE_CONFIG CANDIDATE_CONFIG [--size 256 256] [--batch 2]
    python tools/analysis_tools/head_start.py configs/synthetic/mask-rcnn_r18_fpn_250i_synthetic.py \\
        configs/synthetic/mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py

Both models are initialised as for training (no pretrained weights); the candidate takes the reference's
backbone, neck, shared conv and regression layer, both see the same random images and boxes and sample the
same anchors (qmat/evaluation/head_start.py). Prints the logits' mean and std over every anchor, the norm
of the gradient reaching ``rpn_conv`` and the objectness loss, and the candidate / reference ratios.
"""
import argparse


def parse_args(argv=None):
    from qmat.engine.config import CfgOptionsAction
    parser = argparse.ArgumentParser(description='Compare how two RPN heads start (step 0)')
    parser.add_argument('reference')
    parser.add_argument('candidate')
    parser.add_argument('--size', type=int, nargs=2, default=[256, 256], metavar=('H', 'W'))
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--boxes', type=int, default=4, help='random annotated boxes per image')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--reference-options', nargs='+', action=CfgOptionsAction)
    parser.add_argument('--candidate-options', nargs='+', action=CfgOptionsAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.evaluation.head_start import head_start
    from qmat.utils import UserInputError
    if args.batch < 1 or args.boxes < 1 or min(args.size) < 64:
        raise UserInputError('--batch and --boxes must be >= 1 and --size at least 64 x 64')
    print('| seed | head | logit mean | logit std | rpn_conv grad | loss_rpn_cls |')
    print('| --- | --- | --- | --- | --- | --- |')
    results = []
    for seed in args.seeds:
        result = head_start(args.reference, args.candidate, args.size, args.batch, args.boxes, seed,
                            args.reference_options, args.candidate_options)
        results.append(result)
        for name in ('reference', 'candidate'):
            row = result[name]
            print(f'| {seed} | {name} | {row["logit_mean"]:.4f} | {row["logit_std"]:.4f} | '
                  f'{row["rpn_conv_grad"]:.4g} | {row["loss_rpn_cls"]:.4f} |')
        ratio = result['ratio']
        print(f'| {seed} | candidate / reference | | {ratio["logit_std"]:.2f} | '
              f'{ratio["rpn_conv_grad"]:.2f} | {ratio["loss_rpn_cls"]:.2f} |')
    if len(results) > 1:  # the ratio of the means: what tests/test_models/test_sasl_rpn_head.py checks
        means = {key: sum(r['candidate'][key] for r in results) / sum(r['reference'][key] for r in results)
                 for key in ('logit_std', 'rpn_conv_grad', 'loss_rpn_cls')}
        print(f'| all | mean candidate / mean reference | | {means["logit_std"]:.2f} | '
              f'{means["rpn_conv_grad"]:.2f} | {means["loss_rpn_cls"]:.2f} |')


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
