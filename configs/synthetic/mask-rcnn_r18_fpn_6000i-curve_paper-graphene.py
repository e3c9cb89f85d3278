# The learning curve of the paper-statistics regime (mask-rcnn_r18_fpn_5500i_paper-graphene.py): the learning
# rate held after the warm-up, validation every 250 iterations up to 6,000, so that each point is what a
# schedule of that length reaches before its decay (tools/experiments/learning_curve.py picks the study's
# schedule from it).
_base_ = './mask-rcnn_r18_fpn_5500i_paper-graphene.py'

max_iters = 6000
train_cfg = dict(max_iters=max_iters, val_interval=250)
param_scheduler = [dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100)]
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=1))
