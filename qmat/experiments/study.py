"""The missing-annotation study: what each method loses when training annotations go missing.

:class:`Study` names the matrix (methods x missing fractions x seeds) and where its configs, data, runs and
records live; :func:`run_study` generates what is missing, trains each run as a user would and evaluates
it once, leaving a record (:mod:`.records`). :mod:`.report` turns the records into tables, :mod:`.plot`
into the figure.

Per finished run it measures, on top of the COCO AP that training logged on the complete validation set,
the RPN's proposal recall on validation (:class:`~qmat.evaluation.ProposalRecallMetric`) and the share of
the removed training flakes that the model finds (:class:`~qmat.evaluation.RecoveredFlakesMetric`).
"""
import os
import os.path as osp
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.evaluator import BaseMetric
from mmengine.runner import Runner, load_checkpoint

from qmat.datasets import SceneConfig, generate_dataset
from qmat.datasets.missing import removal_record_path, write_dropped
from qmat.datasets.synthetic.presets import PRESETS
from qmat.engine import load_config, set_data_root
from qmat.engine.checkpoint import check_checkpoint_fits
from qmat.evaluation import ProposalRecallMetric, RecoveredFlakesMetric
from qmat.utils import UserInputError, nan_to_none

from .columns import RULE_LOG_PREFIXES
from .methods import STUDY_METHODS, in_matrix
from .records import fingerprint, provenance, read_record, write_record
from .runs import (
    finished,
    last_metrics,
    log_means,
    parse_options,
    seconds_per_iter,
    side_by_side,
    threads_per_job,
    train,
)


def train_file(fraction: float, seed: int) -> str:
    """The training annotations of one cell, relative to the data root."""
    return f'annotations/instances_train2019_missing{round(100 * fraction):02d}_seed{seed}.json'


def cell_name(fraction: float, seed: int) -> str:
    return f'missing{round(100 * fraction):02d}_seed{seed}'


@dataclass
class Study:
    """The study's matrix and places.

    Args:
        data: Synthetic set (generated when absent: ``train`` + ``val`` images of 256 x 256, or of
            ``preset``).
        work_root: Runs go to ``<work_root>/<method>/missing<pct>/seed<k>``.
        results: Where each finished run's record goes (``<method>_missing<pct>_seed<k>.json``).
        methods, fractions, seeds: The matrix.
        policy: The drop policy (:data:`qmat.datasets.missing.POLICIES`).
        train, val: Images of the synthetic set.
        cfg_options: Extra ``key=value`` options for every training.
        material: What the synthetic set's flakes are made of.
        preset: A scene preset (:data:`qmat.datasets.synthetic.presets.PRESETS`, e.g. ``paper-graphene``) to
            generate the set from instead of 256 x 256 scenes of ``material``.
        configs: The config of each method, relative to ``config_root`` (as the records name it).
        config_root: The folder the configs are relative to: a qmat checkout.
        tools: The folder of ``train.py``, which trains each run.
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
    preset: Optional[str] = None
    configs: Dict[str, str] = field(default_factory=lambda: dict(STUDY_METHODS))
    config_root: str = '.'
    tools: str = 'tools'

    def __post_init__(self):
        if self.preset is not None:
            if self.preset not in PRESETS:
                raise UserInputError(f'preset must be one of {sorted(PRESETS)}, got {self.preset!r}')
            self.material = PRESETS[self.preset].material

    def run_dir(self, method: str, fraction: float, seed: int) -> str:
        return osp.join(self.work_root, method, f'missing{round(100 * fraction):02d}', f'seed{seed}')

    def record_path(self, method: str, fraction: float, seed: int) -> str:
        return osp.join(self.results, f'{method}_{cell_name(fraction, seed)}.json')

    def config(self, method: str) -> str:
        return osp.join(self.config_root, self.configs[method])

    def cells(self) -> List[Tuple[str, float, int]]:
        """The matrix seed by seed, so that a study stopped early has every method for its first seeds."""
        return [(method, fraction, seed) for seed in self.seeds for fraction in self.fractions
                for method in self.methods if in_matrix(method, fraction)]

    def fingerprint(self, config: str, options: dict) -> str:
        """Hash of the resolved config (with ``options``) and of the data's size and drop policy."""
        data = dict(train=self.train, val=self.val, policy=self.policy)
        if self.material != 'graphene':  # left out for graphene, so that the records made before stay valid
            data['material'] = self.material
        if self.preset:
            data['preset'] = self.preset
        return fingerprint(config, options, data)


def prepare_data(study: Study) -> None:
    """Generate the synthetic set and write each (fraction, seed) training file, unless already there."""
    complete = osp.join(study.data, 'annotations', 'instances_train2019.json')
    if not osp.isfile(complete):
        scene = (PRESETS[study.preset] if study.preset else
                 SceneConfig(material=study.material, image_size=(256, 256)))
        generate_dataset(study.data, {'train': study.train, 'val': study.val}, scene, seed=0,
                         workers=os.cpu_count() or 1)
    for fraction in study.fractions:
        for seed in study.seeds:
            target = osp.join(study.data, train_file(fraction, seed))
            if not osp.isfile(target):
                write_dropped(complete, target, fraction, study.policy, seed, keep_as_ignored=True)


def _evaluate(metric: BaseMetric, samples) -> Dict[str, float]:
    for batch, outputs in samples:
        metric.process(batch, [sample.to_dict() for sample in outputs])
    return metric.compute_metrics(metric.results)


@torch.no_grad()
def rpn_outputs(model: torch.nn.Module, batch: dict) -> list:
    """The batch's data samples with the RPN's proposals (original image coordinates) as ``proposals``."""
    data = model.data_preprocessor(batch, False)
    samples = data['data_samples']
    for sample, proposals in zip(samples, model.rpn_head.predict(model.extract_feat(data['inputs']), samples,
                                                                 rescale=True)):
        sample.proposals = proposals
    return samples


def evaluate_run(config: str, checkpoint: str, data_root: str, removal_record: str) -> Dict[str, float]:
    """AR@100, AR@1000 on validation and the recovered share of the removed training flakes."""
    register_all_modules()
    cfg = load_config(config)
    set_data_root(cfg, data_root)
    model = MODELS.build(cfg.model)
    check_checkpoint_fits(model, checkpoint)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    val = Runner.build_dataloader(cfg.val_dataloader)
    metrics = _evaluate(ProposalRecallMetric(), ((b, rpn_outputs(model, b)) for b in val))
    train_images = cfg.val_dataloader.copy()  # the test pipeline over the (complete) training images
    train_images.dataset = dict(cfg.val_dataloader.dataset, ann_file='annotations/instances_train2019.json',
                                data_prefix=dict(img='train2019/'))
    with torch.no_grad():
        metrics.update(_evaluate(RecoveredFlakesMetric(removed_file=removal_record),
                                 ((b, model.test_step(b)) for b in Runner.build_dataloader(train_images))))
    return metrics


def run_study(study: Study, train_missing: bool = True, log: Callable[[str], None] = print,
              jobs: int = 1) -> Tuple[List[dict], List[str]]:
    """Train (unless ``train_missing`` is False) and evaluate every run without a current record.

    ``jobs`` runs train side by side, the CPU cores shared among them (:func:`~.runs.side_by_side`);
    evaluations run one at a time in this process.

    Returns:
        (the records of the finished runs, in the matrix's order; the work dirs whose training failed).
    """
    prepare_data(study)
    options = parse_options(study.cfg_options)
    max_iters = {method: int(load_config(study.config(method), options).train_cfg.max_iters)
                 for method in study.methods}
    threads = threads_per_job(jobs)
    records: Dict[tuple, dict] = {}
    pending, failed = [], []
    for method, fraction, seed in study.cells():
        extra = [f'train_dataloader.dataset.ann_file={train_file(fraction, seed)}', f'randomness.seed={seed}',
                 *study.cfg_options]
        stamp = study.fingerprint(study.config(method), parse_options(extra))
        record = read_record(study.record_path(method, fraction, seed))
        if record is not None and record.get('fingerprint') == stamp:
            records[method, fraction, seed] = record
            continue
        if record is not None:
            log(f'[study] {study.record_path(method, fraction, seed)} was made with another config or data: '
                'run again')
        pending.append((method, fraction, seed, extra, stamp))
    evaluating, printing = threading.Lock(), threading.Lock()

    def say(line: str) -> None:  # whole lines from the jobs' threads
        with printing:
            log(line)

    def complete(method: str, fraction: float, seed: int, extra: List[str], stamp: str) -> None:
        work, ann = study.run_dir(method, fraction, seed), train_file(fraction, seed)
        if not finished(work, max_iters[method]) and train_missing:
            say(f'[study] training {method}, {fraction:.0%} missing, seed {seed}: {work}')
            resume = ['--resume'] if osp.isfile(osp.join(work, 'last_checkpoint')) else []
            if train(study.tools, study.config(method), work,
                     [*resume, '--data-root', study.data, '--cfg-options', *extra], threads=threads):
                failed.append(work)
                return
        if not finished(work, max_iters[method]):
            return
        with evaluating:
            say(f'[study] evaluating {work}')
            metrics = dict(last_metrics(work) or {})
            checkpoint = osp.join(work, f'iter_{max_iters[method]}.pth')
            metrics.update(evaluate_run(study.config(method), checkpoint, study.data,
                                        removal_record_path(osp.join(study.data, ann))))
            # what the rules did in training: SASL's soft labels, BRL's recalibrated anchors
            metrics.update({f'train/{k}': v for k, v in log_means(work, RULE_LOG_PREFIXES).items()})
            # what the run cost: mmengine's seconds per iteration, averaged over the logged iterations
            metrics['train/seconds_per_iter'] = seconds_per_iter(work)
            # 'recovered' has no value (NaN, not JSON) where nothing was removed
            record = dict(method=method, material=study.material, fraction=fraction, seed=seed,
                          metrics=nan_to_none(metrics), fingerprint=stamp, config=study.configs[method],
                          options=extra, threads=threads or torch.get_num_threads(),
                          **provenance(study.config_root))
            write_record(study.record_path(method, fraction, seed), record)
            records[method, fraction, seed] = record

    if threads:
        torch.set_num_threads(threads)
    # an evaluation's error stops the study
    side_by_side([lambda cell=cell: complete(*cell) for cell in pending], jobs)
    return [records[cell] for cell in study.cells() if cell in records], failed

