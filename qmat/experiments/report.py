"""The study's records as markdown: the table of every column, the share of the baseline's AP loss each
method wins back, and what the soft-label and recalibration rules did in training."""
import math
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

import scipy.stats

from qmat.datasets.synthetic.presets import PRESETS
from qmat.utils import write_text
from qmat.utils.machine import machine

from .columns import GOAL_COLUMNS, RULE_LOG_PREFIXES, STUDY_COLUMNS
from .methods import ORACLES, in_matrix
from .study import Study


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean and sample standard deviation (0 for one value) of ``values``."""
    return dict(mean=statistics.fmean(values), std=statistics.stdev(values) if len(values) > 1 else 0.0,
                n=len(values))


def interval95(stats: Dict[str, float]) -> Optional[tuple]:
    """The 95 % confidence interval of a mean of paired differences (Student's t with n - 1 degrees of
    freedom), or None for fewer than two values."""
    if stats['n'] < 2:
        return None
    half = scipy.stats.t.ppf(0.975, stats['n'] - 1) * stats['std'] / math.sqrt(stats['n'])
    return stats['mean'] - half, stats['mean'] + half


def format_interval(stats: Optional[Dict[str, float]], scale: float = 100.0) -> str:
    """``[-0.4, 2.1]`` (percent), ``—`` without an interval."""
    bounds = interval95(stats) if stats else None
    return '—' if bounds is None else f'[{scale * bounds[0]:.1f}, {scale * bounds[1]:.1f}]'


def format_cell(stats: Optional[Dict[str, float]], scale: float = 100.0) -> str:
    """``72.4`` for one seed, ``72.4 ± 0.8`` for several, ``—`` for none (in percent by default)."""
    if not stats:
        return '—'
    if stats['n'] > 1:
        return f'{scale * stats["mean"]:.1f} ± {scale * stats["std"]:.1f}'
    return f'{scale * stats["mean"]:.1f}'


def summarize(results: List[dict], study: Study) -> List[dict]:
    """Mean ± std over seeds of every column, per method and fraction."""
    summary = []
    for method in study.methods:
        for fraction in filter(lambda f: in_matrix(method, f), study.fractions):
            runs = [r for r in results if r['method'] == method and r['fraction'] == fraction]
            columns = {}
            for _, key in STUDY_COLUMNS:
                # 'recovered' is None where nothing was removed: no value, not a zero
                values = [float(r['metrics'][key]) for r in runs if r['metrics'].get(key) is not None]
                columns[key] = mean_std(values) if values else None
            summary.append(dict(method=method, fraction=fraction, seeds=[r['seed'] for r in runs],
                                columns=columns))
    return summary


def report(summary: List[dict], study: Study) -> str:
    """The study's markdown table (percent), with the data, policy, seeds and machine in its caption."""
    missing = sum(len(study.seeds) - len(row['seeds']) for row in summary)
    height, width = PRESETS[study.preset].image_size if study.preset else (256, 256)
    lines = [f'Synthetic set {study.data}' + (f' (preset `{study.preset}`)' if study.preset else '')
             + f': {study.train} training and {study.val} validation images of {width} x {height}; training '
             f'annotations removed by the `{study.policy}` policy; seeds '
             f'{list(study.seeds)}; {machine()}. Percent, mean ± std over the finished seeds.'
             + (' The oracle rows are diagnostics, not methods: they know the removed flakes (not run at '
                '0 %, where they are the baseline).'
                if set(ORACLES) & set(study.methods) else '')
             + (f' {missing} runs of the matrix have no record yet; rows without any are left out.'
                if missing else ''), '',
             '| method | missing | seeds | ' + ' | '.join(name for name, _ in STUDY_COLUMNS) + ' |',
             '|' + ' --- |' * (3 + len(STUDY_COLUMNS))]
    for row in filter(lambda row: row['seeds'], summary):
        cells = [format_cell(row['columns'][key]) for _, key in STUDY_COLUMNS]
        lines.append(f'| {row["method"]} | {row["fraction"]:.0%} | {len(row["seeds"])} | '
                     + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _paired(results: List[dict]) -> Dict[tuple, dict]:
    return {(r['method'], r['fraction'], r['seed']): r['metrics'] for r in results}


def _difference(by_cell: Dict[tuple, dict], first: tuple, second: tuple, seeds: Sequence[int],
                key: str) -> Dict[str, float]:
    """Mean ± std over ``seeds`` of ``key`` in the (method, fraction) cell ``first`` minus ``second``."""
    return mean_std([by_cell[(*first, s)][key] - by_cell[(*second, s)][key] for s in seeds])


def recovery(results: List[dict], study: Study, reference: str = 'baseline') -> List[dict]:
    """How much of the reference's AP loss each method wins back, seed by seed.

    For a missing fraction p and a seed s the reference loses ``ref(0) - ref(p)`` and a method gains
    ``method(p) - ref(p)``; both are averaged over the seeds that have all three runs, and the share
    recovered is the mean gain over the mean loss (None when the reference lost nothing).
    """
    by_cell = _paired(results)
    rows = []
    for method in (m for m in study.methods if m != reference):
        for fraction in (f for f in study.fractions if f > 0):
            seeds = [s for s in study.seeds if all(cell in by_cell for cell in (
                (reference, 0.0, s), (reference, fraction, s), (method, fraction, s)))]
            if not seeds:
                continue
            columns = {}
            for _, key in GOAL_COLUMNS:
                loss = _difference(by_cell, (reference, 0.0), (reference, fraction), seeds, key)
                gain = _difference(by_cell, (method, fraction), (reference, fraction), seeds, key)
                share = gain['mean'] / loss['mean'] if loss['mean'] > 0 else None
                columns[key] = dict(loss=loss, gain=gain, share=share)
            rows.append(dict(method=method, fraction=fraction, seeds=seeds, columns=columns))
    return rows


def recovery_report(rows: List[dict], reference: str = 'baseline') -> str:
    """:func:`recovery` as a markdown table (loss and gain in AP points, mean ± std over the seeds)."""
    header = ' | '.join(f'{task} AP: {reference} loses | gain over {reference} | gain: 95 % interval | '
                        'share recovered' for task, _ in GOAL_COLUMNS)
    lines = [f'Share of the {reference}\'s AP loss (its 0 % run minus its run at the fraction) that each '
             f'method wins back over the {reference} at that fraction, same seeds; AP points, mean ± std '
             'over the seeds, and the 95 % interval of the mean paired gain (Student\'s t; two seeds or '
             'more); share = mean gain / mean loss. The goal: a share of at least 0.5 at 50 %.', '',
             f'| method | missing | seeds | {header} |', '|' + ' --- |' * (3 + 4 * len(GOAL_COLUMNS))]
    for row in rows:
        cells = []
        for _, key in GOAL_COLUMNS:
            column = row['columns'][key]
            cells += [format_cell(column['loss']), format_cell(column['gain']),
                      format_interval(column['gain']),
                      '—' if column['share'] is None else f'{column["share"]:.2f}']
        lines.append(f'| {row["method"]} | {row["fraction"]:.0%} | {len(row["seeds"])} | '
                     + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


# a regime tells methods apart where the reference's mean loss is this many paired seed stds or more
SIGNAL_RATIO = 3.0


def signal(results: List[dict], study: Study, reference: str = 'baseline') -> List[dict]:
    """The reference's own AP loss from 0 % to each fraction, seed by seed, against its seed noise.

    Returns:
        Per fraction: the seeds with both runs and, per goal column, the loss's mean ± std and ``ratio``
        (mean / std; None for fewer than two seeds or no spread).
    """
    by_cell = _paired(results)
    rows = []
    for fraction in (f for f in study.fractions if f > 0):
        seeds = [s for s in study.seeds
                 if (reference, 0.0, s) in by_cell and (reference, fraction, s) in by_cell]
        if not seeds:
            continue
        columns = {}
        for _, key in GOAL_COLUMNS:
            loss = _difference(by_cell, (reference, 0.0), (reference, fraction), seeds, key)
            columns[key] = dict(loss=loss, ratio=loss['mean'] / loss['std'] if loss['std'] > 0 else None)
        rows.append(dict(fraction=fraction, seeds=seeds, columns=columns))
    return rows


def signal_report(rows: List[dict], reference: str = 'baseline') -> str:
    """:func:`signal` as a markdown table."""
    header = ' | '.join(f'{task} AP loss | 95 % interval | loss / std' for task, _ in GOAL_COLUMNS)
    lines = [f'The {reference}\'s AP loss from 0 % to each fraction, paired by seed (AP points, mean ± std '
             f'over the seeds, and the 95 % interval of the mean, Student\'s t), and the mean loss in paired '
             f'seed stds: the regime tells methods apart where it is {SIGNAL_RATIO:g} or more.', '',
             f'| missing | seeds | {header} |', '|' + ' --- |' * (2 + 3 * len(GOAL_COLUMNS))]
    for row in rows:
        cells = []
        for _, key in GOAL_COLUMNS:
            column = row['columns'][key]
            cells += [format_cell(column['loss']), format_interval(column['loss']), _number(column['ratio'])]
        lines.append(f'| {row["fraction"]:.0%} | {len(row["seeds"])} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def cost(results: List[dict], study: Study, reference: str = 'baseline') -> List[dict]:
    """What each method costs: its AP at 0 % minus the reference's, and its training seconds per
    iteration over the reference's, both paired by seed (the time over runs of the same fraction, number of
    threads and date too: a run trained alone on two threads against one of two side by side on one
    thread each measures the threads, not the method, and runs days apart measure the machine's speed on
    those days; its speed drifts up to 2.4x within a day too, which only a benchmark in one run,
    tools/analysis_tools/benchmark_train_step.py, rules out).

    Returns:
        Per method with a pair: ``seeds`` (those at 0 %), per goal column the paired AP difference at 0 %
        (``None`` without a pair), and ``time`` (mean ± std of the ratios over every pair; None without).
    """
    by_cell = _paired(results)
    # a run's step time, and the threads and day it trained with: a ratio is fair between runs with the same
    step = {(r['method'], r['fraction'], r['seed']): (r['metrics'].get('train/seconds_per_iter'),
                                                      (r.get('threads'), r.get('date'))) for r in results}
    rows = []
    for method in (m for m in study.methods if m != reference):
        seeds = [s for s in study.seeds if (method, 0.0, s) in by_cell and (reference, 0.0, s) in by_cell]
        columns = {key: _difference(by_cell, (method, 0.0), (reference, 0.0), seeds, key) if seeds else None
                   for _, key in GOAL_COLUMNS}
        ratios = [step[method, f, s][0] / step[reference, f, s][0]
                  for f in study.fractions for s in study.seeds
                  if (method, f, s) in step and (reference, f, s) in step
                  and step[method, f, s][0] and step[reference, f, s][0]
                  and step[method, f, s][1] == step[reference, f, s][1]]
        if seeds or ratios:
            rows.append(dict(method=method, seeds=seeds, columns=columns,
                             time=mean_std(ratios) if ratios else None))
    return rows


def cost_report(rows: List[dict], reference: str = 'baseline') -> str:
    """:func:`cost` as a markdown table."""
    header = ' | '.join(f'{task} AP at 0 % minus {reference} | 95 % interval' for task, _ in GOAL_COLUMNS)
    lines = [f'What each method costs against the {reference}, paired by seed: its AP at 0 % missing minus '
             f'the {reference}\'s (AP points, mean ± std, and the 95 % interval of the mean, Student\'s t), '
             f'and its training seconds per iteration over the {reference}\'s in runs of the same fraction '
             'and seed trained with as many threads on the same day (mean ± std of the ratios; — where no '
             'such pair ran; '
             'runs trained side by side share the cores, so a ratio holds as well as their neighbours were '
             'alike). The goals for a new method: no more than 1 AP '
             'at 0 %, at most 2.2x the time.', '',
             f'| method | seeds at 0 % | {header} | time / {reference} |',
             '|' + ' --- |' * (3 + 2 * len(GOAL_COLUMNS))]
    for row in rows:
        cells = []
        for _, key in GOAL_COLUMNS:
            cells += [format_cell(row['columns'][key]), format_interval(row['columns'][key])]
        time = row['time']
        cells.append('—' if time is None else f'{time["mean"]:.2f}x'
                     + (f' ± {time["std"]:.2f}' if time['n'] > 1 else ''))
        lines.append(f'| {row["method"]} | {len(row["seeds"])} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _number(value: Optional[float], digits: int = 1) -> str:
    return '—' if value is None else f'{value:.{digits}f}'


def _ratio(part: Optional[float], whole: Optional[float]) -> Optional[float]:
    return part / whole if part is not None and whole else None


def pseudo_label_stats(logs: Dict[str, float]) -> Tuple[Optional[float], ...]:
    """Self-training's pseudo-labels from the means of its ``selftrain_*`` logs: per batch, their precision
    and recall against the removed flakes, and the share of those on a removed flake given its class
    (None where a log is missing or its denominator is zero)."""
    pseudo, on_removed = logs.get('selftrain_pseudo_labels'), logs.get('selftrain_pseudo_on_removed')
    return (pseudo, _ratio(on_removed, pseudo),
            _ratio(logs.get('selftrain_removed_found'), logs.get('selftrain_removed')),
            _ratio(logs.get('selftrain_pseudo_right_class'), on_removed))


def rule_report(results: List[dict]) -> str:
    """What SASL's soft-label rule and BRL's recalibration did in each run's training (per batch of one
    iteration, means over the logged iterations): how many negatives got a soft label and, against the
    removed flakes (kept as ignored), the share of those on a removed flake (precision) and the share of
    the negatives on removed flakes that got one (recall); BRL's confusion anchors and those in the
    mirrored branch. Empty when no record has such logs."""
    lines = []
    for r in results:
        logs = {key[len('train/'):]: value for key, value in r['metrics'].items()
                if key.startswith(tuple(f'train/{prefix}' for prefix in RULE_LOG_PREFIXES))}
        if not logs:
            continue
        soft, on_removed = logs.get('sasl_soft_labels'), logs.get('sasl_soft_on_removed')
        precision = _ratio(on_removed, soft)
        recall = _ratio(on_removed, logs.get('sasl_removed_negatives'))
        pseudo, pseudo_precision, pseudo_recall, right_class = pseudo_label_stats(logs)
        lines.append(f'| {r["method"]} | {r["fraction"]:.0%} | {r["seed"]} | {_number(soft)} | '
                     f'{_number(precision, 3)} | {_number(recall, 3)} | '
                     f'{_number(logs.get("brl_confusion"), 0)} | {_number(logs.get("brl_recalibrated"))} | '
                     f'{_number(pseudo)} | {_number(pseudo_precision, 3)} | {_number(pseudo_recall, 3)} | '
                     f'{_number(right_class, 3)} |')
    if not lines:
        return ''
    return '\n'.join([
        'What the rules did in training, per batch (one iteration), averaged over the logged iterations '
        "(mmengine logs these counts' value at the logging iteration, not a window mean): SASL's soft "
        "labels with their precision and recall against the removed flakes, BRL's confusion anchors and "
        'those it pushed up (the mirrored branch), the pseudo-labels that self-training added (after its '
        'burn-in) with their precision and recall against the removed flakes and, of those on a removed '
        'flake, the share given its thickness class.', '',
        '| method | missing | seed | soft labels | precision | recall | confusion anchors | recalibrated | '
        'pseudo-labels | precision | recall | right class |',
        '|' + ' --- |' * 12, *lines])


def study_text(results: List[dict], study: Study) -> str:
    """Everything the study reports: its table, then (when they have rows) the baseline's loss against its
    seed noise, the recovery table, the cost table and the rules' table, as the docs section holds them."""
    parts = [report(summarize(results, study), study)]
    signals, recovered, costs = signal(results, study), recovery(results, study), cost(results, study)
    parts += [signal_report(signals)] if signals else []
    parts += [recovery_report(recovered)] if recovered else []
    parts += [cost_report(costs)] if costs else []
    rules = rule_report(results)
    return '\n\n'.join(parts + ([rules] if rules else []))


def write_docs_section(path: str, text: str, name: str = 'missing-study',
                       title: str = 'Missing-annotation study') -> None:
    """Replace the section of markdown file ``path`` between the ``<!-- {name}:start -->`` and
    ``<!-- {name}:end -->`` markers (append one, under ``## {title}``, if it has none), atomically."""
    start, end = f'<!-- {name}:start -->', f'<!-- {name}:end -->'
    content = open(path, encoding='utf-8').read() if osp.isfile(path) else ''
    section = f'{start}\n{text}\n{end}'
    if start in content and end in content:
        before, rest = content.split(start, 1)
        content = before + section + rest.split(end, 1)[1]
    else:
        content = content.rstrip('\n') + f'\n\n## {title}\n\n' + section + '\n'
    write_text(path, content)
