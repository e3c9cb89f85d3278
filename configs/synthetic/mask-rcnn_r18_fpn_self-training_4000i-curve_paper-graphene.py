# The learning curve of self-training in the paper-statistics regime, beside the baseline's
# (mask-rcnn_r18_fpn_4000i-curve_paper-graphene.py): the same constant learning rate and validations.
_base_ = ['./mask-rcnn_r18_fpn_4000i-curve_paper-graphene.py', '../_base_/models/self_training.py']

model = dict(type='SelfTrainingMaskRCNN', self_training={{_base_.self_training}})
