# qmat's variant of SASL-RPN at t = 0.8: one prototype per annotated flake as the keys and a background key
# (the mean negative embedding) in the softmax, so that a lone positive no longer takes all the attention.
_base_ = './mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py'

model = dict(rpn_head=dict(keys='instances', background=True))
