"""Atomic writes: the old file stays whole until the new one is complete, and JSON has no NaN."""
import json
import math

import pytest

from qmat.utils import atomic_open, dump_json, nan_to_none, write_text


def test_an_error_mid_write_keeps_what_was_there(tmp_path):
    path = tmp_path / 'sub' / 'table.csv'
    write_text(str(path), 'old\n')
    with pytest.raises(RuntimeError):
        with atomic_open(str(path)) as f:
            f.write('half of the new')
            raise RuntimeError('stopped')
    assert path.read_text() == 'old\n' and not (tmp_path / 'sub' / 'table.csv.tmp').exists()
    with pytest.raises(TypeError):
        dump_json({'not json': object()}, str(path))
    assert path.read_text() == 'old\n'


def test_json_round_trip_without_nan(tmp_path):
    path = str(tmp_path / 'record.json')
    record = {'a': [1.0, math.nan, {'b': (math.nan, 2)}], 'c': 'x'}
    dump_json(nan_to_none(record), path, end_newline=True, indent=1, sort_keys=True, allow_nan=False)
    text = open(path).read()
    assert text.endswith('}\n') and json.loads(text) == {'a': [1.0, None, {'b': [None, 2]}], 'c': 'x'}
    with pytest.raises(ValueError):
        dump_json(record, path, allow_nan=False)
    assert json.loads(open(path).read())['c'] == 'x'  # the refused write changed nothing
