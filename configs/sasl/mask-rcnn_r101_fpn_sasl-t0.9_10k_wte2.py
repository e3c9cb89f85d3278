# SASL-RPN (the paper's method, threshold t = 0.9) on WTe2: the baseline with the RPN head replaced.
_base_ = '../baseline/mask-rcnn_r101_fpn_10k_wte2.py'

model = dict(rpn_head=dict(type='SASLRPNHead', threshold=0.9, embed_dims=256, temperature=1.0, scope='image'))
