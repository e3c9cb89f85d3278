"""The background recalibration loss (BRL; Zhang et al., ICASSP 2020, arXiv 2002.05274) on the RPN's
objectness, as its authors apply it (github.com/Dwrety/mmdetection-selective-iou, an mmdet v1 fork).

What their RetinaNet does (``configs/BRL/brl_retinanet_r50_fpn_coco_50p.py``, ``brlretina_head.py``,
``selective_iou_assigner.py``, ``anchor_target_plus.py``), and what this head does on the RPN:

* no sampling (``sampling = False``): every valid anchor takes part. Here mmdet's PseudoSampler
  (:class:`~qmat.models.task_modules.SelectiveIoUSampler`) instead of the RPN's random 256;
* three kinds of anchors (:class:`~qmat.models.task_modules.SelectiveIoUAssigner`): positives; normal
  negatives, IoU in [0.1, 0.4) with the nearest annotation; "confusion" anchors, IoU below 0.1 with every
  annotation (``assigned_gt_inds = -2``), i.e. far from all annotated objects, where an unannotated one
  may be. RetinaNet's 0.5 / 0.4 / 0.1 become the RPN's 0.7 (with its low-quality matches, min IoU 0.3) /
  0.3 / 0.1: the positives and the top of the negative band stay the RPN's, so that against mmdet's
  RPNHead only the loss changes; the confusion band keeps the authors' absolute 0.1 (it means "overlaps no
  annotation", whatever the detector); anchors between 0.3 and 0.7 are ignored, as in the RPN;
* positives and normal negatives take the plain focal loss (gamma 2, alpha 0.25, weight 1); the confusion
  anchors take the mirrored loss (:class:`~qmat.models.losses.BackgroundRecalibrationLoss`: focal below the
  confidence threshold, the recalibrated term above it) with ``loss_weight=0.1``. Both, and the box
  regression, are divided by the number of positives (``avg_factor`` of the PseudoSampler), as in
  RetinaNet;
* the objectness starts from the focal prior p = 0.01 (``bias_prob=0.01``), as their head does.

Where this departs from the authors: their head has four stacked convs per branch and a 3 x 3 classifier
(RetinaNet's), this one the RPN's single 3 x 3 conv and 1 x 1 outputs; box regression keeps the RPN's L1
loss (theirs: smooth L1 with beta 0.11). An image without annotations is all confusion anchors (their
assigner raises on it).
"""
from typing import List, Optional

import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.models.utils import images_to_levels, multi_apply, unmap
from mmdet.registry import MODELS
from mmdet.structures.bbox import cat_boxes
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.structures import InstanceData
from torch import Tensor

from ..task_modules import SelectiveIoUAssigner, SelectiveIoUSampler

FOCAL = dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0)
RECALIBRATION = dict(type='BackgroundRecalibrationLoss', use_sigmoid=True, gamma_1=2.0, gamma_2=2.0,
                     alpha=0.25, thresh=0.5, beta=1.0, loss_weight=0.1)
FOCAL_PRIOR_INIT = dict(type='Normal', layer='Conv2d', std=0.01,
                        override=dict(type='Normal', name='rpn_cls', std=0.01, bias_prob=0.01))


@MODELS.register_module()
class BRLRPNHead(RPNHead):
    """RPNHead trained with the background recalibration loss as its authors apply it (module docstring).

    Needs ``train_cfg.assigner`` = ``SelectiveIoUAssigner`` and ``train_cfg.sampler`` =
    ``SelectiveIoUSampler`` (``configs/_base_/models/brl_rpn.py`` sets both). Logged with the losses:
    ``loss_rpn_confusion`` (the confusion anchors' part of the objectness loss), ``brl_confusion`` (confusion
    anchors in the batch) and ``brl_recalibrated`` (those of them in the mirrored branch, pushed up).

    Args:
        in_channels: Channels of the input feature maps.
        loss_cls: Loss of the positives and the normal negatives (default: focal loss, gamma 2, alpha 0.25).
        loss_confusion: Loss of the confusion anchors (default: the authors' BRL, thresh 0.5, beta 1,
            weight 0.1). ``thresh=0.0, loss_weight=1.0`` turns the recalibration off: a plain focal RPN
            with the same assignment (the control).
        init_cfg: Default: RPNHead's Normal(0, 0.01) with the objectness bias at the focal prior 0.01.
        **kwargs: RPNHead's arguments.
    """

    def __init__(self, in_channels: int, loss_cls: dict = FOCAL, loss_confusion: dict = RECALIBRATION,
                 init_cfg: dict = FOCAL_PRIOR_INIT, **kwargs) -> None:
        super().__init__(in_channels, loss_cls=loss_cls, init_cfg=init_cfg, **kwargs)
        if not self.use_sigmoid_cls:
            raise ValueError('BRLRPNHead.loss_cls needs use_sigmoid=True (one objectness logit per anchor)')
        self.loss_confusion = MODELS.build(loss_confusion)
        if self.train_cfg and not (isinstance(self.assigner, SelectiveIoUAssigner)
                                   and isinstance(self.sampler, SelectiveIoUSampler)):
            raise ValueError('BRLRPNHead needs the RPN train_cfg assigner=SelectiveIoUAssigner and '
                             'sampler=SelectiveIoUSampler (configs/_base_/models/brl_rpn.py), got '
                             f'{type(self.assigner).__name__} and {type(self.sampler).__name__}')

    def _get_targets_single(self, flat_anchors: Tensor, valid_flags: Tensor, gt_instances: InstanceData,
                            img_meta: dict, gt_instances_ignore: Optional[InstanceData] = None,
                            unmap_outputs: bool = True) -> tuple:
        """AnchorHead's targets plus the weights of the confusion anchors (1 on them, 0 elsewhere), which
        mmdet's get_targets returns split by level after its own outputs."""
        results = super()._get_targets_single(flat_anchors, valid_flags, gt_instances, img_meta,
                                              gt_instances_ignore, unmap_outputs)
        inside = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                     self.train_cfg['allowed_border'])
        weights = flat_anchors.new_zeros(int(inside.sum()))
        weights[results[-1].confusion_inds] = 1.0
        return results + (unmap(weights, len(flat_anchors), inside) if unmap_outputs else weights,)

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                     batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """Focal loss on positives and normal negatives, BRL on the confusion anchors, L1 on the boxes,
        each divided by the number of positives."""
        anchor_list, valid_flag_list = self.get_anchors([s.shape[-2:] for s in cls_scores], batch_img_metas,
                                                        device=cls_scores[0].device)
        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list, avg_factor,
         confusion_list) = self.get_targets(anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
                                            batch_gt_instances_ignore=batch_gt_instances_ignore)
        all_anchors = images_to_levels([cat_boxes(anchors) for anchors in anchor_list],
                                       [anchors.size(0) for anchors in anchor_list[0]])
        losses_cls, losses_bbox = multi_apply(self.loss_by_feat_single, cls_scores, bbox_preds, all_anchors,
                                              labels_list, label_weights_list, bbox_targets_list,
                                              bbox_weights_list, avg_factor=avg_factor)
        scores = torch.cat([s.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels) for s in cls_scores])
        labels = torch.cat([labels.reshape(-1) for labels in labels_list])
        confusion = torch.cat([weights.reshape(-1) for weights in confusion_list])
        loss_confusion = self.loss_confusion(scores, labels, confusion, avg_factor=avg_factor)
        on_confusion = confusion > 0
        # the anchors whose loss is the mirrored (recalibrated) term: 1 - p below the loss's threshold
        mirrored = on_confusion & (1 - scores.detach().sigmoid().squeeze(1) < getattr(self.loss_confusion,
                                                                                      'thresh', 0.0))
        return dict(loss_rpn_cls=losses_cls, loss_rpn_confusion=loss_confusion, loss_rpn_bbox=losses_bbox,
                    brl_confusion=on_confusion.sum().float(), brl_recalibrated=mirrored.sum().float())
