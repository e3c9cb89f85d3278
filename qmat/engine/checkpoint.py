"""Checkpoints that load under ``torch.load(weights_only=True)`` and nothing else.

torch >= 2.6 loads with ``weights_only=True``, which refuses every global that is not allow-listed.
mmengine 0.10.7 writes a ``HistoryBuffer`` per logged scalar into each checkpoint; its pickle holds numpy
arrays and ``getattr(HistoryBuffer, 'min')``-style references to its statistics methods. qmat deals with
this at two ends:

* What qmat writes is plain: :class:`PlainCheckpointHook` turns every ``HistoryBuffer`` and numpy value
  of a checkpoint into Python lists and numbers before it is saved (and rebuilds the buffers when it is
  loaded), so a qmat checkpoint needs no allow-list at all.
* What qmat reads may come from stock mmengine/mmdet: :func:`register_safe_checkpoint_types` allow-lists
  exactly the types those write, and maps ``builtins.getattr`` to :func:`history_buffer_statistic`, which
  only returns HistoryBuffer's four statistics methods, so ``getattr`` itself is never allow-listed.

Every local checkpoint load (``--resume``, ``load_from``, ``tools/test.py CONFIG CKPT``) goes through
:func:`load_local_checkpoint`, which always passes ``weights_only=True`` (also on torch < 2.6) and turns a
refusal into an :class:`UnsafeCheckpointError` naming the file and the offending global.
"""
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from qmat.utils.errors import UnsafeCheckpointError, UserInputError

# HistoryBuffer pickles its class-level statistics methods by name (see HistoryBuffer.__getstate__).
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
PLAIN_BUFFER_TAG = '__qmat_history_buffer__'


def history_buffer_statistic(owner: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` while unpickling: resolves only ``HistoryBuffer.<statistic>``.

    Args:
        owner: The object the pickle asks an attribute of; must be the HistoryBuffer class.
        name: The attribute; must be one of HistoryBuffer's default statistics methods.
    """
    if owner is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL builtins.getattr on {owner!r}.{name} '
        '(only HistoryBuffer statistics methods are allowed)')


def _numpy_core(module: str) -> List[tuple]:
    """numpy 1 pickles name ``numpy.core.multiarray``, numpy 2 ``numpy._core.multiarray``."""
    try:
        multiarray = np._core.multiarray  # numpy >= 2
    except AttributeError:  # pragma: no cover - numpy 1.x
        multiarray = np.core.multiarray
    fn = getattr(multiarray, module)
    return [(fn, f'numpy.core.multiarray.{module}'), (fn, f'numpy._core.multiarray.{module}')]


def safe_checkpoint_globals() -> List[Union[Callable, tuple]]:
    """The exact globals that mmengine 0.10.7 / mmdet 3.3.0 checkpoints contain besides tensors."""
    allowed: List[Union[Callable, tuple]] = [
        HistoryBuffer,
        (history_buffer_statistic, 'builtins.getattr'),
        np.ndarray,
        np.dtype,
        *_numpy_core('_reconstruct'),
        *_numpy_core('scalar'),
    ]
    # numpy >= 1.25 pickles dtype instances through their DType classes.
    for dtype_class in ('Float64DType', 'Int64DType'):
        if hasattr(np, 'dtypes') and hasattr(np.dtypes, dtype_class):
            allowed.append(getattr(np.dtypes, dtype_class))
    return allowed


def register_safe_checkpoint_types() -> None:
    """Allow-list :func:`safe_checkpoint_globals` for ``torch.load(weights_only=True)``; idempotent."""
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:  # torch >= 2.4; older torch reads qmat's plain checkpoints only
        add_safe_globals(safe_checkpoint_globals())


def _refusal_reason(error: Exception) -> str:
    match = re.search(r'(Unsupported global: GLOBAL [\w.]+|Trying to load unsupported GLOBAL [\w.]+'
                      r'|Unsupported operand \d+|[^\n]*only HistoryBuffer[^\n]*)', str(error))
    return match.group(0) if match else str(error).strip().splitlines()[-1]


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_local_checkpoint(filename: str, map_location: Optional[Union[str, Callable]] = None) -> Any:
    """Load a local checkpoint with ``weights_only=True`` (replaces mmengine's local loader).

    Args:
        filename: Path of the checkpoint.
        map_location: As for :func:`torch.load`.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The file holds a global that is not allow-listed; nothing was executed.
        UserInputError: The file is empty, truncated or not a torch checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise UnsafeCheckpointError(
            f'refused to load checkpoint {filename}: {_refusal_reason(error)}; qmat loads checkpoints '
            'with weights_only=True and only allow-lists the types mmengine/mmdet write') from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise UserInputError(f'checkpoint {filename} could not be read ({reason}): it is empty, truncated '
                             'or not a torch checkpoint') from None


def model_state(checkpoint: Any, filename: str) -> Dict[str, torch.Tensor]:
    """The weights of a loaded checkpoint, where mmengine looks for them (``state_dict``, ``model``, or the
    checkpoint itself when it is a dict of tensors), ``module.`` prefixes removed.

    Raises:
        UserInputError: There are no weights in it.
    """
    state = None
    if isinstance(checkpoint, dict):
        state = checkpoint.get('state_dict', checkpoint.get('model'))
        if state is None and checkpoint and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
            state = checkpoint
    if not isinstance(state, dict) or not state:
        raise UserInputError(f'checkpoint {filename} has no weights (no state_dict): not a model checkpoint')
    return {re.sub(r'^module\.', '', key): value for key, value in state.items()}


# The layers whose size is the number of classes: a model fine-tuned to other classes starts them afresh.
CLASS_LAYERS = ('fc_cls', 'fc_reg', 'conv_logits')


def _class_layer(key: str, saved: torch.Size, wanted: torch.Size) -> bool:
    """Whether ``key`` is a class layer's weight or bias that differs only in its number of outputs."""
    return key.rsplit('.', 2)[-2] in CLASS_LAYERS and tuple(saved[1:]) == tuple(wanted[1:])


def check_checkpoint_fits(model: torch.nn.Module, filename: str,
                          ignored: Tuple[str, ...] = ('ema_', 'teacher.', 'steps'),
                          new_classes: bool = False) -> List[str]:
    """Refuse a checkpoint whose weights do not fit ``model``: keys that one has and the other not, or other
    shapes (mmengine would load what fits and leave the rest random, with a warning in the log).

    Args:
        model: The model the checkpoint is for (not wrapped for DDP).
        filename: The checkpoint.
        ignored: Key prefixes that may be in the checkpoint only (an EMA copy; a self-training teacher and
            its step count, so that a self-training checkpoint serves the plain Mask R-CNN config too).
        new_classes: Let the class layers (:data:`CLASS_LAYERS`) differ in their number of classes, as when
            a model is fine-tuned to a lab's own classes (``load_from``): they start afresh.

    Returns:
        The class layers' keys that will start afresh (empty unless ``new_classes``).

    Raises:
        UserInputError: Naming the first few keys that do not fit.
    """
    state = model_state(load_local_checkpoint(filename, map_location='cpu'), filename)
    expected = model.state_dict()
    # what the model makes itself when a checkpoint lacks it (a self-training teacher copies the student)
    optional = tuple(getattr(model, 'optional_state_prefixes', ()))
    missing = [k for k in expected if k not in state and not (optional and k.startswith(optional))]
    unexpected = [k for k in state if k not in expected and not k.startswith(ignored)]
    differing = [k for k, v in expected.items()
                 if k in state and hasattr(state[k], 'shape') and tuple(state[k].shape) != tuple(v.shape)]
    afresh = [k for k in differing if new_classes and _class_layer(k, state[k].shape, expected[k].shape)]
    shapes = [f'{k} {tuple(state[k].shape)} vs {tuple(expected[k].shape)}' for k in differing
              if k not in afresh]
    kinds = (('missing', missing), ('unexpected', unexpected), ('of other shape', shapes))
    problems = [f'{len(found)} {what} (e.g. {", ".join(found[:3])})' for what, found in kinds if found]
    if problems:
        raise UserInputError(f'checkpoint {filename} does not fit the config\'s model: {"; ".join(problems)} '
                             'keys; is it from another config?')
    return afresh


def to_plain(value: Any) -> Any:
    """Recursively turn numpy arrays and scalars into Python lists and numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return type(value)((key, to_plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)) and not hasattr(value, '_fields'):
        return type(value)(to_plain(item) for item in value)
    return value


def plain_history_buffer(buffer: HistoryBuffer) -> Dict[str, Any]:
    """A HistoryBuffer as a dict of Python lists (what :func:`history_buffer_from_plain` reads)."""
    log, count = buffer.data
    return {PLAIN_BUFFER_TAG: True, 'max_length': int(buffer.max_length),
            'log': log.tolist(), 'count': count.tolist()}


def history_buffer_from_plain(state: Dict[str, Any]) -> HistoryBuffer:
    return HistoryBuffer(state['log'], state['count'], state['max_length'])


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Write checkpoints without numpy or HistoryBuffer pickles, and read them back.

    Saved checkpoints then load with plain ``torch.load(path, weights_only=True)``, with or without qmat.
    """

    priority = 'VERY_LOW'  # after every hook that adds to the checkpoint

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict):
            hub['log_scalars'] = type(hub['log_scalars'])(
                (key, plain_history_buffer(value) if isinstance(value, HistoryBuffer) else value)
                for key, value in hub['log_scalars'].items())
            hub['runtime_info'] = to_plain(hub['runtime_info'])
        if 'meta' in checkpoint:
            checkpoint['meta'] = to_plain(checkpoint['meta'])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict) and isinstance(hub.get('log_scalars'), dict):
            for key, value in hub['log_scalars'].items():
                if isinstance(value, dict) and value.get(PLAIN_BUFFER_TAG):
                    hub['log_scalars'][key] = history_buffer_from_plain(value)
