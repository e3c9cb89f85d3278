# The CPU-sized synthetic config with SASL-RPN at threshold 0.8 and qmat's defaults (one prototype per
# annotated flake, a background key, temperature 1, per image: docs/method.md). The paper's exact formula:
# --cfg-options model.rpn_head.keys=anchors model.rpn_head.background=False
_base_ = './mask-rcnn_r18_fpn_250i_synthetic.py'

model = dict(rpn_head=dict(type='SASLRPNHead', threshold=0.8, embed_dims=64))
