"""Every config under configs/ loads and builds its model (no download); the paper's settings hold."""
import glob
import os.path as osp

import pytest
import torch
from conftest import REPO
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
    head = MODELS.build(sasl.model.rpn_head)  # exactly the paper's formula, with the paper's D
    assert (head.embed_dims, head.keys, head.background, head.temperature, head.scope) == (
        256, 'anchors', False, 1.0, 'image')
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
def test_brl_configs_change_only_the_rpn_objectness_loss(material):
    path = osp.join(REPO, 'configs', 'brl', f'mask-rcnn_r101_fpn_brl_10k_{material}.py')
    baseline = osp.join(REPO, 'configs', 'baseline', f'mask-rcnn_r101_fpn_10k_{material}.py')
    assert _differences(path, baseline, shared_parts=('brl_rpn_head',)) == {'rpn_head'}
    rpn, base_rpn = Config.fromfile(path).model.rpn_head, Config.fromfile(baseline).model.rpn_head
    assert rpn.loss_cls == dict(type='BackgroundRecalibrationLoss', use_sigmoid=True, gamma_1=2.0,
                                gamma_2=2.0, alpha=0.25, thresh=0.5, beta=1.0, loss_weight=1.0)
    for head in (rpn, base_rpn):
        head.pop('loss_cls'), head.pop('init_cfg', None)
    assert rpn == base_rpn


def test_brl_rpn_outputs_one_sigmoid_logit_per_anchor_from_the_focal_prior():
    """Without use_sigmoid in the loss config mmdet's head silently builds 2-way softmax outputs."""
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'synthetic', 'mask-rcnn_r18_fpn_brl_250i_synthetic.py'))
    head = MODELS.build(cfg.model.rpn_head)
    head.init_weights()
    assert head.use_sigmoid_cls and head.rpn_cls.out_channels == head.num_base_priors
    assert torch.allclose(head.rpn_cls.bias.sigmoid(), torch.full((head.num_base_priors,), 0.01))


@pytest.mark.parametrize('stage', ['rpn', 'rcnn'])
def test_oracle_configs_ignore_the_removed_flakes_in_one_stage_only(stage):
    """The study's diagnostic runs: one assigner ignores the boxes kept as iscrowd (the removed flakes)."""
    from mmdet.registry import TASK_UTILS
    from mmengine.structures import InstanceData
    synthetic = osp.join(REPO, 'configs', 'synthetic')
    path = osp.join(synthetic, f'mask-rcnn_r18_fpn_oracle-{stage}_250i_synthetic.py')
    baseline = osp.join(synthetic, 'mask-rcnn_r18_fpn_250i_synthetic.py')
    assert _differences(path, baseline) == {'train_cfg'}
    train_cfg, base_cfg = Config.fromfile(path).model.train_cfg, Config.fromfile(baseline).model.train_cfg
    other = 'rcnn' if stage == 'rpn' else 'rpn'
    assert train_cfg[other] == base_cfg[other] and base_cfg[stage].assigner.ignore_iof_thr == -1
    register_all_modules()
    priors = torch.tensor([[0., 0., 10., 10.], [50., 50., 60., 60.], [52., 52., 58., 58.],
                           [90., 90., 99., 99.]])
    gts = InstanceData(bboxes=torch.tensor([[0., 0., 10., 10.]]), labels=torch.tensor([0]))
    removed = InstanceData(bboxes=torch.tensor([[50., 50., 61., 61.]]), labels=torch.tensor([0]))
    for cfg, expected in ((train_cfg, [1, -1, -1, 0]), (base_cfg, [1, 0, 0, 0])):
        assigner = TASK_UTILS.build(cfg[stage].assigner)
        result = assigner.assign(InstanceData(priors=priors), gts, removed)
        assert result.gt_inds.tolist() == expected  # 1: the annotated flake, -1: ignored, 0: background
