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

What the paper leaves open, decided by measurement (docs/method.md, ``tools/analysis/audit_soft_labels.py``
on synthetic data with 50 % of the flakes removed and known): the paper's formula (``keys='anchors',
background=False``, tau 1) gives every negative of an image with a single positive anchor the target 1, and
no attention setting (keys, background key, scope, tau 0.05-1, a cosine G_cls) ranks the negatives on the
removed flakes above the background ones much better than chance (ROC AUC 0.49-0.61; the RPN's own
objectness: 0.79-0.84). The defaults are therefore the setting that does not fire on background: one
prototype per annotated flake and a background key (tau 1, per image), which rarely fires (a few soft
labels in 64 images at t = 0.8). ``keys='anchors', background=False, temperature=1, scope='image'`` is
exactly the paper's formula.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.dense_heads import RPNHead
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.structures import InstanceData
from torch import Tensor

from ..losses import attention_soft_labels, instance_prototypes

SCOPES = ('image', 'batch')
KEYS = ('anchors', 'instances')


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
        keys: What a negative attends to: ``'anchors'``, every sampled positive anchor (the paper's
            formula), or ``'instances'`` (default), one prototype per annotated flake (the mean normalised
            embedding of its positive anchors), so that a flake covered by many anchors is one candidate.
        cosine_cls: Apply G_cls to the L2-normalised embeddings (a cosine classifier whose scale is the
            norm of its weights), so that objectness training acts on the directions the attention compares
            (with the plain G_cls only the direction of its weights is trained). Measured in docs/method.md:
            it did not make the attention single out unannotated flakes.
        background: Add a background key (the mean normalised embedding of the sampled negatives) to the
            softmax (default; the paper has none): a negative must then look more like a flake than like the
            background to score high, and a lone positive no longer takes all the attention.
        **kwargs: RPNHead's arguments (anchor generator, losses, ...).
    """

    def __init__(self, in_channels: int, threshold: float = 0.8, embed_dims: int = 256,
                 temperature: float = 1.0, scope: str = 'image', keys: str = 'instances',
                 cosine_cls: bool = False, background: bool = True, **kwargs) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f'SASLRPNHead.threshold must be in (0, 1], got {threshold}')
        if not (isinstance(embed_dims, int) and embed_dims > 0):
            raise ValueError(f'SASLRPNHead.embed_dims must be a positive integer, got {embed_dims}')
        if not temperature > 0:
            raise ValueError(f'SASLRPNHead.temperature must be > 0, got {temperature}')
        if scope not in SCOPES:
            raise ValueError(f'SASLRPNHead.scope must be one of {SCOPES}, got {scope!r}')
        if keys not in KEYS:
            raise ValueError(f'SASLRPNHead.keys must be one of {KEYS}, got {keys!r}')
        self.threshold, self.embed_dims = threshold, embed_dims
        self.temperature, self.scope, self.keys, self.background = temperature, scope, keys, background
        self.cosine_cls = cosine_cls
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
        if self.cosine_cls:
            n, _, h, w = embeddings.shape
            unit = F.normalize(embeddings.view(n, self.num_base_priors, self.embed_dims, h, w), dim=2)
            return self.rpn_cls(unit.view_as(embeddings)), self.rpn_reg(features), embeddings
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

    def _get_targets_single(self, flat_anchors: Tensor, valid_flags: Tensor, gt_instances: InstanceData,
                            img_meta: dict, gt_instances_ignore: Optional[InstanceData] = None,
                            unmap_outputs: bool = True) -> tuple:
        """AnchorHead's targets plus, per anchor, the index of the annotation a sampled positive was assigned
        to (-1 elsewhere): the instance prototypes need it. mmdet's get_targets returns such extra outputs
        split by level after its own."""
        results = super()._get_targets_single(flat_anchors, valid_flags, gt_instances, img_meta,
                                              gt_instances_ignore, unmap_outputs)
        sampling_result = results[-1]
        inside = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                     self.train_cfg['allowed_border'])
        positions = sampling_result.pos_inds  # among the anchors inside the image
        if unmap_outputs:
            size, positions = len(flat_anchors), inside.nonzero().squeeze(1)[positions]
        else:
            size = int(inside.sum())
        instances = flat_anchors.new_full((size,), -1, dtype=torch.long)
        instances[positions] = sampling_result.pos_assigned_gt_inds
        return results + (instances,)

    def soft_targets(self, labels: Tensor, weights: Tensor, embeddings: Tensor,
                     instances: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Objectness targets of all anchors (N, A): 1 on sampled positives, soft labels on negatives.

        Args:
            labels, weights: (N, A) from ``get_targets`` (label 0: positive, ``num_classes``: background).
            embeddings: (N, A, D).
            instances: (N, A) annotation index of each sampled positive, -1 elsewhere (``keys='instances'``).

        Returns:
            (targets, max_j A_ij of each sampled negative and 0 elsewhere), both (N, A).
        """
        sampled = weights > 0
        positive = sampled & (labels == 0)
        negative = sampled & (labels == self.num_classes)
        if self.keys == 'instances':
            if instances is None:
                raise ValueError("SASLRPNHead.keys='instances' needs the positives' instance indices")
            # ids unique over the batch: image i's annotations count from i * A
            instances = instances + torch.arange(len(labels), device=labels.device)[:, None] * labels.shape[1]
        best = embeddings.new_zeros(labels.shape, dtype=torch.float32)
        groups = [slice(None)] if self.scope == 'batch' else [slice(i, i + 1) for i in range(len(labels))]
        for group in groups:
            neg, pos = negative[group], positive[group]
            keys, queries = embeddings[group][pos].detach(), embeddings[group][neg].detach()
            if self.keys == 'instances' and len(keys):
                keys = instance_prototypes(keys, instances[group][pos])
            background = None
            if self.background and len(queries):
                background = F.normalize(queries, dim=1).mean(dim=0, keepdim=True)
            # threshold 0 gives max_j A_ij of every negative: the log shows its mean
            best[group][neg] = attention_soft_labels(queries, keys, 0.0, self.temperature, background)
        targets = torch.where(negative & (best >= self.threshold), best, positive.float())
        return targets, best

    def negatives_on(self, anchors: Tensor, negative: Tensor, batch_boxes: List[Tensor]) -> Tensor:
        """(N, A) mask of the sampled negatives that a complete annotation would not call background:
        IoU >= the assigner's ``neg_iou_thr`` with one of ``batch_boxes`` (here: the removed flakes)."""
        iou_threshold = self.train_cfg['assigner'].get('neg_iou_thr', 0.3)
        if not isinstance(iou_threshold, float):  # a (low, high) range
            iou_threshold = max(iou_threshold)
        hits = torch.zeros_like(negative)
        for i, boxes in enumerate(batch_boxes):
            candidates = negative[i].nonzero().squeeze(1)
            if len(boxes) and len(candidates):
                overlaps = bbox_overlaps(anchors[i][candidates], boxes.to(anchors.dtype))
                hits[i, candidates] = overlaps.max(dim=1).values >= iou_threshold
        return hits

    def sample_anchors(self, cls_scores: List[Tensor], embeddings: List[Tensor],
                       batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                       batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """The anchors mmdet's assigner and sampler pick for the loss, with everything the soft labels need.

        Returns:
            dict of ``anchors`` (N, A, 4), ``labels``, ``weights``, ``instances`` (N, A), ``embeddings``
            (N, A, D), ``bbox_targets`` and ``bbox_weights`` (per level, as get_targets), ``avg_factor``, and
            ``on_removed`` ((N, A) :meth:`negatives_on` the ignored instances, or None when there are none).
        """
        featmap_sizes = [score.size()[-2:] for score in cls_scores]
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, batch_img_metas,
                                                        device=cls_scores[0].device)
        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list, avg_factor,
         instances_list) = self.get_targets(anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
                                            batch_gt_instances_ignore=batch_gt_instances_ignore)
        sample = dict(anchors=torch.stack([torch.cat(a) for a in anchor_list]),
                      labels=torch.cat(labels_list, dim=1), weights=torch.cat(label_weights_list, dim=1),
                      instances=torch.cat(instances_list, dim=1),
                      embeddings=self._flat_embeddings(embeddings),
                      bbox_targets=bbox_targets_list, bbox_weights=bbox_weights_list, avg_factor=avg_factor,
                      on_removed=None)
        ignored = batch_gt_instances_ignore or []
        # mmdet gives None or empty ignored instances when there are none
        if any(g is not None and len(g) for g in ignored):
            negative = (sample['weights'] > 0) & (sample['labels'] == self.num_classes)
            sample['on_removed'] = self.negatives_on(sample['anchors'], negative, [
                g.bboxes if g is not None else sample['anchors'].new_zeros(0, 4) for g in ignored])
        return sample

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor], embeddings: List[Tensor],
                     batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """RPN losses with soft objectness targets on the sampled negatives.

        Logged with the losses: ``sasl_soft_labels`` (sampled negatives with a soft label, per batch) and
        ``sasl_max_attention`` (mean max_j A_ij over sampled negatives). When the batch carries ignored
        instances (``tools/drop_annotations.py --keep-as-ignored`` keeps the removed flakes so), also
        ``sasl_removed_negatives`` (sampled negatives on a removed flake) and ``sasl_soft_on_removed`` (those
        of them with a soft label): the soft labels' precision and recall against the truth.
        """
        sample = self.sample_anchors(cls_scores, embeddings, batch_gt_instances, batch_img_metas,
                                     batch_gt_instances_ignore)
        labels, weights, avg_factor = sample['labels'], sample['weights'], sample['avg_factor']
        num_imgs = len(batch_img_metas)
        scores = torch.cat([s.permute(0, 2, 3, 1).reshape(num_imgs, -1) for s in cls_scores], dim=1)
        targets, best = self.soft_targets(labels, weights, sample['embeddings'], sample['instances'])
        sampled = weights > 0
        loss_cls = self.loss_cls(scores[sampled], targets[sampled], weights[sampled], avg_factor=avg_factor)

        deltas = torch.cat([p.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.bbox_coder.encode_size)
                            for p in bbox_preds], dim=1).reshape(-1, self.bbox_coder.encode_size)
        bbox_targets = torch.cat(sample['bbox_targets'], dim=1).reshape(-1, deltas.size(-1))
        bbox_weights = torch.cat(sample['bbox_weights'], dim=1).reshape(-1, deltas.size(-1))
        if self.reg_decoded_bbox:
            deltas = self.bbox_coder.decode(sample['anchors'].reshape(-1, 4), deltas)
        loss_bbox = self.loss_bbox(deltas, bbox_targets, bbox_weights, avg_factor=avg_factor)

        negative = sampled & (labels == self.num_classes)
        soft = negative & (best >= self.threshold)
        stats = dict(sasl_soft_labels=soft.sum().float(),
                     sasl_max_attention=best[negative].mean() if negative.any() else best.new_zeros(()))
        if sample['on_removed'] is not None:
            stats.update(sasl_removed_negatives=sample['on_removed'].sum().float(),
                         sasl_soft_on_removed=(sample['on_removed'] & soft).sum().float())
        return dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_bbox, **stats)
