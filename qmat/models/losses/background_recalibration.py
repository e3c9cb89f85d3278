"""Background recalibration loss (BRL) of Zhang et al., ICASSP 2020 (arXiv 2002.05274): the baseline for
missing annotations that qmat compares SASL-RPN with.

Read from the authors' code (github.com/Dwrety/mmdetection-selective-iou,
``mmdet/ops/mirror_sigmoid_focal_loss/src/mirror_sigmoid_focal_loss_cuda.cu``), with p = sigmoid(logit):

* positive: ``-alpha (1 - p)^gamma_1 log p`` (focal loss);
* negative with ``1 - p >= thresh`` (an easy negative): ``-(1 - alpha) p^gamma_1 log(1 - p)`` (focal loss);
* negative with ``1 - p < thresh`` (the network is confident it is an object, perhaps an unannotated one):
  the mirror of the positive branch, ``-(1 - alpha) beta (1 - p)^gamma_2 log p``, which pushes the score up,
  not down.

Defaults are those of the authors' ``configs/BRL/brl_retinanet_r50_fpn_coco_50p.py``: gamma_1 = gamma_2 = 2,
alpha = 0.25, thresh = 0.5, beta = 1 (their CUDA op's own default thresh is 0.05).

The authors apply it with loss weight 0.1 only to the "confusion" anchors, those whose IoU with every
annotation is below ``confuse_iou_thr=0.1`` (their ``SelectiveIoUAssigner`` marks them
``assigned_gt_inds = -2``): far from every annotated object, where an unannotated one may be. Positives
and the normal negatives (IoU in [0.1, 0.4) with the nearest annotation) take the plain focal loss, and
no anchor is sampled. :class:`~qmat.models.dense_heads.BRLRPNHead` does the same on the RPN.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.registry import MODELS


def background_recalibration_loss(logits: torch.Tensor, targets: torch.Tensor, gamma_1: float = 2.0,
                                  gamma_2: float = 2.0, alpha: float = 0.25, thresh: float = 0.5,
                                  beta: float = 1.0) -> torch.Tensor:
    """Element-wise BRL.

    Args:
        logits: (N, C) class logits.
        targets: (N, C) one-hot (1: positive for that class, 0: negative).
        gamma_1, alpha: The focal loss's focusing and balance parameters.
        gamma_2: Focusing parameter of the mirrored (recalibrated) negatives.
        thresh: A negative is recalibrated when ``1 - p < thresh``; 0 turns recalibration off (focal loss).
        beta: Weight of the recalibrated negatives.

    Returns:
        (N, C) losses.
    """
    p = logits.sigmoid()
    log_p, log_not_p = F.logsigmoid(logits), F.logsigmoid(-logits)
    positive = targets.to(torch.bool)
    confident = (1 - p) < thresh  # a step: no gradient flows through the choice of branch
    positive_loss = -alpha * (1 - p).pow(gamma_1) * log_p
    easy_negative = -(1 - alpha) * p.pow(gamma_1) * log_not_p
    recalibrated = -(1 - alpha) * beta * (1 - p).pow(gamma_2) * log_p
    return torch.where(positive, positive_loss, torch.where(confident, recalibrated, easy_negative))


@MODELS.register_module()
class BackgroundRecalibrationLoss(nn.Module):
    """BRL in mmdet's sigmoid-loss interface (as FocalLoss: label indices, ``num_classes`` = background).

    Args:
        use_sigmoid: Must be True; mmdet's heads read it from the config to output one logit per class.
        gamma_1: Focusing parameter of positives and easy negatives.
        gamma_2: Focusing parameter of the recalibrated negatives.
        alpha: Balance of positives (negatives get 1 - alpha).
        thresh: Confusion threshold on 1 - p, in [0, 1]; 0 disables recalibration.
        beta: Weight of the recalibrated negatives, >= 0.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: Weight of the loss.
    """

    def __init__(self, use_sigmoid: bool = True, gamma_1: float = 2.0, gamma_2: float = 2.0,
                 alpha: float = 0.25, thresh: float = 0.5, beta: float = 1.0, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not use_sigmoid:
            raise ValueError('BackgroundRecalibrationLoss.use_sigmoid must be True (a sigmoid loss)')
        if not 0 <= thresh <= 1:
            raise ValueError(f'BackgroundRecalibrationLoss.thresh must be in [0, 1], got {thresh}')
        if not 0 <= alpha <= 1:
            raise ValueError(f'BackgroundRecalibrationLoss.alpha must be in [0, 1], got {alpha}')
        if beta < 0 or gamma_1 < 0 or gamma_2 < 0:
            raise ValueError('BackgroundRecalibrationLoss.beta, gamma_1 and gamma_2 must be >= 0, got '
                             f'{beta}, {gamma_1}, {gamma_2}')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f"BackgroundRecalibrationLoss.reduction must be 'none', 'mean' or 'sum', "
                             f'got {reduction!r}')
        self.use_sigmoid = True
        self.gamma_1, self.gamma_2, self.alpha, self.thresh, self.beta = gamma_1, gamma_2, alpha, thresh, beta
        self.reduction, self.loss_weight = reduction, loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None) -> torch.Tensor:
        """Loss of ``pred`` (N, C) logits against ``target``: (N,) labels in [0, C] (C: background) or
        (N, C) one-hot; ``weight`` per sample (N,) or per element."""
        reduction = reduction_override or self.reduction
        if pred.dim() == 1:  # mmdet's RPN passes one logit per anchor
            pred = pred[:, None]
        if target.dim() == pred.dim():
            onehot = target.to(pred.dtype)
        else:
            onehot = F.one_hot(target.long(), num_classes=pred.size(1) + 1)[:, :pred.size(1)].to(pred.dtype)
        loss = background_recalibration_loss(pred, onehot, self.gamma_1, self.gamma_2, self.alpha,
                                             self.thresh, self.beta)
        if weight is not None:
            weight = weight.view(-1, 1) if weight.numel() == loss.size(0) else weight.view_as(loss)
        return self.loss_weight * weight_reduce_loss(loss, weight, reduction, avg_factor)
