"""qmat's assigners and sampler on hand-built boxes: BRL's three bands, the oracles' IoU rule."""
import pytest
import torch
from helpers import numpy_iou
from mmdet.registry import TASK_UTILS
from mmdet.utils import register_all_modules
from mmengine.structures import InstanceData

from qmat.models.task_modules import CONFUSION, IoUIgnoreAssigner, SelectiveIoUAssigner, SelectiveIoUSampler

RPN = dict(pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1)
GT = torch.tensor([[8.0, 8.0, 24.0, 24.0]])


def grid_anchors(step=8.0, size=16.0, cells=4):
    """16 x 16 anchors centred every ``step`` px: IoU with GT 1 (itself), 1/3 (one step off), 1/7
    (diagonal), 0 (two steps off)."""
    centres = torch.arange(cells) * step
    ys, xs = torch.meshgrid(centres, centres, indexing='ij')
    centres = torch.stack([xs.flatten(), ys.flatten()], dim=1)
    return torch.cat([centres - size / 2, centres + size / 2], dim=1)


def instances(boxes):
    return InstanceData(bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long))


def test_selective_assigner_puts_every_anchor_in_its_band():
    anchors = grid_anchors()
    result = SelectiveIoUAssigner(confusion_iou_thr=0.1, **RPN).assign(InstanceData(priors=anchors),
                                                                        instances(GT))
    best = numpy_iou(anchors.numpy(), GT.numpy()).max(axis=1)
    expected = torch.tensor([1 if b >= 0.7 else -1 if b >= 0.3 else 0 if b >= 0.1 else CONFUSION
                             for b in best])
    assert result.gt_inds.tolist() == expected.tolist()
    assert {int(v) for v in result.gt_inds} == {1, -1, 0, CONFUSION}  # every band is present


def test_selective_assigner_without_annotations_and_bad_values():
    assigner = SelectiveIoUAssigner(**RPN)
    result = assigner.assign(InstanceData(priors=grid_anchors()), instances(torch.zeros(0, 4)))
    assert (result.gt_inds == CONFUSION).all()  # no annotation: nothing is near one
    with pytest.raises(ValueError, match='confusion_iou_thr'):
        SelectiveIoUAssigner(confusion_iou_thr=0.5, **RPN)
    with pytest.raises(ValueError, match='neg_iou_thr'):
        SelectiveIoUAssigner(**dict(RPN, neg_iou_thr=(0.1, 0.3)))


def test_selective_sampler_keeps_every_anchor_and_the_confusion_ones_apart():
    register_all_modules()
    assigner = TASK_UTILS.build(dict(type='SelectiveIoUAssigner', **RPN))
    sampler = TASK_UTILS.build(dict(type='SelectiveIoUSampler'))
    assert isinstance(assigner, SelectiveIoUAssigner) and isinstance(sampler, SelectiveIoUSampler)
    anchors = InstanceData(priors=grid_anchors())
    assigned = assigner.assign(anchors, instances(GT))
    result = sampler.sample(assigned, anchors, instances(GT))
    for inds, value in ((result.pos_inds, None), (result.neg_inds, 0), (result.confusion_inds, CONFUSION)):
        expected = (assigned.gt_inds > 0) if value is None else (assigned.gt_inds == value)
        assert sorted(inds.tolist()) == expected.nonzero().squeeze(1).tolist()
    assert result.avg_factor == len(result.pos_inds)  # divided by the positives, as the authors' RetinaNet


def test_iou_ignore_assigner_ignores_what_a_complete_annotation_would_not_call_background():
    """A small removed flake: mmdet's IoF rule (intersection over the anchor) protects no anchor."""
    anchors = grid_anchors()
    removed = torch.tensor([[19.0, 19.0, 29.0, 29.0]])  # 10 x 10 px, about 0.39 IoU with its 16 px anchor
    best = numpy_iou(anchors.numpy(), removed.numpy()).max(axis=1)
    plain = TASK_UTILS.build(dict(type='MaxIoUAssigner', **dict(RPN, ignore_iof_thr=0.5)))
    oracle = IoUIgnoreAssigner(**RPN)
    assert oracle.ignore_iou_thr == 0.3
    before = plain.assign(InstanceData(priors=anchors), instances(GT), instances(removed)).gt_inds
    after = oracle.assign(InstanceData(priors=anchors), instances(GT), instances(removed)).gt_inds
    reference = plain.assign(InstanceData(priors=anchors), instances(GT)).gt_inds  # nothing ignored
    assert torch.equal(before, reference)  # IoF 0.39 < 0.5: the removed flake protects nothing
    hit = torch.from_numpy(best >= 0.3) & (reference == 0)
    assert hit.sum() == 1
    assert (after[hit] == -1).all() and torch.equal(after[~hit], reference[~hit])
    # an annotated flake's positive stays positive even where it overlaps a removed one
    assert (after[reference > 0] > 0).all()


def test_iou_ignore_assigner_reads_the_negative_threshold_and_refuses_iof():
    assert IoUIgnoreAssigner(pos_iou_thr=0.5, neg_iou_thr=(0.1, 0.5)).ignore_iou_thr == 0.5
    assert IoUIgnoreAssigner(pos_iou_thr=0.5, neg_iou_thr=0.5, ignore_iou_thr=0.4).ignore_iou_thr == 0.4
    with pytest.raises(ValueError, match='ignore_iof_thr'):
        IoUIgnoreAssigner(**dict(RPN, ignore_iof_thr=0.5))
    with pytest.raises(ValueError, match='ignore_iou_thr'):
        IoUIgnoreAssigner(**RPN, ignore_iou_thr=0.0)
