# The paper's schedule: 10,000 iterations, SGD lr 0.02 (momentum 0.9, weight decay 1e-4), divided by 10 at
# 5,000 and 8,000, linear warm-up (detectron2's default: 1,000 iterations from 0.001 x lr), total batch 48
# (4 GPUs x 12 images). auto_scale_lr rescales the lr linearly for another total batch size.
max_iters = 10000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[5000, 8000], gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))

auto_scale_lr = dict(enable=True, base_batch_size=48)
