"""A finished run's record: its metrics, a fingerprint of what was trained, and where it was made.

The records, not the work dirs (checkpoints of tens of MB), are what a study is made of: they are committed
under docs/, so that a study goes on from where it stopped on another machine, and a record whose
fingerprint no longer matches its config is made again.
"""
import hashlib
import json
import subprocess
import time
from typing import Optional

import torch

from qmat.engine import load_config
from qmat.utils import dump_json
from qmat.utils.machine import machine


def fingerprint(config: str, options: dict, data: dict) -> str:
    """Hash of the resolved config (with ``options``) and of the ``data`` it was trained on."""
    resolved = load_config(config, options).to_dict()
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
    dump_json(record, path, end_newline=True, indent=1, sort_keys=True)


def provenance(checkout: str) -> dict:
    """Where and with what a run was made: the commit of ``checkout`` (None outside git), machine, torch,
    date."""
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=checkout, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return dict(commit=commit, machine=machine(), torch=torch.__version__, date=time.strftime('%Y-%m-%d'))
