""""Recovered flakes": the share of the flakes removed from the training annotations that a model finds."""
from typing import Dict, List, Optional, Sequence

import mmengine
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric

from qmat.utils import UserInputError, box_iou, xywh_to_xyxy


@METRICS.register_module()
class RecoveredFlakesMetric(BaseMetric):
    """Share of the removed training flakes that the model detects: a prediction with score >= ``score_thr``
    whose box has IoU >= ``iou_thr`` with the flake (several flakes may be found by one prediction).

    Evaluate it over the *training* images with the test pipeline (a ``test_dataloader`` on the complete
    training file); the removed flakes come from the removal record that ``tools/data/drop_annotations.py``
    writes beside the training file (``*.removed.json``, COCO annotations with ``image_id`` and xywh
    ``bbox``).

    Args:
        removed_file: The removal record, or None to pass ``removed`` directly.
        removed: The removed annotations (when ``removed_file`` is None).
        score_thr: Lowest score of a prediction that counts as found.
        iou_thr: Lowest box IoU of a found flake with its prediction.
        collect_device: Where results are gathered across ranks.
        prefix: Prefix of the metric names (default ``missing``: ``missing/recovered``, ``missing/removed``).
    """
    default_prefix: Optional[str] = 'missing'

    def __init__(self, removed_file: Optional[str] = None, removed: Optional[Sequence[dict]] = None,
                 score_thr: float = 0.5, iou_thr: float = 0.5, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if (removed_file is None) == (removed is None):
            raise ValueError('RecoveredFlakesMetric: give exactly one of removed_file and removed')
        self.removed = list(removed) if removed is not None else read_removed(removed_file)
        self.score_thr, self.iou_thr = score_thr, iou_thr
        self.by_image: Dict[int, List[list]] = {}
        for ann in self.removed:
            self.by_image.setdefault(int(ann['image_id']), []).append(ann['bbox'])

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            targets = self.by_image.get(int(sample['img_id']))
            if not targets:
                continue
            predictions = sample['pred_instances']
            boxes = predictions['bboxes'][predictions['scores'] >= self.score_thr].cpu()
            ious = box_iou(xywh_to_xyxy(targets), boxes)
            self.results.append(int((ious.max(axis=1) >= self.iou_thr).sum()) if ious.size else 0)

    def compute_metrics(self, results: List[int]) -> Dict[str, float]:
        found = sum(results)
        return dict(recovered=found / len(self.removed) if self.removed else float('nan'),
                    removed=len(self.removed))


def read_removed(record_path: str) -> List[dict]:
    """The removed annotations of a removal record (``*.removed.json``)."""
    try:
        record = mmengine.load(record_path, file_format='json')
    except (OSError, ValueError) as error:
        raise UserInputError(f'removal record {record_path} could not be read: {error}') from None
    if not isinstance(record, dict) or not isinstance(record.get('removed'), list):
        raise UserInputError(f'removal record {record_path} has no list under "removed"')
    return record['removed']
