# Class-only self-training (mask-rcnn_r18_fpn_self-training-classes_5500i_paper-graphene.py) with BRL on its
# RPN: the teacher's pseudo-labels complete the classifiers' targets, BRL recalibrates the negatives that
# remain (mask-rcnn_r18_fpn_brl_5500i_paper-graphene.py).
_base_ = ['./mask-rcnn_r18_fpn_brl_5500i_paper-graphene.py', '../_base_/models/self_training_classes.py']

model = dict(type='SelfTrainingMaskRCNN', roi_head=dict(type='BoxOnlyRoIHead'),
             self_training={{_base_.self_training}})
