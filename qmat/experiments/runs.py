"""Training runs of a comparison: launching one as a user would, whether it finished, what it logged.

A run is a work dir of tools/train.py. It counts as finished when its ``last_checkpoint`` names the
config's final iteration; its metrics are then the last COCO evaluation mmengine logged there (the
validation at the end of training, in ``<timestamp>/vis_data/scalars.json``).
"""
import argparse
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from qmat.engine.config import CfgOptionsAction

from .columns import BBOX_AP

# trainings this process is waiting on, ended with it on SIGTERM (see side_by_side); once stopping,
# no new one starts. The lock keeps a training from starting between the two.
_trainings: set = set()
_stopping = threading.Event()
_trainings_lock = threading.Lock()


def finished(work_dir: str, max_iters: int) -> bool:
    """Whether the run in ``work_dir`` saved its checkpoint of iteration ``max_iters``."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return False
    with open(pointer, encoding='utf-8') as f:
        return osp.basename(f.read().strip()) == f'iter_{max_iters}.pth'


def log_rows(path: str):
    """The JSON lines of an mmengine log, skipping a line cut off by a crash."""
    with open(path, encoding='utf-8') as f:
        for line in f:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def last_metrics(work_dir: str, required: str = BBOX_AP) -> Optional[Dict[str, float]]:
    """The last logged line with ``required`` among the work dir's mmengine logs (newest run first)."""
    for run in sorted(glob.glob(osp.join(work_dir, '2*')), reverse=True):  # timestamped run dirs
        stamp = osp.basename(run)
        for path in (osp.join(run, f'{stamp}.json'), osp.join(run, 'vis_data', 'scalars.json')):
            if osp.isfile(path):
                found = [row for row in log_rows(path) if required in row]
                if found:
                    return found[-1]
    return None


def training_rows(work_dir: str) -> list:
    """The training lines (those with a ``loss``) that the runs in ``work_dir`` logged, in order of
    iteration: a run resumed from a checkpoint logs the iterations after it again, and its lines replace
    the first part's, so an interrupted and resumed run reads as one run."""
    by_step: Dict[object, dict] = {}
    for path in sorted(glob.glob(osp.join(work_dir, '2*', 'vis_data', 'scalars.json'))):  # oldest first
        for row in log_rows(path):
            if 'loss' in row:
                by_step[row.get('step', ('unnumbered', len(by_step)))] = row
    return list(by_step.values())


def _means(rows: Sequence[dict], prefixes: Sequence[str]) -> Dict[str, float]:
    values: Dict[str, list] = {}
    for row in rows:
        for key, value in row.items():
            if key.startswith(tuple(prefixes)):
                values.setdefault(key, []).append(float(value))
    return {key: sum(v) / len(v) for key, v in values.items()}


def log_means(work_dir: str, prefixes: Sequence[str]) -> Dict[str, float]:
    """Mean over the logged training iterations (:func:`training_rows`) of each scalar whose name starts
    with one of ``prefixes`` (e.g. ``sasl_soft_labels``); empty when there is none."""
    return _means(training_rows(work_dir), prefixes)


def window_means(work_dir: str, prefixes: Sequence[str], window: int,
                 start: int = 0) -> List[Tuple[int, int, int, Dict[str, float]]]:
    """:func:`log_means` per window of ``window`` iterations after iteration ``start`` (``start + 1`` to
    ``start + window``, and so on): ``(first, last, logged iterations, means)`` for each window with a
    logged iteration that has such a scalar, in order."""
    if window < 1:
        raise ValueError(f'window must be at least 1 iteration, got {window}')
    windows: Dict[int, list] = {}
    for row in training_rows(work_dir):
        step = row.get('step')
        if isinstance(step, int) and step > start and any(key.startswith(tuple(prefixes)) for key in row):
            windows.setdefault((step - start - 1) // window, []).append(row)
    return [(start + index * window + 1, start + (index + 1) * window, len(rows), _means(rows, prefixes))
            for index, rows in sorted(windows.items())]


def seconds_per_iter(work_dir: str) -> Optional[float]:
    """mmengine's training seconds per iteration (its window means), averaged over the logged training
    iterations (:func:`training_rows`); None without any."""
    times = [float(row['time']) for row in training_rows(work_dir) if 'time' in row]
    return sum(times) / len(times) if times else None


def parse_options(pairs: Sequence[str]) -> dict:
    """``key=value`` strings parsed as mmengine's ``--cfg-options``."""
    parsed = argparse.Namespace()
    CfgOptionsAction(option_strings=[], dest='options')(None, parsed, list(pairs))
    return parsed.options or {}


def threads_per_job(jobs: int) -> Optional[int]:
    """CPU threads for each of ``jobs`` trainings side by side (None for one job: it takes them all)."""
    return max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None


def side_by_side(tasks: Sequence[Callable[[], None]], jobs: int) -> None:
    """Run ``tasks`` ``jobs`` at a time, in order; a task's exception is raised here.

    On 2 cores two small CPU trainings with one thread each finish sooner than one after the other
    (mmcv's CPU RoIAlign and much of a small model's step use one core; docs/benchmarks.md).

    A SIGTERM to this process (``kill``, a scheduler's stop) ends the trainings it started, as Ctrl-C
    ends them, so that none trains on unwatched, holding the cores, and starts none of those still
    queued; each keeps its last checkpoint.
    """
    pool = ThreadPoolExecutor(max_workers=jobs)

    def stop(signum, frame):
        pool.shutdown(wait=False, cancel_futures=True)
        with _trainings_lock:
            _stopping.set()
            for training in _trainings:
                training.terminate()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pool:
            for done in [pool.submit(task) for task in tasks]:
                done.result()
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stopping.clear()


def train(tools_dir: str, config: str, work_dir: str, options: Sequence[str] = (), gpus: int = 1,
          threads: Optional[int] = None, script: str = 'train.py') -> int:
    """Run ``tools_dir/train.py`` (``tools_dir/dist_train.sh`` for several GPUs) as a user would; returns
    its exit code. ``threads`` caps the CPU threads of the run (OMP_NUM_THREADS), for runs side by side;
    ``script`` ``test.py`` tests instead (the checkpoint first in ``options``)."""
    if gpus > 1:
        command = ['bash', osp.join(tools_dir, f'dist_{osp.splitext(script)[0]}.sh'), config, str(gpus)]
    else:
        command = [sys.executable, osp.join(tools_dir, script), config]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads)) if threads else None
    with _trainings_lock:
        if _stopping.is_set():
            return 128 + signal.SIGTERM
        training = subprocess.Popen([*command, '--work-dir', work_dir, *options], env=env)
        _trainings.add(training)
    with training:
        try:
            return training.wait()
        finally:
            _trainings.discard(training)
