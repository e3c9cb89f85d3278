# The CPU-sized synthetic config with SASL-RPN (threshold 0.8, the paper's formula: temperature 1, per image).
_base_ = './mask-rcnn_r18_fpn_400i_synthetic.py'

model = dict(rpn_head=dict(type='SASLRPNHead', threshold=0.8, embed_dims=64, temperature=1.0, scope='image'))
