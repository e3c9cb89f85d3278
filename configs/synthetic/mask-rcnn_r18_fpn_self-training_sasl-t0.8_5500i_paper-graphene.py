# Self-training with SASL-RPN (t = 0.8) in its RPN: the teacher's pseudo-labels complete the targets, SASL's
# soft labels soften the negatives that remain (mask-rcnn_r18_fpn_sasl-t0.8_5500i_paper-graphene.py).
_base_ = ['./mask-rcnn_r18_fpn_sasl-t0.8_5500i_paper-graphene.py', '../_base_/models/self_training.py']

model = dict(type='SelfTrainingMaskRCNN', self_training={{_base_.self_training}})
