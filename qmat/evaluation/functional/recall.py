"""Proposal recall, averaged over IoU thresholds (AR@N).

qmat keeps its own: mmdet's ``eval_recalls`` (``mmdet/evaluation/functional/recall.py``) builds ragged
object arrays with ``np.array`` and fails on numpy >= 1.24. The matching is the same: proposals and
annotations one to one, greedily by IoU, the best remaining pair first.
"""
from typing import List

import numpy as np

from qmat.utils import box_iou

RECALL_IOUS = np.arange(0.5, 0.951, 0.05)


def matched_ious(ious: np.ndarray) -> np.ndarray:
    """IoU at which each annotation (row) is covered when proposals (columns) are matched one to one:
    repeatedly the best remaining pair, until annotations or proposals run out (0 for the unmatched)."""
    ious = ious.copy()
    best = np.zeros(ious.shape[0])
    for _ in range(min(ious.shape)):
        row, col = np.unravel_index(np.argmax(ious), ious.shape)
        if ious[row, col] < 0:
            break
        best[row] = ious[row, col]
        ious[row, :], ious[:, col] = -1, -1
    return best


def average_recall(gts: List[np.ndarray], proposals: List[np.ndarray], num: int,
                   iou_thrs: np.ndarray = RECALL_IOUS) -> float:
    """Recall of each image's top ``num`` proposals (by score, the fifth column) over its annotations
    (corner boxes), averaged over ``iou_thrs``; NaN when no image has an annotation."""
    covered = []
    for gt, prop in zip(gts, proposals):
        if len(gt) == 0:
            continue
        top = prop[np.argsort(-prop[:, 4], kind='stable')[:num], :4] if len(prop) else np.zeros((0, 4))
        ious = box_iou(gt, top)
        covered.append(matched_ious(ious) if ious.size else np.zeros(len(gt)))
    if not covered:
        return float('nan')
    covered = np.concatenate(covered)
    return float(np.mean([(covered >= t).mean() for t in iou_thrs]))
