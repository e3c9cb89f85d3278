# CPU-sized Mask R-CNN on the synthetic flakes of tools/data_tools/generate_synthetic.py (256 x 256 images):
# ResNet-18 + FPN with 64 channels, trained from scratch (no download), 250 iterations of 4 images: short
# enough on 2 CPU cores for the quick start and each run of the missing-annotation study (docs/benchmarks.md).
# The quick start and the end-to-end tests use it; the paper's setup is configs/baseline/.
_base_ = [
    '../_base_/models/mask-rcnn_r101_fpn.py', '../_base_/datasets/flake_instance.py',
    '../_base_/schedules/schedule_10k.py', '../_base_/default_runtime.py'
]

data_root = 'data/synthetic/'
image_scale = (256, 256)
channels = 64

model = dict(
    backbone=dict(
        depth=18,
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,  # from scratch: BN statistics must be learnt
        init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=channels),
    rpn_head=dict(
        in_channels=channels,
        feat_channels=channels,
        anchor_generator=dict(scales=[4])),  # anchors of 16-256 px for flakes of 10-80 px
    # mmcv's CPU RoIAlign is single-threaded: a fixed 2 x 2 samples per bin instead of the adaptive count
    # (up to 4 x 4 here) makes the RoI heads about 4 times cheaper.
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels, roi_layer=dict(sampling_ratio=2)),
        bbox_head=dict(in_channels=channels, fc_out_channels=256),
        mask_roi_extractor=dict(out_channels=channels, roi_layer=dict(sampling_ratio=2)),
        mask_head=dict(in_channels=channels, conv_out_channels=channels)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=256))))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=[0.25, 0.25], direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# Loading 256 px PNGs takes ~1 % of a step: worker processes would only compete for the CPU cores.
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2019.json')
test_evaluator = val_evaluator

max_iters = 250
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[190, 235], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=10, norm_type=2))
auto_scale_lr = dict(enable=False, base_batch_size=4)

default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=125, max_keep_ckpts=2))
log_processor = dict(window_size=20)
