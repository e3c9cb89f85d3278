"""SASLRPNHead: shapes, the loss against a hand computation, gradients, predictions, bad config values."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import numpy_iou
from mmdet.models.dense_heads import RPNHead
from mmdet.utils import register_all_modules
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from qmat.models import SASLRPNHead

STRIDES = [4, 8, 16, 32, 64]


# a small RPN head: 8 channels, 3 anchors per location on 5 levels, a sampler of 64 anchors per image
RPN_HEAD = dict(
    in_channels=8, feat_channels=8,
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


def make_head(**kwargs):
    register_all_modules()
    torch.manual_seed(0)
    head = SASLRPNHead(**{**RPN_HEAD, 'embed_dims': 4, **kwargs})
    head.init_weights()
    return head


def hard_bce(head, outs, gts, metas):
    """The plain RPN objectness loss (hard targets) on the anchors sampled after ``manual_seed(1)``."""
    torch.manual_seed(1)
    anchors, valid = head.get_anchors([s.shape[-2:] for s in outs[0]], metas, device='cpu')
    labels, weights, _, _, avg_factor, _ = head.get_targets(anchors, valid, gts, metas)
    labels, weights = torch.cat(labels, 1), torch.cat(weights, 1)
    scores = torch.cat([s.permute(0, 2, 3, 1).reshape(len(metas), -1) for s in outs[0]], 1)
    sampled = weights > 0
    return F.binary_cross_entropy_with_logits(scores[sampled], (labels[sampled] == 0).float(),
                                              reduction='sum') / avg_factor


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


@pytest.mark.parametrize('key,value', [('threshold', 0.0), ('threshold', 1.5), ('threshold', '0.8'),
                                       ('embed_dims', 0), ('temperature', 0.0), ('temperature', -1.0),
                                       ('scope', 'dataset'), ('keys', 'pixels'), ('norm', 'cosine'),
                                       ('key_pool', 'all')])
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
    torch.testing.assert_close(losses['loss_rpn_cls'], hard_bce(head, outs, gts, metas))


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


PAPER = dict(keys='anchors', background=False)  # the literal reading (the defaults), spelled out


def test_defaults_are_the_literal_reading():
    head = make_head()
    rule = head.rule
    assert (rule.norm, rule.temperature, rule.scope, rule.keys, rule.key_pool, rule.background,
            head.soft_labels) == ('l2', 1.0, 'image', 'anchors', 'sampled', False, True)


def test_a_rule_passed_in_replaces_the_heads_own():
    """What an audit does: one head, several rules; each gives what a head built with it gives."""
    labels = torch.tensor([[0, 1, 1, 1], [0, 0, 1, 1]])
    weights = torch.ones(2, 4)
    embeds = torch.tensor([[[1.0, 0], [1.0, 0.1], [0, 1.0], [0.2, 1.0]],
                           [[0, 1.0], [0.1, 1.0], [1.0, 0], [0, 1.0]]])
    head = make_head(threshold=0.9)
    for options in (dict(threshold=0.3, temperature=0.1, scope='batch'), dict(threshold=0.5, norm='none')):
        own = make_head(**options)
        passed = head.soft_targets(labels, weights, embeds, rule=own.rule)
        for got, expected in zip(passed, own.soft_targets(labels, weights, embeds)):
            torch.testing.assert_close(got, expected)
    assert head.rule.threshold == 0.9  # the head's own rule is untouched


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
        expected = numpy_iou(anchors, gts[i].bboxes.numpy()).argmax(axis=1)
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
    background_head = make_head(temperature=0.1, keys='anchors', background=True)
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
    expected = sum(int((numpy_iou(sample['anchors'][i][negative[i]].numpy(), ignored[i].bboxes.numpy())
                        .max(axis=1) >= 0.3).sum()) for i in range(2))
    assert expected > 0 and losses['sasl_removed_negatives'] == expected
    assert losses['sasl_soft_on_removed'] == expected  # threshold 0.01: every negative has a soft label
    torch.manual_seed(1)
    plain = head.loss_by_feat(*outs, gts, metas, [None, None])  # mmdet's "no ignored instances"
    assert 'sasl_removed_negatives' not in plain
    # ignored instances do not change training
    torch.testing.assert_close(plain['loss_rpn_cls'], losses['loss_rpn_cls'])


def test_without_soft_labels_it_is_the_plain_loss():
    head = make_head(threshold=0.01, soft_labels=False)  # a threshold at which everything would fire
    feats, gts, metas = inputs()
    outs = head(feats)
    torch.manual_seed(1)
    losses = head.loss_by_feat(*outs, gts, metas)
    assert set(losses) == {'loss_rpn_cls', 'loss_rpn_bbox'}
    torch.testing.assert_close(losses['loss_rpn_cls'], hard_bce(head, outs, gts, metas))


def test_assigned_key_pool_takes_the_positives_the_sampler_left_out():
    feats, gts, metas = inputs()
    keys = {}
    for pool in ('sampled', 'assigned'):
        head = make_head(key_pool=pool)
        head.sampler.num, head.sampler.pos_fraction = 8, 0.25  # at most 2 sampled positives per image
        outs = head(feats)
        torch.manual_seed(1)
        sample = head.sample_anchors(outs[0], outs[2], gts, metas)
        positive = (sample['weights'] > 0) & (sample['labels'] == 0)
        keys[pool] = sample['instances'] >= 0
        assert (positive.sum(1) <= 2).all()
    assert torch.equal(keys['sampled'], positive)
    assert (keys['assigned'] & keys['sampled']).sum() == keys['sampled'].sum()  # the sampled ones and more
    assert (keys['assigned'].sum(1) > 2).all()
    anchors = sample['anchors']
    for i in range(2):  # every positive of the assignment: IoU >= 0.7, or the best anchors of an annotation
        overlaps = numpy_iou(anchors[i].numpy(), gts[i].bboxes.numpy())
        best = overlaps.max(axis=0, keepdims=True)
        expected = (overlaps.max(axis=1) >= 0.7) | ((overlaps == best) & (best >= 0.3)).any(axis=1)
        np.testing.assert_array_equal(keys['assigned'][i].numpy(), expected)


def test_warns_once_when_the_rule_fires_on_one_or_two_keys(monkeypatch):
    logged = []
    monkeypatch.setattr('qmat.models.dense_heads.sasl_rpn_head.print_log',
                        lambda message, **kwargs: logged.append((message, kwargs)))
    head = make_head(threshold=0.5, **PAPER)
    labels = torch.tensor([[0, 1, 1, 1]])  # one positive: every negative gets attention 1
    embeds = torch.randn(1, 4, 2)
    for _ in range(3):
        head.soft_targets(labels, torch.ones(1, 4), embeds)
    assert len(logged) == 1 and '1 attention key(s)' in logged[0][0] and logged[0][1]['level'] == 30
    many = make_head(threshold=0.5, **PAPER)
    many.soft_targets(torch.tensor([[0, 0, 0, 1]]), torch.ones(1, 4), torch.randn(1, 4, 2))
    assert len(logged) == 1  # three keys: no warning


@pytest.mark.parametrize('reference,candidate,check_old', [
    ('synthetic/mask-rcnn_r18_fpn_250i_synthetic.py',
     'synthetic/mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py', True),
    ('baseline/mask-rcnn_r101_fpn_10k_graphene.py',
     'sasl/mask-rcnn_r101_fpn_sasl-t0.8_10k_graphene.py', False)],
    ids=['D=64', 'D=256'])
def test_starts_like_rpn_head(reference, candidate, check_old):
    """At step 0, on the same features and sampled anchors, the objectness logits' spread and the
    gradient reaching the shared conv are RPNHead's within 2x (means over three initialisations)."""
    from conftest import REPO

    from qmat.evaluation.head_start import head_start
    configs = [f'{REPO}/configs/{path}' for path in (reference, candidate)]
    runs = [head_start(*configs, seed=seed) for seed in range(3)]
    for key in ('logit_std', 'rpn_conv_grad'):
        ratio = np.mean([r['candidate'][key] for r in runs]) / np.mean([r['reference'][key] for r in runs])
        assert 0.5 <= ratio <= 2, (key, ratio)
    if check_old:  # two Normal(0, 0.01) layers in a row, RPNHead's init for every conv: far behind
        old = dict(type='Normal', layer='Conv2d', std=0.01)
        runs = [head_start(*configs, seed=seed, candidate_options={'model.rpn_head.init_cfg': old})
                for seed in range(3)]
        assert np.mean([r['ratio']['rpn_conv_grad'] for r in runs]) < 0.5


# two DDP ranks, two images each: labels (0 positive, 1 background), per-anchor instance ids
RANKS = [(torch.tensor([[0, 0, 1, 1, 1], [0, 1, 1, 1, 1]]),
          torch.tensor([[0, 1, -1, -1, -1], [0, -1, -1, -1, -1]])),
         (torch.tensor([[1, 0, 1, 0, 1], [0, 0, 0, 1, 1]]),
          torch.tensor([[-1, 0, -1, 0, -1], [0, 0, 1, -1, -1]]))]
NO_POSITIVES = (torch.ones(2, 5, dtype=torch.long), torch.full((2, 5), -1))  # a rank with no key at all
BATCH_HEAD = dict(threshold=0.3, temperature=0.5, scope='batch', background=True)


def _batch_scope_rank(rank, port, keys, ranks, embeds, out):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    try:
        labels, instances = ranks[rank]
        _, best = make_head(keys=keys, **BATCH_HEAD).soft_targets(labels, torch.ones(2, 5), embeds[rank],
                                                                  instances)
        torch.save(best, f'{out}/rank{rank}.pt')
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize('keys,ranks', [('anchors', RANKS), ('instances', RANKS),
                                        ('anchors', [RANKS[0], NO_POSITIVES])],
                         ids=['anchors', 'instances', 'a rank without keys'])
def test_batch_scope_attends_to_the_keys_of_every_ddp_rank(keys, ranks, tmp_path):
    """Two gloo processes: each rank's negatives get what one process gets with all four images."""
    import socket

    import torch.multiprocessing as mp
    embeds = torch.randn(2, 2, 5, 3, generator=torch.Generator().manual_seed(0))
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(_batch_scope_rank, args=(port, keys, ranks, embeds, str(tmp_path)), nprocs=2)
    labels, instances = (torch.cat([rank[i] for rank in ranks]) for i in range(2))
    head = make_head(keys=keys, **BATCH_HEAD)
    _, whole = head.soft_targets(labels, torch.ones(4, 5), embeds.reshape(4, 5, 3), instances)
    for rank in range(2):
        torch.testing.assert_close(torch.load(tmp_path / f'rank{rank}.pt'), whole[2 * rank:2 * rank + 2])
    # one rank's own batch gives other values: the gathering matters
    labels, instances = ranks[1]
    _, local = head.soft_targets(labels, torch.ones(2, 5), embeds[1], instances)
    assert not torch.allclose(local, whole[2:])


def _samples(gts, metas):
    from mmdet.structures import DetDataSample
    samples = []
    for gt, meta in zip(gts, metas):
        sample = DetDataSample(metainfo=meta)
        sample.gt_instances = gt
        samples.append(sample)
    return samples
