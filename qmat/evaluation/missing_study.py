"""The missing-annotation study on synthetic data: what each method loses when annotations go missing.

Per finished run it measures, on top of the COCO AP that training logged on the complete validation set:

* RPN proposal recall on validation: AR@100 and AR@1000, recall averaged over IoU 0.5:0.95, proposals and
  annotations matched one to one, greedily by IoU (as mmdet's ``eval_recalls``, which fails on numpy 2);
* "recovered": the share of the removed training flakes (known from ``*.removed.json``) that the trained
  model detects, i.e. a prediction with score >= 0.5 whose box has IoU >= 0.5 with the flake.
"""
import json
from typing import Dict, Iterable, List, Sequence

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps

RECALL_IOUS = np.arange(0.5, 0.951, 0.05)


@torch.no_grad()
def proposal_recall(model: torch.nn.Module, batches: Iterable[dict],
                    proposal_nums: Sequence[int] = (100, 1000)) -> Dict[str, float]:
    """AR@N of the RPN's proposals (original image coordinates) against the batches' annotations."""
    gts, proposals = [], []
    for batch in batches:
        data = model.data_preprocessor(batch, False)
        samples = data['data_samples']
        results = model.rpn_head.predict(model.extract_feat(data['inputs']), samples, rescale=True)
        for sample, result in zip(samples, results):
            gts.append(sample.gt_instances.bboxes.cpu().numpy().reshape(-1, 4))
            proposals.append(np.hstack([result.bboxes.cpu().numpy(), result.scores.cpu().numpy()[:, None]]))
    return {f'AR@{n}': average_recall(gts, proposals, n) for n in proposal_nums}


def matched_ious(ious: np.ndarray) -> np.ndarray:
    """IoU at which each annotation (row) is covered when proposals (columns) are matched one to one:
    repeatedly the best remaining pair, until annotations or proposals run out (0 for the unmatched)."""
    ious = ious.copy()
    best = np.zeros(ious.shape[0])
    for _ in range(min(ious.shape)):
        row, col = np.unravel_index(np.argmax(ious), ious.shape)
        if ious[row, col] < 0:
            break
        best[row] = ious[row, col]
        ious[row, :], ious[:, col] = -1, -1
    return best


def average_recall(gts: List[np.ndarray], proposals: List[np.ndarray], num: int,
                   iou_thrs: np.ndarray = RECALL_IOUS) -> float:
    """Recall of the top ``num`` proposals (by score, the fifth column) averaged over ``iou_thrs``."""
    covered = []
    for gt, prop in zip(gts, proposals):
        if len(gt) == 0:
            continue
        top = prop[np.argsort(-prop[:, 4], kind='stable')[:num], :4] if len(prop) else np.zeros((0, 4))
        ious = bbox_overlaps(torch.from_numpy(gt).float(), torch.from_numpy(top).float()).numpy()
        covered.append(matched_ious(ious) if ious.size else np.zeros(len(gt)))
    if not covered:
        return float('nan')
    covered = np.concatenate(covered)
    return float(np.mean([(covered >= t).mean() for t in iou_thrs]))


def xywh_to_xyxy(boxes: Sequence[Sequence[float]]) -> torch.Tensor:
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return torch.cat([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], dim=1)


@torch.no_grad()
def recovered_share(model: torch.nn.Module, batches: Iterable[dict], removed: List[dict],
                    score_thr: float = 0.5, iou_thr: float = 0.5) -> Dict[str, float]:
    """Share of ``removed`` annotations (COCO dicts with ``image_id`` and xywh ``bbox``) that the model finds.

    ``batches`` must cover the training images (test pipeline); predictions are in image coordinates.
    """
    by_image: Dict[int, List[List[float]]] = {}
    for ann in removed:
        by_image.setdefault(int(ann['image_id']), []).append(ann['bbox'])
    found = 0
    for batch in batches:
        for result in model.test_step(batch):
            targets = by_image.get(int(result.metainfo['img_id']))
            if not targets:
                continue
            predictions = result.pred_instances
            boxes = predictions.bboxes[predictions.scores >= score_thr].cpu().float()
            if len(boxes):
                found += int((bbox_overlaps(xywh_to_xyxy(targets), boxes).max(dim=1).values >= iou_thr).sum())
    return dict(recovered=found / len(removed) if removed else float('nan'), removed=len(removed))


def read_removed(record_path: str) -> List[dict]:
    """The removed annotations of a ``tools/drop_annotations.py`` record."""
    with open(record_path, encoding='utf-8') as f:
        return json.load(f)['removed']


STUDY_METHODS = {
    'baseline': 'configs/synthetic/mask-rcnn_r18_fpn_250i_synthetic.py',
    'ohem': 'configs/synthetic/mask-rcnn_r18_fpn_ohem_250i_synthetic.py',
    'brl': 'configs/synthetic/mask-rcnn_r18_fpn_brl_250i_synthetic.py',
    'sasl-paper': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-paper-t0.8_250i_synthetic.py',
    'sasl': 'configs/synthetic/mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py',
}
STUDY_COLUMNS = (('bbox AP', 'coco/bbox_mAP'), ('bbox AP50', 'coco/bbox_mAP_50'),
                 ('bbox AP75', 'coco/bbox_mAP_75'), ('segm AP', 'coco/segm_mAP'),
                 ('segm AP50', 'coco/segm_mAP_50'), ('segm AP75', 'coco/segm_mAP_75'),
                 ('AR@100', 'AR@100'), ('AR@1000', 'AR@1000'), ('recovered', 'recovered'))


def train_file(fraction: float, seed: int) -> str:
    """The training annotations of one cell, relative to the data root."""
    return f'annotations/instances_train2019_missing{round(100 * fraction):02d}_seed{seed}.json'


def evaluate_run(config: str, checkpoint: str, data_root: str, record: str) -> Dict[str, float]:
    """AR@100, AR@1000 on validation and the recovered share of the removed training flakes."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.runner import Runner, load_checkpoint

    from qmat.engine import load_config, set_data_root

    register_all_modules()
    cfg = load_config(config)
    set_data_root(cfg, data_root)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    metrics = proposal_recall(model, Runner.build_dataloader(cfg.val_dataloader))
    train_images = cfg.val_dataloader.copy()  # the test pipeline over the (complete) training images
    train_images.dataset = dict(cfg.val_dataloader.dataset, ann_file='annotations/instances_train2019.json',
                                data_prefix=dict(img='train2019/'))
    metrics.update(recovered_share(model, Runner.build_dataloader(train_images), read_removed(record)))
    return metrics
