"""The missing-annotation study at CPU scale: every method at 0 / 30 / 50 % missing training flakes.

    python tools/experiments/missing_study.py --jobs 2 --docs docs/benchmarks.md  # every method x 3 x 3
    python tools/experiments/missing_study.py --methods baseline sasl-t0.8 --seeds 0 --report-only
    python tools/experiments/missing_study.py --regime paper-graphene --jobs 2  # at the paper's statistics

Generates a synthetic set (complete validation), drops training annotations with the annotator-like policy
(kept as ignored instances, so SASL-RPN logs how many soft labels land on them), trains each missing run of
configs/synthetic/*_250i_* into ``--work-root/<method>/missing<pct>/seed<k>`` and evaluates COCO bbox/segm
AP, RPN AR@100/AR@1000 and the share of removed training flakes the model recovers (qmat.experiments).
Each finished run leaves a JSON record in ``--results`` (committed: docs/missing_study/), and a run with a
record made from its current config is skipped, so the study goes on where it stopped, on this machine or
another. ``--regime`` names the data, schedule and methods (qmat.experiments.regimes): ``cpu`` (the default,
above) or ``paper-graphene`` (the paper's data statistics: docs/missing_study/paper-graphene/). Prints the
table (mean ± std over seeds), the share of the baseline's AP loss that each method wins back and what the
rules did in training, writes them as JSON, draws AP against the missing fraction (PNG) and, with ``--docs``,
puts the tables into that markdown file.
"""
import argparse
import os.path as osp
import sys

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))  # train.py is there
CHECKOUT = osp.dirname(TOOLS)  # the configs are relative to it


def parse_args(argv=None):
    from qmat.experiments import METHODS
    from qmat.experiments.regimes import REGIMES
    parser = argparse.ArgumentParser(description='Run the missing-annotation study on synthetic data')
    parser.add_argument('--regime', default='cpu', choices=sorted(REGIMES),
                        help="data, schedule and methods; the options below default to the regime's")
    parser.add_argument('--data', help='synthetic set (generated when absent; cpu: data/study)')
    parser.add_argument('--work-root', help='cpu: work_dirs/study')
    parser.add_argument('--results', help='one JSON record per finished run; a run with a current record is '
                        'skipped (cpu: docs/missing_study)')
    parser.add_argument('--methods', nargs='+', choices=list(METHODS),
                        help="default: every method of the regime")
    parser.add_argument('--fractions', type=float, nargs='+', default=[0.0, 0.3, 0.5])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--policy', default='annotator')
    parser.add_argument('--train', type=int, help='training images to generate (cpu: 64)')
    parser.add_argument('--val', type=int, help='validation images to generate (cpu: 16)')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs trained side by side, sharing the CPU cores (2 on 2 cores: 1.4x the '
                        'throughput)')
    parser.add_argument('--report-only', action='store_true', help='train nothing; report finished runs')
    parser.add_argument('--json', help='default: <work-root>/study.json')
    parser.add_argument('--plot', help='default: docs/images/missing_study.png (cpu), '
                        'docs/images/missing_study_<regime>.png')
    parser.add_argument('--docs', help='markdown file whose missing-study section is replaced')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra key=value options for every training (e.g. train_cfg.max_iters=2)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.utils import UserInputError
    if args.jobs < 1:
        raise UserInputError(f'--jobs must be >= 1, got {args.jobs}')
    from qmat.experiments import run_study
    from qmat.experiments.plot import plot
    from qmat.experiments.regimes import regime_study
    from qmat.experiments.report import cost, recovery, signal, study_text, summarize, write_docs_section
    from qmat.utils import dump_json

    study = regime_study(args.regime, data=args.data, work_root=args.work_root, results=args.results,
                         methods=args.methods, fractions=args.fractions, seeds=args.seeds, policy=args.policy,
                         train=args.train, val=args.val, cfg_options=args.cfg_options, config_root=CHECKOUT,
                         tools=TOOLS)
    unknown = [m for m in study.methods if m not in study.configs]
    if unknown:
        raise UserInputError(f'--methods: {", ".join(unknown)} has no config in regime {args.regime} '
                             f'(its methods: {", ".join(study.configs)})')
    results, failed = run_study(study, train_missing=not args.report_only,
                                log=lambda line: print(line, flush=True), jobs=args.jobs)
    summary = summarize(results, study)
    text = study_text(results, study)
    print(text)
    dump_json(dict(runs=results, summary=summary, signal=signal(results, study),
                   recovery=recovery(results, study), cost=cost(results, study)),
              args.json or osp.join(study.work_root, 'study.json'), indent=1)
    suffix = '' if args.regime == 'cpu' else f'_{args.regime}'
    plot_path = args.plot or f'docs/images/missing_study{suffix}.png'
    if results:
        plot(summary, plot_path)
        print(f'plot: {plot_path}')
    if args.docs:
        write_docs_section(args.docs, text, name='missing-study' + suffix.replace('_', '-'),
                           title='Missing-annotation study' + (f' ({args.regime})' if suffix else ''))
    if failed:
        print(f'{len(failed)} run(s) failed: ' + ', '.join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
