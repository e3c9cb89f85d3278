"""The paper's Table 1: bbox and segm AP50 / AP75 / AP per material and method, from training runs.

Runs live in ``<root>/<material>/<method>/seed<k>/`` (tools/table1.py trains the missing ones). Cells
with several finished seeds show mean ± std; cells without a finished run are listed, never filled in.

Two scales (:data:`SCALES`): ``paper``, the paper's R101 configs on each material's real data (GPUs), and
``cpu``, the same methods with the CPU-sized R18 configs on a synthetic set per material whose training
annotations miss 30 % of the flakes (generated when absent), so that the whole matrix runs on a laptop.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

from .runs import (
    COCO_COLUMNS,
    REPO,
    finished,
    format_cell,
    last_metrics,
    mean_std,
    parse_options,
    side_by_side,
    threads_per_job,
    train,
)

MATERIALS = ('graphene', 'hbn', 'mos2', 'wte2')
MATERIAL_NAMES = dict(graphene='Graphene', hbn='hBN', mos2='MoS2', wte2='WTe2')
METHODS = {
    'baseline': 'configs/baseline/mask-rcnn_r101_fpn_10k_{material}.py',
    'ohem': 'configs/ohem/mask-rcnn_r101_fpn_ohem_10k_{material}.py',
    'brl': 'configs/brl/mask-rcnn_r101_fpn_brl_10k_{material}.py',
    'sasl-t0.6': 'configs/sasl/mask-rcnn_r101_fpn_sasl-t0.6_10k_{material}.py',
    'sasl-t0.8': 'configs/sasl/mask-rcnn_r101_fpn_sasl-t0.8_10k_{material}.py',
    'sasl-t0.9': 'configs/sasl/mask-rcnn_r101_fpn_sasl-t0.9_10k_{material}.py',
}
CPU_METHODS = {
    'baseline': 'configs/synthetic/mask-rcnn_r18_fpn_250i_synthetic.py',
    'ohem': 'configs/synthetic/mask-rcnn_r18_fpn_ohem_250i_synthetic.py',
    'brl': 'configs/synthetic/mask-rcnn_r18_fpn_brl_250i_synthetic.py',
    'sasl-t0.6': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-paper-t0.6_250i_synthetic.py',
    'sasl-t0.8': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-paper-t0.8_250i_synthetic.py',
    'sasl-t0.9': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-paper-t0.9_250i_synthetic.py',
}
METHOD_NAMES = {'baseline': 'Baseline', 'ohem': 'OHEM', 'brl': 'BRL', 'sasl-t0.6': 'SASL (t = 0.6)',
                'sasl-t0.8': 'SASL (t = 0.8)', 'sasl-t0.9': 'SASL (t = 0.9)'}
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


@dataclass(frozen=True)
class Scale:
    """Where one scale of the reproduction takes its configs and data, and where its runs go.

    Args:
        configs: The config of each method, ``{material}`` standing for the material where there is one.
        work_root: Runs go to ``<work_root>/<material>/<method>/seed<k>``.
        data_root_pattern: Each material's dataset (``{material}`` in it), or None for the configs' own.
        train_ann: Training annotations, relative to the data root, or None for the configs' own.
        synthetic: Generate each material's synthetic set and ``train_ann`` when they are not there.
        paper: Whether the paper's numbers (its data, its scale) belong next to the measured ones.
    """
    configs: Dict[str, str]
    work_root: str
    data_root_pattern: Optional[str] = None
    train_ann: Optional[str] = None
    synthetic: bool = False
    paper: bool = True


SCALES = {
    'paper': Scale(METHODS, 'work_dirs/table1'),
    'cpu': Scale(CPU_METHODS, 'work_dirs/table1_cpu', 'data/table1_cpu/{material}',
                 'annotations/instances_train2019_missing30.json', synthetic=True, paper=False),
}
# The CPU scale's synthetic sets: as the missing-annotation study's, one per material, 30 % of the training
# flakes removed by the annotator-like policy (kept as ignored: SASL-RPN logs its soft labels on them).
CPU_DATA = dict(train=64, val=16, image_size=(256, 256), fraction=0.3, policy='annotator', seed=0)


def config_path(method: str, material: str, scale: Scale = SCALES['paper']) -> str:
    return osp.join(REPO, scale.configs[method].format(material=material))


def run_dir(root: str, material: str, method: str, seed: int) -> str:
    return osp.join(root, material, method, f'seed{seed}')


def max_iters(config: str, options: Optional[dict] = None) -> int:
    from qmat.engine import load_config
    return int(load_config(config, options).train_cfg.max_iters)


def prepare_synthetic(data_root: str, material: str, scale: Scale) -> None:
    """Generate ``material``'s synthetic set under ``data_root`` and its training annotations with flakes
    removed (:data:`CPU_DATA`), unless they are already there."""
    from qmat.datasets import SceneConfig, generate_dataset
    from qmat.datasets.missing import write_dropped

    complete = osp.join(data_root, 'annotations', 'instances_train2019.json')
    if not osp.isfile(complete):
        generate_dataset(data_root, dict(train=CPU_DATA['train'], val=CPU_DATA['val']),
                         SceneConfig(material=material, image_size=CPU_DATA['image_size']), seed=0,
                         workers=os.cpu_count() or 1)
    target = osp.join(data_root, scale.train_ann)
    if not osp.isfile(target):
        write_dropped(complete, target, CPU_DATA['fraction'], CPU_DATA['policy'], CPU_DATA['seed'],
                      keep_as_ignored=True)


def collect(root: str, materials: Sequence[str] = MATERIALS, methods: Sequence[str] = tuple(METHODS),
            seeds: Sequence[int] = (0,), scale: Scale = SCALES['paper'],
            options: Optional[dict] = None) -> Dict:
    """Metrics of every finished run under ``root`` (finished: at the final iteration of ``scale``'s config
    with ``options``, mmengine ``--cfg-options`` as a dict).

    Returns:
        ``dict(rows=[...], missing=[...])``: one row per (material, method) with ``seeds`` (those finished)
        and per column ``mean``/``std``/``n`` (fractions, as mmdet logs them), plus the paper's numbers;
        ``missing`` names each (material, method, seed) without a finished run.
    """
    rows, missing = [], []
    for material in materials:
        for method in methods:
            iters = max_iters(config_path(method, material, scale), options)
            values: Dict[str, List[float]] = {key: [] for _, _, key in COCO_COLUMNS}
            done = []
            for seed in seeds:
                work = run_dir(root, material, method, seed)
                metrics = last_metrics(work) if finished(work, iters) else None
                if metrics is None:
                    missing.append(f'{material} / {method} / seed {seed}: {work}')
                    continue
                done.append(seed)
                for _, _, key in COCO_COLUMNS:
                    values[key].append(float(metrics[key]))
            columns = {key: mean_std(v) if v else None for key, v in values.items()}
            rows.append(dict(material=material, method=method, seeds=done, columns=columns,
                             paper=PAPER.get((material, method))))
    return dict(rows=rows, missing=missing)


def markdown(table: Dict, with_paper: bool = True) -> str:
    """Table 1's layout in markdown (percent), the paper's numbers in brackets, then the missing runs."""
    head = ' | '.join(f'{task} {name}' for task, name, _ in COCO_COLUMNS)
    lines = [f'| material | method | seeds | {head} |', '|' + ' --- |' * (3 + len(COCO_COLUMNS))]
    for row in table['rows']:
        cells = []
        for i, (_, _, key) in enumerate(COCO_COLUMNS):
            cell = format_cell(row['columns'][key])
            if with_paper and row['paper']:
                cell += f' ({row["paper"][i]:.1f})'
            cells.append(cell)
        seeds = ','.join(str(s) for s in row['seeds']) or '—'
        lines.append(f'| {MATERIAL_NAMES.get(row["material"], row["material"])} | '
                     f'{METHOD_NAMES.get(row["method"], row["method"])} | {seeds} | {" | ".join(cells)} |')
    if with_paper:
        lines += ['', 'In brackets: the paper\'s Table 1 (its own runs; not measured here).']
    if table['missing']:
        lines += ['', f'Missing runs ({len(table["missing"])}):'] + [f'- {m}' for m in table['missing']]
    return '\n'.join(lines)


def train_missing(root: str, materials: Sequence[str], methods: Sequence[str], seeds: Sequence[int],
                  gpus: int = 1, data_root_pattern: Optional[str] = None,
                  log: Callable[[str], None] = print, scale: Scale = SCALES['paper'], jobs: int = 1,
                  cfg_options: Sequence[str] = ()) -> List[str]:
    """Train every run of the matrix that has not finished (an interrupted one resumes).

    Args:
        data_root_pattern: Dataset of each material, e.g. ``data/{material}``; None takes ``scale``'s.
        scale: Configs and data (:data:`SCALES`); a synthetic scale generates each material's set first.
        jobs: Runs trained side by side, the CPU cores shared among them (CPU runs; one GPU run at a time).
        cfg_options: Extra ``key=value`` options for every training.

    Returns:
        The runs whose training failed, as ``material / method / seed k``.
    """
    pattern = data_root_pattern or scale.data_root_pattern
    threads = threads_per_job(jobs)
    failed, tasks = [], []

    def run(config: str, work: str, options: List[str], name: str) -> None:
        log(f'[table1] training {name} in {work}')
        if train(config, work, options, gpus, threads=threads) != 0:
            failed.append(name)

    for material in materials:
        if scale.synthetic:
            prepare_synthetic(pattern.format(material=material), material, scale)
        for method in methods:
            config = config_path(method, material, scale)
            for seed in seeds:
                work = run_dir(root, material, method, seed)
                extra = [f'randomness.seed={seed}', *cfg_options]
                if scale.train_ann:
                    extra.insert(0, f'train_dataloader.dataset.ann_file={scale.train_ann}')
                if finished(work, max_iters(config, parse_options(extra))):
                    continue
                options = ['--resume'] if osp.isfile(osp.join(work, 'last_checkpoint')) else []
                if pattern:
                    options += ['--data-root', pattern.format(material=material)]
                tasks.append(lambda args=(config, work, [*options, '--cfg-options', *extra],
                                          f'{material} / {method} / seed {seed}'): run(*args))
    side_by_side(tasks, jobs)
    return failed
