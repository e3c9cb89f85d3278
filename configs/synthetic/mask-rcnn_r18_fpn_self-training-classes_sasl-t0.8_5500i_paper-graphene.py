# Class-only self-training (mask-rcnn_r18_fpn_self-training-classes_5500i_paper-graphene.py) with SASL-RPN
# (t = 0.8) in its RPN: the teacher's pseudo-labels complete the classifiers' targets, SASL's soft labels
# soften the negatives that remain (mask-rcnn_r18_fpn_sasl-t0.8_5500i_paper-graphene.py).
_base_ = ['./mask-rcnn_r18_fpn_sasl-t0.8_5500i_paper-graphene.py',
          '../_base_/models/self_training_classes.py']

model = dict(type='SelfTrainingMaskRCNN', roi_head=dict(type='BoxOnlyRoIHead'),
             self_training={{_base_.self_training}})
