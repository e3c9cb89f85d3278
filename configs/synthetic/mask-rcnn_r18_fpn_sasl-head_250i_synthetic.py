# Control for SASL-RPN: its head (objectness read from the anchor embeddings) trained with the plain loss,
# no soft labels; SASL minus this is what the rule does, this minus the baseline what the head does.
_base_ = './mask-rcnn_r18_fpn_sasl-t0.8_250i_synthetic.py'

model = dict(rpn_head=dict(soft_labels=False))
