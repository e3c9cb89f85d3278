# The background recalibration loss baseline of the paper's Table 1 on WTe2: the baseline with BRL as the RPN
# objectness loss (configs/_base_/models/brl_rpn_head.py).
_base_ = ['../baseline/mask-rcnn_r101_fpn_10k_wte2.py', '../_base_/models/brl_rpn_head.py']

model = dict(rpn_head={{_base_.brl_rpn_head}})
