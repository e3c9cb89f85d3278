"""SASL-RPN: the Self-Attention and Soft-Labeling RPN head of Nguyen et al. (the method of qmat).

Eq. 4 of the paper::

    F_c = G_share(F_s)      (the RPN's shared 3x3 conv)
    F_reg = G_reg(F_c)      (1x1: anchor deltas)
    F_e = G_e(F_c)          (1x1: one D-dim embedding per anchor, na x D channels)
    F_cls = G_cls(F_e)      (grouped 1x1: each anchor's objectness logit from its own embedding)

Training (Eq. 5 and the piecewise L_neg): among the anchors that mmdet's sampler picks for the RPN loss,
each negative attends to the positives through its embedding; a negative whose largest attention reaches the
threshold t is a suspected unannotated flake and is trained towards that attention instead of 0
(:func:`~qmat.models.losses.attention_soft_labels`). Inference is RPNHead's: no attention.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptInstanceList
from torch import Tensor

from ..losses import attention_soft_labels

SCOPES = ('image', 'batch')


@MODELS.register_module()
class SASLRPNHead(RPNHead):
    """RPNHead whose objectness comes from per-anchor embeddings, trained with attention soft labels.

    Args:
        in_channels: Channels of the input feature maps.
        threshold: t in (0, 1]: a negative gets a soft label when its largest attention is >= t.
        embed_dims: D, the embedding size per anchor (the paper: 256).
        temperature: tau > 0 of the attention softmax (the paper's formula: 1).
        scope: ``'image'``: each negative attends to the positives of its own image; ``'batch'``: to all
            positives of the batch.
        **kwargs: RPNHead's arguments (anchor generator, losses, ...).
    """

    def __init__(self, in_channels: int, threshold: float = 0.8, embed_dims: int = 256,
                 temperature: float = 1.0, scope: str = 'image', **kwargs) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f'SASLRPNHead.threshold must be in (0, 1], got {threshold}')
        if not (isinstance(embed_dims, int) and embed_dims > 0):
            raise ValueError(f'SASLRPNHead.embed_dims must be a positive integer, got {embed_dims}')
        if not temperature > 0:
            raise ValueError(f'SASLRPNHead.temperature must be > 0, got {temperature}')
        if scope not in SCOPES:
            raise ValueError(f'SASLRPNHead.scope must be one of {SCOPES}, got {scope!r}')
        self.threshold, self.embed_dims = threshold, embed_dims
        self.temperature, self.scope = temperature, scope
        super().__init__(in_channels, **kwargs)
        if not self.use_sigmoid_cls:
            raise ValueError('SASLRPNHead needs loss_cls with use_sigmoid=True (soft binary targets)')

    def _init_layers(self) -> None:
        super()._init_layers()
        anchors = self.num_base_priors
        del self.rpn_cls  # replaced by G_e + G_cls
        self.rpn_embed = nn.Conv2d(self.feat_channels, anchors * self.embed_dims, 1)  # G_e
        self.rpn_cls = nn.Conv2d(anchors * self.embed_dims, anchors, 1, groups=anchors)  # G_cls

    def forward_single(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Objectness logits (N, na, H, W), deltas (N, na * 4, H, W) and embeddings (N, na * D, H, W)."""
        features = F.relu(self.rpn_conv(x))
        embeddings = self.rpn_embed(features)
        return self.rpn_cls(embeddings), self.rpn_reg(features), embeddings

    def predict_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                        embeddings: Optional[List[Tensor]] = None, *args, **kwargs) -> InstanceList:
        """RPNHead's proposals; mmdet passes forward's outputs positionally, so the embeddings (third
        output) arrive here and are dropped instead of landing in ``score_factors``."""
        kwargs.pop('score_factors', None)
        return super().predict_by_feat(cls_scores, bbox_preds, None, *args, **kwargs)

    def _flat_embeddings(self, embeddings: List[Tensor]) -> Tensor:
        """(N, total anchors, D) in mmdet's anchor order: location-major, base anchor minor."""
        flat = []
        for level in embeddings:
            n, _, h, w = level.shape
            flat.append(level.view(n, self.num_base_priors, self.embed_dims, h, w)
                        .permute(0, 3, 4, 1, 2).reshape(n, h * w * self.num_base_priors, self.embed_dims))
        return torch.cat(flat, dim=1)

    def soft_targets(self, labels: Tensor, weights: Tensor, embeddings: Tensor) -> Tuple[Tensor, dict]:
        """Objectness targets of all anchors (N, A): 1 on sampled positives, soft labels on negatives.

        Returns:
            (targets, statistics of the soft labels for the log).
        """
        sampled = weights > 0
        positive = sampled & (labels == 0)
        negative = sampled & (labels == self.num_classes)
        targets = positive.float()
        best_attention = []
        groups = [slice(None)] if self.scope == 'batch' else [slice(i, i + 1) for i in range(len(labels))]
        for group in groups:
            neg, pos = negative[group], positive[group]
            # threshold 0 returns max_j A_ij for every negative, so that the log can show its mean
            best = attention_soft_labels(embeddings[group][neg].detach(), embeddings[group][pos].detach(),
                                         0.0, self.temperature)
            targets[group][neg] = torch.where(best >= self.threshold, best, torch.zeros_like(best))
            best_attention.append(best)
        best = torch.cat(best_attention)
        # logged next to the losses: how many sampled negatives got a soft label, and their mean max_j A_ij
        stats = dict(sasl_soft_labels=(best >= self.threshold).sum().float(),
                     sasl_max_attention=best.mean() if best.numel() else best.new_zeros(()))
        return targets, stats

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor], embeddings: List[Tensor],
                     batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """RPN losses with soft objectness targets on the sampled negatives."""
        featmap_sizes = [score.size()[-2:] for score in cls_scores]
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, batch_img_metas,
                                                        device=cls_scores[0].device)
        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list,
         avg_factor) = self.get_targets(anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
                                        batch_gt_instances_ignore=batch_gt_instances_ignore)
        num_imgs = len(batch_img_metas)
        labels = torch.cat(labels_list, dim=1)
        weights = torch.cat(label_weights_list, dim=1)
        scores = torch.cat([s.permute(0, 2, 3, 1).reshape(num_imgs, -1) for s in cls_scores], dim=1)
        targets, stats = self.soft_targets(labels, weights, self._flat_embeddings(embeddings))
        sampled = weights > 0
        loss_cls = self.loss_cls(scores[sampled], targets[sampled], weights[sampled], avg_factor=avg_factor)

        deltas = torch.cat([p.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.bbox_coder.encode_size)
                            for p in bbox_preds], dim=1).reshape(-1, self.bbox_coder.encode_size)
        bbox_targets = torch.cat(bbox_targets_list, dim=1).reshape(-1, deltas.size(-1))
        bbox_weights = torch.cat(bbox_weights_list, dim=1).reshape(-1, deltas.size(-1))
        if self.reg_decoded_bbox:
            anchors = torch.cat([torch.cat(a) for a in anchor_list]).reshape(-1, 4)
            deltas = self.bbox_coder.decode(anchors, deltas)
        loss_bbox = self.loss_bbox(deltas, bbox_targets, bbox_weights, avg_factor=avg_factor)
        return dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_bbox, **stats)
