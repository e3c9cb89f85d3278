"""qmat's evaluator metrics: AR@N of the RPN's proposals and the share of removed flakes a model recovers,
on hand-made inputs, through mmengine's Evaluator, and in a real validation loop next to CocoMetric."""
import json

import numpy as np
import pytest
import torch
from conftest import tiny_run_config
from mmdet.registry import METRICS
from mmengine.evaluator import Evaluator

import qmat  # noqa: F401  (registers the metrics and the hook)
from qmat.evaluation import ProposalRecallMetric, RecoveredFlakesMetric, average_recall, matched_ious
from qmat.utils import UserInputError


def detections(image_id, boxes, scores):
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return dict(img_id=image_id, pred_instances=dict(bboxes=boxes, scores=torch.tensor(scores)))


REMOVED = [dict(image_id=1, bbox=[10, 10, 20, 20]),   # found: IoU 0.74 with score 0.9
           dict(image_id=1, bbox=[60, 60, 10, 10]),   # only a low-score detection there
           dict(image_id=2, bbox=[0, 0, 8, 8]),       # a detection that overlaps too little (IoU 0.25)
           dict(image_id=3, bbox=[5, 5, 5, 5])]       # image without detections
OUTPUTS = [detections(1, [[12, 12, 32, 30], [60, 60, 70, 70]], [0.9, 0.3]),
           detections(2, [[0, 0, 4, 4]], [0.99]), detections(3, [], [])]


def test_recovered_counts_confident_overlapping_detections_only():
    metric = RecoveredFlakesMetric(removed=REMOVED)
    metric.process({}, OUTPUTS)
    assert metric.compute_metrics(metric.results) == dict(recovered=0.25, removed=4)
    low = RecoveredFlakesMetric(removed=REMOVED, score_thr=0.2)
    low.process({}, OUTPUTS[:1])
    assert low.compute_metrics(low.results)['recovered'] == 0.5


def test_recovered_from_a_removal_record_through_the_evaluator(tmp_path):
    record = tmp_path / 'train.removed.json'
    record.write_text(json.dumps(dict(removed=REMOVED)))
    evaluator = Evaluator([METRICS.build(dict(type='RecoveredFlakesMetric', removed_file=str(record)))])
    evaluator.process(OUTPUTS)
    assert evaluator.evaluate(len(OUTPUTS)) == {'missing/recovered': 0.25, 'missing/removed': 4}
    broken = tmp_path / 'broken.json'
    broken.write_text('{"removed": 3}')
    with pytest.raises(UserInputError, match='broken.json'):
        RecoveredFlakesMetric(removed_file=str(broken))
    with pytest.raises(ValueError, match='exactly one'):
        RecoveredFlakesMetric()


def test_average_recall_matches_one_to_one():
    # two annotations, one proposal on both: only one of them is covered
    assert matched_ious(np.array([[0.9], [0.8]])).tolist() == [0.9, 0.0]
    assert matched_ious(np.array([[0.9, 0.7], [0.8, 0.1]])).tolist() == [0.9, 0.1]  # greedy by best pair
    gts = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]], dtype=float)]
    proposals = [np.array([[0, 0, 10, 10, 0.9], [20, 20, 30, 31, 0.8], [50, 50, 60, 60, 0.99]], dtype=float)]
    # top 1 by score is the stray box: nothing covered; top 3: one exact (IoU 1), one at IoU 100/110
    assert average_recall(gts, proposals, 1) == 0.0
    thresholds = np.arange(0.5, 0.951, 0.05)
    expected = np.mean([(1 + (100 / 110 >= t)) / 2 for t in thresholds])
    assert average_recall(gts, proposals, 3) == pytest.approx(expected)
    assert np.isnan(average_recall([np.zeros((0, 4))], proposals, 3))


def test_proposal_recall_metric_reads_proposals_or_predictions():
    gt = dict(bboxes=torch.tensor([[0, 0, 10, 10], [20, 20, 30, 30]], dtype=torch.float32))
    found = dict(bboxes=torch.tensor([[0, 0, 10, 10], [20, 20, 30, 31], [50, 50, 60, 60]],
                 dtype=torch.float32),
                 scores=torch.tensor([0.9, 0.8, 0.99]))
    metric = ProposalRecallMetric(proposal_nums=(1, 3))
    metric.process({}, [dict(gt_instances=gt, proposals=found)])
    expected = np.mean([(1 + (100 / 110 >= t)) / 2 for t in np.arange(0.5, 0.951, 0.05)])
    assert metric.compute_metrics(metric.results) == {'AR@1': 0.0, 'AR@3': pytest.approx(expected)}
    rpn_only = ProposalRecallMetric(proposal_nums=(3,))  # an RPN detector's predictions are its proposals
    rpn_only.process({}, [dict(gt_instances=gt, pred_instances=found)])
    assert rpn_only.compute_metrics(rpn_only.results)['AR@3'] == pytest.approx(expected)
    with pytest.raises(KeyError, match='RecordProposalsHook'):
        ProposalRecallMetric().process({}, [dict(gt_instances=gt)])
    with pytest.raises(ValueError, match='proposal_nums'):
        ProposalRecallMetric(proposal_nums=(0,))


@pytest.mark.slow
def test_validation_loop_with_the_hook_gives_the_rpns_recall(synthetic_root, tmp_path):
    """In a config's val_evaluator next to CocoMetric, with RecordProposalsHook: the AR of the proposals
    that the RPN makes for the images at their original scale, computed here without the hook."""
    from mmengine.runner import Runner

    from qmat.experiments.study import rpn_outputs

    cfg = tiny_run_config(synthetic_root, max_iters=1)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.val_evaluator = [cfg.val_evaluator, dict(type='ProposalRecallMetric', proposal_nums=(10, 1000))]
    cfg.custom_hooks = [dict(type='RecordProposalsHook')]
    runner = Runner.from_cfg(cfg)
    metrics = runner.val()
    assert 'coco/bbox_mAP' in metrics and 0 < metrics['rpn/AR@1000'] <= 1
    assert metrics['rpn/AR@10'] <= metrics['rpn/AR@1000']
    model = runner.model
    model.eval()
    gts, proposals = [], []
    for batch in runner.val_dataloader:
        for sample in rpn_outputs(model, batch):  # proposals with rescale=True, in one pass
            gts.append(sample.gt_instances.bboxes.numpy())
            found = sample.proposals
            proposals.append(np.hstack([found.bboxes.numpy(), found.scores.numpy()[:, None]]))
    assert metrics['rpn/AR@1000'] == pytest.approx(average_recall(gts, proposals, 1000), abs=1e-6)
    assert metrics['rpn/AR@10'] == pytest.approx(average_recall(gts, proposals, 10), abs=1e-6)
    assert 'predict' not in model.rpn_head.__dict__  # the hook unwrapped the model after validation


def test_class_agnostic_ap_counts_a_flake_found_with_the_wrong_class(tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from qmat.evaluation import ClassAgnosticCocoMetric
    gt = dict(images=[dict(id=1, width=100, height=100, file_name='a.jpg')],
              categories=[dict(id=1, name='mono'), dict(id=2, name='few'), dict(id=3, name='thick')],
              annotations=[dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 20, 20], area=400, iscrowd=0),
                           dict(id=2, image_id=1, category_id=3, bbox=[50, 50, 30, 30], area=900, iscrowd=0)])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    # both flakes found, the first called 'thick' (label 2); a false positive with a low score
    boxes, scores, labels = [[10, 10, 30, 30], [50, 50, 80, 80], [0, 60, 8, 70]], [0.9, 0.8, 0.3], [2, 2, 0]
    sample = dict(img_id=1, ori_shape=(100, 100), pred_instances=dict(
        bboxes=torch.tensor(boxes, dtype=torch.float32), scores=torch.tensor(scores),
        labels=torch.tensor(labels)))
    metric = ClassAgnosticCocoMetric(ann_file=str(path))
    metric.dataset_meta = dict(classes=('mono', 'few', 'thick'))
    metric.process({}, [sample])
    found = metric.compute_metrics(metric.results)
    # pycocotools on its own, categories ignored
    api = COCO(str(path))
    dets = api.loadRes([dict(image_id=1, category_id=1, bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]], score=s)
                        for b, s in zip(boxes, scores)])
    reference = COCOeval(api, dets, 'bbox')
    reference.params.useCats = 0
    reference.params.maxDets = [100, 300, 1000]
    reference.evaluate(), reference.accumulate(), reference.summarize()
    assert found['bbox_mAP_50'] == round(reference.stats[1], 3) == 1.0
    assert found['bbox_AR@100'] == round(reference.stats[6], 3)
    with pytest.raises(ValueError, match='ann_file'):
        ClassAgnosticCocoMetric()
