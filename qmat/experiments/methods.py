"""The methods that the study and Table 1 compare, each with its configs: the one table both use.

Config paths are relative to a config root (a qmat checkout's top folder) that the caller passes in.
A study runs in a regime (:mod:`.regimes`): the CPU regime of 256 x 256 scenes and 250 iterations
(``cpu``), or the paper's data statistics (``paper_stats``).
"""
from dataclasses import dataclass
from typing import Dict, Optional


@dataclass(frozen=True)
class Method:
    """One row of a comparison.

    Args:
        cpu: The CPU-sized config (250 iterations on 256 px synthetic scenes), relative to the config root,
            or None when the CPU regime has no such row.
        paper: The paper-scale config, ``{material}`` in its path, or None when Table 1 has no such row.
        label: The name in Table 1.
        paper_stats: The config in the regime of the paper's data statistics (``paper-graphene``), or None.
        oracle: A diagnostic that knows the removed flakes, not a method: with nothing removed it is the
            baseline, so it is not run at 0 %.
    """
    cpu: Optional[str]
    paper: Optional[str] = None
    label: Optional[str] = None
    paper_stats: Optional[str] = None
    oracle: bool = False


def _cpu(name: str) -> str:
    return f'configs/synthetic/mask-rcnn_r18_fpn_{name}250i_synthetic.py'


# the schedule of the paper-statistics regime's configs: where the baseline's learning curves reach their
# plateaus (docs/method.md)
PAPER_STATS_ITERS = 5500


def _paper_stats(name: str) -> str:
    return f'configs/synthetic/mask-rcnn_r18_fpn_{name}{PAPER_STATS_ITERS}i_paper-graphene.py'


def _paper(group: str, name: str) -> str:
    return f'configs/{group}/mask-rcnn_r101_fpn_{name}10k_{{material}}.py'


METHODS: Dict[str, Method] = {
    'baseline': Method(_cpu(''), _paper('baseline', ''), 'Baseline', _paper_stats('')),
    'ohem': Method(_cpu('ohem_'), _paper('ohem', 'ohem_'), 'OHEM', _paper_stats('ohem_')),
    'brl': Method(_cpu('brl_'), _paper('brl', 'brl_'), 'BRL', _paper_stats('brl_')),
    'brl-focal': Method(_cpu('brl-focal_')),
    'sasl-head': Method(_cpu('sasl-head_'), paper_stats=_paper_stats('sasl-head_')),
    'sasl-t0.6': Method(_cpu('sasl-t0.6_'), _paper('sasl', 'sasl-t0.6_'), 'SASL (t = 0.6)'),
    'sasl-t0.8': Method(_cpu('sasl-t0.8_'), _paper('sasl', 'sasl-t0.8_'), 'SASL (t = 0.8)',
                        _paper_stats('sasl-t0.8_')),
    'sasl-t0.9': Method(_cpu('sasl-t0.9_'), _paper('sasl', 'sasl-t0.9_'), 'SASL (t = 0.9)'),
    'sasl-dot-t0.6': Method(_cpu('sasl-dot-t0.6_')),
    'sasl-dot-t0.8': Method(_cpu('sasl-dot-t0.8_')),
    'sasl-scaled-t0.6': Method(_cpu('sasl-scaled-t0.6_')),
    'sasl-scaled-t0.8': Method(_cpu('sasl-scaled-t0.8_')),
    'sasl-qmat-t0.8': Method(_cpu('sasl-qmat-t0.8_')),
    'oracle-rpn': Method(_cpu('oracle-rpn_'), oracle=True),
    'oracle-rpn-pos': Method(_cpu('oracle-rpn-pos_'), oracle=True),
    'oracle-rcnn': Method(_cpu('oracle-rcnn_'), oracle=True),
    'self-training': Method(None, paper_stats=_paper_stats('self-training_')),
    'self-training-boxes': Method(None, paper_stats=_paper_stats('self-training-boxes_')),
    'self-training-classes': Method(None, paper_stats=_paper_stats('self-training-classes_')),
    'self-training-classes+sasl-t0.8': Method(
        None, paper_stats=_paper_stats('self-training-classes_sasl-t0.8_')),
    'self-training-classes+brl': Method(None, paper_stats=_paper_stats('self-training-classes_brl_')),
}
STUDY_METHODS = {name: method.cpu for name, method in METHODS.items() if method.cpu}
PAPER_STATS_METHODS = {name: method.paper_stats for name, method in METHODS.items() if method.paper_stats}
ORACLES = tuple(name for name, method in METHODS.items() if method.oracle)
TABLE1_METHODS = tuple(name for name, method in METHODS.items() if method.paper)


def in_matrix(method: str, fraction: float) -> bool:
    """Whether the study runs ``method`` at ``fraction`` missing (oracles only where something is)."""
    return not (method in ORACLES and fraction == 0)
