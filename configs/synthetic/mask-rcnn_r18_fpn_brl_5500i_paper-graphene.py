# The paper-statistics regime with the background recalibration loss on the RPN as its authors apply it
# (configs/_base_/models/brl_rpn.py).
_base_ = ['./mask-rcnn_r18_fpn_5500i_paper-graphene.py', '../_base_/models/brl_rpn.py']

model = dict(rpn_head={{_base_.brl_rpn_head}}, train_cfg=dict(rpn={{_base_.brl_rpn_train_cfg}}))
