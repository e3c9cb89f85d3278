"""Self-training Mask R-CNN: the flakes the annotators missed, found by the model itself, become positives.

Missing annotations cost AP through the positives they take away: a flake that nobody annotated is never a
target of the RPN or of the R-CNN stage, whatever the loss does with the background around it (SASL-RPN's
soft labels and BRL only reweight negatives; docs/method.md). This detector gives them back online, as a
mean teacher does in semi-supervised detection (Tarvainen and Valpola 2017; Liu et al.'s Unbiased Teacher,
2021): a copy of the detector whose weights follow the student's as an exponential moving average (EMA)
detects flakes on each training batch, and its confident detections that overlap no annotation are added to
the batch's ground truth, box, class and mask, for both stages. With ``masks=False`` they train no mask,
with ``boxes=False`` no box regression of the R-CNN stage either (both need
:class:`~qmat.models.roi_heads.BoxOnlyRoIHead`): the mask head and the box regressor then learn from
annotations alone, and a pseudo-label is a positive of the classifiers. The RPN regresses its anchors to
every box: a proposal need only overlap its flake, and the R-CNN stage draws the boxes that are the
output. The teacher sees the student's own batch (same crop, flip and scale), so its boxes need no
transformation.

It wraps Mask R-CNN and nothing else: any RPN head (SASL-RPN, BRL) and R-CNN sampler (OHEM) of the config
trains on the completed targets, so the combinations are configs (configs/synthetic/*_self-training*).

Before ``burn_in`` iterations the detector trains as plain Mask R-CNN (a teacher from the first steps
finds nothing worth keeping); at ``burn_in`` the teacher copies the student, then follows it with
``momentum`` per step. Removed flakes kept as ignored instances (``drop_annotations.py --keep-as-ignored``)
are never used for training or selection; they only measure the pseudo-labels, logged per batch:
``selftrain_pseudo_labels`` (added), ``selftrain_pseudo_on_removed`` (of them, matching a removed flake at
IoU >= 0.5: precision = on_removed / added), ``selftrain_pseudo_right_class`` (of those, matching one of
their own thickness class), ``selftrain_removed`` and ``selftrain_removed_found`` (removed flakes, and those
a pseudo-label matches: recall = found / removed).
"""
import copy
from typing import List, Optional

import numpy as np
import torch
from mmcv.ops import nms
from mmdet.models.detectors import MaskRCNN
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_overlaps
from mmdet.structures.mask import BitmapMasks
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ..roi_heads import BoxOnlyRoIHead

# a pseudo-label and a removed flake match at this IoU (COCO's AP50 criterion)
MATCH_IOU = 0.5


def select_pseudo_labels(detections: InstanceData, annotated: Tensor, score_thr: float, iou_thr: float,
                         dedup_iou: float = 0.5, max_per_image: Optional[int] = None) -> InstanceData:
    """The detections to add as ground truth: confident, and on no annotated flake.

    Args:
        detections: ``bboxes`` (N, 4), ``scores`` (N,), ``labels`` (N,) and optionally ``masks``.
        annotated: (M, 4) boxes of the image's (not ignored) annotations.
        score_thr: Keep detections scoring at least this.
        iou_thr: Drop a detection whose IoU with an annotation reaches this: that flake is annotated.
        dedup_iou: Of detections overlapping each other by this IoU whatever their class (one flake read
            as two thickness classes), keep the highest scoring.
        max_per_image: Keep at most this many, highest scores first (None: all).

    Returns:
        The kept detections, highest score first.
    """
    keep = detections.scores >= score_thr
    if len(annotated) and keep.any():
        overlap = bbox_overlaps(detections.bboxes, annotated.to(detections.bboxes)).max(dim=1).values
        keep &= overlap < iou_thr
    kept = detections[keep]
    if len(kept):
        _, order = nms(kept.bboxes.float(), kept.scores.float(), dedup_iou)  # sorted by score
        kept = kept[order[:max_per_image] if max_per_image is not None else order]
    return kept


def _as_masks(masks: Tensor, height: int, width: int) -> BitmapMasks:
    """Predicted (N, h, w) masks as BitmapMasks of the ground truth's size (cut or padded with 0)."""
    out = np.zeros((len(masks), height, width), np.uint8)
    h, w = min(height, masks.shape[-2]), min(width, masks.shape[-1])
    out[:, :h, :w] = masks[:, :h, :w].cpu().numpy()
    return BitmapMasks(out, height, width)


@MODELS.register_module()
class SelfTrainingMaskRCNN(MaskRCNN):
    """Mask R-CNN trained on its annotations plus an EMA teacher's confident unannotated detections.

    Args:
        self_training: ``score_thr`` (0.5: a detection's score to become a pseudo-label), ``iou_thr`` (0.3:
            IoU with an annotation above which a detection is that annotation), ``burn_in`` (iterations of
            plain training before the teacher starts), ``momentum`` (0.99: the teacher's share of its
            weights kept per step), ``max_per_image`` (None: every confident detection), ``masks`` (True:
            the teacher's masks are mask targets; False: pseudo-labels train no mask), ``boxes`` (True: the
            teacher's boxes are targets of the R-CNN's box regressor; False: not). Either False needs
            ``roi_head.type='BoxOnlyRoIHead'``.
        **kwargs: As :class:`~mmdet.models.MaskRCNN`.
    """

    def __init__(self, *, self_training: dict, backbone: ConfigDict, rpn_head: ConfigDict,
                 roi_head: ConfigDict, train_cfg: ConfigDict, test_cfg: ConfigDict, **kwargs) -> None:
        super().__init__(backbone=backbone, rpn_head=rpn_head, roi_head=roi_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, **kwargs)
        options = dict(score_thr=0.5, iou_thr=0.3, burn_in=0, momentum=0.99, max_per_image=None, masks=True,
                       boxes=True)
        unknown = set(self_training) - set(options)
        if unknown:
            raise ValueError(f'model.self_training: unknown key(s) {sorted(unknown)}; '
                             f'known: {sorted(options)}')
        options.update(self_training)
        for key in ('score_thr', 'iou_thr', 'momentum'):
            if not 0 <= options[key] <= 1:
                raise ValueError(f'model.self_training.{key} must be in [0, 1], got {options[key]}')
        if options['burn_in'] < 0:
            raise ValueError(f'model.self_training.burn_in must be >= 0, got {options["burn_in"]}')
        self.score_thr, self.iou_thr = float(options['score_thr']), float(options['iou_thr'])
        self.burn_in, self.momentum = int(options['burn_in']), float(options['momentum'])
        self.max_per_image = options['max_per_image']
        self.pseudo_masks, self.pseudo_boxes = bool(options['masks']), bool(options['boxes'])
        for key in ('masks', 'boxes'):
            if not options[key] and not isinstance(self.roi_head, BoxOnlyRoIHead):
                raise ValueError(f'model.self_training.{key}=False needs model.roi_head.type='
                                 f'\'BoxOnlyRoIHead\', got {type(self.roi_head).__name__}')
        # the teacher: the same detector, its RoI head scoring only what could become a pseudo-label
        teacher_test_cfg = copy.deepcopy(test_cfg)
        teacher_test_cfg['rcnn']['score_thr'] = self.score_thr
        # built without drawing from torch's random stream, so that the student starts, and trains until
        # burn_in, exactly as plain Mask R-CNN with the same seed would; from copies of the configs, since
        # TwoStageDetector merges test_cfg.rcnn into roi_head in place, which would set the student's
        # test-time score threshold to the teacher's
        with torch.random.fork_rng():
            self.teacher = MaskRCNN(**copy.deepcopy(dict(
                backbone=backbone, rpn_head=rpn_head, roi_head=roi_head, train_cfg=train_cfg,
                neck=kwargs.get('neck'))), test_cfg=teacher_test_cfg)
        self.teacher.requires_grad_(False)
        # training steps taken (a buffer: saved with the checkpoint, so that a resumed run goes on)
        self.register_buffer('steps', torch.zeros((), dtype=torch.long))

    # a plain Mask R-CNN checkpoint (``load_from``) lacks these: the teacher copies the student at burn_in
    optional_state_prefixes = ('teacher.', 'steps')

    def init_weights(self) -> None:
        """Initialise the student as Mask R-CNN does; the teacher copies it at ``burn_in`` instead."""
        teacher = self._modules.pop('teacher')
        try:
            super().init_weights()
        finally:
            self._modules['teacher'] = teacher

    def train(self, mode: bool = True) -> 'SelfTrainingMaskRCNN':
        super().train(mode)
        self.teacher.eval()  # it predicts, always
        return self

    def _student_parts(self) -> List[nn.Module]:
        return [self.backbone, self.neck, self.rpn_head, self.roi_head]

    @torch.no_grad()
    def update_teacher(self, momentum: float) -> None:
        """teacher <- momentum * teacher + (1 - momentum) * student, weights and BN statistics alike."""
        teacher_parts = [self.teacher.backbone, self.teacher.neck, self.teacher.rpn_head,
                         self.teacher.roi_head]
        for student, teacher in zip(self._student_parts(), teacher_parts):
            for mine, theirs in zip(list(student.parameters()) + list(student.buffers()),
                                    list(teacher.parameters()) + list(teacher.buffers())):
                if theirs.dtype.is_floating_point:
                    theirs.mul_(momentum).add_(mine.detach(), alpha=1 - momentum)
                else:
                    theirs.copy_(mine)  # e.g. BN's num_batches_tracked

    @torch.no_grad()
    def teacher_detections(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> List[InstanceData]:
        """The teacher's detections on the batch, in its input's frame (``predict`` with ``rescale=False``),
        without masks where pseudo-labels train none (``masks=False``): its mask head would only make masks
        that no loss reads."""
        teacher = self.teacher
        metas = [sample.metainfo for sample in batch_data_samples]
        features = teacher.extract_feat(batch_inputs)
        proposals = teacher.rpn_head.predict(features, batch_data_samples, rescale=False)
        detections = teacher.roi_head.predict_bbox(features, metas, proposals,
                                                   rcnn_test_cfg=teacher.roi_head.test_cfg, rescale=False)
        if self.pseudo_masks:
            detections = teacher.roi_head.predict_mask(features, metas, detections, rescale=False)
        return detections

    @torch.no_grad()
    def add_pseudo_labels(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """Put the teacher's confident unannotated detections into each sample's ``gt_instances``.

        Returns:
            The batch's pseudo-label counts (see the module's docstring).
        """
        predictions = self.teacher_detections(batch_inputs, batch_data_samples)
        counts = dict(selftrain_pseudo_labels=0, selftrain_pseudo_on_removed=0,
                      selftrain_pseudo_right_class=0, selftrain_removed=0, selftrain_removed_found=0)
        measured = False
        for sample, predicted in zip(batch_data_samples, predictions):
            gt = sample.gt_instances
            pseudo = select_pseudo_labels(predicted, gt.bboxes, self.score_thr, self.iou_thr,
                                          max_per_image=self.max_per_image)
            counts['selftrain_pseudo_labels'] += len(pseudo)
            removed = sample.get('ignored_instances')
            if removed is not None and len(removed):
                measured = True
                match = bbox_overlaps(pseudo.bboxes, removed.bboxes.to(pseudo.bboxes)) >= MATCH_IOU
                same_class = pseudo.labels[:, None] == removed.labels.to(pseudo.labels)[None, :]
                counts['selftrain_pseudo_on_removed'] += int(match.any(dim=1).sum())
                counts['selftrain_pseudo_right_class'] += int((match & same_class).any(dim=1).sum())
                counts['selftrain_removed'] += len(removed)
                counts['selftrain_removed_found'] += int(match.any(dim=0).sum())
            if not len(pseudo):
                continue
            completed = InstanceData(
                bboxes=torch.cat([gt.bboxes, pseudo.bboxes.to(gt.bboxes)]),
                labels=torch.cat([gt.labels, pseudo.labels.to(gt.labels)]))
            if 'masks' in gt:
                height, width = gt.masks.height, gt.masks.width
                # without the teacher's masks, empty ones: mask_free keeps them out of the mask targets
                added = (_as_masks(pseudo.masks, height, width).masks if 'masks' in pseudo
                         else np.zeros((len(pseudo), height, width), np.uint8))
                completed.masks = BitmapMasks(np.concatenate([gt.masks.to_ndarray(), added]), height, width)
            pseudo_label = torch.arange(len(completed), device=gt.bboxes.device) >= len(gt)
            if not self.pseudo_masks:
                completed.mask_free = pseudo_label
            if not self.pseudo_boxes:
                completed.box_free = pseudo_label
            sample.gt_instances = completed
        if not measured:
            for key in ('selftrain_pseudo_on_removed', 'selftrain_pseudo_right_class', 'selftrain_removed',
                        'selftrain_removed_found'):
                del counts[key]
        return counts

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """Mask R-CNN's losses, on the annotations completed by the teacher's pseudo-labels after
        ``burn_in`` steps; the pseudo-label counts are logged with them (not summed: no 'loss' in their
        names)."""
        step = int(self.steps)
        self.steps += 1
        if step < self.burn_in:
            return super().loss(batch_inputs, batch_data_samples)
        # the teacher starts as the student's copy, then follows it
        self.update_teacher(0.0 if step == self.burn_in else self.momentum)
        counts = self.add_pseudo_labels(batch_inputs, batch_data_samples)
        losses = super().loss(batch_inputs, batch_data_samples)
        device = batch_inputs.device
        losses.update({key: torch.tensor(float(value), device=device) for key, value in counts.items()})
        return losses
