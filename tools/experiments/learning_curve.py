"""The baseline's learning curve in a study regime, and the shortest schedule near its plateau.

    python tools/experiments/learning_curve.py --regime paper-graphene --jobs 2 --docs docs/method.md
    python tools/experiments/learning_curve.py --regime paper-graphene --method self-training --fractions 0.5

Trains the regime's curve config (learning rate held after the warm-up, validation every 250 iterations)
at each ``--fractions`` missing with one seed, side by side with ``--jobs``, into
``<work-root>/curve/<method>/missing<pct>/seed<k>`` (``--method``: the baseline, or another method with a
curve config in the regime); each finished curve leaves a record (every
validation) in ``<results>/curve/`` and is not trained again. Prints bbox / segm AP per validation and
the first iteration from which every curve, averaged over three consecutive validations, stays within
``--tolerance`` AP of its best average, and with ``--docs`` puts the table into that markdown file.
"""
import argparse
import os.path as osp

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
CHECKOUT = osp.dirname(TOOLS)


def parse_args(argv=None):
    from qmat.experiments.regimes import REGIMES
    parser = argparse.ArgumentParser(description="Train and report a study regime's learning curve")
    parser.add_argument('--regime', default='paper-graphene',
                        choices=sorted(name for name, regime in REGIMES.items() if regime.curves))
    parser.add_argument('--method', default='baseline', help="a method with a curve config in the regime")
    parser.add_argument('--data', help="synthetic set (default: the regime's; generated when absent)")
    parser.add_argument('--work-root', help="default: the regime's")
    parser.add_argument('--results', help="records go to <results>/curve/ (default: the regime's)")
    parser.add_argument('--train', type=int, help="training images to generate (default: the regime's)")
    parser.add_argument('--val', type=int, help="validation images to generate (default: the regime's)")
    parser.add_argument('--fractions', type=float, nargs='+', default=[0.0, 0.5])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--jobs', type=int, default=1, help='curves trained side by side')
    parser.add_argument('--tolerance', type=float, default=1.5, help='AP points below the plateau')
    parser.add_argument('--report-only', action='store_true', help='train nothing; report finished curves')
    parser.add_argument('--docs', help='markdown file whose learning-curve section is replaced')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra key=value options for every curve (e.g. train_cfg.max_iters=2)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.utils import UserInputError
    if args.jobs < 1:
        raise UserInputError(f'--jobs must be >= 1, got {args.jobs}')
    from qmat.experiments.learning_curve import beside_baseline, curve_table, run_curves, shortest_schedule
    from qmat.experiments.regimes import REGIMES, regime_study
    from qmat.experiments.report import write_docs_section

    study = regime_study(args.regime, data=args.data, work_root=args.work_root, results=args.results,
                         train=args.train, val=args.val, fractions=tuple(args.fractions), seeds=(args.seed, ),
                         cfg_options=args.cfg_options, config_root=CHECKOUT, tools=TOOLS)
    curves = REGIMES[args.regime].curves
    if args.method not in curves:
        raise UserInputError(f'--method {args.method} has no curve config in regime {args.regime} '
                             f'(those with one: {", ".join(curves)})')
    records = run_curves(study, osp.join(CHECKOUT, curves[args.method]), method=args.method, seed=args.seed,
                         jobs=args.jobs, train_missing=not args.report_only,
                         log=lambda line: print(line, flush=True))
    if not records:
        print('no finished curve yet')
        return
    text = (f'Learning curve of {args.method} in regime `{args.regime}` ({curves[args.method]}, seed '
            f'{args.seed}): COCO AP (percent) on the {study.val} validation images.\n\n')
    if args.method != 'baseline':  # beside the baseline's finished curves at the same fractions
        text += beside_baseline(run_curves(study, osp.join(CHECKOUT, curves['baseline']), seed=args.seed,
                                           train_missing=False, log=lambda line: None), records)
    else:
        text += curve_table(records)
        step = shortest_schedule([r['metrics']['curve'] for r in records], args.tolerance)
        text += (f'\n\nFrom iteration {step} on, every curve averaged over three consecutive validations '
                 f'stays within {args.tolerance} AP (bbox and segm) of its best average.')
    print(text)
    if args.docs:
        suffix = '' if args.method == 'baseline' else f'-{args.method}'
        write_docs_section(args.docs, text, name=f'learning-curve-{args.regime}{suffix}',
                           title=f'Learning curve of {args.method} ({args.regime})')


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
