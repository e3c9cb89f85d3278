"""Runs of a comparison: where each lives, whether it finished, its COCO metrics, and mean ± std over seeds.

A run is a work dir of tools/train.py. It counts as finished when its ``last_checkpoint`` names the
config's final iteration; its metrics are then the last COCO evaluation mmengine logged there (the
validation at the end of training, in ``<timestamp>/vis_data/scalars.json``).
"""
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, Optional, Sequence

# Table 1's columns: (task, name, mmdet metric key)
COCO_COLUMNS = (('bbox', 'AP50', 'coco/bbox_mAP_50'), ('bbox', 'AP75', 'coco/bbox_mAP_75'),
                ('bbox', 'AP', 'coco/bbox_mAP'), ('segm', 'AP50', 'coco/segm_mAP_50'),
                ('segm', 'AP75', 'coco/segm_mAP_75'), ('segm', 'AP', 'coco/segm_mAP'))
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def finished(work_dir: str, max_iters: int) -> bool:
    """Whether the run in ``work_dir`` saved its checkpoint of iteration ``max_iters``."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return False
    with open(pointer, encoding='utf-8') as f:
        return osp.basename(f.read().strip()) == f'iter_{max_iters}.pth'


def last_metrics(work_dir: str, required: str = 'coco/bbox_mAP') -> Optional[Dict[str, float]]:
    """The last logged line with ``required`` among the work dir's mmengine logs (newest run first)."""
    for run in sorted(glob.glob(osp.join(work_dir, '2*')), reverse=True):  # timestamped run dirs
        stamp = osp.basename(run)
        for path in (osp.join(run, f'{stamp}.json'), osp.join(run, 'vis_data', 'scalars.json')):
            if not osp.isfile(path):
                continue
            found = None
            with open(path, encoding='utf-8') as f:
                for line in f:
                    line = line.strip()
                    if required in line:
                        try:
                            found = json.loads(line)
                        except json.JSONDecodeError:
                            continue  # a line cut off by a crash
            if found is not None:
                return found
    return None


def log_means(work_dir: str, prefixes: Sequence[str]) -> Dict[str, float]:
    """Mean over the logged training iterations of each scalar whose name starts with one of ``prefixes``
    (e.g. ``sasl_soft_labels``), from the newest run in the work dir; empty when there is none."""
    runs = sorted(glob.glob(osp.join(work_dir, '2*', 'vis_data', 'scalars.json')), reverse=True)
    values: Dict[str, list] = {}
    if runs:
        with open(runs[0], encoding='utf-8') as f:
            for line in f:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut off by a crash
                for key, value in row.items():
                    if key.startswith(tuple(prefixes)):
                        values.setdefault(key, []).append(float(value))
    return {key: sum(v) / len(v) for key, v in values.items()}


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean and sample standard deviation (0 for one value) of ``values``."""
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return dict(mean=mean, std=std, n=len(values))


def format_cell(stats: Optional[Dict[str, float]], scale: float = 100.0) -> str:
    """``72.4`` for one seed, ``72.4 ± 0.8`` for several, ``—`` for none (in percent by default)."""
    if not stats:
        return '—'
    if stats['n'] > 1:
        return f'{scale * stats["mean"]:.1f} ± {scale * stats["std"]:.1f}'
    return f'{scale * stats["mean"]:.1f}'


def parse_options(pairs: Sequence[str]) -> dict:
    """``key=value`` strings parsed as mmengine's ``--cfg-options``."""
    import argparse

    from mmengine.config import DictAction
    parsed = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, parsed, list(pairs))
    return parsed.options or {}


def threads_per_job(jobs: int) -> Optional[int]:
    """CPU threads for each of ``jobs`` trainings side by side (None for one job: it takes them all)."""
    return max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None


def side_by_side(tasks: Sequence[Callable[[], None]], jobs: int) -> None:
    """Run ``tasks`` ``jobs`` at a time, in order; a task's exception is raised here.

    On 2 cores two small CPU trainings with one thread each finish sooner than one after the other
    (mmcv's CPU RoIAlign and much of a small model's step use one core; docs/benchmarks.md).
    """
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in [pool.submit(task) for task in tasks]:
            done.result()


def train(config: str, work_dir: str, options: Sequence[str] = (), gpus: int = 1,
          threads: Optional[int] = None) -> int:
    """Run tools/train.py (or tools/dist_train.sh for several GPUs) as a user would; returns its exit code.

    ``threads`` caps the CPU threads of the run (OMP_NUM_THREADS), for several runs side by side.
    """
    if gpus > 1:
        command = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config, str(gpus)]
    else:
        command = [sys.executable, osp.join(REPO, 'tools', 'train.py'), config]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads)) if threads else None
    return subprocess.call([*command, '--work-dir', work_dir, *options], cwd=REPO, env=env)


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
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        f.write(content)
    os.replace(path + '.tmp', path)
