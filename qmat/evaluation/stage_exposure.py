"""Where missing annotations reach the training losses: per stage of Mask R-CNN, the share of the sampled
background that lies on unannotated flakes.

The RPN samples its negatives among all anchors, nearly all of them background; the R-CNN stage samples among
the proposals, which the RPN concentrates on objects, unannotated flakes included. A training set written by
``tools/data_tools/drop_annotations.py --keep-as-ignored`` keeps the removed flakes as ignored instances, so
each sampled negative can be checked: it "lies on a removed flake" when its IoU with one reaches the stage
assigner's ``neg_iou_thr`` (complete annotations would not have called it background).
"""
from typing import Dict, Iterable

import numpy as np
import torch
from mmdet.models.utils import unpack_gt_instances
from mmengine.structures import InstanceData

from qmat.models.task_modules import on_removed


@torch.no_grad()
def negatives_on_removed(model: torch.nn.Module, batches: Iterable[dict]) -> Dict[str, Dict[str, float]]:
    """Count, per stage, the sampled negatives and those on removed (ignored) flakes.

    Args:
        model: A two-stage detector in train mode (its RPN and R-CNN samplers are used as in training).
        batches: Training batches whose data samples carry the removed flakes as ignored instances.

    Returns:
        ``{'rpn': {...}, 'rcnn': {...}}`` with ``negatives``, ``on_removed`` and ``share``, plus ``images``
        (with at least one removed flake) under both.
    """
    rpn, roi = model.rpn_head, model.roi_head
    counts = {stage: dict(negatives=0, on_removed=0) for stage in ('rpn', 'rcnn')}
    images = 0
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        gts, ignored, metas = unpack_gt_instances(data['data_samples'])
        features = model.extract_feat(data['inputs'])
        cls_scores, bbox_preds = rpn(features)[:2]  # SASL-RPN also returns its embeddings
        sizes = [s.shape[-2:] for s in cls_scores]
        anchors, valid = rpn.get_anchors(sizes, metas, device=cls_scores[0].device)
        rpn_gts = [InstanceData(bboxes=g.bboxes, labels=torch.zeros_like(g.labels)) for g in gts]  # one class
        rpn_sampling = rpn.get_targets(anchors, valid, rpn_gts, metas, return_sampling_results=True)[5]
        proposals = rpn.predict_by_feat(cls_scores, bbox_preds, batch_img_metas=metas,
                                        cfg=model.train_cfg.rpn_proposal, rescale=False)
        for i, removed in enumerate(ignored):
            removed_boxes = removed.bboxes if removed is not None else torch.zeros(0, 4)
            if len(removed_boxes) == 0:
                continue
            images += 1
            negatives = rpn_sampling[i].neg_priors
            counts['rpn']['negatives'] += len(negatives)
            counts['rpn']['on_removed'] += int(on_removed(negatives, removed_boxes,
                                                          rpn.train_cfg['assigner']).sum())
            candidates = proposals[i]
            candidates.priors = candidates.pop('bboxes')
            assigned = roi.bbox_assigner.assign(candidates, gts[i])  # ignore nothing: as in training
            sampled = roi.bbox_sampler.sample(assigned, candidates, gts[i],
                                              feats=[level[i][None] for level in features])
            counts['rcnn']['negatives'] += len(sampled.neg_priors)
            counts['rcnn']['on_removed'] += int(on_removed(sampled.neg_priors, removed_boxes,
                                                           model.train_cfg['rcnn']['assigner']).sum())
    for stage in counts.values():
        stage['share'] = stage['on_removed'] / stage['negatives'] if stage['negatives'] else float(np.nan)
        stage['images'] = images
    return counts
