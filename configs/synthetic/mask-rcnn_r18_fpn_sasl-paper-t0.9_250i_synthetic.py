# The CPU-sized synthetic config with SASL-RPN in the paper's formula at t = 0.9: a row of the CPU-scale
# Table 1 (tools/table1.py --scale cpu).
_base_ = './mask-rcnn_r18_fpn_sasl-paper-t0.8_250i_synthetic.py'

model = dict(rpn_head=dict(threshold=0.9))
