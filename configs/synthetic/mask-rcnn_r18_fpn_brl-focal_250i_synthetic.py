# Control for BRL: the same RPN (every anchor, the same three-way assignment, divided by the positives)
# with the recalibration off, i.e. a plain focal-loss RPN; BRL minus this is what the recalibration does.
_base_ = './mask-rcnn_r18_fpn_brl_250i_synthetic.py'

model = dict(rpn_head=dict(loss_confusion=dict(thresh=0.0, loss_weight=1.0)))
