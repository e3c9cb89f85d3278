"""Safe checkpoint loading: allow-listed mmengine types load, anything else is refused unexecuted."""
import os
import pickle
import re
import zipfile

import numpy as np
import pytest
import torch
from helpers import RunsCode, loads_without_qmat
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

import qmat  # noqa: F401  (registers the loader and the allow-list)
from qmat.engine import PlainCheckpointHook, UnsafeCheckpointError, load_local_checkpoint
from qmat.engine.checkpoint import history_buffer_statistic, to_plain


def pickled_globals(path):
    """The GLOBAL names in a torch.save zip file, read without unpickling it."""
    import pickletools
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith('data.pkl'))
        data = archive.read(name)
    found, strings = set(), []
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name == 'GLOBAL':
            found.add(arg.replace(' ', '.'))
        elif opcode.name in ('SHORT_BINUNICODE', 'BINUNICODE', 'UNICODE'):
            strings.append(arg)
        elif opcode.name == 'STACK_GLOBAL':
            found.add(f'{strings[-2]}.{strings[-1]}')
    return found


def stock_checkpoint():
    """What mmengine 0.10.7 writes: tensors plus HistoryBuffers and numpy values in the message hub."""
    buffer = HistoryBuffer()
    for value in (1.5, 1.25, 1.0):
        buffer.update(value)
    return dict(
        meta=dict(iter=3, epoch=0, seed=np.int64(7), best=np.float64(0.5)),
        state_dict={'w': torch.arange(4.0)},
        message_hub=dict(log_scalars={'train/loss': buffer},
                         runtime_info={'iter': 3, 'arr': np.arange(3)}, resumed_keys={'train/loss': True}),
        optimizer={'state': {0: {'momentum_buffer': torch.ones(4)}}, 'param_groups': [{'lr': 0.02}]})


def test_stock_mmengine_checkpoint_loads(tmp_path):
    path = tmp_path / 'stock.pth'
    torch.save(stock_checkpoint(), path)
    assert not loads_without_qmat(path)  # what torch >= 2.6 does to mmengine checkpoints on its own
    assert 'builtins.getattr' in pickled_globals(path) or '__builtin__.getattr' in pickled_globals(path)
    loaded = load_local_checkpoint(str(path))
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(np.mean([1.5, 1.25, 1.0]))
    assert buffer.min() == 1.0 and buffer.statistics('max') == 1.5
    assert loaded['meta']['seed'] == 7
    assert torch.equal(loaded['state_dict']['w'], torch.arange(4.0))
    # and through mmengine's own entry point, which qmat's loader replaces
    assert CheckpointLoader.load_checkpoint(str(path))['meta']['iter'] == 3


def test_pickled_callable_is_refused_and_not_executed(tmp_path):
    marker = str(tmp_path / 'was_executed')
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'payload': RunsCode(marker)}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_local_checkpoint(str(path))
    message = str(info.value)
    assert str(path) in message and 'mkdir' in message and '\n' not in message
    assert not os.path.exists(marker)


def test_getattr_stand_in_only_resolves_history_buffer_statistics():
    for name in ('min', 'max', 'current', 'mean'):
        assert history_buffer_statistic(HistoryBuffer, name) is getattr(HistoryBuffer, name)
    for owner, name in ((HistoryBuffer, '__init__'), (HistoryBuffer, 'update'), (os, 'system'),
                        (HistoryBuffer(), 'min')):
        with pytest.raises(pickle.UnpicklingError):
            history_buffer_statistic(owner, name)


@pytest.mark.parametrize('owner,name', [(HistoryBuffer, 'update'), (np.ndarray, 'tofile'),
                                         (HistoryBuffer, '__init__')])
def test_getattr_beyond_statistics_is_refused_in_a_checkpoint(tmp_path, owner, name):
    """getattr in a pickle reaches only HistoryBuffer's statistics, never other attributes."""

    class GetattrPayload:
        def __reduce__(self):
            return (getattr, (owner, name))

    path = tmp_path / 'getattr.pth'
    torch.save({'f': GetattrPayload()}, path)
    with pytest.raises(UnsafeCheckpointError, match='getattr'):
        load_local_checkpoint(str(path))


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        load_local_checkpoint(str(tmp_path / 'nothing.pth'))


def test_to_plain_converts_numpy_recursively():
    value = {'a': np.float32(1.5), 'b': [np.int64(2), (np.arange(2), 'x')], 'c': {'d': np.array([[1.0]])}}
    plain = to_plain(value)
    assert plain == {'a': 1.5, 'b': [2, ([0, 1], 'x')], 'c': {'d': [[1.0]]}}
    assert type(plain['a']) is float and type(plain['b'][0]) is int


def test_plain_checkpoint_hook_round_trip(tmp_path):
    checkpoint = stock_checkpoint()
    original = checkpoint['message_hub']['log_scalars']['train/loss']
    hook = PlainCheckpointHook()
    hook.before_save_checkpoint(None, checkpoint)
    path = tmp_path / 'plain.pth'
    torch.save(checkpoint, path)
    # no numpy, no HistoryBuffer: loads with weights_only=True even without qmat's allow-list
    assert not any(name.startswith(('numpy', 'mmengine', 'builtins', '__builtin__'))
                   for name in pickled_globals(path)), pickled_globals(path)
    assert loads_without_qmat(path)
    unpickled = torch.load(path, weights_only=True)
    hook.after_load_checkpoint(None, unpickled)
    buffer = unpickled['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    np.testing.assert_array_equal(buffer.data[0], original.data[0])
    np.testing.assert_array_equal(buffer.data[1], original.data[1])
    assert buffer.max_length == original.max_length
    assert unpickled['meta']['seed'] == 7 and unpickled['message_hub']['runtime_info']['arr'] == [0, 1, 2]


class Tiny(torch.nn.Module):
    def __init__(self, width=3):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, width, 1)
        self.head = torch.nn.Linear(width, 2)


def test_a_checkpoint_must_fit_its_model(tmp_path):
    from qmat.engine.checkpoint import check_checkpoint_fits
    from qmat.utils import UserInputError
    model = Tiny()

    def saved(content, name='c.pth'):
        path = str(tmp_path / name)
        torch.save(content, path)
        return path
    state = model.state_dict()
    check_checkpoint_fits(model, saved({'state_dict': state, 'meta': {}}))
    check_checkpoint_fits(model, saved(dict(state)))  # a bare state dict, as mmengine also takes
    check_checkpoint_fits(model, saved({'state_dict': {f'module.{k}': v for k, v in state.items()}}))
    check_checkpoint_fits(model, saved({'state_dict': {**state, 'ema_conv.weight': state['conv.weight']}}))
    without_bias = {k: v for k, v in state.items() if k != 'head.bias'}
    cases = [({'state_dict': without_bias}, '1 missing (e.g. head.bias)'),
             ({'state_dict': {**state, 'extra.weight': torch.zeros(1)}}, '1 unexpected (e.g. extra.weight)'),
             ({'state_dict': Tiny(width=4).state_dict()},
              '3 of other shape (e.g. conv.weight (4, 1, 1, 1) vs (3, 1, 1, 1)'),
             ({'meta': {}, 'state_dict': {}}, 'has no weights'),
             ({'meta': {'iter': 1}}, 'has no weights')]
    for content, message in cases:
        with pytest.raises(UserInputError, match=re.escape(message)):
            check_checkpoint_fits(model, saved(content))


def test_an_empty_or_truncated_checkpoint_is_one_line(tmp_path):
    from qmat.utils import UserInputError
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': Tiny().state_dict()}, good)
    (tmp_path / 'empty.pth').write_bytes(b'')
    (tmp_path / 'cut.pth').write_bytes(good.read_bytes()[:200])
    (tmp_path / 'text.pth').write_text('not a checkpoint')
    for name in ('empty.pth', 'cut.pth'):
        with pytest.raises(UserInputError, match=f'{name} could not be read .*empty, truncated'):
            load_local_checkpoint(str(tmp_path / name))
    with pytest.raises(UnsafeCheckpointError, match='text.pth'):  # not a zip: read as a legacy pickle
        load_local_checkpoint(str(tmp_path / 'text.pth'))


class Classifier(torch.nn.Module):
    """A body and the class layers' names of mmdet's heads (fc_cls, fc_reg, conv_logits)."""

    def __init__(self, classes=3, width=4):
        super().__init__()
        self.body = torch.nn.Linear(2, width)
        self.fc_cls = torch.nn.Linear(4, classes + 1)
        self.fc_reg = torch.nn.Linear(4, 4 * classes)
        self.conv_logits = torch.nn.Conv2d(4, classes, 1)


def test_fine_tuning_to_other_classes_starts_the_class_layers_afresh(tmp_path):
    from qmat.engine.checkpoint import check_checkpoint_fits
    from qmat.utils import UserInputError
    path = str(tmp_path / 'three.pth')
    torch.save({'state_dict': Classifier(classes=3).state_dict()}, path)
    two = Classifier(classes=2)
    with pytest.raises(UserInputError, match='6 of other shape'):
        check_checkpoint_fits(two, path)  # testing or resuming: the classes must be the same
    afresh = check_checkpoint_fits(two, path, new_classes=True)
    assert sorted(afresh) == sorted(f'{layer}.{p}' for layer in ('fc_cls', 'fc_reg', 'conv_logits')
                                    for p in ('weight', 'bias'))
    assert check_checkpoint_fits(Classifier(classes=3), path, new_classes=True) == []
    with pytest.raises(UserInputError, match='body.weight'):  # not a class layer: still refused
        check_checkpoint_fits(Classifier(classes=2, width=5), path, new_classes=True)
