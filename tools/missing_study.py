"""The missing-annotation study at CPU scale: every method at 0 / 30 / 50 % missing training flakes.

    python tools/missing_study.py                       # everything: data, 5 methods x 3 fractions x 3 seeds
    python tools/missing_study.py --methods baseline sasl --seeds 0 --report-only

Generates a synthetic set (complete validation), drops training annotations with the annotator-like policy
(kept as ignored instances, so SASL-RPN logs how many soft labels land on them), trains each missing run of
configs/synthetic/*_250i_* (about 9 minutes each on 2 cores) into
``--work-root/<method>/missing<pct>/seed<k>``, skipping finished ones, and evaluates COCO bbox/segm AP,
RPN AR@100/AR@1000 and the share of removed training flakes the model recovers. Prints the table (mean ± std
over seeds), writes it as JSON, draws AP against the missing fraction (PNG) and, with ``--docs``, puts the
table into that markdown file.
"""
import argparse
import json
import os
import os.path as osp
import platform
import sys

DOCS_START, DOCS_END = '<!-- missing-study:start -->', '<!-- missing-study:end -->'


def parse_args():
    from qmat.evaluation.missing_study import STUDY_METHODS
    parser = argparse.ArgumentParser(description='Run the missing-annotation study on synthetic data')
    parser.add_argument('--data', default='data/study', help='synthetic set (generated when absent)')
    parser.add_argument('--work-root', default='work_dirs/study')
    parser.add_argument('--methods', nargs='+', default=list(STUDY_METHODS), choices=list(STUDY_METHODS))
    parser.add_argument('--fractions', type=float, nargs='+', default=[0.0, 0.3, 0.5])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--policy', default='annotator')
    parser.add_argument('--train', type=int, default=64, help='training images to generate')
    parser.add_argument('--val', type=int, default=16, help='validation images to generate')
    parser.add_argument('--report-only', action='store_true', help='train nothing; report finished runs')
    parser.add_argument('--json', default=None, help='default: <work-root>/study.json')
    parser.add_argument('--plot', default='docs/images/missing_study.png')
    parser.add_argument('--docs', help='markdown file whose missing-study section is replaced')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra key=value options for every training (e.g. train_cfg.max_iters=2)')
    return parser.parse_args()


def prepare_data(args):
    from qmat.datasets import SceneConfig, generate_dataset
    from qmat.datasets.missing import write_dropped
    from qmat.evaluation.missing_study import train_file

    complete = osp.join(args.data, 'annotations', 'instances_train2019.json')
    if not osp.isfile(complete):
        print(f'[study] generating {args.train} + {args.val} synthetic images in {args.data}', flush=True)
        generate_dataset(args.data, {'train': args.train, 'val': args.val},
                         SceneConfig(image_size=(256, 256)), seed=0, workers=os.cpu_count() or 1)
    for fraction in args.fractions:
        for seed in args.seeds:
            target = osp.join(args.data, train_file(fraction, seed))
            if not osp.isfile(target):
                write_dropped(complete, target, fraction, args.policy, seed, keep_as_ignored=True)


def run_dir(args, method, fraction, seed):
    return osp.join(args.work_root, method, f'missing{round(100 * fraction):02d}', f'seed{seed}')


def main():
    args = parse_args()
    from qmat.datasets.missing import removal_record_path
    from qmat.engine import load_config
    from qmat.evaluation.missing_study import STUDY_COLUMNS, STUDY_METHODS, evaluate_run, train_file
    from qmat.evaluation.runs import REPO, finished, last_metrics, mean_std, train

    prepare_data(args)
    failed, results = [], []
    configs = {method: osp.join(REPO, STUDY_METHODS[method]) for method in args.methods}
    max_iters = {method: int(load_config(config, _options(args.cfg_options)).train_cfg.max_iters)
                 for method, config in configs.items()}
    # seed by seed: a study stopped early still has every method and fraction for its first seeds
    for seed in args.seeds:
        for fraction in args.fractions:
            for method in args.methods:
                work = run_dir(args, method, fraction, seed)
                ann = train_file(fraction, seed)
                if not finished(work, max_iters[method]) and not args.report_only:
                    print(f'[study] training {method}, {fraction:.0%} missing, seed {seed}: {work}',
                          flush=True)
                    resume = ['--resume'] if osp.isfile(osp.join(work, 'last_checkpoint')) else []
                    options = [f'train_dataloader.dataset.ann_file={ann}', f'randomness.seed={seed}',
                               *args.cfg_options]
                    if train(configs[method], work, [*resume, '--data-root', args.data, '--cfg-options',
                                                     *options]):
                        failed.append(work)
                        continue
                if not finished(work, max_iters[method]):
                    continue
                cache = osp.join(work, 'study_metrics.json')
                if osp.isfile(cache):
                    with open(cache, encoding='utf-8') as f:
                        metrics = json.load(f)
                else:
                    print(f'[study] evaluating {work}', flush=True)
                    metrics = dict(last_metrics(work) or {})
                    checkpoint = osp.join(work, f'iter_{max_iters[method]}.pth')
                    metrics.update(evaluate_run(configs[method], checkpoint, args.data,
                                                removal_record_path(osp.join(args.data, ann))))
                    with open(cache, 'w', encoding='utf-8') as f:
                        json.dump(metrics, f)
                results.append(dict(method=method, fraction=fraction, seed=seed, metrics=metrics))

    summary = []
    for method in args.methods:
        for fraction in args.fractions:
            runs = [r for r in results if r['method'] == method and r['fraction'] == fraction]
            row = dict(method=method, fraction=fraction, seeds=[r['seed'] for r in runs], columns={})
            for _, key in STUDY_COLUMNS:
                values = [float(r['metrics'][key]) for r in runs if key in r['metrics']]
                row['columns'][key] = mean_std(values) if values else None
            summary.append(row)
    text = report(summary, args)
    print(text)
    out = args.json or osp.join(args.work_root, 'study.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(dict(runs=results, summary=summary), f, indent=1)
    if results and args.plot:
        plot(summary, args)
    if args.docs:
        write_docs(args.docs, text)
    if failed:
        print(f'{len(failed)} run(s) failed: ' + ', '.join(failed), file=sys.stderr)
        sys.exit(1)


def _options(pairs):
    """``key=value`` strings as mmengine's DictAction parses them."""
    from mmengine.config import DictAction
    parsed = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, parsed, list(pairs))
    return parsed.options


def report(summary, args):
    from qmat.evaluation.missing_study import STUDY_COLUMNS
    from qmat.evaluation.runs import format_cell
    lines = [f'Synthetic set {args.data}: {args.train} training and {args.val} validation images of '
             f'256 x 256; training annotations removed by the `{args.policy}` policy; seeds {args.seeds}; '
             f'{platform.machine()}, {os.cpu_count()} CPU cores. Percent, mean ± std over the finished '
             'seeds.',
             '', '| method | missing | seeds | ' + ' | '.join(name for name, _ in STUDY_COLUMNS) + ' |',
             '|' + ' --- |' * (3 + len(STUDY_COLUMNS))]
    for row in summary:
        cells = [format_cell(row['columns'][key]) for _, key in STUDY_COLUMNS]
        lines.append(f'| {row["method"]} | {row["fraction"]:.0%} | {len(row["seeds"])} | '
                     + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot(summary, args):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, (title, key) in zip(axes, (('bbox AP', 'coco/bbox_mAP'), ('segm AP', 'coco/segm_mAP'))):
        for method in args.methods:
            rows = [r for r in summary if r['method'] == method and r['columns'][key]]
            if rows:
                axis.errorbar([100 * r['fraction'] for r in rows],
                              [100 * r['columns'][key]['mean'] for r in rows],
                              yerr=[100 * r['columns'][key]['std'] for r in rows], marker='o', capsize=3,
                              label=method)
        axis.set(title=title, xlabel='training annotations missing (%)', ylabel='AP (%)')
        axis.grid(alpha=0.3)
    axes[0].legend()
    figure.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(args.plot)), exist_ok=True)
    figure.savefig(args.plot, dpi=120)
    print(f'plot: {args.plot}')


def write_docs(path, text):
    """Replace the text between the study markers of ``path`` (appending the section if it has none)."""
    content = open(path, encoding='utf-8').read() if osp.isfile(path) else ''
    section = f'{DOCS_START}\n{text}\n{DOCS_END}'
    if DOCS_START in content and DOCS_END in content:
        before, rest = content.split(DOCS_START, 1)
        content = before + section + rest.split(DOCS_END, 1)[1]
    else:
        content = content.rstrip('\n') + '\n\n## Missing-annotation study\n\n' + section + '\n'
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        f.write(content)
    os.replace(path + '.tmp', path)


if __name__ == '__main__':
    from qmat.utils import run_cli
    run_cli(main)
