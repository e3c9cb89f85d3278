"""What tests of different packages share: running a tool as a user would (a process) or in this process
(for argument errors: no torch and mmdet import per call), and checking its one-line errors."""
import contextlib
import importlib.util
import io
import os
import os.path as osp
import subprocess
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_tool(*args, timeout=900, env=None):
    """Run ``python tools/<args>`` (or ``bash tools/<x>.sh``) from the repository root, as a user would."""
    command = ['bash', *args] if args[0].endswith('.sh') else [sys.executable, *args]
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', PYTHON=sys.executable, **(env or {}))
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=full_env)


def run_in_process(tool: str, *args) -> subprocess.CompletedProcess:
    """Run ``tools/<tool>``'s ``main`` with ``args`` in this process, as its ``__main__`` block does (user
    errors become one line and exit status 2), capturing stdout and stderr."""
    from qmat.utils import run_cli

    path = osp.join(REPO, tool)
    spec = importlib.util.spec_from_file_location(f'tool_{osp.splitext(osp.basename(tool))[0]}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run_cli(lambda: module.main(list(args)))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    return subprocess.CompletedProcess([tool, *args], code, out.getvalue(), err.getvalue())


def assert_ok(result):
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert 'Traceback' not in result.stderr, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('error: '), result.stderr[-2000:]
    for fragment in fragments:
        assert fragment in last, last


class RunsCode:
    """An object whose unpickling would call os.mkdir: the classic checkpoint exploit."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def loads_without_qmat(path):
    """Whether a fresh interpreter that never imported qmat loads ``path`` with weights_only=True."""
    code = 'import sys, torch; torch.load(sys.argv[1], weights_only=True)'
    return subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True).returncode == 0


# the options that make a training pass (qmat.evaluation.training_pass) run in the test process
PASS_OPTIONS = {'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
                'train_dataloader.batch_size': 2}


def numpy_iou(boxes, others):
    """Pairwise IoU of corner boxes (x1, y1, x2, y2), written out in numpy (no mmdet)."""
    boxes, others = np.asarray(boxes, dtype=float), np.asarray(others, dtype=float)
    lt = np.maximum(boxes[:, None, :2], others[None, :, :2])
    rb = np.minimum(boxes[:, None, 2:], others[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    return inter / (area(boxes)[:, None] + area(others)[None, :] - inter)

