"""How self-training's pseudo-labels changed over a run: per window of iterations, the pseudo-labels per
batch and their precision, recall and right class against the removed flakes, from the run's own logs.

    python tools/analysis_tools/pseudo_label_log.py WORK_DIR [--window 500] [--start 1000]

WORK_DIR is a tools/train.py work dir of a ``SelfTrainingMaskRCNN`` config (a resumed run reads as one
run). The counts are mmengine's ``selftrain_*`` values at the logged iterations, as the study's records
keep their means over the whole run; ``--start`` is the teacher's burn-in, before which nothing is added.
"""
import argparse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Self-training's pseudo-labels per window of a run's log")
    parser.add_argument('work_dir', help='the work dir of a self-training run')
    parser.add_argument('--window', type=int, default=500, help='iterations per row')
    parser.add_argument('--start', type=int, default=1000, help='the first window begins after it')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.experiments.report import pseudo_label_stats
    from qmat.experiments.runs import window_means
    from qmat.utils import UserInputError
    from qmat.utils.tables import markdown_table

    if args.window < 1 or args.start < 0:
        raise UserInputError(f'--window must be >= 1 and --start >= 0, got {args.window} and {args.start}')
    windows = window_means(args.work_dir, ['selftrain_'], args.window, args.start)
    if not windows:
        raise UserInputError(f'{args.work_dir}: no logged selftrain_* counts after iteration {args.start} '
                             '(not a self-training run, or its teacher has not started)')

    def cell(value, digits):
        return '—' if value is None else f'{value:.{digits}f}'

    rows = []
    for first, last, logged, means in windows:
        pseudo, precision, recall, right_class = pseudo_label_stats(means)
        rows.append((f'{first:,}-{last:,}', logged, cell(pseudo, 1), cell(precision, 3), cell(recall, 3),
                     cell(right_class, 3)))
    print('\n'.join(markdown_table(('iterations', 'logged', 'pseudo-labels per batch', 'precision', 'recall',
                                    'right class'), rows)))


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
