# The missing-annotation study at the paper's data statistics (section 4.1 of the SASL-RPN paper), CPU-sized:
# synthetic graphene micrographs of the `paper-graphene` preset (2040 x 1086 seen at 384 x 204, 5.6 flake
# regions per image, flakes of about 1-11 % of the image width), the CPU model of
# mask-rcnn_r18_fpn_250i_synthetic.py, 5,500 iterations of 4 images with the paper's step schedule (lr / 10 at
# 50 % and 80 %), validation on 128 images. 5,500: from there on the baseline's learning curves at 0 and 50 %
# missing stay within 1.5 AP of their plateaus (mask-rcnn_r18_fpn_6000i-curve_paper-graphene.py, method.md).
# Anchors of 8-128 px (scale 2): the smallest flakes (5 px) still meet one at IoU >= 0.3, the largest (90 px)
# at 0.5.
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

data_root = 'data/study-paper-graphene/'
image_scale = (384, 204)

model = dict(rpn_head=dict(anchor_generator=dict(scales=[2])))

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
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2019.json')
test_evaluator = val_evaluator

max_iters = 5500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[2750, 4400], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=1))
