# Self-training whose pseudo-labels train classes only, as Unbiased Teacher's do, for combinations with
# other methods: merge it as model = dict(type='SelfTrainingMaskRCNN', roi_head=dict(type='BoxOnlyRoIHead'),
# self_training={{_base_.self_training}}); BoxOnlyRoIHead keeps the pseudo-labels out of the R-CNN's box
# regression and mask targets (synthetic/mask-rcnn_r18_fpn_self-training-classes_5500i_paper-graphene.py).
_base_ = ['./self_training.py']

self_training = dict(masks=False, boxes=False)
