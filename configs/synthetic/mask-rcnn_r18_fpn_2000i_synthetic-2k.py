# Synthetic pretraining for real 2K micrographs: the real-2k model of configs/real/ trained on the
# generator's real-2k preset (960 x 540 images: the four materials, 90 and 285 nm SiO2, cameras' white
# balance, gamma and saturation, torn outlines, dark frames). tools/pretrain.py writes the set, runs this and
# keeps the weights in the cache, where the fine-tuning config finds them.
_base_ = '../real/mask-rcnn_r18_fpn_200i_real-2k.py'

data_root = 'data/synthetic-2k/'

train_dataloader = dict(dataset=dict(data_root=data_root, filter_cfg=dict(filter_empty_gt=True)))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = [dict(type='CocoMetric', ann_file=data_root + 'annotations/instances_val2019.json',
                      metric=['bbox', 'segm'])]
test_evaluator = val_evaluator

max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[1600, 1900], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=500, max_keep_ckpts=2))
