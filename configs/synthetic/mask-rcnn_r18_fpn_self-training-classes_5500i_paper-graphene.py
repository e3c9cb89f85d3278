# Self-training whose pseudo-labels train classes only, as Unbiased Teacher's do: the R-CNN's box regressor
# and the mask head learn from annotations alone (qmat/models/roi_heads/box_only_roi_head.py).
_base_ = ['./mask-rcnn_r18_fpn_self-training-boxes_5500i_paper-graphene.py']

model = dict(self_training=dict(boxes=False))
