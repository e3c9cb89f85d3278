# SASL-RPN (the paper's method, threshold t = 0.6) on MoS2: the baseline with the RPN head replaced.
_base_ = '../baseline/mask-rcnn_r101_fpn_10k_mos2.py'

# exactly the paper's formula: every positive anchor a key, no background key (D = 256, temperature 1 and
# per-image attention are the head's defaults; qmat's own defaults differ: docs/method.md)
model = dict(rpn_head=dict(type='SASLRPNHead', threshold=0.6, keys='anchors', background=False))
