# The CPU-sized synthetic config with SASL-RPN in exactly the paper's formula (every positive anchor a key,
# no background key, temperature 1, per image) at t = 0.8: the missing-annotation study compares it with
# qmat's defaults (mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py).
_base_ = './mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py'

model = dict(rpn_head=dict(keys='anchors', background=False))
