"""The few-shot curve on real micrographs: synthetic-pretrained vs from scratch with k annotated images.

    python tools/pretrain.py                      # once: the synthetic-pretrained weights (cached)
    python tools/dataset_converters/import_coco.py EXPORT.json --images DIR --out data/hbn-real \\
        --split val --map Thin_BN=few Less_Thick_BN=thick Thick_BN=thick
    python tools/experiments/few_shot.py data/hbn-real --docs docs/real.md

Each split (seed) holds out the images beyond ``--pool`` for validation and trains on the first k of the
pool, from the synthetic-pretrained weights and from scratch (same schedule and crops); k = 0 tests the
pretrained model alone. Each finished run leaves a JSON record in ``--results`` (committed:
docs/few_shot/), reused while its config, data and starting weights are the same, so the curve goes on
where it stopped. Prints the table (mean ± std over splits), draws the curve (PNG) and, with ``--docs``,
puts the table into that markdown file.
"""
import argparse
import os.path as osp
import sys

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
CHECKOUT = osp.dirname(TOOLS)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Few-shot curve on real micrographs')
    parser.add_argument('source', help='an imported set with every annotated image in --split')
    parser.add_argument('--split', default='val', help="the source's split that holds the images")
    parser.add_argument('--shots', type=int, nargs='+', default=[0, 1, 2, 5, 10])
    parser.add_argument('--splits', type=int, nargs='+', default=[0, 1], help='seeds of the splits')
    parser.add_argument('--pool', type=int, default=10, help='training pool of each split; the rest validate')
    parser.add_argument('--starts', nargs='+', default=['pretrained', 'scratch'],
                        choices=['pretrained', 'scratch'],
                        help='fine-tuned from the synthetic pretraining, and from scratch')
    parser.add_argument('--work-root', default='work_dirs/few_shot')
    parser.add_argument('--results', default='docs/few_shot')
    parser.add_argument('--jobs', type=int, default=1, help='runs side by side, sharing the CPU cores')
    parser.add_argument('--report-only', action='store_true', help='train nothing; report the records')
    parser.add_argument('--plot', default='docs/images/few_shot.png')
    parser.add_argument('--docs', help='markdown file whose few-shot section is replaced')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra key=value options for every run (e.g. train_cfg.max_iters=2)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from qmat.experiments.few_shot import FewShot, few_shot_text, plot_few_shot, run_few_shot, summarize
    from qmat.experiments.report import write_docs_section
    from qmat.utils import UserInputError

    if args.jobs < 1:
        raise UserInputError(f'--jobs must be >= 1, got {args.jobs}')
    if min(args.shots) < 0:
        raise UserInputError(f'--shots must be >= 0, got {args.shots}')
    if not osp.isdir(args.source):
        raise UserInputError(f'few-shot: {args.source} is not a directory')
    fs = FewShot(args.source, args.split, args.shots, args.splits, args.pool, args.starts, args.work_root,
                 args.results, args.cfg_options, config_root=CHECKOUT, tools=TOOLS)
    results, failed = run_few_shot(fs, log=lambda line: print(line, flush=True), jobs=args.jobs,
                                   train_missing=not args.report_only)
    summary = summarize(results, fs)
    text = few_shot_text(summary, fs)
    print(text)
    if results and args.plot:
        plot_few_shot(summary, args.plot)
        print(f'plot: {args.plot}')
    if args.docs:
        write_docs_section(args.docs, text, name='few-shot', title='Few-shot curve')
    if failed:
        print(f'{len(failed)} run(s) failed: ' + ', '.join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
