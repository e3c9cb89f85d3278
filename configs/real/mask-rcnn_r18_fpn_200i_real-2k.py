# CPU-sized Mask R-CNN for real 2K micrographs (1920 x 1080 or 1920 x 1200) and a lab's few annotated images,
# trained from scratch: the same model as the synthetic quick start (ResNet-18 + FPN, 64 channels), reading
# the images at half resolution (960 x 540: flakes of 16-400 camera pixels become 8-200) and training on
# 384 x 384 crops (4 a step: about 1.3 s on 2 CPU cores). Anchors of 12-192 px (scale 3): an 8 px flake
# still meets one at IoU >= 0.3.
# A lab's set is DATA_ROOT from tools/dataset_converters/import_coco.py (--data-root DIR); with
# tools/pretrain.py's weights, the fine-tuning config is
# mask-rcnn_r18_fpn_synthetic-pretrained_200i_real-2k.py.
_base_ = '../synthetic/mask-rcnn_r18_fpn_250i_synthetic.py'

data_root = 'data/real/'
image_scale = (960, 540)
crop_size = (384, 384)

model = dict(rpn_head=dict(anchor_generator=dict(scales=[3])))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, allow_negative_crop=True),
    dict(type='RandomFlip', prob=[0.25, 0.25], direction=['horizontal', 'vertical']),
    # cameras differ in exposure and white balance: so do the training images
    dict(type='PhotoMetricDistortion', brightness_delta=24, contrast_range=(0.8, 1.2),
         saturation_range=(0.8, 1.2), hue_delta=6),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=4,
    # a few images, many crops: an image without flakes in a crop is a lesson in background
    dataset=dict(data_root=data_root, pipeline=train_pipeline, filter_cfg=dict(filter_empty_gt=False)))
val_dataloader = dict(batch_size=1, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
# COCO AP per class, and with every class as one (did it find the flakes, whatever their thickness class?)
val_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'annotations/instances_val2019.json',
         metric=['bbox', 'segm']),
    dict(type='ClassAgnosticCocoMetric', ann_file=data_root + 'annotations/instances_val2019.json',
         metric=['bbox', 'segm']),
]
test_evaluator = val_evaluator

max_iters = 200
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[150, 185], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
