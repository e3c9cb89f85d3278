from .checkpoint import (
                         PlainCheckpointHook,
                         UnsafeCheckpointError,
                         load_local_checkpoint,
                         register_safe_checkpoint_types,
)
from .config import check_dataset_files, load_config, set_data_root
from .distributed import setup_cpu_distributed
from .record_proposals_hook import RecordProposalsHook
from .runner import build_runner, load_run_config, set_work_dir

__all__ = [
    'PlainCheckpointHook', 'UnsafeCheckpointError', 'load_local_checkpoint',
    'register_safe_checkpoint_types', 'RecordProposalsHook', 'check_dataset_files', 'load_config',
    'set_data_root', 'setup_cpu_distributed', 'build_runner', 'load_run_config', 'set_work_dir'
]
