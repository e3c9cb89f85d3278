"""The few-shot curve on real micrographs: a lab's k annotated images, fine-tuned from qmat's synthetic
pretraining or trained from scratch at the same cost, and the pretrained model alone (k = 0, zero-shot).

Split s shuffles the source's images with seed s: the first ``pool`` images are its training pool (k images
taken from the pool's start, so that a larger k holds the smaller ones) and the rest validate every k of
that split. Each run trains as a user would (tools/train.py, ``--data-root`` of the split's set), evaluates
at its end (COCO bbox/segm AP per class and with the classes merged), and leaves a record (:mod:`.records`)
that a later call reuses while its config, data and starting weights are the same.
"""
import hashlib
import json
import os
import os.path as osp
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from qmat.apps.pretrain import weights_path
from qmat.engine import load_config
from qmat.utils import UserInputError, dump_json, nan_to_none, write_text
from qmat.utils.tables import markdown_table

from .records import fingerprint, provenance, read_record, write_record
from .report import format_cell, mean_std
from .runs import finished, last_metrics, parse_options, side_by_side, threads_per_job, train

INITS = {
    'pretrained': 'configs/real/mask-rcnn_r18_fpn_synthetic-pretrained_200i_real-2k.py',
    'scratch': 'configs/real/mask-rcnn_r18_fpn_200i_real-2k.py',
}
PRETRAINING_CONFIG = 'configs/synthetic/mask-rcnn_r18_fpn_2000i_synthetic-2k.py'
COLUMNS = [('bbox AP', 'coco/bbox_mAP'), ('bbox AP50', 'coco/bbox_mAP_50'), ('segm AP', 'coco/segm_mAP'),
           ('segm AP50', 'coco/segm_mAP_50'), ('class-agnostic AP50', 'agnostic/bbox_mAP_50'),
           ('class-agnostic AR@100', 'agnostic/bbox_AR@100')]


@dataclass
class FewShot:
    """The curve's matrix and places.

    Args:
        source: An imported set (tools/dataset_converters/import_coco.py) with every annotated image in
            ``source_split``.
        shots: The k of the curve (0: the pretrained model alone).
        splits: The seeds of the train / validation splits.
        pool: Images of each split's training pool; the rest validate.
        starts: Which starts to run (:data:`INITS`: ``pretrained``, ``scratch``).
        work_root: Split sets and runs (``<work_root>/<init>/k<k>/split<s>``).
        results: Where each run's record goes (``<init>_k<k>_split<s>.json``).
        cfg_options: Extra ``key=value`` options for every run.
        config_root: The folder the configs are relative to (a qmat checkout); ``tools`` that of train.py.
        cache: The cache with the pretrained weights (default: qmat's).
    """
    source: str
    source_split: str = 'val'
    shots: Sequence[int] = (0, 1, 2, 5, 10)
    splits: Sequence[int] = (0, 1)
    pool: int = 10
    starts: Sequence[str] = tuple(INITS)
    work_root: str = 'work_dirs/few_shot'
    results: str = 'docs/few_shot'
    cfg_options: Sequence[str] = field(default_factory=list)
    config_root: str = '.'
    tools: str = 'tools'
    cache: Optional[str] = None

    def config(self, init: str) -> str:
        return osp.join(self.config_root, INITS[init])

    def weights(self) -> str:
        return weights_path(PRETRAINING_CONFIG, self.cache)

    def run_dir(self, init: str, k: int, split: int) -> str:
        return osp.join(self.work_root, init, f'k{k}', f'split{split}')

    def record_path(self, init: str, k: int, split: int) -> str:
        return osp.join(self.results, f'{init}_k{k}_split{split}.json')

    def cells(self) -> List[Tuple[str, int, int]]:
        """Split by split, k by k: the pretrained model alone at k = 0, both starts for k >= 1."""
        return [(init, k, split) for split in self.splits for k in self.shots for init in self.starts
                if k > 0 or init == 'pretrained']


def _source_file(fs: FewShot) -> str:
    return osp.join(fs.source, 'annotations', f'instances_{fs.source_split}2019.json')


def split_images(fs: FewShot, split: int) -> Tuple[List[int], List[int]]:
    """(training pool, validation) image ids of ``split``."""
    with open(_source_file(fs), encoding='utf-8') as f:
        ids = sorted(image['id'] for image in json.load(f)['images'])
    if fs.pool >= len(ids) or max(fs.shots) > fs.pool:
        raise UserInputError(f'few-shot: {len(ids)} images in {_source_file(fs)} cannot give a pool of '
                             f'{fs.pool} (k up to {max(fs.shots)}) and images left to validate')
    order = [ids[i] for i in np.random.default_rng(split).permutation(len(ids))]
    return order[:fs.pool], order[fs.pool:]


def write_split_set(fs: FewShot, k: int, split: int) -> str:
    """The data root of one (k, split): annotation files of the k training and the validation images,
    image folders linked to the source's; returns its path."""
    with open(_source_file(fs), encoding='utf-8') as f:
        source = json.load(f)
    pool, val = split_images(fs, split)
    root = osp.join(fs.work_root, 'data', f'split{split}', f'k{k}')
    images = osp.abspath(osp.join(fs.source, f'{fs.source_split}2019'))
    for part, ids in (('train', pool[:k]), ('val', val)):
        chosen = set(ids)
        subset = dict(source, images=[i for i in source['images'] if i['id'] in chosen],
                      annotations=[a for a in source['annotations'] if a['image_id'] in chosen])
        dump_json(subset, osp.join(root, 'annotations', f'instances_{part}2019.json'))
        link = osp.join(root, f'{part}2019')
        if not osp.islink(link):
            os.symlink(images, link)
    return root


def _file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()[:16]


def run_few_shot(fs: FewShot, log: Callable[[str], None] = print, jobs: int = 1,
                 train_missing: bool = True) -> Tuple[List[dict], List[str]]:
    """Train and evaluate every cell without a current record (``train_missing`` False: report only).

    Returns:
        (the records of the finished cells, in the matrix's order; the work dirs whose run failed).
    """
    weights = fs.weights()
    needs_weights = any(init == 'pretrained' for init, _, _ in fs.cells())
    if needs_weights and train_missing and not osp.isfile(weights):
        raise UserInputError(f'few-shot: no pretrained weights at {weights}; run python tools/pretrain.py')
    weights_hash = _file_hash(weights) if osp.isfile(weights) else None
    records: Dict[tuple, dict] = {}
    pending = []
    for init, k, split in fs.cells():
        root = write_split_set(fs, k, split)
        extra = [f'randomness.seed={split}', *fs.cfg_options]
        with open(osp.join(root, 'annotations', 'instances_train2019.json'), encoding='utf-8') as f:
            train_names = sorted(i['file_name'] for i in json.load(f)['images'])
        data = dict(train=train_names, split=split, pool=fs.pool, k=k)
        stamp = fingerprint(fs.config(init), parse_options(extra), data)
        start = weights_hash if init == 'pretrained' else None
        record = read_record(fs.record_path(init, k, split))
        # a record stands while its config and data are the same and, where the weights are here to
        # compare, it started from them (a report on a machine without the cache keeps every record)
        if record is not None and record.get('fingerprint') == stamp and \
                (start is None or record.get('weights') == start):
            records[init, k, split] = record
        elif train_missing:
            pending.append((init, k, split, root, extra, stamp, start))
    threads = threads_per_job(jobs)
    failed: List[str] = []
    printing = threading.Lock()

    def say(line: str) -> None:
        with printing:
            log(line)

    def complete(init: str, k: int, split: int, root: str, extra: List[str], stamp: str,
                 start: Optional[str]) -> None:
        work = fs.run_dir(init, k, split)
        options = ['--data-root', root, '--cfg-options', *extra]
        if k == 0:
            say(f'[few-shot] testing the pretrained model, split {split}: {work}')
            code = train(fs.tools, fs.config(init), work, [weights, *options], threads=threads,
                         script='test.py')
        else:
            max_iters = int(load_config(fs.config(init), parse_options(extra)).train_cfg.max_iters)
            code = 0
            # a work dir counts only for the weights it started from (pretrain.py --force makes new ones)
            started = osp.join(work, 'started_from.txt')
            same_start = osp.isfile(started) and Path(started).read_text(encoding='utf-8') == str(start)
            if not (same_start and finished(work, max_iters)):
                say(f'[few-shot] training {init}, k = {k}, split {split}: {work}')
                resume = ['--resume'] if same_start and osp.isfile(osp.join(work, 'last_checkpoint')) else []
                write_text(started, str(start))
                code = train(fs.tools, fs.config(init), work, [*resume, *options], threads=threads)
        metrics = last_metrics(work, 'coco/bbox_mAP') if code == 0 else None
        if metrics is None:
            failed.append(work)
            return
        record = dict(init=init, k=k, split=split, metrics=nan_to_none(dict(metrics)), fingerprint=stamp,
                      weights=start, config=INITS[init], options=extra,
                      threads=threads or torch.get_num_threads(), **provenance(fs.config_root))
        write_record(fs.record_path(init, k, split), record)
        records[init, k, split] = record

    side_by_side([lambda cell=cell: complete(*cell) for cell in pending], jobs)
    return [records[cell] for cell in fs.cells() if cell in records], failed


def summarize(results: List[dict], fs: FewShot) -> List[dict]:
    """Mean ± std over splits of every column, per start and k."""
    rows = []
    for init, k in dict.fromkeys((init, k) for init, k, _ in fs.cells()):
        runs = [r for r in results if r['init'] == init and r['k'] == k]
        columns = {}
        for _, key in COLUMNS:
            values = [float(r['metrics'][key]) for r in runs if r['metrics'].get(key) is not None]
            columns[key] = mean_std(values) if values else None
        rows.append(dict(init=init, k=k, splits=[r['split'] for r in runs], columns=columns))
    return rows


def few_shot_text(summary: List[dict], fs: FewShot) -> str:
    """The markdown table (percent, mean ± std over splits) with what was run in its caption."""
    with open(_source_file(fs), encoding='utf-8') as f:
        count = len(json.load(f)['images'])
    lines = [f'{count} real micrographs; each split holds out {count - fs.pool} of them for validation and '
             f'trains on the first k of the other {fs.pool}; splits (seeds) '
             f'{", ".join(map(str, fs.splits))}; '
             'mean ± std over the splits, in percent.', '']
    label = {'pretrained': 'synthetic-pretrained', 'scratch': 'from scratch'}
    lines += markdown_table(['start', 'k', 'splits'] + [name for name, _ in COLUMNS], (
        [label[row['init']] + (' (zero-shot)' if row['k'] == 0 else ''), row['k'], len(row['splits'])]
        + [format_cell(row['columns'][key]) for _, key in COLUMNS] for row in summary))
    return '\n'.join(lines)


def plot_few_shot(summary: List[dict], path: str) -> None:
    """Class-agnostic AP50 and bbox AP against k, one line per start (error bars: std over splits)."""
    import matplotlib  # here: importing qmat must not set a user's matplotlib backend
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, (name, key) in zip(axes, (COLUMNS[4], COLUMNS[0])):
        for init, colour in (('pretrained', 'tab:blue'), ('scratch', 'tab:orange')):
            rows = [r for r in summary if r['init'] == init and r['columns'][key]]
            if rows:
                axis.errorbar([r['k'] for r in rows], [100 * r['columns'][key]['mean'] for r in rows],
                              yerr=[100 * r['columns'][key]['std'] for r in rows], marker='o', capsize=3,
                              color=colour, label='synthetic-pretrained' if init == 'pretrained' else
                              'from scratch')
        axis.set(title=name, xlabel='annotated training images (k)', ylabel='%')
        axis.set_xscale('symlog', linthresh=1)
        shots = sorted({row['k'] for row in summary})
        axis.set_xticks(shots, [str(k) for k in shots])
        axis.minorticks_off()
        axis.grid(alpha=0.3)
        axis.legend(fontsize='small')
    figure.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
