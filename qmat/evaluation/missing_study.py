"""The missing-annotation study on synthetic data: what each method loses when annotations go missing.

:class:`Study` names the matrix (methods x missing fractions x seeds) and where its data and runs live;
:func:`run_study` generates what is missing, trains and evaluates each run once (each finished run is kept
as a small JSON record, see below), and :func:`summarize`, :func:`report`, :func:`recovery` (the share of
the baseline's AP loss each method wins back: the issue's goal), :func:`plot` and
:func:`~.runs.write_docs_section` turn the records into the tables, the figure and the docs section that
tools/missing_study.py writes.

Per finished run it measures, on top of the COCO AP that training logged on the complete validation set:

* RPN proposal recall on validation: AR@100 and AR@1000, recall averaged over IoU 0.5:0.95, proposals and
  annotations matched one to one, greedily by IoU (as mmdet's ``eval_recalls``, which fails on numpy 2);
* "recovered": the share of the removed training flakes (known from ``*.removed.json``) that the trained
  model detects, i.e. a prediction with score >= 0.5 whose box has IoU >= 0.5 with the flake.

Each finished run leaves a record, ``<results>/<method>_missing<pct>_seed<k>.json``: its metrics, a
fingerprint of what was trained (the resolved config with the run's options, and the synthetic set's size
and drop policy), the commit and the machine. The records, not the work dirs (checkpoints of tens of MB),
are what the study is made of: they are committed under docs/, so that the study goes on from where it
stopped on another machine, and a record whose fingerprint no longer matches its config is run again.
"""
import hashlib
import json
import os
import os.path as osp
import platform
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps

RECALL_IOUS = np.arange(0.5, 0.951, 0.05)


@torch.no_grad()
def proposal_recall(model: torch.nn.Module, batches: Iterable[dict],
                    proposal_nums: Sequence[int] = (100, 1000)) -> Dict[str, float]:
    """AR@N of the RPN's proposals (original image coordinates) against the batches' annotations."""
    gts, proposals = [], []
    for batch in batches:
        data = model.data_preprocessor(batch, False)
        samples = data['data_samples']
        results = model.rpn_head.predict(model.extract_feat(data['inputs']), samples, rescale=True)
        for sample, result in zip(samples, results):
            gts.append(sample.gt_instances.bboxes.cpu().numpy().reshape(-1, 4))
            proposals.append(np.hstack([result.bboxes.cpu().numpy(), result.scores.cpu().numpy()[:, None]]))
    return {f'AR@{n}': average_recall(gts, proposals, n) for n in proposal_nums}


def matched_ious(ious: np.ndarray) -> np.ndarray:
    """IoU at which each annotation (row) is covered when proposals (columns) are matched one to one:
    repeatedly the best remaining pair, until annotations or proposals run out (0 for the unmatched)."""
    ious = ious.copy()
    best = np.zeros(ious.shape[0])
    for _ in range(min(ious.shape)):
        row, col = np.unravel_index(np.argmax(ious), ious.shape)
        if ious[row, col] < 0:
            break
        best[row] = ious[row, col]
        ious[row, :], ious[:, col] = -1, -1
    return best


def average_recall(gts: List[np.ndarray], proposals: List[np.ndarray], num: int,
                   iou_thrs: np.ndarray = RECALL_IOUS) -> float:
    """Recall of the top ``num`` proposals (by score, the fifth column) averaged over ``iou_thrs``."""
    covered = []
    for gt, prop in zip(gts, proposals):
        if len(gt) == 0:
            continue
        top = prop[np.argsort(-prop[:, 4], kind='stable')[:num], :4] if len(prop) else np.zeros((0, 4))
        ious = bbox_overlaps(torch.from_numpy(gt).float(), torch.from_numpy(top).float()).numpy()
        covered.append(matched_ious(ious) if ious.size else np.zeros(len(gt)))
    if not covered:
        return float('nan')
    covered = np.concatenate(covered)
    return float(np.mean([(covered >= t).mean() for t in iou_thrs]))


def xywh_to_xyxy(boxes: Sequence[Sequence[float]]) -> torch.Tensor:
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return torch.cat([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], dim=1)


@torch.no_grad()
def recovered_share(model: torch.nn.Module, batches: Iterable[dict], removed: List[dict],
                    score_thr: float = 0.5, iou_thr: float = 0.5) -> Dict[str, float]:
    """Share of ``removed`` annotations (COCO dicts with ``image_id`` and xywh ``bbox``) that the model finds.

    ``batches`` must cover the training images (test pipeline); predictions are in image coordinates.
    """
    by_image: Dict[int, List[List[float]]] = {}
    for ann in removed:
        by_image.setdefault(int(ann['image_id']), []).append(ann['bbox'])
    found = 0
    for batch in batches:
        for result in model.test_step(batch):
            targets = by_image.get(int(result.metainfo['img_id']))
            if not targets:
                continue
            predictions = result.pred_instances
            boxes = predictions.bboxes[predictions.scores >= score_thr].cpu().float()
            if len(boxes):
                found += int((bbox_overlaps(xywh_to_xyxy(targets), boxes).max(dim=1).values >= iou_thr).sum())
    return dict(recovered=found / len(removed) if removed else float('nan'), removed=len(removed))


def read_removed(record_path: str) -> List[dict]:
    """The removed annotations of a ``tools/drop_annotations.py`` record."""
    with open(record_path, encoding='utf-8') as f:
        return json.load(f)['removed']


STUDY_METHODS = {
    'baseline': 'configs/synthetic/mask-rcnn_r18_fpn_250i_synthetic.py',
    'ohem': 'configs/synthetic/mask-rcnn_r18_fpn_ohem_250i_synthetic.py',
    'brl': 'configs/synthetic/mask-rcnn_r18_fpn_brl_250i_synthetic.py',
    'brl-focal': 'configs/synthetic/mask-rcnn_r18_fpn_brl-focal_250i_synthetic.py',
    'sasl-head': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-head_250i_synthetic.py',
    'sasl-t0.6': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-t0.6_250i_synthetic.py',
    'sasl-t0.8': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py',
    'sasl-t0.9': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-t0.9_250i_synthetic.py',
    'sasl-dot-t0.6': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-dot-t0.6_250i_synthetic.py',
    'sasl-dot-t0.8': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-dot-t0.8_250i_synthetic.py',
    'sasl-scaled-t0.6': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-scaled-t0.6_250i_synthetic.py',
    'sasl-scaled-t0.8': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-scaled-t0.8_250i_synthetic.py',
    'sasl-qmat-t0.8': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-qmat-t0.8_250i_synthetic.py',
    'oracle-rpn': 'configs/synthetic/mask-rcnn_r18_fpn_oracle-rpn_250i_synthetic.py',
    'oracle-rpn-pos': 'configs/synthetic/mask-rcnn_r18_fpn_oracle-rpn-pos_250i_synthetic.py',
    'oracle-rcnn': 'configs/synthetic/mask-rcnn_r18_fpn_oracle-rcnn_250i_synthetic.py',
}
# Diagnostics that know the removed flakes (one stage ignores them, or the RPN learns them as positives):
# bounds, not methods. With nothing removed they are the baseline, so they are not run at 0 %.
ORACLES = ('oracle-rpn', 'oracle-rpn-pos', 'oracle-rcnn')


# training-log scalars kept in the records (means over the logged iterations), see :func:`rule_report`
RULE_LOGS = ('sasl_', 'brl_')


def in_matrix(method: str, fraction: float) -> bool:
    return not (method in ORACLES and fraction == 0)
STUDY_COLUMNS = (('bbox AP', 'coco/bbox_mAP'), ('bbox AP50', 'coco/bbox_mAP_50'),
                 ('bbox AP75', 'coco/bbox_mAP_75'), ('segm AP', 'coco/segm_mAP'),
                 ('segm AP50', 'coco/segm_mAP_50'), ('segm AP75', 'coco/segm_mAP_75'),
                 ('AR@100', 'AR@100'), ('AR@1000', 'AR@1000'), ('recovered', 'recovered'))


def train_file(fraction: float, seed: int) -> str:
    """The training annotations of one cell, relative to the data root."""
    return f'annotations/instances_train2019_missing{round(100 * fraction):02d}_seed{seed}.json'


def evaluate_run(config: str, checkpoint: str, data_root: str, record: str) -> Dict[str, float]:
    """AR@100, AR@1000 on validation and the recovered share of the removed training flakes."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.runner import Runner, load_checkpoint

    from qmat.engine import load_config, set_data_root

    register_all_modules()
    cfg = load_config(config)
    set_data_root(cfg, data_root)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    metrics = proposal_recall(model, Runner.build_dataloader(cfg.val_dataloader))
    train_images = cfg.val_dataloader.copy()  # the test pipeline over the (complete) training images
    train_images.dataset = dict(cfg.val_dataloader.dataset, ann_file='annotations/instances_train2019.json',
                                data_prefix=dict(img='train2019/'))
    metrics.update(recovered_share(model, Runner.build_dataloader(train_images), read_removed(record)))
    return metrics


@dataclass
class Study:
    """The study's matrix and places.

    Args:
        data: Synthetic set (generated when absent: ``train`` + ``val`` images of 256 x 256).
        work_root: Runs go to ``<work_root>/<method>/missing<pct>/seed<k>``.
        results: Where each finished run's record goes (``<method>_missing<pct>_seed<k>.json``).
        methods, fractions, seeds: The matrix.
        policy: The drop policy (:data:`qmat.datasets.missing.POLICIES`).
        cfg_options: Extra ``key=value`` options for every training.
        material: What the synthetic set's flakes are made of.
        configs: The config of each method (relative to the repository).
    """
    data: str = 'data/study'
    work_root: str = 'work_dirs/study'
    results: str = 'docs/missing_study'
    methods: Sequence[str] = tuple(STUDY_METHODS)
    fractions: Sequence[float] = (0.0, 0.3, 0.5)
    seeds: Sequence[int] = (0, 1, 2)
    policy: str = 'annotator'
    train: int = 64
    val: int = 16
    cfg_options: Sequence[str] = field(default_factory=list)
    material: str = 'graphene'
    configs: Dict[str, str] = field(default_factory=lambda: dict(STUDY_METHODS))

    def run_dir(self, method: str, fraction: float, seed: int) -> str:
        return osp.join(self.work_root, method, f'missing{round(100 * fraction):02d}', f'seed{seed}')

    def record_path(self, method: str, fraction: float, seed: int) -> str:
        return osp.join(self.results, f'{method}_missing{round(100 * fraction):02d}_seed{seed}.json')

    def fingerprint(self, config: str, options: dict) -> str:
        """Hash of the resolved config (with ``options``) and of the data's size and drop policy."""
        from qmat.engine import load_config
        resolved = load_config(config, options).to_dict()
        data = dict(train=self.train, val=self.val, policy=self.policy)
        if self.material != 'graphene':  # left out for graphene, so that the records made before stay valid
            data['material'] = self.material
        text = json.dumps(dict(config=resolved, data=data), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_record(path: str) -> Optional[dict]:
    """A run's record, or None when there is none (or it cannot be read: it is then made again)."""
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (OSError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) and 'metrics' in record else None


def write_record(path: str, record: dict) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write('\n')
    os.replace(path + '.tmp', path)


def provenance() -> dict:
    """Where and with what a run was made: commit, machine, torch, date."""
    from .runs import REPO
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return dict(commit=commit, machine=f'{platform.machine()}, {os.cpu_count()} CPU cores',
                torch=torch.__version__, date=time.strftime('%Y-%m-%d'))


def prepare_data(study: Study) -> None:
    """Generate the synthetic set and write each (fraction, seed) training file, unless already there."""
    from qmat.datasets import SceneConfig, generate_dataset
    from qmat.datasets.missing import write_dropped

    complete = osp.join(study.data, 'annotations', 'instances_train2019.json')
    if not osp.isfile(complete):
        generate_dataset(study.data, {'train': study.train, 'val': study.val},
                         SceneConfig(material=study.material, image_size=(256, 256)), seed=0,
                         workers=os.cpu_count() or 1)
    for fraction in study.fractions:
        for seed in study.seeds:
            target = osp.join(study.data, train_file(fraction, seed))
            if not osp.isfile(target):
                write_dropped(complete, target, fraction, study.policy, seed, keep_as_ignored=True)


def run_study(study: Study, train_missing: bool = True, log: Callable[[str], None] = print,
              jobs: int = 1) -> Tuple[List[dict], List[str]]:
    """Train (unless ``train_missing`` is False) and evaluate every run without a current record, seed by
    seed, so that a study stopped early has every method and fraction for its first seeds.

    ``jobs`` runs train side by side, the CPU cores shared among them (:func:`~.runs.side_by_side`);
    evaluations run one at a time in this process.

    Returns:
        (the records of the finished runs, in the matrix's order; the work dirs whose training failed).
    """
    from qmat.datasets.missing import removal_record_path
    from qmat.engine import load_config

    from .runs import (
        REPO,
        finished,
        last_metrics,
        log_means,
        parse_options,
        side_by_side,
        threads_per_job,
        train,
    )

    prepare_data(study)
    configs = {method: osp.join(REPO, study.configs[method]) for method in study.methods}
    options = parse_options(study.cfg_options)
    max_iters = {method: int(load_config(config, options).train_cfg.max_iters)
                 for method, config in configs.items()}
    threads = threads_per_job(jobs)
    cells = [(method, fraction, seed) for seed in study.seeds for fraction in study.fractions
             for method in study.methods if in_matrix(method, fraction)]
    records: Dict[tuple, dict] = {}
    pending, failed = [], []
    for method, fraction, seed in cells:
        extra = [f'train_dataloader.dataset.ann_file={train_file(fraction, seed)}', f'randomness.seed={seed}',
                 *study.cfg_options]
        fingerprint = study.fingerprint(configs[method], parse_options(extra))
        record = read_record(study.record_path(method, fraction, seed))
        if record is not None and record.get('fingerprint') == fingerprint:
            records[method, fraction, seed] = record
            continue
        if record is not None:
            log(f'[study] {study.record_path(method, fraction, seed)} was made with another config or data: '
                'run again')
        pending.append((method, fraction, seed, extra, fingerprint))
    evaluating, printing = threading.Lock(), threading.Lock()

    def say(line: str) -> None:  # whole lines from the jobs' threads
        with printing:
            log(line)

    def complete(method: str, fraction: float, seed: int, extra: List[str], fingerprint: str) -> None:
        work, ann = study.run_dir(method, fraction, seed), train_file(fraction, seed)
        if not finished(work, max_iters[method]) and train_missing:
            say(f'[study] training {method}, {fraction:.0%} missing, seed {seed}: {work}')
            resume = ['--resume'] if osp.isfile(osp.join(work, 'last_checkpoint')) else []
            if train(configs[method], work, [*resume, '--data-root', study.data, '--cfg-options', *extra],
                     threads=threads):
                failed.append(work)
                return
        if not finished(work, max_iters[method]):
            return
        with evaluating:
            say(f'[study] evaluating {work}')
            metrics = dict(last_metrics(work) or {})
            checkpoint = osp.join(work, f'iter_{max_iters[method]}.pth')
            metrics.update(evaluate_run(configs[method], checkpoint, study.data,
                                        removal_record_path(osp.join(study.data, ann))))
            # what the rules did in training: SASL's soft labels, BRL's recalibrated anchors
            metrics.update({f'train/{key}': value for key, value in log_means(work, RULE_LOGS).items()})
            # no NaN in the records (not JSON): 'recovered' has no value where nothing was removed
            metrics = {key: None if value != value else value for key, value in metrics.items()}
            record = dict(method=method, material=study.material, fraction=fraction, seed=seed,
                          metrics=metrics, fingerprint=fingerprint, config=study.configs[method],
                          options=extra, threads=threads or torch.get_num_threads(), **provenance())
            write_record(study.record_path(method, fraction, seed), record)
            records[method, fraction, seed] = record

    if threads:
        torch.set_num_threads(threads)
    # an evaluation's error stops the study
    side_by_side([lambda cell=cell: complete(*cell) for cell in pending], jobs)
    return [records[cell] for cell in cells if cell in records], failed


def summarize(results: List[dict], study: Study) -> List[dict]:
    """Mean ± std over seeds of every column, per method and fraction."""
    from .runs import mean_std

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
    from .runs import format_cell

    missing = sum(len(study.seeds) - len(row['seeds']) for row in summary)
    lines = [f'Synthetic set {study.data}: {study.train} training and {study.val} validation images of '
             f'256 x 256; training annotations removed by the `{study.policy}` policy; seeds '
             f'{list(study.seeds)}; {platform.machine()}, {os.cpu_count()} CPU cores. Percent, mean ± std '
             'over the finished seeds.'
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


GOAL_COLUMNS = (('bbox', 'coco/bbox_mAP'), ('segm', 'coco/segm_mAP'))


def recovery(results: List[dict], study: Study, reference: str = 'baseline') -> List[dict]:
    """How much of the reference's AP loss each method wins back, seed by seed (the issue's goal).

    For a missing fraction p and a seed s the reference loses ``ref(0) - ref(p)`` and a method gains
    ``method(p) - ref(p)``; both are averaged over the seeds that have all three runs, and the share
    recovered is the mean gain over the mean loss (None when the reference lost nothing).
    """
    from .runs import mean_std

    by_cell = {(r['method'], r['fraction'], r['seed']): r['metrics'] for r in results}
    rows = []
    for method in (m for m in study.methods if m != reference):
        for fraction in (f for f in study.fractions if f > 0):
            seeds = [s for s in study.seeds if all(cell in by_cell for cell in (
                (reference, 0.0, s), (reference, fraction, s), (method, fraction, s)))]
            if not seeds:
                continue
            columns = {}
            for _, key in GOAL_COLUMNS:
                loss = mean_std([by_cell[reference, 0.0, s][key] - by_cell[reference, fraction, s][key]
                                 for s in seeds])
                gain = mean_std([by_cell[method, fraction, s][key] - by_cell[reference, fraction, s][key]
                                 for s in seeds])
                share = gain['mean'] / loss['mean'] if loss['mean'] > 0 else None
                columns[key] = dict(loss=loss, gain=gain, share=share)
            rows.append(dict(method=method, fraction=fraction, seeds=seeds, columns=columns))
    return rows


def recovery_report(rows: List[dict], reference: str = 'baseline') -> str:
    """:func:`recovery` as a markdown table (loss and gain in AP points, mean ± std over the seeds)."""
    from .runs import format_cell

    header = ' | '.join(f'{task} AP: {reference} loses | gain over {reference} | share recovered'
                        for task, _ in GOAL_COLUMNS)
    lines = [f'Share of the {reference}\'s AP loss (its 0 % run minus its run at the fraction) that each '
             f'method wins back over the {reference} at that fraction, same seeds; AP points, mean ± std '
             'over the seeds; share = mean gain / mean loss. The goal for SASL: a share of at least 0.5 at '
             '50 %.', '',
             f'| method | missing | seeds | {header} |', '|' + ' --- |' * (3 + 3 * len(GOAL_COLUMNS))]
    for row in rows:
        cells = []
        for _, key in GOAL_COLUMNS:
            column = row['columns'][key]
            cells += [format_cell(column['loss']), format_cell(column['gain']),
                      '—' if column['share'] is None else f'{column["share"]:.2f}']
        lines.append(f'| {row["method"]} | {row["fraction"]:.0%} | {len(row["seeds"])} | '
                     + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _cell(value: Optional[float], digits: int = 1) -> str:
    return '—' if value is None else f'{value:.{digits}f}'


def rule_report(results: List[dict]) -> str:
    """What SASL's soft-label rule and BRL's recalibration did in each run's training (per batch of one
    iteration, means over the logged iterations): how many negatives got a soft label and, against the
    removed flakes (kept as ignored), the share of those on a removed flake (precision) and the share of
    the negatives on removed flakes that got one (recall); BRL's confusion anchors and those in the
    mirrored branch. Empty when no record has such logs."""
    lines = []
    for r in results:
        logs = {key[len('train/'):]: value for key, value in r['metrics'].items() if key.startswith('train/')}
        if not logs:
            continue
        soft, on_removed = logs.get('sasl_soft_labels'), logs.get('sasl_soft_on_removed')
        removed = logs.get('sasl_removed_negatives')
        precision = on_removed / soft if on_removed is not None and soft else None
        recall = on_removed / removed if on_removed is not None and removed else None
        lines.append(f'| {r["method"]} | {r["fraction"]:.0%} | {r["seed"]} | {_cell(soft)} | '
                     f'{_cell(precision, 3)} | {_cell(recall, 3)} | {_cell(logs.get("brl_confusion"), 0)} | '
                     f'{_cell(logs.get("brl_recalibrated"))} |')
    if not lines:
        return ''
    return '\n'.join([
        'What the rules did in training, per batch (one iteration), averaged over the logged iterations '
        "(mmengine logs these counts' value at the logging iteration, not a window mean): SASL's soft "
        "labels with their precision and recall against the removed flakes, BRL's confusion anchors and "
        'those it pushed up (the mirrored branch).', '',
        '| method | missing | seed | soft labels | precision | recall | confusion anchors | recalibrated |',
        '|' + ' --- |' * 8, *lines])


def plot(summary: List[dict], path: str) -> None:
    """bbox and segm AP against the missing fraction, one line per method (error bars: std over seeds;
    dashed: a single seed), the legend beside the two panels."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    methods = list(dict.fromkeys(row['method'] for row in summary))
    colours = plt.get_cmap('tab20').colors
    for axis, (title, key) in zip(axes, (('bbox AP', 'coco/bbox_mAP'), ('segm AP', 'coco/segm_mAP'))):
        for i, method in enumerate(methods):
            rows = [r for r in summary if r['method'] == method and r['columns'][key]]
            if rows:
                single = all(r['columns'][key]['n'] < 2 for r in rows)
                axis.errorbar([100 * r['fraction'] for r in rows],
                              [100 * r['columns'][key]['mean'] for r in rows],
                              yerr=[100 * r['columns'][key]['std'] for r in rows], marker='o', capsize=3,
                              color=colours[i % len(colours)], linestyle='--' if single else '-',
                              label=method + (' (1 seed)' if single else ''))
        axis.set(title=title, xlabel='training annotations missing (%)', ylabel='AP (%)')
        axis.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc='center right', fontsize='small')
    figure.tight_layout(rect=(0, 0, 0.8, 1))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
