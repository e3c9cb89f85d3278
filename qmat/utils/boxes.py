"""COCO boxes (x, y, width, height) in the corner form (x1, y1, x2, y2) that mmdet computes with, and
their overlaps by mmdet's ``bbox_overlaps``."""
from typing import Sequence

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps


def xywh_to_xyxy(boxes: Sequence[Sequence[float]]) -> torch.Tensor:
    """(N, 4) float tensor of corner boxes from N COCO ``bbox`` lists (N may be 0)."""
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return torch.cat([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], dim=1)


def _tensor(boxes) -> torch.Tensor:
    return torch.as_tensor(np.asarray(boxes, dtype=np.float32)).reshape(-1, 4)


def box_iou(boxes: Sequence[Sequence[float]], others: Sequence[Sequence[float]],
            mode: str = 'iou') -> np.ndarray:
    """(N, M) IoU of corner boxes (lists, arrays or tensors), or with ``mode='iof'`` the intersection over
    each of ``boxes``' area; an empty side gives an empty matrix."""
    boxes, others = _tensor(boxes), _tensor(others)
    if not len(boxes) or not len(others):
        return np.zeros((len(boxes), len(others)), dtype=np.float32)
    return bbox_overlaps(boxes, others, mode=mode).numpy()


def box_iom(boxes: Sequence[Sequence[float]], others: Sequence[Sequence[float]]) -> np.ndarray:
    """(N, M) intersection over the smaller of the two areas: the larger of the two IoFs."""
    return np.maximum(box_iou(boxes, others, 'iof'), box_iou(others, boxes, 'iof').T)
