"""The baseline's learning curve in a study's regime, and the shortest schedule that is near its plateau.

A curve run trains a config whose learning rate is held after the warm-up and that validates every few
hundred iterations (``configs/synthetic/*-curve_*``): each validation is what a schedule of that length
reaches before its learning-rate decay, which only adds to it. A constant learning rate makes single
validations swing by a few AP points, so the curve is averaged over three consecutive validations; its
plateau is the best of that average, and the shortest schedule is the first validated iteration from which
the average, at every missing fraction, in bbox and segm AP, stays within ``tolerance`` AP points of its
plateau.
Finished curves leave a record (every validation) in ``<study.results>/curve/``, like the study's runs.
"""
import glob
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

import torch

from qmat.engine import load_config
from qmat.utils import nan_to_none

from .columns import GOAL_COLUMNS
from .records import provenance, read_record, write_record
from .runs import finished, log_rows, parse_options, side_by_side, threads_per_job, train
from .study import Study, cell_name, prepare_data, train_file


def validations(work_dir: str, val_interval: int, max_iters: int) -> List[dict]:
    """Every validation the runs in ``work_dir`` logged (a resumed run's first part too), in order:
    ``{'step': iteration, metric: value}``.

    mmengine logs a validation of an iteration-based run at step 0 (its epoch); its iteration is the
    multiple of ``val_interval`` (or ``max_iters``) at or after the training line before it, or the
    next one after the validation before it where no training line lies between. A validation logged
    twice (a run resumed from before it) keeps its later value.
    """
    by_step: Dict[int, dict] = {}
    trained, validated = None, 0
    for path in sorted(glob.glob(osp.join(work_dir, '2*', 'vis_data', 'scalars.json'))):  # oldest first
        for row in log_rows(path):
            if GOAL_COLUMNS[0][1] not in row:
                trained = int(row['step']) if 'step' in row else trained
                continue
            step = validated + val_interval if trained is None else -(-trained // val_interval) * val_interval
            validated, trained = min(step, max_iters), None
            by_step[validated] = dict(row, step=validated)
    return [by_step[step] for step in sorted(by_step)]


def curve_record_path(study: Study, method: str, fraction: float, seed: int) -> str:
    return osp.join(study.results, 'curve', f'{method}_{cell_name(fraction, seed)}.json')


def run_curves(study: Study, config: str, method: str = 'baseline', seed: int = 0, jobs: int = 1,
               train_missing: bool = True, log: Callable[[str], None] = print) -> List[dict]:
    """Train (unless ``train_missing`` is False) the curve ``config`` at each of the study's fractions with
    ``seed``; returns the records of the finished curves (one per fraction, in order)."""
    prepare_data(study)
    options_of = {fraction: [f'train_dataloader.dataset.ann_file={train_file(fraction, seed)}',
                             f'randomness.seed={seed}', *study.cfg_options] for fraction in study.fractions}
    train_cfg = load_config(config, parse_options(study.cfg_options)).train_cfg
    max_iters, val_interval = int(train_cfg.max_iters), int(train_cfg.val_interval)
    threads = threads_per_job(jobs)
    work_of = {f: osp.join(study.work_root, 'curve', method, f'missing{round(100 * f):02d}', f'seed{seed}')
               for f in study.fractions}
    records: Dict[float, dict] = {}
    pending = []
    for fraction in study.fractions:
        stamp = study.fingerprint(config, parse_options(options_of[fraction]))
        record = read_record(curve_record_path(study, method, fraction, seed))
        if record is not None and record.get('fingerprint') == stamp:
            records[fraction] = record
        else:
            pending.append((fraction, stamp))

    def complete(fraction: float, stamp: str) -> None:
        work = work_of[fraction]
        if not finished(work, max_iters) and train_missing:
            log(f'[curve] training {method}, {fraction:.0%} missing, seed {seed}: {work}')
            resume = ['--resume'] if osp.isfile(osp.join(work, 'last_checkpoint')) else []
            if train(study.tools, config, work, [*resume, '--data-root', study.data, '--cfg-options',
                                                  *options_of[fraction]], threads=threads):
                log(f'[curve] training failed: {work}')
                return
        if not finished(work, max_iters):
            return
        points = [nan_to_none(dict(row)) for row in validations(work, val_interval, max_iters)]
        record = dict(method=method, material=study.material, fraction=fraction, seed=seed, metrics=dict(
            curve=points), fingerprint=stamp, config=osp.relpath(config, study.config_root),
            options=options_of[fraction], threads=threads or torch.get_num_threads(),
            **provenance(study.config_root))
        write_record(curve_record_path(study, method, fraction, seed), record)
        records[fraction] = record

    side_by_side([lambda cell=cell: complete(*cell) for cell in pending], jobs)
    return [records[f] for f in study.fractions if f in records]


def smoothed(curve: Sequence[dict], key: str, window: int = 3) -> List[float]:
    """The curve's ``key`` averaged over ``window`` consecutive validations centred on each (fewer at the
    ends): a constant learning rate makes single validations swing by a few AP points."""
    values = [float(point[key]) for point in curve]
    half = window // 2
    return [sum(values[max(0, i - half):i + half + 1]) / len(values[max(0, i - half):i + half + 1])
            for i in range(len(values))]


def shortest_schedule(curves: Sequence[Sequence[dict]], tolerance: float = 1.5,
                      window: int = 3) -> Optional[int]:
    """The first validated iteration from which each :func:`smoothed` curve stays within ``tolerance`` AP
    points (bbox and segm) of its own best, its plateau; None without curves. ``curves``: per fraction,
    the validations in order."""
    if not curves or not all(curves):
        return None
    steps = sorted({int(point['step']) for curve in curves for point in curve})
    smooth = [(curve, smoothed(curve, key, window)) for curve in curves for _, key in GOAL_COLUMNS]
    for step in steps:
        if all(100 * (max(values) - value) <= tolerance for curve, values in smooth
               for point, value in zip(curve, values) if int(point['step']) >= step):
            return step
    return steps[-1]


def tail_mean(curve: Sequence[dict], key: str, steps: Sequence[int]) -> Optional[float]:
    """The mean of ``key`` over the curve's validations at ``steps``; None unless it has them all."""
    values = {int(point['step']): float(point[key]) for point in curve}
    return sum(values[s] for s in steps) / len(steps) if all(s in values for s in steps) else None


def curve_table(records: Sequence[dict]) -> str:
    """The curves as a markdown table: bbox / segm AP (percent) per validated iteration and fraction (and
    method, where the records are of more than one)."""
    steps = sorted({int(p['step']) for r in records for p in r['metrics']['curve']})
    several = len({r.get('method') for r in records}) > 1
    header = ' | '.join(f'{r["method"] + ", " if several else ""}{r["fraction"]:.0%} missing: bbox AP | '
                        'segm AP' for r in records)
    lines = [f'| iteration | {header} |', '|' + ' --- |' * (1 + 2 * len(records))]
    for step in steps:
        cells = []
        for r in records:
            point = next((p for p in r['metrics']['curve'] if int(p['step']) == step), None)
            cells += ['—' if point is None else f'{100 * point[key]:.1f}' for _, key in GOAL_COLUMNS]
        lines.append(f'| {step} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def beside_baseline(baseline: Sequence[dict], records: Sequence[dict], last: int = 3) -> str:
    """A method's curves (``records``) beside the ``baseline``'s at the same fractions, as a
    :func:`curve_table`, then per fraction both curves' means over the method's ``last`` validations."""
    base_of = {r['fraction']: r for r in baseline}
    pairs = [(base_of.get(r['fraction']), r) for r in records]
    text = curve_table([r for pair in pairs for r in pair if r is not None])
    for base, mine in pairs:
        steps = [int(point['step']) for point in mine['metrics']['curve']][-last:]
        means = [tail_mean(r['metrics']['curve'], key, steps) for r in (base, mine) if r is not None
                 for _, key in GOAL_COLUMNS]
        if len(means) == 4 and None not in means:
            base_box, base_mask, box, mask = (100 * mean for mean in means)
            text += (f'\n\nAt {mine["fraction"]:.0%} missing, the mean of the validations at '
                     f'{", ".join(map(str, steps))}: baseline {base_box:.1f} bbox / {base_mask:.1f} segm AP, '
                     f'{mine["method"]} {box:.1f} / {mask:.1f}.')
    return text
