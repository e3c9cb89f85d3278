"""SASLRPNHead: shapes, the loss against a hand computation, gradients, predictions, bad config values."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import RPNHead
from mmdet.utils import register_all_modules
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from qmat.models import SASLRPNHead

STRIDES = [4, 8, 16, 32, 64]


def make_head(**kwargs):
    register_all_modules()
    cfg = dict(
        in_channels=8, feat_channels=8, embed_dims=4,
        anchor_generator=dict(type='AnchorGenerator', scales=[2], ratios=[0.5, 1.0, 2.0], strides=STRIDES),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4, target_stds=[1.0] * 4),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0),
        train_cfg=ConfigDict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                          match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=64, pos_fraction=0.5, neg_pos_ub=-1,
                         add_gt_as_proposals=False),
            allowed_border=-1, pos_weight=-1, debug=False),
        test_cfg=ConfigDict(nms_pre=100, max_per_img=20, nms=dict(type='nms', iou_threshold=0.7),
                            min_bbox_size=0))
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = SASLRPNHead(**cfg)
    head.init_weights()
    return head


def inputs(size=64, batch=2):
    feats = [torch.randn(batch, 8, size // s, size // s) for s in STRIDES]
    gts = []
    for i in range(batch):
        gt = InstanceData()
        gt.bboxes = torch.tensor([[4.0, 4.0, 20.0, 24.0], [30.0, 28.0, 60.0, 50.0]]) + i
        gt.labels = torch.zeros(2, dtype=torch.long)
        gts.append(gt)
    metas = [dict(img_shape=(size, size), pad_shape=(size, size), scale_factor=(1.0, 1.0))] * batch
    return feats, gts, metas


def test_output_shapes_at_every_level():
    head = make_head()
    feats, _, _ = inputs()
    scores, deltas, embeds = head(feats)
    for level, (s, d, e) in enumerate(zip(scores, deltas, embeds)):
        h = 64 // STRIDES[level]
        assert s.shape == (2, 3, h, h) and d.shape == (2, 12, h, h) and e.shape == (2, 3 * 4, h, h)
    assert head.rpn_cls.groups == 3 and head.rpn_cls.in_channels == 12  # one logit per anchor embedding


def test_flat_embeddings_line_up_with_the_flat_scores():
    """Anchor k's embedding in the loss's flat order, put through G_cls, gives anchor k's flat score."""
    head = make_head()
    feats, _, _ = inputs()
    scores, _, embeds = head(feats)
    flat_scores = torch.cat([s.permute(0, 2, 3, 1).reshape(2, -1) for s in scores], dim=1)
    flat_embeds = head._flat_embeddings(embeds)  # (N, A, D)
    anchor_type = torch.arange(flat_embeds.shape[1]) % 3  # location-major, base anchor minor
    weight, bias = head.rpn_cls.weight.view(3, 4), head.rpn_cls.bias
    expected = (flat_embeds * weight[anchor_type]).sum(-1) + bias[anchor_type]
    torch.testing.assert_close(flat_scores, expected)


def test_each_anchor_logit_depends_only_on_its_own_embedding():
    head = make_head()
    embed = torch.randn(1, 12, 2, 2, requires_grad=True)
    logits = head.rpn_cls(embed)
    logits[0, 1, 0, 0].backward()
    touched = embed.grad[0, :, 0, 0].abs() > 0
    assert touched[4:8].all() and not touched[:4].any() and not touched[8:].any()
    assert embed.grad[0, :, 1:, :].abs().sum() == 0


def test_cosine_cls_scores_the_normalised_embeddings():
    head = make_head(cosine_cls=True)
    feats, _, _ = inputs()
    scores, _, embeds = head(feats)
    for s, e in zip(scores, embeds):
        n, _, h, w = e.shape
        unit = e.view(n, 3, 4, h, w) / e.view(n, 3, 4, h, w).norm(dim=2, keepdim=True).clamp(min=1e-12)
        weight = head.rpn_cls.weight.view(3, 4)  # one 4-vector per anchor
        expected = torch.einsum('nadhw,ad->nahw', unit, weight) + head.rpn_cls.bias.view(1, 3, 1, 1)
        torch.testing.assert_close(s, expected)
    # a longer embedding, same direction: the same score
    scaled = head.rpn_cls(F.normalize((3 * embeds[0]).view(2, 3, 4, *embeds[0].shape[-2:]), dim=2)
                          .view_as(embeds[0]))
    torch.testing.assert_close(scaled, scores[0])


@pytest.mark.parametrize('key,value', [('threshold', 0.0), ('threshold', 1.5), ('embed_dims', 0),
                                       ('temperature', 0.0), ('scope', 'dataset'),
                                       ('keys', 'pixels')])
def test_bad_config_values(key, value):
    with pytest.raises(ValueError, match=f'SASLRPNHead.{key}'):
        make_head(**{key: value})


def test_loss_equals_hard_bce_when_nothing_reaches_the_threshold():
    head = make_head(threshold=1.0)  # several distinct positives: max attention < 1 everywhere
    feats, gts, metas = inputs()
    outs = head(feats)
    torch.manual_seed(1)
    losses = head.loss_by_feat(*outs, gts, metas)
    assert losses['sasl_soft_labels'] == 0
    torch.manual_seed(1)  # the same sampled anchors
    anchors, valid = head.get_anchors([s.shape[-2:] for s in outs[0]], metas, device='cpu')
    labels, weights, _, _, avg_factor, _ = head.get_targets(anchors, valid, gts, metas)
    labels, weights = torch.cat(labels, 1), torch.cat(weights, 1)
    scores = torch.cat([s.permute(0, 2, 3, 1).reshape(2, -1) for s in outs[0]], 1)
    sampled = weights > 0
    expected = F.binary_cross_entropy_with_logits(scores[sampled], (labels[sampled] == 0).float(),
                                                  reduction='sum') / avg_factor
    torch.testing.assert_close(losses['loss_rpn_cls'], expected)


def test_soft_labels_fire_and_carry_no_gradient():
    head = make_head(threshold=0.01)  # every sampled negative qualifies
    feats, gts, metas = inputs()
    outs = head(feats)
    torch.manual_seed(1)
    losses = head.loss_by_feat(*outs, gts, metas)
    assert losses['sasl_soft_labels'] > 0 and 0 < losses['sasl_max_attention'] <= 1
    (losses['loss_rpn_cls'] + losses['loss_rpn_bbox']).backward()
    for name in ('rpn_conv', 'rpn_reg', 'rpn_embed', 'rpn_cls'):
        assert getattr(head, name).weight.grad.abs().sum() > 0, name


PAPER = dict(keys='anchors', background=False)  # the paper's formula


def test_soft_targets_by_scope():
    head = make_head(threshold=0.3, temperature=0.1, **PAPER)
    labels = torch.tensor([[0, 1, 1, 1], [0, 0, 1, 1]])  # 0: positive, 1: background
    weights = torch.ones(2, 4)
    embeds = torch.tensor([[[1.0, 0], [1.0, 0.1], [0, 1.0], [0.2, 1.0]],
                           [[0, 1.0], [0.1, 1.0], [1.0, 0], [0, 1.0]]])
    targets, _ = head.soft_targets(labels, weights, embeds)
    assert targets[0, 0] == 1 and targets[0, 1] == 1.0  # one positive in image 0: attention is 1
    assert targets[1, 0] == targets[1, 1] == 1
    batch = make_head(threshold=0.3, temperature=0.1, scope='batch', **PAPER)
    batch_targets, _ = batch.soft_targets(labels, weights, embeds)
    assert batch_targets[0, 1] < 1  # now it shares its attention with image 1's positives
    assert not torch.equal(targets, batch_targets)


def test_predictions_ignore_the_embeddings():
    head = make_head()
    feats, gts, metas = inputs()
    head.eval()
    with torch.no_grad():
        proposals = head.predict_by_feat(*head(feats), batch_img_metas=metas, rescale=False)
        plain = RPNHead.predict_by_feat(head, *head(feats)[:2], batch_img_metas=metas, rescale=False)
    assert len(proposals) == 2 and len(proposals[0]) > 0
    torch.testing.assert_close(proposals[0].bboxes, plain[0].bboxes)
    head.train()
    losses, predictions = head.loss_and_predict(feats, _samples(gts, metas), proposal_cfg=head.test_cfg)
    assert 'loss_rpn_cls' in losses and len(predictions) == 2


def iou(a, b):
    """Pairwise IoU of boxes (x1, y1, x2, y2), written out in numpy."""
    a, b = np.asarray(a, dtype=float)[:, None], np.asarray(b, dtype=float)[None]
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return w * h / (area(a) + area(b) - w * h)


def test_instances_map_each_positive_to_its_annotation():
    head = make_head()
    feats, gts, metas = inputs()
    _, _, embeds = head(feats)
    cls_scores = head(feats)[0]
    torch.manual_seed(1)
    sample = head.sample_anchors(cls_scores, embeds, gts, metas)
    positive = (sample['weights'] > 0) & (sample['labels'] == 0)
    assert positive.any() and ((sample['instances'] >= 0) == positive).all()
    for i in range(2):  # the two boxes are far apart: a positive's annotation is its best-overlapping one
        anchors = sample['anchors'][i][positive[i]].numpy()
        expected = iou(anchors, gts[i].bboxes.numpy()).argmax(axis=1)
        np.testing.assert_array_equal(sample['instances'][i][positive[i]].numpy(), expected)


def test_instance_keys_attend_to_one_prototype_per_annotation():
    head = make_head(keys='instances', background=False, threshold=0.5, temperature=0.1)
    labels = torch.tensor([[0, 0, 0, 1, 1]])
    instances = torch.tensor([[0, 0, 1, -1, -1]])
    embeds = torch.tensor([[[1.0, 0], [1.0, 0], [0, 1.0], [1.0, 0.05], [0.05, 1.0]]])
    _, best = head.soft_targets(labels, torch.ones(1, 5), embeds, instances)
    keys = F.normalize(torch.tensor([[1.0, 0], [0, 1.0]]), dim=1)  # one prototype per annotation
    queries = F.normalize(embeds[0, 3:], dim=1)
    expected = torch.softmax(queries @ keys.t() / 0.1, dim=1).max(dim=1).values
    torch.testing.assert_close(best[0, 3:], expected)
    assert (best[0, :3] == 0).all()
    with pytest.raises(ValueError, match='instance indices'):
        head.soft_targets(labels, torch.ones(1, 5), embeds)


def test_background_key_lowers_the_attention_of_background_like_negatives():
    labels = torch.tensor([[0, 1, 1, 1, 1]])
    embeds = torch.tensor([[[1.0, 0], [1.0, 0.1], [0, 1.0], [0.1, 1.0], [0.05, 1.0]]])
    _, plain = make_head(temperature=0.1, **PAPER).soft_targets(labels, torch.ones(1, 5), embeds)
    background_head = make_head(temperature=0.1, keys='anchors')
    _, with_background = background_head.soft_targets(labels, torch.ones(1, 5), embeds)
    assert (plain[0, 1:] == 1).all()  # a lone positive takes all the attention
    assert with_background[0, 1] > 0.5 and (with_background[0, 2:] < 0.1).all()


def test_soft_labels_are_audited_against_ignored_instances():
    head = make_head(threshold=0.01)
    head.sampler.num = 1000  # every anchor: some negatives surely sit on the unannotated flake
    feats, gts, metas = inputs()
    ignored = []
    for i in range(2):
        removed = InstanceData()
        # an unannotated flake, clear of the annotated ones
        removed.bboxes = torch.tensor([[40.0, 2.0, 62.0, 20.0]]) + i
        removed.labels = torch.zeros(1, dtype=torch.long)
        ignored.append(removed)
    outs = head(feats)
    torch.manual_seed(1)
    losses = head.loss_by_feat(*outs, gts, metas, ignored)
    torch.manual_seed(1)
    sample = head.sample_anchors(outs[0], outs[2], gts, metas, ignored)
    negative = (sample['weights'] > 0) & (sample['labels'] == head.num_classes)
    expected = sum(int((iou(sample['anchors'][i][negative[i]].numpy(), ignored[i].bboxes.numpy()).max(axis=1)
                        >= 0.3).sum()) for i in range(2))
    assert expected > 0 and losses['sasl_removed_negatives'] == expected
    assert losses['sasl_soft_on_removed'] == expected  # threshold 0.01: every negative has a soft label
    torch.manual_seed(1)
    plain = head.loss_by_feat(*outs, gts, metas, [None, None])  # mmdet's "no ignored instances"
    assert 'sasl_removed_negatives' not in plain
    # ignored instances do not change training
    torch.testing.assert_close(plain['loss_rpn_cls'], losses['loss_rpn_cls'])


def _samples(gts, metas):
    from mmdet.structures import DetDataSample
    samples = []
    for gt, meta in zip(gts, metas):
        sample = DetDataSample(metainfo=meta)
        sample.gt_instances = gt
        samples.append(sample)
    return samples
