"""SASL-RPN: the Self-Attention and Soft-Labeling RPN head of Nguyen et al. (the method of qmat).

Eq. 4 of the paper::

    F_c = G_share(F_s)      (the RPN's shared 3x3 conv)
    F_reg = G_reg(F_c)      (1x1: anchor deltas)
    F_e = G_e(F_c)          (1x1: one D-dim embedding per anchor, na x D channels)
    F_cls = G_cls(F_e)      (grouped 1x1: each anchor's objectness logit from its own embedding)

Training (Eq. 5 and the piecewise L_neg): each negative anchor of the RPN loss attends to the positives
through its embedding, ``A = softmax(Norm(F_neg) Norm(F_pos)^T)``; a negative whose largest attention
reaches the threshold t is a suspected unannotated flake and is trained towards that attention instead of
0 (:func:`~qmat.models.losses.attention_soft_labels`). Inference is RPNHead's: no attention.

The paper does not say what Norm is, whether the softmax has a temperature, whether a negative attends to
the positives of its image or of the batch (detectron2, its framework, computes the RPN's targets per
image but its losses over the per-GPU batch), or whether the anchors are the sampled ones or all of them.
Each of these is an option, and the defaults are **the literal reading: L2, tau 1, per image, sampled
anchors** (every sampled positive anchor a key, no background key). qmat's own variant (one prototype per
annotated flake and a background key, ``keys='instances', background=True``) is an option with its own
config (``*_sasl-qmat-*``); ``soft_labels=False`` is the head with the plain loss, the control that
separates the head from the rule. docs/method.md says what each reading does, measured.

Initialisation: RPNHead's objectness is one Normal(0, 0.01) 1x1 conv on the features. Two such layers in
a row (G_e, G_cls) would start the objectness about 100 times smaller, with a gradient into the shared
conv as much smaller; so G_e preserves the features' scale (std 1 / sqrt(feat_channels)) and G_cls takes
std 0.01 sqrt(feat_channels / D), which starts the logits and the gradient reaching ``rpn_conv`` at
RPNHead's scale (``tests/test_models/test_sasl_rpn_head.py`` measures both against RPNHead).
"""
import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.dense_heads import RPNHead
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.models.utils import unmap
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.dist import all_gather, get_world_size
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from torch import Tensor

from ..losses import SoftLabelRule, attention_soft_labels, instance_prototypes, prepare
from ..task_modules import on_removed


def gather_rows(rows: Tensor) -> Tensor:
    """The rows of every DDP rank, concatenated (this rank's own outside DDP). Every rank must call it."""
    if get_world_size() == 1:
        return rows
    sizes = [int(size) for size in all_gather(torch.tensor([len(rows)], device=rows.device))]
    padded = rows.new_zeros(max(max(sizes), 1), rows.shape[1])  # (no empty tensors through the collective)
    padded[:len(rows)] = rows
    return torch.cat([part[:size] for part, size in zip(all_gather(padded), sizes)])


@MODELS.register_module()
class SASLRPNHead(RPNHead):
    """RPNHead whose objectness comes from per-anchor embeddings, trained with attention soft labels.

    Args:
        in_channels: Channels of the input feature maps.
        threshold: t in (0, 1]: a negative gets a soft label when its largest attention is >= t.
        embed_dims: D, the embedding size per anchor (the paper: 256).
        norm: Eq. 5's Norm: ``'l2'`` (cosine similarity; default), ``'none'`` (the raw dot product) or
            ``'scaled'`` (the dot product over sqrt(D)).
        temperature: tau > 0 of the attention softmax (default 1: the paper writes none).
        scope: ``'image'`` (default): each negative attends to the positives of its own image; ``'batch'``:
            to the positives of every image of the step, on every DDP rank (the keys are gathered; they
            carry no gradient).
        keys: What a negative attends to: ``'anchors'`` (default), every positive anchor; ``'instances'``,
            one prototype per annotated flake (the mean embedding of its positive anchors), so that a flake
            covered by many anchors is one candidate.
        key_pool: Where the positive anchors come from: ``'sampled'`` (default), those the RPN's sampler
            picked for the loss; ``'assigned'``, every positive of the assignment (the sampler keeps at
            most ``num * pos_fraction`` of them; this runs the assigner a second time).
        background: Add a background key (the mean embedding of the sampled negatives) to the softmax: a
            negative must then look more like a flake than like the background to score high, and a lone
            positive no longer takes all the attention (default False: the paper has none).
        soft_labels: False trains the head with the plain loss: the control for the rule.
        init_cfg: Default: RPNHead's Normal(0, 0.01), with G_e and G_cls scaled as the module docstring says.
        **kwargs: RPNHead's arguments (anchor generator, losses, ...).
    """

    def __init__(self, in_channels: int, threshold: float = 0.8, embed_dims: int = 256, norm: str = 'l2',
                 temperature: float = 1.0, scope: str = 'image', keys: str = 'anchors',
                 key_pool: str = 'sampled', background: bool = False, soft_labels: bool = True,
                 init_cfg: Optional[dict] = None, **kwargs) -> None:
        if not (isinstance(embed_dims, int) and embed_dims > 0):
            raise ValueError(f'SASLRPNHead.embed_dims must be a positive integer, got {embed_dims!r}')
        self.rule = SoftLabelRule(threshold, norm, temperature, scope, keys, key_pool, background)
        self.embed_dims, self.soft_labels = embed_dims, soft_labels
        self.warned_few_keys = False
        if init_cfg is None:
            features = kwargs.get('feat_channels', 256)
            init_cfg = dict(type='Normal', layer='Conv2d', std=0.01, override=[
                dict(type='Normal', name='rpn_embed', std=1 / math.sqrt(features)),
                dict(type='Normal', name='rpn_cls', std=0.01 * math.sqrt(features / embed_dims))])
        super().__init__(in_channels, init_cfg=init_cfg, **kwargs)
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

    def _get_targets_single(self, flat_anchors: Tensor, valid_flags: Tensor, gt_instances: InstanceData,
                            img_meta: dict, gt_instances_ignore: Optional[InstanceData] = None,
                            unmap_outputs: bool = True) -> tuple:
        """AnchorHead's targets plus, per anchor, the index of the annotation that a key anchor (a sampled
        positive, or with ``key_pool='assigned'`` any positive of the assignment) belongs to, -1 elsewhere.
        mmdet's get_targets returns such extra outputs split by level after its own."""
        results = super()._get_targets_single(flat_anchors, valid_flags, gt_instances, img_meta,
                                              gt_instances_ignore, unmap_outputs)
        inside = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                     self.train_cfg['allowed_border'])
        sampling_result = results[-1]
        positions, annotations = sampling_result.pos_inds, sampling_result.pos_assigned_gt_inds
        if self.rule.key_pool == 'assigned':
            assigned = self.assigner.assign(InstanceData(priors=flat_anchors[inside]), gt_instances,
                                            gt_instances_ignore).gt_inds
            positions = (assigned > 0).nonzero().squeeze(1)
            annotations = assigned[positions] - 1
        instances = flat_anchors.new_full((int(inside.sum()),), -1, dtype=torch.long)
        instances[positions] = annotations.long()
        if unmap_outputs:
            instances = unmap(instances, len(flat_anchors), inside, fill=-1)
        return results + (instances,)

    @staticmethod
    def _attention_keys(rule: SoftLabelRule, embeddings: Tensor, is_key: Tensor,
                        instances: Optional[Tensor]) -> Tensor:
        """The keys of one group: its key anchors' embeddings, or one prototype per annotation."""
        keys = embeddings[is_key].detach()
        if rule.keys == 'instances' and len(keys):
            keys = instance_prototypes(keys, instances[is_key], rule.norm)
        return keys

    def soft_targets(self, labels: Tensor, weights: Tensor, embeddings: Tensor,
                     instances: Optional[Tensor] = None,
                     rule: Optional[SoftLabelRule] = None) -> Tuple[Tensor, Tensor]:
        """Objectness targets of all anchors (N, A): 1 on sampled positives, soft labels on negatives.

        Args:
            labels, weights: (N, A) from ``get_targets`` (label 0: positive, ``num_classes``: background).
            embeddings: (N, A, D).
            instances: (N, A) annotation index of each key anchor, -1 elsewhere (needed for
                ``keys='instances'`` and ``key_pool='assigned'``; without it the keys are the sampled
                positives).
            rule: The rule to apply (default: the head's own, ``self.rule``); an audit passes variants.

        Returns:
            (targets, max_j A_ij of each sampled negative and 0 elsewhere), both (N, A).
        """
        rule = rule or self.rule
        sampled = weights > 0
        positive = sampled & (labels == 0)
        negative = sampled & (labels == self.num_classes)
        if instances is None:
            if rule.keys == 'instances' or rule.key_pool == 'assigned':
                raise ValueError(f"SASLRPNHead with keys={rule.keys!r}, key_pool={rule.key_pool!r} needs the "
                                 "key anchors' instance indices")
            is_key = positive
        else:
            is_key = instances >= 0
            # ids unique over the batch: image i's annotations count from i * A
            instances = instances + torch.arange(len(labels), device=labels.device)[:, None] * labels.shape[1]
        best = embeddings.new_zeros(labels.shape, dtype=torch.float32)
        groups = [slice(None)] if rule.scope == 'batch' else [slice(i, i + 1) for i in range(len(labels))]
        for group in groups:
            neg = negative[group]
            queries = embeddings[group][neg].detach()
            keys = self._attention_keys(rule, embeddings[group], is_key[group],
                                        None if instances is None else instances[group])
            # the mean of the negatives' embeddings as Norm makes them: a sum and a count per rank
            negatives = torch.cat([prepare(queries, rule.norm).sum(0), queries.new_tensor([len(queries)])])
            if rule.scope == 'batch':
                keys = gather_rows(keys.float())
                negatives = gather_rows(negatives[None]).sum(0)
            background = None
            if rule.background and negatives[-1] > 0:
                background = (negatives[:-1] / negatives[-1])[None]
            # threshold 0 gives max_j A_ij of every negative: the log shows its mean
            best[group][neg] = attention_soft_labels(queries, keys, 0.0, rule.temperature, background,
                                                     rule.norm)
            self._warn_if_few_keys(rule, len(keys) + (background is not None), best[group][neg])
        targets = torch.where(negative & (best >= rule.threshold), best, positive.float())
        return targets, best

    def _warn_if_few_keys(self, rule: SoftLabelRule, num_keys: int, attention: Tensor) -> None:
        """Once per run: the rule fired where one or two keys share all the attention (every negative then
        gets at least 1 / num_keys, whatever it looks like)."""
        if not self.warned_few_keys and num_keys <= 2 and bool((attention >= rule.threshold).any()):
            self.warned_few_keys = True
            print_log(f'SASLRPNHead: soft labels fired on an {"image" if rule.scope == "image" else "batch"} '
                      f'with {num_keys} attention key(s): with one or two keys every negative gets an '
                      'attention of at least 1 / keys, whatever it looks like (docs/method.md); this warning '
                      'is shown once', logger='current', level=30)

    def negatives_on(self, anchors: Tensor, negative: Tensor, batch_boxes: List[Tensor]) -> Tensor:
        """(N, A) mask of the sampled negatives that a complete annotation would not call background:
        IoU >= the assigner's ``neg_iou_thr`` with one of ``batch_boxes`` (here: the removed flakes)."""
        hits = torch.zeros_like(negative)
        for i, boxes in enumerate(batch_boxes):
            candidates = negative[i].nonzero().squeeze(1)
            hits[i, candidates] = on_removed(anchors[i][candidates], boxes, self.train_cfg['assigner'])
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

        Logged with the losses (unless ``soft_labels=False``): ``sasl_soft_labels`` (sampled negatives with a
        soft label, per batch) and ``sasl_max_attention`` (mean max_j A_ij over sampled negatives). When the
        batch carries ignored instances (``tools/data_tools/drop_annotations.py --keep-as-ignored`` keeps the
        removed flakes so), also ``sasl_removed_negatives`` (sampled negatives on a removed flake) and
        ``sasl_soft_on_removed`` (those of them with a soft label): the soft labels' precision and recall
        against the truth.
        """
        sample = self.sample_anchors(cls_scores, embeddings, batch_gt_instances, batch_img_metas,
                                     batch_gt_instances_ignore)
        labels, weights, avg_factor = sample['labels'], sample['weights'], sample['avg_factor']
        num_imgs = len(batch_img_metas)
        scores = torch.cat([s.permute(0, 2, 3, 1).reshape(num_imgs, -1) for s in cls_scores], dim=1)
        sampled = weights > 0
        negative = sampled & (labels == self.num_classes)
        if self.soft_labels:
            targets, best = self.soft_targets(labels, weights, sample['embeddings'], sample['instances'])
        else:
            targets, best = (sampled & (labels == 0)).float(), None
        loss_cls = self.loss_cls(scores[sampled], targets[sampled], weights[sampled], avg_factor=avg_factor)

        deltas = torch.cat([p.permute(0, 2, 3, 1).reshape(num_imgs, -1, self.bbox_coder.encode_size)
                            for p in bbox_preds], dim=1).reshape(-1, self.bbox_coder.encode_size)
        bbox_targets = torch.cat(sample['bbox_targets'], dim=1).reshape(-1, deltas.size(-1))
        bbox_weights = torch.cat(sample['bbox_weights'], dim=1).reshape(-1, deltas.size(-1))
        if self.reg_decoded_bbox:
            deltas = self.bbox_coder.decode(sample['anchors'].reshape(-1, 4), deltas)
        loss_bbox = self.loss_bbox(deltas, bbox_targets, bbox_weights, avg_factor=avg_factor)

        losses = dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_bbox)
        if best is None:
            return losses
        soft = negative & (best >= self.rule.threshold)
        losses.update(sasl_soft_labels=soft.sum().float(),
                      sasl_max_attention=best[negative].mean() if negative.any() else best.new_zeros(()))
        if sample['on_removed'] is not None:
            losses.update(sasl_removed_negatives=sample['on_removed'].sum().float(),
                          sasl_soft_on_removed=(sample['on_removed'] & soft).sum().float())
        return losses
