"""The paper's Table 1: bbox and segm AP50 / AP75 / AP per material and method, from training runs.

At paper scale, runs live in ``<root>/<material>/<method>/seed<k>/`` (:func:`train_missing` trains the
missing ones with the methods' paper configs). Cells with several finished seeds show mean ± std; cells
without a finished run are listed, never filled in.

:func:`reproduce_on_synthetic` is the same matrix at CPU scale: the methods' CPU-sized configs on one
synthetic set per material whose training annotations miss 30 % of the flakes, run as a
missing-annotation study (:mod:`.study`: generated data, a record per finished run, runs side by side).
"""
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from qmat.utils.machine import machine

from .columns import TABLE1_COLUMNS
from .methods import METHODS, TABLE1_METHODS
from .report import format_cell, mean_std
from .runs import finished, last_metrics, train
from .study import Study, run_study

MATERIALS = ('graphene', 'hbn', 'mos2', 'wte2')
MATERIAL_NAMES = dict(graphene='Graphene', hbn='hBN', mos2='MoS2', wte2='WTe2')
CPU_MISSING = 0.3  # share of the training flakes left unannotated at CPU scale
# The paper's own numbers (Table 1, in %), for side-by-side reading; never mixed into measured cells.
PAPER = {
    ('graphene', 'baseline'): (86.3, 78.8, 72.4, 84.1, 71.2, 63.2),
    ('graphene', 'ohem'): (86.5, 79.8, 73.1, 84.5, 71.4, 63.7),
    ('graphene', 'brl'): (86.8, 79.8, 73.6, 85.1, 71.5, 63.8),
    ('graphene', 'sasl-t0.6'): (87.1, 80.3, 74.6, 85.0, 72.7, 64.6),
    ('graphene', 'sasl-t0.8'): (87.8, 80.8, 75.7, 85.7, 73.8, 65.4),
    ('hbn', 'baseline'): (73.2, 62.0, 59.0, 73.4, 73.2, 62.9),
    ('hbn', 'ohem'): (71.4, 71.0, 61.8, 71.4, 62.0, 61.4),
    ('hbn', 'brl'): (71.6, 71.4, 62.8, 71.0, 69.8, 60.8),
    ('hbn', 'sasl-t0.6'): (72.1, 72.1, 63.7, 72.1, 71.3, 62.7),
    ('hbn', 'sasl-t0.8'): (73.4, 73.1, 64.4, 73.1, 72.9, 63.0),
    ('mos2', 'baseline'): (60.8, 57.0, 50.3, 60.3, 54.3, 47.6),
    ('mos2', 'ohem'): (62.5, 56.1, 51.1, 61.7, 54.1, 48.4),
    ('mos2', 'brl'): (63.7, 59.4, 53.7, 63.0, 57.0, 50.6),
    ('mos2', 'sasl-t0.6'): (64.0, 57.8, 54.2, 63.3, 57.5, 50.9),
    ('mos2', 'sasl-t0.8'): (65.6, 60.3, 55.1, 64.9, 58.1, 51.9),
    ('wte2', 'baseline'): (76.6, 64.8, 58.6, 74.2, 60.7, 52.3),
    ('wte2', 'ohem'): (76.7, 65.3, 59.8, 75.5, 61.2, 54.4),
    ('wte2', 'brl'): (79.6, 66.0, 60.6, 78.0, 61.4, 55.0),
    ('wte2', 'sasl-t0.6'): (78.3, 65.3, 61.4, 77.0, 64.6, 55.9),
    ('wte2', 'sasl-t0.8'): (78.8, 67.6, 61.8, 77.3, 63.2, 55.3),
    ('wte2', 'sasl-t0.9'): (79.0, 68.5, 61.2, 77.4, 65.0, 55.4),
}


def paper_config(config_root: str, method: str, material: str) -> str:
    return osp.join(config_root, METHODS[method].paper.format(material=material))


def run_dir(root: str, material: str, method: str, seed: int) -> str:
    return osp.join(root, material, method, f'seed{seed}')


def max_iters(config: str) -> int:
    return int(Config.fromfile(config).train_cfg.max_iters)


def table_row(material: str, method: str, seeds: List[int], values: Dict[str, List[float]]) -> Dict:
    return dict(material=material, method=method, seeds=seeds,
                columns={key: mean_std(v) if v else None for key, v in values.items()},
                paper=PAPER.get((material, method)))


def _values(metrics: Sequence[dict]) -> Dict[str, List[float]]:
    return {key: [float(m[key]) for m in metrics] for _, _, key in TABLE1_COLUMNS}


def collect(config_root: str, root: str, materials: Sequence[str] = MATERIALS,
            methods: Sequence[str] = TABLE1_METHODS, seeds: Sequence[int] = (0,)) -> Dict:
    """Metrics of every finished paper-scale run under ``root``.

    Returns:
        ``dict(rows=[...], missing=[...])``: one row per (material, method) with ``seeds`` (those finished)
        and per column ``mean``/``std``/``n`` (fractions, as mmdet logs them), plus the paper's numbers;
        ``missing`` names each (material, method, seed) without a finished run.
    """
    rows, missing = [], []
    for material in materials:
        iters = max_iters(paper_config(config_root, methods[0], material)) if methods else 0
        for method in methods:
            done, metrics = [], []
            for seed in seeds:
                work = run_dir(root, material, method, seed)
                found = last_metrics(work) if finished(work, iters) else None
                if found is None:
                    missing.append(f'{material} / {method} / seed {seed}: {work}')
                    continue
                done.append(seed)
                metrics.append(found)
            rows.append(table_row(material, method, done, _values(metrics)))
    return dict(rows=rows, missing=missing)


def synthetic_caption(seeds: Sequence[int]) -> str:
    """What the CPU-scale table was measured on, to print above it."""
    study = Study()  # the sizes and the drop policy that synthetic_study keeps
    return (f'CPU scale: per material a synthetic set of {study.train} training and {study.val} validation '
            f'images of 256 x 256, {CPU_MISSING:.0%} of the training flakes unannotated (`{study.policy}` '
            'policy, drawn per seed); the CPU-sized 250-iteration configs (configs/synthetic/), SASL in the '
            f'literal reading of Eq. 5; seeds {list(seeds)}; {machine()}. '
            'Percent, mean ± std over the finished seeds. Validation annotations are complete.')


def synthetic_study(material: str, methods: Sequence[str], seeds: Sequence[int], work_root: str,
                    data_root_pattern: str, results: str, cfg_options: Sequence[str] = (),
                    config_root: str = '.', tools: str = 'tools') -> Study:
    """The CPU-scale runs of one material as a :class:`~.study.Study` (one missing fraction)."""
    return Study(data=data_root_pattern.format(material=material), work_root=osp.join(work_root, material),
                 results=osp.join(results, material), methods=tuple(methods), fractions=(CPU_MISSING,),
                 seeds=tuple(seeds), cfg_options=list(cfg_options), material=material,
                 config_root=config_root, tools=tools)


def reproduce_on_synthetic(work_root: str, materials: Sequence[str], methods: Sequence[str],
                           seeds: Sequence[int], data_root_pattern: str, results: str, run: bool = True,
                           jobs: int = 1, cfg_options: Sequence[str] = (), config_root: str = '.',
                           tools: str = 'tools',
                           log: Callable[[str], None] = print) -> Tuple[Dict, List[str]]:
    """Table 1 at CPU scale: train (when ``run``) and evaluate what has no record, then collect the records.

    Returns:
        (the table, as :func:`collect` gives it; the work dirs whose training failed).
    """
    rows, missing, failed = [], [], []
    for material in materials:
        study = synthetic_study(material, methods, seeds, work_root, data_root_pattern, results, cfg_options,
                                config_root, tools)
        records, failures = run_study(study, train_missing=run, log=log, jobs=jobs)
        failed += failures
        for method in methods:
            done = [r for r in records if r['method'] == method]
            rows.append(table_row(material, method, [r['seed'] for r in done],
                                  _values([r['metrics'] for r in done])))
            missing += [f'{material} / {method} / seed {seed}: {study.record_path(method, CPU_MISSING, seed)}'
                        for seed in seeds if seed not in rows[-1]['seeds']]
    return dict(rows=rows, missing=missing), failed


def markdown(table: Dict, with_paper: bool = True) -> str:
    """Table 1's layout in markdown (percent), the paper's numbers in brackets, then the missing runs."""
    head = ' | '.join(f'{task} {name}' for task, name, _ in TABLE1_COLUMNS)
    lines = [f'| material | method | seeds | {head} |', '|' + ' --- |' * (3 + len(TABLE1_COLUMNS))]
    for row in table['rows']:
        cells = []
        for i, (_, _, key) in enumerate(TABLE1_COLUMNS):
            cell = format_cell(row['columns'][key])
            if with_paper and row['paper']:
                cell += f' ({row["paper"][i]:.1f})'
            cells.append(cell)
        seeds = ','.join(str(s) for s in row['seeds']) or '—'
        label = METHODS[row['method']].label if row['method'] in METHODS else None
        lines.append(f'| {MATERIAL_NAMES.get(row["material"], row["material"])} | '
                     f'{label or row["method"]} | {seeds} | {" | ".join(cells)} |')
    if with_paper:
        lines += ['', 'In brackets: the paper\'s Table 1 (its own runs; not measured here).']
    if table['missing']:
        lines += ['', f'Missing runs ({len(table["missing"])}):'] + [f'- {m}' for m in table['missing']]
    return '\n'.join(lines)


def train_missing(config_root: str, tools: str, root: str, materials: Sequence[str], methods: Sequence[str],
                  seeds: Sequence[int], gpus: int = 1, data_root_pattern: Optional[str] = None,
                  log: Callable[[str], None] = print) -> List[str]:
    """Train every paper-scale run of the matrix that has not finished (an interrupted one resumes).

    Args:
        data_root_pattern: Dataset of each material, e.g. ``data/{material}``; None keeps the configs'.

    Returns:
        The runs whose training failed, as ``material / method / seed k``.
    """
    failed = []
    for material in materials:
        for method in methods:
            config = paper_config(config_root, method, material)
            for seed in seeds:
                work = run_dir(root, material, method, seed)
                if finished(work, max_iters(config)):
                    continue
                options = ['--resume'] if osp.isfile(osp.join(work, 'last_checkpoint')) else []
                if data_root_pattern:
                    options += ['--data-root', data_root_pattern.format(material=material)]
                options += ['--cfg-options', f'randomness.seed={seed}']
                log(f'[table1] training {material} / {method} / seed {seed} in {work}')
                if train(tools, config, work, options, gpus) != 0:
                    failed.append(f'{material} / {method} / seed {seed}')
    return failed
