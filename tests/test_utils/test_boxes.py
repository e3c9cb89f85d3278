"""Box helpers: COCO boxes to corners, and IoU / intersection over the smaller box, against direct sums."""
import numpy as np
import pytest
import torch

from qmat.utils import box_iom, box_iou, xywh_to_xyxy


def test_coco_boxes_to_corners():
    np.testing.assert_array_equal(xywh_to_xyxy([[1, 2, 3, 4]]).numpy(), [[1, 2, 4, 6]])
    assert xywh_to_xyxy([]).shape == (0, 4)


def test_box_overlaps_against_a_direct_computation():
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0, 50, (7, 2)), rng.uniform(0, 50, (5, 2))
    a, b = np.hstack([a, a + rng.uniform(1, 30, (7, 2))]), np.hstack([b, b + rng.uniform(1, 30, (5, 2))])
    for i in range(7):
        for j in range(5):
            w = max(0.0, min(a[i, 2], b[j, 2]) - max(a[i, 0], b[j, 0]))
            h = max(0.0, min(a[i, 3], b[j, 3]) - max(a[i, 1], b[j, 1]))
            area_a = (a[i, 2] - a[i, 0]) * (a[i, 3] - a[i, 1])
            area_b = (b[j, 2] - b[j, 0]) * (b[j, 3] - b[j, 1])
            assert box_iou(a, b)[i, j] == pytest.approx(w * h / (area_a + area_b - w * h), rel=1e-5)
            assert box_iom(a, b)[i, j] == pytest.approx(w * h / min(area_a, area_b), rel=1e-5)


def test_empty_sides_give_empty_matrices():
    assert box_iou([], [[0, 0, 1, 1]]).shape == (0, 1) and box_iom([[0, 0, 1, 1]], []).shape == (1, 0)
    assert box_iou(torch.tensor([[0, 0, 2, 2]]), [[1, 1, 3, 3]])[0, 0] == pytest.approx(1 / 7)
