"""Every config under configs/ loads and builds its model (no download); the paper's settings hold."""
import glob
import os.path as osp

import pytest
import torch
from helpers import REPO
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from qmat.datasets import FlakeDataset

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)
MATERIALS = ('graphene', 'hbn', 'mos2', 'wte2')


def config_id(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def test_there_is_a_baseline_per_material():
    names = {osp.basename(p) for p in CONFIGS}
    assert {f'mask-rcnn_r101_fpn_10k_{m}.py' for m in MATERIALS} <= names


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_builds_its_model(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(imports=['qmat'], allow_failed_imports=False)
    assert cfg.default_scope == 'mmdet'
    assert osp.basename(path).startswith('mask-rcnn_'), 'configs are named {model}_{backbone}_{neck}_...'
    cfg.model.backbone.init_cfg = None  # no ImageNet download in tests
    model = MODELS.build(cfg.model)
    model.init_weights()
    assert model.roi_head.bbox_head.num_classes == len(FlakeDataset.METAINFO['classes']) == 3


@pytest.mark.parametrize('material', MATERIALS)
def test_paper_setup(material):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'baseline', f'mask-rcnn_r101_fpn_10k_{material}.py'))
    assert cfg.model.backbone.depth == 101 and cfg.model.neck.type == 'FPN'
    assert cfg.model.backbone.init_cfg.checkpoint.startswith('https://')  # no torchvision needed
    anchors = cfg.model.rpn_head.anchor_generator
    assert len(anchors.ratios) * len(anchors.scales) == 3
    assert cfg.train_cfg.max_iters == 10000
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.momentum, optimizer.weight_decay) == \
        ('SGD', 0.02, 0.9, 1e-4)
    warmup, steps = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end > 0
    assert steps.milestones == [5000, 8000] and steps.gamma == 0.1
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=48)
    assert cfg.train_dataloader.batch_size * 4 == 48
    root = f'data/{material}/'
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.data_root == root
    assert cfg.train_dataloader.dataset.ann_file == 'annotations/instances_train2019.json'
    assert cfg.train_dataloader.dataset.data_prefix.img == 'train2019/'
    assert cfg.val_dataloader.dataset.data_prefix.img == 'val2019/'
    assert cfg.val_evaluator.ann_file == root + 'annotations/instances_val2019.json'
    assert cfg.val_evaluator.metric == ['bbox', 'segm']
    assert cfg.train_dataloader.dataset.type == cfg.val_dataloader.dataset.type == 'FlakeDataset'


@pytest.mark.parametrize('material', MATERIALS)
@pytest.mark.parametrize('threshold', [0.6, 0.8, 0.9])
def test_sasl_configs_change_only_the_rpn_head(material, threshold):
    sasl = Config.fromfile(
        osp.join(REPO, 'configs', 'sasl', f'mask-rcnn_r101_fpn_sasl-t{threshold}_10k_{material}.py'))
    baseline = Config.fromfile(osp.join(REPO, 'configs', 'baseline', f'mask-rcnn_r101_fpn_10k_{material}.py'))
    assert sasl.model.rpn_head.type == 'SASLRPNHead' and sasl.model.rpn_head.threshold == threshold
    register_all_modules()
    head = MODELS.build(sasl.model.rpn_head)  # the literal reading of Eq. 5, with the paper's D
    rule = head.rule
    assert (head.embed_dims, rule.threshold, rule.norm, rule.keys, rule.key_pool, rule.background,
            rule.temperature, rule.scope, head.soft_labels) == (
                256, threshold, 'l2', 'anchors', 'sampled', False, 1.0, 'image', True)
    sasl_dict, baseline_dict = sasl.to_dict(), baseline.to_dict()
    for cfg in (sasl_dict, baseline_dict):
        cfg['model'].pop('rpn_head')
    assert sasl_dict == baseline_dict


def _differences(config, baseline, shared_parts=()):
    """The top-level keys under ``model`` in which two configs differ (all other settings must be equal;
    ``shared_parts`` are base variables that the config merges into its model)."""
    a, b = Config.fromfile(config).to_dict(), Config.fromfile(baseline).to_dict()
    for name in shared_parts:
        a.pop(name)
    model_keys = {k for k in set(a['model']) | set(b['model']) if a['model'].get(k) != b['model'].get(k)}
    a.pop('model'), b.pop('model')
    assert a == b
    return model_keys


@pytest.mark.parametrize('material', MATERIALS)
def test_ohem_configs_change_only_the_rcnn_sampler(material):
    path = osp.join(REPO, 'configs', 'ohem', f'mask-rcnn_r101_fpn_ohem_10k_{material}.py')
    baseline = osp.join(REPO, 'configs', 'baseline', f'mask-rcnn_r101_fpn_10k_{material}.py')
    assert _differences(path, baseline) == {'train_cfg'}
    cfg = Config.fromfile(path)
    assert cfg.model.train_cfg.rcnn.sampler.type == 'OHEMSampler'
    assert cfg.model.train_cfg.rpn.sampler.type == 'RandomSampler'  # the RPN samples as the baseline's


@pytest.mark.parametrize('material', MATERIALS)
@pytest.mark.parametrize('variant', ['brl', 'brl-focal'])
def test_brl_configs_change_only_the_rpn(material, variant):
    """BRL as its authors apply it: the RPN head's losses, every anchor (no sampler), the three bands."""
    path = osp.join(REPO, 'configs', 'brl', f'mask-rcnn_r101_fpn_{variant}_10k_{material}.py')
    baseline = osp.join(REPO, 'configs', 'baseline', f'mask-rcnn_r101_fpn_10k_{material}.py')
    assert _differences(path, baseline, shared_parts=('brl_rpn_head', 'brl_rpn_train_cfg')) == {
        'rpn_head', 'train_cfg'}
    cfg, base = Config.fromfile(path).model, Config.fromfile(baseline).model
    rpn, base_rpn = cfg.rpn_head, base.rpn_head
    assert rpn.type == 'BRLRPNHead'
    assert rpn.loss_cls == dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0)
    recalibration = (0.5, 0.1) if variant == 'brl' else (0.0, 1.0)  # the control: plain focal everywhere
    assert (rpn.loss_confusion.thresh, rpn.loss_confusion.loss_weight) == recalibration
    assert (rpn.loss_confusion.gamma_1, rpn.loss_confusion.gamma_2, rpn.loss_confusion.alpha,
            rpn.loss_confusion.beta) == (2.0, 2.0, 0.25, 1.0)
    for head in (rpn, base_rpn):
        for key in ('type', 'loss_cls', 'loss_confusion'):
            head.pop(key, None)
    assert rpn == base_rpn
    assigner, base_assigner = cfg.train_cfg.rpn.assigner, base.train_cfg.rpn.assigner
    assert assigner.pop('type') == 'SelectiveIoUAssigner' and assigner.pop('confusion_iou_thr') == 0.1
    base_assigner.pop('type')
    assert assigner == base_assigner  # the RPN's positives and negative threshold
    assert cfg.train_cfg.rpn.sampler == dict(type='SelectiveIoUSampler')
    for part in ('rpn_proposal', 'rcnn'):
        assert cfg.train_cfg[part] == base.train_cfg[part]


def test_brl_rpn_outputs_one_sigmoid_logit_per_anchor_from_the_focal_prior():
    """Without use_sigmoid in the loss config mmdet's head silently builds 2-way softmax outputs."""
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'synthetic', 'mask-rcnn_r18_fpn_brl_250i_synthetic.py'))
    head = MODELS.build(cfg.model.rpn_head, default_args=dict(train_cfg=cfg.model.train_cfg.rpn))
    head.init_weights()
    assert head.use_sigmoid_cls and head.rpn_cls.out_channels == head.num_base_priors
    assert torch.allclose(head.rpn_cls.bias.sigmoid(), torch.full((head.num_base_priors,), 0.01))


SYNTHETIC = osp.join(REPO, 'configs', 'synthetic')


@pytest.mark.parametrize('name,stage', [('oracle-rpn', 'rpn'), ('oracle-rcnn', 'rcnn')])
def test_iou_oracles_ignore_the_removed_flakes_in_one_stage_only(name, stage):
    """The study's diagnostics: one stage's assigner ignores, by IoU, what the removed flakes would not let
    a complete annotation call background (tests/test_task_modules.py checks the rule itself)."""
    path = osp.join(SYNTHETIC, f'mask-rcnn_r18_fpn_{name}_250i_synthetic.py')
    baseline = osp.join(SYNTHETIC, 'mask-rcnn_r18_fpn_250i_synthetic.py')
    assert _differences(path, baseline) == {'train_cfg'}
    train_cfg, base_cfg = Config.fromfile(path).model.train_cfg, Config.fromfile(baseline).model.train_cfg
    other = 'rcnn' if stage == 'rpn' else 'rpn'
    assert train_cfg[other] == base_cfg[other]
    assigner = dict(train_cfg[stage].assigner)
    assert assigner.pop('type') == 'IoUIgnoreAssigner' and 'ignore_iou_thr' not in assigner  # neg_iou_thr
    base_assigner = dict(base_cfg[stage].assigner)
    base_assigner.pop('type')
    assert assigner == base_assigner and assigner['ignore_iof_thr'] == -1


def test_positive_oracle_changes_only_the_rpn_head_type():
    path = osp.join(SYNTHETIC, 'mask-rcnn_r18_fpn_oracle-rpn-pos_250i_synthetic.py')
    baseline = osp.join(SYNTHETIC, 'mask-rcnn_r18_fpn_250i_synthetic.py')
    assert _differences(path, baseline) == {'rpn_head'}
    rpn, base_rpn = Config.fromfile(path).model.rpn_head, Config.fromfile(baseline).model.rpn_head
    assert rpn.pop('type') == 'PositiveOracleRPNHead' and base_rpn.pop('type') == 'RPNHead'
    assert rpn == base_rpn


READINGS = {'sasl-t0.8': {}, 'sasl-t0.6': dict(threshold=0.6), 'sasl-t0.9': dict(threshold=0.9),
            'sasl-head': dict(soft_labels=False), 'sasl-dot-t0.6': dict(norm='none', threshold=0.6),
            'sasl-dot-t0.8': dict(norm='none'), 'sasl-scaled-t0.6': dict(norm='scaled', threshold=0.6),
            'sasl-scaled-t0.8': dict(norm='scaled'),
            'sasl-qmat-t0.8': dict(keys='instances', background=True)}


@pytest.mark.parametrize('name', sorted(READINGS))
def test_synthetic_sasl_configs_are_the_literal_reading_but_for_their_name(name):
    cfg = Config.fromfile(osp.join(SYNTHETIC, f'mask-rcnn_r18_fpn_{name}_250i_synthetic.py'))
    literal = dict(type='SASLRPNHead', threshold=0.8, embed_dims=64, norm='l2', temperature=1.0,
                   scope='image', keys='anchors', key_pool='sampled', background=False, soft_labels=True)
    rpn = cfg.model.rpn_head
    assert {key: rpn[key] for key in literal} == dict(literal, **READINGS[name])
    assert _differences(osp.join(SYNTHETIC, f'mask-rcnn_r18_fpn_{name}_250i_synthetic.py'),
                        osp.join(SYNTHETIC, 'mask-rcnn_r18_fpn_250i_synthetic.py')) == {'rpn_head'}


def _regime(name=''):
    return osp.join(SYNTHETIC, f'mask-rcnn_r18_fpn_{name}5500i_paper-graphene.py')


@pytest.mark.parametrize('name, differs, parts', [
    ('ohem_', {'train_cfg'}, ()),
    ('brl_', {'rpn_head', 'train_cfg'}, ('brl_rpn_head', 'brl_rpn_train_cfg')),
    ('sasl-t0.8_', {'rpn_head'}, ('sasl_rpn_head', )),
    ('sasl-head_', {'rpn_head'}, ('sasl_rpn_head', )),
    ('self-training_', {'type', 'self_training'}, ('self_training', )),
])
def test_paper_statistics_methods_change_only_their_part(name, differs, parts):
    """Each method of the paper-statistics regime is its baseline but for the method, as in the CPU study."""
    assert _differences(_regime(name), _regime(), shared_parts=parts) == differs
    cpu_name = {'self-training_': None}.get(name, name)
    if cpu_name is None:
        return
    # the same method as the CPU study's config of that name, on the regime's anchors
    regime, cpu = Config.fromfile(_regime(name)).model, Config.fromfile(
        osp.join(SYNTHETIC, f'mask-rcnn_r18_fpn_{cpu_name}250i_synthetic.py')).model
    assert regime.rpn_head.anchor_generator.scales == [2] and cpu.rpn_head.anchor_generator.scales == [4]
    for model in (regime, cpu):
        model.rpn_head.pop('anchor_generator')
    assert regime.rpn_head == cpu.rpn_head and regime.train_cfg == cpu.train_cfg


def test_box_only_self_training_differs_from_self_training_in_its_pseudo_labels_masks_only():
    path, parent = _regime('self-training-boxes_'), _regime('self-training_')
    assert _differences(path, parent) == {'roi_head', 'self_training'}
    mine, theirs = Config.fromfile(path).model, Config.fromfile(parent).model
    assert mine.roi_head.pop('type') == 'BoxOnlyRoIHead' and theirs.roi_head.pop('type') == 'StandardRoIHead'
    assert mine.roi_head == theirs.roi_head
    assert mine.self_training == dict(theirs.self_training, masks=False)


def test_class_only_self_training_differs_from_box_only_self_training_in_box_targets_only():
    path, parent = _regime('self-training-classes_'), _regime('self-training-boxes_')
    assert _differences(path, parent) == {'self_training'}
    mine, theirs = Config.fromfile(path).model, Config.fromfile(parent).model
    assert mine.self_training == dict(theirs.self_training, boxes=False)


@pytest.mark.parametrize('parent', ['sasl-t0.8_', 'brl_'])
def test_self_training_combinations_add_only_class_only_self_training_to_their_parent(parent):
    combination = _regime(f'self-training-classes_{parent}')
    assert _differences(combination, _regime(parent), shared_parts=('self_training', )) == {
        'type', 'roi_head', 'self_training'}
    mine, theirs = Config.fromfile(combination).model, Config.fromfile(_regime(parent)).model
    alone = Config.fromfile(_regime('self-training-classes_')).model
    assert mine.type == alone.type == 'SelfTrainingMaskRCNN' and mine.self_training == alone.self_training
    assert mine.roi_head.pop('type') == alone.roi_head.type == 'BoxOnlyRoIHead'
    assert mine.roi_head == {k: v for k, v in theirs.roi_head.items() if k != 'type'}


def test_paper_statistics_regime_reads_the_preset_at_its_size():
    from qmat.datasets.synthetic.presets import PRESETS
    cfg = Config.fromfile(_regime())
    height, width = PRESETS['paper-graphene'].image_size
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.val_dataloader.dataset.pipeline):
        resize = next(step for step in pipeline if step['type'] == 'Resize')
        assert tuple(resize['scale']) == (width, height) and resize['keep_ratio']
    assert cfg.train_cfg.max_iters == 5500 and cfg.param_scheduler[1].milestones == [2750, 4400]
    curve = Config.fromfile(osp.join(SYNTHETIC, 'mask-rcnn_r18_fpn_6000i-curve_paper-graphene.py'))
    assert [s.type for s in curve.param_scheduler] == ['LinearLR'] and curve.train_cfg.val_interval == 250
    assert curve.train_cfg.max_iters == 6000
    self_training = Config.fromfile(
        osp.join(SYNTHETIC, 'mask-rcnn_r18_fpn_self-training_4000i-curve_paper-graphene.py'))
    assert self_training.train_cfg.max_iters == 4000 and self_training.train_cfg.val_interval == 250
    assert self_training.param_scheduler == curve.param_scheduler
