# SASL-RPN with Eq. 5's Norm read as scaled dot-product attention (the dot product over sqrt(D)), t = 0.8.
_base_ = './mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py'

model = dict(rpn_head=dict(norm='scaled', threshold=0.8))
