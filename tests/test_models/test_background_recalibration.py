"""BackgroundRecalibrationLoss against a hand computation, and equal to focal loss without recalibration."""
import math

import pytest
import torch
from mmdet.models.losses import FocalLoss
from mmdet.registry import MODELS

import qmat  # noqa: F401  (registers the loss)
from qmat.models import BackgroundRecalibrationLoss


def by_hand(logit, positive, gamma_1=2.0, gamma_2=2.0, alpha=0.25, thresh=0.5, beta=1.0):
    p = 1 / (1 + math.exp(-logit))
    if positive:
        return -alpha * (1 - p) ** gamma_1 * math.log(p)
    if 1 - p >= thresh:  # easy negative: focal loss
        return -(1 - alpha) * p ** gamma_1 * math.log(1 - p)
    return -(1 - alpha) * beta * (1 - p) ** gamma_2 * math.log(p)  # confident negative: mirrored


@pytest.mark.parametrize('logit', [-4.0, -1.0, -0.2, 0.1, 0.7, 2.5, 6.0])
@pytest.mark.parametrize('params', [dict(), dict(gamma_1=1.0, gamma_2=3.0, alpha=0.4, thresh=0.3, beta=0.5),
                                    dict(thresh=0.9, beta=2.0)])
def test_matches_the_hand_computation_on_both_sides_of_the_threshold(logit, params):
    loss = BackgroundRecalibrationLoss(**params, reduction='none')
    pred = torch.tensor([[logit], [logit]], dtype=torch.float64)
    labels = torch.tensor([0, 1])  # positive, background (label num_classes = 1)
    values = loss(pred, labels).flatten().tolist()
    assert values[0] == pytest.approx(by_hand(logit, True, **params), rel=1e-9)
    assert values[1] == pytest.approx(by_hand(logit, False, **params), rel=1e-9)


def test_confident_negatives_are_pushed_up_not_down():
    loss = BackgroundRecalibrationLoss(reduction='sum')
    confident = torch.tensor([[2.0]], requires_grad=True)  # p = 0.88: 1 - p < 0.5
    loss(confident, torch.tensor([1])).backward()
    assert confident.grad.item() < 0  # gradient descent raises the logit, as for a positive
    easy = torch.tensor([[-2.0]], requires_grad=True)
    loss(easy, torch.tensor([1])).backward()
    assert easy.grad.item() > 0


@pytest.mark.parametrize('classes', [1, 3])
def test_equals_focal_loss_without_recalibration(classes):
    torch.manual_seed(0)
    pred = torch.randn(50, classes) * 3
    labels = torch.randint(0, classes + 1, (50,))
    weight = torch.rand(50)
    ours = BackgroundRecalibrationLoss(thresh=0.0, loss_weight=2.0)(pred, labels, weight, avg_factor=17.0)
    focal = FocalLoss(use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0)(pred, labels, weight,
                                                                                 avg_factor=17.0)
    torch.testing.assert_close(ours, focal)


def test_registered_and_usable_as_the_rpn_loss():
    loss = MODELS.build(dict(type='BackgroundRecalibrationLoss', loss_weight=1.0))
    assert loss.use_sigmoid
    value = loss(torch.randn(8, 1), torch.tensor([0, 1, 1, 1, 0, 1, 1, 1]), torch.ones(8), avg_factor=8)
    assert value.ndim == 0 and value > 0


@pytest.mark.parametrize('key,value', [('thresh', 1.5), ('alpha', -0.1), ('beta', -1.0),
                                       ('use_sigmoid', False),
                                       ('reduction', 'avg')])
def test_bad_values(key, value):
    with pytest.raises(ValueError, match=f'BackgroundRecalibrationLoss.*{key}'):
        BackgroundRecalibrationLoss(**{key: value})
