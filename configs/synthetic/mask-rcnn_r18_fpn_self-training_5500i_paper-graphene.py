# The paper-statistics regime with self-training: an EMA teacher's confident detections that overlap no
# annotation become ground truth for both stages after a burn-in of plain training
# (qmat/models/detectors/self_training_mask_rcnn.py, configs/_base_/models/self_training.py).
_base_ = ['./mask-rcnn_r18_fpn_5500i_paper-graphene.py', '../_base_/models/self_training.py']

model = dict(type='SelfTrainingMaskRCNN', self_training={{_base_.self_training}})
