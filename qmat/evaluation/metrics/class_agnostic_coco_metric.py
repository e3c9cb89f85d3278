"""COCO AP and AR with every class as one: did the model find the flakes, whatever thickness it called
them?"""
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS


@METRICS.register_module()
class ClassAgnosticCocoMetric(CocoMetric):
    """mmdet's :class:`~mmdet.evaluation.CocoMetric` on one class: every annotation and every prediction
    counts as a flake, so that a flake found but given the wrong thickness class is found.

    A physicist's first question of a model on their chips, and the measure of a few-shot model whose
    classes are still being learnt. Predictions are not merged across classes (a flake predicted as two
    classes counts once as a hit and once as a false positive), as in COCO's ``useCats=0``.

    Args:
        ann_file: The COCO annotation file (required: its categories are merged into one).
        metric: ``bbox`` and/or ``segm``.
        metric_items: The COCO numbers to report (default mAP, mAP_50 and AR@100).
        prefix: Prefix of the metric names (default ``agnostic``: ``agnostic/bbox_mAP_50``).
        **kwargs: The other arguments of :class:`~mmdet.evaluation.CocoMetric`.
    """
    default_prefix: Optional[str] = 'agnostic'

    def __init__(self, ann_file: Optional[str] = None, metric: Sequence[str] = ('bbox', ),
                 metric_items: Optional[Sequence[str]] = ('mAP', 'mAP_50', 'AR@100'), **kwargs) -> None:
        if ann_file is None:
            raise ValueError('ClassAgnosticCocoMetric needs ann_file (the annotations whose classes it '
                             'merges)')
        super().__init__(ann_file=ann_file, metric=list(metric), metric_items=list(metric_items), **kwargs)
        api = self._coco_api
        if not api.dataset.get('categories'):
            raise ValueError(f'ClassAgnosticCocoMetric: {ann_file} has no categories')
        first = min(api.get_cat_ids())
        for ann in api.dataset.get('annotations', []):
            ann['category_id'] = first
        api.dataset['categories'] = [dict(id=first, name='flake')]
        api.createIndex()
        self.cat_ids = [first]

    def compute_metrics(self, results: list) -> Dict[str, float]:
        for _, pred in results:
            pred['labels'] = np.zeros_like(pred['labels'])
        return super().compute_metrics(results)
