# Self-training whose pseudo-labels train boxes and classes only: the mask head learns from annotated
# outlines alone, not from the teacher's pasted 28 x 28 masks (qmat/models/roi_heads/box_only_roi_head.py).
_base_ = ['./mask-rcnn_r18_fpn_self-training_5500i_paper-graphene.py']

model = dict(roi_head=dict(type='BoxOnlyRoIHead'), self_training=dict(masks=False))
