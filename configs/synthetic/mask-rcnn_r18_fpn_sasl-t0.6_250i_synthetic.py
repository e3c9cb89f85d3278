# SASL-RPN in the literal reading of Eq. 5 at threshold 0.6 (mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py).
_base_ = './mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py'

model = dict(rpn_head=dict(threshold=0.6))
