"""What a measurement ran on, in the words the benchmarks and records print."""
import os
import platform

import torch


def machine() -> str:
    """``x86_64, 2 CPU cores``: the architecture and the core count."""
    return f'{platform.machine()}, {os.cpu_count()} CPU cores'


def device_line(device: str) -> str:
    """``device: <GPU name or CPU cores and threads>; torch <version>; Python <version>``."""
    name = torch.cuda.get_device_name() if device.startswith('cuda') else \
        f'CPU ({os.cpu_count()} cores, {torch.get_num_threads()} threads)'
    return f'device: {name}; torch {torch.__version__}; Python {platform.python_version()}'
