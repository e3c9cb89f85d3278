# The learning curve of self-training in the paper-statistics regime, beside the baseline's
# (mask-rcnn_r18_fpn_6000i-curve_paper-graphene.py): the same constant learning rate and validations,
# up to 4,000 iterations.
_base_ = ['./mask-rcnn_r18_fpn_6000i-curve_paper-graphene.py', '../_base_/models/self_training.py']

max_iters = 4000
train_cfg = dict(max_iters=max_iters)
model = dict(type='SelfTrainingMaskRCNN', self_training={{_base_.self_training}})
