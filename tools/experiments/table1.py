"""Reproduce the paper's Table 1: methods x materials, bbox and segm AP50 / AP75 / AP.

    python tools/experiments/table1.py                        # collect: print what has been run
    python tools/experiments/table1.py --run --materials graphene --seeds 0 1 2 --gpus 4
    python tools/experiments/table1.py --run --data-root-pattern /data/tdm/{material} --json t1.json
    python tools/experiments/table1.py --run --scale cpu --jobs 2   # CPU-sized, on synthetic sets

Runs live in ``--work-root/<material>/<method>/seed<k>/``. With ``--run`` each missing run is trained with
tools/train.py (tools/dist_train.sh for several GPUs) from the paper's configs; finished runs are skipped,
so an interrupted reproduction continues where it stopped. Cells show mean ± std over finished seeds
(percent); the paper's own numbers follow in brackets; runs that are not there are listed, not invented.

``--scale cpu`` runs the same matrix with the CPU-sized configs on a synthetic set per material whose
training annotations miss 30 % of the flakes (generated when absent), as a missing-annotation study: each
finished run leaves a JSON record in ``--results`` (committed: docs/table1_cpu/), so it goes on where it
stopped on any machine. The paper's numbers, from its data and scale, are not shown there.
"""
import argparse
import functools
import os.path as osp
import sys

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))  # train.py and dist_train.sh are there
CHECKOUT = osp.dirname(TOOLS)  # the configs are relative to it


def parse_args(argv=None):
    from qmat.experiments import TABLE1_METHODS
    from qmat.experiments.table1 import MATERIALS
    parser = argparse.ArgumentParser(description="Run or collect the paper's Table 1")
    parser.add_argument('--scale', default='paper', choices=('paper', 'cpu'),
                        help="paper: the paper's configs and data; cpu: CPU-sized configs on synthetic sets")
    parser.add_argument('--work-root', help='default: work_dirs/table1, or work_dirs/table1_cpu at cpu scale')
    parser.add_argument('--materials', nargs='+', default=list(MATERIALS), choices=MATERIALS)
    parser.add_argument('--methods', nargs='+', default=list(TABLE1_METHODS), choices=TABLE1_METHODS)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--run', action='store_true', help='train the runs that are missing, then collect')
    parser.add_argument('--gpus', type=int, default=1, help='GPUs per run (torchrun + DDP when > 1)')
    parser.add_argument('--data-root-pattern',
                        help='dataset of each material, e.g. data/{material} (cpu: generated when absent; '
                        'default data/table1_cpu/{material})')
    parser.add_argument('--results', default='docs/table1_cpu', help='cpu scale: where run records go')
    parser.add_argument('--jobs', type=int, default=1,
                        help='cpu scale: runs trained side by side, sharing the cores (2 on 2 cores)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='cpu scale: extra key=value options for every training')
    parser.add_argument('--json', help='write the table as JSON here')
    parser.add_argument('--markdown', help='write the markdown table here')
    parser.add_argument('--docs', help='markdown file whose Table 1 section (paper or cpu scale) is replaced')
    parser.add_argument('--no-paper', action='store_true', help="leave out the paper's numbers")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.experiments import table1
    from qmat.experiments.report import write_docs_section
    from qmat.utils import UserInputError, dump_json, write_text

    if args.data_root_pattern and '{material}' not in args.data_root_pattern:
        raise UserInputError(f'--data-root-pattern {args.data_root_pattern} must contain {{material}}')
    if args.jobs < 1:
        raise UserInputError(f'--jobs must be >= 1, got {args.jobs}')
    log = functools.partial(print, flush=True)
    if args.scale == 'cpu':
        table, failed = table1.reproduce_on_synthetic(
            args.work_root or 'work_dirs/table1_cpu', args.materials, args.methods, args.seeds,
            args.data_root_pattern or 'data/table1_cpu/{material}', args.results, run=args.run,
            jobs=args.jobs, cfg_options=args.cfg_options, config_root=CHECKOUT, tools=TOOLS, log=log)
        text = table1.synthetic_caption(args.seeds) + '\n\n' + table1.markdown(table, with_paper=False)
        section = ('table1-cpu', 'Table 1 at CPU scale')
    else:
        work_root, failed = args.work_root or 'work_dirs/table1', []
        if args.run:
            failed = table1.train_missing(CHECKOUT, TOOLS, work_root, args.materials, args.methods,
                                          args.seeds, args.gpus, args.data_root_pattern, log=log)
        table = table1.collect(CHECKOUT, work_root, args.materials, args.methods, args.seeds)
        text = table1.markdown(table, with_paper=not args.no_paper)
        section = ('table1', 'Table 1')
    print(text)
    if args.markdown:
        write_text(args.markdown, text + '\n')
    if args.docs:
        write_docs_section(args.docs, text, *section)
    if args.json:
        dump_json(table, args.json, indent=1)
    if failed:
        print(f'{len(failed)} run(s) failed: ' + '; '.join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
