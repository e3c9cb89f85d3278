"""The CPU (gloo) DDP set-up that replaces mmengine's CUDA-only init."""
import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config

from qmat.engine import setup_cpu_distributed


def test_not_distributed_leaves_config_alone():
    cfg = Config(dict(launcher='none'))
    assert setup_cpu_distributed(cfg) is False
    assert 'model_wrapper_cfg' not in cfg


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU path is taken only without a GPU')
def test_cpu_launch_opens_gloo_and_drops_device_ids(monkeypatch):
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', '29533')
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('WORLD_SIZE', '1')
    monkeypatch.setenv('LOCAL_RANK', '0')
    at_exit = []
    monkeypatch.setattr('atexit.register', at_exit.append)
    cfg = Config(dict(launcher='pytorch', env_cfg=dict(dist_cfg=dict(backend='nccl')),
                      model_wrapper_cfg=dict(find_unused_parameters=True), find_unused_parameters=False))
    try:
        assert setup_cpu_distributed(cfg) is True
        assert dist.is_initialized() and dist.get_backend() == 'gloo'
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                                             find_unused_parameters=True, device_ids=None)
        # gloo's threads must not outlive the interpreter: the group is closed at exit
        assert len(at_exit) == 1
        at_exit[0]()
        assert not dist.is_initialized()
        at_exit[0]()  # a group already closed (e.g. by the user) is left alone
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
