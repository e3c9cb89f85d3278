"""The methods that the study and Table 1 compare, each with its configs: the one table both use.

Config paths are relative to a config root (a qmat checkout's top folder) that the caller passes in.
"""
from dataclasses import dataclass
from typing import Dict, Optional


@dataclass(frozen=True)
class Method:
    """One row of a comparison.

    Args:
        cpu: The CPU-sized config (250 iterations on 256 px synthetic scenes), relative to the config root.
        paper: The paper-scale config, ``{material}`` in its path, or None when Table 1 has no such row.
        label: The name in Table 1.
        oracle: A diagnostic that knows the removed flakes, not a method: with nothing removed it is the
            baseline, so it is not run at 0 %.
    """
    cpu: str
    paper: Optional[str] = None
    label: Optional[str] = None
    oracle: bool = False


def _cpu(name: str) -> str:
    return f'configs/synthetic/mask-rcnn_r18_fpn_{name}250i_synthetic.py'


def _paper(group: str, name: str) -> str:
    return f'configs/{group}/mask-rcnn_r101_fpn_{name}10k_{{material}}.py'


METHODS: Dict[str, Method] = {
    'baseline': Method(_cpu(''), _paper('baseline', ''), 'Baseline'),
    'ohem': Method(_cpu('ohem_'), _paper('ohem', 'ohem_'), 'OHEM'),
    'brl': Method(_cpu('brl_'), _paper('brl', 'brl_'), 'BRL'),
    'brl-focal': Method(_cpu('brl-focal_')),
    'sasl-head': Method(_cpu('sasl-head_')),
    'sasl-t0.6': Method(_cpu('sasl-t0.6_'), _paper('sasl', 'sasl-t0.6_'), 'SASL (t = 0.6)'),
    'sasl-t0.8': Method(_cpu('sasl-t0.8_'), _paper('sasl', 'sasl-t0.8_'), 'SASL (t = 0.8)'),
    'sasl-t0.9': Method(_cpu('sasl-t0.9_'), _paper('sasl', 'sasl-t0.9_'), 'SASL (t = 0.9)'),
    'sasl-dot-t0.6': Method(_cpu('sasl-dot-t0.6_')),
    'sasl-dot-t0.8': Method(_cpu('sasl-dot-t0.8_')),
    'sasl-scaled-t0.6': Method(_cpu('sasl-scaled-t0.6_')),
    'sasl-scaled-t0.8': Method(_cpu('sasl-scaled-t0.8_')),
    'sasl-qmat-t0.8': Method(_cpu('sasl-qmat-t0.8_')),
    'oracle-rpn': Method(_cpu('oracle-rpn_'), oracle=True),
    'oracle-rpn-pos': Method(_cpu('oracle-rpn-pos_'), oracle=True),
    'oracle-rcnn': Method(_cpu('oracle-rcnn_'), oracle=True),
}
STUDY_METHODS = {name: method.cpu for name, method in METHODS.items()}
ORACLES = tuple(name for name, method in METHODS.items() if method.oracle)
TABLE1_METHODS = tuple(name for name, method in METHODS.items() if method.paper)


def in_matrix(method: str, fraction: float) -> bool:
    """Whether the study runs ``method`` at ``fraction`` missing (oracles only where something is)."""
    return not (method in ORACLES and fraction == 0)
