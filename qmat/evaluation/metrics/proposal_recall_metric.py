"""RPN proposal recall (AR@100, AR@1000) as an evaluator metric, next to ``CocoMetric``."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric

from ..functional import average_recall


@METRICS.register_module()
class ProposalRecallMetric(BaseMetric):
    """Average recall of the RPN's proposals over IoU 0.5:0.95 at each proposal number.

    Reads each data sample's ``proposals`` (what :class:`~qmat.engine.RecordProposalsHook` attaches to a
    two-stage detector's outputs) or, for an RPN-only detector, its ``pred_instances``; both in original
    image coordinates. The annotations are the sample's ``gt_instances`` (the test pipeline must load
    them: ``LoadAnnotations`` after ``Resize``, as in qmat's configs), ignored instances left out.

    Args:
        proposal_nums: The N of each AR@N.
        collect_device: Where results are gathered across ranks ('cpu' or 'gpu').
        prefix: Prefix of the metric names (default ``rpn``: ``rpn/AR@100``).
    """
    default_prefix: Optional[str] = 'rpn'

    def __init__(self, proposal_nums: Sequence[int] = (100, 1000), collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not proposal_nums or any(int(n) < 1 for n in proposal_nums):
            raise ValueError(f'ProposalRecallMetric: proposal_nums must be positive, got {proposal_nums}')
        self.proposal_nums = tuple(int(n) for n in proposal_nums)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            found = sample.get('proposals', sample.get('pred_instances'))
            if found is None:
                raise KeyError('ProposalRecallMetric: a data sample has neither proposals nor '
                               'pred_instances (a two-stage detector needs RecordProposalsHook)')
            gt = sample['gt_instances']['bboxes']
            boxes, scores = found['bboxes'], found['scores']
            self.results.append((np.asarray(gt.cpu() if hasattr(gt, 'cpu') else gt).reshape(-1, 4),
                                 np.hstack([np.asarray(boxes.cpu()).reshape(-1, 4),
                                            np.asarray(scores.cpu()).reshape(-1, 1)])))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        gts, proposals = [r[0] for r in results], [r[1] for r in results]
        return {f'AR@{n}': average_recall(gts, proposals, n) for n in self.proposal_nums}
