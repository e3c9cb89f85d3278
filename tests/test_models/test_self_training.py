"""SelfTrainingMaskRCNN: which detections become pseudo-labels, the EMA teacher, the completed targets."""
import os.path as osp

import numpy as np
import pytest
import torch
from helpers import REPO
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.structures import InstanceData

from qmat.models import SelfTrainingMaskRCNN, select_pseudo_labels

CPU_CONFIG = osp.join(REPO, 'configs', 'synthetic', 'mask-rcnn_r18_fpn_250i_synthetic.py')


def _detections(rows, size=32):
    """InstanceData of (x1, y1, x2, y2, score, label) rows, each mask its box."""
    masks = torch.zeros(len(rows), size, size, dtype=torch.bool)
    for mask, (x1, y1, x2, y2, *_) in zip(masks, rows):
        mask[int(y1):int(y2), int(x1):int(x2)] = True
    rows = torch.tensor(rows, dtype=torch.float32).reshape(-1, 6)
    return InstanceData(bboxes=rows[:, :4], scores=rows[:, 4], labels=rows[:, 5].long(), masks=masks)


def test_selection_keeps_confident_unannotated_detections_once():
    annotated = torch.tensor([[0., 0., 10., 10.]])
    detections = _detections([
        (1, 1, 10, 10, 0.90, 0),     # the annotated flake (IoU 0.81): not a pseudo-label
        (20, 20, 30, 30, 0.80, 1),   # an unannotated flake
        (40, 40, 50, 50, 0.60, 0),   # below the score threshold
        (20, 20, 30, 29, 0.75, 2),   # the same flake read as another class (IoU 0.9): a duplicate
        (60, 0, 70, 10, 0.95, 2),    # another unannotated flake, the most confident
        (6, 0, 16, 10, 0.85, 0),     # overlaps the annotation by IoU 4 / 16 = 0.25 < 0.3: kept
    ], size=80)
    kept = select_pseudo_labels(detections, annotated, score_thr=0.7, iou_thr=0.3)
    assert kept.scores.tolist() == pytest.approx([0.95, 0.85, 0.80])
    assert kept.labels.tolist() == [2, 0, 1]
    assert kept.masks.shape == (3, 80, 80)
    assert kept.masks[2, 25, 25] and not kept.masks[2, 5, 5]  # the masks follow their detections
    top = select_pseudo_labels(detections, annotated, score_thr=0.7, iou_thr=0.3, max_per_image=1)
    assert top.scores.tolist() == pytest.approx([0.95])
    # a stricter overlap rule also drops the detection that touches the annotation
    assert len(select_pseudo_labels(detections, annotated, 0.7, iou_thr=0.2)) == 2
    # without annotations the annotated flake is a pseudo-label too; nothing confident: nothing
    assert len(select_pseudo_labels(detections, torch.zeros(0, 4), 0.7, 0.3)) == 4
    assert len(select_pseudo_labels(detections, annotated, 0.99, 0.3)) == 0
    assert len(select_pseudo_labels(_detections([]), annotated, 0.5, 0.3)) == 0


def _model(roi_head='StandardRoIHead', **self_training):
    register_all_modules()
    cfg = Config.fromfile(CPU_CONFIG).model
    cfg.type = 'SelfTrainingMaskRCNN'
    cfg.roi_head.type = roi_head
    cfg.self_training = dict(dict(score_thr=0.7, burn_in=1, momentum=0.9), **self_training)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(ignored=True):
    torch.manual_seed(0)
    inputs = torch.rand(1, 3, 64, 64) * 255
    sample = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64),
                                         scale_factor=(1.0, 1.0), batch_input_shape=(64, 64)))
    masks = np.zeros((1, 64, 64), np.uint8)
    masks[0, 4:20, 4:20] = 1
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[4., 4., 20., 20.]]), labels=torch.tensor([1]),
                                       masks=BitmapMasks(masks, 64, 64))
    removed = torch.tensor([[30., 30., 50., 50.], [0., 40., 10., 60.]]) if ignored else torch.zeros(0, 4)
    sample.ignored_instances = InstanceData(bboxes=removed, labels=torch.zeros(len(removed)).long())
    return inputs, [sample]


def _teacher_says(monkeypatch, model, detections):
    """Make ``model``'s teacher detect ``detections`` on every image, in the batch's coordinates."""
    monkeypatch.setattr(model, 'teacher_detections', lambda inputs, samples: [detections for _ in samples])


@pytest.mark.parametrize('masks', [True, False])
def test_teacher_detections_are_its_predictions_in_the_batch_frame_with_masks_only_where_they_train(masks):
    """The teacher's boxes, scores and labels are Mask R-CNN's ``predict(rescale=False)``; its masks too,
    unless pseudo-labels train no mask, when it skips its mask head."""
    model = _model('BoxOnlyRoIHead', masks=masks, score_thr=0.0)
    model.eval()
    inputs, samples = _batch()
    samples[0].set_metainfo(dict(scale_factor=(2.0, 2.0)))  # a rescaling predict would halve the boxes
    with torch.no_grad():
        expected = model.teacher.predict(inputs, [DetDataSample(metainfo=samples[0].metainfo)],
                                         rescale=False)[0].pred_instances
    found = model.teacher_detections(inputs, samples)[0]
    assert len(found) == len(expected) > 0
    for key in ('bboxes', 'scores', 'labels'):
        assert torch.equal(found.get(key), expected.get(key))
    assert ('masks' in found) == masks
    if masks:
        assert torch.equal(found.masks, expected.masks)


def test_pseudo_labels_complete_the_targets_and_are_measured_against_the_removed_flakes(monkeypatch):
    model = _model()
    teacher_says = _detections([(5, 5, 20, 20, 0.9, 1),      # the annotated flake
                                (31, 31, 50, 50, 0.8, 0),    # a removed flake, its class: right
                                (0, 41, 10, 60, 0.78, 2),    # a removed flake (class 0) read as class 2
                                (40, 0, 60, 12, 0.75, 2)],   # nothing there: wrong
                               size=64)
    _teacher_says(monkeypatch, model, teacher_says)
    inputs, samples = _batch()
    counts = model.add_pseudo_labels(inputs, samples)
    assert counts == dict(selftrain_pseudo_labels=3, selftrain_pseudo_on_removed=2,
                          selftrain_pseudo_right_class=1, selftrain_removed=2, selftrain_removed_found=2)
    gt = samples[0].gt_instances
    assert gt.bboxes.tolist() == [[4, 4, 20, 20], [31, 31, 50, 50], [0, 41, 10, 60], [40, 0, 60, 12]]
    assert gt.labels.tolist() == [1, 0, 2, 2]
    assert isinstance(gt.masks, BitmapMasks) and gt.masks.masks.shape == (4, 64, 64)
    assert gt.masks.masks[0].sum() == 16 * 16 and gt.masks.masks[1, 40, 40] and not gt.masks.masks[1, 10, 10]
    assert len(samples[0].ignored_instances) == 2  # still ignored: never a target
    # without removed flakes there is nothing to measure against: only the count is logged
    inputs, samples = _batch(ignored=False)
    assert model.add_pseudo_labels(inputs, samples) == dict(selftrain_pseudo_labels=3)


def test_box_only_pseudo_labels_are_marked_mask_free_and_train(monkeypatch):
    with pytest.raises(ValueError, match="masks=False needs model.roi_head.type='BoxOnlyRoIHead', "
                                         "got StandardRoIHead"):
        _model(masks=False)
    model = _model('BoxOnlyRoIHead', masks=False, burn_in=0)
    teacher_says = _detections([(31, 31, 50, 50, 0.8, 0), (40, 0, 60, 12, 0.75, 2)], size=64)
    _teacher_says(monkeypatch, model, teacher_says)
    inputs, samples = _batch()
    model.add_pseudo_labels(inputs, samples)
    gt = samples[0].gt_instances
    assert gt.mask_free.tolist() == [False, True, True] and len(gt.masks) == 3
    # a teacher that made no masks (its mask head skipped) gives empty ones, which no target reads
    boxes_only = InstanceData(**{key: teacher_says.get(key) for key in ('bboxes', 'scores', 'labels')})
    _teacher_says(monkeypatch, model, boxes_only)
    inputs, samples = _batch()
    model.add_pseudo_labels(inputs, samples)
    masks = samples[0].gt_instances.masks.masks
    assert masks.shape == (3, 64, 64) and masks[0].sum() == 16 * 16 and not masks[1:].any()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert losses['selftrain_pseudo_labels'] == 2 and torch.isfinite(losses['loss_mask'])
    assert 'box_free' not in gt
    # with boxes=False they train no box regression either
    classes = _model('BoxOnlyRoIHead', masks=False, boxes=False, burn_in=0)
    _teacher_says(monkeypatch, classes, teacher_says)
    inputs, samples = _batch()
    classes.add_pseudo_labels(inputs, samples)
    gt = samples[0].gt_instances
    assert gt.box_free.tolist() == gt.mask_free.tolist() == [False, True, True]
    inputs, samples = _batch()
    assert torch.isfinite(classes.loss(inputs, samples)['loss_bbox'])
    with pytest.raises(ValueError, match="boxes=False needs model.roi_head.type='BoxOnlyRoIHead'"):
        _model(boxes=False)
    # with the teacher's masks (the default) nothing is marked
    inputs, samples = _batch()
    plain = _model('BoxOnlyRoIHead', burn_in=0)
    _teacher_says(monkeypatch, plain, teacher_says)
    plain.add_pseudo_labels(inputs, samples)
    assert 'mask_free' not in samples[0].gt_instances


@pytest.mark.parametrize('rpn, logged', [('sasl-t0.8', 'sasl_soft_labels'), ('brl', 'brl_confusion')])
def test_class_only_self_training_trains_with_sasl_and_brl_rpn_heads(monkeypatch, rpn, logged):
    """The combination configs train: pseudo-labels complete the targets of the SASL-RPN or BRL head, whose
    own statistics are still logged, and stay out of the box regressor's and mask head's targets."""
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'synthetic',
                                   f'mask-rcnn_r18_fpn_self-training-classes_{rpn}_5500i_paper-graphene.py'))
    cfg.model.self_training.burn_in = 0
    model = MODELS.build(cfg.model)
    model.init_weights()
    teacher_says = _detections([(31, 31, 50, 50, 0.8, 0), (40, 0, 60, 12, 0.75, 2)], size=64)
    _teacher_says(monkeypatch, model, teacher_says)
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert losses['selftrain_pseudo_labels'] == 2 and logged in losses
    gt = samples[0].gt_instances
    assert gt.box_free.tolist() == gt.mask_free.tolist() == [False, True, True]
    total, _ = model.parse_losses(losses)  # as the runner sums them
    assert torch.isfinite(total)
    total.backward()
    assert model.rpn_head.rpn_conv.weight.grad is not None


def test_teacher_copies_the_student_at_burn_in_then_follows_it_by_ema():
    model = _model(burn_in=1, momentum=0.9)
    model.train()
    assert not model.teacher.training and not any(p.requires_grad for p in model.teacher.parameters())
    student, teacher = model.backbone.conv1.weight, model.teacher.backbone.conv1.weight
    assert not torch.equal(student, teacher)  # initialised apart
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)  # step 0: plain Mask R-CNN, the teacher untouched
    assert int(model.steps) == 1 and 'selftrain_pseudo_labels' not in losses
    assert not torch.equal(student, teacher)
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)  # step 1 = burn_in: the teacher is the student
    assert torch.equal(student, teacher) and 'selftrain_pseudo_labels' in losses
    assert set(losses) >= {'loss_rpn_cls', 'loss_cls', 'loss_mask'}
    before_teacher = teacher.detach().clone()
    mean, teacher_mean = model.backbone.bn1.running_mean, model.teacher.backbone.bn1.running_mean
    before_mean = teacher_mean.clone()
    with torch.no_grad():
        student.add_(1.0)
        mean.add_(3.0)
    model.update_teacher(0.9)
    torch.testing.assert_close(teacher, 0.9 * before_teacher + 0.1 * student.detach())
    torch.testing.assert_close(teacher_mean, 0.9 * before_mean + 0.1 * mean)  # BN statistics follow too


def test_steps_and_teacher_travel_with_the_checkpoint():
    model = _model(burn_in=0)
    model.loss(*_batch())
    state = model.state_dict()
    assert int(state['steps']) == 1 and any(key.startswith('teacher.') for key in state)
    fresh = _model(burn_in=0)
    fresh.load_state_dict(state)
    assert int(fresh.steps) == 1
    assert torch.equal(fresh.teacher.backbone.conv1.weight, model.teacher.backbone.conv1.weight)


@pytest.mark.parametrize('key, value, fragment', [
    ('score_thr', 1.5, 'model.self_training.score_thr must be in [0, 1]'),
    ('burn_in', -1, 'model.self_training.burn_in must be >= 0'),
    ('threshold', 0.5, "unknown key(s) ['threshold']"),
])
def test_impossible_settings_name_their_key(key, value, fragment):
    with pytest.raises(ValueError, match=fragment.replace('[', r'\[').replace(']', r'\]').replace(
            '(', r'\(').replace(')', r'\)')):
        _model(**{key: value})


def test_it_is_registered_and_predicts_with_the_student():
    register_all_modules()
    assert MODELS.get('SelfTrainingMaskRCNN') is SelfTrainingMaskRCNN
    model = _model().eval()
    inputs, samples = _batch()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert 'pred_instances' in out[0]


def test_checkpoints_serve_both_ways_between_plain_and_self_training_mask_rcnn(tmp_path):
    """A trained baseline starts self-training (``load_from``); a self-training checkpoint hunts with the
    plain config. Anything else missing still does not fit."""
    from qmat.engine.checkpoint import check_checkpoint_fits
    from qmat.utils import UserInputError
    register_all_modules()
    plain = MODELS.build(Config.fromfile(CPU_CONFIG).model)
    self_training = _model()
    for source, target in ((plain, self_training), (self_training, plain)):
        path = str(tmp_path / f'{type(source).__name__}.pth')
        torch.save(dict(state_dict=source.state_dict()), path)
        assert check_checkpoint_fits(target, path) == []
    state = plain.state_dict()
    state.pop('backbone.conv1.weight')
    torch.save(dict(state_dict=state), str(tmp_path / 'cut.pth'))
    with pytest.raises(UserInputError, match='1 missing'):
        check_checkpoint_fits(self_training, str(tmp_path / 'cut.pth'))


def test_the_student_starts_exactly_as_plain_mask_rcnn_with_the_same_seed():
    """Until burn_in the run is the baseline's: same initial weights, same random stream after them."""
    register_all_modules()
    torch.manual_seed(3)
    plain = MODELS.build(Config.fromfile(CPU_CONFIG).model)
    plain.init_weights()
    after_plain = torch.rand(3)
    torch.manual_seed(3)
    model = _model()
    after_self_training = torch.rand(3)
    assert torch.equal(after_plain, after_self_training)
    state = model.state_dict()
    for key, value in plain.state_dict().items():
        assert torch.equal(state[key], value), key


def test_the_student_tests_with_its_config_and_the_teacher_with_the_pseudo_label_threshold():
    """Validation and tools/test.py read the student: its score threshold is the config's test_cfg, as
    for plain Mask R-CNN; only the teacher scores at ``score_thr`` (mmdet merges test_cfg into the
    roi_head config in place, so the two must not share it)."""
    register_all_modules()
    cfg = Config.fromfile(CPU_CONFIG).model
    configured = cfg.test_cfg.rcnn.score_thr
    model = _model(score_thr=0.7)
    assert configured != 0.7
    assert model.roi_head.test_cfg.score_thr == model.test_cfg.rcnn.score_thr == configured
    assert model.teacher.roi_head.test_cfg.score_thr == 0.7
    assert model.rpn_head.test_cfg == model.teacher.rpn_head.test_cfg
