"""pseudo_label_quality: per threshold, the pseudo-labels a detector would add and how many are right."""
import math

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from qmat.evaluation.pseudo_label_quality import pseudo_label_quality


class FixedDetector(torch.nn.Module):
    """Predicts the same detections on every image; its preprocessor passes the batch through."""

    def __init__(self, detections):
        super().__init__()
        self.detections = detections
        self.data_preprocessor = lambda batch, training: batch

    def predict(self, inputs, samples, rescale):
        assert not rescale
        for sample in samples:
            sample.pred_instances = self.detections
        return samples


def _boxes(rows):
    return torch.tensor(rows, dtype=torch.float32).reshape(-1, 4)


def test_counts_precision_and_recall_per_threshold():
    detections = InstanceData(bboxes=_boxes([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50],
                                             [60, 60, 70, 70]]),
                              scores=torch.tensor([0.95, 0.9, 0.6, 0.4]), labels=torch.tensor([0, 1, 2, 0]))
    sample = DetDataSample(metainfo=dict(img_shape=(80, 80)))
    sample.gt_instances = InstanceData(bboxes=_boxes([[0, 0, 10, 10]]), labels=torch.tensor([0]))  # annotated
    # removed flakes: the one at (20, 20) is found at 0.9, the one at (60, 60) only at 0.4, one never
    sample.ignored_instances = InstanceData(bboxes=_boxes([[21, 21, 30, 30], [60, 60, 70, 69],
                                                           [0, 60, 8, 68]]), labels=torch.tensor([0, 0, 0]))
    batches = [dict(inputs=torch.zeros(1, 3, 80, 80), data_samples=[sample])] * 2
    rows = pseudo_label_quality(FixedDetector(detections), batches, [0.3, 0.5, 0.95])
    low, mid, high = rows
    # 0.3: (20, 20), (40, 40), (60, 60) added; two of them on removed flakes; two of three removed found
    assert (low['images'], low['pseudo_labels'], low['on_removed'], low['removed'], low['found']) == (
        2, 6, 4, 6, 4)
    assert low['precision'] == 4 / 6 and low['recall'] == 4 / 6
    assert (mid['pseudo_labels'], mid['on_removed'], mid['found']) == (4, 2, 2)
    assert mid['precision'] == 0.5 and mid['recall'] == 2 / 6
    # 0.95: only the annotated flake scores so high, and it is not a pseudo-label
    assert high['pseudo_labels'] == 0 and math.isnan(high['precision']) and high['recall'] == 0
    # sizes: the wrong pseudo-label (40, 40) is 10 x 10, as the annotated flake; none at 0.95
    assert low['wrong_size'] == mid['wrong_size'] == 10 and math.isnan(high['wrong_size'])
    assert low['annotated_size'] == high['annotated_size'] == 10


def test_wrong_pseudo_labels_sizes_are_their_median_box_side():
    # nothing removed: every pseudo-label is wrong; boxes of 4 x 9, 2 x 2 and 30 x 30 (sizes 6, 2 and 30)
    detections = InstanceData(bboxes=_boxes([[0, 0, 4, 9], [10, 10, 12, 12], [40, 40, 70, 70]]),
                              scores=torch.tensor([0.9, 0.8, 0.7]), labels=torch.tensor([0, 0, 0]))
    sample = DetDataSample(metainfo=dict(img_shape=(80, 80)))
    sample.gt_instances = InstanceData(bboxes=_boxes([[20, 0, 36, 4], [20, 20, 28, 28]]),
                                       labels=torch.tensor([0, 0]))  # sizes 8 and 8
    row, = pseudo_label_quality(FixedDetector(detections), [dict(inputs=None, data_samples=[sample])], [0.5])
    assert row['pseudo_labels'] == 3 and row['on_removed'] == 0
    assert row['wrong_size'] == pytest.approx(6.0) and row['annotated_size'] == pytest.approx(8.0)


def _box_masks(rows, size):
    masks = torch.zeros(len(rows), size, size, dtype=torch.bool)
    for mask, (x1, y1, x2, y2) in zip(masks, rows):
        mask[y1:y2, x1:x2] = True
    return masks


def test_right_pseudo_labels_masks_are_compared_with_the_removed_outlines():
    from mmdet.structures.mask import BitmapMasks
    boxes = [[0, 0, 10, 10], [20, 20, 30, 30], [60, 60, 70, 70]]
    detections = InstanceData(bboxes=_boxes(boxes), scores=torch.tensor([0.95, 0.9, 0.4]),
                              labels=torch.tensor([0, 1, 0]), masks=_box_masks(boxes, 80))
    sample = DetDataSample(metainfo=dict(img_shape=(80, 80)))
    sample.gt_instances = InstanceData(bboxes=_boxes([[0, 0, 10, 10]]), labels=torch.tensor([0]))
    # the removed outlines at the batch's padded size (96): the first fills 9 x 9 of its pseudo-label's
    # 10 x 10 (IoU 0.81), the second 10 x 9 (0.9); the third lies apart from every detection
    removed = [[21, 21, 30, 30], [60, 60, 70, 69], [0, 60, 8, 68]]
    sample.ignored_instances = InstanceData(
        bboxes=_boxes(removed), labels=torch.tensor([0, 0, 0]),
        masks=BitmapMasks(_box_masks(removed, 96).numpy().astype('uint8'), 96, 96))
    low, high = pseudo_label_quality(FixedDetector(detections), [dict(inputs=None, data_samples=[sample])],
                                     [0.3, 0.5])
    assert low['on_removed'] == 2 and low['mask_iou'] == pytest.approx((0.81 + 0.9) / 2)
    assert high['on_removed'] == 1 and high['mask_iou'] == pytest.approx(0.81)
    # no masks on the removed flakes: nothing to compare
    del sample.ignored_instances.masks
    row, = pseudo_label_quality(FixedDetector(detections), [dict(inputs=None, data_samples=[sample])], [0.3])
    assert row['on_removed'] == 2 and math.isnan(row['mask_iou'])


def test_mask_iou_reads_the_region_both_cover_and_empty_pairs_as_equal():
    from qmat.evaluation.pseudo_label_quality import mask_ious
    predicted = _box_masks([[0, 0, 4, 4], [0, 0, 0, 0], [0, 0, 2, 2]], 8)
    annotated = _box_masks([[0, 0, 4, 2], [0, 0, 0, 0], [4, 4, 6, 6]], 10)
    assert mask_ious(predicted, annotated).tolist() == pytest.approx([0.5, 1.0, 0.0])


def test_tool_refuses_an_impossible_threshold():
    from helpers import assert_one_line_error, run_in_process
    result = run_in_process('tools/analysis_tools/pseudo_label_quality.py', 'config.py', 'ckpt.pth',
                            '--train-ann', 'a.json', '--score-thrs', '0.5', '1.5')
    assert_one_line_error(result, '--score-thrs and --iou-thr must be in [0, 1], got 1.5')
