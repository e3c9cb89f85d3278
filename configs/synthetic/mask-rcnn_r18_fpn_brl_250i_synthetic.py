# The CPU-sized synthetic config with the background recalibration loss on the RPN (configs/brl/).
_base_ = ['./mask-rcnn_r18_fpn_250i_synthetic.py', '../_base_/models/brl_rpn_head.py']

model = dict(rpn_head={{_base_.brl_rpn_head}})
