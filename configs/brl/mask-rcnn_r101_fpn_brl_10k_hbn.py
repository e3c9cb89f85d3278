# The background recalibration loss baseline of the paper's Table 1 on hBN: the baseline with BRL on the
# RPN objectness, as its authors apply it (configs/_base_/models/brl_rpn.py).
_base_ = ['../baseline/mask-rcnn_r101_fpn_10k_hbn.py', '../_base_/models/brl_rpn.py']

model = dict(rpn_head={{_base_.brl_rpn_head}}, train_cfg=dict(rpn={{_base_.brl_rpn_train_cfg}}))
