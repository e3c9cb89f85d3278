"""How good a detector's pseudo-labels would be: per score threshold, how many it adds to the training
batches and how many of them are flakes the annotators missed (the removed flakes, kept as ignored).

The detector predicts on training batches as :class:`~qmat.models.SelfTrainingMaskRCNN`'s teacher does
(the batch's own augmentation, no rescaling), and :func:`~qmat.models.select_pseudo_labels` picks the
pseudo-labels; a pseudo-label is right where it matches a removed flake at IoU >= 0.5.
"""
from typing import Dict, Iterable, List, Sequence

import torch
from mmdet.structures.bbox import bbox_overlaps

from qmat.models.detectors.self_training_mask_rcnn import MATCH_IOU, select_pseudo_labels


@torch.no_grad()
def pseudo_label_quality(model: torch.nn.Module, batches: Iterable[dict], score_thrs: Sequence[float],
                         iou_thr: float = 0.3) -> List[Dict[str, float]]:
    """Per threshold: ``images``, ``pseudo_labels``, ``on_removed`` (right ones), ``removed`` (removed
    flakes in the batches), ``found`` (removed flakes matched), ``precision`` and ``recall`` (NaN where
    undefined)."""
    model.eval()
    counts = {thr: dict(images=0, pseudo_labels=0, on_removed=0, removed=0, found=0) for thr in score_thrs}
    lowest = min(score_thrs)
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        samples = data['data_samples']
        predicted = model.predict(data['inputs'], [type(s)(metainfo=s.metainfo) for s in samples],
                                  rescale=False)
        for sample, result in zip(samples, predicted):
            detections = result.pred_instances
            detections = detections[detections.scores >= lowest]
            removed = sample.get('ignored_instances')
            removed_boxes = removed.bboxes if removed is not None else detections.bboxes.new_zeros(0, 4)
            for thr, row in counts.items():
                pseudo = select_pseudo_labels(detections, sample.gt_instances.bboxes, thr, iou_thr)
                match = bbox_overlaps(pseudo.bboxes, removed_boxes.to(pseudo.bboxes)) >= MATCH_IOU
                row['images'] += 1
                row['pseudo_labels'] += len(pseudo)
                row['on_removed'] += int(match.any(dim=1).sum())
                row['removed'] += len(removed_boxes)
                row['found'] += int(match.any(dim=0).sum())
    rows = []
    for thr, row in counts.items():
        rows.append(dict(score_thr=thr, **row,
                         precision=row['on_removed'] / row['pseudo_labels'] if row['pseudo_labels'] else
                         float('nan'),
                         recall=row['found'] / row['removed'] if row['removed'] else float('nan')))
    return rows
