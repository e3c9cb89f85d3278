"""How good a detector's pseudo-labels would be: per score threshold, how many it adds to the training
batches and how many of them are flakes the annotators missed (the removed flakes, kept as ignored).

The detector predicts on training batches as :class:`~qmat.models.SelfTrainingMaskRCNN`'s teacher does
(the batch's own augmentation, no rescaling), and :func:`~qmat.models.select_pseudo_labels` picks the
pseudo-labels; a pseudo-label is right where it matches a removed flake at IoU >= 0.5. Where both have
masks, a right pseudo-label's mask (the teacher's 28 x 28 prediction pasted and binarised, which
self-training makes a mask target) is compared with the removed flake's annotated outline: their mask IoU.
The wrong pseudo-labels' sizes, against the annotated flakes', say what a teacher adds where it errs
(with no flake removed, every pseudo-label is wrong: something unannotated taught as a flake).
"""
import statistics
from typing import Dict, Iterable, List, Sequence

import torch
from mmdet.structures.bbox import bbox_overlaps
from torch import Tensor

from qmat.models.detectors.self_training_mask_rcnn import MATCH_IOU, select_pseudo_labels


def mask_ious(predicted: Tensor, annotated: Tensor) -> Tensor:
    """IoU of each predicted (N, h, w) mask with its annotated (N, H, W) one, over the region both cover
    (a prediction pasted at the image's size, a target at the batch's: they differ by padding only)."""
    h, w = min(predicted.shape[-2], annotated.shape[-2]), min(predicted.shape[-1], annotated.shape[-1])
    a, b = predicted[:, :h, :w].bool().flatten(1), annotated[:, :h, :w].bool().flatten(1)
    union = (a | b).sum(1)
    both_empty = torch.ones_like(union, dtype=torch.float)
    return torch.where(union > 0, (a & b).sum(1) / union.clamp(min=1), both_empty)


@torch.no_grad()
def pseudo_label_quality(model: torch.nn.Module, batches: Iterable[dict], score_thrs: Sequence[float],
                         iou_thr: float = 0.3) -> List[Dict[str, float]]:
    """Per threshold: ``images``, ``pseudo_labels``, ``on_removed`` (right ones), ``removed`` (removed
    flakes in the batches), ``found`` (removed flakes matched), ``precision`` and ``recall``, and
    ``mask_iou``: the right pseudo-labels' mean mask IoU with the removed flake each matches best (NaN where
    undefined; without masks on both sides, NaN); ``wrong_size`` and ``annotated_size``: the median size
    (square root of the box's area, pixels of the batch) of the wrong pseudo-labels and of the annotated
    flakes (NaN where there are none)."""
    model.eval()
    counts = {thr: dict(images=0, pseudo_labels=0, on_removed=0, removed=0, found=0, mask_iou_sum=0.0,
                        masks_compared=0)
              for thr in score_thrs}
    wrong_sizes = {thr: [] for thr in score_thrs}
    annotated_sizes = []
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
            annotated_sizes += box_sizes(sample.gt_instances.bboxes)
            for thr, row in counts.items():
                pseudo = select_pseudo_labels(detections, sample.gt_instances.bboxes, thr, iou_thr)
                overlaps = bbox_overlaps(pseudo.bboxes, removed_boxes.to(pseudo.bboxes))
                match = overlaps >= MATCH_IOU
                right = match.any(dim=1)
                wrong_sizes[thr] += box_sizes(pseudo.bboxes[~right])
                if right.any() and 'masks' in pseudo and removed is not None and 'masks' in removed:
                    best = overlaps[right].argmax(dim=1)
                    truth = removed.masks[best.tolist()].to_tensor(torch.bool, pseudo.masks.device)
                    row['mask_iou_sum'] += float(mask_ious(pseudo.masks[right], truth).sum())
                    row['masks_compared'] += int(right.sum())
                row['images'] += 1
                row['pseudo_labels'] += len(pseudo)
                row['on_removed'] += int(right.sum())
                row['removed'] += len(removed_boxes)
                row['found'] += int(match.any(dim=0).sum())
    rows = []
    for thr, row in counts.items():
        iou_sum, compared = row.pop('mask_iou_sum'), row.pop('masks_compared')
        rows.append(dict(score_thr=thr, **row,
                         precision=row['on_removed'] / row['pseudo_labels'] if row['pseudo_labels'] else
                         float('nan'),
                         recall=row['found'] / row['removed'] if row['removed'] else float('nan'),
                         mask_iou=iou_sum / compared if compared else float('nan'),
                         wrong_size=_median(wrong_sizes[thr]), annotated_size=_median(annotated_sizes)))
    return rows


def box_sizes(boxes: Tensor) -> List[float]:
    """The square root of each (x1, y1, x2, y2) box's area."""
    return (boxes[:, 2:] - boxes[:, :2]).clamp(min=0).prod(dim=1).sqrt().tolist()


def _median(values: List[float]) -> float:
    return statistics.median(values) if values else float('nan')
