"""The regimes a study runs in: its data, schedule and the config of each method there.

``cpu`` is the first study's: 64 + 16 synthetic 256 x 256 scenes of about nine flakes, 250 iterations
(configs/synthetic/*_250i_synthetic.py). ``paper-graphene`` holds the SASL-RPN paper's data statistics
at a CPU-sized resolution (:data:`~qmat.datasets.synthetic.presets.PRESETS` ``paper-graphene``: 5.6 flake
regions per 384 x 204 image), 256 training and 128 validation images, and a schedule to be chosen from the
baseline's learning curve (``curves``; :mod:`.learning_curve`).
"""
from dataclasses import dataclass, field
from typing import Dict

from .methods import PAPER_STATS_METHODS, STUDY_METHODS
from .study import Study


@dataclass(frozen=True)
class Regime:
    """A study's setting. Args: ``study``: the :class:`~.study.Study` fields it sets; ``curves``: the
    learning-curve config of its baseline and of other methods (relative to the config root)."""
    study: Dict = field(default_factory=dict)
    curves: Dict[str, str] = field(default_factory=dict)


REGIMES: Dict[str, Regime] = {
    'cpu': Regime(dict(methods=tuple(STUDY_METHODS), configs=dict(STUDY_METHODS))),
    'paper-graphene': Regime(
        dict(data='data/study-paper-graphene', work_root='work_dirs/study-paper-graphene',
             results='docs/missing_study/paper-graphene', preset='paper-graphene', train=256, val=128,
             methods=tuple(PAPER_STATS_METHODS), configs=dict(PAPER_STATS_METHODS)),
        curves={name: f'configs/synthetic/mask-rcnn_r18_fpn_{stem}-curve_paper-graphene.py'
                for name, stem in (('baseline', '6000i'), ('self-training', 'self-training_4000i'))}),
}


def regime_study(name: str, **fields) -> Study:
    """The :class:`~.study.Study` of regime ``name``, with ``fields`` (those not None) over it."""
    return Study(**{**REGIMES[name].study, **{k: v for k, v in fields.items() if v is not None}})
