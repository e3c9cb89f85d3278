"""What a trained RPN's objectness tells apart, per FPN level: annotated flakes, removed (unannotated) flakes
and background, and how much of its shared conv is still alive.

A correction of the RPN's negatives (SASL's soft labels, BRL's recalibration) should raise the objectness of
the flakes the annotators missed and leave the background low. Over training images whose removed flakes are
kept as ignored instances (``tools/data_tools/drop_annotations.py --keep-as-ignored``), every anchor is one of

- *annotated*: mmdet's RPN assigner (:data:`RPN_ASSIGNER`, the same for every head, so that heads with
  assigners of their own, such as BRL's, are compared on the same anchors), run against every flake
  (annotated and removed), makes it a positive of an annotated flake;
- *removed*: it makes it a positive of a removed flake: an anchor complete annotations would train as a flake
  and the incomplete ones train as background;
- *background*: it makes it a negative;

(the anchors it ignores, between its thresholds, are left out). The model runs as at inference (eval mode).
A channel of the shared conv is *dead* when its output after the ReLU is 0 at every position of every
image: a level whose channels are all dead scores every anchor with its base anchor's objectness bias alone.
"""
from typing import Dict, Iterable, List

import torch
import torch.nn.functional as F
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import TASK_UTILS
from mmengine.structures import InstanceData

from .soft_label_audit import roc_auc

KINDS = ('annotated', 'removed', 'background')
# mmdet's Faster/Mask R-CNN RPN assigner
RPN_ASSIGNER = dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                    match_low_quality=True, ignore_iof_thr=-1)


def anchor_kinds(assigner, anchors: torch.Tensor, annotated: torch.Tensor,
                 removed: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Boolean masks over ``anchors`` (A, 4) for the three kinds of the module docstring, by ``assigner``
    run against every flake, annotated and removed."""
    boxes = torch.cat([annotated, removed.to(annotated)])
    if len(boxes) == 0:
        empty = torch.zeros(len(anchors), dtype=torch.bool, device=anchors.device)
        return dict(annotated=empty, removed=empty, background=torch.ones_like(empty))
    flakes = InstanceData(bboxes=boxes, labels=boxes.new_zeros(len(boxes), dtype=torch.long))
    gt_inds = assigner.assign(InstanceData(priors=anchors), flakes).gt_inds
    return dict(annotated=(gt_inds > 0) & (gt_inds <= len(annotated)), removed=gt_inds > len(annotated),
                background=gt_inds == 0)


@torch.no_grad()
def rpn_objectness(model: torch.nn.Module, batches: Iterable[dict]) -> Dict:
    """Per FPN level, the objectness of each anchor kind and the shared conv's dead channels.

    Args:
        model: A two-stage detector with an mmdet RPNHead (or a subclass: SASL-RPN, BRL); set to eval mode.
        batches: Training batches whose data samples carry the removed flakes as ignored instances.

    Returns:
        ``dict(images, levels)``; each level has its ``stride``, ``dead_channels`` (share of the shared
        conv's channels), per kind ``{kind}_anchors`` and ``{kind}_score`` (mean sigmoid objectness, NaN
        without anchors), and ``auc_annotated`` and ``auc_removed`` (ROC AUC of that kind's scores against
        the background's).
    """
    model.eval()
    rpn = model.rpn_head
    assigner = TASK_UTILS.build(RPN_ASSIGNER)
    if not rpn.use_sigmoid_cls:
        raise ValueError('rpn_objectness needs an RPN with sigmoid objectness (loss_cls use_sigmoid=True)')
    conv_outputs: List[torch.Tensor] = []
    hook = rpn.rpn_conv.register_forward_hook(lambda module, args, output: conv_outputs.append(output))
    alive, scores, kinds, images = None, None, None, 0
    try:
        for batch in batches:
            data = model.data_preprocessor(batch, False)
            gts, ignored, metas = unpack_gt_instances(data['data_samples'])
            conv_outputs.clear()
            cls_scores = rpn(model.extract_feat(data['inputs']))[0]  # SASL-RPN also returns embeddings
            if alive is None:
                alive = [torch.zeros(out.shape[1], dtype=torch.bool) for out in conv_outputs]
                scores = [[] for _ in cls_scores]
                kinds = [{kind: [] for kind in KINDS} for _ in cls_scores]
            for level, out in enumerate(conv_outputs):
                alive[level] |= (F.relu(out) > 0).flatten(2).any(dim=2).any(dim=0).cpu()
            anchors = rpn.prior_generator.grid_priors([s.shape[-2:] for s in cls_scores],
                                                      device=cls_scores[0].device)
            sizes = [len(level_anchors) for level_anchors in anchors]
            for i in range(len(metas)):
                removed = ignored[i].bboxes if ignored[i] is not None else gts[i].bboxes.new_zeros(0, 4)
                images += 1
                # one assignment over every level, as in training (each flake's best anchor is a positive)
                image_kinds = anchor_kinds(assigner, torch.cat(anchors), gts[i].bboxes, removed)
                for level, score in enumerate(cls_scores):
                    # mmdet's anchor order: location-major, base anchor minor
                    scores[level].append(score[i].permute(1, 2, 0).reshape(-1).sigmoid().cpu())
                for kind, mask in image_kinds.items():
                    for level, level_mask in enumerate(mask.cpu().split(sizes)):
                        kinds[level][kind].append(level_mask)
    finally:
        hook.remove()
    if scores is None:  # no batch
        return dict(images=0, levels=[])
    levels = []
    for level, stride in enumerate(rpn.prior_generator.strides):
        level_scores = torch.cat(scores[level]).numpy()
        masks = {kind: torch.cat(kinds[level][kind]).numpy() for kind in KINDS}
        row = dict(stride=int(stride[0]), dead_channels=float((~alive[level]).float().mean()))
        for kind, mask in masks.items():
            row[f'{kind}_anchors'] = int(mask.sum())
            row[f'{kind}_score'] = float(level_scores[mask].mean()) if mask.any() else float('nan')
        for kind in ('annotated', 'removed'):
            both = masks[kind] | masks['background']
            row[f'auc_{kind}'] = roc_auc(level_scores[both], masks[kind][both])
        levels.append(row)
    return dict(images=images, levels=levels)
