# Control for BRL on hBN: the same RPN (every anchor, the same three-way assignment, divided by the
# positives) with the recalibration off, i.e. a plain focal-loss RPN: BRL minus this is the recalibration.
_base_ = './mask-rcnn_r101_fpn_brl_10k_hbn.py'

model = dict(rpn_head=dict(loss_confusion=dict(thresh=0.0, loss_weight=1.0)))
