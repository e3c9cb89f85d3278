"""Distributed training on machines without a GPU (torchrun + gloo).

mmengine 0.10.7 cannot run DDP on a CPU-only torch: its ``init_dist`` calls ``torch.cuda.set_device`` and
its default DDP wrapper passes ``device_ids=[LOCAL_RANK]``. On such a machine qmat opens the gloo process
group itself before the Runner is built (the Runner then skips its own init) and wraps the model without
``device_ids``. With a GPU nothing here runs and mmengine's NCCL path is used unchanged.
"""
import atexit
import gc
from datetime import timedelta

import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare ``cfg`` (launched by torchrun) for gloo DDP when no GPU is available.

    Returns:
        Whether the CPU path was taken.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if not dist.is_initialized():
        timeout = dist_cfg.get('timeout', 1800)
        dist.init_process_group('gloo', timeout=timedelta(seconds=timeout))
        # A gloo group torn down during interpreter finalization aborts rank 0 now and then (SIGABRT,
        # "terminate called without an active exception"; torch 2.13): close it while Python is alive.
        atexit.register(close_process_group)
    wrapper = dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                   find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.update(cfg.get('model_wrapper_cfg') or {})
    wrapper['device_ids'] = None  # CPU modules take no device ids
    cfg.model_wrapper_cfg = wrapper
    return True


def close_process_group() -> None:
    """Free what still holds the default process group (the DDP wrapper, in the Runner's reference
    cycles), then close the group if it is still open: destroying the group alone leaves it alive inside
    DDP until finalization."""
    gc.collect()
    if dist.is_initialized():
        dist.destroy_process_group()
